/*
 * check_list.c - capa serve's case list (tools/serve/list.c) against the full sort: on a store
 * of 1 800 cases (complaints and SCARs interleaved, so the engine's order is not the numbers'
 * without a workflow filter; legacy records opened over two years, half closed), every column both
 * ways, random offsets and limits, past the end, limit 0 and "all", the board, the number order's
 * own walk and the heap alike. The reference is what the list did before: every matching header
 * copied, sorted whole, then cut.
 */
#define _GNU_SOURCE /* asprintf */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parscan.h"
#include "serve.h"
#include "testutil.h"

static char *dir;
static size_t n_walks; /* pages asked for by number where the engine's order is the numbers' */
static capa_store *s;
static size_t n_cases;

/* Values drawn so that columns tie often (ties go by number) and some are missing. */
static const char *const customers[] = {"华东汽车",  "Acme",     "acme", "",
                                        "Zeta GmbH", "北方重工", "B",    "华东汽车二厂"};
static const char *const sevs[] = {"general", "important", "major"};

/* The store, built once for the test case (each test, in its own process, opens it). */
static void build_store(void)
{
    capa_form_init();
    s = tu_store(&dir, 1);
    capa_actor admin = tu_as("admin");
    OK(capa_user_add(s, &admin, "ma", "sqe", "马工", "采购品质", TU_PW));
    enum { BATCH = 300, BATCHES = 6 };
    capa_request *rq = calloc(BATCH, sizeof *rq);
    capa_kv(*kv)[8] = calloc(BATCH, sizeof *kv);
    char(*txt)[4][40] = calloc(BATCH, sizeof *txt);
    ck_assert_ptr_nonnull(rq);
    unsigned seed = 7;
    for (int b = 0; b < BATCHES; b++) {
        for (size_t i = 0; i < BATCH; i++) {
            seed = seed * 1103515245u + 12345u;
            unsigned r = seed >> 8;
            int scar = r % 5 == 0;
            snprintf(txt[i][0], 40, "P-%u", r % 13);
            snprintf(txt[i][1], 40, "L%u", (r >> 4) % 50);
            snprintf(txt[i][2], 40, "D%u", (r >> 8) % 7);
            snprintf(txt[i][3], 40, "%s %u", (r >> 3) % 3 ? "焊点" : "burr", (r >> 12) % 40);
            size_t n = 0;
            kv[i][n++] = (capa_kv){scar ? "supplier" : "customer",
                                   customers[(r >> 5) % (sizeof customers / sizeof *customers)]};
            if (!*kv[i][0].value)
                kv[i][0].value = scar ? "深圳精密" : "C";
            kv[i][n++] = (capa_kv){"part_no", txt[i][0]};
            kv[i][n++] = (capa_kv){"description", txt[i][3]};
            kv[i][n++] = (capa_kv){"severity", sevs[(r >> 7) % 3]};
            if (!scar) {
                kv[i][n++] = (capa_kv){"lot_no", txt[i][1]};
                kv[i][n++] = (capa_kv){"defect_code", txt[i][2]};
                kv[i][n++] = (capa_kv){"qty_affected", "5"};
            }
            rq[i] = (capa_request){.op = CAPA_OP_OPEN,
                                   .who = tu_as(scar ? "ma" : "li"),
                                   .workflow = scar ? "scar" : NULL,
                                   .values = kv[i],
                                   .n_values = n};
        }
        /* The last batch: legacy records, opened over two years, half of them closed. */
        capa_import_facts *im = calloc(BATCH, sizeof *im);
        for (size_t i = 0; b == BATCHES - 1 && i < BATCH; i++) {
            unsigned r = (unsigned)(i * 2654435761u) >> 7;
            im[i] = (capa_import_facts){
                .opened = 1700000000000LL + (int64_t)(r % 700) * 86400000LL,
                .closed_at = r % 2 ? 1760000000000LL + (int64_t)(r % 97) * 3600000LL : 0,
                .source = "old.csv",
                .sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                .row = i + 2};
            rq[i].op = CAPA_OP_IMPORT;
            rq[i].who = tu_as("admin");
            rq[i].workflow = NULL;
            rq[i].import = &im[i];
            kv[i][0] = (capa_kv){"customer", i % 3 ? "Legacy Ltd" : "旧客户"};
        }
        int rc = capa_submit(s, rq, BATCH);
        for (size_t i = 0; i < BATCH; i++) {
            ck_assert_msg(rq[i].result == CAPA_OK, "open %zu: %s", i,
                          rq[i].error ? rq[i].error : capa_error_last());
            capa_request_clear(&rq[i]);
        }
        ck_assert_msg(rc == CAPA_OK, "submit: %s", capa_error_last());
        free(im);
        n_cases += BATCH;
    }
    free(rq);
    free(kv);
    free(txt);
    capa_store_close(s);
    s = NULL;
}

