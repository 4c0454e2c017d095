/*
 * cmd_report.c - `capa report monthly --month YYYY-MM | weekly --week YYYY-Www | --from DATE
 * --to DATE [--format pdf|csv|json|xlsx] [--at TIME] -o FILE`: the quality report
 * (客户投诉月/周统计表) of a month, an ISO week or any days. The figures are core's
 * (capa_stats_period); this renders JSON and CSV itself and hands PDF and xlsx to
 * reports/. Every format carries the same figures, rounded the same way (report_round).
 * Every format is made only from verified data: the store is replayed first
 * (capa_store_prove) and the report refused, naming the first mismatch, when it differs.
 */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capa_report.h"

/* What every rendering prints: 4 decimals for fractions, 2 for hours, days and percents. */
#define r4(v) capa_report_round((v), 4)
#define r2(v) capa_report_round((v), 2)

static json_t *counts_obj(const capa_stat_counts *c)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < c->n; i++)
        if (cli_json_set(o, c->v[i].key, json_integer((json_int_t)c->v[i].count))) {
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
    return cli_json_str(buf);
}

static json_t *report_json(const capa_monthly *m, const capa_plant *p)
{
    json_t *d = json_object(), *a, *o;
    if (!d)
        return NULL;
    /* The window: "month", "week", or for a range only its days; "from"/"to" always. */
    static const char *const kinds[] = {"month", "week", NULL};
    int bad = (kinds[m->kind] && cli_json_set(d, kinds[m->kind], cli_json_str(m->period_text))) ||
              cli_json_set(d, "from", cli_json_str(m->from_text)) ||
              cli_json_set(d, "to", cli_json_str(m->to_text)) ||
              cli_json_set(d, "timezone", cli_json_str(m->timezone)) ||
              cli_json_set(d, "organisation", cli_json_str(m->org)) ||
              cli_json_set(d, "start", local_json(p, m->start)) ||
              cli_json_set(d, "end", local_json(p, m->end)) ||
              cli_json_set(d, "as_of", local_json(p, m->as_of)) ||
              cli_json_set(d, "opened", json_integer((json_int_t)m->opened)) ||
              cli_json_set(d, "closed", json_integer((json_int_t)m->closed)) ||
              cli_json_set(d, "open_at_end", json_integer((json_int_t)m->open_at_end)) ||
              cli_json_set(d, "by_severity", counts_obj(&m->by_severity)) ||
              cli_json_set(d, "by_channel", counts_obj(&m->by_channel)) ||
              cli_json_set(d, "by_complaint_type", counts_obj(&m->by_complaint_type)) ||
              cli_json_set(d, "by_customer", counts_obj(&m->by_customer)) ||
              cli_json_set(d, "by_part", counts_obj(&m->by_part)) ||
              cli_json_set(d, "by_responsible_dept", counts_obj(&m->by_dept)) ||
              cli_json_set(d, "by_validity", counts_obj(&m->by_validity)) ||
              cli_json_set(d, "by_defect", a = json_array());
    for (size_t i = 0; !bad && i < m->by_defect.n; i++) {
        const capa_stat_count *c = &m->by_defect.v[i];
        bad = cli_json_push(a, o = json_object()) ||
              cli_json_set(o, "code", cli_json_str(c->key)) ||
              cli_json_set(o, "count", json_integer((json_int_t)c->count)) ||
              cli_json_set(o, "cumulative_percent", json_real(r2(c->cumulative_percent)));
    }
    bad = bad || cli_json_set(d, "time_to_close_hours", o = json_object()) ||
          cli_json_set(o, "mean", json_real(r2(m->ttc_mean_hours))) ||
          cli_json_set(o, "median", json_real(r2(m->ttc_median_hours))) ||
          cli_json_set(d, "time_to_close_days", o = json_object()) ||
          cli_json_set(o, "mean", json_real(r2(m->ttc_mean_hours / 24.0))) ||
          cli_json_set(o, "median", json_real(r2(m->ttc_median_hours / 24.0))) ||
          cli_json_set(d, "on_time_rate", o = json_object());
    for (size_t i = 0; !bad && i < m->n_on_time; i++)
        bad = cli_json_set(o, m->on_time[i].kind, rate_json(m->on_time[i].rate));
    bad = bad || cli_json_set(o, "overall", rate_json(m->on_time_overall)) ||
          cli_json_set(d, "on_time_counts", o = json_object());
    for (size_t i = 0; !bad && i < m->n_on_time; i++) {
        json_t *k;
        bad = cli_json_set(o, m->on_time[i].kind, k = json_object()) ||
              cli_json_set(k, "due", json_integer((json_int_t)m->on_time[i].due)) ||
              cli_json_set(k, "on_time", json_integer((json_int_t)m->on_time[i].on_time));
    }
    bad = bad || cli_json_set(d, "overdue", a = json_array());
    for (size_t i = 0; !bad && i < m->n_overdue; i++) {
        const capa_stat_overdue *x = &m->overdue[i];
        bad = cli_json_push(a, o = json_object()) ||
              cli_json_set(o, "number", cli_json_str(x->number)) ||
              cli_json_set(o, "kind", cli_json_str(x->kind)) ||
              cli_json_set(o, "due", local_json(p, x->due)) ||
              cli_json_set(o, "overdue_hours", json_real(r2((double)x->late_ms / 3600000.0)));
    }
    bad = bad || cli_json_set(d, "satisfaction", counts_obj(&m->satisfaction)) ||
          cli_json_set(d, "satisfaction_share", o = json_object());
    for (size_t i = 0; !bad && i < m->satisfaction.n; i++) {
        const capa_stat_count *c = &m->satisfaction.v[i];
        bad = cli_json_set(o, c->key,
                           m->satisfaction.total
                               ? json_real(r4((double)c->count / (double)m->satisfaction.total))
                               : json_null());
    }
    bad = bad ||
          cli_json_set(d, "satisfaction_unrecorded",
                       json_integer((json_int_t)m->satisfaction_unrecorded)) ||
          cli_json_set(d, "second_rounds", json_integer((json_int_t)m->second_rounds)) ||
          cli_json_set(d, "second_round_rate", rate_json(m->second_round_rate)) ||
          cli_json_set(d, "recurrence_days", json_integer(m->recurrence_days)) ||
          cli_json_set(d, "recurrences", a = json_array());
    for (size_t i = 0; !bad && i < m->n_recurrences; i++)
        bad = cli_json_push(a, cli_json_str(m->recurrences[i].number));
    bad = bad || cli_json_set(d, "recurrence_of", o = json_object());
    for (size_t i = 0; !bad && i < m->n_recurrences; i++) {
        json_t *of;
        bad = cli_json_set(o, m->recurrences[i].number, of = json_array());
        for (size_t k = 0; !bad && k < m->recurrences[i].n_of; k++)
            bad = cli_json_push(of, cli_json_str(m->recurrences[i].of[k]));
    }
    bad = bad || cli_json_set(d, "trend", a = json_array());
    for (size_t i = 0; !bad && i < 12; i++) {
        bad = cli_json_push(a, o = json_object()) ||
              cli_json_set(o, m->kind == CAPA_PERIOD_WEEK ? "week" : "month",
                           cli_json_str(m->trend[i].label)) ||
              cli_json_set(o, "opened", json_integer((json_int_t)m->trend[i].opened)) ||
              cli_json_set(o, "closed", json_integer((json_int_t)m->trend[i].closed));
    }
    if (bad) {
        json_decref(d);
        return NULL;
    }
    return d;
}

