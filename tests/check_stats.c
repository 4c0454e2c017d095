/*
 * check_stats.c - recurrence (再发) and the monthly report's figures (capa_stats_monthly)
 * with a store clock the test sets to the millisecond: the window's edges, months in the
 * plant's zone, the mean and median of time to close, a limit met exactly at its due time,
 * Pareto order with ties, and the month's input rules.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capa.h"
#include "parscan.h"
#include "record.h"
#include "testutil.h"

#define H 3600000LL
#define DAY (24 * H)

static int64_t now_ms;
static int64_t clock_fn(void *payload)
{
    (void)payload;
    return now_ms;
}

static char *dir;
static capa_store *st;

/* 2026-10-01T00:00:00+08:00 */
static const int64_t OCT1 = 1790784000000LL;

static void setup(void)
{
    dir = tu_mkdtemp();
    capa_open_opts o = {.create = 1, .map_size = 64 << 20, .kdf_log2n = 8};
    o.clock = clock_fn;
    now_ms = OCT1 - 30 * DAY;
    ck_assert_int_eq(capa_store_open(&st, dir, &o), CAPA_OK);
    capa_init_opts io = {.org = "厂", .admin_password = TU_PW, .timezone = "Asia/Shanghai"};
    OK(capa_store_init(st, &io));
    capa_actor a = tu_as("admin");
    static const char *u[][2] = {{"li", "intake"},     {"wang", "qe"},     {"chen", "qe_lead"},
                                 {"zhao", "prod_mgr"}, {"sun", "production"}};
    for (size_t i = 0; i < 5; i++)
        OK(capa_user_add(st, &a, u[i][0], u[i][1], u[i][0], "部门", TU_PW));
}

static void teardown(void)
{
    capa_store_close(st);
    tu_rmtree(dir);
    free(dir);
}

static char *open_at(int64_t t, const char *part, const char *defect, const char *severity)
{
    capa_kv kv[] = {{"customer", "华东汽车"}, {"part_no", part},   {"defect_code", defect},
                    {"severity", severity},   {"description", "x"}, {"containment", "隔离"}};
    capa_actor li = tu_as("li");
    char *n = NULL;
    now_ms = t;
    OK(capa_case_open(&n, st, &li, kv, 6));
    return n;
}

static void set_sign(const char *n, const char *who, const capa_kv *kv, size_t nkv,
                     const char *meaning)
{
    capa_actor a = tu_as(who);
    if (nkv)
        OK(capa_case_set(st, n, &a, kv, nkv, NULL));
    capa_actor s = tu_as(strcmp(meaning, "approved") == 0 ? "zhao"
                         : strcmp(meaning, "done") == 0   ? "sun"
                         : strcmp(meaning, "closed") == 0 ||
                                 (strcmp(meaning, "reviewed") == 0 && strcmp(who, "chen") == 0)
                             ? "chen"
                             : "wang");
    OK(capa_case_sign(st, n, &s, meaning));
}

/* Through every stage, each step at `t` (ms), closed at `closed`. */
static void close_at(const char *n, int64_t t, int64_t closed, const char *satisfaction)
{
    capa_kv in[] = {{"validity", "valid"}};
    capa_kv an[] = {{"five_why.1.why", "w"},       {"five_why.1.because", "b"},
                    {"category_6m", "method"},     {"root_cause_occurrence", "o"},
                    {"root_cause_escape", "e"}};
    capa_kv ac[] = {{"corrective_actions.1.action", "c"}, {"corrective_actions.1.owner", "sun"},
                    {"corrective_actions.1.due", "2026-12-01"},
                    {"preventive_actions.1.action", "p"}, {"preventive_actions.1.owner", "wang"},
                    {"preventive_actions.1.due", "2026-12-01"},
                    TU_D7};
    capa_kv rw[] = {{"disposition", "rework"}};
    capa_kv ve[] = {{"method", "m"}, {"result", "pass"}, {"evidence", "e"}};
    capa_kv ar[] = {{"customer_reply", "r"}, {"lessons_learned", "l"},
                    {"satisfaction", satisfaction}};
    now_ms = t;
    set_sign(n, "wang", in, 1, "reviewed");
    set_sign(n, "chen", an, 5, "reviewed");
    set_sign(n, "wang", ac, 11, "approved");
    set_sign(n, "sun", rw, 1, "done");
    set_sign(n, "wang", ve, 3, "verified");
    now_ms = closed;
    set_sign(n, "wang", ar, satisfaction ? 3 : 2, "closed");
}

static size_t recurs(const char *n)
{
    char **of = NULL;
    size_t k = 0;
    OK(capa_case_recurrence(&of, &k, st, n));
    capa_strings_free(of, k);
    return k;
}

