/*
 * help.c - what to type: `capa help open|set|sign [CASE]` lists the fields of the stage
 * concerned (the intake form; the case's current stage), and for sign the meaning to give,
 * in both languages, and who may sign now. Also the two helpers `open` and `set` use before
 * and after calling the engine: choices given by label become codes, and an unknown field
 * name gets a "did you mean". Nothing here decides: the engine still judges every value and
 * every signature; this only reads the definitions it judges by.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cli_normalize_values(const capa_formdef *fd, capa_kv *kv, size_t n)
{
    for (size_t i = 0; fd && i < n; i++)
        kv[i].value = capa_form_normalize(fd, kv[i].name, kv[i].value);
}

/* Most hints added to one message: enough for typos, bounded for 1000 bad names. */
#define MAX_HINTS 10

int cli_fail_values(const cli *c, const char *what, int rc, const capa_formdef *fd,
                    const capa_kv *kv, size_t n)
{
    char hint[300];
    char *msg = NULL;
    size_t hints = 0;
    if (rc != CAPA_EINVALID || !fd)
        return cli_fail(c, what, rc);
    msg = capa__strdup(capa_error_last());
    for (size_t i = 0; msg && i < n && hints < MAX_HINTS; i++) {
        if (capa_formdef_lookup(fd, kv[i].name, NULL, NULL) ||
            !capa_form_suggest(hint, sizeof hint, fd, kv[i].name))
            continue;
        /* The name is as typed; cli_fail escapes the whole message when it prints it. */
        char *more = capa__sprintf("%s; field `%s`: did you mean `%s`?", msg, kv[i].name, hint);
        if (!more)
            break;
        capa__free(msg);
        msg = more;
        hints++;
    }
    if (msg && hints > 0)
        capa_error_set(rc, "%s", msg);
    capa__free(msg);
    return cli_fail(c, what, rc);
}

/* ---- help open|set|sign ---- */

static void print_roles(const cli *c, const capa_workflow *wf, char *const *roles, size_t n)
{
    char buf[CLI_TEXT_MAX];
    for (size_t i = 0; i < n; i++)
        printf("%s%s", i ? ", " : " ", cli_role_label(c, buf, sizeof buf, NULL, wf, roles[i]));
    putchar('\n');
}

static const char *stage_label(const cli *c, char *buf, size_t sz, const capa_stage *st)
{
    char l[CLI_TEXT_MAX], a[CLI_TEXT_MAX];
    snprintf(buf, sz, "%s (%s)", cli_label(c, l, sizeof l, st->label_zh, st->label_en),
             cli_text(a, sizeof a, st->id));
    return buf;
}

typedef struct signers {
    const cli *c;
    const capa_stage *st;
    const capa_stage_record *r;
    const char *subject;
    size_t can;
} signers;

static int list_signer(const capa_user *u, void *payload)
{
    signers *g = payload;
    char id[CLI_TEXT_MAX], name[CLI_TEXT_MAX], why[256];
    const char *no = NULL;
    if (!capa_role_in(g->st->signers, g->st->n_signers, u->role))
        return 0;
    if (u->locked)
        no = cli_label(g->c, why, sizeof why, "账号已锁定", "account locked");
    else if (g->subject && strcmp(g->subject, u->id) == 0)
        no = cli_label(g->c, why, sizeof why, "被投诉人，回避", "complained about: recused");
    else if (g->st->sign_independent && g->r && capa_role_in(g->r->editors, g->r->n_editors, u->id))
        no = cli_label(g->c, why, sizeof why, "编辑过本阶段，须独立签核",
                       "edited this stage; the sign-off must be independent");
    printf("      %s %s%s%s%s\n", cli_text(id, sizeof id, u->id),
           cli_text(name, sizeof name, u->name), no ? "  (" : "", no ? no : "", no ? ")" : "");
    g->can += !no;
    return 0;
}

