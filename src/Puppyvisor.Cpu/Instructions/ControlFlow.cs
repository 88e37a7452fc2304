// [C:830] Control transfers: JMP, Jcc, CALL, RET, LOOP, JECXZ; far JMP/CALL/RET; INT, INTO, IRET.
//
// Near branches take Iced's computed target (already truncated to 16 bits under a
// 66h prefix). Far transfers stay in the same ring except RETF and IRET, which may
// return to an outer ring (SDM Vol. 2, IRET "Protected mode"); there are no call
// gates and no task switches (DESIGN §1).
using Iced.Intel;
using static Iced.Intel.Code;

namespace Puppyvisor.Cpu.Instructions;

internal static unsafe class ControlFlow
{
    public static void Register()
    {
        // Every short and near Jcc: rel8, rel16 (66h) and rel32 (the 64-bit forms never decode here).
        foreach (Code code in Enum.GetValues<Code>())
            if (code.IsJccShortOrNear()) DispatchTable.Set(code, &Jcc);
        DispatchTable.Set(&JmpNear, Jmp_rel8_16, Jmp_rel8_32, Jmp_rel16, Jmp_rel32_32);
        DispatchTable.Set(&JmpIndirect, Jmp_rm16, Jmp_rm32);
        DispatchTable.Set(&CallNear, Call_rel16, Call_rel32_32);
        DispatchTable.Set(&CallIndirect, Call_rm16, Call_rm32);
        DispatchTable.Set(&Ret, Retnw, Retnd, Retnw_imm16, Retnd_imm16);
        DispatchTable.Set(&LoopEcx, Loop_rel8_16_ECX, Loop_rel8_32_ECX, Loope_rel8_16_ECX, Loope_rel8_32_ECX,
            Loopne_rel8_16_ECX, Loopne_rel8_32_ECX);
        DispatchTable.Set(&LoopCx, Loop_rel8_16_CX, Loop_rel8_32_CX, Loope_rel8_16_CX, Loope_rel8_32_CX,
            Loopne_rel8_16_CX, Loopne_rel8_32_CX);
        DispatchTable.Set(&Jecxz, Jcxz_rel8_16, Jcxz_rel8_32, Jecxz_rel8_16, Jecxz_rel8_32);
        DispatchTable.Set(&JmpFar, Jmp_ptr1632, Jmp_ptr1616, Jmp_m1632, Jmp_m1616);
        DispatchTable.Set(&CallFar, Call_ptr1632, Call_ptr1616, Call_m1632, Call_m1616);
        DispatchTable.Set(&RetFar, Retfd, Retfw, Retfd_imm16, Retfw_imm16);
        DispatchTable.Set(Int_imm8, &Int);
        DispatchTable.Set(Int3, &Int3Breakpoint);
        DispatchTable.Set(Into, &IntOverflow);
        DispatchTable.Set(Int1, &Icebp);
        DispatchTable.Set(&Iret, Iretd, Iretw);
        foreach (Code c in (ReadOnlySpan<Code>)[Jmp_ptr1632, Jmp_ptr1616, Jmp_m1632, Jmp_m1616, Call_ptr1632, Call_ptr1616,
                     Call_m1632, Call_m1616, Retfd, Retfw, Retfd_imm16, Retfw_imm16, Iretd, Iretw, Int_imm8, Int3, Into])
            DispatchTable.EndsBlock[(int)c] = true;
    }

    static void Jcc(Cpu cpu, ref Instruction insn)
    {
        if (cpu.Condition((int)insn.ConditionCode - 1)) cpu.Eip = (uint)insn.NearBranchTarget;
    }

    static void JmpNear(Cpu cpu, ref Instruction insn) => cpu.Eip = (uint)insn.NearBranchTarget;

    static void JmpIndirect(Cpu cpu, ref Instruction insn)
    {
        int size = Cpu.OperandSize(ref insn, 0);
        uint target = cpu.ReadOperand(ref insn, 0, size);
        if (cpu.Faulted) return;
        cpu.Eip = target;
    }

    static void CallNear(Cpu cpu, ref Instruction insn)
    {
        int size = insn.Code == Call_rel16 ? 2 : 4;
        if (cpu.Push(cpu.Eip, size)) cpu.Eip = (uint)insn.NearBranchTarget;
    }

