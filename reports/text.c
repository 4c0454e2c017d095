/*
 * text.c - CJK-aware text for libharu (see text.h): font loading with coverage from the
 * font's own cmap, UTF-8 decoding, placeholders and line wrapping.
 *
 * Widths come from HPDF_Font_GetUnicodeWidth per code point, which is what libharu itself
 * uses when it draws, so a wrapped line never ends up wider than we measured.
 */
#include "text.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <hpdf_objects.h>
#include <hpdf_streams.h>

#include "capa.h"
#include "rerror.h"

static uint32_t be16(const unsigned char *p)
{
    return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int read_at(FILE *f, long off, void *buf, size_t n)
{
    return fseek(f, off, SEEK_SET) == 0 && fread(buf, 1, n, f) == n ? 0 : -1;
}

/* Mark every code point of a format 4 subtable that maps to a glyph other than 0. */
static void cover_format4(unsigned char *cover, const unsigned char *t, size_t len)
{
    if (len < 14)
        return;
    size_t segx2 = be16(t + 6);
    if (14 + 4 * segx2 + 2 > len)
        return;
    const unsigned char *ends = t + 14, *starts = ends + segx2 + 2;
    const unsigned char *deltas = starts + segx2, *ranges = deltas + segx2;
    for (size_t i = 0; i < segx2 / 2; i++) {
        uint32_t end = be16(ends + 2 * i), start = be16(starts + 2 * i);
        uint32_t delta = be16(deltas + 2 * i), ro = be16(ranges + 2 * i);
        for (uint32_t c = start; c <= end && c < 0xFFFF; c++) {
            uint32_t gid;
            if (ro == 0) {
                gid = (c + delta) & 0xFFFF;
            } else {
                size_t at = (size_t)(ranges + 2 * i - t) + ro + 2 * (c - start);
                if (at + 2 > len)
                    continue;
                gid = be16(t + at);
                if (gid)
                    gid = (gid + delta) & 0xFFFF;
            }
            if (gid)
                cover[c >> 3] |= (unsigned char)(1u << (c & 7));
        }
    }
}

int capa_text__coverage(unsigned char cover[8192], const char *path)
{
    int rc = CAPA_EINVALID;
    unsigned char *cmap = NULL, *dir = NULL;
    unsigned char hdr[16];
    memset(cover, 0, 8192);
    FILE *f = fopen(path, "rb");
    if (!f)
        return capa_error_set(errno == ENOENT ? CAPA_ENOTFOUND : CAPA_ERROR, "font %s: %s", path,
                             strerror(errno));
    if (read_at(f, 0, hdr, 16) < 0)
        goto bad;
    long face = 0;
    if (memcmp(hdr, "ttcf", 4) == 0) {
        face = (long)be32(hdr + 12);
        if (read_at(f, face, hdr, 12) < 0)
            goto bad;
    }
    uint32_t ver = be32(hdr);
    if (ver != 0x00010000 && memcmp(hdr, "true", 4) != 0)
        goto bad; /* CFF ("OTTO") fonts do not load in libharu 2.3.0 */
    size_t ntab = be16(hdr + 4);
    dir = capa__malloc(ntab * 16 + 1);
    if (!dir) {
        rc = capa_error_set(CAPA_ENOMEM, "font %s: out of memory", path);
        goto done;
    }
    if (read_at(f, face + 12, dir, ntab * 16) < 0)
        goto bad;
    uint32_t coff = 0, clen = 0;
    for (size_t i = 0; i < ntab; i++) {
        if (memcmp(dir + 16 * i, "cmap", 4) == 0) {
            coff = be32(dir + 16 * i + 8);
            clen = be32(dir + 16 * i + 12);
        }
    }
    if (!coff || clen < 4 || clen > (64u << 20))
        goto bad;
    cmap = capa__malloc(clen);
    if (!cmap) {
        rc = capa_error_set(CAPA_ENOMEM, "font %s: out of memory", path);
        goto done;
    }
    if (read_at(f, (long)coff, cmap, clen) < 0)
        goto bad;
    /* libharu reads the Windows Unicode BMP subtable (3,1); we look at the same one. */
    size_t nsub = be16(cmap + 2);
    int found = 0;
    for (size_t i = 0; i < nsub && 4 + 8 * i + 8 <= clen; i++) {
        const unsigned char *r = cmap + 4 + 8 * i;
        uint32_t off = be32(r + 4);
        if (be16(r) == 3 && be16(r + 2) == 1 && off + 4 <= clen && be16(cmap + off) == 4) {
            size_t sublen = be16(cmap + off + 2);
            if (off + sublen > clen)
                sublen = clen - off;
            cover_format4(cover, cmap + off, sublen);
            found = 1;
        }
    }
    if (!found)
        goto bad;
    rc = CAPA_OK;
    goto done;
bad:
    rc = capa_error_set(CAPA_EINVALID, "font %s: not a TrueType font with a Unicode cmap", path);
done:
    capa__free(cmap);
    capa__free(dir);
    fclose(f);
    return rc;
}

/*
 * libharu 2.3.0 gives a UTF-8 CID font a "ToUnicode" CMap written with cidrange operators,
 * which are not allowed there: poppler warns on every use and other readers may copy or
 * search text wrongly. Its text codes are the Unicode code points themselves (CIDs map to
 * glyphs through CIDToGIDMap), so the right ToUnicode is the identity; we put that in the
 * stream libharu made, through its installed internal headers, before anything is saved.
 */
static int fix_tounicode(HPDF_Font font)
{
    HPDF_Dict cmap = HPDF_Dict_GetItem(font, "ToUnicode", HPDF_OCLASS_DICT);
    if (!cmap || !cmap->stream)
        return -1;
    HPDF_MemStream_FreeData(cmap->stream);
    static const char head[] = "/CIDInit /ProcSet findresource begin\n12 dict begin\n"
                               "begincmap\n/CIDSystemInfo << /Registry (Adobe) /Ordering "
                               "(UCS) /Supplement 0 >> def\n/CMapName /Adobe-Identity-UCS "
                               "def\n/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\n"
                               "endcodespacerange\n";
    static const char tail[] = "endcmap\nCMapName currentdict /CMap defineresource pop\nend\n"
                               "end\n";
    if (HPDF_Stream_WriteStr(cmap->stream, head) != HPDF_OK)
        return -1;
    /* One bfrange per high byte (a range may only vary in its last byte), surrogates left
     * out, at most 100 per block. */
    unsigned hi[256], n = 0;
    for (unsigned h = 0; h < 256; h++)
        if (h < 0xD8 || h > 0xDF)
            hi[n++] = h;
    for (unsigned i = 0; i < n; i += 100) {
        unsigned k = n - i < 100 ? n - i : 100;
        char line[64];
        snprintf(line, sizeof line, "%u beginbfrange\n", k);
        if (HPDF_Stream_WriteStr(cmap->stream, line) != HPDF_OK)
            return -1;
        for (unsigned j = i; j < i + k; j++) {
            snprintf(line, sizeof line, "<%02X00> <%02XFF> <%02X00>\n", hi[j], hi[j], hi[j]);
            if (HPDF_Stream_WriteStr(cmap->stream, line) != HPDF_OK)
                return -1;
        }
        if (HPDF_Stream_WriteStr(cmap->stream, "endbfrange\n") != HPDF_OK)
            return -1;
    }
    return HPDF_Stream_WriteStr(cmap->stream, tail) == HPDF_OK ? 0 : -1;
}

int capa_text__font_load(capa_rfont **out, HPDF_Doc pdf, const char *path)
{
    *out = NULL;
    capa_rfont *f = capa__calloc(1, sizeof *f);
    if (!f)
        return capa_error_set(CAPA_ENOMEM, "font %s: out of memory", path);
    int rc = capa_text__coverage(f->cover, path);
    if (rc != CAPA_OK) {
        capa__free(f);
        return rc;
    }
    unsigned char magic[4] = {0};
    FILE *fp = fopen(path, "rb");
    if (fp) {
        if (fread(magic, 1, 4, fp) != 4)
            memset(magic, 0, 4);
        fclose(fp);
    }
    const char *name = memcmp(magic, "ttcf", 4) == 0
                           ? HPDF_LoadTTFontFromFile2(pdf, path, 0, HPDF_TRUE)
                           : HPDF_LoadTTFontFromFile(pdf, path, HPDF_TRUE);
    if (name)
        f->font = HPDF_GetFont(pdf, name, "UTF-8");
    if (!name || !f->font || fix_tounicode(f->font) != 0) {
        capa__free(f);
        HPDF_ResetError(pdf);
        return capa_error_set(CAPA_EINVALID, "font %s: libharu cannot load it", path);
    }
    f->placeholder = capa_text__covered(f, 0x25A1) ? 0x25A1 : '?';
    *out = f;
    return CAPA_OK;
}

void capa_text__font_free(capa_rfont *f)
{
    capa__free(f);
}

int capa_text__covered(const capa_rfont *f, uint32_t cp)
{
    return cp < 0xFFFF && (f->cover[cp >> 3] >> (cp & 7) & 1);
}

size_t capa_text__utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
    if (len == 0) {
        *cp = 0;
        return 0;
    }
    unsigned c = s[0];
    size_t n;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        n = 2, v = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3, v = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4, v = c & 0x07, min = 0x10000;
    } else {
        *cp = 0xFFFD;
        return 1;
    }
    if (n > len) {
        *cp = 0xFFFD;
        return 1;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *cp = 0xFFFD;
            return 1;
        }
        v = v << 6 | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
        *cp = 0xFFFD;
        return 1;
    }
    *cp = v;
    return n;
}

