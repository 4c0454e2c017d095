/*
 * check_users.c - users and authentication: wrong passwords are counted and audited, the
 * account locks at the limit, an admin unlocks, only admin manages users, input rules.
 */
#include <check.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"

#define CAPA_TEST_MAX_FAILED 5 /* CAPA_MAX_FAILED_LOGINS */

static char *dir;
static capa_store *s;

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

typedef struct tally {
    int failed, locked, unlock;
} tally;

static int tally_cb(const capa_event *e, void *p)
{
    tally *t = p;
    t->failed += strcmp(e->action, "login_failed") == 0;
    t->locked += strcmp(e->action, "lock") == 0;
    t->unlock += strcmp(e->action, "unlock") == 0;
    return 0;
}

START_TEST(wrong_password_is_refused_and_audited)
{
    capa_actor bad = {"wang", "not-the-password"};
    FAILS(capa_user_authenticate(s, &bad), CAPA_EAUTH, "wrong password");
    capa_user *u = NULL;
    OK(capa_user_get(&u, s, "wang"));
    ck_assert_int_eq(u->failed, 1);
    ck_assert_int_eq(u->locked, 0);
    capa_user_free(u);
    tally t = {0};
    OK(capa_audit_foreach(s, NULL, tally_cb, &t));
    ck_assert_int_eq(t.failed, 1);
    /* a good password resets the count */
    char *num = tu_open_case(s, NULL);
    capa_actor w = tu_as("wang");
    capa_kv kv = {"validity", "valid"};
    OK(capa_case_set(s, num, &w, &kv, 1, NULL));
    OK(capa_user_get(&u, s, "wang"));
    ck_assert_int_eq(u->failed, 0);
    capa_user_free(u);
    free(num);
}
END_TEST

START_TEST(repeated_wrong_passwords_lock_until_admin_unlocks)
{
    capa_actor bad = {"chen", "wrong-wrong"};
    for (int i = 1; i < 5; i++)
        FAILS(capa_user_authenticate(s, &bad), CAPA_EAUTH, "wrong password");
    FAILS(capa_user_authenticate(s, &bad), CAPA_ELOCKED, "now locked");
    capa_actor good = tu_as("chen");
    FAILS(capa_user_authenticate(s, &good), CAPA_ELOCKED, "admin must unlock");
    capa_actor w = tu_as("wang");
    FAILS(capa_user_unlock(s, &w, "chen"), CAPA_EDENIED, "only admin");
    capa_actor admin = tu_as("admin");
    OK(capa_user_unlock(s, &admin, "chen"));
    OK(capa_user_authenticate(s, &good));
    tally t = {0};
    OK(capa_audit_foreach(s, NULL, tally_cb, &t));
    ck_assert_int_eq(t.failed, 4);
    ck_assert_int_eq(t.locked, 1);
    ck_assert_int_eq(t.unlock, 1);
}
END_TEST

/* A store handle remembers a password it checked (no key derivation the next time), but only
 * against the credential stored now: a password changed by another handle (another process),
 * wrong guesses and a lock all meet the counted check as before. */
