/*
 * scan.h - a walk over every entry of one named database, in key order, inside a transaction
 * the caller holds: the cursor's open, first, next, end of data, error and close in one place
 * (each walk in notify.c and escalate.c used to spell them out).
 *
 *     capa_scan sc = {0};
 *     for (int on = capa_scan__first(&sc, txn, s->dbi[DB_USERS]); on && !err;
 *          on = capa_scan__next(&sc))
 *         err = use(&sc.k, &sc.v);
 *     err = capa_scan__end(&sc, err, "users");
 */
#ifndef CAPA_SCAN_H
#define CAPA_SCAN_H

#include "store.h"

typedef struct capa_scan {
    MDB_cursor *cur;
    MDB_val k, v; /* the entry at hand; valid until the next call or the transaction's end */
    int rc;       /* the last LMDB result: MDB_SUCCESS while on an entry */
} capa_scan;

/**
 * Open a cursor on `dbi` in `txn` and go to its first entry.
 * @return 1 when `sc` is on an entry; 0 when the database is empty or LMDB failed (which
 *         capa_scan__end reports).
 */
int capa_scan__first(capa_scan *sc, MDB_txn *txn, MDB_dbi dbi);

/** Go to the next entry. @return as capa_scan__first. */
int capa_scan__next(capa_scan *sc);

/**
 * Close the cursor (none, as `sc = {0}` leaves it before capa_scan__first, is fine).
 * @return `err` when it is an error; else the LMDB error that ended the walk early, as
 *         capa_store__mdb_err names it with `what`; else CAPA_OK.
 */
int capa_scan__end(capa_scan *sc, int err, const char *what);

#endif
