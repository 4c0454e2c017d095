/*
 * peer_capa.c - the bench's capa engine: the same workloads through the public API
 * (capa.h) only. Single durable intakes are capa_case_open; concurrent intake and bulk
 * import go through capa_submit (group commit: many requests, one durable write
 * transaction, one result each).
 *
 * Every change re-authenticates its actor, as in production; the bench sets the password
 * hash cost (kdf_log2n) to its minimum so that what is measured is the storage engine, not
 * scrypt. The peers store the same records without any authentication.
 */
#include "bench.h"
#include "capa.h"
#include "capa_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BENCH_USER "bench"
#define BENCH_PASSWORD "bench-password"

typedef struct cp {
    capa_store *s;
    char dir[4096];
    uint64_t ncust;
    /* When each imported case was opened (capa's clock stamped it), by case number k:
     * learnt once before the reads (cp_prepare_reads, untimed), so a date-range list's
     * bounds are known as the peers compute theirs, with no case read in the list. */
    int64_t *opened;
    uint64_t n_opened;
} cp;

static const capa_actor bench_actor = {BENCH_USER, BENCH_PASSWORD};

/* The intake values of one case, pointing into c. */
static size_t case_kv(capa_kv kv[10], const bench_case *c)
{
    size_t n = 0;
    kv[n++] = (capa_kv){"customer", c->customer};
    kv[n++] = (capa_kv){"channel", "written"};
    kv[n++] = (capa_kv){"complaint_type", "quality"};
    kv[n++] = (capa_kv){"part_no", c->part_no};
    kv[n++] = (capa_kv){"lot_no", c->lot_no};
    kv[n++] = (capa_kv){"qty_affected", c->qty};
    kv[n++] = (capa_kv){"defect_code", c->defect_code};
    kv[n++] = (capa_kv){"severity", c->severity};
    kv[n++] = (capa_kv){"responsible_dept", "生产部"};
    kv[n++] = (capa_kv){"description", c->description};
    return n;
}

static void cp_close(void *ctx)
{
    cp *p = ctx;
    if (!p)
        return;
    capa_store_close(p->s);
    free(p->opened);
    free(p);
}

static int cp_open(void **out, const bench_cfg *cfg, char *err, size_t errsz)
{
    cp *p = calloc(1, sizeof *p);
    capa_open_opts oo = {.create = 1, .kdf_log2n = 1};
    /* A fixed year, so case numbers match bench_number() whatever the date. */
    capa_init_opts io = {
        .org = "Bench Co.", .number_pattern = "QC-2026-{NNNN}", .admin_password = "admin-password"};
    capa_actor admin = {"admin", "admin-password"};
    int rc;
    snprintf(p->dir, sizeof p->dir, "%s/var", cfg->dir);
    p->ncust = cfg->n_customers;
    if ((rc = capa_store_open(&p->s, p->dir, &oo)) || (rc = capa_store_init(p->s, &io)) ||
        (rc = capa_user_add(p->s, &admin, BENCH_USER, "intake", "Bench", "QA", BENCH_PASSWORD))) {
        snprintf(err, errsz, "capa: %s: %s", capa_strerror(rc), capa_error_last());
        cp_close(p);
        return -1;
    }
    *out = p;
    return 0;
}

static int cp_thread_open(void **out, void *ctx)
{
    *out = ctx; /* a capa_store is shared by threads */
    return 0;
}

static void cp_thread_close(void *tctx)
{
    (void)tctx;
}

static int cp_intake(void *tctx, const bench_case *c)
{
    cp *p = tctx;
    capa_kv kv[10];
    char *number = NULL;
    int rc = capa_case_open(&number, p->s, &bench_actor, kv, case_kv(kv, c));
    capa__free(number);
    return rc == CAPA_OK ? 0 : -1;
}

static int cp_intake_grouped(void *tctx, const bench_case *c)
{
    cp *p = tctx;
    capa_kv kv[10];
    capa_request rq = {.op = CAPA_OP_OPEN, .who = bench_actor, .values = kv};
    rq.n_values = case_kv(kv, c);
    int rc = capa_submit(p->s, &rq, 1);
    if (rc == CAPA_OK)
        rc = rq.result;
    capa_request_clear(&rq);
    return rc == CAPA_OK ? 0 : -1;
}

