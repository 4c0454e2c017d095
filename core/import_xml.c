/*
 * import_xml.c - `capa import --xml`: a case archive from another store (schemas/case.xsd) taken
 * into this one, for a group archive.
 *
 * Before anything is written the archive must prove itself: every event re-encodes to the
 * bytes its chain hash covers (SHA-256(prev || body) = hash, and an event that follows
 * another directly names that one's hash as prev); the events, replayed through the same
 * apply function as ever into a scratch store holding the archive's own definitions, give
 * exactly the header, stage records, signatures (with their data hashes) and attachment
 * records the archive states. Any difference is named and nothing is written. Then one
 * "import_archive" event carries the whole document; applying it (here, and again whenever verify
 * replays it) makes the case's records from the document and marks the case an archived copy
 * of the exporting organisation (read-only here). The copy is addressed NUMBER@ORIGIN: it
 * takes nothing from this store's numbering, and two plants' cases of one number both fit.
 * The archive's definitions never become this store's: they stay in the document the event
 * carries, and the copy is read with them (capa_case_form, capa_case_workflow).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "refusal.h"
#include "apply.h"
#include "archive.h"
#include "attach.h"
#include "codec.h"
#include "commit.h"
#include "index.h"
#include "record.h"
#include "users.h"

/* ---- the archive proves itself ---- */

static int check_chain(const capa_archive *a, capa_diag *diag)
{
    for (size_t i = 0; i < a->n_events; i++) {
        const capa_event_rec *e = &a->events[i];
        capa_buf b = {0};
        unsigned char h[32];
        capa_event__encode(&b, e);
        if (b.oom) {
            capa_buf_free(&b);
            return CAPA_ENOMEM;
        }
        capa_event__chain(h, a->prev[i], b.p, b.len);
        capa_buf_free(&b);
        if (memcmp(h, e->hash, 32) != 0)
            capa_diag_add(diag,
                          "event %llu (%s): its content does not match its chain hash %.16s... "
                          "(the event was edited)",
                          (unsigned long long)e->ev.seq, e->ev.action, e->ev.hash);
        if (i && e->ev.seq == a->events[i - 1].ev.seq + 1 &&
            memcmp(a->prev[i], a->events[i - 1].hash, 32) != 0)
            capa_diag_add(diag,
                          "event %llu (%s): names as the hash before it not that of event %llu "
                          "(the chain was rewritten)",
                          (unsigned long long)e->ev.seq, e->ev.action,
                          (unsigned long long)a->events[i - 1].ev.seq);
    }
    return CAPA_OK;
}

typedef struct replay_arg {
    const capa_archive *a;
    capa_diag *diag;
} replay_arg;

/* The exporting store, as far as the case's events need it: its numbering, the next case id,
 * the definitions. Then the events. */
static int replay_fn(capa_wtxn *t, void *arg)
{
    replay_arg *r = arg;
    const capa_archive *a = r->a;
    const capa_event_rec *open = &a->events[0];
    char number[160], key[300];
    uint64_t ctr = 0;
    const char *cid = capa_event__get(open, "case_id");
    int err;
    if ((err = capa_meta__put_u64(t->s, t->txn, "format", CAPA_FORMAT_VERSION)) ||
        (err = capa_meta__put_str(t->s, t->txn, "org", a->org)) ||
        (err = capa_meta__put_str(t->s, t->txn, "pattern", a->pattern)) ||
        (err = capa_meta__put_u64(t->s, t->txn, "next_id", cid ? strtoull(cid, NULL, 10) : 1)))
        return err;
    for (size_t i = 0; i < a->n_defs; i++)
        if ((err = capa_store__form_put(t->s, t->txn, a->defs[i].id, a->defs[i].version,
                                        a->defs[i].xml, strlen(a->defs[i].xml))))
            return err;
    /* The counter that makes the open event's number: the digits between the pattern's
     * prefix and suffix for that time, less one. */
    if ((err = capa__number_next(t->s, t->txn, NULL, open->ev.time, number, sizeof number, key,
                                 sizeof key, &ctr)))
        return err;
    const char *brace = strstr(key, "{}"), *num = a->c->number;
    size_t pre = brace ? (size_t)(brace - key) - 4 : 0, suf = brace ? strlen(brace + 2) : 0;
    size_t n = strlen(num);
    char *end = NULL;
    unsigned long long digits =
        brace && n > pre + suf && strncmp(num, key + 4, pre) == 0 &&
                strcmp(num + n - suf, brace + 2) == 0
            ? strtoull(num + pre, &end, 10)
            : 0;
    if (!digits || end != num + n - suf) {
        capa_diag_add(r->diag, "number %s does not follow the archive's pattern %s", num,
                      a->pattern);
        return CAPA_EINVALID;
    }
    if ((err = capa_meta__put_u64(t->s, t->txn, key, digits - 1)))
        return err;
    for (size_t i = 0; i < a->n_events; i++) {
        capa_wtxn et = {.s = t->s, .txn = t->txn, .now = a->events[i].ev.time};
        if ((err = capa_apply__event(&et, &a->events[i], NULL))) {
            capa_diag_add(r->diag, "event %llu (%s) does not replay: %s",
                          (unsigned long long)a->events[i].ev.seq, a->events[i].ev.action,
                          capa_error_last());
            return err == CAPA_ENOMEM ? err : CAPA_EINVALID;
        }
    }
    return CAPA_OK;
}

