// The fuzzer (Cpu/Conformance/Fuzzer.cs) in the test suite: a million instructions, half random
// bytes and half random valid instructions, with no host exception, no hang and every
// single-stepped instruction's EIP where its decoding says. `puppyvisor fuzz` runs it longer.
using Puppyvisor.Cpu.Conformance;

namespace Puppyvisor.Cpu.Tests;

public class FuzzerTests
{
    static FuzzReport Fuzz(FuzzKind kind, long instructions, ulong seed) =>
        new Fuzzer().Run(new FuzzOptions
        {
            Seed = seed, Instructions = instructions, Kind = kind,
            OnStuck = f => Environment.FailFast($"the fuzzer's Run() hung:\n{f}"),
        });

    [Theory]
    [InlineData(FuzzKind.RandomBytes, 0x5EED_0001UL)]
    [InlineData(FuzzKind.ValidSequence, 0x5EED_0002UL)]
    public void HalfAMillionInstructionsOfEachKind_BreakNoInvariant(FuzzKind kind, ulong seed)
    {
        FuzzReport report = Fuzz(kind, 500_000, seed);
        Assert.True(report.Failures.Count == 0, report.Summary());
        Assert.True(report.Instructions >= 500_000);
        // The mix is what it says: paging and not, both rings, single steps, many kinds of exception.
        Assert.True(report.PagingRuns > 0 && report.PagingRuns < report.Runs);
        Assert.True(report.Ring3Runs > 0 && report.Ring3Runs < report.Runs);
        Assert.True(report.StepRuns > 0);
        foreach (Vector v in (ReadOnlySpan<Vector>)[Vector.InvalidOpcode, Vector.GeneralProtection, Vector.PageFault, Vector.DeviceNotAvailable])
            Assert.True(report.Exceptions[(int)v] > 0, $"no {VectorInfo.Mnemonic((int)v)} in {report.Summary()}");
    }

    [Fact]
    public void ASeed_NamesItsRunExactly()
    {
        // Run i of --seed S is run 0 of --seed S+i, with the same outcome: failures can be replayed.
        var all = new Fuzzer().Run(new FuzzOptions { Seed = 100, Runs = 20 });
        var parts = new FuzzReport();
        var fuzzer = new Fuzzer();
        for (ulong s = 100; s < 120; s++) fuzzer.RunOne(s, null, parts);
        Assert.Equal(all.Instructions, parts.Instructions);
        Assert.Equal(all.Exceptions, parts.Exceptions);
        Assert.Equal(all.Resumed, parts.Resumed);
        var again = new Fuzzer().Run(new FuzzOptions { Seed = 113, Runs = 1 });
        var one = new FuzzReport();
        new Fuzzer().RunOne(113, null, one);
        Assert.Equal(one.Instructions, again.Instructions);
    }

    [Fact]
    public void TheValidSequenceGenerator_CoversMostOfTheInstructionSet()
    {
        // Thousands of codes (integer, system, x87, SIMD) encode with our operands.
        Assert.True(new FuzzInstructionGenerator().CodeCount > 3000);
    }
}
