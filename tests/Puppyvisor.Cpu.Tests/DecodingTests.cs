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
}
