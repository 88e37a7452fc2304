/*G:090
 * hrtimer.h: software timers on top of the one clockevent device.
 *
 * The guest has one hardware-like timer (the paravirtual clockevent) but wants
 * many: this is the small version of Linux's hrtimers.  Each struct hrtimer
 * has an absolute expiry in nanoseconds on clock_now_ns() and a callback.  The
 * queue is a singly linked list kept sorted by expiry (ties in the order they
 * were queued), and its head, timer_queue_head, is always the timer the device
 * is armed for: the guest is tickless, it asks to be woken exactly when the
 * earliest timer is due and at no other time.
 *
 * Callbacks run in the timer IRQ with interrupts off.  A callback returns
 * HRTIMER_RESTART to be queued again at its (updated) t->expires, usually
 * after hrtimer_forward(), or HRTIMER_NORESTART to stop.
 */
#ifndef FW_HRTIMER_H
#define FW_HRTIMER_H

#include <stdbool.h>
#include <stdint.h>

enum hrtimer_restart {
	HRTIMER_NORESTART,
	HRTIMER_RESTART,
};

struct hrtimer;
typedef enum hrtimer_restart (*hrtimer_fn_t)(struct hrtimer *timer);

struct hrtimer {
	uint64_t expires;	/* absolute expiry, ns on clock_now_ns() */
	hrtimer_fn_t function;
	struct hrtimer *next;	/* the next later timer in the queue */
	bool queued;
	const char *name;	/* for messages only */
};

/*
 * The queue, earliest first; NULL when empty.  A global with a fixed name so a
 * debugger can watch it ("watch timer_queue_head").
 */
extern struct hrtimer *timer_queue_head;

/* Statistics for the guests' summaries. */
struct hrtimer_stats {
	uint32_t interrupts;	/* timer IRQs handled */
	uint32_t spurious;	/* ... of which ran no timer */
	uint32_t expired;	/* callbacks run */
	uint32_t programmed;	/* times the device was armed */
};
extern struct hrtimer_stats hrtimer_stats;

/* Route the timer IRQ to hrtimer_interrupt(). */
void hrtimers_init(void);

void hrtimer_init(struct hrtimer *timer, hrtimer_fn_t fn, const char *name);

/* Queue (or re-queue) the timer to expire at the absolute time expires_ns. */
void hrtimer_start(struct hrtimer *timer, uint64_t expires_ns);

/* Take the timer off the queue; returns whether it was queued. */
bool hrtimer_cancel(struct hrtimer *timer);

/*
 * Move t->expires forward by whole intervals until it is after "now"; returns
 * how many intervals were added (more than 1 means expiries were missed).
 * Linux's hrtimer_forward(), for periodic timers.
 */
uint64_t hrtimer_forward(struct hrtimer *timer, uint64_t now, uint64_t interval);

/* The timer IRQ: run every expired timer, re-arm for the earliest left. */
void hrtimer_interrupt(void);

#endif /* FW_HRTIMER_H */
