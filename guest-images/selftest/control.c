/*
 * control.c: selftest groups for control flow: loops, calls and recursion,
 * and a switch dense enough that the compiler emits a jump table (an
 * indirect "jmp *table(,%reg,4)").
 */
#include "selftest.h"

void test_loops(void)
{
	uint32_t n = opaque32(100), sum = 0, i;

	for (i = 1; i <= n; i++)
		sum += i;
	CHECK_EQ(sum, 5050);

	/* Counting down, with the loop variable used after the loop. */
	for (i = opaque32(10); i > 0; i--)
		sum -= i;
	CHECK_EQ(sum, 5050 - 55);
	CHECK_EQ(i, 0);

	/* Nested loops: a small multiplication table summed. */
	sum = 0;
	for (uint32_t a = 1; a <= opaque32(12); a++)
		for (uint32_t b = 1; b <= opaque32(12); b++)
			sum += a * b;
	CHECK_EQ(sum, 78 * 78);

	/* do/while runs at least once. */
	uint32_t runs = 0;
	do
		runs++;
	while (opaque32(0));
	CHECK_EQ(runs, 1);

	/* break and continue: sum of odd numbers below 50, stopping at 37. */
	sum = 0;
	for (i = 0;; i++) {
		if (i == opaque32(37))
			break;
		if ((i & 1) == 0)
			continue;
		sum += i;
	}
	CHECK_EQ(sum, 18 * 18);

	/* while with a compound condition and a signed index. */
	int32_t k = sopaque32(-20), steps = 0;
	while (k < 20 && steps < 1000) {
		k += 3;
		steps++;
	}
	CHECK_EQ(k, 22);
	CHECK_EQ(steps, 14);

	/* An array walked by pointer, backwards. */
	uint32_t arr[16];
	for (i = 0; i < 16; i++)
		arr[i] = opaque32(i * i);
	sum = 0;
	for (uint32_t *p = arr + 15; p >= arr; p--)
		sum = sum * 3 + *p;
	uint32_t want = 0;
	for (int j = 15; j >= 0; j--)
		want = want * 3 + (uint32_t)(j * j);
	CHECK_EQ(sum, want);
	CHECK_EQ(sum, opaque32(want));
}

static __attribute__((noinline)) uint32_t fib(uint32_t n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static __attribute__((noinline)) uint32_t ackermann(uint32_t m, uint32_t n)
{
	if (m == 0)
		return n + 1;
	if (n == 0)
		return ackermann(m - 1, 1);
	return ackermann(m - 1, ackermann(m, n - 1));
}

static __attribute__((noinline)) uint32_t gcd(uint32_t a, uint32_t b)
{
	return b ? gcd(b, a % b) : a;
}

static bool is_odd(uint32_t n);
static __attribute__((noinline)) bool is_even(uint32_t n)
{
	return n == 0 ? true : is_odd(n - 1);
}
static __attribute__((noinline)) bool is_odd(uint32_t n)
{
	return n == 0 ? false : is_even(n - 1);
}

/* Eight arguments of mixed widths: some passed on the stack as 64-bit. */
static __attribute__((noinline)) int64_t many_args(int8_t a, uint16_t b, int32_t c,
						    uint64_t d, int64_t e, uint8_t f,
						    int16_t g, uint32_t h)
{
	return a + b + c + (int64_t)d + e + f + g + h;
}

static __attribute__((noinline)) uint32_t hanoi(uint32_t n, int from, int to, int via)
{
	if (n == 0)
		return 0;
	return hanoi(n - 1, from, via, to) + 1 + hanoi(n - 1, via, to, from);
}

/* A deep call chain with locals in every frame: stack and frame pointer use. */
static __attribute__((noinline)) uint32_t deep(uint32_t n, uint32_t acc)
{
	volatile uint32_t local[4] = { n, acc, n ^ acc, n + acc };

	if (n == 0)
		return local[1];
	return deep(n - 1, local[3] + local[2]);
}

void test_calls(void)
{
	CHECK_EQ(fib(opaque32(20)), 6765);
	CHECK_EQ(ackermann(opaque32(2), opaque32(3)), 9);
	CHECK_EQ(ackermann(opaque32(3), opaque32(3)), 61);
	CHECK_EQ(gcd(opaque32(1071), opaque32(462)), 21);
	CHECK_EQ(gcd(opaque32(832040), opaque32(514229)), 1);
	CHECK(is_even(opaque32(100)));
	CHECK(is_odd(opaque32(77)));
	CHECK_EQ(many_args((int8_t)sopaque32(-5), (uint16_t)opaque32(60000), sopaque32(-100000),
			   opaque64(0x100000000ull), sopaque64(-1), (uint8_t)opaque32(255),
			   (int16_t)sopaque32(-32768), opaque32(0xffffffff)),
		 -5 + 60000 - 100000 + 0x100000000ll - 1 + 255 - 32768 + 0xffffffffll);
	CHECK_EQ(hanoi(opaque32(10), 1, 3, 2), 1023);

	uint32_t want = 7;
	for (uint32_t n = 200; n > 0; n--)
		want = (n + want) + (n ^ want);
	CHECK_EQ(deep(opaque32(200), opaque32(7)), want);
}

/*
 * Each case does a different operation, so the compiler cannot turn the
 * switch into a table of constants: it must jump.  16 dense cases plus a
 * default make a jump table at -O2.
 */
static __attribute__((noinline)) uint32_t dispatch(uint32_t op, uint32_t x)
{
	switch (op) {
	case 0: return x + 3;
	case 1: return x * 5;
	case 2: return x ^ 0x55aa;
	case 3: return x << 3;
	case 4: return x >> 2;
	case 5: return ~x;
	case 6: return x - 1000;
	case 7: return x * x;
	case 8: return x | 0xf0f0;
	case 9: return x & 0x0ff0;
	case 10: return x / 7;
	case 11: return x % 13;
	case 12: return (x << 16) | (x >> 16);
	case 13: return 0 - x;
	case 14: return x + x + x + 1;
	case 15: return x > 1000 ? 1 : 2;
	default: return 0xdeadbeef;
	}
}

void test_switch(void)
{
	static const uint32_t want[18] = {
		1237, 6170, 20856, 9872, 308, 0xfffffb2d, 234, 1522756,
		62706, 1232, 176, 12, 0x04d20000, 0xfffffb2e, 3703, 1,
		0xdeadbeef, 0xdeadbeef,
	};
	uint32_t x = opaque32(1234);

	for (uint32_t op = 0; op < 18; op++)
		CHECK_EQ(dispatch(opaque32(op), x), want[op]);
	CHECK_EQ(dispatch(opaque32(0xffffffff), x), 0xdeadbeef);

	/* A switch over a signed char with sparse cases and fall-through. */
	int score = 0;
	for (int c = -3; c <= 3; c++) {
		switch ((signed char)sopaque32(c)) {
		case -3:
			score += 1;
			/* fall through */
		case -2:
			score += 10;
			break;
		case 0:
			score += 100;
			break;
		case 3:
			score += 1000;
			break;
		default:
			score += 10000;
		}
	}
	CHECK_EQ(score, 1 + 10 + 10 + 100 + 1000 + 3 * 10000);
}
