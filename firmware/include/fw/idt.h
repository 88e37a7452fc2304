/*G:070
 * idt.h: exceptions and interrupts.
 *
 * idt_init() fills the Interrupt Descriptor Table with 32-bit interrupt gates:
 * vectors 0-31 (CPU exceptions) and IRQ_BASE_VECTOR + 0..15 (IRQs 0-15; the
 * paravirtual clockevent is IRQ 0).  Every gate leads, through a tiny
 * assembly stub, to trap_dispatch() with a pointer to a struct trap_frame
 * describing the interrupted state.  Interrupt gates clear IF on entry, so
 * handlers never nest; IRET puts IF back.
 *
 * There is no PIC and no EOI: under Puppyvisor, delivering an IRQ clears its
 * pending bit and that is all.
 */
#ifndef FW_IDT_H
#define FW_IDT_H

#include <stdbool.h>
#include <stdint.h>
#include "puppyvisor.h"

/*
 * The stack as the entry stub leaves it, lowest address first: the registers
 * PUSHA saved, the vector and error code the stub pushed (0 where the CPU
 * pushes none), then what the CPU pushed.  All code runs at ring 0 on one
 * stack, so the CPU pushes no ESP/SS.  Assembly and C must agree on this.
 */
struct trap_frame {
	uint32_t edi, esi, ebp, esp_at_pusha, ebx, edx, ecx, eax;
	uint32_t vector;
	uint32_t error_code;
	uint32_t eip, cs, eflags;
};

void idt_init(void);

/* Called for IRQ "irq" with interrupts off; must not enable them. */
typedef void (*irq_handler_t)(unsigned irq, struct trap_frame *frame);
void irq_register(unsigned irq, irq_handler_t handler);

/*
 * An exception hook may deal with an exception (usually by moving frame->eip
 * past the faulting instruction) and return true to resume the interrupted
 * code.  Returning false, or having no hook, is fatal: the firmware prints the
 * vector, error code, EIP and registers and shuts down with FW_EXIT_PANIC.
 */
typedef bool (*exception_hook_t)(struct trap_frame *frame);
void exception_set_hook(unsigned vector, exception_hook_t hook);

/* IRQs taken, per IRQ line and in all. */
extern volatile uint32_t irq_count[NR_IRQS];
extern volatile uint32_t irq_total;

/* Stop with a message: prints "PANIC: ..." and shuts down with FW_EXIT_PANIC. */
void __attribute__((noreturn, format(printf, 1, 2))) panic(const char *fmt, ...);

#endif /* FW_IDT_H */
