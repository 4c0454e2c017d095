/*
 * caseproof.c - the per-case proof (docs/case-proof.md): the derived `proof` database a v2
 * checkpoint signs the roots of, and the check a dossier makes against it instead of
 * replaying the whole trail.
 *
 * Records of `proof` (all derived: written when a v2 checkpoint event is applied, rebuilt by
 * verify's replay and compared like every other database):
 *   "S"                                 -> be64: the last event the trees were made through
 *   'N' tree level be64(index)          -> 32-byte node (level 0: a leaf); a node equal to the
 *                                          empty subtree of its level is not stored. Leaves of
 *                                          the case tree ('c') carry the case's pair hash too.
 *   'M' pair(32) be64(id)               -> be64 opened, workflow NUL number: the cases of a
 *                                          (part, defect) pair, the 再发 candidates
 * The case tree has depth 32 over case ids; the recurrence tree depth 16 over buckets (the
 * first two bytes of a pair's hash), whose leaf hashes every 'M' record of the bucket.
 */
#include "caseproof.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attach.h"
#include "codec.h"
#include "index.h"
#include "recurrence.h"
#include "users.h"

#define CASE_DEPTH 32
#define RECUR_DEPTH 16
/* Events read between the checkpoint and the head before the dossier gives up and replays
 * the whole store: the checkpoint interval bounds it (run `capa checkpoint` hourly). */
#define SEGMENT_MAX 20000

typedef struct hsh {
    EVP_MD_CTX *md;
    int bad;
} hsh;

static void h_begin(hsh *h, unsigned char tag)
{
    if (!h->md)
        h->md = EVP_MD_CTX_new();
    if (!h->md || EVP_DigestInit_ex(h->md, EVP_sha256(), NULL) != 1 ||
        EVP_DigestUpdate(h->md, &tag, 1) != 1)
        h->bad = 1;
}

static void h_add(hsh *h, const void *p, size_t n)
{
    if (!h->bad && n && EVP_DigestUpdate(h->md, p, n) != 1)
        h->bad = 1;
}

/* A length-prefixed field: records cannot run into each other. */
static void h_field(hsh *h, const void *p, size_t n)
{
    unsigned char l[8];
    capa_be64(l, n);
    h_add(h, l, 8);
    h_add(h, p, n);
}

/* A stored record into the hash: its key, then its value as stored before packing. */
static int h_record(hsh *h, const MDB_val *k, const MDB_val *v)
{
    const unsigned char *raw;
    size_t n;
    void *tmp = NULL;
    int err = capa_unpack(v->mv_data, v->mv_size, &raw, &n, &tmp);
    if (err)
        return err;
    h_field(h, k->mv_data, k->mv_size);
    h_field(h, raw, n);
    capa__free(tmp);
    return CAPA_OK;
}

static void h_end(hsh *h, unsigned char out[32])
{
    unsigned int n = 0;
    if (!h->bad && EVP_DigestFinal_ex(h->md, out, &n) != 1)
        h->bad = 1;
}

static void h_free(hsh *h)
{
    EVP_MD_CTX_free(h->md);
    h->md = NULL;
}

static int h_err(hsh *h)
{
    return h->bad ? capa_error_set(CAPA_ENOMEM, "case proof: hashing failed") : CAPA_OK;
}

/* The empty subtree of each level: E[0] zero, E[l+1] = node(E[l], E[l]). */
static void empties(hsh *h, unsigned char (*e)[32])
{
    memset(e[0], 0, 32);
    for (int l = 0; l < CASE_DEPTH; l++) {
        h_begin(h, 0x02);
        h_add(h, e[l], 32);
        h_add(h, e[l], 32);
        h_end(h, e[l + 1]);
    }
}

static void node_key(unsigned char k[11], char tree, int level, uint64_t idx)
{
    k[0] = 'N', k[1] = (unsigned char)tree, k[2] = (unsigned char)level;
    capa_be64(k + 3, idx);
}

/* A stored node, or the empty subtree of its level. An odd-sized record counts as itself
 * (its first 32 bytes, zero-padded): the path then fails against the signed root. */
static int node_get(capa_store *s, MDB_txn *txn, char tree, int level, uint64_t idx,
                    unsigned char (*e)[32], unsigned char out[32])
{
    unsigned char k[11];
    MDB_val v;
    node_key(k, tree, level, idx);
    int err = capa_store__get(txn, s->dbi[DB_PROOF], k, 11, &v);
    if (err == CAPA_ENOTFOUND) {
        memcpy(out, e[level], 32);
        return CAPA_OK;
    }
    if (err)
        return err;
    memset(out, 0, 32);
    memcpy(out, v.mv_data, v.mv_size < 32 ? v.mv_size : 32);
    return CAPA_OK;
}

static int node_put(capa_store *s, MDB_txn *txn, char tree, int level, uint64_t idx,
                    unsigned char (*e)[32], const unsigned char *val, size_t len)
{
    unsigned char k[11];
    node_key(k, tree, level, idx);
    if (len == 32 && memcmp(val, e[level], 32) == 0) {
        int err = capa_store__del(txn, s->dbi[DB_PROOF], k, 11, NULL, 0);
        return err == CAPA_ENOTFOUND ? CAPA_OK : err;
    }
    return capa_store__put(txn, s->dbi[DB_PROOF], k, 11, val, len, 0);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Sort and drop duplicates. */
static size_t uniq(uint64_t *v, size_t n)
{
    size_t m = 0;
    if (!n)
        return 0;
    qsort(v, n, sizeof *v, cmp_u64);
    for (size_t i = 0; i < n; i++)
        if (!m || v[m - 1] != v[i])
            v[m++] = v[i];
    return m;
}

/* The parents of the (sorted, unique) level-0 positions `idx`, up to the root; idx is
 * overwritten. */
static int tree_update(capa_store *s, MDB_txn *txn, hsh *h, char tree, int depth,
                       unsigned char (*e)[32], uint64_t *idx, size_t n)
{
    for (int l = 0; l < depth; l++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            uint64_t p = idx[i] >> 1;
            if (m && idx[m - 1] == p)
                continue;
            unsigned char a[32], b[32], out[32];
            int err = node_get(s, txn, tree, l, p << 1, e, a);
            if (!err)
                err = node_get(s, txn, tree, l, (p << 1) | 1, e, b);
            if (err)
                return err;
            h_begin(h, 0x02);
            h_add(h, a, 32);
            h_add(h, b, 32);
            h_end(h, out);
            if ((err = h_err(h)) || (err = node_put(s, txn, tree, l + 1, p, e, out, 32)))
                return err;
            idx[m++] = p;
        }
        n = m;
    }
    return CAPA_OK;
}

/* The root: the path from leaf `idx` (its hash `leaf`) with the stored siblings. */
static int tree_path(capa_store *s, MDB_txn *txn, hsh *h, char tree, int depth,
                     unsigned char (*e)[32], uint64_t idx, const unsigned char leaf[32],
                     unsigned char root[32])
{
    unsigned char cur[32], sib[32];
    memcpy(cur, leaf, 32);
    for (int l = 0; l < depth; l++, idx >>= 1) {
        int err = node_get(s, txn, tree, l, idx ^ 1, e, sib);
        if (err)
            return err;
        h_begin(h, 0x02);
        h_add(h, idx & 1 ? sib : cur, 32);
        h_add(h, idx & 1 ? cur : sib, 32);
        h_end(h, cur);
    }
    memcpy(root, cur, 32);
    return h_err(h);
}

/* ---- leaves ---- */

/* Where a case's event records come from: verify's replay reads the real store's. */
typedef struct evsrc {
    capa_store *s;
    MDB_txn *txn;
    const capa_apply_src *src;
} evsrc;

static int event_get(const evsrc *es, uint64_t seq, const void **data, size_t *len)
{
    if (es->src && es->src->event)
        return es->src->event(es->src->payload, seq, data, len);
    unsigned char k[8];
    MDB_val v;
    capa_be64(k, seq);
    int err = capa_store__get(es->txn, es->s->dbi[DB_EVENTS], k, 8, &v);
    if (!err)
        *data = v.mv_data, *len = v.mv_size;
    return err;
}

