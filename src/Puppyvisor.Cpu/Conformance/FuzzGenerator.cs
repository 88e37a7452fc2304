// [C:961] What the fuzzer runs: random byte streams and random valid instructions.
//
// Valid instructions are built from Iced's opcode tables: pick a Code (most often a
// P6 integer one, sometimes x87, sometimes SIMD or a later extension), give each
// operand a value of its kind -- a register, an immediate biased to edge values, a
// memory operand whose base register usually points into the fuzzer's data area, a
// branch target inside the chunk -- and let Iced's Encoder produce the bytes. A few
// get redundant prefixes in front (which may push them past 15 bytes). Everything
// is drawn from one seeded generator, so a seed names a chunk of code exactly.
using Iced.Intel;
using Puppyvisor.Cpu.Instructions;

namespace Puppyvisor.Cpu.Conformance;

/// <summary>SplitMix64: small, fast, and the same sequence on every platform and runtime.</summary>
public struct FuzzRng(ulong seed)
{
    ulong _state = seed;

    public ulong Next()
    {
        ulong z = _state += 0x9E37_79B9_7F4A_7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D0_49BB_1331_11EBUL;
        return z ^ (z >> 31);
    }

    public uint U32() => (uint)(Next() >> 32);

    /// <summary>A number in [0, n).</summary>
    public int Below(int n) => (int)((Next() >> 33) % (ulong)n);

    /// <summary>True with a probability of <paramref name="percent"/> %.</summary>
    public bool Chance(int percent) => Below(100) < percent;

    public T Pick<T>(ReadOnlySpan<T> items) => items[Below(items.Length)];

    static readonly uint[] Edges = [0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000,
        0xFFFF, 0x1_0000, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFE, 0xFFFF_FFFF];

    /// <summary>A 32-bit value: an edge value a third of the time, else uniform.</summary>
    public uint Interesting() => Chance(33) ? Pick<uint>(Edges) : U32();
}

/// <summary>Builds random valid 32-bit instructions with Iced's encoder.</summary>
internal sealed class FuzzInstructionGenerator
{
    /// <summary>Where memory operands should point and where branches may go.</summary>
    public struct Context
    {
        public uint DataStart, DataSize, ChunkStart, ChunkEnd;
    }

    readonly Code[] _integer, _x87, _other;
    readonly Encoder _encoder;
    readonly ByteSink _sink = new();

    public int CodeCount => _integer.Length + _x87.Length + _other.Length;

    public FuzzInstructionGenerator()
    {
        _encoder = Encoder.Create(32, _sink);
        var integer = new List<Code>();
        var x87 = new List<Code>();
        var other = new List<Code>();
        var probe = new FuzzRng(0x5EED);
        var context = new Context { DataStart = 0x4_0000, DataSize = 0x1_0000, ChunkStart = 0x2_0000, ChunkEnd = 0x2_0400 };
        foreach (Code code in Enum.GetValues<Code>())
        {
            OpCodeInfo op = code.ToOpCode();
            if (!op.IsInstruction || !op.Mode32 || code == Code.INVALID) continue;
            if (!Supported(op)) continue;
            // Keep only codes the encoder accepts with our operands (decided once, so a seed's
            // chunk never depends on what ran before it).
            bool encodes = false;
            for (int attempt = 0; attempt < 16 && !encodes; attempt++)
                encodes = TryBuild(code, ref probe, context, 0x2_0000, out _, out _);
            if (!encodes) continue;
            CpuidFeature[] features = code.CpuidFeatures();
            if (Array.Exists(features, f => f is CpuidFeature.FPU or CpuidFeature.FPU287 or CpuidFeature.FPU387)) x87.Add(code);
            else if (code.Encoding() == EncodingKind.Legacy && !Array.Exists(features, FpuAndSimd.IsBeyondP6)) integer.Add(code);
            else other.Add(code);
        }
        _integer = integer.ToArray();
        _x87 = x87.ToArray();
        _other = other.ToArray();
    }

