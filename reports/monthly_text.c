/*
 * monthly_text.c - the quality report's JSON and CSV (capa report --format json|csv, and the
 * downloads of capa serve's reports page): one rendering for both tools. The figures are
 * core's (capa_stats_period), rounded as every format rounds them; the CSV rows are
 * capa_report_monthly_rows', as the xlsx's.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capa_report.h"
#include "text.h"

/* A JSON string of s (null for NULL); invalid UTF-8 bytes as U+FFFD. */
static json_t *jstr(const char *s)
{
    if (!s)
        return json_null();
    json_t *j = json_string(s);
    if (j)
        return j;
    size_t n = strlen(s), o = 0;
    char *buf = malloc(n * 3 + 1);
    if (!buf)
        return NULL;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t len = capa_text__utf8_next((const unsigned char *)s + i, n - i, &cp);
        if (cp == 0xFFFD && (len != 3 || memcmp(s + i, "\xEF\xBF\xBD", 3) != 0)) {
            memcpy(buf + o, "\xEF\xBF\xBD", 3);
            o += 3;
        } else {
            memcpy(buf + o, s + i, len);
            o += len;
        }
        i += len;
    }
    j = json_stringn(buf, o);
    free(buf);
    return j;
}

static int jset(json_t *obj, const char *key, json_t *val)
{
    return val ? json_object_set_new(obj, key, val) : -1;
}

static int jpush(json_t *arr, json_t *val)
{
    return val ? json_array_append_new(arr, val) : -1;
}

/* What every rendering prints: 4 decimals for fractions, 2 for hours, days and percents. */
#define r4(v) capa_report_round((v), 4)
#define r2(v) capa_report_round((v), 2)

static json_t *counts_obj(const capa_stat_counts *c)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < c->n; i++)
        if (jset(o, c->v[i].key, json_integer((json_int_t)c->v[i].count))) {
            json_decref(o);
            return NULL;
        }
    return o;
}

static json_t *rate_json(double v)
{
    return v < 0 ? json_null() : json_real(r4(v));
}

static json_t *local_json(const capa_plant *p, int64_t ms)
{
    char buf[40];
    capa_plant_time_format(buf, sizeof buf, p, ms);
    return jstr(buf);
}

