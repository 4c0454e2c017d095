/*
 * users.c - users, roles, scrypt password hashes, authentication and lockout.
 *
 * Passwords are hashed with scrypt (OpenSSL EVP_PBE_scrypt; N = 2^15, r = 8, p = 1 by
 * default: 32 MiB, memory-hard). The parameters are stored with each hash, so raising the
 * cost later leaves existing users able to sign in. Every change to a user is an event;
 * the event records a digest of a new credential, never the hash itself.
 */
#define _GNU_SOURCE /* F_OFD_SETLKW */
#include "users.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "apply.h"
#include "codec.h"
#include "commit.h"
#include "event.h"
#include "refusal.h"

#define DEFAULT_LOG2N 15
#define MIN_PASSWORD 8


/* An authentication refusal as data (refusal.c): the user and, for a lock, after how many
 * wrong passwords. */
static void auth_refusal(int err, const char *rule, const char *user, int max_failed)
{
    capa__refusal_begin(err, "login", NULL, NULL);
    capa__refusal_add(rule, NULL, NULL, NULL);
    capa__refusal_param("user", "%.40s", user);
    if (max_failed)
        capa__refusal_param("max_failed", "%d", max_failed);
}
static int kdf(unsigned char out[32], const char *password, const unsigned char salt[16],
               unsigned log2n, unsigned r, unsigned p)
{
    uint64_t n = (uint64_t)1 << log2n;
    uint64_t maxmem = 128 * (uint64_t)r * n * p + ((uint64_t)1 << 24);
    if (!EVP_PBE_scrypt(password, strlen(password), salt, 16, n, r, p, maxmem, out, 32))
        return capa_error_set(CAPA_ENOMEM, "password hash: scrypt failed (out of memory?)");
    return CAPA_OK;
}

int capa_user__exists_cb(const char *user, void *payload)
{
    MDB_txn *txn = payload;
    capa_store *s = mdb_env_get_userctx(mdb_txn_env(txn));
    MDB_val v;
    return s && capa_store__get(txn, s->dbi[DB_USERS], user, strlen(user), &v) == CAPA_OK;
}

static int valid_id(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > 32 || id[0] < 'a' || id[0] > 'z')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
            return 0;
    }
    return 1;
}

int capa__line_check(const char *what, const char *field, const char *value)
{
    char why[160];
    if (value && capa_text_check(value, 0, why, sizeof why) != CAPA_OK) {
        int err = capa__refuse(CAPA_EINVALID, "field.text", field, value, "%s: %s", what, why);
        capa__refusal_param("why", "%s", why);
        return err;
    }
    return CAPA_OK;
}

static int check_password(const char *who, const char *password)
{
    size_t n = password ? strlen(password) : 0;
    if (n < MIN_PASSWORD || n > CAPA_MAX_PASSWORD) {
        int err = capa__refuse(CAPA_EINVALID, "user.password_length", "password", NULL,
                               "password of `%s`: %zu bytes; a password needs %d to %d", who, n,
                               MIN_PASSWORD, CAPA_MAX_PASSWORD);
        capa__refusal_param("user", "%s", who);
        capa__refusal_param("length", "%zu", n);
        capa__refusal_param("min", "%d", MIN_PASSWORD);
        capa__refusal_param("max", "%d", CAPA_MAX_PASSWORD);
        return err;
    }
    return CAPA_OK;
}

/* The roles the store's workflows declare: whether `role` is one, its labels, and all of them
 * as ids ("admin, qe") and, for the refusal's wording, as labels with their ids in zh
 * ("系统管理员“admin”、...") and en ("Administrator (admin), ..."). */
typedef struct role_scan {
    const char *role;
    int found;
    char known[512];
    char known_zh[1024], known_en[1024];
    char label_zh[100], label_en[100];
} role_scan;

#define ROLE_SCAN(role) {(role), 0, "admin", "系统管理员“admin”", "Administrator (admin)", "", ""}

static void append(char *buf, size_t size, const char *s)
{
    strncat(buf, s, size - strlen(buf) - 1);
}

static int role_cb(const capa_workflow *wf, void *payload)
{
    role_scan *rs = payload;
    for (size_t i = 0; i < wf->n_roles; i++) {
        const capa_role *ro = &wf->roles[i];
        const char *r = ro->id;
        const char *zh = ro->label_zh && *ro->label_zh ? ro->label_zh : r;
        const char *en = ro->label_en && *ro->label_en ? ro->label_en : r;
        if (rs->role && strcmp(r, rs->role) == 0 && !rs->label_zh[0]) {
            snprintf(rs->label_zh, sizeof rs->label_zh, "%s", zh);
            snprintf(rs->label_en, sizeof rs->label_en, "%s", en);
        }
        rs->found |= rs->role && strcmp(r, rs->role) == 0;
        char item[80];
        snprintf(item, sizeof item, ", %s,", r);
        char have[520];
        snprintf(have, sizeof have, ", %s,", rs->known);
        if (strcmp(r, "admin") == 0 || strstr(have, item))
            continue;
        char one[300];
        append(rs->known, sizeof rs->known, ", ");
        append(rs->known, sizeof rs->known, r);
        snprintf(one, sizeof one, "、%s“%s”", zh, r);
        append(rs->known_zh, sizeof rs->known_zh, one);
        snprintf(one, sizeof one, ", %s (%s)", en, r);
        append(rs->known_en, sizeof rs->known_en, one);
    }
    return 0;
}

