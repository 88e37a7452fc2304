// SHL/SAL, SHR, SAR, ROL, ROR, RCL, RCR, SHLD, SHRD.
//
// The matrix runs each operation on AL/AX/EAX by CL against a bit-at-a-time model of
// the SDM's pseudo-code (Vol. 2B, "SAL/SAR/SHL/SHR" and "RCL/RCR/ROL/ROR"), plus
// Puppyvisor's documented choices where the SDM says "undefined": OF for counts other
// than 1 (the count-1 rule on the last one-bit step; SHR: the original MSB), AF = 0
// after a shift, and an RCL/RCR whose count mod 9/17 is 0 changes nothing. The facts below spell out the
// classic cases with literal values.
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;
using static Puppyvisor.Cpu.Cpu;

namespace Puppyvisor.Cpu.Tests;

public class ShiftRotateTests
{
    // Group-2 opcode extensions (ModRM.reg): ROL 0, ROR 1, RCL 2, RCR 3, SHL 4, SHR 5, SAR 7.
    static readonly Dictionary<string, int> Extension = new()
    {
        ["rol"] = 0, ["ror"] = 1, ["rcl"] = 2, ["rcr"] = 3, ["shl"] = 4, ["shr"] = 5, ["sar"] = 7,
    };

    /// <summary>Flags before each matrix case: SF, PF, AF and OF set, ZF clear, CF as given.</summary>
    static uint InitialFlags(bool cf) => 0x2 | SF | PF | AF | OF | (cf ? CF : 0);

