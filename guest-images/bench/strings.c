/*
 * strings.c: the string and memory routines, on file paths.
 *
 * 192 path names ("/usr/lib/" and friends, then a random tail) are built
 * with strcpy, measured with strlen, sorted by binary insertion (strcmp to
 * find the place, memmove to make room), checked, concatenated with memcpy,
 * copied and compared with memcmp, searched with strchr/strrchr and
 * classified with strncmp; a buffer is cleared with memset.  These are the
 * firmware's plain byte-loop routines, called the way a kernel calls them.
 */
#include "bench.h"

#define NSTR 192
#define STR_MAX 64

static const char *const prefixes[] = {
	"/usr/lib/", "/usr/local/lib/", "/dev/", "/proc/self/",
	"/sys/devices/system/cpu/", "/usr/share/", "/etc/", "/var/log/",
};

static const char alphabet[16] = "abcdefgh_.-/0123";

static char pool[NSTR][STR_MAX];
static char *sorted[NSTR];
static char cat[NSTR * STR_MAX + 1], copy[NSTR * STR_MAX + 1];
static uint8_t scratch[4096];

uint32_t bench_string(uint32_t seed)
{
	uint32_t s = rng_seed(seed), h = 0, total = 0;
	unsigned per_prefix[8] = { 0 };

	/* Build: a prefix, then 3..34 characters of tail. */
	for (int i = 0; i < NSTR; i++) {
		uint32_t v = rng_next(&s);
		char *p = pool[i];
		size_t len;

		strcpy(p, prefixes[v & 7]);
		len = strlen(p);
		for (uint32_t n = 3 + ((v >> 3) & 31); n; n--) {
			v = rng_next(&s);
			p[len++] = alphabet[v & 15];
		}
		p[len] = '\0';
	}

	/* Binary insertion sort of the pointers. */
	for (int i = 0; i < NSTR; i++) {
		int lo = 0, hi = i;

		while (lo < hi) {
			int mid = (lo + hi) / 2;

			if (strcmp(sorted[mid], pool[i]) <= 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		memmove(&sorted[lo + 1], &sorted[lo], (size_t)(i - lo) * sizeof(sorted[0]));
		sorted[lo] = pool[i];
	}
	for (int i = 1; i < NSTR; i++)
		if (strcmp(sorted[i - 1], sorted[i]) > 0)
			bench_fail("string", "not sorted");

	/* Concatenate, one per line; copy; compare. */
	for (int i = 0; i < NSTR; i++) {
		size_t len = strlen(sorted[i]);

		memcpy(cat + total, sorted[i], len);
		total += len;
		cat[total++] = '\n';
	}
	cat[total] = '\0';
	if (strlen(cat) != total)
		bench_fail("string", "strlen of the concatenation");
	memcpy(copy, cat, total + 1);
	if (memcmp(copy, cat, total + 1) != 0 || strcmp(copy, cat) != 0)
		bench_fail("string", "copy differs");
	h = mix32(h, total);

	/* Search and classify. */
	for (int i = 0; i < NSTR; i++) {
		const char *p = sorted[i], *slash = strrchr(p, '/'), *dot = strchr(p, '.');

		h = mix32(h, (uint32_t)(slash - p) | (dot ? (uint32_t)(dot - p) << 16 : 0));
		for (int k = 0; k < 8; k++) {
			if (strncmp(p, prefixes[k], strlen(prefixes[k])) == 0) {
				per_prefix[k]++;
				break;
			}
		}
		h = mix32(h, (uint32_t)(uint8_t)p[strlen(p) - 1]);
	}
	for (int k = 0; k < 8; k++)
		h = mix32(h, per_prefix[k]);

	memset(scratch, (int)(seed & 0xff), sizeof(scratch));
	memset(scratch + 100, 0, 1000);
	h = mix32(h, (uint32_t)scratch[99] | (uint32_t)scratch[100] << 8 | (uint32_t)scratch[4095] << 16);
	return h;
}