/* The roles' parameters of the refusal just begun: roles (ids), roles_zh, roles_en. */
static void roles_params(const role_scan *rs)
{
    capa__refusal_param("roles", "%s", rs->known);
    capa__refusal_param("roles_zh", "%s", rs->known_zh);
    capa__refusal_param("roles_en", "%s", rs->known_en);
}

int capa_user__make(capa_store *s, MDB_txn *txn, capa_user_rec *out, const char *id,
                    const char *role, const char *name, const char *dept, const char *password,
                    int64_t now)
{
    int err;
    memset(out, 0, sizeof *out);
    if (!id || !valid_id(id))
        return capa__refuse(CAPA_EINVALID, "user.id", "user", id ? id : "",
                            "user id '%.40s': must match [a-z][a-z0-9_.-]{0,31}", id ? id : "");
    if (!name || !*name || strlen(name) > 200) {
        err = capa__refuse(CAPA_EINVALID, "user.name_length", "name", name ? name : "",
                           "user `%s`: name '%.60s' must be 1 to 200 bytes", id, name ? name : "");
        capa__refusal_param("max", "200");
        return err;
    }
    if (dept && strlen(dept) > 200) {
        err = capa__refuse(CAPA_EINVALID, "field.max_bytes", "dept", NULL,
                           "user `%s`: department longer than 200 bytes", id);
        capa__refusal_param("length", "%zu", strlen(dept));
        capa__refusal_param("max", "200");
        return err;
    }
    char what[80];
    snprintf(what, sizeof what, "user `%s`: name", id);
    if ((err = capa__line_check(what, "name", name)))
        return err;
    snprintf(what, sizeof what, "user `%s`: department", id);
    if ((err = capa__line_check(what, "dept", dept)))
        return err;
    if (!role || (strcmp(role, "admin") != 0)) {
        /* A role is known when any of the store's workflows declares it. */
        role_scan rs = ROLE_SCAN(role);
        if ((err = capa_store__workflow_foreach(s, txn, role_cb, &rs)) < 0)
            return err;
        if (!role || !rs.found) {
            err = capa__refuse(CAPA_EINVALID, "user.role_unknown", "role", role ? role : "",
                               "user `%s`: role '%.40s' is not one of %s", id, role ? role : "",
                               rs.known);
            roles_params(&rs);
            return err;
        }
    }
    if ((err = check_password(id, password)) != CAPA_OK)
        return err;
    out->u.id = capa__strdup(id);
    out->u.name = capa__strdup(name);
    out->u.dept = capa__strdup(dept ? dept : "");
    out->u.role = capa__strdup(role);
    out->u.created = now;
    out->log2n = s->opts.kdf_log2n > 0 ? (unsigned)s->opts.kdf_log2n : DEFAULT_LOG2N;
    out->r = 8;
    out->p = 1;
    if (!out->u.id || !out->u.name || !out->u.dept || !out->u.role) {
        capa_user_rec_clear(out);
        return capa_error_set(CAPA_ENOMEM, "user: out of memory");
    }
    if (RAND_bytes(out->salt, 16) != 1) {
        capa_user_rec_clear(out);
        return capa_error_set(CAPA_ERROR, "user: no random bytes for the salt");
    }
    if ((err = kdf(out->hash, password, out->salt, out->log2n, out->r, out->p)) != CAPA_OK)
        capa_user_rec_clear(out);
    return err;
}

/* ---- the credential a write hands to apply ---- */

static int fresh_cred(void *payload, const char *user, const char *digest, capa_user_rec *out)
{
    const capa_user_rec *fresh = payload;
    char have[65];
    if (!fresh || strcmp(fresh->u.id, user) != 0)
        return capa_error_set(CAPA_ERROR, "user `%s`: no credential to store", user);
    if (capa_user__cred_digest(have, fresh))
        return CAPA_ENOMEM;
    if (digest && strcmp(have, digest) != 0)
        return capa_error_set(CAPA_ERROR, "user `%s`: credential digest mismatch", user);
    out->log2n = fresh->log2n, out->r = fresh->r, out->p = fresh->p;
    memcpy(out->salt, fresh->salt, 16);
    memcpy(out->hash, fresh->hash, 32);
    return CAPA_OK;
}

void capa_user__src(capa_apply_src *out, const capa_user_rec *fresh)
{
    memset(out, 0, sizeof *out);
    out->cred = fresh_cred;
    out->payload = (void *)fresh;
}

int capa_user__stored_cred(capa_store *s, MDB_txn *txn, const char *user, const char *digest,
                           capa_user_rec *out)
{
    capa_user_rec u;
    char have[65];
    int err = capa_user__get(s, txn, user, &u);
    if (err)
        return err == CAPA_ENOTFOUND ? CAPA_OK : err;
    if (!(err = capa_user__cred_digest(have, &u)) && (!digest || strcmp(have, digest) == 0)) {
        out->log2n = u.log2n, out->r = u.r, out->p = u.p;
        memcpy(out->salt, u.salt, 16);
        memcpy(out->hash, u.hash, 32);
    }
    capa_user_rec_clear(&u);
    return err;
}

/* ---- authentication ---- */

/*
 * One account's check-and-count is serialised by an open-file-description lock on one byte
 * of <store>/auth.lock chosen by the user id: it holds across threads (each check opens its
 * own descriptor) and processes, and the kernel drops it when a process dies.
 */