    public static IEnumerable<object[]> Matrix()
    {
        int[] counts = [0, 1, 7, 8, 15, 16, 31, 32, 33];
        var values = new Dictionary<int, uint[]>
        {
            [8] = [0x81, 0x5A], [16] = [0x8001, 0x5AA5], [32] = [0x8000_0001, 0x5AA5_0FF0],
        };
        foreach (string op in Extension.Keys)
            foreach (int bits in (int[])[8, 16, 32])
                foreach (uint value in values[bits])
                    foreach (int count in counts)
                        foreach (bool cf in op is "rcl" or "rcr" ? [false, true] : (bool[])[true])
                            yield return [op, bits, value, count, cf];
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public void ShiftOrRotate_ByCl_MatchesTheSdmPseudoCode(string op, int bits, uint value, int count, bool cf)
    {
        var h = new CpuTestHarness();
        h.Eax = 0xDEAD_0000 & ~Mask(bits) | value;
        h.Ecx = (uint)count;
        h.Flags = InitialFlags(cf);
        // D2 /r (8-bit), 66 D3 /r (16-bit), D3 /r (32-bit), ModRM = 11 ext 000 (AL/AX/EAX), count in CL.
        byte modrm = (byte)(0xC0 | (Extension[op] << 3));
        h.LoadBytes(bits switch { 8 => [0xD2, modrm], 16 => [0x66, 0xD3, modrm], _ => [0xD3, modrm] });
        h.Run();
        h.AssertNoFault();

        var (result, expectedFlags) = Reference(op, value, count, bits, InitialFlags(cf));
        Assert.Equal($"{result:X8}", $"{h.Eax & Mask(bits):X8}");
        Assert.Equal(0xDEAD_0000 & ~Mask(bits), h.Eax & ~Mask(bits));
        Assert.Equal(Describe(expectedFlags), Describe(h.ArithFlags));
    }

    static uint Mask(int bits) => bits == 32 ? 0xFFFF_FFFFu : (1u << bits) - 1;

    static string Describe(uint flags) =>
        string.Concat((flags & OF) != 0 ? "O" : "o", (flags & SF) != 0 ? "S" : "s", (flags & ZF) != 0 ? "Z" : "z",
            (flags & AF) != 0 ? "A" : "a", (flags & PF) != 0 ? "P" : "p", (flags & CF) != 0 ? "C" : "c");

    /// <summary>The SDM's loops, one bit per step; returns the result and the six arithmetic flags.</summary>
    static (uint Result, uint Flags) Reference(string op, uint dest, int rawCount, int bits, uint flagsIn)
    {
        uint mask = Mask(bits), msb = 1u << (bits - 1);
        int count = rawCount & 0x1F;
        uint arith = flagsIn & Cpu.ArithFlags;
        if (count == 0) return (dest, arith);
        bool cf = (flagsIn & CF) != 0, of;
        uint original = dest;
        bool isShift = op is "shl" or "shr" or "sar";
        switch (op)
        {
            case "shl":
                for (int i = 0; i < count; i++) { cf = (dest & msb) != 0; dest = (dest << 1) & mask; }
                of = ((dest & msb) != 0) ^ cf;
                break;
            case "shr":
                for (int i = 0; i < count; i++) { cf = (dest & 1) != 0; dest >>= 1; }
                of = (original & msb) != 0;
                break;
            case "sar":
                for (int i = 0; i < count; i++) { cf = (dest & 1) != 0; dest = (dest >> 1) | (dest & msb); }
                of = false;
                break;
            case "rol":
                for (int i = 0; i < count % bits; i++) dest = ((dest << 1) | (dest >> (bits - 1))) & mask;
                cf = (dest & 1) != 0;
                of = ((dest & msb) != 0) ^ cf;
                break;
            case "ror":
                for (int i = 0; i < count % bits; i++) dest = (dest >> 1) | ((dest & 1) != 0 ? msb : 0);
                cf = (dest & msb) != 0;
                of = cf ^ ((dest & (msb >> 1)) != 0);
                break;
            case "rcl":
            {
                int temp = bits == 32 ? count : count % (bits + 1);
                if (temp == 0) return (dest, arith);
                for (int i = 0; i < temp; i++)
                {
                    bool tempCf = (dest & msb) != 0;
                    dest = ((dest << 1) | (cf ? 1u : 0)) & mask;
                    cf = tempCf;
                }
                of = ((dest & msb) != 0) ^ cf;
                break;
            }
            default: // rcr
            {
                int temp = bits == 32 ? count : count % (bits + 1);
                if (temp == 0) return (dest, arith);
                for (int i = 0; i < temp; i++)
                {
                    bool tempCf = (dest & 1) != 0;
                    dest = (dest >> 1) | (cf ? msb : 0);
                    cf = tempCf;
                }
                of = ((dest & msb) != 0) ^ ((dest & (msb >> 1)) != 0);
                break;
            }
        }
        uint flags = isShift ? ZspOf(dest, bits) : arith & ~(CF | OF);
        return (dest, flags | (cf ? CF : 0) | (of ? OF : 0));
    }

    /// <summary>ZF, SF and PF of a result, written out by hand.</summary>
    static uint ZspOf(uint result, int bits)
    {
        uint f = 0;
        if ((result & Mask(bits)) == 0) f |= ZF;
        if ((result >> (bits - 1) & 1) != 0) f |= SF;
        int ones = 0;
        for (int i = 0; i < 8; i++) ones += (int)(result >> i) & 1;
        if (ones % 2 == 0) f |= PF;
        return f;
    }

    // --- The classic cases, with literal values ---------------------------------------

    static CpuTestHarness Run(uint eax, uint flags, Action<Assembler> code, uint ecx = 0)
    {
        var h = new CpuTestHarness { Eax = eax, Ecx = ecx, Flags = flags };
        h.Run(code);
        h.AssertNoFault();
        return h;
    }

    [Fact]
    public void Shl_By1_SetsOverflowWhenTheSignChanges()
    {
        var h = Run(0x40, 0x2, a => a.shl(al, 1));
        Assert.Equal(0x80u, h.Eax);
        Assert.Equal(OF | SF, h.ArithFlags);            // CF 0, OF 1, SF 1, PF(0x80) odd
    }

    [Fact]
    public void Shl_By1_ClearsOverflowWhenTheTopTwoBitsAgree()
    {
        var h = Run(0xC0, 0x2, a => a.shl(al, 1));
        Assert.Equal(0x80u, h.Eax);
        Assert.Equal(CF | SF, h.ArithFlags);
    }

    [Fact]
    public void Shr_By1_SetsOverflowToTheOriginalMsb()
    {
        var h = Run(0x81, 0x2, a => a.shr(al, 1));
        Assert.Equal(0x40u, h.Eax);
        Assert.Equal(CF | OF, h.ArithFlags);
    }

    [Fact]
    public void Sar_By1_KeepsTheSignAndClearsOverflow()
    {
        var h = Run(0x81, 0x2 | OF, a => a.sar(al, 1));
        Assert.Equal(0xC0u, h.Eax);
        Assert.Equal(CF | SF | PF, h.ArithFlags);
    }

    [Fact]
    public void Shl_ByCountZero_LeavesFlagsUnchanged()
    {
        uint flags = 0x2 | CF | PF | AF | ZF | SF | OF;
        var h = Run(0x1234_5678, flags, a => a.shl(eax, cl), ecx: 0);
        Assert.Equal(0x1234_5678u, h.Eax);
        Assert.Equal(flags, h.Flags);
    }

    [Fact]
    public void Shl_ByCount32_IsMaskedToZeroAndChangesNothing()
    {
        uint flags = 0x2 | CF | ZF;
        var h = Run(0x1234_5678, flags, a => a.shl(eax, cl), ecx: 32);
        Assert.Equal(0x1234_5678u, h.Eax);
        Assert.Equal(flags, h.Flags);
    }

    [Fact]
    public void Shl_ByImmediate33_ShiftsBy1()
    {
        var h = Run(0x8000_0001, 0x2, a => a.shl(eax, 33));
        Assert.Equal(0x2u, h.Eax);
        Assert.Equal(CF | OF, h.ArithFlags);            // CF = old MSB; OF = MSB(result) ^ CF
    }

    [Fact]
    public void Shl32_By31_MovesBit0ToTheTopAndCarriesBit1()
    {
        var h = Run(0x0000_0003, 0x2, a => a.shl(eax, 31));
        Assert.Equal(0x8000_0000u, h.Eax);
        Assert.Equal(CF | SF | PF, h.ArithFlags);       // OF = 1 ^ 1 = 0
    }

    [Fact]
    public void Shl8_By8_CarriesTheOldLsbAndLeavesZero()
    {
        var h = Run(0x01, 0x2, a => a.shl(al, 8));
        Assert.Equal(0u, h.Eax);
        Assert.Equal(CF | ZF | PF | OF, h.ArithFlags);  // OF = MSB(0) ^ CF = 1
    }

    [Fact]
    public void Shl8_By9_ShiftsEverythingOutAndClearsCarry()
    {
        var h = Run(0xFF, 0x2 | CF, a => a.shl(al, 9));
        Assert.Equal(0u, h.Eax);
        Assert.Equal(ZF | PF, h.ArithFlags);
    }

    [Fact]
    public void Shr16_By16_CarriesTheOldMsb()
    {
        var h = Run(0x8000, 0x2, a => a.shr(ax, 16));
        Assert.Equal(0u, h.Eax);
        Assert.Equal(CF | ZF | PF | OF, h.ArithFlags);  // OF = MSB of the original operand
    }

    [Fact]
    public void Sar8_By31_FillsWithTheSignAndCarriesIt()
    {
        var h = Run(0x80, 0x2, a => a.sar(al, 31));
        Assert.Equal(0xFFu, h.Eax);
        Assert.Equal(CF | SF | PF, h.ArithFlags);
    }

    [Fact]
    public void Sal_TheUndocumentedSlash6Encoding_ShiftsLeft()
    {
        var h = new CpuTestHarness { Eax = 0x4000_0000 };
        h.LoadBytes(0xD1, 0xF0);                       // D1 /6: SAL EAX, 1
        h.Run();
        h.AssertNoFault();
        Assert.Equal(0x8000_0000u, h.Eax);
        Assert.Equal(OF | SF | PF, h.ArithFlags);
    }

    [Fact]
    public void Rol8_By8_KeepsTheValueButSetsCarryFromTheLsb()
    {
        var h = Run(0x01, 0x2, a => a.rol(al, 8));
        Assert.Equal(0x01u, h.Eax);
        Assert.Equal(CF | OF, h.ArithFlags);            // CF = LSB; OF = MSB ^ CF
    }

    [Fact]
    public void Ror32_By4_RotatesLowNibbleToTheTop()
    {
        var h = Run(0x1234_5678, 0x2, a => a.ror(eax, 4));
        Assert.Equal(0x8123_4567u, h.Eax);
        Assert.Equal(CF | OF, h.ArithFlags);            // CF = MSB = 1, OF = bit31 ^ bit30 = 1 ^ 0
    }

    [Fact]
    public void Rotates_LeaveSignZeroParityAndAuxiliaryAlone()
    {
        uint others = SF | ZF | PF | AF;
        var h = Run(0x8000_0000, 0x2 | others, a => { a.rol(eax, 1); a.ror(eax, 3); a.rcl(eax, 2); a.rcr(eax, 5); });
        Assert.Equal(others, h.ArithFlags & others);
    }

    [Fact]
    public void Rcl8_By9_RotatesByCountMod9_WhichChangesNothing()
    {
        uint flags = 0x2 | CF | ZF;
        var h = Run(0x55, flags, a => a.rcl(al, 9));
        Assert.Equal(0x55u, h.Eax);
        Assert.Equal(flags, h.Flags);
    }

    [Fact]
    public void Rcl8_By10_IsRclBy1()
    {
        var h = Run(0x80, 0x2 | CF, a => a.rcl(al, 10));
        Assert.Equal(0x01u, h.Eax);                     // old CF enters bit 0, bit 7 goes to CF
        Assert.Equal(CF | OF, h.ArithFlags & (CF | OF)); // OF = MSB(0x01) ^ CF = 1
    }

    [Fact]
    public void Rcr16_By17_RotatesByCountMod17_WhichChangesNothing()
    {
        uint flags = 0x2 | CF;
        var h = Run(0x1234, flags, a => a.rcr(ax, 17));
        Assert.Equal(0x1234u, h.Eax);
        Assert.Equal(flags, h.Flags);
    }

    [Fact]
    public void Rcr16_By18_IsRcrBy1()
    {
        var h = Run(0x0001, 0x2 | CF, a => a.rcr(ax, 18));
        Assert.Equal(0x8000u, h.Eax);                   // old CF enters bit 15, bit 0 goes to CF
        Assert.Equal(CF | OF, h.ArithFlags & (CF | OF)); // OF = MSB(0x8000) ^ bit 14 = 1
    }

    [Fact]
    public void Rcl32_By31_HasNoModulo()
    {
        var h = Run(0x0000_0003, 0x2, a => a.rcl(eax, 31));
        // A 33-bit rotate left by 31 is a rotate right by 2: bit 0 lands in bit 31, bit 1 in CF.
        Assert.Equal(0x8000_0000u, h.Eax);
        Assert.True(h.Flag(CF));
    }

    [Fact]
    public void Shift_OfAMemoryOperand_ReadsAndWritesMemory()
    {
        var h = new CpuTestHarness { Ecx = 4 };
        h.Write32(CpuTestHarness.DataBase, 0x8765_4321);
        h.Write16(CpuTestHarness.DataBase + 4, 0x00F1);
        h.Write8(CpuTestHarness.DataBase + 6, 0x81);
        h.Run(a =>
        {
            a.shl(__dword_ptr[CpuTestHarness.DataBase], 4);
            a.ror(__word_ptr[CpuTestHarness.DataBase + 4], cl);
            a.sar(__byte_ptr[CpuTestHarness.DataBase + 6], 1);
        });
        h.AssertNoFault();
        Assert.Equal(0x7654_3210u, h.Read32(CpuTestHarness.DataBase));
        Assert.Equal((ushort)0x100F, h.Read16(CpuTestHarness.DataBase + 4));
        Assert.Equal((byte)0xC0, h.Read8(CpuTestHarness.DataBase + 6));
        Assert.True(h.Flag(CF));                        // from the SAR: bit 0 of 0x81
    }

    [Fact]
    public void Shift_OfAReadOnlyPage_RaisesPageFaultAndChangesNothing()
    {
        var h = new CpuTestHarness();
        h.EnablePaging();
        h.MakeReadOnly(CpuTestHarness.DataBase);
        h.Write32(CpuTestHarness.DataBase, 0x1234_5678);
        h.Flags = 0x2 | ZF;
        h.Load(a => a.shl(__dword_ptr[CpuTestHarness.DataBase], 1));
        var before = h.Take();
        h.Run();
        h.AssertFault(Vector.PageFault);
        Assert.Equal(PfPresent | PfWrite, h.ErrorCode);
        h.AssertUnchanged(before);
    }

    [Fact]
    public void Shld32_ByImmediate_FillsFromTheTopOfTheSource()
    {
        var h = new CpuTestHarness { Eax = 0x1234_5678, Ebx = 0x9ABC_DEF0 };
        h.Run(a => a.shld(eax, ebx, 4));
        Assert.Equal(0x2345_6789u, h.Eax);
        Assert.Equal(0x9ABC_DEF0u, h.Ebx);
        Assert.Equal(CF | OF, h.ArithFlags);            // CF = bit 28 of EAX; OF = MSB ^ CF; 0x89 has odd parity
    }

    [Fact]
    public void Shrd32_ByCl_FillsFromTheBottomOfTheSource()
    {
        var h = new CpuTestHarness { Eax = 0x1234_5678, Ebx = 0x9ABC_DEF1, Ecx = 4 };
        h.Run(a => a.shrd(eax, ebx, cl));
        Assert.Equal(0x1123_4567u, h.Eax);
        Assert.Equal(CF, h.ArithFlags);                 // CF = bit 3 of EAX; 0x67 has odd parity
    }

    [Fact]
    public void Shrd32_ByMoreThan1_SetsOverflowFromTheTopTwoResultBits()
    {
        // OF is undefined for counts above 1; Puppyvisor applies the count-1 rule to the last step.
        var h = new CpuTestHarness { Eax = 0, Ebx = 1 };
        h.Run(a => a.shrd(eax, ebx, 2));
        Assert.Equal(0x4000_0000u, h.Eax);
        Assert.Equal(OF | PF, h.ArithFlags);
    }

    [Fact]
    public void Shld16_By1_SetsOverflowOnASignChange()
    {
        var h = new CpuTestHarness { Eax = 0x4000, Ebx = 0x8000 };
        h.Run(a => a.shld(ax, bx, 1));
        Assert.Equal(0x8001u, h.Eax);
        Assert.Equal(OF | SF, h.ArithFlags);
    }

    [Fact]
    public void Shrd16_ByCountZero_ChangesNothing()
    {
        uint flags = 0x2 | CF | OF;
        var h = new CpuTestHarness { Eax = 0x1234, Ebx = 0xFFFF, Ecx = 0x20, Flags = flags };
        h.Run(a => a.shrd(ax, bx, cl));
        Assert.Equal(0x1234u, h.Eax);
        Assert.Equal(flags, h.Flags);
    }

    [Fact]
    public void Shld16_ByMoreThan16_ShiftsDestSourceDestAsP6Does()
    {
        // Undefined in the SDM; Puppyvisor shifts the 48-bit dest:src:dest (P6 behaviour).
        var h = new CpuTestHarness { Eax = 0x1234, Ebx = 0x5678 };
        h.Run(a => a.shld(ax, bx, 20));
        Assert.Equal(0x6781u, h.Eax);                   // bits 27..12 of 0x1234_5678_1234
        Assert.True(h.Flag(CF));                        // bit 28 of it
    }

    [Fact]
    public void Shrd16_ByMoreThan16_ShiftsDestSourceDestAsP6Does()
    {
        var h = new CpuTestHarness { Eax = 0x1235, Ebx = 0x5678 };
        h.Run(a => a.shrd(ax, bx, 17));
        Assert.Equal(0xAB3Cu, h.Eax);                   // bits 32..17 of 0x1235_5678_1235
        Assert.False(h.Flag(CF));                       // bit 16: bit 0 of BX
    }

    [Fact]
    public void Shld_IntoMemory_WritesTheResult()
    {
        var h = new CpuTestHarness { Ebx = 0xF000_0000 };
        h.Write32(CpuTestHarness.DataBase, 0x0000_0001);
        h.Run(a => a.shld(__dword_ptr[CpuTestHarness.DataBase], ebx, 4));
        Assert.Equal(0x0000_001Fu, h.Read32(CpuTestHarness.DataBase));
    }
}
