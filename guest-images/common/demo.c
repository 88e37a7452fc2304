/*G:720
 * demo.c: the timers, measurements and output shared by the tickless and
 * periodic guests.
 *
 * Expiries are absolute and round: a periodic timer of P ms expires at every
 * multiple of P ms of guest time, the one-shot at 250 ms, and the run ends at
 * duration_ms.  Under Puppyvisor's virtual clock guest time starts at 0 with
 * the first instruction, so the printed times read naturally
 * ("[   3000412 ns] timer 3ms #1 late 412 ns"): the lateness is what the guest
 * measured itself, RDTSC in the callback minus the expiry it asked for.
 */
#include "demo.h"

struct demo_timer demo_timers[DEMO_TIMERS] = {
	{ .name = "3ms", .period_ms = 3 },
	{ .name = "7ms", .period_ms = 7 },
	{ .name = "100ms", .period_ms = 100 },
	{ .name = "250ms", .first_ms = 250 },
};

uint32_t demo_early;
uint64_t demo_duration_ns;
static bool idle_hcall;
static bool quiet;

void demo_setup(const char *who)
{
	demo_duration_ns = cmdline_get("duration_ms=", 1000) * NSEC_PER_MSEC;
	idle_hcall = cmdline_has("idle=hcall");
	/*
	 * "slow": a mostly idle guest, only the 100 ms and 250 ms timers (how
	 * much host CPU do ten idle guests cost?).
	 */
	bool slow = cmdline_has("slow");
	/* "quiet": no line per expiry, only the summary (an idle guest prints nothing). */
	quiet = cmdline_has("quiet");
	for (int i = 0; i < DEMO_TIMERS; i++) {
		demo_timers[i].max_late_ns = INT64_MIN;
		demo_timers[i].disabled = slow && demo_timers[i].period_ms && demo_timers[i].period_ms < 100;
	}
	printf("%s: timers 3ms 7ms 100ms periodic, 250ms one-shot; duration %llu ms; idle %s\n",
	       who, demo_duration_ns / NSEC_PER_MSEC, idle_hcall ? "hcall" : "hlt");
}

void demo_expired(struct demo_timer *t, uint64_t expires, uint64_t now)
{
	int64_t late = (int64_t)(now - expires);

	t->fired++;
	t->total_late_ns += late;
	if (late > t->max_late_ns)
		t->max_late_ns = late;
	if (late < 0)
		demo_early++;
	if (!quiet)
		printf("[%10llu ns] timer %s #%u late %lld ns\n", now, t->name, t->fired, late);
}

void demo_idle(void)
{
	if (idle_hcall) {
		hcall0(HCALL_HALT);
		/*
		 * The NOP matters: STI only opens the interrupt window after the
		 * next instruction, and if that were the caller's CLI the pending
		 * IRQ would never get in.
		 */
		__asm__ __volatile__("sti; nop" : : : "memory");
	} else {
		sti_hlt();
	}
}

void demo_summary(const char *who, uint64_t now)
{
	printf("%s: stopped at %llu ns\n", who, now);
	for (int i = 0; i < DEMO_TIMERS; i++) {
		struct demo_timer *t = &demo_timers[i];
		int64_t avg = t->fired ? t->total_late_ns / t->fired : 0;

		printf("timer %s: fired %u, late max %lld ns, average %lld ns\n",
		       t->name, t->fired, t->fired ? t->max_late_ns : 0, avg);
	}
}
