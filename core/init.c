/*
 * init.c - creating a store (organisation, numbering, default definitions, first admin),
 * installing new versions of forms and of the workflow, and store information.
 *
 * Definitions are stored by (id, version) and never overwritten: a case's stage record names
 * the version it was filled with, so an old case reads with its old form forever.
 */
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "codec.h"
#include "users.h"

int capa__number_pattern_check(const char *pattern);

typedef struct def_src {
    char *data;
    size_t len;
    char name[300];
} def_src;

static int read_def(def_src *d, const char *dir, const char *file)
{
    memset(d, 0, sizeof *d);
    if (!dir) {
        const capa_embedded_file *e = capa_form_embedded_get(file);
        if (!e)
            return capa_error_set(CAPA_ENOTFOUND, "built-in definition %s: missing", file);
        snprintf(d->name, sizeof d->name, "%s", file);
        d->data = capa__strndup(e->data, e->len);
        d->len = e->len;
        return d->data ? CAPA_OK : capa_error_set(CAPA_ENOMEM, "out of memory");
    }
    snprintf(d->name, sizeof d->name, "%s/%s", dir, file);
    FILE *f = fopen(d->name, "rb");
    if (!f)
        return capa_error_set(CAPA_ENOTFOUND, "%s: cannot open", d->name);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (n < 0 || n > (4 << 20)) {
        fclose(f);
        return capa_error_set(CAPA_EINVALID, "%s: %ld bytes; a definition is at most 4 MiB",
                              d->name, n);
    }
    d->data = capa__malloc((size_t)n + 1);
    if (!d->data || fread(d->data, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        capa__free(d->data);
        d->data = NULL;
        return capa_error_set(CAPA_ERROR, "%s: cannot read", d->name);
    }
    fclose(f);
    d->data[n] = 0;
    d->len = (size_t)n;
    return CAPA_OK;
}

static int diag_error(int err, capa_diag *diag, const char *what)
{
    char *msg = capa_diag_join(diag, "; ");
    err = capa_error_set(err == CAPA_ENOMEM ? CAPA_ENOMEM : CAPA_EINVALID, "%s: %s", what,
                         msg && *msg ? msg : capa_strerror(err));
    capa__free(msg);
    capa_diag_clear(diag);
    return err;
}

typedef struct init_arg {
    const capa_init_opts *o;
} init_arg;

static int do_init(capa_wtxn *t, void *arg)
{
    const capa_init_opts *o = ((init_arg *)arg)->o;
    capa_store *s = t->s;
    capa_workflow *wf = NULL;
    capa_user_rec admin = {0};
    capa_diag diag = {0};
    capa_changes ch = {0};
    def_src wsrc = {0};
    const char *pattern = o->number_pattern ? o->number_pattern : "QC-{YYYY}-{NNNN}";
    uint64_t fmt;
    int err = capa_meta__get_u64(s, t->txn, "format", &fmt);
    if (err == CAPA_OK)
        return capa_error_set(CAPA_EEXISTS, "init %s: store already initialised", s->dir);
    if (err != CAPA_ENOTFOUND)
        return err;
    if (!o->org || !*o->org || strlen(o->org) > 200)
        return capa_error_set(CAPA_EINVALID, "init: --org '%.60s': organisation name must be 1 "
                              "to 200 bytes", o->org ? o->org : "");
    if ((err = capa__number_pattern_check(pattern)) != CAPA_OK)
        return err;
    if ((err = read_def(&wsrc, o->forms_dir, "workflow.xml")) != CAPA_OK)
        return err;
    if ((err = capa_workflow_parse(&wf, wsrc.data, wsrc.len, wsrc.name, &diag)) != CAPA_OK) {
        err = diag_error(err, &diag, "init: workflow definition");
        goto done;
    }
    if ((err = capa_store__form_put(s, t->txn, CAPA_WORKFLOW_ID, 1, wsrc.data, wsrc.len)))
        goto done;
    capa_changes_add(&ch, "org", NULL, o->org);
    capa_changes_add(&ch, "number_pattern", NULL, pattern);
    capa_changes_add(&ch, "form:workflow", NULL, "1");
    for (size_t i = 0; i < wf->n_stages; i++) {
        char file[200];
        def_src fsrc;
        capa_formdef *f = NULL;
        const char *id = wf->stages[i].form_id;
        int seen = 0;
        for (size_t j = 0; j < i; j++)
            seen |= strcmp(wf->stages[j].form_id, id) == 0;
        if (seen)
            continue;
        snprintf(file, sizeof file, "%s.xml", id);
        if ((err = read_def(&fsrc, o->forms_dir, file)) != CAPA_OK)
            goto done;
        err = capa_formdef_parse(&f, fsrc.data, fsrc.len, fsrc.name, &diag);
        if (!err && strcmp(f->id, id) != 0) {
            capa_diag_add(&diag, "%s: form id '%s' but the workflow expects '%s'", fsrc.name,
                          f->id, id);
            err = CAPA_EINVALID;
        }
        if (!err)
            err = capa_store__form_put(s, t->txn, id, 1, fsrc.data, fsrc.len);
        capa_formdef_free(f);
        capa__free(fsrc.data);
        if (err) {
            err = diag.n ? diag_error(err, &diag, "init: form definition") : err;
            goto done;
        }
        char key[240];
        snprintf(key, sizeof key, "form:%s", id);
        capa_changes_add(&ch, key, NULL, "1");
    }
    if ((err = capa_user__make(s, t->txn, &admin, o->admin_user ? o->admin_user : "admin",
                               "admin", o->admin_name ? o->admin_name : "Administrator", "",
                               o->admin_password, t->now)) ||
        (err = capa_user__put(s, t->txn, &admin)) ||
        (err = capa_meta__put_u64(s, t->txn, "format", CAPA_FORMAT_VERSION)) ||
        (err = capa_meta__put_str(s, t->txn, "org", o->org)) ||
        (err = capa_meta__put_str(s, t->txn, "pattern", pattern)) ||
        (err = capa_meta__put_u64(s, t->txn, "next_id", 1)))
        goto done;
    if (ch.oom) {
        err = capa_error_set(CAPA_ENOMEM, "init: out of memory");
        goto done;
    }
    capa_change uch[3] = {{"id", NULL, admin.u.id}, {"name", NULL, admin.u.name},
                          {"role", NULL, "admin"}};
    if ((err = capa_audit__append(t, admin.u.id, "init", NULL, 0, NULL, NULL, ch.v, ch.n,
                                  NULL)) == CAPA_OK)
        err = capa_audit__append(t, admin.u.id, "user_add", NULL, 0, NULL, NULL, uch, 3, NULL);
done:
    capa_changes_clear(&ch);
    capa_user_rec_clear(&admin);
    capa_workflow_free(wf);
    capa__free(wsrc.data);
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

/* The name of the document element, to tell a workflow from a form before parsing. */
static int root_is(const char *xml, size_t len, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i + 1 < len; i++) {
        if (xml[i] != '<' || xml[i + 1] == '?' || xml[i + 1] == '!')
            continue;
        const char *p = xml + i + 1;
        const char *colon = memchr(p, ':', len - (size_t)(p - xml) < 64 ? len - (size_t)(p - xml) : 64);
        const char *gt = memchr(p, '>', len - (size_t)(p - xml));
        if (colon && (!gt || colon < gt) && !memchr(p, ' ', (size_t)(colon - p)))
            p = colon + 1;
        return (size_t)(xml + len - p) > n && strncmp(p, name, n) == 0 &&
               (p[n] == ' ' || p[n] == '>' || p[n] == '\n' || p[n] == '\t' || p[n] == '\r' ||
                p[n] == '/');
    }
    return 0;
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
    int latest = 0, err;
    if (strcmp(t->actor->u.role, "admin") != 0)
        return capa_error_set(CAPA_EDENIED, "form install: user `%s` has role %s; only admin may",
                              t->actor->u.id, t->actor->u.role);
    if ((err = capa_store__workflow(&cur, s, t->txn)) != CAPA_OK)
        return err;
    if (root_is(a->xml, a->len, "workflow")) {
        if ((err = capa_workflow_parse(&w, a->xml, a->len, a->name, &diag)) != CAPA_OK) {
            err = diag_error(err, &diag, "form install");
            goto done;
        }
        /* Existing cases keep their stage records by position: the stages must stay. */
        int same = w->n_stages == cur->n_stages;
        for (size_t i = 0; same && i < w->n_stages; i++)
            same = strcmp(w->stages[i].id, cur->stages[i].id) == 0;
        if (!same) {
            err = capa_error_set(CAPA_EINVALID,
                                 "form install %s: a new workflow must keep the stages of the "
                                 "current one, in order (existing cases depend on them)",
                                 a->name);
            goto done;
        }
        for (size_t i = 0; i < w->n_stages; i++) {
            int v = 0;
            if ((err = capa_store__form_latest(s, t->txn, w->stages[i].form_id, &v)))
                goto done;
            if (!v) {
                err = capa_error_set(CAPA_EINVALID,
                                     "form install %s: stage %s uses form '%s', which is not "
                                     "installed; install the form first",
                                     a->name, w->stages[i].id, w->stages[i].form_id);
                goto done;
            }
        }
        id = CAPA_WORKFLOW_ID;
    } else {
        if ((err = capa_formdef_parse(&f, a->xml, a->len, a->name, &diag)) != CAPA_OK) {
            err = diag_error(err, &diag, "form install");
            goto done;
        }
        int used = 0;
        for (size_t i = 0; i < cur->n_stages; i++)
            used |= strcmp(cur->stages[i].form_id, f->id) == 0;
        if (!used) {
            err = capa_error_set(CAPA_EINVALID,
                                 "form install %s: form id '%s' is not used by any stage of the "
                                 "workflow",
                                 a->name, f->id);
            goto done;
        }
        id = f->id;
    }
    if ((err = capa_store__form_latest(s, t->txn, id, &latest)) ||
        (err = capa_store__form_put(s, t->txn, id, latest + 1, a->xml, a->len)))
        goto done;
    a->version = latest + 1;
    char before[16], after[16], field[240];
    snprintf(before, sizeof before, "%d", latest);
    snprintf(after, sizeof after, "%d", latest + 1);
    snprintf(field, sizeof field, "form:%s", id);
    capa_change ch = {field, latest ? before : NULL, after};
    err = capa_audit__append(t, t->actor->u.id, "form_install", NULL, 0, NULL, a->name, &ch, 1,
                             NULL);
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
        return capa_error_set(CAPA_EINVALID, "form install: no document");
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
    if ((err = capa_store__require_init(s, txn)) ||
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
    out->format_version = CAPA_FORMAT_VERSION;
    out->map_size = s->map_size;
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
    memset(info, 0, sizeof *info);
}
