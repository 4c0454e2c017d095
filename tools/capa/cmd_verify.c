/*
 * cmd_verify.c - `capa verify`: re-walk the audit hash chain. Prints the head hash and exits
 * 0 when every event checks out; otherwise names the first bad event and exits 1.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static int print_json(cli *c, int ok, const char *head, uint64_t events, uint64_t bad,
                      const char *msg)
{
    json_t *o = json_object();
    if (!o || cli_json_set(o, "ok", json_boolean(ok)) ||
        cli_json_set(o, "head", ok ? cli_json_str(head) : json_null()) ||
        cli_json_set(o, "events", json_integer((json_int_t)events)) ||
        cli_json_set(o, "bad_seq", ok ? json_null() : json_integer((json_int_t)bad)) ||
        cli_json_set(o, "error", ok ? json_null() : cli_json_str(msg))) {
        json_decref(o);
        o = NULL;
    }
    return cli_json_print(c, o);
}

int cmd_verify(cli *c, int argc, char **argv)
{
    const cli_opt opts[] = {{"--json", NULL, &c->json}, {NULL, NULL, NULL}};
    int npos, rc, err;
    capa_store *s = NULL;
    capa_store_info info = {0};
    char head[65] = "", what[64], shown[CLI_TEXT_MAX];
    uint64_t bad = 0;

    CLI_PARSE(c, argc, argv, opts, &npos);
    if (npos > 0)
        return cli_usage(c, "unexpected argument '%s'", argv[0]);
    if ((rc = cli_store_open(&s, c, 0, 1)) != CLI_OK)
        goto done;
    err = capa_audit_verify(s, head, &bad);
    if (err == CAPA_OK) {
        if (capa_store_info_get(&info, s) != CAPA_OK)
            info.n_events = 0;
        if (c->json)
            rc = print_json(c, 1, head, info.n_events, 0, NULL);
        else
            printf("%s\n", cli_text(shown, sizeof shown, head));
        goto done;
    }
    if (err == CAPA_ECORRUPT) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", capa_error_last()[0] ? capa_error_last() : "corrupt");
        if (c->json)
            print_json(c, 0, NULL, 0, bad, msg);
        /* Name the first bad event, unless the engine's message already does. */
        snprintf(what, sizeof what, "event %llu", (unsigned long long)bad);
        if (strstr(msg, what))
            rc = cli_error("verify", "%s", msg);
        else
            rc = cli_error("verify", "%s: %s", what, msg);
        goto done;
    }
    rc = cli_fail(c, "verify", err);
done:
    capa_store_info_clear(&info);
    capa_store_close(s);
    return rc;
}
