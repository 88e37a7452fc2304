// [H:980] The gdb stub's commands: one packet in, one reply (and maybe a resume) out.
//
// The packets of sourceware's "Packets" and "General Query Packets" that an i386
// bare-metal target needs: registers (g G p P), memory through the guest's paging
// (m M X), run control (c s vCont, k D), breakpoints and watchpoints (Z z), the target
// description (qXfer:features:read), monitor commands (qRcmd). Runs on the guest's
// thread while the guest is stopped. A malformed packet gets E01, an unknown one the
// empty reply; nothing a client sends can throw out of Handle.
using System.Text;
using Puppyvisor.Cpu;
using Serilog;

namespace Puppyvisor.Monitor.Debugger;

/// <summary>What the guest does after a packet: stay stopped, or go.</summary>
public enum GdbAction { None, Continue, Step, Detach, Kill }

/// <summary>The reply to send (null: none), what to do next, and whether ack mode ends after the reply.</summary>
public readonly record struct GdbResponse(string? Reply, GdbAction Action = GdbAction.None, bool StopAcking = false);

public sealed class GdbStub(Guest guest, GuestDebugger debugger, ILogger log)
{
    /// <summary>The largest packet we accept, in bytes (advertised in qSupported, hex).</summary>
    public const int PacketSize = 0x4000;
    /// <summary>The most bytes an `m` reply carries (two hex digits a byte, inside PacketSize).</summary>
    const int MaxRead = PacketSize / 2 - 16;

    const string Error = "E01";
    static readonly GdbResponse Unsupported = new("");
    static readonly GdbResponse Ok = new("OK");
    static readonly GdbResponse Fail = new(Error);

    static readonly SegReg[] SelectorOrder = [SegReg.CS, SegReg.SS, SegReg.DS, SegReg.ES, SegReg.FS, SegReg.GS];

    Cpu.Cpu Cpu => guest.Cpu;

    /// <summary>Handles one packet's payload (Latin-1 text).</summary>
    public GdbResponse Handle(string packet)
    {
        try { return Dispatch(packet); }
        catch (Exception e) when (e is ArgumentException or FormatException or OverflowException or IndexOutOfRangeException)
        {
            // A parser slip must not take the monitor down: the client gets an error, we get a log line.
            log.Warning("gdb: packet {Packet} failed: {Error}", Truncate(packet), e.Message);
            return Fail;
        }
    }

    GdbResponse Dispatch(string p)
    {
        if (p.Length == 0) return Unsupported;
        string args = p[1..];
        return p[0] switch
        {
            '?' => new(debugger.StopReply),
            'g' => new(ReadAllRegisters()),
            'G' => WriteAllRegisters(args),
            'p' => ReadRegister(args),
            'P' => WriteRegister(args),
            'm' => ReadMemory(args),
            'M' => WriteMemoryHex(args),
            'X' => WriteMemoryBinary(args),
            'c' => Resume(args, GdbAction.Continue),
            's' => Resume(args, GdbAction.Step),
            'C' => Resume(AfterSignal(args), GdbAction.Continue),
            'S' => Resume(AfterSignal(args), GdbAction.Step),
            'v' => VerbosePacket(p),
            'q' => Query(p),
            'Q' => p == "QStartNoAckMode" ? new("OK", StopAcking: true) : Unsupported,
            'Z' => Breakpoint(args, insert: true),
            'z' => Breakpoint(args, insert: false),
            'H' or 'T' => Ok,                   // one vCPU: every thread is it
            'k' => new(null, GdbAction.Kill),
            'D' => new("OK", GdbAction.Detach),
            _ => Unsupported,
        };
    }

    // ---- Registers ------------------------------------------------------------------

    uint GetRegister(int n) => n switch
    {
        < 8 => Cpu.Gpr[n],
        8 => Cpu.Eip,
        9 => Cpu.Eflags,
        _ => Cpu.Selectors[(int)SelectorOrder[n - 10]],
    };

    /// <summary>Writes register <paramref name="n"/>; selectors cannot be changed (a load needs its descriptor).</summary>
    bool SetRegister(int n, uint value)
    {
        switch (n)
        {
            case < 8: Cpu.Gpr[n] = value; return true;
            case 8: Cpu.Eip = value; return true;
            case 9: Cpu.Eflags = value; return true;
            default: return GetRegister(n) == value;
        }
    }

    string ReadAllRegisters()
    {
        var sb = new StringBuilder(8 * TargetDescription.RegisterCount);
        for (int n = 0; n < TargetDescription.RegisterCount; n++) sb.Append(GdbPacket.ToLittleEndianHex(GetRegister(n)));
        return sb.ToString();
    }

