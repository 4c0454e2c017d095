/*
 * peer_pg.c - the case model in PostgreSQL 15 over loopback TCP, through libpq.
 *
 * The bench starts its own throw-away cluster (initdb + pg_ctl in a temporary directory,
 * durable defaults: fsync=on, synchronous_commit=on) and removes it afterwards. When run as
 * root the cluster runs as the `postgres` user (initdb refuses root). One intake is one call
 * of a PL/pgSQL function, so one round trip and one durable transaction per case; imports
 * use COPY. Numbering and the audit chain head are a locked meta row, as in the SQLite peer.
 */
#define _GNU_SOURCE
#include "bench.h"

#include <dirent.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct pg {
    char dir[4096]; /* cluster root: data/, log */
    char conninfo[256];
    char bin[1024];
    int as_postgres; /* run server tools through runuser */
    int port;
    PGconn *conn;
    uint64_t ncust;
    int started;
} pg;

static const char *schema =
    "SET client_min_messages=warning;"
    "CREATE TABLE meta(k int PRIMARY KEY, counter bigint NOT NULL, head text NOT NULL);"
    "INSERT INTO meta VALUES(1, 0, '');"
    "CREATE TABLE cases(id bigint PRIMARY KEY, number text NOT NULL UNIQUE, stage text NOT NULL,"
    " closed int NOT NULL, customer text, part_no text, lot_no text, defect_code text,"
    " severity text, opened bigint NOT NULL, closed_at bigint);"
    "CREATE INDEX cases_stage ON cases(stage);"
    "CREATE INDEX cases_customer ON cases(customer);"
    "CREATE INDEX cases_part ON cases(part_no);"
    "CREATE INDEX cases_defect ON cases(defect_code);"
    "CREATE INDEX cases_opened ON cases(opened);"
    "CREATE TABLE stage_data(case_id bigint NOT NULL, stage text NOT NULL,"
    " form_version int NOT NULL, data text NOT NULL, PRIMARY KEY(case_id, stage));"
    "CREATE TABLE audit(seq bigserial PRIMARY KEY, case_id bigint, time bigint NOT NULL,"
    " actor text NOT NULL, action text NOT NULL, changes text, hash text NOT NULL);"
    "CREATE INDEX audit_case ON audit(case_id);"
    "CREATE FUNCTION open_case(p_customer text, p_part text, p_lot text, p_defect text,"
    " p_sev text, p_opened bigint, p_blob text) RETURNS text AS $$\n"
    "DECLARE c bigint; h text; num text;\n"
    "BEGIN\n"
    " SELECT counter + 1, head INTO c, h FROM meta WHERE k = 1 FOR UPDATE;\n"
    " num := 'QC-2026-' || CASE WHEN c < 10000 THEN lpad(c::text, 4, '0') ELSE c::text END;\n"
    " INSERT INTO cases(id, number, stage, closed, customer, part_no, lot_no, defect_code,"
    "  severity, opened) VALUES (c, num, 'intake', 0, p_customer, p_part, p_lot, p_defect,"
    "  p_sev, p_opened);\n"
    " INSERT INTO stage_data VALUES (c, 'intake', 1, p_blob);\n"
    " h := encode(sha256(convert_to(h || p_blob, 'UTF8')), 'hex');\n"
    " INSERT INTO audit(case_id, time, actor, action, changes, hash)"
    "  VALUES (c, p_opened, 'bench', 'open', p_blob, h);\n"
    " UPDATE meta SET counter = c, head = h WHERE k = 1;\n"
    " RETURN num;\n"
    "END $$ LANGUAGE plpgsql;";

static const char *find_bin(void)
{
    const char *env = getenv("BENCH_PG_BIN");
    if (env)
        return env;
    if (access("/usr/lib/postgresql/15/bin/initdb", X_OK) == 0)
        return "/usr/lib/postgresql/15/bin";
    return NULL;
}

