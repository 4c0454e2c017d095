/*
 * check_volatile.c - volatile_* databases (core/volatile.c): put, get, del, sweep, names
 * and keys refused, and that verify skips them while the audit trail stays as it was.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static int older_than(const char *key, const void *val, size_t len, void *payload)
{
    (void)key;
    (void)len;
    return atoi(val) < *(int *)payload;
}

START_TEST(put_get_del_round_trip_without_audit_events)
{
    char *dir;
    capa_store *s = tu_store(&dir, 0);
    uint64_t before = tu_events(s);
    void *v = NULL;
    size_t len = 0;
    FAILS(capa_volatile_get(&v, &len, s, "sessions", "abc"), CAPA_ENOTFOUND, "no such key");
    OK(capa_volatile_put(s, "sessions", "abc", "user li", 7));
    OK(capa_volatile_get(&v, &len, s, "sessions", "abc"));
    ck_assert_uint_eq(len, 7);
    ck_assert_str_eq(v, "user li");
    capa__free(v);
    OK(capa_volatile_put(s, "sessions", "abc", "x", 1));
    OK(capa_volatile_get(&v, &len, s, "sessions", "abc"));
    ck_assert_str_eq(v, "x");
    capa__free(v);
    OK(capa_volatile_del(s, "sessions", "abc"));
    OK(capa_volatile_del(s, "sessions", "abc"));
    FAILS(capa_volatile_get(&v, &len, s, "sessions", "abc"), CAPA_ENOTFOUND, "no such key");
    ck_assert_uint_eq(tu_events(s), before);
    capa_store_close(s);
    tu_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(bad_names_and_keys_are_refused)
{
    char *dir;
    capa_store *s = tu_store(&dir, 0);
    char big[600];
    memset(big, 'k', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    FAILS(capa_volatile_put(s, "Sessions", "k", "v", 1), CAPA_EINVALID, "a-z");
    FAILS(capa_volatile_put(s, "", "k", "v", 1), CAPA_EINVALID, "name");
    FAILS(capa_volatile_put(s, "../cases", "k", "v", 1), CAPA_EINVALID, "a-z");
    FAILS(capa_volatile_put(s, "sessions", "", "v", 1), CAPA_EINVALID, "key");
    FAILS(capa_volatile_put(s, "sessions", big, "v", 1), CAPA_EINVALID, "key");
    capa_store_close(s);
    tu_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(sweep_removes_what_the_predicate_names)
{
    char *dir;
    capa_store *s = tu_store(&dir, 0);
    char key[16], val[16];
    for (int i = 0; i < 10; i++) {
        snprintf(key, sizeof key, "k%d", i);
        snprintf(val, sizeof val, "%d", i);
        OK(capa_volatile_put(s, "sessions", key, val, strlen(val)));
    }
    size_t removed = 0;
    int cut = 4;
    OK(capa_volatile_sweep(s, "sessions", older_than, &cut, &removed));
    ck_assert_uint_eq(removed, 4);
    void *v = NULL;
    FAILS(capa_volatile_get(&v, NULL, s, "sessions", "k3"), CAPA_ENOTFOUND, "no such key");
    OK(capa_volatile_get(&v, NULL, s, "sessions", "k4"));
    capa__free(v);
    capa_store_close(s);
    tu_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(verify_skips_volatile_databases)
{
    char *dir;
    capa_store *s = tu_store(&dir, 0);
    OK(capa_volatile_put(s, "sessions", "abc", "li", 2));
    capa_verify_report *r = NULL;
    OK(capa_store_verify(&r, s, NULL));
    ck_assert_msg(r->ok, "verify failed: %zu mismatches", r->n_total);
    ck_assert_uint_eq(r->n_skipped, 1);
    ck_assert_str_eq(r->skipped[0], "volatile_sessions");
    capa_verify_report_free(r);
    capa_store_close(s);
    tu_rmtree(dir);
    free(dir);
}
END_TEST

Suite *capa_volatile_suite(void)
{
    Suite *su = suite_create("volatile");
    TCase *tc = tcase_create("volatile");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, put_get_del_round_trip_without_audit_events);
    tcase_add_test(tc, bad_names_and_keys_are_refused);
    tcase_add_test(tc, sweep_removes_what_the_predicate_names);
    tcase_add_test(tc, verify_skips_volatile_databases);
    suite_add_tcase(su, tc);
    return su;
}
