// [C:860] What a kernel needs: descriptor tables, control and debug registers, INVLPG,
// HLT, CPUID, RDTSC, RDMSR/WRMSR and VMCALL, the hypercall instruction (DESIGN §2).
//
// Privileged instructions raise #GP(0) outside ring 0 (SDM Vol. 3A, 5.9). Anything
// that changes how addresses translate (CR0, CR3, CR4, INVLPG) ends the decoded
// block, so the next instruction is fetched under the new rules.
using Iced.Intel;
using static Iced.Intel.Code;

namespace Puppyvisor.Cpu.Instructions;

internal static unsafe class SystemInstructions
{
    public static void Register()
    {
        DispatchTable.Set(&Lgdt, Lgdt_m1632, Lgdt_m1632_16);
        DispatchTable.Set(&Lidt, Lidt_m1632, Lidt_m1632_16);
        DispatchTable.Set(&Sgdt, Sgdt_m1632, Sgdt_m1632_16);
        DispatchTable.Set(&Sidt, Sidt_m1632, Sidt_m1632_16);
        DispatchTable.Set(&Ltr, Ltr_rm16, Ltr_r32m16);
        DispatchTable.Set(&Str, Str_rm16, Str_r32m16);
        DispatchTable.Set(&Sldt, Sldt_rm16, Sldt_r32m16);
        DispatchTable.Set(&Lldt, Lldt_rm16, Lldt_r32m16);
        DispatchTable.Set(&Smsw, Smsw_rm16, Smsw_r32m16);
        DispatchTable.Set(&Lmsw, Lmsw_rm16, Lmsw_r32m16);
        DispatchTable.Set(Mov_r32_cr, &MovFromCr);
        DispatchTable.Set(Mov_cr_r32, &MovToCr);
        DispatchTable.Set(Mov_r32_dr, &MovFromDr);
        DispatchTable.Set(Mov_dr_r32, &MovToDr);
        DispatchTable.Set(Invlpg_m, &Invlpg);
        DispatchTable.Set(Clts, &ClearTaskSwitched);
        DispatchTable.Set(&CacheControl, Wbinvd, Invd);
        DispatchTable.Set(Hlt, &Halt);
        DispatchTable.Set(Cpuid, &CpuIdentification);
        DispatchTable.Set(Rdtsc, &ReadTimeStampCounter);
        DispatchTable.Set(Rdmsr, &ReadMsr);
        DispatchTable.Set(Wrmsr, &WriteMsr);
        DispatchTable.Set(Vmcall, &Hypercall);
        foreach (Code c in (ReadOnlySpan<Code>)[Mov_cr_r32, Invlpg_m, Hlt, Vmcall, Wrmsr, Lmsw_rm16, Lmsw_r32m16, Clts])
            DispatchTable.EndsBlock[(int)c] = true;
    }

    /// <summary>#GP(0) unless at CPL 0; true when the instruction may go on.</summary>
    static bool RequireRing0(Cpu cpu)
    {
        if (cpu.Cpl == 0) return true;
        cpu.RaiseFault(Vector.GeneralProtection, 0);
        return false;
    }

    static bool ReadPseudoDescriptor(Cpu cpu, ref Instruction insn, out ushort limit, out uint baseAddress)
    {
        uint ea = cpu.EffectiveAddress(ref insn);
        limit = (ushort)cpu.ReadMem(ea, 2);
        baseAddress = cpu.ReadMem(ea + 2, 4);
        // With a 16-bit operand size only 24 bits of the base are used (SDM LGDT).
        if (insn.Code is Lgdt_m1632_16 or Lidt_m1632_16) baseAddress &= 0x00FF_FFFF;
        return !cpu.Faulted;
    }

    static void Lgdt(Cpu cpu, ref Instruction insn)
    {
        if (!RequireRing0(cpu) || !ReadPseudoDescriptor(cpu, ref insn, out ushort limit, out uint b)) return;
        cpu.GdtLimit = limit; cpu.GdtBase = b;
    }

    static void Lidt(Cpu cpu, ref Instruction insn)
    {
        if (!RequireRing0(cpu) || !ReadPseudoDescriptor(cpu, ref insn, out ushort limit, out uint b)) return;
        cpu.IdtLimit = limit; cpu.IdtBase = b;
    }

    static void StorePseudoDescriptor(Cpu cpu, ref Instruction insn, ushort limit, uint baseAddress)
    {
        uint ea = cpu.EffectiveAddress(ref insn);
        if (!cpu.ProbeWrite(ea, 6)) return;
        cpu.WriteMem(ea, 2, limit);
        cpu.WriteMem(ea + 2, 4, baseAddress);
    }

