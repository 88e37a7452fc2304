// [C:530] Fast forms: the instructions compiled C runs most, on compact operands.
//
// One generic body per operand form (register/immediate/memory), specialised by the
// JIT for each operation (Aeon's generic instruction bodies): ADD, SUB, AND, OR, XOR,
// CMP, TEST and MOV at 32 bits, INC/DEC, LEA, PUSH/POP, the near branches, MOVZX/MOVSX
// loads and shifts by an immediate. Semantics are the family handlers' exactly (the
// vectors run with these on and off); anything else runs through RunLegacy.
//
// Each form has two entry points with one name. The body takes its operands as
// arguments -- register numbers, the immediate, the effective address `ea` -- and is
// what the block compiler calls with the operands as constants (BlockCompiler.cs binds
// each parameter to the MicroOp field of the same name). The interpreter's entry
// point, (Cpu, ref MicroOp), is a one-line adapter that reads them from the MicroOp.
// A body that computes an effective address takes it as `ea`: it is computed first,
// before anything the body changes, exactly as the adapter's c.Ea(ref op).
using System.Runtime.CompilerServices;
using Iced.Intel;
using Puppyvisor.Cpu.Decoding;

namespace Puppyvisor.Cpu;

internal static unsafe class FastOps
{
    const MethodImplOptions Inline = MethodImplOptions.AggressiveInlining;

    // ---- operands by size -----------------------------------------------------------

    // The size tests are typeof comparisons, which the JIT folds as it reads the IL: the other
    // sizes' code is never imported, which keeps a compiled block's JIT time down (a test on
    // TS.Bytes folds too, but only after every branch has been read and inlined).

    [MethodImpl(Inline)]
    static uint GetR<TS>(Cpu c, int n) where TS : struct, IOpSize =>
        typeof(TS) == typeof(Size32) ? c.R(n) : typeof(TS) == typeof(Size16) ? (ushort)c.R(n) : c.GetReg8(n);

    [MethodImpl(Inline)]
    static void SetR<TS>(Cpu c, int n, uint v) where TS : struct, IOpSize
    {
        if (typeof(TS) == typeof(Size32)) c.R(n) = v;
        else if (typeof(TS) == typeof(Size16)) c.R(n) = (c.R(n) & 0xFFFF_0000u) | (ushort)v;
        else c.SetReg8(n, v);
    }

    [MethodImpl(Inline)]
    static uint Load<TS>(Cpu c, uint ea) where TS : struct, IOpSize =>
        typeof(TS) == typeof(Size32) ? c.Read32(ea) : typeof(TS) == typeof(Size16) ? c.Read16(ea) : c.Read8(ea);

    [MethodImpl(Inline)]
    static bool Store<TS>(Cpu c, uint ea, uint v) where TS : struct, IOpSize =>
        typeof(TS) == typeof(Size32) ? c.Write32(ea, v) : typeof(TS) == typeof(Size16) ? c.Write16(ea, v) : c.Write8(ea, v);

    // ---- dst = dst op src ----------------------------------------------------------

    public static void RegReg<TOp, TS>(Cpu c, ref MicroOp op) where TOp : struct, IBinaryOp where TS : struct, IOpSize =>
        RegReg<TOp, TS>(c, op.Dst, op.Src);

    [MethodImpl(Inline), RegistersOnly]
    public static void RegReg<TOp, TS>(Cpu c, int dst, int src) where TOp : struct, IBinaryOp where TS : struct, IOpSize
    {
        uint r = TOp.Apply(c, TOp.IgnoresDestination ? 0 : GetR<TS>(c, dst), GetR<TS>(c, src), TS.Bytes);
        if (TOp.WritesBack) SetR<TS>(c, dst, r);
    }

    public static void RegImm<TOp, TS>(Cpu c, ref MicroOp op) where TOp : struct, IBinaryOp where TS : struct, IOpSize =>
        RegImm<TOp, TS>(c, op.Dst, op.Imm);

