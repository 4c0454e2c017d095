/*
 * throttle.c - password attempts through capa serve are no faster than at a terminal.
 *
 * The engine is the authority: every password check (sign-in, signing, rejecting) is
 * capa_user_authenticate or capa_submit, counted and audited in core/users.c, which serialises
 * one account's checks and locks the account after CAPA_MAX_FAILED_LOGINS wrong passwords.
 * What the engine cannot see is the network: many connections guessing at once, or one
 * address trying name after name (unknown names lock nothing). So before a check the server
 * asks here, and it answers 429 with Retry-After, without checking (nor counting) the
 * password, when
 *   - a check for the same user name, or from the same client address, is already running
 *     (one at a time each, as a person at one terminal), or
 *   - the name failed recently: after its n-th failure in a row it waits 2^(n-1) s (at most
 *     60 s) - 1, 2, 4, 8 s (--auth-pause sets the first) - and the fifth failure locks the
 *     account in the engine anyway, or
 *   - the address failed more than ADDR_FREE times in a row (a shared proxy or office NAT
 *     gets that many for free), then the same doubling pause.
 * A good password clears its name's and its address's record. The table is bounded
 * (SLOTS entries, the oldest idle one reused), in memory, and resets with the server: it
 * only slows guessing; the lockout that ends it is the engine's and survives restarts.
 */
#include "serve.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define SLOTS 4096
#define ADDR_FREE 5
#define MAX_PAUSE_MS 60000

typedef struct slot {
    char key[80];  /* "u:NAME" or "a:ADDRESS"; "" when free */
    int fails;     /* failures in a row */
    int busy;      /* a check is running */
    int64_t until; /* no check before this (ms, monotonic) */
    int64_t used;
} slot;

static slot slots[SLOTS];
static int64_t base_ms = 1000;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The slot of key, made when missing (reusing the least recently used idle one). */
static slot *find(const char *kind, const char *name, int make, int64_t now)
{
    char key[80];
    slot *empty = NULL, *lru = NULL, *old;
    snprintf(key, sizeof key, "%s:%.70s", kind, name);
    for (size_t i = 0; i < SLOTS; i++) {
        slot *x = &slots[i];
        if (!x->key[0]) {
            if (!empty)
                empty = x;
        } else if (strcmp(x->key, key) == 0) {
            return x;
        } else if (!x->busy && (!lru || x->used < lru->used)) {
            lru = x;
        }
    }
    old = empty ? empty : lru;
    if (!make || !old)
        return NULL;
    memset(old, 0, sizeof *old);
    snprintf(old->key, sizeof old->key, "%s", key);
    old->used = now;
    return old;
}

static int64_t pause_ms(int fails)
{
    if (fails <= 0)
        return 0;
    int64_t ms = base_ms;
    for (int i = 1; i < fails && ms < MAX_PAUSE_MS; i++)
        ms *= 2;
    return ms < MAX_PAUSE_MS ? ms : MAX_PAUSE_MS;
}

void sv_throttle_init(int pause_ms)
{
    base_ms = pause_ms > 0 ? pause_ms : 1000;
}

int sv_throttle_begin(const char *user, const char *addr, int *retry_after_s)
{
    int64_t now = mono_ms(), wait = 0;
    *retry_after_s = 0;
    pthread_mutex_lock(&mu);
    slot *u = find("u", user ? user : "", 1, now), *a = find("a", addr ? addr : "?", 1, now);
    if (!u || !a || u == a) {
        wait = base_ms; /* every slot busy (the second find took the first's): a flood */
    } else {
        if (u->busy || a->busy)
            wait = base_ms;
        if (u->until > now && u->until - now > wait)
            wait = u->until - now;
        if (a->until > now && a->until - now > wait)
            wait = a->until - now;
    }
    if (!wait) {
        u->busy = a->busy = 1;
        u->used = a->used = now;
    }
    pthread_mutex_unlock(&mu);
    *retry_after_s = (int)((wait + 999) / 1000);
    return wait ? -1 : 0;
}

void sv_throttle_end(const char *user, const char *addr, int outcome)
{
    int64_t now = mono_ms();
    pthread_mutex_lock(&mu);
    slot *u = find("u", user ? user : "", 0, now), *a = find("a", addr ? addr : "?", 0, now);
    slot *both[2] = {u, a};
    for (int i = 0; i < 2; i++) {
        slot *x = both[i];
        if (!x)
            continue;
        x->busy = 0;
        x->used = now;
        if (outcome == SV_AUTH_OK) {
            x->fails = 0;
            x->until = 0;
        } else if (outcome == SV_AUTH_WRONG) {
            x->fails++;
            int free_fails = x == a ? ADDR_FREE : 0;
            x->until = x->fails > free_fails ? now + pause_ms(x->fails - free_fails) : 0;
        }
    }
    pthread_mutex_unlock(&mu);
}

int sv_throttle_outcome(int code)
{
    return code == CAPA_OK                              ? SV_AUTH_OK
           : code == CAPA_EAUTH || code == CAPA_ELOCKED ? SV_AUTH_WRONG
                                                        : SV_AUTH_OTHER;
}
