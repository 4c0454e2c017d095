/*
 * text.h - CJK-aware text for libharu: the embedded font with its glyph coverage, UTF-8
 * decoding, placeholders for what the font cannot draw, and line wrapping.
 *
 * libharu 2.3.0 neither wraps Chinese (HPDF_Page_MeasureText breaks only at spaces) nor
 * reports missing glyphs: a code point the font lacks is drawn as an empty .notdef box or,
 * outside the BMP, dropped. So we read the font's cmap once, and everything drawn goes
 * through capa_text__clean(), which swaps each code point the font cannot draw for a visible
 * placeholder (U+25A1 □, or '?' when even that is missing).
 */
#ifndef CAPA_TEXT_H
#define CAPA_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include <hpdf.h>

typedef struct capa_rfont {
    HPDF_Font font;            /* owned by the HPDF_Doc it was loaded into */
    unsigned char cover[8192]; /* one bit per BMP code point with a glyph */
    uint32_t placeholder;      /* U+25A1 when the font has it, else '?' */
} capa_rfont;

/**
 * Load the TrueType font at `path` (a .ttf, or face 0 of a .ttc) into `pdf` for UTF-8 text
 * and read its coverage. Errors name the file.
 * @return CAPA_OK, CAPA_ENOTFOUND (no such file), CAPA_EINVALID (not a usable font),
 *         CAPA_ENOMEM, CAPA_ERROR.
 */
int capa_text__font_load(capa_rfont **out, HPDF_Doc pdf, const char *path);
void capa_text__font_free(capa_rfont *f);

/** Read only the coverage of a font file (no libharu); used by tests and the loader. */
int capa_text__coverage(unsigned char cover[8192], const char *path);

/** 1 when the font draws `cp` (BMP only: libharu cannot address anything beyond). */
int capa_text__covered(const capa_rfont *f, uint32_t cp);

/** Decode one code point from s[0..len); returns the bytes used (>= 1 when len > 0).
 *  Malformed sequences give U+FFFD and consume one byte. */
size_t capa_text__utf8_next(const unsigned char *s, size_t len, uint32_t *cp);

/**
 * A copy of `s` that the font can draw: every code point it lacks (and anything outside
 * the BMP, and malformed UTF-8) becomes the placeholder; tabs become a space; other control
 * characters except '\n' become the placeholder. `*n_missing` (may be NULL) counts
 * replacements. Returns a capa__malloc'd string or NULL on OOM.
 */
char *capa_text__clean(const capa_rfont *f, const char *s, size_t *n_missing);

/** Width in points of clean text at `size`. */
float capa_text__width(const capa_rfont *f, const char *s, float size);

typedef struct capa_lines {
    char **line;
    size_t n, cap;
} capa_lines;

/**
 * Break clean text into lines no wider than `width` points at `size`: at spaces between
 * Latin words, between any two CJK characters (never before closing or after opening
 * punctuation), and inside a word only when the word alone is wider than the line. '\n'
 * always breaks. Appends to `out`. @return CAPA_OK or CAPA_ENOMEM.
 */
int capa_text__wrap(capa_lines *out, const capa_rfont *f, const char *s, float size, float width);
void capa_text__lines_clear(capa_lines *l);

#endif
