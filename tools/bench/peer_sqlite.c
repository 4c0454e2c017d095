/*
 * peer_sqlite.c - the case model in SQLite 3: WAL, synchronous=FULL (durable commits), one
 * connection per thread. Numbering and the audit chain head live in a one-row meta table
 * read and updated inside each write transaction, as a real SQLite-backed CAPA tool would.
 */
#include "bench.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sq {
    char path[4096];
    sqlite3 *db;
    sqlite3_stmt *st_meta, *st_meta_upd, *st_case, *st_data, *st_audit, *st_lookup;
    sqlite3_stmt *st_cust, *st_dates, *st_scan, *st_count;
    sqlite3_stmt *st_rep[8]; /* the monthly report's queries, in report_sql's order */
    struct sq *owner;        /* the engine context for thread handles, NULL for the engine */
    uint64_t ncust;
} sq;

static const char *schema =
    "CREATE TABLE meta(k INTEGER PRIMARY KEY, counter INTEGER NOT NULL, head TEXT NOT NULL);"
    "INSERT INTO meta VALUES(1, 0, '');"
    "CREATE TABLE cases(id INTEGER PRIMARY KEY, number TEXT NOT NULL UNIQUE, stage TEXT NOT NULL,"
    " closed INTEGER NOT NULL, customer TEXT, part_no TEXT, lot_no TEXT, defect_code TEXT,"
    " severity TEXT, opened INTEGER NOT NULL, closed_at INTEGER);"
    "CREATE INDEX cases_stage ON cases(stage);"
    "CREATE INDEX cases_customer ON cases(customer);"
    "CREATE INDEX cases_part ON cases(part_no);"
    "CREATE INDEX cases_defect ON cases(defect_code);"
    "CREATE INDEX cases_opened ON cases(opened);"
    "CREATE TABLE stage_data(case_id INTEGER NOT NULL, stage TEXT NOT NULL,"
    " form_version INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY(case_id, stage))"
    " WITHOUT ROWID;"
    "CREATE TABLE audit(seq INTEGER PRIMARY KEY, case_id INTEGER, time INTEGER NOT NULL,"
    " actor TEXT NOT NULL, action TEXT NOT NULL, changes TEXT, hash TEXT NOT NULL);"
    "CREATE INDEX audit_case ON audit(case_id);";

static int prep(sqlite3 *db, sqlite3_stmt **st, const char *sql)
{
    return sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) == SQLITE_OK ? 0
                                                                                             : -1;
}

static int conn_open(sq *q, const char *path)
{
    int rc = -1;
    if (sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL))
        goto done;
    sqlite3_busy_timeout(q->db, 60000);
    if (sqlite3_exec(q->db,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                     "PRAGMA cache_size=-65536;",
                     NULL, NULL, NULL))
        goto done;
    rc = 0;
done:
    return rc;
}

/* The monthly report in SQL over the same model: ?1/?2 the month [start, end). What a
 * SQLite-backed tool would run for the figures capa_stats_monthly computes. */
static const char *const report_sql[8] = {
    "SELECT count(*) FROM cases WHERE opened>=?1 AND opened<?2",
    "SELECT count(*) FROM cases WHERE closed=1 AND closed_at>=?1 AND closed_at<?2",
    "SELECT count(*) FROM cases WHERE opened<?2 AND (closed=0 OR closed_at>=?2)",
    "SELECT severity, count(*) FROM cases WHERE opened>=?1 AND opened<?2 GROUP BY severity",
    "SELECT customer, count(*) FROM cases WHERE opened>=?1 AND opened<?2 GROUP BY customer",
    "SELECT part_no, count(*) FROM cases WHERE opened>=?1 AND opened<?2 GROUP BY part_no",
    "SELECT defect_code, count(*) AS n FROM cases WHERE opened>=?1 AND opened<?2"
    " GROUP BY defect_code ORDER BY n DESC, defect_code",
    "SELECT strftime('%Y-%m', opened / 1000, 'unixepoch') AS m, count(*),"
    " sum(closed_at - opened) FROM cases WHERE opened>=?1 - 335 * 86400000 AND opened<?2"
    " GROUP BY m ORDER BY m",
};

