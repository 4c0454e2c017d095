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

static int export_each(cli *c, capa_store *s, const char *number, const char *path, void *payload)
{
    (void)payload;
    return export_one(c, s, number, path);
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

    CLI_PARSE(c, argc, argv, opts, &npos);
    if (!out || !*out)
        return cli_usage_rule(c, "cli.required", NULL, "option", "-o FILE.xml", "hint", "all",
                              "other", "--all", NULL);
    if (all ? npos != 0 : npos != 1)
        return (all ? cli_usage_rule(c, "cli.no_case_with", NULL, "option", "--all", NULL)
                    : cli_usage_rule(c, "cli.case_one", NULL, NULL));
    if (since_arg && !all)
        return cli_usage_rule(c, "cli.goes_with", NULL, "option", "--closed-since", "other",
                              "--all", NULL);
    if (since_arg && cli_parse_date(&ns.since, since_arg) != 0)
        return cli_usage_rule(c, "cli.date", since_arg, "option", "--closed-since", NULL);
    if ((rc = cli_store_open(&s, c, 0, 1)) != CLI_OK)
        goto done;
    if (!all) {
        /* The anchor an archive carries vouches for the trail: a case must verify first. */
        if ((err = capa_case_prove(s, argv[0])) != CAPA_OK) {
            rc = cli_fail(c, "export refused", err);
            goto done;
        }
        if ((rc = export_one(c, s, argv[0], out)) == CLI_OK && strcmp(out, "-") != 0) {
            cli_put(stdout, out);
            putchar('\n');
        }
        goto done;
    }
    cli_each_file w = {out, ".xml", "export refused", "case", "exported to", 0, export_each, NULL};
    rc = cli_each_case_file(c, s, &ns, &w);
done:
    cli_numbers_clear(&ns);
    capa_store_close(s);
    return rc;
}