    static void CallIndirect(Cpu cpu, ref Instruction insn)
    {
        int size = Cpu.OperandSize(ref insn, 0);
        uint target = cpu.ReadOperand(ref insn, 0, size);
        if (cpu.Faulted) return;
        if (cpu.Push(cpu.Eip, size)) cpu.Eip = target;
    }

    static void Ret(Cpu cpu, ref Instruction insn)
    {
        int size = insn.Code is Retnw or Retnw_imm16 ? 2 : 4;
        uint target = cpu.Pop(size);
        if (cpu.Faulted) return;
        cpu.Eip = target;
        if (insn.Op0Kind == OpKind.Immediate16) cpu.Esp += insn.Immediate16;
    }

    static void LoopEcx(Cpu cpu, ref Instruction insn) => Loop(cpu, ref insn, ecx: true);
    static void LoopCx(Cpu cpu, ref Instruction insn) => Loop(cpu, ref insn, ecx: false);

    /// <summary>LOOP/LOOPE/LOOPNE count in ECX, or CX under a 67h prefix; no flag changes.</summary>
    static void Loop(Cpu cpu, ref Instruction insn, bool ecx)
    {
        uint count = ecx ? cpu.Gpr[1] - 1 : (ushort)(cpu.Gpr[1] - 1);
        if (ecx) cpu.Gpr[1] = count; else cpu.SetReg16(1, count);
        bool take = count != 0;
        if (insn.Mnemonic == Mnemonic.Loope) take &= cpu.GetZF();
        else if (insn.Mnemonic == Mnemonic.Loopne) take &= !cpu.GetZF();
        if (take) cpu.Eip = (uint)insn.NearBranchTarget;
    }

    static void Jecxz(Cpu cpu, ref Instruction insn)
    {
        uint count = insn.Mnemonic == Mnemonic.Jecxz ? cpu.Gpr[1] : (ushort)cpu.Gpr[1];
        if (count == 0) cpu.Eip = (uint)insn.NearBranchTarget;
    }

    /// <summary>Reads the far pointer of a far JMP/CALL: (selector, offset).</summary>
    static bool FarTarget(Cpu cpu, ref Instruction insn, out ushort selector, out uint offset)
    {
        if (insn.Op0Kind is OpKind.FarBranch32 or OpKind.FarBranch16)
        {
            selector = insn.FarBranchSelector;
            offset = insn.Op0Kind == OpKind.FarBranch32 ? insn.FarBranch32 : insn.FarBranch16;
            return true;
        }
        int offSize = insn.MemorySize == MemorySize.SegPtr32 ? 2 : 4;
        uint ea = cpu.EffectiveAddress(ref insn);
        offset = cpu.ReadMem(ea, offSize);
        selector = (ushort)cpu.ReadMem(ea + (uint)offSize, 2);
        return !cpu.Faulted;
    }

    static void JmpFar(Cpu cpu, ref Instruction insn)
    {
        if (!FarTarget(cpu, ref insn, out ushort selector, out uint offset)) return;
        if (!cpu.CheckCodeSegment(selector, returning: false)) return;
        cpu.Selectors[(int)SegReg.CS] = (ushort)((selector & ~3) | cpu.Cpl);
        cpu.Eip = offset;
    }

    static void CallFar(Cpu cpu, ref Instruction insn)
    {
        if (!FarTarget(cpu, ref insn, out ushort selector, out uint offset)) return;
        if (!cpu.CheckCodeSegment(selector, returning: false)) return;
        int size = insn.Code is Call_ptr1616 or Call_m1616 ? 2 : 4;
        uint esp = cpu.Esp;
        if (!cpu.Push(cpu.Selectors[(int)SegReg.CS], size) || !cpu.Push(cpu.Eip, size)) { cpu.Esp = esp; return; }
        cpu.Selectors[(int)SegReg.CS] = (ushort)((selector & ~3) | cpu.Cpl);
        cpu.Eip = offset;
    }

