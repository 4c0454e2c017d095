/*
 * testutil.c - scratch directories and file helpers for the Check suites.
 */
/* nftw() is an X/Open extension, outside the POSIX level the build selects. */
#define _XOPEN_SOURCE 700
#include "testutil.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *tu_mkdtemp(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/capa-test-XXXXXX", base ? base : "/tmp");
    char *p = mkdtemp(tmpl);
    return p ? strdup(p) : NULL;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

void tu_rmtree(const char *path)
{
    if (path)
        nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = 0;
        if (len)
            *len = (size_t)n;
    }
    return buf;
}

int tu_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(data, 1, len, f);
    return fclose(f) == 0 && w == len ? 0 : -1;
}

#include <check.h>

static capa_open_opts test_opts(void)
{
    capa_open_opts o = {0};
    o.create = 1;
    o.map_size = (size_t)64 << 20;
    o.kdf_log2n = 8;
    return o;
}

capa_store *tu_reopen(const char *dir)
{
    capa_store *s = NULL;
    capa_open_opts o = test_opts();
    int err = capa_store_open(&s, dir, &o);
    ck_assert_msg(err == CAPA_OK, "open %s: %s", dir, capa_error_last());
    return s;
}

capa_actor tu_as(const char *user)
{
    capa_actor a = {user, TU_PW};
    return a;
}

capa_store *tu_store(char **dir, int users)
{
    *dir = tu_mkdtemp();
    ck_assert_ptr_nonnull(*dir);
    capa_store *s = tu_reopen(*dir);
    capa_init_opts io = {0};
    io.org = "示例电子有限公司";
    io.admin_password = TU_PW;
    int err = capa_store_init(s, &io);
    ck_assert_msg(err == CAPA_OK, "init: %s", capa_error_last());
    if (!users)
        return s;
    static const char *u[][4] = {
        {"li", "intake", "李娜", "业务部"},        {"wang", "qe", "王工", "品管部"},
        {"chen", "qe_lead", "陈主管", "品管部"},   {"zhao", "prod_mgr", "赵经理", "生产部"},
        {"sun", "production", "孙班长", "生产部"}, {"zhou", "auditor", "周审核", "审计部"},
    };
    capa_actor admin = tu_as("admin");
    for (size_t i = 0; i < sizeof u / sizeof *u; i++) {
        err = capa_user_add(s, &admin, u[i][0], u[i][1], u[i][2], u[i][3], TU_PW);
        ck_assert_msg(err == CAPA_OK, "user add %s: %s", u[i][0], capa_error_last());
    }
    return s;
}

char *tu_open_case(capa_store *s, const char *subject_person)
{
    capa_kv v[] = {
        {"customer", "华东汽车"},       {"part_no", "PCB-7731"},
        {"lot_no", "L2026-1102"},       {"qty_affected", "120"},
        {"defect_code", "SOLDER-BRIDGE"}, {"severity", "important"},
        {"channel", "written"},         {"complaint_type", "quality"},
        {"responsible_dept", "生产部"},  {"description", "焊点连锡，客户来料检验发现"},
        {"subject_person", subject_person ? subject_person : ""},
    };
    capa_actor li = tu_as("li");
    char *number = NULL;
    int err = capa_case_open(&number, s, &li, v, sizeof v / sizeof *v);
    ck_assert_msg(err == CAPA_OK, "open: %s", capa_error_last());
    return number;
}

uint64_t tu_events(capa_store *s)
{
    capa_store_info info;
    ck_assert_int_eq(capa_store_info_get(&info, s), CAPA_OK);
    uint64_t n = info.n_events;
    capa_store_info_clear(&info);
    return n;
}

void tu_head(capa_store *s, char buf[65])
{
    uint64_t bad = 0;
    int err = capa_audit_verify(s, buf, &bad);
    ck_assert_msg(err == CAPA_OK, "verify: %s", capa_error_last());
}
