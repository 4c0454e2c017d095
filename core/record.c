/*
 * record.c - encoding of case headers, stage records and signatures (see record.h).
 */
#include "record.h"

#include <string.h>

#include "codec.h"

#define HDR_VERSION 1
#define STAGE_VERSION 1
#define SIG_VERSION 1

static int finish(capa_buf *b, void **out, size_t *len, const char *what)
{
    if (b->oom) {
        capa_buf_free(b);
        return capa_error_set(CAPA_ENOMEM, "%s: out of memory", what);
    }
    *out = b->p;
    *len = b->len;
    return CAPA_OK;
}

static int decoded(capa_rd *r, const char *what)
{
    if (capa_rd_done(r))
        return CAPA_OK;
    if (r->err == CAPA_ENOMEM)
        return capa_error_set(CAPA_ENOMEM, "%s: out of memory", what);
    return capa_error_set(CAPA_ECORRUPT, "%s: malformed record", what);
}

void capa_hdr_clear(capa_hdr *h)
{
    char **strs[] = {&h->number,   &h->stage,       &h->opened_by,   &h->customer,
                     &h->part_no,  &h->lot_no,      &h->defect_code, &h->severity,
                     &h->description, &h->subject_person};
    for (size_t i = 0; i < sizeof strs / sizeof *strs; i++)
        capa__free(*strs[i]);
    memset(h, 0, sizeof *h);
}

int capa_hdr__encode(const capa_hdr *h, void **out, size_t *len)
{
    capa_buf b = {0};
    capa_buf_u8(&b, HDR_VERSION);
    capa_buf_varint(&b, h->id);
    capa_buf_str(&b, h->number);
    capa_buf_str(&b, h->stage);
    capa_buf_u8(&b, h->closed ? 1 : 0);
    capa_buf_i64(&b, h->opened);
    capa_buf_i64(&b, h->closed_at);
    capa_buf_i64(&b, h->stage_entered);
    capa_buf_str(&b, h->opened_by);
    capa_buf_str(&b, h->customer);
    capa_buf_str(&b, h->part_no);
    capa_buf_str(&b, h->lot_no);
    capa_buf_str(&b, h->defect_code);
    capa_buf_str(&b, h->severity);
    capa_buf_str(&b, h->description);
    capa_buf_str(&b, h->subject_person);
    return finish(&b, out, len, "case header");
}

int capa_hdr__decode(capa_hdr *h, const void *data, size_t len)
{
    capa_rd r;
    memset(h, 0, sizeof *h);
    capa_rd_init(&r, data, len);
    if (capa_rd_u8(&r) != HDR_VERSION && !r.err)
        r.err = CAPA_ECORRUPT;
    h->id = capa_rd_varint(&r);
    h->number = capa_rd_str(&r);
    h->stage = capa_rd_str(&r);
    h->closed = (int)capa_rd_u8(&r);
    h->opened = capa_rd_i64(&r);
    h->closed_at = capa_rd_i64(&r);
    h->stage_entered = capa_rd_i64(&r);
    h->opened_by = capa_rd_str(&r);
    h->customer = capa_rd_str(&r);
    h->part_no = capa_rd_str(&r);
    h->lot_no = capa_rd_str(&r);
    h->defect_code = capa_rd_str(&r);
    h->severity = capa_rd_str(&r);
    h->description = capa_rd_str(&r);
    h->subject_person = capa_rd_str(&r);
    if (!r.err && (!h->number || !h->stage))
        r.err = CAPA_ECORRUPT;
    int err = decoded(&r, "case header");
    if (err)
        capa_hdr_clear(h);
    return err;
}

void capa_stage_record_clear(capa_stage_record *r)
{
    capa__free(r->stage);
    capa__free(r->form_id);
    for (size_t i = 0; i < r->n_values; i++) {
        capa__free((char *)r->values[i].name);
        capa__free((char *)r->values[i].value);
    }
    capa__free(r->values);
    for (size_t i = 0; i < r->n_editors; i++)
        capa__free(r->editors[i]);
    capa__free(r->editors);
    memset(r, 0, sizeof *r);
}

