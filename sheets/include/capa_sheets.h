/*
 * capa_sheets.h - legacy sheets into capa: CSV (as Excel writes it: UTF-8 with or without a
 * BOM, or GB18030/GBK; "," ";" or tab; quoted fields with commas, quotes and line breaks)
 * and xlsx workbooks, read row by row through a mapping (capa_mapping.h) and imported as
 * cases (capa_import_*, core/import.c).
 *
 * The readers stream: memory does not grow with the number of rows. The import reads the
 * file twice - once to check every row, once to commit them in large group-commit batches -
 * so a file with a bad row changes nothing unless the bad rows are set aside.
 */
#ifndef CAPA_SHEETS_H
#define CAPA_SHEETS_H

#include <stddef.h>
#include <stdint.h>

#include "capa.h"
#include "capa_mapping.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A row of a sheet: UTF-8 cells (NUL-terminated; the arrays are borrowed for the call).
 *  `row` is the spreadsheet's row number (the header is row 1). Return non-zero to stop;
 *  that value is returned by the reader. */
typedef int (*capa_sheet_row_fn)(const char *const *cells, size_t n, uint64_t row,
                                 void *payload);

/** What a reader found out about a file. */
typedef struct capa_sheet_info {
    char sha256[65];      /**< hex SHA-256 of the file's bytes */
    uint64_t bytes;       /**< its size */
    char encoding[16];    /**< CSV: "utf-8" or "gb18030" */
    int bom;              /**< CSV: it began with a UTF-8 BOM */
    char delim;           /**< CSV: ',' ';' or '\t' */
} capa_sheet_info;

/** At most this many bytes in one cell, and columns in one row. */
#define CAPA_SHEET_MAX_CELL ((size_t)1 << 20)
#define CAPA_SHEET_MAX_COLUMNS 1000

/**
 * Look at a CSV file once: its SHA-256, its encoding when `encoding` is NULL (a UTF-8 BOM or
 * valid UTF-8 throughout: "utf-8", else "gb18030"), and its delimiter (the most frequent of
 * , ; and tab in the first line outside quotes). @return CAPA_OK, CAPA_ENOTFOUND, CAPA_ERROR
 * (message names the file), CAPA_EINVALID (an unknown encoding).
 */
int capa_csv_probe(capa_sheet_info *out, const char *path, const char *encoding);
/**
 * Read a CSV file row by row with what capa_csv_probe found (info's encoding and delimiter),
 * converting to UTF-8 (iconv) and hashing as it reads; *sha256 gets the hash of what was
 * read. @return CAPA_OK, the callback's non-zero value, or CAPA_EINVALID/CAPA_ERROR with a
 * message naming the row (bytes not in the encoding, a quote never closed, a cell over
 * CAPA_SHEET_MAX_CELL, more than CAPA_SHEET_MAX_COLUMNS columns).
 */
int capa_csv_read(const char *path, const capa_sheet_info *info, capa_sheet_row_fn cb,
                  void *payload, char sha256[65]);
/** The same over a buffer already in memory (fuzzing, tests): no hashing. */
int capa_csv_read_mem(const char *data, size_t len, const capa_sheet_info *info,
                      capa_sheet_row_fn cb, void *payload);

/** The SHA-256 and size of a file (info's other fields untouched). */
int capa_sheet_hash(capa_sheet_info *info, const char *path);

/**
 * Read one sheet of an xlsx workbook (`sheet` by name, NULL: the first) row by row: shared
 * strings, inline strings, numbers as written (a date is its serial number), booleans as
 * TRUE/FALSE. Refuses DTDs and entities in the workbook's XML, and parts that inflate beyond
 * a limit. *info gets the SHA-256. @return as capa_csv_read, CAPA_ENOTFOUND (no such sheet).
 */
int capa_xlsx_read(const char *path, const char *sheet, capa_sheet_row_fn cb, void *payload,
                   capa_sheet_info *info);

