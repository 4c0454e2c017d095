/*
 * pages.c - the HTML pages of capa serve: sign-in, the dashboard, the case list (and its
 * CSV), a case with every stage, signature, rejection and audit event, the forms of a new
 * complaint and of the current stage from the XML form definitions, the signing dialog and
 * dossiers.
 *
 * Each page gathers its data into a view (view.h: an XML document built with libxml2) and
 * names the template that writes it (tools/serve/templates); no markup is written
 * here. The templates escape every value for its context. Every POST carries the session's
 * CSRF token or is refused with 403. What the workflow's roles do not allow this user now is
 * not offered; the engine refuses it anyway.
 */
#include "serve.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capa_report.h"
#include "lang.h"
#include "upload.h"
#include "pages.h"
#include "deliver.h"
#include "view.h"

/* ---- small helpers ---- */

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

/* The signed-in user (id, printed name, role) into *u; NULL when not found. */
static capa_user *me(sv_req *r)
{
    capa_user *u = NULL;
    if (!r->have_sess || capa_user_get(&u, r->srv->s, r->sess.user) != CAPA_OK) {
        capa_user_free(u);
        return NULL;
    }
    return u;
}

/* Whether `role` may open a new case of the default workflow (the menu's New complaint):
 * the engine's rule (capa_workflow_may_open), not a role list here. */
static int may_open(sv_req *r, const char *role)
{
    const capa_workflow *wf = NULL;
    return capa_store_workflow(&wf, r->srv->s) == CAPA_OK && capa_workflow_may_open(wf, role);
}

/* A readable plant time: "2026-10-10 09:00" of "2026-10-10T09:00:00+08:00", on `n` as
 * attributes text (readable) and iso (the full time with its offset). */
static void plant_time(sv_view *v, xmlNodePtr n, const capa_plant *p, int64_t ms)
{
    char iso[40] = "", text[40] = "";
    if (!ms || !n)
        return;
    if (p)
        capa_plant_time_format(iso, sizeof iso, p, ms);
    else
        capa_time_format(iso, sizeof iso, ms);
    snprintf(text, sizeof text, "%.16s", iso);
    if (strlen(text) > 10 && text[10] == 'T')
        text[10] = ' ';
    sv_at(v, n, "iso", iso);
    sv_at(v, n, "text", text);
}

/* A role on n: attributes role and role-l (the workflow's label in the reader's language):
 * the default workflow's label, else that of the other workflow defining the role. */
static void role_attrs(sv_view *v, xmlNodePtr n, sv_req *r, const char *role)
{
    if (!role || !*role)
        return;
    const capa_role *ro = capa_store_role(r->srv->s, role);
    sv_at(v, n, "role", role);
    sv_label_as(v, n, "role-l", ro && ro->label_zh ? ro->label_zh : role,
                ro && ro->label_en ? ro->label_en : role);
}

/* The menu's entries for the other workflows (SCAR, ...) whose first stage `role` fills in:
 * <opens id=... l=...> on the user. */
typedef struct menu_opens_ctx {
    sv_view *v;
    xmlNodePtr user;
    const char *role;
} menu_opens_ctx;

static int menu_opens(const capa_workflow *w, void *payload)
{
    menu_opens_ctx *c = payload;
    if (strcmp(w->id, CAPA_WORKFLOW_DEFAULT) == 0 || !capa_workflow_may_open(w, c->role))
        return 0;
    xmlNodePtr n = sv_el(c->v, c->user, "opens");
    sv_at(c->v, n, "id", w->id);
    sv_label(c->v, n, w->label_zh ? w->label_zh : w->id, w->label_en ? w->label_en : w->id);
    return 0;
}

/* Start a page: the view with who is signed in (printed name, role, CSRF token, what the
 * menu offers) and the organisation. */
static xmlNodePtr page(sv_view *v, sv_req *r, const char *kind, const char *zh, const char *en)
{
    xmlNodePtr root = sv_view_begin(v, r, kind, zh, en);
    capa_store_info info = {0};
    if (capa_store_info_get(&info, r->srv->s) == CAPA_OK) {
        xmlNodePtr o = sv_el(v, root, "org");
        sv_at(v, o, "name", info.org);
        sv_at(v, o, "zone", info.timezone);
    }
    capa_store_info_clear(&info);
    if (r->have_sess) {
        capa_user *u = me(r);
        xmlNodePtr n = sv_el(v, root, "user");
        sv_at(v, n, "id", r->sess.user);
        sv_at(v, n, "name", u && u->name && *u->name ? u->name : r->sess.user);
        role_attrs(v, n, r, u ? u->role : NULL);
        sv_at(v, n, "csrf", r->sess.csrf);
        if (u && may_open(r, u->role))
            sv_at(v, n, "may-open", "1");
        if (u && u->role) {
            menu_opens_ctx mo = {v, n, u->role};
            capa_store_workflows(r->srv->s, menu_opens, &mo);
        }
        if (u && strcmp(u->role, "admin") == 0)
            sv_at(v, n, "admin", "1"); /* the Administration menu (admin.c) */
        capa_user_free(u);
    }
    return root;
}

static void error_page(sv_req *r, int status, const char *msg)
{
    sv_view v;
    sv_buf_free(&r->out);
    r->status = status;
    xmlNodePtr root = page(&v, r, "error", "出错", "Error");
    sv_el_text(&v, root, "error", msg, 0);
    sv_view_render(&v, r);
}

/* 405 on a known path: the methods it takes go in the Allow header. */
static void not_allowed(sv_req *r, const char *allow)
{
    r->allow = allow;
    sv_page_said(r, 405, "request.method", NULL, "method not allowed");
}

/* `wid` is no workflow of this store. */
static void no_workflow(sv_req *r, int status, const char *wid)
{
    sv_reason w;
    sv_page_reason(r, status,
                   sv_reason_set(&w, "request.no_workflow", wid,
                                 "workflow '%.60s': no such workflow in this store", wid));
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

/* The engine's error in the reader's language (a refusal worded by tools/lang). */
static void error_capa(sv_req *r, int code)
{
    char *msg = sv_error_text(r, code);
    error_page(r, sv_status_of(code), msg ? msg : capa_strerror(code));
    free(msg);
}

/* A POST body as parameters, with the CSRF token checked; 0 ok, else the page is written. */
static int post_params(sv_req *r, sv_params *p, int need_csrf)
{
    char why[160] = "";
    if (r->content_type && strncmp(r->content_type, "application/x-www-form-urlencoded", 33)) {
        sv_reason w;
        sv_reason_set(&w, "request.form_type", NULL,
                      "expected a form (application/x-www-form-urlencoded)");
        sv_page_reason(r, 415, sv_reason_param(&w, "type", "application/x-www-form-urlencoded"));
        return -1;
    }
    int rc = sv_urlencoded_parse(p, r->body.p ? r->body.p : "", r->body.len, why, sizeof why);
    if (rc) {
        sv_reason w;
        if (rc == -2)
            sv_page_said(r, 500, "request.oom", NULL, "out of memory");
        else
            sv_page_reason(
                r, 400,
                sv_reason_param(sv_reason_set(&w, "request.form_malformed", NULL, "%s", why),
                                "detail", why));
        return -1;
    }
    sv_params_crlf_to_lf(p);
    const char *tok = sv_params_get(p, "csrf");
    if (need_csrf && (!tok || !sv_secure_eq(tok, r->sess.csrf))) {
        sv_params_clear(p);
        sv_page_csrf_refused(r);
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
    sv_view v;
    xmlNodePtr root = page(&v, r, "login", "登录", "Sign in");
    if (msg)
        sv_el_text(&v, root, "error", msg, 0);
    xmlNodePtr form = sv_el(&v, root, "login");
    sv_at_exact(&v, form, "user", user);
    sv_at_exact(&v, form, "csrf", sv_login_token(r));
    sv_view_render(&v, r);
}

/* ---- what was typed when the session had ended ----
 * A form posted after the session expired is not lost: the sign-in page carries its values
 * (hidden fields: they came from this browser and go back to it), and a successful sign-in
 * keeps them here, keyed by the new session, for KEEP_MS; the form's next GET by that session
 * takes them and shows them, with a notice, for the user to check and save. Nothing is
 * written without that save (with the new session's CSRF token and, on an edit, the data
 * hash the form was first shown with: a stage changed meanwhile is refused as usual). */
#define KEEP_SLOTS 64
#define KEEP_MS (10 * 60 * 1000)

typedef struct kept {
    char hash[65];  /* the session's key */
    char path[160]; /* the form's path */
    char *body;     /* its values, urlencoded */
    int64_t expires;
} kept;
static kept keeps[KEEP_SLOTS];
static pthread_mutex_t keep_lock = PTHREAD_MUTEX_INITIALIZER;

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether [p, end) is a non-empty id: letters, digits, '-', '_', '.'. */
static int id_chars(const char *p, const char *end)
{
    if (p >= end)
        return 0;
    for (; p < end; p++) {
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_' || *p == '.'))
            return 0;
    }
    return 1;
}

/* A path of a form whose values are kept: /cases/new (?workflow=ID for another workflow's
 * intake form, e.g. a SCAR's) or /cases/NUMBER/edit. */
static int keep_path_ok(const char *path)
{
    if (!path || strlen(path) >= sizeof keeps[0].path)
        return 0;
    if (strcmp(path, "/cases/new") == 0)
        return 1;
    if (strncmp(path, "/cases/new?workflow=", 20) == 0)
        return id_chars(path + 20, path + strlen(path));
    if (strncmp(path, "/cases/", 7) != 0)
        return 0;
    const char *p = path + 7, *slash = strchr(p, '/');
    if (!slash || strcmp(slash, "/edit") != 0)
        return 0;
    return id_chars(p, slash);
}

/* The kept form's key for this request: its path, and for a new case of another workflow
 * the ?workflow=ID its form posts to (the intake form differs per workflow). */
static void keep_key(char *buf, size_t sz, sv_req *r)
{
    const char *wf = sv_params_get(&r->query, "workflow");
    if (strcmp(r->path, "/cases/new") == 0 && wf && *wf)
        snprintf(buf, sz, "%s?workflow=%s", r->path, wf);
    else
        snprintf(buf, sz, "%s", r->path);
}

static void keep_put(const char *hash, const char *path, const char *body)
{
    char *copy = strdup(body);
    if (!copy)
        return;
    int64_t now = wall_ms();
    pthread_mutex_lock(&keep_lock);
    kept *slot = &keeps[0];
    for (size_t i = 0; i < KEEP_SLOTS; i++) { /* a free or expired slot, else the oldest */
        if (!keeps[i].body || keeps[i].expires <= now) {
            slot = &keeps[i];
            break;
        }
        if (keeps[i].expires < slot->expires)
            slot = &keeps[i];
    }
    free(slot->body);
    snprintf(slot->hash, sizeof slot->hash, "%s", hash);
    snprintf(slot->path, sizeof slot->path, "%s", path);
    slot->body = copy;
    slot->expires = now + KEEP_MS;
    pthread_mutex_unlock(&keep_lock);
}

/* The values kept for this session and form (malloc'd; taken: a reload shows the stored
 * ones), or NULL. */
static char *keep_take(const char *hash, const char *path)
{
    char *body = NULL;
    int64_t now = wall_ms();
    pthread_mutex_lock(&keep_lock);
    for (size_t i = 0; i < KEEP_SLOTS && !body; i++) {
        if (keeps[i].body && keeps[i].expires > now && sv_secure_eq(keeps[i].hash, hash) &&
            strcmp(keeps[i].path, path) == 0) {
            body = keeps[i].body;
            keeps[i].body = NULL;
        }
    }
    pthread_mutex_unlock(&keep_lock);
    return body;
}

/* A form posted without a live session: the sign-in page, saying so, with the values. */
static void login_keep(sv_req *r)
{
    sv_params p = {0};
    char why[160];
    if (r->content_type && strncmp(r->content_type, "application/x-www-form-urlencoded", 33)) {
        redirect(r, "/login", NULL);
        return;
    }
    if (sv_urlencoded_parse(&p, r->body.p ? r->body.p : "", r->body.len, why, sizeof why)) {
        redirect(r, "/login", NULL);
        return;
    }
    sv_buf b = {0};
    for (size_t i = 0; i < p.n; i++) {
        if (strcmp(p.v[i].name, "csrf") == 0)
            continue;
        if (b.len)
            sv_buf_puts(&b, "&");
        sv_url(&b, p.v[i].name);
        sv_buf_puts(&b, "=");
        sv_url(&b, p.v[i].value);
    }
    sv_params_clear(&p);
    char *body = sv_buf_take(&b, NULL);
    sv_view v;
    xmlNodePtr root = page(&v, r, "login", "登录", "Sign in");
    sv_label(&v, sv_el(&v, root, "notice"),
             "您的登录已因长时间未操作而结束，填写的内容尚未保存。请重新登录："
             "内容会放回表单中，核对后再保存。",
             "Your session ended after a while without activity, so what you typed was not "
             "saved yet. Sign in again: it will be put back in the form for you to check and "
             "save.");
    xmlNodePtr form = sv_el(&v, root, "login");
    sv_at_exact(&v, form, "user", "");
    sv_at_exact(&v, form, "csrf", sv_login_token(r));
    char key[sizeof keeps[0].path + 64];
    keep_key(key, sizeof key, r);
    sv_at_exact(&v, form, "keep_path", key);
    sv_at_exact(&v, form, "keep", body ? body : "");
    free(body);
    sv_view_render(&v, r);
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
                   rc == CAPA_ELOCKED   ? "account locked / 账号已锁定"
                   : rc == CAPA_EDENIED ? "account disabled / 账号已停用"
                                        : "wrong user or password / 账号或密码错误");
    } else {
        r->have_sess = 1;
        sv_req_cookie(r, "capa_session=%s; Path=/; HttpOnly; SameSite=Strict%s", tok,
                      r->srv->secure_cookie ? "; Secure" : "");
        /* Values typed before the session ended: back to their form (login_keep). */
        const char *kp = sv_params_get(&p, "keep_path"), *kb = sv_params_get(&p, "keep");
        if (keep_path_ok(kp) && kb && *kb) {
            keep_put(r->sess.hash, kp, kb);
            redirect(r, kp, NULL);
        } else
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
    sv_view *v;
    xmlNodePtr rows;
    const capa_workflow *wf;
    const capa_field *sev; /* the intake form's severity choice, or NULL */
    capa_plant *plant;
    size_t n;
    const char *severity; /* a code of the intake form's severity choice, or NULL */
    int suppliers;        /* a row shows a supplier (a SCAR's party) */
} list_ctx;

int sv_severity_filter(sv_server *srv, const char *value, const char **code, sv_reason *why)
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
        sv_reason_set(why, "request.no_severity", value,
                      "severity: the intake form has no severity choice");
        return -1;
    }
    /* By code or by label (重要, Important), as `capa list --severity`. */
    const char *c = capa_form_normalize(fd, "severity", value);
    if (!capa_field_choice(f, c)) {
        /* The choices by code (as before, in English) and by 中文 label, each in half of buf. */
        size_t half = sizeof why->buf / 2, n = 0, z = 0;
        char *en = why->buf + half;
        en[0] = '\0';
        for (size_t i = 0; i < f->n_choices && n < half; i++)
            n += (size_t)snprintf(en + n, half - n, "%s%s", i ? ", " : "", f->choices[i].value);
        for (size_t i = 0; i < f->n_choices && z < half; i++)
            z += (size_t)snprintf(why->buf + z, half - z, "%s%s", i ? "、" : "",
                                  f->choices[i].label_zh);
        sv_reason_set(why, "request.severity", value, "severity '%.60s': not one of %s", value, en);
        sv_reason_param(why, "choices_zh", why->buf);
        sv_reason_param(why, "choices_en", en);
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

/* A stage's name on n (label of the workflow's stage; closed; or the bare id). */
static void stage_label(sv_view *v, xmlNodePtr n, const capa_workflow *wf, const char *stage,
                        int closed)
{
    const capa_stage *st = wf ? capa_workflow_stage(wf, stage) : NULL;
    sv_at(v, n, "stage", stage);
    if (closed)
        sv_label(v, n, "已结案", "Closed");
    else if (st)
        sv_label(v, n, st->label_zh, st->label_en);
    else
        sv_label(v, n, stage, stage);
}

/* A choice's code and labels on n: attributes value, zh, en (the code when it is none). */
static void choice_label(sv_view *v, xmlNodePtr n, const capa_field *f, const char *value)
{
    const capa_choice *ch = f && value ? capa_field_choice(f, value) : NULL;
    sv_at(v, n, "value", value ? value : "");
    if (ch)
        sv_label(v, n, ch->label_zh, ch->label_en);
    else
        sv_label(v, n, value ? value : "", value ? value : "");
}

/* The party a case is with, as its first stage names it: the customer of a complaint, the
 * supplier of a supplier 8D (SCAR: its request form's party field). Borrowed from cs; NULL
 * when neither is filled in. */
static const char *case_party(const capa_case *cs)
{
    static const char *const fields[] = {"customer", "supplier"};
    for (size_t i = 0; cs->n_stages && i < sizeof fields / sizeof *fields; i++) {
        const char *p = capa_case_value(cs, cs->stages[0].stage, fields[i]);
        if (p && *p)
            return p;
    }
    return NULL;
}

/* The party of a listed case: the header's customer, else - a SCAR, whose header carries no
 * customer - the case's own (case_party), copied into buf. */
static const char *row_party(sv_req *r, const char *number, const char *customer, char *buf,
                             size_t sz)
{
    capa_case *cs = NULL;
    if (customer && *customer)
        return customer;
    buf[0] = '\0';
    if (number && capa_case_get(&cs, r->srv->s, number) == CAPA_OK && case_party(cs))
        snprintf(buf, sz, "%s", case_party(cs));
    capa_case_free(cs);
    return buf;
}

static int list_row(const capa_case_header *h, void *payload)
{
    list_ctx *c = payload;
    if (c->severity && (!h->severity || strcmp(h->severity, c->severity) != 0))
        return 0;
    c->n++;
    sv_view *v = c->v;
    xmlNodePtr row = sv_el(v, c->rows, "case");
    sv_at(v, row, "number", h->number);
    stage_label(v, sv_el(v, row, "stage"), c->wf, h->stage, h->closed);
    char party[256];
    sv_at(v, row, "customer", row_party(c->r, h->number, h->customer, party, sizeof party));
    if (!(h->customer && *h->customer) && party[0])
        c->suppliers = 1;
    sv_at(v, row, "part", h->part_no);
    sv_at(v, row, "defect", h->defect_code);
    if (h->severity && *h->severity)
        choice_label(v, sv_el(v, row, "severity"), c->sev, h->severity);
    plant_time(v, sv_el(v, row, "opened"), c->plant, h->opened);
    /* Its lines kept: a table cell runs them on as words ("\n" shown was noise there); other
     * controls and disguising characters are still shown as escapes. */
    sv_el_text(v, row, "description", h->description, 1);
    return 0;
}

/* The list filters from the query; -1 with the reason in *why when a date is malformed. */
static int list_filter(sv_req *r, capa_filter *f, sv_reason *why)
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
    f->workflow = OPT("workflow");
    const char *status = OPT("status"), *from = OPT("from"), *to = OPT("to");
#undef OPT
    if (status && strcmp(status, "open") == 0)
        f->closed = 0;
    else if (status && strcmp(status, "closed") == 0)
        f->closed = 1;
    if (from) {
        if (sv_parse_date(&ms, from)) {
            sv_param_refused(why, "from", "开始日期", from, SV_DATE_ZH, SV_DATE_EN,
                             "from/to: expected a date YYYY-MM-DD");
            return -1;
        }
        f->opened_from = ms;
    }
    if (to) {
        if (sv_parse_date(&ms, to)) {
            sv_param_refused(why, "to", "截止日期", to, SV_DATE_ZH, SV_DATE_EN,
                             "from/to: expected a date YYYY-MM-DD");
            return -1;
        }
        f->opened_to = ms + 86400000LL; /* the whole day `to` */
    }
    return 0;
}

