/*
 * audit.h - the hash-chained audit trail.
 *
 * Every change appends one event in the same write transaction as the change itself:
 * h_n = SHA-256(h_{n-1} || body_n), body_n being the event's canonical encoding (which holds
 * its own sequence number, so moving a record to another key breaks the chain too).
 */
#ifndef CAPA_AUDIT_H
#define CAPA_AUDIT_H

#include "store.h"

/** Append an event; `case_id` 0 when it concerns no case. */
int capa_audit__append(capa_wtxn *t, const char *actor, const char *action,
                       const char *case_number, uint64_t case_id, const char *stage,
                       const char *reason, const capa_change *changes, size_t n,
                       uint64_t *out_seq);

/** A decoded event that owns its strings. */
typedef struct capa_event_rec {
    capa_event ev;
    capa_change *changes;
    unsigned char hash[32];
    unsigned char *body; /* canonical bytes (borrowed from the record while decoding) */
    size_t body_len;
} capa_event_rec;

/** Decode raw event bytes (untrusted). CAPA_OK or CAPA_ECORRUPT/CAPA_ENOMEM. */
int capa_event__decode(capa_event_rec *out, const void *data, size_t len);
void capa_event__clear(capa_event_rec *e);

/** A growable list of changes whose strings the list owns. */
typedef struct capa_changes {
    capa_change *v;
    size_t n, cap;
    int oom;
} capa_changes;
void capa_changes_add(capa_changes *c, const char *field, const char *old_value,
                      const char *new_value);
void capa_changes_clear(capa_changes *c);

#endif