static void remove_store(void)
{
    tu_rmtree(dir);
    free(dir);
    n_cases = 0;
}

static void open_store(void)
{
    capa_form_init();
    capa__scan_part_min = 1; /* the parts' merge tested on a small store too */
    s = tu_reopen(dir);
}

static void close_store(void)
{
    capa_store_close(s);
    s = NULL;
}

/* ---- the reference: the whole list copied and sorted, as list.c did before ---- */

typedef struct ref {
    sv_list_row *rows;
    size_t n, cap;
    const char *severity;
    const capa_workflow *wf;
    const capa_field *sev;
    int in_order; /* the engine listed them in number order */
} ref;

static int ref_row(const capa_case_header *h, void *payload)
{
    ref *x = payload;
    if (x->severity && (!h->severity || strcmp(h->severity, x->severity) != 0))
        return 0;
    if (x->n == x->cap) {
        x->cap = x->cap ? 2 * x->cap : 256;
        x->rows = realloc(x->rows, x->cap * sizeof *x->rows);
        ck_assert_ptr_nonnull(x->rows);
    }
    sv_list_row *r = &x->rows[x->n++];
    r->h = *h;
    r->h.number = strdup(h->number);
    r->h.stage = strdup(h->stage ? h->stage : "");
    r->h.customer = strdup(h->customer ? h->customer : "");
    r->h.part_no = strdup(h->part_no ? h->part_no : "");
    r->h.lot_no = strdup(h->lot_no ? h->lot_no : "");
    r->h.defect_code = strdup(h->defect_code ? h->defect_code : "");
    r->h.severity = strdup(h->severity ? h->severity : "");
    r->h.description = strdup(h->description ? h->description : "");
    r->stage_rank = h->closed ? 1 << 20 : 1 << 19;
    for (size_t i = 0; !h->closed && i < x->wf->n_stages; i++)
        if (strcmp(x->wf->stages[i].id, h->stage) == 0)
            r->stage_rank = (int)i;
    r->sev_rank = -1;
    for (size_t i = 0; x->sev && h->severity && i < x->sev->n_choices; i++)
        if (strcmp(x->sev->choices[i].value, h->severity) == 0)
            r->sev_rank = (int)i;
    return 0;
}

static sv_list_col ref_col;
static int ref_desc;

static int ref_cmp(const void *a, const void *b)
{
    return sv_list_cmp(a, b, ref_col, ref_desc);
}

static void ref_get(ref *x, const capa_filter *f, const char *severity, sv_list_col col, int desc)
{
    const capa_formdef *fd = NULL;
    memset(x, 0, sizeof *x);
    x->severity = severity;
    OK(capa_store_workflow(&x->wf, s));
    OK(capa_intake_form(&fd, s, NULL));
    x->sev = capa_formdef_field(fd, "severity");
    OK(capa_case_list(s, f, ref_row, x));
    x->in_order = 1;
    for (size_t i = 1; i < x->n; i++)
        x->in_order &= sv_list_number_cmp(x->rows[i - 1].h.number, x->rows[i].h.number) < 0;
    ref_col = col;
    ref_desc = desc;
    qsort(x->rows, x->n, sizeof *x->rows, ref_cmp);
}

static void ref_free(ref *x)
{
    for (size_t i = 0; i < x->n; i++) {
        const capa_case_header *h = &x->rows[i].h;
        const char *p[] = {h->number, h->stage,       h->customer, h->part_no,
                           h->lot_no, h->defect_code, h->severity, h->description};
        for (size_t k = 0; k < sizeof p / sizeof *p; k++)
            free((char *)p[k]);
    }
    free(x->rows);
}

