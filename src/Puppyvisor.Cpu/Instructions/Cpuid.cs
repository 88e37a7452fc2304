// [C:870] CPUID: a P6-class processor without an FPU, and Puppyvisor's leaves (DESIGN §1-2).
//
// Leaf 1's feature bits list exactly what is implemented. The hypervisor range at
// 0x40000000 is how a guest finds the paravirtual interface: signature, features,
// TSC frequency.
namespace Puppyvisor.Cpu.Instructions;

public static class CpuidLeaves
{
    public const uint HypervisorBase = 0x4000_0000, HypervisorFeatures = 0x4000_0001, HypervisorTscKhz = 0x4000_0010;

    /// <summary>Leaf 1 EDX: PSE, TSC, MSR, CX8, CMOV (no FPU, no PAE, no APIC, no SEP, no PGE).</summary>
    public const uint FeaturesEdx = (1u << 3) | (1u << 4) | (1u << 5) | (1u << 8) | (1u << 15);
    /// <summary>Leaf 1 ECX: only bit 31, "running under a hypervisor".</summary>
    public const uint FeaturesEcx = 1u << 31;
    /// <summary>Family 6, model 3, stepping 3: a Pentium II class part.</summary>
    public const uint Signature = 0x0000_0633;
    /// <summary>The paravirtual features of leaf 0x40000001: clockevent, console, wallclock.</summary>
    public const uint PvFeatures = 0x7;

    static uint Chars(string four) => (uint)(four[0] | four[1] << 8 | four[2] << 16 | four[3] << 24);

    public static void Query(Cpu cpu, uint leaf, out uint eax, out uint ebx, out uint ecx, out uint edx)
    {
        eax = ebx = ecx = edx = 0;
        switch (leaf)
        {
            case 0:
                eax = 1; ebx = Chars("Genu"); edx = Chars("ineI"); ecx = Chars("ntel");
                break;
            case HypervisorBase:
                eax = HypervisorTscKhz; ebx = Chars("Pupp"); ecx = Chars("yvis"); edx = Chars("orPV");
                break;
            case HypervisorFeatures:
                eax = PvFeatures;
                break;
            case HypervisorTscKhz:
                eax = cpu.Host.TscKhz;
                break;
            case >= HypervisorBase and <= HypervisorTscKhz:
                break;
            case 0x8000_0000:
                eax = 0x8000_0000;                  // no extended leaves
                break;
            default:
                // Intel: a leaf above the maximum returns the highest basic leaf (SDM CPUID).
                eax = Signature; edx = FeaturesEdx; ecx = FeaturesEcx;
                break;
        }
    }
}
