/*
 * check_sheets.c - capa_sheet_import in process (sheets/import.c): the import reads and maps
 * batch k+1 while batch k is checked or committed on a second thread; a commit failing in pass
 * 2 must still stop the import at that batch, report exactly what was imported, and leave the
 * rest to --resume, every row once.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xlsxwriter.h>

#include "capa.h"
#include "capa_sheets.h"
#include "testutil.h"

#define ROWS 3000
#define BATCH 500

static int count_one(const capa_case_header *h, void *payload)
{
    (void)h;
    ++*(long *)payload;
    return 0;
}

static long cases_in(capa_store *s)
{
    capa_filter f = {.closed = -1};
    long n = 0;
    ck_assert_int_eq(capa_case_list(s, &f, count_one, &n), CAPA_OK);
    return n;
}

/* A register CSV of ROWS rows, with case numbers T-0.. when `numbered` (else the column is
 * empty and the store numbers them); `customer` names each row's customer (客户%03d or, for
 * the changed file, 改过%03d), `bad_row` (-1: none) gets a date that is none. */
static void write_register(const char *path, const char *customer, int numbered, int bad_row)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("案号,投诉日期,客户名称,料号,批号,不良数量,缺陷代码,问题描述,严重程度,投诉方式,责任部门,"
          "处理状态,结案日期\n",
          f);
    for (int i = 0; i < ROWS; i++) {
        char date[32], cust[32];
        snprintf(date, sizeof date, "2025/%d/%d", i % 12 + 1, i % 28 + 1);
        snprintf(cust, sizeof cust, customer, i % 500);
        char number[32] = "";
        if (numbered)
            snprintf(number, sizeof number, "T-%d", i);
        fprintf(f, "%s,%s,%s,P-%04d,L%06d,%d,D-%02d,第%d行,一般,书面,生产部,处理中,\n", number,
                i == bad_row ? "没有日期" : date, cust, i % 2000, i, i % 97 + 1, i % 40, i);
    }
    ck_assert_int_eq(fclose(f), 0);
}

/* A new store in a temporary directory with the `register` mapping loaded, and the path of
 * its register CSV (not yet written). */
typedef struct sheet_store {
    char *dir, db[4200], csv[4200];
    capa_store *s;
    capa_mapping *m;
    capa_diag d;
} sheet_store;

static void sheet_store_open(sheet_store *t)
{
    memset(t, 0, sizeof *t);
    t->dir = tu_mkdtemp();
    snprintf(t->db, sizeof t->db, "%s/var", t->dir);
    snprintf(t->csv, sizeof t->csv, "%s/reg.csv", t->dir);
    capa_open_opts oo = {.create = 1, .kdf_log2n = 1, .map_size = (size_t)256 << 20};
    capa_init_opts io = {.org = "T", .admin_password = "admin-password"};
    OK(capa_store_open(&t->s, t->db, &oo));
    OK(capa_store_init(t->s, &io));
    OK(capa_mapping_load(&t->m, "register", &t->d));
}

static void sheet_store_close(sheet_store *t)
{
    capa_diag_clear(&t->d);
    capa_mapping_free(t->m);
    capa_store_close(t->s);
    tu_rmtree(t->dir);
    free(t->dir);
}

typedef struct changer {
    capa_store *s;
    int changed;
} changer;

/* In pass 2, at row 1000 (batch 1 handed to the engine, batch 2 being read), the importing
 * admin's password changes: every batch submitted after that is refused (the session's user
 * record is no longer the one in the store). */
static void change_password(int pass, uint64_t done, uint64_t total, void *payload)
{
    changer *c = payload;
    (void)total;
    if (pass == 2 && done == 1000 && !c->changed) {
        capa_actor admin = {"admin", "admin-password"};
        ck_assert_int_eq(capa_user_passwd(c->s, &admin, "admin", "admin-password-2"), CAPA_OK);
        c->changed = 1;
    }
}

