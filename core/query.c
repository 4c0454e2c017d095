/*
 * query.c - reading: one case as a snapshot, lists through the indexes, counts per indexed
 * value, and the audit trail in order. Nothing here writes.
 */
#define _GNU_SOURCE /* RUSAGE_THREAD */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "attach.h"
#include "codec.h"
#include "event.h"
#include "index.h"
#include "limits.h"
#include "record.h"
#include "recurrence.h"
#include "parscan.h"

/* ---- reading ---- */

void capa_case_free(capa_case *c)
{
    if (!c)
        return;
    capa__free(c->number);
    capa__free(c->stage);
    capa__free(c->opened_by);
    capa__free(c->workflow);
    capa__free(c->origin);
    capa__free(c->origin_number);
    for (size_t i = 0; i < c->n_stages; i++)
        capa_stage_record_clear(&c->stages[i]);
    capa__free(c->stages);
    for (size_t i = 0; i < c->n_signatures; i++)
        capa_signature_clear(&c->signatures[i]);
    capa__free(c->signatures);
    for (size_t i = 0; i < c->n_attachments; i++)
        capa_attachment_clear(&c->attachments[i]);
    capa__free(c->attachments);
    for (size_t i = 0; i < c->n_earlier; i++)
        capa_stage_record_clear(&c->earlier[i]);
    capa__free(c->earlier);
    capa__free(c);
}

/* The stage records earlier rounds left (keys: case id, stage index, round), by round and
 * then workflow order. */
static int read_earlier(capa_store *s, MDB_txn *txn, uint64_t id, capa_case *c)
{
    MDB_cursor *cur = NULL;
    unsigned char k0[9];
    capa_stage__key(k0, id, 0);
    int rc = mdb_cursor_open(txn, s->dbi[DB_STAGES], &cur), err = CAPA_OK;
    MDB_val k = {9, k0}, v;
    size_t cap = 0;
    rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    for (; rc == MDB_SUCCESS && memcmp(k.mv_data, k0, 8) == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 13)
            continue;
        if (c->n_earlier == cap) {
            cap = cap ? cap * 2 : 8;
            capa_stage_record *p = capa__realloc(c->earlier, cap * sizeof *p);
            if (!p) {
                err = capa_error_set(CAPA_ENOMEM, "case: out of memory");
                break;
            }
            c->earlier = p;
        }
        capa_stage_record *r = &c->earlier[c->n_earlier];
        if ((err = capa_stage__decode(r, v.mv_data, v.mv_size)))
            break;
        const unsigned char *kb = k.mv_data;
        r->round =
            (int)((uint32_t)kb[9] << 24 | (uint32_t)kb[10] << 16 | (uint32_t)kb[11] << 8 | kb[12]);
        c->n_earlier++;
    }
    if (!err && rc && rc != MDB_NOTFOUND)
        err = capa_store__mdb_err(rc, "stages");
    if (cur)
        mdb_cursor_close(cur);
    /* Keys run by stage, then round: a stable sort by round keeps workflow order within. */
    for (size_t i = 1; !err && i < c->n_earlier; i++) {
        capa_stage_record x = c->earlier[i];
        size_t j = i;
        for (; j > 0 && c->earlier[j - 1].round > x.round; j--)
            c->earlier[j] = c->earlier[j - 1];
        c->earlier[j] = x;
    }
    return err;
}

static int read_sigs(capa_store *s, MDB_txn *txn, uint64_t id, capa_case *c)
{
    MDB_cursor *cur = NULL;
    unsigned char k0[16];
    capa_be64(k0, id);
    memset(k0 + 8, 0, 8);
    int rc = mdb_cursor_open(txn, s->dbi[DB_SIGS], &cur), err = CAPA_OK;
    MDB_val k = {16, k0}, v;
    size_t cap = 0;
    rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    for (; rc == MDB_SUCCESS && memcmp(k.mv_data, k0, 8) == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (c->n_signatures == cap) {
            cap = cap ? cap * 2 : 8;
            capa_signature *p = capa__realloc(c->signatures, cap * sizeof *p);
            if (!p) {
                err = capa_error_set(CAPA_ENOMEM, "case: out of memory");
                break;
            }
            c->signatures = p;
        }
        if ((err = capa_sig__decode(&c->signatures[c->n_signatures], v.mv_data, v.mv_size)))
            break;
        c->n_signatures++;
    }
    if (!err && rc && rc != MDB_NOTFOUND)
        err = capa_store__mdb_err(rc, "signatures");
    if (cur)
        mdb_cursor_close(cur);
    return err;
}

int capa_case_get(capa_case **out, capa_store *s, const char *number)
{
    MDB_txn *txn = NULL;
    const capa_workflow *wf = NULL;
    capa_hdr h = {0};
    capa_case *c = NULL;
    uint64_t id;
    *out = NULL;
    int err = capa_store__read_begin(s, &txn);
    if (err)
        return err;
    if ((err = capa_store__require_init(s, txn)) || (err = capa__case_id(s, txn, number, &id)) ||
        (err = capa_hdr__get(s, txn, id, &h)) ||
        (err = capa_store__workflow_of(&wf, s, txn, h.workflow)))
        goto done;
    if (!(c = capa__calloc(1, sizeof *c)) ||
        !(c->stages = capa__calloc(wf->n_stages, sizeof *c->stages))) {
        err = capa_error_set(CAPA_ENOMEM, "case: out of memory");
        goto done;
    }
    c->number = h.number, h.number = NULL;
    c->stage = h.stage, h.stage = NULL;
    c->opened_by = h.opened_by, h.opened_by = NULL;
    if (!(c->workflow = capa__strdup(wf->id))) {
        err = capa_error_set(CAPA_ENOMEM, "case: out of memory");
        goto done;
    }
    c->closed = h.closed;
    c->opened = h.opened;
    c->closed_at = h.closed_at;
    if (h.origin) {
        /* An imported copy is addressed NUMBER@ORIGIN here; its number is the exporter's. */
        const char *at = strchr(c->number, '@');
        c->origin = h.origin, h.origin = NULL;
        if (!(c->origin_number = at ? capa__strndup(c->number, (size_t)(at - c->number))
                                    : capa__strdup(c->number))) {
            err = capa_error_set(CAPA_ENOMEM, "case: out of memory");
            goto done;
        }
    }
    for (size_t i = 0; i < wf->n_stages; i++, c->n_stages++) {
        err = capa_stage__get(s, txn, id, (int)i, &c->stages[i]);
        if (err == CAPA_ENOTFOUND) { /* not reached yet: an empty record naming its form */
            err = CAPA_OK;
            if ((err = capa__set_str(&c->stages[i].stage, wf->stages[i].id)) ||
                (err = capa__set_str(&c->stages[i].form_id, wf->stages[i].form_id))) {
                c->n_stages++; /* counted, so capa_case_free frees what was set */
                goto done;
            }
        } else if (err) {
            goto done;
        }
    }
    c->round = h.round > 1 ? h.round : 1;
    c->round_at = h.round_at;
    if (!(err = read_sigs(s, txn, id, c)) && !(err = read_earlier(s, txn, id, c)))
        err = capa_att__list(s, txn, id, &c->attachments, &c->n_attachments);
done:
    capa_store__read_end(s, txn);
    capa_hdr_clear(&h);
    if (err) {
        capa_case_free(c);
        return err;
    }
    *out = c;
    return CAPA_OK;
}

