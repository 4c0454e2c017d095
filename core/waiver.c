/*
 * waiver.c - a waiver signature standing in for a sign-off rule (IATF 16949 §10.2.4, 8D D7).
 *
 * A waiver is an electronic signature like any other (re-authenticated, name, role, meaning,
 * time, the hash of the stage data it covers) recorded by a "waive" event; it moves no stage.
 * A <require waiver="M"> rule of the stage's sign-off holds when such a signature covers the
 * very data being signed off in the case's current round: an edit after the waiver, or a new
 * round, needs a new one. Read by the write path and by replay alike, so a forged or stale
 * waiver cannot let a sign-off replay.
 */
#include <string.h>

#include "codec.h"
#include "record.h"
#include "waiver.h"

int capa_waiver__signed(int *out, capa_store *s, MDB_txn *txn, uint64_t id, const char *stage,
                        const char *meaning, const char *hash, int round)
{
    MDB_cursor *cur = NULL;
    unsigned char k0[16];
    int err = CAPA_OK;
    *out = 0;
    capa_be64(k0, id);
    memset(k0 + 8, 0, 8);
    MDB_val k = {16, k0}, v;
    int rc = mdb_cursor_open(txn, s->dbi[DB_SIGS], &cur);
    for (rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == MDB_SUCCESS && k.mv_size >= 8 && memcmp(k.mv_data, k0, 8) == 0 && !*out;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        capa_signature g;
        if ((err = capa_sig__decode(&g, v.mv_data, v.mv_size)))
            break;
        *out = g.kind && strcmp(g.kind, "waiver") == 0 && !g.superseded && g.stage &&
               strcmp(g.stage, stage) == 0 && g.meaning && strcmp(g.meaning, meaning) == 0 &&
               (g.round > 1 ? g.round : 1) == (round > 1 ? round : 1) &&
               strcmp(g.data_hash, hash) == 0;
        capa_signature_clear(&g);
    }
    if (!err && rc && rc != MDB_NOTFOUND)
        err = capa_store__mdb_err(rc, "signatures");
    if (cur)
        mdb_cursor_close(cur);
    return err;
}
