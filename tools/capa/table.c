/*
 * table.c - text tables whose columns line up on a terminal, Chinese included: each column is
 * as wide as its widest cell in display columns (cli_width: a Chinese character takes two),
 * not in bytes, which printf's %-12s would count. Cells are escaped text (cli_text), so a
 * cell can never hold a line break of its own.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

int cli_table_add(cli_table *t, const char *const *cells)
{
    char clipped[CLI_TEXT_MAX];
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        char **nc = realloc(t->cells, cap * t->ncols * sizeof *nc);
        if (!nc)
            return -1;
        t->cells = nc;
        t->cap = cap;
    }
    char **row = t->cells + t->nrows * t->ncols;
    for (size_t i = 0; i < t->ncols; i++) {
        const char *c = cells[i] ? cells[i] : "";
        if (t->max && t->max[i])
            c = cli_clip(clipped, sizeof clipped, c, t->max[i]);
        if (!(row[i] = strdup(c))) {
            while (i-- > 0)
                free(row[i]);
            return -1;
        }
    }
    t->nrows++;
    return 0;
}

void cli_table_print(FILE *out, const cli_table *t, const char *indent)
{
    size_t *w = calloc(t->ncols ? t->ncols : 1, sizeof *w);
    for (size_t r = 0; w && r < t->nrows; r++)
        for (size_t i = 0; i < t->ncols; i++) {
            size_t cw = cli_width(t->cells[r * t->ncols + i]);
            if (cw > w[i])
                w[i] = cw;
        }
    for (size_t r = 0; r < t->nrows; r++) {
        char **row = t->cells + r * t->ncols;
        size_t last = t->ncols;
        /* Empty cells at the end of a row print nothing, not a run of spaces. */
        while (last > 0 && !row[last - 1][0])
            last--;
        fputs(indent ? indent : "", out);
        for (size_t i = 0; i < last; i++) {
            if (i + 1 < last)
                cli_put_padded(out, row[i], (w ? w[i] : 0) + 2);
            else
                fputs(row[i], out);
        }
        fputc('\n', out);
    }
    free(w);
}

void cli_table_free(cli_table *t)
{
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    t->cells = NULL;
    t->nrows = t->cap = 0;
}
