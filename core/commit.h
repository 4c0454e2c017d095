/*
 * commit.h - appending an event and applying it, in one write transaction.
 */
#ifndef CAPA_COMMIT_H
#define CAPA_COMMIT_H

#include "apply.h"
#include "event.h"

/**
 * Append e to the chain (its seq, time and hash are set here) and apply it to the state in
 * the same transaction. `src` supplies attested payloads apply needs (a new credential);
 * NULL when the event needs none.
 */
int capa_event__commit(capa_wtxn *t, capa_event_rec *e, const capa_apply_src *src);

#endif
