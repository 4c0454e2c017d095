/*
 * cmd_form.c - `capa form check FILE|DIR...` and `capa form install FILE`: a plant's own form
 * or workflow definitions. check reports every problem as "file:line: reason" (the compiler
 * convention, so editors can jump to it); a directory is checked as a complete set (workflow
 * plus every stage's form, cross-checked). install stores the next version in the database.
 * `capa form show ID` prints what the stored form asks for, so nobody has to read its XML.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Definitions are small; anything larger is refused before it reaches the parser. */
#define MAX_DEFINITION (16u << 20)

/* One problem per line; a message may quote the file's text, so it is escaped. */
static void print_diag(const capa_diag *d)
{
    for (size_t i = 0; i < d->n; i++) {
        cli_put(stderr, d->msgs[i]);
        fputc('\n', stderr);
    }
}

/* "PATH: " to `out`, the path escaped (it is what the user typed). */
static void print_path(FILE *out, const char *path)
{
    cli_put(out, path);
    fputs(": ", out);
}

/* A directory is checked as a complete set: workflow.xml plus each stage's form. */
static int check_dir(const char *path)
{
    capa_diag d = {0};
    capa_definitions *defs = NULL;
    int err = capa_definitions_load(&defs, path, &d);
    if (err == CAPA_OK) {
        print_path(stdout, path);
        printf("ok (workflow and %zu stage forms)\n", defs->n_forms);
    } else if (d.n > 0) {
        print_diag(&d);
    } else {
        print_path(stderr, path);
        fprintf(stderr, "%s\n", capa_strerror(err));
    }
    capa_definitions_free(defs);
    capa_diag_clear(&d);
    return err == CAPA_OK ? CLI_OK : CLI_ERROR;
}

static int check_file(const char *path)
{
    int rc = CLI_ERROR, err, kind;
    char *xml = NULL, id[CLI_TEXT_MAX];
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
        if (d.n > 0) {
            print_diag(&d);
        } else {
            print_path(stderr, path);
            fprintf(stderr, "%s\n", capa_strerror(err));
        }
        goto done;
    }
    print_path(stdout, path);
    if (wf)
        printf("ok (workflow, %zu stages, %zu roles)\n", wf->n_stages, wf->n_roles);
    else
        printf("ok (form %s, %zu fields)\n", cli_text(id, sizeof id, fd->id), fd->n_fields);
    rc = CLI_OK;
done:
    capa_diag_clear(&d);
    capa_formdef_free(fd);
    capa_workflow_free(wf);
    free(xml);
    return rc;
}

static int check_one(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return check_dir(path);
    return check_file(path);
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
        if (check_one(argv[i]) != CLI_OK)
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
    print_path(stdout, argv[0]);
    printf("installed as version %d\n", version);
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
        fputs("capa: ", stderr);
        cli_put(stderr, what);
        fputs(version ? ": no such form or version; forms are:" : ": no such form; forms are:",
              stderr);
        for (size_t i = 0; i < wf->n_stages; i++) {
            fputc(' ', stderr);
            cli_put(stderr, wf->stages[i].form_id);
        }
        fputc('\n', stderr);
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
