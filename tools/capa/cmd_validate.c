/*
 * cmd_validate.c - `capa validate`: the operational qualification a plant runs on its own
 * installed system (issue 19). In a scratch store made for the run in a new temporary
 * directory - never the plant's database, which is not opened - it runs the check of every
 * software clause of docs/compliance.md through core's and reports' public API (not by
 * running itself), and writes the results as a signed PDF (capa_report_validation_pdf) and,
 * with --json, as JSON on stdout. Exit 1 when any check fails.
 *
 *   capa validate -o REPORT.pdf [--json] [--key FILE --cert FILE] [--font FILE]
 *   capa validate --json              (no PDF)
 *   capa validate --list              (checks and the clauses each re-runs)
 *   capa validate ... --break CHECK   (for testing the validator: sabotage CHECK)
 *
 * Each check can fail: --break CHECK makes that check's own evidence wrong (a refusal asked
 * of someone who may do it, a tampered copy left untouched, the scratch store edited before
 * it is verified, ...) so that it must report FAIL; tests/e2e/validate.sh runs it.
 */
#define _GNU_SOURCE
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <link.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "capa_report.h"

#define PW_SUFFIX "-oq-validate-2026"
#define MARKER_LEN 24

typedef struct vbuf {
    char *p;
    size_t n, cap;
} vbuf;

typedef struct vrun vrun;
typedef int (*check_fn)(vrun *v);

typedef struct check_def {
    const char *id;
    check_fn fn;
    const char *title;
    const char *clauses;
} check_def;

struct vrun {
    char root[PATH_MAX];
    char db[PATH_MAX + 16];
    char key[PATH_MAX + 32], crt[PATH_MAX + 32];
    const char *font;
    const char *brk; /* --break CHECK, or NULL */
    const char *cur; /* the check running */
    capa_store *s;
    char marker[MARKER_LEN + 1]; /* in case A's description: what the tamper checks edit */
    char case_a[64];             /* walked through all six stages, closed */
    char case_c[64];             /* open, for the e-signature and anchor checks */
    vbuf ev;                     /* the running check's evidence */
    int ok;                      /* the running check has not failed yet */
    int64_t clock;               /* the limits store's clock (ms) */
};

/* ---- evidence ---- */

