// [H:001] What a guest tells the timeline (--trace) and the structured logs.
//
// One method per thing that happens in the monitor; the run loop calls them at the
// point where it happens. Each writes an instant or a span to the guest's trace track
// when --trace is on (a null check when it is off) and one Serilog event at Debug
// with the guest's name and its clock's "now" as {Guest} and {TimeNs} (an IsEnabled
// check when the level is off). None of this is per instruction: it is per exit.
using Puppyvisor.Monitor.Diagnostics;
using Puppyvisor.Monitor.Hypercalls;
using Puppyvisor.Monitor.Time;
using Serilog.Events;

namespace Puppyvisor.Monitor;

public sealed partial class Guest
{
    /// <summary>This guest's track in the run's timeline, or null when --trace is off.</summary>
    public TraceTrack? Trace { get; private set; }

    long _haltedAtNs;

    bool DebugLogging => Log.IsEnabled(LogEventLevel.Debug);

    /// <summary>Gives the guest its track in the timeline (the machine does it once, before the run).</summary>
    internal void AttachTrace(TraceTrack track)
    {
        Trace = track;
        HookClockEvent();
    }

    /// <summary>The clockevent device reports to us only when someone listens.</summary>
    void HookClockEvent()
    {
        ClockEvent.OnProgram = ClockEventProgrammed;
        ClockEvent.OnFire = ClockEventFired;
    }

    /// <summary>The guest is loaded and about to run (the logs listen from here on, if their level is on).</summary>
    void NoteBooted(string commandLine)
    {
        if (!DebugLogging) return;
        HookClockEvent();
        Log.Debug("{Guest} booted at {TimeNs} ns: entry 0x{Entry:x8}, cmdline {Cmdline:l}", Name, Clock.Now, Image.Entry, commandLine);
    }

    internal void NoteHypercall(uint number)
    {
        if (Trace is null && !DebugLogging) return;
        long now = Clock.Now;
        Trace?.Hypercall(now, number);
        if (DebugLogging) Log.Debug("{Guest} hypercall {Number} {Hypercall:l} at {TimeNs} ns", Name, number, HypercallNames.Of(number), now);
    }

    void ClockEventProgrammed(ClockEventChange change, long nowNs, ulong deltaNs, long expiryNs)
    {
        if (State == VCpuState.Stopped) return;           // the monitor's own tidy-up when the guest stops
        if (change == ClockEventChange.Stopped)
        {
            Trace?.ClockEventStopped(nowNs);
            if (DebugLogging) Log.Debug("{Guest} clockevent stopped at {TimeNs} ns", Name, nowNs);
            return;
        }
        bool rearmed = change == ClockEventChange.Rearmed;
        Trace?.ClockEventArmed(nowNs, rearmed, deltaNs, expiryNs);
        if (!DebugLogging) return;
        if (rearmed) Log.Debug("{Guest} clockevent re-armed at {TimeNs} ns: delta {DeltaNs} ns, expiry {ExpiryNs} ns", Name, nowNs, deltaNs, expiryNs);
        else Log.Debug("{Guest} clockevent armed at {TimeNs} ns: delta {DeltaNs} ns, expiry {ExpiryNs} ns", Name, nowNs, deltaNs, expiryNs);
    }

    /// <summary>The hrtimer fired (on the timer thread with the host clock).</summary>
    void ClockEventFired(long expiryNs)
    {
        long now = Clock.Now;
        Trace?.ClockEventFired(now, expiryNs);
        if (DebugLogging) Log.Debug("{Guest} timer fired at {TimeNs} ns (expiry {ExpiryNs} ns)", Name, now, expiryNs);
    }

    /// <summary>An IRQ raised at <paramref name="raisedAtNs"/> is delivered now, <paramref name="latenessNs"/> later.</summary>
    void NoteIrqInjected(int irq, long raisedAtNs, long latenessNs)
    {
        if (Trace is null && !DebugLogging) return;
        long nowNs = raisedAtNs + latenessNs;             // the "now" the lateness was measured at
        int vector = Abi.IrqBaseVector + irq;
        Trace?.IrqInjected(nowNs, irq, vector, latenessNs);
        if (DebugLogging)
            Log.Debug("{Guest} injected IRQ {Irq} (vector 0x{Vector:x2}) at {TimeNs} ns, {LatenessNs} ns late",
                Name, irq, vector, nowNs, latenessNs);
    }

    /// <summary>Every change of <see cref="State"/>: halted (HLT or HCALL_HALT) and resumed make the spans.</summary>
    void OnStateChanged(VCpuState from, VCpuState to)
    {
        if (to == VCpuState.Stopped) return;              // Stop() reports it, with the reason
        bool halted = to != VCpuState.Running, wasHalted = from != VCpuState.Running;
        if (halted == wasHalted || (Trace is null && !DebugLogging)) return;
        long now = Clock.Now;
        Trace?.StateChanged(now, halted);
        if (halted)
        {
            _haltedAtNs = now;
            if (DebugLogging) Log.Debug("{Guest} halted at {TimeNs} ns by {How:l}", Name, now, to == VCpuState.Halted ? "HLT" : "HCALL_HALT");
        }
        else if (DebugLogging) Log.Debug("{Guest} resumed at {TimeNs} ns after {HaltedNs} ns halted", Name, now, now - _haltedAtNs);
    }

    void NoteStopped()
    {
        if (Trace is null && !DebugLogging) return;
        long now = Clock.Now;
        Trace?.Stopped(now);
        if (!DebugLogging) return;
        if (StopMessage is null) Log.Debug("{Guest} stopped at {TimeNs} ns: {Reason}, status {Status}", Name, now, StopReason, ExitStatus);
        else Log.Debug("{Guest} stopped at {TimeNs} ns: {Reason}, status {Status}: {StopMessage:l}", Name, now, StopReason, ExitStatus, StopMessage);
    }
}
