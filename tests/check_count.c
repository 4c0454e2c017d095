/*
 * check_count.c - statistics straight from the indexes (capa_case_count_by) and the small
 * case header that lists and scans read (its description is a preview).
 */
#include <check.h>
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

static char *open_with(const char *defect, const char *description)
{
    capa_kv kv[] = {
        {"customer", "华东汽车"},     {"channel", "written"},  {"complaint_type", "quality"},
        {"part_no", "PCB-7731"},      {"lot_no", "L1"},        {"qty_affected", "1"},
        {"defect_code", defect},      {"severity", "general"}, {"responsible_dept", "生产部"},
        {"description", description},
    };
    capa_actor li = tu_as("li");
    char *num = NULL;
    ck_assert_msg(capa_case_open(&num, s, &li, kv, sizeof kv / sizeof *kv) == CAPA_OK, "%s",
                  capa_error_last());
    return num;
}

typedef struct tally {
    char values[8][32];
    uint64_t counts[8];
    int n;
} tally;

static int add(const char *value, uint64_t count, void *payload)
{
    tally *t = payload;
    if (t->n < 8) {
        snprintf(t->values[t->n], sizeof t->values[t->n], "%s", value);
        t->counts[t->n++] = count;
    }
    return 0;
}

START_TEST(count_by_defect_reads_the_index)
{
    const char *codes[] = {"SCRATCH", "SOLDER-BRIDGE", "SCRATCH", "VOID", "SCRATCH"};
    for (size_t i = 0; i < 5; i++)
        capa__free(open_with(codes[i], "x"));
    tally t = {0};
    ck_assert_int_eq(capa_case_count_by(s, "defect_code", add, &t), CAPA_OK);
    ck_assert_int_eq(t.n, 3);
    ck_assert_str_eq(t.values[0], "SCRATCH");
    ck_assert_uint_eq(t.counts[0], 3);
    ck_assert_str_eq(t.values[1], "SOLDER-BRIDGE");
    ck_assert_uint_eq(t.counts[1], 1);
    ck_assert_str_eq(t.values[2], "VOID");
    tally st = {0};
    ck_assert_int_eq(capa_case_count_by(s, "stage", add, &st), CAPA_OK);
    ck_assert_int_eq(st.n, 1);
    ck_assert_uint_eq(st.counts[0], 5);
    ck_assert_int_eq(capa_case_count_by(s, "lot_no", add, &t), CAPA_EINVALID);
}
END_TEST

static int keep_description(const capa_case_header *h, void *payload)
{
    snprintf(payload, 1024, "%s", h->description);
    return 0;
}

START_TEST(header_keeps_a_preview_and_the_case_the_whole_description)
{
    char desc[1300] = "";
    for (int i = 0; i < 100; i++)
        strcat(desc, "焊点连锡"); /* 12 bytes each: 1200 bytes, cut inside no character */
    desc[sizeof desc - 1] = 0;
    char *num = open_with("SCRATCH", desc);
    char preview[1024];
    capa_filter f = {.closed = -1};
    ck_assert_int_eq(capa_case_list(s, &f, keep_description, preview), CAPA_OK);
    ck_assert_uint_le(strlen(preview), 120);
    ck_assert_uint_ge(strlen(preview), 117);
    ck_assert_int_eq(strncmp(preview, desc, strlen(preview)), 0);
    ck_assert_int_eq(strlen(preview) % 3, 0); /* whole 3-byte characters only */
    capa_case *c = NULL;
    ck_assert_int_eq(capa_case_get(&c, s, num), CAPA_OK);
    ck_assert_str_eq(capa_case_value(c, "intake", "description"), desc);
    capa_case_free(c);
    capa__free(num);
}
END_TEST

Suite *capa_count_suite(void)
{
    Suite *su = suite_create("count");
    TCase *tc = tcase_create("count");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, count_by_defect_reads_the_index);
    tcase_add_test(tc, header_keeps_a_preview_and_the_case_the_whole_description);
    suite_add_tcase(su, tc);
    return su;
}
