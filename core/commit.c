/*
 * commit.c - the write path of the event-sourced core: an event is appended to the chain and
 * applied to the state in the same write transaction, by the same function replay uses.
 */
#include "commit.h"

#include <string.h>

#include "codec.h"

int capa_event__commit(capa_wtxn *t, capa_event_rec *e, const capa_apply_src *src)
{
    capa_store *s = t->s;
    capa_buf b = {0};
    uint64_t seq;
    unsigned char prev[32], key[8], head[40];
    if (e->oom)
        return capa_error_set(CAPA_ENOMEM, "audit event: out of memory");
    int err = capa_event__head(s, t->txn, &seq, prev);
    if (err)
        return err;
    e->version = CAPA_EVENT_VERSION;
    e->ev.seq = seq + 1;
    e->ev.time = t->now;
    e->ev.version = e->version;
    capa_event__encode(&b, e);
    if (b.oom) {
        err = capa_error_set(CAPA_ENOMEM, "audit event: out of memory");
        goto done;
    }
    capa_event__chain(e->hash, prev, b.p, b.len);
    capa__hex(e->ev.hash, e->hash, 32);
    capa_pack(&b);
    capa_buf_bytes(&b, e->hash, 32);
    if (b.oom) {
        err = capa_error_set(CAPA_ENOMEM, "audit event: out of memory");
        goto done;
    }
    capa_be64(key, e->ev.seq);
    if ((err = capa_store__put(t->txn, s->dbi[DB_EVENTS], key, 8, b.p, b.len, MDB_APPEND)))
        goto done;
    memcpy(head, key, 8);
    memcpy(head + 8, e->hash, 32);
    if ((err = capa_store__put(t->txn, s->dbi[DB_META], CAPA_HEAD_KEY, strlen(CAPA_HEAD_KEY), head,
                               40, 0)))
        goto done;
    err = capa_apply__event(t, e, src);
done:
    capa_buf_free(&b);
    return err;
}
