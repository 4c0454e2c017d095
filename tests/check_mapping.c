/*
 * check_mapping.c - sheet mappings (forms/mapping.c): the shipped `register` parses and fits
 * the built-in forms; dates read as legacy Excel logs write them (and nothing else); header
 * binding; the semantic errors the schema cannot catch; hostile XML refused.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capa.h"
#include "capa_mapping.h"
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

static void date_is(const char *text, const char *format, int y, int m, int d, int hh, int mm)
{
    capa_sheet_date dt;
    ck_assert_msg(capa_sheet_date_parse(&dt, text, format), "'%s' as %s", text, format);
    ck_assert_msg(dt.year == y && dt.month == m && dt.day == d && dt.hour == hh && dt.minute == mm,
                  "'%s' as %s: %04d-%02d-%02d %02d:%02d", text, format, dt.year, dt.month,
                  dt.day, dt.hour, dt.minute);
}

static void not_date(const char *text, const char *format)
{
    capa_sheet_date dt;
    ck_assert_msg(!capa_sheet_date_parse(&dt, text, format), "'%s' read as %s", text, format);
}

START_TEST(dates_read_as_excel_writes_them)
{
    date_is("2023/6/15", "YYYY/M/D", 2023, 6, 15, 0, 0);
    date_is(" 2023/06/05 ", "YYYY/M/D", 2023, 6, 5, 0, 0);
    date_is("2023-06-15 23:52", "YYYY-M-D hh:mm", 2023, 6, 15, 23, 52);
    date_is("15-Jun-23", "D-MMM-YY", 2023, 6, 15, 0, 0);
    date_is("15-JUN-95", "D-MMM-YY", 1995, 6, 15, 0, 0); /* Excel: 30..99 are 19xx */
    date_is("2024年2月29日", "YYYY年M月D日", 2024, 2, 29, 0, 0);
    date_is("45092", "serial", 2023, 6, 15, 0, 0);
    date_is("45092.5", "serial", 2023, 6, 15, 12, 0);
    date_is("61", "serial", 1900, 3, 1, 0, 0);
    date_is("2958465", "serial", 9999, 12, 31, 0, 0);
    not_date("2023/2/29", "YYYY/M/D");
    not_date("2023/13/1", "YYYY/M/D");
    not_date("2023/6/15 ", "YYYY-M-D");
    not_date("2023/6/15x", "YYYY/M/D");
    not_date("2023-06-15 24:00", "YYYY-M-D hh:mm");
    not_date("15-Jux-23", "D-MMM-YY");
    not_date("60", "serial"); /* Excel's fictitious 1900-02-29 and before */
    not_date("-5", "serial");
    not_date("1e5", "serial");
    not_date("", "YYYY/M/D");
}
END_TEST

START_TEST(date_formats_are_checked)
{
    char why[200];
    ck_assert(capa_sheet_date_format_check("YYYY-MM-DD hh:mm:ss", why, sizeof why));
    ck_assert(capa_sheet_date_format_check("serial", why, sizeof why));
    ck_assert(!capa_sheet_date_format_check("YYYY/Q/D", why, sizeof why));
    ck_assert_ptr_nonnull(strstr(why, "letter 'Q'"));
    ck_assert(!capa_sheet_date_format_check("YYYY/M", why, sizeof why));
    ck_assert_ptr_nonnull(strstr(why, "needs a year"));
    ck_assert(!capa_sheet_date_format_check("YYYY/M/D/D", why, sizeof why));
    ck_assert(!capa_sheet_date_format_check("YYYY/M/D mm", why, sizeof why));
}
END_TEST

static const capa_formdef *intake;
static const capa_formdef *form0(int stage, void *payload)
{
    (void)payload;
    return stage == 0 ? intake : NULL;
}

START_TEST(the_register_mapping_fits_the_built_in_forms)
{
    capa_mapping *m = NULL;
    capa_workflow *wf = NULL;
    capa_formdef *f = NULL;
    const capa_embedded_file *w = capa_form_embedded_get("workflow.xml"),
                             *i = capa_form_embedded_get("intake.xml");
    ck_assert_int_eq(capa_mapping_load(&m, "register", &diag), CAPA_OK);
    ck_assert_int_eq(capa_workflow_parse(&wf, w->data, w->len, "workflow.xml", &diag), CAPA_OK);
    ck_assert_int_eq(capa_formdef_parse(&f, i->data, i->len, "intake.xml", &diag), CAPA_OK);
    intake = f;
    ck_assert_int_eq(capa_mapping_check(m, wf, form0, NULL, &diag), CAPA_OK);
    ck_assert_uint_eq(m->n_columns, 13);
    /* Headers bind after trimming white space and a BOM; aliases too. */
    const char *hdr[] = {"\xEF\xBB\xBF投诉日期", " 客户 ", "料号", "问题描述", "严重程度", "备注"};
    capa_map_binding b;
    capa_diag ig = {0};
    ck_assert_int_eq(capa_mapping_bind(&b, m, hdr, 6, &diag, &ig), CAPA_OK);
    ck_assert_int_eq(b.of_col[1], 2); /* 客户 is an alias of 客户名称 */
    ck_assert_int_eq(b.of_col[5], -1);
    ck_assert_uint_eq(ig.n, 1);
    ck_assert_str_eq(ig.msgs[0], "column 6 (备注)");
    ck_assert_str_eq(capa_mapping_value(&m->columns[8], " 重大 "), "major");
    ck_assert_str_eq(capa_mapping_value(&m->columns[8], "特急"), "特急");
    capa_map_binding_clear(&b);
    capa_diag_clear(&ig);
    /* Without 问题描述 (required) the header is refused, naming the column. */
    ck_assert_int_eq(capa_mapping_bind(&b, m, hdr, 3, &diag, NULL), CAPA_EINVALID);
    char *all = capa_diag_join(&diag, " | ");
    ck_assert_ptr_nonnull(strstr(all, "required column '问题描述' is missing"));
    ck_assert_ptr_nonnull(strstr(all, "required column '严重程度' is missing"));
    free(all);
    capa_map_binding_clear(&b);
    capa_mapping_free(m);
    capa_workflow_free(wf);
    capa_formdef_free(f);
}
END_TEST

