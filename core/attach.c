/*
 * attach.c - files attached to a case (photos of the defect, the customer's 8D report, ...).
 *
 * `capa_case_attach` checks size, name and authority and builds an "attach" event that names
 * the file, its size and its SHA-256; applying it writes the attachment record (DB_ATTACH,
 * case id + event seq) and the content under its SHA-256 (DB_BLOBS), so identical content is
 * stored once. The event does not carry the bytes (a 20 MB photo would then be stored twice):
 * it attests them by SHA-256, like a credential by its digest. Replay takes the stored bytes
 * only when they still hash to what the event says, so `verify` finds a changed byte as a
 * stored blob no event explains; reading an attachment re-hashes it too.
 */
#include "attach.h"
#include "refusal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "cases.h"
#include "codec.h"
#include "commit.h"
#include "record.h"
#include "users.h"

#define ATT_VERSION 1
#define LIMIT_KEY "attach_limit"
#define MAX_NAME 255
#define MAX_NOTE 4000

void capa_attachment_clear(capa_attachment *a)
{
    if (!a)
        return;
    capa__free(a->name);
    capa__free(a->stage);
    capa__free(a->note);
    capa__free(a->mime);
    capa__free(a->user);
    capa__free(a->user_name);
    memset(a, 0, sizeof *a);
}

void capa_att__key(unsigned char k[16], uint64_t case_id, uint64_t seq)
{
    capa_be64(k, case_id);
    capa_be64(k + 8, seq);
}

int capa_att__encode(const capa_attachment *a, void **out, size_t *len)
{
    capa_buf b = {0};
    capa_buf_u8(&b, ATT_VERSION);
    capa_buf_varint(&b, a->seq);
    capa_buf_str(&b, a->name);
    capa_buf_str(&b, a->stage);
    capa_buf_str(&b, a->note);
    capa_buf_str(&b, a->mime);
    capa_buf_varint(&b, a->size);
    capa_buf_str(&b, a->sha256);
    capa_buf_str(&b, a->user);
    capa_buf_str(&b, a->user_name);
    capa_buf_i64(&b, a->time);
    if (b.oom) {
        capa_buf_free(&b);
        return capa_error_set(CAPA_ENOMEM, "attachment: out of memory");
    }
    *out = b.p;
    *len = b.len;
    return CAPA_OK;
}

int capa_att__decode(capa_attachment *a, const void *data, size_t len)
{
    capa_rd r;
    memset(a, 0, sizeof *a);
    capa_rd_init(&r, data, len);
    if (capa_rd_u8(&r) != ATT_VERSION && !r.err)
        r.err = CAPA_ECORRUPT;
    a->seq = capa_rd_varint(&r);
    a->name = capa_rd_str(&r);
    a->stage = capa_rd_str(&r);
    a->note = capa_rd_str(&r);
    a->mime = capa_rd_str(&r);
    a->size = capa_rd_varint(&r);
    char *sha = capa_rd_str(&r);
    a->user = capa_rd_str(&r);
    a->user_name = capa_rd_str(&r);
    a->time = capa_rd_i64(&r);
    if (!r.err && (!sha || strlen(sha) != 64 || !a->name || !a->stage || !a->mime || !a->user))
        r.err = CAPA_ECORRUPT;
    if (sha && strlen(sha) == 64)
        memcpy(a->sha256, sha, 65);
    capa__free(sha);
    if (capa_rd_done(&r))
        return CAPA_OK;
    int code = r.err == CAPA_ENOMEM ? CAPA_ENOMEM : CAPA_ECORRUPT;
    capa_attachment_clear(a);
    return capa_error_set(code, "attachment: %s",
                          code == CAPA_ENOMEM ? "out of memory" : "malformed record");
}

