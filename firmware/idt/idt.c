/*G:400
 * idt.c: the Interrupt Descriptor Table and the C side of every trap.
 *
 * A gate is 8 bytes: the handler's offset split in two halves around the code
 * selector and a type byte.  0x8E = present, DPL 0, 32-bit interrupt gate
 * (interrupt, not trap, gate: IF is cleared on entry, so a handler is never
 * interrupted).  Vectors we do not fill stay "not present"; reaching one
 * raises #NP, which we do catch.
 */
#include <stdarg.h>
#include "fw/console.h"
#include "fw/idt.h"
#include "fw/printf.h"
#include "fw/pv.h"

struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t zero;
	uint8_t type_attr;
	uint16_t offset_hi;
} __attribute__((packed));

struct idt_pointer {
	uint16_t limit;
	uint32_t base;
} __attribute__((packed));

#define GATE_INTERRUPT_32 0x8E

static struct idt_gate idt[256] __attribute__((aligned(8)));

extern const uint32_t exception_stubs[32];	/* entry.S */
extern const uint32_t irq_stubs[NR_IRQS];	/* entry.S */

static irq_handler_t irq_handlers[NR_IRQS];
static exception_hook_t exception_hooks[32];
volatile uint32_t irq_count[NR_IRQS];
volatile uint32_t irq_total;

static void set_gate(unsigned vector, uint32_t handler)
{
	idt[vector].offset_lo = (uint16_t)handler;
	idt[vector].selector = KERNEL_CS;
	idt[vector].zero = 0;
	idt[vector].type_attr = GATE_INTERRUPT_32;
	idt[vector].offset_hi = (uint16_t)(handler >> 16);
}

void idt_init(void)
{
	struct idt_pointer p = { sizeof(idt) - 1, (uint32_t)(uintptr_t)idt };

	for (unsigned v = 0; v < 32; v++)
		set_gate(v, exception_stubs[v]);
	for (unsigned irq = 0; irq < NR_IRQS; irq++)
		set_gate(IRQ_BASE_VECTOR + irq, irq_stubs[irq]);
	__asm__ __volatile__("lidt %0" : : "m"(p) : "memory");
}

void irq_register(unsigned irq, irq_handler_t handler)
{
	if (irq < NR_IRQS)
		irq_handlers[irq] = handler;
}

void exception_set_hook(unsigned vector, exception_hook_t hook)
{
	if (vector < 32)
		exception_hooks[vector] = hook;
}

static const char *const exception_names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint",
	"#OF overflow", "#BR bound range", "#UD invalid opcode", "#NM no math coprocessor",
	"#DF double fault", "coprocessor segment overrun", "#TS invalid TSS", "#NP segment not present",
	"#SS stack fault", "#GP general protection", "#PF page fault", "reserved 15",
	"#MF x87 error", "#AC alignment check", "#MC machine check", "#XM SIMD error",
	"#VE virtualization", "#CP control protection", "reserved 22", "reserved 23",
	"reserved 24", "reserved 25", "reserved 26", "reserved 27",
	"#HV hypervisor injection", "#VC VMM communication", "#SX security", "reserved 31",
};

static void __attribute__((noreturn)) fatal_exception(struct trap_frame *f)
{
	printf("\nEXCEPTION: vector %u (%s) error 0x%08x at EIP 0x%08x\n",
	       f->vector, exception_names[f->vector], f->error_code, f->eip);
	if (f->vector == 14) {
		uint32_t cr2;

		__asm__ __volatile__("movl %%cr2, %0" : "=r"(cr2));
		printf("  CR2 0x%08x\n", cr2);
	}
	printf("  EAX 0x%08x EBX 0x%08x ECX 0x%08x EDX 0x%08x\n",
	       f->eax, f->ebx, f->ecx, f->edx);
	printf("  ESI 0x%08x EDI 0x%08x EBP 0x%08x ESP 0x%08x\n",
	       f->esi, f->edi, f->ebp, f->esp_at_pusha + 20);
	printf("  CS 0x%04x EFLAGS 0x%08x\n", f->cs, f->eflags);
	shutdown(FW_EXIT_PANIC);
}

/*G:420
 * Every exception and IRQ arrives here, with interrupts off.  An IRQ is
 * counted and handed to the handler registered for its line; an exception goes
 * to its hook if it has one, and is otherwise the end of the guest.
 */
void trap_dispatch(struct trap_frame *f);
void trap_dispatch(struct trap_frame *f)
{
	if (f->vector < 32) {
		exception_hook_t hook = exception_hooks[f->vector];

		if (!hook || !hook(f))
			fatal_exception(f);
		return;
	}

	unsigned irq = f->vector - IRQ_BASE_VECTOR;

	if (irq < NR_IRQS) {
		irq_count[irq]++;
		irq_total++;
		if (irq_handlers[irq])
			irq_handlers[irq](irq, f);
	}
}

void panic(const char *fmt, ...)
{
	va_list ap;

	__asm__ __volatile__("cli" : : : "memory");
	console_puts("PANIC: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	console_puts("\n");
	shutdown(FW_EXIT_PANIC);
}
