// [H:990] A gdb attached to a guest: when the guest stops, and what it does while stopped.
//
// The guest's run loop calls in at a few points (Guest.Debugging.cs, Machine): at the
// top of every round (Checkpoint), around each run of the interpreter (ClampBudget,
// HoldsIrqs, AfterRun), after an IRQ is injected and when the guest ends. Each call is
// a field test unless a gdb asked for something. To stop, the guest's thread sends the
// stop reply and serves gdb's packets itself (Serve) until one resumes it: nothing of
// the guest is touched by another thread, and on the virtual clock nothing moves, time
// included, while gdb looks. On the host clock the host's time goes on; timers that
// expire meanwhile are pending, and delivered (late) when the guest goes on.
//
// Single steps run one instruction with IRQs held pending, so `stepi` does not wander
// into the timer handler, unless `monitor step-irq on`: then an IRQ may arrive and the
// step stops at the handler's first instruction. A step from HLT would need an IRQ to
// end; with IRQs held it lets the guest take its interrupt and stops when the handler
// has returned to the instruction after the HLT.
using System.Net;
using Puppyvisor.Cpu;
using Puppyvisor.Monitor.Time;
using Serilog;

namespace Puppyvisor.Monitor.Debugger;

public sealed class GuestDebugger : IDisposable
{
    readonly Guest _guest;
    readonly GdbServer _server;
    readonly GdbStub _stub;
    readonly ILogger _log;

    /// <summary>Set by the socket thread: a connection, a packet or a Ctrl-C waits for the guest's thread.</summary>
    volatile bool _attention;
    bool _waitAtStart;
    /// <summary>A gdb is connected and has not detached.</summary>
    bool _attached;
    /// <summary>gdb resumed the guest and waits for a stop reply.</summary>
    bool _resumed;

    // What the last resume asked for.
    bool _stepping;
    ulong _stepFromRetired;
    uint _stepFromEip;
    /// <summary>A step from HLT: stop when the interrupt returns to this EIP with the stack at or above this ESP.</summary>
    (uint Eip, uint Esp)? _stepOverHalt;

    readonly Dictionary<uint, (bool Software, bool Hardware)> _breakpoints = new();

    /// <summary>The reply to `?`: why the guest last stopped.</summary>
    public string StopReply { get; private set; } = "S05";

    /// <summary>`monitor step-irq on`: single steps let interrupts in.</summary>
    public bool StepIrqs { get; set; }
    /// <summary>`monitor until-timer`: stop after the next clockevent IRQ is injected.</summary>
    public bool StopAtNextTimerIrq { get; set; }
    /// <summary>`monitor break-at TIME`: stop when the guest's clock reaches this (ns).</summary>
    public long? BreakAtNs { get; set; }

    public IPEndPoint EndPoint => _server.LocalEndPoint;

    public Guest Guest => _guest;

    GuestDebugger(Guest guest, GdbServer server, bool waitAtStart, ILogger log)
    {
        _guest = guest;
        _server = server;
        _log = log;
        _waitAtStart = waitAtStart;
        _stub = new GdbStub(guest, this, log);
        server.Attention = RequestAttention;
    }

    /// <summary>
    /// Listens for gdb on <paramref name="endpoint"/> and attaches to <paramref name="guest"/>. With
    /// <paramref name="waitAtStart"/> the guest waits for gdb before its first instruction.
    /// </summary>
    public static GuestDebugger Attach(Guest guest, IPEndPoint endpoint, bool waitAtStart, ILogger log)
    {
        var debugger = new GuestDebugger(guest, GdbServer.Start(endpoint), waitAtStart, log);
        guest.Debugger = debugger;
        return debugger;
    }

    /// <summary>The packet handler, for tests that drive it without a socket.</summary>
    internal GdbStub Stub => _stub;

    /// <summary>Socket thread: make the guest's thread look (kick a running vCPU, wake a halted one).</summary>
    void RequestAttention()
    {
        _attention = true;
        _guest.Cpu.Kick();
        _guest.WakeSignal.Set();
    }

    // ---- The run loop's calls --------------------------------------------------------------

    /// <summary>At the top of every round of the run loop, halted or not.</summary>
    public void Checkpoint()
    {
        if (_waitAtStart)
        {
            _waitAtStart = false;
            Stop("S05");
        }
        if (_attention) ServeRequests();
        if (BreakAtNs is long t && _guest.Clock.Now >= t) { BreakAtNs = null; Stop(Reply(5)); }
    }

