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
    lxw_row_t row;
    int err;
} xw;

static int put_row(const capa_report_row *r, void *payload)
{
    xw *x = payload;
    lxw_row_t n = x->row++;
    if (worksheet_write_string(x->ws, n, 0, r->section, NULL) != LXW_NO_ERROR ||
        worksheet_write_string(x->ws, n, 1, r->key, NULL) != LXW_NO_ERROR)
        x->err = 1;
    if (r->is_number && worksheet_write_number(x->ws, n, 2, r->number, NULL) != LXW_NO_ERROR)
        x->err = 1;
    if (r->is_time) {
        /* A real date: the plant's wall-clock time (Excel dates carry no zone). */
        capa_local_time lt;
        capa_tz_local(&lt, capa_plant_tz(x->p), r->time_ms);
        lxw_datetime dt = {lt.year, lt.month, lt.day, lt.hour, lt.minute, lt.second};
        if (worksheet_write_datetime(x->ws, n, 2, &dt, x->date_fmt) != LXW_NO_ERROR)
            x->err = 1;
    } else if (!r->is_number && *r->value &&
               worksheet_write_string(x->ws, n, 2, r->value, NULL) != LXW_NO_ERROR) {
        x->err = 1;
    }
    /* The cumulative percent as a percent cell: 25.00 is stored as 0.25 and shown 25.00%. */
    if (*r->percent && worksheet_write_number(x->ws, n, 3, strtod(r->percent, NULL) / 100.0,
                                              x->pct_fmt) != LXW_NO_ERROR)
        x->err = 1;
    return x->err;
}

int capa_report_monthly_xlsx(capa_store *s, const capa_monthly *m, const char *out_path)
{
    capa_plant *p = NULL;
    char tmp[4200];
    int rc = capa_plant_get(&p, s);
    if (rc)
        return rc;
    /* Written under a temporary name and renamed: the path holds a whole workbook or is
     * left as it was. */
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld.xlsx", out_path, (long)getpid());
    lxw_workbook *wb = workbook_new(tmp);
    if (!wb) {
        capa_plant_free(p);
        return capa_error_set(CAPA_ERROR, "monthly report: cannot write %s", out_path);
    }
    xw x = {workbook_add_worksheet(wb, "Summary"), workbook_add_format(wb),
            workbook_add_format(wb), p, 0, 0};
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
        capa_report_monthly_rows(m, p, put_row, &x);
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
