/*
 * cmd_restore.c - `capa restore BACKUP --db TARGET`: turn a directory made by `capa backup`
 * back into a working database, database and signing identity, after checking it.
 *
 * Nothing is written before the backup has verified completely (capa_audit_verify: the
 * whole hash chain and every standing sign-off) and its signing key matches its
 * certificate, and TARGET must be new or empty. The copy is assembled and verified again in
 * a private directory inside TARGET, then moved into place, so a failed or interrupted
 * restore never leaves TARGET looking like a database: on failure TARGET is as it was (a
 * TARGET this command created is removed again).
 */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capa_report.h"

#define STAGE_PREFIX ".restore."
#define MAX_ENTRIES 16

enum { DIR_ABSENT, DIR_EMPTY, DIR_FULL, DIR_ERROR };

/* dir/name into buf; -1 (ENAMETOOLONG) when it does not fit. */
static int join(char *buf, size_t sz, const char *dir, const char *name)
{
    int n = snprintf(buf, sz, "%s/%s", dir, name);
    if (n >= 0 && (size_t)n < sz)
        return 0;
    errno = ENAMETOOLONG;
    return -1;
}

/* Whether `path` is missing, an empty directory or holds something (its first entry other
 * than `skip` goes to first[]). DIR_ERROR leaves errno set. */
static int dir_state(const char *path, const char *skip, char *first, size_t sz)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return errno == ENOENT ? DIR_ABSENT : DIR_ERROR;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return DIR_ERROR;
    }
    DIR *d = opendir(path);
    if (!d)
        return DIR_ERROR;
    int state = DIR_EMPTY;
    struct dirent *e;
    errno = 0;
    while (state == DIR_EMPTY && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
            (skip && strcmp(e->d_name, skip) == 0))
            continue;
        snprintf(first, sz, "%s", e->d_name);
        state = DIR_FULL;
    }
    int err = errno;
    closedir(d);
    if (state == DIR_EMPTY && err) {
        errno = err;
        return DIR_ERROR;
    }
    return state;
}

/* rm -r of the staging directory this command made (never follows symbolic links). */
static void remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            char sub[4400];
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            if (join(sub, sizeof sub, path, e->d_name) == 0)
                remove_tree(sub);
        }
        if (d)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static int fsync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Move every entry of `stage` into `target`, the signing keys first so a TARGET that has a
 * database also has its key. On failure the entries already moved go back into `stage`. */
static int move_into_place(const char *stage, const char *target)
{
    char names[MAX_ENTRIES][256];
    int n = 0, moved = 0;
    DIR *d = opendir(stage);
    struct dirent *e;
    if (!d)
        return cli_error_rule(NULL, "restore", "cli.restore_move", "path", stage, "detail",
                              strerror(errno), NULL);
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (n == MAX_ENTRIES || strlen(e->d_name) >= sizeof names[0]) {
            closedir(d);
            return cli_error_rule(NULL, "restore", "cli.restore_move", "path", stage, "detail",
                                  "unexpected entries", NULL);
        }
        snprintf(names[n], sizeof names[n], "%s", e->d_name);
        if (strcmp(names[n], "keys") == 0 && n > 0) {
            char tmp[sizeof names[0]];
            memcpy(tmp, names[0], sizeof tmp);
            memcpy(names[0], names[n], sizeof tmp);
            memcpy(names[n], tmp, sizeof tmp);
        }
        n++;
    }
    closedir(d);
    for (; moved < n; moved++) {
        char from[4400], to[4400];
        if (join(from, sizeof from, stage, names[moved]) != 0 ||
            join(to, sizeof to, target, names[moved]) != 0 || rename(from, to) != 0)
            break;
    }
    if (moved == n)
        return CLI_OK;
    int err = errno;
    while (moved-- > 0) {
        char from[4400], to[4400];
        if (join(from, sizeof from, target, names[moved]) == 0 &&
            join(to, sizeof to, stage, names[moved]) == 0)
            rename(from, to);
    }
    return cli_error_rule(NULL, "restore", "cli.restore_move", "path", target, "detail",
                          strerror(err), NULL);
}

/* Verify an open store (`of` "backup" or "copy", at `path`); on failure print why, naming the
 * first bad event. */
static int verify(cli *c, capa_store *s, const char *of, const char *path, char head[65])
{
    uint64_t bad = 0;
    int err = capa_audit_verify(s, head, &bad);
    if (err == CAPA_OK)
        return CLI_OK;
    const char *msg = capa_error_last()[0] ? capa_error_last() : capa_strerror(err);
    char ev[64], detail[CLI_TEXT_MAX];
    snprintf(ev, sizeof ev, "event %llu", (unsigned long long)bad);
    if (err == CAPA_ECORRUPT && bad && !strstr(msg, ev))
        snprintf(detail, sizeof detail, "%s: %s", ev, msg);
    else
        snprintf(detail, sizeof detail, "%s", msg);
    return cli_error_rule(c, NULL, "cli.restore_verify", "of", of, "path", path, "detail", detail,
                          NULL);
}

