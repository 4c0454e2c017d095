/*
 * cmd_user.c - `capa user add|passwd|unlock|role|disable|enable|list`: accounts. Adding,
 * unlocking, changing a role and disabling need an admin, a password change the user
 * themself or an admin; core/ decides, audits failures and locks an account after repeated
 * wrong passwords.
 */
#include "cli.h"

#include <stdio.h>

/* A role as the 中文 confirmation names it: its label, the id quoted after it. */
static const char *role_zh(char *buf, size_t sz, capa_store *s, const char *id)
{
    const capa_role *r = capa_store_role(s, id);
    if (r && r->label_zh && *r->label_zh)
        snprintf(buf, sz, "%s（“%s”）", r->label_zh, id);
    else
        snprintf(buf, sz, "“%s”", id);
    return buf;
}

int cmd_user_add(cli *c, int argc, char **argv)
{
    const char *role = NULL, *name = NULL, *dept = NULL;
    const cli_opt opts[] = {
        CLI_OPTS_ACTOR(c),       {"--role", &role, NULL}, {"--name", &name, NULL},
        {"--dept", &dept, NULL}, {NULL, NULL, NULL},
    };
    int npos, rc, err;
    capa_store *s = NULL;
    char *password = NULL, *newpw = NULL, what[128];
    char srole[CLI_TEXT_MAX];

    CLI_PARSE(c, argc, argv, opts, &npos);
    if ((rc = cli_require_actor(c)) != CLI_OK)
        return rc;
    if (npos != 1)
        return cli_usage_rule(c, "cli.user_one", NULL, NULL);
    if (!role || !*role)
        return cli_usage_rule(c, "cli.required", NULL, "option", "--role ROLE", NULL);
    const char *id = argv[0];
    if ((rc = cli_read_actor_password(&password, c)) != CLI_OK)
        goto done;
    if ((rc = cli_read_new_password(&newpw, c, id)) != CLI_OK)
        goto done;
    if ((rc = cli_store_open(&s, c, 0, 0)) != CLI_OK)
        goto done;
    capa_actor who = {c->as, password};
    err = capa_user_add(s, &who, id, role, name, dept, newpw);
    if (err != CAPA_OK) {
        snprintf(what, sizeof what, "user add %s", id);
        rc = cli_fail(c, what, err);
        goto done;
    }
    char rzh[CLI_TEXT_MAX];
    cli_say_rule(c, "say.user_added", "user", id, "name", name ? name : id, "role",
                 cli_role_label(c, srole, sizeof srole, s, NULL, role), "role_zh",
                 role_zh(rzh, sizeof rzh, s, role), NULL);
done:
    cli_secret_free(password);
    cli_secret_free(newpw);
    capa_store_close(s);
    return rc;
}

int cmd_user_passwd(cli *c, int argc, char **argv)
{
    const cli_opt opts[] = {CLI_OPTS_ACTOR(c), {NULL, NULL, NULL}};
    int npos, rc, err;
    capa_store *s = NULL;
    char *password = NULL, *newpw = NULL, what[128];

    CLI_PARSE(c, argc, argv, opts, &npos);
    if (npos > 1)
        return cli_usage_rule(c, "cli.user_at_most_one", NULL, NULL);
    const char *id = npos == 1 ? argv[0] : c->as;
    if (!c->as)
        c->as = id;
    if ((rc = cli_require_actor(c)) != CLI_OK)
        return rc;
    if ((rc = cli_read_actor_password(&password, c)) != CLI_OK)
        goto done;
    if ((rc = cli_read_new_password(&newpw, c, id)) != CLI_OK)
        goto done;
    if ((rc = cli_store_open(&s, c, 0, 0)) != CLI_OK)
        goto done;
    capa_actor who = {c->as, password};
    err = capa_user_passwd(s, &who, id, newpw);
    if (err != CAPA_OK) {
        snprintf(what, sizeof what, "user passwd %s", id);
        rc = cli_fail(c, what, err);
        goto done;
    }
    cli_say_rule(c, "say.password_changed", "user", id, NULL);
done:
    cli_secret_free(password);
    cli_secret_free(newpw);
    capa_store_close(s);
    return rc;
}