    /// <summary>A step runs one instruction; `break-at` ends a virtual-clock run exactly at its time.</summary>
    public long ClampBudget(long budget)
    {
        if (_stepping) return 1;
        if (BreakAtNs is long t && _guest.Clock is VirtualClock clock) return Math.Min(budget, clock.BudgetUntil(t));
        return budget;
    }

    /// <summary>True while a single step keeps pending IRQs from being injected.</summary>
    public bool HoldsIrqs => _stepping && !StepIrqs;

    /// <summary>After each run of the interpreter and the handling of its exit.</summary>
    public void AfterRun(ExitReason exit)
    {
        if (_guest.Stopped) return;
        Cpu.Cpu cpu = _guest.Cpu;
        if (exit == ExitReason.Breakpoint && OnDebugEvent(cpu.TakeDebugEvent())) return;
        if (_stepping && (cpu.InstructionsRetired != _stepFromRetired || cpu.Eip != _stepFromEip || _guest.State != VCpuState.Running))
        {
            Stop(Reply(5));
            return;
        }
        if (_attention) ServeRequests();
        if (BreakAtNs is long t && _guest.Clock.Now >= t) { BreakAtNs = null; Stop(Reply(5)); }
    }

    /// <summary>An IRQ was just delivered: EIP is its handler's first instruction.</summary>
    public void NoteIrqInjected(int irq)
    {
        if (_stepping) Stop(Reply(5));                                 // step-irq on: the step ends in the handler
        else if (StopAtNextTimerIrq && irq == ClockEventDevice.Irq)
        {
            StopAtNextTimerIrq = false;
            Stop(Reply(5));
        }
    }

    /// <summary>The guest has ended: tell gdb (W, the exit status), after a look at a triple fault.</summary>
    public void NoteGuestStopped()
    {
        if (_attached && _resumed && _guest.StopReason == StopReason.TripleFault) Stop(Reply(11));   // SIGSEGV
        if (_attached && _resumed) _server.Send($"W{_guest.ExitStatus & 0xFF:x2}");
        _attached = _resumed = false;
        _server.Dispose();
    }

    /// <summary>Returns true when the CPU's debug event stopped the guest (or was swallowed).</summary>
    bool OnDebugEvent(DebugEvent e)
    {
        switch (e.Kind)
        {
            case DebugEventKind.Breakpoint when _breakpoints.TryGetValue(e.Address, out var kinds):
                Stop(Reply(5, kinds.Software ? "swbreak:;" : "hwbreak:;"));
                return true;
            case DebugEventKind.Breakpoint:
                // The step-over-HLT return address: ours only once the interrupt has returned.
                if (_stepOverHalt is { } back && e.Address == back.Eip && _guest.Cpu.Esp >= back.Esp) { Stop(Reply(5)); return true; }
                _guest.Cpu.ResumeFromDebugger();
                return true;
            case DebugEventKind.Watchpoint:
                string kind = e.Watch switch { WatchKind.Read => "rwatch", WatchKind.Access => "awatch", _ => "watch" };
                Stop(Reply(5, $"{kind}:{e.Address:x};"));
                return true;
            case DebugEventKind.Step:
                Stop(Reply(5));
                return true;
            default:
                return false;
        }
    }

    // ---- Stopped: serve gdb until it resumes us -----------------------------------------------

    /// <summary>`T` stop reply with the signal, a reason, and EIP, ESP and EBP so gdb need not ask.</summary>
    string Reply(int signal, string reason = "")
    {
        Cpu.Cpu cpu = _guest.Cpu;
        return $"T{signal:x2}{reason}08:{GdbPacket.ToLittleEndianHex(cpu.Eip)};04:{GdbPacket.ToLittleEndianHex(cpu.Esp)};05:{GdbPacket.ToLittleEndianHex(cpu.Gpr[5])};";
    }

    /// <summary>Something came from gdb while the guest ran: a Ctrl-C stops it with SIGINT, anything else with SIGTRAP.</summary>
    void ServeRequests()
    {
        _attention = false;
        bool interrupt = _server.TakeInterrupt();
        if (!interrupt && !_server.HasEvents) return;
        Stop(Reply(interrupt ? 2 : 5));
    }

