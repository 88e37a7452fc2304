/*G:750
 * bench.c: a deterministic integer workload, the yardstick for the CPU's speed.
 *
 * Seven parts that look like kernel and systems code: sorting, hashing and
 * CRC32, a bytecode interpreter (a switch in a loop, like a BPF interpreter),
 * pointer chasing through a shuffled linked list, the string and memory
 * routines, bit manipulation, and 64-bit arithmetic through the division
 * helpers.  The command line sets the amount of work: "iterations=N" runs
 * every part N times (each time on new data from a seed), and "iterations=0"
 * does no work at all, so that run measures start-up alone.  "part=NAME"
 * runs only that part (for profiling one kind of code at a time).
 *
 * Each part prints a checksum of all its iterations and the last line is the
 * total.  The program is integer code with no input but N: the checksums are
 * the same on Puppyvisor and on qemu-system-i386, and perf/macro/run.sh
 * compares them before it believes any timing.  Nothing here reads a clock,
 * so the output does not depend on the speed it ran at.
 */
#include "bench.h"

/*
 * About 3.8 million guest instructions per iteration (all parts), so the
 * default is about 300 million: a few seconds at 50-100 million instructions
 * a second.
 */
#define BENCH_DEFAULT_ITERATIONS 80

static const struct {
	const char *name;
	uint32_t (*run)(uint32_t seed);
} parts[] = {
	{ "sort", bench_sort },
	{ "hash", bench_hash },
	{ "vm", bench_vm },
	{ "chase", bench_chase },
	{ "string", bench_string },
	{ "bits", bench_bits },
	{ "int64", bench_int64 },
};

static unsigned failures;

void bench_fail(const char *part, const char *what)
{
	if (failures++ < 10)
		printf("bench: %s: self-check failed: %s\n", part, what);
}

/* Is this part selected?  Every part is, unless the command line says part=NAME. */
static bool part_selected(const char *name)
{
	const char *want = cmdline_find("part=");
	size_t len = strlen(name);

	return !want || (strncmp(want, name, len) == 0 && (want[len] == '\0' || want[len] == ' '));
}

int kmain(void)
{
	unsigned long iterations = cmdline_get("iterations=", BENCH_DEFAULT_ITERATIONS);
	uint32_t total = 0;

	printf("bench: iterations %lu\n", iterations);
	for (unsigned p = 0; p < sizeof(parts) / sizeof(parts[0]); p++) {
		uint32_t sum = 0;

		if (!part_selected(parts[p].name))
			continue;
		for (unsigned long i = 0; i < iterations; i++) {
			/* A different seed for every part and iteration (never 0). */
			uint32_t seed = ((uint32_t)i + 1) * 0x9e3779b9u ^ (p + 1) * 0x7f4a7c15u;

			sum = mix32(sum, parts[p].run(seed));
		}
		printf("bench: %s checksum 0x%08x\n", parts[p].name, sum);
		total = mix32(total, sum);
	}
	printf("bench: total checksum 0x%08x\n", total);
	if (failures) {
		printf("bench: %u self-checks FAILED\n", failures);
		return FW_EXIT_FAIL;
	}
	return FW_EXIT_OK;
}
