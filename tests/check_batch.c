/*
 * check_batch.c - group commit (capa_submit): many threads submitting at once, good and bad
 * requests mixed; each request gets its own result, bad ones fail alone, every good one is
 * durable with its own audit event, and the chain verifies.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static char *dir;
static capa_store *s;

static void setup(void)
{
    s = tu_store(&dir, 1);
}

static void teardown(void)
{
    capa_store_close(s);
    tu_rmtree(dir);
    free(dir);
}

/* The walk's intake values, with a distinct lot number. */
static const capa_kv *intake(capa_kv kv[10], char *lot)
{
    const capa_kv base[10] = {
        {"customer", "华东汽车"},         {"channel", "written"},    {"complaint_type", "quality"},
        {"part_no", "PCB-7731"},          {"lot_no", lot},           {"qty_affected", "120"},
        {"defect_code", "SOLDER-BRIDGE"}, {"severity", "important"}, {"responsible_dept", "生产部"},
        {"description", "焊点连锡"},
    };
    memcpy(kv, base, sizeof base);
    return kv;
}

START_TEST(one_bad_request_fails_alone)
{
    capa_kv kv[3][10];
    char lots[3][16] = {"L-1", "L-2", "L-3"};
    capa_kv bad_qty = {"qty_affected", "many"};
    capa_request rq[4] = {0};
    for (int i = 0; i < 3; i++) {
        rq[i].op = CAPA_OP_OPEN;
        rq[i].who = tu_as("li");
        rq[i].values = intake(kv[i], lots[i]);
        rq[i].n_values = 10;
    }
    kv[1][5] = bad_qty; /* the middle one breaks a rule */
    rq[3] = (capa_request){
        .op = CAPA_OP_OPEN, .who = {"li", "wrong-password"}, .values = kv[0], .n_values = 10};
    uint64_t before = tu_events(s);
    int rc = capa_submit(s, rq, 4);
    ck_assert_int_eq(rc, CAPA_EINVALID); /* the first failure */
    ck_assert_int_eq(rq[0].result, CAPA_OK);
    ck_assert_int_eq(rq[1].result, CAPA_EINVALID);
    ck_assert_ptr_nonnull(strstr(rq[1].error, "qty_affected"));
    ck_assert_ptr_null(rq[1].number_out);
    ck_assert_int_eq(rq[2].result, CAPA_OK);
    ck_assert_int_eq(rq[3].result, CAPA_EAUTH);
    ck_assert_str_ne(rq[0].number_out, rq[2].number_out);
    /* Two cases, two open events, plus the audited wrong password. */
    ck_assert_uint_eq(tu_events(s), before + 3);
    capa_case *c = NULL;
    ck_assert_int_eq(capa_case_get(&c, s, rq[2].number_out), CAPA_OK);
    ck_assert_str_eq(capa_case_value(c, "intake", "lot_no"), "L-3");
    capa_case_free(c);
    for (int i = 0; i < 4; i++)
        capa_request_clear(&rq[i]);
    char head[65];
    uint64_t bad = 0;
    ck_assert_int_eq(capa_audit_verify(s, head, &bad), CAPA_OK);
}
END_TEST

START_TEST(set_sign_reject_through_submit)
{
    char *num = tu_open_case(s, NULL);
    capa_kv v[2] = {{"validity", "valid"}, {"containment", "库存隔离"}};
    capa_request rq[3] = {
        {.op = CAPA_OP_SET, .who = tu_as("wang"), .number = num, .values = v, .n_values = 2},
        {.op = CAPA_OP_SIGN, .who = tu_as("wang"), .number = num, .meaning = "reviewed"},
        {.op = CAPA_OP_REJECT, .who = tu_as("chen"), .number = num, .reason = " "},
    };
    ck_assert_int_eq(capa_submit(s, rq, 3), CAPA_EINVALID);
    ck_assert_int_eq(rq[0].result, CAPA_OK);
    ck_assert_int_eq(rq[1].result, CAPA_OK); /* sees the set committed before it */
    ck_assert_int_eq(rq[2].result, CAPA_EINVALID);
    capa_case *c = NULL;
    ck_assert_int_eq(capa_case_get(&c, s, num), CAPA_OK);
    ck_assert_str_eq(c->stage, "analysis");
    capa_case_free(c);
    for (int i = 0; i < 3; i++)
        capa_request_clear(&rq[i]);
    capa__free(num);
}
END_TEST

