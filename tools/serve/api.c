/*
 * api.c - the JSON API of capa serve under /api/v1 (jansson), same rules as the pages.
 *
 * A session is made with POST /api/v1/session {"user","password"} and used as
 * "Authorization: Bearer TOKEN" (no cookie, hence no CSRF exposure). Changes go through
 * capa_submit, so requests that arrive together commit together (group commit), each with
 * its own audit event and result. A signature or rejection takes the password in its own
 * body: the token alone never signs. Errors are
 * {"error": {"code", "message", "fields": [{"field", "value", "rule"}]}}.
 * Shapes follow `capa list --json` and `capa show --json` (the case without the per-field
 * labels of "fields"; "values" has every stored value).
 */
#include "serve.h"

#include <strings.h>

#include "lang.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sv_send_dossier(sv_req *r, const char *number, int api);

static const char *code_name(int code)
{
    switch (code) {
    case CAPA_EINVALID:
        return "invalid";
    case CAPA_EAUTH:
        return "unauthorized";
    case CAPA_ELOCKED:
        return "locked";
    case CAPA_EDENIED:
        return "denied";
    case CAPA_ENOTFOUND:
        return "not_found";
    case CAPA_ESTATE:
        return "state";
    case CAPA_EEXISTS:
        return "exists";
    case CAPA_EFULL:
        return "full";
    default:
        return "error";
    }
}

static json_t *jstr(const char *s)
{
    return s ? json_stringn_nocheck(s, strlen(s)) : json_null();
}

static json_t *jtime(int64_t ms)
{
    char t[40];
    if (!ms)
        return json_null();
    capa_time_format(t, sizeof t, ms);
    return json_string(t);
}

static void send_json(sv_req *r, int status, json_t *doc)
{
    char *s = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_ENSURE_ASCII) : NULL;
    json_decref(doc);
    r->type = "application/json";
    r->status = s ? status : 500;
    sv_buf_puts(&r->out, s ? s : "{\"error\": {\"code\": \"error\", \"message\": \"out of memory\"}}");
    sv_buf_puts(&r->out, "\n");
    free(s);
}

/* The language the client asked for: ?lang=zh|en|both, else the first zh or en of
 * Accept-Language, else the session's (the capa_lang cookie of the pages); -1: none. */
int sv_api_lang(sv_req *r)
{
    char v[8];
    int l = capa_lang_parse(sv_params_get(&r->query, "lang"));
    if (l >= 0)
        return l;
    const char *al = sv_req_header(r, "Accept-Language");
    for (const char *p = al; p && *p;) {
        p += strspn(p, " ,");
        size_t len = strcspn(p, ",");
        char tag[64];
        snprintf(tag, sizeof tag, "%.*s", (int)(len < sizeof tag ? len : sizeof tag - 1), p);
        const char *q = strstr(tag, "q=");
        int refused = q && strtod(q + 2, NULL) <= 0; /* "zh;q=0": not wanted */
        if (!refused && !strncasecmp(tag, "zh", 2))
            return CAPA_LANG_ZH;
        if (!refused && !strncasecmp(tag, "en", 2))
            return CAPA_LANG_EN;
        p += len;
    }
    if (sv_cookie_get(v, sizeof v, r->cookie, "capa_lang") == 0)
        return capa_lang_parse(v);
    return -1;
}

static void send_error_ref(sv_req *r, int status, const char *code, const char *msg,
                           const char *said, const capa_refusal *ref);

/* What a body must hold, named in an error's message (as data: JSON, not words). */
#define API_LOGIN "{\"user\": string, \"password\": string}"
#define API_SIGN "{\"meaning\": string, \"password\": string}"
#define API_REJECT "{\"reason\": string, \"password\": string}"

/* An answer of the API's own (wordsb): `code` and the fields as before, the message worded
 * from *w in the language the client asked for; none asked: its English sentence, as the
 * engine's refusals. */
static void send_reason(sv_req *r, int status, const char *code, const sv_reason *w)
{
    char *msg = sv_reason_text(w, sv_api_lang(r));
    send_error_ref(r, status, code, w->english, msg, NULL);
    free(msg);
}

