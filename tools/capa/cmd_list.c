/*
 * cmd_list.c - `capa list`: cases matching filters, in number order, from the small header
 * record core/ keeps per case (so listing never decodes whole cases). Columns line up by
 * display width (a Chinese character takes two columns); --severity and --customer-like are
 * applied here to each header, the other filters by the engine's indexes. Without --limit
 * or --format the cases are read, and their rows formatted, on several threads at once.
 */
#include "cli.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static json_t *header_json(const capa_case_header *h)
{
    json_t *o = json_object();
    if (!o || cli_json_set(o, "number", cli_json_str(h->number)) ||
        cli_json_set(o, "stage", cli_json_str(h->stage)) ||
        cli_json_set(o, "closed", json_boolean(h->closed)) ||
        cli_json_set(o, "customer", cli_json_str(h->customer)) ||
        cli_json_set(o, "part_no", cli_json_str(h->part_no)) ||
        cli_json_set(o, "lot_no", cli_json_str(h->lot_no)) ||
        cli_json_set(o, "defect_code", cli_json_str(h->defect_code)) ||
        cli_json_set(o, "severity", cli_json_str(h->severity)) ||
        cli_json_set(o, "description", cli_json_str(h->description)) ||
        cli_json_set(o, "subject_person", cli_json_str(h->subject_person)) ||
        cli_json_set(o, "opened", cli_json_time(h->opened)) ||
        cli_json_set(o, "closed_at", cli_json_time(h->closed_at)) ||
        cli_json_set(o, "stage_entered", cli_json_time(h->stage_entered)) ||
        cli_json_set(o, "workflow", cli_json_str(h->workflow)) ||
        cli_json_set(o, "origin", cli_json_str(h->origin)) ||
        cli_json_set(o, "round", json_integer(h->round > 1 ? h->round : 1))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static const char *or_dash(const char *s)
{
    return s && *s ? s : "-";
}

/* Most display columns a free-text column takes before it is cut with "…", so one long
 * customer name does not push every other line apart. */
#define MAX_CUSTOMER 30
#define MAX_CODE 24

enum {
    C_NUMBER,
    C_STAGE,
    C_STATUS,
    C_OPENED,
    C_CUSTOMER,
    C_PART,
    C_DEFECT,
    C_SEVERITY,
    C_DESC,
    N_COLS
};
enum { N_DUE_COLS = 7 };
static const size_t due_col_max[N_DUE_COLS] = {[5] = MAX_CUSTOMER, [1] = MAX_CODE, [4] = MAX_CODE};
static const size_t col_max[N_COLS] = {
    [C_CUSTOMER] = MAX_CUSTOMER, [C_PART] = MAX_CODE, [C_DEFECT] = MAX_CODE, [C_STAGE] = MAX_CODE};

/* What filters the engine's index does not have: applied here to the header of each case. */
typedef struct list_state {
    const char *severity;      /* a code, already normalised */
    const char *customer_like; /* substring, ASCII case ignored */
    size_t limit, rows;
    cli_table table;
    json_t *arr;
    cli_sheet *sheet; /* --format csv|xlsx */
    /* words17e: the stages' labels and the severities' choice labels of each workflow, for
     * the text table in the chosen language (borrowed from the store; read by every part) */
    const cli *c;
    const capa_workflow *wfs[8];
    const capa_field *sev[8];
    size_t n_wf;
} list_state;

static int words_wf_cb(const capa_workflow *w, void *payload)
{
    list_state *ls = payload;
    if (ls->n_wf < sizeof ls->wfs / sizeof ls->wfs[0])
        ls->wfs[ls->n_wf++] = w;
    return 0;
}

/* The workflows of the store and the severity field of each one's first form (words17e). */
static void words_load(list_state *ls, capa_store *s)
{
    if (capa_store_workflows(s, words_wf_cb, ls) != CAPA_OK)
        ls->n_wf = 0;
    for (size_t i = 0; i < ls->n_wf; i++) {
        const capa_formdef *fd = NULL;
        const capa_field *f;
        if (ls->wfs[i]->n_stages &&
            capa_store_form(&fd, s, ls->wfs[i]->stages[0].form_id, 0) == CAPA_OK &&
            (f = capa_formdef_field(fd, "severity")) && f->type == CAPA_FT_CHOICE)
            ls->sev[i] = f;
    }
}

/* The case's workflow among those loaded: by id, else the default (the first). */
static size_t words_wf(const list_state *ls, const char *workflow)
{
    for (size_t i = 0; workflow && i < ls->n_wf; i++)
        if (strcmp(ls->wfs[i]->id, workflow) == 0)
            return i;
    return 0;
}

/* A case's stage by its label, its severity by its choice's label, and its status, in the
 * chosen language (cli_label); the stored code where no label is known. */
static void words_cells(const list_state *ls, const capa_case_header *h, char *stage,
                        size_t stage_sz, char *sev, size_t sev_sz, char *status, size_t status_sz)
{
    size_t w = words_wf(ls, h->workflow);
    const capa_stage *st = ls->n_wf && h->stage ? capa_workflow_stage(ls->wfs[w], h->stage) : NULL;
    const capa_choice *ch =
        ls->n_wf && ls->sev[w] && h->severity ? capa_field_choice(ls->sev[w], h->severity) : NULL;
    if (st && ((st->label_zh && *st->label_zh) || (st->label_en && *st->label_en)))
        cli_label(ls->c, stage, stage_sz, st->label_zh, st->label_en);
    else
        cli_text(stage, stage_sz, or_dash(h->stage));
    if (ch && ((ch->label_zh && *ch->label_zh) || (ch->label_en && *ch->label_en)))
        cli_label(ls->c, sev, sev_sz, ch->label_zh, ch->label_en);
    else
        cli_text(sev, sev_sz, or_dash(h->severity));
    /* from round 2 on (二次处理) the round goes with the status */
    char zh[64], en[40];
    snprintf(zh, sizeof zh, "%s", h->closed ? "已结案" : "处理中");
    snprintf(en, sizeof en, "%s", h->closed ? "closed" : "open");
    if (h->round > 1) {
        snprintf(zh + strlen(zh), sizeof zh - strlen(zh), "（第 %d 轮）", h->round);
        snprintf(en + strlen(en), sizeof en - strlen(en), " r%d", h->round);
    }
    cli_label(ls->c, status, status_sz, zh, en);
}

/* 1 when needle occurs in hay, ASCII letters compared without regard to case. */
static int contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; hay && *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] &&
               tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n)
            return 1;
    }
    return n == 0;
}

