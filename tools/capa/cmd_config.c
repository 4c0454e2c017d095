/*
 * cmd_config.c - `capa config timezone NAME | recurrence-days N | attach-limit BYTES --as
 * ADMIN` (BYTES: a number, or with a K, M or G suffix for KiB, MiB, GiB): change a plant
 * setting. The engine checks the value and the role and audits the change; this only parses and prints.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int recurrence_days(cli *c, const char *arg)
{
    char *end, *password = NULL;
    capa_store *s = NULL;
    int rc, err;
    long v = strtol(arg, &end, 10);
    if (!*arg || *end || v < 1 || v > 3650)
        return cli_usage_rule(c, "cli.range", arg, "option", "recurrence-days", "unit", "days",
                              "min", "1", "max", "3650", NULL);
    if ((rc = cli_require_actor(c)) != CLI_OK)
        return rc;
    if ((rc = cli_open_as(&s, &password, c)) != CLI_OK)
        goto done;
    capa_actor who = {c->as, password};
    if ((err = capa_config_recurrence_days(s, &who, (int)v)) != CAPA_OK) {
        rc = cli_fail(c, "config recurrence-days", err);
        goto done;
    }
    char days[24];
    snprintf(days, sizeof days, "%ld", v);
    cli_say_rule(c, "say.recurrence_days", "days", days, NULL);
done:
    cli_secret_free(password);
    capa_store_close(s);
    return rc;
}

/* "20M", "512K", "1G" or plain bytes; 0 when malformed. */
static uint64_t parse_size(const char *s)
{
    char *end;
    if (!s || *s < '0' || *s > '9')
        return 0;
    unsigned long long v = strtoull(s, &end, 10);
    uint64_t mul = *end == 'K' || *end == 'k' ? 1024 : *end == 'M' || *end == 'm' ? 1024 * 1024
                   : *end == 'G' || *end == 'g'                                    ? 1024 * 1024 * 1024
                                                                                   : 1;
    if (mul > 1)
        end++;
    if (*end || v > UINT64_MAX / mul)
        return 0;
    return (uint64_t)v * mul;
}

static int config_limit(cli *c, const char *arg)
{
    capa_store *s = NULL;
    char *password = NULL;
    int rc, err;
    uint64_t v = parse_size(arg);
    if (!v)
        return cli_usage_rule(c, "cli.bytes", arg, "option", "attach-limit", NULL);
    if ((rc = cli_require_actor(c)) != CLI_OK)
        return rc;
    if ((rc = cli_open_as(&s, &password, c)) != CLI_OK)
        goto done;
    capa_actor who = {c->as, password};
    if ((err = capa_config_attach_limit(s, &who, v)) != CAPA_OK) {
        rc = cli_fail(c, "config attach-limit", err);
        goto done;
    }
    char size[24];
    snprintf(size, sizeof size, "%llu", (unsigned long long)v);
    cli_say_rule(c, "say.attach_limit", "size", size, NULL);
done:
    cli_secret_free(password);
    capa_store_close(s);
    return rc;
}

int cmd_config(cli *c, int argc, char **argv)
{
    const cli_opt opts[] = {CLI_OPTS_ACTOR(c), {NULL, NULL, NULL}};
    int npos, rc, err;
    capa_store *s = NULL;
    char *password = NULL;
    capa_tz *tz = NULL;

    /* `config notify ...` has options of its own (cmd_config_notify.c). */
    if (argc > 0 && strcmp(argv[0], "notify") == 0)
        return cmd_config_notify(c, argc - 1, argv + 1);
    CLI_PARSE(c, argc, argv, opts, &npos);
    if (npos == 2 && strcmp(argv[0], "recurrence-days") == 0)
        return recurrence_days(c, argv[1]);
    if (npos == 2 && strcmp(argv[0], "attach-limit") == 0)
        return config_limit(c, argv[1]);
    if (npos != 2 || strcmp(argv[0], "timezone") != 0)
        return cli_usage_rule(c, "cli.syntax", NULL, "syntax",
                              "config timezone NAME (an IANA zone, e.g. Asia/Shanghai), config "
                              "recurrence-days N (1 to 3650) or config attach-limit BYTES (e.g. "
                              "20M)",
                              NULL);
    if ((rc = cli_require_actor(c)) != CLI_OK)
        return rc;
    /* A bad name is refused before the password is asked: nothing is read or written. */
    if ((err = capa_tz_load(&tz, argv[1])) != CAPA_OK)
        return cli_fail(c, "config timezone", err);
    capa_tz_free(tz);
    if ((rc = cli_open_as(&s, &password, c)) != CLI_OK)
        goto done;
    capa_actor who = {c->as, password};
    if ((err = capa_config_timezone(s, &who, argv[1])) != CAPA_OK) {
        rc = cli_fail(c, "config timezone", err);
        goto done;
    }
    cli_say_rule(c, "say.timezone", "zone", argv[1], NULL);
done:
    cli_secret_free(password);
    capa_store_close(s);
    return rc;
}
