// [H:950] The GDB remote protocol on the wire: packets, checksums, acks, escapes.
//
// A packet is `$payload#cc`, cc the payload's byte sum mod 256 in two hex digits; the
// receiver answers `+` (good) or `-` (send it again) until both sides agree on
// QStartNoAckMode. Outside a packet a 0x03 byte is Ctrl-C. Binary data (the X packet's
// bytes, qXfer replies) escapes `$`, `#`, `}` and `*` as `}` followed by the byte XOR
// 0x20. Run-length encoding (`c*n`: c repeated n - 29 more times) only ever goes from a
// stub to gdb, so a stub never decodes it on input -- a `*` in X data is a data byte;
// DecodeRunLength is here for clients reading replies (the tests' client).
// (Sourceware "Remote Protocol": Overview, Packets, Interrupts.)
using System.Text;

namespace Puppyvisor.Monitor.Debugger;

public static class GdbPacket
{
    /// <summary>The byte sum of <paramref name="payload"/> mod 256.</summary>
    public static byte Checksum(ReadOnlySpan<byte> payload)
    {
        int sum = 0;
        foreach (byte b in payload) sum += b;
        return (byte)sum;
    }

    /// <summary>`$payload#cc`. The payload must already be escaped where it carries binary data.</summary>
    public static byte[] Frame(ReadOnlySpan<byte> payload)
    {
        var frame = new byte[payload.Length + 4];
        frame[0] = (byte)'$';
        payload.CopyTo(frame.AsSpan(1));
        frame[payload.Length + 1] = (byte)'#';
        byte sum = Checksum(payload);
        frame[payload.Length + 2] = HexDigit(sum >> 4);
        frame[payload.Length + 3] = HexDigit(sum & 0xF);
        return frame;
    }

    /// <summary>Frames a payload given as text of bytes 0-255 (Latin-1).</summary>
    public static byte[] Frame(string payload) => Frame(Encoding.Latin1.GetBytes(payload));

    /// <summary>Escapes binary data for a packet: `$ # } *` become `}` and the byte XOR 0x20.</summary>
    public static byte[] EscapeBinary(ReadOnlySpan<byte> data)
    {
        var output = new List<byte>(data.Length + 8);
        foreach (byte b in data)
        {
            if (b is (byte)'$' or (byte)'#' or (byte)'}' or (byte)'*') { output.Add((byte)'}'); output.Add((byte)(b ^ 0x20)); }
            else output.Add(b);
        }
        return output.ToArray();
    }

    /// <summary>Undoes <see cref="EscapeBinary"/>; null when the data ends in a lone `}`.</summary>
    public static byte[]? UnescapeBinary(ReadOnlySpan<byte> data)
    {
        var output = new List<byte>(data.Length);
        for (int i = 0; i < data.Length; i++)
        {
            if (data[i] != (byte)'}') { output.Add(data[i]); continue; }
            if (++i == data.Length) return null;
            output.Add((byte)(data[i] ^ 0x20));
        }
        return output.ToArray();
    }

    /// <summary>
    /// Expands run-length encoding in a reply: `x*n` stands for x followed by n - 29 more
    /// copies of x. Null when a `*` has nothing before it or no count after it.
    /// </summary>
    public static byte[]? DecodeRunLength(ReadOnlySpan<byte> data)
    {
        var output = new List<byte>(data.Length);
        for (int i = 0; i < data.Length; i++)
        {
            if (data[i] != (byte)'*') { output.Add(data[i]); continue; }
            if (output.Count == 0 || i + 1 == data.Length || data[i + 1] < 29 + 3) return null;
            byte repeated = output[^1];
            for (int n = data[++i] - 29; n > 0; n--) output.Add(repeated);
        }
        return output.ToArray();
    }

    // ---- Hex, the protocol's number and byte format ----------------------------------------

    public static byte HexDigit(int value) => (byte)"0123456789abcdef"[value & 0xF];

    public static string ToHex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    public static string ToHex(string text) => ToHex(Encoding.UTF8.GetBytes(text));

