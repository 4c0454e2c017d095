/*
 * init.c - creating a store (organisation, numbering, default definitions, first admin),
 * installing new versions of forms and of the workflow, and store information.
 *
 * Definitions are stored by (id, version) and never overwritten: a case's stage record names
 * the version it was filled with, so an old case reads with its old form forever.
 */
#include <stdio.h>
#include <string.h>

#include "refusal.h"
#include "apply.h"
#include "codec.h"
#include "commit.h"
#include "event.h"
#include "users.h"

int capa_user__commit_add(capa_wtxn *t, const char *actor, const capa_user_rec *u, int authed);

/* A definition as an event fact "def:ID:VERSION" = its XML. */
static void def_fact(capa_event_rec *e, const char *id, int version, const char *xml, size_t len)
{
    char key[240];
    char *copy = capa__strndup(xml, len);
    snprintf(key, sizeof key, "def:%s:%d", id, version);
    if (!copy)
        e->oom = 1;
    else
        capa_event__fact(e, key, copy);
    capa__free(copy);
}

static int diag_error(int err, capa_diag *diag, const char *what)
{
    char *msg = capa_diag_join(diag, "; ");
    if (err == CAPA_ENOMEM) {
        err = capa_error_set(err, "%s: %s", what, msg && *msg ? msg : capa_strerror(err));
    } else {
        /* The definition's own problems, as the validator states them (line and rule). */
        err = capa__refuse(CAPA_EINVALID, "form.invalid", NULL, NULL, "%s: %s", what,
                           msg && *msg ? msg : capa_strerror(err));
        capa__refusal_param("count", "%zu", diag->n ? diag->n : 1);
        capa__refusal_param("detail", "%s", msg && *msg ? msg : "");
        capa__refusal_diag_items(diag);
    }
    capa__free(msg);
    capa_diag_clear(diag);
    return err;
}

/* The forms of a definition set as event facts, once each: two stages, or two workflows
 * (sets[0..n_before-1] went first), may share a form; a form id two workflows define
 * differently is refused. */
static int add_forms(capa_event_rec *e, const capa_definitions *d, capa_definitions **sets,
                     size_t n_before)
{
    for (size_t i = 0; i < d->n_forms; i++) {
        const capa_formdef *f = d->forms[i];
        char key[240];
        int dup = 0;
        for (size_t j = 0; j < i; j++)
            dup |= strcmp(d->forms[j]->id, f->id) == 0;
        for (size_t k = 0; k < n_before && !dup; k++)
            for (size_t j = 0; j < sets[k]->n_forms && !dup; j++)
                if (strcmp(sets[k]->forms[j]->id, f->id) == 0) {
                    if (sets[k]->forms[j]->source_len != f->source_len ||
                        memcmp(sets[k]->forms[j]->source, f->source, f->source_len) != 0)
                        return capa_error_set(CAPA_EINVALID,
                                              "init: definitions: form `%s` of workflow `%s` "
                                              "differs from the one workflow `%s` uses",
                                              f->id, d->workflow->id, sets[k]->workflow->id);
                    dup = 1;
                }
        if (dup)
            continue;
        snprintf(key, sizeof key, "form:%s", f->id);
        capa_event__change(e, key, NULL, "1");
        def_fact(e, f->id, 1, f->source, f->source_len);
    }
    return CAPA_OK;
}

typedef struct init_arg {
    const capa_init_opts *o;
} init_arg;

