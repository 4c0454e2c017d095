/*
 * check_rules.c - the workflow's rules as data: <require> conditions and <route>s of a
 * sign-off parsed and cross-checked against the forms, the pure helpers that evaluate them
 * (capa_workflow_next, capa_stage_rule, capa_case_skipped), and the engine holding them:
 * a failed verification is not verified, an invalid complaint goes straight to the archive,
 * the person complained about may not edit, and an independence refusal names who can sign.
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

static capa_workflow *default_workflow(void)
{
    const capa_embedded_file *f = capa_form_embedded_get("workflow.xml");
    capa_workflow *w = NULL;
    capa_diag diag = {0};
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(capa_workflow_parse(&w, f->data, f->len, "workflow.xml", &diag), CAPA_OK);
    capa_diag_clear(&diag);
    return w;
}

/* The default workflow with `from` replaced by `to` (first occurrence), parsed. */
static int parse_edited(capa_workflow **out, const char *from, const char *to, capa_diag *diag)
{
    const capa_embedded_file *f = capa_form_embedded_get("workflow.xml");
    const char *at = strstr(f->data, from);
    ck_assert_ptr_nonnull(at);
    size_t pre = (size_t)(at - f->data), n = f->len - strlen(from) + strlen(to);
    char *xml = malloc(n + 1);
    memcpy(xml, f->data, pre);
    memcpy(xml + pre, to, strlen(to));
    memcpy(xml + pre + strlen(to), at + strlen(from), f->len - pre - strlen(from));
    xml[n] = 0;
    int rc = capa_workflow_parse(out, xml, n, "edited.xml", diag);
    free(xml);
    return rc;
}

START_TEST(default_workflow_has_the_rules_of_the_procedure)
{
    capa_workflow *w = default_workflow();
    const capa_stage *ver = capa_workflow_stage(w, "verification");
    ck_assert_uint_eq(ver->n_requires, 4);
    ck_assert_str_eq(ver->requires[0].field, "result");
    ck_assert_str_eq(ver->requires[0].equals, "pass");
    /* IATF 16949 §10.2.4: every challenge-part test recorded passed ... */
    ck_assert_str_eq(ver->requires[1].group, "challenge_tests");
    ck_assert_str_eq(ver->requires[1].equals, "pass");
    /* ... and every device of the action plan has a passed one. */
    for (size_t k = 2; k < 4; k++) {
        ck_assert_str_eq(ver->requires[k].stage, "action");
        ck_assert_str_eq(ver->requires[k].group, "corrective_actions");
        ck_assert_str_eq(ver->requires[k].field, "error_proofing_device");
        ck_assert_str_eq(ver->requires[k].in_group, "challenge_tests");
        ck_assert_str_eq(ver->requires[k].in_column, "device");
        ck_assert_str_eq(ver->requires[k].in_is, "pass");
        ck_assert_str_eq(capa_condition_other(&ver->requires[k]), "action");
    }
    /* IATF §10.2.5-10.2.6: a field failure or warranty return decides at analysis. */
    const capa_stage *an = capa_workflow_stage(w, "analysis");
    ck_assert_uint_eq(an->n_requires, 6);
    ck_assert_str_eq(an->requires[3].field, "ntf_decision");
    ck_assert_str_eq(an->requires[3].if_stage, "intake");
    ck_assert_str_eq(an->requires[3].if_equals, "field_failure");
    /* 8D D7: a document update per corrective action, or the quality lead's waiver. */
    const capa_stage *ac = capa_workflow_stage(w, "action");
    const capa_condition *doc = &ac->requires[ac->n_requires - 1];
    ck_assert_str_eq(doc->group, "corrective_actions");
    ck_assert_str_eq(doc->field, "pfmea_rev_after");
    ck_assert_uint_eq(doc->n_any, 1);
    ck_assert_str_eq(doc->any[0], "control_plan_rev_after");
    ck_assert_str_eq(doc->waiver, "waived");
    const capa_waiver *wv = capa_stage_waiver(ac, "waived");
    ck_assert_ptr_nonnull(wv);
    ck_assert_uint_eq(wv->n_by, 1);
    ck_assert_str_eq(wv->by[0], "qe_lead");
    const capa_stage *in = capa_workflow_stage(w, "intake");
    ck_assert_uint_eq(in->n_routes, 1);
    ck_assert_str_eq(in->routes[0].field, "validity");
    ck_assert_str_eq(in->routes[0].equals, "invalid");
    ck_assert_str_eq(in->routes[0].to, "archive");
    ck_assert_str_eq(in->routes[0].label_zh, "无效投诉");
    const capa_stage *ar = capa_workflow_stage(w, "archive");
    ck_assert_uint_eq(ar->n_requires, 1);
    ck_assert_ptr_null(ar->requires[0].equals);
    capa_workflow_free(w);
}
END_TEST

