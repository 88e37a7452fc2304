// The story of the mission, checked: tickless guests cost the host only the timers they
// need; periodic guests cost HZ ticks each; on the virtual clock every IRQ is on time.
using System.Text.Json;

namespace Puppyvisor.Guests.Tests;

public class TicklessTests
{
    static (CommandResult Run, JsonElement Stats) RunWithStats(string image, params string[] extra)
    {
        string json = Path.GetTempFileName();
        try
        {
            var r = Puppy.Run(["run", Repo.Image(image), "--clock", "virtual", "--stats-json", json, .. extra]);
            return (r, JsonDocument.Parse(File.ReadAllText(json)).RootElement.Clone());
        }
        finally { File.Delete(json); }
    }

    [Fact]
    public void Tickless_TwoVirtualRuns_GiveByteIdenticalOutputAndIdenticalVirtualStats()
    {
        var (a, sa) = RunWithStats("tickless");
        var (b, sb) = RunWithStats("tickless");
        Assert.Equal(0, a.ExitCode);
        Assert.Equal(a.Stdout, b.Stdout);
        JsonElement ga = sa.GetProperty("guests")[0], gb = sb.GetProperty("guests")[0];
        foreach (string key in new[] { "instructions", "guest_time_ns", "irqs_injected", "halted_fraction" })
            Assert.Equal(ga.GetProperty(key).GetRawText(), gb.GetProperty(key).GetRawText());
        Assert.Equal(ga.GetProperty("clockevents").GetRawText(), gb.GetProperty("clockevents").GetRawText());
    }

    [Fact]
    public void Tickless_ArmsTheDeviceOnlyForItsTimers_AndEveryIrqIsOnTime()
    {
        var (r, s) = RunWithStats("tickless");
        Assert.Equal(0, r.ExitCode);
        JsonElement g = s.GetProperty("guests")[0];
        // 3 ms x 333 + 7 ms x 142 + 100 ms x 10 + 250 ms x 1 = 486 expiries, of which the
        // coinciding ones share an interrupt: 435 interrupts, and no periodic tick.
        Assert.Equal(435, g.GetProperty("irqs_injected").GetInt32());
        Assert.Equal(435, g.GetProperty("clockevents").GetProperty("fired").GetInt32());
        Assert.Equal(0, g.GetProperty("lateness_ns").GetProperty("max").GetInt64());
        Assert.Contains("tickless: 435 timer IRQs, 0 spurious", r.Stdout);
        Assert.Contains("timer 3ms: fired 333", r.Stdout);
        Assert.Contains("timer 250ms: fired 1", r.Stdout);
    }

    [Fact]
    public void Periodic_TakesAThousandTicksPerSecond()
    {
        var (r, s) = RunWithStats("periodic");
        Assert.Equal(0, r.ExitCode);
        JsonElement g = s.GetProperty("guests")[0];
        Assert.Equal(1000, g.GetProperty("irqs_injected").GetInt32());
        Assert.Contains("timer 3ms: fired 333", r.Stdout);
    }

    [Fact]
    public void TenGuests_TicklessCostsTheHostFarFewerTimerExpiriesThanPeriodic()
    {
        var (t, ts) = RunWithStats("tickless", "--guests", "10");
        var (p, ps) = RunWithStats("periodic", "--guests", "10");
        Assert.Equal(0, t.ExitCode);
        Assert.Equal(0, p.ExitCode);
        long tickless = ts.GetProperty("total").GetProperty("host_timer_expiries").GetInt64();
        long periodic = ps.GetProperty("total").GetProperty("host_timer_expiries").GetInt64();
        Assert.Equal(10 * 435, tickless);
        Assert.Equal(10 * 1000, periodic);
        Assert.Equal(0, ts.GetProperty("total").GetProperty("lateness_ns").GetProperty("max").GetInt64());
        Assert.Equal(10, t.Stdout.Split('\n').Count(l => l.EndsWith("tickless: 435 timer IRQs, 0 spurious, clockevent armed 437 times, early expiries 0")));
    }

    [Fact]
    public void HostClock_RunsTheTicklessGuestToItsEnd()
    {
        var r = Puppy.Run("run", Repo.Image("tickless"), "--clock", "host", "--cmdline", "duration_ms=200", "--stats");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("tickless: stopped at", r.Stdout);
        Assert.Matches(@"lateness \(ns\)\s+min \d+, p50 \d+, p99 \d+, max \d+", r.Stderr);
    }
}

public class FastPathTests
{
    /// <summary>The decode cache, the TLB, the fast forms and the block compiler change speed, never behaviour.</summary>
    [Theory]
    [InlineData("selftest", "background")]
    [InlineData("tickless", "background")]
    [InlineData("tasks", "immediate")]
    [InlineData("bench", "immediate", "iterations=2")]
    public void GuestOutputAndCounts_AreTheSameWithEveryFastPathOff(string image, string compiler, string cmdline = "")
    {
        var fast = Puppy.Run("run", Repo.Image(image), "--clock", "virtual", "--stats", "--compiler", compiler, "--cmdline", cmdline);
        var slow = Puppy.Run("run", Repo.Image(image), "--clock", "virtual", "--stats", "--cmdline", cmdline,
            "--no-decode-cache", "--no-tlb", "--no-fast-forms", "--compiler", "off");
        Assert.Equal(0, fast.ExitCode);
        Assert.Equal(0, slow.ExitCode);
        Assert.Equal(fast.Stdout, slow.Stdout);
        string Count(string stats) => System.Text.RegularExpressions.Regex.Match(stats, @"instructions\s+([\d,]+)").Groups[1].Value;
        Assert.Equal(Count(fast.Stderr), Count(slow.Stderr));
    }

    [Theory]
    [InlineData("immediate", true)]
    [InlineData("off", false)]
    public void Stats_CountTheBlocksTheCompilerCompiled(string compiler, bool some)
    {
        var r = Puppy.Run("run", Repo.Image("bench"), "--clock", "virtual", "--stats", "--compiler", compiler, "--cmdline", "iterations=2");
        Assert.Equal(0, r.ExitCode);
        var m = System.Text.RegularExpressions.Regex.Match(r.Stderr, @"decode cache .* (\d+) blocks \((\d+) compiled\)");
        Assert.True(m.Success, r.Stderr);
        int compiled = int.Parse(m.Groups[2].Value);
        Assert.Equal(some, compiled > 0);
        Assert.True(compiled <= int.Parse(m.Groups[1].Value));
    }
}
