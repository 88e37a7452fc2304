// [C:880] Segment registers: MOV to and from Sreg, PUSH/POP Sreg, LDS/LES/LFS/LGS/LSS.
//
// Loads check the descriptor (State/Cpu.Segmentation.cs). A load of SS opens an
// interrupt shadow for one instruction, so MOV SS; MOV ESP is atomic (SDM 6.8.3).
using Iced.Intel;
using static Iced.Intel.Code;

namespace Puppyvisor.Cpu.Instructions;

internal static unsafe class Segments
{
    public static void Register()
    {
        DispatchTable.Set(&MovToSreg, Mov_Sreg_rm16, Mov_Sreg_r32m16);
        DispatchTable.Set(&MovFromSreg, Mov_rm16_Sreg, Mov_r32m16_Sreg);
        DispatchTable.Set(&PushSreg, Pushw_ES, Pushd_ES, Pushw_CS, Pushd_CS, Pushw_SS, Pushd_SS, Pushw_DS, Pushd_DS,
            Pushw_FS, Pushd_FS, Pushw_GS, Pushd_GS);
        DispatchTable.Set(&PopSreg, Popw_ES, Popd_ES, Popw_SS, Popd_SS, Popw_DS, Popd_DS, Popw_FS, Popd_FS, Popw_GS, Popd_GS);
        DispatchTable.Set(&LoadFarPointer, Lds_r16_m1616, Lds_r32_m1632, Les_r16_m1616, Les_r32_m1632,
            Lfs_r16_m1616, Lfs_r32_m1632, Lgs_r16_m1616, Lgs_r32_m1632, Lss_r16_m1616, Lss_r32_m1632);
        // A load of SS opens an interrupt shadow, tracked at block boundaries: these end their block.
        foreach (Code c in (ReadOnlySpan<Code>)[Mov_Sreg_rm16, Mov_Sreg_r32m16, Popw_SS, Popd_SS, Lss_r16_m1616, Lss_r32_m1632])
            DispatchTable.EndsBlock[(int)c] = true;
    }

    static SegReg SegOf(Register r) => (SegReg)Cpu.RegisterNumber(r);

    static bool Load(Cpu cpu, SegReg seg, ushort selector)
    {
        if (!cpu.LoadDataSegment(seg, selector)) return false;
        if (seg == SegReg.SS) cpu.SetInterruptShadow();
        return true;
    }

    static void MovToSreg(Cpu cpu, ref Instruction insn)
    {
        ushort selector = (ushort)cpu.ReadOperand(ref insn, 1, 2);
        if (!cpu.Faulted) Load(cpu, SegOf(insn.Op0Register), selector);
    }

    static void MovFromSreg(Cpu cpu, ref Instruction insn)
    {
        // To a 32-bit register the selector is zero-extended; to memory it is 16 bits.
        int size = insn.Op0Kind == OpKind.Register ? Cpu.RegisterSize(insn.Op0Register) : 2;
        cpu.WriteOperand(ref insn, 0, size, cpu.Selectors[(int)SegOf(insn.Op1Register)]);
    }

    static void PushSreg(Cpu cpu, ref Instruction insn) =>
        cpu.Push(cpu.Selectors[(int)SegOf(insn.Op0Register)], -insn.StackPointerIncrement);

    static void PopSreg(Cpu cpu, ref Instruction insn)
    {
        int size = insn.StackPointerIncrement;
        ushort selector = (ushort)cpu.PeekStack(size);
        if (cpu.Faulted || !Load(cpu, SegOf(insn.Op0Register), selector)) return;
        cpu.Esp += (uint)size;
    }

    static void LoadFarPointer(Cpu cpu, ref Instruction insn)
    {
        int size = Cpu.RegisterSize(insn.Op0Register);
        uint ea = cpu.EffectiveAddress(ref insn);
        uint offset = cpu.ReadMem(ea, size);
        ushort selector = (ushort)cpu.ReadMem(ea + (uint)size, 2);
        if (cpu.Faulted) return;
        SegReg seg = insn.Mnemonic switch
        {
            Mnemonic.Lds => SegReg.DS, Mnemonic.Les => SegReg.ES, Mnemonic.Lfs => SegReg.FS,
            Mnemonic.Lgs => SegReg.GS, _ => SegReg.SS,
        };
        if (Load(cpu, seg, selector)) cpu.SetRegister(insn.Op0Register, offset);
    }
}