/* send_reason of `rule` with `value` (or NULL) and no parameter. */
static void send_said(sv_req *r, int status, const char *code, const char *rule, const char *value,
                      const char *english)
{
    sv_reason w;
    send_reason(r, status, code, sv_reason_set(&w, rule, value, "%s", english));
}

/* 405 on a known path: the methods it takes in the Allow header and the message. */
static void send_method(sv_req *r, const char *allow, const char *english)
{
    sv_reason w;
    r->allow = allow;
    sv_reason_set(&w, "api.method", NULL, "%s", english);
    send_reason(r, 405, "method", sv_reason_param(&w, "allow", allow));
}

/* 429: too many passwords from this user and address. */
static void send_throttled(sv_req *r, const char *english)
{
    sv_reason w;
    char secs[16];
    snprintf(secs, sizeof secs, "%d", r->retry_after > 0 ? r->retry_after : 1);
    sv_reason_set(&w, "request.throttled", NULL, "%s", english);
    send_reason(r, 429, "throttled", sv_reason_param(&w, "seconds", secs));
}

/* The error body: code, message, the fields parsed from the engine's message (as before)
 * and, for a refusal the engine gave as data, "refusal" with every violation's rule, field
 * and its labels, value and parameters; the message is then worded in the language the
 * client asked for (api_lang; none: the engine's English sentence, as before). `said`: the
 * server's own check already worded (send_reason), the fields parsed from its English `msg`. */
static void send_error_ref(sv_req *r, int status, const char *code, const char *msg,
                           const char *said, const capa_refusal *ref)
{
    int lang = sv_api_lang(r);
    /* No language asked: the engine's English, unless it names roles (by id; the catalogue's
     * English names them by label). */
    char *worded = ref && lang >= 0                   ? capa_lang_refusal(ref, (capa_lang)lang, 1)
                   : ref && capa_lang_names_role(ref) ? capa_lang_refusal(ref, CAPA_LANG_EN, 1)
                                                      : NULL;
    json_t *fields = json_array();
    sv_field_error *fe = NULL;
    size_t n = status == 400 ? sv_field_errors(&fe, msg) : 0;
    for (size_t i = 0; fields && i < n; i++)
        json_array_append_new(fields, json_pack("{s:o,s:o,s:o}", "field", jstr(fe[i].field),
                                                "value", jstr(fe[i].value), "rule",
                                                jstr(fe[i].rule)));
    sv_field_errors_free(fe, n);
    json_t *body = json_pack("{s:{s:s,s:o,s:o}}", "error", "code", code, "message",
                             jstr(worded ? worded
                                  : said ? said
                                         : msg),
                             "fields", fields ? fields : json_array());
    free(worded);
    json_t *e = body ? json_object_get(body, "error") : NULL;
    if (e && ref) {
        json_object_set_new(e, "lang", json_string(lang == CAPA_LANG_ZH     ? "zh"
                                                   : lang == CAPA_LANG_BOTH ? "both"
                                                                            : "en"));
        json_t *rj = sv_refusal_json(ref, lang >= 0 ? lang : CAPA_LANG_EN);
        if (rj)
            json_object_set_new(e, "refusal", rj);
    }
    send_json(r, status, body);
}

static void send_capa_error(sv_req *r, int rc, const char *msg)
{
    /* The refusal goes with the message only when it is this error's (same code, same
     * message as the engine's last). */
    const capa_refusal *ref = capa_refusal_last();
    if (ref && (ref->code != rc || !msg || strcmp(msg, capa_error_last()) != 0))
        ref = NULL;
    send_error_ref(r, sv_status_of(rc), code_name(rc), msg && *msg ? msg : capa_strerror(rc), NULL,
                   ref);
}

void sv_api_error(sv_req *r, int rc, const char *msg)
{
    sv_buf_free(&r->out);
    send_capa_error(r, rc, msg);
}

