// [C:814] Decimal adjusts: DAA, DAS, AAA, AAS, AAM, AAD (SDM Vol. 2A, each as its pseudo-code).
//
// Packed BCD (DAA/DAS) adjusts AL after an ADD/SUB using AF and CF; unpacked BCD
// (AAA/AAS/AAM/AAD) works on AH:AL. AAM with an immediate of 0 raises #DE. Undefined
// flags, one rule for the whole file: an undefined SF, ZF or PF is set from the final
// AL; an undefined OF, AF or CF is cleared.
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

    static void SetFlags(Cpu cpu, uint al, bool af, bool cf) =>
        cpu.SetArithFlags(Cpu.ZspFlags(al, 1) | (af ? Cpu.AF : 0) | (cf ? Cpu.CF : 0));

    /// <summary>DAA: OF is undefined (cleared).</summary>
    static void DecimalAdjustAdd(Cpu cpu, ref Instruction insn)
    {
        uint al = Al(cpu), oldAl = al;
        bool oldCf = cpu.GetCF(), af = cpu.GetFlag(Cpu.AF), cf;
        if ((al & 0xF) > 9 || af) { al = (al + 6) & 0xFF; af = true; }
        else af = false;
        if (oldAl > 0x99 || oldCf) { al = (al + 0x60) & 0xFF; cf = true; }
        else cf = false;
        cpu.SetReg8(0, al);
        SetFlags(cpu, al, af, cf);
    }

    /// <summary>DAS: OF is undefined (cleared).</summary>
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
        SetFlags(cpu, al, af, cf);
    }

    /// <summary>AAA: AX += 106h when the low nibble needs it, then AL &= 0Fh. SF, ZF, PF from AL; OF cleared.</summary>
    static void AsciiAdjustAdd(Cpu cpu, ref Instruction insn)
    {
        uint ax = (ushort)cpu.Gpr[0];
        bool adjust = (ax & 0xF) > 9 || cpu.GetFlag(Cpu.AF);
        if (adjust) ax += 0x106;
        ax &= 0xFF0F;
        cpu.SetReg16(0, ax);
        SetFlags(cpu, ax, adjust, adjust);
    }

    /// <summary>AAS: AX -= 6 and AH -= 1 when the low nibble needs it, then AL &= 0Fh. SF, ZF, PF from AL; OF cleared.</summary>
    static void AsciiAdjustSubtract(Cpu cpu, ref Instruction insn)
    {
        uint ax = (ushort)cpu.Gpr[0];
        bool adjust = (ax & 0xF) > 9 || cpu.GetFlag(Cpu.AF);
        if (adjust) ax = (ax - 6 - 0x100) & 0xFFFF;
        ax &= 0xFF0F;
        cpu.SetReg16(0, ax);
        SetFlags(cpu, ax, adjust, adjust);
    }

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

    /// <summary>AAD imm8: AL = (AL + AH * imm8) and FFh, AH = 0. OF, AF, CF cleared.</summary>
    static void AsciiAdjustDivide(Cpu cpu, ref Instruction insn)
    {
        uint ax = (ushort)cpu.Gpr[0];
        uint al = ((ax & 0xFF) + (ax >> 8) * insn.Immediate8) & 0xFF;
        cpu.SetReg16(0, al);
        SetFlags(cpu, al, false, false);
    }
}
