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
    /* Most candidates of a common part or defect were opened outside the window: their
     * opening time alone says so, before the whole header is decoded. */
    int64_t opened;
    if ((err = capa_hdr__opened(&opened, v.mv_data, v.mv_size)))
        return err;
    if (!(opened < h->opened || (opened == h->opened && id < h->id)) || opened < from)
        return CAPA_OK;
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

/* The cases found so far: ids and, when asked for, their numbers. */
typedef struct found {
    uint64_t *ids;
    char **numbers; /* NULL when not asked for */
    size_t n, cap;
} found;

static int found_add(found *f, uint64_t id, char *num)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 4;
        uint64_t *p = capa__realloc(f->ids, cap * sizeof *p);
        if (p)
            f->ids = p;
        char **q = f->numbers ? capa__realloc(f->numbers, cap * sizeof *q) : NULL;
        if (q)
            f->numbers = q;
        if (!p || (f->numbers && !q)) {
            capa__free(num);
            return capa_error_set(CAPA_ENOMEM, "recurrence: out of memory");
        }
        f->cap = cap;
    }
    if (f->numbers)
        f->numbers[f->n] = num;
    f->ids[f->n++] = id;
    return CAPA_OK;
}

static void found_clear(found *f)
{
    capa__free(f->ids);
    if (f->numbers)
        capa_strings_free(f->numbers, f->n);
    f->ids = NULL;
    f->numbers = NULL;
    f->n = f->cap = 0;
}

/* Is case `a` in the index list of `value` (cursor c of that index)? No header read. */
static int listed(int *yes, MDB_cursor *c, const char *value, uint64_t a)
{
    unsigned char idk[8];
    size_t len = strlen(value);
    capa_be64(idk, a);
    MDB_val k = {len > CAPA_INDEX_KEY_MAX ? CAPA_INDEX_KEY_MAX : len, (void *)value}, v = {8, idk};
    int rc = mdb_cursor_get(c, &k, &v, MDB_GET_BOTH);
    *yes = rc == MDB_SUCCESS;
    return rc && rc != MDB_NOTFOUND ? capa_store__mdb_err(rc, "recurrence") : CAPA_OK;
}

/* Candidate `a`: kept when its header says it counts for h. */
static int consider(found *f, capa_store *s, MDB_txn *txn, const capa_hdr *h, uint64_t a,
                    int64_t from)
{
    int yes = 0;
    char *num = NULL;
    int err = counts(&yes, f->numbers ? &num : NULL, s, txn, h, a, from);
    if (err || !yes)
        return err;
    return found_add(f, a, num);
}

/* The cases opened in h's window [from, h's opening], from the opening-time index, each
 * looked up in the part and the defect lists: cheap when few cases were opened in the window
 * (the common case: a part or defect code with a long history, or h among the oldest).
 * *gave_up = 1, with nothing found, when the window holds more than `most` cases: walking the
 * shorter list is then cheaper. */
static int by_window(found *f, int *gave_up, capa_store *s, MDB_txn *txn, const capa_hdr *h,
                     int64_t from, MDB_cursor *cp, MDB_cursor *cd, size_t most, size_t limit)
{
    MDB_cursor *c = NULL;
    unsigned char kb[8];
    capa_be64(kb, (uint64_t)from);
    MDB_val k = {8, kb}, v;
    size_t seen = 0;
    int err = CAPA_OK, rc = mdb_cursor_open(txn, s->dbi[DB_IDX_OPENED], &c);
    *gave_up = 0;
    if (rc)
        return capa_store__mdb_err(rc, "recurrence");
    for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == MDB_SUCCESS && !err;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 8 || v.mv_size != 8) {
            err = capa_error_set(CAPA_ECORRUPT, "recurrence: malformed opening-time index entry");
            break;
        }
        int64_t opened = (int64_t)capa_get_be64(k.mv_data);
        uint64_t a = capa_get_be64(v.mv_data);
        if (opened > h->opened || (limit && f->n >= limit))
            break;
        if (++seen > most) {
            *gave_up = 1;
            break;
        }
        int in_part = 0, in_defect = 0;
        if (a == h->id || (opened == h->opened && a > h->id))
            continue;
        if ((err = listed(&in_part, cp, h->part_no, a)) || !in_part ||
            (err = listed(&in_defect, cd, h->defect_code, a)) || !in_defect)
            continue;
        err = consider(f, s, txn, h, a, from);
    }
    if (!err && rc && rc != MDB_NOTFOUND)
        err = capa_store__mdb_err(rc, "recurrence");
    mdb_cursor_close(c);
    if (err || *gave_up)
        found_clear(f);
    return err;
}

