/*
 * xlsx.c - one sheet of an Excel workbook, row by row: the zip (libzip), the workbook and its
 * relationships to find the sheet by name, the shared strings, then the sheet's XML streamed
 * with libxml2's reader, so rows are never all in memory (the shared strings are: Excel
 * keeps each distinct text once). Every part is read with the network off, entities not
 * expanded and any DOCTYPE refused, and no part may inflate beyond a limit (zip bombs).
 * Cells come out as written: shared and inline strings as text, numbers as Excel wrote them
 * (a date is its serial number, which the mapping's "serial" format reads).
 */
#include "capa_sheets.h"
#include "refusal.h"

#include <errno.h>
#include <libxml/xmlreader.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#define PART_MAX ((zip_uint64_t)1 << 30)  /* a sheet's XML: 1 GiB inflated at most */
#define SMALL_MAX ((zip_uint64_t)64 << 20) /* workbook, relationships */
#define SST_MAX ((zip_uint64_t)256 << 20)  /* shared strings */
#define SST_COUNT_MAX 10000000

typedef struct part {
    zip_file_t *zf;
    zip_uint64_t read, max;
    int over;
} part;

static int part_read(void *ctx, char *buf, int len)
{
    part *p = ctx;
    if (p->read >= p->max) {
        p->over = 1;
        return -1;
    }
    zip_int64_t n = zip_fread(p->zf, buf, (zip_uint64_t)len);
    if (n < 0)
        return -1;
    p->read += (zip_uint64_t)n;
    return (int)n;
}

static int part_close(void *ctx)
{
    (void)ctx;
    return 0;
}

typedef struct book {
    const char *path;
    zip_t *z;
    char **sst;
    size_t n_sst;
} book;

/* A reader over one part of the zip. */
/* A part of the workbook that cannot be read as it must (`detail`: read, doctype, too_big,
 * xml, missing; `why` the zip library's reason for read): refused as import.xlsx_part. */
static int bad_part(const book *b, const char *name, const char *detail, const char *why)
{
    int err = capa__refuse(
        CAPA_EINVALID, "import.xlsx_part", "file", b->path, "%s: part %s %s%s", b->path, name,
        !strcmp(detail, "read")      ? "cannot be read: "
        : !strcmp(detail, "doctype") ? "has a DOCTYPE, which is not allowed"
        : !strcmp(detail, "too_big") ? "inflates beyond the limit"
        : !strcmp(detail, "missing") ? "is missing"
                                     : "is not well-formed XML",
        why ? why : "");
    capa__refusal_param("part", "%s", name);
    capa__refusal_param("detail", "%s", detail);
    return err;
}

/* A row or cell of a sheet that is malformed (`detail`: order, ref, shared, long; `text` the
 * shared string's index): refused as import.xlsx_cell. */
static int bad_cell(const book *b, const char *detail, uint64_t row, const char *text)
{
    int err = capa__refuse(
        CAPA_EINVALID, "import.xlsx_cell", "file", b->path, "%s: row %s%llu: %s%.20s%s", b->path,
        !strcmp(detail, "order") ? "number " : "", (unsigned long long)row,
        !strcmp(detail, "order")    ? "out of order"
        : !strcmp(detail, "ref")    ? "a cell reference is malformed"
        : !strcmp(detail, "shared") ? "shared string '"
                                    : "a cell longer than 1 MiB",
        text ? text : "", text ? "' does not exist" : "");
    capa__refusal_param("row", "%llu", (unsigned long long)row);
    capa__refusal_param("detail", "%s", detail);
    if (text)
        capa__refusal_param("index", "%.20s", text);
    return err;
}

static int open_part(xmlTextReaderPtr *out, part *p, book *b, const char *name, zip_uint64_t max)
{
    *out = NULL;
    memset(p, 0, sizeof *p);
    p->max = max;
    zip_int64_t idx = zip_name_locate(b->z, name, 0);
    if (idx < 0)
        return CAPA_ENOTFOUND;
    if (!(p->zf = zip_fopen_index(b->z, (zip_uint64_t)idx, 0)))
        return bad_part(b, name, "read", zip_strerror(b->z));
    *out = xmlReaderForIO(part_read, part_close, p, NULL, NULL, XML_PARSE_NONET);
    if (!*out) {
        zip_fclose(p->zf);
        p->zf = NULL;
        return capa_error_set(CAPA_ENOMEM, "%s: out of memory", b->path);
    }
    return CAPA_OK;
}

