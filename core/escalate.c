/*
 * escalate.c - `capa escalate` (预警 / 催单 / 告警) and its outbox of notices.
 *
 * An escalation is an audit event: for every open limit (idx_due and the case header) that
 * has passed a step of the workflow's <escalate> list - its warning time or its due time,
 * plus the step's delay - and has no escalation of that level yet, one "escalate" event
 * names the case, limit, level and whom it goes to. apply marks the level in the header
 * (so the next run records nothing twice, and a replay refuses a doubled one) and, when the
 * run posts notices, queues the event in the outbox; a "deliver" event clears what was
 * posted. Posting itself is the tool's (core knows no HTTP). Like a checkpoint, the actor is
 * the operating-system owner of the store: a timer runs it, nobody types a password.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "codec.h"
#include "commit.h"
#include "event.h"
#include "index.h"
#include "limits.h"
#include "scan.h"

void capa_escalations_free(capa_escalation_info *a, size_t n)
{
    for (size_t i = 0; a && i < n; i++) {
        capa__free(a[i].number);
        capa__free(a[i].stage);
        capa__free(a[i].limit);
        capa__free(a[i].level);
        capa__free(a[i].to);
        capa__free(a[i].users);
        capa__free(a[i].notify);
    }
    capa__free(a);
}

int64_t capa_escalation__crossed(const capa_escalation *x, const capa_hdr_limit *l)
{
    return (x->at_due ? l->due : l->warn) + (int64_t)(x->after_hours * 3600000.0);
}

/* The info of an escalate event (the outbox and the run's report read the same facts). */
static int info_from_event(capa_escalation_info *out, const capa_event_rec *e)
{
    const char *f[] = {capa_event__get(e, "limit"), capa_event__get(e, "level"),
                       capa_event__get(e, "to"), capa_event__get(e, "users")};
    memset(out, 0, sizeof *out);
    out->seq = e->ev.seq;
    out->time = e->ev.time;
    const char *due = capa_event__get(e, "due"), *crossed = capa_event__get(e, "crossed");
    out->due = due ? strtoll(due, NULL, 10) : 0;
    out->crossed = crossed ? strtoll(crossed, NULL, 10) : 0;
    const char *notify = capa_event__get(e, "notify");
    if (!(out->number = capa__strdup(e->ev.case_number ? e->ev.case_number : "")) ||
        !(out->stage = capa__strdup(e->ev.stage ? e->ev.stage : "")) ||
        !(out->limit = capa__strdup(f[0] ? f[0] : "")) ||
        !(out->level = capa__strdup(f[1] ? f[1] : "")) ||
        !(out->to = capa__strdup(f[2] ? f[2] : "")) ||
        !(out->users = capa__strdup(f[3] ? f[3] : "")) ||
        (notify && !(out->notify = capa__strdup(notify))))
        return capa_error_set(CAPA_ENOMEM, "escalate: out of memory");
    return CAPA_OK;
}

static int push(capa_escalation_info **arr, size_t *n, const capa_event_rec *e)
{
    capa_escalation_info *p = capa__realloc(*arr, (*n + 1) * sizeof *p);
    if (!p)
        return capa_error_set(CAPA_ENOMEM, "escalate: out of memory");
    *arr = p;
    int err = info_from_event(&p[*n], e);
    (*n)++;
    return err;
}

