/*G:010
 * puppyvisor.h: the paravirtual ABI, version 1, as the guest sees it.
 *
 * This is the C side of DESIGN.md sections 1 and 2, and the single place where
 * the firmware and the guest images get their numbers from.  The monitor keeps
 * the same numbers in its C# HypercallNumber enum, and a test on that side reads
 * this file and checks the two agree.  For that test's sake every constant is a
 * plain "#define NAME value" on a line of its own: please keep it that way
 * (no expressions spread over lines, no enums for ABI numbers).
 *
 * The file can be included from assembly (.S) too: only the #defines are seen
 * there, the inline hypercall wrappers are C only.
 */
#ifndef PUPPYVISOR_H
#define PUPPYVISOR_H

/* The ABI version HCALL_VERSION answers.  Bump it with DESIGN.md sections 1-3. */
#define PUPPYVISOR_ABI_VERSION 1

/*
 * Hypercall numbers (go in EAX).  They keep lguest's numbers where lguest had
 * the same call (LHCALL_SHUTDOWN 2, LHCALL_SET_CLOCKEVENT 9, LHCALL_HALT 10).
 */
#define HCALL_VERSION 0
#define HCALL_SHUTDOWN 2
#define HCALL_SET_CLOCKEVENT 9
#define HCALL_HALT 10
#define HCALL_GET_WALLCLOCK 11
#define HCALL_CONSOLE_WRITE 17

/*
 * CPUID leaves.  CPUID.1:ECX bit 31 says "a hypervisor is present"; the base
 * leaf then returns the highest hypervisor leaf in EAX and the signature
 * "PuppyvisorPV" in EBX, ECX, EDX (four characters each, little-endian).
 */
#define PV_CPUID_BASE 0x40000000
#define PV_CPUID_FEATURES 0x40000001
#define PV_CPUID_TSC_KHZ 0x40000010
#define PV_CPUID_HYPERVISOR_BIT (1u<<31)
#define PV_SIGNATURE_EBX 0x70707550
#define PV_SIGNATURE_ECX 0x73697679
#define PV_SIGNATURE_EDX 0x5650726f

/* Feature bits in EAX of leaf PV_CPUID_FEATURES. */
#define PV_FEATURE_CLOCKEVENT (1u<<0)
#define PV_FEATURE_CONSOLE (1u<<1)
#define PV_FEATURE_WALLCLOCK (1u<<2)

/* TSC frequency assumed when the kHz leaf is missing: one tick per ns. */
#define PV_DEFAULT_TSC_KHZ 1000000

/* Interrupts: IRQ n arrives at vector IRQ_BASE_VECTOR + n; the clockevent is IRQ 0. */
#define IRQ_BASE_VECTOR 0x20
#define TIMER_IRQ 0
#define NR_IRQS 16

/*
 * lguest's guest clockevent driver refused deltas below 100 ns with -ETIME
 * (lguest_clockevent_set_next_event); ours keeps that rule for its callers.
 * The device itself accepts any nonzero delta.
 */
#define LG_CLOCK_MIN_DELTA 100

/* Errors come back as negative Linux errno values. */
#define EPERM 1
#define EFAULT 14
#define ENOSYS 38
#define ETIME 62

/* I/O ports of the guest machine (DESIGN.md section 1). */
#define COM1_PORT 0x3F8
#define DEBUGCON_PORT 0xE9
#define DEBUG_EXIT_PORT 0xF4

/* The boot protocol: multiboot v1, as QEMU's -kernel implements it. */
#define MULTIBOOT_HEADER_MAGIC 0x1BADB002
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002

/* The flat GDT selectors the firmware loads (and the monitor enters with). */
#define KERNEL_CS 0x08
#define KERNEL_DS 0x10

#ifndef __ASSEMBLER__

/*G:020
 * How does the guest ask the host for something?  Exactly as lguest did (see
 * lguest_hcall.h), except that the trap is the VMCALL instruction (0F 01 C1)
 * instead of "int $0x1f": the call number goes in EAX and up to four arguments
 * in EBX, ECX, EDX and ESI.  The answer comes back in EAX (EDX:EAX for the
 * 64-bit answers), and every other register is preserved.  Errors are negative
 * errno values; from ring 3 every call answers -EPERM and does nothing.
 *
 * The wrappers below are the only place the instruction is written.  Each one
 * is "asm volatile" (a hypercall has effects the compiler cannot see, so it
 * must never be removed or merged) with a "memory" clobber: some calls read
 * guest memory (HCALL_CONSOLE_WRITE reads the buffer we just filled) and the
 * compiler must not keep those bytes only in registers, nor move loads and
 * stores across the call.  That is more than some calls need, but it is always
 * safe, and it is what lguest did too.
 */
static inline unsigned long hcall4(unsigned long call, unsigned long arg1,
				   unsigned long arg2, unsigned long arg3,
				   unsigned long arg4)
{
	/* EAX is both the call number going in and the answer coming out. */
	__asm__ __volatile__("vmcall"
			     : "=a"(call)
			     : "a"(call), "b"(arg1), "c"(arg2), "d"(arg3), "S"(arg4)
			     : "memory");
	return call;
}

/* The shorter forms only load the registers they need. */
static inline unsigned long hcall0(unsigned long call)
{
	__asm__ __volatile__("vmcall" : "=a"(call) : "a"(call) : "memory");
	return call;
}

static inline unsigned long hcall1(unsigned long call, unsigned long arg1)
{
	__asm__ __volatile__("vmcall" : "=a"(call) : "a"(call), "b"(arg1) : "memory");
	return call;
}

static inline unsigned long hcall2(unsigned long call, unsigned long arg1,
				   unsigned long arg2)
{
	__asm__ __volatile__("vmcall"
			     : "=a"(call)
			     : "a"(call), "b"(arg1), "c"(arg2)
			     : "memory");
	return call;
}

static inline unsigned long hcall3(unsigned long call, unsigned long arg1,
				   unsigned long arg2, unsigned long arg3)
{
	__asm__ __volatile__("vmcall"
			     : "=a"(call)
			     : "a"(call), "b"(arg1), "c"(arg2), "d"(arg3)
			     : "memory");
	return call;
}

/*
 * A call with a 64-bit answer (HCALL_GET_WALLCLOCK): low half in EAX, high half
 * in EDX.  EDX is an output here, so the compiler knows it changes.
 */
static inline unsigned long long hcall0_64(unsigned long call)
{
	unsigned long lo, hi;

	__asm__ __volatile__("vmcall" : "=a"(lo), "=d"(hi) : "a"(call) : "memory");
	return ((unsigned long long)hi << 32) | lo;
}

#endif /* !__ASSEMBLER__ */
#endif /* PUPPYVISOR_H */
