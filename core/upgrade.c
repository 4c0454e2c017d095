/*
 * upgrade.c - `capa upgrade`: a format-1 store converted in place to the current format.
 *
 * Every event stays byte for byte where it is, so the chain and every anchor taken before
 * still hold. The store must verify as it is (format-1 events replay through the same apply
 * function); then one "upgrade" event re-states what format-1 events did not carry - the
 * text of every stored definition and a digest of every credential - and the records are
 * written again in the current encoding. Afterwards everything is checked as for any store.
 */
#include <stdio.h>
#include <string.h>

#include "apply.h"
#include "codec.h"
#include "commit.h"
#include "event.h"
#include "index.h"
#include "verify.h"

int capa_store_format(capa_store *s, int *out)
{
    MDB_txn *txn = NULL;
    uint64_t fmt = 0;
    *out = 0;
    int err = capa_store__read_begin(s, &txn);
    if (err)
        return err;
    err = capa_meta__get_u64(s, txn, "format", &fmt);
    capa_store__read_end(s, txn);
    if (err == CAPA_ENOTFOUND)
        return CAPA_OK;
    *out = (int)fmt;
    return err;
}

/* The credentials the upgrade event attests are the stored ones. */
static int own_cred(void *payload, const char *user, const char *digest, capa_user_rec *out)
{
    capa_wtxn *t = payload;
    capa_user_rec u;
    char have[65];
    if (capa_user__get(t->s, t->txn, user, &u) != CAPA_OK)
        return CAPA_OK;
    if (capa_user__cred_digest(have, &u)) {
        capa_user_rec_clear(&u);
        return CAPA_ENOMEM;
    }
    if (digest && strcmp(have, digest) == 0) {
        out->log2n = u.log2n, out->r = u.r, out->p = u.p;
        memcpy(out->salt, u.salt, 16);
        memcpy(out->hash, u.hash, 32);
    }
    capa_user_rec_clear(&u);
    return CAPA_OK;
}

/* Re-write every record of a database in the current encoding (stage records compress). */
static int reencode_stages(capa_wtxn *t)
{
    MDB_cursor *cur = NULL;
    int rc = mdb_cursor_open(t->txn, t->s->dbi[DB_STAGES], &cur), err = CAPA_OK;
    MDB_val k, v;
    for (rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && !err;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        capa_stage_record r;
        void *buf = NULL;
        size_t len = 0;
        if ((err = capa_stage__decode(&r, v.mv_data, v.mv_size)))
            break;
        if (!(err = capa_stage__encode(&r, &buf, &len))) {
            MDB_val nv = {len, buf};
            if ((rc = mdb_cursor_put(cur, &k, &nv, MDB_CURRENT)))
                err = capa_store__mdb_err(rc, "upgrade: stage record");
        }
        capa__free(buf);
        capa_stage_record_clear(&r);
    }
    if (!err && rc && rc != MDB_NOTFOUND)
        err = capa_store__mdb_err(rc, "upgrade");
    mdb_cursor_close(cur);
    return err;
}

/* The first event of case `id` that set `containment` (format 1 events list their changes). */
static int first_containment(capa_wtxn *t, uint64_t id, int64_t *out)
{
    MDB_cursor *cur = NULL;
    unsigned char ck[8];
    MDB_val k = {8, ck}, v;
    capa_be64(ck, id);
    *out = 0;
    int rc = mdb_cursor_open(t->txn, t->s->dbi[DB_CASE_EVENTS], &cur), err = CAPA_OK;
    rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_SET_KEY);
    for (; rc == 0 && !*out && !err; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_DUP)) {
        MDB_val ek = {8, v.mv_data}, ev;
        capa_event_rec e;
        if (v.mv_size != 8 || (err = capa_store__get(t->txn, t->s->dbi[DB_EVENTS], ek.mv_data,
                                                     8, &ev)))
            break;
        if ((err = capa_event__decode(&e, ev.mv_data, ev.mv_size, NULL, NULL)))
            break;
        for (size_t i = 0; i < e.ev.n_changes; i++) {
            const capa_change *c = &e.ev.changes[i];
            if (c->field && strcmp(c->field, "containment") == 0 && c->new_value &&
                *c->new_value) {
                *out = e.ev.time;
                break;
            }
        }
        capa_event__clear(&e);
    }
    if (!err && rc && rc != MDB_NOTFOUND)
        err = capa_store__mdb_err(rc, "upgrade: case events");
    mdb_cursor_close(cur);
    return err;
}

/* Format-1 headers have no statistics part: derive it from the case's stored records and
 * events as apply would have (index.c, apply.c), so the upgraded store verifies. */