static void diff_s(capa_diag *d, const char *what, const char *field, const char *stated,
                   const char *derived)
{
    if ((stated == NULL) != (derived == NULL) || (stated && strcmp(stated, derived) != 0))
        capa_diag_add(d, "%s: %s: the archive says '%.200s', its events say '%.200s'", what,
                      field, stated ? stated : "(none)", derived ? derived : "(none)");
}

static void diff_i(capa_diag *d, const char *what, const char *field, long long stated,
                   long long derived)
{
    if (stated != derived)
        capa_diag_add(d, "%s: %s: the archive says %lld, its events say %lld", what, field, stated,
                      derived);
}

/* Every record the archive states against what its events make. */
/* One stage record the archive states (x) against the one its events make (y). */
static void compare_stage(capa_diag *d, const char *what, const capa_stage_record *x,
                          const capa_stage_record *y)
{
    diff_s(d, what, "form", x->form_id, y->form_id);
    diff_i(d, what, "form version", x->form_version, y->form_version);
    diff_i(d, what, "entered", x->entered, y->entered);
    diff_i(d, what, "left", x->left, y->left);
    for (size_t k = 0; k < y->n_values; k++) {
        char f[260];
        snprintf(f, sizeof f, "field `%.200s`", y->values[k].name);
        diff_s(d, what, f, capa_stage__value(x, y->values[k].name), y->values[k].value);
    }
    for (size_t k = 0; k < x->n_values; k++)
        if (!capa_stage__value(y, x->values[k].name))
            capa_diag_add(d, "%s: field `%.200s`: the archive says '%.200s', its events set "
                             "nothing",
                          what, x->values[k].name, x->values[k].value);
    int same = x->n_editors == y->n_editors;
    for (size_t k = 0; same && k < x->n_editors; k++)
        same = strcmp(x->editors[k], y->editors[k]) == 0;
    if (!same)
        capa_diag_add(d, "%s: editors differ from those of its events", what);
}

