/*
 * capa_report.h - the public API of capa's reports: signed PDF dossiers of cases.
 *
 * A dossier is one PDF an auditor can read and trust without capa: cover, every stage with
 * bilingual labels from the form version the data was filled in with, signature
 * manifestations (21 CFR 11.50), the case's audit trail, and a PDF digital signature
 * (adbe.pkcs7.detached, an incremental update) made with the organisation's key.
 *
 * Conventions are core's (capa.h): CAPA_OK or a negative CAPA_E* code, and the message with
 * context in capa_error_last() (set through capa_error_set). Nothing here prints, reads
 * configuration files or exits.
 */
#ifndef CAPA_REPORT_H
#define CAPA_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "capa.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The font the build prepared (Zen Hei face 0 cut down to GB2312 + ASCII + what our
 *  labels use, or the whole .ttc when pyftsubset was missing). Static string. */
const char *capa_report_default_font(void);

/** Options for capa_report_dossier; zero-initialise and set what you need. */
typedef struct capa_dossier_opts {
    /** TrueType font (.ttf or face 0 of a .ttc); NULL = capa_report_default_font(). */
    const char *font_path;
    /** PEM private key and certificate (followed by its chain, if any) to sign with.
     *  Both NULL = leave the PDF unsigned. See capa_report_keys_create. */
    const char *key_path;
    const char *cert_path;
    /** Render time, ms since the epoch UTC (footers, PDF dates, signing time); 0 = now.
     *  With the same value and store contents the PDF is byte-identical up to the
     *  CMS signature. */
    int64_t now_ms;
    /** Local time printed next to UTC: with `fixed_utc_offset` set, `utc_offset_min`
     *  minutes east of UTC; otherwise the process's time zone (TZ). */
    int fixed_utc_offset;
    int32_t utc_offset_min;
    /** Where the signature says it was made (e.g. the plant), or NULL. */
    const char *location;
    /** The caller checked the case with capa_case_prove (or capa_verify_report_concerns_output
     *  of a whole-store replay) just now: do not replay again (dossier --all verifies once). */
    int verified;
    /** The certificate the case proof's checkpoint is checked against (docs/case-proof.md);
     *  NULL: cert_path. Without one the whole store is replayed. */
    const char *proof_cert_path;
    /** Filled with how the case was proven (the case proof, or the whole replay and why);
     *  may be NULL. */
    capa_case_proof *proof;
} capa_dossier_opts;

/**
 * Render the dossier of case `number` and write it, signed, to `out_path`.
 *
 * A dossier is made only from verified data: the case is checked against the case proof
 * of the last checkpoint (capa_case_proof_check, docs/case-proof.md), or when that does not
 * hold the store is replayed from its audit trail (capa_case_prove) and the dossier refused, naming the first mismatch, when any
 * record the case's rendering relies on (its own, users, definitions, meta values, the
 * records its recurrence answer reads) differs from what the trail says (CAPA_ECORRUPT).
 * The cover prints the anchor whole on a line of its own and as a QR code of the same text.
 * The audit appendix is read from the chain itself.
 * The file is written under a temporary name in the target directory, signed, fsync'd and
 * renamed, so `out_path` either holds a complete signed dossier or is left untouched.
 * @param s        an open store (read only is enough)
 * @param number   the case, e.g. "QC-2026-0001"
 * @param out_path the PDF to write (replaced if it exists)
 * @param opts     options, or NULL for defaults (unsigned, default font, now)
 * @return CAPA_OK; CAPA_ENOTFOUND (no such case, or the font/key/cert file is missing: the
 *         message names it); CAPA_EINVALID (a file is not a usable font, key or
 *         certificate, or key and certificate do not match); CAPA_ENOMEM; CAPA_ERROR
 *         (I/O, e.g. an unwritable directory; libharu failure).
 */
int capa_report_dossier(capa_store *s, const char *number, const char *out_path,
                        const capa_dossier_opts *opts);

/** Round as every rendering of a report does: `digits` 4 (fractions) or 2 (the rest). */
double capa_report_round(double v, int digits);

/** One figure of the monthly report as a row: what the CSV and xlsx carry. */
typedef struct capa_report_row {
    const char *section; /**< "opened", "by_severity", "on_time_rate", "trend_opened", ... */
    const char *key;     /**< the value counted, limit kind, month, ...; "" for none */
    const char *value;   /**< the figure as printed ("" when there is none, e.g. a rate of
                              nothing due) */
    const char *percent; /**< cumulative percent (by_defect) or "" */
    double number;       /**< the figure as a number, when is_number */
    int is_number;
    int64_t time_ms;     /**< the figure is a moment (as_of), ms since the epoch UTC, when
                              is_time; `value` is it in the plant's zone */
    int is_time;
} capa_report_row;

/** Every figure of `m` as rows in a fixed order (documented in docs/cli.md), times in the
 *  plant's zone. Borrowed strings, valid for the callback only; a non-zero return stops
 *  (and is returned). */
int capa_report_monthly_rows(const capa_monthly *m, const capa_plant *p,
                             int (*cb)(const capa_report_row *r, void *payload), void *payload);