const char *capa_att__sniff(const void *data, size_t len)
{
    const unsigned char *p = data;
    if (len >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF)
        return "image/jpeg";
    if (len >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
        return "image/png";
    if (len >= 5 && memcmp(p, "%PDF-", 5) == 0)
        return "application/pdf";
    return "application/octet-stream";
}

/* ---- applying an "attach" event (called from apply.c) ---- */

int capa_att__apply(capa_wtxn *t, const capa_event_rec *e, uint64_t id, const char *stage,
                    const void *content)
{
    const char *name = capa_event__get(e, "name"), *sha = capa_event__get(e, "sha256"),
               *size_s = capa_event__get(e, "size"), *mime = capa_event__get(e, "mime");
    unsigned char raw[32], key[16];
    char *end = NULL;
    unsigned long long size = size_s ? strtoull(size_s, &end, 10) : 0;
    if (!name || !mime || !sha || capa__unhex(raw, 32, sha) != 0 || !size_s || !*size_s || *end)
        return capa_error_set(CAPA_ECORRUPT,
                              "audit event %llu (attach %s): without name, size, type or SHA-256",
                              (unsigned long long)e->ev.seq, e->ev.case_number);
    if (content) {
        char have[65];
        capa_sha256_hex(have, content, (size_t)size);
        if (strcmp(have, sha) != 0)
            return capa_error_set(CAPA_ECORRUPT,
                                  "audit event %llu (attach %s): content hashes to %s, not %s",
                                  (unsigned long long)e->ev.seq, e->ev.case_number, have, sha);
        int err = capa_store__put(t->txn, t->s->dbi[DB_BLOBS], raw, 32, content, (size_t)size, 0);
        if (err)
            return err;
    }
    capa_attachment a = {0};
    void *buf = NULL;
    size_t len = 0;
    a.seq = e->ev.seq;
    a.name = (char *)name;
    a.stage = (char *)stage;
    a.note = (char *)capa_event__get(e, "note");
    a.mime = (char *)mime;
    a.size = size;
    memcpy(a.sha256, sha, 65);
    a.user = (char *)e->ev.actor;
    a.user_name = (char *)capa_event__get(e, "name_of_user");
    a.time = e->ev.time;
    int err = capa_att__encode(&a, &buf, &len);
    capa_att__key(key, id, e->ev.seq);
    if (!err)
        err = capa_store__put(t->txn, t->s->dbi[DB_ATTACH], key, 16, buf, len, MDB_NOOVERWRITE);
    capa__free(buf);
    return err;
}

int capa_att__list(capa_store *s, MDB_txn *txn, uint64_t id, capa_attachment **out, size_t *n)
{
    MDB_cursor *cur = NULL;
    unsigned char k0[16];
    size_t cap = *n;
    if (!capa_store__has(s, DB_ATTACH))
        return CAPA_OK;
    capa_att__key(k0, id, 0);
    int rc = mdb_cursor_open(txn, s->dbi[DB_ATTACH], &cur), err = CAPA_OK;
    MDB_val k = {16, k0}, v;
    rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    for (; rc == MDB_SUCCESS && k.mv_size == 16 && memcmp(k.mv_data, k0, 8) == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 4;
            capa_attachment *p = capa__realloc(*out, cap * sizeof *p);
            if (!p) {
                err = capa_error_set(CAPA_ENOMEM, "attachments: out of memory");
                break;
            }
            *out = p;
        }
        if ((err = capa_att__decode(&(*out)[*n], v.mv_data, v.mv_size)))
            break;
        (*n)++;
    }
    if (!err && rc && rc != MDB_NOTFOUND)
        err = capa_store__mdb_err(rc, "attachments");
    if (cur)
        mdb_cursor_close(cur);
    return err;
}

/* ---- the limit ---- */

static int limit_in(capa_store *s, MDB_txn *txn, uint64_t *out)
{
    int err = capa_meta__get_u64(s, txn, LIMIT_KEY, out);
    if (err == CAPA_ENOTFOUND) {
        *out = CAPA_ATTACH_LIMIT_DEFAULT;
        return CAPA_OK;
    }
    return err;
}

int capa_attach_limit(capa_store *s, uint64_t *out)
{
    MDB_txn *txn = NULL;
    *out = CAPA_ATTACH_LIMIT_DEFAULT;
    int err = capa_store__read_begin(s, &txn);
    if (!err && !(err = capa_store__require_init(s, txn)))
        err = limit_in(s, txn, out);
    capa_store__read_end(s, txn);
    return err;
}

static void limit_text(char *buf, size_t sz, uint64_t v)
{
    if (v % (1024 * 1024) == 0)
        snprintf(buf, sz, "%llu bytes (%llu MiB)", (unsigned long long)v,
                 (unsigned long long)(v / (1024 * 1024)));
    else
        snprintf(buf, sz, "%llu bytes", (unsigned long long)v);
}

