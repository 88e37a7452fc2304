/*
 * sort.c: quicksort and heapsort of 2048 ints.
 *
 * The two sorts get the same data (random 32-bit values, a quarter of them
 * squeezed into 0..1023 so there are plenty of duplicates) and must agree.
 * Quicksort as a C library writes it: median-of-three pivot, Hoare partition,
 * recursion on the smaller side and a loop on the larger, insertion sort for
 * the short runs.  Heapsort as the kernel's lib/sort.c does it: build a heap
 * by sifting down, then pop the maximum to the end.
 */
#include "bench.h"

#define SORT_N 2048

static int32_t qarr[SORT_N], harr[SORT_N];

static void insertion_sort(int32_t *a, int n)
{
	for (int i = 1; i < n; i++) {
		int32_t v = a[i];
		int j = i - 1;

		while (j >= 0 && a[j] > v) {
			a[j + 1] = a[j];
			j--;
		}
		a[j + 1] = v;
	}
}

static inline void swap32(int32_t *a, int32_t *b)
{
	int32_t t = *a;

	*a = *b;
	*b = t;
}

static void quicksort(int32_t *a, int n)
{
	while (n > 16) {
		int mid = n / 2, i = 0, j = n - 1;

		/* Median of three: a[0] <= a[mid] <= a[n-1], pivot a[mid]. */
		if (a[mid] < a[0])
			swap32(&a[mid], &a[0]);
		if (a[n - 1] < a[0])
			swap32(&a[n - 1], &a[0]);
		if (a[n - 1] < a[mid])
			swap32(&a[n - 1], &a[mid]);
		int32_t pivot = a[mid];

		/* Hoare: afterwards a[0..j] <= pivot <= a[j+1..n-1]. */
		for (;;) {
			while (a[i] < pivot)
				i++;
			while (a[j] > pivot)
				j--;
			if (i >= j)
				break;
			swap32(&a[i], &a[j]);
			i++;
			j--;
		}
		int left = j + 1;

		if (left < n - left) {
			quicksort(a, left);
			a += left;
			n -= left;
		} else {
			quicksort(a + left, n - left);
			n = left;
		}
	}
	insertion_sort(a, n);
}

static void sift_down(int32_t *a, int root, int end)
{
	for (;;) {
		int child = 2 * root + 1;

		if (child >= end)
			return;
		if (child + 1 < end && a[child] < a[child + 1])
			child++;
		if (a[root] >= a[child])
			return;
		swap32(&a[root], &a[child]);
		root = child;
	}
}

static void heapsort(int32_t *a, int n)
{
	for (int i = n / 2 - 1; i >= 0; i--)
		sift_down(a, i, n);
	for (int end = n - 1; end > 0; end--) {
		swap32(&a[0], &a[end]);
		sift_down(a, 0, end);
	}
}

uint32_t bench_sort(uint32_t seed)
{
	uint32_t s = rng_seed(seed), h = 0;
	bool ok = true;

	for (int i = 0; i < SORT_N; i++) {
		uint32_t v = rng_next(&s);

		if ((v & 3) == 0)
			v = (v >> 8) & 1023;
		qarr[i] = harr[i] = (int32_t)v;
	}
	quicksort(qarr, SORT_N);
	heapsort(harr, SORT_N);
	for (int i = 0; i < SORT_N; i++) {
		if (qarr[i] != harr[i] || (i > 0 && qarr[i - 1] > qarr[i]))
			ok = false;
		h = mix32(h, (uint32_t)qarr[i]);
	}
	if (!ok)
		bench_fail("sort", "quicksort and heapsort disagree or not sorted");
	return h;
}
