// [H:000] A guest: its RAM, its vCPU, its devices, and the run loop that ties them.
//
// This is the monitor's half of lguest's run_guest() (drivers/lguest/core.c), read
// top to bottom: *enter* the guest, injecting an interrupt if one can be taken;
// *run* the interpreter until something needs us; *handle* that exit; go round.
// A guest that shuts down, triple-faults, halts forever or hits its instruction
// limit stops alone (lguest's kill_guest: the first reason wins); the others go on.
using System.Buffers;
using Puppyvisor.Cpu;
using Puppyvisor.Cpu.Memory;
using Puppyvisor.Monitor.Devices;
using Puppyvisor.Monitor.Diagnostics;
using Puppyvisor.Monitor.Hypercalls;
using Puppyvisor.Monitor.Interrupts;
using Puppyvisor.Monitor.Loading;
using Puppyvisor.Monitor.Time;
using Serilog;

namespace Puppyvisor.Monitor;

/// <summary>Why a guest stopped; each has its exit code (README).</summary>
public enum StopReason { None, Shutdown, TripleFault, HaltedForever, InstructionLimit, Killed }

/// <summary>What the vCPU is doing between runs.</summary>
public enum VCpuState { Running, Halted, WaitingInHypercall, Stopped }

public sealed partial class Guest : ICpuHost
{
    public string Name { get; }
    public ElfImage Image { get; }
    public Cpu.Cpu Cpu { get; }
    public PhysicalMemory Memory { get; }
    public GuestConsole Console { get; }
    public PortBus Ports { get; }
    public PendingIrqs Irqs { get; } = new();
    public ClockEventDevice ClockEvent { get; }
    public GuestClock Clock { get; }
    public GuestStats Stats { get; }
    public MachineOptions Options { get; }
    internal ILogger Log { get; }

    public VCpuState State
    {
        get;
        private set { VCpuState from = field; field = value; if (from != value) OnStateChanged(from, value); }
    } = VCpuState.Running;
    public StopReason StopReason { get; private set; }
    public int ExitStatus { get; private set; }
    public string? StopMessage { get; private set; }
    public bool Stopped => State == VCpuState.Stopped;

    /// <summary>Host mode: the vCPU thread sleeps here while halted (lguest's halt-sleep).</summary>
    /// <remarks>A kernel event, not a SemaphoreSlim: an idle vCPU must not spin before it sleeps.</remarks>
    internal readonly AutoResetEvent WakeSignal = new(false);
    readonly object? _queueLock;
    readonly HashSet<string> _warned = new();

    public Guest(string name, ElfImage image, MachineOptions options, HrTimerQueue queue, object? queueLock,
        TextWriter output, object outputLock, string consolePrefix, ILogger log, long hostStartTimestamp)
    {
        Name = name;
        Image = image;
        Options = options;
        _queueLock = queueLock;
        Log = log.ForContext("Guest", name);
        Memory = new PhysicalMemory(options.MemoryBytes);
        Memory.OutsideRamAccess = (pa, write) =>
            Warn($"{(write ? "write to" : "read from")} physical 0x{pa:x8} outside RAM at EIP 0x{Cpu!.InstructionStart:x8}");
        Cpu = new Cpu.Cpu(Memory, this);
        Cpu.Decode.Enabled = options.DecodeCache;
        Cpu.TlbEnabled = options.Tlb;
        Cpu.Decode.FastForms = options.FastForms;
        Cpu.Compiler = options.Compiler;
        Console = new GuestConsole(output, consolePrefix, outputLock);
        Ports = new PortBus(Console, status => RequestShutdown(status));
        Clock = options.Clock == ClockKind.Virtual
            ? new VirtualClock(Cpu, options.NsPerInstruction)
            : new HostClock(hostStartTimestamp);
        ClockEvent = new ClockEventDevice(name, queue, Irqs, Wake);
        Stats = new GuestStats(this);
        Multiboot.Boot(image, Cpu, options.CommandLineFor(image));
        NoteBooted(options.CommandLineFor(image));
    }

    // ---- Enter: inject a pending interrupt the guest can take ---------------------

    /// <summary>
    /// On every entry (DESIGN §2): when an IRQ is pending, IF is set and no interrupt shadow
    /// is active, deliver the lowest one through the guest's IDT like a hardware interrupt.
    /// </summary>
    internal void InjectPendingIrq()
    {
        if (!Irqs.Any || !Cpu.InterruptsEnabled || Cpu.InInterruptShadow) { Cpu.IrqLine = Irqs.Any; return; }
        if (Debugger is { HoldsIrqs: true }) return;            // a gdb single step leaves IRQs pending
        Irqs.TakeLowest(out int irq, out long raisedAt);
        long lateness = Clock.Now - raisedAt;                  // never negative: an IRQ is never early
        Stats.IrqInjected(lateness);
        if (State == VCpuState.Halted) State = VCpuState.Running;   // HLT resumes into the handler
        NoteIrqInjected(irq, raisedAt, lateness);
        if (!Cpu.DeliverExternalInterrupt(Abi.IrqBaseVector + irq)) Stop(StopReason.TripleFault, CrashReport.TripleFault(this));
        Cpu.IrqLine = Irqs.Any;
        if (!Stopped) Debugger?.NoteIrqInjected(irq);
    }

