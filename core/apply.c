/*
 * apply.c - applying one audit event to the state (see apply.h).
 *
 * Each action has one function here. An event is first normalised: a format-2 event names
 * every fact (case id, stage indexes, role, printed name, data hash, credential digest,
 * definitions); for a format-1 event the same facts are derived from the changes it lists
 * and from the state so far. From then on both are applied by the same code.
 */
#include "apply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "archive.h"
#include "attach.h"
#include "caseproof.h"
#include "codec.h"
#include "index.h"
#include "limits.h"
#include "rule.h"
#include "waiver.h"
#include "notify.h"

/* ---- numbering ---- */

int capa__number_pattern_check(const char *pattern)
{
    int counters = 0;
    size_t n = strlen(pattern);
    if (n == 0 || n > 40)
        return capa_error_set(CAPA_EINVALID, "number pattern '%.60s': must be 1 to 40 characters",
                              pattern);
    for (const char *p = pattern; *p;) {
        if (*p == '{') {
            if (strncmp(p, "{YYYY}", 6) == 0)
                p += 6;
            else if (strncmp(p, "{YY}", 4) == 0 || strncmp(p, "{MM}", 4) == 0)
                p += 4;
            else if (p[1] == 'N') {
                int w = 0;
                for (p++; *p == 'N'; p++)
                    w++;
                if (*p != '}' || w > 9)
                    break;
                p++;
                counters++;
            } else
                break;
        } else if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                   (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '/' || *p == '.') {
            p++;
        } else {
            return capa_error_set(CAPA_EINVALID,
                                  "number pattern '%s': character '%c' not allowed (letters, "
                                  "digits, - _ / . and {YYYY} {YY} {MM} {NNNN})",
                                  pattern, *p);
        }
        if (p > pattern + n)
            break;
    }
    if (counters != 1)
        return capa_error_set(CAPA_EINVALID,
                              "number pattern '%s': needs exactly one counter {N..} (1 to 9 N) "
                              "and only the tokens {YYYY} {YY} {MM}",
                              pattern);
    return CAPA_OK;
}

/* Append n bytes of src to the string dst of `size` bytes, cut as snprintf would. */
static void cat_n(char *dst, size_t size, const char *src, size_t n)
{
    size_t used = strlen(dst);
    if (used + n >= size)
        n = used + 1 < size ? size - used - 1 : 0;
    memcpy(dst + used, src, n);
    dst[used + n] = 0;
}

/* `v` in decimal, zero-padded to `width` digits (as "%0*llu"), appended like cat_n. */
static void cat_dec(char *dst, size_t size, uint64_t v, int width)
{
    char d[160];
    int n = 0;
    do
        d[sizeof d - 1 - n++] = (char)('0' + v % 10);
    while ((v /= 10) && n < 20);
    while (n < width && n < (int)sizeof d)
        d[sizeof d - 1 - n++] = '0';
    cat_n(dst, size, d + sizeof d - n, (size_t)n);
}

/* A date field (as "%0*d"; a year before 1900 prints its sign as printf does). */
static void cat_date(char *dst, size_t size, int v, int width)
{
    char d[24];
    if (v >= 0) {
        cat_dec(dst, size, (uint64_t)v, width);
        return;
    }
    snprintf(d, sizeof d, "%0*d", width, v);
    cat_n(dst, size, d, strlen(d));
}

/* Expand the number pattern ("QC-{YYYY}-{NNNN}") for `now` into the text before and after
 * the counter. The counter key is that text, so numbering restarts whenever the year
 * changes. Every open and import expands it: the stored pattern is read in place, and the
 * date is taken only for a pattern that prints it. */
static int expand(capa_store *s, MDB_txn *txn, const capa_workflow *wf, int64_t now,
                  char prefix[128], char suffix[128], int *width)
{
    char buf[128], *heap = NULL, *dst = prefix;
    const char *pattern = buf;
    int err = CAPA_OK, have_tm = 0;
    MDB_val v;
    prefix[0] = suffix[0] = 0;
    *width = 0;
    /* A workflow other than the default numbers by its own pattern (checked when it was
     * installed); its counters are keyed by its own prefix, so they never share one. */
    if (wf && wf->number_pattern) {
        pattern = wf->number_pattern;
    } else if ((err = capa_store__get(txn, s->dbi[DB_META], "pattern", 7, &v)) == CAPA_OK) {
        /* As capa_meta__get_str reads it (up to a NUL); on the heap only if long. */
        size_t n = strnlen(v.mv_data, v.mv_size);
        if (n >= sizeof buf && !(pattern = heap = capa__strndup(v.mv_data, n)))
            err = capa_error_set(CAPA_ENOMEM, "out of memory");
        else if (n < sizeof buf)
            memcpy(buf, v.mv_data, n), buf[n] = 0;
    }
    if (err)
        return err == CAPA_ENOTFOUND ? capa_error_set(CAPA_ECORRUPT, "meta: no number pattern")
                                     : capa_error_set(err, "number: %s", capa_strerror(err));
    struct tm tm;
    for (const char *p = pattern; *p;) {
        int date = p[0] == '{' && p[1] != 'N';
        if (date && !have_tm) {
            time_t secs = (time_t)(now / 1000);
            gmtime_r(&secs, &tm);
            have_tm = 1;
        }
        if (date && strncmp(p, "{YYYY}", 6) == 0) {
            cat_date(dst, 128, tm.tm_year + 1900, 4);
            p += 6;
        } else if (date && strncmp(p, "{YY}", 4) == 0) {
            cat_date(dst, 128, tm.tm_year % 100, 2);
            p += 4;
        } else if (date && strncmp(p, "{MM}", 4) == 0) {
            cat_date(dst, 128, tm.tm_mon + 1, 2);
            p += 4;
        } else if (p[0] == '{' && p[1] == 'N') {
            for (p++; *p == 'N'; p++)
                (*width)++;
            if (*p)
                p++; /* '}' (checked at init) */
            dst = suffix;
        } else {
            cat_n(dst, 128, p++, 1);
        }
    }
    capa__free(heap);
    return CAPA_OK;
}

/* "ctr:PREFIX{}SUFFIX", the meta key of a counter (as snprintf would cut it to ksz). */
static void counter_key(char *key, size_t ksz, const char *prefix, const char *suffix)
{
    key[0] = 0;
    cat_n(key, ksz, "ctr:", 4);
    cat_n(key, ksz, prefix, strlen(prefix));
    cat_n(key, ksz, "{}", 2);
    cat_n(key, ksz, suffix, strlen(suffix));
}

static int number_next(capa_store *s, MDB_txn *txn, const capa_workflow *wf, int64_t now,
                       char *number, size_t sz, char *key, size_t ksz, uint64_t *out_ctr,
                       int skip_taken)
{
    char prefix[128], suffix[128];
    int width, err = expand(s, txn, wf, now, prefix, suffix, &width);
    if (err)
        return err;
    uint64_t ctr = 0;
    counter_key(key, ksz, prefix, suffix);
    err = capa_meta__get_u64(s, txn, key, &ctr);
    if (err && err != CAPA_ENOTFOUND)
        return err;
    for (;;) {
        MDB_val v;
        ctr++;
        number[0] = 0;
        cat_n(number, sz, prefix, strlen(prefix));
        cat_dec(number, sz, ctr, width);
        cat_n(number, sz, suffix, strlen(suffix));
        err = capa_store__get(txn, s->dbi[DB_NUMBERS], number, strlen(number), &v);
        if (err == CAPA_ENOTFOUND)
            break;
        if (err)
            return err;
        if (skip_taken)
            continue;
        /* A copy imported before copies were addressed NUMBER@ORIGIN holds another plant's
         * number bare: stepped over, never blocking (no open of a history written before could
         * have taken it, so replay is unchanged). Any other holder is this store's own. */
        capa_hdr h = {0};
        int copy = v.mv_size == 8 &&
                   capa_hdr__get(s, txn, capa_get_be64(v.mv_data), &h) == CAPA_OK && h.origin;
        capa_hdr_clear(&h);
        if (!copy)
            break;
    }
    *out_ctr = ctr;
    return CAPA_OK;
}

int capa__number_next(capa_store *s, MDB_txn *txn, const capa_workflow *wf, int64_t now,
                      char *number, size_t sz, char *key, size_t ksz, uint64_t *out_ctr)
{
    return number_next(s, txn, wf, now, number, sz, key, ksz, out_ctr, 0);
}

int capa__number_next_free(capa_store *s, MDB_txn *txn, const capa_workflow *wf, int64_t now,
                           char *number, size_t sz, char *key, size_t ksz, uint64_t *out_ctr)
{
    return number_next(s, txn, wf, now, number, sz, key, ksz, out_ctr, 1);
}

int capa__number_bump(capa_store *s, MDB_txn *txn, const capa_workflow *wf, int64_t when,
                      const char *number)
{
    char prefix[128], suffix[128], key[300];
    int width, err = expand(s, txn, wf, when, prefix, suffix, &width);
    size_t np = strlen(prefix), ns = strlen(suffix), n = strlen(number);
    if (err)
        return err;
    if (n <= np + ns || strncmp(number, prefix, np) != 0 || strcmp(number + n - ns, suffix) != 0 ||
        n - np - ns > 18)
        return CAPA_OK;
    uint64_t v = 0, ctr = 0;
    for (size_t i = np; i < n - ns; i++) {
        if (number[i] < '0' || number[i] > '9')
            return CAPA_OK;
        v = v * 10 + (uint64_t)(number[i] - '0');
    }
    counter_key(key, sizeof key, prefix, suffix);
    if ((err = capa_meta__get_u64(s, txn, key, &ctr)) && err != CAPA_ENOTFOUND)
        return err;
    return v > ctr ? capa_meta__put_u64(s, txn, key, v) : CAPA_OK;
}

/* ---- helpers ---- */

static int corrupt(const capa_event_rec *e, const char *fmt, const char *a, const char *b)
{
    char what[512];
    snprintf(what, sizeof what, fmt, a ? a : "", b ? b : "");
    return capa_error_set(CAPA_ECORRUPT, "audit event %llu (%s%s%s): %s",
                          (unsigned long long)e->ev.seq, e->ev.action, e->ev.case_number ? " " : "",
                          e->ev.case_number ? e->ev.case_number : "", what);
}

int capa_apply__corrupt(const capa_event_rec *e, const char *fmt, const char *a, const char *b)
{
    return corrupt(e, fmt, a, b);
}

static const capa_change *change(const capa_event_rec *e, const char *field)
{
    for (size_t i = 0; i < e->n_changes; i++)
        if (e->changes[i].field && strcmp(e->changes[i].field, field) == 0)
            return &e->changes[i];
    return NULL;
}

static int fact_int(const capa_event_rec *e, const char *key, long long *out)
{
    const char *v = capa_event__get(e, key);
    char *end;
    if (!v || !*v)
        return 0;
    *out = strtoll(v, &end, 10);
    return *end == 0;
}

