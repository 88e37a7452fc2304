// The gdb stub driven over its socket by a minimal client, against guests built with
// Iced's assembler on the virtual clock: registers, memory, breakpoints, watchpoints,
// steps, Ctrl-C, monitor commands, acks, and malformed packets that must not hurt.
using System.Xml.Linq;
using Iced.Intel;
using Puppyvisor.Monitor.Debugger;
using Puppyvisor.Monitor.Loading;
using static Iced.Intel.AssemblerRegisters;
using static Puppyvisor.Monitor.Tests.TestGuest;

namespace Puppyvisor.Monitor.Tests;

public class GdbStubTests
{
    const int Eip = 8;

    /// <summary>Calls Sub 100 times ([Scratch] counts loops, [Scratch+4] calls), then shuts down 0.</summary>
    static ElfImage CallLoop(out uint sub, out uint afterInc)
    {
        Label subLabel = default, afterIncLabel = default;
        var image = Build(a =>
        {
            subLabel = a.CreateLabel();
            afterIncLabel = a.CreateLabel();
            var loop = a.CreateLabel();
            a.mov(esi, 100u);
            a.Label(ref loop);
            a.inc(__dword_ptr[Scratch]);
            a.call(subLabel);
            a.dec(esi);
            a.jnz(loop);
            Shutdown(a, 0);
            a.Label(ref subLabel);
            a.mov(__dword_ptr[Scratch + 8], 1u);              // patched by a test through M
            a.inc(__dword_ptr[Scratch + 4]);
            a.Label(ref afterIncLabel);
            a.ret();
        }, null, out var address);
        sub = address(subLabel);
        afterInc = address(afterIncLabel);
        return image;
    }

    static ElfImage Forever() => Build(a =>
    {
        var loop = a.CreateLabel();
        a.Label(ref loop);
        a.inc(__dword_ptr[Scratch]);
        a.jmp(loop);
    });

    [Fact]
    public void Connecting_FindsTheGuestStoppedBeforeItsFirstInstruction()
    {
        using var s = new GdbSession(CallLoop(out _, out _));
        Assert.Contains("qXfer:features:read+", s.Client.Command("qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386"));
        Assert.Equal("S05", s.Client.Command("?"));
        Assert.Equal(CodeAddress, s.Client.Register(Eip));
        Assert.Equal(0ul, s.Guest.Cpu.InstructionsRetired);
        Assert.Equal("1", s.Client.Command("qAttached"));
        Assert.Equal("OK", s.Client.Command("D"));
        Assert.Equal(0, s.WaitForEnd());
    }

    [Fact]
    public void Registers_ReadAndWrite_AndTheX87OnesAreUnavailable()
    {
        using var s = new GdbSession(CallLoop(out _, out _));
        string g = s.Client.Command("g");
        Assert.Equal(16 * 8, g.Length);
        Assert.Equal("00001000", g.Substring(8 * Eip, 8));                 // EIP 0x100000, little-endian
        Assert.Equal("08000000", g.Substring(8 * 10, 8));                  // CS
        Assert.Equal("OK", s.Client.Command("P0=78563412"));
        Assert.Equal(0x1234_5678u, s.Client.Register(0));
        Assert.Equal(0x1234_5678u, s.Guest.Cpu.Gpr[0]);
        Assert.Equal("OK", s.Client.Command("G" + s.Client.Command("g")));    // writing back what was read
        Assert.Equal("E01", s.Client.Command("Pa=1b000000"));                 // CS cannot be reloaded by gdb
        Assert.Equal(new string('x', 20), s.Client.Command("p10"));           // st0: 80 bits, unavailable
        Assert.Equal(new string('x', 8), s.Client.Command("p1f"));            // fop
        Assert.Equal("E01", s.Client.Command("p20"));
        Assert.Equal("OK", s.Client.Command("D"));
        s.WaitForEnd();
    }

