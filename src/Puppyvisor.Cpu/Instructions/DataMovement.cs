// [C:820] Moving data: MOV, MOVZX, MOVSX, LEA, XCHG, BSWAP, CBW/CWDE/CWD/CDQ, XLAT, NOP.
//
// None of these touch the flags. XCHG with memory is locked on real hardware; with
// one vCPU per guest that changes nothing here.
using Iced.Intel;
using static Iced.Intel.Code;

namespace Puppyvisor.Cpu.Instructions;

internal static unsafe class DataMovement
{
    public static void Register()
    {
        DispatchTable.Set(&Arithmetic.Binary<MovOp>, Mov_rm8_r8, Mov_rm16_r16, Mov_rm32_r32, Mov_r8_rm8, Mov_r16_rm16, Mov_r32_rm32,
            Mov_AL_moffs8, Mov_AX_moffs16, Mov_EAX_moffs32, Mov_moffs8_AL, Mov_moffs16_AX, Mov_moffs32_EAX,
            Mov_r8_imm8, Mov_r16_imm16, Mov_r32_imm32, Mov_rm8_imm8, Mov_rm16_imm16, Mov_rm32_imm32);
        DispatchTable.Set(&Movzx, Movzx_r16_rm8, Movzx_r32_rm8, Movzx_r16_rm16, Movzx_r32_rm16);
        DispatchTable.Set(&Movsx, Movsx_r16_rm8, Movsx_r32_rm8, Movsx_r16_rm16, Movsx_r32_rm16);
        DispatchTable.Set(&Lea, Lea_r16_m, Lea_r32_m);
        DispatchTable.Set(&Xchg, Xchg_rm8_r8, Xchg_rm16_r16, Xchg_rm32_r32, Xchg_r16_AX, Xchg_r32_EAX);
        DispatchTable.Set(&Bswap, Bswap_r32);
        DispatchTable.Set(&Bswap16, Bswap_r16);
        DispatchTable.Set(Cbw, &ConvertCbw);
        DispatchTable.Set(Cwde, &ConvertCwde);
        DispatchTable.Set(Cwd, &ConvertCwd);
        DispatchTable.Set(Cdq, &ConvertCdq);
        DispatchTable.Set(Xlat_m8, &Xlat);
        DispatchTable.Set(&Nop, Nopw, Nopd, Nop_rm16, Nop_rm32);
        // 0F 19-1F (and the forms of 0F 0D and 0F 18 Iced calls reserved) with a ModRM: hint NOPs since the P6.
        foreach (Code c in Enum.GetValues<Code>())
            if (c.ToString().StartsWith("Reservednop_", StringComparison.Ordinal) && !c.ToString().Contains("64", StringComparison.Ordinal))
                DispatchTable.Set(c, &Nop);
    }

    static void Movzx(Cpu cpu, ref Instruction insn)
    {
        uint v = cpu.ReadOperand(ref insn, 1, Cpu.OperandSize(ref insn, 1));
        if (cpu.Faulted) return;
        cpu.SetRegister(insn.Op0Register, v);
    }

    static void Movsx(Cpu cpu, ref Instruction insn)
    {
        int srcSize = Cpu.OperandSize(ref insn, 1);
        uint v = cpu.ReadOperand(ref insn, 1, srcSize);
        if (cpu.Faulted) return;
        cpu.SetRegister(insn.Op0Register, srcSize == 1 ? (uint)(sbyte)v : (uint)(short)v);
    }

    static void Lea(Cpu cpu, ref Instruction insn)
    {
        // LEA computes the offset only: no segment base, even with an FS/GS prefix.
        uint ea = cpu.EffectiveAddress(ref insn) - cpu.SegmentBaseOf(insn.MemorySegment);
        cpu.SetRegister(insn.Op0Register, ea);
    }

    static void Xchg(Cpu cpu, ref Instruction insn)
    {
        int size = Cpu.OperandSize(ref insn, 0);
        uint a = cpu.ReadOperandForWrite(ref insn, 0, size);
        uint b = cpu.ReadOperandForWrite(ref insn, 1, size);
        if (cpu.Faulted) return;
        cpu.WriteOperand(ref insn, 0, size, b);
        cpu.WriteOperand(ref insn, 1, size, a);
    }

    static void Bswap(Cpu cpu, ref Instruction insn)
    {
        int r = Cpu.RegisterNumber(insn.Op0Register);
        cpu.Gpr[r] = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(cpu.Gpr[r]);
    }

    /// <summary>BSWAP r16 is undefined (SDM); real CPUs zero the low word, and so do we.</summary>
    static void Bswap16(Cpu cpu, ref Instruction insn) => cpu.SetRegister(insn.Op0Register, 0);

    static void ConvertCbw(Cpu cpu, ref Instruction insn) => cpu.SetReg16(0, (uint)(sbyte)cpu.Gpr[0]);
    static void ConvertCwde(Cpu cpu, ref Instruction insn) => cpu.Gpr[0] = (uint)(short)cpu.Gpr[0];
    static void ConvertCwd(Cpu cpu, ref Instruction insn) => cpu.SetReg16(2, (cpu.Gpr[0] & 0x8000) != 0 ? 0xFFFFu : 0);
    static void ConvertCdq(Cpu cpu, ref Instruction insn) => cpu.Gpr[2] = (cpu.Gpr[0] & 0x8000_0000u) != 0 ? 0xFFFF_FFFFu : 0;

    static void Xlat(Cpu cpu, ref Instruction insn)
    {
        // XLAT: AL = [EBX + zero-extended AL] (BX with a 67h prefix).
        uint ea = insn.MemoryBase == Iced.Intel.Register.BX ? (ushort)(cpu.Gpr[3] + (byte)cpu.Gpr[0]) : cpu.Gpr[3] + (byte)cpu.Gpr[0];
        uint v = cpu.ReadMem(ea + cpu.SegmentBaseOf(insn.MemorySegment), 1);
        if (cpu.Faulted) return;
        cpu.SetReg8(0, v);
    }

    static void Nop(Cpu cpu, ref Instruction insn) { }
}
