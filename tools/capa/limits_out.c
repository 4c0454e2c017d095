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
    /* Each limit in the chosen language (words17e): 中文 from capa-serve's words, English as
     * it was (the codes). */
    const capa_workflow *wf = NULL;
    if (capa_store_workflow_get(&wf, s, cs->workflow) != CAPA_OK)
        wf = NULL;
    for (size_t i = 0; i < n; i++) {
        char kind[40], level[80];
        const char *kzh, *ken;
        cli_limit_words(wf, l[i].kind, &kzh, &ken);
        snprintf(kind, sizeof kind, "%-12s", ken);
        capa_plant_time_format(due, sizeof due, p, l[i].due);
        const char *unc = l[i].uncovered ? " [no calendar covers some days: weekends only]" : "";
        const char *unc_zh =
            l[i].uncovered ? "（部分日子不在已安装的日历中：按周六、周日休息计）" : "";
        if (l[i].met) {
            capa_plant_time_format(met, sizeof met, p, l[i].met);
            cli_span(d, sizeof d, l[i].met - l[i].due);
            int early = l[i].met <= l[i].due;
            const capa_refusal_param q[] = {{"kind", kind},
                                            {"kind_zh", kzh},
                                            {"due", due},
                                            {"met", met},
                                            {"span", d},
                                            {"early", early ? "early" : "late"},
                                            {"early_zh", early ? "提前" : "延后"},
                                            {"uncovered", unc},
                                            {"uncovered_zh", unc_zh}};
            cli_say_params(c, "say.limit_met", q, sizeof q / sizeof q[0]);
        } else {
            cli_span(d, sizeof d, at >= l[i].due ? at - l[i].due : l[i].due - at);
            cli_say_rule(c, at >= l[i].due ? "say.limit_over" : "say.limit_due", "kind", kind,
                         "kind_zh", kzh, "due", due, "state", l[i].state, "state_zh",
                         cli_state_zh(l[i].state), "span", d, "uncovered", unc, "uncovered_zh",
                         unc_zh, NULL);
        }
        for (size_t j = 0; j < nx; j++) {
            if (strcmp(x[j].limit, l[i].kind) != 0 || x[j].time > at)
                continue;
            capa_plant_time_format(met, sizeof met, p, x[j].time);
            cli_say_rule(c, "say.limit_escalated", "level", x[j].level, "level_zh",
                         cli_level_zh(level, sizeof level, x[j].level), "at", met, "to", x[j].to,
                         NULL);
        }
    }
done:
    capa__free(l);
    capa_plant_free(p);
    capa_escalations_free(x, nx);
}