const char *capa_case_value(const capa_case *c, const char *stage, const char *name)
{
    for (size_t i = 0; i < c->n_stages; i++)
        if (strcmp(c->stages[i].stage, stage) == 0)
            return capa_stage__value(&c->stages[i], name);
    return NULL;
}

const capa_route *capa_case_skipped(const capa_case *c, const capa_workflow *wf, size_t idx)
{
    return capa_case_skipped_from(c, wf, idx, NULL);
}

const capa_route *capa_case_skipped_from(const capa_case *c, const capa_workflow *wf, size_t idx,
                                         size_t *from)
{
    if (!c || !wf || idx >= c->n_stages || idx >= wf->n_stages || c->stages[idx].entered)
        return NULL;
    for (size_t j = 0; j < idx; j++) {
        const capa_stage_record *r = &c->stages[j];
        const capa_route *route = NULL;
        if (!r->left)
            continue;
        int to = capa_workflow_next(wf, j, r->values, r->n_values, &route);
        if (route && (to < 0 || (size_t)to > idx)) {
            if (from)
                *from = j;
            return route;
        }
    }
    return NULL;
}

int capa_case_data_hash(char hex[65], const capa_case *c, const char *stage)
{
    hex[0] = '\0';
    for (size_t i = 0; c && stage && i < c->n_stages; i++)
        if (strcmp(c->stages[i].stage, stage) == 0)
            return capa_stage__hash(hex, c->origin_number ? c->origin_number : c->number,
                                    &c->stages[i]);
    return capa_error_set(CAPA_ENOTFOUND, "case %s: no stage '%.40s'", c ? c->number : "",
                          stage ? stage : "");
}

/* ---- listing ---- */

static int text_match(capa_store *s, MDB_txn *txn, const capa_hdr *h, const char *text)
{
    if (strstr(h->number, text))
        return 1;
    unsigned char k0[9];
    capa_stage__key(k0, h->id, 0);
    MDB_cursor *cur = NULL;
    if (mdb_cursor_open(txn, s->dbi[DB_STAGES], &cur))
        return 0;
    MDB_val k = {9, k0}, v;
    int found = 0, rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    for (; rc == MDB_SUCCESS && !found && memcmp(k.mv_data, k0, 8) == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        capa_stage_record r;
        if (capa_stage__decode(&r, v.mv_data, v.mv_size) != CAPA_OK)
            continue;
        for (size_t i = 0; i < r.n_values && !found; i++)
            found = strstr(r.values[i].value, text) != NULL;
        capa_stage_record_clear(&r);
    }
    mdb_cursor_close(cur);
    return found;
}

static int matches(capa_store *s, MDB_txn *txn, const capa_hdr *h, const capa_filter *f)
{
#define EQ(field, want) (!(want) || ((field) && strcmp((field), (want)) == 0))
    if (!EQ(h->stage, f->stage) || !EQ(h->customer, f->customer) || !EQ(h->part_no, f->part_no) ||
        !EQ(h->defect_code, f->defect_code))
        return 0;
#undef EQ
    if (f->workflow && strcmp(h->workflow ? h->workflow : CAPA_WORKFLOW_DEFAULT, f->workflow) != 0)
        return 0;
    if (f->closed >= 0 && h->closed != f->closed)
        return 0;
    if ((f->opened_from && h->opened < f->opened_from) ||
        (f->opened_to && h->opened >= f->opened_to))
        return 0;
    if (f->text && *f->text && !text_match(s, txn, h, f->text))
        return 0;
    if (f->recurrent) {
        uint64_t *ids = NULL;
        size_t n = 0;
        int days = 0;
        if (capa_recur__days(s, txn, &days) || capa_recur__of(&ids, NULL, &n, s, txn, h, days, 1))
            return 0;
        capa__free(ids);
        return n > 0;
    }
    return 1;
}

typedef struct list_state {
    capa_store *s;
    MDB_txn *txn;
    MDB_cursor *hdr; /* on the headers, reused: an index's ids often share a page */
    uint64_t at;     /* the case hdr stands on (hdr_seek), 0: none */
    const capa_filter *f;
    int (*cb)(const capa_case_header *, void *);
    void *payload;
    size_t n;
    int stop;
} list_state;

static capa_case_header public_header(const capa_hdr *h)
{
    capa_case_header ch = {h->number,        h->stage,
                           h->closed,        h->customer,
                           h->part_no,       h->lot_no,
                           h->defect_code,   h->severity,
                           h->description,   h->subject_person,
                           h->opened,        h->closed_at,
                           h->stage_entered, h->workflow ? h->workflow : CAPA_WORKFLOW_DEFAULT,
                           h->origin,        h->round > 1 ? h->round : 1 /* 二次处理 */};
    return ch;
}

/* Offer one case header to the callback when it matches; consumes h when `owned`. */
static int visit_hdr(list_state *ls, capa_hdr *h_, int owned)
{
    capa_hdr h = *h_;
    if (matches(ls->s, ls->txn, &h, ls->f)) {
        capa_case_header ch = public_header(&h);
        ls->stop = ls->cb(&ch, ls->payload);
        ls->n++;
        if (ls->f->limit && ls->n >= ls->f->limit && !ls->stop)
            ls->stop = -1;
    }
    if (owned)
        capa_hdr_clear(&h);
    return CAPA_OK;
}