int cmd_user_unlock(cli *c, int argc, char **argv)
{
    int local = 0;
    const cli_opt opts[] = {CLI_OPTS_ACTOR(c), {"--local", NULL, &local}, {NULL, NULL, NULL}};
    int npos, rc, err;
    capa_store *s = NULL;
    char *password = NULL, what[128];

    CLI_PARSE(c, argc, argv, opts, &npos);
    if (npos != 1)
        return cli_usage_rule(c, "cli.user_one", NULL, NULL);
    const char *id = argv[0];
    if (local) {
        /* Recovery that needs the machine, not a password: the OS owner of the database. */
        if (c->as)
            return cli_usage_rule(c, "cli.takes_no", NULL, "option", "--local", "other", "--as",
                                  NULL);
        if ((rc = cli_store_open(&s, c, 0, 0)) != CLI_OK)
            return rc;
        if ((err = capa_user_unlock_local(s, id)) != CAPA_OK) {
            snprintf(what, sizeof what, "user unlock %s --local", id);
            rc = cli_fail(c, what, err);
        } else {
            cli_say_rule(c, "say.unlocked_local", "user", id, NULL);
        }
        capa_store_close(s);
        return rc;
    }
    if ((rc = cli_require_actor(c)) != CLI_OK)
        return rc;
    if ((rc = cli_open_as(&s, &password, c)) != CLI_OK)
        goto done;
    capa_actor who = {c->as, password};
    err = capa_user_unlock(s, &who, id);
    if (err != CAPA_OK) {
        snprintf(what, sizeof what, "user unlock %s", id);
        rc = cli_fail(c, what, err);
        goto done;
    }
    cli_say_rule(c, "say.unlocked", "user", id, NULL);
done:
    cli_secret_free(password);
    capa_store_close(s);
    return rc;
}

/* `user role`, `user disable`, `user enable`: one account, the admin's password. */
static int user_change(cli *c, int argc, char **argv, int disable)
{
    const char *role = NULL;
    const cli_opt role_opts[] = {CLI_OPTS_ACTOR(c), {"--role", &role, NULL}, {NULL, NULL, NULL}};
    const cli_opt opts[] = {CLI_OPTS_ACTOR(c), {NULL, NULL, NULL}};
    int npos, rc, err;
    capa_store *s = NULL;
    char *password = NULL, what[128], srole[CLI_TEXT_MAX];

    if (disable < 0)
        CLI_PARSE(c, argc, argv, role_opts, &npos);
    else
        CLI_PARSE(c, argc, argv, opts, &npos);
    if ((rc = cli_require_actor(c)) != CLI_OK)
        return rc;
    if (npos != 1)
        return cli_usage_rule(c, "cli.user_one", NULL, NULL);
    if (disable < 0 && (!role || !*role))
        return cli_usage_rule(c, "cli.required", NULL, "option", "--role ROLE", NULL);
    const char *id = argv[0];
    if ((rc = cli_open_as(&s, &password, c)) != CLI_OK)
        goto done;
    capa_actor who = {c->as, password};
    err = disable < 0 ? capa_user_set_role(s, &who, id, role)
                      : capa_user_disable(s, &who, id, disable);
    if (err != CAPA_OK) {
        snprintf(what, sizeof what, "%s %s", c->cmd, id);
        rc = cli_fail(c, what, err);
        goto done;
    }
    char rzh[CLI_TEXT_MAX];
    if (disable < 0)
        cli_say_rule(c, "say.role", "user", id, "role",
                     cli_role_label(c, srole, sizeof srole, s, NULL, role), "role_zh",
                     role_zh(rzh, sizeof rzh, s, role), NULL);
    else
        cli_say_rule(c, disable ? "say.disabled" : "say.enabled", "user", id, NULL);
done:
    cli_secret_free(password);
    capa_store_close(s);
    return rc;
}

int cmd_user_role(cli *c, int argc, char **argv)
{
    return user_change(c, argc, argv, -1);
}

int cmd_user_disable(cli *c, int argc, char **argv)
{
    return user_change(c, argc, argv, 1);
}

int cmd_user_enable(cli *c, int argc, char **argv)
{
    return user_change(c, argc, argv, 0);
}

