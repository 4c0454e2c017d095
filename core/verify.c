/*
 * verify.c - `capa verify`: the chain walked, anchors and checkpoints checked, every event
 * replayed through capa_apply__event into a scratch store, and every record of every named
 * database compared with the replayed one, both ways (a stored record no event explains, an
 * expected record missing, a record that differs - field by field where the record kind is
 * known). Databases named volatile_* hold nothing an auditor relies on and are skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "apply.h"
#include "attach.h"
#include "caseproof.h"
#include "codec.h"
#include "event.h"
#include "index.h"
#include "record.h"
#include "users.h"
#include "verify.h"

#define DEFAULT_KEEP 1000
#define REPLAY_BATCH 20000 /* events per scratch transaction (LMDB's dirty-page limit) */

typedef struct vctx {
    capa_store *s, *scratch;
    MDB_txn *txn;  /* read snapshot of the real store */
    MDB_txn *txn2; /* the same snapshot, for a second thread (the chain reader, a compare) */
    MDB_txn *stxn; /* scratch transaction (write during replay, read during compare) */
    /* The index databases (idx_stage, idx_customer, idx_part, idx_defect, idx_opened,
     * idx_due) are replayed into sorted runs on a thread of their own (ix); this scratch
     * holds only idx_due as the runs have it when a calendar or zone change reads it. */
    capa_store *scratch_ix;
    struct capa_defer *ix; /* the index entries' sorted runs (see ix_main) */
    const char *dir;       /* the scratch directory (the runs' files go there) */
    const capa_verify_opts *o;
    capa_verify_report *r;
    size_t keep;
    EVP_PKEY *org_key;
    int oom; /* an allocation failed: the report would be incomplete */
    /* What failed: reading the real store (through the apply sources) or writing the scratch
     * (its file system full, say), whose directory the message then names. */
    int src_err, scratch_err;
    uint64_t format; /* of the store verified: format 1 headers had no statistics part */
    /* A format-1 store (checked before `capa upgrade`) has none of the records derived
     * since: the limits in headers, idx_due and the outbox are not compared. */
    int legacy;
} vctx;

/* ---- the report ---- */

static char *dupn(const char *s)
{
    return s ? capa__strdup(s) : NULL;
}

static void add(vctx *v, const char *number, const char *db, const char *record, const char *field,
                const char *stored, const char *expected, uint64_t seq, const char *fmt, ...)
    __attribute__((format(printf, 9, 10)));

static void add(vctx *v, const char *number, const char *db, const char *record, const char *field,
                const char *stored, const char *expected, uint64_t seq, const char *fmt, ...)
{
    capa_verify_report *r = v->r;
    r->ok = 0;
    r->n_total++;
    if (r->n_mismatches >= v->keep)
        return;
    capa_mismatch *m = capa__realloc(r->mismatches, (r->n_mismatches + 1) * sizeof *m);
    if (!m) {
        v->oom = 1;
        return;
    }
    r->mismatches = m;
    m = &m[r->n_mismatches];
    memset(m, 0, sizeof *m);
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    m->case_number = dupn(number);
    m->db = dupn(db);
    m->record = dupn(record);
    m->field = dupn(field);
    m->stored = dupn(stored);
    m->expected = dupn(expected);
    m->seq = seq;
    m->message = dupn(msg);
    if (!m->message || (number && !m->case_number) || !m->db)
        v->oom = 1;
    r->n_mismatches++;
}

void capa_verify_report_free(capa_verify_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_mismatches; i++) {
        capa_mismatch *m = &r->mismatches[i];
        capa__free(m->case_number);
        capa__free(m->db);
        capa__free(m->record);
        capa__free(m->field);
        capa__free(m->stored);
        capa__free(m->expected);
        capa__free(m->message);
    }
    capa__free(r->mismatches);
    for (size_t i = 0; i < r->n_skipped; i++)
        capa__free(r->skipped[i]);
    capa__free(r->skipped);
    capa__free(r);
}

/* ---- anchors ---- */

int capa_anchor_parse(capa_anchor *out, const char *token)
{
    unsigned char h[32];
    char *end = NULL;
    memset(out, 0, sizeof *out);
    if (!token || !*token)
        return capa_error_set(CAPA_EINVALID, "anchor: empty; an anchor is SEQ:HEX");
    errno = 0;
    unsigned long long seq = strtoull(token, &end, 10);
    if (errno || end == token || *end != ':' || seq == 0 || capa__unhex(h, 32, end + 1) != 0)
        return capa_error_set(CAPA_EINVALID,
                              "anchor '%.100s': must be SEQ:HEX (an event number, a colon and "
                              "64 lower-case hex digits), as `capa anchor` prints",
                              token);
    out->seq = seq;
    memcpy(out->head, end + 1, 65);
    return CAPA_OK;
}

int capa_anchor_current(char *buf, size_t sz, capa_store *s)
{
    MDB_txn *txn = NULL;
    uint64_t seq;
    unsigned char h[32];
    char hex[65];
    int err = capa_store__read_begin(s, &txn);
    if (err)
        return err;
    if (!(err = capa_store__require_any_format(s, txn, NULL)) &&
        !(err = capa_event__head(s, txn, &seq, h))) {
        capa__hex(hex, h, 32);
        snprintf(buf, sz, "%llu:%s", (unsigned long long)seq, hex);
    }
    capa_store__read_end(s, txn);
    return err;
}

/* ---- the sources replay takes attested payloads from: the real store ---- */

static int real_cred(void *payload, const char *user, const char *digest, capa_user_rec *out)
{
    vctx *v = payload;
    int err = capa_user__stored_cred(v->s, v->txn, user, digest, out);
    if (err)
        v->src_err = 1;
    return err;
}

static int real_def(void *payload, const char *id, int version, char **xml, size_t *len)
{
    vctx *v = payload;
    unsigned char key[256];
    size_t n = strlen(id);
    MDB_val val;
    *xml = NULL;
    if (n + 5 > sizeof key)
        return CAPA_ENOTFOUND;
    memcpy(key, id, n);
    key[n] = 0;
    capa_be32(key + n + 1, (uint32_t)version);
    int err = capa_store__get(v->txn, v->s->dbi[DB_FORMS], key, n + 5, &val);
    if (err && err != CAPA_ENOTFOUND)
        v->src_err = 1;
    if (err)
        return err;
    if (!(*xml = capa__strndup(val.mv_data, val.mv_size)))
        return capa_error_set(CAPA_ENOMEM, "verify: out of memory");
    *len = val.mv_size;
    return CAPA_OK;
}

/* The stored content of an attachment, when it still hashes to what the event says: a
 * changed byte leaves the replayed store without it, and the comparison names it. */
static int real_blob(void *payload, const char *sha256, uint64_t size, const void **data)
{
    vctx *v = payload;
    int err = capa_att__stored_blob(v->s, v->txn, sha256, size, data);
    if (err)
        v->src_err = 1;
    return err;
}

/* The stored record of an event, for the case proof a v2 checkpoint makes (caseproof.c). */
static int real_event(void *payload, uint64_t seq, const void **data, size_t *len)
{
    vctx *v = payload;
    unsigned char k[8];
    MDB_val val;
    capa_be64(k, seq);
    int err = capa_store__get(v->txn, v->s->dbi[DB_EVENTS], k, 8, &val);
    if (err && err != CAPA_ENOTFOUND)
        v->src_err = 1;
    if (!err)
        *data = val.mv_data, *len = val.mv_size;
    return err;
}

/* ---- checkpoints ---- */

static void check_checkpoint(vctx *v, const capa_event_rec *e, const unsigned char prev[32])
{
    const char *seq = capa_event__get(e, "ck_seq"), *head = capa_event__get(e, "ck_head"),
               *sig = capa_event__get(e, "signature"), *key = capa_event__get(e, "key");
    char prev_hex[65], text[600], expect_seq[32];
    unsigned char *der = NULL, *sigb = NULL;
    EVP_PKEY *pk = NULL;
    EVP_MD_CTX *md = NULL;
    v->r->n_checkpoints++;
    capa__hex(prev_hex, prev, 32);
    snprintf(expect_seq, sizeof expect_seq, "%llu", (unsigned long long)(e->ev.seq - 1));
    if (!seq || !head || !sig || !key || strcmp(seq, expect_seq) != 0 ||
        strcmp(head, prev_hex) != 0) {
        add(v, NULL, "events", "checkpoint", "head", head, prev_hex, e->ev.seq,
            "audit event %llu: checkpoint: it names %s:%s, but the chain before it is %s:%s",
            (unsigned long long)e->ev.seq, seq ? seq : "?", head ? head : "?", expect_seq,
            prev_hex);
        return;
    }
    size_t klen = strlen(key) / 2, slen = strlen(sig) / 2;
    der = capa__malloc(klen + 1);
    sigb = capa__malloc(slen + 1);
    const unsigned char *p = der;
    int ok = der && sigb && capa__unhex(der, klen, key) == 0 && capa__unhex(sigb, slen, sig) == 0 &&
             (pk = d2i_PUBKEY(NULL, &p, (long)klen));
    capa_proof__checkpoint_text(text, sizeof text, seq, head, capa_event__get(e, "ck_cases"),
                                capa_event__get(e, "ck_recur"), capa_event__get(e, "ck_store"),
                                e->ev.time);
    ok = ok && (md = EVP_MD_CTX_new()) &&
         EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pk) == 1 &&
         EVP_DigestVerify(md, sigb, slen, (const unsigned char *)text, strlen(text)) == 1;
    if (!ok)
        add(v, NULL, "events", "checkpoint", "signature", NULL, NULL, e->ev.seq,
            "audit event %llu: checkpoint: the signature over %s:%s does not verify",
            (unsigned long long)e->ev.seq, seq, head);
    else if (v->org_key && EVP_PKEY_eq(pk, v->org_key) != 1)
        add(v, NULL, "events", "checkpoint", "key", NULL, NULL, e->ev.seq,
            "audit event %llu: checkpoint: signed by a key that is not the organisation's "
            "(certificate %s)",
            (unsigned long long)e->ev.seq, v->o->cert_path);
    else if (!v->org_key && v->o && v->o->cert_required)
        /* Anyone can sign a checkpoint with a key of their own and name that key in it: only
         * a certificate from outside the event says whose key it must be. */
        add(v, NULL, "events", "checkpoint", "key", NULL, NULL, e->ev.seq,
            "audit event %llu: checkpoint over %s:%s: not checked: no certificate to check "
            "its signing key against",
            (unsigned long long)e->ev.seq, seq, head);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pk);
    capa__free(der);
    capa__free(sigb);
}

/* ---- walking the chain and replaying it ---- */

static int scratch_err(vctx *v, int rc)
{
    v->scratch_err = 1;
    return capa_store__mdb_err(rc, "write failed");
}

static int scratch_commit(vctx *v, int reopen)
{
    capa_store__def_memo(v->scratch, NULL); /* before the transaction ends */
    capa_store__cursor_memo(NULL);
    int rc = mdb_txn_commit(v->stxn);
    v->stxn = NULL;
    if (rc)
        return scratch_err(v, rc);
    if (!reopen)
        return CAPA_OK;
    rc = mdb_txn_begin(v->scratch->env, NULL, 0, &v->stxn);
    if (rc)
        return scratch_err(v, rc);
    /* One writer replays into it: load_def may remember the definitions it found. */
    capa_store__def_memo(v->scratch, v->stxn);
    capa_store__cursor_memo(v->stxn);
    return CAPA_OK;
}

/* ---- index entries: sorted runs on a thread of their own ---- */

/* Apply only ever writes the five index databases below and idx_due (through index.c): only
 * a calendar or time zone change reads idx_due (limits_replan, through capa_defer__read).
 * So during the replay their puts and deletes are queued, in order, to a thread of their own,
 * off the apply loop. That thread does not build a B-tree of them (an LMDB put per entry was
 * ~2 500 instructions, 9 M of them at 1 M cases): it gathers them in an arena, and when the
 * arena is full sorts it into a run (each entry once, as the last operation on it in the
 * arena left it: put or deleted) written to a file of the scratch directory. The compare
 * merges the runs of a database (the newest run's word on an entry wins; a deleted entry is
 * no entry) against the stored database's cursor. At most IX_SLOTS chunks are in flight and
 * one arena is held: memory is bounded whatever the store's size; a file system without room
 * for a run fails verify naming the scratch directory. */
#define IX_CHUNK ((size_t)256 << 10)
#define IX_SLOTS 8
#define IX_ARENA ((size_t)32 << 20) /* entries sorted at once (the last run stays in memory) */
#define IX_READ ((size_t)64 << 10)  /* a run file is read through a buffer of this size */
#define IX_REC_MAX (1 + 2 + CAPA_INDEX_KEY_MAX + 1 + 255)
/* Runs kept before they are merged into one: each calendar or zone change makes a run (see
 * capa_defer__read), and the compare reads every run at once (a file descriptor each). */
#define IX_RUNS 16

static size_t ix_arena = IX_ARENA, ix_runs_max = IX_RUNS;

void capa__verify_ix_limits(size_t arena_bytes, size_t max_runs)
{
    ix_arena = arena_bytes ? arena_bytes : IX_ARENA;
    if (ix_arena < IX_REC_MAX + 1)
        ix_arena = IX_REC_MAX + 1; /* the largest operation always fits */
    ix_runs_max = max_runs ? max_runs : IX_RUNS;
    if (ix_runs_max < 2)
        ix_runs_max = 2;
}

static int deferred(int db)
{
    return db == DB_IDX_STAGE || db == DB_IDX_CUSTOMER || db == DB_IDX_PART ||
           db == DB_IDX_DEFECT || db == DB_IDX_OPENED || db == DB_IDX_DUE;
}

