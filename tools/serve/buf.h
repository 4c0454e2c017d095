/*
 * buf.h - a growing byte buffer and the escaping every page and download goes through:
 * HTML text and attributes, URL path segments, CSV cells.
 *
 * A buffer that failed to grow remembers it (oom) and ignores further writes, so page code
 * can write freely and check once at the end.
 */
#ifndef CAPA_SERVE_BUF_H
#define CAPA_SERVE_BUF_H

#include <stddef.h>

typedef struct sv_buf {
    char *p;
    size_t len, cap;
    int oom;
} sv_buf;

void sv_buf_put(sv_buf *b, const char *s, size_t n);
void sv_buf_puts(sv_buf *b, const char *s);
void sv_buf_printf(sv_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Hand the bytes over (NUL-terminated; caller frees) and reset the buffer. */
char *sv_buf_take(sv_buf *b, size_t *len);
void sv_buf_free(sv_buf *b);

/**
 * Text for an HTML text node or a quoted attribute value: & < > " ' as entities, and every
 * character that could disguise what is read - C0 controls other than line break and tab,
 * DEL, C1 controls, bidi controls, zero-width characters, U+2028/9, invalid UTF-8 - as a
 * visible escape (\x1b, \u202e) as the CLI prints them. `keep_lines`: line breaks and tabs
 * stay (for a multiline value shown with white-space: pre-wrap); else they show as \n, \t.
 * NULL writes nothing.
 */
void sv_html(sv_buf *b, const char *s, int keep_lines);
/** sv_html's visible escapes without the entities: text for a view node (tools/serve/view.c),
 *  which the template layer escapes when it writes the page. */
void sv_shown(sv_buf *b, const char *s, int keep_lines);
/** 1 when sv_shown would write `s` unchanged (valid UTF-8, nothing to make visible). */
int sv_shown_same(const char *s, int keep_lines);
/** `s` as it is, but every byte that is not part of valid UTF-8 as U+FFFD: the exact value
 *  of a form control for a view node (an XML document holds only UTF-8). */
void sv_utf8_valid(sv_buf *b, const char *s);
/** The exact value for a form control (input value, textarea): only the five entities, so
 *  what the user submits back is byte for byte what was stored. */
void sv_html_value(sv_buf *b, const char *s);
/** Percent-encode everything but [A-Za-z0-9._~-] (a path segment or query value). */
void sv_url(sv_buf *b, const char *s);
/** One CSV cell (RFC 4180 quoting); a cell starting with = + - @ tab or CR is prefixed with
 *  ' so a spreadsheet does not run it as a formula. */
void sv_csv(sv_buf *b, const char *s);

#endif