/* Up to `max` code points of s (descriptions are free text; a list line stays short), line
 * breaks and tabs as spaces, everything else escaped, "…" when cut. */
static const char *clipped(char *buf, size_t sz, const char *s, size_t max)
{
    size_t cps = 0, o;
    const char *p = s;
    for (; *p && cps < max; cps++) {
        p++;
        while ((*p & 0xC0) == 0x80)
            p++;
    }
    cli_text_n(buf, sz - 4, s, (size_t)(p - s), CLI_TEXT_FLAT);
    o = strlen(buf);
    if (*p)
        memcpy(buf + o, "\xe2\x80\xa6", 4);
    return buf;
}

static int add_header(const capa_case_header *h, void *payload)
{
    list_state *ls = payload;
    char day[40], num[CLI_TEXT_MAX], stage[CLI_TEXT_MAX], cust[CLI_TEXT_MAX], part[CLI_TEXT_MAX];
    char defect[CLI_TEXT_MAX], sev[CLI_TEXT_MAX], desc[CLI_TEXT_MAX];
    if (ls->severity && (!h->severity || strcmp(h->severity, ls->severity) != 0))
        return 0;
    if (ls->customer_like && !contains_nocase(h->customer, ls->customer_like))
        return 0;
    if (ls->limit && ls->rows >= ls->limit)
        return 1; /* enough: stop the scan */
    ls->rows++;
    if (ls->arr)
        return cli_json_push(ls->arr, header_json(h)) == 0 ? 0 : CAPA_ENOMEM;
    if (ls->sheet)
        return cli_sheet_row(ls->sheet, h) == CLI_OK ? 0 : CAPA_ERROR;
    capa_time_format(day, sizeof day, h->opened);
    day[10] = '\0';
    char status[160];
    words_cells(ls, h, stage, sizeof stage, sev, sizeof sev, status, sizeof status);
    const char *row[N_COLS] = {
        cli_text(num, sizeof num, h->number),
        stage,
        status,
        day,
        cli_text(cust, sizeof cust, or_dash(h->customer)),
        cli_text(part, sizeof part, or_dash(h->part_no)),
        cli_text(defect, sizeof defect, or_dash(h->defect_code)),
        sev,
        clipped(desc, sizeof desc, h->description ? h->description : "", 30)};
    return cli_table_add(&ls->table, row) == 0 ? 0 : CAPA_ENOMEM;
}

