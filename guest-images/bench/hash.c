/*
 * hash.c: CRC32, FNV-1a and a hash table.
 *
 * An 8 KiB buffer of random bytes goes through the table-driven CRC32 that
 * Ethernet, zlib and the kernel's crc32_le use (reflected polynomial
 * 0xEDB88320, one table lookup per byte) and through FNV-1a.  Then an
 * open-addressing hash table (linear probing, murmur3's finaliser as the hash
 * function, as a kernel's hash_32() would be) takes 1200 keys and answers
 * 2400 lookups, half of them for keys it holds.
 */
#include "bench.h"

#define HASH_BUF 8192
#define HT_SLOTS 2048		/* a power of two */
#define HT_KEYS 1200

static uint8_t buf[HASH_BUF];
static uint32_t crc_table[256];
static bool crc_ready;

static struct {
	uint32_t key;		/* 0: empty */
	uint32_t value;
} table[HT_SLOTS];

static void crc32_init(void)
{
	for (uint32_t n = 0; n < 256; n++) {
		uint32_t c = n;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc_table[n] = c;
	}
	crc_ready = true;
}

static uint32_t crc32(uint32_t crc, const uint8_t *p, size_t n)
{
	crc = ~crc;
	while (n--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static uint32_t fnv1a(const uint8_t *p, size_t n)
{
	uint32_t h = 0x811c9dc5u;

	while (n--) {
		h ^= *p++;
		h *= 0x01000193u;
	}
	return h;
}

static inline uint32_t fmix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/* Insert or update; returns the number of slots probed. */
static unsigned ht_insert(uint32_t key, uint32_t value)
{
	uint32_t i = fmix32(key) & (HT_SLOTS - 1);
	unsigned probes = 1;

	while (table[i].key != 0 && table[i].key != key) {
		i = (i + 1) & (HT_SLOTS - 1);
		probes++;
	}
	table[i].key = key;
	table[i].value = value;
	return probes;
}

static bool ht_lookup(uint32_t key, uint32_t *value)
{
	uint32_t i = fmix32(key) & (HT_SLOTS - 1);

	while (table[i].key != 0) {
		if (table[i].key == key) {
			*value = table[i].value;
			return true;
		}
		i = (i + 1) & (HT_SLOTS - 1);
	}
	return false;
}

uint32_t bench_hash(uint32_t seed)
{
	uint32_t s = rng_seed(seed), h, probes = 0, found = 0, vsum = 0;

	if (!crc_ready) {
		crc32_init();
		if (crc32(0, (const uint8_t *)"123456789", 9) != 0xcbf43926u)
			bench_fail("hash", "crc32(\"123456789\") != 0xcbf43926");
	}

	for (int i = 0; i < HASH_BUF; i += 4) {
		uint32_t v = rng_next(&s);

		buf[i] = (uint8_t)v;
		buf[i + 1] = (uint8_t)(v >> 8);
		buf[i + 2] = (uint8_t)(v >> 16);
		buf[i + 3] = (uint8_t)(v >> 24);
	}
	h = crc32(0, buf, HASH_BUF);
	h = mix32(h, crc32(h, buf + 100, HASH_BUF / 2));
	h = mix32(h, fnv1a(buf, HASH_BUF));

	for (int i = 0; i < HT_SLOTS; i++)
		table[i].key = table[i].value = 0;
	/* Keys come from a second generator so the lookups can replay them. */
	uint32_t ks = rng_seed(s ^ 0x5bd1e995u), ks0 = ks;

	for (int i = 0; i < HT_KEYS; i++) {
		uint32_t key = rng_next(&ks) | 1;	/* never 0 */

		probes += ht_insert(key, (uint32_t)i);
	}
	ks = ks0;
	for (int i = 0; i < 2 * HT_KEYS; i++) {
		/* Even i: a key that was inserted (in order); odd i: a random one. */
		uint32_t key = (i & 1) ? (rng_next(&s) | 1) : (rng_next(&ks) | 1), v;

		if (ht_lookup(key, &v)) {
			found++;
			vsum += v;
		} else if (!(i & 1)) {
			bench_fail("hash", "an inserted key was not found");
		}
	}
	h = mix32(h, probes);
	h = mix32(h, found);
	return mix32(h, vsum);
}