START_TEST(a_sign_off_covers_exactly_the_data_shown)
{
    char *num = tu_open_case(s, NULL);
    capa_kv v[2] = {{"validity", "valid"}, {"containment", "库存隔离"}};
    capa_actor wang = tu_as("wang");
    OK(capa_case_set(s, num, &wang, v, 2, NULL));
    capa_case *c = NULL;
    char shown[65], now[65];
    OK(capa_case_get(&c, s, num));
    OK(capa_case_data_hash(shown, c, "intake"));
    ck_assert_uint_eq(strlen(shown), 64);
    FAILS(capa_case_data_hash(now, c, "nosuch"), CAPA_ENOTFOUND, "nosuch");
    capa_case_free(c);
    /* Someone changes the stage after the dialog was shown: the sign-off is refused. */
    capa_kv v2 = {"containment", "全检"};
    OK(capa_case_set(s, num, &wang, &v2, 1, NULL));
    uint64_t before = tu_events(s);
    capa_request rq = {.op = CAPA_OP_SIGN, .who = wang, .number = num, .meaning = "reviewed",
                       .data_hash = shown};
    ck_assert_int_eq(capa_submit(s, &rq, 1), CAPA_ESTATE);
    ck_assert_ptr_nonnull(strstr(rq.error, "changed since it was shown"));
    capa_request_clear(&rq);
    ck_assert_uint_eq(tu_events(s), before);
    capa_request rj = {.op = CAPA_OP_REJECT, .who = tu_as("chen"), .number = num,
                       .reason = "x", .data_hash = shown};
    capa_submit(s, &rj, 1);
    ck_assert_int_ne(rj.result, CAPA_OK);
    capa_request_clear(&rj);
    /* Shown again: signed, and the signature records that very hash. */
    OK(capa_case_get(&c, s, num));
    OK(capa_case_data_hash(now, c, "intake"));
    capa_case_free(c);
    ck_assert_str_ne(now, shown);
    rq.data_hash = now;
    OK(capa_submit(s, &rq, 1));
    capa_request_clear(&rq);
    OK(capa_case_get(&c, s, num));
    ck_assert_uint_eq(c->n_signatures, 1);
    ck_assert_str_eq(c->signatures[0].data_hash, now);
    ck_assert_str_eq(c->stage, "analysis");
    capa_case_free(c);
    capa__free(num);
}
END_TEST

START_TEST(of_two_edits_from_one_view_one_wins_and_the_other_is_refused)
{
    char *num = tu_open_case(s, NULL);
    capa_case *c = NULL;
    char seen[65];
    OK(capa_case_get(&c, s, num));
    OK(capa_case_data_hash(seen, c, "intake"));
    capa_case_free(c);
    capa_kv a = {"containment", "库存隔离"}, b = {"containment", "全检"};
    capa_request rq[2] = {
        {.op = CAPA_OP_SET, .who = tu_as("wang"), .number = num, .values = &a, .n_values = 1,
         .data_hash = seen},
        {.op = CAPA_OP_SET, .who = tu_as("li"), .number = num, .values = &b, .n_values = 1,
         .data_hash = seen},
    };
    uint64_t before = tu_events(s);
    ck_assert_int_eq(capa_submit(s, rq, 2), CAPA_ESTATE); /* one batch: the second sees the first */
    ck_assert_int_eq(rq[0].result, CAPA_OK);
    ck_assert_int_eq(rq[1].result, CAPA_ESTATE);
    ck_assert_ptr_nonnull(strstr(rq[1].error, "changed since it was shown"));
    ck_assert_uint_eq(tu_events(s), before + 1);
    OK(capa_case_get(&c, s, num));
    ck_assert_str_eq(capa_case_value(c, "intake", "containment"), "库存隔离");
    capa_case_free(c);
    for (int i = 0; i < 2; i++)
        capa_request_clear(&rq[i]);
    capa__free(num);
}
END_TEST

