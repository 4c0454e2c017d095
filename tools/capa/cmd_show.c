/*
 * cmd_show.c - `capa show CASE [--json] [--lang zh|en]`: one case, every stage in workflow
 * order, its fields labelled from the form version the data was filled with (so an old case
 * reads with its old form), group rows numbered, and every signature and rejection.
 *
 * Text output is for people (labels "中文 / English" unless --lang picks one: then stage and
 * role ids print as their labels too, so --lang zh has no English but stored values); times
 * in UTC and in the process's time zone. --json is for programs and always carries both
 * labels and UTC times. The shapes are documented in docs/cli.md.
 *
 * Every stored string is printed escaped (cli_text, cli_put_text). Only the values of
 * multiline fields keep their line breaks, each line after the first indented under the
 * first (column 6 or 12). Records begin at column 0 (case, stage), 2 or 4 (field, group,
 * signature), so a line of a value stays within its field: it can never begin a record.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct show {
    cli *c;
    capa_store *s;
    const capa_workflow *wf;
    const capa_case *cs;
} show;

/* The stored value called `name` in a stage record, or NULL. */
static const char *rec_value(const capa_stage_record *r, const char *name)
{
    for (size_t i = 0; i < r->n_values; i++) {
        if (strcmp(r->values[i].name, name) == 0)
            return r->values[i].value;
    }
    return NULL;
}

/* Highest row number used by group `gid` in the record (0 when none). */
static unsigned group_rows(const capa_stage_record *r, const char *gid)
{
    unsigned max = 0, row;
    char g[128], col[128];
    for (size_t i = 0; i < r->n_values; i++) {
        if (capa_field_name_split(r->values[i].name, g, sizeof g, &row, col, sizeof col) == 1 &&
            strcmp(g, gid) == 0 && row > max)
            max = row;
    }
    return max;
}

/* 1 when the value's field (or its group) is defined by the form. */
static int known_to_form(const capa_formdef *fd, const char *name)
{
    char g[128], col[128];
    unsigned row;
    if (!fd)
        return 0;
    if (capa_field_name_split(name, g, sizeof g, &row, col, sizeof col) == 1)
        return capa_formdef_field(fd, g) != NULL;
    return capa_formdef_field(fd, name) != NULL;
}

static const capa_formdef *record_form(const show *sh, const capa_stage_record *r)
{
    const capa_formdef *fd = NULL;
    if (!r->form_id || !*r->form_id)
        return NULL;
    if (capa_case_form(&fd, sh->s, sh->cs, r->form_id, r->form_version) != CAPA_OK)
        return NULL;
    return fd;
}

/* Sign-off meaning labels from the workflow; a rejection is 驳回 / rejected. */
static void meaning_labels(const show *sh, const capa_signature *sg, const char **zh,
                           const char **en)
{
    const capa_stage *st = sh->wf ? capa_workflow_stage(sh->wf, sg->stage) : NULL;
    *zh = NULL;
    *en = sg->meaning;
    if (sg->kind && strcmp(sg->kind, "reject") == 0) {
        *zh = "驳回";
        *en = "Rejected";
    } else if (st && st->sign_meaning && sg->meaning &&
               strcmp(st->sign_meaning, sg->meaning) == 0) {
        *zh = st->sign_meaning_zh;
        *en = st->sign_meaning_en ? st->sign_meaning_en : sg->meaning;
    }
}

/* ---- text ---- */

/* Print a value. A multiline field's line breaks are kept, continuation lines indented under
 * the first; any other value is one line, its line breaks shown as \n. */
static void print_value(const show *sh, const capa_field *f, const char *v, int indent)
{
    char buf[512], a[CLI_TEXT_MAX], b[CLI_TEXT_MAX];
    const capa_choice *ch = f ? capa_field_choice(f, v) : NULL;
    if (ch) {
        printf("%s (%s)", cli_label(sh->c, buf, sizeof buf, ch->label_zh, ch->label_en),
               cli_text(a, sizeof a, v));
    } else if (f && f->type == CAPA_FT_BOOLEAN) {
        int yes = strcmp(v, "true") == 0;
        printf("%s", cli_label(sh->c, buf, sizeof buf, yes ? "是" : "否", yes ? "yes" : "no"));
    } else if (f && f->type == CAPA_FT_USER) {
        capa_user *u = NULL;
        if (capa_user_get(&u, sh->s, v) == CAPA_OK && u->name)
            printf("%s (%s)", cli_text(a, sizeof a, v), cli_text(b, sizeof b, u->name));
        else
            cli_put(stdout, v);
        capa_user_free(u);
    } else {
        cli_put_text(stdout, v, strlen(v),
                     f && f->type == CAPA_FT_MULTILINE ? CLI_TEXT_BLOCK : CLI_TEXT_LINE, indent);
    }
}

