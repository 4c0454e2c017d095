/*
 * cmd_sign.c - `capa sign CASE --meaning M`: the electronic signature that leaves a stage.
 * The password is asked again at the moment of signing; core/ checks the role, the meaning,
 * independence (approved/closed) and recusal, and records name, role, time and data hash.
 * `--meaning M --reason TEXT` signs a waiver of the stage instead (e.g. "waived": no PFMEA /
 * control-plan update, by the quality lead).
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

int cmd_sign(cli *c, int argc, char **argv)
{
    const char *meaning = NULL, *reason = NULL;
    const cli_opt opts[] = {CLI_OPTS_ACTOR(c),
                            {"--meaning", &meaning, NULL},
                            {"--reason", &reason, NULL},
                            {NULL, NULL, NULL}};
    int npos, rc, err;
    capa_store *s = NULL;
    char *password = NULL, what[160];

    CLI_PARSE(c, argc, argv, opts, &npos);
    if ((rc = cli_require_actor(c)) != CLI_OK)
        return rc;
    if (npos != 1)
        return cli_usage_rule(c, "cli.case_one", NULL, NULL);
    if (!meaning || !*meaning)
        return cli_usage_rule(c, "cli.required", NULL, "option", "--meaning", "hint", "meaning",
                              "choices_zh", "“reviewed”、“approved”、“done”、“verified”、“closed”",
                              "choices_en", "reviewed, approved, done, verified, closed", NULL);
    const char *number = argv[0];
    if ((rc = cli_open_as(&s, &password, c)) != CLI_OK)
        goto done;
    /* The meaning's 中文 label for the confirmation, from the stage signed (or its waiver). */
    char mzh[128] = "";
    capa_case *cs = NULL;
    const capa_workflow *wf = NULL;
    const capa_stage *st = NULL;
    if (capa_case_get(&cs, s, number) == CAPA_OK && capa_case_workflow(&wf, s, cs) == CAPA_OK &&
        (st = capa_workflow_stage(wf, cs->stage)) != NULL) {
        if (st->sign_meaning && strcmp(st->sign_meaning, meaning) == 0)
            snprintf(mzh, sizeof mzh, "%s", st->sign_meaning_zh ? st->sign_meaning_zh : "");
        for (size_t i = 0; i < st->n_waivers; i++) {
            const capa_waiver *w = &st->waivers[i];
            if (strcmp(w->meaning, meaning) == 0)
                snprintf(mzh, sizeof mzh, "%s", w->label_zh ? w->label_zh : "");
        }
    }
    capa_case_free(cs);
    capa_actor who = {c->as, password};
    /* --reason: a waiver of the stage (<waiver> in workflow.xml), which keeps the case where
     * it is; core names the rule when the meaning is not one. */
    err = reason ? capa_case_waive(s, number, &who, meaning, reason)
                 : capa_case_sign(s, number, &who, meaning);
    if (err != CAPA_OK) {
        snprintf(what, sizeof what, "sign %s", number);
        rc = cli_fail(c, what, err);
        goto done;
    }
    cli_print_case_stage(c, s, number, "say.signed", "meaning", meaning, "meaning_zh",
                         *mzh ? mzh : meaning, "user", c->as, NULL);
done:
    cli_secret_free(password);
    capa_store_close(s);
    return rc;
}
