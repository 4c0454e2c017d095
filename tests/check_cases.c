/*
 * check_cases.c - the workflow engine: the acceptance walk through all six stages, and every
 * rule that must refuse a change (role, self-approval, recusal, closed case, meaning,
 * required fields, invalid values) without writing anything.
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


static int set1(const char *num, const char *user, const char *name, const char *value)
{
    capa_actor a = tu_as(user);
    capa_kv kv = {name, value};
    return capa_case_set(s, num, &a, &kv, 1, NULL);
}

static int sign(const char *num, const char *user, const char *meaning)
{
    capa_actor a = tu_as(user);
    return capa_case_sign(s, num, &a, meaning);
}

static int reject(const char *num, const char *user, const char *reason)
{
    capa_actor a = tu_as(user);
    return capa_case_reject(s, num, &a, reason);
}

static const char *stage_of(const char *num)
{
    static char buf[64];
    capa_case *c = NULL;
    OK(capa_case_get(&c, s, num));
    snprintf(buf, sizeof buf, "%s%s", c->stage, c->closed ? "+closed" : "");
    capa_case_free(c);
    return buf;
}

/* Walk to the given stage the way the acceptance scenario does. */
static void walk_to(const char *num, const char *target)
{
    if (strcmp(target, "intake") == 0)
        return;
    OK(set1(num, "wang", "validity", "valid"));
    OK(set1(num, "wang", "containment", "库存隔离 3 批，全检"));
    OK(sign(num, "wang", "reviewed"));
    if (strcmp(target, "analysis") == 0)
        return;
    capa_actor w = tu_as("wang");
    capa_kv an[] = {{"five_why.1.why", "为何连锡"},
                    {"five_why.1.because", "钢网开口偏大"},
                    {"category_6m", "method"},
                    {"root_cause_occurrence", "钢网开口设计偏大 0.05 mm"},
                    {"root_cause_escape", "AOI 程序未覆盖该位置"}};
    OK(capa_case_set(s, num, &w, an, 5, NULL));
    OK(sign(num, "chen", "reviewed"));
    if (strcmp(target, "action") == 0)
        return;
    capa_kv ac[] = {{"corrective_actions.1.action", "钢网开口缩小 10%"},
                    {"corrective_actions.1.owner", "sun"},
                    {"corrective_actions.1.due", "2026-12-05"},
                    {"preventive_actions.1.action", "更新钢网设计规范"},
                    {"preventive_actions.1.owner", "wang"},
                    {"preventive_actions.1.due", "2026-12-20"},
                    TU_D7};
    OK(capa_case_set(s, num, &w, ac, 11, NULL));
    OK(sign(num, "zhao", "approved"));
    if (strcmp(target, "rework") == 0)
        return;
    capa_actor sun = tu_as("sun");
    capa_kv rw[] = {{"disposition", "rework"},    {"rework_mode", "in_house"},
                    {"rework_order", "RW-2026-0088"}, {"qty_reworked", "120"},
                    {"qty_scrapped", "0"},        {"qty_received", "120"}};
    OK(capa_case_set(s, num, &sun, rw, 6, NULL));
    OK(sign(num, "sun", "done"));
    if (strcmp(target, "verification") == 0)
        return;
    capa_kv ve[] = {{"method", "复检 + 批量验证"}, {"sample_size", "200"},
                    {"result", "pass"}, {"evidence", "连续 3 批 0 不良"}};
    OK(capa_case_set(s, num, &w, ve, 4, NULL));
    OK(sign(num, "wang", "verified"));
    if (strcmp(target, "archive") == 0)
        return;
    capa_kv ar[] = {{"customer_reply", "已回复客户 8D 报告"}, {"follow_up_date", "2026-12-28"},
                    {"follow_up_by", "wang"}, {"satisfaction", "satisfied"},
                    {"lessons_learned", "钢网设计评审加入开口检查"},
                    {"documents_updated", "WI-SMT-012 rev C"}};
    OK(capa_case_set(s, num, &w, ar, 6, NULL));
    OK(sign(num, "chen", "closed"));
}

