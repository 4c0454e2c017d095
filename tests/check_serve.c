/*
 * check_serve.c - the input parsers and escaping of capa serve (tools/serve/parse.c, buf.c)
 * with malformed, hostile and huge input; the page writer (htmlout.c) against libxml2's. The
 * HTTP side is tests/e2e/serve.sh.
 */
#include <check.h>
#include <libxml/HTMLtree.h>
#include <libxml/parserInternals.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "htmlout.h"
#include "parse.h"

START_TEST(urlencoded_decodes_plus_percent_and_first_equals)
{
    sv_params p;
    char why[160];
    const char *s = "a=1&b=x+y%2Bz&c=k%3Dv=w&&d&e=%E4%B8%AD";
    ck_assert_int_eq(sv_urlencoded_parse(&p, s, strlen(s), why, sizeof why), 0);
    ck_assert_uint_eq(p.n, 5);
    ck_assert_str_eq(sv_params_get(&p, "b"), "x y+z");
    ck_assert_str_eq(sv_params_get(&p, "c"), "k=v=w");
    ck_assert_str_eq(sv_params_get(&p, "d"), "");
    ck_assert_str_eq(sv_params_get(&p, "e"), "中");
    ck_assert_ptr_null(sv_params_get(&p, "zz"));
    sv_params_clear(&p);
}
END_TEST

START_TEST(form_line_breaks_become_lf_and_a_lone_cr_stays)
{
    sv_params p;
    char why[160];
    const char *s = "a=one%0D%0Atwo%0D%0A%0D%0A&b=x%0Dy&c=%0D%0A&d=%0A%0D";
    ck_assert_int_eq(sv_urlencoded_parse(&p, s, strlen(s), why, sizeof why), 0);
    sv_params_crlf_to_lf(&p);
    ck_assert_str_eq(sv_params_get(&p, "a"), "one\ntwo\n\n");
    ck_assert_str_eq(sv_params_get(&p, "b"), "x\ry"); /* the engine refuses it, naming it */
    ck_assert_str_eq(sv_params_get(&p, "c"), "\n");
    ck_assert_str_eq(sv_params_get(&p, "d"), "\n\r");
    sv_params_clear(&p);
}
END_TEST

START_TEST(urlencoded_refuses_malformed_input)
{
    static const char *bad[] = {"a=%", "a=%4", "a=%G0", "a=%00", "=x", "a=1&=2", "%zz=1",
                                "a=%%"};
    sv_params p;
    char why[160];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(sv_urlencoded_parse(&p, bad[i], strlen(bad[i]), why, sizeof why) == -1,
                      "accepted %s", bad[i]);
        ck_assert_uint_eq(p.n, 0);
        ck_assert(why[0]);
    }
    /* an embedded NUL byte in the raw input */
    ck_assert_int_eq(sv_urlencoded_parse(&p, "a=b\0c", 5, why, sizeof why), -1);
}
END_TEST

START_TEST(urlencoded_limits_the_number_of_parameters_and_takes_huge_values)
{
    sv_params p;
    char why[160];
    size_t n = (SV_MAX_PARAMS + 1) * 4;
    char *s = malloc(n + 1), *q = s;
    for (int i = 0; i <= SV_MAX_PARAMS; i++)
        q += sprintf(q, "a=%d&", i % 10);
    ck_assert_int_eq(sv_urlencoded_parse(&p, s, strlen(s), why, sizeof why), -1);
    ck_assert_ptr_nonnull(strstr(why, "more than"));
    free(s);
    size_t big = 4 << 20;
    s = malloc(big + 3);
    memcpy(s, "v=", 2);
    memset(s + 2, 'x', big);
    s[big + 2] = '\0';
    ck_assert_int_eq(sv_urlencoded_parse(&p, s, big + 2, why, sizeof why), 0);
    ck_assert_uint_eq(strlen(sv_params_get(&p, "v")), big);
    sv_params_clear(&p);
    free(s);
}
END_TEST