/* The (part, defect) pair of a header, hashed; 0 when it states none (no recurrence). */
static int pair_of(hsh *h, const capa_hdr *hd, unsigned char out[32])
{
    if (!hd->part_no || !*hd->part_no || !hd->defect_code || !*hd->defect_code)
        return 0;
    h_begin(h, 0x04);
    h_field(h, hd->part_no, strlen(hd->part_no));
    h_field(h, hd->defect_code, strlen(hd->defect_code));
    h_end(h, out);
    return 1;
}

/* The case databases: every record whose key starts with the case id. */
static const int case_dbs[] = {DB_CASES, DB_STAGES, DB_SIGS, DB_ATTACH, DB_OWNERS, DB_CASE_EVENTS};

/* One record of a case into its leaf: key and raw value, and for a case_events link the
 * digest of the event record it leads to. */
typedef struct leafh {
    hsh *h, eh;
    const evsrc *es;
    uint64_t id;
} leafh;

static int leaf_rec(leafh *L, int db, const void *k, size_t kl, const void *raw, size_t rl)
{
    unsigned char dg[32];
    h_field(L->h, k, kl);
    h_field(L->h, raw, rl);
    if (db != DB_CASE_EVENTS || rl != 8)
        return CAPA_OK;
    const void *ev;
    size_t evlen;
    uint64_t seq = capa_get_be64(raw);
    int err = event_get(L->es, seq, &ev, &evlen);
    if (err == CAPA_ENOTFOUND)
        return capa_error_set(CAPA_ECORRUPT,
                              "case proof: case id %llu: event %llu is linked but not stored",
                              (unsigned long long)L->id, (unsigned long long)seq);
    if (err)
        return err;
    h_begin(&L->eh, 0x06);
    h_add(&L->eh, ev, evlen);
    h_end(&L->eh, dg);
    h_add(L->h, dg, 32);
    return h_err(&L->eh);
}

/* Every record of case `id` in the case databases, in order, to fn (raw values); a call
 * with k NULL opens each database. */
typedef int (*case_fn)(void *arg, int db, const void *k, size_t kl, const void *raw, size_t rl);

static int case_records(capa_store *s, MDB_txn *txn, uint64_t id, case_fn fn, void *arg)
{
    unsigned char kid[8];
    int err = CAPA_OK, rc;
    capa_be64(kid, id);
    for (size_t d = 0; d < sizeof case_dbs / sizeof *case_dbs && !err; d++) {
        int db = case_dbs[d];
        MDB_cursor *cur = NULL;
        if ((err = fn(arg, db, NULL, 0, NULL, 0)) || !capa_store__has(s, db))
            continue;
        if ((rc = mdb_cursor_open(txn, s->dbi[db], &cur)))
            return capa_store__mdb_err(rc, "case proof");
        MDB_val k = {8, kid}, v;
        for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
             rc == 0 && k.mv_size >= 8 && memcmp(k.mv_data, kid, 8) == 0;
             rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            const unsigned char *raw;
            size_t n;
            void *tmp = NULL;
            if ((err = capa_unpack(v.mv_data, v.mv_size, &raw, &n, &tmp)))
                break;
            err = fn(arg, db, k.mv_data, k.mv_size, raw, n);
            capa__free(tmp);
            if (err)
                break;
        }
        if (!err && rc && rc != MDB_NOTFOUND)
            err = capa_store__mdb_err(rc, "case proof");
        mdb_cursor_close(cur);
    }
    return err;
}

static int leaf_fn(void *arg, int db, const void *k, size_t kl, const void *raw, size_t rl)
{
    leafh *L = arg;
    if (!k) {
        unsigned char tag = (unsigned char)db;
        h_add(L->h, &tag, 1);
        return CAPA_OK;
    }
    return leaf_rec(L, db, k, kl, raw, rl);
}

/* Leaf of case `id`: every record of the case (content, compressed or not) and the digest of
 * each of its event records. *present 0 when the case has no header. */
static int case_leaf(const evsrc *es, hsh *h, uint64_t id, unsigned char leaf[32], int *present)
{
    unsigned char kid[8];
    MDB_val hv;
    capa_be64(kid, id);
    *present = 0;
    int err = capa_store__get(es->txn, es->s->dbi[DB_CASES], kid, 8, &hv);
    if (err == CAPA_ENOTFOUND)
        return CAPA_OK;
    if (err)
        return err;
    *present = 1;
    leafh L = {h, {0}, es, id};
    h_begin(h, 0x01);
    h_add(h, kid, 8);
    err = case_records(es->s, es->txn, id, leaf_fn, &L);
    h_end(h, leaf);
    h_free(&L.eh);
    return err ? err : h_err(h);
}

/* ---- a case's records kept as the last checkpoint signed them ----
 * 'P' id(8) -> the image: for each record of the case, in the leaf's order, db (u8), key
 * length (be32), key, raw value length (be32), raw value. Written by apply before the
 * case's first change after a checkpoint that keeps them (capa_proof__keep_case); the
 * dossier hashes it into the case's leaf at that checkpoint and replays the case's later
 * events on top of it. */

static int image_fn(void *arg, int db, const void *k, size_t kl, const void *raw, size_t rl)
{
    capa_buf *b = arg;
    unsigned char n[4];
    if (!k)
        return CAPA_OK;
    capa_buf_u8(b, (unsigned)db);
    capa_be32(n, (uint32_t)kl);
    capa_buf_bytes(b, n, 4);
    capa_buf_bytes(b, k, kl);
    capa_be32(n, (uint32_t)rl);
    capa_buf_bytes(b, n, 4);
    capa_buf_bytes(b, raw, rl);
    return b->oom ? capa_error_set(CAPA_ENOMEM, "case proof: out of memory") : CAPA_OK;
}

/* The next record of an image at *pos: CAPA_OK, CAPA_ENOTFOUND at its end, CAPA_ECORRUPT. */
static int image_next(const unsigned char *p, size_t len, size_t *pos, int *db, MDB_val *k,
                      MDB_val *v)
{
    size_t at = *pos;
    if (at == len)
        return CAPA_ENOTFOUND;
    if (len - at < 5)
        return CAPA_ECORRUPT;
    *db = p[at];
    k->mv_size = capa_get_be32(p + at + 1);
    at += 5;
    if (len - at < k->mv_size + 4)
        return CAPA_ECORRUPT;
    k->mv_data = (void *)(p + at);
    at += k->mv_size;
    v->mv_size = capa_get_be32(p + at);
    at += 4;
    if (len - at < v->mv_size)
        return CAPA_ECORRUPT;
    v->mv_data = (void *)(p + at);
    *pos = at + v->mv_size;
    return CAPA_OK;
}

/* The leaf of a case from its image (in the case databases' order, as case_leaf reads). */
static int image_leaf(const evsrc *es, hsh *h, uint64_t id, const MDB_val *img,
                      unsigned char leaf[32], int *present)
{
    unsigned char kid[8];
    size_t pos = 0;
    int db = -1, err = CAPA_OK, have = 0;
    MDB_val k, v;
    leafh L = {h, {0}, es, id};
    capa_be64(kid, id);
    *present = 0;
    h_begin(h, 0x01);
    h_add(h, kid, 8);
    for (size_t d = 0; d < sizeof case_dbs / sizeof *case_dbs && !err; d++) {
        unsigned char tag = (unsigned char)case_dbs[d];
        h_add(h, &tag, 1);
        for (;;) {
            if (!have && (err = image_next(img->mv_data, img->mv_size, &pos, &db, &k, &v)))
                break;
            have = 1;
            if (db != case_dbs[d])
                break;
            have = 0;
            if (db == DB_CASES)
                *present = 1;
            if ((err = leaf_rec(&L, db, k.mv_data, k.mv_size, v.mv_data, v.mv_size)))
                break;
        }
        if (err == CAPA_ENOTFOUND)
            err = CAPA_OK, have = 0;
    }
    if (!err && (have || pos != img->mv_size))
        err = CAPA_ECORRUPT; /* a record out of order, or of no case database */
    h_end(h, leaf);
    h_free(&L.eh);
    if (err == CAPA_ECORRUPT)
        capa_error_set(CAPA_ECORRUPT, "case proof: the kept records of case id %llu are malformed",
                       (unsigned long long)id);
    return err ? err : h_err(h);
}

