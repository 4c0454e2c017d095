/*
 * capa-tamper.c - edits a capa database underneath capa, as someone with file access to it
 * could, for tests/e2e/tamper_replay.sh: that script proves `capa verify` names every such
 * edit. The tool opens the LMDB environment itself (not through capa_store_open), decodes
 * the record it is told to change with core's own codecs, changes one field and writes it
 * back, so each edit is exactly the one named and the record stays well-formed.
 *
 *   capa-tamper DB sig CASE N FIELD VALUE...     N-th signature (1 = first in trail order)
 *   capa-tamper DB sig-del CASE N
 *   capa-tamper DB hdr CASE FIELD VALUE...       case header (FIELD id: the case id inside
 *                                                the value, VALUE another case's number or
 *                                                a decimal id)
 *   capa-tamper DB stage CASE IDX NAME VALUE [--rehash]
 *                                                a stage value ("" clears); --rehash also
 *                                                recomputes the data hash of the stage's
 *                                                signatures that matched the old data
 *   capa-tamper DB erase CASE                    the case gone from every database but events
 *   capa-tamper DB link-del CASE N               N-th case_events link of the case
 *   capa-tamper DB link-add CASE SEQ             link audit event SEQ to the case
 *   capa-tamper DB idx-del DBNAME CASE           the case's (first) entry in an index
 *   capa-tamper DB blob-byte SHA256 OFFSET       one byte of an attachment's content flipped
 *   capa-tamper DB att CASE N FIELD VALUE        N-th attachment record: name, note, user
 *   capa-tamper DB outbox-del SEQ                the outbox entry of escalation event SEQ
 *   capa-tamper DB pending-del SEQ TARGET        a notice's pending delivery to TARGET
 *   capa-tamper DB contact ID MOBILE             a user's contact record: another mobile
 *   capa-tamper DB secret NAME URL               a notice target's kept URL (no secret)
 *   capa-tamper DB number NUMBER TARGET          numbers: NUMBER -> the id of case TARGET
 *   capa-tamper DB meta-u64 KEY VALUE            VALUE, or -N: lowered by N
 *   capa-tamper DB meta-str KEY VALUE            a text meta value (e.g. org) replaced
 *   capa-tamper DB meta-del KEY                  a meta record deleted (e.g. head)
 *   capa-tamper DB user ID FIELD VALUE...        name, dept, role, locked, disabled, failed, created
 *   capa-tamper DB user-cred-copy FROM TO        FROM's password hash into TO's record
 *   capa-tamper DB form ID VERSION OLD NEW       every OLD in a stored definition -> NEW
 *   capa-tamper DB event-edit SEQ FIELD VALUE    edit event SEQ in place (FIELD as for rewrite)
 *                                                and recompute its own chain hash only: the
 *                                                chain breaks at the next event
 *   capa-tamper DB proof-node CASE LEVEL         flip a bit of the case-tree node a dossier of
 *                                                CASE reads at LEVEL (the sibling on its path;
 *                                                an empty one is stored as a non-empty one)
 *   capa-tamper DB proof-kept CASE|store OLD NEW
 *                                                the first OLD in the records the case proof
 *                                                keeps as of the last checkpoint (the case's,
 *                                                or the store's) -> NEW of the same length
 *   capa-tamper DB rewrite SEQ FIELD VALUE [--ck-heads | --ck-key PEM] [--rebuild]
 *                                                edit event SEQ (FIELD: reason, actor,
 *                                                change:NAME for its new value, old:NAME
 *                                                for the value it replaced, fact:NAME, added
 *                                                when the event has none),
 *                                                recompute every later chain hash and the
 *                                                head. --ck-heads: later checkpoints name
 *                                                the new chain (their signatures go stale);
 *                                                --ck-key: and are signed anew with PEM.
 *                                                --rebuild: every derived record rebuilt
 *                                                from the rewritten events with core's apply
 *
 * CASE is a case number, looked up through `numbers`. Times are ms since the epoch, or +MS
 * / -MS relative to the stored one. Exit 0 done, 1 failed (printed), 2 usage.
 */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <lmdb.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "attach.h"
#include "codec.h"
#include "event.h"
#include "record.h"
#include "store.h"

typedef struct tdb {
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi[DB_COUNT];
} tdb;

static int die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("capa-tamper: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

static int mdb_fail(int rc, const char *what)
{
    return die("%s: %s", what, mdb_strerror(rc));
}

static int db_open(tdb *d, const char *dir)
{
    MDB_envinfo info;
    int rc = mdb_env_create(&d->env);
    if (!rc)
        rc = mdb_env_set_maxdbs(d->env, 32);
    if (!rc)
        rc = mdb_env_open(d->env, dir, 0, 0644);
    if (rc)
        return mdb_fail(rc, dir);
    /* The map keeps the size capa last gave it; leave room for the edit. */
    if (mdb_env_info(d->env, &info) == 0 && info.me_mapsize < ((size_t)256 << 20) &&
        (rc = mdb_env_set_mapsize(d->env, (size_t)256 << 20)))
        return mdb_fail(rc, "map size");
    if ((rc = mdb_txn_begin(d->env, NULL, 0, &d->txn)))
        return mdb_fail(rc, "begin");
    for (int i = 0; i < DB_COUNT; i++)
        if ((rc = mdb_dbi_open(d->txn, capa_db_specs[i].name, capa_db_specs[i].flags, &d->dbi[i])))
            return mdb_fail(rc, capa_db_specs[i].name);
    return 0;
}

static int db_commit(tdb *d)
{
    int rc = mdb_txn_commit(d->txn);
    d->txn = NULL;
    return rc ? mdb_fail(rc, "commit") : 0;
}

static void db_close(tdb *d)
{
    if (d->txn)
        mdb_txn_abort(d->txn);
    if (d->env)
        mdb_env_close(d->env);
}

static int put(tdb *d, int db, const void *k, size_t kl, const void *v, size_t vl)
{
    MDB_val key = {kl, (void *)k}, val = {vl, (void *)v};
    int rc = mdb_put(d->txn, d->dbi[db], &key, &val, 0);
    return rc ? mdb_fail(rc, capa_db_specs[db].name) : 0;
}

static int case_id(tdb *d, const char *number, uint64_t *id)
{
    MDB_val k = {strlen(number), (void *)number}, v;
    int rc = mdb_get(d->txn, d->dbi[DB_NUMBERS], &k, &v);
    if (rc)
        return rc == MDB_NOTFOUND ? die("case %s: not in numbers", number)
                                  : mdb_fail(rc, "numbers");
    if (v.mv_size != 8)
        return die("case %s: bad numbers record", number);
    *id = capa_get_be64(v.mv_data);
    return 0;
}

static int parse_i64(const char *s, int64_t old, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end)
        return die("'%s': not a number", s);
    *out = (s[0] == '+' || s[0] == '-') ? old + v : v;
    return 0;
}

static int set_str(char **slot, const char *v)
{
    char *c = capa__strdup(v);
    if (!c)
        return die("out of memory");
    capa__free(*slot);
    *slot = c;
    return 0;
}

/* ---- signatures ---- */

