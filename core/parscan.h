/*
 * parscan.h - reading the case headers on several threads (query.c: capa_case_scan; stats.c:
 * the report's pass): every part under a read transaction of one snapshot.
 */
#ifndef CAPA_PARSCAN_H
#define CAPA_PARSCAN_H

#include <stdatomic.h>

#include "store.h"

/** The most parts a report's pass is cut into. */
#define CAPA_STATS_MAX_PARTS 4

/** Begin n read transactions that see the commit `txn0` sees: *same 1 and more[0..n) set,
 *  or *same 0 and none left open when a commit came in between (read in one part then).
 *  End each with capa_store__read_end. */
int capa__snapshot_more(capa_store *s, MDB_txn *txn0, MDB_txn **more, size_t n, int *same);

/** The first and last case id in the headers; 0, 0 when there are none. */
int capa__id_bounds(capa_store *s, MDB_txn *txn, uint64_t *lo, uint64_t *hi);

/** The fewest cases in its range a part of capa_case_scan reads: a part's own cost (its
 *  thread started and joined, its transaction: ~40 us of CPU) is under 6 % of reading this
 *  many headers (~0.16 us each); below, a small store is read on the calling thread alone
 *  (measured, docs/serve.md). A variable so that the tests can cut a small store into parts. */
extern size_t capa__scan_part_min;

/** A list through an index read in one part of several asked for starts a helper thread
 *  that maps the pages of its last rows meanwhile (query.c, struct prefault) when
 *  capa__prefault_faults page faults or more came in its first capa__prefault_probe rows
 *  (8 in 32: a cold map, as in a fresh process); with fewer (a warm map), a list of a tenth
 *  of capa__scan_part_min rows or more whose ids are far apart has its later half read by a
 *  second part (split_at) when a processor is idle. Variables so that the tests can pick
 *  either on a small store; capa__prefault_started counts the helpers started,
 *  capa__prefault_split the lists cut. */
extern size_t capa__prefault_probe;
extern long capa__prefault_faults;
extern atomic_size_t capa__prefault_started, capa__prefault_split;
/** The cut only when a processor is idle (1; /proc/loadavg's running tasks): 0 in the tests. */
extern int capa__split_when_idle;

/** How many parts a scan is cut into by default: the processors online, 1 to 4. */
size_t capa__scan_parts(void);

/** capa_stats_period with its pass cut into `parts` (1 = one pass in id order): the tests
 *  compare the two. */
int capa_stats__period_parts(capa_monthly **out, capa_store *s, capa_period_kind kind,
                             const char *a, const char *b, int64_t at, size_t parts);

#endif