START_TEST(a_remembered_password_meets_every_check_again)
{
    capa_actor w = tu_as("wang"), admin = tu_as("admin"), bad = {"wang", "not-the-password"};
    capa_user *u = NULL;
    OK(capa_user_authenticate(s, &w));
    OK(capa_user_authenticate(s, &w)); /* remembered now */
    /* Reset by the admin through another handle: the old password is wrong here too. */
    capa_store *other = tu_reopen(dir);
    OK(capa_user_passwd(other, &admin, "wang", "new-password-2"));
    FAILS(capa_user_authenticate(s, &w), CAPA_EAUTH, "wrong password");
    OK(capa_user_get(&u, s, "wang"));
    ck_assert_int_eq(u->failed, 1);
    capa_user_free(u);
    capa_actor w2 = {"wang", "new-password-2"};
    OK(capa_user_authenticate(s, &w2));
    OK(capa_user_authenticate(s, &w2)); /* remembered */
    /* Wrong guesses beside a remembered password are counted and lock the account. */
    for (int i = 2; i < CAPA_TEST_MAX_FAILED; i++) /* the old password was the first */
        FAILS(capa_user_authenticate(s, &bad), CAPA_EAUTH, "wrong password");
    FAILS(capa_user_authenticate(s, &bad), CAPA_ELOCKED, "now locked");
    FAILS(capa_user_authenticate(s, &w2), CAPA_ELOCKED, "admin must unlock");
    char *num = NULL;
    capa_kv kv[] = {{"customer", "华东汽车"}};
    FAILS(capa_case_open(&num, s, &w2, kv, 1), CAPA_ELOCKED, "locked");
    OK(capa_user_unlock(other, &admin, "wang"));
    OK(capa_user_authenticate(s, &w2));
    /* Disabled through the other handle: refused, remembered or not. */
    OK(capa_user_disable(other, &admin, "wang", 1));
    FAILS(capa_user_authenticate(s, &w2), CAPA_EDENIED, "disabled");
    OK(capa_user_disable(other, &admin, "wang", 0));
    OK(capa_user_authenticate(s, &w2));
    capa_store_close(other);
    tally t = {0};
    OK(capa_audit_foreach(s, NULL, tally_cb, &t));
    ck_assert_int_eq(t.failed, CAPA_TEST_MAX_FAILED - 1);
    ck_assert_int_eq(t.locked, 1);
}
END_TEST

START_TEST(only_admin_adds_users_and_input_is_checked)
{
    capa_actor w = tu_as("wang");
    capa_actor admin = tu_as("admin");
    FAILS(capa_user_add(s, &w, "liu", "qe", "刘", "品管部", TU_PW), CAPA_EDENIED, "only admin");
    FAILS(capa_user_add(s, &admin, "wang", "qe", "王", "品管部", TU_PW), CAPA_EEXISTS, "wang");
    FAILS(capa_user_add(s, &admin, "Bad Id", "qe", "x", "", TU_PW), CAPA_EINVALID,
          "[a-z][a-z0-9_.-]");
    FAILS(capa_user_add(s, &admin, "liu", "boss", "刘", "", TU_PW), CAPA_EINVALID,
          "role 'boss' is not one of");
    FAILS(capa_user_add(s, &admin, "liu", "qe", "刘", "", "short"), CAPA_EINVALID, "needs 8");
    FAILS(capa_user_add(s, &admin, "liu", "qe", "", "", TU_PW), CAPA_EINVALID, "name");
    /* An unknown user answers exactly like a wrong password, and is audited too. */
    capa_actor nobody = {"ghost", TU_PW}, wrong = {"wang", "wrong-password-1"};
    uint64_t before = tu_events(s);
    FAILS(capa_user_authenticate(s, &nobody), CAPA_EAUTH, "user `ghost`: wrong password");
    ck_assert_uint_eq(tu_events(s), before + 1);
    char a[512], b[512];
    snprintf(a, sizeof a, "%s",
             strstr(capa_error_last(), ": ") ? strstr(capa_error_last(), ": ") : "");
    FAILS(capa_user_authenticate(s, &wrong), CAPA_EAUTH, "user `wang`: wrong password");
    snprintf(b, sizeof b, "%s",
             strstr(capa_error_last(), ": ") ? strstr(capa_error_last(), ": ") : "");
    ck_assert_str_eq(a, b);
}
END_TEST

START_TEST(password_change_by_self_or_admin)
{
    capa_actor w = tu_as("wang");
    OK(capa_user_passwd(s, &w, "wang", "new-password-2"));
    FAILS(capa_user_authenticate(s, &w), CAPA_EAUTH, "wrong password");
    capa_actor w2 = {"wang", "new-password-2"};
    OK(capa_user_authenticate(s, &w2));
    capa_actor sun = tu_as("sun");
    FAILS(capa_user_passwd(s, &sun, "wang", "hijacked-pass"), CAPA_EDENIED, "only admin");
}
END_TEST

