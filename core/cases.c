/*
 * cases.c - the workflow operations: opening a case, editing its current stage, signing a
 * stage off (which moves the case on, or closes it), rejecting back (审查 N).
 *
 * Every rule of authority is here, not in the tools: who may edit or sign a stage comes from
 * the workflow; the person complained about (subject_person) may sign nothing on the case;
 * an independent sign-off (approved, closed) must come from someone who changed no field of
 * that stage; a closed case is read-only. An operation only checks and builds its event; the
 * records change when the event is applied (apply.c), in the same write transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "cases.h"
#include "refusal.h"
#include "codec.h"
#include "commit.h"
#include "event.h"
#include "record.h"
#include "rule.h"
#include "waiver.h"
#include "users.h"

static const char *stage_label(const capa_stage *st)
{
    return st->label_zh ? st->label_zh : st->id;
}

static void roles_text(char *buf, size_t sz, char *const *roles, size_t n)
{
    buf[0] = 0;
    for (size_t i = 0; i < n; i++) {
        if (i)
            strncat(buf, ", ", sz - strlen(buf) - 1);
        strncat(buf, roles[i], sz - strlen(buf) - 1);
    }
    if (!n)
        snprintf(buf, sz, "nobody");
}

/* A stored workflow that declares role `id` (capa_store__workflow_foreach). */
typedef struct role_wf {
    const char *id;
    const capa_workflow *found;
} role_wf;

static int role_wf_cb(const capa_workflow *w, void *payload)
{
    role_wf *a = payload;
    if (capa_workflow_role(w, a->id))
        a->found = w;
    return a->found != NULL;
}

/* The acting role's id and labels in both languages ("qe_lead" / "质量主管" / "QE lead"): from
 * the case's workflow, else, when it does not declare the role (a complaint user refused by
 * the SCAR workflow, a supplier engineer by the complaint one), from a stored workflow that
 * does, so the role is named by its label as everywhere else. */
static void refusal_role(capa_store *s, MDB_txn *txn, const capa_workflow *wf, const char *role)
{
    char *r[1] = {(char *)role};
    role_wf a = {role, NULL};
    if (!wf || !capa_workflow_role(wf, role)) {
        /* The lookup must not replace the refusal under way when it fails (a damaged store). */
        char msg[2048];
        capa_refusal *keep = capa_refusal_dup(capa_refusal_last());
        snprintf(msg, sizeof msg, "%s", capa_error_last());
        int err = txn ? capa_store__workflow_foreach(s, txn, role_wf_cb, &a)
                      : capa_store_workflows(s, role_wf_cb, &a);
        if (err < 0 && keep) {
            a.found = NULL;
            capa_error_set(keep->code, "%s", msg);
            capa_refusal_restore(keep);
        }
        capa_refusal_free(keep);
    }
    capa__refusal_roles(a.found ? a.found : wf, "role", r, 1);
}

/* The sign-off's meaning ("approved") and its labels. */
static void refusal_meaning(const capa_stage *st)
{
    capa__refusal_param("meaning", "%s", st->sign_meaning ? st->sign_meaning : "");
    capa__refusal_param("meaning_zh", "%s", st->sign_meaning_zh ? st->sign_meaning_zh : "");
    capa__refusal_param("meaning_en", "%s",
                        st->sign_meaning_en ? st->sign_meaning_en
                                            : st->sign_meaning ? st->sign_meaning : "");
}

static int by_name(const void *a, const void *b)
{
    const capa_kv *x = *(const capa_kv *const *)a, *y = *(const capa_kv *const *)b;
    return strcmp(x->name, y->name);
}

/* Up to this many values are sorted on the stack (capa_case__precheck). */
#define PRECHECK_FEW 32

int capa_case__precheck(const char *what, const capa_kv *values, size_t n)
{
    capa_diag diag = {0};
    const capa_kv **sorted = NULL;
    int err = CAPA_OK;
    if (n > CAPA_MAX_FIELDS) {
        capa__refuse(CAPA_EINVALID, "set.too_many", NULL, NULL,
                     "%s: %zu assignments; at most %d fields per request (split the change)", what,
                     n, CAPA_MAX_FIELDS);
        capa__refusal_param("count", "%zu", n);
        capa__refusal_param("max", "%d", CAPA_MAX_FIELDS);
        return CAPA_EINVALID;
    }
    /* A request of a few values (a form's worth, an imported row) is sorted on the stack by
     * insertion: qsort's merge buffer and the calloc cost more than the compares. */
    const capa_kv *few[PRECHECK_FEW];
    if (n <= PRECHECK_FEW)
        sorted = few;
    else if (!(sorted = capa__calloc(n, sizeof *sorted)))
        return capa_error_set(CAPA_ENOMEM, "%s: out of memory", what);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (!values[i].name || !values[i].value)
            capa_diag_add(&diag, "assignment %zu: missing name or value", i + 1);
        else
            sorted[m++] = &values[i];
    }
    /* Sorted, a name given twice sits next to itself: linear after the sort. */
    if (m > 1 && sorted == few) {
        for (size_t i = 1; i < m; i++) {
            const capa_kv *x = sorted[i];
            size_t j = i;
            for (; j > 0 && strcmp(sorted[j - 1]->name, x->name) > 0; j--)
                sorted[j] = sorted[j - 1];
            sorted[j] = x;
        }
    } else if (m > 1) {
        qsort(sorted, m, sizeof *sorted, by_name);
    }
    for (size_t i = 1; i < m; i++)
        if (strcmp(sorted[i - 1]->name, sorted[i]->name) == 0 &&
            (i < 2 || strcmp(sorted[i - 2]->name, sorted[i]->name) != 0))
            capa_diag_add(&diag, "field `%.60s`: given twice", sorted[i]->name);
    if (sorted != few)
        capa__free(sorted);
    if (diag.n) {
        char *msg = capa_diag_join(&diag, "; ");
        err = capa_error_set(msg ? CAPA_EINVALID : CAPA_ENOMEM, "%s: %s", what,
                             msg ? msg : "out of memory");
        capa__free(msg);
    }
    capa_diag_clear(&diag);
    return err;
}

/* Validate values against a form; on failure the message lists every violation. */
int capa_case__validate(MDB_txn *txn, const char *what, const capa_formdef *form, const capa_kv *values,
                    size_t n, capa_required level)
{
    capa_diag diag = {0};
    int err = capa_case__precheck(what, values, n);
    if (err)
        return err;
    err = capa_form_validate(form, values, n, level, capa_user__exists_cb, txn, &diag);
    if (diag.n) {
        char *msg = capa_diag_join(&diag, "; ");
        err = capa_error_set(msg ? CAPA_EINVALID : CAPA_ENOMEM, "%s: %s", what,
                             msg ? msg : "out of memory");
        capa__free(msg);
        if (err == CAPA_EINVALID) { /* the callers say where (capa__refusal_where) */
            capa__refusal_begin(err, NULL, NULL, NULL);
            capa__refusal_from_diag(&diag, form);
        }
    } else if (err) {
        err = capa_error_set(err, "%s: validation failed (%s)", what, capa_strerror(err));
    }
    capa_diag_clear(&diag);
    return err;
}

int capa_case__check_reason(const char *verb, const char *number, const char *reason, int required)
{
    char what[200];
    const char *p = reason;
    while (p && (*p == ' ' || *p == '\t'))
        p++;
    int err;
    if (required && (!p || !*p)) {
        err = capa_error_set(CAPA_EINVALID,
                             "%s %s: reason: empty; a rejection (审查 N) must say why", verb,
                             number ? number : "");
        capa__refusal_begin(err, verb, number, NULL);
        capa__refusal_add("reason.required", "reason", "", NULL);
        return err;
    }
    if (reason && strlen(reason) > 4000) {
        err = capa_error_set(CAPA_EINVALID, "%s %s: reason: %zu bytes; at most 4000", verb,
                             number ? number : "", strlen(reason));
        capa__refusal_begin(err, verb, number, NULL);
        capa__refusal_add("reason.max_bytes", "reason", "", NULL);
        capa__refusal_param("max", "4000");
        capa__refusal_param("length", "%zu", strlen(reason));
        return err;
    }
    snprintf(what, sizeof what, "%s %.60s: reason", verb, number ? number : "");
    return capa__line_check(what, "reason", reason);
}

