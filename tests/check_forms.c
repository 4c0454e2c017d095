/*
 * check_forms.c - the forms layer: the default definitions parse and carry the 8D content the
 * CLI walk relies on; every value rule rejects with a message naming field, value and rule;
 * broken and hostile definitions are refused with file and line, without reading files or
 * printing; and every allocation failure while parsing ends in CAPA_ENOMEM, not a crash.
 */
#include <check.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include "capa_form.h"
#include "capa_calendar.h"
#include "testutil.h"

static capa_diag diag;

static void setup(void)
{
    ck_assert_int_eq(capa_form_init(), CAPA_OK);
    memset(&diag, 0, sizeof diag);
}

static void teardown(void)
{
    capa_diag_clear(&diag);
}

/* Whether any collected message contains `needle`; prints them all when not, to debug. */
static int has_msg(const char *needle)
{
    for (size_t i = 0; i < diag.n; i++)
        if (strstr(diag.msgs[i], needle))
            return 1;
    for (size_t i = 0; i < diag.n; i++)
        fprintf(stderr, "  diag[%zu]: %s\n", i, diag.msgs[i]);
    return 0;
}

static int has_no_msg(const char *needle)
{
    for (size_t i = 0; i < diag.n; i++)
        if (strstr(diag.msgs[i], needle))
            return 0;
    return 1;
}

static capa_formdef *default_form(const char *id)
{
    char name[64];
    const capa_embedded_file *f;
    capa_formdef *def = NULL;
    capa_diag d = {0};

    snprintf(name, sizeof name, "%s.xml", id);
    f = capa_form_embedded_get(name);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(capa_formdef_parse(&def, f->data, f->len, name, &d), CAPA_OK);
    ck_assert_uint_eq(d.n, 0);
    capa_diag_clear(&d);
    return def;
}

static capa_workflow *default_workflow(void)
{
    const capa_embedded_file *f = capa_form_embedded_get("workflow.xml");
    capa_workflow *w = NULL;
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(capa_workflow_parse(&w, f->data, f->len, "workflow.xml", &diag), CAPA_OK);
    return w;
}

static int known_user(const char *user, void *payload)
{
    static const char *const users[] = {"admin", "li", "wang", "chen", "zhao", "sun", "zhou"};
    (void)payload;
    for (size_t i = 0; i < sizeof users / sizeof *users; i++)
        if (strcmp(users[i], user) == 0)
            return 1;
    return 0;
}

/* Validate one name=value against a default form at level NO. */
static int check1(const char *form, const char *name, const char *value)
{
    capa_formdef *f = default_form(form);
    capa_kv kv = {name, value};
    int rc = capa_form_validate(f, &kv, 1, CAPA_REQ_NO, known_user, NULL, &diag);
    capa_formdef_free(f);
    return rc;
}

static const char *data_path(char *buf, size_t sz, const char *file)
{
    snprintf(buf, sz, "%s/forms/%s", CAPA_TEST_DATA, file);
    return buf;
}

static int load_form(const char *file)
{
    char path[4096];
    capa_formdef *f = NULL;
    int rc = capa_formdef_load(&f, data_path(path, sizeof path, file), &diag);
    ck_assert(rc == CAPA_OK || f == NULL);
    capa_formdef_free(f);
    return rc;
}

/* ---- default definitions ---- */

START_TEST(every_default_definition_parses)
{
    size_t forms = 0, schemas = 0;
    for (const capa_embedded_file *e = capa_form_embedded(); e->name; e++) {
        size_t n = strlen(e->name);
        if (n > 4 && strcmp(e->name + n - 4, ".xsd") == 0) {
            schemas++;
            continue;
        }
        if (strncmp(e->name, "calendar-", 9) == 0) {
            capa_calendar *cal = NULL;
            ck_assert_msg(capa_calendar_parse(&cal, e->data, e->len, e->name, &diag) == CAPA_OK,
                          "%s", e->name);
            capa_calendar_free(cal);
            continue;
        }
        if (strcmp(e->name, "workflow.xml") == 0) {
            capa_workflow *w = default_workflow();
            ck_assert_uint_eq(w->source_len, e->len);
            ck_assert_int_eq(memcmp(w->source, e->data, e->len), 0);
            capa_workflow_free(w);
            continue;
        }
        if (strncmp(e->name, "workflow-", 9) == 0) { /* a further workflow: scar, ... */
            capa_definitions *d = NULL;
            ck_assert_msg(capa_definitions_load_file(&d, NULL, e->name, &diag) == CAPA_OK,
                          "%s", e->name);
            ck_assert_ptr_nonnull(d->workflow->number_pattern);
            ck_assert_str_ne(d->workflow->id, CAPA_WORKFLOW_DEFAULT);
            capa_definitions_free(d);
            continue;
        }
        capa_formdef *f = NULL;
        ck_assert_msg(capa_formdef_parse(&f, e->data, e->len, e->name, &diag) == CAPA_OK, "%s",
                      e->name);
        ck_assert_int_eq(f->version, 1);
        ck_assert_uint_gt(f->n_fields, 0);
        ck_assert_uint_eq(f->source_len, e->len);
        ck_assert_int_eq(memcmp(f->source, e->data, e->len), 0);
        ck_assert_ptr_nonnull(f->label_zh);
        ck_assert_ptr_nonnull(f->label_en);
        for (size_t i = 0; i < f->n_fields; i++) {
            ck_assert_ptr_nonnull(f->fields[i].label_zh);
            ck_assert_ptr_nonnull(f->fields[i].label_en);
        }
        forms++;
        capa_formdef_free(f);
    }
    ck_assert_uint_eq(forms, 10); /* six complaint stages, four scar stages */
    ck_assert_uint_eq(schemas, 5) /* form, workflow, calendar, case, mapping */;
    ck_assert_uint_eq(diag.n, 0);
}
END_TEST

START_TEST(default_workflow_is_the_8d_procedure)
{
    static const char *const ids[] = {"intake", "analysis",     "action",
                                      "rework", "verification", "archive"};
    static const char *const meanings[] = {"reviewed", "reviewed", "approved",
                                           "done",     "verified", "closed"};
    static const char *const signer[] = {"qe",         "qe_lead", "prod_mgr",
                                         "production", "qe",      "qe_lead"};
    capa_workflow *w = default_workflow();
    int major_closure = 0;

    ck_assert_uint_eq(w->n_stages, 6);
    ck_assert_uint_eq(w->n_roles, 7);
    for (size_t i = 0; i < 6; i++) {
        const capa_stage *s = &w->stages[i];
        ck_assert_str_eq(s->id, ids[i]);
        ck_assert_str_eq(s->form_id, ids[i]);
        ck_assert_str_eq(s->sign_meaning, meanings[i]);
        ck_assert_uint_eq(s->n_signers, 1);
        ck_assert_str_eq(s->signers[0], signer[i]);
        ck_assert_ptr_nonnull(s->sign_meaning_zh);
        ck_assert_int_eq(capa_workflow_stage_index(w, ids[i]), (int)i);
    }
    ck_assert_str_eq(w->stages[0].label_zh, "品质异常反馈");
    ck_assert_str_eq(w->stages[2].sign_meaning_zh, "批准");
    ck_assert(capa_role_in(w->stages[0].editors, w->stages[0].n_editors, "intake"));
    ck_assert(capa_role_in(w->stages[2].editors, w->stages[2].n_editors, "prod_mgr"));
    ck_assert(!capa_role_in(w->stages[4].editors, w->stages[4].n_editors, "production"));
    ck_assert_str_eq(w->stages[2].reject_to, "analysis");
    ck_assert(capa_role_in(w->stages[2].rejecters, w->stages[2].n_rejecters, "prod_mgr"));
    ck_assert_str_eq(w->stages[4].reject_to, "action");
    ck_assert_ptr_null(w->stages[3].reject_to);
    ck_assert_int_eq(w->stages[2].sign_independent, 1);
    ck_assert_int_eq(w->stages[5].sign_independent, 1);
    ck_assert_int_eq(w->stages[0].sign_independent, 0);
    ck_assert_str_eq(capa_workflow_role(w, "auditor")->label_zh, "审核员");
    ck_assert_ptr_null(capa_workflow_stage(w, "nope"));
    ck_assert(w->warn_percent == 80);
    for (size_t i = 0; i < w->n_limits; i++) {
        /* In calendar hours, or (the plan: 3 working days) in working days, never both. */
        ck_assert((w->limits[i].hours > 0) != (w->limits[i].working_days > 0));
        if (strcmp(w->limits[i].kind, "plan") == 0)
            ck_assert_int_eq(w->limits[i].working_days, 3);
        if (strcmp(w->limits[i].severity, "major") == 0 &&
            strcmp(w->limits[i].kind, "closure") == 0)
            major_closure = (int)w->limits[i].hours;
    }
    ck_assert_int_eq(major_closure, 168);
    capa_workflow_free(w);
}
END_TEST

START_TEST(intake_form_has_bilingual_choices_and_required_levels)
{
    capa_formdef *f = default_form("intake");
    const capa_field *sev = capa_formdef_field(f, "severity");

    ck_assert_ptr_nonnull(sev);
    ck_assert_int_eq(sev->type, CAPA_FT_CHOICE);
    ck_assert_int_eq(sev->required, CAPA_REQ_CREATE);
    ck_assert_str_eq(capa_field_choice(sev, "major")->label_zh, "重大");
    ck_assert_str_eq(capa_field_choice(sev, "general")->label_en, "General");
    ck_assert_ptr_null(capa_field_choice(sev, "critical"));
    ck_assert_int_eq(capa_formdef_field(f, "validity")->required, CAPA_REQ_SIGN);
    ck_assert_int_eq(capa_formdef_field(f, "containment")->type, CAPA_FT_MULTILINE);
    ck_assert_int_eq(capa_formdef_field(f, "subject_person")->type, CAPA_FT_USER);
    ck_assert_ptr_null(capa_formdef_field(f, "nope"));
    ck_assert_str_eq(capa_ftype_name(CAPA_FT_GROUP), "group");
    capa_formdef_free(f);

    f = default_form("analysis");
    ck_assert_int_eq(capa_formdef_field(f, "five_why")->type, CAPA_FT_GROUP);
    ck_assert_uint_eq(capa_formdef_field(f, "five_why")->n_columns, 2);
    ck_assert_str_eq(capa_field_choice(capa_formdef_field(f, "category_6m"), "method")->label_zh,
                     "法");
    capa_formdef_free(f);
}
END_TEST

/* ---- the CLI walk of issue 3, stage by stage ---- */

static void walk_stage(const char *form, const capa_kv *kv, size_t n, capa_required level)
{
    capa_formdef *f = default_form(form);
    int rc = capa_form_validate(f, kv, n, level, known_user, NULL, &diag);
    if (rc != CAPA_OK)
        has_msg("(print)");
    ck_assert_msg(rc == CAPA_OK, "stage %s", form);
    ck_assert_uint_eq(diag.n, 0);
    capa_formdef_free(f);
}

