// The monitor's structured logs (DESIGN §5): one Serilog event per thing that happens,
// at Debug, carrying the guest's name and its clock's now as {Guest} and {TimeNs}.
using Puppyvisor.Monitor.Loading;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using static Puppyvisor.Monitor.Tests.TestGuest;

namespace Puppyvisor.Monitor.Tests;

public class LoggingTests
{
    const uint SetClockEvent = 9;

    sealed class MemorySink : ILogEventSink
    {
        public readonly List<LogEvent> Events = new();
        public void Emit(LogEvent logEvent) { lock (Events) Events.Add(logEvent); }
    }

    static (Machine Machine, List<LogEvent> Events) RunLogged(ElfImage image, LogEventLevel level)
    {
        var sink = new MemorySink();
        using Logger log = new LoggerConfiguration().MinimumLevel.Is(level).WriteTo.Sink(sink).CreateLogger();
        Machine m = Run(image, log: log);
        return (m, sink.Events);
    }

    static ElfImage TimerThenShutdown() => Build(a =>
    {
        Hypercall(a, SetClockEvent, 50_000);
        a.sti();
        a.hlt();
        Shutdown(a, 1);
    }, a => Shutdown(a, 0));

    static long Scalar(LogEvent e, string property) => Convert.ToInt64(((ScalarValue)e.Properties[property]).Value);

    [Fact]
    public void DebugLevel_LogsHypercallsAndInjectionsWithGuestAndTime()
    {
        var (m, events) = RunLogged(TimerThenShutdown(), LogEventLevel.Debug);
        Assert.Equal(0, m.Guests[0].ExitStatus);

        LogEvent hypercall = Assert.Single(events, e => e.Properties.ContainsKey("Hypercall")
            && Scalar(e, "Number") == SetClockEvent);
        LogEvent injection = Assert.Single(events, e => e.Properties.ContainsKey("Irq"));
        foreach (LogEvent e in new[] { hypercall, injection })
        {
            Assert.Equal(LogEventLevel.Debug, e.Level);
            Assert.Equal("g0", ((ScalarValue)e.Properties["Guest"]).Value);
            Assert.True(e.Properties.ContainsKey("TimeNs"));
        }
        Assert.Equal("HCALL_SET_CLOCKEVENT", ((ScalarValue)hypercall.Properties["Hypercall"]).Value);
        Assert.Equal(Scalar(hypercall, "TimeNs") + 50_000, Scalar(injection, "TimeNs"));   // injected at the expiry
        Assert.Equal(0, Scalar(injection, "Irq"));
        Assert.Equal(0, Scalar(injection, "LatenessNs"));
    }

    [Fact]
    public void DebugLevel_EveryMonitorEventCarriesGuestAndTime()
    {
        var (_, events) = RunLogged(TimerThenShutdown(), LogEventLevel.Debug);
        string[] expected = ["booted", "hypercall", "clockevent armed", "halted", "timer fired", "resumed", "injected", "stopped"];
        foreach (string what in expected)
            Assert.Contains(events, e => e.RenderMessage().Contains(what, StringComparison.Ordinal));
        Assert.All(events, e =>
        {
            Assert.True(e.Properties.ContainsKey("Guest"), e.MessageTemplate.Text);
            Assert.True(e.Properties.ContainsKey("TimeNs"), e.MessageTemplate.Text);
        });
    }

    [Fact]
    public void WarningLevel_ARunThatGoesWellLogsNothing()
    {
        var (m, events) = RunLogged(TimerThenShutdown(), LogEventLevel.Warning);
        Assert.Equal(0, m.Guests[0].ExitStatus);
        Assert.Empty(events);
    }

    [Fact]
    public void UnimplementedInstruction_RaisesUdInTheGuest_AndIsLoggedOnceWithAddressAndDisassembly()
    {
        // LAR is a P6 instruction Puppyvisor does not implement: the guest gets #UD (the fault
        // stub shuts down with 0xEE), the host gets one warning however often it runs.
        var (m, events) = RunLogged(Build(a =>
        {
            a.lar(Iced.Intel.AssemblerRegisters.eax, Iced.Intel.AssemblerRegisters.ecx);
        }), LogEventLevel.Warning);
        Assert.Equal(FaultStatus, m.Guests[0].ExitStatus);
        Assert.Equal(1ul, m.Guests[0].Cpu.ExceptionCounts[6]);
        var warning = Assert.Single(events, e => e.Level == LogEventLevel.Warning);
        string text = warning.RenderMessage();
        Assert.Contains("unimplemented instruction at 0x001", text);
        Assert.Contains("lar eax,ecx", text);
    }
}
