/*
 * rows.c - one row of a sheet through a mapping (rows.h): cells trimmed, line breaks made LF,
 * value maps and choice labels applied, dates read in the mapping's formats and the plant's
 * time zone, each cell checked against its field's rules, so that every problem names its
 * row, column, value and rule. No store is needed: the fuzz harness drives it too.
 */
#include "rows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void capa_sheet__row_clear(capa_sheet_row *r)
{
    for (size_t i = 0; i < r->n_probs; i++) {
        capa__free((char *)r->probs[i].column);
        capa__free((char *)r->probs[i].value);
        capa__free((char *)r->probs[i].rule);
        for (size_t k = 0; k < r->probs[i].n_params; k++) {
            capa__free((char *)r->probs[i].params[k].name);
            capa__free((char *)r->probs[i].params[k].value);
        }
        capa__free((void *)r->probs[i].params);
    }
    capa__free(r->probs);
    capa__free(r->reason);
    capa__free(r->arena);
    capa__free(r->kv);
    capa__free(r->number);
    for (size_t i = 0; i < r->n_cells; i++)
        capa__free(r->cells[i]);
    capa__free(r->cells);
    memset(r, 0, sizeof *r);
}

/*
 * A row's names and values go into one block (r->arena) instead of two allocations each: the
 * block may move while it grows, so kv holds offsets (the scratch after kv's capacity) until
 * arena_done points them at the final block.
 */
typedef struct arena {
    size_t len, cap;
    size_t *off; /* 2 per value: name, value */
} arena;

static int arena_add(capa_sheet_row *r, arena *a, const char *s1, const char *s2, const char *s3)
{
    size_t l1 = strlen(s1), l2 = strlen(s2), l3 = strlen(s3);
    if (a->len + l1 + l2 + l3 + 1 > a->cap) {
        size_t cap = a->cap ? a->cap : 512;
        while (a->len + l1 + l2 + l3 + 1 > cap)
            cap *= 2;
        char *nb = capa__realloc(r->arena, cap);
        if (!nb)
            return CAPA_ENOMEM;
        r->arena = nb;
        a->cap = cap;
    }
    char *o = r->arena + a->len;
    memcpy(o, s1, l1);
    memcpy(o + l1, s2, l2);
    memcpy(o + l1 + l2, s3, l3 + 1);
    a->len += l1 + l2 + l3 + 1;
    return CAPA_OK;
}

/* value number r->n: the name (stage id, ":" when there is one, field), then the value. */
static int add_value(capa_sheet_row *r, arena *a, const char *stage, const char *field,
                     const char *value)
{
    a->off[2 * r->n] = a->len;
    if (arena_add(r, a, stage, *stage ? ":" : "", field))
        return CAPA_ENOMEM;
    a->off[2 * r->n + 1] = a->len;
    if (arena_add(r, a, value, "", ""))
        return CAPA_ENOMEM;
    r->n++;
    return CAPA_OK;
}

static void arena_done(capa_sheet_row *r, const arena *a)
{
    for (size_t i = 0; i < r->n; i++) {
        r->kv[i].name = r->arena + a->off[2 * i];
        r->kv[i].value = r->arena + a->off[2 * i + 1];
    }
}

/* Trimmed copy with CRLF and lone CR turned into LF (stored text keeps one convention), into
 * buf[sz] when it fits (a cell of a usual sheet), else into memory of its own. */
static char *clean(const char *s, char *buf, size_t sz)
{
    size_t len = strlen(s);
    while (len && strchr(" \t\r\n", *s))
        s++, len--;
    while (len && strchr(" \t\r\n", s[len - 1]))
        len--;
    char *out = len < sz ? buf : capa__malloc(len + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\r') {
            *o++ = '\n';
            if (i + 1 < len && s[i + 1] == '\n')
                i++;
        } else {
            *o++ = s[i];
        }
    }
    *o = 0;
    return out;
}

static int64_t date_ms(const capa_rowmap *u, const capa_sheet_date *d)
{
    return capa_tz_utc(u->tz, d->year, d->month, d->day, d->hour, d->minute, d->second);
}

/* A bad cell: reported as text (why) and as data - rule id `rule`, or the first violation of
 * `d` (form validation) with its parameters, or ps[0..nps) for the sheet's own rules. */
static void bad_cell(const capa_rowmap *u, uint64_t rowno, const char *col, const char *val,
                     const char *why, const char *rule, const capa_diag *d,
                     const capa_refusal_param *ps, size_t nps, int *nbad, char *reason, size_t rsz)
{
    capa_refusal_param dp[CAPA_DIAG_PARAMS];
    if (d && d->items && d->n && d->items[0].rule) {
        const capa_diag_item *it = &d->items[0];
        rule = it->rule;
        nps = 0;
        for (size_t k = 0; k < it->n_params && k < CAPA_DIAG_PARAMS; k++)
            dp[nps++] = (capa_refusal_param){it->pname[k], it->pval[k]};
        ps = dp;
    }
    capa_sheet_problem p = {rowno, col ? col : "", val ? val : "", why, rule, ps ? nps : 0, ps};
    if (u->problem)
        u->problem(&p, u->payload);
    if (!*nbad)
        snprintf(reason, rsz, "%s: %s", col && *col ? col : "row", why);
    (*nbad)++;
}