START_TEST(cli_walk_values_validate)
{
    const capa_kv open[] = {
        {"customer", "华东汽车"},         {"part_no", "PCB-7731"},
        {"lot_no", "L2026-1102"},         {"qty_affected", "120"},
        {"defect_code", "SOLDER-BRIDGE"}, {"severity", "important"},
        {"channel", "written"},           {"complaint_type", "quality"},
        {"responsible_dept", "生产部"},   {"description", "焊点连锡，客户来料检验发现"},
    };
    capa_kv intake[sizeof open / sizeof *open + 2];
    const capa_kv analysis[] = {
        {"five_why.1.why", "为何连锡"},
        {"five_why.1.because", "钢网开口偏大"},
        {"category_6m", "method"},
        {"root_cause_occurrence", "钢网开口设计偏大 0.05 mm"},
        {"root_cause_escape", "AOI 程序未覆盖该位置"},
    };
    const capa_kv action[] = {
        {"corrective_actions.1.action", "钢网开口缩小 10%"},
        {"corrective_actions.1.owner", "sun"},
        {"corrective_actions.1.due", "2026-12-05"},
        {"preventive_actions.1.action", "更新钢网设计规范"},
        {"preventive_actions.1.owner", "wang"},
        {"preventive_actions.1.due", "2026-12-20"},
    };
    const capa_kv rework[] = {
        {"disposition", "rework"}, {"rework_mode", "in_house"}, {"rework_order", "RW-2026-0088"},
        {"qty_reworked", "120"},   {"qty_scrapped", "0"},       {"qty_received", "120"},
    };
    const capa_kv verification[] = {
        {"method", "复检 + 批量验证"},
        {"sample_size", "200"},
        {"result", "pass"},
        {"evidence", "连续 3 批 0 不良"},
    };
    const capa_kv archive[] = {
        {"customer_reply", "已回复客户 8D 报告"},
        {"follow_up_date", "2026-12-28"},
        {"follow_up_by", "wang"},
        {"satisfaction", "satisfied"},
        {"lessons_learned", "钢网设计评审加入开口检查"},
        {"documents_updated", "WI-SMT-012 rev C"},
    };
    size_t n = sizeof open / sizeof *open;

    walk_stage("intake", open, n, CAPA_REQ_CREATE);
    memcpy(intake, open, sizeof open);
    intake[n++] = (capa_kv){"validity", "valid"};
    intake[n++] = (capa_kv){"containment", "库存隔离 3 批，全检"};
    walk_stage("intake", intake + sizeof open / sizeof *open, 2, CAPA_REQ_NO);
    walk_stage("intake", intake, n, CAPA_REQ_SIGN);
    walk_stage("analysis", analysis, 5, CAPA_REQ_SIGN);
    walk_stage("action", action, 3, CAPA_REQ_NO);
    walk_stage("action", action, 6, CAPA_REQ_SIGN);
    walk_stage("rework", rework, 6, CAPA_REQ_SIGN);
    walk_stage("verification", verification, 4, CAPA_REQ_SIGN);
    walk_stage("archive", archive, 6, CAPA_REQ_SIGN);
}
END_TEST

/* ---- each value rule ---- */

START_TEST(unknown_field_is_rejected)
{
    ck_assert_int_eq(check1("intake", "colour", "red"), CAPA_EINVALID);
    ck_assert(has_msg("field `colour`: value 'red' is not a field of form `intake`"));
    ck_assert_int_eq(check1("intake", "nogroup.1.x", "y"), CAPA_EINVALID);
    ck_assert(has_msg("field `nogroup.1.x`: value 'y' is not a field of form `intake`"));
}
END_TEST

START_TEST(integer_rules)
{
    ck_assert_int_eq(check1("intake", "qty_affected", "120"), CAPA_OK);
    ck_assert_int_eq(check1("intake", "qty_affected", "+7"), CAPA_OK);
    ck_assert_int_eq(check1("intake", "qty_affected", "12x"), CAPA_EINVALID);
    ck_assert(has_msg("field `qty_affected`: value '12x' is not an integer"));
    ck_assert_int_eq(check1("intake", "qty_affected", " 12"), CAPA_EINVALID);
    ck_assert_int_eq(check1("intake", "qty_affected", "1.5"), CAPA_EINVALID);
    ck_assert_int_eq(check1("intake", "qty_affected", "99999999999999999999999"), CAPA_EINVALID);
    ck_assert(has_msg("value '99999999999999999999999' is not an integer"));
    ck_assert_int_eq(check1("intake", "qty_affected", "-1"), CAPA_EINVALID);
    ck_assert(has_msg("field `qty_affected`: value '-1' is below the minimum 0"));
    ck_assert_int_eq(check1("archive", "retention_years", "31"), CAPA_EINVALID);
    ck_assert(has_msg("field `retention_years`: value '31' is above the maximum 30"));
    ck_assert_int_eq(check1("archive", "retention_years", "30"), CAPA_OK);
}
END_TEST

static const char types_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<form xmlns=\"urn:capa:form:1\" id=\"types\" version=\"3\" zh=\"类型\" en=\"Types\">\n"
    "  <field id=\"ppm\" type=\"decimal\" zh=\"百万分率\" en=\"PPM\" min=\"0\" max=\"1000.5\"/>\n"
    "  <field id=\"seen_at\" type=\"datetime\" zh=\"发现时间\" en=\"Seen at\"/>\n"
    "  <field id=\"recurrence\" type=\"boolean\" zh=\"重复发生\" en=\"Recurrence\"/>\n"
    "  <field id=\"code\" type=\"text\" zh=\"代码\" en=\"Code\" pattern=\"[A-Z0-9-]+\"\n"
    "         max-length=\"5\"/>\n"
    "  <group id=\"rows\" zh=\"行\" en=\"Rows\" min-rows=\"2\" max-rows=\"3\">\n"
    "    <field id=\"a\" type=\"text\" zh=\"甲\" en=\"A\" required=\"create\"/>\n"
    "    <field id=\"b\" type=\"text\" zh=\"乙\" en=\"B\"/>\n"
    "  </group>\n"
    "</form>\n";

static int check_types(const char *name, const char *value)
{
    capa_formdef *f = NULL;
    capa_kv kv = {name, value};
    int rc;
    ck_assert_int_eq(capa_formdef_parse(&f, types_xml, strlen(types_xml), "types.xml", &diag),
                     CAPA_OK);
    rc = capa_form_validate(f, &kv, 1, CAPA_REQ_NO, known_user, NULL, &diag);
    capa_formdef_free(f);
    return rc;
}

START_TEST(decimal_datetime_boolean_rules)
{
    ck_assert_int_eq(check_types("ppm", "12.5"), CAPA_OK);
    ck_assert_int_eq(check_types("ppm", "1000.5"), CAPA_OK);
    ck_assert_int_eq(check_types("ppm", "1000.6"), CAPA_EINVALID);
    ck_assert(has_msg("field `ppm`: value '1000.6' is above the maximum 1000.5"));
    ck_assert_int_eq(check_types("ppm", "-0.1"), CAPA_EINVALID);
    ck_assert(has_msg("field `ppm`: value '-0.1' is below the minimum 0"));
    ck_assert_int_eq(check_types("ppm", "1e3"), CAPA_EINVALID);
    ck_assert(has_msg("field `ppm`: value '1e3' is not a decimal number"));
    ck_assert_int_eq(check_types("ppm", "nan"), CAPA_EINVALID);

    ck_assert_int_eq(check_types("seen_at", "2026-11-23T08:15Z"), CAPA_OK);
    ck_assert_int_eq(check_types("seen_at", "2026-11-23T08:15:02+08:00"), CAPA_OK);
    ck_assert_int_eq(check_types("seen_at", "2026-11-23 08:15"), CAPA_EINVALID);
    ck_assert(has_msg("field `seen_at`: value '2026-11-23 08:15' is not a date and time"));
    ck_assert_int_eq(check_types("seen_at", "2026-11-23T24:00Z"), CAPA_EINVALID);
    ck_assert_int_eq(check_types("seen_at", "2026-02-30T08:00Z"), CAPA_EINVALID);

    ck_assert_int_eq(check_types("recurrence", "true"), CAPA_OK);
    ck_assert_int_eq(check_types("recurrence", "false"), CAPA_OK);
    ck_assert_int_eq(check_types("recurrence", "yes"), CAPA_EINVALID);
    ck_assert(has_msg("field `recurrence`: value 'yes' is not true or false"));
}
END_TEST

START_TEST(date_rules_know_the_calendar)
{
    ck_assert_int_eq(check1("archive", "follow_up_date", "2026-12-28"), CAPA_OK);
    ck_assert_int_eq(check1("archive", "follow_up_date", "2028-02-29"), CAPA_OK);
    ck_assert_int_eq(check1("archive", "follow_up_date", "2000-02-29"), CAPA_OK);
    ck_assert_int_eq(check1("archive", "follow_up_date", "2026-02-29"), CAPA_EINVALID);
    ck_assert(has_msg("field `follow_up_date`: value '2026-02-29' is not a calendar date"));
    ck_assert_int_eq(check1("archive", "follow_up_date", "1900-02-29"), CAPA_EINVALID);
    ck_assert_int_eq(check1("archive", "follow_up_date", "2026-04-31"), CAPA_EINVALID);
    ck_assert_int_eq(check1("archive", "follow_up_date", "2026-13-01"), CAPA_EINVALID);
    ck_assert_int_eq(check1("archive", "follow_up_date", "2026-1-1"), CAPA_EINVALID);
    ck_assert_int_eq(check1("archive", "follow_up_date", "2026-12-28x"), CAPA_EINVALID);
}
END_TEST

START_TEST(choice_and_user_rules)
{
    ck_assert_int_eq(check1("intake", "severity", "critical"), CAPA_EINVALID);
    ck_assert(has_msg("field `severity`: value 'critical' is not one of: general, important, "
                      "major"));
    ck_assert_int_eq(check1("intake", "severity", "Major"), CAPA_EINVALID);
    ck_assert_int_eq(check1("rework", "rework_mode", "outsourced"), CAPA_OK);
    ck_assert_int_eq(check1("action", "corrective_actions.1.owner", "nobody"), CAPA_EINVALID);
    ck_assert(has_msg("field `corrective_actions.1.owner`: value 'nobody' is not a known user"));
    ck_assert_int_eq(check1("action", "corrective_actions.1.owner", "Sun Li"), CAPA_EINVALID);
    ck_assert(has_msg("value 'Sun Li' is not a user id"));
    ck_assert_int_eq(check1("intake", "subject_person", "sun"), CAPA_OK);
}
END_TEST