/* One stored header: decoded into a stack arena (no allocation), or allocated when large.
 * The case is the one whose key it is stored under (`id`): the id inside the value is not
 * what a list reads the case's other records by, so an altered one cannot make a case match
 * on another's data (capa verify names the altered header). */
static int visit_raw(list_state *ls, uint64_t id, const MDB_val *v)
{
    char arena[2048];
    capa_hdr h;
    int err = capa_hdr__decode_view(&h, v->mv_data, v->mv_size, arena, sizeof arena);
    if (err == CAPA_OK) {
        h.id = id;
        return visit_hdr(ls, &h, 0);
    }
    if (err != CAPA_ENOMEM)
        return err;
    if ((err = capa_hdr__decode(&h, v->mv_data, v->mv_size)) != CAPA_OK)
        return err;
    h.id = id;
    return visit_hdr(ls, &h, 1);
}

/* Case `id`'s header under `cur` (a cursor on the headers), which stands on the header of
 * case *at (0: none yet). A list reads its ids in order and they often follow one another (a
 * date range lists cases in the order they were opened): the next key is then one step of
 * the cursor, not a search from the root (checked: a gap falls back to the search). */
static int hdr_seek(MDB_cursor *cur, uint64_t id, uint64_t *at, MDB_val *v)
{
    unsigned char kb[8];
    MDB_val k;
    int rc;
    if (*at && id == *at + 1) {
        rc = mdb_cursor_get(cur, &k, v, MDB_NEXT);
        if (rc == MDB_SUCCESS && k.mv_size == 8 && capa_get_be64(k.mv_data) == id) {
            *at = id;
            return MDB_SUCCESS;
        }
        if (rc && rc != MDB_NOTFOUND)
            return rc;
    }
    capa_be64(kb, id);
    k = (MDB_val){8, kb};
    rc = mdb_cursor_get(cur, &k, v, MDB_SET_KEY);
    *at = rc == MDB_SUCCESS ? id : 0;
    return rc;
}

static int visit(list_state *ls, uint64_t id)
{
    MDB_val v;
    /* A cursor (not mdb_get): LMDB looks in the cursor's current page before it walks the
     * tree, and ids listed in order often share one. */
    int rc = ls->hdr ? MDB_SUCCESS : mdb_cursor_open(ls->txn, ls->s->dbi[DB_CASES], &ls->hdr);
    rc = rc ? rc : hdr_seek(ls->hdr, id, &ls->at, &v);
    if (rc == MDB_NOTFOUND)
        return capa_error_set(CAPA_ECORRUPT, "case id %llu: header missing",
                              (unsigned long long)id);
    return rc ? capa_store__mdb_err(rc, "list") : visit_raw(ls, id, &v);
}

/* capa_case_list under the read transaction txn (left open). */
static int list_in(capa_store *s, MDB_txn *txn, const capa_filter *filter,
                   int (*cb)(const capa_case_header *h, void *payload), void *payload)
{
    capa_filter none = {.closed = -1};
    const capa_filter *f = filter ? filter : &none;
    list_state ls = {s, txn, NULL, 0, f, cb, payload, 0, 0};
    MDB_cursor *cur = NULL;
    int err;
    if ((err = capa_store__require_init(s, ls.txn)) != CAPA_OK)
        goto done;
    /* Walk the most selective index the filter allows; all filters are applied per case. */
    int db = -1;
    const char *key = NULL;
    if (f->customer)
        db = DB_IDX_CUSTOMER, key = f->customer;
    else if (f->part_no)
        db = DB_IDX_PART, key = f->part_no;
    else if (f->defect_code)
        db = DB_IDX_DEFECT, key = f->defect_code;
    else if (f->stage)
        db = DB_IDX_STAGE, key = f->stage;
    int rc;
    MDB_val k, v;
    if (db >= 0) {
        if (!*key)
            goto done;
        rc = mdb_cursor_open(ls.txn, s->dbi[db], &cur);
        k.mv_size = strlen(key) > CAPA_INDEX_KEY_MAX ? CAPA_INDEX_KEY_MAX : strlen(key);
        k.mv_data = (void *)key;
        rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_SET_KEY);
        for (; rc == MDB_SUCCESS && !ls.stop; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_DUP))
            if ((err = visit(&ls, capa_get_be64(v.mv_data))) != CAPA_OK)
                goto done;
    } else if (f->opened_from || f->opened_to) {
        unsigned char from[8];
        capa_be64(from, (uint64_t)(f->opened_from > 0 ? f->opened_from : 0));
        rc = mdb_cursor_open(ls.txn, s->dbi[DB_IDX_OPENED], &cur);
        k.mv_size = 8;
        k.mv_data = from;
        rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
        for (; rc == MDB_SUCCESS && !ls.stop; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            if (f->opened_to && (int64_t)capa_get_be64(k.mv_data) >= f->opened_to)
                break;
            if ((err = visit(&ls, capa_get_be64(v.mv_data))) != CAPA_OK)
                goto done;
        }
    } else {
        /* A full scan already holds each header: decode it in place, no second lookup. */
        rc = mdb_cursor_open(ls.txn, s->dbi[DB_CASES], &cur);
        rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_FIRST);
        for (; rc == MDB_SUCCESS && !ls.stop; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
            if ((err = visit_raw(&ls, k.mv_size == 8 ? capa_get_be64(k.mv_data) : 0, &v)) !=
                CAPA_OK)
                goto done;
    }
    if (rc && rc != MDB_NOTFOUND)
        err = capa_store__mdb_err(rc, "list");
done:
    if (cur)
        mdb_cursor_close(cur);
    if (ls.hdr)
        mdb_cursor_close(ls.hdr);
    return err ? err : (ls.stop > 0 ? ls.stop : 0);
}

int capa_case_list(capa_store *s, const capa_filter *filter,
                   int (*cb)(const capa_case_header *h, void *payload), void *payload)
{
    MDB_txn *txn = NULL;
    int err = capa_store__read_begin(s, &txn);
    if (!err)
        err = list_in(s, txn, filter, cb, payload);
    capa_store__read_end(s, txn);
    return err;
}

/* ---- scans on several threads ---- */

