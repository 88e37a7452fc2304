// A minimal gdb for the stub's tests: packets over TCP with acks, and a guest running
// in-process on the virtual clock with the stub attached (GdbSession).
using System.Net;
using System.Net.Sockets;
using System.Text;
using Puppyvisor.Monitor.Debugger;
using Puppyvisor.Monitor.Loading;
using Puppyvisor.Monitor.Time;

namespace Puppyvisor.Monitor.Tests;

internal sealed class GdbTestClient : IDisposable
{
    readonly TcpClient _tcp;
    readonly NetworkStream _stream;
    readonly List<byte> _pending = new();
    bool _noAck;

    public GdbTestClient(IPEndPoint endPoint)
    {
        _tcp = new TcpClient();
        _tcp.Connect(endPoint);
        _tcp.NoDelay = true;
        _stream = _tcp.GetStream();
        _stream.ReadTimeout = 20_000;
    }

    public void SendRaw(string bytes) => SendRaw(Encoding.Latin1.GetBytes(bytes));
    public void SendRaw(byte[] bytes) => _stream.Write(bytes);

    /// <summary>Sends a packet; in ack mode, expects its '+'.</summary>
    public void Send(string payload)
    {
        SendRaw(GdbPacket.Frame(payload));
        if (!_noAck) Assert.Equal('+', ReadByte());
    }

    /// <summary>The next packet's payload (acked in ack mode), run-length decoded.</summary>
    public string Receive(bool ack = true)
    {
        while (ReadByte() != '$') { }
        var payload = new List<byte>();
        for (char c; (c = ReadByte()) != '#';) payload.Add((byte)c);
        string sum = $"{ReadByte()}{ReadByte()}";
        Assert.Equal($"{GdbPacket.Checksum(payload.ToArray()):x2}", sum);
        if (ack && !_noAck) SendRaw("+");
        return Encoding.Latin1.GetString(GdbPacket.DecodeRunLength(payload.ToArray())!);
    }

    public string Command(string payload)
    {
        Send(payload);
        return Receive();
    }

    /// <summary>`monitor TEXT`: its output as text.</summary>
    public string Monitor(string text)
    {
        string reply = Command("qRcmd," + GdbPacket.ToHex(text));
        if (reply == "OK") return "";
        Assert.True(GdbPacket.TryParseHexBytes(reply, out byte[] bytes), reply);
        return Encoding.UTF8.GetString(bytes);
    }

    public void StartNoAckMode()
    {
        Assert.Equal("OK", Command("QStartNoAckMode"));
        _noAck = true;
    }

    public uint Register(int n)
    {
        Assert.True(GdbPacket.TryParseLittleEndianHex(Command($"p{n:x}"), out uint v));
        return v;
    }

    public char ReadByte()
    {
        if (_pending.Count > 0) { char c = (char)_pending[0]; _pending.RemoveAt(0); return c; }
        int b = _stream.ReadByte();
        if (b < 0) throw new IOException("the stub closed the connection");
        return (char)b;
    }

    /// <summary>True when the stub has closed the connection (after W, k).</summary>
    public bool Closed()
    {
        try { return _stream.ReadByte() < 0; }
        catch (IOException) { return true; }
    }

    public void Dispose() => _tcp.Dispose();
}

/// <summary>One guest on the virtual clock, its machine on a background thread, a stub and a client.</summary>
internal sealed class GdbSession : IDisposable
{
    public Machine Machine { get; }
    public Guest Guest => Machine.Guests[0];
    public GuestDebugger Debugger { get; }
    public GdbTestClient Client { get; }
    readonly Task<int> _run;

    public GdbSession(ElfImage image, bool waitAtStart = true, TextWriter? output = null)
    {
        var options = new MachineOptions { Clock = ClockKind.Virtual, MaxInstructions = 50_000_000 };
        Machine = new Machine(options, [image], output ?? TextWriter.Null, Serilog.Core.Logger.None);
        Debugger = GuestDebugger.Attach(Guest, new IPEndPoint(IPAddress.Loopback, 0), waitAtStart, Serilog.Core.Logger.None);
        _run = Task.Factory.StartNew(Machine.Run, TaskCreationOptions.LongRunning);
        Client = new GdbTestClient(Debugger.EndPoint);
    }

    /// <summary>The run's exit status, once the machine has finished.</summary>
    public int WaitForEnd()
    {
        Assert.True(_run.Wait(TimeSpan.FromSeconds(30)), "the run did not finish");
        return _run.Result;
    }

    public void Dispose()
    {
        Client.Dispose();
        Debugger.Dispose();
    }
}
