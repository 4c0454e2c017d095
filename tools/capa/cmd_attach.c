/*
 * cmd_attach.c - `capa attach CASE FILE [--stage S] [--note TEXT] --as USER` and
 * `capa attachment get CASE SHA256 -o FILE`: files kept with a case. core/ checks the size
 * limit, the role and the case's state, stores the content once by SHA-256 and audits it;
 * reading re-hashes the content. This only reads and writes the files.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_attach(cli *c, int argc, char **argv)
{
    const char *stage = NULL, *note = NULL;
    const cli_opt opts[] = {CLI_OPTS_ACTOR(c),
                            {"--stage", &stage, NULL},
                            {"--note", &note, NULL},
                            {NULL, NULL, NULL}};
    int npos, rc, err, too_big = 0;
    capa_store *s = NULL;
    char *password = NULL, *data = NULL, what[200], sha[65], a[CLI_TEXT_MAX];
    size_t len = 0;
    uint64_t limit = 0;

    CLI_PARSE(c, argc, argv, opts, &npos);
    if ((rc = cli_require_actor(c)) != CLI_OK)
        return rc;
    if (npos != 2)
        return cli_usage_rule(c, "cli.case_and_file", NULL, NULL);
    const char *number = argv[0], *path = argv[1];
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    snprintf(what, sizeof what, "attach %s", cli_text(a, 80, number));
    /* The limit is the store's: a larger file is refused before it is read and before the
     * password is asked. */
    if ((rc = cli_store_open(&s, c, 0, 0)) != CLI_OK)
        goto done;
    if ((err = capa_attach_limit(s, &limit)) != CAPA_OK) {
        rc = cli_fail(c, what, err);
        goto done;
    }
    if ((rc = cli_read_file(&data, &len, path, (size_t)limit, &too_big)) != CLI_OK)
        goto done;
    if (too_big) {
        char size[24], lim[24], mib[24];
        snprintf(size, sizeof size, "%zu", len);
        snprintf(lim, sizeof lim, "%llu", (unsigned long long)limit);
        snprintf(mib, sizeof mib, "%.1f", (double)limit / (1024.0 * 1024.0));
        rc = cli_error_rule(c, what, "cli.attach_too_big", "file", cli_text(a, sizeof a, name),
                            "size", size, "max", lim, "mib", mib, NULL);
        goto done;
    }
    if ((rc = cli_read_actor_password(&password, c)) != CLI_OK)
        goto done;
    capa_actor who = {c->as, password};
    if ((err = capa_case_attach(s, number, &who, name, data, len, stage, note, sha)) != CAPA_OK) {
        rc = cli_fail(c, what, err);
        goto done;
    }
    char size[24];
    snprintf(size, sizeof size, "%zu", len);
    cli_say_rule(c, "say.attached", "number", number, "name", name, "size", size, NULL);
    printf("sha256: %s\n", sha);
done:
    free(data);
    cli_secret_free(password);
    capa_store_close(s);
    return rc;
}

int cmd_attachment_get(cli *c, int argc, char **argv)
{
    const char *output = NULL;
    const cli_opt opts[] = {{"-o", &output, NULL}, {"--output", &output, NULL}, {NULL, NULL, NULL}};
    int npos, rc, err;
    capa_store *s = NULL;
    void *data = NULL;
    size_t len = 0;
    capa_attachment *meta = NULL;
    char what[200], a[CLI_TEXT_MAX];

    CLI_PARSE(c, argc, argv, opts, &npos);
    if (npos != 2)
        return cli_usage_rule(c, "cli.case_and_sha", NULL, NULL);
    if (!output || !*output)
        return cli_usage_rule(c, "cli.required", NULL, "option", "-o FILE", "hint", "stdout", NULL);
    snprintf(what, sizeof what, "attachment get %s", cli_text(a, 80, argv[0]));
    if ((rc = cli_store_open(&s, c, 0, 1)) != CLI_OK)
        goto done;
    if ((err = capa_attachment_get(&data, &len, &meta, s, argv[0], argv[1])) != CAPA_OK) {
        rc = cli_fail(c, what, err);
        goto done;
    }
    if ((rc = cli_write_file(output, data, len)) != CLI_OK)
        goto done;
    if (strcmp(output, "-") != 0) {
        char size[24];
        snprintf(size, sizeof size, "%zu", len);
        cli_note_rule(c, cli_text(a, sizeof a, meta->name), "cli.bytes_written", "size", size,
                      "path", output, NULL);
    }
done:
    capa__free(data);
    capa_attachment_clear(meta);
    capa__free(meta);
    capa_store_close(s);
    return rc;
}
