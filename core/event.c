/*
 * event.c - building, encoding, chaining and decoding audit events (see event.h).
 *
 * An event record is its canonical body (version, seq, time, actor, action, case, stage,
 * reason, changes and - from version 2 on - facts), packed (zstd when large), followed by
 * the 32-byte chain hash. The hash covers the raw body, so packing never changes the chain.
 */
#include "event.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "codec.h"

void capa__hex(char *hex, const unsigned char *bytes, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        hex[2 * i] = digits[bytes[i] >> 4];
        hex[2 * i + 1] = digits[bytes[i] & 15];
    }
    hex[2 * n] = 0;
}

int capa__unhex(unsigned char *out, size_t n, const char *hex)
{
    if (!hex || strlen(hex) != 2 * n)
        return -1;
    for (size_t i = 0; i < 2 * n; i++) {
        char c = hex[i];
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (v < 0)
            return -1;
        if (i % 2 == 0)
            out[i / 2] = (unsigned char)(v << 4);
        else
            out[i / 2] |= (unsigned char)v;
    }
    return 0;
}

/* SHA-256 fetched from the provider once: EVP_sha256() makes OpenSSL 3 look the
 * implementation up again on every digest, a fifth of the cost of hashing an event. */
static EVP_MD *sha256_fetched;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
    sha256_fetched = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *sha256_md(void)
{
    pthread_once(&sha256_once, sha256_fetch);
    return sha256_fetched ? sha256_fetched : EVP_sha256();
}

void capa_sha256_hex(char hex[65], const void *data, size_t len)
{
    unsigned char h[32];
    unsigned int n = 32;
    EVP_Digest(data, len, h, &n, sha256_md(), NULL);
    capa__hex(hex, h, 32);
}

void capa_event__chain(unsigned char out[32], const unsigned char prev[32], const void *body,
                       size_t len)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int n = 32;
    if (!ctx || !EVP_DigestInit_ex(ctx, sha256_md(), NULL) || !EVP_DigestUpdate(ctx, prev, 32) ||
        !EVP_DigestUpdate(ctx, body, len) || !EVP_DigestFinal_ex(ctx, out, &n))
        memset(out, 0, 32); /* no digest (out of memory): matches no stored hash, never passes */
    EVP_MD_CTX_free(ctx);
}

void capa_event__reserve(capa_event_rec *e, size_t bytes)
{
    if (e->strings || !bytes || !(e->strings = capa__malloc(bytes)))
        return; /* a block already (or none to be had): strings are allocated one by one */
    e->strings_len = bytes;
    e->strings_used = 0;
}

static char *dup_or_null(capa_event_rec *e, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    if (e->strings && e->strings_len - e->strings_used >= n) {
        char *c = e->strings + e->strings_used;
        memcpy(c, s, n);
        e->strings_used += n;
        return c;
    }
    char *c = capa__malloc(n);
    if (c)
        memcpy(c, s, n);
    if (!c)
        e->oom = 1;
    return c;
}

void capa_event__init(capa_event_rec *e, const char *actor, const char *action,
                      const char *case_number, const char *stage, const char *reason)
{
    memset(e, 0, sizeof *e);
    e->version = CAPA_EVENT_VERSION;
    e->ev.actor = dup_or_null(e, actor);
    e->ev.action = dup_or_null(e, action);
    e->ev.case_number = dup_or_null(e, case_number);
    e->ev.stage = dup_or_null(e, stage);
    e->ev.reason = dup_or_null(e, reason);
}

void capa_event__change(capa_event_rec *e, const char *field, const char *old_value,
                        const char *new_value)
{
    if (e->oom)
        return;
    if (e->n_changes == e->cap_changes) {
        size_t cap = e->cap_changes ? e->cap_changes * 2 : 8;
        capa_change *v = capa__realloc(e->changes, cap * sizeof *v);
        if (!v) {
            e->oom = 1;
            return;
        }
        e->changes = v;
        e->cap_changes = cap;
    }
    capa_change *c = &e->changes[e->n_changes++];
    c->field = dup_or_null(e, field);
    c->old_value = dup_or_null(e, old_value);
    c->new_value = dup_or_null(e, new_value);
    e->ev.changes = e->changes;
    e->ev.n_changes = e->n_changes;
}

void capa_event__fact(capa_event_rec *e, const char *key, const char *value)
{
    if (e->oom || !value)
        return;
    if (e->n_facts == e->cap_facts) {
        size_t cap = e->cap_facts ? e->cap_facts * 2 : 8;
        capa_kv *v = capa__realloc(e->facts, cap * sizeof *v);
        if (!v) {
            e->oom = 1;
            return;
        }
        e->facts = v;
        e->cap_facts = cap;
    }
    capa_kv *f = &e->facts[e->n_facts++];
    f->name = dup_or_null(e, key);
    f->value = dup_or_null(e, value);
    e->ev.facts = e->facts;
    e->ev.n_facts = e->n_facts;
}