    [MethodImpl(Inline), RegistersOnly]
    public static void RegImm<TOp, TS>(Cpu c, int dst, uint imm) where TOp : struct, IBinaryOp where TS : struct, IOpSize
    {
        uint r = TOp.Apply(c, TOp.IgnoresDestination ? 0 : GetR<TS>(c, dst), imm, TS.Bytes);
        if (TOp.WritesBack) SetR<TS>(c, dst, r);
    }

    public static void RegMem<TOp, TS>(Cpu c, ref MicroOp op) where TOp : struct, IBinaryOp where TS : struct, IOpSize =>
        RegMem<TOp, TS>(c, op.Dst, c.Ea(ref op));

    [MethodImpl(Inline)]
    public static void RegMem<TOp, TS>(Cpu c, int dst, uint ea) where TOp : struct, IBinaryOp where TS : struct, IOpSize
    {
        uint b = Load<TS>(c, ea);
        if (c.Faulted) return;
        uint r = TOp.Apply(c, TOp.IgnoresDestination ? 0 : GetR<TS>(c, dst), b, TS.Bytes);
        if (TOp.WritesBack) SetR<TS>(c, dst, r);
    }

    public static void MemReg<TOp, TS>(Cpu c, ref MicroOp op) where TOp : struct, IBinaryOp where TS : struct, IOpSize =>
        MemReg<TOp, TS>(c, c.Ea(ref op), op.Src);

    [MethodImpl(Inline)]
    public static void MemReg<TOp, TS>(Cpu c, uint ea, int src) where TOp : struct, IBinaryOp where TS : struct, IOpSize =>
        MemSource<TOp, TS>(c, ea, GetR<TS>(c, src));

    public static void MemImm<TOp, TS>(Cpu c, ref MicroOp op) where TOp : struct, IBinaryOp where TS : struct, IOpSize =>
        MemImm<TOp, TS>(c, c.Ea(ref op), op.Imm);

    [MethodImpl(Inline)]
    public static void MemImm<TOp, TS>(Cpu c, uint ea, uint imm) where TOp : struct, IBinaryOp where TS : struct, IOpSize =>
        MemSource<TOp, TS>(c, ea, imm);

    [MethodImpl(Inline)]
    static void MemSource<TOp, TS>(Cpu c, uint ea, uint b) where TOp : struct, IBinaryOp where TS : struct, IOpSize
    {
        if (TOp.IgnoresDestination) { Store<TS>(c, ea, b); return; }
        if (TOp.WritesBack && !c.ProbeWrite(ea, TS.Bytes)) return;      // read-modify-write: fault before reading
        uint a = Load<TS>(c, ea);
        if (c.Faulted) return;
        uint r = TOp.Apply(c, a, b, TS.Bytes);
        if (TOp.WritesBack) Store<TS>(c, ea, r);
    }

    /// <summary>INC/DEC of memory (the same lazy flags as the register forms).</summary>
    public static void IncDecMem<TS>(Cpu c, ref MicroOp op) where TS : struct, IOpSize => IncDecMem<TS>(c, c.Ea(ref op), op.Variant);

    [MethodImpl(Inline)]
    public static void IncDecMem<TS>(Cpu c, uint ea, int variant) where TS : struct, IOpSize
    {
        if (!c.ProbeWrite(ea, TS.Bytes)) return;
        uint a = Load<TS>(c, ea);
        if (c.Faulted) return;
        uint r = variant == 0 ? a + 1 : a - 1;
        Store<TS>(c, ea, r);
        c.SetLazyIncDec(variant == 0 ? FlagOp.Inc : FlagOp.Dec, TS.Bytes, a, r);
    }

    public static void Nop(Cpu c, ref MicroOp op) => Nop(c);

    [MethodImpl(Inline), RegistersOnly]
    public static void Nop(Cpu c) { }

    /// <summary>CMOVcc r32, r32/m32: a memory source is read (and may fault) whatever the condition.</summary>
    public static void CmovReg(Cpu c, ref MicroOp op) => CmovReg(c, op.Cond, op.Dst, op.Src);

