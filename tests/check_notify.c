/*
 * check_notify.c - notices at every hand-over (core/notify.c): who is told of what, users'
 * choices, the first-contact owner and its reassignment, deliveries recorded, the target's
 * secret held to the digest its event recorded, and verify rebuilding all of it.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static capa_store *s;
static char *dir;

static void setup(void)
{
    s = tu_store(&dir, 1);
}

static void teardown(void)
{
    capa_store_close(s);
    tu_rmtree(dir);
    free(dir);
}

static void add_target(void)
{
    capa_actor admin = tu_as("admin");
    OK(capa_notify_target_add(s, &admin, "robot", "dingtalk",
                              "https://oapi.dingtalk.com/robot/send?access_token=tok", "SEC", NULL,
                              NULL));
}

/* "user:why user:why" of a notice. */
static void people(char *buf, size_t sz, const capa_notice *x)
{
    size_t o = 0;
    buf[0] = 0;
    for (size_t i = 0; i < x->n_to; i++)
        o +=
            (size_t)snprintf(buf + o, sz - o, "%s%s:%s", i ? " " : "", x->to[i].user, x->to[i].why);
}

static void verify_ok(void)
{
    capa_verify_report *r = NULL;
    OK(capa_store_verify(&r, s, NULL));
    ck_assert_msg(r->ok, "verify: %s", r->n_mismatches ? r->mismatches[0].message : "?");
    capa_verify_report_free(r);
}

START_TEST(nothing_is_derived_before_a_target_or_contact)
{
    char *n = tu_open_case(s, NULL);
    capa_notice *a = NULL;
    size_t k = 0;
    OK(capa_notices_for(&a, &k, s, "wang", 0));
    ck_assert_uint_eq(k, 0);
    OK(capa_notices_pending(&a, &k, s));
    ck_assert_uint_eq(k, 0);
    capa__free(n);
    verify_ok();
}
END_TEST

START_TEST(handover_tells_the_stage_people_and_the_owner_once)
{
    add_target();
    char *n = tu_open_case(s, NULL);
    capa_actor wang = tu_as("wang");
    capa_kv v[] = {{"validity", "valid"}, {"containment", "隔离"}};
    OK(capa_case_set(s, n, &wang, v, 2, NULL));
    OK(capa_case_sign(s, n, &wang, "reviewed"));
    capa_notice *a = NULL;
    size_t k = 0;
    char buf[300];
    OK(capa_notices_pending(&a, &k, s));
    ck_assert_uint_eq(k, 2);
    ck_assert_str_eq(a[0].kind, "stage");
    ck_assert_str_eq(a[0].stage, "intake");
    ck_assert_str_eq(a[0].target, "robot");
    people(buf, sizeof buf, &a[0]);
    ck_assert_str_eq(buf, "wang:sign"); /* li opened it: not told of her own act */
    ck_assert_str_eq(a[1].stage, "analysis");
    ck_assert_str_eq(a[1].from, "intake");
    people(buf, sizeof buf, &a[1]);
    ck_assert_str_eq(buf, "chen:sign li:owner"); /* wang signed: not told */
    capa_notices_free(a, k);
    OK(capa_notices_for(&a, &k, s, "li", 0));
    ck_assert_uint_eq(k, 1);
    ck_assert(a[0].pending);
    capa_notices_free(a, k);
    capa__free(n);
    verify_ok();
}
END_TEST

START_TEST(a_user_who_chose_none_is_not_told)
{
    capa_actor chen = tu_as("chen"), li = tu_as("li");
    FAILS(capa_user_set_contact(s, &li, "chen", NULL, NULL, "none"), CAPA_EDENIED,
          "only admin or the user themself may");
    FAILS(capa_user_set_contact(s, &chen, "chen", NULL, NULL, "stage,bogus"), CAPA_EINVALID,
          "'bogus' is not a kind of notice");
    OK(capa_user_set_contact(s, &chen, "chen", "13800000003", NULL, "none"));
    char *n = tu_open_case(s, NULL);
    capa_actor wang = tu_as("wang");
    capa_kv v[] = {{"validity", "valid"}, {"containment", "隔离"}};
    OK(capa_case_set(s, n, &wang, v, 2, NULL));
    OK(capa_case_sign(s, n, &wang, "reviewed"));
    capa_notice *a = NULL;
    size_t k = 0;
    OK(capa_notices_for(&a, &k, s, "chen", 0));
    ck_assert_uint_eq(k, 0);
    capa_notices_free(a, k);
    OK(capa_notices_for(&a, &k, s, "li", 0));
    ck_assert_uint_eq(k, 1);
    ck_assert_uint_eq(a[0].n_to, 1); /* li only: chen left out */
    capa_notices_free(a, k);
    capa__free(n);
    verify_ok();
}
END_TEST