static void print_field(const show *sh, const capa_field *f, const char *v)
{
    char label[512];
    cli_label(sh->c, label, sizeof label, f->label_zh, f->label_en);
    printf("    %s: ", label[0] ? label : f->id);
    print_value(sh, f, v, 6);
    putchar('\n');
}

static void print_group(const show *sh, const capa_stage_record *r, const capa_field *g)
{
    char label[512], name[300];
    unsigned rows = group_rows(r, g->id);
    if (rows == 0)
        return;
    cli_label(sh->c, label, sizeof label, g->label_zh, g->label_en);
    printf("    %s:\n", label[0] ? label : g->id);
    for (unsigned row = 1; row <= rows; row++) {
        int first = 1;
        for (size_t k = 0; k < g->n_columns; k++) {
            const capa_field *col = &g->columns[k];
            snprintf(name, sizeof name, "%s.%u.%s", g->id, row, col->id);
            const char *v = rec_value(r, name);
            if (!v || !*v)
                continue;
            cli_label(sh->c, label, sizeof label, col->label_zh, col->label_en);
            /* The row number is printed once, before its first column. */
            if (first)
                printf("      %2u. %s: ", row, label);
            else
                printf("          %s: ", label);
            print_value(sh, col, v, 12);
            putchar('\n');
            first = 0;
        }
    }
}

/* A role as the chosen language names it: its id with both languages (as before --lang
 * existed, so scripts reading it keep working), its label with one. */
static const char *role_text(const show *sh, char *buf, size_t sz, const char *id)
{
    const capa_role *r = sh->wf && id ? capa_workflow_role(sh->wf, id) : NULL;
    if (sh->c->lang == CLI_LANG_BOTH || !r)
        return cli_text(buf, sz, id);
    return cli_label(sh->c, buf, sz, r->label_zh, r->label_en);
}

static void print_signature(const show *sh, const capa_signature *sg)
{
    char label[256], t[64], name[CLI_TEXT_MAX], user[CLI_TEXT_MAX], role[CLI_TEXT_MAX];
    const char *zh, *en;
    meaning_labels(sh, sg, &zh, &en);
    printf("    %s: %s (%s, %s)  %s\n", cli_label(sh->c, label, sizeof label, zh, en),
           cli_text(name, sizeof name, sg->name ? sg->name : sg->user),
           cli_text(user, sizeof user, sg->user), role_text(sh, role, sizeof role, sg->role),
           cli_time_local(t, sizeof t, sg->time));
    if (sg->reason && *sg->reason) {
        /* A reason is one line here as in `log`, whatever it holds. */
        printf("      %s: ", cli_label(sh->c, label, sizeof label, "理由", "reason"));
        cli_put(stdout, sg->reason);
        putchar('\n');
    }
    printf("      %s: %s\n", cli_label(sh->c, label, sizeof label, "数据哈希", "data sha256"),
           cli_text(name, sizeof name, sg->data_hash));
    if (sg->superseded)
        printf("      %s\n", cli_label(sh->c, label, sizeof label, "已作废(退回后重签)",
                                       "superseded (stage was sent back)"));
    if (sh->cs->round > 1) {
        printf("      %s: %d\n", cli_label(sh->c, label, sizeof label, "轮次", "round"), sg->round);
    }
}

static void print_attachment(const show *sh, const capa_attachment *at)
{
    char label[256], t[64], name[CLI_TEXT_MAX], who[CLI_TEXT_MAX], user[CLI_TEXT_MAX];
    char w[40]; /* words17e: "bytes" in the chosen language */
    printf("    %s  %llu %s  %s\n", cli_text(name, sizeof name, at->name),
           (unsigned long long)at->size, cli_word(sh->c, w, sizeof w, "字节", "bytes"),
           cli_text(label, sizeof label, at->mime));
    printf("      %s: %s (%s)  %s\n", cli_label(sh->c, label, sizeof label, "上传", "by"),
           cli_text(who, sizeof who, at->user_name ? at->user_name : at->user),
           cli_text(user, sizeof user, at->user), cli_time_local(t, sizeof t, at->time));
    printf("      %s: %s\n", cli_word(sh->c, w, sizeof w, "SHA-256", "sha256"), at->sha256);
    if (at->note && *at->note) {
        printf("      %s: ", cli_label(sh->c, label, sizeof label, "说明", "note"));
        cli_put(stdout, at->note);
        putchar('\n');
    }
}