static int check_size(const char *number, const char *name, size_t len, uint64_t limit)
{
    char lim[64];
    if (len == 0) {
        int err_ = capa__refuse(CAPA_EINVALID, "attach.empty", "file", name,
                                "attach %s: file '%.200s': empty (0 bytes)", number, name);
        capa__refusal_where("attach", number, NULL);
        return err_;
    }
    if ((uint64_t)len > limit) {
        limit_text(lim, sizeof lim, limit);
        int err_ = capa__refuse(CAPA_EINVALID, "attach.too_big", "file", name,
                                "attach %s: file '%.200s': %zu bytes; the attachment limit is %s "
                                "(capa config attach-limit)",
                                number, name, len, lim);
        capa__refusal_param("length", "%zu", len);
        capa__refusal_param("limit", "%s", lim);
        capa__refusal_param("max", "%llu", (unsigned long long)limit);
        capa__refusal_where("attach", number, NULL);
        return err_;
    }
    return CAPA_OK;
}

static int do_limit(capa_wtxn *t, void *arg)
{
    uint64_t v = *(uint64_t *)arg, old = 0;
    char a[32], b[32];
    capa_event_rec e;
    int err_ = capa__require_admin(t, "config attach-limit");
    if (err_)
        return err_;
    int err = capa_store__require_init(t->s, t->txn);
    if (err || (err = limit_in(t->s, t->txn, &old)))
        return err;
    snprintf(a, sizeof a, "%llu", (unsigned long long)old);
    snprintf(b, sizeof b, "%llu", (unsigned long long)v);
    capa_event__init(&e, t->actor->u.id, "config", NULL, NULL, NULL);
    capa_event__change(&e, LIMIT_KEY, a, b);
    capa_event__fact(&e, LIMIT_KEY, b);
    capa_event__fact(&e, "auth", "1");
    err = capa_event__commit(t, &e, NULL);
    capa_event__clear(&e);
    return err;
}

int capa_config_attach_limit(capa_store *s, const capa_actor *who, uint64_t bytes)
{
    char lim[64];
    if (bytes == 0 || bytes > CAPA_ATTACH_LIMIT_MAX) {
        limit_text(lim, sizeof lim, CAPA_ATTACH_LIMIT_MAX);
        int err_ = capa__refuse(CAPA_EINVALID, "attach.limit_range", "limit", NULL,
                                "config attach-limit: %llu bytes: must be 1 byte to %s",
                                (unsigned long long)bytes, lim);
        capa__refusal_param("length", "%llu", (unsigned long long)bytes);
        capa__refusal_param("max", "%s", lim);
        return err_;
    }
    return capa_store__mutate(s, who, do_limit, &bytes);
}

/* ---- attaching ---- */

typedef struct attach_arg {
    const char *number, *name, *stage, *note;
    const void *data;
    size_t len;
    char sha[65];
} attach_arg;

static int own_blob(void *payload, const char *sha256, uint64_t size, const void **data)
{
    attach_arg *a = payload;
    *data = strcmp(sha256, a->sha) == 0 && size == a->len ? a->data : NULL;
    return CAPA_OK;
}

