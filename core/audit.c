/*
 * audit.c - appending, reading and verifying the hash-chained audit trail (see audit.h).
 */
#include "audit.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "codec.h"

#define EVENT_VERSION 1
#define HEAD_KEY "head"

static void sha256_chain(unsigned char out[32], const unsigned char prev[32], const void *body,
                         size_t len)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int n = 32;
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    EVP_DigestUpdate(ctx, prev, 32);
    EVP_DigestUpdate(ctx, body, len);
    EVP_DigestFinal_ex(ctx, out, &n);
    EVP_MD_CTX_free(ctx);
}

static void to_hex(char hex[65], const unsigned char h[32])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[h[i] >> 4];
        hex[2 * i + 1] = digits[h[i] & 15];
    }
    hex[64] = 0;
}

void capa_sha256_hex(char hex[65], const void *data, size_t len)
{
    unsigned char h[32];
    unsigned int n = 32;
    EVP_Digest(data, len, h, &n, EVP_sha256(), NULL);
    to_hex(hex, h);
}

void capa_changes_add(capa_changes *c, const char *field, const char *old_value,
                      const char *new_value)
{
    if (c->oom)
        return;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        capa_change *v = capa__realloc(c->v, cap * sizeof *v);
        if (!v) {
            c->oom = 1;
            return;
        }
        c->v = v;
        c->cap = cap;
    }
    capa_change *ch = &c->v[c->n];
    ch->field = capa__strdup(field);
    ch->old_value = old_value ? capa__strdup(old_value) : NULL;
    ch->new_value = new_value ? capa__strdup(new_value) : NULL;
    if (!ch->field || (old_value && !ch->old_value) || (new_value && !ch->new_value)) {
        capa__free((char *)ch->field);
        capa__free((char *)ch->old_value);
        capa__free((char *)ch->new_value);
        c->oom = 1;
        return;
    }
    c->n++;
}

void capa_changes_clear(capa_changes *c)
{
    for (size_t i = 0; i < c->n; i++) {
        capa__free((char *)c->v[i].field);
        capa__free((char *)c->v[i].old_value);
        capa__free((char *)c->v[i].new_value);
    }
    capa__free(c->v);
    memset(c, 0, sizeof *c);
}

static int read_head(capa_store *s, MDB_txn *txn, uint64_t *seq, unsigned char hash[32])
{
    MDB_val v;
    *seq = 0;
    memset(hash, 0, 32);
    int err = capa_store__get(txn, s->dbi[DB_META], HEAD_KEY, strlen(HEAD_KEY), &v);
    if (err == CAPA_ENOTFOUND)
        return CAPA_OK;
    if (err)
        return err;
    if (v.mv_size != 40)
        return capa_error_set(CAPA_ECORRUPT, "audit chain head record: bad size %zu",
                              v.mv_size);
    *seq = capa_get_be64(v.mv_data);
    memcpy(hash, (unsigned char *)v.mv_data + 8, 32);
    return CAPA_OK;
}

int capa_audit__append(capa_wtxn *t, const char *actor, const char *action,
                       const char *case_number, uint64_t case_id, const char *stage,
                       const char *reason, const capa_change *changes, size_t n,
                       uint64_t *out_seq)
{
    capa_store *s = t->s;
    capa_buf b = {0};
    uint64_t seq;
    unsigned char prev[32], hash[32], key[8], head[40];
    int err = read_head(s, t->txn, &seq, prev);
    if (err)
        return err;
    seq++;
    capa_buf_u8(&b, EVENT_VERSION);
    capa_buf_varint(&b, seq);
    capa_buf_i64(&b, t->now);
    capa_buf_str(&b, actor);
    capa_buf_str(&b, action);
    capa_buf_str(&b, case_number);
    capa_buf_str(&b, stage);
    capa_buf_str(&b, reason);
    capa_buf_varint(&b, n);
    for (size_t i = 0; i < n; i++) {
        capa_buf_str(&b, changes[i].field);
        capa_buf_str(&b, changes[i].old_value);
        capa_buf_str(&b, changes[i].new_value);
    }
    sha256_chain(hash, prev, b.p, b.len);
    capa_buf_bytes(&b, hash, 32);
    if (b.oom) {
        err = capa_error_set(CAPA_ENOMEM, "audit event: out of memory");
        goto done;
    }
    capa_be64(key, seq);
    err = capa_store__put(t->txn, s->dbi[DB_EVENTS], key, 8, b.p, b.len, MDB_APPEND);
    if (err)
        goto done;
    if (case_id) {
        unsigned char ck[8];
        capa_be64(ck, case_id);
        err = capa_store__put(t->txn, s->dbi[DB_CASE_EVENTS], ck, 8, key, 8, 0);
        if (err)
            goto done;
    }
    memcpy(head, key, 8);
    memcpy(head + 8, hash, 32);
    err = capa_store__put(t->txn, s->dbi[DB_META], HEAD_KEY, strlen(HEAD_KEY), head, 40, 0);
    if (!err && out_seq)
        *out_seq = seq;
done:
    capa_buf_free(&b);
    return err;
}

