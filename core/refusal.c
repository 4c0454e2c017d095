/*
 * refusal.c - the refusal behind this thread's last error, as data: action, case, stage and
 * each broken rule with its field, the form's labels, the value and the rule's parameters.
 *
 * Kept next to the message of error.c, thread-local, in fixed arrays and one string pool (no
 * allocation: a refusal must be describable when memory is short). What does not fit is
 * counted in n_dropped; the message still says everything.
 */
#include "refusal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_V 32
#define MAX_P 20
#define POOL 16384

static _Thread_local struct {
    int active;
    capa_refusal r;
    capa_violation v[MAX_V];
    capa_refusal_param p[MAX_V][MAX_P];
    char pool[POOL];
    size_t used;
} tl;

/* A copy of s in the pool; "" when it does not fit. */
static const char *keep(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (!s || tl.used + n + 1 > POOL)
        return "";
    char *p = tl.pool + tl.used;
    memcpy(p, s, n + 1);
    tl.used += n + 1;
    return p;
}

void capa__refusal_reset(void)
{
    tl.active = 0;
    tl.used = 0;
    memset(&tl.r, 0, sizeof tl.r);
}

void capa__refusal_begin(int code, const char *action, const char *number, const capa_stage *st)
{
    capa__refusal_reset();
    tl.active = 1;
    tl.r.code = code;
    tl.r.action = keep(action ? action : "");
    tl.r.case_number = keep(number ? number : "");
    tl.r.stage = keep(st && st->id ? st->id : "");
    tl.r.stage_zh = keep(st && st->label_zh ? st->label_zh : "");
    tl.r.stage_en = keep(st && st->label_en ? st->label_en : "");
    tl.r.v = tl.v;
}

void capa__refusal_where(const char *action, const char *number, const capa_stage *st)
{
    if (!tl.active)
        return;
    if (!*tl.r.action && action)
        tl.r.action = keep(action);
    if (!*tl.r.case_number && number)
        tl.r.case_number = keep(number);
    if (!*tl.r.stage && st) {
        tl.r.stage = keep(st->id);
        tl.r.stage_zh = keep(st->label_zh ? st->label_zh : "");
        tl.r.stage_en = keep(st->label_en ? st->label_en : "");
    }
}

void capa__refusal_add(const char *rule, const char *field, const char *value, const char *message)
{
    if (!tl.active)
        return;
    if (tl.r.n == MAX_V) {
        tl.r.n_dropped++;
        return;
    }
    capa_violation *v = &tl.v[tl.r.n++];
    memset(v, 0, sizeof *v);
    v->rule = keep(rule);
    v->field = keep(field ? field : "");
    v->value = keep(value ? value : "");
    v->label_zh = v->label_en = "";
    v->params = tl.p[tl.r.n - 1];
    v->message = keep(message ? message : capa_error_last());
}

void capa__refusal_label(const char *zh, const char *en)
{
    if (!tl.active || !tl.r.n)
        return;
    capa_violation *v = &tl.v[tl.r.n - 1];
    v->label_zh = keep(zh ? zh : "");
    v->label_en = keep(en ? en : "");
}

void capa__refusal_param(const char *name, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    if (!tl.active || !tl.r.n)
        return;
    capa_violation *v = &tl.v[tl.r.n - 1];
    if (v->n_params == MAX_P)
        return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    tl.p[tl.r.n - 1][v->n_params] = (capa_refusal_param){keep(name), keep(buf)};
    v->n_params++;
}

int capa__field_labels(const capa_formdef *form, const char *name, char *zh, char *en,
                       size_t size)
{
    const capa_field *g = NULL;
    unsigned row = 0;
    const capa_field *f = form && name ? capa_formdef_lookup(form, name, &g, &row) : NULL;
    if (!f && form && name) /* a group named whole (its rows required) */
        f = capa_formdef_field(form, name);
    if (!f)
        return 0;
    if (g) {
        snprintf(zh, size, "%s %u · %s", g->label_zh ? g->label_zh : g->id, row,
                 f->label_zh ? f->label_zh : f->id);
        snprintf(en, size, "%s %u · %s", g->label_en ? g->label_en : g->id, row,
                 f->label_en ? f->label_en : f->id);
    } else {
        snprintf(zh, size, "%s", f->label_zh ? f->label_zh : f->id);
        snprintf(en, size, "%s", f->label_en ? f->label_en : f->id);
    }
    return 1;
}

