// [C:920] What this CPU does not have: the x87 FPU, MMX and SSE (DESIGN §1).
//
// x87 instructions raise #NM when CR0.EM or CR0.TS is set, so a kernel can emulate
// them, and #UD otherwise; MMX, SSE and later extensions raise #UD. These are
// architectural answers, so unlike a missing integer instruction they are not
// reported as "unimplemented".
using Iced.Intel;

namespace Puppyvisor.Cpu.Instructions;

internal static unsafe class FpuAndSimd
{
    public static void Register()
    {
        foreach (Code code in Enum.GetValues<Code>())
        {
            if (code == Code.INVALID || DispatchTable.IsImplemented(code)) continue;
            // VMX is not present (only VMCALL, the hypercall instruction, is): its other
            // instructions are architecturally #UD, not unimplemented.
            if (Array.Exists(code.CpuidFeatures(), f => f == CpuidFeature.VMX)) { DispatchTable.Set(code, &NotPresent); continue; }
            CpuidFeature[] features = code.CpuidFeatures();
            if (Array.Exists(features, f => f is CpuidFeature.FPU or CpuidFeature.FPU287 or CpuidFeature.FPU387))
                DispatchTable.Set(code, &X87);
            else if (code.Encoding() != EncodingKind.Legacy || Array.Exists(features, IsBeyondP6))
                DispatchTable.Set(code, &NotPresent);
        }
    }

    /// <summary>Extensions a P6 without FPU does not have: every SIMD set, 64-bit mode, later integer ones.</summary>
    internal static bool IsBeyondP6(CpuidFeature f) => f is not (CpuidFeature.INTEL8086 or CpuidFeature.INTEL186 or
        CpuidFeature.INTEL286 or CpuidFeature.INTEL386 or CpuidFeature.INTEL486 or CpuidFeature.PAUSE or
        CpuidFeature.CPUID or CpuidFeature.TSC or CpuidFeature.MSR or CpuidFeature.CX8 or CpuidFeature.CMOV or
        CpuidFeature.MULTIBYTENOP or CpuidFeature.VMX or CpuidFeature.INTEL8086_ONLY or CpuidFeature.INTEL386_ONLY or
        CpuidFeature.INTEL286_ONLY);

    static void X87(Cpu cpu, ref Instruction insn) =>
        cpu.RaiseFault((cpu.Cr0 & (Cpu.CR0_EM | Cpu.CR0_TS)) != 0 ? Vector.DeviceNotAvailable : Vector.InvalidOpcode);

    static void NotPresent(Cpu cpu, ref Instruction insn) => cpu.RaiseFault(Vector.InvalidOpcode);
}