/* ---- may open (for menus) ---- */

typedef struct may_open_arg {
    const capa_stage *st;
    char names[600];
    size_t n;
} may_open_arg;

static int may_open_who(const capa_user *u, void *payload)
{
    may_open_arg *a = payload;
    size_t used = strlen(a->names);
    if (u->locked || !capa_role_in(a->st->editors, a->st->n_editors, u->role))
        return 0;
    if (used < sizeof a->names - 80)
        snprintf(a->names + used, sizeof a->names - used, "%s%.60s", a->n ? ", " : "",
                 u->name && *u->name ? u->name : u->id);
    a->n++;
    return 0;
}

int capa_workflow_may_open(const capa_workflow *wf, const char *role)
{
    return wf && wf->n_stages && role &&
           capa_role_in(wf->stages[0].editors, wf->stages[0].n_editors, role);
}

int capa_case_may_open(capa_store *s, const char *user, const char *workflow)
{
    const capa_workflow *wf = NULL;
    capa_user *u = NULL;
    char roles[256];
    int err = capa_store_workflow_get(&wf, s, workflow);
    if (err || (err = capa_user_get(&u, s, user)) != CAPA_OK)
        return err;
    const capa_stage *st = wf->n_stages ? &wf->stages[0] : NULL;
    if (capa_workflow_may_open(wf, u->role)) {
        capa_user_free(u);
        return CAPA_OK;
    }
    may_open_arg a = {.st = st};
    if (st)
        capa_user_foreach(s, may_open_who, &a);
    roles_text(roles, sizeof roles, st ? st->editors : NULL, st ? st->n_editors : 0);
    err = capa_error_set(CAPA_EDENIED,
                         "open: user `%s` has role %s; opening a case (stage %s %s) needs role %s",
                         u->id, u->role, st ? st->id : "", st ? stage_label(st) : "", roles);
    capa__refusal_begin(err, "open", NULL, st);
    capa__refusal_add("open.role", NULL, NULL, NULL);
    refusal_role(s, NULL, wf, u->role);
    if (st)
        capa__refusal_roles(wf, "roles", st->editors, st->n_editors);
    if (a.n)
        capa__refusal_param("who", "%s", a.names);
    capa_user_free(u);
    return err;
}

/* ---- open ---- */

typedef struct open_arg {
    const capa_kv *values;
    size_t n;
    const char *workflow; /* NULL: the default */
    char *number;
} open_arg;

/* capa_case__checked's form, for the OPEN this thread runs next. */
static _Thread_local const capa_formdef *checked_form;

void capa_case__checked(const capa_formdef *form)
{
    checked_form = form;
}

static void common_facts(capa_event_rec *e, uint64_t id, int from)
{
    capa_event__fact(e, "auth", "1");
    capa_event__factu(e, "case_id", id);
    capa_event__facti(e, "from", from);
}

static int do_open(capa_wtxn *t, void *arg)
{
    open_arg *a = arg;
    capa_store *s = t->s;
    const capa_workflow *wf = NULL;
    const capa_formdef *form = NULL;
    capa_event_rec e = {0};
    char number[160], key[300], roles[256];
    uint64_t id = 0, ctr = 0;
    int err;
    /* capa_store__write runs this again after growing a full map: drop the first try's. */
    capa__free(a->number);
    a->number = NULL;
    if ((err = capa_store__workflow_of(&wf, s, t->txn, a->workflow)) != CAPA_OK)
        return err;
    const capa_stage *st = &wf->stages[0];
    if (!capa_role_in(st->editors, st->n_editors, t->actor->u.role)) {
        roles_text(roles, sizeof roles, st->editors, st->n_editors);
        err = capa_error_set(CAPA_EDENIED,
                             "open: user `%s` has role %s; opening a case (stage %s %s) needs "
                             "role %s",
                             t->actor->u.id, t->actor->u.role, st->id, stage_label(st), roles);
        capa__refusal_begin(err, "open", NULL, st);
        capa__refusal_add("open.role", NULL, NULL, NULL);
        refusal_role(t->s, t->txn, wf, t->actor->u.role);
        capa__refusal_roles(wf, "roles", st->editors, st->n_editors);
        return err;
    }
    /* The values against the form: unless group commit's helper checked them already against
     * this very form in this transaction's snapshot (capa_case__checked). */
    if ((err = capa_store__form(&form, s, t->txn, st->form_id, 0)) != CAPA_OK ||
        (form != checked_form &&
         (err = capa_case__validate(t->txn, "open", form, a->values, a->n, CAPA_REQ_CREATE)) !=
             CAPA_OK)) {
        capa__refusal_where("open", NULL, st);
        return err;
    }
    if ((err = capa_meta__get_u64(s, t->txn, "next_id", &id)) && err != CAPA_ENOTFOUND)
        return err;
    id = id ? id : 1;
    if ((err = capa__number_next(s, t->txn, wf, t->now, number, sizeof number, key, sizeof key,
                                 &ctr)))
        return err;
    capa_event__init(&e, t->actor->u.id, "open", number, st->id, NULL);
    size_t room = 128; /* the facts' names and numbers */
    for (size_t i = 0; i < a->n; i++)
        room += strlen(a->values[i].name) + strlen(a->values[i].value) + 2;
    capa_event__reserve(&e, room);
    for (size_t i = 0; i < a->n; i++)
        if (*a->values[i].value)
            capa_event__change(&e, a->values[i].name, NULL, a->values[i].value);
    common_facts(&e, id, 0);
    capa_event__facti(&e, "form_version", form->version);
    if (strcmp(wf->id, CAPA_WORKFLOW_DEFAULT) != 0)
        capa_event__fact(&e, "workflow", wf->id);
    if ((err = capa_event__commit(t, &e, NULL)) == CAPA_OK && !(a->number = capa__strdup(number)))
        err = capa_error_set(CAPA_ENOMEM, "open: out of memory");
    capa_event__clear(&e);
    return err;
}

/* ---- a case as an operation reads it: checked against the trail first ---- */

/* A record an operation was about to decide on disagrees with the audit trail. */
static int altered(const char *verb, const char *number, uint64_t id, const char *field,
                   const char *stored, const char *trail, uint64_t seq)
{
    return capa_error_set(CAPA_ECORRUPT,
                          "%s %s: case header (cases, id %llu): field `%s` is '%.200s', but the "
                          "audit trail says '%.200s' (event %llu): the record was changed "
                          "outside capa; nothing was written (capa verify names every such "
                          "record)",
                          verb, number, (unsigned long long)id, field, stored, trail,
                          (unsigned long long)seq);
}

/* Event `seq` of the trail, decoded. */
static int read_event(capa_store *s, MDB_txn *txn, const MDB_val *link, capa_event_rec *e)
{
    MDB_val v;
    if (link->mv_size != 8)
        return capa_error_set(CAPA_ECORRUPT, "case_events: a link is %zu bytes, not 8",
                              link->mv_size);
    int err = capa_store__get(txn, s->dbi[DB_EVENTS], link->mv_data, 8, &v);
    if (err == CAPA_ENOTFOUND)
        return capa_error_set(CAPA_ECORRUPT, "case_events: linked audit event %llu is missing",
                              (unsigned long long)capa_get_be64(link->mv_data));
    return err ? err : capa_event__decode(e, v.mv_data, v.mv_size, NULL, NULL);
}

/* What the trail says of case `id`: its opening event (number, id, workflow; an archived
 * copy when it came by import_archive) and the stage its last hand-over left it in. */
typedef struct trail_case {
    capa_event_rec first;
    uint64_t first_seq, stage_seq;
    char stage[128];
    int closed;
    int round;          /* 二次处理: the round the last round-starting sign-off named, else 1 */
    uint64_t round_seq; /* that event; 0 when none */
} trail_case;

