// The tasks kernel (guest-images/tasks): five ring-3 tasks, a page directory each, system
// calls, tickless scheduling, a NULL write killed by its #PF -- checked line by line against
// its README on the virtual clock, and its timing checked against what the monitor counted.
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Puppyvisor.Guests.Tests;

public partial class TasksTests
{
    sealed record TasksRun(CommandResult Result, JsonElement Guest);

    static TasksRun RunTasks(params string[] extra)
    {
        string json = Path.GetTempFileName();
        try
        {
            var r = Puppy.Run(["run", Repo.Image("tasks"), "--clock", "virtual", "--stats-json", json, .. extra]);
            return new TasksRun(r, JsonDocument.Parse(File.ReadAllText(json)).RootElement.GetProperty("guests")[0].Clone());
        }
        finally { File.Delete(json); }
    }

    /// <summary>The default run, shared by the tests that only read it.</summary>
    static readonly Lazy<TasksRun> Default = new(() => RunTasks());

    static string[] Lines(string text) => text.Replace("\r", "").TrimEnd('\n').Split('\n');

    /// <summary>The expected output: the ```console-tasks block of guest-images/tasks/README.md.</summary>
    static string[] ReadmeLines()
    {
        string[] readme = Lines(File.ReadAllText(Path.Combine(Repo.Root, "guest-images", "tasks", "README.md")));
        int start = Array.IndexOf(readme, "```console-tasks") + 1;
        int end = Array.IndexOf(readme, "```", start);
        Assert.True(start > 0 && end > start, "README.md has no console-tasks block");
        return readme[start..end];
    }

    /// <summary>
    /// The line without what depends on instruction counts: the time stamp, measured sleeps,
    /// the end time and the cpu-ns column. Everything else must match exactly.
    /// </summary>
    static string WithoutTimes(string line)
    {
        line = TimeStamp().Replace(line, "[T ns]");
        line = Slept().Replace(line, "slept N ns");
        line = EndedAt().Replace(line, "ended, at N ns");
        return TableRow().Replace(line, "$1 $2 $3 N $4");
    }

    [GeneratedRegex(@"^\[\s*\d+ ns\]")] private static partial Regex TimeStamp();
    [GeneratedRegex(@"slept \d+ ns")] private static partial Regex Slept();
    [GeneratedRegex(@"ended, at \d+ ns")] private static partial Regex EndedAt();
    [GeneratedRegex(@"^\s+(\d+)\s+(\S+)\s+(\S+)\s+\d+\s+(\d+)$")] private static partial Regex TableRow();
    [GeneratedRegex(@"^\[\s*(\d+) ns\] (.*)$")] private static partial Regex Stamped();
    [GeneratedRegex(@"slept (\d+) ns \(asked (\d+)\)")] private static partial Regex SleptAsked();

    static IEnumerable<(long Ns, string Text)> Events(string stdout) =>
        Lines(stdout).Select(l => Stamped().Match(l)).Where(m => m.Success)
            .Select(m => (long.Parse(m.Groups[1].Value), m.Groups[2].Value));

    [Fact]
    public void Tasks_PrintsTheReadmeStory_LineByLine_AndExitsZero()
    {
        var r = Default.Value.Result;
        Assert.Equal(0, r.ExitCode);
        string[] expected = ReadmeLines(), actual = Lines(r.Stdout);
        for (int i = 0; i < Math.Min(expected.Length, actual.Length); i++)
            Assert.True(WithoutTimes(expected[i]) == WithoutTimes(actual[i]),
                $"line {i + 1}:\n  README: {expected[i]}\n  run:    {actual[i]}");
        Assert.Equal(expected.Length, actual.Length);
    }

    [Fact]
    public void Tasks_NullWrite_IsKilledWithItsPageFaultDecoded_WhileTheOthersGoOn()
    {
        string stdout = Default.Value.Result.Stdout;
        Assert.Matches(@"kernel: null\[3\] killed: #PF at EIP 0x400[0-9a-f]{5}, CR2 0x00000000, error 0x6 \(not-present write from user\)", stdout);
        Assert.DoesNotContain("still alive", stdout);
        foreach (string exit in new[] { "hello[1] exited with status 0", "sleeper[2] exited with status 0",
                     "spinner[4] exited with status 0", "yielder[5] exited with status 7" })
            Assert.Contains(exit, stdout);
    }

    [Fact]
    public void Tasks_EveryTaskSeesTheSameLinearStackPage()
    {
        string stdout = Default.Value.Result.Stdout;
        Assert.Contains("hello[1]: hello from pid 1, stack page 0x7ffff000", stdout);
        Assert.Contains("spinner[4]: pid 4 spinning 1000000 rounds, stack page 0x7ffff000", stdout);
    }

