/*
 * pages.c - the HTML pages of capa serve: sign-in, the case list (and its CSV), a case with
 * every stage, signature, rejection and audit event, the forms of a new complaint and of the
 * current stage rendered from the XML form definitions, the signing dialog and dossiers.
 *
 * Every value goes through sv_html (text), sv_html_value (form controls) or sv_url (links).
 * Every POST carries the session's CSRF token or is refused with 403. What the workflow's
 * roles do not allow this user now is not offered; the engine refuses it anyway.
 */
#include "serve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capa_report.h"

/* ---- small helpers ---- */

static void label(sv_req *r, const char *zh, const char *en)
{
    if (r->lang == SV_LANG_ZH && zh && *zh)
        sv_html(&r->out, zh, 0);
    else if (r->lang == SV_LANG_EN && en && *en)
        sv_html(&r->out, en, 0);
    else if (zh && *zh && en && *en && strcmp(zh, en) != 0) {
        sv_html(&r->out, zh, 0);
        sv_buf_puts(&r->out, " / ");
        sv_html(&r->out, en, 0);
    } else
        sv_html(&r->out, zh && *zh ? zh : en, 0);
}

static void redirect(sv_req *r, const char *fmt, const char *arg)
{
    sv_buf b = {0};
    sv_buf_puts(&b, fmt);
    if (arg)
        sv_url(&b, arg);
    free(r->location);
    r->location = sv_buf_take(&b, NULL);
    r->status = 303;
    r->type = "text/plain; charset=utf-8";
}

static void page_begin(sv_req *r, const char *zh, const char *en)
{
    sv_buf_puts(&r->out, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
                         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                         "<link rel=\"stylesheet\" href=\"/static/style.css\">"
                         "<script src=\"/static/app.js\" defer></script><title>");
    label(r, zh, en);
    sv_buf_puts(&r->out, " - capa</title></head><body><header><strong>capa</strong>");
    if (r->have_sess) {
        sv_buf_puts(&r->out, "<a href=\"/\">");
        label(r, "工作台", "Dashboard");
        sv_buf_puts(&r->out, "</a><a href=\"/cases\">");
        label(r, "案件", "Cases");
        sv_buf_puts(&r->out, "</a><a href=\"/cases/new\">");
        label(r, "新投诉", "New complaint");
        sv_buf_puts(&r->out, "</a>");
    }
    sv_buf_puts(&r->out, "<a href=\"?lang=zh\">中文</a><a href=\"?lang=en\">English</a>"
                         "<a href=\"?lang=both\">中/En</a>");
    if (r->have_sess) {
        sv_buf_puts(&r->out, "<form method=\"post\" action=\"/logout\"><input type=\"hidden\" "
                             "name=\"csrf\" value=\"");
        sv_html_value(&r->out, r->sess.csrf);
        sv_buf_puts(&r->out, "\">");
        sv_html(&r->out, r->sess.user, 0);
        sv_buf_puts(&r->out, " <button type=\"submit\">");
        label(r, "退出", "Sign out");
        sv_buf_puts(&r->out, "</button></form>");
    }
    sv_buf_puts(&r->out, "</header><main><h1>");
    label(r, zh, en);
    sv_buf_puts(&r->out, "</h1>\n");
}

static void page_end(sv_req *r)
{
    sv_buf_puts(&r->out, "</main></body></html>\n");
    if (!r->status)
        r->status = 200;
    r->type = "text/html; charset=utf-8";
}

static void error_page(sv_req *r, int status, const char *msg)
{
    sv_buf_free(&r->out);
    r->status = status;
    page_begin(r, "出错", "Error");
    sv_buf_puts(&r->out, "<p class=\"err\">");
    sv_html(&r->out, msg, 0);
    sv_buf_puts(&r->out, "</p><p><a href=\"/cases\">");
    label(r, "返回案件列表", "Back to the cases");
    sv_buf_puts(&r->out, "</a></p>");
    page_end(r);
}

int sv_status_of(int code)
{
    switch (code) {
    case CAPA_OK:
        return 200;
    case CAPA_EINVALID:
        return 400;
    case CAPA_EAUTH:
    case CAPA_ELOCKED:
        return 401;
    case CAPA_EDENIED:
        return 403;
    case CAPA_ENOTFOUND:
        return 404;
    case CAPA_ESTATE:
    case CAPA_EEXISTS:
        return 409;
    case CAPA_EFULL:
        return 507;
    default:
        return 500;
    }
}

static void error_capa(sv_req *r, int code)
{
    error_page(r, sv_status_of(code), capa_error_last()[0] ? capa_error_last() : capa_strerror(code));
}

static void csrf_field(sv_req *r)
{
    sv_buf_puts(&r->out, "<input type=\"hidden\" name=\"csrf\" value=\"");
    sv_html_value(&r->out, r->sess.csrf);
    sv_buf_puts(&r->out, "\">");
}

/* A POST body as parameters, with the CSRF token checked; 0 ok, else the page is written. */
static int post_params(sv_req *r, sv_params *p, int need_csrf)
{
    char why[160] = "";
    if (r->content_type && strncmp(r->content_type, "application/x-www-form-urlencoded", 33)) {
        error_page(r, 415, "expected a form (application/x-www-form-urlencoded)");
        return -1;
    }
    int rc = sv_urlencoded_parse(p, r->body.p ? r->body.p : "", r->body.len, why, sizeof why);
    if (rc) {
        error_page(r, rc == -2 ? 500 : 400, rc == -2 ? "out of memory" : why);
        return -1;
    }
    sv_params_crlf_to_lf(p);
    const char *tok = sv_params_get(p, "csrf");
    if (need_csrf && (!tok || !sv_secure_eq(tok, r->sess.csrf))) {
        sv_params_clear(p);
        error_page(r, 403, "missing or wrong CSRF token: reload the page and try again");
        return -1;
    }
    return 0;
}

static int load_session(sv_req *r)
{
    char tok[80];
    if (sv_cookie_get(tok, sizeof tok, r->cookie, "capa_session") == 0 &&
        sv_session_load(r->srv, tok, &r->sess) == 0)
        r->have_sess = 1;
    explicit_bzero(tok, sizeof tok);
    return r->have_sess;
}

/* The signed-in user's role ("" when unknown). */
static void user_role(sv_req *r, char *buf, size_t sz)
{
    capa_user *u = NULL;
    buf[0] = '\0';
    if (capa_user_get(&u, r->srv->s, r->sess.user) == CAPA_OK && u->role)
        snprintf(buf, sz, "%s", u->role);
    capa_user_free(u);
}

static const char *param(const sv_params *p, const char *name)
{
    const char *v = sv_params_get(p, name);
    return v ? v : "";
}

/* ---- sign in / out ---- */

static void login_form(sv_req *r, const char *user, const char *msg)
{
    page_begin(r, "登录", "Sign in");
    if (msg) {
        sv_buf_puts(&r->out, "<p class=\"err\">");
        sv_html(&r->out, msg, 0);
        sv_buf_puts(&r->out, "</p>");
    }
    sv_buf_puts(&r->out, "<form method=\"post\" action=\"/login\">"
                         "<input type=\"hidden\" name=\"csrf\" value=\"");
    sv_html_value(&r->out, sv_login_token(r));
    sv_buf_puts(&r->out, "\"><label>");
    label(r, "账号", "User");
    sv_buf_puts(&r->out, " <input name=\"user\" autocomplete=\"username\" required value=\"");
    sv_html_value(&r->out, user);
    sv_buf_puts(&r->out, "\"></label><label>");
    label(r, "密码", "Password");
    sv_buf_puts(&r->out, " <input type=\"password\" name=\"password\" "
                         "autocomplete=\"current-password\" required></label><button>");
    label(r, "登录", "Sign in");
    sv_buf_puts(&r->out, "</button></form>");
    page_end(r);
}

static void do_login(sv_req *r)
{
    sv_params p = {0};
    char tok[65];
    if (post_params(r, &p, 0))
        return;
    const char *user = param(&p, "user"), *pw = param(&p, "password");
    char why[200];
    int rc;
    if (sv_login_check(r, sv_params_get(&p, "csrf"), why, sizeof why)) {
        r->status = 403;
        login_form(r, user, why);
        goto done;
    }
    if (sv_throttle_begin(user, r->ip, &r->retry_after)) {
        r->status = 429;
        login_form(r, user, "too many sign-in attempts: wait a moment and try again / "
                            "登录尝试过多，请稍后再试");
        goto done;
    }
    rc = sv_session_create(r->srv, user, pw, tok, &r->sess);
    sv_throttle_end(user, r->ip, sv_throttle_outcome(rc));
    if (rc) {
        r->status = sv_status_of(rc);
        login_form(r, user,
                   rc == CAPA_ELOCKED ? "account locked / 账号已锁定"
                                      : "wrong user or password / 账号或密码错误");
    } else {
        r->have_sess = 1;
        sv_req_cookie(r, "capa_session=%s; Path=/; HttpOnly; SameSite=Strict%s", tok,
                      r->srv->secure_cookie ? "; Secure" : "");
        redirect(r, "/", NULL);
    }
done:
    explicit_bzero(tok, sizeof tok);
    for (size_t i = 0; i < p.n; i++)
        explicit_bzero(p.v[i].value, strlen(p.v[i].value));
    sv_params_clear(&p);
}