START_TEST(pass_two_failure_stops_at_its_batch_and_resume_finishes)
{
    sheet_store t;
    sheet_store_open(&t);
    write_register(t.csv, "客户%03d", 0, -1);
    capa_store *s = t.s;

    changer c = {s, 0};
    capa_actor who = {"admin", "admin-password"};
    capa_sheet_import_result res;
    capa_sheet_import_opts o = {
        .path = t.csv, .map = t.m, .batch = BATCH, .progress = change_password, .payload = &c};
    int err = capa_sheet_import(&res, s, &who, &o);
    ck_assert_int_ne(err, CAPA_OK);
    ck_assert_int_eq(c.changed, 1);
    /* Batch 1 committed or was refused with the password (it may have been queued after the
     * change); nothing after it was submitted. What the result says is what the store has. */
    ck_assert_msg(res.imported == 0 || res.imported == BATCH, "imported %llu",
                  (unsigned long long)res.imported);
    ck_assert_int_eq(cases_in(s), (long)res.imported);
    ck_assert_msg(strstr(capa_error_last(), "--resume imports the rest") != NULL, "%s",
                  capa_error_last());

    /* The rest, as the file's next run: every row once. */
    capa_actor again = {"admin", "admin-password-2"};
    capa_sheet_import_opts o2 = {.path = t.csv, .map = t.m, .batch = BATCH, .resume = 1};
    if (res.imported == 0) /* nothing of the file was imported: it is a new import */
        o2.resume = 0;
    capa_sheet_import_result res2;
    OK(capa_sheet_import(&res2, s, &again, &o2));
    ck_assert_int_eq(res.imported + res2.imported, ROWS);
    ck_assert_int_eq(cases_in(s), ROWS);
    sheet_store_close(&t);
}
END_TEST

typedef struct rewriter {
    const char *path;
    int rewritten;
} rewriter;

/* The last row pass 1 found good: the file is read; before pass 2, it is replaced. */
static void rewrite_after_check(uint64_t row, const char *number, const capa_kv *values, size_t n,
                                const capa_import_facts *facts, void *payload)
{
    rewriter *w = payload;
    (void)number, (void)values, (void)n, (void)facts;
    if (row == ROWS + 1 && !w->rewritten) {
        write_register(w->path, "改过%03d", 1, 7);
        w->rewritten = 1;
    }
}

/* Pass 2 commits the rows pass 1 read, hashed and checked (kept in a temporary file), not
 * what the file holds by then: a file replaced between the passes changes nothing. */
START_TEST(pass_two_commits_what_pass_one_checked)
{
    sheet_store t;
    sheet_store_open(&t);
    write_register(t.csv, "客户%03d", 1, -1);
    capa_store *s = t.s;

    rewriter w = {t.csv, 0};
    capa_actor who = {"admin", "admin-password"};
    capa_sheet_import_result res;
    capa_sheet_import_opts o = {
        .path = t.csv, .map = t.m, .batch = BATCH, .planned = rewrite_after_check, .payload = &w};
    int err = capa_sheet_import(&res, s, &who, &o);
    ck_assert_int_eq(w.rewritten, 1);
    ck_assert_msg(err == CAPA_OK, "%s", capa_error_last());
    ck_assert_int_eq(res.imported, ROWS);
    ck_assert_int_eq(res.bad, 0);
    ck_assert_int_eq(cases_in(s), ROWS);
    const char *check[] = {"T-0", "T-7", "T-2999"};
    const char *want[] = {"客户000", "客户007", "客户499"};
    for (int i = 0; i < 3; i++) {
        capa_case *c = NULL;
        OK(capa_case_get(&c, s, check[i]));
        const char *v = capa_case_value(c, "intake", "customer");
        ck_assert_msg(v && strcmp(v, want[i]) == 0, "%s: customer %s", check[i], v ? v : "-");
        capa_case_free(c);
    }
    sheet_store_close(&t);
}
END_TEST


/* legacy21d: a batch's form checks are done ahead of its commit (capa_import_prepare); the
 * commit may take them only for the same form objects and the same values. */
enum { PREP_N = 3 };

typedef struct prep_reqs {
    capa_import_facts facts[PREP_N];
    capa_kv kv[PREP_N][10];
    char lot[PREP_N][32];
    capa_request rq[PREP_N];
} prep_reqs;

static void prep_reqs_make(prep_reqs *p, uint64_t first_row)
{
    memset(p, 0, sizeof *p);
    for (int i = 0; i < PREP_N; i++) {
        snprintf(p->lot[i], sizeof p->lot[i], "L%06d", i);
        capa_kv *k = p->kv[i];
        k[0] = (capa_kv){"customer", "客户001"};
        k[1] = (capa_kv){"channel", "written"};
        k[2] = (capa_kv){"complaint_type", "quality"};
        k[3] = (capa_kv){"part_no", "P-0001"};
        k[4] = (capa_kv){"lot_no", p->lot[i]};
        k[5] = (capa_kv){"qty_affected", "3"};
        k[6] = (capa_kv){"defect_code", "D-01"};
        k[7] = (capa_kv){"severity", "major"};
        k[8] = (capa_kv){"responsible_dept", "生产部"};
        k[9] = (capa_kv){"description", "外观不良"};
        p->facts[i] = (capa_import_facts){
            .opened = 1735689600000LL, /* 2025-01-01 */
            .source = "prep.csv",
            .sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            .row = first_row + (uint64_t)i};
        p->rq[i] = (capa_request){.op = CAPA_OP_IMPORT, .values = k, .n_values = 10,
                                  .import = &p->facts[i]};
    }
}

