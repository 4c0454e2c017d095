/*
 * cmd_owner.c - `capa owner CASE [USER --reason TEXT --as USER]`: the case's first-contact
 * owner (首问负责人: who logged it), told at every hand-over and at closing; with USER,
 * reassigned (an admin, a qe_lead or the owner; audited with the reason).
 */
#include "cli.h"

#include <stdio.h>

int cmd_owner(cli *c, int argc, char **argv)
{
    const char *reason = NULL;
    const cli_opt opts[] = {CLI_OPTS_ACTOR(c), {"--reason", &reason, NULL}, {NULL, NULL, NULL}};
    int npos, rc, err;
    capa_store *s = NULL;
    char *password = NULL, *owner = NULL, what[160], a[CLI_TEXT_MAX];

    CLI_PARSE(c, argc, argv, opts, &npos);
    if (npos != 1 && npos != 2)
        return cli_usage_rule(c, "cli.case_and_owner", NULL, NULL);
    snprintf(what, sizeof what, "owner %s", argv[0]);
    if (npos == 1) {
        if ((rc = cli_store_open(&s, c, 0, 1)) != CLI_OK)
            return rc;
        if ((err = capa_case_owner(&owner, s, argv[0])) != CAPA_OK)
            rc = cli_fail(c, what, err);
        else
            printf("%s\n", cli_text(a, sizeof a, owner));
        goto done;
    }
    if (!reason || !*reason)
        return cli_usage_rule(c, "cli.required", NULL, "option", "--reason TEXT", "hint", "owner",
                              NULL);
    if ((rc = cli_require_actor(c)) != CLI_OK)
        return rc;
    if ((rc = cli_open_as(&s, &password, c)) != CLI_OK)
        goto done;
    capa_actor who = {c->as, password};
    if ((err = capa_case_owner_set(s, &who, argv[0], argv[1], reason)) != CAPA_OK) {
        rc = cli_fail(c, what, err);
        goto done;
    }
    cli_say_rule(c, "say.owner", "number", argv[0], "user", argv[1], NULL);
done:
    capa__free(owner);
    cli_secret_free(password);
    capa_store_close(s);
    return rc;
}
