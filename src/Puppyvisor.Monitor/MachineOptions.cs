// [H:010] How a run is set up: the command line's choices, in one place.
using Puppyvisor.Cpu;
using Puppyvisor.Monitor.Loading;
using Puppyvisor.Monitor.Time;

namespace Puppyvisor.Monitor;

public sealed record MachineOptions
{
    public uint MemoryBytes { get; init; } = 16 * 1024 * 1024;
    /// <summary>The multiboot command line after the image name (QEMU's -append).</summary>
    public string CommandLine { get; init; } = "";
    public long? MaxInstructions { get; init; }
    public ClockKind Clock { get; init; } = ClockKind.Host;
    public long NsPerInstruction { get; init; } = 1;
    public uint TscKhz { get; init; } = 1_000_000;
    /// <summary>Seconds since 1970 at the guest's first instruction (HCALL_GET_WALLCLOCK).</summary>
    public long WallclockEpoch { get; init; } = DefaultVirtualEpoch;
    public bool DecodeCache { get; init; } = true;
    public bool Tlb { get; init; } = true;
    /// <summary>Compact fast forms of the hot instructions (Decoding/MicroOp.cs); off runs every instruction through its family handler.</summary>
    public bool FastForms { get; init; } = true;

    /// <summary>Whether hot blocks are compiled to .NET methods (Cpu's BlockCompiler): in the background by default.</summary>
    public BlockCompilation Compiler { get; init; } = BlockCompilation.Background;

    /// <summary>2026-01-01T00:00:00Z: the fixed start of virtual-clock runs, so they stay deterministic.</summary>
    public const long DefaultVirtualEpoch = 1_767_225_600;

    /// <summary>Virtual time per lockstep quantum when several guests share a run.</summary>
    public long QuantumNs { get; init; } = 1_000_000;

    /// <summary>
    /// The multiboot command line the guest sees. QEMU's -kernel passes the kernel's file
    /// path as typed, a space and -append's text (the space even when -append is empty);
    /// we do the same so a guest prints the same on both.
    /// </summary>
    public string CommandLineFor(ElfImage image) => $"{image.Path} {CommandLine}";
}

/// <summary>The monitor's own exit codes, sysexits-style (README).</summary>
public static class ExitCodes
{
    public const int Usage = 64;            // EX_USAGE: bad arguments
    public const int BadImage = 65;         // EX_DATAERR: an image that cannot be loaded
    public const int NoInput = 66;          // EX_NOINPUT: an image that cannot be read
    public const int Software = 70;         // EX_SOFTWARE
    public const int TripleFault = 70;      // the guest died of a triple fault
    public const int HaltedForever = 71;    // the guest halted with nothing that could wake it
    public const int InstructionLimit = 75; // EX_TEMPFAIL: --max-insns reached
}
