/*
 * dossier.c - the signed PDF dossier of one case (capa_report_dossier).
 *
 * Layout is a single pass over a small "flow" engine: a cursor moves down the page, tables
 * are drawn line by line so a row taller than what is left of the page continues on the
 * next one (with the table's header repeated), and nothing is ever drawn below the bottom
 * margin. Headers and footers are deferred until every page exists so they can say
 * "第 n 页 / 共 N 页". The cover carries the visible signature box on page 1, where the
 * signature widget goes.
 *
 * Everything printed comes from the store through core's public API: stage labels and
 * sign-off meanings from the workflow, field labels and choice labels from the form version
 * each stage record was filled in with (capa_store_form(id, version)).
 *
 * Determinism: the PDF's dates come from the render time, libharu writes no random IDs when
 * not encrypting, and the signer derives /ID from the unsigned bytes; so two renders with
 * the same render time differ only inside the CMS signature.
 */
#include "capa_report.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hpdf.h>

#include "pdfsign.h"
#include "rerror.h"
#include "text.h"

#ifndef CAPA_REPORT_FONT
#define CAPA_REPORT_FONT "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
#endif

/* A4 portrait, points. */
#define PAGE_W 595.0f
#define PAGE_H 842.0f
#define MARGIN_X 48.0f
#define TOP_Y (PAGE_H - 62.0f)
#define BOTTOM_Y 58.0f
#define CONTENT_W (PAGE_W - 2 * MARGIN_X)
#define CELL_PAD 3.0f

/* The signature box on the cover (page 1): llx lly urx ury. */
static const float SIG_BOX[4] = {MARGIN_X, 66.0f, PAGE_W - MARGIN_X, 150.0f};

const char *capa_report_default_font(void)
{
    return CAPA_REPORT_FONT;
}

typedef struct rgb {
    float r, g, b;
} rgb;

static const rgb INK = {0.1f, 0.1f, 0.1f};
static const rgb MUTED = {0.4f, 0.4f, 0.4f};
static const rgb ACCENT = {0.16f, 0.32f, 0.62f};
static const rgb WARN = {0.72f, 0.12f, 0.12f};
static const rgb RULE = {0.7f, 0.7f, 0.7f};
static const rgb HEAD_BG = {0.91f, 0.93f, 0.97f};

typedef struct user_name {
    char *id, *name;
} user_name;

typedef struct doc {
    capa_store *s;
    const capa_workflow *wf;
    const capa_case *c;
    HPDF_Doc pdf;
    capa_rfont *f;
    HPDF_Page *pages;
    size_t n_pages, cap_pages;
    HPDF_Page page;
    float y;      /* top of the next thing to draw */
    float bottom; /* lowest y content may use on this page */
    int hpdf_err; /* first libharu error, reported once layout ends */
    int core_err; /* a core call failed: its code (message already set) */
    int oom;
    int64_t now;
    int fixed_off;
    int32_t off_min;
    user_name *users;
    size_t n_users;
    /* Time per stage summed over every pass through it (rejection loops send a case back
     * over stages), from the audit trail's stage changes. Indexed like the workflow. */
    int64_t *stage_ms;
    int *stage_passes;
    int cur_stage; /* stage the case is in while walking the trail, -1 none */
    int64_t cur_since;
} doc;

static void hpdf_error(HPDF_STATUS code, HPDF_STATUS detail, void *payload)
{
    doc *d = payload;
    (void)detail;
    if (!d->hpdf_err)
        d->hpdf_err = (int)code;
}

/* ---- strings ---- */

typedef struct sbuf {
    char *p;
    size_t n, cap;
    int oom;
} sbuf;

static void sb_add(sbuf *b, const char *s)
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

static void sb_addf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_addf(sbuf *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof tmp) {
        sb_add(b, tmp);
        return;
    }
    char *big = NULL;
    if (n >= 0 && (big = capa__malloc((size_t)n + 1)) != NULL) {
        va_start(ap, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        va_end(ap);
        sb_add(b, big);
        capa__free(big);
    } else {
        b->oom = 1;
    }
}

/* Take the string out of the buffer ("" when empty); NULL on OOM. */
static char *sb_take(sbuf *b, doc *d)
{
    if (!b->oom && !b->p)
        sb_add(b, "");
    if (b->oom) {
        capa__free(b->p);
        d->oom = 1;
        return NULL;
    }
    char *p = b->p;
    b->p = NULL, b->n = b->cap = 0;
    return p;
}

