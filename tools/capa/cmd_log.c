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

static int print_event(const capa_event *e, void *payload)
{
    char t[40], actor[CLI_TEXT_MAX], action[CLI_TEXT_MAX], buf[CLI_TEXT_MAX];
    const cli *c = payload;
    printf("#%-5llu %s  %-10s ", (unsigned long long)e->seq, cli_time(t, sizeof t, e->time),
           cli_text(actor, sizeof actor, e->actor ? e->actor : "-"));
    /* the action in the chosen language, padded by display width (words17e) */
    const char *act = e->action ? e->action : "-";
    cli_put_padded(stdout, cli_word(c, action, sizeof action, cli_action_zh(act), act), 13);
    if (e->case_number)
        printf(" %s", cli_text(buf, sizeof buf, e->case_number));
    if (e->stage)
        printf(" [%s]", cli_text(buf, sizeof buf, e->stage));
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
        printf("        %s: ",
               cli_text(buf, sizeof buf, e->changes[i].field ? e->changes[i].field : "?"));
        print_change_value(e->changes[i].old_value);
        fputs(" → ", stdout);
        print_change_value(e->changes[i].new_value);
        putchar('\n');
    }
    return 0;
}

int cmd_log(cli *c, int argc, char **argv)
{
    const cli_opt opts[] = {{"--json", NULL, &c->json}, {NULL, NULL, NULL}};
    int npos, rc, err;
    capa_store *s = NULL;
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
        capa_case *cs = NULL;
        err = capa_case_get(&cs, s, number);
        capa_case_free(cs);
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
        err = capa_audit_foreach(s, number, print_event, c);
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
    capa_store_close(s);
    return rc;
}