/* The intake form's severity choice, or NULL. */
static const capa_field *intake_severity(sv_req *r)
{
    const capa_workflow *wf = NULL;
    const capa_formdef *fd = NULL;
    const capa_field *f = NULL;
    if (capa_store_workflow(&wf, r->srv->s) == CAPA_OK && wf->n_stages &&
        capa_store_form(&fd, r->srv->s, wf->stages[0].form_id, 0) == CAPA_OK)
        f = capa_formdef_field(fd, "severity");
    return f && f->type == CAPA_FT_CHOICE ? f : NULL;
}

/* A filter of the list: its name, label, control type and the value in the query. */
static xmlNodePtr filter(sv_view *v, xmlNodePtr parent, sv_req *r, const char *name,
                         const char *zh, const char *en, const char *type)
{
    xmlNodePtr n = sv_el(v, parent, "filter");
    sv_at(v, n, "name", name);
    sv_at(v, n, "type", type);
    sv_label(v, n, zh, en);
    sv_at_exact(v, n, "value", param(&r->query, name));
    return n;
}

static void option(sv_view *v, xmlNodePtr sel, const char *value, const char *zh,
                   const char *en, const char *cur)
{
    xmlNodePtr o = sv_el(v, sel, "option");
    sv_at_exact(v, o, "value", value);
    sv_label(v, o, zh, en);
    if (cur && strcmp(cur, value) == 0)
        sv_at(v, o, "selected", "1");
}

typedef struct wf_option_ctx {
    sv_view *v;
    xmlNodePtr sel;
    const char *cur;
} wf_option_ctx;

static int wf_option(const capa_workflow *w, void *payload)
{
    wf_option_ctx *c = payload;
    option(c->v, c->sel, w->id, w->label_zh ? w->label_zh : w->id,
           w->label_en ? w->label_en : w->id, c->cur);
    return 0;
}

/* The party column's heading on n (attribute party-l): the label of the party field of the
 * listed workflow's intake form (客户 of a complaint, 供应商 of a SCAR); both when the rows
 * mix customers and suppliers. */
static void party_label(sv_view *v, xmlNodePtr n, sv_req *r, const char *workflow, int suppliers)
{
    const capa_formdef *fd = NULL;
    const capa_field *fl = NULL;
    if (workflow && capa_intake_form(&fd, r->srv->s, workflow) == CAPA_OK &&
        !(fl = capa_formdef_field(fd, "customer")))
        fl = capa_formdef_field(fd, "supplier");
    if (fl)
        sv_label_as(v, n, "party-l", fl->label_zh, fl->label_en);
    else if (suppliers)
        sv_label_as(v, n, "party-l", "客户/供应商", "Customer / supplier");
    else
        sv_label_as(v, n, "party-l", "客户", "Customer");
}

/* /cases.csv: the list's rows, all of them, in its order, streamed (stream.c) from one read
 * snapshot (sv_list_each): memory flat in the number of rows. By number the snapshot is held
 * while the client reads; in another order only until every row is read and sorted. */
typedef struct csv_export {
    capa_store *s;
    capa_filter f; /* its texts in strs */
    char *strs[7];
    sv_list_col col;
    int desc;
} csv_export;

static void csv_export_free(void *arg)
{
    csv_export *e = arg;
    for (size_t i = 0; e && i < sizeof e->strs / sizeof *e->strs; i++)
        free(e->strs[i]);
    free(e);
}

static int csv_row(const sv_list_row *row, void *payload)
{
    sv_stream *st = payload;
    sv_buf *b = sv_stream_buf(st);
    const capa_case_header *h = &row->h;
    const char *cells[] = {h->number,      h->stage,    h->closed ? "closed" : "open",
                           h->customer,    h->part_no,  h->lot_no,
                           h->defect_code, h->severity, h->description};
    for (size_t i = 0; i < sizeof cells / sizeof cells[0]; i++) {
        sv_csv(b, cells[i] ? cells[i] : "");
        sv_buf_puts(b, ",");
    }
    time_cell(b, h->opened);
    sv_buf_puts(b, ",");
    time_cell(b, h->closed_at);
    sv_buf_puts(b, "\r\n");
    return sv_stream_flush(st, 0) ? 1 : 0;
}

static int csv_run(sv_stream *st, void *arg)
{
    csv_export *e = arg;
    capa_snapshot *snap = NULL;
    sv_list_ask ask = {&e->f, e->strs[6], e->col, e->desc, 0, SIZE_MAX, NULL};
    int rc = capa_snapshot_begin(&snap, e->s);
    if (!rc) {
        sv_buf_puts(sv_stream_buf(st), "number,stage,status,customer,part_no,lot_no,defect_code,"
                                       "severity,description,opened,closed_at\r\n");
        rc = sv_list_each(&snap, &ask, csv_row, st);
    }
    capa_snapshot_end(snap);
    if (rc < 0) /* the engine's error (a stop of csv_row's is 1: the client went away) */
        fprintf(stderr, "cases.csv: %s\n", capa_error_last());
    return rc;
}

static void list_csv(sv_req *r, const capa_filter *f, const char *severity, sv_list_col col,
                     int desc)
{
    csv_export *e = calloc(1, sizeof *e);
    const char *from[7] = {f->stage,  f->customer, f->part_no, f->defect_code,
                           f->text,   f->workflow, severity};
    int oom = !e;
    if (e) {
        e->s = r->srv->s;
        e->f = *f;
        e->col = col;
        e->desc = desc;
        for (size_t i = 0; i < 7; i++)
            oom |= from[i] && !(e->strs[i] = strdup(from[i]));
        e->f.stage = e->strs[0], e->f.customer = e->strs[1], e->f.part_no = e->strs[2];
        e->f.defect_code = e->strs[3], e->f.text = e->strs[4], e->f.workflow = e->strs[5];
    }
    if (oom || sv_stream_start(r, csv_run, e, csv_export_free)) {
        if (oom)
            csv_export_free(e);
        error_capa(r, CAPA_ENOMEM);
        return;
    }
    r->status = 200;
    r->type = "text/csv; charset=utf-8";
    r->disposition = strdup("attachment; filename=\"cases.csv\"");
}