/* The credential digest wang's user event carries in the trail. */
static int cred_cb(const capa_event *e, void *p)
{
    const char *user = NULL, *cred = NULL;
    for (size_t i = 0; i < e->n_facts; i++) {
        if (strcmp(e->facts[i].name, "user") == 0)
            user = e->facts[i].value;
        else if (strcmp(e->facts[i].name, "cred") == 0)
            cred = e->facts[i].value;
    }
    if (user && cred && strcmp(user, "wang") == 0)
        snprintf(p, CAPA_BINDING_SIZE, "%s", cred);
    return 0;
}

/* A session's binding: no password held; it ends (and nothing is counted) when the password
 * is reset or the account locked, it cannot be made from the trail, and it never signs. */
START_TEST(sign_in_binding_holds_until_the_credential_changes)
{
    char bind[CAPA_BINDING_SIZE], other[CAPA_BINDING_SIZE];
    capa_actor w = tu_as("wang"), admin = tu_as("admin");
    capa_actor bad = {"wang", "not-the-password"};
    FAILS(capa_user_sign_in(bind, s, &bad), CAPA_EAUTH, "wrong password");
    OK(capa_user_sign_in(bind, s, &w));
    ck_assert_uint_eq(strlen(bind), 64);
    OK(capa_user_binding_check(s, "wang", bind));
    /* Another user's binding, or a credential digest from the trail, is not wang's. */
    capa_actor c = tu_as("chen");
    OK(capa_user_sign_in(other, s, &c));
    FAILS(capa_user_binding_check(s, "wang", other), CAPA_EAUTH, "session has ended");
    char cred[CAPA_BINDING_SIZE] = "";
    OK(capa_audit_foreach(s, NULL, cred_cb, cred));
    ck_assert_uint_eq(strlen(cred), 64);
    FAILS(capa_user_binding_check(s, "wang", cred), CAPA_EAUTH, "session has ended");

    /* An edit by binding, with no password; a sign-off by binding is refused. */
    char *num = tu_open_case(s, NULL);
    capa_kv kv = {"validity", "valid"};
    capa_request q = {.op = CAPA_OP_SET, .who = {"wang", NULL}, .binding = bind,
                      .number = num, .values = &kv, .n_values = 1};
    OK(capa_submit(s, &q, 1));
    capa_request_clear(&q);
    capa_request sg = {.op = CAPA_OP_SIGN, .who = {"wang", NULL}, .binding = bind,
                       .number = num, .meaning = "reviewed"};
    FAILS(capa_submit(s, &sg, 1), CAPA_EDENIED, "password typed again");
    capa_request_clear(&sg);

    /* The admin resets wang's password: the binding is dead, for checks and for edits, and
     * neither counts as a failed sign-in. */
    OK(capa_user_passwd(s, &admin, "wang", "a-new-password-1"));
    for (int i = 0; i < 6; i++) {
        FAILS(capa_user_binding_check(s, "wang", bind), CAPA_EAUTH, "password or role changed");
        capa_request q2 = {.op = CAPA_OP_SET, .who = {"wang", NULL}, .binding = bind,
                           .number = num, .values = &kv, .n_values = 1};
        FAILS(capa_submit(s, &q2, 1), CAPA_EAUTH, "session has ended");
        capa_request_clear(&q2);
    }
    capa_user *u = NULL;
    OK(capa_user_get(&u, s, "wang"));
    ck_assert_int_eq(u->failed, 0);
    ck_assert_int_eq(u->locked, 0);
    capa_user_free(u);
    tally t = {0};
    OK(capa_audit_foreach(s, NULL, tally_cb, &t));
    ck_assert_int_eq(t.failed, 1); /* only the wrong password typed above */

    /* A lock ends chen's binding. */
    OK(capa_user_binding_check(s, "chen", other));
    capa_actor cbad = {"chen", "not-the-password"};
    for (int i = 0; i < 5; i++)
        capa_user_authenticate(s, &cbad);
    FAILS(capa_user_binding_check(s, "chen", other), CAPA_ELOCKED, "locked");
    free(num);
}
END_TEST

