/*
 * check_store.c - the store itself: initialisation rules, numbering, map full then growth,
 * several processes writing one database, backup.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "codec.h"
#include "testutil.h"


static int64_t fixed_clock(void *p)
{
    return *(int64_t *)p;
}

START_TEST(open_missing_directory_is_not_found)
{
    capa_store *s = NULL;
    capa_open_opts o = {0};
    FAILS(capa_store_open(&s, "/nonexistent/capa-db", &o), CAPA_ENOTFOUND, "capa init");
    ck_assert_ptr_null(s);
}
END_TEST

START_TEST(uninitialised_store_refuses_work_and_init_runs_once)
{
    char *dir = tu_mkdtemp();
    capa_store *s = tu_reopen(dir);
    capa_actor a = tu_as("admin");
    capa_kv kv = {"customer", "x"};
    char *num = NULL;
    FAILS(capa_case_open(&num, s, &a, &kv, 1), CAPA_ESTATE, "not initialised");
    capa_init_opts io = {.org = "", .admin_password = TU_PW};
    FAILS(capa_store_init(s, &io), CAPA_EINVALID, "org");
    io.org = "厂";
    io.number_pattern = "QC-{YYYY}";
    FAILS(capa_store_init(s, &io), CAPA_EINVALID, "exactly one counter");
    io.number_pattern = "QC {NNN}";
    FAILS(capa_store_init(s, &io), CAPA_EINVALID, "not allowed");
    io.number_pattern = NULL;
    io.admin_password = "123";
    FAILS(capa_store_init(s, &io), CAPA_EINVALID, "password");
    io.admin_password = TU_PW;
    OK(capa_store_init(s, &io));
    FAILS(capa_store_init(s, &io), CAPA_EEXISTS, "already initialised");
    capa_store_info info;
    OK(capa_store_info_get(&info, s));
    ck_assert_str_eq(info.org, "厂");
    ck_assert_str_eq(info.number_pattern, "QC-{YYYY}-{NNNN}");
    capa_store_info_clear(&info);
    capa_store_close(s);
    tu_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(numbers_follow_pattern_and_restart_each_year)
{
    char *dir = tu_mkdtemp();
    int64_t now = 1798759800000LL; /* 2026-12-31T23:30:00Z */
    capa_open_opts o = {.create = 1, .map_size = 64 << 20, .kdf_log2n = 8};
    o.clock = fixed_clock;
    o.clock_payload = &now;
    capa_store *s = NULL;
    OK(capa_store_open(&s, dir, &o));
    capa_init_opts io = {.org = "厂", .admin_password = TU_PW,
                         .number_pattern = "8D-{YY}{MM}-{NNN}"};
    OK(capa_store_init(s, &io));
    capa_actor a = tu_as("admin");
    OK(capa_user_add(s, &a, "li", "intake", "李娜", "业务部", TU_PW));
    capa_actor li = tu_as("li");
    capa_kv kv[] = {{"customer", "华东汽车"}, {"part_no", "P-1"}, {"severity", "general"},
                    {"description", "x"}};
    char *n1 = NULL, *n2 = NULL, *n3 = NULL;
    OK(capa_case_open(&n1, s, &li, kv, 4));
    OK(capa_case_open(&n2, s, &li, kv, 4));
    now += 3600 * 1000; /* into 2027 */
    OK(capa_case_open(&n3, s, &li, kv, 4));
    ck_assert_str_eq(n1, "8D-2612-001");
    ck_assert_str_eq(n2, "8D-2612-002");
    ck_assert_str_eq(n3, "8D-2701-001");
    free(n1), free(n2), free(n3);
    capa_store_close(s);
    tu_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(map_full_is_a_clean_error_then_growth_succeeds)
{
    char *dir = tu_mkdtemp();
    capa_open_opts o = {.create = 1, .map_size = 1 << 20, .map_max = 1 << 20, .kdf_log2n = 8};
    capa_store *s = NULL;
    OK(capa_store_open(&s, dir, &o));
    capa_init_opts io = {.org = "厂", .admin_password = TU_PW};
    OK(capa_store_init(s, &io));
    capa_actor a = tu_as("admin");
    OK(capa_user_add(s, &a, "li", "intake", "李娜", "业务部", TU_PW));
    capa_actor li = tu_as("li");
    static char big[3000];
    memset(big, 'x', sizeof big - 1);
    capa_kv kv[] = {{"customer", "华东汽车"}, {"part_no", "P-1"}, {"severity", "general"},
                    {"description", big}};
    int rc = CAPA_OK, opened = 0;
    char *num = NULL;
    while (rc == CAPA_OK && opened < 2000) {
        rc = capa_case_open(&num, s, &li, kv, 4);
        if (rc == CAPA_OK) {
            opened++;
            free(num);
        }
    }
    ck_assert_int_eq(rc, CAPA_EFULL);
    ck_assert_ptr_nonnull(strstr(capa_error_last(), "map full"));
    ck_assert_ptr_null(num);
    capa_store_info info;
    OK(capa_store_info_get(&info, s));
    ck_assert_int_eq(info.n_cases, (uint64_t)opened);
    capa_store_info_clear(&info);
    char head[65];
    uint64_t bad;
    OK(capa_audit_verify(s, head, &bad));
    capa_store_close(s);

    /* With room to grow, the same requests succeed: the map doubles and the write is retried.
     * Reopened, LMDB may reuse pages the last transactions freed, so the first request can
     * still fit: open cases until one needed the growth (as many as filled the map, at most). */
    o.map_max = 0;
    OK(capa_store_open(&s, dir, &o));
    int more = 0;
    do {
        OK(capa_case_open(&num, s, &li, kv, 4));
        free(num);
        more++;
        capa_store_info_clear(&info);
        OK(capa_store_info_get(&info, s));
    } while (info.map_size <= 1 << 20 && more < opened);
    ck_assert_int_eq(info.n_cases, (uint64_t)opened + (uint64_t)more);
    ck_assert_uint_gt(info.map_size, 1 << 20);
    capa_store_info_clear(&info);
    OK(capa_audit_verify(s, head, &bad));
    capa_store_close(s);
    tu_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(two_processes_write_one_database)
{
    char *dir = NULL;
    capa_store *s = tu_store(&dir, 1);
    capa_store_close(s);
    pid_t kids[3];
    for (int k = 0; k < 3; k++) {
        kids[k] = fork();
        if (kids[k] == 0) {
            capa_store *cs = NULL;
            capa_open_opts o = {.map_size = 64 << 20, .kdf_log2n = 8};
            if (capa_store_open(&cs, dir, &o) != CAPA_OK)
                _exit(2);
            for (int i = 0; i < 10; i++) {
                char *n = tu_open_case(cs, NULL);
                free(n);
            }
            capa_store_close(cs);
            _exit(0);
        }
    }
    for (int k = 0; k < 3; k++) {
        int status = 0;
        waitpid(kids[k], &status, 0);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d failed", k);
    }
    s = tu_reopen(dir);
    capa_store_info info;
    OK(capa_store_info_get(&info, s));
    ck_assert_int_eq(info.n_cases, 30);
    capa_store_info_clear(&info);
    char head[65];
    uint64_t bad;
    OK(capa_audit_verify(s, head, &bad));
    capa_store_close(s);
    tu_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(backup_is_a_working_store)
{
    char *dir = NULL;
    capa_store *s = tu_store(&dir, 1);
    char *num = tu_open_case(s, NULL);
    char bdir[4200];
    snprintf(bdir, sizeof bdir, "%s/backup", dir);
    OK(capa_store_backup(s, bdir));
    capa_store *b = tu_reopen(bdir);
    capa_case *c = NULL;
    OK(capa_case_get(&c, b, num));
    capa_case_free(c);
    char h1[65], h2[65];
    tu_head(s, h1);
    tu_head(b, h2);
    ck_assert_str_eq(h1, h2);
    capa_store_close(b);
    capa_store_close(s);
    free(num);
    tu_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(backup_creates_a_private_directory)
{
    char *dir = NULL;
    capa_store *s = tu_store(&dir, 0);
    char bdir[4200], data[4300];
    struct stat st;
    snprintf(bdir, sizeof bdir, "%s/backup", dir);
    snprintf(data, sizeof data, "%s/data.mdb", bdir);
    OK(capa_store_backup(s, bdir));
    ck_assert_int_eq(stat(bdir, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0700);
    ck_assert_int_eq(stat(data, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0640);
    /* An existing empty directory is fine too. */
    snprintf(bdir, sizeof bdir, "%s/empty", dir);
    ck_assert_int_eq(mkdir(bdir, 0755), 0);
    OK(capa_store_backup(s, bdir));
    capa_store_close(s);
    tu_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(backup_into_a_non_empty_directory_is_refused)
{
    char *dir = NULL;
    capa_store *s = tu_store(&dir, 0);
    char bdir[4200], note[4300], path[4300];
    struct stat st;
    snprintf(bdir, sizeof bdir, "%s/full", dir);
    snprintf(note, sizeof note, "%s/notes.txt", bdir);
    ck_assert_int_eq(mkdir(bdir, 0755), 0);
    ck_assert_int_eq(tu_write_file(note, "keep", 4), 0);
    FAILS(capa_store_backup(s, bdir), CAPA_EEXISTS, "not empty");
    ck_assert_msg(strstr(capa_error_last(), bdir) != NULL, "message does not name the target");
    snprintf(path, sizeof path, "%s/data.mdb", bdir);
    ck_assert_int_ne(stat(path, &st), 0);
    size_t len = 0;
    char *kept = tu_read_file(note, &len);
    ck_assert_ptr_nonnull(kept);
    ck_assert_int_eq(len, 4);
    free(kept);
    /* A second backup into the first one's directory is refused the same way. */
    snprintf(bdir, sizeof bdir, "%s/b1", dir);
    OK(capa_store_backup(s, bdir));
    FAILS(capa_store_backup(s, bdir), CAPA_EEXISTS, "not empty");
    /* A missing parent is not created. */
    snprintf(bdir, sizeof bdir, "%s/no/such", dir);
    FAILS(capa_store_backup(s, bdir), CAPA_ENOTFOUND, "cannot create");
    capa_store_close(s);
    tu_rmtree(dir);
    free(dir);
}
END_TEST

/* A record of a version byte, a short name, a long text and a short tail, as the event and
 * stage encoders write them. */
static void long_text_record(capa_buf *b, const char *text, size_t n_short)
{
    capa_buf_u8(b, 1);
    for (size_t i = 0; i < n_short; i++)
        capa_buf_str(b, "customer-name-0042");
    capa_buf_str(b, text);
    capa_buf_str(b, "tail");
}

static int unpacks_to(const capa_buf *packed, const capa_buf *raw)
{
    const unsigned char *out;
    size_t n;
    void *tmp = NULL;
    int err = capa_unpack(packed->p, packed->len, &out, &n, &tmp);
    int same = !err && n == raw->len && memcmp(out, raw->p, n) == 0;
    capa__free(tmp);
    return same;
}

static int unpack_err(const unsigned char *p, size_t n)
{
    const unsigned char *out;
    size_t len;
    void *tmp = NULL;
    int err = capa_unpack(p, n, &out, &len, &tmp);
    capa__free(tmp);
    return err;
}

START_TEST(long_texts_are_packed_in_segments_and_unpack_exactly)
{
    char text[1900 + 1];
    for (size_t i = 0; i < sizeof text - 1; i++)
        text[i] = "solder bridge on pad found at incoming inspection lot held "[i % 58];
    text[sizeof text - 1] = 0;
    capa_buf raw = {0}, a = {0}, b = {0}, c = {0};
    long_text_record(&raw, text, 1);
    long_text_record(&a, text, 1);
    capa_pack(&a);
    /* The long text is a frame of its own, the fields around it as they are. */
    ck_assert_uint_eq(a.p[0], CAPA_PACK_SEG);
    ck_assert_uint_lt(a.len, raw.len / 4);
    ck_assert(memmem(a.p, a.len, "customer-name-0042", 18) != NULL);
    ck_assert(unpacks_to(&a, &raw));
    /* The same text in another record (its frame reused): the same bytes as compressing it. */
    long_text_record(&b, text, 1);
    capa_pack(&b);
    ck_assert_uint_eq(b.len, a.len);
    ck_assert(memcmp(a.p, b.p, a.len) == 0);
    /* Most of the record outside long strings: one frame over all of it, as before. */
    capa_buf raw2 = {0};
    long_text_record(&raw2, text, 80);
    long_text_record(&c, text, 80);
    capa_pack(&c);
    ck_assert_uint_eq(c.p[0], CAPA_PACK_MARK);
    ck_assert(unpacks_to(&c, &raw2));
    capa_buf_free(&raw2);
    capa_buf_free(&c);

    /* Damaged segments are refused, never over-read: every truncation, a length past the
     * end, an empty segment, a raw length that the segments do not fill or overfill. */
    for (size_t n = 1; n < a.len; n++)
        ck_assert_int_eq(unpack_err(a.p, n), CAPA_ECORRUPT);
    unsigned char bad[4096];
    size_t hdr = 1; /* marker, varint raw length */
    while (a.p[hdr] & 0x80)
        hdr++;
    hdr++;
    memcpy(bad, a.p, a.len);
    bad[hdr] = 0x7e; /* first segment: 63 raw bytes, more than the record's first run */
    ck_assert_int_eq(unpack_err(bad, a.len), CAPA_ECORRUPT);
    memcpy(bad, a.p, hdr);
    bad[hdr] = 0; /* an empty segment */
    memcpy(bad + hdr + 1, a.p + hdr, a.len - hdr);
    ck_assert_int_eq(unpack_err(bad, a.len + 1), CAPA_ECORRUPT);
    memcpy(bad, a.p, a.len);
    bad[a.len] = 2; /* one raw byte beyond the raw length */
    bad[a.len + 1] = 'x';
    ck_assert_int_eq(unpack_err(bad, a.len + 2), CAPA_ECORRUPT);
    memcpy(bad, a.p, a.len);
    bad[1] = (unsigned char)(bad[1] + 1); /* raw length one more than the segments give */
    ck_assert_int_eq(unpack_err(bad, a.len), CAPA_ECORRUPT);
    capa_buf_free(&raw);
    capa_buf_free(&a);
    capa_buf_free(&b);
}
END_TEST

/* verify.c's reader hands the frames of an event to the apply loop (capa_pack__frames, then
 * capa_pack__remember): each frame is paired with exactly the text it decompressed to, a
 * remembered frame is what packing takes for that text (the record is the stored bytes),
 * and a segment that is not one frame stating its size pairs nothing. */
START_TEST(an_events_frames_pack_the_same_text_again)
{
    char t1[1300 + 1], t2[1100 + 1];
    for (size_t i = 0; i < sizeof t1 - 1; i++)
        t1[i] = "containment: sorted 4 000 pcs at the customer, 12 found "[i % 56];
    for (size_t i = 0; i < sizeof t2 - 1; i++)
        t2[i] = "root cause: reflow profile drifted after maintenance "[i % 53];
    t1[sizeof t1 - 1] = t2[sizeof t2 - 1] = 0;
    capa_buf a = {0}, raw = {0};
    long_text_record(&raw, t1, 1);
    long_text_record(&a, t1, 1);
    capa_pack(&a);
    ck_assert_uint_eq(a.p[0], CAPA_PACK_SEG);
    const unsigned char *out;
    size_t n;
    void *tmp = NULL;
    ck_assert_int_eq(capa_unpack(a.p, a.len, &out, &n, &tmp), CAPA_OK);
    capa_frame f[4];
    ck_assert_uint_eq(capa_pack__frames(a.p, a.len, out, n, f, 4), 1);
    ck_assert_uint_eq(f[0].raw_len, strlen(t1));
    ck_assert(memcmp(f[0].raw, t1, strlen(t1)) == 0);

    /* On a fresh thread's memo (here: after the frame is remembered), packing the same text at
     * verify's fast level takes the stored frame: the very bytes of the stored record. */
    capa_pack__remember(CAPA_PACK_LEVEL, f[0].raw, f[0].raw_len, f[0].z, f[0].z_len);
    capa_buf b = {0};
    long_text_record(&b, t1, 1);
    capa_pack_level(&b, -1);
    ck_assert_uint_eq(b.len, a.len);
    ck_assert(memcmp(a.p, b.p, a.len) == 0);
    capa__free(tmp);

    /* Two frames in one segment (t1's and t2's): it unpacks, but pairs nothing. */
    capa_buf c = {0};
    long_text_record(&c, t2, 1);
    capa_pack(&c);
    ck_assert_int_eq(capa_unpack(c.p, c.len, &out, &n, &tmp), CAPA_OK);
    capa_frame g[4];
    ck_assert_uint_eq(capa_pack__frames(c.p, c.len, out, n, g, 4), 1);
    capa_buf two = {0}, raw2 = {0};
    capa_buf_u8(&raw2, 1);
    capa_buf_bytes(&raw2, t1, strlen(t1));
    capa_buf_bytes(&raw2, t2, strlen(t2));
    capa_buf_u8(&two, CAPA_PACK_SEG);
    capa_buf_varint(&two, raw2.len);
    capa_buf_varint(&two, 2); /* one raw byte: the version */
    capa_buf_u8(&two, 1);
    capa_buf_varint(&two, (uint64_t)(f[0].z_len + g[0].z_len) << 1 | 1);
    capa_buf_bytes(&two, f[0].z, f[0].z_len);
    capa_buf_bytes(&two, g[0].z, g[0].z_len);
    const unsigned char *out2;
    void *tmp2 = NULL;
    ck_assert_int_eq(capa_unpack(two.p, two.len, &out2, &n, &tmp2), CAPA_OK);
    ck_assert_uint_eq(n, raw2.len);
    ck_assert(memcmp(out2, raw2.p, n) == 0);
    ck_assert_uint_eq(capa_pack__frames(two.p, two.len, out2, n, g, 4), 0);
    capa__free(tmp2);
    capa__free(tmp);
    capa_buf_free(&a), capa_buf_free(&b), capa_buf_free(&c), capa_buf_free(&raw);
    capa_buf_free(&two), capa_buf_free(&raw2);
}
END_TEST

Suite *capa_store_suite(void)
{
    Suite *su = suite_create("store");
    TCase *tc = tcase_create("store");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, open_missing_directory_is_not_found);
    tcase_add_test(tc, uninitialised_store_refuses_work_and_init_runs_once);
    tcase_add_test(tc, numbers_follow_pattern_and_restart_each_year);
    tcase_add_test(tc, map_full_is_a_clean_error_then_growth_succeeds);
    tcase_add_test(tc, two_processes_write_one_database);
    tcase_add_test(tc, backup_is_a_working_store);
    tcase_add_test(tc, backup_creates_a_private_directory);
    tcase_add_test(tc, backup_into_a_non_empty_directory_is_refused);
    tcase_add_test(tc, long_texts_are_packed_in_segments_and_unpack_exactly);
    tcase_add_test(tc, an_events_frames_pack_the_same_text_again);
    suite_add_tcase(su, tc);
    return su;
}
