// --trace (DESIGN §5): the Chrome Trace Event timeline of small guests on the virtual
// clock, read back with System.Text.Json.
using System.Text;
using System.Text.Json;
using Iced.Intel;
using Puppyvisor.Cpu;
using Puppyvisor.Monitor.Diagnostics;
using Puppyvisor.Monitor.Loading;
using Puppyvisor.Monitor.Time;
using static Iced.Intel.AssemblerRegisters;
using static Puppyvisor.Monitor.Tests.TestGuest;

namespace Puppyvisor.Monitor.Tests;

public class TraceTests
{
    const uint SetClockEvent = 9;

    internal sealed record TraceEvent(string Name, string? Category, string Phase, long TsNs, long? DurNs, int Tid, JsonElement? Args)
    {
        public long Arg(string name) => Args!.Value.GetProperty(name).GetInt64();
    }

    /// <summary>Runs the guest with a trace into memory; returns the machine and the file's bytes.</summary>
    internal static (Machine Machine, byte[] Json) RunTraced(ElfImage image, int copies = 1, ClockKind clock = ClockKind.Virtual)
    {
        var stream = new MemoryStream();
        var trace = new TraceWriter(stream, clock, leaveOpen: true);
        Machine m = Run(image, copies: copies, trace: trace, clock: clock);
        return (m, stream.ToArray());
    }

    /// <summary>Every event of the file, in file order; ts and dur back in nanoseconds.</summary>
    internal static List<TraceEvent> Parse(byte[] json)
    {
        using JsonDocument doc = JsonDocument.Parse(json);
        var events = new List<TraceEvent>();
        foreach (JsonElement e in doc.RootElement.GetProperty("traceEvents").EnumerateArray())
        {
            events.Add(new TraceEvent(
                e.GetProperty("name").GetString()!,
                e.TryGetProperty("cat", out JsonElement cat) ? cat.GetString() : null,
                e.GetProperty("ph").GetString()!,
                Nanoseconds(e.GetProperty("ts")),
                e.TryGetProperty("dur", out JsonElement dur) ? Nanoseconds(dur) : null,
                e.GetProperty("tid").GetInt32(),
                e.TryGetProperty("args", out JsonElement args) ? args.Clone() : null));
        }
        return events;
    }

    static long Nanoseconds(JsonElement microseconds) => (long)(microseconds.GetDecimal() * 1000m);

    /// <summary>One guest's events without the metadata, ordered by time (stably: file order breaks ties).</summary>
    static List<TraceEvent> Timeline(List<TraceEvent> events, int tid) =>
        events.Where(e => e.Tid == tid && e.Phase != "M").OrderBy(e => e.TsNs).ToList();

    /// <summary>Arms the clockevent, halts with STI; HLT, the handler shuts down with 0.</summary>
    static ElfImage TimerThenShutdown() => Build(a =>
    {
        Hypercall(a, SetClockEvent, 50_000);
        a.sti();
        a.hlt();
        Shutdown(a, 1);
    }, a => Shutdown(a, 0));

    /// <summary>ClockEventRulesTests' chain: the handler re-arms 1 µs ahead until the count-th tick, then shuts down.</summary>
    static ElfImage RearmChain(int count) => Build(a =>
    {
        var idle = a.CreateLabel();
        Hypercall(a, SetClockEvent, 1_000);
        a.sti();
        a.Label(ref idle);
        a.hlt();
        a.jmp(idle);
    }, a =>
    {
        var done = a.CreateLabel();
        a.inc(__dword_ptr[Scratch]);
        a.cmp(__dword_ptr[Scratch], count);
        a.je(done);
        Hypercall(a, SetClockEvent, 1_000);
        a.iretd();
        a.Label(ref done);
        Shutdown(a, 0);
    });

    [Fact]
    public void TimerGuest_TraceIsArmedThenHaltedThenFiredThenInjectedOnTimeThenShutdown()
    {
        var (m, json) = RunTraced(TimerThenShutdown());
        Assert.Equal(0, m.Guests[0].ExitStatus);
        List<TraceEvent> t = Timeline(Parse(json), tid: 1);

        Assert.Equal(
            ["running", "HCALL_SET_CLOCKEVENT", "clockevent armed", "halted", "clockevent fired", "irq injected", "running", "HCALL_SHUTDOWN"],
            t.Select(e => e.Name));
        TraceEvent armed = t[2], halted = t[3], fired = t[4], injected = t[5], shutdown = t[7];
        Assert.Equal(50_000, armed.Arg("delta_ns"));
        Assert.Equal(armed.TsNs + 50_000, armed.Arg("expiry_ns"));
        Assert.Equal("X", halted.Phase);
        Assert.Equal(fired.Arg("expiry_ns"), halted.TsNs + halted.DurNs);     // halted until the expiry
        Assert.Equal(armed.Arg("expiry_ns"), fired.Arg("expiry_ns"));
        Assert.Equal(fired.TsNs, injected.TsNs);
        Assert.Equal(0, injected.Arg("irq"));
        Assert.Equal(0x20, injected.Arg("vector"));
        Assert.Equal(0, injected.Arg("lateness_ns"));
        Assert.Equal(2, shutdown.Arg("number"));
        Assert.All(t.Where(e => e.Phase == "i"), e => Assert.NotNull(e.Category));
        // The spans tile the guest's time from 0 to its stop.
        var spans = t.Where(e => e.Phase == "X").ToList();
        Assert.Equal(0, spans[0].TsNs);
        for (int i = 1; i < spans.Count; i++) Assert.Equal(spans[i - 1].TsNs + spans[i - 1].DurNs, spans[i].TsNs);
        Assert.Equal(m.Guests[0].Stats.GuestTimeNs, spans[^1].TsNs + spans[^1].DurNs);
    }

