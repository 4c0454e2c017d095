/*
 * cmd_form.c - `capa form check FILE|DIR...` and `capa form install FILE`: a plant's own form
 * or workflow definitions. check reports every problem as "file:line: reason" (the compiler
 * convention, so editors can jump to it); a directory is checked as a complete set (workflow
 * plus every stage's form, cross-checked). install stores the next version in the database.
 * `capa form show ID` prints what the stored form asks for, so nobody has to read its XML.
 */
#include "cli.h"
#include "lang.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Definitions are small; anything larger is refused before it reaches the parser. */
#define MAX_DEFINITION (16u << 20)

/* One problem per line; a message may quote the file's text, so it is escaped. */
/* Each problem "file:line: reason" on its line: in English the parser's own (scripts read
 * them), in 中文 worded from its rule and data (tools/lang), one line each when both. */
static void print_diag(const cli *c, const capa_diag *d)
{
    int lang = c->lang_arg ? capa_lang_parse(c->lang_arg) : (int)capa_lang_from_env();
    for (size_t i = 0; i < d->n; i++) {
        if (lang != CAPA_LANG_EN) {
            char *t = capa_lang_diag_item(d, i, CAPA_LANG_ZH, 0);
            cli_put(stderr, t ? t : d->msgs[i]);
            fputc('\n', stderr);
            free(t);
        }
        if (lang != CAPA_LANG_ZH) {
            cli_put(stderr, d->msgs[i]);
            fputc('\n', stderr);
        }
    }
}

/* A definition refused without problems of its own (it could not be read): what kind of
 * error, in the chosen language. */
static void print_failed(const cli *c, const char *path, int err)
{
    cli_error_rule(c, NULL, "cli.form_failed", "path", path, "detail", capa_strerror(err),
                   "kind", capa_lang_code(err), NULL);
}

/* A directory is checked as a complete set: workflow.xml plus each stage's form. */
static int check_dir(const cli *c, const char *path)
{
    capa_diag d = {0};
    capa_definitions *defs = NULL;
    int err = capa_definitions_load(&defs, path, &d);
    if (err == CAPA_OK) {
        char n[24];
        snprintf(n, sizeof n, "%zu", defs->n_forms);
        cli_say_rule(c, "say.form_ok_dir", "path", path, "forms", n, NULL);
    } else if (d.n > 0) {
        print_diag(c, &d);
    } else {
        print_failed(c, path, err);
    }
    capa_definitions_free(defs);
    capa_diag_clear(&d);
    return err == CAPA_OK ? CLI_OK : CLI_ERROR;
}

static int check_file(const cli *c, const char *path)
{
    int rc = CLI_ERROR, err, kind;
    char *xml = NULL;
    size_t len = 0;
    capa_diag d = {0};
    capa_formdef *fd = NULL;
    capa_workflow *wf = NULL;

    if (cli_read_file(&xml, &len, path, MAX_DEFINITION, NULL) != CLI_OK)
        goto done;
    /* The root element says which schema applies; anything else is parsed as a form so the
     * parser's own diagnostics (not well-formed, DOCTYPE, ...) are what the user sees. */
    kind = capa_form_doc_kind(xml, len);
    if (kind == CAPA_DOC_WORKFLOW)
        err = capa_workflow_parse(&wf, xml, len, path, &d);
    else if (kind >= 0)
        err = capa_formdef_parse(&fd, xml, len, path, &d);
    else
        err = kind;
    if (err != CAPA_OK) {
        if (d.n > 0)
            print_diag(c, &d);
        else
            print_failed(c, path, err);
        goto done;
    }
    char n1[24], n2[24];
    if (wf) {
        snprintf(n1, sizeof n1, "%zu", wf->n_stages);
        snprintf(n2, sizeof n2, "%zu", wf->n_roles);
        cli_say_rule(c, "say.form_ok_workflow", "path", path, "stages", n1, "roles", n2, NULL);
    } else {
        snprintf(n1, sizeof n1, "%zu", fd->n_fields);
        cli_say_rule(c, "say.form_ok_form", "path", path, "form", fd->id, "fields", n1, NULL);
    }
    rc = CLI_OK;
done:
    capa_diag_clear(&d);
    capa_formdef_free(fd);
    capa_workflow_free(wf);
    free(xml);
    return rc;
}

static int check_one(const cli *c, const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return check_dir(c, path);
    return check_file(c, path);
}

