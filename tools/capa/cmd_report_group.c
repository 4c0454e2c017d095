/*
 * cmd_report_group.c - `capa report monthly --group CONNINFO [--plant ID]... --month YYYY-MM
 * --format json|csv -o FILE`: the monthly report's figures across plants, read from the group
 * PostgreSQL database that `capa publish` feeds (docs/group.md). Each plant's figures are
 * computed in its own time zone and month, by the plant report's rules (docs/cli.md); the
 * group's are their sums (time to close over all the plants' closed cases). The figures fill
 * the same capa_monthly the plant's report renders, so the formats are the same: JSON with a
 * `plants` array of each plant's report, CSV with one column per plant after the total.
 */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "capa_report.h"

static const char *const KINDS[] = {"response", "containment", "plan", "closure"};
#define N_KINDS 4

typedef struct gplant {
    char *id, *org, *tz;
    int days;
    capa_monthly m;
} gplant;

static void counts_free(capa_stat_counts *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->v[i].key);
    free(c->v);
    memset(c, 0, sizeof *c);
}

static void month_clear(capa_monthly *m)
{
    capa_stat_counts *cs[] = {&m->by_severity, &m->by_channel,  &m->by_complaint_type,
                              &m->by_customer, &m->by_part,     &m->by_defect,
                              &m->by_dept,     &m->by_validity, &m->satisfaction};
    for (size_t i = 0; i < sizeof cs / sizeof *cs; i++)
        counts_free(cs[i]);
    for (size_t i = 0; i < m->n_overdue; i++)
        free(m->overdue[i].number);
    free(m->overdue);
    free(m->on_time);
    for (size_t i = 0; i < m->n_recurrences; i++) {
        capa_stat_recurrence *r = &m->recurrences[i];
        free(r->number);
        free(r->part_no);
        free(r->defect_code);
        for (size_t k = 0; k < r->n_of; k++)
            free(r->of[k]);
        free(r->of);
    }
    free(m->recurrences);
}

static int add_count(capa_stat_counts *c, const char *key, uint64_t n)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->v[i].key, key) == 0) {
            c->v[i].count += n;
            c->total += n;
            return 0;
        }
    capa_stat_count *v = realloc(c->v, (c->n + 1) * sizeof *v);
    if (!v)
        return -1;
    c->v = v;
    if (!(v[c->n].key = strdup(key)))
        return -1;
    v[c->n].count = n;
    v[c->n++].cumulative_percent = 0;
    c->total += n;
    return 0;
}

static int by_pareto(const void *a, const void *b)
{
    const capa_stat_count *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->key, y->key);
}

/* Pareto order and running shares, as the plant's report. */
static void finish_counts(capa_stat_counts *c)
{
    uint64_t run = 0;
    if (c->n)
        qsort(c->v, c->n, sizeof *c->v, by_pareto);
    for (size_t i = 0; i < c->n; i++) {
        run += c->v[i].count;
        c->v[i].cumulative_percent = c->total ? 100.0 * (double)run / (double)c->total : 0;
    }
}

static PGresult *q(PGconn *pg, const char *sql, int n, const char *const *v)
{
    PGresult *r = PQexecParams(pg, sql, n, NULL, v, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        cli_error_rule(NULL, "report monthly --group", "cli.pg", "detail", cli_pg_msg(pg), NULL);
        PQclear(r);
        return NULL;
    }
    return r;
}

/* The month's bounds in the plant's zone, shared by every query: $1 plant, $2 month. */
#define BOUNDS                                                                                     \
    "WITH b0 AS (SELECT to_date($2, 'YYYY-MM')::timestamp AS m, timezone AS tz FROM capa.plants "  \
    "WHERE plant = $1), b AS (SELECT m AT TIME ZONE tz AS s, (m + interval '1 month') AT TIME "    \
    "ZONE tz AS e, least((m + interval '1 month') AT TIME ZONE tz, now()) AS a, m, tz FROM b0) "

static int64_t ms_of(const char *epoch)
{
    return (int64_t)llround(strtod(epoch, NULL) * 1000.0);
}