/* One ask against the reference: the same total, the same rows in the same order. */
static void check_page(const capa_filter *f, const char *severity, sv_list_col col, int desc,
                       size_t offset, size_t limit, const ref *x, const char *what)
{
    sv_list l;
    sv_list_ask a = {f, severity, col, desc, offset, limit, NULL};
    int rc = sv_list_get(&l, s, &a);
    ck_assert_msg(rc == CAPA_OK, "%s: %s", what, capa_error_last());
    ck_assert_msg(l.total == x->n, "%s: total %zu, want %zu", what, l.total, x->n);
    ck_assert_uint_eq(l.n_groups, 1);
    size_t want = offset >= x->n ? 0 : x->n - offset < limit ? x->n - offset : limit;
    ck_assert_msg(l.groups[0].n == want, "%s (col %d desc %d off %zu lim %zu): %zu rows, want %zu",
                  what, (int)col, desc, offset, limit, l.groups[0].n, want);
    for (size_t i = 0; i < want; i++) {
        const capa_case_header *g = &l.groups[0].rows[i]->h, *h = &x->rows[offset + i].h;
        ck_assert_msg(strcmp(g->number, h->number) == 0,
                      "%s (col %d desc %d off %zu lim %zu): row %zu is %s, want %s", what, (int)col,
                      desc, offset, limit, i, g->number, h->number);
        ck_assert_str_eq(g->customer, h->customer);
        ck_assert_str_eq(g->description, h->description);
        ck_assert_str_eq(g->stage, h->stage);
        ck_assert_int_eq(g->opened, h->opened);
    }
    /* Never more rows copied than the page needs per part of the scan and its churn: at most
     * what the page holds by number (the engine's order), far fewer than all otherwise. */
    if (col == SV_COL_NUMBER && !sv_list__heap_only && x->in_order && !(f->text && *f->text)) {
        ck_assert_msg(l.copied == want, "%s: %zu rows copied for %zu", what, l.copied, want);
        n_walks++;
    }
    sv_list_free(&l);
}

START_TEST(pages_match_the_full_sort)
{
    capa_filter filters[] = {
        {.closed = -1},
        {.closed = -1, .workflow = "complaint"},
        {.closed = -1, .workflow = "scar"},
        {.closed = 0, .customer = "Acme"},
        {.closed = -1, .part_no = "P-3"},
        {.closed = -1, .text = "burr 1"},
        {.closed = 1},
        {.closed = -1, .opened_from = 1},
    };
    const char *severity[] = {NULL, NULL, NULL, NULL, "major", NULL, NULL, "general"};
    unsigned seed = 42;
    for (size_t fi = 0; fi < sizeof filters / sizeof *filters; fi++) {
        for (int col = SV_COL_NUMBER; col <= SV_COL_DESCRIPTION; col++) {
            /* every column for the first two filters; the number and some drawn for the others */
            seed = seed * 1103515245u + 12345u;
            if (fi >= 2 && col != SV_COL_NUMBER && (seed >> 9) % 5 > 1)
                continue;
            if (filters[fi].text && col != SV_COL_NUMBER && col != SV_COL_CUSTOMER)
                continue; /* a text filter reads every stage record: two columns are enough */
            for (int desc = 0; desc < 2; desc++) {
                ref x;
                ref_get(&x, &filters[fi], severity[fi], (sv_list_col)col, desc);
                if (fi == 0)
                    ck_assert_uint_eq(x.n, n_cases);
                size_t offs[6], lims[6];
                for (int k = 0; k < 6; k++) {
                    seed = seed * 1103515245u + 12345u;
                    offs[k] = (seed >> 8) % (x.n + 10);
                    lims[k] = 1 + (seed >> 4) % 150;
                }
                offs[0] = 0, lims[0] = 100;           /* the first page */
                offs[1] = x.n, lims[1] = 100;         /* just past the end */
                offs[2] = 0, lims[2] = 0;             /* nothing but the total */
                offs[3] = 0, lims[3] = SIZE_MAX;      /* all (the CSV) */
                offs[4] = SIZE_MAX - 5, lims[4] = 50; /* far past the end, no overflow */
                for (int heap = 0; heap < 2; heap++) {
                    sv_list__heap_only = heap;
                    for (int k = 0; k < 6; k++)
                        check_page(&filters[fi], severity[fi], (sv_list_col)col, desc, offs[k],
                                   lims[k], &x, heap ? "heap" : "default");
                }
                sv_list__heap_only = 0;
                ref_free(&x);
            }
        }
    }
    ck_assert_uint_ge(n_walks, 2 * 12); /* Acme's and the SCARs, both ways, 6 asks each */
}
END_TEST