START_TEST(recurrence_window_includes_exactly_n_days_and_not_a_millisecond_more)
{
    int64_t t0 = OCT1 - 200 * DAY;
    char *a = open_at(t0, "P-1", "D-1", "general");
    char *b = open_at(t0 + 180 * DAY, "P-1", "D-1", "general");
    char *c = open_at(t0 + 180 * DAY + 1, "P-1", "D-1", "general");
    char *d = open_at(t0 + 180 * DAY + 2, "P-1", "D-2", "general");
    ck_assert_uint_eq(recurs(a), 0);
    ck_assert_uint_eq(recurs(b), 1); /* a, exactly 180 days before */
    ck_assert_uint_eq(recurs(c), 1); /* b only: a is 180 days and 1 ms before */
    ck_assert_uint_eq(recurs(d), 0); /* another defect code */
    capa_actor ad = tu_as("admin");
    FAILS(capa_config_recurrence_days(st, &ad, 0), CAPA_EINVALID, "1 to 3650");
    FAILS(capa_config_recurrence_days(st, &ad, 3651), CAPA_EINVALID, "1 to 3650");
    OK(capa_config_recurrence_days(st, &ad, 365));
    ck_assert_uint_eq(recurs(c), 2);
    int days = 0;
    OK(capa_store_recurrence_days(st, &days));
    ck_assert_int_eq(days, 365);
    capa_verify_report *r = NULL;
    OK(capa_store_verify(&r, st, NULL));
    ck_assert_msg(r->ok, "verify: %s", r->n_mismatches ? r->mismatches[0].message : "");
    capa_verify_report_free(r);
    free(a), free(b), free(c), free(d);
}
END_TEST

START_TEST(monthly_figures_are_exact_in_the_plant_zone)
{
    /* Sep 30 23:30 local (before the month), Oct 1 00:00 local exactly (in it), Oct 31
     * 23:59:59.999 local (in it), Nov 1 00:00 local (after it). */
    char *p = open_at(OCT1 - 30 * 60000, "P-1", "D-1", "general");
    char *a = open_at(OCT1, "P-2", "D-2", "major");
    char *b = open_at(OCT1 + 2 * H, "P-3", "D-2", "general");
    char *c = open_at(OCT1 + 3 * H, "P-4", "D-3", "general");
    /* Closure limit 240 h (general), 168 h (major). a closes at its due time exactly. */
    close_at(b, OCT1 + 4 * H, OCT1 + 2 * H + 100 * H, NULL);
    close_at(a, OCT1 + 110 * H, OCT1 + 168 * H, "satisfied");
    close_at(p, OCT1 + 168 * H + 10 * 60000, OCT1 + 169 * H, "partly");
    char *d = open_at(OCT1 + 31 * DAY - 1, "P-2", "D-2", "general"); /* last ms of Oct */
    char *e = open_at(OCT1 + 31 * DAY, "P-2", "D-2", "general");     /* Nov 1 00:00 */
    now_ms = OCT1 + 40 * DAY;
    capa_monthly *m = NULL;
    OK(capa_stats_monthly(&m, st, "2026-10", 0));
    ck_assert_str_eq(m->month_text, "2026-10");
    ck_assert_int_eq(m->start, OCT1);
    ck_assert_int_eq(m->end, OCT1 + 31 * DAY);
    ck_assert_int_eq(m->as_of, m->end);
    ck_assert_uint_eq(m->opened, 4); /* a b c d */
    ck_assert_uint_eq(m->closed, 3); /* a b p */
    ck_assert_uint_eq(m->open_at_end, 2); /* c d */
    /* Time to close: a 168 h, b 100 h, p 169.5 h: mean 145.8333, median 168. */
    ck_assert_uint_eq(m->n_time_to_close, 3);
    ck_assert_double_eq_tol(m->ttc_mean_hours, (168 + 100 + 169.5) / 3.0, 1e-9);
    ck_assert_double_eq_tol(m->ttc_median_hours, 168, 1e-9);
    /* Pareto: D-2 3 (a b d), then D-3 1; severity choices all listed. */
    ck_assert_uint_eq(m->by_defect.n, 2);
    ck_assert_str_eq(m->by_defect.v[0].key, "D-2");
    ck_assert_uint_eq(m->by_defect.v[0].count, 3);
    ck_assert_double_eq_tol(m->by_defect.v[0].cumulative_percent, 75.0, 1e-9);
    ck_assert_double_eq_tol(m->by_defect.v[1].cumulative_percent, 100.0, 1e-9);
    ck_assert_uint_eq(capa_stat_find(&m->by_severity, "general")->count, 3);
    ck_assert_uint_eq(capa_stat_find(&m->by_severity, "major")->count, 1);
    ck_assert_uint_eq(capa_stat_find(&m->by_severity, "important")->count, 0);
    /* Closure limits due in October: a (168 h, met exactly at due: on time), b (due Oct 11
     * 02:00, met at 102 h: on time), c (due Oct 11 03:00, not met: late); p's was due Oct 10
     * 23:30 and met at 169.5 h: on time. */
    int k = -1;
    for (size_t i = 0; i < m->n_on_time; i++)
        if (strcmp(m->on_time[i].kind, "closure") == 0)
            k = (int)i;
    ck_assert_int_ge(k, 0);
    ck_assert_uint_eq(m->on_time[k].due, 4);
    ck_assert_uint_eq(m->on_time[k].on_time, 3);
    ck_assert_double_eq_tol(m->on_time[k].rate, 0.75, 1e-12);
    /* Satisfaction of the cases closed in the month; b recorded none. */
    ck_assert_uint_eq(capa_stat_find(&m->satisfaction, "satisfied")->count, 1);
    ck_assert_uint_eq(capa_stat_find(&m->satisfaction, "partly")->count, 1);
    ck_assert_uint_eq(capa_stat_find(&m->satisfaction, "dissatisfied")->count, 0);
    ck_assert_uint_eq(m->satisfaction_unrecorded, 1);
    /* d recurs a and b (same part and defect: only a has P-2 and D-2; b is P-3). */
    ck_assert_uint_eq(m->n_recurrences, 1);
    ck_assert_str_eq(m->recurrences[0].number, d);
    ck_assert_uint_eq(m->recurrences[0].n_of, 1);
    ck_assert_str_eq(m->recurrences[0].of[0], a);
    /* The report's recurrences (from its pass) are capa_case_recurrence's (the indexes). */
    for (size_t i = 0; i < m->n_recurrences; i++) {
        char **of = NULL;
        size_t k = 0;
        OK(capa_case_recurrence(&of, &k, st, m->recurrences[i].number));
        ck_assert_uint_eq(k, m->recurrences[i].n_of);
        for (size_t j = 0; j < k; j++)
            ck_assert_str_eq(of[j], m->recurrences[i].of[j]);
        capa_strings_free(of, k);
    }
    ck_assert_int_eq(m->trend[11].month, 10);
    ck_assert_uint_eq(m->trend[11].opened, 4);
    ck_assert_uint_eq(m->trend[10].opened, 1);
    capa_monthly_free(m);
    /* The month in progress is evaluated as of now. */
    OK(capa_stats_monthly(&m, st, "2026-11", 0));
    ck_assert_uint_eq(m->opened, 1);
    ck_assert_int_eq(m->as_of, now_ms);
    capa_monthly_free(m);
    free(p), free(a), free(b), free(c), free(d), free(e);
}
END_TEST