    [Fact]
    public void Memory_ReadsAndWritesThroughMAndX_WithEscapedBytes()
    {
        using var s = new GdbSession(CallLoop(out _, out _));
        string addr = $"{Scratch + 0x100:x}";
        Assert.Equal("OK", s.Client.Command($"M{addr},4:deadbeef"));
        Assert.Equal("deadbeef", s.Client.Command($"m{addr},4"));
        // X carries binary: '$', '#', '}' and '*' escaped, other bytes as they are.
        Assert.Equal("OK", s.Client.Command($"X{addr},6:}}\x04}}\x03}}\x5d}}\x0a\x00\xff"));
        Assert.Equal("24237d2a00ff", s.Client.Command($"m{addr},6"));
        Assert.Equal("OK", s.Client.Command($"X{addr},0:"));                   // gdb's probe for X support
        Assert.Equal("E01", s.Client.Command($"X{addr},2:ab}}"));             // a lone escape at the end
        Assert.Equal("E01", s.Client.Command($"M{addr},4:dead"));              // fewer bytes than said
        Assert.Equal("E01", s.Client.Command("mfffff000,4"));                  // outside RAM
        Assert.Equal("00", s.Client.Command($"m{s.Guest.Memory.Size - 1:x},4"));    // a short read, up to the end of RAM
        Assert.Equal("OK", s.Client.Command("D"));
        s.WaitForEnd();
    }

    [Fact]
    public void SoftwareBreakpoint_OnCodeNotYetDecoded_StopsBeforeTheInstruction()
    {
        using var s = new GdbSession(CallLoop(out uint sub, out _));
        Assert.Equal("OK", s.Client.Command($"Z0,{sub:x},1"));
        s.Client.Send("c");
        Assert.StartsWith("T05swbreak:;", s.Client.Receive());
        Assert.Equal(sub, s.Client.Register(Eip));
        Assert.Equal(1u, ReadScratch(s.Guest));                 // the first loop ran...
        Assert.Equal(0u, ReadScratch(s.Guest, 4));              // ...and the sub has not
        s.Client.Send("c");
        Assert.StartsWith("T05swbreak:;", s.Client.Receive());
        Assert.Equal(1u, ReadScratch(s.Guest, 4));
        Assert.Equal("OK", s.Client.Command($"z0,{sub:x},1"));
        s.Client.Send("c");
        Assert.Equal("W00", s.Client.Receive());
        Assert.Equal(0, s.WaitForEnd());
        Assert.Equal(100u, ReadScratch(s.Guest, 4));
    }

    [Fact]
    public void Breakpoint_SetOnCodeAlreadyInTheDecodeCache_Stops_AndAHardwareOneSaysSo()
    {
        using var s = new GdbSession(CallLoop(out uint sub, out _));
        Assert.StartsWith("will stop", s.Client.Monitor("break-at 500"));
        s.Client.Send("c");
        Assert.StartsWith("T05", s.Client.Receive());
        Assert.InRange(ReadScratch(s.Guest, 4), 2u, 99u);                 // Sub has run, so it is decoded
        Assert.Equal("OK", s.Client.Command($"Z1,{sub:x},1"));
        s.Client.Send("vCont;c");
        Assert.StartsWith("T05hwbreak:;", s.Client.Receive());
        Assert.Equal(sub, s.Client.Register(Eip));
        Assert.Equal("OK", s.Client.Command("D"));
        Assert.Equal(0, s.WaitForEnd());
    }

    [Fact]
    public void ABreakpointOnALongRepString_StopsOnce_NotAtEveryChunk()
    {
        Label repLabel = default;
        var image = Build(a =>
        {
            repLabel = a.CreateLabel();
            a.mov(edi, Scratch + 0x1000);
            a.mov(ecx, 3 * 4096u + 5);                                    // several chunks of Strings.RepChunk
            a.xor(eax, eax);
            a.cld();
            a.Label(ref repLabel);
            a.rep.stosb();
            Shutdown(a, 0);
        }, null, out var address);
        using var s = new GdbSession(image);
        uint rep = address(repLabel);
        Assert.Equal("OK", s.Client.Command($"Z0,{rep:x},1"));
        s.Client.Send("c");
        Assert.StartsWith("T05swbreak", s.Client.Receive());
        Assert.Equal(rep, s.Client.Register(Eip));
        Assert.Equal(3 * 4096u + 5, s.Client.Register(1));                // ECX: nothing stored yet
        s.Client.Send("c");
        Assert.Equal("W00", s.Client.Receive());
    }

