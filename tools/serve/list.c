/*
 * list.c - a case list that scales, for the pages and the API alike: one page of the cases
 * matching a filter (and a severity code), sorted by any column, either way; the total is
 * what matched. The engine lists in number order and knows nothing of columns: this is
 * presentation, so it lives here, once for both front ends.
 *
 * What it costs at a million cases: only the rows that can still be on the page are kept
 * (a bounded top-k buffer per part of the scan, 2 x (offset + limit) rows at most), each
 * copied into one allocation; the others are counted and let go. The default order, by number, is
 * the order the engine lists in: a first pass over the headers' leading fields only
 * (capa_case_scan, CAPA_SCAN_LEAD, on every processor) counts the cases and checks that they come
 * in number order, then a second walk stops once it has read the page (ascending) or reads the page
 * off the end (descending). Where the numbers do not come in order (two workflows' prefixes
 * interleaved, imported copies), the top-k buffer answers, as for any other column.
 *
 * Every pass of one list reads one snapshot of the store (capa_snapshot): the total and the
 * page agree even when a case is opened between the count and the walk.
 *
 * An export (sv_list_each) hands every row over in order with memory flat in their number:
 * in number order one walk where the engine lists in that order; otherwise an external merge
 * sort - one walk gathering sorted runs of SV_LIST_PIECE rows into a temporary file, then the
 * runs merged - so that each header is read once (n log n, where a top-k pass per piece of
 * rows read the headers n / SV_LIST_PIECE times).
 */
#define _GNU_SOURCE /* qsort_r */
#include "serve.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The columns one may sort by: the page's names, and the API's (the JSON keys). */
static const struct {
    const char *name, *alias;
    sv_list_col col;
} columns[] = {
    {"number", NULL, SV_COL_NUMBER},        {"stage", NULL, SV_COL_STAGE},
    {"customer", NULL, SV_COL_CUSTOMER},    {"part", "part_no", SV_COL_PART},
    {"lot", "lot_no", SV_COL_LOT},          {"defect", "defect_code", SV_COL_DEFECT},
    {"severity", NULL, SV_COL_SEVERITY},    {"opened", NULL, SV_COL_OPENED},
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

static int cmp_str(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "");
}