    static void RetFar(Cpu cpu, ref Instruction insn)
    {
        int size = insn.Code is Retfw or Retfw_imm16 ? 2 : 4;
        uint release = insn.Op0Kind == OpKind.Immediate16 ? insn.Immediate16 : 0u;
        uint offset = cpu.PeekStack(size);
        ushort selector = (ushort)cpu.PeekStack(size, (uint)size);
        if (cpu.Faulted) return;
        if (!cpu.CheckCodeSegment(selector, returning: true)) return;
        int newCpl = selector & 3;
        if (newCpl == cpu.Cpl)
        {
            cpu.Esp += 2 * (uint)size + release;
        }
        else
        {
            uint top = 2 * (uint)size + release;
            uint newEsp = cpu.PeekStack(size, top);
            ushort newSs = (ushort)cpu.PeekStack(size, top + (uint)size);
            if (cpu.Faulted) return;
            if (!CheckOuterStack(cpu, newSs, newCpl)) return;
            cpu.Selectors[(int)SegReg.SS] = newSs;
            cpu.Esp = newEsp + release;
        }
        cpu.Selectors[(int)SegReg.CS] = selector;
        cpu.Eip = offset;
        if (newCpl > 0) cpu.NullInaccessibleDataSegments();
    }

    static bool CheckOuterStack(Cpu cpu, ushort ss, int newCpl)
    {
        uint error = ss & ~3u;
        if ((ss & ~3) == 0) { cpu.RaiseFault(Vector.GeneralProtection, 0); return false; }
        if (!cpu.ReadDescriptor(ss, out Descriptor d)) return false;
        if ((ss & 3) != newCpl || d.Dpl != newCpl || !d.IsWritableData) { cpu.RaiseFault(Vector.GeneralProtection, error); return false; }
        if (!d.Present) { cpu.RaiseFault(Vector.StackFault, error); return false; }
        return true;
    }

    static void Int(Cpu cpu, ref Instruction insn) => cpu.DeliverSoftwareInterrupt(insn.Immediate8);
    static void Int3Breakpoint(Cpu cpu, ref Instruction insn) => cpu.DeliverSoftwareInterrupt((int)Vector.Breakpoint);
    /// <summary>INT1 (ICEBP) raises #DB like the hardware does: no gate DPL check, EXT set (SDM INT n).</summary>
    static void Icebp(Cpu cpu, ref Instruction insn) =>
        cpu.DeliverSoftwareInterrupt((int)Vector.Debug, InterruptSource.Exception);

    static void IntOverflow(Cpu cpu, ref Instruction insn)
    {
        if (cpu.GetOF()) cpu.DeliverSoftwareInterrupt((int)Vector.Overflow);
    }

    /// <summary>IRET (SDM Vol. 2A): same-ring or outer-ring return; no task return, no V86.</summary>
    static void Iret(Cpu cpu, ref Instruction insn)
    {
        int size = insn.Code == Iretw ? 2 : 4;
        uint eip = cpu.PeekStack(size);
        ushort cs = (ushort)cpu.PeekStack(size, (uint)size);
        uint flags = cpu.PeekStack(size, 2 * (uint)size);
        if (cpu.Faulted) return;
        if (!cpu.CheckCodeSegment(cs, returning: true)) return;
        int oldCpl = cpu.Cpl, newCpl = cs & 3;
        uint newEsp = cpu.Esp + 3 * (uint)size;
        ushort newSs = cpu.Selectors[(int)SegReg.SS];
        if (newCpl > oldCpl)
        {
            newEsp = cpu.PeekStack(size, 3 * (uint)size);
            newSs = (ushort)cpu.PeekStack(size, 4 * (uint)size);
            if (cpu.Faulted) return;
            if (!CheckOuterStack(cpu, newSs, newCpl)) return;
        }
        if (size == 2) flags = (cpu.Eflags & 0xFFFF_0000u) | (flags & 0xFFFF);
        FlagControl.LoadEflagsChecked(cpu, flags, oldCpl, FlagControl.IretWritable);
        cpu.Selectors[(int)SegReg.CS] = cs;
        cpu.Selectors[(int)SegReg.SS] = newSs;
        cpu.Esp = newEsp;
        cpu.Eip = eip;
        if (newCpl > oldCpl) cpu.NullInaccessibleDataSegments();
    }
}