/* One part of a scan, read under its own transaction of the scan's snapshot and offered to
 * its own payload: the cases `ids` (from an index, in order) or, without ids, those with
 * ids [from, to) (to 0: to the end). */
typedef struct prefault prefault;

typedef struct scan_part {
    list_state ls;
    prefault *pf; /* part 0 of an index list read alone: its page-fault helper */
    const uint64_t *ids;
    size_t n_ids;
    uint64_t from, to;
    int lead; /* decode the leading fields only (CAPA_SCAN_LEAD) */
    int err;
    char msg[512]; /* capa_error_last() of a failed part (it is per thread) */
    atomic_int *stop_all;
    pthread_t tid;
    int started;
} scan_part;

/* The leading fields of one header (capa_hdr__decode_lead); the whole header when it does
 * not fit the arena. */
static int visit_lead(list_state *ls, uint64_t id, const MDB_val *v)
{
    char arena[2048];
    capa_hdr h;
    int err = capa_hdr__decode_lead(&h, v->mv_data, v->mv_size, arena, sizeof arena);
    if (err == CAPA_ENOMEM)
        return visit_raw(ls, id, v);
    if (err)
        return err;
    h.id = id;
    if (matches(ls->s, ls->txn, &h, ls->f)) {
        capa_case_header ch = public_header(&h);
        ch.workflow = NULL; /* not read */
        ch.round = 0;
        ls->stop = ls->cb(&ch, ls->payload);
        ls->n++;
    }
    return CAPA_OK;
}

/* Room for `need` ids in *ids (capacity *cap), doubling. */
static int ids_grow(uint64_t **ids, size_t *cap, size_t need)
{
    if (need <= *cap)
        return CAPA_OK;
    size_t c = *cap ? *cap : 1024;
    while (c < need)
        c *= 2;
    uint64_t *p = capa__realloc(*ids, c * sizeof *p);
    if (!p)
        return capa_error_set(CAPA_ENOMEM, "scan: out of memory");
    *ids = p;
    *cap = c;
    return CAPA_OK;
}

/* The ids a filter's index lists, in its order (the order capa_case_list walks them). */
static int index_ids(capa_store *s, MDB_txn *txn, const capa_filter *f, uint64_t **out, size_t *n)
{
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    uint64_t *ids = NULL;
    size_t cap = 0;
    unsigned char from[8];
    int db = f->customer      ? DB_IDX_CUSTOMER
             : f->part_no     ? DB_IDX_PART
             : f->defect_code ? DB_IDX_DEFECT
             : f->stage       ? DB_IDX_STAGE
                              : DB_IDX_OPENED;
    const char *key = f->customer      ? f->customer
                      : f->part_no     ? f->part_no
                      : f->defect_code ? f->defect_code
                                       : f->stage;
    int err = CAPA_OK, rc = mdb_cursor_open(txn, s->dbi[db], &cur);
    *out = NULL;
    *n = 0;
    if (db == DB_IDX_OPENED) {
        capa_be64(from, (uint64_t)(f->opened_from > 0 ? f->opened_from : 0));
        k = (MDB_val){8, from};
        rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
        for (; rc == MDB_SUCCESS && !err; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            if (f->opened_to && (int64_t)capa_get_be64(k.mv_data) >= f->opened_to)
                break;
            if (!(err = ids_grow(&ids, &cap, *n + 1)))
                ids[(*n)++] = capa_get_be64(v.mv_data);
        }
    } else if (*key) {
        /* A value's ids are fixed-size duplicates (MDB_DUPFIXED): a page of them at a time.
         * A value with one id is no duplicate set: GET_MULTIPLE leaves v as SET_KEY read it. */
        k.mv_size = strlen(key) > CAPA_INDEX_KEY_MAX ? CAPA_INDEX_KEY_MAX : strlen(key);
        k.mv_data = (void *)key;
        rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_SET_KEY);
        rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_GET_MULTIPLE);
        for (; rc == MDB_SUCCESS && !err; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_MULTIPLE)) {
            size_t m = v.mv_size / 8;
            if (v.mv_size % 8 || !m) {
                err = capa_error_set(CAPA_ECORRUPT, "index: an entry of %zu bytes", v.mv_size);
                break;
            }
            if ((err = ids_grow(&ids, &cap, *n + m)))
                break;
            for (size_t j = 0; j < m; j++)
                ids[*n + j] = capa_get_be64((const unsigned char *)v.mv_data + 8 * j);
            *n += m;
        }
    }
    if (!err && rc && rc != MDB_NOTFOUND)
        err = capa_store__mdb_err(rc, "scan");
    if (cur)
        mdb_cursor_close(cur);
    if (err) {
        capa__free(ids);
        *n = 0;
        return err;
    }
    *out = ids;
    return CAPA_OK;
}

/* A read snapshot held across calls: its first transaction, and those of the parts of a
 * scan begun on the same commit as they are first needed (none when a commit came in
 * between: the scans read in fewer parts then). */
struct capa_snapshot {
    capa_store *s;
    MDB_txn *txn[CAPA_SCAN_MAX_PARTS];
    size_t n;    /* transactions begun, all on the commit txn[0] sees */
    int no_more; /* a commit came in between: no more to be had */
};

static int snapshot_open(capa_snapshot *snap, capa_store *s)
{
    memset(snap, 0, sizeof *snap);
    snap->s = s;
    int err = capa_store__read_begin(s, &snap->txn[0]);
    if (!err)
        snap->n = 1;
    return err;
}

static void snapshot_close(capa_snapshot *snap)
{
    for (size_t i = 0; i < snap->n; i++)
        capa_store__read_end(snap->s, snap->txn[i]);
    snap->n = 0;
}

/* Up to `parts` transactions of the snapshot: how many it has now (1 or more). */
static int snapshot_parts(capa_snapshot *snap, size_t parts, size_t *have)
{
    int same = 0, err = CAPA_OK;
    if (parts > snap->n && !snap->no_more) {
        if ((err = capa__snapshot_more(snap->s, snap->txn[0], snap->txn + snap->n, parts - snap->n,
                                       &same)))
            return err;
        if (same)
            snap->n = parts;
        else
            snap->no_more = 1;
    }
    *have = parts < snap->n ? parts : snap->n;
    return CAPA_OK;
}