int capa_proof__keep_case(capa_wtxn *t, uint64_t id)
{
    capa_store *s = t->s;
    unsigned char k[9] = {'P'};
    MDB_val v;
    capa_buf b = {0};
    if (!capa_store__has(s, DB_PROOF))
        return CAPA_OK;
    int err = capa_store__get(t->txn, s->dbi[DB_PROOF], "K", 1, &v);
    if (err)
        return err == CAPA_ENOTFOUND ? CAPA_OK : err;
    capa_be64(k + 1, id);
    if ((err = capa_store__get(t->txn, s->dbi[DB_PROOF], k, 9, &v)) != CAPA_ENOTFOUND)
        return err;
    if (!(err = case_records(s, t->txn, id, image_fn, &b)))
        err = capa_store__put(t->txn, s->dbi[DB_PROOF], k, 9, b.p ? (void *)b.p : "", b.len, 0);
    capa_buf_free(&b);
    return err;
}

/* What the 再发 answer reads of a member case: when it was opened, its workflow, number. */
static int member_val(capa_buf *b, const capa_hdr *hd)
{
    unsigned char o[8];
    capa_be64(o, (uint64_t)hd->opened);
    capa_buf_bytes(b, o, 8);
    if (hd->workflow)
        capa_buf_bytes(b, hd->workflow, strlen(hd->workflow));
    capa_buf_bytes(b, "", 1);
    if (hd->number)
        capa_buf_bytes(b, hd->number, strlen(hd->number));
    return b->oom ? capa_error_set(CAPA_ENOMEM, "case proof: out of memory") : CAPA_OK;
}

/* Leaf of recurrence bucket `bucket`: every 'M' record under it. */
static int bucket_leaf(capa_store *s, MDB_txn *txn, hsh *h, uint64_t bucket, unsigned char out[32],
                       int *present)
{
    unsigned char pre[3] = {'M', (unsigned char)(bucket >> 8), (unsigned char)bucket};
    MDB_cursor *cur = NULL;
    MDB_val k = {3, pre}, v;
    int rc = mdb_cursor_open(txn, s->dbi[DB_PROOF], &cur);
    *present = 0;
    if (rc)
        return capa_store__mdb_err(rc, "case proof");
    h_begin(h, 0x05);
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0 && k.mv_size >= 3 && memcmp(k.mv_data, pre, 3) == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        h_field(h, k.mv_data, k.mv_size);
        h_field(h, v.mv_data, v.mv_size);
        *present = 1;
    }
    mdb_cursor_close(cur);
    h_end(h, out);
    if (rc && rc != MDB_NOTFOUND)
        return capa_store__mdb_err(rc, "case proof");
    return h_err(h);
}

/* Meta records that change with case events (numbering, imports) or with every event (the
 * head, checked by the chain instead): not in the store leaf. */
static int store_meta_skipped(const MDB_val *k)
{
    const char *p = k->mv_data;
    size_t n = k->mv_size;
    return (n == 4 && memcmp(p, "head", 4) == 0) || (n == 7 && memcmp(p, "next_id", 7) == 0) ||
           (n >= 4 && memcmp(p, "ctr:", 4) == 0) || (n >= 6 && memcmp(p, "import", 6) == 0);
}

typedef int (*store_fn)(void *arg, int db, const MDB_val *k, const MDB_val *v);
static const int store_dbs[] = {DB_META, DB_USERS, DB_FORMS};

/* The records of the store leaf, in order, to fn (k NULL opens each database): the meta
 * values outputs print or compute with, every user, every stored definition. */
static int store_records(capa_store *s, MDB_txn *txn, store_fn fn, void *arg)
{
    int err = CAPA_OK;
    for (size_t d = 0; d < 3 && !err; d++) {
        MDB_cursor *cur = NULL;
        MDB_val k, v;
        if ((err = fn(arg, store_dbs[d], NULL, NULL)))
            break;
        int rc = mdb_cursor_open(txn, s->dbi[store_dbs[d]], &cur);
        if (rc)
            return capa_store__mdb_err(rc, "case proof");
        for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && !err;
             rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
            if (store_dbs[d] != DB_META || !store_meta_skipped(&k))
                err = fn(arg, store_dbs[d], &k, &v);
        if (!err && rc && rc != MDB_NOTFOUND)
            err = capa_store__mdb_err(rc, "case proof");
        mdb_cursor_close(cur);
    }
    return err;
}

static int store_hash_fn(void *arg, int db, const MDB_val *k, const MDB_val *v)
{
    hsh *h = arg;
    if (!k) {
        unsigned char tag = (unsigned char)db;
        h_add(h, &tag, 1);
        return CAPA_OK;
    }
    return h_record(h, k, v);
}

/* The store leaf of the state of txn. */
static int store_leaf(capa_store *s, MDB_txn *txn, hsh *h, unsigned char out[32])
{
    h_begin(h, 0x03);
    int err = store_records(s, txn, store_hash_fn, h);
    h_end(h, out);
    return err ? err : h_err(h);
}

/* ---- the store's records kept as the last checkpoint signed them ----
 * 'R' db(u8) key -> raw value: the records of the store leaf; "K" -> "": the proof keeps
 * them, and each case's records before its first change (capa_proof__keep_case). */

typedef struct keep_arg {
    capa_wtxn *t;
    capa_buf k;
} keep_arg;

static int keep_store_fn(void *arg, int db, const MDB_val *k, const MDB_val *v)
{
    keep_arg *a = arg;
    const unsigned char *raw;
    size_t n;
    void *tmp = NULL;
    if (!k)
        return CAPA_OK;
    int err = capa_unpack(v->mv_data, v->mv_size, &raw, &n, &tmp);
    if (err)
        return err;
    a->k.len = 0;
    capa_buf_u8(&a->k, 'R');
    capa_buf_u8(&a->k, (unsigned)db);
    capa_buf_bytes(&a->k, k->mv_data, k->mv_size);
    err = a->k.oom ? capa_error_set(CAPA_ENOMEM, "case proof: out of memory")
                   : capa_store__put(a->t->txn, a->t->s->dbi[DB_PROOF], a->k.p, a->k.len,
                                     n ? (const void *)raw : "", n, 0);
    capa__free(tmp);
    return err;
}

/* Every record of `proof` whose key starts with byte `tag`, removed. */
static int drop_tag(capa_store *s, MDB_txn *txn, unsigned char tag)
{
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    int rc = mdb_cursor_open(txn, s->dbi[DB_PROOF], &cur);
    while (!rc) {
        k.mv_size = 1, k.mv_data = &tag;
        if ((rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE)))
            break;
        if (k.mv_size < 1 || *(unsigned char *)k.mv_data != tag)
            break;
        rc = mdb_cursor_del(cur, 0);
    }
    if (cur)
        mdb_cursor_close(cur);
    return rc && rc != MDB_NOTFOUND ? capa_store__mdb_err(rc, "case proof") : CAPA_OK;
}

/* At a checkpoint: the records kept for the previous one dropped; with `keep`, the store's
 * records kept as this one signs them, and each case's to be kept before its next change. */
static int keep_at_checkpoint(capa_wtxn *t, int keep)
{
    capa_store *s = t->s;
    int err;
    if ((err = drop_tag(s, t->txn, 'P')) || (err = drop_tag(s, t->txn, 'R')) ||
        (err = drop_tag(s, t->txn, 'K')) || !keep)
        return err;
    keep_arg a = {t, {0}};
    if (!(err = capa_store__put(t->txn, s->dbi[DB_PROOF], "K", 1, "", 0, 0)))
        err = store_records(s, t->txn, keep_store_fn, &a);
    capa_buf_free(&a.k);
    return err;
}

