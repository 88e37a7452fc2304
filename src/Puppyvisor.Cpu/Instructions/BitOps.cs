// [C:813] Bit operations: BT, BTS, BTR, BTC, BSF, BSR (SDM Vol. 2A).
//
// BT* copy the selected bit to CF. An imm8 offset is taken modulo the operand size; a
// register offset into memory is signed and may address beyond the operand (SDM "BT":
// bit base + offset, accessed as the operand-sized unit that holds the bit). OF, SF, ZF,
// AF and PF are undefined: BT* leave them alone. BSF/BSR with a zero source set ZF and
// leave the destination unchanged (what Intel hardware does); otherwise ZF = 0. Their
// CF, OF, SF, AF and PF are undefined: we leave them alone too.
using System.Numerics;
using Iced.Intel;
using static Iced.Intel.Code;

namespace Puppyvisor.Cpu.Instructions;

internal static unsafe class BitOps
{
    enum BitAction { Test, Set, Reset, Complement }

    public static void Register()
    {
        DispatchTable.Set(&Bt, Bt_rm16_r16, Bt_rm32_r32, Bt_rm16_imm8, Bt_rm32_imm8);
        DispatchTable.Set(&Bts, Bts_rm16_r16, Bts_rm32_r32, Bts_rm16_imm8, Bts_rm32_imm8);
        DispatchTable.Set(&Btr, Btr_rm16_r16, Btr_rm32_r32, Btr_rm16_imm8, Btr_rm32_imm8);
        DispatchTable.Set(&Btc, Btc_rm16_r16, Btc_rm32_r32, Btc_rm16_imm8, Btc_rm32_imm8);
        DispatchTable.Set(&Bsf, Bsf_r16_rm16, Bsf_r32_rm32);
        DispatchTable.Set(&Bsr, Bsr_r16_rm16, Bsr_r32_rm32);
    }

    static void Bt(Cpu cpu, ref Instruction insn) => BitTest(cpu, ref insn, BitAction.Test);
    static void Bts(Cpu cpu, ref Instruction insn) => BitTest(cpu, ref insn, BitAction.Set);
    static void Btr(Cpu cpu, ref Instruction insn) => BitTest(cpu, ref insn, BitAction.Reset);
    static void Btc(Cpu cpu, ref Instruction insn) => BitTest(cpu, ref insn, BitAction.Complement);

    static void BitTest(Cpu cpu, ref Instruction insn, BitAction action)
    {
        int size = Cpu.OperandSize(ref insn, 0);
        int bits = size * 8;
        uint offset = cpu.ReadOperand(ref insn, 1, size);
        bool inMemory = insn.Op0Kind == OpKind.Memory;
        uint ea = 0, value;
        if (inMemory)
        {
            ea = cpu.EffectiveAddress(ref insn);
            if (insn.Op1Kind == OpKind.Register)
            {
                // A signed offset: the unit holding the bit is (offset SAR log2(bits)) units away.
                int signedOffset = size == 4 ? (int)offset : (short)offset;
                ea += (uint)((signedOffset >> (bits == 32 ? 5 : 4)) * size);
            }
            value = action == BitAction.Test || cpu.ProbeWrite(ea, size) ? cpu.ReadMem(ea, size) : 0;
        }
        else
        {
            value = cpu.GetRegister(insn.Op0Register);
        }
        if (cpu.Faulted) return;

        uint bit = 1u << (int)(offset & (uint)(bits - 1));
        bool carry = (value & bit) != 0;
        if (action != BitAction.Test)
        {
            uint result = action switch { BitAction.Set => value | bit, BitAction.Reset => value & ~bit, _ => value ^ bit };
            if (inMemory) cpu.WriteMem(ea, size, result);
            else cpu.SetRegister(insn.Op0Register, result);
        }
        cpu.SetFlag(Cpu.CF, carry);
    }

    static void Bsf(Cpu cpu, ref Instruction insn) => BitScan(cpu, ref insn, reverse: false);
    static void Bsr(Cpu cpu, ref Instruction insn) => BitScan(cpu, ref insn, reverse: true);

    /// <summary>BSF/BSR: the index of the lowest/highest set bit; a zero source leaves the destination and sets ZF.</summary>
    static void BitScan(Cpu cpu, ref Instruction insn, bool reverse)
    {
        int size = Cpu.RegisterSize(insn.Op0Register);
        uint src = cpu.ReadOperand(ref insn, 1, size);
        if (cpu.Faulted) return;
        if (src == 0) { cpu.SetFlag(Cpu.ZF, true); return; }
        int index = reverse ? 31 - BitOperations.LeadingZeroCount(src) : BitOperations.TrailingZeroCount(src);
        cpu.SetRegister(insn.Op0Register, (uint)index);
        cpu.SetFlag(Cpu.ZF, false);
    }
}
