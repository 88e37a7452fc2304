// [H:920] --stats and --stats-json: the per-guest and total figures of a run.
//
// The JSON is written by hand in a fixed order so two virtual-clock runs can be
// compared as text; host timings sit under their own "host" keys.
using System.Globalization;
using System.Text;
using System.Text.Json;
using Puppyvisor.Cpu;
using Puppyvisor.Monitor.Hypercalls;
using Puppyvisor.Monitor.Time;

namespace Puppyvisor.Monitor.Diagnostics;

public static class StatsReport
{
    static string HypercallName(uint n) => HypercallNames.Of(n);

    public static string Text(Machine machine)
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        foreach (Guest g in machine.Guests) AppendGuest(sb, g, inv);
        if (machine.Guests.Count > 1) AppendTotal(sb, machine, inv);
        return sb.ToString();
    }

    internal static void AppendGuest(StringBuilder sb, Guest g, IFormatProvider inv)
    {
        GuestStats s = g.Stats;
        var ce = g.ClockEvent;
        sb.AppendLine(inv, $"== {g.Name}: {Path.GetFileName(g.Image.Path)} ({g.StopReason}, status {g.ExitStatus})");
        sb.AppendLine(inv, $"  instructions      {s.Instructions:N0}");
        sb.AppendLine(inv, $"  MIPS              {s.Mips:F1}");
        sb.AppendLine(inv, $"  guest time        {s.GuestTimeNs / 1e6:F3} ms ({g.Options.Clock.ToString().ToLowerInvariant()} clock)");
        sb.AppendLine(inv, $"  host time         {s.HostSeconds * 1e3:F3} ms (interpreting {s.RunSeconds * 1e3:F3} ms)");
        sb.AppendLine(inv, $"  halted            {s.HaltedFraction * 100:F1}%");
        sb.AppendLine(inv, $"  exits             {string.Join(", ", Enum.GetValues<ExitReason>().Where(r => s.ExitsByReason[(int)r] > 0).Select(r => $"{r} {s.ExitsByReason[(int)r]}"))}");
        sb.AppendLine(inv, $"  hypercalls        {string.Join(", ", s.HypercallsByNumber.Select(kv => $"{HypercallName(kv.Key)} {kv.Value}"))}");
        sb.AppendLine(inv, $"  clockevents       armed {ce.Armed}, re-armed {ce.Rearmed}, cancelled {ce.Cancelled}, fired {ce.Fired}");
        sb.AppendLine(inv, $"  IRQs              injected {s.IrqsInjected} ({PerSecond(s.IrqsInjected, g)}), coalesced {g.Irqs.Coalesced}");
        sb.AppendLine(inv, $"  lateness (ns)     {Lateness(s.LatenessSummary())}");
        sb.AppendLine(inv, $"  decode cache      {HitRate(g.Cpu.Decode.Hits, g.Cpu.Decode.Misses)} hits, {g.Cpu.Decode.BlockCount} blocks ({g.Cpu.Decode.CompiledBlockCount} compiled)");
        sb.AppendLine(inv, $"  TLB               {HitRate(g.Cpu.TlbHits, g.Cpu.TlbMisses)} hits ({g.Cpu.TlbHits} / {g.Cpu.TlbHits + g.Cpu.TlbMisses})");
    }

    static void AppendTotal(StringBuilder sb, Machine m, IFormatProvider inv)
    {
        ulong insns = 0; double run = 0; long fired = 0, armed = 0, injected = 0, coalesced = 0;
        foreach (Guest g in m.Guests)
        {
            insns += g.Stats.Instructions; run += g.Stats.RunSeconds; fired += g.ClockEvent.Fired;
            armed += g.ClockEvent.Armed + g.ClockEvent.Rearmed; injected += g.Stats.IrqsInjected; coalesced += g.Irqs.Coalesced;
        }
        double seconds = TotalSeconds(m);
        sb.AppendLine(inv, $"== total: {m.Guests.Count} guests");
        sb.AppendLine(inv, $"  instructions      {insns:N0}");
        sb.AppendLine(inv, $"  MIPS              {(run > 0 ? insns / run / 1e6 : 0):F1}");
        sb.AppendLine(inv, $"  clockevents       programmed {armed}, fired {fired}");
        sb.AppendLine(inv, $"  IRQs              injected {injected}, coalesced {coalesced}");
        sb.AppendLine(inv, $"  lateness (ns)     {Lateness(GuestStats.Summarize(m.Guests.SelectMany(g => g.Stats.Lateness)))}");
        sb.AppendLine(inv, $"  host timer expiries {m.Queue.Expirations} ({(seconds > 0 ? m.Queue.Expirations / seconds : 0):F1} per {(m.Options.Clock == ClockKind.Virtual ? "virtual" : "host")} second)");
        if (BlockCompiler.Failures > 0)
            sb.AppendLine(inv, $"  block compiler    {BlockCompiler.Failures} blocks left to the interpreter after a compile error; the last: {BlockCompiler.LastFailure}");
    }

    /// <summary>Seconds the run covered: the longest guest time on the virtual clock, wall time on the host clock.</summary>
    public static double TotalSeconds(Machine m) => m.Options.Clock == ClockKind.Virtual
        ? m.Guests.Max(g => g.Stats.GuestTimeNs) / 1e9
        : HostClock.ToNs(m.EndTimestamp - m.StartTimestamp) / 1e9;

    static string Lateness((long Min, long P50, long P99, long Max)? l) =>
        l is { } v ? $"min {v.Min}, p50 {v.P50}, p99 {v.P99}, max {v.Max}" : "none";

    /// <summary>"624.1 per virtual second": a count over the guest's time on its clock.</summary>
    static string PerSecond(long count, Guest g)
    {
        double seconds = g.Options.Clock == ClockKind.Virtual ? g.Stats.GuestTimeNs / 1e9 : g.Stats.HostSeconds;
        string rate = (seconds > 0 ? count / seconds : 0).ToString("F1", CultureInfo.InvariantCulture);
        return $"{rate} per {(g.Options.Clock == ClockKind.Virtual ? "virtual" : "host")} second";
    }

    static string HitRate(ulong hits, ulong misses) =>
        hits + misses == 0 ? "n/a" : (100.0 * hits / (hits + misses)).ToString("F2", CultureInfo.InvariantCulture) + "%";

    public static string Json(Machine machine)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("clock", machine.Options.Clock.ToString().ToLowerInvariant());
            w.WriteNumber("ns_per_insn", machine.Options.NsPerInstruction);
            w.WriteStartArray("guests");
            foreach (Guest g in machine.Guests) WriteGuest(w, g);
            w.WriteEndArray();
            w.WriteStartObject("total");
            w.WriteNumber("guests", machine.Guests.Count);
            w.WriteNumber("instructions", machine.Guests.Aggregate(0UL, (a, g) => a + g.Stats.Instructions));
            w.WriteNumber("irqs_injected", machine.Guests.Sum(g => g.Stats.IrqsInjected));
            w.WriteNumber("irqs_coalesced", machine.Guests.Sum(g => g.Irqs.Coalesced));
            w.WriteNumber("clockevents_fired", machine.Guests.Sum(g => g.ClockEvent.Fired));
            w.WriteNumber("host_timer_expiries", machine.Queue.Expirations);
            double seconds = TotalSeconds(machine);
            w.WriteNumber("seconds_covered", seconds);
            w.WriteNumber("host_timer_expiries_per_second", seconds > 0 ? machine.Queue.Expirations / seconds : 0);
            WriteLateness(w, GuestStats.Summarize(machine.Guests.SelectMany(g => g.Stats.Lateness)));
            w.WriteStartObject("host");
            w.WriteNumber("wall_seconds", HostClock.ToNs(machine.EndTimestamp - machine.StartTimestamp) / 1e9);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    static void WriteGuest(Utf8JsonWriter w, Guest g)
    {
        GuestStats s = g.Stats;
        w.WriteStartObject();
        w.WriteString("name", g.Name);
        w.WriteString("image", Path.GetFileName(g.Image.Path));
        w.WriteString("stop_reason", g.StopReason.ToString());
        w.WriteNumber("exit_status", g.ExitStatus);
        w.WriteNumber("instructions", s.Instructions);
        w.WriteNumber("guest_time_ns", s.GuestTimeNs);
        w.WriteNumber("halted_fraction", Math.Round(s.HaltedFraction, 6));
        w.WriteStartObject("exits");
        foreach (ExitReason r in Enum.GetValues<ExitReason>()) w.WriteNumber(r.ToString(), s.ExitsByReason[(int)r]);
        w.WriteEndObject();
        w.WriteStartObject("hypercalls");
        foreach (var kv in s.HypercallsByNumber) w.WriteNumber(HypercallName(kv.Key), kv.Value);
        w.WriteEndObject();
        w.WriteStartObject("clockevents");
        w.WriteNumber("armed", g.ClockEvent.Armed);
        w.WriteNumber("rearmed", g.ClockEvent.Rearmed);
        w.WriteNumber("cancelled", g.ClockEvent.Cancelled);
        w.WriteNumber("fired", g.ClockEvent.Fired);
        w.WriteEndObject();
        w.WriteNumber("irqs_injected", s.IrqsInjected);
        w.WriteNumber("irqs_coalesced", g.Irqs.Coalesced);
        WriteLateness(w, s.LatenessSummary());
        w.WriteNumber("decode_cache_hits", g.Cpu.Decode.Hits);
        w.WriteNumber("decode_cache_misses", g.Cpu.Decode.Misses);
        w.WriteNumber("decode_blocks", g.Cpu.Decode.BlockCount);
        w.WriteNumber("compiled_blocks", g.Cpu.Decode.CompiledBlockCount);
        w.WriteNumber("tlb_hits", g.Cpu.TlbHits);
        w.WriteNumber("tlb_misses", g.Cpu.TlbMisses);
        w.WriteStartObject("host");
        w.WriteNumber("seconds", s.HostSeconds);
        w.WriteNumber("interpreting_seconds", s.RunSeconds);
        w.WriteNumber("mips", s.Mips);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    static void WriteLateness(Utf8JsonWriter w, (long Min, long P50, long P99, long Max)? l)
    {
        w.WriteStartObject("lateness_ns");
        if (l is { } v)
        {
            w.WriteNumber("min", v.Min); w.WriteNumber("p50", v.P50); w.WriteNumber("p99", v.P99); w.WriteNumber("max", v.Max);
        }
        w.WriteEndObject();
    }
}