/* The key of case `id`'s n-th signature (trail order); *val its record. */
static int sig_nth(tdb *d, uint64_t id, long n, unsigned char key[16], MDB_val *val)
{
    MDB_cursor *cur = NULL;
    unsigned char k0[16] = {0};
    capa_be64(k0, id);
    MDB_val k = {16, k0};
    int rc = mdb_cursor_open(d->txn, d->dbi[DB_SIGS], &cur), i = 0;
    for (rc = rc ? rc : mdb_cursor_get(cur, &k, val, MDB_SET_RANGE);
         rc == 0 && k.mv_size == 16 && memcmp(k.mv_data, k0, 8) == 0;
         rc = mdb_cursor_get(cur, &k, val, MDB_NEXT))
        if (++i == n) {
            memcpy(key, k.mv_data, 16);
            mdb_cursor_close(cur);
            return 0;
        }
    mdb_cursor_close(cur);
    return die("case has %d signatures, not %ld", i, n);
}

static int sig_field(capa_signature *g, const char *f, const char *v)
{
    int64_t t;
    if (strcmp(f, "user") == 0 || strcmp(f, "signer") == 0)
        return set_str(&g->user, v);
    if (strcmp(f, "name") == 0)
        return set_str(&g->name, v);
    if (strcmp(f, "role") == 0)
        return set_str(&g->role, v);
    if (strcmp(f, "meaning") == 0)
        return set_str(&g->meaning, v);
    if (strcmp(f, "kind") == 0)
        return set_str(&g->kind, v);
    if (strcmp(f, "stage") == 0)
        return set_str(&g->stage, v);
    if (strcmp(f, "reason") == 0) {
        if (!*v) {
            capa__free(g->reason);
            g->reason = NULL;
            return 0;
        }
        return set_str(&g->reason, v);
    }
    if (strcmp(f, "data_hash") == 0) {
        if (strlen(v) != 64)
            return die("data_hash: 64 hex digits");
        memcpy(g->data_hash, v, 65);
        return 0;
    }
    if (strcmp(f, "time") == 0) {
        if (parse_i64(v, g->time, &t))
            return 1;
        g->time = t;
        return 0;
    }
    if (strcmp(f, "superseded") == 0) {
        g->superseded = atoi(v) != 0;
        return 0;
    }
    if (strcmp(f, "round") == 0) {
        g->round = atoi(v);
        return 0;
    }
    return die("signature field '%s': one of user name role meaning kind stage reason "
               "data_hash time superseded round",
               f);
}

static int put_sig(tdb *d, const unsigned char key[16], const capa_signature *g)
{
    void *buf = NULL;
    size_t len = 0;
    if (capa_sig__encode(g, &buf, &len))
        return die("signature: %s", capa_error_last());
    int err = put(d, DB_SIGS, key, 16, buf, len);
    capa__free(buf);
    return err;
}

static int cmd_sig(tdb *d, int argc, char **argv)
{
    uint64_t id;
    unsigned char key[16];
    MDB_val v;
    capa_signature g;
    if (argc < 4 || argc % 2)
        return 2;
    int err = case_id(d, argv[0], &id) || sig_nth(d, id, atol(argv[1]), key, &v);
    if (err)
        return err;
    if (capa_sig__decode(&g, v.mv_data, v.mv_size))
        return die("signature: %s", capa_error_last());
    for (int i = 2; i < argc && !err; i += 2)
        err = sig_field(&g, argv[i], argv[i + 1]);
    if (!err)
        err = put_sig(d, key, &g);
    capa_signature_clear(&g);
    return err;
}

static int cmd_sig_del(tdb *d, int argc, char **argv)
{
    uint64_t id;
    unsigned char key[16];
    MDB_val v;
    if (argc != 2)
        return 2;
    int err = case_id(d, argv[0], &id) || sig_nth(d, id, atol(argv[1]), key, &v);
    if (err)
        return err;
    MDB_val k = {16, key};
    int rc = mdb_del(d->txn, d->dbi[DB_SIGS], &k, NULL);
    return rc ? mdb_fail(rc, "signatures") : 0;
}

/* ---- case header ---- */

static int hdr_field(capa_hdr *h, const char *f, const char *v)
{
    static const struct {
        const char *name;
        size_t off;
    } strs[] = {
        {"number", offsetof(capa_hdr, number)},
        {"stage", offsetof(capa_hdr, stage)},
        {"opened_by", offsetof(capa_hdr, opened_by)},
        {"customer", offsetof(capa_hdr, customer)},
        {"part_no", offsetof(capa_hdr, part_no)},
        {"lot_no", offsetof(capa_hdr, lot_no)},
        {"defect_code", offsetof(capa_hdr, defect_code)},
        {"severity", offsetof(capa_hdr, severity)},
        {"description", offsetof(capa_hdr, description)},
        {"subject_person", offsetof(capa_hdr, subject_person)},
        {"channel", offsetof(capa_hdr, channel)},
        {"complaint_type", offsetof(capa_hdr, complaint_type)},
        {"validity", offsetof(capa_hdr, validity)},
        {"responsible_dept", offsetof(capa_hdr, responsible_dept)},
        {"satisfaction", offsetof(capa_hdr, satisfaction)},
        {"workflow", offsetof(capa_hdr, workflow)},
    };
    int64_t *times[] = {&h->opened,         &h->closed_at, &h->stage_entered, &h->response_at,
                        &h->containment_at, &h->plan_at,   &h->round_at};
    const char *tnames[] = {"opened",         "closed_at", "stage_entered", "response_at",
                            "containment_at", "plan_at",   "round_at"};
    for (size_t i = 0; i < sizeof strs / sizeof *strs; i++)
        if (strcmp(f, strs[i].name) == 0)
            return set_str((char **)((char *)h + strs[i].off), v);
    for (size_t i = 0; i < sizeof times / sizeof *times; i++)
        if (strcmp(f, tnames[i]) == 0)
            return parse_i64(v, *times[i], times[i]);
    if (strcmp(f, "closed") == 0) {
        h->closed = atoi(v) != 0;
        return 0;
    }
    if (strcmp(f, "round") == 0) {
        h->round = atoi(v);
        return 0;
    }
    /* The first open limit's due time and escalations, and the mask of limits met. */
    if ((strcmp(f, "due0") == 0 || strcmp(f, "escalated0") == 0) && h->n_limits == 0)
        return die("header field '%s': the case has no open limit", f);
    if (strcmp(f, "due0") == 0)
        return parse_i64(v, h->limits[0].due, &h->limits[0].due);
    if (strcmp(f, "escalated0") == 0) {
        h->limits[0].escalated = (uint8_t)atoi(v);
        return 0;
    }
    if (strcmp(f, "met") == 0) {
        h->met = (uint64_t)strtoull(v, NULL, 0);
        return 0;
    }
    return die("header field '%s': unknown", f);
}

