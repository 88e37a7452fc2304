/*G:710
 * selftest.c: a freestanding C program that checks the CPU runs integer C.
 *
 * Built at -O2 like every image, it exercises what compiled C actually leans
 * on: loops, calls and recursion, a jump-table switch, 32- and 64-bit
 * arithmetic (the 64-bit division going through the firmware's __udivdi3 and
 * friends), the string functions, printf's formatting, struct copies, bit
 * tricks, function pointers, the TSC conversion, and exceptions delivered
 * through the IDT and resumed.  One line per group, then a total; exit status
 * 0 when every check passed, 1 otherwise.  It passes on qemu-system-i386, so a
 * failure under Puppyvisor points at Puppyvisor.
 */
#include "selftest.h"

unsigned st_checks, st_failures;

void st_check(bool ok, const char *file, int line, const char *expr)
{
	st_checks++;
	if (!ok) {
		st_failures++;
		printf("  FAIL %s:%d: %s\n", file, line, expr);
	}
}

void st_check_eq64(uint64_t got, uint64_t want, const char *file, int line,
		   const char *expr)
{
	st_checks++;
	if (got != want) {
		st_failures++;
		printf("  FAIL %s:%d: %s: got 0x%llx, want 0x%llx\n", file, line, expr,
		       got, want);
	}
}

static const struct {
	const char *name;
	void (*run)(void);
} groups[] = {
	{ "loops", test_loops },
	{ "calls", test_calls },
	{ "switch", test_switch },
	{ "int32", test_int32 },
	{ "int64", test_int64 },
	{ "strings", test_strings },
	{ "printf", test_printf },
	{ "structs", test_structs },
	{ "bits", test_bits },
	{ "funcptr", test_funcptr },
	{ "clock", test_clock },
	{ "traps", test_traps },
};

int kmain(void)
{
	for (unsigned i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		unsigned failures_before = st_failures, checks_before = st_checks;

		groups[i].run();
		if (st_failures == failures_before)
			printf("%s: ok\n", groups[i].name);
		else
			printf("%s: FAILED (%u of %u checks)\n", groups[i].name,
			       st_failures - failures_before, st_checks - checks_before);
	}
	if (st_failures) {
		printf("selftest: %u of %u checks FAILED\n", st_failures, st_checks);
		return FW_EXIT_FAIL;
	}
	printf("selftest: %u checks passed\n", st_checks);
	return FW_EXIT_OK;
}