    /// <summary>`G`: the 16 registers of `g` (anything gdb appends for the x87 registers is ignored).</summary>
    GdbResponse WriteAllRegisters(string hex)
    {
        if (hex.Length < 8 * TargetDescription.RegisterCount || hex.Length % 2 != 0) return Fail;
        var values = new uint[TargetDescription.RegisterCount];
        for (int n = 0; n < values.Length; n++)
            if (!GdbPacket.TryParseLittleEndianHex(hex.AsSpan(8 * n, 8), out values[n])) return Fail;
        for (int n = 10; n < values.Length; n++) if (GetRegister(n) != values[n]) return Fail;
        for (int n = 0; n < 10; n++) SetRegister(n, values[n]);
        return Ok;
    }

    /// <summary>`p N`: a register, or x's (unavailable) for the x87 registers Puppyvisor does not have.</summary>
    GdbResponse ReadRegister(string args)
    {
        if (!GdbPacket.TryParseHex(args, out uint n) || TargetDescription.RegisterSize((int)Math.Min(n, int.MaxValue)) == 0) return Fail;
        if (n >= TargetDescription.RegisterCount) return new(new string('x', 2 * TargetDescription.RegisterSize((int)n)));
        return new(GdbPacket.ToLittleEndianHex(GetRegister((int)n)));
    }

    GdbResponse WriteRegister(string args)
    {
        int eq = args.IndexOf('=');
        if (eq < 0 || !GdbPacket.TryParseHex(args.AsSpan(0, eq), out uint n) || n >= TargetDescription.RegisterCount) return Fail;
        if (!GdbPacket.TryParseLittleEndianHex(args.AsSpan(eq + 1), out uint value)) return Fail;
        return SetRegister((int)n, value) ? Ok : Fail;
    }

    // ---- Memory, through the guest's paging -----------------------------------------------

    /// <summary>"ADDR,LENGTH" as two hex numbers.</summary>
    static bool TryParseRange(ReadOnlySpan<char> text, out uint address, out uint length)
    {
        address = length = 0;
        int comma = text.IndexOf(',');
        return comma > 0 && GdbPacket.TryParseHex(text[..comma], out address) && GdbPacket.TryParseHex(text[(comma + 1)..], out length);
    }

    GdbResponse ReadMemory(string args)
    {
        if (!TryParseRange(args, out uint address, out uint length)) return Fail;
        int n = (int)Math.Min(length, MaxRead);
        var bytes = new byte[n];
        int readable = 0;
        // The readable prefix: gdb takes a short reply as "the rest is not accessible".
        while (readable < n && Cpu.TryReadLinear(address + (uint)readable, bytes.AsSpan(readable, 1))) readable++;
        if (readable == 0 && n > 0) return Fail;
        return new(GdbPacket.ToHex(bytes.AsSpan(0, readable)));
    }

    GdbResponse WriteMemoryHex(string args)
    {
        int colon = args.IndexOf(':');
        if (colon < 0 || !TryParseRange(args.AsSpan(0, colon), out uint address, out uint length)) return Fail;
        if (!GdbPacket.TryParseHexBytes(args.AsSpan(colon + 1), out byte[] data) || data.Length != length) return Fail;
        return Cpu.TryWriteLinear(address, data) ? Ok : Fail;
    }

    GdbResponse WriteMemoryBinary(string args)
    {
        int colon = args.IndexOf(':');
        if (colon < 0 || !TryParseRange(args.AsSpan(0, colon), out uint address, out uint length)) return Fail;
        byte[]? data = GdbPacket.UnescapeBinary(Encoding.Latin1.GetBytes(args[(colon + 1)..]));
        if (data is null || data.Length != length) return Fail;
        return Cpu.TryWriteLinear(address, data) ? Ok : Fail;
    }

    // ---- Run control --------------------------------------------------------------------

    /// <summary>`c [ADDR]` and `s [ADDR]`: resume, at ADDR if given.</summary>
    GdbResponse Resume(string? address, GdbAction action)
    {
        if (address is null) return Fail;
        if (address.Length > 0)
        {
            if (!GdbPacket.TryParseHex(address, out uint eip)) return Fail;
            Cpu.Eip = eip;
        }
        return new(null, action);
    }

    /// <summary>"SIG[;ADDR]" of C and S: the signal means nothing to a bare CPU; the address, if any.</summary>
    static string? AfterSignal(string args)
    {
        int semi = args.IndexOf(';');
        string signal = semi < 0 ? args : args[..semi];
        if (!GdbPacket.TryParseHexBytes(signal, out byte[] sig) || sig.Length != 1) return null;
        return semi < 0 ? "" : args[(semi + 1)..];
    }