    static bool Supported(OpCodeInfo op)
    {
        for (int i = 0; i < op.OpCount; i++)
            if (op.GetOpKind(i) is OpCodeOperandKind.mem_vsib32x or OpCodeOperandKind.mem_vsib64x or OpCodeOperandKind.mem_vsib32y or
                OpCodeOperandKind.mem_vsib64y or OpCodeOperandKind.mem_vsib32z or OpCodeOperandKind.mem_vsib64z or
                OpCodeOperandKind.xbegin_2 or OpCodeOperandKind.xbegin_4 or OpCodeOperandKind.brdisp_2 or OpCodeOperandKind.brdisp_4 or
                OpCodeOperandKind.sibmem or OpCodeOperandKind.tmm_reg or OpCodeOperandKind.tmm_rm or OpCodeOperandKind.tmm_vvvv or
                OpCodeOperandKind.None)
                return false;
        return true;
    }

    /// <summary>Picks a code: 85 % P6 integer and system, 5 % x87, 10 % SIMD and later extensions.</summary>
    Code PickCode(ref FuzzRng rng)
    {
        int roll = rng.Below(100);
        Code[] group = roll < 85 ? _integer : roll < 90 ? _x87 : _other;
        return group[rng.Below(group.Length)];
    }

    /// <summary>
    /// Writes one random valid instruction at <paramref name="ip"/> into <paramref name="destination"/>;
    /// returns its length (0 when nothing fitted in the space left).
    /// </summary>
    public int Generate(ref FuzzRng rng, Context context, uint ip, Span<byte> destination)
    {
        for (int attempt = 0; attempt < 8; attempt++)
        {
            Code code = PickCode(ref rng);
            // Redundant prefixes in front, now and then: segment overrides, 66h/67h/F2h/F3h repeats.
            int prefixes = rng.Chance(5) ? 1 + rng.Below(8) : 0;
            Span<byte> prefixBytes = stackalloc byte[8];
            for (int p = 0; p < prefixes; p++) prefixBytes[p] = rng.Pick<byte>([0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x66, 0x67, 0xF2, 0xF3]);
            if (!TryBuild(code, ref rng, context, ip + (uint)prefixes, out _, out ReadOnlySpan<byte> bytes)) continue;
            int length = prefixes + bytes.Length;
            if (length > destination.Length) return 0;
            prefixBytes[..prefixes].CopyTo(destination);
            bytes.CopyTo(destination[prefixes..]);
            return length;
        }
        return 0;
    }