    [Fact]
    public void WritingCodeThroughM_DropsItsDecodedBlocks()
    {
        // Sub stores 1 in [Scratch+8]; once Sub is decoded and cached, patch its immediate to 7.
        using var s = new GdbSession(CallLoop(out uint sub, out _));
        Assert.Equal("OK", s.Client.Command($"Z0,{sub:x},1"));
        s.Client.Send("c"); s.Client.Receive();
        s.Client.Send("c"); s.Client.Receive();                            // Sub ran once: it is in the cache
        Assert.Equal(1u, ReadScratch(s.Guest, 8));
        // mov dword [Scratch+8], imm32 is C7 05 disp32 imm32: the immediate is at sub + 6.
        Assert.Equal("c705", s.Client.Command($"m{sub:x},2"));
        Assert.Equal("OK", s.Client.Command($"M{sub + 6:x},4:07000000"));
        Assert.Equal("OK", s.Client.Command($"z0,{sub:x},1"));
        s.Client.Send("c");
        Assert.Equal("W00", s.Client.Receive());
        Assert.Equal(7u, ReadScratch(s.Guest, 8));
    }

    [Fact]
    public void Step_RunsOneInstruction()
    {
        using var s = new GdbSession(CallLoop(out _, out _));
        s.Client.Send("s");
        Assert.StartsWith("T05", s.Client.Receive());
        Assert.Equal(1ul, s.Guest.Cpu.InstructionsRetired);
        Assert.Equal(CodeAddress + 10, s.Client.Register(Eip));            // mov dword [0x1000], imm32 is 10 bytes
        s.Client.Send("vCont;s:1;c");
        Assert.StartsWith("T05", s.Client.Receive());
        Assert.Equal(2ul, s.Guest.Cpu.InstructionsRetired);
        Assert.Equal("OK", s.Client.Command("D"));
        s.WaitForEnd();
    }

    [Theory]
    [InlineData('2', "watch")]
    [InlineData('3', "rwatch")]
    [InlineData('4', "awatch")]
    public void Watchpoint_StopsAfterTheAccess_WithItsKindAndAddress(char type, string kind)
    {
        using var s = new GdbSession(CallLoop(out _, out uint afterInc));
        string calls = $"{Scratch + 4:x}";
        Assert.Equal("OK", s.Client.Command($"Z{type},{calls},4"));
        s.Client.Send("c");
        Assert.StartsWith($"T05{kind}:{calls};", s.Client.Receive());
        Assert.Equal(afterInc, s.Client.Register(Eip));                     // inc [Scratch+4] has retired
        Assert.Equal(1u, ReadScratch(s.Guest, 4));                          // the whole instruction, read and write
        Assert.Equal("OK", s.Client.Command($"z{type},{calls},4"));
        s.Client.Send("c");
        Assert.Equal("W00", s.Client.Receive());
    }

    [Fact]
    public void CtrlC_StopsARunningGuestWithSigint()
    {
        using var s = new GdbSession(Forever());
        s.Client.Send("c");
        Thread.Sleep(100);
        s.Client.SendRaw([0x03]);
        Assert.StartsWith("T02", s.Client.Receive());
        Assert.True(ReadScratch(s.Guest) > 0);
        s.Client.Send("k");
        Assert.Equal(ExitCodes.Software, s.WaitForEnd());
    }

    [Fact]
    public void Kill_EndsTheGuest()
    {
        using var s = new GdbSession(Forever());
        s.Client.Send("k");
        Assert.Equal(ExitCodes.Software, s.WaitForEnd());
        Assert.Equal(StopReason.Killed, s.Guest.StopReason);
        Assert.True(s.Client.Closed());
    }

