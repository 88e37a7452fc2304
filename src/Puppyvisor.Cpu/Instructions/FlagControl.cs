// [C:840] The flags themselves: CLC, STC, CMC, CLD, STD, CLI, STI, LAHF, SAHF, PUSHF, POPF.
//
// CLI, STI and POPF follow the IOPL rules of protected mode (SDM Vol. 2: CLI/STI
// #GP(0) when CPL > IOPL; POPF silently keeps IF and IOPL it may not change). STI
// opens an interrupt shadow of one instruction when it sets IF, so STI; HLT cannot
// miss an interrupt (SDM 6.8.3), and a pending IRQ is taken right after the shadow.
using Iced.Intel;
using static Iced.Intel.Code;

namespace Puppyvisor.Cpu.Instructions;

internal static unsafe class FlagControl
{
    /// <summary>EFLAGS bits POPF and IRET may change (no VM; RF is cleared).</summary>
    internal const uint PopfWritable = Cpu.CF | Cpu.PF | Cpu.AF | Cpu.ZF | Cpu.SF | Cpu.TF | Cpu.IF | Cpu.DF |
        Cpu.OF | Cpu.IOPL | Cpu.NT | Cpu.AC | Cpu.ID;
    internal const uint IretWritable = PopfWritable | Cpu.RF;

    public static void Register()
    {
        DispatchTable.Set(Clc, &ClearCarry);
        DispatchTable.Set(Stc, &SetCarry);
        DispatchTable.Set(Cmc, &ComplementCarry);
        DispatchTable.Set(Cld, &ClearDirection);
        DispatchTable.Set(Std, &SetDirection);
        DispatchTable.Set(Cli, &ClearInterrupts);
        DispatchTable.Set(Sti, &SetInterrupts);
        DispatchTable.Set(Lahf, &LoadAhFromFlags);
        DispatchTable.Set(Sahf, &StoreAhIntoFlags);
        DispatchTable.Set(&PushFlags, Pushfd, Pushfw);
        DispatchTable.Set(&PopFlags, Popfd, Popfw);
        // STI's one-instruction shadow and the trap flag POPF may set are handled at block
        // boundaries (Cpu.Run.cs): both end their block.
        DispatchTable.EndsBlock[(int)Sti] = true;
        DispatchTable.EndsBlock[(int)Popfd] = DispatchTable.EndsBlock[(int)Popfw] = true;
    }

    static void ClearCarry(Cpu cpu, ref Instruction insn) => cpu.SetFlag(Cpu.CF, false);
    static void SetCarry(Cpu cpu, ref Instruction insn) => cpu.SetFlag(Cpu.CF, true);
    static void ComplementCarry(Cpu cpu, ref Instruction insn) => cpu.SetFlag(Cpu.CF, !cpu.GetCF());
    static void ClearDirection(Cpu cpu, ref Instruction insn) => cpu.SetFlag(Cpu.DF, false);
    static void SetDirection(Cpu cpu, ref Instruction insn) => cpu.SetFlag(Cpu.DF, true);

    static void ClearInterrupts(Cpu cpu, ref Instruction insn)
    {
        if (cpu.Cpl > cpu.Iopl) { cpu.RaiseFault(Vector.GeneralProtection, 0); return; }
        cpu.SetFlag(Cpu.IF, false);
    }

    static void SetInterrupts(Cpu cpu, ref Instruction insn)
    {
        if (cpu.Cpl > cpu.Iopl) { cpu.RaiseFault(Vector.GeneralProtection, 0); return; }
        if (cpu.InterruptsEnabled) return;          // no shadow when IF was already set
        cpu.SetFlag(Cpu.IF, true);
        cpu.SetInterruptShadow();
        cpu.NoteInterruptsEnabled();
    }

    /// <summary>LAHF: AH = SF:ZF:0:AF:0:PF:1:CF.</summary>
    static void LoadAhFromFlags(Cpu cpu, ref Instruction insn) => cpu.SetReg8(4, (cpu.Eflags & 0xD5) | 2);

    static void StoreAhIntoFlags(Cpu cpu, ref Instruction insn)
    {
        uint ah = (cpu.Gpr[0] >> 8) & 0xD5;
        cpu.SetArithFlags((cpu.Eflags & Cpu.OF) | ah);
    }

    static void PushFlags(Cpu cpu, ref Instruction insn)
    {
        int size = insn.Code == Pushfw ? 2 : 4;
        // The pushed image has VM and RF clear (SDM PUSHF).
        cpu.Push(cpu.Eflags & ~(Cpu.VM | Cpu.RF), size);
    }

    static void PopFlags(Cpu cpu, ref Instruction insn)
    {
        int size = insn.Code == Popfw ? 2 : 4;
        uint value = cpu.Pop(size);
        if (cpu.Faulted) return;
        if (size == 2) value = (cpu.Eflags & 0xFFFF_0000u) | value;
        LoadEflagsChecked(cpu, value, cpu.Cpl, PopfWritable);
    }

    /// <summary>
    /// Loads EFLAGS as POPF and IRET do at privilege <paramref name="cpl"/>: IOPL only at CPL 0,
    /// IF only when CPL &lt;= IOPL; a newly set IF lets a pending IRQ in after this instruction.
    /// </summary>
    internal static void LoadEflagsChecked(Cpu cpu, uint value, int cpl, uint writable)
    {
        uint old = cpu.Eflags;
        if (cpl > 0) writable &= ~Cpu.IOPL;
        if (cpl > cpu.Iopl) writable &= ~Cpu.IF;
        uint result = (old & ~writable) | (value & writable);
        result &= ~Cpu.RF & ~Cpu.VM | (writable & Cpu.RF);
        cpu.Eflags = result;
        if ((old & Cpu.IF) == 0 && (result & Cpu.IF) != 0) cpu.NoteInterruptsEnabled();
    }
}