static size_t utf8_put(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    } else if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    o[0] = (char)(0xE0 | cp >> 12);
    o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
    o[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
}

char *capa_text__clean(const capa_rfont *f, const char *s, size_t *n_missing)
{
    size_t len = strlen(s), miss = 0;
    /* A replacement is at most 3 bytes and never longer than what it replaces, except a
     * 1-byte control or malformed byte turning into 3 bytes. */
    char *out = capa__malloc(3 * len + 1), *o = out;
    if (!out)
        return NULL;
    const unsigned char *p = (const unsigned char *)s;
    while (len > 0) {
        uint32_t cp;
        size_t n = capa_text__utf8_next(p, len, &cp);
        p += n, len -= n;
        if (cp == '\t' || cp == '\r')
            cp = ' ';
        if (cp == '\n') {
            *o++ = '\n';
            continue;
        }
        if (cp < 0x20 || cp == 0x7F || !capa_text__covered(f, cp)) {
            cp = f->placeholder;
            miss++;
        }
        o += utf8_put(o, cp);
    }
    *o = 0;
    if (n_missing)
        *n_missing = miss;
    return out;
}

static float cp_width(const capa_rfont *f, uint32_t cp, float size)
{
    return (float)HPDF_Font_GetUnicodeWidth(f->font, (HPDF_UNICODE)cp) * size / 1000.0f;
}