static int cmd_hdr(tdb *d, int argc, char **argv)
{
    uint64_t id;
    unsigned char k[8];
    void *buf = NULL;
    size_t len = 0;
    MDB_val v;
    capa_hdr h;
    if (argc < 3 || argc % 2 == 0)
        return 2;
    if (case_id(d, argv[0], &id))
        return 1;
    capa_be64(k, id);
    MDB_val key = {8, k};
    int rc = mdb_get(d->txn, d->dbi[DB_CASES], &key, &v);
    if (rc)
        return mdb_fail(rc, "cases");
    if (capa_hdr__decode(&h, v.mv_data, v.mv_size))
        return die("header: %s", capa_error_last());
    int err = 0;
    for (int i = 1; i < argc && !err; i += 2) {
        /* The id inside the value (not the key it is stored under): another case's number,
         * whose id is taken from `numbers`, or a decimal id. */
        if (strcmp(argv[i], "id") != 0)
            err = hdr_field(&h, argv[i], argv[i + 1]);
        else if (argv[i + 1][0] >= '0' && argv[i + 1][0] <= '9')
            h.id = strtoull(argv[i + 1], NULL, 10);
        else
            err = case_id(d, argv[i + 1], &h.id);
    }
    if (!err && capa_hdr__encode(&h, &buf, &len))
        err = die("header: %s", capa_error_last());
    if (!err)
        err = put(d, DB_CASES, k, 8, buf, len);
    capa__free(buf);
    capa_hdr_clear(&h);
    return err;
}

/* ---- stage records ---- */

/* IDX is a stage index or a stage id (the case's record of that stage). */
static int stage_key(tdb *d, uint64_t id, const char *idx, unsigned char key[9])
{
    char *end;
    long n = strtol(idx, &end, 10);
    capa_be64(key, id);
    if (end != idx && !*end && n >= 0 && n < 256) {
        key[8] = (unsigned char)n;
        return 0;
    }
    for (int i = 0; i < 256; i++) {
        capa_stage_record r;
        MDB_val k = {9, key}, v;
        key[8] = (unsigned char)i;
        if (mdb_get(d->txn, d->dbi[DB_STAGES], &k, &v) != 0)
            continue;
        if (capa_stage__decode(&r, v.mv_data, v.mv_size))
            return die("stage record: %s", capa_error_last());
        int match = strcmp(r.stage, idx) == 0;
        capa_stage_record_clear(&r);
        if (match)
            return 0;
    }
    return die("case has no record of stage %s", idx);
}

/* Every signature of stage `stage` whose hash is `old` now says `new`. */
static int rehash_sigs(tdb *d, uint64_t id, const char *stage, const char *old, const char *new)
{
    MDB_cursor *cur = NULL;
    unsigned char k0[16] = {0};
    capa_be64(k0, id);
    MDB_val k = {16, k0}, v;
    int n = 0, err = 0, rc = mdb_cursor_open(d->txn, d->dbi[DB_SIGS], &cur);
    for (rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0 && !err && memcmp(k.mv_data, k0, 8) == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        capa_signature g;
        if (capa_sig__decode(&g, v.mv_data, v.mv_size)) {
            err = die("signature: %s", capa_error_last());
            break;
        }
        if (strcmp(g.stage, stage) == 0 && strcmp(g.data_hash, old) == 0) {
            unsigned char key[16];
            memcpy(key, k.mv_data, 16);
            memcpy(g.data_hash, new, 65);
            err = put_sig(d, key, &g);
            n++;
        }
        capa_signature_clear(&g);
    }
    mdb_cursor_close(cur);
    if (!err && n == 0)
        err = die("--rehash: no signature of stage %s signed its current data", stage);
    if (!err)
        fprintf(stderr, "capa-tamper: %d signature(s) of stage %s rehashed\n", n, stage);
    return err;
}

static int cmd_stage(tdb *d, int argc, char **argv)
{
    uint64_t id;
    unsigned char key[13], hk[8];
    void *buf = NULL;
    size_t len = 0;
    MDB_val v, hv;
    capa_stage_record r;
    capa_hdr h;
    char old[65], new[65], idx[80];
    int rehash = argc == 5 && strcmp(argv[4], "--rehash") == 0;
    if (argc != 4 && !rehash)
        return 2;
    /* IDX@ROUND: the record round ROUND left of the stage (二次处理), key of 13 bytes. */
    snprintf(idx, sizeof idx, "%s", argv[1]);
    char *at = strchr(idx, '@');
    long round = 0;
    if (at) {
        *at = '\0';
        round = strtol(at + 1, NULL, 10);
    }
    if (case_id(d, argv[0], &id) || stage_key(d, id, idx, key))
        return 1;
    size_t klen = 9;
    if (round > 0) {
        capa_stage__round_key(key, id, key[8], (int)round);
        klen = 13;
    }
    capa_be64(hk, id);
    MDB_val k = {klen, key}, kh = {8, hk};
    int rc = mdb_get(d->txn, d->dbi[DB_STAGES], &k, &v);
    if (!rc)
        rc = mdb_get(d->txn, d->dbi[DB_CASES], &kh, &hv);
    if (rc)
        return mdb_fail(rc, "stage record");
    if (capa_stage__decode(&r, v.mv_data, v.mv_size))
        return die("stage record: %s", capa_error_last());
    int err =
        capa_hdr__decode(&h, hv.mv_data, hv.mv_size) ? die("header: %s", capa_error_last()) : 0;
    if (!err && (capa_stage__hash(old, h.number, &r) || capa_stage__set(&r, argv[2], argv[3]) ||
                 capa_stage__hash(new, h.number, &r) || capa_stage__encode(&r, &buf, &len)))
        err = die("stage record: %s", capa_error_last());
    if (!err)
        err = put(d, DB_STAGES, key, klen, buf, len);
    if (!err && rehash)
        err = rehash_sigs(d, id, r.stage, old, new);
    capa_hdr_clear(&h);
    capa__free(buf);
    capa_stage_record_clear(&r);
    return err;
}

/* ---- a whole case, links, indexes, numbers, meta ---- */

