/*
 * monthly_xlsx.c - the monthly report as an Excel workbook (capa_report_monthly_xlsx), with
 * libxlsxwriter: one sheet of the rows every rendering shares (monthly_rows.c), numbers as
 * numbers, bilingual column headings. Quality departments live in Excel.
 */
#include "capa_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xlsxwriter.h>

typedef struct xw {
    lxw_worksheet *ws;
    lxw_format *date_fmt, *pct_fmt;
    const capa_plant *p;
    const capa_report_plants *g; /* a group's plants (their columns), or NULL */
    lxw_row_t row;
    int err;
} xw;

static void put_cells(xw *x, lxw_row_t n, lxw_col_t col, const capa_report_row *r)
{
    if (r->is_number && worksheet_write_number(x->ws, n, col, r->number, NULL) != LXW_NO_ERROR)
        x->err = 1;
    if (r->is_time) {
        /* A real date: the plant's wall-clock time (Excel dates carry no zone). */
        capa_local_time lt;
        capa_tz_local(&lt, capa_plant_tz(x->p), r->time_ms);
        lxw_datetime dt = {lt.year, lt.month, lt.day, lt.hour, lt.minute, lt.second};
        if (worksheet_write_datetime(x->ws, n, col, &dt, x->date_fmt) != LXW_NO_ERROR)
            x->err = 1;
    } else if (!r->is_number && *r->value &&
               worksheet_write_string(x->ws, n, col, r->value, NULL) != LXW_NO_ERROR) {
        x->err = 1;
    }
}

static int put_row(const capa_report_row *r, void *payload)
{
    xw *x = payload;
    lxw_row_t n = x->row++;
    if (worksheet_write_string(x->ws, n, 0, r->section, NULL) != LXW_NO_ERROR ||
        worksheet_write_string(x->ws, n, 1, r->key, NULL) != LXW_NO_ERROR)
        x->err = 1;
    put_cells(x, n, 2, r);
    /* The cumulative percent as a percent cell: 25.00 is stored as 0.25 and shown 25.00%. */
    if (*r->percent && worksheet_write_number(x->ws, n, 3, strtod(r->percent, NULL) / 100.0,
                                              x->pct_fmt) != LXW_NO_ERROR)
        x->err = 1;
    return x->err;
}

/* The group's row, then each plant's figure of it (a count the plant did not see: 0). */
static int put_group_row(const capa_report_row *r, const capa_report_row *const *per, void *payload)
{
    xw *x = payload;
    lxw_row_t n = x->row;
    if (put_row(r, x))
        return x->err;
    for (size_t i = 0; i < x->g->n; i++) {
        lxw_col_t col = (lxw_col_t)(4 + i);
        if (per[i]) {
            const capa_plant *saved = x->p;
            x->p = x->g->zone[i]; /* a plant's moments in its own zone */
            put_cells(x, n, col, per[i]);
            x->p = saved;
        } else if (r->is_number && strncmp(r->section, "by_", 3) == 0 &&
                   worksheet_write_number(x->ws, n, col, 0, NULL) != LXW_NO_ERROR) {
            x->err = 1;
        }
    }
    return x->err;
}

static int workbook(capa_store *s, const capa_monthly *m, const capa_report_plants *g,
                    const char *out_path)
{
    capa_plant *p = NULL, *utc = NULL;
    char tmp[4200];
    /* A plant's report in its zone; the group's (many zones) in UTC, each plant's column in
     * its own. */
    int rc = g ? capa_plant_new(&utc, m->timezone) : capa_plant_get(&p, s);
    if (rc)
        return rc;
    if (g)
        p = utc;
    /* Written under a temporary name and renamed: the path holds a whole workbook or is
     * left as it was. */
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld.xlsx", out_path, (long)getpid());
    lxw_workbook *wb = workbook_new(tmp);
    if (!wb) {
        capa_plant_free(p);
        return capa_error_set(CAPA_ERROR, "monthly report: cannot write %s", out_path);
    }
    xw x = {workbook_add_worksheet(wb, "Summary"), workbook_add_format(wb),
            workbook_add_format(wb), p, g, 0, 0};
    if (!x.ws || !x.date_fmt || !x.pct_fmt) {
        x.err = 1;
    } else {
        static const char *const head[4] = {"项目 section", "键 key", "数值 value",
                                            "累计% percent"};
        for (int i = 0; i < 4; i++)
            worksheet_write_string(x.ws, 0, (lxw_col_t)i, head[i], NULL);
        x.row = 1;
        format_set_num_format(x.date_fmt, "yyyy-mm-dd hh:mm:ss");
        format_set_num_format(x.pct_fmt, "0.00%");
        worksheet_set_column(x.ws, 0, 1, 28, NULL);
        worksheet_set_column(x.ws, 2, 2, 20, NULL);
        for (size_t i = 0; g && i < g->n; i++)
            worksheet_write_string(x.ws, 0, (lxw_col_t)(4 + i), g->name[i], NULL);
        if (g) {
            worksheet_set_column(x.ws, 4, (lxw_col_t)(4 + g->n), 20, NULL);
            if (capa_report_group_rows(m, p, g, put_group_row, &x) < 0)
                x.err = 1;
        } else {
            capa_report_monthly_rows(m, p, put_row, &x);
        }
    }
    lxw_error e = workbook_close(wb);
    capa_plant_free(p);
    if (x.err || e != LXW_NO_ERROR) {
        unlink(tmp);
        return capa_error_set(CAPA_ERROR, "monthly report: cannot write %s: %s", out_path,
                              e != LXW_NO_ERROR ? lxw_strerror(e) : "worksheet error");
    }
    if (rename(tmp, out_path) != 0) {
        unlink(tmp);
        return capa_error_set(CAPA_ERROR, "monthly report: cannot write %s", out_path);
    }
    return CAPA_OK;
}

int capa_report_monthly_xlsx(capa_store *s, const capa_monthly *m, const char *out_path)
{
    return workbook(s, m, NULL, out_path);
}

int capa_report_group_xlsx(capa_store *s, const capa_monthly *t, const capa_report_plants *g,
                           const char *out_path)
{
    if (!t || !g || !out_path)
        return capa_error_set(CAPA_EINVALID, "group report: figures, plants and output required");
    return workbook(s, t, g, out_path);
}
