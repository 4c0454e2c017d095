/*
 * refuse.c - the engine's refusals for the reader: worded in the page's or the client's
 * language by the catalogue (tools/lang), next to their fields on forms, and as data in the
 * JSON API's error body. An error the engine gave no data for shows its English message.
 */
#include "serve.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang.h"
#include "pages.h"

int sv_lang_of(const sv_req *r)
{
    return r->lang == SV_LANG_ZH   ? CAPA_LANG_ZH
           : r->lang == SV_LANG_EN ? CAPA_LANG_EN
                                   : CAPA_LANG_BOTH;
}

char *sv_error_text(const sv_req *r, int code)
{
    return capa_lang_error_last(code, (capa_lang)sv_lang_of(r), 1);
}

char *sv_word(const sv_req *r, const char *rule, const char *field, const char *value,
              const capa_refusal_param *params, size_t n_params)
{
    capa_violation v = {rule, field ? field : "", "", "", value ? value : "", n_params, params, ""};
    capa_refusal ref = {CAPA_EINVALID, "", "", "", "", "", 1, &v, 0};
    return capa_lang_refusal(&ref, (capa_lang)sv_lang_of(r), 1);
}

char *sv_word_request(const sv_req *r, const char *rule, const char *value, const char *max,
                      const char *english)
{
    capa_refusal_param p[] = {{"max", max ? max : ""}};
    char *s = rule ? sv_word(r, rule, NULL, value, p, max ? 1 : 0) : NULL;
    return s ? s : strdup(english);
}

char *sv_said(const sv_req *r, const char *rule, const char *value, const char *english)
{
    char secs[16];
    snprintf(secs, sizeof secs, "%d", r->retry_after > 0 ? r->retry_after : 1);
    capa_refusal_param p[] = {{"seconds", secs}};
    char *msg = sv_word(r, rule, NULL, value, p, 1);
    return msg ? msg : strdup(english);
}

void sv_page_refused(sv_req *r, int status, const char *rule, const char *english)
{
    char *msg = sv_said(r, rule, NULL, english);
    sv_page_error(r, status, msg ? msg : english);
    free(msg);
}

sv_reason *sv_reason_set(sv_reason *w, const char *rule, const char *value, const char *fmt, ...)
{
    va_list ap;
    w->rule = rule;
    w->value = value;
    w->n_params = 0;
    va_start(ap, fmt);
    vsnprintf(w->english, sizeof w->english, fmt, ap);
    va_end(ap);
    return w;
}

sv_reason *sv_reason_param(sv_reason *w, const char *name, const char *value)
{
    if (w->n_params < sizeof w->params / sizeof w->params[0])
        w->params[w->n_params++] = (capa_refusal_param){name, value ? value : ""};
    return w;
}

char *sv_reason_text(const sv_reason *w, int lang)
{
    char *s = lang >= 0 ? capa_lang_rule(w->rule, "", w->value, w->params, w->n_params,
                                         (capa_lang)lang, 1)
                        : NULL;
    return s ? s : strdup(w->english);
}

void sv_start_error(const sv_server *srv, const char *at, const sv_reason *w)
{
    /* As the CLI (cli_refuse): 中文 from the catalogue, English as the sentence of before,
     * both on two lines. */
    if (srv->start_lang != CAPA_LANG_EN) {
        char *m = capa_lang_rule(w->rule, "", w->value, w->params, w->n_params, CAPA_LANG_ZH, 0);
        fprintf(stderr, "capa serve: %s%s%s\n", at ? at : "", at ? ": " : "", m ? m : w->english);
        free(m);
        if (srv->start_lang == CAPA_LANG_ZH)
            return;
    }
    fprintf(stderr, "capa serve: %s%s%s\n", at ? at : "", at ? ": " : "", w->english);
}

