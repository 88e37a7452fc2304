// [H:020] The machine: every guest of one run, the host hrtimer queue they share, and
// the loop that drives them on the chosen clock (DESIGN §4).
//
// Virtual clock: one thread runs the guests in deterministic lockstep. Time moves
// in quanta; a quantum never crosses the earliest armed expiry, so the only timers
// that can come due inside a guest's turn are the ones that guest armed itself,
// and its budget ends exactly at them. When every guest is halted, time jumps to
// the earliest expiry. Host clock: a thread per vCPU plus one timer thread that
// sleeps in the OS until the earliest expiry (with a short final approach for
// precision); halted vCPUs block, so idle guests use no CPU.
using Puppyvisor.Monitor.Diagnostics;
using Puppyvisor.Monitor.Loading;
using Puppyvisor.Monitor.Time;
using Serilog;

namespace Puppyvisor.Monitor;

public sealed class Machine
{
    public MachineOptions Options { get; }
    public IReadOnlyList<Guest> Guests => _guests;
    public HrTimerQueue Queue { get; } = new();
    /// <summary>Host-clock runs share the queue between threads.</summary>
    readonly object? _queueLock;
    readonly List<Guest> _guests = new();
    readonly ILogger _log;
    public long StartTimestamp { get; } = HostClock.Timestamp;
    public long EndTimestamp { get; private set; }
    /// <summary>The run's timeline (--trace), closed at the end of <see cref="Run"/>; null when off.</summary>
    public TraceWriter? Trace { get; }

    public Machine(MachineOptions options, IReadOnlyList<ElfImage> images, TextWriter output, ILogger log, TraceWriter? trace = null)
    {
        Options = options;
        _log = log;
        Trace = trace;
        _queueLock = options.Clock == ClockKind.Host ? new object() : null;
        var outputLock = new object();
        for (int i = 0; i < images.Count; i++)
        {
            string name = $"g{i}";
            string prefix = images.Count > 1 ? $"[{name}] " : "";
            _guests.Add(new Guest(name, images[i], options, Queue, _queueLock, output, outputLock, prefix, log, StartTimestamp));
            if (trace is not null) _guests[i].AttachTrace(trace.AddGuest(name));
        }
    }

    /// <summary>Runs every guest to its end; the status is 0 if all ended with 0, else the first nonzero in guest order.</summary>
    public int Run()
    {
        try
        {
            if (Options.Clock == ClockKind.Virtual) RunVirtual();
            else RunHost();
        }
        finally { Trace?.Close(); }
        EndTimestamp = HostClock.Timestamp;
        foreach (Guest g in _guests) g.Console.Flush();
        foreach (Guest g in _guests) if (g.ExitStatus != 0) return g.ExitStatus;
        return 0;
    }

    // ---- The virtual clock: deterministic lockstep --------------------------------

    long _virtualNow;

    void RunVirtual()
    {
        while (_guests.Any(g => !g.Stopped))
        {
            // Every guest's clock has reached _virtualNow: what is due by then is due for all.
            Queue.RunExpired(_virtualNow);
            long sliceEnd = Math.Min(_virtualNow + Options.QuantumNs, Queue.EarliestExpiry);
            if (_guests.All(g => g.Stopped || !g.IsRunnable))
            {
                // Everyone is halted: jump straight to the earliest expiry (or stop those that can never wake).
                if (Queue.EarliestExpiry == long.MaxValue)
                {
                    foreach (Guest g in _guests) if (!g.Stopped) g.StopHaltedForever();
                    break;
                }
                sliceEnd = Math.Max(Queue.EarliestExpiry, _virtualNow);
            }
            foreach (Guest g in _guests) if (!g.Stopped) RunVirtualSlice(g, sliceEnd);
            _virtualNow = sliceEnd;
        }
    }

