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

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "recurrence.h"

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

/* Leaf of case `id`: every record of the case (content, compressed or not) and the digest of
 * each of its event records. *present 0 when the case has no header. */
static int case_leaf(const evsrc *es, hsh *h, uint64_t id, unsigned char leaf[32], int *present)
{
    capa_store *s = es->s;
    unsigned char kid[8], dg[32];
    MDB_cursor *cur = NULL;
    int err = CAPA_OK, rc;
    capa_be64(kid, id);
    *present = 0;
    MDB_val hv;
    if ((err = capa_store__get(es->txn, s->dbi[DB_CASES], kid, 8, &hv)) == CAPA_ENOTFOUND)
        return CAPA_OK;
    if (err)
        return err;
    *present = 1;
    hsh eh = {0};
    h_begin(h, 0x01);
    h_add(h, kid, 8);
    for (size_t d = 0; d < sizeof case_dbs / sizeof *case_dbs && !err; d++) {
        int db = case_dbs[d];
        unsigned char tag = (unsigned char)db;
        h_add(h, &tag, 1);
        if (!capa_store__has(s, db))
            continue;
        if ((rc = mdb_cursor_open(es->txn, s->dbi[db], &cur))) {
            err = capa_store__mdb_err(rc, "case proof");
            break;
        }
        MDB_val k = {8, kid}, v;
        for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
             rc == 0 && k.mv_size >= 8 && memcmp(k.mv_data, kid, 8) == 0;
             rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            if ((err = h_record(h, &k, &v)))
                break;
            if (db == DB_CASE_EVENTS && v.mv_size == 8) {
                const void *ev;
                size_t evlen;
                if ((err = event_get(es, capa_get_be64(v.mv_data), &ev, &evlen))) {
                    if (err == CAPA_ENOTFOUND)
                        err = capa_error_set(CAPA_ECORRUPT,
                                             "case proof: case id %llu: event "
                                             "%llu is linked but not stored",
                                             (unsigned long long)id,
                                             (unsigned long long)capa_get_be64(v.mv_data));
                    break;
                }
                h_begin(&eh, 0x06);
                h_add(&eh, ev, evlen);
                h_end(&eh, dg);
                h_add(h, dg, 32);
            }
        }
        if (!err && rc && rc != MDB_NOTFOUND)
            err = capa_store__mdb_err(rc, "case proof");
        mdb_cursor_close(cur);
        cur = NULL;
    }
    h_end(h, leaf);
    if (!err)
        err = h_err(&eh);
    h_free(&eh);
    return err ? err : h_err(h);
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

/* The store leaf: the meta values outputs print or compute with, every user, every stored
 * definition (forms, workflows, calendars). */
static int store_leaf(capa_store *s, MDB_txn *txn, hsh *h, unsigned char out[32])
{
    static const int dbs[] = {DB_META, DB_USERS, DB_FORMS};
    int err = CAPA_OK;
    h_begin(h, 0x03);
    for (size_t d = 0; d < 3 && !err; d++) {
        MDB_cursor *cur = NULL;
        MDB_val k, v;
        unsigned char tag = (unsigned char)dbs[d];
        h_add(h, &tag, 1);
        int rc = mdb_cursor_open(txn, s->dbi[dbs[d]], &cur);
        if (rc)
            return capa_store__mdb_err(rc, "case proof");
        for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && !err;
             rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            if (dbs[d] == DB_META && store_meta_skipped(&k))
                continue;
            if ((err = h_record(h, &k, &v)))
                break;
        }
        if (!err && rc && rc != MDB_NOTFOUND)
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
    return CAPA_OK;
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
    /* The segment: every event from the checkpoint to the head, chain-hashed. */
    for (uint64_t seq = ck + 1; seq <= hseq && !r; seq++) {
        unsigned char *body = NULL;
        size_t blen = 0;
        capa_event_rec e;
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
        if (memcmp(h, e.hash, 32) != 0 || e.ev.seq != seq)
            r = why(p, "audit event %llu: the chain from checkpoint %llu breaks there",
                    (unsigned long long)seq, (unsigned long long)ck);
        else if (!cn || !*cn)
            r = why(p, "audit event %llu (%s) after checkpoint %llu concerns the whole store",
                    (unsigned long long)seq, e.ev.action, (unsigned long long)ck);
        else if (strcmp(cn, number) == 0)
            r = why(p, "case %s has events after checkpoint %llu (event %llu)", number,
                    (unsigned long long)ck, (unsigned long long)seq);
        for (size_t i = 0; !r && part && i < n_mem; i++)
            if (mem[i].nl == strlen(cn) && memcmp(mem[i].number, cn, mem[i].nl) == 0)
                r = why(p,
                        "case %s, of the same part and defect, has events after checkpoint "
                        "%llu",
                        cn, (unsigned long long)ck);
        for (size_t i = 0; !r && part && i < e.n_changes; i++)
            if (mentions(e.changes[i].old_value, part, defect) ||
                mentions(e.changes[i].new_value, part, defect))
                r = why(p,
                        "audit event %llu after checkpoint %llu names this case's part or "
                        "defect",
                        (unsigned long long)seq, (unsigned long long)ck);
        for (size_t i = 0; !r && part && i < e.n_facts; i++)
            if (mentions(e.facts[i].value, part, defect))
                r = why(p,
                        "audit event %llu after checkpoint %llu names this case's part or "
                        "defect",
                        (unsigned long long)seq, (unsigned long long)ck);
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
    /* The case's records, its events' records, against the signed case root. */
    if ((err = case_holds(p, id, roots.cases, &ok)))
        goto done;
    if (!ok) {
        r = why(p, "case %s: its records do not hash to the case proof of checkpoint %llu", number,
                (unsigned long long)ck);
        goto done;
    }
    unsigned char sl[32];
    if ((err = store_leaf(s, txn, &p->h, sl)))
        goto done;
    if (memcmp(sl, roots.store, 32) != 0) {
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
