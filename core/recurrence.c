/*
 * recurrence.c - recurrence (再发): a case whose part number and defect code match a case
 * opened in the previous N days (meta "recurrence_days", set by `capa config
 * recurrence-days`; default 180). IATF 16949 §10.2 auditors ask first about recurrence after
 * a closed CAPA, so it is computed from what is stored, never stored itself: nothing can
 * disagree with the events, and a change of the window or of a part number shows at once.
 *
 * The part and defect indexes hold case ids in ascending order (big-endian dupsort values),
 * so the candidates are their merge-intersection; only those headers are read, for the
 * opening time and the exact values (index keys are prefixes of CAPA_INDEX_KEY_MAX bytes).
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
static int counts(int *yes, capa_store *s, MDB_txn *txn, const capa_hdr *h, uint64_t id,
                  int64_t from)
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
    *yes = (o.opened < h->opened || (o.opened == h->opened && o.id < h->id)) && o.opened >= from &&
           o.part_no && o.defect_code && strcmp(o.part_no, h->part_no) == 0 &&
           strcmp(o.defect_code, h->defect_code) == 0;
    if (!view)
        capa_hdr_clear(&o);
    return CAPA_OK;
}

int capa_recur__of(uint64_t **out, size_t *n, capa_store *s, MDB_txn *txn, const capa_hdr *h,
                   int days, size_t limit)
{
    MDB_cursor *cp = NULL, *cd = NULL;
    MDB_val vp, vd;
    int rp = MDB_NOTFOUND, rd = MDB_NOTFOUND, err = CAPA_OK;
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    if (!h->part_no || !*h->part_no || !h->defect_code || !*h->defect_code || days <= 0)
        return CAPA_OK;
    int64_t from = h->opened - (int64_t)days * 86400000;
    if ((err = cursor_at(&cp, s, txn, DB_IDX_PART, h->part_no, &vp, &rp)) ||
        (err = cursor_at(&cd, s, txn, DB_IDX_DEFECT, h->defect_code, &vd, &rd)))
        goto done;
    while (rp == MDB_SUCCESS && rd == MDB_SUCCESS && (!limit || *n < limit)) {
        uint64_t a = capa_get_be64(vp.mv_data), b = capa_get_be64(vd.mv_data);
        if (a < b) {
            rp = mdb_cursor_get(cp, NULL, &vp, MDB_NEXT_DUP);
            continue;
        }
        if (b < a) {
            rd = mdb_cursor_get(cd, NULL, &vd, MDB_NEXT_DUP);
            continue;
        }
        int yes = 0;
        if (a != h->id && (err = counts(&yes, s, txn, h, a, from)))
            goto done;
        if (yes) {
            if (*n == cap) {
                cap = cap ? cap * 2 : 4;
                uint64_t *p = capa__realloc(*out, cap * sizeof *p);
                if (!p) {
                    err = capa_error_set(CAPA_ENOMEM, "recurrence: out of memory");
                    goto done;
                }
                *out = p;
            }
            (*out)[(*n)++] = a;
        }
        rp = mdb_cursor_get(cp, NULL, &vp, MDB_NEXT_DUP);
        rd = mdb_cursor_get(cd, NULL, &vd, MDB_NEXT_DUP);
    }
    if ((rp && rp != MDB_NOTFOUND) || (rd && rd != MDB_NOTFOUND))
        err = capa_store__mdb_err(rp ? rp : rd, "recurrence");
done:
    if (cp)
        mdb_cursor_close(cp);
    if (cd)
        mdb_cursor_close(cd);
    if (err) {
        capa__free(*out);
        *out = NULL;
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
    size_t nids = 0;
    int days = 0;
    *out = NULL;
    *n = 0;
    int err = capa_store__read_begin(s, &txn);
    if (err)
        return err;
    if ((err = capa_store__require_init(s, txn)) || (err = capa__case_id(s, txn, number, &id)) ||
        (err = capa_hdr__get(s, txn, id, &h)) || (err = capa_recur__days(s, txn, &days)) ||
        (err = capa_recur__of(&ids, &nids, s, txn, &h, days, 0)))
        goto done;
    if (nids && !(*out = capa__calloc(nids, sizeof **out))) {
        err = capa_error_set(CAPA_ENOMEM, "recurrence: out of memory");
        goto done;
    }
    for (size_t i = 0; i < nids; i++, (*n)++) {
        capa_hdr o;
        if ((err = capa_hdr__get(s, txn, ids[i], &o)))
            goto done;
        (*out)[i] = o.number, o.number = NULL;
        capa_hdr_clear(&o);
    }
done:
    capa__free(ids);
    capa_hdr_clear(&h);
    capa_store__read_end(s, txn);
    if (err) {
        capa_strings_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return err;
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
