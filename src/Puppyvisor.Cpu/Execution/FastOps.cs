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

/// <summary>A two-operand operation: result and flags from (a, b).</summary>
internal interface IBinaryOp
{
    static abstract uint Apply(Cpu cpu, uint a, uint b);
    /// <summary>False for CMP and TEST: only the flags change.</summary>
    static abstract bool WritesBack { get; }
    /// <summary>True for MOV: the old destination is not read.</summary>
    static abstract bool IgnoresDestination { get; }
}

internal struct AddOp : IBinaryOp
{
    public static uint Apply(Cpu c, uint a, uint b) { uint r = a + b; c.SetLazy(FlagOp.Add, 4, a, b, r); return r; }
    public static bool WritesBack => true;
    public static bool IgnoresDestination => false;
}

internal struct SubOp : IBinaryOp
{
    public static uint Apply(Cpu c, uint a, uint b) { uint r = a - b; c.SetLazy(FlagOp.Sub, 4, a, b, r); return r; }
    public static bool WritesBack => true;
    public static bool IgnoresDestination => false;
}

internal struct CmpOp : IBinaryOp
{
    public static uint Apply(Cpu c, uint a, uint b) { c.SetLazy(FlagOp.Sub, 4, a, b, a - b); return a; }
    public static bool WritesBack => false;
    public static bool IgnoresDestination => false;
}

internal struct AndOp : IBinaryOp
{
    public static uint Apply(Cpu c, uint a, uint b) { uint r = a & b; c.SetLazy(FlagOp.Logic, 4, 0, 0, r); return r; }
    public static bool WritesBack => true;
    public static bool IgnoresDestination => false;
}

internal struct OrOp : IBinaryOp
{
    public static uint Apply(Cpu c, uint a, uint b) { uint r = a | b; c.SetLazy(FlagOp.Logic, 4, 0, 0, r); return r; }
    public static bool WritesBack => true;
    public static bool IgnoresDestination => false;
}

internal struct XorOp : IBinaryOp
{
    public static uint Apply(Cpu c, uint a, uint b) { uint r = a ^ b; c.SetLazy(FlagOp.Logic, 4, 0, 0, r); return r; }
    public static bool WritesBack => true;
    public static bool IgnoresDestination => false;
}

internal struct TestOp : IBinaryOp
{
    public static uint Apply(Cpu c, uint a, uint b) { c.SetLazy(FlagOp.Logic, 4, 0, 0, a & b); return a; }
    public static bool WritesBack => false;
    public static bool IgnoresDestination => false;
}

internal struct MovOp : IBinaryOp
{
    public static uint Apply(Cpu c, uint a, uint b) => b;
    public static bool WritesBack => true;
    public static bool IgnoresDestination => true;
}

internal static unsafe class FastOps
{
    // ---- dst = dst op src, 32-bit ----------------------------------------------

    public static void RegReg<TOp>(Cpu c, ref MicroOp op) where TOp : struct, IBinaryOp
    {
        ref uint d = ref c.R(op.Dst);
        uint r = TOp.Apply(c, TOp.IgnoresDestination ? 0 : d, c.R(op.Src));
        if (TOp.WritesBack) d = r;
    }

    public static void RegImm<TOp>(Cpu c, ref MicroOp op) where TOp : struct, IBinaryOp
    {
        ref uint d = ref c.R(op.Dst);
        uint r = TOp.Apply(c, TOp.IgnoresDestination ? 0 : d, op.Imm);
        if (TOp.WritesBack) d = r;
    }

    public static void RegMem<TOp>(Cpu c, ref MicroOp op) where TOp : struct, IBinaryOp
    {
        uint b = c.Read32(c.Ea(ref op));
        if (c.Faulted) return;
        ref uint d = ref c.R(op.Dst);
        uint r = TOp.Apply(c, TOp.IgnoresDestination ? 0 : d, b);
        if (TOp.WritesBack) d = r;
    }

    public static void MemReg<TOp>(Cpu c, ref MicroOp op) where TOp : struct, IBinaryOp =>
        MemSource<TOp>(c, ref op, c.R(op.Src));

    public static void MemImm<TOp>(Cpu c, ref MicroOp op) where TOp : struct, IBinaryOp =>
        MemSource<TOp>(c, ref op, op.Imm);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void MemSource<TOp>(Cpu c, ref MicroOp op, uint b) where TOp : struct, IBinaryOp
    {
        uint ea = c.Ea(ref op);
        if (TOp.IgnoresDestination) { c.Write32(ea, b); return; }
        if (TOp.WritesBack && !c.ProbeWrite(ea, 4)) return;      // read-modify-write: fault before reading
        uint a = c.Read32(ea);
        if (c.Faulted) return;
        uint r = TOp.Apply(c, a, b);
        if (TOp.WritesBack) c.Write32(ea, r);
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
        uint v = c.ReadMem(c.Ea(ref op), 1);
        if (!c.Faulted) c.R(op.Dst) = v;
    }

    public static void MovzxMem16(Cpu c, ref MicroOp op)
    {
        uint v = c.ReadMem(c.Ea(ref op), 2);
        if (!c.Faulted) c.R(op.Dst) = v;
    }

    public static void MovsxMem8(Cpu c, ref MicroOp op)
    {
        uint v = c.ReadMem(c.Ea(ref op), 1);
        if (!c.Faulted) c.R(op.Dst) = (uint)(sbyte)v;
    }

    public static void MovsxMem16(Cpu c, ref MicroOp op)
    {
        uint v = c.ReadMem(c.Ea(ref op), 2);
        if (!c.Faulted) c.R(op.Dst) = (uint)(short)v;
    }

    /// <summary>SHL/SHR/SAR r32, imm8 with a masked count of 2..31; flags stay lazy (FlagOp.Shl...).</summary>
    public static void ShlImm(Cpu c, ref MicroOp op)
    {
        ref uint d = ref c.R(op.Dst);
        uint a = d;
        d = a << (int)op.Imm;
        c.SetLazy(FlagOp.Shl, 4, a, op.Imm, d);
    }

    public static void ShrImm(Cpu c, ref MicroOp op)
    {
        ref uint d = ref c.R(op.Dst);
        uint a = d;
        d = a >> (int)op.Imm;
        c.SetLazy(FlagOp.Shr, 4, a, op.Imm, d);
    }

    public static void SarImm(Cpu c, ref MicroOp op)
    {
        ref uint d = ref c.R(op.Dst);
        uint a = d;
        d = (uint)((int)a >> (int)op.Imm);
        c.SetLazy(FlagOp.Sar, 4, a, op.Imm, d);
    }

    // ---- everything else -----------------------------------------------------------

    /// <summary>Runs the family handler on the Iced instruction, with EIP and InstructionStart as it expects.</summary>
    public static void RunLegacy(Cpu c, ref MicroOp op)
    {
        c.SyncRetired(op.Slot);
        c.ClearInterruptShadow();
        c.InstructionStart = op.Eip;
        c.Eip = op.NextEip;
        op.Legacy(c, ref c.CurrentInstructions[op.Slot]);
    }
}
