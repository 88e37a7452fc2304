// [C:835] Conditional data: SETcc and CMOVcc, all sixteen conditions (SDM Vol. 2A/2B).
//
// The condition is Iced's ConditionCode (o = 1 ... g = 16) minus one, the low nibble of
// the opcode, evaluated by Cpu.Condition. CMOVcc reads its source whether or not it
// moves, so a memory source can fault even when the condition is false (SDM CMOVcc);
// a false condition changes nothing (in 32-bit mode not even the upper half). No flags.
using Iced.Intel;

namespace Puppyvisor.Cpu.Instructions;

internal static unsafe class Conditional
{
    static readonly string[] Conditions = ["o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"];

    public static void Register()
    {
        foreach (string cc in Conditions)
        {
            DispatchTable.Set(Enum.Parse<Code>($"Set{cc}_rm8"), &SetCondition);
            DispatchTable.Set(Enum.Parse<Code>($"Cmov{cc}_r16_rm16"), &MoveIfCondition);
            DispatchTable.Set(Enum.Parse<Code>($"Cmov{cc}_r32_rm32"), &MoveIfCondition);
        }
    }

    static void SetCondition(Cpu cpu, ref Instruction insn) =>
        cpu.WriteOperand(ref insn, 0, 1, cpu.Condition((int)insn.ConditionCode - 1) ? 1u : 0u);

    static void MoveIfCondition(Cpu cpu, ref Instruction insn)
    {
        uint value = cpu.ReadOperand(ref insn, 1, Cpu.RegisterSize(insn.Op0Register));
        if (cpu.Faulted) return;
        if (cpu.Condition((int)insn.ConditionCode - 1)) cpu.SetRegister(insn.Op0Register, value);
    }
}