/* A list through an index read in one part, in a process whose map of the store is cold (a
 * fresh `capa list`): each of its rows is a search of the headers, and where a customer's
 * cases are far apart each row's leaf page is mapped into the process by a page fault
 * (~4 us; the row itself ~0.6 us): at 1 M cases a customer's 1 000 rows take ~1 400 faults.
 * A helper thread searches the same ids from the last one back, so that the pages the part
 * is about to read are mapped on the other processor meanwhile; the part reads, checks and
 * offers every row itself, in order, as without it (the helper only reads, in a transaction
 * of the same snapshot, and offers nothing). It is started only when the part's first rows
 * faulted (a warm map pays nothing) and it stops where the part has come to, so the part
 * never waits for it beyond the search under way. */
struct prefault {
    capa_store *s;
    capa_snapshot *snap; /* the part's: the helper reads in a transaction of its commit */
    MDB_cursor *cur;     /* the helper's, opened by the part (no malloc arena for its thread) */
    const uint64_t *ids;
    size_t n_ids;
    atomic_size_t reached; /* the row the part is at */
    atomic_int stop;
    pthread_t tid;
    int started;
    long faults0; /* the part's page faults before its first row */
    /* A warm map: the part's later rows cut off for a second part (below), or NULL. */
    scan_part *second;
    atomic_int claim; /* the second part: 0 unclaimed, 1 by its thread, 2 by the first */
    int split;        /* the second part was cut off */
};

/* Rows the part reads before it decides on the helper, and the page faults among them that
 * start it (one row in four faulted: the map is cold); helpers started (parscan.h). */
size_t capa__prefault_probe = 32;
long capa__prefault_faults = 8;
atomic_size_t capa__prefault_started, capa__prefault_split;
int capa__split_when_idle = 1;

/* Minor and major page faults of the calling thread so far. */
static long thread_faults(void)
{
#ifdef RUSAGE_THREAD
    struct rusage ru;
    if (getrusage(RUSAGE_THREAD, &ru) == 0)
        return ru.ru_minflt + ru.ru_majflt;
#endif
    return -1; /* unknown: no helper */
}

static void *prefault_run(void *arg)
{
    prefault *pf = arg;
    MDB_cursor *cur = pf->cur;
    MDB_val v;
    uint64_t at = 0;
    unsigned sum = 0;
    for (size_t i = pf->n_ids; i-- > 0;) {
        if (atomic_load_explicit(&pf->stop, memory_order_relaxed) ||
            i <= atomic_load_explicit(&pf->reached, memory_order_relaxed) + 1)
            break;
        /* The search maps the branch and leaf pages; the header's bytes are read so that
         * a value on a page of its own is mapped too. */
        if (hdr_seek(cur, pf->ids[i], &at, &v) == MDB_SUCCESS && v.mv_size)
            sum += ((const unsigned char *)v.mv_data)[0] +
                   ((const unsigned char *)v.mv_data)[v.mv_size - 1];
    }
    return sum == 0xFFFFFFFFu ? arg : NULL; /* the reads kept */
}

static void *scan_run(void *arg);

/* The second part's thread: it reads the part unless the first part came to it first. */
static void *second_run(void *arg)
{
    prefault *pf = arg;
    int unclaimed = 0;
    if (atomic_compare_exchange_strong(&pf->claim, &unclaimed, 1))
        scan_run(pf->second);
    return NULL;
}

/* A warm map and a list whose rows are searches (its ids far apart): the rows after the
 * probe are cut in two, the later half read by a second part on another processor (in a
 * transaction of the snapshot's commit, offered to the second payload), as when the list is
 * cut into two parts from the start; a second part whose thread has not begun when the
 * first is done is read by the first. */
/* Whether a processor is idle now: fewer tasks running or ready to run (the fourth field of
 * /proc/loadavg, this one among them) than processors online. Without /proc: no. */
