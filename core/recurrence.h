/*
 * recurrence.h - recurrence (再发) inside a read transaction, for query.c and stats.c.
 */
#ifndef CAPA_RECURRENCE_H
#define CAPA_RECURRENCE_H

#include "record.h"

/** Default window of capa_case_recurrence, in days (meta "recurrence_days" overrides). */
#define CAPA_RECURRENCE_DAYS_DEFAULT 180

/** The window in days: meta "recurrence_days", else the default. */
int capa_recur__days(capa_store *s, MDB_txn *txn, int *out);
/**
 * Ids of the cases with h's part number and defect code opened in the `days` days before h
 * (strictly before it; an equal time counts when the id is lower), ascending. Found by
 * intersecting the part and defect indexes, then reading those headers only. *out NULL when
 * none (free with capa__free). Limit 0 = all; else stop after `limit` ids.
 */
int capa_recur__of(uint64_t **out, size_t *n, capa_store *s, MDB_txn *txn, const capa_hdr *h,
                   int days, size_t limit);

#endif
