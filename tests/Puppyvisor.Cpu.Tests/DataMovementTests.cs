// MOV, MOVZX, MOVSX, LEA (32- and 16-bit addressing), XCHG, BSWAP, XLAT, CBW/CWDE/CWD/CDQ,
// LAHF/SAHF.
using static Iced.Intel.AssemblerRegisters;
using static Puppyvisor.Cpu.Cpu;

namespace Puppyvisor.Cpu.Tests;

public class DataMovementTests
{
    const uint Data = CpuTestHarness.DataBase;

    [Fact]
    public void Mov_BetweenRegistersAndMemory_AtEverySize()
    {
        var h = new CpuTestHarness { Eax = 0x1122_3344, Ebx = 0xAAAA_AAAA, Ecx = 0xBBBB_BBBB };
        h.Run(a =>
        {
            a.mov(__dword_ptr[Data], eax);
            a.mov(bx, __word_ptr[Data + 1]);            // 0x2233
            a.mov(cl, __byte_ptr[Data + 3]);            // 0x11
            a.mov(ch, al);                              // 0x44
            a.mov(__byte_ptr[Data + 8], 0x99);
        });
        Assert.Equal(0xAAAA_2233u, h.Ebx);
        Assert.Equal(0xBBBB_4411u, h.Ecx);
        Assert.Equal((byte)0x99, h.Read8(Data + 8));
    }

    [Fact]
    public void Mov_ThroughAMoffsOperand()
    {
        var h = new CpuTestHarness { Eax = 0xCAFE_F00D };
        h.LoadBytes(0xA3, 0x00, 0x80, 0x00, 0x00, 0x8A, 0x1D, 0x01, 0x80, 0x00, 0x00);  // MOV [8000h], EAX; MOV BL, [8001h]
        h.Run();
        Assert.Equal(0xCAFE_F00Du, h.Read32(Data));
        Assert.Equal(0xF0u, h.Ebx);
    }

    [Fact]
    public void Mov_DoesNotChangeFlags()
    {
        uint flags = 0x2 | CF | ZF | SF | OF | PF | AF;
        var h = new CpuTestHarness { Flags = flags };
        h.Run(a => { a.mov(eax, 0); a.mov(__dword_ptr[Data], eax); });
        Assert.Equal(flags, h.Flags);
    }

    [Fact]
    public void Movzx_ZeroExtends()
    {
        var h = new CpuTestHarness { Ebx = 0x0000_8080, Ecx = 0xFFFF_FFFF };
        h.Write16(Data, 0xFFFE);
        h.Run(a => { a.movzx(eax, bl); a.movzx(cx, bh); a.movzx(edx, __word_ptr[Data]); });
        Assert.Equal(0x80u, h.Eax);
        Assert.Equal(0xFFFF_0080u, h.Ecx);
        Assert.Equal(0xFFFEu, h.Edx);
    }

    [Fact]
    public void Movsx_SignExtends()
    {
        var h = new CpuTestHarness { Ebx = 0x0000_7F80, Ecx = 0xAAAA_AAAA };
        h.Write16(Data, 0x8001);
        h.Run(a => { a.movsx(eax, bl); a.movsx(cx, bl); a.movsx(edx, __word_ptr[Data]); a.movsx(esi, bh); });
        Assert.Equal(0xFFFF_FF80u, h.Eax);
        Assert.Equal(0xAAAA_FF80u, h.Ecx);
        Assert.Equal(0xFFFF_8001u, h.Edx);
        Assert.Equal(0x7Fu, h.Esi);
    }

    [Fact]
    public void Lea_ComputesBasePlusScaledIndexPlusDisplacement_WithoutTouchingMemoryOrFlags()
    {
        uint flags = 0x2 | CF;
        var h = new CpuTestHarness { Ebx = 0x1000, Ecx = 3, Flags = flags };
        h.Run(a => a.lea(eax, __[ebx + ecx * 4 - 0x10]));
        Assert.Equal(0x1000u + 12 - 0x10, h.Eax);
        Assert.Equal(flags, h.Flags);
    }

    [Fact]
    public void Lea_With16BitAddressing_WrapsAt64K()
    {
        var h = new CpuTestHarness { Ebx = 0x1234_FFFF, Esi = 0x0000_0002 };
        h.LoadBytes(0x67, 0x8D, 0x00);                 // LEA EAX, [BX+SI]
        h.Run();
        h.AssertNoFault();
        Assert.Equal(0x0001u, h.Eax);
    }

    [Fact]
    public void Lea_With16BitAddressingAndANegativeDisplacement()
    {
        var h = new CpuTestHarness { Ebp = 0xABCD_0001 };
        h.LoadBytes(0x67, 0x8D, 0x46, 0xFE);           // LEA EAX, [BP-2]
        h.Run();
        Assert.Equal(0xFFFFu, h.Eax);
    }