static void close_part(xmlTextReaderPtr r, part *p)
{
    if (r)
        xmlFreeTextReader(r);
    if (p->zf)
        zip_fclose(p->zf);
    p->zf = NULL;
}

/* One step of a reader; DOCTYPE refused. 1 = a node, 0 = end, negative = error. */
static int step(xmlTextReaderPtr r, part *p, book *b, const char *name)
{
    int rc = xmlTextReaderRead(r);
    if (rc == 1 && xmlTextReaderNodeType(r) == XML_READER_TYPE_DOCUMENT_TYPE)
        return bad_part(b, name, "doctype", NULL);
    if (rc < 0)
        return bad_part(b, name, p->over ? "too_big" : "xml", NULL);
    return rc;
}

static int is_elem(xmlTextReaderPtr r, const char *local)
{
    const xmlChar *n = xmlTextReaderConstLocalName(r);
    return xmlTextReaderNodeType(r) == XML_READER_TYPE_ELEMENT && n &&
           strcmp((const char *)n, local) == 0;
}

static int is_end(xmlTextReaderPtr r, const char *local)
{
    const xmlChar *n = xmlTextReaderConstLocalName(r);
    return xmlTextReaderNodeType(r) == XML_READER_TYPE_END_ELEMENT && n &&
           strcmp((const char *)n, local) == 0;
}

/* Append text to a growable buffer. */
typedef struct sbuf {
    char *p;
    size_t n, cap;
    int oom;
} sbuf;

static void sb_add(sbuf *s, const char *t)
{
    size_t l = strlen(t);
    if (s->oom)
        return;
    if (s->n + l + 1 > CAPA_SHEET_MAX_CELL + 1) {
        s->oom = 2;
        return;
    }
    if (s->n + l + 1 > s->cap) {
        size_t cap = (s->n + l + 1) * 2;
        char *np = realloc(s->p, cap);
        if (!np) {
            s->oom = 1;
            return;
        }
        s->p = np;
        s->cap = cap;
    }
    memcpy(s->p + s->n, t, l + 1);
    s->n += l;
}

static int load_sst(book *b)
{
    part p;
    xmlTextReaderPtr r;
    sbuf cur = {0};
    size_t cap = 0;
    int in_si = 0, in_t = 0, in_rph = 0, rc;
    int err = open_part(&r, &p, b, "xl/sharedStrings.xml", SST_MAX);
    if (err == CAPA_ENOTFOUND)
        return CAPA_OK; /* a workbook without text */
    if (err)
        return err;
    while ((rc = step(r, &p, b, "xl/sharedStrings.xml")) == 1) {
        if (is_elem(r, "si")) {
            in_si = 1;
            cur.n = 0;
            sb_add(&cur, "");
            if (xmlTextReaderIsEmptyElement(r))
                goto push;
        } else if (in_si && is_elem(r, "rPh")) {
            in_rph = !xmlTextReaderIsEmptyElement(r); /* phonetic runs are not the text */
        } else if (is_end(r, "rPh")) {
            in_rph = 0;
        } else if (in_si && is_elem(r, "t")) {
            in_t = !xmlTextReaderIsEmptyElement(r);
        } else if (is_end(r, "t")) {
            in_t = 0;
        } else if (in_t && !in_rph &&
                   (xmlTextReaderNodeType(r) == XML_READER_TYPE_TEXT ||
                    xmlTextReaderNodeType(r) == XML_READER_TYPE_SIGNIFICANT_WHITESPACE)) {
            const xmlChar *v = xmlTextReaderConstValue(r);
            sb_add(&cur, v ? (const char *)v : "");
        } else if (is_end(r, "si")) {
        push:
            in_si = 0;
            if (cur.oom) {
                if (cur.oom == 2) {
                    err = capa__refuse(CAPA_EINVALID, "import.strings", "file", b->path,
                                       "%s: shared string %zu: longer than 1 MiB", b->path,
                                       b->n_sst + 1);
                    capa__refusal_param("index", "%zu", b->n_sst + 1);
                } else {
                    err = capa_error_set(CAPA_ENOMEM, "%s: shared string %zu: out of memory",
                                         b->path, b->n_sst + 1);
                }
                break;
            }
            if (b->n_sst >= SST_COUNT_MAX) {
                err = capa__refuse(CAPA_EINVALID, "import.strings", "file", b->path,
                                   "%s: more than %d shared strings", b->path, SST_COUNT_MAX);
                capa__refusal_param("max", "%d", SST_COUNT_MAX);
                break;
            }
            if (b->n_sst == cap) {
                cap = cap ? cap * 2 : 256;
                char **ns = realloc(b->sst, cap * sizeof *ns);
                if (!ns) {
                    err = capa_error_set(CAPA_ENOMEM, "%s: out of memory", b->path);
                    break;
                }
                b->sst = ns;
            }
            if (!(b->sst[b->n_sst] = strdup(cur.p ? cur.p : ""))) {
                err = capa_error_set(CAPA_ENOMEM, "%s: out of memory", b->path);
                break;
            }
            b->n_sst++;
        }
    }
    if (!err && rc < 0)
        err = rc;
    free(cur.p);
    close_part(r, &p);
    return err;
}