static int do_attach(capa_wtxn *t, void *arg)
{
    attach_arg *a = arg;
    const capa_workflow *wf = NULL;
    capa_hdr h = {0};
    capa_stage_record rec = {0};
    capa_event_rec e = {0};
    uint64_t id, limit;
    char summary[400];
    int err = capa_store__require_init(t->s, t->txn);
    if (err || (err = capa_case__load(&h, t->s, t->txn, a->number, 0, "attach")) ||
        (id = h.id, err = capa_store__workflow_of(&wf, t->s, t->txn, h.workflow)) ||
        (err = limit_in(t->s, t->txn, &limit)) ||
        (err = check_size(a->number, a->name, a->len, limit)))
        goto done;
    if (h.origin) {
        err = capa__refuse(CAPA_ESTATE, "case.imported", NULL, NULL,
                           "attach %s: an archived copy imported from %s; it is read-only here",
                           a->number, h.origin);
        capa__refusal_param("origin", "%s", h.origin);
        capa__refusal_where("attach", a->number, NULL);
        goto done;
    }
    if (h.closed) {
        char when[32];
        capa_time_format(when, sizeof when, h.closed_at);
        err = capa__refuse(CAPA_ESTATE, "case.closed", NULL, NULL,
                           "attach %s: case closed (结案) at %s; an archived case is read-only",
                           a->number, when);
        capa__refusal_param("closed_at", "%s", when);
        capa__refusal_where("attach", a->number, NULL);
        goto done;
    }
    const char *sid = a->stage ? a->stage : h.stage;
    int idx = capa_workflow_stage_index(wf, sid);
    if (idx < 0) {
        err = capa__refuse(CAPA_EINVALID, "attach.stage_unknown", "stage", sid,
                           "attach %s: --stage '%.60s': not a stage of the "
                           "workflow",
                           a->number, sid);
        capa__refusal_where("attach", a->number, NULL);
        goto done;
    }
    const capa_stage *st = &wf->stages[idx];
    if ((err = capa_stage__get(t->s, t->txn, id, idx, &rec)) == CAPA_ENOTFOUND) {
        err = capa__refuse(CAPA_ESTATE, "attach.stage_not_reached", "stage", st->id,
                           "attach %s: stage %s: the case has not reached it (it is in %s)",
                           a->number, st->id, h.stage);
        capa__refusal_where("attach", a->number, NULL);
        capa__refusal_param("stage_zh", "%s", st->label_zh ? st->label_zh : st->id);
        capa__refusal_param("stage_en", "%s", st->label_en ? st->label_en : st->id);
        goto done;
    } else if (err) {
        goto done;
    }
    if (!capa_role_in(st->editors, st->n_editors, t->actor->u.role) &&
        !capa_role_in(st->signers, st->n_signers, t->actor->u.role)) {
        err = capa__refuse(CAPA_EDENIED, "attach.role", NULL, NULL,
                           "attach %s: user `%s` has role %s; attachments to stage %s come from "
                           "the roles that edit or sign it",
                           a->number, t->actor->u.id, t->actor->u.role, st->id);
        capa__refusal_roles(wf, "role", &t->actor->u.role, 1);
        capa__refusal_param("stage_zh", "%s", st->label_zh ? st->label_zh : st->id);
        capa__refusal_param("stage_en", "%s", st->label_en ? st->label_en : st->id);
        capa__refusal_where("attach", a->number, NULL);
        goto done;
    }
    snprintf(summary, sizeof summary, "%.250s (%zu bytes, SHA-256 %s)", a->name, a->len, a->sha);
    capa_event__init(&e, t->actor->u.id, "attach", h.number, st->id, NULL);
    capa_event__change(&e, "attachment", NULL, summary);
    capa_event__fact(&e, "auth", "1");
    capa_event__factf(&e, "case_id", "%llu", (unsigned long long)id);
    capa_event__factf(&e, "from", "%d", idx);
    capa_event__fact(&e, "name", a->name);
    capa_event__factf(&e, "size", "%zu", a->len);
    capa_event__fact(&e, "sha256", a->sha);
    capa_event__fact(&e, "mime", capa_att__sniff(a->data, a->len));
    capa_event__fact(&e, "name_of_user", t->actor->u.name);
    if (a->note && *a->note)
        capa_event__fact(&e, "note", a->note);
    capa_apply_src src = {NULL, NULL, a, own_blob, NULL};
    err = capa_event__commit(t, &e, &src);
done:
    capa_event__clear(&e);
    capa_stage_record_clear(&rec);
    capa_hdr_clear(&h);
    return err;
}

/* The checks made before any password or binding is looked at and before the write lock:
 * name, note, size; then the content's SHA-256 into a->sha. */
