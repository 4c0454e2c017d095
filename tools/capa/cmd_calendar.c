/*
 * cmd_calendar.c - `capa calendar install FILE --as ADMIN` and `capa calendar show YYYY-MM
 * [--json] [--at TIME]`: the plant's working-day calendars. The file is checked before the
 * password is asked, so a malformed calendar changes nothing and asks for nothing.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A calendar is one year of days: anything larger is refused before it reaches the parser. */
#define MAX_CALENDAR ((size_t)1 << 20)

int cmd_calendar_install(cli *c, int argc, char **argv)
{
    const cli_opt opts[] = {CLI_OPTS_ACTOR(c), {NULL, NULL, NULL}};
    int npos, rc, err, year = 0, version = 0;
    capa_store *s = NULL;
    capa_calendar *cal = NULL;
    capa_diag diag = {0};
    char *xml = NULL, *password = NULL, what[300];
    size_t len = 0;

    CLI_PARSE(c, argc, argv, opts, &npos);
    if ((rc = cli_require_actor(c)) != CLI_OK)
        return rc;
    if (npos != 1)
        return cli_usage_rule(c, "cli.file_one", NULL, NULL);
    snprintf(what, sizeof what, "calendar install %s", argv[0]);
    if ((rc = cli_read_file(&xml, &len, argv[0], MAX_CALENDAR, NULL)) != CLI_OK)
        goto done;
    if (capa_form_init() != CAPA_OK) {
        rc = cli_fail(c, what, CAPA_ERROR);
        goto done;
    }
    if ((err = capa_calendar_parse(&cal, xml, len, argv[0], &diag)) != CAPA_OK) {
        char *msg = capa_diag_join(&diag, "; ");
        const char *base = strrchr(argv[0], '/');
        rc = cli_refuse_diag(c, what, "calendar.invalid", "calendar", base ? base + 1 : argv[0],
                             &diag, msg && *msg ? msg : capa_strerror(err));
        capa__free(msg);
        goto done;
    }
    if ((rc = cli_open_as(&s, &password, c)) != CLI_OK)
        goto done;
    capa_actor who = {c->as, password};
    if ((err = capa_calendar_install(s, &who, xml, len, argv[0], &year, &version)) != CAPA_OK) {
        rc = cli_fail(c, what, err);
        goto done;
    }
    char y[16], ver[16];
    snprintf(y, sizeof y, "%d", year);
    snprintf(ver, sizeof ver, "%d", version);
    cli_say_rule(c, "say.calendar_installed", "year", y, "version", ver, NULL);
done:
    capa_diag_clear(&diag);
    capa_calendar_free(cal);
    cli_secret_free(password);
    capa_store_close(s);
    free(xml);
    return rc;
}

int cmd_calendar_show(cli *c, int argc, char **argv)
{
    const char *at = NULL;
    const cli_opt opts[] = {{"--json", NULL, &c->json}, {"--at", &at, NULL}, {NULL, NULL, NULL}};
    int npos, rc, err, y = 0, m = 0, d;
    capa_store *s = NULL;
    capa_plant *p = NULL;

    CLI_PARSE(c, argc, argv, opts, &npos);
    if (npos > 1)
        return cli_usage_rule(c, "cli.month_at_most_one", NULL, NULL);
    if (npos == 1) {
        char date[16];
        snprintf(date, sizeof date, "%.7s-01", argv[0]);
        if (strlen(argv[0]) != 7 || !capa_date_parse(date, &y, &m, &d))
            return cli_usage_rule(c, "cli.month", argv[0], NULL);
    }
    if ((rc = cli_store_open(&s, c, 0, 1)) != CLI_OK)
        goto done;
    if ((err = capa_plant_get(&p, s)) != CAPA_OK) {
        rc = cli_fail(c, "calendar show", err);
        goto done;
    }
    if (npos == 0) { /* the month of --at, else of now, in plant time */
        int64_t t = capa_store_now(s);
        capa_local_time lt;
        if (at && (err = capa_plant_time_parse(&t, p, at)) != CAPA_OK) {
            rc = cli_fail(c, "calendar show: --at", err);
            goto done;
        }
        capa_tz_local(&lt, capa_plant_tz(p), t);
        y = lt.year, m = lt.month;
    }
    int covered = capa_plant_calendar(p, y) != NULL;
    if (c->json) {
        json_t *arr = json_array();
        for (d = 1; arr && d <= capa_month_days(y, m); d++) {
            char date[16];
            json_t *o = json_object();
            snprintf(date, sizeof date, "%04d-%02d-%02d", y, m, d);
            if (cli_json_push(arr, o) || cli_json_set(o, "date", cli_json_str(date)) ||
                cli_json_set(o, "kind",
                             cli_json_str(capa_day_kind_name(capa_plant_day(p, y, m, d, NULL)))) ||
                (!covered && cli_json_set(o, "covered", json_false()))) {
                json_decref(arr);
                arr = NULL;
            }
        }
        rc = cli_json_print(c, arr);
        if (!covered) {
            char year[16];
            snprintf(year, sizeof year, "%04d", y);
            cli_note_rule(c, "calendar show", "cli.calendar_none", "year", year, NULL);
        }
        goto done;
    }
    /* in the chosen language (words17e) */
    char month[16], year[16], wdw[64], kw[64];
    snprintf(month, sizeof month, "%04d-%02d", y, m);
    snprintf(year, sizeof year, "%04d", y);
    cli_say_rule(c, "say.calendar_month", "month", month, "zone", capa_plant_timezone(p), NULL);
    if (!covered)
        cli_say_rule(c, "say.calendar_uncovered", "year", year, NULL);
    static const char *const wd[] = {"", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    for (d = 1; d <= capa_month_days(y, m); d++) {
        int w = capa_weekday(capa_days_from_civil(y, m, d));
        capa_day_kind k = capa_plant_day(p, y, m, d, NULL);
        printf("%04d-%02d-%02d %s  %s\n", y, m, d,
               cli_word(c, wdw, sizeof wdw, cli_day_zh(w, -1), wd[w]),
               cli_word(c, kw, sizeof kw, cli_day_zh(0, (int)k), capa_day_kind_name(k)));
    }
done:
    capa_plant_free(p);
    capa_store_close(s);
    return rc;
}