static int conn_prepare(sq *q)
{
    for (int i = 0; i < 8; i++)
        if (prep(q->db, &q->st_rep[i], report_sql[i]))
            return -1;
    if (prep(q->db, &q->st_meta, "SELECT counter, head FROM meta WHERE k=1") ||
        prep(q->db, &q->st_meta_upd, "UPDATE meta SET counter=?1, head=?2 WHERE k=1") ||
        prep(q->db, &q->st_case,
             "INSERT INTO cases(id, number, stage, closed, customer, part_no, lot_no,"
             " defect_code, severity, opened) VALUES(?1,?2,'intake',0,?3,?4,?5,?6,?7,?8)") ||
        prep(q->db, &q->st_data, "INSERT INTO stage_data VALUES(?1,'intake',1,?2)") ||
        prep(q->db, &q->st_audit,
             "INSERT INTO audit(seq, case_id, time, actor, action, changes, hash)"
             " VALUES(NULL,?1,?2,'bench','open',?3,?4)") ||
        prep(q->db, &q->st_lookup,
             "SELECT c.number, c.stage, c.customer, c.part_no, c.defect_code, c.opened, d.data"
             " FROM cases c JOIN stage_data d ON d.case_id=c.id WHERE c.number=?1") ||
        prep(q->db, &q->st_cust,
             "SELECT number, stage, customer, part_no, lot_no, defect_code, severity, opened"
             " FROM cases WHERE customer=?1 AND closed=0 ORDER BY id") ||
        prep(q->db, &q->st_dates,
             "SELECT number, stage, customer, part_no, lot_no, defect_code, severity, opened"
             " FROM cases WHERE opened>=?1 AND opened<?2 ORDER BY id") ||
        prep(q->db, &q->st_scan,
             "SELECT defect_code, count(*) FROM cases NOT INDEXED GROUP BY defect_code") ||
        prep(q->db, &q->st_count, "SELECT defect_code, count(*) FROM cases GROUP BY defect_code"))
        return -1;
    return 0;
}

static void conn_close(sq *q)
{
    sqlite3_stmt *all[] = {q->st_meta,   q->st_meta_upd, q->st_case,  q->st_data, q->st_audit,
                           q->st_lookup, q->st_cust,     q->st_dates, q->st_scan, q->st_count};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        sqlite3_finalize(all[i]);
    for (int i = 0; i < 8; i++)
        sqlite3_finalize(q->st_rep[i]);
    sqlite3_close(q->db);
}

static int sq_open(void **out, const bench_cfg *cfg, char *err, size_t errsz)
{
    sq *q = calloc(1, sizeof *q);
    snprintf(q->path, sizeof q->path, "%s/cases.sqlite", cfg->dir);
    q->ncust = cfg->n_customers;
    if (conn_open(q, q->path) || sqlite3_exec(q->db, schema, NULL, NULL, NULL) || conn_prepare(q)) {
        snprintf(err, errsz, "sqlite: %s", sqlite3_errmsg(q->db));
        conn_close(q);
        free(q);
        return -1;
    }
    *out = q;
    return 0;
}

static void sq_close(void *ctx)
{
    sq *q = ctx;
    conn_close(q);
    free(q);
}

static int sq_thread_open(void **out, void *ctx)
{
    sq *e = ctx, *q = calloc(1, sizeof *q);
    q->owner = e;
    if (conn_open(q, e->path) || conn_prepare(q)) {
        conn_close(q);
        free(q);
        return -1;
    }
    *out = q;
    return 0;
}

static void sq_thread_close(void *tctx)
{
    sq_close(tctx);
}

/* Insert one case with its stage data and audit event; counter/head in and out. */
static int put_case(sq *q, const bench_case *c, int64_t *counter, char head[65])
{
    char blob[4096], number[32];
    size_t bl = bench_case_blob(blob, sizeof blob, c);
    int64_t id = ++*counter;
    bench_number(number, sizeof number, (uint64_t)id);
    sqlite3_stmt *s = q->st_case;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_text(s, 2, number, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, c->customer, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, c->part_no, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, c->lot_no, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, c->defect_code, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 7, c->severity, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 8, c->opened);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE)
        return -1;
    s = q->st_data;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_text(s, 2, blob, (int)bl, SQLITE_STATIC);
    rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE)
        return -1;
    bench_chain(head, head, blob, bl);
    s = q->st_audit;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, c->opened);
    sqlite3_bind_text(s, 3, blob, (int)bl, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, head, 64, SQLITE_STATIC);
    rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* Run n cases starting at case index first (or the one case c) in one write transaction. */
