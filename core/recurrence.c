/*
 * recurrence.c - recurrence (再发): a case whose part number and defect code match a case
 * opened in the previous N days (meta "recurrence_days", set by `capa config
 * recurrence-days`; default 180). IATF 16949 §10.2 auditors ask first about recurrence after
 * a closed CAPA, so it is computed from what is stored, never stored itself: nothing can
 * disagree with the events, and a change of the window or of a part number shows at once.
 *
 * The part and defect indexes hold case ids (big-endian dupsort values): the shorter of the
 * two lists is walked, each id looked up in the other list (MDB_GET_BOTH, no header read),
 * and only the cases in both have their headers read, for the opening time and the exact
 * values (index keys are prefixes of CAPA_INDEX_KEY_MAX bytes).
 */
#include "recurrence.h"

#include <string.h>

#include "codec.h"
#include "index.h"

int capa_recur__days(capa_store *s, MDB_txn *txn, int *out)
{
    uint64_t v = 0;
    int err = capa_meta__get_u64(s, txn, "recurrence_days", &v);
    *out = CAPA_RECURRENCE_DAYS_DEFAULT;
    if (err == CAPA_ENOTFOUND)
        return CAPA_OK;
    if (err)
        return err;
    *out = (int)v;
    return CAPA_OK;
}

static int cursor_at(MDB_cursor **cur, capa_store *s, MDB_txn *txn, int db, const char *key,
                     MDB_val *v, int *rc)
{
    size_t n = strlen(key);
    MDB_val k = {n > CAPA_INDEX_KEY_MAX ? CAPA_INDEX_KEY_MAX : n, (void *)key};
    *rc = mdb_cursor_open(txn, s->dbi[db], cur);
    if (*rc)
        return capa_store__mdb_err(*rc, "recurrence");
    *rc = mdb_cursor_get(*cur, &k, v, MDB_SET_KEY);
    if (*rc && *rc != MDB_NOTFOUND)
        return capa_store__mdb_err(*rc, "recurrence");
    return CAPA_OK;
}

/* Does case `id` (a candidate) count for h? */
static int counts(int *yes, char **number, capa_store *s, MDB_txn *txn, const capa_hdr *h,
                  uint64_t id, int64_t from)
{
    char arena[2048];
    unsigned char k[8];
    MDB_val v;
    capa_hdr o;
    *yes = 0;
    capa_be64(k, id);
    int err = capa_store__get(txn, s->dbi[DB_CASES], k, 8, &v), view = 1;
    if (err == CAPA_ENOTFOUND)
        return capa_error_set(CAPA_ECORRUPT, "case id %llu: in an index, header missing",
                              (unsigned long long)id);
    if (err)
        return err;
    err = capa_hdr__decode_view(&o, v.mv_data, v.mv_size, arena, sizeof arena);
    if (err == CAPA_ENOMEM)
        view = 0, err = capa_hdr__decode(&o, v.mv_data, v.mv_size);
    if (err)
        return err;
    *yes = (o.opened < h->opened || (o.opened == h->opened && id < h->id)) && o.opened >= from &&
           o.part_no && o.defect_code && strcmp(o.part_no, h->part_no) == 0 &&
           strcmp(o.defect_code, h->defect_code) == 0 &&
           /* a recurrence within the same workflow: a supplier's SCAR is no 再发 of a
            * customer's complaint */
           (o.workflow ? h->workflow && strcmp(o.workflow, h->workflow) == 0 : !h->workflow);
    if (*yes && number && !(*number = capa__strdup(o.number)))
        err = capa_error_set(CAPA_ENOMEM, "recurrence: out of memory");
    if (!view)
        capa_hdr_clear(&o);
    return err;
}

int capa_recur__of(uint64_t **out, char ***numbers, size_t *n, capa_store *s, MDB_txn *txn,
                   const capa_hdr *h, int days, size_t limit)
{
    MDB_cursor *cp = NULL, *cd = NULL;
    MDB_val vp, vd;
    int rp = MDB_NOTFOUND, rd = MDB_NOTFOUND, err = CAPA_OK;
    size_t cap = 0, np = 0, nd = 0;
    *out = NULL;
    if (numbers)
        *numbers = NULL;
    *n = 0;
    if (!h->part_no || !*h->part_no || !h->defect_code || !*h->defect_code || days <= 0)
        return CAPA_OK;
    int64_t from = h->opened - (int64_t)days * 86400000;
    if ((err = cursor_at(&cp, s, txn, DB_IDX_PART, h->part_no, &vp, &rp)) ||
        (err = cursor_at(&cd, s, txn, DB_IDX_DEFECT, h->defect_code, &vd, &rd)))
        goto done;
    if (rp || rd)
        goto done; /* no case has one of them */
    /* Walk the shorter of the two lists (a part has few cases, a defect code many); each
     * candidate's header says whether it has the other value and when it was opened. */
    if ((rp = mdb_cursor_count(cp, &np)) || (rd = mdb_cursor_count(cd, &nd))) {
        err = capa_store__mdb_err(rp ? rp : rd, "recurrence");
        goto done;
    }
    MDB_cursor *walk = np <= nd ? cp : cd, *probe = np <= nd ? cd : cp;
    MDB_val *v = np <= nd ? &vp : &vd;
    const char *other = np <= nd ? h->defect_code : h->part_no;
    size_t olen = strlen(other);
    int rc = MDB_SUCCESS;
    for (; rc == MDB_SUCCESS && (!limit || *n < limit);
         rc = mdb_cursor_get(walk, NULL, v, MDB_NEXT_DUP)) {
        uint64_t a = capa_get_be64(v->mv_data);
        int yes = 0;
        char *num = NULL;
        if (a == h->id)
            continue;
        /* In the other list too? A lookup of (value, id) in its index, no header read. */
        unsigned char idk[8];
        capa_be64(idk, a);
        MDB_val ok = {olen > CAPA_INDEX_KEY_MAX ? CAPA_INDEX_KEY_MAX : olen, (void *)other},
                ov = {8, idk};
        int pr = mdb_cursor_get(probe, &ok, &ov, MDB_GET_BOTH);
        if (pr == MDB_NOTFOUND)
            continue;
        if (pr) {
            err = capa_store__mdb_err(pr, "recurrence");
            goto done;
        }
        if ((err = counts(&yes, numbers ? &num : NULL, s, txn, h, a, from)))
            goto done;
        if (!yes)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 4;
            uint64_t *p = capa__realloc(*out, cap * sizeof *p);
            char **q = numbers ? capa__realloc(*numbers, cap * sizeof *q) : NULL;
            if (p)
                *out = p;
            if (q)
                *numbers = q;
            if (!p || (numbers && !q)) {
                capa__free(num);
                err = capa_error_set(CAPA_ENOMEM, "recurrence: out of memory");
                goto done;
            }
        }
        if (numbers)
            (*numbers)[*n] = num;
        (*out)[(*n)++] = a;
    }
    if (rc && rc != MDB_NOTFOUND)
        err = capa_store__mdb_err(rc, "recurrence");
