/*
 * capa-bitflip.c - the single-bit-flip walk of issue 16, in process (thousands of flips in
 * seconds, also under ASan), for tests/e2e/bitflip.sh.
 *
 *   capa-bitflip DB CASE USER FIELD=VALUE REF [--max N]
 *
 * On the store in DB (a copy: it is changed and put back flip by flip), for every named
 * database one representative entry - the entry of case REF where the database holds case
 * records (a closed case, so a flip there meets the write path's refusal of closed cases
 * only when the trail says so), else the middle one - has single bits flipped at every offset
 * of its key and of its value (at most N offsets each, spread over the whole entry when it is
 * longer; the bit number turns with the offset). After each flip:
 *
 *   - `verify` (capa_store_verify) reports a mismatch, or else nothing a command shows
 *     changed: show of every case, list, the log, info, due limits, users, recurrences are
 *     rendered and compared with those of the unflipped store;
 *   - a `set` of FIELD=VALUE on the open case CASE by USER (capa_case__apply in a write
 *     transaction that is rolled back afterwards) is refused or changes no record of any
 *     other case (headers, stage records, signatures, attachments, links, index entries).
 *
 * Then the entry is put back exactly. Exit 0 when every flip held, 1 naming each gap, 2 usage.
 */
#include <lmdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "codec.h"
#include "index.h"
#include "record.h"
#include "store.h"

#define ABORT_WRITE (-9000) /* the rolled-back write's own code: not one of capa's */

static int gaps;

typedef struct text {
    char *p;
    size_t len, cap;
} text;