int cmd_form_check(cli *c, int argc, char **argv)
{
    int npos, rc = CLI_OK;
    const cli_opt opts[] = {{NULL, NULL, NULL}};
    CLI_PARSE(c, argc, argv, opts, &npos);
    if (npos == 0)
        return cli_usage_rule(c, "cli.file_some", NULL, NULL);
    if (capa_form_init() != CAPA_OK)
        return cli_fail(c, "form check", CAPA_ERROR);
    for (int i = 0; i < npos; i++) {
        if (check_one(c, argv[i]) != CLI_OK)
            rc = CLI_ERROR;
    }
    return rc;
}

int cmd_form_install(cli *c, int argc, char **argv)
{
    const cli_opt opts[] = {CLI_OPTS_ACTOR(c), {NULL, NULL, NULL}};
    int npos, rc, err, version = 0;
    capa_store *s = NULL;
    char *xml = NULL, *password = NULL, what[300];
    size_t len = 0;

    CLI_PARSE(c, argc, argv, opts, &npos);
    if ((rc = cli_require_actor(c)) != CLI_OK)
        return rc;
    if (npos != 1)
        return cli_usage_rule(c, "cli.file_one", NULL, NULL);
    if ((rc = cli_read_file(&xml, &len, argv[0], MAX_DEFINITION, NULL)) != CLI_OK)
        goto done;
    if ((rc = cli_open_as(&s, &password, c)) != CLI_OK)
        goto done;
    capa_actor who = {c->as, password};
    err = capa_form_install(s, &who, xml, len, argv[0], &version);
    if (err != CAPA_OK) {
        snprintf(what, sizeof what, "form install %s", argv[0]);
        rc = cli_fail(c, what, err);
        goto done;
    }
    char ver[16];
    snprintf(ver, sizeof ver, "%d", version);
    cli_say_rule(c, "say.form_installed", "path", argv[0], "version", ver, NULL);
done:
    cli_secret_free(password);
    capa_store_close(s);
    free(xml);
    return rc;
}

int cmd_form_show(cli *c, int argc, char **argv)
{
    const char *version = NULL;
    const cli_opt opts[] = {{"--version", &version, NULL},
                            {"--json", NULL, &c->json},
                            {"--lang", &c->lang_arg, NULL},
                            {NULL, NULL, NULL}};
    int npos, rc, err, v = 0;
    capa_store *s = NULL;
    const capa_formdef *fd = NULL;
    const capa_workflow *wf = NULL;
    char what[CLI_TEXT_MAX + 32];

    CLI_PARSE(c, argc, argv, opts, &npos);
    if (npos != 1)
        return cli_usage_rule(c, "cli.form_one", NULL, NULL);
    if (version) {
        char *end;
        long n = strtol(version, &end, 10);
        if (!*version || *end || n < 1 || n > 1000000)
            return cli_usage_rule(c, "cli.positive", version, "option", "--version", NULL);
        v = (int)n;
    }
    if ((rc = cli_store_open(&s, c, 0, 1)) != CLI_OK)
        goto done;
    if ((err = capa_store_form(&fd, s, argv[0], v)) != CAPA_OK) {
        snprintf(what, sizeof what, "form show %s", argv[0]);
        if (err != CAPA_ENOTFOUND || capa_store_workflow(&wf, s) != CAPA_OK) {
            rc = cli_fail(c, what, err);
            goto done;
        }
        /* Name the forms there are: the id is usually the stage's. */
        char ids[1024] = "", zh[1024] = "";
        size_t ni = 0, nz = 0;
        for (size_t i = 0; i < wf->n_stages && ni < sizeof ids && nz < sizeof zh; i++) {
            ni += (size_t)snprintf(ids + ni, sizeof ids - ni, " %s", wf->stages[i].form_id);
            nz += (size_t)snprintf(zh + nz, sizeof zh - nz, "%s“%s”", i ? "、" : "",
                                   wf->stages[i].form_id);
        }
        cli_error_rule(c, what, version ? "cli.no_form_version" : "cli.no_form", "forms", ids,
                       "forms_zh", zh, NULL);
        rc = CLI_ERROR;
        goto done;
    }
    if (c->json)
        rc = cli_json_print(c, cli_form_json(fd));
    else if ((rc = cli_form_print(c, fd)) == CLI_OK)
        cli_form_print_hint(c, fd);
done:
    capa_store_close(s);
    return rc;
}