/* The store leaf hashed from the kept records ('R'). */
static int kept_store_leaf(capa_store *s, MDB_txn *txn, hsh *h, unsigned char out[32])
{
    int err = CAPA_OK;
    h_begin(h, 0x03);
    for (size_t d = 0; d < 3 && !err; d++) {
        unsigned char pre[2] = {'R', (unsigned char)store_dbs[d]};
        MDB_cursor *cur = NULL;
        MDB_val k = {2, pre}, v;
        h_add(h, pre + 1, 1);
        int rc = mdb_cursor_open(txn, s->dbi[DB_PROOF], &cur);
        if (rc)
            return capa_store__mdb_err(rc, "case proof");
        for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
             rc == 0 && k.mv_size >= 2 && memcmp(k.mv_data, pre, 2) == 0;
             rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            h_field(h, (unsigned char *)k.mv_data + 2, k.mv_size - 2);
            h_field(h, v.mv_data, v.mv_size);
        }
        if (rc && rc != MDB_NOTFOUND)
            err = capa_store__mdb_err(rc, "case proof");
        mdb_cursor_close(cur);
    }
    h_end(h, out);
    return err ? err : h_err(h);
}

/* ---- the update at a checkpoint ---- */

/* Events between checkpoints that change no case record: a case's proof stays. Any other
 * event without a case (a definition, a calendar replanning every open case, a
 * configuration, an archive, an upgrade) makes the next checkpoint rebuild every leaf. */
static int store_only(const char *a)
{
    static const char *const ok[] = {"checkpoint",    "user_add",     "passwd",      "unlock",
                                     "unlock_local",  "login_failed", "lock",        "login_locked",
                                     "role",          "user_disable", "user_enable", "user_set",
                                     "notify_target", "deliver",      NULL};
    for (int i = 0; ok[i]; i++)
        if (strcmp(a, ok[i]) == 0)
            return 1;
    return 0;
}

typedef struct idlist {
    uint64_t *v;
    size_t n, cap;
} idlist;

static int idl_add(idlist *l, uint64_t x)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        uint64_t *p = capa__realloc(l->v, cap * sizeof *p);
        if (!p)
            return capa_error_set(CAPA_ENOMEM, "case proof: out of memory");
        l->v = p, l->cap = cap;
    }
    l->v[l->n++] = x;
    return CAPA_OK;
}

/* The cases with events in (from, through]; *full when an event there calls for a rebuild. */
static int dirty_since(const evsrc *es, uint64_t from, uint64_t through, idlist *out, int *full)
{
    for (uint64_t seq = from + 1; seq <= through && !*full; seq++) {
        const void *data;
        size_t len;
        capa_event_rec e;
        uint64_t id;
        int err = event_get(es, seq, &data, &len);
        if (err)
            return err;
        if ((err = capa_event__decode(&e, data, len, NULL, NULL)))
            return err;
        if (e.ev.case_number && *e.ev.case_number) {
            if (capa__case_id(es->s, es->txn, e.ev.case_number, &id) == CAPA_OK)
                err = idl_add(out, id);
            else
                *full = 1; /* a case this state does not know: leave nothing stale */
        } else if (!store_only(e.ev.action)) {
            *full = 1;
        }
        capa_event__clear(&e);
        if (err)
            return err;
    }
    return CAPA_OK;
}

static int drop_proof(capa_store *s, MDB_txn *txn)
{
    int rc = mdb_drop(txn, s->dbi[DB_PROOF], 0);
    return rc ? capa_store__mdb_err(rc, "case proof") : CAPA_OK;
}