static int trail_of(capa_store *s, MDB_txn *txn, uint64_t id, trail_case *tc)
{
    MDB_cursor *cur = NULL;
    unsigned char k0[8];
    capa_be64(k0, id);
    MDB_val k = {8, k0}, v;
    int err = CAPA_OK, rc = mdb_cursor_open(txn, s->dbi[DB_CASE_EVENTS], &cur);
    memset(tc, 0, sizeof *tc);
    rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_SET_KEY);
    if (rc == MDB_NOTFOUND) {
        err = capa_error_set(CAPA_ECORRUPT, "case id %llu: no audit event is linked to it",
                             (unsigned long long)id);
        goto done;
    }
    if (rc || (err = read_event(s, txn, &v, &tc->first)))
        goto done;
    tc->first_seq = capa_get_be64(v.mv_data);
    /* The stage: the last event that moved the case (few events of a case follow it); the
     * round: the last sign-off that started one (walked back to, when the case has one). */
    tc->round = 1;
    int have_stage = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_LAST_DUP); rc == MDB_SUCCESS;
         rc = mdb_cursor_get(cur, &k, &v, MDB_PREV_DUP)) {
        capa_event_rec e;
        if ((err = read_event(s, txn, &v, &e)))
            goto done;
        const char *a = e.ev.action, *to = NULL, *round = capa_event__get(&e, "round");
        if (round && strcmp(a, "sign") == 0) {
            tc->round = atoi(round);
            tc->round_seq = capa_get_be64(v.mv_data);
        }
        if (have_stage) {
            capa_event__clear(&e);
            if (tc->round_seq)
                break;
            continue;
        }
        if (strcmp(a, "open") == 0 || strcmp(a, "import") == 0) {
            long long closed_at = 0;
            const char *c = capa_event__get(&e, "closed_at");
            closed_at = c ? atoll(c) : 0;
            to = closed_at > 0 ? "closed" : e.ev.stage;
        } else if (strcmp(a, "sign") == 0 || strcmp(a, "reject") == 0) {
            for (size_t i = 0; i < e.n_changes && !to; i++)
                if (e.changes[i].field && strcmp(e.changes[i].field, "stage") == 0)
                    to = e.changes[i].new_value;
        }
        if (to) {
            tc->closed = strcmp(to, "closed") == 0;
            snprintf(tc->stage, sizeof tc->stage, "%s", to);
            tc->stage_seq = capa_get_be64(v.mv_data);
            have_stage = 1;
        }
        capa_event__clear(&e);
        if (to && tc->round_seq)
            break;
    }
done:
    if (!err && rc && rc != MDB_NOTFOUND)
        err = capa_store__mdb_err(rc, "case_events");
    if (cur)
        mdb_cursor_close(cur);
    if (err)
        capa_event__clear(&tc->first);
    return err;
}

int capa_case__load(capa_hdr *out, capa_store *s, MDB_txn *txn, const char *number, uint64_t id,
                    const char *verb)
{
    trail_case tc;
    char want[64], have[64];
    uint64_t by_number = 0;
    memset(out, 0, sizeof *out);
    int err = number ? capa__case_id(s, txn, number, &id) : CAPA_OK;
    if (err)
        return err;
    if ((err = trail_of(s, txn, id, &tc))) {
        char why[300];
        snprintf(why, sizeof why, "%s", capa_error_last());
        return capa_error_set(err, "%s %s: %s; nothing was written (capa verify)", verb,
                              number ? number : "", why);
    }
    const capa_event_rec *o = &tc.first;
    const char *a = o->ev.action, *opened = o->ev.case_number ? o->ev.case_number : "";
    const char *cid = capa_event__get(o, "case_id");
    snprintf(want, sizeof want, "%llu", (unsigned long long)id);
    /* The first event linked to the case opens it, under this number and with this id. */
    if (strcmp(a, "open") != 0 && strcmp(a, "import") != 0 && strcmp(a, "import_archive") != 0) {
        err = capa_error_set(CAPA_ECORRUPT,
                             "%s %s: case_events (id %llu): the first event linked to it (%llu, "
                             "%s) does not open a case: the links were changed outside capa; "
                             "nothing was written (capa verify)",
                             verb, number ? number : opened, (unsigned long long)id,
                             (unsigned long long)tc.first_seq, a);
        goto done;
    }
    if ((o->version >= 2 || cid) && (!cid || strcmp(cid, want) != 0)) {
        err = capa_error_set(CAPA_ECORRUPT,
                             "%s %s: numbers / case_events: the case's first event (%llu, %s %s) "
                             "opened case id %s, not %s: the records were changed outside capa; "
                             "nothing was written (capa verify)",
                             verb, number ? number : opened, (unsigned long long)tc.first_seq, a,
                             opened, cid ? cid : "?", want);
        goto done;
    }
    if (strcmp(a, "import_archive") == 0) {
        const char *from = capa_event__get(o, "origin");
        err = capa_error_set(CAPA_ESTATE,
                             "%s %s: an archived copy imported from %s; it is read-only here", verb,
                             number ? number : opened, from ? from : "another store");
        capa__refusal_begin(err, verb, number ? number : opened, NULL);
        capa__refusal_add("case.imported", NULL, NULL, NULL);
        capa__refusal_param("origin", "%s", from ? from : "");
        goto done;
    }
    if (number && strcmp(number, opened) != 0) {
        err = capa_error_set(CAPA_ECORRUPT,
                             "%s %s: numbers: it leads to case id %llu, which the trail opened as "
                             "%s (event %llu): the record was changed outside capa; nothing was "
                             "written (capa verify)",
                             verb, number, (unsigned long long)id, opened,
                             (unsigned long long)tc.first_seq);
        goto done;
    }
    number = opened;
    if ((err = capa__case_id(s, txn, number, &by_number)) || by_number != id) {
        if (!err || err == CAPA_ENOTFOUND)
            err = capa_error_set(CAPA_ECORRUPT,
                                 "%s %s: numbers: the number leads to case id %llu, but the trail "
                                 "opened it as id %llu (event %llu); nothing was written (capa "
                                 "verify)",
                                 verb, number, (unsigned long long)by_number,
                                 (unsigned long long)id, (unsigned long long)tc.first_seq);
        goto done;
    }
    /* Read raw (capa_hdr__get refuses a header whose id is not its key without saying what
     * the trail says instead). */
    unsigned char key[8];
    MDB_val hv;
    capa_be64(key, id);
    if ((err = capa_store__get(txn, s->dbi[DB_CASES], key, 8, &hv))) {
        if (err == CAPA_ENOTFOUND)
            err = capa_error_set(CAPA_ECORRUPT,
                                 "%s %s: case header (cases, id %llu) missing; the trail opened "
                                 "the case (event %llu); nothing was written (capa verify)",
                                 verb, number, (unsigned long long)id,
                                 (unsigned long long)tc.first_seq);
        goto done;
    }
    if ((err = capa_hdr__decode(out, hv.mv_data, hv.mv_size))) {
        if (err == CAPA_ECORRUPT)
            err = capa_error_set(CAPA_ECORRUPT,
                                 "%s %s: case header (cases, id %llu) cannot be decoded: the "
                                 "record was changed outside capa; nothing was written (capa "
                                 "verify)",
                                 verb, number, (unsigned long long)id);
        goto done;
    }
    /* The header is the case's own: its id, its number, its workflow, its stage. */
    snprintf(have, sizeof have, "%llu", (unsigned long long)out->id);
    const char *wf = strcmp(a, "open") == 0 ? capa_event__get(o, "workflow") : NULL;
    if (out->id != id)
        err = altered(verb, number, id, "id", have, want, tc.first_seq);
    else if (strcmp(out->number, number) != 0)
        err = altered(verb, number, id, "number", out->number, number, tc.first_seq);
    else if (out->origin)
        err = altered(verb, number, id, "origin", out->origin, "", tc.first_seq);
    else if ((wf || out->workflow) && (!wf || !out->workflow || strcmp(wf, out->workflow) != 0))
        err = altered(verb, number, id, "workflow", out->workflow ? out->workflow : "",
                      wf ? wf : "", tc.first_seq);
    else if (tc.stage_seq && (out->closed != 0) != tc.closed)
        err = altered(verb, number, id, "closed", out->closed ? "closed" : "open",
                      tc.closed ? "closed" : "open", tc.stage_seq);
    else if (tc.stage_seq && !tc.closed && strcmp(out->stage, tc.stage) != 0)
        err = altered(verb, number, id, "stage", out->stage, tc.stage, tc.stage_seq);
    else if ((out->round > 1 ? out->round : 1) != tc.round) {
        char hr[24], tr[24];
        snprintf(hr, sizeof hr, "%d", out->round > 1 ? out->round : 1);
        snprintf(tr, sizeof tr, "%d", tc.round);
        err = altered(verb, number, id, "round", hr, tr, tc.round_seq ? tc.round_seq : tc.first_seq);
    }
done:
    capa_event__clear(&tc.first);
    if (err)
        capa_hdr_clear(out);
    return err;
}