static void do_logout(sv_req *r)
{
    sv_params p = {0};
    if (post_params(r, &p, 1))
        return;
    sv_params_clear(&p);
    sv_session_end(r->srv, r->sess.hash);
    sv_req_cookie(r, "capa_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    redirect(r, "/login", NULL);
}

/* ---- case list and CSV ---- */

typedef struct list_ctx {
    sv_req *r;
    const capa_workflow *wf;
    int csv;
    size_t n;
    const char *severity; /* a code of the intake form's severity choice, or NULL */
} list_ctx;

int sv_severity_filter(sv_server *srv, const char *value, const char **code, char *why,
                       size_t whysz)
{
    const capa_workflow *wf = NULL;
    const capa_formdef *fd = NULL;
    const capa_field *f = NULL;
    *code = NULL;
    if (!value || !*value)
        return 0;
    if (capa_store_workflow(&wf, srv->s) == CAPA_OK && wf->n_stages &&
        capa_store_form(&fd, srv->s, wf->stages[0].form_id, 0) == CAPA_OK)
        f = capa_formdef_field(fd, "severity");
    if (!f || f->type != CAPA_FT_CHOICE) {
        snprintf(why, whysz, "severity: the intake form has no severity choice");
        return -1;
    }
    /* By code or by label (重要, Important), as `capa list --severity`. */
    const char *c = capa_form_normalize(fd, "severity", value);
    if (!capa_field_choice(f, c)) {
        size_t n = (size_t)snprintf(why, whysz, "severity '%.60s': not one of", value);
        for (size_t i = 0; i < f->n_choices && n < whysz; i++)
            n += (size_t)snprintf(why + n, whysz - n, "%s %s", i ? "," : "", f->choices[i].value);
        return -1;
    }
    *code = c;
    return 0;
}

static void time_cell(sv_buf *b, int64_t ms)
{
    char t[40] = "";
    if (ms)
        capa_time_format(t, sizeof t, ms);
    sv_buf_puts(b, t);
}

static int list_row(const capa_case_header *h, void *payload)
{
    list_ctx *c = payload;
    sv_buf *b = &c->r->out;
    if (c->severity && (!h->severity || strcmp(h->severity, c->severity) != 0))
        return 0;
    c->n++;
    if (c->csv) {
        const char *cells[] = {h->number,  h->stage,       h->closed ? "closed" : "open",
                               h->customer, h->part_no,    h->lot_no,
                               h->defect_code, h->severity, h->description};
        for (size_t i = 0; i < sizeof cells / sizeof cells[0]; i++) {
            sv_csv(b, cells[i] ? cells[i] : "");
            sv_buf_puts(b, ",");
        }
        time_cell(b, h->opened);
        sv_buf_puts(b, ",");
        time_cell(b, h->closed_at);
        sv_buf_puts(b, "\r\n");
        return 0;
    }
    const capa_stage *st = c->wf ? capa_workflow_stage(c->wf, h->stage) : NULL;
    sv_buf_puts(b, "<tr><td><a href=\"/cases/");
    sv_url(b, h->number);
    sv_buf_puts(b, "\">");
    sv_html(b, h->number, 0);
    sv_buf_puts(b, "</a></td><td>");
    if (h->closed)
        label(c->r, "已结案", "closed");
    else if (st)
        label(c->r, st->label_zh, st->label_en);
    else
        sv_html(b, h->stage, 0);
    sv_buf_puts(b, "</td><td>");
    sv_html(b, h->customer, 0);
    sv_buf_puts(b, "</td><td>");
    sv_html(b, h->part_no, 0);
    sv_buf_puts(b, "</td><td>");
    sv_html(b, h->defect_code, 0);
    sv_buf_puts(b, "</td><td>");
    sv_html(b, h->severity, 0);
    sv_buf_puts(b, "</td><td>");
    time_cell(b, h->opened);
    sv_buf_puts(b, "</td><td>");
    sv_html(b, h->description, 0);
    sv_buf_puts(b, "</td></tr>\n");
    return 0;
}

/* The list filters from the query; -1 (page written) when a date is malformed. */
static int list_filter(sv_req *r, capa_filter *f)
{
    const sv_params *q = &r->query;
    long long ms;
    memset(f, 0, sizeof *f);
    f->closed = -1;
#define OPT(name) (sv_params_get(q, name) && *sv_params_get(q, name) ? sv_params_get(q, name) : NULL)
    f->stage = OPT("stage");
    f->customer = OPT("customer");
    f->part_no = OPT("part");
    f->defect_code = OPT("defect");
    f->text = OPT("text");
    const char *status = OPT("status"), *from = OPT("from"), *to = OPT("to");
#undef OPT
    if (status && strcmp(status, "open") == 0)
        f->closed = 0;
    else if (status && strcmp(status, "closed") == 0)
        f->closed = 1;
    if (from) {
        if (sv_parse_date(&ms, from))
            return -1;
        f->opened_from = ms;
    }
    if (to) {
        if (sv_parse_date(&ms, to))
            return -1;
        f->opened_to = ms + 86400000LL; /* the whole day `to` */
    }
    return 0;
}

static void filter_input(sv_req *r, const char *name, const char *zh, const char *en,
                         const char *type)
{
    const char *v = sv_params_get(&r->query, name);
    sv_buf_puts(&r->out, "<label>");
    label(r, zh, en);
    sv_buf_printf(&r->out, "<br><input type=\"%s\" name=\"%s\" value=\"", type, name);
    sv_html_value(&r->out, v);
    sv_buf_puts(&r->out, "\"></label>");
}

/* The severity filter: the intake form's choices. */
static void severity_select(sv_req *r)
{
    const capa_workflow *wf = NULL;
    const capa_formdef *fd = NULL;
    const capa_field *f = NULL;
    const char *cur = sv_params_get(&r->query, "severity");
    if (capa_store_workflow(&wf, r->srv->s) == CAPA_OK && wf->n_stages &&
        capa_store_form(&fd, r->srv->s, wf->stages[0].form_id, 0) == CAPA_OK)
        f = capa_formdef_field(fd, "severity");
    if (!f || f->type != CAPA_FT_CHOICE)
        return;
    sv_buf_puts(&r->out, "<label>");
    label(r, "严重度", "Severity");
    sv_buf_puts(&r->out, "<br><select name=\"severity\"><option value=\"\"></option>");
    for (size_t i = 0; i < f->n_choices; i++) {
        sv_buf_puts(&r->out, "<option value=\"");
        sv_html_value(&r->out, f->choices[i].value);
        sv_buf_puts(&r->out,
                    cur && strcmp(cur, f->choices[i].value) == 0 ? "\" selected>" : "\">");
        label(r, f->choices[i].label_zh, f->choices[i].label_en);
        sv_buf_puts(&r->out, "</option>");
    }
    sv_buf_puts(&r->out, "</select></label>");
}

static void page_list(sv_req *r, int csv)
{
    capa_filter f;
    const capa_workflow *wf = NULL;
    capa_store_workflow(&wf, r->srv->s);
    if (list_filter(r, &f)) {
        error_page(r, 400, "from/to: expected a date YYYY-MM-DD");
        return;
    }
    list_ctx c = {.r = r, .wf = wf, .csv = csv};
    char why[300];
    if (sv_severity_filter(r->srv, sv_params_get(&r->query, "severity"), &c.severity, why,
                           sizeof why)) {
        error_page(r, 400, why);
        return;
    }
    if (csv) {
        sv_buf_puts(&r->out, "number,stage,status,customer,part_no,lot_no,defect_code,severity,"
                             "description,opened,closed_at\r\n");
        int rc = capa_case_list(r->srv->s, &f, list_row, &c);
        if (rc) {
            error_capa(r, rc);
            return;
        }
        r->status = 200;
        r->type = "text/csv; charset=utf-8";
        r->disposition = strdup("attachment; filename=\"cases.csv\"");
        return;
    }
    page_begin(r, "案件", "Cases");
    sv_buf_puts(&r->out, "<form method=\"get\" action=\"/cases\" class=\"filters\"><label>");
    label(r, "阶段", "Stage");
    sv_buf_puts(&r->out, "<br><select name=\"stage\"><option value=\"\"></option>");
    const char *cur = sv_params_get(&r->query, "stage");
    for (size_t i = 0; wf && i < wf->n_stages; i++) {
        sv_buf_puts(&r->out, "<option value=\"");
        sv_html_value(&r->out, wf->stages[i].id);
        sv_buf_puts(&r->out, cur && strcmp(cur, wf->stages[i].id) == 0 ? "\" selected>" : "\">");
        label(r, wf->stages[i].label_zh, wf->stages[i].label_en);
        sv_buf_puts(&r->out, "</option>");
    }
    sv_buf_puts(&r->out, "</select></label>");
    filter_input(r, "customer", "客户", "Customer", "text");
    filter_input(r, "part", "料号", "Part", "text");
    filter_input(r, "defect", "缺陷代码", "Defect code", "text");
    severity_select(r);
    filter_input(r, "text", "文字", "Text", "search");
    filter_input(r, "from", "开立自", "Opened from", "date");
    filter_input(r, "to", "开立至", "Opened to", "date");
    const char *st = sv_params_get(&r->query, "status");
    sv_buf_puts(&r->out, "<label>");
    label(r, "状态", "Status");
    sv_buf_printf(&r->out,
                  "<br><select name=\"status\"><option value=\"\">*</option>"
                  "<option value=\"open\"%s>open</option><option value=\"closed\"%s>closed"
                  "</option></select></label><button>",
                  st && !strcmp(st, "open") ? " selected" : "",
                  st && !strcmp(st, "closed") ? " selected" : "");
    label(r, "查找", "Find");
    sv_buf_puts(&r->out, "</button></form><p><a href=\"/cases.csv?");
    for (size_t i = 0; i < r->query.n; i++) {
        if (strcmp(r->query.v[i].name, "lang") == 0)
            continue;
        sv_url(&r->out, r->query.v[i].name);
        sv_buf_puts(&r->out, "=");
        sv_url(&r->out, r->query.v[i].value);
        sv_buf_puts(&r->out, "&amp;");
    }
    sv_buf_puts(&r->out, "\">CSV</a></p><table><thead><tr><th>");
    label(r, "案号", "Case");
    sv_buf_puts(&r->out, "</th><th>");
    label(r, "阶段", "Stage");
    sv_buf_puts(&r->out, "</th><th>");
    label(r, "客户", "Customer");
    sv_buf_puts(&r->out, "</th><th>");
    label(r, "料号", "Part");
    sv_buf_puts(&r->out, "</th><th>");
    label(r, "缺陷", "Defect");
    sv_buf_puts(&r->out, "</th><th>");
    label(r, "严重度", "Severity");
    sv_buf_puts(&r->out, "</th><th>");
    label(r, "开立", "Opened");
    sv_buf_puts(&r->out, "</th><th>");
    label(r, "描述", "Description");
    sv_buf_puts(&r->out, "</th></tr></thead><tbody>\n");
    int rc = capa_case_list(r->srv->s, &f, list_row, &c);
    if (rc) {
        error_capa(r, rc);
        return;
    }
    sv_buf_printf(&r->out, "</tbody></table><p>%zu</p>", c.n);
    page_end(r);
}

/* ---- forms ---- */

typedef struct formvals {
    const capa_kv *kv; /* stored or submitted values */
    size_t n;
    sv_field_error *errs;
    size_t n_errs;
} formvals;

static const char *fv_get(const formvals *fv, const char *name)
{
    for (size_t i = 0; i < fv->n; i++) {
        if (strcmp(fv->kv[i].name, name) == 0)
            return fv->kv[i].value;
    }
    return NULL;
}

static void field_errors(sv_req *r, const formvals *fv, const char *name)
{
    for (size_t i = 0; i < fv->n_errs; i++) {
        if (strcmp(fv->errs[i].field, name) != 0)
            continue;
        sv_buf_puts(&r->out, "<div class=\"fielderr\" role=\"alert\">");
        sv_html(&r->out, fv->errs[i].rule, 0);
        sv_buf_puts(&r->out, "</div>");
    }
}

static void control(sv_req *r, const capa_field *f, const char *name, const char *v)
{
    sv_buf *b = &r->out;
    switch (f->type) {
    case CAPA_FT_MULTILINE:
        sv_buf_puts(b, "<textarea name=\"f.");
        sv_html_value(b, name);
        sv_buf_puts(b, "\">");
        sv_html_value(b, v);
        sv_buf_puts(b, "</textarea>");
        return;
    case CAPA_FT_CHOICE:
    case CAPA_FT_BOOLEAN:
        sv_buf_puts(b, "<select name=\"f.");
        sv_html_value(b, name);
        sv_buf_puts(b, "\"><option value=\"\"></option>");
        if (f->type == CAPA_FT_BOOLEAN) {
            sv_buf_printf(b, "<option value=\"true\"%s>", v && !strcmp(v, "true") ? " selected" : "");
            label(r, "是", "yes");
            sv_buf_printf(b, "</option><option value=\"false\"%s>",
                          v && !strcmp(v, "false") ? " selected" : "");
            label(r, "否", "no");
            sv_buf_puts(b, "</option>");
        }
        for (size_t i = 0; i < f->n_choices; i++) {
            sv_buf_puts(b, "<option value=\"");
            sv_html_value(b, f->choices[i].value);
            sv_buf_puts(b, v && strcmp(v, f->choices[i].value) == 0 ? "\" selected>" : "\">");
            label(r, f->choices[i].label_zh, f->choices[i].label_en);
            sv_buf_puts(b, "</option>");
        }
        /* A stored value the form no longer offers is still shown, never silently lost. */
        if (v && *v && f->type == CAPA_FT_CHOICE && !capa_field_choice(f, v)) {
            sv_buf_puts(b, "<option selected value=\"");
            sv_html_value(b, v);
            sv_buf_puts(b, "\">");
            sv_html(b, v, 0);
            sv_buf_puts(b, "</option>");
        }
        sv_buf_puts(b, "</select>");
        return;
    default:
        break;
    }
    const char *type = f->type == CAPA_FT_DATE ? "date" : "text";
    sv_buf_printf(b, "<input type=\"%s\" name=\"f.", type);
    sv_html_value(b, name);
    sv_buf_puts(b, "\" value=\"");
    sv_html_value(b, v);
    sv_buf_puts(b, "\"");
    if (f->type == CAPA_FT_INTEGER)
        sv_buf_puts(b, " inputmode=\"numeric\"");
    else if (f->type == CAPA_FT_DECIMAL)
        sv_buf_puts(b, " inputmode=\"decimal\"");
    else if (f->type == CAPA_FT_DATETIME)
        sv_buf_puts(b, " placeholder=\"YYYY-MM-DDTHH:MMZ\"");
    else if (f->type == CAPA_FT_USER)
        sv_buf_puts(b, " placeholder=\"user id\"");
    sv_buf_puts(b, ">");
}

static void req_mark(sv_req *r, const capa_field *f)
{
    if (f->required == CAPA_REQ_CREATE)
        sv_buf_puts(&r->out, " <span class=\"req\" title=\"required / 必填\">*</span>");
    else if (f->required == CAPA_REQ_SIGN)
        sv_buf_puts(&r->out,
                    " <span class=\"req\" title=\"required before sign-off / 签核前必填\">*</span>");
}

static unsigned rows_of(const formvals *fv, const char *gid)
{
    unsigned max = 0, row;
    char g[128], col[128];
    for (size_t i = 0; i < fv->n; i++) {
        if (capa_field_name_split(fv->kv[i].name, g, sizeof g, &row, col, sizeof col) == 1 &&
            strcmp(g, gid) == 0 && row > max)
            max = row;
    }
    return max;
}

static void group_table(sv_req *r, const capa_field *g, const formvals *fv)
{
    sv_buf *b = &r->out;
    char name[300];
    unsigned rows = rows_of(fv, g->id) + 1; /* one empty row to fill */
    sv_buf_puts(b, "<table id=\"g-");
    sv_html_value(b, g->id);
    sv_buf_printf(b, "\" data-next=\"%u\"><tr><th>#</th>", rows + 1);
    for (size_t k = 0; k < g->n_columns; k++) {
        sv_buf_puts(b, "<th>");
        label(r, g->columns[k].label_zh, g->columns[k].label_en);
        req_mark(r, &g->columns[k]);
        sv_buf_puts(b, "</th>");
    }
    sv_buf_puts(b, "<th></th></tr>");
    for (unsigned row = 1; row <= rows; row++) {
        sv_buf_printf(b, "<tr class=\"row\"><td class=\"n\">%u</td>", row);
        for (size_t k = 0; k < g->n_columns; k++) {
            snprintf(name, sizeof name, "%s.%u.%s", g->id, row, g->columns[k].id);
            sv_buf_puts(b, "<td>");
            control(r, &g->columns[k], name, fv_get(fv, name));
            field_errors(r, fv, name);
            sv_buf_puts(b, "</td>");
        }
        sv_buf_puts(b, "<td><button class=\"delrow\" type=\"button\">−</button></td></tr>");
    }
    sv_buf_puts(b, "</table><button class=\"addrow\" type=\"button\" data-group=\"g-");
    sv_html_value(b, g->id);
    sv_buf_puts(b, "\">+</button>");
}

/* The whole form: every field of `fd` with the values in fv and the errors next to them. */
static void render_form(sv_req *r, const capa_formdef *fd, const formvals *fv, const char *action,
                        const char *number, int with_reason, const char *seen)
{
    sv_buf *b = &r->out;
    /* Errors that name no field of the form (or no field at all) go on top. */
    for (size_t i = 0; i < fv->n_errs; i++) {
        if (capa_formdef_lookup(fd, fv->errs[i].field, NULL, NULL))
            continue;
        sv_buf_puts(b, "<p class=\"err\">");
        sv_html(b, fv->errs[i].field, 0);
        sv_buf_puts(b, ": ");
        sv_html(b, fv->errs[i].rule, 0);
        sv_buf_puts(b, "</p>");
    }
    sv_buf_puts(b, "<form method=\"post\" action=\"");
    sv_buf_puts(b, action);
    if (number) {
        sv_url(b, number);
        sv_buf_puts(b, "/edit");
    }
    sv_buf_puts(b, "\">");
    csrf_field(r);
    for (size_t i = 0; i < fd->n_fields; i++) {
        const capa_field *f = &fd->fields[i];
        sv_buf_puts(b, "<label>");
        label(r, f->label_zh, f->label_en);
        req_mark(r, f);
        sv_buf_puts(b, "</label>");
        if (f->type == CAPA_FT_GROUP)
            group_table(r, f, fv);
        else {
            control(r, f, f->id, fv_get(fv, f->id));
            field_errors(r, fv, f->id);
        }
    }
    if (seen)
        sv_buf_printf(b, "<input type=\"hidden\" name=\"seen\" value=\"%s\">", seen);
    if (with_reason) {
        sv_buf_puts(b, "<label>");
        label(r, "修改理由（可选）", "Reason for the change (optional)");
        sv_buf_puts(b, "</label><input name=\"reason\" value=\"");
        sv_buf_puts(b, "\">");
    }
    sv_buf_puts(b, "<p><button type=\"submit\">");
    label(r, "保存", "Save");
    sv_buf_puts(b, "</button></p></form>");
}

/* The "f."-prefixed parameters as assignments (pointing into p). */
static capa_kv *posted_fields(const sv_params *p, size_t *n)
{
    capa_kv *kv = calloc(p->n + 1, sizeof *kv);
    *n = 0;
    for (size_t i = 0; kv && i < p->n; i++) {
        if (strncmp(p->v[i].name, "f.", 2) == 0 && p->v[i].name[2]) {
            kv[*n].name = p->v[i].name + 2;
            kv[*n].value = p->v[i].value;
            (*n)++;
        }
    }
    return kv;
}

static char *case_page_path(const char *number)
{
    sv_buf b = {0};
    sv_buf_puts(&b, "/cases/");
    sv_url(&b, number);
    return sv_buf_take(&b, NULL);
}

static void page_new(sv_req *r, int post)
{
    const capa_workflow *wf = NULL;
    const capa_formdef *fd = NULL;
    int rc = capa_store_workflow(&wf, r->srv->s);
    if (rc || wf->n_stages == 0 ||
        (rc = capa_store_form(&fd, r->srv->s, wf->stages[0].form_id, 0))) {
        error_capa(r, rc ? rc : CAPA_ERROR);
        return;
    }
    sv_params p = {0};
    formvals fv = {0};
    capa_kv *kv = NULL;
    if (post) {
        if (post_params(r, &p, 1))
            return;
        size_t n = 0;
        kv = posted_fields(&p, &n);
        /* Empty controls are fields not filled in: a new case has nothing to clear. */
        size_t m = 0;
        for (size_t i = 0; kv && i < n; i++) {
            if (kv[i].value[0])
                kv[m++] = kv[i];
        }
        if (!kv) {
            error_page(r, 500, "out of memory");
            goto done;
        }
        /* The session's sign-in binding proves the user to the engine: no password kept. */
        capa_request q = {.op = CAPA_OP_OPEN,
                          .who = {r->sess.user, NULL},
                          .binding = r->sess.binding,
                          .values = kv,
                          .n_values = m};
        sv_submit(r->srv, &q);
        rc = q.result;
        if (rc)
            capa_error_set(rc, "%s", q.error ? q.error : capa_strerror(rc));
        char *number = q.number_out;
        q.number_out = NULL;
        capa_request_clear(&q);
        if (rc == CAPA_OK) {
            char *path = case_page_path(number);
            redirect(r, path ? path : "/cases", NULL);
            free(path);
            capa__free(number);
            goto done;
        }
        fv.kv = kv;
        fv.n = m;
        fv.n_errs = sv_field_errors(&fv.errs, capa_error_last());
        r->status = sv_status_of(rc);
        if (fv.n_errs == 0) {
            error_capa(r, rc);
            goto done;
        }
    }
    page_begin(r, "新投诉", "New complaint");
    render_form(r, fd, &fv, "/cases/new", NULL, 0, NULL);
    page_end(r);
done:
    sv_field_errors_free(fv.errs, fv.n_errs);
    free(kv);
    sv_params_clear(&p);
}

/* ---- what this user may do now (from the workflow's roles; the engine decides) ---- */

typedef struct may {
    int edit, sign, reject;
} may;

static may may_now(sv_req *r, const capa_workflow *wf, const capa_case *cs)
{
    may m = {0};
    char role[64];
    const capa_stage *st = wf ? capa_workflow_stage(wf, cs->stage) : NULL;
    if (!st || cs->closed)
        return m;
    user_role(r, role, sizeof role);
    m.edit = capa_role_in(st->editors, st->n_editors, role);
    m.sign = st->sign_meaning && capa_role_in(st->signers, st->n_signers, role);
    if (st->reject_to)
        m.reject = st->n_rejecters ? capa_role_in(st->rejecters, st->n_rejecters, role)
                                   : capa_role_in(st->signers, st->n_signers, role);
    return m;
}

/* ---- the case page ---- */

static const capa_stage_record *current_record(const capa_case *cs)
{
    for (size_t i = 0; i < cs->n_stages; i++) {
        if (strcmp(cs->stages[i].stage, cs->stage) == 0)
            return &cs->stages[i];
    }
    return NULL;
}

static const capa_formdef *record_form(sv_req *r, const capa_workflow *wf,
                                       const capa_stage_record *rec)
{
    const capa_formdef *fd = NULL;
    if (rec && rec->form_id && *rec->form_id && rec->form_version > 0 &&
        capa_store_form(&fd, r->srv->s, rec->form_id, rec->form_version) == CAPA_OK)
        return fd;
    const capa_stage *st = wf && rec ? capa_workflow_stage(wf, rec->stage) : NULL;
    if (st && capa_store_form(&fd, r->srv->s, st->form_id, 0) == CAPA_OK)
        return fd;
    return NULL;
}

static void show_value(sv_req *r, const capa_field *f, const char *v)
{
    const capa_choice *ch = f ? capa_field_choice(f, v) : NULL;
    sv_buf_puts(&r->out, "<td class=\"val\">");
    if (ch) {
        label(r, ch->label_zh, ch->label_en);
        sv_buf_puts(&r->out, " (");
        sv_html(&r->out, v, 0);
        sv_buf_puts(&r->out, ")");
    } else if (f && f->type == CAPA_FT_BOOLEAN) {
        int yes = strcmp(v, "true") == 0;
        label(r, yes ? "是" : "否", yes ? "yes" : "no");
    } else {
        sv_html(&r->out, v, f && f->type == CAPA_FT_MULTILINE);
    }
    sv_buf_puts(&r->out, "</td>");
}

static void show_stage_values(sv_req *r, const capa_formdef *fd, const capa_stage_record *rec)
{
    sv_buf_puts(&r->out, "<table>");
    for (size_t i = 0; i < rec->n_values; i++) {
        const char *name = rec->values[i].name, *v = rec->values[i].value;
        const capa_field *grp = NULL;
        unsigned row = 0;
        const capa_field *f = fd ? capa_formdef_lookup(fd, name, &grp, &row) : NULL;
        if (!v[0])
            continue;
        sv_buf_puts(&r->out, "<tr><th>");
        if (grp) {
            label(r, grp->label_zh, grp->label_en);
            sv_buf_printf(&r->out, " %u · ", row);
        }
        if (f)
            label(r, f->label_zh, f->label_en);
        else
            sv_html(&r->out, name, 0); /* what the form does not describe is shown too */
        sv_buf_puts(&r->out, "</th>");
        show_value(r, f, v);
        sv_buf_puts(&r->out, "</tr>");
    }
    sv_buf_puts(&r->out, "</table>");
}

static void show_signature(sv_req *r, const capa_workflow *wf, const capa_signature *sg)
{
    const capa_stage *st = wf ? capa_workflow_stage(wf, sg->stage) : NULL;
    int rej = sg->kind && strcmp(sg->kind, "reject") == 0;
    char t[40];
    capa_time_format(t, sizeof t, sg->time);
    sv_buf_printf(&r->out, "<div class=\"sig%s%s\"><strong>", rej ? " reject" : "",
                  sg->superseded ? " superseded" : "");
    if (rej)
        label(r, "驳回", "Rejected");
    else if (st && st->sign_meaning && sg->meaning && !strcmp(st->sign_meaning, sg->meaning))
        label(r, st->sign_meaning_zh, st->sign_meaning_en);
    else
        sv_html(&r->out, sg->meaning, 0);
    sv_buf_puts(&r->out, "</strong> ");
    sv_html(&r->out, sg->name ? sg->name : sg->user, 0);
    sv_buf_puts(&r->out, " (");
    sv_html(&r->out, sg->user, 0);
    sv_buf_puts(&r->out, ", ");
    sv_html(&r->out, sg->role, 0);
    sv_buf_printf(&r->out, ") %s<br>", t);
    if (sg->reason && *sg->reason) {
        label(r, "理由", "Reason");
        sv_buf_puts(&r->out, ": <span class=\"val\">");
        sv_html(&r->out, sg->reason, 0);
        sv_buf_puts(&r->out, "</span><br>");
    }
    label(r, "数据哈希", "Data SHA-256");
    sv_buf_puts(&r->out, ": <code>");
    sv_html(&r->out, sg->data_hash, 0);
    sv_buf_puts(&r->out, "</code>");
    if (sg->superseded) {
        sv_buf_puts(&r->out, "<br>");
        label(r, "已作废(退回后重签)", "superseded (stage was sent back)");
    }
    sv_buf_puts(&r->out, "</div>");
}

/* ---- time limits (capa_case_limits: the engine's evaluation) ---- */

/* The moment limits are judged at: now, or ?at= (plant time, as `capa show --at`); -1 after
 * answering 400 for a malformed one. */
static int limits_at(sv_req *r, int64_t *out)
{
    const char *at = sv_params_get(&r->query, "at");
    capa_plant *p = NULL;
    *out = capa_store_now(r->srv->s);
    if (!at || !*at)
        return 0;
    int rc = capa_plant_get(&p, r->srv->s);
    if (!rc)
        rc = capa_plant_time_parse(out, p, at);
    capa_plant_free(p);
    if (rc) {
        error_page(r, 400, capa_error_last()[0] ? capa_error_last() : "at: expected a time");
        return -1;
    }
    return 0;
}

static void limit_kind(sv_req *r, const capa_workflow *wf, const char *kind)
{
    static const char *const k[][3] = {{"response", "首次响应", "First response"},
                                       {"containment", "围堵措施", "Containment"},
                                       {"plan", "行动计划批准", "Action plan approved"},
                                       {"closure", "结案", "Closure"}};
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        if (strcmp(kind, k[i][0]) == 0) {
            label(r, k[i][1], k[i][2]);
            return;
        }
    }
    const capa_stage *st = wf ? capa_workflow_stage(wf, kind) : NULL;
    if (st)
        label(r, st->label_zh, st->label_en);
    else
        sv_html(&r->out, kind, 0);
}