static void page_list(sv_req *r, int csv)
{
    capa_filter f;
    const capa_workflow *wf = NULL;
    capa_store_workflow(&wf, r->srv->s);
    sv_reason why;
    if (list_filter(r, &f, &why)) {
        sv_page_reason(r, 400, &why);
        return;
    }
    /* ?workflow=ID: that workflow's cases, its stages in the filter and on the board. */
    if (f.workflow && capa_store_workflow_get(&wf, r->srv->s, f.workflow) != CAPA_OK) {
        no_workflow(r, 400, f.workflow);
        return;
    }
    list_ctx c = {.r = r, .wf = wf, .sev = intake_severity(r)};
    const char *severity = NULL, *sort = sv_params_get(&r->query, "sort"),
               *pg = sv_params_get(&r->query, "page");
    sv_list_col col;
    int desc;
    long long page_no = 1;
    if (sv_severity_filter(r->srv, sv_params_get(&r->query, "severity"), &severity, &why)) {
        sv_page_reason(r, 400, &why);
        return;
    }
    if (sv_list_sort_parse(&col, &desc, sort)) {
        sv_page_reason(r, 400, sv_sort_refused(&why, sort));
        return;
    }
    if (pg && *pg && sv_parse_count(&page_no, pg, 1, 1LL << 40)) {
        sv_page_reason(r, 400,
                       sv_param_refused(&why, "page", "页码", pg, "从 1 开始的整数",
                                        "a whole number from 1", "page: a whole number from 1"));
        return;
    }
    if (csv) {
        list_csv(r, &f, severity, col, desc);
        return;
    }
    /* Sorted by the column asked for: only the page's rows are kept (list.c); a page past
     * the end shows the last one, asked for again once the total is known. The total and the
     * rows are read in one snapshot. */
    const char *view = sv_params_get(&r->query, "view");
    int board = view && strcmp(view, "board") == 0;
    sv_list l = {0};
    sv_list_ask ask = {&f, severity, col, desc, 0, SV_LIST_PAGE, NULL};
    if (board)
        ask.board = wf, ask.limit = wf ? SV_LIST_PAGE : 0;
    else
        ask.offset = (size_t)(page_no - 1) * SV_LIST_PAGE;
    capa_snapshot *snap = NULL;
    int rc = capa_snapshot_begin(&snap, r->srv->s);
    if (!rc)
        rc = sv_list_get_in(&l, snap, &ask);
    size_t pages = l.total ? (l.total + SV_LIST_PAGE - 1) / SV_LIST_PAGE : 1;
    if (!rc && (unsigned long long)page_no > pages) {
        page_no = (long long)pages;
        if (!board) {
            ask.offset = (size_t)(page_no - 1) * SV_LIST_PAGE;
            sv_list_free(&l);
            rc = sv_list_get_in(&l, snap, &ask);
        }
    }
    capa_snapshot_end(snap);
    if (rc) {
        sv_list_free(&l);
        error_capa(r, rc);
        return;
    }
    size_t first = ask.offset, last = ask.offset + (l.n_groups && !board ? l.groups[0].n : 0);
    sv_view v;
    xmlNodePtr root = page(&v, r, "list", "案件", "Cases"), n, sel;
    xmlNodePtr fl = sv_el(&v, root, "filters");
    sel = filter(&v, fl, r, "workflow", "流程", "Workflow", "select");
    option(&v, sel, "", "全部", "All", NULL);
    wf_option_ctx wo = {&v, sel, sv_params_get(&r->query, "workflow")};
    capa_store_workflows(r->srv->s, wf_option, &wo);
    sel = filter(&v, fl, r, "stage", "阶段", "Stage", "select");
    option(&v, sel, "", "", "", NULL);
    for (size_t i = 0; wf && i < wf->n_stages; i++)
        option(&v, sel, wf->stages[i].id, wf->stages[i].label_zh, wf->stages[i].label_en,
               sv_params_get(&r->query, "stage"));
    filter(&v, fl, r, "customer", "客户", "Customer", "text");
    filter(&v, fl, r, "part", "料号", "Part", "text");
    filter(&v, fl, r, "defect", "缺陷代码", "Defect code", "text");
    if (c.sev) {
        sel = filter(&v, fl, r, "severity", "严重度", "Severity", "select");
        option(&v, sel, "", "", "", NULL);
        for (size_t i = 0; i < c.sev->n_choices; i++)
            option(&v, sel, c.sev->choices[i].value, c.sev->choices[i].label_zh,
                   c.sev->choices[i].label_en, sv_params_get(&r->query, "severity"));
    }
    filter(&v, fl, r, "text", "文字", "Text", "search");
    filter(&v, fl, r, "from", "开立自", "Opened from", "date");
    filter(&v, fl, r, "to", "开立至", "Opened to", "date");
    sel = filter(&v, fl, r, "status", "状态", "Status", "select");
    option(&v, sel, "", "全部", "All", NULL);
    option(&v, sel, "open", "未结案", "Open", sv_params_get(&r->query, "status"));
    option(&v, sel, "closed", "已结案", "Closed", sv_params_get(&r->query, "status"));
    /* The query as it came (but the language), for the CSV link. */
    for (size_t i = 0; i < r->query.n; i++) {
        if (strcmp(r->query.v[i].name, "lang") == 0)
            continue;
        n = sv_el(&v, root, "q");
        sv_at_exact(&v, n, "name", r->query.v[i].name);
        sv_at_exact(&v, n, "value", r->query.v[i].value);
    }
    c.v = &v;
    c.rows = sv_el(&v, root, "cases");
    capa_plant_get(&c.plant, r->srv->s);
    if (board) {
        /* The board: a column per stage in workflow order, the open cases as cards (the
         * whole filtered list, in its sort order; at most a page of cards a column), then,
         * when the status filter admits them (all or closed), a column of the closed cases:
         * the board shows what the list has. */
        sv_at(&v, c.rows, "view", "board");
        xmlNodePtr all = c.rows;
        for (size_t k = 0; wf && k <= wf->n_stages && k < l.n_groups; k++) {
            xmlNodePtr col = sv_el(&v, all, "column");
            if (k == wf->n_stages)
                stage_label(&v, col, wf, "closed", 1);
            else
                stage_label(&v, col, wf, wf->stages[k].id, 0);
            c.rows = col;
            for (size_t i = 0; i < l.groups[k].n; i++)
                list_row(&l.groups[k].rows[i]->h, &c);
            sv_atf(&v, col, "count", "%zu", l.groups[k].count);
        }
        c.rows = all;
        first = last = 0;
    } else {
        for (size_t i = 0; i < l.groups[0].n; i++)
            list_row(&l.groups[0].rows[i]->h, &c);
    }
    capa_plant_free(c.plant);
    party_label(&v, c.rows, r, f.workflow, c.suppliers);
    sv_atf(&v, c.rows, "count", "%zu", l.total);
    sv_atf(&v, c.rows, "page", "%lld", page_no);
    sv_atf(&v, c.rows, "pages", "%zu", pages);
    sv_atf(&v, c.rows, "first", "%zu", l.total ? first + 1 : 0);
    sv_atf(&v, c.rows, "last", "%zu", last);
    sv_at(&v, c.rows, "sort", sort && *sort ? sort : "number");
    sv_list_free(&l);
    sv_view_render(&v, r);
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

static const char *const ftypes[] = {
    [CAPA_FT_TEXT] = "text",         [CAPA_FT_MULTILINE] = "multiline",
    [CAPA_FT_INTEGER] = "integer",   [CAPA_FT_DECIMAL] = "decimal",
    [CAPA_FT_DATE] = "date",         [CAPA_FT_DATETIME] = "datetime",
    [CAPA_FT_CHOICE] = "choice",     [CAPA_FT_BOOLEAN] = "boolean",
    [CAPA_FT_USER] = "user",         [CAPA_FT_GROUP] = "group",
};

/* A field as a stored value or a missing one names it (stage_values, stage_ready): id and
 * label; the templates show no type or required mark there (field_def is the form's). */
static void shown_field(sv_view *v, xmlNodePtr n, const capa_field *f)
{
    sv_at(v, n, "id", f->id);
    sv_label(v, n, f->label_zh, f->label_en);
}

/* A field of a form definition on n: id, type, labels, when it is required, its choices. */
static void field_def(sv_view *v, xmlNodePtr n, const capa_field *f)
{
    sv_at(v, n, "id", f->id);
    sv_at(v, n, "type", ftypes[f->type]);
    sv_label(v, n, f->label_zh, f->label_en);
    if (f->required == CAPA_REQ_CREATE)
        sv_at(v, n, "required", "create");
    else if (f->required == CAPA_REQ_SIGN)
        sv_at(v, n, "required", "sign");
}

/* One control: the field, its control name, the value entered or stored, its errors. */
static void control(sv_view *v, xmlNodePtr parent, const capa_field *f, const char *name,
                    const formvals *fv)
{
    xmlNodePtr n = sv_el(v, parent, "control");
    const char *val = fv_get(fv, name);
    field_def(v, n, f);
    sv_at_exact(v, n, "name", name);
    sv_at_exact(v, n, "value", val ? val : "");
    if (f->type == CAPA_FT_BOOLEAN) {
        option(v, n, "true", "是", "yes", val);
        option(v, n, "false", "否", "no", val);
    }
    for (size_t i = 0; i < f->n_choices; i++)
        option(v, n, f->choices[i].value, f->choices[i].label_zh, f->choices[i].label_en, val);
    /* A stored value the form no longer offers is still shown, never silently lost. */
    if (val && *val && f->type == CAPA_FT_CHOICE && !capa_field_choice(f, val))
        option(v, n, val, val, val, val);
    for (size_t i = 0; i < fv->n_errs; i++) {
        if (strcmp(fv->errs[i].field, name) == 0)
            sv_el_text(v, n, "error", fv->errs[i].rule, 0);
    }
}

static unsigned rows_of(const capa_kv *kv, size_t n, const char *gid)
{
    unsigned max = 0, row;
    char g[128], col[128];
    for (size_t i = 0; i < n; i++) {
        if (capa_field_name_split(kv[i].name, g, sizeof g, &row, col, sizeof col) == 1 &&
            strcmp(g, gid) == 0 && row > max)
            max = row;
    }
    return max;
}

/* A repeating group: its columns, and a row of controls for each row entered plus one
 * empty row to fill. */
static void group_controls(sv_view *v, xmlNodePtr parent, const capa_field *g, const formvals *fv)
{
    char name[300];
    unsigned rows = rows_of(fv->kv, fv->n, g->id) + 1;
    xmlNodePtr n = sv_el(v, parent, "group");
    field_def(v, n, g);
    sv_atf(v, n, "next", "%u", rows + 1);
    for (size_t k = 0; k < g->n_columns; k++)
        field_def(v, sv_el(v, n, "column"), &g->columns[k]);
    for (unsigned row = 1; row <= rows; row++) {
        xmlNodePtr tr = sv_el(v, n, "row");
        sv_atf(v, tr, "n", "%u", row);
        for (size_t k = 0; k < g->n_columns; k++) {
            snprintf(name, sizeof name, "%s.%u.%s", g->id, row, g->columns[k].id);
            control(v, tr, &g->columns[k], name, fv);
        }
    }
}

/* The whole form: every field of `fd` in the definition's order with the values in fv and
 * the errors next to them; errors that name no field of the form go on top. */
static void form_view(sv_view *v, xmlNodePtr parent, const capa_formdef *fd, const formvals *fv,
                      const char *action, int with_reason, const char *seen)
{
    xmlNodePtr n = sv_el(v, parent, "form");
    sv_at(v, n, "action", action);
    sv_label(v, n, fd->label_zh, fd->label_en);
    if (with_reason)
        sv_at(v, n, "reason", "1");
    sv_at(v, n, "seen", seen);
    for (size_t i = 0; i < fv->n_errs; i++) {
        if (capa_formdef_lookup(fd, fv->errs[i].field, NULL, NULL))
            continue;
        xmlNodePtr e = sv_el_text(v, n, "formerror", fv->errs[i].rule, 0);
        sv_at(v, e, "field", fv->errs[i].field);
        if (fv->errs[i].worded)
            sv_at(v, e, "worded", "1");
    }
    for (size_t i = 0; i < fd->n_fields; i++) {
        const capa_field *f = &fd->fields[i];
        if (f->type == CAPA_FT_GROUP)
            group_controls(v, n, f, fv);
        else
            control(v, n, f, f->id, fv);
    }
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

/* The values kept across a sign-in for this session and form (keep_take), parsed into p
 * and shown through fv; 1 when there were any. *kv (the field list) is the caller's to free,
 * p holds the strings. */
static int restore_kept(sv_req *r, sv_params *p, formvals *fv, capa_kv **kv)
{
    char key[sizeof keeps[0].path + 64];
    keep_key(key, sizeof key, r);
    char *restored = keep_take(r->sess.hash, key);
    size_t n = 0;
    char why[160];
    int back = 0;
    if (restored && sv_urlencoded_parse(p, restored, strlen(restored), why, sizeof why) == 0 &&
        (*kv = posted_fields(p, &n))) {
        fv->kv = *kv;
        fv->n = n;
        back = 1;
    }
    free(restored);
    return back;
}

/* The notice on a form whose values came back after a sign-in (keep_take). */
static void restored_notice(sv_view *v, xmlNodePtr root)
{
    sv_label(v, sv_el(v, root, "notice"),
             "您的登录曾经结束：之前填写的内容已放回表单，尚未保存。请核对后保存。",
             "Your session had ended: what you typed is back in the form, not saved yet. "
             "Check it and save.");
}

/* The new-case page's choice of workflow: each installed workflow whose first stage the
 * user's role fills in (the engine decides; the others are not offered). */
typedef struct wf_choice_ctx {
    sv_view *v;
    xmlNodePtr parent;
    const char *role, *chosen;
} wf_choice_ctx;

static int wf_choice(const capa_workflow *w, void *payload)
{
    wf_choice_ctx *c = payload;
    if (!w->n_stages || !capa_role_in(w->stages[0].editors, w->stages[0].n_editors, c->role))
        return 0;
    xmlNodePtr n = sv_el(c->v, c->parent, "workflow");
    sv_at(c->v, n, "id", w->id);
    sv_label(c->v, n, w->label_zh ? w->label_zh : w->id, w->label_en ? w->label_en : w->id);
    if (strcmp(w->id, c->chosen) == 0)
        sv_at(c->v, n, "chosen", "1");
    return 0;
}

static void page_new(sv_req *r, int post)
{
    const capa_workflow *wf = NULL;
    const capa_formdef *fd = NULL;
    /* ?workflow=ID (kept in the form's action, so the POST has it too); none: the default. */
    const char *wid = sv_params_get(&r->query, "workflow");
    if (wid && !*wid)
        wid = NULL;
    int rc = capa_store_workflow_get(&wf, r->srv->s, wid);
    if (rc == CAPA_ENOTFOUND) {
        no_workflow(r, 404, wid);
        return;
    }
    if (rc || wf->n_stages == 0 || (rc = capa_intake_form(&fd, r->srv->s, wf->id))) {
        error_capa(r, rc ? rc : CAPA_ERROR);
        return;
    }
    /* A role that may not open a case is told so before filling in the form, not after. */
    if (!post && r->have_sess) {
        int rc0 = capa_case_may_open(r->srv->s, r->sess.user, wf->id);
        if (rc0 != CAPA_OK) {
            error_capa(r, rc0);
            return;
        }
    }
    char action[200];
    if (wid)
        snprintf(action, sizeof action, "/cases/new?workflow=%s", wf->id);
    else
        snprintf(action, sizeof action, "/cases/new");
    sv_params p = {0};
    formvals fv = {0};
    capa_kv *kv = NULL;
    int back = post ? 0 : restore_kept(r, &p, &fv, &kv);
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
            sv_page_said(r, 500, "request.oom", NULL, "out of memory");
            goto done;
        }
        /* The session's sign-in binding proves the user to the engine: no password kept. */
        capa_request q = {.op = CAPA_OP_OPEN,
                          .who = {r->sess.user, NULL},
                          .binding = r->sess.binding,
                          .workflow = wid ? wf->id : NULL,
                          .values = kv,
                          .n_values = m};
        sv_submit(r->srv, &q);
        rc = q.result;
        if (rc)
            sv_request_error_restore(&q);
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
        fv.n_errs = sv_refusal_field_errors(&fv.errs, r);
        r->status = sv_status_of(rc);
        if (fv.n_errs == 0) {
            error_capa(r, rc);
            goto done;
        }
    }
    sv_view v;
    xmlNodePtr root = page(&v, r, "new", wf->label_zh ? wf->label_zh : "新案件",
                           wf->label_en ? wf->label_en : "New case");
    if (back)
        restored_notice(&v, root);
    char role[64];
    user_role(r, role, sizeof role);
    wf_choice_ctx wc = {&v, sv_el(&v, root, "workflows"), role, wf->id};
    capa_store_workflows(r->srv->s, wf_choice, &wc);
    form_view(&v, root, fd, &fv, action, 0, NULL);
    sv_view_render(&v, r);
done:
    sv_field_errors_free(fv.errs, fv.n_errs);
    free(kv);
    sv_params_clear(&p);
}

/* ---- what this user may do now (from the workflow's roles; the engine decides) ---- */

typedef struct may {
    int edit, sign, reject;
    int waive; /* the role signs one of the stage's <waiver>s (e.g. the quality lead's) */
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
    for (size_t i = 0; i < st->n_waivers; i++)
        m.waive |= capa_role_in(st->waivers[i].by, st->waivers[i].n_by, role);
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

/* A person on n: user id, printed name and role (the id alone when no such user). */
static void person(sv_view *v, xmlNodePtr n, sv_req *r, const char *id)
{
    capa_user *u = NULL;
    sv_at(v, n, "user", id);
    if (id && *id && capa_user_get(&u, r->srv->s, id) == CAPA_OK) {
        sv_at(v, n, "name", u->name && *u->name ? u->name : id);
        role_attrs(v, n, r, u->role);
    } else {
        sv_at(v, n, "name", id);
    }
    capa_user_free(u);
}

/* One stored value as the reader sees it: a choice's labels, yes/no, a person, or the text. */
static void value_view(sv_view *v, xmlNodePtr parent, sv_req *r, const capa_field *f,
                       const char *val)
{
    xmlNodePtr n;
    if (f && f->type == CAPA_FT_CHOICE && capa_field_choice(f, val)) {
        choice_label(v, sv_el(v, parent, "choice"), f, val);
    } else if (f && f->type == CAPA_FT_BOOLEAN) {
        n = sv_el(v, parent, "choice");
        int yes = strcmp(val, "true") == 0;
        sv_at(v, n, "value", val);
        sv_label(v, n, yes ? "是" : "否", yes ? "yes" : "no");
    } else if (f && f->type == CAPA_FT_USER) {
        person(v, sv_el(v, parent, "person"), r, val);
    } else {
        n = sv_el_text(v, parent, "text", val, f && f->type == CAPA_FT_MULTILINE);
        if (f && f->type == CAPA_FT_MULTILINE)
            sv_at(v, n, "lines", "1");
    }
}

/* The values of a stage record as its form has them: fields in the definition's order,
 * repeating groups as tables (one row per row entered), then anything the form does not
 * describe (shown too, never hidden). */
static void stage_values(sv_view *v, xmlNodePtr parent, sv_req *r, const capa_formdef *fd,
                         const capa_stage_record *rec)
{
    char name[300];
    xmlNodePtr vals = sv_el(v, parent, "values");
    for (size_t i = 0; fd && i < fd->n_fields; i++) {
        const capa_field *f = &fd->fields[i];
        if (f->type != CAPA_FT_GROUP) {
            const char *val = capa_kv_get(rec->values, rec->n_values, f->id);
            if (!val || !*val)
                continue;
            xmlNodePtr n = sv_el(v, vals, "value");
            shown_field(v, n, f);
            value_view(v, n, r, f, val);
            continue;
        }
        unsigned rows = rows_of(rec->values, rec->n_values, f->id);
        if (!rows)
            continue;
        xmlNodePtr g = sv_el(v, vals, "group");
        shown_field(v, g, f);
        for (size_t k = 0; k < f->n_columns; k++)
            shown_field(v, sv_el(v, g, "column"), &f->columns[k]);
        for (unsigned row = 1; row <= rows; row++) {
            xmlNodePtr tr = NULL;
            for (size_t k = 0; k < f->n_columns; k++) {
                snprintf(name, sizeof name, "%s.%u.%s", f->id, row, f->columns[k].id);
                const char *val = capa_kv_get(rec->values, rec->n_values, name);
                if (val && *val && !tr) {
                    tr = sv_el(v, g, "row");
                    sv_atf(v, tr, "n", "%u", row);
                }
            }
            for (size_t k = 0; tr && k < f->n_columns; k++) {
                snprintf(name, sizeof name, "%s.%u.%s", f->id, row, f->columns[k].id);
                const char *val = capa_kv_get(rec->values, rec->n_values, name);
                xmlNodePtr cell = sv_el(v, tr, "cell");
                shown_field(v, cell, &f->columns[k]);
                if (val && *val)
                    value_view(v, cell, r, &f->columns[k], val);
            }
        }
    }
    for (size_t i = 0; i < rec->n_values; i++) {
        const char *nm = rec->values[i].name, *val = rec->values[i].value;
        if (!val[0] || (fd && capa_formdef_lookup(fd, nm, NULL, NULL)))
            continue;
        xmlNodePtr n = sv_el(v, vals, "value");
        sv_at(v, n, "id", nm);
        sv_label(v, n, nm, nm);
        value_view(v, n, r, NULL, val);
    }
}

static void signature_view(sv_view *v, xmlNodePtr parent, sv_req *r, const capa_workflow *wf,
                           const capa_plant *p, const capa_signature *sg)
{
    const capa_stage *st = wf ? capa_workflow_stage(wf, sg->stage) : NULL;
    int rej = sg->kind && strcmp(sg->kind, "reject") == 0;
    xmlNodePtr n = sv_el(v, parent, "signature");
    sv_at(v, n, "kind", rej ? "reject" : "sign");
    if (sg->superseded)
        sv_at(v, n, "superseded", "1");
    sv_atf(v, n, "round", "%d", sg->round);
    if (rej)
        sv_label(v, n, "驳回", "Rejected");
    else if (st && st->sign_meaning && sg->meaning && !strcmp(st->sign_meaning, sg->meaning))
        sv_label(v, n, st->sign_meaning_zh, st->sign_meaning_en);
    else
        sv_label(v, n, sg->meaning, sg->meaning);
    sv_at(v, n, "user", sg->user);
    sv_at(v, n, "name", sg->name && *sg->name ? sg->name : sg->user);
    role_attrs(v, n, r, sg->role);
    sv_at(v, n, "hash", sg->data_hash);
    sv_atf(v, n, "seq", "%llu", (unsigned long long)sg->seq);
    plant_time(v, sv_el(v, n, "time"), p, sg->time);
    if (sg->reason && *sg->reason)
        sv_el_text(v, n, "reason", sg->reason, 1);
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
        if (capa_error_last()[0])
            error_capa(r, rc);
        else
            sv_page_said(r, 400, "request.at", NULL, "at: expected a time");
        return -1;
    }
    return 0;
}

