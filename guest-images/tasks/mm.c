/*G:775
 * mm.c: one page directory per task.
 *
 * Every address space maps the same three things:
 *
 *   the kernel   identity-mapped, supervisor only, writable.  The first 4 MiB
 *                through a page table of 4 KiB pages that leaves page 0 out (a
 *                NULL pointer faults, in the kernel too); the rest of RAM with
 *                4 MiB pages (CR4.PSE), one PDE each.  These PDEs are copied
 *                into every task's directory, so they share the tables.
 *   user text    USER_TEXT_BASE: user.c's code and constants (link.ld puts
 *                them there), user and read-only, one page table shared by all.
 *   user stack   USER_STACK_PAGES pages below USER_STACK_TOP, user and
 *                writable: the same linear addresses in every task, each
 *                task's own frames.
 *
 * CR0.WP is set, so the kernel too gets a #PF if it writes to the user text.
 * Physical equals linear for everything the kernel touches, so a page table
 * entry holds the address of the kernel's own array.
 */
#include "kernel.h"

#define CR0_WP (1u << 16)
#define CR0_PG (1u << 31)
#define CR4_PSE (1u << 4)
#define PDE_SPAN (4u << 20)
/*
 * The local APIC's registers, mapped (supervisor, 4 MiB) for pvshim, the
 * test-only stand-in for the paravirtual clock on QEMU; never touched under
 * Puppyvisor.
 */
#define LAPIC_PDE (0xFEE00000u / PDE_SPAN)

/* From link.ld: the user image's linear range and where it was loaded. */
extern char __user_start[], __user_end[], __user_phys[];

static uint32_t kernel_pgdir[1024] __attribute__((aligned(PAGE_SIZE)));
static uint32_t low_table[1024] __attribute__((aligned(PAGE_SIZE)));
static uint32_t user_text_table[1024] __attribute__((aligned(PAGE_SIZE)));
static uint32_t kernel_pdes;

static inline uint32_t read_cr(int n)
{
	uint32_t v = 0;

	switch (n) {
	case 0: __asm__ __volatile__("movl %%cr0, %0" : "=r"(v)); break;
	case 3: __asm__ __volatile__("movl %%cr3, %0" : "=r"(v)); break;
	case 4: __asm__ __volatile__("movl %%cr4, %0" : "=r"(v)); break;
	}
	return v;
}

void mm_init(void)
{
	uint32_t ram = boot_info.memory_kb ? boot_info.memory_kb * 1024 : 16u << 20;

	kernel_pdes = (ram + PDE_SPAN - 1) / PDE_SPAN;
	if (kernel_pdes > USER_TEXT_BASE / PDE_SPAN)
		kernel_pdes = USER_TEXT_BASE / PDE_SPAN;	/* the user half stays the user's */

	for (uint32_t i = 1; i < 1024; i++)
		low_table[i] = i * PAGE_SIZE | PTE_P | PTE_W;
	kernel_pgdir[0] = (uint32_t)low_table | PTE_P | PTE_W;
	for (uint32_t pd = 1; pd < kernel_pdes; pd++)
		kernel_pgdir[pd] = pd * PDE_SPAN | PTE_P | PTE_W | PTE_PS;
	kernel_pgdir[LAPIC_PDE] = LAPIC_PDE * PDE_SPAN | PTE_P | PTE_W | PTE_PS;

	uint32_t pages = (uint32_t)(__user_end - __user_start) / PAGE_SIZE;

	for (uint32_t i = 0; i < pages; i++)
		user_text_table[i] = ((uint32_t)__user_phys + i * PAGE_SIZE) | PTE_P | PTE_U;

	uint32_t cr4 = read_cr(4) | CR4_PSE, cr0 = read_cr(0) | CR0_PG | CR0_WP;

	__asm__ __volatile__("movl %0, %%cr4\n\t"
			     "movl %1, %%cr3\n\t"
			     "movl %2, %%cr0"
			     : : "r"(cr4), "r"((uint32_t)kernel_pgdir), "r"(cr0) : "memory");
}

void mm_create(struct mm *mm)
{
	memset(mm, 0, sizeof(*mm));
	for (uint32_t pd = 0; pd < kernel_pdes; pd++)
		mm->pgdir[pd] = kernel_pgdir[pd];
	mm->pgdir[LAPIC_PDE] = kernel_pgdir[LAPIC_PDE];
	/* The PDEs allow everything; the PTEs decide (read-only text, writable stack). */
	mm->pgdir[USER_TEXT_BASE / PDE_SPAN] = (uint32_t)user_text_table | PTE_P | PTE_W | PTE_U;
	mm->pgdir[(USER_STACK_TOP - 1) / PDE_SPAN] = (uint32_t)mm->stack_table | PTE_P | PTE_W | PTE_U;
	for (uint32_t i = 0; i < USER_STACK_PAGES; i++)
		mm->stack_table[1024 - USER_STACK_PAGES + i] = (uint32_t)mm->stack[i] | PTE_P | PTE_W | PTE_U;
}

void mm_switch(struct mm *mm)
{
	uint32_t pgdir = (uint32_t)(mm ? mm->pgdir : kernel_pgdir);

	/* Loading CR3 flushes the TLB: only when the address space really changes. */
	if (read_cr(3) != pgdir)
		__asm__ __volatile__("movl %0, %%cr3" : : "r"(pgdir) : "memory");
}

bool mm_user_range(uint32_t addr, uint32_t len)
{
	uint32_t end = addr + len;
	uint32_t text_end = USER_TEXT_BASE + (uint32_t)(__user_end - __user_start);
	uint32_t stack_base = USER_STACK_TOP - USER_STACK_PAGES * PAGE_SIZE;

	if (end < addr)
		return false;
	return (addr >= USER_TEXT_BASE && end <= text_end) ||
	       (addr >= stack_base && end <= USER_STACK_TOP);
}

const char *pf_error_text(uint32_t error, char *buf, size_t size)
{
	snprintf(buf, size, "%s %s from %s",
		 error & 1 ? "protection-violation" : "not-present",
		 error & 2 ? "write" : "read",
		 error & 4 ? "user" : "supervisor");
	return buf;
}