static void ev_addf(vrun *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ev_addf(vrun *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *line = NULL;
    int n = vasprintf(&line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t need = v->ev.n + (size_t)n + 2;
    if (need > v->ev.cap) {
        size_t cap = v->ev.cap ? v->ev.cap : 1024;
        while (cap < need)
            cap *= 2;
        char *p = realloc(v->ev.p, cap);
        if (!p) {
            free(line);
            v->ok = 0;
            return;
        }
        v->ev.p = p, v->ev.cap = cap;
    }
    memcpy(v->ev.p + v->ev.n, line, (size_t)n);
    v->ev.n += (size_t)n;
    v->ev.p[v->ev.n++] = '\n';
    v->ev.p[v->ev.n] = 0;
    free(line);
}

/* One expectation: `got` is the code a call returned, `want` the code it must return. */
static int expect(vrun *v, int got, int want, const char *what)
{
    if (got == want) {
        ev_addf(v, "ok   %s: %s%s%s", what, got ? capa_strerror(got) : "done",
                got ? " - " : "", got ? capa_error_last() : "");
        return 1;
    }
    ev_addf(v, "FAIL %s: got %s, want %s%s%s", what, got ? capa_strerror(got) : "success",
            want ? capa_strerror(want) : "success", got ? " - " : "",
            got ? capa_error_last() : "");
    v->ok = 0;
    return 0;
}

/* A fact the check looked at: passes when `cond`. */
static int fact(vrun *v, int cond, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fact(vrun *v, int cond, const char *fmt, ...)
{
    char b[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b, sizeof b, fmt, ap);
    va_end(ap);
    ev_addf(v, "%s %s", cond ? "ok  " : "FAIL", b);
    if (!cond)
        v->ok = 0;
    return cond;
}

static int broken(const vrun *v)
{
    return v->brk && strcmp(v->brk, v->cur) == 0;
}

/* ---- the scratch tree ---- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)ftw;
    return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void rm_tree(const char *path)
{
    if (*path)
        nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void pw(char *buf, size_t sz, const char *user)
{
    snprintf(buf, sz, "%s%s", user, PW_SUFFIX);
}

static capa_actor as(char *buf, size_t sz, const char *user)
{
    pw(buf, sz, user);
    return (capa_actor){user, buf};
}

static int read_file(unsigned char **out, size_t *len, const char *path)
{
    char *p = NULL;
    if (cli_read_file(&p, len, path, (size_t)1 << 30, NULL) != CLI_OK)
        return -1;
    *out = (unsigned char *)p;
    return 0;
}

static int write_file(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return -1;
    const char *p = data;
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            close(fd);
            return -1;
        }
        p += w, len -= (size_t)w;
    }
    return close(fd);
}

/* Offsets of every occurrence of `needle` in buf (at most max). */
static size_t find_all(size_t *at, size_t max, const unsigned char *buf, size_t len,
                       const char *needle)
{
    size_t nl = strlen(needle), n = 0;
    for (size_t i = 0; i + nl <= len && n < max; i++)
        if (memcmp(buf + i, needle, nl) == 0)
            at[n++] = i;
    return n;
}

/* Back up the scratch store into root/NAME (capa_store_backup, compacted). */
static int backup_to(vrun *v, char *dir, size_t sz, const char *name)
{
    snprintf(dir, sz, "%s/%s", v->root, name);
    int rc = capa_store_backup(v->s, dir);
    expect(v, rc, CAPA_OK, "capa_store_backup");
    return rc;
}

/* Change one byte of the marker at occurrence `which` (or every one, -1) of dir/data.mdb,
 * as an insider with a hex editor would. Returns how many occurrences the file holds. */
static size_t edit_marker(vrun *v, const char *dir, int which)
{
    char path[PATH_MAX + 32];
    unsigned char *buf = NULL;
    size_t len = 0, at[16];
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    if (read_file(&buf, &len, path) != 0) {
        fact(v, 0, "read %s", path);
        return 0;
    }
    size_t n = find_all(at, 16, buf, len, v->marker);
    for (size_t i = 0; i < n; i++)
        if (which < 0 || (size_t)which == i)
            buf[at[i] + MARKER_LEN / 2] ^= 0x01;
    if (n && write_file(path, buf, len) != 0)
        fact(v, 0, "write %s: %s", path, strerror(errno));
    free(buf);
    return n;
}

static int open_store(capa_store **out, const char *dir, int64_t (*clock)(void *), void *payload)
{
    capa_open_opts o = {0};
    o.clock = clock;
    o.clock_payload = payload;
    return capa_store_open(out, dir, &o);
}

/* Verify the store at `dir` (anchors optional): CAPA_OK and *ok, or an error. */
static int verify_dir(vrun *v, const char *dir, const capa_anchor *anchors, size_t n, int *ok,
                      char *first, size_t sz)
{
    capa_store *s = NULL;
    capa_verify_report *r = NULL;
    capa_verify_opts o = {0};
    o.anchors = anchors;
    o.n_anchors = n;
    int rc = open_store(&s, dir, NULL, NULL);
    if (rc == CAPA_OK)
        rc = capa_store_verify(&r, s, &o);
    if (rc == CAPA_OK) {
        *ok = r->ok;
        snprintf(first, sz, "%s", r->n_mismatches ? r->mismatches[0].message : "no mismatch");
    } else {
        ev_addf(v, "     %s: %s", dir, capa_error_last());
    }
    capa_verify_report_free(r);
    capa_store_close(s);
    return rc;
}

/* ---- the scratch store and its users ---- */

static const struct {
    const char *id, *role, *name;
} USERS[] = {
    {"li", "intake", "李娜 (OQ)"},     {"wang", "qe", "王工 (OQ)"},
    {"chen", "qe_lead", "陈主管 (OQ)"}, {"zhao", "prod_mgr", "赵经理 (OQ)"},
    {"qian", "prod_mgr", "钱经理 (OQ)"}, {"sun", "production", "孙班长 (OQ)"},
    {"lockme", "qe", "Lockout test (OQ)"},
};

static int make_store(vrun *v, capa_store **out, const char *dir, int64_t (*clock)(void *),
                      void *payload, size_t n_users)
{
    char b[64], p[64];
    capa_init_opts io = {0};
    capa_open_opts o = {0};
    o.create = 1;
    o.clock = clock;
    o.clock_payload = payload;
    int rc = capa_store_open(out, dir, &o);
    if (rc != CAPA_OK)
        return expect(v, rc, CAPA_OK, "create the scratch store"), rc;
    pw(p, sizeof p, "admin");
    io.org = "capa validate (OQ scratch store)";
    io.admin_password = p;
    io.timezone = "UTC";
    if ((rc = capa_store_init(*out, &io)) != CAPA_OK)
        return expect(v, rc, CAPA_OK, "capa_store_init"), rc;
    capa_actor admin = as(b, sizeof b, "admin");
    for (size_t i = 0; i < n_users; i++) {
        pw(p, sizeof p, USERS[i].id);
        if ((rc = capa_user_add(*out, &admin, USERS[i].id, USERS[i].role, USERS[i].name, "OQ",
                                p)) != CAPA_OK)
            return expect(v, rc, CAPA_OK, "capa_user_add"), rc;
    }
    return CAPA_OK;
}

#define KV(n, v)                                                                                   \
    {                                                                                              \
        (n), (v)                                                                                   \
    }
#define N(a) (sizeof(a) / sizeof(a)[0])

static int do_set(vrun *v, const char *number, const char *user, const capa_kv *kv, size_t n,
                  int want, const char *what)
{
    char b[64];
    capa_actor a = as(b, sizeof b, user);
    return expect(v, capa_case_set(v->s, number, &a, kv, n, NULL), want, what);
}

static int do_sign(vrun *v, const char *number, const char *user, const char *meaning, int want,
                   const char *what)
{
    char b[64];
    capa_actor a = as(b, sizeof b, user);
    return expect(v, capa_case_sign(v->s, number, &a, meaning), want, what);
}

/* The case's stage ("closed" when closed) and round. */
static void stage_of(vrun *v, const char *number, char *buf, size_t sz, int *round)
{
    capa_case *c = NULL;
    snprintf(buf, sz, "?");
    if (capa_case_get(&c, v->s, number) == CAPA_OK) {
        snprintf(buf, sz, "%s", c->closed ? "closed" : c->stage);
        if (round)
            *round = c->round;
    }
    capa_case_free(c);
}

static int in_stage(vrun *v, const char *number, const char *want, const char *after)
{
    char st[64];
    stage_of(v, number, st, sizeof st, NULL);
    return fact(v, strcmp(st, want) == 0, "%s after %s: %s (want %s)", number, after, st, want);
}

/* A case of complaint type `type` (intake's complaint_type). */
static int open_typed(vrun *v, char *out, size_t sz, const char *user, const char *description,
                      const char *severity, const char *type)
{
    char b[64], *number = NULL;
    capa_actor a = as(b, sizeof b, user);
    const capa_kv kv[] = {
        KV("customer", "OQ customer"),   KV("part_no", "OQ-PART-1"),   KV("lot_no", "OQ-LOT-1"),
        KV("qty_affected", "10"),        KV("defect_code", "OQ-DEFECT"),
        KV("severity", severity),        KV("channel", "written"),
        KV("complaint_type", type),      KV("responsible_dept", "QA"),
        KV("description", description),
    };
    int rc = capa_case_open(&number, v->s, &a, kv, N(kv));
    if (expect(v, rc, CAPA_OK, "open a case as li (intake)"))
        snprintf(out, sz, "%s", number);
    capa__free(number);
    return rc;
}

static int open_case(vrun *v, char *out, size_t sz, const char *user, const char *description,
                     const char *severity)
{
    return open_typed(v, out, sz, user, description, severity, "quality");
}

/* ---- the checks ---- */

typedef struct ev_find {
    const char *action, *actor, *field, *old_value, *new_value, *reason_has;
    int n;
    int64_t last_time;
    int ordered;
} ev_find;

static int find_cb(const capa_event *e, void *payload)
{
    ev_find *f = payload;
    if (e->time < f->last_time)
        f->ordered = 0;
    f->last_time = e->time;
    if (f->action && strcmp(e->action, f->action) != 0)
        return 0;
    if (f->actor && strcmp(e->actor, f->actor) != 0)
        return 0;
    if (f->reason_has && (!e->reason || !strstr(e->reason, f->reason_has)))
        return 0;
    if (f->field) {
        int hit = 0;
        for (size_t i = 0; i < e->n_changes; i++) {
            const capa_change *ch = &e->changes[i];
            if (strcmp(ch->field, f->field) == 0 &&
                (!f->old_value || (ch->old_value && strcmp(ch->old_value, f->old_value) == 0)) &&
                (!f->new_value || (ch->new_value && strcmp(ch->new_value, f->new_value) == 0)))
                hit = 1;
        }
        if (!hit)
            return 0;
    }
    f->n++;
    return 0;
}

static int count_events(vrun *v, const char *number, ev_find *f)
{
    f->n = 0;
    f->last_time = 0;
    f->ordered = 1;
    int rc = capa_audit_foreach(v->s, number, find_cb, f);
    if (rc != CAPA_OK)
        expect(v, rc, CAPA_OK, "capa_audit_foreach");
    return f->n;
}

/* 11.10(d), (g), 11.100(a), 11.300(a), Annex 11 §12: who may add users; ids unique; audited. */
static int chk_access(vrun *v)
{
    char b[64], p[64];
    capa_actor wang = as(b, sizeof b, broken(v) ? "admin" : "wang");
    pw(p, sizeof p, "newuser");
    expect(v, capa_user_add(v->s, &wang, "newuser", "qe", "New (OQ)", "OQ", p),
           CAPA_EDENIED, "a quality engineer adds a user: refused");
    capa_actor admin = as(b, sizeof b, "admin");
    expect(v, capa_user_add(v->s, &admin, "wang", "admin", "Another Wang", "OQ", p),
           CAPA_EEXISTS, "an admin adds a second user with the id wang: refused");
    capa_user *u = NULL;
    if (capa_user_get(&u, v->s, "wang") == CAPA_OK)
        fact(v, strcmp(u->role, "qe") == 0, "wang's role is still %s", u->role);
    capa_user_free(u);
    ev_find f = {.action = "user_add", .actor = "admin"};
    int before = count_events(v, NULL, &f);
    if (!broken(v))
        expect(v, capa_user_add(v->s, &admin, "newuser", "qe", "New (OQ)", "OQ", p), CAPA_OK,
               "the admin adds newuser");
    int after = count_events(v, NULL, &f);
    fact(v, after == before + 1, "the addition is an audit event by admin (%d user_add before, %d "
         "after)", before, after);
    capa_user *nu = NULL;
    if (capa_user_get(&nu, v->s, "newuser") == CAPA_OK)
        fact(v, strcmp(nu->role, "qe") == 0, "newuser exists with role %s", nu->role);
    capa_user_free(nu);
    return v->ok;
}

/* 11.10(f), (g), IATF 10.2.3, ISO 9001 10.2.1, ISO 10002 8: all six stages with refusals. */
static int chk_walk(vrun *v)
{
    char *A = v->case_a, desc[128], b[64];
    int round = 0;
    snprintf(desc, sizeof desc, "OQ walk: solder bridges %s", v->marker);
    if (open_case(v, v->case_a, sizeof v->case_a, "li", desc, "important") != CAPA_OK)
        return 0;
    /* intake (D0-D3) */
    do_sign(v, A, broken(v) ? "wang" : "li", "reviewed", CAPA_EDENIED,
            "li (intake) signs off intake, which needs role qe: refused");
    const capa_kv in[] = {KV("validity", "valid"), KV("containment", "OQ: 3 lots quarantined")};
    do_set(v, A, "wang", in, N(in), CAPA_OK, "wang (qe) records validity and containment");
    do_sign(v, A, "wang", "reviewed", CAPA_OK, "wang signs off intake");
    in_stage(v, A, "analysis", "intake");
    /* analysis (D4) */
    const capa_kv an[] = {
        KV("five_why.1.why", "why bridges"), KV("five_why.1.because", "stencil aperture"),
        KV("category_6m", "method"), KV("root_cause_occurrence", "aperture 0.05 mm too wide"),
        KV("root_cause_escape", "AOI did not cover the pad")};
    do_set(v, A, "wang", an, N(an), CAPA_OK, "wang records the root causes");
    do_sign(v, A, "wang", "reviewed", CAPA_EDENIED,
            "wang (qe) signs off analysis, which needs qe_lead: refused");
    do_sign(v, A, "chen", "reviewed", CAPA_OK, "chen (qe_lead) signs off analysis");
    in_stage(v, A, "action", "analysis");
    /* action (D5, D7): a rejection needs a reason; independence */
    const capa_kv ac[] = {KV("corrective_actions.1.action", "stencil aperture -10%"),
                          KV("corrective_actions.1.owner", "sun"),
                          KV("corrective_actions.1.due", "2030-01-31")};
    do_set(v, A, "wang", ac, N(ac), CAPA_OK, "wang records a corrective action");
    {
        capa_actor z = as(b, sizeof b, "zhao");
        expect(v, capa_case_reject(v->s, A, &z, ""), CAPA_EINVALID,
               "zhao rejects the plan without a reason: refused");
        expect(v, capa_case_reject(v->s, A, &z, "OQ: no preventive action"), CAPA_OK,
               "zhao rejects the plan with a reason");
    }
    in_stage(v, A, "analysis", "the rejection");
    do_sign(v, A, "chen", "reviewed", CAPA_OK, "chen signs off analysis again");
    const capa_kv pa[] = {KV("preventive_actions.1.action", "stencil design rule"),
                          KV("preventive_actions.1.owner", "wang"),
                          KV("preventive_actions.1.due", "2030-02-28")};
    do_set(v, A, "qian", pa, N(pa), CAPA_OK, "qian (prod_mgr) edits the plan");
    /* IATF 16949 10.2.4 / 8D D7: no approval without error-proofing and a document update
     * (or the quality lead's waiver) for every corrective action. */
    do_sign(v, A, "zhao", "approved", CAPA_EINVALID,
            "zhao approves a plan naming no error-proofing and no document update: refused");
    const capa_kv d7[] = {KV("corrective_actions.1.error_proofing", "prevention"),
                          KV("corrective_actions.1.error_proofing_device", "stencil gauge OQ-1"),
                          KV("corrective_actions.1.pfmea_ref", "PFMEA-SMT-1"),
                          KV("corrective_actions.1.pfmea_rev_before", "C"),
                          KV("corrective_actions.1.pfmea_rev_after", "D")};
    do_set(v, A, "wang", d7, N(d7), CAPA_OK,
           "wang records the poka-yoke and the PFMEA revision it updates");
    do_sign(v, A, "qian", "approved", CAPA_EDENIED,
            "qian approves the plan qian edited (independent sign-off): refused");
    do_sign(v, A, "zhao", "approved", CAPA_OK, "zhao (prod_mgr, not an editor) approves");
    in_stage(v, A, "rework", "action");
    /* rework (D5) */
    const capa_kv rw[] = {KV("disposition", "rework"),     KV("rework_mode", "in_house"),
                          KV("rework_order", "RW-OQ-1"),   KV("qty_reworked", "10"),
                          KV("qty_scrapped", "0"),         KV("qty_received", "10")};
    do_set(v, A, "sun", rw, N(rw), CAPA_OK, "sun (production) records the rework");
    do_sign(v, A, "sun", "done", CAPA_OK, "sun signs off rework");
    in_stage(v, A, "verification", "rework");
    /* verification (D6): a failed result cannot be verified */
    const capa_kv vf[] = {KV("method", "re-inspection"), KV("sample_size", "50"),
                          KV("result", "fail"), KV("evidence", "2 of 50 still bridged")};
    do_set(v, A, "wang", vf, N(vf), CAPA_OK, "wang records a failed verification");
    do_sign(v, A, "wang", "verified", CAPA_EINVALID,
            "wang signs 'verified' while result = fail: refused");
    const capa_kv vp[] = {KV("result", "pass"), KV("evidence", "3 lots, 0 defects"),
                          KV("challenge_tests.1.device", "stencil gauge OQ-1"),
                          KV("challenge_tests.1.tested_at", "2030-02-01T09:00+08:00"),
                          KV("challenge_tests.1.tested_by", "wang"),
                          KV("challenge_tests.1.result", "pass")};
    do_set(v, A, "wang", vp, N(vp), CAPA_OK, "wang records a passed verification");
    do_sign(v, A, "wang", "verified", CAPA_OK, "wang signs off verification");
    in_stage(v, A, "archive", "verification");
    /* archive (D8): a reply is required; a dissatisfied customer sends it round again */
    do_sign(v, A, "chen", "closed", CAPA_EINVALID,
            "chen closes without the reply to the customer: refused");
    const capa_kv ar[] = {KV("customer_reply", "8D sent"), KV("follow_up_date", "2030-03-01"),
                          KV("follow_up_by", "wang"), KV("satisfaction", "dissatisfied"),
                          KV("lessons_learned", "stencil review"),
                          KV("documents_updated", "WI-OQ-1 rev B")};
    do_set(v, A, "wang", ar, N(ar), CAPA_OK, "wang records the reply; customer dissatisfied");
    do_sign(v, A, "chen", "closed", CAPA_OK, "chen signs 'closed'");
    char st[64];
    stage_of(v, A, st, sizeof st, &round);
    fact(v, strcmp(st, "analysis") == 0 && round == 2,
         "a dissatisfied follow-up does not close: %s is in %s, round %d (want analysis, 2)", A,
         st, round);
    do_sign(v, A, "chen", "reviewed", CAPA_OK, "round 2: chen signs off analysis");
    do_sign(v, A, "zhao", "approved", CAPA_OK, "round 2: zhao approves");
    do_sign(v, A, "sun", "done", CAPA_OK, "round 2: sun signs off rework");
    do_sign(v, A, "wang", "verified", CAPA_OK, "round 2: wang verifies");
    const capa_kv sat[] = {KV("satisfaction", "satisfied")};
    do_set(v, A, "wang", sat, N(sat), CAPA_OK, "round 2: the customer is satisfied");
    do_sign(v, A, "chen", "closed", CAPA_OK, "chen closes the case");
    in_stage(v, A, "closed", "the closing sign-off");
    const capa_kv late[] = {KV("lessons_learned", "changed after closing")};
    do_set(v, A, "wang", late, N(late), CAPA_ESTATE, "wang edits the closed case: refused");
    /* An invalid complaint goes straight to the archive (ISO 10002 8.5). */
    char B[64] = "";
    if (open_case(v, B, sizeof B, "li", "OQ: invalid complaint", "general") == CAPA_OK) {
        const capa_kv inv[] = {KV("validity", "invalid"), KV("containment", "none: no defect")};
        do_set(v, B, "wang", inv, N(inv), CAPA_OK, "wang finds the complaint invalid");
        do_sign(v, B, "wang", "reviewed", CAPA_OK, "wang signs off intake");
        in_stage(v, B, "archive", "an invalid complaint's intake");
    }
    return v->ok;
}

/* IATF 16949 10.2.4-10.2.6, ISO 9001 10.2.1(e): a field failure decides on the returned part
 * (NTF with its criteria); a plan without a document update needs the quality lead's waiver;
 * every error-proofing device needs its passed challenge-part test. */
static int chk_procedures(vrun *v)
{
    char F[64] = "", b[64];
    if (open_typed(v, F, sizeof F, "li", "OQ: field failure", "general", "field_failure") !=
        CAPA_OK)
        return 0;
    const capa_kv in[] = {KV("validity", "valid"), KV("containment", "OQ: field stock retested")};
    do_set(v, F, "wang", in, N(in), CAPA_OK, "wang records validity and containment");
    do_sign(v, F, "wang", "reviewed", CAPA_OK, "wang signs off intake");
    const capa_kv an[] = {KV("five_why.1.why", "why no power"), KV("five_why.1.because", "none"),
                          KV("category_6m", "measurement"),
                          KV("root_cause_occurrence", "no fault reproduced"),
                          KV("root_cause_escape", "n/a")};
    do_set(v, F, "wang", an, N(an), CAPA_OK, "wang records the analysis of a field failure");
    do_sign(v, F, "chen", "reviewed", CAPA_EINVALID,
            "chen signs off a field failure's analysis without the returned-part test and "
            "decision: refused");
    const capa_kv nt[] = {KV("returned_part_test", "OQ: 48 h burn-in, 3 functional tests"),
                          KV("ntf_decision", "ntf")};
    do_set(v, F, "wang", nt, N(nt), CAPA_OK, "wang records the test and no trouble found");
    do_sign(v, F, "chen", "reviewed", CAPA_EINVALID,
            "chen signs off NTF without the criteria agreed with the customer: refused");
    const capa_kv cr[] = {KV("ntf_criteria", "OQ-CS-1: 3 retests without fault")};
    do_set(v, F, "wang", cr, N(cr), CAPA_OK, "wang records the NTF criteria");
    do_sign(v, F, "chen", "reviewed", CAPA_OK, "chen signs off the analysis");
    const capa_kv ac[] = {KV("corrective_actions.1.action", "OQ: end-of-line burn-in"),
                          KV("corrective_actions.1.owner", "sun"),
                          KV("corrective_actions.1.due", "2030-01-31"),
                          KV("corrective_actions.1.error_proofing", "detection"),
                          KV("corrective_actions.1.error_proofing_device", "burn-in rack OQ-2"),
                          KV("preventive_actions.1.action", "OQ: NTF review"),
                          KV("preventive_actions.1.owner", "wang"),
                          KV("preventive_actions.1.due", "2030-02-28")};
    do_set(v, F, "wang", ac, N(ac), CAPA_OK, "wang records a plan naming no document update");
    do_sign(v, F, "zhao", "approved", CAPA_EINVALID,
            "zhao approves a plan naming no PFMEA / control-plan update and no waiver: refused");
    {
        capa_actor w = as(b, sizeof b, "wang");
        expect(v, capa_case_waive(v->s, F, &w, "waived", "OQ: no document to update"),
               CAPA_EDENIED, "wang (qe) signs the waiver, which needs qe_lead: refused");
        capa_actor c = as(b, sizeof b, "chen");
        expect(v, capa_case_waive(v->s, F, &c, "waived", ""), CAPA_EINVALID,
               "chen signs the waiver without a reason: refused");
        expect(v, capa_case_waive(v->s, F, &c, "waived", "OQ: no document to update"), CAPA_OK,
               "chen (qe_lead) signs the waiver with its reason");
    }
    do_sign(v, F, "zhao", "approved", CAPA_OK, "zhao approves the plan under the waiver");
    const capa_kv rw[] = {KV("disposition", "rework")};
    do_set(v, F, "sun", rw, N(rw), CAPA_OK, "sun records the disposition");
    do_sign(v, F, "sun", "done", CAPA_OK, "sun signs off rework");
    const capa_kv vf[] = {KV("method", "OQ: retest"), KV("result", "pass"),
                          KV("evidence", "OQ: 0 defects")};
    do_set(v, F, "wang", vf, N(vf), CAPA_OK, "wang records a passed verification");
    do_sign(v, F, "wang", "verified", CAPA_EINVALID,
            "wang signs 'verified' without the burn-in rack's challenge-part test: refused");
    const capa_kv ct[] = {KV("challenge_tests.1.device", "burn-in rack OQ-2"),
                          KV("challenge_tests.1.tested_at", "2030-02-01T09:00+08:00"),
                          KV("challenge_tests.1.tested_by", "wang"),
                          KV("challenge_tests.1.result", "pass")};
    do_set(v, F, "wang", ct, N(ct), CAPA_OK, "wang records the device's challenge-part test");
    do_sign(v, F, "wang", "verified", CAPA_OK, "wang signs off verification");
    return in_stage(v, F, "archive", "verification") && v->ok;
}

/* 11.50, 11.70, 11.200(a)(1), Annex 11 §14: each signing re-authenticates; what it records. */
static int chk_esign(vrun *v)
{
    char *C = v->case_c, b[64], hash[65] = "";
    if (open_case(v, v->case_c, sizeof v->case_c, "li", "OQ: e-signature case", "general") !=
        CAPA_OK)
        return 0;
    const capa_kv in[] = {KV("validity", "valid"), KV("containment", "OQ: sorted")};
    do_set(v, C, "wang", in, N(in), CAPA_OK, "wang records validity and containment");
    capa_case *c = NULL;
    if (capa_case_get(&c, v->s, C) == CAPA_OK)
        capa_case_data_hash(hash, c, "intake");
    capa_case_free(c);
    c = NULL;
    capa_actor bad = {"wang", broken(v) ? as(b, sizeof b, "wang").password : "not-the-password"};
    expect(v, capa_case_sign(v->s, C, &bad, "reviewed"), CAPA_EAUTH,
           "wang signs with a wrong password: refused");
    in_stage(v, C, "intake", "the refused signature");
    /* A web session's binding may edit, never sign: the password is typed again. */
    char binding[CAPA_BINDING_SIZE];
    capa_actor w = as(b, sizeof b, "wang");
    if (expect(v, capa_user_sign_in(binding, v->s, &w), CAPA_OK, "wang signs in (binding)")) {
        capa_request r = {0};
        r.op = CAPA_OP_SIGN;
        r.who.user = "wang";
        r.number = C;
        r.meaning = "reviewed";
        r.binding = binding;
        expect(v, capa_submit(v->s, &r, 1), CAPA_EDENIED,
               "a sign-off proved by a sign-in binding instead of the password: refused");
        capa_request_clear(&r);
    }
    in_stage(v, C, "intake", "the refused signatures");
    int64_t before = capa_store_now(v->s);
    w = as(b, sizeof b, "wang");
    expect(v, capa_case_sign(v->s, C, &w, "reviewed"), CAPA_OK,
           "wang signs off with the password typed now");
    int64_t after = capa_store_now(v->s);
    if (capa_case_get(&c, v->s, C) == CAPA_OK && c->n_signatures > 0) {
        const capa_signature *g = &c->signatures[c->n_signatures - 1];
        char t[32];
        capa_time_format(t, sizeof t, g->time);
        fact(v, g->name && strcmp(g->name, "王工 (OQ)") == 0 && strcmp(g->user, "wang") == 0,
             "the signature names its signer: %s (%s)", g->name, g->user);
        fact(v, strcmp(g->role, "qe") == 0 && strcmp(g->meaning, "reviewed") == 0,
             "and its role and meaning: %s, %s", g->role, g->meaning);
        fact(v, g->time >= before && g->time <= after, "and when it was made: %s", t);
        fact(v, strcmp(g->data_hash, hash) == 0,
             "and the SHA-256 of the data signed: %.16s... (the stage hashed %.16s...)",
             g->data_hash, hash);
    } else {
        fact(v, 0, "%s has a signature", C);
    }
    capa_case_free(c);
    return v->ok;
}

/* 11.300(d): five wrong passwords lock the account; every attempt is audited. */
static int chk_lockout(vrun *v)
{
    char b[64];
    capa_actor bad = {"lockme", "wrong-password"};
    int tries = broken(v) ? 4 : 5;
    for (int i = 1; i <= tries; i++) {
        char what[64];
        snprintf(what, sizeof what, "wrong password %d of %d", i, tries);
        /* the fifth wrong one is refused and locks the account */
        expect(v, capa_user_authenticate(v->s, &bad), i < 5 ? CAPA_EAUTH : CAPA_ELOCKED, what);
    }
    capa_actor good = as(b, sizeof b, "lockme");
    expect(v, capa_user_authenticate(v->s, &good), CAPA_ELOCKED,
           "then the right password: the account is locked");
    ev_find f = {.action = "login_failed", .actor = "lockme"};
    int failed = count_events(v, NULL, &f);
    ev_find l = {.action = "lock", .actor = "lockme"};
    int locks = count_events(v, NULL, &l);
    fact(v, failed == 4 && locks == 1,
         "the audit trail holds lockme's %d failed sign-ins and %d lock event(s) (want 4, and "
         "the fifth attempt's lock)",
         failed, locks);
    capa_actor admin = as(b, sizeof b, "admin");
    expect(v, capa_user_unlock(v->s, &admin, "lockme"), CAPA_OK, "an admin unlocks it");
    good = as(b, sizeof b, "lockme");
    expect(v, capa_user_authenticate(v->s, &good), CAPA_OK, "the right password works again");
    return v->ok;
}

/* 11.10(e), Annex 11 §9, §12.4: who did what when, old and new values, reasons. */
static int chk_audit(vrun *v)
{
    const char *A = broken(v) ? v->case_c : v->case_a;
    ev_find f = {.action = "open", .actor = "li"};
    fact(v, count_events(v, A, &f) == 1, "%s: one 'open' event by li", A);
    ev_find s = {.action = "set", .actor = "wang", .field = "result", .old_value = "fail",
                 .new_value = "pass"};
    fact(v, count_events(v, A, &s) == 1,
         "%s: the change of result by wang keeps the old value: fail -> pass", A);
    ev_find r = {.action = "reject", .actor = "zhao", .reason_has = "no preventive action"};
    fact(v, count_events(v, A, &r) == 1, "%s: the rejection by zhao with its reason", A);
    ev_find g = {.action = "sign"};
    int signs = count_events(v, A, &g);
    fact(v, signs == 12, "%s: %d sign-off events (want 12: 7 in round 1, 5 in round 2)", A,
         signs);
    ev_find all = {0};
    int n = count_events(v, A, &all);
    fact(v, all.ordered, "%s: %d events, in time order", A, n);
    char head[65];
    uint64_t bad = 0;
    int rc = capa_audit_verify(v->s, head, &bad);
    expect(v, rc, CAPA_OK, "the hash chain of every event holds (capa_audit_verify)");
    if (rc == CAPA_OK)
        ev_addf(v, "     chain head %.16s...", head);
    return v->ok;
}

typedef struct due_hits {
    const char *a, *b;
    int hit_a, hit_b;
} due_hits;

static int due_cb(const capa_case_header *h, const capa_due_limit *l, void *payload)
{
    due_hits *d = payload;
    if (strcmp(l->kind, "response") == 0) {
        d->hit_a |= strcmp(h->number, d->a) == 0;
        d->hit_b |= strcmp(h->number, d->b) == 0;
    }
    return 0;
}

static int64_t test_clock(void *payload)
{
    return *(int64_t *)payload;
}

/* IATF 10.2.3, ISO 10002 8.4, 9.4: limits from the opening, met or overdue, on the
 * engine's injected clock. */
static int chk_limits(vrun *v)
{
    char dir[PATH_MAX + 16], A[64] = "", B[64] = "";
    capa_store *keep = v->s;
    snprintf(dir, sizeof dir, "%s/limits", v->root);
    v->clock = (capa_store_now(keep) / 3600000) * 3600000;
    int64_t t0 = v->clock;
    capa_store *s = NULL;
    if (make_store(v, &s, dir, test_clock, &v->clock, 2) != CAPA_OK) {
        capa_store_close(s);
        return 0;
    }
    v->s = s;
    char t0s[32];
    capa_time_format(t0s, sizeof t0s, t0);
    ev_addf(v, "     a second scratch store whose clock the check sets (capa_open_opts.clock): "
               "%s",
            t0s);
    open_case(v, A, sizeof A, "li", "OQ limits: answered", "important");
    open_case(v, B, sizeof B, "li", "OQ limits: not answered", "important");
    v->clock = t0 + 2 * 3600000LL;
    const capa_kv in[] = {KV("validity", "valid"), KV("containment", "OQ: stopped")};
    do_set(v, A, "wang", in, N(in), CAPA_OK, "2 h after opening: wang records containment");
    do_sign(v, A, "wang", "reviewed", CAPA_OK, "and signs off intake (the response)");
    int64_t at = t0 + (broken(v) ? 1 : 25) * 3600000LL;
    char ts[32];
    capa_time_format(ts, sizeof ts, at);
    const char *want[2] = {"met", "overdue"};
    const char *nums[2] = {A, B};
    for (int i = 0; i < 2; i++) {
        capa_case *c = NULL;
        capa_limit_status *ls = NULL;
        size_t n = 0;
        const char *state = "none";
        if (capa_case_get(&c, s, nums[i]) == CAPA_OK &&
            capa_case_limits(&ls, &n, s, c, at) == CAPA_OK)
            for (size_t k = 0; k < n; k++)
                if (strcmp(ls[k].kind, "response") == 0)
                    state = ls[k].state;
        fact(v, strcmp(state, want[i]) == 0, "%s's 24 h response limit as of %s: %s (want %s)",
             nums[i], ts, state, want[i]);
        capa__free(ls);
        capa_case_free(c);
    }
    due_hits d = {A, B, 0, 0};
    expect(v, capa_case_due_list(s, CAPA_DUE_OVERDUE, at, due_cb, &d), CAPA_OK,
           "the overdue list (capa list --overdue)");
    fact(v, d.hit_b && !d.hit_a, "as of %s the overdue list names %s's response%s", ts, B,
         d.hit_a ? ", and wrongly the answered one's" : "");
    v->s = keep;
    capa_store_close(s);
    return v->ok;
}

/* 11.10(a), (c), 11.70, Annex 11 §7.1, §14(b): each stored copy of a value, edited in a copy
 * of the store file, is named by verify. */
static int chk_tamper(vrun *v)
{
    char src[PATH_MAX + 16], dir[PATH_MAX + 32], first[1024];
    if (backup_to(v, src, sizeof src, "tamper-src") != CAPA_OK)
        return 0;
    unsigned char *buf = NULL;
    size_t len = 0, at[16], n = 0;
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/data.mdb", src);
    if (read_file(&buf, &len, path) == 0)
        n = find_all(at, 16, buf, len, v->marker);
    fact(v, n > 0, "the copy holds the walked case's description in %zu place(s)", n);
    for (size_t i = 0; i < n; i++) {
        snprintf(dir, sizeof dir, "%s/tamper-%zu", v->root, i);
        mkdir(dir, 0700);
        snprintf(path, sizeof path, "%s/data.mdb", dir);
        buf[at[i] + MARKER_LEN / 2] ^= broken(v) ? 0 : 0x01;
        if (write_file(path, buf, len) != 0) {
            fact(v, 0, "write %s", path);
            break;
        }
        buf[at[i] + MARKER_LEN / 2] ^= broken(v) ? 0 : 0x01;
        int ok = 1;
        if (verify_dir(v, dir, NULL, 0, &ok, first, sizeof first) != CAPA_OK) {
            fact(v, 0, "verify the copy with place %zu edited", i + 1);
            continue;
        }
        fact(v, !ok, "one byte changed at offset %zu (place %zu): verify %s: %s", at[i], i + 1,
             ok ? "passes" : "fails", first);
    }
    free(buf);
    return v->ok;
}

/* 11.10(c), (e): a history rewritten after a token was taken fails `verify --anchor`. */
static int chk_anchor(vrun *v)
{
    char tok1[100], tok2[100], dir[PATH_MAX + 16], first[1024];
    capa_anchor a1, a2;
    capa_anchor_current(tok1, sizeof tok1, v->s);
    if (backup_to(v, dir, sizeof dir, "anchor-copy") != CAPA_OK)
        return 0;
    const capa_kv orig[] = {KV("five_why.1.why", "original history")};
    do_set(v, v->case_c, "wang", orig, N(orig), CAPA_OK, "the store goes on: one more change");
    capa_anchor_current(tok2, sizeof tok2, v->s);
    ev_addf(v, "     tokens taken: %.24s... and %.24s...", tok1, tok2);
    /* The copy is an old backup restored and written to: a different history. */
    capa_store *keep = v->s, *x = NULL;
    if (open_store(&x, dir, NULL, NULL) != CAPA_OK) {
        expect(v, CAPA_ERROR, CAPA_OK, "open the copy");
        return 0;
    }
    v->s = x;
    const capa_kv forged[] = {KV("five_why.1.why", "another history")};
    do_set(v, v->case_c, "wang", forged, N(forged), CAPA_OK,
           "the restored copy is written to differently");
    v->s = keep;
    capa_store_close(x);
    int ok = 0;
    if (capa_anchor_parse(&a1, tok1) != CAPA_OK || capa_anchor_parse(&a2, tok2) != CAPA_OK)
        return fact(v, 0, "parse the tokens");
    capa_anchor both[2] = {a1, a2};
    if (verify_dir(v, v->db, both, 2, &ok, first, sizeof first) == CAPA_OK)
        fact(v, ok, "the store: both tokens hold (%s)", first);
    if (verify_dir(v, dir, &a1, 1, &ok, first, sizeof first) == CAPA_OK)
        fact(v, ok, "the copy: the token taken before it diverged holds (%s)", first);
    const capa_anchor *probe = broken(v) ? &a1 : &a2;
    if (verify_dir(v, dir, probe, 1, &ok, first, sizeof first) == CAPA_OK)
        fact(v, !ok, "the copy: the token taken after it diverged fails: %s", first);
    return v->ok;
}

/* 11.10(c), Annex 11 §7.2: a backup verifies, has the same head, and works when restored. */
static int chk_backup(vrun *v)
{
    char dir[PATH_MAX + 16], first[1024], keys[PATH_MAX + 32], src[PATH_MAX + 32];
    capa_store_info si = {0}, bi = {0};
    if (backup_to(v, dir, sizeof dir, "backup") != CAPA_OK)
        return 0;
    snprintf(keys, sizeof keys, "%s/keys", dir);
    snprintf(src, sizeof src, "%s/keys", v->root);
    expect(v, capa_report_keys_copy(keys, src), CAPA_OK, "copy the signing identity");
    expect(v, capa_report_keys_check(keys), CAPA_OK, "the copied key matches its certificate");
    if (broken(v))
        edit_marker(v, dir, 0);
    int ok = 0;
    if (verify_dir(v, dir, NULL, 0, &ok, first, sizeof first) == CAPA_OK)
        fact(v, ok, "the backup verifies completely: %s", first);
    capa_store *b = NULL;
    if (open_store(&b, dir, NULL, NULL) != CAPA_OK)
        return expect(v, CAPA_ERROR, CAPA_OK, "open the restored copy");
    if (capa_store_info_get(&si, v->s) == CAPA_OK && capa_store_info_get(&bi, b) == CAPA_OK)
        fact(v, si.n_cases == bi.n_cases && si.n_events == bi.n_events &&
                    strcmp(si.head_hash, bi.head_hash) == 0,
             "the restored copy holds %llu cases, %llu events, head %.16s... (the store: %llu, "
             "%llu, %.16s...)",
             (unsigned long long)bi.n_cases, (unsigned long long)bi.n_events, bi.head_hash,
             (unsigned long long)si.n_cases, (unsigned long long)si.n_events, si.head_hash);
    capa_store *keep = v->s;
    v->s = b;
    char n[64] = "";
    open_case(v, n, sizeof n, "li", "OQ: written after the restore", "general");
    v->s = keep;
    capa_store_close(b);
    if (verify_dir(v, dir, NULL, 0, &ok, first, sizeof first) == CAPA_OK)
        fact(v, ok, "written to, the restored copy still verifies: %s", first);
    capa_store_info_clear(&si);
    capa_store_info_clear(&bi);
    return v->ok;
}

/* 11.10(b), 11.50, ISO 9001 10.2.2: the dossier is made, signed, and a changed byte shows. */
static int chk_dossier(vrun *v)
{
    char pdf[PATH_MAX + 32], bad[PATH_MAX + 32];
    snprintf(pdf, sizeof pdf, "%s/dossier.pdf", v->root);
    snprintf(bad, sizeof bad, "%s/dossier-edited.pdf", v->root);
    capa_dossier_opts o = {0};
    o.font_path = v->font;
    o.key_path = v->key;
    o.cert_path = v->crt;
    o.location = "capa validate";
    if (!expect(v, capa_report_dossier(v->s, v->case_a, pdf, &o), CAPA_OK,
                "make the signed dossier of the walked case (after a replay of the store)"))
        return 0;
    unsigned char *buf = NULL;
    size_t len = 0;
    if (read_file(&buf, &len, pdf) != 0)
        return fact(v, 0, "read %s", pdf);
    ev_addf(v, "     %zu bytes", len);
    if (broken(v)) {
        buf[len / 3] ^= 0x01;
        write_file(pdf, buf, len);
        buf[len / 3] ^= 0x01;
    }
    expect(v, capa_report_pdf_verify(pdf, v->crt), CAPA_OK,
           "its signature verifies over the whole file against the signing certificate");
    buf[len / 3] ^= 0x01;
    if (write_file(bad, buf, len) == 0)
        expect(v, capa_report_pdf_verify(bad, v->crt), CAPA_ECORRUPT,
               "a copy with one byte changed: its signature fails");
    free(buf);
    return v->ok;
}

/* 11.10(a), Annex 11 §4, §7.1: the scratch store replays to exactly what is stored. */
static int chk_verify(vrun *v)
{
    char first[1024];
    if (broken(v)) {
        capa_store_close(v->s);
        v->s = NULL;
        edit_marker(v, v->db, -1);
        open_store(&v->s, v->db, NULL, NULL);
    }
    capa_verify_report *r = NULL;
    capa_verify_opts o = {0};
    int rc = v->s ? capa_store_verify(&r, v->s, &o) : CAPA_ERROR;
    if (expect(v, rc, CAPA_OK, "replay every event into a scratch store and compare")) {
        snprintf(first, sizeof first, "%s", r->n_mismatches ? r->mismatches[0].message : "");
        fact(v, r->ok && r->n_total == 0,
             "%llu events, %llu cases: %zu mismatch(es)%s%s", (unsigned long long)r->seq,
             (unsigned long long)r->n_cases, r->n_total, *first ? ": " : "", first);
    }
    capa_verify_report_free(r);
    return v->ok;
}

static const check_def CHECKS[] = {
    {"access", chk_access,
     "Only an admin adds users; a user id is never given twice; the user added exists with "
     "its role.",
     "Part 11 11.10(d); Part 11 11.10(g); Part 11 11.100(a); Part 11 11.300(a); Annex 11 12.1; "
     "Annex 11 12.3"},
    {"walk", chk_walk,
     "A complaint through all six stages (intake, analysis, action, rework, verification, "
     "archive) with each refusal the workflow makes: wrong role, rejection without a reason, "
     "an editor approving their own plan, a failed verification, closing without the reply; "
     "a dissatisfied customer sends it round again; closed is read-only; an invalid complaint "
     "goes to the archive.",
     "Part 11 11.10(f); Part 11 11.10(g); Annex 11 4.1; Annex 11 4.7; IATF 16949 10.2.3; "
     "IATF 16949 10.2.6; ISO 9001 10.2.1(a); ISO 9001 10.2.1(b); ISO 9001 10.2.1(c); "
     "ISO 9001 10.2.1(d); ISO 10002 8.2; ISO 10002 8.3; ISO 10002 8.5; ISO 10002 8.6; "
     "ISO 10002 8.7; ISO 10002 8.8; ISO 10002 8.9"},
    {"procedures", chk_procedures,
     "A field failure's analysis is refused without the returned-part test and decision, and "
     "an NTF without the criteria agreed with the customer; a plan naming no PFMEA or "
     "control-plan update is refused until the quality lead (not a QE) signs a waiver with "
     "its reason; verification is refused until the error-proofing device's challenge-part "
     "test passed.",
     "IATF 16949 10.2.4; IATF 16949 10.2.5; IATF 16949 10.2.6; ISO 9001 10.2.1(e)"},
    {"esign", chk_esign,
     "Every signing asks for the password again: a wrong one, or a web sign-in binding, is "
     "refused and changes nothing; a signature records printed name, role, meaning, time and "
     "the hash of the data signed.",
     "Part 11 11.50; Part 11 11.70; Part 11 11.200(a)(1); Annex 11 14(b); Annex 11 14(c)"},
    {"lockout", chk_lockout,
     "Five wrong passwords lock the account, even against the right one; each attempt and the "
     "lock are audit events; an admin unlocks it.",
     "Part 11 11.300(d)"},
    {"audit", chk_audit,
     "The walked case's audit trail names who opened, changed, rejected (with the reason) and "
     "signed, keeps each changed value's old value, in time order; the hash chain holds.",
     "Part 11 11.10(e); Annex 11 9; Annex 11 12.4; ISO 10002 8.3; ISO 10002 9.1"},
    {"limits", chk_limits,
     "On the engine's injected clock: a complaint answered after 2 h meets its 24 h response "
     "limit, one not answered is overdue 25 h after opening.",
     "IATF 16949 10.2.3; ISO 9001 10.2.1(a); ISO 10002 8.4; ISO 10002 9.4"},
    {"tamper", chk_tamper,
     "In copies of the store file, each place that holds the walked case's description is "
     "changed by one byte, one copy per place: verify must fail on every copy.",
     "Part 11 11.10(a); Part 11 11.10(c); Part 11 11.70; Annex 11 4.7; Annex 11 7.1; "
     "Annex 11 14(b)"},
    {"anchor", chk_anchor,
     "Tokens (capa anchor) taken from the store; an older copy written to differently: "
     "verify --anchor passes on the store, fails on the copy for the token taken after the "
     "histories diverged.",
     "Part 11 11.10(c); Part 11 11.10(e)"},
    {"backup", chk_backup,
     "A hot backup with the signing identity verifies completely, holds the same cases, "
     "events and chain head, and keeps verifying when written to after the restore.",
     "Part 11 11.10(c); Annex 11 7.2; ISO 9001 10.2.2; ISO 10002 9.1"},
    {"dossier", chk_dossier,
     "The walked case's dossier is made from verified data and signed; its signature verifies "
     "over the whole file, and fails on a copy with one byte changed.",
     "Part 11 11.10(b); Part 11 11.50; ISO 9001 10.2.2"},
    {"verify", chk_verify,
     "The scratch store, after every check above wrote to it, replays from its audit trail to "
     "exactly the records stored (capa verify).",
     "Part 11 11.10(a); Annex 11 4.1; Annex 11 4.6; Annex 11 7.1; ISO 10002 9.5"},
};
#define N_CHECKS (sizeof CHECKS / sizeof CHECKS[0])

/* ---- the environment ---- */

static int sha256_file(char hex[65], const char *path)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    char *p = NULL;
    int tb = 0;
    if (cli_read_file(&p, &len, path, (size_t)1 << 30, &tb) != CLI_OK || tb) {
        free(p);
        snprintf(hex, 65, "(unreadable)");
        return -1;
    }
    buf = (unsigned char *)p;
    capa_sha256_hex(hex, buf, len);
    free(buf);
    return 0;
}

typedef struct envlist {
    capa_kv *kv;
    size_t n, cap;
} envlist;

static void env_add(envlist *e, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void env_add(envlist *e, const char *name, const char *fmt, ...)
{
    if (e->n == e->cap) {
        size_t cap = e->cap ? 2 * e->cap : 32;
        capa_kv *p = realloc(e->kv, cap * sizeof *p);
        if (!p)
            return;
        e->kv = p, e->cap = cap;
    }
    va_list ap;
    va_start(ap, fmt);
    char *val = NULL;
    if (vasprintf(&val, fmt, ap) < 0)
        val = NULL;
    va_end(ap);
    char *nm = strdup(name);
    if (!val || !nm) {
        free(val);
        free(nm);
        return;
    }
    e->kv[e->n++] = (capa_kv){nm, val};
}

static void env_clear(envlist *e)
{
    for (size_t i = 0; i < e->n; i++) {
        free((char *)e->kv[i].name);
        free((char *)e->kv[i].value);
    }
    free(e->kv);
}

static int lib_cb(struct dl_phdr_info *info, size_t size, void *payload)
{
    (void)size;
    envlist *e = payload;
    const char *name = info->dlpi_name;
    char hex[65];
    if (!name || !*name || name[0] != '/' || access(name, R_OK) != 0)
        return 0; /* the executable itself, the vDSO */
    sha256_file(hex, name);
    env_add(e, "library", "%s sha256:%s", name, hex);
    return 0;
}

static void os_release(char *buf, size_t sz)
{
    FILE *f = fopen("/etc/os-release", "r");
    char line[512];
    snprintf(buf, sz, "(no /etc/os-release)");
    if (!f)
        return;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "PRETTY_NAME=", 12) == 0) {
            char *v = line + 12;
            v[strcspn(v, "\n")] = 0;
            if (*v == '"') {
                v++;
                char *q = strrchr(v, '"');
                if (q)
                    *q = 0;
            }
            snprintf(buf, sz, "%s", v);
        }
    fclose(f);
}

static void environment(envlist *e, const vrun *v, const char *signer)
{
    char exe[PATH_MAX], hex[65], os[600];
    struct utsname u;
    env_add(e, "capa version", "%s", CAPA_VERSION);
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    sha256_file(hex, "/proc/self/exe");
    env_add(e, "binary", "%s sha256:%s", exe, hex);
    if (uname(&u) == 0)
        env_add(e, "kernel (uname)", "%s %s %s %s %s", u.sysname, u.nodename, u.release,
                u.version, u.machine);
    os_release(os, sizeof os);
    env_add(e, "os (/etc/os-release)", "%s", os);
    if (v->font) {
        sha256_file(hex, v->font);
        env_add(e, "dossier font", "%s sha256:%s", v->font, hex);
    }
    env_add(e, "scratch store", "%s (removed after the run)", v->root);
    env_add(e, "report signed by", "%s", signer);
    dl_iterate_phdr(lib_cb, e); /* every library loaded, last: the longest part */
}

/* ---- the command ---- */

static int list_checks(void)
{
    for (size_t i = 0; i < N_CHECKS; i++)
        printf("%s\t%s\t%s\n", CHECKS[i].id, CHECKS[i].title, CHECKS[i].clauses);
    return CLI_OK;
}

/* Whether `path` is `dir` or inside it (both resolved; a missing one is not). */
static int inside(const char *path, const char *dir)
{
    char a[PATH_MAX], b[PATH_MAX];
    if (!realpath(path, a) || !realpath(dir, b))
        return 0;
    size_t n = strlen(b);
    return strncmp(a, b, n) == 0 && (a[n] == 0 || a[n] == '/' || n == 1);
}

static json_t *check_json(const capa_validation_check *k)
{
    json_t *o = json_object(), *cl = json_array(), *ev = json_array();
    char *copy = strdup(k->clauses), *save = NULL;
    for (char *t = copy ? strtok_r(copy, ";", &save) : NULL; t; t = strtok_r(NULL, ";", &save))
        cli_json_push(cl, cli_json_str(t + (*t == ' ')));
    free(copy);
    copy = strdup(k->evidence ? k->evidence : "");
    for (char *t = copy ? strtok_r(copy, "\n", &save) : NULL; t; t = strtok_r(NULL, "\n", &save))
        cli_json_push(ev, cli_json_str(t));
    free(copy);
    cli_json_set(o, "id", cli_json_str(k->id));
    cli_json_set(o, "title", cli_json_str(k->title));
    cli_json_set(o, "clauses", cl);
    cli_json_set(o, "passed", json_boolean(k->passed));
    cli_json_set(o, "evidence", ev);
    return o;
}

int cmd_validate(cli *c, int argc, char **argv)
{
    const char *out = NULL, *font = NULL, *key = NULL, *crt = NULL, *brk = NULL;
    int list = 0, npos = 0, rc = CLI_ERROR;
    const cli_opt opts[] = {
        {"-o", &out, NULL},         {"--output", &out, NULL}, {"--font", &font, NULL},
        {"--key", &key, NULL},      {"--cert", &crt, NULL},   {"--break", &brk, NULL},
        {"--list", NULL, &list},    {"--json", NULL, &c->json}, {NULL, NULL, NULL},
    };
    vrun v = {0};
    envlist env = {0};
    capa_validation_check res[N_CHECKS];
    char fontbuf[4200];
    memset(res, 0, sizeof res);

    CLI_PARSE(c, argc, argv, opts, &npos);
    if (npos != 0)
        return cli_usage_rule(c, "cli.no_args", NULL, NULL);
    if (list)
        return list_checks();
    if (!out && !c->json)
        return cli_usage_rule(c, "cli.required", NULL, "option", "-o REPORT.pdf", "hint", "json",
                              "other", "--json", NULL);
    if (!key != !crt)
        return cli_usage_rule(c, "cli.together", NULL, "option", "--key", "other", "--cert", NULL);
    if (brk) {
        size_t i = 0;
        while (i < N_CHECKS && strcmp(CHECKS[i].id, brk) != 0)
            i++;
        if (i == N_CHECKS)
            return cli_usage_rule(c, "cli.check", brk, "option", "--break", NULL);
    }
    if (out) {
        /* the report may not exist yet: its directory decides too */
        char d[PATH_MAX];
        snprintf(d, sizeof d, "%s", out);
        char *sl = strrchr(d, '/');
        if (sl)
            *sl = 0;
        if (inside(out, c->db) || inside(sl ? (*d ? d : "/") : ".", c->db))
            return cli_error_rule(c, NULL, "cli.validate_inside", "path", out, "db", c->db, NULL);
    }
    if (!font || !*font)
        font = getenv("CAPA_FONT");
    if (!font || !*font)
        font = cli_default_font(fontbuf, sizeof fontbuf);
    v.font = font && *font ? font : NULL;
    v.brk = brk;

    const char *tmp = getenv("TMPDIR");
    tmp = tmp && *tmp ? tmp : "/tmp";
    if (inside(tmp, c->db))
        return cli_error_rule(c, NULL, "cli.validate_scratch", "db", c->db, "tmpdir", tmp, NULL);
    snprintf(v.root, sizeof v.root, "%s/capa-validate.XXXXXX", tmp);
    if (!mkdtemp(v.root)) {
        cli_error_rule(c, v.root, "cli.io_create", "detail", strerror(errno), NULL);
        v.root[0] = 0;
        return CLI_ERROR;
    }
    if (inside(v.root, c->db) || inside(c->db, v.root)) {
        rc = cli_error_rule(c, NULL, "cli.validate_scratch", "db", c->db, "tmpdir", v.root, NULL);
        goto done;
    }
    snprintf(v.db, sizeof v.db, "%s/db", v.root);
    {
        /* A value found nowhere else in the store file: what the tamper checks edit. */
        char seed[64], hex[65];
        int n = snprintf(seed, sizeof seed, "%lld.%d", (long long)time(NULL), (int)getpid());
        capa_sha256_hex(hex, seed, (size_t)n);
        snprintf(v.marker, sizeof v.marker, "OQMARK%.*s", MARKER_LEN - 6, hex);
    }
    char kd[PATH_MAX + 16];
    snprintf(kd, sizeof kd, "%s/keys", v.root);
    snprintf(v.key, sizeof v.key, "%s/org.key", kd);
    snprintf(v.crt, sizeof v.crt, "%s/org.crt", kd);
    int64_t started = (int64_t)time(NULL) * 1000;
    if (capa_report_keys_create(kd, "capa validate (OQ scratch identity)", 0) != CAPA_OK) {
        rc = cli_fail(c, "scratch signing identity", CAPA_ERROR);
        goto done;
    }

    int setup_ok = 1;
    v.cur = "setup";
    v.ok = 1;
    if (make_store(&v, &v.s, v.db, NULL, NULL, N(USERS)) != CAPA_OK) {
        setup_ok = 0;
        cli_note_rule(c, NULL, "cli.validate_no_store", "detail",
                      v.ev.p ? v.ev.p : capa_error_last(), NULL);
    }
    size_t failed = 0;
    for (size_t i = 0; i < N_CHECKS; i++) {
        v.cur = CHECKS[i].id;
        v.ok = 1;
        free(v.ev.p);
        v.ev = (vbuf){0};
        if (broken(&v))
            ev_addf(&v, "--break %s: this check's evidence was sabotaged on purpose", v.cur);
        int passed = setup_ok && v.s ? CHECKS[i].fn(&v) && v.ok : 0;
        if (!setup_ok)
            ev_addf(&v, "not run: the scratch store could not be made");
        res[i] = (capa_validation_check){CHECKS[i].id, CHECKS[i].title, CHECKS[i].clauses,
                                         passed, v.ev.p ? v.ev.p : ""};
        v.ev = (vbuf){0}; /* res[i] owns it now */
        failed += !passed;
        if (!c->json)
            printf("%s %-8s %s\n", passed ? "PASS" : "FAIL", CHECKS[i].id, CHECKS[i].clauses);
        fflush(stdout);
    }
    capa_store_close(v.s);
    v.s = NULL;
    int64_t finished = (int64_t)time(NULL) * 1000;

    const char *signer_key = key ? key : v.key, *signer_crt = crt ? crt : v.crt;
    char signer[PATH_MAX + 64];
    snprintf(signer, sizeof signer, "%s", key ? crt : "a scratch identity made for this run "
                                                     "(--key/--cert sign with the organisation's)");
    environment(&env, &v, signer);
    capa_validation val = {env.kv, env.n, res, N_CHECKS, started, finished};
    rc = failed ? CLI_ERROR : CLI_OK;
    if (out) {
        capa_monthly_opts po = {0};
        po.font_path = v.font;
        po.key_path = signer_key;
        po.cert_path = signer_crt;
        po.location = "capa validate";
        int err = capa_report_validation_pdf(&val, out, &po);
        if (err != CAPA_OK) {
            rc = cli_fail(c, out, err);
            goto done;
        }
    }
    if (c->json) {
        json_t *doc = json_object(), *envj = json_object(), *libs = json_array(),
               *arr = json_array();
        for (size_t i = 0; i < env.n; i++) {
            if (strcmp(env.kv[i].name, "library") == 0)
                cli_json_push(libs, cli_json_str(env.kv[i].value));
            else
                cli_json_set(envj, env.kv[i].name, cli_json_str(env.kv[i].value));
        }
        cli_json_set(envj, "libraries", libs);
        for (size_t i = 0; i < N_CHECKS; i++)
            cli_json_push(arr, check_json(&res[i]));
        cli_json_set(doc, "result", cli_json_str(failed ? "fail" : "pass"));
        cli_json_set(doc, "passed", json_integer((json_int_t)(N_CHECKS - failed)));
        cli_json_set(doc, "failed", json_integer((json_int_t)failed));
        cli_json_set(doc, "started", cli_json_time(started));
        cli_json_set(doc, "finished", cli_json_time(finished));
        cli_json_set(doc, "environment", envj);
        cli_json_set(doc, "checks", arr);
        cli_json_set(doc, "report", out ? cli_json_str(out) : json_null());
        if (cli_json_print(c, doc) != CLI_OK) /* takes doc */
            rc = CLI_ERROR;
    } else {
        char ok[24], all[24];
        snprintf(ok, sizeof ok, "%zu", N_CHECKS - failed);
        snprintf(all, sizeof all, "%zu", N_CHECKS);
        if (out)
            cli_say_rule(c, "say.validated_report", "passed", ok, "checks", all, "path", out, NULL);
        else
            cli_say_rule(c, "say.validated", "passed", ok, "checks", all, NULL);
    }
    if (failed) {
        char n[24];
        snprintf(n, sizeof n, "%zu", failed);
        cli_note_rule(c, NULL, "cli.validate_failed", "count", n, NULL);
    }
done:
    for (size_t i = 0; i < N_CHECKS; i++)
        if (res[i].evidence && *res[i].evidence)
            free((char *)res[i].evidence);
    free(v.ev.p);
    capa_store_close(v.s);
    env_clear(&env);
    rm_tree(v.root);
    return rc;
}