    [MethodImpl(Inline), RegistersOnly]
    public static void CmovReg(Cpu c, int cond, int dst, int src)
    {
        if (c.Condition(cond)) c.R(dst) = c.R(src);
    }

    public static void CmovMem(Cpu c, ref MicroOp op) => CmovMem(c, op.Cond, op.Dst, c.Ea(ref op));

    [MethodImpl(Inline)]
    public static void CmovMem(Cpu c, int cond, int dst, uint ea)
    {
        uint v = c.Read32(ea);
        if (!c.Faulted && c.Condition(cond)) c.R(dst) = v;
    }

    public static void SetccReg(Cpu c, ref MicroOp op) => SetccReg(c, op.Cond, op.Dst);

    [MethodImpl(Inline), RegistersOnly]
    public static void SetccReg(Cpu c, int cond, int dst) => c.SetReg8(dst, c.Condition(cond) ? 1u : 0u);

    public static void PushMem(Cpu c, ref MicroOp op) => PushMem(c, c.Ea(ref op));

    [MethodImpl(Inline)]
    public static void PushMem(Cpu c, uint ea)
    {
        uint v = c.Read32(ea);
        if (!c.Faulted) Push32(c, v);
    }

    public static void MovzxReg8(Cpu c, ref MicroOp op) => MovzxReg8(c, op.Dst, op.Src);
    public static void MovsxReg8(Cpu c, ref MicroOp op) => MovsxReg8(c, op.Dst, op.Src);
    public static void MovzxReg16(Cpu c, ref MicroOp op) => MovzxReg16(c, op.Dst, op.Src);
    public static void MovsxReg16(Cpu c, ref MicroOp op) => MovsxReg16(c, op.Dst, op.Src);

    [MethodImpl(Inline), RegistersOnly] public static void MovzxReg8(Cpu c, int dst, int src) => c.R(dst) = c.GetReg8(src);
    [MethodImpl(Inline), RegistersOnly] public static void MovsxReg8(Cpu c, int dst, int src) => c.R(dst) = (uint)(sbyte)c.GetReg8(src);
    [MethodImpl(Inline), RegistersOnly] public static void MovzxReg16(Cpu c, int dst, int src) => c.R(dst) = (ushort)c.R(src);
    [MethodImpl(Inline), RegistersOnly] public static void MovsxReg16(Cpu c, int dst, int src) => c.R(dst) = (uint)(short)c.R(src);

    /// <summary>JMP/CALL through a register or memory (switch tables, function pointers).</summary>
    public static void JmpReg(Cpu c, ref MicroOp op) => JmpReg(c, op.Src);

    [MethodImpl(Inline), RegistersOnly]
    public static void JmpReg(Cpu c, int src) => c.Eip = c.R(src);

    public static void JmpMem(Cpu c, ref MicroOp op) => JmpMem(c, c.Ea(ref op), op.NextEip);

    [MethodImpl(Inline)]
    public static void JmpMem(Cpu c, uint ea, uint nextEip)
    {
        uint target = c.Read32(ea);
        c.Eip = c.Faulted ? nextEip : target;
    }

    public static void CallReg(Cpu c, ref MicroOp op) => CallReg(c, op.Src, op.NextEip);

    [MethodImpl(Inline)]
    public static void CallReg(Cpu c, int src, uint nextEip)
    {
        uint target = c.R(src);
        c.Eip = Push32(c, nextEip) ? target : nextEip;
    }

    public static void CallMem(Cpu c, ref MicroOp op) => CallMem(c, c.Ea(ref op), op.NextEip);

    [MethodImpl(Inline)]
    public static void CallMem(Cpu c, uint ea, uint nextEip)
    {
        uint target = c.Read32(ea);
        c.Eip = !c.Faulted && Push32(c, nextEip) ? target : nextEip;
    }

