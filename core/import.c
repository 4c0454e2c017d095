/*
 * import.c - legacy records (the rows of an old Excel complaint log) become cases.
 *
 * An import is an operation like open: it checks authority (admin only: it writes cases
 * that nobody signed) and the values against each stage's form, then builds one "import"
 * event per record, which apply.c turns into the case. The event carries the recorded dates
 * (opened, closed) as facts and the true time of the import as its own time, and names the
 * source file (name, SHA-256) and row, so the trail says where each case came from and the
 * case replays under `capa verify` like any other.
 *
 * A session (capa_import_begin) authenticates the admin once; its batches go through group
 * commit (batch.c) like any request. capa_import_check runs the same checks in a read
 * transaction, so a tool can refuse a whole file before writing any of it (all or nothing).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "cases.h"
#include "commit.h"
#include "event.h"
#include "record.h"
#include "users.h"

struct capa_import {
    capa_store *s;
    capa_user_rec user;
};

/*
 * Rows whose values were checked against their stages' forms ahead of their commit
 * (capa_import_prepare), so the leader of the group commit need not check them again:
 * form validation is a function of the form object, the values and the level alone (the
 * one thing it reads from the store is whether a named user exists, and a row whose check
 * asked that is not recorded), and a stored definition's parsed object is handed out for
 * as long as the store is open, one per stored text. So when the commit finds, in its own
 * transaction, the same workflow and, stage by stage, the same form objects the prepared
 * check passed, for the same names and values (a digest of them), the check's answer is
 * the commit's. Anything else - another workflow or form version, a changed value, a
 * request not prepared, a leader on another thread - and the commit checks in full, as
 * ever. The other checks of a row (number, dates, source, run) stay in the commit.
 */
typedef struct prep_row {
    uint64_t digest;            /* the row, its number and its names and values */
    uint64_t passed;            /* bit st: stage st's values passed forms[st] */
    const capa_formdef **forms; /* per stage of wf, the form checked */
} prep_row;

struct capa_import_prep {
    const capa_import *im;
    const capa_request *reqs; /* the requests prepared, n of them, in this order */
    size_t n;
    const capa_workflow *wf;
    prep_row *rows;
    const capa_formdef **forms; /* n * wf->n_stages */
};

/* While capa_import_submit_prepared runs, the prepared rows for capa_case__import on the
 * same thread (the group commit's leader when no other writer leads). */
static _Thread_local const capa_import_prep *tl_prep;

