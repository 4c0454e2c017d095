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

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "index.h"

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

/* ---- the second core: what a batch's requests need, prepared ahead of the leader ----
 *
 * The leader runs a batch's requests one after the other in its write transaction; the
 * hash chain and the records must be built in that order, by the one thread that holds the
 * transaction. What does not depend on that order is prepared on a helper thread meanwhile:
 * - the zstd frame of each long value (a description), which the event and the stage record
 *   apply derives from it would otherwise compress (codec.c keeps the frame for the second).
 *   The leader hands a request's frames to capa_pack (capa_pack_hints), and zstd gives the
 *   same frame for the same bytes on every thread: the bytes stored do not change.
 * - an OPEN request's values checked against the first stage's form (capa_case__validate,
 *   the one validation), in a read transaction on the snapshot the leader's write transaction
 *   started from. A request of a batch changes no form, workflow or user, so the check's
 *   answer there is its answer in the write transaction; the leader takes it only when the
 *   snapshots are the same (transaction ids) and the form the operation finds is the one
 *   checked (do_open, capa_case__checked). Only a pass is handed over: a request the helper
 *   refused is checked again by the leader, which words the refusal as ever.
 * The leader runs each request exactly as before otherwise. Neither thread waits for the
 * other: a request the helper has not reached, or is still preparing, the leader takes and
 * does in full itself, and the helper skips ahead of the leader. */

enum { PREP_TODO, PREP_BUSY, PREP_READY, PREP_TAKEN };

/* Batches smaller than this are committed without a helper (a thread costs ~50 µs). */
#define PREP_MIN 64

typedef struct prep_item {
    const capa_request *r;
    atomic_int state;   /* PREP_*: TODO -> BUSY -> READY by the helper; TODO -> TAKEN by the
                           leader; READY is final (what it holds stays valid across reruns) */
    capa_frame *frames; /* READY: the frames of r's long values, n_frames of them */
    size_t n_frames;
    const capa_formdef *checked; /* READY: the form r's values passed, or NULL */
} prep_item;

typedef struct prep {
    capa_store *s;
    prep_item *items; /* one per request of the batch, in the order commit_batch runs them */
    size_t n;
    atomic_size_t at; /* the request the leader runs now */
    atomic_int stop;
    pthread_t tid;
    int started;
    /* The helper's: its read transaction (for the form checks), the snapshot's id, and the
     * last workflow it looked up with that workflow's first form. */
    MDB_txn *rtxn;
    size_t snap;
    const char *wf_id;
    const capa_formdef *wf_form;
} prep;

/* The frames of request r's values long enough for capa_pack to compress on their own. */
static void prep_frames(prep_item *it)
{
    const capa_request *r = it->r;
    size_t n = 0;
    for (size_t i = 0; i < r->n_values; i++)
        if (r->values[i].value && strlen(r->values[i].value) >= CAPA_PACK_SPAN)
            n++;
    if (n && (it->frames = capa__calloc(n, sizeof *it->frames)))
        for (size_t i = 0; i < r->n_values; i++) {
            const char *v = r->values[i].value;
            size_t len = v ? strlen(v) : 0;
            if (len >= CAPA_PACK_SPAN && len <= CAPA_PACK_MAX &&
                capa_frame_make(&it->frames[it->n_frames], v, len, 1) == CAPA_OK)
                it->n_frames++;
        }
}

/* An OPEN request's values against its workflow's first form, as do_open checks them. */
static void prep_check(prep *p, prep_item *it)
{
    const capa_request *r = it->r;
    const char *id = r->workflow ? r->workflow : "";
    if (r->op != CAPA_OP_OPEN)
        return;
    if (!p->rtxn) {
        if (capa_store__read_begin(p->s, &p->rtxn) != CAPA_OK) {
            p->rtxn = NULL;
            return;
        }
        p->snap = mdb_txn_id(p->rtxn);
    }
    if (!p->wf_id || strcmp(p->wf_id, id) != 0) {
        const capa_workflow *wf = NULL;
        p->wf_id = NULL;
        p->wf_form = NULL;
        if (capa_store__workflow_of(&wf, p->s, p->rtxn, r->workflow) != CAPA_OK ||
            !wf->n_stages ||
            capa_store__form(&p->wf_form, p->s, p->rtxn, wf->stages[0].form_id, 0) != CAPA_OK)
            return;
        p->wf_id = id;
    }
    if (capa_case__validate(p->rtxn, "open", p->wf_form, r->values, r->n_values,
                            CAPA_REQ_CREATE) == CAPA_OK)
        it->checked = p->wf_form;
}