static int cmp_i64(int64_t a, int64_t b)
{
    return a < b ? -1 : a > b;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int sv_list_number_cmp(const char *a, const char *b)
{
    const char *p = a ? a : "", *q = b ? b : "";
    while (*p && *q) {
        if (is_digit(*p) && is_digit(*q)) {
            const char *p0 = p, *q0 = q;
            while (*p0 == '0' && is_digit(p0[1]))
                p0++;
            while (*q0 == '0' && is_digit(q0[1]))
                q0++;
            for (p = p0; is_digit(*p); p++)
                ;
            for (q = q0; is_digit(*q); q++)
                ;
            if (p - p0 != q - q0)
                return p - p0 < q - q0 ? -1 : 1;
            int c = memcmp(p0, q0, (size_t)(p - p0));
            if (c)
                return c < 0 ? -1 : 1;
            continue;
        }
        if (*p != *q)
            return (unsigned char)*p < (unsigned char)*q ? -1 : 1;
        p++, q++;
    }
    if (*p || *q)
        return *p ? 1 : -1;
    /* Equal as numbers ("007" and "7"): the bytes decide, so the order stays total. */
    int c = strcmp(a ? a : "", b ? b : "");
    return c < 0 ? -1 : c > 0;
}

int sv_list_cmp(const sv_list_row *a, const sv_list_row *b, sv_list_col col, int desc)
{
    int c = 0;
    switch (col) {
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
        c = sv_list_number_cmp(a->h.number, b->h.number);
    return desc ? -c : c;
}

/* ---- rows: one allocation each, the header's text after it ---- */

static char *put(char **at, const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = memcpy(*at, s, n);
    *at += n;
    return d;
}

/* A row that outlives the callback: its texts copied ("" for a missing one, as the pages
 * and the API read them; origin stays NULL when there is none). */
static sv_list_row *row_copy(const sv_list_row *from)
{
    const capa_case_header *h = &from->h;
    const char *s[] = {h->number,      h->stage,    h->customer,    h->part_no,        h->lot_no,
                       h->defect_code, h->severity, h->description, h->subject_person, h->workflow};
    enum { N = sizeof s / sizeof s[0] };
    size_t len = sizeof(sv_list_row) + (h->origin ? strlen(h->origin) + 1 : 0);
    for (size_t i = 0; i < N; i++)
        len += (s[i] ? strlen(s[i]) : 0) + 1;
    sv_list_row *r = malloc(len);
    if (!r)
        return NULL;
    *r = *from;
    char *at = (char *)(r + 1);
    const char **d[N] = {&r->h.number,         &r->h.stage,       &r->h.customer, &r->h.part_no,
                         &r->h.lot_no,         &r->h.defect_code, &r->h.severity, &r->h.description,
                         &r->h.subject_person, &r->h.workflow};
    for (size_t i = 0; i < N; i++)
        *d[i] = put(&at, s[i] ? s[i] : "");
    r->h.origin = h->origin ? put(&at, h->origin) : NULL;
    return r;
}

/* ---- the k rows that come first: a buffer of up to 2k, cut back to k when full ----
 *
 * A row is compared with the threshold (the k-th row at the last cut) and copied only when it
 * comes before it; when the buffer holds 2k rows, a selection (quickselect) keeps the first k
 * and the threshold moves up. Each row costs one comparison, each cut O(k): a list sorted
 * against the order it is read in (newest first, the engine reading oldest first), where a
 * heap would sift every row, costs no more than any other. */

typedef struct topk {
    sv_list_row **a;
    size_t n, cap, k;
    const sv_list_row *thr; /* the k-th row at the last cut; NULL before the first */
    size_t count;           /* rows offered (that matched this list or column) */
    size_t copied;          /* rows copied into it */
} topk;

typedef struct order {
    sv_list_col col;
    int desc;
} order;

static int after(const order *o, const sv_list_row *a, const sv_list_row *b)
{
    return sv_list_cmp(a, b, o->col, o->desc) > 0;
}

static void swap(sv_list_row **a, ptrdiff_t i, ptrdiff_t j)
{
    sv_list_row *t = a[i];
    a[i] = a[j];
    a[j] = t;
}

/* Reorder a[0..n) so that a[kth] is the row that belongs there, none after it before it and
 * none before it after it (Hoare's selection, the median of three as pivot). */
static void select_kth(sv_list_row **a, size_t n, size_t kth, const order *o)
{
    ptrdiff_t lo = 0, hi = (ptrdiff_t)n - 1, k = (ptrdiff_t)kth;
    while (lo < hi) {
        ptrdiff_t mid = lo + (hi - lo) / 2;
        if (after(o, a[lo], a[mid]))
            swap(a, lo, mid);
        if (after(o, a[mid], a[hi]))
            swap(a, mid, hi);
        if (after(o, a[lo], a[mid]))
            swap(a, lo, mid);
        const sv_list_row *pivot = a[mid];
        ptrdiff_t i = lo, j = hi;
        while (i <= j) {
            while (after(o, pivot, a[i]))
                i++;
            while (after(o, a[j], pivot))
                j--;
            if (i <= j)
                swap(a, i++, j--);
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return;
    }
}

/* Keep the first k rows of the buffer (freeing the others); the threshold is the k-th. */
static void topk_cut(topk *t, const order *o)
{
    if (t->n <= t->k)
        return;
    select_kth(t->a, t->n, t->k - 1, o);
    for (size_t i = t->k; i < t->n; i++)
        free(t->a[i]);
    t->n = t->k;
    /* a[k-1] is the last of the first k now: the others are before it */
    t->thr = t->a[t->k - 1];
}

/* Offer a row: kept (copied, or taken when `owned`) when it can still be among the first k.
 * Returns CAPA_OK or CAPA_ENOMEM; an owned row not kept is freed. */
static int topk_offer(topk *t, const order *o, const sv_list_row *r, int owned)
{
    if (t->k == 0 || (t->thr && !after(o, t->thr, r))) {
        if (owned)
            free((void *)r);
        return CAPA_OK;
    }
    size_t most = t->k > SIZE_MAX / 2 ? SIZE_MAX : 2 * t->k;
    if (t->n == t->cap) {
        size_t cap = t->cap ? (t->cap > most / 2 ? most : t->cap * 2) : (most < 64 ? most : 64);
        sv_list_row **a = realloc(t->a, cap * sizeof *a);
        if (!a) {
            if (owned)
                free((void *)r);
            return CAPA_ENOMEM;
        }
        t->a = a;
        t->cap = cap;
    }
    sv_list_row *c = owned ? (sv_list_row *)r : row_copy(r);
    if (!c)
        return CAPA_ENOMEM;
    t->copied += !owned;
    t->a[t->n++] = c;
    if (t->n == most)
        topk_cut(t, o);
    return CAPA_OK;
}

static int cmp_rows(const void *a, const void *b, void *o)
{
    const order *x = o;
    return sv_list_cmp(*(sv_list_row *const *)a, *(sv_list_row *const *)b, x->col, x->desc);
}

/* The first k rows in order, first row first. */
static void topk_sort(topk *t, const order *o)
{
    topk_cut(t, o);
    if (t->n > 1)
        qsort_r(t->a, t->n, sizeof *t->a, cmp_rows, (void *)o);
}

static void topk_free(topk *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->a[i]);
    free(t->a);
    memset(t, 0, sizeof *t);
}

/* ---- one list ---- */

typedef struct ctx {
    const sv_list_ask *ask;
    capa_snapshot *snap;
    const capa_workflow *wf; /* the store's: stage ranks */
    const capa_field *sev;   /* the intake form's severity: its ranks */
    order o;
    size_t k;       /* rows each top-k buffer keeps */
    size_t n_heaps; /* buffers: 1, or the board's columns */
} ctx;

/* What one part of a scan gathers, on its own thread. */
typedef struct part {
    const ctx *x;
    topk *heaps;
    size_t total;
    size_t seen; /* headers offered (sv_list__headers) */
    /* the number-order pass: counted, in order so far, the first and last number seen */
    int unsorted;
    char *first, *last;
    size_t last_cap;
    int err; /* CAPA_ENOMEM: a scan keeps only a positive stop of its callback's */
} part;

/* A callback's stops (positive: capa_case_scan and capa_case_list return them). */
enum { LIST_STOP = 1, LIST_UNSORTED = 2 };

static int severity_ok(const ctx *x, const capa_case_header *h)
{
    return !x->ask->severity || (h->severity && strcmp(h->severity, x->ask->severity) == 0);
}

/* The board's column of a case: the stage of the board's workflow it is in, open; closed,
 * the column after the stages, when the list asks for closed cases (n_heaps says so). */
static size_t board_col(const ctx *x, const capa_case_header *h)
{
    const capa_workflow *b = x->ask->board;
    if (h->closed)
        return x->n_heaps > b->n_stages ? b->n_stages : SIZE_MAX;
    for (size_t k = 0; h->stage && k < b->n_stages; k++)
        if (strcmp(h->stage, b->stages[k].id) == 0)
            return k;
    return SIZE_MAX;
}

static int heap_row(const capa_case_header *h, void *payload)
{
    part *p = payload;
    const ctx *x = p->x;
    p->seen++;
    if (!severity_ok(x, h))
        return 0;
    size_t g = 0;
    if (x->ask->board && (g = board_col(x, h)) == SIZE_MAX)
        return 0; /* not on the board (a stage it does not have): not in its total either */
    p->total++;
    p->heaps[g].count++;
    sv_list_row r = {*h, stage_rank(x->wf, h->stage, h->closed), sev_rank(x->sev, h->severity)};
    if ((p->err = topk_offer(&p->heaps[g], &x->o, &r, 0)))
        return LIST_STOP;
    return 0;
}

/* The first error a part met, else rc. */
static int parts_err(const part *p, size_t parts, int rc)
{
    for (size_t i = 0; i < parts; i++)
        if (p[i].err)
            return p[i].err;
    return rc;
}

static size_t scan_parts(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 4 ? 4 : (size_t)n;
}

static void parts_free(part *p, size_t parts, size_t n_heaps)
{
    for (size_t i = 0; i < parts; i++) {
        for (size_t g = 0; p[i].heaps && g < n_heaps; g++)
            topk_free(&p[i].heaps[g]);
        free(p[i].heaps);
        free(p[i].first);
        free(p[i].last);
    }
}

/* Any order: a top-k buffer per part (and board column) keeps what can still be on the page;
 * the parts' buffers are poured into one at the end. */
static int by_heap(sv_list *l, const ctx *x)
{
    part p[CAPA_SCAN_MAX_PARTS];
    void *pl[CAPA_SCAN_MAX_PARTS];
    size_t parts = scan_parts();
    int rc = CAPA_OK;
    memset(p, 0, sizeof p);
    for (size_t i = 0; i < parts; i++) {
        p[i].x = x;
        if (!(p[i].heaps = calloc(x->n_heaps, sizeof *p[i].heaps))) {
            rc = CAPA_ENOMEM;
            goto done;
        }
        for (size_t g = 0; g < x->n_heaps; g++)
            p[i].heaps[g].k = x->k;
        pl[i] = &p[i];
    }
    if ((rc = parts_err(p, parts, capa_snapshot_case_scan(x->snap, x->ask->f, 0, parts, heap_row, pl))))
        goto done;
    if (!(l->groups = calloc(x->n_heaps, sizeof *l->groups))) {
        rc = CAPA_ENOMEM;
        goto done;
    }
    l->n_groups = x->n_heaps;
    for (size_t i = 0; i < parts; i++) {
        l->total += p[i].total;
        atomic_fetch_add_explicit(&sv_list__headers, p[i].seen, memory_order_relaxed);
    }
    for (size_t g = 0; g < x->n_heaps; g++) {
        topk *all = &p[0].heaps[g];
        for (size_t i = 0; i < parts; i++)
            l->copied += p[i].heaps[g].copied;
        for (size_t i = 1; i < parts; i++) {
            topk *ph = &p[i].heaps[g];
            size_t j = 0;
            all->count += ph->count;
            while (j < ph->n && !rc)
                rc = topk_offer(all, &x->o, ph->a[j++], 1);
            /* what was poured is the whole's now (or freed); the rest is still the part's */
            if (j < ph->n)
                memmove(ph->a, ph->a + j, (ph->n - j) * sizeof *ph->a);
            ph->n -= j;
            if (rc)
                goto done;
        }
        topk_sort(all, &x->o);
        sv_list_group *gr = &l->groups[g];
        size_t off = x->ask->board ? 0 : x->ask->offset;
        gr->count = all->count;
        gr->all = all->a;
        gr->n_all = all->n;
        gr->rows = all->a + (off < all->n ? off : all->n);
        gr->n = all->n - (size_t)(gr->rows - all->a);
        all->a = NULL; /* the group's now */
        all->n = 0;
    }
done:
    parts_free(p, parts, x->n_heaps);
    return rc;
}

/* ---- number order: the order the engine lists in ---- */

/* The first pass: count, and check that the numbers come in order (leading fields only). */
static int lead_row(const capa_case_header *h, void *payload)
{
    part *p = payload;
    const char *num = h->number ? h->number : "";
    if (!severity_ok(p->x, h))
        return 0;
    p->total++;
    if (p->last && sv_list_number_cmp(p->last, num) >= 0) {
        p->unsorted = 1;
        return LIST_UNSORTED;
    }
    size_t n = strlen(num) + 1;
    if (!p->first && !(p->first = strdup(num))) {
        p->err = CAPA_ENOMEM;
        return LIST_STOP;
    }
    if (n > p->last_cap) {
        char *b = realloc(p->last, n < 64 ? 64 : n);
        if (!b) {
            p->err = CAPA_ENOMEM;
            return LIST_STOP;
        }
        p->last = b;
        p->last_cap = n < 64 ? 64 : n;
    }
    memcpy(p->last, num, n);
    return 0;
}

/* The second walk: the rows at positions [from, to) of the list, copied; stops after them. */
typedef struct window {
    const ctx *x;
    size_t i, from, to, n;
    sv_list_row **rows;
    int err;
} window;

static int window_row(const capa_case_header *h, void *payload)
{
    window *w = payload;
    if (!severity_ok(w->x, h))
        return 0;
    size_t i = w->i++;
    if (i < w->from)
        return 0;
    if (i >= w->to)
        return LIST_STOP;
    sv_list_row r = {*h, stage_rank(w->x->wf, h->stage, h->closed),
                     sev_rank(w->x->sev, h->severity)};
    if (!(w->rows[w->n] = row_copy(&r))) {
        w->err = CAPA_ENOMEM;
        return LIST_STOP;
    }
    w->n++;
    return w->i == w->to ? LIST_STOP : 0;
}

/* By number: no row is sorted, none but the page's copied. LIST_UNSORTED when the engine's
 * order is not the numbers' here (the top-k buffer answers then). */
static int by_number(sv_list *l, const ctx *x)
{
    part p[CAPA_SCAN_MAX_PARTS];
    void *pl[CAPA_SCAN_MAX_PARTS];
    size_t parts = scan_parts(), total = 0;
    const char *prev = NULL;
    memset(p, 0, sizeof p);
    for (size_t i = 0; i < parts; i++) {
        p[i].x = x;
        pl[i] = &p[i];
    }
    int rc = parts_err(
        p, parts, capa_snapshot_case_scan(x->snap, x->ask->f, CAPA_SCAN_LEAD, parts, lead_row, pl));
    /* The parts one after the other are the list: each in order, and each after the last. */
    for (size_t i = 0; !rc && i < parts; i++) {
        if (p[i].first && prev && sv_list_number_cmp(prev, p[i].first) >= 0)
            rc = LIST_UNSORTED;
        prev = p[i].last ? p[i].last : prev;
        total += p[i].total;
    }
    window w = {x, 0, 0, 0, 0, NULL, 0};
    const sv_list_ask *a = x->ask;
    if (sv_list__between)
        sv_list__between();
    if (!rc && a->offset < total && a->limit > 0) {
        /* descending: the page counted from the end of the list, read off and turned round */
        size_t want = total - a->offset < a->limit ? total - a->offset : a->limit;
        w.from = a->desc ? total - a->offset - want : a->offset;
        w.to = w.from + want;
        if (!(w.rows = malloc(want * sizeof *w.rows)))
            rc = CAPA_ENOMEM;
        if (!rc && (rc = capa_snapshot_case_list(x->snap, a->f, window_row, &w)) == LIST_STOP)
            rc = CAPA_OK;
        if (!rc && w.err)
            rc = w.err;
    }
    if (!rc && !(l->groups = calloc(1, sizeof *l->groups)))
        rc = CAPA_ENOMEM;
    if (rc) {
        for (size_t i = 0; i < w.n; i++)
            free(w.rows[i]);
        free(w.rows);
    } else {
        for (size_t i = 0; a->desc && i < w.n / 2; i++) {
            sv_list_row *t = w.rows[i];
            w.rows[i] = w.rows[w.n - 1 - i];
            w.rows[w.n - 1 - i] = t;
        }
        l->n_groups = 1;
        l->total = l->groups[0].count = total;
        l->copied = w.n;
        l->groups[0].rows = l->groups[0].all = w.rows;
        l->groups[0].n = l->groups[0].n_all = w.n;
    }
    parts_free(p, parts, 0);
    return rc;
}

/* ---- deep pages: counted from the end ---- */

static int count_row(const capa_case_header *h, void *payload)
{
    part *p = payload;
    p->total += severity_ok(p->x, h);
    return 0;
}

/* How many cases the list has: the leading fields only, on every processor. */
static int count(const ctx *x, size_t *total)
{
    part p[CAPA_SCAN_MAX_PARTS];
    void *pl[CAPA_SCAN_MAX_PARTS];
    size_t parts = scan_parts();
    memset(p, 0, sizeof p);
    for (size_t i = 0; i < parts; i++) {
        p[i].x = x;
        pl[i] = &p[i];
    }
    int rc = capa_snapshot_case_scan(x->snap, x->ask->f, CAPA_SCAN_LEAD, parts, count_row, pl);
    *total = 0;
    for (size_t i = 0; !rc && i < parts; i++)
        *total += p[i].total;
    return rc;
}

/* A page nearer the end than the start: the list turned round, where it is the nearer one to
 * the start, and the page read off it (keeping total - offset rows, not offset + limit). The
 * count and the pass read one snapshot: the total is the one counted. */
static int by_heap_from_end(sv_list *l, const ctx *x, size_t total)
{
    ctx r = *x;
    sv_list_ask ra = *x->ask;
    size_t back = total - x->ask->offset;
    size_t want = back < x->ask->limit ? back : x->ask->limit;
    r.ask = &ra;
    r.o.desc = !x->o.desc;
    r.k = back;
    ra.offset = back - want;
    int rc = by_heap(l, &r);
    if (rc)
        return rc;
    sv_list_group *g = &l->groups[0];
    for (size_t i = 0; i < g->n / 2; i++) {
        sv_list_row *t = g->rows[i];
        g->rows[i] = g->rows[g->n - 1 - i];
        g->rows[g->n - 1 - i] = t;
    }
    return CAPA_OK;
}

/* From this offset on a page is worth a count first (the leading fields only, a fraction of
 * a pass that copies): it may lie past the end, or nearer the end than the start. */
#define DEEP 1000

/* The ranks' sources and the order of a list in the snapshot. */
static void ctx_init(ctx *x, capa_snapshot *snap, const sv_list_ask *a)
{
    const capa_formdef *fd = NULL;
    capa_store *s = capa_snapshot_store(snap);
    *x = (ctx){a, snap, NULL, NULL, {a->col, a->desc}, 0, 1};
    capa_store_workflow(&x->wf, s);
    capa_intake_form(&fd, s, NULL);
    x->sev = fd ? capa_formdef_field(fd, "severity") : NULL;
}

int sv_list_get_in(sv_list *l, capa_snapshot *snap, const sv_list_ask *a)
{
    ctx x;
    capa_filter none = {.closed = -1};
    sv_list_ask full = *a;
    memset(l, 0, sizeof *l);
    if (!full.f)
        full.f = &none;
    ctx_init(&x, snap, &full);
    if (a->board) {
        /* a column per stage, and one of the closed cases when the filter admits them */
        x.n_heaps = a->board->n_stages + (full.f->closed != 0);
        x.n_heaps = x.n_heaps ? x.n_heaps : 1;
        x.k = a->limit;
    } else {
        x.k = a->limit > SIZE_MAX - a->offset ? SIZE_MAX : a->offset + a->limit;
    }
    const capa_filter *f = full.f;
    if (a->col == SV_COL_NUMBER && !a->board && !(f->text && *f->text) && !f->recurrent &&
        !f->limit && !sv_list__heap_only) {
        int rc = by_number(l, &x);
        if (rc != LIST_UNSORTED)
            return rc;
    }
    if (!a->board && a->offset >= DEEP && !(f->text && *f->text) && !f->recurrent && !f->limit) {
        size_t total = 0;
        int rc = count(&x, &total);
        if (rc)
            return rc;
        if (total <= a->offset) { /* past the end: nothing to keep, the total is known */
            if (!(l->groups = calloc(1, sizeof *l->groups)))
                return CAPA_ENOMEM;
            l->n_groups = 1;
            l->total = l->groups[0].count = total;
            return CAPA_OK;
        }
        if (total - a->offset < x.k)
            return by_heap_from_end(l, &x, total);
    }
    return by_heap(l, &x);
}

int sv_list_get(sv_list *l, capa_store *s, const sv_list_ask *a)
{
    capa_snapshot *snap = NULL;
    int rc = capa_snapshot_begin(&snap, s);
    if (rc) {
        memset(l, 0, sizeof *l);
        return rc;
    }
    rc = sv_list_get_in(l, snap, a);
    capa_snapshot_end(snap);
    return rc;
}

size_t sv_list__piece = SV_LIST_PIECE;
size_t sv_list__fanin = SV_LIST_FANIN;
atomic_size_t sv_list__headers;

/* ---- an export in any other order: sorted runs, merged ----
 *
 * One walk over the list's headers (in the snapshot) copies the rows into a run of
 * SV_LIST_PIECE; a full run is sorted and written as records to an unlinked temporary file
 * ($TMPDIR, else /tmp); at the end the runs are merged, SV_LIST_FANIN at a time, the rows
 * handed over in order (more runs than that: merged into longer runs first, appended to the
 * file, a level per factor of SV_LIST_FANIN). Every header is read once, the rows compared
 * n log n times and written to the disk once per level (one level up to 64 000 rows, two up to
 * 4 million); memory: one run's rows and a read buffer per run being merged. A list that fits
 * in one run is sorted in memory and never touches the disk. */

/* A record: its length (the bytes after it), the fixed fields, the texts NUL-terminated. */
typedef struct rec_fixed {
    int64_t opened, closed_at, stage_entered;
    int32_t closed, round, stage_rank, sev_rank;
    int32_t has_origin;
} rec_fixed;

enum { REC_TEXTS = 11, RUN_BUF = 8192, WRITE_BUF = 65536 };

static void row_texts(sv_list_row *r, const char **t[REC_TEXTS])
{
    capa_case_header *h = &r->h;
    const char **d[REC_TEXTS] = {&h->number,         &h->stage,       &h->customer, &h->part_no,
                                 &h->lot_no,         &h->defect_code, &h->severity, &h->description,
                                 &h->subject_person, &h->workflow,    &h->origin};
    memcpy(t, d, sizeof d);
}

typedef struct spill {
    int fd;
    off_t end; /* bytes written */
    char *w;   /* the write buffer: w[0..wn) not yet written */
    size_t wn;
    const char *dir; /* where it is: named when it is full */
} spill;

static int io_err(const char *what)
{
    return capa_error_set(CAPA_ERROR, "cases export: temporary file: %s: %s", what,
                          strerror(errno));
}

static int spill_open(spill *sp)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    sp->dir = dir;
    if (!(sp->w = malloc(WRITE_BUF)))
        return CAPA_ENOMEM;
#ifdef O_TMPFILE
    sp->fd = open(dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
    if (sp->fd >= 0)
        return CAPA_OK;
#endif
    char path[4096];
    if (snprintf(path, sizeof path, "%s/capa-export-XXXXXX", dir) >= (int)sizeof path) {
        errno = ENAMETOOLONG;
        return io_err(dir);
    }
    if ((sp->fd = mkostemp(path, O_CLOEXEC)) < 0)
        return io_err(dir);
    unlink(path); /* nothing left behind, whatever happens */
    return CAPA_OK;
}

static int spill_drain(spill *sp)
{
    size_t off = 0;
    while (off < sp->wn) {
        ssize_t k = write(sp->fd, sp->w + off, sp->wn - off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            if (k == 0)
                errno = ENOSPC;
            return io_err(sp->dir);
        }
        off += (size_t)k;
    }
    sp->end += (off_t)sp->wn;
    sp->wn = 0;
    return CAPA_OK;
}

static int spill_put(spill *sp, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        size_t k = WRITE_BUF - sp->wn < n ? WRITE_BUF - sp->wn : n;
        memcpy(sp->w + sp->wn, c, k);
        sp->wn += k, c += k, n -= k;
        int rc = sp->wn == WRITE_BUF ? spill_drain(sp) : CAPA_OK;
        if (rc)
            return rc;
    }
    return CAPA_OK;
}

static int spill_row(spill *sp, const sv_list_row *row)
{
    sv_list_row r = *row;
    const char **t[REC_TEXTS];
    rec_fixed f = {r.h.opened, r.h.closed_at, r.h.stage_entered, r.h.closed,
                   r.h.round,  r.stage_rank,  r.sev_rank,        r.h.origin != NULL};
    size_t len[REC_TEXTS], n = sizeof f;
    row_texts(&r, t);
    for (size_t i = 0; i < REC_TEXTS; i++) {
        len[i] = *t[i] ? strlen(*t[i]) + 1 : 0;
        n += len[i];
    }
    if (n > UINT32_MAX) {
        errno = EOVERFLOW;
        return io_err("row");
    }
    uint32_t n32 = (uint32_t)n;
    int rc = spill_put(sp, &n32, sizeof n32);
    rc = rc ? rc : spill_put(sp, &f, sizeof f);
    for (size_t i = 0; !rc && i < REC_TEXTS; i++)
        rc = spill_put(sp, *t[i], len[i]);
    return rc;
}

/* One run being read back: file bytes [at, end) not yet in buf; the current row's texts
 * point into buf (valid until the run moves on). */
typedef struct run {
    off_t at, end;
    char *buf;
    size_t pos, have, cap;
    sv_list_row row;
} run;

/* buf holds at least n unread bytes; -1: the run ends before (a cut record). */
static int run_fill(run *r, int fd, size_t n)
{
    if (r->have - r->pos >= n)
        return CAPA_OK;
    memmove(r->buf, r->buf + r->pos, r->have - r->pos);
    r->have -= r->pos;
    r->pos = 0;
    if (n > r->cap) {
        char *b = realloc(r->buf, n);
        if (!b)
            return CAPA_ENOMEM;
        r->buf = b;
        r->cap = n;
    }
    while (r->have < n && r->at < r->end) {
        size_t want = r->cap - r->have;
        if ((off_t)want > r->end - r->at)
            want = (size_t)(r->end - r->at);
        ssize_t k = pread(fd, r->buf + r->have, want, r->at);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            if (k == 0)
                errno = EIO;
            return io_err("read");
        }
        r->have += (size_t)k;
        r->at += k;
    }
    if (r->have < n) {
        errno = EIO;
        return io_err("a cut record");
    }
    return CAPA_OK;
}