static void compare(const capa_case *a, const capa_case *b, capa_diag *d)
{
    char what[300];
    diff_s(d, "header", "stage", a->stage, b->stage);
    diff_i(d, "header", "closed", a->closed, b->closed);
    diff_i(d, "header", "opened", a->opened, b->opened);
    diff_i(d, "header", "closed_at", a->closed_at, b->closed_at);
    diff_s(d, "header", "opened_by", a->opened_by, b->opened_by);
    size_t reached = 0;
    for (size_t i = 0; i < b->n_stages; i++) {
        const capa_stage_record *y = &b->stages[i], *x = NULL;
        if (y->form_version <= 0)
            continue;
        reached++;
        for (size_t k = 0; k < a->n_stages && !x; k++)
            if (strcmp(a->stages[k].stage, y->stage) == 0)
                x = &a->stages[k];
        snprintf(what, sizeof what, "stage %s", y->stage);
        if (!x) {
            capa_diag_add(d, "%s: missing from the archive; its events reach it", what);
            continue;
        }
        compare_stage(d, what, x, y);
    }
    if (a->n_stages != reached)
        capa_diag_add(d, "stages: the archive has %zu, its events reach %zu", a->n_stages, reached);
    /* 二次处理: the round, and the records earlier rounds left, as its events made them. */
    diff_i(d, "header", "round", a->round > 1 ? a->round : 1, b->round);
    diff_i(d, "header", "round_at", a->round_at, b->round_at);
    diff_i(d, "earlier rounds", "records", (long long)a->n_earlier, (long long)b->n_earlier);
    for (size_t i = 0; i < a->n_earlier && i < b->n_earlier; i++) {
        const capa_stage_record *x = &a->earlier[i], *y = &b->earlier[i];
        snprintf(what, sizeof what, "stage %s of round %d", y->stage, y->round);
        diff_i(d, what, "round", x->round, y->round);
        diff_s(d, what, "stage", x->stage, y->stage);
        compare_stage(d, what, x, y);
    }
    diff_i(d, "signatures", "count", (long long)a->n_signatures, (long long)b->n_signatures);
    for (size_t i = 0; i < a->n_signatures && i < b->n_signatures; i++) {
        const capa_signature *x = &a->signatures[i], *y = &b->signatures[i];
        snprintf(what, sizeof what, "signature %zu (%s)", i + 1, y->meaning ? y->meaning : "");
        diff_i(d, what, "seq", (long long)x->seq, (long long)y->seq);
        diff_s(d, what, "stage", x->stage, y->stage);
        diff_s(d, what, "kind", x->kind, y->kind);
        diff_s(d, what, "meaning", x->meaning, y->meaning);
        diff_s(d, what, "signer", x->user, y->user);
        diff_s(d, what, "printed name", x->name, y->name);
        diff_s(d, what, "role", x->role, y->role);
        diff_s(d, what, "reason", x->reason, y->reason);
        diff_i(d, what, "time", x->time, y->time);
        diff_s(d, what, "data hash", x->data_hash, y->data_hash);
        diff_i(d, what, "superseded", x->superseded, y->superseded);
        diff_i(d, what, "round", x->round > 1 ? x->round : 1, y->round);
    }
    diff_i(d, "attachments", "count", (long long)a->n_attachments, (long long)b->n_attachments);
    for (size_t i = 0; i < a->n_attachments && i < b->n_attachments; i++) {
        const capa_attachment *x = &a->attachments[i], *y = &b->attachments[i];
        snprintf(what, sizeof what, "attachment %zu (%.100s)", i + 1, y->name);
        diff_i(d, what, "seq", (long long)x->seq, (long long)y->seq);
        diff_s(d, what, "name", x->name, y->name);
        diff_s(d, what, "stage", x->stage, y->stage);
        diff_s(d, what, "sha256", x->sha256, y->sha256);
        diff_i(d, what, "size", (long long)x->size, (long long)y->size);
        diff_s(d, what, "type", x->mime, y->mime);
        diff_s(d, what, "user", x->user, y->user);
        diff_s(d, what, "user name", x->user_name, y->user_name);
        diff_s(d, what, "note", x->note, y->note);
        diff_i(d, what, "time", x->time, y->time);
    }
}

static void rm_dir(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/lock.mdb", dir);
    unlink(path);
    rmdir(dir);
}

/* Replay the archive's events into a scratch store and compare. */
static int prove(const capa_archive *a, capa_diag *diag)
{
    char dir[4096];
    capa_store *sc = NULL;
    capa_case *got = NULL;
    /* Every record is read with its definition: each must come along. */
    int wf = 0;
    for (size_t i = 0; i < a->n_defs; i++)
        wf |= strcmp(a->defs[i].id, CAPA_WORKFLOW_ID) == 0;
    if (!wf)
        capa_diag_add(diag, "definitions: the workflow is missing");
    for (size_t i = 0; i < a->c->n_stages; i++) {
        const capa_stage_record *r = &a->c->stages[i];
        size_t k = 0;
        while (k < a->n_defs &&
               !(strcmp(a->defs[k].id, r->form_id) == 0 && a->defs[k].version == r->form_version))
            k++;
        if (k == a->n_defs)
            capa_diag_add(diag, "stage %s: its form %s version %d is not among the definitions",
                          r->stage, r->form_id, r->form_version);
    }
    int err = diag->n ? CAPA_OK : check_chain(a, diag);
    if (err || diag->n)
        return err ? err : CAPA_EINVALID;
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/capa-import-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir))
        return capa_error_set(CAPA_ERROR, "import: scratch directory %s: %s", dir,
                              strerror(errno));
    replay_arg r = {a, diag};
    if (!(err = capa_store__open_scratch(&sc, dir, (size_t)1 << 30)) &&
        !(err = capa_store__write(sc, NULL, replay_fn, &r)) &&
        !(err = capa_case_get(&got, sc, a->c->number)))
        compare(a->c, got, diag);
    /* Writing the scratch failed (its file system full, say): not the archive's fault. */
    if (err == CAPA_ERROR || err == CAPA_EFULL)
        err = capa_store__scratch_fail(dir, err);
    else if (err && !diag->n && err != CAPA_ENOMEM)
        capa_diag_add(diag, "its events do not replay: %s", capa_error_last());
    capa_case_free(got);
    capa_store_close(sc);
    rm_dir(dir);
    return err == CAPA_ENOMEM ? err : diag->n ? CAPA_EINVALID : err;
}