START_TEST(next_stage_follows_routes_by_value)
{
    capa_workflow *w = default_workflow();
    const capa_route *r = NULL;
    capa_kv invalid[] = {{"containment", "x"}, {"validity", "invalid"}};
    capa_kv valid[] = {{"validity", "valid"}};
    capa_kv empty[] = {{"validity", ""}};
    ck_assert_int_eq(capa_workflow_next(w, 0, invalid, 2, &r), 5);
    ck_assert_ptr_nonnull(r);
    ck_assert_str_eq(r->label_en, "invalid complaint");
    ck_assert_int_eq(capa_workflow_next(w, 0, valid, 1, &r), 1);
    ck_assert_ptr_null(r);
    ck_assert_int_eq(capa_workflow_next(w, 0, empty, 1, &r), 1);
    ck_assert_int_eq(capa_workflow_next(w, 0, NULL, 0, NULL), 1);
    ck_assert_int_eq(capa_workflow_next(w, 5, NULL, 0, &r), -1); /* the last closes */
    capa_workflow_free(w);
}
END_TEST

START_TEST(conditions_hold_only_on_the_value_named)
{
    capa_condition eq = {.field = "result", .equals = "pass"}, any = {.field = "customer_reply"};
    capa_kv pass[] = {{"result", "pass"}}, fail[] = {{"result", "fail"}};
    capa_kv reply[] = {{"customer_reply", "ok"}}, blank[] = {{"customer_reply", ""}};
    ck_assert(capa_condition_holds(&eq, pass, 1));
    ck_assert(!capa_condition_holds(&eq, fail, 1));
    ck_assert(!capa_condition_holds(&eq, NULL, 0));
    ck_assert(capa_condition_holds(&any, reply, 1));
    ck_assert(!capa_condition_holds(&any, blank, 1));
    ck_assert(!capa_condition_holds(&any, pass, 1));
}
END_TEST

START_TEST(group_rules_hold_in_every_row_and_yield_to_a_waiver)
{
    char *any[] = {"control_plan_rev_after"};
    capa_condition doc = {.field = "pfmea_rev_after", .group = "corrective_actions",
                          .any = any, .n_any = 1, .waiver = "waived"};
    capa_condition why = {.field = "error_proofing_reason", .group = "corrective_actions",
                          .if_field = "error_proofing", .if_equals = "none"};
    capa_kv v[] = {{"corrective_actions.1.action", "a"},
                   {"corrective_actions.1.control_plan_rev_after", "B"},
                   {"corrective_actions.1.error_proofing", "detection"},
                   {"corrective_actions.2.action", "b"},
                   {"corrective_actions.2.error_proofing", "none"},
                   {"corrective_actions.3.action", ""}};
    int row = -1;
    /* Row 2 names no document update; row 3 is empty and does not count. */
    ck_assert(!capa_condition_check(&doc, v, 6, 0, &row));
    ck_assert_int_eq(row, 2);
    ck_assert(capa_condition_check(&doc, v, 6, 1, &row)); /* a standing waiver */
    ck_assert(!capa_condition_check(&why, v, 6, 1, &row)); /* no waiver for this one */
    ck_assert_int_eq(row, 2);
    v[4].value = "detection";
    ck_assert(capa_condition_check(&why, v, 6, 0, &row)); /* applies only where none */
    v[1].value = "";
    v[4].value = "none";
    capa_kv r[] = {{"corrective_actions.2.error_proofing_reason", "interim"}};
    ck_assert(capa_condition_holds(&why, r, 1)); /* no row with error_proofing = none */
    ck_assert(!capa_condition_check(&doc, v, 6, 0, &row));
    ck_assert_int_eq(row, 1);
}
END_TEST

