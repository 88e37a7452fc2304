/*
 * libc.c: selftest groups for the firmware's library and for data layout:
 * the string functions, snprintf formatting, and structs (copies, returns by
 * value, bit-fields, unions, packed layout).
 */
#include "selftest.h"

/* Pass pointers through an opaque call so the compiler cannot inline the answers. */
static void *hide(void *p)
{
	return (void *)(uintptr_t)opaque32((uint32_t)(uintptr_t)p);
}

void test_strings(void)
{
	char buf[64], other[64];

	CHECK_EQ(strlen(hide("")), 0);
	CHECK_EQ(strlen(hide("puppy")), 5);
	CHECK_EQ(strnlen(hide("puppyvisor"), 5), 5);

	memset(buf, 'x', sizeof(buf));
	CHECK(buf[0] == 'x' && buf[63] == 'x');
	memset(buf + 10, 0, 5);
	CHECK(buf[9] == 'x' && buf[10] == 0 && buf[14] == 0 && buf[15] == 'x');

	memcpy(other, hide("0123456789abcdef"), 17);
	CHECK_EQ(memcmp(other, "0123456789abcdef", 17), 0);
	CHECK(memcmp(other, "0123456789abcdeg", 16) < 0);
	CHECK(memcmp(other, "0123456789abcdee", 16) > 0);
	CHECK(memcmp(hide("\x80"), "\x7f", 1) > 0);	/* bytes compare unsigned */

	/* memmove both ways over an overlap. */
	strcpy(buf, "abcdefghij");
	memmove(buf + 2, buf, 8);
	CHECK_EQ(strcmp(buf, "ababcdefgh"), 0);
	strcpy(buf, "abcdefghij");
	memmove(buf, buf + 3, 8);
	CHECK_EQ(strcmp(buf, "defghij"), 0);

	CHECK_EQ(strcmp(hide("abc"), "abc"), 0);
	CHECK(strcmp(hide("abc"), "abd") < 0);
	CHECK(strcmp(hide("abc"), "ab") > 0);
	CHECK(strcmp(hide(""), "a") < 0);
	CHECK_EQ(strncmp(hide("abcdef"), "abcxyz", 3), 0);
	CHECK(strncmp(hide("abcdef"), "abcxyz", 4) < 0);

	const char *s = hide("hello, world");
	CHECK(strchr(s, 'o') == s + 4);
	CHECK(strrchr(s, 'o') == s + 8);
	CHECK(strchr(s, 'z') == NULL);
	CHECK(strchr(s, '\0') == s + 12);

	CHECK_EQ(strlcpy(buf, "truncate me", 6), 11);
	CHECK_EQ(strcmp(buf, "trunc"), 0);

	const char *end;
	CHECK_EQ(strtoul(hide("12345 rest"), &end, 10), 12345);
	CHECK(*end == ' ');
	CHECK_EQ(strtoul(hide("0x1F"), NULL, 0), 31);
	CHECK_EQ(strtoul(hide("4294967295"), NULL, 10), 4294967295u);
	CHECK_EQ(strtoul(hide("junk"), &end, 0), 0);
}

static bool fmt_is(const char *want, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static bool fmt_is(const char *want, const char *fmt, ...)
{
	char buf[96];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n != (int)strlen(want) || strcmp(buf, want) != 0) {
		printf("  printf: \"%s\" gave \"%s\" (%d), want \"%s\"\n", fmt, buf, n, want);
		return false;
	}
	return true;
}