/* One plant's figures for `month`. 0, or -1 (reported). */
static int plant_month(PGconn *pg, gplant *g, const char *month)
{
    capa_monthly *m = &g->m;
    const char *v[2] = {g->id, month};
    PGresult *r;
    int bad = 0;
    m->org = g->org;
    m->timezone = g->tz;
    m->recurrence_days = g->days;
    snprintf(m->month_text, sizeof m->month_text, "%s", month);
    sscanf(month, "%d-%d", &m->year, &m->month);
    if (!(r = q(pg,
                BOUNDS "SELECT extract(epoch FROM s), extract(epoch FROM e), extract(epoch FROM a),"
                       " (SELECT count(*) FROM capa.cases c WHERE c.plant = $1 AND c.opened >= s"
                       "   AND c.opened < e AND c.opened < a),"
                       " (SELECT count(*) FROM capa.cases c WHERE c.plant = $1 AND c.closed AND"
                       "   c.closed_at >= s AND c.closed_at < e AND c.closed_at < a),"
                       " (SELECT count(*) FROM capa.cases c WHERE c.plant = $1 AND c.opened < a"
                       "   AND NOT (c.closed AND c.closed_at < a)),"
                       " (SELECT count(*) FROM capa.cases c WHERE c.plant = $1 AND c.closed AND"
                       "   c.closed_at >= s AND c.closed_at < e AND c.closed_at < a AND"
                       "   c.satisfaction = '') FROM b",
                2, v)))
        return -1;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return cli_error_rule(NULL, "report monthly --group", "cli.group_plant", "plant", g->id,
                              NULL)
                   ? -1
                   : -1;
    }
    m->start = ms_of(PQgetvalue(r, 0, 0));
    m->end = ms_of(PQgetvalue(r, 0, 1));
    m->as_of = ms_of(PQgetvalue(r, 0, 2));
    m->opened = strtoull(PQgetvalue(r, 0, 3), NULL, 10);
    m->closed = strtoull(PQgetvalue(r, 0, 4), NULL, 10);
    m->open_at_end = strtoull(PQgetvalue(r, 0, 5), NULL, 10);
    m->satisfaction_unrecorded = strtoull(PQgetvalue(r, 0, 6), NULL, 10);
    PQclear(r);

    static const struct {
        const char *col;
        size_t off;
    } cols[] = {
        {"severity", offsetof(capa_monthly, by_severity)},
        {"channel", offsetof(capa_monthly, by_channel)},
        {"complaint_type", offsetof(capa_monthly, by_complaint_type)},
        {"customer", offsetof(capa_monthly, by_customer)},
        {"part_no", offsetof(capa_monthly, by_part)},
        {"defect_code", offsetof(capa_monthly, by_defect)},
        {"responsible_dept", offsetof(capa_monthly, by_dept)},
        {"validity", offsetof(capa_monthly, by_validity)},
    };
    char sql[1024];
    for (size_t i = 0; i < sizeof cols / sizeof *cols; i++) {
        snprintf(sql, sizeof sql,
                 BOUNDS "SELECT c.%s, count(*) FROM capa.cases c, b WHERE c.plant = $1 AND "
                        "c.opened >= s AND c.opened < e AND c.opened < a GROUP BY 1",
                 cols[i].col);
        if (!(r = q(pg, sql, 2, v)))
            return -1;
        capa_stat_counts *c = (capa_stat_counts *)((char *)m + cols[i].off);
        for (int k = 0; !bad && k < PQntuples(r); k++)
            bad = add_count(c, PQgetvalue(r, k, 0), strtoull(PQgetvalue(r, k, 1), NULL, 10));
        PQclear(r);
        finish_counts(c);
    }
    if (!(r = q(pg,
                BOUNDS "SELECT c.satisfaction, count(*) FROM capa.cases c, b WHERE c.plant = $1 "
                       "AND c.closed AND c.closed_at >= s AND c.closed_at < e AND c.closed_at < a "
                       "AND c.satisfaction <> '' GROUP BY 1",
                2, v)))
        return -1;
    for (int k = 0; !bad && k < PQntuples(r); k++)
        bad = add_count(&m->satisfaction, PQgetvalue(r, k, 0),
                        strtoull(PQgetvalue(r, k, 1), NULL, 10));
    PQclear(r);
    finish_counts(&m->satisfaction);

    if (!(r = q(pg,
                BOUNDS "SELECT count(*), coalesce(avg(h), 0), coalesce(percentile_cont(0.5) "
                       "WITHIN GROUP (ORDER BY h), 0) FROM (SELECT extract(epoch FROM "
                       "c.closed_at - c.opened) / 3600.0 AS h FROM capa.cases c, b WHERE "
                       "c.plant = $1 AND c.closed AND c.closed_at >= s AND c.closed_at < e AND "
                       "c.closed_at < a) x",
                2, v)))
        return -1;
    m->n_time_to_close = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
    m->ttc_mean_hours = strtod(PQgetvalue(r, 0, 1), NULL);
    m->ttc_median_hours = strtod(PQgetvalue(r, 0, 2), NULL);
    PQclear(r);

    if (!(m->on_time = calloc(N_KINDS, sizeof *m->on_time)))
        return cli_oom(NULL, "report monthly --group") ? -1 : -1;
    m->n_on_time = N_KINDS;
    for (size_t k = 0; k < N_KINDS; k++) {
        snprintf(m->on_time[k].kind, sizeof m->on_time[k].kind, "%s", KINDS[k]);
        m->on_time[k].rate = -1;
    }
    if (!(r = q(pg,
                BOUNDS "SELECT l.kind, count(*), count(*) FILTER (WHERE l.met IS NOT NULL AND "
                       "l.met <= l.due) FROM capa.limits l, b WHERE l.plant = $1 AND l.due >= s "
                       "AND l.due < a GROUP BY 1",
                2, v)))
        return -1;
    for (int i = 0; i < PQntuples(r); i++)
        for (size_t k = 0; k < N_KINDS; k++)
            if (strcmp(PQgetvalue(r, i, 0), KINDS[k]) == 0) {
                m->on_time[k].due = strtoull(PQgetvalue(r, i, 1), NULL, 10);
                m->on_time[k].on_time = strtoull(PQgetvalue(r, i, 2), NULL, 10);
            }
    PQclear(r);

    if (!(r = q(pg,
                BOUNDS "SELECT l.number, l.kind, extract(epoch FROM l.due), extract(epoch FROM "
                       "a - l.due) FROM capa.limits l JOIN capa.cases c USING (plant, number), b "
                       "WHERE l.plant = $1 AND c.opened < a AND NOT (c.closed AND c.closed_at < a)"
                       " AND l.due <= a AND (l.met IS NULL OR l.met > a) ORDER BY l.number, "
                       "l.position",
                2, v)))
        return -1;
    int n = PQntuples(r);
    if (n && !(m->overdue = calloc((size_t)n, sizeof *m->overdue)))
        bad = 1;
    for (int i = 0; !bad && i < n; i++) {
        capa_stat_overdue *o = &m->overdue[m->n_overdue++];
        bad = !(o->number = strdup(PQgetvalue(r, i, 0)));
        snprintf(o->kind, sizeof o->kind, "%s", PQgetvalue(r, i, 1));
        o->due = ms_of(PQgetvalue(r, i, 2));
        o->late_ms = ms_of(PQgetvalue(r, i, 3));
    }
    PQclear(r);

    if (!(r = q(pg,
                BOUNDS "SELECT to_char(t.m, 'YYYY-MM'), (SELECT count(*) FROM capa.cases c "
                       "WHERE c.plant = $1 AND c.opened >= t.m AT TIME ZONE b.tz AND c.opened < "
                       "(t.m + interval '1 month') AT TIME ZONE b.tz AND c.opened < b.a), "
                       "(SELECT count(*) FROM capa.cases c WHERE c.plant = $1 AND c.closed AND "
                       "c.closed_at >= t.m AT TIME ZONE b.tz AND c.closed_at < (t.m + interval "
                       "'1 month') AT TIME ZONE b.tz AND c.closed_at < b.a) FROM b, "
                       "generate_series(b.m - interval '11 months', b.m, interval '1 month') "
                       "AS t(m) ORDER BY t.m",
                2, v)))
        return -1;
    for (int i = 0; i < PQntuples(r) && i < 12; i++) {
        sscanf(PQgetvalue(r, i, 0), "%d-%d", &m->trend[i].year, &m->trend[i].month);
        snprintf(m->trend[i].label, sizeof m->trend[i].label, "%04d-%02d",
                 m->trend[i].year % 10000, m->trend[i].month % 100);
        m->trend[i].opened = strtoull(PQgetvalue(r, i, 1), NULL, 10);
        m->trend[i].closed = strtoull(PQgetvalue(r, i, 2), NULL, 10);
    }
    PQclear(r);
    return bad ? (cli_oom(NULL, "report monthly --group") ? -1 : -1) : 0;
}