START_TEST(max_length_counts_characters)
{
    char v[512] = "";
    for (int i = 0; i < 100; i++)
        strcat(v, "汽");
    ck_assert_int_eq(check1("intake", "customer", v), CAPA_OK);
    strcat(v, "车");
    ck_assert_int_eq(check1("intake", "customer", v), CAPA_EINVALID);
    ck_assert(has_msg("is longer than the maximum length of 100 characters (101)"));
    /* Long values are cut in the message after 60 characters. */
    ck_assert(has_msg("汽汽汽…'"));
    ck_assert_ptr_null(strstr(diag.msgs[0], "车"));
    capa_diag_clear(&diag);
    /* Fields without max-length still have a ceiling. */
    char *huge = malloc(CAPA_FORM_MAX_VALUE_BYTES + 2);
    memset(huge, 'x', CAPA_FORM_MAX_VALUE_BYTES + 1);
    huge[CAPA_FORM_MAX_VALUE_BYTES + 1] = 0;
    ck_assert_int_eq(check1("rework", "supplier", huge), CAPA_EINVALID);
    ck_assert_int_eq(check1("intake", "received_date", huge), CAPA_EINVALID);
    ck_assert(has_msg("is longer than the limit of 65536 bytes for any value (65537)"));
    ck_assert_uint_eq(diag.n, 2);
    free(huge);
}
END_TEST

START_TEST(pattern_must_match_the_whole_value)
{
    ck_assert_int_eq(check1("intake", "lot_no", "ab c"), CAPA_EINVALID);
    ck_assert(
        has_msg("field `lot_no`: value 'ab c' does not match pattern [A-Za-z0-9][A-Za-z0-9._/-]*"));
    ck_assert_int_eq(check1("intake", "defect_code", "solder"), CAPA_EINVALID);
    ck_assert(has_msg("field `defect_code`: value 'solder' does not match pattern"));
    ck_assert_int_eq(check1("intake", "defect_code", "SOLDER BRIDGE"), CAPA_EINVALID);
    ck_assert_int_eq(check_types("code", "AB-1"), CAPA_OK);
    ck_assert_int_eq(check_types("code", "xAB-1"), CAPA_EINVALID);
    ck_assert_int_eq(check_types("code", "AB-1x"), CAPA_EINVALID);
}
END_TEST

START_TEST(bad_bytes_and_control_characters_are_refused)
{
    ck_assert_int_eq(check1("intake", "customer", "ab\xff"), CAPA_EINVALID);
    ck_assert(has_msg("field `customer`: value 'ab\\xff' is not valid UTF-8"));
    ck_assert_int_eq(check1("intake", "customer", "\xc0\xaf"), CAPA_EINVALID);
    ck_assert_int_eq(check1("intake", "customer", "two\nlines"), CAPA_EINVALID);
    ck_assert(has_msg("field `customer`: value 'two\\nlines' is refused: character U+000A (LF) "
                      "at byte 3 is not allowed in single-line text"));
    ck_assert_int_eq(check1("intake", "description", "two\nlines\tand tab"), CAPA_OK);
    ck_assert_int_eq(check1("intake", "description", "bell\a"), CAPA_EINVALID);
    ck_assert(has_msg("value 'bell\\x07' is refused: character U+0007 (BEL) at byte 4 is not "
                      "allowed"));
    ck_assert_int_eq(check1("intake", "description", "esc\x1b[2J"), CAPA_EINVALID);
}
END_TEST

/* The characters the text rule is about, UTF-8 encoded. */
#define NEL "\xc2\x85" /* C1 NEXT LINE */
#define CSI "\xc2\x9b" /* C1 CONTROL SEQUENCE INTRODUCER */
#define LRE "\xe2\x80\xaa"
#define RLO "\xe2\x80\xae" /* RIGHT-TO-LEFT OVERRIDE */
#define LRI "\xe2\x81\xa6" /* LEFT-TO-RIGHT ISOLATE */
#define PDI "\xe2\x81\xa9"
#define LS "\xe2\x80\xa8" /* LINE SEPARATOR */
#define PS "\xe2\x80\xa9"

/* capa_text_check(s, multiline) and the reason it gives, compared whole. */
static void text_refused(const char *s, int multiline, const char *want)
{
    char why[128] = "unset";
    ck_assert_int_eq(capa_text_check(s, multiline, why, sizeof why), CAPA_EINVALID);
    ck_assert_str_eq(why, want);
}

static void text_passes(const char *s, int multiline)
{
    char why[128] = "unset";
    ck_assert_int_eq(capa_text_check(s, multiline, why, sizeof why), CAPA_OK);
    ck_assert_str_eq(why, "");
}

START_TEST(text_check_refuses_what_can_forge_or_disguise_output)
{
    /* ESC starts every terminal escape sequence: a colour, a cleared screen, an OSC title. */
    text_refused("hello\x1b[31m", 0, "character U+001B (ESC) at byte 5 is not allowed");
    text_refused("\x1b]0;title\x07", 1, "character U+001B (ESC) at byte 0 is not allowed");
    text_refused("ring\a", 1, "character U+0007 (BEL) at byte 4 is not allowed");
    text_refused("x\x7f", 0, "character U+007F (DEL) at byte 1 is not allowed");
    /* C1 controls: NEL is a line break to some terminals, CSI an escape sequence (8-bit). */
    text_refused("a" NEL "b", 1, "character U+0085 (NEL) at byte 1 is not allowed");
    text_refused(CSI "31m", 0, "character U+009B (CSI) at byte 0 is not allowed");
    text_refused("\xc2\x80", 0, "character U+0080 (PAD) at byte 0 is not allowed");
    text_refused("\xc2\x9f", 0, "character U+009F (APC) at byte 0 is not allowed");
    /* Bidi controls reorder what is read: refused even in multi-line text. */
    text_refused("abc" RLO, 1, "character U+202E (RLO, bidi override) at byte 3 is not allowed");
    text_refused(LRE, 0, "character U+202A (LRE, bidi override) at byte 0 is not allowed");
    text_refused("汽" LRI, 0, "character U+2066 (LRI, bidi override) at byte 3 is not allowed");
    text_refused(PDI, 1, "character U+2069 (PDI, bidi override) at byte 0 is not allowed");
    /* Line breaks and tabs: only in multi-line text; CR never, not even before LF. */
    text_refused("x\n#99 forged", 0,
                 "character U+000A (LF) at byte 1 is not allowed in single-line text");
    text_refused("a\tb", 0, "character U+0009 (HT) at byte 1 is not allowed in single-line text");
    text_refused("a" LS "b", 0,
                 "character U+2028 (LINE SEPARATOR) at byte 1 is not allowed in single-line text");
    text_refused("a" PS, 0,
                 "character U+2029 (PARAGRAPH SEPARATOR) at byte 1 is not allowed in single-line "
                 "text");
    text_passes("line one\nline two\twith a tab" LS "and" PS, 1);
    text_refused("line\r\nnext", 1, "character U+000D (CR) at byte 4 is not allowed");
    text_refused("over\rwrite", 0, "character U+000D (CR) at byte 4 is not allowed");
    /* Invalid UTF-8: overlong, surrogate, truncated, stray continuation, above U+10FFFF. */
    text_refused("ab\xff", 1, "byte 2 (0xFF) is not valid UTF-8");
    text_refused("\xc0\xaf", 0, "byte 0 (0xC0) is not valid UTF-8");
    text_refused("x\xed\xa0\x80", 0, "byte 1 (0xED) is not valid UTF-8");
    text_refused("汽\xe8\xbd", 0, "byte 3 (0xE8) is not valid UTF-8");
    text_refused("\x80", 0, "byte 0 (0x80) is not valid UTF-8");
    text_refused("\xf4\x90\x80\x80", 0, "byte 0 (0xF4) is not valid UTF-8");
    /* The first offence is the one described. */
    text_refused(RLO "\x1b", 0, "character U+202E (RLO, bidi override) at byte 0 is not allowed");
}
END_TEST

START_TEST(text_check_passes_ordinary_text)
{
    char why[8];
    text_passes("", 0);
    text_passes(NULL, 0);
    text_passes("华东汽车 PCB-7731, lot L2026/11 #3 ~ \"quoted\" \\ back\\slash", 0);
    /* Neighbours of the refused ranges: NBSP U+00A0, U+2027, U+202F, U+2065, U+206A; the
     * bidi marks LRM/RLM that right-to-left names need; emoji; the last code point. */
    text_passes("\xc2\xa0 \xe2\x80\xa7 \xe2\x80\xaf \xe2\x81\xa5 \xe2\x81\xaa", 0);
    text_passes("\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xe2\x80\x8e \xe2\x80\x8f", 0);
    text_passes("\xf0\x9f\x94\xa7 \xf4\x8f\xbf\xbf", 0);
    /* No room for the reason still answers; a short buffer is cut, not overrun. */
    ck_assert_int_eq(capa_text_check("\x1b", 0, NULL, 0), CAPA_EINVALID);
    ck_assert_int_eq(capa_text_check("\x1b", 0, why, 0), CAPA_EINVALID);
    ck_assert_int_eq(capa_text_check("\x1b", 0, why, sizeof why), CAPA_EINVALID);
    ck_assert_str_eq(why, "charact");
    ck_assert_int_eq(capa_text_check("ok", 0, NULL, 0), CAPA_OK);
}
END_TEST

/* One value of a default form refused by the text rule: the message names the field, the
 * escaped value and the rule. */
static void value_refused(const char *form, const char *name, const char *value, const char *want)
{
    capa_diag_clear(&diag);
    ck_assert_int_eq(check1(form, name, value), CAPA_EINVALID);
    ck_assert_uint_eq(diag.n, 1);
    ck_assert_str_eq(diag.msgs[0], want);
}