/* Delete every record of `db` whose key starts with the 8-byte id. */
static int del_prefix(tdb *d, int db, const unsigned char id[8], size_t klen)
{
    MDB_cursor *cur = NULL;
    unsigned char k0[16] = {0};
    memcpy(k0, id, 8);
    MDB_val k = {klen, k0}, v;
    int rc = mdb_cursor_open(d->txn, d->dbi[db], &cur);
    for (rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0 && k.mv_size >= 8 && memcmp(k.mv_data, id, 8) == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
        if ((rc = mdb_cursor_del(cur, 0)))
            break;
    mdb_cursor_close(cur);
    return rc && rc != MDB_NOTFOUND ? mdb_fail(rc, capa_db_specs[db].name) : 0;
}

/* Delete the first (or, with all, every) index entry pointing at case id; count them. */
static int del_index(tdb *d, int db, uint64_t id, int all, int *n)
{
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    int rc = mdb_cursor_open(d->txn, d->dbi[db], &cur);
    *n = 0;
    for (rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        /* idx_due's values are the case id, then the warning time and the limit code. */
        if ((v.mv_size != 8 && !(db == DB_IDX_DUE && v.mv_size == 17)) ||
            capa_get_be64(v.mv_data) != id)
            continue;
        char shown[80];
        snprintf(shown, sizeof shown, "%.*s", (int)(k.mv_size < 60 ? k.mv_size : 60),
                 (const char *)k.mv_data);
        if ((rc = mdb_cursor_del(cur, 0)))
            break;
        (*n)++;
        if (!all) {
            fprintf(stderr, "capa-tamper: %s: deleted entry '%s'\n", capa_db_specs[db].name,
                    db == DB_IDX_OPENED || db == DB_IDX_DUE ? "(time)" : shown);
            break;
        }
    }
    mdb_cursor_close(cur);
    return rc && rc != MDB_NOTFOUND ? mdb_fail(rc, capa_db_specs[db].name) : 0;
}

static int cmd_erase(tdb *d, int argc, char **argv)
{
    uint64_t id;
    unsigned char k[8];
    int n, err;
    if (argc != 1)
        return 2;
    if (case_id(d, argv[0], &id))
        return 1;
    capa_be64(k, id);
    MDB_val key = {8, k}, num = {strlen(argv[0]), argv[0]};
    int rc = mdb_del(d->txn, d->dbi[DB_CASES], &key, NULL);
    if (!rc)
        rc = mdb_del(d->txn, d->dbi[DB_NUMBERS], &num, NULL);
    if (!rc)
        rc = mdb_del(d->txn, d->dbi[DB_CASE_EVENTS], &key, NULL);
    if (rc)
        return mdb_fail(rc, "erase");
    if ((err = del_prefix(d, DB_STAGES, k, 9)) || (err = del_prefix(d, DB_SIGS, k, 16)))
        return err;
    for (int db = DB_IDX_STAGE; db <= DB_IDX_OPENED; db++)
        if ((err = del_index(d, db, id, 1, &n)))
            return err;
    return 0;
}

static int cmd_link(tdb *d, int argc, char **argv, int add)
{
    uint64_t id;
    unsigned char k[8], s[8];
    MDB_cursor *cur = NULL;
    if (argc != 2)
        return 2;
    if (case_id(d, argv[0], &id))
        return 1;
    capa_be64(k, id);
    if (add) {
        capa_be64(s, strtoull(argv[1], NULL, 10));
        return put(d, DB_CASE_EVENTS, k, 8, s, 8);
    }
    MDB_val key = {8, k}, v;
    long n = atol(argv[1]), i = 1;
    int rc = mdb_cursor_open(d->txn, d->dbi[DB_CASE_EVENTS], &cur);
    if (!rc)
        rc = mdb_cursor_get(cur, &key, &v, MDB_SET_KEY);
    while (!rc && i < n && !(rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT_DUP)))
        i++;
    if (!rc) {
        fprintf(stderr, "capa-tamper: link to event %llu deleted\n",
                (unsigned long long)capa_get_be64(v.mv_data));
        rc = mdb_cursor_del(cur, 0);
    }
    mdb_cursor_close(cur);
    return rc ? mdb_fail(rc, "case_events") : 0;
}

static int cmd_idx_del(tdb *d, int argc, char **argv)
{
    uint64_t id;
    int n, db = -1;
    if (argc != 2)
        return 2;
    for (int i = DB_IDX_STAGE; i <= DB_IDX_DUE; i++)
        if (strncmp(capa_db_specs[i].name, "idx_", 4) == 0 &&
            strcmp(argv[0], capa_db_specs[i].name) == 0)
            db = i;
    if (db < 0)
        return die("%s: not an index (idx_stage idx_customer idx_part idx_defect idx_opened "
                   "idx_due)",
                   argv[0]);
    if (case_id(d, argv[1], &id) || del_index(d, db, id, 0, &n))
        return 1;
    return n ? 0 : die("%s: no entry for case %s", argv[0], argv[1]);
}

static int cmd_blob_byte(tdb *d, int argc, char **argv)
{
    unsigned char key[32];
    MDB_val k = {32, key}, v;
    if (argc != 2)
        return 2;
    if (capa__unhex(key, 32, argv[0]) != 0)
        return die("%s: not a SHA-256", argv[0]);
    int rc = mdb_get(d->txn, d->dbi[DB_BLOBS], &k, &v);
    if (rc)
        return mdb_fail(rc, "blobs");
    size_t off = (size_t)strtoull(argv[1], NULL, 10);
    if (off >= v.mv_size)
        return die("offset %zu beyond the content's %zu bytes", off, v.mv_size);
    unsigned char *copy = malloc(v.mv_size);
    if (!copy)
        return die("out of memory");
    memcpy(copy, v.mv_data, v.mv_size);
    copy[off] ^= 0x01;
    MDB_val nv = {v.mv_size, copy};
    rc = mdb_put(d->txn, d->dbi[DB_BLOBS], &k, &nv, 0);
    free(copy);
    return rc ? mdb_fail(rc, "blobs") : 0;
}

static int cmd_att(tdb *d, int argc, char **argv)
{
    uint64_t id;
    unsigned char k0[16];
    MDB_cursor *cur = NULL;
    int n = 0, rc;
    if (argc != 4)
        return 2;
    if (case_id(d, argv[0], &id))
        return 1;
    int want = atoi(argv[1]);
    capa_be64(k0, id);
    memset(k0 + 8, 0, 8);
    MDB_val k = {16, k0}, v;
    if ((rc = mdb_cursor_open(d->txn, d->dbi[DB_ATTACH], &cur)))
        return mdb_fail(rc, "attachments");
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 && memcmp(k.mv_data, k0, 8) == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (++n != want)
            continue;
        capa_attachment a;
        void *buf = NULL;
        size_t len = 0;
        if (capa_att__decode(&a, v.mv_data, v.mv_size))
            return die("attachment %d: %s", n, capa_error_last());
        char **slot = strcmp(argv[2], "name") == 0   ? &a.name
                      : strcmp(argv[2], "note") == 0 ? &a.note
                      : strcmp(argv[2], "user") == 0 ? &a.user
                                                     : NULL;
        if (!slot)
            return die("%s: not an attachment field (name note user)", argv[2]);
        capa__set_str(slot, argv[3]);
        if (capa_att__encode(&a, &buf, &len))
            return die("encode");
        MDB_val nv = {len, buf};
        rc = mdb_cursor_put(cur, &k, &nv, MDB_CURRENT);
        capa__free(buf);
        capa_attachment_clear(&a);
        mdb_cursor_close(cur);
        return rc ? mdb_fail(rc, "attachments") : 0;
    }
    mdb_cursor_close(cur);
    return die("case %s has no attachment %d", argv[0], want);
}

/* The outbox entry of escalation event SEQ removed (a notice that would never be sent). */
static int cmd_outbox_del(tdb *d, int argc, char **argv)
{
    unsigned char k[8];
    if (argc != 1)
        return 2;
    capa_be64(k, strtoull(argv[0], NULL, 10));
    MDB_val key = {8, k};
    int rc = mdb_del(d->txn, d->dbi[DB_OUTBOX], &key, NULL);
    return rc ? mdb_fail(rc, "outbox") : 0;
}