static void print_stage_head(const show *sh, size_t idx, const capa_stage *st,
                             const capa_stage_record *r)
{
    char label[512], t1[64], t2[64], a[CLI_TEXT_MAX];
    const cli *c = sh->c;
    int current = strcmp(sh->cs->stage, st ? st->id : r->stage) == 0 && !sh->cs->closed;
    printf("\n[%zu] %s", idx + 1,
           st ? cli_label(c, label, sizeof label, st->label_zh, st->label_en)
              : cli_text(a, sizeof a, r->stage));
    /* Ids are for both languages together (and scripts); --lang zh has no English left. */
    if (c->lang == CLI_LANG_ZH) {
        if (r && r->form_id && *r->form_id && r->form_version > 0)
            printf("  （表单第 %d 版）", r->form_version);
        printf("%s\n", current ? "  ← 当前阶段" : "");
    } else {
        printf("  (%s", cli_text(a, sizeof a, r ? r->stage : st->id));
        if (r && r->form_id && *r->form_id && r->form_version > 0)
            printf(", %s %s v%d", cli_word(c, label, sizeof label, "表单", "form"),
                   cli_text(a, sizeof a, r->form_id), r->form_version);
        printf(")%s\n", current ? "  <- current" : "");
    }
    const capa_route *skip = sh->wf ? capa_case_skipped(sh->cs, sh->wf, idx) : NULL;
    if (skip) {
        char zh[300], en[300];
        snprintf(zh, sizeof zh, "已跳过（%s）", skip->label_zh);
        snprintf(en, sizeof en, "skipped (%s)", skip->label_en);
        printf("    %s\n", cli_label(c, label, sizeof label, zh, en));
        return;
    }
    if (!r || r->entered == 0) {
        printf("    %s\n", cli_label(c, label, sizeof label, "尚未进入", "not reached"));
        return;
    }
    printf("    %s %s", cli_label(c, label, sizeof label, "进入", "entered"),
           cli_time_local(t1, sizeof t1, r->entered));
    if (r->left)
        printf("   %s %s", cli_label(c, label, sizeof label, "完成", "left"),
               cli_time_local(t2, sizeof t2, r->left));
    if (r->n_editors > 0) {
        printf("   %s:", cli_label(c, label, sizeof label, "编辑人", "edited by"));
        for (size_t i = 0; i < r->n_editors; i++)
            printf(" %s", cli_text(a, sizeof a, r->editors[i]));
    }
    putchar('\n');
}

static void print_stage_values(const show *sh, const capa_stage_record *r)
{
    const capa_formdef *fd = record_form(sh, r);
    char name[CLI_TEXT_MAX];
    for (size_t i = 0; fd && i < fd->n_fields; i++) {
        const capa_field *f = &fd->fields[i];
        if (f->type == CAPA_FT_GROUP) {
            print_group(sh, r, f);
            continue;
        }
        const char *v = rec_value(r, f->id);
        if (v && *v)
            print_field(sh, f, v);
    }
    /* Values the form does not describe are still shown: nothing stored is ever hidden. */
    for (size_t i = 0; i < r->n_values; i++) {
        if (!known_to_form(fd, r->values[i].name) && r->values[i].value[0]) {
            printf("    %s: ", cli_text(name, sizeof name, r->values[i].name));
            cli_put(stdout, r->values[i].value);
            putchar('\n');
        }
    }
}

/* Another stage's form, for a rule across stages (capa_stage_form_fn). */
static const capa_formdef *other_form(void *payload, const char *stage)
{
    const show *sh = payload;
    const capa_formdef *fd = NULL;
    return capa_case_record_form(&fd, sh->s, sh->cs, stage) == CAPA_OK ? fd : NULL;
}

/* Rule k of the stage's sign-off as capa_stage_rule words it, with the record's form. */
static int stage_rule(const show *sh, const capa_stage *st, const capa_stage_record *r, size_t k,
                      char *zh, size_t zsz, char *en, size_t esz)
{
    return st && capa_stage_rule(zh, zsz, en, esz, sh->wf, st, record_form(sh, r), r->values,
                                 r->n_values, r->left != 0, k, other_form, (void *)sh);
}

static void print_rules(const show *sh, const capa_stage *st, const capa_stage_record *r)
{
    char zh[600], en[600], label[1300];
    for (size_t k = 0; stage_rule(sh, st, r, k, zh, sizeof zh, en, sizeof en); k++) {
        if (k == 0)
            printf("    -- %s --\n", cli_label(sh->c, label, sizeof label, "规则", "rules"));
        printf("    %s\n", cli_label(sh->c, label, sizeof label, zh, en));
    }
}

