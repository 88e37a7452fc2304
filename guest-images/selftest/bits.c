/*
 * bits.c: selftest groups for bit manipulation and function pointers.
 *
 * The builtins compile to BSF/BSR/BSWAP and shift-and-mask sequences on
 * i686 (no POPCNT or LZCNT there); each is checked against a plain loop.
 * Function pointers: a table of operations, a comparator-driven sort and
 * callbacks stored in structs, all called indirectly.
 */
#include "selftest.h"

static unsigned slow_popcount(uint32_t x)
{
	unsigned n = 0;

	for (; x; x >>= 1)
		n += x & 1;
	return n;
}

static unsigned slow_clz(uint32_t x)
{
	unsigned n = 0;

	for (uint32_t bit = 0x80000000u; bit && !(x & bit); bit >>= 1)
		n++;
	return n;
}

static unsigned slow_ctz(uint32_t x)
{
	unsigned n = 0;

	for (; n < 32 && !(x & (1u << n)); n++)
		;
	return n;
}

static uint32_t slow_reverse(uint32_t x)
{
	uint32_t r = 0;

	for (int i = 0; i < 32; i++, x >>= 1)
		r = (r << 1) | (x & 1);
	return r;
}

static uint32_t rotl32(uint32_t x, unsigned n)
{
	return (x << (n & 31)) | (x >> ((32 - n) & 31));
}

static uint32_t rotr32(uint32_t x, unsigned n)
{
	return (x >> (n & 31)) | (x << ((32 - n) & 31));
}

void test_bits(void)
{
	static const uint32_t samples[] = {
		1, 2, 3, 0x80000000u, 0xffffffffu, 0x12345678u, 0x00f00f00u, 0x7ffffffeu,
		0x55555555u, 0x00010000u,
	};
	bool ok = true;

	for (unsigned i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		uint32_t x = opaque32(samples[i]);

		ok &= (unsigned)__builtin_popcount(x) == slow_popcount(x);
		ok &= (unsigned)__builtin_clz(x) == slow_clz(x);
		ok &= (unsigned)__builtin_ctz(x) == slow_ctz(x);
		ok &= (unsigned)__builtin_parity(x) == (slow_popcount(x) & 1);
		ok &= slow_reverse(slow_reverse(x)) == x;
		ok &= (x & (0 - x)) == (1u << slow_ctz(x));	/* lowest set bit */
		ok &= ((x & (x - 1)) == 0) == (slow_popcount(x) == 1);	/* power of two */
		for (unsigned n = 0; n < 32; n++)
			ok &= rotr32(rotl32(x, n), n) == x;
	}
	CHECK(ok);

	CHECK_EQ(__builtin_bswap32(opaque32(0x11223344)), 0x44332211);
	CHECK_EQ(__builtin_bswap64(opaque64(0x0102030405060708ull)), 0x0807060504030201ull);
	CHECK_EQ(rotl32(opaque32(0x80000001), 1), 0x00000003);
	CHECK_EQ(rotr32(opaque32(0x80000001), 4), 0x18000000);
	CHECK_EQ(slow_reverse(opaque32(1)), 0x80000000u);
	CHECK_EQ(__builtin_clzll(opaque64(0x0000000100000000ull)), 31);
	CHECK_EQ(__builtin_ctzll(opaque64(0x0000000100000000ull)), 32);
	CHECK_EQ(__builtin_popcountll(opaque64(0xffffffffffffffffull)), 64);

	/* Sign tricks: the branch-free sign and abs a compiler also emits. */
	int32_t v = sopaque32(-12345);
	int32_t mask = v >> 31;
	CHECK_EQ((v ^ mask) - mask, 12345);
	CHECK_EQ((v > 0) - (v < 0), -1);

	/* Byte and bit extraction with masks and shifts. */
	uint32_t packed = opaque32(0xa1b2c3d4);
	CHECK_EQ((packed >> 8) & 0xff, 0xc3);
	CHECK_EQ((packed >> 28), 0xa);
	CHECK_EQ(packed & ~0xff00u, 0xa1b200d4);
}

typedef uint32_t (*binop_t)(uint32_t, uint32_t);

static uint32_t op_add(uint32_t a, uint32_t b) { return a + b; }
static uint32_t op_sub(uint32_t a, uint32_t b) { return a - b; }
static uint32_t op_mul(uint32_t a, uint32_t b) { return a * b; }
static uint32_t op_div(uint32_t a, uint32_t b) { return a / b; }
static uint32_t op_xor(uint32_t a, uint32_t b) { return a ^ b; }

static binop_t const ops[] = { op_add, op_sub, op_mul, op_div, op_xor };

static int cmp_up(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

static int cmp_down(const void *a, const void *b)
{
	return cmp_up(b, a);
}

/* An insertion sort on 32-bit elements, ordered by a callback. */
static void sort32(int32_t *v, unsigned n, int (*cmp)(const void *, const void *))
{
	for (unsigned i = 1; i < n; i++) {
		int32_t key = v[i];
		unsigned j = i;

		while (j > 0 && cmp(&v[j - 1], &key) > 0) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = key;
	}
}

struct counter {
	uint32_t value;
	void (*step)(struct counter *);
};

static void step_by_one(struct counter *c) { c->value += 1; }
static void step_double(struct counter *c) { c->value *= 2; }

void test_funcptr(void)
{
	static const uint32_t want[] = { 1003, 997, 3000, 333, 1003 };
	uint32_t a = opaque32(1000), b = opaque32(3);

	for (unsigned i = 0; i < 5; i++) {
		binop_t f = (binop_t)(uintptr_t)opaque32((uint32_t)(uintptr_t)ops[i]);

		CHECK_EQ(f(a, b), want[i]);
	}

	int32_t v[10] = { 5, -3, 99, 0, -100, 42, 7, 7, INT32_MIN, INT32_MAX };
	sort32(v, 10, cmp_up);
	bool sorted = true;
	for (int i = 1; i < 10; i++)
		sorted &= v[i - 1] <= v[i];
	CHECK(sorted);
	CHECK_EQ(v[0], INT32_MIN);
	CHECK_EQ(v[9], INT32_MAX);
	sort32(v, 10, cmp_down);
	CHECK_EQ(v[0], INT32_MAX);
	CHECK_EQ(v[5], 5);

	struct counter counters[2] = { { 1, step_by_one }, { 1, step_double } };
	for (int round = 0; round < 10; round++)
		for (int i = 0; i < 2; i++)
			counters[i].step(&counters[i]);
	CHECK_EQ(counters[0].value, 11);
	CHECK_EQ(counters[1].value, 1024);
}
