/*G:765
 * cpu.c: the x86 tables a kernel with rings needs, owned by the kernel.
 *
 * The firmware's GDT has ring 0 segments only and its IDT sends every trap to
 * its own dispatcher.  A kernel with user tasks needs more, so it loads its
 * own three tables:
 *
 *   GDT  0x08/0x10 ring 0 code/data (the firmware's), 0x1B/0x23 ring 3
 *        code/data, 0x28 the TSS.
 *   TSS  only SS0:ESP0 matters: the stack a trap from ring 3 switches to,
 *        which the scheduler points at the running task's kernel stack.  The
 *        CPU reads it on every such trap.  No I/O bitmap (its offset is past
 *        the limit), so IN/OUT from ring 3 are #GP.
 *   IDT  exceptions and IRQs through entry.S's stubs (interrupt gates, DPL 0:
 *        "int $14" from ring 3 is #GP, not a fake page fault), and the system
 *        call gate at 0x80 with DPL 3, the one vector ring 3 may raise.
 *
 * DS, ES, FS and GS hold the ring 3 data selector, in the kernel too (as
 * Linux i386 did): a flat DPL 3 data segment serves both rings, IRET to ring 3
 * keeps it, and a trap from ring 3 finds it already loaded.  SS is the only
 * one that must change with the ring, and the CPU does that from the TSS.
 */
#include "kernel.h"

struct tss {
	uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
	uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
	uint32_t es, cs, ss, ds, fs, gs, ldt;
	uint16_t trap, iomap_base;
} __attribute__((packed));

struct gate {
	uint16_t offset_lo, selector;
	uint8_t zero, type;
	uint16_t offset_hi;
} __attribute__((packed));

struct table_pointer {
	uint16_t limit;
	uint32_t base;
} __attribute__((packed));

#define GATE_INTERRUPT 0x8E		/* present, DPL 0, 32-bit interrupt gate */
#define GATE_USER (3 << 5)		/* DPL 3 */

static struct tss tss __attribute__((aligned(128)));
static uint64_t gdt[6] __attribute__((aligned(8)));
static struct gate idt[256] __attribute__((aligned(8)));

static uint64_t tss_descriptor(uint32_t base, uint32_t limit)
{
	/* Present, DPL 0, type 9: an available 32-bit TSS; byte granularity. */
	return (uint64_t)(limit & 0xFFFF) | (uint64_t)(base & 0xFFFFFF) << 16 | 0x89ull << 40 |
	       (uint64_t)((limit >> 16) & 0xF) << 48 | (uint64_t)(base >> 24) << 56;
}

static void set_gate(unsigned vector, uint32_t handler, uint8_t type)
{
	idt[vector] = (struct gate){ (uint16_t)handler, KERNEL_CS, 0, type, (uint16_t)(handler >> 16) };
}

void tss_set_kernel_stack(uint32_t esp0)
{
	tss.esp0 = esp0;
}

void cpu_init(void)
{
	gdt[0] = 0;
	gdt[1] = 0x00CF9A000000FFFFull;		/* 0x08 code, DPL 0 */
	gdt[2] = 0x00CF92000000FFFFull;		/* 0x10 data, DPL 0 */
	gdt[3] = 0x00CFFA000000FFFFull;		/* 0x1B code, DPL 3 */
	gdt[4] = 0x00CFF2000000FFFFull;		/* 0x23 data, DPL 3 */
	gdt[5] = tss_descriptor((uint32_t)&tss, sizeof(tss) - 1);
	tss.ss0 = KERNEL_DS;
	tss.iomap_base = sizeof(tss);

	struct table_pointer g = { sizeof(gdt) - 1, (uint32_t)gdt };

	__asm__ __volatile__("lgdt %0\n\t"
			     "ljmp %1, $1f\n"
			     "1:\tmovw %w2, %%ss\n\t"
			     "movw %w3, %%ds\n\t"
			     "movw %w3, %%es\n\t"
			     "movw %w3, %%fs\n\t"
			     "movw %w3, %%gs\n\t"
			     "ltr %w4"
			     : : "m"(g), "i"(KERNEL_CS), "r"(KERNEL_DS), "r"(USER_DS), "r"(TSS_SEL)
			     : "memory");

	for (unsigned v = 0; v < 32 + NR_IRQS; v++)
		set_gate(v < 32 ? v : IRQ_BASE_VECTOR + v - 32, trap_stubs[v], GATE_INTERRUPT);
	/* An interrupt gate, not a trap gate: system calls run with interrupts off, like all the kernel. */
	set_gate(SYSCALL_VECTOR, (uint32_t)syscall_stub, GATE_INTERRUPT | GATE_USER);

	struct table_pointer i = { sizeof(idt) - 1, (uint32_t)idt };

	__asm__ __volatile__("lidt %0" : : "m"(i) : "memory");
}