typedef struct ix_chunk {
    size_t len;
    unsigned char b[IX_CHUNK];
} ix_chunk;

/* A queued operation: del, db, key length (2), key, value length, value. */
static size_t op_size(const unsigned char *p)
{
    size_t klen = (size_t)p[2] << 8 | p[3];
    return 5 + klen + p[4 + klen];
}

/* A sorted run: per database (off[db] to off[db + 1]), records of del, key length (2), key,
 * value length, value, in key-then-value order (LMDB's for these databases). In memory (buf)
 * or in a file of the scratch directory, unlinked as soon as it is made (fd). */
typedef struct ix_run {
    unsigned char *buf;
    int fd;
    uint64_t off[DB_COUNT + 1];
} ix_run;

/* An operation in the arena being sorted: the first 24 bytes of db, key, a zero byte and
 * value (keys are strings without a zero byte or 8 bytes each: this order is LMDB's; a
 * customer's name and a case id fit), then the operation itself (its place in the arena is
 * its place in the trail). */
typedef struct ix_ent {
    uint64_t a, b, c;
    const unsigned char *p;
} ix_ent;

struct capa_defer {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    ix_chunk *slot[IX_SLOTS];
    uint64_t written, read; /* chunks published / taken by the writer */
    int done;               /* nothing more will be published */
    int sync;               /* capa_defer__read wants idx_due as the queue left it */
    int synced;             /* ... and the writer put it into dst */
    capa_store *dst;        /* idx_due for capa_defer__read */
    const char *dir;        /* where the runs' files go */
    size_t runs_max;        /* merged into one past this many */
    int err;                /* the writer's failure: CAPA_ERROR or CAPA_ENOMEM */
    char msg[1024];         /* its message (messages are per thread) */
    /* The writer's own until it ends; then read by the compare. */
    unsigned char *arena, *out;
    size_t len, cap;
    ix_ent *ent;
    size_t ent_cap;
    ix_run *runs;
    size_t n_runs;
};

/* Publish the chunk being filled and wait for a free one. CAPA_OK, or the writer's error. */
static int ix_publish(struct capa_defer *d)
{
    pthread_mutex_lock(&d->lock);
    d->written++;
    pthread_cond_broadcast(&d->cond);
    while (!d->err && d->written - d->read >= IX_SLOTS)
        pthread_cond_wait(&d->cond, &d->lock);
    int err = d->err;
    pthread_mutex_unlock(&d->lock);
    return err ? capa_error_set(err, "%s", d->msg) : CAPA_OK;
}

int capa_defer__index(struct capa_defer *d, int del, int db, const void *key, size_t klen,
                      const void *val, size_t vlen)
{
    size_t need = 5 + klen + vlen;
    if (!deferred(db) || !klen || klen > CAPA_INDEX_KEY_MAX || vlen > 0xff || need > IX_CHUNK)
        return capa_error_set(CAPA_ERROR, "verify: index write to database %d not queued", db);
    ix_chunk *c = d->slot[d->written % IX_SLOTS];
    if (c->len + need > IX_CHUNK) {
        int err = ix_publish(d);
        if (err)
            return err;
        c = d->slot[d->written % IX_SLOTS];
    }
    unsigned char *p = c->b + c->len;
    p[0] = (unsigned char)del;
    p[1] = (unsigned char)db;
    p[2] = (unsigned char)(klen >> 8);
    p[3] = (unsigned char)klen;
    memcpy(p + 4, key, klen);
    p[4 + klen] = (unsigned char)vlen;
    memcpy(p + 5 + klen, val, vlen);
    c->len += need;
    return CAPA_OK;
}

/* Database, key and value of two operations (or records, from their key length on). */
static int kv_cmp(const unsigned char *x, const unsigned char *y)
{
    size_t kx = (size_t)x[0] << 8 | x[1], ky = (size_t)y[0] << 8 | y[1];
    int c = memcmp(x + 2, y + 2, kx < ky ? kx : ky);
    if (c || kx != ky)
        return c ? c : kx < ky ? -1 : 1;
    size_t vx = x[2 + kx], vy = y[2 + ky];
    c = memcmp(x + 3 + kx, y + 3 + ky, vx < vy ? vx : vy);
    return c ? c : vx < vy ? -1 : vx > vy;
}

static inline int ent_cmp(const ix_ent *x, const ix_ent *y)
{
    if (x->a != y->a)
        return x->a < y->a ? -1 : 1;
    if (x->b != y->b)
        return x->b < y->b ? -1 : 1;
    if (x->c != y->c)
        return x->c < y->c ? -1 : 1;
    int c = x->p[1] != y->p[1] ? (x->p[1] < y->p[1] ? -1 : 1) : kv_cmp(x->p + 2, y->p + 2);
    return c ? c : x->p < y->p ? -1 : x->p > y->p;
}

static void ent_sort(ix_ent *e, size_t n)
{
    while (n > 16) {
        ix_ent *m = &e[n / 2], *l = &e[n - 1], t;
        /* the median of the first, middle and last to e[0] */
        if (ent_cmp(m, e) < 0)
            t = *m, *m = *e, *e = t;
        if (ent_cmp(l, e) < 0)
            t = *l, *l = *e, *e = t;
        if (ent_cmp(l, m) < 0)
            t = *l, *l = *m, *m = t;
        t = *m, *m = *e, *e = t;
        ix_ent pivot = e[0];
        size_t i = 0, j = n;
        for (;;) {
            while (ent_cmp(&e[++i], &pivot) < 0 && i < n - 1)
                ;
            while (ent_cmp(&pivot, &e[--j]) < 0)
                ;
            if (i >= j)
                break;
            t = e[i], e[i] = e[j], e[j] = t;
        }
        t = e[0], e[0] = e[j], e[j] = t;
        /* the smaller side by recursion, the larger by the loop: depth log n */
        if (j < n - j - 1) {
            ent_sort(e, j);
            e += j + 1, n -= j + 1;
        } else {
            ent_sort(e + j + 1, n - j - 1);
            n = j;
        }
    }
    for (size_t i = 1; i < n; i++) {
        ix_ent t = e[i];
        size_t j = i;
        for (; j > 0 && ent_cmp(&t, &e[j - 1]) < 0; j--)
            e[j] = e[j - 1];
        e[j] = t;
    }
}

/* Byte `d` of an entry's 24-byte prefix. */
static inline unsigned ent_byte(const ix_ent *e, int d)
{
    uint64_t w = d < 8 ? e->a : d < 16 ? e->b : e->c;
    return (unsigned)(w >> (56 - 8 * (d & 7))) & 0xff;
}

/* Sorted by the prefix from byte `d` on, a byte at a time (a radix sort in place, buckets of
 * a few entries by insertion): ~10 instructions per entry and byte, where comparing sorts
 * (ent_sort) took ~1 400 per entry. Entries whose 24 bytes are all alike, ent_sort. */
static void ent_radix(ix_ent *e, size_t n, int d)
{
    size_t count[256], next[256], end[256];
    while (n > 32 && d < 24) {
        memset(count, 0, sizeof count);
        for (size_t i = 0; i < n; i++)
            count[ent_byte(&e[i], d)]++;
        if (count[ent_byte(&e[0], d)] == n) { /* one bucket: the next byte */
            d++;
            continue;
        }
        size_t at = 0;
        for (int b = 0; b < 256; b++)
            next[b] = at, at += count[b], end[b] = at;
        for (int b = 0; b < 256; b++) /* each entry swapped into its bucket's next place */
            while (next[b] < end[b]) {
                ix_ent t = e[next[b]];
                unsigned tb = ent_byte(&t, d);
                while (tb != (unsigned)b) {
                    ix_ent u = e[next[tb]];
                    e[next[tb]++] = t;
                    t = u;
                    tb = ent_byte(&t, d);
                }
                e[next[b]++] = t;
            }
        at = 0;
        for (int b = 0; b < 256; b++) {
            if (count[b] > 1)
                ent_radix(e + at, count[b], d + 1);
            at += count[b];
        }
        return;
    }
    ent_sort(e, n);
}

static int ix_pwrite(int fd, const unsigned char *b, size_t n, off_t at)
{
    while (n) {
        ssize_t w = pwrite(fd, b, n, at);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? errno : ENOSPC;
        b += w, n -= (size_t)w, at += w;
    }
    return 0;
}

static int ix_compact(struct capa_defer *d);

/* A new run file in the scratch directory, already deleted from it (the open descriptor is
 * all that is needed: nothing is left behind); -1 with errno when it cannot be made. */
static int run_fd(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0)
        unlink(path);
    return fd;
}

