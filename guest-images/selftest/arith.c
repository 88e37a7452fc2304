/*
 * arith.c: selftest groups for integer arithmetic.
 *
 * 32-bit: signed and unsigned division, shifts (arithmetic and logical), sign
 * and zero extension, wrap-around, widening multiplies.  64-bit: the division
 * helpers against vectors computed by Python, multiplication, shifts by every
 * count against a shift-by-one reference, comparisons, and a randomised
 * property check (a == q * b + r, r < b) that does not trust the vectors.
 */
#include "selftest.h"

void test_int32(void)
{
	int32_t a = sopaque32(-7), b = sopaque32(2);

	CHECK_EQ(a / b, -3);
	CHECK_EQ(a % b, -1);
	CHECK_EQ(sopaque32(7) / sopaque32(-2), -3);
	CHECK_EQ(sopaque32(7) % sopaque32(-2), 1);
	CHECK_EQ(sopaque32(-7) / sopaque32(-2), 3);
	CHECK_EQ(opaque32(0xffffffff) / opaque32(3), 0x55555555);
	CHECK_EQ(opaque32(0xffffffff) % opaque32(10), 5);
	CHECK_EQ(sopaque32(INT32_MIN) / sopaque32(2), -0x40000000);

	/* Shifts: arithmetic for signed, logical for unsigned, variable counts. */
	CHECK_EQ(sopaque32(-256) >> opaque32(4), -16);
	CHECK_EQ(opaque32(0xffffff00) >> opaque32(4), 0x0ffffff0);
	CHECK_EQ(opaque32(1) << opaque32(31), 0x80000000);
	CHECK_EQ(sopaque32(-1) >> opaque32(31), -1);
	CHECK_EQ(opaque32(0x80000000) >> opaque32(31), 1);

	/* Wrap-around and unsigned/signed comparisons. */
	CHECK_EQ(opaque32(0x7fffffff) + 1, 0x80000000);
	CHECK_EQ(opaque32(0) - 1, 0xffffffff);
	CHECK(sopaque32(-1) < sopaque32(1));
	CHECK(opaque32((uint32_t)-1) > opaque32(1));
	CHECK(sopaque32(INT32_MIN) < sopaque32(INT32_MAX));

	/* Sign and zero extension from 8 and 16 bits. */
	CHECK_EQ((int32_t)(int8_t)opaque32(0x80), -128);
	CHECK_EQ((uint32_t)(uint8_t)opaque32(0x180), 0x80);
	CHECK_EQ((int32_t)(int16_t)opaque32(0x8000), -32768);
	CHECK_EQ((uint32_t)(uint16_t)opaque32(0x18000), 0x8000);

	/* Widening multiplies: MUL and IMUL with a 64-bit result. */
	CHECK_EQ((uint64_t)opaque32(0xffffffff) * opaque32(0xffffffff), 0xfffffffe00000001ull);
	CHECK_EQ((int64_t)sopaque32(-2) * sopaque32(3), -6);
	CHECK_EQ((int64_t)sopaque32(INT32_MIN) * sopaque32(INT32_MIN), 0x4000000000000000ll);
	CHECK_EQ(opaque32(65537) * opaque32(65537), 0x00020001);	/* truncated */

	/* min/max/abs: often CMOV or SETcc at -O2. */
	int32_t x = sopaque32(-42), y = sopaque32(17);
	CHECK_EQ(x < y ? x : y, -42);
	CHECK_EQ(x > y ? x : y, 17);
	CHECK_EQ(x < 0 ? -x : x, 42);
	CHECK_EQ((uint32_t)(x < y) + (uint32_t)(x == y) * 2 + (uint32_t)(x >= y) * 4, 1);
}