/* The JSON body; NULL after answering 400/415. */
static json_t *body_json(sv_req *r)
{
    json_error_t e;
    if (!r->content_type || strncmp(r->content_type, "application/json", 16) != 0) {
        sv_reason w;
        sv_reason_set(&w, "api.content_type", NULL, "expected Content-Type: application/json");
        send_reason(r, 415, "unsupported_media_type",
                    sv_reason_param(&w, "type", "application/json"));
        return NULL;
    }
    json_t *doc = json_loadb(r->body.p ? r->body.p : "", r->body.len,
                             JSON_REJECT_DUPLICATES, &e);
    if (!doc) {
        sv_reason w;
        char line[16], col[16];
        snprintf(line, sizeof line, "%d", e.line);
        snprintf(col, sizeof col, "%d", e.column);
        sv_reason_set(&w, "api.json_syntax", NULL, "malformed JSON at line %d column %d: %s",
                      e.line, e.column, e.text);
        sv_reason_param(sv_reason_param(&w, "line", line), "column", col);
        send_reason(r, 400, "malformed", sv_reason_param(&w, "detail", e.text));
        return NULL;
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        send_said(r, 400, "malformed", "api.json_object", NULL, "expected a JSON object");
        return NULL;
    }
    return doc;
}

static const char *jget(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v)
               ? json_string_value(v)
               : NULL;
}

static int auth(sv_req *r)
{
    const char *h = r->authorization;
    if (h && strncmp(h, "Bearer ", 7) == 0 && sv_session_load(r->srv, h + 7, &r->sess) == 0) {
        r->have_sess = 1;
        return 0;
    }
    sv_reason w;
    sv_reason_set(&w, "api.token", NULL, "no or expired token: POST /api/v1/session first");
    send_reason(r, 401, "unauthorized", sv_reason_param(&w, "path", "POST /api/v1/session"));
    return -1;
}

static void api_session(sv_req *r)
{
    if (strcmp(r->method, "DELETE") == 0) {
        if (auth(r))
            return;
        sv_session_end(r->srv, r->sess.hash);
        send_json(r, 200, json_pack("{s:b}", "ok", 1));
        return;
    }
    if (strcmp(r->method, "POST") != 0) {
        send_method(r, "POST, DELETE", "POST or DELETE");
        return;
    }
    json_t *doc = body_json(r);
    if (!doc)
        return;
    const char *user = jget(doc, "user"), *pw = jget(doc, "password");
    char tok[65];
    if (!user || !pw) {
        sv_reason w;
        sv_reason_set(&w, "api.expected", NULL, "expected %s", API_LOGIN);
        send_reason(r, 400, "malformed", sv_reason_param(&w, "expected", API_LOGIN));
    } else if (sv_throttle_begin(user, r->ip, &r->retry_after)) {
        send_throttled(r, "too many sign-in attempts: wait Retry-After seconds");
    } else {
        int rc = sv_session_create(r->srv, user, pw, tok, &r->sess);
        sv_throttle_end(user, r->ip, sv_throttle_outcome(rc));
        if (rc)
            send_said(r, 401, code_name(rc == CAPA_ELOCKED ? rc : CAPA_EAUTH),
                      rc == CAPA_ELOCKED ? "auth.locked" : "api.login", NULL,
                      rc == CAPA_ELOCKED ? "account locked" : "wrong user or password");
        else {
            r->have_sess = 1;
            send_json(r, 200,
                      json_pack("{s:s,s:o}", "token", tok, "expires", jtime(r->sess.expires)));
        }
        explicit_bzero(tok, sizeof tok);
    }
    json_decref(doc);
}

typedef struct api_list_ctx {
    json_t *arr;
    const char *severity;
} api_list_ctx;

static int list_cb(const capa_case_header *h, void *payload)
{
    api_list_ctx *c = payload;
    json_t *arr = c->arr;
    if (c->severity && (!h->severity || strcmp(h->severity, c->severity) != 0))
        return 0;
    return json_array_append_new(
        arr, json_pack("{s:o,s:o,s:b,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "number",
                       jstr(h->number), "stage", jstr(h->stage), "closed", h->closed,
                       "customer", jstr(h->customer), "part_no", jstr(h->part_no), "lot_no",
                       jstr(h->lot_no), "defect_code", jstr(h->defect_code), "severity",
                       jstr(h->severity), "description", jstr(h->description),
                       "subject_person", jstr(h->subject_person), "opened", jtime(h->opened),
                       "closed_at", jtime(h->closed_at), "stage_entered",
                       jtime(h->stage_entered)));
}