int capa__event_authenticated(const capa_event_rec *e)
{
    if (e->version >= 2)
        return capa_event__get(e, "auth") != NULL;
    static const char *const authed[] = {"open",     "set",    "sign",   "reject",
                                         "user_add", "passwd", "unlock", "form_install"};
    for (size_t i = 0; i < sizeof authed / sizeof *authed; i++)
        if (strcmp(e->ev.action, authed[i]) == 0)
            return 1;
    return 0;
}

/* ---- definitions ---- */

static int put_def(capa_wtxn *t, const char *id, int version, const char *xml, size_t len,
                   int overwrite)
{
    if (!overwrite)
        return capa_store__form_put(t->s, t->txn, id, version, xml, len);
    int have = 0, err = capa_store__form_latest(t->s, t->txn, id, &have);
    if (err)
        return err;
    /* Upgrade re-states every stored definition: replace what replay copied. */
    capa_store__form_del(t->s, t->txn, id, version);
    return capa_store__form_put(t->s, t->txn, id, version, xml, len);
}

/* Facts "def:ID:VERSION" carry definitions (format 2). */
static int apply_defs(capa_wtxn *t, const capa_event_rec *e, int overwrite)
{
    for (size_t i = 0; i < e->n_facts; i++) {
        const char *k = e->facts[i].name;
        if (strncmp(k, "def:", 4) != 0)
            continue;
        const char *colon = strrchr(k + 4, ':');
        if (!colon || colon == k + 4)
            return corrupt(e, "bad definition fact '%s'%s", k, NULL);
        char id[200];
        snprintf(id, sizeof id, "%.*s", (int)(colon - (k + 4)), k + 4);
        int version = atoi(colon + 1);
        if (version <= 0)
            return corrupt(e, "bad definition version in '%s'%s", k, NULL);
        int err = put_def(t, id, version, e->facts[i].value, strlen(e->facts[i].value), overwrite);
        if (err)
            return err;
    }
    return CAPA_OK;
}

/* Format 1: changes "form:ID" = VERSION name what was installed; the XML comes from src. */
static int apply_legacy_defs(capa_wtxn *t, const capa_event_rec *e, const capa_apply_src *src)
{
    for (size_t i = 0; i < e->n_changes; i++) {
        const capa_change *c = &e->changes[i];
        if (!c->field || strncmp(c->field, "form:", 5) != 0 || !c->new_value)
            continue;
        int version = atoi(c->new_value);
        char *xml = NULL;
        size_t len = 0;
        if (!src || !src->legacy_def)
            return corrupt(e, "no source for the definition of %s%s", c->field, NULL);
        int err = src->legacy_def(src->payload, c->field + 5, version, &xml, &len);
        if (err == CAPA_ENOTFOUND) /* reported by the comparison: an expected record missing */
            continue;
        if (!err)
            err = put_def(t, c->field + 5, version, xml, len, 0);
        capa__free(xml);
        if (err)
            return err;
    }
    return CAPA_OK;
}

/* ---- users ---- */

static int take_cred(const capa_apply_src *src, const char *user, const char *digest,
                     capa_user_rec *u)
{
    u->log2n = u->r = u->p = 0;
    memset(u->salt, 0, 16);
    memset(u->hash, 0, 32);
    if (!src || !src->cred)
        return CAPA_OK;
    return src->cred(src->payload, user, digest, u);
}

static int apply_user_add(capa_wtxn *t, const capa_event_rec *e, const capa_apply_src *src)
{
    const char *id = capa_event__get(e, "user"), *name = capa_event__get(e, "name"),
               *dept = capa_event__get(e, "dept"), *role = capa_event__get(e, "role");
    if (e->version < 2) {
        const capa_change *c;
        id = (c = change(e, "id")) ? c->new_value : NULL;
        name = (c = change(e, "name")) ? c->new_value : NULL;
        dept = (c = change(e, "dept")) ? c->new_value : "";
        role = (c = change(e, "role")) ? c->new_value : NULL;
    }
    if (!id || !role)
        return corrupt(e, "user event without user id or role%s%s", NULL, NULL);
    capa_user_rec u = {0}, old;
    if (capa_user__get(t->s, t->txn, id, &old) == CAPA_OK) {
        capa_user_rec_clear(&old);
        return corrupt(e, "user `%s` added twice%s", id, NULL);
    }
    u.u.id = (char *)id;
    u.u.name = (char *)(name ? name : "");
    u.u.dept = (char *)(dept ? dept : "");
    u.u.role = (char *)role;
    u.u.created = e->ev.time;
    int err = take_cred(src, id, capa_event__get(e, "cred"), &u);
    if (!err)
        err = capa_user__put(t->s, t->txn, &u);
    return err;
}

/* The user an account event is about. Format 1 put it in the reason (passwd, unlock) or
 * made it the actor (failed logins). */
static const char *account_of(const capa_event_rec *e)
{
    const char *u = capa_event__get(e, "user");
    if (u || e->version >= 2)
        return u;
    if (strcmp(e->ev.action, "login_failed") == 0 || strcmp(e->ev.action, "lock") == 0)
        return e->ev.actor;
    return e->ev.reason;
}

static int apply_account(capa_wtxn *t, const capa_event_rec *e, const capa_apply_src *src)
{
    const char *id = account_of(e);
    const char *action = e->ev.action;
    capa_user_rec u;
    if (!id)
        return corrupt(e, "account event names no user%s%s", NULL, NULL);
    int err = capa_user__get(t->s, t->txn, id, &u);
    if (err == CAPA_ENOTFOUND) {
        /* A failed sign-in as an unknown user is audited but changes nothing. */
        if (strncmp(action, "login_", 6) == 0 || strcmp(action, "lock") == 0)
            return CAPA_OK;
        return corrupt(e, "user `%s` does not exist%s", id, NULL);
    }
    if (err)
        return err;
    if (strcmp(action, "passwd") == 0) {
        err = take_cred(src, id, capa_event__get(e, "cred"), &u);
    } else if (strcmp(action, "unlock") == 0 || strcmp(action, "unlock_local") == 0) {
        u.u.locked = 0;
        u.u.failed = 0;
    } else if (strcmp(action, "login_failed") == 0 || strcmp(action, "lock") == 0) {
        long long failed = 0;
        const capa_change *c = change(e, "failed_logins");
        if (e->version >= 2 ? !fact_int(e, "failed", &failed)
                            : !(c && c->new_value && (failed = atoll(c->new_value)) >= 0))
            return corrupt(e, "failed sign-in without a count%s%s", NULL, NULL);
        u.u.failed = (int)failed;
        if (strcmp(action, "lock") == 0)
            u.u.locked = 1;
    } else if (strcmp(action, "role") == 0) {
        /* The role replaced is the one the account had at this point of the trail. */
        const char *role = capa_event__get(e, "role");
        const capa_change *c = change(e, "role");
        if (!role || !*role)
            err = corrupt(e, "role change without a role%s%s", NULL, NULL);
        else if (c && c->old_value && strcmp(c->old_value, u.u.role) != 0)
            err = corrupt(e, "it replaces role '%s'; the account had '%s'", c->old_value, u.u.role);
        else
            err = capa__set_str(&u.u.role, role);
    } else if (strcmp(action, "user_disable") == 0 || strcmp(action, "user_enable") == 0) {
        u.u.disabled = action[5] == 'd';
    }
    if (!err)
        err = capa_user__put(t->s, t->txn, &u);
    capa_user_rec_clear(&u);
    return err;
}

/* A successful sign-in ends a run of wrong passwords. */
static int reset_failures(capa_wtxn *t, const capa_event_rec *e)
{
    capa_user_rec u;
    if (!capa__event_authenticated(e))
        return CAPA_OK;
    int err = capa_user__get(t->s, t->txn, e->ev.actor, &u);
    if (err == CAPA_ENOTFOUND)
        return CAPA_OK;
    if (err)
        return err;
    if (u.u.failed)
        u.u.failed = 0, err = capa_user__put(t->s, t->txn, &u);
    capa_user_rec_clear(&u);
    return err;
}

int capa_apply__signed_in(capa_wtxn *t, const capa_event_rec *e)
{
    return reset_failures(t, e);
}

/* ---- cases ---- */

/* A case event's facts, from the event (format 2) or derived from the state (format 1). */
typedef struct case_facts {
    uint64_t id;
    const capa_workflow *wf;
    int from, to; /* stage indexes; to -1 = closed */
    const char *to_id, *meaning, *name, *role, *hash;
    const char *to_form;
    int to_form_version;
    char buf_meaning[64], buf_name[256], buf_role[64];
    capa_user_rec actor; /* the actor's record at this point of the trail */
    int have_actor;
    /* The case's header as checked here (its id and number against the trail's); an open
     * hands over the one it stored, and the action takes it (take_hdr) instead of reading
     * and decoding it again. */
    capa_hdr hdr;
    int have_hdr;
} case_facts;

/* The checked header, for the action to change and store (the facts keep none). */
static capa_hdr take_hdr(case_facts *f)
{
    capa_hdr h = f->hdr;
    memset(&f->hdr, 0, sizeof f->hdr);
    f->have_hdr = 0;
    return h;
}

/* The role of the event's actor, as the state says, is one of `roles` or `roles2` (format 2:
 * format-1 events are taken as their writer checked them). */
static int check_role(const capa_event_rec *e, const case_facts *f, char *const *roles, size_t n,
                      char *const *roles2, size_t n2, const char *what)
{
    char msg[300];
    if (e->version < 2 || !f->have_actor || capa_role_in(roles, n, f->actor.u.role) ||
        (roles2 && capa_role_in(roles2, n2, f->actor.u.role)))
        return CAPA_OK;
    snprintf(msg, sizeof msg, "user `%.40s` has role %.40s, which may not %s", e->ev.actor,
             f->actor.u.role, what);
    return corrupt(e, "%s%s", msg, NULL);
}

/* Format 2 names the form (and its version) a hand-over opens the next stage with: the
 * workflow's form for that stage, at the version current at this point of the trail - what
 * the write path took. */
static int check_next_form(capa_wtxn *t, const capa_event_rec *e, const case_facts *f)
{
    const capa_formdef *form = NULL;
    char want[24], have[24];
    if (f->to < 0)
        return CAPA_OK;
    const char *fid = f->wf->stages[f->to].form_id;
    if (!f->to_form || strcmp(f->to_form, fid) != 0)
        return corrupt(e, "it opens the next stage with form `%s`, not the workflow's `%s`",
                       f->to_form ? f->to_form : "", fid);
    int err = capa_store__form(&form, t->s, t->txn, fid, 0);
    if (err)
        return err;
    if (f->to_form_version != form->version) {
        snprintf(have, sizeof have, "%d", f->to_form_version);
        snprintf(want, sizeof want, "%d", form->version);
        return corrupt(e, "it opens the next stage with form version %s; the current one was %s",
                       have, want);
    }
    return CAPA_OK;
}