static void rates(capa_monthly *m)
{
    m->on_time_due = m->on_time_met = 0;
    for (size_t k = 0; k < m->n_on_time; k++) {
        capa_stat_ontime *o = &m->on_time[k];
        o->rate = o->due ? (double)o->on_time / (double)o->due : -1;
        m->on_time_due += o->due;
        m->on_time_met += o->on_time;
    }
    m->on_time_overall = m->on_time_due ? (double)m->on_time_met / (double)m->on_time_due : -1;
}

/* The group's figures: every plant's added up; overdue limits listed as "ORG NUMBER". */
static int add_plant(capa_monthly *t, const capa_monthly *m)
{
    if (m->n_overdue) {
        capa_stat_overdue *o = realloc(t->overdue, (t->n_overdue + m->n_overdue) * sizeof *o);
        if (!o)
            return -1;
        t->overdue = o;
        for (size_t i = 0; i < m->n_overdue; i++) {
            capa_stat_overdue *x = &o[t->n_overdue];
            *x = m->overdue[i];
            size_t len = strlen(m->org) + strlen(m->overdue[i].number) + 2;
            if (!(x->number = malloc(len)))
                return -1;
            snprintf(x->number, len, "%s %s", m->org, m->overdue[i].number);
            t->n_overdue++;
        }
    }
    t->opened += m->opened;
    t->closed += m->closed;
    t->open_at_end += m->open_at_end;
    t->satisfaction_unrecorded += m->satisfaction_unrecorded;
    t->n_time_to_close += m->n_time_to_close;
    const capa_stat_counts *from[] = {&m->by_severity, &m->by_channel,  &m->by_complaint_type,
                                      &m->by_customer, &m->by_part,     &m->by_defect,
                                      &m->by_dept,     &m->by_validity, &m->satisfaction};
    capa_stat_counts *to[] = {&t->by_severity, &t->by_channel,  &t->by_complaint_type,
                              &t->by_customer, &t->by_part,     &t->by_defect,
                              &t->by_dept,     &t->by_validity, &t->satisfaction};
    for (size_t i = 0; i < sizeof to / sizeof *to; i++)
        for (size_t k = 0; k < from[i]->n; k++)
            if (add_count(to[i], from[i]->v[k].key, from[i]->v[k].count))
                return -1;
    for (size_t k = 0; k < N_KINDS; k++) {
        t->on_time[k].due += m->on_time[k].due;
        t->on_time[k].on_time += m->on_time[k].on_time;
    }
    for (int i = 0; i < 12; i++) {
        t->trend[i].year = m->trend[i].year;
        t->trend[i].month = m->trend[i].month;
        memcpy(t->trend[i].label, m->trend[i].label, sizeof t->trend[i].label);
        t->trend[i].opened += m->trend[i].opened;
        t->trend[i].closed += m->trend[i].closed;
    }
    return 0;
}