START_TEST(every_field_value_obeys_the_text_rule)
{
    /* text, multiline, choice, user, date and group columns alike. */
    value_refused("intake", "customer", "ACME\x1b[2J",
                  "field `customer`: value 'ACME\\x1b[2J' is refused: character U+001B (ESC) at "
                  "byte 4 is not allowed");
    value_refused("intake", "description", "\x1b]0;title\x07 rest",
                  "field `description`: value '\\x1b]0;title\\x07 rest' is refused: character "
                  "U+001B (ESC) at byte 0 is not allowed");
    value_refused("intake", "customer", "a" NEL "b",
                  "field `customer`: value 'a\\u0085b' is refused: character U+0085 (NEL) at "
                  "byte 1 is not allowed");
    value_refused("intake", "description", CSI "31m",
                  "field `description`: value '\\u009b31m' is refused: character U+009B (CSI) at "
                  "byte 0 is not allowed");
    value_refused("intake", "description", "evil" RLO "txt.exe",
                  "field `description`: value 'evil\\u202etxt.exe' is refused: character U+202E "
                  "(RLO, bidi override) at byte 4 is not allowed");
    value_refused("analysis", "five_why.1.why", LRI "x",
                  "field `five_why.1.why`: value '\\u2066x' is refused: character U+2066 (LRI, "
                  "bidi override) at byte 0 is not allowed");
    value_refused("intake", "severity", "major\n",
                  "field `severity`: value 'major\\n' is refused: character U+000A (LF) at byte "
                  "5 is not allowed in single-line text");
    value_refused("intake", "subject_person", "wang\x1b",
                  "field `subject_person`: value 'wang\\x1b' is refused: character U+001B (ESC) "
                  "at byte 4 is not allowed");
    value_refused("intake", "received_date", "2026-11-23\t",
                  "field `received_date`: value '2026-11-23\\t' is refused: character U+0009 "
                  "(HT) at byte 10 is not allowed in single-line text");
    value_refused("intake", "description", "a\r\nb",
                  "field `description`: value 'a\\x0d\\nb' is refused: character U+000D (CR) at "
                  "byte 1 is not allowed");
    value_refused("intake", "customer", "x" LS "y",
                  "field `customer`: value 'x\\u2028y' is refused: character U+2028 (LINE "
                  "SEPARATOR) at byte 1 is not allowed in single-line text");
    value_refused("intake", "description", "ok\xfe",
                  "field `description`: value 'ok\\xfe' is not valid UTF-8 (byte 2)");

    /* A newline refused in a one-line field is accepted in a multiline one, also in a
     * multiline column of a group row. */
    ck_assert_int_eq(check1("intake", "customer", "two\nlines"), CAPA_EINVALID);
    ck_assert_int_eq(check1("intake", "description", "two\nlines\n\tindented" LS), CAPA_OK);
    ck_assert_int_eq(check1("action", "corrective_actions.1.action", "step 1\nstep 2"), CAPA_OK);
    ck_assert_int_eq(check1("action", "corrective_actions.1.due", "2026-12-05\n"), CAPA_EINVALID);
}
END_TEST

START_TEST(text_rule_violations_are_collected_with_the_others)
{
    capa_formdef *f = default_form("intake");
    const capa_kv bad[] = {
        {"customer", "ACME\x1b[31m"}, {"description", "x" RLO}, {"qty_affected", "many"},
        {"lot_no", "L1" CSI},         {"part_no", "PCB-7731"},  {"channel", "phone"},
    };
    ck_assert_int_eq(capa_form_validate(f, bad, 6, CAPA_REQ_NO, known_user, NULL, &diag),
                     CAPA_EINVALID);
    ck_assert_uint_eq(diag.n, 4);
    ck_assert(has_msg("field `customer`: value 'ACME\\x1b[31m' is refused: character U+001B"));
    ck_assert(has_msg("field `description`: value 'x\\u202e' is refused: character U+202E"));
    ck_assert(has_msg("field `qty_affected`: value 'many' is not an integer"));
    /* One complaint per value: the pattern is not checked once the text rule failed. */
    ck_assert(has_msg("field `lot_no`: value 'L1\\u009b' is refused: character U+009B (CSI)"));
    ck_assert(has_no_msg("does not match pattern"));
    /* No message carries a raw control, C1 or bidi character. */
    for (size_t i = 0; i < diag.n; i++)
        ck_assert_int_eq(capa_text_check(diag.msgs[i], 0, NULL, 0), CAPA_OK);
    capa_formdef_free(f);
}
END_TEST

START_TEST(group_rows_are_checked)
{
    ck_assert_int_eq(check1("analysis", "five_why.10.why", "ok"), CAPA_OK);
    ck_assert_int_eq(check1("analysis", "five_why.0.why", "x"), CAPA_EINVALID);
    ck_assert(has_msg("field `five_why.0.why`: value 'x' has row 0 out of range 1..10"));
    ck_assert_int_eq(check1("analysis", "five_why.11.why", "x"), CAPA_EINVALID);
    ck_assert(has_msg("has row 11 out of range 1..10"));
    ck_assert_int_eq(check1("analysis", "five_why.01.why", "x"), CAPA_EINVALID);
    ck_assert(has_msg("field `five_why.01.why`: value 'x' has a malformed name"));
    ck_assert_int_eq(check1("analysis", "five_why.1", "x"), CAPA_EINVALID);
    ck_assert(has_msg("has a malformed name"));
    ck_assert_int_eq(check1("analysis", "five_why.x.why", "x"), CAPA_EINVALID);
    ck_assert_int_eq(check1("analysis", "five_why.1.how", "x"), CAPA_EINVALID);
    ck_assert(has_msg("field `five_why.1.how`: value 'x' is not a column of group `five_why`"));
    ck_assert_int_eq(check1("analysis", "five_why", "x"), CAPA_EINVALID);
    ck_assert(has_msg("names a repeating group; set its columns as five_why.N.why"));
    ck_assert_int_eq(check1("action", "corrective_actions.1.due", "2026-02-30"), CAPA_EINVALID);
    ck_assert(has_msg("field `corrective_actions.1.due`: value '2026-02-30' is not a calendar"));
}
END_TEST

START_TEST(field_name_split_shapes)
{
    char g[16], c[16];
    unsigned row = 0;
    ck_assert_int_eq(capa_field_name_split("lot_no", g, sizeof g, &row, c, sizeof c), 0);
    ck_assert_int_eq(capa_field_name_split("five_why.3.why", g, sizeof g, &row, c, sizeof c), 1);
    ck_assert_str_eq(g, "five_why");
    ck_assert_str_eq(c, "why");
    ck_assert_uint_eq(row, 3);
    ck_assert_int_eq(capa_field_name_split("a.1.b.c", g, sizeof g, &row, c, sizeof c), -1);
    ck_assert_int_eq(capa_field_name_split("a..b", g, sizeof g, &row, c, sizeof c), -1);
    ck_assert_int_eq(capa_field_name_split("a.-1.b", g, sizeof g, &row, c, sizeof c), -1);
    ck_assert_int_eq(capa_field_name_split("A.1.b", g, sizeof g, &row, c, sizeof c), -1);
    ck_assert_int_eq(
        capa_field_name_split("a_very_long_group_name.1.b", g, sizeof g, &row, c, sizeof c), -1);
}
END_TEST

START_TEST(required_at_create_and_at_sign_off)
{
    capa_formdef *f = default_form("intake");
    const capa_kv some[] = {{"part_no", "PCB-7731"}, {"severity", "major"}, {"customer", ""}};

    ck_assert_int_eq(capa_form_validate(f, some, 3, CAPA_REQ_CREATE, NULL, NULL, &diag),
                     CAPA_EINVALID);
    ck_assert(has_msg("field `customer`: value '' is required when the record is created"));
    ck_assert(has_msg("field `description`: value '' is required when the record is created"));
    /* Sign-off needs what creation needed and more; creation does not need validity. */
    ck_assert_uint_eq(diag.n, 2);
    capa_diag_clear(&diag);
    ck_assert_int_eq(capa_form_validate(f, some, 3, CAPA_REQ_SIGN, NULL, NULL, &diag),
                     CAPA_EINVALID);
    ck_assert(has_msg("field `validity`: value '' is required before sign-off"));
    ck_assert(has_msg("field `containment`: value '' is required before sign-off"));
    ck_assert(has_msg("field `customer`: value '' is required before sign-off"));
    ck_assert_uint_eq(diag.n, 4);
    capa_diag_clear(&diag);
    /* Without a required level the empty value just clears the field. */
    ck_assert_int_eq(capa_form_validate(f, some, 3, CAPA_REQ_NO, NULL, NULL, &diag), CAPA_OK);
    capa_formdef_free(f);

    f = default_form("analysis");
    const capa_kv rows[] = {{"five_why.1.why", "为何连锡"}, {"five_why.2.because", "x"}};
    ck_assert_int_eq(capa_form_validate(f, rows, 2, CAPA_REQ_SIGN, NULL, NULL, &diag),
                     CAPA_EINVALID);
    ck_assert(has_msg("field `five_why.1.because`: value '' is required before sign-off"));
    ck_assert(has_msg("field `five_why.2.why`: value '' is required before sign-off"));
    ck_assert(has_msg("field `category_6m`: value '' is required before sign-off"));
    capa_formdef_free(f);
    capa_diag_clear(&diag);

    f = default_form("action");
    const capa_kv one[] = {{"corrective_actions.1.action", "钢网开口缩小 10%"},
                           {"corrective_actions.1.owner", "sun"},
                           {"corrective_actions.1.due", "2026-12-05"}};
    ck_assert_int_eq(capa_form_validate(f, one, 3, CAPA_REQ_SIGN, known_user, NULL, &diag),
                     CAPA_EINVALID);
    ck_assert(has_msg(
        "field `preventive_actions`: value '' is required before sign-off (at least one row)"));
    ck_assert_uint_eq(diag.n, 1);
    capa_formdef_free(f);
}
END_TEST

START_TEST(every_violation_is_reported_at_once)
{
    capa_formdef *f = default_form("intake");
    const capa_kv bad[] = {
        {"qty_affected", "many"}, {"severity", "huge"},      {"lot_no", "ab c"},
        {"colour", "red"},        {"channel", "fax"},        {"received_date", "yesterday"},
        {"qty_affected", "1"},    {"subject_person", "x y"},
    };
    ck_assert_int_eq(capa_form_validate(f, bad, 8, CAPA_REQ_NO, known_user, NULL, &diag),
                     CAPA_EINVALID);
    ck_assert_uint_eq(diag.n, 8);
    ck_assert(has_msg("field `qty_affected`: value '1' is given more than once"));
    ck_assert(has_msg("field `channel`: value 'fax' is not one of: written, phone, email, "
                      "on_site"));
    /* A NULL diag still answers CAPA_EINVALID. */
    ck_assert_int_eq(capa_form_validate(f, bad, 8, CAPA_REQ_NO, known_user, NULL, NULL),
                     CAPA_EINVALID);
    capa_formdef_free(f);
}
END_TEST

START_TEST(diag_join_and_clear)
{
    char *s = capa_diag_join(&diag, "\n");
    ck_assert_str_eq(s, "");
    capa__free(s);
    for (int i = 0; i < 20; i++)
        capa_diag_add(&diag, "m%d", i);
    s = capa_diag_join(&diag, "; ");
    ck_assert(strncmp(s, "m0; m1; m2", 10) == 0);
    ck_assert(strstr(s, "m19") != NULL);
    capa__free(s);
    capa_diag_clear(&diag);
    ck_assert_uint_eq(diag.n, 0);
    capa_diag_clear(&diag);
    s = capa__sprintf("%s-%d", "QC", 7);
    ck_assert_str_eq(s, "QC-7");
    capa__free(s);
}
END_TEST

/* ---- invalid definitions ---- */