#define THREADS 16
#define PER_THREAD 20

typedef struct worker {
    int id, ok, bad;
    char numbers[PER_THREAD][32];
    char lots[PER_THREAD][32];
    int good[PER_THREAD];
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        capa_kv kv[10];
        snprintf(w->lots[i], sizeof w->lots[i], "T%d-%d", w->id, i);
        intake(kv, w->lots[i]);
        /* Every third request of a thread is bad: by turns a rule broken, a wrong role,
         * a wrong password. */
        capa_request rq = {.op = CAPA_OP_OPEN, .who = tu_as("li"), .values = kv, .n_values = 10};
        int kind = (w->id + i) % 9;
        if (kind == 2)
            kv[7].value = "catastrophic";
        else if (kind == 5)
            rq.who = tu_as("sun"); /* production may not open a case */
        else if (kind == 8)
            rq.who = (capa_actor){"zhou", "not-the-password"}; /* locks zhou, not li */
        int rc = capa_submit(s, &rq, 1);
        w->good[i] = kind != 2 && kind != 5 && kind != 8;
        if (rc == CAPA_OK) {
            w->ok++;
            snprintf(w->numbers[i], sizeof w->numbers[i], "%s", rq.number_out);
        } else {
            w->bad++;
        }
        if ((rc == CAPA_OK) != w->good[i])
            w->good[i] = -1; /* wrong outcome: checked below */
        capa_request_clear(&rq);
    }
    return NULL;
}

START_TEST(many_threads_mixed_requests_each_get_their_own_result)
{
    pthread_t t[THREADS];
    worker w[THREADS];
    memset(w, 0, sizeof w);
    for (int i = 0; i < THREADS; i++) {
        w[i].id = i;
        pthread_create(&t[i], NULL, work, &w[i]);
    }
    int ok = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        ok += w[i].ok;
    }
    for (int i = 0; i < THREADS; i++)
        for (int k = 0; k < PER_THREAD; k++) {
            ck_assert_msg(w[i].good[k] != -1, "thread %d request %d: wrong outcome", i, k);
            if (w[i].good[k] != 1)
                continue;
            capa_case *c = NULL;
            ck_assert_int_eq(capa_case_get(&c, s, w[i].numbers[k]), CAPA_OK);
            ck_assert_str_eq(capa_case_value(c, "intake", "lot_no"), w[i].lots[k]);
            capa_case_free(c);
        }
    capa_store_info info = {0};
    ck_assert_int_eq(capa_store_info_get(&info, s), CAPA_OK);
    ck_assert_uint_eq(info.n_cases, (uint64_t)ok);
    capa_store_info_clear(&info);
    char head[65];
    uint64_t bad = 0;
    ck_assert_int_eq(capa_audit_verify(s, head, &bad), CAPA_OK);
}
END_TEST

START_TEST(a_large_batch_commits_as_one)
{
    enum { N = 500 };
    capa_request *rq = calloc(N, sizeof *rq);
    capa_kv(*kv)[10] = calloc(N, sizeof *kv);
    char(*lots)[16] = calloc(N, sizeof *lots);
    for (int i = 0; i < N; i++) {
        snprintf(lots[i], sizeof lots[i], "B-%d", i);
        rq[i] = (capa_request){.op = CAPA_OP_OPEN,
                               .who = tu_as("li"),
                               .values = intake(kv[i], lots[i]),
                               .n_values = 10};
    }
    ck_assert_int_eq(capa_submit(s, rq, N), CAPA_OK);
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(rq[i].result, CAPA_OK);
        capa_request_clear(&rq[i]);
    }
    capa_store_info info = {0};
    ck_assert_int_eq(capa_store_info_get(&info, s), CAPA_OK);
    ck_assert_uint_eq(info.n_cases, N);
    capa_store_info_clear(&info);
    free(rq);
    free(kv);
    free(lots);
}
END_TEST