static int cpu_idle(void)
{
    char buf[128];
    int fd = open("/proc/loadavg", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    const char *p = buf;
    for (int f = 0; f < 3 && p; f++)
        if ((p = strchr(p, ' ')))
            p++;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return p && *p >= '0' && *p <= '9' && strtol(p, NULL, 10) < cpus;
}

static void split_at(prefault *pf, scan_part *p, size_t i)
{
    size_t have = 0, m = i + (p->n_ids - i) / 2;
    scan_part *q = pf->second;
    /* The first part waits for the second at its end: only when a processor is free for it
     * (on a busy machine a second part ready to run can wait long for one). */
    if ((capa__split_when_idle && !cpu_idle()) || snapshot_parts(pf->snap, 2, &have) != CAPA_OK ||
        have != 2)
        return;
    q->ls.txn = pf->snap->txn[1];
    q->ids = p->ids + m;
    q->n_ids = p->n_ids - m;
    if (pthread_create(&pf->tid, NULL, second_run, pf) != 0)
        return;
    pf->started = pf->split = 1;
    p->n_ids = m;
    atomic_fetch_add(&capa__prefault_split, 1);
}

/* At row i of part 0: note where it is; after the probe's rows, start the helper when they
 * faulted, or cut the rest in two when they did not. */
static void prefault_at(prefault *pf, scan_part *p, size_t i)
{
    atomic_store_explicit(&pf->reached, i, memory_order_relaxed);
    if (i == 0) {
        pf->faults0 = thread_faults();
    } else if (i == capa__prefault_probe && pf->faults0 >= 0 &&
               thread_faults() - pf->faults0 < capa__prefault_faults) {
        if (pf->second)
            split_at(pf, p, i);
    } else if (i == capa__prefault_probe && pf->faults0 >= 0) {
        pthread_attr_t a;
        size_t have = 0;
        if (snapshot_parts(pf->snap, 2, &have) == CAPA_OK && have == 2 &&
            mdb_cursor_open(pf->snap->txn[1], pf->s->dbi[DB_CASES], &pf->cur) == 0 &&
            pthread_attr_init(&a) == 0) {
            /* A search needs little stack: a small one, not a cached 8 MiB one to touch. */
            pthread_attr_setstacksize(&a, 256 * 1024);
            pf->started = pthread_create(&pf->tid, &a, prefault_run, pf) == 0;
            if (pf->started)
                atomic_fetch_add(&capa__prefault_started, 1);
            pthread_attr_destroy(&a);
        }
    }
}

static void prefault_end(prefault *pf)
{
    if (!pf)
        return;
    if (pf->started && pf->split) {
        int unclaimed = 0;
        if (atomic_compare_exchange_strong(&pf->claim, &unclaimed, 2))
            scan_run(pf->second); /* its thread had not begun: read here */
        pthread_join(pf->tid, NULL);
        pf->started = 0;
    } else if (pf->started) {
        atomic_store(&pf->stop, 1);
        pthread_join(pf->tid, NULL);
        pf->started = 0;
    }
    if (pf->cur)
        mdb_cursor_close(pf->cur);
    pf->cur = NULL;
}

static void *scan_run(void *arg)
{
    scan_part *p = arg;
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    unsigned char kb[8];
    uint64_t at = 0;
    int err = CAPA_OK, rc = mdb_cursor_open(p->ls.txn, p->ls.s->dbi[DB_CASES], &cur);
    if (p->ids) {
        /* One cursor for the lookups: LMDB looks in its current page before it walks the
         * tree, and ids in order often share one or follow one another (hdr_seek). */
        for (size_t i = 0; !rc && !err && !p->ls.stop && i < p->n_ids; i++) {
            if (atomic_load_explicit(p->stop_all, memory_order_relaxed))
                break;
            if (p->pf)
                prefault_at(p->pf, p, i);
            if ((rc = hdr_seek(cur, p->ids[i], &at, &v)) == MDB_NOTFOUND) {
                err = capa_error_set(CAPA_ECORRUPT, "case id %llu: header missing",
                                     (unsigned long long)p->ids[i]);
                break;
            }
            if (!rc)
                err =
                    p->lead ? visit_lead(&p->ls, p->ids[i], &v) : visit_raw(&p->ls, p->ids[i], &v);
        }
    } else {
        capa_be64(kb, p->from);
        k = (MDB_val){8, kb};
        rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
        for (; rc == MDB_SUCCESS && !p->ls.stop; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            uint64_t id = k.mv_size == 8 ? capa_get_be64(k.mv_data) : 0;
            if ((p->to && id >= p->to) || atomic_load_explicit(p->stop_all, memory_order_relaxed))
                break;
            if ((err = p->lead ? visit_lead(&p->ls, id, &v) : visit_raw(&p->ls, id, &v)))
                break;
        }
    }
    prefault_end(p->pf);
    if (!err && rc && rc != MDB_NOTFOUND)
        err = capa_store__mdb_err(rc, "scan");
    if (cur)
        mdb_cursor_close(cur);
    if (err)
        snprintf(p->msg, sizeof p->msg, "%s", capa_error_last());
    if (err || p->ls.stop)
        atomic_store(p->stop_all, 1);
    p->err = err;
    return NULL;
}

int capa__id_bounds(capa_store *s, MDB_txn *txn, uint64_t *lo, uint64_t *hi)
{
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    *lo = *hi = 0;
    int rc = mdb_cursor_open(txn, s->dbi[DB_CASES], &cur);
    rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    if (rc == MDB_SUCCESS && k.mv_size == 8)
        *lo = capa_get_be64(k.mv_data);
    rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_LAST);
    if (rc == MDB_SUCCESS && k.mv_size == 8)
        *hi = capa_get_be64(k.mv_data);
    if (cur)
        mdb_cursor_close(cur);
    return rc && rc != MDB_NOTFOUND ? capa_store__mdb_err(rc, "scan") : CAPA_OK;
}

int capa__snapshot_more(capa_store *s, MDB_txn *txn0, MDB_txn **more, size_t n, int *same)
{
    *same = 0;
    for (int tries = 0; tries < 3; tries++) {
        int err = CAPA_OK, ok = 1;
        size_t i = 0;
        for (; i < n && !err; i++)
            err = capa_store__read_begin(s, &more[i]);
        for (size_t j = 0; !err && j < n; j++)
            ok &= mdb_txn_id(more[j]) == mdb_txn_id(txn0);
        if (!err && ok) {
            *same = 1;
            return CAPA_OK;
        }
        for (size_t j = 0; j < n; j++) {
            capa_store__read_end(s, more[j]);
            more[j] = NULL;
        }
        if (err)
            return err;
    }
    return CAPA_OK;
}

int capa_snapshot_begin(capa_snapshot **out, capa_store *s)
{
    capa_snapshot *snap = capa__calloc(1, sizeof *snap);
    *out = NULL;
    if (!snap)
        return capa_error_set(CAPA_ENOMEM, "snapshot: out of memory");
    int err = snapshot_open(snap, s);
    if (!err && (err = capa_store__require_init(s, snap->txn[0])))
        snapshot_close(snap);
    if (err) {
        capa__free(snap);
        return err;
    }
    *out = snap;
    return CAPA_OK;
}

void capa_snapshot_end(capa_snapshot *snap)
{
    if (!snap)
        return;
    snapshot_close(snap);
    capa__free(snap);
}

capa_store *capa_snapshot_store(const capa_snapshot *snap)
{
    return snap->s;
}

int capa_snapshot_case_list(capa_snapshot *snap, const capa_filter *f,
                            int (*cb)(const capa_case_header *h, void *payload), void *payload)
{
    return list_in(snap->s, snap->txn[0], f, cb, payload);
}

size_t capa__scan_parts(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 4 ? 4 : (size_t)n;
}

size_t capa__scan_part_min = 4096;

