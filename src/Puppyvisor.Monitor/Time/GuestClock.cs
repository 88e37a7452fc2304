// [H:220] The two clocks a run can have (DESIGN §4).
//
// Virtual: time is what the guest did. Each retired instruction is --ns-per-insn
// nanoseconds and a halted guest's time jumps to its next expiry, so the same
// image and arguments give the same output, counts and trace on any host.
// Host: time is the host's monotonic clock, shared by every guest of the run.
using System.Diagnostics;

namespace Puppyvisor.Monitor.Time;

public enum ClockKind { Virtual, Host }

public abstract class GuestClock
{
    /// <summary>Nanoseconds since the guest's first instruction.</summary>
    public abstract long Now { get; }
}

public sealed class VirtualClock(Cpu.Cpu cpu, long nsPerInstruction) : GuestClock
{
    public long NsPerInstruction { get; } = nsPerInstruction;

    /// <summary>Halted time that was skipped over.</summary>
    public long SkippedNs { get; private set; }

    public override long Now => (long)cpu.InstructionsRetired * NsPerInstruction + SkippedNs;

    /// <summary>A halted guest's time jumps forward to <paramref name="target"/>.</summary>
    public void SkipTo(long target)
    {
        long now = Now;
        if (target > now) SkippedNs += target - now;
    }

    /// <summary>Instructions to run so that time reaches <paramref name="deadline"/> (at least one).</summary>
    public long BudgetUntil(long deadline)
    {
        long ns = deadline - Now;
        if (ns <= 0) return 1;
        return (ns + NsPerInstruction - 1) / NsPerInstruction;
    }
}

public sealed class HostClock : GuestClock
{
    readonly long _start;

    public HostClock(long startTimestamp) => _start = startTimestamp;

    public static long Timestamp => Stopwatch.GetTimestamp();

    public override long Now => (long)((Stopwatch.GetTimestamp() - _start) * (1_000_000_000.0 / Stopwatch.Frequency));

    public static long ToNs(long ticks) => (long)(ticks * (1_000_000_000.0 / Stopwatch.Frequency));
}
