// [H:930] --trace: a timeline of the run in the Chrome Trace Event format (DESIGN §5).
//
// One process, one track (tid) per guest. Complete events ("X") for the running and
// halted spans, written when the vCPU changes state, so their number grows with the
// halts, not with the exits; instant events ("i") for hypercalls, clockevent
// programming, timer expiries and IRQ injections. Timestamps are the guest's clock in
// microseconds with three decimals, so nanoseconds survive. The JSON is written by
// hand, one event a line, in a fixed property order with invariant formatting and
// nothing from the wall clock: two virtual-clock runs write the same bytes. The file
// opens in the Perfetto UI (https://ui.perfetto.dev, "Open trace file") and in
// chrome://tracing.
//
// Cost: nothing when --trace is off (the callers hold a null reference); when on, a
// few hundred bytes into a buffered stream per event, under one lock because on the
// host clock the vCPU threads and the timer thread all write.
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Puppyvisor.Monitor.Hypercalls;
using Puppyvisor.Monitor.Time;

namespace Puppyvisor.Monitor.Diagnostics;

public sealed class TraceWriter : IDisposable
{
    const int Pid = 1;

    readonly TextWriter _out;
    readonly object _lock = new();
    readonly List<TraceTrack> _tracks = new();
    readonly string _clock;
    bool _first = true, _closed;

    /// <summary>Writes the trace to <paramref name="path"/> (created or truncated).</summary>
    public TraceWriter(string path, ClockKind clock)
        : this(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16), clock, leaveOpen: false) { }

    /// <summary>Writes the trace to <paramref name="stream"/>; <paramref name="clock"/> is the clock of the timestamps.</summary>
    public TraceWriter(Stream stream, ClockKind clock, bool leaveOpen = false)
    {
        _out = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 1 << 16, leaveOpen) { NewLine = "\n" };
        _clock = clock == ClockKind.Virtual ? "virtual" : "host";
        _out.Write("{\"traceEvents\":[\n");
        Metadata(0, "process_name", "puppyvisor");
    }

    /// <summary>A track for one guest, named in a metadata event; tracks are numbered from 1 in the order added.</summary>
    public TraceTrack AddGuest(string name)
    {
        lock (_lock)
        {
            var track = new TraceTrack(this, _tracks.Count + 1);
            _tracks.Add(track);
            Metadata(track.Tid, "thread_name", name);
            Metadata(track.Tid, "thread_sort_index", track.Tid);
            return track;
        }
    }

    /// <summary>Ends the JSON and closes the file. Idempotent; events after it are dropped.</summary>
    public void Close()
    {
        lock (_lock)
        {
            if (_closed) return;
            _closed = true;
            _out.Write("\n],\"displayTimeUnit\":\"ns\",\"otherData\":{\"clock\":");
            WriteString(_clock);
            _out.Write("}}\n");
            _out.Dispose();
        }
    }

    public void Dispose() => Close();

    // ---- Writing events (callers hold _lock) --------------------------------------

    void Metadata(int tid, string name, string value)
    {
        Begin(name, null, 'M', 0, tid);
        _out.Write(",\"args\":{\"name\":");
        WriteString(value);
        _out.Write("}}");
    }

    void Metadata(int tid, string name, int sortIndex)
    {
        Begin(name, null, 'M', 0, tid);
        _out.Write(",\"args\":{\"sort_index\":");
        WriteInteger(sortIndex);
        _out.Write("}}");
    }

    /// <summary>Starts an event: name, cat, ph, ts, pid, tid in that order; the caller adds the rest and the closing brace.</summary>
    void Begin(string name, string? category, char phase, long tsNs, int tid)
    {
        if (!_first) _out.Write(",\n");
        _first = false;
        _out.Write("{\"name\":");
        WriteString(name);
        if (category is not null)
        {
            _out.Write(",\"cat\":\"");
            _out.Write(category);                      // our own ASCII identifiers
            _out.Write('"');
        }
        _out.Write(",\"ph\":\"");
        _out.Write(phase);
        _out.Write("\",\"ts\":");
        WriteMicroseconds(tsNs);
        _out.Write(",\"pid\":");
        WriteInteger(Pid);
        _out.Write(",\"tid\":");
        WriteInteger(tid);
    }

    internal void Span(int tid, string name, long startNs, long endNs)
    {
        lock (_lock)
        {
            if (_closed) return;
            Begin(name, "vcpu", 'X', startNs, tid);
            _out.Write(",\"dur\":");
            WriteMicroseconds(endNs - startNs);
            _out.Write('}');
        }
    }

    internal void Instant(int tid, string name, string category, long tsNs,
        string? arg1 = null, long value1 = 0, string? arg2 = null, long value2 = 0, string? arg3 = null, long value3 = 0)
    {
        lock (_lock)
        {
            if (_closed) return;
            Begin(name, category, 'i', tsNs, tid);
            _out.Write(",\"s\":\"t\"");
            if (arg1 is not null)
            {
                _out.Write(",\"args\":{");
                Arg(arg1, value1);
                if (arg2 is not null) { _out.Write(','); Arg(arg2, value2); }
                if (arg3 is not null) { _out.Write(','); Arg(arg3, value3); }
                _out.Write('}');
            }
            _out.Write('}');
        }
    }

    void Arg(string name, long value)
    {
        _out.Write('"');
        _out.Write(name);                              // our own ASCII identifiers
        _out.Write("\":");
        WriteInteger(value);
    }

    void WriteInteger(long value)
    {
        Span<char> buffer = stackalloc char[24];
        value.TryFormat(buffer, out int n, default, CultureInfo.InvariantCulture);
        _out.Write(buffer[..n]);
    }

    /// <summary>Nanoseconds as microseconds with exactly three decimals: 1234567 → 1234.567.</summary>
    void WriteMicroseconds(long ns)
    {
        if (ns < 0) { _out.Write('-'); ns = ns == long.MinValue ? long.MaxValue : -ns; }
        WriteInteger(ns / 1000);
        Span<char> fraction = stackalloc char[4];
        fraction[0] = '.';
        ((int)(ns % 1000)).TryFormat(fraction[1..], out _, "D3", CultureInfo.InvariantCulture);
        _out.Write(fraction);
    }

    static readonly JavaScriptEncoder Encoder = JavaScriptEncoder.Default;

    void WriteString(string value)
    {
        _out.Write('"');
        _out.Write(Encoder.Encode(value));
        _out.Write('"');
    }
}