    /// <summary>
    /// One guest's turn: enter, run, handle exits, until its clock reaches <paramref name="sliceEnd"/>.
    /// Timers are fired here only while the clock is before the slice end: those due inside the
    /// slice can only be this guest's own; the ones due at the end are fired for everyone at the
    /// next slice's start. (Firing at a guest's own "now" past the others' would hand them early IRQs.)
    /// </summary>
    void RunVirtualSlice(Guest g, long sliceEnd)
    {
        var clock = (VirtualClock)g.Clock;
        while (!g.Stopped && clock.Now < sliceEnd)
        {
            g.Debugger?.Checkpoint();                           // gdb: wait at start, Ctrl-C, break-at
            if (g.Stopped) break;
            Queue.RunExpired(clock.Now);
            if (g.State != VCpuState.Running && !g.TryWake())
            {
                if (g.CanNeverWake) { g.StopHaltedForever(); break; }
                // Halted: time jumps to the next expiry, or to the end of the slice (or to gdb's break-at).
                clock.SkipTo(Math.Min(Math.Min(g.ClockEvent.Expiry, sliceEnd), g.Debugger?.BreakAtNs ?? long.MaxValue));
                continue;
            }
            g.InjectPendingIrq();
            if (g.Stopped) break;
            g.RunAndHandleExit(clock.BudgetUntil(Math.Min(sliceEnd, Queue.EarliestExpiry)));
        }
    }

    // ---- The host clock: a thread per vCPU, one timer thread ----------------------

    /// <summary>How close to an expiry the timer thread switches from waiting on the lock to an exact sleep.</summary>
    const long FinalApproachNs = 3_000_000;
    volatile bool _allStopped;

    void RunHost()
    {
        var timerThread = new Thread(TimerThread) { IsBackground = true, Name = "hrtimer" };
        timerThread.Start();
        var threads = _guests.Select(g => new Thread(() => RunHostVCpu(g)) { IsBackground = true, Name = g.Name }).ToList();
        foreach (Thread t in threads) t.Start();
        foreach (Thread t in threads) t.Join();
        _allStopped = true;
        lock (_queueLock!) System.Threading.Monitor.PulseAll(_queueLock);
        timerThread.Join();
    }

    void RunHostVCpu(Guest g)
    {
        const long Chunk = 4_000_000;
        while (!g.Stopped)
        {
            g.Debugger?.Checkpoint();                           // gdb: wait at start, Ctrl-C, break-at
            if (g.Stopped) break;
            if (g.State != VCpuState.Running && !g.TryWake())
            {
                lock (_queueLock!)
                    if (g.CanNeverWake) { g.StopHaltedForever(); break; }
                long start = HostClock.Timestamp;
                g.WakeSignal.WaitOne(1000);
                g.Stats.HaltedTicks += HostClock.Timestamp - start;
                continue;
            }
            g.InjectPendingIrq();
            if (g.Stopped) break;
            g.RunAndHandleExit(Chunk);
        }
    }

    /// <summary>
    /// Sleeps until the earliest expiry and fires what is due; guest threads arm under the same
    /// lock and pulse it. Far from the expiry the thread waits on the lock (millisecond
    /// resolution, woken early by a new arming); for the last stretch it sleeps to the exact
    /// deadline in the OS (clock_nanosleep with an absolute CLOCK_MONOTONIC time, the clock
    /// Stopwatch reads on Linux) rather than spinning, so idle guests cost no CPU.
    /// </summary>
    void TimerThread()
    {
        var clock = new HostClock(StartTimestamp);
        lock (_queueLock!)
        {
            while (!_allStopped)
            {
                long expiry = Queue.EarliestExpiry;
                long wait = expiry == long.MaxValue ? long.MaxValue : expiry - clock.Now;
                if (wait > FinalApproachNs)
                {
                    long ms = wait == long.MaxValue ? 1000 : Math.Min(1000, (wait - FinalApproachNs) / 1_000_000);
                    System.Threading.Monitor.Wait(_queueLock, (int)Math.Max(ms, 1));
                    continue;
                }
                if (wait > 0)
                {
                    System.Threading.Monitor.Exit(_queueLock);
                    try { PreciseSleep.Until(StartTimestamp, expiry, clock); }
                    finally { System.Threading.Monitor.Enter(_queueLock); }
                }
                Queue.RunExpired(clock.Now);
            }
        }
    }
}
