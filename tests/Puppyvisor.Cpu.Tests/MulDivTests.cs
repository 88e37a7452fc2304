// MUL, IMUL (one, two, three operands), DIV, IDIV: results, CF/OF, #DE.
//
// CF = OF are defined by the SDM. Undefined flags (tests/vectors/UNDEFINED-FLAGS.md, the
// hardware's values): multiplies leave SF, ZF, AF and PF as they were; a divide keeps CF and
// OF and sets SF = ZF = PF = 0, AF = 1.
using static Iced.Intel.AssemblerRegisters;
using static Puppyvisor.Cpu.Cpu;

namespace Puppyvisor.Cpu.Tests;

public class MulDivTests
{
    const uint Data = CpuTestHarness.DataBase;

    [Fact]
    public void Mul8_WithAHighHalf_SetsCarryAndOverflow()
    {
        var h = new CpuTestHarness { Eax = 0xAAAA_0080, Ebx = 0x02 };
        h.Run(a => a.mul(bl));
        Assert.Equal(0xAAAA_0100u, h.Eax);
        Assert.Equal(CF | OF, h.ArithFlags);            // SF ZF AF PF stay clear
    }

    [Fact]
    public void Mul8_ThatFitsInAl_ClearsCarryAndOverflow()
    {
        var h = new CpuTestHarness { Eax = 0x10, Ebx = 0x0F, Flags = 0x2 | CF | OF | ZF };
        h.Run(a => a.mul(bl));
        Assert.Equal(0x00F0u, h.Eax);
        Assert.Equal(ZF, h.ArithFlags);                 // ZF as it was, though AL = 0xF0
    }

    [Fact]
    public void Mul16_WritesDxAxAndKeepsTheUpperHalves()
    {
        var h = new CpuTestHarness { Eax = 0x1111_FFFF, Edx = 0x2222_0000, Ecx = 0xFFFF };
        h.Run(a => a.mul(cx));
        Assert.Equal(0x1111_0001u, h.Eax);
        Assert.Equal(0x2222_FFFEu, h.Edx);
        Assert.True(h.Flag(CF) && h.Flag(OF));
    }

    [Fact]
    public void Mul32_OfAMemoryOperand_WritesEdxEax()
    {
        var h = new CpuTestHarness { Eax = 0xFFFF_FFFF };
        h.Write32(Data, 0xFFFF_FFFF);
        h.Run(a => a.mul(__dword_ptr[Data]));
        Assert.Equal(0x0000_0001u, h.Eax);
        Assert.Equal(0xFFFF_FFFEu, h.Edx);
        Assert.True(h.Flag(CF) && h.Flag(OF));
    }

    [Fact]
    public void Imul8_ThatFitsAsSignedByte_ClearsCarryAndOverflow()
    {
        var h = new CpuTestHarness { Eax = 0xFE, Ebx = 3 };  // -2 * 3
        h.Run(a => a.imul(bl));
        Assert.Equal(0xFFFAu, h.Eax);
        Assert.Equal(0u, h.ArithFlags);                // SF ZF AF PF as they were (clear)
    }

    [Fact]
    public void Imul8_ThatOverflowsASignedByte_SetsCarryAndOverflow()
    {
        var h = new CpuTestHarness { Eax = 0x40, Ebx = 2 };  // 64 * 2 = 128
        h.Run(a => a.imul(bl));
        Assert.Equal(0x0080u, h.Eax);
        Assert.True(h.Flag(CF) && h.Flag(OF));
    }

    [Fact]
    public void Imul32_MostNegativeTimesMinusOne_IsPositiveInEdxEax()
    {
        var h = new CpuTestHarness { Eax = 0x8000_0000, Ecx = 0xFFFF_FFFF };
        h.Run(a => a.imul(ecx));
        Assert.Equal(0x8000_0000u, h.Eax);
        Assert.Equal(0u, h.Edx);
        Assert.True(h.Flag(CF) && h.Flag(OF));
    }

