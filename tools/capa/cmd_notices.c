/*
 * cmd_notices.c - `capa notices [--user ID | --pending] [--limit N] [--json]`: what reached a
 * person (their notices, newest first, and whether every target took each), or every
 * delivery still waiting with the state of its target. Read-only.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *notice_json(const capa_notice *x)
{
    json_t *o = json_object(), *to = json_array();
    for (size_t i = 0; to && i < x->n_to; i++) {
        json_t *p = json_object();
        if (!p || cli_json_set(p, "user", cli_json_str(x->to[i].user)) ||
            cli_json_set(p, "name", cli_json_str(x->to[i].name)) ||
            cli_json_set(p, "why", cli_json_str(x->to[i].why)) ||
            cli_json_set(p, "mobile", cli_json_str(x->to[i].mobile)) ||
            cli_json_set(p, "email", cli_json_str(x->to[i].email)) || cli_json_push(to, p)) {
            json_decref(to);
            to = NULL;
        }
    }
    if (!o || !to || cli_json_set(o, "event", json_integer((json_int_t)x->seq)) ||
        cli_json_set(o, "time", cli_json_time(x->time)) ||
        cli_json_set(o, "kind", cli_json_str(x->kind)) ||
        cli_json_set(o, "number", cli_json_str(x->number)) ||
        cli_json_set(o, "stage", cli_json_str(x->stage)) ||
        cli_json_set(o, "from", cli_json_str(x->from)) ||
        cli_json_set(o, "actor", cli_json_str(x->actor)) ||
        cli_json_set(o, "reason", cli_json_str(x->reason)) ||
        cli_json_set(o, "pending", json_boolean(x->pending)) ||
        (x->target && cli_json_set(o, "target", cli_json_str(x->target))) ||
        cli_json_set(o, "to", to)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int cmd_notices(cli *c, int argc, char **argv)
{
    const char *user = NULL, *limit_arg = NULL;
    int pending = 0;
    const cli_opt opts[] = {{"--user", &user, NULL},
                            {"--pending", NULL, &pending},
                            {"--limit", &limit_arg, NULL},
                            {"--json", NULL, &c->json},
                            {NULL, NULL, NULL}};
    int npos, rc, err;
    capa_store *s = NULL;
    capa_notice *a = NULL;
    size_t n = 0, limit = 0;
    json_t *arr = NULL;

    CLI_PARSE(c, argc, argv, opts, &npos);
    if (npos > 0)
        return cli_unexpected(c, argv[0]);
    if (!user == !pending)
        return cli_usage_rule(c, "cli.notices_who", NULL, "option", "--user ID", "other",
                              "--pending", NULL);
    if (limit_arg) {
        char *end;
        long v = strtol(limit_arg, &end, 10);
        if (!*limit_arg || *end || v < 1 || v > 100000)
            return cli_usage_rule(c, "cli.range", limit_arg, "option", "--limit", "min", "1", "max",
                                  "100000", NULL);
        limit = (size_t)v;
    }
    if ((rc = cli_store_open(&s, c, 0, 1)) != CLI_OK)
        return rc;
    err = pending ? capa_notices_pending(&a, &n, s) : capa_notices_for(&a, &n, s, user, limit);
    if (err != CAPA_OK) {
        rc = cli_fail(c, "notices", err);
        goto done;
    }
    if (c->json) {
        if (!(arr = json_array())) {
            rc = cli_oom(c, NULL);
            goto done;
        }
        for (size_t i = 0; i < n; i++)
            if (cli_json_push(arr, notice_json(&a[i]))) {
                rc = cli_oom(c, NULL);
                goto done;
            }
        rc = cli_json_print(c, arr);
        arr = NULL;
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        char when[40];
        cli_time(when, sizeof when, a[i].time);
        /* in the chosen language (words17e): the kind padded as before in English */
        char kind[40];
        snprintf(kind, sizeof kind, "%-8s", a[i].kind);
        const char *from = *a[i].from ? a[i].from : "-";
        if (a[i].target)
            cli_say_rule(c, "say.notice", "time", when, "kind", kind, "kind_zh",
                         cli_notice_kind_zh(a[i].kind), "number", a[i].number, "from", from, "to",
                         a[i].stage, "actor", a[i].actor, "waits", a[i].target, NULL);
        else if (a[i].pending)
            cli_say_rule(c, "say.notice", "time", when, "kind", kind, "kind_zh",
                         cli_notice_kind_zh(a[i].kind), "number", a[i].number, "from", from, "to",
                         a[i].stage, "actor", a[i].actor, "pending", "1", NULL);
        else
            cli_say_rule(c, "say.notice", "time", when, "kind", kind, "kind_zh",
                         cli_notice_kind_zh(a[i].kind), "number", a[i].number, "from", from, "to",
                         a[i].stage, "actor", a[i].actor, NULL);
    }
    if (n == 0) {
        char w[120];
        fprintf(stderr, "%s\n",
                pending ? cli_word(c, w, sizeof w, "无待发送通知", "nothing waits")
                        : cli_word(c, w, sizeof w, "无通知", "no notices"));
    }
done:
    json_decref(arr);
    capa_notices_free(a, n);
    capa_store_close(s);
    return rc;
}
