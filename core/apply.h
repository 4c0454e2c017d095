/*
 * apply.h - the one function that turns an audit event into record changes.
 *
 * Every stored record except the events themselves - case headers, stage records,
 * signatures, numbers, counters, indexes, case->event links, users, stored definitions and
 * the meta values - is what applying the events in order produces. The write path applies
 * each event right after appending it (capa_event__commit); `verify` applies the whole
 * trail to a scratch store and compares. Format-1 events carry no facts: apply derives them
 * from the state built so far, exactly as the format-1 write path did.
 */
#ifndef CAPA_APPLY_H
#define CAPA_APPLY_H

#include "event.h"
#include "record.h"

/** Payloads an event attests but does not carry. */
typedef struct capa_apply_src {
    /** Fill out's credential (log2n, r, p, salt, hash) for `user`: the one whose digest is
     *  `digest`, or for a format-1 event (digest NULL) whatever credential there is. Leave
     *  log2n 0 when there is none to give. */
    int (*cred)(void *payload, const char *user, const char *digest, capa_user_rec *out);
    /** Format-1 events name the definitions they installed but do not carry them: the XML
     *  stored as (id, version). *xml is freed by the caller (capa__free). */
    int (*legacy_def)(void *payload, const char *id, int version, char **xml, size_t *len);
    void *payload;
    /** The content an "attach" event names by hex SHA-256 and size: the bytes being attached
     *  (write path) or the stored ones (replay). Set *data NULL when there are none that hash
     *  to it: the content is then not derived, and verify reports the stored bytes. *data is
     *  borrowed until the event is applied. NULL: no content (replay of a case import). */
    int (*blob)(void *payload, const char *sha256, uint64_t size, const void **data);
    /** The stored record of event `seq` (verify's replay: the real store's, whose chain the
     *  walk checked); borrowed. NULL: read the events of the store applied to (caseproof.c). */
    int (*event)(void *payload, uint64_t seq, const void **data, size_t *len);
} capa_apply_src;

/** Apply e (seq and time set) to the state of t->s in t->txn. */
int capa_apply__event(capa_wtxn *t, const capa_event_rec *e, const capa_apply_src *src);

/** The next case number for `now` under workflow wf's pattern (the store's for the default
 *  workflow, or wf NULL), its counter key and value. */
int capa__number_next(capa_store *s, MDB_txn *txn, const capa_workflow *wf, int64_t now,
                      char *number, size_t sz, char *key, size_t ksz, uint64_t *ctr);
/** capa__number_next, stepping over numbers already taken (imports: a sheet's own number
 *  may sit ahead of the counter of another year). */
int capa__number_next_free(capa_store *s, MDB_txn *txn, const capa_workflow *wf, int64_t now,
                           char *number, size_t sz, char *key, size_t ksz, uint64_t *out_ctr);
/** When `number` is what wf's pattern makes at time `when` (prefix, digits, suffix), move
 *  that counter up to it. */
int capa__number_bump(capa_store *s, MDB_txn *txn, const capa_workflow *wf, int64_t when,
                      const char *number);
int capa__number_pattern_check(const char *pattern);

/** How far the import of the source file with this SHA-256 got (the meta values the
 *  "import" events of it leave: import:, import_run:, import_to:). */
int capa_import__source(capa_import_source *out, capa_store *s, MDB_txn *txn, const char *sha256);

/** CAPA_ECORRUPT "audit event N (action case): " + fmt with a and b (NULL as ""). */
int capa_apply__corrupt(const capa_event_rec *e, const char *fmt, const char *a, const char *b);

/** What apply makes of an event beyond its own records when its actor signed in: a run of
 *  failed sign-ins ended (the case proof replays only that of events it does not replay
 *  whole: caseproof.c). */
int capa_apply__signed_in(capa_wtxn *t, const capa_event_rec *e);

/** Whether an event of this action needed the actor's password (ends a run of failures). */
int capa__event_authenticated(const capa_event_rec *e);

#endif