START_TEST(acceptance_walk_closes_case_with_signatures)
{
    char *num = tu_open_case(s, NULL);
    ck_assert_int_eq(strncmp(num, "QC-", 3), 0);
    ck_assert_str_eq(num + strlen(num) - 5, "-0001");
    walk_to(num, "action");
    /* 审查 N: the production manager sends the plan back to analysis. */
    capa_actor w = tu_as("wang");
    capa_kv ca[] = {{"corrective_actions.1.action", "钢网开口缩小 10%"},
                    {"corrective_actions.1.owner", "sun"},
                    {"corrective_actions.1.due", "2026-12-05"}};
    OK(capa_case_set(s, num, &w, ca, 3, NULL));
    OK(reject(num, "zhao", "缺少预防措施"));
    ck_assert_str_eq(stage_of(num), "analysis");
    OK(sign(num, "chen", "reviewed"));
    ck_assert_str_eq(stage_of(num), "action");
    capa_kv pa[] = {{"preventive_actions.1.action", "更新钢网设计规范"},
                    {"preventive_actions.1.owner", "wang"},
                    {"preventive_actions.1.due", "2026-12-20"},
                    TU_D7};
    OK(capa_case_set(s, num, &w, pa, 8, NULL));
    OK(sign(num, "zhao", "approved"));
    ck_assert_str_eq(stage_of(num), "rework");
    capa_actor sun = tu_as("sun");
    capa_kv rw[] = {{"disposition", "rework"},    {"rework_mode", "in_house"},
                    {"rework_order", "RW-2026-0088"}, {"qty_reworked", "120"},
                    {"qty_scrapped", "0"},        {"qty_received", "120"}};
    OK(capa_case_set(s, num, &sun, rw, 6, NULL));
    OK(sign(num, "sun", "done"));
    capa_kv ve[] = {{"method", "复检 + 批量验证"}, {"sample_size", "200"},
                    {"result", "pass"}, {"evidence", "连续 3 批 0 不良"}};
    OK(capa_case_set(s, num, &w, ve, 4, NULL));
    OK(sign(num, "wang", "verified"));
    capa_kv ar[] = {{"customer_reply", "已回复客户 8D 报告"}, {"follow_up_date", "2026-12-28"},
                    {"follow_up_by", "wang"}, {"satisfaction", "satisfied"},
                    {"lessons_learned", "钢网设计评审加入开口检查"},
                    {"documents_updated", "WI-SMT-012 rev C"}};
    OK(capa_case_set(s, num, &w, ar, 6, NULL));
    OK(sign(num, "chen", "closed"));
    ck_assert_str_eq(stage_of(num), "archive+closed");

    capa_case *c = NULL;
    OK(capa_case_get(&c, s, num));
    ck_assert_int_eq(c->n_stages, 6);
    ck_assert_str_eq(capa_case_value(c, "analysis", "five_why.1.because"), "钢网开口偏大");
    ck_assert_str_eq(capa_case_value(c, "action", "preventive_actions.1.owner"), "wang");
    ck_assert_int_eq(c->stages[0].form_version, 1);
    /* intake, analysis (superseded), reject, analysis, action, rework, verification, close */
    ck_assert_int_eq(c->n_signatures, 8);
    int superseded = 0, rejects = 0;
    for (size_t i = 0; i < c->n_signatures; i++) {
        superseded += c->signatures[i].superseded;
        if (strcmp(c->signatures[i].kind, "reject") == 0) {
            rejects++;
            ck_assert_str_eq(c->signatures[i].reason, "缺少预防措施");
            ck_assert_str_eq(c->signatures[i].user, "zhao");
        }
        ck_assert_int_eq(strlen(c->signatures[i].data_hash), 64);
    }
    ck_assert_int_eq(rejects, 1);
    ck_assert_int_eq(superseded, 1);
    ck_assert_str_eq(c->signatures[1].stage, "analysis");
    ck_assert_int_eq(c->signatures[1].superseded, 1);
    ck_assert_str_eq(c->signatures[7].meaning, "closed");
    ck_assert_str_eq(c->signatures[7].name, "陈主管");
    capa_case_free(c);

    char head[65];
    tu_head(s, head);
    ck_assert_int_eq(strlen(head), 64);
    free(num);
}
END_TEST

START_TEST(closed_case_is_read_only)
{
    char *num = tu_open_case(s, NULL);
    walk_to(num, "closed");
    uint64_t before = tu_events(s);
    FAILS(set1(num, "wang", "lessons_learned", "x"), CAPA_ESTATE, "read-only");
    FAILS(sign(num, "chen", "closed"), CAPA_ESTATE, "read-only");
    FAILS(reject(num, "chen", "again"), CAPA_ESTATE, "read-only");
    ck_assert_int_eq(tu_events(s), before);
    free(num);
}
END_TEST

