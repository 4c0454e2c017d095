/*
 * import.h - `capa-bench --import ROWS` (import.c): capa import of a generated register CSV
 * against sqlite3's .import of the same file.
 */
#ifndef CAPA_BENCH_IMPORT_H
#define CAPA_BENCH_IMPORT_H

#include <stdint.h>

/** Run the import benchmark with scratch files under `base`; 0 when it ran. */
int bench_import(uint64_t rows, const char *base);

#endif
