/*G:050
 * multiboot.h: what the boot loader tells us, and the command line.
 *
 * The loader (QEMU's multiboot stub, or the Puppyvisor monitor mirroring it)
 * leaves a struct multiboot_info somewhere in low memory.  We read the fields
 * we need once at boot into struct boot_info and copy the command line into
 * our own buffer, so nothing later depends on the loader's memory staying put.
 */
#ifndef FW_MULTIBOOT_H
#define FW_MULTIBOOT_H

#include <stdbool.h>
#include <stdint.h>

/* Bits of multiboot_info.flags saying which fields are valid. */
#define MB_INFO_MEMORY 0x001	/* mem_lower, mem_upper */
#define MB_INFO_CMDLINE 0x004	/* cmdline */
#define MB_INFO_MMAP 0x040	/* mmap_length, mmap_addr */

/* The multiboot v1 information structure (the fields up to the mmap). */
struct multiboot_info {
	uint32_t flags;
	uint32_t mem_lower;	/* KiB of memory from 0, at most 640 */
	uint32_t mem_upper;	/* KiB of memory from 1 MiB up to the first hole */
	uint32_t boot_device;
	uint32_t cmdline;	/* physical address of a NUL-terminated string */
	uint32_t mods_count;
	uint32_t mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length;	/* bytes of memory map */
	uint32_t mmap_addr;	/* physical address of the first entry */
} __attribute__((packed));

/* One memory map entry; "size" counts the bytes after itself. */
struct multiboot_mmap_entry {
	uint32_t size;
	uint64_t addr;
	uint64_t len;
	uint32_t type;		/* 1 = available RAM */
} __attribute__((packed));

#define CMDLINE_MAX 256

struct boot_info {
	bool multiboot;		/* EAX held the multiboot magic */
	uint32_t mem_lower_kb;
	uint32_t mem_upper_kb;
	uint32_t memory_kb;	/* mem_upper + 1024, rounded up to a MiB: the RAM size */
	char cmdline[CMDLINE_MAX];	/* "" when the loader gave none */
	uint32_t mmap_addr, mmap_length;
};

extern struct boot_info boot_info;

void multiboot_parse(uint32_t magic, const struct multiboot_info *mbi);

/*
 * Command-line helpers.  A key is matched only at the start of a word (the
 * line's start or after a space), and must be given with its '=':
 *   cmdline_get("duration_ms=", 1000)  -> the number after it, or 1000
 *   cmdline_find("idle=")              -> pointer to the value, or NULL
 *   cmdline_has("quiet")               -> whether that exact word is present
 */
const char *cmdline_find(const char *key);
unsigned long cmdline_get(const char *key, unsigned long def);
bool cmdline_has(const char *word);

#endif /* FW_MULTIBOOT_H */
