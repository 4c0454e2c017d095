/*
 * layout.c - the page "flow" engine shared by every PDF capa makes (the dossier, the
 * monthly report): A4 pages, a cursor moving down them, wrapped CJK paragraphs, headings,
 * tables whose rows continue on the next page with their header repeated, label/value
 * rows, header and footer lines once every page exists, and the atomic write of the
 * finished (signed) file. See layout.h.
 */
#include "layout.h"

#include "capa_report.h"
#include "pdfsign.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void capa_lay__hpdf_error(HPDF_STATUS code, HPDF_STATUS detail, void *payload)
{
    capa_flow *d = payload;
    (void)detail;
    if (!d->hpdf_err)
        d->hpdf_err = (int)code;
}

void capa_lay__sb_add(sbuf *b, const char *s)
{
    size_t l = strlen(s);
    if (b->oom)
        return;
    if (b->n + l + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 128;
        while (cap < b->n + l + 1)
            cap *= 2;
        char *p = capa__realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p, b->cap = cap;
    }
    memcpy(b->p + b->n, s, l + 1);
    b->n += l;
}

void capa_lay__sb_addf(sbuf *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof tmp) {
        capa_lay__sb_add(b, tmp);
        return;
    }
    char *big = NULL;
    if (n >= 0 && (big = capa__malloc((size_t)n + 1)) != NULL) {
        va_start(ap, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        va_end(ap);
        capa_lay__sb_add(b, big);
        capa__free(big);
    } else {
        b->oom = 1;
    }
}

/* Take the string out of the buffer ("" when empty); NULL on OOM. */
char *capa_lay__sb_take(sbuf *b, capa_flow *d)
{
    if (!b->oom && !b->p)
        capa_lay__sb_add(b, "");
    if (b->oom) {
        capa__free(b->p);
        d->oom = 1;
        return NULL;
    }
    char *p = b->p;
    b->p = NULL, b->n = b->cap = 0;
    return p;
}