static int write_txn(sq *q, const bench_case *one, uint64_t first, uint64_t n)
{
    int rc = -1;
    int64_t counter = 0;
    char head[65] = "";
    if (sqlite3_exec(q->db, "BEGIN IMMEDIATE", NULL, NULL, NULL))
        return -1;
    if (sqlite3_step(q->st_meta) != SQLITE_ROW)
        goto done;
    counter = sqlite3_column_int64(q->st_meta, 0);
    snprintf(head, sizeof head, "%s", (const char *)sqlite3_column_text(q->st_meta, 1));
    sqlite3_reset(q->st_meta);
    if (one) {
        if (put_case(q, one, &counter, head))
            goto done;
    } else {
        static _Thread_local bench_case c;
        for (uint64_t i = first; i < first + n; i++) {
            bench_case_make(&c, i, q->ncust);
            if (put_case(q, &c, &counter, head))
                goto done;
        }
    }
    sqlite3_bind_int64(q->st_meta_upd, 1, counter);
    sqlite3_bind_text(q->st_meta_upd, 2, head, 64, SQLITE_STATIC);
    int r = sqlite3_step(q->st_meta_upd);
    sqlite3_reset(q->st_meta_upd);
    if (r != SQLITE_DONE)
        goto done;
    rc = sqlite3_exec(q->db, "COMMIT", NULL, NULL, NULL) ? -1 : 0;
done:
    sqlite3_reset(q->st_meta);
    if (rc)
        sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static int sq_intake(void *tctx, const bench_case *c)
{
    return write_txn(tctx, c, 0, 0);
}

static int sq_import(void *ctx, uint64_t first, uint64_t n)
{
    return write_txn(ctx, NULL, first, n);
}

static int sq_lookup(void *tctx, uint64_t k)
{
    sq *q = tctx;
    char number[32];
    bench_number(number, sizeof number, k);
    sqlite3_bind_text(q->st_lookup, 1, number, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(q->st_lookup);
    /* Touch the row like a caller would (copying the stage data out). */
    size_t len = rc == SQLITE_ROW ? (size_t)sqlite3_column_bytes(q->st_lookup, 6) : 0;
    sqlite3_reset(q->st_lookup);
    return rc == SQLITE_ROW && len > 0 ? 0 : -1;
}

static long run_list(sqlite3_stmt *s)
{
    long rows = 0;
    volatile size_t sink = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        sink += (size_t)sqlite3_column_bytes(s, 0) + (size_t)sqlite3_column_bytes(s, 2);
        rows++;
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? rows : -1;
}

static long sq_list_customer(void *ctx, const char *customer)
{
    sq *q = ctx;
    sqlite3_bind_text(q->st_cust, 1, customer, -1, SQLITE_TRANSIENT);
    return run_list(q->st_cust);
}

static long sq_list_dates(void *ctx, uint64_t k, uint64_t count)
{
    sq *q = ctx;
    int64_t from = BENCH_T0 + (int64_t)(k - 1) * BENCH_STEP_MS;
    int64_t to = from + (int64_t)count * BENCH_STEP_MS;
    sqlite3_bind_int64(q->st_dates, 1, from);
    sqlite3_bind_int64(q->st_dates, 2, to);
    return run_list(q->st_dates);
}

static long group_counts(sqlite3_stmt *st, uint64_t counts[BENCH_DEFECTS])
{
    long rows = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int d = bench_defect_index((const char *)sqlite3_column_text(st, 0));
        long n = (long)sqlite3_column_int64(st, 1);
        if (d >= 0)
            counts[d] += (uint64_t)n;
        rows += n;
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? rows : -1;
}

/* Every row of the table (NOT INDEXED keeps SQLite from answering from the index). */
static long sq_scan(void *ctx, uint64_t counts[BENCH_DEFECTS])
{
    return group_counts(((sq *)ctx)->st_scan, counts);
}

/* The query a user would write; SQLite answers it from the defect-code index. */
static long sq_count(void *ctx, uint64_t counts[BENCH_DEFECTS])
{
    return group_counts(((sq *)ctx)->st_count, counts);
}

static long sq_report(void *ctx, uint64_t n, uint64_t counts[BENCH_DEFECTS])
{
    sq *q = ctx;
    int64_t from = BENCH_T0, to = BENCH_T0 + (int64_t)n * BENCH_STEP_MS;
    long opened = -1;
    for (int i = 0; i < 8; i++) {
        sqlite3_stmt *st = q->st_rep[i];
        int rc;
        sqlite3_bind_int64(st, 1, from);
        sqlite3_bind_int64(st, 2, to);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            volatile const unsigned char *sink = sqlite3_column_text(st, 0);
            (void)sink;
            if (i == 0)
                opened = (long)sqlite3_column_int64(st, 0);
            if (i == 6) {
                int d = bench_defect_index((const char *)sqlite3_column_text(st, 0));
                if (d >= 0)
                    counts[d] += (uint64_t)sqlite3_column_int64(st, 1);
            }
        }
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
            return -1;
    }
    return opened;
}

/* A new connection on the database with its statements prepared, as a new process makes
 * it: SQLite's page cache starts empty. */
static int sq_reopen(void **fresh, void *ctx)
{
    sq *e = ctx, *q = calloc(1, sizeof *q);
    if (!q)
        return -1;
    snprintf(q->path, sizeof q->path, "%s", e->path);
    q->ncust = e->ncust;
    if (conn_open(q, q->path) || conn_prepare(q)) {
        conn_close(q);
        free(q);
        return -1;
    }
    *fresh = q;
    return 0;
}

static uint64_t sq_disk(void *ctx)
{
    sq *q = ctx;
    /* Fold the WAL back so the size is the database's, not the log's. */
    sqlite3_wal_checkpoint_v2(q->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", q->path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = 0;
    return bench_du(dir);
}

static uint64_t sq_server(void *ctx)
{
    (void)ctx;
    return 0;
}

const bench_engine bench_sqlite = {
    "sqlite",      sq_open, sq_close,  sq_thread_open, sq_thread_close,
    sq_intake,     NULL,    sq_import, sq_lookup,      sq_list_customer,
    sq_list_dates, sq_scan, sq_count,  sq_report,      sq_disk,
    sq_server,     NULL, /* no replay check to compare with capa's verify */
    NULL,          /* no signed outputs */
    sq_reopen,     sq_close,      NULL,
};