/* The run's next row into r->row: 1, or 0 at its end, or an error (negative). */
static int run_next(run *r, int fd)
{
    uint32_t n;
    rec_fixed f;
    if (r->pos == r->have && r->at == r->end)
        return 0;
    int rc = run_fill(r, fd, sizeof n);
    if (rc)
        return rc;
    memcpy(&n, r->buf + r->pos, sizeof n);
    if (n < sizeof f) {
        errno = EIO;
        return io_err("a short record");
    }
    r->pos += sizeof n;
    if ((rc = run_fill(r, fd, n)))
        return rc;
    const char *p = r->buf + r->pos, *end = p + n;
    memcpy(&f, p, sizeof f);
    p += sizeof f;
    r->pos += n;
    memset(&r->row, 0, sizeof r->row);
    r->row.h.opened = f.opened, r->row.h.closed_at = f.closed_at;
    r->row.h.stage_entered = f.stage_entered, r->row.h.closed = f.closed;
    r->row.h.round = f.round, r->row.stage_rank = f.stage_rank, r->row.sev_rank = f.sev_rank;
    const char **t[REC_TEXTS];
    row_texts(&r->row, t);
    for (size_t i = 0; i < REC_TEXTS; i++) {
        if (i == REC_TEXTS - 1 && !f.has_origin)
            break; /* origin: NULL when there is none, as row_copy leaves it */
        const char *z = p < end ? memchr(p, 0, (size_t)(end - p)) : NULL;
        if (!z) {
            errno = EIO;
            return io_err("a bad record");
        }
        *t[i] = p;
        p = z + 1;
    }
    return 1;
}