/* Sort the arena into a run: in memory when `keep` (the last), else into a file. */
static int ix_flush(struct capa_defer *d, int keep)
{
    size_t n = 0;
    for (size_t at = 0; at < d->len; at += op_size(d->arena + at))
        n++;
    if (n > d->ent_cap) {
        ix_ent *e = capa__realloc(d->ent, n * sizeof *e);
        if (!e)
            return capa_error_set(CAPA_ENOMEM, "verify: out of memory");
        d->ent = e, d->ent_cap = n;
    }
    if (!d->out && !(d->out = capa__malloc(d->cap)))
        return capa_error_set(CAPA_ENOMEM, "verify: out of memory");
    ix_run *runs = capa__realloc(d->runs, (d->n_runs + 1) * sizeof *runs);
    if (!runs)
        return capa_error_set(CAPA_ENOMEM, "verify: out of memory");
    d->runs = runs;
    n = 0;
    for (size_t at = 0; at < d->len;) {
        const unsigned char *p = d->arena + at;
        size_t klen = (size_t)p[2] << 8 | p[3], vlen = p[4 + klen];
        unsigned char c[24] = {0};
        c[0] = p[1];
        memcpy(c + 1, p + 4, klen < 23 ? klen : 23);
        if (klen < 22) /* c[1 + klen] stays the zero byte */
            memcpy(c + 2 + klen, p + 5 + klen, vlen < 22 - klen ? vlen : 22 - klen);
        d->ent[n++] = (ix_ent){capa_get_be64(c), capa_get_be64(c + 8), capa_get_be64(c + 16), p};
        at += 5 + klen + vlen;
    }
    ent_radix(d->ent, n, 0);
    /* Each entry once, as its last operation left it; the first run needs no deletions (no
     * earlier run has an entry for them to cancel). */
    ix_run *r = &d->runs[d->n_runs];
    memset(r, 0, sizeof *r);
    r->fd = -1;
    size_t o = 0;
    int db = 0;
    for (size_t i = 0; i < n; i++) {
        const unsigned char *p = d->ent[i].p;
        if (i + 1 < n && d->ent[i + 1].a == d->ent[i].a && d->ent[i + 1].b == d->ent[i].b &&
            d->ent[i + 1].c == d->ent[i].c && kv_cmp(d->ent[i + 1].p + 2, p + 2) == 0)
            continue; /* a later operation on the same entry follows */
        if (p[0] && d->n_runs == 0)
            continue;
        while (db < p[1])
            r->off[++db] = o;
        size_t sz = op_size(p) - 1;
        d->out[o] = p[0];
        memcpy(d->out + o + 1, p + 2, sz - 1);
        o += sz;
    }
    while (db < DB_COUNT)
        r->off[++db] = o;
    d->len = 0;
    if (keep) {
        r->buf = d->out;
        d->out = NULL;
        d->n_runs++;
        return CAPA_OK;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/ix-run-%zu", d->dir, d->n_runs);
    r->fd = run_fd(path);
    int e = r->fd < 0 ? errno : 0;
    if (r->fd >= 0) {
        d->n_runs++; /* closed with the others */
        e = ix_pwrite(r->fd, d->out, o, 0);
    }
    if (e)
        return capa_error_set(CAPA_ERROR, "index run %s: %s", path, strerror(e));
    return d->n_runs >= d->runs_max ? ix_compact(d) : CAPA_OK;
}

/* Take a chunk's operations into the arena, sorting it into a run whenever it is full. */
static int ix_take(struct capa_defer *d, const unsigned char *b, size_t len)
{
    while (len) {
        size_t n = len, room = d->cap - d->len;
        if (n > room) /* the whole operations that fit */
            for (n = 0; n < len && n + op_size(b + n) <= room;)
                n += op_size(b + n);
        memcpy(d->arena + d->len, b, n);
        d->len += n, b += n, len -= n;
        int err = len ? ix_flush(d, 0) : CAPA_OK;
        if (err)
            return err;
    }
    return CAPA_OK;
}

/* ---- the runs of one database merged ---- */

typedef struct ix_src {
    const ix_run *run;
    unsigned char *buf; /* a file's read buffer */
    const unsigned char *at, *end;
    uint64_t pos, stop;       /* a file's next offset to read and its section's end */
    const unsigned char *rec; /* the current record, NULL past the end */
    uint64_t a, b;            /* the first 16 bytes of its key, a zero byte and value */
} ix_src;

typedef struct ix_iter {
    size_t n;
    ix_src *src;
    unsigned char kb[CAPA_INDEX_KEY_MAX], vb[256];
} ix_iter;

/* The next record of a source into src->rec; 0, or an errno. */
static int src_next(ix_src *s)
{
    s->rec = NULL;
    if (s->run->buf == NULL && s->pos < s->stop && (size_t)(s->end - s->at) < IX_REC_MAX) {
        size_t keep = (size_t)(s->end - s->at);
        memmove(s->buf, s->at, keep);
        size_t want = IX_READ - keep;
        if (want > s->stop - s->pos)
            want = (size_t)(s->stop - s->pos);
        size_t got = 0;
        while (got < want) {
            ssize_t r = pread(s->run->fd, s->buf + keep + got, want - got, (off_t)(s->pos + got));
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                return r < 0 ? errno : EIO;
            got += (size_t)r;
        }
        s->pos += got;
        s->at = s->buf, s->end = s->buf + keep + got;
    }
    size_t have = (size_t)(s->end - s->at), klen = have >= 3 ? (size_t)s->at[1] << 8 | s->at[2] : 0;
    if (!have)
        return 0;
    if (have < 4 + klen || have < 4 + klen + s->at[3 + klen])
        return EIO; /* a run this process wrote and cannot read back */
    size_t vlen = s->at[3 + klen];
    unsigned char c[16] = {0};
    memcpy(c, s->at + 3, klen < 16 ? klen : 16);
    if (klen < 15) /* c[klen] stays the zero byte */
        memcpy(c + 1 + klen, s->at + 4 + klen, vlen < 15 - klen ? vlen : 15 - klen);
    s->a = capa_get_be64(c), s->b = capa_get_be64(c + 8);
    s->rec = s->at;
    s->at += 4 + klen + vlen;
    return 0;
}

static inline int src_cmp(const ix_src *x, const ix_src *y)
{
    if (x->a != y->a)
        return x->a < y->a ? -1 : 1;
    if (x->b != y->b)
        return x->b < y->b ? -1 : 1;
    return kv_cmp(x->rec + 1, y->rec + 1);
}

static void ix_iter_free(ix_iter *it)
{
    if (!it)
        return;
    for (size_t i = 0; i < it->n; i++)
        capa__free(it->src[i].buf);
    capa__free(it->src);
    capa__free(it);
}

static int ix_iter_open(const struct capa_defer *d, int db, ix_iter **out)
{
    ix_iter *it = capa__calloc(1, sizeof *it);
    *out = NULL;
    if (!it || !(it->src = capa__calloc(d->n_runs ? d->n_runs : 1, sizeof *it->src))) {
        capa__free(it);
        return ENOMEM;
    }
    for (size_t i = 0; i < d->n_runs; i++, it->n++) {
        ix_src *s = &it->src[i];
        const ix_run *r = &d->runs[i];
        s->run = r;
        if (r->buf) {
            s->at = r->buf + r->off[db], s->end = r->buf + r->off[db + 1];
        } else {
            if (!(s->buf = capa__malloc(IX_READ))) {
                ix_iter_free(it);
                return ENOMEM;
            }
            s->at = s->end = s->buf;
            s->pos = r->off[db], s->stop = r->off[db + 1];
        }
        int e = src_next(s);
        if (e) {
            it->n++;
            ix_iter_free(it);
            return e;
        }
    }
    *out = it;
    return 0;
}

/* The next entry of the merged runs (the newest run's word on it); MDB_NOTFOUND at the end,
 * or an errno. k and v hold until the next call. */
static int ix_iter_next(ix_iter *it, MDB_val *k, MDB_val *v)
{
    for (;;) {
        size_t best = it->n;
        for (size_t i = 0; i < it->n; i++)
            if (it->src[i].rec && (best == it->n || src_cmp(&it->src[i], &it->src[best]) <= 0))
                best = i; /* a tie goes to the later run */
        if (best == it->n)
            return MDB_NOTFOUND;
        const unsigned char *r = it->src[best].rec;
        size_t klen = (size_t)r[1] << 8 | r[2], vlen = r[3 + klen];
        int del = r[0];
        memcpy(it->kb, r + 3, klen);
        memcpy(it->vb, r + 4 + klen, vlen);
        for (size_t i = 0; i < best; i++) { /* the earlier runs' word on the same entry */
            ix_src *s = &it->src[i];
            if (s->rec && src_cmp(s, &it->src[best]) == 0) {
                int e = src_next(s);
                if (e)
                    return e;
            }
        }
        int e = src_next(&it->src[best]);
        if (e)
            return e;
        if (del)
            continue;
        *k = (MDB_val){klen, it->kb};
        *v = (MDB_val){vlen, it->vb};
        return 0;
    }
}

/* Every run merged into one file (deleted entries dropped: no earlier run is left for them
 * to cancel), written through the sort's output buffer. */
static int ix_compact(struct capa_defer *d)
{
    char path[4200];
    ix_run nr;
    ix_iter *it = NULL;
    MDB_val k, v;
    memset(&nr, 0, sizeof nr);
    snprintf(path, sizeof path, "%s/ix-run-%zu-merged", d->dir, d->n_runs);
    nr.fd = run_fd(path);
    int e = nr.fd < 0 ? errno : 0;
    uint64_t o = 0;
    size_t fill = 0;
    for (int db = 0; db < DB_COUNT && !e; db++) {
        nr.off[db] = o + fill;
        if (!deferred(db))
            continue;
        if ((e = ix_iter_open(d, db, &it)))
            break;
        while (!(e = ix_iter_next(it, &k, &v))) {
            if (fill + IX_REC_MAX > d->cap) {
                if ((e = ix_pwrite(nr.fd, d->out, fill, (off_t)o)))
                    break;
                o += fill, fill = 0;
            }
            unsigned char *r = d->out + fill;
            r[0] = 0, r[1] = (unsigned char)(k.mv_size >> 8), r[2] = (unsigned char)k.mv_size;
            memcpy(r + 3, k.mv_data, k.mv_size);
            r[3 + k.mv_size] = (unsigned char)v.mv_size;
            memcpy(r + 4 + k.mv_size, v.mv_data, v.mv_size);
            fill += 4 + k.mv_size + v.mv_size;
        }
        ix_iter_free(it);
        it = NULL;
        e = e == MDB_NOTFOUND ? 0 : e;
    }
    if (!e && (e = ix_pwrite(nr.fd, d->out, fill, (off_t)o)) == 0)
        nr.off[DB_COUNT] = o + fill;
    if (e) {
        if (nr.fd >= 0)
            close(nr.fd);
        if (e == ENOMEM)
            return capa_error_set(CAPA_ENOMEM, "verify: out of memory");
        return capa_error_set(CAPA_ERROR, "index run %s: %s", path, strerror(e));
    }
    for (size_t i = 0; i < d->n_runs; i++) {
        capa__free(d->runs[i].buf);
        if (d->runs[i].fd >= 0)
            close(d->runs[i].fd);
    }
    d->runs[0] = nr;
    d->n_runs = 1;
    return CAPA_OK;
}

/* idx_due as the queue left it, into the index scratch for capa_defer__read. */
static int ix_due_store(struct capa_defer *d)
{
    MDB_txn *txn = NULL;
    ix_iter *it = NULL;
    MDB_val k, v;
    int err = d->len ? ix_flush(d, 0) : CAPA_OK;
    if (err)
        return err;
    int rc = mdb_txn_begin(d->dst->env, NULL, 0, &txn);
    rc = rc ? rc : mdb_drop(txn, d->dst->dbi[DB_IDX_DUE], 0);
    rc = rc ? rc : ix_iter_open(d, DB_IDX_DUE, &it);
    while (!rc && !(rc = ix_iter_next(it, &k, &v)))
        rc = mdb_put(txn, d->dst->dbi[DB_IDX_DUE], &k, &v, MDB_APPENDDUP);
    ix_iter_free(it);
    if (rc == MDB_NOTFOUND)
        rc = mdb_txn_commit(txn);
    else if (txn)
        mdb_txn_abort(txn);
    return rc ? capa_store__mdb_err(rc, "write failed") : CAPA_OK;
}

static void ix_fail(struct capa_defer *d, int err)
{
    pthread_mutex_lock(&d->lock);
    if (!d->err) {
        snprintf(d->msg, sizeof d->msg, "%s", capa_error_last());
        d->err = err == CAPA_ENOMEM ? err : CAPA_ERROR;
    }
    pthread_cond_broadcast(&d->cond);
    pthread_mutex_unlock(&d->lock);
}

static void *ix_main(void *arg)
{
    struct capa_defer *d = arg;
    int err = CAPA_OK;
    for (;;) {
        pthread_mutex_lock(&d->lock);
        while (d->read == d->written && !d->done && !(d->sync && !d->synced))
            pthread_cond_wait(&d->cond, &d->lock);
        int end = d->read == d->written && d->done, sync = d->read == d->written && !end;
        pthread_mutex_unlock(&d->lock);
        if (end)
            break;
        if (sync) { /* everything queued is taken: idx_due for capa_defer__read */
            if (!err && (err = ix_due_store(d)))
                ix_fail(d, err);
            pthread_mutex_lock(&d->lock);
            d->synced = 1;
            pthread_cond_broadcast(&d->cond);
            pthread_mutex_unlock(&d->lock);
            continue;
        }
        ix_chunk *c = d->slot[d->read % IX_SLOTS];
        if (!err && (err = ix_take(d, c->b, c->len)))
            ix_fail(d, err);
        c->len = 0;
        pthread_mutex_lock(&d->lock);
        d->read++;
        pthread_cond_broadcast(&d->cond);
        pthread_mutex_unlock(&d->lock);
    }
    if (!err && (err = ix_flush(d, 1)))
        ix_fail(d, err);
    return NULL;
}

int capa_defer__read(struct capa_defer *d, capa_store **src, MDB_txn **txn)
{
    pthread_mutex_lock(&d->lock);
    if (d->slot[d->written % IX_SLOTS]->len)
        d->written++; /* the chunk being filled: its slot is free, the next one may not be */
    d->sync = 1;
    d->synced = 0;
    pthread_cond_broadcast(&d->cond);
    while (!d->err && !d->synced)
        pthread_cond_wait(&d->cond, &d->lock);
    int err = d->err;
    pthread_mutex_unlock(&d->lock);
    if (err)
        return capa_error_set(err, "%s", d->msg);
    /* The writer is idle until capa_defer__read_end: no write commits while this reads. */
    int rc = mdb_txn_begin(d->dst->env, NULL, MDB_RDONLY, txn);
    if (rc) {
        capa_defer__read_end(d, NULL);
        return capa_store__mdb_err(rc, "verify: index scratch");
    }
    *src = d->dst;
    return CAPA_OK;
}

void capa_defer__read_end(struct capa_defer *d, MDB_txn *txn)
{
    if (txn)
        mdb_txn_abort(txn);
    pthread_mutex_lock(&d->lock);
    d->sync = 0;
    d->synced = 0;
    pthread_mutex_unlock(&d->lock);
}

static void ix_free(struct capa_defer *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n_runs; i++) {
        capa__free(d->runs[i].buf);
        if (d->runs[i].fd >= 0)
            close(d->runs[i].fd);
    }
    capa__free(d->runs);
    capa__free(d->arena);
    capa__free(d->out);
    capa__free(d->ent);
    for (int i = 0; i < IX_SLOTS; i++)
        capa__free(d->slot[i]);
    capa__free(d);
}

/* Start the writer; the scratch's index writes go to it from now on. v->ix holds it (and,
 * after ix_finish, its runs) until ix_free. */
static int ix_start(vctx *v, const char *dir, pthread_t *t)
{
    int err = CAPA_OK;
    struct capa_defer *d = capa__calloc(1, sizeof *d);
    if (!d)
        return capa_error_set(CAPA_ENOMEM, "verify: out of memory");
    d->dst = v->scratch_ix;
    d->dir = dir;
    d->cap = ix_arena;
    d->runs_max = ix_runs_max;
    for (int i = 0; i < IX_SLOTS && !err; i++)
        if (!(d->slot[i] = capa__calloc(1, sizeof *d->slot[i])))
            err = capa_error_set(CAPA_ENOMEM, "verify: out of memory");
    if (!err && !(d->arena = capa__malloc(d->cap)))
        err = capa_error_set(CAPA_ENOMEM, "verify: out of memory");
    if (err) {
        ix_free(d);
        return err;
    }
    pthread_mutex_init(&d->lock, NULL);
    pthread_cond_init(&d->cond, NULL);
    if (pthread_create(t, NULL, ix_main, d) == 0) {
        v->scratch->defer = d;
        v->ix = d;
        return CAPA_OK;
    }
    err = capa_error_set(CAPA_ERROR, "verify: cannot start a thread: %s", strerror(errno));
    pthread_cond_destroy(&d->cond);
    pthread_mutex_destroy(&d->lock);
    ix_free(d);
    return err;
}

/* Hand over what is queued, wait until it is sorted into runs; the writer's error, if any. */
static int ix_finish(vctx *v, pthread_t t)
{
    struct capa_defer *d = v->ix;
    v->scratch->defer = NULL;
    pthread_mutex_lock(&d->lock);
    if (d->slot[d->written % IX_SLOTS]->len)
        d->written++; /* the last chunk: there is always a free slot for it to be in */
    d->done = 1;
    pthread_cond_broadcast(&d->cond);
    pthread_mutex_unlock(&d->lock);
    pthread_join(t, NULL);
    int err = d->err;
    if (err) {
        err = capa_error_set(err, "%s", d->msg);
        if (err != CAPA_ENOMEM)
            v->scratch_err = 1;
    }
    pthread_cond_destroy(&d->cond);
    pthread_mutex_destroy(&d->lock);
    capa__free(d->arena); /* what the compare needs is in the runs */
    capa__free(d->out);
    capa__free(d->ent);
    d->arena = d->out = NULL, d->ent = NULL;
    for (int i = 0; i < IX_SLOTS; i++)
        capa__free(d->slot[i]), d->slot[i] = NULL;
    return err;
}

/* The chain is read on a thread of its own: decoding an event (zstd and the record codec) and
 * hashing it cost about as much as a third of applying it, so reading runs ahead of the
 * apply loop by up to WALK_SLOTS batches of WALK_BATCH events. The reader only reads, with
 * a read transaction of its own on the same snapshot (capa__verify_run checks the ids); what
 * it finds is reported by the apply loop, in chain order, so the report is what a single
 * thread would write. */
#define WALK_BATCH 256
#define WALK_SLOTS 8

enum { IT_EVENT, IT_GAP, IT_UNDECODABLE, IT_BADCHAIN, IT_END, IT_ERROR };