START_TEST(rules_across_stages_read_the_other_stage)
{
    /* Every error-proofing device of the plan (stage action) has a passed challenge test. */
    capa_condition dev = {.field = "error_proofing_device", .group = "corrective_actions",
                          .if_field = "error_proofing", .if_equals = "prevention",
                          .stage = "action", .in_group = "challenge_tests",
                          .in_column = "device", .in_if = "result", .in_is = "pass"};
    capa_kv plan[] = {{"corrective_actions.1.error_proofing", "prevention"},
                      {"corrective_actions.1.error_proofing_device", "F-7"},
                      {"corrective_actions.2.error_proofing", "none"},
                      {"corrective_actions.3.error_proofing", "prevention"},
                      {"corrective_actions.3.error_proofing_device", "ST-9"}};
    capa_kv tests[] = {{"challenge_tests.1.device", "F-7"},
                       {"challenge_tests.1.result", "pass"},
                       {"challenge_tests.2.device", "ST-9"},
                       {"challenge_tests.2.result", "fail"},
                       {"challenge_tests.3.note", "ST-9"},
                       {"challenge_tests.3.result", "pass"}};
    int row = -1;
    ck_assert(!capa_condition_check_in(&dev, tests, 6, plan, 5, 0, &row));
    ck_assert_int_eq(row, 3); /* ST-9 failed; the note naming it is no device */
    tests[3].value = "pass";
    ck_assert(capa_condition_check_in(&dev, tests, 6, plan, 5, 0, &row));
    /* No plan data (the stage never reached): nothing to test. */
    ck_assert(capa_condition_check_in(&dev, tests, 6, NULL, 0, 0, &row));
    /* A field failure (stage intake's complaint type) must decide at analysis. */
    capa_condition ntf = {.field = "ntf_decision", .if_field = "complaint_type",
                          .if_equals = "field_failure", .if_stage = "intake"};
    capa_kv ff[] = {{"complaint_type", "field_failure"}}, q[] = {{"complaint_type", "quality"}};
    capa_kv an[] = {{"ntf_decision", "ntf"}};
    ck_assert(!capa_condition_check_in(&ntf, NULL, 0, ff, 1, 0, &row));
    ck_assert(capa_condition_check_in(&ntf, an, 1, ff, 1, 0, &row));
    ck_assert(capa_condition_check_in(&ntf, NULL, 0, q, 1, 0, &row));
    /* The analysis field itself is not read as the intake's. */
    ck_assert(!capa_condition_check_in(&ntf, NULL, 0, (capa_kv[]){{"complaint_type",
                                                                   "field_failure"},
                                                                  {"ntf_decision", "ntf"}},
                                       2, 0, &row));
}
END_TEST

START_TEST(rule_sentences_name_field_value_and_outcome)
{
    capa_workflow *w = default_workflow();
    const capa_formdef *fd = NULL;
    char zh[600], en[600];
    OK(capa_store_form(&fd, s, "verification", 1));
    const capa_stage *ver = capa_workflow_stage(w, "verification");
    capa_kv fail[] = {{"result", "fail"}};
    ck_assert_int_eq(
        capa_stage_rule(zh, sizeof zh, en, sizeof en, w, ver, fd, fail, 1, 0, 0, NULL, NULL), 1);
    ck_assert_str_eq(en, "sign-off requires Result = Pass; this case: Fail (not met yet)");
    ck_assert_str_eq(zh, "签核要求 验证结果 = 合格；本案：不合格（尚未满足）");
    ck_assert_int_eq(capa_stage_rule(zh, sizeof zh, en, sizeof en, w, ver, fd, fail, 1, 0,
                                     ver->n_requires, NULL, NULL),
                     0);
    /* Without a form the ids stand in for labels. */
    capa_kv pass[] = {{"result", "pass"}};
    ck_assert_int_eq(
        capa_stage_rule(zh, sizeof zh, en, sizeof en, w, ver, NULL, pass, 1, 1, 0, NULL, NULL), 1);
    ck_assert_str_eq(en, "sign-off requires result = pass; this case: pass (met)");
    const capa_stage *ar = capa_workflow_stage(w, "archive");
    ck_assert_int_eq(
        capa_stage_rule(zh, sizeof zh, en, sizeof en, w, ar, NULL, NULL, 0, 0, 1, NULL, NULL), 1);
    ck_assert_ptr_nonnull(strstr(en, "independent sign-off"));
    /* Tiny buffers truncate, never overflow. */
    char tz[8], te[8];
    ck_assert_int_eq(
        capa_stage_rule(tz, sizeof tz, te, sizeof te, w, ver, fd, fail, 1, 0, 0, NULL, NULL), 1);
    ck_assert_uint_le(strlen(te), 7);
    capa_workflow_free(w);
}
END_TEST