/* The sheet's part name: by name through the workbook and its relationships, else the
 * first sheet. */
static int find_sheet(book *b, const char *sheet, char *out, size_t sz)
{
    part p;
    xmlTextReaderPtr r;
    char rid[256] = "", names[1024] = "";
    int rc, err = open_part(&r, &p, b, "xl/workbook.xml", SMALL_MAX);
    if (err == CAPA_ENOTFOUND)
        return capa__refuse(CAPA_EINVALID, "import.not_xlsx", "file", b->path,
                            "%s: not an xlsx workbook (no xl/workbook.xml)", b->path);
    if (err)
        return err;
    while ((rc = step(r, &p, b, "xl/workbook.xml")) == 1) {
        if (!is_elem(r, "sheet"))
            continue;
        xmlChar *name = xmlTextReaderGetAttribute(r, (const xmlChar *)"name");
        xmlChar *id = xmlTextReaderGetAttributeNs(
            r, (const xmlChar *)"id",
            (const xmlChar *)"http://schemas.openxmlformats.org/officeDocument/2006/relationships");
        size_t used = strlen(names);
        snprintf(names + used, sizeof names - used, "%s%s", used ? ", " : "",
                 name ? (const char *)name : "");
        if (!rid[0] && id && (!sheet || (name && strcmp((const char *)name, sheet) == 0)))
            snprintf(rid, sizeof rid, "%s", (const char *)id);
        xmlFree(name);
        xmlFree(id);
    }
    close_part(r, &p);
    if (rc < 0)
        return rc;
    if (!rid[0]) {
        int err_ = capa__refuse(CAPA_ENOTFOUND, "import.sheet", "sheet", sheet ? sheet : "",
                                "%s: no sheet named '%s' (sheets: %s)", b->path, sheet ? sheet : "",
                                names);
        capa__refusal_param("sheets", "%s", names);
        return err_;
    }
    err = open_part(&r, &p, b, "xl/_rels/workbook.xml.rels", SMALL_MAX);
    if (err)
        return err == CAPA_ENOTFOUND
                   ? bad_part(b, "xl/_rels/workbook.xml.rels", "missing", NULL)
                   : err;
    out[0] = 0;
    while ((rc = step(r, &p, b, "xl/_rels/workbook.xml.rels")) == 1) {
        if (!is_elem(r, "Relationship"))
            continue;
        xmlChar *id = xmlTextReaderGetAttribute(r, (const xmlChar *)"Id");
        xmlChar *target = xmlTextReaderGetAttribute(r, (const xmlChar *)"Target");
        if (id && target && strcmp((const char *)id, rid) == 0) {
            const char *t = (const char *)target;
            if (*t == '/')
                snprintf(out, sz, "%s", t + 1);
            else
                snprintf(out, sz, "xl/%s", t);
        }
        xmlFree(id);
        xmlFree(target);
    }
    close_part(r, &p);
    if (rc < 0)
        return rc;
    if (!out[0])
    {
        int err_ = capa__refuse(CAPA_EINVALID, "import.xlsx_sheet_part", "file", b->path,
                                "%s: the workbook names sheet %s, which is not in the file",
                                b->path, rid);
        capa__refusal_param("sheet", "%s", rid);
        return err_;
    }
    return CAPA_OK;
}