static void limit_state(sv_req *r, const char *state)
{
    static const char *const k[][3] = {{"on_time", "进行中", "on time"},
                                       {"due_soon", "即将到期", "due soon"},
                                       {"overdue", "已逾期", "overdue"},
                                       {"met", "按时完成", "met"},
                                       {"met_late", "逾期完成", "met late"}};
    sv_buf_printf(&r->out, "<span class=\"state %s\">", state);
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        if (strcmp(state, k[i][0]) == 0) {
            label(r, k[i][1], k[i][2]);
            break;
        }
    }
    sv_buf_puts(&r->out, "</span>");
}

/* "2d 3h" / "5h 07m" of a span of ms. */
static void span_text(char *buf, size_t sz, int64_t ms)
{
    int64_t m = (ms < 0 ? -ms : ms) / 60000;
    if (m >= 1440)
        snprintf(buf, sz, "%lldd %lldh", (long long)(m / 1440), (long long)(m % 1440 / 60));
    else
        snprintf(buf, sz, "%lldh %02lldm", (long long)(m / 60), (long long)(m % 60));
}

static void limit_when(sv_req *r, const capa_plant *p, const capa_limit_status *l, int64_t now)
{
    char t[40], d[40];
    capa_plant_time_format(t, sizeof t, p, l->due);
    sv_buf_printf(&r->out, "<time datetime=\"%s\">%s</time> ", t, t);
    if (l->met)
        return;
    span_text(d, sizeof d, now - l->due);
    if (now >= l->due) {
        label(r, "逾期", "overdue by");
        sv_buf_printf(&r->out, " %s", d);
    } else {
        label(r, "剩余", "due in");
        sv_buf_printf(&r->out, " %s", d);
    }
}