static int restate_headers(capa_wtxn *t)
{
    const capa_workflow *wf = NULL;
    MDB_cursor *cur = NULL;
    int err = capa_store__workflow(&wf, t->s, t->txn), rc;
    if (err)
        return err;
    rc = mdb_cursor_open(t->txn, t->s->dbi[DB_CASES], &cur);
    MDB_val k, v;
    uint64_t *ids = NULL;
    size_t n = 0, cap = 0;
    for (rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            uint64_t *p = capa__realloc(ids, cap * sizeof *p);
            if (!p) {
                err = capa_error_set(CAPA_ENOMEM, "upgrade: out of memory");
                break;
            }
            ids = p;
        }
        ids[n++] = capa_get_be64(k.mv_data);
    }
    mdb_cursor_close(cur);
    for (size_t i = 0; i < n && !err; i++) {
        capa_hdr h;
        if ((err = capa_hdr__get(t->s, t->txn, ids[i], &h)))
            break;
        for (size_t si = 0; si < wf->n_stages && !err; si++) {
            capa_stage_record r;
            int e2 = capa_stage__get(t->s, t->txn, ids[i], (int)si, &r);
            if (e2 == CAPA_ENOTFOUND)
                continue;
            if ((err = e2))
                break;
            if (si == 0)
                err = capa_index__sync_header(t->s, t->txn, &h, &r);
            else if (capa_stage__value(&r, "satisfaction"))
                err = capa_index__sync_stats(&h, &r, 0, 1, 0);
            capa_stage_record_clear(&r);
        }
        /* Signatures: the first sign-off of the first stage, the first approval. */
        unsigned char k0[16];
        capa_be64(k0, ids[i]);
        memset(k0 + 8, 0, 8);
        MDB_val sk = {16, k0}, sv;
        rc = err ? 0 : mdb_cursor_open(t->txn, t->s->dbi[DB_SIGS], &cur);
        rc = err || rc ? rc : mdb_cursor_get(cur, &sk, &sv, MDB_SET_RANGE);
        for (; !err && rc == 0 && memcmp(sk.mv_data, k0, 8) == 0;
             rc = mdb_cursor_get(cur, &sk, &sv, MDB_NEXT)) {
            capa_signature g;
            if ((err = capa_sig__decode(&g, sv.mv_data, sv.mv_size)))
                break;
            if (strcmp(g.kind, "sign") == 0) {
                if (strcmp(g.stage, wf->stages[0].id) == 0 &&
                    (!h.response_at || g.time < h.response_at))
                    h.response_at = g.time;
                if (strcmp(g.meaning, "approved") == 0 && (!h.plan_at || g.time < h.plan_at))
                    h.plan_at = g.time;
            }
            capa_signature_clear(&g);
        }
        if (!err)
            mdb_cursor_close(cur);
        cur = NULL;
        if (!err)
            err = first_containment(t, ids[i], &h.containment_at);
        if (!err)
            err = capa_hdr__put(t->s, t->txn, &h);
        capa_hdr_clear(&h);
    }
    capa__free(ids);
    return err;
}

static int do_upgrade(capa_wtxn *t, void *arg)
{
    (void)arg;
    capa_event_rec e;
    MDB_cursor *cur = NULL;
    char actor[80];
    int err = capa_store__os_actor(t->s, actor, sizeof actor, "upgrade");
    if (err)
        return err;
    capa_event__init(&e, actor, "upgrade", NULL, NULL, "store format 1 -> 2");
    capa_event__change(&e, "format", "1", "2");
    capa_event__factf(&e, "format", "%d", CAPA_FORMAT_VERSION);
    int rc = mdb_cursor_open(t->txn, t->s->dbi[DB_FORMS], &cur);
    MDB_val k, v;
    for (rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        size_t n = strnlen(k.mv_data, k.mv_size);
        char key[300], *xml = capa__strndup(v.mv_data, v.mv_size);
        if (n + 5 != k.mv_size || !xml) {
            capa__free(xml);
            err = capa_error_set(CAPA_ECORRUPT, "upgrade: bad definition record");
            goto done;
        }
        snprintf(key, sizeof key, "def:%.*s:%u", (int)n, (const char *)k.mv_data,
                 capa_get_be32((const unsigned char *)k.mv_data + n + 1));
        capa_event__fact(&e, key, xml);
        capa__free(xml);
    }
    mdb_cursor_close(cur);
    cur = NULL;
    rc = mdb_cursor_open(t->txn, t->s->dbi[DB_USERS], &cur);
    for (rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        capa_user_rec u;
        char key[80], digest[65];
        if ((err = capa_user__decode(&u, v.mv_data, v.mv_size)))
            goto done;
        if ((err = capa_user__cred_digest(digest, &u))) {
            capa_user_rec_clear(&u);
            goto done;
        }
        snprintf(key, sizeof key, "cred:%s", u.u.id);
        capa_event__fact(&e, key, digest);
        capa_user_rec_clear(&u);
    }
    mdb_cursor_close(cur);
    cur = NULL;
    capa_apply_src src = {own_cred, NULL, t, NULL, NULL};
    if ((err = capa_event__commit(t, &e, &src)) == CAPA_OK &&
        (err = reencode_stages(t)) == CAPA_OK)
        err = restate_headers(t);
done:
    if (cur)
        mdb_cursor_close(cur);
    capa_event__clear(&e);
    return err;
}

int capa_store_upgrade(capa_store *s)
{
    capa_verify_report *r = NULL;
    int format = 0;
    int err = capa_store_format(s, &format);
    if (err)
        return err;
    if (format == 0)
        return capa_error_set(CAPA_ESTATE, "upgrade %s: not initialised", s->dir);
    if (format == CAPA_FORMAT_VERSION)
        return capa_error_set(CAPA_EEXISTS, "upgrade %s: already in store format %d", s->dir,
                              format);
    if ((err = capa__verify_run(&r, s, NULL, 1)))
        return err;
    if (!r->ok) {
        err = capa_error_set(CAPA_ECORRUPT,
                             "upgrade %s: the store does not verify as it is, so it is not "
                             "converted (nothing changed): %s",
                             s->dir, r->mismatches[0].message);
        capa_verify_report_free(r);
        return err;
    }
    capa_verify_report_free(r);
    if ((err = capa_store__write(s, NULL, do_upgrade, NULL)))
        return err;
    if ((err = capa_store_verify(&r, s, NULL)))
        return err;
    if (!r->ok)
        err = capa_error_set(CAPA_ECORRUPT, "upgrade %s: converted, but it does not verify: %s",
                             s->dir, r->mismatches[0].message);
    capa_verify_report_free(r);
    return err;
}