/* ---- the current stage of an existing case ---- */

typedef struct case_ctx {
    const capa_workflow *wf;
    capa_hdr h;
    int idx; /* current stage index */
    const capa_stage *st;
    capa_stage_record rec;
} case_ctx;

static void case_ctx_clear(case_ctx *c)
{
    capa_hdr_clear(&c->h);
    capa_stage_record_clear(&c->rec);
}

/* Load the case and its current stage; refuse closed cases. */
static int load_current(capa_wtxn *t, const char *number, const char *verb, case_ctx *c)
{
    memset(c, 0, sizeof *c);
    int err = capa_case__load(&c->h, t->s, t->txn, number, 0, verb);
    if (err)
        return err;
    uint64_t id = c->h.id;
    if ((err = capa_store__workflow_of(&c->wf, t->s, t->txn, c->h.workflow)))
        return err;
    if (c->h.origin) {
        err = capa_error_set(CAPA_ESTATE,
                             "%s %s: an archived copy imported from %s; it is read-only here",
                             verb, number, c->h.origin);
        capa__refusal_begin(err, verb, number, NULL);
        capa__refusal_add("case.imported", NULL, NULL, NULL);
        capa__refusal_param("origin", "%s", c->h.origin);
        return err;
    }
    if (c->h.closed) {
        char when[32];
        capa_time_format(when, sizeof when, c->h.closed_at);
        err = capa_error_set(CAPA_ESTATE,
                             "%s %s: case closed (结案) at %s; an archived case is read-only",
                             verb, number, when);
        capa__refusal_begin(err, verb, number, NULL);
        capa__refusal_add("case.closed", NULL, NULL, NULL);
        capa__refusal_param("closed_at", "%s", when);
        return err;
    }
    c->idx = capa_workflow_stage_index(c->wf, c->h.stage);
    if (c->idx < 0)
        return capa_error_set(CAPA_ECORRUPT, "case %s: stage `%s` is not in the workflow", number,
                              c->h.stage);
    c->st = &c->wf->stages[c->idx];
    err = capa_stage__get(t->s, t->txn, id, c->idx, &c->rec);
    if (err == CAPA_ENOTFOUND)
        err = capa_error_set(CAPA_ECORRUPT, "case %s: record of stage %s missing", number,
                             c->h.stage);
    else if (!err && strcmp(c->rec.stage, c->st->id) != 0)
        err = capa_error_set(CAPA_ECORRUPT,
                             "%s %s: record of stage %s (stages, id %llu, index %d): field "
                             "`stage` is '%.60s': the record was changed outside capa; nothing "
                             "was written (capa verify)",
                             verb, number, c->st->id, (unsigned long long)id, c->idx, c->rec.stage);
    return err;
}

/* The person complained about may neither edit nor sign anything on the case (被投诉人应当
 * 回避). */
static int check_recusal(capa_wtxn *t, const case_ctx *c, const char *verb)
{
    if (c->h.subject_person && strcmp(c->h.subject_person, t->actor->u.id) == 0) {
        int err = capa_error_set(CAPA_EDENIED,
                                 "%s %s: user `%s` is the person complained about "
                                 "(subject_person, 被投诉人) and is recused from this case: no "
                                 "edit, no sign-off",
                                 verb, c->h.number, t->actor->u.id);
        capa__refusal_begin(err, verb, c->h.number, c->st);
        capa__refusal_add("case.recused", NULL, NULL, NULL);
        capa__refusal_param("user", "%s", t->actor->u.id);
        return err;
    }
    return CAPA_OK;
}

/* ---- set ---- */

/* A change or signature covers what its author saw (capa_request.data_hash): refuse it when
 * the stage changed since. */
static int check_seen(const char *verb, const char *number, const char *stage, const char *hash,
                      const char *expect)
{
    if (!expect || strcmp(hash, expect) == 0)
        return CAPA_OK;
    int err = capa_error_set(CAPA_ESTATE,
                             "%s %s: the data of stage %s changed since it was shown (data hash "
                             "%.64s shown, %s now): review it and %s again",
                             verb, number, stage, expect, hash, verb);
    capa__refusal_begin(err, verb, number, NULL);
    capa__refusal_add("case.changed", NULL, NULL, NULL);
    capa__refusal_param("stage", "%s", stage);
    return err;
}

static void refusal_who(capa_wtxn *t, const case_ctx *c, char *const *roles, size_t n_roles,
                        int skip_editors);

typedef struct set_arg {
    const char *number;
    const capa_kv *values;
    size_t n;
    const char *reason;
    const char *expect; /* the data hash the editor was shown, or NULL */
} set_arg;

static int do_set(capa_wtxn *t, void *arg)
{
    set_arg *a = arg;
    case_ctx c;
    capa_event_rec e = {0};
    const capa_formdef *form = NULL;
    char what[200], roles[256];
    if (a->n == 0)
        return capa_error_set(CAPA_EINVALID, "set %s: no field=value given",
                              a->number ? a->number : "");
    int err = load_current(t, a->number, "set", &c);
    if (err || (err = check_recusal(t, &c, "set")) != CAPA_OK)
        goto done;
    if (!capa_role_in(c.st->editors, c.st->n_editors, t->actor->u.role)) {
        roles_text(roles, sizeof roles, c.st->editors, c.st->n_editors);
        err = capa_error_set(
            CAPA_EDENIED, "set %s: user `%s` has role %s; stage %s (%s) is edited by role %s",
            a->number, t->actor->u.id, t->actor->u.role, c.st->id, stage_label(c.st), roles);
        capa__refusal_begin(err, "set", a->number, c.st);
        capa__refusal_add("set.role", NULL, NULL, NULL);
        refusal_role(t->s, t->txn, c.wf, t->actor->u.role);
        capa__refusal_roles(c.wf, "roles", c.st->editors, c.st->n_editors);
        refusal_who(t, &c, c.st->editors, c.st->n_editors, 0);
        goto done;
    }
    if (a->expect) {
        char hash[65];
        if ((err = capa_stage__hash(hash, c.h.number, &c.rec)) ||
            (err = check_seen("set", a->number, c.st->id, hash, a->expect)))
            goto done;
    }
    snprintf(what, sizeof what, "set %s (stage %s)", a->number, c.st->id);
    if ((err = capa_store__form(&form, t->s, t->txn, c.rec.form_id, c.rec.form_version)) ||
        (err = capa_case__validate(t->txn, what, form, a->values, a->n, CAPA_REQ_NO))) {
        capa__refusal_where("set", a->number, c.st);
        goto done;
    }
    capa_event__init(&e, t->actor->u.id, "set", c.h.number, c.st->id, a->reason);
    for (size_t i = 0; i < a->n; i++) {
        const char *old = capa_stage__value(&c.rec, a->values[i].name);
        const char *new = *a->values[i].value ? a->values[i].value : NULL;
        if ((!old && !new) || (old && new &&strcmp(old, new) == 0))
            continue;
        capa_event__change(&e, a->values[i].name, old, new);
    }
    if (e.n_changes == 0 && !e.oom) /* nothing changes: nothing to write or audit */
        goto done;
    common_facts(&e, c.h.id, c.idx);
    err = capa_event__commit(t, &e, NULL);
done:
    capa_event__clear(&e);
    case_ctx_clear(&c);
    return err;
}

/* ---- sign and reject ---- */

typedef struct sign_arg {
    const char *number;
    const char *meaning;
    const char *expect; /* the data hash the signer was shown, or NULL */
    const char *reason; /* a waiver's reason (required there), else NULL */
} sign_arg;

/* Facts of a hand-over to stage `to` (-1: closing): who signed as what, over which data. */
static int handover_facts(capa_wtxn *t, case_ctx *c, capa_event_rec *e, int to, const char *hash)
{
    common_facts(e, c->h.id, c->idx);
    capa_event__factf(e, "to", "%d", to);
    capa_event__fact(e, "name", t->actor->u.name);
    capa_event__fact(e, "role", t->actor->u.role);
    capa_event__fact(e, "data_hash", hash);
    if (to >= 0) {
        const capa_formdef *form = NULL;
        const char *fid = c->wf->stages[to].form_id;
        int err = capa_store__form(&form, t->s, t->txn, fid, 0);
        if (err)
            return err;
        capa_event__fact(e, "to_form", fid);
        capa_event__factf(e, "to_form_version", "%d", form->version);
    }
    return CAPA_OK;
}

