// [C:800] Arithmetic: ADD, ADC, SUB, SBB, CMP, INC, DEC, NEG (SDM Vol. 2, one entry each).
//
// One generic body over "operand 0 op= operand 1" at the operand's size, with the
// operations of BinaryOps.cs (shared with the fast forms); the flags are left lazy.
// CMP is SUB without the write-back (Serenity's observation); NEG is 0 - x.
using Iced.Intel;
using static Iced.Intel.Code;

namespace Puppyvisor.Cpu.Instructions;

internal static unsafe class Arithmetic
{
    public static void Register()
    {
        DispatchTable.Set(&Binary<AddOp>, Add_rm8_r8, Add_rm16_r16, Add_rm32_r32, Add_r8_rm8, Add_r16_rm16, Add_r32_rm32,
            Add_AL_imm8, Add_AX_imm16, Add_EAX_imm32, Add_rm8_imm8, Add_rm16_imm16, Add_rm32_imm32,
            Add_rm8_imm8_82, Add_rm16_imm8, Add_rm32_imm8);
        DispatchTable.Set(&Binary<AdcOp>, Adc_rm8_r8, Adc_rm16_r16, Adc_rm32_r32, Adc_r8_rm8, Adc_r16_rm16, Adc_r32_rm32,
            Adc_AL_imm8, Adc_AX_imm16, Adc_EAX_imm32, Adc_rm8_imm8, Adc_rm16_imm16, Adc_rm32_imm32,
            Adc_rm8_imm8_82, Adc_rm16_imm8, Adc_rm32_imm8);
        DispatchTable.Set(&Binary<SubOp>, Sub_rm8_r8, Sub_rm16_r16, Sub_rm32_r32, Sub_r8_rm8, Sub_r16_rm16, Sub_r32_rm32,
            Sub_AL_imm8, Sub_AX_imm16, Sub_EAX_imm32, Sub_rm8_imm8, Sub_rm16_imm16, Sub_rm32_imm32,
            Sub_rm8_imm8_82, Sub_rm16_imm8, Sub_rm32_imm8);
        DispatchTable.Set(&Binary<SbbOp>, Sbb_rm8_r8, Sbb_rm16_r16, Sbb_rm32_r32, Sbb_r8_rm8, Sbb_r16_rm16, Sbb_r32_rm32,
            Sbb_AL_imm8, Sbb_AX_imm16, Sbb_EAX_imm32, Sbb_rm8_imm8, Sbb_rm16_imm16, Sbb_rm32_imm32,
            Sbb_rm8_imm8_82, Sbb_rm16_imm8, Sbb_rm32_imm8);
        DispatchTable.Set(&Binary<CmpOp>, Cmp_rm8_r8, Cmp_rm16_r16, Cmp_rm32_r32, Cmp_r8_rm8, Cmp_r16_rm16, Cmp_r32_rm32,
            Cmp_AL_imm8, Cmp_AX_imm16, Cmp_EAX_imm32, Cmp_rm8_imm8, Cmp_rm16_imm16, Cmp_rm32_imm32,
            Cmp_rm8_imm8_82, Cmp_rm16_imm8, Cmp_rm32_imm8);
        DispatchTable.Set(&Inc, Inc_rm8, Inc_rm16, Inc_rm32, Inc_r16, Inc_r32);
        DispatchTable.Set(&Dec, Dec_rm8, Dec_rm16, Dec_rm32, Dec_r16, Dec_r32);
        DispatchTable.Set(&Neg, Neg_rm8, Neg_rm16, Neg_rm32);
    }

    /// <summary>
    /// dst op= src for every encoding at the operand's size: read (checking that a destination
    /// that will be written can be), then compute and write. The operations are BinaryOps.cs's.
    /// </summary>
    internal static void Binary<TOp>(Cpu cpu, ref Instruction insn) where TOp : struct, IBinaryOp
    {
        int size = Cpu.OperandSize(ref insn, 0);
        uint a = TOp.IgnoresDestination ? 0
            : TOp.WritesBack ? cpu.ReadOperandForWrite(ref insn, 0, size) : cpu.ReadOperand(ref insn, 0, size);
        uint b = cpu.ReadOperand(ref insn, 1, size);
        if (cpu.Faulted) return;
        uint r = TOp.Apply(cpu, a, b, size);
        if (TOp.WritesBack) cpu.WriteOperand(ref insn, 0, size, r);
    }

    static void Inc(Cpu cpu, ref Instruction insn)
    {
        int size = Cpu.OperandSize(ref insn, 0);
        uint a = cpu.ReadOperandForWrite(ref insn, 0, size);
        if (cpu.Faulted) return;
        cpu.WriteOperand(ref insn, 0, size, a + 1);
        cpu.SetLazyIncDec(FlagOp.Inc, size, a, a + 1);
    }

    static void Dec(Cpu cpu, ref Instruction insn)
    {
        int size = Cpu.OperandSize(ref insn, 0);
        uint a = cpu.ReadOperandForWrite(ref insn, 0, size);
        if (cpu.Faulted) return;
        cpu.WriteOperand(ref insn, 0, size, a - 1);
        cpu.SetLazyIncDec(FlagOp.Dec, size, a, a - 1);
    }

    static void Neg(Cpu cpu, ref Instruction insn)
    {
        int size = Cpu.OperandSize(ref insn, 0);
        uint a = cpu.ReadOperandForWrite(ref insn, 0, size);
        if (cpu.Faulted) return;
        cpu.WriteOperand(ref insn, 0, size, 0 - a);
        cpu.SetLazy(FlagOp.Sub, size, 0, a, 0 - a);
    }
}