/* The case page's table of limits. */
static void show_limits(sv_req *r, const capa_workflow *wf, const capa_case *cs, int64_t now)
{
    capa_limit_status *l = NULL;
    capa_plant *p = NULL;
    size_t n = 0;
    if (capa_case_limits(&l, &n, r->srv->s, cs, now) || capa_plant_get(&p, r->srv->s) || !n)
        goto done;
    sv_buf_puts(&r->out, "<h3>");
    label(r, "时限", "Time limits");
    sv_buf_puts(&r->out, "</h3><div class=\"scroll\"><table class=\"limits\"><tr><th>");
    label(r, "时限", "Limit");
    sv_buf_puts(&r->out, "</th><th>");
    label(r, "到期", "Due");
    sv_buf_puts(&r->out, "</th><th>");
    label(r, "状态", "State");
    sv_buf_puts(&r->out, "</th></tr>");
    for (size_t i = 0; i < n; i++) {
        sv_buf_puts(&r->out, "<tr><td>");
        limit_kind(r, wf, l[i].kind);
        sv_buf_puts(&r->out, "</td><td>");
        limit_when(r, p, &l[i], now);
        sv_buf_puts(&r->out, "</td><td>");
        limit_state(r, l[i].state);
        if (l[i].met) {
            char t[40];
            capa_plant_time_format(t, sizeof t, p, l[i].met);
            sv_buf_printf(&r->out, " <time datetime=\"%s\">%s</time>", t, t);
        }
        sv_buf_puts(&r->out, "</td></tr>");
    }
    sv_buf_puts(&r->out, "</table></div>");
done:
    capa__free(l);
    capa_plant_free(p);
}