void capa_event__factf(capa_event_rec *e, const char *key, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    capa_event__fact(e, key, buf);
}

/* The decimal digits of u (and a '-' when neg) written backwards from the end of buf[24]. */
static const char *decimal(char buf[24], uint64_t u, int neg)
{
    char *p = buf + 24;
    *--p = '\0';
    do
        *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (neg)
        *--p = '-';
    return p;
}

void capa_event__factu(capa_event_rec *e, const char *key, uint64_t v)
{
    char buf[24];
    capa_event__fact(e, key, decimal(buf, v, 0));
}

void capa_event__facti(capa_event_rec *e, const char *key, int64_t v)
{
    char buf[24];
    capa_event__fact(e, key, decimal(buf, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, v < 0));
}

const char *capa_event__get(const capa_event_rec *e, const char *key)
{
    for (size_t i = 0; i < e->n_facts; i++)
        if (e->facts[i].name && e->facts[i].name[0] == key[0] && strcmp(e->facts[i].name, key) == 0)
            return e->facts[i].value;
    return NULL;
}

/* A string of e, unless it lies in the block of decoded strings (freed at once). */
static void drop(const capa_event_rec *e, const char *p)
{
    uintptr_t a = (uintptr_t)p, lo = (uintptr_t)e->strings;
    if (p && !(e->strings && a >= lo && a < lo + e->strings_len))
        capa__free((char *)p);
}

void capa_event__clear(capa_event_rec *e)
{
    drop(e, e->ev.actor);
    drop(e, e->ev.action);
    drop(e, e->ev.case_number);
    drop(e, e->ev.stage);
    drop(e, e->ev.reason);
    for (size_t i = 0; i < e->n_changes; i++) {
        drop(e, e->changes[i].field);
        drop(e, e->changes[i].old_value);
        drop(e, e->changes[i].new_value);
    }
    capa__free(e->changes);
    for (size_t i = 0; i < e->n_facts; i++) {
        drop(e, e->facts[i].name);
        drop(e, e->facts[i].value);
    }
    capa__free(e->facts);
    capa__free(e->strings);
    memset(e, 0, sizeof *e);
}

void capa_event__encode(capa_buf *b, const capa_event_rec *e)
{
    capa_buf_u8(b, (unsigned)e->version);
    capa_buf_varint(b, e->ev.seq);
    capa_buf_i64(b, e->ev.time);
    capa_buf_str(b, e->ev.actor);
    capa_buf_str(b, e->ev.action);
    capa_buf_str(b, e->ev.case_number);
    capa_buf_str(b, e->ev.stage);
    capa_buf_str(b, e->ev.reason);
    capa_buf_varint(b, e->n_changes);
    for (size_t i = 0; i < e->n_changes; i++) {
        capa_buf_str(b, e->changes[i].field);
        capa_buf_str(b, e->changes[i].old_value);
        capa_buf_str(b, e->changes[i].new_value);
    }
    if (e->version >= 2) {
        capa_buf_varint(b, e->n_facts);
        for (size_t i = 0; i < e->n_facts; i++) {
            capa_buf_str(b, e->facts[i].name);
            capa_buf_str(b, e->facts[i].value);
        }
    }
}

int capa_event__head(capa_store *s, MDB_txn *txn, uint64_t *seq, unsigned char hash[32])
{
    MDB_val v;
    *seq = 0;
    memset(hash, 0, 32);
    int err = capa_store__get(txn, s->dbi[DB_META], CAPA_HEAD_KEY, strlen(CAPA_HEAD_KEY), &v);
    if (err == CAPA_ENOTFOUND)
        return CAPA_OK;
    if (err)
        return err;
    if (v.mv_size != 40)
        return capa_error_set(CAPA_ECORRUPT, "audit chain head record: bad size %zu", v.mv_size);
    *seq = capa_get_be64(v.mv_data);
    memcpy(hash, (unsigned char *)v.mv_data + 8, 32);
    return CAPA_OK;
}

/* A string of the record: into the block when there is one, else allocated on its own. */
static char *rd_str(capa_rd *r, char **pos, char *end)
{
    return *pos ? capa_rd_str_arena(r, pos, end) : capa_rd_str(r);
}