typedef struct walk_item {
    int kind;
    uint64_t seq;     /* the sequence number expected here */
    uint64_t key_seq; /* IT_GAP: the next one stored */
    int bad_seq;      /* IT_BADCHAIN: stored under another number (else: the hash is wrong) */
    int rc;           /* IT_END: the cursor's last answer; IT_ERROR: the capa code */
    char *msg;        /* IT_ERROR: its message (errors are per thread) */
    unsigned char prev[32], h[32];
    capa_event_rec e; /* IT_EVENT, IT_BADCHAIN: decoded; freed by batch_clear */
    /* IT_EVENT: the zstd frames of the event's long strings (in the store's map) with the
     * text each holds (in body, the event's unpacked bytes; see item_frames). */
    unsigned char *body;
    size_t n_frames;
    capa_frame frames[CAPA_PACK_SPANS];
} walk_item;

typedef struct walk_batch {
    size_t n;
    walk_item it[WALK_BATCH];
} walk_batch;

typedef struct walk_q {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    walk_batch *slot[WALK_SLOTS];
    uint64_t written, read; /* batches published / consumed */
    int stop;               /* the apply loop wants no more */
    vctx *v;
    MDB_txn *txn; /* the reader's */
} walk_q;

static void item_clear(walk_item *it)
{
    capa_event__clear(&it->e); /* zeroed when nothing was decoded: a no-op then */
    capa__free(it->msg);
    it->msg = NULL;
    capa__free(it->body);
    it->body = NULL;
    it->n_frames = 0;
}

/* The stored event's long strings (a case's description, say) are zstd frames at the store's
 * level, and apply writes the same texts into the stage record, which the store packed with
 * the very same frames (codec.c's memo; zstd is deterministic). The reader pairs each frame
 * with the text it decompressed to (item_frames); the apply loop hands them to its own
 * packing (hand_frames), which then takes the frame instead of compressing the text again:
 * the replayed stage record is the stored bytes, and the compare's first memcmp matches it
 * without unpacking either side. Only an encoding is shared: the frame decoded to exactly
 * that text on the reader, so a record packed with it holds what apply put in it. The item
 * keeps the event's unpacked bytes for it (freed by the reader, like everything it made:
 * no allocation changes threads); the frames stay in the store's map, which the reader's
 * read transaction holds. */
static void item_frames(walk_item *it, const MDB_val *val, unsigned char *body, size_t body_len)
{
    it->body = body;
    it->n_frames = capa_pack__frames(val->mv_data, val->mv_size - 32, body, body_len, it->frames,
                                     CAPA_PACK_SPANS);
}

static void hand_frames(walk_item *it)
{
    for (size_t i = 0; i < it->n_frames; i++)
        capa_pack__remember(CAPA_PACK_LEVEL, it->frames[i].raw, it->frames[i].raw_len,
                            it->frames[i].z, it->frames[i].z_len);
    it->n_frames = 0;
}

/* The items a batch held, freed by the reader before it fills the slot again (so the apply
 * loop spends no time freeing events), or at the end. */
static void batch_clear(walk_batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        item_clear(&b->it[i]);
    b->n = 0;
}

/* Publish the batch being filled; wait for a free slot for the next. 0, or 1: stop. */
static int q_publish(walk_q *q)
{
    pthread_mutex_lock(&q->lock);
    q->written++;
    pthread_cond_broadcast(&q->cond);
    while (!q->stop && q->written - q->read >= WALK_SLOTS)
        pthread_cond_wait(&q->cond, &q->lock);
    int stop = q->stop;
    pthread_mutex_unlock(&q->lock);
    return stop;
}

static void *reader_main(void *arg)
{
    walk_q *q = arg;
    MDB_cursor *cur = NULL;
    unsigned char prev[32] = {0};
    uint64_t expect = 1;
    walk_batch *b = q->slot[0];
    batch_clear(b);
    int rc = mdb_cursor_open(q->txn, q->v->s->dbi[DB_EVENTS], &cur);
    MDB_val k, val;
    rc = rc ? rc : mdb_cursor_get(cur, &k, &val, MDB_FIRST);
    for (;; rc = mdb_cursor_get(cur, &k, &val, MDB_NEXT), expect++) {
        walk_item *it = &b->it[b->n++];
        memset(it, 0, sizeof *it); /* cleared by batch_clear before */
        it->seq = expect;
        memcpy(it->prev, prev, 32);
        int last = 1;
        if (rc != MDB_SUCCESS) {
            it->kind = IT_END;
            it->rc = rc;
        } else if ((it->key_seq = k.mv_size == 8 ? capa_get_be64(k.mv_data) : 0) != expect) {
            it->kind = IT_GAP;
        } else {
            unsigned char *body = NULL;
            size_t body_len = 0;
            int err = capa_event__decode_ro(&it->e, val.mv_data, val.mv_size, &body, &body_len);
            if (err == CAPA_ENOMEM) {
                it->kind = IT_ERROR;
                it->rc = err;
                it->msg = capa__strdup(capa_error_last());
            } else if (err != CAPA_OK) {
                it->kind = IT_UNDECODABLE;
            } else {
                capa_event__chain(it->h, prev, body, body_len);
                it->bad_seq = it->e.ev.seq != expect;
                if (it->bad_seq || memcmp(it->h, it->e.hash, 32) != 0) {
                    it->kind = IT_BADCHAIN;
                } else {
                    it->kind = IT_EVENT;
                    memcpy(prev, it->h, 32);
                    item_frames(it, &val, body, body_len);
                    body = NULL; /* the item's now */
                    last = 0;
                }
            }
            capa__free(body);
        }
        if (last || b->n == WALK_BATCH) {
            if (q_publish(q) || last)
                break;
            b = q->slot[q->written % WALK_SLOTS];
            batch_clear(b);
        }
    }
    if (cur)
        mdb_cursor_close(cur);
    return NULL;
}

/* The next item from the reader. A batch's slot goes back to the reader only when the next
 * item is asked for: the last one is in use until then. */
static walk_item *q_next(walk_q *q, size_t *pos)
{
    if (*pos && *pos == q->slot[q->read % WALK_SLOTS]->n) {
        pthread_mutex_lock(&q->lock);
        q->read++;
        pthread_cond_broadcast(&q->cond);
        pthread_mutex_unlock(&q->lock);
        *pos = 0;
    }
    if (*pos == 0) {
        pthread_mutex_lock(&q->lock);
        while (q->written == q->read)
            pthread_cond_wait(&q->cond, &q->lock);
        pthread_mutex_unlock(&q->lock);
    }
    return &q->slot[q->read % WALK_SLOTS]->it[(*pos)++];
}

static int walk(vctx *v)
{
    unsigned char prev[32] = {0}, head_hash[32];
    uint64_t expect = 1, head_seq = 0, in_txn = 0;
    int replaying = 1, err = capa_event__head(v->s, v->txn, &head_seq, head_hash);
    capa_apply_src src = {real_cred, real_def, v, real_blob, real_event};
    walk_q q = {.v = v, .txn = v->txn2};
    pthread_t reader, ix_thread;
    int started = 0, ix_started = 0, rc = MDB_SUCCESS;
    size_t pos = 0;
    if (err)
        return err;
    pthread_mutex_init(&q.lock, NULL);
    pthread_cond_init(&q.cond, NULL);
    for (int i = 0; i < WALK_SLOTS; i++)
        if (!(q.slot[i] = capa__calloc(1, sizeof *q.slot[i]))) {
            err = capa_error_set(CAPA_ENOMEM, "verify: out of memory");
            goto done;
        }
    if ((rc = mdb_txn_begin(v->scratch->env, NULL, 0, &v->stxn))) {
        err = scratch_err(v, rc);
        goto done;
    }
    capa_store__def_memo(v->scratch, v->stxn);
    capa_store__cursor_memo(v->stxn);
    if (v->scratch_ix && (err = ix_start(v, v->dir, &ix_thread)) != CAPA_OK)
        goto done;
    ix_started = v->scratch_ix != NULL;
    if (pthread_create(&reader, NULL, reader_main, &q)) {
        err = capa_error_set(CAPA_ERROR, "verify: cannot start a thread: %s", strerror(errno));
        goto done;
    }
    started = 1;
    for (;;) {
        walk_item *it = q_next(&q, &pos);
        if (it->kind == IT_END) {
            rc = it->rc;
            expect = it->seq;
            memcpy(prev, it->prev, 32);
            break;
        }
        if (it->kind == IT_ERROR) {
            err = capa_error_set(it->rc, "%s", it->msg ? it->msg : "verify: out of memory");
            item_clear(it);
            goto done;
        }
        expect = it->seq;
        if (it->kind == IT_GAP) {
            v->r->bad_seq = expect;
            add(v, NULL, "events", "chain", NULL, NULL, NULL, expect,
                "audit event %llu: missing (next stored event is %llu): the chain was cut",
                (unsigned long long)expect, (unsigned long long)it->key_seq);
            break;
        }
        if (it->kind == IT_UNDECODABLE) {
            v->r->bad_seq = expect;
            add(v, NULL, "events", "chain", NULL, NULL, NULL, expect,
                "audit event %llu: record cannot be decoded", (unsigned long long)expect);
            break;
        }
        capa_event_rec *e = &it->e;
        if (it->kind == IT_BADCHAIN) {
            v->r->bad_seq = expect;
            add(v, e->ev.case_number, "events", "chain", NULL, NULL, NULL, expect,
                "audit event %llu: %s", (unsigned long long)expect,
                it->bad_seq ? "stored under another sequence number (moved or reordered)"
                            : "hash does not match its content and predecessor (edited, or an "
                              "earlier event was changed)");
            item_clear(it);
            break;
        }
        for (size_t i = 0; v->o && i < v->o->n_anchors; i++) {
            char hex[65];
            capa__hex(hex, it->h, 32);
            if (v->o->anchors[i].seq == expect && strcmp(v->o->anchors[i].head, hex) != 0)
                add(v, NULL, "events", "anchor", NULL, hex, v->o->anchors[i].head, expect,
                    "anchor %llu:%s does not hold: event %llu's chain hash here is %s (the "
                    "history up to it was rewritten)",
                    (unsigned long long)expect, v->o->anchors[i].head, (unsigned long long)expect,
                    hex);
        }
        if (strcmp(e->ev.action, "checkpoint") == 0)
            check_checkpoint(v, e, it->prev);
        if (replaying) {
            capa_wtxn t = {.s = v->scratch, .txn = v->stxn, .now = e->ev.time};
            hand_frames(it);
            err = capa_apply__event(&t, e, &src);
            if (err == CAPA_ECORRUPT || err == CAPA_EEXISTS || err == CAPA_ENOTFOUND ||
                err == CAPA_EINVALID) {
                /* The trail itself does not replay: nothing after it can be compared. */
                add(v, e->ev.case_number, "events", "replay", NULL, NULL, NULL, expect,
                    "audit event %llu: does not replay: %s", (unsigned long long)expect,
                    capa_error_last());
                replaying = 0;
                err = CAPA_OK;
            } else if (err && err != CAPA_ENOMEM && !v->src_err) {
                v->scratch_err = 1; /* apply reads the real store only through src */
            }
        }
        /* An attachment's content may be tens of MB: commit after each, so one scratch
         * transaction never holds more dirty pages than LMDB allows. */
        int big = strcmp(e->ev.action, "attach") == 0;
        if (err)
            goto done;
        if ((++in_txn >= REPLAY_BATCH || big) && (err = scratch_commit(v, 1)))
            goto done;
        in_txn = big ? 0 : in_txn;
        in_txn = in_txn >= REPLAY_BATCH ? 0 : in_txn;
    }
    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) {
        err = capa_store__mdb_err(rc, "audit trail");
        goto done;
    }
    if (!v->r->bad_seq) {
        if (expect - 1 != head_seq || memcmp(prev, head_hash, 32) != 0) {
            v->r->bad_seq = expect - 1 < head_seq ? expect : head_seq;
            add(v, NULL, "meta", "head", NULL, NULL, NULL, v->r->bad_seq,
                "audit chain: %llu events stored but the head names event %llu: events at "
                "the end were removed or the head was altered",
                (unsigned long long)(expect - 1), (unsigned long long)head_seq);
        } else {
            v->r->seq = head_seq;
            capa__hex(v->r->head, prev, 32);
        }
        for (size_t i = 0; v->o && i < v->o->n_anchors; i++)
            if (v->o->anchors[i].seq > expect - 1)
                add(v, NULL, "events", "anchor", NULL, NULL, v->o->anchors[i].head,
                    v->o->anchors[i].seq,
                    "anchor %llu:%s does not hold: this database has only %llu events (its "
                    "history was cut or replaced)",
                    (unsigned long long)v->o->anchors[i].seq, v->o->anchors[i].head,
                    (unsigned long long)(expect - 1));
    }
    /* The head is written by the append, not by apply: state it in the scratch too. */
    unsigned char hv[40];
    capa_be64(hv, head_seq);
    memcpy(hv + 8, head_hash, 32);
    if (!v->r->bad_seq && replaying &&
        (err = capa_store__put(v->stxn, v->scratch->dbi[DB_META], CAPA_HEAD_KEY,
                               strlen(CAPA_HEAD_KEY), hv, 40, 0)))
        v->scratch_err = 1;
    if (!err)
        err = scratch_commit(v, 0);
    if (!err && (v->r->bad_seq || !replaying))
        err = 1; /* nothing to compare: a broken chain explains everything after it */