/* ---- CSV: the report's rows (capa_report_monthly_rows), RFC 4180 quoting ---- */

void cli_csv_bom(FILE *f)
{
    fputs("\xEF\xBB\xBF", f);
}

void cli_csv_field(FILE *f, const char *s)
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
    cli_csv_field(f, r->section);
    fputc(',', f);
    cli_csv_field(f, r->key);
    fputc(',', f);
    cli_csv_field(f, r->value);
    fputc(',', f);
    cli_csv_field(f, r->percent);
    fputs("\r\n", f);
    return 0;
}

static void report_csv(FILE *f, const capa_monthly *m, const capa_plant *p)
{
    capa_report_row head = {"section", "key", "value", "percent", 0, 0, 0, 0};
    cli_csv_bom(f);
    csv_row(&head, f);
    capa_report_monthly_rows(m, p, csv_row, f);
}

/* Write a text rendering to `path` ("-" = stdout), all or nothing. */
static int write_text(cli *c, const char *path, const capa_monthly *m, const capa_plant *p, int csv)
{
    char tmp[4200];
    FILE *f = stdout;
    if (strcmp(path, "-") != 0) {
        snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
        if (!(f = fopen(tmp, "w")))
            return cli_error(path, "cannot write: %s", strerror(errno));
    }
    int rc = CLI_OK;
    if (csv) {
        report_csv(f, m, p);
    } else {
        json_t *d = report_json(m, p);
        if (!d || json_dumpf(d, f, JSON_INDENT(2)) != 0)
            rc = cli_error(c->cmd, "out of memory");
        else
            fputc('\n', f);
        json_decref(d);
    }
    if (f == stdout)
        return fflush(f) == 0 ? rc : cli_error(path, "write failed");
    if (ferror(f) || fflush(f) != 0 || fsync(fileno(f)) != 0)
        rc = cli_error(path, "write failed: %s", strerror(errno));
    if (fclose(f) != 0 && rc == CLI_OK)
        rc = cli_error(path, "write failed: %s", strerror(errno));
    if (rc == CLI_OK && rename(tmp, path) != 0)
        rc = cli_error(path, "cannot write: %s", strerror(errno));
    if (rc != CLI_OK)
        unlink(tmp);
    return rc;
}