/* Part i's rows after ls's: moved, not copied. -1 when out of memory. */
static int take_rows(list_state *ls, list_state *part)
{
    cli_table *t = &ls->table, *pt = &part->table;
    if (ls->arr && json_array_extend(ls->arr, part->arr))
        return -1;
    if (pt->nrows && t->nrows + pt->nrows > t->cap) {
        char **nc = realloc(t->cells, (t->nrows + pt->nrows) * t->ncols * sizeof *nc);
        if (!nc)
            return -1;
        t->cells = nc;
        t->cap = t->nrows + pt->nrows;
    }
    if (pt->nrows)
        memcpy(t->cells + t->nrows * t->ncols, pt->cells,
               pt->nrows * pt->ncols * sizeof *pt->cells);
    t->nrows += pt->nrows;
    pt->nrows = 0;
    ls->rows += part->rows;
    return 0;
}

/* Without a limit or a sheet (which is written as it goes), the list is read on up to four
 * processors (capa_case_scan): each part formats its own rows on its own thread, and the
 * parts, one after the other, are the list in the engine's order. */
static int list_parts(capa_store *s, const capa_filter *f, list_state *ls)
{
    list_state p[CAPA_SCAN_MAX_PARTS];
    void *pl[CAPA_SCAN_MAX_PARTS];
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t n = cpus < 1 ? 1 : cpus > 4 ? 4 : (size_t)cpus, made = 0;
    int err = CAPA_OK;
    json_decref(json_object()); /* jansson's hash seed is set before the threads start */
    for (; made < n && !err; made++) {
        p[made] = *ls;
        p[made].rows = 0;
        p[made].table.cells = NULL;
        p[made].table.nrows = p[made].table.cap = 0;
        p[made].arr = ls->arr ? json_array() : NULL;
        if (ls->arr && !p[made].arr)
            err = CAPA_ENOMEM;
        pl[made] = &p[made];
    }
    if (!err)
        err = capa_case_scan(s, f, 0, n, add_header, pl);
    for (size_t i = 0; i < made; i++) {
        if (!err && take_rows(ls, &p[i]))
            err = capa_error_set(CAPA_ENOMEM, "list: out of memory");
        json_decref(p[i].arr);
        cli_table_free(&p[i].table);
    }
    return err;
}

/* The column headings: Chinese above English, or the one --lang chose. */
static int add_headings(cli *c, cli_table *t)
{
    static const char *const zh[N_COLS] = {"案号", "阶段",     "状态",   "开立日期", "客户",
                                           "料号", "缺陷代码", "严重度", "描述"};
    static const char *const en[N_COLS] = {"NUMBER", "STAGE",  "STATUS",   "OPENED",     "CUSTOMER",
                                           "PART",   "DEFECT", "SEVERITY", "DESCRIPTION"};
    if (c->lang != CLI_LANG_EN && cli_table_add(t, zh))
        return -1;
    if (c->lang != CLI_LANG_ZH && cli_table_add(t, en))
        return -1;
    return 0;
}