void test_printf(void)
{
	CHECK(fmt_is("42", "%d", 42));
	CHECK(fmt_is("-42", "%d", -42));
	CHECK(fmt_is("-2147483648", "%d", INT32_MIN));
	CHECK(fmt_is("4294967295", "%u", 0xffffffffu));
	CHECK(fmt_is("deadbeef DEADBEEF", "%x %X", 0xdeadbeefu, 0xdeadbeefu));
	CHECK(fmt_is("0000beef", "%08x", 0xbeefu));
	CHECK(fmt_is("[   42][42   ][00042]", "[%5d][%-5d][%05d]", 42, 42, 42));
	CHECK(fmt_is("[  -42][-0042]", "[%5d][%05d]", -42, -42));
	CHECK(fmt_is("[+7][ 7]", "[%+d][% d]", 7, 7));
	CHECK(fmt_is("[  abc][abc  ][ab]", "[%5s][%-5s][%.2s]", "abc", "abc", "abc"));
	CHECK(fmt_is("[x][  y]", "[%c][%3c]", 'x', 'y'));
	CHECK(fmt_is("100%", "%d%%", 100));
	CHECK(fmt_is("-9223372036854775808", "%lld", (long long)INT64_MIN));
	CHECK(fmt_is("18446744073709551615", "%llu", 0xffffffffffffffffull));
	CHECK(fmt_is("1000000000000", "%llu", 1000000000000ull));
	CHECK(fmt_is("123456789abcdef0", "%llx", 0x123456789abcdef0ull));
	CHECK(fmt_is("[    3000123 ns]", "[%11llu ns]", 3000123ull));
	CHECK(fmt_is("0x100000", "%p", (void *)0x100000));
	CHECK(fmt_is("0x1f 017", "%#x %#o", 31u, 15u));
	CHECK(fmt_is("[  7][7  ]", "[%*d][%-*d]", 3, 7, 3, 7));
	CHECK(fmt_is("(null)", "%s", (const char *)NULL));
	CHECK(fmt_is("-1 65535 255", "%hd %hu %hhu", (short)-1, (unsigned short)65535,
		     (unsigned char)255));
	CHECK(fmt_is("4096", "%zu", (size_t)4096));

	/* Truncation: the return value is the full length, the text is cut. */
	char small[8];
	CHECK_EQ(snprintf(small, sizeof(small), "%s", "0123456789"), 10);
	CHECK_EQ(strcmp(small, "0123456"), 0);
	CHECK_EQ(snprintf(small, 0, "%d", 12345), 5);
}

struct big {
	uint32_t words[24];
	uint8_t tail[5];
};

struct point {
	int16_t x, y;
};

static __attribute__((noinline)) struct big make_big(uint32_t seed)
{
	struct big b;

	for (int i = 0; i < 24; i++)
		b.words[i] = seed * (uint32_t)(i + 1);
	for (int i = 0; i < 5; i++)
		b.tail[i] = (uint8_t)(seed + (uint32_t)i);
	return b;
}

static __attribute__((noinline)) struct point add_points(struct point a, struct point b)
{
	struct point r = { (int16_t)(a.x + b.x), (int16_t)(a.y + b.y) };

	return r;
}

struct flags {
	uint32_t low : 3;
	uint32_t mid : 7;
	int32_t neg : 5;
	uint32_t high : 17;
};

union word {
	uint32_t u32;
	uint16_t u16[2];
	uint8_t u8[4];
};

struct __attribute__((packed)) packed {
	uint8_t a;
	uint32_t b;
	uint16_t c;
};

void test_structs(void)
{
	struct big b1 = make_big(opaque32(7)), b2;

	b2 = b1;		/* a struct copy: memcpy or a run of moves */
	CHECK_EQ(b2.words[0], 7);
	CHECK_EQ(b2.words[23], 7 * 24);
	CHECK_EQ(b2.tail[4], 11);
	CHECK_EQ(memcmp(&b1, &b2, sizeof(b1)), 0);
	b2.words[5]++;
	CHECK(memcmp(&b1, &b2, sizeof(b1)) != 0);

	struct big array[3];
	for (int i = 0; i < 3; i++)
		array[i] = make_big(opaque32((uint32_t)i + 1));
	CHECK_EQ(array[2].words[3], 12);
	CHECK_EQ(array[1].tail[0], 2);

	struct point p = add_points((struct point){ (int16_t)sopaque32(-3), 4 },
				    (struct point){ 10, (int16_t)sopaque32(-20) });
	CHECK_EQ(p.x, 7);
	CHECK_EQ(p.y, -16);

	struct flags f = { 0 };
	f.low = opaque32(5);
	f.mid = opaque32(100);
	f.neg = sopaque32(-3);
	f.high = opaque32(0x1abcd);
	CHECK_EQ(f.low, 5);
	CHECK_EQ(f.mid, 100);
	CHECK_EQ(f.neg, -3);
	CHECK_EQ(f.high, 0x1abcd);
	f.mid = opaque32(0x1ff);	/* truncated to 7 bits */
	CHECK_EQ(f.mid, 0x7f);
	CHECK_EQ(f.low, 5);

	union word w;
	w.u32 = opaque32(0x11223344);
	CHECK_EQ(w.u8[0], 0x44);	/* little-endian */
	CHECK_EQ(w.u8[3], 0x11);
	CHECK_EQ(w.u16[1], 0x1122);

	CHECK_EQ(sizeof(struct packed), 7);
	struct packed pk;
	memset(&pk, 0, sizeof(pk));
	pk.b = opaque32(0xcafebabe);	/* an unaligned store */
	pk.c = (uint16_t)opaque32(0x1234);
	CHECK_EQ(((uint8_t *)&pk)[1], 0xbe);
	CHECK_EQ(pk.b, 0xcafebabe);
	CHECK_EQ(pk.c, 0x1234);
}
