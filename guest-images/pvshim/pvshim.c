/*
 * pvshim.c: a stand-in for Puppyvisor's paravirtual clock on plain QEMU, for
 * testing the guest side before the monitor exists.  TEST ONLY: it is never
 * linked into the committed images.
 *
 * Linked with --wrap=kmain, it runs before the image's kmain() and:
 *   - claims the hypervisor is there (pv.present, PV_FEATURE_CLOCKEVENT only;
 *     the console stays on the UART);
 *   - masks the 8259 PICs (the BIOS leaves the PIT on vector 8) and programs
 *     the local APIC timer: one-shot, vector 0x20 (IRQ 0), divide by 1;
 *   - catches VMCALL, which is #UD on QEMU without VMX, and emulates the
 *     hypercalls the clock needs, then skips the 3-byte instruction:
 *       HCALL_VERSION         1
 *       HCALL_SET_CLOCKEVENT  APIC timer initial count = delta (0 stops);
 *                             also EOIs a timer IRQ in service, since the
 *                             firmware re-arms from within its handler
 *       HCALL_HALT            waits until IRQ 0 is pending (APIC IRR), any IF
 *                             (see shim_halt())
 *       HCALL_SHUTDOWN        isa-debug-exit
 * Run QEMU with "-icount shift=0,sleep=off": one instruction is one ns of
 * virtual time, the TSC counts ns and the APIC timer counts one per ns, much
 * like Puppyvisor's virtual clock (the instruction costs differ in detail).
 */
#include "fw/firmware.h"

#define APIC_BASE 0xFEE00000u
#define APIC_EOI 0x0B0
#define APIC_SVR 0x0F0
#define APIC_ISR 0x100
#define APIC_IRR 0x200
#define APIC_ICR_LOW 0x300
#define APIC_ICR_HIGH 0x310
#define APIC_ICR_SELF (1u << 18)
#define APIC_ICR_ASSERT (1u << 14)
#define APIC_LVT_TIMER 0x320
#define APIC_TIMER_INIT 0x380
#define APIC_TIMER_DIV 0x3E0

static inline uint32_t apic_read(uint32_t reg)
{
	return *(volatile uint32_t *)(APIC_BASE + reg);
}

static inline void apic_write(uint32_t reg, uint32_t val)
{
	*(volatile uint32_t *)(APIC_BASE + reg) = val;
}

/* Is a vector's bit set in a 256-bit APIC register array (ISR, IRR)? */
static bool apic_bit(uint32_t base, unsigned vector)
{
	return apic_read(base + 0x10 * (vector / 32)) & (1u << (vector % 32));
}

/*
 * HCALL_HALT: return once IRQ 0 is pending, without delivering it (the guest
 * may have IF clear).  Spinning on the IRR would cost a virtual ns per
 * instruction, so we sleep for real: point the APIC timer at a wake-up vector
 * (IRQ 14's stub; its handler only EOIs), STI; HLT, then point it back and
 * make IRQ 0 pending again with a self-IPI.
 */
#define WAKE_IRQ 14
#define TIMER_VECTOR (IRQ_BASE_VECTOR + TIMER_IRQ)
static volatile bool woken;

static void wake_irq(unsigned irq, struct trap_frame *frame)
{
	woken = true;
	apic_write(APIC_EOI, 0);
}

static void shim_halt(void)
{
	woken = false;
	apic_write(APIC_LVT_TIMER, IRQ_BASE_VECTOR + WAKE_IRQ);
	if (!apic_bit(APIC_IRR, TIMER_VECTOR)) {
		while (!woken)
			__asm__ __volatile__("sti; hlt; cli" : : : "memory");
		apic_write(APIC_ICR_HIGH, 0);
		apic_write(APIC_ICR_LOW, APIC_ICR_SELF | APIC_ICR_ASSERT | TIMER_VECTOR);
		while (!apic_bit(APIC_IRR, TIMER_VECTOR))
			;
	}
	apic_write(APIC_LVT_TIMER, TIMER_VECTOR);
}

static void emulate(struct trap_frame *f)
{
	switch (f->eax) {
	case HCALL_VERSION:
		f->eax = PUPPYVISOR_ABI_VERSION;
		break;
	case HCALL_SET_CLOCKEVENT: {
		uint64_t delta = ((uint64_t)f->ecx << 32) | f->ebx;

		if (apic_bit(APIC_ISR, IRQ_BASE_VECTOR + TIMER_IRQ))
			apic_write(APIC_EOI, 0);
		apic_write(APIC_TIMER_INIT, delta > 0xffffffffu ? 0xffffffffu : (uint32_t)delta);
		f->eax = 0;
		break;
	}
	case HCALL_HALT:
		shim_halt();
		f->eax = 0;
		break;
	case HCALL_SHUTDOWN:
		outb(DEBUG_EXIT_PORT, (uint8_t)f->ebx);
		cli_hlt_forever();
	default:
		f->eax = (uint32_t)-ENOSYS;
		break;
	}
}

static bool vmcall_hook(struct trap_frame *f)
{
	const uint8_t *insn = (const uint8_t *)(uintptr_t)f->eip;

	if (insn[0] != 0x0F || insn[1] != 0x01 || insn[2] != 0xC1)
		return false;	/* a real #UD: let the firmware report it */
	emulate(f);
	f->eip += 3;
	return true;
}

int __real_kmain(void);
int __wrap_kmain(void);

int __wrap_kmain(void)
{
	/* Mask both PICs: only the APIC timer may interrupt. */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);

	apic_write(APIC_SVR, 0x100 | 0x2f);	/* enabled; spurious -> IRQ 15's stub */
	apic_write(APIC_TIMER_DIV, 0xb);	/* divide by 1 */
	apic_write(APIC_LVT_TIMER, IRQ_BASE_VECTOR + TIMER_IRQ);	/* one-shot, unmasked */
	apic_write(APIC_TIMER_INIT, 0);

	exception_set_hook(6, vmcall_hook);
	irq_register(WAKE_IRQ, wake_irq);
	pv.present = true;
	pv.features = PV_FEATURE_CLOCKEVENT;
	pv.max_leaf = PV_CPUID_FEATURES;
	pv.tsc_khz = PV_DEFAULT_TSC_KHZ;
	pv.abi_version = PUPPYVISOR_ABI_VERSION;
	return __real_kmain();
}
