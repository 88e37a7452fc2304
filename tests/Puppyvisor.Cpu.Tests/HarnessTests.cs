// The harness itself: code runs to its final HLT; an exception lands in its stub.
using static Iced.Intel.AssemblerRegisters;

namespace Puppyvisor.Cpu.Tests;

public class HarnessTests
{
    [Fact]
    public void Run_ExecutesTheCodeAndStopsAtTheFinalHlt()
    {
        var h = new CpuTestHarness();
        h.Run(a => { a.mov(eax, 0x1234); a.mov(ebx, eax); });
        h.AssertNoFault();
        Assert.Equal(0x1234u, h.Ebx);
    }

    [Fact]
    public void Ud2_IsDeliveredThroughTheIdtWithTheFaultingEip()
    {
        var h = new CpuTestHarness();
        h.Run(a => { a.nop(); a.ud2(); });
        h.AssertFault(Vector.InvalidOpcode);
        Assert.Equal(CpuTestHarness.CodeBase + 1, h.FaultEip);
        Assert.Equal(CpuTestHarness.StackTop - 12, h.Esp);
    }

    [Fact]
    public void FaultAtRing3_SwitchesToTheTssStackAndPushesTheUserFrame()
    {
        var h = new CpuTestHarness();
        h.EnterRing3();
        h.Run(a => a.ud2());
        h.AssertFault(Vector.InvalidOpcode);
        Assert.Equal(CpuTestHarness.Ring0StackTop - 20, h.Esp);
        Assert.Equal(CpuTestHarness.CodeBase, h.Read32(h.Esp));            // EIP
        Assert.Equal((uint)CpuTestHarness.UserCode, h.Read32(h.Esp + 4));  // CS
        Assert.Equal(CpuTestHarness.StackTop, h.Read32(h.Esp + 12));       // ESP
        Assert.Equal((uint)CpuTestHarness.UserData, h.Read32(h.Esp + 16)); // SS
    }
}
