/*
 * layout.h - the page flow shared by capa's PDFs (layout.c): the dossier and the monthly
 * report draw with the same fonts, margins, colours, headings, tables and footers, and are
 * written and signed the same way. Private to reports/.
 */
#ifndef CAPA_LAYOUT_H
#define CAPA_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include <hpdf.h>

#include "capa.h"
#include "text.h"

/* A4 portrait, points. */
#define PAGE_W 595.0f
#define PAGE_H 842.0f
#define MARGIN_X 48.0f
#define TOP_Y (PAGE_H - 62.0f)
#define BOTTOM_Y 58.0f
#define CONTENT_W (PAGE_W - 2 * MARGIN_X)
#define CELL_PAD 3.0f

typedef struct rgb {
    float r, g, b;
} rgb;

static const rgb INK = {0.1f, 0.1f, 0.1f};
static const rgb MUTED = {0.4f, 0.4f, 0.4f};
static const rgb ACCENT = {0.16f, 0.32f, 0.62f};
static const rgb WARN = {0.72f, 0.12f, 0.12f};
static const rgb RULE = {0.7f, 0.7f, 0.7f};
static const rgb HEAD_BG = {0.91f, 0.93f, 0.97f};

/** A document being laid out: the PDF, its font, its pages and the cursor. */
typedef struct capa_flow {
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
} capa_flow;

/** A growing string. */
typedef struct sbuf {
    char *p;
    size_t n, cap;
    int oom;
} sbuf;

typedef struct table {
    size_t ncols;
    const float *widths;       /* sum = CONTENT_W */
    const char *const *header; /* ncols cells, or NULL */
    float size;
    int label_col; /* column drawn muted (labels), or -1 */
} table;

/** Label / value rows: the label column says "中文\nEnglish". */
static const float KV_W[2] = {150.0f, CONTENT_W - 150.0f};

void capa_lay__hpdf_error(HPDF_STATUS code, HPDF_STATUS detail, void *payload);
void capa_lay__sb_add(sbuf *b, const char *s);
void capa_lay__sb_addf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *capa_lay__sb_take(sbuf *b, capa_flow *d);
void capa_lay__fmt_utc(char *buf, size_t sz, int64_t ms);
int capa_lay__new_page(capa_flow *d);
int capa_lay__failed(const capa_flow *d);
void capa_lay__ensure(capa_flow *d, float h);
void capa_lay__draw_line(capa_flow *d, float x, float top, float size, rgb c, const char *s);
void capa_lay__wrap(capa_flow *d, capa_lines *out, const char *s, float size, float width);
void capa_lay__para(capa_flow *d, const char *s, float size, rgb c);
void capa_lay__fill_rect(capa_flow *d, float x, float y, float w, float h, rgb c);
void capa_lay__heading(capa_flow *d, const char *s, float size);
void capa_lay__table_header(capa_flow *d, const table *t);
void capa_lay__table_row(capa_flow *d, const table *t, capa_lines *cells, int is_header, rgb ink);
void capa_lay__table_add(capa_flow *d, const table *t, const char *const *text, rgb ink);
void capa_lay__table_begin(capa_flow *d, const table *t);
/** Height in points of a table of `n_rows` rows (`rows` holds n_rows * t->ncols cells) with
 *  its header, as capa_lay__table_add would draw it on one page: to keep a table whole. */
float capa_lay__table_height(capa_flow *d, const table *t, const char *const *rows, size_t n_rows);
void capa_lay__kv(capa_flow *d, const char *zh, const char *en, const char *value);
int capa_lay__write_atomic(const char *path, const unsigned char *buf, size_t len);
void capa_lay__pdf_date(HPDF_Date *dt, int64_t ms);

/** Start a document: libharu with UTF-8, the font at `font_path` (NULL = the default), its
 *  creation and modification dates and title. Errors name the font. */
int capa_lay__begin(capa_flow *d, const char *font_path, int64_t now, const char *title);
/** Header line (left text, right text) and footer (render time, "第 n 页 / 共 N 页") on every
 *  page; call once all pages exist. */
void capa_lay__headers_footers(capa_flow *d, const char *left, const char *right, int64_t now);
/** Report a libharu/oom/core failure of the layout as a CAPA code naming `what`. */
int capa_lay__status(const capa_flow *d, const char *what);
/** Save the PDF, sign it when `sg` is given (widget in `rect` on page 1) and write it
 *  atomically to `path`. */
struct capa_pdf_signer;
int capa_lay__finish(capa_flow *d, const char *path, const struct capa_pdf_signer *sg, int64_t now,
                     const char *reason, const char *location, const float rect[4]);
void capa_lay__end(capa_flow *d);

#endif