static uint64_t digest_add(uint64_t h, const char *s)
{
    for (; s && *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return (h ^ 0xff) * 1099511628211ULL; /* the end of a string: no byte of UTF-8 */
}

static uint64_t row_digest(const capa_request *rq)
{
    uint64_t h = 1469598103934665603ULL ^ (rq->import ? rq->import->row : 0);
    h = digest_add(h, rq->number ? rq->number : "");
    for (size_t i = 0; i < rq->n_values; i++) {
        h = digest_add(h, rq->values[i].name);
        h = digest_add(h, rq->values[i].value);
    }
    return h;
}

/* The prepared row of rq for a commit that found workflow wf, or NULL. */
static const prep_row *prepared(const capa_request *rq, const capa_workflow *wf)
{
    const capa_import_prep *p = tl_prep;
    if (!p || p->wf != wf || rq < p->reqs || rq >= p->reqs + p->n)
        return NULL;
    const prep_row *r = &p->rows[rq - p->reqs];
    return r->forms && r->digest == row_digest(rq) ? r : NULL;
}

/* The user look-up of a prepared check: answered, and remembered as asked. */
typedef struct prep_users {
    MDB_txn *txn;
    int asked;
} prep_users;

static int prep_user_exists(const char *user, void *payload)
{
    prep_users *u = payload;
    u->asked = 1;
    return capa_user__exists_cb(user, u->txn);
}

/* A case number from a sheet: what the number pattern may produce, and no more. */
static int number_check(const char *what, const char *n)
{
    size_t len = strlen(n);
    if (len == 0 || len > 60)
        return capa_error_set(CAPA_EINVALID, "%s: case number '%.60s': 1 to 60 characters",
                              what, n);
    for (const char *p = n; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_' || *p == '/' || *p == '.'))
            return capa_error_set(CAPA_EINVALID,
                                  "%s: case number '%.60s': character '%c' not allowed (letters, "
                                  "digits, - _ / .)",
                                  what, n, *p);
    return CAPA_OK;
}

/* The stage of a value name "stage:field" (the first stage for "field"), and the field. */
static int split_name(const capa_workflow *wf, const char *name, int *stage, const char **field)
{
    const char *colon = strchr(name, ':');
    if (!colon) {
        *stage = 0;
        *field = name;
        return 1;
    }
    for (size_t i = 0; i < wf->n_stages; i++)
        if (strlen(wf->stages[i].id) == (size_t)(colon - name) &&
            strncmp(wf->stages[i].id, name, (size_t)(colon - name)) == 0) {
            *stage = (int)i;
            *field = colon + 1;
            return 1;
        }
    return 0;
}

/* "import row N" into buf (at least 32 bytes): the subject of every message about a row,
 * written for each row checked, so without snprintf. */
static size_t row_what(char *buf, uint64_t row)
{
    char d[24];
    size_t n = 0, len = sizeof "import row " - 1;
    memcpy(buf, "import row ", len);
    do
        d[n++] = (char)('0' + row % 10);
    while ((row /= 10) != 0);
    while (n)
        buf[len++] = d[--n];
    buf[len] = 0;
    return len;
}

/* A row's values by stage fit these on the stack; more are allocated. */
#define IMPORT_FEW 64

static int import_row(capa_wtxn *t, capa_request *rq, int commit, prep_row *record);

int capa_case__import(capa_wtxn *t, capa_request *rq, int commit)
{
    return import_row(t, rq, commit, NULL);
}

/* The import of one row: checked (commit 0), or checked and written (1); with record (a
 * prepared check, commit 0), which stages' values passed which forms is noted there. */
static int import_row(capa_wtxn *t, capa_request *rq, int commit, prep_row *record)
{
    const capa_import_facts *im = rq->import;
    const capa_workflow *wf = NULL;
    capa_kv *per = NULL;
    size_t *count = NULL;
    int *stage_of = NULL; /* per value: its stage, found once */
    const char **field_of = NULL;
    capa_event_rec e = {0};
    char what[200], number[160], key[300], w1[32], w2[32];
    int err, landing = 0, has[64] = {0}, versions[64] = {0};
    uint64_t id = 0, ctr = 0;
    size_t what_len = row_what(what, im ? im->row : 0);
    if (!im)
        return capa_error_set(CAPA_EINVALID, "%s: no dates or source given", what);
    if (!t->actor || strcmp(t->actor->u.role, "admin") != 0)
        return capa_error_set(CAPA_EDENIED,
                              "%s: user `%s` has role %s; importing legacy records (cases nobody "
                              "signed) needs role admin",
                              what, t->actor ? t->actor->u.id : "", t->actor ? t->actor->u.role : "");
    if (!im->sha256 || strlen(im->sha256) != 64 || strspn(im->sha256, "0123456789abcdef") != 64)
        return capa_error_set(CAPA_EINVALID, "%s: the source's SHA-256 must be 64 hex digits",
                              what);
    if (!im->source || !*im->source || strlen(im->source) > 1000)
        return capa_error_set(CAPA_EINVALID, "%s: the source file's name: 1 to 1000 bytes", what);
    if ((err = capa__line_check("import: source", "source", im->source)))
        return err;
    /* The recorded dates are the case's own: before now, and closed after opened. A minute of
     * slack for clocks, none for a date in the future. (Formatted only for the message.) */
    if (im->opened <= 0 || im->opened > t->now + 60000) {
        capa_time_format(w1, sizeof w1, im->opened);
        return capa_error_set(CAPA_EINVALID, "%s: opened %s: must be a date before now", what,
                              im->opened > 0 ? w1 : "(none)");
    }
    if (im->closed_at && (im->closed_at < im->opened || im->closed_at > t->now + 60000)) {
        capa_time_format(w1, sizeof w1, im->opened);
        capa_time_format(w2, sizeof w2, im->closed_at);
        return capa_error_set(CAPA_EINVALID,
                              "%s: closed %s: must lie between opened (%s) and now", what, w2, w1);
    }
    if (im->run) {
        /* Each row of a file once, in order: a run continues the last one or is the next. */
        capa_import_source src;
        if ((err = capa_import__source(&src, t->s, t->txn, im->sha256)))
            return err;
        if (src.cases && !src.run)
            return capa_error_set(CAPA_ESTATE,
                                  "%s: %s was imported by an earlier capa that kept no runs: it "
                                  "cannot be resumed",
                                  what, im->source);
        if (im->run != src.run && im->run != src.run + 1)
            return capa_error_set(CAPA_ESTATE, "%s: run %llu of %s: the last run was %llu", what,
                                  (unsigned long long)im->run, im->source,
                                  (unsigned long long)src.run);
        if (im->row <= src.through)
            return capa_error_set(CAPA_EEXISTS,
                                  "%s: rows up to %llu of %s were imported (or set aside) "
                                  "before: a row is imported once",
                                  what, (unsigned long long)src.through, im->source);
        if (im->through && im->through < im->row)
            return capa_error_set(CAPA_EINVALID, "%s: through %llu is before the row", what,
                                  (unsigned long long)im->through);
    }
    if ((err = capa_store__workflow(&wf, t->s, t->txn)))
        return err;
    if (wf->n_stages > 64)
        return capa_error_set(CAPA_ERROR, "%s: workflow has more than 64 stages", what);
    const prep_row *pre = commit ? prepared(rq, wf) : NULL;
    /* The values by stage: per[] holds them grouped, count[i] how many are stage i's. */
    size_t nv = rq->n_values ? rq->n_values : 1;
    capa_kv per_few[IMPORT_FEW];
    size_t count_few[64] = {0};
    int stage_of_few[IMPORT_FEW];
    const char *field_of_few[IMPORT_FEW];
    count = count_few; /* n_stages <= 64 */
    if (nv <= IMPORT_FEW) {
        per = per_few;
        stage_of = stage_of_few;
        field_of = field_of_few;
    } else if (!(per = capa__calloc(nv, sizeof *per)) ||
               !(stage_of = capa__calloc(nv, sizeof *stage_of)) ||
               !(field_of = capa__calloc(nv, sizeof *field_of))) {
        err = capa_error_set(CAPA_ENOMEM, "%s: out of memory", what);
        goto done;
    }
    for (size_t i = 0; i < rq->n_values; i++) {
        int st;
        const char *f;
        if (!split_name(wf, rq->values[i].name, &st, &f)) {
            err = capa_error_set(CAPA_EINVALID, "%s: `%.80s`: no stage of the workflow is named "
                                 "before the ':'", what, rq->values[i].name);
            goto done;
        }
        stage_of[i] = st;
        field_of[i] = f;
        count[st]++;
        if (*rq->values[i].value && st > landing)
            landing = st;
    }
    size_t off = 0;
    for (size_t st = 0; st < wf->n_stages; st++) {
        size_t start = off;
        for (size_t i = 0; i < rq->n_values && count[st]; i++)
            if ((size_t)stage_of[i] == st)
                per[off++] = (capa_kv){field_of[i], rq->values[i].value};
        if (st != 0 && off == start)
            continue;
        const capa_formdef *form = NULL;
        char w[260];
        /* "import row N (stage ID)", as snprintf would write it, truncated alike */
        size_t idl = strlen(wf->stages[st].id), at = what_len;
        memcpy(w, what, at);
        memcpy(w + at, " (stage ", 8);
        at += 8;
        if (idl > sizeof w - 2 - at)
            idl = sizeof w - 2 - at;
        memcpy(w + at, wf->stages[st].id, idl);
        at += idl;
        w[at++] = ')';
        w[at] = 0;
        capa_required level = st == 0 ? CAPA_REQ_CREATE : CAPA_REQ_NO;
        if ((err = capa_store__form(&form, t->s, t->txn, wf->stages[st].form_id, 0)))
            goto done;
        if (record) {
            /* A prepared check: the same rules as capa_case__validate, the answer noted only
             * when it passed without asking the store about a user. */
            capa_diag diag = {0};
            prep_users pu = {t->txn, 0};
            int ok = capa_case__precheck(w, per + start, off - start) == CAPA_OK &&
                     capa_form_validate(form, per + start, off - start, level, prep_user_exists,
                                        &pu, &diag) == CAPA_OK &&
                     !diag.n;
            capa_diag_clear(&diag);
            if (ok && !pu.asked) {
                record->passed |= (uint64_t)1 << st;
                record->forms[st] = form;
            } else if (!ok) {
                /* refused: in capa_case__validate's words */
                err = capa_case__validate(t->txn, w, form, per + start, off - start, level);
                if (!err)
                    err = capa_error_set(CAPA_EINVALID, "%s: refused", w);
                goto done;
            }
        } else if (!(pre && (pre->passed >> st & 1) && pre->forms[st] == form) &&
                   (err = capa_case__validate(t->txn, w, form, per + start, off - start,
                                              level))) {
            goto done;
        }
        has[st] = 1;
        versions[st] = form->version;
    }
    if (im->closed_at)
        landing = (int)wf->n_stages - 1;
    has[landing] = 1;
    if (!versions[landing]) {
        const capa_formdef *form = NULL;
        if ((err = capa_store__form(&form, t->s, t->txn, wf->stages[landing].form_id, 0)))
            goto done;
        versions[landing] = form->version;
    }
    if (rq->number && *rq->number) {
        MDB_val v;
        if ((err = number_check(what, rq->number)))
            goto done;
        err = capa_store__get(t->txn, t->s->dbi[DB_NUMBERS], rq->number, strlen(rq->number), &v);
        if (err == CAPA_OK) {
            err = capa_error_set(CAPA_EEXISTS, "%s: case number %s already exists", what,
                                 rq->number);
            goto done;
        }
        if (err != CAPA_ENOTFOUND)
            goto done;
        snprintf(number, sizeof number, "%s", rq->number);
    } else if ((err = capa__number_next_free(t->s, t->txn, NULL, im->opened, number, sizeof number, key,
                                        sizeof key, &ctr))) {
        goto done;
    }
    err = CAPA_OK;
    if (!commit)
        goto done;
    if ((err = capa_meta__get_u64(t->s, t->txn, "next_id", &id)) && err != CAPA_ENOTFOUND)
        goto done;
    id = id ? id : 1;
    capa_event__init(&e, t->actor->u.id, "import", number, wf->stages[landing].id, NULL);
    for (size_t i = 0; i < rq->n_values; i++)
        if (*rq->values[i].value)
            capa_event__change(&e, rq->values[i].name, NULL, rq->values[i].value);
    capa_event__fact(&e, "auth", "1");
    capa_event__factu(&e, "case_id", id);
    capa_event__facti(&e, "from", landing);
    capa_event__facti(&e, "opened", (int64_t)im->opened);
    if (im->closed_at)
        capa_event__facti(&e, "closed_at", (int64_t)im->closed_at);
    capa_event__fact(&e, "numbered", rq->number && *rq->number ? "sheet" : "counter");
    capa_event__fact(&e, "source", im->source);
    capa_event__fact(&e, "sha256", im->sha256);
    capa_event__factu(&e, "row", im->row);
    if (im->run)
        capa_event__factu(&e, "run", im->run);
    if (im->run && im->through > im->row)
        capa_event__factu(&e, "through", im->through);
    /* Its limits run from the recorded dates (apply.c: apply_import). */
    capa_event__fact(&e, "clock", "recorded");
    for (size_t st = 0; st < wf->n_stages; st++)
        if (has[st]) {
            char k[40];
            snprintf(k, sizeof k, "form_version:%zu", st);
            capa_event__facti(&e, k, versions[st]);
        }
    if ((err = capa_event__commit(t, &e, NULL)) == CAPA_OK) {
        capa__free(rq->number_out);
        if (!(rq->number_out = capa__strdup(number)))
            err = capa_error_set(CAPA_ENOMEM, "%s: out of memory", what);
    }
done:
    capa_event__clear(&e);
    if (per != per_few) {
        capa__free(per);
        capa__free(stage_of);
        capa__free(field_of);
    }
    return err;
}

/* ---- sessions ---- */

int capa_import_begin(capa_import **out, capa_store *s, const capa_actor *who)
{
    *out = NULL;
    capa_import *im = capa__calloc(1, sizeof *im);
    if (!im)
        return capa_error_set(CAPA_ENOMEM, "import: out of memory");
    int err = capa_auth__check(s, who, &im->user);
    if (err) {
        capa__free(im);
        return err;
    }
    if (strcmp(im->user.u.role, "admin") != 0) {
        err = capa_error_set(CAPA_EDENIED,
                             "import: user `%s` has role %s; importing legacy records (cases "
                             "nobody signed) needs role admin",
                             im->user.u.id, im->user.u.role);
        capa_import_end(im);
        return err;
    }
    im->s = s;
    *out = im;
    return CAPA_OK;
}

void capa_import_end(capa_import *im)
{
    if (!im)
        return;
    capa_user_rec_clear(&im->user);
    capa__free(im);
}

int capa_import_submit(capa_import *im, capa_request *reqs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (reqs[i].op != CAPA_OP_IMPORT)
            return capa_error_set(CAPA_EINVALID, "import: request %zu is not an import", i + 1);
    return capa_submit__as(im->s, &im->user, reqs, n);
}

int capa_import_submit_prepared(capa_import *im, capa_request *reqs, size_t n,
                                const capa_import_prep *prep)
{
    /* Only a preparation of these very requests by this session is used. */
    const capa_import_prep *keep = tl_prep;
    tl_prep = prep && prep->im == im && prep->reqs == reqs && prep->n == n ? prep : NULL;
    int err = capa_import_submit(im, reqs, n);
    tl_prep = keep;
    return err;
}

void capa_import_prep_free(capa_import_prep *p)
{
    if (!p)
        return;
    capa__free(p->rows);
    capa__free(p->forms);
    capa__free(p);
}

int capa_import_prepare(capa_import_prep **out, capa_import *im, const capa_request *reqs,
                        size_t n)
{
    MDB_txn *txn = NULL;
    capa_import_prep *p = NULL;
    *out = NULL;
    int err = capa_store__read_begin(im->s, &txn);
    if (err)
        return err;
    const capa_workflow *wf = NULL;
    if ((err = capa_store__require_init(im->s, txn)) ||
        (err = capa_store__workflow(&wf, im->s, txn)))
        goto done;
    size_t ns = wf->n_stages ? wf->n_stages : 1;
    if (!(p = capa__calloc(1, sizeof *p)) || !(p->rows = capa__calloc(n ? n : 1, sizeof *p->rows)) ||
        !(p->forms = capa__calloc((n ? n : 1) * ns, sizeof *p->forms))) {
        err = capa_error_set(CAPA_ENOMEM, "import: out of memory");
        goto done;
    }
    p->im = im;
    p->reqs = reqs;
    p->n = n;
    p->wf = wf;
    capa_wtxn t = {im->s, txn, capa_store__now(im->s), &im->user};
    for (size_t i = 0; i < n; i++) {
        prep_row *r = &p->rows[i];
        r->forms = p->forms + i * ns;
        /* The request is not changed: it is only read by the check. */
        if (reqs[i].op != CAPA_OP_IMPORT ||
            import_row(&t, (capa_request *)&reqs[i], 0, r) != CAPA_OK || !r->passed)
            r->forms = NULL; /* not prepared: the commit checks it in full */
        else
            r->digest = row_digest(&reqs[i]);
    }
    *out = p;
    p = NULL;
done:
    capa_store__read_end(im->s, txn);
    capa_import_prep_free(p);
    return err;
}

int capa_import_check(capa_import *im, capa_request *reqs, size_t n)
{
    MDB_txn *txn = NULL;
    int first = CAPA_OK;
    for (size_t i = 0; i < n; i++) {
        reqs[i].result = CAPA_ERROR;
        reqs[i].error = NULL;
        reqs[i].number_out = NULL;
    }
    int err = capa_store__read_begin(im->s, &txn);
    if (err)
        return err;
    if ((err = capa_store__require_init(im->s, txn)))
        goto done;
    capa_wtxn t = {im->s, txn, capa_store__now(im->s), &im->user};
    for (size_t i = 0; i < n; i++) {
        capa_request *r = &reqs[i];
        char what[64];
        row_what(what, r->import ? r->import->row : 0);
        int rc = r->op != CAPA_OP_IMPORT
                     ? capa_error_set(CAPA_EINVALID, "import: request %zu is not an import", i + 1)
                     : capa_case__precheck(what, r->values, r->n_values);
        if (rc == CAPA_OK)
            rc = capa_case__import(&t, r, 0);
        r->result = rc;
        if (rc != CAPA_OK) {
            const char *msg = capa_error_last();
            r->error = capa__strdup(*msg ? msg : capa_strerror(rc));
            if (first == CAPA_OK)
                first = rc;
        }
    }
done:
    capa_store__read_end(im->s, txn);
    if (err)
        return err;
    for (size_t i = 0; i < n; i++)
        if (reqs[i].result != CAPA_OK)
            return capa_error_set(reqs[i].result, "%s", reqs[i].error ? reqs[i].error : "");
    return first;
}

int capa_import_source_get(capa_import_source *out, capa_store *s, const char *sha256)
{
    MDB_txn *txn = NULL;
    memset(out, 0, sizeof *out);
    /* How far a file's earlier runs got decides where the next one starts: from the last
     * durable commit, also one whose writer (an import killed mid-commit) died unpublished. */
    int err = capa_store__writer_settle(s);
    if (!err)
        err = capa_store__read_begin(s, &txn);
    if (err)
        return err;
    if (!(err = capa_store__require_init(s, txn)))
        err = capa_import__source(out, s, txn, sha256);
    capa_store__read_end(s, txn);
    return err;
}

int capa_import_source_count(capa_store *s, const char *sha256, uint64_t *out)
{
    capa_import_source src;
    int err = capa_import_source_get(&src, s, sha256);
    *out = err ? 0 : src.cases;
    return err;
}