    [Fact]
    public void MalformedAndUnknownPackets_GetErrorsOrEmptyReplies_AndTheStubCarriesOn()
    {
        using var s = new GdbSession(CallLoop(out _, out _));
        string[] errors =
        [
            "mzz,4", "m100000", "m,4", "m100000,", "m123456789,4", "M100000,4", "M100000,2:zzzz", "X100000", "p", "pzz", "P0",
            "P0=12", "Pzz=00000000", "G", "G00", "Gzz" + new string('0', 126), "Z0,100000", "Z0,zz,1", "Z2,100000,0", "Z2,fffff000,4",
            "czz", "C", "Czz", "S1", "vCont;q", "vCont;", "qRcmd,zz", "qRcmd,123", "qXfer:features:read:target.xml:zz",
        ];
        foreach (string p in errors) Assert.True(s.Client.Command(p) is "E01", $"{p} -> not E01");
        Assert.Equal("E00", s.Client.Command("qXfer:features:read:other.xml:0,10"));
        foreach (string p in new[] { "", "vMustReplyEmpty", "qTStatus", "qC", "qfThreadInfo", "Z9,0,0", "Zx,1,1", "!", "~~", "QFoo", "vFoo", "bc", "\x7f\xff" })
            Assert.Equal("", s.Client.Command(p));
        Assert.Contains("unknown", s.Client.Monitor("no-such-command"));
        Assert.Contains("not a time", s.Client.Monitor("break-at soon"));
        // Bytes that are not packets: garbage is ignored, a bad checksum is nak'ed.
        s.Client.SendRaw("garbage\r\n");
        s.Client.SendRaw("$g#00");
        Assert.Equal('-', s.Client.ReadByte());
        Assert.Equal("S05", s.Client.Command("?"));
        Assert.Equal(0ul, s.Guest.Cpu.InstructionsRetired);
        Assert.Equal("OK", s.Client.Command("D"));
        Assert.Equal(0, s.WaitForEnd());
    }

    [Fact]
    public void ANak_GetsTheLastPacketAgain_AndNoAckModeStopsTheAcks()
    {
        using var s = new GdbSession(CallLoop(out _, out _));
        string first = s.Client.Command("g");
        s.Client.SendRaw("-");
        Assert.Equal(first, s.Client.Receive());
        s.Client.StartNoAckMode();
        s.Client.SendRaw(Puppyvisor.Monitor.Debugger.GdbPacket.Frame("?"));
        Assert.Equal('$', s.Client.ReadByte());                 // the reply, with no '+' before it
        Assert.Equal("OK", s.Client.Command("D"));
    }

