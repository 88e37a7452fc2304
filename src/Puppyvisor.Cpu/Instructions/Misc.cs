// [C:910] The rest of the one-byte map: PAUSE, UD2 (and UD0/UD1), WAIT, BOUND, SALC.
using Iced.Intel;
using static Iced.Intel.Code;

namespace Puppyvisor.Cpu.Instructions;

internal static unsafe class Misc
{
    public static void Register()
    {
        DispatchTable.Set(Pause, &PauseHint);
        DispatchTable.Set(&Undefined, Ud2, Ud0, Ud0_r16_rm16, Ud0_r32_rm32, Ud1_r16_rm16, Ud1_r32_rm32);
        DispatchTable.Set(Wait, &WaitForFpu);
        DispatchTable.Set(&Bound, Bound_r16_m1616, Bound_r32_m3232);
        DispatchTable.Set(Salc, &SetAlFromCarry);
    }

    static void PauseHint(Cpu cpu, ref Instruction insn) { }

    static void Undefined(Cpu cpu, ref Instruction insn) => cpu.RaiseFault(Vector.InvalidOpcode);

    /// <summary>WAIT raises #NM when CR0.MP and CR0.TS are both set (SDM Table 2-2); there is no FPU to wait for.</summary>
    static void WaitForFpu(Cpu cpu, ref Instruction insn)
    {
        if ((cpu.Cr0 & (Cpu.CR0_MP | Cpu.CR0_TS)) == (Cpu.CR0_MP | Cpu.CR0_TS)) cpu.RaiseFault(Vector.DeviceNotAvailable);
    }

    /// <summary>SALC (D6, undocumented but present on every IA-32 part): AL = CF ? FFh : 0; flags unchanged.</summary>
    static void SetAlFromCarry(Cpu cpu, ref Instruction insn) => cpu.SetReg8(0, cpu.GetCF() ? 0xFFu : 0);

    /// <summary>BOUND: #BR unless lower &lt;= index &lt;= upper, all signed.</summary>
    static void Bound(Cpu cpu, ref Instruction insn)
    {
        int size = Cpu.RegisterSize(insn.Op0Register);
        uint ea = cpu.EffectiveAddress(ref insn);
        uint lower = cpu.ReadMem(ea, size), upper = cpu.ReadMem(ea + (uint)size, size);
        if (cpu.Faulted) return;
        uint index = cpu.GetRegister(insn.Op0Register);
        int shift = 32 - 8 * size;
        int i = (int)(index << shift) >> shift, lo = (int)(lower << shift) >> shift, hi = (int)(upper << shift) >> shift;
        if (i < lo || i > hi) cpu.RaiseFault(Vector.BoundRange);
    }
}
