/*G:520
 * hrtimer.c: the guest's timer queue, and what the timer IRQ does.
 *
 * Two rules keep the guest tickless and the device honest:
 *   1. Whenever the head of the queue changes outside the timer IRQ (a new
 *      earliest timer, or the earliest cancelled), the device is re-armed for
 *      the new head, or stopped when the queue is empty.  A change further
 *      down the queue costs no hypercall.
 *   2. The timer IRQ runs every timer that has expired and then ALWAYS
 *      re-arms the device for the earliest remaining timer, or stops it when
 *      none is left.  The device is one-shot, so after it fired it is idle
 *      until we say otherwise.
 * A timer that is already due when we arm the device gets the minimum delta
 * (LG_CLOCK_MIN_DELTA): "as soon as possible", never a refusal.
 *
 * Queue changes from normal code happen with interrupts off (irq_save), so the
 * IRQ handler never sees a half-linked list.
 */
#include "puppyvisor.h"
#include "fw/cpu.h"
#include "fw/hrtimer.h"
#include "fw/idt.h"
#include "fw/pvclock.h"

struct hrtimer *timer_queue_head;
struct hrtimer_stats hrtimer_stats;

/* What the device is armed for, so rule 1 can skip needless hypercalls. */
static bool device_armed;
static uint64_t device_expires;
static bool in_timer_irq;

/* A bound on callbacks per IRQ, so a runaway periodic timer cannot wedge us. */
#define MAX_EXPIRIES_PER_IRQ 64

void hrtimer_init(struct hrtimer *timer, hrtimer_fn_t fn, const char *name)
{
	timer->expires = 0;
	timer->function = fn;
	timer->next = 0;
	timer->queued = false;
	timer->name = name;
}

/* Insert after every timer expiring at or before it: FIFO among equals. */
static bool enqueue(struct hrtimer *timer)
{
	struct hrtimer **link = &timer_queue_head;

	while (*link && (*link)->expires <= timer->expires)
		link = &(*link)->next;
	timer->next = *link;
	*link = timer;
	timer->queued = true;
	return link == &timer_queue_head;	/* the new earliest? */
}

static void dequeue(struct hrtimer *timer)
{
	struct hrtimer **link = &timer_queue_head;

	while (*link && *link != timer)
		link = &(*link)->next;
	if (*link)
		*link = timer->next;
	timer->next = 0;
	timer->queued = false;
}

/* Arm the device for an absolute expiry. */
static void program_device(uint64_t expires)
{
	uint64_t now = clock_now_ns();
	uint64_t delta = expires > now ? expires - now : 0;

	if (delta < LG_CLOCK_MIN_DELTA)
		delta = LG_CLOCK_MIN_DELTA;
	clockevent_set_next(delta);
	device_armed = true;
	device_expires = expires;
	hrtimer_stats.programmed++;
}

/* Make the device agree with the queue head; called with interrupts off. */
static void reprogram(void)
{
	if (in_timer_irq)
		return;		/* hrtimer_interrupt() re-arms on its way out */
	if (!timer_queue_head) {
		if (device_armed) {
			clockevent_stop();
			device_armed = false;
		}
	} else if (!device_armed || device_expires != timer_queue_head->expires) {
		program_device(timer_queue_head->expires);
	}
}

void hrtimer_start(struct hrtimer *timer, uint64_t expires_ns)
{
	uint32_t flags = irq_save();

	if (timer->queued)
		dequeue(timer);
	timer->expires = expires_ns;
	enqueue(timer);
	reprogram();
	irq_restore(flags);
}

bool hrtimer_cancel(struct hrtimer *timer)
{
	uint32_t flags = irq_save();
	bool was_queued = timer->queued;

	if (was_queued) {
		dequeue(timer);
		reprogram();
	}
	irq_restore(flags);
	return was_queued;
}

uint64_t hrtimer_forward(struct hrtimer *timer, uint64_t now, uint64_t interval)
{
	uint64_t overruns;

	if (now < timer->expires)
		return 0;
	overruns = (now - timer->expires) / interval;
	timer->expires += overruns * interval;
	if (timer->expires <= now) {
		timer->expires += interval;
		overruns++;
	}
	return overruns;
}

/*G:530
 * The timer IRQ.  The device has fired and is idle now.  Run the queue from
 * the head while the head is due (re-reading the clock each time, since
 * callbacks take time too), then arm the device for whatever is now first.
 * Each timer is unlinked before its callback runs, so the callback may start
 * or cancel any timer, itself included.
 */
void hrtimer_interrupt(void)
{
	unsigned ran = 0;

	hrtimer_stats.interrupts++;
	device_armed = false;
	in_timer_irq = true;

	while (timer_queue_head && ran < MAX_EXPIRIES_PER_IRQ) {
		struct hrtimer *timer = timer_queue_head;
		uint64_t now = clock_now_ns();

		if (timer->expires > now)
			break;
		dequeue(timer);
		ran++;
		hrtimer_stats.expired++;
		if (timer->function(timer) == HRTIMER_RESTART && !timer->queued)
			enqueue(timer);
	}
	if (ran == 0)
		hrtimer_stats.spurious++;

	in_timer_irq = false;
	if (timer_queue_head) {
		program_device(timer_queue_head->expires);
	} else {
		clockevent_stop();
		device_armed = false;
	}
}

static void timer_irq(unsigned irq, struct trap_frame *frame)
{
	(void)irq;
	(void)frame;
	hrtimer_interrupt();
}

void hrtimers_init(void)
{
	irq_register(TIMER_IRQ, timer_irq);
}