    /// <summary>IMUL r32, r/m32 [, imm]: the low 32 bits; CF = OF = the product did not fit; the other flags are kept (MulDiv's rule).</summary>
    public static void ImulReg(Cpu c, ref MicroOp op) => ImulReg(c, op.Variant, op.Dst, op.Src, op.Imm);

    [MethodImpl(Inline), RegistersOnly]
    public static void ImulReg(Cpu c, int variant, int dst, int src, uint imm) => Imul(c, variant, dst, imm, c.R(src));

    public static void ImulMem(Cpu c, ref MicroOp op) => ImulMem(c, op.Variant, op.Dst, c.Ea(ref op), op.Imm);

    [MethodImpl(Inline)]
    public static void ImulMem(Cpu c, int variant, int dst, uint ea, uint imm)
    {
        uint b = c.Read32(ea);
        if (!c.Faulted) Imul(c, variant, dst, imm, b);
    }

    [MethodImpl(Inline)]
    static void Imul(Cpu c, int variant, int dst, uint imm, uint b)
    {
        long product = (long)(int)(variant == 1 ? imm : c.R(dst)) * (int)b;
        uint r = (uint)product;
        c.R(dst) = r;
        bool overflow = product != (int)r;
        // SF, ZF, AF and PF are undefined and keep their values, as on the hardware (UNDEFINED-FLAGS.md).
        c.SetArithFlags(c.SzapFlags() | (overflow ? Cpu.CF | Cpu.OF : 0));
    }

    // ---- INC, DEC, LEA ---------------------------------------------------------

    public static void IncReg(Cpu c, ref MicroOp op) => IncReg(c, op.Dst);

    [MethodImpl(Inline), RegistersOnly]
    public static void IncReg(Cpu c, int dst)
    {
        ref uint d = ref c.R(dst);
        uint a = d;
        d = a + 1;
        c.SetLazyIncDec(FlagOp.Inc, 4, a, a + 1);
    }

    public static void DecReg(Cpu c, ref MicroOp op) => DecReg(c, op.Dst);

    [MethodImpl(Inline), RegistersOnly]
    public static void DecReg(Cpu c, int dst)
    {
        ref uint d = ref c.R(dst);
        uint a = d;
        d = a - 1;
        c.SetLazyIncDec(FlagOp.Dec, 4, a, a - 1);
    }

    /// <summary>LEA: the offset only; the compact form never adds a segment base for LEA.</summary>
    public static void Lea(Cpu c, ref MicroOp op) => Lea(c, op.Dst, c.Ea(ref op));

    [MethodImpl(Inline), RegistersOnly]
    public static void Lea(Cpu c, int dst, uint ea) => c.R(dst) = ea;

    // ---- the stack ---------------------------------------------------------------

    public static void PushReg(Cpu c, ref MicroOp op) => PushReg(c, op.Src);
    public static void PushImm(Cpu c, ref MicroOp op) => PushImm(c, op.Imm);

    [MethodImpl(Inline)] public static void PushReg(Cpu c, int src) => Push32(c, c.R(src));
    [MethodImpl(Inline)] public static void PushImm(Cpu c, uint imm) => Push32(c, imm);

    [MethodImpl(Inline)]
    static bool Push32(Cpu c, uint value)
    {
        uint esp = c.R(4) - 4;
        if (!c.Write32(esp, value)) return false;
        c.R(4) = esp;
        return true;
    }

    public static void PopReg(Cpu c, ref MicroOp op) => PopReg(c, op.Dst);

    [MethodImpl(Inline)]
    public static void PopReg(Cpu c, int dst)
    {
        uint esp = c.R(4);
        uint v = c.Read32(esp);
        if (c.Faulted) return;
        c.R(4) = esp + 4;
        c.R(dst) = v;                               // POP ESP: the popped value wins
    }

    // ---- near branches (they set EIP) ---------------------------------------------

    public static void Jmp(Cpu c, ref MicroOp op) => Jmp(c, op.Imm);