static void add(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(text *t, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(t->p ? t->p + t->len : NULL, t->p ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            abort();
        if (t->p && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        t->cap = (t->cap + (size_t)n + 1) * 2;
        if (!(t->p = realloc(t->p, t->cap)))
            abort();
    }
}

#define S(x) ((x) ? (x) : "(null)")

/* ---- what the commands show ---- */

static void show_stage(text *t, const capa_stage_record *r)
{
    add(t, " stage %s form %s v%d in %lld out %lld by", S(r->stage), S(r->form_id), r->form_version,
        (long long)r->entered, (long long)r->left);
    for (size_t i = 0; i < r->n_editors; i++)
        add(t, " %s", r->editors[i]);
    for (size_t i = 0; i < r->n_values; i++)
        add(t, " [%s=%s]", r->values[i].name, r->values[i].value);
    add(t, "\n");
}

static int list_cb(const capa_case_header *h, void *payload)
{
    text *t = payload;
    add(t, "list %s %s %d %s %s %s %s %s %s %s %lld %lld %lld %s\n", S(h->number), S(h->stage),
        h->closed, S(h->customer), S(h->part_no), S(h->lot_no), S(h->defect_code), S(h->severity),
        S(h->description), S(h->subject_person), (long long)h->opened, (long long)h->closed_at,
        (long long)h->stage_entered, S(h->workflow));
    return 0;
}

static int due_cb(const capa_case_header *h, const capa_due_limit *l, void *payload)
{
    text *t = payload;
    add(t, "due %s %s %lld %lld\n", S(h->number), S(l->kind), (long long)l->due,
        (long long)l->warn);
    return 0;
}

static int log_cb(const capa_event *e, void *payload)
{
    text *t = payload;
    add(t, "event %llu %lld %s %s %s %s %s %s\n", (unsigned long long)e->seq, (long long)e->time,
        S(e->actor), S(e->action), S(e->case_number), S(e->stage), S(e->reason), e->hash);
    for (size_t i = 0; i < e->n_changes; i++)
        add(t, "  %s: %s -> %s\n", S(e->changes[i].field), S(e->changes[i].old_value),
            S(e->changes[i].new_value));
    return 0;
}

static int user_cb(const capa_user *u, void *payload)
{
    text *t = payload;
    add(t, "user %s %s %s %s %d %d %lld\n", S(u->id), S(u->name), S(u->dept), S(u->role), u->locked,
        u->failed, (long long)u->created);
    return 0;
}

static void result(text *t, const char *what, int err)
{
    if (err)
        add(t, "%s: error %d %s\n", what, err, capa_error_last());
}

/* Everything the commands show of the store: show of every case, list, log, info, due
 * limits, users, recurrences and settings. */
static void view(text *t, capa_store *s, char **numbers, size_t n)
{
    capa_filter all = {.closed = -1};
    capa_store_info info;
    uint64_t lim = 0;
    int days = 0;
    t->len = 0;
    for (size_t i = 0; i < n; i++) {
        capa_case *c = NULL;
        char **rec = NULL;
        size_t nr = 0;
        int err = capa_case_get(&c, s, numbers[i]);
        result(t, numbers[i], err);
        if (!err) {
            add(t, "case %s %s %d %lld %lld %s %s\n", S(c->number), S(c->stage), c->closed,
                (long long)c->opened, (long long)c->closed_at, S(c->opened_by), S(c->workflow));
            for (size_t k = 0; k < c->n_stages; k++)
                show_stage(t, &c->stages[k]);
            for (size_t k = 0; k < c->n_signatures; k++) {
                const capa_signature *g = &c->signatures[k];
                add(t, " sig %llu %s %s %s %s %s %s %s %lld %s %d\n", (unsigned long long)g->seq,
                    S(g->stage), S(g->kind), S(g->meaning), S(g->user), S(g->name), S(g->role),
                    S(g->reason), (long long)g->time, g->data_hash, g->superseded);
            }
            for (size_t k = 0; k < c->n_attachments; k++) {
                const capa_attachment *a = &c->attachments[k];
                add(t, " att %llu %s %s %s %s %llu %s %s %s %lld\n", (unsigned long long)a->seq,
                    S(a->name), S(a->stage), S(a->note), S(a->mime), (unsigned long long)a->size,
                    a->sha256, S(a->user), S(a->user_name), (long long)a->time);
            }
            capa_case_free(c);
        }
        err = capa_case_recurrence(&rec, &nr, s, numbers[i]);
        result(t, "recurrence", err);
        for (size_t k = 0; !err && k < nr; k++)
            add(t, " recurs %s\n", rec[k]);
        capa_strings_free(rec, nr);
        err = capa_audit_foreach(s, numbers[i], log_cb, t);
        result(t, "log of case", err);
    }
    result(t, "list", capa_case_list(s, &all, list_cb, t));
    result(
        t, "due",
        capa_case_due_list(s, CAPA_DUE_SOON | CAPA_DUE_OVERDUE, (int64_t)4102444800000, due_cb, t));
    result(t, "log", capa_audit_foreach(s, NULL, log_cb, t));
    result(t, "users", capa_user_foreach(s, user_cb, t));
    int err = capa_store_info_get(&info, s);
    result(t, "info", err);
    if (!err) {
        add(t, "info %s %s %llu %llu %s %d %s\n", S(info.org), S(info.number_pattern),
            (unsigned long long)info.n_cases, (unsigned long long)info.n_events, info.head_hash,
            info.format_version, S(info.timezone));
        capa_store_info_clear(&info);
    }
    result(t, "recurrence days", err = capa_store_recurrence_days(s, &days));
    result(t, "attach limit", capa_attach_limit(s, &lim));
    add(t, "settings %d %llu\n", days, (unsigned long long)lim);
}

/* ---- the records of every case but one ---- */

static int case_keyed(int db)
{
    return db == DB_CASES || db == DB_STAGES || db == DB_SIGS || db == DB_ATTACH ||
           db == DB_CASE_EVENTS;
}

static int id_indexed(int db)
{
    return db == DB_IDX_STAGE || db == DB_IDX_CUSTOMER || db == DB_IDX_PART ||
           db == DB_IDX_DEFECT || db == DB_IDX_OPENED || db == DB_IDX_DUE;
}

/* SHA-256 over every record of a case other than `id` (and every index entry leading to
 * one), as txn sees them. */
static void others(char hex[65], capa_store *s, MDB_txn *txn, uint64_t id)
{
    capa_buf b = {0};
    for (int db = 0; db < DB_COUNT; db++) {
        MDB_cursor *cur = NULL;
        MDB_val k, v;
        if ((!case_keyed(db) && !id_indexed(db)) || !capa_store__has(s, db) ||
            mdb_cursor_open(txn, s->dbi[db], &cur))
            continue;
        for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
             rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            uint64_t of = 0;
            if (case_keyed(db) && k.mv_size >= 8)
                of = capa_get_be64(k.mv_data);
            else if (db == DB_IDX_DUE) {
                capa_hdr_limit l;
                capa_index__due_read(&k, &v, &of, &l);
            } else if (v.mv_size == 8)
                of = capa_get_be64(v.mv_data);
            if (of == id)
                continue;
            capa_buf_u8(&b, (unsigned)db);
            capa_buf_varint(&b, k.mv_size);
            capa_buf_bytes(&b, k.mv_data, k.mv_size);
            capa_buf_varint(&b, v.mv_size);
            capa_buf_bytes(&b, v.mv_data, v.mv_size);
        }
        mdb_cursor_close(cur);
    }
    if (b.oom)
        abort();
    capa_sha256_hex(hex, b.p ? (const void *)b.p : "", b.len);
    capa_buf_free(&b);
}

typedef struct write_arg {
    capa_request rq;
    uint64_t id; /* the case the set is on, as the unflipped store numbers it */
    int result;  /* of capa_case__apply */
    int landed;  /* it changed a record of another case */
    char msg[600];
} write_arg;

static int write_fn(capa_wtxn *t, void *arg)
{
    write_arg *w = arg;
    char before[65], after[65];
    others(before, t->s, t->txn, w->id);
    w->result = capa_case__apply(t, &w->rq);
    snprintf(w->msg, sizeof w->msg, "%s", w->result ? capa_error_last() : "");
    others(after, t->s, t->txn, w->id);
    w->landed = strcmp(before, after) != 0;
    capa__free(w->rq.number_out);
    w->rq.number_out = NULL;
    return capa_error_set(ABORT_WRITE, "bitflip: rolled back");
}

/* ---- flipping one bit of one entry ---- */

typedef struct entry {
    int db;
    int dup;
    unsigned char *k, *v;
    size_t kl, vl;
} entry;

typedef struct flip_arg {
    const entry *e;
    int in_key;
    size_t off;
    int bit;
    int undo;
    int collided; /* the flipped key was another entry's: the entry is gone, the other kept */
} flip_arg;

static int flip_fn(capa_wtxn *t, void *arg)
{
    flip_arg *f = arg;
    const entry *e = f->e;
    MDB_dbi dbi = t->s->dbi[e->db];
    unsigned char k2[512], *v2 = malloc(e->vl ? e->vl : 1);
    if (!v2 || e->kl > sizeof k2)
        abort();
    memcpy(k2, e->k, e->kl);
    memcpy(v2, e->v, e->vl);
    (f->in_key ? k2 : v2)[f->off] ^= (unsigned char)(1u << f->bit);
    MDB_val ok = {e->kl, e->k}, ov = {e->vl, e->v}, nk = {e->kl, k2}, nv = {e->vl, v2};
    int rc;
    if (!f->undo) {
        rc = mdb_del(t->txn, dbi, &ok, e->dup ? &ov : NULL);
        if (!rc) {
            rc = mdb_put(t->txn, dbi, &nk, &nv, e->dup ? MDB_NODUPDATA : MDB_NOOVERWRITE);
            f->collided = rc == MDB_KEYEXIST;
            rc = f->collided ? 0 : rc;
        }
    } else {
        rc = f->collided ? 0 : mdb_del(t->txn, dbi, &nk, e->dup ? &nv : NULL);
        if (!rc)
            rc = mdb_put(t->txn, dbi, &ok, &ov, 0);
    }
    free(v2);
    return rc ? capa_error_set(CAPA_ERROR, "bitflip: %s", mdb_strerror(rc)) : CAPA_OK;
}

/* The representative entry of `db`: case `ref`'s where the database holds case records (or
 * index entries leading to cases), the number's in `numbers`, else the middle one. */
static int pick(entry *out, capa_store *s, int db, uint64_t ref, const char *ref_number, int last)
{
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    MDB_stat st;
    MDB_val k, v;
    int found = 0;
    memset(out, 0, sizeof *out);
    out->db = db;
    out->dup = (capa_db_specs[db].flags & MDB_DUPSORT) != 0;
    if (capa_store__read_begin(s, &txn))
        return 0;
    if (mdb_stat(txn, s->dbi[db], &st) || st.ms_entries == 0 ||
        mdb_cursor_open(txn, s->dbi[db], &cur))
        goto done;
    size_t i = 0, mid = st.ms_entries / 2;
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && (last || !found);
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), i++) {
        uint64_t of = 0;
        if (case_keyed(db) && k.mv_size >= 8)
            of = capa_get_be64(k.mv_data);
        else if (id_indexed(db) && db != DB_IDX_DUE && v.mv_size == 8)
            of = capa_get_be64(v.mv_data);
        else if (db == DB_NUMBERS)
            of = k.mv_size == strlen(ref_number) && memcmp(k.mv_data, ref_number, k.mv_size) == 0
                     ? ref
                     : 0;
        int mine = (case_keyed(db) || (id_indexed(db) && db != DB_IDX_DUE) || db == DB_NUMBERS)
                       ? of == ref
                       : i == mid;
        if (!mine)
            continue;
        if (last && found) {
            free(out->k);
            free(out->v);
            found = 0;
        }
        out->k = malloc(k.mv_size);
        out->v = malloc(v.mv_size ? v.mv_size : 1);
        if (!out->k || !out->v)
            abort();
        memcpy(out->k, k.mv_data, out->kl = k.mv_size);
        memcpy(out->v, v.mv_data, out->vl = v.mv_size);
        found = 1;
    }
    /* No entry of that case (attachments of a closed case, idx_due): the middle one. */
    if (!found && !last && (case_keyed(db) || id_indexed(db))) {
        i = 0;
        for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && !found;
             rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), i++)
            if (i == mid) {
                out->k = malloc(k.mv_size);
                out->v = malloc(v.mv_size ? v.mv_size : 1);
                if (!out->k || !out->v)
                    abort();
                memcpy(out->k, k.mv_data, out->kl = k.mv_size);
                memcpy(out->v, v.mv_data, out->vl = v.mv_size);
                found = 1;
            }
    }