/* The person complained about, recused from the case (no edit, no sign-off). */
static int recusal_text(const show *sh, char *zh, size_t zsz, char *en, size_t esz)
{
    const char *who = capa_case_value(sh->cs, "intake", "subject_person");
    if (!who || !*who)
        return 0;
    snprintf(zh, zsz, "回避：被投诉人 %s 不得编辑或签核本案", who);
    snprintf(en, esz, "recusal: %s (person complained about) may neither edit nor sign this case",
             who);
    return 1;
}

static void print_case_head(const show *sh)
{
    const capa_case *cs = sh->cs;
    char label[512], t[64], a[CLI_TEXT_MAX], b[CLI_TEXT_MAX];
    const char *customer = capa_case_value(cs, "intake", "customer");
    const capa_stage *st = sh->wf ? capa_workflow_stage(sh->wf, cs->stage) : NULL;
    printf("%s%s%s\n", cli_text(a, sizeof a, cs->number), customer ? "  " : "",
           cli_text(b, sizeof b, customer));
    printf("  %s: ", cli_label(sh->c, label, sizeof label, "状态", "status"));
    if (cs->closed)
        printf("%s %s\n", cli_label(sh->c, label, sizeof label, "已结案", "closed"),
               cli_time_local(t, sizeof t, cs->closed_at));
    else if (st && sh->c->lang == CLI_LANG_ZH)
        printf("%s\n", cli_label(sh->c, label, sizeof label, st->label_zh, st->label_en));
    else
        printf("%s (%s)\n",
               st ? cli_label(sh->c, label, sizeof label, st->label_zh, st->label_en)
                  : cli_text(b, sizeof b, cs->stage),
               cli_text(a, sizeof a, cs->stage));
    printf("  %s: %s", cli_label(sh->c, label, sizeof label, "开立", "opened"),
           cli_time_local(t, sizeof t, cs->opened));
    printf(" %s %s\n", cli_label(sh->c, label, sizeof label, "由", "by"),
           cli_text(a, sizeof a, cs->opened_by ? cs->opened_by : "?"));
    if (cs->origin) {
        printf("  %s: ", cli_label(sh->c, label, sizeof label, "导入自", "imported from"));
        printf("%s, ", cli_text(a, sizeof a, cs->origin));
        printf("%s %s", cli_label(sh->c, label, sizeof label, "原案号", "its number there"),
               cli_text(a, sizeof a, cs->origin_number));
        printf(" (%s)\n", cli_label(sh->c, label, sizeof label, "只读副本", "a read-only copy"));
    }
    if (cs->round > 1) {
        /* 二次处理: the case went round again; the earlier rounds follow the stages. */
        printf("  %s: %d ", cli_label(sh->c, label, sizeof label, "轮次", "round"), cs->round);
        printf("(%s %s)\n", cli_label(sh->c, label, sizeof label, "开始于", "since"),
               cli_time_local(t, sizeof t, cs->round_at));
    }
    char zh[300], en[300], rl[700];
    if (recusal_text(sh, zh, sizeof zh, en, sizeof en)) {
        cli_label(sh->c, rl, sizeof rl, zh, en);
        printf("  ");
        cli_put(stdout, rl);
        putchar('\n');
    }
}

/* The stage records as earlier rounds left them (二次处理): kept, never hidden. Their
 * signatures are listed with their stages above, each with its round. */
static void print_earlier(const show *sh)
{
    char label[512], t1[64], t2[64], a[CLI_TEXT_MAX];
    int round = 0;
    for (size_t i = 0; i < sh->cs->n_earlier; i++) {
        const capa_stage_record *r = &sh->cs->earlier[i];
        const capa_stage *st = sh->wf ? capa_workflow_stage(sh->wf, r->stage) : NULL;
        if (r->round != round) {
            round = r->round;
            char zh[64], en[64];
            snprintf(zh, sizeof zh, "第 %d 轮（已重新处理）", round);
            snprintf(en, sizeof en, "round %d (gone round again)", round);
            printf("\n== %s ==\n", cli_label(sh->c, label, sizeof label, zh, en));
        }
        printf("[%d] %s (%s)\n", round,
               st ? cli_label(sh->c, label, sizeof label, st->label_zh, st->label_en)
                  : cli_text(a, sizeof a, r->stage),
               cli_text(a, sizeof a, r->stage));
        printf("    %s %s", cli_label(sh->c, label, sizeof label, "进入", "entered"),
               cli_time_local(t1, sizeof t1, r->entered));
        if (r->left)
            printf("   %s %s", cli_label(sh->c, label, sizeof label, "完成", "left"),
                   cli_time_local(t2, sizeof t2, r->left));
        putchar('\n');
        print_stage_values(sh, r);
    }
}