static int do_init(capa_wtxn *t, void *arg)
{
    const capa_init_opts *o = ((init_arg *)arg)->o;
    capa_store *s = t->s;
    capa_definitions *defs = NULL;
    capa_user_rec admin = {0};
    capa_diag diag = {0};
    capa_event_rec e = {0};
    char **extra = NULL;
    size_t n_extra = 0;
    capa_definitions **sets = NULL;
    const char *pattern = o->number_pattern ? o->number_pattern : "QC-{YYYY}-{NNNN}";
    uint64_t fmt;
    int err = capa_meta__get_u64(s, t->txn, "format", &fmt);
    if (err == CAPA_OK)
        return capa__refuse(CAPA_EEXISTS, "init.exists", NULL, NULL,
                            "init %s: store already initialised", s->dir);
    if (err != CAPA_ENOTFOUND)
        return err;
    if (!o->org || !*o->org || strlen(o->org) > 200) {
        int err_ = capa__refuse(CAPA_EINVALID, "init.org", "org", o->org ? o->org : "",
                                "init: --org '%.60s': organisation name must be 1 "
                                "to 200 bytes",
                                o->org ? o->org : "");
        capa__refusal_param("max", "200");
        return err_;
    }
    if ((err = capa__line_check("init: --org", "org", o->org)) != CAPA_OK ||
        (err = capa__number_pattern_check(pattern)) != CAPA_OK)
        return err;
    const char *zone = o->timezone ? o->timezone : "UTC";
    capa_tz *tz = NULL;
    if ((err = capa_tz_load(&tz, zone)) != CAPA_OK) {
        char why[512];
        snprintf(why, sizeof why, "%s", capa_error_last());
        return capa__error_wrap(err, "init: --timezone: %s", why);
    }
    capa_tz_free(tz);
    if ((err = capa_definitions_load(&defs, o->forms_dir, &diag)) != CAPA_OK) {
        err = diag_error(err, &diag, "init: definitions");
        goto done;
    }
    const capa_workflow *wf = defs->workflow;
    capa_event__init(&e, o->admin_user ? o->admin_user : "admin", "init", NULL, NULL, NULL);
    capa_event__change(&e, "org", NULL, o->org);
    capa_event__change(&e, "number_pattern", NULL, pattern);
    capa_event__change(&e, "form:workflow", NULL, "1");
    capa_event__factf(&e, "format", "%d", CAPA_FORMAT_VERSION);
    capa_event__fact(&e, "org", o->org);
    capa_event__fact(&e, "pattern", pattern);
    capa_event__change(&e, "timezone", NULL, zone);
    capa_event__fact(&e, "timezone", zone);
    def_fact(&e, CAPA_WORKFLOW_ID, 1, wf->source, wf->source_len);
    /* The built-in working-day calendars (PRC, forms/calendar-YYYY.xml), checked like any
     * calendar a plant installs. */
    for (const capa_embedded_file *ef = capa_form_embedded(); ef->name; ef++) {
        capa_calendar *cal = NULL;
        char id[32];
        if (strncmp(ef->name, "calendar-", 9) != 0)
            continue;
        if ((err = capa_calendar_parse(&cal, ef->data, ef->len, ef->name, &diag)) != CAPA_OK) {
            err = diag_error(err, &diag, "init: calendars");
            goto done;
        }
        snprintf(id, sizeof id, "calendar-%d", cal->year);
        capa_calendar_free(cal);
        char key[48];
        snprintf(key, sizeof key, "form:%s", id);
        capa_event__change(&e, key, NULL, "1");
        def_fact(&e, id, 1, ef->data, ef->len);
    }
    if ((err = add_forms(&e, defs, NULL, 0)) != CAPA_OK)
        goto done;
    /* Further workflows (workflow-ID.xml: scar, ...), each with its forms. */
    if ((err = capa_definitions_extra(&extra, &n_extra, o->forms_dir)) != CAPA_OK) {
        err = capa_error_set(err, "init: definitions: out of memory");
        goto done;
    }
    if (n_extra && !(sets = capa__calloc(n_extra + 1, sizeof *sets))) {
        err = capa_error_set(CAPA_ENOMEM, "init: definitions: out of memory");
        goto done;
    }
    if (sets)
        sets[0] = defs;
    for (size_t i = 0; i < n_extra; i++) {
        capa_definitions *x = NULL;
        if ((err = capa_definitions_load_file(&x, o->forms_dir, extra[i], &diag)) != CAPA_OK) {
            err = diag_error(err, &diag, "init: definitions");
            goto done;
        }
        sets[i + 1] = x;
        char want[200], def[160], key[240];
        snprintf(want, sizeof want, "workflow-%s.xml", x->workflow->id);
        if (strcmp(want, extra[i]) != 0 || strcmp(x->workflow->id, CAPA_WORKFLOW_DEFAULT) == 0) {
            err = capa_error_set(CAPA_EINVALID,
                                 "init: definitions: %s: workflow id `%s` does not match the "
                                 "file name (workflow-ID.xml, ID not `%s`)",
                                 extra[i], x->workflow->id, CAPA_WORKFLOW_DEFAULT);
            goto done;
        }
        if ((err = capa__number_pattern_check(x->workflow->number_pattern)) != CAPA_OK)
            goto done;
        capa_store__workflow_def_id(def, sizeof def, x->workflow->id);
        snprintf(key, sizeof key, "form:%s", def);
        capa_event__change(&e, key, NULL, "1");
        def_fact(&e, def, 1, x->workflow->source, x->workflow->source_len);
        if ((err = add_forms(&e, x, sets, i + 1)) != CAPA_OK)
            goto done;
    }
    if ((err = capa_user__make(s, t->txn, &admin, o->admin_user ? o->admin_user : "admin", "admin",
                               o->admin_name ? o->admin_name : "Administrator", "",
                               o->admin_password, t->now)) ||
        (err = capa_event__commit(t, &e, NULL)))
        goto done;
    err = capa_user__commit_add(t, admin.u.id, &admin, 0);
done:
    capa_event__clear(&e);
    capa_user_rec_clear(&admin);
    for (size_t i = 0; i < n_extra; i++) {
        if (sets)
            capa_definitions_free(sets[i + 1]);
        capa__free(extra[i]);
    }
    capa__free(extra);
    capa__free(sets);
    capa_definitions_free(defs);
    capa_diag_clear(&diag);
    return err;
}

