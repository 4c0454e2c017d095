/*
 * cmd_backup.c - `capa backup DIR`: a hot, compacting copy of the database (LMDB's
 * mdb_env_copy2 inside core/) into an empty directory, created when missing. Writers keep
 * working while it runs; the copy is a consistent snapshot.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int cmd_backup(cli *c, int argc, char **argv)
{
    const cli_opt opts[] = {{NULL, NULL, NULL}};
    int npos, rc, err;
    capa_store *s = NULL;

    CLI_PARSE(c, argc, argv, opts, &npos);
    if (npos != 1)
        return cli_usage(c, "give exactly one target DIR");
    const char *dir = argv[0];
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return cli_error(dir, "cannot create: %s", strerror(errno));
    if ((rc = cli_store_open(&s, c, 0, 1)) != CLI_OK)
        goto done;
    if ((err = capa_store_backup(s, dir)) != CAPA_OK) {
        rc = cli_fail(c, "backup", err);
        goto done;
    }
    fputs("backed up ", stdout);
    cli_put(stdout, c->db);
    fputs(" to ", stdout);
    cli_put(stdout, dir);
    putchar('\n');
done:
    capa_store_close(s);
    return rc;
}