/* Who could act on the case's current stage instead: users with one of `roles`, not locked,
 * not the person complained about and, with `skip_editors`, who changed nothing in the stage.
 * cli gets "id (name), ..." for the engine's message, names the printed names; *count them. */
static int who_can(capa_wtxn *t, const case_ctx *c, char *const *roles, size_t n_roles,
                   int skip_editors, char *cli, size_t cli_sz, char *names, size_t names_sz,
                   size_t *count)
{
    size_t n = 0;
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    int rc = mdb_cursor_open(t->txn, t->s->dbi[DB_USERS], &cur), err = CAPA_OK;
    cli[0] = names[0] = 0;
    rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    for (; rc == MDB_SUCCESS; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        capa_user_rec u;
        if ((err = capa_user__decode(&u, v.mv_data, v.mv_size)) != CAPA_OK)
            break;
        int edited = 0;
        for (size_t i = 0; skip_editors && i < c->rec.n_editors; i++)
            edited |= strcmp(c->rec.editors[i], u.u.id) == 0;
        int recused = c->h.subject_person && strcmp(c->h.subject_person, u.u.id) == 0;
        if (!edited && !recused && !u.u.locked && !u.u.disabled &&
            capa_role_in(roles, n_roles, u.u.role)) {
            size_t used = strlen(cli);
            if (used < cli_sz - 80)
                snprintf(cli + used, cli_sz - used, "%s%.40s (%.40s)", n ? ", " : "", u.u.id,
                         u.u.name ? u.u.name : "");
            used = strlen(names);
            if (used < names_sz - 80)
                snprintf(names + used, names_sz - used, "%s%.60s", n ? ", " : "",
                         u.u.name && *u.u.name ? u.u.name : u.u.id);
            n++;
        }
        capa_user_rec_clear(&u);
    }
    if (cur)
        mdb_cursor_close(cur);
    *count = n;
    if (err)
        return err;
    if (rc && rc != MDB_NOTFOUND)
        return capa_store__mdb_err(rc, "users");
    return CAPA_OK;
}

/* The refusal's "who": the printed names of who could act instead (none: no parameter). */
static void refusal_who(capa_wtxn *t, const case_ctx *c, char *const *roles, size_t n_roles,
                        int skip_editors)
{
    char cli[600], names[600];
    size_t n = 0;
    if (who_can(t, c, roles, n_roles, skip_editors, cli, sizeof cli, names, sizeof names, &n) ==
            CAPA_OK &&
        n)
        capa__refusal_param("who", "%s", names);
}

/* No dead ends: an independent sign-off refused for self-approval names who could sign
 * instead - users with a signing role who changed nothing in the stage, are not the person
 * complained about and are not locked - or says that nobody can and an admin must add one. */
static int independence_refusal(capa_wtxn *t, const case_ctx *c)
{
    const capa_stage *st = c->st;
    char who[600], names[600], roles[256];
    size_t n = 0;
    int err = who_can(t, c, st->signers, st->n_signers, 1, who, sizeof who, names, sizeof names,
                      &n);
    if (err)
        return err;
    roles_text(roles, sizeof roles, st->signers, st->n_signers);
    if (n)
        err = capa_error_set(CAPA_EDENIED,
                             "sign %s: user `%s` changed fields of stage %s; '%s' must come from "
                             "someone who changed none (no self-approval); who can sign instead: "
                             "%s",
                             c->h.number, t->actor->u.id, st->id, st->sign_meaning, who);
    else
        err = capa_error_set(CAPA_EDENIED,
                             "sign %s: user `%s` changed fields of stage %s; '%s' must come from "
                             "someone who changed none (no self-approval); no other user with "
                             "role %s can sign it: an admin must add one (capa user add ID "
                             "--role %s ...)",
                             c->h.number, t->actor->u.id, st->id, st->sign_meaning, roles,
                             st->signers[0]);
    capa__refusal_begin(err, "sign", c->h.number, st);
    capa__refusal_add(n ? "sign.independent" : "sign.independent_nobody", NULL, NULL, NULL);
    refusal_meaning(st);
    capa__refusal_roles(c->wf, "roles", st->signers, st->n_signers);
    if (n)
        capa__refusal_param("who", "%s", names);
    return err;
}

/* The refusal of a <require> with group, if/is, or, waiver as data (rules signoff.rule and
 * signoff.rule_equals): the field, its value, and every part of the rule in both languages,
 * labelled from the form and the workflow, for the tools to word. */
