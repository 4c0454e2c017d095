/*
 * index.c - secondary index maintenance and the header's copy of intake values (index.h).
 *
 * The header is read for every row of every list and scan, so it must stay small: LMDB puts
 * a value over ~2 KB on overflow pages of its own. Free text (the description) is kept in
 * the header only as a preview of HDR_PREVIEW bytes, cut at a UTF-8 character boundary; the
 * whole text is in the stage record.
 */
#include "index.h"

#include <string.h>

#include "codec.h"

#define HDR_PREVIEW 120

/* Intake fields copied into the case header (for lists) and indexed. */
static const struct {
    const char *field;
    size_t offset;
    int db; /* index, or -1 */
} header_fields[] = {
    {"customer", offsetof(capa_hdr, customer), DB_IDX_CUSTOMER},
    {"part_no", offsetof(capa_hdr, part_no), DB_IDX_PART},
    {"lot_no", offsetof(capa_hdr, lot_no), -1},
    {"defect_code", offsetof(capa_hdr, defect_code), DB_IDX_DEFECT},
    {"severity", offsetof(capa_hdr, severity), -1},
    {"description", offsetof(capa_hdr, description), -1},
    {"subject_person", offsetof(capa_hdr, subject_person), -1},
    {"channel", offsetof(capa_hdr, channel), -1},
    {"complaint_type", offsetof(capa_hdr, complaint_type), -1},
    {"validity", offsetof(capa_hdr, validity), -1},
    {"responsible_dept", offsetof(capa_hdr, responsible_dept), -1},
};
#define N_HEADER_FIELDS (sizeof header_fields / sizeof *header_fields)

static size_t key_len(const char *key)
{
    size_t n = strlen(key);
    return n > CAPA_INDEX_KEY_MAX ? CAPA_INDEX_KEY_MAX : n;
}

/* ---- a group commit's index entries, gathered and written in key order ----
 *
 * A batch of 10 000 opens puts ~90 000 index entries at keys spread over six B-trees
 * (customers, parts, defect codes, due times): one by one, each is a descent from the root
 * through pages LMDB looks up in the transaction's dirty list. capa_index__gather makes the
 * index calls of one write transaction queue their entries instead; capa_index__gather_flush
 * writes them sorted by (index, key, value), through the transaction's cursors
 * (capa_store__cursor_memo), so consecutive entries land on the page the last one did.
 * An index holds (key, value) pairs: entries for different pairs commute, and those for the
 * same pair keep their order (the sort's last key is the order they came in), so the
 * indexes after the flush are exactly those the calls would have left one by one. Nothing
 * reads an index in a batch's transaction (a request of capa_submit never does); the queue
 * is flushed before the transaction commits and whenever it grows past IXQ_FLUSH bytes. */

#define IXQ_FLUSH (8u << 20)

typedef struct ixq_op {
    uint64_t pfx; /* ixq_sort's: 8 bytes of the key */
    uint32_t off; /* key bytes then value bytes, in ixq.bytes */
    uint32_t seq; /* arrival */
    uint16_t klen;
    uint8_t vlen, db, del;
} ixq_op;

static _Thread_local struct {
    MDB_txn *txn; /* the transaction whose entries are gathered, or NULL */
    ixq_op *ops;
    size_t n, cap;
    unsigned char *bytes;
    size_t used, room;
    int oom;
} ixq;

void capa_index__gather(MDB_txn *txn)
{
    ixq.txn = txn;
    ixq.n = ixq.used = 0;
    ixq.oom = 0;
    if (!txn) {
        capa__free(ixq.ops);
        capa__free(ixq.bytes);
        memset(&ixq, 0, sizeof ixq);
    }
}