START_TEST(bad_months_are_refused_naming_the_value_and_the_rule)
{
    capa_monthly *m = NULL;
    now_ms = OCT1 + 5 * DAY;
    FAILS(capa_stats_monthly(&m, st, "2026-13", 0), CAPA_EINVALID, "no month 13");
    ck_assert_ptr_null(m);
    FAILS(capa_stats_monthly(&m, st, "2026-00", 0), CAPA_EINVALID, "months are 01 to 12");
    FAILS(capa_stats_monthly(&m, st, "2026-1", 0), CAPA_EINVALID, "not a month YYYY-MM");
    FAILS(capa_stats_monthly(&m, st, "２０２６-10", 0), CAPA_EINVALID, "not a month YYYY-MM");
    FAILS(capa_stats_monthly(&m, st, "2026-10x", 0), CAPA_EINVALID, "not a month YYYY-MM");
    FAILS(capa_stats_monthly(&m, st, NULL, 0), CAPA_EINVALID, "not a month YYYY-MM");
    FAILS(capa_stats_monthly(&m, st, "1969-12", 0), CAPA_EINVALID, "before 1970");
    FAILS(capa_stats_monthly(&m, st, "2026-11", 0), CAPA_EINVALID, "has not begun");
    OK(capa_stats_monthly(&m, st, "2026-10", 0));
    ck_assert_int_eq(m->as_of, now_ms);
    ck_assert_uint_eq(m->opened, 0);
    ck_assert_double_eq(m->on_time_overall, -1);
    capa_monthly_free(m);
}
END_TEST

/* ---- the fast paths against the straightforward computation ---- */

/* An imported legacy record opened (and closed, when closed_at) at the given times. */
static void import_at(const char *customer, const char *part, const char *defect, int64_t opened,
                      int64_t closed_at, uint64_t row)
{
    capa_kv kv[] = {{"customer", customer},
                    {"part_no", part},
                    {"defect_code", defect},
                    {"severity", "general"},
                    {"description", "旧记录 legacy row"}};
    capa_import_facts f = {.opened = opened,
                           .closed_at = closed_at,
                           .source = "old.csv",
                           .sha256 = "0123456789abcdef0123456789abcdef"
                                     "0123456789abcdef0123456789abcdef",
                           .row = row};
    capa_request rq = {
        .op = CAPA_OP_IMPORT, .who = tu_as("admin"), .values = kv, .n_values = 5, .import = &f};
    int rc = capa_submit(st, &rq, 1);
    ck_assert_msg(rc == CAPA_OK && rq.result == CAPA_OK, "import: %s",
                  rq.error ? rq.error : capa_error_last());
    capa_request_clear(&rq);
}

/* Cases on both sides of the month boundaries of the plant's zone (Asia/Shanghai), of three
 * customers, closed in different months, one sent round again, imported ones open and
 * closed, so every breakdown, list and limit has more than one kind of case in it. */
