/*
 * cmd_reject.c - `capa reject CASE --reason TEXT`: 审查 N, the stage goes back to the
 * workflow's reject target. A reason is required; an empty one is refused by core/.
 */
#include "cli.h"

#include <stdio.h>

int cmd_reject(cli *c, int argc, char **argv)
{
    const char *reason = NULL;
    const cli_opt opts[] = {CLI_OPTS_ACTOR(c), {"--reason", &reason, NULL}, {NULL, NULL, NULL}};
    int npos, rc, err;
    capa_store *s = NULL;
    char *password = NULL, what[160];

    CLI_PARSE(c, argc, argv, opts, &npos);
    if ((rc = cli_require_actor(c)) != CLI_OK)
        return rc;
    if (npos != 1)
        return cli_usage_rule(c, "cli.case_one", NULL, NULL);
    if (!reason)
        return cli_usage_rule(c, "cli.required", NULL, "option", "--reason TEXT", "hint", "reason",
                              NULL);
    const char *number = argv[0];
    if ((rc = cli_open_as(&s, &password, c)) != CLI_OK)
        goto done;
    capa_actor who = {c->as, password};
    err = capa_case_reject(s, number, &who, reason);
    if (err != CAPA_OK) {
        snprintf(what, sizeof what, "reject %s", number);
        rc = cli_fail(c, what, err);
        goto done;
    }
    cli_print_case_stage(c, s, number, "say.rejected", "user", c->as, NULL);
done:
    cli_secret_free(password);
    capa_store_close(s);
    return rc;
}