float capa_text__width(const capa_rfont *f, const char *s, float size)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen(s);
    float w = 0;
    while (len > 0) {
        uint32_t cp;
        size_t n = capa_text__utf8_next(p, len, &cp);
        p += n, len -= n;
        w += cp_width(f, cp, size);
    }
    return w;
}

static int is_wide(uint32_t cp)
{
    return (cp >= 0x2E80 && cp <= 0x9FFF) || (cp >= 0xAC00 && cp <= 0xD7A3) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F) ||
           (cp >= 0xFF00 && cp <= 0xFF60) || (cp >= 0xFFE0 && cp <= 0xFFE6) ||
           (cp >= 0x2460 && cp <= 0x27BF) || cp == 0x25A1;
}

/* Characters that must not start a line (kinsoku): closing marks and trailing punctuation. */
static int no_start(uint32_t cp)
{
    static const uint32_t set[] = {0x3001, 0x3002, 0xFF0C, 0xFF0E, 0xFF1A, 0xFF1B, 0xFF01, 0xFF1F,
                                   0xFF09, 0x3009, 0x300B, 0x300D, 0x300F, 0x3011, 0x3015, 0x3017,
                                   0x2019, 0x201D, 0x2026, 0xFF05, 0x00B7, ',',    '.',    ';',
                                   ':',    '!',    '?',    ')',    ']',    '}',    '%'};
    for (size_t i = 0; i < sizeof set / sizeof *set; i++)
        if (set[i] == cp)
            return 1;
    return 0;
}

