/*
 * list.c - a case list that scales, for the pages and the API alike: the cases matching a
 * filter (and a severity code) gathered once, sorted by any column, either way, and cut to
 * one page; the total is what matched. The engine lists in number order and knows nothing of
 * columns: this is presentation, so it lives here, once for both front ends.
 */
#include "serve.h"

#include <stdlib.h>
#include <string.h>

/* The columns one may sort by: the page's names, and the API's (the JSON keys). */
static const struct {
    const char *name, *alias;
    sv_list_col col;
} columns[] = {
    {"number", NULL, SV_COL_NUMBER},       {"stage", NULL, SV_COL_STAGE},
    {"customer", NULL, SV_COL_CUSTOMER},   {"part", "part_no", SV_COL_PART},
    {"lot", "lot_no", SV_COL_LOT},         {"defect", "defect_code", SV_COL_DEFECT},
    {"severity", NULL, SV_COL_SEVERITY},   {"opened", NULL, SV_COL_OPENED},
    {"closed", "closed_at", SV_COL_CLOSED}, {"description", NULL, SV_COL_DESCRIPTION},
};

int sv_list_sort_parse(sv_list_col *col, int *desc, const char *s)
{
    *col = SV_COL_NUMBER;
    *desc = 0;
    if (!s || !*s)
        return 0;
    if (*s == '-') {
        *desc = 1;
        s++;
    }
    for (size_t i = 0; i < sizeof columns / sizeof columns[0]; i++) {
        if (strcmp(s, columns[i].name) == 0 || (columns[i].alias && !strcmp(s, columns[i].alias))) {
            *col = columns[i].col;
            return 0;
        }
    }
    return -1;
}

const char *sv_list_sort_names(void)
{
    return "number, stage, customer, part, lot, defect, severity, opened, closed, description "
           "(a leading - sorts descending)";
}

typedef struct gather {
    sv_list *l;
    const char *severity;
    const capa_workflow *wf;
    const capa_field *sev;
} gather;

static char *dup0(const char *s)
{
    return strdup(s ? s : "");
}

/* Position of a stage in the workflow (closed cases after every stage); of a severity among
 * the form's choices: a column sorts in the order the plant reads it, not alphabetically. */
static int stage_rank(const capa_workflow *wf, const char *stage, int closed)
{
    if (closed)
        return 1 << 20;
    for (size_t i = 0; wf && stage && i < wf->n_stages; i++) {
        if (strcmp(wf->stages[i].id, stage) == 0)
            return (int)i;
    }
    return 1 << 19;
}

static int sev_rank(const capa_field *f, const char *code)
{
    for (size_t i = 0; f && code && i < f->n_choices; i++) {
        if (strcmp(f->choices[i].value, code) == 0)
            return (int)i;
    }
    return -1;
}

static int gather_row(const capa_case_header *h, void *payload)
{
    gather *g = payload;
    sv_list *l = g->l;
    if (g->severity && (!h->severity || strcmp(h->severity, g->severity) != 0))
        return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        sv_list_row *rows = realloc(l->rows, cap * sizeof *rows);
        if (!rows)
            return CAPA_ENOMEM;
        l->rows = rows;
        l->cap = cap;
    }
    sv_list_row *r = &l->rows[l->n];
    memset(r, 0, sizeof *r);
    r->h = *h;
    char **s[] = {(char **)&r->h.number,      (char **)&r->h.stage,   (char **)&r->h.customer,
                  (char **)&r->h.part_no,     (char **)&r->h.lot_no,  (char **)&r->h.defect_code,
                  (char **)&r->h.severity,    (char **)&r->h.description,
                  (char **)&r->h.subject_person, (char **)&r->h.workflow};
    int oom = 0;
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        oom |= !(*s[i] = dup0(*s[i]));
    r->h.origin = h->origin ? strdup(h->origin) : NULL;
    l->n++; /* freed with the list even when a copy failed */
    if (oom || (h->origin && !r->h.origin))
        return CAPA_ENOMEM;
    r->stage_rank = stage_rank(g->wf, h->stage, h->closed);
    r->sev_rank = sev_rank(g->sev, h->severity);
    return 0;
}

static int cmp_str(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "");
}

static int cmp_i64(int64_t a, int64_t b)
{
    return a < b ? -1 : a > b;
}

static sv_list_col sort_col;
static int sort_desc;
static pthread_mutex_t sort_lock = PTHREAD_MUTEX_INITIALIZER;

static int cmp_rows(const void *pa, const void *pb)
{
    const sv_list_row *a = pa, *b = pb;
    int c = 0;
    switch (sort_col) {
    case SV_COL_NUMBER:
        break;
    case SV_COL_STAGE:
        c = a->stage_rank - b->stage_rank;
        break;
    case SV_COL_CUSTOMER:
        c = cmp_str(a->h.customer, b->h.customer);
        break;
    case SV_COL_PART:
        c = cmp_str(a->h.part_no, b->h.part_no);
        break;
    case SV_COL_LOT:
        c = cmp_str(a->h.lot_no, b->h.lot_no);
        break;
    case SV_COL_DEFECT:
        c = cmp_str(a->h.defect_code, b->h.defect_code);
        break;
    case SV_COL_SEVERITY:
        c = a->sev_rank - b->sev_rank;
        break;
    case SV_COL_OPENED:
        c = cmp_i64(a->h.opened, b->h.opened);
        break;
    case SV_COL_CLOSED:
        c = cmp_i64(a->h.closed_at, b->h.closed_at);
        break;
    case SV_COL_DESCRIPTION:
        c = cmp_str(a->h.description, b->h.description);
        break;
    }
    /* Ties in number order (numbers are unique: the order is total, a page is stable). */
    if (c == 0)
        c = cmp_str(a->h.number, b->h.number);
    return sort_desc ? -c : c;
}

int sv_list_gather(sv_list *l, sv_server *srv, const capa_filter *f, const char *severity,
                   sv_list_col col, int desc)
{
    const capa_workflow *wf = NULL;
    const capa_formdef *fd = NULL;
    memset(l, 0, sizeof *l);
    capa_store_workflow(&wf, srv->s);
    capa_intake_form(&fd, srv->s, NULL);
    gather g = {l, severity, wf, fd ? capa_formdef_field(fd, "severity") : NULL};
    int rc = capa_case_list(srv->s, f, gather_row, &g);
    if (rc)
        return rc;
    /* qsort takes no context: the column and direction are held under a lock meanwhile. */
    pthread_mutex_lock(&sort_lock);
    sort_col = col;
    sort_desc = desc;
    if (l->n > 1)
        qsort(l->rows, l->n, sizeof *l->rows, cmp_rows);
    pthread_mutex_unlock(&sort_lock);
    return 0;
}

void sv_list_free(sv_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        const capa_case_header *h = &l->rows[i].h;
        const char *s[] = {h->number,     h->stage,    h->customer,       h->part_no,
                           h->lot_no,     h->defect_code, h->severity,    h->description,
                           h->subject_person, h->workflow, h->origin};
        for (size_t k = 0; k < sizeof s / sizeof s[0]; k++)
            free((char *)s[k]);
    }
    free(l->rows);
    memset(l, 0, sizeof *l);
}
