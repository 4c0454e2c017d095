/*
 * limits.c - the time limits of a case (capa_time.h): which limit of the workflow applies
 * (by severity), when it is due (calendar hours, or working days of the plant's calendar),
 * what met it and when, and its state as of a moment. Computed from the case snapshot and
 * its audit trail, so nothing new is stored and nothing can disagree with the events.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capa.h"
#include "limits.h"

static const char *const kinds[] = {"response", "containment", "plan", "closure"};

static const capa_limit *pick(const capa_workflow *wf, const char *kind, const char *severity)
{
    const capa_limit *any = NULL;
    for (size_t i = 0; i < wf->n_limits; i++) {
        const capa_limit *l = &wf->limits[i];
        /* The first byte before the whole name: apply refreshes a case's limits on every
         * event, a pick per limit code, each over every limit of the workflow. */
        if (!l->kind || !l->severity || l->kind[0] != kind[0] || strcmp(l->kind, kind) != 0)
            continue;
        if (severity && strcmp(l->severity, severity) == 0)
            return l;
        if (strcmp(l->severity, "*") == 0)
            any = l;
    }
    return any;
}

/* The first sign-off (not a rejection) on `stage`, or with `meaning`, at or before `at`. */
static int64_t first_sign(const capa_case *c, const char *stage, const char *meaning, int64_t at)
{
    int64_t best = 0;
    for (size_t i = 0; i < c->n_signatures; i++) {
        const capa_signature *g = &c->signatures[i];
        if (strcmp(g->kind, "sign") != 0 || g->time > at)
            continue;
        if ((stage && strcmp(g->stage, stage) != 0) || (meaning && strcmp(g->meaning, meaning) != 0))
            continue;
        if (!best || g->time < best)
            best = g->time;
    }
    return best;
}

/* When limit l of a case opened at `start` is due, and when it is due soon. */
static int64_t due_of(const capa_limit *l, const capa_plant *p, const capa_workdays *w,
                      int64_t start, double warn_pct, int64_t *warn, int *uncovered)
{
    int64_t due = l->working_days ? capa_workdays__add(w, p, start, l->working_days, uncovered)
                                  : start + (int64_t)(l->hours * 3600000.0);
    *warn = start + (int64_t)((double)(due - start) * warn_pct / 100.0);
    return due;
}

static void add(capa_limit_status *out, size_t *n, const capa_limit *l, const capa_plant *p,
                const capa_workdays *w, int64_t opened, int64_t met, double warn_pct, int64_t at)
{
    /* The caller sized the array for every limit a case can have. */
    capa_limit_status *x = &out[(*n)++];
    size_t kl = strlen(l->kind);
    kl = kl < sizeof x->kind ? kl : sizeof x->kind - 1; /* as snprintf "%s" cuts it */
    memcpy(x->kind, l->kind, kl);
    x->kind[kl] = 0; /* every field is set below: a report evaluates every case */
    x->uncovered = 0;
    x->hours = l->hours;
    x->working_days = l->working_days;
    x->start = opened;
    x->due = due_of(l, p, w, opened, warn_pct, &x->warn, &x->uncovered);
    x->met = met && met <= at ? met : 0;
    x->state = x->met ? (x->met <= x->due ? "met" : "met_late")
               : at >= x->due  ? "overdue"
               : at >= x->warn ? "due_soon"
                               : "on_time";
}

void capa_limits__pick_kinds(const capa_limit *out[CAPA_LIMIT_KINDS], const capa_workflow *wf,
                             const char *severity)
{
    for (size_t k = 0; k < CAPA_LIMIT_KINDS; k++)
        out[k] = pick(wf, kinds[k], severity);
}

static double warn_percent(const capa_workflow *wf)
{
    return wf->warn_percent > 0 ? wf->warn_percent : 80;
}

