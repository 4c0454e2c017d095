/*
 * cmd_import_xml.c - `capa import --xml case.xml --as ADMIN`: a case archive of another
 * store into this one (a group archive). core/ parses the file as hostile input, proves it
 * against its own events and signatures and audits the import; this reads the file and
 * prints. Kept apart from the CSV/xlsx import of legacy logs so the two dispatch side by
 * side: `capa import` with --xml comes here.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_import_xml(cli *c, int argc, char **argv)
{
    const char *path = NULL;
    const cli_opt opts[] = {CLI_OPTS_ACTOR(c), {"--xml", &path, NULL}, {NULL, NULL, NULL}};
    int npos, rc, err;
    capa_store *s = NULL;
    char *password = NULL, *xml = NULL, *number = NULL;
    size_t len = 0;

    CLI_PARSE(c, argc, argv, opts, &npos);
    if (!path || !*path)
        return cli_usage_rule(c, "cli.required", NULL, "option", "--xml FILE", NULL);
    if (npos != 0)
        return cli_unexpected(c, argv[0]);
    if ((rc = cli_require_actor(c)) != CLI_OK)
        return rc;
    /* The engine's own limit, checked again there; a larger file is not even read. */
    if ((rc = cli_read_file(&xml, &len, path, (size_t)64 << 20, NULL)) != CLI_OK)
        goto done;
    if ((rc = cli_store_open(&s, c, 0, 0)) != CLI_OK ||
        (rc = cli_read_actor_password(&password, c)) != CLI_OK)
        goto done;
    capa_actor who = {c->as, password};
    if ((err = capa_case_import(&number, s, &who, xml, len, path)) != CAPA_OK) {
        rc = cli_fail(c, "import", err);
        goto done;
    }
    cli_say_rule(c, "say.imported_archive", "number", number, "path", path, NULL);
done:
    capa__free(number);
    free(xml);
    cli_secret_free(password);
    capa_store_close(s);
    return rc;
}