START_TEST(schema_violation_names_file_and_line)
{
    char path[4096];
    ck_assert_int_eq(load_form("schema_violation.xml"), CAPA_EINVALID);
    data_path(path, sizeof path, "schema_violation.xml");
    strcat(path, ":4: ");
    ck_assert(has_msg(path));
    ck_assert(has_msg("The value 'number' is not an element of the set"));
    ck_assert(has_no_msg("[facet"));
    ck_assert(has_no_msg("urn:capa"));
}
END_TEST

START_TEST(semantic_errors_are_refused_with_line)
{
    ck_assert_int_eq(load_form("duplicate_id.xml"), CAPA_EINVALID);
    ck_assert(has_msg("duplicate_id.xml:5: field `customer` is defined twice"));
    ck_assert_int_eq(load_form("bad_regex.xml"), CAPA_EINVALID);
    ck_assert(has_msg("bad_regex.xml:3: field `lot_no`: pattern is not a valid extended "
                      "regular expression"));
    ck_assert_int_eq(load_form("backref.xml"), CAPA_EINVALID);
    ck_assert(has_msg("backref.xml:3: field `lot_no`: pattern uses a back-reference (\\1)"));
    ck_assert_int_eq(load_form("min_gt_max.xml"), CAPA_EINVALID);
    ck_assert(has_msg("min_gt_max.xml:3: field `qty`: min is greater than max"));
    ck_assert_int_eq(load_form("choice_without_choices.xml"), CAPA_EINVALID);
    ck_assert(has_msg("choice_without_choices.xml:3: field `severity`: a choice field needs"));
    ck_assert_int_eq(load_form("nested_group.xml"), CAPA_EINVALID);
    ck_assert(has_msg("nested_group.xml:5: "));
    ck_assert_int_eq(load_form("group_without_columns.xml"), CAPA_EINVALID);
    ck_assert(has_msg("group_without_columns.xml:3: "));
    ck_assert_int_eq(load_form("no_such_file.xml"), CAPA_ENOTFOUND);
}
END_TEST

/* 二次处理: <round> sends a case back to this or an earlier stage (default: the stage after
 * the first); a round to a later stage is refused naming the line; the default workflow's
 * archive sign-off goes round on a dissatisfied follow-up or a rejected 8D. */
static const char round_wf[] =
    "<workflow xmlns=\"urn:capa:workflow:1\" version=\"1\">\n"
    "<roles><role id=\"qe\" zh=\"q\" en=\"q\"/></roles>\n"
    "<stages>\n"
    "<stage id=\"a\" zh=\"a\" en=\"a\" form=\"a\" editors=\"qe\">"
    "<signoff meaning=\"ok\" zh=\"o\" en=\"o\" by=\"qe\">%s</signoff></stage>\n"
    "<stage id=\"b\" zh=\"b\" en=\"b\" form=\"b\" editors=\"qe\">"
    "<signoff meaning=\"ok\" zh=\"o\" en=\"o\" by=\"qe\"/></stage>\n"
    "<stage id=\"c\" zh=\"c\" en=\"c\" form=\"c\" editors=\"qe\">"
    "<signoff meaning=\"ok\" zh=\"o\" en=\"o\" by=\"qe\">%s</signoff></stage>\n"
    "</stages></workflow>\n";

START_TEST(workflow_rounds)
{
    char xml[2048];
    capa_workflow *w = NULL;
    snprintf(xml, sizeof xml, round_wf, "",
             "<round field=\"sat\" equals=\"no\" zh=\"r\" en=\"r\"/>");
    ck_assert_int_eq(capa_workflow_parse(&w, xml, strlen(xml), "r.xml", &diag), CAPA_OK);
    const capa_stage *c = capa_workflow_stage(w, "c");
    ck_assert_uint_eq(c->n_routes, 1);
    ck_assert(c->routes[0].round);
    ck_assert_str_eq(c->routes[0].to, "b"); /* the default: the stage after the first */
    capa_kv no = {"sat", "no"}, yes = {"sat", "yes"};
    const capa_route *r = NULL;
    ck_assert_int_eq(capa_workflow_next(w, 2, &no, 1, &r), 1);
    ck_assert_ptr_eq(r, &c->routes[0]);
    ck_assert_int_eq(capa_workflow_next(w, 2, &yes, 1, &r), -1);
    ck_assert_ptr_null(r);
    capa_workflow_free(w);
    w = NULL;
    snprintf(xml, sizeof xml, round_wf,
             "<round field=\"sat\" equals=\"no\" to=\"c\" zh=\"r\" en=\"r\"/>", "");
    ck_assert_int_eq(capa_workflow_parse(&w, xml, strlen(xml), "r.xml", &diag), CAPA_EINVALID);
    ck_assert(has_msg("r.xml:4: stage `a` starts a new round at `c`, which is not this or an "
                      "earlier stage"));
    capa_diag_clear(&diag);
    /* The default workflow: dissatisfied or rejected goes round to analysis. */
    const capa_embedded_file *f = capa_form_embedded_get("workflow.xml");
    ck_assert_int_eq(capa_workflow_parse(&w, f->data, f->len, "workflow.xml", &diag), CAPA_OK);
    int arch = capa_workflow_stage_index(w, "archive");
    capa_kv dis = {"satisfaction", "dissatisfied"}, rej = {"customer_acceptance", "rejected"},
            acc = {"customer_acceptance", "accepted"};
    ck_assert_int_eq(capa_workflow_next(w, (size_t)arch, &dis, 1, NULL),
                     capa_workflow_stage_index(w, "analysis"));
    ck_assert_int_eq(capa_workflow_next(w, (size_t)arch, &rej, 1, NULL),
                     capa_workflow_stage_index(w, "analysis"));
    ck_assert_int_eq(capa_workflow_next(w, (size_t)arch, &acc, 1, NULL), -1);
    capa_workflow_free(w);
}
END_TEST

START_TEST(workflow_cross_references_are_checked)
{
    char path[4096];
    capa_workflow *w = NULL;

    ck_assert_int_eq(
        capa_workflow_load(&w, data_path(path, sizeof path, "workflow_reject_unknown.xml"), &diag),
        CAPA_EINVALID);
    ck_assert_ptr_null(w);
    ck_assert(has_msg("workflow_reject_unknown.xml:12: stage `action` rejects to `analysis`, "
                      "which is not a stage"));
    capa_diag_clear(&diag);
    ck_assert_int_eq(
        capa_workflow_load(&w, data_path(path, sizeof path, "workflow_bad_refs.xml"), &diag),
        CAPA_EINVALID);
    ck_assert(has_msg(":5: role `qe` is declared twice"));
    ck_assert(has_msg(":8: editors names role `clerk`, which is not declared"));
    ck_assert(has_msg(":10: stage `intake` rejects to `action`, which is not an earlier stage"));
    ck_assert(has_msg(":13: signoff names role `boss`"));
    ck_assert(has_msg(":15: stage `action` is declared twice"));
    ck_assert(has_msg(":20: limit closure: hours '0' must be a positive number"));
    ck_assert(has_msg(":21: limit kind `lunch` is neither"));
    /* A form is not a workflow. */
    capa_diag_clear(&diag);
    const capa_embedded_file *f = capa_form_embedded_get("intake.xml");
    ck_assert_int_eq(capa_workflow_parse(&w, f->data, f->len, "intake.xml", &diag), CAPA_EINVALID);
    ck_assert_int_eq(capa_form_doc_kind(f->data, f->len), CAPA_DOC_FORM);
    f = capa_form_embedded_get("workflow.xml");
    ck_assert_int_eq(capa_form_doc_kind(f->data, f->len), CAPA_DOC_WORKFLOW);
    ck_assert_int_eq(capa_form_doc_kind("<x/>", 4), CAPA_DOC_UNKNOWN);
    ck_assert_int_eq(capa_form_doc_kind("<x", 2), CAPA_DOC_UNKNOWN);
}
END_TEST

/* ---- hostile XML ---- */

/* Parse a document with stderr redirected to a file; asserts libxml2 printed nothing. */
static int parse_quietly(const char *xml, size_t len, const char *name)
{
    char tmpl[] = "/tmp/capa-stderr-XXXXXX";
    int fd = mkstemp(tmpl), saved = dup(2), rc;
    capa_formdef *f = NULL;
    size_t n = 0;
    char *printed;

    ck_assert(fd >= 0 && saved >= 0);
    fflush(stderr);
    dup2(fd, 2);
    rc = capa_formdef_parse(&f, xml, len, name, &diag);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(fd);
    printed = tu_read_file(tmpl, &n);
    unlink(tmpl);
    ck_assert_msg(n == 0, "libxml2 printed: %s", printed ? printed : "");
    free(printed);
    ck_assert(rc == CAPA_OK || f == NULL);
    capa_formdef_free(f);
    return rc;
}

static int parse_data_file(const char *file)
{
    char path[4096];
    size_t len = 0;
    char *xml = tu_read_file(data_path(path, sizeof path, file), &len);
    int rc;
    ck_assert_ptr_nonnull(xml);
    rc = parse_quietly(xml, len, file);
    free(xml);
    return rc;
}

static void assert_no_passwd_content(void)
{
    for (size_t i = 0; i < diag.n; i++) {
        ck_assert_ptr_null(strstr(diag.msgs[i], "root:"));
        ck_assert_ptr_null(strstr(diag.msgs[i], "/bin/"));
    }
}

START_TEST(doctype_with_external_entity_is_refused)
{
    ck_assert_int_eq(parse_data_file("xxe_file.xml"), CAPA_EINVALID);
    ck_assert(has_msg("xxe_file.xml:2: DOCTYPE is not allowed"));
    ck_assert_uint_eq(diag.n, 1);
    assert_no_passwd_content();
}
END_TEST

START_TEST(entity_expansion_is_refused_quickly)
{
    clock_t t0 = clock();
    ck_assert_int_eq(parse_data_file("billion_laughs.xml"), CAPA_EINVALID);
    ck_assert(has_msg("billion_laughs.xml:2: DOCTYPE is not allowed"));
    ck_assert((double)(clock() - t0) / CLOCKS_PER_SEC < 1.0);
}
END_TEST

START_TEST(external_dtd_and_parameter_entities_are_refused)
{
    ck_assert_int_eq(parse_data_file("external_dtd.xml"), CAPA_EINVALID);
    ck_assert(has_msg("external_dtd.xml:2: DOCTYPE is not allowed"));
    assert_no_passwd_content();
    capa_diag_clear(&diag);
    ck_assert_int_eq(parse_data_file("parameter_entity.xml"), CAPA_EINVALID);
    ck_assert(has_msg("parameter_entity.xml:2: DOCTYPE is not allowed"));
    ck_assert_uint_eq(diag.n, 1);
}
END_TEST