    static void Sgdt(Cpu cpu, ref Instruction insn) => StorePseudoDescriptor(cpu, ref insn, cpu.GdtLimit, cpu.GdtBase);
    static void Sidt(Cpu cpu, ref Instruction insn) => StorePseudoDescriptor(cpu, ref insn, cpu.IdtLimit, cpu.IdtBase);

    static void Ltr(Cpu cpu, ref Instruction insn)
    {
        if (!RequireRing0(cpu)) return;
        ushort selector = (ushort)cpu.ReadOperand(ref insn, 0, 2);
        if (!cpu.Faulted) cpu.LoadTaskRegister(selector);
    }

    /// <summary>STR/SLDT/SMSW store 16 bits to memory, or zero-extend into a 32-bit register.</summary>
    static void StoreSystemWord(Cpu cpu, ref Instruction insn, uint value)
    {
        int size = insn.Op0Kind == OpKind.Register ? Cpu.RegisterSize(insn.Op0Register) : 2;
        cpu.WriteOperand(ref insn, 0, size, value);
    }

    static void Str(Cpu cpu, ref Instruction insn) => StoreSystemWord(cpu, ref insn, cpu.TaskRegister);
    static void Sldt(Cpu cpu, ref Instruction insn) => StoreSystemWord(cpu, ref insn, 0);     // no LDT
    static void Smsw(Cpu cpu, ref Instruction insn) =>
        StoreSystemWord(cpu, ref insn, insn.Op0Kind == OpKind.Register ? cpu.Cr0 : cpu.Cr0 & 0xFFFF);

    /// <summary>LLDT: there is no LDT (DESIGN §1); only the null selector may be loaded.</summary>
    static void Lldt(Cpu cpu, ref Instruction insn)
    {
        if (!RequireRing0(cpu)) return;
        ushort selector = (ushort)cpu.ReadOperand(ref insn, 0, 2);
        if (!cpu.Faulted && (selector & ~3) != 0) cpu.RaiseFault(Vector.GeneralProtection, selector & ~3u);
    }

    /// <summary>LMSW loads PE, MP, EM and TS; it cannot clear PE.</summary>
    static void Lmsw(Cpu cpu, ref Instruction insn)
    {
        if (!RequireRing0(cpu)) return;
        uint v = cpu.ReadOperand(ref insn, 0, 2);
        if (cpu.Faulted) return;
        cpu.Cr0 = (cpu.Cr0 & ~0xEu) | (v & 0xF) | Cpu.CR0_PE;
    }

    static void MovFromCr(Cpu cpu, ref Instruction insn)
    {
        if (!RequireRing0(cpu)) return;
        uint v;
        switch (insn.Op1Register)
        {
            case Iced.Intel.Register.CR0: v = cpu.Cr0; break;
            case Iced.Intel.Register.CR2: v = cpu.Cr2; break;
            case Iced.Intel.Register.CR3: v = cpu.Cr3; break;
            case Iced.Intel.Register.CR4: v = cpu.Cr4; break;
            default: cpu.RaiseFault(Vector.InvalidOpcode); return;
        }
        cpu.Gpr[Cpu.RegisterNumber(insn.Op0Register)] = v;
    }

    const uint Cr0Writable = Cpu.CR0_PE | Cpu.CR0_MP | Cpu.CR0_EM | Cpu.CR0_TS | Cpu.CR0_NE | Cpu.CR0_WP |
        Cpu.CR0_AM | (1u << 29) | (1u << 30) | Cpu.CR0_PG;
    const uint Cr4Writable = (1u << 2) | (1u << 3) | Cpu.CR4_PSE;   // TSD, DE, PSE: what CPUID advertises

    static void MovToCr(Cpu cpu, ref Instruction insn)
    {
        if (!RequireRing0(cpu)) return;
        uint v = cpu.Gpr[Cpu.RegisterNumber(insn.Op1Register)];
        switch (insn.Op0Register)
        {
            case Iced.Intel.Register.CR0:
                // No real mode here (DESIGN §1): clearing PE, or PG without PE, is #GP(0).
                if ((v & Cpu.CR0_PE) == 0 || ((v & (1u << 29)) != 0 && (v & (1u << 30)) == 0))
                { cpu.RaiseFault(Vector.GeneralProtection, 0); return; }
                uint old = cpu.Cr0;
                cpu.Cr0 = (v & Cr0Writable) | Cpu.CR0_ET;
                if (((old ^ cpu.Cr0) & (Cpu.CR0_PG | Cpu.CR0_WP)) != 0) cpu.FlushTlb();
                break;
            case Iced.Intel.Register.CR2: cpu.Cr2 = v; break;
            case Iced.Intel.Register.CR3: cpu.Cr3 = v & 0xFFFF_F018u; cpu.FlushTlb(); break;
            case Iced.Intel.Register.CR4:
                if ((v & ~Cr4Writable) != 0) { cpu.RaiseFault(Vector.GeneralProtection, 0); return; }
                cpu.Cr4 = v; cpu.FlushTlb();
                break;
            default: cpu.RaiseFault(Vector.InvalidOpcode); break;
        }
    }