size_t capa_limits__eval_kinds(capa_limit_status out[CAPA_LIMIT_KINDS],
                               const capa_limit *const picked[CAPA_LIMIT_KINDS],
                               const capa_workflow *wf, const capa_plant *p, const capa_workdays *w,
                               int64_t opened, const int64_t met[CAPA_LIMIT_KINDS], int64_t at)
{
    size_t n = 0;
    double warn = warn_percent(wf);
    for (size_t k = 0; k < CAPA_LIMIT_KINDS; k++)
        if (picked[k])
            add(out, &n, picked[k], p, w, opened, met[k], warn, at);
    return n;
}

/* What the import event of an imported case says (its first event): the stage it landed
 * in and when the record entered capa. */
typedef struct imported {
    int landing;  /* -1: not imported */
    int64_t time; /* the import event's own time */
} imported;

/* When the record of an imported case shows limit `code` done (apply.c: import_met reads the
 * same), given `met`, what the trail says met it: a closed record throughout by its recorded
 * closing (nothing was signed in capa), an open one for the stages it had passed (their
 * sign-offs were made in the old system, undated) by the import itself - the first time on
 * record that they were done. */
static int64_t imported_met(const imported *im, const capa_workflow *wf, const capa_case *c,
                            unsigned code, int64_t met)
{
    if (!im || im->landing < 0)
        return met;
    if (c->closed)
        return c->closed_at;
    if (met)
        return met;
    int passed = 0;
    for (int st = 0; st < im->landing && st < (int)wf->n_stages; st++)
        passed |= (code == 0 && st == 0) ||
                  (code == 2 && wf->stages[st].sign_meaning &&
                   strcmp(wf->stages[st].sign_meaning, "approved") == 0) ||
                  (code >= CAPA_LIMIT_STAGE0 && code - CAPA_LIMIT_STAGE0 == (unsigned)st);
    return passed ? im->time : 0;
}

static int compute(capa_limit_status **out, size_t *n, const capa_workflow *wf, const capa_plant *p,
                   const capa_case *c, int64_t containment_at, int64_t at, const imported *im)
{
    int err = CAPA_OK;
    *n = 0;
    /* One allocation: at most one limit per kind and one per stage (add fills it). */
    if (!(*out = capa__malloc((sizeof kinds / sizeof *kinds + wf->n_stages) * sizeof **out)))
        return capa_error_set(CAPA_ENOMEM, "limits: out of memory");
    const char *sev = wf->n_stages ? capa_case_value(c, wf->stages[0].id, "severity") : NULL;
    const capa_limit *pk[CAPA_LIMIT_KINDS];
    int64_t met[CAPA_LIMIT_KINDS] = {0};
    capa_limits__pick_kinds(pk, wf, sev);
    for (size_t k = 0; k < CAPA_LIMIT_KINDS; k++) {
        if (!pk[k])
            continue;
        if (k == 0)
            met[k] = wf->n_stages ? first_sign(c, wf->stages[0].id, NULL, at) : 0;
        else if (k == 1)
            met[k] = containment_at;
        else if (k == 2)
            met[k] = first_sign(c, NULL, "approved", at);
        else
            met[k] = c->closed ? c->closed_at : 0;
        met[k] = imported_met(im, wf, c, (unsigned)k, met[k]);
    }
    *n = capa_limits__eval_kinds(*out, pk, wf, p, NULL, c->opened, met, at);
    /* Limits per stage: met when the stage is first signed off. */
    double warn = warn_percent(wf);
    for (size_t i = 0; !err && i < wf->n_stages; i++) {
        const capa_limit *l = pick(wf, wf->stages[i].id, sev);
        int64_t m = l ? first_sign(c, wf->stages[i].id, NULL, at) : 0;
        if (l)
            m = imported_met(im, wf, c, (unsigned)(i + CAPA_LIMIT_STAGE0), m);
        if (l)
            add(*out, n, l, p, NULL, c->opened, m, warn, at);
    }
    if (err || !*n) { /* none: NULL, as before */
        capa__free(*out);
        *out = NULL;
        *n = 0;
    }
    return err;
}

