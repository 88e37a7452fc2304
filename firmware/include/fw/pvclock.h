/*G:080
 * pvclock.h: the paravirtual clock, in two halves as Linux has them.
 *
 * The clocksource answers "what time is it?": clock_now_ns() reads the TSC
 * and converts ticks to nanoseconds with the frequency CPUID advertises.
 * Under Puppyvisor the TSC counts virtual time, so this is the guest's clock
 * (0 at the guest's first instruction).
 *
 * The clockevent device answers "wake me in N ns": one hypercall arms a
 * one-shot timer in the host, which raises IRQ 0 when it expires.  Arming it
 * again replaces the old expiry; there is no periodic mode.
 */
#ifndef FW_PVCLOCK_H
#define FW_PVCLOCK_H

#include <stdbool.h>
#include <stdint.h>

#define NSEC_PER_USEC 1000ull
#define NSEC_PER_MSEC 1000000ull
#define NSEC_PER_SEC 1000000000ull

/* Clocksource: nanoseconds from the TSC. */
uint64_t clock_now_ns(void);
uint64_t tsc_to_ns(uint64_t tsc);

/* Clockevent: is the device there at all (Puppyvisor with PV_FEATURE_CLOCKEVENT)? */
bool clockevent_available(void);

/*
 * Arm the device to fire delta_ns from now.  Like lguest's
 * lguest_clockevent_set_next_event(), refuse deltas below LG_CLOCK_MIN_DELTA
 * with -ETIME (the caller then decides: run the event now, or ask for the
 * minimum).  Returns 0 when armed.
 */
int clockevent_set_next(uint64_t delta_ns);

/* Disarm the device (a delta of 0).  An IRQ already pending still arrives. */
void clockevent_stop(void);

/* How often each was called, for the guests' summaries. */
extern volatile uint32_t clockevent_armed;
extern volatile uint32_t clockevent_stopped;

#endif /* FW_PVCLOCK_H */