/* The current stage's sign-off: meaning, who may sign now, what is still missing. */
static void print_signoff(const cli *c, capa_store *s, const capa_workflow *wf,
                          const capa_stage *st, const capa_case *cs, const capa_formdef *fd)
{
    char l[CLI_TEXT_MAX], a[CLI_TEXT_MAX], b[CLI_TEXT_MAX];
    const capa_stage_record *r = NULL;
    for (size_t i = 0; i < cs->n_stages; i++)
        if (strcmp(cs->stages[i].stage, st->id) == 0)
            r = &cs->stages[i];
    printf("  %s: --meaning %s  %s\n", cli_label(c, l, sizeof l, "签核", "sign-off"),
           cli_text(a, sizeof a, st->sign_meaning),
           cli_label(c, b, sizeof b, st->sign_meaning_zh, st->sign_meaning_en));
    printf("  %s:", cli_label(c, l, sizeof l, "可签核角色", "roles that may sign"));
    print_roles(c, wf, st->signers, st->n_signers);
    if (st->sign_independent)
        printf("  %s\n", cli_label(c, l, sizeof l, "独立签核：签核人不得编辑过本阶段",
                                   "independent: the signer must not have edited this stage"));
    printf("  %s:\n", cli_label(c, l, sizeof l, "用户", "users"));
    signers g = {c, st, r, capa_case_value(cs, "intake", "subject_person"), 0};
    capa_user_foreach(s, list_signer, &g);
    if (g.can == 0)
        printf("      %s\n",
               cli_label(c, l, sizeof l, "现在无人可签核：须由管理员新增具备该角色的用户",
                         "nobody can sign now: an admin must add a user with one of "
                         "these roles"));
    if (st->reject_to) {
        const capa_stage *to = capa_workflow_stage(wf, st->reject_to);
        printf("  %s: capa reject %s --reason TEXT -> %s\n",
               cli_label(c, l, sizeof l, "驳回", "rejection"), cli_text(a, sizeof a, cs->number),
               to ? stage_label(c, b, sizeof b, to) : cli_text(b, sizeof b, st->reject_to));
    }
    /* Required fields still empty: the sign-off would be refused for them. */
    int any = 0;
    for (size_t i = 0; fd && i < fd->n_fields; i++) {
        const capa_field *f = &fd->fields[i];
        int filled = 0;
        if (f->required == CAPA_REQ_NO)
            continue;
        for (size_t k = 0; r && k < r->n_values && !filled; k++) {
            const char *nm = r->values[k].name;
            size_t n = strlen(f->id);
            filled = r->values[k].value[0] &&
                     (strcmp(nm, f->id) == 0 ||
                      (f->type == CAPA_FT_GROUP && strncmp(nm, f->id, n) == 0 && nm[n] == '.'));
        }
        if (filled)
            continue;
        if (!any++)
            printf("  %s:", cli_label(c, l, sizeof l, "签核前必填但仍为空",
                                      "required before sign-off, still empty"));
        printf(" %s", cli_text(a, sizeof a, f->id));
    }
    if (any)
        putchar('\n');
}

/* Without a case: every stage's sign-off, so `--meaning` can be looked up. */
static void print_meanings(const cli *c, const capa_workflow *wf)
{
    char st[CLI_TEXT_MAX], ml[CLI_TEXT_MAX], m[CLI_TEXT_MAX], roles[CLI_TEXT_MAX];
    cli_table t = {.ncols = 4};
    if (c->lang != CLI_LANG_EN) {
        const char *zh[] = {"阶段", "--meaning", "含义", "签核角色"};
        cli_table_add(&t, zh);
    }
    if (c->lang != CLI_LANG_ZH) {
        const char *en[] = {"STAGE", "--meaning", "MEANING", "SIGNED BY"};
        cli_table_add(&t, en);
    }
    for (size_t i = 0; i < wf->n_stages; i++) {
        const capa_stage *s = &wf->stages[i];
        size_t o = 0;
        roles[0] = '\0';
        for (size_t k = 0; k < s->n_signers; k++) {
            char one[CLI_TEXT_MAX];
            o += (size_t)snprintf(roles + o, o < sizeof roles ? sizeof roles - o : 0, "%s%s",
                                  k ? ", " : "", cli_role_label(c, one, sizeof one, NULL, wf, s->signers[k]));
        }
        const char *row[] = {
            stage_label(c, st, sizeof st, s), cli_text(m, sizeof m, s->sign_meaning),
            cli_label(c, ml, sizeof ml, s->sign_meaning_zh, s->sign_meaning_en), roles};
        cli_table_add(&t, row);
    }
    cli_table_print(stdout, &t, "  ");
    cli_table_free(&t);
}

/* `help open [--workflow W]` works without a database too: the built-in forms of the
 * default workflow, said so. */
static int help_open(cli *c, capa_store *s, const char *workflow)
{
    const capa_workflow *wf = NULL;
    const capa_formdef *fd = NULL;
    capa_definitions *defs = NULL;
    capa_diag d = {0};
    char l[CLI_TEXT_MAX], a[CLI_TEXT_MAX];
    int rc = CLI_OK, err;
    if (workflow && !s)
        return cli_error_rule(c, c->db, "cli.help_store", "of", "workflows", "prog", c->prog, NULL);
    if (workflow && (err = capa_store_workflow_get(&wf, s, workflow)) != CAPA_OK) {
        char what[CLI_TEXT_MAX + 32];
        snprintf(what, sizeof what, "help open --workflow %s", cli_text(a, sizeof a, workflow));
        return cli_fail(c, what, err);
    }
    if (s && (wf || capa_store_workflow(&wf, s) == CAPA_OK) && wf->n_stages > 0)
        capa_store_form(&fd, s, wf->stages[0].form_id, 0);
    if (!fd) {
        if (capa_definitions_load(&defs, NULL, &d) != CAPA_OK || defs->n_forms == 0) {
            rc = cli_error_rule(c, NULL, "cli.no_forms", NULL);
            goto done;
        }
        wf = defs->workflow;
        fd = defs->forms[0];
        printf("\n%s\n", cli_label(c, l, sizeof l, "（没有数据库：以下为内置表单）",
                                   "(no database: the built-in forms)"));
    }
    printf("\n%s:\n",
           cli_label(c, l, sizeof l, "开立案件时填写的栏位", "Fields to give when opening a case"));
    rc = cli_form_print(c, fd);
    if (rc == CLI_OK)
        cli_form_print_hint(c, fd);
done:
    capa_definitions_free(defs);
    capa_diag_clear(&d);
    return rc;
}