done:
    if (ix_started) {
        int ix_err = ix_finish(v, ix_thread);
        if (ix_err && (!err || err == 1))
            err = ix_err;
    }
    if (started) {
        pthread_mutex_lock(&q.lock);
        q.stop = 1;
        pthread_cond_broadcast(&q.cond);
        pthread_mutex_unlock(&q.lock);
        pthread_join(reader, NULL);
    }
    for (int i = 0; i < WALK_SLOTS; i++) {
        if (q.slot[i])
            batch_clear(q.slot[i]); /* taken or not, every item the reader made */
        capa__free(q.slot[i]);
    }
    pthread_cond_destroy(&q.cond);
    pthread_mutex_destroy(&q.lock);
    if (v->stxn) {
        capa_store__def_memo(v->scratch, NULL);
        capa_store__cursor_memo(NULL);
        mdb_txn_abort(v->stxn);
        v->stxn = NULL;
    }
    return err;
}

/* ---- comparing ---- */

static void show_bytes(char *buf, size_t sz, const void *p, size_t n)
{
    const unsigned char *b = p;
    size_t printable = 1;
    for (size_t i = 0; i < n; i++)
        printable &= b[i] >= 0x20 && b[i] != 0x7f;
    if (printable && n < sz)
        snprintf(buf, sz, "%.*s", (int)n, (const char *)p);
    else if (n == 8)
        snprintf(buf, sz, "%llu", (unsigned long long)capa_get_be64(b));
    else {
        size_t m = n > (sz - 1) / 2 ? (sz - 1) / 2 : n;
        capa__hex(buf, b, m);
    }
}

/* The number of case `id` (replayed, else stored), for messages. */
static void case_number(vctx *v, uint64_t id, char *buf, size_t sz)
{
    capa_hdr h;
    if (capa_hdr__get(v->scratch, v->stxn, id, &h) == CAPA_OK ||
        capa_hdr__get(v->s, v->txn, id, &h) == CAPA_OK) {
        snprintf(buf, sz, "%s", h.number);
        capa_hdr_clear(&h);
    } else {
        snprintf(buf, sz, "id %llu", (unsigned long long)id);
    }
}

/* The last event of case `id` in the trail. */
static uint64_t last_event(vctx *v, uint64_t id)
{
    MDB_cursor *cur = NULL;
    unsigned char k0[8];
    uint64_t seq = 0;
    capa_be64(k0, id);
    MDB_val k = {8, k0}, val;
    if (mdb_cursor_open(v->stxn, v->scratch->dbi[DB_CASE_EVENTS], &cur) == 0 &&
        mdb_cursor_get(cur, &k, &val, MDB_SET_KEY) == 0 &&
        mdb_cursor_get(cur, &k, &val, MDB_LAST_DUP) == 0)
        seq = capa_get_be64(val.mv_data);
    if (cur)
        mdb_cursor_close(cur);
    return seq;
}

#define STR(x) ((x) ? (x) : "")

static void diff_str(vctx *v, const char *num, const char *db, const char *rec, const char *field,
                     const char *stored, const char *want, uint64_t seq)
{
    if ((!stored && !want) || (stored && want && strcmp(stored, want) == 0))
        return;
    add(v, num, db, rec, field, stored, want, seq,
        "case %s: %s: stored %s '%s', event %llu says '%s'", num, rec, field, STR(stored),
        (unsigned long long)seq, STR(want));
}

static void diff_int(vctx *v, const char *num, const char *db, const char *rec, const char *field,
                     long long stored, long long want, uint64_t seq, int is_time)
{
    char a[40], b[40];
    if (stored == want)
        return;
    if (is_time) {
        capa_time_format(a, sizeof a, stored);
        capa_time_format(b, sizeof b, want);
        if (!stored)
            snprintf(a, sizeof a, "none");
        if (!want)
            snprintf(b, sizeof b, "none");
    } else {
        snprintf(a, sizeof a, "%lld", stored);
        snprintf(b, sizeof b, "%lld", want);
    }
    add(v, num, db, rec, field, a, b, seq, "case %s: %s: stored %s %s, event %llu says %s", num,
        rec, field, a, (unsigned long long)seq, b);
}

/* The open limits a header carries, as text: "met 0x5; plan due ... warn ... esc 1; ...". */
static void limits_text(char *buf, size_t sz, const capa_hdr *h)
{
    size_t o = (size_t)snprintf(buf, sz, "met 0x%llx", (unsigned long long)h->met);
    for (size_t i = 0; i < h->n_limits && o < sz; i++) {
        char due[40], warn[40];
        capa_time_format(due, sizeof due, h->limits[i].due);
        capa_time_format(warn, sizeof warn, h->limits[i].warn);
        o += (size_t)snprintf(buf + o, sz - o, "; limit %u due %s warn %s escalated 0x%x",
                              h->limits[i].code, due, warn, h->limits[i].escalated);
    }
}

/* The catch-all after a field-by-field diff: the stored and replayed bytes of a record
 * differ (after unpacking), so when no field difference was reported since `before`, the
 * record is reported as differing anyway - a byte the decoder skips, a non-canonical
 * encoding or a field no diff covers never passes silently. */
static void unexplained(vctx *v, size_t before, const char *num, const char *db, const char *rec,
                        uint64_t seq, const MDB_val *sv, const MDB_val *ev)
{
    char sh[65], eh[65], who[200];
    if (v->r->n_total != before)
        return;
    capa_sha256_hex(sh, sv->mv_data, sv->mv_size);
    capa_sha256_hex(eh, ev->mv_data, ev->mv_size);
    snprintf(who, sizeof who, "%s%s%s%s", num ? "case " : "", num ? num : "", num ? ": " : "", rec);
    add(v, num, db, rec, "encoding", sh, eh, seq,
        "%s: stored record (%zu bytes, SHA-256 %.16s...) differs from the one the events make "
        "(%zu bytes, SHA-256 %.16s...) though every field decodes alike: its bytes were altered",
        who, sv->mv_size, sh, ev->mv_size, eh);
}

/* A legacy store's header lacks the parts verify leaves uncompared (the statistics of a
 * format-1 header, the limits before `capa upgrade`): the difference is explained when the
 * stored header with the replayed parts in their place encodes as the replayed one. */
static int only_skipped_parts(vctx *v, const capa_hdr *a, const capa_hdr *b, const MDB_val *ev)
{
    capa_hdr x = *a;
    void *buf = NULL;
    size_t len = 0;
    const unsigned char *raw;
    size_t raw_len;
    void *tmp = NULL;
    if (!v->legacy && v->format >= 2)
        return 0;
    if (v->legacy)
        x.met = b->met, x.limits = b->limits, x.n_limits = b->n_limits;
    if (v->format < 2) {
        x.channel = b->channel, x.complaint_type = b->complaint_type, x.validity = b->validity;
        x.responsible_dept = b->responsible_dept, x.satisfaction = b->satisfaction;
        x.response_at = b->response_at, x.containment_at = b->containment_at;
        x.plan_at = b->plan_at;
    }
    if (capa_hdr__encode(&x, &buf, &len) != CAPA_OK ||
        capa_unpack(ev->mv_data, ev->mv_size, &raw, &raw_len, &tmp) != CAPA_OK) {
        capa__free(buf);
        v->oom = 1;
        return 1;
    }
    int same = len == raw_len && memcmp(buf, raw, len) == 0;
    capa__free(buf);
    capa__free(tmp);
    return same;
}

static void diff_header(vctx *v, uint64_t id, const MDB_val *sv, const MDB_val *ev)
{
    capa_hdr a, b;
    char num[160];
    case_number(v, id, num, sizeof num);
    uint64_t seq = last_event(v, id);
    int derr = capa_hdr__decode(&a, sv->mv_data, sv->mv_size);
    if (derr == CAPA_ENOMEM) {
        v->oom = 1;
        return;
    }
    if (derr != CAPA_OK) {
        add(v, num, "cases", "header", NULL, NULL, NULL, seq,
            "case %s: header: stored record cannot be decoded", num);
        return;
    }
    if ((derr = capa_hdr__decode(&b, ev->mv_data, ev->mv_size)) != CAPA_OK)
        v->oom = 1;
    else {
        const char *r = "header";
        size_t before = v->r->n_total;
        if (a.id != b.id) {
            /* The id inside the value decides which case's records an edit changes: name the
             * case it points at. */
            char sa[24], sb[24], other[160];
            snprintf(sa, sizeof sa, "%llu", (unsigned long long)a.id);
            snprintf(sb, sizeof sb, "%llu", (unsigned long long)b.id);
            case_number(v, a.id, other, sizeof other);
            add(v, num, "cases", r, "id", sa, sb, seq,
                "case %s: header: stored id %s (%s%s), event %llu says %s (its own, the key it "
                "is stored under)",
                num, sa, strncmp(other, "id ", 3) == 0 ? "no case's" : "the id of case ",
                strncmp(other, "id ", 3) == 0 ? "" : other, (unsigned long long)seq, sb);
        }
        diff_str(v, num, "cases", r, "number", a.number, b.number, seq);
        diff_str(v, num, "cases", r, "stage", a.stage, b.stage, seq);
        diff_int(v, num, "cases", r, "closed", a.closed, b.closed, seq, 0);
        diff_int(v, num, "cases", r, "opened", a.opened, b.opened, seq, 1);
        diff_int(v, num, "cases", r, "closed_at", a.closed_at, b.closed_at, seq, 1);
        diff_int(v, num, "cases", r, "stage_entered", a.stage_entered, b.stage_entered, seq, 1);
        diff_str(v, num, "cases", r, "opened_by", a.opened_by, b.opened_by, seq);
        diff_str(v, num, "cases", r, "customer", a.customer, b.customer, seq);
        diff_str(v, num, "cases", r, "part_no", a.part_no, b.part_no, seq);
        diff_str(v, num, "cases", r, "lot_no", a.lot_no, b.lot_no, seq);
        diff_str(v, num, "cases", r, "defect_code", a.defect_code, b.defect_code, seq);
        diff_str(v, num, "cases", r, "severity", a.severity, b.severity, seq);
        diff_str(v, num, "cases", r, "description", a.description, b.description, seq);
        diff_str(v, num, "cases", r, "subject_person", a.subject_person, b.subject_person, seq);
        char la[8192], lb[8192];
        limits_text(la, sizeof la, &a);
        limits_text(lb, sizeof lb, &b);
        if (!v->legacy)
            diff_str(v, num, "cases", r, "limits", la, lb, seq);
        diff_str(v, num, "cases", r, "workflow", a.workflow, b.workflow, seq);
        diff_str(v, num, "cases", r, "origin", a.origin, b.origin, seq);
        diff_int(v, num, "cases", r, "round", a.round > 1 ? a.round : 1, b.round > 1 ? b.round : 1,
                 seq, 0);
        diff_int(v, num, "cases", r, "round_at", a.round_at, b.round_at, seq, 1);
        if (v->format < 2)
            goto stats_done;
        diff_str(v, num, "cases", r, "channel", a.channel, b.channel, seq);
        diff_str(v, num, "cases", r, "complaint_type", a.complaint_type, b.complaint_type, seq);
        diff_str(v, num, "cases", r, "validity", a.validity, b.validity, seq);
        diff_str(v, num, "cases", r, "responsible_dept", a.responsible_dept, b.responsible_dept,
                 seq);
        diff_str(v, num, "cases", r, "satisfaction", a.satisfaction, b.satisfaction, seq);
        diff_int(v, num, "cases", r, "response_at", a.response_at, b.response_at, seq, 1);
        diff_int(v, num, "cases", r, "containment_at", a.containment_at, b.containment_at, seq, 1);
        diff_int(v, num, "cases", r, "plan_at", a.plan_at, b.plan_at, seq, 1);
    stats_done:
        if (v->r->n_total == before && !only_skipped_parts(v, &a, &b, ev))
            unexplained(v, before, num, "cases", r, seq, sv, ev);
        capa_hdr_clear(&b);
    }
    capa_hdr_clear(&a);
}

static void diff_stage(vctx *v, const unsigned char *key, size_t klen, const MDB_val *sv,
                       const MDB_val *ev)
{
    capa_stage_record a, b;
    char num[160], rec[120];
    uint64_t id = capa_get_be64(key);
    case_number(v, id, num, sizeof num);
    uint64_t seq = last_event(v, id);
    int derr = capa_stage__decode(&a, sv->mv_data, sv->mv_size);
    if (derr == CAPA_ENOMEM) {
        v->oom = 1;
        return;
    }
    if (derr != CAPA_OK) {
        add(v, num, "stages", "stage", NULL, NULL, NULL, seq,
            "case %s: stage %u: stored record cannot be decoded", num, key[8]);
        return;
    }
    if (capa_stage__decode(&b, ev->mv_data, ev->mv_size) != CAPA_OK) {
        v->oom = 1;
        capa_stage_record_clear(&a);
        return;
    }
    if (klen == 13) /* a record an earlier round left (二次处理) */
        snprintf(rec, sizeof rec, "stage %s of round %u", b.stage,
                 (unsigned)((uint32_t)key[9] << 24 | (uint32_t)key[10] << 16 |
                            (uint32_t)key[11] << 8 | key[12]));
    else
        snprintf(rec, sizeof rec, "stage %s", b.stage);
    size_t before = v->r->n_total;
    diff_str(v, num, "stages", rec, "stage", a.stage, b.stage, seq);
    diff_str(v, num, "stages", rec, "form", a.form_id, b.form_id, seq);
    diff_int(v, num, "stages", rec, "form version", a.form_version, b.form_version, seq, 0);
    diff_int(v, num, "stages", rec, "entered", a.entered, b.entered, seq, 1);
    diff_int(v, num, "stages", rec, "left", a.left, b.left, seq, 1);
    size_t i = 0, j = 0;
    while (i < a.n_values || j < b.n_values) {
        int c = i >= a.n_values   ? 1
                : j >= b.n_values ? -1
                                  : strcmp(a.values[i].name, b.values[j].name);
        char field[200];
        if (c == 0) {
            snprintf(field, sizeof field, "field `%s`", a.values[i].name);
            diff_str(v, num, "stages", rec, field, a.values[i].value, b.values[j].value, seq);
            i++, j++;
        } else if (c < 0) {
            snprintf(field, sizeof field, "field `%s`", a.values[i].name);
            diff_str(v, num, "stages", rec, field, a.values[i].value, NULL, seq);
            i++;
        } else {
            snprintf(field, sizeof field, "field `%s`", b.values[j].name);
            diff_str(v, num, "stages", rec, field, NULL, b.values[j].value, seq);
            j++;
        }
    }
    int same_editors = a.n_editors == b.n_editors;
    for (size_t k = 0; same_editors && k < a.n_editors; k++)
        same_editors = strcmp(a.editors[k], b.editors[k]) == 0;
    if (!same_editors)
        add(v, num, "stages", rec, "editors", NULL, NULL, seq,
            "case %s: %s: stored editors differ from those the events name (event %llu)", num, rec,
            (unsigned long long)seq);
    unexplained(v, before, num, "stages", rec, seq, sv, ev);
    capa_stage_record_clear(&a);
    capa_stage_record_clear(&b);
}

