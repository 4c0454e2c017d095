/*
 * cmd_dossier.c - `capa dossier`: the signed PDF dossier of one case, or of every case
 * (closed since a date) into a directory for an auditor.
 *
 *   capa dossier CASE -o FILE.pdf [--font FILE] [--no-sign]
 *   capa dossier --all [--closed-since YYYY-MM-DD] -o DIR/ [--font FILE] [--no-sign]
 *
 * The signing identity is <db>/keys/org.key + org.crt (made by `capa init`, replaced by
 * `capa cert install`). The font defaults to the one the build prepared; --font or
 * $CAPA_FONT override it. Progress of --all goes to stderr, one line per case.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capa_report.h"

int cmd_dossier(cli *c, int argc, char **argv)
{
    const char *out = NULL, *font = NULL, *since_arg = NULL;
    int all = 0, no_sign = 0;
    const cli_opt opts[] = {
        {"-o", &out, NULL},
        {"--output", &out, NULL},
        {"--font", &font, NULL},
        {"--all", NULL, &all},
        {"--closed-since", &since_arg, NULL},
        {"--no-sign", NULL, &no_sign},
        {NULL, NULL, NULL},
    };
    int npos, rc = CLI_OK, err;
    capa_store *s = NULL;
    cli_numbers ns = {0};
    char key[4096], crt[4096];

    CLI_PARSE(c, argc, argv, opts, &npos);
    if (!out)
        return cli_usage(c, "-o FILE.pdf (or -o DIR/ with --all) is required");
    if (all ? npos != 0 : npos != 1)
        return cli_usage(c, all ? "--all takes no CASE" : "give exactly one CASE");
    if (since_arg && !all)
        return cli_usage(c, "--closed-since goes with --all");
    if (since_arg && cli_parse_date(&ns.since, since_arg) != 0)
        return cli_usage(c, "--closed-since '%s' is not YYYY-MM-DD", since_arg);
    char fontbuf[4200];
    if (!font || !*font)
        font = getenv("CAPA_FONT");
    if (!font || !*font)
        font = cli_default_font(fontbuf, sizeof fontbuf);

    capa_dossier_opts o = {0};
    o.font_path = font && *font ? font : NULL;
    if (!no_sign) {
        cli_keys_path(c, key, sizeof key, "org.key");
        cli_keys_path(c, crt, sizeof crt, "org.crt");
        o.key_path = key;
        o.cert_path = crt;
    }
    if ((rc = cli_store_open(&s, c, 0, 1)) != CLI_OK)
        goto done;

    if (!all) {
        if ((err = capa_report_dossier(s, argv[0], out, &o)) != CAPA_OK) {
            rc = cli_fail(c, argv[0], err);
            if (!no_sign && access(key, F_OK) != 0 && strstr(capa_error_last(), key))
                fprintf(stderr,
                        "%s: %s: make a signing identity with 'capa cert create' "
                        "(or 'capa cert install'), or pass --no-sign\n",
                        c->prog, c->cmd);
            goto done;
        }
        cli_put(stdout, out);
        putchar('\n');
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
    /* One replay for all: then each case is refused alone when its records differ. */
    capa_verify_report *vr = NULL;
    if ((err = capa_store_verify(&vr, s, NULL)) != CAPA_OK) {
        rc = cli_fail(c, "verify", err);
        goto done;
    }
    o.verified = 1;
    size_t failed = 0;
    for (size_t i = 0; i < ns.n; i++) {
        char path[4096];
        size_t ol = strlen(out);
        /* A number pattern may contain '/' (it is configurable): never a subdirectory. */
        char name[512];
        snprintf(name, sizeof name, "%s", ns.v[i]);
        for (char *p = name; *p; p++)
            if (*p == '/')
                *p = '_';
        snprintf(path, sizeof path, "%s%s%s.pdf", out, ol && out[ol - 1] == '/' ? "" : "/", name);
        fprintf(stderr, "[%zu/%zu] ", i + 1, ns.n);
        cli_put(stderr, ns.v[i]);
        fputs(" -> ", stderr);
        cli_put(stderr, path);
        fputc('\n', stderr);
        const capa_mismatch *bad = capa_verify_report_concerns(vr, ns.v[i]);
        const char *why = bad ? bad->message : NULL;
        if (why) {
            cli_error(ns.v[i],
                      "dossier refused: the case does not verify against the audit "
                      "trail: %s",
                      why);
            failed++;
            continue;
        }
        if ((err = capa_report_dossier(s, ns.v[i], path, &o)) != CAPA_OK) {
            cli_fail(c, ns.v[i], err);
            failed++;
            continue;
        }
        cli_put(stdout, path);
        putchar('\n');
    }
    fprintf(stderr, "%zu dossier%s written to ", ns.n - failed, ns.n - failed == 1 ? "" : "s");
    cli_put(stderr, out);
    if (failed)
        fprintf(stderr, ", %zu failed", failed);
    fputc('\n', stderr);
    rc = failed ? CLI_ERROR : CLI_OK;
    capa_verify_report_free(vr);
done:
    cli_numbers_clear(&ns);
    capa_store_close(s);
    return rc;
}
