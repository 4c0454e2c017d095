/*
 * cmd_open.c - `capa open FIELD=VALUE...`: open a case with its intake fields and print the
 * new case number alone on stdout, so scripts can capture it. --workflow ID opens it in
 * another workflow of the store (scar); the default is the complaint workflow. A choice may be given by its
 * label (severity=重要); an unknown field name is answered with the nearest one the intake
 * form has. Both come from the form the engine will check against; the engine decides.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>

/* A recurrence (再发) is said on stderr, so stdout stays the number alone. */
static void report_recurrence(capa_store *s, const char *number)
{
    char **of = NULL, a[CLI_TEXT_MAX];
    size_t n = 0;
    int days = 0;
    if (capa_case_recurrence(&of, &n, s, number) != CAPA_OK ||
        capa_store_recurrence_days(s, &days) != CAPA_OK || n == 0) {
        capa_strings_free(of, n);
        return;
    }
    char list[1024] = "", d[16];
    for (size_t i = 0, len = 0; i < n && len < sizeof list; i++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "",
                                cli_text(a, sizeof a, of[i]));
    snprintf(d, sizeof d, "%d", days);
    cli_note_rule(NULL, "open", "cli.recurrence", "number", cli_text(a, sizeof a, number), "of",
                  list, "days", d, NULL);
    capa_strings_free(of, n);
}

int cmd_open(cli *c, int argc, char **argv)
{
    const char *workflow = NULL;
    const cli_opt opts[] = {CLI_OPTS_ACTOR(c), {"--workflow", &workflow, NULL}, {NULL, NULL, NULL}};
    int npos, rc, err;
    capa_kv *kv = NULL;
    capa_store *s = NULL;
    char *password = NULL, *number = NULL;
    const capa_formdef *fd = NULL;

    CLI_PARSE(c, argc, argv, opts, &npos);
    if ((rc = cli_require_actor(c)) != CLI_OK)
        return rc;
    if (npos == 0)
        return cli_usage_rule(c, "cli.intake_values", NULL, NULL);
    if ((rc = cli_parse_assignments(&kv, c, argv, npos)) != CLI_OK)
        return rc;
    if ((rc = cli_open_as(&s, &password, c)) != CLI_OK)
        goto done;
    if (capa_intake_form(&fd, s, workflow) == CAPA_OK)
        cli_normalize_values(fd, kv, (size_t)npos);
    capa_actor who = {c->as, password};
    err = capa_case_open_in(&number, s, &who, workflow, kv, (size_t)npos);
    if (err != CAPA_OK) {
        rc = cli_fail_values(c, "open", err, fd, kv, (size_t)npos);
        goto done;
    }
    cli_put(stdout, number);
    putchar('\n');
    report_recurrence(s, number);
done:
    capa__free(number);
    cli_secret_free(password);
    capa_store_close(s);
    free(kv);
    return rc;
}
