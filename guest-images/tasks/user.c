/*G:790
 * user.c: the user programs, and all the C library they have.
 *
 * Everything in this file runs in ring 3.  The linker script (link.ld) puts
 * this file's code and constants, and nothing else, at USER_TEXT_BASE, mapped
 * read-only for user in every address space; the kernel's pages are
 * supervisor-only, so a call from here into the firmware (printf, memset, a
 * 64-bit division helper) would be a page fault.  Hence the little formatter
 * below, 32-bit arithmetic only, and no globals: the only writable memory a
 * task has is its own stack.
 *
 * A task starts at its function with one argument on the stack and
 * user_exit() as the return address, so returning from it is SYS_EXIT.
 */
#include <stdarg.h>
#include <stdint.h>
#include "abi.h"
#include "spin.h"

#define STR(x) #x
#define XSTR(x) STR(x)

static inline int32_t syscall2(uint32_t nr, uint32_t a, uint32_t b)
{
	int32_t r;

	__asm__ __volatile__("int $" XSTR(SYSCALL_VECTOR)
			     : "=a"(r) : "a"(nr), "b"(a), "c"(b) : "memory");
	return r;
}

static int32_t write(const char *buf, uint32_t len) { return syscall2(SYS_WRITE, (uint32_t)buf, len); }
static int32_t sleep_ns(uint32_t ns) { return syscall2(SYS_SLEEP, ns, 0); }
static int32_t yield(void) { return syscall2(SYS_YIELD, 0, 0); }
static int32_t getpid(void) { return syscall2(SYS_GETPID, 0, 0); }

/* The return address of every task: its return value is its exit status. */
__attribute__((naked, noreturn)) void user_exit(void)
{
	__asm__("movl %eax, %ebx\n\t"
		"movl $" XSTR(SYS_EXIT) ", %eax\n\t"
		"int $" XSTR(SYSCALL_VECTOR) "\n\t"
		"ud2");
}

/* A time stamp in ns (at the default 1 GHz TSC); the low 32 bits are plenty for a difference. */
static uint32_t now32(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return lo;
}

/* --- print(): %d %u %x %s, nothing else --------------------------------------- */

struct out {
	char buf[96];
	uint32_t n;
};

static void put(struct out *o, char c)
{
	if (o->n < sizeof(o->buf))
		o->buf[o->n++] = c;
}

static void put_uint(struct out *o, uint32_t v, uint32_t base)
{
	char digits[10];
	int n = 0;

	do {
		uint32_t d = v % base;

		digits[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
		v /= base;
	} while (v);
	while (n)
		put(o, digits[--n]);
}

static void print(const char *fmt, ...)
{
	struct out o;
	va_list ap;

	o.n = 0;
	va_start(ap, fmt);
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		switch (*++fmt) {
		case 'd': {
			int32_t v = va_arg(ap, int32_t);

			if (v < 0)
				put(&o, '-');
			put_uint(&o, v < 0 ? 0u - (uint32_t)v : (uint32_t)v, 10);
			break;
		}
		case 'u':
			put_uint(&o, va_arg(ap, uint32_t), 10);
			break;
		case 'x':
			put_uint(&o, va_arg(ap, uint32_t), 16);
			break;
		case 's':
			for (const char *s = va_arg(ap, const char *); *s; s++)
				put(&o, *s);
			break;
		default:
			put(&o, *fmt);
			break;
		}
	}
	va_end(ap);
	write(o.buf, o.n);
}

/* --- The programs ------------------------------------------------------------------ */

/*
 * Says hello and where its stack is (the same linear page as every task's,
 * its own frame), then ticks every "arg" ns three times.
 */
int task_hello(uint32_t arg)
{
	int32_t pid = getpid();

	print("hello from pid %d, stack page 0x%x\n", pid, (uint32_t)&pid & ~(PAGE_SIZE - 1));
	for (int i = 1; i <= 3; i++) {
		sleep_ns(arg);
		print("tick %d\n", i);
	}
	return 0;
}

/* Sleeps "period" ns four times and says how long each sleep really took. */
int task_sleeper(uint32_t period)
{
	for (int i = 1; i <= 4; i++) {
		uint32_t start = now32();

		sleep_ns(period);
		print("slept %u ns (asked %u)\n", now32() - start, period);
	}
	return 0;
}

/* Writes through a NULL pointer: the kernel kills it. */
int task_null(uint32_t arg)
{
	print("writing to NULL\n");
	*(volatile uint32_t *)arg = 0xdead;
	print("still alive?\n");
	return 1;
}

/* Never asks for anything while it works: only the time slice takes the CPU back. */
int task_spinner(uint32_t rounds)
{
	print("pid %d spinning %u rounds, stack page 0x%x\n", getpid(), rounds, (uint32_t)&rounds & ~(PAGE_SIZE - 1));
	uint32_t h = spin_work(rounds);

	print("done spinning, checksum 0x%x\n", h);
	return 0;
}

/* Works a little, then gives the CPU away, four times. */
int task_yielder(uint32_t rounds)
{
	for (int i = 1; i <= 4; i++) {
		spin_work(rounds);
		print("round %d done, yielding\n", i);
		yield();
	}
	return 7;
}