static int account_lock(capa_store *s, const char *user)
{
    char path[4096];
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)user; *p; p++)
        h = (h ^ *p) * 16777619u;
    if (s->opts.read_only)
        return -1;
    snprintf(path, sizeof path, "%s/auth.lock", s->dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
        return -1;
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = h % 65521, .l_len = 1};
    while (fcntl(fd, F_OFD_SETLKW, &fl) != 0) {
        if (errno != EINTR) {
            close(fd);
            return -1;
        }
    }
    return fd;
}

static void account_unlock(int fd)
{
    if (fd >= 0)
        close(fd); /* closing the last descriptor releases an OFD lock */
}

typedef struct fail_arg {
    const char *user; /* as given */
    int known;
    unsigned char hash[32];
    const char *why;
    int locked_now, refused;
} fail_arg;

static int record_failure(capa_wtxn *t, void *arg)
{
    fail_arg *a = arg;
    capa_user_rec u;
    capa_event_rec e;
    char before[16], after[16], hex[65];
    int valid = valid_id(a->user);
    a->locked_now = 0;
    if (!a->known) {
        /* An unknown account: audited, answered like a wrong password, changes nothing. */
        capa_event__init(&e, valid ? a->user : "?", "login_failed", NULL, NULL, a->why);
        if (valid) {
            capa_event__fact(&e, "user", a->user);
        } else {
            size_t n = strlen(a->user) > 32 ? 32 : strlen(a->user);
            capa__hex(hex, (const unsigned char *)a->user, n);
            capa_event__fact(&e, "user_hex", hex);
        }
        capa_event__fact(&e, "unknown", "1");
        int err = capa_event__commit(t, &e, NULL);
        capa_event__clear(&e);
        return err;
    }
    int err = capa_user__get(t->s, t->txn, a->user, &u);
    if (err)
        return err;
    if (u.u.locked || u.u.disabled) {
        /* An attempt on a locked or disabled account: refused unchecked, still audited. */
        a->refused = 1;
        capa_event__init(&e, a->user, "login_locked", NULL, NULL,
                         u.u.disabled ? "account disabled" : "account locked");
        capa_event__fact(&e, "user", a->user);
    } else if (memcmp(u.hash, a->hash, 32) != 0) {
        /* The password changed meanwhile: this attempt is moot, but still on record. */
        capa_event__init(&e, a->user, "login_locked", NULL, NULL, "password changed meanwhile");
        capa_event__fact(&e, "user", a->user);
    } else {
        snprintf(before, sizeof before, "%d", u.u.failed);
        snprintf(after, sizeof after, "%d", u.u.failed + 1);
        a->locked_now = u.u.failed + 1 >= CAPA_MAX_FAILED_LOGINS;
        capa_event__init(&e, a->user, a->locked_now ? "lock" : "login_failed", NULL, NULL, a->why);
        capa_event__change(&e, "failed_logins", before, after);
        if (a->locked_now)
            capa_event__change(&e, "locked", "false", "true");
        capa_event__fact(&e, "user", a->user);
        capa_event__fact(&e, "failed", after);
    }
    err = capa_event__commit(t, &e, NULL);
    capa_event__clear(&e);
    capa_user_rec_clear(&u);
    return err;
}

/* ---- passwords this handle already checked ---- */

/*
 * The memo's tag of a password against a stored credential: HMAC-SHA-256, under a key drawn
 * at random for this store handle (never stored), of the user id, the stored credential
 * (cost parameters, salt, hash) and the password. Only a password whose scrypt result
 * matched the stored hash is put in; a tag matches only that password against that same
 * stored credential, so a changed password, salt or cost, another account, or a wrong guess
 * misses and is checked - and counted - the slow way.
 */
static int memo_tag(unsigned char tag[32], const unsigned char key[32], const capa_user_rec *u,
                    const char *password)
{
    capa_buf b = {0};
    unsigned int len = 0;
    capa_buf_str(&b, "capa-auth-memo-v1");
    capa_buf_str(&b, u->u.id);
    capa_buf_u8(&b, u->log2n);
    capa_buf_u8(&b, u->r);
    capa_buf_u8(&b, u->p);
    capa_buf_bytes(&b, u->salt, 16);
    capa_buf_bytes(&b, u->hash, 32);
    capa_buf_str(&b, password);
    int ok = !b.oom && HMAC(EVP_sha256(), key, 32, b.p, b.len, tag, &len) && len == 32;
    if (b.p)
        OPENSSL_cleanse(b.p, b.len);
    capa_buf_free(&b);
    return ok;
}

/* The memo's slot of `user`, or -1. Called with the memo locked. */
static int memo_slot(const struct capa_auth_memo *m, const char *user)
{
    for (int i = 0; i < CAPA_AUTH_MEMO; i++)
        if (m->e[i].user[0] && strcmp(m->e[i].user, user) == 0)
            return i;
    return -1;
}

/* Remember that `password` is right for u's stored credential. */
static void memo_put(capa_store *s, const capa_user_rec *u, const char *password)
{
    struct capa_auth_memo *m = &s->auth_memo;
    unsigned char tag[32];
    if (strlen(u->u.id) >= sizeof m->e[0].user)
        return;
    pthread_mutex_lock(&m->lock);
    if (!m->keyed)
        m->keyed = RAND_bytes(m->key, sizeof m->key) == 1;
    if (m->keyed && memo_tag(tag, m->key, u, password)) {
        int i = memo_slot(m, u->u.id);
        if (i < 0) {
            i = (int)(m->next++ % CAPA_AUTH_MEMO);
            snprintf(m->e[i].user, sizeof m->e[i].user, "%s", u->u.id);
        }
        memcpy(m->e[i].tag, tag, 32);
    }
    pthread_mutex_unlock(&m->lock);
}