    [MethodImpl(Inline), RegistersOnly]
    public static void Jmp(Cpu c, uint imm) => c.Eip = imm;

    public static void Jcc(Cpu c, ref MicroOp op) => Jcc(c, op.Cond, op.Imm, op.NextEip);

    [MethodImpl(Inline), RegistersOnly]
    public static void Jcc(Cpu c, int cond, uint imm, uint nextEip) => c.Eip = c.Condition(cond) ? imm : nextEip;

    public static void Call(Cpu c, ref MicroOp op) => Call(c, op.Imm, op.NextEip);

    [MethodImpl(Inline)]
    public static void Call(Cpu c, uint imm, uint nextEip)
    {
        if (Push32(c, nextEip)) c.Eip = imm;
        else c.Eip = nextEip;                       // faulted: the fault path resets EIP
    }

    public static void Ret(Cpu c, ref MicroOp op) => Ret(c, op.Imm, op.NextEip);

    [MethodImpl(Inline)]
    public static void Ret(Cpu c, uint imm, uint nextEip)
    {
        uint esp = c.R(4);
        uint target = c.Read32(esp);
        if (c.Faulted) { c.Eip = nextEip; return; }
        c.R(4) = esp + 4 + imm;
        c.Eip = target;
    }

    // ---- loads that widen, shifts ---------------------------------------------------

    public static void MovzxMem8(Cpu c, ref MicroOp op) => MovzxMem8(c, op.Dst, c.Ea(ref op));
    public static void MovzxMem16(Cpu c, ref MicroOp op) => MovzxMem16(c, op.Dst, c.Ea(ref op));
    public static void MovsxMem8(Cpu c, ref MicroOp op) => MovsxMem8(c, op.Dst, c.Ea(ref op));
    public static void MovsxMem16(Cpu c, ref MicroOp op) => MovsxMem16(c, op.Dst, c.Ea(ref op));

    [MethodImpl(Inline)]
    public static void MovzxMem8(Cpu c, int dst, uint ea)
    {
        uint v = c.Read8(ea);
        if (!c.Faulted) c.R(dst) = v;
    }

    [MethodImpl(Inline)]
    public static void MovzxMem16(Cpu c, int dst, uint ea)
    {
        uint v = c.Read16(ea);
        if (!c.Faulted) c.R(dst) = v;
    }

    [MethodImpl(Inline)]
    public static void MovsxMem8(Cpu c, int dst, uint ea)
    {
        uint v = c.Read8(ea);
        if (!c.Faulted) c.R(dst) = (uint)(sbyte)v;
    }

    [MethodImpl(Inline)]
    public static void MovsxMem16(Cpu c, int dst, uint ea)
    {
        uint v = c.Read16(ea);
        if (!c.Faulted) c.R(dst) = (uint)(short)v;
    }

    /// <summary>SHL/SHR/SAR r32 by an immediate (masked count 1..31) or by CL; flags stay lazy (FlagOp.Shl...).</summary>
    public static void ShlImm(Cpu c, ref MicroOp op) => ShlImm(c, op.Dst, op.Imm);
    public static void ShrImm(Cpu c, ref MicroOp op) => ShrImm(c, op.Dst, op.Imm);
    public static void SarImm(Cpu c, ref MicroOp op) => SarImm(c, op.Dst, op.Imm);
    public static void ShlCl(Cpu c, ref MicroOp op) => ShlCl(c, op.Dst);
    public static void ShrCl(Cpu c, ref MicroOp op) => ShrCl(c, op.Dst);
    public static void SarCl(Cpu c, ref MicroOp op) => SarCl(c, op.Dst);