START_TEST(many_failures_in_one_batch_fall_back_to_nested_transactions)
{
    /* Every other request is bad: more failures than optimistic restarts allowed. */
    enum { N = 12 };
    capa_request rq[N];
    capa_kv kv[N][10];
    char lots[N][16];
    for (int i = 0; i < N; i++) {
        snprintf(lots[i], sizeof lots[i], "F-%d", i);
        rq[i] = (capa_request){.op = CAPA_OP_OPEN, .who = tu_as("li"),
                               .values = intake(kv[i], lots[i]), .n_values = 10};
        if (i % 2)
            kv[i][7].value = "catastrophic"; /* not a severity */
    }
    uint64_t before = tu_events(s);
    ck_assert_int_eq(capa_submit(s, rq, N), CAPA_EINVALID);
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(rq[i].result, i % 2 ? CAPA_EINVALID : CAPA_OK);
        if (i % 2 == 0) {
            capa_case *c = NULL;
            ck_assert_int_eq(capa_case_get(&c, s, rq[i].number_out), CAPA_OK);
            ck_assert_str_eq(capa_case_value(c, "intake", "lot_no"), lots[i]);
            capa_case_free(c);
        }
        capa_request_clear(&rq[i]);
    }
    ck_assert_uint_eq(tu_events(s), before + N / 2);
}
END_TEST

/* A batch large enough for the helper thread (batch.c: long values compressed and values
 * checked on a second core): refused requests anywhere in it fail alone with the leader's
 * own message, the others commit in order with their own events, every long value reads
 * back as given, and verify's replay finds every record as the trail says. */
START_TEST(a_batch_prepared_on_a_second_thread_keeps_order_refusals_and_records)
{
    enum { N = 240 };
    capa_request *rq = calloc(N, sizeof *rq);
    capa_kv(*kv)[10] = calloc(N, sizeof *kv);
    char(*lots)[16] = calloc(N, sizeof *lots);
    char(*text)[700] = calloc(N, sizeof *text);
    for (int i = 0; i < N; i++) {
        snprintf(lots[i], sizeof lots[i], "P-%d", i);
        /* Long enough to be packed on its own; every fifth the same as the one before. */
        int v = i % 5 == 4 ? i - 1 : i;
        for (size_t k = 0; k + 1 < sizeof text[i]; k++)
            text[i][k] = "solder bridge on pad, lot held "[(k + (size_t)v) % 31];
        text[i][sizeof text[i] - 1] = 0;
        snprintf(text[i], 24, "case %06d ", v);
        text[i][strlen(text[i])] = 'x';
        rq[i] = (capa_request){.op = CAPA_OP_OPEN,
                               .who = tu_as("li"),
                               .values = intake(kv[i], lots[i]),
                               .n_values = 10};
        kv[i][9].value = text[i];
        if (i % 41 == 7)
            kv[i][7].value = "catastrophic"; /* not a severity */
    }
    text[100][400] = '\x01'; /* a control character in a long value */
    rq[150].who = (capa_actor){"li", "wrong-password"};
    uint64_t before = tu_events(s);
    ck_assert_int_ne(capa_submit(s, rq, N), CAPA_OK);
    char prev[64] = "";
    size_t ok = 0;
    for (int i = 0; i < N; i++) {
        if (i % 41 == 7) {
            ck_assert_int_eq(rq[i].result, CAPA_EINVALID);
            ck_assert_ptr_nonnull(strstr(rq[i].error, "severity"));
        } else if (i == 100) {
            ck_assert_int_eq(rq[i].result, CAPA_EINVALID);
            ck_assert_ptr_nonnull(strstr(rq[i].error, "description"));
        } else if (i == 150) {
            ck_assert_int_eq(rq[i].result, CAPA_EAUTH);
        } else {
            ck_assert_int_eq(rq[i].result, CAPA_OK);
            /* Numbers follow the order of the requests. */
            ck_assert_int_gt(strcmp(rq[i].number_out, prev), 0);
            snprintf(prev, sizeof prev, "%s", rq[i].number_out);
            capa_case *c = NULL;
            ck_assert_int_eq(capa_case_get(&c, s, rq[i].number_out), CAPA_OK);
            ck_assert_str_eq(capa_case_value(c, "intake", "description"), text[i]);
            ck_assert_str_eq(capa_case_value(c, "intake", "lot_no"), lots[i]);
            capa_case_free(c);
            ok++;
        }
        if (i != 150 && rq[i].result != CAPA_OK)
            ck_assert_ptr_null(rq[i].number_out);
        capa_request_clear(&rq[i]);
    }
    /* One event per case, and the audited wrong password. */
    ck_assert_uint_eq(tu_events(s), before + ok + 1);
    capa_verify_report *rep = NULL;
    ck_assert_int_eq(capa_store_verify(&rep, s, NULL), CAPA_OK);
    ck_assert_msg(rep->ok, "verify: %s", rep->n_mismatches ? rep->mismatches[0].message : "");
    capa_verify_report_free(rep);
    free(rq);
    free(kv);
    free(lots);
    free(text);
}
END_TEST

