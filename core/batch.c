/*
 * batch.c - group commit (capa_submit): many threads' changes, one durable transaction.
 *
 * A durable LMDB commit costs two fdatasyncs and a handful of scattered page writes whatever
 * it holds, so one change per transaction tops out near the disk's sync rate. Here callers
 * queue their requests; whoever finds no commit in progress becomes the leader, takes
 * everything queued so far and commits it as one write transaction, in which a failing
 * request is rolled back alone, audit event and all (see commit_batch). Callers wake only
 * after that commit returned, i.e. after the data is on disk.
 * While a leader commits, new requests pile up for the next batch: the busier the store,
 * the larger the batches - the classic group commit of database logs.
 *
 * Passwords are checked (scrypt, deliberately slow) by each caller in its own thread before
 * queueing, so the leader's transaction does no key derivation; inside the transaction the
 * user record is re-read and must be unchanged (capa_store__run_as), as for single calls.
 */
#include "cases.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

typedef struct capa_submission {
    capa_request *reqs;
    size_t n;
    capa_user_rec *users;    /* per request; users[i].u.id NULL when auth failed */
    int *auth_err;           /* per request: CAPA_OK or the authentication error */
    unsigned char *shared;   /* per request: 1 when users[i] is a shallow copy of an earlier one */
    unsigned char *excluded; /* per request: failed in an optimistic run, not run again */
    int done;
    struct capa_submission *next;
} submission;

void capa_request_clear(capa_request *r)
{
    if (!r)
        return;
    capa__free(r->error);
    capa__free(r->number_out);
    capa_refusal_free(r->refusal);
    r->error = NULL;
    r->number_out = NULL;
    r->refusal = NULL;
}

/* Record a request's outcome; the message is copied now, while it is this thread's last. */
static void set_result(capa_request *r, int err)
{
    capa__free(r->error);
    capa_refusal_free(r->refusal);
    r->error = NULL;
    r->refusal = NULL;
    r->result = err;
    if (err != CAPA_OK) {
        const char *msg = capa_error_last();
        r->error = capa__strdup(*msg ? msg : capa_strerror(err));
        r->refusal = capa_refusal_dup(capa_refusal_last()); /* NULL when it has none */
        capa__free(r->number_out);
        r->number_out = NULL;
    }
}

/* A batch of queued submissions as the leader commits it. */
typedef struct batch {
    submission *list;
    int nested; /* run each request in its own nested transaction */
} batch;

/* commit_batch's answer "a request failed: abort and run the batch again without it". */
#define RESTART 1
/* Optimistic runs allowed per batch before falling back to nested transactions. */
#define MAX_RESTARTS 2

/*
 * The leader's write fn. Nested LMDB transactions cost a dirty-page list each (megabytes to
 * allocate and merge), so a batch first runs optimistically: every request directly in the
 * one transaction. When a request fails, whatever it half-wrote is in that transaction, so
 * the transaction is thrown away, the request is marked failed (its outcome does not depend
 * on the requests after it), and the batch runs again without it. After MAX_RESTARTS such
 * runs the batch runs with a nested transaction per request, where a failure costs nothing.
 */
