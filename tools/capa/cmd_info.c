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

/* Text: the organisation and everything else stored is printed escaped (cli_say_rule puts
 * the line through cli_put); each line in the chosen language (words17e). */
static void print_info(cli *c, capa_store *s, const capa_store_info *in, const capa_workflow *wf)
{
    char fmt[16], map[32], cases[32], events[32];
    snprintf(fmt, sizeof fmt, "%d", in->format_version);
    snprintf(map, sizeof map, "%zu", in->map_size >> 20);
    snprintf(cases, sizeof cases, "%llu", (unsigned long long)in->n_cases);
    snprintf(events, sizeof events, "%llu", (unsigned long long)in->n_events);
    cli_say_rule(c, "say.info_head", "program", "capa", "version", CAPA_VERSION, "path", c->db,
                 "format", fmt, "map", map, NULL);
    cli_say_rule(c, "say.info_org", "value", in->org ? in->org : "", NULL);
    cli_say_rule(c, "say.info_numbering", "value", in->number_pattern ? in->number_pattern : "",
                 NULL);
    cli_say_rule(c, "say.info_timezone", "value", in->timezone ? in->timezone : "UTC", NULL);
    cli_say_rule(c, "say.info_cases", "value", cases, NULL);
    cli_say_rule(c, "say.info_events", "value", events, NULL);
    if (in->head_hash[0])
        cli_say_rule(c, "say.info_chain", "value", in->head_hash, NULL);
    else
        cli_say_rule(c, "say.info_chain_empty", NULL);
    if (!wf)
        return;
    wf_list l = {s, c, in, NULL, 0};
    capa_store_workflows(s, workflow_cb, &l);
}

/* Role ids joined by ",". */
static void join_roles(char *buf, size_t sz, char *const *roles, size_t n)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && o < sz; i++)
        o += (size_t)snprintf(buf + o, sz - o, "%s%s", i ? "," : "", roles[i]);
}

static void print_workflow(cli *c, capa_store *s, const capa_store_info *in,
                           const capa_workflow *wf)
{
    char label[256], a[CLI_TEXT_MAX], ver[16];
    const char *pattern = wf->number_pattern ? wf->number_pattern : in->number_pattern;
    snprintf(ver, sizeof ver, "%d", wf->version);
    if (wf->label_zh || wf->label_en)
        cli_say_rule(c, "say.info_workflow", "id", wf->id, "version", ver, "pattern", pattern,
                     "label", cli_label(c, label, sizeof label, wf->label_zh, wf->label_en),
                     "label_zh", wf->label_zh ? wf->label_zh : wf->label_en, NULL);
    else
        cli_say_rule(c, "say.info_workflow", "id", wf->id, "version", ver, "pattern", pattern,
                     NULL);
    for (size_t i = 0; i < wf->n_stages; i++) {
        const capa_stage *st = &wf->stages[i];
        char editors[512], signers[512], fv[16];
        printf("  %zu. %-13s %s\n", i + 1, cli_text(a, sizeof a, st->id),
               cli_label(c, label, sizeof label, st->label_zh, st->label_en));
        snprintf(fv, sizeof fv, "%d", form_version(s, st));
        join_roles(editors, sizeof editors, st->editors, st->n_editors);
        join_roles(signers, sizeof signers, st->signers, st->n_signers);
        const char *meaning = st->sign_meaning ? st->sign_meaning : "-";
        const char *meaning_zh = st->sign_meaning_zh ? st->sign_meaning_zh : meaning;
        const char *form = st->form_id ? st->form_id : "-";
        if (st->reject_to)
            cli_say_rule(c, "say.info_stage", "form", form, "version", fv, "editors", editors,
                         "meaning", meaning, "meaning_zh", meaning_zh, "signers", signers, "reject",
                         st->reject_to, NULL);
        else
            cli_say_rule(c, "say.info_stage", "form", form, "version", fv, "editors", editors,
                         "meaning", meaning, "meaning_zh", meaning_zh, "signers", signers, NULL);
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