    GdbResponse VerbosePacket(string p)
    {
        if (p == "vCont?") return new("vCont;c;C;s;S");
        if (p.StartsWith("vCont;", StringComparison.Ordinal)) return VCont(p["vCont;".Length..]);
        if (p.StartsWith("vKill", StringComparison.Ordinal)) return new("OK", GdbAction.Kill);
        return Unsupported;                                  // vMustReplyEmpty and the rest
    }

    /// <summary>vCont;ACTION[:THREAD]...: one vCPU, so a step anywhere in the list steps it.</summary>
    static GdbResponse VCont(string actions)
    {
        GdbAction action = GdbAction.None;
        foreach (string part in actions.Split(';'))
        {
            string verb = part.Split(':')[0];
            GdbAction a = verb switch
            {
                "c" => GdbAction.Continue,
                "s" => GdbAction.Step,
                _ when verb.Length == 3 && verb[0] == 'C' && GdbPacket.TryParseHexBytes(verb.AsSpan(1), out _) => GdbAction.Continue,
                _ when verb.Length == 3 && verb[0] == 'S' && GdbPacket.TryParseHexBytes(verb.AsSpan(1), out _) => GdbAction.Step,
                _ => GdbAction.None,
            };
            if (a == GdbAction.None) return Fail;
            if (action != GdbAction.Step) action = a;
        }
        return new(null, action);
    }

    // ---- Breakpoints and watchpoints -------------------------------------------------------

    /// <summary>`Z TYPE,ADDR,KIND` / `z ...`: 0 software and 1 hardware breakpoints, 2-4 watchpoints (KIND = length).</summary>
    GdbResponse Breakpoint(string args, bool insert)
    {
        string[] f = args.Split(';')[0].Split(',');
        if (f.Length != 3 || f[0].Length != 1 || !GdbPacket.TryParseHex(f[1], out uint address) || !GdbPacket.TryParseHex(f[2], out uint kind))
            return Fail;
        switch (f[0][0])
        {
            case '0' or '1':
                bool hardware = f[0][0] == '1';
                if (insert) debugger.InsertBreakpoint(address, hardware);
                else debugger.RemoveBreakpoint(address, hardware);
                return Ok;
            case '2' or '3' or '4':
                var watch = (WatchKind)(f[0][0] - '0');
                if (insert) return Cpu.AddWatchpoint(address, kind, watch) ? Ok : Fail;
                Cpu.RemoveWatchpoint(address, kind, watch);
                return Ok;
            default:
                return Unsupported;
        }
    }

    // ---- Queries --------------------------------------------------------------------------

    GdbResponse Query(string p)
    {
        if (p.StartsWith("qSupported", StringComparison.Ordinal))
            return new($"PacketSize={PacketSize:x};qXfer:features:read+;swbreak+;hwbreak+;QStartNoAckMode+");
        if (p.StartsWith("qXfer:features:read:", StringComparison.Ordinal)) return ReadFeatures(p["qXfer:features:read:".Length..]);
        if (p.StartsWith("qRcmd,", StringComparison.Ordinal)) return MonitorCommand(p["qRcmd,".Length..]);
        return p switch
        {
            "qAttached" => new("1"),                // gdb detaches (does not kill) when it quits
            "qSymbol::" => Ok,
            _ => Unsupported,                       // qC, qfThreadInfo, qOffsets, qTStatus...: one vCPU, no threads
        };
    }

    /// <summary>qXfer:features:read:ANNEX:OFFSET,LENGTH: a window on target.xml, `m` (more) or `l` (last).</summary>
    static GdbResponse ReadFeatures(string args)
    {
        int colon = args.LastIndexOf(':');
        if (colon < 0 || !TryParseRange(args.AsSpan(colon + 1), out uint offset, out uint length)) return Fail;
        if (args[..colon] != "target.xml") return new("E00");
        byte[] xml = Encoding.UTF8.GetBytes(TargetDescription.Xml);
        if (offset >= xml.Length) return new("l");
        int n = (int)Math.Min(length, (uint)(xml.Length - offset));
        bool last = offset + n >= xml.Length;
        byte[] chunk = GdbPacket.EscapeBinary(xml.AsSpan((int)offset, n));
        return new((last ? "l" : "m") + Encoding.Latin1.GetString(chunk));
    }

    /// <summary>qRcmd,HEX: `monitor TEXT` in gdb; the output goes back hex-encoded.</summary>
    GdbResponse MonitorCommand(string hex)
    {
        if (!GdbPacket.TryParseHexBytes(hex, out byte[] bytes)) return Fail;
        string output = MonitorCommands.Run(guest, debugger, Encoding.UTF8.GetString(bytes));
        return output.Length == 0 ? Ok : new(GdbPacket.ToHex(output));
    }

    static string Truncate(string s) => s.Length <= 64 ? s : s[..64] + "...";
}
