/*G:730
 * tickless.c: the tickless story.
 *
 * Four software timers (periodic 3 ms, 7 ms and 100 ms, a one-shot at
 * 250 ms) and an end-of-run timer live in the firmware's hrtimer queue.  The
 * clockevent device is only ever armed for the head of that queue: the guest
 * takes one interrupt per distinct expiry time and none in between, halting
 * the rest of the time.  That is the "tickless lguest" of the seed article,
 * where a guest "will only receive a timer interrupt when it really needs
 * one", with nanosecond resolution.
 *
 * Each callback prints the lateness it measured itself.  After duration_ms
 * (default 1000) of guest time the end timer fires, the main loop cancels
 * everything and prints a summary; exit status 0.  Without the paravirtual
 * clock (QEMU, hardware) there is nothing to drive the timers: the guest says
 * so and exits with status 0.
 */
#include "../common/demo.h"

static struct hrtimer timers[DEMO_TIMERS];
static struct hrtimer end_timer;
static volatile bool done;

static enum hrtimer_restart demo_timer_fn(struct hrtimer *timer)
{
	struct demo_timer *t = &demo_timers[timer - timers];
	uint64_t now = clock_now_ns();

	demo_expired(t, timer->expires, now);
	if (!t->period_ms)
		return HRTIMER_NORESTART;
	/*
	 * Next period, measured from the expiry, not from now: the timer does
	 * not drift by its own lateness.
	 */
	hrtimer_forward(timer, now, t->period_ms * NSEC_PER_MSEC);
	return HRTIMER_RESTART;
}

static enum hrtimer_restart end_fn(struct hrtimer *timer)
{
	done = true;
	return HRTIMER_NORESTART;
}

/* The first multiple of "period" strictly after "now". */
static uint64_t next_multiple(uint64_t now, uint64_t period)
{
	return (now / period + 1) * period;
}

int kmain(void)
{
	if (!clockevent_available()) {
		printf("tickless: no paravirtual clock; shutting down\n");
		return FW_EXIT_OK;
	}
	demo_setup("tickless");
	hrtimers_init();

	/* All timers are queued with interrupts off; the queue orders them. */
	uint64_t now = clock_now_ns();

	hrtimer_init(&end_timer, end_fn, "end");
	hrtimer_start(&end_timer, demo_duration_ns);
	for (int i = 0; i < DEMO_TIMERS; i++) {
		struct demo_timer *t = &demo_timers[i];

		hrtimer_init(&timers[i], demo_timer_fn, t->name);
		if (t->disabled)
			continue;
		if (t->period_ms)
			hrtimer_start(&timers[i], next_multiple(now, t->period_ms * NSEC_PER_MSEC));
		else
			hrtimer_start(&timers[i], t->first_ms * NSEC_PER_MSEC);
	}

	/*
	 * The idle loop.  Check for work with interrupts off, then sleep and
	 * enable them in one step: no wake-up can be lost between the check and
	 * the halt.
	 */
	while (!done) {
		cli();
		if (!done)
			demo_idle();
		else
			sti();
	}

	/* Counters first: the cancels below re-arm the device as the head changes. */
	cli();
	uint64_t stopped = clock_now_ns();
	uint32_t irqs = irq_count[TIMER_IRQ], armed = clockevent_armed;

	for (int i = 0; i < DEMO_TIMERS; i++)
		hrtimer_cancel(&timers[i]);
	hrtimer_cancel(&end_timer);

	demo_summary("tickless", stopped);
	printf("tickless: %u timer IRQs, %u spurious, clockevent armed %u times, early expiries %u\n",
	       irqs, hrtimer_stats.spurious, armed, demo_early);
	return FW_EXIT_OK;
}