    [MethodImpl(Inline), RegistersOnly] public static void ShlImm(Cpu c, int dst, uint imm) => Shift(c, dst, FlagOp.Shl, (int)imm);
    [MethodImpl(Inline), RegistersOnly] public static void ShrImm(Cpu c, int dst, uint imm) => Shift(c, dst, FlagOp.Shr, (int)imm);
    [MethodImpl(Inline), RegistersOnly] public static void SarImm(Cpu c, int dst, uint imm) => Shift(c, dst, FlagOp.Sar, (int)imm);
    [MethodImpl(Inline), RegistersOnly] public static void ShlCl(Cpu c, int dst) => Shift(c, dst, FlagOp.Shl, (int)c.R(1) & 31);
    [MethodImpl(Inline), RegistersOnly] public static void ShrCl(Cpu c, int dst) => Shift(c, dst, FlagOp.Shr, (int)c.R(1) & 31);
    [MethodImpl(Inline), RegistersOnly] public static void SarCl(Cpu c, int dst) => Shift(c, dst, FlagOp.Sar, (int)c.R(1) & 31);

    [MethodImpl(Inline)]
    static void Shift(Cpu c, int dst, FlagOp kind, int n)
    {
        if (n == 0) return;                                  // a masked count of 0 changes nothing, flags included
        ref uint d = ref c.R(dst);
        uint a = d;
        d = kind == FlagOp.Shl ? a << n : kind == FlagOp.Shr ? a >> n : (uint)((int)a >> n);
        c.SetLazy(kind, 4, a, (uint)n, d);
    }

    /// <summary>ROL/ROR r32 by an immediate or CL: only CF and OF change (OF as ShiftRotate: the hardware's rule above count 1).</summary>
    public static void RolImm(Cpu c, ref MicroOp op) => RolImm(c, op.Dst, op.Imm);
    public static void RorImm(Cpu c, ref MicroOp op) => RorImm(c, op.Dst, op.Imm);
    public static void RolCl(Cpu c, ref MicroOp op) => RolCl(c, op.Dst);
    public static void RorCl(Cpu c, ref MicroOp op) => RorCl(c, op.Dst);

    [MethodImpl(Inline), RegistersOnly] public static void RolImm(Cpu c, int dst, uint imm) => Rotate(c, dst, left: true, (int)imm);
    [MethodImpl(Inline), RegistersOnly] public static void RorImm(Cpu c, int dst, uint imm) => Rotate(c, dst, left: false, (int)imm);
    [MethodImpl(Inline), RegistersOnly] public static void RolCl(Cpu c, int dst) => Rotate(c, dst, left: true, (int)c.R(1) & 31);
    [MethodImpl(Inline), RegistersOnly] public static void RorCl(Cpu c, int dst) => Rotate(c, dst, left: false, (int)c.R(1) & 31);

    [MethodImpl(Inline)]
    static void Rotate(Cpu c, int dst, bool left, int n)
    {
        if (n == 0) return;
        ref uint d = ref c.R(dst);
        uint r = left ? System.Numerics.BitOperations.RotateLeft(d, n) : System.Numerics.BitOperations.RotateRight(d, n);
        d = r;
        bool cf = left ? (r & 1) != 0 : (r >> 31) != 0;
        bool of = left ? ((r >> 31) != 0) != cf : ((r >> 31) ^ ((r >> 30) & 1)) != 0;
        c.SetArithFlags(c.SzapFlags() | (cf ? Cpu.CF : 0) | (of ? Cpu.OF : 0));
    }

    public static void NotReg(Cpu c, ref MicroOp op) => NotReg(c, op.Dst);
    public static void NegReg(Cpu c, ref MicroOp op) => NegReg(c, op.Dst);

    [MethodImpl(Inline), RegistersOnly]
    public static void NotReg(Cpu c, int dst) => c.R(dst) = ~c.R(dst);

    [MethodImpl(Inline), RegistersOnly]
    public static void NegReg(Cpu c, int dst)
    {
        ref uint d = ref c.R(dst);
        uint a = d;
        d = 0 - a;
        c.SetLazy(FlagOp.Sub, 4, 0, a, 0 - a);
    }

    // ---- MUL and DIV of EDX:EAX, SHLD/SHRD, BSWAP ---------------------------------------

