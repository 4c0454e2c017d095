/*
 * cmd_upgrade.c - `capa upgrade`: convert a store written by an older capa (store format 1)
 * to the current format, in place, after a backup it makes itself next to it
 * (<db>.format1-YYYYmmddTHHMMSSZ). Every event is kept as it is, so anchors taken before
 * still verify; the store must verify before it is converted and does afterwards.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int cmd_upgrade(cli *c, int argc, char **argv)
{
    const cli_opt opts[] = {{NULL, NULL, NULL}};
    int npos, rc, err, format = 0;
    capa_store *s = NULL;
    char backup[4096], stamp[32], tok[128];
    CLI_PARSE(c, argc, argv, opts, &npos);
    if (npos > 0)
        return cli_unexpected(c, argv[0]);
    if ((rc = cli_store_open(&s, c, 0, 0)) != CLI_OK)
        return rc;
    if ((err = capa_store_format(s, &format)) != CAPA_OK) {
        rc = cli_fail(c, "upgrade", err);
        goto done;
    }
    if (format == 0) {
        rc = cli_error_rule(c, "upgrade", "cli.not_initialised", "path", c->db, NULL);
        goto done;
    }
    if (format >= 2) {
        char f[16];
        snprintf(f, sizeof f, "%d", format);
        cli_say_rule(c, "say.upgrade_none", "path", c->db, "format", f, NULL);
        goto done;
    }
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(backup, sizeof backup, "%s.format%d-%s", c->db, format, stamp);
    if ((err = capa_store_backup(s, backup)) != CAPA_OK) {
        rc = cli_fail(c, "upgrade: backup", err);
        goto done;
    }
    char fmt[16];
    snprintf(fmt, sizeof fmt, "%d", format);
    cli_note_rule(c, "upgrade", "cli.upgrade_backup", "format", fmt, "path", backup, NULL);
    if ((err = capa_store_upgrade(s)) != CAPA_OK) {
        rc = cli_fail(c, "upgrade", err);
        goto done;
    }
    capa_anchor_current(tok, sizeof tok, s);
    char f[16];
    snprintf(f, sizeof f, "%d", format);
    cli_say_rule(c, "say.upgraded", "path", c->db, "format", f, "anchor", tok, NULL);
done:
    capa_store_close(s);
    return rc;
}
