/*
 * session.c - sign-in sessions of capa serve.
 *
 * A session is a random 256-bit token, sent as an HttpOnly cookie (pages) or a bearer token
 * (API). The store keeps only its SHA-256 in the volatile_sessions database (never audited,
 * skipped by verify) with the user and the time of last use; a session unused for longer than
 * the idle limit is gone. No password is kept: at sign-in the engine hands out the user's
 * binding (capa_user_sign_in), a keyed digest of the credential, role and lock state, held in
 * this process's memory only next to the session hash. Every request checks it
 * (capa_user_binding_check: no scrypt, nothing counted), and edits carry it to the engine,
 * which checks it again in the write transaction. When the password is changed or reset,
 * the account is locked or the role changes, the binding no longer holds and the session
 * ends - at its next request, or within a second (sv_session_recheck) - without a failed
 * sign-in on record. A server restart forgets every binding: everyone signs in again.
 * Signing and rejecting never use it: they take the password typed into the signing dialog.
 *
 * The login form is protected against login CSRF by a pre-session: GET /login sets a random
 * `capa_pre` cookie (SameSite=Strict) and the form carries a token derived from it; a sign-in
 * POST without both, or that the browser marks cross-site (Sec-Fetch-Site), is refused.
 */
#include "serve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define SESSIONS_DB "sessions"

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sv_secure_eq(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char d = la != lb;
    for (size_t i = 0; i < la && i < lb; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

static void fill(sv_server *srv, sv_session *out, const char *hash, const char *user,
                 int64_t last)
{
    char buf[80];
    memset(out, 0, sizeof *out);
    snprintf(out->user, sizeof out->user, "%s", user);
    snprintf(out->hash, sizeof out->hash, "%s", hash);
    /* Derived from the (secret) token's hash: only the cookie's holder can know it. */
    snprintf(buf, sizeof buf, "csrf:%s", hash);
    capa_sha256_hex(out->csrf, buf, strlen(buf));
    out->last = last;
    out->expires = last + srv->idle_ms;
}

static void bound_forget_locked(sv_server *srv, const char *hash)
{
    for (size_t i = 0; i < srv->n_bound; i++) {
        if (strcmp(srv->bound[i].hash, hash) == 0) {
            explicit_bzero(&srv->bound[i], sizeof srv->bound[i]);
            srv->bound[i] = srv->bound[--srv->n_bound];
            return;
        }
    }
}

/* The binding of session `hash` into out; -1 when this process holds none. */
static int bound_get(sv_server *srv, const char *hash, char out[CAPA_BINDING_SIZE])
{
    int rc = -1;
    pthread_mutex_lock(&srv->lock);
    for (size_t i = 0; i < srv->n_bound; i++) {
        if (strcmp(srv->bound[i].hash, hash) == 0) {
            memcpy(out, srv->bound[i].binding, CAPA_BINDING_SIZE);
            rc = 0;
            break;
        }
    }
    pthread_mutex_unlock(&srv->lock);
    return rc;
}

int sv_session_create(sv_server *srv, const char *user, const char *password, char token[65],
                      sv_session *out)
{
    capa_actor who = {user, password};
    unsigned char rnd[32];
    char hash[65], rec[160], binding[CAPA_BINDING_SIZE];
    int err = capa_user_sign_in(binding, srv->s, &who);
    if (err)
        return err;
    if (strlen(user) >= sizeof out->user) {
        err = capa_error_set(CAPA_EINVALID, "user id too long");
        goto done;
    }
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
        err = capa_error_set(CAPA_ERROR, "no randomness for a session token");
        goto done;
    }
    for (size_t i = 0; i < sizeof rnd; i++)
        snprintf(token + 2 * i, 3, "%02x", rnd[i]);
    explicit_bzero(rnd, sizeof rnd);
    capa_sha256_hex(hash, token, 64);
    pthread_mutex_lock(&srv->lock);
    if (srv->n_bound == srv->cap_bound) {
        size_t cap = srv->cap_bound ? srv->cap_bound * 2 : 16;
        sv_bound *v = realloc(srv->bound, cap * sizeof *v);
        if (v) {
            srv->bound = v;
            srv->cap_bound = cap;
        }
    }
    if (srv->n_bound < srv->cap_bound) {
        sv_bound *b = &srv->bound[srv->n_bound++];
        snprintf(b->hash, sizeof b->hash, "%s", hash);
        snprintf(b->user, sizeof b->user, "%s", user);
        memcpy(b->binding, binding, sizeof b->binding);
        b->touched = now_ms(); /* at most the record's time, written below */
    } else {
        err = capa_error_set(CAPA_ENOMEM, "no memory for a session");
    }
    pthread_mutex_unlock(&srv->lock);
    if (err)
        goto done;
    int64_t now = now_ms();
    snprintf(rec, sizeof rec, "%s\n%lld\n", user, (long long)now);
    if ((err = capa_volatile_put(srv->s, SESSIONS_DB, hash, rec, strlen(rec)))) {
        pthread_mutex_lock(&srv->lock);
        bound_forget_locked(srv, hash);
        pthread_mutex_unlock(&srv->lock);
        goto done;
    }
    fill(srv, out, hash, user, now);
    memcpy(out->binding, binding, sizeof out->binding);
done:
    explicit_bzero(binding, sizeof binding);
    return err;
}

/* Parse "user\nlast\n"; -1 when not of that shape. */
static int parse_rec(const char *rec, char *user, size_t usz, int64_t *last)
{
    const char *nl = strchr(rec, '\n');
    if (!nl || (size_t)(nl - rec) >= usz || nl == rec)
        return -1;
    memcpy(user, rec, (size_t)(nl - rec));
    user[nl - rec] = '\0';
    char *end = NULL;
    long long v = strtoll(nl + 1, &end, 10);
    if (!end || *end != '\n')
        return -1;
    *last = v;
    return 0;
}

_Thread_local int sv_session__no_write;

/* How often a session's last use is written: at most every 1/10 of the idle limit (and every
 * minute at most): each touch is a durable write, and expiry need not be more exact. */
static int64_t touch_every(const sv_server *srv)
{
    return srv->idle_ms / 10 < 60000 ? srv->idle_ms / 10 : 60000;
}

int sv_session_may_write(sv_server *srv, const char *token)
{
    char hash[65];
    int may = 1;
    if (!token || strlen(token) != 64)
        return 0; /* sv_session_load refuses it without reading */
    capa_sha256_hex(hash, token, 64);
    int64_t now = now_ms();
    pthread_mutex_lock(&srv->lock);
    for (size_t i = 0; i < srv->n_bound; i++) {
        if (strcmp(srv->bound[i].hash, hash) == 0) {
            may = now - srv->bound[i].touched >= touch_every(srv);
            break;
        }
    }
    pthread_mutex_unlock(&srv->lock);
    return may;
}

/* The session's last use as stored by this process. */
static void bound_touched(sv_server *srv, const char *hash, int64_t at)
{
    pthread_mutex_lock(&srv->lock);
    for (size_t i = 0; i < srv->n_bound; i++) {
        if (strcmp(srv->bound[i].hash, hash) == 0) {
            srv->bound[i].touched = at;
            break;
        }
    }
    pthread_mutex_unlock(&srv->lock);
}

int sv_session_load(sv_server *srv, const char *token, sv_session *out)
{
    char hash[65], user[64], rec[160];
    void *val = NULL;
    int64_t last, now = now_ms();
    if (strlen(token) != 64)
        return -1;
    capa_sha256_hex(hash, token, 64);
    if (capa_volatile_get(&val, NULL, srv->s, SESSIONS_DB, hash) != CAPA_OK)
        return -1;
    int bad = parse_rec(val, user, sizeof user, &last);
    capa__free(val);
    /* Made by another process (before a restart, or another server on this store): this
     * one holds no binding for it, so it is not signed in here; the record is left to its
     * owner and to expiry. */
    if (!bad && now - last <= srv->idle_ms && bound_get(srv, hash, out->binding))
        return -1;
    /* Expired, or the user's password, role or lock changed since sign-in: the session ends,
     * and nothing is counted. */
    if (bad || now - last > srv->idle_ms ||
        capa_user_binding_check(srv->s, user, out->binding) != CAPA_OK) {
        explicit_bzero(out->binding, sizeof out->binding);
        if (!sv_session__no_write) /* else sv_session_recheck ends it within a second */
            sv_session_end(srv, hash);
        return -1;
    }
    /* Touch at most every touch_every: on a worker thread, not on a polling thread that
     * serves other connections meanwhile (sv_session_may_write sends such a request there). */
    if (now - last >= touch_every(srv) && !sv_session__no_write) {
        snprintf(rec, sizeof rec, "%s\n%lld\n", user, (long long)now);
        if (capa_volatile_put(srv->s, SESSIONS_DB, hash, rec, strlen(rec)) == CAPA_OK) {
            last = now;
            bound_touched(srv, hash, now);
        }
    }
    char binding[CAPA_BINDING_SIZE];
    memcpy(binding, out->binding, sizeof binding);
    fill(srv, out, hash, user, last);
    memcpy(out->binding, binding, sizeof binding);
    explicit_bzero(binding, sizeof binding);
    return 0;
}

void sv_session_end(sv_server *srv, const char *hash)
{
    capa_volatile_del(srv->s, SESSIONS_DB, hash);
    pthread_mutex_lock(&srv->lock);
    bound_forget_locked(srv, hash);
    pthread_mutex_unlock(&srv->lock);
}

typedef struct sweep_ctx {
    sv_server *srv;
    int64_t now;
    char (*gone)[65];
    size_t n_gone, cap_gone;
} sweep_ctx;

static int expired(const char *key, const void *val, size_t len, void *payload)
{
    sweep_ctx *c = payload;
    char user[64], rec[160];
    int64_t last;
    snprintf(rec, sizeof rec, "%.*s", (int)(len < sizeof rec ? len : sizeof rec - 1),
             (const char *)val);
    int dead = parse_rec(rec, user, sizeof user, &last) != 0 || c->now - last > c->srv->idle_ms;
    if (dead && strlen(key) == 64) {
        if (c->n_gone == c->cap_gone) {
            size_t cap = c->cap_gone ? c->cap_gone * 2 : 16;
            void *v = realloc(c->gone, cap * sizeof *c->gone);
            if (!v)
                return dead;
            c->gone = v;
            c->cap_gone = cap;
        }
        snprintf(c->gone[c->n_gone++], 65, "%s", key);
    }
    return dead;
}

void sv_session_sweep(sv_server *srv)
{
    sweep_ctx c = {.srv = srv, .now = now_ms()};
    size_t removed = 0;
    capa_volatile_sweep(srv->s, SESSIONS_DB, expired, &c, &removed);
    pthread_mutex_lock(&srv->lock);
    for (size_t i = 0; i < c.n_gone; i++)
        bound_forget_locked(srv, c.gone[i]);
    /* A binding whose session is no longer stored (ended by another process) goes too. */
    for (size_t i = 0; i < srv->n_bound;) {
        void *v = NULL;
        if (capa_volatile_get(&v, NULL, srv->s, SESSIONS_DB, srv->bound[i].hash) ==
            CAPA_ENOTFOUND) {
            bound_forget_locked(srv, srv->bound[i].hash);
            continue;
        }
        capa__free(v);
        i++;
    }
    pthread_mutex_unlock(&srv->lock);
    free(c.gone);
}

void sv_session_recheck(sv_server *srv)
{
    /* Copy out, check without the lock (each check is a read transaction), end the dead. */
    pthread_mutex_lock(&srv->lock);
    size_t n = srv->n_bound;
    sv_bound *copy = n ? malloc(n * sizeof *copy) : NULL;
    if (copy)
        memcpy(copy, srv->bound, n * sizeof *copy);
    pthread_mutex_unlock(&srv->lock);
    for (size_t i = 0; copy && i < n; i++) {
        int rc = capa_user_binding_check(srv->s, copy[i].user, copy[i].binding);
        if (rc == CAPA_EAUTH || rc == CAPA_ELOCKED)
            sv_session_end(srv, copy[i].hash);
    }
    if (copy) {
        explicit_bzero(copy, n * sizeof *copy);
        free(copy);
    }
}

/* ---- login CSRF: a pre-session cookie and the token the login form carries ---- */

static void login_token_of(char out[65], const char *pre)
{
    char buf[96];
    snprintf(buf, sizeof buf, "login-csrf:%s", pre);
    capa_sha256_hex(out, buf, strlen(buf));
    explicit_bzero(buf, sizeof buf);
}

static int valid_pre(const char *v)
{
    if (strlen(v) != 64)
        return 0;
    for (const char *p = v; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}

const char *sv_login_token(sv_req *r)
{
    char pre[80];
    if (sv_cookie_get(pre, sizeof pre, r->cookie, "capa_pre") != 0 || !valid_pre(pre)) {
        unsigned char rnd[32];
        if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
            r->login_csrf[0] = '\0';
            return r->login_csrf; /* no token: the POST will be refused */
        }
        for (size_t i = 0; i < sizeof rnd; i++)
            snprintf(pre + 2 * i, 3, "%02x", rnd[i]);
        explicit_bzero(rnd, sizeof rnd);
        sv_req_cookie(r, "capa_pre=%s; Path=/login; HttpOnly; SameSite=Strict%s", pre,
                      r->srv->secure_cookie ? "; Secure" : "");
    }
    login_token_of(r->login_csrf, pre);
    explicit_bzero(pre, sizeof pre);
    return r->login_csrf;
}

int sv_login_check(sv_req *r, const char *token, char *why, size_t whysz)
{
    char pre[80], want[65];
    const char *site = sv_req_header(r, "Sec-Fetch-Site");
    /* The browser says where the form was: only our own pages (or a typed URL) sign in. */
    if (site && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0) {
        snprintf(why, whysz,
                 "sign-in refused (login CSRF check): the form was posted from another site "
                 "(Sec-Fetch-Site: %.20s); open /login and sign in there",
                 site);
        return -1;
    }
    if (sv_cookie_get(pre, sizeof pre, r->cookie, "capa_pre") != 0 || !valid_pre(pre)) {
        snprintf(why, whysz,
                 "sign-in refused (login CSRF check): no sign-in cookie (capa_pre); open "
                 "/login and sign in there");
        return -1;
    }
    login_token_of(want, pre);
    explicit_bzero(pre, sizeof pre);
    if (!token || !sv_secure_eq(token, want)) {
        snprintf(why, whysz,
                 "sign-in refused (login CSRF check): missing or wrong token; reload /login "
                 "and sign in again");
        return -1;
    }
    return 0;
}
