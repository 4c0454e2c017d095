/*
 * cmd_import.c - `capa import --csv FILE | --xlsx FILE --map MAPPING`: a legacy Excel log
 * (客户投诉登记表) becomes cases. The tool parses options, loads the mapping, prints every
 * problem as "row N, column C, value 'V': RULE" on stderr, a progress bar when stderr is a
 * terminal, and the summary on stdout; reading, checking and committing are the sheets
 * library's and the engine's (sheets/import.c, core/import.c).
 *
 * `capa import --xml` (the XML case archive) is another reader with its own checks; it is
 * meant to be dispatched from the top of cmd_import to its own cmd_ file, before the sheet
 * options below are parsed.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capa_sheets.h"
#include "lang.h"

typedef struct out_state {
    uint64_t problems;
    int tty;
    int bar; /* a bar is on the line */
    int zh;  /* problems in 中文 (--lang zh, or the locale's) */
} out_state;

static void clear_bar(out_state *o)
{
    if (o->bar) {
        fputs("\r\033[K", stderr);
        o->bar = 0;
    }
}

static void on_problem(const capa_sheet_problem *p, void *payload)
{
    out_state *o = payload;
    char col[CLI_TEXT_MAX], val[CLI_TEXT_MAX], rule[CLI_TEXT_MAX];
    clear_bar(o);
    o->problems++;
    if (o->problems > 1000) {
        if (o->problems == 1001)
            cli_note_rule(NULL, "import", "cli.import_more", "count", "1000", NULL);
        return;
    }
    char *zh = o->zh ? capa_lang_rule(p->rule_id, p->column, p->value, p->params, p->n_params,
                                      CAPA_LANG_ZH, 0)
                     : NULL;
    if (zh) { /* 中文: the row, the column, and the rule worded by the catalogue */
        fprintf(stderr, "capa: import: 第 %llu 行", (unsigned long long)p->row);
        if (*p->column)
            fprintf(stderr, "，“%s”列", cli_text(col, sizeof col, p->column));
        fprintf(stderr, "：%s\n", cli_text(rule, sizeof rule, zh));
        free(zh);
        return;
    }
    fprintf(stderr, "capa: import: row %llu", (unsigned long long)p->row);
    if (*p->column)
        fprintf(stderr, ", column %s", cli_text(col, sizeof col, p->column));
    if (*p->value)
        fprintf(stderr, ", value '%s'", cli_text(val, sizeof val, p->value));
    fprintf(stderr, ": %s\n", cli_text(rule, sizeof rule, p->rule));
}

static void on_ignored(const char *what, void *payload)
{
    char buf[CLI_TEXT_MAX];
    clear_bar(payload);
    cli_note_rule(NULL, "import", "cli.import_ignored", "what", cli_text(buf, sizeof buf, what),
                  NULL);
}

static void on_progress(int pass, uint64_t done, uint64_t total, void *payload)
{
    out_state *o = payload;
    if (!o->tty)
        return;
    if (pass == 1 || !total) {
        fprintf(stderr, "\r检查 checking  %llu rows", (unsigned long long)done);
    } else {
        int w = 30, fill = (int)(done * (uint64_t)w / total);
        if (fill > w)
            fill = w;
        fprintf(stderr, "\r导入 importing [%.*s%*s] %llu/%llu", fill,
                "##############################", w - fill, "", (unsigned long long)done,
                (unsigned long long)total);
    }
    o->bar = 1;
    fflush(stderr);
}