static void limit_kind(sv_view *v, xmlNodePtr n, const capa_workflow *wf, const char *kind)
{
    const char *zh, *en;
    sv_at(v, n, "kind", kind);
    if (capa_lang_limit_kind(kind, &zh, &en)) {
        sv_label(v, n, zh, en);
        return;
    }
    const capa_stage *st = wf ? capa_workflow_stage(wf, kind) : NULL;
    if (st)
        sv_label(v, n, st->label_zh, st->label_en);
    else
        sv_label(v, n, kind, kind);
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

/* One limit as the engine judged it: kind, due (plant time), state, how far over or how
 * long left, when it was met. */
static xmlNodePtr limit_view(sv_view *v, xmlNodePtr parent, const capa_workflow *wf,
                             const capa_plant *p, const capa_limit_status *l, int64_t now)
{
    xmlNodePtr n = sv_el(v, parent, "limit");
    char d[40];
    limit_kind(v, n, wf, l->kind);
    sv_at(v, n, "state", l->state);
    plant_time(v, sv_el(v, n, "due"), p, l->due);
    if (l->met) {
        plant_time(v, sv_el(v, n, "met"), p, l->met);
    } else {
        span_text(d, sizeof d, now - l->due);
        sv_at(v, n, now >= l->due ? "over" : "left", d);
    }
    return n;
}

/* The case page's limits. */
/* One escalation sent (capa escalate): its level, the roles and people it went to, when. */
static void esc_view(sv_view *v, xmlNodePtr parent, sv_req *r, const capa_plant *p,
                     const capa_escalation_info *e)
{
    const capa_workflow *wf = NULL;
    xmlNodePtr n = sv_el(v, parent, "esc");
    sv_at(v, n, "level", e->level);
    char zh[80], en[80];
    capa_lang_level(e->level, zh, sizeof zh, en, sizeof en);
    sv_label(v, n, zh, en);
    /* The roles by their labels; the people as `capa escalate` named them. */
    capa_store_workflow(&wf, r->srv->s);
    char *to = strdup(e->to ? e->to : "");
    for (char *save = NULL, *t = to ? strtok_r(to, " ", &save) : NULL; t;
         t = strtok_r(NULL, " ", &save)) {
        const capa_role *ro = wf ? capa_workflow_role(wf, t) : NULL;
        xmlNodePtr x = sv_el(v, n, "to");
        sv_at(v, x, "role", t);
        sv_label(v, x, ro && ro->label_zh ? ro->label_zh : t,
                 ro && ro->label_en ? ro->label_en : t);
    }
    free(to);
    sv_at(v, n, "users", e->users && *e->users ? e->users : NULL);
    plant_time(v, sv_el(v, n, "at"), p, e->time);
}

static void limits_view(sv_view *v, xmlNodePtr parent, sv_req *r, const capa_workflow *wf,
                        const capa_plant *p, const capa_case *cs, int64_t now)
{
    capa_limit_status *l = NULL;
    size_t n = 0;
    /* p: the plant whose zone the times are in (page_case reads it once for the page) */
    if (!p || capa_case_limits(&l, &n, r->srv->s, cs, now) || !n)
        goto done;
    xmlNodePtr ls = sv_el(v, parent, "limits");
    capa_escalation_info *e = NULL;
    size_t ne = 0;
    capa_case_escalations(r->srv->s, cs->number, &e, &ne);
    for (size_t i = 0; i < n; i++) {
        xmlNodePtr lv = limit_view(v, ls, wf, p, &l[i], now);
        /* The escalations `capa escalate` sent for this limit, in order. */
        for (size_t k = 0; k < ne; k++)
            if (e[k].limit && strcmp(e[k].limit, l[i].kind) == 0)
                esc_view(v, lv, r, p, &e[k]);
    }
    capa_escalations_free(e, ne);
done:
    capa__free(l);
}

/* ---- the right next step: is the stage ready for its sign-off, was the case sent back ---- */

/* Whether the current stage of `cs` has what its sign-off requires: the form's sign-off check
 * of the whole record (required fields, required columns of each row; capa_form_validate)
 * and every condition of the sign-off. The top-level fields still missing (required and
 * empty, or a condition that does not hold) go on `parent` as <missing> elements when it is
 * not NULL. 1 when ready. */
static int stage_ready(sv_view *v, xmlNodePtr parent, sv_req *r, const capa_workflow *wf,
                       const capa_case *cs)
{
    const capa_stage *st = wf ? capa_workflow_stage(wf, cs->stage) : NULL;
    const capa_stage_record *rec = current_record(cs);
    const capa_formdef *fd = record_form(r, wf, rec);
    if (!st || !rec || !fd || cs->closed)
        return 0;
    int ready = capa_form_validate(fd, rec->values, rec->n_values, CAPA_REQ_SIGN, NULL, NULL,
                                   NULL) == CAPA_OK;
    for (size_t i = 0; i < fd->n_fields; i++) {
        const capa_field *f = &fd->fields[i];
        int empty = f->type == CAPA_FT_GROUP ? rows_of(rec->values, rec->n_values, f->id) == 0
                                             : !capa_kv_get(rec->values, rec->n_values, f->id);
        int unmet = 0;
        for (size_t k = 0; k < st->n_requires; k++)
            unmet |= strcmp(st->requires[k].field, f->id) == 0 &&
                     !capa_condition_holds(&st->requires[k], rec->values, rec->n_values);
        if ((f->required != CAPA_REQ_NO && empty) || unmet) {
            ready = 0;
            if (v && parent) {
                xmlNodePtr m = sv_el(v, parent, "missing");
                shown_field(v, m, f);
                if (unmet && !empty)
                    sv_at(v, m, "unmet", "1");
            }
        }
    }
    return ready;
}

/* The rejection that sent the case back to the stage it is in now (the last signature, a
 * rejection, made on a later stage), or NULL. */
static const capa_signature *sent_back(const capa_case *cs)
{
    const capa_signature *last = cs->n_signatures ? &cs->signatures[cs->n_signatures - 1] : NULL;
    if (!last || cs->closed || !last->kind || strcmp(last->kind, "reject") != 0 ||
        strcmp(last->stage, cs->stage) == 0)
        return NULL;
    return last;
}

/* The rejection on n: who (printed name and role), when, from which stage, why. */
static void sent_back_view(sv_view *v, xmlNodePtr parent, sv_req *r, const capa_workflow *wf,
                           const capa_plant *p, const capa_signature *sg)
{
    xmlNodePtr n = sv_el(v, parent, "sent-back");
    sv_at(v, n, "user", sg->user);
    sv_at(v, n, "name", sg->name && *sg->name ? sg->name : sg->user);
    role_attrs(v, n, r, sg->role);
    stage_label(v, sv_el(v, n, "from"), wf, sg->stage, 0);
    plant_time(v, sv_el(v, n, "time"), p, sg->time);
    sv_el_text(v, n, "reason", sg->reason, 1);
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
    int edit, sign, reject; /* what this user's role may do on the stage (not recused) */
    const char *worst;    /* the worst state of its limits: overdue, due_soon, or NULL */
    capa_signature back;  /* the rejection that sent it back (back.user set), copied */
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
            c->sign = st->sign_meaning && capa_role_in(st->signers, st->n_signers, d->role);
            c->reject = st->reject_to && st->n_rejecters &&
                        capa_role_in(st->rejecters, st->n_rejecters, d->role);
            c->edit = capa_role_in(st->editors, st->n_editors, d->role);
            /* Refined with the stage's data for the cases whose limits are evaluated. */
            c->mine = c->sign || c->reject ? 2 : c->edit ? 1 : 0;
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
        free(d->cases[i].back.user);
        free(d->cases[i].back.name);
        free(d->cases[i].back.role);
        free(d->cases[i].back.reason);
        free(d->cases[i].back.stage);
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

/* A case of the dashboard on n: number, stage, customer. */
static xmlNodePtr dash_row(sv_req *r, sv_view *v, xmlNodePtr parent, const capa_workflow *wf,
                           const dash_case *c)
{
    xmlNodePtr n = sv_el(v, parent, "case");
    sv_at(v, n, "number", c->number);
    char party[256];
    sv_at(v, n, "customer", row_party(r, c->number, c->customer, party, sizeof party));
    stage_label(v, sv_el(v, n, "stage"), wf, c->stage, c->closed);
    return n;
}

static void page_dashboard(sv_req *r)
{
    dash d = {.r = r};
    capa_plant *p = NULL;
    dash_due *due = NULL;
    size_t n_due = 0, cap_due = 0, evaluated = 0;
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
        sv_page_said(r, 500, "request.oom", NULL, "out of memory");
        goto done;
    }
    capa_filter f = {.closed = -1};
    rc = capa_case_list(r->srv->s, &f, dash_cb, &d);
    if (rc && rc != 1) {
        error_capa(r, rc);
        goto done;
    }
    if (d.oom) {
        sv_page_said(r, 500, "request.oom", NULL, "out of memory");
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
        if (capa_case_get(&cs, r->srv->s, c->number) == CAPA_OK && c->mine) {
            /* Fill in until the stage has what its sign-off requires, then Sign off; a
             * signer who may not fill it in waits until then. */
            const capa_stage_record *rec = current_record(cs);
            int ready = stage_ready(NULL, NULL, r, d.wf, cs);
            const capa_stage *st = capa_workflow_stage(d.wf, cs->stage);
            int sign = c->sign && ready;
            if (sign && st && st->sign_independent && rec)
                for (size_t k = 0; k < rec->n_editors; k++)
                    sign &= strcmp(rec->editors[k], r->sess.user) != 0;
            c->mine = sign ? 2 : c->edit ? 1 : c->reject && ready ? 2 : 0;
            const capa_signature *b = sent_back(cs);
            if (b) {
                c->back = *b;
                c->back.user = strdup(b->user ? b->user : "");
                c->back.name = strdup(b->name ? b->name : "");
                c->back.role = strdup(b->role ? b->role : "");
                c->back.reason = strdup(b->reason ? b->reason : "");
                c->back.stage = strdup(b->stage ? b->stage : "");
                c->back.kind = c->back.meaning = NULL;
            }
        }
        if (cs && capa_case_limits(&l, &nl, r->srv->s, cs, now) == CAPA_OK) {
            for (size_t k = 0; k < nl; k++) {
                int over = strcmp(l[k].state, "overdue") == 0;
                if (!over && strcmp(l[k].state, "due_soon") != 0)
                    continue;
                if (over || !c->worst)
                    c->worst = over ? "overdue" : "due_soon";
                if (n_due == cap_due) {
                    size_t cap = cap_due ? cap_due * 2 : 32;
                    dash_due *nv = realloc(due, cap * sizeof *nv);
                    if (!nv)
                        break;
                    due = nv;
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

    sv_view v;
    xmlNodePtr root = page(&v, r, "dashboard", "工作台", "Dashboard");
    /* What waits for me. */
    xmlNodePtr mine = sv_el(&v, root, "mine");
    for (size_t i = 0; i < d.n; i++) {
        const dash_case *c = &d.cases[i];
        if (!c->mine)
            continue;
        xmlNodePtr n = dash_row(r, &v, mine, d.wf, c);
        sv_at(&v, n, "action", c->mine == 2 ? (c->sign ? "sign" : "reject") : "edit");
        sv_at(&v, n, "worst", c->worst);
        if (c->back.user && c->back.stage)
            sent_back_view(&v, n, r, d.wf, p, &c->back);
    }
    /* Open cases per stage. */
    xmlNodePtr stages = sv_el(&v, root, "stages");
    for (size_t i = 0; i < d.wf->n_stages; i++) {
        xmlNodePtr n = sv_el(&v, stages, "stage");
        sv_at(&v, n, "id", d.wf->stages[i].id);
        sv_label(&v, n, d.wf->stages[i].label_zh, d.wf->stages[i].label_en);
        sv_atf(&v, n, "open", "%zu", d.per_stage[i]);
    }
    /* Due soon and overdue, soonest due first. */
    xmlNodePtr dues = sv_el(&v, root, "due");
    sv_atf(&v, dues, "count", "%zu", n_due);
    if (evaluated == DASH_MAX_LIMITS)
        sv_atf(&v, dues, "capped", "%d", DASH_MAX_LIMITS);
    for (size_t i = 0; i < n_due; i++) {
        xmlNodePtr n = dash_row(r, &v, dues, d.wf, &d.cases[due[i].c]);
        limit_view(&v, n, d.wf, p, &due[i].l, now);
    }
    /* Recent activity: the cases that moved last. */
    xmlNodePtr recent = sv_el(&v, root, "recent");
    dash_case **order = d.n ? malloc(d.n * sizeof *order) : NULL;
    if (order) {
        for (size_t i = 0; i < d.n; i++)
            order[i] = &d.cases[i];
        qsort(order, d.n, sizeof *order, recent_cmp);
        for (size_t i = 0; i < d.n && i < DASH_RECENT; i++)
            plant_time(&v, sv_el(&v, dash_row(r, &v, recent, d.wf, order[i]), "when"), p,
                       order[i]->last);
        free(order);
    }
    sv_view_render(&v, r);
done:
    free(due);
    capa_plant_free(p);
    dash_free(&d);
}

#define AUDIT_PEOPLE 32

typedef struct audit_ctx {
    sv_req *r;
    sv_view *v;
    xmlNodePtr list;
    const capa_plant *p;
    const capa_workflow *wf;
    /* The printed names of the actors met so far (a case has a handful). */
    char *ids[AUDIT_PEOPLE], *names[AUDIT_PEOPLE];
    size_t n_people;
} audit_ctx;

static void audit_ctx_clear(audit_ctx *a)
{
    for (size_t i = 0; i < a->n_people; i++) {
        free(a->ids[i]);
        free(a->names[i]);
    }
    a->n_people = 0;
}

/* The printed name of audit actor `id` (the id itself when there is no such user). */
static const char *actor_name(audit_ctx *a, const char *id)
{
    capa_user *u = NULL;
    if (!id)
        return NULL;
    for (size_t i = 0; i < a->n_people; i++) {
        if (strcmp(a->ids[i], id) == 0)
            return a->names[i];
    }
    if (capa_user_get(&u, a->r->srv->s, id) != CAPA_OK || !u->name || !*u->name ||
        a->n_people == AUDIT_PEOPLE) {
        capa_user_free(u);
        return id;
    }
    a->ids[a->n_people] = strdup(id);
    a->names[a->n_people] = strdup(u->name);
    capa_user_free(u);
    if (!a->ids[a->n_people] || !a->names[a->n_people]) {
        free(a->ids[a->n_people]);
        free(a->names[a->n_people]);
        return id;
    }
    return a->names[a->n_people++];
}

/* What an audit event did, in words (its code when it is none of these). */
static void action_label(sv_view *v, xmlNodePtr n, const char *action)
{
    const char *zh, *en;
    sv_at(v, n, "action", action);
    if (capa_lang_action(action, &zh, &en))
        sv_label_as(v, n, "action-l", zh, en);
    else
        sv_at(v, n, "action-l", action);
}

static int audit_row(const capa_event *e, void *payload)
{
    audit_ctx *a = payload;
    sv_view *v = a->v;
    xmlNodePtr n = sv_el(v, a->list, "event");
    sv_atf(v, n, "seq", "%llu", (unsigned long long)e->seq);
    sv_at(v, n, "actor", e->actor);
    sv_at(v, n, "actor-name", actor_name(a, e->actor));
    action_label(v, n, e->action);
    if (e->stage && *e->stage)
        stage_label(v, sv_el(v, n, "stage"), a->wf, e->stage, 0);
    sv_at(v, n, "hash", e->hash);
    plant_time(v, sv_el(v, n, "time"), a->p, e->time);
    /* The changes as lines of text "field: old → new" (each value shown as the CLI shows
     * it, so one change is one line). */
    sv_buf b = {0};
    for (size_t i = 0; i < e->n_changes; i++) {
        const capa_change *c = &e->changes[i];
        if (i)
            sv_buf_puts(&b, "\n");
        sv_shown(&b, c->field, 0);
        sv_buf_puts(&b, ": ");
        sv_shown(&b, c->old_value ? c->old_value : "∅", 0);
        sv_buf_puts(&b, " → ");
        sv_shown(&b, c->new_value ? c->new_value : "∅", 0);
    }
    if (b.oom)
        v->oom = 1;
    if (b.len)
        sv_el_text(v, n, "changes", b.p, 1);
    sv_buf_free(&b);
    if (e->reason && *e->reason)
        sv_el_text(v, n, "reason", e->reason, 1);
    return 0;
}

/* The case's header on n: number, customer, workflow, open or closed, current stage. */
static void case_head(sv_view *v, xmlNodePtr n, const capa_workflow *wf, const capa_case *cs)
{
    sv_at(v, n, "number", cs->number);
    sv_at(v, n, "customer", case_party(cs));
    if (cs->closed)
        sv_at(v, n, "closed", "1");
    if (cs->round > 1) /* 二次处理 */
        sv_atf(v, n, "round", "%d", cs->round);
    stage_label(v, sv_el(v, n, "current"), wf, cs->stage, cs->closed);
}

static void attachments_view(sv_view *v, xmlNodePtr c, sv_req *r, const capa_workflow *wf,
                             const capa_case *cs, const capa_plant *p);

static void page_case(sv_req *r, const char *number)
{
    capa_case *cs = NULL;
    capa_plant *p = NULL;
    const capa_workflow *wf = NULL;
    int64_t at;
    if (limits_at(r, &at))
        return;
    int rc = capa_case_get(&cs, r->srv->s, number);
    if (rc) {
        error_capa(r, rc);
        return;
    }
    capa_plant_get(&p, r->srv->s);
    capa_store_workflow_get(&wf, r->srv->s, cs->workflow);
    may m = may_now(r, wf, cs);
    sv_view v;
    xmlNodePtr root = page(&v, r, "case", "案件", "Case");
    xmlNodePtr c = sv_el(&v, root, "case");
    case_head(&v, c, wf, cs);
    /* Sign off only once the stage has what its sign-off requires; until then the page
     * says what is still needed. */
    xmlNodePtr needs = cs->closed ? NULL : sv_el(&v, c, "needs");
    int ready = stage_ready(&v, needs, r, wf, cs);
    if (m.edit)
        sv_at(&v, c, "may-edit", "1");
    if (m.sign && ready)
        sv_at(&v, c, "may-sign", "1");
    if (m.reject)
        sv_at(&v, c, "may-reject", "1");
    if (m.waive)
        sv_at(&v, c, "may-waive", "1");
    if (ready)
        sv_at(&v, c, "ready", "1");
    const capa_signature *back = sent_back(cs);
    if (back)
        sent_back_view(&v, c, r, wf, p, back);
    for (size_t i = 0; i < cs->n_stages; i++) {
        const capa_stage_record *rec = &cs->stages[i];
        xmlNodePtr s = sv_el(&v, c, "stage");
        sv_atf(&v, s, "n", "%zu", i + 1);
        stage_label(&v, s, wf, rec->stage, 0);
        if (!cs->closed && strcmp(rec->stage, cs->stage) == 0)
            sv_at(&v, s, "current", "1");
        if (rec->entered == 0 && rec->n_values == 0) {
            sv_at(&v, s, "unreached", "1");
            continue;
        }
        stage_values(&v, s, r, record_form(r, wf, rec), rec);
        for (size_t k = 0; k < cs->n_signatures; k++) {
            if (strcmp(cs->signatures[k].stage, rec->stage) == 0)
                signature_view(&v, s, r, wf, p, &cs->signatures[k]);
        }
    }
    /* 再发: the earlier cases this one recurs, each a link, with whether its corrective
     * actions were verified effective. */
    capa_recur_case *rc_ = NULL;
    size_t n_rc = 0;
    if (capa_case_recurrence_detail(&rc_, &n_rc, r->srv->s, cs->number) == CAPA_OK) {
        for (size_t i = 0; i < n_rc; i++) {
            xmlNodePtr n = sv_el(&v, c, "recurrence");
            sv_at(&v, n, "number", rc_[i].number);
            char *path = case_page_path(rc_[i].number);
            if (path)
                sv_at(&v, n, "href", path);
            free(path);
            if (rc_[i].closed)
                sv_at(&v, n, "closed", "1");
            if (rc_[i].verified)
                sv_at(&v, n, "verified", "1");
        }
    }
    capa_recur_cases_free(rc_, n_rc);
    /* 二次处理: the stage records as earlier rounds left them. */
    for (size_t i = 0; i < cs->n_earlier; i++) {
        const capa_stage_record *rec = &cs->earlier[i];
        xmlNodePtr s = sv_el(&v, c, "earlier");
        sv_atf(&v, s, "round", "%d", rec->round);
        stage_label(&v, s, wf, rec->stage, 0);
        stage_values(&v, s, r, record_form(r, wf, rec), rec);
    }
    attachments_view(&v, c, r, wf, cs, p);
    limits_view(&v, c, r, wf, p, cs, at);
    audit_ctx a = {.r = r, .v = &v, .list = sv_el(&v, c, "audit"), .p = p, .wf = wf};
    capa_audit_foreach(r->srv->s, cs->number, audit_row, &a);
    audit_ctx_clear(&a);
    sv_view_render(&v, r);
    capa_plant_free(p);
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
        sv_page_said(r, 409, "request.case_closed", NULL,
                     "this case is closed: an archived case is read-only");
        goto done;
    }
    fv.kv = rec->values;
    fv.n = rec->n_values;
    int back = post ? 0 : restore_kept(r, &p, &fv, &kv);
    const char *kept_seen = back ? sv_params_get(&p, "seen") : NULL;
    if (post) {
        if (post_params(r, &p, 1))
            goto done;
        size_t n = 0, m = 0;
        kv = posted_fields(&p, &n);
        send = calloc(n + rec->n_values + 1, sizeof *send);
        if (!kv || !send) {
            sv_page_said(r, 500, "request.oom", NULL, "out of memory");
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
            sv_request_error_restore(&q);
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
        fv.n_errs = sv_refusal_field_errors(&fv.errs, r);
        r->status = sv_status_of(rc);
        changed = rc == CAPA_ESTATE && strstr(capa_error_last(), "changed since");
        if (changed) {
            char *t = sv_error_text(r, rc);
            snprintf(changed_msg, sizeof changed_msg, "%s", t ? t : capa_error_last());
            free(t);
        }
        if (fv.n_errs == 0 && !changed) {
            error_capa(r, rc);
            goto done;
        }
    }
    char seen[65] = "", *path = case_page_path(number);
    capa_case_data_hash(seen, cs, cs->stage);
    /* Restored values are saved over what the form was first shown with (409 if changed). */
    if (kept_seen && strlen(kept_seen) == 64)
        snprintf(seen, sizeof seen, "%s", kept_seen);
    sv_view v;
    xmlNodePtr root = page(&v, r, "edit", "填写本阶段", "Fill in this stage");
    if (back)
        restored_notice(&v, root);
    case_head(&v, sv_el(&v, root, "case"), wf, cs);
    /* Refused because the stage changed: keep what was typed, show the message, and offer
     * saving again over what is stored now (seen is its hash). */
    if (changed)
        sv_at(&v, sv_el_text(&v, root, "error", changed_msg, 0), "changed", "1");
    sv_buf action = {0};
    sv_buf_puts(&action, path ? path : "");
    sv_buf_puts(&action, "/edit");
    char *act = sv_buf_take(&action, NULL);
    form_view(&v, root, fd, &fv, act ? act : "", 1, seen);
    free(act);
    free(path);
    sv_view_render(&v, r);
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
        sv_page_said(r, 409, "request.case_closed", NULL,
                     "this case is closed: an archived case is read-only");
        capa_case_free(cs);
        return;
    }
    char hex[65];
    if ((rc = capa_case_data_hash(hex, cs, cs->stage))) {
        error_capa(r, rc);
        capa_case_free(cs);
        return;
    }
    sv_view v;
    xmlNodePtr root = page(&v, r, "sign", "电子签名", "Electronic signature");
    if (msg)
        sv_el_text(&v, root, "error", msg, 0);
    xmlNodePtr c = sv_el(&v, root, "case");
    case_head(&v, c, wf, cs);
    xmlNodePtr s = sv_el(&v, c, "stage");
    stage_label(&v, s, wf, cs->stage, 0);
    sv_at(&v, s, "hash", hex);
    stage_values(&v, s, r, record_form(r, wf, rec), rec);
    const capa_signature *back = sent_back(cs);
    capa_plant *plant = NULL;
    if (back && capa_plant_get(&plant, r->srv->s) == CAPA_OK)
        sent_back_view(&v, c, r, wf, plant, back);
    capa_plant_free(plant);
    if (m.sign) {
        xmlNodePtr n = sv_el(&v, root, "sign");
        sv_at_exact(&v, n, "meaning", st->sign_meaning);
        /* What is signed, in the reader's language (both only when both are chosen). */
        sv_at(&v, n, "zh", st->sign_meaning_zh);
        sv_at(&v, n, "en", st->sign_meaning_en ? st->sign_meaning_en : st->sign_meaning);
    }
    if (m.reject) {
        const capa_stage *to = capa_workflow_stage(wf, st->reject_to);
        xmlNodePtr n = sv_el(&v, root, "reject");
        if (to)
            sv_label(&v, n, to->label_zh, to->label_en);
    }
    /* The stage's waivers this role signs (IATF 16949 §10.2.4: the quality lead's waiver of
     * a document update), each with its required reason; the engine checks role and reason
     * again (capa_request meaning and reason). */
    char role[64];
    user_role(r, role, sizeof role);
    for (size_t i = 0; i < st->n_waivers; i++) {
        const capa_waiver *w = &st->waivers[i];
        if (!capa_role_in(w->by, w->n_by, role))
            continue;
        xmlNodePtr n = sv_el(&v, root, "waiver");
        sv_at_exact(&v, n, "meaning", w->meaning);
        sv_at(&v, n, "zh", w->label_zh ? w->label_zh : w->meaning);
        sv_at(&v, n, "en", w->label_en ? w->label_en : w->meaning);
    }
    sv_view_render(&v, r);
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
        sv_page_said(r, 400, "request.sign_stale", NULL,
                     "seen: the data hash the dialog showed is missing: open the signing dialog "
                     "again");
        return;
    }
    if (sv_throttle_begin(r->sess.user, r->ip, &r->retry_after)) {
        sv_params_clear(&p);
        char *msg = sv_said(r, "request.throttled", NULL,
                            "too many password attempts: wait a moment and try again");
        page_sign(r, number, msg ? msg : "too many password attempts");
        free(msg);
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
        /* Worded in the reader's language, with labels and whom to ask (tools/lang); an
         * error the engine gave no data for shows its own message. */
        char msg[2048];
        const char *e = q.error ? q.error : capa_strerror(q.result);
        sv_request_error_restore(&q);
        char *t = sv_error_text(r, q.result);
        const char *extra = !q.refusal && q.result == CAPA_ESTATE && strstr(e, "changed since")
                                ? " / 数据已变更，请核对后重新签核"
                                : "";
        snprintf(msg, sizeof msg, "%s%s", t ? t : e, extra);
        free(t);
        sv_buf_free(&r->out);
        page_sign(r, number, msg);
        r->status = sv_status_of(q.result);
    }
    capa_request_clear(&q);
    for (size_t i = 0; i < p.n; i++)
        explicit_bzero(p.v[i].value, strlen(p.v[i].value));
    sv_params_clear(&p);
}

/* A private directory for a rendering that libraries write to a file (PDF, xlsx): mode 0700
 * under $TMPDIR (else /tmp, which systemd's PrivateTmp= makes the service's own), removed
 * with what is in it by rm_private_dir. 0, or -1 with the page written. */
static int private_dir(sv_req *r, char *dir, size_t sz)
{
    const char *base = getenv("TMPDIR");
    if (!base || base[0] != '/')
        base = "/tmp";
    if ((size_t)snprintf(dir, sz, "%s/capa-serve-XXXXXX", base) >= sz || !mkdtemp(dir)) {
        sv_page_said(r, 500, "request.tmpdir", NULL,
                     "cannot make a private temporary directory (TMPDIR)");
        return -1;
    }
    return 0;
}

static void rm_private_dir(const char *dir, const char *file)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    unlink(path);
    rmdir(dir);
}

/* Send the bytes of `path` as `type`, a download named `name`. 0, or -1 when unreadable. */
static int send_file(sv_req *r, const char *path, const char *type, const char *name);

/* Render the signed dossier into a private temporary file and send its bytes. */
void sv_send_dossier(sv_req *r, const char *number, int api);
void sv_send_dossier(sv_req *r, const char *number, int api)
{
    char dir[4096], path[4200], key[4200], crt[4200];
    if (private_dir(r, dir, sizeof dir))
        return;
    snprintf(path, sizeof path, "%s/dossier.pdf", dir);
    snprintf(key, sizeof key, "%s/org.key", r->srv->keys_dir);
    snprintf(crt, sizeof crt, "%s/org.crt", r->srv->keys_dir);
    capa_dossier_opts o = {.font_path = r->srv->font, .key_path = key, .cert_path = crt};
    int rc = capa_report_dossier(r->srv->s, number, path, &o);
    if (rc == CAPA_OK) {
        char name[300];
        snprintf(name, sizeof name, "%s.pdf", number);
        if (send_file(r, path, "application/pdf", name))
            rc = capa_error_set(CAPA_ERROR, "dossier %s: cannot read it back", number);
    }
    rm_private_dir(dir, "dossier.pdf");
    if (rc && api) {
        sv_api_error(r, rc, capa_error_last());
    } else if (rc) {
        error_capa(r, rc);
    }
}

/* ---- attachments: upload (upload.c streams it), thumbnails, download ---- */

/* "20 MiB", "512 KiB" or "1234 bytes". */
static void size_text(char *buf, size_t sz, uint64_t v)
{
    if (v >= 1024 * 1024)
        snprintf(buf, sz, v % (1024 * 1024) ? "%.1f MiB" : "%.0f MiB",
                 (double)v / (1024.0 * 1024.0));
    else if (v >= 1024)
        snprintf(buf, sz, v % 1024 ? "%.1f KiB" : "%.0f KiB", (double)v / 1024.0);
    else
        snprintf(buf, sz, "%llu bytes", (unsigned long long)v);
}

/* Whether a stage takes attachments from `role`: its editors and signers (core/attach.c
 * decides; the page only offers what it would allow). */
static int stage_attachable(const capa_workflow *wf, const char *stage, const char *role)
{
    const capa_stage *st = wf ? capa_workflow_stage(wf, stage) : NULL;
    return st && (capa_role_in(st->editors, st->n_editors, role) ||
                  capa_role_in(st->signers, st->n_signers, role));
}

static char *attachment_path(const char *number, const char *sha)
{
    sv_buf b = {0};
    sv_buf_puts(&b, "/cases/");
    sv_url(&b, number);
    sv_buf_puts(&b, "/attachments/");
    sv_buf_puts(&b, sha);
    return sv_buf_take(&b, NULL);
}

/* The case's attachments (thumbnails of images, a download link for each) and, on an open
 * case, the upload form with the stages this user may attach to and the store's limit. */
static void attachments_view(sv_view *v, xmlNodePtr c, sv_req *r, const capa_workflow *wf,
                             const capa_case *cs, const capa_plant *p)
{
    xmlNodePtr at = sv_el(v, c, "attachments");
    uint64_t limit = 0;
    char role[64], txt[40];
    for (size_t i = 0; i < cs->n_attachments; i++) {
        const capa_attachment *a = &cs->attachments[i];
        xmlNodePtr f = sv_el(v, at, "file");
        char *href = attachment_path(cs->number, a->sha256);
        sv_at(v, f, "name", a->name);
        sv_at(v, f, "href", href);
        sv_at(v, f, "mime", a->mime);
        if (strncmp(a->mime, "image/", 6) == 0)
            sv_at(v, f, "image", "1");
        sv_at(v, f, "sha256", a->sha256);
        size_text(txt, sizeof txt, a->size);
        sv_at(v, f, "size", txt);
        sv_at(v, f, "note", a->note);
        stage_label(v, f, wf, a->stage, 0);
        person(v, sv_el(v, f, "by"), r, a->user);
        plant_time(v, sv_el(v, f, "at"), p, a->time);
        free(href);
    }
    if (cs->closed || cs->origin || capa_attach_limit(r->srv->s, &limit) != CAPA_OK)
        return;
    user_role(r, role, sizeof role);
    xmlNodePtr form = NULL;
    for (size_t i = 0; i < cs->n_stages; i++) {
        const capa_stage_record *rec = &cs->stages[i];
        if ((rec->entered == 0 && rec->n_values == 0) || !stage_attachable(wf, rec->stage, role))
            continue;
        if (!form) {
            form = sv_el(v, at, "upload");
            size_text(txt, sizeof txt, limit);
            sv_at(v, form, "limit", txt);
            sv_atf(v, form, "limit-bytes", "%llu", (unsigned long long)limit);
            sv_atf(v, form, "files", "%d", SV_UPLOAD_FILES);
        }
        xmlNodePtr o = sv_el(v, form, "stage");
        stage_label(v, o, wf, rec->stage, 0);
        if (strcmp(rec->stage, cs->stage) == 0)
            sv_at(v, o, "selected", "1");
    }
}

/* POST /cases/N/attachments: every file of the upload through capa_case_attach_all_bound (the
 * engine's checks, as `capa attach`), in the order sent, all or none: a refusal of any file
 * (too large, empty, a bad name, ...) attaches none of them. */
static void do_attach(sv_req *r, const char *number)
{
    sv_upload_data *d = r->upload ? sv_upload_finish(r->upload) : NULL;
    char lim[40], a_[80];
    uint64_t limit = 0;
    if (!d) {
        char *msg = sv_word_request(r, r->upload_rule, NULL, NULL,
                                    r->upload_why[0] ? r->upload_why : "expected the upload form");
        error_page(r, 400, msg ? msg : "expected the upload form");
        free(msg);
        return;
    }
    const char *tok = sv_params_get(&d->fields, "csrf");
    if (!tok || !sv_secure_eq(tok, r->sess.csrf)) {
        sv_page_csrf_refused(r);
        return;
    }
    if (d->status) {
        char *msg = sv_word_request(r, d->rule, d->value, d->max, d->why);
        error_page(r, d->status, msg ? msg : d->why);
        free(msg);
        return;
    }
    const char *stage = sv_params_get(&d->fields, "stage");
    const char *note = sv_params_get(&d->fields, "note");
    if (stage && !*stage)
        stage = NULL;
    int rc = capa_attach_limit(r->srv->s, &limit);
    if (rc) {
        error_capa(r, rc);
        return;
    }
    size_t n = 0;
    /* A file input left empty sends a part with no name and no bytes: not a file. */
    for (size_t i = 0; i < d->n_files; i++)
        if (d->files[i].name[0] || d->files[i].size)
            n++;
    if (n == 0) {
        char *msg = sv_word(r, "attach.no_file", "files", "", NULL, 0);
        error_page(r, 400, msg ? msg : "no file chosen");
        free(msg);
        return;
    }
    for (size_t i = 0; i < d->n_files; i++) {
        sv_upload_file *f = &d->files[i];
        if (!f->name[0] && !f->size)
            continue;
        if (f->too_big) {
            /* Cut while it arrived: refused as the engine would, worded the same way. */
            char max[32], limtext[96];
            size_text(lim, sizeof lim, limit);
            snprintf(a_, sizeof a_, "%llu", (unsigned long long)f->size);
            snprintf(max, sizeof max, "%llu", (unsigned long long)limit);
            snprintf(limtext, sizeof limtext, "%s (%s bytes)", lim, max);
            capa_refusal_param ps[] = {{"length", a_}, {"limit", limtext}, {"max", max}};
            char *why = sv_word(r, "attach.too_big", "files", f->name, ps, 3);
            sv_buf b = {0};
            sv_buf_printf(&b, "%s%s", why ? why : "file over the attachment limit",
                          r->lang == SV_LANG_ZH   ? "（所有文件均未添加）"
                          : r->lang == SV_LANG_EN ? " (nothing was attached)"
                                                  : "（所有文件均未添加 / nothing was attached）");
            free(why);
            char *msg = sv_buf_take(&b, NULL);
            error_page(r, 413, msg ? msg : "file over the attachment limit");
            free(msg);
            return;
        }
    }
    /* All or none: the engine checks every file, then attaches them in one transaction. */
    capa_attach_file *fs = calloc(n, sizeof *fs);
    size_t k = 0;
    if (!fs) {
        sv_page_said(r, 500, "request.oom", NULL, "out of memory");
        return;
    }
    for (size_t i = 0; i < d->n_files; i++) {
        sv_upload_file *f = &d->files[i];
        if (f->name[0] || f->size)
            fs[k++] = (capa_attach_file){f->name, f->data.p ? f->data.p : "", f->data.len};
    }
    rc = capa_case_attach_all_bound(r->srv->s, number, r->sess.user, r->sess.binding, fs, k, stage,
                                    note);
    free(fs);
    if (rc && k > 1) {
        /* One file refused refuses them all: the refusal in the reader's language, and so. */
        sv_buf b = {0};
        char *why = sv_error_text(r, rc);
        sv_buf_printf(&b, "%s%s", why ? why : capa_error_last(),
                      r->lang == SV_LANG_ZH   ? "（所有文件均未添加）"
                      : r->lang == SV_LANG_EN ? " (nothing was attached)"
                                              : "（所有文件均未添加 / nothing was attached）");
        free(why);
        char *msg = sv_buf_take(&b, NULL);
        error_page(r, sv_status_of(rc), msg ? msg : capa_error_last());
        free(msg);
    } else if (rc) {
        error_capa(r, rc);
    } else {
        char *path = case_page_path(number);
        sv_buf b = {0};
        sv_buf_puts(&b, path ? path : "/cases");
        sv_buf_puts(&b, "#attachments");
        free(r->location);
        r->location = sv_buf_take(&b, NULL);
        r->status = 303;
        r->type = "text/plain; charset=utf-8";
        free(path);
    }
}

/* Content-Disposition for `name`: an ASCII fallback (anything else, quotes and backslashes
 * as '_') and the exact name as RFC 5987 UTF-8 (RFC 6266). */
static char *disposition(const char *kind, const char *name)
{
    sv_buf b = {0};
    sv_buf_printf(&b, "%s; filename=\"", kind);
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        char ch = (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\') ? (char)*p : '_';
        sv_buf_put(&b, &ch, 1);
    }
    sv_buf_puts(&b, "\"; filename*=UTF-8''");
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            strchr("!#$&+-.^_`|~", *p))
            sv_buf_put(&b, (const char *)p, 1);
        else
            sv_buf_printf(&b, "%%%02X", *p);
    }
    return sv_buf_take(&b, NULL);
}

