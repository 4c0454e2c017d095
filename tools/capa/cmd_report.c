/*
 * cmd_report.c - `capa report monthly --month YYYY-MM | weekly --week YYYY-Www | --from DATE
 * --to DATE [--format pdf|csv|json|xlsx] [--at TIME] -o FILE`: the quality report
 * (客户投诉月/周统计表) of a month, an ISO week or any days. The figures are core's
 * (capa_stats_period); this renders JSON and CSV itself and hands PDF and xlsx to
 * reports/. Every format carries the same figures, rounded the same way (report_round).
 * Every format is made only from verified data: capa_report_period replays the store first
 * (capa_store_prove) and the report is refused, naming the first mismatch, when it differs.
 */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capa_report.h"

/* Kept for the publish and group reports' CSV: the one writer is reports/'. */
void cli_csv_field(FILE *f, const char *s)
{
    capa_report_csv_field(f, s);
}

void cli_csv_bom(FILE *f)
{
    capa_report_csv_bom(f);
}

/* Write a text rendering to `path` ("-" = stdout), all or nothing. */
static int write_text(cli *c, const char *path, const capa_monthly *m, const capa_plant *p, int csv)
{
    char tmp[4200];
    FILE *f = stdout;
    if (strcmp(path, "-") != 0) {
        snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
        if (!(f = fopen(tmp, "w")))
            return cli_error_rule(c, path, "cli.io_write", "detail", strerror(errno), NULL);
    }
    int rc = CLI_OK;
    if (csv) {
        capa_report_monthly_csv(f, m, p);
    } else {
        json_t *d = capa_report_monthly_json(m, p);
        if (!d || json_dumpf(d, f, JSON_INDENT(2)) != 0)
            rc = cli_oom(c, NULL);
        else
            fputc('\n', f);
        json_decref(d);
    }
    if (f == stdout)
        return fflush(f) == 0
                   ? rc
                   : cli_error_rule(c, "stdout", "cli.io_write", "detail", strerror(errno), NULL);
    if (ferror(f) || fflush(f) != 0 || fsync(fileno(f)) != 0)
        rc = cli_error_rule(c, path, "cli.io_write", "detail", strerror(errno), NULL);
    if (fclose(f) != 0 && rc == CLI_OK)
        rc = cli_error_rule(c, path, "cli.io_write", "detail", strerror(errno), NULL);
    if (rc == CLI_OK && rename(tmp, path) != 0)
        rc = cli_error_rule(c, path, "cli.io_write", "detail", strerror(errno), NULL);
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
            return cli_usage_rule(c, "cli.required", NULL, "option", "--month YYYY-MM", NULL);
    } else if (npos == 1 && strcmp(argv[0], "weekly") == 0) {
        kind = CAPA_PERIOD_WEEK, pa = week, what = "report weekly";
        if (!week)
            return cli_usage_rule(c, "cli.required", NULL, "option", "--week YYYY-Www", "hint",
                                  "week", NULL);
    } else if (npos == 0 && (from || to)) {
        if (!from || !to)
            return cli_usage_rule(c, "cli.together", NULL, "option", "--from DATE", "other",
                                  "--to DATE", "hint", "dates", NULL);
    } else {
        return cli_usage_rule(c, "cli.syntax", NULL, "syntax",
                              "report monthly --month YYYY-MM -o FILE | report weekly --week "
                              "YYYY-Www -o FILE | report --from DATE --to DATE -o FILE",
                              NULL);
    }
    if ((kind != CAPA_PERIOD_MONTH && month) || (kind != CAPA_PERIOD_WEEK && week) ||
        (kind != CAPA_PERIOD_RANGE && (from || to)))
        return cli_usage_rule(c, "cli.one_window", NULL, "month", "--month", "monthly", "monthly",
                              "week", "--week", "weekly", "weekly", "range", "--from/--to", NULL);
    if (!out || !*out)
        return cli_usage_rule(c, "cli.required", NULL, "option", "-o FILE", NULL);
    int fmt = strcmp(format, "pdf") == 0    ? 0
              : strcmp(format, "csv") == 0  ? 1
              : strcmp(format, "json") == 0 ? 2
              : strcmp(format, "xlsx") == 0 ? 3
                                            : -1;
    if (fmt < 0)
        return cli_usage_rule(c, "cli.choice", format, "option", "--format", "choices",
                              "pdf, csv, json, xlsx", NULL);
    if (strcmp(out, "-") == 0 && (fmt == 0 || fmt == 3))
        return cli_usage_rule(c, "cli.stdout", NULL, "option", "-o -", "formats", "csv, json",
                              NULL);
    if ((rc = cli_store_open(&s, c, 0, 1)) != CLI_OK)
        goto done;
    if ((rc = cli_at_parse(&at, c, s, at_arg)) != CLI_OK)
        goto done;
    /* Only from verified data: capa_report_period replays the whole store first (nothing is
     * written when it does not match). */
    if ((err = capa_report_period(&m, s, kind, pa, pb, at)) != CAPA_OK) {
        char refused[64];
        snprintf(refused, sizeof refused, "%s refused", what);
        rc = cli_fail(c, err == CAPA_EINVALID ? what : refused, err);
        goto done;
    }
    if ((err = capa_plant_get(&p, s)) != CAPA_OK) {
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
    return capa_report_monthly_json(m, p);
}
