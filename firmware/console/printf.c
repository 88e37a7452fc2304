/*G:310
 * printf.c: the formatter behind printf() and snprintf().
 *
 * One formatting loop, format(), writes through a small "sink": printf's sink
 * gathers the text in a buffer on the stack and hands it to the console in as
 * few writes as possible (one hypercall per printf under Puppyvisor, usually);
 * snprintf's sink fills the caller's buffer and always NUL-terminates it.
 * Both return the number of characters the full text has, as C says.
 *
 * Numbers are converted from a 64-bit value.  Hexadecimal and octal only
 * shift; decimal divides by 10, with 32-bit division when the value fits (the
 * common case, and cheaper under an interpreter) and through __udivmoddi4
 * otherwise.
 */
#include <stdbool.h>
#include <stdint.h>
#include "fw/console.h"
#include "fw/printf.h"

struct sink {
	char *buf;		/* where the text goes */
	size_t size;		/* capacity of buf */
	size_t used;		/* bytes in buf (printf) or written (snprintf) */
	bool to_console;	/* flush to the console when full */
	int total;		/* characters produced so far */
};

static void sink_flush(struct sink *s)
{
	if (s->to_console && s->used) {
		console_write(s->buf, s->used);
		s->used = 0;
	}
}

static void sink_putc(struct sink *s, char c)
{
	s->total++;
	if (s->to_console) {
		if (s->used == s->size)
			sink_flush(s);
		s->buf[s->used++] = c;
	} else if (s->used + 1 < s->size) {
		/* Always leave room for the terminating NUL. */
		s->buf[s->used++] = c;
	}
}

static void sink_pad(struct sink *s, char c, int n)
{
	while (n-- > 0)
		sink_putc(s, c);
}

/* Digits of v in base 8, 10 or 16, least significant first; returns count. */
static int to_digits(char *out, uint64_t v, unsigned base, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	int n = 0;

	do {
		if (base == 16) {
			out[n++] = digits[v & 15];
			v >>= 4;
		} else if (base == 8) {
			out[n++] = digits[v & 7];
			v >>= 3;
		} else if (v <= 0xFFFFFFFFu) {
			uint32_t w = (uint32_t)v;

			out[n++] = digits[w % 10];
			v = w / 10;
		} else {
			out[n++] = digits[v % 10];
			v /= 10;
		}
	} while (v);
	return n;
}

struct spec {
	bool left, zero, plus, space, alt;
	int width;
	int precision;		/* -1: none given */
};

static void put_number(struct sink *s, const struct spec *sp, uint64_t v,
		       bool negative, unsigned base, bool upper)
{
	char digits[24];
	char prefix[2];
	int nd, np = 0, zeros = 0, pad;

	nd = to_digits(digits, v, base, upper);
	/* C: an explicit precision of 0 prints no digits for the value 0. */
	if (sp->precision == 0 && v == 0)
		nd = 0;

	if (negative)
		prefix[np++] = '-';
	else if (sp->plus)
		prefix[np++] = '+';
	else if (sp->space)
		prefix[np++] = ' ';
	if (sp->alt && base == 16 && v != 0) {
		prefix[np++] = '0';
		prefix[np++] = upper ? 'X' : 'x';
	} else if (sp->alt && base == 8 && (nd == 0 || digits[nd - 1] != '0')) {
		zeros = 1;
	}

	if (sp->precision > nd)
		zeros = sp->precision - nd;
	pad = sp->width - np - zeros - nd;
	if (sp->zero && !sp->left && sp->precision < 0 && pad > 0) {
		zeros += pad;
		pad = 0;
	}

	if (!sp->left)
		sink_pad(s, ' ', pad);
	for (int i = 0; i < np; i++)
		sink_putc(s, prefix[i]);
	sink_pad(s, '0', zeros);
	while (nd > 0)
		sink_putc(s, digits[--nd]);
	if (sp->left)
		sink_pad(s, ' ', pad);
}

static void put_string(struct sink *s, const struct spec *sp, const char *str)
{
	int len = 0, pad;

	if (!str)
		str = "(null)";
	while (str[len] && (sp->precision < 0 || len < sp->precision))
		len++;
	pad = sp->width - len;
	if (!sp->left)
		sink_pad(s, ' ', pad);
	for (int i = 0; i < len; i++)
		sink_putc(s, str[i]);
	if (sp->left)
		sink_pad(s, ' ', pad);
}

enum length { LEN_HH, LEN_H, LEN_INT, LEN_L, LEN_LL, LEN_Z };