/* Run a shell command as the cluster's owner; 0 on success. */
static int run(const pg *p, const char *cmd)
{
    char *full = NULL;
    int rc;
    if (p->as_postgres) {
        if (asprintf(&full, "runuser -u postgres -- sh -c '%s' >>%s/setup.log 2>&1", cmd, p->dir) <
            0)
            return -1;
    } else if (asprintf(&full, "sh -c '%s' >>%s/setup.log 2>&1", cmd, p->dir) < 0) {
        return -1;
    }
    rc = system(full);
    free(full);
    return rc == 0 ? 0 : -1;
}

static PGconn *connect_db(const pg *p)
{
    PGconn *c = PQconnectdb(p->conninfo);
    if (PQstatus(c) != CONNECTION_OK) {
        PQfinish(c);
        return NULL;
    }
    PGresult *r = PQexec(c, "SET client_encoding='UTF8'");
    PQclear(r);
    r = PQprepare(c, "intake", "SELECT open_case($1,$2,$3,$4,$5,$6::bigint,$7)", 7, NULL);
    PQclear(r);
    r = PQprepare(c, "lookup",
                  "SELECT c.number, c.stage, c.customer, c.part_no, c.defect_code, c.opened,"
                  " d.data FROM cases c JOIN stage_data d ON d.case_id = c.id"
                  " WHERE c.number = $1",
                  1, NULL);
    PQclear(r);
    return c;
}

static void pg_close(void *ctx)
{
    pg *p = ctx;
    char cmd[16384];
    if (!p)
        return;
    PQfinish(p->conn);
    if (p->started) {
        snprintf(cmd, sizeof cmd, "%s/pg_ctl -D %s/data -m fast -w stop", p->bin, p->dir);
        run(p, cmd);
    }
    snprintf(cmd, sizeof cmd, "rm -rf %s/data", p->dir);
    if (system(cmd) != 0)
        (void)0;
    free(p);
}

static int pg_open(void **out, const bench_cfg *cfg, char *err, size_t errsz)
{
    pg *p = calloc(1, sizeof *p);
    char cmd[16384];
    const char *bin = find_bin();
    struct passwd *pw = NULL;
    PGresult *r = NULL;
    if (!bin) {
        snprintf(err, errsz, "PostgreSQL is not installed (no initdb; set BENCH_PG_BIN)");
        goto fail;
    }
    snprintf(p->bin, sizeof p->bin, "%s", bin);
    snprintf(p->dir, sizeof p->dir, "%s", cfg->dir);
    p->ncust = cfg->n_customers;
    p->as_postgres = geteuid() == 0;
    if (p->as_postgres) {
        pw = getpwnam("postgres");
        if (!pw) {
            snprintf(err, errsz, "running as root and there is no postgres user");
            goto fail;
        }
        if (chown(p->dir, pw->pw_uid, pw->pw_gid) != 0) {
            snprintf(err, errsz, "cannot chown %s to postgres", p->dir);
            goto fail;
        }
    }
    p->port = 20000 + (int)(getpid() % 20000);
    snprintf(p->conninfo, sizeof p->conninfo, "host=127.0.0.1 port=%d user=bench dbname=postgres",
             p->port);
    snprintf(cmd, sizeof cmd, "%s/initdb -D %s/data -U bench -A trust -E UTF8 --locale=C --no-sync",
             p->bin, p->dir);
    if (run(p, cmd)) {
        snprintf(err, errsz, "initdb failed, see %s/setup.log", p->dir);
        goto fail;
    }
    snprintf(cmd, sizeof cmd,
             "%s/pg_ctl -D %s/data -l %s/server.log -w -o \"-p %d -k %s"
             " -c listen_addresses=127.0.0.1 -c max_connections=120 -c fsync=on"
             " -c synchronous_commit=on -c full_page_writes=on\" start",
             p->bin, p->dir, p->dir, p->port, p->dir);
    if (run(p, cmd)) {
        snprintf(err, errsz, "pg_ctl start failed, see %s/server.log", p->dir);
        goto fail;
    }
    p->started = 1;
    p->conn = connect_db(p);
    if (!p->conn) {
        snprintf(err, errsz, "cannot connect to %s", p->conninfo);
        goto fail;
    }
    r = PQexec(p->conn, schema);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        snprintf(err, errsz, "schema: %s", PQerrorMessage(p->conn));
        goto fail;
    }
    PQclear(r);
    PQclear(PQexec(p->conn, "DEALLOCATE ALL"));
    PQfinish(p->conn);
    p->conn = connect_db(p); /* again, so the prepared statements see the function */
    *out = p;
    return 0;