static void api_list(sv_req *r)
{
    const sv_params *q = &r->query;
    capa_filter f = {.closed = -1};
    long long ms;
#define OPT(name) (sv_params_get(q, name) && *sv_params_get(q, name) ? sv_params_get(q, name) : NULL)
    f.stage = OPT("stage");
    f.customer = OPT("customer");
    f.part_no = OPT("part");
    f.defect_code = OPT("defect");
    f.text = OPT("text");
    f.workflow = OPT("workflow");
    const char *open = OPT("open"), *from = OPT("from"), *to = OPT("to");
#undef OPT
    if (open)
        f.closed = strcmp(open, "true") == 0 ? 0 : strcmp(open, "false") == 0 ? 1 : -2;
    const capa_workflow *wf = NULL;
    if (f.workflow && capa_store_workflow_get(&wf, r->srv->s, f.workflow) != CAPA_OK) {
        send_said(r, 400, "invalid", "request.no_workflow", f.workflow,
                  "workflow: no such workflow in this store");
        return;
    }
    sv_reason w;
    if (f.closed == -2) {
        send_reason(r, 400, "invalid",
                    sv_param_refused(&w, "open", "是否未结案", open, "“true”或“false”",
                                     "true or false", "open: true|false; from/to: YYYY-MM-DD"));
        return;
    }
    if (from && sv_parse_date(&ms, from)) {
        send_reason(r, 400, "invalid",
                    sv_param_refused(&w, "from", "开始日期", from, SV_DATE_ZH, SV_DATE_EN,
                                     "open: true|false; from/to: YYYY-MM-DD"));
        return;
    }
    if (from)
        f.opened_from = ms;
    if (to) {
        if (sv_parse_date(&ms, to)) {
            send_reason(r, 400, "invalid",
                        sv_param_refused(&w, "to", "截止日期", to, SV_DATE_ZH, SV_DATE_EN,
                                         "to: YYYY-MM-DD"));
            return;
        }
        f.opened_to = ms + 86400000LL;
    }
    api_list_ctx c = {json_array(), NULL};
    if (sv_severity_filter(r->srv, sv_params_get(q, "severity"), &c.severity, &w)) {
        json_decref(c.arr);
        send_reason(r, 400, "invalid", &w);
        return;
    }
    json_t *arr = c.arr;
    sv_list_col col;
    int desc;
    long long limit = 100, offset = 0;
    const char *lim = sv_params_get(q, "limit"), *off = sv_params_get(q, "offset");
    if (sv_list_sort_parse(&col, &desc, sv_params_get(q, "sort"))) {
        json_decref(arr);
        send_reason(r, 400, "invalid", sv_sort_refused(&w, sv_params_get(q, "sort")));
        return;
    }
    /* envelope=true: the total in the body too ({total, offset, limit, cases}); without it the
     * bare array of before, the total in X-Total-Count only. */
    const char *env = sv_params_get(q, "envelope");
    int envelope = env && (!strcmp(env, "true") || !strcmp(env, "1"));
    if (env && !envelope && strcmp(env, "false") && strcmp(env, "0")) {
        json_decref(arr);
        send_reason(r, 400, "invalid",
                    sv_param_refused(&w, "envelope", "是否带总数", env, "“true”或“false”",
                                     "true or false", "envelope: true or false"));
        return;
    }
    int bad_lim = lim && sv_parse_count(&limit, lim, 1, 1000);
    if (bad_lim || (off && sv_parse_count(&offset, off, 0, 1LL << 40))) {
        json_decref(arr);
        const char *en = "limit: a whole number 1-1000 (default 100); offset: 0 or more";
        send_reason(r, 400, "invalid",
                    bad_lim ? sv_param_refused(&w, "limit", "每页条数", lim,
                                               "1 到 1000 之间的整数（默认 100）",
                                               "a whole number 1-1000 (default 100)", en)
                            : sv_param_refused(&w, "offset", "起始位置", off, "0 或更大的整数",
                                               "0 or more", en));
        return;
    }
    sv_list l = {0};
    sv_list_ask ask = {&f, c.severity, col, desc, (size_t)offset, (size_t)limit, NULL};
    int rc = arr ? sv_list_get(&l, r->srv->s, &ask) : CAPA_ENOMEM;
    for (size_t i = 0; !rc && i < l.groups[0].n; i++)
        rc = list_cb(&l.groups[0].rows[i]->h, &c);
    r->total = (long long)l.total;
    r->has_total = 1;
    sv_list_free(&l);
    if (rc) {
        json_decref(arr);
        send_capa_error(r, rc, rc == CAPA_ENOMEM ? "out of memory" : capa_error_last());
        return;
    }
    if (envelope)
        send_json(r, 200,
                  json_pack("{s:I,s:I,s:I,s:o}", "total", (json_int_t)r->total, "offset",
                            (json_int_t)offset, "limit", (json_int_t)limit, "cases", arr));
    else
        send_json(r, 200, arr);
}