/* Convert the cells of one data row; problems are reported, *nbad counts them. */
int capa_sheet__convert(const capa_rowmap *u, const char *const *cells, size_t n, uint64_t rowno,
                        capa_sheet_row *r,
                   int keep_cells, int *nbad, char *reason, size_t rsz)
{
    const capa_mapping *m = u->map;
    int status = -1; /* -1 none given, 0 open, 1 closed */
    const char *closed_cell = NULL, *closed_col = NULL, *status_col = NULL;
    int err = CAPA_OK;
    char why[400];
    memset(r, 0, sizeof *r);
    r->row = rowno;
    *nbad = 0;
    reason[0] = 0;
    /* BAD(rule, d, params, n, column, value, English...) */
#define BAD(rule, d, ps, nps, col, val, ...)                                                       \
    do {                                                                                           \
        snprintf(why, sizeof why, __VA_ARGS__);                                                    \
        bad_cell(u, rowno, (col), (val), why, (rule), (d), (ps), (nps), nbad, reason, rsz);        \
    } while (0)
    /* kv's room: a value per mapped column at most, and after it the arena's offsets. */
    size_t room = m->n_columns ? m->n_columns : 1;
    if (!(r->kv = capa__malloc(room * (sizeof *r->kv + 2 * sizeof(size_t)))))
        return CAPA_ENOMEM;
    arena ar = {0, 0, (size_t *)(void *)(r->kv + room)};
    char cellbuf[1024];
    if (keep_cells && !(r->cells = capa__calloc(n ? n : 1, sizeof *r->cells)))
        return CAPA_ENOMEM;
    for (size_t i = 0; keep_cells && i < n; i++) {
        if (!(r->cells[i] = capa__strdup(cells[i])))
            return CAPA_ENOMEM;
        r->n_cells = i + 1;
    }
    if (n > u->b->n_cols)
        for (size_t i = u->b->n_cols; i < n; i++)
            if (cells[i][strspn(cells[i], " \t\r\n")]) {
                char col[32];
                snprintf(col, sizeof col, "column %zu", i + 1);
                BAD("sheet.beyond_header", NULL, NULL, 0, col, cells[i],
                    "a value beyond the last column of the header");
                break;
            }
    for (size_t j = 0; j < m->n_columns; j++) {
        const capa_map_column *c = &m->columns[j];
        int at = u->b->col_of[j];
        if (at < 0 || (size_t)at >= n)
            continue;
        char *text = clean(cells[at], cellbuf, sizeof cellbuf);
        if (!text)
            return CAPA_ENOMEM;
        const char *col = u->b->headers[at];
        capa_sheet_date d;
        if (!*text) {
            if (text != cellbuf)
                capa__free(text);
            continue;
        }
        switch (c->part) {
        case CAPA_MAP_NUMBER:
            if (!(r->number = capa__strdup(text)))
                err = CAPA_ENOMEM;
            break;
        case CAPA_MAP_OPENED:
            if (!capa_mapping_date(&d, m, c, text, why, sizeof why)) {
                char w2[400];
                snprintf(w2, sizeof w2, "%s", why);
                BAD("sheet.date", NULL, NULL, 0, col, text, "%s", w2);
            } else {
                r->facts.opened = date_ms(u, &d);
            }
            break;
        case CAPA_MAP_CLOSED:
            if (!capa_mapping_date(&d, m, c, text, why, sizeof why)) {
                char w2[400];
                snprintf(w2, sizeof w2, "%s", why);
                BAD("sheet.date", NULL, NULL, 0, col, text, "%s", w2);
            } else {
                r->facts.closed_at = date_ms(u, &d);
                closed_cell = cells[at];
                closed_col = col;
            }
            break;
        case CAPA_MAP_STATUS: {
            const char *v = capa_mapping_value(c, text);
            status_col = col;
            if (strcmp(v, "open") == 0)
                status = 0;
            else if (strcmp(v, "closed") == 0)
                status = 1;
            else {
                char known[300] = "";
                for (size_t k = 0; k < c->n_values; k++) {
                    size_t used = strlen(known);
                    snprintf(known + used, sizeof known - used, "%s%s = %s", k ? ", " : "",
                             c->values[k].from, c->values[k].to);
                }
                capa_refusal_param kp = {"known", known};
                BAD("sheet.status", NULL, &kp, 1, col, text, "is not a status of this mapping (%s)",
                    known);
            }
            break;
        }
        case CAPA_MAP_FIELD:
            break;
        }
        if (err) {
            if (text != cellbuf)
                capa__free(text);
            return err;
        }
        if (c->field) {
            int st = c->stage ? capa_workflow_stage_index(u->wf, c->stage) : 0;
            const capa_formdef *f = (st >= 0 && st < 64 ? u->forms[st] : NULL);
            const capa_field *fld = capa_formdef_field(f, c->field);
            const char *v = capa_mapping_value(c, text);
            char iso[40];
            v = capa_form_normalize(f, c->field, v);
            /* A date field takes the sheet's dates in the mapping's formats. */
            if (fld && (fld->type == CAPA_FT_DATE || fld->type == CAPA_FT_DATETIME) &&
                capa_mapping_date(&d, m, c, v, NULL, 0)) {
                if (fld->type == CAPA_FT_DATE) {
                    snprintf(iso, sizeof iso, "%04d-%02d-%02d", d.year, d.month, d.day);
                } else {
                    char t[32];
                    capa_time_format(t, sizeof t, date_ms(u, &d));
                    snprintf(iso, sizeof iso, "%s", t);
                }
                v = iso;
            }
            capa_kv one = {c->field, v};
            capa_diag diag = {0};
            if (u->check_cells &&
                capa_form_validate(f, &one, 1, CAPA_REQ_NO, NULL, NULL, &diag) != CAPA_OK &&
                diag.n) {
                /* "field `x`: value 'v' RULE": keep the rule. */
                const char *msg = diag.msgs[0], *q = strstr(msg, "' ");
                BAD(NULL, &diag, NULL, 0, col, text, "%s (%s)", q ? q + 2 : msg, c->field);
            } else if (add_value(r, &ar, st > 0 ? u->wf->stages[st].id : "", c->field, v)) {
                err = CAPA_ENOMEM;
            }
            capa_diag_clear(&diag);
        }
        if (text != cellbuf)
            capa__free(text);
        if (err)
            return err;
    }
    int opened_col = -1;
    for (size_t j = 0; j < m->n_columns; j++)
        if (m->columns[j].part == CAPA_MAP_OPENED)
            opened_col = (int)j;
    if (!r->facts.opened && opened_col >= 0) {
        const capa_map_column *c = &m->columns[opened_col];
        int at = u->b->col_of[opened_col];
        const char *cell = at >= 0 && (size_t)at < n ? cells[at] : "";
        if (!*cell || !cell[strspn(cell, " \t\r\n")])
            BAD("sheet.opened_missing", NULL, NULL, 0, c->header, "",
                "empty: the date the case was opened is required");
    }
    if (status == 1 && !r->facts.closed_at && !closed_col) {
        const char *h = "";
        for (size_t j = 0; j < m->n_columns; j++)
            if (m->columns[j].part == CAPA_MAP_CLOSED)
                h = m->columns[j].header;
        BAD("sheet.closed_missing", NULL, NULL, 0, *h ? h : status_col, "",
            "a closed case needs the date it was closed");
    } else if (status == 0 && r->facts.closed_at) {
        capa_refusal_param sp = {"status", status_col};
        BAD("sheet.closed_open", NULL, &sp, 1, closed_col, closed_cell,
            "a closing date, but the status (%s) says the case is open", status_col);
        r->facts.closed_at = 0;
    }
#undef BAD
    arena_done(r, &ar);
    r->facts.source = u->source;
    r->facts.sha256 = u->sha256;
    r->facts.row = rowno;
    return CAPA_OK;
}

