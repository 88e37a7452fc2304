/*G:200
 * pv.c: finding the hypervisor.
 *
 * The hypervisor announces itself the way KVM, Xen and Hyper-V do: CPUID.1
 * sets ECX bit 31 ("running under a hypervisor"), and the leaves from
 * 0x40000000 up belong to it.  The base leaf names it; we only trust the other
 * leaves (and only ever execute VMCALL) once the name is "PuppyvisorPV".  On a
 * machine without it VMCALL would raise #UD, so this check guards every
 * hypercall in the firmware.
 */
#include "puppyvisor.h"
#include "fw/cpu.h"
#include "fw/pv.h"

struct pv_info pv = {
	.present = false,
	.tsc_khz = PV_DEFAULT_TSC_KHZ,
};

void pv_detect(void)
{
	struct cpuid_regs r;

	pv.present = false;
	pv.max_leaf = 0;
	pv.features = 0;
	pv.tsc_khz = PV_DEFAULT_TSC_KHZ;
	pv.abi_version = 0;

	r = cpuid(1);
	if (!(r.ecx & PV_CPUID_HYPERVISOR_BIT))
		return;

	r = cpuid(PV_CPUID_BASE);
	if (r.ebx != PV_SIGNATURE_EBX || r.ecx != PV_SIGNATURE_ECX ||
	    r.edx != PV_SIGNATURE_EDX)
		return;

	pv.present = true;
	pv.max_leaf = r.eax;
	if (pv.max_leaf >= PV_CPUID_FEATURES)
		pv.features = cpuid(PV_CPUID_FEATURES).eax;
	if (pv.max_leaf >= PV_CPUID_TSC_KHZ) {
		uint32_t khz = cpuid(PV_CPUID_TSC_KHZ).eax;

		if (khz)
			pv.tsc_khz = khz;
	}
	pv.abi_version = hcall0(HCALL_VERSION);
}