/* GET /api/v1/notices[?limit=N]: what reached the token's user (capa_notices_for), newest
 * first, as the /notices page lists them: who else was told and why, but not their mobile
 * or e-mail. */
static void api_notices(sv_req *r)
{
    long long limit = 200;
    const char *lim = sv_params_get(&r->query, "limit");
    capa_notice *a = NULL;
    size_t n = 0;
    if (lim && sv_parse_count(&limit, lim, 1, 1000)) {
        sv_reason w;
        send_reason(r, 400, "invalid",
                    sv_param_refused(&w, "limit", "条数", lim, "1 到 1000 之间的整数（默认 200）",
                                     "a whole number 1-1000 (default 200)",
                                     "limit: a whole number 1-1000 (default 200)"));
        return;
    }
    int rc = capa_notices_for(&a, &n, r->srv->s, r->sess.user, (size_t)limit);
    json_t *arr = rc ? NULL : json_array();
    for (size_t i = 0; arr && i < n; i++) {
        const capa_notice *x = &a[i];
        json_t *to = json_array();
        for (size_t k = 0; to && k < x->n_to; k++)
            if (json_array_append_new(to, json_pack("{s:o,s:o,s:o}", "user", jstr(x->to[k].user),
                                                    "name", jstr(x->to[k].name), "why",
                                                    jstr(x->to[k].why)))) {
                json_decref(to);
                to = NULL;
            }
        json_t *o =
            to ? json_pack("{s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:b,s:o}", "event", (json_int_t)x->seq,
                           "time", jtime(x->time), "kind", jstr(x->kind), "number", jstr(x->number),
                           "stage", jstr(x->stage), "from", jstr(x->from), "actor", jstr(x->actor),
                           "reason", jstr(x->reason), "pending", x->pending, "to", to)
               : NULL;
        if (!o || json_array_append_new(arr, o)) {
            json_decref(arr);
            arr = NULL;
        }
    }
    capa_notices_free(a, n);
    if (rc)
        send_capa_error(r, rc, capa_error_last());
    else
        send_json(r, arr ? 200 : 500, arr);
}

static json_t *case_json(const capa_case *cs)
{
    json_t *stages = json_array(), *sigs = json_array();
    for (size_t i = 0; stages && i < cs->n_stages; i++) {
        const capa_stage_record *s = &cs->stages[i];
        json_t *vals = json_object(), *eds = json_array();
        for (size_t k = 0; vals && k < s->n_values; k++)
            json_object_set_new(vals, s->values[k].name, jstr(s->values[k].value));
        for (size_t k = 0; eds && k < s->n_editors; k++)
            json_array_append_new(eds, jstr(s->editors[k]));
        char hash[65] = "";
        capa_case_data_hash(hash, cs, s->stage);
        json_array_append_new(
            stages, json_pack("{s:o,s:o,s:i,s:o,s:o,s:o,s:o,s:s}", "id", jstr(s->stage), "form",
                              jstr(s->form_id), "form_version", s->form_version, "entered",
                              jtime(s->entered), "left", jtime(s->left), "editors",
                              eds ? eds : json_null(), "values", vals ? vals : json_null(),
                              "data_hash", hash));
    }
    for (size_t i = 0; sigs && i < cs->n_signatures; i++) {
        const capa_signature *g = &cs->signatures[i];
        json_array_append_new(
            sigs, json_pack("{s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:s,s:b}", "seq",
                            (json_int_t)g->seq, "stage", jstr(g->stage), "kind", jstr(g->kind),
                            "meaning", jstr(g->meaning), "user", jstr(g->user), "name",
                            jstr(g->name), "role", jstr(g->role), "reason", jstr(g->reason),
                            "time", jtime(g->time), "data_hash", g->data_hash, "superseded",
                            g->superseded));
    }
    return json_pack("{s:o,s:o,s:b,s:o,s:o,s:o,s:o,s:o}", "number", jstr(cs->number), "stage",
                     jstr(cs->stage), "closed", cs->closed, "opened", jtime(cs->opened),
                     "closed_at", jtime(cs->closed_at), "opened_by", jstr(cs->opened_by),
                     "stages", stages ? stages : json_null(), "signatures",
                     sigs ? sigs : json_null());
}

