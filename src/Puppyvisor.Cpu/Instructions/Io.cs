// [C:890] Port I/O: IN, OUT, INS, OUTS (with REP).
//
// The ports belong to the monitor (ICpuHost). Outside ring 0 an access needs
// CPL <= IOPL; there is no I/O permission bitmap, so otherwise it is #GP(0).
using Iced.Intel;
using static Iced.Intel.Code;

namespace Puppyvisor.Cpu.Instructions;

internal static unsafe class Io
{
    public static void Register()
    {
        DispatchTable.Set(&In, In_AL_imm8, In_AX_imm8, In_EAX_imm8, In_AL_DX, In_AX_DX, In_EAX_DX);
        DispatchTable.Set(&Out, Out_imm8_AL, Out_imm8_AX, Out_imm8_EAX, Out_DX_AL, Out_DX_AX, Out_DX_EAX);
        DispatchTable.Set(&Ins, Insb_m8_DX, Insw_m16_DX, Insd_m32_DX);
        DispatchTable.Set(&Outs, Outsb_DX_m8, Outsw_DX_m16, Outsd_DX_m32);
        foreach (Code c in (ReadOnlySpan<Code>)[Out_imm8_AL, Out_imm8_AX, Out_imm8_EAX, Out_DX_AL, Out_DX_AX, Out_DX_EAX,
                     Outsb_DX_m8, Outsw_DX_m16, Outsd_DX_m32])
            DispatchTable.EndsBlock[(int)c] = true;     // a device may end the guest
    }

    static bool IoAllowed(Cpu cpu)
    {
        if (cpu.Cpl <= cpu.Iopl) return true;
        cpu.RaiseFault(Vector.GeneralProtection, 0);
        return false;
    }

    static ushort Port(Cpu cpu, ref Instruction insn, int operand) =>
        insn.GetOpKind(operand) == OpKind.Immediate8 ? insn.Immediate8 : (ushort)cpu.Gpr[2];

    static void In(Cpu cpu, ref Instruction insn)
    {
        if (!IoAllowed(cpu)) return;
        int size = Cpu.RegisterSize(insn.Op0Register);
        cpu.SetRegister(insn.Op0Register, cpu.Host.PortIn(Port(cpu, ref insn, 1), size));
    }

    static void Out(Cpu cpu, ref Instruction insn)
    {
        if (!IoAllowed(cpu)) return;
        int size = Cpu.RegisterSize(insn.Op1Register);
        cpu.Host.PortOut(Port(cpu, ref insn, 0), size, cpu.GetRegister(insn.Op1Register));
    }

    static void Ins(Cpu cpu, ref Instruction insn)
    {
        if (!IoAllowed(cpu)) return;
        int size = insn.MemorySize.GetSize();
        Strings.Repeat(cpu, ref insn, size, static (Cpu c, ref Instruction i, int s, int step) =>
        {
            uint edi = Strings.Index(c, ref i, 7);
            if (!c.ProbeWrite(edi, s)) return false;
            uint v = c.Host.PortIn((ushort)c.Gpr[2], s);
            c.WriteMem(edi, s, v);
            Strings.Advance(c, ref i, 7, step);
            return true;
        });
    }

    static void Outs(Cpu cpu, ref Instruction insn)
    {
        if (!IoAllowed(cpu)) return;
        int size = insn.MemorySize.GetSize();
        Strings.Repeat(cpu, ref insn, size, static (Cpu c, ref Instruction i, int s, int step) =>
        {
            uint v = c.ReadMem(Strings.Index(c, ref i, 6) + c.SegmentBaseOf(i.MemorySegment), s);
            if (c.Faulted) return false;
            c.Host.PortOut((ushort)c.Gpr[2], s, v);
            Strings.Advance(c, ref i, 6, step);
            return true;
        });
    }
}
