// MOVS, STOS, LODS, CMPS, SCAS: single, REP, REPE/REPNE, backwards with DF = 1, and
// with a 67h prefix (CX, SI, DI).
using static Iced.Intel.AssemblerRegisters;
using static Puppyvisor.Cpu.Cpu;

namespace Puppyvisor.Cpu.Tests;

public class StringsTests
{
    const uint Src = CpuTestHarness.DataBase, Dst = CpuTestHarness.DataBase + 0x100;

    static CpuTestHarness WithSource(params byte[] bytes)
    {
        var h = new CpuTestHarness { Esi = Src, Edi = Dst };
        h.WriteBytes(Src, bytes);
        return h;
    }

    [Fact]
    public void Movsb_CopiesOneByteAndStepsBothIndexes()
    {
        var h = WithSource(0x42);
        h.Run(a => a.movsb());
        Assert.Equal((byte)0x42, h.Read8(Dst));
        Assert.Equal((Src + 1, Dst + 1), (h.Esi, h.Edi));
    }

    [Fact]
    public void RepMovsd_CopiesEcxDwords()
    {
        var h = WithSource(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);
        h.Ecx = 3;
        h.Run(a => a.rep.movsd());
        Assert.Equal(h.ReadBytes(Src, 12), h.ReadBytes(Dst, 12));
        Assert.Equal(0u, h.Read32(Dst + 12));
        Assert.Equal((0u, Src + 12, Dst + 12), (h.Ecx, h.Esi, h.Edi));
    }

    [Fact]
    public void RepMovsw_WithDirectionFlagSet_CopiesBackwards()
    {
        var h = WithSource(1, 2, 3, 4, 5, 6);
        h.Esi = Src + 4;
        h.Edi = Dst + 4;
        h.Ecx = 3;
        h.Flags = 0x2 | DF;
        h.Run(a => a.rep.movsw());
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6 }, h.ReadBytes(Dst, 6));
        Assert.Equal((Src - 2, Dst - 2), (h.Esi, h.Edi));
    }

    [Fact]
    public void Rep_WithEcxZero_DoesNothing()
    {
        var h = WithSource(0x42);
        h.Ecx = 0;
        h.Run(a => a.rep.movsb());
        Assert.Equal((byte)0, h.Read8(Dst));
        Assert.Equal((Src, Dst), (h.Esi, h.Edi));
    }

    [Fact]
    public void RepStosb_FillsAndCountsDown_EvenPastOneChunk()
    {
        var h = new CpuTestHarness { Edi = Dst, Ecx = 10_000, Eax = 0xAB };
        h.Run(a => a.rep.stosb());
        Assert.All(h.ReadBytes(Dst, 10_000), b => Assert.Equal(0xAB, b));
        Assert.Equal((byte)0, h.Read8(Dst + 10_000));
        Assert.Equal((0u, Dst + 10_000), (h.Ecx, h.Edi));
    }

    [Fact]
    public void Stosd_WritesEax()
    {
        var h = new CpuTestHarness { Edi = Dst, Eax = 0x1122_3344 };
        h.Run(a => a.stosd());
        Assert.Equal(0x1122_3344u, h.Read32(Dst));
        Assert.Equal(Dst + 4, h.Edi);
    }

    [Fact]
    public void Lodsb_LoadsAlAndStepsEsi()
    {
        var h = WithSource(0x42, 0x43);
        h.Eax = 0xFFFF_FFFF;
        h.Flags = 0x2 | DF;
        h.Esi = Src + 1;
        h.Run(a => a.lodsb());
        Assert.Equal(0xFFFF_FF43u, h.Eax);
        Assert.Equal(Src, h.Esi);
    }

    [Fact]
    public void Cmpsb_SetsTheFlagsOfSourceMinusDestination()
    {
        var h = WithSource(1);
        h.WriteBytes(Dst, 2);
        h.Run(a => a.cmpsb());
        Assert.Equal(CF | SF | AF | PF, h.ArithFlags);  // 1 - 2 = FFh
    }

    [Fact]
    public void RepeCmpsb_StopsAtTheFirstDifference()
    {
        var h = WithSource((byte)'a', (byte)'b', (byte)'c', (byte)'d');
        h.WriteBytes(Dst, (byte)'a', (byte)'b', (byte)'X', (byte)'d');
        h.Ecx = 4;
        h.Run(a => a.repe.cmpsb());
        Assert.Equal(1u, h.Ecx);                        // three compared, the third differed
        Assert.Equal((Src + 3, Dst + 3), (h.Esi, h.Edi));
        Assert.False(h.Flag(ZF));
    }

    [Fact]
    public void RepeCmpsb_OverEqualStrings_RunsOutWithZfSet()
    {
        var h = WithSource(7, 7, 7);
        h.WriteBytes(Dst, 7, 7, 7);
        h.Ecx = 3;
        h.Run(a => a.repe.cmpsb());
        Assert.Equal(0u, h.Ecx);
        Assert.True(h.Flag(ZF));
    }

    [Fact]
    public void RepneScasb_FindsTheByte()
    {
        var h = new CpuTestHarness { Edi = Dst, Ecx = 100, Eax = 0 };
        h.WriteBytes(Dst, (byte)'h', (byte)'i', 0, (byte)'x');
        h.Run(a => a.repne.scasb());
        Assert.Equal(Dst + 3, h.Edi);                   // one past the NUL
        Assert.Equal(97u, h.Ecx);
        Assert.True(h.Flag(ZF));
    }

    [Fact]
    public void RepMovsb_With67Prefix_UsesCxSiDi()
    {
        var h = WithSource(1, 2, 3);
        h.Esi = 0xABCD_0000 | Src;
        h.Edi = 0x1234_0000 | Dst;
        h.Ecx = 0x5555_0003;
        h.LoadBytes(0x67, 0xF3, 0xA4);                 // REP MOVSB with 16-bit addressing
        h.Run();
        h.AssertNoFault();
        Assert.Equal(new byte[] { 1, 2, 3 }, h.ReadBytes(Dst, 3));
        Assert.Equal(0x5555_0000u, h.Ecx);
        Assert.Equal(0xABCD_0000 | (Src + 3), h.Esi);
        Assert.Equal(0x1234_0000 | (Dst + 3), h.Edi);
    }

    [Fact]
    public void RepMovsb_FaultingPartWay_StopsWithRegistersDescribingTheRest()
    {
        // Copying 8 bytes into a destination whose second page is read-only: the fault comes
        // at the fifth byte, with ECX, ESI and EDI ready to resume (SDM REP, "restartable").
        var h = WithSource(1, 2, 3, 4, 5, 6, 7, 8);
        h.EnablePaging();
        h.MakeReadOnly(Dst + 0x1000 - 0x100);
        h.Edi = Dst + 0xF00 - 4;                        // = the read-only page's start minus 4
        h.Ecx = 8;
        h.Run(a => a.rep.movsb());
        h.AssertFault(Vector.PageFault);
        Assert.Equal(CpuTestHarness.CodeBase, h.FaultEip);
        Assert.Equal(4u, h.Ecx);
        Assert.Equal((Src + 4, Dst + 0xF00), (h.Esi, h.Edi));
    }
}
