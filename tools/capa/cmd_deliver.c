/*
 * cmd_deliver.c - `capa deliver [--timeout SEC] [--json]`: send the notices that wait in the
 * store to their targets (tools/notify/deliver.c) and record what each took. For cron and the
 * capa-deliver timer (docs/capa-deliver.timer); no password: like `capa escalate`, it runs as
 * the operating-system owner of the store. Exit 0 when nothing failed, 1 when a target failed
 * (what it did not take stays for the next run).
 */
#include "cli.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>

#include "deliver.h"
#include "lang.h"

/* A line of the run on stderr, worded from its rule in the chosen language (payload: the
 * cli) under "capa: deliver: "; the English sentence when the catalogue lacks the rule. */
static void log_line(const char *line, const char *rule, const capa_refusal_param *p, size_t n,
                     void *payload)
{
    const cli *c = payload;
    char buf[CLI_TEXT_MAX];
    if (!rule || !capa_lang_knows(rule)) {
        fprintf(stderr, "capa: %s\n", cli_text(buf, sizeof buf, line));
        return;
    }
    cli_note_params(c, "deliver", rule, p, n);
}

int cmd_deliver(cli *c, int argc, char **argv)
{
    const char *timeout_arg = NULL;
    const cli_opt opts[] = {
        {"--timeout", &timeout_arg, NULL}, {"--json", NULL, &c->json}, {NULL, NULL, NULL}};
    int npos, rc, err;
    long timeout = 10;
    capa_store *s = NULL;
    notify_run run;

    CLI_PARSE(c, argc, argv, opts, &npos);
    if (npos > 0)
        return cli_unexpected(c, argv[0]);
    if (timeout_arg) {
        char *end;
        timeout = strtol(timeout_arg, &end, 10);
        if (!*timeout_arg || *end || timeout < 1 || timeout > 300)
            return cli_usage_rule(c, "cli.range", timeout_arg, "option", "--timeout", "unit",
                                  "seconds", "min", "1", "max", "300", NULL);
    }
    if ((rc = cli_store_open(&s, c, 0, 0)) != CLI_OK)
        return rc;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    err = notify_deliver(s, c->db, timeout, 1, &run, log_line, c);
    curl_global_cleanup();
    if (err != CAPA_OK) {
        rc = cli_fail(c, "deliver", err);
        goto done;
    }
    if (c->json) {
        json_t *o = json_object();
        if (!o || cli_json_set(o, "messages", json_integer((json_int_t)run.messages)) ||
            cli_json_set(o, "digests", json_integer((json_int_t)run.digests)) ||
            cli_json_set(o, "delivered", json_integer((json_int_t)run.delivered)) ||
            cli_json_set(o, "waiting", json_integer((json_int_t)run.waiting)) ||
            cli_json_set(o, "failed_targets", json_integer((json_int_t)run.failed))) {
            json_decref(o);
            rc = cli_oom(c, NULL);
            goto done;
        }
        rc = cli_json_print(c, o);
    } else {
        char m[24], d[24], r[24], w[24];
        snprintf(m, sizeof m, "%zu", run.messages);
        snprintf(d, sizeof d, "%zu", run.digests);
        snprintf(r, sizeof r, "%zu", run.delivered);
        snprintf(w, sizeof w, "%zu", run.waiting);
        cli_say_rule(c, "say.delivered", "messages", m, "digests", d, "recorded", r, "waiting", w,
                     NULL);
    }
    if (rc == CLI_OK && run.failed)
        rc = 1;
done:
    capa_store_close(s);
    return rc;
}