/* The rows copied stay near the page, not the store: by number (one customer's, listed in
 * number order) exactly the page; by another column a bounded heap's churn. */
START_TEST(only_the_page_is_kept)
{
    capa_filter f = {.closed = -1, .customer = "Acme"};
    sv_list l;
    sv_list_ask a = {&f, NULL, SV_COL_NUMBER, 1, 50, 25, NULL};
    OK(sv_list_get(&l, s, &a));
    ck_assert_uint_gt(l.total, 75);
    ck_assert_uint_eq(l.groups[0].n, 25);
    ck_assert_uint_eq(l.copied, 25);
    sv_list_free(&l);
    capa_filter all = {.closed = -1};
    a = (sv_list_ask){&all, NULL, SV_COL_CUSTOMER, 0, 0, 20, NULL};
    OK(sv_list_get(&l, s, &a));
    ck_assert_uint_eq(l.total, n_cases);
    ck_assert_msg(l.copied < n_cases / 3, "%zu of %zu rows copied for 20", l.copied, n_cases);
    sv_list_free(&l);
    /* the last page: read from the end, not with every row before it */
    a = (sv_list_ask){&all, NULL, SV_COL_DESCRIPTION, 1, n_cases - 20, 20, NULL};
    OK(sv_list_get(&l, s, &a));
    ck_assert_uint_eq(l.groups[0].n, 20);
    ck_assert_msg(l.copied < n_cases / 3, "%zu of %zu rows copied for the last 20", l.copied,
                  n_cases);
    sv_list_free(&l);
    /* past the end: counted, nothing copied */
    a.offset = n_cases + 5000;
    OK(sv_list_get(&l, s, &a));
    ck_assert_uint_eq(l.total, n_cases);
    ck_assert_uint_eq(l.groups[0].n, 0);
    ck_assert_uint_eq(l.copied, 0);
    sv_list_free(&l);
}
END_TEST

/* The board: per stage of the workflow, its open cases' first rows in order, and the count;
 * then, when the filter admits closed cases (all, or closed only), a column of the closed
 * cases: the board's total is every case the list has, each on it once. */
START_TEST(board_columns_match_the_full_sort)
{
    const capa_workflow *wf = NULL;
    OK(capa_store_workflow_get(&wf, s, "scar"));
    for (int closed = -1; closed <= 1; closed++) {
        capa_filter f = {.closed = closed};
        for (int col = SV_COL_NUMBER; col <= SV_COL_DESCRIPTION; col += 3) {
            ref x;
            ref_get(&x, &f, NULL, (sv_list_col)col, col % 2);
            sv_list l;
            sv_list_ask a = {&f, NULL, (sv_list_col)col, col % 2, 0, 7, wf};
            OK(sv_list_get(&l, s, &a));
            size_t cols = wf->n_stages + (closed != 0);
            ck_assert_uint_eq(l.n_groups, cols);
            size_t on_board = 0, closed_n = 0;
            for (size_t k = 0; k < cols; k++) {
                size_t m = 0;
                for (size_t i = 0; i < x.n; i++) {
                    const capa_case_header *h = &x.rows[i].h;
                    if (k == wf->n_stages ? !h->closed
                                          : h->closed || strcmp(h->stage, wf->stages[k].id) != 0)
                        continue;
                    if (m < 7)
                        ck_assert_str_eq(l.groups[k].rows[m]->h.number, h->number);
                    m++;
                }
                ck_assert_uint_eq(l.groups[k].count, m);
                ck_assert_uint_eq(l.groups[k].n, m < 7 ? m : 7);
                on_board += m;
                closed_n += k == wf->n_stages ? m : 0;
            }
            ck_assert_uint_eq(l.total, on_board);
            /* every case of the list on the board (the SCAR workflow's stages are the
             * complaint's but fewer: a complaint in a stage SCARs lack is not on it) */
            size_t in_stages = 0;
            for (size_t i = 0; i < x.n; i++)
                in_stages += x.rows[i].h.closed || capa_workflow_stage(wf, x.rows[i].h.stage);
            ck_assert_uint_eq(on_board, in_stages);
            if (closed != 0)
                ck_assert_uint_gt(closed_n, 0); /* the store has closed cases: they are on it */
            if (closed != 1)
                ck_assert_uint_gt(l.groups[0].count, 0);
            sv_list_free(&l);
            ref_free(&x);
        }
    }
}
END_TEST

