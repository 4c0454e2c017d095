/*
 * fields.c - a form's fields as people need them to type `open` and `set`: id (what goes
 * before the `=`), type, 中文 / English label, whether and when it is required, its rules, and
 * every choice's code with its labels; groups with their columns as `group.N.column`. Shared
 * by `capa form show` and `capa help open|set|sign`; --json gives the same as data.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

enum { COL_ID, COL_TYPE, COL_LABEL, COL_REQ, COL_RULES, N_COLS };

static const char *required_label(const cli *c, char *buf, size_t sz, capa_required r)
{
    if (r == CAPA_REQ_CREATE)
        return cli_label(c, buf, sz, "开立时必填", "required at creation");
    if (r == CAPA_REQ_SIGN)
        return cli_label(c, buf, sz, "签核前必填", "required at sign-off");
    return "-";
}

/* "%g" without a trailing exponent for the bounds forms use (whole numbers mostly). */
static void number(char *buf, size_t sz, double x)
{
    snprintf(buf, sz, "%.15g", x);
}

/* The rules of a field in one cell: bounds, length, pattern, rows. */
static const char *rules(const cli *c, char *buf, size_t sz, const capa_field *f)
{
    char part[CLI_TEXT_MAX], lab[256], a[64], b[64];
    size_t o = 0;
    buf[0] = '\0';
#define ADD(...)                                                                                   \
    do {                                                                                           \
        snprintf(part, sizeof part, __VA_ARGS__);                                                  \
        o += (size_t)snprintf(buf + o, o < sz ? sz - o : 0, "%s%s", o ? "; " : "", part);          \
    } while (0)
    if (f->type == CAPA_FT_GROUP) {
        size_t most = f->max_rows ? f->max_rows : 100;
        if (f->has_min) {
            number(a, sizeof a, f->min);
            ADD("%s %s", cli_label(c, lab, sizeof lab, "最少行数", "rows at least"), a);
        }
        snprintf(a, sizeof a, "%zu", most);
        ADD("%s %s", cli_label(c, lab, sizeof lab, "最多行数", "rows at most"), a);
    } else {
        if (f->has_min && f->has_max) {
            number(a, sizeof a, f->min);
            number(b, sizeof b, f->max);
            ADD("%s..%s", a, b);
        } else if (f->has_min) {
            number(a, sizeof a, f->min);
            ADD(">= %s", a);
        } else if (f->has_max) {
            number(a, sizeof a, f->max);
            ADD("<= %s", a);
        }
        if (f->max_length)
            ADD("%s %zu", cli_label(c, lab, sizeof lab, "最长字数", "max length"), f->max_length);
        if (f->pattern) {
            char pat[CLI_TEXT_MAX];
            ADD("%s %s", cli_label(c, lab, sizeof lab, "格式", "pattern"),
                cli_text(pat, sizeof pat, f->pattern));
        }
        if (f->type == CAPA_FT_DATE)
            ADD("YYYY-MM-DD");
        else if (f->type == CAPA_FT_DATETIME)
            ADD("YYYY-MM-DDTHH:MM[:SS]Z|±hh:mm");
        else if (f->type == CAPA_FT_BOOLEAN)
            ADD("true | false");
        else if (f->type == CAPA_FT_USER)
            ADD("%s", cli_label(c, lab, sizeof lab, "用户账号", "a user id"));
    }
#undef ADD
    return buf;
}

static int add_field(cli_table *t, const cli *c, const capa_field *f, const char *group)
{
    char id[CLI_TEXT_MAX], label[CLI_TEXT_MAX], req[256], rule[2048], code[CLI_TEXT_MAX];
    char full[300];
    snprintf(full, sizeof full, "%s%s%s", group ? group : "", group ? ".N." : "", f->id);
    const char *row[N_COLS] = {cli_text(id, sizeof id, full), capa_ftype_name(f->type),
                               cli_label(c, label, sizeof label, f->label_zh, f->label_en),
                               required_label(c, req, sizeof req, f->required),
                               rules(c, rule, sizeof rule, f)};
    if (cli_table_add(t, row))
        return -1;
    for (size_t i = 0; i < f->n_choices; i++) {
        const capa_choice *ch = &f->choices[i];
        char cell[CLI_TEXT_MAX + 8];
        snprintf(cell, sizeof cell, "%s  = %s", group ? "  " : "",
                 cli_text(code, sizeof code, ch->value));
        const char *crow[N_COLS] = {cell, "",
                                    cli_label(c, label, sizeof label, ch->label_zh, ch->label_en)};
        if (cli_table_add(t, crow))
            return -1;
    }
    for (size_t i = 0; i < f->n_columns; i++)
        if (add_field(t, c, &f->columns[i], f->id))
            return -1;
    return 0;
}