/* ---- the dashboard: what waits for me, open cases per stage, due soon / overdue ---- */

/* Most open cases whose limits the dashboard evaluates (each is a case read and a walk of its
 * trail); a plant has far fewer open at once. Beyond it the page says so. */
#define DASH_MAX_LIMITS 2000
#define DASH_RECENT 10

typedef struct dash_case {
    char *number, *stage, *customer, *part_no, *severity, *subject;
    int closed;
    int64_t opened, last; /* last: opened, entered its stage, or closed, whichever is latest */
    int mine;             /* 1 edit, 2 sign or reject: this user's role acts on the stage now */
    const char *worst;    /* the worst state of its limits: overdue, due_soon, or NULL */
} dash_case;

typedef struct dash_due {
    size_t c; /* index into the cases */
    capa_limit_status l;
} dash_due;

typedef struct dash {
    sv_req *r;
    const capa_workflow *wf;
    char role[64];
    dash_case *cases;
    size_t n, cap;
    size_t *per_stage; /* open cases per workflow stage */
    int oom;
} dash;

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

static int dash_cb(const capa_case_header *h, void *payload)
{
    dash *d = payload;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        dash_case *v = realloc(d->cases, cap * sizeof *v);
        if (!v) {
            d->oom = 1;
            return 1;
        }
        d->cases = v;
        d->cap = cap;
    }
    dash_case *c = &d->cases[d->n];
    memset(c, 0, sizeof *c);
    c->number = dup_or_empty(h->number);
    c->stage = dup_or_empty(h->stage);
    c->customer = dup_or_empty(h->customer);
    c->part_no = dup_or_empty(h->part_no);
    c->severity = dup_or_empty(h->severity);
    c->subject = dup_or_empty(h->subject_person);
    c->closed = h->closed;
    c->opened = h->opened;
    c->last = h->opened;
    if (h->stage_entered > c->last)
        c->last = h->stage_entered;
    if (h->closed_at > c->last)
        c->last = h->closed_at;
    if (!c->number || !c->stage || !c->customer || !c->part_no || !c->severity || !c->subject) {
        d->oom = 1;
        return 1;
    }
    d->n++;
    if (!h->closed && d->wf) {
        int idx = capa_workflow_stage_index(d->wf, h->stage);
        const capa_stage *st = capa_workflow_stage(d->wf, h->stage);
        if (idx >= 0)
            d->per_stage[idx]++;
        /* The person a complaint is about is recused from it (the engine refuses anyway). */
        if (st && strcmp(c->subject, d->r->sess.user) != 0) {
            if (st->sign_meaning && capa_role_in(st->signers, st->n_signers, d->role))
                c->mine = 2;
            else if (st->reject_to &&
                     (st->n_rejecters ? capa_role_in(st->rejecters, st->n_rejecters, d->role)
                                      : 0))
                c->mine = 2;
            else if (capa_role_in(st->editors, st->n_editors, d->role))
                c->mine = 1;
        }
    }
    return 0;
}

static void dash_free(dash *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->cases[i].number);
        free(d->cases[i].stage);
        free(d->cases[i].customer);
        free(d->cases[i].part_no);
        free(d->cases[i].severity);
        free(d->cases[i].subject);
    }
    free(d->cases);
    free(d->per_stage);
}

static int due_cmp(const void *a, const void *b)
{
    const dash_due *x = a, *y = b;
    return x->l.due < y->l.due ? -1 : x->l.due > y->l.due;
}

static int recent_cmp(const void *a, const void *b)
{
    const dash_case *const *x = a, *const *y = b;
    return (*x)->last > (*y)->last ? -1 : (*x)->last < (*y)->last;
}

static void case_link(sv_req *r, const char *number)
{
    sv_buf_puts(&r->out, "<a href=\"/cases/");
    sv_url(&r->out, number);
    sv_buf_puts(&r->out, "\">");
    sv_html(&r->out, number, 0);
    sv_buf_puts(&r->out, "</a>");
}

static void stage_name(sv_req *r, const capa_workflow *wf, const dash_case *c)
{
    const capa_stage *st = wf ? capa_workflow_stage(wf, c->stage) : NULL;
    if (c->closed)
        label(r, "已结案", "closed");
    else if (st)
        label(r, st->label_zh, st->label_en);
    else
        sv_html(&r->out, c->stage, 0);
}