/* An export (/cases.csv): every row, in the list's order, whatever the run size and the
 * runs merged at once - the number order's one walk, the sorted runs in memory, on disk and
 * merged in levels - each with every field the CSV writes, and a stop. */
/* What the CSV writes of a row, and what a row holds besides, as one string. */
static char *row_sig(const sv_list_row *r)
{
    const capa_case_header *h = &r->h;
    char *out = NULL;
    ck_assert_int_ge(asprintf(&out, "%s|%s|%d|%s|%s|%s|%s|%s|%s|%lld|%lld|%d|%d", h->number,
                              h->stage ? h->stage : "", h->closed, h->customer ? h->customer : "",
                              h->part_no ? h->part_no : "", h->lot_no ? h->lot_no : "",
                              h->defect_code ? h->defect_code : "",
                              h->severity ? h->severity : "",
                              h->description ? h->description : "", (long long)h->opened,
                              (long long)h->closed_at, r->stage_rank, r->sev_rank),
                     0);
    return out;
}

typedef struct got {
    char **numbers;
    size_t n, cap, stop_at;
} got;

static int got_row(const sv_list_row *r, void *payload)
{
    got *g = payload;
    if (g->n == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 256;
        g->numbers = realloc(g->numbers, g->cap * sizeof *g->numbers);
        ck_assert_ptr_nonnull(g->numbers);
    }
    g->numbers[g->n++] = row_sig(r);
    return g->stop_at && g->n == g->stop_at ? 7 : 0;
}

static void got_free(got *g)
{
    for (size_t i = 0; i < g->n; i++)
        free(g->numbers[i]);
    free(g->numbers);
    memset(g, 0, sizeof *g);
}

START_TEST(export_lists_every_row_in_order)
{
    capa_filter filters[] = {
        {.closed = -1},
        {.closed = -1, .workflow = "complaint"},
        {.closed = 0, .customer = "Acme"},
        {.closed = -1, .text = "burr 1"},
    };
    const char *severity[] = {NULL, "major", NULL, NULL};
    /* runs of 13 merged 3 at a time: four levels; of 500, 2 at a time; one run of all */
    size_t pieces[] = {13, 500, 100, SV_LIST_PIECE}, fanin[] = {3, 2, SV_LIST_FANIN, 2};
    capa_snapshot *snap = NULL;
    for (size_t fi = 0; fi < sizeof filters / sizeof *filters; fi++)
        for (int col = SV_COL_NUMBER; col <= SV_COL_DESCRIPTION; col += 4)
            for (int desc = 0; desc < 2; desc++) {
                ref x;
                ref_get(&x, &filters[fi], severity[fi], (sv_list_col)col, desc);
                for (size_t pi = 0; pi < sizeof pieces / sizeof *pieces; pi++) {
                    for (int heap = 0; heap < 2; heap++) {
                        got g = {0};
                        sv_list__piece = pieces[pi];
                        sv_list__fanin = fanin[pi];
                        sv_list__heap_only = heap;
                        sv_list_ask a = {&filters[fi], severity[fi], (sv_list_col)col, desc,
                                         5, 3, NULL}; /* offset and limit: not an export's */
                        OK(capa_snapshot_begin(&snap, s));
                        OK(sv_list_each(&snap, &a, got_row, &g));
                        capa_snapshot_end(snap);
                        snap = NULL;
                        ck_assert_msg(g.n == x.n, "filter %zu col %d desc %d piece %zu: %zu rows, want %zu",
                                      fi, col, desc, pieces[pi], g.n, x.n);
                        for (size_t i = 0; i < x.n; i++) {
                            char *want = row_sig(&x.rows[i]);
                            ck_assert_msg(strcmp(g.numbers[i], want) == 0,
                                          "filter %zu col %d desc %d piece %zu: row %zu is %s, want %s",
                                          fi, col, desc, pieces[pi], i, g.numbers[i], want);
                            free(want);
                        }
                        got_free(&g);
                    }
                }
                ref_free(&x);
            }
    /* the row callback's stop ends it and is returned */
    for (int heap = 0; heap < 2; heap++) {
        got g = {.stop_at = 250};
        capa_filter all = {.closed = -1};
        sv_list_ask a = {&all, NULL, heap ? SV_COL_CUSTOMER : SV_COL_NUMBER, 0, 0, 0, NULL};
        sv_list__piece = 100;
        OK(capa_snapshot_begin(&snap, s));
        ck_assert_int_eq(sv_list_each(&snap, &a, got_row, &g), 7);
        capa_snapshot_end(snap);
        snap = NULL;
        ck_assert_uint_eq(g.n, 250);
        got_free(&g);
    }
    sv_list__piece = SV_LIST_PIECE;
    sv_list__fanin = SV_LIST_FANIN;
    sv_list__heap_only = 0;
}
END_TEST