static void varied_store(void)
{
    static const char *cust[] = {"华东汽车", "Acme GmbH", "华东汽车二厂"};
    static const char *sev[] = {"general", "major", "general", "important"};
    char part[16], defect[16];
    char *n[40];
    for (int i = 0; i < 40; i++) {
        int64_t t = i == 0   ? OCT1 - 1
                    : i == 1 ? OCT1
                    : i == 2 ? OCT1 + 31 * DAY - 1
                    : i == 3 ? OCT1 + 31 * DAY
                             : OCT1 - 20 * DAY + (int64_t)i * 29 * H + i * 7919;
        snprintf(part, sizeof part, "P-%d", i % 5);
        snprintf(defect, sizeof defect, "D-%d", i % 3);
        capa_kv kv[] = {{"customer", cust[i % 3]}, {"part_no", part},    {"defect_code", defect},
                        {"severity", sev[i % 4]},  {"description", "x"}, {"containment", "隔离"}};
        capa_actor li = tu_as("li");
        now_ms = t;
        OK(capa_case_open(&n[i], st, &li, kv, 6));
    }
    /* Closed: some in the month they opened, some in the next; one dissatisfied (round 2). */
    for (int i = 4; i < 40; i += 3)
        close_at(n[i], OCT1 + (int64_t)i * 30 * H, OCT1 + (int64_t)i * 31 * H + 12345,
                 i % 2 ? "satisfied" : NULL);
    close_at(n[5], OCT1 + 200 * H, OCT1 + 210 * H, "dissatisfied");
    /* Some only part of the way (response signed, analysis open). */
    for (int i = 6; i < 40; i += 5) {
        if (i % 3 == 1)
            continue; /* closed above */
        capa_kv in[] = {{"validity", "valid"}};
        now_ms = OCT1 + (int64_t)i * 20 * H;
        set_sign(n[i], "wang", in, 1, "reviewed");
    }
    now_ms = OCT1 + 45 * DAY; /* imported afterwards, with their recorded dates */
    import_at("Acme GmbH", "P-1", "D-1", OCT1 + 3 * DAY, 0, 2);
    import_at("华东汽车", "P-2", "D-2", OCT1 - 3 * DAY, OCT1 + 2 * DAY, 3);
    import_at("华东汽车", "P-1", "D-1", OCT1 + 30 * DAY, OCT1 + 31 * DAY + 5, 4);
    for (int i = 0; i < 40; i++)
        free(n[i]);
    now_ms = OCT1 + 45 * DAY;
}

static void same_counts(const capa_stat_counts *a, const capa_stat_counts *b, const char *what)
{
    ck_assert_msg(a->n == b->n && a->total == b->total, "%s: %zu/%zu entries", what, a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        ck_assert_str_eq(a->v[i].key, b->v[i].key);
        ck_assert_uint_eq(a->v[i].count, b->v[i].count);
        ck_assert_msg(a->v[i].cumulative_percent == b->v[i].cumulative_percent, "%s", what);
    }
}

/* Every figure of two reports, exactly (doubles too: the parts add up in id order). */
static void same_report(const capa_monthly *a, const capa_monthly *b)
{
    ck_assert_int_eq(a->start, b->start);
    ck_assert_int_eq(a->end, b->end);
    ck_assert_int_eq(a->as_of, b->as_of);
    ck_assert_uint_eq(a->opened, b->opened);
    ck_assert_uint_eq(a->closed, b->closed);
    ck_assert_uint_eq(a->open_at_end, b->open_at_end);
    const capa_stat_counts *ca[] = {&a->by_severity, &a->by_channel,  &a->by_complaint_type,
                                    &a->by_customer, &a->by_part,     &a->by_defect,
                                    &a->by_dept,     &a->by_validity, &a->satisfaction};
    const capa_stat_counts *cb[] = {&b->by_severity, &b->by_channel,  &b->by_complaint_type,
                                    &b->by_customer, &b->by_part,     &b->by_defect,
                                    &b->by_dept,     &b->by_validity, &b->satisfaction};
    for (size_t i = 0; i < 9; i++)
        same_counts(ca[i], cb[i], "breakdown");
    ck_assert_uint_eq(a->n_time_to_close, b->n_time_to_close);
    ck_assert(a->ttc_mean_hours == b->ttc_mean_hours);
    ck_assert(a->ttc_median_hours == b->ttc_median_hours);
    ck_assert_uint_eq(a->n_on_time, b->n_on_time);
    for (size_t i = 0; i < a->n_on_time; i++) {
        ck_assert_str_eq(a->on_time[i].kind, b->on_time[i].kind);
        ck_assert_uint_eq(a->on_time[i].due, b->on_time[i].due);
        ck_assert_uint_eq(a->on_time[i].on_time, b->on_time[i].on_time);
        ck_assert(a->on_time[i].rate == b->on_time[i].rate);
    }
    ck_assert_uint_eq(a->on_time_due, b->on_time_due);
    ck_assert_uint_eq(a->on_time_met, b->on_time_met);
    ck_assert(a->on_time_overall == b->on_time_overall);
    ck_assert_uint_eq(a->n_overdue, b->n_overdue);
    for (size_t i = 0; i < a->n_overdue; i++) {
        ck_assert_str_eq(a->overdue[i].number, b->overdue[i].number);
        ck_assert_str_eq(a->overdue[i].kind, b->overdue[i].kind);
        ck_assert_int_eq(a->overdue[i].due, b->overdue[i].due);
        ck_assert_int_eq(a->overdue[i].late_ms, b->overdue[i].late_ms);
    }
    ck_assert_uint_eq(a->satisfaction_unrecorded, b->satisfaction_unrecorded);
    ck_assert_uint_eq(a->second_rounds, b->second_rounds);
    ck_assert(a->second_round_rate == b->second_round_rate);
    ck_assert_uint_eq(a->returns_decided, b->returns_decided);
    ck_assert_uint_eq(a->ntf, b->ntf);
    ck_assert_uint_eq(a->n_ntf_cases, b->n_ntf_cases);
    for (size_t i = 0; i < a->n_ntf_cases; i++)
        ck_assert_str_eq(a->ntf_cases[i], b->ntf_cases[i]);
    ck_assert_uint_eq(a->n_recurrences, b->n_recurrences);
    for (size_t i = 0; i < a->n_recurrences; i++) {
        const capa_stat_recurrence *x = &a->recurrences[i], *y = &b->recurrences[i];
        ck_assert_str_eq(x->number, y->number);
        ck_assert_str_eq(x->part_no, y->part_no);
        ck_assert_str_eq(x->defect_code, y->defect_code);
        ck_assert_uint_eq(x->n_of, y->n_of);
        for (size_t j = 0; j < x->n_of; j++)
            ck_assert_str_eq(x->of[j], y->of[j]);
    }
    for (int i = 0; i < 12; i++) {
        ck_assert_str_eq(a->trend[i].label, b->trend[i].label);
        ck_assert_uint_eq(a->trend[i].opened, b->trend[i].opened);
        ck_assert_uint_eq(a->trend[i].closed, b->trend[i].closed);
    }
}