static int count_case(const capa_case_header *h, void *payload)
{
    (void)h;
    ++*(size_t *)payload;
    return 0;
}

/* The cases the customer index lists for `customer` (capa_case_scan through idx_customer). */
static size_t listed_for(const char *customer)
{
    capa_filter f = {.customer = customer, .closed = -1};
    size_t n = 0;
    void *pl[1] = {&n};
    ck_assert_int_eq(capa_case_scan(s, &f, CAPA_SCAN_LEAD, 1, count_case, pl), CAPA_OK);
    return n;
}

/* bulk21d: a batch's index entries are gathered and written in key order at its end
 * (index.c, capa_index__gather). Within one batch a case moves to another customer and back,
 * and to another part, between new cases of those customers and parts: the entries for the
 * same (customer, case) come put, deleted, put again, and the customer index must list the
 * case under its own customer only, as writing them one by one would. verify's replay
 * writes its indexes one by one and compares them with the store's. */
START_TEST(a_batch_gathers_index_entries_and_keeps_their_order_per_entry)
{
    enum { N = 80, MOVED = 20 };
    static const char *const customers[4] = {"客户甲", "客户乙", "Customer C", "Customer D"};
    capa_request *rq = calloc(3 * N, sizeof *rq);
    capa_kv(*kv)[10] = calloc(2 * N, sizeof *kv);
    char(*lots)[16] = calloc(2 * N, sizeof *lots);
    char **num = calloc(N, sizeof *num);
    for (int i = 0; i < N; i++) {
        snprintf(lots[i], sizeof lots[i], "G-%d", i);
        rq[i] = (capa_request){.op = CAPA_OP_OPEN,
                               .who = tu_as("li"),
                               .values = intake(kv[i], lots[i]),
                               .n_values = 10};
        kv[i][0].value = customers[i % 2];
    }
    ck_assert_int_eq(capa_submit(s, rq, N), CAPA_OK);
    for (int i = 0; i < N; i++) {
        num[i] = rq[i].number_out;
        rq[i].number_out = NULL;
        capa_request_clear(&rq[i]);
    }
    /* One batch: new cases of customers C and D, and cases 0..MOVED-1 moved to C and back
     * to their own customer, and to part PCB-9 (left there), the moves between the opens. */
    capa_kv to_c = {"customer", "Customer C"}, part9 = {"part_no", "PCB-9"};
    capa_kv back[2] = {{"customer", "客户甲"}, {"customer", "客户乙"}};
    size_t n = 0;
    for (int i = 0; i < N; i++) {
        int j = N + i;
        snprintf(lots[j], sizeof lots[j], "H-%d", i);
        rq[n++] = (capa_request){.op = CAPA_OP_OPEN,
                                 .who = tu_as("li"),
                                 .values = intake(kv[j], lots[j]),
                                 .n_values = 10};
        kv[j][0].value = customers[2 + i % 2];
        if (i < MOVED) {
            rq[n++] = (capa_request){.op = CAPA_OP_SET,
                                     .who = tu_as("li"),
                                     .number = num[i],
                                     .values = &to_c,
                                     .n_values = 1};
            rq[n++] = (capa_request){.op = CAPA_OP_SET,
                                     .who = tu_as("li"),
                                     .number = num[i],
                                     .values = &back[i % 2],
                                     .n_values = 1};
            if (i % 4 == 0)
                rq[n++] = (capa_request){.op = CAPA_OP_SET,
                                         .who = tu_as("li"),
                                         .number = num[i],
                                         .values = &part9,
                                         .n_values = 1};
        }
    }
    ck_assert_uint_ge(n, 64); /* the size that starts the helper thread too */
    ck_assert_int_eq(capa_submit(s, rq, n), CAPA_OK);
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_eq(rq[i].result, CAPA_OK);
        capa_request_clear(&rq[i]);
    }
    ck_assert_uint_eq(listed_for("客户甲"), N / 2);
    ck_assert_uint_eq(listed_for("客户乙"), N / 2);
    ck_assert_uint_eq(listed_for("Customer C"), N / 2);
    ck_assert_uint_eq(listed_for("Customer D"), N / 2);
    capa_filter f = {.part_no = "PCB-9", .closed = -1};
    size_t on9 = 0;
    void *pl[1] = {&on9};
    ck_assert_int_eq(capa_case_scan(s, &f, CAPA_SCAN_LEAD, 1, count_case, pl), CAPA_OK);
    ck_assert_uint_eq(on9, MOVED / 4);
    capa_verify_report *rep = NULL;
    ck_assert_int_eq(capa_store_verify(&rep, s, NULL), CAPA_OK);
    ck_assert_msg(rep->ok, "verify: %s", rep->n_mismatches ? rep->mismatches[0].message : "");
    capa_verify_report_free(rep);
    for (int i = 0; i < N; i++)
        capa__free(num[i]);
    free(num);
    free(rq);
    free(kv);
    free(lots);
}
END_TEST

