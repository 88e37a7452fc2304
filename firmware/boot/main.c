/*G:120
 * main.c: from the boot stub to the guest's kmain().
 *
 * boot.S arrives here on its own stack and GDT, with the loader's EAX and EBX
 * as arguments.  Order: find the hypervisor first (the console back end
 * depends on it), then the console, then everything that might want to print.
 * Interrupts stay off; a guest that wants them enables them itself once its
 * handlers are in place.
 */
#include "fw/firmware.h"

void __attribute__((noreturn)) fw_main(uint32_t magic, const struct multiboot_info *mbi);

void fw_main(uint32_t magic, const struct multiboot_info *mbi)
{
	pv_detect();
	console_init();
	multiboot_parse(magic, mbi);
	idt_init();
	shutdown((uint32_t)kmain());
}
