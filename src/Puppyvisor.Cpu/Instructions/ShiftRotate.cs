// [C:811] Shifts and rotates: SHL/SAL, SHR, SAR, ROL, ROR, RCL, RCR, SHLD, SHRD (SDM Vol. 2B).
//
// The count (1, imm8 or CL) is masked to 5 bits; a masked count of 0 changes no flag
// and writes nothing (the destination is still read, as for any read-modify-write).
// RCL/RCR of 8 and 16 bits rotate by count mod 9 / mod 17 through CF. Rotates touch CF
// and OF only. Undefined flags (tests/vectors/UNDEFINED-FLAGS.md), as the vectors' AMD CPU
// leaves them: AF = 1 after every shift with a nonzero count; OF for counts above 1 as
// each handler says (mostly the SDM's count-1 expression evaluated on the final values).
using System.Runtime.CompilerServices;
using Iced.Intel;
using static Iced.Intel.Code;

namespace Puppyvisor.Cpu.Instructions;

internal static unsafe class ShiftRotate
{
    public static void Register()
    {
        DispatchTable.Set(&Shl, Shl_rm8_1, Shl_rm8_CL, Shl_rm8_imm8, Shl_rm16_1, Shl_rm16_CL, Shl_rm16_imm8,
            Shl_rm32_1, Shl_rm32_CL, Shl_rm32_imm8,
            Sal_rm8_1, Sal_rm8_CL, Sal_rm8_imm8, Sal_rm16_1, Sal_rm16_CL, Sal_rm16_imm8, Sal_rm32_1, Sal_rm32_CL, Sal_rm32_imm8);
        DispatchTable.Set(&Shr, Shr_rm8_1, Shr_rm8_CL, Shr_rm8_imm8, Shr_rm16_1, Shr_rm16_CL, Shr_rm16_imm8,
            Shr_rm32_1, Shr_rm32_CL, Shr_rm32_imm8);
        DispatchTable.Set(&Sar, Sar_rm8_1, Sar_rm8_CL, Sar_rm8_imm8, Sar_rm16_1, Sar_rm16_CL, Sar_rm16_imm8,
            Sar_rm32_1, Sar_rm32_CL, Sar_rm32_imm8);
        DispatchTable.Set(&Rol, Rol_rm8_1, Rol_rm8_CL, Rol_rm8_imm8, Rol_rm16_1, Rol_rm16_CL, Rol_rm16_imm8,
            Rol_rm32_1, Rol_rm32_CL, Rol_rm32_imm8);
        DispatchTable.Set(&Ror, Ror_rm8_1, Ror_rm8_CL, Ror_rm8_imm8, Ror_rm16_1, Ror_rm16_CL, Ror_rm16_imm8,
            Ror_rm32_1, Ror_rm32_CL, Ror_rm32_imm8);
        DispatchTable.Set(&Rcl, Rcl_rm8_1, Rcl_rm8_CL, Rcl_rm8_imm8, Rcl_rm16_1, Rcl_rm16_CL, Rcl_rm16_imm8,
            Rcl_rm32_1, Rcl_rm32_CL, Rcl_rm32_imm8);
        DispatchTable.Set(&Rcr, Rcr_rm8_1, Rcr_rm8_CL, Rcr_rm8_imm8, Rcr_rm16_1, Rcr_rm16_CL, Rcr_rm16_imm8,
            Rcr_rm32_1, Rcr_rm32_CL, Rcr_rm32_imm8);
        DispatchTable.Set(&Shld, Shld_rm16_r16_imm8, Shld_rm16_r16_CL, Shld_rm32_r32_imm8, Shld_rm32_r32_CL);
        DispatchTable.Set(&Shrd, Shrd_rm16_r16_imm8, Shrd_rm16_r16_CL, Shrd_rm32_r32_imm8, Shrd_rm32_r32_CL);
    }

    static uint Mask(int bits) => bits == 32 ? 0xFFFF_FFFFu : (1u << bits) - 1;
    static bool Msb(uint v, int bits) => ((v >> (bits - 1)) & 1) != 0;

    /// <summary>
    /// Reads the destination and the masked count (the last operand: 1, imm8 or CL).
    /// False when it faulted or the count is 0: then the instruction is over.
    /// </summary>
    static bool Begin(Cpu cpu, ref Instruction insn, out int bits, out uint value, out int count)
    {
        int size = Cpu.OperandSize(ref insn, 0);
        bits = size * 8;
        count = (int)(cpu.ReadOperand(ref insn, insn.OpCount - 1, 1) & 0x1F);
        value = cpu.ReadOperandForWrite(ref insn, 0, size);
        return !cpu.Faulted && count != 0;
    }