    public static void MulReg(Cpu c, ref MicroOp op) => MulReg(c, op.Src);
    public static void MulMem(Cpu c, ref MicroOp op) => MulMem(c, c.Ea(ref op));

    [MethodImpl(Inline), RegistersOnly]
    public static void MulReg(Cpu c, int src) => Instructions.MulDiv.Multiply(c, 4, c.R(src));

    [MethodImpl(Inline)]
    public static void MulMem(Cpu c, uint ea)
    {
        uint v = c.Read32(ea);
        if (!c.Faulted) Instructions.MulDiv.Multiply(c, 4, v);
    }

    public static void DivReg(Cpu c, ref MicroOp op) => DivReg(c, op.Src);
    public static void DivMem(Cpu c, ref MicroOp op) => DivMem(c, c.Ea(ref op));

    /// <summary>DIV r/m32: EDX:EAX by the source, #DE as MulDiv's DIV (so not RegistersOnly).</summary>
    [MethodImpl(Inline)]
    public static void DivReg(Cpu c, int src) => Instructions.MulDiv.Divide(c, 4, c.R(src));

    [MethodImpl(Inline)]
    public static void DivMem(Cpu c, uint ea)
    {
        uint v = c.Read32(ea);
        if (!c.Faulted) Instructions.MulDiv.Divide(c, 4, v);
    }

    public static void ShldImm(Cpu c, ref MicroOp op) => ShldImm(c, op.Dst, op.Src, op.Imm);
    public static void ShrdImm(Cpu c, ref MicroOp op) => ShrdImm(c, op.Dst, op.Src, op.Imm);
    public static void ShldCl(Cpu c, ref MicroOp op) => ShldCl(c, op.Dst, op.Src);
    public static void ShrdCl(Cpu c, ref MicroOp op) => ShrdCl(c, op.Dst, op.Src);

    [MethodImpl(Inline), RegistersOnly] public static void ShldImm(Cpu c, int dst, int src, uint imm) => DoubleShift(c, dst, src, (int)imm, left: true);
    [MethodImpl(Inline), RegistersOnly] public static void ShrdImm(Cpu c, int dst, int src, uint imm) => DoubleShift(c, dst, src, (int)imm, left: false);
    [MethodImpl(Inline), RegistersOnly] public static void ShldCl(Cpu c, int dst, int src) => DoubleShift(c, dst, src, (int)c.R(1) & 31, left: true);
    [MethodImpl(Inline), RegistersOnly] public static void ShrdCl(Cpu c, int dst, int src) => DoubleShift(c, dst, src, (int)c.R(1) & 31, left: false);

    /// <summary>SHLD/SHRD r32, r32 by a masked count; 0 changes nothing (ShiftRotate's rules).</summary>
    [MethodImpl(Inline)]
    static void DoubleShift(Cpu c, int dst, int src, int count, bool left)
    {
        if (count == 0) return;
        uint d = c.R(dst), s = c.R(src);
        uint result = left ? Instructions.ShiftRotate.Shld(32, d, s, count, out bool cf, out bool of)
                           : Instructions.ShiftRotate.Shrd(32, d, s, count, out cf, out of);
        c.R(dst) = result;
        c.SetArithFlags(Instructions.ShiftRotate.ShiftFlags(result, 4, cf, of));
    }

    public static void BswapReg(Cpu c, ref MicroOp op) => BswapReg(c, op.Dst);

    [MethodImpl(Inline), RegistersOnly]
    public static void BswapReg(Cpu c, int dst) => c.R(dst) = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(c.R(dst));

    // ---- everything else -----------------------------------------------------------

    /// <summary>Runs the family handler on the Iced instruction, with EIP and InstructionStart as it expects.</summary>
    public static void RunLegacy(Cpu c, ref MicroOp op)
    {
        c.SyncRetired(op.Slot);
        c.ClearInterruptShadow();
        c.InstructionStart = op.Eip;
        c.Eip = op.NextEip;
        op.Legacy(c, ref op.Source[op.Slot]);
    }
}
