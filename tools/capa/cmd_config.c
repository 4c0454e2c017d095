/*
 * cmd_config.c - `capa config timezone NAME --as ADMIN`: change a plant setting. The engine
 * checks the value and the role and audits the change; this only parses and prints.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

int cmd_config(cli *c, int argc, char **argv)
{
    const cli_opt opts[] = {CLI_OPTS_ACTOR(c), {NULL, NULL, NULL}};
    int npos, rc, err;
    capa_store *s = NULL;
    char *password = NULL, a[CLI_TEXT_MAX];
    capa_tz *tz = NULL;

    CLI_PARSE(c, argc, argv, opts, &npos);
    if (npos != 2 || strcmp(argv[0], "timezone") != 0)
        return cli_usage(c, "expected: config timezone NAME (an IANA zone, e.g. Asia/Shanghai)");
    if ((rc = cli_require_actor(c)) != CLI_OK)
        return rc;
    /* A bad name is refused before the password is asked: nothing is read or written. */
    if ((err = capa_tz_load(&tz, argv[1])) != CAPA_OK)
        return cli_fail(c, "config timezone", err);
    capa_tz_free(tz);
    if ((rc = cli_read_actor_password(&password, c)) != CLI_OK ||
        (rc = cli_store_open(&s, c, 0, 0)) != CLI_OK)
        goto done;
    capa_actor who = {c->as, password};
    if ((err = capa_config_timezone(s, &who, argv[1])) != CAPA_OK) {
        rc = cli_fail(c, "config timezone", err);
        goto done;
    }
    printf("time zone: %s\n", cli_text(a, sizeof a, argv[1]));
done:
    cli_secret_free(password);
    capa_store_close(s);
    return rc;
}
