/*
 * batch.h - group commit: the queue behind capa_submit, and the two hooks it needs from the
 * modules that own single changes (cases.c runs one request, users.c re-checks its actor
 * inside the write transaction).
 */
#ifndef CAPA_BATCH_H
#define CAPA_BATCH_H

#include "store.h"
#include "users.h"

struct capa_group;

/** Create / free the queue of a store (at open / close). */
int capa_group__init(capa_store *s);
void capa_group__free(capa_store *s);

/** Run one capa_request (arg) as a write fn: the same checks and effects as the single call.
 *  On success of an OPEN, the request's number_out is set (owned by the request). */
int capa_case__apply(capa_wtxn *t, void *arg);

/** Inside a write transaction: re-read `checked`'s user record (it must be unchanged since
 *  its password was checked), then run fn as that user, as capa_store__mutate does. */
int capa_store__run_as(capa_wtxn *t, capa_user_rec *checked, capa_write_fn fn, void *arg);

#endif