START_TEST(report_read_in_parts_equals_one_pass_in_id_order)
{
    varied_store();
    static const struct {
        capa_period_kind kind;
        const char *a, *b;
    } periods[] = {{CAPA_PERIOD_MONTH, "2026-09", NULL},
                   {CAPA_PERIOD_MONTH, "2026-10", NULL},
                   {CAPA_PERIOD_MONTH, "2026-11", NULL},
                   {CAPA_PERIOD_WEEK, "2026-W40", NULL},
                   {CAPA_PERIOD_RANGE, "2026-09-30", "2026-11-01"}};
    /* At the month's end and in the middle of October (cases not opened yet then). */
    int64_t ats[] = {0, OCT1 + 12 * DAY + 5 * H};
    for (size_t i = 0; i < sizeof periods / sizeof *periods; i++)
        for (size_t j = 0; j < 2; j++) {
            if (ats[j] && strcmp(periods[i].a, "2026-11") == 0)
                continue; /* not begun by then */
            capa_monthly *one = NULL;
            OK(capa_stats__period_parts(&one, st, periods[i].kind, periods[i].a, periods[i].b,
                                        ats[j], 1));
            ck_assert_uint_gt(one->opened + one->closed + one->open_at_end, 0);
            for (size_t parts = 2; parts <= CAPA_STATS_MAX_PARTS; parts++) {
                capa_monthly *m = NULL;
                OK(capa_stats__period_parts(&m, st, periods[i].kind, periods[i].a, periods[i].b,
                                            ats[j], parts));
                same_report(one, m);
                capa_monthly_free(m);
            }
            capa_monthly_free(one);
        }
    /* The store really has what the comparison is meant to cover. */
    capa_monthly *m = NULL;
    OK(capa_stats_monthly(&m, st, "2026-10", 0));
    ck_assert_uint_gt(m->closed, 3);
    ck_assert_uint_gt(m->open_at_end, 3);
    ck_assert_uint_eq(m->second_rounds, 1);
    ck_assert_uint_gt(m->n_recurrences, 0);
    ck_assert_uint_gt(m->n_overdue, 0);
    capa_monthly_free(m);
}
END_TEST

static int by_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The recurrences of many groups, the way a large report finds them (notes sorted by key
 * hash, the groups cut in two halves by it, each half sorted by number, the halves merged):
 * each is capa_case_recurrence's, they come in strcmp order of their numbers, and reading in
 * parts changes nothing. The numbers share their first 16 bytes and run past them (the sort
 * then compares whole numbers); part numbers longer than a note keeps inline (16 bytes)
 * are compared in the notes' pool; cases opened in one millisecond are told apart by id. */
