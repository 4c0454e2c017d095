/*
 * utf8.c - strict UTF-8 decoding (RFC 3629): no overlong forms, no surrogates, nothing above
 * U+10FFFF. Lenient decoders let one character hide behind several spellings, which would
 * defeat patterns and length limits.
 *
 * Also the text rule every stored string obeys (capa_text_check): no character that can
 * forge or disguise what a terminal, a log or a report shows - controls that end a line,
 * move the cursor or start an escape sequence, and bidi controls that reorder what is read.
 */
#include "utf8.h"

#include <stdio.h>
#include <string.h>

#include "capa_form.h"

/* Eight bytes at a time (SWAR): whether any byte of w has its high bit set, is below 0x20
 * (given none has the high bit) or is 0x7f. Each test is exact for "any", which is all the
 * loops below ask before they look at the bytes one by one. */
#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

static uint64_t load8(const unsigned char *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return w;
}

static int all_ascii8(uint64_t w)
{
    return (w & HIGHS) == 0;
}

static int all_printable8(uint64_t w)
{
    uint64_t del = w ^ (0x7f * ONES);
    return (w & HIGHS) == 0 && ((w - 0x20 * ONES) & ~w & HIGHS) == 0 &&
           ((del - ONES) & ~del & HIGHS) == 0;
}

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
        /* A run of ASCII is valid as it stands, one character a byte (most of any text). */
        if (p[i] < 0x80) {
            size_t j = i + 1;
            while (j + 8 <= len && all_ascii8(load8(p + j)))
                j += 8;
            while (j < len && p[j] < 0x80)
                j++;
            count += j - i;
            i = j;
            continue;
        }
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

/* C0 and C1 control names (ECMA-48 / ISO 6429), so a message says which character it found. */
static const char *const c0_names[32] = {
    "NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS",  "HT",  "LF",
    "VT",  "FF",  "CR",  "SO",  "SI",  "DLE", "DC1", "DC2", "DC3", "DC4", "NAK",
    "SYN", "ETB", "CAN", "EM",  "SUB", "ESC", "FS",  "GS",  "RS",  "US",
};
static const char *const c1_names[32] = {
    "PAD", "HOP", "BPH", "NBH", "IND", "NEL", "SSA", "ESA", "HTS", "HTJ", "VTS",
    "PLD", "PLU", "RI",  "SS2", "SS3", "DCS", "PU1", "PU2", "STS", "CCH", "MW",
    "SPA", "EPA", "SOS", "SGC", "SCI", "CSI", "ST",  "OSC", "PM",  "APC",
};
static const char *const bidi_names[] = {"LRE", "RLE", "PDF", "LRO", "RLO"}; /* U+202A.. */
static const char *const isolate_names[] = {"LRI", "RLI", "FSI", "PDI"};     /* U+2066.. */

const char *capa__text_cp_name(uint32_t cp)
{
    if (cp < 0x20)
        return c0_names[cp];
    if (cp == 0x7f)
        return "DEL";
    if (cp >= 0x80 && cp <= 0x9f)
        return c1_names[cp - 0x80];
    if (cp >= 0x202a && cp <= 0x202e)
        return bidi_names[cp - 0x202a];
    if (cp >= 0x2066 && cp <= 0x2069)
        return isolate_names[cp - 0x2066];
    if (cp == 0x2028)
        return "LINE SEPARATOR";
    if (cp == 0x2029)
        return "PARAGRAPH SEPARATOR";
    return NULL;
}

int capa__text_bidi(uint32_t cp)
{
    return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* Allowed in multi-line text only: the line breaks and the tab a paragraph may hold. */
static int multiline_only(uint32_t cp)
{
    return cp == '\n' || cp == '\t' || cp == 0x2028 || cp == 0x2029;
}

static int refused(uint32_t cp, int multiline)
{
    if (multiline && multiline_only(cp))
        return 0;
    return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || capa__text_bidi(cp) ||
           multiline_only(cp);
}

int capa__text_find(const char *s, size_t len, int multiline, uint32_t *out_cp, size_t *out_at)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    uint32_t cp;

    while (i < len) {
        /* Printable ASCII (0x20 to 0x7e) is never refused: step over it a byte at a time
         * without decoding (a long description is mostly that). */
        while (i + 8 <= len && all_printable8(load8(p + i)))
            i += 8;
        while (i < len && p[i] >= 0x20 && p[i] < 0x7f)
            i++;
        if (i == len)
            break;
        size_t n = capa__utf8_decode(p + i, len - i, &cp);
        if (n == 0 || refused(cp, multiline)) {
            *out_cp = n == 0 ? p[i] : cp;
            *out_at = i;
            return n == 0 ? -1 : 1;
        }
        i += n;
    }
    return 0;
}

int capa_text_check(const char *s, int multiline, char *why, size_t sz)
{
    uint32_t cp = 0;
    size_t at = 0;
    int found;

    if (why && sz)
        why[0] = '\0';
    if (!s)
        return CAPA_OK;
    found = capa__text_find(s, strlen(s), multiline, &cp, &at);
    if (found == 0)
        return CAPA_OK;
    if (!why || !sz)
        return CAPA_EINVALID;
    if (found < 0)
        snprintf(why, sz, "byte %zu (0x%02X) is not valid UTF-8", at, (unsigned)cp);
    else
        snprintf(why, sz, "character U+%04X (%s%s) at byte %zu is not allowed%s", (unsigned)cp,
                 capa__text_cp_name(cp), capa__text_bidi(cp) ? ", bidi override" : "", at,
                 multiline_only(cp) ? " in single-line text" : "");
    return CAPA_EINVALID;
}