    [Fact]
    public void Imul16_OneOperand_SignExtendsIntoDx()
    {
        var h = new CpuTestHarness { Eax = 0xFFFF, Ebx = 0x0002, Edx = 0x1234_5678 };   // -1 * 2
        h.Run(a => a.imul(bx));
        Assert.Equal(0xFFFEu, h.Eax);
        Assert.Equal(0x1234_FFFFu, h.Edx);
        Assert.False(h.Flag(CF) || h.Flag(OF));
    }

    [Fact]
    public void Imul_TwoOperands_TruncatesAndFlagsTheLostHighHalf()
    {
        var h = new CpuTestHarness { Ecx = 0x1_0000, Ebx = 0x1_0000 };
        h.Run(a => a.imul(ecx, ebx));
        Assert.Equal(0u, h.Ecx);
        Assert.Equal(CF | OF, h.ArithFlags);
    }

    [Fact]
    public void Imul_TwoOperands_FromMemory()
    {
        var h = new CpuTestHarness { Ecx = 0xFFFF_FFF9 };        // -7
        h.Write32(Data, 6);
        h.Run(a => a.imul(ecx, __dword_ptr[Data]));
        Assert.Equal(unchecked((uint)-42), h.Ecx);
        Assert.False(h.Flag(CF) || h.Flag(OF));
    }

    [Fact]
    public void Imul_ThreeOperands_SignExtendsTheImm8()
    {
        var h = new CpuTestHarness { Ebx = 5 };
        h.Run(a => a.imul(eax, ebx, -3));
        Assert.Equal(unchecked((uint)-15), h.Eax);
        Assert.Equal(5u, h.Ebx);
        Assert.False(h.Flag(CF) || h.Flag(OF));
    }

    [Fact]
    public void Imul_ThreeOperands_WithImm32_FromMemory()
    {
        var h = new CpuTestHarness();
        h.Write32(Data, 0x1_0000);
        h.Run(a => a.imul(eax, __dword_ptr[Data], 0x1_0001));
        Assert.Equal(0x0001_0000u, h.Eax);             // 10000h * 10001h = 1_0001_0000h, truncated
        Assert.True(h.Flag(CF) && h.Flag(OF));
    }

    [Fact]
    public void Imul_ThreeOperands16_WithImm16_OverflowsAndKeepsTheUpperHalf()
    {
        var h = new CpuTestHarness { Eax = 0xABCD_1234, Ebx = 4 };
        h.Run(a => a.imul(ax, bx, 0x4000));
        Assert.Equal(0xABCD_0000u, h.Eax);
        Assert.True(h.Flag(CF) && h.Flag(OF));
    }

    [Fact]
    public void Div8_PutsQuotientInAlAndRemainderInAh()
    {
        var h = new CpuTestHarness { Eax = 0x0107, Ebx = 0x10 };     // 263 / 16
        h.Run(a => a.div(bl));
        Assert.Equal(0x0710u, h.Eax);
    }

    [Fact]
    public void Div16_DividesDxAx()
    {
        var h = new CpuTestHarness { Edx = 0x0001, Eax = 0x0000, Ecx = 3 };   // 65536 / 3
        h.Run(a => a.div(cx));
        Assert.Equal(0x5555u, h.Eax);
        Assert.Equal(0x0001u, h.Edx);
    }

    [Fact]
    public void Div32_DividesEdxEaxFromMemory()
    {
        var h = new CpuTestHarness { Edx = 1, Eax = 0x0000_0003 };
        h.Write32(Data, 2);
        h.Run(a => a.div(__dword_ptr[Data]));
        Assert.Equal(0x8000_0001u, h.Eax);
        Assert.Equal(1u, h.Edx);
    }

    [Fact]
    public void Div_KeepsCarryAndOverflow_ClearsSignZeroParity_SetsAuxiliary()
    {
        var h = new CpuTestHarness { Eax = 100, Ecx = 7, Flags = 0x2 | CF | ZF | OF | SF | PF };
        h.Run(a => a.div(ecx));
        Assert.Equal(CF | OF | AF, h.ArithFlags);
        var h2 = new CpuTestHarness { Eax = 100, Ecx = 7, Flags = 0x2 };
        h2.Run(a => a.idiv(ecx));
        Assert.Equal(AF, h2.ArithFlags);
    }