/* "BC12" -> column index 54 (0-based); -1 when malformed. */
static long col_index(const char *ref)
{
    long c = 0;
    int n = 0;
    for (; *ref >= 'A' && *ref <= 'Z'; ref++, n++)
        c = c * 26 + (*ref - 'A' + 1);
    if (!n || n > 3)
        return -1;
    return c - 1;
}

/* A row's cells. Each column keeps its buffer from row to row (`room` its size), so a cell
 * costs a copy, not a malloc and a free: v[0..n) are the row's cells, the rest are spare. */
typedef struct cells {
    char **v;
    size_t *room;
    size_t n, cap;
} cells;

/* Column `at`'s buffer set to `text` (`len` bytes). */
static int set_cell(cells *c, size_t at, const char *text, size_t len)
{
    if (len + 1 > c->room[at]) {
        size_t room = len + 1 < 32 ? 32 : len + 1;
        char *nv = realloc(c->v[at], room);
        if (!nv)
            return CAPA_ENOMEM;
        c->v[at] = nv;
        c->room[at] = room;
    }
    memcpy(c->v[at], text, len);
    c->v[at][len] = 0;
    return CAPA_OK;
}

static int put_cell(cells *c, long at, const char *text)
{
    if (at >= CAPA_SHEET_MAX_COLUMNS)
        return CAPA_EINVALID;
    while ((size_t)at >= c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 32;
        char **nv = realloc(c->v, cap * sizeof *nv);
        if (!nv)
            return CAPA_ENOMEM;
        c->v = nv;
        size_t *nr = realloc(c->room, cap * sizeof *nr);
        if (!nr)
            return CAPA_ENOMEM;
        c->room = nr;
        memset(nv + c->cap, 0, (cap - c->cap) * sizeof *nv);
        memset(nr + c->cap, 0, (cap - c->cap) * sizeof *nr);
        c->cap = cap;
    }
    while (c->n <= (size_t)at) {
        if (set_cell(c, c->n, "", 0))
            return CAPA_ENOMEM;
        c->n++;
    }
    return set_cell(c, (size_t)at, text, strlen(text));
}

/* The next row starts empty (the buffers stay for it). */
static void cells_reset(cells *c)
{
    c->n = 0;
}

static void cells_free(cells *c)
{
    for (size_t i = 0; i < c->cap; i++)
        free(c->v[i]);
    free(c->v);
    free(c->room);
    memset(c, 0, sizeof *c);
}

/* ---- the sheet, parsed with SAX2 ----
 *
 * The sheet is the one big part. libxml2's reader builds a node for every element and text
 * and frees it again, ~40% of reading a sheet; SAX2 hands the same events without the tree.
 * The events are read exactly as the reader's nodes were: an empty <c/> is not a cell (the
 * reader gave it no end), every text in a <v> or <t> counts (blank too), a CDATA section
 * does not; a DOCTYPE refused, no entity expanded, the network off, elements no deeper than
 * the reader allowed (its parser's limit, which the push parser does not apply itself). */
#define SX_DEPTH 256 /* libxml2's xmlParserMaxDepth without XML_PARSE_HUGE */

typedef struct sx {
    book *b;
    const char *name;
    xmlParserCtxtPtr ctxt;
    capa_sheet_row_fn cb;
    void *payload;
    cells row;
    sbuf val;
    char type[16];
    long col, next_col;
    uint64_t rowno;
    int in_v, in_c, empty_c, err, doctype;
    unsigned depth; /* elements open */
} sx;

static void sx_stop(sx *x, int err)
{
    if (!x->err)
        x->err = err;
    xmlStopParser(x->ctxt);
}