START_TEST(workflow_rules_are_checked_when_parsed)
{
    capa_workflow *w = NULL;
    capa_diag diag = {0};
    ck_assert_int_eq(parse_edited(&w, "to=\"archive\" zh=\"无效投诉\"", "to=\"nowhere\" zh=\"无效投诉\"",
                                  &diag),
                     CAPA_EINVALID);
    char *msg = capa_diag_join(&diag, "\n");
    ck_assert_msg(strstr(msg, "stage `intake` routes to `nowhere`, which is not a stage"), "%s", msg);
    capa__free(msg);
    capa_diag_clear(&diag);
    ck_assert_int_eq(
        parse_edited(&w, "in-is=\"pass\"/>\n      </signoff>",
                     "in-is=\"pass\"/>\n<route field=\"result\" equals=\"pass\" to=\"action\" "
                     "zh=\"x\" en=\"x\"/></signoff>",
                     &diag),
        CAPA_EINVALID);
    msg = capa_diag_join(&diag, "\n");
    ck_assert_msg(strstr(msg, "routes to `action`, which is not a later stage"), "%s", msg);
    capa__free(msg);
    capa_diag_clear(&diag);
    /* The schema: a route needs its labels; a require needs a field. */
    ck_assert_int_eq(parse_edited(&w, " zh=\"无效投诉\"\n               en=\"invalid complaint\"", "",
                                  &diag),
                     CAPA_EINVALID);
    capa_diag_clear(&diag);
    ck_assert_int_eq(parse_edited(&w, "<require field=\"result\" equals=\"pass\"/>",
                                  "<require equals=\"pass\"/>", &diag),
                     CAPA_EINVALID);
    capa_diag_clear(&diag);
    ck_assert_ptr_null(w);
}
END_TEST

START_TEST(rules_must_name_fields_and_choices_of_the_forms)
{
    capa_workflow *w = NULL;
    capa_diag diag = {0};
    const capa_formdef *forms[6];
    static const char *const ids[] = {"intake", "analysis", "action", "rework", "verification",
                                      "archive"};
    for (int i = 0; i < 6; i++)
        OK(capa_store_form(&forms[i], s, ids[i], 1));
    OK(parse_edited(&w, "equals=\"pass\"", "equals=\"passed\"", &diag));
    ck_assert_int_eq(capa_workflow_check_forms(w, forms, 6, &diag), CAPA_EINVALID);
    char *msg = capa_diag_join(&diag, "\n");
    ck_assert_msg(strstr(msg, "wants field `result` = 'passed', which is not a choice"), "%s", msg);
    capa__free(msg);
    capa_diag_clear(&diag);
    capa_workflow_free(w);
    OK(parse_edited(&w, "field=\"validity\"", "field=\"validness\"", &diag));
    ck_assert_int_eq(capa_workflow_check_forms(w, forms, 6, &diag), CAPA_EINVALID);
    msg = capa_diag_join(&diag, "\n");
    ck_assert_msg(strstr(msg, "names field `validness`, which is not a (non-group) field"), "%s",
                  msg);
    capa__free(msg);
    capa_diag_clear(&diag);
    capa_workflow_free(w);
}
END_TEST