START_TEST(report_recurrences_of_many_groups_are_capa_case_recurrence_s_in_number_order)
{
    capa_store_close(st);
    tu_rmtree(dir);
    free(dir);
    dir = tu_mkdtemp();
    capa_open_opts o = {.create = 1, .map_size = 64 << 20, .kdf_log2n = 8};
    o.clock = clock_fn;
    now_ms = OCT1 - 60 * DAY;
    ck_assert_int_eq(capa_store_open(&st, dir, &o), CAPA_OK);
    capa_init_opts io = {.org = "厂",
                         .admin_password = TU_PW,
                         .timezone = "Asia/Shanghai",
                         .number_pattern = "QC-NORTH-PLANT-{YYYY}-{NNNN}"};
    OK(capa_store_init(st, &io));
    capa_actor a = tu_as("admin");
    OK(capa_user_add(st, &a, "li", "intake", "li", "部门", TU_PW));
    enum { BATCH = 50, BATCHES = 12 };
    static const char *const parts[] = {"P-1",
                                        "P-2",
                                        "PCB-MAINBOARD-REV-C-0001",
                                        "PCB-MAINBOARD-REV-C-0002",
                                        "PCB-MAINBOARD-REV-C-00",
                                        "HOUSING-L-0003"};
    static const char *const defects[] = {"D-1", "D-2", "SOLDER-BRIDGE-LONG-07"};
    char part[BATCH][64], defect[BATCH][64];
    capa_kv kv[BATCH][5];
    capa_request rq[BATCH];
    uint64_t mix = 88172645463325252ULL;
    /* Two batches in September (in the 180-day window), the rest in October; within a batch
     * every case is opened in the same millisecond. */
    for (int b = 0; b < BATCHES; b++) {
        now_ms = (b < 2 ? OCT1 - 20 * DAY : OCT1 + 3 * DAY) + (b % 5) * H;
        memset(rq, 0, sizeof rq);
        for (int i = 0; i < BATCH; i++) {
            mix ^= mix << 13, mix ^= mix >> 7, mix ^= mix << 17;
            snprintf(part[i], sizeof part[i], "%s", parts[mix % 6]);
            snprintf(defect[i], sizeof defect[i], "%s", defects[(mix >> 8) % 3]);
            kv[i][0] = (capa_kv){"customer", "华东汽车"};
            kv[i][1] = (capa_kv){"part_no", part[i]};
            kv[i][2] = (capa_kv){"defect_code", defect[i]};
            kv[i][3] = (capa_kv){"severity", "general"};
            kv[i][4] = (capa_kv){"description", "x"};
            rq[i] = (capa_request){
                .op = CAPA_OP_OPEN, .who = tu_as("li"), .values = kv[i], .n_values = 5};
        }
        OK(capa_submit(st, rq, BATCH));
        for (int i = 0; i < BATCH; i++)
            capa_request_clear(&rq[i]);
    }
    now_ms = OCT1 + 40 * DAY;
    capa_monthly *one = NULL;
    OK(capa_stats__period_parts(&one, st, CAPA_PERIOD_MONTH, "2026-10", NULL, 0, 1));
    ck_assert_uint_eq(one->opened, (BATCHES - 2) * BATCH);
    /* Every October case recurs (18 groups, 100 September cases): some of the long keys. */
    ck_assert_uint_eq(one->n_recurrences, (BATCHES - 2) * BATCH);
    size_t long_part = 0, many = 0;
    for (size_t i = 0; i < one->n_recurrences; i++) {
        const capa_stat_recurrence *x = &one->recurrences[i];
        ck_assert_uint_gt(strlen(x->number), 16);
        if (i)
            ck_assert_int_lt(strcmp(one->recurrences[i - 1].number, x->number), 0);
        long_part += strlen(x->part_no) > 16;
        many += x->n_of > 1;
        /* The same cases (capa_case_recurrence lists them by id, the report by opening: the
         * batches here are not opened in id order). */
        char **of = NULL, **mine = NULL;
        size_t k = 0;
        OK(capa_case_recurrence(&of, &k, st, x->number));
        ck_assert_uint_eq(k, x->n_of);
        ck_assert_ptr_nonnull(mine = malloc(k * sizeof *mine));
        memcpy(mine, x->of, k * sizeof *mine);
        qsort(of, k, sizeof *of, by_text);
        qsort(mine, k, sizeof *mine, by_text);
        for (size_t j = 0; j < k; j++)
            ck_assert_str_eq(of[j], mine[j]);
        free(mine);
        capa_strings_free(of, k);
        capa_case *c = NULL;
        OK(capa_case_get(&c, st, x->number));
        ck_assert_str_eq(capa_case_value(c, "intake", "part_no"), x->part_no);
        ck_assert_str_eq(capa_case_value(c, "intake", "defect_code"), x->defect_code);
        capa_case_free(c);
    }
    ck_assert_uint_gt(long_part, 100);
    ck_assert_uint_gt(many, 100);
    for (size_t parts = 2; parts <= CAPA_STATS_MAX_PARTS; parts++) {
        capa_monthly *m = NULL;
        OK(capa_stats__period_parts(&m, st, CAPA_PERIOD_MONTH, "2026-10", NULL, 0, parts));
        same_report(one, m);
        capa_monthly_free(m);
    }
    capa_monthly_free(one);
}
END_TEST

/* A list row, copied. */
typedef struct row {
    char *s[9]; /* number stage customer part lot defect severity description subject */
    char *workflow, *origin;
    int closed, round;
    int64_t opened, closed_at, stage_entered;
} row;

typedef struct rows {
    row *v;
    size_t n, cap;
} rows;

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int collect(const capa_case_header *h, void *payload)
{
    rows *r = payload;
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 64;
        r->v = realloc(r->v, r->cap * sizeof *r->v);
    }
    const char *f[9] = {h->number,      h->stage,    h->customer,    h->part_no,       h->lot_no,
                        h->defect_code, h->severity, h->description, h->subject_person};
    row *x = &r->v[r->n++];
    for (int i = 0; i < 9; i++)
        x->s[i] = dup_or_null(f[i]);
    x->workflow = dup_or_null(h->workflow);
    x->origin = dup_or_null(h->origin);
    x->closed = h->closed, x->round = h->round;
    x->opened = h->opened, x->closed_at = h->closed_at, x->stage_entered = h->stage_entered;
    return 0;
}

static void rows_clear(rows *r)
{
    for (size_t i = 0; i < r->n; i++) {
        for (int j = 0; j < 9; j++)
            free(r->v[i].s[j]);
        free(r->v[i].workflow);
        free(r->v[i].origin);
    }
    free(r->v);
    memset(r, 0, sizeof *r);
}

static int str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The report's header read (capa_hdr__decode_stats): the fields the report counts are what
 * the whole decode gives, the free text and open limits are passed over, and a malformed
 * record is refused as the whole decode refuses it. */