/* Time to close over every selected plant's cases closed in its month. */
static int group_ttc(PGconn *pg, capa_monthly *t, const char *ids, const char *month)
{
    const char *v[2] = {ids, month};
    PGresult *r =
        q(pg,
          "SELECT coalesce(avg(h), 0), coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY h), "
          "0) FROM (SELECT extract(epoch FROM c.closed_at - c.opened) / 3600.0 AS h FROM "
          "capa.cases c JOIN capa.plants p USING (plant) WHERE c.plant = ANY($1::text[]) AND "
          "c.closed AND c.closed_at >= to_date($2, 'YYYY-MM')::timestamp AT TIME ZONE p.timezone "
          "AND c.closed_at < (to_date($2, 'YYYY-MM')::timestamp + interval '1 month') AT TIME ZONE "
          "p.timezone AND c.closed_at < now()) x",
          2, v);
    if (!r)
        return -1;
    t->ttc_mean_hours = strtod(PQgetvalue(r, 0, 0), NULL);
    t->ttc_median_hours = strtod(PQgetvalue(r, 0, 1), NULL);
    PQclear(r);
    return 0;
}

/* Recurrences across plants: the group_recurrence view's part and defect pairs seen in more
 * than one plant whose latest case was opened in the month (from the earliest plant's start
 * to the latest plant's end). Each is listed as its latest case ("ORG NUMBER"), a recurrence
 * of the earlier ones, in every format as a plant's recurrences are. 0, or -1 (reported). */