/* GET /cases/N/attachments/SHA256: the stored bytes, re-hashed by the engine on the way out.
 * Images the engine recognised (JPEG, PNG) may be shown inline (?inline=1, the thumbnails);
 * everything else is a download with its original name. */
static void send_attachment(sv_req *r, const char *number, const char *sha)
{
    void *data = NULL;
    size_t len = 0;
    capa_attachment *meta = NULL;
    int rc = capa_attachment_get(&data, &len, &meta, r->srv->s, number, sha);
    if (rc) {
        error_capa(r, rc);
        return;
    }
    /* The engine's type from the content; anything else is bytes to download. */
    int jpeg = !strcmp(meta->mime, "image/jpeg"), png = !strcmp(meta->mime, "image/png");
    int inline_ = (jpeg || png) && sv_params_get(&r->query, "inline");
    r->type = jpeg                                     ? "image/jpeg"
              : png                                    ? "image/png"
              : !strcmp(meta->mime, "application/pdf") ? "application/pdf"
                                                       : "application/octet-stream";
    sv_buf_put(&r->out, data, len);
    free(r->disposition);
    r->disposition = disposition(inline_ ? "inline" : "attachment", meta->name);
    r->status = 200;
    capa__free(data);
    capa_attachment_clear(meta);
    capa__free(meta);
}

