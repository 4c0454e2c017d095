/*
 * cmd_export.c - `capa export CASE -o case.xml` and `capa export --all [--closed-since DATE]
 * -o DIR/`: the XML case archive (schemas/case.xsd) for a group archive. A case that does
 * not verify against the audit trail is not exported (as for dossiers); core/ writes the
 * document, this writes the files.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int export_one(cli *c, capa_store *s, const char *number, const char *path)
{
    char *xml = NULL, what[200], a[CLI_TEXT_MAX];
    size_t len = 0;
    snprintf(what, sizeof what, "export %s", cli_text(a, 100, number));
    int err = capa_case_export(&xml, &len, s, number);
    if (err != CAPA_OK)
        return cli_fail(c, what, err);
    int rc = cli_write_file(path, xml, len);
    capa__free(xml);
    return rc;
}

int cmd_export(cli *c, int argc, char **argv)
{
    const char *out = NULL, *since_arg = NULL;
    int all = 0;
    const cli_opt opts[] = {{"-o", &out, NULL},
                            {"--output", &out, NULL},
                            {"--all", NULL, &all},
                            {"--closed-since", &since_arg, NULL},
                            {NULL, NULL, NULL}};
    int npos, rc = CLI_OK, err;
    capa_store *s = NULL;
    cli_numbers ns = {0};
    capa_verify_report *vr = NULL;

    CLI_PARSE(c, argc, argv, opts, &npos);
    if (!out || !*out)
        return cli_usage(c, "-o FILE.xml (or -o DIR/ with --all) is required");
    if (all ? npos != 0 : npos != 1)
        return cli_usage(c, all ? "--all takes no CASE" : "give exactly one CASE");
    if (since_arg && !all)
        return cli_usage(c, "--closed-since goes with --all");
    if (since_arg && cli_parse_date(&ns.since, since_arg) != 0)
        return cli_usage(c, "--closed-since '%s' is not YYYY-MM-DD", since_arg);
    if ((rc = cli_store_open(&s, c, 0, 1)) != CLI_OK)
        goto done;
    if (!all) {
        /* The anchor an archive carries vouches for the trail: a case must verify first. */
        if ((err = capa_case_verify(s, argv[0])) != CAPA_OK) {
            rc = cli_fail(c, "export refused", err);
            goto done;
        }
        if ((rc = export_one(c, s, argv[0], out)) == CLI_OK && strcmp(out, "-") != 0) {
            cli_put(stdout, out);
            putchar('\n');
        }
        goto done;
    }
    if (mkdir(out, 0755) != 0 && errno != EEXIST) {
        rc = cli_error(out, "cannot create: %s", strerror(errno));
        goto done;
    }
    err = cli_numbers_get(&ns, s);
    if (ns.oom || err < 0) {
        rc = ns.oom ? cli_error(c->cmd, "out of memory") : cli_fail(c, "list", err);
        goto done;
    }
    if ((err = capa_store_verify(&vr, s, NULL)) != CAPA_OK) {
        rc = cli_fail(c, "verify", err);
        goto done;
    }
    size_t failed = 0, ol = strlen(out);
    for (size_t i = 0; i < ns.n; i++) {
        char path[4096], name[512];
        snprintf(name, sizeof name, "%s", ns.v[i]);
        for (char *p = name; *p; p++)
            if (*p == '/')
                *p = '_';
        snprintf(path, sizeof path, "%s%s%s.xml", out, ol && out[ol - 1] == '/' ? "" : "/", name);
        const capa_mismatch *bad = capa_verify_report_concerns(vr, ns.v[i]);
        if (bad) {
            cli_error(ns.v[i], "export refused: the case does not verify against the audit "
                               "trail: %s",
                      bad->message);
            failed++;
            continue;
        }
        if (export_one(c, s, ns.v[i], path) != CLI_OK) {
            failed++;
            continue;
        }
        cli_put(stdout, path);
        putchar('\n');
    }
    fprintf(stderr, "%zu case%s exported to ", ns.n - failed, ns.n - failed == 1 ? "" : "s");
    cli_put(stderr, out);
    if (failed)
        fprintf(stderr, ", %zu failed", failed);
    fputc('\n', stderr);
    rc = failed ? CLI_ERROR : CLI_OK;
done:
    capa_verify_report_free(vr);
    cli_numbers_clear(&ns);
    capa_store_close(s);
    return rc;
}