int cmd_import(cli *c, int argc, char **argv)
{
    const char *csv = NULL, *xlsx = NULL, *map = NULL, *enc = NULL, *rejects = NULL,
               *sheet = NULL, *batch = NULL;
    int dry = 0, resume = 0;
    const cli_opt opts[] = {CLI_OPTS_ACTOR(c),
                            {"--csv", &csv, NULL},
                            {"--xlsx", &xlsx, NULL},
                            {"--map", &map, NULL},
                            {"--encoding", &enc, NULL},
                            {"--sheet", &sheet, NULL},
                            {"--skip-invalid", &rejects, NULL},
                            {"--dry-run", NULL, &dry},
                            {"--resume", NULL, &resume},
                            {"--batch", &batch, NULL},
                            {NULL, NULL, NULL}};
    int npos, rc;
    capa_store *s = NULL;
    capa_mapping *m = NULL;
    char *password = NULL;
    capa_diag diag = {0};
    out_state o = {0, isatty(2), 0, 0};

    /* `import --xml` takes a case archive (cmd_import_xml.c); the rest is a legacy sheet. */
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--xml") == 0 || strncmp(argv[i], "--xml=", 6) == 0)
            return cmd_import_xml(c, argc, argv);
    CLI_PARSE(c, argc, argv, opts, &npos);
    int lang = c->lang_arg ? capa_lang_parse(c->lang_arg) : (int)capa_lang_from_env();
    o.zh = lang == CAPA_LANG_ZH;
    if (npos)
        return cli_unexpected(c, argv[0]);
    if (!!csv + !!xlsx != 1)
        return cli_usage_rule(c, "cli.sheet_source", NULL, "csv", "--csv FILE", "xlsx",
                              "--xlsx FILE", "xml", "--xml FILE", NULL);
    if (!map)
        return cli_usage_rule(c, "cli.map", NULL, "option", "--map MAPPING", "shipped", "register",
                              NULL);
    capa_refusal_param enc_p[] = {{"option", "--encoding"}};
    if (enc && xlsx)
        return cli_usage_refuse(c, "cli.encoding_xlsx", "", enc_p, 1,
                                "--encoding is for CSV files (xlsx is always Unicode)");
    if (enc && strcmp(enc, "utf-8") != 0 && strcmp(enc, "gb18030") != 0 &&
        strcmp(enc, "gbk") != 0) {
        char english[CLI_TEXT_MAX + 100], v[CLI_TEXT_MAX];
        snprintf(english, sizeof english,
                 "--encoding '%s': utf-8 or gb18030 (gbk, which it contains, is read as gb18030)",
                 cli_text(v, sizeof v, enc));
        return cli_usage_refuse(c, "import.encoding", enc, enc_p, 1, english);
    }
    if (sheet && csv)
        return cli_usage_rule(c, "cli.sheet_xlsx", NULL, "option", "--sheet", NULL);
    char *end = NULL;
    long nb = batch ? strtol(batch, &end, 10) : 10000;
    if (batch && (*end || nb < 1 || nb > 100000))
        return cli_usage_rule(c, "cli.range", batch, "option", "--batch", "unit", "rows", "min",
                              "1", "max", "100000", NULL);
    if ((rc = cli_require_actor(c)) != CLI_OK)
        return rc;
    /* The mapping first: a broken one is answered before any password is asked. */
    int err = capa_mapping_load(&m, map, &diag);
    if (err) {
        int lang = c->lang_arg ? capa_lang_parse(c->lang_arg) : (int)capa_lang_from_env();
        for (size_t i = 0; i < diag.n; i++) {
            /* each problem as the catalogue words it (xml.*), else the parser's own text */
            char *t = capa_lang_diag_item(&diag, i, (capa_lang)lang, 0);
            cli_error("import", "%s", t ? t : diag.msgs[i]);
            free(t);
        }
        if (!diag.n)
            cli_fail(c, "import", err);
        rc = CLI_ERROR;
        goto done;
    }
    if ((rc = cli_read_actor_password(&password, c)) != CLI_OK ||
        (rc = cli_store_open(&s, c, 0, 0)) != CLI_OK)
        goto done;
    capa_sheet_import_opts io = {.path = csv ? csv : xlsx,
                                 .xlsx = xlsx != NULL,
                                 .encoding = enc,
                                 .sheet = sheet,
                                 .map = m,
                                 .dry_run = dry,
                                 .rejects_path = rejects,
                                 .batch = (size_t)nb,
                                 .resume = resume,
                                 .problem = on_problem,
                                 .progress = on_progress,
                                 .ignored = on_ignored,
                                 .payload = &o};
    capa_sheet_import_result res;
    capa_actor who = {c->as, password};
    err = capa_sheet_import(&res, s, &who, &io);
    clear_bar(&o);
    if (err) {
        rc = cli_fail(c, "import", err);
        goto done;
    }
    /* The summary, worded in the chosen language (say.import_*); the counts as text. */
    char k1[24], k2[24], k3[24], range[2 * CLI_TEXT_MAX];
#define U(b, v) (snprintf(b, sizeof b, "%llu", (unsigned long long)(v)), b)
    if (resume && !res.complete)
        cli_say_rule(c, "say.import_resumes", "path", io.path, "row", U(k1, res.after_row),
                     "before", U(k2, res.before), "run", U(k3, res.run), NULL);
    if (res.complete) {
        cli_say_rule(c, "say.import_done_before", "path", io.path, "before", U(k1, res.before),
                     "row", U(k2, res.last_row), NULL);
    } else if (dry) {
        cli_say_rule(c, "say.import_dry", "path", io.path, "rows", U(k1, res.rows), "bad",
                     U(k2, res.bad), "option", "--dry-run", NULL);
    } else {
        snprintf(range, sizeof range, "%s%s%s", res.first, res.imported > 1 ? " … " : "",
                 res.imported > 1 ? res.last : "");
        int rj = rejects && res.bad;
        cli_say_rule(c, "say.import_done", "path", io.path, "count", U(k1, res.imported),
                     "closed", U(k2, res.closed), "range", range, "bad", U(k3, res.bad),
                     "rejects", rj ? rejects : "", "parts",
                     res.imported ? (rj ? "both" : "range") : (rj ? "rejects" : "none"), NULL);
    }
#undef U
    printf("source sha256 %s", res.info.sha256);
    if (csv)
        printf(", %s%s, delimiter %s", res.info.encoding, res.info.bom ? " with BOM" : "",
               res.info.delim == '\t' ? "tab" : res.info.delim == ';' ? "';'" : "','");
    putchar('\n');
done:
    capa_diag_clear(&diag);
    capa_mapping_free(m);
    cli_secret_free(password);
    capa_store_close(s);
    return rc;
}