void capa_lay__fmt_utc(char *buf, size_t sz, int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, sz, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

/* ---- pages and drawing ---- */

int capa_lay__new_page(capa_flow *d)
{
    if (d->n_pages == d->cap_pages) {
        size_t cap = d->cap_pages ? 2 * d->cap_pages : 16;
        HPDF_Page *p = capa__realloc(d->pages, cap * sizeof *p);
        if (!p) {
            d->oom = 1;
            return -1;
        }
        d->pages = p, d->cap_pages = cap;
    }
    HPDF_Page page = HPDF_AddPage(d->pdf);
    if (!page)
        return -1;
    HPDF_Page_SetWidth(page, PAGE_W);
    HPDF_Page_SetHeight(page, PAGE_H);
    d->pages[d->n_pages++] = page;
    d->page = page;
    d->y = TOP_Y;
    d->bottom = BOTTOM_Y;
    return 0;
}

int capa_lay__failed(const capa_flow *d)
{
    return d->oom || d->hpdf_err || d->core_err;
}

/* Make room for `h` points; start a new page when what is left is too little. */
void capa_lay__ensure(capa_flow *d, float h)
{
    if (d->y - h < d->bottom)
        capa_lay__new_page(d);
}

/* Draw one line of clean text with its top at `top`. */
void capa_lay__draw_line(capa_flow *d, float x, float top, float size, rgb c, const char *s)
{
    if (!*s)
        return;
    HPDF_Page_BeginText(d->page);
    HPDF_Page_SetFontAndSize(d->page, d->f->font, size);
    HPDF_Page_SetRGBFill(d->page, c.r, c.g, c.b);
    HPDF_Page_TextOut(d->page, x, top - size * 0.88f, s);
    HPDF_Page_EndText(d->page);
}

/* Clean and wrap `s` into `out`. */
void capa_lay__wrap(capa_flow *d, capa_lines *out, const char *s, float size, float width)
{
    char *clean = capa_text__clean(d->f, s ? s : "", NULL);
    if (!clean || capa_text__wrap(out, d->f, clean, size, width) != CAPA_OK)
        d->oom = 1;
    capa__free(clean);
}

/* A paragraph across the content width. */
void capa_lay__para(capa_flow *d, const char *s, float size, rgb c)
{
    capa_lines l = {0};
    float lead = size * 1.35f;
    capa_lay__wrap(d, &l, s, size, CONTENT_W);
    for (size_t i = 0; i < l.n && !capa_lay__failed(d); i++) {
        capa_lay__ensure(d, lead);
        capa_lay__draw_line(d, MARGIN_X, d->y, size, c, l.line[i]);
        d->y -= lead;
    }
    capa_text__lines_clear(&l);
}

void capa_lay__fill_rect(capa_flow *d, float x, float y, float w, float h, rgb c)
{
    HPDF_Page_SetRGBFill(d->page, c.r, c.g, c.b);
    HPDF_Page_Rectangle(d->page, x, y, w, h);
    HPDF_Page_Fill(d->page);
}

void capa_lay__heading(capa_flow *d, const char *s, float size)
{
    float h = size * 1.6f;
    /* Keep a heading with at least a few lines of what follows it. */
    capa_lay__ensure(d, h + 60);
    capa_lay__fill_rect(d, MARGIN_X, d->y - h, CONTENT_W, h, HEAD_BG);
    capa_lines l = {0};
    capa_lay__wrap(d, &l, s, size, CONTENT_W - 12);
    if (l.n > 0)
        capa_lay__draw_line(d, MARGIN_X + 6, d->y - size * 0.3f, size, ACCENT, l.line[0]);
    capa_text__lines_clear(&l);
    d->y -= h + 6;
}

/* ---- tables whose rows may continue on the next page ---- */

/* Draw `cells` (t->ncols wrapped cells) as one row, splitting across pages as needed. */

void capa_lay__table_header(capa_flow *d, const table *t)
{
    if (!t->header)
        return;
    capa_lines cells[8] = {{0}};
    for (size_t i = 0; i < t->ncols; i++)
        capa_lay__wrap(d, &cells[i], t->header[i], t->size, t->widths[i] - 2 * CELL_PAD);
    capa_lay__table_row(d, t, cells, 1, ACCENT);
    for (size_t i = 0; i < t->ncols; i++)
        capa_text__lines_clear(&cells[i]);
}

void capa_lay__table_row(capa_flow *d, const table *t, capa_lines *cells, int is_header, rgb ink)
{
    float lead = t->size * 1.3f;
    size_t nlines = 1, done = 0;
    for (size_t i = 0; i < t->ncols; i++)
        if (cells[i].n > nlines)
            nlines = cells[i].n;
    while (done < nlines && !capa_lay__failed(d)) {
        float avail = d->y - d->bottom - 2 * CELL_PAD;
        size_t fit = avail > 0 ? (size_t)(avail / lead) : 0;
        /* Start a row on a fresh page rather than leave a lonely first line behind, unless
         * even a fresh page cannot hold it. */
        if (fit == 0 || (done == 0 && fit < nlines && fit < 3 && nlines <= 40)) {
            capa_lay__new_page(d);
            if (!is_header)
                capa_lay__table_header(d, t);
            continue;
        }
        size_t take = nlines - done < fit ? nlines - done : fit;
        float h = take * lead + 2 * CELL_PAD;
        float top = d->y, x = MARGIN_X;
        if (is_header)
            capa_lay__fill_rect(d, MARGIN_X, top - h, CONTENT_W, h, HEAD_BG);
        for (size_t i = 0; i < t->ncols; i++) {
            rgb c = is_header ? ink : ((int)i == t->label_col ? MUTED : ink);
            for (size_t k = 0; k < take; k++) {
                size_t li = done + k;
                if (li < cells[i].n)
                    capa_lay__draw_line(d, x + CELL_PAD, top - CELL_PAD - k * lead, t->size, c,
                                        cells[i].line[li]);
            }
            x += t->widths[i];
        }
        /* Grid: a rule under the segment and between columns. */
        HPDF_Page_SetRGBStroke(d->page, RULE.r, RULE.g, RULE.b);
        HPDF_Page_SetLineWidth(d->page, 0.4f);
        HPDF_Page_MoveTo(d->page, MARGIN_X, top - h);
        HPDF_Page_LineTo(d->page, MARGIN_X + CONTENT_W, top - h);
        x = MARGIN_X;
        for (size_t i = 0; i + 1 < t->ncols; i++) {
            x += t->widths[i];
            HPDF_Page_MoveTo(d->page, x, top);
            HPDF_Page_LineTo(d->page, x, top - h);
        }
        HPDF_Page_Stroke(d->page);
        d->y -= h;
        done += take;
    }
}

/* One row of plain strings. */
void capa_lay__table_add(capa_flow *d, const table *t, const char *const *text, rgb ink)
{
    capa_lines cells[8] = {{0}};
    for (size_t i = 0; i < t->ncols; i++)
        capa_lay__wrap(d, &cells[i], text[i], t->size, t->widths[i] - 2 * CELL_PAD);
    if (!capa_lay__failed(d))
        capa_lay__table_row(d, t, cells, 0, ink);
    for (size_t i = 0; i < t->ncols; i++)
        capa_text__lines_clear(&cells[i]);
}

float capa_lay__table_height(capa_flow *d, const table *t, const char *const *rows, size_t n_rows)
{
    float lead = t->size * 1.3f, h = 0;
    for (size_t r = 0; r <= n_rows && !capa_lay__failed(d); r++) {
        const char *const *text = r == 0 ? t->header : rows + (r - 1) * t->ncols;
        size_t nlines = 1;
        for (size_t i = 0; text && i < t->ncols; i++) {
            capa_lines l = {0};
            capa_lay__wrap(d, &l, text[i], t->size, t->widths[i] - 2 * CELL_PAD);
            if (l.n > nlines)
                nlines = l.n;
            capa_text__lines_clear(&l);
        }
        if (text)
            h += (float)nlines * lead + 2 * CELL_PAD;
    }
    return h;
}

void capa_lay__table_begin(capa_flow *d, const table *t)
{
    HPDF_Page_SetRGBStroke(d->page, RULE.r, RULE.g, RULE.b);
    HPDF_Page_SetLineWidth(d->page, 0.4f);
    HPDF_Page_MoveTo(d->page, MARGIN_X, d->y);
    HPDF_Page_LineTo(d->page, MARGIN_X + CONTENT_W, d->y);
    HPDF_Page_Stroke(d->page);
    capa_lay__table_header(d, t);
}

void capa_lay__kv(capa_flow *d, const char *zh, const char *en, const char *value)
{
    static const table t = {2, KV_W, NULL, 9.5f, 0};
    sbuf lb = {0};
    if (zh && en && *en && strcmp(zh, en) != 0)
        capa_lay__sb_addf(&lb, "%s\n%s", zh, en);
    else
        capa_lay__sb_add(&lb, zh ? zh : en);
    char *label = capa_lay__sb_take(&lb, d);
    const char *row[2] = {label ? label : "", value ? value : ""};
    capa_lay__table_add(d, &t, row, INK);
    capa__free(label);
}

/* ---- output ---- */

/* Write `buf` to a temporary file next to `path`, fsync, rename over `path`, fsync the
 * directory. On failure nothing is left behind. */
int capa_lay__write_atomic(const char *path, const unsigned char *buf, size_t len)
{
    int rc = CAPA_OK, fd = -1;
    char *dcopy = capa__strdup(path), *bcopy = capa__strdup(path), *tmp = NULL;
    if (!dcopy || !bcopy) {
        rc = capa_error_set(CAPA_ENOMEM, "report: out of memory");
        goto done;
    }
    const char *dir = dirname(dcopy), *base = basename(bcopy);
    tmp = capa__sprintf("%s/.%s.XXXXXX", dir, base);
    if (!tmp) {
        rc = capa_error_set(CAPA_ENOMEM, "report: out of memory");
        goto done;
    }
    fd = mkstemp(tmp);
    if (fd < 0) {
        rc = capa_error_set(errno == ENOENT ? CAPA_ENOTFOUND : CAPA_ERROR, "cannot write %s: %s",
                            path, strerror(errno));
        capa__free(tmp);
        tmp = NULL;
        goto done;
    }
    fchmod(fd, 0644);
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, buf + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            rc = capa_error_set(CAPA_ERROR, "cannot write %s: %s", path, strerror(errno));
            goto done;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0) {
        rc = capa_error_set(CAPA_ERROR, "cannot write %s: fsync: %s", path, strerror(errno));
        goto done;
    }
    if (close(fd) != 0) {
        fd = -1;
        rc = capa_error_set(CAPA_ERROR, "cannot write %s: %s", path, strerror(errno));
        goto done;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        rc = capa_error_set(CAPA_ERROR, "cannot write %s: %s", path, strerror(errno));
        goto done;
    }
    capa__free(tmp);
    tmp = NULL;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
done:
    if (fd >= 0)
        close(fd);
    if (tmp) {
        unlink(tmp);
        capa__free(tmp);
    }
    capa__free(dcopy);
    capa__free(bcopy);
    return rc;
}