static int cmd_pending_del(tdb *d, int argc, char **argv)
{
    char k[8 + 64];
    if (argc != 2 || strlen(argv[1]) > 64)
        return 2;
    capa_be64((unsigned char *)k, strtoull(argv[0], NULL, 10));
    memcpy(k + 8, argv[1], strlen(argv[1]));
    MDB_val key = {8 + strlen(argv[1]), k};
    int rc = mdb_del(d->txn, d->dbi[DB_PENDING], &key, NULL);
    return rc ? mdb_fail(rc, "notice_outbox") : 0;
}

static int cmd_contact(tdb *d, int argc, char **argv)
{
    char rec[200];
    if (argc != 2)
        return 2;
    int n = snprintf(rec, sizeof rec, "mobile=%s\nemail=\nnotify=\n", argv[1]);
    return put(d, DB_CONTACTS, argv[0], strlen(argv[0]), rec, (size_t)n);
}

static int cmd_secret(tdb *d, int argc, char **argv)
{
    MDB_dbi dbi;
    char v[2100];
    if (argc != 2 || strlen(argv[1]) > 2048)
        return 2;
    int rc = mdb_dbi_open(d->txn, "volatile_notify_secret", MDB_CREATE, &dbi);
    if (rc)
        return mdb_fail(rc, "volatile_notify_secret");
    size_t n = strlen(argv[1]);
    memcpy(v, argv[1], n + 1);
    v[n + 1] = 0;
    MDB_val key = {strlen(argv[0]), argv[0]}, val = {n + 2, v};
    rc = mdb_put(d->txn, dbi, &key, &val, 0);
    return rc ? mdb_fail(rc, "volatile_notify_secret") : 0;
}

static int cmd_number(tdb *d, int argc, char **argv)
{
    uint64_t id;
    unsigned char v[8];
    if (argc != 2)
        return 2;
    if (case_id(d, argv[1], &id))
        return 1;
    capa_be64(v, id);
    return put(d, DB_NUMBERS, argv[0], strlen(argv[0]), v, 8);
}

static int cmd_meta_u64(tdb *d, int argc, char **argv)
{
    unsigned char b[8];
    MDB_val k, v;
    if (argc != 2)
        return 2;
    k.mv_size = strlen(argv[0]);
    k.mv_data = argv[0];
    int rc = mdb_get(d->txn, d->dbi[DB_META], &k, &v);
    if (rc || v.mv_size != 8)
        return die("meta %s: %s", argv[0], rc ? mdb_strerror(rc) : "not a u64");
    uint64_t old = capa_get_be64(v.mv_data), val;
    val = argv[1][0] == '-' ? old - strtoull(argv[1] + 1, NULL, 10) : strtoull(argv[1], NULL, 10);
    fprintf(stderr, "capa-tamper: meta %s: %llu -> %llu\n", argv[0], (unsigned long long)old,
            (unsigned long long)val);
    capa_be64(b, val);
    return put(d, DB_META, argv[0], strlen(argv[0]), b, 8);
}

static int cmd_meta_str(tdb *d, int argc, char **argv)
{
    MDB_val k, v;
    if (argc != 2)
        return 2;
    k.mv_size = strlen(argv[0]);
    k.mv_data = argv[0];
    int rc = mdb_get(d->txn, d->dbi[DB_META], &k, &v);
    if (rc)
        return die("meta %s: %s", argv[0], mdb_strerror(rc));
    fprintf(stderr, "capa-tamper: meta %s: '%.*s' -> '%s'\n", argv[0], (int)v.mv_size,
            (const char *)v.mv_data, argv[1]);
    return put(d, DB_META, argv[0], strlen(argv[0]), argv[1], strlen(argv[1]));
}

static int cmd_meta_del(tdb *d, int argc, char **argv)
{
    MDB_val k;
    if (argc != 1)
        return 2;
    k.mv_size = strlen(argv[0]);
    k.mv_data = argv[0];
    int rc = mdb_del(d->txn, d->dbi[DB_META], &k, NULL);
    return rc ? die("meta %s: %s", argv[0], mdb_strerror(rc)) : 0;
}

/* ---- users ---- */

static int get_user(tdb *d, const char *id, capa_user_rec *u)
{
    MDB_val k = {strlen(id), (void *)id}, v;
    int rc = mdb_get(d->txn, d->dbi[DB_USERS], &k, &v);
    if (rc)
        return mdb_fail(rc, id);
    return capa_user__decode(u, v.mv_data, v.mv_size) ? die("user %s: %s", id, capa_error_last())
                                                      : 0;
}

static int put_user(tdb *d, const capa_user_rec *u)
{
    void *buf = NULL;
    size_t len = 0;
    if (capa_user__encode(u, &buf, &len))
        return die("user: %s", capa_error_last());
    int err = put(d, DB_USERS, u->u.id, strlen(u->u.id), buf, len);
    capa__free(buf);
    return err;
}

static int cmd_user(tdb *d, int argc, char **argv)
{
    capa_user_rec u;
    int err = 0;
    if (argc < 3 || argc % 2 == 0)
        return 2;
    if (get_user(d, argv[0], &u))
        return 1;
    for (int i = 1; i < argc && !err; i += 2) {
        const char *f = argv[i], *v = argv[i + 1];
        if (strcmp(f, "name") == 0)
            err = set_str(&u.u.name, v);
        else if (strcmp(f, "dept") == 0)
            err = set_str(&u.u.dept, v);
        else if (strcmp(f, "role") == 0)
            err = set_str(&u.u.role, v);
        else if (strcmp(f, "locked") == 0)
            u.u.locked = atoi(v) != 0;
        else if (strcmp(f, "disabled") == 0)
            u.u.disabled = atoi(v) != 0;
        else if (strcmp(f, "failed") == 0)
            u.u.failed = atoi(v);
        else if (strcmp(f, "created") == 0)
            err = parse_i64(v, u.u.created, &u.u.created);
        else
            err = die("user field '%s': one of name dept role locked failed created", f);
    }
    if (!err)
        err = put_user(d, &u);
    capa_user_rec_clear(&u);
    return err;
}

static int cmd_user_cred_copy(tdb *d, int argc, char **argv)
{
    capa_user_rec from, to;
    if (argc != 2)
        return 2;
    if (get_user(d, argv[0], &from))
        return 1;
    int err = get_user(d, argv[1], &to);
    if (!err) {
        to.log2n = from.log2n, to.r = from.r, to.p = from.p;
        memcpy(to.salt, from.salt, 16);
        memcpy(to.hash, from.hash, 32);
        err = put_user(d, &to);
        capa_user_rec_clear(&to);
    }
    capa_user_rec_clear(&from);
    return err;
}

/* ---- stored definitions ---- */