START_TEST(a_prepared_form_check_is_taken_only_for_the_same_form_and_values)
{
    sheet_store t;
    sheet_store_open(&t);
    capa_actor admin = {"admin", "admin-password"};
    capa_import *im = NULL;
    capa_import_prep *prep = NULL;
    prep_reqs p;
    OK(capa_import_begin(&im, t.s, &admin));

    /* Prepared and unchanged: committed. */
    prep_reqs_make(&p, 2);
    OK(capa_import_prepare(&prep, im, p.rq, PREP_N));
    OK(capa_import_submit_prepared(im, p.rq, PREP_N, prep));
    capa_import_prep_free(prep);
    for (int i = 0; i < PREP_N; i++)
        capa_request_clear(&p.rq[i]);
    ck_assert_int_eq(cases_in(t.s), PREP_N);

    /* A value changed after its check: checked again in the commit, and refused. */
    prep_reqs_make(&p, 10);
    OK(capa_import_prepare(&prep, im, p.rq, PREP_N));
    p.kv[1][7].value = "catastrophic";
    ck_assert_int_ne(capa_import_submit_prepared(im, p.rq, PREP_N, prep), CAPA_OK);
    capa_import_prep_free(prep);
    ck_assert_int_eq(p.rq[0].result, CAPA_OK);
    ck_assert_int_ne(p.rq[1].result, CAPA_OK);
    ck_assert_ptr_nonnull(strstr(p.rq[1].error, "severity"));
    ck_assert_ptr_nonnull(strstr(p.rq[1].error, "catastrophic"));
    for (int i = 0; i < PREP_N; i++)
        capa_request_clear(&p.rq[i]);
    ck_assert_int_eq(cases_in(t.s), PREP_N + 2);

    /* The form changed between the check and the commit (a customer's name at most two
     * characters now): the commit checks against the form it finds, and refuses every row. */
    prep_reqs_make(&p, 20);
    OK(capa_import_prepare(&prep, im, p.rq, PREP_N));
    const capa_embedded_file *e = capa_form_embedded_get("intake.xml");
    ck_assert_ptr_nonnull(e);
    char *xml = strndup(e->data, e->len);
    char *max = strstr(xml, "required=\"create\" max-length=\"100\"");
    ck_assert_ptr_nonnull(max);
    memcpy(strstr(max, "100"), "2\"  ", 4); /* max-length="2"   (same length) */
    int version = 0;
    OK(capa_form_install(t.s, &admin, xml, strlen(xml), "intake-v2.xml", &version));
    ck_assert_int_eq(version, 2);
    free(xml);
    ck_assert_int_ne(capa_import_submit_prepared(im, p.rq, PREP_N, prep), CAPA_OK);
    for (int i = 0; i < PREP_N; i++) {
        ck_assert_int_ne(p.rq[i].result, CAPA_OK);
        ck_assert_msg(strstr(p.rq[i].error, "customer") != NULL, "%s", p.rq[i].error);
        capa_request_clear(&p.rq[i]);
    }
    capa_import_prep_free(prep);
    ck_assert_int_eq(cases_in(t.s), PREP_N + 2);
    char head[65];
    uint64_t bad = 0;
    OK(capa_audit_verify(t.s, head, &bad));
    capa_import_end(im);
    sheet_store_close(&t);
}
END_TEST


/* legacy21d: the rows of write_register (numbered) as a workbook; `bad_row` gets a bad date,
 * `wide_row` (-1: none) a cell beyond the last column a sheet may have. */