/* Signatures of a case are numbered 1, 2, ... in trail order, as show and the dossier do. */
static int sig_ordinal(vctx *v, const unsigned char *key)
{
    MDB_cursor *cur = NULL;
    unsigned char k0[16];
    memcpy(k0, key, 8);
    memset(k0 + 8, 0, 8);
    MDB_val k = {16, k0}, val;
    int n = 0;
    if (mdb_cursor_open(v->stxn, v->scratch->dbi[DB_SIGS], &cur))
        return 0;
    int rc = mdb_cursor_get(cur, &k, &val, MDB_SET_RANGE);
    for (; rc == 0 && memcmp(k.mv_data, key, 8) == 0;
         rc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
        n++;
        if (memcmp(k.mv_data, key, 16) >= 0)
            break;
    }
    mdb_cursor_close(cur);
    return n;
}

static void diff_sig(vctx *v, const unsigned char *key, const MDB_val *sv, const MDB_val *ev)
{
    capa_signature a, b;
    char num[160], rec[160];
    uint64_t id = capa_get_be64(key), seq = capa_get_be64(key + 8);
    case_number(v, id, num, sizeof num);
    int derr = capa_sig__decode(&a, sv->mv_data, sv->mv_size);
    if (derr == CAPA_ENOMEM) {
        v->oom = 1;
        return;
    }
    if (derr != CAPA_OK) {
        add(v, num, "signatures", "signature", NULL, NULL, NULL, seq,
            "case %s: signature of event %llu: stored record cannot be decoded", num,
            (unsigned long long)seq);
        return;
    }
    if (capa_sig__decode(&b, ev->mv_data, ev->mv_size) != CAPA_OK) {
        v->oom = 1;
        capa_signature_clear(&a);
        return;
    }
    snprintf(rec, sizeof rec, "signature %d (%s)", sig_ordinal(v, key), b.meaning);
    size_t before = v->r->n_total;
    diff_str(v, num, "signatures", rec, "signer", a.user, b.user, seq);
    diff_str(v, num, "signatures", rec, "printed name", a.name, b.name, seq);
    diff_str(v, num, "signatures", rec, "role", a.role, b.role, seq);
    diff_str(v, num, "signatures", rec, "meaning", a.meaning, b.meaning, seq);
    diff_str(v, num, "signatures", rec, "kind", a.kind, b.kind, seq);
    diff_str(v, num, "signatures", rec, "stage", a.stage, b.stage, seq);
    diff_str(v, num, "signatures", rec, "reason", a.reason, b.reason, seq);
    diff_str(v, num, "signatures", rec, "data hash", a.data_hash, b.data_hash, seq);
    diff_int(v, num, "signatures", rec, "time", a.time, b.time, seq, 1);
    diff_int(v, num, "signatures", rec, "superseded", a.superseded, b.superseded, seq, 0);
    diff_int(v, num, "signatures", rec, "round", a.round, b.round, seq, 0);
    diff_int(v, num, "signatures", rec, "event", (long long)a.seq, (long long)b.seq, seq, 0);
    unexplained(v, before, num, "signatures", rec, seq, sv, ev);
    capa_signature_clear(&a);
    capa_signature_clear(&b);
}

static void diff_user(vctx *v, const MDB_val *k, const MDB_val *sv, const MDB_val *ev)
{
    capa_user_rec a, b;
    int derr = capa_user__decode(&a, sv->mv_data, sv->mv_size);
    if (derr == CAPA_ENOMEM) {
        v->oom = 1;
        return;
    }
    if (derr != CAPA_OK) {
        char key[300], rec[320];
        show_bytes(key, sizeof key, k->mv_data, k->mv_size);
        snprintf(rec, sizeof rec, "user %s", key);
        add(v, NULL, "users", rec, NULL, NULL, NULL, 0, "user %s: stored record cannot be decoded",
            key);
        return;
    }
    if (capa_user__decode(&b, ev->mv_data, ev->mv_size) != CAPA_OK) {
        v->oom = 1;
        capa_user_rec_clear(&a);
        return;
    }
    char rec[80], sa[32], sb[32];
    size_t before = v->r->n_total;
    snprintf(rec, sizeof rec, "user %s", b.u.id);
#define U(field, x, y)                                                                             \
    if (strcmp(x, y) != 0)                                                                         \
    add(v, NULL, "users", rec, field, x, y, 0, "user %s: stored %s '%s', the events say '%s'",     \
        b.u.id, field, x, y)
    U("id", STR(a.u.id), STR(b.u.id));
    U("name", STR(a.u.name), STR(b.u.name));
    U("dept", STR(a.u.dept), STR(b.u.dept));
    U("role", STR(a.u.role), STR(b.u.role));
    snprintf(sa, sizeof sa, "%d/%d", a.u.locked, a.u.failed);
    snprintf(sb, sizeof sb, "%d/%d", b.u.locked, b.u.failed);
    U("locked/failed sign-ins", sa, sb);
    U("disabled", a.u.disabled ? "true" : "false", b.u.disabled ? "true" : "false");
    capa_time_format(sa, sizeof sa, a.u.created);
    capa_time_format(sb, sizeof sb, b.u.created);
    U("created", sa, sb);
#undef U
    if (a.log2n != b.log2n || a.r != b.r || a.p != b.p || memcmp(a.salt, b.salt, 16) != 0 ||
        memcmp(a.hash, b.hash, 32) != 0) {
        char da[65];
        capa_user__cred_digest(da, &a);
        add(v, NULL, "users", rec, "credential", da, NULL, 0,
            "user %s: credential: the stored password hash (digest %.16s...) is not the one the "
            "events recorded for this user (copied, replaced or reset behind capa's back)",
            b.u.id, da);
    }
    unexplained(v, before, NULL, "users", rec, 0, sv, ev);
    capa_user_rec_clear(&a);
    capa_user_rec_clear(&b);
}

static void diff_att(vctx *v, const unsigned char *key, const MDB_val *sv, const MDB_val *ev)
{
    capa_attachment a, b;
    char num[160], rec[300];
    uint64_t seq = capa_get_be64(key + 8);
    case_number(v, capa_get_be64(key), num, sizeof num);
    int derr = capa_att__decode(&a, sv->mv_data, sv->mv_size);
    if (derr == CAPA_ENOMEM) {
        v->oom = 1;
        return;
    }
    if (derr != CAPA_OK) {
        add(v, num, "attachments", "attachment", NULL, NULL, NULL, seq,
            "case %s: attachment of event %llu: stored record cannot be decoded", num,
            (unsigned long long)seq);
        return;
    }
    if (capa_att__decode(&b, ev->mv_data, ev->mv_size) != CAPA_OK) {
        v->oom = 1;
        capa_attachment_clear(&a);
        return;
    }
    size_t before = v->r->n_total;
    snprintf(rec, sizeof rec, "attachment '%.200s' (event %llu)", b.name, (unsigned long long)seq);
    diff_int(v, num, "attachments", rec, "event", (long long)a.seq, (long long)b.seq, seq, 0);
    diff_str(v, num, "attachments", rec, "name", a.name, b.name, seq);
    diff_str(v, num, "attachments", rec, "stage", a.stage, b.stage, seq);
    diff_str(v, num, "attachments", rec, "note", a.note, b.note, seq);
    diff_str(v, num, "attachments", rec, "type", a.mime, b.mime, seq);
    diff_int(v, num, "attachments", rec, "size", (long long)a.size, (long long)b.size, seq, 0);
    diff_str(v, num, "attachments", rec, "sha256", a.sha256, b.sha256, seq);
    diff_str(v, num, "attachments", rec, "user", a.user, b.user, seq);
    diff_str(v, num, "attachments", rec, "printed name", a.user_name, b.user_name, seq);
    diff_int(v, num, "attachments", rec, "time", a.time, b.time, seq, 1);
    unexplained(v, before, num, "attachments", rec, seq, sv, ev);
    capa_attachment_clear(&a);
    capa_attachment_clear(&b);
}

/* Stored attachment content that differs from what the events attest: reported once per
 * attachment record (of the replayed store) naming it, so the cases concerned are named. */
static void blob_mismatch(vctx *v, const unsigned char *raw, const MDB_val *sv, const MDB_val *ev)
{
    char sha[65], have[65] = "", num[160];
    MDB_cursor *cur = NULL;
    MDB_val k, val;
    int named = 0;
    capa__hex(sha, raw, 32);
    if (sv)
        capa_sha256_hex(have, sv->mv_data, sv->mv_size);
    const char *what = !sv                      ? "missing from the store (the events attached it)"
                       : strcmp(have, sha) != 0 ? "changed: the stored bytes no longer hash to it"
                                                : "stored, but no event attached it";
    if (mdb_cursor_open(v->stxn, v->scratch->dbi[DB_ATTACH], &cur) == 0) {
        for (int rc = mdb_cursor_get(cur, &k, &val, MDB_FIRST); rc == 0;
             rc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
            capa_attachment a;
            if (k.mv_size != 16 || capa_att__decode(&a, val.mv_data, val.mv_size) != CAPA_OK)
                continue;
            if (strcmp(a.sha256, sha) == 0) {
                case_number(v, capa_get_be64(k.mv_data), num, sizeof num);
                add(v, num, "blobs", "attachment content", "sha256", sv ? have : NULL,
                    ev ? sha : NULL, a.seq,
                    "case %s: attachment '%s' (event %llu), content SHA-256 %s: %s%s%s", num,
                    a.name, (unsigned long long)a.seq, sha, what, sv ? "; now " : "", have);
                named = 1;
            }
            capa_attachment_clear(&a);
        }
        mdb_cursor_close(cur);
    }
    if (!named)
        add(v, NULL, "blobs", "attachment content", "sha256", sv ? have : NULL, ev ? sha : NULL, 0,
            "attachment content SHA-256 %s: %s", sha, what);
}

