// [C:814] Decimal adjusts: DAA, DAS, AAA, AAS, AAM, AAD (SDM Vol. 2A, each as its pseudo-code).
//
// Packed BCD (DAA/DAS) adjusts AL after an ADD/SUB using AF and CF; unpacked BCD
// (AAA/AAS/AAM/AAD) works on AH:AL. AAM with an immediate of 0 raises #DE. Undefined
// flags (tests/vectors/UNDEFINED-FLAGS.md) are what the vectors' AMD CPU leaves: each
// adjust's undefined flags are those of the addition or subtraction it does (DAA/DAS:
// OF of adding/subtracting the correction to AL; AAA/AAS: SF, ZF, PF, OF of the 16-bit
// AX +/- 106h, or of AX itself when nothing is adjusted; AAD: CF, AF, OF of AL + AH * imm8);
// AAM clears them.
using Iced.Intel;
using static Iced.Intel.Code;

namespace Puppyvisor.Cpu.Instructions;

internal static unsafe class Bcd
{
    public static void Register()
    {
        DispatchTable.Set(Daa, &DecimalAdjustAdd);
        DispatchTable.Set(Das, &DecimalAdjustSubtract);
        DispatchTable.Set(Aaa, &AsciiAdjustAdd);
        DispatchTable.Set(Aas, &AsciiAdjustSubtract);
        DispatchTable.Set(Aam_imm8, &AsciiAdjustMultiply);
        DispatchTable.Set(Aad_imm8, &AsciiAdjustDivide);
    }

    static uint Al(Cpu cpu) => (byte)cpu.Gpr[0];

    static void SetFlags(Cpu cpu, uint al, bool af, bool cf, bool of = false) =>
        cpu.SetArithFlags(Cpu.ZspFlags(al, 1) | (af ? Cpu.AF : 0) | (cf ? Cpu.CF : 0) | (of ? Cpu.OF : 0));

    /// <summary>DAA: OF (undefined) is the signed overflow of adding the correction: AL went from below 80h to 80h or above.</summary>
    static void DecimalAdjustAdd(Cpu cpu, ref Instruction insn)
    {
        uint al = Al(cpu), oldAl = al;
        bool oldCf = cpu.GetCF(), af = cpu.GetFlag(Cpu.AF), cf;
        if ((al & 0xF) > 9 || af) { al = (al + 6) & 0xFF; af = true; }
        else af = false;
        if (oldAl > 0x99 || oldCf) { al = (al + 0x60) & 0xFF; cf = true; }
        else cf = false;
        cpu.SetReg8(0, al);
        SetFlags(cpu, al, af, cf, (~oldAl & al & 0x80) != 0);
    }

    /// <summary>DAS: OF (undefined) is the signed overflow of subtracting the correction: AL went from 80h or above to below.</summary>
    static void DecimalAdjustSubtract(Cpu cpu, ref Instruction insn)
    {
        uint al = Al(cpu), oldAl = al;
        bool oldCf = cpu.GetCF(), af = cpu.GetFlag(Cpu.AF), cf = false;
        if ((al & 0xF) > 9 || af)
        {
            cf = oldCf || al < 6;
            al = (al - 6) & 0xFF;
            af = true;
        }
        else af = false;
        if (oldAl > 0x99 || oldCf) { al = (al - 0x60) & 0xFF; cf = true; }
        cpu.SetReg8(0, al);
        SetFlags(cpu, al, af, cf, (oldAl & ~al & 0x80) != 0);
    }

    /// <summary>
    /// AAA: AX += 106h when the low nibble needs it, then AL &= 0Fh. AF = CF = adjusted; SF, ZF,
    /// PF and OF (undefined) are those of the 16-bit sum before the masking.
    /// </summary>
    static void AsciiAdjustAdd(Cpu cpu, ref Instruction insn)
    {
        uint ax = (ushort)cpu.Gpr[0];
        bool adjust = (ax & 0xF) > 9 || cpu.GetFlag(Cpu.AF);
        uint sum = (ax + (adjust ? 0x106u : 0)) & 0xFFFF;
        cpu.SetReg16(0, sum & 0xFF0F);
        bool of = adjust && ((ax ^ sum) & (0x106 ^ sum) & 0x8000) != 0;
        SetAdjustFlags(cpu, sum, adjust, of);
    }

    /// <summary>
    /// AAS: AX -= 106h (AL - 6 and AH - 1, with the borrow) when the low nibble needs it, then
    /// AL &= 0Fh. AF = CF = adjusted; SF, ZF, PF and OF (undefined) are those of the 16-bit difference.
    /// </summary>
    static void AsciiAdjustSubtract(Cpu cpu, ref Instruction insn)
    {
        uint ax = (ushort)cpu.Gpr[0];
        bool adjust = (ax & 0xF) > 9 || cpu.GetFlag(Cpu.AF);
        uint difference = (ax - (adjust ? 0x106u : 0)) & 0xFFFF;
        cpu.SetReg16(0, difference & 0xFF0F);
        bool of = adjust && ((ax ^ 0x106) & (ax ^ difference) & 0x8000) != 0;
        SetAdjustFlags(cpu, difference, adjust, of);
    }

    /// <summary>AAA/AAS: flags of a 16-bit result (SF bit 15, ZF all 16 bits, PF the low byte).</summary>
    static void SetAdjustFlags(Cpu cpu, uint result16, bool adjusted, bool of) =>
        cpu.SetArithFlags(Cpu.ZspFlags(result16, 2) | (adjusted ? Cpu.AF | Cpu.CF : 0) | (of ? Cpu.OF : 0));

    /// <summary>AAM imm8: AH = AL / imm8, AL = AL mod imm8; #DE when imm8 is 0. OF, AF, CF cleared.</summary>
    static void AsciiAdjustMultiply(Cpu cpu, ref Instruction insn)
    {
        uint divisor = insn.Immediate8;
        if (divisor == 0) { cpu.RaiseFault(Vector.DivideError); return; }
        uint al = Al(cpu);
        uint result = al % divisor;
        cpu.SetReg16(0, ((al / divisor) << 8) | result);
        SetFlags(cpu, result, false, false);
    }

    /// <summary>AAD imm8: AL = (AL + AH * imm8) and FFh, AH = 0. CF, AF, OF (undefined) are those of that 8-bit addition.</summary>
    static void AsciiAdjustDivide(Cpu cpu, ref Instruction insn)
    {
        uint ax = (ushort)cpu.Gpr[0];
        uint a = ax & 0xFF, b = ((ax >> 8) * insn.Immediate8) & 0xFF;
        uint al = (a + b) & 0xFF;
        cpu.SetReg16(0, al);
        SetFlags(cpu, al, ((a ^ b ^ al) & 0x10) != 0, a + b > 0xFF, ((a ^ al) & (b ^ al) & 0x80) != 0);
    }
}