static int group_recurrences(PGconn *pg, capa_monthly *t, int64_t start, int64_t end)
{
    char a[32], b[32];
    snprintf(a, sizeof a, "%.3f", (double)start / 1000.0);
    snprintf(b, sizeof b, "%.3f", (double)end / 1000.0);
    const char *v[2] = {a, b};
    PGresult *r = q(pg,
                    "SELECT part_no, defect_code, case_list FROM capa.group_recurrence WHERE "
                    "plants > 1 AND last_opened >= to_timestamp($1::float8) AND last_opened < "
                    "to_timestamp($2::float8) ORDER BY last_opened, part_no, defect_code",
                    2, v);
    if (!r)
        return -1;
    int n = PQntuples(r), bad = 0;
    if (n && !(t->recurrences = calloc((size_t)n, sizeof *t->recurrences)))
        bad = 1;
    for (int i = 0; !bad && i < n; i++) {
        capa_stat_recurrence *x = &t->recurrences[t->n_recurrences++];
        char *list = strdup(PQgetvalue(r, i, 2));
        x->part_no = strdup(PQgetvalue(r, i, 0));
        x->defect_code = strdup(PQgetvalue(r, i, 1));
        bad = !list || !x->part_no || !x->defect_code;
        /* "ORG NUMBER, ORG NUMBER, ..." in opening order: the last is the recurrence. */
        size_t cap = 1;
        for (const char *c = list ? list : ""; *c; c++)
            cap += strncmp(c, ", ", 2) == 0;
        if (!bad && !(x->of = calloc(cap, sizeof *x->of)))
            bad = 1;
        char *cur = list;
        while (!bad && cur) {
            char *sep = strstr(cur, ", ");
            if (sep)
                *sep = '\0';
            if (!sep)
                bad = !(x->number = strdup(cur));
            else
                bad = !(x->of[x->n_of++] = strdup(cur));
            cur = sep ? sep + 2 : NULL;
        }
        free(list);
    }
    PQclear(r);
    return bad ? (cli_oom(NULL, "report monthly --group") ? -1 : -1) : 0;
}

/* ---- CSV: the report's rows, the group's value then one column per plant ---- */

static int csv_row(const capa_report_row *r, const capa_report_row *const *per, void *payload)
{
    const capa_report_plants *g = ((void **)payload)[1];
    FILE *f = ((void **)payload)[0];
    cli_csv_field(f, r->section);
    fputc(',', f);
    cli_csv_field(f, r->key);
    fputc(',', f);
    cli_csv_field(f, r->value);
    fputc(',', f);
    cli_csv_field(f, r->percent);
    for (size_t p = 0; p < g->n; p++) {
        fputc(',', f);
        /* A count a plant does not have is 0 there; other figures stay empty. */
        cli_csv_field(f, per[p]                                          ? per[p]->value
                         : r->is_number && strncmp(r->section, "by_", 3) == 0 ? "0"
                                                                          : "");
    }
    fputs("\r\n", f);
    return 0;
}

