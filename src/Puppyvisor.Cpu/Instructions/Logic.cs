// [C:810] Logic: AND, OR, XOR, TEST, NOT (SDM Vol. 2).
//
// AND, OR, XOR and TEST (BinaryOps.cs, run by Arithmetic.Binary) clear CF and OF and set
// SF, ZF, PF from the result; AF is undefined and we clear it (the documented choice).
// NOT changes no flag.
using Iced.Intel;
using static Iced.Intel.Code;

namespace Puppyvisor.Cpu.Instructions;

internal static unsafe class Logic
{
    public static void Register()
    {
        DispatchTable.Set(&Arithmetic.Binary<AndOp>, And_rm8_r8, And_rm16_r16, And_rm32_r32, And_r8_rm8, And_r16_rm16, And_r32_rm32,
            And_AL_imm8, And_AX_imm16, And_EAX_imm32, And_rm8_imm8, And_rm16_imm16, And_rm32_imm32,
            And_rm8_imm8_82, And_rm16_imm8, And_rm32_imm8);
        DispatchTable.Set(&Arithmetic.Binary<OrOp>, Or_rm8_r8, Or_rm16_r16, Or_rm32_r32, Or_r8_rm8, Or_r16_rm16, Or_r32_rm32,
            Or_AL_imm8, Or_AX_imm16, Or_EAX_imm32, Or_rm8_imm8, Or_rm16_imm16, Or_rm32_imm32,
            Or_rm8_imm8_82, Or_rm16_imm8, Or_rm32_imm8);
        DispatchTable.Set(&Arithmetic.Binary<XorOp>, Xor_rm8_r8, Xor_rm16_r16, Xor_rm32_r32, Xor_r8_rm8, Xor_r16_rm16, Xor_r32_rm32,
            Xor_AL_imm8, Xor_AX_imm16, Xor_EAX_imm32, Xor_rm8_imm8, Xor_rm16_imm16, Xor_rm32_imm32,
            Xor_rm8_imm8_82, Xor_rm16_imm8, Xor_rm32_imm8);
        DispatchTable.Set(&Arithmetic.Binary<TestOp>, Test_rm8_r8, Test_rm16_r16, Test_rm32_r32, Test_AL_imm8, Test_AX_imm16, Test_EAX_imm32,
            Test_rm8_imm8, Test_rm8_imm8_F6r1, Test_rm16_imm16, Test_rm16_imm16_F7r1, Test_rm32_imm32, Test_rm32_imm32_F7r1);
        DispatchTable.Set(&Not, Not_rm8, Not_rm16, Not_rm32);
    }

    static void Not(Cpu cpu, ref Instruction insn)
    {
        int size = Cpu.OperandSize(ref insn, 0);
        uint a = cpu.ReadOperandForWrite(ref insn, 0, size);
        if (cpu.Faulted) return;
        cpu.WriteOperand(ref insn, 0, size, ~a);
    }
}
