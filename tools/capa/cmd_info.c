/*
 * cmd_info.c - `capa info`: what this database is: organisation, numbering, counts, the
 * audit chain head, and every workflow (the default complaint workflow first, then scar, ...)
 * with its stages and the current version of each form.
 */
#include "cli.h"

#include <stdio.h>

static int form_version(capa_store *s, const capa_stage *st)
{
    const capa_formdef *fd = NULL;
    if (!st->form_id || capa_store_form(&fd, s, st->form_id, 0) != CAPA_OK)
        return 0;
    return fd->version;
}

static json_t *roles_json(char *const *roles, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        if (cli_json_push(arr, cli_json_str(roles[i]))) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *stage_json(capa_store *s, const capa_stage *st)
{
    json_t *o = json_object(), *sign = NULL;
    if (!o || cli_json_set(o, "id", cli_json_str(st->id)) ||
        cli_json_set(o, "label", cli_json_label(st->label_zh, st->label_en)) ||
        cli_json_set(o, "form", cli_json_str(st->form_id)) ||
        cli_json_set(o, "form_version", json_integer(form_version(s, st))) ||
        cli_json_set(o, "editors", roles_json(st->editors, st->n_editors)) ||
        cli_json_set(o, "sign", sign = json_object()) ||
        cli_json_set(o, "reject_to", cli_json_str(st->reject_to)) ||
        cli_json_set(sign, "meaning", cli_json_str(st->sign_meaning)) ||
        cli_json_set(sign, "label", cli_json_label(st->sign_meaning_zh, st->sign_meaning_en)) ||
        cli_json_set(sign, "roles", roles_json(st->signers, st->n_signers)) ||
        cli_json_set(sign, "independent", json_boolean(st->sign_independent))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

typedef struct wf_list {
    capa_store *s;
    cli *c;
    const capa_store_info *in;
    json_t *arr; /* JSON, or NULL for text */
    int fail;
} wf_list;

static json_t *stages_json(capa_store *s, const capa_workflow *wf)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < wf->n_stages; i++) {
        if (cli_json_push(arr, stage_json(s, &wf->stages[i]))) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static void print_workflow(cli *c, capa_store *s, const capa_store_info *in,
                           const capa_workflow *wf);

static int workflow_cb(const capa_workflow *wf, void *payload)
{
    wf_list *l = payload;
    if (!l->arr) {
        print_workflow(l->c, l->s, l->in, wf);
        return 0;
    }
    json_t *o = json_object();
    if (!o || cli_json_push(l->arr, o) || cli_json_set(o, "id", cli_json_str(wf->id)) ||
        cli_json_set(o, "label", wf->label_zh || wf->label_en
                                     ? cli_json_label(wf->label_zh, wf->label_en)
                                     : json_null()) ||
        cli_json_set(o, "number_pattern",
                     cli_json_str(wf->number_pattern ? wf->number_pattern : l->in->number_pattern)) ||
        cli_json_set(o, "version", json_integer(wf->version)) ||
        cli_json_set(o, "stages", stages_json(l->s, wf))) {
        l->fail = 1;
        return 1;
    }
    return 0;
}

static json_t *info_json(cli *c, capa_store *s, const capa_store_info *in, const capa_workflow *wf)
{
    json_t *o = json_object(), *stages = NULL, *wfs = NULL;
    if (!o || cli_json_set(o, "capa_version", cli_json_str(CAPA_VERSION)) ||
        cli_json_set(o, "db", cli_json_str(c->db)) ||
        cli_json_set(o, "org", cli_json_str(in->org)) ||
        cli_json_set(o, "number_pattern", cli_json_str(in->number_pattern)) ||
        cli_json_set(o, "timezone", cli_json_str(in->timezone)) ||
        cli_json_set(o, "format_version", json_integer(in->format_version)) ||
        cli_json_set(o, "cases", json_integer((json_int_t)in->n_cases)) ||
        cli_json_set(o, "events", json_integer((json_int_t)in->n_events)) ||
        cli_json_set(o, "head", cli_json_str(in->head_hash)) ||
        cli_json_set(o, "map_size", json_integer((json_int_t)in->map_size)) ||
        cli_json_set(o, "workflow_version", wf ? json_integer(wf->version) : json_null()) ||
        cli_json_set(o, "stages", stages = json_array()))
        goto fail;
    for (size_t i = 0; wf && i < wf->n_stages; i++) {
        if (cli_json_push(stages, stage_json(s, &wf->stages[i])))
            goto fail;
    }
    if (cli_json_set(o, "workflows", wfs = json_array()))
        goto fail;
    wf_list l = {s, c, in, wfs, 0};
    if (capa_store_workflows(s, workflow_cb, &l) != CAPA_OK || l.fail)
        goto fail;
    return o;
fail:
    json_decref(o);
    return NULL;
}

static void print_roles(char *const *roles, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            putchar(',');
        cli_put(stdout, roles[i]);
    }
}

/* Text: the organisation and everything else stored is printed escaped (cli_text). */
static void print_info(cli *c, capa_store *s, const capa_store_info *in, const capa_workflow *wf)
{
    char a[CLI_TEXT_MAX];
    fputs("capa " CAPA_VERSION ", database ", stdout);
    cli_put(stdout, c->db);
    printf(" (format %d, map %zu MiB)\n", in->format_version, in->map_size >> 20);
    printf("organisation:   %s\n", cli_text(a, sizeof a, in->org));
    printf("numbering:      %s\n", cli_text(a, sizeof a, in->number_pattern));
    printf("time zone:      %s\n", cli_text(a, sizeof a, in->timezone ? in->timezone : "UTC"));
    printf("cases:          %llu\n", (unsigned long long)in->n_cases);
    printf("audit events:   %llu\n", (unsigned long long)in->n_events);
    printf("chain head:     %s\n",
           in->head_hash[0] ? cli_text(a, sizeof a, in->head_hash) : "(empty)");
    if (!wf)
        return;
    wf_list l = {s, c, in, NULL, 0};
    capa_store_workflows(s, workflow_cb, &l);
}

static void print_workflow(cli *c, capa_store *s, const capa_store_info *in,
                           const capa_workflow *wf)
{
    char label[256], a[CLI_TEXT_MAX];
    printf("workflow %s v%d", cli_text(a, sizeof a, wf->id), wf->version);
    if (wf->label_zh || wf->label_en)
        printf(" %s", cli_label(c, label, sizeof label, wf->label_zh, wf->label_en));
    printf(", numbering %s:\n",
           cli_text(a, sizeof a, wf->number_pattern ? wf->number_pattern : in->number_pattern));
    for (size_t i = 0; i < wf->n_stages; i++) {
        const capa_stage *st = &wf->stages[i];
        printf("  %zu. %-13s %s\n", i + 1, cli_text(a, sizeof a, st->id),
               cli_label(c, label, sizeof label, st->label_zh, st->label_en));
        printf("       form %s v%d; edit: ", cli_text(a, sizeof a, st->form_id ? st->form_id : "-"),
               form_version(s, st));
        print_roles(st->editors, st->n_editors);
        printf("; sign %s by ", cli_text(a, sizeof a, st->sign_meaning ? st->sign_meaning : "-"));
        print_roles(st->signers, st->n_signers);
        if (st->reject_to)
            printf("; reject -> %s", cli_text(a, sizeof a, st->reject_to));
        putchar('\n');
    }
}

int cmd_info(cli *c, int argc, char **argv)
{
    const cli_opt opts[] = {{"--json", NULL, &c->json}, {NULL, NULL, NULL}};
    int npos, rc, err;
    capa_store *s = NULL;
    capa_store_info info = {0};
    const capa_workflow *wf = NULL;

    CLI_PARSE(c, argc, argv, opts, &npos);
    if (npos > 0)
        return cli_unexpected(c, argv[0]);
    if ((rc = cli_store_open(&s, c, 0, 1)) != CLI_OK)
        goto done;
    if ((err = capa_store_info_get(&info, s)) != CAPA_OK) {
        rc = cli_fail(c, "info", err);
        goto done;
    }
    if (capa_store_workflow(&wf, s) != CAPA_OK)
        wf = NULL;
    if (c->json)
        rc = cli_json_print(c, info_json(c, s, &info, wf));
    else
        print_info(c, s, &info, wf);
done:
    capa_store_info_clear(&info);
    capa_store_close(s);
    return rc;
}