static int scan_in(capa_snapshot *snap, const capa_filter *filter, unsigned flags, size_t parts,
                   int (*cb)(const capa_case_header *h, void *payload), void *const *payloads)
{
    capa_filter none = {.closed = -1};
    const capa_filter *f = filter ? filter : &none;
    capa_store *s = snap->s;
    scan_part p[CAPA_SCAN_MAX_PARTS];
    atomic_int stop_all = 0;
    prefault pf = {0};
    uint64_t *ids = NULL;
    size_t n_ids = 0;
    int err = CAPA_OK;
    if (parts < 1 || parts > CAPA_SCAN_MAX_PARTS || !payloads)
        return capa_error_set(CAPA_EINVALID, "scan: %zu parts: a scan has 1 to %d", parts,
                              CAPA_SCAN_MAX_PARTS);
    /* What needs other records per case, or stops early, is capa_case_list's, in part 0. */
    if ((f->text && *f->text) || f->recurrent || f->limit)
        return list_in(s, snap->txn[0], f, cb, payloads[0]);
    memset(p, 0, sizeof p);
    if ((err = capa_store__require_init(s, snap->txn[0])))
        goto done;
    int by_index =
        f->customer || f->part_no || f->defect_code || f->stage || f->opened_from || f->opened_to;
    uint64_t lo = 0, hi = 0;
    if (by_index ? (err = index_ids(s, snap->txn[0], f, &ids, &n_ids))
                 : (err = capa__id_bounds(s, snap->txn[0], &lo, &hi)))
        goto done;
    /* The parts worth their threads, on transactions of the snapshot's commit. */
    uint64_t range = by_index ? n_ids : hi >= lo && hi ? hi - lo + 1 : 0;
    /* An index list is cut from as many rows as the scan (customer21c tried a tenth: its
     * 1 000-row lists then ran on two threads, and in a fresh process both faulted pages in
     * at once - the quiet bench's fresh lists were slower, docs/benchmarks.md); one whose
     * ids are far apart may be cut in two after its first rows (prefault, split_at). */
    uint64_t min = capa__scan_part_min;
    uint64_t worth = range / (min ? min : 1);
    size_t asked = parts;
    if (worth < parts)
        parts = worth > 1 ? (size_t)worth : 1;
    /* One part through an index, two or more asked for: the page-fault helper may run on
     * another processor (prefault). */
    if (by_index && parts == 1 && asked > 1 && n_ids > capa__prefault_probe * 2) {
        pf = (prefault){.s = s, .snap = snap, .ids = ids, .n_ids = n_ids};
        /* Ids far apart (4 cases a row or more: few share a leaf) make each row a search
         * from the root (~0.6 us at 1 M cases): from a tenth of a part's rows, the second
         * part is worth its thread (~40 us) once the probe found the map warm. */
        if (n_ids >= capa__scan_part_min / 10 && ids[n_ids - 1] > ids[0] &&
            ids[n_ids - 1] - ids[0] >= 4 * (uint64_t)n_ids)
            pf.second = &p[1];
    }
    if ((err = snapshot_parts(snap, parts, &parts)))
        goto done;
    for (size_t i = 0; i < parts; i++) {
        p[i].ls = (list_state){s, snap->txn[i], NULL, 0, f, cb, payloads[i], 0, 0};
        p[i].lead = (flags & CAPA_SCAN_LEAD) && !f->workflow;
        p[i].stop_all = &stop_all;
        p[i].pf = pf.snap && i == 0 ? &pf : NULL;
        if (by_index) {
            size_t a = n_ids * i / parts, b = n_ids * (i + 1) / parts;
            p[i].ids = ids + a;
            p[i].n_ids = b - a;
        } else {
            p[i].from = i == 0 ? 0 : lo + (hi - lo + 1) * i / parts;
            p[i].to = i + 1 == parts ? 0 : lo + (hi - lo + 1) * (i + 1) / parts;
        }
    }
    if (pf.second) /* its transaction and its share are set when it is cut off */
        p[1] = (scan_part){.ls = {s, NULL, NULL, 0, f, cb, payloads[1], 0, 0},
                           .lead = p[0].lead,
                           .stop_all = &stop_all};
    if (by_index && !ids) /* nothing listed: every part is empty */
        goto done;
    for (size_t i = 1; i < parts; i++)
        p[i].started = pthread_create(&p[i].tid, NULL, scan_run, &p[i]) == 0;
    scan_run(&p[0]);
    for (size_t i = 1; i < parts; i++) {
        if (p[i].started)
            pthread_join(p[i].tid, NULL);
        else if (!atomic_load(&stop_all))
            scan_run(&p[i]); /* no thread to be had: read it here */
    }
    if (pf.split)
        parts = 2; /* part 0 cut the second off and saw it read */
    for (size_t i = 0; i < parts && !err; i++)
        if (p[i].err)
            err = capa_error_set(p[i].err, "%s", p[i].msg);
    for (size_t i = 0; i < parts && !err; i++)
        if (p[i].ls.stop > 0)
            err = p[i].ls.stop;
done:
    capa__free(ids);
    return err;
}

int capa_snapshot_case_scan(capa_snapshot *snap, const capa_filter *f, unsigned flags, size_t parts,
                            int (*cb)(const capa_case_header *h, void *payload),
                            void *const *payloads)
{
    return scan_in(snap, f, flags, parts, cb, payloads);
}

int capa_case_scan(capa_store *s, const capa_filter *f, unsigned flags, size_t parts,
                   int (*cb)(const capa_case_header *h, void *payload), void *const *payloads)
{
    capa_snapshot snap;
    int err = snapshot_open(&snap, s);
    if (!err)
        err = scan_in(&snap, f, flags, parts, cb, payloads);
    snapshot_close(&snap);
    return err;
}

/* ---- due soon, overdue ---- */

int capa_case_due_list(capa_store *s, int which, int64_t at,
                       int (*cb)(const capa_case_header *h, const capa_due_limit *l, void *payload),
                       void *payload)
{
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    const capa_workflow *wf = NULL;
    int stop = 0, err = capa_store__read_begin(s, &txn);
    if (err)
        return err;
    if ((err = capa_store__require_init(s, txn)) || (err = capa_store__workflow(&wf, s, txn)))
        goto done;
    int rc = mdb_cursor_open(txn, s->dbi[DB_IDX_DUE], &cur);
    MDB_val k, v;
    unsigned char from[8];
    /* Overdue limits are the index's head (due <= at); due-soon ones follow it. */
    capa_be64(from, (uint64_t)(which & CAPA_DUE_OVERDUE ? 0 : at + 1));
    k.mv_size = 8;
    k.mv_data = from;
    for (rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == MDB_SUCCESS && !stop;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        capa_hdr_limit l;
        uint64_t id;
        capa_index__due_read(&k, &v, &id, &l);
        if (!id) {
            err = capa_error_set(CAPA_ECORRUPT, "index idx_due: malformed entry");
            break;
        }
        if (l.due > at && !(which & CAPA_DUE_SOON))
            break;
        if (l.due > at && l.warn > at)
            continue;
        unsigned char hk[8];
        MDB_val hv;
        capa_hdr h;
        char arena[2048];
        capa_be64(hk, id);
        if ((err = capa_store__get(txn, s->dbi[DB_CASES], hk, 8, &hv)) == CAPA_ENOTFOUND)
            err = capa_error_set(CAPA_ECORRUPT, "index idx_due: case id %llu has no header",
                                 (unsigned long long)id);
        if (err)
            break;
        int owned = 0;
        err = capa_hdr__decode_view(&h, hv.mv_data, hv.mv_size, arena, sizeof arena);
        if (err == CAPA_ENOMEM && !(err = capa_hdr__decode(&h, hv.mv_data, hv.mv_size)))
            owned = 1;
        if (err)
            break;
        const char *kind = capa_limits__kind(wf, l.code);
        capa_case_header ch = public_header(&h);
        capa_due_limit dl = {kind ? kind : "?", l.due, l.warn};
        stop = cb(&ch, &dl, payload);
        if (owned)
            capa_hdr_clear(&h);
    }
    if (!err && rc && rc != MDB_NOTFOUND)
        err = capa_store__mdb_err(rc, "idx_due");
done:
    if (cur)
        mdb_cursor_close(cur);
    capa_store__read_end(s, txn);
    return err ? err : stop;
}