START_TEST(xinclude_is_not_processed)
{
    ck_assert_int_eq(parse_data_file("xinclude.xml"), CAPA_EINVALID);
    ck_assert(has_msg("xinclude.xml:5: "));
    assert_no_passwd_content();
}
END_TEST

START_TEST(huge_and_deep_input_is_refused)
{
    size_t big = (1u << 20) + 1, depth = 50000, n = 0;
    char *xml = malloc(big + 1);
    memset(xml, ' ', big);
    memcpy(xml, "<form>", 6);
    xml[big] = 0;
    ck_assert_int_eq(parse_quietly(xml, big, "huge.xml"), CAPA_EINVALID);
    ck_assert(has_msg("huge.xml: 1048577 bytes is over the limit of 1048576 bytes"));
    free(xml);
    capa_diag_clear(&diag);

    xml = malloc(depth * 7 + 1);
    for (size_t i = 0; i < depth; i++, n += 3)
        memcpy(xml + n, "<a>", 3);
    for (size_t i = 0; i < depth; i++, n += 4)
        memcpy(xml + n, "</a>", 4);
    ck_assert_int_eq(parse_quietly(xml, n, "deep.xml"), CAPA_EINVALID);
    ck_assert(has_msg("deep.xml:1: "));
    ck_assert_uint_le(diag.n, 101);
    free(xml);
}
END_TEST

START_TEST(garbage_empty_and_truncated_input_is_refused)
{
    const capa_embedded_file *f = capa_form_embedded_get("intake.xml");
    static const char garbage[] = "<form>\n\xff\xfe\x00\x81 not text</form>";
    static const char utf16[] = "\xff\xfe<\0f\0o\0r\0m\0/\0>\0";

    ck_assert_int_eq(parse_quietly(garbage, sizeof garbage - 1, "garbage.xml"), CAPA_EINVALID);
    ck_assert(has_msg("garbage.xml:2: not UTF-8 (byte 7)"));
    ck_assert_int_eq(parse_quietly(utf16, sizeof utf16 - 1, "utf16.xml"), CAPA_EINVALID);
    capa_diag_clear(&diag);
    ck_assert_int_eq(parse_quietly("", 0, "empty.xml"), CAPA_EINVALID);
    ck_assert(has_msg("empty.xml:1: empty document"));
    ck_assert_int_eq(parse_quietly(NULL, 0, "null.xml"), CAPA_EINVALID);
    capa_diag_clear(&diag);
    ck_assert_int_eq(parse_quietly(f->data, f->len / 2, "truncated.xml"), CAPA_EINVALID);
    ck_assert(has_msg("truncated.xml:"));
    capa_diag_clear(&diag);
    ck_assert_int_eq(parse_quietly("just text", 9, "text.xml"), CAPA_EINVALID);
    ck_assert(has_msg("text.xml:1: "));
}
END_TEST

/* ---- out of memory and threads ---- */

START_TEST(every_allocation_failure_while_parsing_is_survived)
{
    const capa_embedded_file *form = capa_form_embedded_get("intake.xml");
    const capa_embedded_file *wf = capa_form_embedded_get("workflow.xml");
    uint64_t n, used, enomem = 0;
    int rc;

    for (n = 1; n < 1000000; n++) {
        capa_formdef *f = NULL;
        capa_diag d = {0};
        capa_alloc_fail_at(n);
        rc = capa_formdef_parse(&f, form->data, form->len, "intake.xml", &d);
        used = capa_alloc_fail_at(0);
        capa_diag_clear(&d);
        ck_assert_msg(rc == CAPA_OK || rc == CAPA_ENOMEM, "n=%llu rc=%d", (unsigned long long)n,
                      rc);
        ck_assert(rc == CAPA_OK || f == NULL);
        capa_formdef_free(f);
        if (rc == CAPA_OK && used < n)
            break;
        enomem += rc == CAPA_ENOMEM;
    }
    ck_assert_uint_gt(enomem, 100);
    for (n = 1; n < 1000000; n++) {
        capa_workflow *w = NULL;
        capa_alloc_fail_at(n);
        rc = capa_workflow_parse(&w, wf->data, wf->len, "workflow.xml", NULL);
        used = capa_alloc_fail_at(0);
        ck_assert_msg(rc == CAPA_OK || rc == CAPA_ENOMEM, "n=%llu rc=%d", (unsigned long long)n,
                      rc);
        capa_workflow_free(w);
        if (rc == CAPA_OK && used < n)
            break;
    }
}
END_TEST

START_TEST(every_allocation_failure_while_validating_is_survived)
{
    capa_formdef *f = default_form("action");
    const capa_kv kv[] = {{"corrective_actions.1.action", "x"},
                          {"corrective_actions.2.owner", "nobody"},
                          {"preventive_actions.1.due", "2026-02-30"},
                          {"colour", "red"}};
    uint64_t n, used;
    int rc;

    for (n = 1; n < 100000; n++) {
        capa_diag d = {0};
        capa_alloc_fail_at(n);
        rc = capa_form_validate(f, kv, 4, CAPA_REQ_SIGN, known_user, NULL, &d);
        used = capa_alloc_fail_at(0);
        capa_diag_clear(&d);
        ck_assert(rc == CAPA_EINVALID || rc == CAPA_ENOMEM);
        if (rc == CAPA_EINVALID && used < n)
            break;
    }
    capa_formdef_free(f);
}
END_TEST

static void *parse_many(void *arg)
{
    const capa_embedded_file *f = arg;
    static const char broken[] = "<form xmlns=\"urn:capa:form:1\" id=\"x\"><oops/></form";
    for (int i = 0; i < 20; i++) {
        capa_formdef *def = NULL;
        capa_diag d = {0};
        if (capa_formdef_parse(&def, f->data, f->len, f->name, &d) != CAPA_OK)
            return (void *)1;
        capa_formdef_free(def);
        if (capa_formdef_parse(&def, broken, sizeof broken - 1, "broken.xml", &d) !=
                CAPA_EINVALID ||
            d.n == 0)
            return (void *)2;
        capa_diag_clear(&d);
    }
    return NULL;
}

START_TEST(parsing_from_several_threads_is_safe_and_silent)
{
    static const char *const names[] = {"intake.xml", "analysis.xml", "action.xml", "rework.xml"};
    char tmpl[] = "/tmp/capa-stderr-XXXXXX";
    int fd = mkstemp(tmpl), saved = dup(2);
    size_t n = 0;
    char *printed;
    pthread_t t[4];
    void *r[4];

    fflush(stderr);
    dup2(fd, 2);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(
            pthread_create(&t[i], NULL, parse_many, (void *)capa_form_embedded_get(names[i])), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], &r[i]);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(fd);
    printed = tu_read_file(tmpl, &n);
    unlink(tmpl);
    ck_assert_msg(n == 0, "printed: %s", printed ? printed : "");
    free(printed);
    for (int i = 0; i < 4; i++)
        ck_assert_ptr_null(r[i]);
}
END_TEST

START_TEST(workflow_and_forms_cross_check)
{
    static const char *const ids[] = {"intake", "analysis",     "action",
                                      "rework", "verification", "archive"};
    const capa_formdef *forms[6];
    capa_workflow *w = default_workflow(), *w2 = NULL;
    const capa_embedded_file *e = capa_form_embedded_get("workflow.xml");
    char *xml = strdup(e->data), *p;

    for (int i = 0; i < 6; i++)
        forms[i] = default_form(ids[i]);
    ck_assert_int_eq(capa_workflow_check_forms(w, forms, 6, &diag), CAPA_OK);
    ck_assert_int_eq(capa_workflow_check_forms(w, forms, 5, &diag), CAPA_EINVALID);
    ck_assert(has_msg("workflow: stage `archive` uses form `archive`, which is not defined"));
    capa_diag_clear(&diag);

    p = strstr(xml, "severity=\"major\"     kind=\"closure\"");
    ck_assert_ptr_nonnull(p);
    memcpy(p, "severity=\"fatal\"", 16);
    ck_assert_int_eq(capa_workflow_parse(&w2, xml, strlen(xml), "workflow.xml", &diag), CAPA_OK);
    ck_assert_int_eq(capa_workflow_check_forms(w2, forms, 6, &diag), CAPA_EINVALID);
    ck_assert(has_msg("workflow: limit closure is for severity 'fatal', which is not a choice of "
                      "field `severity` of form `intake`"));
    for (int i = 0; i < 6; i++)
        capa_formdef_free((capa_formdef *)forms[i]);
    capa_workflow_free(w);
    capa_workflow_free(w2);
    free(xml);
}
END_TEST

START_TEST(plain_doctype_is_refused)
{
    static const char xml[] = "<?xml version=\"1.0\"?>\n<!DOCTYPE form>\n"
                              "<form xmlns=\"urn:capa:form:1\" id=\"x\" version=\"1\" zh=\"x\" "
                              "en=\"x\"><field id=\"a\" type=\"text\" zh=\"a\" en=\"a\"/></form>";
    ck_assert_int_eq(parse_quietly(xml, sizeof xml - 1, "plain.xml"), CAPA_EINVALID);
    ck_assert(has_msg("plain.xml:2: DOCTYPE is not allowed"));
    ck_assert_int_eq(capa_form_doc_kind(xml, sizeof xml - 1), CAPA_DOC_UNKNOWN);
}
END_TEST

START_TEST(external_entity_loader_refuses_everything)
{
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    xmlExternalEntityLoader load = xmlGetExternalEntityLoader();
    ck_assert_ptr_nonnull(ctxt);
    ck_assert_ptr_null(load("file:///etc/passwd", NULL, ctxt));
    ck_assert_ptr_null(load("/etc/passwd", NULL, ctxt));
    ck_assert_ptr_null(load("http://127.0.0.1:9/x.dtd", NULL, ctxt));
    xmlFreeParserCtxt(ctxt);
}
END_TEST

START_TEST(alloc_hook_fails_exactly_the_nth_allocation)
{
    void *a, *b, *c;
    capa_alloc_fail_at(0);
    capa_alloc_fail_at(2);
    a = capa__malloc(8);
    b = capa__strdup("x");
    c = capa__calloc(2, 4);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_null(b);
    ck_assert_ptr_nonnull(c);
    ck_assert_uint_eq(capa_alloc_fail_at(0), 3);
    ck_assert_ptr_nonnull(b = capa__realloc(a, 64));
    ck_assert_uint_eq(capa_alloc_fail_at(0), 1);
    capa__free(b);
    capa__free(c);
    capa__free(NULL);
    capa_alloc_fail_at(1);
    ck_assert_ptr_null(capa__sprintf("%d", 42));
    capa_alloc_fail_at(0);
}
END_TEST