static void format(struct sink *s, const char *fmt, va_list ap)
{
	while (*fmt) {
		struct spec sp = { .precision = -1 };
		enum length len = LEN_INT;
		char c = *fmt++;

		if (c != '%') {
			sink_putc(s, c);
			continue;
		}

		/* Flags. */
		for (;; fmt++) {
			if (*fmt == '-')
				sp.left = true;
			else if (*fmt == '0')
				sp.zero = true;
			else if (*fmt == '+')
				sp.plus = true;
			else if (*fmt == ' ')
				sp.space = true;
			else if (*fmt == '#')
				sp.alt = true;
			else
				break;
		}

		/* Width. */
		if (*fmt == '*') {
			sp.width = va_arg(ap, int);
			if (sp.width < 0) {
				sp.left = true;
				sp.width = -sp.width;
			}
			fmt++;
		} else {
			while (*fmt >= '0' && *fmt <= '9')
				sp.width = sp.width * 10 + (*fmt++ - '0');
		}

		/* Precision. */
		if (*fmt == '.') {
			fmt++;
			sp.precision = 0;
			if (*fmt == '*') {
				sp.precision = va_arg(ap, int);
				if (sp.precision < 0)
					sp.precision = -1;
				fmt++;
			} else {
				while (*fmt >= '0' && *fmt <= '9')
					sp.precision = sp.precision * 10 + (*fmt++ - '0');
			}
		}

		/* Length. */
		if (fmt[0] == 'h' && fmt[1] == 'h') {
			len = LEN_HH;
			fmt += 2;
		} else if (fmt[0] == 'h') {
			len = LEN_H;
			fmt++;
		} else if (fmt[0] == 'l' && fmt[1] == 'l') {
			len = LEN_LL;
			fmt += 2;
		} else if (fmt[0] == 'l') {
			len = LEN_L;
			fmt++;
		} else if (fmt[0] == 'z') {
			len = LEN_Z;
			fmt++;
		}

		c = *fmt;
		if (c)
			fmt++;
		switch (c) {
		case 'd':
		case 'i': {
			int64_t v;

			if (len == LEN_LL)
				v = va_arg(ap, long long);
			else if (len == LEN_L)
				v = va_arg(ap, long);
			else
				v = va_arg(ap, int);
			if (len == LEN_HH)
				v = (signed char)v;
			else if (len == LEN_H)
				v = (short)v;
			/* Negate as unsigned: INT64_MIN has no positive twin. */
			put_number(s, &sp, v < 0 ? 0 - (uint64_t)v : (uint64_t)v,
				   v < 0, 10, false);
			break;
		}
		case 'u':
		case 'x':
		case 'X':
		case 'o': {
			uint64_t v;

			if (len == LEN_LL)
				v = va_arg(ap, unsigned long long);
			else if (len == LEN_L)
				v = va_arg(ap, unsigned long);
			else if (len == LEN_Z)
				v = va_arg(ap, size_t);
			else
				v = va_arg(ap, unsigned int);
			if (len == LEN_HH)
				v = (unsigned char)v;
			else if (len == LEN_H)
				v = (unsigned short)v;
			put_number(s, &sp, v, false,
				   c == 'u' ? 10 : c == 'o' ? 8 : 16, c == 'X');
			break;
		}
		case 'p':
			sp.alt = true;
			put_number(s, &sp, (uintptr_t)va_arg(ap, void *), false, 16, false);
			break;
		case 'c': {
			char ch = (char)va_arg(ap, int);

			if (!sp.left)
				sink_pad(s, ' ', sp.width - 1);
			sink_putc(s, ch);
			if (sp.left)
				sink_pad(s, ' ', sp.width - 1);
			break;
		}
		case 's':
			put_string(s, &sp, va_arg(ap, const char *));
			break;
		case '%':
			sink_putc(s, '%');
			break;
		case '\0':
			/* A lone '%' at the end: print it. */
			sink_putc(s, '%');
			break;
		default:
			/* Unknown conversion: show it as written. */
			sink_putc(s, '%');
			sink_putc(s, c);
			break;
		}
	}
}

int vprintf(const char *fmt, va_list ap)
{
	char buf[128];
	struct sink s = { .buf = buf, .size = sizeof(buf), .to_console = true };

	format(&s, fmt, ap);
	sink_flush(&s);
	return s.total;
}

int printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct sink s = { .buf = buf, .size = size };

	format(&s, fmt, ap);
	if (size)
		buf[s.used] = '\0';
	return s.total;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