void sv_start_said(const sv_server *srv, const char *rule, const char *value, const char *option,
                   const char *fmt, ...)
{
    sv_reason w;
    va_list ap;
    sv_reason_set(&w, rule, value, "%s", "");
    va_start(ap, fmt);
    vsnprintf(w.english, sizeof w.english, fmt, ap);
    va_end(ap);
    sv_start_error(srv, NULL, option ? sv_reason_param(&w, "option", option) : &w);
}

void sv_page_reason(sv_req *r, int status, const sv_reason *w)
{
    char *msg = sv_reason_text(w, sv_lang_of(r));
    sv_page_error(r, status, msg ? msg : w->english);
    free(msg);
}

void sv_page_said(sv_req *r, int status, const char *rule, const char *value, const char *english)
{
    sv_reason w;
    sv_page_reason(r, status, sv_reason_set(&w, rule, value, "%s", english));
}

sv_reason *sv_param_refused(sv_reason *w, const char *name, const char *name_zh, const char *value,
                            const char *expected_zh, const char *expected_en, const char *english)
{
    sv_reason_set(w, "request.param", value ? value : "", "%s", english);
    sv_reason_param(w, "name_zh", name_zh);
    sv_reason_param(w, "name_en", name);
    sv_reason_param(w, "expected_zh", expected_zh);
    return sv_reason_param(w, "expected_en", expected_en);
}

sv_reason *sv_sort_refused(sv_reason *why, const char *sort)
{
    sv_reason_set(why, "request.sort", sort ? sort : "", "sort '%.60s': expected one of %s",
                  sort ? sort : "", sv_list_sort_names());
    return sv_reason_param(why, "choices", sv_list_sort_names());
}

void sv_request_error_restore(const capa_request *q)
{
    capa_error_set(q->result, "%s", q->error ? q->error : capa_strerror(q->result));
    capa_refusal_restore(q->refusal);
}

size_t sv_refusal_field_errors(sv_field_error **out, const sv_req *r)
{
    const capa_refusal *ref = capa_refusal_last();
    size_t n = 0;
    *out = NULL;
    if (!ref)
        return sv_field_errors(out, capa_error_last());
    sv_field_error *v = calloc(ref->n, sizeof *v);
    if (!v)
        return 0;
    for (size_t i = 0; i < ref->n; i++) {
        const capa_violation *x = &ref->v[i];
        if (!*x->field)
            continue;
        v[n].field = strdup(x->field);
        v[n].value = strdup(x->value);
        v[n].rule = capa_lang_violation(ref, x, (capa_lang)sv_lang_of(r), 1);
        v[n].worded = 1;
        if (!v[n].field || !v[n].value || !v[n].rule) {
            sv_field_errors_free(v, n + 1);
            return 0;
        }
        n++;
    }
    *out = v;
    return n;
}

json_t *sv_refusal_json(const capa_refusal *ref, int lang)
{
    json_t *vs = json_array();
    for (size_t i = 0; vs && i < ref->n; i++) {
        const capa_violation *x = &ref->v[i];
        json_t *params = json_object();
        for (size_t k = 0; params && k < x->n_params; k++)
            json_object_set_new(params, x->params[k].name, json_string(x->params[k].value));
        char *msg = capa_lang_violation(ref, x, (capa_lang)lang, 1);
        json_t *o = json_pack("{s:s,s:s,s:{s:s,s:s},s:s,s:o,s:s?}", "rule", x->rule, "field",
                              x->field, "label", "zh", x->label_zh, "en", x->label_en, "value",
                              x->value, "params", params ? params : json_object(), "message", msg);
        free(msg);
        if (!o || json_array_append_new(vs, o)) {
            json_decref(vs);
            return NULL;
        }
    }
    return json_pack("{s:s,s:s,s:{s:s,s:s,s:s},s:o}", "action", ref->action, "case",
                     ref->case_number, "stage", "id", ref->stage, "zh", ref->stage_zh, "en",
                     ref->stage_en, "violations", vs ? vs : json_array());
}