static int stage_index(const capa_event_rec *e, const capa_workflow *wf, const char *key,
                       const char *id, int *out)
{
    long long v;
    if (e->version >= 2 && fact_int(e, key, &v)) {
        *out = (int)v;
        if (v < -1 || v >= (long long)wf->n_stages)
            return corrupt(e, "stage index %s out of range%s", capa_event__get(e, key), NULL);
        return CAPA_OK;
    }
    if (id && strcmp(id, "closed") == 0) {
        *out = -1;
        return CAPA_OK;
    }
    *out = id ? capa_workflow_stage_index(wf, id) : -1;
    if (*out < 0)
        return corrupt(e, "stage `%s` is not in the workflow%s", id, NULL);
    return CAPA_OK;
}

/* Whether the state holds accounts: a store's does from its first user on (no case event
 * comes before one); the replay of one case's archive (import_xml.c) holds none, and takes
 * what its events say of their signers as the exporting store checked it. */
static int has_accounts(capa_wtxn *t)
{
    MDB_stat st;
    return mdb_stat(t->txn, t->s->dbi[DB_USERS], &st) != 0 || st.ms_entries > 0;
}

static int case_facts_get(capa_wtxn *t, const capa_event_rec *e, case_facts *f)
{
    long long v;
    int err = CAPA_OK;
    capa_hdr *hdr = &f->hdr;
    char ids[2][24];
    /* The case is the one its number names in the state the trail made so far; the case id
     * the event carries must be that one's, and the header found under it must be that
     * case's: an event naming one case and carrying another's id does not replay. */
    if ((err = capa__case_id(t->s, t->txn, e->ev.case_number, &f->id)))
        return err == CAPA_ENOTFOUND || err == CAPA_EINVALID
                   ? corrupt(e, "case `%s` was never opened%s", e->ev.case_number, NULL)
                   : err;
    if (e->version >= 2 && capa_event__get(e, "case_id") &&
        (!fact_int(e, "case_id", &v) || (uint64_t)v != f->id)) {
        snprintf(ids[0], sizeof ids[0], "%llu", (unsigned long long)f->id);
        return corrupt(e, "it carries case id %s, but the case is id %s",
                       capa_event__get(e, "case_id"), ids[0]);
    }
    /* The case follows the workflow its header names (set by its open event). The header an
     * open hands over is the one it stored under that id in this transaction. */
    if (!f->have_hdr && (err = capa_hdr__get(t->s, t->txn, f->id, hdr)) == CAPA_OK)
        f->have_hdr = 1;
    if (err == CAPA_ENOTFOUND)
        return corrupt(e, "case `%s` was never opened%s", e->ev.case_number, NULL);
    if (!err && (hdr->id != f->id || !hdr->number || strcmp(hdr->number, e->ev.case_number) != 0)) {
        snprintf(ids[0], sizeof ids[0], "%llu", (unsigned long long)hdr->id);
        err = corrupt(e, "the header of the case names case %s, id %s",
                      hdr->number ? hdr->number : "", ids[0]);
    }
    if (!err)
        err = capa_store__workflow_of(&f->wf, t->s, t->txn, hdr->workflow);
    if (err)
        return err;
    const capa_change *st = change(e, "stage");
    if ((err = stage_index(e, f->wf, "from", e->ev.stage, &f->from)))
        return err;
    /* The stage the event names for readers is the one its facts act on. */
    if (f->from < 0)
        return corrupt(e, "it acts on no stage%s%s", NULL, NULL);
    if (!e->ev.stage || strcmp(e->ev.stage, f->wf->stages[f->from].id) != 0)
        return corrupt(e, "it names stage `%s`, but acts on stage `%s`", e->ev.stage,
                       f->wf->stages[f->from].id);
    /* Who acted, as the state says at this point of the trail: what a signature prints of
     * them and what their role allows is checked against it. An authenticated action needs
     * an account. */
    if (t->actor && t->actor->u.id && strcmp(t->actor->u.id, e->ev.actor) == 0) {
        /* The write path's actor, read in this transaction just before the operation built
         * the event (capa_store__run_as): that record is the state's, shared (have_actor 2:
         * apply_case leaves its strings to their owner). Replay reads it. */
        f->actor = *t->actor;
        f->have_actor = 2;
        err = CAPA_OK;
    } else {
        err = capa_user__get(t->s, t->txn, e->ev.actor, &f->actor);
        if (err == CAPA_OK)
            f->have_actor = 1;
    }
    if (err == CAPA_OK)
        ;
    else if (err != CAPA_ENOTFOUND)
        return err;
    else if (e->version >= 2 && capa_event__get(e, "auth") && has_accounts(t))
        return corrupt(e, "its actor `%s` is no user%s", e->ev.actor, NULL);
    if (strcmp(e->ev.action, "sign") != 0 && strcmp(e->ev.action, "reject") != 0)
        return CAPA_OK;
    if ((err = stage_index(e, f->wf, "to", st ? st->new_value : NULL, &f->to)))
        return err;
    f->to_id = f->to >= 0 ? f->wf->stages[f->to].id : NULL;
    f->hash = capa_event__get(e, "data_hash");
    f->meaning = capa_event__get(e, "meaning");
    f->name = capa_event__get(e, "name");
    f->role = capa_event__get(e, "role");
    f->to_form = capa_event__get(e, "to_form");
    if (fact_int(e, "to_form_version", &v))
        f->to_form_version = (int)v;
    if (e->version >= 2)
        return check_next_form(t, e, f);
    /* Format 1: "signature" = "MEANING NAME (ROLE)"; a rejection names neither. */
    const capa_change *h = change(e, "data_hash");
    f->hash = h ? h->new_value : NULL;
    const capa_change *sig = change(e, "signature");
    if (sig && sig->new_value) {
        const char *sp = strchr(sig->new_value, ' ');
        const char *open = strrchr(sig->new_value, '(');
        size_t n = strlen(sig->new_value);
        if (sp && open && open > sp && n > 0 && sig->new_value[n - 1] == ')') {
            snprintf(f->buf_meaning, sizeof f->buf_meaning, "%.*s", (int)(sp - sig->new_value),
                     sig->new_value);
            snprintf(f->buf_name, sizeof f->buf_name, "%.*s", (int)(open - sp - 2), sp + 1);
            snprintf(f->buf_role, sizeof f->buf_role, "%.*s",
                     (int)(sig->new_value + n - 1 - open - 1), open + 1);
            f->meaning = f->buf_meaning, f->name = f->buf_name, f->role = f->buf_role;
        }
    } else if (f->have_actor) {
        f->name = f->actor.u.name;
        f->role = f->actor.u.role;
    }
    return CAPA_OK;
}

/* Recompute the open limits the header carries and move their idx_due entries. */
static int limits_update(capa_wtxn *t, const capa_workflow *wf, capa_hdr *h)
{
    const capa_plant *p = NULL;
    int err = capa_plant__cached(&p, t->s, t->txn);
    if (!err)
        err = capa_index__due_del(t->s, t->txn, h);
    if (!err)
        err = capa_limits__refresh(h, wf, p);
    if (!err)
        err = capa_index__due_put(t->s, t->txn, h);
    return err;
}

/* The containment limit is met by the first event that sets the field (limits.c reads the
 * trail the same way). */
static int sets_containment(const capa_event_rec *e)
{
    const capa_change *c = change(e, "containment");
    return c && c->new_value && *c->new_value;
}

static int apply_open(capa_wtxn *t, const capa_event_rec *e, case_facts *f)
{
    capa_store *s = t->s;
    const capa_workflow *wf = NULL;
    const capa_formdef *form = NULL;
    capa_stage_record rec = {0};
    capa_hdr h = {0};
    char number[160], key[300];
    uint64_t id = 0, ctr = 0;
    long long v;
    int err;
    /* The workflow is a fact of the open event (format 2); format 1 knew only the default. */
    const char *wid = e->version >= 2 ? capa_event__get(e, "workflow") : NULL;
    if ((err = capa_store__workflow_of(&wf, s, t->txn, wid)) != CAPA_OK)
        return err == CAPA_ENOTFOUND ? corrupt(e, "workflow `%s` is not installed%s", wid, NULL)
                                     : err;
    const capa_stage *st = &wf->stages[0];
    if ((err = capa_meta__get_u64(s, t->txn, "next_id", &id)) && err != CAPA_ENOTFOUND)
        return err;
    id = id ? id : 1;
    if (e->version >= 2 && fact_int(e, "case_id", &v) && (uint64_t)v != id)
        return corrupt(e, "case id %s does not follow the last one%s",
                       capa_event__get(e, "case_id"), NULL);
    /* next_id is a derived record too: never let a stale one hand out another case's id. */
    unsigned char idk[8];
    MDB_val taken;
    capa_be64(idk, id);
    if ((err = capa_store__get(t->txn, s->dbi[DB_CASES], idk, 8, &taken)) != CAPA_ENOTFOUND) {
        char ids[24];
        snprintf(ids, sizeof ids, "%llu", (unsigned long long)id);
        return err ? err
                   : corrupt(e, "case id %s is already another case's: next_id is behind%s", ids,
                             NULL);
    }
    if ((err = capa__number_next(s, t->txn, wf, e->ev.time, number, sizeof number, key,
                                 sizeof key, &ctr)))
        return err;
    if (!e->ev.case_number || strcmp(number, e->ev.case_number) != 0)
        return corrupt(e, "number does not follow the counter (next would be %s)%s", number, NULL);
    rec.form_version = fact_int(e, "form_version", &v) ? (int)v : 0;
    if (!rec.form_version || e->version >= 2) {
        /* The first stage's form at the version current now, as the write path took it. */
        if ((err = capa_store__form(&form, s, t->txn, st->form_id, 0)))
            return err;
        if (rec.form_version && rec.form_version != form->version)
            return corrupt(e, "it opens the case with form version %s, not the current one%s",
                           capa_event__get(e, "form_version"), NULL);
        rec.form_version = form->version;
    }
    rec.entered = e->ev.time;
    /* The record's strings are the workflow's and the event's, which outlive it (it is
     * written and dropped here): only its values array is its own (done:). */
    char *editor[1] = {(char *)e->ev.actor};
    rec.stage = (char *)st->id;
    rec.form_id = (char *)st->form_id;
    rec.editors = editor;
    rec.n_editors = 1;
    if ((err = capa_stage__set_changes_ref(&rec, e->changes, e->n_changes)))
        goto done;
    h.id = id;
    h.opened = h.stage_entered = e->ev.time;
    if ((err = capa__set_str(&h.number, number)) || (err = capa__set_str(&h.stage, st->id)) ||
        (strcmp(wf->id, CAPA_WORKFLOW_DEFAULT) != 0 &&
         (err = capa__set_str(&h.workflow, wf->id))) ||
        (err = capa__set_str(&h.opened_by, e->ev.actor)) ||
        (err = capa_index__sync_header(s, t->txn, &h, &rec)) ||
        (err = capa_index__sync_stats(&h, &rec, 1, change(e, "satisfaction") != NULL,
                                      e->ev.time)))
        goto done;
    if (sets_containment(e))
        h.met |= 1u << 1;
    if ((err = limits_update(t, wf, &h)))
        goto done;
    unsigned char k[8];
    capa_be64(k, id);
    err =
        capa_store__put(t->txn, s->dbi[DB_NUMBERS], number, strlen(number), k, 8, MDB_NOOVERWRITE);
    if (err == CAPA_EEXISTS)
        err = capa_error_set(CAPA_EEXISTS,
                             "open: number %s already taken (was the number pattern changed?)",
                             number);
    if (err || (err = capa_meta__put_u64(s, t->txn, "next_id", id + 1)) ||
        (err = capa_meta__put_u64(s, t->txn, key, ctr)) || (err = capa_hdr__put(s, t->txn, &h)) ||
        (err = capa_stage__put(s, t->txn, id, 0, &rec)) ||
        (err = capa_index__put(s, t->txn, DB_IDX_STAGE, st->id, id)) ||
        (err = capa_index__put_opened(s, t->txn, e->ev.time, id)))
        goto done;
    f->hdr = h; /* as stored: case_facts_get checks it without decoding it again */
    f->have_hdr = 1;
    memset(&h, 0, sizeof h);
done:
    capa__free(rec.values); /* the rest is borrowed (above) */
    capa_hdr_clear(&h);
    return err;
}