static int sx_is(const xmlChar *ln, const char *s)
{
    return strcmp((const char *)ln, s) == 0;
}

/* An unprefixed attribute's value (`v`..`e`) as a C string: in `buf` when short. */
static const char *sx_val(const xmlChar *v, const xmlChar *e, char *buf, size_t sz, char **heap)
{
    size_t l = (size_t)(e - v);
    char *d = buf;
    if (l >= sz && !(d = *heap = malloc(l + 1)))
        return NULL;
    memcpy(d, v, l);
    d[l] = 0;
    return d;
}

static void sx_start(void *ctx, const xmlChar *ln, const xmlChar *prefix, const xmlChar *uri,
                     int nb_ns, const xmlChar **ns, int nb_attr, int nb_def, const xmlChar **at)
{
    sx *x = ctx;
    (void)prefix, (void)uri, (void)nb_ns, (void)ns, (void)nb_def;
    if (x->err)
        return;
    if (x->depth++ > SX_DEPTH) {
        sx_stop(x, bad_part(x->b, x->name, "xml", NULL));
        return;
    }
    const xmlChar *ra = NULL, *rae = NULL, *ta = NULL, *tae = NULL;
    /* Unprefixed attributes only (no namespace), as xmlTextReaderGetAttribute found them. */
    for (int i = 0; i < nb_attr; i++, at += 5) {
        if (at[2])
            continue;
        if (sx_is(at[0], "r"))
            ra = at[3], rae = at[4];
        else if (sx_is(at[0], "t"))
            ta = at[3], tae = at[4];
    }
    char buf[64], *heap = NULL;
    const char *v;
    if (sx_is(ln, "row")) {
        uint64_t n = x->rowno + 1;
        if (ra) {
            if (!(v = sx_val(ra, rae, buf, sizeof buf, &heap))) {
                sx_stop(x, capa_error_set(CAPA_ENOMEM, "%s: out of memory", x->b->path));
                return;
            }
            n = strtoull(v, NULL, 10);
            free(heap);
        }
        if (n <= x->rowno || n > 1048576) {
            sx_stop(x, bad_cell(x->b, "order", n, NULL));
            return;
        }
        x->rowno = n;
        cells_reset(&x->row);
        x->next_col = 0;
    } else if (sx_is(ln, "c")) {
        long col = x->next_col;
        if (ra) {
            if (!(v = sx_val(ra, rae, buf, sizeof buf, &heap))) {
                sx_stop(x, capa_error_set(CAPA_ENOMEM, "%s: out of memory", x->b->path));
                return;
            }
            col = col_index(v);
            free(heap);
        }
        /* The cell's type, truncated as snprintf would. */
        if (ta) {
            size_t tl = (size_t)(tae - ta);
            tl = tl < sizeof x->type - 1 ? tl : sizeof x->type - 1;
            memcpy(x->type, ta, tl);
            x->type[tl] = 0;
        } else {
            memcpy(x->type, "n", 2);
        }
        if (col < 0) {
            sx_stop(x, bad_cell(x->b, "ref", x->rowno, NULL));
            return;
        }
        x->col = col;
        x->next_col = col + 1;
        x->val.n = 0;
        sb_add(&x->val, "");
        /* <c .../>: the reader gave no end for it, so it was no cell; nor is it here (its end
         * follows at once: the parser stands on the "/>" that closes it). */
        const xmlChar *cur = x->ctxt->input ? x->ctxt->input->cur : NULL;
        x->empty_c = cur && cur[0] == '/';
        x->in_c = !x->empty_c;
    } else if (x->in_c && (sx_is(ln, "v") || sx_is(ln, "t"))) {
        x->in_v = 1;
    }
}