    /// <summary>Shifts: CF and OF as computed, SF/ZF/PF from the result, AF set (undefined; the hardware's value).</summary>
    static void Finish(Cpu cpu, ref Instruction insn, int bits, uint result, bool cf, bool of)
    {
        cpu.WriteOperand(ref insn, 0, bits / 8, result);
        cpu.SetArithFlags(ShiftFlags(result, bits / 8, cf, of));
    }

    /// <summary>The flags a shift leaves: SF/ZF/PF from the result, AF set, CF and OF as given.</summary>
    internal static uint ShiftFlags(uint result, int size, bool cf, bool of) =>
        Cpu.ZspFlags(result, size) | Cpu.AF | (cf ? Cpu.CF : 0) | (of ? Cpu.OF : 0);

    /// <summary>Rotates: only CF and OF change.</summary>
    static void FinishRotate(Cpu cpu, ref Instruction insn, int bits, uint result, bool cf, bool of)
    {
        cpu.WriteOperand(ref insn, 0, bits / 8, result);
        cpu.SetArithFlags(cpu.SzapFlags() | (cf ? Cpu.CF : 0) | (of ? Cpu.OF : 0));
    }

    /// <summary>SHL: CF is the last bit shifted out (0 once the count passes the width); OF = MSB(result) XOR CF.</summary>
    static void Shl(Cpu cpu, ref Instruction insn)
    {
        if (!Begin(cpu, ref insn, out int bits, out uint value, out int count)) return;
        ulong wide = (ulong)value << count;
        uint result = (uint)wide & Mask(bits);
        bool cf = ((wide >> bits) & 1) != 0;
        Finish(cpu, ref insn, bits, result, cf, Msb(result, bits) ^ cf);
    }

    /// <summary>SHR: OF = MSB of the original operand for a count of 1 (SDM), 0 for larger counts.</summary>
    static void Shr(Cpu cpu, ref Instruction insn)
    {
        if (!Begin(cpu, ref insn, out int bits, out uint value, out int count)) return;
        uint result = value >> count;
        bool cf = ((value >> (count - 1)) & 1) != 0;
        Finish(cpu, ref insn, bits, result, cf, count == 1 && Msb(value, bits));
    }

    /// <summary>SAR: the sign fills in; past the width the result is all sign bits and CF the sign; OF = 0.</summary>
    static void Sar(Cpu cpu, ref Instruction insn)
    {
        if (!Begin(cpu, ref insn, out int bits, out uint value, out int count)) return;
        int signed = (int)(value << (32 - bits)) >> (32 - bits);
        uint result = (uint)(signed >> count) & Mask(bits);
        bool cf = ((signed >> (count - 1)) & 1) != 0;
        Finish(cpu, ref insn, bits, result, cf, false);
    }

    /// <summary>ROL: rotates by count mod width; CF = LSB(result) even when that is 0 bits; OF = MSB(result) XOR CF.</summary>
    static void Rol(Cpu cpu, ref Instruction insn)
    {
        if (!Begin(cpu, ref insn, out int bits, out uint value, out int count)) return;
        int n = count % bits;
        uint result = n == 0 ? value : ((value << n) | (value >> (bits - n))) & Mask(bits);
        bool cf = (result & 1) != 0;
        FinishRotate(cpu, ref insn, bits, result, cf, Msb(result, bits) ^ cf);
    }

    /// <summary>ROR: CF = MSB(result); OF = MSB(result) XOR the bit below it.</summary>
    static void Ror(Cpu cpu, ref Instruction insn)
    {
        if (!Begin(cpu, ref insn, out int bits, out uint value, out int count)) return;
        int n = count % bits;
        uint result = n == 0 ? value : ((value >> n) | (value << (bits - n))) & Mask(bits);
        bool cf = Msb(result, bits);
        FinishRotate(cpu, ref insn, bits, result, cf, cf ^ Msb(result, bits - 1));
    }

