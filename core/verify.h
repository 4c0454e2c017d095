/*
 * verify.h - the replay-and-compare check behind capa_store_verify, for upgrade.c too.
 */
#ifndef CAPA_VERIFY_H
#define CAPA_VERIFY_H

#include "store.h"

/** capa_store_verify; `any_format` lets a format-1 store be checked (for upgrade). */
int capa__verify_run(capa_verify_report **out, capa_store *s, const capa_verify_opts *opts,
                     int any_format);

/** verify16d, for tests: the bytes of index entries verify sorts at once before it writes
 *  them as a run to its scratch directory (0: the default, 32 MiB), and how many runs it
 *  keeps before merging them into one (0: the default, 16). A small arena makes many runs,
 *  each entry's put and delete in different ones. */
void capa__verify_ix_limits(size_t arena_bytes, size_t max_runs);

#endif