static void sx_cell(sx *x)
{
    x->in_c = 0;
    const char *text = x->val.p ? x->val.p : "";
    book *b = x->b;
    if (x->val.oom) {
        sx_stop(x, x->val.oom == 2 ? bad_cell(b, "long", x->rowno, NULL)
                                   : capa_error_set(CAPA_ENOMEM, "%s: out of memory", b->path));
        return;
    }
    if (strcmp(x->type, "s") == 0) {
        char *end;
        unsigned long i = strtoul(text, &end, 10);
        if (!*text || *end || i >= b->n_sst) {
            sx_stop(x, bad_cell(b, "shared", x->rowno, text));
            return;
        }
        text = b->sst[i];
    } else if (strcmp(x->type, "b") == 0) {
        text = strcmp(text, "1") == 0 ? "TRUE" : "FALSE";
    }
    int e = put_cell(&x->row, x->col, text);
    if (e == CAPA_EINVALID) {
        int err = capa__refuse(e, "import.columns", "file", b->path,
                               "%s: row %llu: more than %d columns", b->path,
                               (unsigned long long)x->rowno, CAPA_SHEET_MAX_COLUMNS);
        capa__refusal_param("row", "%llu", (unsigned long long)x->rowno);
        capa__refusal_param("max", "%d", CAPA_SHEET_MAX_COLUMNS);
        sx_stop(x, err);
    } else if (e) {
        sx_stop(x, capa_error_set(e, "%s: out of memory", b->path));
    }
}

static void sx_end(void *ctx, const xmlChar *ln, const xmlChar *prefix, const xmlChar *uri)
{
    sx *x = ctx;
    (void)prefix, (void)uri;
    if (x->depth)
        x->depth--;
    if (x->err)
        return;
    if (sx_is(ln, "row")) {
        int e = x->cb((const char *const *)x->row.v, x->row.n, x->rowno, x->payload);
        if (e)
            sx_stop(x, e);
    } else if (sx_is(ln, "v") || sx_is(ln, "t")) {
        x->in_v = 0;
    } else if (sx_is(ln, "c")) {
        if (x->empty_c)
            x->empty_c = 0;
        else
            sx_cell(x);
    }
}

static void sx_chars(void *ctx, const xmlChar *ch, int len)
{
    sx *x = ctx;
    if (x->err || !x->in_v)
        return;
    if (x->val.oom)
        return;
    if (x->val.n + (size_t)len + 1 > CAPA_SHEET_MAX_CELL + 1) {
        x->val.oom = 2;
        return;
    }
    if (x->val.n + (size_t)len + 1 > x->val.cap) {
        size_t cap = (x->val.n + (size_t)len + 1) * 2;
        char *np = realloc(x->val.p, cap);
        if (!np) {
            x->val.oom = 1;
            return;
        }
        x->val.p = np;
        x->val.cap = cap;
    }
    memcpy(x->val.p + x->val.n, ch, (size_t)len);
    x->val.n += (size_t)len;
    x->val.p[x->val.n] = 0;
}

/* A CDATA section is not text (the reader's CDATA node was not read): given, it is dropped. */
static void sx_cdata(void *ctx, const xmlChar *v, int len)
{
    (void)ctx, (void)v, (void)len;
}

static void sx_doctype(void *ctx, const xmlChar *n, const xmlChar *e, const xmlChar *s)
{
    sx *x = ctx;
    (void)n, (void)e, (void)s;
    x->doctype = 1;
}

/* After the DOCTYPE (well-formed: the reader refused it as a node). */
static void sx_ext_subset(void *ctx, const xmlChar *n, const xmlChar *e, const xmlChar *s)
{
    sx *x = ctx;
    (void)n, (void)e, (void)s;
    if (x->doctype)
        sx_stop(x, bad_part(x->b, x->name, "doctype", NULL));
}

static void sx_silent(void *ctx, xmlErrorPtr e)
{
    (void)ctx, (void)e;
}