START_TEST(report_header_read_picks_its_fields_and_refuses_what_decode_refuses)
{
    char long_customer[40];
    memset(long_customer, 'c', sizeof long_customer - 1); /* past one sixteen-byte load */
    long_customer[sizeof long_customer - 1] = 0;
    capa_hdr_limit lim[2] = {{0, 1, OCT1 + DAY, OCT1}, {3, 0, OCT1 + 9 * DAY, OCT1 + 8 * DAY}};
    capa_hdr h = {.id = 77,
                  .number = "QC-2026-0077",
                  .stage = "analysis",
                  .closed = 1,
                  .opened = OCT1,
                  .closed_at = OCT1 + 5 * DAY,
                  .stage_entered = OCT1 + DAY,
                  .opened_by = "li",
                  .customer = long_customer,
                  .part_no = "P-1234567890123456",
                  .lot_no = "L-9",
                  .defect_code = "D-12345678901234", /* sixteen bytes exactly */
                  .severity = "major",
                  .description = "焊点连锡 / solder bridge, a description longer than sixteen",
                  .subject_person = "wang",
                  .channel = "written",
                  .complaint_type = "quality",
                  .validity = "valid",
                  .responsible_dept = "生产部",
                  .satisfaction = "",
                  .response_at = OCT1 + H,
                  .containment_at = OCT1 + 2 * H,
                  .plan_at = OCT1 + 3 * H,
                  .origin = "Other Co.",
                  .met = 5,
                  .limits = lim,
                  .n_limits = 2,
                  .workflow = "scar",
                  .round = 2,
                  .round_at = OCT1 + 4 * DAY};
    void *buf = NULL;
    size_t len = 0;
    OK(capa_hdr__encode(&h, &buf, &len));
    capa_hdr a, b;
    char arena[512];
    OK(capa_hdr__decode(&a, buf, len));
    OK(capa_hdr__decode_stats(&b, buf, len, arena, sizeof arena));
    char *want[] = {a.number,       a.stage,   a.customer,       a.part_no,  a.defect_code,
                    a.severity,     a.channel, a.complaint_type, a.validity, a.responsible_dept,
                    a.satisfaction, a.workflow};
    char *got[] = {b.number,       b.stage,   b.customer,       b.part_no,  b.defect_code,
                   b.severity,     b.channel, b.complaint_type, b.validity, b.responsible_dept,
                   b.satisfaction, b.workflow};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        ck_assert_msg(want[i] && got[i] && strcmp(want[i], got[i]) == 0, "field %zu", i);
    ck_assert_ptr_null(b.opened_by);
    ck_assert_ptr_null(b.lot_no);
    ck_assert_ptr_null(b.description);
    ck_assert_ptr_null(b.subject_person);
    ck_assert_ptr_null(b.origin);
    ck_assert_ptr_null(b.limits);
    ck_assert_uint_eq(b.n_limits, 0);
    ck_assert_uint_eq(b.id, a.id);
    ck_assert_int_eq(b.closed, a.closed);
    ck_assert_int_eq(b.opened, a.opened);
    ck_assert_int_eq(b.closed_at, a.closed_at);
    ck_assert_int_eq(b.stage_entered, a.stage_entered);
    ck_assert_int_eq(b.response_at, a.response_at);
    ck_assert_int_eq(b.containment_at, a.containment_at);
    ck_assert_int_eq(b.plan_at, a.plan_at);
    ck_assert_uint_eq(b.met, a.met);
    ck_assert_int_eq(b.round, a.round);
    ck_assert_int_eq(b.round_at, a.round_at);
    capa_hdr_clear(&a);
    /* Too small an arena: said quietly, for the caller's fallback. */
    ck_assert_int_eq(capa_hdr__decode_stats(&b, buf, len, arena, 20), CAPA_ENOMEM);
    /* Cut short anywhere, or one byte too many: refused. */
    for (size_t cut = 0; cut < len; cut++) {
        int whole = capa_hdr__decode(&a, buf, cut);
        if (whole == CAPA_OK)
            capa_hdr_clear(&a);
        if (whole != CAPA_OK) /* a cut at a part's end is a shorter valid header */
            ck_assert_msg(capa_hdr__decode_stats(&b, buf, cut, arena, sizeof arena) ==
                              CAPA_ECORRUPT,
                          "cut at %zu of %zu", cut, len);
    }
    unsigned char *more = malloc(len + 1);
    memcpy(more, buf, len);
    more[len] = 0;
    ck_assert_int_eq(capa_hdr__decode_stats(&b, more, len + 1, arena, sizeof arena), CAPA_ECORRUPT);
    /* A NUL inside a string the report reads, short or long: refused. */
    const char *in[] = {"P-1234567890123456", long_customer, "D-12345678901234", "major", "生产部"};
    for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
        memcpy(more, buf, len);
        size_t n = strlen(in[i]), k = 0;
        while (k + n <= len && memcmp(more + k, in[i], n) != 0)
            k++;
        ck_assert_uint_le(k + n, len);
        more[k + n - 1] = 0;
        ck_assert_int_eq(capa_hdr__decode_stats(&b, more, len, arena, sizeof arena), CAPA_ECORRUPT);
    }
    free(more);
    free(buf);
}
END_TEST