int capa_store_init(capa_store *s, const capa_init_opts *opts)
{
    init_arg a = {opts};
    if (!opts)
        return capa_error_set(CAPA_EINVALID, "init: no options");
    return capa_store__write(s, NULL, do_init, &a);
}

/* ---- installing definitions ---- */

/* Cross-check a workflow with the newest form of each stage, `replaced` standing in for the
 * stored form of the same id: an install must leave a complete, consistent set. */
static int check_set(capa_store *s, MDB_txn *txn, const capa_workflow *wf,
                     const capa_formdef *replaced, const char *name)
{
    capa_diag diag = {0};
    const capa_formdef **forms = capa__calloc(wf->n_stages, sizeof *forms);
    int err = forms ? CAPA_OK : capa_error_set(CAPA_ENOMEM, "out of memory");
    for (size_t i = 0; !err && i < wf->n_stages; i++) {
        if (replaced && strcmp(replaced->id, wf->stages[i].form_id) == 0) {
            forms[i] = replaced;
        } else if ((err = capa_store__form(&forms[i], s, txn, wf->stages[i].form_id, 0))) {
            if (err == CAPA_ENOTFOUND) {
                err = capa__refuse(CAPA_EINVALID, "form.stage_form_missing", "form",
                                   wf->stages[i].form_id,
                                   "form install %s: stage %s uses form '%s', which is not "
                                   "installed; install the form first",
                                   name, wf->stages[i].id, wf->stages[i].form_id);
                capa__refusal_param("stage", "%s", wf->stages[i].id);
            }
        }
    }
    if (!err && (err = capa_workflow_check_forms(wf, forms, wf->n_stages, &diag)) != CAPA_OK)
        err = diag_error(err, &diag, name);
    capa__free(forms);
    capa_diag_clear(&diag);
    return err;
}

typedef struct form_use {
    capa_wtxn *t;
    const capa_formdef *f;
    const char *name;
    int used;
} form_use;

static int form_use_cb(const capa_workflow *wf, void *payload)
{
    form_use *fu = payload;
    int used = 0;
    for (size_t i = 0; i < wf->n_stages; i++)
        used |= strcmp(wf->stages[i].form_id, fu->f->id) == 0;
    fu->used |= used;
    return used ? check_set(fu->t->s, fu->t->txn, wf, fu->f, fu->name) : 0;
}

typedef struct install_arg {
    const char *xml;
    size_t len;
    const char *name;
    int version;
} install_arg;