/* Where merged rows go: the export's callback, or a longer run in the file. */
typedef struct sink {
    int (*row)(const sv_list_row *r, void *payload);
    void *payload;
    spill *to; /* a longer run: written here */
    int stop;  /* the callback's non-zero value */
} sink;

static int sink_row(sink *k, const sv_list_row *r)
{
    if (k->to)
        return spill_row(k->to, r);
    return (k->stop = k->row(r, k->payload)) ? LIST_STOP : CAPA_OK;
}

/* Merge the runs [b[i], b[i+1]) for i in [0, n) into k: a heap of the runs by their rows. */
static int merge(int fd, const off_t *b, size_t n, const order *o, sink *k)
{
    run *rs = calloc(n, sizeof *rs);
    size_t *heap = calloc(n, sizeof *heap), hn = 0;
    int rc = rs && heap ? CAPA_OK : CAPA_ENOMEM;
    for (size_t i = 0; !rc && i < n; i++) {
        rs[i].at = b[i], rs[i].end = b[i + 1];
        if (!(rs[i].buf = malloc(RUN_BUF)))
            rc = CAPA_ENOMEM;
        rs[i].cap = RUN_BUF;
        int got = rc ? 0 : run_next(&rs[i], fd);
        if (got < 0)
            rc = got;
        else if (got) { /* sift up */
            size_t j = hn++;
            while (j && after(o, &rs[heap[(j - 1) / 2]].row, &rs[i].row)) {
                heap[j] = heap[(j - 1) / 2];
                j = (j - 1) / 2;
            }
            heap[j] = i;
        }
    }
    while (!rc && hn) {
        run *top = &rs[heap[0]];
        if ((rc = sink_row(k, &top->row)))
            break;
        int got = run_next(top, fd);
        if (got < 0) {
            rc = got;
            break;
        }
        size_t moving = heap[0];
        if (!got)
            moving = heap[--hn];
        /* sift the moving run down from the top */
        size_t j = 0;
        for (;;) {
            size_t c = 2 * j + 1;
            if (c >= hn)
                break;
            if (c + 1 < hn && after(o, &rs[heap[c]].row, &rs[heap[c + 1]].row))
                c++;
            if (!after(o, &rs[moving].row, &rs[heap[c]].row))
                break;
            heap[j] = heap[c];
            j = c;
        }
        if (hn)
            heap[j] = moving;
    }
    for (size_t i = 0; rs && i < n; i++)
        free(rs[i].buf);
    free(rs);
    free(heap);
    return rc;
}

