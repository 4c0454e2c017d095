/*
 * check_query.c - the lists through the indexes (core/query.c): capa_case_scan, in one part
 * and in several, with and without CAPA_SCAN_LEAD, lists the same cases in the same order with
 * the same leading fields as capa_case_list, and as many as the store was built with. The store
 * (1 300 cases) has a customer with more ids than one page of its index holds (its ids come a
 * page at a time), one with a single case (no duplicate set), imported cases opened out of id
 * order, half of them closed, so a date range's ids do not simply follow one another.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parscan.h"
#include "testutil.h"

enum { N_OPEN = 1000, N_IMPORT = 300, N_BIG = 650 };

static char *dir;
static capa_store *s;
static int64_t first_opened, last_opened; /* of the cases opened now (not imported) */

/* Customer of case i (0-based, in the order they were submitted). */
static const char *customer_of(size_t i)
{
    static const char *const others[] = {"华东汽车", "Acme", "Zeta GmbH"};
    if (i == 7)
        return "Single Co.";
    if (i == 9) /* its leading fields run past the first 128 bytes a list copies */
        return "Long Name 汽车零部件制造有限公司 Automotive Components Manufacturing Co., Ltd. "
               "第二工厂 Second Plant";
    return i % 2 == 0 ? "Big Co." : others[i % 3];
}

static void build_store(void)
{
    enum { BATCH = 100 };
    capa_form_init();
    s = tu_store(&dir, 1);
    capa_request rq[BATCH];
    capa_kv kv[BATCH][6];
    char txt[BATCH][3][24];
    capa_import_facts im[BATCH];
    for (size_t b = 0; b < (N_OPEN + N_IMPORT) / BATCH; b++) {
        int legacy = b * BATCH >= N_OPEN;
        for (size_t j = 0; j < BATCH; j++) {
            size_t i = b * BATCH + j;
            snprintf(txt[j][0], sizeof txt[j][0], "P-%zu", i % 13);
            snprintf(txt[j][1], sizeof txt[j][1], "D%zu", i % 7);
            snprintf(txt[j][2], sizeof txt[j][2], "L%zu", i % 50);
            kv[j][0] = (capa_kv){"customer", customer_of(i)};
            kv[j][1] = (capa_kv){"part_no", txt[j][0]};
            kv[j][2] = (capa_kv){"defect_code", txt[j][1]};
            kv[j][3] = (capa_kv){"lot_no", txt[j][2]};
            kv[j][4] = (capa_kv){"severity", i % 3 ? "general" : "major"};
            kv[j][5] = (capa_kv){"description", "焊点 burr"};
            rq[j] = (capa_request){
                .op = CAPA_OP_OPEN, .who = tu_as("li"), .values = kv[j], .n_values = 6};
            if (legacy) {
                /* Opened over two years, not in id order; every other one closed. */
                unsigned r = (unsigned)(i * 2654435761u) >> 7;
                int64_t opened = 1700000000000LL + (int64_t)(r % 700) * 86400000LL;
                im[j] = (capa_import_facts){
                    .opened = opened,
                    .closed_at = i % 2 ? opened + (int64_t)(1 + r % 97) * 3600000LL : 0,
                    .source = "old.csv",
                    .sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                    .row = j + 2};
                rq[j].op = CAPA_OP_IMPORT;
                rq[j].who = tu_as("admin");
                rq[j].import = &im[j];
            }
        }
        int rc = capa_submit(s, rq, BATCH);
        for (size_t j = 0; j < BATCH; j++) {
            ck_assert_msg(rq[j].result == CAPA_OK, "case %zu: %s", b * BATCH + j,
                          rq[j].error ? rq[j].error : capa_error_last());
            capa_request_clear(&rq[j]);
        }
        ck_assert_msg(rc == CAPA_OK, "submit: %s", capa_error_last());
    }
    capa_store_close(s);
    s = NULL;
}

static void remove_store(void)
{
    tu_rmtree(dir);
    free(dir);
}

typedef struct row {
    char number[32], stage[24], customer[160], part[16], lot[16], defect[16], severity[16];
    int closed;
    int64_t opened, closed_at;
} row;

typedef struct rows {
    row *r;
    size_t n, cap;
} rows;

static void cp(char *dst, size_t sz, const char *src)
{
    snprintf(dst, sz, "%s", src ? src : "(null)");
}

