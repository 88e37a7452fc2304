/*
 * system.c: selftest groups that touch the machine: the TSC-to-nanoseconds
 * conversion (with frequencies other than the default), the CPU state the
 * firmware promises at kmain(), and exceptions taken through the IDT and
 * resumed by an exception hook: #DE, #BP, #OF, #UD and #GP.
 *
 * Interrupts stay off throughout: on QEMU the BIOS leaves the PIC's timer
 * unmasked at vector 8, which would look like a double fault.
 */
#include "selftest.h"

void test_clock(void)
{
	static const struct {
		uint32_t khz;
		uint64_t tsc, ns;
	} vectors[] = {
		/* computed by Python: tsc * 10^6 // khz */
		{ 2500000u, 0x9502f900ull, 1000000000ull },
		{ 2500000u, 0xffffffffffffffffull, 7378697629483820646ull },
		{ 3u, 0xaull, 3333333ull },
		{ 1234567u, 0xffffffffffffull, 227994897571905ull },
		{ 4000000000u, 0xffffffffffffffffull, 4611686018427387ull },
		{ 1u, 0x100000000000ull, 17592186044416000000ull },
		{ 1000000u, 0x123456789abull, 0x123456789abull },
	};
	uint32_t saved = pv.tsc_khz;

	for (unsigned i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		pv.tsc_khz = opaque32(vectors[i].khz);
		CHECK_EQ(tsc_to_ns(opaque64(vectors[i].tsc)), vectors[i].ns);
	}
	pv.tsc_khz = saved;

	/* The TSC never runs backwards. */
	uint64_t t0 = rdtsc(), t1 = rdtsc(), t2 = rdtsc();
	CHECK(t1 >= t0 && t2 >= t1);
	CHECK(clock_now_ns() >= tsc_to_ns(t2));
}

/* What the last exception hook saw, and how far to move EIP to resume. */
static volatile uint32_t seen_vector, seen_error, seen_eip, skip_bytes;

static bool record_and_resume(struct trap_frame *f)
{
	seen_vector = f->vector;
	seen_error = f->error_code;
	seen_eip = f->eip;
	f->eip += skip_bytes;
	return true;
}

static void expect_trap(unsigned vector, uint32_t skip)
{
	seen_vector = 0xffffffff;
	seen_error = 0xffffffff;
	seen_eip = 0;
	skip_bytes = skip;
	exception_set_hook(vector, record_and_resume);
}

void test_traps(void)
{
	uint32_t at, eflags;

	/* The state kmain() starts in: IF clear, flat selectors. */
	__asm__ __volatile__("pushfl; popl %0" : "=r"(eflags));
	CHECK((eflags & X86_EFLAGS_IF) == 0);
	uint16_t cs, ds, ss;
	__asm__ __volatile__("movw %%cs, %0; movw %%ds, %1; movw %%ss, %2"
			     : "=r"(cs), "=r"(ds), "=r"(ss));
	CHECK_EQ(cs, KERNEL_CS);
	CHECK_EQ(ds, KERNEL_DS);
	CHECK_EQ(ss, KERNEL_DS);

	/* #DE: DIV by zero is a fault; EIP points at the 2-byte "divl %ecx". */
	expect_trap(0, 2);
	__asm__ __volatile__("movl $1f, %0\n\t"
			     "xorl %%edx, %%edx\n"
			     "1:\tdivl %%ecx"
			     : "=&r"(at)
			     : "a"(100), "c"(0)
			     : "edx", "memory", "cc");
	CHECK_EQ(seen_vector, 0);
	CHECK_EQ(seen_eip, at);

	/* #BP: INT3 is a trap; EIP points after it. */
	expect_trap(3, 0);
	__asm__ __volatile__("int3\n1:\tmovl $1b, %0" : "=r"(at) : : "memory");
	CHECK_EQ(seen_vector, 3);
	CHECK_EQ(seen_eip, at);

	/* #OF: INTO traps when OF is set (0x7fffffff + 1 overflows). */
	expect_trap(4, 0);
	__asm__ __volatile__("movl $0x7fffffff, %0\n\t"
			     "addl $1, %0\n\t"
			     "into\n"
			     "1:\tmovl $1b, %0"
			     : "=&r"(at)
			     :
			     : "memory", "cc");
	CHECK_EQ(seen_vector, 4);
	CHECK_EQ(seen_eip, at);

	/* INTO with OF clear does nothing. */
	expect_trap(4, 0);
	__asm__ __volatile__("xorl %0, %0\n\tinto" : "=r"(at) : : "memory", "cc");
	CHECK_EQ(seen_vector, 0xffffffff);

	/* #UD: UD2 is a fault; EIP points at it. */
	expect_trap(6, 2);
	__asm__ __volatile__("movl $1f, %0\n1:\tud2" : "=r"(at) : : "memory");
	CHECK_EQ(seen_vector, 6);
	CHECK_EQ(seen_eip, at);

	/*
	 * #GP: loading DS with selector 0x18, beyond the GDT's limit, faults with
	 * the selector as error code, and DS keeps its old value.
	 */
	expect_trap(13, 2);
	__asm__ __volatile__("movl $1f, %0\n\t"
			     "movw $0x18, %%cx\n"
			     "1:\tmovw %%cx, %%ds"
			     : "=&r"(at)
			     :
			     : "ecx", "memory");
	CHECK_EQ(seen_vector, 13);
	CHECK_EQ(seen_error, 0x18);
	CHECK_EQ(seen_eip, at);
	__asm__ __volatile__("movw %%ds, %0" : "=r"(ds));
	CHECK_EQ(ds, KERNEL_DS);

	for (unsigned v = 0; v < 32; v++)
		exception_set_hook(v, NULL);
}
