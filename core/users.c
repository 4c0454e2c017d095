/*
 * users.c - users, roles, scrypt password hashes, lockout after repeated wrong passwords.
 *
 * Passwords are hashed with scrypt (OpenSSL EVP_PBE_scrypt; N = 2^15, r = 8, p = 1 by
 * default: 32 MiB, memory-hard). The parameters are stored with each hash, so raising the
 * cost later leaves existing users able to sign in.
 */
#include "users.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <regex.h>
#include <string.h>

#include "audit.h"
#include "codec.h"

#define USER_VERSION 1
#define DEFAULT_LOG2N 15
#define MIN_PASSWORD 8
#define MAX_PASSWORD 1024

void capa_user_rec_clear(capa_user_rec *r)
{
    capa__free(r->u.id);
    capa__free(r->u.name);
    capa__free(r->u.dept);
    capa__free(r->u.role);
    OPENSSL_cleanse(r, sizeof *r);
}

int capa_user__decode(capa_user_rec *out, const void *data, size_t len)
{
    capa_rd r;
    memset(out, 0, sizeof *out);
    capa_rd_init(&r, data, len);
    unsigned ver = capa_rd_u8(&r);
    if (!r.err && ver != USER_VERSION)
        r.err = CAPA_ECORRUPT;
    out->u.id = capa_rd_str(&r);
    out->u.name = capa_rd_str(&r);
    out->u.dept = capa_rd_str(&r);
    out->u.role = capa_rd_str(&r);
    out->u.locked = (int)capa_rd_u8(&r);
    out->u.failed = (int)capa_rd_varint(&r);
    out->u.created = capa_rd_i64(&r);
    out->log2n = capa_rd_u8(&r);
    out->r = capa_rd_u8(&r);
    out->p = capa_rd_u8(&r);
    capa_rd_bytes(&r, out->salt, 16);
    capa_rd_bytes(&r, out->hash, 32);
    if (!r.err && (!out->u.id || !out->u.role || out->log2n < 1 || out->log2n > 24))
        r.err = CAPA_ECORRUPT;
    if (!capa_rd_done(&r)) {
        int code = r.err == CAPA_ENOMEM ? CAPA_ENOMEM : CAPA_ECORRUPT;
        capa_user_rec_clear(out);
        return capa_error_set(code, "user record: %s",
                              code == CAPA_ENOMEM ? "out of memory" : "malformed");
    }
    return CAPA_OK;
}

int capa_user__get(capa_store *s, MDB_txn *txn, const char *id, capa_user_rec *out)
{
    MDB_val v;
    memset(out, 0, sizeof *out);
    int err = capa_store__get(txn, s->dbi[DB_USERS], id, strlen(id), &v);
    if (err)
        return err;
    return capa_user__decode(out, v.mv_data, v.mv_size);
}

int capa_user__put(capa_store *s, MDB_txn *txn, const capa_user_rec *u)
{
    capa_buf b = {0};
    capa_buf_u8(&b, USER_VERSION);
    capa_buf_str(&b, u->u.id);
    capa_buf_str(&b, u->u.name);
    capa_buf_str(&b, u->u.dept);
    capa_buf_str(&b, u->u.role);
    capa_buf_u8(&b, u->u.locked ? 1 : 0);
    capa_buf_varint(&b, (uint64_t)u->u.failed);
    capa_buf_i64(&b, u->u.created);
    capa_buf_u8(&b, u->log2n);
    capa_buf_u8(&b, u->r);
    capa_buf_u8(&b, u->p);
    capa_buf_bytes(&b, u->salt, 16);
    capa_buf_bytes(&b, u->hash, 32);
    int err = b.oom ? capa_error_set(CAPA_ENOMEM, "user record: out of memory")
                    : capa_store__put(txn, s->dbi[DB_USERS], u->u.id, strlen(u->u.id), b.p,
                                      b.len, 0);
    capa_buf_free(&b);
    return err;
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
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
              c == '-'))
            return 0;
    }
    return 1;
}

static int check_password(const char *who, const char *password)
{
    size_t n = password ? strlen(password) : 0;
    if (n < MIN_PASSWORD || n > MAX_PASSWORD)
        return capa_error_set(CAPA_EINVALID,
                              "password of `%s`: %zu characters; a password needs %d to %d",
                              who, n, MIN_PASSWORD, MAX_PASSWORD);
    return CAPA_OK;
}

