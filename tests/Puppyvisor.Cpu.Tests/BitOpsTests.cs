// BT, BTS, BTR, BTC (register and imm8 offsets, bit strings in memory), BSF, BSR.
//
// Puppyvisor's choices for undefined flags: BT* change only CF; BSF/BSR change only ZF
// (and leave the destination unchanged when the source is 0, as Intel parts do).
using static Iced.Intel.AssemblerRegisters;
using static Puppyvisor.Cpu.Cpu;

namespace Puppyvisor.Cpu.Tests;

public class BitOpsTests
{
    const uint Data = CpuTestHarness.DataBase;

    [Fact]
    public void Bt_CopiesTheSelectedBitToCarry()
    {
        var h = new CpuTestHarness { Eax = 0x10 };
        h.Run(a => { a.bt(eax, 4); a.adc(bl, 0); a.bt(eax, 3); a.adc(bh, 0); });
        Assert.Equal(0x0001u, h.Ebx);                   // BL = 1 (bit 4), BH = 0 (bit 3)
        Assert.Equal(0x10u, h.Eax);
    }

    [Fact]
    public void Bt_RegisterOffsetIntoARegister_IsTakenModuloTheWidth()
    {
        var h = new CpuTestHarness { Eax = 0x10, Ecx = 36 };
        h.Run(a => a.bt(eax, ecx));
        Assert.True(h.Flag(CF));
    }

    [Fact]
    public void Bt_Imm8IntoMemory_IsMaskedToTheOperandSize()
    {
        var h = new CpuTestHarness();
        h.Write32(Data, 0x10);
        h.Write32(Data + 4, 0);
        h.Run(a => a.bt(__dword_ptr[Data], 36));
        Assert.True(h.Flag(CF));                        // bit 4 of the same dword
    }

    [Fact]
    public void Bt16_Imm8IntoMemory_IsMaskedTo4Bits()
    {
        var h = new CpuTestHarness();
        h.Write16(Data, 0x0002);
        h.Run(a => a.bt(__word_ptr[Data], 17));
        Assert.True(h.Flag(CF));
    }

    [Fact]
    public void Bt_LeavesEveryFlagButCarryAlone()
    {
        uint others = 0x2 | ZF | SF | OF | PF | AF;
        var h = new CpuTestHarness { Eax = 1, Flags = others };
        h.Run(a => a.bt(eax, 0));
        Assert.Equal(others | CF, h.Flags);
    }

    [Fact]
    public void Bts_SetsTheBitAndReportsItsOldValue()
    {
        var h = new CpuTestHarness { Eax = 0x0F };
        h.Run(a => a.bts(eax, 8));
        Assert.Equal(0x10Fu, h.Eax);
        Assert.False(h.Flag(CF));
    }

    [Fact]
    public void Btr_ClearsTheBitAndReportsItsOldValue()
    {
        var h = new CpuTestHarness();
        h.Write32(Data, 0xFFFF_FFFF);
        h.Run(a => a.btr(__dword_ptr[Data], 31));
        Assert.Equal(0x7FFF_FFFFu, h.Read32(Data));
        Assert.True(h.Flag(CF));
    }

    [Fact]
    public void Btc16_ComplementsTheBitAndKeepsTheUpperHalf()
    {
        var h = new CpuTestHarness { Eax = 0xAAAA_0001, Ecx = 0 };
        h.Run(a => { a.btc(ax, cx); a.btc(ax, 15); });
        Assert.Equal(0xAAAA_8000u, h.Eax);
        Assert.False(h.Flag(CF));                       // bit 15 was 0
    }

    [Fact]
    public void Bt_RegisterOffsetIntoMemory_AddressesBeyondTheOperand()
    {
        var h = new CpuTestHarness { Ecx = 100 };       // dword 3, bit 4
        h.Write32(Data + 12, 0x10);
        h.Run(a => a.bt(__dword_ptr[Data], ecx));
        Assert.True(h.Flag(CF));
    }

    [Fact]
    public void Bts_NegativeRegisterOffsetIntoMemory_AddressesBelowTheOperand()
    {
        var h = new CpuTestHarness { Ecx = 0xFFFF_FFFF };  // -1: bit 31 of the dword below
        h.Run(a => a.bts(__dword_ptr[Data + 8], ecx));
        Assert.Equal(0x8000_0000u, h.Read32(Data + 4));
        Assert.Equal(0u, h.Read32(Data + 8));
        Assert.False(h.Flag(CF));
    }

    [Fact]
    public void Bts16_NegativeRegisterOffsetIntoMemory_UsesWordUnits()
    {
        var h = new CpuTestHarness { Ecx = 0xFFEF };    // CX = -17: word -2, bit 15
        h.Run(a => a.bts(__word_ptr[Data + 8], cx));
        Assert.Equal((ushort)0x8000, h.Read16(Data + 4));
        Assert.Equal(0u, h.Read32(Data + 8));
    }

    [Fact]
    public void Btr_OnAReadOnlyPage_RaisesPageFaultAndChangesNothing()
    {
        var h = new CpuTestHarness { Flags = 0x2 | CF };
        h.EnablePaging();
        h.MakeReadOnly(Data);
        h.Write32(Data, 0x0000_0001);
        h.Load(a => a.btr(__dword_ptr[Data], 0));
        var before = h.Take();
        h.Run();
        h.AssertFault(Vector.PageFault);
        h.AssertUnchanged(before);
    }

    [Fact]
    public void Bt_OnAReadOnlyPage_OnlyReads()
    {
        var h = new CpuTestHarness();
        h.EnablePaging();
        h.MakeReadOnly(Data);
        h.Write32(Data, 0x0000_0001);
        h.Run(a => a.bt(__dword_ptr[Data], 0));
        h.AssertNoFault();
        Assert.True(h.Flag(CF));
    }

    [Fact]
    public void Bsf_FindsTheLowestSetBit()
    {
        var h = new CpuTestHarness { Ebx = 0x0000_00F0, Flags = 0x2 | ZF };
        h.Run(a => a.bsf(eax, ebx));
        Assert.Equal(4u, h.Eax);
        Assert.False(h.Flag(ZF));
    }

    [Fact]
    public void Bsr_FindsTheHighestSetBit()
    {
        var h = new CpuTestHarness();
        h.Write32(Data, 0x0000_00F0);
        h.Run(a => a.bsr(eax, __dword_ptr[Data]));
        Assert.Equal(7u, h.Eax);
        Assert.False(h.Flag(ZF));
    }

    [Fact]
    public void Bsr16_WritesOnlyTheLowWord()
    {
        var h = new CpuTestHarness { Eax = 0xDEAD_BEEF, Ebx = 0x8001 };
        h.Run(a => a.bsr(ax, bx));
        Assert.Equal(0xDEAD_000Fu, h.Eax);
    }

    [Fact]
    public void Bsf_ZeroSource_SetsZfAndLeavesTheDestinationUnchanged()
    {
        var h = new CpuTestHarness { Eax = 0x1234_5678, Ebx = 0, Flags = 0x2 | CF };
        h.Run(a => a.bsf(eax, ebx));
        Assert.Equal(0x1234_5678u, h.Eax);
        Assert.Equal(0x2 | CF | ZF, h.Flags);
    }

    [Fact]
    public void Bsr_ZeroSource_SetsZfAndLeavesTheDestinationUnchanged()
    {
        var h = new CpuTestHarness { Eax = 0x1234_5678, Ebx = 0xFFFF_0000 };
        h.Run(a => a.bsr(ax, bx));
        Assert.Equal(0x1234_5678u, h.Eax);
        Assert.True(h.Flag(ZF));
    }
}
