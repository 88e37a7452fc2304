// Memory accesses as instructions see them: page-straddling reads and writes, faults.
using static Iced.Intel.AssemblerRegisters;
using static Puppyvisor.Cpu.Cpu;

namespace Puppyvisor.Cpu.Tests;

public class MemoryAccessTests
{
    const uint Data = CpuTestHarness.DataBase;

    [Fact]
    public void Write_StraddlingIntoAnUnmappedPage_FaultsWithThatPagesFirstByteInCr2()
    {
        var h = new CpuTestHarness { Eax = 0x1122_3344 };
        h.EnablePaging();
        h.UnmapPage(Data + 0x1000);
        h.Load(a => a.mov(__dword_ptr[Data + 0xFFE], eax));
        var before = h.Take(Data + 0xFC0);
        h.Run();
        h.AssertFault(Vector.PageFault);
        Assert.Equal(Data + 0x1000, h.Cpu.Cr2);
        Assert.Equal(PfWrite, h.ErrorCode);             // not present, write, supervisor
        h.AssertUnchanged(before);                      // not even the first two bytes
    }

    [Fact]
    public void Read_StraddlingIntoAnUnmappedPage_FaultsWithThatPagesFirstByteInCr2()
    {
        var h = new CpuTestHarness();
        h.EnablePaging();
        h.UnmapPage(Data + 0x1000);
        h.Run(a => a.mov(eax, __dword_ptr[Data + 0xFFD]));
        h.AssertFault(Vector.PageFault);
        Assert.Equal(Data + 0x1000, h.Cpu.Cr2);
        Assert.Equal(0u, h.ErrorCode);
    }

    [Fact]
    public void Write_StraddlingTwoMappedPages_WritesBoth()
    {
        var h = new CpuTestHarness { Eax = 0x1122_3344 };
        h.EnablePaging();
        h.Run(a => a.mov(__dword_ptr[Data + 0xFFE], eax));
        h.AssertNoFault();
        Assert.Equal(0x1122_3344u, h.Read32(Data + 0xFFE));
    }
}