static void fmt_utc(char *buf, size_t sz, int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, sz, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

static void fmt_local(const doc *d, char *buf, size_t sz, int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    long off;
    if (d->fixed_off) {
        off = (long)d->off_min * 60;
        t += off;
        gmtime_r(&t, &tm);
    } else {
        localtime_r(&t, &tm);
        off = tm.tm_gmtoff;
    }
    char base[40];
    strftime(base, sizeof base, "%Y-%m-%d %H:%M:%S", &tm);
    long a = off < 0 ? -off : off;
    int hh = (int)(a / 3600 % 100), mm = (int)(a % 3600 / 60);
    snprintf(buf, sz, "%.24s (UTC%c%02d:%02d)", base, off < 0 ? '-' : '+', hh, mm);
}

static void fmt_duration(char *buf, size_t sz, int64_t ms)
{
    int64_t m = ms / 60000;
    if (m < 0)
        m = 0;
    if (m >= 1440)
        snprintf(buf, sz, "%lld 天 d %lld 小时 h", (long long)(m / 1440),
                 (long long)(m % 1440 / 60));
    else
        snprintf(buf, sz, "%lld 小时 h %lld 分 min", (long long)(m / 60), (long long)(m % 60));
}

/* "中文 / English", or whichever exists. */
static void bi(sbuf *b, const char *zh, const char *en)
{
    if (zh && *zh && en && *en && strcmp(zh, en) != 0)
        sb_addf(b, "%s / %s", zh, en);
    else if (zh && *zh)
        sb_add(b, zh);
    else if (en)
        sb_add(b, en);
}

static const char *user_display(doc *d, const char *id)
{
    if (!id)
        return "";
    for (size_t i = 0; i < d->n_users; i++)
        if (strcmp(d->users[i].id, id) == 0)
            return d->users[i].name;
    capa_user *u = NULL;
    char *name = NULL;
    if (capa_user_get(&u, d->s, id) == CAPA_OK && u->name && strcmp(u->name, id) != 0)
        name = capa__sprintf("%s (%s)", u->name, id);
    else
        name = capa__strdup(id);
    capa_user_free(u);
    user_name *nu = capa__realloc(d->users, (d->n_users + 1) * sizeof *nu);
    char *idc = capa__strdup(id);
    if (!name || !nu || !idc) {
        capa__free(name);
        capa__free(idc);
        if (nu)
            d->users = nu;
        d->oom = 1;
        return id;
    }
    d->users = nu;
    d->users[d->n_users].id = idc;
    d->users[d->n_users].name = name;
    return d->users[d->n_users++].name;
}

static const char *stage_label(const doc *d, const char *id, int en)
{
    const capa_stage *st = id ? capa_workflow_stage(d->wf, id) : NULL;
    if (!st)
        return id ? id : "";
    return en ? st->label_en : st->label_zh;
}

static void role_label(doc *d, sbuf *b, const char *role)
{
    const capa_role *r = role ? capa_workflow_role(d->wf, role) : NULL;
    if (r)
        bi(b, r->label_zh, r->label_en);
    else
        sb_add(b, role ? role : "");
}

/* The sign-off meaning's labels: from the workflow stage that defines it, else built in. */
static void meaning_label(doc *d, sbuf *b, const char *meaning)
{
    for (size_t i = 0; meaning && i < d->wf->n_stages; i++) {
        const capa_stage *st = &d->wf->stages[i];
        if (st->sign_meaning && strcmp(st->sign_meaning, meaning) == 0 &&
            (st->sign_meaning_zh || st->sign_meaning_en)) {
            bi(b, st->sign_meaning_zh, st->sign_meaning_en ? st->sign_meaning_en : meaning);
            return;
        }
    }
    static const char *const builtin[][2] = {
        {"reviewed", "审核"}, {"approved", "批准"}, {"done", "完成"},   {"verified", "验证"},
        {"closed", "结案"},   {"rejected", "驳回"}, {"reject", "驳回"},
    };
    for (size_t i = 0; meaning && i < sizeof builtin / sizeof *builtin; i++)
        if (strcmp(builtin[i][0], meaning) == 0) {
            bi(b, builtin[i][1], meaning);
            return;
        }
    sb_add(b, meaning ? meaning : "");
}

/* ---- pages and drawing ---- */

static int new_page(doc *d)
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

static int failed(const doc *d)
{
    return d->oom || d->hpdf_err || d->core_err;
}

/* Make room for `h` points; start a new page when what is left is too little. */
static void ensure(doc *d, float h)
{
    if (d->y - h < d->bottom)
        new_page(d);
}

/* Draw one line of clean text with its top at `top`. */
static void draw_line(doc *d, float x, float top, float size, rgb c, const char *s)
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
static void wrap(doc *d, capa_lines *out, const char *s, float size, float width)
{
    char *clean = capa_text__clean(d->f, s ? s : "", NULL);
    if (!clean || capa_text__wrap(out, d->f, clean, size, width) != CAPA_OK)
        d->oom = 1;
    capa__free(clean);
}

/* A paragraph across the content width. */
static void para(doc *d, const char *s, float size, rgb c)
{
    capa_lines l = {0};
    float lead = size * 1.35f;
    wrap(d, &l, s, size, CONTENT_W);
    for (size_t i = 0; i < l.n && !failed(d); i++) {
        ensure(d, lead);
        draw_line(d, MARGIN_X, d->y, size, c, l.line[i]);
        d->y -= lead;
    }
    capa_text__lines_clear(&l);
}

static void fill_rect(doc *d, float x, float y, float w, float h, rgb c)
{
    HPDF_Page_SetRGBFill(d->page, c.r, c.g, c.b);
    HPDF_Page_Rectangle(d->page, x, y, w, h);
    HPDF_Page_Fill(d->page);
}

static void heading(doc *d, const char *s, float size)
{
    float h = size * 1.6f;
    /* Keep a heading with at least a few lines of what follows it. */
    ensure(d, h + 60);
    fill_rect(d, MARGIN_X, d->y - h, CONTENT_W, h, HEAD_BG);
    capa_lines l = {0};
    wrap(d, &l, s, size, CONTENT_W - 12);
    if (l.n > 0)
        draw_line(d, MARGIN_X + 6, d->y - size * 0.3f, size, ACCENT, l.line[0]);
    capa_text__lines_clear(&l);
    d->y -= h + 6;
}

/* ---- tables whose rows may continue on the next page ---- */

typedef struct table {
    size_t ncols;
    const float *widths;       /* sum = CONTENT_W */
    const char *const *header; /* ncols cells, or NULL */
    float size;
    int label_col; /* column drawn muted (labels), or -1 */
} table;

/* Draw `cells` (t->ncols wrapped cells) as one row, splitting across pages as needed. */
static void table_row(doc *d, const table *t, capa_lines *cells, int is_header, rgb ink);

static void table_header(doc *d, const table *t)
{
    if (!t->header)
        return;
    capa_lines cells[8] = {{0}};
    for (size_t i = 0; i < t->ncols; i++)
        wrap(d, &cells[i], t->header[i], t->size, t->widths[i] - 2 * CELL_PAD);
    table_row(d, t, cells, 1, ACCENT);
    for (size_t i = 0; i < t->ncols; i++)
        capa_text__lines_clear(&cells[i]);
}

static void table_row(doc *d, const table *t, capa_lines *cells, int is_header, rgb ink)
{
    float lead = t->size * 1.3f;
    size_t nlines = 1, done = 0;
    for (size_t i = 0; i < t->ncols; i++)
        if (cells[i].n > nlines)
            nlines = cells[i].n;
    while (done < nlines && !failed(d)) {
        float avail = d->y - d->bottom - 2 * CELL_PAD;
        size_t fit = avail > 0 ? (size_t)(avail / lead) : 0;
        /* Start a row on a fresh page rather than leave a lonely first line behind, unless
         * even a fresh page cannot hold it. */
        if (fit == 0 || (done == 0 && fit < nlines && fit < 3 && nlines <= 40)) {
            new_page(d);
            if (!is_header)
                table_header(d, t);
            continue;
        }
        size_t take = nlines - done < fit ? nlines - done : fit;
        float h = take * lead + 2 * CELL_PAD;
        float top = d->y, x = MARGIN_X;
        if (is_header)
            fill_rect(d, MARGIN_X, top - h, CONTENT_W, h, HEAD_BG);
        for (size_t i = 0; i < t->ncols; i++) {
            rgb c = is_header ? ink : ((int)i == t->label_col ? MUTED : ink);
            for (size_t k = 0; k < take; k++) {
                size_t li = done + k;
                if (li < cells[i].n)
                    draw_line(d, x + CELL_PAD, top - CELL_PAD - k * lead, t->size, c,
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
static void table_add(doc *d, const table *t, const char *const *text, rgb ink)
{
    capa_lines cells[8] = {{0}};
    for (size_t i = 0; i < t->ncols; i++)
        wrap(d, &cells[i], text[i], t->size, t->widths[i] - 2 * CELL_PAD);
    if (!failed(d))
        table_row(d, t, cells, 0, ink);
    for (size_t i = 0; i < t->ncols; i++)
        capa_text__lines_clear(&cells[i]);
}

static void table_begin(doc *d, const table *t)
{
    HPDF_Page_SetRGBStroke(d->page, RULE.r, RULE.g, RULE.b);
    HPDF_Page_SetLineWidth(d->page, 0.4f);
    HPDF_Page_MoveTo(d->page, MARGIN_X, d->y);
    HPDF_Page_LineTo(d->page, MARGIN_X + CONTENT_W, d->y);
    HPDF_Page_Stroke(d->page);
    table_header(d, t);
}

/* Label / value rows: the label column says "中文\nEnglish". */
static const float KV_W[2] = {150.0f, CONTENT_W - 150.0f};

static void kv(doc *d, const char *zh, const char *en, const char *value)
{
    static const table t = {2, KV_W, NULL, 9.5f, 0};
    sbuf lb = {0};
    if (zh && en && *en && strcmp(zh, en) != 0)
        sb_addf(&lb, "%s\n%s", zh, en);
    else
        sb_add(&lb, zh ? zh : en);
    char *label = sb_take(&lb, d);
    const char *row[2] = {label ? label : "", value ? value : ""};
    table_add(d, &t, row, INK);
    capa__free(label);
}

/* ---- field values ---- */

/* A stored value as the auditor should read it: choice labels, users by name. */
static char *show_value(doc *d, const capa_field *fld, const char *v)
{
    sbuf b = {0};
    if (fld && fld->type == CAPA_FT_CHOICE) {
        const capa_choice *ch = capa_field_choice(fld, v);
        if (ch) {
            bi(&b, ch->label_zh, ch->label_en);
            /* The stored id too, as the audit trail shows it, unless the English label
             * already says it ("In house" for in_house). */
            char norm[128] = "";
            size_t k = 0;
            for (const char *p = ch->label_en ? ch->label_en : ""; *p && k + 1 < sizeof norm; p++)
                norm[k++] = *p == ' ' || *p == '-' ? '_' : (char)tolower((unsigned char)*p);
            norm[k] = 0;
            if (strcmp(ch->value, norm) != 0)
                sb_addf(&b, " [%s]", ch->value);
        } else {
            sb_add(&b, v);
        }
    } else if (fld && fld->type == CAPA_FT_BOOLEAN) {
        sb_add(&b, strcmp(v, "true") == 0 ? "是 / yes" : strcmp(v, "false") == 0 ? "否 / no" : v);
    } else if (fld && fld->type == CAPA_FT_USER) {
        sb_add(&b, user_display(d, v));
    } else {
        sb_add(&b, v);
    }
    return sb_take(&b, d);
}

static const char *rec_value(const capa_stage_record *r, const char *name)
{
    for (size_t i = 0; i < r->n_values; i++)
        if (strcmp(r->values[i].name, name) == 0)
            return r->values[i].value;
    return NULL;
}

static int cmp_unsigned(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return x < y ? -1 : x > y;
}

/* A repeating group as a table: "#" then one column per group column. */
static void group_table(doc *d, const capa_field *g, const capa_stage_record *r)
{
    unsigned rows[256];
    size_t nrows = 0;
    size_t plen = strlen(g->id);
    for (size_t i = 0; i < r->n_values; i++) {
        const char *nm = r->values[i].name;
        if (strncmp(nm, g->id, plen) != 0 || nm[plen] != '.' || !r->values[i].value ||
            !*r->values[i].value)
            continue;
        char grp[128], col[128];
        unsigned row;
        if (capa_field_name_split(nm, grp, sizeof grp, &row, col, sizeof col) != 1)
            continue;
        int seen = 0;
        for (size_t k = 0; k < nrows; k++)
            seen |= rows[k] == row;
        if (!seen && nrows < sizeof rows / sizeof *rows)
            rows[nrows++] = row;
    }
    if (nrows == 0)
        return;
    qsort(rows, nrows, sizeof *rows, cmp_unsigned);

    sbuf lb = {0};
    bi(&lb, g->label_zh, g->label_en);
    char *title = sb_take(&lb, d);
    d->y -= 4;
    ensure(d, 60);
    para(d, title ? title : "", 9.5f, MUTED);
    capa__free(title);

    /* Only the columns some row filled in: optional columns (an action's status, date done,
     * evidence) take no width from the text until they are used. */
    size_t colx[7], ncols = 1;
    for (size_t c = 0; c < g->n_columns && ncols < 8; c++) {
        int used = 0;
        for (size_t k = 0; k < nrows && !used; k++) {
            char name[300];
            snprintf(name, sizeof name, "%s.%u.%s", g->id, rows[k], g->columns[c].id);
            const char *v = rec_value(r, name);
            used = v && *v;
        }
        if (used)
            colx[ncols++ - 1] = c;
    }
    float widths[8];
    widths[0] = 24.0f;
    for (size_t i = 1; i < ncols; i++)
        widths[i] = (CONTENT_W - widths[0]) / (float)(ncols - 1);
    char *head[8] = {0};
    head[0] = capa__strdup("#");
    for (size_t i = 1; i < ncols; i++) {
        sbuf hb = {0};
        const capa_field *c = &g->columns[colx[i - 1]];
        if (c->label_en && c->label_zh && strcmp(c->label_zh, c->label_en) != 0)
            sb_addf(&hb, "%s\n%s", c->label_zh, c->label_en);
        else
            sb_add(&hb, c->label_zh ? c->label_zh : c->id);
        head[i] = sb_take(&hb, d);
    }
    table t = {ncols, widths, (const char *const *)head, 9.0f, -1};
    for (size_t i = 0; i < ncols; i++)
        if (!head[i])
            d->oom = 1;
    if (!failed(d)) {
        table_begin(d, &t);
        for (size_t k = 0; k < nrows && !failed(d); k++) {
            char *cell[8] = {0};
            cell[0] = capa__sprintf("%u", rows[k]);
            for (size_t i = 1; i < ncols; i++) {
                char name[300];
                const capa_field *col = &g->columns[colx[i - 1]];
                snprintf(name, sizeof name, "%s.%u.%s", g->id, rows[k], col->id);
                const char *v = rec_value(r, name);
                cell[i] = v ? show_value(d, col, v) : capa__strdup("");
            }
            int ok = 1;
            for (size_t i = 0; i < ncols; i++)
                ok &= cell[i] != NULL;
            if (ok)
                table_add(d, &t, (const char *const *)cell, INK);
            else
                d->oom = 1;
            for (size_t i = 0; i < ncols; i++)
                capa__free(cell[i]);
        }
    }
    for (size_t i = 0; i < ncols; i++)
        capa__free(head[i]);
    d->y -= 6;
}

/* ---- sections ---- */

static void signatures_of(doc *d, const char *stage)
{
    static const float w[6] = {78, 72, 66, 110, 92, CONTENT_W - 418};
    static const char *const head[6] = {"签名人\nSigned by",   "角色\nRole",
                                        "含义\nMeaning",       "时间\nTime (UTC / local)",
                                        "数据哈希\nData hash", "状态\nStatus"};
    static const table t = {6, w, head, 8.0f, -1};
    int any = 0;
    for (size_t i = 0; i < d->c->n_signatures && !failed(d); i++) {
        const capa_signature *g = &d->c->signatures[i];
        if (!g->stage || strcmp(g->stage, stage) != 0)
            continue;
        if (!any) {
            d->y -= 4;
            ensure(d, 70);
            para(d, "电子签名 Electronic signatures (21 CFR 11.50)", 9.5f, ACCENT);
            table_begin(d, &t);
            any = 1;
        }
        int reject = g->kind && strcmp(g->kind, "reject") == 0;
        sbuf who = {0}, role = {0}, mean = {0}, when = {0}, status = {0};
        sb_add(&who, g->name && *g->name ? g->name : g->user);
        if (g->user && (!g->name || strcmp(g->name, g->user) != 0))
            sb_addf(&who, " (%s)", g->user);
        role_label(d, &role, g->role);
        meaning_label(d, &mean, reject ? "rejected" : g->meaning);
        char u[40], l[64];
        fmt_utc(u, sizeof u, g->time);
        fmt_local(d, l, sizeof l, g->time);
        sb_addf(&when, "%s\n%s", u, l);
        if (reject)
            sb_add(&status, "驳回 Rejected (reason below)");
        else if (g->superseded)
            sb_add(&status, "已被取代 Superseded (stage sent back later)");
        else
            sb_add(&status, "有效 In force");
        char *cells[6] = {sb_take(&who, d),  sb_take(&role, d),          sb_take(&mean, d),
                          sb_take(&when, d), capa__strdup(g->data_hash), sb_take(&status, d)};
        int ok = 1;
        for (int k = 0; k < 6; k++)
            ok &= cells[k] != NULL;
        if (ok)
            table_add(d, &t, (const char *const *)cells,
                      reject          ? WARN
                      : g->superseded ? MUTED
                                      : INK);
        else
            d->oom = 1;
        for (int k = 0; k < 6; k++)
            capa__free(cells[k]);
        if (reject && !failed(d)) {
            /* The reason gets the full width: it is what the auditor reads. */
            static const float full[1] = {CONTENT_W};
            static const table rt = {1, full, NULL, 8.5f, -1};
            sbuf rb = {0};
            sb_addf(&rb, "驳回理由 Reason for rejection: %s", g->reason ? g->reason : "");
            char *reason = sb_take(&rb, d);
            const char *row[1] = {reason ? reason : ""};
            table_add(d, &rt, row, WARN);
            capa__free(reason);
        }
    }
    if (!any) {
        d->y -= 2;
        para(d, "尚无签名 No signatures yet", 9.0f, MUTED);
    }
}

static void stage_section(doc *d, size_t idx)
{
    const capa_stage_record *r = &d->c->stages[idx];
    const capa_stage *st = capa_workflow_stage(d->wf, r->stage);
    sbuf hb = {0};
    sb_addf(&hb, "%zu  ", idx + 1);
    if (st && st->eightd) /* the 8D report's section numbers beside the stage name */
        sb_addf(&hb, "%s · ", st->eightd);
    bi(&hb, st ? st->label_zh : r->stage, st ? st->label_en : NULL);
    char *h = sb_take(&hb, d);
    d->y -= 8;
    heading(d, h ? h : "", 12.5f);
    capa__free(h);

    const capa_formdef *form = NULL;
    int rc = capa_store_form(&form, d->s, r->form_id, r->form_version);
    if (rc != CAPA_OK && rc != CAPA_ENOTFOUND) {
        d->core_err = capa_rep__err_core(rc, "dossier: form");
        return;
    }
    if (rc != CAPA_OK || !form) {
        char m[300];
        snprintf(m, sizeof m, "表单 %s v%d 不可用 Form %s v%d unavailable", r->form_id,
                 r->form_version, r->form_id, r->form_version);
        para(d, m, 9.0f, WARN);
        return;
    }
    char meta[400], a[40], b[40];
    const capa_route *skip = capa_case_skipped(d->c, d->wf, idx);
    if (skip) {
        snprintf(meta, sizeof meta, "表单 Form %s v%d · 已跳过（%s） Skipped (%s)", form->id,
                 form->version, skip->label_zh, skip->label_en);
    } else if (r->entered) {
        fmt_utc(a, sizeof a, r->entered);
        if (r->left)
            fmt_utc(b, sizeof b, r->left);
        snprintf(meta, sizeof meta, "表单 Form %s v%d · 进入 Entered %s%s%s", form->id,
                 form->version, a, r->left ? " · 签出 Signed off " : "", r->left ? b : "");
    } else if (r->n_values == 0) {
        snprintf(meta, sizeof meta, "表单 Form %s v%d · 尚未进行 Not reached", form->id,
                 form->version);
    } else {
        snprintf(meta, sizeof meta, "表单 Form %s v%d", form->id, form->version);
    }
    para(d, meta, 8.0f, MUTED);
    d->y -= 2;

    int first = 1;
    for (size_t i = 0; i < form->n_fields && !failed(d); i++) {
        const capa_field *fld = &form->fields[i];
        if (fld->type == CAPA_FT_GROUP) {
            group_table(d, fld, r);
            first = 1;
            continue;
        }
        const char *v = rec_value(r, fld->id);
        if (!v || !*v)
            continue; /* empty optional (or not yet filled) fields are left out */
        if (first) {
            static const table t = {2, KV_W, NULL, 9.5f, 0};
            table_begin(d, &t);
            first = 0;
        }
        char *shown = show_value(d, fld, v);
        kv(d, fld->label_zh, fld->label_en, shown ? shown : "");
        capa__free(shown);
    }
    /* The rules the stage's sign-off applied, as `show` states them. */
    char zh[600], en[600];
    for (size_t k = 0; st && !skip && (r->entered || r->n_values) && !failed(d) &&
                       capa_stage_rule(zh, sizeof zh, en, sizeof en, d->wf, st, form, r->values,
                                       r->n_values, r->left != 0, k);
         k++) {
        char line[1300];
        if (k == 0)
            para(d, "规则 Rules", 9.0f, ACCENT);
        snprintf(line, sizeof line, "· %s\n  %s", zh, en);
        para(d, line, 8.5f, INK);
    }
    signatures_of(d, r->stage);
}

static void stage_enter(doc *d, const char *id, int64_t t)
{
    int i = id ? capa_workflow_stage_index(d->wf, id) : -1;
    if (d->cur_stage >= 0 && t > d->cur_since)
        d->stage_ms[d->cur_stage] += t - d->cur_since;
    d->cur_stage = i;
    d->cur_since = t;
    if (i >= 0)
        d->stage_passes[i]++;
}

static int stage_time_event(const capa_event *e, void *payload)
{
    doc *d = payload;
    if (e->action && strcmp(e->action, "open") == 0) {
        stage_enter(d, e->stage ? e->stage : d->wf->stages[0].id, e->time);
        return 0;
    }
    for (size_t i = 0; i < e->n_changes; i++)
        if (e->changes[i].field && strcmp(e->changes[i].field, "stage") == 0)
            stage_enter(d, e->changes[i].new_value, e->time);
    return 0;
}

/* Walk the case's trail once for the time spent in each stage. */
static int stage_times(doc *d)
{
    d->stage_ms = capa__calloc(d->wf->n_stages ? d->wf->n_stages : 1, sizeof *d->stage_ms);
    d->stage_passes = capa__calloc(d->wf->n_stages ? d->wf->n_stages : 1, sizeof *d->stage_passes);
    if (!d->stage_ms || !d->stage_passes) {
        d->oom = 1;
        return CAPA_ENOMEM;
    }
    d->cur_stage = -1;
    int rc = capa_audit_foreach(d->s, d->c->number, stage_time_event, d);
    if (rc < 0)
        return d->core_err = capa_rep__err_core(rc, "audit trail");
    if (d->cur_stage >= 0 && !d->c->closed && d->now > d->cur_since)
        d->stage_ms[d->cur_stage] += d->now - d->cur_since;
    return CAPA_OK;
}

static void cover(doc *d, const capa_store_info *info, const capa_pdf_signer *sg)
{
    const capa_case *c = d->c;
    /* Page 1 keeps the signature box free. */
    d->bottom = SIG_BOX[3] + 10;
    draw_line(d, MARGIN_X, d->y, 20.0f, ACCENT, "8D 纠正预防措施档案");
    d->y -= 26;
    draw_line(d, MARGIN_X, d->y, 13.0f, MUTED, "CAPA dossier (8D report)");
    d->y -= 22;
    char *num = capa_text__clean(d->f, c->number, NULL);
    if (num)
        draw_line(d, MARGIN_X, d->y, 16.0f, INK, num);
    capa__free(num);
    d->y -= 28;

    static const table t = {2, KV_W, NULL, 9.5f, 0};
    table_begin(d, &t);
    kv(d, "组织", "Organisation", info->org);
    kv(d, "案号", "Case number", c->number);
    const char *title = capa_case_value(c, "intake", "title");
    if (!title || !*title)
        title = capa_case_value(c, "intake", "description");
    if (title && *title)
        kv(d, "标题", "Title", title);
    const char *cust = capa_case_value(c, "intake", "customer");
    if (cust && *cust)
        kv(d, "客户", "Customer", cust);
    const char *part = capa_case_value(c, "intake", "part_no");
    const char *lot = capa_case_value(c, "intake", "lot_no");
    if ((part && *part) || (lot && *lot)) {
        sbuf pb = {0};
        sb_addf(&pb, "%s / %s", part && *part ? part : "—", lot && *lot ? lot : "—");
        char *pl = sb_take(&pb, d);
        kv(d, "零件 / 批号", "Part / lot", pl);
        capa__free(pl);
    }
    const char *sev = capa_case_value(c, "intake", "severity");
    if (sev && *sev) {
        const capa_formdef *form = NULL;
        const capa_field *fld = NULL;
        if (c->n_stages > 0 && capa_store_form(&form, d->s, c->stages[0].form_id,
                                               c->stages[0].form_version) == CAPA_OK)
            fld = capa_formdef_field(form, "severity");
        char *shown = show_value(d, fld, sev);
        kv(d, "严重度", "Severity", shown);
        capa__free(shown);
    }
    sbuf sb = {0};
    if (c->closed) {
        sb_add(&sb, "已结案 / Closed");
    } else {
        sb_add(&sb, "进行中 / Open · ");
        sb_addf(&sb, "%s / %s", stage_label(d, c->stage, 0), stage_label(d, c->stage, 1));
    }
    char *status = sb_take(&sb, d);
    kv(d, "状态", "Status", status);
    capa__free(status);
    const char *subject = capa_case_value(c, "intake", "subject_person");
    if (subject && *subject) {
        char rec[400];
        snprintf(rec, sizeof rec, "被投诉人 %s 不得编辑或签核本案\n%s may neither edit nor sign this case",
                 user_display(d, subject), subject);
        kv(d, "回避", "Recusal", rec);
    }
    char u[40], l[64], both[120];
    fmt_utc(u, sizeof u, c->opened);
    fmt_local(d, l, sizeof l, c->opened);
    snprintf(both, sizeof both, "%s\n%s", u, l);
    kv(d, "开案", "Opened", both);
    if (c->closed && c->closed_at) {
        fmt_utc(u, sizeof u, c->closed_at);
        fmt_local(d, l, sizeof l, c->closed_at);
        snprintf(both, sizeof both, "%s\n%s", u, l);
        kv(d, "结案", "Closed", both);
    }
    char token[100];
    snprintf(token, sizeof token, "%llu:%s", (unsigned long long)info->n_events, info->head_hash);
    kv(d, "审计链锚点", "Audit chain anchor at rendering (capa verify --anchor)", token);

    d->y -= 12;
    para(d, "各阶段耗时 Time per stage", 10.0f, ACCENT);
    static const float w[4] = {150, 120, 120, CONTENT_W - 390};
    static const char *const head[4] = {"阶段\nStage", "最近进入\nLast entered (UTC)",
                                        "最近签出\nLast signed off (UTC)",
                                        "耗时（各次合计）\nTime taken (all passes)"};
    static const table tt = {4, w, head, 8.5f, -1};
    table_begin(d, &tt);
    for (size_t i = 0; i < c->n_stages && !failed(d); i++) {
        const capa_stage_record *r = &c->stages[i];
        sbuf nb = {0};
        bi(&nb, stage_label(d, r->stage, 0), stage_label(d, r->stage, 1));
        char *name = sb_take(&nb, d);
        char e[40] = "—", o[40] = "—", dur[128] = "—";
        if (r->entered)
            fmt_utc(e, sizeof e, r->entered);
        if (r->left)
            fmt_utc(o, sizeof o, r->left);
        int passes = d->stage_passes ? d->stage_passes[i] : 0;
        if (passes > 0) {
            char run[64];
            fmt_duration(run, sizeof run, d->stage_ms[i]);
            int open = !c->closed && d->cur_stage == (int)i;
            snprintf(dur, sizeof dur, "%s%s", run, open ? " (进行中 open)" : "");
            if (passes > 1) {
                size_t l = strlen(dur);
                snprintf(dur + l, sizeof dur - l, "\n%d 次 passes", passes);
            }
        }
        const char *row[4] = {name ? name : "", e, o, dur};
        table_add(d, &tt, row, INK);
        capa__free(name);
    }

    /* The signature box: the bilingual statement on the page; the widget over it draws
     * its frame and the ASCII summary on the bottom line. */
    HPDF_Page p1 = d->pages[0];
    HPDF_Page saved = d->page;
    float saved_y = d->y;
    d->page = p1;
    HPDF_Page_SetRGBFill(p1, 0.97f, 0.98f, 1.0f);
    HPDF_Page_Rectangle(p1, SIG_BOX[0], SIG_BOX[1], SIG_BOX[2] - SIG_BOX[0],
                        SIG_BOX[3] - SIG_BOX[1]);
    HPDF_Page_Fill(p1);
    float top = SIG_BOX[3] - 6;
    char line[600];
    if (sg) {
        draw_line(d, SIG_BOX[0] + 8, top, 10.0f, ACCENT, "数字签名 Digital signature (PDF)");
        char *cn = capa_text__clean(d->f, capa_pdf__signer_name(sg), NULL);
        char wu[40], wl[64];
        fmt_utc(wu, sizeof wu, d->now);
        fmt_local(d, wl, sizeof wl, d->now);
        snprintf(line, sizeof line, "签署人 Signed by: %s", cn ? cn : "");
        capa__free(cn);
        draw_line(d, SIG_BOX[0] + 8, top - 15, 9.0f, INK, line);
        snprintf(line, sizeof line, "签署时间 Signed at: %s · %s", wu, wl);
        draw_line(d, SIG_BOX[0] + 8, top - 28, 9.0f, INK, line);
        snprintf(line, sizeof line, "证书 SHA-256 Certificate: %.32s…",
                 capa_pdf__signer_fingerprint(sg));
        draw_line(d, SIG_BOX[0] + 8, top - 41, 8.0f, MUTED, line);
        draw_line(d, SIG_BOX[0] + 8, top - 53, 8.0f, MUTED,
                  "文件签署后任何改动都会使签名失效 Any change after signing invalidates it.");
    } else {
        draw_line(d, SIG_BOX[0] + 8, top, 10.0f, WARN, "未签名 Not digitally signed");
        draw_line(d, SIG_BOX[0] + 8, top - 15, 9.0f, MUTED,
                  "本文件未经数字签名，无法证明未被改动。This file carries no PDF signature.");
    }
    d->page = saved;
    d->y = saved_y;
    d->bottom = d->page == p1 ? SIG_BOX[3] + 10 : BOTTOM_Y;
}

typedef struct audit_ctx {
    doc *d;
    const table *t;
    size_t n;
} audit_ctx;

static int audit_row(const capa_event *e, void *payload)
{
    audit_ctx *a = payload;
    doc *d = a->d;
    sbuf ch = {0};
    for (size_t i = 0; i < e->n_changes; i++) {
        const capa_change *c = &e->changes[i];
        sb_addf(&ch, "%s%s: %s → %s", i ? "\n" : "", c->field ? c->field : "",
                c->old_value ? c->old_value : "—", c->new_value ? c->new_value : "—");
    }
    if (e->reason && *e->reason)
        sb_addf(&ch, "%s理由 Reason: %s", e->n_changes ? "\n" : "", e->reason);
    /* The chain hash after this event: what `capa verify` recomputes. */
    if (e->hash[0])
        sb_addf(&ch, "\n链哈希 Chain hash: %s", e->hash);
    char *changes = sb_take(&ch, d);
    char seq[24], when[40];
    snprintf(seq, sizeof seq, "%llu", (unsigned long long)e->seq);
    fmt_utc(when, sizeof when, e->time);
    const char *row[6] = {seq,
                          when,
                          user_display(d, e->actor),
                          e->action ? e->action : "",
                          e->stage ? stage_label(d, e->stage, 0) : "",
                          changes ? changes : ""};
    table_add(d, a->t, row, INK);
    capa__free(changes);
    a->n++;
    return failed(d) ? 1 : 0;
}

static void audit_appendix(doc *d)
{
    static const float w[6] = {28, 84, 70, 48, 54, CONTENT_W - 284};
    static const char *const head[6] = {"#",           "时间\nTime (UTC)",
                                        "用户\nUser",  "动作\nAction",
                                        "阶段\nStage", "变更（旧 → 新）\nChanges (old → new)"};
    static const table t = {6, w, head, 7.5f, -1};
    new_page(d);
    heading(d, "附录 审计追踪 Appendix: audit trail", 12.5f);
    para(d,
         "本案全部审计事件，按发生顺序；每个事件都已链入哈希链。"
         "Every audit event of this case, in order; each is part of the hash chain.",
         8.0f, MUTED);
    d->y -= 2;
    table_begin(d, &t);
    audit_ctx a = {d, &t, 0};
    int rc = capa_audit_foreach(d->s, d->c->number, audit_row, &a);
    if (rc < 0 && !failed(d))
        d->core_err = capa_rep__err_core(rc, "audit trail");
}

static void headers_footers(doc *d, const char *org)
{
    char rendered[40], hdr[400], foot[200];
    fmt_utc(rendered, sizeof rendered, d->now);
    char *org_c = capa_text__clean(d->f, org ? org : "", NULL);
    char *num_c = capa_text__clean(d->f, d->c->number, NULL);
    if (!org_c || !num_c) {
        d->oom = 1;
    } else {
        snprintf(hdr, sizeof hdr, "%s · %s", num_c, org_c);
        for (size_t i = 0; i < d->n_pages; i++) {
            d->page = d->pages[i];
            draw_line(d, MARGIN_X, PAGE_H - 30, 8.5f, MUTED, hdr);
            const char *right = "8D 档案 CAPA dossier";
            float w = capa_text__width(d->f, right, 8.5f);
            draw_line(d, PAGE_W - MARGIN_X - w, PAGE_H - 30, 8.5f, MUTED, right);
            HPDF_Page_SetRGBStroke(d->page, RULE.r, RULE.g, RULE.b);
            HPDF_Page_SetLineWidth(d->page, 0.5f);
            HPDF_Page_MoveTo(d->page, MARGIN_X, PAGE_H - 44);
            HPDF_Page_LineTo(d->page, PAGE_W - MARGIN_X, PAGE_H - 44);
            HPDF_Page_MoveTo(d->page, MARGIN_X, 44);
            HPDF_Page_LineTo(d->page, PAGE_W - MARGIN_X, 44);
            HPDF_Page_Stroke(d->page);
            snprintf(foot, sizeof foot, "生成时间 Rendered %s", rendered);
            draw_line(d, MARGIN_X, 38, 8.0f, MUTED, foot);
            snprintf(foot, sizeof foot, "第 %zu 页 / 共 %zu 页  Page %zu of %zu", i + 1, d->n_pages,
                     i + 1, d->n_pages);
            w = capa_text__width(d->f, foot, 8.0f);
            draw_line(d, PAGE_W - MARGIN_X - w, 38, 8.0f, MUTED, foot);
        }
    }
    capa__free(org_c);
    capa__free(num_c);
}

/* ---- output ---- */

/* Write `buf` to a temporary file next to `path`, fsync, rename over `path`, fsync the
 * directory. On failure nothing is left behind. */
static int write_atomic(const char *path, const unsigned char *buf, size_t len)
{
    int rc = CAPA_OK, fd = -1;
    char *dcopy = capa__strdup(path), *bcopy = capa__strdup(path), *tmp = NULL;
    if (!dcopy || !bcopy) {
        rc = capa_error_set(CAPA_ENOMEM, "dossier: out of memory");
        goto done;
    }
    const char *dir = dirname(dcopy), *base = basename(bcopy);
    tmp = capa__sprintf("%s/.%s.XXXXXX", dir, base);
    if (!tmp) {
        rc = capa_error_set(CAPA_ENOMEM, "dossier: out of memory");
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

static void pdf_date(HPDF_Date *dt, int64_t ms)
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

int capa_report_dossier(capa_store *s, const char *number, const char *out_path,
                        const capa_dossier_opts *opts)
{
    static const capa_dossier_opts defaults = {0};
    int rc = CAPA_OK;
    doc d = {0};
    capa_case *c = NULL;
    capa_store_info info = {0};
    int have_info = 0;
    capa_pdf_signer *sg = NULL;
    unsigned char *raw = NULL, *signed_pdf = NULL;
    size_t signed_len = 0;
    if (!opts)
        opts = &defaults;
    if (!s || !number || !out_path)
        return capa_error_set(CAPA_EINVALID, "dossier: store, case number and output required");

    /* Everything that can fail on input comes before any file is touched. */
    if (!opts->verified && (rc = capa_case_verify(s, number)) != CAPA_OK) {
        rc = capa_rep__err_core(rc, "dossier");
        goto done;
    }
    if ((rc = capa_case_get(&c, s, number)) != CAPA_OK) {
        rc = capa_rep__err_core(rc, "dossier");
        goto done;
    }
    if ((rc = capa_store_workflow_get(&d.wf, s, c->workflow)) != CAPA_OK ||
        (rc = capa_store_info_get(&info, s)) != CAPA_OK) {
        rc = capa_rep__err_core(rc, "dossier");
        goto done;
    }
    have_info = 1;
    if (opts->key_path || opts->cert_path) {
        if (!opts->key_path || !opts->cert_path) {
            rc = capa_error_set(CAPA_EINVALID, "dossier: signing needs both a key and a "
                                               "certificate");
            goto done;
        }
        if ((rc = capa_pdf__signer_load(&sg, opts->key_path, opts->cert_path)) != CAPA_OK)
            goto done;
    }
    d.s = s;
    d.c = c;
    d.now = opts->now_ms ? opts->now_ms : (int64_t)time(NULL) * 1000;
    d.fixed_off = opts->fixed_utc_offset;
    d.off_min = opts->utc_offset_min;
    d.pdf = HPDF_New(hpdf_error, &d);
    if (!d.pdf) {
        rc = capa_error_set(CAPA_ENOMEM, "dossier: libharu: out of memory");
        goto done;
    }
    HPDF_SetCompressionMode(d.pdf, HPDF_COMP_ALL);
    HPDF_UseUTFEncodings(d.pdf);
    HPDF_SetCurrentEncoder(d.pdf, "UTF-8");
    const char *font = opts->font_path ? opts->font_path : CAPA_REPORT_FONT;
    if ((rc = capa_text__font_load(&d.f, d.pdf, font)) != CAPA_OK)
        goto done;

    HPDF_Date dt;
    pdf_date(&dt, d.now);
    HPDF_SetInfoDateAttr(d.pdf, HPDF_INFO_CREATION_DATE, dt);
    HPDF_SetInfoDateAttr(d.pdf, HPDF_INFO_MOD_DATE, dt);
    char title[200];
    snprintf(title, sizeof title, "CAPA dossier %s", c->number);
    HPDF_SetInfoAttr(d.pdf, HPDF_INFO_TITLE, title);
    HPDF_SetInfoAttr(d.pdf, HPDF_INFO_CREATOR, "capa " CAPA_VERSION);

    if ((rc = stage_times(&d)) != CAPA_OK)
        goto done;
    new_page(&d);
    cover(&d, &info, sg);
    for (size_t i = 0; i < c->n_stages && !failed(&d); i++) {
        if (i == 0) {
            new_page(&d);
        }
        stage_section(&d, i);
    }
    if (!failed(&d))
        audit_appendix(&d);
    if (!failed(&d))
        headers_footers(&d, info.org);
    if (d.oom) {
        rc = capa_error_set(CAPA_ENOMEM, "dossier %s: out of memory", number);
        goto done;
    }
    if (d.core_err) {
        rc = d.core_err;
        goto done;
    }
    if (d.hpdf_err) {
        rc = capa_error_set(CAPA_ERROR, "dossier %s: libharu error 0x%04X", number,
                            (unsigned)d.hpdf_err);
        goto done;
    }
    if (HPDF_SaveToStream(d.pdf) != HPDF_OK) {
        rc = capa_error_set(CAPA_ERROR, "dossier %s: libharu cannot write the PDF", number);
        goto done;
    }
    HPDF_UINT32 len = HPDF_GetStreamSize(d.pdf);
    raw = capa__malloc(len ? len : 1);
    if (!raw) {
        rc = capa_error_set(CAPA_ENOMEM, "dossier %s: out of memory", number);
        goto done;
    }
    HPDF_UINT32 got = len;
    if (HPDF_ReadFromStream(d.pdf, raw, &got) > HPDF_STREAM_EOF || got != len) {
        rc = capa_error_set(CAPA_ERROR, "dossier %s: libharu cannot write the PDF", number);
        goto done;
    }
    if (sg) {
        char reason[200];
        snprintf(reason, sizeof reason, "8D 档案 CAPA dossier %s", c->number);
        capa_pdf_sigopts so = {.time_ms = d.now, .reason = reason, .location = opts->location};
        memcpy(so.rect, SIG_BOX, sizeof so.rect);
        if ((rc = capa_pdf__sign(&signed_pdf, &signed_len, raw, len, sg, &so)) != CAPA_OK)
            goto done;
        rc = write_atomic(out_path, signed_pdf, signed_len);
    } else {
        rc = write_atomic(out_path, raw, len);
    }
done:
    if (d.pdf)
        HPDF_Free(d.pdf);
    capa_text__font_free(d.f);
    capa__free(d.pages);
    for (size_t i = 0; i < d.n_users; i++) {
        capa__free(d.users[i].id);
        capa__free(d.users[i].name);
    }
    capa__free(d.users);
    capa__free(d.stage_ms);
    capa__free(d.stage_passes);
    capa__free(raw);
    capa__free(signed_pdf);
    capa_pdf__signer_free(sg);
    capa_case_free(c);
    if (have_info)
        capa_store_info_clear(&info);
    return rc;
}
