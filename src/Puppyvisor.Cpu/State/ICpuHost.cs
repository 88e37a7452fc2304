// [C:120] What the CPU asks of the machine around it.
//
// The CPU knows instructions; everything that belongs to the machine (ports, the
// clock, logging) is the monitor's. One interface, called only on the cold paths
// (I/O, RDTSC, a first access outside RAM), so the hot path has no virtual call.
namespace Puppyvisor.Cpu;

public interface ICpuHost
{
    /// <summary>IN from a port; <paramref name="size"/> is 1, 2 or 4 bytes.</summary>
    uint PortIn(ushort port, int size);

    /// <summary>OUT to a port. A device that ends the guest calls <see cref="Cpu.RequestExit"/>.</summary>
    void PortOut(ushort port, int size, uint value);

    /// <summary>The guest's time-stamp counter at the current instruction.</summary>
    ulong ReadTsc(Cpu cpu);

    /// <summary>The TSC frequency advertised in CPUID leaf 0x40000010.</summary>
    uint TscKhz { get; }

    /// <summary>A one-time diagnostic: first access outside RAM, an unimplemented instruction.</summary>
    void Warn(string message);
}

/// <summary>A machine with nothing attached: ports float, the TSC counts instructions.</summary>
public sealed class NullCpuHost : ICpuHost
{
    public static readonly NullCpuHost Instance = new();
    public uint PortIn(ushort port, int size) => size == 1 ? 0xFFu : size == 2 ? 0xFFFFu : 0xFFFF_FFFFu;
    public void PortOut(ushort port, int size, uint value) { }
    public ulong ReadTsc(Cpu cpu) => cpu.InstructionsRetired;
    public uint TscKhz => 1_000_000;
    public void Warn(string message) { }
}