static int count_listed(const capa_case_header *h, void *payload)
{
    (void)h;
    ++*(size_t *)payload;
    return 0;
}

/* A sorted export reads every header once, whatever the list's length: before, it read them
 * all again for every SV_LIST_PIECE rows handed over (N / 1 000 passes: quadratic). */
START_TEST(sorted_export_reads_each_header_once)
{
    capa_filter all = {.closed = -1}, open = {.closed = 0};
    capa_snapshot *snap = NULL;
    for (int col = SV_COL_STAGE; col <= SV_COL_DESCRIPTION; col++)
        for (int desc = 0; desc < 2; desc++)
            for (int fi = 0; fi < 2; fi++) {
                got g = {0};
                size_t listed = 0;
                ref x;
                ref_get(&x, fi ? &open : &all, NULL, (sv_list_col)col, desc);
                OK(capa_case_list(s, fi ? &open : &all, count_listed, &listed));
                sv_list__piece = 100; /* as the server's 1 000 at ten times the cases */
                sv_list_ask a = {fi ? &open : &all, NULL, (sv_list_col)col, desc, 0, 0, NULL};
                size_t before = atomic_load(&sv_list__headers);
                OK(capa_snapshot_begin(&snap, s));
                OK(sv_list_each(&snap, &a, got_row, &g));
                ck_assert_ptr_null(snap); /* let go before the rows went out */
                size_t read = atomic_load(&sv_list__headers) - before;
                ck_assert_uint_eq(g.n, x.n);
                ck_assert_msg(read == listed, "col %d desc %d: %zu headers read for %zu cases",
                              col, desc, read, listed);
                got_free(&g);
                ref_free(&x);
            }
    sv_list__piece = SV_LIST_PIECE;
}
END_TEST

/* A list's total and its page are of one commit: a case leaving the list (its customer
 * changed) between the count and the walk shows in neither, and in both on the next ask. */
static capa_store *between_s;
static char *between_case;

static void change_customer(void)
{
    capa_actor li = tu_as("li");
    capa_kv kv = {"customer", "Zeta GmbH"};
    sv_list__between = NULL; /* once */
    OK(capa_case_set(between_s, between_case, &li, &kv, 1, NULL));
}