/* Turn the textual filter options into a capa_filter; usage errors are printed. */
static int build_filter(cli *c, capa_filter *f, const char *from, const char *to, const char *limit,
                        int open_only, int closed_only)
{
    if (open_only && closed_only)
        return cli_usage_rule(c, "cli.exclusive", NULL, "option", "--open", "other", "--closed",
                              NULL);
    f->closed = open_only ? 0 : closed_only ? 1 : -1;
    if (from && cli_parse_date(&f->opened_from, from) != 0)
        return cli_usage_rule(c, "cli.date", from, "option", "--from", NULL);
    if (to) {
        if (cli_parse_date(&f->opened_to, to) != 0)
            return cli_usage_rule(c, "cli.date", to, "option", "--to", NULL);
        f->opened_to += 24LL * 3600 * 1000; /* --to is inclusive: up to the end of that day */
    }
    if (limit) {
        char *end;
        unsigned long long n = strtoull(limit, &end, 10);
        if (!*limit || *end || limit[0] == '-' || n == 0)
            return cli_usage_rule(c, "cli.positive", limit, "option", "--limit", NULL);
        f->limit = (size_t)n;
    }
    return CLI_OK;
}

/* Whether any workflow of the store has the stage (for --stage without --workflow). */
static int has_stage_cb(const capa_workflow *w, void *payload)
{
    return capa_workflow_stage(w, payload) != NULL;
}

/* An unknown --workflow or --stage would silently match nothing; say so instead. */
static int check_stage(const cli *c, capa_store *s, const char *workflow, const char *stage)
{
    const capa_workflow *wf = NULL;
    int err;
    if (workflow && (err = capa_store_workflow_get(&wf, s, workflow)) != CAPA_OK) {
        cli_fail(c, "list: --workflow", err); /* the engine's refusal, worded (words17e) */
        return CLI_USAGE;
    }
    if (!stage || (!workflow && capa_store_workflows(s, has_stage_cb, (void *)stage) == 1))
        return CLI_OK;
    if ((!wf && capa_store_workflow(&wf, s) != CAPA_OK) || capa_workflow_stage(wf, stage))
        return CLI_OK;
    /* The choices as ids (English, as before) and with their labels (中文), in the chosen
     * language (words17d). */
    char ids[1024] = "", zh[2048] = "";
    size_t ni = 0, nz = 0;
    for (size_t i = 0; i < wf->n_stages; i++) {
        const capa_stage *st = &wf->stages[i];
        if (ni < sizeof ids)
            ni += (size_t)snprintf(ids + ni, sizeof ids - ni, "%s%s", i ? " " : "", st->id);
        if (nz < sizeof zh)
            nz += (size_t)snprintf(zh + nz, sizeof zh - nz, "%s%s（“%s”）", i ? "、" : "",
                                   st->label_zh ? st->label_zh : st->id, st->id);
    }
    cli_note_rule(NULL, "list", "cli.list_stage", "value", stage, "choices", ids, "choices_zh",
                  zh, NULL);
    return CLI_USAGE;
}

/* --severity by code or by label (重要, Important), checked against the intake form's choices
 * like --stage against the stages: an unknown one is a usage error naming the choices. */
static int check_severity(capa_store *s, const char **sev)
{
    const capa_workflow *wf = NULL;
    const capa_formdef *fd = NULL;
    const capa_field *f;
    if (!*sev || capa_store_workflow(&wf, s) != CAPA_OK || wf->n_stages == 0 ||
        capa_store_form(&fd, s, wf->stages[0].form_id, 0) != CAPA_OK ||
        !(f = capa_formdef_field(fd, "severity")) || f->type != CAPA_FT_CHOICE)
        return CLI_OK;
    *sev = capa_form_normalize(fd, "severity", *sev);
    if (capa_field_choice(f, *sev))
        return CLI_OK;
    char en[2048] = "", zh[2048] = "";
    size_t ne = 0, nz = 0;
    for (size_t i = 0; i < f->n_choices; i++) {
        const char *v = f->choices[i].value, *lz = f->choices[i].label_zh,
                   *le = f->choices[i].label_en;
        if (ne < sizeof en)
            ne += (size_t)snprintf(en + ne, sizeof en - ne, "%s%s (%s / %s)", i ? " " : "", v,
                                   lz ? lz : "", le ? le : "");
        if (nz < sizeof zh)
            nz += (size_t)snprintf(zh + nz, sizeof zh - nz, "%s%s（“%s”）", i ? "、" : "",
                                   lz && *lz ? lz : v, v);
    }
    cli_note_rule(NULL, "list", "cli.list_severity", "value", *sev, "choices", en, "choices_zh",
                  zh, NULL);
    return CLI_USAGE;
}