/* ---- reports: a page per month or ISO week, its charts, and its downloads ---- */

static char *disposition(const char *kind, const char *name);

static int send_file(sv_req *r, const char *path, const char *type, const char *name)
{
    FILE *f = fopen(path, "rb");
    char buf[65536];
    size_t n;
    if (!f)
        return -1;
    sv_buf_free(&r->out);
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        sv_buf_put(&r->out, buf, n);
    int bad = ferror(f);
    fclose(f);
    if (bad || r->out.oom) {
        sv_buf_free(&r->out);
        return -1;
    }
    r->status = 200;
    r->type = type;
    free(r->disposition);
    r->disposition = disposition("attachment", name);
    return 0;
}

/* Days from 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static long days_of(int y, int m, int d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The ISO week "YYYY-Www" of a date (weeks from Monday; week 1 holds the first Thursday). */
static void iso_week_text(char *buf, size_t sz, int y, int m, int d)
{
    long days = days_of(y, m, d);
    long wd = ((days + 3) % 7 + 7) % 7; /* Monday 0: 1970-01-01 was a Thursday */
    long thu = days - wd + 3;
    int wy = y + 1;
    while (days_of(wy, 1, 1) > thu)
        wy--;
    snprintf(buf, sz, "%04d-W%02ld", wy, (thu - days_of(wy, 1, 1)) / 7 + 1);
}

/* The period of `ms` in the plant's zone: its month "YYYY-MM" or ISO week. */
static void period_of(char *buf, size_t sz, const capa_plant *p, int64_t ms, int week)
{
    char iso[40] = "";
    int y = 0, mo = 0, d = 0;
    if (p)
        capa_plant_time_format(iso, sizeof iso, p, ms);
    else
        capa_time_format(iso, sizeof iso, ms);
    if (sscanf(iso, "%d-%d-%d", &y, &mo, &d) != 3)
        y = 1970, mo = 1, d = 1;
    if (week)
        iso_week_text(buf, sz, y, mo, d);
    else
        snprintf(buf, sz, "%04d-%02d", y, mo);
}

/* "2026-11" or "2026-W49" and how they are gathered; -1 when the text is neither shape. */
static int period_kind(const char *text, capa_period_kind *kind)
{
    size_t n = strlen(text);
    if (n == 7 && strspn(text, "0123456789-") == 7 && text[4] == '-')
        *kind = CAPA_PERIOD_MONTH;
    else if (n == 8 && text[4] == '-' && text[5] == 'W' && strspn(text, "0123456789") == 4 &&
             strspn(text + 6, "0123456789") == 2)
        *kind = CAPA_PERIOD_WEEK;
    else
        return -1;
    return 0;
}

static void report_counts(sv_view *v, xmlNodePtr parent, const char *name, const char *zh,
                          const char *en, const capa_stat_counts *c, const capa_field *choices,
                          int pareto)
{
    xmlNodePtr b = sv_el(v, parent, "breakdown");
    sv_at(v, b, "name", name);
    sv_label(v, b, zh, en);
    sv_atf(v, b, "total", "%llu", (unsigned long long)c->total);
    for (size_t i = 0; i < c->n; i++) {
        if (!pareto && c->v[i].count == 0 && choices)
            continue; /* the choices nobody chose */
        xmlNodePtr row = sv_el(v, b, "row");
        if (choices)
            choice_label(v, row, choices, c->v[i].key);
        else
            sv_label(v, row, c->v[i].key[0] ? c->v[i].key : "（未填）",
                     c->v[i].key[0] ? c->v[i].key : "(not given)");
        sv_atf(v, row, "count", "%llu", (unsigned long long)c->v[i].count);
        if (pareto)
            sv_atf(v, row, "cum", "%.1f", capa_report_round(c->v[i].cumulative_percent, 1));
    }
}

static const char *L(sv_req *r, const char *zh, const char *en)
{
    return r->lang == SV_LANG_EN ? en : zh;
}

/* The charts' data for static/report.js (no inline script: a data attribute, escaped by the
 * serializer like every attribute). */
