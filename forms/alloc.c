/*
 * alloc.c - the one allocator every capa layer uses, with SQLite-style fault injection.
 *
 * All capa allocations, and libxml2's once capa_form_init() ran, pass through here so a test
 * can make the N-th allocation from now fail (one shot) and walk every out-of-memory path.
 * The counters are atomic, so any thread may allocate. Underneath is plain malloc/free with
 * no header, which keeps memory libxml2 obtained before the hook was installed freeable.
 * Every failure, real or injected, bumps a per-thread counter: a parse compares it before and
 * after and reports CAPA_ENOMEM even where libxml2 turned the failure into a parse error.
 */
#include "alloc.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define CACHE 0 /* ASan sees every free: no block kept for reuse */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CACHE 0
#endif
#endif
#ifndef CACHE
#define CACHE 1
#endif
#if CACHE
#include <malloc.h>
#include <pthread.h>
#endif

static atomic_uint_fast64_t n_allocs;
static atomic_uint_fast64_t fail_target;
/* Set by the first capa_alloc_fail_at: until a test arms the counting, an allocation touches
 * no shared counter (an atomic add per malloc made every thread of capa serve fight over one
 * cache line; the templated page allocates thousands of times per request). */
static atomic_int counting;
static _Thread_local uint64_t n_failed;
static _Thread_local int shielded;

/* One more allocation: answers whether this one must fail. */
static int inject_failure(void)
{
    uint64_t target;
    if (shielded || !atomic_load_explicit(&counting, memory_order_relaxed))
        return 0;
    target = atomic_load_explicit(&fail_target, memory_order_relaxed);
    uint64_t nth = atomic_fetch_add_explicit(&n_allocs, 1, memory_order_relaxed) + 1;
    return target != 0 && nth == target;
}

static void *failed(void)
{
    n_failed++;
    return NULL;
}

void capa__alloc_shield(int on)
{
    shielded += on ? 1 : -1;
}

uint64_t capa__oom_count(void)
{
    return n_failed;
}

uint64_t capa_alloc_fail_at(uint64_t n)
{
    atomic_store(&counting, 1);
    atomic_store(&fail_target, n);
    return atomic_exchange(&n_allocs, 0);
}

#if CACHE
/* A per-thread cache of freed small blocks, handed out again by capa__malloc. A templated page
 * builds and frees thousands of small nodes, strings and XPath objects (libxml2, libxslt) in
 * bursts that glibc's own per-thread cache (7 blocks a size) does not hold, so nearly every
 * one went through malloc's and free's slow paths. A block is kept under the size
 * malloc_usable_size reports (24, 40, ... 136 bytes: glibc's sizes, 16 apart) and handed out
 * for a request of at most that size; at most PER_CLASS a size, all freed when the thread
 * ends. Not in ASan builds, which must see every free. */
#define CLASSES 8
#define PER_CLASS 256
typedef struct block {
    struct block *next;
} block;
typedef struct tcache {
    block *head[CLASSES];
    unsigned n[CLASSES];
} tcache;
static _Thread_local tcache *tc;
static _Thread_local int tc_gone; /* the thread's cache was freed: no new one */
static pthread_key_t tc_key;
static pthread_once_t tc_once = PTHREAD_ONCE_INIT;
static int tc_key_ok;

static void tc_free(void *arg)
{
    tcache *c = arg;
    tc = NULL;
    tc_gone = 1;
    for (int k = 0; c && k < CLASSES; k++) {
        for (block *b = c->head[k], *next; b; b = next) {
            next = b->next;
            free(b);
        }
    }
    free(c);
}

static void tc_key_make(void)
{
    tc_key_ok = pthread_key_create(&tc_key, tc_free) == 0;
}

static tcache *tc_get(void)
{
    if (tc || tc_gone)
        return tc;
    pthread_once(&tc_once, tc_key_make);
    tcache *c = tc_key_ok ? calloc(1, sizeof *c) : NULL;
    if (c && pthread_setspecific(tc_key, c) != 0) {
        free(c);
        c = NULL;
    }
    if (!c)
        tc_gone = 1; /* plain malloc and free on this thread */
    return tc = c;
}

/* The cache class holding blocks big enough for n bytes, or -1. */
static int class_for(size_t n)
{
    size_t k = n <= 24 ? 0 : (n - 24 + 15) / 16;
    return k < CLASSES ? (int)k : -1;
}

/* The class of a block of `usable` bytes, or -1. */
static int class_of(size_t usable)
{
    if (usable < 24 || (usable - 24) % 16)
        return -1;
    size_t k = (usable - 24) / 16;
    return k < CLASSES ? (int)k : -1;
}
#endif

void *capa__malloc(size_t n)
{
    void *p;
    if (inject_failure())
        return failed();
#if CACHE
    int k = class_for(n);
    tcache *c = tc;
    if (k >= 0 && c && c->head[k]) {
        block *b = c->head[k];
        c->head[k] = b->next;
        c->n[k]--;
        return b;
    }
#endif
    p = malloc(n ? n : 1);
    return p ? p : failed();
}

void *capa__calloc(size_t n, size_t size)
{
    void *p;
    if (inject_failure())
        return failed();
    p = calloc(n ? n : 1, size ? size : 1);
    return p ? p : failed();
}

void *capa__realloc(void *p, size_t n)
{
    void *q;
    if (inject_failure())
        return failed();
    q = realloc(p, n ? n : 1);
    return q ? q : failed();
}

char *capa__strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *d = capa__malloc(len + 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = 0;
    }
    return d;
}

char *capa__strdup(const char *s)
{
    return s ? capa__strndup(s, strlen(s)) : NULL;
}

void capa__free(void *p)
{
#if CACHE
    if (p) {
        int k = class_of(malloc_usable_size(p));
        tcache *c = k >= 0 ? tc_get() : NULL;
        if (c && c->n[k] < PER_CLASS) {
            block *b = p;
            b->next = c->head[k];
            c->head[k] = b;
            c->n[k]++;
            return;
        }
    }
#endif
    free(p);
}

char *capa__vsprintf(const char *fmt, va_list ap)
{
    va_list ap2;
    char *s = NULL;
    int n;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        goto done;
    s = capa__malloc((size_t)n + 1);
    if (s)
        vsnprintf(s, (size_t)n + 1, fmt, ap);
done:
    return s;
}

char *capa__sprintf(const char *fmt, ...)
{
    va_list ap;
    char *s;
    va_start(ap, fmt);
    s = capa__vsprintf(fmt, ap);
    va_end(ap);
    return s;
}
