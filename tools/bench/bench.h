/*
 * bench.h - the engine interface the benchmark drives, and the synthetic case model.
 *
 * Every engine (capa, SQLite, PostgreSQL) stores the same case: a small header record
 * (number, stage, customer, part, lot, defect code, severity, opened), the intake stage data
 * (~2 KB), and one hash-chained audit event per change, with indexes on stage, customer,
 * part, defect code and opened date. Case i of a run is generated deterministically from i,
 * so every engine sees the same data.
 */
#ifndef CAPA_BENCH_H
#define CAPA_BENCH_H

#include <stddef.h>
#include <stdint.h>

/* 2026-01-01T00:00:00Z in ms; cases are opened 30 s apart from here, so 1 M fit in 2026. */
#define BENCH_T0 1767225600000LL
#define BENCH_STEP_MS 30000LL
#define BENCH_CASES_PER_CUSTOMER 1000
#define BENCH_DEFECTS 40
#define BENCH_BLOB 1900

typedef struct bench_case {
    char customer[48];
    char part_no[24];
    char lot_no[32];
    char defect_code[24];
    char severity[16];
    char qty[16];
    int64_t opened; /* ms since epoch */
    char description[BENCH_BLOB + 1];
} bench_case;

typedef struct bench_cfg {
    uint64_t n;           /* cases in the bulk import */
    uint64_t batch;       /* cases per import transaction */
    uint64_t n_customers; /* customers the cases are spread over */
    const char *dir;      /* scratch directory for this engine's database */
    int quick;
} bench_cfg;

/* Fill `c` with the data of case i (0-based) of a run with n_customers customers. */
void bench_case_make(bench_case *c, uint64_t i, uint64_t n_customers);
/* The customer name of customer index k. */
void bench_customer_name(char *buf, size_t sz, uint64_t k);
/* The case number of the k-th case opened (1-based): "QC-2026-0001". */
void bench_number(char *buf, size_t sz, uint64_t k);
/* Hex SHA-256 of prev_hex || data into out (65 bytes). */
void bench_chain(char out[65], const char *prev_hex, const void *data, size_t len);
/* Serialise the intake values of c as "name=value\n..." (the stage data blob). */
size_t bench_case_blob(char *buf, size_t sz, const bench_case *c);

typedef struct bench_engine bench_engine;
/* One engine. Functions return 0 on success, -1 on failure (message via err). */
struct bench_engine {
    const char *name;
    /* Create a fresh database under cfg->dir. `err` gets a reason when it fails. */
    int (*open)(void **ctx, const bench_cfg *cfg, char *err, size_t errsz);
    void (*close)(void *ctx);
    /* Per-thread handle (a connection); may return ctx itself. */
    int (*thread_open)(void **tctx, void *ctx);
    void (*thread_close)(void *tctx);
    /* Open one case durably in its own transaction; returns once it is durable. */
    int (*intake)(void *tctx, const bench_case *c);
    /* Like intake, for many threads at once (capa: through group commit); NULL = intake. */
    int (*intake_concurrent)(void *tctx, const bench_case *c);
    /* Import cases [first, first+n) in one transaction. */
    int (*import)(void *ctx, uint64_t first, uint64_t n);
    /* Read case number k (1-based) with its stage data; returns 0 when found. */
    int (*lookup)(void *tctx, uint64_t k);
    /* Open cases of one customer: number of rows read, -1 on error. */
    long (*list_customer)(void *ctx, const char *customer);
    /* Cases opened in the date range spanned by cases k .. k+count-1 (1-based, import order):
     * number of rows read, -1 on error. */
    long (*list_dates)(void *ctx, uint64_t k, uint64_t count);
    /* Count every case by defect code reading every case (a full scan, no index); returns
     * the number of cases seen, -1 on error. */
    long (*scan_defects)(void *ctx, uint64_t counts[BENCH_DEFECTS]);
    /* The same counts, the fastest way the engine knows (its defect-code index). */
    long (*count_defects)(void *ctx, uint64_t counts[BENCH_DEFECTS]);
    /* The monthly quality report over the month holding every imported case (capa: its
     * own clock's month; peers: [BENCH_T0, BENCH_T0 + n steps)): opened, closed, open at
     * the end, breakdowns by severity, customer, part and defect code (Pareto order),
     * closed-case times and the 12-month trend. Fills the defect counts; returns the cases
     * opened in the month, -1 on error. NULL: not measured for this engine. */
    long (*report_monthly)(void *ctx, uint64_t n, uint64_t counts[BENCH_DEFECTS]);
    /* Bytes on disk of the database. */
    uint64_t (*disk_bytes)(void *ctx);
    /* Extra memory outside this process (a server), in KiB, or 0. */
    uint64_t (*server_kib)(void *ctx);
    /* Check the whole database against its audit trail (capa: capa_audit_verify, a replay
     * of every event compared with every record); *secs gets the time of the check alone.
     * Called in a forked child, so it must open the database anew and not touch the
     * handles in ctx (LMDB's rule after fork). NULL: the engine has no such check. */
    int (*verify)(void *ctx, double *secs);
    /* A signed output (capa only; NULL for the peers): `what` 0 the dossier of case 1,
     * 1 the monthly report PDF of the imported month; `proof` 1: made only from verified
     * data (the replay the CLI runs first), 0: rendering alone. *ms gets its time. */
    int (*signed_output)(void *ctx, int what, int proof, double *ms);
    /* A second handle on the database ctx holds, opened afresh as a new process opens it
     * (capa: a read-only store; SQLite: a connection with its statements prepared; NULL:
     * not measured): the lists in a fresh process ("cold": no page mapped or cached in
     * the process yet). Called in a forked child; the handle takes the list calls. */
    int (*reopen)(void **fresh, void *ctx);
    void (*reclose)(void *fresh);
    /* Untimed, after the import of n cases and before the reads; NULL: nothing to do.
     * capa: learn when each case was opened (its own clock stamped them), so the date-range
     * list's bounds cost no read, as the peers compute theirs from i. */
    int (*prepare_reads)(void *ctx, uint64_t n);
};

extern const bench_engine bench_sqlite;
extern const bench_engine bench_pg;
extern const bench_engine bench_capa;

/* Defect code index of a code string ("D07" -> 7), or -1. */
int bench_defect_index(const char *code);
/* Total size of the regular files under dir. */
uint64_t bench_du(const char *dir);

#endif
