/*
 * bits.c: bit manipulation by hand.
 *
 * What lib/ and include/linux/bitops.h do without the instructions (i686 has
 * no POPCNT or LZCNT): popcount the SWAR way (hweight32) and Kernighan's way,
 * count leading zeros by binary search (fls), trailing zeros with a de Bruijn
 * multiply, bit reversal by swapping ever smaller groups (bitrev32), byte
 * swap by shifts, parity by folding.  The two popcounts check each other;
 * reversing twice and swapping twice give the value back.
 */
#include "bench.h"

#define BITS_N 2048

static unsigned popcount_swar(uint32_t x)
{
	x = x - ((x >> 1) & 0x55555555u);
	x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
	x = (x + (x >> 4)) & 0x0f0f0f0fu;
	return (x * 0x01010101u) >> 24;
}

static unsigned popcount_kernighan(uint32_t x)
{
	unsigned n = 0;

	while (x) {
		x &= x - 1;
		n++;
	}
	return n;
}

static unsigned clz_hand(uint32_t x)
{
	unsigned n = 0;

	if (!x)
		return 32;
	if (!(x & 0xffff0000u)) { n += 16; x <<= 16; }
	if (!(x & 0xff000000u)) { n += 8; x <<= 8; }
	if (!(x & 0xf0000000u)) { n += 4; x <<= 4; }
	if (!(x & 0xc0000000u)) { n += 2; x <<= 2; }
	if (!(x & 0x80000000u)) { n += 1; }
	return n;
}

static const uint8_t debruijn_ctz[32] = {
	0, 1, 28, 2, 29, 14, 24, 3, 30, 22, 20, 15, 25, 17, 4, 8,
	31, 27, 13, 23, 21, 19, 16, 7, 26, 12, 18, 6, 11, 5, 10, 9,
};

static unsigned ctz_debruijn(uint32_t x)
{
	if (!x)
		return 32;
	return debruijn_ctz[((x & -x) * 0x077cb531u) >> 27];
}

static uint32_t bitrev32(uint32_t x)
{
	x = ((x >> 1) & 0x55555555u) | ((x & 0x55555555u) << 1);
	x = ((x >> 2) & 0x33333333u) | ((x & 0x33333333u) << 2);
	x = ((x >> 4) & 0x0f0f0f0fu) | ((x & 0x0f0f0f0fu) << 4);
	x = ((x >> 8) & 0x00ff00ffu) | ((x & 0x00ff00ffu) << 8);
	return (x >> 16) | (x << 16);
}

static uint32_t bswap32_hand(uint32_t x)
{
	return (x >> 24) | ((x >> 8) & 0xff00u) | ((x << 8) & 0xff0000u) | (x << 24);
}

static unsigned parity32(uint32_t x)
{
	x ^= x >> 16;
	x ^= x >> 8;
	x ^= x >> 4;
	x ^= x >> 2;
	x ^= x >> 1;
	return x & 1;
}

uint32_t bench_bits(uint32_t seed)
{
	uint32_t s = rng_seed(seed), h = 0, acc = 0;
	bool ok = true;

	for (int i = 0; i < BITS_N; i++) {
		uint32_t v = rng_next(&s);

		/* Sparse values too, so clz and ctz see more than 0..2. */
		if (i & 1)
			v >>= v & 31;
		unsigned pc = popcount_swar(v);

		if (pc != popcount_kernighan(v) || parity32(v) != (pc & 1))
			ok = false;
		uint32_t r = bitrev32(v), b = bswap32_hand(v);

		if (bitrev32(r) != v || bswap32_hand(b) != v)
			ok = false;
		if (v && ctz_debruijn(v) != clz_hand(r))
			ok = false;
		h = mix32(h, pc | clz_hand(v) << 8 | ctz_debruijn(v) << 16 | parity32(v) << 24);
		acc += r ^ rotl32(b, pc);
	}
	if (!ok)
		bench_fail("bits", "popcount/parity/clz/ctz/bitrev/bswap disagree");
	return mix32(h, acc);
}