    bool TryBuild(Code code, ref FuzzRng rng, Context context, uint ip, out Instruction insn, out ReadOnlySpan<byte> bytes)
    {
        OpCodeInfo op = code.ToOpCode();
        insn = default;
        insn.Code = code;
        bytes = default;
        bool a16 = rng.Chance(10);
        bool sawImmediate8 = false, sawImmediate = false;
        for (int i = 0; i < op.OpCount; i++)
        {
            OpCodeOperandKind kind = op.GetOpKind(i);
            switch (kind)
            {
                case OpCodeOperandKind.r8_reg or OpCodeOperandKind.r8_opcode:
                    SetRegister(ref insn, i, Register.AL + rng.Below(8)); break;
                case OpCodeOperandKind.r16_reg or OpCodeOperandKind.r16_rm or OpCodeOperandKind.r16_opcode or OpCodeOperandKind.r16_reg_mem:
                    SetRegister(ref insn, i, Register.AX + Gpr(ref rng)); break;
                case OpCodeOperandKind.r32_reg or OpCodeOperandKind.r32_rm or OpCodeOperandKind.r32_opcode or
                    OpCodeOperandKind.r32_reg_mem or OpCodeOperandKind.r32_vvvv:
                    SetRegister(ref insn, i, Register.EAX + Gpr(ref rng)); break;
                case OpCodeOperandKind.r8_or_mem or OpCodeOperandKind.r16_or_mem or OpCodeOperandKind.r32_or_mem or
                    OpCodeOperandKind.r32_or_mem_mpx or OpCodeOperandKind.mm_or_mem or OpCodeOperandKind.xmm_or_mem or
                    OpCodeOperandKind.ymm_or_mem or OpCodeOperandKind.zmm_or_mem or OpCodeOperandKind.k_or_mem or
                    OpCodeOperandKind.bnd_or_mem_mpx:
                    if (rng.Chance(50)) SetRegister(ref insn, i, RegisterOrMemoryRegister(kind, ref rng));
                    else SetMemory(ref insn, i, ref rng, context, a16);
                    break;
                case OpCodeOperandKind.mem or OpCodeOperandKind.mem_mpx or OpCodeOperandKind.mem_mib:
                    SetMemory(ref insn, i, ref rng, context, a16); break;
                case OpCodeOperandKind.mem_offs:
                    insn.SetOpKind(i, OpKind.Memory);
                    insn.MemoryDisplSize = a16 ? 2 : 4;
                    insn.MemoryDisplacement32 = a16 ? (uint)rng.Below(0x1_0000) : DataAddress(ref rng, context);
                    if (rng.Chance(10)) insn.SegmentPrefix = SegmentOverride(ref rng);
                    break;
                case OpCodeOperandKind.seg_reg: SetRegister(ref insn, i, Register.ES + rng.Below(6)); break;
                case OpCodeOperandKind.cr_reg: SetRegister(ref insn, i, rng.Chance(90) ? rng.Pick<Register>([Register.CR0, Register.CR2, Register.CR3, Register.CR4]) : Register.CR0 + rng.Below(8)); break;
                case OpCodeOperandKind.dr_reg: SetRegister(ref insn, i, Register.DR0 + rng.Below(8)); break;
                case OpCodeOperandKind.tr_reg: SetRegister(ref insn, i, Register.TR0 + rng.Below(8)); break;
                case OpCodeOperandKind.bnd_reg: SetRegister(ref insn, i, Register.BND0 + rng.Below(4)); break;
                case OpCodeOperandKind.k_reg or OpCodeOperandKind.k_rm or OpCodeOperandKind.k_vvvv:
                    SetRegister(ref insn, i, Register.K0 + rng.Below(8)); break;
                case OpCodeOperandKind.kp1_reg: SetRegister(ref insn, i, Register.K0 + 2 * rng.Below(4)); break;
                case OpCodeOperandKind.mm_reg or OpCodeOperandKind.mm_rm: SetRegister(ref insn, i, Register.MM0 + rng.Below(8)); break;
                case OpCodeOperandKind.xmm_reg or OpCodeOperandKind.xmm_rm or OpCodeOperandKind.xmm_vvvv or
                    OpCodeOperandKind.xmm_is4 or OpCodeOperandKind.xmm_is5:
                    SetRegister(ref insn, i, Register.XMM0 + rng.Below(8)); break;
                case OpCodeOperandKind.xmmp3_vvvv: SetRegister(ref insn, i, Register.XMM0 + 4 * rng.Below(2)); break;
                case OpCodeOperandKind.ymm_reg or OpCodeOperandKind.ymm_rm or OpCodeOperandKind.ymm_vvvv or
                    OpCodeOperandKind.ymm_is4 or OpCodeOperandKind.ymm_is5:
                    SetRegister(ref insn, i, Register.YMM0 + rng.Below(8)); break;
                case OpCodeOperandKind.zmm_reg or OpCodeOperandKind.zmm_rm or OpCodeOperandKind.zmm_vvvv:
                    SetRegister(ref insn, i, Register.ZMM0 + rng.Below(8)); break;
                case OpCodeOperandKind.zmmp3_vvvv: SetRegister(ref insn, i, Register.ZMM0 + 4 * rng.Below(2)); break;
                case OpCodeOperandKind.es: SetRegister(ref insn, i, Register.ES); break;
                case OpCodeOperandKind.cs: SetRegister(ref insn, i, Register.CS); break;
                case OpCodeOperandKind.ss: SetRegister(ref insn, i, Register.SS); break;
                case OpCodeOperandKind.ds: SetRegister(ref insn, i, Register.DS); break;
                case OpCodeOperandKind.fs: SetRegister(ref insn, i, Register.FS); break;
                case OpCodeOperandKind.gs: SetRegister(ref insn, i, Register.GS); break;
                case OpCodeOperandKind.al: SetRegister(ref insn, i, Register.AL); break;
                case OpCodeOperandKind.cl: SetRegister(ref insn, i, Register.CL); break;
                case OpCodeOperandKind.ax: SetRegister(ref insn, i, Register.AX); break;
                case OpCodeOperandKind.dx: SetRegister(ref insn, i, Register.DX); break;
                case OpCodeOperandKind.eax: SetRegister(ref insn, i, Register.EAX); break;
                case OpCodeOperandKind.st0: SetRegister(ref insn, i, Register.ST0); break;
                case OpCodeOperandKind.sti_opcode: SetRegister(ref insn, i, Register.ST0 + rng.Below(8)); break;
                case OpCodeOperandKind.imm4_m2z:
                    insn.SetOpKind(i, OpKind.Immediate8); insn.Immediate8 = (byte)rng.Below(4); sawImmediate8 = true; break;
                case OpCodeOperandKind.imm8:
                    if (sawImmediate || sawImmediate8) { insn.SetOpKind(i, OpKind.Immediate8_2nd); insn.Immediate8_2nd = (byte)rng.Interesting(); }
                    else { insn.SetOpKind(i, OpKind.Immediate8); insn.Immediate8 = (byte)rng.Interesting(); }
                    sawImmediate8 = true;
                    break;
                case OpCodeOperandKind.imm8_const_1: insn.SetOpKind(i, OpKind.Immediate8); insn.Immediate8 = 1; break;
                case OpCodeOperandKind.imm8sex16: insn.SetOpKind(i, OpKind.Immediate8to16); insn.Immediate8to16 = (sbyte)rng.Interesting(); break;
                case OpCodeOperandKind.imm8sex32: insn.SetOpKind(i, OpKind.Immediate8to32); insn.Immediate8to32 = (sbyte)rng.Interesting(); break;
                case OpCodeOperandKind.imm16: insn.SetOpKind(i, OpKind.Immediate16); insn.Immediate16 = (ushort)rng.Interesting(); sawImmediate = true; break;
                case OpCodeOperandKind.imm32: insn.SetOpKind(i, OpKind.Immediate32); insn.Immediate32 = rng.Interesting(); sawImmediate = true; break;
                case OpCodeOperandKind.seg_rSI:
                    insn.SetOpKind(i, a16 ? OpKind.MemorySegSI : OpKind.MemorySegESI);
                    if (rng.Chance(15)) insn.SegmentPrefix = SegmentOverride(ref rng);
                    break;
                case OpCodeOperandKind.es_rDI: insn.SetOpKind(i, a16 ? OpKind.MemoryESDI : OpKind.MemoryESEDI); break;
                case OpCodeOperandKind.seg_rDI: insn.SetOpKind(i, a16 ? OpKind.MemorySegDI : OpKind.MemorySegEDI); break;
                case OpCodeOperandKind.seg_rBX_al:
                    insn.SetOpKind(i, OpKind.Memory);
                    insn.MemoryBase = a16 ? Register.BX : Register.EBX;
                    insn.MemoryIndex = Register.AL;
                    insn.MemoryIndexScale = 1;
                    if (rng.Chance(15)) insn.SegmentPrefix = SegmentOverride(ref rng);
                    break;
                case OpCodeOperandKind.br16_1 or OpCodeOperandKind.br16_2:
                    insn.SetOpKind(i, OpKind.NearBranch16);
                    insn.NearBranch16 = (ushort)BranchTarget(ref rng, context, ip, kind == OpCodeOperandKind.br16_1);
                    break;
                case OpCodeOperandKind.br32_1 or OpCodeOperandKind.br32_4:
                    insn.SetOpKind(i, OpKind.NearBranch32);
                    insn.NearBranch32 = BranchTarget(ref rng, context, ip, kind == OpCodeOperandKind.br32_1);
                    break;
                case OpCodeOperandKind.farbr2_2 or OpCodeOperandKind.farbr4_2:
                    insn.SetOpKind(i, kind == OpCodeOperandKind.farbr2_2 ? OpKind.FarBranch16 : OpKind.FarBranch32);
                    insn.FarBranchSelector = Selector(ref rng);
                    uint offset = rng.Chance(70) ? BranchTarget(ref rng, context, ip, false) : rng.U32();
                    if (kind == OpCodeOperandKind.farbr2_2) insn.FarBranch16 = (ushort)offset; else insn.FarBranch32 = offset;
                    break;
                default:
                    return false;
            }
        }
        if (op.CanUseRepPrefix && rng.Chance(50)) insn.HasRepPrefix = true;
        else if (op.CanUseRepnePrefix && rng.Chance(30)) insn.HasRepnePrefix = true;
        if (op.CanUseLockPrefix && HasMemoryOperand(ref insn) ? rng.Chance(50) : rng.Chance(2)) insn.HasLockPrefix = true;

        _sink.Clear();
        if (!_encoder.TryEncode(insn, ip, out _, out _)) return false;
        bytes = _sink.Bytes;
        return true;
    }

