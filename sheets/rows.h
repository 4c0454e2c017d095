/*
 * rows.h - one row of a sheet through a mapping (rows.c), shared by the import (import.c) and
 * the fuzz harness of the CSV row -> fields path.
 */
#ifndef CAPA_SHEETS_ROWS_H
#define CAPA_SHEETS_ROWS_H

#include "capa_sheets.h"

/** One converted row: values ("field" or "stage:field") and the strings they point to. */
typedef struct capa_sheet_row {
    uint64_t row;
    capa_kv *kv;
    size_t n;
    char *number;
    capa_import_facts facts;
    char *arena; /* the names and values kv points at, one block per row (rows.c) */
    char **cells; /* as read, for the rejects file (keep_cells) */
    size_t n_cells;
    /* set by the import: problems found while converting, reported in row order later */
    capa_sheet_problem *probs;
    size_t n_probs;
    char *reason; /* the first, as "COLUMN: RULE" */
} capa_sheet_row;

/** What converting needs: the mapping bound to the header, the forms, the plant's zone. */
typedef struct capa_rowmap {
    const capa_mapping *map;
    const capa_map_binding *b;
    const capa_workflow *wf;
    const capa_formdef *forms[64]; /* per stage index */
    const capa_tz *tz;
    const char *source; /* file name and hash the facts point at */
    const char *sha256;
    void (*problem)(const capa_sheet_problem *p, void *payload);
    void *payload;
    /* Check each cell against its field's rules while converting (else capa_sheet__explain
     * does it for the rows the engine refused: the import's fast path). */
    int check_cells;
} capa_rowmap;

/**
 * Convert the cells of a data row into *r. Every problem goes to m->problem; *nbad counts
 * them and reason[rsz] holds the first as "COLUMN: RULE". @return CAPA_OK or CAPA_ENOMEM.
 */
int capa_sheet__convert(const capa_rowmap *m, const char *const *cells, size_t n, uint64_t rowno,
                        capa_sheet_row *r, int keep_cells, int *nbad, char *reason, size_t rsz);
void capa_sheet__row_clear(capa_sheet_row *r);
/**
 * Check each value of a converted row against its field's rules and report every one that
 * breaks one, by column (as capa_sheet__convert with check_cells would have). @return how
 * many; reason[rsz] gets the first as "COLUMN: RULE" when there is one.
 */
int capa_sheet__explain(const capa_rowmap *m, const capa_sheet_row *r, char *reason, size_t rsz);

#endif
