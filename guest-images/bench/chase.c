/*
 * chase.c: pointer chasing through a shuffled doubly linked list.
 *
 * 4096 nodes, linked in a random order (a Fisher-Yates shuffle), into a
 * circular list with a sentinel head, as the kernel's list_head does it.  The
 * walks follow ->next and ->prev pointers, every load depending on the one
 * before; a pass in the middle moves a quarter of the nodes to the tail
 * (list_del + list_add_tail) so the order changes while we walk.
 */
#include "bench.h"

#define CHASE_N 4096

struct node {
	struct node *next, *prev;
	uint32_t value;
	uint32_t index;
};

static struct node nodes[CHASE_N], head;
static uint16_t order[CHASE_N];

static inline void list_add_tail(struct node *n, struct node *h)
{
	n->prev = h->prev;
	n->next = h;
	h->prev->next = n;
	h->prev = n;
}

static inline void list_del(struct node *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
}

/* Walk forwards: a digest that depends on the order, and the node count. */
static uint32_t walk_next(uint32_t *count)
{
	uint32_t h = 0, n = 0;

	for (struct node *p = head.next; p != &head; p = p->next) {
		h = rotl32(h, 5) ^ p->value;
		n++;
	}
	*count = n;
	return h;
}

static uint32_t walk_prev(uint32_t *count)
{
	uint32_t h = 0, n = 0;

	for (struct node *p = head.prev; p != &head; p = p->prev) {
		h = rotl32(h, 7) + p->index;
		n++;
	}
	*count = n;
	return h;
}

uint32_t bench_chase(uint32_t seed)
{
	uint32_t s = rng_seed(seed), h = 0, count;

	for (int i = 0; i < CHASE_N; i++)
		order[i] = (uint16_t)i;
	for (int i = CHASE_N - 1; i > 0; i--) {
		uint32_t j = rng_next(&s) % (uint32_t)(i + 1);
		uint16_t t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	head.next = head.prev = &head;
	for (int i = 0; i < CHASE_N; i++) {
		struct node *n = &nodes[order[i]];

		n->value = rng_next(&s);
		n->index = order[i];
		list_add_tail(n, &head);
	}

	for (int pass = 0; pass < 3; pass++) {
		h = mix32(h, walk_next(&count));
		if (count != CHASE_N)
			bench_fail("chase", "forward walk lost nodes");
	}

	/* Move the nodes whose value ends in binary 00 to the tail, in one pass. */
	struct node *p = head.next;

	for (int i = 0; i < CHASE_N; i++) {
		struct node *next = p->next;

		if ((p->value & 3) == 0) {
			list_del(p);
			list_add_tail(p, &head);
		}
		p = next;
	}

	for (int pass = 0; pass < 2; pass++) {
		h = mix32(h, walk_prev(&count));
		if (count != CHASE_N)
			bench_fail("chase", "backward walk lost nodes");
	}
	return mix32(h, walk_next(&count));
}
