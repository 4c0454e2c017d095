/*
 * iofail.c - an LD_PRELOAD shim that makes the N-th write or sync fail with EIO, so tests can
 * show that capa never reports a change as done when the disk refused it.
 *
 * Environment:
 *   IOFAIL_AT=N        fail the N-th counted call (1-based); 0 or unset = never fail
 *   IOFAIL_CALLS=list  which calls count, comma-separated, from fdatasync,fsync,pwrite,
 *                      writev,msync (default: all of them)
 *   IOFAIL_MATCH=str   count only calls on files whose path contains str (e.g. data.mdb)
 *   IOFAIL_STICKY=1    keep failing every counted call after the N-th (a dead disk)
 *   IOFAIL_ERRNO=n     errno to fail with (default EIO; ENOSPC = 28 for a full disk)
 *   IOFAIL_REPORT=path on exit, write how many calls were counted (to find the range of N)
 *   IOFAIL_GETRANDOM=N getrandom() of exactly N bytes fails with ENOSYS
 *   IOFAIL_THREADS=path append the name of the thread making each counted call to path, a
 *                      line each (which threads write: capa-serve's polling threads are
 *                      libmicrohttpd's "MHD-worker")
 *
 * The real functions are found with dlsym(RTLD_NEXT). Counting is atomic, so writer
 * threads share one sequence.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/uio.h>
#include <unistd.h>

enum { C_FDATASYNC = 1, C_FSYNC = 2, C_PWRITE = 4, C_WRITEV = 8, C_MSYNC = 16 };

static atomic_ulong calls;
static unsigned long fail_at;
static int mask = -1, sticky, fail_errno = EIO;
static const char *match;
static const char *report;
static const char *threads;

static void report_count(void)
{
    if (!report)
        return;
    int fd = open(report, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return;
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%lu\n", (unsigned long)atomic_load(&calls));
    if (write(fd, buf, (size_t)n) < 0)
        (void)0;
    close(fd);
}

__attribute__((constructor)) static void iofail_init(void)
{
    const char *v = getenv("IOFAIL_AT");
    fail_at = v ? strtoul(v, NULL, 10) : 0;
    sticky = getenv("IOFAIL_STICKY") && atoi(getenv("IOFAIL_STICKY"));
    if ((v = getenv("IOFAIL_ERRNO")))
        fail_errno = atoi(v);
    match = getenv("IOFAIL_MATCH");
    report = getenv("IOFAIL_REPORT");
    threads = getenv("IOFAIL_THREADS");
    if ((v = getenv("IOFAIL_CALLS"))) {
        mask = 0;
        if (strstr(v, "fdatasync"))
            mask |= C_FDATASYNC;
        if (strstr(v, "fsync"))
            mask |= C_FSYNC;
        if (strstr(v, "pwrite"))
            mask |= C_PWRITE;
        if (strstr(v, "writev"))
            mask |= C_WRITEV;
        if (strstr(v, "msync"))
            mask |= C_MSYNC;
    }
    atexit(report_count);
}

/* Does this fd's file count? */
static int fd_matches(int fd)
{
    char link[64], path[4096];
    if (!match)
        return 1;
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n < 0)
        return 0;
    path[n] = 0;
    return strstr(path, match) != NULL;
}

/* 1 when this call must fail. */
static int should_fail(int kind, int fd)
{
    if (!(mask & kind) || (fd >= 0 && !fd_matches(fd)))
        return 0;
    unsigned long n = atomic_fetch_add(&calls, 1) + 1;
    int fd_log = threads ? open(threads, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : -1;
    if (fd_log >= 0) {
        char name[32] = "";
        pthread_getname_np(pthread_self(), name, sizeof name - 1);
        size_t len = strlen(name);
        name[len++] = '\n';
        if (write(fd_log, name, len) < 0)
            (void)0;
        close(fd_log);
    }
    return fail_at && (n == fail_at || (sticky && n > fail_at));
}

#define REAL(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

int fdatasync(int fd)
{
    if (should_fail(C_FDATASYNC, fd)) {
        errno = fail_errno;
        return -1;
    }
    return REAL(fdatasync)(fd);
}

int fsync(int fd)
{
    if (should_fail(C_FSYNC, fd)) {
        errno = fail_errno;
        return -1;
    }
    return REAL(fsync)(fd);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    if (should_fail(C_PWRITE, fd)) {
        errno = fail_errno;
        return -1;
    }
    return REAL(pwrite)(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
    if (should_fail(C_PWRITE, fd)) {
        errno = fail_errno;
        return -1;
    }
    return REAL(pwrite64)(fd, buf, n, off);
}

ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
    if (should_fail(C_WRITEV, fd)) {
        errno = fail_errno;
        return -1;
    }
    return REAL(writev)(fd, iov, cnt);
}

int msync(void *addr, size_t len, int flags)
{
    if (should_fail(C_MSYNC, -1)) {
        errno = fail_errno;
        return -1;
    }
    return REAL(msync)(addr, len, flags);
}

/* IOFAIL_GETRANDOM=N: getrandom of exactly N bytes fails (ENOSYS: no random source), so a
 * test can take one use of randomness away (capa-serve's import job id takes 16 bytes, a
 * session token 32) and see what the user is told. */
ssize_t getrandom(void *buf, size_t n, unsigned flags)
{
    const char *v = getenv("IOFAIL_GETRANDOM");
    if (v && strtoul(v, NULL, 10) == n) {
        errno = ENOSYS;
        return -1;
    }
    return REAL(getrandom)(buf, n, flags);
}