/*
 * The fast answer of capa_auth__check: CAPA_OK with *out the user's record when `who`'s
 * password is the one this handle checked against the credential stored now and the account
 * is neither locked nor disabled; CAPA_ENOTFOUND when the slow check must decide (no memo,
 * a changed credential, another password, a locked, disabled or unknown account).
 */
static int memo_check(capa_store *s, const capa_actor *who, capa_user_rec *out)
{
    struct capa_auth_memo *m = &s->auth_memo;
    unsigned char want[32], have[32];
    MDB_txn *txn = NULL;
    int found = 0;
    pthread_mutex_lock(&m->lock);
    int i = m->keyed ? memo_slot(m, who->user) : -1;
    if (i >= 0)
        memcpy(want, m->e[i].tag, 32);
    pthread_mutex_unlock(&m->lock);
    if (i < 0)
        return CAPA_ENOTFOUND;
    int err = capa_store__read_begin(s, &txn);
    if (err)
        return err;
    if ((err = capa_store__require_init(s, txn)) == CAPA_OK)
        err = capa_user__get(s, txn, who->user, out);
    capa_store__read_end(s, txn);
    if (err)
        return err == CAPA_ENOTFOUND ? CAPA_ENOTFOUND : err;
    found = !out->u.locked && !out->u.disabled && out->log2n &&
            memo_tag(have, m->key, out, who->password) && CRYPTO_memcmp(have, want, 32) == 0;
    if (found)
        return CAPA_OK;
    capa_user_rec_clear(out);
    return CAPA_ENOTFOUND;
}

/* A fixed salt for the work done on behalf of unknown users (timing like a real check). */
static const unsigned char dummy_salt[16] = "capa-no-such-us";

int capa_auth__check(capa_store *s, const capa_actor *who, capa_user_rec *out)
{
    MDB_txn *txn = NULL;
    unsigned char h[32];
    int fd = -1, known = 0;
    memset(out, 0, sizeof *out);
    if (!who || !who->user || !*who->user)
        return capa__refuse(CAPA_EAUTH, "auth.user_missing", "user", "",
                            "--as: no acting user given");
    if (!who->password)
        return capa__refuse(CAPA_EAUTH, "auth.password_missing", "password", "",
                            "user `%.40s`: no password given", who->user);
    size_t plen = strlen(who->password);
    /* A password this handle already checked against the credential stored now: no key
     * derivation and no account lock (a success counts nothing). Anything else - a first
     * use, a changed credential, a wrong guess - takes the counted check below. */
    int err = plen <= CAPA_MAX_PASSWORD ? memo_check(s, who, out) : CAPA_ENOTFOUND;
    if (err != CAPA_ENOTFOUND)
        return err;
    fd = account_lock(s, who->user);
    err = capa_store__read_begin(s, &txn);
    if (err)
        goto fail;
    if ((err = capa_store__require_init(s, txn)) == CAPA_OK)
        err = capa_user__get(s, txn, who->user, out);
    capa_store__read_end(s, txn);
    if (err == CAPA_OK)
        known = 1;
    else if (err != CAPA_ENOTFOUND)
        goto fail;
    if (known && (out->u.locked || out->u.disabled)) {
        fail_arg a = {.user = who->user, .known = 1, .why = "account locked"};
        memcpy(a.hash, out->hash, 32);
        int disabled = out->u.disabled;
        if ((err = capa_store__write(s, NULL, record_failure, &a)) == CAPA_OK && disabled)
            err = capa_error_set(CAPA_EDENIED,
                                 "user `%s`: account disabled; an admin must enable it "
                                 "(capa user enable)",
                                 who->user);
        else if (err == CAPA_OK)
            err = capa_error_set(CAPA_ELOCKED,
                                 "user `%s`: account locked after %d wrong passwords; an admin "
                                 "must unlock it (capa user unlock)",
                                 who->user, out->u.failed);
        if (err == CAPA_EDENIED || err == CAPA_ELOCKED)
            auth_refusal(err, disabled ? "auth.disabled" : "auth.locked", who->user,
                         disabled ? 0 : CAPA_MAX_FAILED_LOGINS);
        goto fail;
    }
    /* Over-long passwords are refused before hashing, but count as a wrong guess. */
    int ok = 0;
    if (plen <= CAPA_MAX_PASSWORD) {
        if (known)
            err = kdf(h, who->password, out->salt, out->log2n ? out->log2n : DEFAULT_LOG2N,
                      out->r ? out->r : 8, out->p ? out->p : 1);
        else
            err = kdf(h, who->password, dummy_salt,
                      s->opts.kdf_log2n > 0 ? (unsigned)s->opts.kdf_log2n : DEFAULT_LOG2N, 8, 1);
        if (err)
            goto fail;
        ok = known && out->log2n && CRYPTO_memcmp(h, out->hash, 32) == 0;
    }
    if (ok) {
        account_unlock(fd);
        memo_put(s, out, who->password);
        return CAPA_OK;
    }
    fail_arg a = {.user = who->user,
                  .known = known,
                  .why = plen > CAPA_MAX_PASSWORD ? "password too long" : "wrong password"};
    if (known)
        memcpy(a.hash, out->hash, 32);
    if ((err = capa_store__write(s, NULL, record_failure, &a)) != CAPA_OK)
        goto fail;
    if (a.locked_now) {
        err = capa_error_set(CAPA_ELOCKED,
                             "user `%s`: wrong password; account now locked after %d wrong "
                             "passwords",
                             who->user, CAPA_MAX_FAILED_LOGINS);
        auth_refusal(err, "auth.locked_now", who->user, CAPA_MAX_FAILED_LOGINS);
    } else if (a.refused) {
        err = capa_error_set(CAPA_ELOCKED,
                             "user `%s`: account locked after %d wrong passwords; an admin "
                             "must unlock it (capa user unlock)",
                             who->user, CAPA_MAX_FAILED_LOGINS);
        auth_refusal(err, "auth.locked", who->user, CAPA_MAX_FAILED_LOGINS);
    } else if (plen > CAPA_MAX_PASSWORD) {
        err = capa_error_set(CAPA_EAUTH,
                             "user `%.40s`: wrong password (a password has at most %d bytes)",
                             who->user, CAPA_MAX_PASSWORD);
        auth_refusal(err, "auth.password", who->user, 0);
    } else {
        err = capa_error_set(CAPA_EAUTH, "user `%.40s`: wrong password", who->user);
        auth_refusal(err, "auth.password", who->user, 0);
    }
fail:
    account_unlock(fd);
    capa_user_rec_clear(out);
    return err;
}