/** One problem of one row: which column, which value, which rule. */
typedef struct capa_sheet_problem {
    uint64_t row;
    const char *column; /**< header text, or "" for the row as a whole */
    const char *value;  /**< the cell as read, or "" */
    const char *rule;   /**< what is wrong */
    /** The same as data, for the tools to word in the user's language (tools/lang): the
     *  rule's id ("field.integer", "sheet.status", ...), NULL when there is none, and its
     *  parameters; borrowed for the call. */
    const char *rule_id;
    size_t n_params;
    const capa_refusal_param *params;
} capa_sheet_problem;

typedef struct capa_sheet_import_opts {
    const char *path;
    int xlsx;             /**< 1: an xlsx workbook, 0: CSV */
    const char *encoding; /**< CSV: "utf-8", "gb18030" or NULL (detect) */
    const char *sheet;    /**< xlsx: sheet name or NULL (the first) */
    const capa_mapping *map;
    int dry_run;              /**< check every row, write nothing */
    const char *rejects_path; /**< set bad rows aside into this CSV (UTF-8 with BOM) and import
                                   the good ones; NULL: any bad row stops the import */
    size_t batch;             /**< rows per group commit; 0 = 10000 */
    /** Finish an interrupted import of this same file (same SHA-256): the rows its earlier
     *  runs accounted for (capa_import_source.through) are skipped, the rest imported as
     *  the next run. Without it a file that cases came from is refused. */
    int resume;
    /** Every problem found, as found (pass 1: checks; pass 2: a commit that failed). */
    void (*problem)(const capa_sheet_problem *p, void *payload);
    /** Progress every 1000 rows: pass 1 or 2, rows done, rows in all (0 in pass 1: not known). */
    void (*progress)(int pass, uint64_t done, uint64_t total, void *payload);
    /** Sheet columns no mapping column reads ("column 3 (备注)"), once. */
    void (*ignored)(const char *what, void *payload);
    void *payload;
    /** When not NULL: each row the check pass (pass 1) found good, in row order, with the
     *  sheet's case number (NULL: the next number), its values as the import request carries
     *  them ("field" or "stage:field") and its recorded dates - what a preview shows of the
     *  case the row becomes. Borrowed for the call. */
    void (*planned)(uint64_t row, const char *number, const capa_kv *values, size_t n,
                    const capa_import_facts *facts, void *payload);
} capa_sheet_import_opts;

typedef struct capa_sheet_import_result {
    capa_sheet_info info;
    uint64_t rows;     /**< data rows read (header not counted) */
    uint64_t bad;      /**< rows with a problem */
    uint64_t imported; /**< cases written */
    uint64_t closed;   /**< of which closed */
    char first[64], last[64]; /**< first and last case number written */
    /* resume (opts.resume) */
    uint64_t run;       /**< the run these rows were imported as (1: the first) */
    uint64_t before;    /**< cases that earlier runs imported from the file */
    uint64_t after_row; /**< rows up to this one were done by earlier runs (0: none) */
    uint64_t last_row;  /**< the file's last data row (known when it was imported before) */
    int complete;       /**< resume found the file imported in full: nothing was written */
} capa_sheet_import_result;

/**
 * Import a sheet as cases (see the file comment). All or nothing unless rejects_path is
 * given: when a row is bad, every problem is reported and nothing is written
 * (CAPA_EINVALID). A commit failing in pass 2 (the store changed meanwhile, disk full) is
 * reported and stops the import there; the rows before it stay imported, batch by batch,
 * and opts.resume imports the rest (rows and counts in the result are this run's).
 * A file cases came from before is refused (CAPA_EEXISTS, saying how far it got) unless
 * resumed; resuming a file no import began is refused (CAPA_ESTATE).
 * @return CAPA_OK, CAPA_EINVALID, or the error of the store or file.
 */
int capa_sheet_import(capa_sheet_import_result *out, capa_store *s, const capa_actor *who,
                      const capa_sheet_import_opts *opts);

#ifdef __cplusplus
}
#endif

#endif