START_TEST(the_owner_is_reassigned_with_a_reason_by_whom_may)
{
    add_target();
    char *n = tu_open_case(s, NULL), *o = NULL;
    capa_actor sun = tu_as("sun"), chen = tu_as("chen");
    OK(capa_case_owner(&o, s, n));
    ck_assert_str_eq(o, "li");
    capa__free(o);
    FAILS(capa_case_owner_set(s, &sun, n, "wang", "休假"), CAPA_EDENIED,
          "only admin, qe_lead or the owner (li) may");
    FAILS(capa_case_owner_set(s, &chen, n, "wang", NULL), CAPA_EINVALID, "reason");
    FAILS(capa_case_owner_set(s, &chen, n, "nobody", "休假"), CAPA_EINVALID, "no such user");
    OK(capa_case_owner_set(s, &chen, n, "wang", "李娜休假"));
    OK(capa_case_owner(&o, s, n));
    ck_assert_str_eq(o, "wang");
    capa__free(o);
    capa_notice *a = NULL;
    size_t k = 0;
    OK(capa_notices_for(&a, &k, s, "wang", 0));
    ck_assert_uint_eq(k, 2);
    ck_assert_str_eq(a[0].kind, "owner");
    ck_assert_str_eq(a[0].reason, "李娜休假");
    capa_notices_free(a, k);
    capa__free(n);
    verify_ok();
}
END_TEST

START_TEST(a_delivery_recorded_leaves_the_outbox)
{
    add_target();
    char *n = tu_open_case(s, NULL);
    capa_notice *a = NULL;
    size_t k = 0;
    OK(capa_notices_pending(&a, &k, s));
    ck_assert_uint_eq(k, 1);
    capa_notice_ref ref = {a[0].seq, "robot"};
    OK(capa_notices_delivered(s, &ref, 1));
    OK(capa_notices_delivered(s, &ref, 1)); /* taken already: nothing recorded twice */
    capa_notices_free(a, k);
    OK(capa_notices_pending(&a, &k, s));
    ck_assert_uint_eq(k, 0);
    OK(capa_notices_for(&a, &k, s, "wang", 0));
    ck_assert_uint_eq(k, 1);
    ck_assert(!a[0].pending);
    capa_notices_free(a, k);
    capa__free(n);
    verify_ok();
}
END_TEST

START_TEST(a_target_secret_is_used_only_while_its_digest_holds)
{
    capa_actor admin = tu_as("admin"), wang = tu_as("wang");
    FAILS(capa_notify_target_add(s, &wang, "x", "wecom", "https://q.example/hook?key=k", NULL, NULL,
                                 NULL),
          CAPA_EDENIED, "only admin may");
    FAILS(capa_notify_target_add(s, &admin, "x", "wecom", "https://q.example/hook?key=k", "s", NULL,
                                 NULL),
          CAPA_EINVALID, "only a DingTalk robot signs");
    FAILS(capa_notify_target_add(s, &admin, "Bad Name", "wecom", "https://q.example/h", NULL, NULL,
                                 NULL),
          CAPA_EINVALID, "must be 1 to 32 of a-z 0-9 - _");
    add_target();
    capa_notify_target *t = NULL;
    size_t k = 0;
    OK(capa_notify_targets(&t, &k, s));
    ck_assert_uint_eq(k, 1);
    ck_assert_str_eq(t[0].shown, "https://oapi.dingtalk.com/…");
    ck_assert(t[0].signed_);
    capa_notify_targets_free(t, k);
    char *url = NULL, *secret = NULL;
    OK(capa_notify_target_secret(&url, &secret, s, "robot"));
    ck_assert_str_eq(url, "https://oapi.dingtalk.com/robot/send?access_token=tok");
    ck_assert_str_eq(secret, "SEC");
    capa__free(url);
    capa__free(secret);
    const char evil[] = "https://evil.example/x\0SEC";
    OK(capa_volatile_put(s, "notify_secret", "robot", evil, sizeof evil));
    FAILS(capa_notify_target_secret(&url, &secret, s, "robot"), CAPA_ECORRUPT, "SHA-256 differs");
    ck_assert_ptr_null(url);
    OK(capa_notify_target_remove(s, &admin, "robot"));
    FAILS(capa_notify_target_secret(&url, &secret, s, "robot"), CAPA_ENOTFOUND, "no such target");
    verify_ok();
}
END_TEST

Suite *capa_notify_suite(void)
{
    Suite *su = suite_create("notify");
    TCase *tc = tcase_create("notify");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, nothing_is_derived_before_a_target_or_contact);
    tcase_add_test(tc, handover_tells_the_stage_people_and_the_owner_once);
    tcase_add_test(tc, a_user_who_chose_none_is_not_told);
    tcase_add_test(tc, the_owner_is_reassigned_with_a_reason_by_whom_may);
    tcase_add_test(tc, a_delivery_recorded_leaves_the_outbox);
    tcase_add_test(tc, a_target_secret_is_used_only_while_its_digest_holds);
    suite_add_tcase(su, tc);
    return su;
}