/* The walk over the list: rows gathered into runs. */
typedef struct sorter {
    const ctx *x;
    sv_list_row **rows;
    size_t n, cap;
    spill sp;      /* fd -1 until the first run is written */
    off_t *bounds; /* the runs: [bounds[i], bounds[i+1]) */
    size_t n_runs, bounds_cap;
    int err;
} sorter;

static void rows_sort(sorter *st)
{
    if (st->n > 1)
        qsort_r(st->rows, st->n, sizeof *st->rows, cmp_rows, (void *)&st->x->o);
}

static void rows_free(sorter *st)
{
    for (size_t i = 0; i < st->n; i++)
        free(st->rows[i]);
    st->n = 0;
}

static int bound_add(sorter *st, off_t at)
{
    if (st->n_runs + 1 >= st->bounds_cap) {
        size_t cap = st->bounds_cap ? 2 * st->bounds_cap : 64;
        off_t *b = realloc(st->bounds, cap * sizeof *b);
        if (!b)
            return CAPA_ENOMEM;
        st->bounds = b;
        st->bounds_cap = cap;
    }
    st->bounds[st->n_runs + 1] = at;
    st->n_runs++;
    return CAPA_OK;
}

/* The rows gathered, sorted, written as the next run. */
static int run_write(sorter *st)
{
    int rc = CAPA_OK;
    if (st->sp.fd < 0) {
        if ((rc = spill_open(&st->sp)))
            return rc;
        if (!st->bounds && !(st->bounds = calloc(st->bounds_cap = 64, sizeof *st->bounds)))
            return CAPA_ENOMEM;
    }
    rows_sort(st);
    for (size_t i = 0; !rc && i < st->n; i++)
        rc = spill_row(&st->sp, st->rows[i]);
    rc = rc ? rc : spill_drain(&st->sp);
    rows_free(st);
    return rc ? rc : bound_add(st, st->sp.end);
}

