// [C:850] The stack: PUSH, POP, PUSHA, POPA, ENTER, LEAVE.
//
// SS is flat with a 32-bit stack pointer (DESIGN §1); a 66h prefix makes a push or
// pop 2 bytes wide. PUSH ESP pushes the value before the push; POP into memory
// addressed through ESP uses the incremented ESP (SDM Vol. 2B, POP).
using Iced.Intel;
using static Iced.Intel.Code;

namespace Puppyvisor.Cpu.Instructions;

internal static unsafe class Stack
{
    public static void Register()
    {
        DispatchTable.Set(&PushOperand, Push_r16, Push_r32, Push_rm16, Push_rm32, Push_imm16, Pushd_imm32, Pushw_imm8, Pushd_imm8);
        DispatchTable.Set(&PopRegister, Pop_r16, Pop_r32);
        DispatchTable.Set(&PopMemory, Pop_rm16, Pop_rm32);
        DispatchTable.Set(&PushAll, Pushad, Pushaw);
        DispatchTable.Set(&PopAll, Popad, Popaw);
        DispatchTable.Set(&Enter, Enterd_imm16_imm8, Enterw_imm16_imm8);
        DispatchTable.Set(&Leave, Leaved, Leavew);
    }

    static void PushOperand(Cpu cpu, ref Instruction insn)
    {
        int size = -insn.StackPointerIncrement;
        uint v = cpu.ReadOperand(ref insn, 0, size);
        if (cpu.Faulted) return;
        cpu.Push(v, size);
    }

    static void PopRegister(Cpu cpu, ref Instruction insn)
    {
        int size = insn.StackPointerIncrement;
        uint v = cpu.Pop(size);
        if (cpu.Faulted) return;
        cpu.SetRegister(insn.Op0Register, v);
    }

    static void PopMemory(Cpu cpu, ref Instruction insn)
    {
        int size = insn.StackPointerIncrement;
        uint oldEsp = cpu.Esp;
        uint v = cpu.PeekStack(size);
        if (cpu.Faulted) return;
        cpu.Esp = oldEsp + (uint)size;
        if (!cpu.WriteOperand(ref insn, 0, size, v)) cpu.Esp = oldEsp;
    }

    static void PushAll(Cpu cpu, ref Instruction insn)
    {
        int size = insn.Code == Pushaw ? 2 : 4;
        uint esp = cpu.Esp;
        if (!cpu.ProbeWrite(esp - 8 * (uint)size, 8 * size)) return;
        for (int r = 0; r < 8; r++) cpu.Push(r == 4 ? esp : cpu.Gpr[r], size);
    }

    static void PopAll(Cpu cpu, ref Instruction insn)
    {
        int size = insn.Code == Popaw ? 2 : 4;
        Span<uint> values = stackalloc uint[8];
        for (int r = 7; r >= 0; r--) values[r] = cpu.PeekStack(size, (uint)((7 - r) * size));
        if (cpu.Faulted) return;
        uint esp = cpu.Esp + 8 * (uint)size;
        for (int r = 0; r < 8; r++)
        {
            if (r == 4) continue;                   // the saved ESP is discarded
            if (size == 4) cpu.Gpr[r] = values[r]; else cpu.SetReg16(r, values[r]);
        }
        cpu.Esp = esp;
    }

    /// <summary>ENTER size, level (SDM Vol. 2A, ENTER: the nesting level is taken modulo 32).</summary>
    static void Enter(Cpu cpu, ref Instruction insn)
    {
        int size = insn.Code == Enterw_imm16_imm8 ? 2 : 4;
        uint allocation = insn.Immediate16;
        int level = insn.Immediate8_2nd & 31;
        uint esp = cpu.Esp, ebp = cpu.Gpr[5];
        uint frameTemp = esp - (uint)size;
        uint need = (uint)size * (uint)(1 + level) + allocation;
        if (!cpu.ProbeWrite(esp - (uint)size * (uint)(1 + level), size * (1 + level))) return;
        if (!cpu.Push(ebp, size)) return;
        if (level > 0)
        {
            for (int i = 1; i < level; i++)
            {
                ebp -= (uint)size;
                uint v = cpu.ReadMem(ebp, size);          // the stack is 32-bit: EBP, even under 66h
                if (cpu.Faulted || !cpu.Push(v, size)) { cpu.Esp = esp; return; }
            }
            if (!cpu.Push(frameTemp, size)) { cpu.Esp = esp; return; }
        }
        if (size == 4) cpu.Gpr[5] = frameTemp; else cpu.SetReg16(5, frameTemp);
        cpu.Esp = esp - need;
    }

    static void Leave(Cpu cpu, ref Instruction insn)
    {
        int size = insn.Code == Leavew ? 2 : 4;
        uint oldEsp = cpu.Esp;
        cpu.Esp = cpu.Gpr[5];
        uint v = cpu.Pop(size);
        if (cpu.Faulted) { cpu.Esp = oldEsp; return; }
        if (size == 4) cpu.Gpr[5] = v; else cpu.SetReg16(5, v);
    }
}