/* The case's time limits as `capa show --json` has them ("limits"): due and met in the
 * plant's zone with their offset, the engine's state. */
static json_t *limits_json(capa_store *s, const capa_case *cs)
{
    capa_limit_status *l = NULL;
    capa_plant *p = NULL;
    size_t n = 0;
    json_t *arr = NULL;
    char due[40], met[40];
    if (capa_case_limits(&l, &n, s, cs, capa_store_now(s)) || capa_plant_get(&p, s))
        goto done;
    arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        capa_plant_time_format(due, sizeof due, p, l[i].due);
        if (l[i].met)
            capa_plant_time_format(met, sizeof met, p, l[i].met);
        json_t *o = json_pack("{s:s,s:s,s:o,s:s}", "kind", l[i].kind, "due", due, "met",
                              l[i].met ? json_string(met) : json_null(), "state", l[i].state);
        if (o && l[i].working_days)
            json_object_set_new(o, "working_days", json_integer(l[i].working_days));
        else if (o)
            json_object_set_new(o, "hours", json_real(l[i].hours));
        if (o && l[i].uncovered)
            json_object_set_new(o, "calendar_covers", json_false());
        if (!o || json_array_append_new(arr, o)) {
            json_decref(arr);
            arr = NULL;
        }
    }
done:
    capa__free(l);
    capa_plant_free(p);
    return arr ? arr : json_null();
}

static int audit_cb(const capa_event *e, void *payload)
{
    json_t *arr = payload, *ch = json_array();
    for (size_t i = 0; ch && i < e->n_changes; i++)
        json_array_append_new(ch, json_pack("{s:o,s:o,s:o}", "field", jstr(e->changes[i].field),
                                            "old", jstr(e->changes[i].old_value), "new",
                                            jstr(e->changes[i].new_value)));
    return json_array_append_new(
        arr, json_pack("{s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:s}", "seq", (json_int_t)e->seq,
                       "time", jtime(e->time), "actor", jstr(e->actor), "action",
                       jstr(e->action), "case", jstr(e->case_number), "stage", jstr(e->stage),
                       "reason", jstr(e->reason), "changes", ch ? ch : json_null(), "hash",
                       e->hash));
}

void sv_submit(sv_server *srv, capa_request *q)
{
    /* Serialised, no other request can be waiting when one commits: each transaction holds
     * exactly one request, as a server without group commit would. */
    if (srv->serial_commit)
        pthread_mutex_lock(&srv->commit_lock);
    capa_submit(srv->s, q, 1);
    if (srv->serial_commit)
        pthread_mutex_unlock(&srv->commit_lock);
}

/* Answer one change that went through group commit (capa_submit). */
static void answer(sv_req *r, capa_request *q, int ok_status)
{
    if (q->result == CAPA_OK) {
        if (q->number_out)
            send_json(r, ok_status, json_pack("{s:s}", "number", q->number_out));
        else
            send_json(r, ok_status, json_pack("{s:b}", "ok", 1));
    } else {
        sv_request_error_restore(q);
        send_capa_error(r, q->result, capa_error_last());
    }
    capa_request_clear(q);
}