static void print_text(const show *sh)
{
    char label[256];
    print_case_head(sh);
    for (size_t i = 0; i < sh->cs->n_stages; i++) {
        const capa_stage_record *r = &sh->cs->stages[i];
        const capa_stage *st = sh->wf ? capa_workflow_stage(sh->wf, r->stage) : NULL;
        print_stage_head(sh, i, st, r);
        if (r->entered == 0 && r->n_values == 0)
            continue;
        print_stage_values(sh, r);
        print_rules(sh, st, r);
        int any = 0;
        for (size_t k = 0; k < sh->cs->n_signatures; k++) {
            const capa_signature *sg = &sh->cs->signatures[k];
            if (strcmp(sg->stage, r->stage) != 0)
                continue;
            if (!any++)
                printf("    -- %s --\n",
                       cli_label(sh->c, label, sizeof label, "签名", "signatures"));
            print_signature(sh, sg);
        }
        any = 0;
        for (size_t k = 0; k < sh->cs->n_attachments; k++) {
            const capa_attachment *at = &sh->cs->attachments[k];
            if (strcmp(at->stage, r->stage) != 0)
                continue;
            if (!any++)
                printf("    -- %s --\n",
                       cli_label(sh->c, label, sizeof label, "附件", "attachments"));
            print_attachment(sh, at);
        }
    }
    print_earlier(sh);
}

/* ---- JSON ---- */

