/*
 * csv.c - CSV as Excel writes it, read with libcsv: UTF-8 (with or without a BOM) or
 * GB18030 (Chinese Excel's default "CSV", a superset of GBK), converted with iconv chunk by
 * chunk, so memory stays flat whatever the number of rows. Cells over a limit (a quote left
 * open swallows the rest of the file) and rows wider than a limit are refused, naming the row.
 */
#include "capa_sheets.h"
#include "refusal.h"

#include <errno.h>
#include <iconv.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#define CHUNK 65536

static void hex(char out[65], const unsigned char *d)
{
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* ---- probe ---- */

/* Streaming UTF-8 check: state carries an incomplete sequence across chunks. */
typedef struct u8state {
    int need; /* continuation bytes still expected */
    int ok;
} u8state;

static void utf8_feed(u8state *st, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n && st->ok; i++) {
        unsigned c = p[i];
        if (st->need) {
            if ((c & 0xC0) != 0x80)
                st->ok = 0;
            st->need--;
        } else if (c >= 0x80) {
            if (c >= 0xC2 && c <= 0xDF)
                st->need = 1;
            else if (c >= 0xE0 && c <= 0xEF)
                st->need = 2;
            else if (c >= 0xF0 && c <= 0xF4)
                st->need = 3;
            else
                st->ok = 0;
        }
    }
}

