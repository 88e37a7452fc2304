// [H:110] Servicing a hypercall: lguest's do_hcall(), one switch.
//
// The guest put the number in EAX and the arguments in EBX, ECX, EDX, ESI, then
// trapped with VMCALL. Each case is a line or two calling a named routine on the
// guest; the answer goes back in EAX (and EDX for 64-bit results). From ring 3 no
// hypercall is allowed: -EPERM, nothing done. An unknown number is -ENOSYS, with a
// warning, and the guest goes on (DESIGN §2).
namespace Puppyvisor.Monitor.Hypercalls;

internal static class HypercallDispatcher
{
    public static void Dispatch(Guest guest)
    {
        Cpu.Cpu cpu = guest.Cpu;
        uint number = cpu.Gpr[0], ebx = cpu.Gpr[3], ecx = cpu.Gpr[1];
        guest.Stats.CountHypercall(number);
        guest.NoteHypercall(number);
        if (cpu.Cpl != 0) { Return(cpu, -Errno.EPERM); return; }

        switch ((HypercallNumber)number)
        {
            case HypercallNumber.HCALL_VERSION: Return(cpu, (int)Abi.Version); break;
            case HypercallNumber.HCALL_SHUTDOWN: guest.Shutdown((int)(ebx & 0xFF), "HCALL_SHUTDOWN"); break;
            case HypercallNumber.HCALL_SET_CLOCKEVENT: guest.SetClockEvent(((ulong)ecx << 32) | ebx); Return(cpu, 0); break;
            case HypercallNumber.HCALL_HALT: guest.HaltUntilInterrupt(); break;
            case HypercallNumber.HCALL_GET_WALLCLOCK: Return64(cpu, guest.WallclockSeconds()); break;
            case HypercallNumber.HCALL_CONSOLE_WRITE: Return(cpu, guest.ConsoleWrite(ebx, ecx)); break;
            default:
                guest.WarnOnce($"hcall:{number}", $"unknown hypercall {number} at 0x{cpu.InstructionStart:x8}: -ENOSYS");
                Return(cpu, -Errno.ENOSYS);
                break;
        }
    }

    static void Return(Cpu.Cpu cpu, int value) => cpu.Gpr[0] = (uint)value;

    static void Return64(Cpu.Cpu cpu, ulong value)
    {
        cpu.Gpr[0] = (uint)value;
        cpu.Gpr[2] = (uint)(value >> 32);
    }
}