static void api_change(sv_req *r, capa_op op, const char *number)
{
    json_t *doc = body_json(r);
    capa_kv *kv = NULL;
    size_t n = 0;
    char why[200];
    sv_reason w;
    if (!doc)
        return;
    capa_request q = {.op = op, .number = number};
    q.who.user = r->sess.user;
    /* What the client was shown: a change of the stage since then is refused (409). */
    json_t *dh = json_object_get(doc, "data_hash");
    q.data_hash = jget(doc, "data_hash");
    if (dh && (op == CAPA_OP_OPEN || !q.data_hash || strlen(q.data_hash) != 64)) {
        if (op == CAPA_OP_OPEN)
            send_said(r, 400, "malformed", "api.data_hash_new", NULL,
                      "\"data_hash\": a new case has none");
        else
            send_reason(r, 400, "malformed",
                        sv_reason_param(sv_reason_set(&w, "api.data_hash", NULL,
                                                      "\"data_hash\" must be the 64 hex digits of "
                                                      "the stage's data hash (GET "
                                                      "/api/v1/cases/N)"),
                                        "path", "GET /api/v1/cases/N"));
        goto done;
    }
    json_t *wfj = json_object_get(doc, "workflow");
    if (wfj && !json_is_null(wfj)) {
        const capa_workflow *wf = NULL;
        if (op != CAPA_OP_OPEN || !json_is_string(wfj)) {
            if (op == CAPA_OP_OPEN)
                send_said(r, 400, "malformed", "api.workflow_type", NULL,
                          "\"workflow\" must be a workflow id (\"scar\")");
            else
                send_said(r, 400, "malformed", "api.workflow_new", NULL,
                          "\"workflow\": only a new case chooses one");
            goto done;
        }
        if (capa_store_workflow_get(&wf, r->srv->s, json_string_value(wfj)) != CAPA_OK) {
            snprintf(why, sizeof why, "\"workflow\": '%.60s' is not a workflow of this store "
                     "(capa info lists them)", json_string_value(wfj));
            send_said(r, 400, "invalid", "request.no_workflow", json_string_value(wfj), why);
            goto done;
        }
        q.workflow = json_string_value(wfj);
    }
    if (op == CAPA_OP_OPEN || op == CAPA_OP_SET) {
        int rc = sv_json_fields(&kv, &n, json_object_get(doc, "fields"), why, sizeof why);
        if (rc) {
            if (rc == -2)
                send_said(r, 500, "malformed", "request.oom", NULL, "out of memory");
            else
                send_reason(r, 400, "malformed",
                            sv_reason_param(sv_reason_set(&w, "api.malformed", NULL, "%s", why),
                                            "detail", why));
            goto done;
        }
        json_t *reason = json_object_get(doc, "reason");
        if (reason && !json_is_string(reason) && !json_is_null(reason)) {
            send_said(r, 400, "malformed", "api.reason_string", NULL,
                      "\"reason\" must be a string");
            goto done;
        }
        q.reason = jget(doc, "reason");
        /* A choice given by its label (重要, Important) means its code, as on the command
         * line: the same form and the same capa_form_normalize. */
        const capa_formdef *fd = NULL;
        capa_case *cs = NULL;
        if (op == CAPA_OP_OPEN ? capa_intake_form(&fd, r->srv->s, q.workflow) == CAPA_OK
                               : capa_case_get(&cs, r->srv->s, number) == CAPA_OK &&
                                     capa_case_stage_form(&fd, r->srv->s, cs) == CAPA_OK)
            for (size_t i = 0; i < n; i++)
                kv[i].value = capa_form_normalize(fd, kv[i].name, kv[i].value);
        capa_case_free(cs);
        q.values = kv;
        q.n_values = n;
        /* The session's sign-in binding proves the user to the engine: no password kept. */
        q.binding = r->sess.binding;
    } else {
        q.who.password = jget(doc, "password");
        q.meaning = jget(doc, "meaning");
        q.reason = jget(doc, "reason");
        if (!q.who.password || (op == CAPA_OP_SIGN && !q.meaning)) {
            const char *x = op == CAPA_OP_SIGN ? API_SIGN : API_REJECT;
            sv_reason_set(&w, "api.expected", NULL, "expected %s", x);
            send_reason(r, 400, "malformed", sv_reason_param(&w, "expected", x));
            goto done;
        }
        if (!q.reason && op == CAPA_OP_REJECT)
            q.reason = "";
    }
    if (op == CAPA_OP_SIGN || op == CAPA_OP_REJECT) {
        /* A password typed again: as throttled as a sign-in. */
        if (sv_throttle_begin(r->sess.user, r->ip, &r->retry_after)) {
            send_throttled(r, "too many password attempts: wait Retry-After seconds");
            goto done;
        }
        sv_submit(r->srv, &q);
        sv_throttle_end(r->sess.user, r->ip, sv_throttle_outcome(q.result));
        answer(r, &q, 200);
    } else {
        sv_submit(r->srv, &q);
        answer(r, &q, op == CAPA_OP_OPEN ? 201 : 200);
    }
done:
    free(kv);
    json_decref(doc);
}