static void rich_refusal_data(capa_diag *diag, const capa_workflow *wf, const capa_stage *st,
                              const capa_formdef *form, const capa_formdef *ofd,
                              const capa_condition *q, const char *name, const char *v, int row)
{
    char zh[600], en[600], anyzh[1200] = "", anyen[1200] = "", col[200];
    /* stage=: the field (and or=, if=) are the other stage's, labelled from its form. */
    const capa_formdef *rform = q->stage ? ofd : form;
    const capa_stage *ost = q->stage ? capa_workflow_stage(wf, q->stage) : NULL;
    capa_diag_rule(diag,
                   q->equals                ? "signoff.rule_equals"
                   : (q->in_group && v) ? "signoff.rule_in"
                                            : "signoff.rule",
                   name, v ? v : "");
    if (!capa__field_labels(rform, name, zh, en, sizeof zh))
        snprintf(zh, sizeof zh, "%s", name), snprintf(en, sizeof en, "%s", name);
    capa_diag_param(diag, "flabel_zh", "%s%s%s", ost && ost->label_zh ? ost->label_zh : "",
                    ost ? " · " : "", zh);
    capa_diag_param(diag, "flabel_en", "%s%s%s", ost && ost->label_en ? ost->label_en : "",
                    ost ? " · " : "", en);
    if (q->in_group && v) {
        char gzh[600], gen[600];
        snprintf(col, sizeof col, "%s.1.%s", q->in_group, q->in_column);
        const capa_field *g = NULL;
        capa_formdef_lookup(form, col, &g, NULL);
        if (!capa__field_labels(form, col, zh, en, sizeof zh))
            snprintf(zh, sizeof zh, "%s", q->in_column), snprintf(en, sizeof en, "%s", q->in_column);
        const char *czh = strstr(zh, " · "), *cen = strstr(en, " · ");
        snprintf(gzh, sizeof gzh, "%s", g && g->label_zh ? g->label_zh : q->in_group);
        snprintf(gen, sizeof gen, "%s", g && g->label_en ? g->label_en : q->in_group);
        char wzh[1400] = "", wen[1400] = "";
        if (q->in_if) {
            char ic[200], izh[600], ien[600];
            snprintf(ic, sizeof ic, "%s.1.%s", q->in_group, q->in_if);
            if (!capa__field_labels(form, ic, izh, ien, sizeof izh))
                snprintf(izh, sizeof izh, "%s", q->in_if), snprintf(ien, sizeof ien, "%s", q->in_if);
            const char *i_zh = strstr(izh, " · "), *i_en = strstr(ien, " · ");
            const capa_field *cf = capa_formdef_lookup(form, ic, NULL, NULL);
            const capa_choice *is = cf && q->in_is ? capa_field_choice(cf, q->in_is) : NULL;
            if (q->in_is) {
                snprintf(wzh, sizeof wzh, "且「%s」为“%s”", i_zh ? i_zh + 4 : izh,
                         is && is->label_zh ? is->label_zh : q->in_is);
                snprintf(wen, sizeof wen, " with %s '%s'", i_en ? i_en + 4 : ien,
                         is && is->label_en ? is->label_en : q->in_is);
            } else {
                snprintf(wzh, sizeof wzh, "且已填写「%s」", i_zh ? i_zh + 4 : izh);
                snprintf(wen, sizeof wen, " with %s filled in", i_en ? i_en + 4 : ien);
            }
        }
        capa_diag_param(diag, "in_zh", "：「%s」中须有一行「%s」与之相同%s", gzh,
                        czh ? czh + 4 : zh, wzh);
        capa_diag_param(diag, "in_en", " to stand in a row of %s as %s%s", gen,
                        cen ? cen + 4 : en, wen);
    }
    capa_diag_param(diag, "meaning", "%s", st->sign_meaning);
    capa_diag_param(diag, "meaning_zh", "%s",
                    st->sign_meaning_zh ? st->sign_meaning_zh : st->sign_meaning);
    capa_diag_param(diag, "meaning_en", "%s",
                    st->sign_meaning_en ? st->sign_meaning_en : st->sign_meaning);
    for (size_t i = 0; i < q->n_any; i++) {
        if (q->group)
            snprintf(col, sizeof col, "%s.%d.%s", q->group, row, q->any[i]);
        else
            snprintf(col, sizeof col, "%s", q->any[i]);
        if (!capa__field_labels(rform, col, zh, en, sizeof zh))
            snprintf(zh, sizeof zh, "%s", col), snprintf(en, sizeof en, "%s", col);
        size_t lz = strlen(anyzh), le = strlen(anyen);
        snprintf(anyzh + lz, sizeof anyzh - lz, "或「%s」", zh);
        snprintf(anyen + le, sizeof anyen - le, " or %s", en);
    }
    capa_diag_param(diag, "any_zh", "%s", anyzh);
    capa_diag_param(diag, "any_en", "%s", anyen);
    if (q->equals) {
        const capa_field *f = rform ? capa_formdef_lookup(rform, name, NULL, NULL) : NULL;
        const capa_choice *want = f ? capa_field_choice(f, q->equals) : NULL;
        capa_diag_param(diag, "equals", "%s", q->equals);
        capa_diag_param(diag, "equals_zh", "%s",
                        want && want->label_zh ? want->label_zh : q->equals);
        capa_diag_param(diag, "equals_en", "%s",
                        want && want->label_en ? want->label_en : q->equals);
    }
    if (q->if_field) {
        /* if-stage=: a top-level field of that stage; else of the rule's own data */
        const capa_formdef *iform = q->if_stage ? ofd : rform;
        if (q->group && !q->if_stage)
            snprintf(col, sizeof col, "%s.%d.%s", q->group, row, q->if_field);
        else
            snprintf(col, sizeof col, "%s", q->if_field);
        if (!capa__field_labels(iform, col, zh, en, sizeof zh))
            snprintf(zh, sizeof zh, "%s", col), snprintf(en, sizeof en, "%s", col);
        const capa_field *cf = iform ? capa_formdef_lookup(iform, col, NULL, NULL) : NULL;
        const capa_choice *is = cf && q->if_equals ? capa_field_choice(cf, q->if_equals) : NULL;
        if (q->if_equals) {
            capa_diag_param(diag, "cond_zh", "（「%s」为“%s”时）", zh,
                            is && is->label_zh ? is->label_zh : q->if_equals);
            capa_diag_param(diag, "cond_en", " (where %s is '%s')", en,
                            is && is->label_en ? is->label_en : q->if_equals);
        } else {
            capa_diag_param(diag, "cond_zh", "（已填写「%s」时）", zh);
            capa_diag_param(diag, "cond_en", " (where %s is filled in)", en);
        }
    }
    const capa_waiver *w = capa_stage_waiver(st, q->waiver);
    if (w) {
        char ids[512];
        capa_diag_param(diag, "waiver", "%s", w->meaning);
        capa_diag_param(diag, "waiver_zh", "%s", w->label_zh ? w->label_zh : w->meaning);
        capa_diag_param(diag, "waiver_en", "%s", w->label_en ? w->label_en : w->meaning);
        capa__roles_labels(wf, w->by, w->n_by, ids, zh, en, sizeof zh);
        capa_diag_param(diag, "waiver_by", "%s", ids);
        capa_diag_param(diag, "waiver_by_zh", "%s", zh);
        capa_diag_param(diag, "waiver_by_en", "%s", en);
    }
}

/* A refusal of a <require> with group, if/is, or, waiver (IATF 16949 §10.2.4, 8D D7): the
 * first row where it fails, the field (group.N.column), its value and the rule. 1 when the
 * rule is not met. */
static int rich_refusal(capa_diag *diag, const capa_workflow *wf, const capa_stage *st,
                        const capa_formdef *form, const capa_condition *q, const capa_kv *values,
                        size_t n, const capa_stage_record *other, const capa_formdef *ofd,
                        int waived)
{
    int row = 0;
    if (capa_condition_check_in(q, values, n, other->values, other->n_values, waived, &row))
        return 0;
    char name[200], alt[300] = "", cond[300] = "", wv[700] = "", in[400] = "";
    if (q->group)
        snprintf(name, sizeof name, "%s.%d.%s", q->group, row, q->field);
    else
        snprintf(name, sizeof name, "%s", q->field);
    /* stage=: the field is the other stage's, named "stage S field `...`" below */
    const capa_formdef *rform = q->stage ? ofd : form;
    const char *v = capa_kv_get(q->stage ? other->values : values,
                                q->stage ? other->n_values : n, name);
    const capa_field *f = rform ? capa_formdef_lookup(rform, name, NULL, NULL) : NULL;
    if (q->in_group) {
        snprintf(in, sizeof in, " found in a row of `%s` as `%s`", q->in_group, q->in_column);
        if (q->in_if) {
            size_t l = strlen(in);
            snprintf(in + l, sizeof in - l, q->in_is ? " with `%s` = '%s'" : " with `%s`%s filled in",
                     q->in_if, q->in_is ? q->in_is : "");
        }
    }
    for (size_t i = 0; i < q->n_any; i++) {
        size_t l = strlen(alt);
        if (q->group)
            snprintf(alt + l, sizeof alt - l, " or `%s.%d.%s`", q->group, row, q->any[i]);
        else
            snprintf(alt + l, sizeof alt - l, " or `%s`", q->any[i]);
    }
    if (q->if_field) {
        char at[200];
        if (q->group && !q->if_stage)
            snprintf(at, sizeof at, "%s.%d.%s", q->group, row, q->if_field);
        else
            snprintf(at, sizeof at, "%s", q->if_field);
        snprintf(cond, sizeof cond, " where `%s`%s%s %s%s%s", at, q->if_stage ? " of stage " : "",
                 q->if_stage ? q->if_stage : "", q->if_equals ? "= '" : "is filled in",
                 q->if_equals ? q->if_equals : "", q->if_equals ? "'" : "");
    }
    const capa_waiver *w = capa_stage_waiver(st, q->waiver);
    if (w) {
        char roles[200];
        roles_text(roles, sizeof roles, w->by, w->n_by);
        snprintf(wv, sizeof wv,
                 ", or a waiver '%s' (%s) signed by role %s over these data (capa sign CASE "
                 "--meaning %s --reason TEXT); none stands",
                 w->meaning, w->label_zh ? w->label_zh : "", roles, w->meaning);
    }
    char of[120] = "";
    if (q->stage)
        snprintf(of, sizeof of, " of stage %s", q->stage);
    if (q->equals)
        capa_diag_add(diag,
                      "field `%s`%s (%s): value '%s'; the workflow's rule: '%s' requires `%s` = "
                      "'%s'%s%s%s",
                      name, of, f && f->label_zh ? f->label_zh : q->field, v ? v : "",
                      st->sign_meaning, name, q->equals, alt, cond, wv);
    else if (q->in_group && v)
        capa_diag_add(diag,
                      "field `%s`%s (%s): value '%s'; the workflow's rule: '%s' requires it%s%s%s",
                      name, of, f && f->label_zh ? f->label_zh : q->field, v, st->sign_meaning,
                      in, cond, wv);
    else
        capa_diag_add(diag,
                      "field `%s`%s (%s): empty; the workflow's rule: '%s' requires `%s`%s to be "
                      "filled in%s%s%s%s",
                      name, of, f && f->label_zh ? f->label_zh : q->field, st->sign_meaning, name,
                      alt, in[0] ? " and" : "", in, cond, wv);
    rich_refusal_data(diag, wf, st, form, ofd, q, name, v, row);
    return 1;
}

/* What a sign-off needs from the stage data: every field the form requires at sign-off and
 * every condition of the workflow's <signoff>, all reported at once, each naming the field,
 * its value and the rule, and the way on when the data cannot be made to fit. */
