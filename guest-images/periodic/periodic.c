/*G:740
 * periodic.c: the same timers as tickless.c, the old way: a 1000 Hz tick.
 *
 * This is how a kernel without dynamic ticks keeps time.  Every 1 ms the
 * timer IRQ arrives whether or not anything is due; the handler advances
 * "jiffies" and runs every timer whose expiry (counted in jiffies) has come.
 * The clockevent device is one-shot, so, exactly like Linux's
 * tick_handle_periodic() on a one-shot device, the handler re-arms it for the
 * next tick each time, at an absolute "next tick" time that advances by 1 ms
 * so the tick does not drift; if that time has already passed (a tick was
 * missed), it runs the missed tick at once and tries the one after.
 *
 * Timer expiries are whole jiffies, so a timer can be no more precise than
 * the tick.  The output has the same lines as tickless.c; the summary counts
 * the ticks, about 1000 per second against tickless's few hundred IRQs.
 */
#include "../common/demo.h"

#define TICK_NS NSEC_PER_MSEC	/* HZ = 1000 */

/* A timer in the jiffies world: Linux's old struct timer_list. */
struct timer_list {
	uint32_t expires;	/* in jiffies */
	void (*function)(struct timer_list *timer);
	struct timer_list *next;
	bool pending;
};

static volatile uint32_t jiffies;	/* ticks since the guest started (tick 0 = time 0) */
static uint64_t next_tick_ns;		/* absolute time the device is armed for */
static uint32_t ticks, missed_ticks;

/*
 * The timer list, sorted by expiry, ties in the order they were added, like
 * the hrtimer queue, so both guests run simultaneous timers in the same order.
 */
static struct timer_list *timer_list_head;

/* jiffies may wrap: compare by signed difference, as Linux's time_after_eq(). */
static bool time_after_eq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}

/* Add or move a timer; callers run with interrupts off. */
static void mod_timer(struct timer_list *timer, uint32_t expires)
{
	struct timer_list **link;

	if (timer->pending) {
		for (link = &timer_list_head; *link != timer; link = &(*link)->next)
			;
		*link = timer->next;
	}
	timer->expires = expires;
	link = &timer_list_head;
	while (*link && time_after_eq(timer->expires, (*link)->expires))
		link = &(*link)->next;
	timer->next = *link;
	*link = timer;
	timer->pending = true;
}

static void del_timer(struct timer_list *timer)
{
	struct timer_list **link;

	if (!timer->pending)
		return;
	for (link = &timer_list_head; *link != timer; link = &(*link)->next)
		;
	*link = timer->next;
	timer->pending = false;
}

/* Run every timer due at the current jiffy; each is unlinked first. */
static void run_timers(void)
{
	while (timer_list_head && time_after_eq(jiffies, timer_list_head->expires)) {
		struct timer_list *timer = timer_list_head;

		timer_list_head = timer->next;
		timer->pending = false;
		timer->function(timer);
	}
}

static struct timer_list timers[DEMO_TIMERS];
static struct timer_list end_timer;
static volatile bool done;

static void demo_timer_fn(struct timer_list *timer)
{
	struct demo_timer *t = &demo_timers[timer - timers];

	demo_expired(t, (uint64_t)timer->expires * TICK_NS, clock_now_ns());
	if (t->period_ms)
		mod_timer(timer, timer->expires + t->period_ms);
}

static void end_fn(struct timer_list *timer)
{
	done = true;
}

/* One tick: what Linux's tick_periodic() does, minus the accounting. */
static void tick_periodic(void)
{
	jiffies++;
	ticks++;
	run_timers();
}

/* The timer IRQ: tick, then re-arm for the next tick. */
static void tick_irq(unsigned irq, struct trap_frame *frame)
{
	for (;;) {
		tick_periodic();
		next_tick_ns += TICK_NS;

		uint64_t now = clock_now_ns();

		if (next_tick_ns > now) {
			uint64_t delta = next_tick_ns - now;

			/* Closer than the driver's minimum: a little late, never early. */
			clockevent_set_next(delta < LG_CLOCK_MIN_DELTA ? LG_CLOCK_MIN_DELTA : delta);
			break;
		}
		/* The next tick is already due: a tick was missed, take it now. */
		missed_ticks++;
	}
}

int kmain(void)
{
	if (!clockevent_available()) {
		printf("periodic: no paravirtual clock; shutting down\n");
		return FW_EXIT_OK;
	}
	demo_setup("periodic");
	irq_register(TIMER_IRQ, tick_irq);

	/* Start the tick: jiffies counts whole ms of guest time. */
	uint64_t now = clock_now_ns();

	jiffies = (uint32_t)(now / TICK_NS);
	next_tick_ns = (uint64_t)(jiffies + 1) * TICK_NS;

	end_timer.function = end_fn;
	mod_timer(&end_timer, (uint32_t)(demo_duration_ns / TICK_NS));
	for (int i = 0; i < DEMO_TIMERS; i++) {
		struct demo_timer *t = &demo_timers[i];

		timers[i].function = demo_timer_fn;
		if (t->disabled)
			continue;
		if (t->period_ms)
			mod_timer(&timers[i], (jiffies / t->period_ms + 1) * t->period_ms);
		else
			mod_timer(&timers[i], t->first_ms);
	}
	if (clockevent_set_next(next_tick_ns > now + LG_CLOCK_MIN_DELTA ?
				next_tick_ns - now : LG_CLOCK_MIN_DELTA) != 0)
		panic("periodic: cannot arm the clockevent");

	/* The same race-free idle loop as tickless.c. */
	while (!done) {
		cli();
		if (!done)
			demo_idle();
		else
			sti();
	}

	cli();
	uint64_t stopped = clock_now_ns();

	clockevent_stop();
	for (int i = 0; i < DEMO_TIMERS; i++)
		del_timer(&timers[i]);
	del_timer(&end_timer);

	demo_summary("periodic", stopped);
	printf("periodic: %u ticks, %u missed, %u timer IRQs, clockevent armed %u times, early expiries %u\n",
	       ticks, missed_ticks, irq_count[TIMER_IRQ], clockevent_armed, demo_early);
	return FW_EXIT_OK;
}
