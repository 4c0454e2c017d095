/*
 * cases.h - the workflow operations as group commit (batch.c) runs them: one request at a
 * time inside the batch's write transaction, and the checks made before any lock.
 */
#ifndef CAPA_CASES_H
#define CAPA_CASES_H

#include "record.h"
#include "store.h"
#include "users.h"

/** Checks of a request that need no store (field count, names twice): linear time. */
int capa_case__precheck(const char *what, const capa_kv *values, size_t n);
/** A reason: at most 4000 bytes, one line, no control or bidi characters; `required` for a
 *  rejection. */
int capa_case__check_reason(const char *verb, const char *number, const char *reason, int required);

/** Read the header of case `number` (or, number NULL, of case id `id`) for an operation
 *  (`verb`, for messages) that decides on it, checked against the trail-derived identity of
 *  the case before any event is built from it: `numbers` leads to the id, the first event
 *  linked to the id (case_events) opens that number with that id, and the header stored
 *  under the id carries that id, number and workflow, and the stage (or closed state) the
 *  case's last hand-over left it in. On success *out is the header (capa_hdr_clear).
 *  @return CAPA_OK; CAPA_ENOTFOUND no such case; CAPA_ESTATE an archived copy (read-only);
 *  CAPA_ECORRUPT naming the case, the record and the field that disagree with the trail. */
int capa_case__load(capa_hdr *out, capa_store *s, MDB_txn *txn, const char *number, uint64_t id,
                    const char *verb);

/** Run one capa_request (arg) as a write fn: the same checks and effects as the single call.
 *  On success of an OPEN, the request's number_out is set (owned by the request). */
int capa_case__apply(capa_wtxn *t, void *arg);

/** Group commit's helper (batch.c) checked the values of the OPEN request this thread runs
 *  next against `form` with capa_case__validate, in the snapshot the write transaction
 *  started from: do_open takes that pass instead of checking again when the first stage's
 *  form it finds is `form`. NULL (after the request, always) clears it. */
void capa_case__checked(const capa_formdef *form);

/** Validate values against a form (capa_form_validate, users looked up in txn); on failure
 *  the message, prefixed with `what`, lists every violation. */
int capa_case__validate(MDB_txn *txn, const char *what, const capa_formdef *form,
                        const capa_kv *values, size_t n, capa_required level);

/** An import request (CAPA_OP_IMPORT) as a write fn (`commit`) or only its checks, which then
 *  need only a read transaction in t (import.c). */
int capa_case__import(capa_wtxn *t, capa_request *rq, int commit);

/** capa_submit for requests whose actor `user` was authenticated by the caller (one import
 *  session, many batches): the requests' own `who` is ignored. */
int capa_submit__as(capa_store *s, const capa_user_rec *user, capa_request *reqs, size_t n);

#endif