static int parse_fails_with(const char *xml, const char *want)
{
    capa_mapping *m = NULL;
    capa_diag_clear(&diag);
    int rc = capa_mapping_parse(&m, xml, strlen(xml), "t.xml", &diag);
    char *all = capa_diag_join(&diag, " | ");
    int ok = rc != CAPA_OK && m == NULL && all && strstr(all, want);
    if (!ok)
        fprintf(stderr, "want '%s' in: %s\n", want, all ? all : "");
    free(all);
    return ok;
}

#define M "<mapping xmlns='urn:capa:mapping:1' id='m' zh='表' en='Sheet'>"

START_TEST(mapping_errors_name_the_line_and_the_rule)
{
    ck_assert(parse_fails_with(M "<column header='a' case='opened'/></mapping>",
                               "neither it nor the mapping has a <date>"));
    ck_assert(parse_fails_with(M "<dates><date format='YYYY/M/D'/></dates>"
                                 "<column header='a' field='customer'/></mapping>",
                               "no column gives the date the case was opened"));
    ck_assert(parse_fails_with(M "<dates><date format='YYYY/M/D'/></dates>"
                                 "<column header='a' case='opened'/><column header='b'/></mapping>",
                               "t.xml:1: column 'b' fills neither a field"));
    ck_assert(parse_fails_with(M "<dates><date format='YYYY/M/D'/></dates>"
                                 "<column header='a' case='opened'/>"
                                 "<column header='s' case='status'/></mapping>",
                               "a status column needs <map"));
    ck_assert(parse_fails_with(M "<dates><date format='YYYY/M/D'/></dates>"
                                 "<column header='a' case='opened'><map from='x' to='y'/></column>"
                                 "</mapping>",
                               "<map> is for field and status values"));
    ck_assert(parse_fails_with(M "<dates><date format='YYYY/M/D'/></dates>"
                                 "<column header='a' case='opened'/>"
                                 "<column header='c' field='customer'><map from='x' to='1'/>"
                                 "<map from=' x ' to='2'/></column></mapping>",
                               "column 'c': value 'x' is mapped twice"));
    ck_assert(parse_fails_with(M "<column header='a' case='opened' x='1'/></mapping>",
                               "x"));
    ck_assert(parse_fails_with("<mapping xmlns='urn:capa:form:1' id='m' zh='a' en='b'/>",
                               "t.xml"));
    ck_assert(parse_fails_with("<?xml version='1.0'?><!DOCTYPE mapping SYSTEM "
                               "'http://127.0.0.1:1/x.dtd'>" M "</mapping>",
                               "DOCTYPE"));
    ck_assert(parse_fails_with("<?xml version='1.0'?><!DOCTYPE m [<!ENTITY e SYSTEM "
                               "'file:///etc/passwd'>]>" M
                               "<column header='&e;' case='opened'/></mapping>",
                               "DOCTYPE"));
    ck_assert(parse_fails_with("", "empty document"));
    ck_assert(parse_fails_with("\xff\xfe<", "not UTF-8"));
    capa_mapping *m = NULL;
    ck_assert_int_eq(capa_mapping_load(&m, "nosuch", &diag), CAPA_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(diag.msgs[diag.n - 1], "shipped: register"));
    ck_assert_int_eq(capa_mapping_load(&m, "/nonexistent/m.xml", &diag) == CAPA_OK, 0);
}
END_TEST

Suite *capa_mapping_suite(void)
{
    Suite *s = suite_create("mapping");
    TCase *tc = tcase_create("mapping");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, dates_read_as_excel_writes_them);
    tcase_add_test(tc, date_formats_are_checked);
    tcase_add_test(tc, the_register_mapping_fits_the_built_in_forms);
    tcase_add_test(tc, mapping_errors_name_the_line_and_the_rule);
    suite_add_tcase(s, tc);
    return s;
}