    [Fact]
    public void TargetDescription_IsAWellFormedI386Core_ReadInWindows()
    {
        using var s = new GdbSession(CallLoop(out _, out _));
        var xml = new System.Text.StringBuilder();
        for (int offset = 0; ; offset += 100)
        {
            string r = s.Client.Command($"qXfer:features:read:target.xml:{offset:x},64");
            xml.Append(r[1..]);
            if (r[0] == 'l') break;
            Assert.Equal('m', r[0]);
        }
        Assert.Equal(TargetDescription.Xml.Length, xml.Length);
        var doc = XDocument.Parse(xml.ToString());
        Assert.Equal("i386", doc.Root!.Element("architecture")!.Value);
        var regs = doc.Descendants("feature").Single(f => (string?)f.Attribute("name") == "org.gnu.gdb.i386.core").Elements("reg").ToList();
        Assert.Equal(["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "eip", "eflags", "cs", "ss", "ds", "es", "fs", "gs"],
            regs.Take(16).Select(r => (string)r.Attribute("name")!));
        Assert.Equal(32, regs.Count);
        Assert.Equal("OK", s.Client.Command("D"));
    }

    // ---- Time and interrupts -----------------------------------------------------------

    /// <summary>Arms the clockevent for 300 ns with IF = 0, spins until it is pending, enables IRQs, spins on. The handler counts in [Scratch+12].</summary>
    static ElfImage PendingTimer(out uint afterSti)
    {
        Label after = default;
        var image = Build(a =>
        {
            after = a.CreateLabel();
            var spin = a.CreateLabel();
            Hypercall(a, 9, 300);
            a.mov(edi, 400u);
            a.Label(ref spin);
            a.dec(edi);
            a.jnz(spin);
            a.sti();
            a.Label(ref after);
            a.inc(__dword_ptr[Scratch]);
            a.cmp(__dword_ptr[Scratch + 12], 0);
            a.je(after);
            Shutdown(a, 0);
        }, a =>
        {
            a.inc(__dword_ptr[Scratch + 12]);
            a.iretd();
        }, out var address);
        afterSti = address(after);
        return image;
    }

    [Fact]
    public void Stepping_LeavesIrqsPending_UnlessStepIrqIsOn()
    {
        using var s = new GdbSession(PendingTimer(out uint afterSti));
        Assert.Equal("OK", s.Client.Command($"Z0,{afterSti:x},1"));       // just after STI: the IRQ is due
        s.Client.Send("c");
        Assert.StartsWith("T05swbreak", s.Client.Receive());
        Assert.True(s.Guest.Irqs.Any);
        Assert.Equal("OK", s.Client.Command($"z0,{afterSti:x},1"));
        for (int i = 0; i < 20; i++)
        {
            s.Client.Send("s");
            s.Client.Receive();
            Assert.NotEqual(HandlerAddress, s.Client.Register(Eip));
        }
        Assert.Equal(0u, ReadScratch(s.Guest, 12));
        Assert.Contains("step-irq on", s.Client.Monitor("step-irq on"));
        s.Client.Send("s");
        s.Client.Receive();
        Assert.Equal(HandlerAddress, s.Client.Register(Eip));              // the step ends at the handler's entry
        s.Client.Send("c");
        Assert.Equal("W00", s.Client.Receive());
    }

    [Fact]
    public void UntilTimer_StopsWhereTheTimerIrqIsInjected()
    {
        using var s = new GdbSession(PendingTimer(out _));
        Assert.Contains("will stop when the next clockevent IRQ is injected", s.Client.Monitor("until-timer"));
        s.Client.Send("c");
        Assert.StartsWith("T05", s.Client.Receive());
        Assert.Equal(HandlerAddress, s.Client.Register(Eip));
        Assert.Equal(1, s.Guest.Stats.IrqsInjected);
        Assert.Contains("IRQ pending: no; injected 1", s.Client.Monitor("timers"));
        Assert.Equal("OK", s.Client.Command("D"));
        Assert.Equal(0, s.WaitForEnd());
    }

    [Fact]
    public void BreakAt_StopsAtExactlyThatVirtualTime_AndTimeStandsStillWhileStopped()
    {
        using var s = new GdbSession(Forever());
        Assert.StartsWith("will stop when the clock reaches 5000 ns", s.Client.Monitor("break-at 5us"));
        s.Client.Send("c");
        Assert.StartsWith("T05", s.Client.Receive());
        Assert.Equal(5000, s.Guest.Clock.Now);
        Thread.Sleep(50);
        Assert.StartsWith("g0: now 5000 ns (virtual clock", s.Client.Monitor("clock"));
        Assert.Contains("has passed", s.Client.Monitor("break-at 100"));
        s.Client.Send("k");
        Assert.Equal(ExitCodes.Software, s.WaitForEnd());
    }

    [Fact]
    public void MonitorTimers_ShowsTheClockEventAndTheHostQueue()
    {
        using var s = new GdbSession(PendingTimer(out _));
        Assert.Contains("clockevent (IRQ 0, vector 0x20): stopped", s.Client.Monitor("timers"));
        Assert.Contains("host hrtimer queue: 0 armed", s.Client.Monitor("timers"));
        s.Client.Monitor("break-at 200");
        s.Client.Send("c");
        s.Client.Receive();
        string timers = s.Client.Monitor("timers");
        Assert.Contains("now 200 ns", timers);
        Assert.Matches(@"clockevent \(IRQ 0, vector 0x20\): armed, expiry \d+ ns \(in \d+ ns\)", timers);
        Assert.Contains("host hrtimer queue: 1 armed", timers);
        Assert.Contains("<- this guest's clockevent", timers);
        Assert.Contains("instructions", s.Client.Monitor("stats"));
        Assert.Contains("until-timer", s.Client.Monitor("help"));
        Assert.Equal("OK", s.Client.Command("D"));
    }

    [Fact]
    public void StepFromHlt_LetsTheInterruptRun_AndStopsWhenItReturns()
    {
        Label hltLabel = default, afterLabel = default;
        var image = Build(a =>
        {
            hltLabel = a.CreateLabel();
            afterLabel = a.CreateLabel();
            Hypercall(a, 9, 1000);
            a.sti();
            a.Label(ref hltLabel);
            a.hlt();
            a.Label(ref afterLabel);
            Shutdown(a, 0);
        }, a =>
        {
            a.inc(__dword_ptr[Scratch + 12]);
            a.iretd();
        }, out var address);
        using var s = new GdbSession(image);
        uint hlt = address(hltLabel), after = address(afterLabel);
        Assert.Equal("OK", s.Client.Command($"Z0,{hlt:x},1"));
        s.Client.Send("c");
        Assert.StartsWith("T05swbreak", s.Client.Receive());
        Assert.Equal("OK", s.Client.Command($"z0,{hlt:x},1"));
        s.Client.Send("s");                                                // HLT: the guest halts
        s.Client.Receive();
        Assert.Equal(after, s.Client.Register(Eip));
        Assert.Equal(VCpuState.Halted, s.Guest.State);
        s.Client.Send("s");                                                // the timer comes, its handler runs and returns
        Assert.StartsWith("T05", s.Client.Receive());
        Assert.Equal(after, s.Client.Register(Eip));
        Assert.Equal(1u, ReadScratch(s.Guest, 12));
        Assert.True(s.Guest.Clock.Now >= 1000);
        s.Client.Send("c");
        Assert.Equal("W00", s.Client.Receive());
    }

    [Fact]
    public void TripleFault_StopsWithSigsegvFirst_ThenReportsTheExit()
    {
        var image = Build(a =>
        {
            a.mov(__word_ptr[Scratch], 0);                                 // an IDT with no entries
            a.mov(__dword_ptr[Scratch + 2], 0);
            a.lidt(__[Scratch]);
            a.ud2();
        });
        using var s = new GdbSession(image);
        s.Client.Send("c");
        Assert.StartsWith("T0b", s.Client.Receive());
        s.Client.Send("c");
        Assert.Equal($"W{ExitCodes.TripleFault:x2}", s.Client.Receive());
        Assert.Equal(ExitCodes.TripleFault, s.WaitForEnd());
    }

    [Fact]
    public void Disconnecting_WithoutDetach_LetsTheGuestRunOn()
    {
        using var s = new GdbSession(CallLoop(out uint sub, out _));
        Assert.Equal("OK", s.Client.Command($"Z0,{sub:x},1"));
        s.Client.Dispose();
        Assert.Equal(0, s.WaitForEnd());
        Assert.Equal(100u, ReadScratch(s.Guest, 4));                       // the breakpoint went with gdb
    }

    // ---- Parsing the command line's pieces ------------------------------------------------

    [Theory]
    [InlineData(":1234", "127.0.0.1:1234")]
    [InlineData("1234", "127.0.0.1:1234")]
    [InlineData("127.0.0.1:0", "127.0.0.1:0")]
    [InlineData("localhost:1234", "127.0.0.1:1234")]
    [InlineData("[::1]:1234", "[::1]:1234")]
    public void GdbEndPoint_DefaultsToLoopback(string text, string expected)
    {
        Assert.True(GdbEndPoint.TryParse(text, anyAddress: false, out var ep, out _));
        Assert.Equal(expected, ep.ToString());
    }

    [Theory]
    [InlineData("0.0.0.0:1234", "not a loopback address")]
    [InlineData("192.168.1.2:1234", "--gdb-any-address")]
    [InlineData("127.0.0.1:99999", "port")]
    [InlineData("127.0.0.1:", "port")]
    [InlineData("example.org:1234", "not an IP address")]
    public void GdbEndPoint_RefusesOtherAddressesAndBadPorts(string text, string message)
    {
        Assert.False(GdbEndPoint.TryParse(text, anyAddress: false, out _, out string error));
        Assert.Contains(message, error);
    }

    [Fact]
    public void GdbEndPoint_TakesAnyAddressWhenAllowed() =>
        Assert.True(GdbEndPoint.TryParse("0.0.0.0:1234", anyAddress: true, out _, out _));

    [Theory]
    [InlineData("5000", 5000)]
    [InlineData("5000ns", 5000)]
    [InlineData("20us", 20_000)]
    [InlineData("5ms", 5_000_000)]
    [InlineData("1.5s", 1_500_000_000)]
    public void BreakAtTimes_TakeUnits(string text, long ns)
    {
        Assert.True(MonitorCommands.TryParseTime(text, out long v));
        Assert.Equal(ns, v);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-5")]
    [InlineData("5 ms")]
    [InlineData("soon")]
    [InlineData("99999999999999999999s")]
    public void BreakAtTimes_RejectNonsense(string text) => Assert.False(MonitorCommands.TryParseTime(text, out _));
}