static int cli_report_group(cli *c, const char *conninfo, const char **plants, size_t n_plants,
                            const char *month, const char *format, const char *out,
                            const char *font, int no_sign)
{
    int rc = CLI_ERROR, csv = strcmp(format, "csv") == 0;
    int pdf = strcmp(format, "pdf") == 0, xlsx = strcmp(format, "xlsx") == 0;
    PGconn *pg = NULL;
    PGresult *r = NULL;
    gplant *g = NULL;
    size_t ng = 0;
    capa_monthly t = {0};
    capa_plant *utc = NULL;
    json_t *doc = NULL;
    FILE *f = NULL;
    char tmp[4200] = "";
    int y, mo;
    char extra;
    if (strcmp(format, "json") != 0 && !csv && !pdf && !xlsx)
        return cli_usage_rule(c, "cli.choice", format, "option", "--format", "choices",
                              "json, csv, pdf, xlsx", NULL);
    if ((pdf || xlsx) && strcmp(out, "-") == 0)
        return cli_usage_rule(c, "cli.stdout", NULL, "option", "-o -", "formats", "csv, json",
                              NULL);
    if (sscanf(month, "%4d-%2d%c", &y, &mo, &extra) != 2 || strlen(month) != 7 || mo < 1 || mo > 12)
        return cli_error_rule(NULL, "report monthly", "cli.month", "value", month, NULL);
    pg = PQconnectdb(conninfo);
    if (PQstatus(pg) != CONNECTION_OK) {
        cli_error_rule(NULL, "report monthly --group", "cli.pg_connect", "detail", cli_pg_msg(pg),
                       NULL);
        goto done;
    }
    PQclear(PQexec(pg, "SET client_encoding = 'UTF8'"));
    /* The plants: those named (by id or organisation), else all, by organisation. */
    {
        char *arr = NULL;
        size_t len = 3;
        for (size_t i = 0; i < n_plants; i++)
            len += 2 * strlen(plants[i]) + 4;
        if (!(arr = malloc(len)))
            goto done;
        char *w = arr;
        *w++ = '{';
        for (size_t i = 0; i < n_plants; i++) {
            if (i)
                *w++ = ',';
            *w++ = '"';
            for (const char *s = plants[i]; *s; s++) {
                if (*s == '"' || *s == '\\')
                    *w++ = '\\';
                *w++ = *s;
            }
            *w++ = '"';
        }
        *w++ = '}';
        *w = '\0';
        const char *v[2] = {arr, n_plants ? "f" : "t"};
        r = q(pg,
              "SELECT plant, org, timezone, recurrence_days FROM capa.plants WHERE $2::boolean "
              "OR plant = ANY($1::text[]) OR org = ANY($1::text[]) ORDER BY org, plant",
              2, v);
        free(arr);
        if (!r)
            goto done;
    }
    ng = (size_t)PQntuples(r);
    for (size_t i = 0; i < n_plants; i++) {
        int found = 0;
        for (size_t k = 0; k < ng; k++)
            found |= strcmp(PQgetvalue(r, (int)k, 0), plants[i]) == 0 ||
                     strcmp(PQgetvalue(r, (int)k, 1), plants[i]) == 0;
        if (!found) {
            cli_error_rule(NULL, "report monthly --group", "cli.group_plant", "option", "--plant",
                           "plant", plants[i], NULL);
            goto done;
        }
    }
    if (!ng) {
        cli_error_rule(NULL, "report monthly --group", "cli.group_none", "option",
                       n_plants ? "--plant" : "", NULL);
        goto done;
    }
    if (!(g = calloc(ng, sizeof *g)))
        goto done;
    for (size_t i = 0; i < ng; i++) {
        g[i].id = strdup(PQgetvalue(r, (int)i, 0));
        g[i].org = strdup(PQgetvalue(r, (int)i, 1));
        g[i].tz = strdup(PQgetvalue(r, (int)i, 2));
        g[i].days = atoi(PQgetvalue(r, (int)i, 3));
        if (!g[i].id || !g[i].org || !g[i].tz)
            goto done;
    }
    PQclear(r);
    r = NULL;
    if (!(t.on_time = calloc(N_KINDS, sizeof *t.on_time)))
        goto done;
    t.n_on_time = N_KINDS;
    for (size_t k = 0; k < N_KINDS; k++)
        snprintf(t.on_time[k].kind, sizeof t.on_time[k].kind, "%s", KINDS[k]);
    char *ids = NULL;
    size_t idlen = 3;
    for (size_t i = 0; i < ng; i++)
        idlen += strlen(g[i].id) + 3;
    if (!(ids = malloc(idlen)))
        goto done;
    strcpy(ids, "{");
    for (size_t i = 0; i < ng; i++) {
        if (plant_month(pg, &g[i], month)) {
            free(ids);
            goto done;
        }
        rates(&g[i].m);
        if (add_plant(&t, &g[i].m)) {
            free(ids);
            goto done;
        }
        strcat(ids, i ? ",\"" : "\"");
        strcat(ids, g[i].id);
        strcat(ids, "\"");
    }
    strcat(ids, "}");
    int e = group_ttc(pg, &t, ids, month);
    free(ids);
    if (e)
        goto done;
    rates(&t);
    capa_stat_counts *cs[] = {&t.by_severity, &t.by_channel,  &t.by_complaint_type,
                              &t.by_customer, &t.by_part,     &t.by_defect,
                              &t.by_dept,     &t.by_validity, &t.satisfaction};
    for (size_t i = 0; i < sizeof cs / sizeof *cs; i++)
        finish_counts(cs[i]);
    snprintf(t.month_text, sizeof t.month_text, "%s", month);
    t.year = y;
    t.month = mo;
    t.org = ng == 1 ? g[0].org : "group";
    t.timezone = ng == 1 ? g[0].tz : "UTC";
    t.recurrence_days = g[0].days;
    t.start = g[0].m.start;
    t.end = g[0].m.end;
    t.as_of = g[0].m.as_of;
    for (size_t i = 0; i < ng; i++)
        if (g[i].m.start > (int64_t)time(NULL) * 1000) {
            cli_error_rule(NULL, "report monthly", "cli.month_future", "option", "--month", "value",
                           month, "org", g[i].org, "tz", g[i].tz, NULL);
            goto done;
        }
    if (capa_plant_new(&utc, t.timezone) != CAPA_OK) {
        cli_fail(c, "report monthly --group", CAPA_EINVALID);
        goto done;
    }
    /* Each plant's times in its own zone. */
    capa_plant **zones = calloc(ng, sizeof *zones);
    if (!zones)
        goto done;
    int zbad = 0;
    for (size_t i = 0; i < ng && !zbad; i++)
        zbad = capa_plant_new(&zones[i], g[i].tz) != CAPA_OK;
    /* The plants beside the group: the per-plant columns of every format. */
    const capa_monthly **pm = calloc(ng, sizeof *pm);
    const char **pn = calloc(ng, sizeof *pn);
    capa_report_plants gp = {ng, pm, (const capa_plant *const *)zones, pn};
    zbad = zbad || !pm || !pn;
    for (size_t i = 0; !zbad && i < ng; i++)
        pm[i] = &g[i].m, pn[i] = g[i].org;
    if (!zbad) {
        int64_t s0 = g[0].m.start, e0 = g[0].m.end;
        for (size_t i = 1; i < ng; i++) {
            s0 = g[i].m.start < s0 ? g[i].m.start : s0;
            e0 = g[i].m.end > e0 ? g[i].m.end : e0;
        }
        if (group_recurrences(pg, &t, s0, e0))
            zbad = 2;
    }
    if (!zbad && (pdf || xlsx)) {
        /* The group's figures in the plant report's PDF or workbook: the labels (and the
         * signing key) are those of the store --db names, the group's own at headquarters. */
        capa_store *s = NULL;
        char key[4096], crt[4096], fontbuf[4200];
        capa_monthly_opts o = {0};
        int err = CAPA_OK;
        if (cli_store_open(&s, c, 0, 1) != CLI_OK) {
            zbad = 2;
        } else {
            if (!font || !*font)
                font = getenv("CAPA_FONT");
            if (!font || !*font)
                font = cli_default_font(fontbuf, sizeof fontbuf);
            o.font_path = font && *font ? font : NULL;
            if (pdf && !no_sign) {
                o.key_path = cli_keys_path(c, key, sizeof key, "org.key");
                o.cert_path = cli_keys_path(c, crt, sizeof crt, "org.crt");
            }
            o.plants = &gp;
            err = pdf ? capa_report_monthly_pdf(s, &t, out, &o)
                      : capa_report_group_xlsx(s, &t, &gp, out);
            if (err != CAPA_OK) {
                cli_fail(c, "report monthly --group", err);
                zbad = 2;
            } else {
                printf("%s\n", out);
            }
            capa_store_close(s);
        }
    }
    if (!zbad && !csv && !pdf && !xlsx) {
        json_t *list = json_array();
        doc = cli_report_json(&t, utc);
        zbad = !doc || !list || cli_json_set(doc, "plants", list);
        for (size_t i = 0; i < ng && !zbad; i++) {
            json_t *pj = cli_report_json(&g[i].m, zones[i]);
            zbad =
                !pj || cli_json_set(pj, "plant", cli_json_str(g[i].id)) || cli_json_push(list, pj);
        }
    }
    if (!zbad && !pdf && !xlsx) {
        f = stdout;
        if (strcmp(out, "-") != 0) {
            snprintf(tmp, sizeof tmp, "%s.tmp.%ld", out, (long)getpid());
            if (!(f = fopen(tmp, "w"))) {
                cli_error_rule(NULL, out, "cli.io_write", "detail", strerror(errno), NULL);
                tmp[0] = '\0';
                zbad = 1;
            }
        }
    }
    if (!zbad && csv) {
        cli_csv_bom(f);
        fputs("section,key,value,percent", f);
        for (size_t i = 0; i < ng; i++) {
            fputc(',', f);
            cli_csv_field(f, g[i].org);
        }
        fputs("\r\n", f);
        void *x[2] = {f, &gp};
        zbad = capa_report_group_rows(&t, utc, &gp, csv_row, x) != 0;
    } else if (!zbad && !pdf && !xlsx) {
        zbad = json_dumpf(doc, f, JSON_INDENT(2)) != 0;
        fputc('\n', f);
    }
    for (size_t i = 0; i < ng; i++)
        capa_plant_free(zones[i]);
    free(zones);
    free(pm);
    free(pn);
    if (f && f != stdout) {
        zbad |= ferror(f) || fflush(f) != 0 || fsync(fileno(f)) != 0;
        zbad |= fclose(f) != 0;
        if (!zbad && rename(tmp, out) != 0)
            zbad = 1;
        if (zbad)
            unlink(tmp);
        else
            printf("%s\n", out);
    } else if (f) {
        zbad |= fflush(f) != 0;
    }
    if (zbad == 1)
        cli_error_rule(NULL, out, "cli.io_write", "detail", strerror(errno ? errno : EIO), NULL);
    if (zbad)
        goto done;
    rc = CLI_OK;
done:
    PQclear(r);
    PQfinish(pg);
    json_decref(doc);
    capa_plant_free(utc);
    for (size_t i = 0; g && i < ng; i++) {
        month_clear(&g[i].m);
        free(g[i].id);
        free(g[i].org);
        free(g[i].tz);
    }
    free(g);
    month_clear(&t);
    return rc;
}