    // ---- Run and handle the exit ------------------------------------------------

    /// <summary>Runs at most <paramref name="budget"/> instructions, then handles what ended the run.</summary>
    internal void RunAndHandleExit(long budget)
    {
        if (Options.MaxInstructions is long max)
        {
            long left = max - (long)Cpu.InstructionsRetired;
            if (left <= 0) { Stop(StopReason.InstructionLimit, $"instruction limit reached ({max} instructions)"); return; }
            budget = Math.Min(budget, left);
        }
        if (Debugger is { } debugger) budget = debugger.ClampBudget(budget);
        Cpu.IrqLine = Irqs.Any && Debugger is not { HoldsIrqs: true };
        long start = HostClock.Timestamp;
        ulong retiredBefore = Cpu.InstructionsRetired;
        ExitReason exit = Cpu.Run(budget);
        Stats.RunTicks += HostClock.Timestamp - start;
        Stats.CountExit(exit);
        if (exit == ExitReason.BudgetExhausted && Cpu.InstructionsRetired == retiredBefore && ExceptionStorm(budget)) return;
        if (Cpu.InstructionsRetired != retiredBefore) _stormDeliveries = 0;
        switch (exit)
        {
            case ExitReason.Hypercall: HypercallDispatcher.Dispatch(this); break;
            case ExitReason.Halt: EnterHalt(); break;
            case ExitReason.TripleFault: Stop(StopReason.TripleFault, CrashReport.TripleFault(this)); break;
            case ExitReason.Shutdown: break;                    // RequestShutdown already stopped us
            case ExitReason.BudgetExhausted:
            case ExitReason.InterruptWindow:
            case ExitReason.Kick:
            case ExitReason.Breakpoint:
                break;                                          // the loop goes round and enters again
        }
        Debugger?.AfterRun(exit);                               // a breakpoint, a step's end, a Ctrl-C: gdb looks
    }

    /// <summary>Deliveries in a row with no instruction retired: every handler's first instruction faults.</summary>
    long _stormDeliveries;
    const long StormLimit = 1_000_000;

    /// <summary>
    /// The whole budget went on exception deliveries and not one instruction retired (a handler
    /// that faults at once, forever, without reaching a triple fault). Each delivery is given the
    /// time of an instruction, so the guest's clock and its timers still move on; after a million
    /// the guest is stopped with a clear message rather than left spinning. True when it stopped.
    /// </summary>
    bool ExceptionStorm(long deliveries)
    {
        if (Clock is VirtualClock v) v.SkipTo(v.Now + deliveries * v.NsPerInstruction);
        _stormDeliveries += deliveries;
        if (_stormDeliveries < StormLimit) return false;
        Stop(StopReason.TripleFault, $"exception storm: {_stormDeliveries} exceptions delivered and no instruction retired; last {string.Join(" -> ", Cpu.FaultChain)} at EIP 0x{Cpu.Eip:x8}\n  {CrashReport.DisassembleAt(this, Cpu.Eip)}");
        return true;
    }

    // ---- Halting: HLT and HCALL_HALT --------------------------------------------

    /// <summary>HLT: sleep until an IRQ can be delivered. With IF = 0 that is never (DESIGN §2).</summary>
    void EnterHalt()
    {
        State = VCpuState.Halted;
        if (!Cpu.InterruptsEnabled)
            Stop(StopReason.HaltedForever, $"halted forever: HLT with interrupts disabled at EIP 0x{Cpu.InstructionStart:x8}");
    }

    /// <summary>HCALL_HALT (lguest's LHCALL_HALT): return 0 once an interrupt is pending, whatever IF is.</summary>
    internal void HaltUntilInterrupt()
    {
        Cpu.Gpr[0] = 0;
        if (!Irqs.Any) State = VCpuState.WaitingInHypercall;
    }

    /// <summary>True when the guest is halted and something pending lets it continue now.</summary>
    internal bool TryWake()
    {
        switch (State)
        {
            case VCpuState.Halted when Irqs.Any && Cpu.InterruptsEnabled:
                Cpu.Halted = false;
                return true;                                    // the injection on entry resumes it
            case VCpuState.WaitingInHypercall when Irqs.Any:
                State = VCpuState.Running;
                return true;
            default:
                return State == VCpuState.Running;
        }
    }

