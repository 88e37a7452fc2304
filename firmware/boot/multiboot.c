/*G:130
 * multiboot.c: reading the multiboot information, and the command line.
 *
 * Memory size.  mem_upper is the KiB of contiguous RAM from 1 MiB up, but the
 * BIOS keeps some of the top for itself: under qemu-system-i386 7.2 (SeaBIOS)
 * "-m 16" gives mem_lower = 639 (the EBDA takes the last KiB below 640 KiB)
 * and mem_upper = 15232 (16 MiB - 1 MiB - 128 KiB of SeaBIOS tables, marked
 * reserved in the memory map).  So the firmware's "memory size" is
 * mem_upper + 1024 rounded up to a whole MiB: 16384 KiB for -m 16, the RAM
 * size as given.  A monitor that mirrors QEMU's numbers exactly, or simply
 * reports mem_upper = RAM - 1 MiB, gives the same answer.
 *
 * The command line.  QEMU's multiboot loader passes the -kernel file name as
 * typed, a space, then the -append text verbatim:
 *   -kernel hello/hello.elf -append "foo bar"  gives  "hello/hello.elf foo bar"
 *   -kernel hello/hello.elf (no -append)       gives  "hello/hello.elf " (note the space)
 * We keep the string exactly as given; the key lookups below skip words that
 * do not match, so the leading file name is harmless.
 */
#include "fw/multiboot.h"
#include "fw/string.h"
#include "puppyvisor.h"

struct boot_info boot_info;

void multiboot_parse(uint32_t magic, const struct multiboot_info *mbi)
{
	boot_info.multiboot = magic == MULTIBOOT_BOOTLOADER_MAGIC && mbi;
	if (!boot_info.multiboot)
		return;

	if (mbi->flags & MB_INFO_MEMORY) {
		boot_info.mem_lower_kb = mbi->mem_lower;
		boot_info.mem_upper_kb = mbi->mem_upper;
		boot_info.memory_kb = (mbi->mem_upper + 1024 + 1023) & ~1023u;
	}
	if ((mbi->flags & MB_INFO_CMDLINE) && mbi->cmdline)
		strlcpy(boot_info.cmdline, (const char *)(uintptr_t)mbi->cmdline,
			sizeof(boot_info.cmdline));
	if (mbi->flags & MB_INFO_MMAP) {
		boot_info.mmap_addr = mbi->mmap_addr;
		boot_info.mmap_length = mbi->mmap_length;
	}
}

const char *cmdline_find(const char *key)
{
	const char *p = boot_info.cmdline;
	size_t klen = strlen(key);

	while (*p) {
		if (strncmp(p, key, klen) == 0)
			return p + klen;
		/* On to the start of the next word. */
		while (*p && *p != ' ')
			p++;
		while (*p == ' ')
			p++;
	}
	return NULL;
}

unsigned long cmdline_get(const char *key, unsigned long def)
{
	const char *v = cmdline_find(key), *end;
	unsigned long n;

	if (!v)
		return def;
	n = strtoul(v, &end, 0);
	if (end == v || (*end && *end != ' '))
		return def;	/* not a number: keep the default */
	return n;
}

bool cmdline_has(const char *word)
{
	const char *p = boot_info.cmdline;
	size_t len = strlen(word);

	while (*p) {
		size_t n = 0;

		while (p[n] && p[n] != ' ')
			n++;
		if (n == len && strncmp(p, word, len) == 0)
			return true;
		p += n;
		while (*p == ' ')
			p++;
	}
	return false;
}