json_t *capa_report_monthly_json(const capa_monthly *m, const capa_plant *p)
{
    json_t *d = json_object(), *a, *o, *ntf = NULL;
    if (!d)
        return NULL;
    /* The window: "month", "week", or for a range only its days; "from"/"to" always. */
    static const char *const kinds[] = {"month", "week", NULL};
    int bad = (kinds[m->kind] && jset(d, kinds[m->kind], jstr(m->period_text))) ||
              jset(d, "from", jstr(m->from_text)) || jset(d, "to", jstr(m->to_text)) ||
              jset(d, "timezone", jstr(m->timezone)) || jset(d, "organisation", jstr(m->org)) ||
              jset(d, "start", local_json(p, m->start)) || jset(d, "end", local_json(p, m->end)) ||
              jset(d, "as_of", local_json(p, m->as_of)) ||
              jset(d, "opened", json_integer((json_int_t)m->opened)) ||
              jset(d, "closed", json_integer((json_int_t)m->closed)) ||
              jset(d, "open_at_end", json_integer((json_int_t)m->open_at_end)) ||
              jset(d, "by_severity", counts_obj(&m->by_severity)) ||
              jset(d, "by_channel", counts_obj(&m->by_channel)) ||
              jset(d, "by_complaint_type", counts_obj(&m->by_complaint_type)) ||
              jset(d, "by_customer", counts_obj(&m->by_customer)) ||
              jset(d, "by_part", counts_obj(&m->by_part)) ||
              jset(d, "by_responsible_dept", counts_obj(&m->by_dept)) ||
              jset(d, "by_validity", counts_obj(&m->by_validity)) ||
              jset(d, "by_defect", a = json_array());
    for (size_t i = 0; !bad && i < m->by_defect.n; i++) {
        const capa_stat_count *c = &m->by_defect.v[i];
        bad = jpush(a, o = json_object()) || jset(o, "code", jstr(c->key)) ||
              jset(o, "count", json_integer((json_int_t)c->count)) ||
              jset(o, "cumulative_percent", json_real(r2(c->cumulative_percent)));
    }
    bad = bad || jset(d, "time_to_close_hours", o = json_object()) ||
          jset(o, "mean", json_real(r2(m->ttc_mean_hours))) ||
          jset(o, "median", json_real(r2(m->ttc_median_hours))) ||
          jset(d, "time_to_close_days", o = json_object()) ||
          jset(o, "mean", json_real(r2(m->ttc_mean_hours / 24.0))) ||
          jset(o, "median", json_real(r2(m->ttc_median_hours / 24.0))) ||
          jset(d, "on_time_rate", o = json_object());
    for (size_t i = 0; !bad && i < m->n_on_time; i++)
        bad = jset(o, m->on_time[i].kind, rate_json(m->on_time[i].rate));
    bad = bad || jset(o, "overall", rate_json(m->on_time_overall)) ||
          jset(d, "on_time_counts", o = json_object());
    for (size_t i = 0; !bad && i < m->n_on_time; i++) {
        json_t *k;
        bad = jset(o, m->on_time[i].kind, k = json_object()) ||
              jset(k, "due", json_integer((json_int_t)m->on_time[i].due)) ||
              jset(k, "on_time", json_integer((json_int_t)m->on_time[i].on_time));
    }
    bad = bad || jset(d, "overdue", a = json_array());
    for (size_t i = 0; !bad && i < m->n_overdue; i++) {
        const capa_stat_overdue *x = &m->overdue[i];
        bad = jpush(a, o = json_object()) || jset(o, "number", jstr(x->number)) ||
              jset(o, "kind", jstr(x->kind)) || jset(o, "due", local_json(p, x->due)) ||
              jset(o, "overdue_hours", json_real(r2((double)x->late_ms / 3600000.0)));
    }
    bad = bad || jset(d, "satisfaction", counts_obj(&m->satisfaction)) ||
          jset(d, "satisfaction_share", o = json_object());
    for (size_t i = 0; !bad && i < m->satisfaction.n; i++) {
        const capa_stat_count *c = &m->satisfaction.v[i];
        bad = jset(o, c->key,
                   m->satisfaction.total
                       ? json_real(r4((double)c->count / (double)m->satisfaction.total))
                       : json_null());
    }
    bad =
        bad ||
        jset(d, "satisfaction_unrecorded", json_integer((json_int_t)m->satisfaction_unrecorded)) ||
        jset(d, "second_rounds", json_integer((json_int_t)m->second_rounds)) ||
        jset(d, "second_round_rate", rate_json(m->second_round_rate)) ||
        jset(d, "returns_decided", json_integer((json_int_t)m->returns_decided)) ||
        jset(d, "ntf", json_integer((json_int_t)m->ntf)) ||
        jset(d, "ntf_rate", rate_json(m->ntf_rate)) ||
        jset(d, "ntf_cases", ntf = json_array()) ||
        jset(d, "recurrence_days", json_integer(m->recurrence_days)) ||
        jset(d, "recurrences", a = json_array());
    for (size_t i = 0; !bad && i < m->n_ntf_cases; i++)
        bad = jpush(ntf, jstr(m->ntf_cases[i]));
    for (size_t i = 0; !bad && i < m->n_recurrences; i++)
        bad = jpush(a, jstr(m->recurrences[i].number));
    bad = bad || jset(d, "recurrence_of", o = json_object());
    for (size_t i = 0; !bad && i < m->n_recurrences; i++) {
        json_t *of;
        bad = jset(o, m->recurrences[i].number, of = json_array());
        for (size_t k = 0; !bad && k < m->recurrences[i].n_of; k++)
            bad = jpush(of, jstr(m->recurrences[i].of[k]));
    }
    bad = bad || jset(d, "trend", a = json_array());
    for (size_t i = 0; !bad && i < 12; i++) {
        bad = jpush(a, o = json_object()) ||
              jset(o, m->kind == CAPA_PERIOD_WEEK ? "week" : "month", jstr(m->trend[i].label)) ||
              jset(o, "opened", json_integer((json_int_t)m->trend[i].opened)) ||
              jset(o, "closed", json_integer((json_int_t)m->trend[i].closed));
    }
    if (bad) {
        json_decref(d);
        return NULL;
    }
    return d;
}

/* ---- CSV: the report's rows (capa_report_monthly_rows), RFC 4180 quoting ---- */

void capa_report_csv_bom(FILE *f)
{
    fputs("\xEF\xBB\xBF", f);
}

void capa_report_csv_field(FILE *f, const char *s)
{
    int lead = *s == '=' || *s == '+' || *s == '-' || *s == '@';
    if (!strpbrk(s, ",\"\r\n") && !lead) {
        fputs(s, f);
        return;
    }
    /* Quoted; a leading = + - @ gets a ' so a spreadsheet never runs it as a formula. */
    fputc('"', f);
    if (lead)
        fputc('\'', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static int csv_row(const capa_report_row *r, void *payload)
{
    FILE *f = payload;
    capa_report_csv_field(f, r->section);
    fputc(',', f);
    capa_report_csv_field(f, r->key);
    fputc(',', f);
    capa_report_csv_field(f, r->value);
    fputc(',', f);
    capa_report_csv_field(f, r->percent);
    fputs("\r\n", f);
    return 0;
}

void capa_report_monthly_csv(FILE *f, const capa_monthly *m, const capa_plant *p)
{
    capa_report_row head = {"section", "key", "value", "percent", 0, 0, 0, 0};
    capa_report_csv_bom(f);
    csv_row(&head, f);
    capa_report_monthly_rows(m, p, csv_row, f);
}

int capa_report_period(capa_monthly **out, capa_store *s, capa_period_kind kind, const char *a,
                       const char *b, int64_t at)
{
    *out = NULL;
    /* Every figure comes from the headers of many cases: the whole store must replay to
     * what it holds before any of them is given out (nothing is written when it does not). */
    int err = capa_store_prove(s, NULL);
    if (err)
        return err;
    return capa_stats_period(out, s, kind, a, b, at);
}
