/*
 * event.h - audit events: building them, the hash chain they are appended to, and decoding.
 *
 * The audit trail is the source of truth. An operation checks authority, builds one event
 * holding everything needed to rebuild the state it changes (the changes a reader sees and
 * the facts replay needs), and commits it with capa_event__commit (commit.c): the event is
 * appended to the chain, h_n = SHA-256(h_{n-1} || body_n), and applied to the state by
 * capa_apply__event (apply.c), the same function `verify` replays the trail with. Format-1 events
 * (version 1, without facts) are still decoded; apply derives their facts from the state.
 */
#ifndef CAPA_EVENT_H
#define CAPA_EVENT_H

#include "store.h"

#define CAPA_EVENT_VERSION 2
#define CAPA_HEAD_KEY "head"

/** A decoded or built event that owns every string it points to. */
typedef struct capa_event_rec {
    capa_event ev; /* the public view; ev.changes/ev.facts point at the arrays below */
    int version;
    capa_change *changes;
    size_t n_changes, cap_changes;
    capa_kv *facts;
    size_t n_facts, cap_facts;
    unsigned char hash[32];
    int oom;
    /* A decoded event's strings, all in one block (capa_event__decode_ro): one allocation
     * per event instead of one per string. Strings added later are allocated on their own. */
    char *strings;
    size_t strings_len;
    /* A built event's strings go into the block while it has room (capa_event__reserve):
     * the bytes of it used so far; a decoded event's block is full. */
    size_t strings_used;
} capa_event_rec;

/** Start building an event (strings copied; NULL allowed except actor and action). */
void capa_event__init(capa_event_rec *e, const char *actor, const char *action,
                      const char *case_number, const char *stage, const char *reason);
/** Room for `bytes` of the strings the event is built with next (each string's bytes and
 *  its NUL), in one allocation instead of one per string (bulk21d: an open's ten values and
 *  their names). Nothing else changes: strings that do not fit are allocated as before. */
void capa_event__reserve(capa_event_rec *e, size_t bytes);
void capa_event__change(capa_event_rec *e, const char *field, const char *old_value,
                        const char *new_value);
void capa_event__fact(capa_event_rec *e, const char *key, const char *value);
void capa_event__factf(capa_event_rec *e, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/** A fact whose value is v in decimal, as "%llu" / "%lld" would write it (without printf). */
void capa_event__factu(capa_event_rec *e, const char *key, uint64_t v);
void capa_event__facti(capa_event_rec *e, const char *key, int64_t v);
/** A fact's value, or NULL. */
const char *capa_event__get(const capa_event_rec *e, const char *key);
void capa_event__clear(capa_event_rec *e);

/** Decode a stored event record (untrusted). CAPA_OK, CAPA_ECORRUPT, CAPA_ENOMEM.
 *  When body/body_len are given, *body receives the canonical bytes the hash covers
 *  (free with capa__free). */
int capa_event__decode(capa_event_rec *out, const void *data, size_t len, unsigned char **body,
                       size_t *body_len);
/** capa_event__decode with the strings in one allocation instead of one each (verify's chain
 *  reader decodes every event): read them, add facts or changes, but never free or replace
 *  one. capa_event__clear frees either kind. */
int capa_event__decode_ro(capa_event_rec *out, const void *data, size_t len, unsigned char **body,
                          size_t *body_len);

/** SHA-256(prev || body). */
void capa_event__chain(unsigned char out[32], const unsigned char prev[32], const void *body,
                       size_t len);

/** The chain head (seq 0 and zero hash when empty). */
int capa_event__head(capa_store *s, MDB_txn *txn, uint64_t *seq, unsigned char hash[32]);

struct capa_buf;
/** The canonical body of e (what the chain hash covers). */
void capa_event__encode(struct capa_buf *b, const capa_event_rec *e);

void capa__hex(char *hex, const unsigned char *bytes, size_t n);
int capa__unhex(unsigned char *out, size_t n, const char *hex);

#endif