    /// <summary>A 32-bit value as gdb's register format: its bytes in guest (little-endian) order.</summary>
    public static string ToLittleEndianHex(uint value) =>
        ToHex([(byte)value, (byte)(value >> 8), (byte)(value >> 16), (byte)(value >> 24)]);

    /// <summary>Hex pairs to bytes; false on an odd length or a non-hex digit.</summary>
    public static bool TryParseHexBytes(ReadOnlySpan<char> hex, out byte[] bytes)
    {
        bytes = [];
        if (hex.Length % 2 != 0) return false;
        var result = new byte[hex.Length / 2];
        for (int i = 0; i < result.Length; i++)
        {
            int hi = HexValue(hex[2 * i]), lo = HexValue(hex[2 * i + 1]);
            if (hi < 0 || lo < 0) return false;
            result[i] = (byte)(hi << 4 | lo);
        }
        bytes = result;
        return true;
    }

    /// <summary>A big-endian hex number as gdb writes addresses and lengths (1 to 8 digits).</summary>
    public static bool TryParseHex(ReadOnlySpan<char> hex, out uint value)
    {
        value = 0;
        if (hex.Length is 0 or > 8) return false;
        foreach (char c in hex)
        {
            int v = HexValue(c);
            if (v < 0) return false;
            value = value << 4 | (uint)v;
        }
        return true;
    }

    /// <summary>A register value in gdb's format (guest byte order, 8 hex digits).</summary>
    public static bool TryParseLittleEndianHex(ReadOnlySpan<char> hex, out uint value)
    {
        value = 0;
        if (hex.Length != 8 || !TryParseHexBytes(hex, out byte[] b)) return false;
        value = (uint)(b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24);
        return true;
    }

    static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };
}

/// <summary>What arrives from gdb: a packet (checked or not), an ack, a nak, or Ctrl-C.</summary>
public enum GdbInputKind { Packet, BadPacket, Ack, Nak, Interrupt }

/// <summary>One input; <see cref="Payload"/> is the packet's bytes between `$` and `#` for Packet and BadPacket.</summary>
public readonly record struct GdbInput(GdbInputKind Kind, byte[]? Payload = null);

/// <summary>
/// Splits the byte stream from gdb into inputs, a byte at a time. Bytes outside a packet
/// other than `+`, `-` and 0x03 are ignored; a `$` inside a packet starts it again (gdb
/// resends after a timeout); a packet longer than <see cref="MaxPayload"/> or with a bad
/// checksum is a BadPacket, to be nak'ed.
/// </summary>
public sealed class GdbPacketReader
{
    /// <summary>Far above the PacketSize we advertise; beyond it a sender is broken.</summary>
    public const int MaxPayload = 1 << 20;

    enum State { Idle, Payload, Checksum1, Checksum2 }

    State _state;
    readonly List<byte> _payload = new();
    int _checksumHigh;
    bool _overflow;

    /// <summary>Feeds one byte; returns the input it completes, if any.</summary>
    public GdbInput? Feed(byte b)
    {
        switch (_state)
        {
            case State.Idle:
                if (b == (byte)'$') { StartPacket(); return null; }
                return b switch
                {
                    (byte)'+' => new GdbInput(GdbInputKind.Ack),
                    (byte)'-' => new GdbInput(GdbInputKind.Nak),
                    0x03 => new GdbInput(GdbInputKind.Interrupt),
                    _ => null,
                };
            case State.Payload:
                if (b == (byte)'$') { StartPacket(); return null; }
                if (b == (byte)'#') { _state = State.Checksum1; return null; }
                if (_payload.Count < MaxPayload) _payload.Add(b); else _overflow = true;
                return null;
            case State.Checksum1:
                _checksumHigh = HexValue(b);
                _state = State.Checksum2;
                return null;
            default:
                _state = State.Idle;
                int low = HexValue(b);
                byte[] payload = _payload.ToArray();
                bool good = !_overflow && _checksumHigh >= 0 && low >= 0 && GdbPacket.Checksum(payload) == (_checksumHigh << 4 | low);
                return new GdbInput(good ? GdbInputKind.Packet : GdbInputKind.BadPacket, payload);
        }
    }

    void StartPacket()
    {
        _state = State.Payload;
        _payload.Clear();
        _overflow = false;
    }

    static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}
