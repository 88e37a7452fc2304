/*G:510
 * clockevent.c: the clockevent driver, lguest's in miniature.
 *
 * HCALL_SET_CLOCKEVENT takes the delta in nanoseconds, low 32 bits in EBX and
 * high 32 bits in ECX, and arms the guest's one-shot host timer; 0 disarms it.
 * The host turns the relative delta into an absolute expiry using its own
 * idea of "now" at the hypercall, so the guest never has to agree with the
 * host about absolute time.
 *
 * The 100 ns floor is lguest's: its guest driver answered -ETIME below
 * LG_CLOCK_MIN_DELTA.  Puppyvisor's device would accept any nonzero delta, but
 * keeping the rule in the driver keeps callers honest: a caller that wants
 * "as soon as possible" must say so by asking for LG_CLOCK_MIN_DELTA.
 */
#include "puppyvisor.h"
#include "fw/pv.h"
#include "fw/pvclock.h"

volatile uint32_t clockevent_armed;
volatile uint32_t clockevent_stopped;

bool clockevent_available(void)
{
	return pv_has(PV_FEATURE_CLOCKEVENT);
}

int clockevent_set_next(uint64_t delta_ns)
{
	if (delta_ns < LG_CLOCK_MIN_DELTA)
		return -ETIME;
	/* Please wake us this far in the future. */
	hcall2(HCALL_SET_CLOCKEVENT, (uint32_t)delta_ns, (uint32_t)(delta_ns >> 32));
	clockevent_armed++;
	return 0;
}

void clockevent_stop(void)
{
	/* A 0 argument shuts the clock down. */
	hcall2(HCALL_SET_CLOCKEVENT, 0, 0);
	clockevent_stopped++;
}
