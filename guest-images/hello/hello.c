/*G:700
 * hello.c: the smallest useful guest.
 *
 * It prints a greeting, the command line and the memory size the loader
 * reported, and shuts down with status 0.  It prints exactly the same lines
 * under Puppyvisor and under qemu-system-i386: only the transport differs
 * (HCALL_CONSOLE_WRITE or the UART; HCALL_SHUTDOWN or isa-debug-exit), which
 * makes it the first thing to run on a new monitor or CPU change.
 */
#include "fw/firmware.h"

int kmain(void)
{
	printf("Hello from Puppyvisor guest!\n");
	printf("cmdline: %s\n", boot_info.cmdline);
	printf("memory: %u KiB\n", boot_info.memory_kb);
	return 0;
}
