/*
 * cmd_backup.c - `capa backup DIR`: a hot, compacting copy of the database (LMDB's
 * mdb_env_copy2 inside core/) into an empty directory, created when missing, plus the
 * dossier signing identity (<db>/keys, which core knows nothing of) into DIR/keys. Writers
 * keep working while it runs; the database copy is a consistent snapshot. `capa restore`
 * turns the directory back into a working database.
 */
#include "cli.h"

#include <stdio.h>

#include "capa_report.h"

int cmd_backup(cli *c, int argc, char **argv)
{
    const cli_opt opts[] = {{NULL, NULL, NULL}};
    int npos, rc, err;
    capa_store *s = NULL;
    char src[4096], dst[4096];

    CLI_PARSE(c, argc, argv, opts, &npos);
    if (npos != 1)
        return cli_usage_rule(c, "cli.dir_one", NULL, NULL);
    const char *dir = argv[0];
    if ((rc = cli_store_open(&s, c, 0, 1)) != CLI_OK)
        goto done;
    /* The engine refuses a target that is not empty and creates a missing one (0700). */
    if ((err = capa_store_backup(s, dir)) != CAPA_OK) {
        rc = cli_fail(c, "backup", err);
        goto done;
    }
    cli_keys_path(c, src, sizeof src, NULL);
    snprintf(dst, sizeof dst, "%s/keys", dir);
    err = capa_report_keys_copy(dst, src);
    if (err == CAPA_ENOTFOUND) {
        /* A database made through the API alone may have no identity: the records are
         * what a backup must not lose, so say what is missing and go on. */
        cli_note_rule(c, NULL, "cli.no_key", "path", src, NULL);
    } else if (err != CAPA_OK) {
        rc = cli_fail(c, "backup: signing key", err);
        cli_note_rule(c, NULL, "cli.backup_no_key", "path", dir, NULL);
        goto done;
    }
    cli_say_rule(c, "say.backed_up", "path", c->db, "to", dir, NULL);
done:
    capa_store_close(s);
    return rc;
}
