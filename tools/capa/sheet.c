/*
 * sheet.c - `capa list --format csv|xlsx -o FILE`: the rows of a list as a file Excel opens
 * as it is. One heading row in both languages (or the one --lang chose), then one row per
 * case with the columns of the case header record; times in the plant's time zone.
 *
 * CSV: UTF-8 with a byte-order mark (without it Excel reads UTF-8 as the ANSI code page and
 * Chinese turns to mojibake), CRLF, RFC 4180 quoting; a cell that starts with = + - @ gets a
 * leading ' so Excel never takes a customer's text for a formula. xlsx: libxlsxwriter,
 * times as real Excel dates (numbers with a date format, so they sort and filter as dates),
 * the heading row frozen and an autofilter over the whole table. Text is made valid for
 * both: bytes that are not UTF-8 become U+FFFD, control characters other than tab and line
 * breaks are dropped (XML cannot hold them).
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xlsxwriter.h>

enum {
    S_NUMBER,
    S_STAGE,
    S_STATUS,
    S_OPENED,
    S_CLOSED,
    S_STAGE_ENTERED,
    S_CUSTOMER,
    S_PART,
    S_LOT,
    S_DEFECT,
    S_SEVERITY,
    S_SUBJECT,
    S_DESC,
    S_COLS
};

static const char *const head_zh[S_COLS] = {"案号",     "阶段",     "状态",     "开立时间",
                                            "结案时间", "进入阶段", "客户",     "料号",
                                            "批号",     "缺陷代码", "严重度",   "被投诉人",
                                            "问题描述"};
static const char *const head_en[S_COLS] = {
    "Number",   "Stage",       "Status",   "Opened",         "Closed",      "Stage entered",
    "Customer", "Part number", "Lot",      "Defect code",    "Severity",    "Subject person",
    "Description"};
static const double col_width[S_COLS] = {16, 14, 10, 18, 18, 18, 22, 16, 16, 16, 10, 14, 50};

static int is_time(int col)
{
    return col == S_OPENED || col == S_CLOSED || col == S_STAGE_ENTERED;
}

struct cli_sheet {
    int xlsx;
    cli_lang lang;
    const capa_tz *tz;
    char *path, *tmp;
    FILE *csv;
    lxw_workbook *wb;
    lxw_worksheet *ws;
    lxw_format *date_fmt, *head_fmt;
    uint32_t row;
    int failed;
};

/* Valid UTF-8 without controls except \t \n \r; invalid bytes as U+FFFD. Heap (free()). */
static char *clean_text(const char *s)
{
    size_t n = s ? strlen(s) : 0, o = 0;
    char *out = malloc(n * 3 + 1);
    if (!out)
        return NULL;
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        unsigned c = *p;
        size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
                                : (c & 0xF8) == 0xF0   ? 4
                                                       : 0;
        int ok = len > 0 && (len == 1 || c >= 0xC2) && !(c == 0xF4 && len == 4 && p[1] > 0x8F) &&
                 c <= 0xF4;
        for (size_t i = 1; ok && i < len; i++)
            ok = (p[i] & 0xC0) == 0x80;
        if (ok && len == 3 && ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0)))
            ok = 0; /* overlong or a surrogate */
        if (ok && len == 4 && c == 0xF0 && p[1] < 0x90)
            ok = 0;
        if (!ok) {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            p++;
            continue;
        }
        if (len == 1 && (c < 0x20 || c == 0x7F) && c != '\t' && c != '\n' && c != '\r') {
            p++;
            continue;
        }
        memcpy(out + o, p, len);
        o += len;
        p += len;
    }
    out[o] = 0;
    return out;
}

static void heading(const cli_sheet *sh, char *buf, size_t sz, int col, const char *zone)
{
    const char *zh = head_zh[col], *en = head_en[col];
    char z[80] = "";
    if (is_time(col))
        snprintf(z, sizeof z, " (%s)", zone);
    if (sh->lang == CLI_LANG_ZH)
        snprintf(buf, sz, "%s%s", zh, z);
    else if (sh->lang == CLI_LANG_EN)
        snprintf(buf, sz, "%s%s", en, z);
    else
        snprintf(buf, sz, "%s / %s%s", zh, en, z);
}