    static bool HasMemoryOperand(ref Instruction insn)
    {
        for (int i = 0; i < insn.OpCount; i++) if (insn.GetOpKind(i) == OpKind.Memory) return true;
        return false;
    }

    /// <summary>A GPR number, ESP rarely (a random ESP mostly wrecks the stack).</summary>
    /// <summary>The register choice of an r/m operand kind, when it is to be a register.</summary>
    static Register RegisterOrMemoryRegister(OpCodeOperandKind kind, ref FuzzRng rng) => kind switch
    {
        OpCodeOperandKind.r8_or_mem => Register.AL + rng.Below(8),
        OpCodeOperandKind.r16_or_mem => Register.AX + Gpr(ref rng),
        OpCodeOperandKind.r32_or_mem or OpCodeOperandKind.r32_or_mem_mpx => Register.EAX + Gpr(ref rng),
        OpCodeOperandKind.mm_or_mem => Register.MM0 + rng.Below(8),
        OpCodeOperandKind.xmm_or_mem => Register.XMM0 + rng.Below(8),
        OpCodeOperandKind.ymm_or_mem => Register.YMM0 + rng.Below(8),
        OpCodeOperandKind.zmm_or_mem => Register.ZMM0 + rng.Below(8),
        OpCodeOperandKind.k_or_mem => Register.K0 + rng.Below(8),
        _ => Register.BND0 + rng.Below(4),
    };

