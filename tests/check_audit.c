/*
 * check_audit.c - the audit trail: every change has its event with old -> new values, and
 * `verify` finds an edited, deleted or reordered event written straight into LMDB.
 */
#include <check.h>
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "store.h"
#include "testutil.h"

static char *dir;
static capa_store *s;
static char *num;

static void setup(void)
{
    s = tu_store(&dir, 1);
    num = tu_open_case(s, NULL);
    capa_actor w = tu_as("wang");
    capa_kv kv[] = {{"validity", "valid"}, {"containment", "隔离"}};
    OK(capa_case_set(s, num, &w, kv, 2, "客户电话确认"));
    capa_kv kv2 = {"containment", "库存隔离 3 批"};
    OK(capa_case_set(s, num, &w, &kv2, 1, NULL));
}

static void teardown(void)
{
    capa_store_close(s);
    tu_rmtree(dir);
    free(dir);
    free(num);
}

typedef struct seen {
    int n;
    int found_change;
    int found_reason;
} seen;

static int look(const capa_event *e, void *p)
{
    seen *x = p;
    x->n++;
    ck_assert_int_eq(strlen(e->hash), 64);
    ck_assert_int_gt(e->time, 0);
    for (size_t i = 0; i < e->n_changes; i++)
        if (strcmp(e->changes[i].field, "containment") == 0 && e->changes[i].old_value &&
            strcmp(e->changes[i].old_value, "隔离") == 0 &&
            strcmp(e->changes[i].new_value, "库存隔离 3 批") == 0)
            x->found_change = 1;
    if (e->reason && strcmp(e->reason, "客户电话确认") == 0 && strcmp(e->actor, "wang") == 0)
        x->found_reason = 1;
    return 0;
}

START_TEST(case_events_record_old_and_new_values)
{
    seen x = {0};
    OK(capa_audit_foreach(s, num, look, &x));
    ck_assert_int_eq(x.n, 3); /* open, set, set */
    ck_assert(x.found_change);
    ck_assert(x.found_reason);
}
END_TEST

