/*
 * cmd_publish.c - `capa publish --pg CONNINFO [--follow]`: the plant's verified trail sent to
 * a group PostgreSQL database (docs/group.md), every event once and in order.
 *
 * Only what verifies: the whole store is verified (capa_store_verify) before anything is
 * sent, and only the events up to the head that verify saw are sent. PostgreSQL keeps each
 * plant's head (seq, hash) in capa.plants; a publish continues after it, and refuses a store
 * whose event at that seq has another hash (a rewritten history, or one restored from an
 * older backup and written to), naming the first sequence number that differs. Each batch is
 * one transaction: events by COPY, the derived records of the cases they touch replaced, the
 * head moved - so a kill, a lost connection or a PostgreSQL restart loses or repeats nothing.
 *
 * core/ knows nothing of PostgreSQL: this file reads the store through capa.h
 * (capa_audit_foreach_range, capa_case_get, capa_case_limits) and speaks libpq.
 */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

/* The DDL (schemas/group.sql), compiled in by forms/embed.cmake. */
const capa_embedded_file *capa_publish_sql(void);

/* ---- a growable text buffer for COPY data ---- */

typedef struct sbuf {
    char *p;
    size_t len, cap;
    int oom;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 4096;
        while (nc < b->len + n + 1)
            nc *= 2;
        char *q = realloc(b->p, nc);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = nc;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_str(sbuf *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n >= 0)
        sb_put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* One COPY text-format field: NULL as \N, backslash and control characters escaped. */
static void sb_field(sbuf *b, const char *s, int first)
{
    if (!first)
        sb_put(b, "\t", 1);
    if (!s) {
        sb_put(b, "\\N", 2);
        return;
    }
    const char *run = s;
    for (; *s; s++) {
        const char *esc = *s == '\\'   ? "\\\\"
                          : *s == '\n' ? "\\n"
                          : *s == '\r' ? "\\r"
                          : *s == '\t' ? "\\t"
                                       : NULL;
        if (!esc)
            continue;
        sb_put(b, run, (size_t)(s - run));
        sb_put(b, esc, 2);
        run = s + 1;
    }
    sb_put(b, run, (size_t)(s - run));
}

static void sb_u64(sbuf *b, uint64_t v)
{
    char t[32];
    snprintf(t, sizeof t, "%llu", (unsigned long long)v);
    sb_field(b, t, 0);
}

static void sb_int(sbuf *b, long long v)
{
    char t[32];
    snprintf(t, sizeof t, "%lld", v);
    sb_field(b, t, 0);
}

/* A time (ms since the epoch, UTC) as timestamptz; 0 as NULL when `zero_null`. */
static void sb_time(sbuf *b, int64_t ms, int zero_null)
{
    if (!ms && zero_null) {
        sb_field(b, NULL, 0);
        return;
    }
    char t[64];
    time_t sec = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    int frac = (int)(ms - (int64_t)sec * 1000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    snprintf(t, sizeof t, "%04d-%02d-%02d %02d:%02d:%02d.%03d+00", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
    sb_field(b, t, 0);
}

static void sb_end(sbuf *b)
{
    sb_put(b, "\n", 1);
}

/* ---- PostgreSQL ---- */

/* libpq's message on one line: its line breaks and tabs as spaces, no trailing space. */
const char *cli_pg_msg(PGconn *pg)
{
    static char buf[1024];
    size_t n = 0;
    for (const char *s = PQerrorMessage(pg); *s && n + 1 < sizeof buf; s++)
        if (*s == '\n' || *s == '\t') {
            if (n && buf[n - 1] != ' ')
                buf[n++] = ' ';
        } else {
            buf[n++] = *s;
        }
    while (n && buf[n - 1] == ' ')
        n--;
    buf[n] = '\0';
    return buf;
}

static int pg_ok(PGresult *r, ExecStatusType want)
{
    return r && PQresultStatus(r) == want;
}

/* Run a command that returns no rows; on failure report it naming `what`. */
static int pg_cmd(PGconn *pg, const char *sql, const char *what)
{
    PGresult *r = PQexec(pg, sql);
    int ok = pg_ok(r, PGRES_COMMAND_OK) || pg_ok(r, PGRES_TUPLES_OK);
    if (!ok)
        cli_error_rule(NULL, "publish", "cli.pg", "step", what, "detail", cli_pg_msg(pg), NULL);
    PQclear(r);
    return ok ? 0 : -1;
}

static int pg_copy(PGconn *pg, const char *table, const char *cols, const sbuf *b)
{
    char sql[512];
    snprintf(sql, sizeof sql, "COPY capa.%s (%s) FROM STDIN", table, cols);
    PGresult *r = PQexec(pg, sql);
    int ok = pg_ok(r, PGRES_COPY_IN);
    PQclear(r);
    if (ok && b->len)
        ok = PQputCopyData(pg, b->p, (int)b->len) == 1;
    if (PQputCopyEnd(pg, ok ? NULL : "capa publish: failed") != 1)
        ok = 0;
    while ((r = PQgetResult(pg)) != NULL) {
        if (!pg_ok(r, PGRES_COMMAND_OK))
            ok = 0;
        PQclear(r);
    }
    if (!ok) {
        char step[96];
        snprintf(step, sizeof step, "COPY into capa.%s", table);
        cli_error_rule(NULL, "publish", "cli.pg", "step", step, "detail", cli_pg_msg(pg), NULL);
    }
    return ok ? 0 : -1;
}

static PGconn *pg_connect(const char *conninfo, int quiet)
{
    PGconn *pg = PQconnectdb(conninfo);
    if (PQstatus(pg) != CONNECTION_OK) {
        if (!quiet)
            cli_error_rule(NULL, "publish", "cli.pg_connect", "detail", cli_pg_msg(pg), NULL);
        PQfinish(pg);
        return NULL;
    }
    if (pg_cmd(pg, "SET client_min_messages = warning", "client messages") ||
        pg_cmd(pg, "SET client_encoding = 'UTF8'", "client encoding") ||
        pg_cmd(pg, "SET synchronous_commit = on", "synchronous commit")) {
        PQfinish(pg);
        return NULL;
    }
    return pg;
}

/* ---- the publish ---- */

/* The most event text one batch gathers before it is sent. */
#define BATCH_BYTES ((size_t)32 << 20)

typedef struct touched {
    char *number;
    uint64_t last_seq;
} touched;

typedef struct publisher {
    cli *c;
    capa_store *s;
    const char *conninfo;
    const char *cert;
    size_t batch;
    int quiet;
    char plant[65];
    PGconn *pg;
    /* the head verify saw: what this run may send up to */
    uint64_t top_seq;
    char top_hash[65];
    /* what PostgreSQL says was published */
    uint64_t head_seq;
    char head_hash[65];
    /* one batch */
    sbuf events, cases, stages, values, rows, sigs, atts, limits;
    touched *t;
    size_t n_t, cap_t;
    uint64_t last_seq;
    char last_hash[65];
    int err;
} publisher;

static void batch_reset(publisher *p)
{
    sbuf *all[] = {&p->events, &p->cases, &p->stages, &p->values,
                   &p->rows,   &p->sigs,  &p->atts,   &p->limits};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
        all[i]->len = 0;
        all[i]->oom = 0;
    }
    for (size_t i = 0; i < p->n_t; i++)
        free(p->t[i].number);
    p->n_t = 0;
}

static void batch_free(publisher *p)
{
    batch_reset(p);
    sbuf *all[] = {&p->events, &p->cases, &p->stages, &p->values,
                   &p->rows,   &p->sigs,  &p->atts,   &p->limits};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        free(all[i]->p);
    free(p->t);
}

static int touch(publisher *p, const char *number, uint64_t seq)
{
    for (size_t i = 0; i < p->n_t; i++)
        if (strcmp(p->t[i].number, number) == 0) {
            p->t[i].last_seq = seq;
            return 0;
        }
    if (p->n_t == p->cap_t) {
        size_t nc = p->cap_t ? p->cap_t * 2 : 64;
        touched *q = realloc(p->t, nc * sizeof *q);
        if (!q)
            return -1;
        p->t = q;
        p->cap_t = nc;
    }
    if (!(p->t[p->n_t].number = strdup(number)))
        return -1;
    p->t[p->n_t++].last_seq = seq;
    return 0;
}

static char *json_text(json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return s;
}

static int event_cb(const capa_event *e, void *payload)
{
    publisher *p = payload;
    sbuf *b = &p->events;
    json_t *ch = json_array(), *facts = json_array();
    for (size_t i = 0; ch && i < e->n_changes; i++) {
        const capa_change *x = &e->changes[i];
        json_array_append_new(ch, json_pack("{s:s?, s:s?, s:s?}", "field", x->field, "old",
                                            x->old_value, "new", x->new_value));
    }
    for (size_t i = 0; facts && i < e->n_facts; i++)
        json_array_append_new(facts, json_pack("[s?, s?]", e->facts[i].name, e->facts[i].value));
    char *chs = json_text(ch), *fs = json_text(facts);
    if (!chs || !fs) {
        free(chs);
        free(fs);
        p->err = cli_oom(NULL, "publish");
        return 1;
    }
    sb_field(b, p->plant, 1);
    sb_u64(b, e->seq);
    sb_field(b, e->hash, 0);
    sb_time(b, e->time, 0);
    sb_field(b, e->actor ? e->actor : "", 0);
    sb_field(b, e->action ? e->action : "", 0);
    sb_field(b, e->case_number, 0);
    sb_field(b, e->stage, 0);
    sb_field(b, e->reason, 0);
    sb_field(b, chs, 0);
    sb_field(b, fs, 0);
    sb_int(b, e->version);
    sb_end(b);
    free(chs);
    free(fs);
    if (e->case_number && *e->case_number && touch(p, e->case_number, e->seq)) {
        p->err = cli_oom(NULL, "publish");
        return 1;
    }
    p->last_seq = e->seq;
    memcpy(p->last_hash, e->hash, 65);
    /* A batch ends early when its events are large (an archive import carries a whole
     * document): the rest go in the next transaction. */
    return p->events.len > BATCH_BYTES ? 2 : 0;
}

static const char *nz(const char *s)
{
    return s ? s : "";
}

/* A group row's value name "group.N.column": its parts, or 0 when it is a single field. */
static int split_row(const char *name, char *grp, size_t gsz, long *row, const char **col)
{
    const char *d1 = strchr(name, '.');
    if (!d1 || d1 == name || (size_t)(d1 - name) >= gsz)
        return 0;
    char *end;
    errno = 0;
    long n = strtol(d1 + 1, &end, 10);
    if (end == d1 + 1 || *end != '.' || !end[1] || errno || n < 1)
        return 0;
    memcpy(grp, name, (size_t)(d1 - name));
    grp[d1 - name] = '\0';
    *row = n;
    *col = end + 1;
    return 1;
}

/* The records derived from case t->number, as rows of the batch's COPY buffers. */
static int case_rows(publisher *p, const touched *t)
{
    capa_case *c = NULL;
    capa_limit_status *l = NULL;
    size_t nl = 0;
    int err = capa_case_get(&c, p->s, t->number);
    if (err == CAPA_ENOTFOUND)
        return 0; /* an event naming no stored case (e.g. a refused number) */
    if (err)
        return cli_fail(p->c, "publish", err);
    int64_t now = (int64_t)time(NULL) * 1000;
    if ((err = capa_case_limits(&l, &nl, p->s, c, now)) != CAPA_OK) {
        capa_case_free(c);
        return cli_fail(p->c, "publish", err);
    }
    const char *first = c->n_stages ? c->stages[0].stage : "";
    const char *sat = NULL;
    for (size_t i = 0; i < c->n_stages; i++) {
        const char *v = capa_case_value(c, c->stages[i].stage, "satisfaction");
        if (v && *v)
            sat = v;
    }
    sbuf *b = &p->cases;
    sb_field(b, p->plant, 1);
    sb_field(b, c->number, 0);
    sb_field(b, nz(c->workflow), 0);
    sb_field(b, nz(c->stage), 0);
    sb_field(b, c->closed ? "t" : "f", 0);
    sb_time(b, c->opened, 0);
    sb_time(b, c->closed ? c->closed_at : 0, 1);
    sb_field(b, c->opened_by, 0);
    static const char *const hdr[] = {"customer",       "part_no",  "lot_no",
                                      "defect_code",    "severity", "channel",
                                      "complaint_type", "validity", "responsible_dept"};
    for (size_t i = 0; i < sizeof hdr / sizeof *hdr; i++)
        sb_field(b, nz(capa_case_value(c, first, hdr[i])), 0);
    sb_field(b, nz(sat), 0);
    sb_field(b, nz(capa_case_value(c, first, "subject_person")), 0);
    sb_u64(b, t->last_seq);
    sb_end(b);
    for (size_t i = 0; i < c->n_stages; i++) {
        const capa_stage_record *r = &c->stages[i];
        b = &p->stages;
        sb_field(b, p->plant, 1);
        sb_field(b, c->number, 0);
        sb_field(b, r->stage, 0);
        sb_int(b, (long long)i + 1);
        sb_field(b, nz(r->form_id), 0);
        sb_int(b, r->form_version);
        sb_time(b, r->entered, 1);
        sb_time(b, r->left, 1);
        sb_end(b);
        for (size_t k = 0; k < r->n_values; k++) {
            char grp[256];
            long row;
            const char *col;
            if (split_row(r->values[k].name, grp, sizeof grp, &row, &col)) {
                b = &p->rows;
                sb_field(b, p->plant, 1);
                sb_field(b, c->number, 0);
                sb_field(b, r->stage, 0);
                sb_field(b, grp, 0);
                sb_int(b, row);
                sb_field(b, col, 0);
            } else {
                b = &p->values;
                sb_field(b, p->plant, 1);
                sb_field(b, c->number, 0);
                sb_field(b, r->stage, 0);
                sb_field(b, r->values[k].name, 0);
            }
            sb_field(b, nz(r->values[k].value), 0);
            sb_end(b);
        }
    }
    for (size_t i = 0; i < c->n_signatures; i++) {
        const capa_signature *g = &c->signatures[i];
        b = &p->sigs;
        sb_field(b, p->plant, 1);
        sb_field(b, c->number, 0);
        sb_u64(b, g->seq);
        sb_field(b, nz(g->stage), 0);
        sb_field(b, nz(g->kind), 0);
        sb_field(b, nz(g->meaning), 0);
        sb_field(b, nz(g->user), 0);
        sb_field(b, nz(g->name), 0);
        sb_field(b, nz(g->role), 0);
        sb_field(b, g->reason, 0);
        sb_time(b, g->time, 0);
        sb_field(b, g->data_hash, 0);
        sb_field(b, g->superseded ? "t" : "f", 0);
        sb_end(b);
    }
    for (size_t i = 0; i < c->n_attachments; i++) {
        const capa_attachment *a = &c->attachments[i];
        b = &p->atts;
        sb_field(b, p->plant, 1);
        sb_field(b, c->number, 0);
        sb_u64(b, a->seq);
        sb_field(b, nz(a->name), 0);
        sb_field(b, nz(a->stage), 0);
        sb_field(b, a->note, 0);
        sb_field(b, nz(a->mime), 0);
        sb_u64(b, a->size);
        sb_field(b, a->sha256, 0);
        sb_field(b, nz(a->user), 0);
        sb_field(b, nz(a->user_name), 0);
        sb_time(b, a->time, 0);
        sb_end(b);
    }
    for (size_t i = 0; i < nl; i++) {
        b = &p->limits;
        sb_field(b, p->plant, 1);
        sb_field(b, c->number, 0);
        sb_field(b, l[i].kind, 0);
        sb_int(b, (long long)i + 1);
        sb_printf(b, "\t%.17g", l[i].hours);
        sb_int(b, l[i].working_days);
        sb_time(b, l[i].start, 0);
        sb_time(b, l[i].due, 0);
        sb_time(b, l[i].warn, 0);
        sb_time(b, l[i].met, 1);
        sb_field(b, nz(l[i].state), 0);
        sb_time(b, now, 0);
        sb_end(b);
    }
    capa__free(l);
    capa_case_free(c);
    return 0;
}

/* The touched case numbers as a PostgreSQL text[] literal. */
static void numbers_array(sbuf *b, const publisher *p)
{
    sb_str(b, "{");
    for (size_t i = 0; i < p->n_t; i++) {
        sb_str(b, i ? ",\"" : "\"");
        for (const char *s = p->t[i].number; *s; s++) {
            if (*s == '"' || *s == '\\')
                sb_put(b, "\\", 1);
            sb_put(b, s, 1);
        }
        sb_str(b, "\"");
    }
    sb_str(b, "}");
}

/* Send events from..to (one transaction). 0 sent, -1 an error (reported), -2 PostgreSQL. */
static int send_batch(publisher *p, uint64_t from, uint64_t to)
{
    int err;
    PGresult *r = NULL;
    sbuf arr = {0};
    char seqtxt[32], headtxt[32];
    batch_reset(p);
    p->last_seq = 0;
    err = capa_audit_foreach_range(p->s, from, to, event_cb, p);
    if (err < 0)
        return cli_fail(p->c, "publish", err) ? -1 : -1;
    if (p->err)
        return -1;
    if (err == 2 && p->last_seq >= from && p->last_seq < to)
        to = p->last_seq; /* ended early: large events */
    if (to == p->top_seq && p->last_seq == to && strcmp(p->last_hash, p->top_hash) != 0) {
        char ev[24];
        snprintf(ev, sizeof ev, "%llu", (unsigned long long)to);
        return cli_error_rule(p->c, "publish", "cli.publish_changed", "event", ev, NULL) ? -1 : -1;
    }
    if (p->last_seq != to) {
        char last[24], want[24];
        snprintf(last, sizeof last, "%llu", (unsigned long long)p->last_seq);
        snprintf(want, sizeof want, "%llu", (unsigned long long)to);
        return cli_error_rule(p->c, "publish", "cli.publish_short", "last", last, "event", want,
                              NULL)
                   ? -1
                   : -1;
    }
    for (size_t i = 0; i < p->n_t; i++)
        if (case_rows(p, &p->t[i]))
            return -1;
    numbers_array(&arr, p);
    sbuf *all[] = {&p->events, &p->cases, &p->stages, &p->values, &p->rows,
                   &p->sigs,   &p->atts,  &p->limits, &arr};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        if (all[i]->oom) {
            free(arr.p);
            return cli_oom(NULL, "publish") ? -1 : -1;
        }

    int rc = -2;
    if (pg_cmd(p->pg, "BEGIN", "begin"))
        goto done;
    /* The head may only move from where this publish found it. */
    const char *hv[1] = {p->plant};
    r = PQexecParams(p->pg,
                     "SELECT head_seq, head_hash FROM capa.plants WHERE plant = $1 FOR UPDATE", 1,
                     NULL, hv, NULL, NULL, 0);
    if (!pg_ok(r, PGRES_TUPLES_OK) || PQntuples(r) != 1) {
        cli_error_rule(p->c, "publish", "cli.pg", "step", "reading the plant's head", "detail",
                       cli_pg_msg(p->pg), NULL);
        goto rollback;
    }
    if (strtoull(PQgetvalue(r, 0, 0), NULL, 10) != p->head_seq ||
        strcmp(PQgetvalue(r, 0, 1), p->head_hash) != 0) {
        char plant[17];
        snprintf(plant, sizeof plant, "%.16s", p->plant);
        cli_error_rule(p->c, "publish", "cli.publish_moved", "plant", plant, "event",
                       PQgetvalue(r, 0, 0), NULL);
        rc = -2; /* --follow reads the head again and goes on from there */
        goto rollback;
    }
    PQclear(r);
    r = NULL;
    if (pg_copy(p->pg, "events",
                "plant, seq, hash, time, actor, action, case_number, stage, reason, changes, "
                "facts, version",
                &p->events))
        goto rollback;
    const char *dv[2] = {p->plant, arr.p};
    r = PQexecParams(p->pg, "DELETE FROM capa.cases WHERE plant = $1 AND number = ANY($2::text[])",
                     2, NULL, dv, NULL, NULL, 0);
    if (!pg_ok(r, PGRES_COMMAND_OK)) {
        cli_error_rule(p->c, "publish", "cli.pg", "step", "replacing cases", "detail",
                       cli_pg_msg(p->pg), NULL);
        goto rollback;
    }
    PQclear(r);
    r = NULL;
    if (pg_copy(p->pg, "cases",
                "plant, number, workflow, stage, closed, opened, closed_at, opened_by, customer, "
                "part_no, lot_no, defect_code, severity, channel, complaint_type, validity, "
                "responsible_dept, satisfaction, subject_person, last_seq",
                &p->cases) ||
        pg_copy(p->pg, "stages",
                "plant, number, stage, position, form_id, form_version, entered, left_at",
                &p->stages) ||
        pg_copy(p->pg, "stage_values", "plant, number, stage, name, value", &p->values) ||
        pg_copy(p->pg, "stage_rows", "plant, number, stage, grp, row_no, col, value", &p->rows) ||
        pg_copy(p->pg, "signatures",
                "plant, number, seq, stage, kind, meaning, user_id, user_name, role, reason, "
                "time, data_hash, superseded",
                &p->sigs) ||
        pg_copy(p->pg, "attachments",
                "plant, number, seq, name, stage, note, mime, size, sha256, user_id, user_name, "
                "time",
                &p->atts) ||
        pg_copy(p->pg, "limits",
                "plant, number, kind, position, hours, working_days, start_at, due, warn, met, "
                "state, state_at",
                &p->limits))
        goto rollback;
    snprintf(seqtxt, sizeof seqtxt, "%llu", (unsigned long long)to);
    snprintf(headtxt, sizeof headtxt, "%llu", (unsigned long long)p->head_seq);
    const char *uv[4] = {p->plant, seqtxt, p->last_hash, headtxt};
    r = PQexecParams(p->pg,
                     "UPDATE capa.plants SET head_seq = $2, head_hash = $3, published_at = now() "
                     "WHERE plant = $1 AND head_seq = $4",
                     4, NULL, uv, NULL, NULL, 0);
    if (!pg_ok(r, PGRES_COMMAND_OK) || strcmp(PQcmdTuples(r), "1") != 0) {
        cli_error_rule(p->c, "publish", "cli.pg", "step", "moving the head", "detail",
                       cli_pg_msg(p->pg), NULL);
        goto rollback;
    }
    PQclear(r);
    r = NULL;
    if (pg_cmd(p->pg, "COMMIT", "commit"))
        goto done;
    p->head_seq = to;
    memcpy(p->head_hash, p->last_hash, 65);
    rc = 0;
    goto done;
rollback:
    PQclear(r);
    r = NULL;
    if (PQstatus(p->pg) == CONNECTION_OK)
        PQclear(PQexec(p->pg, "ROLLBACK"));
done:
    PQclear(r);
    free(arr.p);
    return rc;
}

/* The published hash of event `seq`, or "" when none. */
static int published_hash(publisher *p, uint64_t seq, char out[65])
{
    char t[32];
    snprintf(t, sizeof t, "%llu", (unsigned long long)seq);
    const char *v[2] = {p->plant, t};
    PGresult *r = PQexecParams(p->pg, "SELECT hash FROM capa.events WHERE plant = $1 AND seq = $2",
                               2, NULL, v, NULL, NULL, 0);
    int ok = pg_ok(r, PGRES_TUPLES_OK);
    out[0] = '\0';
    if (ok && PQntuples(r) == 1)
        snprintf(out, 65, "%s", PQgetvalue(r, 0, 0));
    if (!ok) {
        char step[64];
        snprintf(step, sizeof step, "reading event %s", t);
        cli_error_rule(p->c, "publish", "cli.pg", "step", step, "detail", cli_pg_msg(p->pg), NULL);
    }
    PQclear(r);
    return ok ? 0 : -2;
}

/*
 * Does the store (verified up to `top`) still extend what was published? 0 yes, -1 refused
 * (reported, naming the first event that differs), -2 PostgreSQL.
 */
static int check_extends(publisher *p, uint64_t top)
{
    char mine[65], theirs[65];
    uint64_t h = p->head_seq;
    if (!h)
        return 0;
    if (top >= h && capa_audit_hash_at(mine, p->s, h) == CAPA_OK && strcmp(mine, p->head_hash) == 0)
        return 0;
    /* Find the first event that differs: hashes chain, so once one differs all later do. */
    uint64_t lo = 1, hi = top < h ? top : h, first = hi + 1;
    while (lo <= hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (published_hash(p, mid, theirs))
            return -2;
        if (capa_audit_hash_at(mine, p->s, mid) != CAPA_OK)
            return cli_fail(p->c, "publish", CAPA_ECORRUPT) ? -1 : -1;
        if (strcmp(mine, theirs) != 0) {
            first = mid;
            hi = mid - 1;
        } else {
            lo = mid + 1;
        }
    }
    char plant[17], ev[24], head[24], last[24];
    snprintf(plant, sizeof plant, "%.16s", p->plant);
    snprintf(ev, sizeof ev, "%llu", (unsigned long long)first);
    snprintf(head, sizeof head, "%llu", (unsigned long long)h);
    snprintf(last, sizeof last, "%llu", (unsigned long long)top);
    if (first <= top)
        cli_error_rule(p->c, "publish", "cli.publish_rewritten", "plant", plant, "event", ev,
                       "head", head, NULL);
    else
        cli_error_rule(p->c, "publish", "cli.publish_behind", "plant", plant, "last", last, "head",
                       head, "event", ev, NULL);
    return -1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

/* Verify the store: the verified head in *top. 0, or -1 (reported: nothing is sent). */
static int verify_store(publisher *p, uint64_t *top, char top_hash[65])
{
    capa_verify_report *r = NULL;
    capa_verify_opts o = {.cert_path = p->cert};
    int err = capa_store_verify(&r, p->s, &o);
    if (err)
        return cli_fail(p->c, "publish: verify", err) ? -1 : -1;
    if (!r->ok) {
        cli_mismatches(p->c, "publish", r, 5);
        char n[24];
        snprintf(n, sizeof n, "%zu", r->n_total);
        cli_error_rule(p->c, "publish", "cli.publish_unverified", "count", n, NULL);
        capa_verify_report_free(r);
        return -1;
    }
    *top = r->seq;
    memcpy(top_hash, r->head, 65);
    capa_verify_report_free(r);
    return 0;
}

/* Connect, create the schema, register the plant and read its head. 0, -1, -2. */
static int pg_open(publisher *p)
{
    capa_store_info info = {0};
    int days = 0, rc = -2;
    PGresult *r = NULL;
    if (!(p->pg = pg_connect(p->conninfo, 0)))
        return -2;
    const capa_embedded_file *f = capa_publish_sql();
    if (pg_cmd(p->pg, f[0].data, "creating the schema (schemas/group.sql)"))
        goto done;
    if (capa_store_info_get(&info, p->s) != CAPA_OK ||
        capa_store_recurrence_days(p->s, &days) != CAPA_OK) {
        rc = cli_fail(p->c, "publish", CAPA_ERROR) ? -1 : -1;
        goto done;
    }
    char dtxt[16];
    snprintf(dtxt, sizeof dtxt, "%d", days);
    const char *v[5] = {p->plant, info.org, info.timezone, info.number_pattern, dtxt};
    /* A new plant is registered with head 0; a known one keeps its row as it is until this
     * store has been found to extend what was published (publish_once updates it then). */
    r = PQexecParams(p->pg,
                     "INSERT INTO capa.plants (plant, org, timezone, number_pattern, "
                     "recurrence_days) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (plant) DO NOTHING",
                     5, NULL, v, NULL, NULL, 0);
    if (!pg_ok(r, PGRES_COMMAND_OK)) {
        cli_error_rule(p->c, "publish", "cli.pg", "step", "registering the plant", "detail",
                       cli_pg_msg(p->pg), NULL);
        goto done;
    }
    PQclear(r);
    r = PQexecParams(p->pg, "SELECT head_seq, head_hash FROM capa.plants WHERE plant = $1", 1, NULL,
                     v, NULL, NULL, 0);
    if (!pg_ok(r, PGRES_TUPLES_OK) || PQntuples(r) != 1) {
        cli_error_rule(p->c, "publish", "cli.pg", "step", "reading the plant's head", "detail",
                       cli_pg_msg(p->pg), NULL);
        goto done;
    }
    p->head_seq = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
    snprintf(p->head_hash, sizeof p->head_hash, "%s", PQgetvalue(r, 0, 1));
    rc = 0;
done:
    PQclear(r);
    capa_store_info_clear(&info);
    if (rc) {
        PQfinish(p->pg);
        p->pg = NULL;
    }
    return rc;
}

/* The plant's organisation, zone, numbering and recurrence window as the store has them now.
 * 0 or -2. */
static int update_plant(publisher *p)
{
    capa_store_info info = {0};
    int days = 0, rc = -2;
    if (capa_store_info_get(&info, p->s) != CAPA_OK ||
        capa_store_recurrence_days(p->s, &days) != CAPA_OK) {
        capa_store_info_clear(&info);
        return cli_fail(p->c, "publish", CAPA_ERROR) ? -1 : -1;
    }
    char dtxt[16];
    snprintf(dtxt, sizeof dtxt, "%d", days);
    const char *v[5] = {p->plant, info.org, info.timezone, info.number_pattern, dtxt};
    PGresult *r = PQexecParams(p->pg,
                               "UPDATE capa.plants SET org = $2, timezone = $3, number_pattern = "
                               "$4, recurrence_days = $5 WHERE plant = $1",
                               5, NULL, v, NULL, NULL, 0);
    if (pg_ok(r, PGRES_COMMAND_OK))
        rc = 0;
    else
        cli_error_rule(p->c, "publish", "cli.pg", "step", "updating the plant", "detail",
                       cli_pg_msg(p->pg), NULL);
    PQclear(r);
    capa_store_info_clear(&info);
    return rc;
}

/* One publish: verify, check the chain extends, send in batches. 0, -1 refused, -2 PG. */
static int publish_once(publisher *p, uint64_t *sent)
{
    uint64_t top;
    char top_hash[65];
    *sent = 0;
    if (verify_store(p, &top, top_hash))
        return -1;
    p->top_seq = top;
    memcpy(p->top_hash, top_hash, 65);
    if (!p->pg) {
        int rc = pg_open(p);
        if (rc)
            return rc;
    }
    int rc = check_extends(p, top);
    if (rc)
        return rc;
    if ((rc = update_plant(p)) != 0)
        return rc;
    double t0 = now_s();
    uint64_t first = p->head_seq + 1;
    while (p->head_seq < top && !stopping) {
        uint64_t to = p->head_seq + p->batch < top ? p->head_seq + p->batch : top;
        if ((rc = send_batch(p, p->head_seq + 1, to)) != 0)
            break;
    }
    *sent = p->head_seq >= first ? p->head_seq - first + 1 : 0;
    double dt = now_s() - t0;
    if (*sent && !p->quiet) {
        char a[24], b[24], n[24], secs[32], rate[32], plant[20];
        snprintf(a, sizeof a, "%llu", (unsigned long long)first);
        snprintf(b, sizeof b, "%llu", (unsigned long long)p->head_seq);
        snprintf(n, sizeof n, "%llu", (unsigned long long)*sent);
        snprintf(secs, sizeof secs, "%.3f", dt);
        snprintf(rate, sizeof rate, "%.0f", dt > 0 ? (double)*sent / dt : 0.0);
        snprintf(plant, sizeof plant, "%.16s", p->plant);
        capa_refusal_param ps[] = {{"first", a},   {"last", b},     {"plant", plant},
                                   {"path", p->c->db}, {"count", n}, {"seconds", secs},
                                   {"rate", rate}, {"hash", p->head_hash}};
        cli_say_params(p->c, "say.published", ps, sizeof ps / sizeof ps[0]);
    }
    fflush(stdout);
    return rc;
}

int cmd_publish(cli *c, int argc, char **argv)
{
    const char *conninfo = NULL, *batch = NULL, *interval = NULL, *cert = NULL;
    int follow = 0, quiet = 0;
    const cli_opt opts[] = {{"--pg", &conninfo, NULL}, {"--follow", NULL, &follow},
                            {"--batch", &batch, NULL}, {"--interval", &interval, NULL},
                            {"--cert", &cert, NULL},   {"--quiet", NULL, &quiet},
                            {NULL, NULL, NULL}};
    int npos, rc;
    char crt[4096];
    CLI_PARSE(c, argc, argv, opts, &npos);
    if (npos > 0)
        return cli_unexpected(c, argv[0]);
    if (!conninfo && !(conninfo = getenv("CAPA_PG")))
        return cli_usage_rule(c, "cli.required", NULL, "option", "--pg CONNINFO", "hint", "env",
                              "env", "CAPA_PG", NULL);
    long nb = 1000, ms = 2000;
    char *end;
    if (batch) {
        nb = strtol(batch, &end, 10);
        if (*end || nb < 1 || nb > 1000000)
            return cli_usage_rule(c, "cli.range", batch, "option", "--batch", "unit", "events",
                                  "min", "1", "max", "1000000", NULL);
    }
    if (interval) {
        ms = strtol(interval, &end, 10);
        if (*end || ms < 10 || ms > 3600000)
            return cli_usage_rule(c, "cli.range", interval, "option", "--interval", "unit", "ms",
                                  "min", "10", "max", "3600000", NULL);
    }
    if (!cert) {
        cli_keys_path(c, crt, sizeof crt, "org.crt");
        if (access(crt, R_OK) == 0)
            cert = crt;
    }
    publisher p = {.c = c, .conninfo = conninfo, .cert = cert, .batch = (size_t)nb, .quiet = quiet};
    if ((rc = cli_store_open(&p.s, c, 0, 1)) != CLI_OK)
        return rc;
    if (capa_audit_hash_at(p.plant, p.s, 1) != CAPA_OK) {
        rc = cli_fail(c, "publish", CAPA_ESTATE);
        goto done;
    }
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    uint64_t sent = 0;
    if (!follow) {
        int r = publish_once(&p, &sent);
        rc = r ? CLI_ERROR : CLI_OK;
        if (!r && !sent && !quiet) {
            char plant[20], seq[24];
            snprintf(plant, sizeof plant, "%.16s", p.plant);
            snprintf(seq, sizeof seq, "%llu", (unsigned long long)p.head_seq);
            cli_say_rule(c, "say.publish_none", "plant", plant, "event", seq, NULL);
        }
        goto done;
    }
    /* --follow: publish what commits, poll every `ms`; reconnect when PostgreSQL is gone. */
    int first = 1;
    while (!stopping) {
        capa_store_info info = {0};
        int err = capa_store_info_get(&info, p.s);
        uint64_t n = info.n_events;
        capa_store_info_clear(&info);
        if (err) {
            rc = cli_fail(c, "publish", err);
            goto done;
        }
        if (!p.pg && !first) {
            /* PostgreSQL was gone: verify again only once it answers. */
            PGconn *probe = pg_connect(conninfo, 1);
            if (!probe)
                goto wait;
            PQfinish(probe);
        }
        if (first || !p.pg || p.head_seq < n) {
            int r = publish_once(&p, &sent);
            if (r == -1) {
                rc = CLI_ERROR;
                goto done;
            }
            if (r == -2) {
                /* PostgreSQL went away: start again from what it committed. */
                PQfinish(p.pg);
                p.pg = NULL;
            }
            first = 0;
        }
    wait:
        for (long waited = 0; waited < ms && !stopping; waited += 10)
            usleep(10000);
    }
    rc = CLI_OK;
done:
    PQfinish(p.pg);
    batch_free(&p);
    capa_store_close(p.s);
    return rc;
}
