/*
 * testutil.h - helpers shared by the Check suites: temporary directories and files.
 */
#ifndef CAPA_TESTUTIL_H
#define CAPA_TESTUTIL_H
#include <stddef.h>

/** Create a fresh temporary directory; returns a malloc'd path. */
char *tu_mkdtemp(void);
/** rm -rf a directory tree (test scratch only). */
void tu_rmtree(const char *path);
/** Read a whole file into a malloc'd NUL-terminated buffer; *len gets its size. */
char *tu_read_file(const char *path, size_t *len);
/** Write a buffer to a file; returns 0 on success. */
int tu_write_file(const char *path, const void *data, size_t len);
/* What the approval of an action plan's first corrective action needs under workflow v2
 * (IATF 16949 §10.2.4 / 8D D7): its error-proofing and a document update - 5 capa_kv
 * entries, for tests about something else. */
#define TU_D7                                                                                      \
    {"corrective_actions.1.error_proofing", "none"},                                               \
        {"corrective_actions.1.error_proofing_reason", "test"},                                    \
        {"corrective_actions.1.control_plan_ref", "CP-1"},                                         \
        {"corrective_actions.1.control_plan_rev_before", "A"},                                     \
        {"corrective_actions.1.control_plan_rev_after", "B"}

#endif

#include <string.h>

#include "capa.h"

/** Assert a capa call succeeds, printing capa_error_last() when not. */
#define OK(call) ck_assert_msg((call) == CAPA_OK, "%s: %s", #call, capa_error_last())
/** Assert a capa call fails with `code` and a message containing `text`. */
#define FAILS(call, code, text)                                                               \
    do {                                                                                      \
        int rc_ = (call);                                                                     \
        ck_assert_msg(rc_ == (code), "%s returned %d (%s), expected %d", #call, rc_,          \
                      capa_error_last(), (code));                                             \
        ck_assert_msg(strstr(capa_error_last(), (text)) != NULL, "message '%s' lacks '%s'",   \
                      capa_error_last(), (text));                                             \
    } while (0)

/** Password every fixture user has. */
#define TU_PW "secret-pass-1"

/** A fresh initialised store in a new temp dir (scrypt cost lowered for speed); *dir gets
 *  the directory. With `users`, the walk's users exist too: li intake, wang qe, chen
 *  qe_lead, zhao prod_mgr, sun production, zhou auditor. */
capa_store *tu_store(char **dir, int users);
/** Open an existing directory with the test options. */
capa_store *tu_reopen(const char *dir);
/** Actor shorthand with TU_PW. */
capa_actor tu_as(const char *user);
/** Open a case with the walk's intake values (plus extra name=value pairs, NULL-ended). */
char *tu_open_case(capa_store *s, const char *subject_person);
/** Number of audit events in the store. */
uint64_t tu_events(capa_store *s);
/** The audit head hash (hex) in buf[65]. */
void tu_head(capa_store *s, char buf[65]);
