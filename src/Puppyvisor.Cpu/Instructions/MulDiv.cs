// [C:812] Multiply and divide: MUL, IMUL (one, two and three operands), DIV, IDIV (SDM Vol. 2).
//
// Multiplies set CF = OF when the product does not fit the destination (MUL: the high
// half is not zero; IMUL: the product is not the sign extension of its low half). Divides
// raise #DE for a zero divisor or a quotient that does not fit, changing nothing.
// Undefined flags (tests/vectors/UNDEFINED-FLAGS.md), as the vectors' AMD CPU leaves them:
// multiplies keep SF, ZF, AF and PF; a divide keeps CF and OF and sets SF = ZF = PF = 0, AF = 1.
using Iced.Intel;
using static Iced.Intel.Code;

namespace Puppyvisor.Cpu.Instructions;

internal static unsafe class MulDiv
{
    public static void Register()
    {
        DispatchTable.Set(&Mul, Mul_rm8, Mul_rm16, Mul_rm32);
        DispatchTable.Set(&ImulOneOperand, Imul_rm8, Imul_rm16, Imul_rm32);
        DispatchTable.Set(&Imul, Imul_r16_rm16, Imul_r32_rm32, Imul_r16_rm16_imm8, Imul_r16_rm16_imm16,
            Imul_r32_rm32_imm8, Imul_r32_rm32_imm32);
        DispatchTable.Set(&Div, Div_rm8, Div_rm16, Div_rm32);
        DispatchTable.Set(&Idiv, Idiv_rm8, Idiv_rm16, Idiv_rm32);
    }

    static int SignExtend(uint v, int size) => size switch { 1 => (sbyte)v, 2 => (short)v, _ => (int)v };

    internal static void SetMulFlags(Cpu cpu, bool overflow) =>
        cpu.SetArithFlags(cpu.SzapFlags() | (overflow ? Cpu.CF | Cpu.OF : 0));

    /// <summary>After a divide that did not fault: CF and OF as they were, SF = ZF = PF = 0, AF = 1.</summary>
    internal static void SetDivFlags(Cpu cpu) => cpu.SetArithFlags((cpu.Eflags & (Cpu.CF | Cpu.OF)) | Cpu.AF);

    /// <summary>MUL r/m: AX = AL * src, DX:AX = AX * src, EDX:EAX = EAX * src (unsigned).</summary>
    static void Mul(Cpu cpu, ref Instruction insn)
    {
        int size = Cpu.OperandSize(ref insn, 0);
        uint src = cpu.ReadOperand(ref insn, 0, size);
        if (!cpu.Faulted) Multiply(cpu, size, src);
    }

    /// <summary>MUL once its source is read (also the fast forms', FastOps.cs).</summary>
    internal static void Multiply(Cpu cpu, int size, uint src)
    {
        ulong product = (ulong)cpu.GetRegister(Accumulator(size)) * src;
        StoreDouble(cpu, size, product);
        SetMulFlags(cpu, (product >> (8 * size)) != 0);
    }

    /// <summary>IMUL r/m: the signed double-width product into AX, DX:AX or EDX:EAX.</summary>
    static void ImulOneOperand(Cpu cpu, ref Instruction insn)
    {
        int size = Cpu.OperandSize(ref insn, 0);
        uint src = cpu.ReadOperand(ref insn, 0, size);
        if (cpu.Faulted) return;
        long product = (long)SignExtend(cpu.GetRegister(Accumulator(size)), size) * SignExtend(src, size);
        uint low = StoreDouble(cpu, size, (ulong)product);
        SetMulFlags(cpu, product != SignExtend(low, size));
    }

    /// <summary>IMUL r, r/m and IMUL r, r/m, imm: the product truncated to the destination's size.</summary>
    static void Imul(Cpu cpu, ref Instruction insn)
    {
        int size = Cpu.RegisterSize(insn.Op0Register);
        int first = insn.OpCount == 3 ? 1 : 0;
        uint a = cpu.ReadOperand(ref insn, first, size);
        uint b = cpu.ReadOperand(ref insn, first + 1, size);
        if (cpu.Faulted) return;
        long product = (long)SignExtend(a, size) * SignExtend(b, size);
        uint low = (uint)product;
        cpu.SetRegister(insn.Op0Register, low);
        SetMulFlags(cpu, product != SignExtend(low, size));
    }