START_TEST(attach_by_binding_as_the_cli_attaches)
{
    char bind[CAPA_BINDING_SIZE], other[CAPA_BINDING_SIZE], sha[65];
    capa_actor w = tu_as("wang"), c = tu_as("chen"), admin = tu_as("admin");
    OK(capa_user_sign_in(bind, s, &w));
    OK(capa_user_sign_in(other, s, &c));
    char *num = tu_open_case(s, NULL);
    /* The engine's checks come first, binding or not: empty, bad name. */
    FAILS(capa_case_attach_bound(s, num, "wang", "x", "a.png", "", 0, NULL, NULL, sha),
          CAPA_EINVALID, "empty (0 bytes)");
    FAILS(capa_case_attach_bound(s, num, "wang", bind, "a/b.png", "x", 1, NULL, NULL, sha),
          CAPA_EINVALID, "without a directory");
    /* Another user's binding is not wang's. */
    FAILS(capa_case_attach_bound(s, num, "wang", other, "a.png", "x", 1, NULL, NULL, sha),
          CAPA_EAUTH, "session has ended");
    OK(capa_case_attach_bound(s, num, "wang", bind, "a.png", "x", 1, NULL, "note", sha));
    ck_assert_uint_eq(strlen(sha), 64);
    capa_case *cs = NULL;
    OK(capa_case_get(&cs, s, num));
    ck_assert_uint_eq(cs->n_attachments, 1);
    ck_assert_str_eq(cs->attachments[0].user, "wang");
    capa_case_free(cs);
    /* A reset password ends the binding for attaching too; nothing counted as a failure. */
    OK(capa_user_passwd(s, &admin, "wang", "a-new-password-1"));
    FAILS(capa_case_attach_bound(s, num, "wang", bind, "b.png", "y", 1, NULL, NULL, sha),
          CAPA_EAUTH, "password or role changed");
    capa_user *u = NULL;
    OK(capa_user_get(&u, s, "wang"));
    ck_assert_int_eq(u->failed, 0);
    capa_user_free(u);
    OK(capa_case_get(&cs, s, num));
    ck_assert_uint_eq(cs->n_attachments, 1);
    capa_case_free(cs);
    free(num);
}
END_TEST

/* Several files are attached all or none: a refused later file leaves the earlier ones out. */
START_TEST(attach_several_is_all_or_none)
{
    char bind[CAPA_BINDING_SIZE];
    capa_actor w = tu_as("wang");
    OK(capa_user_sign_in(bind, s, &w));
    char *num = tu_open_case(s, NULL);
    capa_attach_file bad[] = {{"a.png", "x", 1}, {"b.png", "yy", 2}, {"c\033.png", "z", 1}};
    FAILS(capa_case_attach_all_bound(s, num, "wang", bind, bad, 3, NULL, NULL), CAPA_EINVALID,
          "file name");
    capa_attach_file empty[] = {{"a.png", "x", 1}, {"e.png", "", 0}};
    FAILS(capa_case_attach_all_bound(s, num, "wang", bind, empty, 2, NULL, NULL), CAPA_EINVALID,
          "empty (0 bytes)");
    FAILS(capa_case_attach_all_bound(s, num, "wang", bind, bad, 0, NULL, NULL), CAPA_EINVALID,
          "no file given");
    capa_case *cs = NULL;
    OK(capa_case_get(&cs, s, num));
    ck_assert_uint_eq(cs->n_attachments, 0);
    capa_case_free(cs);
    /* Two good ones (the same bytes twice): both, in order, one event each. */
    capa_attach_file good[] = {{"a.png", "x", 1}, {"again.png", "x", 1}};
    OK(capa_case_attach_all_bound(s, num, "wang", bind, good, 2, NULL, "note"));
    OK(capa_case_get(&cs, s, num));
    ck_assert_uint_eq(cs->n_attachments, 2);
    ck_assert_str_eq(cs->attachments[0].name, "a.png");
    ck_assert_str_eq(cs->attachments[1].name, "again.png");
    capa_case_free(cs);
    capa_verify_report *r = NULL;
    OK(capa_store_verify(&r, s, NULL));
    ck_assert_msg(r->ok, "verify: %s", r->n_mismatches ? r->mismatches[0].message : "?");
    capa_verify_report_free(r);
    free(num);
}
END_TEST

