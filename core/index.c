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

int capa_index__put(capa_store *s, MDB_txn *txn, int db, const char *key, uint64_t id)
{
    unsigned char v[8];
    if (!key || !*key)
        return CAPA_OK;
    capa_be64(v, id);
    if (s->defer)
        return capa_defer__index(s->defer, 0, db, key, key_len(key), v, 8);
    int err = capa_store__put(txn, s->dbi[db], key, key_len(key), v, 8, MDB_NODUPDATA);
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
    return capa_store__del(txn, s->dbi[db], key, key_len(key), v, 8);
}

int capa_index__put_opened(capa_store *s, MDB_txn *txn, int64_t opened, uint64_t id)
{
    unsigned char k[8], v[8];
    capa_be64(k, (uint64_t)opened);
    capa_be64(v, id);
    if (s->defer)
        return capa_defer__index(s->defer, 0, DB_IDX_OPENED, k, 8, v, 8);
    int err = capa_store__put(txn, s->dbi[DB_IDX_OPENED], k, 8, v, 8, MDB_NODUPDATA);
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
        int err = s->defer ? capa_defer__index(s->defer, 1, DB_IDX_DUE, k, 8, v, DUE_VAL)
                           : capa_store__del(txn, s->dbi[DB_IDX_DUE], k, 8, v, DUE_VAL);
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
        int err = s->defer ? capa_defer__index(s->defer, 0, DB_IDX_DUE, k, 8, v, DUE_VAL)
                           : capa_store__put(txn, s->dbi[DB_IDX_DUE], k, 8, v, DUE_VAL,
                                             MDB_NODUPDATA);
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