static int cmd_form(tdb *d, int argc, char **argv)
{
    unsigned char key[256];
    MDB_val v;
    if (argc != 4)
        return 2;
    size_t n = strlen(argv[0]), olen = strlen(argv[2]), nlen = strlen(argv[3]);
    if (n + 5 > sizeof key || !olen)
        return 2;
    memcpy(key, argv[0], n);
    key[n] = 0;
    capa_be32(key + n + 1, (uint32_t)atoi(argv[1]));
    MDB_val k = {n + 5, key};
    int rc = mdb_get(d->txn, d->dbi[DB_FORMS], &k, &v);
    if (rc)
        return mdb_fail(rc, "forms");
    capa_buf b = {0};
    const char *p = v.mv_data, *end = p + v.mv_size;
    int hits = 0;
    while (p < end) {
        const char *q = p;
        while (q + olen <= end && memcmp(q, argv[2], olen) != 0)
            q++;
        if (q + olen > end)
            q = NULL;
        if (!q) {
            capa_buf_bytes(&b, p, (size_t)(end - p));
            break;
        }
        capa_buf_bytes(&b, p, (size_t)(q - p));
        capa_buf_bytes(&b, argv[3], nlen);
        p = q + olen;
        hits++;
    }
    int err = b.oom  ? die("out of memory")
              : hits ? put(d, DB_FORMS, key, n + 5, b.p, b.len)
                     : die("%s v%s: '%s' not found", argv[0], argv[1], argv[2]);
    capa_buf_free(&b);
    return err;
}

/* ---- rewriting the chain ---- */

typedef struct rewrite_opts {
    int ck_heads;
    EVP_PKEY *ck_key;
    int rebuild;
} rewrite_opts;

static int set_change(capa_event_rec *e, const char *field, const char *v)
{
    for (size_t i = 0; i < e->n_changes; i++)
        if (e->changes[i].field && strcmp(e->changes[i].field, field) == 0)
            return set_str((char **)&e->changes[i].new_value, v);
    return die("event %llu has no change `%s`", (unsigned long long)e->ev.seq, field);
}

static int set_old(capa_event_rec *e, const char *field, const char *v)
{
    for (size_t i = 0; i < e->n_changes; i++)
        if (e->changes[i].field && strcmp(e->changes[i].field, field) == 0)
            return set_str((char **)&e->changes[i].old_value, v);
    return die("event %llu has no change `%s`", (unsigned long long)e->ev.seq, field);
}

static int set_fact(capa_event_rec *e, const char *name, const char *v)
{
    for (size_t i = 0; i < e->n_facts; i++)
        if (strcmp(e->facts[i].name, name) == 0)
            return set_str((char **)&e->facts[i].value, v);
    /* A fact the event does not carry is added (a claim the writer never made). */
    capa_event__fact(e, name, v);
    return e->oom ? die("out of memory") : 0;
}

static int event_edit(capa_event_rec *e, const char *f, const char *v)
{
    if (strcmp(f, "reason") == 0)
        return set_str((char **)&e->ev.reason, v);
    if (strcmp(f, "actor") == 0)
        return set_str((char **)&e->ev.actor, v);
    if (strncmp(f, "change:", 7) == 0)
        return set_change(e, f + 7, v);
    if (strncmp(f, "old:", 4) == 0)
        return set_old(e, f + 4, v);
    if (strncmp(f, "fact:", 5) == 0)
        return set_fact(e, f + 5, v);
    return die("event field '%s': reason, actor, change:NAME, old:NAME or fact:NAME", f);
}

/* Drop fact `name` from e (if it carries it). */
static void drop_fact(capa_event_rec *e, const char *name)
{
    size_t m = 0;
    for (size_t i = 0; i < e->n_facts; i++) {
        if (strcmp(e->facts[i].name, name) == 0) {
            capa__free((char *)e->facts[i].name);
            capa__free((char *)e->facts[i].value);
            continue;
        }
        e->facts[m++] = e->facts[i];
    }
    e->n_facts = m;
    e->ev.n_facts = m;
}

/* A later checkpoint made to name the rewritten chain before it, and signed with the
 * forger's key when one is given (capa_checkpoint's text, checkpoint.c). The case proof's
 * roots it carried (v2) are dropped: the forged checkpoint is a v1 one, which a dossier does
 * not take a case proof from (it replays the whole store). */
static int checkpoint_forge(capa_event_rec *e, const unsigned char prev[32], EVP_PKEY *key)
{
    char head[65], seq[32], token[120], text[300];
    drop_fact(e, "ck_cases");
    drop_fact(e, "ck_recur");
    drop_fact(e, "ck_store");
    capa__hex(head, prev, 32);
    snprintf(seq, sizeof seq, "%llu", (unsigned long long)(e->ev.seq - 1));
    snprintf(token, sizeof token, "%s:%s", seq, head);
    if (set_fact(e, "ck_seq", seq) || set_fact(e, "ck_head", head) ||
        set_change(e, "checkpoint", token))
        return 1;
    if (!key)
        return 0;
    snprintf(text, sizeof text, "capa-checkpoint-v1\n%s\n%s\n%lld\n", seq, head,
             (long long)e->ev.time);
    unsigned char *der = NULL, sig[1024];
    size_t siglen = sizeof sig;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int derlen = i2d_PUBKEY(key, &der), err = 0;
    if (derlen <= 0 || !md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
        EVP_DigestSign(md, sig, &siglen, (const unsigned char *)text, strlen(text)) != 1)
        err = die("checkpoint: signing failed");
    char hs[2 * sizeof sig + 1];
    char *hk = err ? NULL : capa__malloc(2 * (size_t)derlen + 1);
    if (!err && !hk)
        err = die("out of memory");
    if (!err) {
        capa__hex(hk, der, (size_t)derlen);
        capa__hex(hs, sig, siglen);
        err = set_fact(e, "signature", hs) || set_fact(e, "key", hk);
    }
    capa__free(hk);
    OPENSSL_free(der);
    EVP_MD_CTX_free(md);
    return err;
}

static int cmd_event_edit(tdb *d, int argc, char **argv)
{
    unsigned char k[8], prev[32] = {0};
    MDB_val key = {8, k}, v;
    capa_event_rec e;
    capa_buf b = {0};
    if (argc != 3)
        return 2;
    uint64_t seq = strtoull(argv[0], NULL, 10);
    int rc, err;
    if (seq > 1) {
        capa_be64(k, seq - 1);
        if ((rc = mdb_get(d->txn, d->dbi[DB_EVENTS], &key, &v)) || v.mv_size < 33)
            return die("event %llu: not found", (unsigned long long)(seq - 1));
        memcpy(prev, (unsigned char *)v.mv_data + v.mv_size - 32, 32);
    }
    capa_be64(k, seq);
    if ((rc = mdb_get(d->txn, d->dbi[DB_EVENTS], &key, &v)))
        return die("event %llu: %s", (unsigned long long)seq, mdb_strerror(rc));
    if (capa_event__decode(&e, v.mv_data, v.mv_size, NULL, NULL))
        return die("event %llu: %s", (unsigned long long)seq, capa_error_last());
    if (!(err = event_edit(&e, argv[1], argv[2]))) {
        capa_event__encode(&b, &e);
        capa_event__chain(prev, prev, b.p, b.len);
        capa_pack(&b);
        capa_buf_bytes(&b, prev, 32);
        err = b.oom ? die("out of memory") : put(d, DB_EVENTS, k, 8, b.p, b.len);
    }
    capa_buf_free(&b);
    capa_event__clear(&e);
    return err;
}