typedef struct mutate_arg {
    capa_user_rec *checked;
    capa_write_fn fn;
    void *arg;
} mutate_arg;

static int run_authenticated(capa_wtxn *t, void *arg)
{
    mutate_arg *m = arg;
    capa_user_rec now;
    int err = capa_user__get(t->s, t->txn, m->checked->u.id, &now);
    if (err == CAPA_ENOTFOUND)
        return capa__refuse(CAPA_EAUTH, "auth.session", "user", m->checked->u.id,
                            "user `%s`: removed meanwhile", m->checked->u.id);
    if (err)
        return err;
    /* The role too: a session's binding rests on it, and authority follows it. */
    if (now.u.locked || now.u.disabled || memcmp(now.hash, m->checked->hash, 32) != 0 ||
        strcmp(now.u.role, m->checked->u.role) != 0) {
        capa_user_rec_clear(&now);
        return capa__refuse(CAPA_EAUTH, "auth.session", "user", m->checked->u.id,
                            "user `%s`: account changed while signing in; try again",
                            m->checked->u.id);
    }
    /* The event the operation commits carries "auth": applying it ends a run of failures. */
    t->actor = &now;
    err = m->fn(t, m->arg);
    t->actor = m->checked;
    capa_user_rec_clear(&now);
    return err;
}

/* fn in one write transaction as `u`, checked already and re-checked inside; u cleared. */
static int mutate_as(capa_store *s, capa_user_rec *u, capa_write_fn fn, void *arg)
{
    mutate_arg m = {u, fn, arg};
    int err = capa_store__write(s, u, run_authenticated, &m);
    capa_user_rec_clear(u);
    return err;
}

int capa_store__mutate(capa_store *s, const capa_actor *who, capa_write_fn fn, void *arg)
{
    capa_user_rec u;
    int err = capa_auth__check(s, who, &u);
    return err ? err : mutate_as(s, &u, fn, arg);
}

int capa_store__mutate_bound(capa_store *s, const char *user, const char *binding,
                             capa_write_fn fn, void *arg)
{
    capa_user_rec u;
    int err = capa_auth__check_binding(s, user, binding, &u);
    /* Inside the transaction the record is re-read as after a password: same credential,
     * same role, not locked. */
    return err ? err : mutate_as(s, &u, fn, arg);
}

int capa_store__run_as(capa_wtxn *t, capa_user_rec *checked, capa_write_fn fn, void *arg)
{
    mutate_arg m = {checked, fn, arg};
    return run_authenticated(t, &m);
}

int capa_user_authenticate(capa_store *s, const capa_actor *who)
{
    capa_user_rec u;
    int err = capa_auth__check(s, who, &u);
    if (!err)
        capa_user_rec_clear(&u);
    return err;
}

/* ---- sign-in bindings ---- */

/* HMAC-SHA-256 keyed by the stored scrypt hash over what a session rests on. The key never
 * leaves the users database (events carry only the credential's digest), so whoever reads
 * the trail cannot make a binding; `failed` is left out, so wrong guesses by someone else
 * do not end a session (the lock they cause does). */
static int binding_of(char hex[CAPA_BINDING_SIZE], const capa_user_rec *u)
{
    capa_buf b = {0};
    unsigned char mac[32];
    unsigned int len = 0;
    capa_buf_str(&b, "capa-session-binding-v1");
    capa_buf_str(&b, u->u.id);
    capa_buf_str(&b, u->u.role ? u->u.role : "");
    capa_buf_u8(&b, (u->u.locked ? 1 : 0) | (u->u.disabled ? 2 : 0));
    capa_buf_u8(&b, u->log2n);
    capa_buf_u8(&b, u->r);
    capa_buf_u8(&b, u->p);
    capa_buf_bytes(&b, u->salt, 16);
    int ok = !b.oom && HMAC(EVP_sha256(), u->hash, 32, b.p, b.len, mac, &len) && len == 32;
    capa_buf_free(&b);
    hex[0] = '\0';
    if (!ok)
        return capa_error_set(CAPA_ENOMEM, "user `%s`: sign-in binding: out of memory",
                              u->u.id);
    capa__hex(hex, mac, 32);
    return CAPA_OK;
}

int capa_user_sign_in(char out[CAPA_BINDING_SIZE], capa_store *s, const capa_actor *who)
{
    capa_user_rec u;
    out[0] = '\0';
    int err = capa_auth__check(s, who, &u);
    if (err)
        return err;
    err = binding_of(out, &u);
    capa_user_rec_clear(&u);
    return err;
}