static int take(const capa_case_header *h, void *payload)
{
    rows *x = payload;
    if (x->n == x->cap) {
        x->cap = x->cap ? 2 * x->cap : 256;
        x->r = realloc(x->r, x->cap * sizeof *x->r);
        ck_assert_ptr_nonnull(x->r);
    }
    row *r = &x->r[x->n++];
    memset(r, 0, sizeof *r); /* compared whole */
    cp(r->number, sizeof r->number, h->number);
    cp(r->stage, sizeof r->stage, h->stage);
    cp(r->customer, sizeof r->customer, h->customer);
    cp(r->part, sizeof r->part, h->part_no);
    cp(r->lot, sizeof r->lot, h->lot_no);
    cp(r->defect, sizeof r->defect, h->defect_code);
    cp(r->severity, sizeof r->severity, h->severity);
    r->closed = h->closed;
    r->opened = h->opened;
    r->closed_at = h->closed_at;
    return 0;
}

static int learn_times(const capa_case_header *h, void *payload)
{
    (void)payload;
    if (strcmp(h->stage, "intake") == 0 && !h->closed && h->opened > 1770000000000LL) {
        if (!first_opened || h->opened < first_opened)
            first_opened = h->opened;
        if (h->opened > last_opened)
            last_opened = h->opened;
    }
    return 0;
}

static void open_store(void)
{
    capa_form_init();
    s = tu_reopen(dir);
    capa_filter all = {.closed = -1};
    first_opened = last_opened = 0;
    OK(capa_case_list(s, &all, learn_times, NULL));
}

static void close_store(void)
{
    capa_store_close(s);
    s = NULL;
}

/* capa_case_scan of f in `parts` parts (their rows one after another) against
 * capa_case_list of f; returns how many it listed. */
static size_t same_as_list(const capa_filter *f, size_t parts, unsigned flags)
{
    rows want = {0}, got[CAPA_SCAN_MAX_PARTS];
    void *pl[CAPA_SCAN_MAX_PARTS];
    memset(got, 0, sizeof got);
    for (size_t i = 0; i < parts; i++)
        pl[i] = &got[i];
    OK(capa_case_list(s, f, take, &want));
    OK(capa_case_scan(s, f, flags, parts, take, pl));
    size_t k = 0;
    for (size_t i = 0; i < parts; i++) {
        for (size_t j = 0; j < got[i].n; j++, k++) {
            ck_assert_msg(k < want.n, "the scan lists more than %zu cases", want.n);
            ck_assert_msg(memcmp(&got[i].r[j], &want.r[k], sizeof(row)) == 0,
                          "row %zu: scan %s, list %s", k, got[i].r[j].number, want.r[k].number);
        }
        free(got[i].r);
    }
    ck_assert_msg(k == want.n, "the scan lists %zu cases, the list %zu", k, want.n);
    free(want.r);
    return k;
}