static int cmd_proof_node(tdb *d, int argc, char **argv)
{
    uint64_t id;
    unsigned char k[11], node[64] = {1};
    MDB_val key = {11, k}, v;
    if (argc != 2)
        return 2;
    int level = atoi(argv[1]), rc;
    if (level < 0 || level >= 32)
        return die("level %s: 0..31", argv[1]);
    if (case_id(d, argv[0], &id))
        return 1;
    k[0] = 'N', k[1] = 'c', k[2] = (unsigned char)level;
    capa_be64(k + 3, (id >> level) ^ 1);
    size_t n = 32;
    if ((rc = mdb_get(d->txn, d->dbi[DB_PROOF], &key, &v)) == 0) {
        n = v.mv_size < sizeof node ? v.mv_size : sizeof node;
        memcpy(node, v.mv_data, n);
        node[0] ^= 1;
    } else if (rc != MDB_NOTFOUND) {
        return mdb_fail(rc, "proof");
    }
    fprintf(stderr, "capa-tamper: proof: case tree node at level %d beside case %s %s\n", level,
            argv[0], rc ? "stored where the subtree is empty" : "flipped");
    return put(d, DB_PROOF, k, 11, node, n);
}

/* proof-kept CASE|store OLD NEW: the first OLD in the records the case proof keeps as of the
 * last checkpoint (the case's image, or any of the store's records) -> NEW, of the same
 * length (the records stay well-formed). */
static int cmd_proof_kept(tdb *d, int argc, char **argv)
{
    MDB_cursor *cur = NULL;
    unsigned char pre[9] = {'R'};
    size_t plen = 1;
    uint64_t id;
    int rc;
    if (argc != 3 || strlen(argv[1]) != strlen(argv[2]) || !*argv[1])
        return 2;
    if (strcmp(argv[0], "store") != 0) {
        if (case_id(d, argv[0], &id))
            return 1;
        pre[0] = 'P';
        capa_be64(pre + 1, id);
        plen = 9;
    }
    if ((rc = mdb_cursor_open(d->txn, d->dbi[DB_PROOF], &cur)))
        return mdb_fail(rc, "proof");
    MDB_val k = {plen, pre}, v;
    size_t n = strlen(argv[1]);
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0 && k.mv_size >= plen && memcmp(k.mv_data, pre, plen) == 0 &&
         (plen == 1 || k.mv_size == 9);
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const unsigned char *at = memmem(v.mv_data, v.mv_size, argv[1], n);
        if (!at)
            continue;
        unsigned char *copy = malloc(v.mv_size ? v.mv_size : 1), key[600];
        size_t kl = k.mv_size < sizeof key ? k.mv_size : sizeof key;
        if (!copy) {
            mdb_cursor_close(cur);
            return die("out of memory");
        }
        memcpy(copy, v.mv_data, v.mv_size);
        memcpy(copy + (at - (const unsigned char *)v.mv_data), argv[2], n);
        memcpy(key, k.mv_data, kl);
        size_t vl = v.mv_size;
        mdb_cursor_close(cur);
        fprintf(stderr, "capa-tamper: proof: kept record of %s: '%s' -> '%s'\n", argv[0],
                argv[1], argv[2]);
        rc = put(d, DB_PROOF, key, kl, copy, vl);
        free(copy);
        return rc;
    }
    mdb_cursor_close(cur);
    return die("proof: no kept record of %s holds '%s'", argv[0], argv[1]);
}

static int cmd_rewrite_chain(tdb *d, uint64_t seq, const char *field, const char *value,
                             const rewrite_opts *o)
{
    MDB_cursor *cur = NULL;
    unsigned char prev[32] = {0}, k0[8], head[40];
    uint64_t last = 0;
    int err = 0, rc;
    capa_be64(k0, seq > 1 ? seq - 1 : 1);
    MDB_val k = {8, k0}, v;
    if ((rc = mdb_cursor_open(d->txn, d->dbi[DB_EVENTS], &cur)))
        return mdb_fail(rc, "events");
    if (seq > 1) {
        if ((rc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY)) || v.mv_size < 33) {
            mdb_cursor_close(cur);
            return die("event %llu: not found", (unsigned long long)(seq - 1));
        }
        memcpy(prev, (unsigned char *)v.mv_data + v.mv_size - 32, 32);
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    } else {
        rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    }
    for (; rc == 0 && !err; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        capa_event_rec e;
        if (capa_event__decode(&e, v.mv_data, v.mv_size, NULL, NULL)) {
            err = die("event %llu: %s", (unsigned long long)capa_get_be64(k.mv_data),
                      capa_error_last());
            break;
        }
        if (e.ev.seq == seq)
            err = event_edit(&e, field, value);
        else if (e.ev.seq < seq)
            err = die("event %llu found before %llu", (unsigned long long)e.ev.seq,
                      (unsigned long long)seq);
        if (!err && e.ev.seq > seq && strcmp(e.ev.action, "checkpoint") == 0 &&
            (o->ck_heads || o->ck_key))
            err = checkpoint_forge(&e, prev, o->ck_key);
        capa_buf b = {0};
        if (!err) {
            capa_event__encode(&b, &e);
            capa_event__chain(prev, prev, b.p, b.len);
            capa_pack(&b);
            capa_buf_bytes(&b, prev, 32);
            err = b.oom ? die("out of memory") : 0;
        }
        if (!err) {
            /* k points into the page the put rewrites when the size changes: copy it. */
            unsigned char kc[8];
            memcpy(kc, k.mv_data, 8);
            MDB_val kv = {8, kc}, nv = {b.len, b.p};
            if ((rc = mdb_cursor_put(cur, &kv, &nv, MDB_CURRENT)))
                err = mdb_fail(rc, "events");
            last = e.ev.seq;
        }
        capa_buf_free(&b);
        capa_event__clear(&e);
    }
    mdb_cursor_close(cur);
    if (err)
        return err;
    if (rc != MDB_NOTFOUND)
        return mdb_fail(rc, "events");
    if (last < seq)
        return die("event %llu: not found", (unsigned long long)seq);
    capa_be64(head, last);
    memcpy(head + 8, prev, 32);
    return put(d, DB_META, CAPA_HEAD_KEY, strlen(CAPA_HEAD_KEY), head, 40);
}

/* --rebuild: every record but the events and the head dropped and made again by applying
 * the (rewritten) events, as the write path does. Credentials are not in the events (only
 * their digests): they are taken from the users database as it was before. */
typedef struct rebuild_ctx {
    capa_user_rec *users;
    size_t n_users;
} rebuild_ctx;

static int rebuild_cred(void *payload, const char *user, const char *digest, capa_user_rec *out)
{
    rebuild_ctx *c = payload;
    for (size_t i = 0; i < c->n_users; i++) {
        char have[65];
        const capa_user_rec *u = &c->users[i];
        if (strcmp(u->u.id, user) != 0 || capa_user__cred_digest(have, u))
            continue;
        if (!digest || strcmp(have, digest) == 0) {
            out->log2n = u->log2n, out->r = u->r, out->p = u->p;
            memcpy(out->salt, u->salt, 16);
            memcpy(out->hash, u->hash, 32);
        }
    }
    return CAPA_OK;
}

