/*
 * waiver.h - whether a stage's waiver (<waiver> in workflow.xml, IATF 16949 §10.2.4 / 8D
 * D7: no PFMEA or control-plan update, signed by the quality lead) stands signed for the
 * data a sign-off leaves. One answer for the write path (cases.c) and replay (apply.c).
 */
#ifndef CAPA_WAIVER_H
#define CAPA_WAIVER_H

#include "store.h"

/**
 * *out = 1 when case `id` holds a waiver signature (kind "waiver") of stage `stage` with
 * `meaning`, given in `round` (1, 2, ...), not superseded, over stage data whose hash is
 * `hash`; else 0.
 * @return CAPA_OK or a storage error.
 */
int capa_waiver__signed(int *out, capa_store *s, MDB_txn *txn, uint64_t id, const char *stage,
                        const char *meaning, const char *hash, int round);

#endif