int capa_proof__update(capa_wtxn *t, const capa_apply_src *src, uint64_t through,
                       capa_proof_roots *out)
{
    capa_store *s = t->s;
    MDB_txn *txn = t->txn;
    evsrc es = {s, txn, src};
    hsh h = {0};
    unsigned char e[CASE_DEPTH + 1][32];
    idlist dirty = {0}, buckets = {0};
    uint64_t from = 0;
    int full = 0, err;
    MDB_val v;
    capa_buf mv = {0};
    empties(&h, e);
    if ((err = h_err(&h)))
        goto done;
    err = capa_store__get(txn, s->dbi[DB_PROOF], "S", 1, &v);
    if (err == CAPA_ENOTFOUND || (!err && v.mv_size != 8) ||
        (!err && capa_get_be64(v.mv_data) > through))
        full = 1, err = CAPA_OK;
    else if (!err)
        from = capa_get_be64(v.mv_data);
    if (err || (!full && (err = dirty_since(&es, from, through, &dirty, &full))))
        goto done;
    if (full) {
        MDB_cursor *cur = NULL;
        MDB_val k;
        dirty.n = 0;
        if ((err = drop_proof(s, txn)))
            goto done;
        int rc = mdb_cursor_open(txn, s->dbi[DB_CASES], &cur);
        for (rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && !err;
             rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
            if (k.mv_size == 8)
                err = idl_add(&dirty, capa_get_be64(k.mv_data));
        if (cur)
            mdb_cursor_close(cur);
        if (!err && rc && rc != MDB_NOTFOUND)
            err = capa_store__mdb_err(rc, "case proof");
        if (err)
            goto done;
    }
    dirty.n = uniq(dirty.v, dirty.n);
    for (size_t i = 0; i < dirty.n && !err; i++) {
        uint64_t id = dirty.v[i];
        unsigned char leaf[64], old[32], np[32], mk[41];
        int present, had = 0, has = 0;
        if ((err = node_get(s, txn, 'c', 0, id, e, leaf)))
            break;
        unsigned char k[11];
        node_key(k, 'c', 0, id);
        if (capa_store__get(txn, s->dbi[DB_PROOF], k, 11, &v) == CAPA_OK && v.mv_size == 64)
            memcpy(old, (unsigned char *)v.mv_data + 32, 32), had = 1;
        if ((err = case_leaf(&es, &h, id, leaf, &present)))
            break;
        capa_hdr hd = {0};
        if (present && (err = capa_hdr__get(s, txn, id, &hd)) != CAPA_OK)
            break;
        has = present && pair_of(&h, &hd, np);
        if ((err = h_err(&h))) {
            capa_hdr_clear(&hd);
            break;
        }
        if (has)
            memcpy(leaf + 32, np, 32);
        err = node_put(s, txn, 'c', 0, id, e, present ? leaf : e[0], has ? 64 : 32);
        mk[0] = 'M';
        capa_be64(mk + 33, id);
        if (!err && had) {
            memcpy(mk + 1, old, 32);
            int d = capa_store__del(txn, s->dbi[DB_PROOF], mk, 41, NULL, 0);
            err = d == CAPA_ENOTFOUND ? CAPA_OK : d;
            if (!err)
                err = idl_add(&buckets, (uint64_t)old[0] << 8 | old[1]);
        }
        if (!err && has) {
            memcpy(mk + 1, np, 32);
            mv.len = 0;
            if (!(err = member_val(&mv, &hd)))
                err = capa_store__put(txn, s->dbi[DB_PROOF], mk, 41, mv.p, mv.len, 0);
            if (!err)
                err = idl_add(&buckets, (uint64_t)np[0] << 8 | np[1]);
        }
        capa_hdr_clear(&hd);
    }
    if (err)
        goto done;
    buckets.n = uniq(buckets.v, buckets.n);
    for (size_t i = 0; i < buckets.n && !err; i++) {
        unsigned char leaf[32];
        int present;
        if (!(err = bucket_leaf(s, txn, &h, buckets.v[i], leaf, &present)))
            err = node_put(s, txn, 'r', 0, buckets.v[i], e, present ? leaf : e[0], 32);
    }
    if (err || (err = tree_update(s, txn, &h, 'c', CASE_DEPTH, e, dirty.v, dirty.n)) ||
        (err = tree_update(s, txn, &h, 'r', RECUR_DEPTH, e, buckets.v, buckets.n)))
        goto done;
    unsigned char sk[8];
    capa_be64(sk, through);
    if ((err = capa_store__put(txn, s->dbi[DB_PROOF], "S", 1, sk, 8, 0)))
        goto done;
    if (out && (!(err = node_get(s, txn, 'c', CASE_DEPTH, 0, e, out->cases)) &&
                !(err = node_get(s, txn, 'r', RECUR_DEPTH, 0, e, out->recur))))
        err = store_leaf(s, txn, &h, out->store);
done:
    capa__free(dirty.v);
    capa__free(buckets.v);
    capa_buf_free(&mv);
    h_free(&h);
    return err;
}

void capa_proof__checkpoint_text(char *buf, size_t sz, const char *seq, const char *head,
                                 const char *cases, const char *recur, const char *store,
                                 int64_t time)
{
    if (!cases)
        snprintf(buf, sz, "capa-checkpoint-v1\n%s\n%s\n%lld\n", seq, head, (long long)time);
    else
        snprintf(buf, sz, "capa-checkpoint-v2\n%s\n%s\n%s\n%s\n%s\n%lld\n", seq, head, cases,
                 recur ? recur : "", store ? store : "", (long long)time);
}

int capa_proof__apply_checkpoint(capa_wtxn *t, const capa_event_rec *e, const capa_apply_src *src)
{
    const char *want[3] = {capa_event__get(e, "ck_cases"), capa_event__get(e, "ck_recur"),
                           capa_event__get(e, "ck_store")};
    static const char *const what[3] = {"case tree root", "recurrence tree root", "store leaf"};
    capa_proof_roots r;
    if (!want[0] && !want[1] && !want[2])
        return CAPA_OK; /* v1: the head only */
    if (!want[0] || !want[1] || !want[2])
        return capa_apply__corrupt(e, "checkpoint: the case proof's roots are incomplete%s%s", "",
                                   "");
    if (!capa_store__has(t->s, DB_PROOF))
        return capa_error_set(CAPA_ERROR, "checkpoint: this store has no proof database (open "
                                          "it writable once)");
    int err = capa_proof__update(t, src, e->ev.seq - 1, &r);
    if (err)
        return err;
    const unsigned char *have[3] = {r.cases, r.recur, r.store};
    for (int i = 0; i < 3; i++) {
        char hex[65];
        capa__hex(hex, have[i], 32);
        if (strcmp(hex, want[i]) != 0)
            return capa_error_set(CAPA_ECORRUPT,
                                  "audit event %llu (checkpoint): it signs %s as the %s, but the "
                                  "state up to it gives %s",
                                  (unsigned long long)e->ev.seq, want[i], what[i], hex);
    }
    return keep_at_checkpoint(t, capa_event__get(e, "ck_keep") != NULL);
}

/* ---- the dossier's check ---- */

typedef struct pcheck {
    capa_store *s;
    MDB_txn *txn;
    hsh h;
    unsigned char e[CASE_DEPTH + 1][32];
    capa_case_proof *out;
} pcheck;

static int why(pcheck *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Not proven this way: the reason kept for the caller, who replays the whole store instead. */
static int why(pcheck *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->out->why, sizeof p->out->why, fmt, ap);
    va_end(ap);
    return 1;
}

/* The checkpoint at `seq` signed with the certificate's key, its chain hash into *h. */
static int check_ck(pcheck *p, uint64_t seq, uint64_t through, const char *cert_path,
                    capa_proof_roots *roots, unsigned char h[32])
{
    unsigned char k[8], prev[32], *body = NULL, *der = NULL, *sig = NULL;
    size_t blen = 0;
    MDB_val v;
    capa_event_rec e;
    EVP_PKEY *pk = NULL, *org = NULL;
    EVP_MD_CTX *md = NULL;
    X509 *x = NULL;
    int r = 0;
    FILE *f = cert_path ? fopen(cert_path, "r") : NULL;
    if (f) {
        x = PEM_read_X509(f, NULL, NULL, NULL);
        fclose(f);
    }
    if (!x || !(org = X509_get_pubkey(x))) {
        X509_free(x);
        return why(p, "no certificate to check the checkpoint against (%s)",
                   cert_path ? cert_path : "none given");
    }
    X509_free(x);
    capa_be64(k, seq);
    if (capa_store__get(p->txn, p->s->dbi[DB_EVENTS], k, 8, &v) != CAPA_OK ||
        capa_event__decode(&e, v.mv_data, v.mv_size, &body, &blen) != CAPA_OK) {
        EVP_PKEY_free(org);
        return why(p, "the checkpoint the case proof names (event %llu) cannot be read",
                   (unsigned long long)seq);
    }
    const char *cs = capa_event__get(&e, "ck_seq"), *ch = capa_event__get(&e, "ck_head"),
               *cc = capa_event__get(&e, "ck_cases"), *cr = capa_event__get(&e, "ck_recur"),
               *cst = capa_event__get(&e, "ck_store"), *cg = capa_event__get(&e, "signature"),
               *ckey = capa_event__get(&e, "key");
    char want_seq[32], text[600];
    snprintf(want_seq, sizeof want_seq, "%llu", (unsigned long long)through);
    if (strcmp(e.ev.action, "checkpoint") != 0 || e.ev.seq != seq || !cs || !ch || !cc || !cr ||
        !cst || !cg || !ckey || strcmp(cs, want_seq) != 0 || strlen(ch) != 64 ||
        capa__unhex(prev, 32, ch) != 0 || capa__unhex(roots->cases, 32, cc) != 0 ||
        capa__unhex(roots->recur, 32, cr) != 0 || capa__unhex(roots->store, 32, cst) != 0) {
        r = why(p, "event %llu is not a checkpoint with a case proof", (unsigned long long)seq);
        goto done;
    }
    capa_event__chain(h, prev, body, blen);
    if (memcmp(h, e.hash, 32) != 0) {
        r = why(p, "checkpoint event %llu does not hash to its stored chain hash",
                (unsigned long long)seq);
        goto done;
    }
    size_t klen = strlen(ckey) / 2, slen = strlen(cg) / 2;
    der = capa__malloc(klen + 1);
    sig = capa__malloc(slen + 1);
    const unsigned char *dp = der;
    capa_proof__checkpoint_text(text, sizeof text, cs, ch, cc, cr, cst, e.ev.time);
    if (!der || !sig || capa__unhex(der, klen, ckey) != 0 || capa__unhex(sig, slen, cg) != 0 ||
        !(pk = d2i_PUBKEY(NULL, &dp, (long)klen)) || !(md = EVP_MD_CTX_new()) ||
        EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pk) != 1 ||
        EVP_DigestVerify(md, sig, slen, (const unsigned char *)text, strlen(text)) != 1) {
        r = why(p, "the signature of checkpoint %llu does not verify", (unsigned long long)seq);
        goto done;
    }
    if (EVP_PKEY_eq(pk, org) != 1) {
        r = why(p, "checkpoint %llu is signed by a key that is not the certificate's (%s)",
                (unsigned long long)seq, cert_path);
        goto done;
    }
done:
    capa_event__clear(&e);
    capa__free(body);
    capa__free(der);
    capa__free(sig);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pk);
    EVP_PKEY_free(org);
    return r;
}

static int mentions(const char *v, const char *part, const char *defect)
{
    return v && ((part && strstr(v, part)) || (defect && strstr(v, defect)));
}

typedef struct member {
    uint64_t id;
    int64_t opened;
    const char *workflow, *number; /* into the record (valid for the read transaction) */
    size_t wl, nl;
} member;