static void encode_values(capa_buf *b, const capa_stage_record *r)
{
    capa_buf_varint(b, r->n_values);
    for (size_t i = 0; i < r->n_values; i++) {
        capa_buf_str(b, r->values[i].name);
        capa_buf_str(b, r->values[i].value);
    }
}

int capa_stage__encode(const capa_stage_record *r, void **out, size_t *len)
{
    capa_buf b = {0};
    capa_buf_u8(&b, STAGE_VERSION);
    capa_buf_str(&b, r->stage);
    capa_buf_str(&b, r->form_id);
    capa_buf_varint(&b, (uint64_t)r->form_version);
    capa_buf_i64(&b, r->entered);
    capa_buf_i64(&b, r->left);
    capa_buf_varint(&b, r->n_editors);
    for (size_t i = 0; i < r->n_editors; i++)
        capa_buf_str(&b, r->editors[i]);
    encode_values(&b, r);
    return finish(&b, out, len, "stage record");
}

int capa_stage__decode(capa_stage_record *r, const void *data, size_t len)
{
    capa_rd d;
    memset(r, 0, sizeof *r);
    capa_rd_init(&d, data, len);
    if (capa_rd_u8(&d) != STAGE_VERSION && !d.err)
        d.err = CAPA_ECORRUPT;
    r->stage = capa_rd_str(&d);
    r->form_id = capa_rd_str(&d);
    uint64_t ver = capa_rd_varint(&d);
    if (ver > INT32_MAX)
        d.err = CAPA_ECORRUPT;
    r->form_version = (int)ver;
    r->entered = capa_rd_i64(&d);
    r->left = capa_rd_i64(&d);
    uint64_t n = capa_rd_varint(&d);
    if (!d.err && n > d.len - d.pos)
        d.err = CAPA_ECORRUPT;
    if (!d.err && n && !(r->editors = capa__calloc(n, sizeof *r->editors)))
        d.err = CAPA_ENOMEM;
    for (uint64_t i = 0; i < n && !d.err; i++) {
        r->editors[i] = capa_rd_str(&d);
        r->n_editors = i + 1;
        if (!d.err && !r->editors[i])
            d.err = CAPA_ECORRUPT;
    }
    n = capa_rd_varint(&d);
    if (!d.err && n > (d.len - d.pos) / 2)
        d.err = CAPA_ECORRUPT;
    if (!d.err && n && !(r->values = capa__calloc(n, sizeof *r->values)))
        d.err = CAPA_ENOMEM;
    for (uint64_t i = 0; i < n && !d.err; i++) {
        r->values[i].name = capa_rd_str(&d);
        r->values[i].value = capa_rd_str(&d);
        r->n_values = i + 1;
        if (!d.err && (!r->values[i].name || !r->values[i].value))
            d.err = CAPA_ECORRUPT;
        if (!d.err && i > 0 && strcmp(r->values[i - 1].name, r->values[i].name) >= 0)
            d.err = CAPA_ECORRUPT; /* names must be sorted and unique */
    }
    if (!d.err && (!r->stage || !r->form_id))
        d.err = CAPA_ECORRUPT;
    int err = decoded(&d, "stage record");
    if (err)
        capa_stage_record_clear(r);
    return err;
}

static size_t find_value(const capa_stage_record *r, const char *name, int *found)
{
    size_t lo = 0, hi = r->n_values;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(r->values[mid].name, name);
        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = 0;
    return lo;
}

const char *capa_stage__value(const capa_stage_record *r, const char *name)
{
    int found;
    size_t i = find_value(r, name, &found);
    return found ? r->values[i].value : NULL;
}