/* "PREFIX:SHA" (at most 64 bytes of the hash), the meta key of a source file's counts: built
 * without snprintf, as it is read and written for every imported row (k holds >= 100). */
static void source_key(char k[100], const char *prefix, const char *sha256)
{
    size_t n = strlen(prefix), m = sha256 ? strnlen(sha256, 64) : 0;
    memcpy(k, prefix, n);
    k[n] = ':';
    memcpy(k + n + 1, sha256 ? sha256 : "", m);
    k[n + 1 + m] = '\0';
}

int capa_import__source(capa_import_source *out, capa_store *s, MDB_txn *txn, const char *sha256)
{
    static const char *const keys[] = {"import", "import_run", "import_to"};
    uint64_t *vals[] = {&out->cases, &out->run, &out->through};
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < 3; i++) {
        char k[100];
        source_key(k, keys[i], sha256);
        int err = capa_meta__get_u64(s, txn, k, vals[i]);
        if (err && err != CAPA_ENOTFOUND)
            return err;
    }
    return CAPA_OK;
}

/* Which limits the record of an imported case shows done, by what it lands in: a case
 * past a stage was signed off there in the old system (the first stage: the response; an
 * "approved" stage: the plan), and a containment it records was contained; a closed one is
 * done throughout. capa_limits_compute reads the same (limits.c: imported_met). */
static uint64_t import_met(const capa_workflow *wf, const capa_event_rec *e, long long landing,
                           int closed)
{
    uint64_t met = closed ? 1u << 3 : 0;
    if (sets_containment(e) || closed)
        met |= 1u << 1;
    if (closed)
        landing = (long long)wf->n_stages;
    for (long long st = 0; st < landing && st < (long long)wf->n_stages; st++) {
        if (st == 0)
            met |= 1u << 0;
        if (wf->stages[st].sign_meaning && strcmp(wf->stages[st].sign_meaning, "approved") == 0)
            met |= 1u << 2;
        if (st + CAPA_LIMIT_STAGE0 < 64)
            met |= (uint64_t)1 << (st + CAPA_LIMIT_STAGE0);
    }
    return met;
}

/* The runs of one file's import (capa_import_facts.run): each row once and in order, runs
 * in order (the write path makes each the last one or the next). Events without a run (an
 * earlier capa) leave these values alone. */
static int import_run(capa_wtxn *t, const capa_event_rec *e, long long row)
{
    long long run = 0, through = 0;
    const char *sha = capa_event__get(e, "sha256");
    capa_import_source src;
    if (!capa_event__get(e, "run"))
        return CAPA_OK;
    if (!fact_int(e, "run", &run) || run < 1 || row < 2 ||
        (capa_event__get(e, "through") && (!fact_int(e, "through", &through) || through < row)))
        return corrupt(e, "import with a bad run, row or through%s%s", NULL, NULL);
    int err = capa_import__source(&src, t->s, t->txn, sha);
    if (err)
        return err;
    if (src.cases && !src.run)
        return corrupt(e, "run %s of a file imported before without runs%s",
                       capa_event__get(e, "run"), NULL);
    /* Runs never go back (a case archive replays one imported case alone: its run may be
     * any). */
    if ((uint64_t)run < src.run)
        return corrupt(e, "run %s of the file comes after a later run%s",
                       capa_event__get(e, "run"), NULL);
    if ((uint64_t)row <= src.through)
        return corrupt(e, "row %s of the file was accounted for by an earlier import event%s",
                       capa_event__get(e, "row"), NULL);
    char k[100];
    source_key(k, "import_run", sha);
    if ((err = capa_meta__put_u64(t->s, t->txn, k, (uint64_t)run)))
        return err;
    source_key(k, "import_to", sha);
    return capa_meta__put_u64(t->s, t->txn, k, (uint64_t)(through > row ? through : row));
}

/* A legacy record imported (core/import.c): the case is made whole in one step - its
 * recorded dates, the stages its values reach, closed when it was - by the same records an
 * open, its edits and its sign-offs would have left, but no signature. */
static int apply_import(capa_wtxn *t, const capa_event_rec *e, case_facts *f)
{
    capa_store *s = t->s;
    const capa_workflow *wf = NULL;
    capa_stage_record rec = {0};
    capa_hdr h = {0};
    char number[160], key[300];
    uint64_t id = 0, ctr = 0;
    long long v, opened = 0, closed_at = 0, landing = -1;
    int err;
    const char *numbered = capa_event__get(e, "numbered");
    if ((err = capa_store__workflow(&wf, s, t->txn)) != CAPA_OK)
        return err;
    if (!fact_int(e, "opened", &opened) || opened <= 0 || !fact_int(e, "from", &landing) ||
        landing < 0 || landing >= (long long)wf->n_stages || !numbered || !e->ev.case_number ||
        !capa_event__get(e, "sha256") || !fact_int(e, "case_id", &v))
        return corrupt(e, "import without its dates, stage, number, source or case id%s%s", NULL,
                       NULL);
    if (fact_int(e, "closed_at", &closed_at) && (closed_at < opened ||
                                                  landing != (long long)wf->n_stages - 1))
        return corrupt(e, "closed before it was opened, or not in the last stage%s%s", NULL, NULL);
    if ((err = capa_meta__get_u64(s, t->txn, "next_id", &id)) && err != CAPA_ENOTFOUND)
        return err;
    id = id ? id : 1;
    if ((uint64_t)v != id)
        return corrupt(e, "case id %s does not follow the last one%s",
                       capa_event__get(e, "case_id"), NULL);
    unsigned char k[8];
    MDB_val taken;
    capa_be64(k, id);
    if ((err = capa_store__get(t->txn, s->dbi[DB_CASES], k, 8, &taken)) != CAPA_ENOTFOUND)
        return err ? err : corrupt(e, "case id is already another case's: next_id is behind%s%s",
                                   NULL, NULL);
    if (strcmp(numbered, "counter") == 0) {
        if ((err = capa__number_next_free(s, t->txn, NULL, opened, number, sizeof number, key,
                                          sizeof key, &ctr)))
            return err;
        if (strcmp(number, e->ev.case_number) != 0)
            return corrupt(e, "number does not follow the counter (next would be %s)%s", number,
                           NULL);
        if ((err = capa_meta__put_u64(s, t->txn, key, ctr)))
            return err;
    } else if ((err = capa__number_bump(s, t->txn, NULL, opened, e->ev.case_number)) ||
               (err = capa__number_bump(s, t->txn, NULL, e->ev.time, e->ev.case_number))) {
        /* A sheet's number the pattern could have made, in the year it was opened or in
         * this one: the counter moves past it, so no later case is refused its number. */
        return err;
    }
    /* Every stage the case has a record of: the first, each one a value names, the one it
     * lands in. Their form versions are facts of the event. */
    for (size_t st = 0; st < wf->n_stages; st++) {
        char fk[40] = "form_version:";
        size_t fl = 13, d = st;
        do /* "form_version:ST" without snprintf: every stage of every imported case */
            fl++;
        while (d /= 10);
        fk[fl] = '\0';
        for (d = st; fl > 13; d /= 10)
            fk[--fl] = (char)('0' + d % 10);
        if (!fact_int(e, fk, &v))
            continue;
        if (v <= 0 || (st > (size_t)landing))
            return corrupt(e, "stage record beyond the stage the case lands in%s%s", NULL, NULL);
        /* The version current at this point of the trail, as the import took it. */
        const capa_formdef *form = NULL;
        if ((err = capa_store__form(&form, s, t->txn, wf->stages[st].form_id, 0)))
            goto done;
        if (form->version != v) {
            err = corrupt(e, "%s: form version %s is not the current one", fk,
                          capa_event__get(e, fk));
            goto done;
        }
        memset(&rec, 0, sizeof rec);
        rec.form_version = (int)v;
        rec.entered = opened;
        rec.left = (long long)st < landing ? 0 : closed_at;
        if ((err = capa__set_str(&rec.stage, wf->stages[st].id)) ||
            (err = capa__set_str(&rec.form_id, wf->stages[st].form_id)) ||
            (err = capa_stage__add_editor(&rec, e->ev.actor)))
            goto done;
        size_t idl = strlen(wf->stages[st].id);
        for (size_t i = 0; i < e->n_changes; i++) {
            const char *f = e->changes[i].field;
            const char *colon = strchr(f, ':');
            int mine = colon ? (size_t)(colon - f) == idl && strncmp(f, wf->stages[st].id, idl) == 0
                             : st == 0;
            if (!mine)
                continue;
            if ((err = capa_stage__set(&rec, colon ? colon + 1 : f, e->changes[i].new_value)))
                goto done;
        }
        if (st == 0) {
            h.id = id;
            h.opened = h.stage_entered = opened;
            h.closed = closed_at > 0;
            h.closed_at = closed_at;
            if ((err = capa__set_str(&h.number, e->ev.case_number)) ||
                (err = capa__set_str(&h.stage, wf->stages[landing].id)) ||
                (err = capa__set_str(&h.opened_by, e->ev.actor)) ||
                (err = capa_index__sync_header(s, t->txn, &h, &rec)))
                goto done;
        }
        if ((err = capa_stage__put(s, t->txn, id, (int)st, &rec)))
            goto done;
        capa_stage_record_clear(&rec);
    }
    if (!h.number) {
        err = corrupt(e, "import without a record of the first stage%s%s", NULL, NULL);
        goto done;
    }
    capa_be64(k, id);
    err = capa_store__put(t->txn, s->dbi[DB_NUMBERS], e->ev.case_number,
                          strlen(e->ev.case_number), k, 8, MDB_NOOVERWRITE);
    if (err == CAPA_EEXISTS)
        err = corrupt(e, "number %s is already another case's%s", e->ev.case_number, NULL);
    /* How many cases came from this source file: a file is imported once (core/import.c). */
    char sk[100];
    uint64_t from_src = 0;
    source_key(sk, "import", capa_event__get(e, "sha256"));
    if (!err && (err = capa_meta__get_u64(s, t->txn, sk, &from_src)) == CAPA_ENOTFOUND)
        err = CAPA_OK;
    if (!err && !fact_int(e, "row", &v))
        err = corrupt(e, "import without its row%s%s", NULL, NULL);
    if (!err)
        err = import_run(t, e, v);
    /* On the clock from the recorded dates (events that say so: earlier ones left their
     * cases without limits, and replay keeps them as they were): the limits the record does
     * not show done are due from its recorded opening, in idx_due for list --overdue and
     * escalate. */
    if (!err && capa_event__get(e, "clock")) {
        /* What the record shows done is done by its closing, or else by the import (the
         * monthly report reads these as show reads the trail: limits.c imported_met). */
        int64_t done = h.closed ? closed_at : e->ev.time;
        h.met = import_met(wf, e, landing, h.closed);
        h.response_at = h.met & 1u << 0 ? done : 0;
        h.containment_at = h.met & 1u << 1 ? done : 0;
        h.plan_at = h.met & 1u << 2 ? done : 0;
        err = limits_update(t, wf, &h);
    }
    if (err || (err = capa_meta__put_u64(s, t->txn, sk, from_src + 1)) ||
        (err = capa_meta__put_u64(s, t->txn, "next_id", id + 1)) ||
        (err = capa_hdr__put(s, t->txn, &h)) ||
        (err = capa_index__put(s, t->txn, DB_IDX_STAGE, wf->stages[landing].id, id)) ||
        (err = capa_index__put_opened(s, t->txn, opened, id)))
        goto done;
    f->hdr = h; /* as stored: case_facts_get checks it without decoding it again */
    f->have_hdr = 1;
    memset(&h, 0, sizeof h);
done:
    capa__free(rec.values); /* the rest is borrowed (above) */
    capa_hdr_clear(&h);
    return err;
}

