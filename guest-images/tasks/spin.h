/*
 * spin.h: the spinner's work, a loop of arithmetic and stack traffic.
 *
 * Included twice, by the user program (where it runs in ring 3 under paging)
 * and by the kernel (where "paging=off" runs it in ring 0 with paging off), so
 * the two runs execute the same instructions and their MIPS can be compared.
 * FNV-1a over the round numbers, stirred through eight words of stack.
 */
#ifndef TASKS_SPIN_H
#define TASKS_SPIN_H

#include <stdint.h>

static __attribute__((noinline)) uint32_t spin_work(uint32_t rounds)
{
	volatile uint32_t mix[8];
	uint32_t h = 2166136261u;

	for (uint32_t i = 0; i < 8; i++)
		mix[i] = i;
	for (uint32_t r = 0; r < rounds; r++) {
		h = (h ^ r) * 16777619u;
		mix[r & 7] += h;
	}
	return h ^ mix[0] ^ mix[3] ^ mix[7];
}

#endif /* TASKS_SPIN_H */