int cmd_report(cli *c, int argc, char **argv)
{
    const char *month = NULL, *format = "pdf", *out = NULL, *at_arg = NULL, *font = NULL;
    const char *week = NULL, *from = NULL, *to = NULL;
    int no_sign = 0;
    const cli_opt opts[] = {
        {"--month", &month, NULL},     {"--format", &format, NULL}, {"-o", &out, NULL},
        {"--week", &week, NULL},       {"--from", &from, NULL},     {"--to", &to, NULL},
        {"--output", &out, NULL},      {"--at", &at_arg, NULL},     {"--font", &font, NULL},
        {"--no-sign", NULL, &no_sign}, {NULL, NULL, NULL},
    };
    int npos, rc = CLI_OK, err;
    capa_store *s = NULL;
    capa_monthly *m = NULL;
    capa_plant *p = NULL;
    int64_t at = 0;

    /* --group: the figures across plants, from the group PostgreSQL (cmd_report_group.c). */
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--group") == 0 || strncmp(argv[i], "--group=", 8) == 0)
            return cmd_report_group(c, argc, argv);
    CLI_PARSE(c, argc, argv, opts, &npos);
    /* One report, three windows: report monthly --month, report weekly --week, report
     * --from --to (capa_stats_period). */
    capa_period_kind kind = CAPA_PERIOD_RANGE;
    const char *pa = from, *pb = to, *what = "report";
    if (npos == 1 && strcmp(argv[0], "monthly") == 0) {
        kind = CAPA_PERIOD_MONTH, pa = month, what = "report monthly";
        if (!month)
            return cli_usage(c, "--month YYYY-MM is required");
    } else if (npos == 1 && strcmp(argv[0], "weekly") == 0) {
        kind = CAPA_PERIOD_WEEK, pa = week, what = "report weekly";
        if (!week)
            return cli_usage(c, "--week YYYY-Www is required (an ISO week, e.g. 2026-W49)");
    } else if (npos == 0 && (from || to)) {
        if (!from || !to)
            return cli_usage(c, "--from DATE and --to DATE go together (YYYY-MM-DD, both days "
                                "included)");
    } else {
        return cli_usage(c, "expected: report monthly --month YYYY-MM | report weekly --week "
                            "YYYY-Www | report --from DATE --to DATE; then -o FILE");
    }
    if ((kind != CAPA_PERIOD_MONTH && month) || (kind != CAPA_PERIOD_WEEK && week) ||
        (kind != CAPA_PERIOD_RANGE && (from || to)))
        return cli_usage(c, "one window: --month with monthly, --week with weekly, --from/--to "
                            "alone");
    if (!out || !*out)
        return cli_usage(c, "-o FILE is required");
    int fmt = strcmp(format, "pdf") == 0    ? 0
              : strcmp(format, "csv") == 0  ? 1
              : strcmp(format, "json") == 0 ? 2
              : strcmp(format, "xlsx") == 0 ? 3
                                            : -1;
    char a[CLI_TEXT_MAX];
    if (fmt < 0)
        return cli_usage(c, "--format '%s': must be pdf, csv, json or xlsx",
                         cli_text(a, sizeof a, format));
    if (strcmp(out, "-") == 0 && (fmt == 0 || fmt == 3))
        return cli_usage(c, "-o -: only csv and json go to stdout");
    if ((rc = cli_store_open(&s, c, 0, 1)) != CLI_OK)
        goto done;
    if ((rc = cli_at_parse(&at, c, s, at_arg)) != CLI_OK)
        goto done;
    /* Every figure comes from the headers of many cases: the whole store must verify before
     * any format is written (nothing is written when it does not). */
    if ((err = capa_store_prove(s, NULL)) != CAPA_OK) {
        char refused[64];
        snprintf(refused, sizeof refused, "%s refused", what);
        rc = cli_fail(c, refused, err);
        goto done;
    }
    if ((err = capa_stats_period(&m, s, kind, pa, pb, at)) != CAPA_OK ||
        (err = capa_plant_get(&p, s)) != CAPA_OK) {
        rc = cli_fail(c, what, err);
        goto done;
    }
    if (fmt == 1 || fmt == 2) {
        rc = write_text(c, out, m, p, fmt == 1);
    } else {
        char key[4096], crt[4096], fontbuf[4200];
        capa_monthly_opts o = {0};
        if (!font || !*font)
            font = getenv("CAPA_FONT");
        if (!font || !*font)
            font = cli_default_font(fontbuf, sizeof fontbuf);
        o.font_path = font && *font ? font : NULL;
        if (!no_sign && fmt == 0) {
            o.key_path = cli_keys_path(c, key, sizeof key, "org.key");
            o.cert_path = cli_keys_path(c, crt, sizeof crt, "org.crt");
        }
        err =
            fmt == 0 ? capa_report_monthly_pdf(s, m, out, &o) : capa_report_monthly_xlsx(s, m, out);
        if (err != CAPA_OK)
            rc = cli_fail(c, what, err);
    }
    if (rc == CLI_OK && strcmp(out, "-") != 0) {
        cli_put(stdout, out);
        putchar('\n');
    }
done:
    capa_plant_free(p);
    capa_monthly_free(m);
    capa_store_close(s);
    return rc;
}

json_t *cli_report_json(const capa_monthly *m, const capa_plant *p)
{
    return report_json(m, p);
}