int cli_form_print(cli *c, const capa_formdef *fd)
{
    cli_table t = {.ncols = N_COLS};
    char label[CLI_TEXT_MAX], id[CLI_TEXT_MAX];
    int rc = CLI_OK;
    printf("%s v%d  %s\n", cli_text(id, sizeof id, fd->id), fd->version,
           cli_label(c, label, sizeof label, fd->label_zh, fd->label_en));
    /* Headings in both languages, one line each, unless --lang chose one. */
    if (c->lang != CLI_LANG_EN) {
        const char *zh[N_COLS] = {"字段", "类型", "名称", "必填", "规则"};
        rc |= cli_table_add(&t, zh);
    }
    if (c->lang != CLI_LANG_ZH) {
        const char *en[N_COLS] = {"FIELD", "TYPE", "LABEL", "REQUIRED", "RULES"};
        rc |= cli_table_add(&t, en);
    }
    for (size_t i = 0; rc == 0 && i < fd->n_fields; i++)
        rc = add_field(&t, c, &fd->fields[i], NULL);
    if (rc != 0) {
        cli_table_free(&t);
        return cli_oom(c, NULL);
    }
    cli_table_print(stdout, &t, "  ");
    cli_table_free(&t);
    return CLI_OK;
}

void cli_form_print_hint(const cli *c, const capa_formdef *fd)
{
    char name[CLI_TEXT_MAX], zh[CLI_TEXT_MAX], en[CLI_TEXT_MAX];
    /* A choice field of the form makes the example, so it always names a real field: the
     * first required one (what people must type anyway), else the first. */
    const capa_field *f = NULL;
    for (size_t i = 0; i < fd->n_fields; i++) {
        const capa_field *x = &fd->fields[i];
        if (x->type == CAPA_FT_CHOICE && x->n_choices > 0 &&
            (!f || (f->required == CAPA_REQ_NO && x->required != CAPA_REQ_NO)))
            f = x;
    }
    if (f) {
        cli_text(name, sizeof name, f->id);
        cli_text(zh, sizeof zh, f->choices[0].label_zh);
        cli_text(en, sizeof en, f->choices[0].label_en);
        if (c->lang == CLI_LANG_ZH)
            printf("选项可填代码或名称，如 %s=%s。组的行写作 组.N.列（N 从 1 起）。\n", name, zh);
        else if (c->lang == CLI_LANG_EN)
            printf("A choice may be given by its code or its label, e.g. %s=%s. Group rows are "
                   "group.N.column (N from 1).\n",
                   name, en);
        else
            printf("选项可填代码或名称 / a choice may be given by code or label: %s=%s, "
                   "%s=%s\nGroup rows: group.N.column, N from 1 (组.N.列)\n",
                   name, zh, name, en);
        return;
    }
}

/* ---- JSON ---- */

static json_t *field_def_json(const capa_field *f)
{
    json_t *o = json_object(), *arr = NULL;
    const char *req = f->required == CAPA_REQ_CREATE ? "create"
                      : f->required == CAPA_REQ_SIGN ? "sign"
                                                     : NULL;
    if (!o || cli_json_set(o, "id", cli_json_str(f->id)) ||
        cli_json_set(o, "type", cli_json_str(capa_ftype_name(f->type))) ||
        cli_json_set(o, "label", cli_json_label(f->label_zh, f->label_en)) ||
        cli_json_set(o, "required", cli_json_str(req)) ||
        cli_json_set(o, "min", f->has_min ? json_real(f->min) : json_null()) ||
        cli_json_set(o, "max", f->has_max ? json_real(f->max) : json_null()) ||
        cli_json_set(o, "max_length",
                     f->max_length ? json_integer((json_int_t)f->max_length) : json_null()) ||
        cli_json_set(o, "pattern", cli_json_str(f->pattern)))
        goto fail;
    if (f->type == CAPA_FT_CHOICE) {
        if (cli_json_set(o, "choices", arr = json_array()))
            goto fail;
        for (size_t i = 0; i < f->n_choices; i++) {
            json_t *ch = json_object();
            if (cli_json_push(arr, ch) ||
                cli_json_set(ch, "value", cli_json_str(f->choices[i].value)) ||
                cli_json_set(ch, "label",
                             cli_json_label(f->choices[i].label_zh, f->choices[i].label_en)))
                goto fail;
        }
    }
    if (f->type == CAPA_FT_GROUP) {
        if (cli_json_set(o, "max_rows",
                         json_integer((json_int_t)(f->max_rows ? f->max_rows : 100))) ||
            cli_json_set(o, "columns", arr = json_array()))
            goto fail;
        for (size_t i = 0; i < f->n_columns; i++)
            if (cli_json_push(arr, field_def_json(&f->columns[i])))
                goto fail;
    }
    return o;
fail:
    json_decref(o);
    return NULL;
}

json_t *cli_form_json(const capa_formdef *fd)
{
    json_t *o = json_object(), *arr = NULL;
    if (!o || cli_json_set(o, "id", cli_json_str(fd->id)) ||
        cli_json_set(o, "version", json_integer(fd->version)) ||
        cli_json_set(o, "label", cli_json_label(fd->label_zh, fd->label_en)) ||
        cli_json_set(o, "fields", arr = json_array()))
        goto fail;
    for (size_t i = 0; i < fd->n_fields; i++)
        if (cli_json_push(arr, field_def_json(&fd->fields[i])))
            goto fail;
    return o;
fail:
    json_decref(o);
    return NULL;
}
