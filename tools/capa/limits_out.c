/*
 * limits_out.c - printing a case's time limits (capa_case_limits) for `show` and `list`,
 * and the --at TIME option of read-only commands. Times print in the plant's zone with
 * their offset ("2026-10-10T09:00:00+08:00"), as the JSON shape asks.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_at_parse(int64_t *out, const cli *c, capa_store *s, const char *at)
{
    capa_plant *p = NULL;
    *out = capa_store_now(s);
    if (!at)
        return CLI_OK;
    int err = capa_plant_get(&p, s);
    if (!err)
        err = capa_plant_time_parse(out, p, at);
    capa_plant_free(p);
    return err ? cli_fail(c, "--at", err) : CLI_OK;
}

static json_t *local_json(const capa_plant *p, int64_t ms)
{
    char buf[40];
    if (!ms)
        return json_null();
    capa_plant_time_format(buf, sizeof buf, p, ms);
    return cli_json_str(buf);
}

/* The escalations of limit `kind` recorded by `at`, as [{"level", "at", "to"}]. */
static json_t *escalations_json(const capa_plant *p, const capa_escalation_info *x, size_t n,
                                const char *kind, int64_t at)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        if (strcmp(x[i].limit, kind) != 0 || x[i].time > at)
            continue;
        json_t *o = json_object();
        if (cli_json_push(arr, o) || cli_json_set(o, "level", cli_json_str(x[i].level)) ||
            cli_json_set(o, "at", local_json(p, x[i].time)) ||
            cli_json_set(o, "to", cli_json_str(x[i].to))) {
            json_decref(arr);
            arr = NULL;
        }
    }
    return arr;
}

json_t *cli_limits_json(capa_store *s, const capa_case *cs, int64_t at)
{
    capa_limit_status *l = NULL;
    capa_plant *p = NULL;
    capa_escalation_info *x = NULL;
    size_t n = 0, nx = 0;
    json_t *arr = NULL;
    if (capa_case_limits(&l, &n, s, cs, at) != CAPA_OK || capa_plant_get(&p, s) != CAPA_OK ||
        capa_case_escalations(s, cs->number, &x, &nx) != CAPA_OK)
        goto done;
    arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        json_t *o = json_object();
        if (cli_json_push(arr, o) || cli_json_set(o, "kind", cli_json_str(l[i].kind)) ||
            cli_json_set(o, "escalations", escalations_json(p, x, nx, l[i].kind, at)) ||
            cli_json_set(o, "due", local_json(p, l[i].due)) ||
            cli_json_set(o, "met", local_json(p, l[i].met)) ||
            cli_json_set(o, "state", cli_json_str(l[i].state)) ||
            (l[i].working_days ? cli_json_set(o, "working_days", json_integer(l[i].working_days))
                               : cli_json_set(o, "hours", json_real(l[i].hours))) ||
            (l[i].uncovered && cli_json_set(o, "calendar_covers", json_false()))) {
            json_decref(arr);
            arr = NULL;
        }
    }
done:
    capa__free(l);
    capa_plant_free(p);
    capa_escalations_free(x, nx);
    return arr ? arr : json_null();
}

void cli_span(char *buf, size_t sz, int64_t ms)
{
    int64_t m = (ms < 0 ? -ms : ms) / 60000;
    if (m >= 1440)
        snprintf(buf, sz, "%lldd %lldh", (long long)(m / 1440), (long long)(m % 1440 / 60));
    else
        snprintf(buf, sz, "%lldh %02lldm", (long long)(m / 60), (long long)(m % 60));
}

void cli_limits_print(const cli *c, capa_store *s, const capa_case *cs, int64_t at)
{
    capa_limit_status *l = NULL;
    capa_plant *p = NULL;
    size_t n = 0;
    char label[256], due[40], met[40], d[40];
    capa_escalation_info *x = NULL;
    size_t nx = 0;
    if (capa_case_limits(&l, &n, s, cs, at) != CAPA_OK || capa_plant_get(&p, s) != CAPA_OK ||
        n == 0 || capa_case_escalations(s, cs->number, &x, &nx) != CAPA_OK)
        goto done;
    printf("  %s:\n", cli_label(c, label, sizeof label, "时限", "limits"));
    for (size_t i = 0; i < n; i++) {
        capa_plant_time_format(due, sizeof due, p, l[i].due);
        printf("    %-12s due %s  ", l[i].kind, due);
        if (l[i].met) {
            capa_plant_time_format(met, sizeof met, p, l[i].met);
            cli_span(d, sizeof d, l[i].met - l[i].due);
            printf("met %s (%s %s)", met, d, l[i].met <= l[i].due ? "early" : "late");
        } else if (at >= l[i].due) {
            cli_span(d, sizeof d, at - l[i].due);
            printf("%s, %s past due", l[i].state, d);
        } else {
            cli_span(d, sizeof d, l[i].due - at);
            printf("%s, due in %s", l[i].state, d);
        }
        if (l[i].uncovered)
            fputs(" [no calendar covers some days: weekends only]", stdout);
        putchar('\n');
        for (size_t j = 0; j < nx; j++) {
            if (strcmp(x[j].limit, l[i].kind) != 0 || x[j].time > at)
                continue;
            capa_plant_time_format(met, sizeof met, p, x[j].time);
            printf("      %s %s %s -> %s\n", cli_label(c, label, sizeof label, "升级", "escalated"),
                   x[j].level, met, x[j].to);
        }
    }
done:
    capa__free(l);
    capa_plant_free(p);
    capa_escalations_free(x, nx);
}