START_TEST(messages_cannot_be_disguised)
{
    /* U+202E RIGHT-TO-LEFT OVERRIDE and a zero-width space are shown as escapes; the override
     * is refused by the text rule, the zero-width space only by the choice. */
    ck_assert_int_eq(check1("intake", "severity", "maj\xe2\x80\xaeor\xe2\x80\x8b"), CAPA_EINVALID);
    ck_assert(has_msg("value 'maj\\u202eor\\u200b' is refused: character U+202E (RLO, bidi "
                      "override) at byte 3"));
    ck_assert_int_eq(check1("intake", "severity", "maj\xe2\x80\x8bor"), CAPA_EINVALID);
    ck_assert(has_msg("value 'maj\\u200bor' is not one of"));
    /* A hostile name is escaped like a value. */
    ck_assert_int_eq(check1("intake", "cust\x1b]0;x\aomer", "x"), CAPA_EINVALID);
    ck_assert(has_msg("field `cust\\x1b]0;x\\x07omer`: value 'x' is not a field of form `intake`"));
}
END_TEST

START_TEST(too_many_values_is_one_violation)
{
    capa_formdef *f = default_form("analysis");
    size_t n = CAPA_FORM_MAX_VALUES + 1;
    capa_kv *kv = calloc(n, sizeof *kv);
    for (size_t i = 0; i < n; i++)
        kv[i] = (capa_kv){"category_6m", "method"};
    ck_assert_int_eq(capa_form_validate(f, kv, n, CAPA_REQ_NO, NULL, NULL, &diag), CAPA_EINVALID);
    ck_assert_uint_eq(diag.n, 1);
    ck_assert(has_msg("form `analysis`: 10001 values in one submission"));
    capa_diag_clear(&diag);
    /* At the limit, every repeat is found without comparing all pairs. */
    ck_assert_int_eq(capa_form_validate(f, kv, n - 1, CAPA_REQ_NO, NULL, NULL, &diag),
                     CAPA_EINVALID);
    ck_assert_uint_eq(diag.n, n - 2);
    free(kv);
    capa_formdef_free(f);
}
END_TEST

START_TEST(oversized_definitions_are_refused)
{
    size_t cap = 2000 * 64 + 4096, o = 0;
    char *xml = malloc(cap);
    o += (size_t)snprintf(xml + o, cap - o,
                          "<form xmlns=\"urn:capa:form:1\" id=\"x\" version=\"1\" zh=\"x\" "
                          "en=\"x\">\n<field id=\"c\" type=\"choice\" zh=\"c\" en=\"c\">\n");
    for (int i = 0; i < 1001; i++)
        o += (size_t)snprintf(xml + o, cap - o, "<choice value=\"v%d\" zh=\"v\" en=\"v\"/>\n", i);
    o += (size_t)snprintf(xml + o, cap - o, "</field></form>\n");
    ck_assert_int_eq(parse_quietly(xml, o, "many.xml"), CAPA_EINVALID);
    ck_assert(has_msg("many.xml:2: field `c` has more than 1000 choices"));
    free(xml);
}
END_TEST

static void copy_defaults(const char *dir)
{
    char path[4096];
    for (const capa_embedded_file *e = capa_form_embedded(); e->name; e++) {
        snprintf(path, sizeof path, "%s/%s", dir, e->name);
        ck_assert_int_eq(tu_write_file(path, e->data, e->len), 0);
    }
}

