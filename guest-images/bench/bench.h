/*
 * bench.h: what the parts of the bench workload share.
 *
 * Every part is a function "uint32_t part(uint32_t seed)": one iteration of
 * its work on data generated from the seed, answering a 32-bit digest of what
 * it computed.  Everything is integer C with no input but the seed, so an
 * iteration executes the same instructions wherever it runs (Puppyvisor,
 * qemu-system-i386, real hardware) and answers the same digest.
 *
 * Parts also check themselves (a sorted array is sorted, the interpreted
 * program agrees with the same computation in C, q * b + r == a ...) and call
 * bench_fail() when something is wrong, so a bad checksum comes with a hint.
 */
#ifndef BENCH_H
#define BENCH_H

#include "fw/firmware.h"

/* xorshift32 (Marsaglia): the parts' random numbers.  The state is never 0. */
static inline uint32_t rng_next(uint32_t *state)
{
	uint32_t x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

/* A seed made usable by xorshift (any value but 0). */
static inline uint32_t rng_seed(uint32_t seed)
{
	return seed ? seed : 0x6b8b4567u;
}

/* Fold a value into a running digest (murmur-style multiply and shift). */
static inline uint32_t mix32(uint32_t h, uint32_t v)
{
	h ^= v;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	return h;
}

static inline uint32_t rotl32(uint32_t x, unsigned n)
{
	return (x << (n & 31)) | (x >> ((32 - n) & 31));
}

/* A self-check failed: print it (the first few times) and count it. */
void bench_fail(const char *part, const char *what);

/* The parts, in the order they run. */
uint32_t bench_sort(uint32_t seed);
uint32_t bench_hash(uint32_t seed);
uint32_t bench_vm(uint32_t seed);
uint32_t bench_chase(uint32_t seed);
uint32_t bench_string(uint32_t seed);
uint32_t bench_bits(uint32_t seed);
uint32_t bench_int64(uint32_t seed);

#endif /* BENCH_H */
