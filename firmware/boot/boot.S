/*G:100
 * boot.S: the first instructions a guest runs.
 *
 * A Puppyvisor guest is an ordinary multiboot v1 kernel, so the very same ELF
 * file boots under "qemu-system-i386 -kernel" and under Puppyvisor.  This file
 * holds the multiboot header the loader looks for, and the entry point.  The
 * loader leaves us in 32-bit protected mode with paging off and interrupts off,
 * EAX = 0x2BADB002 and EBX = the physical address of the multiboot info.  The
 * multiboot spec promises nothing about the stack or the GDT (Puppyvisor does
 * give us CS=0x08, ESP=0x9F000, but QEMU's stub does not promise it), so before
 * any C runs we load a stack of our own and a flat GDT of our own.
 */
#include "puppyvisor.h"

/*
 * Flags: bit 0 = align modules on pages, bit 1 = give us the memory info.
 * Bit 16 (the "a.out kludge": load addresses in the header) is deliberately
 * clear, so the loader reads the ELF program headers instead.
 */
#define MB_FLAGS 0x00000003

/*
 * The header must sit, 4-byte aligned, in the first 8 KiB of the file.  The
 * linker script puts .multiboot first in the first loaded segment.
 */
	.section .multiboot, "a"
	.p2align 2
	.globl multiboot_header
multiboot_header:
	.long MULTIBOOT_HEADER_MAGIC
	.long MB_FLAGS
	.long -(MULTIBOOT_HEADER_MAGIC + MB_FLAGS)

/*G:110
 * The entry point.  We touch neither EAX nor EBX until we have handed them to
 * C as arguments.  Order matters: stack first (so the far return path of a
 * fault would at least have somewhere to push), then the GDT, then reload every
 * segment register so none of them still holds a descriptor cached from the
 * loader's GDT (which may be gone), then CS with a far jump.
 */
	.text
	.globl _start
	.type _start, @function
_start:
	cli
	cld
	movl	$boot_stack_top, %esp

	lgdt	gdt_descriptor
	movw	$KERNEL_DS, %cx
	movw	%cx, %ds
	movw	%cx, %es
	movw	%cx, %fs
	movw	%cx, %gs
	movw	%cx, %ss
	ljmp	$KERNEL_CS, $1f
1:
	/* A clean frame: a zero return address and EBP end a backtrace here. */
	xorl	%ebp, %ebp
	pushl	%ebx			/* fw_main(magic, mbi) */
	pushl	%eax
	pushl	$0
	jmp	fw_main			/* never returns */
	.size _start, . - _start

/*
 * The flat GDT: a null descriptor, ring 0 code (0x08) and ring 0 data (0x10),
 * both base 0, limit 4 GiB (granularity 4 KiB), 32-bit.
 */
	.section .rodata
	.p2align 3
gdt:
	.quad 0x0000000000000000	/* 0x00: null */
	.quad 0x00CF9A000000FFFF	/* 0x08: code, execute/read, DPL 0 */
	.quad 0x00CF92000000FFFF	/* 0x10: data, read/write, DPL 0 */
gdt_end:

	.p2align 2
gdt_descriptor:
	.word gdt_end - gdt - 1		/* limit */
	.long gdt			/* base (linear) */

/* 16 KiB of boot stack; the only stack this firmware ever uses. */
	.section .bss
	.p2align 4
	.globl boot_stack_bottom, boot_stack_top
boot_stack_bottom:
	.skip 16384
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