static int cp_import(void *ctx, uint64_t first, uint64_t n)
{
    cp *p = ctx;
    int rc = -1;
    bench_case *cs = malloc(sizeof *cs * n);
    capa_kv *kv = malloc(sizeof *kv * 10 * n);
    capa_request *rq = calloc(n, sizeof *rq);
    if (!cs || !kv || !rq)
        goto done;
    for (uint64_t i = 0; i < n; i++) {
        bench_case_make(&cs[i], first + i, p->ncust);
        rq[i] = (capa_request){.op = CAPA_OP_OPEN, .who = bench_actor, .values = kv + 10 * i};
        rq[i].n_values = case_kv(kv + 10 * i, &cs[i]);
    }
    if (capa_submit(p->s, rq, n) != CAPA_OK)
        goto done;
    rc = 0;
    for (uint64_t i = 0; i < n; i++)
        if (rq[i].result != CAPA_OK)
            rc = -1;
done:
    if (rq)
        for (uint64_t i = 0; i < n; i++)
            capa_request_clear(&rq[i]);
    free(rq);
    free(kv);
    free(cs);
    return rc;
}

static int cp_lookup(void *tctx, uint64_t k)
{
    cp *p = tctx;
    char number[32];
    capa_case *c = NULL;
    bench_number(number, sizeof number, k);
    int rc = capa_case_get(&c, p->s, number);
    capa_case_free(c);
    return rc == CAPA_OK ? 0 : -1;
}

static int count_row(const capa_case_header *h, void *payload)
{
    volatile size_t sink = strlen(h->number) + strlen(h->customer ? h->customer : "");
    (void)sink;
    ++*(long *)payload;
    return 0;
}

/* Lists and scans read on every processor (at most CAPA_SCAN_MAX_PARTS), each part
 * counting into its own slot. */
static size_t parts(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > CAPA_SCAN_MAX_PARTS ? CAPA_SCAN_MAX_PARTS : (size_t)n;
}

/* A list as the peers' SQL selects it: number, stage, customer, part, lot, defect code,
 * severity and opened of each case (the header's leading fields, CAPA_SCAN_LEAD), read by
 * capa_case_scan on every processor. */
static long scan_rows(cp *p, const capa_filter *f)
{
    long rows[CAPA_SCAN_MAX_PARTS] = {0}, n = 0;
    void *pl[CAPA_SCAN_MAX_PARTS];
    size_t k = parts();
    for (size_t i = 0; i < k; i++)
        pl[i] = &rows[i];
    if (capa_case_scan(p->s, f, CAPA_SCAN_LEAD, k, count_row, pl) != CAPA_OK)
        return -1;
    for (size_t i = 0; i < k; i++)
        n += rows[i];
    return n;
}

static long cp_list_customer(void *ctx, const char *customer)
{
    capa_filter f = {.customer = customer, .closed = 0};
    return scan_rows(ctx, &f);
}

/* When case k (1-based, import order) was opened: capa stamps its own clock. */
static int64_t opened_of(cp *p, uint64_t k)
{
    if (k < p->n_opened && p->opened[k])
        return p->opened[k];
    char number[32];
    capa_case *c = NULL;
    int64_t t = -1;
    bench_number(number, sizeof number, k);
    if (capa_case_get(&c, p->s, number) == CAPA_OK)
        t = c->opened;
    capa_case_free(c);
    return t;
}

static long cp_list_dates(void *ctx, uint64_t k, uint64_t count)
{
    cp *p = ctx;
    /* From the opening of case k to that of case k+count-1, inclusive. */
    int64_t from = opened_of(p, k), last = opened_of(p, k + count - 1);
    if (from < 0 || last < 0)
        return -1;
    capa_filter f = {.opened_from = from, .opened_to = last + 1, .closed = -1};
    return scan_rows(p, &f);
}

typedef struct scan {
    uint64_t *counts;
    long rows;
} scan;

static int count_defect(const capa_case_header *h, void *payload)
{
    scan *sc = payload;
    int d = bench_defect_index(h->defect_code);
    if (d >= 0)
        sc->counts[d]++;
    sc->rows++;
    return 0;
}

/* Every case read (no index), on every processor: each part counts into its own array,
 * added up afterwards, as PostgreSQL's parallel scan does. Only the leading header fields
 * are decoded (the defect code is one of them). */
