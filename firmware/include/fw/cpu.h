/*G:030
 * cpu.h: the few x86 instructions C cannot express, as inline functions.
 *
 * Port I/O, CPUID, RDTSC and the interrupt flag.  Each is one instruction
 * wrapped in "asm volatile"; the ones that must act as compiler barriers
 * (everything touching IF, and HLT) also clobber "memory", so the compiler
 * cannot move loads and stores of shared data across them.
 */
#ifndef FW_CPU_H
#define FW_CPU_H

#include <stdint.h>

static inline void outb(uint16_t port, uint8_t val)
{
	__asm__ __volatile__("outb %0, %1" : : "a"(val), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t val;

	__asm__ __volatile__("inb %1, %0" : "=a"(val) : "Nd"(port));
	return val;
}

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

/* CPUID with ECX = 0 (sub-leaf 0), so the answer never depends on stale ECX. */
static inline struct cpuid_regs cpuid(uint32_t leaf)
{
	struct cpuid_regs r;

	__asm__ __volatile__("cpuid"
			     : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			     : "a"(leaf), "c"(0));
	return r;
}

/* The time stamp counter, EDX:EAX. */
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline void cli(void)
{
	__asm__ __volatile__("cli" : : : "memory");
}

static inline void sti(void)
{
	__asm__ __volatile__("sti" : : : "memory");
}

/*
 * Enable interrupts and halt, as one step: STI only takes effect after the
 * next instruction, so no interrupt can slip in between the two and leave us
 * asleep with the work it brought undone.  The caller decided to sleep with
 * interrupts off.
 */
static inline void sti_hlt(void)
{
	__asm__ __volatile__("sti; hlt" : : : "memory");
}

/* Halt with interrupts off, forever: the end of the road. */
static inline void __attribute__((noreturn)) cli_hlt_forever(void)
{
	for (;;)
		__asm__ __volatile__("cli; hlt" : : : "memory");
}

/* Save EFLAGS and disable interrupts; irq_restore() puts IF back as it was. */
static inline uint32_t irq_save(void)
{
	uint32_t flags;

	__asm__ __volatile__("pushfl; popl %0; cli" : "=r"(flags) : : "memory");
	return flags;
}

static inline void irq_restore(uint32_t flags)
{
	__asm__ __volatile__("pushl %0; popfl" : : "r"(flags) : "memory", "cc");
}

#define X86_EFLAGS_IF 0x200u

#endif /* FW_CPU_H */