int capa_csv_probe(capa_sheet_info *out, const char *path, const char *encoding)
{
    memset(out, 0, sizeof *out);
    if (encoding && strcmp(encoding, "utf-8") != 0 && strcmp(encoding, "gb18030") != 0 &&
        strcmp(encoding, "gbk") != 0)
        return capa__refuse(CAPA_EINVALID, "import.encoding", "encoding", encoding,
                            "--encoding '%s': not one of utf-8, gb18030 (gbk is read as "
                            "gb18030, which contains it)",
                            encoding);
    FILE *f = fopen(path, "rb");
    if (!f) {
        int err_ = capa__refuse(errno == ENOENT ? CAPA_ENOTFOUND : CAPA_ERROR, "import.open",
                                "file", path, "%s: %s", path, strerror(errno));
        capa__refusal_param("detail", "%s", strerror(errno));
        return err_;
    }
    unsigned char *buf = malloc(CHUNK), md[32];
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    u8state st = {0, 1};
    int err = CAPA_OK, first = 1, line_done = 0, inq = 0;
    size_t counts[3] = {0, 0, 0};
    if (!buf || !ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
        err = capa_error_set(CAPA_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    size_t n;
    while ((n = fread(buf, 1, CHUNK, f)) > 0) {
        EVP_DigestUpdate(ctx, buf, n);
        out->bytes += n;
        size_t at = 0;
        if (first && n >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
            out->bom = 1, at = 3;
        first = 0;
        utf8_feed(&st, buf + at, n - at);
        for (size_t i = at; i < n && !line_done; i++) {
            if (buf[i] == '"')
                inq = !inq;
            else if (!inq && (buf[i] == '\n' || buf[i] == '\r'))
                line_done = 1;
            else if (!inq)
                counts[0] += buf[i] == ',', counts[1] += buf[i] == ';', counts[2] += buf[i] == '\t';
        }
    }
    if (ferror(f)) {
        err = capa_error_set(CAPA_ERROR, "%s: read error: %s", path, strerror(errno));
        goto done;
    }
    EVP_DigestFinal_ex(ctx, md, NULL);
    hex(out->sha256, md);
    if (st.need)
        st.ok = 0;
    if (encoding)
        snprintf(out->encoding, sizeof out->encoding, "%s",
                 strcmp(encoding, "utf-8") == 0 ? "utf-8" : "gb18030");
    else
        snprintf(out->encoding, sizeof out->encoding, "%s",
                 out->bom || st.ok ? "utf-8" : "gb18030");
    out->delim = counts[2] > counts[0] && counts[2] >= counts[1]   ? '\t'
                 : counts[1] > counts[0] && counts[1] > counts[2] ? ';'
                                                                   : ',';
done:
    EVP_MD_CTX_free(ctx);
    free(buf);
    fclose(f);
    return err;
}

/* ---- reading ---- */

typedef struct reader {
    capa_sheet_row_fn cb;
    void *payload;
    char **cells;
    size_t n, cap;
    uint64_t row;
    int stop; /* the callback's answer, or an error */
    int too_wide;
} reader;

/* libcsv grows its field buffer with this: refusing beyond the cell limit bounds memory
 * when a quote is never closed. */
static void *capped_realloc(void *p, size_t n)
{
    if (n > CAPA_SHEET_MAX_CELL + 1024)
        return NULL;
    return realloc(p, n);
}

static int no_space(unsigned char c)
{
    (void)c;
    return 0; /* keep cells as written; the mapping trims */
}

static void on_field(void *s, size_t len, void *data)
{
    reader *r = data;
    if (r->stop)
        return;
    if (r->n >= CAPA_SHEET_MAX_COLUMNS) {
        r->too_wide = 1;
        return;
    }
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 32;
        char **nc = realloc(r->cells, cap * sizeof *nc);
        if (!nc) {
            r->stop = capa_error_set(CAPA_ENOMEM, "row %llu: out of memory",
                                     (unsigned long long)r->row + 1);
            return;
        }
        memset(nc + r->cap, 0, (cap - r->cap) * sizeof *nc);
        r->cells = nc;
        r->cap = cap;
    }
    char *c = malloc(len + 1);
    if (!c) {
        r->stop = capa_error_set(CAPA_ENOMEM, "row %llu: out of memory",
                                 (unsigned long long)r->row + 1);
        return;
    }
    if (len)
        memcpy(c, s, len);
    c[len] = 0;
    free(r->cells[r->n]);
    r->cells[r->n++] = c;
}

static void on_row(int term, void *data)
{
    reader *r = data;
    (void)term;
    r->row++;
    if (!r->stop && r->too_wide) {
        r->stop = capa__refuse(CAPA_EINVALID, "import.columns", NULL, NULL,
                               "row %llu: more than %d columns", (unsigned long long)r->row,
                               CAPA_SHEET_MAX_COLUMNS);
        capa__refusal_param("row", "%llu", (unsigned long long)r->row);
        capa__refusal_param("max", "%d", CAPA_SHEET_MAX_COLUMNS);
    }
    if (!r->stop)
        r->stop = r->cb((const char *const *)r->cells, r->n, r->row, r->payload);
    for (size_t i = 0; i < r->n; i++) {
        free(r->cells[i]);
        r->cells[i] = NULL;
    }
    r->n = 0;
}

typedef struct feeder {
    struct csv_parser p;
    reader r;
    iconv_t cd;
    char *out;
    char carry[8];
    size_t ncarry;
    uint64_t offset; /* bytes of the source consumed */
    int skip_bom;
} feeder;

static int parse(feeder *f, const char *s, size_t n)
{
    if (f->r.stop)
        return f->r.stop;
    if (csv_parse(&f->p, s, n, on_field, on_row, &f->r) != n && !f->r.stop) {
        int e = csv_error(&f->p);
        if (e != CSV_ENOMEM && e != CSV_ETOOBIG && e != CSV_EPARSE)
            return f->r.stop = capa_error_set(CAPA_EINVALID, "row %llu: %s",
                                              (unsigned long long)f->r.row + 1, csv_strerror(e));
        f->r.stop = capa__refuse(
            CAPA_EINVALID, "import.csv_quote", NULL, NULL, "row %llu: %s",
            (unsigned long long)f->r.row + 1,
            e == CSV_EPARSE ? "a quote inside an unquoted cell, or text after a closing "
                              "quote (quote the whole cell and double its quotes)"
                            : "a cell longer than 1 MiB (is a quote left open?)");
        capa__refusal_param("row", "%llu", (unsigned long long)f->r.row + 1);
        capa__refusal_param("detail", "%s", e == CSV_EPARSE ? "quote" : "open");
    }
    return f->r.stop;
}

/* Convert and parse one chunk of source bytes. */
static int feed(feeder *f, const char *s, size_t n)
{
    if (f->skip_bom) {
        f->skip_bom = 0;
        if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
            s += 3, n -= 3, f->offset += 3;
    }
    if (f->cd == (iconv_t)-1) {
        f->offset += n;
        return parse(f, s, n);
    }
    /* GB18030 characters are 1, 2 or 4 bytes: at most 3 bytes carry over to the next chunk. */
    char in[CHUNK + 8];
    memcpy(in, f->carry, f->ncarry);
    memcpy(in + f->ncarry, s, n);
    char *ip = in;
    size_t il = f->ncarry + n;
    while (il) {
        char *op = f->out;
        size_t ol = 4 * CHUNK;
        size_t rc = iconv(f->cd, &ip, &il, &op, &ol);
        int e = errno;
        int err = parse(f, f->out, (size_t)(op - f->out));
        if (err)
            return err;
        if (rc != (size_t)-1)
            break;
        if (e == E2BIG)
            continue;
        if (e == EINVAL) /* incomplete character at the end: keep it */
            break;
        unsigned long long at = f->offset + (uint64_t)(ip - in) - f->ncarry;
        f->r.stop = capa__refuse(CAPA_EINVALID, "import.csv_encoding", "encoding", "gb18030",
                                 "row %llu: byte %llu (0x%02X) is not GB18030 text; give "
                                 "--encoding utf-8 if the file is UTF-8",
                                 (unsigned long long)f->r.row + 1, at, (unsigned char)*ip);
        capa__refusal_param("row", "%llu", (unsigned long long)f->r.row + 1);
        capa__refusal_param("offset", "%llu", at);
        capa__refusal_param("byte", "0x%02X", (unsigned char)*ip);
        return f->r.stop;
    }
    f->offset += n;
    f->ncarry = il;
    if (il)
        memmove(f->carry, ip, il);
    return CAPA_OK;
}

static int feeder_init(feeder *f, const capa_sheet_info *info, capa_sheet_row_fn cb,
                       void *payload)
{
    memset(f, 0, sizeof *f);
    f->cd = (iconv_t)-1;
    f->r.cb = cb;
    f->r.payload = payload;
    f->skip_bom = 1;
    if (csv_init(&f->p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
        return capa_error_set(CAPA_ENOMEM, "csv: out of memory");
    csv_set_realloc_func(&f->p, capped_realloc);
    csv_set_space_func(&f->p, no_space);
    csv_set_delim(&f->p, (unsigned char)(info->delim ? info->delim : ','));
    if (strcmp(info->encoding, "gb18030") == 0) {
        f->skip_bom = 0;
        if ((f->cd = iconv_open("UTF-8", "GB18030")) == (iconv_t)-1 ||
            !(f->out = malloc(4 * CHUNK))) {
            csv_free(&f->p);
            if (f->cd != (iconv_t)-1)
                iconv_close(f->cd);
            return capa_error_set(CAPA_ERROR, "csv: no GB18030 converter (iconv)");
        }
    }
    return CAPA_OK;
}

static int feeder_finish(feeder *f, int err)
{
    if (!err && f->ncarry) {
        err = capa__refuse(CAPA_EINVALID, "import.csv_encoding", "encoding", "gb18030",
                           "row %llu: the file ends inside a GB18030 character",
                           (unsigned long long)f->r.row + 1);
        capa__refusal_param("row", "%llu", (unsigned long long)f->r.row + 1);
        capa__refusal_param("detail", "end");
    }
    if (!err && csv_fini(&f->p, on_field, on_row, &f->r) != 0 && !f->r.stop) {
        err = capa__refuse(CAPA_EINVALID, "import.csv_quote", NULL, NULL,
                           "row %llu: a quoted cell is not closed before the end of the file",
                           (unsigned long long)f->r.row + 1);
        capa__refusal_param("row", "%llu", (unsigned long long)f->r.row + 1);
        capa__refusal_param("detail", "end");
    }
    if (!err)
        err = f->r.stop;
    csv_free(&f->p);
    if (f->cd != (iconv_t)-1)
        iconv_close(f->cd);
    free(f->out);
    for (size_t i = 0; i < f->r.cap; i++)
        free(f->r.cells[i]);
    free(f->r.cells);
    return err;
}

int capa_csv_read_mem(const char *data, size_t len, const capa_sheet_info *info,
                      capa_sheet_row_fn cb, void *payload)
{
    feeder f;
    int err = feeder_init(&f, info, cb, payload);
    if (err)
        return err;
    for (size_t at = 0; at < len && !err; at += CHUNK)
        err = feed(&f, data + at, len - at < CHUNK ? len - at : CHUNK);
    return feeder_finish(&f, err);
}

int capa_csv_read(const char *path, const capa_sheet_info *info, capa_sheet_row_fn cb,
                  void *payload, char sha256[65])
{
    feeder f;
    FILE *in = fopen(path, "rb");
    if (!in) {
        int err_ = capa__refuse(errno == ENOENT ? CAPA_ENOTFOUND : CAPA_ERROR, "import.open",
                                "file", path, "%s: %s", path, strerror(errno));
        capa__refusal_param("detail", "%s", strerror(errno));
        return err_;
    }
    int err = feeder_init(&f, info, cb, payload);
    if (err) {
        fclose(in);
        return err;
    }
    char *buf = malloc(CHUNK);
    unsigned char md[32];
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!buf || !ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
        err = capa_error_set(CAPA_ENOMEM, "%s: out of memory", path);
    size_t n;
    while (!err && (n = fread(buf, 1, CHUNK, in)) > 0) {
        EVP_DigestUpdate(ctx, buf, n);
        err = feed(&f, buf, n);
    }
    if (!err && ferror(in))
        err = capa_error_set(CAPA_ERROR, "%s: read error", path);
    err = feeder_finish(&f, err);
    if (ctx && EVP_DigestFinal_ex(ctx, md, NULL))
        hex(sha256, md);
    else
        sha256[0] = 0;
    EVP_MD_CTX_free(ctx);
    free(buf);
    fclose(in);
    return err;
}
