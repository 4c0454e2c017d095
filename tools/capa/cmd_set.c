/*
 * cmd_set.c - `capa set CASE FIELD=VALUE...`: change fields of the case's current stage.
 * Rows of a repeating group are addressed as group.N.field=value; an empty value clears.
 * core/ validates every value against the stage's form and refuses the whole change when
 * any value breaks a rule (all violations reported at once). Choices may be given by label
 * and unknown names get a "did you mean", from the form of the case's current stage.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>

int cmd_set(cli *c, int argc, char **argv)
{
    const char *reason = NULL;
    const cli_opt opts[] = {CLI_OPTS_ACTOR(c), {"--reason", &reason, NULL}, {NULL, NULL, NULL}};
    int npos, rc, err;
    capa_kv *kv = NULL;
    capa_store *s = NULL;
    char *password = NULL, what[160];
    capa_case *cs = NULL;
    const capa_formdef *fd = NULL;

    CLI_PARSE(c, argc, argv, opts, &npos);
    if ((rc = cli_require_actor(c)) != CLI_OK)
        return rc;
    if (npos < 2)
        return cli_usage_rule(c, "cli.case_and_values", NULL, NULL);
    const char *number = argv[0];
    if ((rc = cli_parse_assignments(&kv, c, argv + 1, npos - 1)) != CLI_OK)
        return rc;
    if ((rc = cli_open_as(&s, &password, c)) != CLI_OK)
        goto done;
    /* The form the engine will check against: the current stage's, in its record's version. A
     * case that cannot be read here is left for the engine to report. */
    if (capa_case_get(&cs, s, number) == CAPA_OK && capa_case_stage_form(&fd, s, cs) == CAPA_OK)
        cli_normalize_values(fd, kv, (size_t)(npos - 1));
    capa_actor who = {c->as, password};
    err = capa_case_set(s, number, &who, kv, (size_t)(npos - 1), reason);
    if (err != CAPA_OK) {
        snprintf(what, sizeof what, "set %s", number);
        rc = cli_fail_values(c, what, err, fd, kv, (size_t)(npos - 1));
        goto done;
    }
    snprintf(what, sizeof what, "%d", npos - 1);
    cli_print_case_stage(c, s, number, "say.set", "count", what, NULL);
done:
    capa_case_free(cs);
    cli_secret_free(password);
    capa_store_close(s);
    free(kv);
    return rc;
}
