/*
 * int64.c: 64-bit arithmetic on a 32-bit CPU.
 *
 * Everything a kernel does with u64 on i386, where each operation becomes a
 * sequence (MUL/ADC for multiplies, SHLD/SHRD for shifts) or a call to the
 * firmware's helpers (__udivdi3, __umoddi3, __divdi3, __moddi3): splitmix64
 * for the numbers, unsigned and signed division and remainder checked by
 * q * b + r == a, division by 32-bit divisors (the two-DIV fast path) and by
 * wide ones (shift and subtract), variable shifts, a modular exponentiation
 * and Euclid's gcd.
 */
#include "bench.h"

#define INT64_ROUNDS 384

static inline uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* base^exp mod m for m < 2^32: every product fits in 64 bits. */
static uint32_t powmod(uint32_t base, uint32_t exp, uint32_t m)
{
	uint64_t result = 1 % m, b = base % m;

	while (exp) {
		if (exp & 1)
			result = (result * b) % m;
		b = (b * b) % m;
		exp >>= 1;
	}
	return (uint32_t)result;
}

static uint64_t gcd64(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

static inline uint32_t fold64(uint64_t x)
{
	return (uint32_t)x ^ (uint32_t)(x >> 32);
}

uint32_t bench_int64(uint32_t seed)
{
	uint64_t state = ((uint64_t)seed << 32) | (seed ^ 0xa5a5a5a5u);
	uint32_t h = 0;
	bool ok = true;

	for (int i = 0; i < INT64_ROUNDS; i++) {
		uint64_t a = splitmix64(&state), x = splitmix64(&state);
		unsigned sh = (unsigned)(x & 63);

		/* A wide divisor (shift and subtract) and a 32-bit one (two DIVs). */
		uint64_t b = (x >> sh) | 1, q = a / b, r = a % b;

		if (q * b + r != a || r >= b)
			ok = false;
		uint64_t d32 = (uint32_t)(x >> 17) | 1, q32 = a / d32, r32 = a % d32;

		if (q32 * d32 + r32 != a || r32 >= d32)
			ok = false;
		h = mix32(h, fold64(q) ^ fold64(r));
		h = mix32(h, fold64(q32) + fold64(r32));

		/* Signed: |sb| >= 2, so no INT64_MIN / -1. */
		int64_t sa = (int64_t)a, sb = (int64_t)((b >> 1) | 2);

		if (x & (1ull << 40))
			sb = -sb;
		int64_t sq = sa / sb, sr = sa % sb;

		if (sq * sb + sr != sa || (sr != 0 && (sr < 0) != (sa < 0)))
			ok = false;
		h = mix32(h, fold64((uint64_t)sq) - fold64((uint64_t)sr));

		/* Variable shifts, both directions, and the arithmetic one. */
		h = mix32(h, fold64(a << sh) ^ fold64(a >> (63 - sh)) ^ fold64((uint64_t)(sa >> sh)));

		if ((i & 7) == 0) {
			h = mix32(h, powmod((uint32_t)a, (uint32_t)(a >> 32), (uint32_t)x | 0x80000001u));
			h = mix32(h, fold64(gcd64(a >> (sh & 15), b)));
		}
	}
	if (!ok)
		bench_fail("int64", "q * b + r != a");
	return h;
}
