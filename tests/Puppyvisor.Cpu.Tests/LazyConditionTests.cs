// Condition() answers from the operands after CMP/SUB and the logic group; it must agree
// with the flags themselves (which the hardware vectors check) for every condition.
using Puppyvisor.Cpu.Memory;

namespace Puppyvisor.Cpu.Tests;

public class LazyConditionTests
{
    static readonly uint[] Edges = [0, 1, 2, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x1234_5678];

    static IEnumerable<(uint A, uint B)> Operands()
    {
        var rng = new Random(7);
        foreach (uint a in Edges) foreach (uint b in Edges) yield return (a, b);
        for (int i = 0; i < 2000; i++) yield return ((uint)rng.NextInt64(0, 1L << 32), (uint)rng.NextInt64(0, 1L << 32));
    }

    static void AssertAgrees(Cpu cpu)
    {
        bool[] lazy = Enumerable.Range(0, 16).Select(cpu.Condition).ToArray();
        cpu.MaterializeFlags();
        bool[] materialised = Enumerable.Range(0, 16).Select(cpu.Condition).ToArray();
        Assert.Equal(materialised, lazy);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void AfterCmp_EveryConditionAgreesWithTheFlags(int size)
    {
        var cpu = new Cpu(new PhysicalMemory(1 << 20), NullCpuHost.Instance);
        uint mask = (uint)((1UL << (8 * size)) - 1);
        foreach (var (a, b) in Operands())
        {
            uint x = a & mask, y = b & mask;
            cpu.SetLazy(FlagOp.Sub, size, x, y, x - y);
            AssertAgrees(cpu);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void AfterLogic_EveryConditionAgreesWithTheFlags(int size)
    {
        var cpu = new Cpu(new PhysicalMemory(1 << 20), NullCpuHost.Instance);
        uint mask = (uint)((1UL << (8 * size)) - 1);
        foreach (var (a, b) in Operands())
        {
            cpu.SetLazy(FlagOp.Logic, size, 0, 0, (a & b) & mask);
            AssertAgrees(cpu);
        }
    }

    [Theory]
    [InlineData((int)FlagOp.Add, 4)]
    [InlineData((int)FlagOp.Add, 1)]
    [InlineData((int)FlagOp.Inc, 4)]
    [InlineData((int)FlagOp.Dec, 4)]
    [InlineData((int)FlagOp.Dec, 2)]
    [InlineData((int)FlagOp.Shl, 4)]
    [InlineData((int)FlagOp.Sar, 4)]
    public void AfterAnyOtherLazyOperation_EveryConditionAgreesWithTheFlags(int operation, int size)
    {
        var op = (FlagOp)operation;
        var cpu = new Cpu(new PhysicalMemory(1 << 20), NullCpuHost.Instance);
        uint mask = (uint)((1UL << (8 * size)) - 1);
        foreach (var (a, b) in Operands())
        {
            uint x = a & mask, count = (b & 31) | 1;
            uint result = op switch
            {
                FlagOp.Add => x + (b & mask),
                FlagOp.Inc => x + 1,
                FlagOp.Dec => x - 1,
                FlagOp.Shl => x << (int)count,
                _ => (uint)((int)x >> (int)count),
            };
            uint src = op is FlagOp.Shl or FlagOp.Sar ? count : op == FlagOp.Add ? b & mask : 1;
            cpu.SetLazy(op, size, x, src, result);
            AssertAgrees(cpu);
        }
    }

    [Theory]
    [InlineData((int)FlagOp.Add, 4)]
    [InlineData((int)FlagOp.Sub, 1)]
    [InlineData((int)FlagOp.Logic, 2)]
    [InlineData((int)FlagOp.Inc, 4)]
    [InlineData((int)FlagOp.Dec, 1)]
    [InlineData((int)FlagOp.Shl, 4)]
    [InlineData((int)FlagOp.Shr, 4)]
    public void SzapFlags_AreTheMaterialisedSfZfAfPf(int operation, int size)
    {
        // Rotates, MUL and IMUL keep these four and replace CF and OF.
        var cpu = new Cpu(new PhysicalMemory(1 << 20), NullCpuHost.Instance);
        uint mask = (uint)((1UL << (8 * size)) - 1);
        foreach (var (a, b) in Operands())
        {
            uint x = a & mask, y = b & mask;
            cpu.SetLazy((FlagOp)operation, size, x, y, (x + y) ^ (b >> 3));
            uint szap = cpu.SzapFlags();
            cpu.MaterializeFlags();
            Assert.Equal(cpu.Eflags & (Cpu.SF | Cpu.ZF | Cpu.AF | Cpu.PF), szap);
        }
    }
}