static int link_case(capa_wtxn *t, const capa_event_rec *e, uint64_t id)
{
    unsigned char ck[8], sk[8];
    capa_be64(ck, id);
    capa_be64(sk, e->ev.seq);
    return capa_store__put(t->txn, t->s->dbi[DB_CASE_EVENTS], ck, 8, sk, 8, 0);
}

/* Recusal holds on replay: the person complained about neither edits nor signs the case.
 * Format 1 did not enforce it for edits, so only format-2 events are held to it. */
static int recused(const capa_event_rec *e, const capa_hdr *h)
{
    if (e->version >= 2 && h->subject_person && strcmp(h->subject_person, e->ev.actor) == 0)
        return corrupt(e, "user `%s` is the person complained about (subject_person) and is "
                          "recused from the case%s",
                       e->ev.actor, NULL);
    return CAPA_OK;
}

static int apply_set(capa_wtxn *t, const capa_event_rec *e, case_facts *f)
{
    capa_stage_record rec = {0};
    capa_hdr h = {0};
    int err = CAPA_OK;
    h = take_hdr(f);
    if ((err = recused(e, &h)))
        goto done;
    /* Only the current stage of an open case is edited (as for sign-offs): an edit of a
     * closed case or of a stage it has left does not replay. */
    if (h.closed || capa_workflow_stage_index(f->wf, h.stage) != f->from) {
        err = corrupt(e, "the case is in stage %s, not %s", h.closed ? "closed" : h.stage,
                      e->ev.stage);
        goto done;
    }
    err = capa_stage__get(t->s, t->txn, f->id, f->from, &rec);
    if (err == CAPA_ENOTFOUND)
        err = corrupt(e, "stage %s was never entered%s", e->ev.stage, NULL);
    const capa_stage *st = &f->wf->stages[f->from];
    if (!err)
        err = check_role(e, f, st->editors, st->n_editors, NULL, 0, "edit this stage");
    /* Each change shows the value it replaces: that must be the value the stage holds. */
    for (size_t i = 0; i < e->n_changes && !err && e->version >= 2; i++) {
        const char *was = capa_stage__value(&rec, e->changes[i].field);
        const char *said = e->changes[i].old_value;
        if ((was || said) && (!was || !said || strcmp(was, said) != 0))
            err = corrupt(e, "field `%s`: the value it replaces is not the stage's (%s)",
                          e->changes[i].field, was ? "set" : "empty");
    }
    if (!err)
        err = capa_stage__set_changes(&rec, e->changes, e->n_changes);
    if (!err)
        err = capa_stage__add_editor(&rec, e->ev.actor);
    if (!err)
        err = capa_stage__put(t->s, t->txn, f->id, f->from, &rec);
    int sat = change(e, "satisfaction") != NULL, put = f->from == 0 || sat;
    if (!err && f->from == 0) {
        char *sev = h.severity ? capa__strdup(h.severity) : NULL;
        uint64_t met = h.met | (sets_containment(e) ? 1u << 1 : 0);
        if (h.severity && !sev)
            err = capa_error_set(CAPA_ENOMEM, "out of memory");
        if (!err)
            err = capa_index__sync_header(t->s, t->txn, &h, &rec);
        /* A new severity picks other limits: the due times are recomputed by this event. */
        int moved = (!sev != !h.severity) || (sev && strcmp(sev, h.severity) != 0);
        capa__free(sev);
        if (!err && (moved || met != h.met)) {
            h.met = met;
            err = limits_update(t, f->wf, &h);
        }
    } else if (!err && sets_containment(e) && !(h.met & 1u << 1)) {
        h.met |= 1u << 1;
        err = limits_update(t, f->wf, &h);
        put = 1;
    }
    if (!err && put &&
        !(err = capa_index__sync_stats(&h, &rec, f->from == 0, sat, e->ev.time)))
        err = capa_hdr__put(t->s, t->txn, &h);
done:
    capa_stage_record_clear(&rec);
    capa_hdr_clear(&h);
    return err;
}

/* The case enters stage `to`: its record is created with the form version the event names
 * (format 1: the newest) when the case reaches it for the first time, and keeps its data
 * when the case comes back. */
static int enter_stage(capa_wtxn *t, const capa_event_rec *e, case_facts *f, capa_hdr *h)
{
    const capa_stage *st = &f->wf->stages[f->to];
    capa_stage_record rec;
    int err = capa_stage__get(t->s, t->txn, f->id, f->to, &rec);
    if (err == CAPA_ENOTFOUND) {
        memset(&rec, 0, sizeof rec);
        rec.form_version = f->to_form_version;
        if (!rec.form_version) {
            const capa_formdef *form = NULL;
            if ((err = capa_store__form(&form, t->s, t->txn, st->form_id, 0)))
                return err;
            rec.form_version = form->version;
        }
        if ((err = capa__set_str(&rec.stage, st->id)) ||
            (err = capa__set_str(&rec.form_id, f->to_form ? f->to_form : st->form_id)))
            goto done;
    } else if (err) {
        return err;
    }
    rec.entered = e->ev.time;
    rec.left = 0;
    if ((err = capa_stage__put(t->s, t->txn, f->id, f->to, &rec)) ||
        (err = capa_index__move_stage(t->s, t->txn, h, st->id)))
        goto done;
    h->stage_entered = e->ev.time;
done:
    capa_stage_record_clear(&rec);
    return err;
}

/* A rejection from stage `from` back to `to` supersedes every standing signature of the
 * stages from `to` to `from`: the case passes them again and they will be signed anew. */
static int supersede(capa_wtxn *t, case_facts *f)
{
    MDB_cursor *cur = NULL;
    unsigned char k0[16];
    capa_be64(k0, f->id);
    memset(k0 + 8, 0, 8);
    int rc = mdb_cursor_open(t->txn, t->s->dbi[DB_SIGS], &cur), err = CAPA_OK;
    MDB_val k = {16, k0}, v;
    rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    for (; rc == MDB_SUCCESS && memcmp(k.mv_data, k0, 8) == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        capa_signature g;
        if ((err = capa_sig__decode(&g, v.mv_data, v.mv_size)) != CAPA_OK)
            break;
        int idx = capa_workflow_stage_index(f->wf, g.stage);
        if (!g.superseded && strcmp(g.kind, "sign") == 0 && idx >= f->to && idx <= f->from) {
            g.superseded = 1;
            void *buf = NULL;
            size_t len = 0;
            if (!(err = capa_sig__encode(&g, &buf, &len))) {
                MDB_val nv = {len, buf};
                rc = mdb_cursor_put(cur, &k, &nv, MDB_CURRENT);
                if (rc)
                    err = capa_store__mdb_err(rc, "signature");
            }
            capa__free(buf);
        }
        capa_signature_clear(&g);
        if (err)
            break;
    }
    if (!err && rc && rc != MDB_NOTFOUND)
        err = capa_store__mdb_err(rc, "signatures");
    mdb_cursor_close(cur);
    return err;
}

/* A sign-off whose data match a <round> rule of the workflow (二次处理) sends the case round
 * again from stage `to`: the records of the stages it passes again are kept as this round
 * left them (round-keyed), their standing signatures (this sign-off's too) are superseded
 * and the header's round goes up. The round a format-2 event says it starts must be that. */
static int next_round(capa_wtxn *t, const capa_event_rec *e, case_facts *f, capa_hdr *h)
{
    int cur = h->round > 1 ? h->round : 1, err = CAPA_OK;
    long long said;
    char a[24], b[24];
    if (e->version >= 2 && (!fact_int(e, "round", &said) || said != cur + 1)) {
        snprintf(a, sizeof a, "%d", cur + 1);
        snprintf(b, sizeof b, "%s",
                 capa_event__get(e, "round") ? capa_event__get(e, "round") : "none");
        return corrupt(e, "it sends the case round again, which starts round %s; it says %s", a, b);
    }
    for (int idx = f->to; idx <= f->from && !err; idx++) {
        capa_stage_record rec;
        err = capa_stage__get(t->s, t->txn, f->id, idx, &rec);
        if (err == CAPA_ENOTFOUND) {
            err = CAPA_OK;
            continue;
        }
        if (!err)
            err = capa_stage__put_round(t->s, t->txn, f->id, idx, cur, &rec);
        capa_stage_record_clear(&rec);
    }
    if (!err)
        err = supersede(t, f);
    h->round = cur + 1;
    h->round_at = e->ev.time;
    return err;
}

/* Every fact a format-2 sign-off or rejection carries, against the workflow and the state:
 * the meaning its stage is signed off with, where a rejection leads, the stage change and
 * data hash it shows readers, the signer's printed name and role as their account says, the
 * role's authority and, for an independent sign-off, that the signer changed nothing of the
 * stage. */
