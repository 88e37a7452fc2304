// SETcc and CMOVcc: all sixteen conditions against every combination of CF, PF, ZF, SF
// and OF, with the conditions written out from the SDM's table (Vol. 1, Table B-1).
using static Iced.Intel.AssemblerRegisters;
using static Puppyvisor.Cpu.Cpu;

namespace Puppyvisor.Cpu.Tests;

public class ConditionalTests
{
    const uint Data = CpuTestHarness.DataBase;

    public static IEnumerable<object[]> ConditionCodes() => Enumerable.Range(0, 16).Select(cc => new object[] { cc });

    /// <summary>The SDM's definition of condition <paramref name="cc"/> (the opcode's low nibble).</summary>
    internal static bool Expected(int cc, uint flags)
    {
        bool cf = (flags & CF) != 0, zf = (flags & ZF) != 0, sf = (flags & SF) != 0, of = (flags & OF) != 0, pf = (flags & PF) != 0;
        return cc switch
        {
            0x0 => of, 0x1 => !of,                      // O, NO
            0x2 => cf, 0x3 => !cf,                      // B, AE
            0x4 => zf, 0x5 => !zf,                      // E, NE
            0x6 => cf || zf, 0x7 => !cf && !zf,         // BE, A
            0x8 => sf, 0x9 => !sf,                      // S, NS
            0xA => pf, 0xB => !pf,                      // P, NP
            0xC => sf != of, 0xD => sf == of,           // L, GE
            0xE => zf || sf != of, _ => !zf && sf == of, // LE, G
        };
    }

    /// <summary>Every combination of the five flags the conditions read.</summary>
    internal static IEnumerable<uint> FlagCombinations()
    {
        uint[] bits = [CF, PF, ZF, SF, OF];
        for (int m = 0; m < 32; m++)
        {
            uint f = 0x2;
            for (int i = 0; i < 5; i++) if ((m & (1 << i)) != 0) f |= bits[i];
            yield return f;
        }
    }

    [Theory]
    [MemberData(nameof(ConditionCodes))]
    public void Setcc_WritesOneExactlyWhenTheConditionHolds(int cc)
    {
        var h = new CpuTestHarness();
        h.LoadBytes(0x0F, (byte)(0x90 + cc), 0xC0);    // SETcc AL
        foreach (uint flags in FlagCombinations())
        {
            h.Cpu.Eip = CpuTestHarness.CodeBase;
            h.Eax = 0xAAAA_AA55;
            h.Flags = flags;
            h.Run();
            Assert.Equal(0xAAAA_AA00u | (Expected(cc, flags) ? 1u : 0u), h.Eax);
            Assert.Equal(flags, h.Flags);
        }
    }

    [Theory]
    [MemberData(nameof(ConditionCodes))]
    public void Cmovcc32_MovesExactlyWhenTheConditionHolds(int cc)
    {
        var h = new CpuTestHarness();
        h.LoadBytes(0x0F, (byte)(0x40 + cc), 0xC3);    // CMOVcc EAX, EBX
        foreach (uint flags in FlagCombinations())
        {
            h.Cpu.Eip = CpuTestHarness.CodeBase;
            h.Eax = 0x1111_1111;
            h.Ebx = 0x2222_2222;
            h.Flags = flags;
            h.Run();
            Assert.Equal(Expected(cc, flags) ? 0x2222_2222u : 0x1111_1111u, h.Eax);
            Assert.Equal(flags, h.Flags);
        }
    }

    [Fact]
    public void Setcc_IntoMemory_WritesOneByte()
    {
        var h = new CpuTestHarness { Eax = 1, Ebx = 2 };
        h.Write32(Data, 0xFFFF_FFFF);
        h.Run(a => { a.cmp(eax, ebx); a.setl(__byte_ptr[Data]); a.setg(__byte_ptr[Data + 1]); });
        Assert.Equal(0xFFFF_0001u, h.Read32(Data));
    }

    [Fact]
    public void Setcc_AfterCmp_DistinguishesSignedFromUnsigned()
    {
        var h = new CpuTestHarness { Eax = 0xFFFF_FFFF, Ebx = 1 };   // -1 vs 1
        h.Run(a => { a.cmp(eax, ebx); a.setl(cl); a.seta(ch); a.setb(dl); a.setge(dh); });
        Assert.Equal(0x0101u, h.Ecx & 0xFFFF);          // signed less, unsigned above
        Assert.Equal(0x0000u, h.Edx & 0xFFFF);
    }

    [Fact]
    public void Cmovcc16_WhenTrue_WritesOnlyTheLowWord()
    {
        var h = new CpuTestHarness { Eax = 0xAAAA_1111, Ebx = 0xBBBB_2222, Flags = 0x2 | ZF };
        h.Run(a => a.cmove(ax, bx));
        Assert.Equal(0xAAAA_2222u, h.Eax);
    }

    [Fact]
    public void Cmovcc32_WhenFalse_LeavesTheWholeRegister()
    {
        var h = new CpuTestHarness { Eax = 0xAAAA_1111 };
        h.Write32(Data, 0x1234_5678);
        h.Run(a => a.cmove(eax, __dword_ptr[Data]));
        Assert.Equal(0xAAAA_1111u, h.Eax);
    }

    [Fact]
    public void Cmovcc_WithAFalseCondition_StillReadsMemoryAndCanFault()
    {
        var h = new CpuTestHarness { Eax = 0x1111_1111 };
        h.EnablePaging();
        h.UnmapPage(Data);
        h.Load(a => a.cmove(eax, __dword_ptr[Data]));   // ZF = 0: the condition is false
        var before = h.Take(CpuTestHarness.DataBase - 64);
        h.Run();
        h.AssertFault(Vector.PageFault);
        Assert.Equal(Data, h.Cpu.Cr2);
        Assert.Equal(0u, h.ErrorCode);                  // not present, read, supervisor
        h.AssertUnchanged(before);
    }
}