START_TEST(wrong_role_cannot_edit_or_sign)
{
    char *num = tu_open_case(s, NULL);
    uint64_t before = tu_events(s);
    FAILS(set1(num, "sun", "validity", "valid"), CAPA_EDENIED, "role production");
    FAILS(sign(num, "zhou", "reviewed"), CAPA_EDENIED, "needs role qe");
    FAILS(sign(num, "li", "reviewed"), CAPA_EDENIED, "needs role qe");
    ck_assert_int_eq(tu_events(s), before);
    /* Opening needs an intake editor too. */
    capa_actor sun = tu_as("sun");
    capa_kv kv = {"customer", "x"};
    char *n2 = NULL;
    FAILS(capa_case_open(&n2, s, &sun, &kv, 1), CAPA_EDENIED, "needs role intake, qe");
    ck_assert_ptr_null(n2);
    free(num);
}
END_TEST

START_TEST(editor_cannot_approve_own_plan)
{
    char *num = tu_open_case(s, NULL);
    walk_to(num, "action");
    /* zhao (prod_mgr) edits the action stage, then tries to approve it himself. */
    OK(set1(num, "zhao", "corrective_actions.1.action", "钢网开口缩小 10%"));
    OK(set1(num, "wang", "corrective_actions.1.owner", "sun"));
    OK(set1(num, "wang", "corrective_actions.1.due", "2026-12-05"));
    OK(set1(num, "wang", "preventive_actions.1.action", "更新钢网设计规范"));
    OK(set1(num, "wang", "preventive_actions.1.owner", "wang"));
    OK(set1(num, "wang", "preventive_actions.1.due", "2026-12-20"));
    uint64_t before = tu_events(s);
    FAILS(sign(num, "zhao", "approved"), CAPA_EDENIED, "no self-approval");
    ck_assert_int_eq(tu_events(s), before);
    ck_assert_str_eq(stage_of(num), "action");
    free(num);
}
END_TEST

START_TEST(person_complained_about_is_recused)
{
    char *num = tu_open_case(s, "zhao");
    walk_to(num, "action");
    OK(set1(num, "wang", "corrective_actions.1.action", "a"));
    OK(set1(num, "wang", "corrective_actions.1.owner", "sun"));
    OK(set1(num, "wang", "corrective_actions.1.due", "2026-12-05"));
    OK(set1(num, "wang", "preventive_actions.1.action", "b"));
    OK(set1(num, "wang", "preventive_actions.1.owner", "wang"));
    OK(set1(num, "wang", "preventive_actions.1.due", "2026-12-20"));
    uint64_t before = tu_events(s);
    FAILS(sign(num, "zhao", "approved"), CAPA_EDENIED, "recused");
    FAILS(reject(num, "zhao", "no"), CAPA_EDENIED, "recused");
    ck_assert_int_eq(tu_events(s), before);
    free(num);
}
END_TEST

START_TEST(rejection_needs_reason_and_a_path)
{
    char *num = tu_open_case(s, NULL);
    FAILS(reject(num, "wang", "x"), CAPA_ESTATE, "no review that sends a case back");
    walk_to(num, "action");
    uint64_t before = tu_events(s);
    FAILS(reject(num, "zhao", ""), CAPA_EINVALID, "reason");
    FAILS(reject(num, "zhao", "   "), CAPA_EINVALID, "reason");
    FAILS(reject(num, "wang", "不行"), CAPA_EDENIED, "needs role prod_mgr");
    ck_assert_int_eq(tu_events(s), before);
    free(num);
}
END_TEST

START_TEST(verification_failure_goes_back_to_action)
{
    char *num = tu_open_case(s, NULL);
    walk_to(num, "verification");
    OK(set1(num, "wang", "result", "fail"));
    OK(reject(num, "wang", "复检仍有连锡"));
    ck_assert_str_eq(stage_of(num), "action");
    capa_case *c = NULL;
    OK(capa_case_get(&c, s, num));
    /* action's approval and rework's done are superseded; intake and analysis stand */
    for (size_t i = 0; i < c->n_signatures; i++) {
        const capa_signature *g = &c->signatures[i];
        if (strcmp(g->kind, "reject") == 0)
            continue;
        int want = strcmp(g->stage, "action") == 0 || strcmp(g->stage, "rework") == 0;
        ck_assert_msg(g->superseded == want, "signature on %s superseded=%d", g->stage,
                      g->superseded);
    }
    /* The action data are kept for the second round. */
    ck_assert_str_eq(capa_case_value(c, "action", "corrective_actions.1.owner"), "sun");
    capa_case_free(c);
    /* The same manager may approve again: he changed nothing. */
    OK(sign(num, "zhao", "approved"));
    ck_assert_str_eq(stage_of(num), "rework");
    free(num);
}
END_TEST