fail:
    PQclear(r);
    pg_close(p);
    return -1;
}

static int pg_thread_open(void **out, void *ctx)
{
    pg *p = ctx, *t = calloc(1, sizeof *t);
    *t = *p;
    t->started = 0;
    t->conn = connect_db(p);
    if (!t->conn) {
        free(t);
        return -1;
    }
    *out = t;
    return 0;
}

static void pg_thread_close(void *tctx)
{
    pg *t = tctx;
    PQfinish(t->conn);
    free(t);
}

static int pg_intake(void *tctx, const bench_case *c)
{
    pg *t = tctx;
    char blob[4096], opened[32];
    bench_case_blob(blob, sizeof blob, c);
    snprintf(opened, sizeof opened, "%lld", (long long)c->opened);
    const char *v[7] = {c->customer, c->part_no, c->lot_no, c->defect_code,
                        c->severity, opened,     blob};
    PGresult *r = PQexecPrepared(t->conn, "intake", 7, v, NULL, NULL, 0);
    int rc = PQresultStatus(r) == PGRES_TUPLES_OK ? 0 : -1;
    PQclear(r);
    return rc;
}

/* Append s to buf for COPY text format (escaping newlines; the data has no tab/backslash). */
static char *copy_field(char *w, const char *s, char sep)
{
    for (; *s; s++) {
        if (*s == '\n') {
            *w++ = '\\';
            *w++ = 'n';
        } else {
            *w++ = *s;
        }
    }
    *w++ = sep;
    return w;
}

static int copy_buf(PGconn *c, const char *sql, const char *buf, size_t len)
{
    PGresult *r = PQexec(c, sql);
    int ok = PQresultStatus(r) == PGRES_COPY_IN;
    PQclear(r);
    if (!ok)
        return -1;
    if (PQputCopyData(c, buf, (int)len) != 1 || PQputCopyEnd(c, NULL) != 1)
        return -1;
    r = PQgetResult(c);
    ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    while ((r = PQgetResult(c)))
        PQclear(r);
    return ok ? 0 : -1;
}