/* The members of pair `ph` from the stored 'M' records. */
static int members_of(pcheck *p, const unsigned char ph[32], member **out, size_t *n)
{
    unsigned char pre[33] = {'M'};
    memcpy(pre + 1, ph, 32);
    MDB_cursor *cur = NULL;
    MDB_val k = {33, pre}, v;
    size_t cap = 0;
    *out = NULL, *n = 0;
    int rc = mdb_cursor_open(p->txn, p->s->dbi[DB_PROOF], &cur);
    if (rc)
        return capa_store__mdb_err(rc, "case proof");
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0 && k.mv_size == 41 && memcmp(k.mv_data, pre, 33) == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const char *val = v.mv_data;
        const char *nul = v.mv_size > 8 ? memchr(val + 8, 0, v.mv_size - 8) : NULL;
        if (!nul)
            continue; /* malformed: its bucket's hash fails the path anyway */
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            member *m = capa__realloc(*out, cap * sizeof *m);
            if (!m) {
                mdb_cursor_close(cur);
                return capa_error_set(CAPA_ENOMEM, "case proof: out of memory");
            }
            *out = m;
        }
        member *m = &(*out)[(*n)++];
        m->id = capa_get_be64((const unsigned char *)k.mv_data + 33);
        m->opened = (int64_t)capa_get_be64(v.mv_data);
        m->workflow = val + 8, m->wl = (size_t)(nul - (val + 8));
        m->number = nul + 1, m->nl = v.mv_size - (size_t)(nul + 1 - val);
    }
    mdb_cursor_close(cur);
    return rc && rc != MDB_NOTFOUND ? capa_store__mdb_err(rc, "case proof") : CAPA_OK;
}

/* The case's leaf from its stored records, checked against the signed case root. */
static int case_holds(pcheck *p, uint64_t id, const unsigned char root[32], int *ok)
{
    evsrc es = {p->s, p->txn, NULL};
    unsigned char leaf[32], r[32];
    int present;
    int err = case_leaf(&es, &p->h, id, leaf, &present);
    if (err == CAPA_ECORRUPT) {
        *ok = 0;
        return CAPA_OK;
    }
    if (!err)
        err =
            tree_path(p->s, p->txn, &p->h, 'c', CASE_DEPTH, p->e, id, present ? leaf : p->e[0], r);
    *ok = !err && present && memcmp(r, root, 32) == 0;
    return err;
}

/* ---- events since the checkpoint ---- */

/* What an event since the checkpoint asks of the dossier's check. */
enum {
    EV_NONE,      /* changes no record the dossier reads */
    EV_SIGNED_IN, /* only what its actor's sign-in changes (a run of failures ended) */
    EV_APPLY      /* replayed whole: the case's own, or one that changes users or definitions */
};

/* An event without a case: what it changes, from its action's apply (core/apply.c,
 * notify.c); NULL with *why set when the dossier cannot follow it and replays the whole
 * store. docs/case-proof.md lists the same. */
static int store_event_kind(const capa_event_rec *e, const char **why)
{
    static const char *const users[] = {
        "user_add", "passwd",       "unlock", "unlock_local", "login_failed",
        "lock",     "login_locked", "role",   "user_disable", "user_enable",
        NULL};
    /* Contacts, notice targets, deliveries: notify.c's databases, which no dossier reads. */
    static const char *const notices[] = {"user_set", "notify_target", "deliver", NULL};
    const char *a = e->ev.action;
    *why = NULL;
    for (int i = 0; users[i]; i++)
        if (strcmp(a, users[i]) == 0)
            return EV_APPLY; /* the users database: printed names */
    for (int i = 0; notices[i]; i++)
        if (strcmp(a, notices[i]) == 0)
            return EV_NONE;
    if (strcmp(a, "form_install") == 0 && e->version >= 2)
        return EV_APPLY; /* the definitions it carries */
    if (strcmp(a, "checkpoint") == 0 && !capa_event__get(e, "ck_cases"))
        return EV_NONE; /* a v1 checkpoint changes nothing */
    if (strcmp(a, "checkpoint") == 0)
        *why = "a checkpoint with a case proof that the proof was not made at";
    else if (strcmp(a, "calendar_install") == 0 || strcmp(a, "config") == 0)
        *why = "a plant setting that may re-plan the limits of every open case";
    else if (strcmp(a, "import_archive") == 0)
        *why = "a case archive taken in";
    else
        *why = "a change of the whole store";
    return EV_NONE;
}

/* The sources the replay takes attested payloads from: the real store, as verify's. */
static int live_cred(void *payload, const char *user, const char *digest, capa_user_rec *out)
{
    pcheck *p = payload;
    return capa_user__stored_cred(p->s, p->txn, user, digest, out);
}

static int live_blob(void *payload, const char *sha256, uint64_t size, const void **data)
{
    pcheck *p = payload;
    return capa_att__stored_blob(p->s, p->txn, sha256, size, data);
}

static int live_event(void *payload, uint64_t seq, const void **data, size_t *len)
{
    pcheck *p = payload;
    unsigned char k[8];
    MDB_val v;
    capa_be64(k, seq);
    int err = capa_store__get(p->txn, p->s->dbi[DB_EVENTS], k, 8, &v);
    if (!err)
        *data = v.mv_data, *len = v.mv_size;
    return err;
}

static int seed_store_fn(void *arg, int db, const MDB_val *k, const MDB_val *v)
{
    capa_wtxn *t = arg;
    return k ? capa_store__put(t->txn, t->s->dbi[db], k->mv_data, k->mv_size, v->mv_data,
                               v->mv_size, 0)
             : CAPA_OK;
}

/* The scratch seeded with the store's records as checkpoint ck signed them ('R') and, for
 * case `id` (0: none), the case's (its image), its number and the index entries its header
 * implies (apply moves them). */
static int seed(pcheck *p, capa_wtxn *t, uint64_t id, const MDB_val *img)
{
    MDB_cursor *cur = NULL;
    unsigned char pre[1] = {'R'};
    MDB_val k = {1, pre}, v;
    int err = CAPA_OK, rc = mdb_cursor_open(p->txn, p->s->dbi[DB_PROOF], &cur);
    for (rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0 && !err && k.mv_size >= 2 && *(unsigned char *)k.mv_data == 'R';
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        int db = ((unsigned char *)k.mv_data)[1];
        MDB_val rk = {k.mv_size - 2, (unsigned char *)k.mv_data + 2};
        if (db != DB_META && db != DB_USERS && db != DB_FORMS)
            err = capa_error_set(CAPA_ECORRUPT, "case proof: a kept record of database %d", db);
        else
            err = seed_store_fn(t, db, &rk, &v);
    }
    if (cur)
        mdb_cursor_close(cur);
    if (!err && rc && rc != MDB_NOTFOUND)
        err = capa_store__mdb_err(rc, "case proof");
    if (err || !id)
        return err;
    size_t pos = 0;
    int db;
    while (!(err = image_next(img->mv_data, img->mv_size, &pos, &db, &k, &v)))
        err = seed_store_fn(t, db, &k, &v);
    if (err != CAPA_ENOTFOUND)
        return err;
    capa_hdr h = {0};
    unsigned char kid[8];
    capa_be64(kid, id);
    if ((err = capa_hdr__get(t->s, t->txn, id, &h)))
        return err;
    if (!h.number)
        err = capa_error_set(CAPA_ECORRUPT, "case proof: a kept header without a number");
    if (!err)
        err = capa_store__put(t->txn, t->s->dbi[DB_NUMBERS], h.number, strlen(h.number), kid, 8, 0);
    if (!err)
        err = capa_index__put_case(t->s, t->txn, &h);
    capa_hdr_clear(&h);
    return err;
}

/* The events since checkpoint ck replayed through apply on top of what it signed: the
 * store's records, and the records of case `id` (0: none of the case's own). Then the
 * store's users, definitions and meta values, and the case's records, must be what that
 * replay makes. */
