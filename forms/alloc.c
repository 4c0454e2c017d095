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

void *capa__malloc(size_t n)
{
    void *p;
    if (inject_failure())
        return failed();
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
