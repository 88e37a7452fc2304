// Debugging guest timer code with real gdb (DESIGN §5): the tickless guest waits for gdb
// on the virtual clock; gdb in batch mode breaks in the timer interrupt handler by
// symbol, reads registers and a guest variable, steps, watches timer_queue_head, asks
// the monitor for the timers, and detaches; the guest then finishes normally.
using System.Text.RegularExpressions;

namespace Puppyvisor.Guests.Tests;

public class GdbTests
{
    /// <summary>Starts tickless waiting for gdb on a free port, runs gdb with <paramref name="commands"/>, returns both results.</summary>
    static (CommandResult Gdb, CommandResult Puppy) Debug(string[] commands, params string[] puppyArgs)
    {
        string image = Repo.Image("tickless");
        using var puppy = Puppy.Start(["run", image, "--clock", "virtual", "--gdb", "127.0.0.1:0", "--gdb-wait", .. puppyArgs]);
        string port = puppy.WaitForStderr(@"listening on 127\.0\.0\.1:(\d+)").Groups[1].Value;
        string[] args = ["-batch", "-nx", image, "-ex", $"target remote 127.0.0.1:{port}", .. commands.SelectMany(c => new[] { "-ex", c })];
        var gdb = Tool.Run("gdb", args, timeoutMs: 120_000);
        return (gdb, puppy.WaitForExit());
    }

    [RequiresToolFact("gdb")]
    public void Gdb_BreaksInTheTimerHandler_ReadsState_Steps_Watches_AndDetaches()
    {
        var (gdb, puppy) = Debug([
            "break hrtimer_interrupt",
            "continue",
            "info registers",
            "print timer_queue_head",
            "print timer_queue_head->name",
            "stepi",
            "next",
            "watch timer_queue_head",
            "continue",
            "monitor timers",
            "detach",
        ]);
        string o = gdb.Stdout + gdb.Stderr;                         // gdb prints `monitor` output on stderr
        Assert.DoesNotContain("warning", gdb.Stderr);                 // e.g. "Architecture rejected target-supplied description"
        Assert.Contains("Breakpoint 1, hrtimer_interrupt () at ./firmware/pvclock/hrtimer.c:", o);
        Assert.Matches(@"eip\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <hrtimer_interrupt\+\d+>", o);
        Assert.Matches(@"esp\s+0x[0-9a-f]+", o);
        Assert.Matches(@"cs\s+0x8\s+8", o);
        Assert.Matches(@"\$1 = \(struct hrtimer \*\) 0x[0-9a-f]+ <timers>", o);
        Assert.Contains("\"3ms\"", o);                               // the 3 ms timer is first at 3 ms
        Assert.Contains("Hardware watchpoint 2: timer_queue_head", o);
        Assert.Contains("Old value = (struct hrtimer *) 0x", o);
        Assert.Contains("New value = (struct hrtimer *) 0x", o);
        Assert.Matches(@"clockevent \(IRQ 0, vector 0x20\)", o);
        Assert.Contains("guest timer_queue_head", o);
        Assert.Contains("[Inferior 1 (Remote target) detached]", o);

        Assert.Equal(0, puppy.ExitCode);
        Assert.Contains("tickless: 435 timer IRQs, 0 spurious, clockevent armed 437 times, early expiries 0", puppy.Stdout);
    }

    [RequiresToolFact("gdb")]
    public void Gdb_ABreakpointInTheTimerHandler_FiresAtTheSameVirtualTime_InTwoRuns()
    {
        string[] session = ["break hrtimer_interrupt", "continue", "monitor clock", "continue", "monitor clock", "continue", "monitor clock", "kill"];
        string Clocks(CommandResult gdb) =>
            string.Join("\n", Regex.Matches(gdb.Stderr, @"g0: now \d+ ns.*").Select(m => m.Value));
        var (first, _) = Debug(session);
        var (second, _) = Debug(session);
        string clocks = Clocks(first);
        Assert.Equal(3, clocks.Split('\n').Length);
        Assert.Equal(clocks, Clocks(second));
        // The first timer IRQ is for the 3 ms timer: the handler runs just after 3 ms.
        long ns = long.Parse(Regex.Match(clocks, @"now (\d+) ns").Groups[1].Value);
        Assert.InRange(ns, 3_000_000, 3_010_000);
    }

    [RequiresToolFact("gdb")]
    public void Gdb_MonitorUntilTimer_AndBreakAt_StopInGuestTime()
    {
        var (gdb, puppy) = Debug([
            "monitor break-at 5ms",
            "continue",
            "monitor clock",
            "monitor until-timer",
            "continue",
            "info registers eip",
            "detach",
        ]);
        Assert.Contains("g0: now 5000000 ns (virtual clock", gdb.Stderr);
        Assert.Matches(@"eip\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <irq_stub_0>", gdb.Stdout);
        Assert.Equal(0, puppy.ExitCode);
    }

    [Fact]
    public void GdbOnANonLoopbackAddress_NeedsItsFlag()
    {
        var r = Puppy.Run("run", Repo.Image("hello"), "--gdb", "0.0.0.0:1234");
        Assert.Equal(64, r.ExitCode);
        Assert.Contains("--gdb-any-address", r.Stderr);
        Assert.Equal(64, Puppy.Run("run", Repo.Image("hello"), "--gdb-wait").ExitCode);
    }

    [Fact]
    public void TraceInsns_PrintsTheLastInstructionsWithSymbolsBytesAndDisassembly()
    {
        var r = Puppy.Run("run", Repo.Image("hello"), "--clock", "virtual", "--trace-insns", "6");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("puppyvisor: g0: last 6 instructions (Shutdown, status 0), oldest first:", r.Stderr);
        var lines = r.Stderr.Split('\n').Where(l => l.StartsWith("  0x")).ToList();
        Assert.Equal(6, lines.Count);
        Assert.All(lines, l => Assert.Matches(@"^  0x[0-9a-f]{8} <\w+(\+0x[0-9a-f]+)?>: [0-9a-f]+  \S", l));
        Assert.Contains("vmcall", lines[^1]);                    // the last one is HCALL_SHUTDOWN
    }
}
