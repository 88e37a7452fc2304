// Undefined flags: one documented choice per instruction family (tests/vectors/UNDEFINED-FLAGS.md),
// the value the vectors' CPU (an AMD EPYC) left in every vector. The first test checks that against
// all the vectors and that the document's table is current; the others pin each family's choice with
// literal values, so a change shows up as a named family, not as a count.
using Iced.Intel;
using Puppyvisor.Cpu.Conformance;
using static Iced.Intel.AssemblerRegisters;
using static Puppyvisor.Cpu.Cpu;

namespace Puppyvisor.Cpu.Tests;

public class UndefinedFlagsTests
{
    static string VectorsDirectory()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Puppyvisor.sln"))) dir = Path.GetDirectoryName(dir);
        return Path.Combine(dir!, "tests", "vectors");
    }

    [Fact]
    public void EveryUndefinedFlagInTheVectors_IsWhatTheHardwareLeft_AndTheDocumentSaysSo()
    {
        string dir = VectorsDirectory();
        var vectors = Directory.GetFiles(dir, "*.jsonl").Order().SelectMany(TestVector.Load);
        List<UndefinedFlagFinding> findings = UndefinedFlags.Analyze(vectors, new VectorRunner());
        string table = UndefinedFlags.Table(findings);
        Assert.True(findings.All(f => f.PuppyvisorMatches), table);
        Assert.True(findings.Count > 50);
        string document = File.ReadAllText(Path.Combine(dir, "UNDEFINED-FLAGS.md"));
        Assert.True(document.Contains(table), "tests/vectors/UNDEFINED-FLAGS.md has an old table; regenerate it with " +
            "`puppyvisor vectors --undefined-flags tests/vectors/*.jsonl`:\n" + table);
    }

    static CpuTestHarness Run(uint flags, Action<Assembler> code, uint eax = 0, uint ebx = 0, uint ecx = 0, uint edx = 0)
    {
        var h = new CpuTestHarness { Eax = eax, Ebx = ebx, Ecx = ecx, Edx = edx, Flags = flags };
        h.Run(code);
        h.AssertNoFault();
        return h;
    }

    [Fact]
    public void Logic_ClearsAf()
    {
        foreach (Action<Assembler> op in (Action<Assembler>[])[a => a.and(eax, ebx), a => a.or(eax, ebx), a => a.xor(eax, ebx), a => a.test(eax, ebx)])
            Assert.False(Run(0x2 | AF, op, eax: 0x0F, ebx: 0x01).Flag(AF));
    }

    [Fact]
    public void Shifts_SetAf_SarAndShrClearOfAboveCount1_ShlKeepsTheCount1Rule()
    {
        Assert.True(Run(0x2, a => a.shl(eax, 2), eax: 1).Flag(AF));
        Assert.True(Run(0x2, a => a.sar(eax, 3), eax: 8).Flag(AF));
        Assert.False(Run(0x2 | OF, a => a.shr(eax, 2), eax: 0x8000_0000).Flag(OF));     // MSB was 1; count 2: 0
        Assert.False(Run(0x2 | OF, a => a.sar(eax, 2), eax: 0x8000_0000).Flag(OF));
        // SHL by 2 of 0x4000_0000: result 0, CF = 1 (bit 30 shifted out last): OF = MSB(0) XOR 1.
        var h = Run(0x2, a => a.shl(eax, 2), eax: 0x4000_0000);
        Assert.True(h.Flag(CF) && h.Flag(OF));
        // A zero count changes no flag, AF included.
        Assert.False(Run(0x2, a => a.shl(eax, cl), eax: 1, ecx: 0).Flag(AF));
    }

    [Fact]
    public void ShldShrd_SetAf_ShldOfIsMsbXorCf_ShrdOfIsMsbXorTheBitBelow()
    {
        // SHLD EAX, EBX, 4: 0x1234_5678 -> 0x2345_6789, CF = bit 28 = 1: OF = 0 ^ 1.
        var h = Run(0x2, a => a.shld(eax, ebx, 4), eax: 0x1234_5678, ebx: 0x9ABC_DEF0);
        Assert.True(h.Flag(AF) && h.Flag(CF) && h.Flag(OF));
        // A 16-bit SHLD by exactly 16 moves the source in; OF = CF (bit 0 of the old AX).
        h = Run(0x2, a => a.shld(ax, bx, 16), eax: 0xC8B5, ebx: 0xDB12);
        Assert.Equal(0xDB12u, h.Eax & 0xFFFF);
        Assert.True(h.Flag(CF) && h.Flag(OF));
        h = Run(0x2, a => a.shld(ax, bx, 16), eax: 0xED10, ebx: 0xC05C);
        Assert.False(h.Flag(CF) || h.Flag(OF));
        // SHRD EAX, EBX, 4: 0x1234_5678 -> 0x1123_4567 (bits 31, 30 = 0, 0): OF = 0.
        h = Run(0x2 | OF, a => a.shrd(eax, ebx, 4), eax: 0x1234_5678, ebx: 0x9ABC_DEF1);
        Assert.True(h.Flag(AF) && !h.Flag(OF));
        // ... and 0x8000_0000 SHRD 2 with EBX = 1: 0x6000_0000 (bits 31, 30 = 0, 1): OF = 1.
        Assert.True(Run(0x2, a => a.shrd(eax, ebx, 2), eax: 0x8000_0000, ebx: 1).Flag(OF));
    }

    [Fact]
    public void Rotates_OfAboveCount1_RolRclMsbXorCf_RorRcrMsbXorTheBitBelow()
    {
        // ROL AL, 3: 0x21 -> 0x09; CF = 1; OF = 0 ^ 1.
        Assert.True(Run(0x2, a => a.rol(al, 3), eax: 0x21).Flag(OF));
        // ROR AL, 3: 0x06 -> 0xC0; OF = bit 7 ^ bit 6 = 0.
        Assert.False(Run(0x2 | OF, a => a.ror(al, 3), eax: 0x06).Flag(OF));
        // RCL AL, 2 with CF = 0: 0x40 -> 0x00, CF = 1: OF = 0 ^ 1.
        Assert.True(Run(0x2, a => a.rcl(al, 2), eax: 0x40).Flag(OF));
        // RCR AL, 2 with CF = 0: CF:AL = 0:01h -> AL = 80h, CF = 0: OF = bit 7 ^ bit 6 = 1.
        var h = Run(0x2, a => a.rcr(al, 2), eax: 0x01);
        Assert.Equal(0x80u, h.Eax);
        Assert.True(h.Flag(OF) && !h.Flag(CF));
        // RCL AL, 9 rotates by 0 (mod 9): AL and CF stay, OF = MSB ^ CF all the same.
        h = Run(0x2 | CF, a => a.rcl(al, 9), eax: 0x55);
        Assert.True(h.Eax == 0x55 && h.Flag(CF) && h.Flag(OF));
        // Rotates leave SF, ZF, AF and PF alone, whatever the count.
        h = Run(0x2 | SF | ZF | AF | PF, a => a.rcr(eax, 5), eax: 0x1234);
        Assert.Equal(SF | ZF | AF | PF, h.ArithFlags & (SF | ZF | AF | PF));
    }

    [Fact]
    public void Multiplies_LeaveSfZfAfPfAsTheyWere()
    {
        foreach (uint before in (uint[])[0, SF | ZF | AF | PF])
        {
            // 0x80 * 2: the low half is 0 (would be ZF) and CF = OF = 1 (high half 1).
            var h = Run(0x2 | before, a => a.mul(bl), eax: 0x80, ebx: 2);
            Assert.Equal(before | CF | OF, h.ArithFlags);
            h = Run(0x2 | before, a => a.imul(eax, ebx, 3), ebx: 0x7000_0000);
            Assert.Equal(before | CF | OF, h.ArithFlags);
        }
    }

    [Fact]
    public void Divides_KeepCfAndOf_ClearSfZfPf_SetAf()
    {
        foreach (uint before in (uint[])[0, CF | OF | SF | ZF | PF])
        {
            var h = Run(0x2 | before, a => a.div(ecx), eax: 100, ecx: 7);
            Assert.Equal((before & (CF | OF)) | AF, h.ArithFlags);
            h = Run(0x2 | before, a => a.idiv(cl), eax: 0xFF9C, ecx: 7);         // -100 / 7
            Assert.Equal((before & (CF | OF)) | AF, h.ArithFlags);
        }
    }

    [Fact]
    public void BitTestsAndScans_LeaveTheirUndefinedFlagsAlone()
    {
        uint others = OF | SF | AF | PF;
        foreach (uint before in (uint[])[0, others])
        {
            Assert.Equal(before & others, Run(0x2 | before, a => a.bts(eax, 3), eax: 0xF).ArithFlags & others);
            Assert.Equal(before & others, Run(0x2 | before, a => a.bt(eax, ebx), eax: 0xF, ebx: 1).ArithFlags & others);
            var h = Run(0x2 | before | CF, a => a.bsf(ecx, ebx), ebx: 0x10);
            Assert.Equal((before & others) | CF, h.ArithFlags & (others | CF));
            h = Run(0x2 | before, a => a.bsr(ecx, ebx), ebx: 0, ecx: 0x1234);
            Assert.Equal(0x1234u, h.Ecx);                                         // a zero source keeps the destination
            Assert.True(h.Flag(ZF));
        }
    }

    [Fact]
    public void DaaDas_OfIsTheOverflowOfTheCorrection()
    {
        // DAA with AL = 7Ah: +6 -> 80h: AL crossed from positive to negative: OF = 1.
        Assert.True(Run(0x2, a => a.daa(), eax: 0x7A).Flag(OF));
        Assert.False(Run(0x2 | OF, a => a.daa(), eax: 0x0A).Flag(OF));             // 0Ah -> 10h
        // DAS with AL = 80h and AF: -6 -> 7Ah: OF = 1.
        Assert.True(Run(0x2 | AF, a => a.das(), eax: 0x80).Flag(OF));
    }

    [Fact]
    public void AaaAas_SfZfPfOfAreThoseOfTheSixteenBitAdjustment()
    {
        // AAA with AX = 7FFAh: AX + 106h = 8100h: SF (bit 15) and OF (signed overflow) set, PF of 00h.
        var h = Run(0x2, a => a.aaa(), eax: 0x7FFA);
        Assert.Equal(0x8100u, h.Eax);
        Assert.Equal(AF | CF | SF | OF | PF, h.ArithFlags);
        // Without an adjustment the flags are those of AX itself: AX = 8005h: SF, PF of 05h.
        h = Run(0x2, a => a.aaa(), eax: 0x8005);
        Assert.Equal(0x8005u, h.Eax);
        Assert.Equal(SF | PF, h.ArithFlags);
        // AAS with AX = 0006h and AF: AX - 106h = FF00h: SF, PF, no ZF; AH wraps, AL = 0.
        h = Run(0x2 | AF, a => a.aas(), eax: 0x0006);
        Assert.Equal(0xFF00u, h.Eax);
        Assert.Equal(AF | CF | SF | PF, h.ArithFlags);
    }

    [Fact]
    public void Aam_ClearsCfAfOf_Aad_HasTheFlagsOfItsAddition()
    {
        Assert.Equal(0u, Run(0x2 | CF | AF | OF, a => a.aam(10), eax: 0x3F).ArithFlags & (CF | AF | OF));
        // AAD 10 with AH = 9, AL = 0F8h: F8h + 5Ah = 152h: CF, AF (8 + A carries), no OF (- plus +).
        var h = Run(0x2, a => a.aad(10), eax: 0x09F8);
        Assert.Equal(0x52u, h.Eax);
        Assert.Equal(CF | AF, h.ArithFlags & (CF | AF | OF));
        // AL = 7Fh, AH * 1 = 01h: 80h: OF set.
        Assert.True(Run(0x2, a => a.aad(1), eax: 0x017F).Flag(OF));
    }
}
