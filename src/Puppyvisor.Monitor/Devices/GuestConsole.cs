// [H:500] The guest's console: everything it writes, by hypercall, UART or port 0xE9.
//
// The console is the guest's stream, not a log (DESIGN §5). With several guests on
// one terminal, each line gets the guest's prefix; a partial line is held until
// its newline (or the guest's end), so lines of different guests never mix.
using System.Text;

namespace Puppyvisor.Monitor.Devices;

public sealed class GuestConsole
{
    readonly TextWriter _output;
    readonly string _prefix;
    readonly object _outputLock;
    readonly List<byte> _line = new();
    readonly StringBuilder _transcript = new();

    /// <summary>Everything the guest wrote, kept for tests and the debugger.</summary>
    public string Transcript { get { lock (_transcript) return _transcript.ToString(); } }

    public long BytesWritten;

    public GuestConsole(TextWriter output, string prefix, object outputLock)
    {
        _output = output;
        _prefix = prefix;
        _outputLock = outputLock;
    }

    public void Write(byte b)
    {
        BytesWritten++;
        _line.Add(b);
        if (b == (byte)'\n') Flush();
    }

    public void Write(ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes) Write(b);
    }

    /// <summary>Writes out a pending partial line (at the guest's end).</summary>
    public void Flush()
    {
        if (_line.Count == 0) return;
        string text = Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_line));
        _line.Clear();
        lock (_transcript) _transcript.Append(text);
        lock (_outputLock)
        {
            _output.Write(_prefix);
            _output.Write(text);
            _output.Flush();
        }
    }

    /// <summary>A line from the monitor about this guest (shutdown, fault report), on the same stream.</summary>
    public void MonitorLine(string text)
    {
        Flush();
        lock (_outputLock)
        {
            _output.Write(_prefix);
            _output.WriteLine(text);
            _output.Flush();
        }
    }
}
