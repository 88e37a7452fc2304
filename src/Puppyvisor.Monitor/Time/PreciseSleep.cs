// [H:230] Sleeping to an exact host deadline without spinning.
//
// .NET's timed waits have millisecond resolution. On Linux, clock_nanosleep with an
// absolute CLOCK_MONOTONIC deadline wakes within tens of microseconds, and Stopwatch
// reads the same clock there, so the deadline converts directly. Elsewhere we fall
// back to Thread.Sleep and a short yield loop.
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Puppyvisor.Monitor.Time;

internal static partial class PreciseSleep
{
    const int ClockMonotonic = 1, TimerAbsTime = 1;

    [StructLayout(LayoutKind.Sequential)]
    struct Timespec { public long Seconds; public long Nanoseconds; }

    [LibraryImport("libc", EntryPoint = "clock_nanosleep")]
    private static partial int ClockNanosleep(int clockId, int flags, in Timespec request, IntPtr remain);

    static readonly bool UseNanosleep = OperatingSystem.IsLinux() && Stopwatch.Frequency == 1_000_000_000;

    /// <summary>Sleeps until <paramref name="deadlineNs"/> on the run's clock (ns since <paramref name="startTimestamp"/>).</summary>
    public static void Until(long startTimestamp, long deadlineNs, HostClock clock)
    {
        if (UseNanosleep)
        {
            long absolute = startTimestamp + deadlineNs;          // Stopwatch ticks are ns of CLOCK_MONOTONIC here
            var ts = new Timespec { Seconds = absolute / 1_000_000_000, Nanoseconds = absolute % 1_000_000_000 };
            try
            {
                while (ClockNanosleep(ClockMonotonic, TimerAbsTime, ts, IntPtr.Zero) == 4) { }   // EINTR: sleep on
                return;
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
        }
        while (clock.Now < deadlineNs)
        {
            long ms = (deadlineNs - clock.Now) / 1_000_000;
            if (ms > 1) Thread.Sleep((int)(ms - 1)); else Thread.Yield();
        }
    }
}