static int check_handover(const capa_event_rec *e, const case_facts *f, int reject,
                          const capa_stage_record *rec)
{
    const capa_stage *st = &f->wf->stages[f->from];
    const capa_change *c;
    char msg[600];
    if (e->version < 2)
        return CAPA_OK;
    if (!reject && (!f->meaning || strcmp(f->meaning, st->sign_meaning) != 0))
        return corrupt(e, "meaning '%s' is not the sign-off of stage %s",
                       f->meaning ? f->meaning : "", st->id);
    int back = st->reject_to ? capa_workflow_stage_index(f->wf, st->reject_to) : -1;
    if (reject && (back < 0 || f->to != back))
        return corrupt(e, "it sends the case back to `%s`, but stage %s rejects to none other",
                       f->to_id ? f->to_id : "closed", st->id);
    const char *to_id = f->to >= 0 ? f->wf->stages[f->to].id : "closed";
    if (!(c = change(e, "stage")) || !c->old_value || strcmp(c->old_value, st->id) != 0 ||
        !c->new_value || strcmp(c->new_value, to_id) != 0)
        return corrupt(e, "the stage change it shows is not %s -> %s", st->id, to_id);
    if (!(c = change(e, "data_hash")) || !c->new_value || strcmp(c->new_value, f->hash) != 0)
        return corrupt(e, "the data hash it shows is not the one it signs%s%s", NULL, NULL);
    if (!reject) {
        snprintf(msg, sizeof msg, "%s %s (%s)", f->meaning, f->name ? f->name : "",
                 f->role ? f->role : "");
        if (!(c = change(e, "signature")) || !c->new_value || strcmp(c->new_value, msg) != 0)
            return corrupt(e, "the signature it shows is not '%s'%s", msg, NULL);
        for (size_t i = 0; st->sign_independent && i < rec->n_editors; i++)
            if (strcmp(rec->editors[i], e->ev.actor) == 0)
                return corrupt(e,
                               "'%s' by `%s`, who changed fields of the stage (no "
                               "self-approval)",
                               st->sign_meaning, e->ev.actor);
    }
    if (!f->have_actor)
        return CAPA_OK; /* a replay without accounts (has_accounts) */
    if (!f->name || !f->role || strcmp(f->name, f->actor.u.name ? f->actor.u.name : "") != 0 ||
        strcmp(f->role, f->actor.u.role) != 0) {
        snprintf(msg, sizeof msg,
                 "it prints the signer as '%.100s' (%.40s); the account says "
                 "'%.100s' (%.40s)",
                 f->name ? f->name : "", f->role ? f->role : "",
                 f->actor.u.name ? f->actor.u.name : "", f->actor.u.role);
        return corrupt(e, "%s%s", msg, NULL);
    }
    return reject ? check_role(e, f, st->n_rejecters ? st->rejecters : st->signers,
                               st->n_rejecters ? st->n_rejecters : st->n_signers, NULL, 0,
                               "reject this stage")
                  : check_role(e, f, st->signers, st->n_signers, NULL, 0, "sign this stage off");
}

static int apply_sign(capa_wtxn *t, const capa_event_rec *e, case_facts *f, int reject)
{
    capa_hdr h = {0};
    capa_stage_record rec;
    if (!f->hash || strlen(f->hash) != 64)
        return corrupt(e, "sign-off without the data hash it signs%s%s", NULL, NULL);
    if (reject && f->to < 0)
        return corrupt(e, "rejection without a stage to go back to%s%s", NULL, NULL);
    int err = CAPA_OK;
    h = take_hdr(f);
    if (h.closed || capa_workflow_stage_index(f->wf, h.stage) != f->from) {
        err = corrupt(e, "the case is in stage %s, not %s", h.closed ? "closed" : h.stage,
                      e->ev.stage);
        goto done;
    }
    if ((err = recused(e, &h)))
        goto done;
    if (reject && (err = supersede(t, f)))
        goto done;
    capa_signature g = {0};
    g.seq = e->ev.seq;
    g.stage = (char *)f->wf->stages[f->from].id;
    g.kind = reject ? "reject" : "sign";
    g.meaning = reject ? "rejected" : (char *)(f->meaning ? f->meaning : "");
    g.user = (char *)e->ev.actor;
    g.name = (char *)(f->name ? f->name : "");
    g.role = (char *)(f->role ? f->role : "");
    g.reason = reject ? (char *)e->ev.reason : NULL;
    g.time = e->ev.time;
    g.round = h.round > 1 ? h.round : 1;
    memcpy(g.data_hash, f->hash, 65);
    if ((err = capa_sig__put(t->s, t->txn, f->id, &g)))
        goto done;
    if ((err = capa_stage__get(t->s, t->txn, f->id, f->from, &rec)))
        goto done;
    /* The hash the sign-off names must be the hash of the data it leaves: a rewritten
     * chain that changed signed data without re-hashing does not replay. */
    char hash[65];
    if (!(err = check_handover(e, f, reject, &rec)) &&
        !(err = capa_stage__hash(hash, h.number, &rec)) && strcmp(hash, f->hash) != 0)
        err = corrupt(e, "the data hash it signs is not that of stage %s%s", e->ev.stage, NULL);
    /* The workflow's rules hold on replay as on the write path: a sign-off whose data break a
     * condition of it, or that goes elsewhere than its data route it, does not replay. */
    const capa_stage *st = &f->wf->stages[f->from];
    for (size_t k = 0; !err && !reject && k < st->n_requires; k++) {
        const capa_condition *q = &st->requires[k];
        int waived = 0, row = 0, ok = 1;
        const capa_formdef *rfd = NULL, *ofd = NULL;
        capa_stage_record orec = {0};
        /* A rule across stages reads the other stage's data as the scratch store holds them
         * at this event: as they stood when the sign-off was made (capa_rule__other). */
        if (capa_condition_other(q) &&
            (err = capa_rule__other(&orec, &ofd, t->s, t->txn, f->wf, f->id, q)))
            break;
        if (capa_condition_extended(q) &&
            capa_store__form(&rfd, t->s, t->txn, rec.form_id, rec.form_version) == CAPA_OK &&
            !capa_condition_applies_in(q, rfd, ofd)) {
            capa_stage_record_clear(&orec);
            continue;
        }
        if (q->waiver && (err = capa_waiver__signed(&waived, t->s, t->txn, f->id, st->id,
                                                     q->waiver, f->hash, h.round))) {
            capa_stage_record_clear(&orec);
            break;
        }
        if (capa_condition_extended(q))
            ok = capa_condition_check_in(q, rec.values, rec.n_values, orec.values, orec.n_values,
                                         waived, &row);
        capa_stage_record_clear(&orec);
        if (!ok) {
            char msg[400], r[24];
            snprintf(r, sizeof r, "%d", row);
            snprintf(msg, sizeof msg,
                     "signed over %s%s%s%s%s%s%s`%.60s` not meeting the workflow's rule for "
                     "'%s'%s",
                     q->stage ? "stage " : "", q->stage ? q->stage : "", q->stage ? " " : "",
                     q->group ? q->group : "", q->group ? " row " : "", q->group ? r : "",
                     q->group ? ": " : "", q->field, st->sign_meaning,
                     q->waiver ? " and no standing waiver of these data" : "");
            err = corrupt(e, "%s%s", msg, NULL);
            continue;
        }
        if (capa_condition_extended(q))
            continue;
        if (!capa_condition_holds(q, rec.values, rec.n_values)) {
            const char *v = capa_kv_get(rec.values, rec.n_values, q->field);
            char msg[400];
            snprintf(msg, sizeof msg,
                     "signed over field `%.60s` = '%.100s', but the workflow's rule says '%s' "
                     "requires %s = '%s'",
                     q->field, v ? v : "", st->sign_meaning, q->field,
                     q->equals ? q->equals : "(any value)");
            err = corrupt(e, "%s%s", msg, NULL);
        }
    }
    if (!err && !reject) {
        int want = capa_workflow_next(f->wf, (size_t)f->from, rec.values, rec.n_values, NULL);
        if (want != f->to) {
            char a[16], b[16];
            snprintf(a, sizeof a, "%d", f->to);
            snprintf(b, sizeof b, "%d", want);
            err = corrupt(e, "goes to stage index %s, but its data route it to %s", a, b);
        }
    }
    if (err) {
        capa_stage_record_clear(&rec);
        goto done;
    }
    rec.left = e->ev.time;
    /* When the limits were first met (capa_limits_compute's rules), for statistics. */
    if (!reject && f->from == 0 && !h.response_at)
        h.response_at = e->ev.time;
    if (!reject && f->meaning && strcmp(f->meaning, "approved") == 0 && !h.plan_at)
        h.plan_at = e->ev.time;
    err = capa_stage__put(t->s, t->txn, f->id, f->from, &rec);
    capa_stage_record_clear(&rec);
    if (err)
        goto done;
    int round = !reject && f->to >= 0 && f->to <= f->from;
    if (round && (err = next_round(t, e, f, &h)))
        goto done;
    if (!round && e->version >= 2 && capa_event__get(e, "round")) {
        err = corrupt(e, "it says it starts round %s, but it does not send the case round again%s",
                      capa_event__get(e, "round"), "");
        goto done;
    }
    if (f->to < 0) {
        h.closed = 1;
        h.closed_at = e->ev.time;
    } else if ((err = enter_stage(t, e, f, &h))) {
        goto done;
    }
    if (!reject) {
        /* What a sign-off meets: the response (the first stage), the plan (an approval),
         * the stage's own limit and, when it closes the case, the closure. */
        if (f->from == 0)
            h.met |= 1u << 0;
        if (f->meaning && strcmp(f->meaning, "approved") == 0)
            h.met |= 1u << 2;
        if (f->to < 0)
            h.met |= 1u << 3;
        if (f->from + CAPA_LIMIT_STAGE0 < 64)
            h.met |= (uint64_t)1 << (f->from + CAPA_LIMIT_STAGE0);
        if ((err = limits_update(t, f->wf, &h)))
            goto done;
    }
    err = capa_hdr__put(t->s, t->txn, &h);
done:
    capa_hdr_clear(&h);
    return err;
}

/* A waiver (<waiver> of the stage, IATF 16949 §10.2.4 / 8D D7): an electronic signature
 * recorded as kind "waiver" over the stage data as they were; the case stays where it is.
 * Every fact is checked as a sign-off's: the stage the case is in, a waiver of it, the role,
 * recusal, the reason, the data hash, and the signer's name and role as the account says. */