START_TEST(wrong_meaning_and_incomplete_stage_are_refused)
{
    char *num = tu_open_case(s, NULL);
    uint64_t before = tu_events(s);
    FAILS(sign(num, "wang", "approved"), CAPA_EINVALID, "signed off as 'reviewed'");
    /* validity and containment are required before the intake review */
    FAILS(sign(num, "wang", "reviewed"), CAPA_EINVALID, "validity");
    ck_assert_int_eq(tu_events(s), before);
    ck_assert_str_eq(stage_of(num), "intake");
    free(num);
}
END_TEST

START_TEST(invalid_values_report_all_and_write_nothing)
{
    char *num = tu_open_case(s, NULL);
    char head_before[65], head_after[65];
    tu_head(s, head_before);
    capa_actor w = tu_as("wang");
    capa_kv bad[] = {{"qty_affected", "abc"},
                     {"severity", "catastrophic"},
                     {"no_such_field", "1"},
                     {"validity", "valid"}};
    int rc = capa_case_set(s, num, &w, bad, 4, NULL);
    ck_assert_int_eq(rc, CAPA_EINVALID);
    const char *m = capa_error_last();
    ck_assert_ptr_nonnull(strstr(m, "qty_affected"));
    ck_assert_ptr_nonnull(strstr(m, "abc"));
    ck_assert_ptr_nonnull(strstr(m, "catastrophic"));
    ck_assert_ptr_nonnull(strstr(m, "no_such_field"));
    tu_head(s, head_after);
    ck_assert_str_eq(head_before, head_after);
    capa_case *c = NULL;
    OK(capa_case_get(&c, s, num));
    ck_assert_ptr_null(capa_case_value(c, "intake", "validity"));
    capa_case_free(c);
    /* a user field must name an existing user */
    FAILS(set1(num, "wang", "subject_person", "nobody"), CAPA_EINVALID, "nobody");
    /* the same field twice in one call */
    capa_kv twice[] = {{"validity", "valid"}, {"validity", "invalid"}};
    FAILS(capa_case_set(s, num, &w, twice, 2, NULL), CAPA_EINVALID, "given twice");
    free(num);
}
END_TEST

START_TEST(unknown_case_is_not_found)
{
    FAILS(set1("QC-1999-0001", "wang", "validity", "valid"), CAPA_ENOTFOUND, "QC-1999-0001");
    capa_case *c = NULL;
    FAILS(capa_case_get(&c, s, "QC-1999-0001"), CAPA_ENOTFOUND, "no such case");
    ck_assert_ptr_null(c);
}
END_TEST

typedef struct hits {
    int n;
    char last[64];
} hits;

static int count(const capa_case_header *h, void *p)
{
    hits *x = p;
    x->n++;
    snprintf(x->last, sizeof x->last, "%s", h->number);
    return 0;
}

START_TEST(list_filters_by_stage_customer_text_and_date)
{
    char *a = tu_open_case(s, NULL);
    char *b = tu_open_case(s, NULL);
    walk_to(b, "action");
    capa_actor li = tu_as("li");
    capa_kv other[] = {{"customer", "南方电器"}, {"part_no", "HX-1"}, {"severity", "general"},
                       {"description", "外壳划伤"}};
    char *c = NULL;
    OK(capa_case_open(&c, s, &li, other, 4));
    hits h = {0};
    capa_filter f = {.closed = -1};
    OK(capa_case_list(s, &f, count, &h));
    ck_assert_int_eq(h.n, 3);
    f.stage = "action";
    f.customer = "华东汽车";
    f.text = "连锡";
    h.n = 0;
    OK(capa_case_list(s, &f, count, &h));
    ck_assert_int_eq(h.n, 1);
    ck_assert_str_eq(h.last, b);
    capa_filter g = {.closed = -1, .text = "划伤"};
    h.n = 0;
    OK(capa_case_list(s, &g, count, &h));
    ck_assert_int_eq(h.n, 1);
    ck_assert_str_eq(h.last, c);
    capa_filter d = {.closed = -1, .opened_from = 1, .opened_to = INT64_MAX};
    h.n = 0;
    OK(capa_case_list(s, &d, count, &h));
    ck_assert_int_eq(h.n, 3);
    d.opened_to = 2;
    h.n = 0;
    OK(capa_case_list(s, &d, count, &h));
    ck_assert_int_eq(h.n, 0);
    capa_filter p = {.closed = -1, .part_no = "HX-1"};
    h.n = 0;
    OK(capa_case_list(s, &p, count, &h));
    ck_assert_int_eq(h.n, 1);
    free(a), free(b), free(c);
}
END_TEST