int capa_limits_compute(capa_limit_status **out, size_t *n, const capa_workflow *wf,
                        const capa_plant *p, const capa_case *c, int64_t containment_at, int64_t at)
{
    return compute(out, n, wf, p, c, containment_at, at, NULL);
}

typedef struct first_set {
    int64_t at;
    imported im;
} first_set;

static int containment_cb(const capa_event *e, void *payload)
{
    first_set *f = payload;
    if (e->action && strcmp(e->action, "import") == 0 && f->im.landing < 0) {
        for (size_t i = 0; i < e->n_facts; i++)
            if (strcmp(e->facts[i].name, "from") == 0)
                f->im.landing = atoi(e->facts[i].value);
        f->im.time = e->time;
    }
    for (size_t i = 0; i < e->n_changes; i++) {
        const capa_change *ch = &e->changes[i];
        if (ch->field && strcmp(ch->field, "containment") == 0 && ch->new_value && *ch->new_value) {
            f->at = e->time;
            return 1; /* the first one: stop */
        }
    }
    return 0;
}

int capa_case_limits(capa_limit_status **out, size_t *n, capa_store *s, const capa_case *c,
                     int64_t at)
{
    const capa_workflow *wf = NULL;
    capa_plant *p = NULL;
    first_set f = {0, {-1, 0}};
    *out = NULL;
    *n = 0;
    int err = capa_store_workflow_get(&wf, s, c->workflow);
    if (!err)
        err = capa_plant_get(&p, s);
    if (!err) {
        err = capa_audit_foreach(s, c->number, containment_cb, &f);
        if (err == 1)
            err = CAPA_OK;
    }
    if (!err)
        err = compute(out, n, wf, p, c, f.at && f.at <= at ? f.at : 0, at, &f.im);
    capa_plant_free(p);
    return err;
}

/* ---- the open limits a header carries ---- */

const char *capa_limits__kind(const capa_workflow *wf, unsigned code)
{
    if (code < CAPA_LIMIT_STAGE0)
        return kinds[code];
    return code - CAPA_LIMIT_STAGE0 < wf->n_stages ? wf->stages[code - CAPA_LIMIT_STAGE0].id : NULL;
}

int capa_limits__code(const capa_workflow *wf, const char *kind)
{
    for (unsigned k = 0; k < CAPA_LIMIT_STAGE0; k++)
        if (strcmp(kinds[k], kind) == 0)
            return (int)k;
    int i = capa_workflow_stage_index(wf, kind);
    return i >= 0 && i + CAPA_LIMIT_STAGE0 < CAPA_HDR_MAX_LIMITS ? i + CAPA_LIMIT_STAGE0 : -1;
}

int capa_limits__refresh(capa_hdr *h, const capa_workflow *wf, const capa_plant *p)
{
    capa_hdr_limit got[CAPA_HDR_MAX_LIMITS];
    size_t n = 0;
    double warn = warn_percent(wf);
    for (unsigned code = 0; !h->closed && code < CAPA_HDR_MAX_LIMITS; code++) {
        const char *kind = capa_limits__kind(wf, code);
        if (!kind)
            break;
        const capa_limit *l = pick(wf, kind, h->severity);
        if (!l || (h->met >> code & 1))
            continue;
        capa_hdr_limit *x = &got[n++];
        memset(x, 0, sizeof *x);
        x->code = (uint8_t)code;
        x->due = due_of(l, p, NULL, h->opened, warn, &x->warn, NULL);
        for (size_t i = 0; i < h->n_limits; i++)
            if (h->limits[i].code == code)
                x->escalated = h->limits[i].escalated;
    }
    capa_hdr_limit *arr = n ? capa__malloc(n * sizeof *arr) : NULL;
    if (n && !arr)
        return capa_error_set(CAPA_ENOMEM, "limits: out of memory");
    if (n)
        memcpy(arr, got, n * sizeof *arr);
    capa__free(h->limits);
    h->limits = arr;
    h->n_limits = n;
    return CAPA_OK;
}