int capa_auth__check_binding(capa_store *s, const char *user, const char *binding,
                             capa_user_rec *out)
{
    MDB_txn *txn = NULL;
    char have[CAPA_BINDING_SIZE];
    memset(out, 0, sizeof *out);
    if (!user || !*user)
        return capa__refuse(CAPA_EAUTH, "auth.session", "user", "", "session: no user given");
    if (!binding || strlen(binding) != CAPA_BINDING_SIZE - 1)
        return capa__refuse(CAPA_EAUTH, "auth.session", "user", user,
                            "user `%.40s`: no sign-in binding given", user);
    int err = capa_store__read_begin(s, &txn);
    if (err)
        return err;
    if ((err = capa_store__require_init(s, txn)) == CAPA_OK)
        err = capa_user__get(s, txn, user, out);
    capa_store__read_end(s, txn);
    if (err == CAPA_ENOTFOUND) {
        err = capa_error_set(CAPA_EAUTH, "user `%.40s`: no such user: sign in again", user);
        auth_refusal(err, "auth.session", user, 0);
        return err;
    }
    if (err)
        return err;
    if (out->u.locked) {
        err = capa_error_set(CAPA_ELOCKED,
                             "user `%s`: account locked since signing in: the session has ended",
                             user);
        auth_refusal(err, "auth.locked", user, 0);
    } else if (out->u.disabled) {
        err = capa_error_set(CAPA_EDENIED,
                             "user `%s`: account disabled since signing in: the session has ended",
                             user);
        auth_refusal(err, "auth.disabled", user, 0);
    } else if ((err = binding_of(have, out)) == CAPA_OK &&
               CRYPTO_memcmp(have, binding, CAPA_BINDING_SIZE - 1) != 0) {
        err = capa_error_set(CAPA_EAUTH,
                             "user `%s`: password or role changed since signing in: the "
                             "session has ended; sign in again",
                             user);
        auth_refusal(err, "auth.session", user, 0);
    }
    if (err)
        capa_user_rec_clear(out);
    return err;
}

int capa_user_binding_check(capa_store *s, const char *user, const char *binding)
{
    capa_user_rec u;
    int err = capa_auth__check_binding(s, user, binding, &u);
    if (!err)
        capa_user_rec_clear(&u);
    return err;
}

/* ---- admin operations ---- */

int capa__require_admin(capa_wtxn *t, const char *what)
{
    if (strcmp(t->actor->u.role, "admin") != 0) {
        int err = capa_error_set(CAPA_EDENIED, "%s: user `%s` has role %s; only admin may",
                                 what, t->actor->u.id, t->actor->u.role);
        capa__refusal_begin(err, what, NULL, NULL);
        capa__refusal_add("admin.role", NULL, NULL, NULL);
        capa__refusal_param("role", "%s", t->actor->u.role);
        capa__refusal_param("roles", "admin");
        return err;
    }
    return CAPA_OK;
}

/* The event of a new or changed credential: profile facts, the credential's digest. */
static int commit_user(capa_wtxn *t, const char *actor, const char *action, const capa_user_rec *u,
                       int with_profile, int authed)
{
    capa_event_rec e;
    capa_apply_src src;
    char digest[65];
    if (capa_user__cred_digest(digest, u))
        return CAPA_ENOMEM;
    capa_event__init(&e, actor, action, NULL, NULL, NULL);
    if (with_profile) {
        capa_event__change(&e, "id", NULL, u->u.id);
        capa_event__change(&e, "name", NULL, u->u.name);
        capa_event__change(&e, "dept", NULL, u->u.dept);
        capa_event__change(&e, "role", NULL, u->u.role);
        capa_event__fact(&e, "name", u->u.name);
        capa_event__fact(&e, "dept", u->u.dept);
        capa_event__fact(&e, "role", u->u.role);
    } else {
        capa_event__change(&e, "password", "(hash)", "(new hash)");
    }
    capa_event__fact(&e, "user", u->u.id);
    capa_event__fact(&e, "cred", digest);
    if (authed)
        capa_event__fact(&e, "auth", "1");
    capa_user__src(&src, u);
    int err = capa_event__commit(t, &e, &src);
    capa_event__clear(&e);
    return err;
}

int capa_user__commit_add(capa_wtxn *t, const char *actor, const capa_user_rec *u, int authed)
{
    return commit_user(t, actor, "user_add", u, 1, authed);
}

typedef struct add_arg {
    const char *id, *role, *name, *dept, *password;
} add_arg;

static int do_user_add(capa_wtxn *t, void *arg)
{
    add_arg *a = arg;
    capa_user_rec u, existing;
    int err = capa__require_admin(t, "user add");
    if (err)
        return err;
    if (a->id && capa_user__get(t->s, t->txn, a->id, &existing) == CAPA_OK) {
        capa_user_rec_clear(&existing);
        return capa__refuse(CAPA_EEXISTS, "user.exists", "user", a->id, "user `%s`: already exists",
                            a->id);
    }
    if ((err = capa_user__make(t->s, t->txn, &u, a->id, a->role, a->name, a->dept, a->password,
                               t->now)) != CAPA_OK)
        return err;
    err = commit_user(t, t->actor->u.id, "user_add", &u, 1, 1);
    capa_user_rec_clear(&u);
    return err;
}

int capa_user_add(capa_store *s, const capa_actor *who, const char *id, const char *role,
                  const char *name, const char *dept, const char *password)
{
    add_arg a = {id, role, name, dept, password};
    return capa_store__mutate(s, who, do_user_add, &a);
}