static int commit_batch(capa_wtxn *t, void *arg)
{
    batch *b = arg;
    for (submission *sub = b->list; sub; sub = sub->next) {
        for (size_t i = 0; i < sub->n; i++) {
            capa_request *r = &sub->reqs[i];
            if (sub->auth_err[i] != CAPA_OK || sub->excluded[i])
                continue;
            /* This fn runs again from the top after a restart or a grown map: start clean. */
            capa__free(r->number_out);
            r->number_out = NULL;
            MDB_txn *child = NULL;
            capa_wtxn ct = *t;
            ct.now = capa_store__now(t->s); /* each change its own time, as if alone */
            if (b->nested) {
                int rc = mdb_txn_begin(t->s->env, t->txn, 0, &child);
                if (rc)
                    return capa_store__mdb_err(rc, "begin nested transaction");
                ct.txn = child;
            }
            int err = capa_store__run_as(&ct, &sub->users[i], capa_case__apply, r);
            if (child) {
                int rc;
                if (err == CAPA_OK && (rc = mdb_txn_commit(child)) != MDB_SUCCESS)
                    err = capa_store__mdb_err(rc, "commit nested transaction");
                else if (err != CAPA_OK)
                    mdb_txn_abort(child);
            }
            /* A full map or disk concerns the whole batch: give up so the store grows the
             * map (or reports the disk full) and, if it can, runs every request again. */
            if (err == CAPA_EFULL || err == CAPA_ENOMEM)
                return err;
            set_result(r, err);
            if (err != CAPA_OK && !b->nested) {
                sub->excluded[i] = 1;
                return RESTART;
            }
        }
    }
    return CAPA_OK;
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Longest a leader waits for the submissions it expects: half the last commit, at most 1 ms. */
#define GATHER_MAX_NS 1000000

/*
 * Before committing, wait briefly for the callers the last batch released. Without it,
 * callers released together come back at slightly different times, the first one finds no
 * commit running and commits alone, the rest queue behind it: batches alternate between a
 * few and the rest (8 writers averaged 4.5 cases per commit) and every caller pays a flush
 * for half as many cases as it could. A leader therefore waits until as many submissions are
 * queued as the last batch held plus those that queued behind it, or until half the last
 * commit's duration (at most 1 ms) passed. A lone writer expects one - itself - and never
 * waits. Nothing about durability changes: each caller still returns after the commit that
 * holds its change. Called with g->lock held and g->leader set.
 */
static void gather(struct capa_group *g)
{
    if (g->expect <= 1 || g->queued >= g->expect)
        return;
    int64_t wait = g->last_ns / 2 < GATHER_MAX_NS ? g->last_ns / 2 : GATHER_MAX_NS;
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_nsec += (long)wait;
    if (dl.tv_nsec >= 1000000000) {
        dl.tv_sec += dl.tv_nsec / 1000000000;
        dl.tv_nsec %= 1000000000;
    }
    g->gathering = 1;
    while (g->queued < g->expect)
        if (pthread_cond_timedwait(&g->arrived, &g->lock, &dl) != 0)
            break; /* timed out (or failed): commit what there is */
    g->gathering = 0;
}

/* Lead one batch: everything queued now. Called and returns with g->lock held. */
static void lead(capa_store *s, struct capa_group *g)
{
    g->leader = 1;
    gather(g);
    submission *list = g->head;
    size_t n_subs = g->queued;
    g->head = g->tail = NULL;
    g->queued = 0;
    pthread_mutex_unlock(&g->lock);
    int64_t t0 = mono_ns();

    batch b = {list, 0};
    int err, restarts = 0;
    while ((err = capa_store__write(s, NULL, commit_batch, &b)) == RESTART)
        if (++restarts >= MAX_RESTARTS)
            b.nested = 1;
    for (submission *sub = list; sub; sub = sub->next)
        for (size_t i = 0; i < sub->n; i++) {
            capa_request *r = &sub->reqs[i];
            if (sub->auth_err[i] != CAPA_OK || sub->excluded[i])
                continue;
            /* The transaction did not commit: nothing of it is on disk, whatever each
             * request's own outcome was. */
            if (err != CAPA_OK)
                set_result(r, err);
        }

    pthread_mutex_lock(&g->lock);
    for (submission *sub = list; sub; sub = sub->next)
        sub->done = 1;
    g->last_ns = mono_ns() - t0;
    g->expect = n_subs + g->queued;
    g->leader = 0;
    pthread_cond_broadcast(&g->cond);
}

/* What can be checked without the store - field counts, names given twice, reasons - is
 * checked before the password and before the write lock, in linear time, so a huge or
 * malformed request costs its sender, not the writers queued behind it. */
static int precheck(const capa_request *r)
{
    char what[200];
    switch (r->op) {
    case CAPA_OP_OPEN:
        return capa_case__precheck("open", r->values, r->n_values);
    case CAPA_OP_SET:
        snprintf(what, sizeof what, "set %.60s", r->number ? r->number : "");
        if (r->n_values == 0)
            return capa_error_set(CAPA_EINVALID, "%s: no field=value given", what);
        int err = capa_case__precheck(what, r->values, r->n_values);
        return err ? err : capa_case__check_reason("set", r->number, r->reason, 0);
    case CAPA_OP_REJECT:
        return capa_case__check_reason("reject", r->number, r->reason, 1);
    case CAPA_OP_SIGN: /* a waiver's reason (do_waive requires it) */
        return capa_case__check_reason("sign", r->number, r->reason, 0);
    case CAPA_OP_IMPORT:
        snprintf(what, sizeof what, "import row %llu",
                 r->import ? (unsigned long long)r->import->row : 0ULL);
        return capa_case__precheck(what, r->values, r->n_values);
    }
    return capa_error_set(CAPA_EINVALID, "submit: unknown request kind %d", (int)r->op);
}

/* Authenticate each request; requests with the same user and password share one check. */
static void authenticate(capa_store *s, submission *sub)
{
    for (size_t i = 0; i < sub->n; i++) {
        capa_request *r = &sub->reqs[i];
        if ((sub->auth_err[i] = precheck(r)) != CAPA_OK) {
            set_result(r, sub->auth_err[i]);
            continue;
        }
        const capa_actor *w = &r->who;
        size_t j;
        for (j = 0; j < i; j++) {
            const capa_actor *v = &sub->reqs[j].who;
            if (sub->auth_err[j] == CAPA_OK && w->user && v->user && w->password && v->password &&
                strcmp(w->user, v->user) == 0 && strcmp(w->password, v->password) == 0)
                break;
        }
        if (j < i) {
            /* Shallow share: only users[j] owns the strings (see release()). */
            sub->users[i] = sub->users[j];
            sub->shared[i] = 1;
            sub->auth_err[i] = CAPA_OK;
            continue;
        }
        if (!w->password && r->binding) {
            /* A session's binding: edits only; a signature needs the password again. */
            if (r->op == CAPA_OP_OPEN || r->op == CAPA_OP_SET)
                sub->auth_err[i] = capa_auth__check_binding(s, w->user, r->binding,
                                                            &sub->users[i]);
            else
                sub->auth_err[i] = capa_error_set(
                    CAPA_EDENIED, "%.60s: signing or rejecting needs the password typed again",
                    r->number ? r->number : "");
        } else {
            sub->auth_err[i] = capa_auth__check(s, w, &sub->users[i]);
        }
        if (sub->auth_err[i] != CAPA_OK)
            set_result(r, sub->auth_err[i]);
    }
}

static int submit(capa_store *s, const capa_user_rec *user, capa_request *reqs, size_t n);

static void release(submission *sub)
{
    for (size_t i = 0; i < sub->n; i++)
        if (sub->auth_err[i] == CAPA_OK && !sub->shared[i])
            capa_user_rec_clear(&sub->users[i]);
}

int capa_submit(capa_store *s, capa_request *reqs, size_t n)
{
    return submit(s, NULL, reqs, n);
}

int capa_submit__as(capa_store *s, const capa_user_rec *user, capa_request *reqs, size_t n)
{
    return user ? submit(s, user, reqs, n)
                : capa_error_set(CAPA_EINVALID, "submit: no authenticated user");
}

/* `user`: authenticated already by the caller (an import session); NULL: each request's
 * own actor is authenticated here. */
static int submit(capa_store *s, const capa_user_rec *user, capa_request *reqs, size_t n)
{
    submission sub = {reqs, n, NULL, NULL, NULL, NULL, 0, NULL};
    int err = CAPA_OK;
    if (!s || (!reqs && n))
        return capa_error_set(CAPA_EINVALID, "submit: no store or no requests");
    if (n == 0)
        return CAPA_OK;
    for (size_t i = 0; i < n; i++) {
        reqs[i].result = CAPA_ERROR;
        reqs[i].error = NULL;
        reqs[i].number_out = NULL;
        reqs[i].refusal = NULL;
    }
    sub.users = capa__calloc(n, sizeof *sub.users);
    sub.auth_err = capa__calloc(n, sizeof *sub.auth_err);
    sub.shared = capa__calloc(n, 1);
    sub.excluded = capa__calloc(n, 1);
    if (!sub.users || !sub.auth_err || !sub.shared || !sub.excluded) {
        err = capa_error_set(CAPA_ENOMEM, "submit: out of memory");
        for (size_t i = 0; i < n; i++)
            set_result(&reqs[i], err);
        goto done;
    }
    if (user) {
        /* Shallow copies marked shared: the caller owns the strings (see release()). */
        for (size_t i = 0; i < n; i++) {
            sub.shared[i] = 1;
            sub.users[i] = *user;
            if ((sub.auth_err[i] = precheck(&reqs[i])) != CAPA_OK)
                set_result(&reqs[i], sub.auth_err[i]);
        }
    } else {
        authenticate(s, &sub);
    }

    struct capa_group *g = &s->group;
    pthread_mutex_lock(&g->lock);
    if (g->tail)
        g->tail->next = &sub;
    else
        g->head = &sub;
    g->tail = &sub;
    g->queued++;
    if (g->gathering)
        pthread_cond_signal(&g->arrived); /* the leader counts arrivals */
    while (!sub.done) {
        if (!g->leader)
            lead(s, g);
        else
            pthread_cond_wait(&g->cond, &g->lock);
    }
    pthread_mutex_unlock(&g->lock);
    release(&sub);

    /* The first failure becomes this thread's error, as for a single call. */
    for (size_t i = 0; i < n; i++)
        if (reqs[i].result != CAPA_OK) {
            err = capa_error_set(reqs[i].result, "%s",
                                 reqs[i].error ? reqs[i].error : capa_strerror(reqs[i].result));
            capa_refusal_restore(reqs[i].refusal);
            break;
        }
done:
    capa__free(sub.users);
    capa__free(sub.auth_err);
    capa__free(sub.shared);
    capa__free(sub.excluded);
    return err;
}

/* ---- the single calls: group commit too ---- */

/* Alone they commit alone, and callers on several threads (a server) share durable commits
 * without doing anything special. */
static int submit_one(capa_store *s, capa_request *r, char **out_number)
{
    int err = capa_submit(s, r, 1);
    if (err == CAPA_OK && out_number) {
        *out_number = r->number_out;
        r->number_out = NULL;
    }
    capa_request_clear(r);
    return err;
}

int capa_case_open(char **out_number, capa_store *s, const capa_actor *who, const capa_kv *values,
                   size_t n)
{
    return capa_case_open_in(out_number, s, who, NULL, values, n);
}

int capa_case_open_in(char **out_number, capa_store *s, const capa_actor *who,
                      const char *workflow, const capa_kv *values, size_t n)
{
    capa_request r = {.op = CAPA_OP_OPEN, .values = values, .n_values = n, .workflow = workflow};
    *out_number = NULL;
    if (who)
        r.who = *who;
    return submit_one(s, &r, out_number);
}

int capa_case_set(capa_store *s, const char *number, const capa_actor *who, const capa_kv *values,
                  size_t n, const char *reason)
{
    capa_request r = {
        .op = CAPA_OP_SET, .number = number, .values = values, .n_values = n, .reason = reason};
    if (who)
        r.who = *who;
    return submit_one(s, &r, NULL);
}

int capa_case_sign(capa_store *s, const char *number, const capa_actor *who, const char *meaning)
{
    capa_request r = {.op = CAPA_OP_SIGN, .number = number, .meaning = meaning};
    if (who)
        r.who = *who;
    return submit_one(s, &r, NULL);
}

int capa_case_waive(capa_store *s, const char *number, const capa_actor *who, const char *meaning,
                    const char *reason)
{
    capa_request r = {.op = CAPA_OP_SIGN, .number = number, .meaning = meaning, .reason = reason};
    if (who)
        r.who = *who;
    return submit_one(s, &r, NULL);
}

int capa_case_reject(capa_store *s, const char *number, const capa_actor *who, const char *reason)
{
    capa_request r = {.op = CAPA_OP_REJECT, .number = number, .reason = reason};
    if (who)
        r.who = *who;
    return submit_one(s, &r, NULL);
}