static int replay_since(pcheck *p, uint64_t ck, uint64_t hseq, const unsigned char *cls,
                        uint64_t id, const char *number, const capa_proof_roots *roots)
{
    capa_store *s = p->s, *sc = NULL;
    MDB_txn *stx = NULL;
    MDB_val img = {0, NULL}, v;
    unsigned char kp[9] = {'P'}, a[32], b[32];
    char dir[4200] = "";
    int err, r = 0, present, pa, pb;
    if (capa_store__get(p->txn, s->dbi[DB_PROOF], "K", 1, &v) != CAPA_OK)
        return why(p,
                   "checkpoint %llu keeps no records to replay the events since on (made by "
                   "an earlier capa; run `capa checkpoint`)",
                   (unsigned long long)ck);
    if ((err = kept_store_leaf(s, p->txn, &p->h, a)))
        return err;
    if (memcmp(a, roots->store, 32) != 0)
        return why(p,
                   "the store's records kept with checkpoint %llu do not hash to its store "
                   "leaf",
                   (unsigned long long)ck);
    if (id) {
        capa_be64(kp + 1, id);
        err = capa_store__get(p->txn, s->dbi[DB_PROOF], kp, 9, &img);
        if (err == CAPA_ENOTFOUND)
            return why(p, "case %s: its records as of checkpoint %llu are not kept", number,
                       (unsigned long long)ck);
        evsrc es = {s, p->txn, NULL};
        if (err || (err = image_leaf(&es, &p->h, id, &img, a, &present)) ||
            (err =
                 tree_path(s, p->txn, &p->h, 'c', CASE_DEPTH, p->e, id, present ? a : p->e[0], b)))
            return err == CAPA_ECORRUPT ? why(p, "%s", capa_error_last()) : err;
        if (!present || memcmp(b, roots->cases, 32) != 0)
            return why(p,
                       "case %s: its records kept as of checkpoint %llu do not hash to the "
                       "case proof",
                       number, (unsigned long long)ck);
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/capa-proof-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        r = why(p, "scratch directory %s: %s", dir, strerror(errno));
        dir[0] = 0;
        goto done;
    }
    if ((err = capa_store__open_scratch(&sc, dir, (size_t)1 << 30))) {
        err = capa_store__scratch_fail(dir, err);
        goto done;
    }
    int rc = mdb_txn_begin(sc->env, NULL, 0, &stx);
    if (rc) {
        err = capa_store__scratch_fail(dir, capa_store__mdb_err(rc, "case proof: scratch"));
        goto done;
    }
    capa_wtxn t = {.s = sc, .txn = stx};
    capa_apply_src src = {live_cred, NULL, p, live_blob, live_event};
    if ((err = seed(p, &t, id, &img))) {
        if (err == CAPA_ECORRUPT)
            err = CAPA_OK, r = why(p, "%s", capa_error_last());
        goto done;
    }
    for (uint64_t seq = ck + 1; seq <= hseq && !r && !err; seq++) {
        unsigned char k[8];
        capa_event_rec e;
        if (cls[seq - ck - 1] == EV_NONE)
            continue;
        capa_be64(k, seq);
        if ((err = capa_store__get(p->txn, s->dbi[DB_EVENTS], k, 8, &v)) ||
            (err = capa_event__decode(&e, v.mv_data, v.mv_size, NULL, NULL)))
            break;
        t.now = e.ev.time;
        err = cls[seq - ck - 1] == EV_APPLY ? capa_apply__event(&t, &e, &src)
                                            : capa_apply__signed_in(&t, &e);
        if (err && err != CAPA_ENOMEM) {
            r = why(p,
                    "audit event %llu (%s) does not replay on the records checkpoint %llu "
                    "signed: %s",
                    (unsigned long long)seq, e.ev.action, (unsigned long long)ck,
                    capa_error_last());
            err = CAPA_OK;
        }
        capa_event__clear(&e);
    }
    if (r || err)
        goto done;
    if ((err = store_leaf(sc, stx, &p->h, a)) || (err = store_leaf(s, p->txn, &p->h, b)))
        goto done;
    if (memcmp(a, b, 32) != 0) {
        r = why(p,
                "the store's meta values, users or definitions differ from what checkpoint "
                "%llu and the events since make",
                (unsigned long long)ck);
        goto done;
    }
    if (id) {
        evsrc ea = {sc, stx, &src}, eb = {s, p->txn, NULL};
        if ((err = case_leaf(&ea, &p->h, id, a, &pa)) ||
            (err = case_leaf(&eb, &p->h, id, b, &pb))) {
            if (err == CAPA_ECORRUPT)
                err = CAPA_OK, r = why(p, "%s", capa_error_last());
            goto done;
        }
        if (!pa || !pb || memcmp(a, b, 32) != 0)
            r = why(p,
                    "case %s: its records differ from what its records of checkpoint %llu "
                    "and its events since make",
                    number, (unsigned long long)ck);
    }
done:
    if (stx)
        mdb_txn_abort(stx);
    if (sc)
        capa_store_close(sc);
    if (*dir) {
        char path[4300];
        snprintf(path, sizeof path, "%s/data.mdb", dir);
        unlink(path);
        snprintf(path, sizeof path, "%s/lock.mdb", dir);
        unlink(path);
        rmdir(dir);
    }
    return err ? err : r;
}

