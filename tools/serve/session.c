/*
 * session.c - sign-in sessions of capa serve.
 *
 * A session is a random 256-bit token, sent as an HttpOnly cookie (pages) or a bearer token
 * (API). The store keeps only its SHA-256 in the volatile_sessions database (never audited,
 * skipped by verify) with the user and the time of last use; a session unused for longer than
 * the idle limit is gone. The password typed at sign-in is needed by the engine for every
 * change (capa_actor); it is kept in this process's memory only, next to the session hash,
 * wiped at sign-out and expiry, and never written anywhere. A server restart therefore asks
 * everyone to sign in again before changing anything. Signing and rejecting never use it:
 * they take the password typed into the signing dialog.
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

void sv_secret_free(char *p)
{
    if (p) {
        explicit_bzero(p, strlen(p));
        free(p);
    }
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

static void secret_forget_locked(sv_server *srv, const char *hash)
{
    for (size_t i = 0; i < srv->n_secrets; i++) {
        if (strcmp(srv->secrets[i].hash, hash) == 0) {
            sv_secret_free(srv->secrets[i].password);
            srv->secrets[i] = srv->secrets[--srv->n_secrets];
            return;
        }
    }
}

int sv_session_create(sv_server *srv, const char *user, const char *password, char token[65],
                      sv_session *out)
{
    capa_actor who = {user, password};
    unsigned char rnd[32];
    char hash[65], rec[160];
    int err = capa_user_authenticate(srv->s, &who);
    if (err)
        return err;
    if (strlen(user) >= sizeof out->user)
        return capa_error_set(CAPA_EINVALID, "user id too long");
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
        return capa_error_set(CAPA_ERROR, "no randomness for a session token");
    for (size_t i = 0; i < sizeof rnd; i++)
        snprintf(token + 2 * i, 3, "%02x", rnd[i]);
    explicit_bzero(rnd, sizeof rnd);
    capa_sha256_hex(hash, token, 64);
    int64_t now = now_ms();
    snprintf(rec, sizeof rec, "%s\n%lld\n", user, (long long)now);
    if ((err = capa_volatile_put(srv->s, SESSIONS_DB, hash, rec, strlen(rec))))
        return err;
    char *pw = strdup(password);
    pthread_mutex_lock(&srv->lock);
    if (pw && srv->n_secrets == srv->cap_secrets) {
        size_t cap = srv->cap_secrets ? srv->cap_secrets * 2 : 16;
        sv_secret *v = realloc(srv->secrets, cap * sizeof *v);
        if (v) {
            srv->secrets = v;
            srv->cap_secrets = cap;
        }
    }
    if (pw && srv->n_secrets < srv->cap_secrets) {
        snprintf(srv->secrets[srv->n_secrets].hash, 65, "%s", hash);
        srv->secrets[srv->n_secrets++].password = pw;
        pw = NULL;
    }
    pthread_mutex_unlock(&srv->lock);
    sv_secret_free(pw);
    fill(srv, out, hash, user, now);
    return CAPA_OK;
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
    if (bad || now - last > srv->idle_ms) {
        sv_session_end(srv, hash);
        return -1;
    }
    /* Touch at most every 1/10 of the idle limit (and every minute at most): each touch is a
     * durable write, and expiry need not be more exact than that. */
    int64_t every = srv->idle_ms / 10 < 60000 ? srv->idle_ms / 10 : 60000;
    if (now - last >= every) {
        snprintf(rec, sizeof rec, "%s\n%lld\n", user, (long long)now);
        if (capa_volatile_put(srv->s, SESSIONS_DB, hash, rec, strlen(rec)) == CAPA_OK)
            last = now;
    }
    fill(srv, out, hash, user, last);
    return 0;
}

void sv_session_end(sv_server *srv, const char *hash)
{
    capa_volatile_del(srv->s, SESSIONS_DB, hash);
    pthread_mutex_lock(&srv->lock);
    secret_forget_locked(srv, hash);
    pthread_mutex_unlock(&srv->lock);
}

char *sv_session_password(sv_server *srv, const sv_session *sess)
{
    char *copy = NULL;
    pthread_mutex_lock(&srv->lock);
    for (size_t i = 0; i < srv->n_secrets; i++) {
        if (strcmp(srv->secrets[i].hash, sess->hash) == 0) {
            copy = strdup(srv->secrets[i].password);
            break;
        }
    }
    pthread_mutex_unlock(&srv->lock);
    return copy;
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
        secret_forget_locked(srv, c.gone[i]);
    /* A password whose session is no longer stored (ended by another process) goes too. */
    for (size_t i = 0; i < srv->n_secrets;) {
        void *v = NULL;
        if (capa_volatile_get(&v, NULL, srv->s, SESSIONS_DB, srv->secrets[i].hash) ==
            CAPA_ENOTFOUND) {
            secret_forget_locked(srv, srv->secrets[i].hash);
            continue;
        }
        capa__free(v);
        i++;
    }
    pthread_mutex_unlock(&srv->lock);
    free(c.gone);
}