int cli_help_fields(cli *c, const char *verb, int argc, char **argv)
{
    const char *workflow = NULL;
    const cli_opt opts[] = {{"--lang", &c->lang_arg, NULL},
                            {"--workflow", &workflow, NULL},
                            {NULL, NULL, NULL}};
    capa_open_opts oo = {.read_only = 1};
    capa_store *s = NULL;
    capa_case *cs = NULL;
    const capa_workflow *wf = NULL;
    const capa_formdef *fd = NULL;
    char l[CLI_TEXT_MAX], a[CLI_TEXT_MAX], what[CLI_TEXT_MAX + 16];
    int npos, rc = CLI_OK, err;

    CLI_PARSE(c, argc, argv, opts, &npos);
    if (npos > 1)
        return cli_usage_rule(c, "cli.case_at_most_one", NULL, NULL);
    /* Help reads and never creates: a missing database is not an error for `help open`. */
    if (capa_store_open(&s, c->db, &oo) != CAPA_OK)
        s = NULL;
    if (strcmp(verb, "open") == 0) {
        rc = help_open(c, s, workflow);
        goto done;
    }
    if (workflow) {
        rc = cli_usage_rule(c, "cli.help_workflow", NULL, "option", "--workflow", "command",
                            "help open", NULL);
        goto done;
    }
    if (!s && npos == 0) {
        printf("\n%s\n",
               cli_label(c, l, sizeof l, "指定案号可列出其当前阶段的栏位：capa help set CASE",
                         "Give a case number for the fields of its current stage: "
                         "capa help set CASE"));
        goto done;
    }
    if (!s) {
        rc = cli_error_rule(c, c->db, "cli.help_store", "of", "fields", "prog", c->prog, NULL);
        goto done;
    }
    if ((err = capa_store_workflow(&wf, s)) != CAPA_OK) {
        rc = cli_fail(c, "help", err);
        goto done;
    }
    if (npos == 0) {
        if (strcmp(verb, "sign") == 0) {
            printf("\n%s:\n",
                   cli_label(c, l, sizeof l, "各阶段的签核", "The sign-off of each stage"));
            print_meanings(c, wf);
        }
        printf("\n%s\n",
               cli_label(c, l, sizeof l, "指定案号可列出其当前阶段的栏位：capa help set CASE",
                         "Give a case number for the fields of its current stage: "
                         "capa help set CASE"));
        goto done;
    }
    if ((err = capa_case_get(&cs, s, argv[0])) != CAPA_OK) {
        snprintf(what, sizeof what, "help %s %s", verb, argv[0]);
        rc = cli_fail(c, what, err);
        goto done;
    }
    if (capa_case_workflow(&wf, s, cs) != CAPA_OK) /* the case's own */
        capa_store_workflow(&wf, s);
    const capa_stage *st = capa_workflow_stage(wf, cs->stage);
    printf("\n%s", cli_text(a, sizeof a, cs->number));
    if (cs->closed) {
        printf(": %s\n", cli_label(c, l, sizeof l, "已结案，只读", "closed, read-only"));
        goto done;
    }
    printf("  %s: %s\n", cli_label(c, l, sizeof l, "当前阶段", "current stage"),
           st ? stage_label(c, what, sizeof what, st) : cli_text(a, sizeof a, cs->stage));
    if (st && strcmp(verb, "set") == 0) {
        printf("  %s:", cli_label(c, l, sizeof l, "可编辑角色", "roles that may edit"));
        print_roles(c, wf, st->editors, st->n_editors);
    }
    if ((err = capa_case_stage_form(&fd, s, cs)) != CAPA_OK) {
        rc = cli_fail(c, "help", err);
        goto done;
    }
    if (st && strcmp(verb, "sign") == 0)
        print_signoff(c, s, wf, st, cs, fd);
    printf("\n%s:\n", cli_label(c, l, sizeof l, "本阶段的栏位", "Fields of this stage"));
    if ((rc = cli_form_print(c, fd)) == CLI_OK && strcmp(verb, "set") == 0)
        cli_form_print_hint(c, fd);
done:
    capa_case_free(cs);
    capa_store_close(s);
    return rc;
}