static const struct {
	uint64_t a, b, q, r, p;
} udiv_vectors[] = {
	/* a, b, a / b, a % b, a * b (mod 2^64) */
	{ 0x0000000000000000ull, 0x0000000000000001ull, 0x0000000000000000ull, 0x0000000000000000ull, 0x0000000000000000ull },
	{ 0x0000000000000001ull, 0x0000000000000001ull, 0x0000000000000001ull, 0x0000000000000000ull, 0x0000000000000001ull },
	{ 0xffffffffffffffffull, 0x0000000000000001ull, 0xffffffffffffffffull, 0x0000000000000000ull, 0xffffffffffffffffull },
	{ 0xffffffffffffffffull, 0xffffffffffffffffull, 0x0000000000000001ull, 0x0000000000000000ull, 0x0000000000000001ull },
	{ 0xffffffffffffffffull, 0x0000000000000002ull, 0x7fffffffffffffffull, 0x0000000000000001ull, 0xfffffffffffffffeull },
	{ 0x8000000000000000ull, 0x0000000000000003ull, 0x2aaaaaaaaaaaaaaaull, 0x0000000000000002ull, 0x8000000000000000ull },
	{ 0x123456789abcdef0ull, 0x0000000000012345ull, 0x0000100005b00205ull, 0x000000000000a497ull, 0x666666666652e6b0ull },
	{ 0x123456789abcdef0ull, 0x0000000100000000ull, 0x0000000012345678ull, 0x000000009abcdef0ull, 0x9abcdef000000000ull },
	{ 0x123456789abcdef0ull, 0x0000000100000001ull, 0x0000000012345678ull, 0x0000000088888878ull, 0xacf135689abcdef0ull },
	{ 0xffffffff00000000ull, 0x00000000ffffffffull, 0x0000000100000000ull, 0x0000000000000000ull, 0x0000000100000000ull },
	{ 0x0de0b6b3a7640000ull, 0x000000003b9aca07ull, 0x000000003b9ac9f9ull, 0x0000000000000031ull, 0x00f57f267bbc0000ull },
	{ 0x8000000000000000ull, 0x8000000000000001ull, 0x0000000000000000ull, 0x8000000000000000ull, 0x8000000000000000ull },
	{ 0xffffffffffffffffull, 0x0000000100000000ull, 0x00000000ffffffffull, 0x00000000ffffffffull, 0xffffffff00000000ull },
	{ 0xfedcba9876543210ull, 0x00000000fedcba98ull, 0x0000000100000000ull, 0x0000000076543210ull, 0x530eca86541d5980ull },
	{ 0xfedcba9876543210ull, 0x0000001234567890ull, 0x000000000e000000ull, 0x0000000096543210ull, 0xccccccce1833a900ull },
	{ 0xab54a98ceb1f0ad2ull, 0x000000024cb016eaull, 0x000000004a817c74ull, 0x00000001b05150caull, 0x1ee209355dadeff4ull },
	{ 0x0000000100000000ull, 0x00000000ffffffffull, 0x0000000000000001ull, 0x0000000000000001ull, 0xffffffff00000000ull },
	{ 0x0000ffffffffffffull, 0x0001000000000000ull, 0x0000000000000000ull, 0x0000ffffffffffffull, 0xffff000000000000ull },
	{ 0x0000000000000063ull, 0x0000000000000064ull, 0x0000000000000000ull, 0x0000000000000063ull, 0x00000000000026acull },
	{ 0x8000000000000000ull, 0x7fffffffffffffffull, 0x0000000000000001ull, 0x0000000000000001ull, 0x8000000000000000ull },
};

