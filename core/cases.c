/*
 * cases.c - the workflow engine: opening a case, editing its current stage, signing a stage
 * off (which moves the case on, or closes it), rejecting back (审查 N), reading and listing.
 *
 * Every rule of authority is here, not in the tools: who may edit or sign a stage comes from
 * the workflow; the person complained about (subject_person) may sign nothing on the case;
 * an independent sign-off (approved, closed) must come from someone who changed no field of
 * that stage; a closed case is read-only. Each operation is one write transaction holding
 * the change, its index updates and its audit event.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "codec.h"
#include "record.h"
#include "users.h"
#include "batch.h"

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
};
#define N_HEADER_FIELDS (sizeof header_fields / sizeof *header_fields)

static char **hdr_slot(capa_hdr *h, size_t i)
{
    return (char **)((char *)h + header_fields[i].offset);
}

int capa__case_id(capa_store *s, MDB_txn *txn, const char *number, uint64_t *out)
{
    MDB_val v;
    *out = 0;
    if (!number || !*number)
        return capa_error_set(CAPA_EINVALID, "case number: empty");
    int err = capa_store__get(txn, s->dbi[DB_NUMBERS], number, strlen(number), &v);
    if (err == CAPA_ENOTFOUND)
        return capa_error_set(CAPA_ENOTFOUND, "case %.60s: no such case", number);
    if (err)
        return err;
    if (v.mv_size != 8)
        return capa_error_set(CAPA_ECORRUPT, "case %.60s: bad number index record", number);
    *out = capa_get_be64(v.mv_data);
    return CAPA_OK;
}

static int get_hdr(capa_store *s, MDB_txn *txn, uint64_t id, capa_hdr *out)
{
    unsigned char k[8];
    MDB_val v;
    capa_be64(k, id);
    int err = capa_store__get(txn, s->dbi[DB_CASES], k, 8, &v);
    if (err == CAPA_ENOTFOUND)
        return capa_error_set(CAPA_ECORRUPT, "case id %llu: header missing",
                              (unsigned long long)id);
    return err ? err : capa_hdr__decode(out, v.mv_data, v.mv_size);
}

static int put_hdr(capa_store *s, MDB_txn *txn, const capa_hdr *h, unsigned flags)
{
    unsigned char k[8];
    void *buf = NULL;
    size_t len = 0;
    capa_be64(k, h->id);
    int err = capa_hdr__encode(h, &buf, &len);
    if (!err)
        err = capa_store__put(txn, s->dbi[DB_CASES], k, 8, buf, len, flags);
    capa__free(buf);
    return err;
}

static void stage_key(unsigned char k[9], uint64_t id, int idx)
{
    capa_be64(k, id);
    k[8] = (unsigned char)idx;
}

static int get_stage(capa_store *s, MDB_txn *txn, uint64_t id, int idx, capa_stage_record *out)
{
    unsigned char k[9];
    MDB_val v;
    memset(out, 0, sizeof *out);
    stage_key(k, id, idx);
    int err = capa_store__get(txn, s->dbi[DB_STAGES], k, 9, &v);
    return err ? err : capa_stage__decode(out, v.mv_data, v.mv_size);
}

static int put_stage(capa_store *s, MDB_txn *txn, uint64_t id, int idx,
                     const capa_stage_record *r)
{
    unsigned char k[9];
    void *buf = NULL;
    size_t len = 0;
    stage_key(k, id, idx);
    int err = capa_stage__encode(r, &buf, &len);
    if (!err)
        err = capa_store__put(txn, s->dbi[DB_STAGES], k, 9, buf, len, 0);
    capa__free(buf);
    return err;
}

static int idx_put(capa_store *s, MDB_txn *txn, int db, const char *key, uint64_t id)
{
    unsigned char v[8];
    if (!key || !*key)
        return CAPA_OK;
    capa_be64(v, id);
    /* LMDB keys are at most 511 bytes: index a prefix of very long values. */
    size_t klen = strlen(key) > 400 ? 400 : strlen(key);
    int err = capa_store__put(txn, s->dbi[db], key, klen, v, 8, MDB_NODUPDATA);
    return err == CAPA_EEXISTS ? CAPA_OK : err;
}

static int idx_del(capa_store *s, MDB_txn *txn, int db, const char *key, uint64_t id)
{
    unsigned char v[8];
    if (!key || !*key)
        return CAPA_OK;
    capa_be64(v, id);
    size_t klen = strlen(key) > 400 ? 400 : strlen(key);
    return capa_store__del(txn, s->dbi[db], key, klen, v, 8);
}

/*
 * The header is read for every row of every list and scan, so it must stay small: LMDB puts
 * a value over ~2 KB on overflow pages of its own. Free text (the description) is kept in
 * the header only as a preview of HDR_PREVIEW bytes, cut at a UTF-8 character boundary; the
 * whole text is in the stage record.
 */
#define HDR_PREVIEW 120

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

