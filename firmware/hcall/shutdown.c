/*G:210
 * shutdown.c: how a guest ends.
 *
 * Under Puppyvisor, HCALL_SHUTDOWN with the status in EBX (lguest's
 * LHCALL_SHUTDOWN, number 2).  Anywhere else we write the status to QEMU's
 * isa-debug-exit port (0xF4), which ends QEMU with exit code (status << 1) | 1:
 * so status 0 shows as 1 on QEMU, status 1 as 3.  If neither worked (no such
 * device) we halt with interrupts off, which is the best a bare machine can do.
 */
#include "puppyvisor.h"
#include "fw/cpu.h"
#include "fw/pv.h"

void shutdown(uint32_t status)
{
	cli();
	if (pv.present)
		hcall1(HCALL_SHUTDOWN, status);
	outb(DEBUG_EXIT_PORT, (uint8_t)status);
	cli_hlt_forever();
}