/* Characters that must not end a line: opening brackets and quotes. */
static int no_end(uint32_t cp)
{
    static const uint32_t set[] = {0xFF08, 0x3008, 0x300A, 0x300C, 0x300E, 0x3010, 0x3014,
                                   0x3016, 0x2018, 0x201C, '(',    '[',    '{'};
    for (size_t i = 0; i < sizeof set / sizeof *set; i++)
        if (set[i] == cp)
            return 1;
    return 0;
}

static int push_line(capa_lines *out, const char *s, size_t n)
{
    /* Trailing spaces take no room on a wrapped line. */
    while (n > 0 && s[n - 1] == ' ')
        n--;
    if (out->n == out->cap) {
        size_t cap = out->cap ? 2 * out->cap : 8;
        char **l = capa__realloc(out->line, cap * sizeof *l);
        if (!l)
            return CAPA_ENOMEM;
        out->line = l, out->cap = cap;
    }
    char *copy = capa__strndup(s, n);
    if (!copy)
        return CAPA_ENOMEM;
    out->line[out->n++] = copy;
    return CAPA_OK;
}

int capa_text__wrap(capa_lines *out, const capa_rfont *f, const char *s, float size, float width)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen(s), pos = 0, start = 0, brk = 0;
    float w = 0, w_at_brk = 0;
    uint32_t prev = 0;
    while (pos < len) {
        uint32_t cp;
        size_t n = capa_text__utf8_next(p + pos, len - pos, &cp);
        if (cp == '\n') {
            if (push_line(out, s + start, pos - start))
                return CAPA_ENOMEM;
            pos += n, start = pos, brk = 0, w = 0, prev = 0;
            continue;
        }
        if (cp == ' ' && pos == start && out->n > 0 && start > 0 && s[start - 1] != '\n') {
            /* Spaces at the start of a wrapped (not a hard-broken) line are skipped. */
            pos += n, start = pos;
            continue;
        }
        /* May we break before this character? */
        if (pos > start && (prev == ' ' || ((is_wide(cp) || is_wide(prev)) && cp != ' ' &&
                                            !no_start(cp) && !no_end(prev))))
            brk = pos, w_at_brk = w;
        float cw = cp_width(f, cp, size);
        if (w + cw > width && pos > start && cp != ' ') {
            if (brk > start) {
                if (push_line(out, s + start, brk - start))
                    return CAPA_ENOMEM;
                start = brk, w -= w_at_brk;
                /* Skip the spaces the break happened at. */
                while (start < pos && s[start] == ' ')
                    start++;
            } else {
                if (push_line(out, s + start, pos - start))
                    return CAPA_ENOMEM;
                start = pos, w = 0;
            }
            brk = start;
            if (w < 0 || start == pos)
                w = 0;
            /* Re-measure the carried-over text, if any. */
            if (start < pos) {
                w = 0;
                size_t q = start;
                while (q < pos) {
                    uint32_t c2;
                    q += capa_text__utf8_next(p + q, pos - q, &c2);
                    w += cp_width(f, c2, size);
                }
            }
        }
        w += cw;
        prev = cp;
        pos += n;
    }
    if (pos > start || out->n == 0 || (len > 0 && s[len - 1] == '\n'))
        if (push_line(out, s + start, pos - start))
            return CAPA_ENOMEM;
    return CAPA_OK;
}

void capa_text__lines_clear(capa_lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        capa__free(l->line[i]);
    capa__free(l->line);
    l->line = NULL;
    l->n = l->cap = 0;
}