int capa_stage__set(capa_stage_record *r, const char *name, const char *value)
{
    int found;
    size_t i = find_value(r, name, &found);
    if (!value || !*value) {
        if (found) {
            capa__free((char *)r->values[i].name);
            capa__free((char *)r->values[i].value);
            memmove(&r->values[i], &r->values[i + 1], (r->n_values - i - 1) * sizeof *r->values);
            r->n_values--;
        }
        return CAPA_OK;
    }
    char *v = capa__strdup(value);
    if (!v)
        return capa_error_set(CAPA_ENOMEM, "out of memory");
    if (found) {
        capa__free((char *)r->values[i].value);
        r->values[i].value = v;
        return CAPA_OK;
    }
    char *n = capa__strdup(name);
    capa_kv *vals = n ? capa__realloc(r->values, (r->n_values + 1) * sizeof *vals) : NULL;
    if (!vals) {
        capa__free(n);
        capa__free(v);
        return capa_error_set(CAPA_ENOMEM, "out of memory");
    }
    r->values = vals;
    memmove(&vals[i + 1], &vals[i], (r->n_values - i) * sizeof *vals);
    vals[i].name = n;
    vals[i].value = v;
    r->n_values++;
    return CAPA_OK;
}

int capa_stage__add_editor(capa_stage_record *r, const char *user)
{
    for (size_t i = 0; i < r->n_editors; i++)
        if (strcmp(r->editors[i], user) == 0)
            return CAPA_OK;
    char *u = capa__strdup(user);
    char **e = u ? capa__realloc(r->editors, (r->n_editors + 1) * sizeof *e) : NULL;
    if (!e) {
        capa__free(u);
        return capa_error_set(CAPA_ENOMEM, "out of memory");
    }
    r->editors = e;
    e[r->n_editors++] = u;
    return CAPA_OK;
}

int capa_stage__hash(char hex[65], const char *number, const capa_stage_record *r)
{
    capa_buf b = {0};
    capa_buf_str(&b, "capa-stage-data-v1");
    capa_buf_str(&b, number);
    capa_buf_str(&b, r->stage);
    capa_buf_str(&b, r->form_id);
    capa_buf_varint(&b, (uint64_t)r->form_version);
    encode_values(&b, r);
    if (b.oom) {
        capa_buf_free(&b);
        return capa_error_set(CAPA_ENOMEM, "stage hash: out of memory");
    }
    capa_sha256_hex(hex, b.p, b.len);
    capa_buf_free(&b);
    return CAPA_OK;
}

void capa_signature_clear(capa_signature *g)
{
    capa__free(g->stage);
    capa__free(g->kind);
    capa__free(g->meaning);
    capa__free(g->user);
    capa__free(g->name);
    capa__free(g->role);
    capa__free(g->reason);
    memset(g, 0, sizeof *g);
}

int capa_sig__encode(const capa_signature *g, void **out, size_t *len)
{
    capa_buf b = {0};
    capa_buf_u8(&b, SIG_VERSION);
    capa_buf_varint(&b, g->seq);
    capa_buf_str(&b, g->stage);
    capa_buf_str(&b, g->kind);
    capa_buf_str(&b, g->meaning);
    capa_buf_str(&b, g->user);
    capa_buf_str(&b, g->name);
    capa_buf_str(&b, g->role);
    capa_buf_str(&b, g->reason);
    capa_buf_i64(&b, g->time);
    capa_buf_str(&b, g->data_hash);
    capa_buf_u8(&b, g->superseded ? 1 : 0);
    return finish(&b, out, len, "signature");
}

int capa_sig__decode(capa_signature *g, const void *data, size_t len)
{
    capa_rd r;
    memset(g, 0, sizeof *g);
    capa_rd_init(&r, data, len);
    if (capa_rd_u8(&r) != SIG_VERSION && !r.err)
        r.err = CAPA_ECORRUPT;
    g->seq = capa_rd_varint(&r);
    g->stage = capa_rd_str(&r);
    g->kind = capa_rd_str(&r);
    g->meaning = capa_rd_str(&r);
    g->user = capa_rd_str(&r);
    g->name = capa_rd_str(&r);
    g->role = capa_rd_str(&r);
    g->reason = capa_rd_str(&r);
    g->time = capa_rd_i64(&r);
    char *hash = capa_rd_str(&r);
    g->superseded = (int)capa_rd_u8(&r);
    if (!r.err && (!hash || strlen(hash) != 64 || !g->stage || !g->kind || !g->user))
        r.err = CAPA_ECORRUPT;
    if (hash && strlen(hash) == 64)
        memcpy(g->data_hash, hash, 65);
    capa__free(hash);
    int err = decoded(&r, "signature");
    if (err)
        capa_signature_clear(g);
    return err;
}
