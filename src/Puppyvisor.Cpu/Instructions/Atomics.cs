// [C:815] Atomic read-modify-write: XADD, CMPXCHG, CMPXCHG8B (SDM Vol. 2A/2B).
//
// One vCPU per guest, so atomicity is free; what matters is the architectural detail:
// CMPXCHG sets the flags of CMP accumulator, dest and, when the comparison fails, writes
// the destination back with its own value (a locked read-modify-write always writes);
// CMPXCHG8B changes ZF only. Which instructions may take a LOCK prefix is decided once,
// at decode time (DispatchTable.AllowsLock).
using Iced.Intel;
using static Iced.Intel.Code;

namespace Puppyvisor.Cpu.Instructions;

internal static unsafe class Atomics
{
    public static void Register()
    {
        DispatchTable.Set(&ExchangeAdd, Xadd_rm8_r8, Xadd_rm16_r16, Xadd_rm32_r32);
        DispatchTable.Set(&CompareExchange, Cmpxchg_rm8_r8, Cmpxchg_rm16_r16, Cmpxchg_rm32_r32);
        DispatchTable.Set(Cmpxchg8b_m64, &CompareExchange8Bytes);
    }

    /// <summary>XADD dest, src: TEMP = SRC + DEST; SRC = DEST; DEST = TEMP; flags as ADD.</summary>
    static void ExchangeAdd(Cpu cpu, ref Instruction insn)
    {
        int size = Cpu.OperandSize(ref insn, 0);
        uint dest = cpu.ReadOperandForWrite(ref insn, 0, size);
        if (cpu.Faulted) return;
        uint src = cpu.GetRegister(insn.Op1Register);
        uint sum = dest + src;
        cpu.SetRegister(insn.Op1Register, dest);
        cpu.WriteOperand(ref insn, 0, size, sum);
        cpu.SetLazy(FlagOp.Add, size, dest, src, sum);
    }

    static Iced.Intel.Register Accumulator(int size) =>
        size switch { 1 => Iced.Intel.Register.AL, 2 => Iced.Intel.Register.AX, _ => Iced.Intel.Register.EAX };

    /// <summary>CMPXCHG dest, src: if accumulator = dest then dest = src, else accumulator = dest.</summary>
    static void CompareExchange(Cpu cpu, ref Instruction insn)
    {
        int size = Cpu.OperandSize(ref insn, 0);
        uint dest = cpu.ReadOperandForWrite(ref insn, 0, size);
        if (cpu.Faulted) return;
        Iced.Intel.Register acc = Accumulator(size);
        uint accumulator = cpu.GetRegister(acc);
        if (accumulator == dest)
        {
            cpu.WriteOperand(ref insn, 0, size, cpu.GetRegister(insn.Op1Register));
        }
        else
        {
            cpu.WriteOperand(ref insn, 0, size, dest);
            cpu.SetRegister(acc, dest);
        }
        cpu.SetLazy(FlagOp.Sub, size, accumulator, dest, accumulator - dest);
    }

    /// <summary>CMPXCHG8B m64: compares EDX:EAX with m64; equal: m64 = ECX:EBX; else EDX:EAX = m64. ZF only.</summary>
    static void CompareExchange8Bytes(Cpu cpu, ref Instruction insn)
    {
        uint ea = cpu.EffectiveAddress(ref insn);
        bool user = cpu.Cpl == 3;
        if (!cpu.ProbeWrite(ea, 8, user)) return;
        ulong memory = cpu.ReadMem64(ea, user);
        if (cpu.Faulted) return;
        bool equal = memory == (((ulong)cpu.Gpr[2] << 32) | cpu.Gpr[0]);
        ulong store = equal ? ((ulong)cpu.Gpr[1] << 32) | cpu.Gpr[3] : memory;
        cpu.WriteMem(ea, 4, (uint)store, user);
        cpu.WriteMem(ea + 4, 4, (uint)(store >> 32), user);
        if (!equal) { cpu.Gpr[0] = (uint)memory; cpu.Gpr[2] = (uint)(memory >> 32); }
        cpu.SetFlag(Cpu.ZF, equal);
    }
}