START_TEST(total_and_page_are_of_one_commit)
{
    char *d = NULL, *nums[12];
    capa_form_init();
    between_s = tu_store(&d, 1);
    capa_actor li = tu_as("li");
    for (int i = 0; i < 12; i++) {
        capa_kv kv[] = {{"customer", "Acme"},  {"part_no", "P-1"},     {"lot_no", "L1"},
                        {"defect_code", "D1"}, {"description", "burr"}, {"severity", "major"},
                        {"qty_affected", "5"}};
        OK(capa_case_open(&nums[i], between_s, &li, kv, sizeof kv / sizeof *kv));
    }
    capa_filter f = {.closed = -1, .customer = "Acme"};
    for (int desc = 0; desc < 2; desc++) {
        sv_list l;
        sv_list_ask a = {&f, NULL, SV_COL_NUMBER, desc, 0, 100, NULL};
        between_case = nums[3 + desc];
        sv_list__between = change_customer;
        OK(sv_list_get(&l, between_s, &a));
        ck_assert_ptr_null(sv_list__between); /* the commit was made */
        size_t want = 12 - (size_t)desc;      /* the second round: one left already */
        ck_assert_uint_eq(l.total, want);
        ck_assert_msg(l.groups[0].n == want, "desc %d: total %zu, but %zu rows", desc, l.total,
                      l.groups[0].n);
        int seen = 0;
        for (size_t i = 0; i < l.groups[0].n; i++)
            seen |= strcmp(l.groups[0].rows[i]->h.number, between_case) == 0;
        ck_assert_msg(seen, "desc %d: %s missing from the page its total counts", desc,
                      between_case);
        sv_list_free(&l);
        OK(sv_list_get(&l, between_s, &a));
        ck_assert_uint_eq(l.total, want - 1);
        ck_assert_uint_eq(l.groups[0].n, want - 1);
        sv_list_free(&l);
    }
    for (int i = 0; i < 12; i++)
        free(nums[i]);
    capa_store_close(between_s);
    tu_rmtree(d);
    free(d);
}
END_TEST

START_TEST(sort_names_are_checked)
{
    sv_list_col col;
    int desc;
    ck_assert_int_eq(sv_list_sort_parse(&col, &desc, NULL), 0);
    ck_assert_int_eq(col, SV_COL_NUMBER);
    ck_assert_int_eq(sv_list_sort_parse(&col, &desc, "-part_no"), 0);
    ck_assert(col == SV_COL_PART && desc == 1);
    const char *bad[] = {"-",        "--number",      "number ", "NUMBER",   "+number",
                         "number\n", "customer;drop", "-%s%n",   "описание", "number\x00x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (*bad[i] || i == 9)
            ck_assert_msg(sv_list_sort_parse(&col, &desc, bad[i]) == (i == 9 ? 0 : -1), "%s",
                          bad[i]);
    char big[5000];
    memset(big, 'n', sizeof big - 1);
    big[sizeof big - 1] = 0;
    ck_assert_int_eq(sv_list_sort_parse(&col, &desc, big), -1);
}
END_TEST

/* Numbers as issued: QC-2026-9999 before QC-2026-10000; equal values by their bytes. */
START_TEST(numbers_compare_as_issued)
{
    ck_assert_int_lt(sv_list_number_cmp("QC-2026-9999", "QC-2026-10000"), 0);
    ck_assert_int_lt(sv_list_number_cmp("QC-2026-0999", "QC-2026-1000"), 0);
    ck_assert_int_lt(sv_list_number_cmp("QC-2025-99999", "QC-2026-0001"), 0);
    ck_assert_int_lt(sv_list_number_cmp("QC-2026-0001", "SCAR-2026-0001"), 0);
    ck_assert_int_gt(sv_list_number_cmp("QC-7", "QC-07"), 0);
    ck_assert_int_lt(sv_list_number_cmp("QC-07", "QC-7"), 0);
    ck_assert_int_lt(sv_list_number_cmp("QC", "QC-1"), 0);
    ck_assert_int_eq(sv_list_number_cmp("QC-0012", "QC-0012"), 0);
    ck_assert_int_lt(sv_list_number_cmp(NULL, "A"), 0);
    ck_assert_int_lt(sv_list_number_cmp("A-000", "A-1"), 0);
}
END_TEST

Suite *capa_list_suite(void)
{
    Suite *su = suite_create("list");
    TCase *tc = tcase_create("list");
    tcase_add_unchecked_fixture(tc, build_store, remove_store);
    tcase_add_checked_fixture(tc, open_store, close_store);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, pages_match_the_full_sort);
    tcase_add_test(tc, only_the_page_is_kept);
    tcase_add_test(tc, board_columns_match_the_full_sort);
    tcase_add_test(tc, export_lists_every_row_in_order);
    tcase_add_test(tc, sorted_export_reads_each_header_once);
    suite_add_tcase(su, tc);
    TCase *one = tcase_create("snapshot");
    tcase_add_test(one, total_and_page_are_of_one_commit);
    suite_add_tcase(su, one);
    TCase *pure = tcase_create("pure");
    tcase_add_test(pure, sort_names_are_checked);
    tcase_add_test(pure, numbers_compare_as_issued);
    suite_add_tcase(su, pure);
    return su;
}
