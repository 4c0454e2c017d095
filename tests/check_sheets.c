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

Suite *capa_sheets_suite(void)
{
    Suite *su = suite_create("sheets");
    TCase *tc = tcase_create("import");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, pass_two_failure_stops_at_its_batch_and_resume_finishes);
    tcase_add_test(tc, pass_two_commits_what_pass_one_checked);
    suite_add_tcase(su, tc);
    return su;
}