/* ---- --due-soon, --overdue: from the due-time index ---- */

typedef struct due_state {
    list_state *ls;
    const capa_filter *f;
    const capa_plant *p;
    int64_t at;
} due_state;

static int add_due(const capa_case_header *h, const capa_due_limit *l, void *payload)
{
    due_state *d = payload;
    list_state *ls = d->ls;
    const capa_filter *f = d->f;
#define EQ(field, want) (!(want) || ((field) && strcmp((field), (want)) == 0))
    if (!EQ(h->stage, f->stage) || !EQ(h->customer, f->customer) || !EQ(h->part_no, f->part_no) ||
        !EQ(h->defect_code, f->defect_code) || !EQ(h->severity, ls->severity))
        return 0;
#undef EQ
    if (ls->customer_like && !contains_nocase(h->customer, ls->customer_like))
        return 0;
    if (ls->limit && ls->rows >= ls->limit)
        return 1;
    ls->rows++;
    int over = l->due <= d->at;
    char due[40], span[40], num[CLI_TEXT_MAX], stage[CLI_TEXT_MAX], cust[CLI_TEXT_MAX];
    char sev[CLI_TEXT_MAX], kind[CLI_TEXT_MAX], when[80];
    capa_plant_time_format(due, sizeof due, d->p, l->due);
    cli_span(span, sizeof span, l->due - d->at);
    if (ls->arr) {
        char warn[40];
        capa_plant_time_format(warn, sizeof warn, d->p, l->warn);
        json_t *o = header_json(h);
        long long secs = (long long)((over ? d->at - l->due : l->due - d->at) / 1000);
        if (!o || cli_json_set(o, "limit", cli_json_str(l->kind)) ||
            cli_json_set(o, "due", cli_json_str(due)) ||
            cli_json_set(o, "warn_at", cli_json_str(warn)) ||
            cli_json_set(o, "state", cli_json_str(over ? "overdue" : "due_soon")) ||
            cli_json_set(o, over ? "past_due_seconds" : "until_due_seconds", json_integer(secs))) {
            json_decref(o);
            return CAPA_ENOMEM;
        }
        return cli_json_push(ls->arr, o) == 0 ? 0 : CAPA_ENOMEM;
    }
    /* words17e: 中文 alone with --lang zh, English alone with --lang en */
    cli_lang lang = ls->c ? ls->c->lang : CLI_LANG_BOTH;
    if (lang == CLI_LANG_ZH)
        snprintf(when, sizeof when, over ? "逾期 %s" : "剩余 %s", span);
    else if (lang == CLI_LANG_EN)
        snprintf(when, sizeof when, over ? "%s past due" : "due in %s", span);
    else
        snprintf(when, sizeof when, over ? "%s past due / 逾期" : "due in %s / 剩余", span);
    char status[160];
    const char *kzh, *ken;
    words_cells(ls, h, stage, sizeof stage, sev, sizeof sev, status, sizeof status);
    cli_limit_words(ls->n_wf ? ls->wfs[words_wf(ls, h->workflow)] : NULL, l->kind, &kzh, &ken);
    const char *row[N_DUE_COLS] = {cli_text(num, sizeof num, h->number),
                                   cli_label(ls->c, kind, sizeof kind, kzh, ken),
                                   due,
                                   when,
                                   stage,
                                   cli_text(cust, sizeof cust, or_dash(h->customer)),
                                   sev};
    return cli_table_add(&ls->table, row) == 0 ? 0 : CAPA_ENOMEM;
}