void capa__refusal_from_diag(const capa_diag *d, const capa_formdef *form)
{
    char zh[600], en[600];
    for (size_t i = 0; d && d->items && i < d->n; i++) {
        const capa_diag_item *it = &d->items[i];
        if (!it->rule)
            continue;
        capa__refusal_add(it->rule, it->field, it->value, d->msgs[i]);
        if (capa__field_labels(form, it->field, zh, en, sizeof zh))
            capa__refusal_label(zh, en);
        for (size_t k = 0; k < it->n_params; k++)
            capa__refusal_param(it->pname[k], "%s", it->pval[k]);
    }
}

void capa__refusal_diag_items(const capa_diag *d)
{
    if (!tl.active || !tl.r.n || !d || !d->n || !d->items)
        return;
    capa__refusal_param("items", "%zu", d->n);
    for (size_t i = 0; i < d->n; i++) {
        const capa_diag_item *it = &d->items[i];
        capa__refusal_add(it->rule ? it->rule : "xml.other", it->rule ? it->field : "",
                          it->rule ? it->value : "", d->msgs[i]);
        for (size_t k = 0; it->rule && k < it->n_params; k++)
            capa__refusal_param(it->pname[k], "%s", it->pval[k]);
        if (!it->rule)
            capa__refusal_param("detail", "%s", d->msgs[i]);
    }
}

int capa__refuse(int code, const char *rule, const char *field, const char *value, const char *fmt,
                 ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    capa_error_set(code, "%s", msg);
    capa__refusal_begin(code, NULL, NULL, NULL);
    capa__refusal_add(rule, field, value, NULL);
    return code;
}

int capa__error_wrap(int code, const char *fmt, ...)
{
    char msg[4096];
    va_list ap;
    capa_refusal *keep_r = tl.active && tl.r.n ? capa_refusal_dup(&tl.r) : NULL;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    capa_error_set(code, "%s", msg);
    if (keep_r) {
        keep_r->code = code;
        capa_refusal_restore(keep_r);
        capa_refusal_free(keep_r);
    }
    return code;
}

void capa__roles_labels(const capa_workflow *wf, char *const *roles, size_t n, char *ids, char *zh,
                        char *en, size_t size)
{
    size_t oi = 0, oz = 0, oe = 0;
    ids[0] = zh[0] = en[0] = 0;
    for (size_t i = 0; i < n; i++) {
        const capa_role *ro = NULL;
        for (size_t k = 0; wf && k < wf->n_roles && !ro; k++)
            if (strcmp(wf->roles[k].id, roles[i]) == 0)
                ro = &wf->roles[k];
        if (oi < size)
            oi += (size_t)snprintf(ids + oi, size - oi, "%s%s", i ? ", " : "", roles[i]);
        if (oz < size)
            oz += (size_t)snprintf(zh + oz, size - oz, "%s%s", i ? "、" : "",
                                   ro && ro->label_zh ? ro->label_zh : roles[i]);
        if (oe < size)
            oe += (size_t)snprintf(en + oe, size - oe, "%s%s", i ? ", " : "",
                                   ro && ro->label_en ? ro->label_en : roles[i]);
    }
}

void capa__refusal_roles(const capa_workflow *wf, const char *name, char *const *roles, size_t n)
{
    char ids[512], zh[512], en[512], key[32];
    capa__roles_labels(wf, roles, n, ids, zh, en, sizeof ids);
    capa__refusal_param(name, "%s", ids);
    snprintf(key, sizeof key, "%s_zh", name);
    capa__refusal_param(key, "%s", zh);
    snprintf(key, sizeof key, "%s_en", name);
    capa__refusal_param(key, "%s", en);
}

