// The monitor's report when a guest dies of a triple fault: the exception chain with
// each page fault's error code in words and CR2, the registers, and the instruction.
using Puppyvisor.Monitor.Diagnostics;
using static Iced.Intel.AssemblerRegisters;
using static Puppyvisor.Monitor.Tests.TestGuest;

namespace Puppyvisor.Monitor.Tests;

public class CrashReportTests
{
    [Theory]
    [InlineData(0x0u, "not-present read from supervisor")]
    [InlineData(0x2u, "not-present write from supervisor")]
    [InlineData(0x4u, "not-present read from user")]
    [InlineData(0x6u, "not-present write from user")]
    [InlineData(0x5u, "protection-violation read from user")]
    [InlineData(0x7u, "protection-violation write from user")]
    [InlineData(0x3u, "protection-violation write from supervisor")]
    [InlineData(0x9u, "protection-violation read from supervisor, reserved bit set")]
    [InlineData(0x14u, "not-present read from user, instruction fetch")]
    public void PageFaultErrorText_SaysWhatEachBitMeans(uint code, string text) =>
        Assert.Equal(text, CrashReport.PageFaultErrorText(code));

    /// <summary>
    /// Paging on with one 4 MiB identity page, then a PUSH with ESP in the unmapped 4-8 MiB:
    /// #PF; delivering it pushes on the same stack, #PF; #DF; #PF again: a triple fault.
    /// </summary>
    static Guest TripleFaultOnTheStack()
    {
        var m = Run(Build(a =>
        {
            a.mov(__dword_ptr[0x4000], 0x0000_0087);              // PDE 0: 4 MiB at 0, present, writable, user, PS
            a.mov(eax, cr4);
            a.or(eax, 0x10);                                      // CR4.PSE
            a.mov(cr4, eax);
            a.mov(eax, 0x4000);
            a.mov(cr3, eax);
            a.mov(eax, cr0);
            a.or(eax, unchecked((int)0x8000_0000));               // CR0.PG
            a.mov(cr0, eax);
            a.mov(esp, 0x80_0000);
            a.mov(eax, 0x1234_5678);
            a.push(eax);
            Shutdown(a, 1);
        }));
        return m.Guests[0];
    }

    [Fact]
    public void TripleFault_StopsTheGuestWithExitCode70()
    {
        Guest g = TripleFaultOnTheStack();
        Assert.Equal(StopReason.TripleFault, g.StopReason);
        Assert.Equal(70, g.ExitStatus);
    }

    [Fact]
    public void TripleFaultReport_ShowsTheChain_AndThePageFaultInWords_WithCr2()
    {
        string report = TripleFaultOnTheStack().StopMessage!;
        Assert.StartsWith("triple fault: #PF(0x2) -> #PF(0x2) -> #DF(0x0) -> #PF(0x2)\n", report);
        Assert.Contains("  #PF(0x2): not-present write from supervisor, CR2=007ffffc\n", report);
    }

    [Fact]
    public void TripleFaultReport_ShowsTheRegisters_AndDisassemblesTheFaultingInstruction()
    {
        string report = TripleFaultOnTheStack().StopMessage!;
        Assert.Contains("EAX=12345678", report);
        Assert.Contains("ESP=00800000", report);                  // the PUSH never happened
        Assert.Contains("CR2=007ffffc", report);
        Assert.Matches(@"0x001[0-9a-f]{5}: 50  push eax$", report);
    }
}