/* Decode; with one_block the strings share one allocation (capa_event__decode_ro). */
static int decode(capa_event_rec *e, const void *data, size_t len, unsigned char **body,
                  size_t *body_len, int one_block)
{
    const unsigned char *raw = NULL;
    size_t raw_len = 0;
    void *tmp = NULL;
    memset(e, 0, sizeof *e);
    if (body)
        *body = NULL;
    if (len < 33)
        return capa_error_set(CAPA_ECORRUPT, "audit event: record of %zu bytes is too short", len);
    int err = capa_unpack(data, len - 32, &raw, &raw_len, &tmp);
    if (err)
        return capa_error_set(err, "audit event: %s",
                              err == CAPA_ENOMEM ? "out of memory" : "bad compressed record");
    capa_rd r;
    capa_rd_init(&r, raw, raw_len);
    unsigned ver = capa_rd_u8(&r);
    if (!r.err && ver != 1 && ver != 2) {
        capa__free(tmp);
        return capa_error_set(CAPA_ECORRUPT, "audit event: unknown record version %u", ver);
    }
    /* Every string takes its bytes and at least one byte of length in the record, and its
     * bytes and a NUL here: the record's length is room enough for all of them. */
    if (!r.err && one_block && !(e->strings = capa__malloc(raw_len ? raw_len : 1)))
        r.err = CAPA_ENOMEM;
    e->strings_len = e->strings_used = e->strings ? raw_len : 0;
    char *pos = e->strings, *end = e->strings ? e->strings + raw_len : NULL;
    e->version = (int)ver;
    e->ev.version = (int)ver;
    e->ev.seq = capa_rd_varint(&r);
    e->ev.time = capa_rd_i64(&r);
    e->ev.actor = rd_str(&r, &pos, end);
    e->ev.action = rd_str(&r, &pos, end);
    e->ev.case_number = rd_str(&r, &pos, end);
    e->ev.stage = rd_str(&r, &pos, end);
    e->ev.reason = rd_str(&r, &pos, end);
    uint64_t n = capa_rd_varint(&r);
    /* Each change takes at least 3 bytes: a count beyond that is corrupt, not a huge alloc. */
    if (!r.err && n > (r.len - r.pos) / 3)
        r.err = CAPA_ECORRUPT;
    if (!r.err && n && !(e->changes = capa__calloc(n, sizeof *e->changes)))
        r.err = CAPA_ENOMEM;
    for (uint64_t i = 0; i < n && !r.err; i++) {
        e->changes[i].field = rd_str(&r, &pos, end);
        e->changes[i].old_value = rd_str(&r, &pos, end);
        e->changes[i].new_value = rd_str(&r, &pos, end);
        e->n_changes = e->cap_changes = i + 1;
    }
    if (ver >= 2) {
        n = capa_rd_varint(&r);
        if (!r.err && n > (r.len - r.pos) / 2)
            r.err = CAPA_ECORRUPT;
        if (!r.err && n && !(e->facts = capa__calloc(n, sizeof *e->facts)))
            r.err = CAPA_ENOMEM;
        for (uint64_t i = 0; i < n && !r.err; i++) {
            e->facts[i].name = rd_str(&r, &pos, end);
            e->facts[i].value = rd_str(&r, &pos, end);
            e->n_facts = e->cap_facts = i + 1;
            if (!r.err && (!e->facts[i].name || !e->facts[i].value))
                r.err = CAPA_ECORRUPT;
        }
    }
    if (!r.err && (!e->ev.actor || !e->ev.action))
        r.err = CAPA_ECORRUPT;
    if (!capa_rd_done(&r)) {
        int code = r.err == CAPA_ENOMEM ? CAPA_ENOMEM : CAPA_ECORRUPT;
        capa__free(tmp);
        capa_event__clear(e);
        return capa_error_set(code, "audit event: %s",
                              code == CAPA_ENOMEM ? "out of memory" : "malformed record");
    }
    e->ev.changes = e->changes;
    e->ev.n_changes = e->n_changes;
    e->ev.facts = e->facts;
    e->ev.n_facts = e->n_facts;
    memcpy(e->hash, (const unsigned char *)data + len - 32, 32);
    capa__hex(e->ev.hash, e->hash, 32);
    if (body) {
        if (!tmp && raw_len && !(tmp = capa__malloc(raw_len))) {
            capa_event__clear(e);
            return capa_error_set(CAPA_ENOMEM, "audit event: out of memory");
        }
        if (tmp != raw)
            memcpy(tmp, raw, raw_len);
        *body = tmp;
        *body_len = raw_len;
        tmp = NULL;
    }
    capa__free(tmp);
    return CAPA_OK;
}

int capa_event__decode(capa_event_rec *e, const void *data, size_t len, unsigned char **body,
                       size_t *body_len)
{
    return decode(e, data, len, body, body_len, 0);
}

int capa_event__decode_ro(capa_event_rec *e, const void *data, size_t len, unsigned char **body,
                          size_t *body_len)
{
    return decode(e, data, len, body, body_len, 1);
}
