/*G:048
 * printf.h: formatted output, the small kernel kind.
 *
 * Conversions: %d %i %u %x %X %o %c %s %p %%.  Flags: '-' (left-justify),
 * '0' (zero-pad), '+' and ' ' (sign of signed numbers), '#' (0x / 0 prefix).
 * Width and precision, either as digits or as '*'.  Length modifiers: hh h l
 * ll z (l is 32 bits here: this is i386).  No floating point, ever: the guest
 * has no FPU.
 */
#ifndef FW_PRINTF_H
#define FW_PRINTF_H

#include <stdarg.h>
#include <stddef.h>

int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

#endif /* FW_PRINTF_H */