static int ixq_add(int del, int db, const void *key, size_t klen, const void *val, size_t vlen)
{
    if (ixq.n == ixq.cap) {
        size_t cap = ixq.cap ? ixq.cap * 2 : 4096;
        ixq_op *o = capa__realloc(ixq.ops, cap * sizeof *o);
        if (!o)
            return ixq.oom = 1, capa_error_set(CAPA_ENOMEM, "index entries: out of memory");
        ixq.ops = o;
        ixq.cap = cap;
    }
    if (ixq.used + klen + vlen > ixq.room) {
        size_t room = ixq.room ? ixq.room * 2 : 1u << 16;
        while (room < ixq.used + klen + vlen)
            room *= 2;
        unsigned char *b = capa__realloc(ixq.bytes, room);
        if (!b)
            return ixq.oom = 1, capa_error_set(CAPA_ENOMEM, "index entries: out of memory");
        ixq.bytes = b;
        ixq.room = room;
    }
    ixq.ops[ixq.n] =
        (ixq_op){0,           (uint32_t)ixq.used, (uint32_t)ixq.n, (uint16_t)klen, (uint8_t)vlen,
                 (uint8_t)db, (uint8_t)del};
    memcpy(ixq.bytes + ixq.used, key, klen);
    memcpy(ixq.bytes + ixq.used + klen, val, vlen);
    ixq.used += klen + vlen;
    ixq.n++;
    return CAPA_OK;
}

/* The gathered entries in the order the indexes' B-trees keep them, near enough for the
 * writes to find their page where the last one was: by index, then by the 8 bytes of the
 * key after the prefix all of that index's keys share (big-endian: byte order), then by
 * arrival - the sort is stable, so entries for the same (key, value) keep their order,
 * which is all the result depends on. An LSD radix sort, a byte per pass, skipping the
 * bytes every entry has alike: a few passes over the batch instead of a comparison sort's
 * ~17 per entry. */
static int ixq_sort(void)
{
    size_t n = ixq.n;
    ixq_op *tmp = capa__malloc(n * sizeof *tmp);
    if (!tmp)
        return capa_error_set(CAPA_ENOMEM, "index entries: out of memory");
    /* The shared prefix of each index's keys, against the first key of that index. */
    size_t lcp[256];
    const ixq_op *first[256] = {0};
    for (size_t i = 0; i < n; i++) {
        const ixq_op *o = &ixq.ops[i];
        const unsigned char *k = ixq.bytes + o->off;
        if (!first[o->db]) {
            first[o->db] = o;
            lcp[o->db] = o->klen;
            continue;
        }
        const unsigned char *f = ixq.bytes + first[o->db]->off;
        size_t m = lcp[o->db] < o->klen ? lcp[o->db] : o->klen, j = 0;
        while (j < m && f[j] == k[j])
            j++;
        lcp[o->db] = j;
    }
    for (size_t i = 0; i < n; i++) {
        ixq_op *o = &ixq.ops[i];
        const unsigned char *k = ixq.bytes + o->off;
        uint64_t p = 0;
        for (size_t j = 0; j < 8; j++) {
            size_t at = lcp[o->db] + j;
            p = p << 8 | (at < o->klen ? k[at] : 0);
        }
        o->pfx = p;
    }
    ixq_op *a = ixq.ops, *b = tmp;
    for (int pass = 0; pass <= 8; pass++) { /* bytes 0..7 of pfx, least first; then the index */
        size_t count[256] = {0};
        for (size_t i = 0; i < n; i++)
            count[pass < 8 ? (a[i].pfx >> (8 * pass)) & 255 : a[i].db]++;
        size_t sum = 0, alike = 0;
        for (int c = 0; c < 256; c++) {
            size_t m = count[c];
            alike |= m == n;
            count[c] = sum;
            sum += m;
        }
        if (alike)
            continue;
        for (size_t i = 0; i < n; i++)
            b[count[pass < 8 ? (a[i].pfx >> (8 * pass)) & 255 : a[i].db]++] = a[i];
        ixq_op *t = a;
        a = b;
        b = t;
    }
    if (a != ixq.ops)
        memcpy(ixq.ops, a, n * sizeof *a);
    capa__free(tmp);
    return CAPA_OK;
}

int capa_index__gather_flush(capa_store *s)
{
    int err = ixq.oom ? capa_error_set(CAPA_ENOMEM, "index entries: out of memory") : CAPA_OK;
    if (!ixq.txn || err)
        return err;
    if (ixq.n > 1)
        err = ixq_sort();
    for (size_t i = 0; i < ixq.n && !err; i++) {
        const ixq_op *o = &ixq.ops[i];
        const unsigned char *k = ixq.bytes + o->off;
        MDB_dbi dbi = s->dbi[o->db];
        if (o->del) {
            err = capa_store__del(ixq.txn, dbi, k, o->klen, k + o->klen, o->vlen);
        } else {
            err = capa_store__put(ixq.txn, dbi, k, o->klen, k + o->klen, o->vlen, MDB_NODUPDATA);
            if (err == CAPA_EEXISTS)
                err = CAPA_OK;
        }
    }
    ixq.n = ixq.used = 0;
    return err;
}