/* ---- the engine ---- */

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

START_TEST(invalid_complaint_goes_straight_to_archive)
{
    char *num = tu_open_case(s, NULL);
    OK(set1(num, "wang", "validity", "invalid"));
    OK(set1(num, "wang", "containment", "无需"));
    OK(sign(num, "wang", "reviewed"));
    capa_case *c = NULL;
    const capa_workflow *w = NULL;
    OK(capa_case_get(&c, s, num));
    OK(capa_store_workflow(&w, s));
    ck_assert_str_eq(c->stage, "archive");
    ck_assert_ptr_null(capa_case_skipped(c, w, 0));
    for (size_t i = 1; i <= 4; i++) {
        const capa_route *r = capa_case_skipped(c, w, i);
        ck_assert_ptr_nonnull(r);
        ck_assert_str_eq(r->label_zh, "无效投诉");
    }
    ck_assert_ptr_null(capa_case_skipped(c, w, 5));
    ck_assert_ptr_null(capa_case_skipped(c, w, 99));
    capa_case_free(c);
    /* The reply to the customer is required before closing. */
    FAILS(sign(num, "chen", "closed"), CAPA_EINVALID, "field `customer_reply`");
    OK(set1(num, "wang", "customer_reply", "已向客户说明"));
    OK(set1(num, "wang", "lessons_learned", "无"));
    OK(sign(num, "chen", "closed"));
    capa_verify_report *rep = NULL;
    OK(capa_store_verify(&rep, s, NULL));
    ck_assert_int_eq(rep->ok, 1);
    capa_verify_report_free(rep);
    free(num);
}
END_TEST

START_TEST(a_case_not_yet_signed_skips_nothing)
{
    char *num = tu_open_case(s, NULL);
    OK(set1(num, "wang", "validity", "invalid"));
    capa_case *c = NULL;
    const capa_workflow *w = NULL;
    OK(capa_case_get(&c, s, num));
    OK(capa_store_workflow(&w, s));
    for (size_t i = 0; i < c->n_stages; i++)
        ck_assert_ptr_null(capa_case_skipped(c, w, i));
    capa_case_free(c);
    free(num);
}
END_TEST

static void to_verification(const char *num)
{
    capa_actor w = tu_as("wang"), sun = tu_as("sun");
    OK(set1(num, "wang", "validity", "valid"));
    OK(set1(num, "wang", "containment", "隔离"));
    OK(sign(num, "wang", "reviewed"));
    capa_kv an[] = {{"five_why.1.why", "a"}, {"five_why.1.because", "b"}, {"category_6m", "method"},
                    {"root_cause_occurrence", "c"}, {"root_cause_escape", "d"}};
    OK(capa_case_set(s, num, &w, an, 5, NULL));
    OK(sign(num, "chen", "reviewed"));
    capa_kv ac[] = {{"corrective_actions.1.action", "a"}, {"corrective_actions.1.owner", "sun"},
                    {"corrective_actions.1.due", "2026-12-05"},
                    {"preventive_actions.1.action", "b"}, {"preventive_actions.1.owner", "wang"},
                    {"preventive_actions.1.due", "2026-12-20"},
                    TU_D7};
    OK(capa_case_set(s, num, &w, ac, 11, NULL));
    OK(sign(num, "zhao", "approved"));
    capa_kv rw[] = {{"disposition", "rework"}};
    OK(capa_case_set(s, num, &sun, rw, 1, NULL));
    OK(sign(num, "sun", "done"));
}

START_TEST(failed_verification_cannot_be_verified)
{
    char *num = tu_open_case(s, NULL);
    to_verification(num);
    capa_actor w = tu_as("wang");
    capa_kv ve[] = {{"method", "复检"}, {"result", "fail"}, {"evidence", "2 件不良"}};
    OK(capa_case_set(s, num, &w, ve, 3, NULL));
    uint64_t before = tu_events(s);
    FAILS(sign(num, "wang", "verified"), CAPA_EINVALID,
          "field `result` (验证结果): value 'fail' (不合格); the workflow's rule: 'verified' "
          "requires result = 'pass' (合格); the way on: set the field after a new check, or "
          "reject back to action");
    ck_assert_int_eq(tu_events(s), before);
    OK(set1(num, "wang", "result", "pass"));
    OK(sign(num, "wang", "verified"));
    free(num);
}
END_TEST