/* The users holding any of `roles` (space separated), as "id (name)" joined by ", ". */
static int users_of(capa_store *s, MDB_txn *txn, const char *roles, capa_buf *out)
{
    capa_scan sc;
    int first = 1, err = CAPA_OK;
    for (int on = capa_scan__first(&sc, txn, s->dbi[DB_USERS]); on; on = capa_scan__next(&sc)) {
        capa_user_rec u;
        if ((err = capa_user__decode(&u, sc.v.mv_data, sc.v.mv_size)))
            break;
        size_t rl = strlen(u.u.role);
        int holds = 0;
        for (const char *p = roles; *p && !holds;) {
            size_t n = strcspn(p, " ");
            holds = n == rl && strncmp(p, u.u.role, n) == 0;
            p += n;
            p += strspn(p, " ");
        }
        if (holds && !u.u.locked && !u.u.disabled) {
            char one[600];
            snprintf(one, sizeof one, "%s%s (%s)", first ? "" : ", ", u.u.id,
                     u.u.name ? u.u.name : "");
            capa_buf_bytes(out, one, strlen(one));
            first = 0;
        }
        capa_user_rec_clear(&u);
    }
    err = capa_scan__end(&sc, err, "users");
    capa_buf_bytes(out, "", 1);
    return err ? err : out->oom ? capa_error_set(CAPA_ENOMEM, "escalate: out of memory") : CAPA_OK;
}

/* The roles a step names, "editors" replaced by the roles that may edit `stage`. */
static void roles_of(char *buf, size_t sz, const capa_workflow *wf, const capa_escalation *x,
                     const char *stage)
{
    const capa_stage *st = capa_workflow_stage(wf, stage);
    size_t o = 0;
    buf[0] = 0;
    for (size_t i = 0; i < x->n_to; i++) {
        int editors = strcmp(x->to[i], "editors") == 0;
        size_t n = editors ? (st ? st->n_editors : 0) : 1;
        for (size_t j = 0; j < n; j++) {
            const char *r = editors ? st->editors[j] : x->to[i];
            /* Once each: "editors qe" where qe edits the stage names qe once. */
            int seen = 0;
            for (const char *p = buf; *p && !seen;) {
                size_t m = strcspn(p, " ");
                seen = m == strlen(r) && strncmp(p, r, m) == 0;
                p += m;
                p += strspn(p, " ");
            }
            if (!seen && o + strlen(r) + 2 < sz)
                o += (size_t)snprintf(buf + o, sz - o, "%s%s", o ? " " : "", r);
        }
    }
}

typedef struct due_item {
    uint64_t id;
    capa_hdr_limit l;
} due_item;

typedef struct esc_arg {
    const char *actor;
    const char *notify;
    capa_escalation_info *out;
    size_t n;
} esc_arg;

/* One limit of one case: an event for every step crossed by now that it has not had. */
static int escalate_limit(capa_wtxn *t, esc_arg *a, const capa_workflow *wf, uint64_t id,
                          uint8_t code)
{
    capa_hdr h;
    /* An escalation names the case idx_due leads to: that case as the trail knows it. */
    int err = capa_case__load(&h, t->s, t->txn, NULL, id, "escalate");
    if (err)
        return err;
    const capa_hdr_limit *l = NULL;
    for (size_t i = 0; i < h.n_limits; i++)
        if (h.limits[i].code == code)
            l = &h.limits[i];
    const char *kind = capa_limits__kind(wf, code);
    for (size_t j = 0; l && kind && !h.closed && j < wf->n_escalations && !err; j++) {
        const capa_escalation *x = &wf->escalations[j];
        int64_t crossed = capa_escalation__crossed(x, l);
        if ((l->escalated >> j & 1) || crossed > t->now)
            continue;
        char roles[512], reason[700], change[200];
        capa_buf users = {0};
        roles_of(roles, sizeof roles, wf, x, h.stage);
        if ((err = users_of(t->s, t->txn, roles, &users))) {
            capa_buf_free(&users);
            break;
        }
        capa_event_rec e = {0};
        snprintf(reason, sizeof reason, "%s %s -> %s", kind, x->level, roles);
        snprintf(change, sizeof change, "escalation:%s:%s", kind, x->level);
        capa_event__init(&e, a->actor, "escalate", h.number, h.stage, reason);
        capa_event__change(&e, change, NULL, roles);
        capa_event__factf(&e, "case_id", "%llu", (unsigned long long)id);
        capa_event__factf(&e, "from", "%d", capa_workflow_stage_index(wf, h.stage));
        capa_event__fact(&e, "limit", kind);
        capa_event__fact(&e, "level", x->level);
        capa_event__factf(&e, "due", "%lld", (long long)l->due);
        capa_event__factf(&e, "crossed", "%lld", (long long)crossed);
        capa_event__fact(&e, "to", roles);
        capa_event__fact(&e, "users", (const char *)users.p);
        if (a->notify)
            capa_event__fact(&e, "notify", a->notify);
        capa_buf_free(&users);
        if (!(err = capa_event__commit(t, &e, NULL)))
            err = push(&a->out, &a->n, &e);
        capa_event__clear(&e);
        /* apply set the level's bit in the stored header: read it again for the next. */
        if (!err) {
            capa_hdr_clear(&h);
            if ((err = capa_hdr__get(t->s, t->txn, id, &h)))
                return err;
            l = NULL;
            for (size_t i = 0; i < h.n_limits; i++)
                if (h.limits[i].code == code)
                    l = &h.limits[i];
        }
    }
    capa_hdr_clear(&h);
    return err;
}