void capa_lay__pdf_date(HPDF_Date *dt, int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    memset(dt, 0, sizeof *dt);
    dt->year = tm.tm_year + 1900;
    dt->month = tm.tm_mon + 1;
    dt->day = tm.tm_mday;
    dt->hour = tm.tm_hour;
    dt->minutes = tm.tm_min;
    dt->seconds = tm.tm_sec;
    dt->ind = 'Z';
}

int capa_lay__begin(capa_flow *d, const char *font_path, int64_t now, const char *title)
{
    memset(d, 0, sizeof *d);
    d->pdf = HPDF_New(capa_lay__hpdf_error, d);
    if (!d->pdf)
        return capa_error_set(CAPA_ENOMEM, "report: libharu: out of memory");
    HPDF_SetCompressionMode(d->pdf, HPDF_COMP_ALL);
    HPDF_UseUTFEncodings(d->pdf);
    HPDF_SetCurrentEncoder(d->pdf, "UTF-8");
    int rc =
        capa_text__font_load(&d->f, d->pdf, font_path ? font_path : capa_report_default_font());
    if (rc)
        return rc;
    HPDF_Date dt;
    capa_lay__pdf_date(&dt, now);
    HPDF_SetInfoDateAttr(d->pdf, HPDF_INFO_CREATION_DATE, dt);
    HPDF_SetInfoDateAttr(d->pdf, HPDF_INFO_MOD_DATE, dt);
    HPDF_SetInfoAttr(d->pdf, HPDF_INFO_TITLE, title);
    HPDF_SetInfoAttr(d->pdf, HPDF_INFO_CREATOR, "capa " CAPA_VERSION);
    return CAPA_OK;
}