/* A record present on one side only, or differing in a kind without a field-level diff. */
static void describe(vctx *v, int db, const MDB_val *k, const MDB_val *sv, const MDB_val *ev)
{
    const char *name = capa_db_specs[db].name;
    char key[300], sval[300], eval[300], num[160] = "";
    const unsigned char *kb = k->mv_data;
    show_bytes(key, sizeof key, k->mv_data, k->mv_size);
    show_bytes(sval, sizeof sval, sv ? sv->mv_data : "", sv ? sv->mv_size : 0);
    show_bytes(eval, sizeof eval, ev ? ev->mv_data : "", ev ? ev->mv_size : 0);
    const char *what = !sv   ? "missing: the events put it there"
                       : !ev ? "stored, but no event explains it"
                             : "differs";
    uint64_t seq = 0;
    switch (db) {
    case DB_CASES:
    case DB_STAGES:
    case DB_SIGS:
        if (k->mv_size >= 8) {
            uint64_t id = capa_get_be64(kb);
            case_number(v, id, num, sizeof num);
            seq = db == DB_SIGS && k->mv_size == 16 ? capa_get_be64(kb + 8) : last_event(v, id);
            const char *kind = db == DB_CASES    ? "header"
                               : db == DB_STAGES ? "stage record"
                                                 : "signature";
            if (db == DB_STAGES && k->mv_size == 9)
                add(v, num, name, kind, NULL, sv ? "present" : NULL, ev ? "present" : NULL, seq,
                    "case %s: stage %u record: %s (event %llu)", num, kb[8], what,
                    (unsigned long long)seq);
            else if (db == DB_STAGES && k->mv_size == 13)
                add(v, num, name, kind, NULL, sv ? "present" : NULL, ev ? "present" : NULL, seq,
                    "case %s: stage %u record of round %u: %s (event %llu)", num, kb[8],
                    (unsigned)((uint32_t)kb[9] << 24 | (uint32_t)kb[10] << 16 |
                               (uint32_t)kb[11] << 8 | kb[12]),
                    what, (unsigned long long)seq);
            else if (db == DB_SIGS && k->mv_size == 16)
                add(v, num, name, kind, NULL, sv ? "present" : NULL, ev ? "present" : NULL, seq,
                    "case %s: signature of event %llu: %s", num, (unsigned long long)seq, what);
            else
                add(v, num, name, kind, NULL, sv ? "present" : NULL, ev ? "present" : NULL, seq,
                    "case %s: %s: %s", num, kind, what);
            return;
        }
        break;
    case DB_CASE_EVENTS:
        if (k->mv_size == 8 && (sv ? sv : ev)->mv_size == 8) {
            case_number(v, capa_get_be64(kb), num, sizeof num);
            seq = capa_get_be64((sv ? sv : ev)->mv_data);
            add(v, num, name, "audit link", NULL, sv ? "present" : NULL, ev ? "present" : NULL, seq,
                "case %s: link to audit event %llu: %s", num, (unsigned long long)seq,
                !sv ? "missing (the event is the case's)"
                    : "stored, but that event is not the case's (injected)");
            return;
        }
        break;
    case DB_IDX_DUE:
        if (k->mv_size == 8 && (sv ? sv : ev)->mv_size == 17) {
            char due[40];
            capa_time_format(due, sizeof due, (int64_t)capa_get_be64(kb));
            case_number(v, capa_get_be64((sv ? sv : ev)->mv_data), num, sizeof num);
            add(v, num, name, "index entry", due, sv ? "present" : NULL, ev ? "present" : NULL, 0,
                "index %s: limit due %s -> case %s: %s", name, due, num,
                !sv ? "missing (the case would escape --overdue and escalation)"
                    : "stored, but no event explains it");
            return;
        }
        break;
    case DB_OUTBOX:
        if (k->mv_size == 8) {
            seq = capa_get_be64(kb);
            add(v, NULL, name, "notice", NULL, sv ? sval : NULL, ev ? eval : NULL, seq,
                "outbox: notice of escalation event %llu: %s", (unsigned long long)seq,
                !sv   ? "missing (queued by the event, never delivered: it would not be sent)"
                : !ev ? "stored, but no event queued it or its delivery cleared it"
                      : "differs from what the event queued");
            return;
        }
        break;
    case DB_IDX_STAGE:
    case DB_IDX_CUSTOMER:
    case DB_IDX_PART:
    case DB_IDX_DEFECT:
    case DB_IDX_OPENED: {
        const MDB_val *x = sv ? sv : ev;
        if (x->mv_size == 8)
            case_number(v, capa_get_be64(x->mv_data), num, sizeof num);
        add(v, num[0] ? num : NULL, name, "index entry", key, sv ? "present" : NULL,
            ev ? "present" : NULL, 0, "index %s: entry '%s' -> case %s: %s", name, key, num,
            !sv ? "missing (the case would vanish from lists)"
                : "stored, but no event explains it");
        return;
    }
    case DB_NUMBERS:
        add(v, key, name, "number", NULL, sv ? sval : NULL, ev ? eval : NULL, 0,
            "number %s: stored -> %s%s, the events say -> %s%s", key, sv ? "case id " : "",
            sv ? sval : "nothing", ev ? "case id " : "", ev ? eval : "nothing");
        return;
    case DB_META:
        add(v, NULL, name, key, NULL, sv ? sval : NULL, ev ? eval : NULL, 0,
            "meta `%s`: stored '%s', the events say '%s'", key, sv ? sval : "(none)",
            ev ? eval : "(none)");
        return;
    case DB_FORMS: {
        char id[260], ha[65] = "", hb[65] = "";
        size_t n = strnlen((const char *)kb, k->mv_size);
        snprintf(id, sizeof id, "%.*s v%u", (int)n, (const char *)kb,
                 n + 5 == k->mv_size ? capa_get_be32(kb + n + 1) : 0);
        if (sv)
            capa_sha256_hex(ha, sv->mv_data, sv->mv_size);
        if (ev)
            capa_sha256_hex(hb, ev->mv_data, ev->mv_size);
        add(v, NULL, name, id, NULL, sv ? ha : NULL, ev ? hb : NULL, 0,
            "definition %s: %s (stored SHA-256 %.16s..., the events' %.16s...)", id,
            !sv   ? "missing"
            : !ev ? "stored, but no event installed it"
                  : "stored text differs from what the events installed",
            sv ? ha : "-", ev ? hb : "-");
        return;
    }
    case DB_ATTACH:
        if (k->mv_size == 16) {
            case_number(v, capa_get_be64(kb), num, sizeof num);
            seq = capa_get_be64(kb + 8);
            add(v, num, name, "attachment", NULL, sv ? "present" : NULL, ev ? "present" : NULL, seq,
                "case %s: attachment of event %llu: %s", num, (unsigned long long)seq, what);
            return;
        }
        break;
    case DB_BLOBS:
        if (k->mv_size == 32) {
            blob_mismatch(v, kb, sv, ev);
            return;
        }
        break;
    case DB_USERS:
        add(v, NULL, name, key, NULL, sv ? "present" : NULL, ev ? "present" : NULL, 0,
            "user %s: %s", key,
            !sv ? "missing (the events add this user)" : "stored, but no event added this user");
        return;
    }
    add(v, num[0] ? num : NULL, name, key, NULL, sv ? sval : NULL, ev ? eval : NULL, seq,
        "database %s: record '%s': %s", name, key, what);
}

static int same_value(vctx *v, const MDB_val *a, const MDB_val *b)
{
    const unsigned char *pa, *pb;
    size_t na, nb;
    void *ta = NULL, *tb = NULL;
    if (a->mv_size == b->mv_size && memcmp(a->mv_data, b->mv_data, a->mv_size) == 0)
        return 1;
    /* Compressed or not is an encoding detail: compare what the records hold. */
    int ea = capa_unpack(a->mv_data, a->mv_size, &pa, &na, &ta);
    int eb = ea ? ea : capa_unpack(b->mv_data, b->mv_size, &pb, &nb, &tb);
    if (ea == CAPA_ENOMEM || eb == CAPA_ENOMEM)
        v->oom = 1;
    int same = !ea && !eb && na == nb && memcmp(pa, pb, na) == 0;
    capa__free(ta);
    capa__free(tb);
    return same;
}

static int cmp_val(const MDB_val *a, const MDB_val *b)
{
    size_t n = a->mv_size < b->mv_size ? a->mv_size : b->mv_size;
    int c = memcmp(a->mv_data, b->mv_data, n);
    return c ? c : (a->mv_size < b->mv_size ? -1 : a->mv_size > b->mv_size);
}

/* The first record of a cursor at or after `from` (NULL: the first of all). */
static int seek(MDB_cursor *c, const MDB_val *from, MDB_val *k, MDB_val *v)
{
    if (!from)
        return mdb_cursor_get(c, k, v, MDB_FIRST);
    *k = *from;
    return mdb_cursor_get(c, k, v, MDB_SET_RANGE);
}

/* Past the end of the range: at or after `to` (NULL: no end). */
static int past(const MDB_val *k, const MDB_val *to)
{
    return to && cmp_val(k, to) >= 0;
}

/* The records of database `db` with keys in [from, to) (NULL: unbounded), both ways. */
static int compare_db(vctx *v, int db, const MDB_val *from, const MDB_val *to)
{
    MDB_cursor *a = NULL, *b = NULL;
    int dup = (capa_db_specs[db].flags & MDB_DUPSORT) != 0;
    /* The index databases are replayed into sorted runs (ix_main), merged here; they are
     * compared whole (from and to are NULL). */
    ix_iter *it = NULL;
    int rc = mdb_cursor_open(v->txn, v->s->dbi[db], &a);
    if (!rc)
        rc = deferred(db) && v->ix ? ix_iter_open(v->ix, db, &it)
                                   : mdb_cursor_open(v->stxn, v->scratch->dbi[db], &b);
    if (rc) {
        if (a)
            mdb_cursor_close(a);
        if (rc != ENOMEM)
            v->scratch_err = 1;
        return capa_store__mdb_err(rc, "verify: scratch");
    }
    MDB_val ka, va, kb, vb;
    int ra = seek(a, from, &ka, &va),
        rb = it ? ix_iter_next(it, &kb, &vb) : seek(b, from, &kb, &vb);
    for (;;) {
        if (ra == 0 && past(&ka, to))
            ra = MDB_NOTFOUND;
        if (rb == 0 && past(&kb, to))
            rb = MDB_NOTFOUND;
        if (ra != 0 && rb != 0)
            break;
        int c = ra ? 1 : rb ? -1 : cmp_val(&ka, &kb);
        if (c == 0 && dup)
            c = cmp_val(&va, &vb);
        if (c == 0) {
            if (!dup && !same_value(v, &va, &vb)) {
                if (db == DB_CASES && ka.mv_size == 8)
                    diff_header(v, capa_get_be64(ka.mv_data), &va, &vb);
                else if (db == DB_STAGES && (ka.mv_size == 9 || ka.mv_size == 13))
                    diff_stage(v, ka.mv_data, ka.mv_size, &va, &vb);
                else if (db == DB_SIGS && ka.mv_size == 16)
                    diff_sig(v, ka.mv_data, &va, &vb);
                else if (db == DB_USERS)
                    diff_user(v, &ka, &va, &vb);
                else if (db == DB_ATTACH && ka.mv_size == 16)
                    diff_att(v, ka.mv_data, &va, &vb);
                else
                    describe(v, db, &ka, &va, &vb);
            }
            ra = mdb_cursor_get(a, &ka, &va, MDB_NEXT);
            rb = it ? ix_iter_next(it, &kb, &vb) : mdb_cursor_get(b, &kb, &vb, MDB_NEXT);
        } else if (c < 0) {
            describe(v, db, &ka, &va, NULL);
            ra = mdb_cursor_get(a, &ka, &va, MDB_NEXT);
        } else {
            describe(v, db, &kb, NULL, &vb);
            rb = it ? ix_iter_next(it, &kb, &vb) : mdb_cursor_get(b, &kb, &vb, MDB_NEXT);
        }
    }
    mdb_cursor_close(a);
    if (b)
        mdb_cursor_close(b);
    ix_iter_free(it);
    if (it && rb && rb != MDB_NOTFOUND && rb != ENOMEM)
        v->scratch_err = 1; /* a run could not be read back */
    return (ra && ra != MDB_NOTFOUND) || (rb && rb != MDB_NOTFOUND)
               ? capa_store__mdb_err(ra && ra != MDB_NOTFOUND ? ra : rb, "verify")
               : CAPA_OK;
}

/* ---- comparing on both cores ---- */

/* Databases by what comparing them costs, the dearest first, so two threads taking the next
 * one each finish close together. Stage records are the most: they are taken in two halves
 * (by case id), one by each thread. */
enum { WHOLE, LOW_HALF, HIGH_HALF };
static const struct cmp_item {
    int db, part;
} compare_order[] = {
    {DB_STAGES, LOW_HALF},  {DB_STAGES, HIGH_HALF}, {DB_CASES, WHOLE},
    {DB_IDX_DUE, WHOLE},    {DB_NUMBERS, WHOLE},    {DB_CASE_EVENTS, WHOLE},
    {DB_IDX_PART, WHOLE},   {DB_IDX_OPENED, WHOLE}, {DB_IDX_CUSTOMER, WHOLE},
    {DB_IDX_DEFECT, WHOLE}, {DB_IDX_STAGE, WHOLE},  {DB_SIGS, WHOLE},
    {DB_ATTACH, WHOLE},     {DB_BLOBS, WHOLE},      {DB_OUTBOX, WHOLE},
    {DB_USERS, WHOLE},      {DB_FORMS, WHOLE},      {DB_META, WHOLE},
    {DB_CONTACTS, WHOLE},   {DB_TARGETS, WHOLE},    {DB_OWNERS, WHOLE},
    {DB_NOTICES, WHOLE},    {DB_INBOX, WHOLE},      {DB_PENDING, WHOLE},
    {DB_PROOF, WHOLE},
};

/* The report of a high half: after the databases' own (reps[DB_COUNT]). */
#define HIGH_REP DB_COUNT

typedef struct cmp_job {
    vctx v; /* a copy: its own transactions and, per database, its own report */
    atomic_int *next;
    capa_verify_report *reps; /* one per database and HIGH_REP, merged in order afterwards */
    const MDB_val *split;     /* where a high half starts: the middle case id's key */
    int err;
    char msg[1024]; /* its error message (messages are per thread) */
} cmp_job;

static int compared(const vctx *v, int db)
{
    return db != DB_EVENTS && capa_store__has(v->s, db) &&
           !(v->legacy && (db == DB_IDX_DUE || db == DB_OUTBOX));
}

static void *compare_main(void *arg)
{
    cmp_job *j = arg;
    int rc = mdb_txn_begin(j->v.scratch->env, NULL, MDB_RDONLY, &j->v.stxn);
    if (rc) {
        j->err = scratch_err(&j->v, rc);
        snprintf(j->msg, sizeof j->msg, "%s", capa_error_last());
        return NULL;
    }
    for (;;) {
        int i = atomic_fetch_add(j->next, 1);
        if (i >= (int)(sizeof compare_order / sizeof *compare_order) || j->err)
            break;
        int db = compare_order[i].db, part = compare_order[i].part;
        if (!compared(&j->v, db))
            continue;
        capa_verify_report *r = &j->reps[part == HIGH_HALF ? HIGH_REP : db];
        j->v.r = r;
        r->ok = 1;
        if ((j->err = compare_db(&j->v, db, part == HIGH_HALF ? j->split : NULL,
                                 part == LOW_HALF ? j->split : NULL)))
            snprintf(j->msg, sizeof j->msg, "%s", capa_error_last());
    }
    mdb_txn_abort(j->v.stxn);
    j->v.stxn = NULL;
    return NULL;
}

/* Move the mismatches of `from` after those of v->r, keeping at most v->keep. */
static void merge_report(vctx *v, capa_verify_report *from)
{
    capa_verify_report *r = v->r;
    if (from->n_total)
        r->ok = 0;
    r->n_total += from->n_total;
    for (size_t i = 0; i < from->n_mismatches; i++) {
        capa_mismatch *m = NULL;
        if (r->n_mismatches < v->keep &&
            (m = capa__realloc(r->mismatches, (r->n_mismatches + 1) * sizeof *m))) {
            r->mismatches = m;
            r->mismatches[r->n_mismatches++] = from->mismatches[i];
            continue;
        }
        if (r->n_mismatches < v->keep)
            v->oom = 1;
        capa_mismatch *x = &from->mismatches[i];
        capa__free(x->case_number), capa__free(x->db), capa__free(x->record);
        capa__free(x->field), capa__free(x->stored), capa__free(x->expected);
        capa__free(x->message);
    }
    capa__free(from->mismatches);
    memset(from, 0, sizeof *from);
}

