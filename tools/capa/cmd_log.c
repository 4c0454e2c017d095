/*
 * cmd_log.c - `capa log [CASE]`: the audit trail, every event with its time, actor, action,
 * stage, reason and each field's old -> new value, and the chain hash after it.
 *
 * In text, an event is one "#seq" line and its indented detail lines. Every stored string is
 * printed escaped on one line (a multi-line value shows its line breaks as \n), so nothing
 * stored can start a line of its own and pass for another event.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *change_json(const capa_change *ch)
{
    json_t *o = json_object();
    if (!o || cli_json_set(o, "field", cli_json_str(ch->field)) ||
        cli_json_set(o, "old", cli_json_str(ch->old_value)) ||
        cli_json_set(o, "new", cli_json_str(ch->new_value))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *event_json(const capa_event *e)
{
    json_t *o = json_object(), *changes = NULL;
    if (!o || cli_json_set(o, "seq", json_integer((json_int_t)e->seq)) ||
        cli_json_set(o, "time", cli_json_time(e->time)) ||
        cli_json_set(o, "actor", cli_json_str(e->actor)) ||
        cli_json_set(o, "action", cli_json_str(e->action)) ||
        cli_json_set(o, "case", cli_json_str(e->case_number)) ||
        cli_json_set(o, "stage", cli_json_str(e->stage)) ||
        cli_json_set(o, "reason", cli_json_str(e->reason)) ||
        cli_json_set(o, "changes", changes = json_array()) ||
        cli_json_set(o, "hash", cli_json_str(e->hash)))
        goto fail;
    for (size_t i = 0; i < e->n_changes; i++) {
        if (cli_json_push(changes, change_json(&e->changes[i])))
            goto fail;
    }
    /* What replay rebuilds the state from (format-2 events; none for format 1). */
    if (e->n_facts) {
        json_t *facts = json_object();
        if (cli_json_set(o, "facts", facts))
            goto fail;
        for (size_t i = 0; i < e->n_facts; i++)
            if (cli_json_set(facts, e->facts[i].name, cli_json_str(e->facts[i].value)))
                goto fail;
    }
    return o;
fail:
    json_decref(o);
    return NULL;
}

static int push_event(const capa_event *e, void *payload)
{
    return cli_json_push(payload, event_json(e)) == 0 ? 0 : CAPA_ENOMEM;
}

/* A value in the log: absent values print as "∅" so an empty string stays visible as ''. */
static void print_change_value(const char *v)
{
    if (!v) {
        fputs("∅", stdout);
        return;
    }
    putchar('\'');
    cli_put(stdout, v);
    putchar('\'');
}

/* A case's log: its forms name its fields and choices, its workflow its stages, in the
 * language of the command's messages (cli_word: the ids as before in English). */
typedef struct log_ctx {
    const cli *c;
    const capa_case *cs; /* NULL: the whole store's log, fields by id */
    const capa_workflow *wf;
    const capa_formdef **forms; /* of cs->stages[i], read before the trail is walked */
} log_ctx;

/* The field a change names (a plain field, or a column of a repeating group) and its 中文
 * label into zh ("5 个为什么 1 为什么"), or NULL when the stage's form does not know it. */
static const capa_field *change_field(const log_ctx *x, const char *stage, const char *name,
                                      char *zh, size_t sz)
{
    const capa_formdef *fd = NULL;
    char g[128], col[128];
    unsigned row = 0;
    for (size_t i = 0; x->forms && stage && i < x->cs->n_stages; i++)
        if (strcmp(x->cs->stages[i].stage, stage) == 0)
            fd = x->forms[i];
    if (!fd || !name)
        return NULL;
    int kind = capa_field_name_split(name, g, sizeof g, &row, col, sizeof col);
    const capa_field *f = kind == 0 ? capa_formdef_field(fd, name) : NULL;
    if (kind == 1) {
        const capa_field *grp = capa_formdef_field(fd, g);
        for (size_t i = 0; grp && i < grp->n_columns; i++) {
            if (strcmp(grp->columns[i].id, col) == 0) {
                f = &grp->columns[i];
                snprintf(zh, sz, "%s %u %s", grp->label_zh ? grp->label_zh : g, row,
                         f->label_zh ? f->label_zh : col);
                return f;
            }
        }
        return NULL;
    }
    if (f)
        snprintf(zh, sz, "%s", f->label_zh ? f->label_zh : name);
    return f;
}

/* A changed value, with its choice's label when the field has one. */
static void print_choice_value(const log_ctx *x, const capa_field *f, const char *v)
{
    const capa_choice *ch = f && v ? capa_field_choice(f, v) : NULL;
    char buf[CLI_TEXT_MAX];
    if (!ch || !ch->label_zh || !*ch->label_zh) {
        print_change_value(v);
        return;
    }
    putchar('\'');
    cli_put(stdout, cli_word(x->c, buf, sizeof buf, ch->label_zh, v));
    putchar('\'');
}