static int attach_precheck(capa_store *s, attach_arg *a)
{
    const char *number = a->number, *name = a->name, *note = a->note;
    uint64_t limit;
    char what[300];
    if (!number || !*number)
        return capa__refuse(CAPA_EINVALID, "attach.case_missing", NULL, NULL,
                            "attach: no case number given");
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > MAX_NAME || strchr(name, '/') || strcmp(name, ".") == 0 ||
        strcmp(name, "..") == 0) {
        int err_ = capa__refuse(CAPA_EINVALID, "attach.name", "file", name ? name : "",
                                "attach %s: file name '%.200s': must be 1 to %d bytes, without "
                                "a directory",
                                number, name ? name : "", MAX_NAME);
        capa__refusal_param("max", "%d", MAX_NAME);
        capa__refusal_where("attach", number, NULL);
        return err_;
    }
    snprintf(what, sizeof what, "attach %.60s: file name", number);
    int err = capa__line_check(what, "file_name", name);
    if (err)
        return err;
    if (note && strlen(note) > MAX_NOTE) {
        int err_ =
            capa__refuse(CAPA_EINVALID, "field.max_bytes", "note", NULL,
                         "attach %s: note: %zu bytes; at most %d", number, strlen(note), MAX_NOTE);
        capa__refusal_param("length", "%zu", strlen(note));
        capa__refusal_param("max", "%d", MAX_NOTE);
        capa__refusal_where("attach", number, NULL);
        return err_;
    }
    snprintf(what, sizeof what, "attach %.60s: note", number);
    if ((err = capa__line_check(what, "note", note)))
        return err;
    /* Too large is refused before the password is asked and before the write lock. */
    if ((err = capa_attach_limit(s, &limit)) || (err = check_size(number, name, a->len, limit)))
        return err;
    capa_sha256_hex(a->sha, a->data, a->len);
    return CAPA_OK;
}

int capa_case_attach(capa_store *s, const char *number, const capa_actor *who, const char *name,
                     const void *data, size_t len, const char *stage, const char *note,
                     char out_sha[65])
{
    attach_arg a = {number, name, stage, note, data, len, ""};
    if (out_sha)
        out_sha[0] = 0;
    int err = attach_precheck(s, &a);
    if (!err && (err = capa_store__mutate(s, who, do_attach, &a)) == CAPA_OK && out_sha)
        memcpy(out_sha, a.sha, 65);
    return err;
}

int capa_case_attach_bound(capa_store *s, const char *number, const char *user,
                           const char *binding, const char *name, const void *data, size_t len,
                           const char *stage, const char *note, char out_sha[65])
{
    attach_arg a = {number, name, stage, note, data, len, ""};
    if (out_sha)
        out_sha[0] = 0;
    int err = attach_precheck(s, &a);
    if (!err && (err = capa_store__mutate_bound(s, user, binding, do_attach, &a)) == CAPA_OK &&
        out_sha)
        memcpy(out_sha, a.sha, 65);
    return err;
}

/* Several files: every one's checks first, then one write transaction attaching them all in
 * order, so a refusal of any leaves none attached. */
typedef struct attach_all_arg {
    attach_arg *a;
    size_t n;
} attach_all_arg;

static int do_attach_all(capa_wtxn *t, void *arg)
{
    attach_all_arg *all = arg;
    int err = CAPA_OK;
    for (size_t i = 0; i < all->n && !err; i++)
        err = do_attach(t, &all->a[i]);
    return err;
}

int capa_case_attach_all_bound(capa_store *s, const char *number, const char *user,
                               const char *binding, const capa_attach_file *files, size_t n,
                               const char *stage, const char *note)
{
    int err = CAPA_OK;
    if (n == 0)
        return capa__refuse(CAPA_EINVALID, "attach.no_file", NULL, NULL, "attach %s: no file given",
                            number ? number : "");
    attach_arg *a = capa__calloc(n, sizeof *a);
    if (!a)
        return capa_error_set(CAPA_ENOMEM, "attach: out of memory");
    for (size_t i = 0; i < n && !err; i++) {
        a[i] = (attach_arg){number, files[i].name, stage, note, files[i].data, files[i].len, ""};
        err = attach_precheck(s, &a[i]);
    }
    attach_all_arg all = {a, n};
    if (!err)
        err = capa_store__mutate_bound(s, user, binding, do_attach_all, &all);
    capa__free(a);
    return err;
}

/* ---- reading ---- */