/* Queue an entry of txn when its entries are gathered; 1 when queued (*err its outcome). */
static int gathered(capa_store *s, MDB_txn *txn, int *err, int del, int db, const void *key,
                    size_t klen, const void *val, size_t vlen)
{
    if (!txn || txn != ixq.txn || klen > 0xffff || vlen > 0xff)
        return 0;
    *err = ixq_add(del, db, key, klen, val, vlen);
    if (!*err && ixq.used >= IXQ_FLUSH)
        *err = capa_index__gather_flush(s);
    return 1;
}

int capa_index__put(capa_store *s, MDB_txn *txn, int db, const char *key, uint64_t id)
{
    unsigned char v[8];
    if (!key || !*key)
        return CAPA_OK;
    capa_be64(v, id);
    if (s->defer)
        return capa_defer__index(s->defer, 0, db, key, key_len(key), v, 8);
    int err;
    if (gathered(s, txn, &err, 0, db, key, key_len(key), v, 8))
        return err;
    err = capa_store__put(txn, s->dbi[db], key, key_len(key), v, 8, MDB_NODUPDATA);
    return err == CAPA_EEXISTS ? CAPA_OK : err;
}

int capa_index__del(capa_store *s, MDB_txn *txn, int db, const char *key, uint64_t id)
{
    unsigned char v[8];
    if (!key || !*key)
        return CAPA_OK;
    capa_be64(v, id);
    if (s->defer)
        return capa_defer__index(s->defer, 1, db, key, key_len(key), v, 8);
    int err;
    if (gathered(s, txn, &err, 1, db, key, key_len(key), v, 8))
        return err;
    return capa_store__del(txn, s->dbi[db], key, key_len(key), v, 8);
}

int capa_index__put_opened(capa_store *s, MDB_txn *txn, int64_t opened, uint64_t id)
{
    unsigned char k[8], v[8];
    capa_be64(k, (uint64_t)opened);
    capa_be64(v, id);
    if (s->defer)
        return capa_defer__index(s->defer, 0, DB_IDX_OPENED, k, 8, v, 8);
    int err;
    if (gathered(s, txn, &err, 0, DB_IDX_OPENED, k, 8, v, 8))
        return err;
    err = capa_store__put(txn, s->dbi[DB_IDX_OPENED], k, 8, v, 8, MDB_NODUPDATA);
    return err == CAPA_EEXISTS ? CAPA_OK : err;
}

static char **hdr_slot(capa_hdr *h, size_t i)
{
    return (char **)((char *)h + header_fields[i].offset);
}

static size_t header_len(const char *field, const char *v)
{
    size_t n = strlen(v);
    if (strcmp(field, "description") != 0 || n <= HDR_PREVIEW)
        return n;
    n = HDR_PREVIEW;
    while (n > 0 && ((unsigned char)v[n] & 0xC0) == 0x80)
        n--; /* v[n] continues a character: cut before the character starts */
    return n;
}

int capa_index__sync_header(capa_store *s, MDB_txn *txn, capa_hdr *h,
                            const capa_stage_record *intake)
{
    for (size_t i = 0; i < N_HEADER_FIELDS; i++) {
        char **slot = hdr_slot(h, i);
        const char *now = capa_stage__value(intake, header_fields[i].field);
        size_t len = now ? header_len(header_fields[i].field, now) : 0;
        if ((!now && !*slot) ||
            (now && *slot && strlen(*slot) == len && strncmp(now, *slot, len) == 0))
            continue;
        int db = header_fields[i].db, err = CAPA_OK;
        if (db >= 0 && ((err = capa_index__del(s, txn, db, *slot, h->id)) != CAPA_OK ||
                        (err = capa_index__put(s, txn, db, now, h->id)) != CAPA_OK))
            return err;
        char *copy = now ? capa__strndup(now, len) : NULL;
        if (now && !copy)
            return capa_error_set(CAPA_ENOMEM, "out of memory");
        capa__free(*slot);
        *slot = copy;
    }
    return CAPA_OK;
}