static void csv_cell(cli_sheet *sh, const char *s, int last)
{
    char *c = clean_text(s);
    if (!c) {
        sh->failed = 1;
        return;
    }
    int quote = strpbrk(c, ",\"\r\n;\t") != NULL;
    int formula = c[0] == '=' || c[0] == '+' || c[0] == '-' || c[0] == '@';
    if (quote || formula)
        fputc('"', sh->csv);
    if (formula)
        fputc('\'', sh->csv);
    for (const char *p = c; *p; p++) {
        if (*p == '"')
            fputc('"', sh->csv);
        fputc(*p, sh->csv);
    }
    if (quote || formula)
        fputc('"', sh->csv);
    fputs(last ? "\r\n" : ",", sh->csv);
    free(c);
}

static void local_parts(const cli_sheet *sh, int64_t ms, capa_local_time *lt)
{
    capa_tz_local(lt, sh->tz, ms);
}

int cli_sheet_open(cli_sheet **out, const char *format, const char *path, cli_lang lang,
                   const capa_tz *tz, const char *zone)
{
    cli_sheet *sh = calloc(1, sizeof *sh);
    char h[200];
    *out = NULL;
    if (!sh)
        return cli_oom(NULL, "list");
    sh->xlsx = strcmp(format, "xlsx") == 0;
    sh->lang = lang;
    sh->tz = tz;
    if (!(sh->path = strdup(path)) || !(sh->tmp = malloc(strlen(path) + 16))) {
        cli_sheet_close(sh, 0);
        return cli_oom(NULL, "list");
    }
    snprintf(sh->tmp, strlen(path) + 16, "%s.tmp-%ld", path, (long)getpid());
    if (sh->xlsx) {
        lxw_workbook_options o = {.constant_memory = LXW_TRUE, .tmpdir = NULL};
        sh->wb = workbook_new_opt(sh->tmp, &o);
        sh->ws = sh->wb ? workbook_add_worksheet(sh->wb, "cases 案件") : NULL;
        if (!sh->ws) {
            cli_sheet_close(sh, 0);
            return cli_error_rule(NULL, path, "cli.io_create", "detail", "libxlsxwriter", NULL);
        }
        sh->date_fmt = workbook_add_format(sh->wb);
        format_set_num_format(sh->date_fmt, "yyyy-mm-dd hh:mm:ss");
        sh->head_fmt = workbook_add_format(sh->wb);
        format_set_bold(sh->head_fmt);
        format_set_bg_color(sh->head_fmt, 0xE8ECF6);
        for (int c = 0; c < S_COLS; c++)
            worksheet_set_column(sh->ws, (lxw_col_t)c, (lxw_col_t)c, col_width[c],
                                 is_time(c) ? sh->date_fmt : NULL);
        worksheet_freeze_panes(sh->ws, 1, 0);
        for (int c = 0; c < S_COLS; c++) {
            heading(sh, h, sizeof h, c, zone);
            worksheet_write_string(sh->ws, 0, (lxw_col_t)c, h, sh->head_fmt);
        }
    } else {
        if (strcmp(path, "-") == 0) {
            sh->csv = stdout;
        } else if (!(sh->csv = fopen(sh->tmp, "wb"))) {
            int e = errno;
            cli_sheet_close(sh, 0);
            return cli_error_rule(NULL, path, "cli.io_create", "detail", strerror(e), NULL);
        }
        cli_csv_bom(sh->csv);
        for (int c = 0; c < S_COLS; c++) {
            heading(sh, h, sizeof h, c, zone);
            csv_cell(sh, h, c == S_COLS - 1);
        }
    }
    sh->row = 1;
    *out = sh;
    return CLI_OK;
}