void sv_api_handle(sv_req *r)
{
    const char *p = r->path, *m = r->method;
    int get = strcmp(m, "GET") == 0;
    if (r->bad_query) {
        send_said(r, 400, "malformed", "request.query", NULL, "malformed query string");
        return;
    }
    if (strcmp(p, "/api/openapi.json") == 0) {
        const sv_asset *a = get ? sv_asset_get("openapi.json") : NULL;
        if (!a) {
            if (get)
                send_said(r, 404, "not_found", "request.not_found", NULL, "GET only");
            else
                send_method(r, "GET", "GET only");
            return;
        }
        r->static_data = a->data;
        r->static_len = a->len;
        r->type = a->type;
        r->status = 200;
        return;
    }
    if (strcmp(p, "/api/v1/session") == 0) {
        api_session(r);
        return;
    }
    if (strcmp(p, "/api/v1/notices") == 0) {
        if (auth(r))
            return;
        if (get)
            api_notices(r);
        else
            send_method(r, "GET", "GET only");
        return;
    }
    if (strncmp(p, "/api/v1/cases", 13) != 0) {
        send_said(r, 404, "not_found", "api.not_found", NULL, "no such API path");
        return;
    }
    if (auth(r))
        return;
    if (strcmp(p, "/api/v1/cases") == 0) {
        if (get)
            api_list(r);
        else if (strcmp(m, "POST") == 0)
            api_change(r, CAPA_OP_OPEN, NULL);
        else
            send_method(r, "GET, POST", "GET or POST");
        return;
    }
    if (strncmp(p, "/api/v1/cases/", 14) != 0) {
        send_said(r, 404, "not_found", "api.not_found", NULL, "no such API path");
        return;
    }
    char number[128];
    const char *rest = p + 14, *slash = strchr(rest, '/');
    size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
    const char *sub = slash ? slash : "";
    if (n == 0 || n >= sizeof number) {
        send_said(r, 404, "not_found", "api.no_case", NULL, "no such case");
        return;
    }
    memcpy(number, rest, n);
    number[n] = '\0';
    if (!*sub && get) {
        capa_case *cs = NULL;
        int rc = capa_case_get(&cs, r->srv->s, number);
        if (rc)
            send_capa_error(r, rc, capa_error_last());
        else {
            json_t *doc = case_json(cs);
            if (doc)
                json_object_set_new(doc, "limits", limits_json(r->srv->s, cs));
            send_json(r, 200, doc);
        }
        capa_case_free(cs);
    } else if (!*sub && strcmp(m, "PATCH") == 0) {
        api_change(r, CAPA_OP_SET, number);
    } else if (!strcmp(sub, "/sign") && strcmp(m, "POST") == 0) {
        api_change(r, CAPA_OP_SIGN, number);
    } else if (!strcmp(sub, "/reject") && strcmp(m, "POST") == 0) {
        api_change(r, CAPA_OP_REJECT, number);
    } else if (!strcmp(sub, "/audit") && get) {
        capa_case *cs = NULL;
        int rc = capa_case_get(&cs, r->srv->s, number);
        json_t *arr = json_array();
        if (!rc)
            rc = capa_audit_foreach(r->srv->s, number, audit_cb, arr);
        capa_case_free(cs);
        if (rc) {
            json_decref(arr);
            send_capa_error(r, rc, capa_error_last());
        } else
            send_json(r, 200, arr);
    } else if (!strcmp(sub, "/dossier.pdf") && get) {
        sv_send_dossier(r, number, 1);
    } else if ((r->allow = !*sub                                             ? "GET, PATCH"
                           : !strcmp(sub, "/sign") || !strcmp(sub, "/reject") ? "POST"
                           : !strcmp(sub, "/audit") || !strcmp(sub, "/dossier.pdf")
                               ? "GET"
                               : NULL)) {
        send_method(r, r->allow, "method not allowed on this path: see the Allow header");
    } else {
        send_said(r, 404, "not_found", "api.not_found", NULL, "no such API path");
    }
}