/* Every filter the indexes serve, in 1, 2 and 3 parts, leading fields or whole headers. */
static void check_all(void)
{
    const size_t parts[] = {1, 2, 3};
    const unsigned flags[] = {0, CAPA_SCAN_LEAD};
    for (size_t p = 0; p < 3; p++)
        for (size_t g = 0; g < 2; g++) {
            size_t P = parts[p];
            unsigned F = flags[g];
            capa_filter f = {.customer = "Big Co.", .closed = -1};
            ck_assert_uint_eq(same_as_list(&f, P, F), N_BIG);
            f.closed = 0; /* the imported half of them is closed every other one: none */
            ck_assert_uint_eq(same_as_list(&f, P, F), N_BIG);
            f = (capa_filter){.customer = "Acme", .closed = 1};
            ck_assert_uint_eq(same_as_list(&f, P, F), 50); /* odd i, i % 3 == 1, imported */
            f = (capa_filter){.customer = "Single Co.", .closed = -1};
            ck_assert_uint_eq(same_as_list(&f, P, F), 1);
            f = (capa_filter){.customer = customer_of(9), .closed = -1};
            ck_assert_uint_eq(same_as_list(&f, P, F), 1);
            f = (capa_filter){.customer = "nobody", .closed = -1};
            ck_assert_uint_eq(same_as_list(&f, P, F), 0);
            f = (capa_filter){.part_no = "P-3", .closed = -1};
            ck_assert_uint_eq(same_as_list(&f, P, F), 100);
            f = (capa_filter){.defect_code = "D6", .closed = 0};
            ck_assert_uint_gt(same_as_list(&f, P, F), 100);
            f = (capa_filter){.stage = "intake", .closed = -1};
            ck_assert_uint_gt(same_as_list(&f, P, F), N_OPEN);
            /* Date ranges: the cases opened now (ids one after another), all of them, the
             * imported ones (ids out of order), one day, none. */
            f = (capa_filter){
                .opened_from = first_opened, .opened_to = last_opened + 1, .closed = -1};
            ck_assert_uint_eq(same_as_list(&f, P, F), N_OPEN);
            f = (capa_filter){.opened_to = 1770000000000LL, .closed = -1};
            ck_assert_uint_eq(same_as_list(&f, P, F), N_IMPORT);
            f = (capa_filter){.opened_from = 1, .closed = -1};
            ck_assert_uint_eq(same_as_list(&f, P, F), N_OPEN + N_IMPORT);
            f = (capa_filter){.opened_from = 1700000000000LL + 100 * 86400000LL,
                              .opened_to = 1700000000000LL + 101 * 86400000LL,
                              .closed = -1};
            same_as_list(&f, P, F);
            f = (capa_filter){.opened_from = 1, .opened_to = 2, .closed = -1};
            ck_assert_uint_eq(same_as_list(&f, P, F), 0);
        }
}

START_TEST(scan_lists_what_the_list_lists)
{
    check_all(); /* cut into parts only where they pay: one part here */
}
END_TEST

START_TEST(scan_in_parts_lists_what_the_list_lists)
{
    size_t keep = capa__scan_part_min;
    capa__scan_part_min = 1; /* every part asked for is cut */
    check_all();
    capa__scan_part_min = keep;
}
END_TEST

/* The page-fault helper of a list read in one part (started here on a warm store, from its
 * fifth row, whatever the faults) changes nothing the list offers, nor its order. */
START_TEST(scan_with_the_prefault_helper_lists_what_the_list_lists)
{
    size_t keep_probe = capa__prefault_probe, before = atomic_load(&capa__prefault_started);
    long keep_faults = capa__prefault_faults;
    capa__prefault_probe = 4;
    capa__prefault_faults = 0;
    check_all();
    capa__prefault_probe = keep_probe;
    capa__prefault_faults = keep_faults;
    ck_assert_msg(atomic_load(&capa__prefault_started) > before, "no helper was started");
}
END_TEST

/* A list read in one part cut in two after its first rows (the map warm: a probe that never
 * finds it cold here) lists what capa_case_list lists, the second part's rows after the
 * first's. */
START_TEST(scan_cut_after_the_probe_lists_what_the_list_lists)
{
    size_t keep_probe = capa__prefault_probe, keep_min = capa__scan_part_min,
           before = atomic_load(&capa__prefault_split);
    long keep_faults = capa__prefault_faults;
    capa__prefault_probe = 4;
    capa__prefault_faults = 1L << 30; /* never reached */
    capa__scan_part_min = 200;        /* lists from 20 rows are cut; Acme's ~216 in one part */
    capa__split_when_idle = 0;        /* whatever else the machine runs */
    check_all();
    capa_filter f = {.customer = "Acme", .closed = -1};
    ck_assert_uint_gt(same_as_list(&f, 2, 0), 100);
    capa__prefault_probe = keep_probe;
    capa__prefault_faults = keep_faults;
    capa__scan_part_min = keep_min;
    capa__split_when_idle = 1;
    ck_assert_msg(atomic_load(&capa__prefault_split) > before, "no list was cut");
}
END_TEST

Suite *capa_query_suite(void)
{
    Suite *su = suite_create("query");
    TCase *tc = tcase_create("index lists");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, build_store, remove_store);
    tcase_add_checked_fixture(tc, open_store, close_store);
    tcase_add_test(tc, scan_lists_what_the_list_lists);
    tcase_add_test(tc, scan_in_parts_lists_what_the_list_lists);
    tcase_add_test(tc, scan_with_the_prefault_helper_lists_what_the_list_lists);
    tcase_add_test(tc, scan_cut_after_the_probe_lists_what_the_list_lists);
    suite_add_tcase(su, tc);
    return su;
}
