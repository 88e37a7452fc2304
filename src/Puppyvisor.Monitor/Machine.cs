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

    /// <summary>One guest's turn: enter, run, handle exits, until its clock reaches <paramref name="sliceEnd"/>.</summary>
    void RunVirtualSlice(Guest g, long sliceEnd)
    {
        var clock = (VirtualClock)g.Clock;
        while (!g.Stopped && clock.Now < sliceEnd)
        {
            Queue.RunExpired(clock.Now);
            if (g.State != VCpuState.Running && !g.TryWake())
            {
                if (g.CanNeverWake) { g.StopHaltedForever(); break; }
                // Halted: time jumps to the next expiry, or to the end of the slice.
                clock.SkipTo(Math.Min(g.ClockEvent.Expiry, sliceEnd));
                continue;
            }
            g.InjectPendingIrq();
            if (g.Stopped) break;
            g.RunAndHandleExit(clock.BudgetUntil(Math.Min(sliceEnd, Queue.EarliestExpiry)));
        }
        if (!g.Stopped) Queue.RunExpired(clock.Now);
    }

    // ---- The host clock: a thread per vCPU, one timer thread ----------------------

    const long FinalApproachNs = 500_000;
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
            if (g.State != VCpuState.Running && !g.TryWake())
            {
                lock (_queueLock!)
                    if (g.CanNeverWake) { g.StopHaltedForever(); break; }
                long start = HostClock.Timestamp;
                g.WakeSignal.Wait(100);
                g.Stats.HaltedTicks += HostClock.Timestamp - start;
                continue;
            }
            g.InjectPendingIrq();
            if (g.Stopped) break;
            g.RunAndHandleExit(Chunk);
        }
    }

    /// <summary>Sleeps until the earliest expiry, fires what is due; guest threads re-arm under the same lock.</summary>
    void TimerThread()
    {
        var clock = new HostClock(StartTimestamp);
        lock (_queueLock!)
        {
            while (!_allStopped)
            {
                long wait = Queue.EarliestExpiry == long.MaxValue ? long.MaxValue : Queue.EarliestExpiry - clock.Now;
                if (wait > FinalApproachNs)
                {
                    int ms = wait == long.MaxValue ? 50 : (int)Math.Min(50, (wait - FinalApproachNs) / 1_000_000);
                    System.Threading.Monitor.Wait(_queueLock, Math.Max(ms, 0) == 0 ? 1 : ms);
                    continue;
                }
                // The final approach: a short spin outside the lock, then fire what is due.
                if (wait > 0)
                {
                    long target = Queue.EarliestExpiry;
                    System.Threading.Monitor.Exit(_queueLock);
                    try { while (clock.Now < target && !_allStopped) Thread.SpinWait(20); }
                    finally { System.Threading.Monitor.Enter(_queueLock); }
                }
                Queue.RunExpired(clock.Now);
            }
        }
    }
}