/* Ids ascending (with their numbers), the order of the index lists. */
static void found_sort(found *f)
{
    for (size_t i = 1; i < f->n; i++)
        for (size_t j = i; j > 0 && f->ids[j - 1] > f->ids[j]; j--) {
            uint64_t t = f->ids[j];
            f->ids[j] = f->ids[j - 1];
            f->ids[j - 1] = t;
            if (f->numbers) {
                char *q = f->numbers[j];
                f->numbers[j] = f->numbers[j - 1];
                f->numbers[j - 1] = q;
            }
        }
}

int capa_recur__of(uint64_t **out, char ***numbers, size_t *n, capa_store *s, MDB_txn *txn,
                   const capa_hdr *h, int days, size_t limit)
{
    MDB_cursor *cp = NULL, *cd = NULL;
    MDB_val vp, vd;
    int rp = MDB_NOTFOUND, rd = MDB_NOTFOUND, err = CAPA_OK, gave_up = 1;
    size_t np = 0, nd = 0;
    found f = {NULL, NULL, 0, 0};
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
    if ((rp = mdb_cursor_count(cp, &np)) || (rd = mdb_cursor_count(cd, &nd))) {
        err = capa_store__mdb_err(rp ? rp : rd, "recurrence");
        goto done;
    }
    /* The numbers array is allocated with the ids (found_add); a non-NULL marker asks for it. */
    if (numbers && !(f.numbers = capa__calloc(1, sizeof *f.numbers))) {
        err = capa_error_set(CAPA_ENOMEM, "recurrence: out of memory");
        goto done;
    }
    /* First the window of opening times, unless it holds more cases than the shorter list. */
    if (from >= 0 && (err = by_window(&f, &gave_up, s, txn, h, from, cp, cd, np < nd ? np : nd,
                                      limit)))
        goto done;
    if (numbers && !f.numbers && !(f.numbers = capa__calloc(1, sizeof *f.numbers))) {
        err = capa_error_set(CAPA_ENOMEM, "recurrence: out of memory");
        goto done;
    }
    if (gave_up) {
        /* Walk the shorter of the two lists (a part has few cases, a defect code many); each
         * candidate's header says whether it has the other value and when it was opened. */
        MDB_cursor *walk = np <= nd ? cp : cd, *probe = np <= nd ? cd : cp;
        MDB_val *v = np <= nd ? &vp : &vd;
        const char *other = np <= nd ? h->defect_code : h->part_no;
        const char *mine = np <= nd ? h->part_no : h->defect_code;
        /* From the list's first id again (the window's lookups moved the cursors). */
        size_t mlen = strlen(mine);
        MDB_val mk = {mlen > CAPA_INDEX_KEY_MAX ? CAPA_INDEX_KEY_MAX : mlen, (void *)mine};
        int rc = mdb_cursor_get(walk, &mk, v, MDB_SET_KEY);
        for (; rc == MDB_SUCCESS && !err && (!limit || f.n < limit);
             rc = mdb_cursor_get(walk, NULL, v, MDB_NEXT_DUP)) {
            uint64_t a = capa_get_be64(v->mv_data);
            int in = 0;
            if (a == h->id)
                continue;
            if ((err = listed(&in, probe, other, a)) || !in)
                continue;
            err = consider(&f, s, txn, h, a, from);
        }
        if (!err && rc && rc != MDB_NOTFOUND)
            err = capa_store__mdb_err(rc, "recurrence");
    } else {
        found_sort(&f);
    }
done:
    if (cp)
        mdb_cursor_close(cp);
    if (cd)
        mdb_cursor_close(cd);
    if (err) {
        found_clear(&f);
        return err;
    }
    if (!f.n) {
        found_clear(&f); /* nothing found: NULL arrays, as callers expect */
        return CAPA_OK;
    }
    *out = f.ids;
    *n = f.n;
    if (numbers)
        *numbers = f.numbers;
    return CAPA_OK;
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