typedef struct passwd_arg {
    const char *id, *password;
} passwd_arg;

static int do_passwd(capa_wtxn *t, void *arg)
{
    passwd_arg *a = arg;
    capa_user_rec u, fresh;
    int self = strcmp(t->actor->u.id, a->id) == 0;
    int err = self ? CAPA_OK : capa__require_admin(t, "passwd");
    if (err)
        return err;
    if ((err = capa_user__get(t->s, t->txn, a->id, &u)) == CAPA_ENOTFOUND)
        return capa__refuse(CAPA_ENOTFOUND, "user.not_found", "user", a->id,
                            "user `%.40s`: no such user", a->id);
    if (err)
        return err;
    err = capa_user__make(t->s, t->txn, &fresh, u.u.id, u.u.role, u.u.name, u.u.dept, a->password,
                          u.u.created);
    if (!err) {
        err = commit_user(t, t->actor->u.id, "passwd", &fresh, 0, 1);
        capa_user_rec_clear(&fresh);
    }
    capa_user_rec_clear(&u);
    return err;
}

int capa_user_passwd(capa_store *s, const capa_actor *who, const char *id, const char *new_password)
{
    passwd_arg a = {id, new_password};
    if (!id)
        return capa__refuse(CAPA_EINVALID, "user.missing", "user", "", "passwd: no user given");
    return capa_store__mutate(s, who, do_passwd, &a);
}

typedef struct unlock_arg {
    const char *id;
    const char *os_user; /* local recovery: the operating-system user; else NULL */
} unlock_arg;

static int do_unlock(capa_wtxn *t, void *arg)
{
    unlock_arg *a = arg;
    capa_user_rec u;
    capa_event_rec e;
    int err = a->os_user ? capa_store__require_init(t->s, t->txn) : capa__require_admin(t, "user unlock");
    if (err)
        return err;
    if ((err = capa_user__get(t->s, t->txn, a->id, &u)) == CAPA_ENOTFOUND)
        return capa__refuse(CAPA_ENOTFOUND, "user.not_found", "user", a->id,
                            "user `%.40s`: no such user", a->id);
    if (err)
        return err;
    char before[16];
    snprintf(before, sizeof before, "%d", u.u.failed);
    capa_event__init(&e, a->os_user ? a->os_user : t->actor->u.id,
                     a->os_user ? "unlock_local" : "unlock", NULL, NULL,
                     a->os_user ? "local recovery by the owner of the database directory" : NULL);
    capa_event__change(&e, "locked", u.u.locked ? "true" : "false", "false");
    capa_event__change(&e, "failed_logins", before, "0");
    capa_event__fact(&e, "user", u.u.id);
    if (!a->os_user)
        capa_event__fact(&e, "auth", "1");
    err = capa_event__commit(t, &e, NULL);
    capa_event__clear(&e);
    capa_user_rec_clear(&u);
    return err;
}

int capa_user_unlock(capa_store *s, const capa_actor *who, const char *id)
{
    unlock_arg a = {id, NULL};
    if (!id)
        return capa__refuse(CAPA_EINVALID, "user.missing", "user", "", "unlock: no user given");
    return capa_store__mutate(s, who, do_unlock, &a);
}

int capa_user_unlock_local(capa_store *s, const char *id)
{
    char os_user[80];
    if (!id)
        return capa__refuse(CAPA_EINVALID, "user.missing", "user", "", "unlock: no user given");
    int err = capa_store__os_actor(s, os_user, sizeof os_user, "user unlock --local");
    if (err)
        return err;
    unlock_arg a = {id, os_user};
    return capa_store__write(s, NULL, do_unlock, &a);
}

typedef struct role_arg {
    const char *id, *role;
    int disable; /* user_disable / user_enable: 1 / 0; -1 for a role change */
} role_arg;

/* A role change or a disable/enable: the account's sign-in binding changes with either, so
 * every session of the user ends at its next request. An admin cannot do either to their own
 * account, so the actor - an active admin - always remains one: no change here can leave the
 * store without an admin. */