    [Fact]
    public void Lea16_WritesOnlyTheLowWord()
    {
        var h = new CpuTestHarness { Eax = 0xDEAD_BEEF, Ebx = 0x1_2345 };
        h.Run(a => a.lea(ax, __[ebx + 1]));
        Assert.Equal(0xDEAD_2346u, h.Eax);
    }

    [Fact]
    public void Mov_With16BitAddressing_UsesOnlyBx()
    {
        var h = new CpuTestHarness { Ebx = 0x1234_0000 | Data };
        h.Write32(Data, 0x5566_7788);
        h.LoadBytes(0x67, 0x8B, 0x07);                 // MOV EAX, [BX]
        h.Run();
        h.AssertNoFault();
        Assert.Equal(0x5566_7788u, h.Eax);
    }

    [Fact]
    public void Xchg_SwapsRegistersAndMemory()
    {
        var h = new CpuTestHarness { Eax = 1, Ebx = 2, Ecx = 0xAAAA_0003, Edx = 0xBBBB_0004 };
        h.Write32(Data, 5);
        h.Run(a => { a.xchg(eax, ebx); a.xchg(cx, dx); a.xchg(__dword_ptr[Data], eax); });
        Assert.Equal(5u, h.Eax);
        Assert.Equal(1u, h.Ebx);
        Assert.Equal(0xAAAA_0004u, h.Ecx);
        Assert.Equal(0xBBBB_0003u, h.Edx);
        Assert.Equal(2u, h.Read32(Data));
    }

    [Fact]
    public void Xchg_WithTheAccumulatorShortForm()
    {
        var h = new CpuTestHarness { Eax = 0x1111_2222, Esi = 0x3333_4444 };
        h.LoadBytes(0x96, 0x66, 0x96);                 // XCHG ESI, EAX; XCHG SI, AX
        h.Run();
        Assert.Equal(0x3333_2222u, h.Eax);
        Assert.Equal(0x1111_4444u, h.Esi);
    }

    [Fact]
    public void Cbw_Cwde_Cwd_Cdq_SignExtendTheAccumulator()
    {
        var h = new CpuTestHarness { Eax = 0xAAAA_0080, Edx = 0x1234_5678 };
        h.Run(a => a.cbw());
        Assert.Equal(0xAAAA_FF80u, h.Eax);
        h.Run(a => a.cwde());
        Assert.Equal(0xFFFF_FF80u, h.Eax);
        h.Run(a => a.cwd());
        Assert.Equal(0x1234_FFFFu, h.Edx);
        h.Run(a => a.cdq());
        Assert.Equal(0xFFFF_FFFFu, h.Edx);
        h.Eax = 0x7FFF_FFFF;
        h.Run(a => a.cdq());
        Assert.Equal(0u, h.Edx);
    }

    [Fact]
    public void Bswap_ReversesTheBytes()
    {
        var h = new CpuTestHarness { Eax = 0x1122_3344 };
        h.Run(a => a.bswap(eax));
        Assert.Equal(0x4433_2211u, h.Eax);
    }

    [Fact]
    public void Xlat_LooksUpAlInTheTableAtEbx()
    {
        var h = new CpuTestHarness { Ebx = Data, Eax = 0xFFFF_FF03 };
        h.WriteBytes(Data, 10, 11, 12, 13, 14);
        h.Run(a => a.xlatb());
        Assert.Equal(0xFFFF_FF0Du, h.Eax);
    }

    [Fact]
    public void Lahf_StoresSfZfAfPfCfInAh_WithBit1Set()
    {
        var h = new CpuTestHarness { Eax = 0, Flags = 0x2 | SF | ZF | AF | PF | CF | OF };
        h.Run(a => a.lahf());
        Assert.Equal(0xD7u, h.Eax >> 8);               // 1101 0111: SF ZF 0 AF 0 PF 1 CF
    }

    [Fact]
    public void Lahf_AfterArithmetic_SeesTheLazyFlags()
    {
        var h = new CpuTestHarness { Eax = 0x0F };
        h.Run(a => { a.add(al, 1); a.lahf(); });       // 10h: AF only (10h has one bit: PF clear)
        Assert.Equal(0x12u, h.Eax >> 8);
    }

    [Fact]
    public void Sahf_LoadsTheFiveFlagsAndLeavesOverflow()
    {
        var h = new CpuTestHarness { Eax = 0xFF00, Flags = 0x2 | OF };
        h.Run(a => a.sahf());
        Assert.Equal(0x2 | OF | SF | ZF | AF | PF | CF, h.Flags);
        h.Eax = 0x0000;
        h.Run(a => a.sahf());
        Assert.Equal(0x2 | OF, h.Flags);
    }
}
