/*
 * import.c - `capa-bench --import ROWS`: `capa import --csv` of a generated 客户投诉登记表
 * (the shipped `register` mapping, a third of the rows closed) against sqlite3's own
 * `.import` of the same file into a plain table, each in its own child process so its peak
 * memory (ru_maxrss) is its own. capa runs at ROWS/4 (at least 25 000 rows: two and a half
 * batches) and at ROWS: memory flat in the number of rows shows as the same peak. The figures are capa's whole import - both passes (check
 * every row, then commit in group-commit batches), every case with its audit event, indexes
 * and durable commits - next to a bare table load; they are not the same work, which is the
 * point of the comparison. The same rows as an Excel workbook are then imported with
 * `--xlsx` (there is no sqlite3 peer for that).
 */
#define _GNU_SOURCE /* asprintf */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xlsxwriter.h>

#include "capa.h"
#include "capa_sheets.h"
#include "import.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void);

/* The cells of data row i (13 columns of the shipped `register` layout); the CSV and the
 * workbook hold the same rows. */
enum { NCOLS = 13 };
static const char *const header[NCOLS] = {"案号", "投诉日期", "客户名称", "料号", "批号",
                                          "不良数量", "缺陷代码", "问题描述", "严重程度",
                                          "投诉方式", "责任部门", "处理状态", "结案日期"};

static void row_cells(uint64_t i, char cells[NCOLS][96])
{
    static const char *const sev[] = {"一般", "重要", "重大"};
    static const char *const how[] = {"书面", "电话", "邮件", "现场"};
    int closed = i % 3 == 0;
    snprintf(cells[0], 96, "%s", "");
    snprintf(cells[1], 96, "2025/%llu/%llu", (unsigned long long)(i % 12 + 1),
             (unsigned long long)(i % 28 + 1));
    snprintf(cells[2], 96, "客户%03llu", (unsigned long long)(i % 500));
    snprintf(cells[3], 96, "P-%04llu", (unsigned long long)(i % 2000));
    snprintf(cells[4], 96, "L%06llu", (unsigned long long)i);
    snprintf(cells[5], 96, "%llu", (unsigned long long)(i % 97 + 1));
    snprintf(cells[6], 96, "D-%02llu", (unsigned long long)(i % 40));
    snprintf(cells[7], 96, "第%llu行: 外观不良, 客户要求\"8D\"报告", (unsigned long long)i);
    snprintf(cells[8], 96, "%s", sev[i % 3]);
    snprintf(cells[9], 96, "%s", how[i % 4]);
    snprintf(cells[10], 96, "%s", "生产部");
    snprintf(cells[11], 96, "%s", closed ? "已结案" : "处理中");
    snprintf(cells[12], 96, "%s", closed ? "2025-12-31 17:00" : "");
}

static int write_csv(const char *path, uint64_t rows)
{
    FILE *f = fopen(path, "w");
    char cells[NCOLS][96];
    if (!f)
        return -1;
    for (int c = 0; c < NCOLS; c++)
        fprintf(f, "%s%s", header[c], c + 1 < NCOLS ? "," : "\n");
    for (uint64_t i = 0; i < rows; i++) {
        row_cells(i, cells);
        for (int c = 0; c < NCOLS; c++) {
            if (strpbrk(cells[c], ",\"")) {
                fputc('"', f);
                for (const char *p = cells[c]; *p; p++) {
                    if (*p == '"')
                        fputc('"', f);
                    fputc(*p, f);
                }
                fputc('"', f);
            } else {
                fputs(cells[c], f);
            }
            fputc(c + 1 < NCOLS ? ',' : '\n', f);
        }
    }
    return fclose(f);
}

/* The same rows as a workbook (libxlsxwriter, shared strings, as Excel writes them). In a
 * child process: libxlsxwriter keeps the whole sheet in memory, and the imports forked after
 * must not inherit that heap into the memory they report. */
static int write_xlsx_here(const char *path, uint64_t rows);

static int write_xlsx(const char *path, uint64_t rows)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0)
        _exit(write_xlsx_here(path, rows) ? 1 : 0);
    int st = 0;
    return waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static int write_xlsx_here(const char *path, uint64_t rows)
{
    lxw_workbook *wb = workbook_new(path);
    lxw_worksheet *ws = wb ? workbook_add_worksheet(wb, "登记表") : NULL;
    char cells[NCOLS][96];
    if (!ws)
        return -1;
    for (int c = 0; c < NCOLS; c++)
        worksheet_write_string(ws, 0, (lxw_col_t)c, header[c], NULL);
    for (uint64_t i = 0; i < rows; i++) {
        row_cells(i, cells);
        for (int c = 0; c < NCOLS; c++)
            if (cells[c][0])
                worksheet_write_string(ws, (lxw_row_t)(i + 1), (lxw_col_t)c, cells[c], NULL);
    }
    return workbook_close(wb) == LXW_NO_ERROR ? 0 : -1;
}