int cmd_report_group(cli *c, int argc, char **argv)
{
    const char *conninfo = NULL, *month = NULL, *format = "json", *out = NULL, *font = NULL;
    int no_sign = 0;
    const cli_opt opts[] = {{"--group", &conninfo, NULL},  {"--month", &month, NULL},
                            {"--format", &format, NULL},   {"-o", &out, NULL},
                            {"--output", &out, NULL},      {"--font", &font, NULL},
                            {"--no-sign", NULL, &no_sign}, {NULL, NULL, NULL}};
    const char **plants = calloc((size_t)argc + 1, sizeof *plants);
    size_t n_plants = 0;
    int m = 0, npos, rc;
    if (!plants)
        return cli_oom(NULL, "report monthly");
    /* --plant may be given many times: take them out before the common parser. */
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--plant") == 0 && i + 1 < argc)
            plants[n_plants++] = argv[++i];
        else if (strncmp(argv[i], "--plant=", 8) == 0)
            plants[n_plants++] = argv[i] + 8;
        else if (strcmp(argv[i], "--plant") == 0) {
            free(plants);
            return cli_usage_rule(c, "cli.plant", NULL, "option", "--plant", NULL);
        } else
            argv[m++] = argv[i];
    }
    if ((rc = cli_parse(c, m, argv, opts, &npos)) != CLI_OK) {
        free(plants);
        return rc == CLI_DONE ? CLI_OK : rc;
    }
    if (npos != 1 || strcmp(argv[0], "monthly") != 0)
        rc = cli_usage_rule(c, "cli.syntax", NULL, "syntax",
                            "report monthly --group CONNINFO --month YYYY-MM -o FILE", NULL);
    else if (!conninfo || !*conninfo)
        rc = cli_usage_rule(c, "cli.required", NULL, "option", "--group CONNINFO", "hint", "group",
                            NULL);
    else if (!month)
        rc = cli_usage_rule(c, "cli.required", NULL, "option", "--month YYYY-MM", NULL);
    else if (!out || !*out)
        rc = cli_usage_rule(c, "cli.required", NULL, "option", "-o FILE", NULL);
    else
        rc = cli_report_group(c, conninfo, plants, n_plants, month, format, out, font, no_sign);
    free(plants);
    return rc;
}
