/*
 * selftest.h: the tiny test framework the selftest groups share.
 *
 * A group is a function that makes CHECKs.  Every check counts; a failing one
 * prints the file, line and expression (and, for the _EQ forms, both values).
 * opaque32()/opaque64() hide a value from the optimiser, so -O2 cannot fold a
 * check into a constant and the CPU really executes the arithmetic.
 */
#ifndef SELFTEST_H
#define SELFTEST_H

#include "fw/firmware.h"

extern unsigned st_checks, st_failures;

void st_check(bool ok, const char *file, int line, const char *expr);
void st_check_eq64(uint64_t got, uint64_t want, const char *file, int line,
		   const char *expr);

#define CHECK(cond) st_check((cond), __FILE__, __LINE__, #cond)
#define CHECK_EQ(got, want) \
	st_check_eq64((uint64_t)(got), (uint64_t)(want), __FILE__, __LINE__, #got " == " #want)

static inline uint32_t opaque32(uint32_t x)
{
	__asm__("" : "+r"(x));
	return x;
}

static inline uint64_t opaque64(uint64_t x)
{
	uint32_t lo = opaque32((uint32_t)x), hi = opaque32((uint32_t)(x >> 32));

	return ((uint64_t)hi << 32) | lo;
}

static inline int32_t sopaque32(int32_t x)
{
	return (int32_t)opaque32((uint32_t)x);
}

static inline int64_t sopaque64(int64_t x)
{
	return (int64_t)opaque64((uint64_t)x);
}

/* The groups, in the order they run. */
void test_loops(void);
void test_calls(void);
void test_switch(void);
void test_int32(void);
void test_int64(void);
void test_strings(void);
void test_printf(void);
void test_structs(void);
void test_bits(void);
void test_funcptr(void);
void test_clock(void);
void test_traps(void);

#endif /* SELFTEST_H */
