/*
 * index.h - the secondary indexes (stage, customer, part, defect code, opened date) and the
 * intake values a case header carries for lists. Only apply.c changes them.
 */
#ifndef CAPA_INDEX_H
#define CAPA_INDEX_H

#include "record.h"

/** LMDB keys are at most 511 bytes: values are indexed by a prefix of this many bytes. */
#define CAPA_INDEX_KEY_MAX 400

int capa_index__put(capa_store *s, MDB_txn *txn, int db, const char *key, uint64_t id);
int capa_index__del(capa_store *s, MDB_txn *txn, int db, const char *key, uint64_t id);
int capa_index__put_opened(capa_store *s, MDB_txn *txn, int64_t opened, uint64_t id);
/** Copy the intake values the header carries into h and move their index entries. */
int capa_index__sync_header(capa_store *s, MDB_txn *txn, capa_hdr *h,
                            const capa_stage_record *intake);
/** Every index entry header h implies (its indexed intake values, stage, opening, open
 *  limits): the case proof's per-case replay seeds its scratch with them (caseproof.c). */
int capa_index__put_case(capa_store *s, MDB_txn *txn, const capa_hdr *h);
/** The statistics part of the header from a stage record just written at `now`: the 回访
 *  satisfaction when the event changed it, and when the first stage's containment was
 *  first set (first_stage). */
int capa_index__sync_stats(capa_hdr *h, const capa_stage_record *r, int first_stage,
                           int satisfaction_changed, int64_t now);
/** Move the case's stage index entry from h->stage to `to` and set h->stage. */
int capa_index__move_stage(capa_store *s, MDB_txn *txn, capa_hdr *h, const char *to);

/** Gather the index entries (puts and deletes) written in txn instead of writing them one
 *  by one, until capa_index__gather_flush (group commit's batch transaction: no request of
 *  it reads an index). NULL stops gathering and frees the queue; the queue is this thread's.
 *  Call it with NULL, or flush, before the transaction ends. */
void capa_index__gather(MDB_txn *txn);
/** Write the gathered entries in key order; the indexes are then exactly what writing them
 *  one by one would have made. Gathering goes on. */
int capa_index__gather_flush(capa_store *s);

/** Remove / add the idx_due entries of every open limit h carries. */
int capa_index__due_del(capa_store *s, MDB_txn *txn, const capa_hdr *h);
int capa_index__due_put(capa_store *s, MDB_txn *txn, const capa_hdr *h);
/** One idx_due entry: case id and the limit (due, warn, code); id 0 when malformed. */
void capa_index__due_read(const MDB_val *k, const MDB_val *v, uint64_t *id, capa_hdr_limit *l);

#endif
