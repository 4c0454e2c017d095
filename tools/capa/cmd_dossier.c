/*
 * cmd_dossier.c - `capa dossier`: the signed PDF dossier of one case, or of every case
 * (closed since a date) into a directory for an auditor.
 *
 *   capa dossier CASE -o FILE.pdf [--font FILE] [--no-sign] [--cert FILE]
 *   capa dossier --all [--closed-since YYYY-MM-DD] -o DIR/ [--font FILE] [--no-sign]
 *
 * The signing identity is <db>/keys/org.key + org.crt (made by `capa init`, replaced by
 * `capa cert install`). The font defaults to the one the build prepared; --font or
 * $CAPA_FONT override it. Progress of --all goes to stderr, one line per case.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capa_report.h"

static int dossier_each(cli *c, capa_store *s, const char *number, const char *path, void *payload)
{
    int err = capa_report_dossier(s, number, path, payload);
    return err == CAPA_OK ? CLI_OK : cli_fail(c, number, err);
}

int cmd_dossier(cli *c, int argc, char **argv)
{
    const char *out = NULL, *font = NULL, *since_arg = NULL, *cert = NULL;
    int all = 0, no_sign = 0;
    const cli_opt opts[] = {
        {"-o", &out, NULL},
        {"--output", &out, NULL},
        {"--font", &font, NULL},
        {"--all", NULL, &all},
        {"--closed-since", &since_arg, NULL},
        {"--no-sign", NULL, &no_sign},
        {"--cert", &cert, NULL},
        {NULL, NULL, NULL},
    };
    int npos, rc = CLI_OK, err;
    capa_store *s = NULL;
    cli_numbers ns = {0};
    char key[4096], crt[4096], pcrt[4096];

    CLI_PARSE(c, argc, argv, opts, &npos);
    if (!out)
        return cli_usage_rule(c, "cli.required", NULL, "option", "-o FILE.pdf", "hint", "all",
                              "other", "--all", NULL);
    if (all ? npos != 0 : npos != 1)
        return (all ? cli_usage_rule(c, "cli.no_case_with", NULL, "option", "--all", NULL)
                    : cli_usage_rule(c, "cli.case_one", NULL, NULL));
    if (since_arg && !all)
        return cli_usage_rule(c, "cli.goes_with", NULL, "option", "--closed-since", "other",
                              "--all", NULL);
    if (since_arg && cli_parse_date(&ns.since, since_arg) != 0)
        return cli_usage_rule(c, "cli.date", since_arg, "option", "--closed-since", NULL);
    char fontbuf[4200];
    if (!font || !*font)
        font = getenv("CAPA_FONT");
    if (!font || !*font)
        font = cli_default_font(fontbuf, sizeof fontbuf);

    capa_dossier_opts o = {0};
    o.font_path = font && *font ? font : NULL;
    if (!no_sign) {
        cli_keys_path(c, key, sizeof key, "org.key");
        cli_keys_path(c, crt, sizeof crt, "org.crt");
        o.key_path = key;
        o.cert_path = crt;
    }
    if ((rc = cli_store_open(&s, c, 0, 1)) != CLI_OK)
        goto done;

    if (!all) {
        /* The case proof's checkpoint is checked against the auditor's certificate (--cert),
         * else the store's own, as verify does (and says so). */
        capa_case_proof pf = {0};
        cli_keys_path(c, pcrt, sizeof pcrt, "org.crt");
        o.proof_cert_path = cert ? cert : pcrt;
        o.proof = &pf;
        err = capa_report_dossier(s, argv[0], out, &o);
        if (pf.fast) {
            char seq[24];
            snprintf(seq, sizeof seq, "%llu", (unsigned long long)pf.ck_seq);
            cli_note_rule(c, NULL, "cli.dossier_proof", "number", argv[0], "seq", seq, "cert",
                          o.proof_cert_path, "own", cert ? "" : "1", NULL);
        } else if (pf.why[0])
            cli_note_rule(c, NULL, "cli.dossier_replayed", "number", argv[0], "detail", pf.why, NULL);
        if (err != CAPA_OK) {
            rc = cli_fail(c, argv[0], err);
            if (!no_sign && access(key, F_OK) != 0 && strstr(capa_error_last(), key))
                cli_note_rule(c, NULL, "cli.no_identity", "option", "--no-sign", NULL);
            goto done;
        }
        cli_put(stdout, out);
        putchar('\n');
        goto done;
    }

    o.verified = 1; /* the replay cli_each_case_file runs first covers every case */
    cli_each_file w = {out,          ".pdf", "dossier refused", "dossier",
                       "written to", 1,      dossier_each,      &o};
    rc = cli_each_case_file(c, s, &ns, &w);
done:
    cli_numbers_clear(&ns);
    capa_store_close(s);
    return rc;
}