static int do_install(capa_wtxn *t, void *arg)
{
    install_arg *a = arg;
    capa_store *s = t->s;
    capa_diag diag = {0};
    capa_formdef *f = NULL;
    capa_workflow *w = NULL;
    const capa_workflow *cur = NULL;
    const char *id = NULL;
    char wf_def[160];
    int latest = 0, err;
    int err_ = capa__require_admin(t, "form install");
    if (err_)
        return err_;
    if ((err = capa_store__workflow(&cur, s, t->txn)) != CAPA_OK)
        return err; /* also: the store is initialised */
    if ((err = capa__line_check("form install: file name", "file", a->name)) != CAPA_OK)
        return err;
    int kind = capa_form_doc_kind(a->xml, a->len);
    if (kind == CAPA_ENOMEM)
        return capa_error_set(CAPA_ENOMEM, "form install: out of memory");
    if (kind == CAPA_DOC_WORKFLOW) {
        if ((err = capa_workflow_parse(&w, a->xml, a->len, a->name, &diag)) != CAPA_OK) {
            err = diag_error(err, &diag, "form install");
            goto done;
        }
        if ((err = capa_store__workflow_of(&cur, s, t->txn, w->id)) != CAPA_OK) {
            if (err == CAPA_ENOTFOUND)
                err = capa__refuse(CAPA_EINVALID, "form.workflow_unknown", "workflow", w->id,
                                   "form install %s: workflow `%s` is not in this store; a "
                                   "store's workflows come with capa init (workflow.xml and "
                                   "workflow-ID.xml of --forms DIR)",
                                   a->name, w->id);
            goto done;
        }
        /* Existing cases keep their stage records by position: the stages of the current
         * version stay where they are, in order; new ones may follow them. */
        int same = w->n_stages >= cur->n_stages;
        for (size_t i = 0; same && i < cur->n_stages; i++)
            same = strcmp(w->stages[i].id, cur->stages[i].id) == 0;
        if (!same) {
            err = capa__refuse(CAPA_EINVALID, "form.stages_kept", "workflow", w->id,
                               "form install %s: a new version of workflow `%s` must keep the "
                               "stages of the current one, in order (existing cases depend on "
                               "them); it may add stages after them",
                               a->name, w->id);
            goto done;
        }
        if (w->number_pattern && (err = capa__number_pattern_check(w->number_pattern)))
            goto done;
        if ((err = check_set(s, t->txn, w, NULL, a->name)) != CAPA_OK)
            goto done;
        capa_store__workflow_def_id(wf_def, sizeof wf_def, w->id);
        id = wf_def;
    } else {
        if ((err = capa_formdef_parse(&f, a->xml, a->len, a->name, &diag)) != CAPA_OK) {
            err = diag_error(err, &diag, "form install");
            goto done;
        }
        /* Every workflow using the form must stay a consistent set with it. */
        form_use fu = {t, f, a->name, 0};
        if ((err = capa_store__workflow_foreach(s, t->txn, form_use_cb, &fu)) != CAPA_OK)
            goto done;
        if (!fu.used) {
            err = capa__refuse(CAPA_EINVALID, "form.unused", "form", f->id,
                               "form install %s: form id '%s' is not used by any stage of any "
                               "workflow",
                               a->name, f->id);
            goto done;
        }
        id = f->id;
    }
    if ((err = capa_store__form_latest(s, t->txn, id, &latest)))
        goto done;
    a->version = latest + 1;
    char before[16], after[16], field[240];
    snprintf(before, sizeof before, "%d", latest);
    snprintf(after, sizeof after, "%d", latest + 1);
    snprintf(field, sizeof field, "form:%s", id);
    capa_event_rec e;
    capa_event__init(&e, t->actor->u.id, "form_install", NULL, NULL, a->name);
    capa_event__change(&e, field, latest ? before : NULL, after);
    def_fact(&e, id, latest + 1, a->xml, a->len);
    capa_event__fact(&e, "auth", "1");
    err = capa_event__commit(t, &e, NULL);
    capa_event__clear(&e);
done:
    capa_formdef_free(f);
    capa_workflow_free(w);
    capa_diag_clear(&diag);
    return err;
}

int capa_form_install(capa_store *s, const capa_actor *who, const char *xml, size_t len,
                      const char *name, int *out_version)
{
    install_arg a = {xml, len, name ? name : "(form)", 0};
    if (out_version)
        *out_version = 0;
    if (!xml)
        return capa__refuse(CAPA_EINVALID, "form.no_document", NULL, NULL,
                            "form install: no document");
    int err = capa_store__mutate(s, who, do_install, &a);
    if (!err && out_version)
        *out_version = a.version;
    return err;
}

/* ---- information ---- */

int capa_store_info_get(capa_store_info *out, capa_store *s)
{
    MDB_txn *txn = NULL;
    MDB_val v;
    MDB_stat st;
    memset(out, 0, sizeof *out);
    int err = capa_store__read_begin(s, &txn);
    if (err)
        return err;
    uint64_t format = 0;
    if ((err = capa_store__require_any_format(s, txn, &format)) ||
        (err = capa_meta__get_str(s, txn, "org", &out->org)) ||
        (err = capa_meta__get_str(s, txn, "pattern", &out->number_pattern)))
        goto done;
    if (mdb_stat(txn, s->dbi[DB_CASES], &st) == 0)
        out->n_cases = st.ms_entries;
    if (capa_store__get(txn, s->dbi[DB_META], "head", 4, &v) == CAPA_OK && v.mv_size == 40) {
        static const char digits[] = "0123456789abcdef";
        const unsigned char *h = (const unsigned char *)v.mv_data;
        out->n_events = capa_get_be64(h);
        for (int i = 0; i < 32; i++) {
            out->head_hash[2 * i] = digits[h[8 + i] >> 4];
            out->head_hash[2 * i + 1] = digits[h[8 + i] & 15];
        }
        out->head_hash[64] = 0;
    }
    out->format_version = (int)format;
    out->map_size = s->map_size;
    if ((err = capa_meta__get_str(s, txn, "timezone", &out->timezone)) == CAPA_ENOTFOUND)
        err = (out->timezone = capa__strdup("UTC")) ? CAPA_OK
                                                    : capa_error_set(CAPA_ENOMEM, "out of memory");
done:
    capa_store__read_end(s, txn);
    if (err)
        capa_store_info_clear(out);
    return err;
}

void capa_store_info_clear(capa_store_info *info)
{
    capa__free(info->org);
    capa__free(info->number_pattern);
    capa__free(info->timezone);
    memset(info, 0, sizeof *info);
}
