/*
 * utf8.h - strict UTF-8 decoding shared by the XML loader (definitions must be UTF-8) and the
 * value validator (max-length counts code points; invalid bytes are refused).
 */
#ifndef CAPA_UTF8_H
#define CAPA_UTF8_H

#include <stddef.h>
#include <stdint.h>

/** Decode one code point at s (len bytes left) into *cp; returns the bytes used, or 0 when
 *  the bytes there are not valid UTF-8 (overlong forms, surrogates, > U+10FFFF, truncated). */
size_t capa__utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);
/** 1 when all len bytes are valid UTF-8 (*out_count = code points), else 0 and *out_bad is
 *  the offset of the first bad byte. Either out pointer may be NULL. */
int capa__utf8_check(const char *s, size_t len, size_t *out_count, size_t *out_bad);

#endif
