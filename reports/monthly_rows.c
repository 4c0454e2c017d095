/*
 * monthly_rows.c - the monthly report as rows (section, key, value, percent): what the CSV
 * and the xlsx renderings carry, one figure a row, formatted and rounded one way for all
 * (capa_report_round), so no rendering can show a figure another does not.
 */
#include "capa_report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double capa_report_round(double v, int digits)
{
    double k = digits == 4 ? 10000.0 : 100.0;
    return round(v * k) / k;
}

typedef struct rw {
    int (*cb)(const capa_report_row *r, void *payload);
    void *payload;
    int stop;
} rw;

static void emit(rw *f, const char *section, const char *key, const char *value,
                 const char *percent, double number, int is_number)
{
    if (f->stop)
        return;
    capa_report_row r = {
        section, key ? key : "", value ? value : "", percent ? percent : "", number, is_number, 0,
        0};
    f->stop = f->cb(&r, f->payload);
}

/* A moment: its text in the plant's zone, and the moment itself for a date cell. */
static void row_time(rw *f, const char *section, const capa_plant *p, int64_t ms)
{
    char b[48];
    if (f->stop)
        return;
    capa_plant_time_format(b, sizeof b, p, ms);
    capa_report_row r = {section, "", b, "", 0, 0, ms, 1};
    f->stop = f->cb(&r, f->payload);
}

static void emit0(rw *f, const char *section, const char *key, const char *value,
                  const char *percent)
{
    emit(f, section, key, value, percent, 0, 0);
}

#define r2(v) capa_report_round((v), 2)

static void row_u(rw *f, const char *section, const char *key, uint64_t v)
{
    char b[32];
    snprintf(b, sizeof b, "%llu", (unsigned long long)v);
    emit(f, section, key, b, NULL, (double)v, 1);
}

static void row_counts(rw *f, const char *section, const capa_stat_counts *c, int cumulative)
{
    for (size_t i = 0; i < c->n; i++) {
        char b[32], pc[32];
        snprintf(b, sizeof b, "%llu", (unsigned long long)c->v[i].count);
        snprintf(pc, sizeof pc, "%.2f", r2(c->v[i].cumulative_percent));
        emit(f, section, c->v[i].key, b, cumulative ? pc : NULL, (double)c->v[i].count, 1);
    }
}

static void row_real(rw *f, const char *section, const char *key, double v, int digits)
{
    char b[48];
    double x = capa_report_round(v, digits);
    if (v < 0)
        b[0] = 0; /* no figure (nothing fell due) */
    else
        snprintf(b, sizeof b, "%.*f", digits, x);
    emit(f, section, key, b, NULL, x, v >= 0);
}

static void all_rows(rw *f, const capa_monthly *m, const capa_plant *p)
{
    static const char *const kinds[] = {"month", "week", "range"};
    emit0(f, kinds[m->kind], NULL, m->period_text, NULL);
    emit0(f, "timezone", NULL, m->timezone, NULL);
    row_time(f, "as_of", p, m->as_of);
    row_u(f, "opened", NULL, m->opened);
    row_u(f, "closed", NULL, m->closed);
    row_u(f, "open_at_end", NULL, m->open_at_end);
    row_counts(f, "by_severity", &m->by_severity, 0);
    row_counts(f, "by_channel", &m->by_channel, 0);
    row_counts(f, "by_complaint_type", &m->by_complaint_type, 0);
    row_counts(f, "by_customer", &m->by_customer, 0);
    row_counts(f, "by_part", &m->by_part, 0);
    row_counts(f, "by_defect", &m->by_defect, 1);
    row_counts(f, "by_responsible_dept", &m->by_dept, 0);
    row_counts(f, "by_validity", &m->by_validity, 0);
    row_real(f, "time_to_close_hours", "mean", m->ttc_mean_hours, 2);
    row_real(f, "time_to_close_hours", "median", m->ttc_median_hours, 2);
    row_real(f, "time_to_close_days", "mean", m->ttc_mean_hours / 24.0, 2);
    row_real(f, "time_to_close_days", "median", m->ttc_median_hours / 24.0, 2);
    for (size_t i = 0; i < m->n_on_time; i++)
        row_real(f, "on_time_rate", m->on_time[i].kind, m->on_time[i].rate, 4);
    row_real(f, "on_time_rate", "overall", m->on_time_overall, 4);
    for (size_t i = 0; i < m->n_overdue; i++) {
        char due[48], key[300];
        capa_plant_time_format(due, sizeof due, p, m->overdue[i].due);
        snprintf(key, sizeof key, "%s %s %s", m->overdue[i].number, m->overdue[i].kind, due);
        row_real(f, "overdue_hours", key, (double)m->overdue[i].late_ms / 3600000.0, 2);
    }
    row_counts(f, "satisfaction", &m->satisfaction, 0);
    for (size_t i = 0; i < m->satisfaction.n; i++)
        row_real(f, "satisfaction_share", m->satisfaction.v[i].key,
                 m->satisfaction.total
                     ? (double)m->satisfaction.v[i].count / (double)m->satisfaction.total
                     : -1,
                 4);
    row_u(f, "satisfaction_unrecorded", NULL, m->satisfaction_unrecorded);
    row_u(f, "second_rounds", NULL, m->second_rounds);
    row_real(f, "second_round_rate", NULL, m->second_round_rate, 4);
    row_u(f, "returns_decided", NULL, m->returns_decided);
    row_u(f, "ntf", NULL, m->ntf);
    row_real(f, "ntf_rate", NULL, m->ntf_rate, 4);
    for (size_t i = 0; i < m->n_ntf_cases; i++)
        emit0(f, "ntf_case", m->ntf_cases[i], m->ntf_cases[i], NULL);
    for (size_t i = 0; i < m->n_recurrences; i++) {
        char of[2048] = "";
        for (size_t k = 0; k < m->recurrences[i].n_of; k++)
            snprintf(of + strlen(of), sizeof of - strlen(of), "%s%s", k ? " " : "",
                     m->recurrences[i].of[k]);
        emit0(f, "recurrence", m->recurrences[i].number, of, NULL);
    }
    for (size_t i = 0; i < 12; i++) {
        row_u(f, "trend_opened", m->trend[i].label, m->trend[i].opened);
        row_u(f, "trend_closed", m->trend[i].label, m->trend[i].closed);
    }
}