/* ---- the import event ---- */

/* The k-th address (k from 1) an imported copy of case `number` from `origin` may take here:
 * NUMBER@ORIGIN, then NUMBER@ORIGIN~2, ~3, ... for copies of other cases that share number
 * and organisation name (two plants named alike). A number never holds '@' (its pattern
 * allows letters, digits and - _ / . only), so the part before the first '@' is always the
 * exporter's number, and an address can never be a number of this store's own sequence. */
static char *address_k(const char *number, const char *origin, unsigned k)
{
    return k <= 1 ? capa__sprintf("%s@%s", number, origin)
                  : capa__sprintf("%s@%s~%u", number, origin, k);
}

/* The archive an imported copy (case id `id`) came in: the one its import_archive event
 * carries. The chain protects it: nothing of it is stored anywhere else. */
static int case_archive(capa_archive **out, capa_store *s, MDB_txn *txn, uint64_t id)
{
    MDB_cursor *cur = NULL;
    capa_event_rec e;
    int have = 0, err = CAPA_OK;
    unsigned char ck[8];
    *out = NULL;
    capa_be64(ck, id);
    MDB_val k = {8, ck}, v;
    int rc = mdb_cursor_open(txn, s->dbi[DB_CASE_EVENTS], &cur);
    for (rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_SET_KEY); rc == 0 && !have && !err;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_DUP)) {
        MDB_val ev;
        unsigned char sk[8];
        memcpy(sk, v.mv_data, 8);
        if ((err = capa_store__get(txn, s->dbi[DB_EVENTS], sk, 8, &ev)) ||
            (err = capa_event__decode(&e, ev.mv_data, ev.mv_size, NULL, NULL)))
            break;
        if (strcmp(e.ev.action, "import_archive") == 0)
            have = 1;
        else
            capa_event__clear(&e);
    }
    if (cur)
        mdb_cursor_close(cur);
    if (!err && rc && rc != MDB_NOTFOUND && !have)
        err = capa_store__mdb_err(rc, "case events");
    if (err)
        return err;
    if (!have)
        return capa_error_set(CAPA_ECORRUPT,
                              "case id %llu: an imported copy without its import "
                              "event",
                              (unsigned long long)id);
    capa_diag diag = {0};
    const char *doc = capa_event__get(&e, "archive");
    err = doc ? capa_archive__parse(out, doc, strlen(doc), "import event", &diag) : CAPA_ECORRUPT;
    capa_diag_clear(&diag);
    if (err && err != CAPA_ENOMEM)
        err = capa_error_set(CAPA_ECORRUPT, "audit event %llu (import): its archive does not parse",
                             (unsigned long long)e.ev.seq);
    else if (err)
        err = capa_error_set(err, "import: out of memory");
    capa_event__clear(&e);
    return err;
}

/* Whether the imported copy with id `id` is a copy of the very case archive `a` states: the
 * same open event (its chain hash names one event of one plant's chain). */
static int same_case(capa_store *s, MDB_txn *txn, uint64_t id, const capa_archive *a, int *out)
{
    capa_archive *had = NULL;
    *out = 0;
    int err = case_archive(&had, s, txn, id);
    if (!err)
        *out =
            had->n_events && a->n_events && memcmp(had->events[0].hash, a->events[0].hash, 32) == 0;
    capa_archive__free(had);
    return err;
}

/* The address the next copy of (number, origin) takes: the first one free. */
static int address_next(char **out, capa_store *s, MDB_txn *txn, const char *number,
                        const char *origin)
{
    *out = NULL;
    for (unsigned k = 1;; k++) {
        MDB_val v;
        char *addr = address_k(number, origin, k);
        if (!addr)
            return capa_error_set(CAPA_ENOMEM, "import: out of memory");
        int err = capa_store__get(txn, s->dbi[DB_NUMBERS], addr, strlen(addr), &v);
        if (err == CAPA_ENOTFOUND) {
            *out = addr;
            return CAPA_OK;
        }
        capa__free(addr);
        if (err)
            return err;
    }
}