    static int Gpr(ref FuzzRng rng)
    {
        int r = rng.Below(8);
        return r == 4 && !rng.Chance(20) ? rng.Pick<int>([0, 1, 2, 3, 5, 6, 7]) : r;
    }

    static void SetRegister(ref Instruction insn, int operand, Register register)
    {
        insn.SetOpKind(operand, OpKind.Register);
        insn.SetOpRegister(operand, register);
    }

    static uint DataAddress(ref FuzzRng rng, Context context) => context.DataStart + (uint)rng.Below((int)context.DataSize - 8);

    static Register SegmentOverride(ref FuzzRng rng) =>
        rng.Pick<Register>([Register.ES, Register.CS, Register.SS, Register.DS, Register.FS, Register.GS]);

    static ushort Selector(ref FuzzRng rng) =>
        rng.Chance(80) ? rng.Pick<ushort>([0x00, 0x08, 0x10, 0x1B, 0x23, 0x28, 0x33, 0x38, 0x0B, 0x18]) : (ushort)rng.U32();

    /// <summary>
    /// A memory operand: mostly a base register that the fuzzer points into the data area
    /// (EBX, ESI, EDI, EBP) with a small displacement; sometimes an absolute address in the
    /// data area, an index, ESP, a segment override or 16-bit addressing.
    /// </summary>
    static void SetMemory(ref Instruction insn, int operand, ref FuzzRng rng, Context context, bool a16)
    {
        insn.SetOpKind(operand, OpKind.Memory);
        if (rng.Chance(10)) insn.SegmentPrefix = SegmentOverride(ref rng);
        if (a16)
        {
            // The eight 16-bit forms: [BX+SI] [BX+DI] [BP+SI] [BP+DI] [SI] [DI] [disp16] [BX] (and BP+disp).
            var (b, x) = rng.Pick<(Register, Register)>([(Register.BX, Register.SI), (Register.BX, Register.DI), (Register.BP, Register.SI),
                (Register.BP, Register.DI), (Register.None, Register.SI), (Register.None, Register.DI), (Register.None, Register.None),
                (Register.BX, Register.None), (Register.BP, Register.None)]);
            insn.MemoryBase = b;
            insn.MemoryIndex = x;
            insn.MemoryIndexScale = 1;
            insn.MemoryDisplSize = 2;
            insn.MemoryDisplacement32 = b == Register.None && x == Register.None ? (uint)rng.Below(0x1_0000) : (uint)(rng.Below(0x100) - 0x80) & 0xFFFF;
            return;
        }
        int roll = rng.Below(100);
        Register baseReg = roll < 75 ? rng.Pick<Register>([Register.EBX, Register.ESI, Register.EDI, Register.EBP])
            : roll < 85 ? Register.ESP
            : roll < 95 ? Register.None
            : rng.Pick<Register>([Register.EAX, Register.ECX, Register.EDX]);
        Register index = Register.None;
        if (rng.Chance(25)) index = rng.Pick<Register>([Register.EAX, Register.ECX, Register.EDX, Register.EBX, Register.EBP, Register.ESI, Register.EDI]);
        insn.MemoryBase = baseReg;
        insn.MemoryIndex = index;
        insn.MemoryIndexScale = index == Register.None ? 1 : 1 << rng.Below(4);
        if (baseReg == Register.None && index == Register.None)
        {
            insn.MemoryDisplSize = 4;
            insn.MemoryDisplacement32 = DataAddress(ref rng, context);
        }
        else if (rng.Chance(60)) { insn.MemoryDisplSize = 1; insn.MemoryDisplacement32 = (uint)(rng.Below(0x100) - 0x80); }
        else if (rng.Chance(50)) { insn.MemoryDisplSize = 0; insn.MemoryDisplacement32 = 0; }
        else { insn.MemoryDisplSize = 4; insn.MemoryDisplacement32 = (uint)rng.Below(0x1000); }
    }

    /// <summary>Mostly somewhere in the chunk (rel8 near <paramref name="ip"/>), sometimes anywhere.</summary>
    static uint BranchTarget(ref FuzzRng rng, Context context, uint ip, bool short8)
    {
        if (rng.Chance(5)) return rng.U32();
        if (short8) return ip + (uint)(rng.Below(120) - 56);
        return context.ChunkStart + (uint)rng.Below((int)(context.ChunkEnd - context.ChunkStart + 1));
    }

    sealed class ByteSink : CodeWriter
    {
        byte[] _bytes = new byte[32];
        int _count;
        public ReadOnlySpan<byte> Bytes => _bytes.AsSpan(0, _count);
        public void Clear() => _count = 0;
        public override void WriteByte(byte value)
        {
            if (_count == _bytes.Length) Array.Resize(ref _bytes, _bytes.Length * 2);
            _bytes[_count++] = value;
        }
    }
}