static json_t *field_json(const capa_field *f, const char *v)
{
    json_t *o = json_object();
    const capa_choice *ch = capa_field_choice(f, v);
    if (!o || cli_json_set(o, "id", cli_json_str(f->id)) ||
        cli_json_set(o, "label", cli_json_label(f->label_zh, f->label_en)) ||
        cli_json_set(o, "type", cli_json_str(capa_ftype_name(f->type))) ||
        cli_json_set(o, "value", cli_json_str(v)) ||
        (ch && cli_json_set(o, "display", cli_json_label(ch->label_zh, ch->label_en)))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* One row of a group as {"row": N, "values": {column: value}}, or JSON null when empty.
 * cli_json_set/push always consume the value, so a container is attached to its parent
 * first and filled afterwards: one decref of the parent frees everything on failure. */
static json_t *group_row_json(const capa_stage_record *r, const capa_field *g, unsigned row)
{
    char name[300];
    json_t *o = json_object(), *vals = NULL;
    if (!o || cli_json_set(o, "row", json_integer(row)) ||
        cli_json_set(o, "values", vals = json_object()))
        goto fail;
    for (size_t k = 0; k < g->n_columns; k++) {
        snprintf(name, sizeof name, "%s.%u.%s", g->id, row, g->columns[k].id);
        const char *v = rec_value(r, name);
        if (v && *v && cli_json_set(vals, g->columns[k].id, cli_json_str(v)))
            goto fail;
    }
    if (json_object_size(vals) == 0) {
        json_decref(o);
        return json_null();
    }
    return o;
fail:
    json_decref(o);
    return NULL;
}

static json_t *group_json(const capa_stage_record *r, const capa_field *g)
{
    json_t *o = json_object(), *rows = NULL;
    if (!o || cli_json_set(o, "id", cli_json_str(g->id)) ||
        cli_json_set(o, "label", cli_json_label(g->label_zh, g->label_en)) ||
        cli_json_set(o, "type", cli_json_str("group")) ||
        cli_json_set(o, "rows", rows = json_array()))
        goto fail;
    for (unsigned row = 1, n = group_rows(r, g->id); row <= n; row++) {
        json_t *jr = group_row_json(r, g, row);
        if (jr && json_is_null(jr))
            continue;
        if (cli_json_push(rows, jr))
            goto fail;
    }
    return o;
fail:
    json_decref(o);
    return NULL;
}

static json_t *fields_json(const show *sh, const capa_stage_record *r)
{
    const capa_formdef *fd = record_form(sh, r);
    json_t *arr = json_array();
    for (size_t i = 0; arr && fd && i < fd->n_fields; i++) {
        const capa_field *f = &fd->fields[i];
        const char *v = rec_value(r, f->id);
        int rc = 0;
        if (f->type == CAPA_FT_GROUP && group_rows(r, f->id) > 0)
            rc = cli_json_push(arr, group_json(r, f));
        else if (f->type != CAPA_FT_GROUP && v && *v)
            rc = cli_json_push(arr, field_json(f, v));
        if (rc) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *values_json(const capa_stage_record *r)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < r->n_values; i++) {
        if (cli_json_set(o, r->values[i].name, cli_json_str(r->values[i].value))) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

static json_t *strings_json(char *const *v, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        if (cli_json_push(arr, cli_json_str(v[i]))) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *form_ref_json(const capa_stage_record *r)
{
    /* A stage never reached has no record yet, so no form version (core reports 0). */
    if (!r->form_id || !*r->form_id || r->form_version <= 0)
        return json_null();
    json_t *form = json_object();
    if (!form || cli_json_set(form, "id", cli_json_str(r->form_id)) ||
        cli_json_set(form, "version", json_integer(r->form_version))) {
        json_decref(form);
        return NULL;
    }
    return form;
}

/* The rules of the stage's sign-off, [{"zh": ..., "en": ...}], in capa_stage_rule's order. */
static json_t *rules_json(const show *sh, const capa_stage *st, const capa_stage_record *r)
{
    char zh[600], en[600];
    json_t *arr = json_array();
    for (size_t k = 0; arr && stage_rule(sh, st, r, k, zh, sizeof zh, en, sizeof en); k++) {
        if (cli_json_push(arr, cli_json_label(zh, en))) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

/* {"zh": "已跳过（无效投诉）", "en": "skipped (invalid complaint)"}, or null. */
static json_t *skipped_json(const show *sh, size_t idx)
{
    const capa_route *skip = sh->wf ? capa_case_skipped(sh->cs, sh->wf, idx) : NULL;
    char zh[300], en[300];
    if (!skip)
        return json_null();
    snprintf(zh, sizeof zh, "已跳过（%s）", skip->label_zh);
    snprintf(en, sizeof en, "skipped (%s)", skip->label_en);
    return cli_json_label(zh, en);
}

static json_t *stage_json(const show *sh, const capa_stage_record *r, size_t idx)
{
    const capa_stage *st = sh->wf ? capa_workflow_stage(sh->wf, r->stage) : NULL;
    json_t *o = json_object();
    if (!o || cli_json_set(o, "id", cli_json_str(r->stage)) ||
        cli_json_set(o, "label",
                     cli_json_label(st ? st->label_zh : NULL, st ? st->label_en : r->stage)) ||
        cli_json_set(o, "form", form_ref_json(r)) ||
        cli_json_set(o, "eightd", cli_json_str(st ? st->eightd : NULL)) ||
        cli_json_set(o, "entered", cli_json_time(r->entered)) ||
        cli_json_set(o, "left", cli_json_time(r->left)) ||
        cli_json_set(o, "editors", strings_json(r->editors, r->n_editors)) ||
        cli_json_set(o, "values", values_json(r)) ||
        cli_json_set(o, "fields", fields_json(sh, r)) ||
        cli_json_set(o, "skipped", skipped_json(sh, idx)) ||
        cli_json_set(o, "rules", rules_json(sh, st, r))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *signature_json(const show *sh, const capa_signature *sg)
{
    const char *zh, *en;
    json_t *o = json_object();
    meaning_labels(sh, sg, &zh, &en);
    if (!o || cli_json_set(o, "seq", json_integer((json_int_t)sg->seq)) ||
        cli_json_set(o, "stage", cli_json_str(sg->stage)) ||
        cli_json_set(o, "kind", cli_json_str(sg->kind)) ||
        cli_json_set(o, "meaning", cli_json_str(sg->meaning)) ||
        cli_json_set(o, "meaning_label", cli_json_label(zh, en)) ||
        cli_json_set(o, "user", cli_json_str(sg->user)) ||
        cli_json_set(o, "name", cli_json_str(sg->name)) ||
        cli_json_set(o, "role", cli_json_str(sg->role)) ||
        cli_json_set(o, "reason", cli_json_str(sg->reason)) ||
        cli_json_set(o, "time", cli_json_time(sg->time)) ||
        cli_json_set(o, "data_hash", cli_json_str(sg->data_hash)) ||
        cli_json_set(o, "superseded", json_boolean(sg->superseded)) ||
        cli_json_set(o, "round", json_integer(sg->round))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* The stage records of earlier rounds: [{"round", "stages": [{id, form, entered, left,
 * editors, values, fields}]}]. */
static json_t *earlier_json(const show *sh)
{
    json_t *a = json_array(), *stages = NULL;
    int round = 0;
    for (size_t i = 0; a && i < sh->cs->n_earlier; i++) {
        const capa_stage_record *r = &sh->cs->earlier[i];
        json_t *o;
        if (r->round != round) {
            round = r->round;
            if (cli_json_push(a, o = json_object()) ||
                cli_json_set(o, "round", json_integer(round)) ||
                cli_json_set(o, "stages", stages = json_array()))
                goto fail;
        }
        if (cli_json_push(stages, o = json_object()) ||
            cli_json_set(o, "id", cli_json_str(r->stage)) ||
            cli_json_set(o, "form", form_ref_json(r)) ||
            cli_json_set(o, "entered", cli_json_time(r->entered)) ||
            cli_json_set(o, "left", cli_json_time(r->left)) ||
            cli_json_set(o, "editors", strings_json(r->editors, r->n_editors)) ||
            cli_json_set(o, "values", values_json(r)) ||
            cli_json_set(o, "fields", fields_json(sh, r)))
            goto fail;
    }
    return a;
fail:
    json_decref(a);
    return NULL;
}

static json_t *recusal_json(const show *sh)
{
    char zh[300], en[300];
    return recusal_text(sh, zh, sizeof zh, en, sizeof en) ? cli_json_label(zh, en) : json_null();
}

static json_t *attachment_json(const capa_attachment *at)
{
    json_t *o = json_object();
    if (!o || cli_json_set(o, "seq", json_integer((json_int_t)at->seq)) ||
        cli_json_set(o, "name", cli_json_str(at->name)) ||
        cli_json_set(o, "stage", cli_json_str(at->stage)) ||
        cli_json_set(o, "size", json_integer((json_int_t)at->size)) ||
        cli_json_set(o, "sha256", cli_json_str(at->sha256)) ||
        cli_json_set(o, "mime", cli_json_str(at->mime)) ||
        cli_json_set(o, "note", cli_json_str(at->note)) ||
        cli_json_set(o, "user", cli_json_str(at->user)) ||
        cli_json_set(o, "name_of_user", cli_json_str(at->user_name)) ||
        cli_json_set(o, "time", cli_json_time(at->time))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *case_json(const show *sh)
{
    const capa_case *cs = sh->cs;
    json_t *o = json_object(), *stages = NULL, *sigs = NULL, *atts = NULL;
    if (!o || cli_json_set(o, "number", cli_json_str(cs->number)) ||
        cli_json_set(o, "stage", cli_json_str(cs->stage)) ||
        cli_json_set(o, "closed", json_boolean(cs->closed)) ||
        cli_json_set(o, "workflow", cli_json_str(cs->workflow)) ||
        cli_json_set(o, "origin", cli_json_str(cs->origin)) ||
        cli_json_set(o, "origin_number", cli_json_str(cs->origin_number)) ||
        cli_json_set(o, "opened", cli_json_time(cs->opened)) ||
        cli_json_set(o, "opened_by", cli_json_str(cs->opened_by)) ||
        cli_json_set(o, "closed_at", cli_json_time(cs->closed_at)) ||
        cli_json_set(o, "round", json_integer(cs->round)) ||
        cli_json_set(o, "round_at", cli_json_time(cs->round_at)) ||
        cli_json_set(o, "earlier_rounds", earlier_json(sh)) ||
        cli_json_set(o, "recusal", recusal_json(sh)) ||
        cli_json_set(o, "stages", stages = json_array()) ||
        cli_json_set(o, "signatures", sigs = json_array()) ||
        cli_json_set(o, "attachments", atts = json_array()))
        goto fail;
    for (size_t i = 0; i < cs->n_attachments; i++) {
        if (cli_json_push(atts, attachment_json(&cs->attachments[i])))
            goto fail;
    }
    for (size_t i = 0; i < cs->n_stages; i++) {
        if (cli_json_push(stages, stage_json(sh, &cs->stages[i], i)))
            goto fail;
    }
    for (size_t i = 0; i < cs->n_signatures; i++) {
        if (cli_json_push(sigs, signature_json(sh, &cs->signatures[i])))
            goto fail;
    }
    return o;
fail:
    json_decref(o);
    return NULL;
}

int cmd_show(cli *c, int argc, char **argv)
{
    const char *at_arg = NULL;
    int64_t at = 0;
    const cli_opt opts[] = {
        {"--json", NULL, &c->json}, {"--lang", &c->lang_arg, NULL}, {"--at", &at_arg, NULL},
        {NULL, NULL, NULL}};
    int npos, rc = CLI_OK, err;
    capa_store *s = NULL;
    capa_case *cs = NULL;
    char what[160];
    capa_recur_case *rec = NULL;
    size_t n_rec = 0;
    show sh = {c, NULL, NULL, NULL};

    CLI_PARSE(c, argc, argv, opts, &npos);
    if (npos != 1)
        return cli_usage_rule(c, "cli.case_one", NULL, NULL);
    if ((rc = cli_store_open(&s, c, 0, 1)) != CLI_OK)
        goto done;
    if ((rc = cli_at_parse(&at, c, s, at_arg)) != CLI_OK)
        goto done;
    if ((err = capa_case_get(&cs, s, argv[0])) != CAPA_OK) {
        snprintf(what, sizeof what, "show %s", argv[0]);
        rc = cli_fail(c, what, err);
        goto done;
    }
    sh.s = s;
    sh.cs = cs;
    if (capa_case_workflow(&sh.wf, s, cs) != CAPA_OK)
        sh.wf = NULL;
    /* Shown as stored, but never silently: a case that does not replay is flagged. */
    if ((err = capa_case_verify(s, argv[0])) == CAPA_ECORRUPT)
        cli_note_rule(c, "show", "cli.show_unverified", "detail", capa_error_last(), NULL);
    else if (err)
        cli_note_rule(c, "show", "cli.show_unchecked", "detail", capa_error_last(), NULL);
    if ((err = capa_case_recurrence_detail(&rec, &n_rec, s, cs->number)) != CAPA_OK) {
        rc = cli_fail(c, "show: recurrence", err);
        goto done;
    }
    if (c->json) {
        /* recurrence_of: the earlier cases' numbers; recurrence: what auditors ask of each
         * (closed, corrective actions verified effective, when and by whom). */
        json_t *doc = case_json(&sh), *ro = json_array(), *rd = json_array(), *o;
        for (size_t i = 0; ro && i < n_rec; i++)
            if (cli_json_push(ro, cli_json_str(rec[i].number)))
                ro = NULL; /* consumed by the failed push */
        for (size_t i = 0; rd && i < n_rec; i++)
            if (cli_json_push(rd, o = json_object()) ||
                cli_json_set(o, "number", cli_json_str(rec[i].number)) ||
                cli_json_set(o, "closed", json_boolean(rec[i].closed)) ||
                cli_json_set(o, "verified_effective", json_boolean(rec[i].verified)) ||
                cli_json_set(o, "verified_at", cli_json_time(rec[i].verified_at)) ||
                cli_json_set(o, "verified_by", cli_json_str(rec[i].verified_by))) {
                json_decref(rd);
                rd = NULL;
            }
        if (doc &&
            (cli_json_set(doc, "limits", cli_limits_json(s, cs, at)) ||
             cli_json_set(doc, "recurrence_of", ro) || cli_json_set(doc, "recurrence", rd))) {
            json_decref(doc);
            doc = NULL;
        } else if (!doc) {
            json_decref(ro);
            json_decref(rd);
        }
        rc = cli_json_print(c, doc);
    } else {
        print_text(&sh);
        if (n_rec) {
            char label[256], a[CLI_TEXT_MAX], t[64];
            printf("  %s:", cli_label(c, label, sizeof label, "再发", "recurrence of"));
            for (size_t i = 0; i < n_rec; i++)
                printf(" %s", cli_text(a, sizeof a, rec[i].number));
            putchar('\n');
            for (size_t i = 0; i < n_rec; i++) {
                printf("    %s: ", cli_text(a, sizeof a, rec[i].number));
                printf("%s", rec[i].closed ? cli_label(c, label, sizeof label, "已结案", "closed")
                                           : cli_label(c, label, sizeof label, "未结案", "open"));
                if (rec[i].verified) {
                    printf(", %s %s ",
                           cli_label(c, label, sizeof label, "措施已验证有效",
                                     "corrective actions verified effective"),
                           cli_time_local(t, sizeof t, rec[i].verified_at));
                    printf("(%s)\n", cli_text(a, sizeof a, rec[i].verified_by));
                } else {
                    printf(", %s\n", cli_label(c, label, sizeof label, "措施未验证有效",
                                               "corrective actions NOT verified effective"));
                }
            }
        }
        cli_limits_print(c, s, cs, at);
    }
done:
    capa_recur_cases_free(rec, n_rec);
    capa_case_free(cs);
    capa_store_close(s);
    return rc;
}
