/*G:500
 * tsc.c: the clocksource, nanoseconds from RDTSC.
 *
 * ns = tsc * 10^6 / khz, computed without overflow and without rounding
 * error: split tsc = q * khz + r (r < khz), then
 *     ns = q * 10^6 + r * 10^6 / khz
 * where r * 10^6 < 2^32 * 10^6 always fits in 64 bits.  At the default
 * 1 000 000 kHz (one tick per ns) the answer is the TSC itself and we skip the
 * arithmetic.  This is exact, so on Puppyvisor's virtual clock the guest reads
 * back exactly the nanoseconds the monitor counts.
 */
#include "fw/cpu.h"
#include "fw/pv.h"
#include "fw/pvclock.h"

uint64_t tsc_to_ns(uint64_t tsc)
{
	uint32_t khz = pv.tsc_khz;

	if (khz == 1000000)
		return tsc;
	return (tsc / khz) * 1000000u + (tsc % khz) * 1000000u / khz;
}

uint64_t clock_now_ns(void)
{
	return tsc_to_ns(rdtsc());
}
