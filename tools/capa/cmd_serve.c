/*
 * cmd_serve.c - `capa serve [OPTIONS]`: exec capa-serve, the web UI and JSON API.
 *
 * The server is its own binary so the CLI does not link libmicrohttpd, and exec (not a
 * child) keeps one process: the PID a service manager started is the server's, SIGTERM goes
 * straight to it and its exit status is the command's. capa-serve is looked for next to this
 * binary (build tree and install alike), then on PATH.
 */
#include "cli.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cmd_serve(cli *c, int argc, char **argv)
{
    char self[PATH_MAX], path[PATH_MAX + 16];
    char **args = calloc((size_t)argc + 6, sizeof *args);
    int n = 0;
    if (!args)
        return cli_oom(NULL, "serve");
    args[n++] = "capa-serve";
    /* --db given before the command (or $CAPA_DB) reaches the server too. */
    if (c->db) {
        args[n++] = "--db";
        args[n++] = (char *)c->db;
    }
    /* So does --lang (capa --lang zh serve): the server words its start-up errors and its
     * readers' default pages in it, as the CLI would; a --lang after the command wins. */
    if (c->lang_arg) {
        args[n++] = "--lang";
        args[n++] = (char *)c->lang_arg;
    }
    for (int i = 0; i < argc; i++)
        args[n++] = argv[i];
    args[n] = NULL;
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len > 0) {
        self[len] = '\0';
        snprintf(path, sizeof path, "%s/capa-serve", dirname(self));
        execv(path, args);
    }
    execvp("capa-serve", args);
    int e = errno;
    free(args);
    return cli_error_rule(c, "serve", "cli.exec", "program", "capa-serve", "detail", strerror(e),
                          NULL);
}