static long cp_scan(void *ctx, uint64_t counts[BENCH_DEFECTS])
{
    cp *p = ctx;
    capa_filter f = {.closed = -1};
    uint64_t part_counts[CAPA_SCAN_MAX_PARTS][BENCH_DEFECTS];
    scan sc[CAPA_SCAN_MAX_PARTS];
    void *pl[CAPA_SCAN_MAX_PARTS];
    size_t k = parts();
    long rows = 0;
    memset(part_counts, 0, sizeof part_counts);
    for (size_t i = 0; i < k; i++) {
        sc[i] = (scan){part_counts[i], 0};
        pl[i] = &sc[i];
    }
    if (capa_case_scan(p->s, &f, CAPA_SCAN_LEAD, k, count_defect, pl) != CAPA_OK)
        return -1;
    for (size_t i = 0; i < k; i++) {
        for (int d = 0; d < BENCH_DEFECTS; d++)
            counts[d] += part_counts[i][d];
        rows += sc[i].rows;
    }
    return rows;
}

static int add_count(const char *value, uint64_t count, void *payload)
{
    scan *sc = payload;
    int d = bench_defect_index(value);
    if (d >= 0)
        sc->counts[d] += count;
    sc->rows += (long)count;
    return 0;
}

static long cp_count(void *ctx, uint64_t counts[BENCH_DEFECTS])
{
    cp *p = ctx;
    scan sc = {counts, 0};
    return capa_case_count_by(p->s, "defect_code", add_count, &sc) == CAPA_OK ? sc.rows : -1;
}

/* capa report monthly: capa_stats_monthly over the month of the first case (the store's
 * clock stamped them all during the import). */