typedef struct import_arg {
    const capa_archive *a;
    const char *xml;
    size_t len;
    char sha[65];
    char *number;
} import_arg;

static int same_stages(const capa_workflow *mine, const capa_archive *a, char *why, size_t sz)
{
    capa_workflow *theirs = NULL;
    capa_diag d = {0};
    int ok = 0;
    for (size_t i = 0; i < a->n_defs; i++)
        if (strcmp(a->defs[i].id, CAPA_WORKFLOW_ID) == 0) {
            capa_workflow_free(theirs);
            theirs = NULL;
            if (capa_workflow_parse(&theirs, a->defs[i].xml, strlen(a->defs[i].xml), "archive",
                                    &d) != CAPA_OK)
                break;
        }
    capa_diag_clear(&d);
    if (!theirs) {
        snprintf(why, sz, "the archive's workflow does not load");
        return 0;
    }
    ok = theirs->n_stages == mine->n_stages;
    for (size_t i = 0; ok && i < mine->n_stages; i++)
        ok = strcmp(theirs->stages[i].id, mine->stages[i].id) == 0;
    if (!ok)
        snprintf(why, sz, "its workflow's stages differ from this store's");
    capa_workflow_free(theirs);
    return ok;
}

static int do_import(capa_wtxn *t, void *arg)
{
    import_arg *ia = arg;
    const capa_archive *a = ia->a;
    const capa_workflow *wf = NULL;
    capa_event_rec e = {0};
    uint64_t id = 0, existing;
    char why[200], summary[400], key[120], *addr = NULL;
    capa__free(ia->number);
    ia->number = NULL;
    int err_ = capa__require_admin(t, "import");
    if (err_)
        return err_;
    int err = capa_store__require_init(t->s, t->txn);
    if (err || (err = capa_store__workflow(&wf, t->s, t->txn)))
        return err;
    /* The same case imported again is refused, however it was exported (by its plant, or
     * again by a store that imported it): a copy is known by its open event's chain hash,
     * which names one event of one plant's chain (meta "archived:HASH" -> its case id). An
     * import made before copies were addressed NUMBER@ORIGIN sits under the bare number. */
    if (!a->n_events)
        return capa__refuse(CAPA_EINVALID, "archive.no_events", "file", a->c->number,
                            "import %s: the archive has no events", a->c->number);
    snprintf(key, sizeof key, "archived:%s", a->events[0].ev.hash);
    if ((err = capa_meta__get_u64(t->s, t->txn, key, &existing)) == CAPA_OK) {
        capa_hdr h = {0};
        if (!(err = capa_hdr__get(t->s, t->txn, existing, &h))) {
            err = capa__refuse(CAPA_EEXISTS, "archive.imported_before", "file", a->c->number,
                               "import %s: this case was already imported (from %s), as %s",
                               a->c->number, h.origin ? h.origin : "?", h.number);
            capa__refusal_param("origin", "%s", h.origin ? h.origin : "?");
            capa__refusal_param("number", "%s", h.number);
        }
        capa_hdr_clear(&h);
        return err;
    } else if (err != CAPA_ENOTFOUND) {
        return err;
    }
    if ((err = capa__case_id(t->s, t->txn, a->c->number, &existing)) == CAPA_OK) {
        capa_hdr h = {0};
        int same = 0;
        if (!(err = capa_hdr__get(t->s, t->txn, existing, &h)) && h.origin)
            err = same_case(t->s, t->txn, existing, a, &same);
        if (!err && same) {
            err = capa__refuse(CAPA_EEXISTS, "archive.imported_before", "file", a->c->number,
                               "import %s: this case was already imported (from %s), as %s",
                               a->c->number, h.origin, h.number);
            capa__refusal_param("origin", "%s", h.origin);
            capa__refusal_param("number", "%s", h.number);
        }
        capa_hdr_clear(&h);
        if (err)
            return err;
    } else if (err != CAPA_ENOTFOUND) {
        return err;
    }
    if (!same_stages(wf, a, why, sizeof why)) {
        int err_ = capa__refuse(CAPA_EINVALID, "archive.invalid", "file", a->c->number,
                                "import %s: %s", a->c->number, why);
        capa__refusal_param("detail", "%s", why);
        return err_;
    }
    if ((err = capa_meta__get_u64(t->s, t->txn, "next_id", &id)) && err != CAPA_ENOTFOUND)
        return err;
    id = id ? id : 1;
    if ((err = address_next(&addr, t->s, t->txn, a->c->number, a->org)))
        return err;
    /* The archive's definitions stay in the archive (the event carries it): they read and
     * verify this one case and never become this store's forms or workflow. */
    capa_event__init(&e, t->actor->u.id, "import_archive", addr, NULL, NULL);
    snprintf(summary, sizeof summary, "from %.150s, %zu events, anchor %.90s", a->org,
             a->n_events, a->anchor);
    capa_event__change(&e, "import", NULL, summary);
    capa_event__fact(&e, "auth", "1");
    capa_event__factf(&e, "case_id", "%llu", (unsigned long long)id);
    capa_event__fact(&e, "origin", a->org);
    capa_event__fact(&e, "address", addr);
    capa_event__fact(&e, "archive_sha256", ia->sha);
    char *copy = capa__strndup(ia->xml, ia->len);
    if (!copy) {
        err = capa_error_set(CAPA_ENOMEM, "import: out of memory");
        goto done;
    }
    capa_event__fact(&e, "archive", copy);
    capa__free(copy);
    if (!(err = capa_event__commit(t, &e, NULL)))
        ia->number = addr, addr = NULL;
done:
    capa__free(addr);
    capa_event__clear(&e);
    return err;
}

