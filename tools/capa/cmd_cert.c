/*
 * cmd_cert.c - `capa cert`: the organisation's signing identity in <db>/keys, used to sign
 * dossiers.
 *
 *   capa cert create [--org NAME]                 self-signed demo certificate (RSA-2048)
 *   capa cert install --key FILE --cert FILE [--chain FILE]   a real key, certificate, chain
 *
 * `capa init` creates the demo identity itself, or installs --key/--cert when given.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>

#include "capa_report.h"

/* <db>/keys into buf. */
static const char *keys_dir(const cli *c, char *buf, size_t sz)
{
    cli_keys_path(c, buf, sz, NULL);
    return buf;
}

/* Keys that go into <db>/keys belong to the store there: without one the directory is left
 * as it was (only init makes a store, with its keys). $CAPA_KEYS names a place of its own. */
static int keys_home(cli *c)
{
    const char *env = getenv("CAPA_KEYS");
    capa_store *s = NULL;
    if (env && *env)
        return CLI_OK;
    int rc = cli_store_open(&s, c, 0, 1);
    capa_store_close(s);
    return rc;
}

int cli_cert_setup(cli *c, const char *org, const char *key, const char *cert, const char *chain)
{
    char dir[4096];
    int err;
    keys_dir(c, dir, sizeof dir);
    if (key || cert) {
        if (!key || !cert)
            return cli_usage_rule(c, "cli.together", NULL, "option", "--key", "other", "--cert",
                                  NULL);
        err = capa_report_keys_install(dir, key, cert, chain);
    } else {
        err = capa_report_keys_create(dir, org, 0);
    }
    if (err != CAPA_OK)
        return cli_fail(c, "signing key", err);
    return CLI_OK;
}

int cmd_cert_create(cli *c, int argc, char **argv)
{
    const char *org = NULL;
    const cli_opt opts[] = {{"--org", &org, NULL}, {NULL, NULL, NULL}};
    int npos, rc;
    char dir[4096];
    capa_store_info info = {0};
    capa_store *s = NULL;
    CLI_PARSE(c, argc, argv, opts, &npos);
    if (npos != 0)
        return cli_unexpected(c, argv[0]);
    if (org && (rc = keys_home(c)) != CLI_OK)
        return rc;
    if (!org) {
        if ((rc = cli_store_open(&s, c, 0, 1)) != CLI_OK)
            return rc;
        int err = capa_store_info_get(&info, s);
        capa_store_close(s);
        if (err != CAPA_OK)
            return cli_fail(c, "info", err);
        org = info.org;
    }
    rc = cli_cert_setup(c, org, NULL, NULL, NULL);
    if (rc == CLI_OK) {
        cli_say_rule(c, "say.cert_created", "org", org, "path", keys_dir(c, dir, sizeof dir),
                     NULL);
    }
    capa_store_info_clear(&info);
    return rc;
}

int cmd_cert_install(cli *c, int argc, char **argv)
{
    const char *key = NULL, *cert = NULL, *chain = NULL;
    const cli_opt opts[] = {
        {"--key", &key, NULL},
        {"--cert", &cert, NULL},
        {"--chain", &chain, NULL},
        {NULL, NULL, NULL},
    };
    int npos, rc;
    char dir[4096];
    CLI_PARSE(c, argc, argv, opts, &npos);
    if (npos != 0)
        return cli_unexpected(c, argv[0]);
    if (!key || !cert)
        return cli_usage_rule(c, "cli.required", NULL, "option", "--key FILE --cert FILE", NULL);
    if ((rc = keys_home(c)) != CLI_OK)
        return rc;
    rc = cli_cert_setup(c, NULL, key, cert, chain);
    if (rc == CLI_OK) {
        cli_say_rule(c, "say.cert_installed", "path", keys_dir(c, dir, sizeof dir), NULL);
    }
    return rc;
}
