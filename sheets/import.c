/*
 * import.c - a sheet becomes cases (capa_sheet_import): each row is read through the
 * mapping (header binding, value maps, date formats, the plant's time zone), checked cell
 * by cell against the stage forms so a problem names its column, then checked whole by the
 * engine (capa_import_check) and finally committed in group-commit batches
 * (capa_import_submit). Two passes over the file: nothing is written before every row was
 * checked, and memory holds one batch, not the file. A file cases came from before is
 * refused, or with opts->resume continued after the last row its earlier runs accounted for
 * (core keeps that mark per file: capa_import_source_get), as the file's next run.
 */
#include "rows.h"
#include "refusal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct run {
    capa_store *s;
    const capa_sheet_import_opts *o;
    capa_sheet_import_result *res;
    capa_import *im;
    capa_rowmap rm; /* the mapping, forms and zone each row is read with */
    capa_plant *plant;
    capa_map_binding b;
    int bound;
    int pass;
    /* the batch being read (rows, n_rows) in one of two buffers; the other may be in the
     * engine (work) while this one fills */
    capa_sheet_row *rows;
    size_t n_rows;
    capa_request *reqs;
    capa_sheet_row *buf_rows[2];
    capa_request *buf_reqs[2];
    int buf; /* which buffer rows/reqs are */
    struct engine_work {
        pthread_t th;
        int busy; /* a thread runs it; joined by settle() */
        int pass; /* 1: capa_import_check, 2: capa_import_submit */
        capa_import *im;
        capa_sheet_row *rows;
        size_t n_rows, nq;
        capa_request *reqs;
        capa_import_prep *prep; /* pass 2: the batch's form checks, done while the one
                                   before it committed */
    } work;
    /* rows found bad in pass 1, in order (skipped in pass 2) */
    uint64_t *bad;
    size_t n_bad, cap_bad, next_bad;
    /* sheet numbers seen in pass 1: 64-bit hashes, open addressing */
    uint64_t *seen;
    uint64_t *seen_row;
    size_t seen_cap, seen_n;
    FILE *rejects;
    int err;
    uint64_t seen_rows; /* data rows of this pass so far */
    /* resume: rows up to skip_to were done by earlier runs; this is run `run` */
    uint64_t skip_to, run;
    uint64_t last_row;   /* the last data row (pass 0 and 1) */
    uint64_t last_good;  /* the last row pass 1 found good: its event accounts for the rest */
    capa_sheet_row *cur; /* the row being converted */
    int oom;
    /* Pass 1's rows as read (a record per row, see spill_put): pass 2 replays them
     * instead of parsing the file again; NULL when there is none (it could not be written). */
    FILE *spill;
    char *sp_buf; /* replay: one row's cells */
    size_t sp_cap;
    const char **sp_cells;
    size_t sp_ncap;
} run;

static const capa_formdef *form_of(int stage, void *payload)
{
    run *u = payload;
    return stage >= 0 && stage < 64 ? u->rm.forms[stage] : NULL;
}

/* ---- problems and rejects ---- */