START_TEST(read_only_store_refuses_every_request)
{
    capa_store *ro = NULL;
    capa_open_opts o = {.read_only = 1, .kdf_log2n = 1};
    ck_assert_int_eq(capa_store_open(&ro, dir, &o), CAPA_OK);
    capa_kv kv[10];
    char lot[] = "RO-1";
    capa_request rq = {.op = CAPA_OP_OPEN, .who = tu_as("li"), .values = intake(kv, lot),
                       .n_values = 10};
    ck_assert_int_eq(capa_submit(ro, &rq, 1), CAPA_EDENIED);
    ck_assert_int_eq(rq.result, CAPA_EDENIED);
    ck_assert_ptr_null(rq.number_out);
    capa_request_clear(&rq);
    capa_store_close(ro);
}
END_TEST

Suite *capa_batch_suite(void)
{
    Suite *su = suite_create("batch");
    TCase *tc = tcase_create("batch");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, one_bad_request_fails_alone);
    tcase_add_test(tc, set_sign_reject_through_submit);
    tcase_add_test(tc, a_sign_off_covers_exactly_the_data_shown);
    tcase_add_test(tc, of_two_edits_from_one_view_one_wins_and_the_other_is_refused);
    tcase_add_test(tc, many_threads_mixed_requests_each_get_their_own_result);
    tcase_add_test(tc, a_large_batch_commits_as_one);
    tcase_add_test(tc, many_failures_in_one_batch_fall_back_to_nested_transactions);
    tcase_add_test(tc, read_only_store_refuses_every_request);
    tcase_add_test(tc, a_batch_prepared_on_a_second_thread_keeps_order_refusals_and_records);
    tcase_add_test(tc, a_batch_gathers_index_entries_and_keeps_their_order_per_entry);
    suite_add_tcase(su, tc);
    return su;
}
