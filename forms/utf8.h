/*
 * utf8.h - strict UTF-8 decoding shared by the XML loader (definitions must be UTF-8) and the
 * value validator (max-length counts code points; invalid bytes are refused), and the scan
 * behind capa_text_check (capa_form.h).
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

/**
 * The first character of s[0..len) that capa_text_check refuses (with `multiline` as there):
 * returns 1 and sets *out_cp and *out_at (its byte offset); -1 for a byte that is not valid
 * UTF-8 (*out_cp is then that byte); 0 when there is none.
 */
int capa__text_find(const char *s, size_t len, int multiline, uint32_t *out_cp, size_t *out_at);
/** Short name of a code point the text rule refuses ("ESC", "CSI", "RLO"), else NULL. */
const char *capa__text_cp_name(uint32_t cp);
/** 1 for the bidi embeddings, overrides and isolates U+202A-U+202E, U+2066-U+2069. */
int capa__text_bidi(uint32_t cp);

#endif