int cmd_restore(cli *c, int argc, char **argv)
{
    const cli_opt opts[] = {{NULL, NULL, NULL}};
    int npos, rc = CLI_OK, err, made = 0, staged = 0, keys = 0;
    capa_store *b = NULL, *r = NULL;
    capa_open_opts ro = {.read_only = 1};
    char first[256], bkeys[4200], kfile[4300], cfile[4300], stage[4096], skeys[4200];
    char head[65], head2[65];

    CLI_PARSE(c, argc, argv, opts, &npos);
    if (npos != 1)
        return cli_usage_rule(c, "cli.backup_one", NULL, "option", "--db", NULL);
    const char *bk = argv[0], *target = c->db;

    switch (dir_state(target, NULL, first, sizeof first)) {
    case DIR_ABSENT:
    case DIR_EMPTY:
        break;
    case DIR_FULL:
        return cli_error_rule(c, NULL, "cli.restore_target", "how", "full", "path", target, "entry",
                              first, NULL);
    default:
        return cli_error_rule(c, NULL, "cli.restore_target", "path", target, "detail",
                              strerror(errno), NULL);
    }

    /* 1. The backup, read only: the whole chain and every sign-off, and its signing key. */
    switch (dir_state(bk, NULL, first, sizeof first)) {
    case DIR_FULL:
        break;
    case DIR_ABSENT:
        return cli_error_rule(c, NULL, "cli.backup_bad", "how", "absent", "path", bk, NULL);
    case DIR_EMPTY:
        return cli_error_rule(c, NULL, "cli.backup_bad", "how", "empty", "path", bk, "prog",
                              c->prog, NULL);
    default:
        return cli_error_rule(c, NULL, "cli.backup_bad", "path", bk, "detail", strerror(errno),
                              NULL);
    }
    if ((err = capa_store_open(&b, bk, &ro)) != CAPA_OK) {
        rc = cli_error_rule(c, NULL, "cli.backup_bad", "path", bk, "detail", capa_error_last(),
                            NULL);
        goto done;
    }
    if ((rc = verify(c, b, "backup", bk, head)) != CLI_OK)
        goto done;
    snprintf(bkeys, sizeof bkeys, "%s/keys", bk);
    snprintf(kfile, sizeof kfile, "%s/org.key", bkeys);
    snprintf(cfile, sizeof cfile, "%s/org.crt", bkeys);
    /* A backup from before backups kept the key has none: restore it, and say so. */
    if (access(kfile, F_OK) == 0 || access(cfile, F_OK) == 0) {
        if ((err = capa_report_keys_check(bkeys)) != CAPA_OK) {
            rc = cli_error_rule(c, NULL, "cli.backup_bad", "how", "keys", "path", bk, "detail",
                                capa_error_last(), NULL);
            goto done;
        }
        keys = 1;
    }

    /* 2. The copy, assembled in a private directory inside TARGET. */
    if (mkdir(target, 0700) == 0) {
        made = 1;
    } else if (errno != EEXIST) {
        rc = cli_error_rule(c, NULL, "cli.restore_target", "how", "create", "path", target,
                            "detail", strerror(errno), NULL);
        goto done;
    }
    if (join(stage, sizeof stage, target, STAGE_PREFIX "XXXXXX") != 0 || !mkdtemp(stage)) {
        rc = cli_error_rule(c, NULL, "cli.restore_target", "path", target, "detail",
                            strerror(errno), NULL);
        goto done;
    }
    staged = 1;
    if ((err = capa_store_backup(b, stage)) != CAPA_OK) {
        rc = cli_fail(c, "restore", err);
        goto done;
    }
    capa_store_close(b);
    b = NULL;
    snprintf(skeys, sizeof skeys, "%s/keys", stage);
    if (keys && (err = capa_report_keys_copy(skeys, bkeys)) != CAPA_OK) {
        rc = cli_fail(c, "restore: signing key", err);
        goto done;
    }

    /* 3. The copy itself must verify to the same head before it takes TARGET's place. */
    if ((err = capa_store_open(&r, stage, &ro)) != CAPA_OK) {
        rc = cli_error_rule(c, NULL, "cli.restore_target", "how", "copy", "path", target, "detail",
                            capa_error_last(), NULL);
        goto done;
    }
    if ((rc = verify(c, r, "copy", target, head2)) != CLI_OK)
        goto done;
    capa_store_close(r);
    r = NULL;
    if (strcmp(head, head2) != 0) {
        rc = cli_error_rule(c, NULL, "cli.restore_head", "path", target, "head", head2, "backup",
                            head, NULL);
        goto done;
    }

    /* 4. Into place, unless something else appeared in TARGET meanwhile. */
    const char *stage_name = stage + strlen(target) + 1;
    int st = dir_state(target, stage_name, first, sizeof first);
    if (st != DIR_EMPTY) {
        rc = st == DIR_FULL ? cli_error_rule(c, NULL, "cli.restore_target", "how", "appeared",
                                             "path", target, "entry", first, NULL)
                            : cli_error_rule(c, NULL, "cli.restore_target", "path", target,
                                             "detail", strerror(errno), NULL);
        goto done;
    }
    if ((rc = move_into_place(stage, target)) != CLI_OK)
        goto done;
    rmdir(stage);
    staged = 0;
    if (fsync_dir(target) != 0) {
        rc = cli_error_rule(c, NULL, "cli.restore_target", "how", "sync", "path", target, "detail",
                            strerror(errno), NULL);
        goto done;
    }
    cli_say_rule(c, "say.restored", "path", bk, "to", target, "head", head2, NULL);
    if (!keys)
        cli_note_rule(c, NULL, "cli.no_key", "of", "backup", "path", bkeys, NULL);
done:
    capa_store_close(b);
    capa_store_close(r);
    if (staged)
        remove_tree(stage);
    if (rc != CLI_OK && made)
        rmdir(target);
    return rc;
}