static void page_dashboard(sv_req *r)
{
    dash d = {.r = r};
    capa_plant *p = NULL;
    dash_due *due = NULL;
    size_t n_due = 0, cap_due = 0, evaluated = 0, n_mine = 0;
    int64_t now;
    if (limits_at(r, &now))
        return;
    int rc = capa_store_workflow(&d.wf, r->srv->s);
    if (!rc)
        rc = capa_plant_get(&p, r->srv->s);
    if (rc) {
        error_capa(r, rc);
        goto done;
    }
    user_role(r, d.role, sizeof d.role);
    if (!(d.per_stage = calloc(d.wf->n_stages + 1, sizeof *d.per_stage))) {
        error_page(r, 500, "out of memory");
        goto done;
    }
    capa_filter f = {.closed = -1};
    rc = capa_case_list(r->srv->s, &f, dash_cb, &d);
    if (rc && rc != 1) {
        error_capa(r, rc);
        goto done;
    }
    if (d.oom) {
        error_page(r, 500, "out of memory");
        goto done;
    }
    /* The engine's limits of every open case (up to DASH_MAX_LIMITS). */
    for (size_t i = 0; i < d.n; i++) {
        dash_case *c = &d.cases[i];
        capa_case *cs = NULL;
        capa_limit_status *l = NULL;
        size_t nl = 0;
        if (c->closed)
            continue;
        if (evaluated == DASH_MAX_LIMITS)
            break;
        evaluated++;
        if (capa_case_get(&cs, r->srv->s, c->number) == CAPA_OK &&
            capa_case_limits(&l, &nl, r->srv->s, cs, now) == CAPA_OK) {
            for (size_t k = 0; k < nl; k++) {
                int over = strcmp(l[k].state, "overdue") == 0;
                if (!over && strcmp(l[k].state, "due_soon") != 0)
                    continue;
                if (over || !c->worst)
                    c->worst = over ? "overdue" : "due_soon";
                if (n_due == cap_due) {
                    size_t cap = cap_due ? cap_due * 2 : 32;
                    dash_due *v = realloc(due, cap * sizeof *v);
                    if (!v)
                        break;
                    due = v;
                    cap_due = cap;
                }
                due[n_due].c = i;
                due[n_due++].l = l[k];
            }
        }
        capa__free(l);
        capa_case_free(cs);
    }
    if (n_due > 1)
        qsort(due, n_due, sizeof *due, due_cmp);

    page_begin(r, "工作台", "Dashboard");
    /* What waits for me. */
    for (size_t i = 0; i < d.n; i++)
        n_mine += d.cases[i].mine != 0;
    sv_buf_printf(&r->out, "<section class=\"panel\" id=\"mine\"><h2>");
    label(r, "等待我处理", "Waiting for me");
    sv_buf_printf(&r->out, " <span class=\"count\">%zu</span></h2>", n_mine);
    if (!n_mine) {
        sv_buf_puts(&r->out, "<p>");
        label(r, "没有等待您的案件", "Nothing waits for you");
        sv_buf_puts(&r->out, "</p>");
    } else {
        sv_buf_puts(&r->out, "<div class=\"scroll\"><table><tr><th>");
        label(r, "案号", "Case");
        sv_buf_puts(&r->out, "</th><th>");
        label(r, "阶段", "Stage");
        sv_buf_puts(&r->out, "</th><th>");
        label(r, "客户", "Customer");
        sv_buf_puts(&r->out, "</th><th>");
        label(r, "时限", "Limits");
        sv_buf_puts(&r->out, "</th><th></th></tr>");
        for (size_t i = 0; i < d.n; i++) {
            const dash_case *c = &d.cases[i];
            if (!c->mine)
                continue;
            sv_buf_puts(&r->out, "<tr><td>");
            case_link(r, c->number);
            sv_buf_puts(&r->out, "</td><td>");
            stage_name(r, d.wf, c);
            sv_buf_puts(&r->out, "</td><td>");
            sv_html(&r->out, c->customer, 0);
            sv_buf_puts(&r->out, "</td><td>");
            if (c->worst)
                limit_state(r, c->worst);
            sv_buf_puts(&r->out, "</td><td><a class=\"button\" href=\"/cases/");
            sv_url(&r->out, c->number);
            sv_buf_puts(&r->out, c->mine == 2 ? "/sign\">" : "/edit\">");
            if (c->mine == 2)
                label(r, "签核", "Sign off");
            else
                label(r, "填写", "Fill in");
            sv_buf_puts(&r->out, "</a></td></tr>");
        }
        sv_buf_puts(&r->out, "</table></div>");
    }
    sv_buf_puts(&r->out, "</section>");

    /* Open cases per stage. */
    sv_buf_puts(&r->out, "<section class=\"panel\" id=\"stages\"><h2>");
    label(r, "各阶段未结案件", "Open cases by stage");
    sv_buf_puts(&r->out, "</h2><div class=\"tiles\">");
    for (size_t i = 0; i < d.wf->n_stages; i++) {
        const capa_stage *st = &d.wf->stages[i];
        sv_buf_puts(&r->out, "<a class=\"tile\" href=\"/cases?status=open&amp;stage=");
        sv_url(&r->out, st->id);
        sv_buf_printf(&r->out, "\" data-stage=\"%s\"><span class=\"n\">%zu</span><span>", st->id,
                      d.per_stage[i]);
        label(r, st->label_zh, st->label_en);
        sv_buf_puts(&r->out, "</span></a>");
    }
    sv_buf_puts(&r->out, "</div></section>");

    /* Due soon and overdue, soonest due first. */
    sv_buf_puts(&r->out, "<section class=\"panel\" id=\"due\"><h2>");
    label(r, "即将到期 / 已逾期", "Due soon / overdue");
    sv_buf_printf(&r->out, " <span class=\"count\">%zu</span></h2>", n_due);
    if (evaluated == DASH_MAX_LIMITS) {
        sv_buf_printf(&r->out, "<p class=\"err\">");
        label(r, "仅计算了前 2000 个未结案件的时限", "limits of the first 2000 open cases only");
        sv_buf_puts(&r->out, "</p>");
    }
    if (!n_due) {
        sv_buf_puts(&r->out, "<p>");
        label(r, "没有即将到期或逾期的时限", "No limit is due soon or overdue");
        sv_buf_puts(&r->out, "</p>");
    } else {
        sv_buf_puts(&r->out, "<div class=\"scroll\"><table><tr><th>");
        label(r, "案号", "Case");
        sv_buf_puts(&r->out, "</th><th>");
        label(r, "阶段", "Stage");
        sv_buf_puts(&r->out, "</th><th>");
        label(r, "时限", "Limit");
        sv_buf_puts(&r->out, "</th><th>");
        label(r, "到期", "Due");
        sv_buf_puts(&r->out, "</th><th>");
        label(r, "状态", "State");
        sv_buf_puts(&r->out, "</th></tr>");
        for (size_t i = 0; i < n_due; i++) {
            const dash_case *c = &d.cases[due[i].c];
            sv_buf_puts(&r->out, "<tr><td>");
            case_link(r, c->number);
            sv_buf_puts(&r->out, "</td><td>");
            stage_name(r, d.wf, c);
            sv_buf_puts(&r->out, "</td><td>");
            limit_kind(r, d.wf, due[i].l.kind);
            sv_buf_puts(&r->out, "</td><td>");
            limit_when(r, p, &due[i].l, now);
            sv_buf_puts(&r->out, "</td><td>");
            limit_state(r, due[i].l.state);
            sv_buf_puts(&r->out, "</td></tr>");
        }
        sv_buf_puts(&r->out, "</table></div>");
    }
    sv_buf_puts(&r->out, "</section>");

    /* Recent activity: the cases that moved last. */
    sv_buf_puts(&r->out, "<section class=\"panel\" id=\"recent\"><h2>");
    label(r, "最近动态", "Recent activity");
    sv_buf_puts(&r->out, "</h2>");
    dash_case **order = d.n ? malloc(d.n * sizeof *order) : NULL;
    if (order) {
        for (size_t i = 0; i < d.n; i++)
            order[i] = &d.cases[i];
        qsort(order, d.n, sizeof *order, recent_cmp);
        sv_buf_puts(&r->out, "<div class=\"scroll\"><table><tr><th>");
        label(r, "时间", "When");
        sv_buf_puts(&r->out, "</th><th>");
        label(r, "案号", "Case");
        sv_buf_puts(&r->out, "</th><th>");
        label(r, "阶段", "Stage");
        sv_buf_puts(&r->out, "</th><th>");
        label(r, "客户", "Customer");
        sv_buf_puts(&r->out, "</th></tr>");
        for (size_t i = 0; i < d.n && i < DASH_RECENT; i++) {
            char t[40];
            capa_plant_time_format(t, sizeof t, p, order[i]->last);
            sv_buf_printf(&r->out, "<tr><td><time datetime=\"%s\">%s</time></td><td>", t, t);
            case_link(r, order[i]->number);
            sv_buf_puts(&r->out, "</td><td>");
            stage_name(r, d.wf, order[i]);
            sv_buf_puts(&r->out, "</td><td>");
            sv_html(&r->out, order[i]->customer, 0);
            sv_buf_puts(&r->out, "</td></tr>");
        }
        sv_buf_puts(&r->out, "</table></div>");
        free(order);
    } else {
        sv_buf_puts(&r->out, "<p>");
        label(r, "尚无案件", "No cases yet");
        sv_buf_puts(&r->out, "</p>");
    }
    sv_buf_puts(&r->out, "</section>");
    page_end(r);
done:
    free(due);
    capa_plant_free(p);
    dash_free(&d);
}

static int audit_row(const capa_event *e, void *payload)
{
    sv_req *r = payload;
    char t[40];
    capa_time_format(t, sizeof t, e->time);
    sv_buf_printf(&r->out, "<tr><td>%llu</td><td>%s</td><td>", (unsigned long long)e->seq, t);
    sv_html(&r->out, e->actor, 0);
    sv_buf_puts(&r->out, "</td><td>");
    sv_html(&r->out, e->action, 0);
    sv_buf_puts(&r->out, "</td><td>");
    sv_html(&r->out, e->stage, 0);
    sv_buf_puts(&r->out, "</td><td>");
    for (size_t i = 0; i < e->n_changes; i++) {
        const capa_change *c = &e->changes[i];
        sv_html(&r->out, c->field, 0);
        sv_buf_puts(&r->out, ": ");
        sv_html(&r->out, c->old_value ? c->old_value : "∅", 0);
        sv_buf_puts(&r->out, " → ");
        sv_html(&r->out, c->new_value ? c->new_value : "∅", 0);
        sv_buf_puts(&r->out, "<br>");
    }
    if (e->reason && *e->reason) {
        label(r, "理由", "Reason");
        sv_buf_puts(&r->out, ": ");
        sv_html(&r->out, e->reason, 0);
    }
    sv_buf_puts(&r->out, "</td></tr>\n");
    return 0;
}