static json_t *user_json(const capa_user *u)
{
    json_t *o = json_object();
    if (!o || cli_json_set(o, "id", cli_json_str(u->id)) ||
        cli_json_set(o, "name", cli_json_str(u->name)) ||
        cli_json_set(o, "dept", cli_json_str(u->dept)) ||
        cli_json_set(o, "role", cli_json_str(u->role)) ||
        cli_json_set(o, "locked", json_boolean(u->locked)) ||
        cli_json_set(o, "disabled", json_boolean(u->disabled)) ||
        cli_json_set(o, "failed", json_integer(u->failed)) ||
        cli_json_set(o, "created", cli_json_time(u->created))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int push_user(const capa_user *u, void *payload)
{
    return cli_json_push(payload, user_json(u)) == 0 ? 0 : CAPA_ENOMEM;
}

typedef struct user_rows {
    const cli *c;
    capa_store *s;
    cli_table t;
} user_rows;

/* One user per row, the role by its label in the chosen language: names and departments are
 * free text, printed escaped (cli_text). */
static int print_user(const capa_user *u, void *payload)
{
    user_rows *ur = payload;
    char id[CLI_TEXT_MAX], role[CLI_TEXT_MAX], name[CLI_TEXT_MAX], dept[CLI_TEXT_MAX];
    char rest[3 * CLI_TEXT_MAX];
    const char *state = u->disabled ? "disabled" : u->locked ? "locked" : "active";
    int n = snprintf(rest, sizeof rest, "%s", cli_text(name, sizeof name, u->name));
    if (u->dept && *u->dept && n >= 0 && (size_t)n < sizeof rest)
        n += snprintf(rest + n, sizeof rest - (size_t)n, "  (%s)",
                      cli_text(dept, sizeof dept, u->dept));
    if (u->failed > 0 && !u->locked && n >= 0 && (size_t)n < sizeof rest)
        snprintf(rest + n, sizeof rest - (size_t)n, "  [%d failed login%s]", u->failed,
                 u->failed == 1 ? "" : "s");
    const char *row[] = {cli_text(id, sizeof id, u->id),
                         cli_role_label(ur->c, role, sizeof role, ur->s, NULL, u->role), state,
                         rest};
    return cli_table_add(&ur->t, row) ? CAPA_ENOMEM : 0;
}

int cmd_user_list(cli *c, int argc, char **argv)
{
    const cli_opt opts[] = {{"--json", NULL, &c->json}, {NULL, NULL, NULL}};
    int npos, rc = CLI_OK, err;
    capa_store *s = NULL;
    json_t *arr = NULL;

    CLI_PARSE(c, argc, argv, opts, &npos);
    if (npos > 0)
        return cli_unexpected(c, argv[0]);
    if ((rc = cli_store_open(&s, c, 0, 1)) != CLI_OK)
        goto done;
    if (c->json) {
        if (!(arr = json_array())) {
            rc = cli_oom(c, NULL);
            goto done;
        }
        err = capa_user_foreach(s, push_user, arr);
    } else {
        user_rows ur = {c, s, {.ncols = 4}};
        const char *head[] = {"ID", "ROLE", "STATE", "NAME (DEPT)"};
        err = cli_table_add(&ur.t, head) ? CAPA_ENOMEM : capa_user_foreach(s, print_user, &ur);
        if (err == CAPA_OK)
            cli_table_print(stdout, &ur.t, NULL);
        cli_table_free(&ur.t);
    }
    if (err != CAPA_OK) {
        rc = cli_fail(c, "user list", err);
        goto done;
    }
    if (arr) {
        rc = cli_json_print(c, arr);
        arr = NULL;
    }
done:
    json_decref(arr);
    capa_store_close(s);
    return rc;
}

/* `capa user set ID [--mobile N] [--email ADDR] [--notify KINDS]`: contact details and the
 * notices the user gets (docs/notify.md); the user themself or an admin. */
int cmd_user_set(cli *c, int argc, char **argv)
{
    const char *mobile = NULL, *email = NULL, *notify = NULL;
    const cli_opt opts[] = {CLI_OPTS_ACTOR(c),
                            {"--mobile", &mobile, NULL},
                            {"--email", &email, NULL},
                            {"--notify", &notify, NULL},
                            {NULL, NULL, NULL}};
    int npos, rc, err;
    capa_store *s = NULL;
    capa_contact *ct = NULL;
    char *password = NULL, what[128];

    CLI_PARSE(c, argc, argv, opts, &npos);
    if (npos != 1)
        return cli_usage_rule(c, "cli.user_one", NULL, NULL);
    if (!mobile && !email && !notify)
        return cli_usage_rule(c, "cli.contact", NULL, "mobile", "--mobile N", "email",
                              "--email ADDR", "notify", "--notify KINDS", NULL);
    if (!c->as)
        c->as = argv[0];
    if ((rc = cli_require_actor(c)) != CLI_OK)
        return rc;
    if ((rc = cli_open_as(&s, &password, c)) != CLI_OK)
        goto done;
    capa_actor who = {c->as, password};
    snprintf(what, sizeof what, "user set %s", argv[0]);
    if ((err = capa_user_set_contact(s, &who, argv[0], mobile, email, notify)) != CAPA_OK ||
        (err = capa_user_contact(&ct, s, argv[0])) != CAPA_OK) {
        rc = cli_fail(c, what, err);
        goto done;
    }
    cli_say_rule(c, "say.contact", "user", argv[0], "mobile", *ct->mobile ? ct->mobile : "-",
                 "email", *ct->email ? ct->email : "-", "notify", ct->notify, NULL);
done:
    capa_contact_free(ct);
    cli_secret_free(password);
    capa_store_close(s);
    return rc;
}