    static int DebugRegisterNumber(Register r) => r - Iced.Intel.Register.DR0;

    static void MovFromDr(Cpu cpu, ref Instruction insn)
    {
        if (!RequireRing0(cpu)) return;
        int n = DebugRegisterNumber(insn.Op1Register);
        if (n > 7) { cpu.RaiseFault(Vector.InvalidOpcode); return; }
        if (n is 4 or 5) n += 2;                    // aliases of DR6/DR7 while CR4.DE is clear
        cpu.Gpr[Cpu.RegisterNumber(insn.Op0Register)] = cpu.Dr[n];
    }

    static void MovToDr(Cpu cpu, ref Instruction insn)
    {
        if (!RequireRing0(cpu)) return;
        int n = DebugRegisterNumber(insn.Op0Register);
        if (n > 7) { cpu.RaiseFault(Vector.InvalidOpcode); return; }
        if (n is 4 or 5) n += 2;
        uint v = cpu.Gpr[Cpu.RegisterNumber(insn.Op1Register)];
        cpu.Dr[n] = n switch { 6 => v | 0xFFFF_0FF0u, 7 => (v | 0x400) & ~0x0000_D000u, _ => v };
    }

    static void Invlpg(Cpu cpu, ref Instruction insn)
    {
        if (!RequireRing0(cpu)) return;
        cpu.FlushTlbEntry(cpu.EffectiveAddress(ref insn));
    }

    static void ClearTaskSwitched(Cpu cpu, ref Instruction insn)
    {
        if (RequireRing0(cpu)) cpu.Cr0 &= ~Cpu.CR0_TS;
    }

    static void CacheControl(Cpu cpu, ref Instruction insn) => RequireRing0(cpu);

    /// <summary>HLT: stop until an interrupt can be delivered; the monitor decides how long that is.</summary>
    static void Halt(Cpu cpu, ref Instruction insn)
    {
        if (!RequireRing0(cpu)) return;
        cpu.Halted = true;
        cpu.Exit(ExitReason.Halt);
    }

    static void CpuIdentification(Cpu cpu, ref Instruction insn)
    {
        CpuidLeaves.Query(cpu, cpu.Gpr[0], out uint a, out uint b, out uint c, out uint d);
        cpu.Gpr[0] = a; cpu.Gpr[3] = b; cpu.Gpr[1] = c; cpu.Gpr[2] = d;
    }

    static void ReadTimeStampCounter(Cpu cpu, ref Instruction insn)
    {
        if ((cpu.Cr4 & (1u << 2)) != 0 && cpu.Cpl != 0) { cpu.RaiseFault(Vector.GeneralProtection, 0); return; }
        ulong tsc = cpu.ReadTsc();
        cpu.Gpr[0] = (uint)tsc; cpu.Gpr[2] = (uint)(tsc >> 32);
    }

    const uint MsrTsc = 0x10;

    static void ReadMsr(Cpu cpu, ref Instruction insn)
    {
        if (!RequireRing0(cpu)) return;
        if (cpu.Gpr[1] != MsrTsc) { cpu.RaiseFault(Vector.GeneralProtection, 0); return; }
        ulong tsc = cpu.ReadTsc();
        cpu.Gpr[0] = (uint)tsc; cpu.Gpr[2] = (uint)(tsc >> 32);
    }

    static void WriteMsr(Cpu cpu, ref Instruction insn)
    {
        if (!RequireRing0(cpu)) return;
        if (cpu.Gpr[1] != MsrTsc) { cpu.RaiseFault(Vector.GeneralProtection, 0); return; }
        cpu.WriteTsc(((ulong)cpu.Gpr[2] << 32) | cpu.Gpr[0]);
    }

    /// <summary>VMCALL traps to the monitor (lguest's hypercall trap); it checks CPL and answers in EAX.</summary>
    static void Hypercall(Cpu cpu, ref Instruction insn) => cpu.Exit(ExitReason.Hypercall);
}