static void page_case(sv_req *r, const char *number)
{
    capa_case *cs = NULL;
    const capa_workflow *wf = NULL;
    int64_t at;
    if (limits_at(r, &at))
        return;
    int rc = capa_case_get(&cs, r->srv->s, number);
    if (rc) {
        error_capa(r, rc);
        return;
    }
    capa_store_workflow_get(&wf, r->srv->s, cs->workflow);
    may m = may_now(r, wf, cs);
    const capa_stage *cur = wf ? capa_workflow_stage(wf, cs->stage) : NULL;
    page_begin(r, "案件", "Case");
    sv_buf_puts(&r->out, "<h2>");
    sv_html(&r->out, cs->number, 0);
    sv_buf_puts(&r->out, " ");
    sv_html(&r->out, capa_case_value(cs, "intake", "customer"), 0);
    sv_buf_puts(&r->out, "</h2><p>");
    if (cs->closed) {
        label(r, "已结案", "Closed");
    } else if (cur) {
        label(r, "当前阶段", "Current stage");
        sv_buf_puts(&r->out, ": ");
        label(r, cur->label_zh, cur->label_en);
    }
    sv_buf_puts(&r->out, "</p><p>");
    char *path = case_page_path(cs->number);
    if (m.edit) {
        sv_buf_printf(&r->out, "<a class=\"button\" href=\"%s/edit\">", path ? path : "");
        label(r, "填写本阶段", "Fill in this stage");
        sv_buf_puts(&r->out, "</a> ");
    }
    if (m.sign || m.reject) {
        sv_buf_printf(&r->out, "<a class=\"button\" href=\"%s/sign\">", path ? path : "");
        label(r, m.sign ? "签核" : "驳回", m.sign ? "Sign off" : "Reject");
        sv_buf_puts(&r->out, "</a> ");
    }
    sv_buf_printf(&r->out, "<a class=\"button\" href=\"%s/dossier.pdf\">", path ? path : "");
    label(r, "下载签名档案 (PDF)", "Signed dossier (PDF)");
    sv_buf_puts(&r->out, "</a></p>");
    free(path);
    for (size_t i = 0; i < cs->n_stages; i++) {
        const capa_stage_record *rec = &cs->stages[i];
        const capa_stage *st = wf ? capa_workflow_stage(wf, rec->stage) : NULL;
        int is_cur = !cs->closed && strcmp(rec->stage, cs->stage) == 0;
        sv_buf_printf(&r->out, "<section class=\"stage%s\"><h3>%zu. ", is_cur ? " current" : "",
                      i + 1);
        if (st)
            label(r, st->label_zh, st->label_en);
        else
            sv_html(&r->out, rec->stage, 0);
        sv_buf_puts(&r->out, "</h3>");
        if (rec->entered == 0 && rec->n_values == 0) {
            label(r, "尚未进入", "not reached");
            sv_buf_puts(&r->out, "</section>");
            continue;
        }
        show_stage_values(r, record_form(r, wf, rec), rec);
        for (size_t k = 0; k < cs->n_signatures; k++) {
            if (strcmp(cs->signatures[k].stage, rec->stage) == 0)
                show_signature(r, wf, &cs->signatures[k]);
        }
        sv_buf_puts(&r->out, "</section>");
    }
    show_limits(r, wf, cs, at);
    sv_buf_puts(&r->out, "<h3>");
    label(r, "审计记录", "Audit trail");
    sv_buf_puts(&r->out, "</h3><table><tr><th>#</th><th>UTC</th><th>");
    label(r, "操作人", "Actor");
    sv_buf_puts(&r->out, "</th><th>");
    label(r, "操作", "Action");
    sv_buf_puts(&r->out, "</th><th>");
    label(r, "阶段", "Stage");
    sv_buf_puts(&r->out, "</th><th>");
    label(r, "变更", "Changes");
    sv_buf_puts(&r->out, "</th></tr>");
    capa_audit_foreach(r->srv->s, cs->number, audit_row, r);
    sv_buf_puts(&r->out, "</table>");
    page_end(r);
    capa_case_free(cs);
}

static void page_edit(sv_req *r, const char *number, int post)
{
    int changed = 0;
    char changed_msg[600] = "";
    capa_case *cs = NULL;
    const capa_workflow *wf = NULL;
    sv_params p = {0};
    formvals fv = {0};
    capa_kv *kv = NULL, *send = NULL;
    int rc = capa_case_get(&cs, r->srv->s, number);
    if (rc) {
        error_capa(r, rc);
        return;
    }
    capa_store_workflow_get(&wf, r->srv->s, cs->workflow);
    const capa_stage_record *rec = current_record(cs);
    const capa_formdef *fd = record_form(r, wf, rec);
    if (cs->closed || !rec || !fd) {
        error_page(r, 409, "this case is closed: an archived case is read-only");
        goto done;
    }
    fv.kv = rec->values;
    fv.n = rec->n_values;
    if (post) {
        if (post_params(r, &p, 1))
            goto done;
        size_t n = 0, m = 0;
        kv = posted_fields(&p, &n);
        send = calloc(n + rec->n_values + 1, sizeof *send);
        if (!kv || !send) {
            error_page(r, 500, "out of memory");
            goto done;
        }
        /* Only what changed goes to the engine: an unchanged control is not an edit. */
        for (size_t i = 0; i < n; i++) {
            const char *old = capa_case_value(cs, rec->stage, kv[i].name);
            if (strcmp(old ? old : "", kv[i].value) != 0)
                send[m++] = kv[i];
        }
        if (m == 0) {
            char *path = case_page_path(number);
            redirect(r, path ? path : "/cases", NULL);
            free(path);
            goto done;
        }
        const char *reason = sv_params_get(&p, "reason"), *seen = sv_params_get(&p, "seen");
        /* The data hash the form was rendered with: when someone changed the stage
         * meanwhile, the engine refuses this edit (409) instead of silently overwriting. */
        capa_request q = {.op = CAPA_OP_SET,
                          .who = {r->sess.user, NULL},
                          .binding = r->sess.binding,
                          .number = number,
                          .values = send,
                          .n_values = m,
                          .reason = reason && *reason ? reason : NULL,
                          .data_hash = seen && strlen(seen) == 64 ? seen : NULL};
        sv_submit(r->srv, &q);
        rc = q.result;
        if (rc)
            capa_error_set(rc, "%s", q.error ? q.error : capa_strerror(rc));
        capa_request_clear(&q);
        if (rc == CAPA_OK) {
            char *path = case_page_path(number);
            redirect(r, path ? path : "/cases", NULL);
            free(path);
            goto done;
        }
        /* Show what was entered, not what is stored. */
        fv.kv = kv;
        fv.n = n;
        fv.n_errs = sv_field_errors(&fv.errs, capa_error_last());
        r->status = sv_status_of(rc);
        changed = rc == CAPA_ESTATE && strstr(capa_error_last(), "changed since");
        if (changed)
            snprintf(changed_msg, sizeof changed_msg, "%s", capa_error_last());
        if (fv.n_errs == 0 && !changed) {
            error_capa(r, rc);
            goto done;
        }
    }
    page_begin(r, "填写本阶段", "Fill in this stage");
    sv_buf_puts(&r->out, "<h2>");
    sv_html(&r->out, number, 0);
    sv_buf_puts(&r->out, " · ");
    label(r, fd->label_zh, fd->label_en);
    sv_buf_puts(&r->out, "</h2>");
    char seen[65] = "";
    capa_case_data_hash(seen, cs, cs->stage);
    if (changed) {
        /* Refused because the stage changed: keep what was typed, show the message, and
         * offer saving again over what is stored now (seen is its hash). */
        sv_buf_puts(&r->out, "<p class=\"err\" role=\"alert\">");
        sv_html(&r->out, changed_msg, 0);
        sv_buf_puts(&r->out, " / 此阶段已被他人修改：您填写的内容仍在下方，请核对案件页后再保存</p>");
    }
    render_form(r, fd, &fv, "/cases/", number, 1, seen);
    page_end(r);
done:
    sv_field_errors_free(fv.errs, fv.n_errs);
    free(kv);
    free(send);
    sv_params_clear(&p);
    capa_case_free(cs);
}

static void page_sign(sv_req *r, const char *number, const char *msg)
{
    capa_case *cs = NULL;
    const capa_workflow *wf = NULL;
    int rc = capa_case_get(&cs, r->srv->s, number);
    if (rc) {
        error_capa(r, rc);
        return;
    }
    capa_store_workflow_get(&wf, r->srv->s, cs->workflow);
    const capa_stage *st = wf ? capa_workflow_stage(wf, cs->stage) : NULL;
    const capa_stage_record *rec = current_record(cs);
    may m = may_now(r, wf, cs);
    if (!st || !rec || cs->closed) {
        error_page(r, 409, "this case is closed: an archived case is read-only");
        capa_case_free(cs);
        return;
    }
    char *path = case_page_path(number);
    page_begin(r, "电子签名", "Electronic signature");
    if (msg) {
        sv_buf_puts(&r->out, "<p class=\"err\" role=\"alert\">");
        sv_html(&r->out, msg, 0);
        sv_buf_puts(&r->out, "</p>");
    }
    sv_buf_puts(&r->out, "<table><tr><th>");
    label(r, "案号", "Case");
    sv_buf_puts(&r->out, "</th><td>");
    sv_html(&r->out, number, 0);
    sv_buf_puts(&r->out, "</td></tr><tr><th>");
    label(r, "阶段", "Stage");
    sv_buf_puts(&r->out, "</th><td>");
    label(r, st->label_zh, st->label_en);
    sv_buf_puts(&r->out, "</td></tr><tr><th>");
    label(r, "签名人", "Signer");
    sv_buf_puts(&r->out, "</th><td>");
    sv_html(&r->out, r->sess.user, 0);
    sv_buf_puts(&r->out, "</td></tr><tr><th>");
    label(r, "所签数据哈希", "Data hash signed");
    char hex[65];
    if ((rc = capa_case_data_hash(hex, cs, cs->stage))) {
        error_capa(r, rc);
        free(path);
        capa_case_free(cs);
        return;
    }
    sv_buf_printf(&r->out, "</th><td><code class=\"hash\" id=\"data-hash\">%s</code><br>", hex);
    label(r, "SHA-256，随签名记录；数据若在此后变更，签名将被拒绝",
          "SHA-256, recorded with the signature; if the data changes after this, the signature "
          "is refused");
    sv_buf_puts(&r->out, "</td></tr></table>");
    show_stage_values(r, record_form(r, wf, rec), rec);
    if (m.sign) {
        sv_buf_printf(&r->out, "<h3>");
        label(r, "签核含义", "Meaning");
        sv_buf_puts(&r->out, ": ");
        sv_html(&r->out, st->sign_meaning_zh, 0);
        sv_buf_puts(&r->out, " / ");
        sv_html(&r->out, st->sign_meaning_en ? st->sign_meaning_en : st->sign_meaning, 0);
        sv_buf_printf(&r->out, "</h3><form method=\"post\" action=\"%s/sign\">", path ? path : "");
        csrf_field(r);
        sv_buf_printf(&r->out, "<input type=\"hidden\" name=\"seen\" value=\"%s\">", hex);
        sv_buf_puts(&r->out, "<input type=\"hidden\" name=\"meaning\" value=\"");
        sv_html_value(&r->out, st->sign_meaning);
        sv_buf_puts(&r->out, "\"><label>");
        label(r, "再次输入密码（电子签名）", "Password again (electronic signature)");
        sv_buf_puts(&r->out, " <input type=\"password\" name=\"password\" required "
                             "autocomplete=\"current-password\"></label><button>");
        label(r, "签核", "Sign");
        sv_buf_puts(&r->out, "</button></form>");
    }
    if (m.reject) {
        const capa_stage *to = capa_workflow_stage(wf, st->reject_to);
        sv_buf_printf(&r->out, "<h3>");
        label(r, "驳回到", "Reject back to");
        sv_buf_puts(&r->out, " ");
        if (to)
            label(r, to->label_zh, to->label_en);
        sv_buf_printf(&r->out, "</h3><form method=\"post\" action=\"%s/reject\">",
                      path ? path : "");
        csrf_field(r);
        sv_buf_printf(&r->out, "<input type=\"hidden\" name=\"seen\" value=\"%s\">", hex);
        sv_buf_puts(&r->out, "<label>");
        label(r, "理由（必填）", "Reason (required)");
        sv_buf_puts(&r->out, " <textarea name=\"reason\" required></textarea></label><label>");
        label(r, "再次输入密码（电子签名）", "Password again (electronic signature)");
        sv_buf_puts(&r->out, " <input type=\"password\" name=\"password\" required "
                             "autocomplete=\"current-password\"></label><button>");
        label(r, "驳回", "Reject");
        sv_buf_puts(&r->out, "</button></form>");
    }
    if (!m.sign && !m.reject) {
        sv_buf_puts(&r->out, "<p>");
        label(r, "您的角色不能签核此阶段", "Your role does not sign this stage");
        sv_buf_puts(&r->out, "</p>");
    }
    page_end(r);
    free(path);
    capa_case_free(cs);
}