    /// <summary>The guest stops here: tell gdb if it is waiting, then serve packets until one resumes the guest.</summary>
    void Stop(string reply)
    {
        _stepping = false;
        _guest.Cpu.SingleStepping = false;
        if (_stepOverHalt is not null) { _stepOverHalt = null; SyncBreakpoints(); }
        _server.TakeInterrupt();                         // a Ctrl-C racing with this stop is answered by it
        StopReply = reply;
        if (_resumed)
        {
            _resumed = false;
            _server.Send(reply);
        }
        Serve();
        // What Serve consumed needs no second look; a Ctrl-C or packet that came after the resume does.
        _attention = _server.HasEvents || _server.InterruptRequested;
    }

    void Serve()
    {
        while (true)
        {
            GdbEvent e = _server.Take();
            switch (e.Kind)
            {
                case GdbEventKind.Connected:
                    _attached = true;
                    _log.Information("gdb: connected to {Guest}", _guest.Name);
                    break;
                case GdbEventKind.Disconnected:
                    if (!_attached) return;                // left over from a detach: run on
                    _log.Information("gdb: disconnected; {Guest} runs on", _guest.Name);
                    Detach();
                    return;
                case GdbEventKind.Packet:
                    GdbResponse r = _stub.Handle(e.Payload);
                    if (r.StopAcking) _server.StopAcking();          // before the OK: gdb's next packet comes unacked
                    if (r.Reply is not null) _server.Send(r.Reply);
                    if (r.Action != GdbAction.None && Act(r.Action)) return;
                    break;
            }
        }
    }

    /// <summary>Carries out a resume, detach or kill; true when the guest leaves the stopped state.</summary>
    bool Act(GdbAction action)
    {
        Cpu.Cpu cpu = _guest.Cpu;
        switch (action)
        {
            case GdbAction.Continue:
            case GdbAction.Step:
                _resumed = true;
                if (action == GdbAction.Step && _guest.State == VCpuState.Halted && !StepIrqs)
                {
                    _stepOverHalt = (cpu.Eip, cpu.Esp);
                    SyncBreakpoints();
                }
                else if (action == GdbAction.Step)
                {
                    _stepping = true;
                    cpu.SingleStepping = true;
                    _stepFromRetired = cpu.InstructionsRetired;
                    _stepFromEip = cpu.Eip;
                }
                cpu.ResumeFromDebugger();
                return true;
            case GdbAction.Detach:
                Detach();
                return true;
            case GdbAction.Kill:
                _attached = _resumed = false;
                _guest.Kill("killed by the debugger");
                return true;
            default:
                return false;
        }
    }

    /// <summary>gdb leaves: every breakpoint and watchpoint goes, and the guest runs on by itself.</summary>
    void Detach()
    {
        _attached = _resumed = false;
        _breakpoints.Clear();
        _stepOverHalt = null;
        StopAtNextTimerIrq = false;
        BreakAtNs = null;
        StepIrqs = false;
        SyncBreakpoints();
        _guest.Cpu.ClearWatchpoints();
        _guest.Cpu.ResumeFromDebugger();
    }

    // ---- Breakpoints ---------------------------------------------------------------------

    public void InsertBreakpoint(uint address, bool hardware)
    {
        _breakpoints.TryGetValue(address, out var kinds);
        _breakpoints[address] = hardware ? kinds with { Hardware = true } : kinds with { Software = true };
        SyncBreakpoints();
    }

    public void RemoveBreakpoint(uint address, bool hardware)
    {
        if (!_breakpoints.TryGetValue(address, out var kinds)) return;
        kinds = hardware ? kinds with { Hardware = false } : kinds with { Software = false };
        if (kinds.Software || kinds.Hardware) _breakpoints[address] = kinds;
        else _breakpoints.Remove(address);
        SyncBreakpoints();
    }

    public int BreakpointCount => _breakpoints.Count;

    /// <summary>The CPU checks gdb's breakpoints and our own step-over-HLT return address.</summary>
    void SyncBreakpoints()
    {
        IEnumerable<uint> addresses = _breakpoints.Keys;
        if (_stepOverHalt is { } back) addresses = addresses.Append(back.Eip);
        _guest.Cpu.SetBreakpoints(addresses);
    }

    public void Dispose() => _server.Dispose();
}