static int read_sheet(book *b, const char *name, capa_sheet_row_fn cb, void *payload)
{
    part p;
    memset(&p, 0, sizeof p);
    p.max = PART_MAX;
    zip_int64_t idx = zip_name_locate(b->z, name, 0);
    if (idx < 0)
        return bad_part(b, name, "missing", NULL);
    if (!(p.zf = zip_fopen_index(b->z, (zip_uint64_t)idx, 0)))
        return bad_part(b, name, "read", zip_strerror(b->z));
    sx *x = calloc(1, sizeof *x);
    char *buf = malloc(1 << 16);
    xmlSAXHandler sax;
    int err = CAPA_OK;
    if (!x || !buf) {
        err = capa_error_set(CAPA_ENOMEM, "%s: out of memory", b->path);
        goto done;
    }
    x->b = b, x->name = name, x->cb = cb, x->payload = payload;
    memset(&sax, 0, sizeof sax);
    sax.initialized = XML_SAX2_MAGIC;
    sax.startElementNs = sx_start;
    sax.endElementNs = sx_end;
    sax.characters = sax.ignorableWhitespace = sx_chars;
    sax.cdataBlock = sx_cdata;
    sax.internalSubset = sx_doctype;
    sax.externalSubset = sx_ext_subset;
    sax.serror = sx_silent;
    for (int first = 1;;) {
        int n = part_read(&p, buf, 1 << 16), rc;
        if (n < 0) {
            err = bad_part(b, name, p.over ? "too_big" : "xml", NULL);
            break;
        }
        if (first) {
            first = 0;
            int head = n < 4 ? n : 4;
            if (!(x->ctxt = xmlCreatePushParserCtxt(&sax, x, buf, head, name))) {
                err = capa_error_set(CAPA_ENOMEM, "%s: out of memory", b->path);
                break;
            }
            xmlCtxtUseOptions(x->ctxt, XML_PARSE_NONET);
            rc = xmlParseChunk(x->ctxt, buf + head, n - head, n == 0);
        } else {
            rc = xmlParseChunk(x->ctxt, buf, n, n == 0);
        }
        if (x->err) {
            err = x->err;
            break;
        }
        if (rc || !x->ctxt->wellFormed) {
            err = bad_part(b, name, "xml", NULL);
            break;
        }
        if (n == 0)
            break;
    }
done:
    if (x) {
        if (x->ctxt) {
            xmlFreeDoc(x->ctxt->myDoc);
            xmlFreeParserCtxt(x->ctxt);
        }
        cells_free(&x->row);
        free(x->val.p);
    }
    free(x);
    free(buf);
    zip_fclose(p.zf);
    return err;
}

int capa_sheet_hash(capa_sheet_info *info, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        int err_ = capa__refuse(errno == ENOENT ? CAPA_ENOTFOUND : CAPA_ERROR, "import.open",
                                "file", path, "%s: %s", path, strerror(errno));
        capa__refusal_param("detail", "%s", strerror(errno));
        return err_;
    }
    unsigned char buf[65536], md[32];
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t n;
    int err = CAPA_OK;
    if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
        err = capa_error_set(CAPA_ENOMEM, "%s: out of memory", path);
    while (!err && (n = fread(buf, 1, sizeof buf, f)) > 0) {
        EVP_DigestUpdate(ctx, buf, n);
        info->bytes += n;
    }
    if (!err && EVP_DigestFinal_ex(ctx, md, NULL))
        for (int i = 0; i < 32; i++)
            snprintf(info->sha256 + 2 * i, 3, "%02x", md[i]);
    EVP_MD_CTX_free(ctx);
    fclose(f);
    return err;
}

int capa_xlsx_read(const char *path, const char *sheet, capa_sheet_row_fn cb, void *payload,
                   capa_sheet_info *info)
{
    book b = {path, NULL, NULL, 0};
    char part_name[512];
    int zerr = 0, err;
    memset(info, 0, sizeof *info);
    snprintf(info->encoding, sizeof info->encoding, "utf-8");
    if ((err = capa_form_init()) || (err = capa_sheet_hash(info, path)))
        return err;
    if (!(b.z = zip_open(path, ZIP_RDONLY, &zerr))) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, zerr);
        err = capa__refuse(CAPA_EINVALID, "import.not_xlsx", "file", path,
                           "%s: not an xlsx workbook: %s", path, zip_error_strerror(&ze));
        zip_error_fini(&ze);
        return err;
    }
    if (!(err = find_sheet(&b, sheet, part_name, sizeof part_name)) && !(err = load_sst(&b)))
        err = read_sheet(&b, part_name, cb, payload);
    for (size_t i = 0; i < b.n_sst; i++)
        free(b.sst[i]);
    free(b.sst);
    zip_discard(b.z);
    return err;
}