typedef struct figures {
    double secs;
    uint64_t rows, maxrss_kib;
    double cpu;        /* user + system seconds of the import (capa) */
    uint64_t anon_kib; /* peak of the process's own (anonymous) memory, sampled */
    char err[256];
} figures;

/* RssAnon: the memory that is the process's own. ru_maxrss also counts the pages of the
 * LMDB map it touched, which grow with the database, not with what the import holds. */
static uint64_t rss_anon_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    uint64_t v = 0;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "RssAnon:", 8) == 0)
            v = strtoull(line + 8, NULL, 10);
    if (f)
        fclose(f);
    return v;
}

static void sample(int pass, uint64_t done, uint64_t total, void *payload)
{
    figures *f = payload;
    uint64_t v = rss_anon_kib();
    (void)pass, (void)done, (void)total;
    if (v > f->anon_kib)
        f->anon_kib = v;
}

/* capa: init a store, import the file; in this (child) process. */
static void capa_run(const char *dir, const char *csv, int xlsx, figures *out)
{
    capa_store *s = NULL;
    capa_mapping *m = NULL;
    capa_diag d = {0};
    capa_open_opts oo = {.create = 1, .kdf_log2n = 10};
    capa_init_opts io = {.org = "bench", .admin_password = "bench-admin-pw"};
    capa_actor who = {"admin", "bench-admin-pw"};
    capa_sheet_import_result res;
    if (capa_store_open(&s, dir, &oo) || capa_store_init(s, &io) ||
        capa_mapping_load(&m, "register", &d)) {
        snprintf(out->err, sizeof out->err, "setup: %s", capa_error_last());
        goto done;
    }
    capa_sheet_import_opts opts = {
        .path = csv, .xlsx = xlsx, .map = m, .progress = sample, .payload = out};
    double t0 = now_s(), c0 = cpu_s();
    if (capa_sheet_import(&res, s, &who, &opts)) {
        snprintf(out->err, sizeof out->err, "import: %s", capa_error_last());
        goto done;
    }
    out->secs = now_s() - t0;
    out->cpu = cpu_s() - c0;
    out->rows = res.imported;
done:
    capa_diag_clear(&d);
    capa_mapping_free(m);
    capa_store_close(s);
}

static double cpu_s(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru))
        return 0;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void in_child(const char *dir, const char *csv, int xlsx, figures *out)
{
    int fd[2];
    memset(out, 0, sizeof *out);
    if (pipe(fd)) {
        snprintf(out->err, sizeof out->err, "pipe: %s", strerror(errno));
        return;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        figures f = {0};
        struct rusage ru;
        close(fd[0]);
        capa_run(dir, csv, xlsx, &f);
        if (getrusage(RUSAGE_SELF, &ru) == 0)
            f.maxrss_kib = (uint64_t)ru.ru_maxrss;
        if (write(fd[1], &f, sizeof f) != (ssize_t)sizeof f)
            _exit(1);
        _exit(0);
    }
    close(fd[1]);
    if (read(fd[0], out, sizeof *out) != (ssize_t)sizeof *out)
        snprintf(out->err, sizeof out->err, "child died");
    close(fd[0]);
    waitpid(pid, NULL, 0);
}