int cli_sheet_row(cli_sheet *sh, const capa_case_header *hd)
{
    const char *text[S_COLS] = {hd->number,      hd->stage,       hd->closed ? "closed" : "open",
                                NULL,            NULL,            NULL,
                                hd->customer,    hd->part_no,     hd->lot_no,
                                hd->defect_code, hd->severity,    hd->subject_person,
                                hd->description};
    const int64_t times[S_COLS] = {[S_OPENED] = hd->opened,
                                   [S_CLOSED] = hd->closed_at,
                                   [S_STAGE_ENTERED] = hd->stage_entered};
    if (sh->xlsx && sh->row > 1048575)
        return cli_error_rule(NULL, sh->path, "cli.sheet_rows", "max", "1048575", NULL);
    for (int c = 0; c < S_COLS && !sh->failed; c++) {
        capa_local_time lt;
        char buf[40];
        if (is_time(c)) {
            if (!times[c]) {
                if (!sh->xlsx)
                    csv_cell(sh, "", c == S_COLS - 1);
                continue;
            }
            local_parts(sh, times[c], &lt);
            if (sh->xlsx) {
                lxw_datetime dt = {lt.year, lt.month, lt.day, lt.hour, lt.minute, lt.second};
                worksheet_write_datetime(sh->ws, sh->row, (lxw_col_t)c, &dt, sh->date_fmt);
            } else {
                snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d", lt.year, lt.month,
                         lt.day, lt.hour, lt.minute, lt.second);
                csv_cell(sh, buf, c == S_COLS - 1);
            }
            continue;
        }
        if (!sh->xlsx) {
            csv_cell(sh, text[c] ? text[c] : "", c == S_COLS - 1);
            continue;
        }
        if (!text[c] || !*text[c])
            continue;
        char *clean = clean_text(text[c]);
        if (!clean)
            sh->failed = 1;
        else if (worksheet_write_string(sh->ws, sh->row, (lxw_col_t)c, clean, NULL) !=
                 LXW_NO_ERROR)
            sh->failed = 1;
        free(clean);
    }
    sh->row++;
    if (!sh->failed)
        return CLI_OK;
    char row[16];
    snprintf(row, sizeof row, "%u", (unsigned)sh->row);
    return cli_error_rule(NULL, sh->path, "cli.sheet_row", "row", row, NULL);
}

int cli_sheet_close(cli_sheet *sh, int commit)
{
    int rc = CLI_OK;
    if (!sh)
        return CLI_OK;
    if (sh->xlsx && sh->wb) {
        if (commit && !sh->failed)
            worksheet_autofilter(sh->ws, 0, 0, sh->row - 1, S_COLS - 1);
        lxw_error e = workbook_close(sh->wb);
        if (commit && e != LXW_NO_ERROR)
            rc = cli_error_rule(NULL, sh->path, "cli.io_write", "detail", lxw_strerror(e), NULL);
    } else if (sh->csv && sh->csv != stdout) {
        if (fflush(sh->csv) != 0 || fsync(fileno(sh->csv)) != 0)
            rc = cli_error_rule(NULL, sh->path, "cli.io_write", "detail", strerror(errno), NULL);
        if (fclose(sh->csv) != 0 && rc == CLI_OK)
            rc = cli_error_rule(NULL, sh->path, "cli.io_write", "detail", strerror(errno), NULL);
    } else if (sh->csv == stdout && fflush(stdout) != 0) {
        rc = cli_error_rule(NULL, "stdout", "cli.io_write", "detail", strerror(errno), NULL);
    }
    int to_file = sh->tmp && !(sh->csv == stdout && !sh->xlsx);
    if (to_file) {
        if (commit && rc == CLI_OK && !sh->failed && rename(sh->tmp, sh->path) != 0)
            rc = cli_error_rule(NULL, sh->path, "cli.io_write", "detail", strerror(errno), NULL);
        if (!commit || rc != CLI_OK || sh->failed)
            unlink(sh->tmp);
    }
    if (sh->failed && rc == CLI_OK)
        rc = CLI_ERROR;
    free(sh->path);
    free(sh->tmp);
    free(sh);
    return rc;
}