int capa_user__make(capa_store *s, MDB_txn *txn, capa_user_rec *out, const char *id,
                    const char *role, const char *name, const char *dept, const char *password,
                    int64_t now)
{
    int err;
    memset(out, 0, sizeof *out);
    if (!id || !valid_id(id))
        return capa_error_set(CAPA_EINVALID,
                              "user id '%.40s': must match [a-z][a-z0-9_.-]{0,31}",
                              id ? id : "");
    if (!name || !*name || strlen(name) > 200)
        return capa_error_set(CAPA_EINVALID,
                              "user `%s`: name '%.60s' must be 1 to 200 bytes", id,
                              name ? name : "");
    if (dept && strlen(dept) > 200)
        return capa_error_set(CAPA_EINVALID, "user `%s`: department longer than 200 bytes", id);
    if (!role || (strcmp(role, "admin") != 0)) {
        const capa_workflow *wf = NULL;
        if ((err = capa_store__workflow(&wf, s, txn)) != CAPA_OK)
            return err;
        if (!role || !capa_workflow_role(wf, role)) {
            char known[512] = "admin";
            for (size_t i = 0; i < wf->n_roles; i++) {
                if (strcmp(wf->roles[i].id, "admin") == 0)
                    continue;
                strncat(known, ", ", sizeof known - strlen(known) - 1);
                strncat(known, wf->roles[i].id, sizeof known - strlen(known) - 1);
            }
            return capa_error_set(CAPA_EINVALID, "user `%s`: role '%.40s' is not one of %s", id,
                                  role ? role : "", known);
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

/* ---- authentication ---- */

typedef struct fail_arg {
    const char *user;
    unsigned char hash[32];
    int locked_now;
} fail_arg;

static int record_failure(capa_wtxn *t, void *arg)
{
    fail_arg *a = arg;
    capa_user_rec u;
    int err = capa_user__get(t->s, t->txn, a->user, &u);
    if (err)
        return err;
    /* Count only against the record whose hash was checked: a password changed meanwhile
     * makes this attempt moot. */
    if (memcmp(u.hash, a->hash, 32) == 0 && !u.u.locked) {
        char before[16], after[16];
        snprintf(before, sizeof before, "%d", u.u.failed);
        u.u.failed++;
        snprintf(after, sizeof after, "%d", u.u.failed);
        capa_change ch[2] = {{"failed_logins", before, after}, {"locked", "false", "true"}};
        if (u.u.failed >= CAPA_MAX_FAILED_LOGINS) {
            u.u.locked = 1;
            a->locked_now = 1;
        }
        err = capa_user__put(t->s, t->txn, &u);
        if (!err)
            err = capa_audit__append(t, a->user, a->locked_now ? "lock" : "login_failed", NULL,
                                     0, NULL, "wrong password", ch, a->locked_now ? 2 : 1,
                                     NULL);
    }
    capa_user_rec_clear(&u);
    return err;
}

int capa_auth__check(capa_store *s, const capa_actor *who, capa_user_rec *out)
{
    MDB_txn *txn = NULL;
    unsigned char h[32];
    memset(out, 0, sizeof *out);
    if (!who || !who->user || !*who->user)
        return capa_error_set(CAPA_EAUTH, "--as: no acting user given");
    if (!who->password)
        return capa_error_set(CAPA_EAUTH, "user `%s`: no password given", who->user);
    int err = capa_store__read_begin(s, &txn);
    if (err)
        return err;
    if ((err = capa_store__require_init(s, txn)) == CAPA_OK)
        err = capa_user__get(s, txn, who->user, out);
    capa_store__read_end(s, txn);
    if (err == CAPA_ENOTFOUND)
        return capa_error_set(CAPA_EAUTH, "user `%.40s`: no such user", who->user);
    if (err)
        return err;
    if (out->u.locked) {
        err = capa_error_set(CAPA_ELOCKED,
                             "user `%s`: account locked after %d wrong passwords; an admin "
                             "must unlock it (capa user unlock)",
                             who->user, out->u.failed);
        goto fail;
    }
    if ((err = kdf(h, who->password, out->salt, out->log2n, out->r, out->p)) != CAPA_OK)
        goto fail;
    if (CRYPTO_memcmp(h, out->hash, 32) == 0)
        return CAPA_OK;

    fail_arg a = {.user = who->user};
    memcpy(a.hash, out->hash, 32);
    err = capa_store__write(s, NULL, record_failure, &a);
    if (err)
        goto fail;
    if (a.locked_now)
        err = capa_error_set(CAPA_ELOCKED,
                             "user `%s`: wrong password; account now locked after %d wrong "
                             "passwords",
                             who->user, CAPA_MAX_FAILED_LOGINS);
    else
        err = capa_error_set(CAPA_EAUTH, "user `%s`: wrong password", who->user);
fail:
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
        return capa_error_set(CAPA_EAUTH, "user `%s`: removed meanwhile", m->checked->u.id);
    if (err)
        return err;
    if (now.u.locked || memcmp(now.hash, m->checked->hash, 32) != 0) {
        capa_user_rec_clear(&now);
        return capa_error_set(CAPA_EAUTH, "user `%s`: account changed while signing in; try again",
                              m->checked->u.id);
    }
    if (now.u.failed) { /* a good password ends a run of wrong ones */
        now.u.failed = 0;
        err = capa_user__put(t->s, t->txn, &now);
    }
    if (!err) {
        t->actor = &now;
        err = m->fn(t, m->arg);
        t->actor = m->checked;
    }
    capa_user_rec_clear(&now);
    return err;
}

int capa_store__mutate(capa_store *s, const capa_actor *who, capa_write_fn fn, void *arg)
{
    capa_user_rec u;
    int err = capa_auth__check(s, who, &u);
    if (err)
        return err;
    mutate_arg m = {&u, fn, arg};
    err = capa_store__write(s, &u, run_authenticated, &m);
    capa_user_rec_clear(&u);
    return err;
}

int capa_user_authenticate(capa_store *s, const capa_actor *who)
{
    capa_user_rec u;
    int err = capa_auth__check(s, who, &u);
    if (!err)
        capa_user_rec_clear(&u);
    return err;
}

/* ---- admin operations ---- */

static int require_admin(capa_wtxn *t, const char *what)
{
    if (strcmp(t->actor->u.role, "admin") != 0)
        return capa_error_set(CAPA_EDENIED, "%s: user `%s` has role %s; only admin may", what,
                              t->actor->u.id, t->actor->u.role);
    return CAPA_OK;
}

typedef struct add_arg {
    const char *id, *role, *name, *dept, *password;
} add_arg;

static int do_user_add(capa_wtxn *t, void *arg)
{
    add_arg *a = arg;
    capa_user_rec u, existing;
    int err = require_admin(t, "user add");
    if (err)
        return err;
    if (a->id && capa_user__get(t->s, t->txn, a->id, &existing) == CAPA_OK) {
        capa_user_rec_clear(&existing);
        return capa_error_set(CAPA_EEXISTS, "user `%s`: already exists", a->id);
    }
    if ((err = capa_user__make(t->s, t->txn, &u, a->id, a->role, a->name, a->dept, a->password,
                               t->now)) != CAPA_OK)
        return err;
    err = capa_user__put(t->s, t->txn, &u);
    if (!err) {
        capa_change ch[4] = {{"id", NULL, u.u.id},
                             {"name", NULL, u.u.name},
                             {"dept", NULL, u.u.dept},
                             {"role", NULL, u.u.role}};
        err = capa_audit__append(t, t->actor->u.id, "user_add", NULL, 0, NULL, NULL, ch, 4, NULL);
    }
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
    int err = self ? CAPA_OK : require_admin(t, "passwd");
    if (err)
        return err;
    if ((err = capa_user__get(t->s, t->txn, a->id, &u)) == CAPA_ENOTFOUND)
        return capa_error_set(CAPA_ENOTFOUND, "user `%.40s`: no such user", a->id);
    if (err)
        return err;
    err = capa_user__make(t->s, t->txn, &fresh, u.u.id, u.u.role, u.u.name, u.u.dept,
                          a->password, u.u.created);
    if (!err) {
        memcpy(u.salt, fresh.salt, 16);
        memcpy(u.hash, fresh.hash, 32);
        u.log2n = fresh.log2n, u.r = fresh.r, u.p = fresh.p;
        capa_user_rec_clear(&fresh);
        err = capa_user__put(t->s, t->txn, &u);
    }
    if (!err) {
        capa_change ch = {"password", "(hash)", "(new hash)"};
        err = capa_audit__append(t, t->actor->u.id, "passwd", NULL, 0, NULL, u.u.id, &ch, 1,
                                 NULL);
    }
    capa_user_rec_clear(&u);
    return err;
}

int capa_user_passwd(capa_store *s, const capa_actor *who, const char *id,
                     const char *new_password)
{
    passwd_arg a = {id, new_password};
    if (!id)
        return capa_error_set(CAPA_EINVALID, "passwd: no user given");
    return capa_store__mutate(s, who, do_passwd, &a);
}

static int do_unlock(capa_wtxn *t, void *arg)
{
    const char *id = arg;
    capa_user_rec u;
    int err = require_admin(t, "user unlock");
    if (err)
        return err;
    if ((err = capa_user__get(t->s, t->txn, id, &u)) == CAPA_ENOTFOUND)
        return capa_error_set(CAPA_ENOTFOUND, "user `%.40s`: no such user", id);
    if (err)
        return err;
    char before[16];
    snprintf(before, sizeof before, "%d", u.u.failed);
    capa_change ch[2] = {{"locked", u.u.locked ? "true" : "false", "false"},
                         {"failed_logins", before, "0"}};
    u.u.locked = 0;
    u.u.failed = 0;
    err = capa_user__put(t->s, t->txn, &u);
    if (!err)
        err = capa_audit__append(t, t->actor->u.id, "unlock", NULL, 0, NULL, u.u.id, ch, 2, NULL);
    capa_user_rec_clear(&u);
    return err;
}

int capa_user_unlock(capa_store *s, const capa_actor *who, const char *id)
{
    if (!id)
        return capa_error_set(CAPA_EINVALID, "unlock: no user given");
    return capa_store__mutate(s, who, do_unlock, (void *)id);
}

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
        return capa_error_set(CAPA_ENOTFOUND, "user `%.40s`: no such user", id);
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

int capa_user_foreach(capa_store *s, int (*cb)(const capa_user *u, void *payload),
                      void *payload)
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