/* Copy the intake values the header carries and move their index entries. */
static int sync_header(capa_store *s, MDB_txn *txn, capa_hdr *h, const capa_stage_record *intake)
{
    for (size_t i = 0; i < N_HEADER_FIELDS; i++) {
        char **slot = hdr_slot(h, i);
        const char *now = capa_stage__value(intake, header_fields[i].field);
        size_t len = now ? header_len(header_fields[i].field, now) : 0;
        if ((!now && !*slot) ||
            (now && *slot && strlen(*slot) == len && strncmp(now, *slot, len) == 0))
            continue;
        int db = header_fields[i].db, err = CAPA_OK;
        if (db >= 0 && ((err = idx_del(s, txn, db, *slot, h->id)) != CAPA_OK ||
                        (err = idx_put(s, txn, db, now, h->id)) != CAPA_OK))
            return err;
        char *copy = now ? capa__strndup(now, len) : NULL;
        if (now && !copy)
            return capa_error_set(CAPA_ENOMEM, "out of memory");
        capa__free(*slot);
        *slot = copy;
    }
    return CAPA_OK;
}

static int set_str(char **slot, const char *v)
{
    char *c = capa__strdup(v);
    if (!c)
        return capa_error_set(CAPA_ENOMEM, "out of memory");
    capa__free(*slot);
    *slot = c;
    return CAPA_OK;
}

static const char *stage_label(const capa_stage *st)
{
    return st->label_zh ? st->label_zh : st->id;
}

static void roles_text(char *buf, size_t sz, char *const *roles, size_t n)
{
    buf[0] = 0;
    for (size_t i = 0; i < n; i++) {
        if (i)
            strncat(buf, ", ", sz - strlen(buf) - 1);
        strncat(buf, roles[i], sz - strlen(buf) - 1);
    }
    if (!n)
        snprintf(buf, sz, "nobody");
}

/* Validate values against a form; on failure the message lists every violation. */
static int validate(capa_store *s, MDB_txn *txn, const char *what, const capa_formdef *form,
                    const capa_kv *values, size_t n, capa_required level)
{
    capa_diag diag = {0};
    int err = CAPA_OK;
    for (size_t i = 0; i < n; i++) {
        if (!values[i].name || !values[i].value) {
            capa_diag_add(&diag, "assignment %zu: missing name or value", i + 1);
            continue;
        }
        for (size_t j = 0; j < i; j++)
            if (values[j].name && strcmp(values[j].name, values[i].name) == 0) {
                capa_diag_add(&diag, "field `%.60s`: given twice", values[i].name);
                break;
            }
    }
    if (diag.n == 0)
        err = capa_form_validate(form, values, n, level, capa_user__exists_cb, txn, &diag);
    (void)s;
    if (diag.n) {
        char *msg = capa_diag_join(&diag, "; ");
        err = capa_error_set(msg ? CAPA_EINVALID : CAPA_ENOMEM, "%s: %s", what,
                             msg ? msg : "out of memory");
        capa__free(msg);
    } else if (err) {
        err = capa_error_set(err, "%s: validation failed (%s)", what, capa_strerror(err));
    }
    capa_diag_clear(&diag);
    return err;
}

/* ---- numbering ---- */

/* Expand a number pattern ("QC-{YYYY}-{NNNN}") for `now`. The counter key is the expanded
 * text before and after the counter, so numbering restarts whenever the year changes. */