const capa_refusal *capa_refusal_last(void)
{
    return tl.active && tl.r.n ? &tl.r : NULL;
}

const char *capa_refusal_param_get(const capa_violation *v, const char *name)
{
    for (size_t i = 0; v && i < v->n_params; i++)
        if (strcmp(v->params[i].name, name) == 0)
            return v->params[i].value;
    return NULL;
}

/* The deep copy: one block holding the struct, the arrays and the strings. */
static size_t slen(const char *s)
{
    return (s ? strlen(s) : 0) + 1;
}

static char *put(char **at, const char *s)
{
    size_t n = slen(s);
    char *p = *at;
    memcpy(p, s ? s : "", n);
    *at += n;
    return p;
}

capa_refusal *capa_refusal_dup(const capa_refusal *r)
{
    if (!r)
        return NULL;
    size_t np = 0, text = slen(r->action) + slen(r->case_number) + slen(r->stage) +
                          slen(r->stage_zh) + slen(r->stage_en);
    for (size_t i = 0; i < r->n; i++) {
        const capa_violation *v = &r->v[i];
        np += v->n_params;
        text += slen(v->rule) + slen(v->field) + slen(v->label_zh) + slen(v->label_en) +
                slen(v->value) + slen(v->message);
        for (size_t k = 0; k < v->n_params; k++)
            text += slen(v->params[k].name) + slen(v->params[k].value);
    }
    size_t head =
        sizeof(capa_refusal) + r->n * sizeof(capa_violation) + np * sizeof(capa_refusal_param);
    unsigned char *mem = capa__malloc(head + text);
    if (!mem)
        return NULL;
    capa_refusal *out = (capa_refusal *)mem;
    capa_violation *vs = (capa_violation *)(mem + sizeof *out);
    capa_refusal_param *ps = (capa_refusal_param *)(vs + r->n);
    char *at = (char *)mem + head;
    *out = *r;
    out->v = vs;
    out->action = put(&at, r->action);
    out->case_number = put(&at, r->case_number);
    out->stage = put(&at, r->stage);
    out->stage_zh = put(&at, r->stage_zh);
    out->stage_en = put(&at, r->stage_en);
    for (size_t i = 0; i < r->n; i++) {
        const capa_violation *v = &r->v[i];
        capa_violation *w = &vs[i];
        *w = *v;
        w->rule = put(&at, v->rule);
        w->field = put(&at, v->field);
        w->label_zh = put(&at, v->label_zh);
        w->label_en = put(&at, v->label_en);
        w->value = put(&at, v->value);
        w->message = put(&at, v->message);
        w->params = ps;
        for (size_t k = 0; k < v->n_params; k++, ps++) {
            ps->name = put(&at, v->params[k].name);
            ps->value = put(&at, v->params[k].value);
        }
    }
    return out;
}

void capa_refusal_free(capa_refusal *r)
{
    capa__free(r);
}

void capa_refusal_restore(const capa_refusal *r)
{
    if (!r || r == &tl.r)
        return;
    /* Copy out of r first: r may not point into this thread's pool, but be safe anyway. */
    capa_refusal *c = capa_refusal_dup(r);
    if (!c)
        return;
    capa__refusal_reset();
    tl.active = 1;
    tl.r.code = c->code;
    tl.r.action = keep(c->action);
    tl.r.case_number = keep(c->case_number);
    tl.r.stage = keep(c->stage);
    tl.r.stage_zh = keep(c->stage_zh);
    tl.r.stage_en = keep(c->stage_en);
    tl.r.v = tl.v;
    for (size_t i = 0; i < c->n; i++) {
        const capa_violation *v = &c->v[i];
        capa__refusal_add(v->rule, v->field, v->value, v->message);
        capa__refusal_label(v->label_zh, v->label_en);
        for (size_t k = 0; k < v->n_params; k++)
            capa__refusal_param(v->params[k].name, "%s", v->params[k].value);
    }
    tl.r.n_dropped += c->n_dropped;
    capa_refusal_free(c);
}