/* A sign-off or rejection from the dialog: the password typed again, and the data hash the
 * dialog showed, which the engine checks inside its write transaction (capa_request
 * data_hash), so a change between showing and signing is refused, never signed unseen. */
static void do_sign(sv_req *r, const char *number, int reject)
{
    sv_params p = {0};
    if (post_params(r, &p, 1))
        return;
    const char *seen = sv_params_get(&p, "seen");
    capa_request q = {.op = reject ? CAPA_OP_REJECT : CAPA_OP_SIGN,
                      .who = {r->sess.user, param(&p, "password")},
                      .number = number,
                      .meaning = param(&p, "meaning"),
                      .reason = param(&p, "reason"),
                      .data_hash = seen};
    if (!seen || strlen(seen) != 64) {
        sv_params_clear(&p);
        error_page(r, 400, "seen: the data hash the dialog showed is missing: open the signing "
                           "dialog again / 请重新打开签核页面");
        return;
    }
    if (sv_throttle_begin(r->sess.user, r->ip, &r->retry_after)) {
        sv_params_clear(&p);
        page_sign(r, number, "too many password attempts: wait a moment and try again / "
                             "密码尝试过多，请稍后再试");
        r->status = 429;
        return;
    }
    sv_submit(r->srv, &q);
    sv_throttle_end(r->sess.user, r->ip, sv_throttle_outcome(q.result));
    if (q.result == CAPA_OK) {
        char *path = case_page_path(number);
        redirect(r, path ? path : "/cases", NULL);
        free(path);
    } else {
        char msg[1024];
        const char *e = q.error ? q.error : capa_strerror(q.result);
        const char *extra = q.result == CAPA_ESTATE && strstr(e, "changed since")
                                ? " / 数据已变更，请核对后重新签核"
                                : "";
        snprintf(msg, sizeof msg, "%s%s", e, extra);
        sv_buf_free(&r->out);
        page_sign(r, number, msg);
        r->status = sv_status_of(q.result);
    }
    capa_request_clear(&q);
    for (size_t i = 0; i < p.n; i++)
        explicit_bzero(p.v[i].value, strlen(p.v[i].value));
    sv_params_clear(&p);
}

/* Render the signed dossier into a private temporary file and send its bytes. */
void sv_send_dossier(sv_req *r, const char *number, int api);
void sv_send_dossier(sv_req *r, const char *number, int api)
{
    char dir[] = "/tmp/capa-serve-XXXXXX", path[64], key[4200], crt[4200];
    if (!mkdtemp(dir)) {
        error_page(r, 500, "cannot make a temporary directory");
        return;
    }
    snprintf(path, sizeof path, "%s/dossier.pdf", dir);
    snprintf(key, sizeof key, "%s/org.key", r->srv->keys_dir);
    snprintf(crt, sizeof crt, "%s/org.crt", r->srv->keys_dir);
    capa_dossier_opts o = {.font_path = r->srv->font, .key_path = key, .cert_path = crt};
    int rc = capa_report_dossier(r->srv->s, number, path, &o);
    if (rc == CAPA_OK) {
        FILE *f = fopen(path, "rb");
        char buf[65536];
        size_t n;
        while (f && (n = fread(buf, 1, sizeof buf, f)) > 0)
            sv_buf_put(&r->out, buf, n);
        if (f)
            fclose(f);
        r->status = 200;
        r->type = "application/pdf";
        sv_buf b = {0};
        sv_buf_puts(&b, "attachment; filename=\"");
        sv_url(&b, number);
        sv_buf_puts(&b, ".pdf\"");
        r->disposition = sv_buf_take(&b, NULL);
    }
    unlink(path);
    rmdir(dir);
    if (rc && api) {
        sv_api_error(r, rc, capa_error_last());
    } else if (rc) {
        error_capa(r, rc);
    }
}

/* ---- routing ---- */

static void set_lang(sv_req *r)
{
    char v[8];
    const char *q = sv_params_get(&r->query, "lang");
    if (q) {
        r->lang = !strcmp(q, "zh") ? SV_LANG_ZH : !strcmp(q, "en") ? SV_LANG_EN : SV_LANG_BOTH;
        sv_req_cookie(r, "capa_lang=%s; Path=/; SameSite=Strict",
                      r->lang == SV_LANG_ZH ? "zh" : r->lang == SV_LANG_EN ? "en" : "both");
    } else if (sv_cookie_get(v, sizeof v, r->cookie, "capa_lang") == 0) {
        r->lang = !strcmp(v, "zh") ? SV_LANG_ZH : !strcmp(v, "en") ? SV_LANG_EN : SV_LANG_BOTH;
    }
}

void sv_pages_handle(sv_req *r)
{
    const char *path = r->path, *m = r->method;
    int get = strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0, post = strcmp(m, "POST") == 0;
    set_lang(r);
    if (r->bad_query) {
        error_page(r, 400, "malformed query string");
        return;
    }
    if (strncmp(path, "/static/", 8) == 0) {
        const sv_asset *a = get ? sv_asset_get(path + 8) : NULL;
        if (!a) {
            r->status = 404;
            r->type = "text/plain; charset=utf-8";
            sv_buf_puts(&r->out, "not found\n");
            return;
        }
        r->static_data = a->data;
        r->static_len = a->len;
        r->type = a->type;
        r->status = 200;
        r->cacheable = 1;
        return;
    }
    load_session(r);
    if (strcmp(path, "/login") == 0) {
        if (post)
            do_login(r);
        else if (get)
            login_form(r, "", NULL);
        else
            error_page(r, 405, "method not allowed");
        return;
    }
    if (!r->have_sess) {
        if (strcmp(path, "/") == 0 || strncmp(path, "/cases", 6) == 0 ||
            strcmp(path, "/logout") == 0)
            redirect(r, "/login", NULL);
        else
            error_page(r, 404, "not found");
        if (post && r->status == 303)
            r->status = 303;
        return;
    }
    if (strcmp(path, "/") == 0 && get) {
        page_dashboard(r);
    } else if (strcmp(path, "/logout") == 0 && post) {
        do_logout(r);
    } else if (strcmp(path, "/cases") == 0 && get) {
        page_list(r, 0);
    } else if (strcmp(path, "/cases.csv") == 0 && get) {
        page_list(r, 1);
    } else if (strcmp(path, "/cases/new") == 0 && (get || post)) {
        page_new(r, post);
    } else if (strncmp(path, "/cases/", 7) == 0) {
        char number[128];
        const char *rest = path + 7, *slash = strchr(rest, '/');
        size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
        const char *sub = slash ? slash : "";
        if (n == 0 || n >= sizeof number) {
            error_page(r, 404, "not found");
            return;
        }
        memcpy(number, rest, n);
        number[n] = '\0';
        if (!*sub && get)
            page_case(r, number);
        else if (!strcmp(sub, "/edit") && (get || post))
            page_edit(r, number, post);
        else if (!strcmp(sub, "/sign") && get)
            page_sign(r, number, NULL);
        else if (!strcmp(sub, "/sign") && post)
            do_sign(r, number, 0);
        else if (!strcmp(sub, "/reject") && post)
            do_sign(r, number, 1);
        else if (!strcmp(sub, "/dossier.pdf") && get)
            sv_send_dossier(r, number, 0);
        else
            error_page(r, 404, "not found");
    } else {
        error_page(r, 404, "not found");
    }
}
