/*
 * cmd_init.c - `capa init`: create the database directory, record the organisation and
 * numbering, load the forms (built in, or --forms DIR) and create the first (admin) user.
 */
#include "cli.h"

#include <stdio.h>

int cmd_init(cli *c, int argc, char **argv)
{
    const char *org = NULL, *pattern = NULL, *admin = "admin", *admin_name = NULL;
    const char *forms = NULL, *cert = NULL, *key = NULL, *chain = NULL, *zone = NULL;
    char sys_zone[128];
    const cli_opt opts[] = {
        {"--org", &org, NULL},     {"--number-pattern", &pattern, NULL},
        {"--admin", &admin, NULL}, {"--admin-name", &admin_name, NULL},
        {"--forms", &forms, NULL}, {"--password-stdin", NULL, &c->password_stdin},
        {"--cert", &cert, NULL},   {"--key", &key, NULL},
        {"--chain", &chain, NULL}, {"--timezone", &zone, NULL},
        {NULL, NULL, NULL},
    };
    int npos, rc;
    capa_store *s = NULL;
    char *password = NULL;

    CLI_PARSE(c, argc, argv, opts, &npos);
    if (npos > 0)
        return cli_unexpected(c, argv[0]);
    if (!org || !*org)
        return cli_usage_rule(c, "cli.required", NULL, "option", "--org NAME", "hint", "org", NULL);
    if (!cert != !key)
        return cli_usage_rule(c, "cli.together", NULL, "option", "--cert FILE", "other",
                              "--key FILE", NULL);

    /* The plant's zone: --timezone, else the system's. Checked before any password. */
    if (!zone) {
        capa_tz_system(sys_zone, sizeof sys_zone);
        zone = sys_zone;
    }
    capa_tz *tz = NULL;
    int zerr = capa_tz_load(&tz, zone);
    capa_tz_free(tz);
    if (zerr != CAPA_OK)
        return cli_fail(c, "init: --timezone", zerr);
    rc = cli_read_new_password(&password, c, admin);
    if (rc != CLI_OK)
        goto done;
    rc = cli_store_open(&s, c, 1, 0);
    if (rc != CLI_OK)
        goto done;
    capa_init_opts io = {
        .org = org,
        .number_pattern = pattern,
        .admin_user = admin,
        .admin_name = admin_name,
        .admin_password = password,
        .forms_dir = forms,
        .timezone = zone,
    };
    int err = capa_store_init(s, &io);
    if (err != CAPA_OK) {
        rc = cli_fail(c, "init", err);
        goto done;
    }
    /* The dossier signing identity: the given one, else a self-signed demo certificate. */
    if ((rc = cli_cert_setup(c, org, key, cert, chain)) != CLI_OK)
        goto done;
    cli_say_rule(c, "say.initialised", "path", c->db, "org", org, "user", admin, NULL);
    cli_say_rule(c, "say.timezone", "zone", zone, NULL);
done:
    cli_secret_free(password);
    capa_store_close(s);
    return rc;
}