static int pg_import(void *ctx, uint64_t first, uint64_t n)
{
    pg *p = ctx;
    int rc = -1;
    size_t cap = (size_t)n * 4096 + 4096;
    char *bc = malloc(cap), *bd = malloc(cap), *ba = malloc(cap);
    char *wc = bc, *wd = bd, *wa = ba;
    char head[65], blob[4096], number[32], tmp[64];
    int64_t counter;
    bench_case c;
    PGresult *r = PQexec(p->conn, "BEGIN");
    PQclear(r);
    r = PQexec(p->conn, "SELECT counter, head FROM meta WHERE k = 1 FOR UPDATE");
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        goto done;
    counter = atoll(PQgetvalue(r, 0, 0));
    snprintf(head, sizeof head, "%s", PQgetvalue(r, 0, 1));
    for (uint64_t i = first; i < first + n; i++) {
        bench_case_make(&c, i, p->ncust);
        bench_case_blob(blob, sizeof blob, &c);
        int64_t id = ++counter;
        bench_number(number, sizeof number, (uint64_t)id);
        snprintf(tmp, sizeof tmp, "%lld", (long long)id);
        wc = copy_field(wc, tmp, '\t');
        wc = copy_field(wc, number, '\t');
        wc = copy_field(wc, "intake\t0", '\t');
        wc = copy_field(wc, c.customer, '\t');
        wc = copy_field(wc, c.part_no, '\t');
        wc = copy_field(wc, c.lot_no, '\t');
        wc = copy_field(wc, c.defect_code, '\t');
        wc = copy_field(wc, c.severity, '\t');
        snprintf(tmp + 32, 32, "%lld", (long long)c.opened);
        wc = copy_field(wc, tmp + 32, '\n');
        wd = copy_field(wd, tmp, '\t');
        wd = copy_field(wd, "intake\t1", '\t');
        wd = copy_field(wd, blob, '\n');
        bench_chain(head, head, blob, strlen(blob));
        wa = copy_field(wa, tmp, '\t');
        wa = copy_field(wa, tmp + 32, '\t');
        wa = copy_field(wa, "bench\topen", '\t');
        wa = copy_field(wa, blob, '\t');
        wa = copy_field(wa, head, '\n');
    }
    if (copy_buf(p->conn,
                 "COPY cases(id, number, stage, closed, customer, part_no, lot_no, defect_code,"
                 " severity, opened) FROM STDIN",
                 bc, (size_t)(wc - bc)) ||
        copy_buf(p->conn, "COPY stage_data FROM STDIN", bd, (size_t)(wd - bd)) ||
        copy_buf(p->conn, "COPY audit(case_id, time, actor, action, changes, hash) FROM STDIN", ba,
                 (size_t)(wa - ba)))
        goto done;
    PQclear(r);
    char upd[256];
    snprintf(upd, sizeof upd, "UPDATE meta SET counter = %lld, head = '%s' WHERE k = 1",
             (long long)counter, head);
    r = PQexec(p->conn, upd);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        goto done;
    PQclear(r);
    r = PQexec(p->conn, "COMMIT");
    rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : -1;
done:
    PQclear(r);
    if (rc)
        PQclear(PQexec(p->conn, "ROLLBACK"));
    free(bc);
    free(bd);
    free(ba);
    return rc;
}

static int pg_lookup(void *tctx, uint64_t k)
{
    pg *t = tctx;
    char number[32];
    bench_number(number, sizeof number, k);
    const char *v[1] = {number};
    PGresult *r = PQexecPrepared(t->conn, "lookup", 1, v, NULL, NULL, 0);
    int rc = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 ? 0 : -1;
    PQclear(r);
    return rc;
}

static long list_query(pg *p, const char *sql, int n, const char *const *v)
{
    PGresult *r = PQexecParams(p->conn, sql, n, NULL, v, NULL, NULL, 0);
    long rows = PQresultStatus(r) == PGRES_TUPLES_OK ? PQntuples(r) : -1;
    PQclear(r);
    return rows;
}

static long pg_list_customer(void *ctx, const char *customer)
{
    const char *v[1] = {customer};
    return list_query(ctx,
                      "SELECT number, stage, customer, part_no, lot_no, defect_code, severity,"
                      " opened FROM cases WHERE customer = $1 AND closed = 0 ORDER BY id",
                      1, v);
}

static long pg_list_dates(void *ctx, uint64_t k, uint64_t count)
{
    int64_t from = BENCH_T0 + (int64_t)(k - 1) * BENCH_STEP_MS;
    int64_t to = from + (int64_t)count * BENCH_STEP_MS;
    char a[32], b[32];
    snprintf(a, sizeof a, "%lld", (long long)from);
    snprintf(b, sizeof b, "%lld", (long long)to);
    const char *v[2] = {a, b};
    return list_query(ctx,
                      "SELECT number, stage, customer, part_no, lot_no, defect_code, severity,"
                      " opened FROM cases WHERE opened >= $1::bigint AND opened < $2::bigint"
                      " ORDER BY id",
                      2, v);
}