static int do_user_change(capa_wtxn *t, void *arg)
{
    role_arg *a = arg;
    capa_user_rec u;
    capa_event_rec e;
    int role = a->disable < 0;
    const char *what = role ? "user role" : a->disable ? "user disable" : "user enable";
    int err = capa__require_admin(t, what);
    if (err)
        return err;
    if ((err = capa_user__get(t->s, t->txn, a->id, &u)) == CAPA_ENOTFOUND)
        return capa__refuse(CAPA_ENOTFOUND, "user.not_found", "user", a->id,
                            "user `%.40s`: no such user", a->id);
    if (err)
        return err;
    if (strcmp(u.u.id, t->actor->u.id) == 0) {
        err = capa__refuse(CAPA_EDENIED, role ? "user.self_role" : "user.self_disable", "user",
                           u.u.id, "%s %s: an admin cannot %s their own account", what, u.u.id,
                           role ? "change the role of" : "disable or enable");
        goto done;
    }
    if (role) {
        /* The same check as `user add`: admin, or a role of an installed workflow. */
        if (a->role && strcmp(a->role, u.u.role) == 0) {
            role_scan rs = ROLE_SCAN(a->role);
            if ((err = capa_store__workflow_foreach(t->s, t->txn, role_cb, &rs)) < 0)
                goto done;
            err = capa__refuse(CAPA_EINVALID, "user.role_same", "role", a->role,
                               "user `%s`: role: already '%s'", u.u.id, a->role);
            capa__refusal_param("user", "%s", u.u.id);
            capa__refusal_param("role", "%s", a->role);
            if (rs.label_zh[0]) {
                capa__refusal_param("role_zh", "%s", rs.label_zh);
                capa__refusal_param("role_en", "%s", rs.label_en);
            }
            goto done;
        }
        if (a->role && strcmp(a->role, "admin") != 0) {
            role_scan rs = ROLE_SCAN(a->role);
            if ((err = capa_store__workflow_foreach(t->s, t->txn, role_cb, &rs)) < 0)
                goto done;
            err = CAPA_OK;
            if (!rs.found) {
                err = capa__refuse(CAPA_EINVALID, "user.role_unknown", "role", a->role,
                                   "user `%s`: role '%.40s' is not one of %s", u.u.id, a->role,
                                   rs.known);
                roles_params(&rs);
                goto done;
            }
        } else if (!a->role || !*a->role) {
            err = capa__refuse(CAPA_EINVALID, "user.role_missing", "role", "",
                               "user `%s`: role: none given", u.u.id);
            goto done;
        }
    } else if (!!u.u.disabled == !!a->disable) {
        err = capa__refuse(
            CAPA_ESTATE, a->disable ? "user.already_disabled" : "user.already_enabled", "user",
            u.u.id, "user `%s`: already %s", u.u.id, a->disable ? "disabled" : "enabled");
        goto done;
    }
    if (role) {
        capa_event__init(&e, t->actor->u.id, "role", NULL, NULL, NULL);
        capa_event__change(&e, "role", u.u.role, a->role);
        capa_event__fact(&e, "role", a->role);
    } else {
        capa_event__init(&e, t->actor->u.id, a->disable ? "user_disable" : "user_enable", NULL,
                         NULL, NULL);
        capa_event__change(&e, "disabled", a->disable ? "false" : "true",
                           a->disable ? "true" : "false");
    }
    capa_event__fact(&e, "user", u.u.id);
    capa_event__fact(&e, "auth", "1");
    err = capa_event__commit(t, &e, NULL);
    capa_event__clear(&e);
done:
    capa_user_rec_clear(&u);
    return err;
}

int capa_user_set_role(capa_store *s, const capa_actor *who, const char *id, const char *role)
{
    role_arg a = {id, role, -1};
    if (!id)
        return capa__refuse(CAPA_EINVALID, "user.missing", "user", "", "user role: no user given");
    return capa_store__mutate(s, who, do_user_change, &a);
}

int capa_user_disable(capa_store *s, const capa_actor *who, const char *id, int disabled)
{
    role_arg a = {id, NULL, disabled ? 1 : 0};
    if (!id)
        return capa__refuse(CAPA_EINVALID, "user.missing", "user", "", "user %s: no user given",
                            disabled ? "disable" : "enable");
    return capa_store__mutate(s, who, do_user_change, &a);
}

/* ---- reading ---- */

static int copy_user(capa_user **out, const capa_user *u)
{
    capa_user *c = capa__calloc(1, sizeof *c);
    if (!c)
        return capa_error_set(CAPA_ENOMEM, "user: out of memory");
    *c = *u;
    c->id = capa__strdup(u->id);
    c->name = capa__strdup(u->name ? u->name : "");
    c->dept = capa__strdup(u->dept ? u->dept : "");
    c->role = capa__strdup(u->role);
    if (!c->id || !c->name || !c->dept || !c->role) {
        capa_user_free(c);
        return capa_error_set(CAPA_ENOMEM, "user: out of memory");
    }
    *out = c;
    return CAPA_OK;
}

int capa_user_get(capa_user **out, capa_store *s, const char *id)
{
    MDB_txn *txn = NULL;
    capa_user_rec u;
    *out = NULL;
    int err = capa_store__read_begin(s, &txn);
    if (err)
        return err;
    if ((err = capa_store__require_init(s, txn)) == CAPA_OK)
        err = capa_user__get(s, txn, id, &u);
    capa_store__read_end(s, txn);
    if (err == CAPA_ENOTFOUND)
        return capa__refuse(CAPA_ENOTFOUND, "user.not_found", "user", id,
                            "user `%.40s`: no such user", id);
    if (err)
        return err;
    err = copy_user(out, &u.u);
    capa_user_rec_clear(&u);
    return err;
}

void capa_user_free(capa_user *u)
{
    if (!u)
        return;
    capa__free(u->id);
    capa__free(u->name);
    capa__free(u->dept);
    capa__free(u->role);
    capa__free(u);
}

int capa_user_foreach(capa_store *s, int (*cb)(const capa_user *u, void *payload), void *payload)
{
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    int stop = 0;
    int err = capa_store__read_begin(s, &txn);
    if (err)
        return err;
    if ((err = capa_store__require_init(s, txn)) != CAPA_OK)
        goto done;
    int rc = mdb_cursor_open(txn, s->dbi[DB_USERS], &cur);
    MDB_val k, v;
    rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    while (rc == MDB_SUCCESS && !stop) {
        capa_user_rec u;
        if ((err = capa_user__decode(&u, v.mv_data, v.mv_size)) != CAPA_OK)
            goto done;
        stop = cb(&u.u, payload);
        capa_user_rec_clear(&u);
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    if (rc && rc != MDB_NOTFOUND)
        err = capa_store__mdb_err(rc, "users");
done:
    if (cur)
        mdb_cursor_close(cur);
    capa_store__read_end(s, txn);
    return err ? err : stop;
}