int capa_report_monthly_rows(const capa_monthly *m, const capa_plant *p,
                             int (*cb)(const capa_report_row *r, void *payload), void *payload)
{
    rw f = {cb, payload, 0};
    all_rows(&f, m, p);
    return f.stop;
}

/* ---- the group's rows beside each plant's ---- */

typedef struct prow {
    char *section, *key, *value, *percent;
    capa_report_row r;
} prow;

typedef struct pset {
    prow *v;
    size_t n, cap;
    int oom;
} pset;

static char *dup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static int keep(const capa_report_row *r, void *payload)
{
    pset *s = payload;
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        prow *v = realloc(s->v, cap * sizeof *v);
        if (!v)
            return s->oom = 1;
        s->v = v, s->cap = cap;
    }
    prow *x = &s->v[s->n];
    x->section = dup(r->section), x->key = dup(r->key);
    x->value = dup(r->value), x->percent = dup(r->percent);
    x->r = *r;
    x->r.section = x->section, x->r.key = x->key;
    x->r.value = x->value, x->r.percent = x->percent;
    s->n++;
    if (!x->section || !x->key || !x->value || !x->percent)
        return s->oom = 1;
    return 0;
}

static void pset_free(pset *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i].section);
        free(s->v[i].key);
        free(s->v[i].value);
        free(s->v[i].percent);
    }
    free(s->v);
}

typedef struct gw {
    const capa_report_plants *g;
    pset *sets;
    const capa_report_row **per;
    int (*cb)(const capa_report_row *, const capa_report_row *const *, void *);
    void *payload;
} gw;

static int by_section_key(const void *a, const void *b)
{
    const prow *x = a, *y = b;
    int c = strcmp(x->section, y->section);
    return c ? c : strcmp(x->key, y->key);
}

/* Each plant's rows are sorted by section and key once, and each of the group's rows found
 * by binary search: a group of many plants with thousands of overdue limits stays fast. */
static int match(const capa_report_row *r, void *payload)
{
    gw *w = payload;
    prow want = {(char *)r->section, (char *)r->key, NULL, NULL, {0}};
    for (size_t p = 0; p < w->g->n; p++) {
        prow *hit = w->sets[p].n
                        ? bsearch(&want, w->sets[p].v, w->sets[p].n, sizeof want, by_section_key)
                        : NULL;
        w->per[p] = hit ? &hit->r : NULL;
    }
    return w->cb(r, w->per, w->payload);
}

int capa_report_group_rows(const capa_monthly *t, const capa_plant *p, const capa_report_plants *g,
                           int (*cb)(const capa_report_row *total,
                                     const capa_report_row *const *per_plant, void *payload),
                           void *payload)
{
    gw w = {g, calloc(g->n ? g->n : 1, sizeof *w.sets), calloc(g->n ? g->n : 1, sizeof *w.per), cb,
            payload};
    int rc = -1;
    if (!w.sets || !w.per)
        goto done;
    for (size_t i = 0; i < g->n; i++)
        if (capa_report_monthly_rows(g->m[i], g->zone[i], keep, &w.sets[i]) || w.sets[i].oom)
            goto done;
        else if (w.sets[i].n)
            qsort(w.sets[i].v, w.sets[i].n, sizeof *w.sets[i].v, by_section_key);
    rc = capa_report_monthly_rows(t, p, match, &w);
done:
    for (size_t i = 0; w.sets && i < g->n; i++)
        pset_free(&w.sets[i]);
    free(w.sets);
    free(w.per);
    return rc;
}