    /// <summary>
    /// RCL: a rotation of the (width + 1)-bit value CF:dest by count mod (width + 1). A rotation
    /// of 0 bits (8-bit count 9 or 18, 16-bit count 17) keeps the value and CF, but still sets OF.
    /// OF = MSB(result) XOR the new CF (the SDM evaluates it after the rotation).
    /// </summary>
    static void Rcl(Cpu cpu, ref Instruction insn)
    {
        if (!Begin(cpu, ref insn, out int bits, out uint value, out int count)) return;
        int n = count % (bits + 1);
        if (n == 0) { FinishRotate(cpu, ref insn, bits, value, cpu.GetCF(), Msb(value, bits) ^ cpu.GetCF()); return; }
        ulong mask = (1UL << (bits + 1)) - 1;
        ulong v = ((cpu.GetCF() ? 1UL : 0) << bits) | value;
        ulong r = ((v << n) | (v >> (bits + 1 - n))) & mask;
        uint result = (uint)r & Mask(bits);
        bool cf = ((r >> bits) & 1) != 0;
        FinishRotate(cpu, ref insn, bits, result, cf, Msb(result, bits) ^ cf);
    }

    /// <summary>
    /// RCR: as RCL, rotating right. OF = MSB(result) XOR the bit below it: for count 1 that is
    /// the SDM's MSB(dest) XOR CF taken before the rotation; for other counts (and a rotation
    /// of 0 bits) it is what the hardware leaves.
    /// </summary>
    static void Rcr(Cpu cpu, ref Instruction insn)
    {
        if (!Begin(cpu, ref insn, out int bits, out uint value, out int count)) return;
        int n = count % (bits + 1);
        bool oldCf = cpu.GetCF();
        ulong mask = (1UL << (bits + 1)) - 1;
        ulong v = ((oldCf ? 1UL : 0) << bits) | value;
        ulong r = n == 0 ? v : ((v >> n) | (v << (bits + 1 - n))) & mask;
        uint result = (uint)r & Mask(bits);
        bool cf = ((r >> bits) & 1) != 0;
        FinishRotate(cpu, ref insn, bits, result, cf, Msb(result, bits) ^ Msb(result, bits - 1));
    }

    /// <summary>
    /// SHLD dest, src, count: dest shifted left, filled from the top of src. A 16-bit count of
    /// 17-31 is undefined (SDM); we do what P6-family parts do (Bochs' model): shift the 48-bit
    /// dest:src:dest, so src's bits are followed by dest's own. CF = last bit shifted out;
    /// OF = MSB(result) XOR CF (for count 1 the SDM's sign change, MSB(result) XOR MSB(dest));
    /// a 16-bit count of exactly 16 gives OF = CF, as the hardware does.
    /// </summary>
    static void Shld(Cpu cpu, ref Instruction insn)
    {
        if (!Begin(cpu, ref insn, out int bits, out uint dest, out int count)) return;
        uint result = Shld(bits, dest, cpu.GetRegister(insn.Op1Register), count, out bool cf, out bool of);
        Finish(cpu, ref insn, bits, result, cf, of);
    }

    /// <summary>SHLD's result, CF and OF for a count of 1-31 (also the fast form's, FastOps.cs).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static uint Shld(int bits, uint dest, uint src, int count, out bool cf, out bool of)
    {
        ulong t = bits == 32 ? ((ulong)dest << 32) | src : ((ulong)dest << 32) | ((ulong)src << 16) | dest;
        int width = bits == 32 ? 64 : 48;
        uint result = (uint)((t << count) >> 32) & Mask(bits);
        cf = ((t >> (width - count)) & 1) != 0;
        of = bits == 16 && count == 16 ? cf : Msb(result, bits) ^ cf;
        return result;
    }

    /// <summary>
    /// SHRD dest, src, count: dest shifted right, filled from the bottom of src; as SHLD otherwise,
    /// but OF = MSB(result) XOR the bit below it (for count 1, MSB(result) XOR MSB(dest)).
    /// </summary>
    static void Shrd(Cpu cpu, ref Instruction insn)
    {
        if (!Begin(cpu, ref insn, out int bits, out uint dest, out int count)) return;
        uint result = Shrd(bits, dest, cpu.GetRegister(insn.Op1Register), count, out bool cf, out bool of);
        Finish(cpu, ref insn, bits, result, cf, of);
    }

    /// <summary>SHRD's result, CF and OF for a count of 1-31 (also the fast form's, FastOps.cs).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static uint Shrd(int bits, uint dest, uint src, int count, out bool cf, out bool of)
    {
        ulong t = bits == 32 ? ((ulong)src << 32) | dest : ((ulong)dest << 32) | ((ulong)src << 16) | dest;
        uint result = (uint)(t >> count) & Mask(bits);
        cf = ((t >> (count - 1)) & 1) != 0;
        of = Msb(result, bits) ^ Msb(result, bits - 1);
        return result;
    }
}