static int sort_row(const capa_case_header *h, void *payload)
{
    sorter *st = payload;
    const ctx *x = st->x;
    atomic_fetch_add_explicit(&sv_list__headers, 1, memory_order_relaxed);
    if (!severity_ok(x, h))
        return 0;
    sv_list_row r = {*h, stage_rank(x->wf, h->stage, h->closed), sev_rank(x->sev, h->severity)};
    if (!(st->rows[st->n] = row_copy(&r)))
        st->err = CAPA_ENOMEM;
    else if (++st->n == st->cap)
        st->err = run_write(st);
    return st->err ? LIST_STOP : 0;
}

static int export_sorted(const ctx *x, capa_snapshot **snap,
                         int (*row)(const sv_list_row *r, void *payload), void *payload)
{
    sorter st = {x, NULL, 0, sv_list__piece ? sv_list__piece : 1, {-1, 0, NULL, 0, NULL}, NULL,
                 0, 0,    0};
    size_t fanin = sv_list__fanin < 2 ? 2 : sv_list__fanin;
    sink out = {row, payload, NULL, 0};
    int rc = (st.rows = malloc(st.cap * sizeof *st.rows)) ? CAPA_OK : CAPA_ENOMEM;
    if (!rc && (rc = capa_snapshot_case_list(x->snap, x->ask->f, sort_row, &st)) == LIST_STOP)
        rc = st.err;
    if (rc)
        goto done;
    /* Every row read: the snapshot is let go before the rows go out (a client that reads
     * slowly holds no pages of the store). */
    capa_snapshot_end(*snap);
    *snap = NULL;
    if (st.sp.fd < 0) { /* one run: sorted here, no file */
        rows_sort(&st);
        for (size_t i = 0; i < st.n && !rc; i++)
            rc = sink_row(&out, st.rows[i]);
        goto done;
    }
    if (st.n && (rc = run_write(&st)))
        goto done;
    /* Too many runs for one merge: merge them into longer runs first, level by level. */
    while (!rc && st.n_runs > fanin) {
        off_t *b = st.bounds;
        size_t n = st.n_runs;
        st.bounds = NULL, st.bounds_cap = 0, st.n_runs = 0;
        if (!(st.bounds = calloc(st.bounds_cap = 64, sizeof *st.bounds)))
            rc = CAPA_ENOMEM;
        if (!rc)
            st.bounds[0] = st.sp.end;
        for (size_t i = 0; !rc && i < n; i += fanin) {
            sink longer = {NULL, NULL, &st.sp, 0};
            size_t m = n - i < fanin ? n - i : fanin;
            rc = merge(st.sp.fd, b + i, m, &x->o, &longer);
            rc = rc ? rc : spill_drain(&st.sp);
            rc = rc ? rc : bound_add(&st, st.sp.end);
        }
        free(b);
    }
    if (!rc)
        rc = merge(st.sp.fd, st.bounds, st.n_runs, &x->o, &out);
done:
    rows_free(&st);
    free(st.rows);
    free(st.bounds);
    free(st.sp.w);
    if (st.sp.fd >= 0)
        close(st.sp.fd);
    if (rc == LIST_STOP)
        rc = CAPA_OK;
    return rc ? rc : out.stop;
}

