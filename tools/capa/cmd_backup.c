/*
 * cmd_backup.c - `capa backup DIR`: a hot, compacting copy of the database (LMDB's
 * mdb_env_copy2 inside core/) into an empty directory, created when missing. Writers keep
 * working while it runs; the copy is a consistent snapshot.
 */
#include "cli.h"

#include <stdio.h>

int cmd_backup(cli *c, int argc, char **argv)
{
    const cli_opt opts[] = {{NULL, NULL, NULL}};
    int npos, rc, err;
    capa_store *s = NULL;

    CLI_PARSE(c, argc, argv, opts, &npos);
    if (npos != 1)
        return cli_usage(c, "give exactly one target DIR");
    const char *dir = argv[0];
    if ((rc = cli_store_open(&s, c, 0, 1)) != CLI_OK)
        goto done;
    /* The engine refuses a target that is not empty and creates a missing one (0700). */
    if ((err = capa_store_backup(s, dir)) != CAPA_OK) {
        rc = cli_fail(c, "backup", err);
        goto done;
    }
    printf("backed up %s to %s\n", c->db, dir);
done:
    capa_store_close(s);
    return rc;
}