/* Every database compared, on this thread and one more (with v->txn2, the same snapshot). */
static int compare_all(vctx *v)
{
    atomic_int next = 0;
    capa_verify_report reps[DB_COUNT + 1];
    cmp_job jobs[2];
    pthread_t other;
    int started = 0, err = CAPA_OK;
    memset(reps, 0, sizeof reps);
    /* The halves of the stage records meet at the middle of the case ids (a stage record's
     * key starts with its case's id): every key falls in exactly one, whatever it holds. */
    unsigned char mid[8];
    MDB_val split = {8, mid};
    uint64_t next_id = 0;
    if (capa_meta__get_u64(v->s, v->txn, "next_id", &next_id) != CAPA_OK)
        next_id = 0; /* no such record (or a broken one, which meta's compare names) */
    capa_be64(mid, next_id / 2 + 1);
    for (int i = 0; i < 2; i++) {
        jobs[i] = (cmp_job){.v = *v, .next = &next, .reps = reps, .split = &split};
        jobs[i].v.stxn = NULL;
        jobs[i].v.oom = 0;
    }
    jobs[1].v.txn = v->txn2;
    started = pthread_create(&other, NULL, compare_main, &jobs[1]) == 0;
    compare_main(&jobs[0]);
    if (started)
        pthread_join(other, NULL);
    else
        compare_main(&jobs[1]); /* no thread to be had: the same work, here */
    for (int i = 0; i < 2; i++) {
        v->oom |= jobs[i].v.oom;
        v->scratch_err |= jobs[i].v.scratch_err;
        if (!err && jobs[i].err) {
            err = jobs[i].err;
            capa_error_set(err, "%s", jobs[i].msg); /* the failing thread's, said here */
        }
    }
    for (int db = 0; db < DB_COUNT; db++) {
        merge_report(v, &reps[db]);
        if (db == DB_STAGES)
            merge_report(v, &reps[HIGH_REP]); /* its high half, in key order after the low */
    }
    return err;
}

/* ---- memory ---- */

/* Every record of the store and of the scratch is read through their maps, and the pages
 * read stay mapped into this process: its resident size would grow to both files' size
 * (6 GB at 1 M cases). A thread of its own looks ten times a second, and past RSS_FILE_MAX
 * tells the kernel that the pages read so far are not needed any more: they stay in the page
 * cache (reclaimable, and faulted back cheaply when read again), but no longer count as this
 * process's memory. */
#define RSS_FILE_MAX ((unsigned long)256 << 20) /* mapped file pages kept, at most about */

typedef struct rss_guard {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int stop;
    void *addr[3];
    size_t len[3];
} rss_guard;

static void *rss_main(void *arg)
{
    rss_guard *g = arg;
    pthread_mutex_lock(&g->lock);
    while (!g->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100 * 1000000L;
        if (ts.tv_nsec >= 1000000000L)
            ts.tv_sec++, ts.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&g->cond, &g->lock, &ts);
        /* Only past RSS_FILE_MAX: every drop makes the pages read next fault again. */
        unsigned long size = 0, resident = 0, shared = 0;
        FILE *f = fopen("/proc/self/statm", "r");
        int n = f ? fscanf(f, "%lu %lu %lu", &size, &resident, &shared) : 0;
        if (f)
            fclose(f);
        if (n == 3 && shared * (unsigned long)sysconf(_SC_PAGESIZE) < RSS_FILE_MAX)
            continue;
        for (int i = 0; i < 3 && !g->stop; i++)
            if (g->addr[i])
                madvise(g->addr[i], g->len[i], MADV_DONTNEED);
    }
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

/* Where the data file of store `s` is mapped into this process (LMDB does not say unless
 * the map is fixed): from /proc/self/maps. */
static void map_of(void **addr, size_t *len, const capa_store *s)
{
    char path[4200], want[4096], line[4096 + 200];
    *addr = NULL, *len = 0;
    snprintf(path, sizeof path, "%s/data.mdb", s->dir);
    FILE *f = realpath(path, want) ? fopen("/proc/self/maps", "r") : NULL;
    while (f && fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        int off = 0;
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &lo, &hi, &off) != 2 || !off ||
            strcmp(line + off, want) != 0)
            continue;
        *addr = (void *)lo;
        *len = hi - lo;
        break;
    }
    if (f)
        fclose(f);
}

static int rss_start(rss_guard *g, pthread_t *t, capa_store *a, capa_store *b, capa_store *c)
{
    memset(g, 0, sizeof *g);
    map_of(&g->addr[0], &g->len[0], a);
    map_of(&g->addr[1], &g->len[1], b);
    if (c)
        map_of(&g->addr[2], &g->len[2], c);
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->cond, NULL);
    if (pthread_create(t, NULL, rss_main, g) == 0)
        return 1;
    pthread_cond_destroy(&g->cond);
    pthread_mutex_destroy(&g->lock);
    return 0;
}

static void rss_stop(rss_guard *g, pthread_t t)
{
    pthread_mutex_lock(&g->lock);
    g->stop = 1;
    pthread_cond_signal(&g->cond);
    pthread_mutex_unlock(&g->lock);
    pthread_join(t, NULL);
    pthread_cond_destroy(&g->cond);
    pthread_mutex_destroy(&g->lock);
}

/* Named databases not in the engine's list: volatile_* are skipped, others reported. */
static int check_names(vctx *v)
{
    MDB_dbi main;
    MDB_cursor *cur = NULL;
    int rc = mdb_dbi_open(v->txn, NULL, 0, &main);
    if (!rc)
        rc = mdb_cursor_open(v->txn, main, &cur);
    if (rc)
        return capa_store__mdb_err(rc, "verify");
    MDB_val k, val;
    for (rc = mdb_cursor_get(cur, &k, &val, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
        char name[300];
        snprintf(name, sizeof name, "%.*s", (int)(k.mv_size < 299 ? k.mv_size : 299),
                 (const char *)k.mv_data);
        int known = 0;
        for (int i = 0; i < DB_COUNT; i++)
            known |= strcmp(name, capa_db_specs[i].name) == 0;
        if (known)
            continue;
        if (strncmp(name, "volatile_", 9) == 0) {
            char **p = capa__realloc(v->r->skipped, (v->r->n_skipped + 1) * sizeof *p);
            if (p) {
                v->r->skipped = p;
                if ((p[v->r->n_skipped] = capa__strdup(name)))
                    v->r->n_skipped++;
            }
            continue;
        }
        add(v, NULL, name, "database", NULL, "present", NULL, 0,
            "database `%s`: not one of capa's; no event explains it", name);
    }
    mdb_cursor_close(cur);
    return CAPA_OK;
}

/* A scratch store is LMDB's two files in a directory of its own. */
static void rm_scratch(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/lock.mdb", dir);
    unlink(path);
    rmdir(dir);
}

int capa__verify_run(capa_verify_report **out, capa_store *s, const capa_verify_opts *opts,
                     int any_format)
{
    vctx v = {.s = s, .o = opts};
    char dir[4096], ixdir[4200] = "";
    int err = CAPA_OK, guarded = 0;
    rss_guard guard;
    pthread_t guard_thread;
    *out = NULL;
    v.keep = opts && opts->max_mismatches ? opts->max_mismatches : DEFAULT_KEEP;
    if (!(v.r = capa__calloc(1, sizeof *v.r)))
        return capa_error_set(CAPA_ENOMEM, "verify: out of memory");
    v.r->ok = 1;
    if (opts && opts->cert_path) {
        FILE *f = fopen(opts->cert_path, "r");
        X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
        if (f)
            fclose(f);
        if (!x) {
            capa_verify_report_free(v.r);
            return capa_error_set(CAPA_ENOTFOUND, "verify: certificate %s: cannot be read",
                                  opts->cert_path);
        }
        v.org_key = X509_get_pubkey(x);
        X509_free(x);
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/capa-verify-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        err = capa_error_set(CAPA_ERROR, "verify: scratch directory %s: %s", dir, strerror(errno));
        dir[0] = 0;
        goto done;
    }
    v.dir = dir;
    /* The scratch holds the same records (some uncompressed): room for several times the
     * store (address space only; LMDB's file grows with what is written). */
    if ((err = capa_store__open_scratch(&v.scratch, dir, s->map_size * 8 + ((size_t)64 << 20)))) {
        v.scratch_err = 1;
        goto done;
    }
    /* Stage records packed (zstd level -1, one context per thread): unpacked, a stage
     * record of ~2 KiB took an overflow page of its own in the scratch. Packed at the
     * store's level 1 they would be the stored bytes (nothing to unpack in the compare), but
     * that costs the apply loop, the bound of verify's wall time, four times as much as
     * level -1; the compare unpacks both sides on two threads instead (same_value). */
    v.scratch->unpacked = 0;
    v.scratch->pack_fast = 1;
    /* idx_due for limits_replan, in a directory inside it (see ix_due_store). */
    snprintf(ixdir, sizeof ixdir, "%s/ix", dir);
    if ((err = capa_store__open_scratch(&v.scratch_ix, ixdir,
                                        s->map_size * 2 + ((size_t)64 << 20)))) {
        v.scratch_err = 1;
        goto done;
    }
    /* Two read transactions on one snapshot: the chain reader's and the apply loop's, then
     * one for each thread comparing. A write committed between the two begins would give
     * two snapshots: try again. */
    for (int tries = 0;; tries++) {
        if ((err = capa_store__read_begin(s, &v.txn)) || (err = capa_store__read_begin(s, &v.txn2)))
            goto done;
        if (mdb_txn_id(v.txn) == mdb_txn_id(v.txn2))
            break;
        capa_store__read_end(s, v.txn2);
        capa_store__read_end(s, v.txn);
        v.txn = v.txn2 = NULL;
        if (tries == 100) {
            err = capa_error_set(CAPA_ERROR, "verify: the store kept changing; try again");
            goto done;
        }
    }
    guarded = rss_start(&guard, &guard_thread, s, v.scratch, v.scratch_ix);
    uint64_t format = 0;
    if ((err = any_format ? capa_store__require_any_format(s, v.txn, &format)
                          : capa_store__require_init(s, v.txn)))
        goto done;
    v.format = any_format ? format : CAPA_FORMAT_VERSION;
    MDB_stat st;
    if (mdb_stat(v.txn, s->dbi[DB_CASES], &st) == 0)
        v.r->n_cases = st.ms_entries;
    err = walk(&v);
    if (err == 1) {
        err = CAPA_OK; /* the chain is broken: already reported, nothing to compare */
        goto done;
    }
    if (err)
        goto done;
    v.legacy = format == 1;
    if (!(err = compare_all(&v)))
        err = check_names(&v);
done:
    if (!err && v.oom)
        err = capa_error_set(CAPA_ENOMEM, "verify: out of memory");
    if (err && v.scratch_err)
        err = capa_store__scratch_fail(dir, err);
    if (guarded)
        rss_stop(&guard, guard_thread);
    if (v.stxn)
        mdb_txn_abort(v.stxn);
    capa_store__read_end(s, v.txn2);
    capa_store__read_end(s, v.txn);
    ix_free(v.ix);
    capa_store_close(v.scratch_ix);
    capa_store_close(v.scratch);
    if (ixdir[0])
        rm_scratch(ixdir);
    if (dir[0])
        rm_scratch(dir);
    EVP_PKEY_free(v.org_key);
    if (err) {
        capa_verify_report_free(v.r);
        return err;
    }
    *out = v.r;
    return CAPA_OK;
}

int capa_store_verify(capa_verify_report **out, capa_store *s, const capa_verify_opts *opts)
{
    return capa__verify_run(out, s, opts, 0);
}

int capa_audit_verify(capa_store *s, char head_hex[65], uint64_t *out_bad_seq)
{
    capa_verify_report *r = NULL;
    head_hex[0] = 0;
    if (out_bad_seq)
        *out_bad_seq = 0;
    int err = capa_store_verify(&r, s, NULL);
    if (err)
        return err;
    if (r->ok) {
        memcpy(head_hex, r->head, 65);
    } else {
        if (out_bad_seq)
            *out_bad_seq = r->bad_seq ? r->bad_seq : r->mismatches[0].seq;
        err = capa_error_set(CAPA_ECORRUPT, "%s%s", r->mismatches[0].message,
                             r->n_total > 1 ? " (and more: capa verify lists them all)" : "");
    }
    capa_verify_report_free(r);
    return err;
}

const capa_mismatch *capa_verify_report_concerns(const capa_verify_report *r, const char *number)
{
    for (size_t i = 0; r && i < r->n_mismatches; i++) {
        const capa_mismatch *m = &r->mismatches[i];
        /* A mismatch in `events` (an event that does not replay, a checkpoint that does not
         * hold) concerns every case: the trail is not sound, and after a replay stopped no
         * record was compared at all. Users, definitions and numbers are what a case's
         * rendering relies on. */
        if (r->bad_seq || (m->case_number && number && strcmp(m->case_number, number) == 0) ||
            strcmp(m->db, "events") == 0 || strcmp(m->db, "users") == 0 ||
            strcmp(m->db, "forms") == 0 || strcmp(m->db, "numbers") == 0)
            return m;
    }
    return NULL;
}

int capa_case_verify(capa_store *s, const char *number)
{
    capa_verify_report *r = NULL;
    int err = capa_store_verify(&r, s, NULL);
    if (err)
        return err;
    const capa_mismatch *m = capa_verify_report_concerns(r, number);
    if (m)
        err = capa_error_set(CAPA_ECORRUPT, "case %s does not verify against the audit trail: %s",
                             number, m->message);
    capa_verify_report_free(r);
    return err;
}