/* ---- sheet numbers given twice in the file (pass 1) ---- */

int capa_sheet__explain(const capa_rowmap *u, const capa_sheet_row *r, char *reason, size_t rsz)
{
    int nbad = 0;
    char why[400];
    for (size_t i = 0; i < r->n; i++) {
        const char *name = r->kv[i].name, *colon = strchr(name, ':'), *field = name;
        int st = 0;
        if (colon) {
            char sid[100];
            snprintf(sid, sizeof sid, "%.*s", (int)(colon - name), name);
            st = capa_workflow_stage_index(u->wf, sid);
            field = colon + 1;
        }
        const capa_formdef *f = st >= 0 && st < 64 ? u->forms[st] : NULL;
        capa_kv one = {field, r->kv[i].value};
        capa_diag diag = {0};
        if (f && capa_form_validate(f, &one, 1, CAPA_REQ_NO, NULL, NULL, &diag) != CAPA_OK &&
            diag.n) {
            const char *col = field;
            for (size_t j = 0; j < u->map->n_columns; j++) {
                const capa_map_column *c = &u->map->columns[j];
                int cst = c->stage ? capa_workflow_stage_index(u->wf, c->stage) : 0;
                if (c->field && cst == st && strcmp(c->field, field) == 0)
                    col = c->header;
            }
            const char *msg = diag.msgs[0], *q = strstr(msg, "' ");
            snprintf(why, sizeof why, "%s (%s)", q ? q + 2 : msg, field);
            bad_cell(u, r->row, col, r->kv[i].value, why, NULL, &diag, NULL, 0, &nbad, reason, rsz);
        }
        capa_diag_clear(&diag);
    }
    return nbad;
}