/* ---- an export: every row, in order, memory flat ---- */

typedef struct each {
    const ctx *x;
    int (*row)(const sv_list_row *r, void *payload);
    void *payload;
    int stop; /* the row callback's non-zero value */
} each;

static int each_row(const capa_case_header *h, void *payload)
{
    each *e = payload;
    atomic_fetch_add_explicit(&sv_list__headers, 1, memory_order_relaxed);
    if (!severity_ok(e->x, h))
        return 0;
    sv_list_row r = {*h, stage_rank(e->x->wf, h->stage, h->closed),
                     sev_rank(e->x->sev, h->severity)};
    return (e->stop = e->row(&r, e->payload)) ? LIST_STOP : 0;
}

int sv_list_each(capa_snapshot **snapp, const sv_list_ask *a,
                 int (*row)(const sv_list_row *r, void *payload), void *payload)
{
    capa_snapshot *snap = *snapp;
    capa_filter none = {.closed = -1};
    sv_list_ask full = *a;
    ctx x;
    int rc = CAPA_OK;
    if (!full.f)
        full.f = &none;
    full.board = NULL;
    ctx_init(&x, snap, &full);
    each e = {&x, row, payload, 0};
    /* By number, where the engine lists in that order: one walk. Whether it does is asked of
     * the list without the filters that need more than the header (a part of a list in order
     * is in order), on the leading fields. */
    if (a->col == SV_COL_NUMBER && !a->desc && !sv_list__heap_only) {
        capa_filter lead = *full.f;
        sv_list_ask la = full;
        sv_list probe;
        lead.text = NULL, lead.recurrent = 0, lead.limit = 0;
        la.f = &lead, la.offset = 0, la.limit = 0;
        x.ask = &la;
        memset(&probe, 0, sizeof probe);
        rc = by_number(&probe, &x);
        sv_list_free(&probe);
        x.ask = &full;
        if (rc == CAPA_OK) {
            rc = capa_snapshot_case_list(snap, full.f, each_row, &e);
            return rc == LIST_STOP ? e.stop : rc;
        }
        if (rc != LIST_UNSORTED)
            return rc;
    }
    /* Any other order: sorted runs, merged (below). */
    return export_sorted(&x, snapp, row, payload);
}

int sv_list__heap_only;
void (*sv_list__between)(void);

void sv_list_free(sv_list *l)
{
    for (size_t g = 0; g < l->n_groups; g++) {
        for (size_t i = 0; i < l->groups[g].n_all; i++)
            free(l->groups[g].all[i]);
        free(l->groups[g].all);
    }
    free(l->groups);
    memset(l, 0, sizeof *l);
}
