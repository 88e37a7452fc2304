// The command as a user meets it: bad input gets one line and a sysexits status.
namespace Puppyvisor.Guests.Tests;

public class CommandLineTests
{
    [Fact]
    public void UnknownOption_IsAUsageError()
    {
        var r = Puppy.Run("run", Repo.Image("hello"), "--no-such-option");
        Assert.Equal(64, r.ExitCode);
        Assert.Contains("--no-such-option", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public void BadMemorySize_IsAUsageError()
    {
        var r = Puppy.Run("run", Repo.Image("hello"), "--memory", "12Q");
        Assert.Equal(64, r.ExitCode);
        Assert.Contains("--memory", r.Stderr);
    }

    [Fact]
    public void BadClock_IsAUsageError() =>
        Assert.Equal(64, Puppy.Run("run", Repo.Image("hello"), "--clock", "sundial").ExitCode);

    [Fact]
    public void MissingImage_ExitsNoInput()
    {
        var r = Puppy.Run("run", "no/such.elf");
        Assert.Equal(66, r.ExitCode);
        Assert.Single(r.Stderr.Trim().Split('\n'));
    }

    [Fact]
    public void NonElfImage_ExitsDataErrWithOneLine()
    {
        var r = Puppy.Run("run", "README.md");
        Assert.Equal(65, r.ExitCode);
        Assert.Contains("not an ELF file", r.Stderr);
        Assert.Single(r.Stderr.Trim().Split('\n'));
    }

    [Fact]
    public void InstructionLimit_StopsTheGuestWithItsOwnStatus()
    {
        var r = Puppy.Run("run", Repo.Image("hello"), "--clock", "virtual", "--max-insns", "100");
        Assert.Equal(75, r.ExitCode);
        Assert.Contains("instruction limit reached", r.Stdout);
    }

    [Fact]
    public void Disasm_ShowsSymbolsAndInstructions()
    {
        var r = Puppy.Run("disasm", Repo.Image("hello"), "kmain");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("<kmain>:", r.Stdout);
        Assert.Contains("call", r.Stdout);
    }

    [Fact]
    public void Fuzz_ReportsRateExceptionsAndFailures_AndSucceeds()
    {
        var r = Puppy.Run("fuzz", "--seed", "7", "--runs", "40");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("seeds 7..46: 40 runs", r.Stdout);
        Assert.Contains("M instructions/s", r.Stdout);
        Assert.Contains("exceptions by vector:", r.Stdout);
        Assert.Contains("#UD", r.Stdout);
        Assert.Contains("failures: 0", r.Stdout);
    }

    [Fact]
    public void Fuzz_SecondsAndInstructionsTogether_IsAUsageError()
    {
        var r = Puppy.Run("fuzz", "--seconds", "1", "--instructions", "1000");
        Assert.Equal(64, r.ExitCode);
        Assert.Single(r.Stderr.Trim().Split('\n'));
    }

    [Fact]
    public void Vectors_UndefinedFlags_TabulatesTheHardwareAgainstPuppyvisor()
    {
        var r = Puppy.Run("vectors", "--undefined-flags", "tests/vectors/muldiv.jsonl");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("| mul | SF | ", r.Stdout);
        Assert.Contains("| unchanged | all |", r.Stdout);
    }
}