    [Fact]
    public void ThousandTimerChain_EventCountsEqualTheStats()
    {
        var (m, json) = RunTraced(RearmChain(1000));
        Guest g = m.Guests[0];
        Assert.Equal(0, g.ExitStatus);
        List<TraceEvent> t = Timeline(Parse(json), tid: 1);

        var hypercalls = t.Where(e => e.Category == "hypercall").GroupBy(e => (uint)e.Arg("number"))
            .ToDictionary(grp => grp.Key, grp => (long)grp.Count());
        Assert.Equal(g.Stats.HypercallsByNumber, hypercalls.OrderBy(kv => kv.Key));
        Assert.Equal(g.ClockEvent.Armed, t.Count(e => e.Name == "clockevent armed"));
        Assert.Equal(g.ClockEvent.Rearmed, t.Count(e => e.Name == "clockevent re-armed"));
        Assert.Equal(1000, g.ClockEvent.Fired);
        Assert.Equal(g.ClockEvent.Fired, t.Count(e => e.Name == "clockevent fired"));
        Assert.Equal(g.Stats.IrqsInjected, t.Count(e => e.Name == "irq injected"));
        Assert.All(t.Where(e => e.Name == "irq injected"), e => Assert.Equal(0, e.Arg("lateness_ns")));
        // A span per state change, not per exit: one halted span per HLT, one running span more.
        long halts = g.Stats.ExitsByReason[(int)ExitReason.Halt];
        Assert.Equal(halts, t.Count(e => e.Name == "halted"));
        Assert.Equal(halts + 1, t.Count(e => e.Name == "running"));
    }

    [Fact]
    public void TwoVirtualClockRuns_WriteByteIdenticalTraces()
    {
        ElfImage image = RearmChain(200);
        byte[] first = RunTraced(image, copies: 2).Json;
        byte[] second = RunTraced(image, copies: 2).Json;
        Assert.True(first.Length > 10_000);
        Assert.Equal(first, second);
    }

    [Fact]
    public void TwoGuests_GetTwoNamedTracksWithTheirOwnEvents()
    {
        var (_, json) = RunTraced(RearmChain(10), copies: 2);
        List<TraceEvent> events = Parse(json);

        var names = events.Where(e => e.Name == "thread_name")
            .Select(e => (e.Tid, e.Args!.Value.GetProperty("name").GetString())).ToList();
        Assert.Equal([(1, "g0"), (2, "g1")], names);
        Assert.Equal(new[] { 1, 2 }, events.Where(e => e.Phase != "M").Select(e => e.Tid).Distinct().Order());
        Assert.Equal(10, Timeline(events, 1).Count(e => e.Name == "irq injected"));
        Assert.Equal(10, Timeline(events, 2).Count(e => e.Name == "irq injected"));
    }

    [Fact]
    public void HostClockTrace_ParsesAndCountsTheSameEvents()
    {
        var (m, json) = RunTraced(RearmChain(50), clock: ClockKind.Host);
        Guest g = m.Guests[0];
        Assert.Equal(0, g.ExitStatus);
        List<TraceEvent> t = Timeline(Parse(json), tid: 1);
        Assert.Equal(50, t.Count(e => e.Name == "clockevent fired"));
        Assert.Equal(g.Stats.IrqsInjected, t.Count(e => e.Name == "irq injected"));
        Assert.Equal("host", JsonDocument.Parse(json).RootElement.GetProperty("otherData").GetProperty("clock").GetString());
    }

    [Fact]
    public void Timestamps_AreMicrosecondsWithTheNanosecondsAsThreeDecimals()
    {
        var stream = new MemoryStream();
        using (var trace = new TraceWriter(stream, ClockKind.Virtual, leaveOpen: true))
        {
            TraceTrack track = trace.AddGuest("g0");
            track.Hypercall(1_234_567, 9);
            track.ClockEventFired(5, 5);
            track.StateChanged(2_000_000_000_001, halted: true);
        }
        string text = Encoding.UTF8.GetString(stream.ToArray());
        Assert.Contains("\"ts\":1234.567,", text);
        Assert.Contains("\"ts\":0.005,", text);
        Assert.Contains("{\"name\":\"running\",\"cat\":\"vcpu\",\"ph\":\"X\",\"ts\":0.000,\"pid\":1,\"tid\":1,\"dur\":2000000000.001}", text);
        Assert.Equal(2_000_000_000_001, Parse(stream.ToArray()).Single(e => e.Name == "running").DurNs);
    }
}