static long cp_report(void *ctx, uint64_t n, uint64_t counts[BENCH_DEFECTS])
{
    cp *p = ctx;
    char month[16];
    capa_monthly *m = NULL;
    int64_t t = opened_of(p, 1);
    (void)n;
    if (t < 0)
        return -1;
    time_t secs = (time_t)(t / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(month, sizeof month, "%Y-%m", &tm);
    if (capa_stats_monthly(&m, p->s, month, 0) != CAPA_OK) {
        fprintf(stderr, "capa-bench: report monthly: %s\n", capa_error_last());
        return -1;
    }
    for (size_t i = 0; i < m->by_defect.n; i++) {
        int d = bench_defect_index(m->by_defect.v[i].key);
        if (d >= 0)
            counts[d] += m->by_defect.v[i].count;
    }
    long opened = (long)m->opened;
    capa_monthly_free(m);
    return opened;
}

/* The store opened afresh, read-only, as `capa list` opens it in a new process. */
static int cp_reopen(void **fresh, void *ctx)
{
    cp *p = ctx, *q = calloc(1, sizeof *q);
    capa_open_opts oo = {.read_only = 1};
    if (!q)
        return -1;
    *q = *p;
    if (capa_store_open(&q->s, p->dir, &oo) != CAPA_OK) {
        free(q);
        return -1;
    }
    *fresh = q;
    return 0;
}

static void cp_reclose(void *fresh)
{
    cp *q = fresh;
    capa_store_close(q->s);
    free(q); /* q->opened is the engine's */
}

static int note_opened(const capa_case_header *h, void *payload)
{
    cp *p = payload;
    const char *dash = strrchr(h->number, '-');
    uint64_t k = dash ? strtoull(dash + 1, NULL, 10) : 0;
    if (k < p->n_opened)
        p->opened[k] = h->opened;
    return 0;
}

static int cp_prepare_reads(void *ctx, uint64_t n)
{
    cp *p = ctx;
    capa_filter f = {.closed = -1};
    void *pl[1] = {p};
    free(p->opened);
    p->n_opened = n + 1;
    if (!(p->opened = calloc(p->n_opened, sizeof *p->opened)))
        return -1;
    return capa_case_scan(p->s, &f, CAPA_SCAN_LEAD, 1, note_opened, pl) == CAPA_OK ? 0 : -1;
}

static uint64_t cp_disk(void *ctx)
{
    cp *p = ctx;
    return bench_du(p->dir);
}

static uint64_t cp_server(void *ctx)
{
    (void)ctx;
    return 0;
}

/* `capa verify` as the CLI runs it: a read-only handle of its own (this runs in a forked
 * child, which must not use the parent's LMDB environment), then capa_audit_verify: the
 * chain walked, every event replayed into a scratch store in $TMPDIR, every record
 * compared. Only the verify call is timed. */
static int cp_verify(void *ctx, double *secs)
{
    cp *p = ctx;
    capa_store *s = NULL;
    capa_open_opts oo = {.read_only = 1};
    char head[65];
    uint64_t bad = 0;
    struct timespec t0, t1;
    int rc = capa_store_open(&s, p->dir, &oo);
    if (rc == CAPA_OK) {
        clock_gettime(CLOCK_MONOTONIC, &t0);
        rc = capa_audit_verify(s, head, &bad);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        *secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    }
    if (rc != CAPA_OK)
        fprintf(stderr, "capa-bench: capa verify: %s: %s\n", capa_strerror(rc), capa_error_last());
    capa_store_close(s);
    return rc == CAPA_OK ? 0 : -1;
}

/* A signed output as `capa dossier` / `capa report monthly` make it: with `proof`, the
 * check the CLI runs first (capa_case_prove inside capa_report_dossier; capa_store_prove
 * before the report's figures), then the figures, the layout, the CMS signature, the write.
 * proof 3: `capa checkpoint` (the whole verify, then the case proof); proof 2: the dossier
 * checked against that case proof (docs/case-proof.md), which must hold; proof 4 and 5: the
 * same after a failed sign-in (4) or an edit of the case (5) since the checkpoint. */
static int cp_signed_output(void *ctx, int what, int proof, double *ms)
{
    cp *p = ctx;
    char keys[4200], key[4300], crt[4300], pdf[4300], number[64], month[16];
    struct timespec t0, t1;
    capa_monthly *m = NULL;
    int rc = CAPA_OK;
    snprintf(keys, sizeof keys, "%s/../keys", p->dir);
    snprintf(key, sizeof key, "%s/org.key", keys);
    snprintf(crt, sizeof crt, "%s/org.crt", keys);
    snprintf(pdf, sizeof pdf, "%s/../signed-output.pdf", p->dir);
    if (capa_report_keys_check(keys) != CAPA_OK &&
        (rc = capa_report_keys_create(keys, "Bench Co.", 0)) != CAPA_OK)
        goto done;
    int64_t t = opened_of(p, 1);
    time_t secs = (time_t)(t / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(month, sizeof month, "%Y-%m", &tm);
    bench_number(number, sizeof number, 1);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (proof == 3) {
        rc = capa_checkpoint(p->s, key, NULL);
    } else if (what == 0) {
        capa_case_proof pf = {0};
        if (proof >= 4) {
            /* An event since the checkpoint first, untimed: a failed sign-in (which must be
             * refused), or an edit of the case the dossier is of. */
            static int late;
            char lot[32];
            snprintf(lot, sizeof lot, "L-late-%d", ++late);
            capa_actor wrong = {BENCH_USER, "not-the-password"};
            capa_kv kv[] = {{"lot_no", lot}};
            rc = capa_case_set(p->s, number, proof == 4 ? &wrong : &bench_actor, kv, 1, NULL);
            if (proof == 4 && rc == CAPA_OK)
                rc = capa_error_set(CAPA_ERROR, "a wrong password was taken");
            else if (proof == 4)
                rc = CAPA_OK;
            if (rc != CAPA_OK)
                goto done;
            clock_gettime(CLOCK_MONOTONIC, &t0);
            proof = 2;
        }
        capa_dossier_opts o = {.key_path = key, .cert_path = crt, .verified = !proof, .proof = &pf};
        rc = capa_report_dossier(p->s, number, pdf, &o);
        if (rc == CAPA_OK && proof == 2 && !pf.fast)
            rc = capa_error_set(CAPA_ERROR, "the case proof did not hold: %s", pf.why);
    } else {
        capa_monthly_opts o = {.key_path = key, .cert_path = crt};
        if ((!proof || (rc = capa_store_prove(p->s, NULL)) == CAPA_OK) &&
            (rc = capa_stats_monthly(&m, p->s, month, 0)) == CAPA_OK)
            rc = capa_report_monthly_pdf(p->s, m, pdf, &o);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    *ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
done:
    if (rc != CAPA_OK)
        fprintf(stderr, "capa-bench: signed %s: %s\n", what ? "report" : "dossier",
                capa_error_last());
    capa_monthly_free(m);
    unlink(pdf);
    return rc == CAPA_OK ? 0 : -1;
}

const bench_engine bench_capa = {
    "capa",        cp_open,           cp_close,         cp_thread_open, cp_thread_close,
    cp_intake,     cp_intake_grouped, cp_import,        cp_lookup,      cp_list_customer,
    cp_list_dates, cp_scan,           cp_count,         cp_report,      cp_disk,
    cp_server,     cp_verify,         cp_signed_output, cp_reopen,      cp_reclose,
    cp_prepare_reads,
};