static int sign_rules(capa_wtxn *t, const case_ctx *c, const capa_formdef *form,
                      const char *what)
{
    capa_diag diag = {0};
    const capa_stage *st = c->st;
    int err = capa_form_validate(form, c->rec.values, c->rec.n_values, CAPA_REQ_SIGN,
                                 capa_user__exists_cb, t->txn, &diag);
    if (err == CAPA_EINVALID)
        err = CAPA_OK; /* the violations are in diag */
    int unmet = 0;
    char hash[65] = "";
    for (size_t k = 0; !err && k < st->n_requires; k++) {
        const capa_condition *q = &st->requires[k];
        int waived = 0;
        /* A rule of D7's kind added with a later form version holds no record of an earlier
         * one (apply skips it alike). */
        capa_stage_record other = {0};
        const capa_formdef *ofd = NULL;
        if (capa_condition_other(q) &&
            (err = capa_rule__other(&other, &ofd, t->s, t->txn, c->wf, c->h.id, q)))
            break;
        if (capa_condition_extended(q) && !capa_condition_applies_in(q, form, ofd)) {
            capa_stage_record_clear(&other);
            continue;
        }
        if ((q->waiver && !hash[0] && (err = capa_stage__hash(hash, c->h.number, &c->rec))) ||
            (q->waiver && (err = capa_waiver__signed(&waived, t->s, t->txn, c->h.id, st->id,
                                                      q->waiver, hash, c->h.round)))) {
            capa_stage_record_clear(&other);
            break;
        }
        if (capa_condition_extended(q)) {
            unmet += rich_refusal(&diag, c->wf, st, form, q, c->rec.values, c->rec.n_values,
                                  &other, ofd, waived);
            capa_stage_record_clear(&other);
            continue;
        }
        if (capa_condition_holds(q, c->rec.values, c->rec.n_values))
            continue;
        const char *v = capa_kv_get(c->rec.values, c->rec.n_values, q->field);
        const capa_field *f = capa_formdef_field(form, q->field);
        const capa_choice *have = f && v ? capa_field_choice(f, v) : NULL;
        const capa_choice *want = f && q->equals ? capa_field_choice(f, q->equals) : NULL;
        if (q->equals) {
            capa_diag_add(&diag,
                          "field `%s` (%s): value '%s'%s%s%s; the workflow's rule: '%s' requires "
                          "%s = '%s'%s%s%s",
                          q->field, f && f->label_zh ? f->label_zh : q->field, v ? v : "",
                          have ? " (" : "", have ? have->label_zh : "", have ? ")" : "",
                          st->sign_meaning, q->field, q->equals, want ? " (" : "",
                          want ? want->label_zh : "", want ? ")" : "");
            capa_diag_rule(&diag, "signoff.equals", q->field, v ? v : "");
            capa_diag_param(&diag, "equals", "%s", q->equals);
            capa_diag_param(&diag, "equals_zh", "%s", want && want->label_zh ? want->label_zh
                                                                              : q->equals);
            capa_diag_param(&diag, "equals_en", "%s", want && want->label_en ? want->label_en
                                                                              : q->equals);
        } else if (!f || f->required == CAPA_REQ_NO) { /* else the form's check named it */
            capa_diag_add(&diag,
                          "field `%s` (%s): empty; the workflow's rule: '%s' requires it to be "
                          "filled in",
                          q->field, f && f->label_zh ? f->label_zh : q->field, st->sign_meaning);
            capa_diag_rule(&diag, "signoff.filled", q->field, "");
        }
        capa_diag_param(&diag, "meaning", "%s", st->sign_meaning);
        capa_diag_param(&diag, "meaning_zh", "%s",
                        st->sign_meaning_zh ? st->sign_meaning_zh : st->sign_meaning);
        capa_diag_param(&diag, "meaning_en", "%s",
                        st->sign_meaning_en ? st->sign_meaning_en : st->sign_meaning);
        if (st->reject_to) {
            const capa_stage *back = capa_workflow_stage(c->wf, st->reject_to);
            capa_diag_param(&diag, "reject_to", "%s", st->reject_to);
            capa_diag_param(&diag, "reject_to_zh", "%s",
                            back && back->label_zh ? back->label_zh : st->reject_to);
            capa_diag_param(&diag, "reject_to_en", "%s",
                            back && back->label_en ? back->label_en : st->reject_to);
        }
        unmet++;
    }
    if (!err && diag.n) {
        char *msg = capa_diag_join(&diag, "; ");
        char way[300] = "";
        if (unmet && st->reject_to)
            snprintf(way, sizeof way,
                     "; the way on: set the field after a new check, or reject back to %s "
                     "(capa reject %s --reason TEXT)",
                     st->reject_to, c->h.number);
        else
            snprintf(way, sizeof way, "; set the fields named (capa help set %s)", c->h.number);
        err = capa_error_set(msg ? CAPA_EINVALID : CAPA_ENOMEM, "%s: %s%s", what,
                             msg ? msg : "out of memory", way);
        capa__free(msg);
        if (err == CAPA_EINVALID) {
            capa__refusal_begin(err, "sign", c->h.number, st);
            capa__refusal_from_diag(&diag, form);
        }
    } else if (err) {
        err = capa_error_set(err, "%s: validation failed (%s)", what, capa_strerror(err));
    }
    capa_diag_clear(&diag);
    return err;
}

/* A waiver (<waiver> of the stage): an electronic signature by one of its roles, with a
 * reason, over the stage data as they are; the case stays where it is. The sign-off rules
 * naming it accept it while those data are unchanged (capa_waiver__signed). */
static int do_waive(capa_wtxn *t, case_ctx *c, const capa_waiver *wv, const sign_arg *a)
{
    const capa_stage *st = c->st;
    capa_event_rec e = {0};
    char hash[65], roles[256], signer[300];
    int err;
    if (!capa_role_in(wv->by, wv->n_by, t->actor->u.role)) {
        roles_text(roles, sizeof roles, wv->by, wv->n_by);
        err = capa_error_set(CAPA_EDENIED,
                             "sign %s: user `%s` has role %s; waiver '%s' (%s) on stage %s needs "
                             "role %s",
                             a->number, t->actor->u.id, t->actor->u.role, wv->meaning,
                             wv->label_zh ? wv->label_zh : "", st->id, roles);
        capa__refusal_begin(err, "sign", a->number, st);
        capa__refusal_add("waiver.role", NULL, NULL, NULL);
        capa__refusal_param("waiver", "%s", wv->meaning);
        capa__refusal_param("waiver_zh", "%s", wv->label_zh ? wv->label_zh : wv->meaning);
        capa__refusal_param("waiver_en", "%s", wv->label_en ? wv->label_en : wv->meaning);
        refusal_role(t->s, t->txn, c->wf, t->actor->u.role);
        capa__refusal_roles(c->wf, "roles", wv->by, wv->n_by);
        return err;
    }
    if ((err = check_recusal(t, c, "sign")) ||
        (err = capa_case__check_reason("sign", a->number, a->reason, 1)) ||
        (err = capa_stage__hash(hash, c->h.number, &c->rec)) ||
        (err = check_seen("sign", a->number, st->id, hash, a->expect)))
        return err;
    snprintf(signer, sizeof signer, "%s %s (%s)", wv->meaning, t->actor->u.name,
             t->actor->u.role);
    capa_event__init(&e, t->actor->u.id, "waive", c->h.number, st->id, a->reason);
    capa_event__change(&e, "signature", NULL, signer);
    capa_event__change(&e, "data_hash", NULL, hash);
    common_facts(&e, c->h.id, c->idx);
    capa_event__fact(&e, "meaning", wv->meaning);
    capa_event__fact(&e, "name", t->actor->u.name);
    capa_event__fact(&e, "role", t->actor->u.role);
    capa_event__fact(&e, "data_hash", hash);
    err = capa_event__commit(t, &e, NULL);
    capa_event__clear(&e);
    return err;
}