START_TEST(cookies_accept_only_token_values)
{
    char buf[80];
    ck_assert_int_eq(sv_cookie_get(buf, sizeof buf, "a=1; capa_session=abc123; b=2", "capa_session"), 0);
    ck_assert_str_eq(buf, "abc123");
    ck_assert_int_eq(sv_cookie_get(buf, sizeof buf, "xcapa_session=abc", "capa_session"), -1);
    ck_assert_int_eq(sv_cookie_get(buf, sizeof buf, "capa_session=a\"b", "capa_session"), -1);
    ck_assert_int_eq(sv_cookie_get(buf, sizeof buf, "capa_session=", "capa_session"), -1);
    ck_assert_int_eq(sv_cookie_get(buf, sizeof buf, NULL, "capa_session"), -1);
    char big[200];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    char hdr[300];
    snprintf(hdr, sizeof hdr, "capa_session=%s", big);
    ck_assert_int_eq(sv_cookie_get(buf, sizeof buf, hdr, "capa_session"), -1);
}
END_TEST

START_TEST(json_fields_must_be_an_object_of_strings)
{
    capa_kv *kv;
    size_t n;
    char why[200];
    json_error_t e;
    json_t *ok = json_loads("{\"a\": \"1\", \"g.1.c\": \"x\"}", 0, &e);
    ck_assert_int_eq(sv_json_fields(&kv, &n, ok, why, sizeof why), 0);
    ck_assert_uint_eq(n, 2);
    free(kv);
    json_decref(ok);
    static const char *bad[] = {"[1]", "{\"a\": 1}", "{\"a\": null}", "{\"a\": {\"b\": \"c\"}}",
                                "{\"\": \"x\"}", "{\"a\": \"x\\u0000y\"}", "\"s\""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *j = json_loads(bad[i], JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
        ck_assert_msg(j, "%s: %s", bad[i], e.text);
        ck_assert_msg(sv_json_fields(&kv, &n, j, why, sizeof why) == -1, "accepted %s", bad[i]);
        ck_assert_ptr_null(kv);
        json_decref(j);
    }
    ck_assert_int_eq(sv_json_fields(&kv, &n, NULL, why, sizeof why), -1);
    json_t *many = json_object();
    char key[16];
    for (int i = 0; i <= CAPA_MAX_FIELDS; i++) {
        snprintf(key, sizeof key, "f%d", i);
        json_object_set_new(many, key, json_string("v"));
    }
    ck_assert_int_eq(sv_json_fields(&kv, &n, many, why, sizeof why), -1);
    json_decref(many);
}
END_TEST

START_TEST(engine_messages_split_into_field_errors)
{
    sv_field_error *e;
    size_t n = sv_field_errors(&e, "field `qty`: value 'a' b' is not an integer; field "
                                   "`sev`: value '' is required when the record is created");
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(e[0].field, "qty");
    ck_assert_str_eq(e[0].value, "a' b");
    ck_assert_str_eq(e[0].rule, "is not an integer");
    ck_assert_str_eq(e[1].field, "sev");
    ck_assert_str_eq(e[1].value, "");
    ck_assert_str_eq(e[1].rule, "is required when the record is created");
    sv_field_errors_free(e, n);
    ck_assert_uint_eq(sv_field_errors(&e, "user `li`: wrong password"), 0);
    ck_assert_uint_eq(sv_field_errors(&e, "field `"), 0);
    ck_assert_uint_eq(sv_field_errors(&e, "field ``: x; field `a"), 0);
    ck_assert_uint_eq(sv_field_errors(&e, NULL), 0);
    n = sv_field_errors(&e, "field `a`: odd rule");
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(e[0].rule, "odd rule");
    sv_field_errors_free(e, n);
}
END_TEST

START_TEST(dates_must_be_real_calendar_dates)
{
    long long ms;
    ck_assert_int_eq(sv_parse_date(&ms, "1970-01-02"), 0);
    ck_assert_int_eq(ms, 86400000LL);
    ck_assert_int_eq(sv_parse_date(&ms, "2024-02-29"), 0);
    static const char *bad[] = {"2023-02-29", "2026-13-01", "2026-1-01", "2026-01-01x", "",
                                "abcd-ef-gh", "1969-12-31", "2026-00-10"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(sv_parse_date(&ms, bad[i]) == -1, "accepted %s", bad[i]);
}
END_TEST

START_TEST(html_escaping_defuses_markup_and_shows_disguising_characters)
{
    sv_buf b = {0};
    sv_html(&b, "\"><img src=x onerror=alert(1)>", 0);
    ck_assert_str_eq(b.p, "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
    sv_buf_free(&b);
    sv_html(&b, "evil\xe2\x80\xaetxt\x1b[2J\xff'a\nb", 0);
    ck_assert_str_eq(b.p, "evil\\u202etxt\\x1b[2J\\xff&#39;a\\nb");
    sv_buf_free(&b);
    sv_html(&b, "a\nb\tc", 1);
    ck_assert_str_eq(b.p, "a\nb\tc");
    sv_buf_free(&b);
    sv_html_value(&b, "<a href='x'>&");
    ck_assert_str_eq(b.p, "&lt;a href=&#39;x&#39;&gt;&amp;");
    sv_buf_free(&b);
    sv_url(&b, "QC-2026/../\"x y");
    ck_assert_str_eq(b.p, "QC-2026%2F..%2F%22x%20y");
    sv_buf_free(&b);
}
END_TEST

/* What goes into a view (the template escapes markup): disguising characters made visible,
 * markup left as it is; a form value exact but for invalid UTF-8. */
START_TEST(view_text_shows_disguising_characters_and_keeps_markup_for_the_template)
{
    sv_buf b = {0};
    sv_shown(&b, "<b>\"x\" & 'y'</b>", 0);
    ck_assert_str_eq(b.p, "<b>\"x\" & 'y'</b>");
    sv_buf_free(&b);
    sv_shown(&b, "evil\xe2\x80\xaetxt\x1b[2J\xff\na", 0);
    ck_assert_str_eq(b.p, "evil\\u202etxt\\x1b[2J\\xff\\na");
    sv_buf_free(&b);
    sv_shown(&b, "a\nb", 1);
    ck_assert_str_eq(b.p, "a\nb");
    sv_buf_free(&b);
    sv_utf8_valid(&b, "a\xff" "b\xe2\x80\xae<c>\x1b");
    ck_assert_str_eq(b.p, "a\xef\xbf\xbd" "b\xe2\x80\xae<c>\x1b");
    sv_buf_free(&b);
}
END_TEST

START_TEST(csv_quotes_and_defuses_formulas)
{
    sv_buf b = {0};
    sv_csv(&b, "plain");
    sv_buf_puts(&b, "|");
    sv_csv(&b, "a,\"b\"\nc");
    sv_buf_puts(&b, "|");
    sv_csv(&b, "=HYPERLINK(\"x\")");
    sv_buf_puts(&b, "|");
    sv_csv(&b, "-1");
    ck_assert_str_eq(b.p, "plain|\"a,\"\"b\"\"\nc\"|\"'=HYPERLINK(\"\"x\"\")\"|\"'-1\"");
    sv_buf_free(&b);
}
END_TEST

/* libxml2's HTML of doc, as xsltSaveResultTo writes it for method="html" indent="no". */
static char *libxml2_html(xmlDocPtr doc)
{
    xmlOutputBufferPtr o = xmlAllocOutputBuffer(NULL);
    ck_assert_ptr_nonnull(o);
    htmlDocContentDumpFormatOutput(o, doc, "UTF-8", 0);
    xmlOutputBufferFlush(o);
    char *s = strdup((const char *)xmlBufContent(o->buffer));
    xmlOutputBufferClose(o);
    return s;
}

static xmlNodePtr el(xmlNodePtr parent, const char *name, const char *text)
{
    return xmlNewTextChild(parent, NULL, BAD_CAST name, text ? BAD_CAST text : NULL);
}

/* The page writer gives libxml2's bytes for every case its rules name: void and empty
 * elements, boolean attributes in any case, URL attributes (leading blanks, characters to
 * percent-encode), both kinds of quote, &{ and <!-- in attributes, controls, CR, non-ASCII,
 * script and style text, unescaped text, comments; and leaves what it does not handle
 * (a namespace) to libxml2 with the buffer untouched. */
START_TEST(page_writer_writes_what_libxml2_writes)
{
    static const char *const values[] = {
        "plain",
        "",
        "a \"quoted\" value",
        "it's",
        "both \" and ' here",
        "<b>&amp; & x > y</b>",
        "&{script}; and &{unclosed",
        "<!--#include virtual=\"x\" --> after",
        "ctl\x01\x02\x1f tab\t lf\n cr\r del\x7f end",
        "中文 / English \xe2\x80\xae",
        "  \t\n /cases/QC 1?x=a b&y=<z>#f\"q'%20中",
        "javascript:alert(1)",
    };
    static const char *const attrs[] = {"href",     "HREF",  "src",    "action",  "name",
                                        "class",    "title", "value",  "checked", "DISABLED",
                                        "selected", "defer", "data-x", "nowrap"};
    static const char *const tags[] = {
        "a",     "p",        "td",  "li",       "option", "tbody", "dd",    "br",   "img",
        "input", "meta",     "div", "span",     "app-x",  "html",  "body",  "head", "script",
        "style", "textarea", "A",   "colgroup", "hr",     "link",  "param", "pre"};
    xmlDocPtr doc = htmlNewDocNoDtD(NULL, NULL);
    xmlNodePtr html = xmlNewDocNode(doc, NULL, BAD_CAST "html", NULL);
    xmlDocSetRootElement(doc, html);
    xmlNodePtr body = el(html, "body", NULL);
    for (size_t t = 0; t < sizeof tags / sizeof *tags; t++) {
        /* each element empty, and with text, and with an element in it */
        for (int kind = 0; kind < 3; kind++) {
            xmlNodePtr e = el(body, tags[t], NULL);
            if (kind == 1)
                xmlAddChild(e, xmlNewDocText(doc, BAD_CAST values[(t + 5) % 12]));
            if (kind == 2)
                el(e, "span", values[t % 12]);
            for (size_t a = 0; a < sizeof attrs / sizeof *attrs; a++)
                xmlSetProp(e, BAD_CAST attrs[a], BAD_CAST values[(a + t + kind) % 12]);
        }
    }
    for (size_t v = 0; v < sizeof values / sizeof *values; v++) {
        el(body, "p", values[v]);
        el(body, "script", values[v]);
        el(body, "style", values[v]);
        xmlAddChild(body, xmlNewDocText(doc, BAD_CAST values[v]));
        xmlNodePtr noenc = xmlNewDocText(doc, BAD_CAST values[v]);
        noenc->name = xmlStringTextNoenc;
        xmlAddChild(el(body, "div", NULL), noenc);
        xmlAddChild(body, xmlNewDocComment(doc, BAD_CAST values[v]));
    }
    /* an attribute without a value, one with two text nodes */
    xmlNodePtr e = el(body, "a", "x");
    xmlNewProp(e, BAD_CAST "name", NULL);
    xmlAttrPtr two = xmlSetProp(e, BAD_CAST "href", BAD_CAST " /a b");
    xmlAddChild((xmlNodePtr)two, xmlNewDocText(doc, BAD_CAST "&c d"));
    xmlSetProp(e, BAD_CAST "title", NULL);
    xmlAddNextSibling(html, xmlNewDocText(doc, BAD_CAST "after <the> root"));

    char *want = libxml2_html(doc);
    sv_buf b = {0};
    sv_buf_puts(&b, "<!DOCTYPE html>\n");
    ck_assert_int_eq(sv_html_result(&b, doc), 0);
    ck_assert_str_eq(b.p + strlen("<!DOCTYPE html>\n"), want);
    ck_assert_uint_gt(strlen(want), 20000);
    free(want);

    /* a namespaced element: left to libxml2, the buffer as it was */
    xmlNsPtr ns = xmlNewNs(html, BAD_CAST "urn:x", BAD_CAST "x");
    xmlNewChild(body, ns, BAD_CAST "y", NULL);
    size_t len = b.len;
    ck_assert_int_eq(sv_html_result(&b, doc), -1);
    ck_assert_uint_eq(b.len, len);
    ck_assert_int_eq(b.oom, 0);
    sv_buf_free(&b);
    xmlFreeDoc(doc);
}
END_TEST

Suite *capa_serve_suite(void)
{
    Suite *su = suite_create("serve");
    TCase *tc = tcase_create("parse");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, urlencoded_decodes_plus_percent_and_first_equals);
    tcase_add_test(tc, urlencoded_refuses_malformed_input);
    tcase_add_test(tc, form_line_breaks_become_lf_and_a_lone_cr_stays);
    tcase_add_test(tc, urlencoded_limits_the_number_of_parameters_and_takes_huge_values);
    tcase_add_test(tc, cookies_accept_only_token_values);
    tcase_add_test(tc, json_fields_must_be_an_object_of_strings);
    tcase_add_test(tc, engine_messages_split_into_field_errors);
    tcase_add_test(tc, dates_must_be_real_calendar_dates);
    tcase_add_test(tc, html_escaping_defuses_markup_and_shows_disguising_characters);
    tcase_add_test(tc, csv_quotes_and_defuses_formulas);
    tcase_add_test(tc, view_text_shows_disguising_characters_and_keeps_markup_for_the_template);
    tcase_add_test(tc, page_writer_writes_what_libxml2_writes);
    suite_add_tcase(su, tc);
    return su;
}