static int rebuild_fn(capa_wtxn *t, void *arg)
{
    rebuild_ctx *c = arg;
    capa_store *s = t->s;
    capa_apply_src src = {rebuild_cred, NULL, c, NULL, NULL};
    MDB_cursor *cur = NULL;
    MDB_val k, v, head = {0, NULL};
    unsigned char hv[40];
    int err = CAPA_OK, rc = mdb_get(t->txn, s->dbi[DB_META], &(MDB_val){4, "head"}, &head);
    if (rc || head.mv_size != 40)
        return capa_error_set(CAPA_ECORRUPT, "rebuild: no chain head");
    memcpy(hv, head.mv_data, 40);
    /* Every credential first: users are dropped with the rest. */
    if ((rc = mdb_cursor_open(t->txn, s->dbi[DB_USERS], &cur)))
        return capa_store__mdb_err(rc, "users");
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && !err;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        capa_user_rec *u = capa__realloc(c->users, (c->n_users + 1) * sizeof *u);
        if (!u)
            err = capa_error_set(CAPA_ENOMEM, "out of memory");
        else if (!(err = capa_user__decode(&(c->users = u)[c->n_users], v.mv_data, v.mv_size)))
            c->n_users++;
    }
    mdb_cursor_close(cur);
    for (int db = 0; db < DB_COUNT && !err; db++)
        /* Attachment content is attested, not derived: it stays, like the credentials. */
        if (db != DB_EVENTS && db != DB_BLOBS && (rc = mdb_drop(t->txn, s->dbi[db], 0)))
            err = capa_store__mdb_err(rc, capa_db_specs[db].name);
    if (err || (rc = mdb_cursor_open(t->txn, s->dbi[DB_EVENTS], &cur)))
        return err ? err : capa_store__mdb_err(rc, "events");
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && !err;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        capa_event_rec e;
        if ((err = capa_event__decode(&e, v.mv_data, v.mv_size, NULL, NULL)))
            break;
        capa_wtxn et = {.s = s, .txn = t->txn, .now = e.ev.time};
        err = capa_apply__event(&et, &e, &src);
        /* A checkpoint whose case proof no longer matches the rewritten history (the forger
         * has not re-signed it): the records are made all the same, verify names it. */
        if (err == CAPA_ECORRUPT && strcmp(e.ev.action, "checkpoint") == 0)
            err = CAPA_OK;
        capa_event__clear(&e);
    }
    mdb_cursor_close(cur);
    if (!err)
        err = capa_store__put(t->txn, s->dbi[DB_META], CAPA_HEAD_KEY, strlen(CAPA_HEAD_KEY), hv, 40,
                              0);
    return err;
}

static int rebuild(const char *dir)
{
    capa_store *s = NULL;
    rebuild_ctx c = {0};
    capa_open_opts o = {0};
    int err = capa_store_open(&s, dir, &o);
    if (!err)
        err = capa_store__write(s, NULL, rebuild_fn, &c);
    if (err)
        die("rebuild: %s", capa_error_last());
    for (size_t i = 0; i < c.n_users; i++)
        capa_user_rec_clear(&c.users[i]);
    capa__free(c.users);
    capa_store_close(s);
    return err ? 1 : 0;
}

static int cmd_rewrite(tdb *d, int argc, char **argv, rewrite_opts *o)
{
    if (argc < 3)
        return 2;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--ck-heads") == 0) {
            o->ck_heads = 1;
        } else if (strcmp(argv[i], "--rebuild") == 0) {
            o->rebuild = 1;
        } else if (strcmp(argv[i], "--ck-key") == 0 && i + 1 < argc) {
            FILE *f = fopen(argv[++i], "r");
            o->ck_key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
            if (f)
                fclose(f);
            if (!o->ck_key)
                return die("%s: not a readable PEM private key", argv[i]);
        } else {
            return 2;
        }
    }
    uint64_t seq = strtoull(argv[0], NULL, 10);
    if (!seq)
        return 2;
    return cmd_rewrite_chain(d, seq, argv[1], argv[2], o);
}

static int usage(void)
{
    fputs("usage: capa-tamper DB sig CASE N FIELD VALUE... | sig-del CASE N | hdr CASE FIELD "
          "VALUE... |\n"
          "  stage CASE IDX[@ROUND] NAME VALUE [--rehash] | erase CASE | link-del CASE N | "
          "link-add CASE "
          "SEQ |\n"
          "  idx-del DBNAME CASE | number NUMBER TARGET | meta-u64 KEY VALUE | user ID FIELD "
          "VALUE... |\n"
          "  meta-str KEY VALUE | meta-del KEY |\n"
          "  user-cred-copy FROM TO | form ID VERSION OLD NEW | blob-byte SHA256 OFFSET |\n"
          "  att CASE N FIELD VALUE | outbox-del SEQ | event-edit SEQ FIELD VALUE |\n"
          "  proof-node CASE LEVEL | proof-kept CASE|store OLD NEW |\n"
          "  rewrite SEQ FIELD VALUE [--ck-heads | --ck-key PEM] [--rebuild]\n",
          stderr);
    return 2;
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(tdb *, int, char **);
    } cmds[] = {
        {"sig", cmd_sig},           {"sig-del", cmd_sig_del},
        {"hdr", cmd_hdr},           {"stage", cmd_stage},
        {"erase", cmd_erase},       {"idx-del", cmd_idx_del},
        {"number", cmd_number},     {"meta-u64", cmd_meta_u64},
        {"meta-str", cmd_meta_str}, {"meta-del", cmd_meta_del},
        {"user", cmd_user},         {"user-cred-copy", cmd_user_cred_copy},
        {"form", cmd_form},         {"blob-byte", cmd_blob_byte},
        {"att", cmd_att},           {"outbox-del", cmd_outbox_del},
        {"pending-del", cmd_pending_del}, {"contact", cmd_contact}, {"secret", cmd_secret},
        {"event-edit", cmd_event_edit},   {"proof-node", cmd_proof_node},
        {"proof-kept", cmd_proof_kept},
    };
    tdb d = {0};
    rewrite_opts ro = {0};
    int rc = -1;
    if (argc < 3)
        return usage();
    const char *cmd = argv[2];
    if (db_open(&d, argv[1])) {
        db_close(&d);
        return 1;
    }
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++)
        if (strcmp(cmd, cmds[i].name) == 0)
            rc = cmds[i].fn(&d, argc - 3, argv + 3);
    if (strcmp(cmd, "link-del") == 0 || strcmp(cmd, "link-add") == 0)
        rc = cmd_link(&d, argc - 3, argv + 3, cmd[5] == 'a');
    else if (strcmp(cmd, "rewrite") == 0)
        rc = cmd_rewrite(&d, argc - 3, argv + 3, &ro);
    if (rc == 0)
        rc = db_commit(&d);
    db_close(&d);
    if (rc == 0 && ro.rebuild)
        rc = rebuild(argv[1]);
    EVP_PKEY_free(ro.ck_key);
    return rc < 0 || rc == 2 ? usage() : rc;
}