static int prove(pcheck *p, const char *number, const char *cert_path)
{
    capa_store *s = p->s;
    MDB_txn *txn = p->txn;
    MDB_val v;
    capa_proof_roots roots;
    unsigned char h[32], hhash[32], k[8];
    uint64_t hseq, id;
    capa_hdr hd = {0};
    member *mem = NULL;
    size_t n_mem = 0;
    uint64_t *ids = NULL;
    size_t n_ids = 0;
    unsigned char *cls = NULL;
    int r = 0, err, ok;
    if (!capa_store__has(s, DB_PROOF) ||
        capa_store__get(txn, s->dbi[DB_PROOF], "S", 1, &v) != CAPA_OK || v.mv_size != 8)
        return why(p, "no checkpoint with a case proof (run `capa checkpoint`)");
    uint64_t through = capa_get_be64(v.mv_data), ck = through + 1;
    if ((r = check_ck(p, ck, through, cert_path, &roots, h)))
        return r;
    p->out->ck_seq = ck;
    if ((err = capa_event__head(s, txn, &hseq, hhash)))
        return err == CAPA_ECORRUPT ? why(p, "the chain head record cannot be read") : err;
    if (hseq < ck)
        return why(p, "the chain head (%llu) is before the checkpoint (%llu)",
                   (unsigned long long)hseq, (unsigned long long)ck);
    if (hseq - ck > SEGMENT_MAX)
        return why(p, "%llu events since checkpoint %llu, more than %d (run `capa checkpoint`)",
                   (unsigned long long)(hseq - ck), (unsigned long long)ck, SEGMENT_MAX);
    if ((err = capa__case_id(s, txn, number, &id)))
        return err == CAPA_ENOTFOUND ? why(p, "case %s is not in the store", number) : err;
    if ((err = capa_hdr__get(s, txn, id, &hd)))
        return err == CAPA_ENOMEM ? err : why(p, "case %s: its header cannot be read", number);
    if (!hd.number || strcmp(hd.number, number) != 0) {
        r = why(p, "case %s: the number leads to the header of %s", number,
                hd.number ? hd.number : "(none)");
        goto done;
    }
    const char *part = hd.part_no && *hd.part_no && hd.defect_code && *hd.defect_code ? hd.part_no
                                                                                      : NULL,
               *defect = part ? hd.defect_code : NULL;
    unsigned char ph[32];
    if (part) {
        pair_of(&p->h, &hd, ph);
        if ((err = members_of(p, ph, &mem, &n_mem)))
            goto done;
    }
    /* The segment: every event from the checkpoint to the head, chain-hashed, and what each
     * asks of the check (cls). */
    size_t n_mine = 0, n_apply = 0, n_signed_in = 0;
    if (!(cls = capa__calloc(hseq - ck + 1, 1))) {
        err = capa_error_set(CAPA_ENOMEM, "case proof: out of memory");
        goto done;
    }
    for (uint64_t seq = ck + 1; seq <= hseq && !r; seq++) {
        unsigned char *body = NULL;
        size_t blen = 0;
        capa_event_rec e;
        const char *hard = NULL;
        capa_be64(k, seq);
        if (capa_store__get(txn, s->dbi[DB_EVENTS], k, 8, &v) != CAPA_OK ||
            capa_event__decode(&e, v.mv_data, v.mv_size, &body, &blen) != CAPA_OK) {
            r = why(p, "audit event %llu after the checkpoint cannot be read",
                    (unsigned long long)seq);
            break;
        }
        capa_event__chain(h, h, body, blen);
        capa__free(body);
        const char *cn = e.ev.case_number;
        int c = EV_NONE, own = cn && strcmp(cn, number) == 0;
        if (memcmp(h, e.hash, 32) != 0 || e.ev.seq != seq) {
            r = why(p, "audit event %llu: the chain from checkpoint %llu breaks there",
                    (unsigned long long)seq, (unsigned long long)ck);
        } else if (own && (strcmp(e.ev.action, "open") == 0 || strcmp(e.ev.action, "import") == 0 ||
                           strcmp(e.ev.action, "import_archive") == 0)) {
            r = why(p, "case %s was opened after checkpoint %llu (event %llu)", number,
                    (unsigned long long)ck, (unsigned long long)seq);
        } else if (own) {
            c = EV_APPLY, n_mine++; /* replayed on its records of the checkpoint */
        } else if (!cn || !*cn) {
            c = store_event_kind(&e, &hard);
            if (hard)
                r = why(p, "audit event %llu (%s) after checkpoint %llu: %s",
                        (unsigned long long)seq, e.ev.action, (unsigned long long)ck, hard);
            n_apply += c == EV_APPLY;
        } else if (strcmp(e.ev.action, "import_archive") == 0) {
            r = why(p, "audit event %llu (%s) after checkpoint %llu: a case archive taken in",
                    (unsigned long long)seq, e.ev.action, (unsigned long long)ck);
        }
        /* Another case's event: nothing of it is printed unless it is a recurrence of this
         * case's, now or by what it changes. */
        for (size_t i = 0; !r && !own && cn && part && i < n_mem; i++)
            if (mem[i].nl == strlen(cn) && memcmp(mem[i].number, cn, mem[i].nl) == 0)
                r = why(p,
                        "case %s, of the same part and defect, has events after checkpoint "
                        "%llu",
                        cn, (unsigned long long)ck);
        for (size_t i = 0; !r && !own && part && i < e.n_changes; i++)
            if (mentions(e.changes[i].old_value, part, defect) ||
                mentions(e.changes[i].new_value, part, defect))
                r = why(p,
                        "audit event %llu after checkpoint %llu names this case's part or "
                        "defect",
                        (unsigned long long)seq, (unsigned long long)ck);
        for (size_t i = 0; !r && !own && part && i < e.n_facts; i++)
            if (mentions(e.facts[i].value, part, defect))
                r = why(p,
                        "audit event %llu after checkpoint %llu names this case's part or "
                        "defect",
                        (unsigned long long)seq, (unsigned long long)ck);
        /* Whatever is not replayed whole still ends its actor's run of failed sign-ins. */
        if (c == EV_NONE && capa__event_authenticated(&e))
            c = EV_SIGNED_IN, n_signed_in++;
        cls[seq - ck - 1] = (unsigned char)c;
        capa_event__clear(&e);
    }
    if (r)
        goto done;
    capa_be64(k, hseq + 1);
    if (memcmp(h, hhash, 32) != 0 ||
        capa_store__get(txn, s->dbi[DB_EVENTS], k, 8, &v) != CAPA_ENOTFOUND) {
        r = why(p, "the chain from checkpoint %llu does not end at the stored head",
                (unsigned long long)ck);
        goto done;
    }
    /* The case's records, its events' records, against the signed case root: as stored
     * when it has no events since; else as kept when it was first changed since, with its
     * events since replayed on them (replay_since). */
    if (!n_mine) {
        if ((err = case_holds(p, id, roots.cases, &ok)))
            goto done;
        if (!ok) {
            r = why(p, "case %s: its records do not hash to the case proof of checkpoint %llu",
                    number, (unsigned long long)ck);
            goto done;
        }
    }
    /* The store's records: as signed, or as the events since make them from those. */
    unsigned char sl[32];
    if ((err = store_leaf(s, txn, &p->h, sl)))
        goto done;
    if (n_mine || n_apply || (n_signed_in && memcmp(sl, roots.store, 32) != 0)) {
        if ((r = replay_since(p, ck, hseq, cls, n_mine ? id : 0, number, &roots)))
            goto done;
    } else if (memcmp(sl, roots.store, 32) != 0) {
        r = why(p, "the store's meta values, users or definitions differ from checkpoint %llu",
                (unsigned long long)ck);
        goto done;
    }
    if (!part)
        goto done; /* no recurrence to state */
    /* 再发: the pair's members against the signed recurrence root, the answer made from the
     * stored indexes against them, and each recurrent case against the case root. */
    unsigned char bl[32], rr[32];
    int present;
    uint64_t bucket = (uint64_t)ph[0] << 8 | ph[1];
    if ((err = bucket_leaf(s, txn, &p->h, bucket, bl, &present)) ||
        (err =
             tree_path(s, txn, &p->h, 'r', RECUR_DEPTH, p->e, bucket, present ? bl : p->e[0], rr)))
        goto done;
    if (memcmp(rr, roots.recur, 32) != 0) {
        r = why(p,
                "the cases of part %s and defect %s do not hash to the recurrence proof of "
                "checkpoint %llu",
                part, defect, (unsigned long long)ck);
        goto done;
    }
    int days;
    if ((err = capa_recur__days(s, txn, &days)) ||
        (err = capa_recur__of(&ids, NULL, &n_ids, s, txn, &hd, days, 0)))
        goto done;
    int64_t from = hd.opened - (int64_t)days * 86400000;
    size_t want = 0;
    for (size_t i = 0; i < n_mem; i++) {
        member *m = &mem[i];
        size_t hw = hd.workflow ? strlen(hd.workflow) : 0;
        int yes = days > 0 && m->id != id &&
                  (m->opened < hd.opened || (m->opened == hd.opened && m->id < id)) &&
                  m->opened >= from && m->wl == hw &&
                  (!hw || memcmp(m->workflow, hd.workflow, hw) == 0);
        if (!yes)
            continue;
        int found = 0;
        for (size_t j = 0; j < n_ids && !found; j++)
            found = ids[j] == m->id;
        if (!found) {
            r = why(p, "the recurrence answer read from the indexes leaves out case %.*s",
                    (int)m->nl, m->number);
            goto done;
        }
        want++;
        if ((err = case_holds(p, m->id, roots.cases, &ok)))
            goto done;
        if (!ok) {
            r = why(p, "recurrent case %.*s: its records do not hash to the case proof", (int)m->nl,
                    m->number);
            goto done;
        }
    }
    if (want != n_ids)
        r = why(p, "the recurrence answer read from the indexes names a case the proof does not");
done:
    capa_hdr_clear(&hd);
    capa__free(mem);
    capa__free(ids);
    capa__free(cls);
    return err ? err : r;
}

int capa_case_proof_check(capa_store *s, const char *number, const char *cert_path,
                          capa_case_proof *out)
{
    pcheck p = {.s = s, .out = out};
    memset(out, 0, sizeof *out);
    int err = capa_store__read_begin(s, &p.txn);
    if (err)
        return err;
    empties(&p.h, p.e);
    int r = h_err(&p.h) ? CAPA_ENOMEM : prove(&p, number, cert_path);
    capa_store__read_end(s, p.txn);
    h_free(&p.h);
    if (r == CAPA_ENOMEM)
        return r;
    if (r < 0) /* a record the check could not read: the full replay names it */
        why(&p, "%s", capa_error_last());
    out->fast = r == 0;
    return CAPA_OK;
}