int capa_case_import(char **out_number, capa_store *s, const capa_actor *who, const char *xml,
                     size_t len, const char *name)
{
    capa_archive *a = NULL;
    capa_diag diag = {0};
    import_arg ia = {0};
    *out_number = NULL;
    const char *nm = name ? name : "(case archive)";
    /* Parsed, checked and replayed before the password is asked and before the write lock. */
    int err = capa_archive__parse(&a, xml, len, nm, &diag);
    if (!err)
        err = prove(a, &diag);
    if (err) {
        char *msg = capa_diag_join(&diag, "; ");
        if (!msg || !*msg) { /* capa_error_set must not format from its own buffer */
            capa__free(msg);
            msg = capa__strdup(capa_error_last());
        }
        int mismatch = a && err == CAPA_EINVALID;
        if (err == CAPA_ENOMEM || err == CAPA_ERROR) {
            err = capa_error_set(err, "import %s: %s", nm, msg && *msg ? msg : capa_error_last());
        } else {
            err = capa__refuse(CAPA_EINVALID, mismatch ? "archive.mismatch" : "archive.invalid",
                               "file", nm, "import %s: %s%s", nm,
                               mismatch ? "the archive does not match its events: " : "",
                               msg && *msg ? msg : capa_error_last());
            capa__refusal_param("detail", "%s", msg && *msg ? msg : "");
            if (!mismatch)
                capa__refusal_diag_items(&diag);
        }
        capa__free(msg);
        goto done;
    }
    ia.a = a;
    ia.xml = xml;
    ia.len = len;
    capa_sha256_hex(ia.sha, xml, len);
    if ((err = capa_store__mutate(s, who, do_import, &ia)) == CAPA_OK) {
        *out_number = ia.number;
        ia.number = NULL;
    }
done:
    capa__free(ia.number);
    capa_diag_clear(&diag);
    capa_archive__free(a);
    return err;
}

/* ---- applying an import event (apply.c) ---- */