/* sqlite3's CLI: `.import --csv FILE t` into a fresh database (a plain table from the header). */
static void sqlite_run(const char *db, const char *csv, uint64_t rows, figures *out)
{
    char cmd[4200];
    memset(out, 0, sizeof *out);
    snprintf(cmd, sizeof cmd, ".import --csv %s t", csv);
    fflush(NULL);
    double t0 = now_s();
    pid_t pid = fork();
    if (pid == 0) {
        execlp("sqlite3", "sqlite3", db, cmd, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    struct rusage ru;
    if (wait4(pid, &st, 0, &ru) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        snprintf(out->err, sizeof out->err, "sqlite3 failed (status %d; is it installed?)", st);
        return;
    }
    out->secs = now_s() - t0;
    out->cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
               (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    out->rows = rows;
    out->maxrss_kib = (uint64_t)ru.ru_maxrss;
}

static void line(const char *what, const figures *f)
{
    if (f->err[0]) {
        printf("| %s | - | - | - | - | - | - | - (%s) |\n", what, f->err);
        return;
    }
    char anon[32] = "-";
    if (f->anon_kib)
        snprintf(anon, sizeof anon, "%.1f", (double)f->anon_kib / 1024.0);
    printf("| %s | %llu | %.2f | %.0f | %.2f | %.0f | %.1f | %s |\n", what,
           (unsigned long long)f->rows, f->secs, f->secs > 0 ? (double)f->rows / f->secs : 0,
           f->cpu, f->cpu > 0 ? (double)f->rows / f->cpu : 0, (double)f->maxrss_kib / 1024.0,
           anon);
}

int bench_import(uint64_t rows, const char *base)
{
    char dir[4096], csv_small[4200], csv[4200], xlsx[4200], d1[4200], d2[4200], d3[4200],
        db[4200];
    figures small, big, book, lite;
    snprintf(dir, sizeof dir, "%s/capa-bench-import-XXXXXX", base);
    if (!mkdtemp(dir)) {
        fprintf(stderr, "capa-bench: mkdtemp in %s: %s\n", base, strerror(errno));
        return 1;
    }
    snprintf(csv_small, sizeof csv_small, "%s/register-small.csv", dir);
    snprintf(csv, sizeof csv, "%s/register.csv", dir);
    snprintf(d1, sizeof d1, "%s/capa-small", dir);
    snprintf(d2, sizeof d2, "%s/capa", dir);
    snprintf(xlsx, sizeof xlsx, "%s/register.xlsx", dir);
    snprintf(d3, sizeof d3, "%s/capa-xlsx", dir);
    snprintf(db, sizeof db, "%s/sqlite.db", dir);
    /* The smaller run holds at least two and a half 10 000-row batches: the import keeps two
     * in memory (one read, one in the engine), so below that it is not yet at its bound. */
    uint64_t few = rows / 4 >= 25000 || rows < 25000 ? rows / 4 : 25000;
    if (write_csv(csv_small, few) || write_csv(csv, rows) || write_xlsx(xlsx, rows)) {
        fprintf(stderr, "capa-bench: cannot write the CSV and xlsx files in %s\n", dir);
        return 1;
    }
    double load0[1] = {0}, load1[1] = {0};
    if (getloadavg(load0, 1) < 1)
        load0[0] = -1;
    in_child(d1, csv_small, 0, &small);
    in_child(d2, csv, 0, &big);
    in_child(d3, xlsx, 1, &book);
    sqlite_run(db, csv, rows, &lite);
    if (getloadavg(load1, 1) < 1)
        load1[0] = -1;
    printf("## import of a 客户投诉登记表 CSV (%llu rows, a third closed)\n\n"
           "| engine | rows | seconds | rows/s | CPU s | rows per CPU s | peak RSS MiB | peak own "
           "(anon) MiB |\n|---|---:|---:|---:|---:|---:|---:|---:|\n",
           (unsigned long long)rows);
    char what[80];
    snprintf(what, sizeof what, "capa import (%llu rows)", (unsigned long long)few);
    line(what, &small);
    snprintf(what, sizeof what, "capa import (%llu rows)", (unsigned long long)rows);
    line(what, &big);
    snprintf(what, sizeof what, "capa import --xlsx (%llu rows)", (unsigned long long)rows);
    line(what, &book);
    line("sqlite3 .import, plain table", &lite);
    printf("\nload average (1 min) at the start / end: %.2f / %.2f on %ld CPUs\n", load0[0],
           load1[0], sysconf(_SC_NPROCESSORS_ONLN));
    int ok = !small.err[0] && !big.err[0] && !book.err[0];
    if (ok) {
        double rate = big.secs > 0 ? (double)big.rows / big.secs : 0;
        double xrate = book.secs > 0 ? (double)book.rows / book.secs : 0;
        printf("\ntarget: capa import --csv >= 50000 rows/s: %.0f rows/s, %s\n", rate,
               rate >= 50000 ? "met" : "NOT met");
        printf("target: capa import --xlsx >= 50000 rows/s: %.0f rows/s, %s\n", xrate,
               xrate >= 50000 ? "met" : "NOT met");
        double grow = small.anon_kib ? (double)big.anon_kib / (double)small.anon_kib : 0;
        printf("target: memory flat in the number of rows: own memory %.1f MiB at %llu rows, "
               "%.1f MiB at %llu (x%.2f for x%.1f the rows; RSS with the touched LMDB map "
               "x%.2f), %s\n",
               (double)small.anon_kib / 1024.0, (unsigned long long)few,
               (double)big.anon_kib / 1024.0, (unsigned long long)rows, grow,
               few ? (double)rows / (double)few : 0,
               small.maxrss_kib ? (double)big.maxrss_kib / (double)small.maxrss_kib : 0,
               few < 25000 ? "not measured (the smaller run is under 2.5 batches)"
               : grow > 0 && grow <= 1.25 ? "met" : "NOT met");
        if (!lite.err[0] && lite.secs > 0)
            printf("capa / sqlite3 .import: %.2f of its rate\n",
                   ((double)big.rows / big.secs) / ((double)lite.rows / lite.secs));
    }
    char *cmd = NULL;
    if (asprintf(&cmd, "rm -rf '%s'", dir) >= 0 && system(cmd) != 0)
        fprintf(stderr, "capa-bench: could not remove %s\n", dir);
    free(cmd);
    return ok ? 0 : 1;
}