static long group_counts(pg *p, uint64_t counts[BENCH_DEFECTS])
{
    PGresult *r = PQexec(p->conn, "SELECT defect_code, count(*) FROM cases GROUP BY defect_code");
    long rows = -1;
    if (PQresultStatus(r) == PGRES_TUPLES_OK) {
        rows = 0;
        for (int i = 0; i < PQntuples(r); i++) {
            int d = bench_defect_index(PQgetvalue(r, i, 0));
            long n = atol(PQgetvalue(r, i, 1));
            if (d >= 0)
                counts[d] += (uint64_t)n;
            rows += n;
        }
    }
    PQclear(r);
    return rows;
}

/* Every row of the table: the planner may not use an index for this one. */
static long pg_scan(void *ctx, uint64_t counts[BENCH_DEFECTS])
{
    pg *p = ctx;
    PQclear(PQexec(p->conn, "SET enable_indexscan = off; SET enable_indexonlyscan = off;"
                            " SET enable_bitmapscan = off"));
    long rows = group_counts(p, counts);
    PQclear(PQexec(p->conn, "RESET enable_indexscan; RESET enable_indexonlyscan;"
                            " RESET enable_bitmapscan"));
    return rows;
}

/* The planner's own choice (an index-only scan when the visibility map allows). */
static long pg_count(void *ctx, uint64_t counts[BENCH_DEFECTS])
{
    return group_counts(ctx, counts);
}

static uint64_t pg_disk(void *ctx)
{
    pg *p = ctx;
    PQclear(PQexec(p->conn, "CHECKPOINT"));
    PGresult *r = PQexec(p->conn, "SELECT pg_database_size(current_database())");
    uint64_t n = PQresultStatus(r) == PGRES_TUPLES_OK ? strtoull(PQgetvalue(r, 0, 0), 0, 10) : 0;
    PQclear(r);
    return n;
}

/* Read one "Key:   123 kB" line of /proc/<pid>/status. */
static uint64_t status_kib(int pid, const char *key)
{
    char path[64], line[256];
    uint64_t v = 0;
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t kl = strlen(key);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, kl) == 0 && line[kl] == ':')
            v = strtoull(line + kl + 1, NULL, 10);
    fclose(f);
    return v;
}

/* The server's memory: private (anonymous) memory of every server process plus the shared
 * buffers once (the largest shared resident size of any of them). */
static uint64_t pg_server(void *ctx)
{
    pg *p = ctx;
    char path[4200];
    snprintf(path, sizeof path, "%s/data/postmaster.pid", p->dir);
    FILE *f = fopen(path, "r");
    int master = 0;
    if (!f)
        return 0;
    if (fscanf(f, "%d", &master) != 1)
        master = 0;
    fclose(f);
    uint64_t anon = 0, shm = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        int pid = atoi(e->d_name), ppid = 0;
        if (pid <= 0)
            continue;
        char sp[64], buf[512];
        snprintf(sp, sizeof sp, "/proc/%d/stat", pid);
        FILE *sf = fopen(sp, "r");
        if (!sf)
            continue;
        size_t n = fread(buf, 1, sizeof buf - 1, sf);
        fclose(sf);
        buf[n] = 0;
        char *rp = strrchr(buf, ')');
        if (!rp || sscanf(rp + 2, "%*c %d", &ppid) != 1)
            continue;
        if (pid != master && ppid != master)
            continue;
        anon += status_kib(pid, "RssAnon");
        uint64_t s = status_kib(pid, "RssShmem");
        if (s > shm)
            shm = s;
    }
    if (d)
        closedir(d);
    return anon + shm;
}

const bench_engine bench_pg = {
    "postgres",    pg_open,   pg_close,  pg_thread_open, pg_thread_close,
    pg_intake,     NULL,      pg_import, pg_lookup,      pg_list_customer,
    pg_list_dates, pg_scan,   pg_count,  NULL, /* report monthly: sqlite is the SQL peer */
    pg_disk,       pg_server, NULL,            /* no replay check to compare with capa's verify */
    NULL,                                     /* no signed outputs */
    pg_thread_open, /* a fresh connection: a new backend, its own caches empty */
    pg_thread_close,
    NULL,
};