int capa_import_xml__apply(capa_wtxn *t, const capa_event_rec *e, uint64_t *out_id)
{
    capa_store *s = t->s;
    capa_archive *a = NULL;
    capa_diag diag = {0};
    const capa_workflow *wf = NULL;
    capa_hdr h = {0};
    uint64_t id = 0;
    char *addr = NULL;
    const char *doc = capa_event__get(e, "archive"), *cid = capa_event__get(e, "case_id"),
               *origin = capa_event__get(e, "origin");
    int err;
    if (!doc || !cid || !origin)
        return capa_error_set(CAPA_ECORRUPT, "audit event %llu (import): without its archive",
                              (unsigned long long)e->ev.seq);
    if ((err = capa_archive__parse(&a, doc, strlen(doc), "import event", &diag))) {
        capa_diag_clear(&diag);
        return err == CAPA_ENOMEM ? capa_error_set(err, "import: out of memory")
                                  : capa_error_set(CAPA_ECORRUPT,
                                                   "audit event %llu (import): its archive does "
                                                   "not parse",
                                                   (unsigned long long)e->ev.seq);
    }
    capa_diag_clear(&diag);
    if ((err = capa_store__workflow(&wf, s, t->txn)) ||
        (err = capa_meta__get_u64(s, t->txn, "next_id", &id)) != CAPA_OK) {
        if (err != CAPA_ENOTFOUND)
            goto done;
        id = 1;
    }
    if (strtoull(cid, NULL, 10) != id) {
        err = capa_error_set(CAPA_ECORRUPT,
                             "audit event %llu (import %s): case id %s does not follow the last one",
                             (unsigned long long)e->ev.seq, e->ev.case_number, cid);
        goto done;
    }
    const capa_case *c = a->c;
    const capa_stage_record *intake = NULL;
    /* The address here: NUMBER@ORIGIN, the first free one (address_next); an import event
     * written before addresses (no "address" fact) keeps the bare number it took then. */
    const char *said = capa_event__get(e, "address");
    if (said) {
        if ((err = address_next(&addr, s, t->txn, c->number, origin)))
            goto done;
        if (strcmp(said, addr) != 0 || !e->ev.case_number || strcmp(e->ev.case_number, addr)) {
            err = capa_error_set(CAPA_ECORRUPT,
                                 "audit event %llu (import %s): address %s is not the one the "
                                 "archive's case takes here (%s)",
                                 (unsigned long long)e->ev.seq, c->number, said, addr);
            goto done;
        }
    } else if (!(addr = capa__strdup(c->number))) {
        err = capa_error_set(CAPA_ENOMEM, "import: out of memory");
        goto done;
    }
    h.id = id;
    h.closed = c->closed;
    h.opened = c->opened;
    h.closed_at = c->closed_at;
    if ((err = capa__set_str(&h.number, addr)) || (err = capa__set_str(&h.stage, c->stage)) ||
        (err = capa__set_str(&h.opened_by, c->opened_by)) ||
        (err = capa__set_str(&h.origin, origin)))
        goto done;
    for (size_t i = 0; i < c->n_stages; i++) {
        int idx = capa_workflow_stage_index(wf, c->stages[i].stage);
        if (idx < 0) {
            err = capa_error_set(CAPA_ECORRUPT, "audit event %llu (import): stage %s is not in "
                                                "the workflow",
                                 (unsigned long long)e->ev.seq, c->stages[i].stage);
            goto done;
        }
        if (idx == 0)
            intake = &c->stages[i];
        if (strcmp(c->stages[i].stage, c->stage) == 0)
            h.stage_entered = c->stages[i].entered;
        if ((err = capa_stage__put(s, t->txn, id, idx, &c->stages[i])))
            goto done;
    }
    h.round = c->round > 1 ? c->round : 0;
    h.round_at = c->round_at;
    for (size_t i = 0; i < c->n_earlier; i++) {
        int idx = capa_workflow_stage_index(wf, c->earlier[i].stage);
        if (idx < 0 || c->earlier[i].round < 1) {
            err = capa_error_set(CAPA_ECORRUPT,
                                 "audit event %llu (import): stage %s of an earlier round is not "
                                 "in the workflow",
                                 (unsigned long long)e->ev.seq, c->earlier[i].stage);
            goto done;
        }
        if ((err = capa_stage__put_round(s, t->txn, id, idx, c->earlier[i].round,
                                         &c->earlier[i])))
            goto done;
    }
    if (intake && (err = capa_index__sync_header(s, t->txn, &h, intake)))
        goto done;
    for (size_t i = 0; i < c->n_signatures; i++)
        if ((err = capa_sig__put(s, t->txn, id, &c->signatures[i])))
            goto done;
    for (size_t i = 0; i < c->n_attachments; i++) {
        unsigned char k[16];
        void *buf = NULL;
        size_t len = 0;
        capa_att__key(k, id, c->attachments[i].seq);
        if (!(err = capa_att__encode(&c->attachments[i], &buf, &len)))
            err = capa_store__put(t->txn, s->dbi[DB_ATTACH], k, 16, buf, len, MDB_NOOVERWRITE);
        capa__free(buf);
        if (err)
            goto done;
    }
    unsigned char k[8];
    capa_be64(k, id);
    err = capa_store__put(t->txn, s->dbi[DB_NUMBERS], addr, strlen(addr), k, 8, MDB_NOOVERWRITE);
    if (err == CAPA_EEXISTS)
        err = capa_error_set(CAPA_ECORRUPT, "audit event %llu (import): number %s is taken",
                             (unsigned long long)e->ev.seq, addr);
    if (!err && said && a->n_events) {
        /* What a later import of the same case is known by (do_import). */
        char key[120];
        uint64_t had = 0;
        snprintf(key, sizeof key, "archived:%s", a->events[0].ev.hash);
        if ((err = capa_meta__get_u64(s, t->txn, key, &had)) == CAPA_OK)
            err = capa_error_set(CAPA_ECORRUPT,
                                 "audit event %llu (import %s): the case was imported before "
                                 "(case id %llu)",
                                 (unsigned long long)e->ev.seq, c->number, (unsigned long long)had);
        else if (err == CAPA_ENOTFOUND)
            err = capa_meta__put_u64(s, t->txn, key, id);
    }
    if (err || (err = capa_meta__put_u64(s, t->txn, "next_id", id + 1)) ||
        (err = capa_hdr__put(s, t->txn, &h)) ||
        (err = capa_index__put(s, t->txn, DB_IDX_STAGE, h.stage, id)) ||
        (err = capa_index__put_opened(s, t->txn, h.opened, id)))
        goto done;
    *out_id = id;
done:
    capa__free(addr);
    capa_hdr_clear(&h);
    capa_archive__free(a);
    return err;
}

