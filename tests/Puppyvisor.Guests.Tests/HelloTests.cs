// The first guest: greeting, command line, memory size, status 0 -- and the same on QEMU.
namespace Puppyvisor.Guests.Tests;

public class HelloTests
{
    static readonly string[] ExpectedLines =
    [
        "Hello from Puppyvisor guest!",
        $"cmdline: {Repo.Image("hello")} foo bar",
        "memory: 16384 KiB",
    ];

    [Fact]
    public void Hello_PrintsGreetingCommandLineAndMemory_AndExitsZero()
    {
        var r = Puppy.Run("run", Repo.Image("hello"), "--cmdline", "foo bar", "--clock", "virtual");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(ExpectedLines, r.Stdout.TrimEnd('\n').Split('\n'));
    }

    [RequiresToolFact("qemu-system-i386")]
    public void Hello_PrintsTheSameLinesOnQemu()
    {
        var q = Tool.Run("qemu-system-i386", ["-kernel", Repo.Image("hello"), "-append", "foo bar", "-m", "16",
            "-serial", "stdio", "-display", "none", "-monitor", "none", "-no-reboot",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]);
        Assert.Equal(1, q.ExitCode);                          // QEMU reports status 0 as (0 << 1) | 1
        var p = Puppy.Run("run", Repo.Image("hello"), "--cmdline", "foo bar", "--clock", "virtual");
        Assert.Equal(p.Stdout.Replace("\r", ""), q.Stdout.Replace("\r", ""));
    }

    [Fact]
    public void Stats_ReportInstructionsAndMips()
    {
        var r = Puppy.Run("run", Repo.Image("hello"), "--clock", "virtual", "--stats");
        Assert.Equal(0, r.ExitCode);
        Assert.Matches(@"instructions\s+[\d,]+", r.Stderr);
        Assert.Matches(@"MIPS\s+\d+\.\d", r.Stderr);
    }
}

public class SelftestTests
{
    [Fact]
    public void FreestandingCAtO2_PassesEveryCheck()
    {
        var r = Puppy.Run("run", Repo.Image("selftest"), "--clock", "virtual");
        Assert.Equal(0, r.ExitCode);
        Assert.Matches(@"selftest: \d+ checks passed", r.Stdout);
        Assert.DoesNotContain("FAIL", r.Stdout);
    }
}