static void csv_cell(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void problem(run *u, const capa_sheet_problem *p)
{
    if (u->o->problem)
        u->o->problem(p, u->o->payload);
}

/* Problems found while converting a row wait in the row, so the report and the rejects
 * file come in row order (the engine's answers for a batch come at its flush). */
static void collect(const capa_sheet_problem *p, void *payload)
{
    run *u = payload;
    capa_sheet_row *r = u->cur;
    capa_sheet_problem *np = capa__realloc(r->probs, (r->n_probs + 1) * sizeof *np);
    if (!np) {
        u->oom = 1;
        return;
    }
    r->probs = np;
    capa_sheet_problem *q = &r->probs[r->n_probs++];
    q->row = p->row;
    q->column = capa__strdup(p->column);
    q->value = capa__strdup(p->value);
    q->rule = capa__strdup(p->rule);
    q->rule_id = p->rule_id; /* a static string */
    q->n_params = 0;
    q->params = NULL;
    capa_refusal_param *ps = p->n_params ? capa__calloc(p->n_params, sizeof *ps) : NULL;
    for (size_t k = 0; ps && k < p->n_params; k++) {
        ps[k].name = capa__strdup(p->params[k].name);
        ps[k].value = capa__strdup(p->params[k].value);
        q->n_params = k + 1;
        if (!ps[k].name || !ps[k].value)
            u->oom = 1;
    }
    q->params = ps;
    if (!q->column || !q->value || !q->rule || (p->n_params && !ps))
        u->oom = 1;
}

static int mark_bad(run *u, const capa_sheet_row *r, const char *reason)
{
    if (u->pass == 1) {
        if (u->n_bad == u->cap_bad) {
            size_t cap = u->cap_bad ? u->cap_bad * 2 : 64;
            uint64_t *nb = capa__realloc(u->bad, cap * sizeof *nb);
            if (!nb)
                return capa_error_set(CAPA_ENOMEM, "import: out of memory");
            u->bad = nb;
            u->cap_bad = cap;
        }
        u->bad[u->n_bad++] = r->row;
    }
    u->res->bad++;
    if (u->rejects) {
        for (size_t i = 0; i < u->b.n_cols; i++) {
            csv_cell(u->rejects, i < r->n_cells ? r->cells[i] : "");
            fputc(',', u->rejects);
        }
        char rowtxt[32];
        snprintf(rowtxt, sizeof rowtxt, "%llu", (unsigned long long)r->row);
        csv_cell(u->rejects, rowtxt);
        fputc(',', u->rejects);
        csv_cell(u->rejects, reason);
        fputs("\r\n", u->rejects);
    }
    return CAPA_OK;
}

/* ---- one row through the mapping ---- */
static uint64_t fnv(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h ? h : 1;
}

/* 0 when new, else the row that had it first. */
static uint64_t seen_number(run *u, const char *num, uint64_t rowno, int *oom)
{
    if (u->seen_n * 2 >= u->seen_cap) {
        size_t cap = u->seen_cap ? u->seen_cap * 2 : 1024;
        uint64_t *ns = capa__calloc(cap, sizeof *ns), *nr = capa__calloc(cap, sizeof *nr);
        if (!ns || !nr) {
            capa__free(ns);
            capa__free(nr);
            *oom = 1;
            return 0;
        }
        for (size_t i = 0; i < u->seen_cap; i++)
            if (u->seen[i]) {
                size_t k = u->seen[i] & (cap - 1);
                while (ns[k])
                    k = (k + 1) & (cap - 1);
                ns[k] = u->seen[i];
                nr[k] = u->seen_row[i];
            }
        capa__free(u->seen);
        capa__free(u->seen_row);
        u->seen = ns;
        u->seen_row = nr;
        u->seen_cap = cap;
    }
    uint64_t h = fnv(num);
    size_t k = h & (u->seen_cap - 1);
    while (u->seen[k]) {
        if (u->seen[k] == h)
            return u->seen_row[k];
        k = (k + 1) & (u->seen_cap - 1);
    }
    u->seen[k] = h;
    u->seen_row[k] = rowno;
    u->seen_n++;
    return 0;
}

/* ---- batches ---- */

static const char *part_header(run *u, capa_map_part part)
{
    for (size_t j = 0; j < u->o->map->n_columns; j++)
        if (u->o->map->columns[j].part == part)
            return u->o->map->columns[j].header;
    return "";
}

/* The column an engine message is about: the field it names, or the part of the case. */
static const char *column_of_message(run *u, const char *msg)
{
    const char *f = strstr(msg, "field `");
    if (strncmp(msg, "case number", 11) == 0)
        return part_header(u, CAPA_MAP_NUMBER);
    if (strncmp(msg, "opened ", 7) == 0)
        return part_header(u, CAPA_MAP_OPENED);
    if (strncmp(msg, "closed ", 7) == 0)
        return part_header(u, CAPA_MAP_CLOSED);
    if (!f)
        return "";
    f += 7;
    const char *e = strchr(f, '`');
    for (size_t j = 0; e && j < u->o->map->n_columns; j++) {
        const capa_map_column *c = &u->o->map->columns[j];
        if (c->field && strlen(c->field) == (size_t)(e - f) && strncmp(c->field, f, e - f) == 0)
            return c->header;
    }
    return "";
}

/* The engine's part of a batch: check it (pass 1) or commit it (pass 2). On the second core
 * while the main thread reads and maps the next batch; the answers stay in the requests. */
static void *engine_run(void *arg)
{
    struct engine_work *w = arg;
    if (w->nq && w->pass == 1)
        capa_import_check(w->im, w->reqs, w->nq);
    else if (w->nq)
        capa_import_submit_prepared(w->im, w->reqs, w->nq, w->prep);
    return NULL;
}

/* The engine's answers for the batch in u->work, taken in row order: problems reported,
 * bad rows marked (and written to the rejects file), the result counted. */
static int settle_results(run *u)
{
    struct engine_work *w = &u->work;
    int err = CAPA_OK;
    for (size_t i = 0, k = 0; i < w->n_rows && !err; i++) {
        capa_sheet_row *r = &w->rows[i];
        if (r->n_probs) {
            for (size_t j = 0; j < r->n_probs; j++)
                problem(u, &r->probs[j]);
            err = mark_bad(u, r, r->reason ? r->reason : r->probs[0].rule);
            continue;
        }
        capa_request *q = &w->reqs[k++];
        if (q->result == CAPA_OK && u->pass == 1) {
            u->last_good = r->row;
            if (u->o->planned)
                u->o->planned(r->row, r->number, r->kv, r->n, &r->facts, u->o->payload);
        }
        if (q->result == CAPA_OK) {
            if (u->pass == 2 && q->number_out) {
                u->res->imported++;
                u->res->closed += r->facts.closed_at != 0;
                if (!u->res->first[0])
                    snprintf(u->res->first, sizeof u->res->first, "%s", q->number_out);
                /* once per row: a bounded copy rather than snprintf */
                size_t nl = strnlen(q->number_out, sizeof u->res->last - 1);
                memcpy(u->res->last, q->number_out, nl);
                u->res->last[nl] = 0;
            }
            continue;
        }
        const char *msg = q->error ? q->error : capa_strerror(q->result);
        /* "import row N: " says what the problem report says already. */
        const char *rule = strncmp(msg, "import row ", 11) == 0 && strstr(msg, ": ")
                               ? strstr(msg, ": ") + 2
                               : msg;
        char reason[600];
        /* A value against its field's rules is reported by column, value and rule; what
         * concerns the row as a whole (a required field, its number) as the engine said. */
        capa_rowmap now = u->rm; /* reported now, not collected */
        now.problem = u->o->problem;
        now.payload = u->o->payload;
        if (!capa_sheet__explain(&now, r, reason, sizeof reason)) {
            /* The engine's refusal of the row, as data too (its first broken rule). */
            const capa_violation *x = q->refusal && q->refusal->n ? &q->refusal->v[0] : NULL;
            capa_sheet_problem p = {r->row,
                                    column_of_message(u, rule),
                                    "",
                                    rule,
                                    x ? x->rule : NULL,
                                    x ? x->n_params : 0,
                                    x ? x->params : NULL};
            problem(u, &p);
            snprintf(reason, sizeof reason, "%s", rule);
        }
        if ((err = mark_bad(u, r, reason)))
            break;
        /* In pass 2 a failure means the store changed since the check: all or nothing can no
         * longer hold, so stop here and say how far it got. */
        if (u->pass == 2 && !u->rejects) {
            err = capa__refuse(q->result, "import.stopped", NULL, NULL,
                               "row %llu: %s (rows before it were imported: %llu cases, %s to "
                               "%s; when the cause is fixed, --resume imports the rest)",
                               (unsigned long long)r->row, msg,
                               (unsigned long long)u->res->imported, u->res->first, u->res->last);
            capa__refusal_param("row", "%llu", (unsigned long long)r->row);
            capa__refusal_param("imported", "%llu", (unsigned long long)u->res->imported);
            capa__refusal_param("first", "%s", u->res->first);
            capa__refusal_param("last", "%s", u->res->last);
            capa__refusal_param("detail", "%s", msg);
        } else if (q->result == CAPA_EFULL || q->result == CAPA_ENOMEM || q->result == CAPA_ERROR) {
            err = capa_error_set(q->result, "%s", msg);
            capa_refusal_restore(q->refusal); /* the store full, say: as data too */
        }
    }
    return err;
}

/* Wait for the batch in the engine, if any, take its answers and free it. */
static int settle(run *u)
{
    struct engine_work *w = &u->work;
    int err;
    if (w->busy) {
        pthread_join(w->th, NULL);
        w->busy = 0;
    }
    capa_import_prep_free(w->prep);
    w->prep = NULL;
    if (!w->rows)
        return CAPA_OK;
    err = settle_results(u);
    for (size_t i = 0; i < w->nq; i++)
        capa_request_clear(&w->reqs[i]);
    for (size_t i = 0; i < w->n_rows; i++)
        capa_sheet__row_clear(&w->rows[i]);
    w->rows = NULL;
    w->n_rows = w->nq = 0;
    return err;
}

/*
 * Hand the batch read so far to the engine and read on into the other buffer: reading and
 * mapping batch k+1 overlaps checking (pass 1) or committing (pass 2) batch k. One batch at
 * a time is in the engine, in file order, so batches commit in order exactly as before; the
 * answers of batch k are taken (settle) before batch k+1 goes in, and a failure in pass 2
 * stops the import before the next batch is submitted.
 */
static int flush(run *u)
{
    struct engine_work *w = &u->work;
    capa_import_prep *prep = NULL;
    size_t nq = 0;
    for (size_t i = 0; i < u->n_rows; i++) {
        capa_sheet_row *r = &u->rows[i];
        if (r->n_probs)
            continue; /* refused while converting: the engine need not see it */
        r->facts.run = u->run;
        /* The last good row's event accounts for the rows set aside after it, so a file
         * whose last rows are bad reads as imported in full. */
        r->facts.through = u->pass == 2 && r->row == u->last_good ? u->last_row : 0;
        u->reqs[nq++] = (capa_request){.op = CAPA_OP_IMPORT,
                                       .number = r->number,
                                       .values = r->kv,
                                       .n_values = r->n,
                                       .import = &r->facts};
    }
    /* Pass 2: this batch's form checks here, while the batch before it commits on the other
     * thread; its commit then skips the checks whose forms and values are unchanged
     * (capa_import_prepare). Without a preparation (out of memory) it checks them itself. */
    if (u->pass == 2 && nq && capa_import_prepare(&prep, u->im, u->reqs, nq) != CAPA_OK)
        prep = NULL;
    int err = settle(u);
    if (err || !u->n_rows) {
        capa_import_prep_free(prep);
        return err;
    }
    w->prep = prep;
    w->pass = u->pass;
    w->im = u->im;
    w->rows = u->rows;
    w->n_rows = u->n_rows;
    w->reqs = u->reqs;
    w->nq = nq;
    u->buf ^= 1;
    u->rows = u->buf_rows[u->buf];
    u->reqs = u->buf_reqs[u->buf];
    u->n_rows = 0;
    /* Without a thread (none to be had) the batch runs here: the same work, one core. */
    if (pthread_create(&w->th, NULL, engine_run, w) == 0)
        w->busy = 1;
    else
        engine_run(w);
    return CAPA_OK;
}

static int on_row(const char *const *cells, size_t n, uint64_t rowno, void *payload)
{
    run *u = payload;
    char reason[600];
    int nbad = 0, err;
    if (!u->bound) {
        capa_diag diag = {0}, ignored = {0};
        err = capa_mapping_bind(&u->b, u->o->map, cells, n, &diag, &ignored);
        u->bound = 1;
        if (err) {
            char *msg = capa_diag_join(&diag, "; ");
            err = capa__refuse(err, "import.header", NULL, NULL, "%s: %s", u->rm.source,
                               msg ? msg : "out of memory");
            capa__refusal_param("detail", "%s", msg ? msg : "");
            capa__free(msg);
        } else if (u->pass == 1) {
            for (size_t i = 0; i < ignored.n && u->o->ignored; i++)
                u->o->ignored(ignored.msgs[i], u->o->payload);
            if (u->rejects) {
                fputs("\xEF\xBB\xBF", u->rejects);
                for (size_t i = 0; i < n; i++) {
                    csv_cell(u->rejects, cells[i]);
                    fputc(',', u->rejects);
                }
                csv_cell(u->rejects, "行号 / row");
                fputc(',', u->rejects);
                csv_cell(u->rejects, "错误原因 / reason");
                fputs("\r\n", u->rejects);
            }
        }
        capa_diag_clear(&diag);
        capa_diag_clear(&ignored);
        return err;
    }
    /* A row of empty cells is no record (Excel leaves them under a table). */
    size_t k;
    for (k = 0; k < n; k++)
        if (cells[k][strspn(cells[k], " \t\r\n")])
            break;
    if (k == n || rowno <= u->skip_to)
        return CAPA_OK;
    if (u->pass != 2)
        u->last_row = rowno;
    if (u->pass == 0)
        return CAPA_OK; /* only how far the file goes */
    if (u->pass == 2) {
        while (u->next_bad < u->n_bad && u->bad[u->next_bad] < rowno)
            u->next_bad++;
        if (u->next_bad < u->n_bad && u->bad[u->next_bad] == rowno)
            return CAPA_OK;
    } else {
        u->res->rows++;
    }
    u->seen_rows++;
    if (u->o->progress && u->seen_rows % 1000 == 0)
        u->o->progress(u->pass, u->seen_rows, u->pass == 2 ? u->res->rows : 0, u->o->payload);
    capa_sheet_row *r = &u->rows[u->n_rows];
    u->cur = r;
    if ((err = capa_sheet__convert(&u->rm, cells, n, rowno, r, u->rejects != NULL, &nbad, reason,
                                   sizeof reason))) {
        capa_sheet__row_clear(r);
        return capa_error_set(err, "row %llu: out of memory", (unsigned long long)rowno);
    }
    if (!nbad && r->number && u->pass == 1) {
        int oom = 0;
        uint64_t first = seen_number(u, r->number, rowno, &oom);
        if (oom) {
            capa_sheet__row_clear(r);
            return capa_error_set(CAPA_ENOMEM, "import: out of memory");
        }
        if (first) {
            char why[200];
            const char *col = "";
            for (size_t j = 0; j < u->o->map->n_columns; j++)
                if (u->o->map->columns[j].part == CAPA_MAP_NUMBER)
                    col = u->o->map->columns[j].header;
            snprintf(why, sizeof why, "case number given twice (first in row %llu)",
                     (unsigned long long)first);
            char f[24];
            snprintf(f, sizeof f, "%llu", (unsigned long long)first);
            capa_refusal_param fp = {"first", f};
            capa_sheet_problem p = {rowno, col, r->number, why, "sheet.number_twice", 1, &fp};
            collect(&p, u);
            snprintf(reason, sizeof reason, "%s: %s", col, why);
            nbad = 1;
        }
    }
    if (nbad && !(r->reason = capa__strdup(reason)))
        u->oom = 1;
    if (u->oom) {
        capa_sheet__row_clear(r);
        return capa_error_set(CAPA_ENOMEM, "import: out of memory");
    }
    u->n_rows++;
    if (u->n_rows == (u->o->batch ? u->o->batch : 10000))
        return flush(u);
    return CAPA_OK;
}

/* ---- pass 1's rows kept for pass 2 ----
 *
 * Pass 2 used to read and parse the file again (for an xlsx, unzip it and run libxml2's
 * reader over the sheet: ~half the main thread's work). Pass 1 now writes each row's cells as
 * read to an unlinked temporary file, and pass 2 replays them: the rows committed are the
 * bytes pass 1 hashed and checked, memory stays one row, the disk holds the cells' text once.
 * A row: its number (8 bytes), its cell count (4), the bytes that follow (8), then each cell
 * with its NUL. When the file cannot be made or written (a full /tmp), pass 2 reads the sheet
 * as before: the spill only saves work.
 */
/* An unlinked file in $TMPDIR (else /tmp), 0600; NULL when none can be made. */
static FILE *spill_open(void)
{
    const char *dir = getenv("TMPDIR");
    char path[4096];
    if (!dir || !*dir || strlen(dir) > 4000)
        dir = "/tmp";
    snprintf(path, sizeof path, "%s/capa-import-XXXXXX", dir);
    int fd = mkstemp(path);
    if (fd < 0)
        return NULL;
    unlink(path);
    FILE *f = fdopen(fd, "w+b");
    if (!f) {
        close(fd);
        return NULL;
    }
    setvbuf(f, NULL, _IOFBF, 1 << 18);
    return f;
}

static void spill_drop(run *u)
{
    if (u->spill)
        fclose(u->spill);
    u->spill = NULL;
}

static void spill_put(run *u, const char *const *cells, size_t n, uint64_t rowno)
{
    uint64_t bytes = 0;
    uint32_t n32 = (uint32_t)n;
    for (size_t i = 0; i < n; i++)
        bytes += strlen(cells[i]) + 1;
    if (fwrite(&rowno, sizeof rowno, 1, u->spill) != 1 ||
        fwrite(&n32, sizeof n32, 1, u->spill) != 1 ||
        fwrite(&bytes, sizeof bytes, 1, u->spill) != 1) {
        spill_drop(u);
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (fwrite(cells[i], strlen(cells[i]) + 1, 1, u->spill) != 1) {
            spill_drop(u);
            return;
        }
}

static int on_row(const char *const *cells, size_t n, uint64_t rowno, void *payload);

/* Pass 1: each row to the spill, then to the import. */
static int on_row_spill(const char *const *cells, size_t n, uint64_t rowno, void *payload)
{
    run *u = payload;
    if (u->spill)
        spill_put(u, cells, n, rowno);
    return on_row(cells, n, rowno, payload);
}

/* Pass 2: the rows of the spill through the import, as the reader gave them in pass 1. */
/* Room for n cell pointers in u->sp_cells (the rows handed back from the spill file or the
 * xlsx reader's chunks). */
static int cells_room(run *u, size_t n)
{
    if (n <= u->sp_ncap)
        return CAPA_OK;
    const char **nc = capa__realloc(u->sp_cells, n * sizeof *nc);
    if (!nc)
        return capa_error_set(CAPA_ENOMEM, "import: out of memory");
    u->sp_cells = nc;
    u->sp_ncap = n;
    return CAPA_OK;
}

static int spill_replay(run *u)
{
    int err = CAPA_OK;
    if (fflush(u->spill) != 0 || fseek(u->spill, 0, SEEK_SET) != 0)
        return capa_error_set(CAPA_ERROR, "%s: the rows kept from the check cannot be read",
                              u->rm.source);
    for (;;) {
        uint64_t rowno, bytes;
        uint32_t n;
        size_t got = fread(&rowno, sizeof rowno, 1, u->spill);
        if (got != 1)
            break;
        if (fread(&n, sizeof n, 1, u->spill) != 1 ||
            fread(&bytes, sizeof bytes, 1, u->spill) != 1 || bytes < n ||
            bytes > ((uint64_t)1 << 40))
            goto bad;
        if (bytes > u->sp_cap) {
            char *nb = capa__realloc(u->sp_buf, (size_t)bytes);
            if (!nb)
                return capa_error_set(CAPA_ENOMEM, "import: out of memory");
            u->sp_buf = nb;
            u->sp_cap = (size_t)bytes;
        }
        if ((err = cells_room(u, n)))
            return err;
        if (bytes && fread(u->sp_buf, (size_t)bytes, 1, u->spill) != 1)
            goto bad;
        size_t at = 0;
        for (uint32_t i = 0; i < n; i++) {
            const char *nul = memchr(u->sp_buf + at, 0, (size_t)bytes - at);
            if (!nul)
                goto bad;
            u->sp_cells[i] = u->sp_buf + at;
            at = (size_t)(nul - u->sp_buf) + 1;
        }
        if (at != bytes)
            goto bad;
        if ((err = on_row(u->sp_cells, n, rowno, u)))
            return err;
    }
    if (ferror(u->spill))
        goto bad;
    return CAPA_OK;
bad:
    return capa_error_set(CAPA_ERROR, "%s: the rows kept from the check cannot be read back",
                          u->rm.source);
}

/* ---- an xlsx sheet read on a thread of its own ----
 *
 * libxml2's reader over the sheet's XML is most of pass 1's work on the main thread for a
 * workbook (unzip, parse, shared strings): more than mapping the rows and more than the
 * engine's check of them. So the sheet is read on a third thread while the main thread maps
 * the rows it read and the engine checks the batch before: the rows come to on_row as before,
 * in order, the same bytes (copied in the spill's record format into one of two chunks, so
 * memory holds two chunks, not the sheet). What the reader refuses (a cell, a part) is
 * refused after the rows before it, as when it ran inline; a row refused by the import stops
 * the reader. Without a thread the sheet is read inline.
 */
#define XR_ROWS 256            /* rows per chunk */
#define XR_BYTES ((size_t)1 << 20) /* a chunk is handed over at this many bytes */

typedef struct xread {
    run *u;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char *buf[2]; /* per chunk: its rows, each as spill_put writes one */
    size_t len[2], cap[2];
    int full[2];  /* handed to the main thread (under mu) */
    int fill;     /* the reader's chunk */
    size_t nrows; /* the reader's: rows in its chunk */
    int done, stop, rc, oom;
    char *msg;        /* the reader's error message, when rc */
    capa_refusal *rf; /* and its refusal */
    capa_sheet_info info;
} xread;

static int xr_append(xread *x, const void *p, size_t n)
{
    int f = x->fill;
    if (x->len[f] + n > x->cap[f]) {
        size_t cap = x->cap[f] ? x->cap[f] : 65536;
        while (cap < x->len[f] + n)
            cap *= 2;
        char *nb = realloc(x->buf[f], cap);
        if (!nb)
            return -1;
        x->buf[f] = nb;
        x->cap[f] = cap;
    }
    memcpy(x->buf[f] + x->len[f], p, n);
    x->len[f] += n;
    return 0;
}

/* On the reader's thread: the row into the chunk; a full chunk to the main thread. */
static int xr_row(const char *const *cells, size_t n, uint64_t rowno, void *payload)
{
    xread *x = payload;
    uint64_t bytes = 0;
    uint32_t n32 = (uint32_t)n;
    for (size_t i = 0; i < n; i++)
        bytes += strlen(cells[i]) + 1;
    int bad = xr_append(x, &rowno, sizeof rowno) || xr_append(x, &n32, sizeof n32) ||
              xr_append(x, &bytes, sizeof bytes);
    for (size_t i = 0; i < n && !bad; i++)
        bad = xr_append(x, cells[i], strlen(cells[i]) + 1);
    if (bad) {
        x->oom = 1;
        return capa_error_set(CAPA_ENOMEM, "import: out of memory");
    }
    if (++x->nrows < XR_ROWS && x->len[x->fill] < XR_BYTES)
        return CAPA_OK;
    pthread_mutex_lock(&x->mu);
    x->full[x->fill] = 1;
    x->nrows = 0;
    pthread_cond_broadcast(&x->cv);
    x->fill ^= 1;
    while (x->full[x->fill] && !x->stop)
        pthread_cond_wait(&x->cv, &x->mu);
    int stop = x->stop;
    pthread_mutex_unlock(&x->mu);
    /* stopped: the import refused a row, and says why (this is not reported) */
    return stop ? CAPA_ERROR : CAPA_OK;
}

static void *xr_main(void *arg)
{
    xread *x = arg;
    int rc = capa_xlsx_read(x->u->o->path, x->u->o->sheet, xr_row, x, &x->info);
    pthread_mutex_lock(&x->mu);
    if (x->nrows)
        x->full[x->fill] = 1;
    if (rc && !x->stop) {
        const char *m = capa_error_last();
        x->msg = strdup(*m ? m : capa_strerror(rc));
        x->rf = capa_refusal_dup(capa_refusal_last());
    }
    x->rc = rc;
    x->done = 1;
    pthread_cond_broadcast(&x->cv);
    pthread_mutex_unlock(&x->mu);
    return NULL;
}

/* The rows of chunk f through the import (on the main thread). */
static int xr_take(xread *x, int f)
{
    run *u = x->u;
    size_t at = 0;
    while (at < x->len[f]) {
        uint64_t rowno, bytes;
        uint32_t n;
        memcpy(&rowno, x->buf[f] + at, sizeof rowno);
        memcpy(&n, x->buf[f] + at + 8, sizeof n);
        memcpy(&bytes, x->buf[f] + at + 12, sizeof bytes);
        at += 20;
        int err = cells_room(u, n);
        if (err)
            return err;
        const char *c = x->buf[f] + at;
        for (uint32_t i = 0; i < n; i++) {
            u->sp_cells[i] = c;
            c += strlen(c) + 1;
        }
        at += (size_t)bytes;
        if ((err = on_row_spill(u->sp_cells, n, rowno, u)))
            return err;
    }
    return CAPA_OK;
}

/* Pass 1 of a workbook: the sheet read on its own thread, its rows taken here in order. */
static int xlsx_pass_threaded(run *u, char sha[65])
{
    xread x;
    pthread_t th;
    int err = CAPA_OK, f = 0;
    memset(&x, 0, sizeof x);
    x.u = u;
    if ((err = capa_form_init()))
        return err;
    pthread_mutex_init(&x.mu, NULL);
    pthread_cond_init(&x.cv, NULL);
    if (pthread_create(&th, NULL, xr_main, &x) != 0) {
        pthread_mutex_destroy(&x.mu);
        pthread_cond_destroy(&x.cv);
        capa_sheet_info info;
        err = capa_xlsx_read(u->o->path, u->o->sheet, on_row_spill, u, &info);
        snprintf(sha, 65, "%s", info.sha256);
        return err;
    }
    for (;;) {
        pthread_mutex_lock(&x.mu);
        while (!x.full[f] && !x.done)
            pthread_cond_wait(&x.cv, &x.mu);
        int have = x.full[f];
        pthread_mutex_unlock(&x.mu);
        if (!have)
            break; /* the reader is done and every chunk taken */
        err = xr_take(&x, f);
        pthread_mutex_lock(&x.mu);
        x.len[f] = 0;
        x.full[f] = 0;
        if (err)
            x.stop = 1; /* the import refused a row: the reader stops too */
        pthread_cond_broadcast(&x.cv);
        pthread_mutex_unlock(&x.mu);
        if (err)
            break;
        f ^= 1;
    }
    pthread_join(th, NULL);
    if (!err && x.rc) {
        /* the reader's refusal, after the rows before it */
        err = capa_error_set(x.rc, "%s", x.msg ? x.msg : capa_strerror(x.rc));
        capa_refusal_restore(x.rf);
    }
    snprintf(sha, 65, "%s", x.info.sha256);
    free(x.msg);
    capa_refusal_free(x.rf);
    free(x.buf[0]);
    free(x.buf[1]);
    pthread_mutex_destroy(&x.mu);
    pthread_cond_destroy(&x.cv);
    return err;
}

static int read_pass(run *u, char sha[65])
{
    int err;
    u->bound = 0;
    u->seen_rows = 0;
    capa_map_binding_clear(&u->b);
    if (u->pass == 2 && u->spill) {
        /* Pass 1's rows: the bytes its reading hashed (and compared with the first). */
        err = spill_replay(u);
        snprintf(sha, 65, "%s", u->res->info.sha256);
    } else if (u->o->xlsx && u->pass == 1) {
        err = xlsx_pass_threaded(u, sha);
    } else if (u->o->xlsx) {
        capa_sheet_info info;
        err =
            capa_xlsx_read(u->o->path, u->o->sheet, u->pass == 1 ? on_row_spill : on_row, u, &info);
        snprintf(sha, 65, "%s", info.sha256);
    } else {
        err =
            capa_csv_read(u->o->path, &u->res->info, u->pass == 1 ? on_row_spill : on_row, u, sha);
    }
    if (!err && !u->bound)
        err = capa__refuse(CAPA_EINVALID, "import.empty", "file", u->o->path,
                           "%s: empty: no header row", u->o->path);
    if (!err)
        err = flush(u);
    /* The last batch's answers; after a failure, only waited for (its error is the one
     * reported unless the batch itself failed). */
    int last = settle(u);
    if (!err)
        err = last;
    for (size_t i = 0; i < u->n_rows; i++)
        capa_sheet__row_clear(&u->rows[i]);
    u->n_rows = 0;
    return err;
}

/* Where this run starts, from what the file's earlier runs did (src): a new file is run 1;
 * a file cases came from is refused unless resumed, and resumed after the last row its
 * events account for. Pass 0 reads how far the file goes, to tell a file imported in part
 * from one imported in full. */
static int resume_point(run *u, const capa_import_source *src, char sha[65])
{
    capa_sheet_import_result *out = u->res;
    const char *name = u->rm.source;
    int err;
    out->before = src->cases;
    if (!src->cases && !src->through) {
        if (u->o->resume)
            return capa__refuse(CAPA_ESTATE, "import.resume_none", "file", name,
                                "--resume: no import of %s (sha256 %s) was begun here: "
                                "--resume finishes an interrupted import of the same file, "
                                "byte for byte; a new or changed file is imported without it",
                                name, out->info.sha256);
        u->run = out->run = 1;
        return CAPA_OK;
    }
    if (!src->run) {
        int err_ = capa__refuse(CAPA_EEXISTS, "import.done_before", "file", name,
                                "%s (sha256 %s) was imported before: %llu cases came from it; a "
                                "file is imported once (fix or add rows in a new file)%s",
                                name, out->info.sha256, (unsigned long long)src->cases,
                                u->o->resume ? "; that import kept no runs (an earlier capa), so "
                                               "it cannot be resumed"
                                             : "");
        capa__refusal_param("cases", "%llu", (unsigned long long)src->cases);
        return err_;
    }
    u->pass = 0;
    if ((err = read_pass(u, sha)))
        return err;
    if (strcmp(sha, out->info.sha256) != 0)
        return capa__refuse(CAPA_ERROR, "import.file_changed", "file", u->o->path,
                            "%s: the file changed while it was read; nothing "
                            "imported",
                            u->o->path);
    out->last_row = u->last_row;
    out->after_row = src->through;
    out->complete = src->through >= u->last_row;
    if (!u->o->resume && out->complete) {
        err = capa__refuse(CAPA_EEXISTS, "import.done_before", "file", name,
                           "%s (sha256 %s) was imported before: %llu cases came from it, in %llu "
                           "run%s; a file is imported once (fix or add rows in a new file)",
                           name, out->info.sha256, (unsigned long long)src->cases,
                           (unsigned long long)src->run, src->run > 1 ? "s" : "");
        capa__refusal_param("cases", "%llu", (unsigned long long)src->cases);
        return err;
    }
    if (!u->o->resume) {
        err = capa__refuse(CAPA_EEXISTS, "import.partial", "file", name,
                           "%s (sha256 %s) was imported in part: %llu cases came from it, its "
                           "rows up to row %llu of %llu are done; `capa import --resume` with "
                           "the same file imports the rest",
                           name, out->info.sha256, (unsigned long long)src->cases,
                           (unsigned long long)src->through, (unsigned long long)u->last_row);
        capa__refusal_param("cases", "%llu", (unsigned long long)src->cases);
        capa__refusal_param("through", "%llu", (unsigned long long)src->through);
        capa__refusal_param("last", "%llu", (unsigned long long)u->last_row);
        return err;
    }
    u->skip_to = src->through;
    u->last_row = 0;
    u->run = out->run = src->run + 1;
    return CAPA_OK;
}

static int by_row(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int capa_sheet_import(capa_sheet_import_result *out, capa_store *s, const capa_actor *who,
                      const capa_sheet_import_opts *o)
{
    run u;
    int err;
    char sha[65];
    memset(out, 0, sizeof *out);
    memset(&u, 0, sizeof u);
    u.s = s;
    u.o = o;
    u.res = out;
    u.rm.map = o->map;
    u.rm.b = &u.b;
    u.rm.sha256 = out->info.sha256;
    u.rm.problem = collect;
    u.rm.payload = &u;
    const char *slash = strrchr(o->path, '/');
    u.rm.source = slash ? slash + 1 : o->path;
    if (o->xlsx) {
        if ((err = capa_sheet_hash(&out->info, o->path)))
            return err;
        snprintf(out->info.encoding, sizeof out->info.encoding, "utf-8");
    } else if ((err = capa_csv_probe(&out->info, o->path, o->encoding))) {
        return err;
    }
    size_t batch = o->batch ? o->batch : 10000;
    for (int i = 0; i < 2; i++)
        if (!(u.buf_rows[i] = capa__calloc(batch, sizeof *u.rows)) ||
            !(u.buf_reqs[i] = capa__calloc(batch, sizeof *u.reqs))) {
            err = capa_error_set(CAPA_ENOMEM, "import: out of memory");
            goto done;
        }
    u.rows = u.buf_rows[0];
    u.reqs = u.buf_reqs[0];
    if ((err = capa_import_begin(&u.im, s, who)) || (err = capa_store_workflow(&u.rm.wf, s)) ||
        (err = capa_plant_get(&u.plant, s)))
        goto done;
    u.rm.tz = capa_plant_tz(u.plant);
    for (size_t i = 0; i < u.rm.wf->n_stages && i < 64; i++)
        if ((err = capa_store_form(&u.rm.forms[i], s, u.rm.wf->stages[i].form_id, 0)))
            goto done;
    capa_diag diag = {0};
    if ((err = capa_mapping_check(o->map, u.rm.wf, form_of, &u, &diag))) {
        char *msg = capa_diag_join(&diag, "; ");
        err = capa__refuse(err, "import.mapping", "mapping", o->map->name,
                           "mapping %s does not fit the forms: %s", o->map->name, msg ? msg : "");
        capa__refusal_param("detail", "%s", msg ? msg : "");
        capa__free(msg);
        capa_diag_clear(&diag);
        goto done;
    }
    capa_diag_clear(&diag);
    capa_import_source src;
    if ((err = capa_import_source_get(&src, s, out->info.sha256)))
        goto done;
    if ((err = resume_point(&u, &src, sha)) || out->complete)
        goto done;
    struct stat a, b;
    if (o->rejects_path && stat(o->rejects_path, &b) == 0 && stat(o->path, &a) == 0 &&
        a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
        err = capa__refuse(CAPA_EINVALID, "import.rejects_same", "file", o->rejects_path,
                           "--skip-invalid %s: that is the file being imported", o->rejects_path);
        goto done;
    }
    if (o->rejects_path && !(u.rejects = fopen(o->rejects_path, "wb"))) {
        err = capa__refuse(CAPA_ERROR, "import.rejects_write", "file", o->rejects_path,
                           "%s: cannot be written", o->rejects_path);
        goto done;
    }
    /* Pass 2 replays pass 1's rows (spill_put); without a pass 2 there is nothing to keep. */
    if (!o->dry_run)
        u.spill = spill_open();
    u.pass = 1;
    if ((err = read_pass(&u, sha)))
        goto done;
    /* Pass 1 wrote every bad row: on disk before anything is committed, so the list of an
     * import killed in pass 2 is whole. */
    if (u.rejects && fflush(u.rejects) != 0) {
        err = capa__refuse(CAPA_ERROR, "import.rejects_write", "file", o->rejects_path,
                           "%s: write error", o->rejects_path);
        goto done;
    }
    if (strcmp(sha, out->info.sha256) != 0) {
        err = capa__refuse(CAPA_ERROR, "import.file_changed", "file", o->path,
                           "%s: the file changed while it was read; nothing "
                           "imported",
                           o->path);
        goto done;
    }
    if (u.n_bad && !o->rejects_path) {
        err = capa__refuse(CAPA_EINVALID, "import.bad_rows", "file", u.rm.source,
                           "%s: %llu of %llu rows are bad; nothing imported (fix them, or "
                           "set them aside with --skip-invalid FILE)",
                           u.rm.source, (unsigned long long)u.n_bad, (unsigned long long)out->rows);
        capa__refusal_param("bad", "%llu", (unsigned long long)u.n_bad);
        capa__refusal_param("rows", "%llu", (unsigned long long)out->rows);
        goto done;
    }
    if (o->dry_run)
        goto done;
    if (u.n_bad > 1)
        qsort(u.bad, u.n_bad, sizeof *u.bad, by_row);
    /* Pass 2 fills the same rows again: the facts point at the hash checked in pass 1. */
    u.pass = 2;
    if ((err = read_pass(&u, sha)))
        goto done;
    if (strcmp(sha, out->info.sha256) != 0)
        err = capa__refuse(CAPA_ERROR, "import.file_changed", "file", o->path,
                           "%s: the file changed during the import; the cases written name "
                           "the SHA-256 of the first reading (%s)",
                           o->path, out->info.sha256);
done:
    if (u.rejects && fclose(u.rejects) != 0 && !err)
        err = capa__refuse(CAPA_ERROR, "import.rejects_write", "file", o->rejects_path,
                           "%s: write error", o->rejects_path);
    capa_map_binding_clear(&u.b);
    capa_import_end(u.im);
    capa_plant_free(u.plant);
    for (int i = 0; i < 2; i++) {
        capa__free(u.buf_rows[i]);
        capa__free(u.buf_reqs[i]);
    }
    capa__free(u.bad);
    capa__free(u.seen);
    capa__free(u.seen_row);
    spill_drop(&u);
    capa__free(u.sp_buf);
    capa__free(u.sp_cells);
    return err;
}