done:
    if (cp)
        mdb_cursor_close(cp);
    if (cd)
        mdb_cursor_close(cd);
    if (err) {
        capa__free(*out);
        *out = NULL;
        if (numbers) {
            capa_strings_free(*numbers, *n);
            *numbers = NULL;
        }
        *n = 0;
    }
    return err;
}

void capa_strings_free(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        capa__free(v[i]);
    capa__free(v);
}

int capa_case_recurrence(char ***out, size_t *n, capa_store *s, const char *number)
{
    MDB_txn *txn = NULL;
    capa_hdr h = {0};
    uint64_t id, *ids = NULL;
    int days = 0;
    *out = NULL;
    *n = 0;
    int err = capa_store__read_begin(s, &txn);
    if (err)
        return err;
    if (!(err = capa_store__require_init(s, txn)) && !(err = capa__case_id(s, txn, number, &id)) &&
        !(err = capa_hdr__get(s, txn, id, &h)) && !(err = capa_recur__days(s, txn, &days)))
        err = capa_recur__of(&ids, out, n, s, txn, &h, days, 0);
    capa__free(ids);
    capa_hdr_clear(&h);
    capa_store__read_end(s, txn);
    return err;
}

/* The stage of workflow wf whose sign-off is the verification of effectiveness: the one
 * that requires result = pass (the default workflow's "verification"). */
static const capa_stage *verifying_stage(const capa_workflow *wf)
{
    for (size_t i = 0; wf && i < wf->n_stages; i++)
        for (size_t k = 0; k < wf->stages[i].n_requires; k++) {
            const capa_condition *q = &wf->stages[i].requires[k];
            if (strcmp(q->field, "result") == 0 && q->equals && strcmp(q->equals, "pass") == 0)
                return &wf->stages[i];
        }
    return NULL;
}

void capa_recur_cases_free(capa_recur_case *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        capa__free(v[i].number);
        capa__free(v[i].verified_by);
    }
    capa__free(v);
}

int capa_case_recurrence_detail(capa_recur_case **out, size_t *n, capa_store *s, const char *number)
{
    char **nums = NULL;
    size_t k = 0;
    *out = NULL;
    *n = 0;
    int err = capa_case_recurrence(&nums, &k, s, number);
    if (err || k == 0)
        return err;
    capa_recur_case *v = capa__calloc(k, sizeof *v);
    if (!v) {
        capa_strings_free(nums, k);
        return capa_error_set(CAPA_ENOMEM, "recurrence: out of memory");
    }
    size_t i = 0;
    for (; i < k && !err; i++) {
        capa_case *c = NULL;
        const capa_workflow *wf = NULL;
        v[i].number = nums[i], nums[i] = NULL;
        if ((err = capa_case_get(&c, s, v[i].number)) || (err = capa_case_workflow(&wf, s, c))) {
            capa_case_free(c);
            break;
        }
        v[i].closed = c->closed;
        const capa_stage *st = verifying_stage(wf);
        for (size_t j = 0; st && j < c->n_signatures; j++) {
            const capa_signature *g = &c->signatures[j];
            if (!g->superseded && strcmp(g->kind, "sign") == 0 && strcmp(g->stage, st->id) == 0 &&
                strcmp(g->meaning, st->sign_meaning) == 0) {
                v[i].verified = 1;
                v[i].verified_at = g->time;
                capa__free(v[i].verified_by);
                if (!(v[i].verified_by = capa__strdup(g->name && *g->name ? g->name : g->user)))
                    err = capa_error_set(CAPA_ENOMEM, "recurrence: out of memory");
            }
        }
        capa_case_free(c);
    }
    capa_strings_free(nums, k);
    if (err) {
        capa_recur_cases_free(v, k);
        return err;
    }
    *out = v;
    *n = k;
    return CAPA_OK;
}

int capa_store_recurrence_days(capa_store *s, int *out)
{
    MDB_txn *txn = NULL;
    *out = CAPA_RECURRENCE_DAYS_DEFAULT;
    int err = capa_store__read_begin(s, &txn);
    if (err)
        return err;
    if (!(err = capa_store__require_init(s, txn)))
        err = capa_recur__days(s, txn, out);
    capa_store__read_end(s, txn);
    return err;
}