static int do_escalate(capa_wtxn *t, void *arg)
{
    esc_arg *a = arg;
    const capa_workflow *wf = NULL;
    capa_scan sc;
    due_item *items = NULL;
    size_t n = 0, cap = 0;
    capa_escalations_free(a->out, a->n); /* a retried transaction starts over */
    a->out = NULL;
    a->n = 0;
    int err = capa_store__require_init(t->s, t->txn);
    if (err || (err = capa_store__workflow(&wf, t->s, t->txn)))
        return err;
    if (!wf->n_escalations)
        return CAPA_OK;
    /* The candidates first (limits whose warning time has passed); the events after, so
     * no cursor walks a database the events write. */
    for (int on = capa_scan__first(&sc, t->txn, t->s->dbi[DB_IDX_DUE]); on;
         on = capa_scan__next(&sc)) {
        due_item it;
        capa_index__due_read(&sc.k, &sc.v, &it.id, &it.l);
        if (!it.id) {
            err = capa_error_set(CAPA_ECORRUPT, "index idx_due: malformed entry");
            break;
        }
        if (it.l.warn > t->now && it.l.due > t->now)
            continue;
        if (n == cap) {
            due_item *p = capa__realloc(items, (cap = cap ? cap * 2 : 64) * sizeof *p);
            if (!p) {
                err = capa_error_set(CAPA_ENOMEM, "escalate: out of memory");
                break;
            }
            items = p;
        }
        items[n++] = it;
    }
    err = capa_scan__end(&sc, err, "idx_due");
    for (size_t i = 0; i < n && !err; i++)
        err = escalate_limit(t, a, wf, items[i].id, items[i].l.code);
    capa__free(items);
    return err;
}

int capa_escalate(capa_store *s, const char *notify, capa_escalation_info **out, size_t *n)
{
    char actor[80];
    *out = NULL;
    *n = 0;
    if (notify && strcmp(notify, "wecom") != 0 && strcmp(notify, "dingtalk") != 0 &&
        strcmp(notify, "json") != 0)
        return capa_error_set(CAPA_EINVALID,
                              "escalate: notice format '%.40s': must be wecom, dingtalk or json",
                              notify);
    int err = capa_store__os_actor(s, actor, sizeof actor, "escalate");
    if (err)
        return err;
    esc_arg a = {actor, notify, NULL, 0};
    err = capa_store__write(s, NULL, do_escalate, &a);
    if (err) {
        capa_escalations_free(a.out, a.n);
        return err;
    }
    *out = a.out;
    *n = a.n;
    return CAPA_OK;
}

/* ---- the outbox ---- */