START_TEST(every_empty_required_field_is_named_with_the_failed_condition)
{
    char *num = tu_open_case(s, NULL);
    to_verification(num);
    OK(set1(num, "wang", "result", "fail"));
    FAILS(sign(num, "wang", "verified"), CAPA_EINVALID, "field `method`: value '' is required");
    ck_assert_ptr_nonnull(strstr(capa_error_last(), "field `evidence`: value '' is required"));
    ck_assert_ptr_nonnull(strstr(capa_error_last(), "value 'fail'"));
    free(num);
}
END_TEST

START_TEST(person_complained_about_may_not_edit)
{
    char *num = tu_open_case(s, "sun");
    OK(set1(num, "wang", "validity", "valid"));
    OK(set1(num, "wang", "containment", "隔离"));
    OK(sign(num, "wang", "reviewed"));
    capa_actor w = tu_as("wang");
    capa_kv an[] = {{"five_why.1.why", "a"}, {"five_why.1.because", "b"}, {"category_6m", "method"},
                    {"root_cause_occurrence", "c"}, {"root_cause_escape", "d"}};
    OK(capa_case_set(s, num, &w, an, 5, NULL));
    OK(sign(num, "chen", "reviewed"));
    capa_kv ac[] = {{"corrective_actions.1.action", "a"}, {"corrective_actions.1.owner", "wang"},
                    {"corrective_actions.1.due", "2026-12-05"},
                    {"preventive_actions.1.action", "b"}, {"preventive_actions.1.owner", "wang"},
                    {"preventive_actions.1.due", "2026-12-20"},
                    TU_D7};
    OK(capa_case_set(s, num, &w, ac, 11, NULL));
    OK(sign(num, "zhao", "approved"));
    /* Rework is production's stage, and sun is production: recusal still forbids it. */
    uint64_t before = tu_events(s);
    FAILS(set1(num, "sun", "disposition", "rework"), CAPA_EDENIED,
          "user `sun` is the person complained about (subject_person, 被投诉人) and is recused "
          "from this case: no edit, no sign-off");
    FAILS(sign(num, "sun", "done"), CAPA_EDENIED, "recused");
    ck_assert_int_eq(tu_events(s), before);
    free(num);
}
END_TEST

START_TEST(independence_refusal_names_who_can_sign)
{
    char *num = tu_open_case(s, NULL);
    OK(set1(num, "wang", "validity", "valid"));
    OK(set1(num, "wang", "containment", "隔离"));
    OK(sign(num, "wang", "reviewed"));
    capa_actor w = tu_as("wang");
    capa_kv an[] = {{"five_why.1.why", "a"}, {"five_why.1.because", "b"}, {"category_6m", "method"},
                    {"root_cause_occurrence", "c"}, {"root_cause_escape", "d"}};
    OK(capa_case_set(s, num, &w, an, 5, NULL));
    OK(sign(num, "chen", "reviewed"));
    capa_kv ac[] = {{"corrective_actions.1.action", "a"}, {"corrective_actions.1.owner", "sun"},
                    {"corrective_actions.1.due", "2026-12-05"},
                    {"preventive_actions.1.action", "b"}, {"preventive_actions.1.owner", "wang"},
                    {"preventive_actions.1.due", "2026-12-20"},
                    TU_D7};
    OK(capa_case_set(s, num, &w, ac, 11, NULL));
    OK(set1(num, "zhao", "corrective_actions.1.due", "2026-12-06"));
    FAILS(sign(num, "zhao", "approved"), CAPA_EDENIED,
          "no other user with role prod_mgr can sign it: an admin must add one");
    capa_actor admin = tu_as("admin");
    OK(capa_user_add(s, &admin, "qian", "prod_mgr", "钱经理", "生产部", TU_PW));
    FAILS(sign(num, "zhao", "approved"), CAPA_EDENIED, "who can sign instead: qian (钱经理)");
    OK(sign(num, "qian", "approved"));
    free(num);
}
END_TEST

