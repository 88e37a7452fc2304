/*
 * demo.h: what the tickless and periodic guests share.
 *
 * Both run the same software timers for the same virtual time and print the
 * same lines, so their outputs can be put side by side: only the way the timer
 * interrupt is driven differs (on demand, or a 1000 Hz tick).  This file
 * holds the timer descriptions, the one printing routine, the idle step and
 * the summary.
 */
#ifndef DEMO_H
#define DEMO_H

#include "fw/firmware.h"

/* One software timer of the demo, and what was measured about it. */
struct demo_timer {
	const char *name;	/* "3ms" */
	uint32_t period_ms;	/* 0: one-shot */
	uint32_t first_ms;	/* one-shot: when (absolute, ms of guest time) */
	uint32_t fired;
	int64_t max_late_ns;
	int64_t total_late_ns;
	bool disabled;		/* not started (cmdline "slow") */
};

/* The demo's timers: periodic 3, 7 and 100 ms, one-shot at 250 ms. */
#define DEMO_TIMERS 4
extern struct demo_timer demo_timers[DEMO_TIMERS];

/* Counted when a timer runs before its expiry (never, if all is well). */
extern uint32_t demo_early;

/* Parse duration_ms= and idle= from the command line; print the first line. */
void demo_setup(const char *who);

/* How long the demo runs, in ns of guest time (duration_ms=N, default 1000). */
extern uint64_t demo_duration_ns;

/*
 * Record and print one expiry: "[<now> ns] timer <name> #<n> late <ns> ns".
 * "expires" and "now" are absolute ns on clock_now_ns().
 */
void demo_expired(struct demo_timer *t, uint64_t expires, uint64_t now);

/*
 * Wait for an interrupt; called with interrupts disabled, returns with them
 * enabled after the interrupt was taken.  "sti; hlt" by default; with
 * idle=hcall on the command line, lguest's way: HCALL_HALT, which returns
 * once an IRQ is pending even with IF clear, then STI to take it.
 */
void demo_idle(void);

/* Print the per-timer summary lines. */
void demo_summary(const char *who, uint64_t now);

#endif /* DEMO_H */
