// [H:910] Per-guest statistics (DESIGN §4, --stats): what ran, what exited why, which
// hypercalls, what the clockevent did, and how late each interrupt came.
using Puppyvisor.Cpu;
using Puppyvisor.Monitor.Time;

namespace Puppyvisor.Monitor.Diagnostics;

public sealed class GuestStats(Guest guest)
{
    public readonly long[] ExitsByReason = new long[Enum.GetValues<ExitReason>().Length];
    public readonly SortedDictionary<uint, long> HypercallsByNumber = new();
    readonly List<long> _lateness = new();

    public long IrqsInjected;
    /// <summary>Host Stopwatch ticks spent inside the interpreter.</summary>
    public long RunTicks;
    /// <summary>Host Stopwatch ticks spent blocked while halted (host clock).</summary>
    public long HaltedTicks;
    public long StartTimestamp = HostClock.Timestamp;
    public long EndTimestamp;
    public long VirtualEndNs = -1;

    public void CountExit(ExitReason reason) => ExitsByReason[(int)reason]++;

    public void CountHypercall(uint number)
    {
        HypercallsByNumber.TryGetValue(number, out long n);
        HypercallsByNumber[number] = n + 1;
    }

    public void IrqInjected(long latenessNs)
    {
        IrqsInjected++;
        _lateness.Add(latenessNs);
    }

    public void Finish()
    {
        if (EndTimestamp != 0) return;
        EndTimestamp = HostClock.Timestamp;
        VirtualEndNs = guest.Clock.Now;
    }

    public IReadOnlyList<long> Lateness => _lateness;

    public ulong Instructions => guest.Cpu.InstructionsRetired;
    public long GuestTimeNs => VirtualEndNs >= 0 ? VirtualEndNs : guest.Clock.Now;
    public double HostSeconds => HostClock.ToNs((EndTimestamp != 0 ? EndTimestamp : HostClock.Timestamp) - StartTimestamp) / 1e9;
    public double RunSeconds => HostClock.ToNs(RunTicks) / 1e9;
    /// <summary>Millions of guest instructions per second of host time spent interpreting.</summary>
    public double Mips => RunSeconds > 0 ? Instructions / RunSeconds / 1e6 : 0;

    public double HaltedFraction
    {
        get
        {
            if (guest.Clock is VirtualClock v) return GuestTimeNs > 0 ? (double)v.SkippedNs / GuestTimeNs : 0;
            double total = HostSeconds;
            return total > 0 ? HostClock.ToNs(HaltedTicks) / 1e9 / total : 0;
        }
    }

    /// <summary>min, p50, p99, max of the injection lateness in ns (nearest-rank percentiles).</summary>
    public (long Min, long P50, long P99, long Max)? LatenessSummary() => Summarize(_lateness);

    public static (long Min, long P50, long P99, long Max)? Summarize(IEnumerable<long> values)
    {
        long[] sorted = values.ToArray();
        if (sorted.Length == 0) return null;
        Array.Sort(sorted);
        long Rank(double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
        return (sorted[0], Rank(0.50), Rank(0.99), sorted[^1]);
    }
}
