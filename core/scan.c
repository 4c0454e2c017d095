/*
 * scan.c - a walk over every entry of one named database (scan.h).
 */
#include "scan.h"

int capa_scan__first(capa_scan *sc, MDB_txn *txn, MDB_dbi dbi)
{
    sc->cur = NULL;
    sc->rc = mdb_cursor_open(txn, dbi, &sc->cur);
    if (sc->rc == MDB_SUCCESS)
        sc->rc = mdb_cursor_get(sc->cur, &sc->k, &sc->v, MDB_FIRST);
    return sc->rc == MDB_SUCCESS;
}

int capa_scan__next(capa_scan *sc)
{
    sc->rc = mdb_cursor_get(sc->cur, &sc->k, &sc->v, MDB_NEXT);
    return sc->rc == MDB_SUCCESS;
}

int capa_scan__end(capa_scan *sc, int err, const char *what)
{
    if (sc->cur)
        mdb_cursor_close(sc->cur);
    sc->cur = NULL;
    if (!err && sc->rc && sc->rc != MDB_NOTFOUND)
        err = capa_store__mdb_err(sc->rc, what);
    return err;
}