START_TEST(scan_in_parts_lists_what_capa_case_list_lists)
{
    varied_store();
    capa__scan_part_min = 1; /* cut the small store into parts all the same */
    capa_filter fs[] = {
        {.closed = -1},
        {.closed = 0},
        {.closed = 1},
        {.customer = "华东汽车", .closed = 0},
        {.customer = "Acme GmbH", .closed = -1},
        {.customer = "nobody", .closed = -1},
        {.customer = "", .closed = -1},
        {.part_no = "P-1", .closed = -1},
        {.defect_code = "D-2", .closed = 1},
        {.stage = "analysis", .closed = -1},
        {.opened_from = OCT1, .opened_to = OCT1 + 31 * DAY, .closed = -1}, /* October, local */
        {.opened_from = OCT1 - 1, .opened_to = OCT1 + 1, .closed = -1},
        {.opened_to = OCT1, .closed = 0},
        {.workflow = "complaint", .closed = -1},
        {.customer = "华东汽车", .opened_from = OCT1, .closed = -1},
    };
    for (size_t i = 0; i < sizeof fs / sizeof *fs; i++) {
        rows want = {0};
        OK(capa_case_list(st, &fs[i], collect, &want));
        for (size_t parts = 1; parts <= CAPA_SCAN_MAX_PARTS; parts++)
            for (unsigned lead = 0; lead < 2; lead++) {
                rows got[CAPA_SCAN_MAX_PARTS];
                void *pl[CAPA_SCAN_MAX_PARTS];
                memset(got, 0, sizeof got);
                for (size_t p = 0; p < parts; p++)
                    pl[p] = &got[p];
                OK(capa_case_scan(st, &fs[i], lead ? CAPA_SCAN_LEAD : 0, parts, collect, pl));
                /* The parts, one after another, are the list. */
                size_t k = 0;
                for (size_t p = 0; p < parts; p++)
                    for (size_t j = 0; j < got[p].n; j++, k++) {
                        ck_assert_msg(k < want.n, "filter %zu: more rows than the list", i);
                        const row *a = &want.v[k], *b = &got[p].v[j];
                        int lead_only = lead && !fs[i].workflow;
                        for (int f = 0; f < 9; f++) {
                            int in_lead = f <= 6; /* number .. severity */
                            ck_assert_msg(lead_only && !in_lead ? !b->s[f]
                                                                : str_eq(a->s[f], b->s[f]),
                                          "filter %zu, parts %zu, lead %u, row %zu, field %d", i,
                                          parts, lead, k, f);
                        }
                        ck_assert_int_eq(a->closed, b->closed);
                        ck_assert_int_eq(a->opened, b->opened);
                        ck_assert_int_eq(a->closed_at, b->closed_at);
                        ck_assert_int_eq(a->stage_entered, b->stage_entered);
                        if (lead_only) {
                            ck_assert_ptr_null(b->workflow);
                            ck_assert_ptr_null(b->origin);
                            ck_assert_int_eq(b->round, 0);
                        } else {
                            ck_assert(str_eq(a->workflow, b->workflow));
                            ck_assert(str_eq(a->origin, b->origin));
                            ck_assert_int_eq(a->round, b->round);
                        }
                    }
                ck_assert_msg(k == want.n, "filter %zu, parts %zu: %zu rows, the list %zu", i,
                              parts, k, want.n);
                for (size_t p = 0; p < parts; p++)
                    rows_clear(&got[p]);
            }
        rows_clear(&want);
    }
    /* What the filters cover: open, closed, a second round. */
    rows all = {0};
    capa_filter any = {.closed = -1};
    OK(capa_case_list(st, &any, collect, &all));
    int closed = 0, open = 0, round2 = 0;
    for (size_t i = 0; i < all.n; i++) {
        closed += all.v[i].closed;
        open += !all.v[i].closed;
        round2 += all.v[i].round == 2;
    }
    ck_assert_int_gt(closed, 5);
    ck_assert_int_gt(open, 5);
    ck_assert_int_eq(round2, 1);
    rows_clear(&all);
    void *pl[1] = {&all};
    FAILS(capa_case_scan(st, &any, 0, 0, collect, pl), CAPA_EINVALID, "1 to");
    FAILS(capa_case_scan(st, &any, 0, CAPA_SCAN_MAX_PARTS + 1, collect, pl), CAPA_EINVALID, "1 to");
}
END_TEST

Suite *capa_stats_suite(void)
{
    Suite *s = suite_create("stats");
    TCase *tc = tcase_create("stats");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, recurrence_window_includes_exactly_n_days_and_not_a_millisecond_more);
    tcase_add_test(tc, monthly_figures_are_exact_in_the_plant_zone);
    tcase_add_test(tc, bad_months_are_refused_naming_the_value_and_the_rule);
    tcase_add_test(tc, report_read_in_parts_equals_one_pass_in_id_order);
    tcase_add_test(tc,
                   report_recurrences_of_many_groups_are_capa_case_recurrence_s_in_number_order);
    tcase_add_test(tc, scan_in_parts_lists_what_capa_case_list_lists);
    tcase_add_test(tc, report_header_read_picks_its_fields_and_refuses_what_decode_refuses);
    suite_add_tcase(s, tc);
    return s;
}
