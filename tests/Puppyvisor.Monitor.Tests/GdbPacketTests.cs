// The GDB remote protocol's wire format: checksums, framing, escapes, run-length
// decoding, and the byte-at-a-time reader on good, bad and hostile input.
using System.Text;
using Puppyvisor.Monitor.Debugger;

namespace Puppyvisor.Monitor.Tests;

public class GdbPacketTests
{
    static byte[] B(string s) => Encoding.Latin1.GetBytes(s);
    static string S(byte[] b) => Encoding.Latin1.GetString(b);

    static List<GdbInput> ReadAll(string wire)
    {
        var reader = new GdbPacketReader();
        var inputs = new List<GdbInput>();
        foreach (byte b in B(wire)) if (reader.Feed(b) is { } input) inputs.Add(input);
        return inputs;
    }

    [Theory]
    [InlineData("", 0x00)]
    [InlineData("OK", 0x9a)]
    [InlineData("g", 0x67)]
    [InlineData("qSupported", 0x37)]
    [InlineData("m100010,1", 0xec)]                      // the checksums gdb sent in a real session
    [InlineData("vMustReplyEmpty", 0x3a)]
    public void Checksum_IsTheByteSumModulo256(string payload, int expected) =>
        Assert.Equal(expected, GdbPacket.Checksum(B(payload)));

    [Fact]
    public void Frame_WrapsThePayloadWithItsChecksumInLowercaseHex()
    {
        Assert.Equal("$OK#9a", S(GdbPacket.Frame("OK")));
        Assert.Equal("$#00", S(GdbPacket.Frame("")));
        Assert.Equal("$QStartNoAckMode#b0", S(GdbPacket.Frame("QStartNoAckMode")));
    }

    [Fact]
    public void Reader_SplitsAcksPacketsAndInterrupts()
    {
        var inputs = ReadAll("+$g#67-\x03$m0,4#fd");
        Assert.Equal([GdbInputKind.Ack, GdbInputKind.Packet, GdbInputKind.Nak, GdbInputKind.Interrupt, GdbInputKind.Packet],
            inputs.Select(i => i.Kind));
        Assert.Equal("g", S(inputs[1].Payload!));
        Assert.Equal("m0,4", S(inputs[4].Payload!));
    }

    [Fact]
    public void Reader_AcceptsUppercaseChecksumDigits() =>
        Assert.Equal(GdbInputKind.Packet, Assert.Single(ReadAll("$OK#9A")).Kind);

    [Theory]
    [InlineData("$g#00")]                                // wrong sum
    [InlineData("$g#6")]                                 // truncated: not complete yet
    [InlineData("$g#zz")]                                // not hex
    public void Reader_FlagsABadChecksum_OrWaitsForTheRest(string wire)
    {
        var inputs = ReadAll(wire);
        if (wire.Length - wire.IndexOf('#') < 3) Assert.Empty(inputs);
        else Assert.Equal(GdbInputKind.BadPacket, Assert.Single(inputs).Kind);
    }

    [Fact]
    public void Reader_IgnoresGarbageBetweenPackets_AndRestartsAtADollar()
    {
        var inputs = ReadAll("hello\r\n$m0$g#67");              // gdb resending after a lost '#'
        Assert.Equal("g", S(Assert.Single(inputs).Payload!));
    }

    [Fact]
    public void Reader_KeepsBinaryBytesAndStarsInsideAPacket()
    {
        byte[] payload = [(byte)'X', (byte)'0', (byte)',', (byte)'3', (byte)':', 0x00, (byte)'*', 0xFF];
        byte[] wire = [.. GdbPacket.Frame(payload)];
        var reader = new GdbPacketReader();
        GdbInput? last = null;
        foreach (byte b in wire) last = reader.Feed(b) ?? last;
        Assert.Equal(GdbInputKind.Packet, last!.Value.Kind);
        Assert.Equal(payload, last.Value.Payload);
    }

    [Fact]
    public void Reader_RejectsAnOversizedPacket_AndRecovers()
    {
        var reader = new GdbPacketReader();
        reader.Feed((byte)'$');
        for (int i = 0; i < GdbPacketReader.MaxPayload + 10; i++) reader.Feed((byte)'a');
        reader.Feed((byte)'#'); reader.Feed((byte)'0');
        Assert.Equal(GdbInputKind.BadPacket, reader.Feed((byte)'0')!.Value.Kind);
        GdbInput? next = null;
        foreach (byte b in B("$g#67")) next = reader.Feed(b) ?? next;
        Assert.Equal(GdbInputKind.Packet, next!.Value.Kind);
    }

    [Fact]
    public void EscapeBinary_EscapesTheFourSpecialBytes_AndRoundTrips()
    {
        byte[] data = [(byte)'$', (byte)'#', (byte)'}', (byte)'*', 0x00, 0x7F, 0xFF, (byte)'a'];
        byte[] escaped = GdbPacket.EscapeBinary(data);
        Assert.Equal([0x7D, 0x04, 0x7D, 0x03, 0x7D, 0x5D, 0x7D, 0x0A, 0x00, 0x7F, 0xFF, (byte)'a'], escaped);
        Assert.Equal(data, GdbPacket.UnescapeBinary(escaped));
        var all = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        Assert.Equal(all, GdbPacket.UnescapeBinary(GdbPacket.EscapeBinary(all)));
    }

    [Fact]
    public void UnescapeBinary_RejectsALoneTrailingEscape() =>
        Assert.Null(GdbPacket.UnescapeBinary(B("ab}")));

    [Theory]
    [InlineData("0* ", "0000")]                            // ' ' is 32: three more
    [InlineData("x*!y", "xxxxxy")]                         // "!" is 33: four more
    [InlineData("ab", "ab")]
    public void DecodeRunLength_ExpandsRepeats(string encoded, string expected) =>
        Assert.Equal(expected, S(GdbPacket.DecodeRunLength(B(encoded))!));

    [Theory]
    [InlineData("*a")]                                     // nothing to repeat
    [InlineData("a*")]                                     // no count
    [InlineData("a*\x1f")]                                 // a count below 3
    public void DecodeRunLength_RejectsMalformedRuns(string encoded) =>
        Assert.Null(GdbPacket.DecodeRunLength(B(encoded)));

    [Theory]
    [InlineData("0", true, 0u)]
    [InlineData("107af0", true, 0x107af0u)]
    [InlineData("FFFFFFFF", true, 0xFFFF_FFFFu)]
    [InlineData("", false, 0u)]
    [InlineData("123456789", false, 0u)]                  // more than 32 bits
    [InlineData("12g", false, 0u)]
    [InlineData("-1", false, 0u)]
    public void TryParseHex_TakesOneToEightHexDigits(string text, bool ok, uint value)
    {
        Assert.Equal(ok, GdbPacket.TryParseHex(text, out uint v));
        if (ok) Assert.Equal(value, v);
    }

    [Fact]
    public void RegisterValues_AreInGuestByteOrder()
    {
        Assert.Equal("10001000", GdbPacket.ToLittleEndianHex(0x0010_0010));
        Assert.True(GdbPacket.TryParseLittleEndianHex("78563412", out uint v));
        Assert.Equal(0x1234_5678u, v);
        Assert.False(GdbPacket.TryParseLittleEndianHex("785634", out _));
        Assert.False(GdbPacket.TryParseLittleEndianHex("7856341x", out _));
    }
}