    /// <summary>True when the vCPU can run now: running, or halted with an interrupt that wakes it.</summary>
    internal bool IsRunnable => State switch
    {
        VCpuState.Running => true,
        VCpuState.Halted => Irqs.Any && Cpu.InterruptsEnabled,
        VCpuState.WaitingInHypercall => Irqs.Any,
        _ => false,
    };

    /// <summary>Halted with no timer armed and nothing pending: no interrupt can ever come.</summary>
    internal bool CanNeverWake => (State is VCpuState.Halted or VCpuState.WaitingInHypercall) && !Irqs.Any && !ClockEvent.IsArmed;

    internal void StopHaltedForever() =>
        Stop(StopReason.HaltedForever, State == VCpuState.Halted
            ? $"halted forever: HLT at EIP 0x{Cpu.InstructionStart:x8} with no timer armed and no interrupt pending"
            : $"halted forever: HCALL_HALT at EIP 0x{Cpu.InstructionStart:x8} with no timer armed and no interrupt pending");

    /// <summary>The hrtimer callback's "wake the vCPU": host mode unblocks the thread and kicks a running CPU.</summary>
    void Wake()
    {
        Cpu.IrqLine = true;
        if (Options.Clock == ClockKind.Host)
        {
            Cpu.Kick();
            WakeSignal.Set();
        }
    }

    // ---- Services the hypercalls call -------------------------------------------

    internal void SetClockEvent(ulong deltaNs)
    {
        if (_queueLock is null) ClockEvent.Program(Clock.Now, deltaNs);
        else lock (_queueLock)
        {
            ClockEvent.Program(Clock.Now, deltaNs);
            System.Threading.Monitor.Pulse(_queueLock);                  // the timer thread may need to wake earlier
        }
    }

    internal ulong WallclockSeconds() => (ulong)(Options.WallclockEpoch + Clock.Now / 1_000_000_000);

    /// <summary>HCALL_CONSOLE_WRITE: all bytes or none (-EFAULT if any is unmapped or outside RAM).</summary>
    internal int ConsoleWrite(uint linear, uint length)
    {
        if (length > Memory.Size) return -Errno.EFAULT;
        byte[] buffer = ArrayPool<byte>.Shared.Rent((int)length);
        try
        {
            Span<byte> bytes = buffer.AsSpan(0, (int)length);
            if (!Cpu.TryReadLinear(linear, bytes)) return -Errno.EFAULT;
            Console.Write(bytes);
            return (int)length;
        }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
    }

    // ---- Stopping ------------------------------------------------------------

    /// <summary>HCALL_SHUTDOWN and isa-debug-exit: the guest ends itself with a status.</summary>
    internal void Shutdown(int status, string how)
    {
        ExitStatus = status;
        Stop(StopReason.Shutdown, null);
        Log.Debug("{Guest} shut down at {TimeNs} ns with status {Status} via {How}", Name, Clock.Now, status, how);
    }

    void RequestShutdown(int status)
    {
        Shutdown(status, "isa-debug-exit");
        Cpu.RequestExit(ExitReason.Shutdown);
    }

    /// <summary>lguest's kill_guest: the first reason wins; the run loop sees Stopped and stops.</summary>
    internal void Stop(StopReason reason, string? message)
    {
        if (State == VCpuState.Stopped) return;
        State = VCpuState.Stopped;
        StopReason = reason;
        StopMessage = message;
        if (reason != StopReason.Shutdown) ExitStatus = reason switch
        {
            StopReason.TripleFault => ExitCodes.TripleFault,
            StopReason.HaltedForever => ExitCodes.HaltedForever,
            StopReason.InstructionLimit => ExitCodes.InstructionLimit,
            _ => ExitCodes.Software,
        };
        Console.Flush();
        if (message is not null) Console.MonitorLine($"puppyvisor: {Name}: {message}");
        lock (_queueLock ?? this) ClockEvent.Program(Clock.Now, 0);
        Stats.Finish();
        NoteStopped();
        WakeSignal.Set();
        Debugger?.NoteGuestStopped();
    }

    // ---- ICpuHost: what the CPU asks of the machine ------------------------------

    public uint PortIn(ushort port, int size) => Ports.In(port, size);
    public void PortOut(ushort port, int size, uint value) => Ports.Out(port, size, value);
    public uint TscKhz => Options.TscKhz;

    /// <summary>RDTSC: floor(now_ns * kHz / 10^6) on the guest's clock (DESIGN §2).</summary>
    public ulong ReadTsc(Cpu.Cpu cpu) => (ulong)((UInt128)(ulong)Clock.Now * Options.TscKhz / 1_000_000);

    public void Warn(string message) => WarnOnce(message, message);

    internal void WarnOnce(string key, string message)
    {
        if (!_warned.Add(key)) return;
        Log.Warning("{Guest}: {Message}", Name, message);
    }
}