int capa_attachment_get(void **out, size_t *out_len, capa_attachment **out_meta, capa_store *s,
                        const char *number, const char *sha256)
{
    MDB_txn *txn = NULL;
    capa_attachment *list = NULL;
    size_t n = 0;
    uint64_t id;
    unsigned char raw[32];
    *out = NULL;
    *out_len = 0;
    if (out_meta)
        *out_meta = NULL;
    if (!sha256 || capa__unhex(raw, 32, sha256) != 0)
        return capa__refuse(CAPA_EINVALID, "attach.sha256", "sha256", sha256 ? sha256 : "",
                            "attachment %s: '%.80s' is not a SHA-256 (64 lower-case hex "
                            "digits)",
                            number ? number : "", sha256 ? sha256 : "");
    int err = capa_store__read_begin(s, &txn);
    if (err || (err = capa_store__require_init(s, txn)) ||
        (err = capa__case_id(s, txn, number, &id)) || (err = capa_att__list(s, txn, id, &list, &n)))
        goto done;
    size_t i = 0;
    while (i < n && strcmp(list[i].sha256, sha256) != 0)
        i++;
    if (i == n) {
        err = capa__refuse(CAPA_ENOTFOUND, "attach.not_found", "sha256", sha256,
                           "attachment %s of case %s: no such attachment", sha256, number);
        capa__refusal_where("attachment", number, NULL);
        goto done;
    }
    MDB_val v;
    if ((err = capa_store__get(txn, s->dbi[DB_BLOBS], raw, 32, &v))) {
        capa_hdr h = {0};
        if (err == CAPA_ENOTFOUND && capa_hdr__get(s, txn, id, &h) == CAPA_OK && h.origin) {
            err = capa__refuse(CAPA_ENOTFOUND, "attach.not_here", "sha256", sha256,
                               "attachment %s of case %s: its content is not in this store (a "
                               "copy imported from %s carries the SHA-256 only)",
                               sha256, number, h.origin);
            capa__refusal_param("origin", "%s", h.origin);
        } else if (err == CAPA_ENOTFOUND) {
            err = capa__refuse(CAPA_ECORRUPT, "attach.missing", "sha256", sha256,
                               "attachment %s of case %s: its content is missing from the store",
                               sha256, number);
        }
        capa__refusal_where("attachment", number, NULL);
        capa_hdr_clear(&h);
        goto done;
    }
    char have[65];
    capa_sha256_hex(have, v.mv_data, v.mv_size);
    if (strcmp(have, sha256) != 0 || v.mv_size != list[i].size) {
        err = capa__refuse(CAPA_ECORRUPT, "attach.changed", "sha256", sha256,
                           "attachment %s of case %s: the stored content (%zu bytes) hashes to "
                           "%s: it was changed (capa verify)",
                           sha256, number, v.mv_size, have);
        capa__refusal_where("attachment", number, NULL);
        goto done;
    }
    if (!(*out = capa__malloc(v.mv_size ? v.mv_size : 1))) {
        err = capa_error_set(CAPA_ENOMEM, "attachment: out of memory");
        goto done;
    }
    memcpy(*out, v.mv_data, v.mv_size);
    *out_len = v.mv_size;
    if (out_meta) {
        if (!(*out_meta = capa__malloc(sizeof **out_meta))) {
            capa__free(*out);
            *out = NULL;
            *out_len = 0;
            err = capa_error_set(CAPA_ENOMEM, "attachment: out of memory");
            goto done;
        }
        **out_meta = list[i];
        memset(&list[i], 0, sizeof list[i]);
    }
done:
    capa_store__read_end(s, txn);
    for (size_t j = 0; j < n; j++)
        capa_attachment_clear(&list[j]);
    capa__free(list);
    return err;
}

int capa_att__stored_blob(capa_store *s, MDB_txn *txn, const char *sha256, uint64_t size,
                          const void **data)
{
    unsigned char raw[32];
    char have[65];
    MDB_val v;
    *data = NULL;
    if (!capa_store__has(s, DB_BLOBS) || capa__unhex(raw, 32, sha256) != 0)
        return CAPA_OK;
    int err = capa_store__get(txn, s->dbi[DB_BLOBS], raw, 32, &v);
    if (err)
        return err == CAPA_ENOTFOUND ? CAPA_OK : err;
    capa_sha256_hex(have, v.mv_data, v.mv_size);
    if (v.mv_size == size && strcmp(have, sha256) == 0)
        *data = v.mv_data;
    return CAPA_OK;
}