static char *chart_json(sv_req *r, const capa_monthly *m)
{
    json_t *d = json_object(), *pl = json_array(), *pc = json_array(), *pcum = json_array(),
           *tl = json_array(), *to = json_array(), *tc = json_array(), *l = json_object();
    char *out = NULL;
    if (!d || !pl || !pc || !pcum || !tl || !to || !tc || !l)
        goto done;
    for (size_t i = 0; i < m->by_defect.n; i++) {
        const capa_stat_count *c = &m->by_defect.v[i];
        json_array_append_new(pl, json_string(c->key[0] ? c->key : "-"));
        json_array_append_new(pc, json_integer((json_int_t)c->count));
        json_array_append_new(pcum, json_real(capa_report_round(c->cumulative_percent, 1)));
    }
    for (size_t i = 0; i < 12; i++) {
        json_array_append_new(tl, json_string(m->trend[i].label));
        json_array_append_new(to, json_integer((json_int_t)m->trend[i].opened));
        json_array_append_new(tc, json_integer((json_int_t)m->trend[i].closed));
    }
    json_object_set_new(l, "count", json_string(L(r, "件数", "Cases")));
    json_object_set_new(l, "cumulative", json_string(L(r, "累计 %", "Cumulative %")));
    json_object_set_new(l, "opened", json_string(L(r, "新增", "Opened")));
    json_object_set_new(l, "closed", json_string(L(r, "结案", "Closed")));
    json_object_set_new(d, "pareto", json_pack("{s:O,s:O,s:O}", "labels", pl, "counts", pc,
                                               "cumulative", pcum));
    json_object_set_new(d, "trend",
                        json_pack("{s:O,s:O,s:O}", "labels", tl, "opened", to, "closed", tc));
    json_object_set_new(d, "l", l);
    l = NULL;
    out = json_dumps(d, JSON_COMPACT | JSON_ENSURE_ASCII);
done:
    json_decref(d);
    json_decref(pl);
    json_decref(pc);
    json_decref(pcum);
    json_decref(tl);
    json_decref(to);
    json_decref(tc);
    json_decref(l);
    return out;
}

static void page_report(sv_req *r, const char *period)
{
    capa_period_kind kind;
    capa_monthly *m = NULL;
    capa_plant *p = NULL;
    char buf[64];
    if (period_kind(period, &kind)) {
        sv_page_said(r, 404, "request.report_period", period,
                     "a report is /reports/YYYY-MM (a month) or /reports/YYYY-Www (an ISO week)");
        return;
    }
    int rc = capa_stats_period(&m, r->srv->s, kind, period, NULL, 0);
    if (rc) {
        error_capa(r, rc);
        return;
    }
    capa_plant_get(&p, r->srv->s);
    int week = kind == CAPA_PERIOD_WEEK;
    sv_view v;
    xmlNodePtr root = page(&v, r, "report", week ? "质量周报" : "质量月报",
                           week ? "Weekly quality report" : "Monthly quality report");
    xmlNodePtr n = sv_el(&v, root, "report");
    sv_at(&v, n, "period", m->period_text);
    sv_at(&v, n, "kind", week ? "week" : "month");
    sv_at(&v, n, "from", m->from_text);
    sv_at(&v, n, "to", m->to_text);
    plant_time(&v, sv_el(&v, n, "as-of"), p, m->as_of);
    sv_at(&v, n, "prev", m->trend[10].label);
    if (m->as_of >= m->end) {
        period_of(buf, sizeof buf, p, m->end, week);
        sv_at(&v, n, "next", buf);
    }
    period_of(buf, sizeof buf, p, m->start, !week); /* the other kind, for the switch */
    sv_at(&v, n, "other", buf);
    xmlNodePtr f = sv_el(&v, n, "figures");
#define FIG(key, zh, en, ...)                                                                      \
    do {                                                                                           \
        xmlNodePtr x_ = sv_el(&v, f, "fig");                                                      \
        sv_at(&v, x_, "key", key);                                                                \
        sv_label(&v, x_, zh, en);                                                                 \
        sv_atf(&v, x_, "value", __VA_ARGS__);                                                     \
    } while (0)
    FIG("opened", "新增投诉", "Opened", "%llu", (unsigned long long)m->opened);
    FIG("closed", "结案", "Closed", "%llu", (unsigned long long)m->closed);
    FIG("open_at_end", "期末未结", "Open at the end", "%llu", (unsigned long long)m->open_at_end);
    FIG("ttc_mean", "平均结案天数", "Mean days to close", "%.2f",
        capa_report_round(m->ttc_mean_hours / 24.0, 2));
    FIG("ttc_median", "结案天数中位数", "Median days to close", "%.2f",
        capa_report_round(m->ttc_median_hours / 24.0, 2));
    if (m->on_time_overall >= 0)
        FIG("on_time", "按时率", "On time", "%.1f %%",
            capa_report_round(m->on_time_overall * 100.0, 1));
    else
        FIG("on_time", "按时率", "On time", "%s", "-");
    FIG("second_rounds", "二次处理", "Second rounds", "%llu",
        (unsigned long long)m->second_rounds);
    FIG("recurrences", "再发", "Recurrences", "%zu", m->n_recurrences);
#undef FIG
    report_counts(&v, n, "by_defect", "缺陷代码（柏拉图）", "By defect (Pareto)", &m->by_defect,
                  NULL, 1);
    report_counts(&v, n, "by_severity", "严重度", "By severity", &m->by_severity,
                  intake_severity(r), 0);
    report_counts(&v, n, "by_customer", "客户", "By customer", &m->by_customer, NULL, 0);
    report_counts(&v, n, "by_part", "料号", "By part", &m->by_part, NULL, 0);
    for (size_t i = 0; i < m->n_on_time; i++) {
        xmlNodePtr o = sv_el(&v, n, "ontime");
        const capa_workflow *wf = NULL;
        capa_store_workflow(&wf, r->srv->s);
        limit_kind(&v, o, wf, m->on_time[i].kind);
        sv_atf(&v, o, "due", "%llu", (unsigned long long)m->on_time[i].due);
        sv_atf(&v, o, "met", "%llu", (unsigned long long)m->on_time[i].on_time);
        if (m->on_time[i].rate >= 0)
            sv_atf(&v, o, "rate", "%.1f %%", capa_report_round(m->on_time[i].rate * 100.0, 1));
    }
    for (size_t i = 0; i < m->n_overdue; i++) {
        xmlNodePtr o = sv_el(&v, n, "overdue");
        const capa_workflow *wf = NULL;
        capa_store_workflow(&wf, r->srv->s);
        sv_at(&v, o, "number", m->overdue[i].number);
        limit_kind(&v, o, wf, m->overdue[i].kind);
        plant_time(&v, sv_el(&v, o, "due"), p, m->overdue[i].due);
        span_text(buf, sizeof buf, m->overdue[i].late_ms);
        sv_at(&v, o, "over", buf);
    }
    for (size_t i = 0; i < 12; i++) {
        xmlNodePtr t = sv_el(&v, n, "trend");
        sv_at(&v, t, "label", m->trend[i].label);
        sv_atf(&v, t, "opened", "%llu", (unsigned long long)m->trend[i].opened);
        sv_atf(&v, t, "closed", "%llu", (unsigned long long)m->trend[i].closed);
    }
    char *js = chart_json(r, m);
    sv_at_exact(&v, sv_el(&v, n, "chart"), "data", js ? js : "{}");
    free(js);
    sv_view_render(&v, r);
    capa_plant_free(p);
    capa_monthly_free(m);
}

/* GET /reports/PERIOD.(pdf|xlsx|csv|json): made by the reports/ code `capa report` uses, from
 * verified data only (capa_report_period replays the store first; a store that does not
 * replay gets no report, the page names the first mismatch). The PDF is signed with the
 * organisation's key. Files go to a private temporary directory, never a fixed path. */
static void send_report(sv_req *r, const char *period, const char *ext)
{
    capa_period_kind kind;
    capa_monthly *m = NULL;
    capa_plant *p = NULL;
    char dir[4096], path[4200], key[4200], crt[4200], name[80], file[16];
    int fmt = !strcmp(ext, "pdf") ? 0 : !strcmp(ext, "csv") ? 1 : !strcmp(ext, "json") ? 2 : 3;
    if (period_kind(period, &kind)) {
        sv_page_said(r, 404, "request.report_period", period,
                     "a report is /reports/YYYY-MM (a month) or /reports/YYYY-Www (an ISO week)");
        return;
    }
    int rc = capa_report_period(&m, r->srv->s, kind, period, NULL, 0);
    if (rc == CAPA_OK)
        rc = capa_plant_get(&p, r->srv->s);
    if (rc) {
        char *msg = sv_error_text(r, rc);
        error_page(r, sv_status_of(rc), msg ? msg : capa_strerror(rc));
        free(msg);
        goto done;
    }
    snprintf(name, sizeof name, "capa-report-%s.%s", period, ext);
    if (fmt == 1 || fmt == 2) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        if (f && fmt == 1) {
            capa_report_monthly_csv(f, m, p);
        } else if (f) {
            json_t *d = capa_report_monthly_json(m, p);
            if (!d || json_dumpf(d, f, JSON_INDENT(2)) != 0)
                fputc(0, f), len = 0;
            else
                fputc('\n', f);
            json_decref(d);
        }
        if (!f || fclose(f) != 0 || !len) {
            free(text);
            sv_page_said(r, 500, "request.oom", NULL, "out of memory");
            goto done;
        }
        sv_buf_free(&r->out);
        sv_buf_put(&r->out, text, len);
        free(text);
        r->status = 200;
        r->type = fmt == 1 ? "text/csv; charset=utf-8" : "application/json";
        free(r->disposition);
        r->disposition = disposition("attachment", name);
        goto done;
    }
    if (private_dir(r, dir, sizeof dir))
        goto done;
    snprintf(file, sizeof file, "report.%s", ext);
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if (fmt == 0) {
        snprintf(key, sizeof key, "%s/org.key", r->srv->keys_dir);
        snprintf(crt, sizeof crt, "%s/org.crt", r->srv->keys_dir);
        capa_monthly_opts o = {.font_path = r->srv->font, .key_path = key, .cert_path = crt};
        rc = capa_report_monthly_pdf(r->srv->s, m, path, &o);
    } else {
        rc = capa_report_monthly_xlsx(r->srv->s, m, path);
    }
    if (rc == CAPA_OK &&
        send_file(r, path,
                  fmt == 0 ? "application/pdf"
                           : "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                  name))
        rc = capa_error_set(CAPA_ERROR, "report %s: cannot read it back", period);
    rm_private_dir(dir, file);
    if (rc)
        error_capa(r, rc);
done:
    capa_plant_free(p);
    capa_monthly_free(m);
}

/* /reports: this month's report (plant time), or the month or week chosen in its form. */
static void reports_index(sv_req *r)
{
    const char *q = sv_params_get(&r->query, "period");
    char buf[64];
    capa_period_kind kind;
    if (q && *q) {
        if (period_kind(q, &kind)) {
            sv_reason w;
            sv_page_reason(r, 400,
                           sv_param_refused(&w, "period", "报表期间", q, SV_PERIOD_ZH,
                                            "YYYY-MM (a month) or YYYY-Www (an ISO week)",
                                            "period: expected YYYY-MM (a month) or YYYY-Www (an "
                                            "ISO week)"));
            return;
        }
        redirect(r, "/reports/", q);
        return;
    }
    capa_plant *p = NULL;
    capa_plant_get(&p, r->srv->s);
    period_of(buf, sizeof buf, p, wall_ms(), 0);
    capa_plant_free(p);
    redirect(r, "/reports/", buf);
}

/* ---- escalations: due soon, overdue and escalated cases for the user's role ---- */

typedef struct esc_list {
    char **numbers;
    size_t n, cap;
    int oom;
} esc_list;

static int esc_collect(const capa_case_header *h, void *payload)
{
    esc_list *l = payload;
    if (l->n == DASH_MAX_LIMITS)
        return 1;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        char **v = realloc(l->numbers, cap * sizeof *v);
        if (!v) {
            l->oom = 1;
            return 1;
        }
        l->numbers = v;
        l->cap = cap;
    }
    if (!(l->numbers[l->n] = strdup(h->number))) {
        l->oom = 1;
        return 1;
    }
    l->n++;
    return 0;
}

/* Whether the space-separated role list `to` names `role`. */
static int roles_name(const char *to, const char *role)
{
    size_t n = strlen(role);
    for (const char *p = to; p && *p;) {
        const char *e = strchr(p, ' ');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && n && strncmp(p, role, n) == 0)
            return 1;
        p = e ? e + 1 : NULL;
    }
    return 0;
}

/* /escalations: every limit of an open case that is due soon or overdue, and every
 * escalation sent for an open case - of the cases the user's role works on now (fills in,
 * signs or sends back the current stage) or that were escalated to it; `?all=1` every open
 * case. The limits are the engine's (capa_case_limits, `?at=` as on the dashboard), the
 * escalations what `capa escalate` recorded (capa_case_escalations). Up to 2000 open cases. */
static void page_escalations(sv_req *r)
{
    esc_list l = {0};
    capa_plant *p = NULL;
    char role[64];
    int64_t now;
    int all = sv_params_get(&r->query, "all") != NULL;
    if (limits_at(r, &now))
        return;
    user_role(r, role, sizeof role);
    capa_plant_get(&p, r->srv->s);
    capa_filter f = {.closed = 0};
    int rc = capa_case_list(r->srv->s, &f, esc_collect, &l);
    if ((rc && rc != 1) || l.oom) {
        if (l.oom)
            sv_page_said(r, 500, "request.oom", NULL, "out of memory");
        else
            error_capa(r, rc);
        goto done;
    }
    sv_view v;
    xmlNodePtr root = page(&v, r, "escalations", "升级与逾期", "Escalations");
    xmlNodePtr lst = sv_el(&v, root, "escalations");
    if (all)
        sv_at(&v, lst, "all", "1");
    sv_at(&v, lst, "role", role);
    for (size_t i = 0; i < l.n; i++) {
        capa_case *cs = NULL;
        const capa_workflow *wf = NULL;
        capa_limit_status *ls = NULL;
        capa_escalation_info *e = NULL;
        size_t nl = 0, ne = 0;
        if (capa_case_get(&cs, r->srv->s, l.numbers[i]) != CAPA_OK ||
            capa_case_workflow(&wf, r->srv->s, cs) != CAPA_OK) {
            capa_case_free(cs);
            continue;
        }
        const capa_stage *st = capa_workflow_stage(wf, cs->stage);
        int mine = st && (capa_role_in(st->editors, st->n_editors, role) ||
                          capa_role_in(st->signers, st->n_signers, role) ||
                          capa_role_in(st->rejecters, st->n_rejecters, role));
        capa_case_escalations(r->srv->s, cs->number, &e, &ne);
        for (size_t k = 0; k < ne && !mine; k++)
            mine = e[k].to && roles_name(e[k].to, role);
        if ((mine || all) && capa_case_limits(&ls, &nl, r->srv->s, cs, now) == CAPA_OK) {
            for (size_t k = 0; k < nl; k++) {
                int over = strcmp(ls[k].state, "overdue") == 0;
                if (!over && strcmp(ls[k].state, "due_soon") != 0)
                    continue;
                xmlNodePtr row = limit_view(&v, lst, wf, p, &ls[k], now);
                case_head(&v, row, wf, cs);
                for (size_t j = 0; j < ne; j++)
                    if (e[j].limit && strcmp(e[j].limit, ls[k].kind) == 0)
                        esc_view(&v, row, r, p, &e[j]);
            }
            for (size_t j = 0; j < ne; j++) {
                xmlNodePtr x = sv_el(&v, lst, "sent");
                case_head(&v, x, wf, cs);
                limit_kind(&v, x, wf, e[j].limit ? e[j].limit : "");
                esc_view(&v, x, r, p, &e[j]);
            }
        }
        capa__free(ls);
        capa_escalations_free(e, ne);
        capa_case_free(cs);
    }
    sv_view_render(&v, r);
done:
    for (size_t i = 0; i < l.n; i++)
        free(l.numbers[i]);
    free(l.numbers);
    capa_plant_free(p);
}

/* ---- routing ---- */

