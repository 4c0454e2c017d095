/*
 * cmd_list.c - `capa list`: cases matching filters, in number order, from the small header
 * record core/ keeps per case (so listing never decodes whole cases).
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        cli_json_set(o, "stage_entered", cli_json_time(h->stage_entered))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int push_header(const capa_case_header *h, void *payload)
{
    return cli_json_push(payload, header_json(h)) == 0 ? 0 : CAPA_ENOMEM;
}

static const char *or_dash(const char *s)
{
    return s && *s ? s : "-";
}

/* Up to `max` code points of s (descriptions are free text; a list line stays short), line
 * breaks and tabs as spaces, everything else escaped. */
static void print_clipped(const char *s, size_t max)
{
    size_t cps = 0;
    const char *p = s;
    for (; *p && cps < max; cps++) {
        p++;
        while ((*p & 0xC0) == 0x80)
            p++;
    }
    cli_put_text(stdout, s, (size_t)(p - s), CLI_TEXT_FLAT, 0);
    if (*p)
        fputs("…", stdout);
}

/* One case per line; every column is stored text, printed escaped (cli_text). */
static int print_header(const capa_case_header *h, void *payload)
{
    char day[40], num[CLI_TEXT_MAX], stage[CLI_TEXT_MAX], cust[CLI_TEXT_MAX], part[CLI_TEXT_MAX];
    char defect[CLI_TEXT_MAX], sev[CLI_TEXT_MAX];
    size_t *rows = payload;
    /* The column heading comes with the first row: no match prints nothing at all. */
    if ((*rows)++ == 0)
        printf("%-14s %-12s %-6s %-10s  %s\n", "NUMBER", "STAGE", "STATUS", "OPENED",
               "CUSTOMER  PART  DEFECT  SEVERITY  DESCRIPTION");
    capa_time_format(day, sizeof day, h->opened);
    day[10] = '\0';
    printf("%-14s %-12s %-6s %s  %s  %s  %s  %s  ", cli_text(num, sizeof num, h->number),
           cli_text(stage, sizeof stage, h->stage), h->closed ? "closed" : "open", day,
           cli_text(cust, sizeof cust, or_dash(h->customer)),
           cli_text(part, sizeof part, or_dash(h->part_no)),
           cli_text(defect, sizeof defect, or_dash(h->defect_code)),
           cli_text(sev, sizeof sev, or_dash(h->severity)));
    print_clipped(h->description ? h->description : "", 30);
    putchar('\n');
    return 0;
}

/* Turn the textual filter options into a capa_filter; usage errors are printed. */
static int build_filter(cli *c, capa_filter *f, const char *from, const char *to, const char *limit,
                        int open_only, int closed_only)
{
    if (open_only && closed_only)
        return cli_usage(c, "--open and --closed exclude each other");
    f->closed = open_only ? 0 : closed_only ? 1 : -1;
    if (from && cli_parse_date(&f->opened_from, from) != 0)
        return cli_usage(c, "--from '%s' is not a date YYYY-MM-DD", from);
    if (to) {
        if (cli_parse_date(&f->opened_to, to) != 0)
            return cli_usage(c, "--to '%s' is not a date YYYY-MM-DD", to);
        f->opened_to += 24LL * 3600 * 1000; /* --to is inclusive: up to the end of that day */
    }
    if (limit) {
        char *end;
        unsigned long long n = strtoull(limit, &end, 10);
        if (!*limit || *end || limit[0] == '-' || n == 0)
            return cli_usage(c, "--limit '%s' is not a positive number", limit);
        f->limit = (size_t)n;
    }
    return CLI_OK;
}

/* An unknown --stage would silently match nothing; say so instead. */
static int check_stage(capa_store *s, const char *stage)
{
    const capa_workflow *wf = NULL;
    if (!stage || capa_store_workflow(&wf, s) != CAPA_OK || capa_workflow_stage(wf, stage))
        return CLI_OK;
    fputs("capa: list: unknown stage '", stderr);
    cli_put(stderr, stage);
    fputs("'; stages are:", stderr);
    for (size_t i = 0; i < wf->n_stages; i++) {
        fputc(' ', stderr);
        cli_put(stderr, wf->stages[i].id);
    }
    fputc('\n', stderr);
    return CLI_USAGE;
}

int cmd_list(cli *c, int argc, char **argv)
{
    capa_filter f = {0};
    const char *from = NULL, *to = NULL, *limit = NULL;
    int open_only = 0, closed_only = 0;
    const cli_opt opts[] = {
        {"--stage", &f.stage, NULL},
        {"--customer", &f.customer, NULL},
        {"--part", &f.part_no, NULL},
        {"--defect", &f.defect_code, NULL},
        {"--text", &f.text, NULL},
        {"--open", NULL, &open_only},
        {"--closed", NULL, &closed_only},
        {"--from", &from, NULL},
        {"--to", &to, NULL},
        {"--limit", &limit, NULL},
        {"--json", NULL, &c->json},
        {NULL, NULL, NULL},
    };
    int npos, rc, err;
    size_t rows = 0;
    capa_store *s = NULL;
    json_t *arr = NULL;

    CLI_PARSE(c, argc, argv, opts, &npos);
    if (npos > 0)
        return cli_usage(c, "unexpected argument '%s'", argv[0]);
    if ((rc = build_filter(c, &f, from, to, limit, open_only, closed_only)) != CLI_OK)
        return rc;
    if ((rc = cli_store_open(&s, c, 0, 1)) != CLI_OK)
        goto done;
    if ((rc = check_stage(s, f.stage)) != CLI_OK)
        goto done;
    if (c->json) {
        if (!(arr = json_array())) {
            rc = cli_error(c->cmd, "out of memory");
            goto done;
        }
        err = capa_case_list(s, &f, push_header, arr);
    } else {
        err = capa_case_list(s, &f, print_header, &rows);
    }
    if (err != CAPA_OK) {
        rc = cli_fail(c, "list", err);
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