/** The plants of a group report (capa report monthly --group): each plant's figures, by the
 *  plant report's rules in its own zone, beside the group's. Borrowed. */
typedef struct capa_report_plants {
    size_t n;
    const capa_monthly *const *m; /**< each plant's figures */
    const capa_plant *const *zone; /**< each plant's time zone (its times in its rows) */
    const char *const *name;       /**< each plant's column heading (its organisation) */
} capa_report_plants;

/**
 * The group's rows (capa_report_monthly_rows of `t` in zone `p`) with, for each, the same
 * row of every plant: `per_plant[i]` is plant i's row of that section and key, or NULL when
 * the plant has none (a count it did not see). One walk for every rendering of the group
 * report's per-plant columns (CSV, xlsx, PDF). A non-zero return of `cb` stops (and is
 * returned); -1 when out of memory.
 */
int capa_report_group_rows(const capa_monthly *t, const capa_plant *p, const capa_report_plants *g,
                           int (*cb)(const capa_report_row *total,
                                     const capa_report_row *const *per_plant, void *payload),
                           void *payload);

/** Options for the monthly report's PDF; zero-initialise and set what you need. */
typedef struct capa_monthly_opts {
    const char *font_path; /**< NULL = capa_report_default_font() */
    const char *key_path;  /**< PEM key and certificate to sign with; both NULL = unsigned */
    const char *cert_path;
    int64_t now_ms;        /**< render time (footer, PDF dates, signing time); 0 = now */
    const char *location;  /**< where the signature says it was made, or NULL */
    /** A group report's plants: adds the per-plant columns (a table of the headline figures
     *  and breakdowns, the group's total then one column per plant). NULL for a plant. */
    const capa_report_plants *plants;
} capa_monthly_opts;

/**
 * Render the monthly quality report (客户投诉月统计表) of `m` (capa_stats_monthly) as a
 * signed PDF: the summary, on-time rates, every breakdown, a Pareto chart of defect codes,
 * the 12-month trend of opened vs closed, the overdue list, satisfaction and recurrences,
 * bilingual, with the dossier's fonts and layout. Written atomically to `out_path`.
 * Every figure is printed as the JSON and CSV renderings print it (2 decimals for hours,
 * days and percents, 4 for fractions).
 * @return as capa_report_dossier.
 */
/**
 * The figures of a report made only from verified data: the whole store is replayed first
 * (capa_store_prove; its error, naming the first mismatch, when it does not match), then
 * capa_stats_period(kind, a, b, at). What `capa report` and capa serve's report downloads
 * render, every format. @return CAPA_OK or the first error.
 */
int capa_report_period(capa_monthly **out, capa_store *s, capa_period_kind kind, const char *a,
                       const char *b, int64_t at);
/** The report as JSON (`capa report --format json`): a new jansson object, NULL when out of
 *  memory. Free with json_decref. (A json_t of jansson: include <jansson.h> to use it.) */
struct json_t *capa_report_monthly_json(const capa_monthly *m, const capa_plant *p);
/** The report as CSV (`--format csv`): a header and capa_report_monthly_rows, RFC 4180. */
void capa_report_monthly_csv(FILE *f, const capa_monthly *m, const capa_plant *p);
/** One CSV field, RFC 4180 quoting; a leading = + - @ defused with ' (never a formula). */
void capa_report_csv_field(FILE *f, const char *s);
/** Start a CSV file for Excel: the UTF-8 byte-order mark (without it Excel reads UTF-8 as the
 *  ANSI code page and Chinese turns to mojibake). Every CSV capa writes starts with it. */
void capa_report_csv_bom(FILE *f);

int capa_report_monthly_pdf(capa_store *s, const capa_monthly *m, const char *out_path,
                            const capa_monthly_opts *opts);
/**
 * The same report as an Excel workbook (libxlsxwriter): a sheet "汇总 Summary" with every
 * figure, one row per figure (section, key, value, percent: the CSV's rows), numbers as
 * numbers, `as_of` a date cell (the plant's wall-clock time, format yyyy-mm-dd hh:mm:ss) and
 * the cumulative percent a percent cell (0.25 shown as 25.00%). Written atomically to `out_path`. @return CAPA_OK, CAPA_ENOMEM, CAPA_ERROR.
 */
int capa_report_monthly_xlsx(capa_store *s, const capa_monthly *m, const char *out_path);
/** The group's workbook: as capa_report_monthly_xlsx of the group's figures `t`, with one
 *  more column per plant of `g` (its figure of the same row, a count it did not see 0). */
int capa_report_group_xlsx(capa_store *s, const capa_monthly *t, const capa_report_plants *g,
                           const char *out_path);

/**
 * Create a demo signing identity: a new RSA-2048 key and a self-signed certificate with
 * CN = O = `org` (UTF-8), valid 10 years from `now_ms` (0 = now), written to
 * `<keys_dir>/org.key` (mode 0600) and `<keys_dir>/org.crt`. `keys_dir` is created (0700)
 * if missing.
 * @return CAPA_OK, CAPA_EEXISTS (a key is already there; nothing changed), CAPA_EINVALID,
 *         CAPA_ERROR.
 */