static void write_register_xlsx(const char *path, int bad_row, int wide_row)
{
    static const char *const head[13] = {"案号", "投诉日期", "客户名称", "料号", "批号",
                                         "不良数量", "缺陷代码", "问题描述", "严重程度",
                                         "投诉方式", "责任部门", "处理状态", "结案日期"};
    lxw_workbook *wb = workbook_new(path);
    lxw_worksheet *ws = wb ? workbook_add_worksheet(wb, "登记表") : NULL;
    ck_assert_ptr_nonnull(ws);
    for (int c = 0; c < 13; c++)
        worksheet_write_string(ws, 0, (lxw_col_t)c, head[c], NULL);
    for (int i = 0; i < ROWS; i++) {
        char v[8][48];
        snprintf(v[0], 48, "T-%d", i);
        snprintf(v[1], 48, "%s", i == bad_row ? "没有日期" : "");
        if (i != bad_row)
            snprintf(v[1], 48, "2025/%d/%d", i % 12 + 1, i % 28 + 1);
        snprintf(v[2], 48, "客户%03d", i % 500);
        snprintf(v[3], 48, "P-%04d", i % 2000);
        snprintf(v[4], 48, "L%06d", i);
        snprintf(v[5], 48, "%d", i % 97 + 1);
        snprintf(v[6], 48, "D-%02d", i % 40);
        snprintf(v[7], 48, "第%d行", i);
        const char *cells[12] = {v[0], v[1], v[2], v[3], v[4], v[5],
                                 v[6], v[7], "一般", "书面", "生产部", "处理中"};
        for (int c = 0; c < 12; c++)
            worksheet_write_string(ws, (lxw_row_t)(i + 1), (lxw_col_t)c, cells[c], NULL);
        if (i == wide_row)
            worksheet_write_string(ws, (lxw_row_t)(i + 1), CAPA_SHEET_MAX_COLUMNS + 5, "x", NULL);
    }
    ck_assert_int_eq(workbook_close(wb), LXW_NO_ERROR);
}

/* Pass 1 of a workbook reads the sheet on a thread of its own and hands the rows over in
 * chunks: every row reaches the import once and in order (a bad one set aside, the rest
 * imported, first and last as in the file), and a refusal of the reader's after many chunks
 * is the import's refusal, with nothing written. */
START_TEST(a_workbook_read_on_its_own_thread_gives_every_row_once_in_order)
{
    sheet_store t;
    sheet_store_open(&t);
    char book[4200], rejects[4200];
    snprintf(book, sizeof book, "%s/reg.xlsx", t.dir);
    snprintf(rejects, sizeof rejects, "%s/rejects.csv", t.dir);
    write_register_xlsx(book, 1700, -1);
    capa_actor who = {"admin", "admin-password"};
    capa_sheet_import_result res;
    capa_sheet_import_opts o = {
        .path = book, .xlsx = 1, .map = t.m, .batch = BATCH, .rejects_path = rejects};
    OK(capa_sheet_import(&res, t.s, &who, &o));
    ck_assert_int_eq(res.rows, ROWS);
    ck_assert_int_eq(res.bad, 1);
    ck_assert_int_eq(res.imported, ROWS - 1);
    ck_assert_str_eq(res.first, "T-0");
    ck_assert_str_eq(res.last, "T-2999");
    ck_assert_int_eq(cases_in(t.s), ROWS - 1);
    capa_case *c = NULL;
    ck_assert_int_eq(capa_case_get(&c, t.s, "T-1700"), CAPA_ENOTFOUND);
    OK(capa_case_get(&c, t.s, "T-1699"));
    capa_case_free(c);

    /* A row the reader refuses, far past the first chunks: the import's answer, nothing
     * written (a new store for it). */
    sheet_store u;
    sheet_store_open(&u);
    snprintf(book, sizeof book, "%s/wide.xlsx", u.dir);
    write_register_xlsx(book, -1, 2500);
    capa_sheet_import_opts o2 = {.path = book, .xlsx = 1, .map = u.m, .batch = BATCH};
    int err = capa_sheet_import(&res, u.s, &who, &o2);
    ck_assert_int_ne(err, CAPA_OK);
    ck_assert_msg(strstr(capa_error_last(), "row 2502") && strstr(capa_error_last(), "columns"),
                  "%s", capa_error_last());
    const capa_refusal *rf = capa_refusal_last();
    ck_assert_ptr_nonnull(rf);
    ck_assert_str_eq(rf->v[0].rule, "import.columns");
    ck_assert_int_eq(cases_in(u.s), 0);
    sheet_store_close(&u);
    sheet_store_close(&t);
}
END_TEST

Suite *capa_sheets_suite(void)
{
    Suite *su = suite_create("sheets");
    TCase *tc = tcase_create("import");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, pass_two_failure_stops_at_its_batch_and_resume_finishes);
    tcase_add_test(tc, pass_two_commits_what_pass_one_checked);
    tcase_add_test(tc, a_prepared_form_check_is_taken_only_for_the_same_form_and_values);
    tcase_add_test(tc, a_workbook_read_on_its_own_thread_gives_every_row_once_in_order);
    suite_add_tcase(su, tc);
    return su;
}
