/*
 * check_stats.c - recurrence (再发) and the monthly report's figures (capa_stats_monthly)
 * with a store clock the test sets to the millisecond: the window's edges, months in the
 * plant's zone, the mean and median of time to close, a limit met exactly at its due time,
 * Pareto order with ties, and the month's input rules.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "capa.h"
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

Suite *capa_stats_suite(void)
{
    Suite *s = suite_create("stats");
    TCase *tc = tcase_create("stats");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, recurrence_window_includes_exactly_n_days_and_not_a_millisecond_more);
    tcase_add_test(tc, monthly_figures_are_exact_in_the_plant_zone);
    tcase_add_test(tc, bad_months_are_refused_naming_the_value_and_the_rule);
    suite_add_tcase(s, tc);
    return s;
}