void sv_req_lang(sv_req *r)
{
    char v[8];
    const char *q = sv_params_get(&r->query, "lang");
    if (q) {
        r->lang = !strcmp(q, "zh") ? SV_LANG_ZH : !strcmp(q, "en") ? SV_LANG_EN : SV_LANG_BOTH;
        sv_req_cookie(r, "capa_lang=%s; Path=/; SameSite=Strict",
                      r->lang == SV_LANG_ZH ? "zh" : r->lang == SV_LANG_EN ? "en" : "both");
    } else if (sv_cookie_get(v, sizeof v, r->cookie, "capa_lang") == 0) {
        r->lang = !strcmp(v, "zh") ? SV_LANG_ZH : !strcmp(v, "en") ? SV_LANG_EN : SV_LANG_BOTH;
    } else {
        r->lang = r->srv->page_lang;
    }
}

/* ---- notices (docs/notify.md): what reached me, and the outbox for admins ---- */

#define NOTICES_SHOWN 200

static void notice_view(sv_view *v, xmlNodePtr parent, const capa_plant *p,
                        const capa_notice *x)
{
    xmlNodePtr n = sv_el(v, parent, "notice");
    sv_atf(v, n, "event", "%llu", (unsigned long long)x->seq);
    sv_at(v, n, "kind", x->kind);
    sv_at(v, n, "number", x->number);
    sv_at(v, n, "stage", x->stage);
    sv_at(v, n, "from", x->from);
    sv_at(v, n, "actor", x->actor);
    if (x->target)
        sv_at(v, n, "target", x->target);
    if (x->pending)
        sv_at(v, n, "pending", "1");
    if (*x->reason)
        sv_el_text(v, n, "reason", x->reason, 0);
    plant_time(v, sv_el(v, n, "when"), p, x->time);
    for (size_t i = 0; i < x->n_to; i++) {
        xmlNodePtr t = sv_el(v, n, "to");
        sv_at(v, t, "user", x->to[i].user);
        sv_at(v, t, "name", *x->to[i].name ? x->to[i].name : x->to[i].user);
        sv_at(v, t, "why", x->to[i].why);
    }
}

void sv_page_contact(sv_view *v, xmlNodePtr parent, sv_req *r, const char *user)
{
    /* The kinds of CAPA_NOTICE_KINDS, in its order, as the reader chooses them. */
    static const struct {
        const char *id, *zh, *en;
    } kinds[] = {
        {"stage", "案件进入我填写或签核的阶段", "A case enters a stage I fill in or sign"},
        {"returned", "案件被退回到我的阶段", "A case is sent back to a stage of mine"},
        {"handover", "我首问负责的案件移交下一阶段", "A case I own (first contact) is handed over"},
        {"closed", "我首问负责的案件结案", "A case I own (first contact) is closed"},
        {"owner", "我成为案件的首问负责人", "I am made a case's first-contact owner"},
    };
    capa_contact *c = NULL;
    if (capa_user_contact(&c, r->srv->s, user) != CAPA_OK) {
        capa_contact_free(c);
        return;
    }
    xmlNodePtr n = sv_el(v, parent, "contact");
    sv_at(v, n, "user", user);
    sv_at_exact(v, n, "mobile", c->mobile);
    sv_at_exact(v, n, "email", c->email);
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
        xmlNodePtr k = sv_el(v, n, "kind");
        sv_at(v, k, "id", kinds[i].id);
        sv_label(v, k, kinds[i].zh, kinds[i].en);
        if (roles_name(c->notify, kinds[i].id)) /* a space-separated list, as roles are */
            sv_at(v, k, "on", "1");
    }
    capa_contact_free(c);
}

const char *sv_page_notify_param(char *buf, size_t sz, const sv_params *p)
{
    size_t o = 0;
    if (!sv_params_get(p, "notify_form"))
        return NULL;
    buf[0] = '\0';
    for (size_t i = 0; i < p->n; i++) {
        if (strcmp(p->v[i].name, "notify") != 0 || !*p->v[i].value)
            continue;
        int w = snprintf(buf + o, sz - o, "%s%s", o ? " " : "", p->v[i].value);
        if (w < 0 || (size_t)w >= sz - o)
            break; /* more than the kinds there are: the engine names the odd one */
        o += (size_t)w;
    }
    return o ? buf : "none";
}

/* GET /notices: what reached me, and my own contact and notice choices; POST /notices
 * changes those (capa_user_set_contact as `capa user set`, my password typed again). A
 * refusal shows the page again with the engine's message and its status. */
static void page_notices(sv_req *r, const char *msg)
{
    capa_notice *a = NULL;
    capa_plant *p = NULL;
    size_t n = 0;
    char role[64];
    int rc = capa_plant_get(&p, r->srv->s);
    if (!rc)
        rc = capa_notices_for(&a, &n, r->srv->s, r->sess.user, NOTICES_SHOWN);
    if (rc) {
        error_capa(r, rc);
        goto done;
    }
    user_role(r, role, sizeof role);
    sv_view v;
    xmlNodePtr root = page(&v, r, "notices", "我的通知", "My notices");
    if (msg)
        sv_el_text(&v, root, "error", msg, 0);
    if (sv_params_get(&r->query, "done"))
        sv_at(&v, sv_el(&v, root, "done"), "what", "contact");
    xmlNodePtr list = sv_el(&v, root, "notices");
    if (strcmp(role, "admin") == 0)
        sv_at(&v, list, "admin", "1");
    for (size_t i = 0; i < n; i++)
        notice_view(&v, list, p, &a[i]);
    sv_page_contact(&v, root, r, r->sess.user);
    sv_view_render(&v, r);
done:
    capa_notices_free(a, n);
    capa_plant_free(p);
}

static void do_notices(sv_req *r)
{
    sv_params p = {0};
    char kinds[256];
    if (post_params(r, &p, 1))
        return;
    capa_actor who = {r->sess.user, param(&p, "password")};
    int rc;
    if (sv_throttle_begin(r->sess.user, r->ip, &r->retry_after)) {
        char *msg = sv_said(r, "request.throttled", NULL,
                            "too many password attempts: wait a moment and try again");
        page_notices(r, msg ? msg : "too many password attempts");
        free(msg);
        r->status = 429;
        goto done;
    }
    rc = capa_user_set_contact(r->srv->s, &who, r->sess.user, sv_params_get(&p, "mobile"),
                               sv_params_get(&p, "email"),
                               sv_page_notify_param(kinds, sizeof kinds, &p));
    sv_throttle_end(r->sess.user, r->ip, sv_throttle_outcome(rc));
    if (rc == CAPA_OK)
        redirect(r, "/notices?done=contact", NULL);
    else {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s",
                 capa_error_last()[0] ? capa_error_last() : capa_strerror(rc));
        sv_buf_free(&r->out);
        page_notices(r, msg);
        r->status = sv_status_of(rc);
    }
done:
    for (size_t i = 0; i < p.n; i++)
        explicit_bzero(p.v[i].value, strlen(p.v[i].value));
    sv_params_clear(&p);
}

/* The outbox: every delivery waiting, each target's state; POST retry=TARGET clears its
 * back-off. Admins only. */
static void page_outbox(sv_req *r, int post)
{
    capa_notice *a = NULL;
    capa_notify_target *t = NULL;
    capa_plant *p = NULL;
    size_t n = 0, nt = 0;
    char role[64];
    user_role(r, role, sizeof role);
    if (strcmp(role, "admin") != 0) {
        sv_page_said(r, 403, "request.outbox_admin", NULL, "the outbox is for admins");
        return;
    }
    if (post) {
        sv_params prm = {0};
        if (post_params(r, &prm, 1))
            return;
        const char *target = sv_params_get(&prm, "retry");
        int err = target ? notify_retry(r->srv->s, target) : CAPA_EINVALID;
        sv_params_clear(&prm);
        if (err) {
            sv_page_said(r, 400, "request.retry_target", NULL, "retry: name a target");
            return;
        }
        redirect(r, "/notices/outbox", NULL);
        return;
    }
    int rc = capa_plant_get(&p, r->srv->s);
    if (!rc)
        rc = capa_notify_targets(&t, &nt, r->srv->s);
    if (!rc)
        rc = capa_notices_pending(&a, &n, r->srv->s);
    if (rc) {
        error_capa(r, rc);
        goto done;
    }
    sv_view v;
    xmlNodePtr root = page(&v, r, "outbox", "通知发送队列", "Notice outbox");
    xmlNodePtr targets = sv_el(&v, root, "targets");
    for (size_t i = 0; i < nt; i++) {
        xmlNodePtr x = sv_el(&v, targets, "target");
        int attempts = 0;
        int64_t next = 0, ok = 0;
        char *error = NULL;
        size_t waiting = 0;
        for (size_t j = 0; j < n; j++)
            waiting += strcmp(a[j].target, t[i].name) == 0;
        sv_at(&v, x, "name", t[i].name);
        sv_at(&v, x, "kind", t[i].kind);
        sv_at(&v, x, "url", t[i].shown);
        sv_atf(&v, x, "waiting", "%zu", waiting);
        if (t[i].signed_)
            sv_at(&v, x, "signed", "1");
        if (notify_state(r->srv->s, t[i].name, &attempts, &next, &ok, &error) == CAPA_OK) {
            if (attempts) {
                sv_atf(&v, x, "failed", "%d", attempts);
                sv_el_text(&v, x, "error", error ? error : "", 0);
                plant_time(&v, sv_el(&v, x, "next"), p, next);
            }
            plant_time(&v, sv_el(&v, x, "delivered"), p, ok);
        }
        capa__free(error);
    }
    xmlNodePtr list = sv_el(&v, root, "notices");
    for (size_t i = 0; i < n; i++)
        notice_view(&v, list, p, &a[i]);
    sv_view_render(&v, r);
done:
    capa_notices_free(a, n);
    capa_notify_targets_free(t, nt);
    capa_plant_free(p);
}

void sv_pages_handle(sv_req *r)
{
    const char *path = r->path, *m = r->method;
    int get = strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0, post = strcmp(m, "POST") == 0;
    sv_req_lang(r);
    if (r->bad_query) {
        char *msg = sv_word_request(r, "request.query", NULL, NULL, "malformed query string");
        error_page(r, 400, msg ? msg : "malformed query string");
        free(msg);
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
            not_allowed(r, "GET, HEAD, POST");
        return;
    }
    if (r->upload_early) {
        /* An upload's header (http.c): without a session it is answered before its body. */
        if (!r->have_sess)
            redirect(r, "/login", NULL);
        return;
    }
    if (!r->have_sess) {
        if (post && keep_path_ok(path)) {
            login_keep(r);
            return;
        }
        if (strcmp(path, "/") == 0 || strncmp(path, "/cases", 6) == 0 ||
            strncmp(path, "/reports", 8) == 0 || strcmp(path, "/escalations") == 0 ||
            strcmp(path, "/logout") == 0 || strncmp(path, "/admin", 6) == 0 ||
            strncmp(path, "/notices", 8) == 0)
            redirect(r, "/login", NULL);
        else
            sv_page_said(r, 404, "request.not_found", NULL, "not found");
        if (post && r->status == 303)
            r->status = 303;
        return;
    }
    if (strcmp(path, "/") == 0 || strcmp(path, "/cases") == 0 ||
        strcmp(path, "/cases.csv") == 0) {
        if (!get)
            not_allowed(r, "GET, HEAD");
        else if (path[1] == '\0')
            page_dashboard(r);
        else
            page_list(r, path[6] == '.');
    } else if (strcmp(path, "/logout") == 0) {
        if (post)
            do_logout(r);
        else
            not_allowed(r, "POST");
    } else if (strcmp(path, "/escalations") == 0) {
        if (get)
            page_escalations(r);
        else
            not_allowed(r, "GET, HEAD");
    } else if (strcmp(path, "/reports") == 0 || strncmp(path, "/reports/", 9) == 0) {
        const char *per = path[8] ? path + 9 : NULL, *dot = per ? strrchr(per, '.') : NULL;
        char pbuf[32];
        if (!get) {
            not_allowed(r, "GET, HEAD");
        } else if (!per) {
            reports_index(r);
        } else if (!dot) {
            page_report(r, per);
        } else if ((size_t)(dot - per) < sizeof pbuf &&
                   (!strcmp(dot, ".pdf") || !strcmp(dot, ".xlsx") || !strcmp(dot, ".csv") ||
                    !strcmp(dot, ".json"))) {
            memcpy(pbuf, per, (size_t)(dot - per));
            pbuf[dot - per] = '\0';
            send_report(r, pbuf, dot + 1);
        } else {
            sv_page_said(r, 404, "request.not_found", NULL, "not found");
        }
    } else if (strcmp(path, "/notices") == 0) {
        if (get)
            page_notices(r, NULL);
        else if (post)
            do_notices(r);
        else
            not_allowed(r, "GET, HEAD, POST");
    } else if (strcmp(path, "/notices/outbox") == 0) {
        if (get || post)
            page_outbox(r, post);
        else
            not_allowed(r, "GET, HEAD, POST");
    } else if (strcmp(path, "/cases/new") == 0) {
        if (get || post)
            page_new(r, post);
        else
            not_allowed(r, "GET, HEAD, POST");
    } else if (strncmp(path, "/cases/", 7) == 0) {
        char number[128];
        const char *rest = path + 7, *slash = strchr(rest, '/');
        size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
        const char *sub = slash ? slash : "";
        if (n == 0 || n >= sizeof number) {
            sv_page_said(r, 404, "request.not_found", NULL, "not found");
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
        else if (!strcmp(sub, "/attachments") && post)
            do_attach(r, number);
        else if (!strncmp(sub, "/attachments/", 13) && !strchr(sub + 13, '/') && get)
            send_attachment(r, number, sub + 13);
        else if (!strcmp(sub, "/attachments"))
            not_allowed(r, "POST");
        else if (!strncmp(sub, "/attachments/", 13) && !strchr(sub + 13, '/'))
            not_allowed(r, "GET, HEAD");
        else if (!*sub || !strcmp(sub, "/dossier.pdf"))
            not_allowed(r, "GET, HEAD");
        else if (!strcmp(sub, "/edit") || !strcmp(sub, "/sign"))
            not_allowed(r, "GET, HEAD, POST");
        else if (!strcmp(sub, "/reject"))
            not_allowed(r, "POST");
        else
            sv_page_said(r, 404, "request.not_found", NULL, "not found");
    } else if (strcmp(path, "/admin") == 0 || strncmp(path, "/admin/", 7) == 0) {
        sv_admin_handle(r);
    } else {
        sv_page_said(r, 404, "request.not_found", NULL, "not found");
    }
}

/* ---- for the other page files (admin.c): the same layout, errors and form checks ---- */

xmlNodePtr sv_page_begin(sv_view *v, sv_req *r, const char *kind, const char *zh, const char *en)
{
    return page(v, r, kind, zh, en);
}

void sv_page_error(sv_req *r, int status, const char *msg)
{
    error_page(r, status, msg);
}

void sv_page_csrf_refused(sv_req *r)
{
    char *msg = sv_word_request(r, "request.csrf", NULL, NULL, "missing or wrong CSRF token: reload the page and try again");
    error_page(r, 403, msg ? msg : "missing or wrong CSRF token: reload the page and try again");
    free(msg);
}

int sv_page_post(sv_req *r, sv_params *p)
{
    return post_params(r, p, 1);
}

void sv_page_redirect(sv_req *r, const char *path)
{
    redirect(r, path, NULL);
}

void sv_page_role(sv_view *v, xmlNodePtr n, sv_req *r, const char *role)
{
    role_attrs(v, n, r, role);
}

void sv_page_time(sv_view *v, xmlNodePtr n, const capa_plant *p, int64_t ms)
{
    plant_time(v, n, p, ms);
}