int capa_report_keys_create(const char *keys_dir, const char *org, int64_t now_ms);

/**
 * Install a real signing identity into `keys_dir`: the PEM key `key_file`, the PEM
 * certificate `cert_file` and optionally a PEM chain `chain_file` (NULL = none; extra
 * certificates after the first one in `cert_file` also count as chain). Checks that the
 * key matches the certificate, then replaces org.key (0600) and org.crt (certificate
 * followed by the chain) atomically.
 * @return CAPA_OK, CAPA_ENOTFOUND (a file is missing; named), CAPA_EINVALID (unreadable or
 *         mismatched), CAPA_ERROR.
 */
int capa_report_keys_install(const char *keys_dir, const char *key_file, const char *cert_file,
                             const char *chain_file);

/**
 * Check the signing identity in `keys_dir`: org.key is a PEM private key, org.crt starts
 * with a PEM certificate, and the two belong together (what a signed dossier needs).
 * @return CAPA_OK, CAPA_ENOTFOUND (a file is missing; named), CAPA_EINVALID (unreadable or
 *         mismatched; named), CAPA_ENOMEM.
 */
int capa_report_keys_check(const char *keys_dir);

/** What the organisation's certificate (`<keys_dir>/org.crt`, its first certificate) says,
 *  read with OpenSSL: for the administration page. */
typedef struct capa_cert_info {
    char subject[512]; /**< RFC 2253, UTF-8 ("CN=...,O=...") */
    char issuer[512];
    int64_t not_before, not_after; /**< ms since the epoch, UTC */
    int self_signed;               /**< a demo identity of `capa init`, or another one */
    int chain;                     /**< certificates after it in the file */
} capa_cert_info;
/** @return CAPA_OK, CAPA_ENOTFOUND (no org.crt), CAPA_EINVALID (no PEM certificate),
 *  CAPA_ENOMEM. */
int capa_report_cert_info(capa_cert_info *out, const char *keys_dir);

/**
 * Copy the signing identity (org.key and org.crt) from `src_dir` to `dst_dir`, byte for
 * byte, for backups and restores. `dst_dir` is created (0700) if missing; each file is
 * written under a temporary name with mode 0600, fsync'd and renamed over any file of that
 * name, then the directory is fsync'd. Nothing is checked about the contents: see
 * capa_report_keys_check.
 * @return CAPA_OK; CAPA_ENOTFOUND (`src_dir` holds neither file: nothing written);
 *         CAPA_EINVALID (only one of the two is there, or one is not a regular file);
 *         CAPA_EFULL (no space); CAPA_ENOMEM; CAPA_ERROR (other I/O; the message names the
 *         file). On failure a file already copied may be in place, never a partial one.
 */
int capa_report_keys_copy(const char *dst_dir, const char *src_dir);

/* ---- capa validate: the operational qualification report (issue 19) ---- */

/** One check of `capa validate`: what it proves, for which clauses, and what it saw. */
typedef struct capa_validation_check {
    const char *id;       /**< "walk", "tamper", ... (docs/compliance.md's column) */
    const char *title;    /**< what the check does, one sentence */
    const char *clauses;  /**< the clauses it re-runs: "Part 11 11.10(f); ISO 10002 8.9" */
    int passed;           /**< 1 passed, 0 failed */
    const char *evidence; /**< what was done and seen, one step a line */
} capa_validation_check;

/** A whole run: the environment it ran in and every check's result. */
typedef struct capa_validation {
    const capa_kv *env; /**< label / value: version, binary digest, libraries, OS, ... */
    size_t n_env;
    const capa_validation_check *checks;
    size_t n_checks;
    int64_t started, finished; /**< ms since the epoch, UTC */
} capa_validation;

/**
 * Render the operational qualification report of `v` as a PDF, signed when `opts` names a
 * key and certificate (capa_monthly_opts: font, key, certificate, time, location), with the
 * dossier's fonts and layout: a summary (how many checks passed, the verdict), the
 * environment, each check with its clauses, evidence and result. Written atomically.
 * @return as capa_report_monthly_pdf.
 */
int capa_report_validation_pdf(const capa_validation *v, const char *out_path,
                               const capa_monthly_opts *opts);

/**
 * Check the last PDF signature of the file at `pdf_path` as an auditor's reader does: its
 * /ByteRange must cover the whole file but the signature itself, and the CMS (detached)
 * must verify over those bytes against the certificate in `cert_path` (PEM; the signer's or
 * its issuer's). @return CAPA_OK; CAPA_ECORRUPT (no signature, ranges not covering the file,
 * or the signature does not verify: the message says which); CAPA_ENOTFOUND, CAPA_EINVALID
 * (unreadable certificate), CAPA_ENOMEM, CAPA_ERROR.
 */
int capa_report_pdf_verify(const char *pdf_path, const char *cert_path);

#ifdef __cplusplus
}
#endif
#endif