/* ---- refusals as data (capa_refusal_last) ---- */

static const capa_violation *violation_of(const capa_refusal *r, const char *rule,
                                          const char *field)
{
    for (size_t i = 0; r && i < r->n; i++)
        if (!strcmp(r->v[i].rule, rule) && !strcmp(r->v[i].field, field))
            return &r->v[i];
    return NULL;
}

START_TEST(refusals_come_as_data)
{
    char *num = tu_open_case(s, NULL);
    /* a pattern and a choice refused on set: field, labels, value, the rule's parameters */
    capa_actor w = tu_as("wang");
    capa_kv bad[] = {{"lot_no", "-x"}, {"severity", "urgent"}};
    ck_assert_int_eq(capa_case_set(s, num, &w, bad, 2, NULL), CAPA_EINVALID);
    const capa_refusal *r = capa_refusal_last();
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(r->code, CAPA_EINVALID);
    ck_assert_str_eq(r->action, "set");
    ck_assert_str_eq(r->case_number, num);
    ck_assert_str_eq(r->stage, "intake");
    const capa_violation *v = violation_of(r, "field.pattern", "lot_no");
    ck_assert_ptr_nonnull(v);
    ck_assert_str_eq(v->value, "-x");
    ck_assert_str_eq(v->label_en, "Lot number");
    ck_assert_str_eq(capa_refusal_param_get(v, "pattern"), "[A-Za-z0-9][A-Za-z0-9._/-]*");
    v = violation_of(r, "field.choice", "severity");
    ck_assert_ptr_nonnull(v);
    ck_assert_str_eq(capa_refusal_param_get(v, "choices_zh"), "一般、重要、重大");
    /* a new error clears it; a copy restores it */
    capa_refusal *copy = capa_refusal_dup(r);
    ck_assert_ptr_nonnull(copy);
    capa_error_set(CAPA_ERROR, "something else");
    ck_assert_ptr_null(capa_refusal_last());
    capa_refusal_restore(copy);
    ck_assert_ptr_nonnull(capa_refusal_last());
    ck_assert_str_eq(capa_refusal_last()->v[0].rule, copy->v[0].rule);
    ck_assert_uint_eq(capa_refusal_last()->n, copy->n);
    capa_refusal_free(copy);
    /* required before sign-off, a role that may not sign (with who may, by printed name) */
    ck_assert_int_eq(sign(num, "wang", "reviewed"), CAPA_EINVALID);
    ck_assert_ptr_nonnull(violation_of(capa_refusal_last(), "field.required", "validity"));
    ck_assert_str_eq(violation_of(capa_refusal_last(), "field.required", "validity")->label_zh,
                     "有效性");
    ck_assert_int_eq(sign(num, "li", "reviewed"), CAPA_EDENIED);
    v = violation_of(capa_refusal_last(), "sign.role", "");
    ck_assert_ptr_nonnull(v);
    ck_assert_str_eq(capa_refusal_param_get(v, "roles"), "qe");
    ck_assert_ptr_nonnull(capa_refusal_param_get(v, "who"));
    /* not found; an error that carries no data has none */
    ck_assert_int_eq(sign("QC-1999-0001", "wang", "reviewed"), CAPA_ENOTFOUND);
    ck_assert_ptr_nonnull(violation_of(capa_refusal_last(), "case.not_found", ""));
    ck_assert_int_eq(capa_case_may_open(s, "sun", NULL), CAPA_EDENIED);
    ck_assert_ptr_nonnull(violation_of(capa_refusal_last(), "open.role", ""));
    ck_assert_int_eq(capa_case_may_open(s, "li", NULL), CAPA_OK);
    free(num);
}
END_TEST

/* ---- several workflows in one store ---- */

static int count_cb(const capa_case_header *h, void *payload)
{
    (void)h;
    (*(int *)payload)++;
    return 0;
}