    [Fact]
    public void Div_ByZero_RaisesDivideErrorAndChangesNothing()
    {
        var h = new CpuTestHarness { Eax = 1234, Edx = 0, Ecx = 0, Flags = 0x2 | SF };
        h.Load(a => a.div(ecx));
        var before = h.Take();
        h.Run();
        h.AssertFault(Vector.DivideError);
        Assert.Equal(CpuTestHarness.CodeBase, h.FaultEip);
        h.AssertUnchanged(before);
    }

    [Fact]
    public void Div8_QuotientTooLarge_RaisesDivideError()
    {
        var h = new CpuTestHarness { Eax = 0x1000, Ebx = 0x10 };    // 4096 / 16 = 256
        h.Load(a => a.div(bl));
        var before = h.Take();
        h.Run();
        h.AssertFault(Vector.DivideError);
        h.AssertUnchanged(before);
    }

    [Fact]
    public void Div32_QuotientTooLarge_RaisesDivideError()
    {
        var h = new CpuTestHarness { Edx = 2, Eax = 0, Ecx = 2 };  // 2^33 / 2
        h.Run(a => a.div(ecx));
        h.AssertFault(Vector.DivideError);
        Assert.Equal(2u, h.Edx);
    }

    [Fact]
    public void Idiv8_TruncatesTowardZeroAndTheRemainderTakesTheDividendSign()
    {
        var h = new CpuTestHarness { Eax = 0xFFF9, Ebx = 2 };       // -7 / 2
        h.Run(a => a.idiv(bl));
        Assert.Equal(0xFFFDu, h.Eax);                   // AH = -1, AL = -3
    }

    [Fact]
    public void Idiv16_DividesDxAx()
    {
        var h = new CpuTestHarness { Edx = 0xFFFE, Eax = 0x7960, Ecx = 7 };   // -100000 / 7
        h.Run(a => a.idiv(cx));
        Assert.Equal(0xC833u, h.Eax);                   // -14285
        Assert.Equal(0xFFFBu, h.Edx);                   // -5
    }

    [Fact]
    public void Idiv8_QuotientOfMinus128_IsAllowed()
    {
        var h = new CpuTestHarness { Eax = 0x0100, Ebx = 0xFE };    // 256 / -2
        h.Run(a => a.idiv(bl));
        h.AssertNoFault();
        Assert.Equal(0x0080u, h.Eax);
    }

    [Fact]
    public void Idiv8_MostNegativeByMinusOne_RaisesDivideError()
    {
        var h = new CpuTestHarness { Eax = 0xFF80, Ebx = 0xFF };    // -128 / -1 = 128
        h.Load(a => a.idiv(bl));
        var before = h.Take();
        h.Run();
        h.AssertFault(Vector.DivideError);
        h.AssertUnchanged(before);
    }

    [Fact]
    public void Idiv32_MostNegativeByMinusOne_RaisesDivideError()
    {
        var h = new CpuTestHarness { Edx = 0xFFFF_FFFF, Eax = 0x8000_0000, Ecx = 0xFFFF_FFFF };
        h.Load(a => a.idiv(ecx));
        var before = h.Take();
        h.Run();
        h.AssertFault(Vector.DivideError);
        h.AssertUnchanged(before);
    }

    [Fact]
    public void Idiv32_MostNegative64BitDividendByMinusOne_RaisesDivideError()
    {
        var h = new CpuTestHarness { Edx = 0x8000_0000, Eax = 0, Ecx = 0xFFFF_FFFF };
        h.Run(a => a.idiv(ecx));
        h.AssertFault(Vector.DivideError);
    }

    [Fact]
    public void Idiv_ByZero_RaisesDivideError()
    {
        var h = new CpuTestHarness { Eax = 5 };
        h.Write16(Data, 0);
        h.Run(a => a.idiv(__word_ptr[Data]));
        h.AssertFault(Vector.DivideError);
        Assert.Equal(5u, h.Eax);
    }
}
