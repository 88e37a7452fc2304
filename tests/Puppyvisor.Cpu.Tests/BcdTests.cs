// DAA, DAS, AAA, AAS, AAM, AAD: the SDM's worked examples and the classic ASCII cases.
//
// Undefined flags (tests/vectors/UNDEFINED-FLAGS.md, the hardware's values) are those of the
// addition or subtraction each adjust does; UndefinedFlagsTests pins them.
using static Iced.Intel.AssemblerRegisters;
using static Puppyvisor.Cpu.Cpu;

namespace Puppyvisor.Cpu.Tests;

public class BcdTests
{
    [Fact]
    public void Daa_After79Plus35_Gives114()
    {
        // SDM DAA example: ADD AL, BL (79h + 35h = AEh); DAA -> AL = 14h with CF = 1 (decimal 114).
        var h = new CpuTestHarness { Eax = 0x79, Ebx = 0x35 };
        h.Run(a => { a.add(al, bl); a.daa(); });
        Assert.Equal(0x14u, h.Eax);
        Assert.Equal(AF | PF | CF, h.ArithFlags);
    }

    [Fact]
    public void Daa_WithANibbleCarry_UsesAuxiliaryCarry()
    {
        var h = new CpuTestHarness { Eax = 0x09, Ebx = 0x09 };  // 09h + 09h = 12h with AF = 1
        h.Run(a => { a.add(al, bl); a.daa(); });
        Assert.Equal(0x18u, h.Eax);
        Assert.Equal(AF | PF, h.ArithFlags);
    }

    [Fact]
    public void Daa_With99Plus01_WrapsToZeroWithCarry()
    {
        var h = new CpuTestHarness { Eax = 0x99, Ebx = 0x01 };
        h.Run(a => { a.add(al, bl); a.daa(); });
        Assert.Equal(0x00u, h.Eax);
        Assert.Equal(CF | AF | ZF | PF, h.ArithFlags);
    }

    [Fact]
    public void Das_After35Minus47_Gives88WithBorrow()
    {
        // SDM DAS example: SUB AL, BL (35h - 47h = EEh); DAS -> AL = 88h, CF = 1 (35 - 47 = -12 -> 88).
        var h = new CpuTestHarness { Eax = 0x35, Ebx = 0x47 };
        h.Run(a => { a.sub(al, bl); a.das(); });
        Assert.Equal(0x88u, h.Eax);
        Assert.Equal(SF | AF | PF | CF, h.ArithFlags);
    }

    [Fact]
    public void Das_WithoutAdjustment_ClearsAuxiliaryAndCarry()
    {
        var h = new CpuTestHarness { Eax = 0x45, Ebx = 0x23 };
        h.Run(a => { a.sub(al, bl); a.das(); });
        Assert.Equal(0x22u, h.Eax);
        Assert.Equal(PF, h.ArithFlags);
    }

    [Fact]
    public void Aaa_AfterAsciiNinePlusThree_CarriesIntoAh()
    {
        var h = new CpuTestHarness { Eax = 0x39, Ebx = 0x33 };  // '9' + '3' = 6Ch
        h.Run(a => { a.add(al, bl); a.aaa(); });
        Assert.Equal(0x0102u, h.Eax);                   // unpacked 1, 2
        Assert.Equal(AF | CF | PF, h.ArithFlags);       // PF (undefined) of 6Ch + 106h = 172h: 72h has four ones
    }

    [Fact]
    public void Aaa_WithoutAdjustment_MasksAlAndClearsCarry()
    {
        var h = new CpuTestHarness { Eax = 0x0535, Flags = 0x2 | CF };
        h.Run(a => a.aaa());
        Assert.Equal(0x0505u, h.Eax);
        Assert.Equal(PF, h.ArithFlags);
    }

    [Fact]
    public void Aas_AfterTwelveMinusFive_BorrowsFromAh()
    {
        var h = new CpuTestHarness { Eax = 0x0102, Ebx = 0x05 };  // unpacked 12 - 5
        h.Run(a => { a.sub(al, bl); a.aas(); });
        Assert.Equal(0x0007u, h.Eax);
        Assert.Equal(AF | CF, h.ArithFlags);
    }

    [Fact]
    public void Aam_SplitsAlIntoDecimalDigits()
    {
        var h = new CpuTestHarness { Eax = 0xFF3F };            // 63
        h.Run(a => a.aam(10));
        Assert.Equal(0x0603u, h.Eax);
        Assert.Equal(PF, h.ArithFlags);
    }

    [Fact]
    public void Aam_WithBase16_SplitsNibbles()
    {
        var h = new CpuTestHarness { Eax = 0x3F };
        h.Run(a => a.aam(16));
        Assert.Equal(0x030Fu, h.Eax);
    }

    [Fact]
    public void Aam_ByZero_RaisesDivideErrorAndChangesNothing()
    {
        var h = new CpuTestHarness { Eax = 0x3F, Flags = 0x2 | CF };
        h.Load(a => a.aam(0));
        var before = h.Take();
        h.Run();
        h.AssertFault(Vector.DivideError);
        h.AssertUnchanged(before);
    }

    [Fact]
    public void Aad_CombinesAhAndAlIntoBinary()
    {
        var h = new CpuTestHarness { Eax = 0x0605 };
        h.Run(a => a.aad(10));
        Assert.Equal(0x0041u, h.Eax);                   // 65
        Assert.Equal(PF | AF, h.ArithFlags);            // AF (undefined): 05h + 3Ch carries out of bit 3
    }

    [Fact]
    public void Aad_WithBase16_CombinesNibbles_AndSetsSignFromAl()
    {
        var h = new CpuTestHarness { Eax = 0x0805 };
        h.Run(a => a.aad(16));
        Assert.Equal(0x0085u, h.Eax);
        Assert.Equal(SF, h.ArithFlags);                 // 85h: sign set, three ones
    }
}