done:
    if (cur)
        mdb_cursor_close(cur);
    capa_store__read_end(s, txn);
    return found;
}

static void show_key(char *buf, size_t sz, const unsigned char *p, size_t n)
{
    size_t o = 0, printable = 1;
    for (size_t i = 0; i < n; i++)
        printable &= p[i] >= 0x20 && p[i] < 0x7f;
    if (printable) {
        snprintf(buf, sz, "'%.*s'", (int)(n < 60 ? n : 60), (const char *)p);
        return;
    }
    for (size_t i = 0; i < n && o + 3 < sz && i < 24; i++)
        o += (size_t)snprintf(buf + o, sz - o, "%02x", p[i]);
}

static int numbers_cb(const capa_case_header *h, void *payload)
{
    text *t = payload;
    add(t, "%s\n", h->number);
    return 0;
}

int main(int argc, char **argv)
{
    size_t max = 96;
    if (argc == 8 && strcmp(argv[6], "--max") == 0)
        max = strtoul(argv[7], NULL, 10);
    else if (argc != 6)
        return fprintf(stderr, "usage: capa-bitflip DB CASE USER FIELD=VALUE REF [--max N]\n"), 2;
    const char *dir = argv[1], *number = argv[2], *user = argv[3], *assign = argv[4],
               *ref_number = argv[5];
    const char *eq = strchr(assign, '=');
    if (!eq || max < 2)
        return fprintf(stderr, "capa-bitflip: FIELD=VALUE, and --max at least 2\n"), 2;
    char field[128];
    snprintf(field, sizeof field, "%.*s", (int)(eq - assign), assign);
    capa_kv kv = {field, eq + 1};
    capa_store *s = NULL;
    capa_user_rec actor;
    MDB_txn *txn = NULL;
    uint64_t target = 0, ref = 0;
    if (capa_store_open(&s, dir, NULL) || capa_store__read_begin(s, &txn) ||
        capa__case_id(s, txn, number, &target) || capa__case_id(s, txn, ref_number, &ref) ||
        capa_user__get(s, txn, user, &actor))
        return fprintf(stderr, "capa-bitflip: %s\n", capa_error_last()), 1;
    capa_store__read_end(s, txn);

    /* The unflipped store: it verifies, the set lands in its case alone, and what the
     * commands show of it is the reference. */
    text names = {0}, ref_view = {0}, now = {0};
    capa_filter all = {.closed = -1};
    if (capa_case_list(s, &all, numbers_cb, &names))
        return fprintf(stderr, "capa-bitflip: list: %s\n", capa_error_last()), 1;
    char **numbers = NULL;
    size_t n_numbers = 0;
    for (char *p = names.p, *nl; p && (nl = strchr(p, '\n')); p = nl + 1) {
        *nl = 0;
        if (!(numbers = realloc(numbers, (n_numbers + 1) * sizeof *numbers)))
            abort();
        numbers[n_numbers++] = p;
    }
    capa_verify_report *r = NULL;
    if (capa_store_verify(&r, s, NULL) || !r->ok)
        return fprintf(stderr, "capa-bitflip: the unflipped store does not verify\n"), 1;
    capa_verify_report_free(r);
    view(&ref_view, s, numbers, n_numbers);
    write_arg w = {.rq = {.op = CAPA_OP_SET, .number = number, .values = &kv, .n_values = 1},
                   .id = target};
    capa_store__write(s, &actor, write_fn, &w);
    if (w.result || w.landed)
        return fprintf(stderr, "capa-bitflip: the set on the unflipped store: %s%s\n", w.msg,
                       w.landed ? " (changed another case)" : ""),
               1;

    size_t total = 0, detected = 0, silent = 0, refused = 0, own = 0, dbs = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int db = 0; db < DB_COUNT; db++) {
            entry e;
            /* The second pass: the open case's own records (its last entry: the current stage,
             * the latest signature or link), where the write path must refuse or stay. */
            int of_case =
                case_keyed(db) || (id_indexed(db) && db != DB_IDX_DUE) || db == DB_NUMBERS;
            if (pass == 1 && !of_case)
                continue;
            if (!capa_store__has(s, db) ||
                !pick(&e, s, db, pass ? target : ref, pass ? number : ref_number, pass)) {
                if (!pass)
                    printf("%-13s (empty)\n", capa_db_specs[db].name);
                continue;
            }
            dbs += !pass;
            size_t d0 = detected, s0 = silent, r0 = refused, o0 = own, n0 = total, col = 0;
            char key[80];
            show_key(key, sizeof key, e.k, e.kl);
            for (int in_key = 1; in_key >= 0; in_key--) {
                size_t len = in_key ? e.kl : e.vl;
                size_t steps = len <= max ? len : max;
                for (size_t i = 0; i < steps; i++) {
                    size_t off = len <= max ? i : i * (len - 1) / (steps - 1);
                    flip_arg f = {&e, in_key, off, (int)((off + (size_t)db) % 8), 0, 0};
                    if (capa_store__write(s, NULL, flip_fn, &f))
                        return fprintf(stderr, "capa-bitflip: %s\n", capa_error_last()), 1;
                    col += f.collided;
                    /* Parsed definitions and the plant are cached in the store: read them anew
                     * after a flip of their records. */
                    if (db == DB_FORMS || db == DB_META) {
                        capa_store_close(s);
                        if (capa_store_open(&s, dir, NULL))
                            return fprintf(stderr, "capa-bitflip: %s\n", capa_error_last()), 1;
                    }
                    total++;
                    int err = capa_store_verify(&r, s, NULL);
                    int ok = !err && r->ok;
                    capa_verify_report_free(r);
                    r = NULL;
                    if (!ok) {
                        detected++;
                    } else {
                        view(&now, s, numbers, n_numbers);
                        if (now.len != ref_view.len || memcmp(now.p, ref_view.p, now.len) != 0) {
                            gaps++;
                            size_t at = 0;
                            while (at < now.len && at < ref_view.len && now.p[at] == ref_view.p[at])
                                at++;
                            size_t from = at > 60 ? at - 60 : 0;
                            printf("GAP %s %s %s offset %zu bit %d: verify passes, but what the "
                                   "commands show changed near: ...%.*s...\n",
                                   capa_db_specs[db].name, key, in_key ? "key" : "value", off,
                                   f.bit, (int)((now.len - from) < 160 ? now.len - from : 160),
                                   now.p + from);
                        } else {
                            silent++;
                        }
                    }
                    w.result = 0;
                    w.landed = 0;
                    MDB_txn *rt = NULL;
                    capa_user_rec cur_actor;
                    int have = !capa_store__read_begin(s, &rt) &&
                               capa_user__get(s, rt, user, &cur_actor) == CAPA_OK;
                    capa_store__read_end(s, rt);
                    if (!have) {
                        refused++; /* the actor's account no longer reads: no sign-in */
                    } else {
                        capa_store__write(s, &cur_actor, write_fn, &w);
                        capa_user_rec_clear(&cur_actor);
                        if (w.landed) {
                            gaps++;
                            printf("GAP %s %s %s offset %zu bit %d: a set on %s %s and changed "
                                   "another case's records\n",
                                   capa_db_specs[db].name, key, in_key ? "key" : "value", off,
                                   f.bit, number, w.result ? "was refused" : "succeeded");
                        } else if (w.result) {
                            refused++;
                        } else {
                            own++;
                        }
                    }
                    f.undo = 1;
                    if (capa_store__write(s, NULL, flip_fn, &f))
                        return fprintf(stderr, "capa-bitflip: undo: %s\n", capa_error_last()), 1;
                    if (db == DB_FORMS || db == DB_META) {
                        capa_store_close(s);
                        if (capa_store_open(&s, dir, NULL))
                            return fprintf(stderr, "capa-bitflip: %s\n", capa_error_last()), 1;
                    }
                }
            }
            printf("%-13s %s entry %-26s key %3zu B value %5zu B: %4zu flips, %4zu verify exit 1, "
                   "%3zu change nothing shown; set refused %4zu, in its own case %4zu%s\n",
                   capa_db_specs[db].name, pass ? number : ref_number, key, e.kl, e.vl, total - n0,
                   detected - d0, silent - s0, refused - r0, own - o0,
                   col ? " (some flipped keys collided)" : "");
            free(e.k);
            free(e.v);
        }
    /* Every entry put back: the store is as it was. */
    if (capa_store_verify(&r, s, NULL) || !r->ok) {
        gaps++;
        printf("FAIL: the store does not verify after the walk (an undo failed)\n");
    }
    capa_verify_report_free(r);
    view(&now, s, numbers, n_numbers);
    if (now.len != ref_view.len || memcmp(now.p, ref_view.p, now.len) != 0) {
        gaps++;
        printf("FAIL: the store shows otherwise after the walk (an undo failed)\n");
    }
    printf("%zu databases, %zu flips: %zu made verify exit 1, %zu changed nothing shown; the "
           "set was refused %zu times, stayed in its own case %zu times; %d gaps\n",
           dbs, total, detected, silent, refused, own, gaps);
    capa_user_rec_clear(&actor);
    capa_store_close(s);
    free(numbers);
    free(names.p);
    free(ref_view.p);
    free(now.p);
    return gaps ? 1 : 0;
}