START_TEST(customer_edit_moves_index_entry)
{
    char *num = tu_open_case(s, NULL);
    OK(set1(num, "wang", "customer", "西北机车"));
    hits h = {0};
    capa_filter f = {.closed = -1, .customer = "华东汽车"};
    OK(capa_case_list(s, &f, count, &h));
    ck_assert_int_eq(h.n, 0);
    f.customer = "西北机车";
    OK(capa_case_list(s, &f, count, &h));
    ck_assert_int_eq(h.n, 1);
    free(num);
}
END_TEST

static const char *new_intake =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

START_TEST(form_install_new_version_old_cases_keep_theirs)
{
    char *old = tu_open_case(s, NULL);
    const capa_embedded_file *e = capa_form_embedded_get("intake.xml");
    ck_assert_ptr_nonnull(e);
    capa_actor admin = tu_as("admin");
    int version = 0;
    OK(capa_form_install(s, &admin, e->data, e->len, "my-intake.xml", &version));
    ck_assert_int_eq(version, 2);
    char *fresh = tu_open_case(s, NULL);
    capa_case *c = NULL;
    OK(capa_case_get(&c, s, old));
    ck_assert_int_eq(c->stages[0].form_version, 1);
    capa_case_free(c);
    OK(capa_case_get(&c, s, fresh));
    ck_assert_int_eq(c->stages[0].form_version, 2);
    capa_case_free(c);
    /* only admin installs; garbage is refused with the file name */
    capa_actor w = tu_as("wang");
    FAILS(capa_form_install(s, &w, e->data, e->len, "x.xml", &version), CAPA_EDENIED, "admin");
    FAILS(capa_form_install(s, &admin, new_intake, strlen(new_intake), "broken.xml", &version),
          CAPA_EINVALID, "broken.xml");
    /* The same store handle keeps the definitions it parsed (store.c: load_def); a later
     * install in this process is still the one the next case takes. */
    OK(capa_form_install(s, &admin, e->data, e->len, "my-intake-3.xml", &version));
    ck_assert_int_eq(version, 3);
    char *third = tu_open_case(s, NULL);
    OK(capa_case_get(&c, s, third));
    ck_assert_int_eq(c->stages[0].form_version, 3);
    capa_case_free(c);
    OK(capa_case_get(&c, s, fresh));
    ck_assert_int_eq(c->stages[0].form_version, 2);
    capa_case_free(c);
    free(old), free(fresh), free(third);
}
END_TEST

Suite *capa_cases_suite(void)
{
    Suite *su = suite_create("cases");
    TCase *tc = tcase_create("workflow");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, acceptance_walk_closes_case_with_signatures);
    tcase_add_test(tc, closed_case_is_read_only);
    tcase_add_test(tc, wrong_role_cannot_edit_or_sign);
    tcase_add_test(tc, editor_cannot_approve_own_plan);
    tcase_add_test(tc, person_complained_about_is_recused);
    tcase_add_test(tc, rejection_needs_reason_and_a_path);
    tcase_add_test(tc, verification_failure_goes_back_to_action);
    tcase_add_test(tc, wrong_meaning_and_incomplete_stage_are_refused);
    tcase_add_test(tc, invalid_values_report_all_and_write_nothing);
    tcase_add_test(tc, unknown_case_is_not_found);
    tcase_add_test(tc, list_filters_by_stage_customer_text_and_date);
    tcase_add_test(tc, customer_edit_moves_index_entry);
    tcase_add_test(tc, form_install_new_version_old_cases_keep_theirs);
    suite_add_tcase(su, tc);
    return su;
}
