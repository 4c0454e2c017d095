/*
 * utf8.c - strict UTF-8 decoding (RFC 3629): no overlong forms, no surrogates, nothing above
 * U+10FFFF. Lenient decoders let one character hide behind several spellings, which would
 * defeat patterns and length limits.
 */
#include "utf8.h"

size_t capa__utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
    uint32_t c, min;
    size_t n;

    if (len == 0)
        return 0;
    c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        n = 2, c &= 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3, c &= 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4, c &= 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return n;
}

int capa__utf8_check(const char *s, size_t len, size_t *out_count, size_t *out_bad)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, count = 0;
    uint32_t cp;

    while (i < len) {
        size_t n = capa__utf8_decode(p + i, len - i, &cp);
        if (n == 0) {
            if (out_bad)
                *out_bad = i;
            return 0;
        }
        i += n;
        count++;
    }
    if (out_count)
        *out_count = count;
    return 1;
}