static const struct {
	int64_t a, b, q, r, p;
} sdiv_vectors[] = {
	/* a, b, a / b (toward zero), a % b (sign of a), a * b */
	{ (-7ll), 2ll, (-3ll), (-1ll), (-14ll) },
	{ 7ll, (-2ll), (-3ll), 1ll, (-14ll) },
	{ (-7ll), (-2ll), 3ll, (-1ll), 14ll },
	{ 7ll, 2ll, 3ll, 1ll, 14ll },
	{ INT64_MIN, 1ll, INT64_MIN, 0ll, INT64_MIN },
	{ INT64_MIN, 2ll, (-4611686018427387904ll), 0ll, 0ll },
	{ INT64_MIN, 9223372036854775807ll, (-1ll), (-1ll), INT64_MIN },
	{ 9223372036854775807ll, (-1ll), (-9223372036854775807ll), 0ll, (-9223372036854775807ll) },
	{ (-1000000000000000000ll), 12345ll, (-81004455245038ll), (-5890ll), (-4128214688309968896ll) },
	{ 1000000000000000000ll, (-3ll), (-333333333333333333ll), 1ll, (-3000000000000000000ll) },
	{ (-1ll), 1099511627776ll, 0ll, (-1ll), (-1099511627776ll) },
	{ (-1099511627781ll), 1048576ll, (-1048576ll), (-5ll), (-1152921504612089856ll) },
	{ 123456789012345ll, (-987654ll), (-125000039ll), 493839ll, 7194617020768272682ll },
	{ (-5ll), (-5ll), 1ll, 0ll, 25ll },
	{ 0ll, (-9ll), 0ll, 0ll, 0ll },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Shift references built from 32-bit shifts by one, not from SHLD/SHRD. */
static uint64_t ref_shl(uint64_t x, unsigned s)
{
	uint32_t lo = (uint32_t)x, hi = (uint32_t)(x >> 32);

	while (s--) {
		hi = (hi << 1) | (lo >> 31);
		lo <<= 1;
	}
	return ((uint64_t)hi << 32) | lo;
}

static uint64_t ref_shr(uint64_t x, unsigned s, bool arithmetic)
{
	uint32_t lo = (uint32_t)x, hi = (uint32_t)(x >> 32);
	uint32_t fill = arithmetic ? (hi & 0x80000000u) : 0;

	while (s--) {
		lo = (lo >> 1) | (hi << 31);
		hi = (hi >> 1) | fill;
	}
	return ((uint64_t)hi << 32) | lo;
}

/* A 64-bit linear congruential generator (Knuth's MMIX constants). */
static uint64_t lcg_state = 0x853c49e6748fea9bull;
static uint64_t lcg_next(void)
{
	lcg_state = lcg_state * 6364136223846793005ull + 1442695040888963407ull;
	return lcg_state;
}

void test_int64(void)
{
	for (unsigned i = 0; i < ARRAY_SIZE(udiv_vectors); i++) {
		uint64_t a = opaque64(udiv_vectors[i].a), b = opaque64(udiv_vectors[i].b);

		CHECK_EQ(a / b, udiv_vectors[i].q);
		CHECK_EQ(a % b, udiv_vectors[i].r);
		CHECK_EQ(a * b, udiv_vectors[i].p);
	}
	for (unsigned i = 0; i < ARRAY_SIZE(sdiv_vectors); i++) {
		int64_t a = sopaque64(sdiv_vectors[i].a), b = sopaque64(sdiv_vectors[i].b);

		CHECK_EQ(a / b, sdiv_vectors[i].q);
		CHECK_EQ(a % b, sdiv_vectors[i].r);
		CHECK_EQ((uint64_t)a * (uint64_t)b, sdiv_vectors[i].p);
	}

	/* Every shift count, both directions, against the references. */
	uint64_t x = opaque64(0xf0e1d2c3b4a59687ull);
	bool shifts_ok = true;
	for (unsigned s = 0; s < 64; s++) {
		unsigned n = opaque32(s);

		shifts_ok &= (x << n) == ref_shl(x, s);
		shifts_ok &= (x >> n) == ref_shr(x, s, false);
		shifts_ok &= (uint64_t)((int64_t)x >> n) == ref_shr(x, s, true);
	}
	CHECK(shifts_ok);

	/* Carries and borrows across the 32-bit halves. */
	CHECK_EQ(opaque64(0xffffffffull) + 1, 0x100000000ull);
	CHECK_EQ(opaque64(0x100000000ull) - 1, 0xffffffffull);
	CHECK_EQ(opaque64(0) - 1, 0xffffffffffffffffull);
	CHECK_EQ(-sopaque64(0x123456789ll), -0x123456789ll);

	/* Comparisons: signed vs unsigned, decided by either half. */
	CHECK(sopaque64(-1) < sopaque64(0));
	CHECK(opaque64((uint64_t)-1) > opaque64(0));
	CHECK(opaque64(0x100000000ull) > opaque64(0xffffffffull));
	CHECK(sopaque64(0x100000000ll) > sopaque64(0xffffffffll));
	CHECK(sopaque64(-0x100000000ll) < sopaque64(-0xffffffffll));
	CHECK(opaque64(0x5000000001ull) < opaque64(0x5000000002ull));
	CHECK(!(opaque64(0x5000000002ull) <= opaque64(0x5000000001ull)));
	CHECK(sopaque64(INT64_MIN) < sopaque64(INT64_MAX));
	CHECK(opaque64(0x8000000000000000ull) > opaque64(0x7fffffffffffffffull));

	/*
	 * Random operands of every size: the division identity must hold.  The
	 * multiply and add here are inline code, not the division helpers.
	 */
	bool identity_ok = true;
	for (unsigned i = 0; i < 300; i++) {
		uint64_t a = lcg_next() >> (lcg_next() >> 58);
		uint64_t b = lcg_next() >> (lcg_next() >> 58);

		if (b == 0)
			b = 1;
		uint64_t q = a / b, r = a % b;
		identity_ok &= r < b && q * b + r == a;
		/* q * b must not have overflowed: q <= a / b exactly. */
		identity_ok &= b == 1 || q <= a;

		int64_t sa = (int64_t)(a >> 1) * ((i & 1) ? -1 : 1);
		int64_t sb = (int64_t)(b >> 1 | 1) * ((i & 2) ? -1 : 1);
		int64_t sq = sa / sb, sr = sa % sb;
		identity_ok &= sq * sb + sr == sa;
		identity_ok &= sr == 0 || (sr < 0) == (sa < 0);
		identity_ok &= (sr < 0 ? -sr : sr) < (sb < 0 ? -sb : sb);
	}
	CHECK(identity_ok);
}