static int do_sign(capa_wtxn *t, void *arg)
{
    sign_arg *a = arg;
    case_ctx c;
    capa_event_rec e = {0};
    const capa_formdef *form = NULL;
    char hash[65], what[200], roles[256];
    int err = load_current(t, a->number, "sign", &c);
    if (err)
        goto done;
    const capa_stage *st = c.st;
    const capa_waiver *wv = capa_stage_waiver(st, a->meaning);
    if (wv) {
        err = do_waive(t, &c, wv, a);
        goto done;
    }
    if (a->reason) {
        err = capa_error_set(CAPA_EINVALID,
                             "sign %s: --reason is for a waiver; '%.40s' on stage %s is a "
                             "sign-off, which takes none",
                             a->number, a->meaning ? a->meaning : "", st->id);
        capa__refusal_begin(err, "sign", a->number, st);
        capa__refusal_add("sign.no_reason", NULL, NULL, NULL);
        capa__refusal_param("given", "%s", a->meaning ? a->meaning : "");
        refusal_meaning(st);
        goto done;
    }
    if (!a->meaning || strcmp(a->meaning, st->sign_meaning) != 0) {
        err = capa_error_set(CAPA_EINVALID,
                             "sign %s: meaning '%.40s' does not fit: stage %s (%s) is signed off "
                             "as '%s' (%s)",
                             a->number, a->meaning ? a->meaning : "", st->id, stage_label(st),
                             st->sign_meaning, st->sign_meaning_zh ? st->sign_meaning_zh : "");
        capa__refusal_begin(err, "sign", a->number, st);
        capa__refusal_add("sign.meaning", NULL, NULL, NULL);
        capa__refusal_param("given", "%s", a->meaning ? a->meaning : "");
        refusal_meaning(st);
        goto done;
    }
    if (!capa_role_in(st->signers, st->n_signers, t->actor->u.role)) {
        roles_text(roles, sizeof roles, st->signers, st->n_signers);
        err = capa_error_set(CAPA_EDENIED,
                             "sign %s: user `%s` has role %s; '%s' on stage %s (%s) needs role %s",
                             a->number, t->actor->u.id, t->actor->u.role, st->sign_meaning, st->id,
                             stage_label(st), roles);
        capa__refusal_begin(err, "sign", a->number, st);
        capa__refusal_add("sign.role", NULL, NULL, NULL);
        refusal_meaning(st);
        refusal_role(t->s, t->txn, c.wf, t->actor->u.role);
        capa__refusal_roles(c.wf, "roles", st->signers, st->n_signers);
        refusal_who(t, &c, st->signers, st->n_signers, st->sign_independent);
        goto done;
    }
    if ((err = check_recusal(t, &c, "sign")) != CAPA_OK)
        goto done;
    if (st->sign_independent) {
        for (size_t i = 0; i < c.rec.n_editors; i++)
            if (strcmp(c.rec.editors[i], t->actor->u.id) == 0) {
                err = independence_refusal(t, &c);
                goto done;
            }
    }
    snprintf(what, sizeof what, "sign %s: stage %s is not complete", a->number, st->id);
    if ((err = capa_store__form(&form, t->s, t->txn, c.rec.form_id, c.rec.form_version)) ||
        (err = sign_rules(t, &c, form, what)) ||
        (err = capa_stage__hash(hash, c.h.number, &c.rec)) ||
        (err = check_seen("sign", a->number, st->id, hash, a->expect)))
        goto done;

    const capa_route *route = NULL;
    int to = capa_workflow_next(c.wf, (size_t)c.idx, c.rec.values, c.rec.n_values, &route);
    char signer[300];
    snprintf(signer, sizeof signer, "%s %s (%s)", st->sign_meaning, t->actor->u.name,
             t->actor->u.role);
    capa_event__init(&e, t->actor->u.id, "sign", c.h.number, st->id, NULL);
    capa_event__change(&e, "stage", st->id, to < 0 ? "closed" : c.wf->stages[to].id);
    capa_event__change(&e, "signature", NULL, signer);
    capa_event__change(&e, "data_hash", NULL, hash);
    capa_event__fact(&e, "meaning", st->sign_meaning);
    if (route) /* for the reader of the trail; apply derives the route from the data */
        capa_event__factf(&e, "route", "%s=%s", route->field, route->equals);
    if (route && route->round) /* 二次处理: the round it starts (apply checks it) */
        capa_event__factf(&e, "round", "%d", (c.h.round > 1 ? c.h.round : 1) + 1);
    if ((err = handover_facts(t, &c, &e, to, hash)) == CAPA_OK)
        err = capa_event__commit(t, &e, NULL);
done:
    capa_event__clear(&e);
    case_ctx_clear(&c);
    return err;
}

typedef struct reject_arg {
    const char *number;
    const char *reason;
    const char *expect;
} reject_arg;

static int do_reject(capa_wtxn *t, void *arg)
{
    reject_arg *a = arg;
    case_ctx c;
    capa_event_rec e = {0};
    char hash[65], roles[256];
    int err = capa_case__check_reason("reject", a->number, a->reason, 1);
    if (err)
        return err;
    err = load_current(t, a->number, "reject", &c);
    if (err)
        goto done;
    const capa_stage *st = c.st;
    int to = st->reject_to ? capa_workflow_stage_index(c.wf, st->reject_to) : -1;
    if (to < 0) {
        err = capa_error_set(CAPA_ESTATE,
                             "reject %s: stage %s (%s) has no review that sends a case back; "
                             "only its sign-off '%s' leaves it",
                             a->number, st->id, stage_label(st), st->sign_meaning);
        capa__refusal_begin(err, "reject", a->number, st);
        capa__refusal_add("reject.none", NULL, NULL, NULL);
        refusal_meaning(st);
        goto done;
    }
    char *const *who = st->n_rejecters ? st->rejecters : st->signers;
    size_t n_who = st->n_rejecters ? st->n_rejecters : st->n_signers;
    if (!capa_role_in(who, n_who, t->actor->u.role)) {
        roles_text(roles, sizeof roles, who, n_who);
        err = capa_error_set(CAPA_EDENIED,
                             "reject %s: user `%s` has role %s; rejecting stage %s needs role %s",
                             a->number, t->actor->u.id, t->actor->u.role, st->id, roles);
        capa__refusal_begin(err, "reject", a->number, st);
        capa__refusal_add("reject.role", NULL, NULL, NULL);
        refusal_role(t->s, t->txn, c.wf, t->actor->u.role);
        capa__refusal_roles(c.wf, "roles", who, n_who);
        refusal_who(t, &c, who, n_who, 0);
        goto done;
    }
    if ((err = check_recusal(t, &c, "reject")) != CAPA_OK ||
        (err = capa_stage__hash(hash, c.h.number, &c.rec)) != CAPA_OK ||
        (err = check_seen("reject", a->number, st->id, hash, a->expect)) != CAPA_OK)
        goto done;
    capa_event__init(&e, t->actor->u.id, "reject", c.h.number, st->id, a->reason);
    capa_event__change(&e, "stage", st->id, c.wf->stages[to].id);
    capa_event__change(&e, "data_hash", NULL, hash);
    if ((err = handover_facts(t, &c, &e, to, hash)) == CAPA_OK)
        err = capa_event__commit(t, &e, NULL);
done:
    capa_event__clear(&e);
    case_ctx_clear(&c);
    return err;
}

/* ---- one request of a group commit (batch.c) ---- */

int capa_case__apply(capa_wtxn *t, void *arg)
{
    capa_request *rq = arg;
    int err;
    if (rq->op != CAPA_OP_OPEN && rq->op != CAPA_OP_IMPORT && (!rq->number || !*rq->number))
        return capa_error_set(CAPA_EINVALID, "submit: no case number given");
    switch (rq->op) {
    case CAPA_OP_OPEN: {
        open_arg a = {rq->values, rq->n_values, rq->workflow, NULL};
        if ((err = do_open(t, &a)) == CAPA_OK)
            rq->number_out = a.number;
        else
            capa__free(a.number);
        return err;
    }
    case CAPA_OP_SET: {
        set_arg a = {rq->number, rq->values, rq->n_values,
                     rq->reason && *rq->reason ? rq->reason : NULL, rq->data_hash};
        return do_set(t, &a);
    }
    case CAPA_OP_SIGN: {
        sign_arg a = {rq->number, rq->meaning, rq->data_hash,
                      rq->reason && *rq->reason ? rq->reason : NULL};
        return do_sign(t, &a);
    }
    case CAPA_OP_REJECT: {
        reject_arg a = {rq->number, rq->reason, rq->data_hash};
        return do_reject(t, &a);
    }
    case CAPA_OP_IMPORT:
        return capa_case__import(t, rq, 1);
    }
    return capa_error_set(CAPA_EINVALID, "submit: unknown request kind %d", (int)rq->op);
}