/* Close the store, run `tamper` on the raw LMDB environment, reopen. */
static void raw(void (*tamper)(MDB_txn *, MDB_dbi))
{
    capa_store_close(s);
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    ck_assert_int_eq(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 32);
    mdb_env_set_mapsize(env, 64 << 20);
    ck_assert_int_eq(mdb_env_open(env, dir, 0, 0640), 0);
    ck_assert_int_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
    ck_assert_int_eq(mdb_dbi_open(txn, "events", 0, &dbi), 0);
    tamper(txn, dbi);
    ck_assert_int_eq(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    s = tu_reopen(dir);
}

static void key_of(unsigned char k[8], uint64_t seq)
{
    for (int i = 7; i >= 0; i--, seq >>= 8)
        k[i] = (unsigned char)seq;
}

static void edit_third(MDB_txn *txn, MDB_dbi dbi)
{
    unsigned char k[8];
    key_of(k, 3);
    MDB_val key = {8, k}, v;
    ck_assert_int_eq(mdb_get(txn, dbi, &key, &v), 0);
    unsigned char *copy = malloc(v.mv_size);
    memcpy(copy, v.mv_data, v.mv_size);
    /* flip a byte inside the body (not the stored hash) */
    copy[v.mv_size / 2] ^= 0x01;
    MDB_val nv = {v.mv_size, copy};
    ck_assert_int_eq(mdb_put(txn, dbi, &key, &nv, 0), 0);
    free(copy);
}

static void delete_fourth(MDB_txn *txn, MDB_dbi dbi)
{
    unsigned char k[8];
    key_of(k, 4);
    MDB_val key = {8, k};
    ck_assert_int_eq(mdb_del(txn, dbi, &key, NULL), 0);
}

static void delete_last(MDB_txn *txn, MDB_dbi dbi)
{
    MDB_cursor *c;
    MDB_val k, v;
    ck_assert_int_eq(mdb_cursor_open(txn, dbi, &c), 0);
    ck_assert_int_eq(mdb_cursor_get(c, &k, &v, MDB_LAST), 0);
    ck_assert_int_eq(mdb_cursor_del(c, 0), 0);
    mdb_cursor_close(c);
}

static void swap_fifth_sixth(MDB_txn *txn, MDB_dbi dbi)
{
    unsigned char k5[8], k6[8];
    key_of(k5, 5);
    key_of(k6, 6);
    MDB_val a = {8, k5}, b = {8, k6}, va, vb;
    ck_assert_int_eq(mdb_get(txn, dbi, &a, &va), 0);
    ck_assert_int_eq(mdb_get(txn, dbi, &b, &vb), 0);
    void *ca = malloc(va.mv_size), *cb = malloc(vb.mv_size);
    memcpy(ca, va.mv_data, va.mv_size);
    memcpy(cb, vb.mv_data, vb.mv_size);
    MDB_val na = {vb.mv_size, cb}, nb = {va.mv_size, ca};
    ck_assert_int_eq(mdb_put(txn, dbi, &a, &na, 0), 0);
    ck_assert_int_eq(mdb_put(txn, dbi, &b, &nb, 0), 0);
    free(ca), free(cb);
}

static void expect_bad(uint64_t want_seq, const char *text)
{
    char head[65];
    uint64_t bad = 0;
    int rc = capa_audit_verify(s, head, &bad);
    ck_assert_int_eq(rc, CAPA_ECORRUPT);
    ck_assert_msg(bad == want_seq, "first bad event %llu, expected %llu (%s)",
                  (unsigned long long)bad, (unsigned long long)want_seq, capa_error_last());
    ck_assert_msg(strstr(capa_error_last(), text), "message '%s' lacks '%s'", capa_error_last(),
                  text);
}

START_TEST(verify_passes_on_untouched_chain)
{
    char head[65];
    uint64_t bad = 99;
    OK(capa_audit_verify(s, head, &bad));
    ck_assert_int_eq(bad, 0);
    capa_store_info info;
    OK(capa_store_info_get(&info, s));
    ck_assert_str_eq(info.head_hash, head);
    capa_store_info_clear(&info);
}
END_TEST

START_TEST(verify_finds_edited_event)
{
    raw(edit_third);
    expect_bad(3, "audit event 3");
}
END_TEST

START_TEST(verify_finds_deleted_event)
{
    raw(delete_fourth);
    expect_bad(4, "missing");
}
END_TEST

START_TEST(verify_finds_deleted_last_event)
{
    raw(delete_last);
    char head[65];
    uint64_t bad = 0;
    ck_assert_int_eq(capa_audit_verify(s, head, &bad), CAPA_ECORRUPT);
    ck_assert_ptr_nonnull(strstr(capa_error_last(), "removed"));
}
END_TEST

START_TEST(verify_finds_reordered_events)
{
    raw(swap_fifth_sixth);
    expect_bad(5, "audit event 5");
}
END_TEST

static void flip_last_byte(MDB_txn *txn, MDB_dbi events)
{
    (void)events;
    MDB_dbi stages;
    unsigned char k[9] = {0, 0, 0, 0, 0, 0, 0, 1, 0}; /* case 1, stage 0 (intake) */
    ck_assert_int_eq(mdb_dbi_open(txn, "stages", 0, &stages), 0);
    MDB_val key = {9, k}, v;
    ck_assert_int_eq(mdb_get(txn, stages, &key, &v), 0);
    unsigned char *copy = malloc(v.mv_size);
    memcpy(copy, v.mv_data, v.mv_size);
    copy[v.mv_size - 1] ^= 0x01; /* last byte of the last value */
    MDB_val nv = {v.mv_size, copy};
    ck_assert_int_eq(mdb_put(txn, stages, &key, &nv, 0), 0);
    free(copy);
}

START_TEST(verify_finds_signed_stage_data_altered)
{
    capa_actor w = tu_as("wang");
    OK(capa_case_sign(s, num, &w, "reviewed"));
    char head[65];
    uint64_t bad = 0;
    OK(capa_audit_verify(s, head, &bad));
    uint64_t sign_seq = tu_events(s);
    raw(flip_last_byte);
    ck_assert_int_eq(capa_audit_verify(s, head, &bad), CAPA_ECORRUPT);
    (void)sign_seq; /* the chain is sound: the mismatch names the record, not an event */
    ck_assert_ptr_nonnull(strstr(capa_error_last(), "stage intake"));
}
END_TEST

static int same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Verify's chain reader decodes with capa_event__decode_ro (the strings in one block): every
 * stored event decodes to the same fields and body as with capa_event__decode, a fact added
 * afterwards is freed with the rest, and a cut record is refused alike. */
START_TEST(decode_ro_matches_decode)
{
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    int n = 0;
    OK(capa_store__read_begin(s, &txn));
    ck_assert_int_eq(mdb_cursor_open(txn, s->dbi[DB_EVENTS], &cur), 0);
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), n++) {
        capa_event_rec a, b;
        unsigned char *ba = NULL, *bb = NULL;
        size_t la = 0, lb = 0;
        OK(capa_event__decode(&a, v.mv_data, v.mv_size, &ba, &la));
        OK(capa_event__decode_ro(&b, v.mv_data, v.mv_size, &bb, &lb));
        ck_assert_ptr_nonnull(b.strings);
        ck_assert(la == lb && memcmp(ba, bb, la) == 0);
        ck_assert(a.ev.seq == b.ev.seq && a.ev.time == b.ev.time && a.version == b.version);
        ck_assert(same_str(a.ev.actor, b.ev.actor) && same_str(a.ev.action, b.ev.action));
        ck_assert(same_str(a.ev.case_number, b.ev.case_number));
        ck_assert(same_str(a.ev.stage, b.ev.stage) && same_str(a.ev.reason, b.ev.reason));
        ck_assert_uint_eq(a.n_changes, b.n_changes);
        for (size_t i = 0; i < a.n_changes; i++)
            ck_assert(same_str(a.changes[i].field, b.changes[i].field) &&
                      same_str(a.changes[i].old_value, b.changes[i].old_value) &&
                      same_str(a.changes[i].new_value, b.changes[i].new_value));
        ck_assert_uint_eq(a.n_facts, b.n_facts);
        for (size_t i = 0; i < a.n_facts; i++)
            ck_assert(same_str(a.facts[i].name, b.facts[i].name) &&
                      same_str(a.facts[i].value, b.facts[i].value));
        ck_assert_mem_eq(a.hash, b.hash, 32);
        capa_event__fact(&b, "added", "later"); /* allocated on its own, freed by clear */
        ck_assert_str_eq(capa_event__get(&b, "added"), "later");
        /* A record cut short is refused by both. */
        capa_event_rec c, d;
        int ec = capa_event__decode_ro(&c, v.mv_data, 40, NULL, NULL);
        ck_assert_int_eq(ec, capa_event__decode(&d, v.mv_data, 40, NULL, NULL));
        ck_assert_int_ne(ec, CAPA_OK);
        capa_event__clear(&a);
        capa_event__clear(&b);
        capa__free(ba);
        capa__free(bb);
    }
    mdb_cursor_close(cur);
    capa_store__read_end(s, txn);
    ck_assert_int_ge(n, 3);
}
END_TEST

Suite *capa_audit_suite(void)
{
    Suite *su = suite_create("audit");
    TCase *tc = tcase_create("chain");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, case_events_record_old_and_new_values);
    tcase_add_test(tc, verify_passes_on_untouched_chain);
    tcase_add_test(tc, verify_finds_edited_event);
    tcase_add_test(tc, verify_finds_deleted_event);
    tcase_add_test(tc, verify_finds_deleted_last_event);
    tcase_add_test(tc, verify_finds_reordered_events);
    tcase_add_test(tc, verify_finds_signed_stage_data_altered);
    tcase_add_test(tc, decode_ro_matches_decode);
    suite_add_tcase(su, tc);
    return su;
}
