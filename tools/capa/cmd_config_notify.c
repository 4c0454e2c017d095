/*
 * cmd_config_notify.c - `capa config notify add|list|remove`: where notices go (docs/notify.md).
 * A target is a WeCom or DingTalk group robot (a signed DingTalk robot with --secret) or an
 * SMTP server; adding and removing are audited events of an admin. The URL and the secret
 * are never printed: the list shows the URL masked and whether the robot signs.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static int notify_list(cli *c)
{
    capa_store *s = NULL;
    capa_notify_target *t = NULL;
    size_t n = 0;
    json_t *arr = NULL;
    char a[CLI_TEXT_MAX], b[CLI_TEXT_MAX];
    int rc = cli_store_open(&s, c, 0, 1), err;
    if (rc != CLI_OK)
        return rc;
    if ((err = capa_notify_targets(&t, &n, s)) != CAPA_OK) {
        rc = cli_fail(c, "config notify list", err);
        goto done;
    }
    if (c->json) {
        if (!(arr = json_array())) {
            rc = cli_oom(c, NULL);
            goto done;
        }
        for (size_t i = 0; i < n; i++) {
            json_t *o = json_object();
            if (!o || cli_json_set(o, "name", cli_json_str(t[i].name)) ||
                cli_json_set(o, "kind", cli_json_str(t[i].kind)) ||
                cli_json_set(o, "url", cli_json_str(t[i].shown)) ||
                cli_json_set(o, "signed", json_boolean(t[i].signed_)) ||
                cli_json_set(o, "from", cli_json_str(t[i].from)) ||
                cli_json_set(o, "link", cli_json_str(t[i].link)) || cli_json_push(arr, o)) {
                rc = cli_oom(c, NULL);
                goto done;
            }
        }
        rc = cli_json_print(c, arr);
        arr = NULL;
        goto done;
    }
    if (n == 0)
        fputs("no notice targets (capa config notify add NAME --wecom URL | --dingtalk URL "
              "[--secret S] | --smtp URL --from ADDR)\n",
              stderr);
    for (size_t i = 0; i < n; i++) {
        char w[80]; /* the words in the chosen language (words17e) */
        printf("%-16s %-9s %s", cli_text(a, sizeof a, t[i].name), t[i].kind,
               cli_text(b, sizeof b, t[i].shown));
        if (t[i].signed_)
            printf("  (%s)", cli_word(c, w, sizeof w, "加签", "signed 加签"));
        if (*t[i].from)
            printf("  %s %s", cli_word(c, w, sizeof w, "发件人", "from"),
                   cli_text(a, sizeof a, t[i].from));
        if (*t[i].link)
            printf("  %s %s", cli_word(c, w, sizeof w, "链接", "link"),
                   cli_text(a, sizeof a, t[i].link));
        putchar('\n');
    }
done:
    json_decref(arr);
    capa_notify_targets_free(t, n);
    capa_store_close(s);
    return rc;
}

int cmd_config_notify(cli *c, int argc, char **argv)
{
    const char *wecom = NULL, *ding = NULL, *smtp = NULL, *secret = NULL, *from = NULL,
               *link = NULL;
    const cli_opt opts[] = {
        CLI_OPTS_ACTOR(c),       {"--wecom", &wecom, NULL},   {"--dingtalk", &ding, NULL},
        {"--smtp", &smtp, NULL}, {"--secret", &secret, NULL}, {"--from", &from, NULL},
        {"--link", &link, NULL}, {"--json", NULL, &c->json},  {NULL, NULL, NULL}};
    int npos, rc, err;
    capa_store *s = NULL;
    char *password = NULL, what[128];

    CLI_PARSE(c, argc, argv, opts, &npos);
    if (npos == 1 && strcmp(argv[0], "list") == 0)
        return notify_list(c);
    int add = npos == 2 && strcmp(argv[0], "add") == 0;
    if (!add && !(npos == 2 && strcmp(argv[0], "remove") == 0))
        return cli_usage_rule(c, "cli.syntax", NULL, "syntax",
                              "config notify add NAME --wecom URL | --dingtalk URL [--secret S] | "
                              "--smtp URL --from ADDR [--link URL] --as ADMIN, config notify "
                              "list, or config notify remove NAME --as ADMIN",
                              NULL);
    if (add && (!!wecom + !!ding + !!smtp) != 1)
        return cli_usage_rule(c, "cli.notify_kind", NULL, "command", "config notify add", "wecom",
                              "--wecom URL", "dingtalk", "--dingtalk URL", "smtp", "--smtp URL",
                              NULL);
    if ((rc = cli_require_actor(c)) != CLI_OK)
        return rc;
    if ((rc = cli_open_as(&s, &password, c)) != CLI_OK)
        goto done;
    capa_actor who = {c->as, password};
    snprintf(what, sizeof what, "config notify %s %s", argv[0], argv[1]);
    err = add ? capa_notify_target_add(s, &who, argv[1],
                                       wecom  ? "wecom"
                                       : ding ? "dingtalk"
                                              : "smtp",
                                       wecom  ? wecom
                                       : ding ? ding
                                              : smtp,
                                       secret, from, link)
              : capa_notify_target_remove(s, &who, argv[1]);
    if (err != CAPA_OK) {
        rc = cli_fail(c, what, err);
        goto done;
    }
    cli_say_rule(c, add ? "say.target_added" : "say.target_removed", "name", argv[1], NULL);
done:
    cli_secret_free(password);
    capa_store_close(s);
    return rc;
}
