/*
 * cases.h - the workflow operations as group commit (batch.c) runs them: one request at a
 * time inside the batch's write transaction, and the checks made before any lock.
 */
#ifndef CAPA_CASES_H
#define CAPA_CASES_H

#include "store.h"
#include "users.h"

/** Checks of a request that need no store (field count, names twice): linear time. */
int capa_case__precheck(const char *what, const capa_kv *values, size_t n);
/** A reason: at most 4000 bytes, one line, no control or bidi characters; `required` for a
 *  rejection. */
int capa_case__check_reason(const char *verb, const char *number, const char *reason, int required);

/** Run one capa_request (arg) as a write fn: the same checks and effects as the single call.
 *  On success of an OPEN, the request's number_out is set (owned by the request). */
int capa_case__apply(capa_wtxn *t, void *arg);

#endif