    [Fact]
    public void Tasks_TimeNeverGoesBack_AndNoSleepEndsEarly()
    {
        var events = Events(Default.Value.Result.Stdout).ToList();
        for (int i = 1; i < events.Count; i++)
            Assert.True(events[i].Ns >= events[i - 1].Ns, $"time went back at \"{events[i].Text}\"");
        var sleeps = events.Select(e => SleptAsked().Match(e.Text)).Where(m => m.Success)
            .Select(m => (Slept: long.Parse(m.Groups[1].Value), Asked: long.Parse(m.Groups[2].Value))).ToList();
        Assert.Equal(4, sleeps.Count);
        Assert.All(sleeps, s => Assert.True(s.Slept >= s.Asked, $"slept {s.Slept} ns, asked {s.Asked}"));
        // Alone on the CPU at the end, the sleeper wakes within a microsecond of its deadline.
        Assert.All(sleeps.TakeLast(2), s => Assert.InRange(s.Slept - s.Asked, 0, 1000));
    }

    [Fact]
    public void Tasks_TakesAnIrqOnlyForAWakeUpOrAnExpiredSlice_NoTick()
    {
        // Every timer IRQ is a sleeper's wake-up (3 ticks, 4 sleeps) or a slice that ended
        // with another task waiting (a preemption): nothing else, no periodic tick.
        var (r, g) = Default.Value;
        var events = Events(r.Stdout).Select(e => e.Text).ToList();
        int wakeUps = events.Count(t => t.Contains(": tick ") || t.Contains(": slept "));
        int preemptions = events.Count(t => t.Contains("used up its time slice"));
        Assert.Equal((7, 4), (wakeUps, preemptions));
        Assert.Equal(wakeUps + preemptions, g.GetProperty("irqs_injected").GetInt32());
        Assert.Contains($"tasks: {wakeUps + preemptions} timer IRQs, 0 spurious", r.Stdout);
        Assert.Equal(0, g.GetProperty("lateness_ns").GetProperty("max").GetInt64());
    }

    [Fact]
    public void Tasks_ClockeventProgrammings_CountedByTheGuest_MatchTheMonitors()
    {
        var (r, g) = Default.Value;
        JsonElement ce = g.GetProperty("clockevents");
        int monitor = ce.GetProperty("armed").GetInt32() + ce.GetProperty("rearmed").GetInt32();
        Assert.Contains($"clockevent armed {monitor} times", r.Stdout);
    }

    [Fact]
    public void Tasks_PagingAndTheTlbAreUsed()
    {
        JsonElement g = Default.Value.Guest;
        long hits = g.GetProperty("tlb_hits").GetInt64(), misses = g.GetProperty("tlb_misses").GetInt64();
        Assert.True(hits > 1_000_000, $"TLB hits {hits}");
        Assert.InRange(misses, 1, hits / 1000);
    }

    [Fact]
    public void Tasks_TwoVirtualRuns_AreByteIdentical()
    {
        var again = RunTasks();
        Assert.Equal(Default.Value.Result.Stdout, again.Result.Stdout);
        Assert.Equal(Default.Value.Guest.GetProperty("instructions").GetInt64(), again.Guest.GetProperty("instructions").GetInt64());
    }

    [Fact]
    public void Tasks_PagingOff_RunsTheSpinnersWorkInRing0_ToTheSameChecksum()
    {
        var off = RunTasks("--cmdline", "paging=off");
        Assert.Equal(0, off.Result.ExitCode);
        Assert.Contains("tasks: checksum 0x5d3a619 at", off.Result.Stdout);
        Assert.Contains("spinner[4]: done spinning, checksum 0x5d3a619", Default.Value.Result.Stdout);
        Assert.Equal(0, off.Guest.GetProperty("tlb_hits").GetInt64());
    }

    [RequiresToolFact("qemu-system-i386")]
    public void Tasks_OnQemuWithoutThePvClock_SaysSo_AndExitsZero()
    {
        var q = Tool.Run("qemu-system-i386", ["-kernel", Repo.Image("tasks"), "-m", "16", "-serial", "stdio", "-display", "none",
            "-monitor", "none", "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]);
        Assert.Equal(1, q.ExitCode);                          // QEMU reports status 0 as (0 << 1) | 1
        Assert.Equal("tasks: no paravirtual clock; shutting down\n", q.Stdout.Replace("\r", ""));
    }

    [Fact]
    public void Tasks_WithABadTssEsp0_TripleFaults_AndTheReportNamesTheInstructionInRing3()
    {
        var r = Puppy.Run("run", Repo.Image("tasks"), "--clock", "virtual", "--cmdline", "crash=esp0");
        Assert.Equal(70, r.ExitCode);
        Assert.Contains("puppyvisor: g0: triple fault: #PF(0x2) -> #PF(0x2) -> #DF(0x0) -> #PF(0x2)\n", r.Stdout);
        Assert.Contains("  #PF(0x2): not-present write from supervisor, CR2=00000ffc\n", r.Stdout);
        Assert.Matches(@"CS=001b SS=0023", r.Stdout);
        Assert.Matches(@"  0x4000[0-9a-f]{4} <task_hello\+0x[0-9a-f]+>: cd80  int 80h", r.Stdout);
    }
}