void capa_lay__headers_footers(capa_flow *d, const char *left, const char *right, int64_t now)
{
    char rendered[40], foot[200];
    capa_lay__fmt_utc(rendered, sizeof rendered, now);
    char *left_c = capa_text__clean(d->f, left ? left : "", NULL);
    char *right_c = capa_text__clean(d->f, right ? right : "", NULL);
    if (!left_c || !right_c) {
        d->oom = 1;
    } else {
        for (size_t i = 0; i < d->n_pages; i++) {
            d->page = d->pages[i];
            capa_lay__draw_line(d, MARGIN_X, PAGE_H - 30, 8.5f, MUTED, left_c);
            float w = capa_text__width(d->f, right_c, 8.5f);
            capa_lay__draw_line(d, PAGE_W - MARGIN_X - w, PAGE_H - 30, 8.5f, MUTED, right_c);
            HPDF_Page_SetRGBStroke(d->page, RULE.r, RULE.g, RULE.b);
            HPDF_Page_SetLineWidth(d->page, 0.5f);
            HPDF_Page_MoveTo(d->page, MARGIN_X, PAGE_H - 44);
            HPDF_Page_LineTo(d->page, PAGE_W - MARGIN_X, PAGE_H - 44);
            HPDF_Page_MoveTo(d->page, MARGIN_X, 44);
            HPDF_Page_LineTo(d->page, PAGE_W - MARGIN_X, 44);
            HPDF_Page_Stroke(d->page);
            snprintf(foot, sizeof foot, "生成时间 Rendered %s", rendered);
            capa_lay__draw_line(d, MARGIN_X, 38, 8.0f, MUTED, foot);
            snprintf(foot, sizeof foot, "第 %zu 页 / 共 %zu 页  Page %zu of %zu", i + 1, d->n_pages,
                     i + 1, d->n_pages);
            w = capa_text__width(d->f, foot, 8.0f);
            capa_lay__draw_line(d, PAGE_W - MARGIN_X - w, 38, 8.0f, MUTED, foot);
        }
    }
    capa__free(left_c);
    capa__free(right_c);
}

int capa_lay__status(const capa_flow *d, const char *what)
{
    if (d->oom)
        return capa_error_set(CAPA_ENOMEM, "%s: out of memory", what);
    if (d->core_err)
        return d->core_err;
    if (d->hpdf_err)
        return capa_error_set(CAPA_ERROR, "%s: libharu error 0x%04X", what, (unsigned)d->hpdf_err);
    return CAPA_OK;
}

int capa_lay__finish(capa_flow *d, const char *path, const struct capa_pdf_signer *sg, int64_t now,
                     const char *reason, const char *location, const float rect[4])
{
    unsigned char *raw = NULL, *signed_pdf = NULL;
    size_t signed_len = 0;
    int rc = capa_lay__status(d, path);
    if (rc)
        return rc;
    if (HPDF_SaveToStream(d->pdf) != HPDF_OK)
        return capa_error_set(CAPA_ERROR, "%s: libharu cannot write the PDF", path);
    HPDF_UINT32 len = HPDF_GetStreamSize(d->pdf), got;
    if (!(raw = capa__malloc(len ? len : 1)))
        return capa_error_set(CAPA_ENOMEM, "%s: out of memory", path);
    got = len;
    if (HPDF_ReadFromStream(d->pdf, raw, &got) > HPDF_STREAM_EOF || got != len) {
        rc = capa_error_set(CAPA_ERROR, "%s: libharu cannot write the PDF", path);
    } else if (sg) {
        capa_pdf_sigopts so = {.time_ms = now, .reason = reason, .location = location};
        memcpy(so.rect, rect, sizeof so.rect);
        if ((rc = capa_pdf__sign(&signed_pdf, &signed_len, raw, len, sg, &so)) == CAPA_OK)
            rc = capa_lay__write_atomic(path, signed_pdf, signed_len);
    } else {
        rc = capa_lay__write_atomic(path, raw, len);
    }
    capa__free(raw);
    capa__free(signed_pdf);
    return rc;
}

void capa_lay__end(capa_flow *d)
{
    if (d->pdf)
        HPDF_Free(d->pdf);
    capa_text__font_free(d->f);
    capa__free(d->pages);
    memset(d, 0, sizeof *d);
}
