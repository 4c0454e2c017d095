/*
 * publish.c - the audit trail read from a sequence number on, for tools that send it
 * elsewhere (capa publish to a group PostgreSQL database). Nothing here knows where the
 * events go: the callback receives them in chain order, read in one read transaction, each
 * one's chain hash recomputed from its content and its predecessor's hash as verify does.
 */
#include <string.h>

#include <lmdb.h>

#include "capa.h"
#include "codec.h"
#include "event.h"
#include "store.h"

int capa_audit_foreach_range(capa_store *s, uint64_t from, uint64_t to,
                             int (*cb)(const capa_event *e, void *payload), void *payload)
{
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    unsigned char key[8];
    MDB_val k, v;
    int stop = 0, rc, err;
    uint64_t want = from ? from : 1;
    unsigned char prev[32] = {0};
    if ((err = capa_store__read_begin(s, &txn)) != CAPA_OK)
        return err;
    if ((err = capa_store__require_init(s, txn)) != CAPA_OK)
        goto done;
    if (want > 1) {
        /* The predecessor's stored hash starts the recomputation: a caller that checked it
         * (capa publish against the head it published) has the range bound to its chain. */
        capa_event_rec pe;
        capa_be64(key, want - 1);
        if ((err = capa_store__get(txn, s->dbi[DB_EVENTS], key, 8, &v)) != CAPA_OK)
            goto done;
        if ((err = capa_event__decode(&pe, v.mv_data, v.mv_size, NULL, NULL)) != CAPA_OK)
            goto done;
        memcpy(prev, pe.hash, 32);
        capa_event__clear(&pe);
    }
    capa_be64(key, want);
    k = (MDB_val){8, key};
    rc = mdb_cursor_open(txn, s->dbi[DB_EVENTS], &cur);
    rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    while (rc == MDB_SUCCESS && !stop) {
        capa_event_rec e;
        uint64_t seq = k.mv_size == 8 ? capa_get_be64(k.mv_data) : 0;
        if (to && seq > to)
            break;
        if (seq != want) {
            err = capa_error_set(CAPA_ECORRUPT, "audit trail: event %llu is missing (found %llu)",
                                 (unsigned long long)want, (unsigned long long)seq);
            goto done;
        }
        unsigned char *body = NULL, h[32];
        size_t body_len = 0;
        if ((err = capa_event__decode(&e, v.mv_data, v.mv_size, &body, &body_len)) != CAPA_OK)
            goto done;
        capa_event__chain(h, prev, body, body_len);
        capa__free(body);
        if (e.ev.seq != seq)
            err = capa_error_set(CAPA_ECORRUPT, "audit trail: event under key %llu says %llu",
                                 (unsigned long long)seq, (unsigned long long)e.ev.seq);
        else if (memcmp(h, e.hash, 32) != 0)
            err = capa_error_set(CAPA_ECORRUPT,
                                 "audit event %llu: hash does not match its content and "
                                 "predecessor (edited, or an earlier event was changed)",
                                 (unsigned long long)seq);
        else
            stop = cb(&e.ev, payload);
        memcpy(prev, h, 32);
        capa_event__clear(&e);
        if (err)
            goto done;
        want++;
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    if (rc && rc != MDB_NOTFOUND)
        err = capa_store__mdb_err(rc, "audit trail");
done:
    if (cur)
        mdb_cursor_close(cur);
    capa_store__read_end(s, txn);
    return err ? err : stop;
}

static int hash_cb(const capa_event *e, void *payload)
{
    memcpy(payload, e->hash, 65);
    return 1;
}

int capa_audit_hash_at(char hex[65], capa_store *s, uint64_t seq)
{
    hex[0] = '\0';
    int err = capa_audit_foreach_range(s, seq, seq, hash_cb, hex);
    if (err < 0)
        return err;
    if (!hex[0])
        return capa_error_set(CAPA_ENOTFOUND, "audit trail: no event %llu",
                              (unsigned long long)seq);
    return CAPA_OK;
}