/// <summary>
/// One guest's track: its instant events, and its running/halted spans. A span is
/// written when the vCPU changes state (and when it stops), so it needs the start of
/// the current one; only the guest's own thread changes its state.
/// </summary>
public sealed class TraceTrack
{
    readonly TraceWriter _writer;
    long _spanStartNs;
    bool _halted, _ended;

    internal TraceTrack(TraceWriter writer, int tid)
    {
        _writer = writer;
        Tid = tid;
    }

    public int Tid { get; }

    /// <summary>The vCPU went from running to halted (HLT, or HCALL_HALT with nothing pending), or back.</summary>
    public void StateChanged(long nowNs, bool halted)
    {
        if (_ended || halted == _halted) return;
        EndSpan(nowNs);
        _halted = halted;
    }

    /// <summary>The guest stopped: its last span ends here.</summary>
    public void Stopped(long nowNs)
    {
        if (_ended) return;
        EndSpan(nowNs);
        _ended = true;
    }

    void EndSpan(long nowNs)
    {
        _writer.Span(Tid, _halted ? "halted" : "running", _spanStartNs, nowNs);
        _spanStartNs = nowNs;
    }

    public void Hypercall(long nowNs, uint number) =>
        _writer.Instant(Tid, HypercallNames.Of(number), "hypercall", nowNs, "number", number);

    public void ClockEventArmed(long nowNs, bool rearmed, ulong deltaNs, long expiryNs) =>
        _writer.Instant(Tid, rearmed ? "clockevent re-armed" : "clockevent armed", "clockevent", nowNs,
            "delta_ns", (long)Math.Min(deltaNs, long.MaxValue), "expiry_ns", expiryNs);

    public void ClockEventStopped(long nowNs) =>
        _writer.Instant(Tid, "clockevent stopped", "clockevent", nowNs);

    public void ClockEventFired(long nowNs, long expiryNs) =>
        _writer.Instant(Tid, "clockevent fired", "clockevent", nowNs, "expiry_ns", expiryNs);

    public void IrqInjected(long nowNs, int irq, int vector, long latenessNs) =>
        _writer.Instant(Tid, "irq injected", "irq", nowNs, "irq", irq, "vector", vector, "lateness_ns", latenessNs);
}
