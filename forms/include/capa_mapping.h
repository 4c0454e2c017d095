/*
 * capa_mapping.h - mappings from the columns of a legacy sheet (客户投诉登记表 in CSV or
 * xlsx) to the fields and the parts of a case, and the date and value rules they carry.
 *
 * A mapping is an XML definition (schemas/mapping.xsd), read as safely as a form definition:
 * no DTD, no entities, no network, size-limited, schema-validated, every problem reported as
 * "name:line: reason". Nothing here knows of storage or of the file formats: the readers
 * (sheets/) hand rows of UTF-8 text, this says what each cell means.
 */
#ifndef CAPA_MAPPING_H
#define CAPA_MAPPING_H

#include <stddef.h>
#include <stdint.h>

#include "capa_form.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What a column is for besides (or instead of) a form field. */
typedef enum capa_map_part {
    CAPA_MAP_FIELD = 0, /**< only a form field */
    CAPA_MAP_NUMBER,    /**< the case number (案号) */
    CAPA_MAP_OPENED,    /**< when the case was opened, as recorded */
    CAPA_MAP_CLOSED,    /**< when it was closed, as recorded */
    CAPA_MAP_STATUS,    /**< open or closed (处理中 / 已结案), through its <map> */
} capa_map_part;

typedef struct capa_map_value {
    char *from;
    char *to;
} capa_map_value;

typedef struct capa_map_column {
    char *header;
    char **aliases;
    size_t n_aliases;
    capa_map_part part;
    char *stage; /**< the stage whose form has `field` (NULL: the first stage) */
    char *field; /**< form field id, or NULL */
    int required;
    char **dates; /**< this column's date formats, or NULL: the mapping's */
    size_t n_dates;
    capa_map_value *values;
    size_t n_values;
    long line;
} capa_map_column;

typedef struct capa_mapping {
    char *id;
    char *label_zh, *label_en;
    char **dates; /**< date formats tried in order */
    size_t n_dates;
    capa_map_column *columns;
    size_t n_columns;
    char *name; /**< where it came from (file or shipped name), for messages */
} capa_mapping;

/**
 * Parse and check a mapping (schema, then: headers and aliases unique, at most one column per
 * case part, a column fills a field or a part, a status column maps to "open"/"closed" only,
 * date formats valid) from memory. Every problem goes into diag as "name:line: reason".
 * @return CAPA_OK, CAPA_EINVALID, CAPA_ENOMEM, CAPA_ERROR.
 */
int capa_mapping_parse(capa_mapping **out, const char *xml, size_t len, const char *name,
                       capa_diag *diag);
/**
 * A mapping by file path or, when `what` contains no '/' and does not end in ".xml", by the
 * name of a shipped one ("register"). @return as capa_mapping_parse, CAPA_ENOTFOUND.
 */
int capa_mapping_load(capa_mapping **out, const char *what, capa_diag *diag);
void capa_mapping_free(capa_mapping *m);

/**
 * Check the fields a mapping fills against the workflow's forms: every stage exists, every
 * field is a top-level field of that stage's form, a field is filled by one column only, and
 * every field the first stage requires at creation is filled (or the rows could never open).
 * `form_of(stage_index)` returns the form of that stage. Problems go into diag.
 * @return CAPA_OK or CAPA_EINVALID.
 */
int capa_mapping_check(const capa_mapping *m, const capa_workflow *wf,
                       const capa_formdef *(*form_of)(int stage, void *payload), void *payload,
                       capa_diag *diag);

/** Which mapping column reads each column of a sheet (see capa_mapping_bind). */
typedef struct capa_map_binding {
    const capa_mapping *m;
    int *of_col;    /**< per sheet column: mapping column index, or -1 (not mapped) */
    size_t n_cols;  /**< sheet columns */
    int *col_of;    /**< per mapping column: sheet column index, or -1 (absent) */
    char **headers; /**< the sheet's header texts as read (trimmed) */
} capa_map_binding;

/**
 * Bind a sheet's header row to a mapping: header texts are compared after trimming white
 * space (and a UTF-8 BOM) with each column's header and aliases. A required column that is
 * absent, or two sheet columns that read the same mapping column, is an error in diag (one
 * message each, naming the header); unmapped sheet columns are listed in `ignored` (may be
 * NULL) as "column N (TEXT)". @return CAPA_OK, CAPA_EINVALID, CAPA_ENOMEM.
 */
int capa_mapping_bind(capa_map_binding *out, const capa_mapping *m, const char *const *headers,
                      size_t n, capa_diag *diag, capa_diag *ignored);
void capa_map_binding_clear(capa_map_binding *b);

/** A date and time as a sheet records it (no zone: the plant's wall clock). */
typedef struct capa_sheet_date {
    int year, month, day, hour, minute, second;
    int has_time;
} capa_sheet_date;

/**
 * Read `text` with one date format (see schemas/mapping.xsd); "serial" reads Excel's day
 * numbers (the 1900 date system, 61 = 1900-03-01; a fraction is the time of day).
 * @return 1 when text matches the format and is a real date (and time), else 0.
 */
int capa_sheet_date_parse(capa_sheet_date *out, const char *text, const char *format);
/** 1 when `format` is a valid date format, else 0 with the reason in why[sz]. */
int capa_sheet_date_format_check(const char *format, char *why, size_t sz);
/**
 * Read a cell of column c with its formats (else the mapping's), first match wins.
 * @return 1, or 0 with "is not a date in any of the formats F1, F2, ..." in why[sz].
 */
int capa_mapping_date(capa_sheet_date *out, const capa_mapping *m, const capa_map_column *c,
                      const char *text, char *why, size_t sz);
/** The <map> translation of a cell (compared after trimming), or `text` itself. Borrowed. */
const char *capa_mapping_value(const capa_map_column *c, const char *text);

/** The shipped mappings, compiled in (forms/mappings, one .xml each). NULL-terminated by name. */
const capa_embedded_file *capa_mapping_embedded(void);

#ifdef __cplusplus
}
#endif

#endif
