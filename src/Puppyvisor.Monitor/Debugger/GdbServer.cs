// [H:960] The gdb stub's socket: one TCP connection at a time, read on a background thread.
//
// The socket thread only does the wire: it splits the stream into packets (GdbPacketReader),
// acks or naks them while ack mode is on, resends our last packet on a nak, and hands
// every packet, connection and disconnection to the guest's thread through a queue. A
// Ctrl-C is not queued: it raises InterruptRequested and calls Attention, which kicks the
// vCPU so the guest's thread comes to look. Everything that touches the guest happens on
// the guest's own thread (GuestDebugger), so the stub needs no locks around guest state.
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Puppyvisor.Monitor.Debugger;

public enum GdbEventKind { Connected, Packet, Disconnected }

public readonly record struct GdbEvent(GdbEventKind Kind, string Payload = "");

public sealed class GdbServer : IDisposable
{
    readonly TcpListener _listener;
    readonly Thread _thread;
    readonly BlockingCollection<GdbEvent> _events = new();
    readonly object _sendLock = new();
    Socket? _client;
    byte[]? _lastSent;
    volatile bool _noAck, _disposed;
    volatile bool _interruptRequested;

    /// <summary>Called on the socket thread after a connection, a packet, a disconnection or a Ctrl-C arrives.</summary>
    public Action? Attention;

    public IPEndPoint LocalEndPoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>True when gdb sent Ctrl-C since the last <see cref="TakeInterrupt"/>.</summary>
    public bool InterruptRequested => _interruptRequested;

    public bool HasEvents => _events.Count > 0;

    GdbServer(TcpListener listener)
    {
        _listener = listener;
        _thread = new Thread(AcceptLoop) { IsBackground = true, Name = "gdb" };
    }

    /// <summary>Listens on <paramref name="endpoint"/> (port 0 picks a free one). Throws SocketException when it cannot bind.</summary>
    public static GdbServer Start(IPEndPoint endpoint)
    {
        var listener = new TcpListener(endpoint);
        listener.Start(1);
        var server = new GdbServer(listener);
        server._thread.Start();
        return server;
    }

    /// <summary>The next event, waiting for it; Disconnected once the server is closed.</summary>
    public GdbEvent Take() =>
        _events.TryTake(out GdbEvent e, Timeout.Infinite) ? e : new GdbEvent(GdbEventKind.Disconnected);

    public bool TakeInterrupt()
    {
        bool was = _interruptRequested;
        _interruptRequested = false;
        return was;
    }

    /// <summary>Sends a packet (its payload as Latin-1 text). A connection that is gone is not an error.</summary>
    public void Send(string payload)
    {
        byte[] frame = GdbPacket.Frame(Encoding.Latin1.GetBytes(payload));
        lock (_sendLock)
        {
            _lastSent = frame;
            Write(frame);
        }
    }

    /// <summary>After our OK to QStartNoAckMode: neither side acks from now on.</summary>
    public void StopAcking() => _noAck = true;

    void CloseConnection()
    {
        lock (_sendLock)
        {
            try { _client?.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { }
        }
    }

    void AcceptLoop()
    {
        while (!_disposed)
        {
            Socket client;
            try { client = _listener.AcceptSocket(); }
            catch (SocketException) { return; }
            catch (ObjectDisposedException) { return; }
            client.NoDelay = true;
            lock (_sendLock) { _client = client; _noAck = false; _lastSent = null; }
            Post(new GdbEvent(GdbEventKind.Connected));
            ReadLoop(client);
            lock (_sendLock) _client = null;
            try { client.Dispose(); } catch (SocketException) { }
            Post(new GdbEvent(GdbEventKind.Disconnected));
        }
    }

    void ReadLoop(Socket client)
    {
        var reader = new GdbPacketReader();
        var buffer = new byte[4096];
        while (true)
        {
            int n;
            try { n = client.Receive(buffer); }
            catch (SocketException) { return; }
            catch (ObjectDisposedException) { return; }
            if (n == 0) return;
            for (int i = 0; i < n; i++)
            {
                if (reader.Feed(buffer[i]) is not { } input) continue;
                switch (input.Kind)
                {
                    case GdbInputKind.Packet:
                        if (!_noAck) WriteLocked("+"u8);
                        Post(new GdbEvent(GdbEventKind.Packet, Encoding.Latin1.GetString(input.Payload!)));
                        break;
                    case GdbInputKind.BadPacket:
                        // In no-ack mode nobody would resend it: take it as it came, as gdbserver does.
                        if (_noAck) Post(new GdbEvent(GdbEventKind.Packet, Encoding.Latin1.GetString(input.Payload!)));
                        else WriteLocked("-"u8);
                        break;
                    case GdbInputKind.Nak:
                        if (!_noAck) lock (_sendLock) if (_lastSent is { } last) Write(last);
                        break;
                    case GdbInputKind.Interrupt:
                        _interruptRequested = true;
                        Attention?.Invoke();
                        break;
                    case GdbInputKind.Ack:
                        break;
                }
            }
        }
    }

    void Post(GdbEvent e)
    {
        try { _events.Add(e); }
        catch (InvalidOperationException) { return; }          // closed meanwhile
        Attention?.Invoke();
    }

    void WriteLocked(ReadOnlySpan<byte> bytes)
    {
        lock (_sendLock) Write(bytes);
    }

    /// <summary>Writes to the connection; callers hold _sendLock.</summary>
    void Write(ReadOnlySpan<byte> bytes)
    {
        if (_client is not { } client) return;
        try { client.Send(bytes); }
        catch (SocketException) { }
        catch (ObjectDisposedException) { }
    }

    /// <summary>Stops listening and closes the connection (the guest has ended, or the run).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _listener.Stop();
        CloseConnection();
        _events.CompleteAdding();
    }
}