/* A role change and a disable end the user's binding (sessions), and the engine's checks
 * follow: a disabled account signs in nowhere until enabled; unlock does not enable it. */
START_TEST(role_change_and_disable_end_the_binding)
{
    char bind[CAPA_BINDING_SIZE];
    capa_actor w = tu_as("wang"), admin = tu_as("admin"), c = tu_as("chen");
    OK(capa_user_sign_in(bind, s, &w));
    FAILS(capa_user_set_role(s, &c, "wang", "qe_lead"), CAPA_EDENIED, "only admin may");
    OK(capa_user_binding_check(s, "wang", bind));
    FAILS(capa_user_set_role(s, &admin, "wang", "no_such_role"), CAPA_EINVALID, "no_such_role");
    FAILS(capa_user_set_role(s, &admin, "wang", "qe"), CAPA_EINVALID, "already 'qe'");
    FAILS(capa_user_set_role(s, &admin, "admin", "qe"), CAPA_EDENIED, "their own account");
    OK(capa_user_binding_check(s, "wang", bind));
    OK(capa_user_set_role(s, &admin, "wang", "qe_lead"));
    FAILS(capa_user_binding_check(s, "wang", bind), CAPA_EAUTH, "password or role changed");
    capa_user *u = NULL;
    OK(capa_user_get(&u, s, "wang"));
    ck_assert_str_eq(u->role, "qe_lead");
    ck_assert_int_eq(u->failed, 0);
    capa_user_free(u);

    OK(capa_user_sign_in(bind, s, &w));
    OK(capa_user_disable(s, &admin, "wang", 1));
    FAILS(capa_user_binding_check(s, "wang", bind), CAPA_EDENIED, "disabled");
    FAILS(capa_user_sign_in(bind, s, &w), CAPA_EDENIED, "account disabled");
    FAILS(capa_user_disable(s, &admin, "wang", 1), CAPA_ESTATE, "already disabled");
    OK(capa_user_unlock(s, &admin, "wang"));
    FAILS(capa_user_authenticate(s, &w), CAPA_EDENIED, "account disabled");
    OK(capa_user_disable(s, &admin, "wang", 0));
    OK(capa_user_sign_in(bind, s, &w));
    OK(capa_user_binding_check(s, "wang", bind));
    FAILS(capa_user_disable(s, &admin, "admin", 1), CAPA_EDENIED, "their own account");
}
END_TEST

Suite *capa_users_suite(void)
{
    Suite *su = suite_create("users");
    TCase *tc = tcase_create("auth");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, wrong_password_is_refused_and_audited);
    tcase_add_test(tc, repeated_wrong_passwords_lock_until_admin_unlocks);
    tcase_add_test(tc, a_remembered_password_meets_every_check_again);
    tcase_add_test(tc, only_admin_adds_users_and_input_is_checked);
    tcase_add_test(tc, password_change_by_self_or_admin);
    tcase_add_test(tc, sign_in_binding_holds_until_the_credential_changes);
    tcase_add_test(tc, attach_by_binding_as_the_cli_attaches);
    tcase_add_test(tc, attach_several_is_all_or_none);
    tcase_add_test(tc, role_change_and_disable_end_the_binding);
    suite_add_tcase(su, tc);
    return su;
}