static void *prep_main(void *arg)
{
    prep *p = arg;
    for (size_t k = 0; k < p->n && !atomic_load(&p->stop); k++) {
        size_t at = atomic_load(&p->at);
        if (k <= at && at + 1 < p->n)
            k = at + 1; /* behind the leader: what it passed, it did itself */
        int st = PREP_TODO;
        if (!atomic_compare_exchange_strong(&p->items[k].state, &st, PREP_BUSY))
            continue;
        prep_frames(&p->items[k]);
        prep_check(p, &p->items[k]);
        atomic_store(&p->items[k].state, PREP_READY);
    }
    capa_store__read_end(p->s, p->rtxn);
    p->rtxn = NULL;
    return NULL;
}

/* Start the helper on a batch worth it (enough requests, a second processor). */
static void prep_start(prep *p, capa_store *s, submission *list)
{
    size_t n = 0;
    memset(p, 0, sizeof *p);
    p->s = s;
    for (submission *sub = list; sub; sub = sub->next)
        n += sub->n;
    if (n < PREP_MIN || sysconf(_SC_NPROCESSORS_ONLN) < 2 ||
        !(p->items = capa__calloc(n, sizeof *p->items)))
        return;
    p->n = n;
    size_t k = 0;
    for (submission *sub = list; sub; sub = sub->next)
        for (size_t i = 0; i < sub->n; i++, k++) {
            p->items[k].r = &sub->reqs[i];
            atomic_init(&p->items[k].state, sub->auth_err[i] == CAPA_OK ? PREP_TODO : PREP_TAKEN);
        }
    atomic_init(&p->at, 0);
    atomic_init(&p->stop, 0);
    p->started = pthread_create(&p->tid, NULL, prep_main, p) == 0;
    if (!p->started) {
        capa__free(p->items);
        p->items = NULL;
        p->n = 0;
    }
}

/* The leader is about to run request k in write transaction txn (the batch's, not a nested
 * one): hand its frames to capa_pack and its checked form to the operation (capa_case__checked),
 * when the helper prepared them. */
static void prep_use(prep *p, size_t k, MDB_txn *txn)
{
    if (!p->items || k >= p->n)
        return;
    atomic_store(&p->at, k);
    int st = PREP_TODO;
    if (atomic_compare_exchange_strong(&p->items[k].state, &st, PREP_TAKEN) || st != PREP_READY)
        return;
    capa_pack_hints(p->items[k].frames, p->items[k].n_frames);
    /* The same snapshot: no commit came between the helper's read and this transaction. */
    if (p->items[k].checked && p->snap + 1 == mdb_txn_id(txn))
        capa_case__checked(p->items[k].checked);
}

static void prep_end(prep *p)
{
    capa_pack_hints(NULL, 0);
    if (p->started) {
        atomic_store(&p->stop, 1);
        pthread_join(p->tid, NULL);
    }
    for (size_t k = 0; k < p->n; k++) {
        for (size_t i = 0; i < p->items[k].n_frames; i++)
            capa_frame_clear(&p->items[k].frames[i]);
        capa__free(p->items[k].frames);
    }
    capa__free(p->items);
    memset(p, 0, sizeof *p);
}

/* A batch of queued submissions as the leader commits it. */
typedef struct batch {
    submission *list;
    int nested; /* run each request in its own nested transaction */
    prep *prep; /* the helper's work, or a prep without items */
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
static int commit_batch_run(capa_wtxn *t, batch *b);

static int commit_batch(capa_wtxn *t, void *arg)
{
    batch *b = arg;
    /* The batch's reads and writes through one cursor per database (capa_store__cursor_memo):
     * a case's records go in at keys next to the last case's, found without a descent from
     * the root; its index entries are gathered and written in key order at the end
     * (capa_index__gather), where most land on the page the last one did. Both only in the
     * optimistic run, where a failed request throws the whole transaction away (a nested
     * run's child transactions keep the plain path). Forgotten before the transaction ends. */
    capa_store__cursor_memo(b->nested ? NULL : t->txn);
    capa_index__gather(b->nested ? NULL : t->txn);
    int err = commit_batch_run(t, b);
    if (err == CAPA_OK)
        err = capa_index__gather_flush(t->s);
    capa_index__gather(NULL);
    capa_store__cursor_memo(NULL);
    return err;
}

static int commit_batch_run(capa_wtxn *t, batch *b)
{
    size_t k = 0;
    for (submission *sub = b->list; sub; sub = sub->next) {
        for (size_t i = 0; i < sub->n; i++, k++) {
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
            prep_use(b->prep, k, t->txn);
            int err = capa_store__run_as(&ct, &sub->users[i], capa_case__apply, r);
            capa_pack_hints(NULL, 0);
            capa_case__checked(NULL);
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

    prep p;
    prep_start(&p, s, list);
    batch b = {list, 0, &p};
    int err, restarts = 0;
    while ((err = capa_store__write(s, NULL, commit_batch, &b)) == RESTART)
        if (++restarts >= MAX_RESTARTS)
            b.nested = 1;
    prep_end(&p);
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