static int print_event(const capa_event *e, void *payload)
{
    char t[40], actor[CLI_TEXT_MAX], action[CLI_TEXT_MAX], buf[CLI_TEXT_MAX];
    const log_ctx *x = payload;
    const cli *c = x->c;
    printf("#%-5llu %s  %-10s ", (unsigned long long)e->seq, cli_time(t, sizeof t, e->time),
           cli_text(actor, sizeof actor, e->actor ? e->actor : "-"));
    /* the action in the chosen language, padded by display width (words17e) */
    const char *act = e->action ? e->action : "-";
    cli_put_padded(stdout, cli_word(c, action, sizeof action, cli_action_zh(act), act), 13);
    if (e->case_number)
        printf(" %s", cli_text(buf, sizeof buf, e->case_number));
    if (e->stage) {
        const capa_stage *st = x->wf ? capa_workflow_stage(x->wf, e->stage) : NULL;
        char id[CLI_TEXT_MAX];
        cli_text(id, sizeof id, e->stage);
        printf(" [%s]", st && st->label_zh && *st->label_zh
                            ? cli_word(c, buf, sizeof buf, st->label_zh, id)
                            : id);
    }
    putchar('\n');
    if (e->action && strcmp(e->action, "import") == 0) {
        /* Where an imported case came from: file, its SHA-256, row, and the run of the
         * file's import that wrote it (--resume starts the next one). */
        const char *src = NULL, *sha = NULL, *row = NULL, *runno = NULL, *through = NULL;
        for (size_t i = 0; i < e->n_facts; i++) {
            if (strcmp(e->facts[i].name, "source") == 0)
                src = e->facts[i].value;
            else if (strcmp(e->facts[i].name, "sha256") == 0)
                sha = e->facts[i].value;
            else if (strcmp(e->facts[i].name, "row") == 0)
                row = e->facts[i].value;
            else if (strcmp(e->facts[i].name, "run") == 0)
                runno = e->facts[i].value;
            else if (strcmp(e->facts[i].name, "through") == 0)
                through = e->facts[i].value;
        }
        const char *parts = runno && through ? "both"
                            : runno          ? "run"
                            : through        ? "through"
                                             : "none";
        cli_say_rule(c, "say.log_import", "source", src ? src : "?", "row", row ? row : "?", "sha",
                     sha ? sha : "?", "run", runno ? runno : "", "through", through ? through : "",
                     "parts", parts, NULL);
    }
    if (e->reason && *e->reason)
        cli_say_rule(c, "say.log_reason", "value", e->reason, NULL);
    for (size_t i = 0; i < e->n_changes; i++) {
        char zh[CLI_TEXT_MAX], name[CLI_TEXT_MAX];
        const char *field = e->changes[i].field ? e->changes[i].field : "?";
        const capa_field *f = change_field(x, e->stage, field, zh, sizeof zh);
        cli_text(name, sizeof name, field);
        if (f) { /* the label, escaped as the id is */
            char lz[CLI_TEXT_MAX];
            cli_text(lz, sizeof lz, zh);
            printf("        %s: ", cli_word(c, buf, sizeof buf, lz, name));
        } else {
            const char *ez = cli_event_field_zh(field);
            printf("        %s: ", ez ? cli_word(c, buf, sizeof buf, ez, name) : name);
        }
        if (!f && strcmp(field, "stage") == 0) { /* a sign-off's move: the stages' labels */
            for (int k = 0; k < 2; k++) {
                const char *v = k ? e->changes[i].new_value : e->changes[i].old_value;
                const capa_stage *st = x->wf && v ? capa_workflow_stage(x->wf, v) : NULL;
                char id[CLI_TEXT_MAX];
                if (st && st->label_zh && *st->label_zh) {
                    cli_text(id, sizeof id, v);
                    printf("'%s'", cli_word(c, buf, sizeof buf, st->label_zh, id));
                } else {
                    print_change_value(v);
                }
                fputs(k ? "\n" : " → ", stdout);
            }
            continue;
        }
        print_choice_value(x, f, e->changes[i].old_value);
        fputs(" → ", stdout);
        print_choice_value(x, f, e->changes[i].new_value);
        putchar('\n');
    }
    return 0;
}

int cmd_log(cli *c, int argc, char **argv)
{
    const cli_opt opts[] = {{"--json", NULL, &c->json}, {NULL, NULL, NULL}};
    int npos, rc, err;
    capa_store *s = NULL;
    capa_case *cs = NULL;
    log_ctx x = {0};
    json_t *arr = NULL;
    char what[160];

    CLI_PARSE(c, argc, argv, opts, &npos);
    if (npos > 1)
        return cli_usage_rule(c, "cli.case_at_most_one", NULL, NULL);
    const char *number = npos == 1 ? argv[0] : NULL;
    if ((rc = cli_store_open(&s, c, 0, 1)) != CLI_OK)
        goto done;
    if (number) {
        /* An unknown case has an empty trail; make that an error rather than silence. */
        err = capa_case_get(&cs, s, number);
        if (err == CAPA_OK) {
            capa_case_workflow(&x.wf, s, cs);
            x.cs = cs;
            x.forms = calloc(cs->n_stages ? cs->n_stages : 1, sizeof *x.forms);
            for (size_t i = 0; x.forms && i < cs->n_stages; i++)
                capa_case_record_form(&x.forms[i], s, cs, cs->stages[i].stage);
        }
        if (err != CAPA_OK) {
            snprintf(what, sizeof what, "log %s", number);
            rc = cli_fail(c, what, err);
            goto done;
        }
    }
    if (c->json) {
        if (!(arr = json_array())) {
            rc = cli_oom(c, NULL);
            goto done;
        }
        err = capa_audit_foreach(s, number, push_event, arr);
    } else {
        x.c = c;
        err = capa_audit_foreach(s, number, print_event, &x);
    }
    if (err != CAPA_OK) {
        rc = cli_fail(c, "log", err);
        goto done;
    }
    if (arr) {
        rc = cli_json_print(c, arr);
        arr = NULL;
    }
done:
    json_decref(arr);
    free(x.forms);
    capa_case_free(cs);
    capa_store_close(s);
    return rc;
}
