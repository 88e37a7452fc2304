// Fetching and decoding: instructions across page boundaries, fetch faults, the TLB as the
// fetch sees it, prefixes in any order, the 15-byte limit. Tests marked "fuzzer" are
// regressions for what `puppyvisor fuzz` found (the seed is in the comment).
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Puppyvisor.Cpu.Tests;

public class DecodingTests
{
    /// <summary>Runs to a HLT, but kicks the CPU after two seconds so a hang fails instead of hanging.</summary>
    static void RunWithWatchdog(CpuTestHarness h)
    {
        using var watchdog = new Timer(_ => h.Cpu.Kick(), null, 2000, Timeout.Infinite);
        h.Run();
    }

    [Fact]
    public void StaleTlbEntryForTheCodePage_IsUsedByTheFetch_AndDoesNotHang()
    {
        // Fuzzer, seed 1167: code cleared its own page's PTE without INVLPG. The fetch of the next
        // block hit the TLB (present) while the decoder's own walk said not present, no fault was
        // raised, and Run looped forever. Hardware fetches through the stale TLB entry.
        var h = new CpuTestHarness();
        h.EnablePaging();
        uint pte = CpuTestHarness.PageTable + 4 * (CpuTestHarness.CodeBase >> 12);
        h.Load(a =>
        {
            var next = a.CreateLabel();
            a.mov(__dword_ptr[pte], 0);             // the code page is not present any more...
            a.jmp(next);                            // ...but its TLB entry is
            a.Label(ref next);
            a.mov(eax, 1);
        });
        RunWithWatchdog(h);
        h.AssertNoFault();
        Assert.Equal(1u, h.Eax);
    }

    // --- Fetch faults: CR2 is the byte that could not be fetched, the saved EIP the instruction --

    const uint SecondPage = 0x2000;

    [Fact]
    public void JumpIntoANotPresentPage_SavesTheTargetAsEip_AndReportsItInCr2()
    {
        // Fuzzer, seed 405: a fetch fault saved the EIP of the instruction before (here the JMP).
        var h = new CpuTestHarness();
        h.EnablePaging();
        h.UnmapPage(SecondPage);
        h.Run(a => a.jmp(SecondPage + 0x10));
        h.AssertFault(Vector.PageFault);
        Assert.Equal(SecondPage + 0x10, h.FaultEip);
        Assert.Equal(SecondPage + 0x10, h.Cpu.Cr2);
        Assert.Equal(0u, h.ErrorCode);                      // not present, read (a fetch), supervisor
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void InstructionCrossingIntoANotPresentPage_FaultsAtItsStart_WithCr2TheSecondPage(bool reachedByJump)
    {
        // MOV EAX, imm32 (5 bytes) at 0x1FFE: two bytes on the code page, three on the next.
        var h = new CpuTestHarness();
        h.EnablePaging();
        h.UnmapPage(SecondPage);
        h.Place(SecondPage - 4, a => { a.nop(); a.nop(); a.mov(eax, 0x1234_5678); });
        var before = h.Take();
        h.Run(a => a.jmp(reachedByJump ? SecondPage - 2 : SecondPage - 4));
        h.AssertFault(Vector.PageFault);
        Assert.Equal(SecondPage - 2, h.FaultEip);
        Assert.Equal(SecondPage, h.Cpu.Cr2);
        Assert.Equal(0u, h.ErrorCode);
        h.AssertUnchanged(before);
    }

    [Fact]
    public void InstructionCrossingIntoANotPresentPage_AtCpl3_HasTheUserBitInTheErrorCode()
    {
        var h = new CpuTestHarness();
        h.EnablePaging();
        h.UnmapPage(SecondPage);
        h.Place(SecondPage - 2, a => a.mov(eax, 0x1234_5678));
        h.EnterRing3();
        h.Run(a => a.jmp(SecondPage - 2));
        h.AssertFault(Vector.PageFault);
        Assert.Equal(SecondPage - 2, h.FaultEip);
        Assert.Equal(SecondPage, h.Cpu.Cr2);
        Assert.Equal(Cpu.PfUser, h.ErrorCode);
    }

    // --- Run always returns ------------------------------------------------------------------

    [Fact]
    public void AnExceptionStorm_DoesNotKeepRunFromReturning()
    {
        // Fuzzer, seeds 52720 and 82131: a handler that faults at its first instruction (here the
        // #UD handler is itself UD2) delivers exception after exception and retires nothing, on a
        // stack that never faults. Each delivery now counts against the budget, so Run returns.
        var h = new CpuTestHarness { Esp = 0xFFFF_FF00 };      // outside RAM: pushes are dropped, never fault
        h.WriteBytes(CpuTestHarness.StubBase + 4 * (uint)Vector.InvalidOpcode, 0x0F, 0x0B);
        h.Load(a => a.ud2());
        ulong before = h.Cpu.ExceptionCounts[(int)Vector.InvalidOpcode];
        using var watchdog = new Timer(_ => h.Cpu.Kick(), null, 2000, Timeout.Infinite);
        ExitReason exit = h.Step(1000);
        Assert.Equal(ExitReason.BudgetExhausted, exit);
        Assert.Equal(1000ul, h.Cpu.ExceptionCounts[(int)Vector.InvalidOpcode] - before);
        Assert.Equal(0ul, h.Cpu.InstructionsRetired);
    }
}