static int make_number(capa_wtxn *t, char *out, size_t sz)
{
    char *pattern = NULL;
    char prefix[128] = "", suffix[128] = "", *dst = prefix;
    int width = 0, err = capa_meta__get_str(t->s, t->txn, "pattern", &pattern);
    if (err)
        return err;
    time_t secs = (time_t)(t->now / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    for (const char *p = pattern; *p;) {
        size_t used = strlen(dst);
        if (strncmp(p, "{YYYY}", 6) == 0) {
            snprintf(dst + used, 128 - used, "%04d", tm.tm_year + 1900);
            p += 6;
        } else if (strncmp(p, "{YY}", 4) == 0) {
            snprintf(dst + used, 128 - used, "%02d", tm.tm_year % 100);
            p += 4;
        } else if (strncmp(p, "{MM}", 4) == 0) {
            snprintf(dst + used, 128 - used, "%02d", tm.tm_mon + 1);
            p += 4;
        } else if (p[0] == '{' && p[1] == 'N') {
            for (p++; *p == 'N'; p++)
                width++;
            p++; /* '}' (checked at init) */
            dst = suffix;
        } else if (used + 1 < 128) {
            dst[used] = *p++;
            dst[used + 1] = 0;
        } else {
            p++;
        }
    }
    capa__free(pattern);
    char key[300];
    uint64_t ctr = 0;
    snprintf(key, sizeof key, "ctr:%s{}%s", prefix, suffix);
    err = capa_meta__get_u64(t->s, t->txn, key, &ctr);
    if (err && err != CAPA_ENOTFOUND)
        return err;
    ctr++;
    if ((err = capa_meta__put_u64(t->s, t->txn, key, ctr)) != CAPA_OK)
        return err;
    snprintf(out, sz, "%s%0*llu%s", prefix, width, (unsigned long long)ctr, suffix);
    return CAPA_OK;
}

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
                   (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '/' ||
                   *p == '.') {
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

/* ---- open ---- */

typedef struct open_arg {
    const capa_kv *values;
    size_t n;
    char *number;
} open_arg;

static int do_open(capa_wtxn *t, void *arg)
{
    open_arg *a = arg;
    capa_store *s = t->s;
    const capa_workflow *wf = NULL;
    const capa_formdef *form = NULL;
    capa_stage_record rec = {0};
    capa_hdr h = {0};
    capa_changes ch = {0};
    char number[160], roles[256];
    uint64_t id = 0;
    int err;
    /* capa_store__write runs this again after growing a full map: drop the first try's. */
    capa__free(a->number);
    a->number = NULL;
    if ((err = capa_store__workflow(&wf, s, t->txn)) != CAPA_OK)
        return err;
    const capa_stage *st = &wf->stages[0];
    if (!capa_role_in(st->editors, st->n_editors, t->actor->u.role)) {
        roles_text(roles, sizeof roles, st->editors, st->n_editors);
        return capa_error_set(CAPA_EDENIED,
                              "open: user `%s` has role %s; opening a case (stage %s %s) needs "
                              "role %s",
                              t->actor->u.id, t->actor->u.role, st->id, stage_label(st), roles);
    }
    if ((err = capa_store__form(&form, s, t->txn, st->form_id, 0)) != CAPA_OK ||
        (err = validate(s, t->txn, "open", form, a->values, a->n, CAPA_REQ_CREATE)) != CAPA_OK)
        return err;

    if ((err = capa_meta__get_u64(s, t->txn, "next_id", &id)) && err != CAPA_ENOTFOUND)
        return err;
    id = id ? id : 1;
    if ((err = capa_meta__put_u64(s, t->txn, "next_id", id + 1)) != CAPA_OK ||
        (err = make_number(t, number, sizeof number)) != CAPA_OK)
        return err;

    rec.form_version = form->version;
    rec.entered = t->now;
    if ((err = set_str(&rec.stage, st->id)) || (err = set_str(&rec.form_id, st->form_id)) ||
        (err = capa_stage__add_editor(&rec, t->actor->u.id)))
        goto done;
    for (size_t i = 0; i < a->n; i++) {
        if (!*a->values[i].value)
            continue;
        if ((err = capa_stage__set(&rec, a->values[i].name, a->values[i].value)) != CAPA_OK)
            goto done;
        capa_changes_add(&ch, a->values[i].name, NULL, a->values[i].value);
    }
    h.id = id;
    h.opened = h.stage_entered = t->now;
    if ((err = set_str(&h.number, number)) || (err = set_str(&h.stage, st->id)) ||
        (err = set_str(&h.opened_by, t->actor->u.id)) ||
        (err = sync_header(s, t->txn, &h, &rec)))
        goto done;
    unsigned char k[8], opened[8];
    capa_be64(k, id);
    capa_be64(opened, (uint64_t)t->now);
    err = capa_store__put(t->txn, s->dbi[DB_NUMBERS], number, strlen(number), k, 8,
                          MDB_NOOVERWRITE);
    if (err == CAPA_EEXISTS)
        err = capa_error_set(CAPA_EEXISTS,
                             "open: number %s already taken (was the number pattern changed?)",
                             number);
    if (err || (err = put_hdr(s, t->txn, &h, MDB_NOOVERWRITE)) ||
        (err = put_stage(s, t->txn, id, 0, &rec)) ||
        (err = idx_put(s, t->txn, DB_IDX_STAGE, st->id, id)) ||
        (err = capa_store__put(t->txn, s->dbi[DB_IDX_OPENED], opened, 8, k, 8, 0)))
        goto done;
    if (ch.oom) {
        err = capa_error_set(CAPA_ENOMEM, "open: out of memory");
        goto done;
    }
    err = capa_audit__append(t, t->actor->u.id, "open", number, id, st->id, NULL, ch.v, ch.n,
                             NULL);
    if (!err && !(a->number = capa__strdup(number)))
        err = capa_error_set(CAPA_ENOMEM, "open: out of memory");
done:
    capa_changes_clear(&ch);
    capa_stage_record_clear(&rec);
    capa_hdr_clear(&h);
    return err;
}

/* The single calls go through group commit too: alone they commit alone, and callers on
 * several threads (a server) share durable commits without doing anything special. */
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

int capa_case_open(char **out_number, capa_store *s, const capa_actor *who,
                   const capa_kv *values, size_t n)
{
    capa_request r = {.op = CAPA_OP_OPEN, .values = values, .n_values = n};
    *out_number = NULL;
    if (who)
        r.who = *who;
    return submit_one(s, &r, out_number);
}

/* ---- the current stage of an existing case ---- */

typedef struct case_ctx {
    const capa_workflow *wf;
    capa_hdr h;
    int idx; /* current stage index */
    const capa_stage *st;
    capa_stage_record rec;
} case_ctx;

static void case_ctx_clear(case_ctx *c)
{
    capa_hdr_clear(&c->h);
    capa_stage_record_clear(&c->rec);
}

/* Load the case and its current stage; refuse closed cases. */
static int load_current(capa_wtxn *t, const char *number, const char *verb, case_ctx *c)
{
    uint64_t id;
    memset(c, 0, sizeof *c);
    int err = capa_store__workflow(&c->wf, t->s, t->txn);
    if (err || (err = capa__case_id(t->s, t->txn, number, &id)) ||
        (err = get_hdr(t->s, t->txn, id, &c->h)))
        return err;
    if (c->h.closed) {
        char when[32];
        capa_time_format(when, sizeof when, c->h.closed_at);
        return capa_error_set(CAPA_ESTATE,
                              "%s %s: case closed (结案) at %s; an archived case is read-only",
                              verb, number, when);
    }
    c->idx = capa_workflow_stage_index(c->wf, c->h.stage);
    if (c->idx < 0)
        return capa_error_set(CAPA_ECORRUPT, "case %s: stage `%s` is not in the workflow",
                              number, c->h.stage);
    c->st = &c->wf->stages[c->idx];
    err = get_stage(t->s, t->txn, id, c->idx, &c->rec);
    if (err == CAPA_ENOTFOUND)
        err = capa_error_set(CAPA_ECORRUPT, "case %s: record of stage %s missing", number,
                             c->h.stage);
    return err;
}

/* The person complained about may sign nothing on the case (被投诉人应当回避). */
static int check_recusal(capa_wtxn *t, const case_ctx *c, const char *verb)
{
    if (c->h.subject_person && strcmp(c->h.subject_person, t->actor->u.id) == 0)
        return capa_error_set(CAPA_EDENIED,
                              "%s %s: user `%s` is the person complained about "
                              "(subject_person, 被投诉人) and is recused from this case",
                              verb, c->h.number, t->actor->u.id);
    return CAPA_OK;
}

/* ---- set ---- */

typedef struct set_arg {
    const char *number;
    const capa_kv *values;
    size_t n;
    const char *reason;
} set_arg;

static int do_set(capa_wtxn *t, void *arg)
{
    set_arg *a = arg;
    case_ctx c;
    capa_changes ch = {0};
    const capa_formdef *form = NULL;
    char what[200], roles[256];
    if (a->n == 0)
        return capa_error_set(CAPA_EINVALID, "set %s: no field=value given",
                              a->number ? a->number : "");
    int err = load_current(t, a->number, "set", &c);
    if (err)
        goto done;
    if (!capa_role_in(c.st->editors, c.st->n_editors, t->actor->u.role)) {
        roles_text(roles, sizeof roles, c.st->editors, c.st->n_editors);
        err = capa_error_set(CAPA_EDENIED,
                             "set %s: user `%s` has role %s; stage %s (%s) is edited by role %s",
                             a->number, t->actor->u.id, t->actor->u.role, c.st->id,
                             stage_label(c.st), roles);
        goto done;
    }
    snprintf(what, sizeof what, "set %s (stage %s)", a->number, c.st->id);
    if ((err = capa_store__form(&form, t->s, t->txn, c.rec.form_id, c.rec.form_version)) ||
        (err = validate(t->s, t->txn, what, form, a->values, a->n, CAPA_REQ_NO)))
        goto done;
    for (size_t i = 0; i < a->n; i++) {
        const char *old = capa_stage__value(&c.rec, a->values[i].name);
        const char *new = *a->values[i].value ? a->values[i].value : NULL;
        if ((!old && !new) || (old && new && strcmp(old, new) == 0))
            continue;
        capa_changes_add(&ch, a->values[i].name, old, new);
        if ((err = capa_stage__set(&c.rec, a->values[i].name, new)) != CAPA_OK)
            goto done;
    }
    if (ch.oom) {
        err = capa_error_set(CAPA_ENOMEM, "set: out of memory");
        goto done;
    }
    if (ch.n == 0) /* nothing changes: nothing to write or audit */
        goto done;
    if ((err = capa_stage__add_editor(&c.rec, t->actor->u.id)) ||
        (err = put_stage(t->s, t->txn, c.h.id, c.idx, &c.rec)))
        goto done;
    if (c.idx == 0 && ((err = sync_header(t->s, t->txn, &c.h, &c.rec)) ||
                       (err = put_hdr(t->s, t->txn, &c.h, 0))))
        goto done;
    err = capa_audit__append(t, t->actor->u.id, "set", c.h.number, c.h.id, c.st->id, a->reason,
                             ch.v, ch.n, NULL);
done:
    capa_changes_clear(&ch);
    case_ctx_clear(&c);
    return err;
}

int capa_case_set(capa_store *s, const char *number, const capa_actor *who,
                  const capa_kv *values, size_t n, const char *reason)
{
    capa_request r = {.op = CAPA_OP_SET, .number = number, .values = values, .n_values = n,
                      .reason = reason};
    if (who)
        r.who = *who;
    return submit_one(s, &r, NULL);
}

/* ---- sign and reject ---- */

static int put_sig(capa_wtxn *t, uint64_t id, const capa_signature *g)
{
    unsigned char k[16];
    void *buf = NULL;
    size_t len = 0;
    capa_be64(k, id);
    capa_be64(k + 8, g->seq);
    int err = capa_sig__encode(g, &buf, &len);
    if (!err)
        err = capa_store__put(t->txn, t->s->dbi[DB_SIGS], k, 16, buf, len, 0);
    capa__free(buf);
    return err;
}

/* Record a signature (or rejection) by the actor on the current stage. */
static int add_sig(capa_wtxn *t, case_ctx *c, const char *kind, const char *meaning,
                   const char *reason, const char *hash, uint64_t seq)
{
    capa_signature g = {0};
    g.seq = seq;
    g.stage = (char *)c->st->id;
    g.kind = (char *)kind;
    g.meaning = (char *)meaning;
    g.user = t->actor->u.id;
    g.name = t->actor->u.name;
    g.role = t->actor->u.role;
    g.reason = (char *)reason;
    g.time = t->now;
    memcpy(g.data_hash, hash, 65);
    return put_sig(t, c->h.id, &g);
}

/* Move the case to stage `to`: its record is created with the current form version when the
 * case reaches it for the first time, and keeps its data when the case comes back. */
static int enter_stage(capa_wtxn *t, case_ctx *c, int to)
{
    const capa_stage *st = &c->wf->stages[to];
    capa_stage_record rec;
    int err = get_stage(t->s, t->txn, c->h.id, to, &rec);
    if (err == CAPA_ENOTFOUND) {
        const capa_formdef *form = NULL;
        memset(&rec, 0, sizeof rec);
        if ((err = capa_store__form(&form, t->s, t->txn, st->form_id, 0)) ||
            (err = set_str(&rec.stage, st->id)) || (err = set_str(&rec.form_id, st->form_id)))
            goto done;
        rec.form_version = form->version;
    } else if (err) {
        return err;
    }
    rec.entered = t->now;
    rec.left = 0;
    if ((err = put_stage(t->s, t->txn, c->h.id, to, &rec)) ||
        (err = idx_del(t->s, t->txn, DB_IDX_STAGE, c->h.stage, c->h.id)) ||
        (err = idx_put(t->s, t->txn, DB_IDX_STAGE, st->id, c->h.id)) ||
        (err = set_str(&c->h.stage, st->id)))
        goto done;
    c->h.stage_entered = t->now;
done:
    capa_stage_record_clear(&rec);
    return err;
}

typedef struct sign_arg {
    const char *number;
    const char *meaning;
} sign_arg;

static int do_sign(capa_wtxn *t, void *arg)
{
    sign_arg *a = arg;
    case_ctx c;
    const capa_formdef *form = NULL;
    char hash[65], what[200], roles[256];
    uint64_t seq = 0;
    int err = load_current(t, a->number, "sign", &c);
    if (err)
        goto done;
    const capa_stage *st = c.st;
    if (!a->meaning || strcmp(a->meaning, st->sign_meaning) != 0) {
        err = capa_error_set(CAPA_EINVALID,
                             "sign %s: meaning '%.40s' does not fit: stage %s (%s) is signed off "
                             "as '%s' (%s)",
                             a->number, a->meaning ? a->meaning : "", st->id, stage_label(st),
                             st->sign_meaning, st->sign_meaning_zh ? st->sign_meaning_zh : "");
        goto done;
    }
    if (!capa_role_in(st->signers, st->n_signers, t->actor->u.role)) {
        roles_text(roles, sizeof roles, st->signers, st->n_signers);
        err = capa_error_set(CAPA_EDENIED,
                             "sign %s: user `%s` has role %s; '%s' on stage %s (%s) needs role %s",
                             a->number, t->actor->u.id, t->actor->u.role, st->sign_meaning,
                             st->id, stage_label(st), roles);
        goto done;
    }
    if ((err = check_recusal(t, &c, "sign")) != CAPA_OK)
        goto done;
    if (st->sign_independent) {
        for (size_t i = 0; i < c.rec.n_editors; i++)
            if (strcmp(c.rec.editors[i], t->actor->u.id) == 0) {
                err = capa_error_set(CAPA_EDENIED,
                                     "sign %s: user `%s` changed fields of stage %s; '%s' must "
                                     "come from someone who changed none (no self-approval)",
                                     a->number, t->actor->u.id, st->id, st->sign_meaning);
                goto done;
            }
    }
    snprintf(what, sizeof what, "sign %s: stage %s is not complete", a->number, st->id);
    if ((err = capa_store__form(&form, t->s, t->txn, c.rec.form_id, c.rec.form_version)) ||
        (err = validate(t->s, t->txn, what, form, c.rec.values, c.rec.n_values,
                        CAPA_REQ_SIGN)) ||
        (err = capa_stage__hash(hash, c.h.number, &c.rec)))
        goto done;

    int last = c.idx + 1 == (int)c.wf->n_stages;
    const char *next = last ? "closed" : c.wf->stages[c.idx + 1].id;
    char signer[300];
    snprintf(signer, sizeof signer, "%s %s (%s)", st->sign_meaning, t->actor->u.name,
             t->actor->u.role);
    capa_change ch[3] = {{"stage", st->id, next}, {"signature", NULL, signer},
                         {"data_hash", NULL, hash}};
    if ((err = capa_audit__append(t, t->actor->u.id, "sign", c.h.number, c.h.id, st->id, NULL,
                                  ch, 3, &seq)) ||
        (err = add_sig(t, &c, "sign", st->sign_meaning, NULL, hash, seq)))
        goto done;
    c.rec.left = t->now;
    if ((err = put_stage(t->s, t->txn, c.h.id, c.idx, &c.rec)) != CAPA_OK)
        goto done;
    if (last) {
        c.h.closed = 1;
        c.h.closed_at = t->now;
    } else if ((err = enter_stage(t, &c, c.idx + 1)) != CAPA_OK) {
        goto done;
    }
    err = put_hdr(t->s, t->txn, &c.h, 0);
done:
    case_ctx_clear(&c);
    return err;
}

int capa_case_sign(capa_store *s, const char *number, const capa_actor *who,
                   const char *meaning)
{
    capa_request r = {.op = CAPA_OP_SIGN, .number = number, .meaning = meaning};
    if (who)
        r.who = *who;
    return submit_one(s, &r, NULL);
}

/* A rejection from stage `from` back to `to` supersedes every standing signature of the
 * stages from `to` to `from`: the case passes them again and they will be signed anew. */
static int supersede(capa_wtxn *t, case_ctx *c, int to, int from)
{
    MDB_cursor *cur = NULL;
    unsigned char k0[16];
    capa_be64(k0, c->h.id);
    memset(k0 + 8, 0, 8);
    int rc = mdb_cursor_open(t->txn, t->s->dbi[DB_SIGS], &cur), err = CAPA_OK;
    MDB_val k = {16, k0}, v;
    rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    for (; rc == MDB_SUCCESS && memcmp(k.mv_data, k0, 8) == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        capa_signature g;
        if ((err = capa_sig__decode(&g, v.mv_data, v.mv_size)) != CAPA_OK)
            break;
        int idx = capa_workflow_stage_index(c->wf, g.stage);
        if (!g.superseded && strcmp(g.kind, "sign") == 0 && idx >= to && idx <= from) {
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

typedef struct reject_arg {
    const char *number;
    const char *reason;
} reject_arg;

/* A rejection must say why; checked before the password so a typo costs no login. */
static int check_reason(const char *number, const char *reason)
{
    const char *p = reason;
    while (p && (*p == ' ' || *p == '\t' || *p == '\n'))
        p++;
    if (!p || !*p)
        return capa_error_set(CAPA_EINVALID,
                              "reject %s: reason: empty; a rejection (审查 N) must say why",
                              number ? number : "");
    if (strlen(reason) > 4000)
        return capa_error_set(CAPA_EINVALID, "reject %s: reason: %zu bytes; at most 4000",
                              number ? number : "", strlen(reason));
    return CAPA_OK;
}

static int do_reject(capa_wtxn *t, void *arg)
{
    reject_arg *a = arg;
    case_ctx c;
    char hash[65], roles[256];
    uint64_t seq = 0;
    int err = check_reason(a->number, a->reason);
    if (err)
        return err;
    err = load_current(t, a->number, "reject", &c);
    if (err)
        goto done;
    const capa_stage *st = c.st;
    int to = st->reject_to ? capa_workflow_stage_index(c.wf, st->reject_to) : -1;
    if (to < 0) {
        err = capa_error_set(CAPA_ESTATE,
                             "reject %s: stage %s (%s) has no review that sends a case back; "
                             "only its sign-off '%s' leaves it",
                             a->number, st->id, stage_label(st), st->sign_meaning);
        goto done;
    }
    char *const *who = st->n_rejecters ? st->rejecters : st->signers;
    size_t n_who = st->n_rejecters ? st->n_rejecters : st->n_signers;
    if (!capa_role_in(who, n_who, t->actor->u.role)) {
        roles_text(roles, sizeof roles, who, n_who);
        err = capa_error_set(CAPA_EDENIED,
                             "reject %s: user `%s` has role %s; rejecting stage %s needs role %s",
                             a->number, t->actor->u.id, t->actor->u.role, st->id, roles);
        goto done;
    }
    if ((err = check_recusal(t, &c, "reject")) != CAPA_OK ||
        (err = capa_stage__hash(hash, c.h.number, &c.rec)) != CAPA_OK)
        goto done;
    capa_change ch[2] = {{"stage", st->id, c.wf->stages[to].id}, {"data_hash", NULL, hash}};
    if ((err = capa_audit__append(t, t->actor->u.id, "reject", c.h.number, c.h.id, st->id,
                                  a->reason, ch, 2, &seq)) ||
        (err = supersede(t, &c, to, c.idx)) ||
        (err = add_sig(t, &c, "reject", "rejected", a->reason, hash, seq)))
        goto done;
    c.rec.left = t->now;
    if ((err = put_stage(t->s, t->txn, c.h.id, c.idx, &c.rec)) ||
        (err = enter_stage(t, &c, to)))
        goto done;
    err = put_hdr(t->s, t->txn, &c.h, 0);
done:
    case_ctx_clear(&c);
    return err;
}

int capa_case_reject(capa_store *s, const char *number, const capa_actor *who,
                     const char *reason)
{
    capa_request r = {.op = CAPA_OP_REJECT, .number = number, .reason = reason};
    int err = check_reason(number, reason);
    if (who)
        r.who = *who;
    return err ? err : submit_one(s, &r, NULL);
}

/* ---- reading ---- */

void capa_case_free(capa_case *c)
{
    if (!c)
        return;
    capa__free(c->number);
    capa__free(c->stage);
    capa__free(c->opened_by);
    for (size_t i = 0; i < c->n_stages; i++)
        capa_stage_record_clear(&c->stages[i]);
    capa__free(c->stages);
    for (size_t i = 0; i < c->n_signatures; i++)
        capa_signature_clear(&c->signatures[i]);
    capa__free(c->signatures);
    capa__free(c);
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
    if ((err = capa_store__require_init(s, txn)) || (err = capa_store__workflow(&wf, s, txn)) ||
        (err = capa__case_id(s, txn, number, &id)) || (err = get_hdr(s, txn, id, &h)))
        goto done;
    if (!(c = capa__calloc(1, sizeof *c)) ||
        !(c->stages = capa__calloc(wf->n_stages, sizeof *c->stages))) {
        err = capa_error_set(CAPA_ENOMEM, "case: out of memory");
        goto done;
    }
    c->number = h.number, h.number = NULL;
    c->stage = h.stage, h.stage = NULL;
    c->opened_by = h.opened_by, h.opened_by = NULL;
    c->closed = h.closed;
    c->opened = h.opened;
    c->closed_at = h.closed_at;
    for (size_t i = 0; i < wf->n_stages; i++, c->n_stages++) {
        err = get_stage(s, txn, id, (int)i, &c->stages[i]);
        if (err == CAPA_ENOTFOUND) { /* not reached yet: an empty record naming its form */
            err = CAPA_OK;
            if ((err = set_str(&c->stages[i].stage, wf->stages[i].id)) ||
                (err = set_str(&c->stages[i].form_id, wf->stages[i].form_id)))
                goto done;
        } else if (err) {
            goto done;
        }
    }
    err = read_sigs(s, txn, id, c);
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

/* ---- listing ---- */

static int text_match(capa_store *s, MDB_txn *txn, const capa_hdr *h, const char *text)
{
    if (strstr(h->number, text))
        return 1;
    unsigned char k0[9];
    stage_key(k0, h->id, 0);
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
    if (f->closed >= 0 && h->closed != f->closed)
        return 0;
    if ((f->opened_from && h->opened < f->opened_from) || (f->opened_to && h->opened >= f->opened_to))
        return 0;
    return !f->text || !*f->text || text_match(s, txn, h, f->text);
}

typedef struct list_state {
    capa_store *s;
    MDB_txn *txn;
    const capa_filter *f;
    int (*cb)(const capa_case_header *, void *);
    void *payload;
    size_t n;
    int stop;
} list_state;

/* Offer one case header to the callback when it matches; consumes h when `owned`. */
static int visit_hdr(list_state *ls, capa_hdr *h_, int owned)
{
    capa_hdr h = *h_;
    if (matches(ls->s, ls->txn, &h, ls->f)) {
        capa_case_header ch = {h.number,      h.stage,        h.closed,   h.customer,
                               h.part_no,     h.lot_no,       h.defect_code, h.severity,
                               h.description, h.subject_person, h.opened, h.closed_at,
                               h.stage_entered};
        ls->stop = ls->cb(&ch, ls->payload);
        ls->n++;
        if (ls->f->limit && ls->n >= ls->f->limit && !ls->stop)
            ls->stop = -1;
    }
    if (owned)
        capa_hdr_clear(&h);
    return CAPA_OK;
}

/* One stored header: decoded into a stack arena (no allocation), or allocated when large. */
static int visit_raw(list_state *ls, const MDB_val *v)
{
    char arena[2048];
    capa_hdr h;
    int err = capa_hdr__decode_view(&h, v->mv_data, v->mv_size, arena, sizeof arena);
    if (err == CAPA_OK)
        return visit_hdr(ls, &h, 0);
    if (err != CAPA_ENOMEM)
        return err;
    if ((err = capa_hdr__decode(&h, v->mv_data, v->mv_size)) != CAPA_OK)
        return err;
    return visit_hdr(ls, &h, 1);
}

static int visit(list_state *ls, uint64_t id)
{
    unsigned char k[8];
    MDB_val v;
    capa_be64(k, id);
    int err = capa_store__get(ls->txn, ls->s->dbi[DB_CASES], k, 8, &v);
    if (err == CAPA_ENOTFOUND)
        return capa_error_set(CAPA_ECORRUPT, "case id %llu: header missing",
                              (unsigned long long)id);
    return err ? err : visit_raw(ls, &v);
}

int capa_case_list(capa_store *s, const capa_filter *filter,
                   int (*cb)(const capa_case_header *h, void *payload), void *payload)
{
    capa_filter none = {.closed = -1};
    const capa_filter *f = filter ? filter : &none;
    list_state ls = {s, NULL, f, cb, payload, 0, 0};
    MDB_cursor *cur = NULL;
    int err = capa_store__read_begin(s, &ls.txn);
    if (err)
        return err;
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
        k.mv_size = strlen(key) > 400 ? 400 : strlen(key);
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
            if ((err = visit_raw(&ls, &v)) != CAPA_OK)
                goto done;
    }
    if (rc && rc != MDB_NOTFOUND)
        err = capa_store__mdb_err(rc, "list");
done:
    if (cur)
        mdb_cursor_close(cur);
    capa_store__read_end(s, ls.txn);
    return err ? err : (ls.stop > 0 ? ls.stop : 0);
}

void capa_time_format(char *buf, size_t sz, int64_t ms)
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(buf, sz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- one request of a group commit (batch.c) ---- */

int capa_case__apply(capa_wtxn *t, void *arg)
{
    capa_request *rq = arg;
    int err;
    if (rq->op != CAPA_OP_OPEN && (!rq->number || !*rq->number))
        return capa_error_set(CAPA_EINVALID, "submit: no case number given");
    switch (rq->op) {
    case CAPA_OP_OPEN: {
        open_arg a = {rq->values, rq->n_values, NULL};
        if ((err = do_open(t, &a)) == CAPA_OK)
            rq->number_out = a.number;
        else
            capa__free(a.number);
        return err;
    }
    case CAPA_OP_SET: {
        set_arg a = {rq->number, rq->values, rq->n_values,
                     rq->reason && *rq->reason ? rq->reason : NULL};
        return do_set(t, &a);
    }
    case CAPA_OP_SIGN: {
        sign_arg a = {rq->number, rq->meaning};
        return do_sign(t, &a);
    }
    case CAPA_OP_REJECT: {
        reject_arg a = {rq->number, rq->reason};
        return do_reject(t, &a);
    }
    }
    return capa_error_set(CAPA_EINVALID, "submit: unknown request kind %d", (int)rq->op);
}

/* ---- counts per indexed value ---- */

int capa_case_count_by(capa_store *s, const char *field,
                       int (*cb)(const char *value, uint64_t count, void *payload),
                       void *payload)
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

/* ---- signatures against the data they signed ---- */

/* Every standing sign-off must still match the stage data it signed: signed stages cannot be
 * edited until a rejection supersedes their signatures, so a mismatch means the stored stage
 * record was changed behind the engine's back. Rejections are not checked: the stage they
 * send back is edited afterwards by design. */
int capa__verify_signatures(capa_store *s, MDB_txn *txn, uint64_t *out_bad_seq)
{
    const capa_workflow *wf = NULL;
    MDB_cursor *cur = NULL;
    capa_hdr h = {0};
    int err = capa_store__workflow(&wf, s, txn);
    if (err)
        return err;
    int rc = mdb_cursor_open(txn, s->dbi[DB_SIGS], &cur);
    MDB_val k, v;
    rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    for (; rc == MDB_SUCCESS && !err; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        capa_signature g;
        capa_stage_record rec;
        char hash[65];
        if (k.mv_size != 16)
            return capa_error_set(CAPA_ECORRUPT, "signature record with a bad key");
        uint64_t id = capa_get_be64(k.mv_data);
        if (h.id != id) {
            capa_hdr_clear(&h);
            if ((err = get_hdr(s, txn, id, &h)) != CAPA_OK)
                break;
        }
        if ((err = capa_sig__decode(&g, v.mv_data, v.mv_size)) != CAPA_OK)
            break;
        int idx = capa_workflow_stage_index(wf, g.stage);
        if (g.superseded || strcmp(g.kind, "sign") != 0) {
            capa_signature_clear(&g);
            continue;
        }
        if (idx < 0 || get_stage(s, txn, id, idx, &rec) != CAPA_OK) {
            err = capa_error_set(CAPA_ECORRUPT, "case %s: the stage %s signed by `%s` is missing",
                                 h.number, g.stage, g.user);
        } else {
            err = capa_stage__hash(hash, h.number, &rec);
            if (!err && strcmp(hash, g.data_hash) != 0)
                err = capa_error_set(CAPA_ECORRUPT,
                                     "case %s: stage %s no longer matches the data `%s` signed "
                                     "as '%s' (audit event %llu): the stage record was altered",
                                     h.number, g.stage, g.user, g.meaning,
                                     (unsigned long long)g.seq);
            capa_stage_record_clear(&rec);
        }
        if (err && out_bad_seq)
            *out_bad_seq = g.seq;
        capa_signature_clear(&g);
    }
    if (!err && rc && rc != MDB_NOTFOUND)
        err = capa_store__mdb_err(rc, "signatures");
    mdb_cursor_close(cur);
    capa_hdr_clear(&h);
    return err;
}