static int ids_cb(const capa_workflow *w, void *payload)
{
    strcat(payload, w->id);
    strcat(payload, " ");
    return 0;
}

START_TEST(scar_cases_are_numbered_apart_and_keep_their_workflow)
{
    capa_actor admin = tu_as("admin"), ma = tu_as("ma");
    OK(capa_user_add(s, &admin, "ma", "sqe", "马工", "采购品质", TU_PW));
    char *q = tu_open_case(s, NULL), *n = NULL;
    capa_kv v[] = {{"supplier", "深圳精密"}, {"part_no", "BRK-1"}, {"description", "毛刺"},
                   {"severity", "general"}};
    OK(capa_case_open_in(&n, s, &ma, "scar", v, 4));
    ck_assert_int_eq(strncmp(n, "SCAR-", 5), 0);
    ck_assert_str_eq(n + strlen(n) - 5, "-0001");
    ck_assert_str_eq(q + strlen(q) - 5, "-0001");
    capa_case *c = NULL;
    OK(capa_case_get(&c, s, n));
    ck_assert_str_eq(c->workflow, "scar");
    ck_assert_str_eq(c->stage, "scar_request");
    ck_assert_uint_eq(c->n_stages, 4);
    capa_case_free(c);
    OK(capa_case_get(&c, s, q));
    ck_assert_str_eq(c->workflow, CAPA_WORKFLOW_DEFAULT);
    capa_case_free(c);
    char *none = NULL;
    FAILS(capa_case_open_in(&none, s, &ma, "nosuch", v, 4), CAPA_ENOTFOUND,
          "workflow `nosuch`: not installed");
    ck_assert_ptr_null(none);
    int k = 0;
    capa_filter f = {.closed = -1, .workflow = "scar"};
    OK(capa_case_list(s, &f, count_cb, &k));
    ck_assert_int_eq(k, 1);
    k = 0;
    f.workflow = "complaint";
    OK(capa_case_list(s, &f, count_cb, &k));
    ck_assert_int_eq(k, 1);
    char ids[64] = "";
    OK(capa_store_workflows(s, ids_cb, ids));
    ck_assert_str_eq(ids, "complaint scar ");
    capa_verify_report *rep = NULL;
    OK(capa_store_verify(&rep, s, NULL));
    ck_assert_int_eq(rep->ok, 1);
    capa_verify_report_free(rep);
    free(q);
    free(n);
}
END_TEST

Suite *capa_rules_suite(void)
{
    Suite *su = suite_create("rules");
    TCase *defs = tcase_create("definitions");
    tcase_add_checked_fixture(defs, setup, teardown);
    tcase_add_test(defs, default_workflow_has_the_rules_of_the_procedure);
    tcase_add_test(defs, next_stage_follows_routes_by_value);
    tcase_add_test(defs, conditions_hold_only_on_the_value_named);
    tcase_add_test(defs, rule_sentences_name_field_value_and_outcome);
    tcase_add_test(defs, group_rules_hold_in_every_row_and_yield_to_a_waiver);
    tcase_add_test(defs, rules_across_stages_read_the_other_stage);
    tcase_add_test(defs, workflow_rules_are_checked_when_parsed);
    tcase_add_test(defs, rules_must_name_fields_and_choices_of_the_forms);
    suite_add_tcase(su, defs);
    TCase *eng = tcase_create("engine");
    tcase_add_checked_fixture(eng, setup, teardown);
    tcase_set_timeout(eng, 120);
    tcase_add_test(eng, invalid_complaint_goes_straight_to_archive);
    tcase_add_test(eng, a_case_not_yet_signed_skips_nothing);
    tcase_add_test(eng, failed_verification_cannot_be_verified);
    tcase_add_test(eng, every_empty_required_field_is_named_with_the_failed_condition);
    tcase_add_test(eng, person_complained_about_may_not_edit);
    tcase_add_test(eng, independence_refusal_names_who_can_sign);
    tcase_add_test(eng, refusals_come_as_data);
    tcase_add_test(eng, scar_cases_are_numbered_apart_and_keep_their_workflow);
    suite_add_tcase(su, eng);
    return su;
}