void capa_time_format(char *buf, size_t sz, int64_t ms)
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(buf, sz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- counts per indexed value ---- */

int capa_case_count_by(capa_store *s, const char *field,
                       int (*cb)(const char *value, uint64_t count, void *payload), void *payload)
{
    static const struct {
        const char *field;
        int db;
    } indexed[] = {{"stage", DB_IDX_STAGE},
                   {"customer", DB_IDX_CUSTOMER},
                   {"part_no", DB_IDX_PART},
                   {"defect_code", DB_IDX_DEFECT}};
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    char *value = NULL;
    int db = -1, err, rc;
    for (size_t i = 0; field && i < sizeof indexed / sizeof *indexed; i++)
        if (strcmp(field, indexed[i].field) == 0)
            db = indexed[i].db;
    if (db < 0)
        return capa_error_set(CAPA_EINVALID,
                              "count by `%.40s`: not an indexed field (stage, customer, "
                              "part_no, defect_code)",
                              field ? field : "");
    if ((err = capa_store__read_begin(s, &txn)) != CAPA_OK)
        return err;
    if ((err = capa_store__require_init(s, txn)) != CAPA_OK)
        goto done;
    MDB_val k, v;
    rc = mdb_cursor_open(txn, s->dbi[db], &cur);
    rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    while (rc == MDB_SUCCESS) {
        size_t n = 0;
        if ((rc = mdb_cursor_count(cur, &n)) != MDB_SUCCESS)
            break;
        /* Keys are not NUL-terminated in LMDB: hand the callback a terminated copy. */
        capa__free(value);
        if (!(value = capa__strndup(k.mv_data, k.mv_size))) {
            err = capa_error_set(CAPA_ENOMEM, "count by %s: out of memory", field);
            goto done;
        }
        if ((err = cb(value, (uint64_t)n, payload)) != 0)
            goto done;
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_NODUP);
    }
    if (rc != MDB_NOTFOUND)
        err = capa_store__mdb_err(rc, "count by");
done:
    capa__free(value);
    if (cur)
        mdb_cursor_close(cur);
    capa_store__read_end(s, txn);
    return err;
}

/* ---- the audit trail ---- */

static int emit(MDB_val *v, const char *number, int (*cb)(const capa_event *, void *),
                void *payload, int *stop)
{
    capa_event_rec e;
    int err = capa_event__decode(&e, v->mv_data, v->mv_size, NULL, NULL);
    if (err)
        return err;
    if (!number || (e.ev.case_number && strcmp(e.ev.case_number, number) == 0))
        *stop = cb(&e.ev, payload);
    capa_event__clear(&e);
    return CAPA_OK;
}

int capa_audit_foreach(capa_store *s, const char *number,
                       int (*cb)(const capa_event *e, void *payload), void *payload)
{
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    int stop = 0, rc;
    MDB_val k, v;
    int err = capa_store__read_begin(s, &txn);
    if (err)
        return err;
    if ((err = capa_store__require_init(s, txn)) != CAPA_OK)
        goto done;
    if (number) {
        /* A case's events: the case_events links lead to them, and each is read from the
         * chain and must name the case (emit filters), so a link can hide an event but never
         * show a foreign one; `capa verify` proves the links complete, as the dossier does
         * before it prints them. Reading the links keeps this O(events of the case). */
        uint64_t id;
        unsigned char ck[8];
        if ((err = capa__case_id(s, txn, number, &id)) != CAPA_OK)
            goto done;
        capa_be64(ck, id);
        k = (MDB_val){8, ck};
        rc = mdb_cursor_open(txn, s->dbi[DB_CASE_EVENTS], &cur);
        rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_SET_KEY);
        while (rc == MDB_SUCCESS && !stop) {
            MDB_val ek = {8, v.mv_data}, ev;
            if (v.mv_size != 8) {
                err = capa_error_set(CAPA_ECORRUPT, "case %s: a link to its events is %zu bytes",
                                     number, v.mv_size);
                goto done;
            }
            if ((rc = mdb_get(txn, s->dbi[DB_EVENTS], &ek, &ev)) != MDB_SUCCESS) {
                err = rc == MDB_NOTFOUND
                          ? capa_error_set(CAPA_ECORRUPT, "case %s: linked event %llu is missing",
                                           number, (unsigned long long)capa_get_be64(v.mv_data))
                          : capa_store__mdb_err(rc, "audit trail");
                goto done;
            }
            if ((err = emit(&ev, number, cb, payload, &stop)) != CAPA_OK)
                goto done;
            rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_DUP);
        }
        if (rc && rc != MDB_NOTFOUND)
            err = capa_store__mdb_err(rc, "case events");
        goto done;
    }
    rc = mdb_cursor_open(txn, s->dbi[DB_EVENTS], &cur);
    rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    while (rc == MDB_SUCCESS && !stop) {
        if ((err = emit(&v, NULL, cb, payload, &stop)) != CAPA_OK)
            goto done;
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    if (rc && rc != MDB_NOTFOUND)
        err = capa_store__mdb_err(rc, "audit trail");
done:
    if (cur)
        mdb_cursor_close(cur);
    capa_store__read_end(s, txn);
    return err ? err : stop;
}
