/*
 * buf.c - growing buffer and context escaping for capa serve (see buf.h).
 */
#include "buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int grow(sv_buf *b, size_t more)
{
    if (b->oom)
        return -1;
    if (b->len + more + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + more + 1) {
        if (cap > SIZE_MAX / 2) {
            b->oom = 1;
            return -1;
        }
        cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = 1;
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

void sv_buf_put(sv_buf *b, const char *s, size_t n)
{
    if (grow(b, n))
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void sv_buf_puts(sv_buf *b, const char *s)
{
    if (s)
        sv_buf_put(b, s, strlen(s));
}

void sv_buf_printf(sv_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || grow(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *sv_buf_take(sv_buf *b, size_t *len)
{
    char *p = b->p;
    if (len)
        *len = b->len;
    if (!p && !b->oom)
        p = calloc(1, 1);
    if (b->oom) {
        free(p);
        p = NULL;
    }
    b->p = NULL;
    b->len = b->cap = 0;
    b->oom = 0;
    return p;
}

void sv_buf_free(sv_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* Length of the UTF-8 sequence at s (at most n bytes) and its code point; 0 when invalid. */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned c = s[0];
    size_t len;
    uint32_t v;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        v = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        v = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        v = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && v < 0x800) || (len == 4 && (v < 0x10000 || v > 0x10ffff)) ||
        (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return len;
}

static int disguising(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c || cp == 0x200e || cp == 0x200f ||
           (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
           (cp >= 0x200b && cp <= 0x200d) || cp == 0xfeff || cp == 0x2028 || cp == 0x2029;
}

static int entity(sv_buf *b, unsigned char c)
{
    switch (c) {
    case '&':
        sv_buf_puts(b, "&amp;");
        return 1;
    case '<':
        sv_buf_puts(b, "&lt;");
        return 1;
    case '>':
        sv_buf_puts(b, "&gt;");
        return 1;
    case '"':
        sv_buf_puts(b, "&quot;");
        return 1;
    case '\'':
        sv_buf_puts(b, "&#39;");
        return 1;
    }
    return 0;
}

/* The visible escapes of sv_html; with `ent` also the five entities. */
static void shown(sv_buf *b, const char *s, int keep_lines, int ent)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = s ? strlen(s) : 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t l = utf8_next(p + i, n - i, &cp);
        if (l == 0) {
            sv_buf_printf(b, "\\x%02x", p[i]);
            i++;
            continue;
        }
        if (l == 1) {
            unsigned char c = p[i];
            if (ent && entity(b, c)) {
            } else if ((c == '\n' || c == '\t') && keep_lines) {
                sv_buf_put(b, (const char *)&c, 1);
            } else if (c == '\n') {
                sv_buf_puts(b, "\\n");
            } else if (c == '\t') {
                sv_buf_puts(b, "\\t");
            } else if (c == '\r') {
                sv_buf_puts(b, "\\r");
            } else if (c < 0x20 || c == 0x7f) {
                sv_buf_printf(b, "\\x%02x", c);
            } else {
                sv_buf_put(b, (const char *)&c, 1);
            }
        } else if (disguising(cp)) {
            sv_buf_printf(b, "\\u%04x", (unsigned)cp);
        } else {
            sv_buf_put(b, (const char *)p + i, l);
        }
        i += l;
    }
}

void sv_html(sv_buf *b, const char *s, int keep_lines)
{
    shown(b, s, keep_lines, 1);
}

void sv_shown(sv_buf *b, const char *s, int keep_lines)
{
    shown(b, s, keep_lines, 0);
}

int sv_shown_same(const char *s, int keep_lines)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = s ? strlen(s) : 0;
    for (size_t i = 0; i < n;) {
        /* printable ASCII, most of a view's text: nothing to decode */
        if (p[i] >= 0x20 && p[i] < 0x7f) {
            i++;
            continue;
        }
        uint32_t cp;
        size_t l = utf8_next(p + i, n - i, &cp);
        if (l == 0 || (cp < 0x20 && !(keep_lines && (cp == '\n' || cp == '\t'))) ||
            cp == 0x7f || disguising(cp))
            return 0;
        i += l;
    }
    return 1;
}

void sv_utf8_valid(sv_buf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = s ? strlen(s) : 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t l = utf8_next(p + i, n - i, &cp);
        if (l == 0) {
            sv_buf_puts(b, "\xef\xbf\xbd"); /* U+FFFD */
            i++;
            continue;
        }
        sv_buf_put(b, (const char *)p + i, l);
        i += l;
    }
}

void sv_html_value(sv_buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
        if (!entity(b, *p))
            sv_buf_put(b, (const char *)p, 1);
    }
}

void sv_url(sv_buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
        unsigned char c = *p;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '.' || c == '_' || c == '~' || c == '-')
            sv_buf_put(b, (const char *)&c, 1);
        else
            sv_buf_printf(b, "%%%02X", c);
    }
}

void sv_csv(sv_buf *b, const char *s)
{
    if (!s)
        return;
    int formula = s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' ||
                  s[0] == '\r';
    int quote = formula || strpbrk(s, ",\"\r\n") != NULL;
    if (quote)
        sv_buf_puts(b, "\"");
    if (formula)
        sv_buf_puts(b, "'");
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            sv_buf_puts(b, "\"\"");
        else
            sv_buf_put(b, p, 1);
    }
    if (quote)
        sv_buf_puts(b, "\"");
}
