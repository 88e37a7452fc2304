/*G:610
 * divdi3.c: 64-bit division for a 32-bit CPU.
 *
 * i386 has no instruction that divides a 64-bit number by a 64-bit number, so
 * for "a / b" on uint64_t the compiler emits a call to __udivdi3 (and
 * __umoddi3, __divdi3, __moddi3 for the other three), expecting the runtime
 * library (libgcc, compiler-rt) to provide it.  We link no runtime library, so
 * here they are.
 *
 * Everything funnels into __udivmoddi4(n, d, &rem), in two cases:
 *   - d fits in 32 bits: two hardware DIVs, long division with 32-bit
 *     "digits".  The high word first: n_hi / d gives the quotient's high word
 *     and a remainder r < d; then (r:n_lo) / d cannot overflow a 32-bit
 *     quotient precisely because r < d.  Dividing by zero runs the first DIV
 *     with a zero divisor and raises #DE, just like a 32-bit division by zero.
 *   - d needs more than 32 bits: then the quotient fits in 32 bits, and
 *     shift-and-subtract finds it in at most 32 rounds.
 * The signed versions divide the magnitudes and fix the signs the C way: the
 * quotient truncates toward zero, the remainder has the sign of the dividend.
 * Nothing here may itself divide a 64-bit value with '/' or '%': that would
 * call these very functions.
 */
#include <stdint.h>

uint64_t __udivmoddi4(uint64_t n, uint64_t d, uint64_t *rem);
int64_t __divmoddi4(int64_t a, int64_t b, int64_t *rem);
uint64_t __udivdi3(uint64_t n, uint64_t d);
uint64_t __umoddi3(uint64_t n, uint64_t d);
int64_t __divdi3(int64_t a, int64_t b);
int64_t __moddi3(int64_t a, int64_t b);

/* EDX:EAX / divisor; the caller guarantees hi < divisor (no overflow). */
static inline uint32_t div_64_32(uint32_t hi, uint32_t lo, uint32_t divisor,
				 uint32_t *rem)
{
	uint32_t q, r;

	__asm__("divl %4" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), "rm"(divisor));
	*rem = r;
	return q;
}

/* Number of leading zero bits of a nonzero 64-bit value. */
static inline int clz64(uint64_t x)
{
	uint32_t hi = (uint32_t)(x >> 32);

	return hi ? __builtin_clz(hi) : 32 + __builtin_clz((uint32_t)x);
}

uint64_t __udivmoddi4(uint64_t n, uint64_t d, uint64_t *rem)
{
	uint32_t n_hi = (uint32_t)(n >> 32), n_lo = (uint32_t)n;
	uint32_t d_hi = (uint32_t)(d >> 32), d_lo = (uint32_t)d;
	uint64_t q;

	if (d_hi == 0) {
		uint32_t q_hi = n_hi / d_lo;	/* #DE here if d == 0 */
		uint32_t r = n_hi % d_lo;
		uint32_t q_lo = div_64_32(r, n_lo, d_lo, &r);

		if (rem)
			*rem = r;
		return ((uint64_t)q_hi << 32) | q_lo;
	}

	/* d >= 2^32, so q < 2^32. */
	if (n < d) {
		if (rem)
			*rem = n;
		return 0;
	}
	int shift = clz64(d) - clz64(n);	/* 0..31: align d's top bit with n's */

	d <<= shift;
	q = 0;
	for (int i = 0; i <= shift; i++) {
		q <<= 1;
		if (n >= d) {
			n -= d;
			q |= 1;
		}
		d >>= 1;
	}
	if (rem)
		*rem = n;
	return q;
}

uint64_t __udivdi3(uint64_t n, uint64_t d)
{
	return __udivmoddi4(n, d, 0);
}

uint64_t __umoddi3(uint64_t n, uint64_t d)
{
	uint64_t r;

	__udivmoddi4(n, d, &r);
	return r;
}

int64_t __divmoddi4(int64_t a, int64_t b, int64_t *rem)
{
	/* Magnitudes as unsigned, so INT64_MIN is handled without overflow. */
	uint64_t ua = a < 0 ? 0 - (uint64_t)a : (uint64_t)a;
	uint64_t ub = b < 0 ? 0 - (uint64_t)b : (uint64_t)b;
	uint64_t ur;
	uint64_t uq = __udivmoddi4(ua, ub, &ur);

	if (rem)
		*rem = (int64_t)(a < 0 ? 0 - ur : ur);
	return (int64_t)((a < 0) != (b < 0) ? 0 - uq : uq);
}

int64_t __divdi3(int64_t a, int64_t b)
{
	return __divmoddi4(a, b, 0);
}

int64_t __moddi3(int64_t a, int64_t b)
{
	int64_t r;

	__divmoddi4(a, b, &r);
	return r;
}
