/*G:300
 * console.c: the console, over a hypercall or over the UART.
 *
 * The UART path is the classic polled 16550 transmit: wait until the Line
 * Status Register (base + 5) says the Transmit Holding Register is empty
 * (bit 5), then write the byte to THR (base + 0).  We do not program the baud
 * rate or line control: QEMU's UART ignores them, and writing the divisor latch
 * on a UART model that does not implement DLAB would print garbage.
 *
 * The hypercall path hands the whole buffer to the monitor in one
 * HCALL_CONSOLE_WRITE (EBX = linear address, ECX = length).  With paging off a
 * pointer is its own linear address.  The call answers the number of bytes it
 * wrote; should it ever write fewer, we go round again with the rest, and on an
 * error (-EFAULT) we fall back to the UART so the text is not lost.
 */
#include <stdint.h>
#include "puppyvisor.h"
#include "fw/console.h"
#include "fw/cpu.h"
#include "fw/pv.h"

#define UART_THR 0		/* transmit holding register (write) */
#define UART_LSR 5		/* line status register (read) */
#define UART_LSR_THRE 0x20	/* THR empty: ready for the next byte */

static int use_hcall;

void console_init(void)
{
	use_hcall = pv_has(PV_FEATURE_CONSOLE);
}

const char *console_backend(void)
{
	return use_hcall ? "hypercall" : "uart";
}

static void uart_putc(char c)
{
	/* Bounded, so a missing or wedged UART cannot hang the guest. */
	for (uint32_t spins = 0; spins < 100000; spins++)
		if (inb(COM1_PORT + UART_LSR) & UART_LSR_THRE)
			break;
	outb(COM1_PORT + UART_THR, (uint8_t)c);
}

static void uart_write(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		uart_putc(buf[i]);
}

void console_write(const char *buf, size_t len)
{
	while (use_hcall && len > 0) {
		long n = (long)hcall2(HCALL_CONSOLE_WRITE, (unsigned long)buf, len);

		if (n <= 0 || (size_t)n > len)
			break;		/* error: the rest goes to the UART */
		buf += n;
		len -= (size_t)n;
	}
	uart_write(buf, len);
}

void console_putc(char c)
{
	console_write(&c, 1);
}

void console_puts(const char *s)
{
	size_t len = 0;

	while (s[len])
		len++;
	console_write(s, len);
}
