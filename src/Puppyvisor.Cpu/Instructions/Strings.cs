// [C:900] String instructions: MOVS, CMPS, SCAS, LODS, STOS, with REP, REPE and REPNE.
//
// ESI/EDI (SI/DI under a 67h prefix) step by the element size, down when DF is set.
// A REP instruction that faults stops at the faulting iteration with ECX, ESI and
// EDI describing it, and EIP at the instruction, so the handler can return and the
// string goes on where it stopped (SDM Vol. 2B, REP; restartable). A very long REP
// yields every RepChunk iterations by re-executing itself, so it cannot starve
// timers or hang the host; each chunk counts as one retired instruction.
using Iced.Intel;
using static Iced.Intel.Code;

namespace Puppyvisor.Cpu.Instructions;

/// <summary>One iteration of a string instruction; false when it faulted.</summary>
internal delegate bool StringStep(Cpu cpu, ref Instruction insn, int size, int step);

internal static unsafe class Strings
{
    public const int RepChunk = 4096;

    public static void Register()
    {
        DispatchTable.Set(&Movs, Movsb_m8_m8, Movsw_m16_m16, Movsd_m32_m32);
        DispatchTable.Set(&Stos, Stosb_m8_AL, Stosw_m16_AX, Stosd_m32_EAX);
        DispatchTable.Set(&Lods, Lodsb_AL_m8, Lodsw_AX_m16, Lodsd_EAX_m32);
        DispatchTable.Set(&Cmps, Cmpsb_m8_m8, Cmpsw_m16_m16, Cmpsd_m32_m32);
        DispatchTable.Set(&Scas, Scasb_AL_m8, Scasw_AX_m16, Scasd_EAX_m32);
    }

    static bool AddressSize16(ref Instruction insn)
    {
        for (int n = 0; n < insn.OpCount; n++)
            if (insn.GetOpKind(n) is OpKind.MemorySegSI or OpKind.MemoryESDI) return true;
        return false;
    }

    /// <summary>ESI (reg 6) or EDI (reg 7) at the instruction's address size.</summary>
    internal static uint Index(Cpu cpu, ref Instruction insn, int reg) =>
        AddressSize16(ref insn) ? (ushort)cpu.Gpr[reg] : cpu.Gpr[reg];

    internal static void Advance(Cpu cpu, ref Instruction insn, int reg, int step)
    {
        if (AddressSize16(ref insn)) cpu.SetReg16(reg, (uint)(cpu.Gpr[reg] + step));
        else cpu.Gpr[reg] += (uint)step;
    }

    /// <summary>Runs <paramref name="body"/> once, or ECX times under a REP prefix.</summary>
    internal static void Repeat(Cpu cpu, ref Instruction insn, int size, StringStep body)
    {
        int step = cpu.DirectionFlag ? -size : size;
        if (!insn.HasRepPrefix && !insn.HasRepnePrefix)
        {
            body(cpu, ref insn, size, step);
            return;
        }
        bool cx16 = AddressSize16(ref insn);
        bool conditional = insn.Mnemonic is Mnemonic.Cmpsb or Mnemonic.Cmpsw or Mnemonic.Cmpsd or
            Mnemonic.Scasb or Mnemonic.Scasw or Mnemonic.Scasd;
        for (int i = 0; i < RepChunk; i++)
        {
            uint count = cx16 ? (ushort)cpu.Gpr[1] : cpu.Gpr[1];
            if (count == 0) return;
            if (!body(cpu, ref insn, size, step)) return;
            if (cx16) cpu.SetReg16(1, count - 1); else cpu.Gpr[1] = count - 1;
            // REPE stops when ZF = 0, REPNE when ZF = 1 (only CMPS and SCAS look).
            if (conditional && cpu.GetZF() == insn.HasRepnePrefix) return;
        }
        if ((cx16 ? (ushort)cpu.Gpr[1] : cpu.Gpr[1]) != 0) cpu.Eip = cpu.InstructionStart;
    }

    static void Movs(Cpu cpu, ref Instruction insn) =>
        Repeat(cpu, ref insn, insn.MemorySize.GetSize(), static (Cpu c, ref Instruction i, int s, int step) =>
        {
            uint v = c.ReadMem(Index(c, ref i, 6) + c.SegmentBaseOf(i.MemorySegment), s);
            if (c.Faulted || !c.WriteMem(Index(c, ref i, 7), s, v)) return false;
            Advance(c, ref i, 6, step);
            Advance(c, ref i, 7, step);
            return true;
        });

    static void Stos(Cpu cpu, ref Instruction insn) =>
        Repeat(cpu, ref insn, insn.MemorySize.GetSize(), static (Cpu c, ref Instruction i, int s, int step) =>
        {
            if (!c.WriteMem(Index(c, ref i, 7), s, c.Gpr[0])) return false;
            Advance(c, ref i, 7, step);
            return true;
        });

    static void Lods(Cpu cpu, ref Instruction insn) =>
        Repeat(cpu, ref insn, insn.MemorySize.GetSize(), static (Cpu c, ref Instruction i, int s, int step) =>
        {
            uint v = c.ReadMem(Index(c, ref i, 6) + c.SegmentBaseOf(i.MemorySegment), s);
            if (c.Faulted) return false;
            c.SetRegister(i.Op0Register, v);
            Advance(c, ref i, 6, step);
            return true;
        });

    /// <summary>CMPS compares [ESI] with ES:[EDI]: flags of [ESI] - [EDI].</summary>
    static void Cmps(Cpu cpu, ref Instruction insn) =>
        Repeat(cpu, ref insn, insn.MemorySize.GetSize(), static (Cpu c, ref Instruction i, int s, int step) =>
        {
            uint a = c.ReadMem(Index(c, ref i, 6) + c.SegmentBaseOf(i.MemorySegment), s);
            uint b = c.ReadMem(Index(c, ref i, 7), s);
            if (c.Faulted) return false;
            c.SetLazy(FlagOp.Sub, s, a, b, a - b);
            Advance(c, ref i, 6, step);
            Advance(c, ref i, 7, step);
            return true;
        });

    /// <summary>SCAS compares the accumulator with ES:[EDI].</summary>
    static void Scas(Cpu cpu, ref Instruction insn) =>
        Repeat(cpu, ref insn, insn.MemorySize.GetSize(), static (Cpu c, ref Instruction i, int s, int step) =>
        {
            uint b = c.ReadMem(Index(c, ref i, 7), s);
            if (c.Faulted) return false;
            uint a = c.Gpr[0];
            c.SetLazy(FlagOp.Sub, s, a, b, a - b);
            Advance(c, ref i, 7, step);
            return true;
        });
}