static int add_due_headings(cli *c, cli_table *t)
{
    static const char *const zh[N_DUE_COLS] = {"案号", "时限", "到期", "剩余/逾期",
                                               "阶段", "客户", "严重度"};
    static const char *const en[N_DUE_COLS] = {"NUMBER", "LIMIT",    "DUE",     "WHEN",
                                               "STAGE",  "CUSTOMER", "SEVERITY"};
    if (c->lang != CLI_LANG_EN && cli_table_add(t, zh))
        return -1;
    if (c->lang != CLI_LANG_ZH && cli_table_add(t, en))
        return -1;
    return 0;
}

int cmd_list(cli *c, int argc, char **argv)
{
    capa_filter f = {0};
    const char *from = NULL, *to = NULL, *limit = NULL, *format = NULL, *output = NULL,
               *at_arg = NULL;
    int open_only = 0, closed_only = 0, due_soon = 0, overdue = 0;
    capa_plant *plant = NULL;
    list_state ls = {.table = {.ncols = N_COLS, .max = col_max}};
    const cli_opt opts[] = {
        {"--stage", &f.stage, NULL},
        {"--customer", &f.customer, NULL},
        {"--part", &f.part_no, NULL},
        {"--defect", &f.defect_code, NULL},
        {"--text", &f.text, NULL},
        {"--open", NULL, &open_only},
        {"--recurrent", NULL, &f.recurrent},
        {"--closed", NULL, &closed_only},
        {"--from", &from, NULL},
        {"--to", &to, NULL},
        {"--limit", &limit, NULL},
        {"--severity", &ls.severity, NULL},
        {"--workflow", &f.workflow, NULL},
        {"--customer-like", &ls.customer_like, NULL},
        {"--lang", &c->lang_arg, NULL},
        {"--json", NULL, &c->json},
        {"--format", &format, NULL},
        {"-o", &output, NULL},
        {"--output", &output, NULL},
        {"--due-soon", NULL, &due_soon},
        {"--overdue", NULL, &overdue},
        {"--at", &at_arg, NULL},
        {NULL, NULL, NULL},
    };
    int npos, rc, err;
    capa_store *s = NULL;

    CLI_PARSE(c, argc, argv, opts, &npos);
    if (npos > 0)
        return cli_unexpected(c, argv[0]);
    if ((rc = build_filter(c, &f, from, to, limit, open_only, closed_only)) != CLI_OK)
        return rc;
    if (format && strcmp(format, "csv") != 0 && strcmp(format, "xlsx") != 0)
        return cli_usage_rule(c, "cli.choice", format, "option", "--format", "choices", "csv, xlsx",
                              NULL);
    if (format && (!output || !*output))
        return cli_usage_rule(c, "cli.needs", NULL, "option",
                              strcmp(format, "csv") ? "--format xlsx" : "--format csv", "other",
                              "-o FILE", NULL);
    if (output && !format)
        return cli_usage_rule(c, "cli.needs", NULL, "option", "-o FILE", "other",
                              "--format csv|xlsx", NULL);
    if (format && c->json)
        return cli_usage_rule(c, "cli.exclusive", NULL, "option", "--format", "other", "--json",
                              NULL);
    if (format && strcmp(format, "xlsx") == 0 && strcmp(output, "-") == 0)
        return cli_usage_rule(c, "cli.xlsx_stdout", NULL, "format", "--format xlsx", "option",
                              "-o FILE.xlsx", NULL);
    if ((due_soon || overdue) && (f.text || from || to || open_only || closed_only))
        return cli_usage_rule(c, "cli.due_combine", NULL, "option", "--due-soon", "other",
                              "--overdue", "others", "--text, --from, --to, --open, --closed",
                              NULL);
    if (at_arg && !due_soon && !overdue)
        return cli_usage_rule(c, "cli.needs", NULL, "option", "--at", "other_zh",
                              "--due-soon 或 --overdue", "other_en", "--due-soon or --overdue",
                              NULL);
    if ((due_soon || overdue) && format)
        return cli_usage_rule(c, "cli.due_export", NULL, "option", "--due-soon", "other",
                              "--overdue", "format", "--format", "json", "--json", NULL);
    if ((rc = cli_store_open(&s, c, 0, 1)) != CLI_OK)
        goto done;
    if ((rc = check_stage(c, s, f.workflow, f.stage)) != CLI_OK)
        goto done;
    if ((rc = check_severity(s, &ls.severity)) != CLI_OK)
        goto done;
    ls.c = c;
    words_load(&ls, s);
    /* Filters applied here see only what the engine passed: the limit must count after them. */
    if (ls.severity || ls.customer_like) {
        ls.limit = f.limit;
        f.limit = 0;
    }
    if (format) {
        if ((err = capa_plant_get(&plant, s)) != CAPA_OK) {
            rc = cli_fail(c, "list", err);
            goto done;
        }
        if ((rc = cli_sheet_open(&ls.sheet, format, output, c->lang, capa_plant_tz(plant),
                                 capa_plant_timezone(plant))) != CLI_OK)
            goto done;
    }
    if (c->json && !(ls.arr = json_array())) {
        rc = cli_oom(c, NULL);
        goto done;
    }
    if (due_soon || overdue) {
        due_state d = {&ls, &f, NULL, 0};
        if (f.limit)
            ls.limit = f.limit;
        ls.table.ncols = N_DUE_COLS;
        ls.table.max = due_col_max;
        if ((rc = cli_at_parse(&d.at, c, s, at_arg)) != CLI_OK)
            goto done;
        if ((err = capa_plant_get(&plant, s)) != CAPA_OK) {
            rc = cli_fail(c, "list", err);
            goto done;
        }
        d.p = plant;
        if (!c->json && add_due_headings(c, &ls.table) != 0) {
            rc = cli_oom(c, NULL);
            goto done;
        }
        err = capa_case_due_list(s, (due_soon ? CAPA_DUE_SOON : 0) | (overdue ? CAPA_DUE_OVERDUE : 0),
                                 d.at, add_due, &d);
    } else {
        if (!c->json && !format && add_headings(c, &ls.table) != 0) {
            rc = cli_oom(c, NULL);
            goto done;
        }
        err = ls.sheet || ls.limit || f.limit ? capa_case_list(s, &f, add_header, &ls)
                                              : list_parts(s, &f, &ls);
        if (err == CAPA_ERROR && ls.sheet) {
            rc = CLI_ERROR; /* the sheet said what failed */
            goto done;
        }
    }
    if (err != CAPA_OK && err != 1) {
        rc = cli_fail(c, "list", err);
        goto done;
    }
    if (ls.sheet) {
        rc = cli_sheet_close(ls.sheet, 1);
        ls.sheet = NULL;
        if (rc == CLI_OK && strcmp(output, "-") != 0) {
            char n[24];
            snprintf(n, sizeof n, "%zu", ls.rows);
            cli_note_rule(c, NULL, "cli.written", "count", n, "path", output, NULL);
        }
    } else if (ls.arr) {
        rc = cli_json_print(c, ls.arr);
        ls.arr = NULL;
    } else if (ls.rows == 0) {
        /* On stderr: stdout stays empty for scripts counting lines, a person still sees why. */
        fputs(c->lang == CLI_LANG_ZH   ? "没有符合条件的案件\n"
              : c->lang == CLI_LANG_EN ? "no cases match\n"
                                       : "no cases match / 没有符合条件的案件\n",
              stderr);
    } else {
        cli_table_print(stdout, &ls.table, "");
    }
done:
    cli_sheet_close(ls.sheet, 0);
    capa_plant_free(plant);
    json_decref(ls.arr);
    cli_table_free(&ls.table);
    capa_store_close(s);
    return rc;
}
