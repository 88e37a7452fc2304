/*G:060
 * string.h: the C string and memory functions a freestanding kernel needs.
 *
 * Besides the guests' own calls, the compiler itself emits calls to memcpy,
 * memset and memmove (for struct copies and zeroing) even with -ffreestanding
 * and -fno-builtin, so these must always exist.
 */
#ifndef FW_STRING_H
#define FW_STRING_H

#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strcpy(char *dst, const char *src);
size_t strlcpy(char *dst, const char *src, size_t size);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);

/* Parse an unsigned decimal (or 0x hex) number; *end gets the first unused char. */
unsigned long strtoul(const char *s, const char **end, int base);

#endif /* FW_STRING_H */