    static Iced.Intel.Register Accumulator(int size) => size switch { 1 => Iced.Intel.Register.AL, 2 => Iced.Intel.Register.AX, _ => Iced.Intel.Register.EAX };

    /// <summary>Writes a double-width result: AX; DX:AX; EDX:EAX. Returns the low half.</summary>
    static uint StoreDouble(Cpu cpu, int size, ulong value)
    {
        switch (size)
        {
            case 1: cpu.SetReg16(0, (uint)value); return (byte)value;
            case 2: cpu.SetReg16(0, (uint)value); cpu.SetReg16(2, (uint)(value >> 16)); return (ushort)value;
            default: cpu.Gpr[0] = (uint)value; cpu.Gpr[2] = (uint)(value >> 32); return (uint)value;
        }
    }

    /// <summary>The dividend: AX, DX:AX or EDX:EAX.</summary>
    static ulong Dividend(Cpu cpu, int size) => size switch
    {
        1 => (ushort)cpu.Gpr[0],
        2 => ((uint)(ushort)cpu.Gpr[2] << 16) | (ushort)cpu.Gpr[0],
        _ => ((ulong)cpu.Gpr[2] << 32) | cpu.Gpr[0],
    };

    /// <summary>Stores quotient and remainder: AL/AH, AX/DX, EAX/EDX.</summary>
    static void StoreQuotient(Cpu cpu, int size, uint quotient, uint remainder)
    {
        switch (size)
        {
            case 1: cpu.SetReg16(0, (quotient & 0xFF) | ((remainder & 0xFF) << 8)); break;
            case 2: cpu.SetReg16(0, quotient); cpu.SetReg16(2, remainder); break;
            default: cpu.Gpr[0] = quotient; cpu.Gpr[2] = remainder; break;
        }
    }

    /// <summary>DIV r/m: unsigned; #DE if the divisor is 0 or the quotient exceeds the operand size.</summary>
    static void Div(Cpu cpu, ref Instruction insn)
    {
        int size = Cpu.OperandSize(ref insn, 0);
        uint divisor = cpu.ReadOperand(ref insn, 0, size);
        if (!cpu.Faulted) Divide(cpu, size, divisor);
    }

    /// <summary>DIV once its divisor is read (also the fast forms', FastOps.cs).</summary>
    internal static void Divide(Cpu cpu, int size, uint divisor)
    {
        if (divisor == 0) { cpu.RaiseFault(Vector.DivideError); return; }
        ulong dividend = Dividend(cpu, size);
        ulong quotient = dividend / divisor;
        if (quotient > (size == 4 ? uint.MaxValue : (1u << (8 * size)) - 1)) { cpu.RaiseFault(Vector.DivideError); return; }
        StoreQuotient(cpu, size, (uint)quotient, (uint)(dividend % divisor));
        SetDivFlags(cpu);
    }

    /// <summary>
    /// IDIV r/m: signed, the quotient truncated toward zero and the remainder taking the
    /// dividend's sign; #DE if the divisor is 0 or the quotient is out of range (including
    /// the most negative dividend divided by -1).
    /// </summary>
    static void Idiv(Cpu cpu, ref Instruction insn)
    {
        int size = Cpu.OperandSize(ref insn, 0);
        long divisor = SignExtend(cpu.ReadOperand(ref insn, 0, size), size);
        if (cpu.Faulted) return;
        if (divisor == 0) { cpu.RaiseFault(Vector.DivideError); return; }
        ulong raw = Dividend(cpu, size);
        long dividend = size switch { 1 => (short)raw, 2 => (int)raw, _ => (long)raw };
        // long.MinValue / -1 overflows the host's division too: it is #DE either way.
        if (divisor == -1 && dividend == long.MinValue) { cpu.RaiseFault(Vector.DivideError); return; }
        long quotient = dividend / divisor, remainder = dividend % divisor;
        long limit = 1L << (8 * size - 1);
        if (quotient < -limit || quotient >= limit) { cpu.RaiseFault(Vector.DivideError); return; }
        StoreQuotient(cpu, size, (uint)quotient, (uint)remainder);
        SetDivFlags(cpu);
    }
}