void capa_event__clear(capa_event_rec *e)
{
    capa__free((char *)e->ev.actor);
    capa__free((char *)e->ev.action);
    capa__free((char *)e->ev.case_number);
    capa__free((char *)e->ev.stage);
    capa__free((char *)e->ev.reason);
    for (size_t i = 0; i < e->ev.n_changes; i++) {
        capa__free((char *)e->changes[i].field);
        capa__free((char *)e->changes[i].old_value);
        capa__free((char *)e->changes[i].new_value);
    }
    capa__free(e->changes);
    memset(e, 0, sizeof *e);
}

int capa_event__decode(capa_event_rec *e, const void *data, size_t len)
{
    memset(e, 0, sizeof *e);
    if (len < 33)
        return capa_error_set(CAPA_ECORRUPT, "audit event: record of %zu bytes is too short",
                              len);
    capa_rd r;
    capa_rd_init(&r, data, len - 32);
    unsigned ver = capa_rd_u8(&r);
    if (!r.err && ver != EVENT_VERSION)
        return capa_error_set(CAPA_ECORRUPT, "audit event: unknown record version %u", ver);
    e->ev.seq = capa_rd_varint(&r);
    e->ev.time = capa_rd_i64(&r);
    e->ev.actor = capa_rd_str(&r);
    e->ev.action = capa_rd_str(&r);
    e->ev.case_number = capa_rd_str(&r);
    e->ev.stage = capa_rd_str(&r);
    e->ev.reason = capa_rd_str(&r);
    uint64_t n = capa_rd_varint(&r);
    /* Each change takes at least 3 bytes: a count beyond that is corrupt, not a huge alloc. */
    if (!r.err && n > (r.len - r.pos) / 3)
        r.err = CAPA_ECORRUPT;
    if (!r.err && n) {
        e->changes = capa__calloc(n, sizeof *e->changes);
        if (!e->changes)
            r.err = CAPA_ENOMEM;
    }
    for (uint64_t i = 0; i < n && !r.err; i++) {
        e->changes[i].field = capa_rd_str(&r);
        e->changes[i].old_value = capa_rd_str(&r);
        e->changes[i].new_value = capa_rd_str(&r);
        e->ev.n_changes = i + 1;
    }
    if (!r.err && (!e->ev.actor || !e->ev.action))
        r.err = CAPA_ECORRUPT;
    if (!capa_rd_done(&r)) {
        int code = r.err == CAPA_ENOMEM ? CAPA_ENOMEM : CAPA_ECORRUPT;
        capa_event__clear(e);
        return capa_error_set(code, "audit event: %s",
                              code == CAPA_ENOMEM ? "out of memory" : "malformed record");
    }
    e->ev.changes = e->changes;
    memcpy(e->hash, (const unsigned char *)data + len - 32, 32);
    to_hex(e->ev.hash, e->hash);
    e->body = (unsigned char *)data;
    e->body_len = len - 32;
    return CAPA_OK;
}

static int emit(MDB_val *v, int (*cb)(const capa_event *, void *), void *payload, int *stop)
{
    capa_event_rec e;
    int err = capa_event__decode(&e, v->mv_data, v->mv_size);
    if (err)
        return err;
    *stop = cb(&e.ev, payload);
    capa_event__clear(&e);
    return CAPA_OK;
}

int capa__case_id(capa_store *s, MDB_txn *txn, const char *number, uint64_t *out);
int capa__verify_signatures(capa_store *s, MDB_txn *txn, uint64_t *out_bad_seq);