int capa_index__put_case(capa_store *s, MDB_txn *txn, const capa_hdr *h)
{
    int err = CAPA_OK;
    for (size_t i = 0; i < N_HEADER_FIELDS && !err; i++)
        if (header_fields[i].db >= 0)
            err = capa_index__put(s, txn, header_fields[i].db,
                                  *(char *const *)((const char *)h + header_fields[i].offset),
                                  h->id);
    if (!err)
        err = capa_index__put(s, txn, DB_IDX_STAGE, h->stage, h->id);
    if (!err)
        err = capa_index__put_opened(s, txn, h->opened, h->id);
    return err ? err : capa_index__due_put(s, txn, h);
}

int capa_index__sync_stats(capa_hdr *h, const capa_stage_record *r, int first_stage,
                           int satisfaction_changed, int64_t now)
{
    if (satisfaction_changed) {
        int err = capa__set_str(&h->satisfaction, capa_stage__value(r, "satisfaction"));
        if (err)
            return err;
    }
    const char *cont = first_stage ? capa_stage__value(r, "containment") : NULL;
    if (cont && *cont && !h->containment_at)
        h->containment_at = now;
    return CAPA_OK;
}

int capa_index__move_stage(capa_store *s, MDB_txn *txn, capa_hdr *h, const char *to)
{
    char *copy = capa__strdup(to);
    if (!copy)
        return capa_error_set(CAPA_ENOMEM, "out of memory");
    int err = capa_index__del(s, txn, DB_IDX_STAGE, h->stage, h->id);
    if (!err)
        err = capa_index__put(s, txn, DB_IDX_STAGE, to, h->id);
    if (err) {
        capa__free(copy);
        return err;
    }
    capa__free(h->stage);
    h->stage = copy;
    return CAPA_OK;
}

/* ---- due times ---- */

#define DUE_VAL 17 /* case id (be64), warn ms (be64), limit code */

static void due_entry(unsigned char k[8], unsigned char v[DUE_VAL], uint64_t id,
                      const capa_hdr_limit *l)
{
    capa_be64(k, (uint64_t)l->due);
    capa_be64(v, id);
    capa_be64(v + 8, (uint64_t)l->warn);
    v[16] = l->code;
}

int capa_index__due_del(capa_store *s, MDB_txn *txn, const capa_hdr *h)
{
    for (size_t i = 0; i < h->n_limits; i++) {
        unsigned char k[8], v[DUE_VAL];
        due_entry(k, v, h->id, &h->limits[i]);
        int err;
        if (s->defer)
            err = capa_defer__index(s->defer, 1, DB_IDX_DUE, k, 8, v, DUE_VAL);
        else if (!gathered(s, txn, &err, 1, DB_IDX_DUE, k, 8, v, DUE_VAL))
            err = capa_store__del(txn, s->dbi[DB_IDX_DUE], k, 8, v, DUE_VAL);
        if (err && err != CAPA_ENOTFOUND)
            return err;
    }
    return CAPA_OK;
}

int capa_index__due_put(capa_store *s, MDB_txn *txn, const capa_hdr *h)
{
    for (size_t i = 0; i < h->n_limits; i++) {
        unsigned char k[8], v[DUE_VAL];
        due_entry(k, v, h->id, &h->limits[i]);
        int err;
        if (s->defer)
            err = capa_defer__index(s->defer, 0, DB_IDX_DUE, k, 8, v, DUE_VAL);
        else if (!gathered(s, txn, &err, 0, DB_IDX_DUE, k, 8, v, DUE_VAL))
            err = capa_store__put(txn, s->dbi[DB_IDX_DUE], k, 8, v, DUE_VAL, MDB_NODUPDATA);
        if (err && err != CAPA_EEXISTS)
            return err;
    }
    return CAPA_OK;
}

void capa_index__due_read(const MDB_val *k, const MDB_val *v, uint64_t *id, capa_hdr_limit *l)
{
    memset(l, 0, sizeof *l);
    *id = 0;
    if (k->mv_size != 8 || v->mv_size != DUE_VAL)
        return;
    l->due = (int64_t)capa_get_be64(k->mv_data);
    *id = capa_get_be64(v->mv_data);
    l->warn = (int64_t)capa_get_be64((const unsigned char *)v->mv_data + 8);
    l->code = ((const unsigned char *)v->mv_data)[16];
}