static int apply_waive(capa_wtxn *t, const capa_event_rec *e, case_facts *f)
{
    capa_hdr h = {0};
    capa_stage_record rec = {0};
    const capa_stage *st = &f->wf->stages[f->from];
    const char *meaning = capa_event__get(e, "meaning"), *hash = capa_event__get(e, "data_hash");
    const char *name = capa_event__get(e, "name"), *role = capa_event__get(e, "role");
    const capa_waiver *wv = capa_stage_waiver(st, meaning);
    const capa_change *c;
    char have[65], msg[400];
    int err = CAPA_OK;
    h = take_hdr(f);
    if (h.closed || capa_workflow_stage_index(f->wf, h.stage) != f->from) {
        err = corrupt(e, "the case is in stage %s, not %s", h.closed ? "closed" : h.stage,
                      e->ev.stage);
        goto done;
    }
    if (!wv) {
        err = corrupt(e, "'%s' is no waiver of stage %s", meaning ? meaning : "", st->id);
        goto done;
    }
    if (!e->ev.reason || !*e->ev.reason) {
        err = corrupt(e, "a waiver without a reason%s%s", NULL, NULL);
        goto done;
    }
    if ((err = recused(e, &h)) ||
        (err = check_role(e, f, wv->by, wv->n_by, NULL, 0, "sign this waiver")))
        goto done;
    if ((err = capa_stage__get(t->s, t->txn, f->id, f->from, &rec)) ||
        (err = capa_stage__hash(have, h.number, &rec)))
        goto done;
    if (!hash || strcmp(hash, have) != 0 || !(c = change(e, "data_hash")) || !c->new_value ||
        strcmp(c->new_value, have) != 0) {
        err = corrupt(e, "the data hash it signs is not that of stage %s%s", st->id, NULL);
        goto done;
    }
    if (f->have_actor && (!name || !role || strcmp(name, f->actor.u.name ? f->actor.u.name : "") ||
                          strcmp(role, f->actor.u.role))) {
        snprintf(msg, sizeof msg, "it prints the signer as '%.100s' (%.40s); the account says "
                                  "'%.100s' (%.40s)",
                 name ? name : "", role ? role : "", f->actor.u.name ? f->actor.u.name : "",
                 f->actor.u.role);
        err = corrupt(e, "%s%s", msg, NULL);
        goto done;
    }
    snprintf(msg, sizeof msg, "%s %s (%s)", wv->meaning, name ? name : "", role ? role : "");
    if (!(c = change(e, "signature")) || !c->new_value || strcmp(c->new_value, msg) != 0) {
        err = corrupt(e, "the signature it shows is not '%s'%s", msg, NULL);
        goto done;
    }
    capa_signature g = {0};
    g.seq = e->ev.seq;
    g.stage = (char *)st->id;
    g.kind = "waiver";
    g.meaning = wv->meaning;
    g.user = (char *)e->ev.actor;
    g.name = (char *)(name ? name : "");
    g.role = (char *)(role ? role : "");
    g.reason = (char *)e->ev.reason;
    g.time = e->ev.time;
    g.round = h.round > 1 ? h.round : 1;
    memcpy(g.data_hash, have, 65);
    err = capa_sig__put(t->s, t->txn, f->id, &g);
done:
    capa_stage_record_clear(&rec);
    capa_hdr_clear(&h);
    return err;
}

/* A file attached to a stage the case has reached, while it is open; the content comes
 * from src, attested by the SHA-256 the event names. */
static int apply_attach(capa_wtxn *t, const capa_event_rec *e, case_facts *f,
                        const capa_apply_src *src)
{
    capa_hdr h = {0};
    capa_stage_record rec;
    const void *content = NULL;
    int err = CAPA_OK;
    h = take_hdr(f);
    if (h.closed) {
        err = corrupt(e, "the case is closed%s%s", NULL, NULL);
        goto done;
    }
    if ((err = capa_stage__get(t->s, t->txn, f->id, f->from, &rec)) == CAPA_ENOTFOUND) {
        err = corrupt(e, "stage %s was never entered%s", e->ev.stage, NULL);
        goto done;
    }
    capa_stage_record_clear(&rec);
    if (err)
        goto done;
    const capa_stage *st = &f->wf->stages[f->from];
    if ((err = check_role(e, f, st->editors, st->n_editors, st->signers, st->n_signers,
                          "attach to this stage")))
        goto done;
    const char *printed = capa_event__get(e, "name_of_user");
    if (e->version >= 2 && f->have_actor &&
        strcmp(printed ? printed : "", f->actor.u.name ? f->actor.u.name : "") != 0) {
        err = corrupt(e, "it prints the user as '%s'; the account says '%s'", printed,
                      f->actor.u.name);
        goto done;
    }
    const char *sha = capa_event__get(e, "sha256"), *size = capa_event__get(e, "size");
    if (src && src->blob && sha && size &&
        (err = src->blob(src->payload, sha, strtoull(size, NULL, 10), &content)))
        goto done;
    /* The type it names is what the content is (capa_att__sniff), when the content is here. */
    const char *mime = capa_event__get(e, "mime");
    if (content && mime && strcmp(mime, capa_att__sniff(content, strtoull(size, NULL, 10))) != 0) {
        err = corrupt(e, "it calls the content %s; the content is %s", mime,
                      capa_att__sniff(content, strtoull(size, NULL, 10)));
        goto done;
    }
    err = capa_att__apply(t, e, f->id, f->wf->stages[f->from].id, content);
done:
    capa_hdr_clear(&h);
    return err;
}

/* `capa escalate`: the level marked on the open limit (once), the notice queued. */
static int apply_escalate(capa_wtxn *t, const capa_event_rec *e, case_facts *f)
{
    const char *kind = capa_event__get(e, "limit"), *level = capa_event__get(e, "level");
    const char *notify = capa_event__get(e, "notify");
    capa_hdr h;
    long long due = 0, crossed = 0;
    int code = kind ? capa_limits__code(f->wf, kind) : -1, step = -1;
    for (size_t j = 0; level && j < f->wf->n_escalations; j++)
        if (strcmp(f->wf->escalations[j].level, level) == 0)
            step = (int)j;
    if (code < 0 || step < 0)
        return corrupt(e, "escalation of limit `%s` level `%s`: not in the workflow",
                       kind ? kind : "?", level ? level : "?");
    int err = CAPA_OK;
    h = take_hdr(f);
    capa_hdr_limit *l = NULL;
    for (size_t i = 0; i < h.n_limits; i++)
        if (h.limits[i].code == code)
            l = &h.limits[i];
    if (!l)
        err = corrupt(e, "escalation of limit `%s`: the limit is not open%s", kind, NULL);
    else if (l->escalated >> step & 1)
        err = corrupt(e, "escalation `%s` of limit `%s` recorded twice", level, kind);
    else if (e->ev.time < capa_escalation__crossed(&f->wf->escalations[step], l))
        err = corrupt(e, "escalation `%s` of limit `%s` before its time", level, kind);
    else if (e->version >= 2 &&
             (!fact_int(e, "due", &due) || due != l->due || !fact_int(e, "crossed", &crossed) ||
              crossed != capa_escalation__crossed(&f->wf->escalations[step], l)))
        err = corrupt(e,
                      "escalation of limit `%s`: the due time or the time crossed it names is "
                      "not the limit's%s",
                      kind, NULL);
    if (!err) {
        l->escalated |= (uint8_t)(1u << step);
        err = capa_hdr__put(t->s, t->txn, &h);
    }
    if (!err && notify) {
        unsigned char k[8];
        capa_be64(k, e->ev.seq);
        err = capa_store__put(t->txn, t->s->dbi[DB_OUTBOX], k, 8, notify, strlen(notify), 0);
    }
    capa_hdr_clear(&h);
    return err;
}

/* The notices a run posted leave the outbox. */
static int apply_deliver(capa_wtxn *t, const capa_event_rec *e)
{
    int any = 0;
    int err = capa_notify__apply_sent(t, e, &any);
    if (err)
        return err;
    for (size_t i = 0; i < e->n_facts; i++) {
        const char *k = e->facts[i].name;
        if (strncmp(k, "notice:", 7) != 0)
            continue;
        char *end;
        unsigned long long seq = strtoull(k + 7, &end, 10);
        unsigned char key[8];
        MDB_val v;
        if (*end || !seq)
            return corrupt(e, "bad notice fact '%s'%s", k, NULL);
        capa_be64(key, seq);
        int err = capa_store__get(t->txn, t->s->dbi[DB_OUTBOX], key, 8, &v);
        if (err == CAPA_ENOTFOUND)
            return corrupt(e, "notice of event %s delivered but not in the outbox%s", k + 7, NULL);
        if (err || (err = capa_store__del(t->txn, t->s->dbi[DB_OUTBOX], key, 8, NULL, 0)))
            return err;
        any = 1;
    }
    return any ? CAPA_OK : corrupt(e, "delivery of no notice%s%s", NULL, NULL);
}

/* The case actions, told apart once per event. */
enum { A_OPEN, A_IMPORT, A_SET, A_SIGN, A_REJECT, A_ATTACH, A_ESCALATE, A_WAIVE, A_OWNER, A_NONE };

static int case_action(const char *a)
{
    static const char *const names[] = {"open",   "import",   "set",   "sign", "reject",
                                        "attach", "escalate", "waive", "owner"};
    for (int i = 0; i < A_NONE; i++)
        if (strcmp(a, names[i]) == 0)
            return i;
    return A_NONE;
}

static int apply_case(capa_wtxn *t, const capa_event_rec *e, const capa_apply_src *src)
{
    case_facts f;
    memset(&f, 0, sizeof f);
    int a = case_action(e->ev.action);
    int err = a == A_OPEN     ? apply_open(t, e, &f)
              : a == A_IMPORT ? apply_import(t, e, &f)
                              : CAPA_OK;
    if (!err)
        err = case_facts_get(t, e, &f);
    /* The case's records as the last checkpoint signed them, kept before its first change
     * since (caseproof.c): a dossier replays its later events on top of them. */
    if (!err && a != A_OPEN && a != A_IMPORT)
        err = capa_proof__keep_case(t, f.id);
    if (!err && a == A_OPEN)
        err = check_role(e, &f, f.wf->stages[0].editors, f.wf->stages[0].n_editors, NULL, 0,
                         "open a case");
    if (!err) {
        if (a == A_SET)
            err = apply_set(t, e, &f);
        else if (a == A_SIGN)
            err = apply_sign(t, e, &f, 0);
        else if (a == A_REJECT)
            err = apply_sign(t, e, &f, 1);
        else if (a == A_ATTACH)
            err = apply_attach(t, e, &f, src);
        else if (a == A_ESCALATE)
            err = apply_escalate(t, e, &f);
        else if (a == A_WAIVE)
            err = apply_waive(t, e, &f);
        else if (a == A_OWNER)
            err = capa_notify__apply_owner(t, e, f.id, f.have_actor ? f.actor.u.role : NULL);
    }
    if (!err)
        err = link_case(t, e, f.id);
    /* Who is told: the people of the stage entered and the case's owner (notify.c). */
    if (!err && (a == A_OPEN || a == A_SIGN || a == A_REJECT || a == A_OWNER))
        err = capa_notify__derive(t, e, f.wf, f.id, f.from,
                                  a == A_OPEN ? 0 : a == A_OWNER ? f.from : f.to);
    /* A successful sign-in ends a run of wrong passwords (reset_failures): no case action
     * changes an account, so the actor's record read above is the one to reset. */
    if (!err && f.have_actor && f.actor.u.failed && capa__event_authenticated(e)) {
        f.actor.u.failed = 0;
        err = capa_user__put(t->s, t->txn, &f.actor);
    }
    if (f.have_actor != 2)
        capa_user_rec_clear(&f.actor);
    capa_hdr_clear(&f.hdr);
    return err;
}

/* `capa import --xml`: a case from another store's archive. Its definitions stay in the
 * archive the event carries (capa_case_form); only an import event written before that
 * (without an "address" fact) installed the ones the store lacked, and replays as it did. */
static int apply_import_archive(capa_wtxn *t, const capa_event_rec *e)
{
    uint64_t id = 0;
    int err = capa_event__get(e, "address") ? CAPA_OK : apply_defs(t, e, 0);
    if (!err)
        err = capa_import_xml__apply(t, e, &id);
    if (!err)
        err = link_case(t, e, id);
    return err;
}

/* ---- the store itself ---- */