int capa_audit_foreach(capa_store *s, const char *number,
                       int (*cb)(const capa_event *e, void *payload), void *payload)
{
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    int stop = 0;
    int err = capa_store__read_begin(s, &txn);
    if (err)
        return err;
    if ((err = capa_store__require_init(s, txn)) != CAPA_OK)
        goto done;
    if (number) {
        uint64_t id;
        if ((err = capa__case_id(s, txn, number, &id)) != CAPA_OK)
            goto done;
        unsigned char ck[8];
        capa_be64(ck, id);
        int rc = mdb_cursor_open(txn, s->dbi[DB_CASE_EVENTS], &cur);
        MDB_val k = {8, ck}, v;
        rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_SET_KEY);
        while (rc == MDB_SUCCESS && !stop) {
            MDB_val ev;
            err = capa_store__get(txn, s->dbi[DB_EVENTS], v.mv_data, 8, &ev);
            if (err == CAPA_ENOTFOUND)
                err = capa_error_set(CAPA_ECORRUPT, "case %s: audit event %llu is missing",
                                     number,
                                     (unsigned long long)capa_get_be64(v.mv_data));
            if (err || (err = emit(&ev, cb, payload, &stop)) != CAPA_OK)
                goto done;
            rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_DUP);
        }
        if (rc && rc != MDB_NOTFOUND)
            err = capa_store__mdb_err(rc, "audit trail");
    } else {
        int rc = mdb_cursor_open(txn, s->dbi[DB_EVENTS], &cur);
        MDB_val k, v;
        rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_FIRST);
        while (rc == MDB_SUCCESS && !stop) {
            if ((err = emit(&v, cb, payload, &stop)) != CAPA_OK)
                goto done;
            rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
        }
        if (rc && rc != MDB_NOTFOUND)
            err = capa_store__mdb_err(rc, "audit trail");
    }
done:
    if (cur)
        mdb_cursor_close(cur);
    capa_store__read_end(s, txn);
    return err ? err : stop;
}

int capa_audit_verify(capa_store *s, char head_hex[65], uint64_t *out_bad_seq)
{
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    unsigned char prev[32] = {0}, head_hash[32];
    uint64_t expect = 1, head_seq = 0;
    head_hex[0] = 0;
    if (out_bad_seq)
        *out_bad_seq = 0;
    int err = capa_store__read_begin(s, &txn);
    if (err)
        return err;
    if ((err = capa_store__require_init(s, txn)) != CAPA_OK ||
        (err = read_head(s, txn, &head_seq, head_hash)) != CAPA_OK)
        goto done;
    int rc = mdb_cursor_open(txn, s->dbi[DB_EVENTS], &cur);
    MDB_val k, v;
    rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    for (; rc == MDB_SUCCESS; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), expect++) {
        uint64_t key_seq = k.mv_size == 8 ? capa_get_be64(k.mv_data) : 0;
        capa_event_rec e;
        if (key_seq != expect) {
            if (out_bad_seq)
                *out_bad_seq = expect;
            err = capa_error_set(CAPA_ECORRUPT,
                                 "audit event %llu: missing (next stored event is %llu): the "
                                 "chain was cut",
                                 (unsigned long long)expect, (unsigned long long)key_seq);
            goto done;
        }
        if (capa_event__decode(&e, v.mv_data, v.mv_size) != CAPA_OK) {
            if (out_bad_seq)
                *out_bad_seq = expect;
            err = capa_error_set(CAPA_ECORRUPT, "audit event %llu: record cannot be decoded",
                                 (unsigned long long)expect);
            goto done;
        }
        unsigned char h[32];
        sha256_chain(h, prev, e.body, e.body_len);
        int bad_seq = e.ev.seq != expect, bad_hash = memcmp(h, e.hash, 32) != 0;
        capa_event__clear(&e);
        if (bad_seq || bad_hash) {
            if (out_bad_seq)
                *out_bad_seq = expect;
            err = capa_error_set(CAPA_ECORRUPT, "audit event %llu: %s",
                                 (unsigned long long)expect,
                                 bad_seq ? "stored under another sequence number (moved or "
                                           "reordered)"
                                         : "hash does not match its content and predecessor "
                                           "(edited, or an earlier event was changed)");
            goto done;
        }
        memcpy(prev, h, 32);
    }
    if (rc != MDB_NOTFOUND) {
        err = capa_store__mdb_err(rc, "audit trail");
        goto done;
    }
    if (expect - 1 != head_seq || memcmp(prev, head_hash, 32) != 0) {
        if (out_bad_seq)
            *out_bad_seq = expect - 1 < head_seq ? expect : head_seq;
        err = capa_error_set(CAPA_ECORRUPT,
                             "audit chain: %llu events stored but the head names event %llu: "
                             "events at the end were removed or the head was altered",
                             (unsigned long long)(expect - 1), (unsigned long long)head_seq);
        goto done;
    }
    if ((err = capa__verify_signatures(s, txn, out_bad_seq)) != CAPA_OK)
        goto done;
    to_hex(head_hex, prev);
done:
    if (cur)
        mdb_cursor_close(cur);
    capa_store__read_end(s, txn);
    return err;
}