START_TEST(definition_sets_load_built_in_and_from_a_directory)
{
    capa_definitions *d = NULL;
    char *dir = tu_mkdtemp(), path[4096];

    ck_assert_int_eq(capa_definitions_load(&d, NULL, &diag), CAPA_OK);
    ck_assert_uint_eq(d->n_forms, 6);
    ck_assert_str_eq(capa_definitions_form(d, "rework")->id, "rework");
    ck_assert_ptr_null(capa_definitions_form(d, "nope"));
    capa_definitions_free(d);

    copy_defaults(dir);
    ck_assert_int_eq(capa_definitions_load(&d, dir, &diag), CAPA_OK);
    capa_definitions_free(d);
    d = NULL;

    /* A missing form and a broken one are both reported in one run. */
    snprintf(path, sizeof path, "%s/action.xml", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/rework.xml", dir);
    ck_assert_int_eq(tu_write_file(path, "<form", 5), 0);
    ck_assert_int_eq(capa_definitions_load(&d, dir, &diag), CAPA_ENOTFOUND);
    ck_assert_ptr_null(d);
    ck_assert(has_msg("/action.xml: No such file or directory"));
    ck_assert(has_msg("/rework.xml:1: "));
    capa_diag_clear(&diag);

    /* A form whose id differs from the file name the workflow points at. */
    ck_assert_int_eq(tu_write_file(path, capa_form_embedded_get("archive.xml")->data,
                                   capa_form_embedded_get("archive.xml")->len),
                     0);
    snprintf(path, sizeof path, "%s/action.xml", dir);
    ck_assert_int_eq(tu_write_file(path, capa_form_embedded_get("action.xml")->data,
                                   capa_form_embedded_get("action.xml")->len),
                     0);
    ck_assert_int_eq(capa_definitions_load(&d, dir, &diag), CAPA_EINVALID);
    ck_assert(has_msg("/rework.xml: form id `archive` does not match the file name (stage "
                      "`rework` uses form `rework`)"));
    tu_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(every_allocation_failure_while_loading_a_set_is_survived)
{
    uint64_t n, used;
    int rc;
    for (n = 1; n < 1000000; n++) {
        capa_definitions *d = NULL;
        capa_alloc_fail_at(n);
        rc = capa_definitions_load(&d, NULL, NULL);
        used = capa_alloc_fail_at(0);
        ck_assert_msg(rc == CAPA_OK || rc == CAPA_ENOMEM, "n=%llu rc=%d", (unsigned long long)n,
                      rc);
        ck_assert(rc == CAPA_OK || d == NULL);
        capa_definitions_free(d);
        if (rc == CAPA_OK && used < n)
            break;
    }
}
END_TEST

START_TEST(stored_names_resolve_to_their_definitions)
{
    capa_formdef *f = default_form("action");
    const capa_field *g = NULL, *c;
    unsigned row = 0;

    c = capa_formdef_lookup(f, "preventive_actions.3.owner", &g, &row);
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(c->label_zh, "负责人");
    ck_assert_str_eq(g->id, "preventive_actions");
    ck_assert_uint_eq(row, 3);
    ck_assert_ptr_null(capa_formdef_lookup(f, "preventive_actions.21.owner", &g, &row));
    ck_assert_ptr_null(g);
    ck_assert_ptr_null(capa_formdef_lookup(f, "preventive_actions", NULL, NULL));
    ck_assert_ptr_null(capa_formdef_lookup(f, "preventive_actions.1.x", NULL, NULL));
    ck_assert_ptr_null(capa_formdef_lookup(f, NULL, NULL, NULL));
    capa_formdef_free(f);
    f = default_form("intake");
    c = capa_formdef_lookup(f, "lot_no", &g, &row);
    ck_assert_str_eq(c->label_en, "Lot number");
    ck_assert_ptr_null(g);
    ck_assert_uint_eq(row, 0);
    capa_formdef_free(f);
}
END_TEST

/* ---- discover: labels for codes, and "did you mean" ---- */

/* A small form of our own, so new fields in the default forms cannot change the answers. */
static capa_formdef *discover_form(const char *big_label)
{
    char *xml = NULL;
    size_t cap = 4096 + (big_label ? strlen(big_label) * 2 : 0);
    capa_formdef *def = NULL;
    xml = malloc(cap);
    ck_assert_ptr_nonnull(xml);
    snprintf(xml, cap,
             "<form xmlns=\"urn:capa:form:1\" id=\"t\" version=\"1\" zh=\"测试\" en=\"Test\">\n"
             "  <field id=\"customer\" type=\"text\" zh=\"客户\" en=\"Customer\"/>\n"
             "  <field id=\"severity\" type=\"choice\" zh=\"严重度\" en=\"Severity\">\n"
             "    <choice value=\"general\" zh=\"一般\" en=\"General\"/>\n"
             "    <choice value=\"important\" zh=\"重要\" en=\"Important\"/>\n"
             "    <choice value=\"major\" zh=\"%s\" en=\"%s\"/>\n"
             "    <choice value=\"twin_a\" zh=\"同\" en=\"Same\"/>\n"
             "    <choice value=\"twin_b\" zh=\"同\" en=\"Same\"/>\n"
             "  </field>\n"
             "  <field id=\"part_no\" type=\"text\" zh=\"料号\" en=\"Part number\"/>\n"
             "  <group id=\"five_why\" zh=\"5 个为什么\" en=\"5-Why\" max-rows=\"10\">\n"
             "    <field id=\"why\" type=\"text\" zh=\"为什么\" en=\"Why\"/>\n"
             "    <field id=\"because\" type=\"choice\" zh=\"因为\" en=\"Because\">\n"
             "      <choice value=\"man\" zh=\"人\" en=\"Man\"/>\n"
             "    </field>\n"
             "  </group>\n"
             "</form>\n",
             big_label ? big_label : "重大", big_label ? big_label : "Major");
    ck_assert_int_eq(capa_formdef_parse(&def, xml, strlen(xml), "t.xml", &diag), CAPA_OK);
    free(xml);
    return def;
}

START_TEST(choice_labels_in_either_language_mean_the_code)
{
    capa_formdef *f = discover_form(NULL);
    ck_assert_str_eq(capa_form_normalize(f, "severity", "重要"), "important");
    ck_assert_str_eq(capa_form_normalize(f, "severity", "Important"), "important");
    ck_assert_str_eq(capa_form_normalize(f, "severity", "IMPORTANT"), "important");
    ck_assert_str_eq(capa_form_normalize(f, "severity", "  重大 "), "major");
    ck_assert_str_eq(capa_form_normalize(f, "severity", "Major"), "major");
    ck_assert_str_eq(capa_form_normalize(f, "severity", "General"), "general");
    /* Columns of a group are choices too. */
    ck_assert_str_eq(capa_form_normalize(f, "five_why.2.because", "人"), "man");
    /* The code itself, the same pointer. */
    const char *code = "important";
    ck_assert_ptr_eq(capa_form_normalize(f, "severity", code), code);
    /* Neither code nor label, another field, an unknown name: unchanged, for the validator. */
    const char *v = "urgent";
    ck_assert_ptr_eq(capa_form_normalize(f, "severity", v), v);
    v = "重要";
    ck_assert_ptr_eq(capa_form_normalize(f, "customer", v), v);
    ck_assert_ptr_eq(capa_form_normalize(f, "colour", v), v);
    ck_assert_ptr_eq(capa_form_normalize(f, "five_why.11.because", v), v);
    /* A label two choices share does not say which is meant. */
    v = "同";
    ck_assert_ptr_eq(capa_form_normalize(f, "severity", v), v);
    v = "same";
    ck_assert_ptr_eq(capa_form_normalize(f, "severity", v), v);
    /* Only whole labels: a prefix is not one. */
    v = "Imp";
    ck_assert_ptr_eq(capa_form_normalize(f, "severity", v), v);
    capa_formdef_free(f);

    /* The default intake form: the walk's own example. */
    f = default_form("intake");
    ck_assert_str_eq(capa_form_normalize(f, "severity", "重要"), "important");
    ck_assert_str_eq(capa_form_normalize(f, "severity", "Important"), "important");
    ck_assert_str_eq(capa_form_normalize(f, "channel", "E-mail"), "email");
    capa_kv kv = {"severity", capa_form_normalize(f, "severity", "重大")};
    ck_assert_int_eq(capa_form_validate(f, &kv, 1, CAPA_REQ_NO, NULL, NULL, &diag), CAPA_OK);
    capa_formdef_free(f);
}
END_TEST

START_TEST(normalize_survives_hostile_input)
{
    char *huge = malloc(1 << 20);
    char label[801];
    capa_formdef *f;
    ck_assert_ptr_nonnull(huge);
    memset(huge, 'A', (1 << 20) - 1);
    huge[(1 << 20) - 1] = '\0';
    /* The longest label a form may have: 200 characters, here 3 bytes each. */
    for (int i = 0; i < 200; i++)
        memcpy(label + 3 * i, "重", 3);
    label[600] = '\0';
    f = discover_form(label);
    ck_assert_str_eq(capa_form_normalize(f, "severity", label), "major");
    ck_assert_ptr_eq(capa_form_normalize(f, "severity", huge), huge);
    const char *imp = "重要";
    ck_assert_ptr_eq(capa_form_normalize(f, huge, imp), imp);
    const char *bad = "\xff\xfe\xe9\x87";
    ck_assert_ptr_eq(capa_form_normalize(f, "severity", bad), bad);
    const char *bad_name = "sev\xff";
    ck_assert_ptr_eq(capa_form_normalize(f, bad_name, imp), imp);
    const char *empty = "";
    ck_assert_ptr_eq(capa_form_normalize(f, "severity", empty), empty);
    const char *blank = "   ";
    ck_assert_ptr_eq(capa_form_normalize(f, "severity", blank), blank);
    ck_assert_ptr_eq(capa_form_normalize(f, "", imp), imp);
    ck_assert_ptr_null(capa_form_normalize(f, "severity", NULL));
    ck_assert_str_eq(capa_form_normalize(NULL, "severity", "重要"), "重要");
    ck_assert_str_eq(capa_form_normalize(f, NULL, "重要"), "重要");
    capa_formdef_free(f);
    free(huge);
}
END_TEST

START_TEST(unknown_names_get_the_nearest_field)
{
    char buf[160];
    capa_formdef *f = discover_form(NULL);
    ck_assert_int_eq(capa_form_suggest(buf, sizeof buf, f, "custmer"), 1);
    ck_assert_str_eq(buf, "customer");
    ck_assert_int_eq(capa_form_suggest(buf, sizeof buf, f, "sevreity"), 1); /* a swap */
    ck_assert_str_eq(buf, "severity");
    ck_assert_int_eq(capa_form_suggest(buf, sizeof buf, f, "Customer"), 1);
    ck_assert_str_eq(buf, "customer");
    ck_assert_int_eq(capa_form_suggest(buf, sizeof buf, f, "part-no"), 1);
    ck_assert_str_eq(buf, "part_no");
    ck_assert_int_eq(capa_form_suggest(buf, sizeof buf, f, "partno"), 1);
    ck_assert_str_eq(buf, "part_no");
    /* Groups: the group, then the column, are mended; the row stays. */
    ck_assert_int_eq(capa_form_suggest(buf, sizeof buf, f, "five_whys.2.why"), 1);
    ck_assert_str_eq(buf, "five_why.2.why");
    ck_assert_int_eq(capa_form_suggest(buf, sizeof buf, f, "five_why.3.becuase"), 1);
    ck_assert_str_eq(buf, "five_why.3.because");
    ck_assert_int_eq(capa_form_suggest(buf, sizeof buf, f, "why"), 1);
    ck_assert_str_eq(buf, "five_why.1.why");
    ck_assert_int_eq(capa_form_suggest(buf, sizeof buf, f, "five_why"), 1);
    ck_assert_str_eq(buf, "five_why.1.why");
    /* Known names, a row out of range, and names nothing is near: no suggestion. */
    ck_assert_int_eq(capa_form_suggest(buf, sizeof buf, f, "customer"), 0);
    ck_assert_str_eq(buf, "");
    ck_assert_int_eq(capa_form_suggest(buf, sizeof buf, f, "five_why.1.why"), 0);
    ck_assert_int_eq(capa_form_suggest(buf, sizeof buf, f, "five_why.99.why"), 0);
    ck_assert_int_eq(capa_form_suggest(buf, sizeof buf, f, "colour"), 0);
    ck_assert_int_eq(capa_form_suggest(buf, sizeof buf, f, "x"), 0);
    ck_assert_int_eq(capa_form_suggest(buf, sizeof buf, f, "a.b.c.d"), 0);
    /* A buffer too small for the answer gives none, cut never. */
    ck_assert_int_eq(capa_form_suggest(buf, 5, f, "custmer"), 0);
    ck_assert_str_eq(buf, "");
    capa_formdef_free(f);
}
END_TEST

START_TEST(suggest_survives_hostile_input)
{
    char buf[160];
    size_t n = 1 << 20;
    char *huge = malloc(n);
    capa_formdef *f = discover_form(NULL);
    ck_assert_ptr_nonnull(huge);
    memset(huge, 'c', n - 1);
    huge[n - 1] = '\0';
    ck_assert_int_eq(capa_form_suggest(buf, sizeof buf, f, huge), 0);
    huge[100] = '.';
    huge[102] = '.';
    ck_assert_int_eq(capa_form_suggest(buf, sizeof buf, f, huge), 0);
    ck_assert_int_eq(capa_form_suggest(buf, sizeof buf, f, "custom\xff"), 1);
    ck_assert_str_eq(buf, "customer");
    ck_assert_int_eq(capa_form_suggest(buf, sizeof buf, f, "\xff\xfe\xfd"), 0);
    ck_assert_int_eq(capa_form_suggest(buf, sizeof buf, f, ""), 0);
    ck_assert_int_eq(capa_form_suggest(buf, sizeof buf, f, "..."), 0);
    ck_assert_int_eq(capa_form_suggest(buf, sizeof buf, f, ".."), 0);
    ck_assert_int_eq(capa_form_suggest(buf, sizeof buf, f, NULL), 0);
    ck_assert_int_eq(capa_form_suggest(buf, sizeof buf, NULL, "custmer"), 0);
    ck_assert_int_eq(capa_form_suggest(NULL, 0, f, "custmer"), 0);
    ck_assert_int_eq(capa_form_suggest(buf, 0, f, "custmer"), 0);
    capa_formdef_free(f);
    free(huge);
}
END_TEST

Suite *capa_forms_suite(void)
{
    Suite *s = suite_create("forms");
    TCase *defs = tcase_create("definitions");
    TCase *values = tcase_create("values");
    TCase *invalid = tcase_create("invalid");
    TCase *hostile = tcase_create("hostile");
    TCase *robust = tcase_create("robust");
    TCase *discover = tcase_create("discover");

    TCase *all[] = {defs, values, invalid, hostile, robust, discover};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
        tcase_add_checked_fixture(all[i], setup, teardown);
        suite_add_tcase(s, all[i]);
    }
    tcase_add_test(defs, every_default_definition_parses);
    tcase_add_test(defs, default_workflow_is_the_8d_procedure);
    tcase_add_test(defs, intake_form_has_bilingual_choices_and_required_levels);
    tcase_add_test(defs, definition_sets_load_built_in_and_from_a_directory);
    tcase_add_test(values, cli_walk_values_validate);
    tcase_add_test(values, unknown_field_is_rejected);
    tcase_add_test(values, integer_rules);
    tcase_add_test(values, decimal_datetime_boolean_rules);
    tcase_add_test(values, date_rules_know_the_calendar);
    tcase_add_test(values, choice_and_user_rules);
    tcase_add_test(values, max_length_counts_characters);
    tcase_add_test(values, pattern_must_match_the_whole_value);
    tcase_add_test(values, bad_bytes_and_control_characters_are_refused);
    tcase_add_test(values, text_check_refuses_what_can_forge_or_disguise_output);
    tcase_add_test(values, text_check_passes_ordinary_text);
    tcase_add_test(values, every_field_value_obeys_the_text_rule);
    tcase_add_test(values, text_rule_violations_are_collected_with_the_others);
    tcase_add_test(values, group_rows_are_checked);
    tcase_add_test(values, field_name_split_shapes);
    tcase_add_test(values, stored_names_resolve_to_their_definitions);
    tcase_add_test(values, required_at_create_and_at_sign_off);
    tcase_add_test(values, every_violation_is_reported_at_once);
    tcase_add_test(values, diag_join_and_clear);
    tcase_add_test(values, messages_cannot_be_disguised);
    tcase_add_test(values, too_many_values_is_one_violation);
    tcase_add_test(invalid, schema_violation_names_file_and_line);
    tcase_add_test(invalid, semantic_errors_are_refused_with_line);
    tcase_add_test(invalid, workflow_cross_references_are_checked);
    tcase_add_test(invalid, workflow_rounds);
    tcase_add_test(invalid, workflow_and_forms_cross_check);
    tcase_add_test(hostile, doctype_with_external_entity_is_refused);
    tcase_add_test(hostile, entity_expansion_is_refused_quickly);
    tcase_add_test(hostile, external_dtd_and_parameter_entities_are_refused);
    tcase_add_test(hostile, xinclude_is_not_processed);
    tcase_add_test(hostile, plain_doctype_is_refused);
    tcase_add_test(hostile, oversized_definitions_are_refused);
    tcase_add_test(hostile, external_entity_loader_refuses_everything);
    tcase_add_test(hostile, huge_and_deep_input_is_refused);
    tcase_add_test(hostile, garbage_empty_and_truncated_input_is_refused);
    tcase_add_test(robust, every_allocation_failure_while_parsing_is_survived);
    tcase_add_test(robust, every_allocation_failure_while_validating_is_survived);
    tcase_add_test(robust, parsing_from_several_threads_is_safe_and_silent);
    tcase_add_test(robust, alloc_hook_fails_exactly_the_nth_allocation);
    tcase_add_test(robust, every_allocation_failure_while_loading_a_set_is_survived);
    tcase_add_test(discover, choice_labels_in_either_language_mean_the_code);
    tcase_add_test(discover, normalize_survives_hostile_input);
    tcase_add_test(discover, unknown_names_get_the_nearest_field);
    tcase_add_test(discover, suggest_survives_hostile_input);
    tcase_set_timeout(robust, 300);
    return s;
}