static int apply_init(capa_wtxn *t, const capa_event_rec *e, const capa_apply_src *src)
{
    capa_store *s = t->s;
    const char *org = capa_event__get(e, "org"), *pattern = capa_event__get(e, "pattern");
    long long format = 1;
    if (e->version < 2) {
        const capa_change *c;
        org = (c = change(e, "org")) ? c->new_value : NULL;
        pattern = (c = change(e, "number_pattern")) ? c->new_value : NULL;
    } else if (!fact_int(e, "format", &format)) {
        return corrupt(e, "init without a format%s%s", NULL, NULL);
    }
    if (!org || !pattern)
        return corrupt(e, "init without organisation or number pattern%s%s", NULL, NULL);
    int err;
    if ((err = capa_meta__put_u64(s, t->txn, "format", (uint64_t)format)) ||
        (err = capa_meta__put_str(s, t->txn, "org", org)) ||
        (err = capa_meta__put_str(s, t->txn, "pattern", pattern)) ||
        (err = capa_meta__put_u64(s, t->txn, "next_id", 1)))
        return err;
    /* The plant's time zone; a store made without one (format 1, or before plant time was
     * stored) has no "timezone" and counts as UTC (capa_plant_get). */
    const char *zone = e->version >= 2 ? capa_event__get(e, "timezone") : NULL;
    if (zone && (err = capa_meta__put_str(s, t->txn, "timezone", zone)))
        return err;
    return e->version >= 2 ? apply_defs(t, e, 0) : apply_legacy_defs(t, e, src);
}

/* A calendar installed or the zone changed moves the due times of every limit still open:
 * the cases idx_due names are re-planned by this event. */
static int limits_replan(capa_wtxn *t)
{
    const capa_workflow *wf = NULL;
    MDB_cursor *cur = NULL;
    uint64_t *ids = NULL;
    size_t n = 0, cap = 0;
    /* In verify's replay idx_due is written by a thread of its own (store.h): read it there. */
    capa_store *ixs = t->s;
    MDB_txn *ixt = t->txn;
    int err = t->s->defer ? capa_defer__read(t->s->defer, &ixs, &ixt) : CAPA_OK;
    if (err)
        return err;
    int rc = mdb_cursor_open(ixt, ixs->dbi[DB_IDX_DUE], &cur);
    MDB_val k, v;
    for (rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == MDB_SUCCESS;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        capa_hdr_limit l;
        uint64_t id;
        capa_index__due_read(&k, &v, &id, &l);
        int seen = 0;
        for (size_t i = 0; i < n && !seen; i++)
            seen = ids[i] == id;
        if (seen || !id)
            continue;
        if (n == cap) {
            uint64_t *p = capa__realloc(ids, (cap = cap ? cap * 2 : 64) * sizeof *p);
            if (!p) {
                err = capa_error_set(CAPA_ENOMEM, "out of memory");
                break;
            }
            ids = p;
        }
        ids[n++] = id;
    }
    if (!err && rc && rc != MDB_NOTFOUND)
        err = capa_store__mdb_err(rc, "idx_due");
    if (cur)
        mdb_cursor_close(cur);
    if (t->s->defer)
        capa_defer__read_end(t->s->defer, ixt);
    if (!err && n)
        err = capa_store__workflow(&wf, t->s, t->txn);
    for (size_t i = 0; i < n && !err; i++) {
        capa_hdr h;
        if ((err = capa_hdr__get(t->s, t->txn, ids[i], &h)))
            break;
        if (!(err = limits_update(t, wf, &h)))
            err = capa_hdr__put(t->s, t->txn, &h);
        capa_hdr_clear(&h);
    }
    capa__free(ids);
    return err;
}

/* What a case's stored records say is met (a format-1 store kept no such mask): a sign-off
 * of the first stage, an approval, each stage signed, the case closed, a containment. */
static int met_from_records(capa_wtxn *t, const capa_workflow *wf, capa_hdr *h)
{
    MDB_cursor *cur = NULL;
    unsigned char k0[16];
    capa_stage_record rec;
    capa_be64(k0, h->id);
    memset(k0 + 8, 0, 8);
    h->met = h->closed ? 1u << 3 : 0;
    int err = capa_stage__get(t->s, t->txn, h->id, 0, &rec);
    if (!err) {
        const char *c = capa_stage__value(&rec, "containment");
        if (c && *c)
            h->met |= 1u << 1;
        capa_stage_record_clear(&rec);
    } else if (err != CAPA_ENOTFOUND) {
        return err;
    }
    err = CAPA_OK;
    int rc = mdb_cursor_open(t->txn, t->s->dbi[DB_SIGS], &cur);
    MDB_val k = {16, k0}, v;
    for (rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == MDB_SUCCESS && memcmp(k.mv_data, k0, 8) == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        capa_signature g;
        if ((err = capa_sig__decode(&g, v.mv_data, v.mv_size)))
            break;
        int idx = capa_workflow_stage_index(wf, g.stage);
        if (strcmp(g.kind, "sign") == 0) {
            if (idx == 0)
                h->met |= 1u << 0;
            if (g.meaning && strcmp(g.meaning, "approved") == 0)
                h->met |= 1u << 2;
            if (idx >= 0 && idx + CAPA_LIMIT_STAGE0 < 64)
                h->met |= (uint64_t)1 << (idx + CAPA_LIMIT_STAGE0);
        }
        capa_signature_clear(&g);
    }
    if (!err && rc && rc != MDB_NOTFOUND)
        err = capa_store__mdb_err(rc, "signatures");
    if (cur)
        mdb_cursor_close(cur);
    return err;
}

/* Upgrade: every case's limits derived from its records, the same on the store and in
 * replay (where format-1 events already derived them from the trail). */
static int limits_restate(capa_wtxn *t)
{
    const capa_workflow *wf = NULL;
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    int err = CAPA_OK, rc = mdb_cursor_open(t->txn, t->s->dbi[DB_CASES], &cur);
    uint64_t next = 1;
    for (;;) {
        unsigned char kb[8];
        capa_be64(kb, next);
        k.mv_size = 8;
        k.mv_data = kb;
        if (rc || (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE)))
            break;
        uint64_t id = capa_get_be64(k.mv_data);
        next = id + 1;
        capa_hdr h;
        if ((err = capa_hdr__get(t->s, t->txn, id, &h)))
            break;
        if ((!wf && (err = capa_store__workflow(&wf, t->s, t->txn))) ||
            (err = met_from_records(t, wf, &h)) || (err = limits_update(t, wf, &h)) ||
            (err = capa_hdr__put(t->s, t->txn, &h))) {
            capa_hdr_clear(&h);
            break;
        }
        capa_hdr_clear(&h);
    }
    if (!err && rc && rc != MDB_NOTFOUND)
        err = capa_store__mdb_err(rc, "cases");
    if (cur)
        mdb_cursor_close(cur);
    return err;
}

/* `capa config`: a plant setting (the time zone, the recurrence window, the attachment
 * limit) replaced. */
static int apply_config(capa_wtxn *t, const capa_event_rec *e)
{
    const char *zone = capa_event__get(e, "timezone");
    long long days = 0, limit = 0;
    if (zone && *zone) {
        int err = capa_meta__put_str(t->s, t->txn, "timezone", zone);
        return err ? err : limits_replan(t);
    }
    if (fact_int(e, "recurrence_days", &days)) {
        if (days < 1 || days > 3650)
            return corrupt(e, "recurrence window %s out of range%s",
                           capa_event__get(e, "recurrence_days"), NULL);
        return capa_meta__put_u64(t->s, t->txn, "recurrence_days", (uint64_t)days);
    }
    if (fact_int(e, "attach_limit", &limit) && limit > 0)
        return capa_meta__put_u64(t->s, t->txn, "attach_limit", (uint64_t)limit);
    return corrupt(e, "config event without a setting%s%s", NULL, NULL);
}

/* `capa upgrade`: the format, every stored definition and every credential re-stated. */
static int apply_upgrade(capa_wtxn *t, const capa_event_rec *e, const capa_apply_src *src)
{
    long long format = 0;
    int err;
    if (!fact_int(e, "format", &format))
        return corrupt(e, "upgrade without a format%s%s", NULL, NULL);
    if ((err = capa_meta__put_u64(t->s, t->txn, "format", (uint64_t)format)) ||
        (err = apply_defs(t, e, 1)))
        return err;
    for (size_t i = 0; i < e->n_facts && !err; i++) {
        const char *k = e->facts[i].name;
        capa_user_rec u;
        if (strncmp(k, "cred:", 5) != 0)
            continue;
        if ((err = capa_user__get(t->s, t->txn, k + 5, &u)) == CAPA_ENOTFOUND)
            return corrupt(e, "credential of unknown user `%s`%s", k + 5, NULL);
        if (!err && !(err = take_cred(src, k + 5, e->facts[i].value, &u)))
            err = capa_user__put(t->s, t->txn, &u);
        capa_user_rec_clear(&u);
    }
    return err ? err : limits_restate(t);
}

int capa_apply__event(capa_wtxn *t, const capa_event_rec *e, const capa_apply_src *src)
{
    const char *a = e->ev.action;
    int err;
    /* Case actions first: nearly every event is one. */
    if (case_action(a) != A_NONE)
        return apply_case(t, e, src); /* resets the actor's failed sign-ins itself */
    if (strcmp(a, "init") == 0)
        err = apply_init(t, e, src);
    else if (strcmp(a, "upgrade") == 0)
        err = apply_upgrade(t, e, src);
    else if (strcmp(a, "user_add") == 0)
        err = apply_user_add(t, e, src);
    else if (strcmp(a, "passwd") == 0 || strcmp(a, "unlock") == 0 ||
             strcmp(a, "unlock_local") == 0 || strcmp(a, "login_failed") == 0 ||
             strcmp(a, "lock") == 0 || strcmp(a, "login_locked") == 0 || strcmp(a, "role") == 0 ||
             strcmp(a, "user_disable") == 0 || strcmp(a, "user_enable") == 0)
        err = apply_account(t, e, src);
    else if (strcmp(a, "form_install") == 0)
        err = e->version >= 2 ? apply_defs(t, e, 0) : apply_legacy_defs(t, e, src);
    else if (strcmp(a, "calendar_install") == 0)
    {
        err = apply_defs(t, e, 0); /* "calendar-YYYY" in the definitions, like a form */
        if (!err)
            err = limits_replan(t);
    }
    else if (strcmp(a, "config") == 0)
        err = apply_config(t, e);
    else if (strcmp(a, "user_set") == 0)
        err = capa_notify__apply_user_set(t, e);
    else if (strcmp(a, "notify_target") == 0)
        err = capa_notify__apply_target(t, e);
    else if (strcmp(a, "import_archive") == 0)
        err = apply_import_archive(t, e);
    else if (strcmp(a, "deliver") == 0)
        err = apply_deliver(t, e);
    else if (strcmp(a, "checkpoint") == 0)
        err = capa_proof__apply_checkpoint(t, e, src); /* v2: the case proof's roots */
    else
        err = corrupt(e, "unknown action%s%s", NULL, NULL);
    return err ? err : reset_failures(t, e);
}