int capa_outbox_list(capa_store *s, capa_escalation_info **out, size_t *n)
{
    MDB_txn *txn = NULL;
    capa_scan sc = {0};
    *out = NULL;
    *n = 0;
    int err = capa_store__read_begin(s, &txn);
    if (err)
        return err;
    if ((err = capa_store__require_init(s, txn)))
        goto done;
    for (int on = capa_scan__first(&sc, txn, s->dbi[DB_OUTBOX]); on && !err;
         on = capa_scan__next(&sc)) {
        MDB_val ev;
        capa_event_rec e;
        if (sc.k.mv_size != 8) {
            err = capa_error_set(CAPA_ECORRUPT, "outbox: malformed entry");
            break;
        }
        if ((err = capa_store__get(txn, s->dbi[DB_EVENTS], sc.k.mv_data, 8, &ev)) == CAPA_ENOTFOUND)
            err = capa_error_set(CAPA_ECORRUPT, "outbox: event %llu does not exist",
                                 (unsigned long long)capa_get_be64(sc.k.mv_data));
        if (err || (err = capa_event__decode(&e, ev.mv_data, ev.mv_size, NULL, NULL)))
            break;
        err = push(out, n, &e);
        capa_event__clear(&e);
    }
done:
    err = capa_scan__end(&sc, err, "outbox");
    capa_store__read_end(s, txn);
    if (err) {
        capa_escalations_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return err;
}

typedef struct deliver_arg {
    const char *actor;
    const uint64_t *seqs;
    size_t n;
    uint64_t seq;
} deliver_arg;

static int do_deliver(capa_wtxn *t, void *arg)
{
    deliver_arg *a = arg;
    capa_event_rec e = {0};
    int err = capa_store__require_init(t->s, t->txn);
    if (err)
        return err;
    capa_event__init(&e, a->actor, "deliver", NULL, NULL, "notices posted");
    for (size_t i = 0; i < a->n; i++) {
        char key[40];
        snprintf(key, sizeof key, "notice:%llu", (unsigned long long)a->seqs[i]);
        capa_event__fact(&e, key, "delivered");
    }
    if (!(err = capa_event__commit(t, &e, NULL)))
        a->seq = e.ev.seq;
    capa_event__clear(&e);
    return err;
}

int capa_outbox_delivered(capa_store *s, const uint64_t *seqs, size_t n, uint64_t *out_seq)
{
    char actor[80];
    if (out_seq)
        *out_seq = 0;
    if (n == 0)
        return CAPA_OK;
    int err = capa_store__os_actor(s, actor, sizeof actor, "escalate");
    if (err)
        return err;
    deliver_arg a = {actor, seqs, n, 0};
    err = capa_store__write(s, NULL, do_deliver, &a);
    if (!err && out_seq)
        *out_seq = a.seq;
    return err;
}

/* ---- a case's escalations ---- */

typedef struct case_esc {
    capa_escalation_info *out;
    size_t n;
    int err;
} case_esc;

static int case_esc_cb(const capa_event *ev, void *payload)
{
    case_esc *c = payload;
    if (strcmp(ev->action, "escalate") != 0)
        return 0;
    /* The public view names the facts; info_from_event reads them from a record. */
    capa_event_rec e;
    memset(&e, 0, sizeof e);
    e.ev = *ev;
    e.facts = (capa_kv *)ev->facts;
    e.n_facts = ev->n_facts;
    capa_escalation_info *p = capa__realloc(c->out, (c->n + 1) * sizeof *p);
    if (!p) {
        c->err = capa_error_set(CAPA_ENOMEM, "escalations: out of memory");
        return 1;
    }
    c->out = p;
    c->err = info_from_event(&p[c->n++], &e);
    return c->err ? 1 : 0;
}

int capa_case_escalations(capa_store *s, const char *number, capa_escalation_info **out, size_t *n)
{
    case_esc c = {NULL, 0, CAPA_OK};
    *out = NULL;
    *n = 0;
    int err = capa_audit_foreach(s, number, case_esc_cb, &c);
    if (err == 1)
        err = c.err;
    if (err) {
        capa_escalations_free(c.out, c.n);
        return err;
    }
    *out = c.out;
    *n = c.n;
    return CAPA_OK;
}
