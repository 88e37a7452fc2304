/*G:040
 * pv.h: are we running under Puppyvisor, and what does it offer?
 *
 * pv_detect() asks CPUID once at boot and fills "pv"; everything else in the
 * firmware looks at that structure instead of asking again.  When the
 * signature is not "PuppyvisorPV" (QEMU, real hardware) pv.present is false
 * and the firmware falls back to plain devices: the UART for the console and
 * the isa-debug-exit port for shutdown.
 */
#ifndef FW_PV_H
#define FW_PV_H

#include <stdbool.h>
#include <stdint.h>

struct pv_info {
	bool present;		/* signature "PuppyvisorPV" found */
	uint32_t max_leaf;	/* EAX of PV_CPUID_BASE */
	uint32_t features;	/* PV_FEATURE_* bits */
	uint32_t tsc_khz;	/* TSC frequency in kHz (PV_DEFAULT_TSC_KHZ if unknown) */
	uint32_t abi_version;	/* HCALL_VERSION's answer, 0 if not present */
};

extern struct pv_info pv;

void pv_detect(void);

static inline bool pv_has(uint32_t feature)
{
	return pv.present && (pv.features & feature) == feature;
}

/*
 * End the guest with an exit status (its low 8 bits count).  Under Puppyvisor
 * this is HCALL_SHUTDOWN; elsewhere it writes the status to the isa-debug-exit
 * port, and QEMU then exits with (status << 1) | 1.  Never returns.
 */
void __attribute__((noreturn)) shutdown(uint32_t status);

/* Exit statuses the firmware itself uses. */
#define FW_EXIT_OK 0
#define FW_EXIT_FAIL 1		/* a guest's own checks failed */
#define FW_EXIT_PANIC 2		/* unexpected exception or firmware panic */

#endif /* FW_PV_H */
