/*G:045
 * console.h: where the guest's text goes.
 *
 * One byte stream, two back ends chosen once at boot by console_init():
 * HCALL_CONSOLE_WRITE under Puppyvisor when it offers PV_FEATURE_CONSOLE (one
 * exit per write instead of one per byte), else the COM1 UART.  The bytes are
 * passed through untouched ("\n" stays "\n"), so the same image prints the
 * same bytes on Puppyvisor and on QEMU's -serial stdio.
 */
#ifndef FW_CONSOLE_H
#define FW_CONSOLE_H

#include <stddef.h>

void console_init(void);
void console_write(const char *buf, size_t len);
void console_putc(char c);
void console_puts(const char *s);	/* no newline added */

/* Which back end console_init() picked: "hypercall" or "uart". */
const char *console_backend(void);

#endif /* FW_CONSOLE_H */
