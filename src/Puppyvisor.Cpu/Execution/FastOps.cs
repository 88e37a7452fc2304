// [C:530] Fast forms: the instructions compiled C runs most, on compact operands.
//
// One generic body per operand form (register/immediate/memory), specialised by the
// JIT for each operation (Aeon's generic instruction bodies): ADD, SUB, AND, OR, XOR,
// CMP, TEST and MOV at 32 bits, INC/DEC, LEA, PUSH/POP, the near branches, MOVZX/MOVSX
// loads and shifts by an immediate. Semantics are the family handlers' exactly (the
// vectors run with these on and off); anything else runs through RunLegacy.
using System.Runtime.CompilerServices;
using Iced.Intel;
using Puppyvisor.Cpu.Decoding;

namespace Puppyvisor.Cpu;

internal static unsafe class FastOps
{
    // ---- operands by size -----------------------------------------------------------

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static uint GetR<TS>(Cpu c, int n) where TS : struct, IOpSize => TS.Bytes == 4 ? c.R(n) : c.GetReg8(n);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void SetR<TS>(Cpu c, int n, uint v) where TS : struct, IOpSize
    {
        if (TS.Bytes == 4) c.R(n) = v; else c.SetReg8(n, v);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static uint Load<TS>(Cpu c, uint ea) where TS : struct, IOpSize => TS.Bytes == 4 ? c.Read32(ea) : c.Read8(ea);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static bool Store<TS>(Cpu c, uint ea, uint v) where TS : struct, IOpSize => TS.Bytes == 4 ? c.Write32(ea, v) : c.Write8(ea, v);

    // ---- dst = dst op src ----------------------------------------------------------

    public static void RegReg<TOp, TS>(Cpu c, ref MicroOp op) where TOp : struct, IBinaryOp where TS : struct, IOpSize
    {
        uint r = TOp.Apply(c, TOp.IgnoresDestination ? 0 : GetR<TS>(c, op.Dst), GetR<TS>(c, op.Src), TS.Bytes);
        if (TOp.WritesBack) SetR<TS>(c, op.Dst, r);
    }

    public static void RegImm<TOp, TS>(Cpu c, ref MicroOp op) where TOp : struct, IBinaryOp where TS : struct, IOpSize
    {
        uint r = TOp.Apply(c, TOp.IgnoresDestination ? 0 : GetR<TS>(c, op.Dst), op.Imm, TS.Bytes);
        if (TOp.WritesBack) SetR<TS>(c, op.Dst, r);
    }

    public static void RegMem<TOp, TS>(Cpu c, ref MicroOp op) where TOp : struct, IBinaryOp where TS : struct, IOpSize
    {
        uint b = Load<TS>(c, c.Ea(ref op));
        if (c.Faulted) return;
        uint r = TOp.Apply(c, TOp.IgnoresDestination ? 0 : GetR<TS>(c, op.Dst), b, TS.Bytes);
        if (TOp.WritesBack) SetR<TS>(c, op.Dst, r);
    }

    public static void MemReg<TOp, TS>(Cpu c, ref MicroOp op) where TOp : struct, IBinaryOp where TS : struct, IOpSize =>
        MemSource<TOp, TS>(c, ref op, GetR<TS>(c, op.Src));

    public static void MemImm<TOp, TS>(Cpu c, ref MicroOp op) where TOp : struct, IBinaryOp where TS : struct, IOpSize =>
        MemSource<TOp, TS>(c, ref op, op.Imm);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void MemSource<TOp, TS>(Cpu c, ref MicroOp op, uint b) where TOp : struct, IBinaryOp where TS : struct, IOpSize
    {
        uint ea = c.Ea(ref op);
        if (TOp.IgnoresDestination) { Store<TS>(c, ea, b); return; }
        if (TOp.WritesBack && !c.ProbeWrite(ea, TS.Bytes)) return;      // read-modify-write: fault before reading
        uint a = Load<TS>(c, ea);
        if (c.Faulted) return;
        uint r = TOp.Apply(c, a, b, TS.Bytes);
        if (TOp.WritesBack) Store<TS>(c, ea, r);
    }

    /// <summary>INC/DEC of memory (the same lazy flags as the register forms).</summary>
    public static void IncDecMem<TS>(Cpu c, ref MicroOp op) where TS : struct, IOpSize
    {
        uint ea = c.Ea(ref op);
        if (!c.ProbeWrite(ea, TS.Bytes)) return;
        uint a = Load<TS>(c, ea);
        if (c.Faulted) return;
        uint r = op.Variant == 0 ? a + 1 : a - 1;
        Store<TS>(c, ea, r);
        c.SetLazyIncDec(op.Variant == 0 ? FlagOp.Inc : FlagOp.Dec, TS.Bytes, a, r);
    }

    public static void Nop(Cpu c, ref MicroOp op) { }

    /// <summary>CMOVcc r32, r32/m32: a memory source is read (and may fault) whatever the condition.</summary>
    public static void CmovReg(Cpu c, ref MicroOp op)
    {
        if (c.Condition(op.Cond)) c.R(op.Dst) = c.R(op.Src);
    }

    public static void CmovMem(Cpu c, ref MicroOp op)
    {
        uint v = c.Read32(c.Ea(ref op));
        if (!c.Faulted && c.Condition(op.Cond)) c.R(op.Dst) = v;
    }

    public static void SetccReg(Cpu c, ref MicroOp op) => c.SetReg8(op.Dst, c.Condition(op.Cond) ? 1u : 0u);

    public static void PushMem(Cpu c, ref MicroOp op)
    {
        uint v = c.Read32(c.Ea(ref op));
        if (!c.Faulted) Push32(c, v);
    }

    public static void MovzxReg8(Cpu c, ref MicroOp op) => c.R(op.Dst) = c.GetReg8(op.Src);
    public static void MovsxReg8(Cpu c, ref MicroOp op) => c.R(op.Dst) = (uint)(sbyte)c.GetReg8(op.Src);
    public static void MovzxReg16(Cpu c, ref MicroOp op) => c.R(op.Dst) = (ushort)c.R(op.Src);
    public static void MovsxReg16(Cpu c, ref MicroOp op) => c.R(op.Dst) = (uint)(short)c.R(op.Src);

    /// <summary>JMP/CALL through a register or memory (switch tables, function pointers).</summary>
    public static void JmpReg(Cpu c, ref MicroOp op) => c.Eip = c.R(op.Src);

    public static void JmpMem(Cpu c, ref MicroOp op)
    {
        uint target = c.Read32(c.Ea(ref op));
        c.Eip = c.Faulted ? op.NextEip : target;
    }

    public static void CallReg(Cpu c, ref MicroOp op)
    {
        uint target = c.R(op.Src);
        c.Eip = Push32(c, op.NextEip) ? target : op.NextEip;
    }

    public static void CallMem(Cpu c, ref MicroOp op)
    {
        uint target = c.Read32(c.Ea(ref op));
        c.Eip = !c.Faulted && Push32(c, op.NextEip) ? target : op.NextEip;
    }

    /// <summary>IMUL r32, r/m32 [, imm]: the low 32 bits; CF = OF = the product did not fit; the other flags are kept (MulDiv's rule).</summary>
    public static void ImulReg(Cpu c, ref MicroOp op) => Imul(c, ref op, c.R(op.Src));

    public static void ImulMem(Cpu c, ref MicroOp op)
    {
        uint b = c.Read32(c.Ea(ref op));
        if (!c.Faulted) Imul(c, ref op, b);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Imul(Cpu c, ref MicroOp op, uint b)
    {
        long product = (long)(int)(op.Variant == 1 ? op.Imm : c.R(op.Dst)) * (int)b;
        uint r = (uint)product;
        c.R(op.Dst) = r;
        bool overflow = product != (int)r;
        // SF, ZF, AF and PF are undefined and keep their values, as on the hardware (UNDEFINED-FLAGS.md).
        c.SetArithFlags((c.Eflags & ~(Cpu.CF | Cpu.OF)) | (overflow ? Cpu.CF | Cpu.OF : 0));
    }

    // ---- INC, DEC, LEA ---------------------------------------------------------

    public static void IncReg(Cpu c, ref MicroOp op)
    {
        ref uint d = ref c.R(op.Dst);
        uint a = d;
        d = a + 1;
        c.SetLazyIncDec(FlagOp.Inc, 4, a, a + 1);
    }

    public static void DecReg(Cpu c, ref MicroOp op)
    {
        ref uint d = ref c.R(op.Dst);
        uint a = d;
        d = a - 1;
        c.SetLazyIncDec(FlagOp.Dec, 4, a, a - 1);
    }

    /// <summary>LEA: the offset only; the compact form never adds a segment base for LEA.</summary>
    public static void Lea(Cpu c, ref MicroOp op) => c.R(op.Dst) = c.Ea(ref op);

    // ---- the stack ---------------------------------------------------------------

    public static void PushReg(Cpu c, ref MicroOp op) => Push32(c, c.R(op.Src));
    public static void PushImm(Cpu c, ref MicroOp op) => Push32(c, op.Imm);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static bool Push32(Cpu c, uint value)
    {
        uint esp = c.R(4) - 4;
        if (!c.Write32(esp, value)) return false;
        c.R(4) = esp;
        return true;
    }

    public static void PopReg(Cpu c, ref MicroOp op)
    {
        uint esp = c.R(4);
        uint v = c.Read32(esp);
        if (c.Faulted) return;
        c.R(4) = esp + 4;
        c.R(op.Dst) = v;                            // POP ESP: the popped value wins
    }

    // ---- near branches (they set EIP) ---------------------------------------------

    public static void Jmp(Cpu c, ref MicroOp op) => c.Eip = op.Imm;

    public static void Jcc(Cpu c, ref MicroOp op) => c.Eip = c.Condition(op.Cond) ? op.Imm : op.NextEip;

    public static void Call(Cpu c, ref MicroOp op)
    {
        if (Push32(c, op.NextEip)) c.Eip = op.Imm;
        else c.Eip = op.NextEip;                    // faulted: the fault path resets EIP
    }

    public static void Ret(Cpu c, ref MicroOp op)
    {
        uint esp = c.R(4);
        uint target = c.Read32(esp);
        if (c.Faulted) { c.Eip = op.NextEip; return; }
        c.R(4) = esp + 4 + op.Imm;
        c.Eip = target;
    }

    // ---- loads that widen, shifts ---------------------------------------------------

    public static void MovzxMem8(Cpu c, ref MicroOp op)
    {
        uint v = c.Read8(c.Ea(ref op));
        if (!c.Faulted) c.R(op.Dst) = v;
    }

    public static void MovzxMem16(Cpu c, ref MicroOp op)
    {
        uint v = c.Read16(c.Ea(ref op));
        if (!c.Faulted) c.R(op.Dst) = v;
    }

    public static void MovsxMem8(Cpu c, ref MicroOp op)
    {
        uint v = c.Read8(c.Ea(ref op));
        if (!c.Faulted) c.R(op.Dst) = (uint)(sbyte)v;
    }

    public static void MovsxMem16(Cpu c, ref MicroOp op)
    {
        uint v = c.Read16(c.Ea(ref op));
        if (!c.Faulted) c.R(op.Dst) = (uint)(short)v;
    }

    /// <summary>SHL/SHR/SAR r32 by an immediate (masked count 1..31) or by CL; flags stay lazy (FlagOp.Shl...).</summary>
    public static void ShlImm(Cpu c, ref MicroOp op) => Shift(c, ref op, FlagOp.Shl, (int)op.Imm);
    public static void ShrImm(Cpu c, ref MicroOp op) => Shift(c, ref op, FlagOp.Shr, (int)op.Imm);
    public static void SarImm(Cpu c, ref MicroOp op) => Shift(c, ref op, FlagOp.Sar, (int)op.Imm);
    public static void ShlCl(Cpu c, ref MicroOp op) => Shift(c, ref op, FlagOp.Shl, (int)c.R(1) & 31);
    public static void ShrCl(Cpu c, ref MicroOp op) => Shift(c, ref op, FlagOp.Shr, (int)c.R(1) & 31);
    public static void SarCl(Cpu c, ref MicroOp op) => Shift(c, ref op, FlagOp.Sar, (int)c.R(1) & 31);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Shift(Cpu c, ref MicroOp op, FlagOp kind, int n)
    {
        if (n == 0) return;                                  // a masked count of 0 changes nothing, flags included
        ref uint d = ref c.R(op.Dst);
        uint a = d;
        d = kind == FlagOp.Shl ? a << n : kind == FlagOp.Shr ? a >> n : (uint)((int)a >> n);
        c.SetLazy(kind, 4, a, (uint)n, d);
    }

    /// <summary>ROL/ROR r32 by an immediate or CL: only CF and OF change (OF as ShiftRotate: the hardware's rule above count 1).</summary>
    public static void RolImm(Cpu c, ref MicroOp op) => Rotate(c, ref op, left: true, (int)op.Imm);
    public static void RorImm(Cpu c, ref MicroOp op) => Rotate(c, ref op, left: false, (int)op.Imm);
    public static void RolCl(Cpu c, ref MicroOp op) => Rotate(c, ref op, left: true, (int)c.R(1) & 31);
    public static void RorCl(Cpu c, ref MicroOp op) => Rotate(c, ref op, left: false, (int)c.R(1) & 31);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Rotate(Cpu c, ref MicroOp op, bool left, int n)
    {
        if (n == 0) return;
        ref uint d = ref c.R(op.Dst);
        uint r = left ? System.Numerics.BitOperations.RotateLeft(d, n) : System.Numerics.BitOperations.RotateRight(d, n);
        d = r;
        bool cf = left ? (r & 1) != 0 : (r >> 31) != 0;
        bool of = left ? ((r >> 31) != 0) != cf : ((r >> 31) ^ ((r >> 30) & 1)) != 0;
        uint flags = c.Eflags & ~(Cpu.CF | Cpu.OF);
        c.SetArithFlags(flags | (cf ? Cpu.CF : 0) | (of ? Cpu.OF : 0));
    }

    public static void NotReg(Cpu c, ref MicroOp op) => c.R(op.Dst) = ~c.R(op.Dst);

    public static void NegReg(Cpu c, ref MicroOp op)
    {
        ref uint d = ref c.R(op.Dst);
        uint a = d;
        d = 0 - a;
        c.SetLazy(FlagOp.Sub, 4, 0, a, 0 - a);
    }

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
