/*
 * caseproof.h - the per-case proof a dossier is checked with (docs/case-proof.md).
 *
 * A checkpoint (v2) signs, beside the chain head, three roots over the state as it was at
 * that point: a sparse Merkle tree over case ids (one leaf per case: every record of the
 * case and the digest of each of its events), a tree over buckets of (part, defect) pairs
 * (each pair's member cases: the 再发 answer's candidates) and a leaf over the store records
 * every output prints or computes with (meta values, users, definitions). The trees are
 * records of the derived `proof` database, written when a checkpoint event is applied (by
 * `capa checkpoint` and by verify's replay, which then compares them like every record).
 */
#ifndef CAPA_CASEPROOF_H
#define CAPA_CASEPROOF_H

#include "apply.h"

/** The roots a v2 checkpoint signs. */
typedef struct capa_proof_roots {
    unsigned char cases[32], recur[32], store[32];
} capa_proof_roots;

/** Bring the proof database of t->s to the state of t: the events up to `through` (every
 *  one already applied). Incremental from the last checkpoint the proof was made at (only
 *  the cases with events since are re-hashed); a full build when there is none, or when an
 *  event since then may have changed case records outside a case event (definitions,
 *  calendars, configuration, an archive, an upgrade). Event records are read from
 *  src->event when given (verify's replay), else from t->s. */
int capa_proof__update(capa_wtxn *t, const capa_apply_src *src, uint64_t through,
                       capa_proof_roots *out);

/** Apply of a checkpoint event that carries roots (v2): the proof brought up to the event
 *  before it, and its roots compared with those the event signs (CAPA_ECORRUPT naming the
 *  tree when they differ). A v1 checkpoint changes nothing. */
int capa_proof__apply_checkpoint(capa_wtxn *t, const capa_event_rec *e, const capa_apply_src *src);

/** Before the first change of case `id` since a checkpoint whose proof keeps prior records
 *  (fact ck_keep): the case's records kept in `proof` as that checkpoint signed them, so a
 *  dossier can replay the case's later events on top of them. Apply calls it for every
 *  event of an existing case; nothing when the proof keeps none or has them already. */
int capa_proof__keep_case(capa_wtxn *t, uint64_t id);

/** The text a checkpoint's signature covers: v1 (roots NULL) or v2. */
void capa_proof__checkpoint_text(char *buf, size_t sz, const char *seq, const char *head,
                                 const char *cases, const char *recur, const char *store,
                                 int64_t time);

#endif