/* ---- reading an imported copy with its own definitions ---- */

/* The text of definition (id, version) in the archive of imported case `c`; version <= 0:
 * the highest the archive has. Parsed into the store's cache (matched on the text). */
static int archived_def(void **out, capa_store *s, const capa_case *c, const char *id, int version,
                        int is_workflow)
{
    MDB_txn *txn = NULL;
    capa_archive *a = NULL;
    uint64_t cid;
    const capa_arch_def *d = NULL;
    *out = NULL;
    int err = capa_store__read_begin(s, &txn);
    if (err)
        return err;
    if ((err = capa__case_id(s, txn, c->number, &cid)) || (err = case_archive(&a, s, txn, cid)))
        goto done;
    for (size_t i = 0; i < a->n_defs; i++)
        if (strcmp(a->defs[i].id, id) == 0 &&
            (version > 0 ? a->defs[i].version == version : !d || a->defs[i].version > d->version))
            d = &a->defs[i];
    if (!d)
        err = capa_error_set(CAPA_ENOTFOUND,
                             "case %s: form `%s` version %d is not among the "
                             "definitions of its archive",
                             c->number, id, version);
    else
        err = capa_store__def_text(out, s, d->id, d->version, d->xml, strlen(d->xml), is_workflow);
done:
    capa_archive__free(a);
    capa_store__read_end(s, txn);
    return err;
}

int capa_case_form(const capa_formdef **out, capa_store *s, const capa_case *c, const char *id,
                   int version)
{
    void *p = NULL;
    *out = NULL;
    if (!c->origin)
        return capa_store_form(out, s, id, version);
    int err = archived_def(&p, s, c, id, version, 0);
    *out = p;
    return err;
}

int capa_case_workflow(const capa_workflow **out, capa_store *s, const capa_case *c)
{
    void *p = NULL;
    *out = NULL;
    if (!c->origin)
        return capa_store_workflow_get(out, s, c->workflow);
    int err = archived_def(&p, s, c, CAPA_WORKFLOW_ID, 0, 1);
    *out = p;
    return err;
}

int capa_case_record_form(const capa_formdef **out, capa_store *s, const capa_case *c,
                          const char *stage)
{
    const capa_workflow *wf = NULL;
    const capa_stage *st;
    int err;
    *out = NULL;
    for (size_t i = 0; i < c->n_stages; i++) {
        const capa_stage_record *r = &c->stages[i];
        if (strcmp(r->stage, stage) == 0 && r->form_id && *r->form_id && r->form_version > 0)
            return capa_case_form(out, s, c, r->form_id, r->form_version);
    }
    if ((err = capa_case_workflow(&wf, s, c)) != CAPA_OK)
        return err;
    if (!(st = capa_workflow_stage(wf, stage)))
        return CAPA_ENOTFOUND;
    return capa_store_form(out, s, st->form_id, 0);
}

int capa_case_stage_form(const capa_formdef **out, capa_store *s, const capa_case *c)
{
    return capa_case_record_form(out, s, c, c->stage);
}

int capa_intake_form(const capa_formdef **out, capa_store *s, const char *workflow)
{
    const capa_workflow *wf = NULL;
    int err;
    *out = NULL;
    if ((err = capa_store_workflow_get(&wf, s, workflow)) != CAPA_OK)
        return err;
    if (wf->n_stages == 0)
        return CAPA_ENOTFOUND;
    return capa_store_form(out, s, wf->stages[0].form_id, 0);
}
