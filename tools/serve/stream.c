/*
 * stream.c - a response body made on a thread of its own while libmicrohttpd sends it, for a
 * download whose length grows with the store (/cases.csv): memory flat in its length.
 *
 * The maker (sv_stream_start's fn) writes into its buffer (sv_stream_buf) with the escaping
 * helpers every page uses, and hands what it wrote over (sv_stream_flush) once a piece of
 * SV_STREAM_PIECE bytes is full; it waits there while the client has not taken the piece
 * before, so at most two pieces are held whatever the length. libmicrohttpd reads the piece
 * on the connection's polling thread (chunked, the length unknown), which serves other
 * connections too: when no piece is ready the reader suspends the connection and returns 0
 * (libmicrohttpd's documented way to wait) and the maker resumes it with the next piece, so
 * a slow maker (a sorted export of a large store) never holds up the other clients. When the client goes away - or
 * the server stops - the response is freed: the maker is told, stops at its next flush and
 * is joined, so what it holds (a read snapshot of the store) is let go then. A maker that
 * fails ends the response with an error: the client sees a cut transfer, never a short file
 * that looks whole.
 */
#include "serve.h"

#include <microhttpd.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void sv_stream_cancel(sv_stream *st);

/* The server is stopping: makers stop at their next flush (and resume their connection), so
 * that no connection is left suspended when the daemon goes (sv_stream_quiesce). */
static atomic_int stopping;
static atomic_int n_suspended;

struct sv_stream {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char *full; /* a piece for the client: full[off..len) */
    size_t len, off;
    int done, failed; /* the maker ended (failed: with an error) */
    atomic_int gone;  /* the client went away, or the server stops: the maker stops */
    struct MHD_Connection *conn;
    int suspended; /* the reader suspended conn waiting for a piece: the maker resumes it */
    sv_buf pending;   /* the maker's: written since its last hand-over */
    pthread_t tid;
    int (*fn)(sv_stream *st, void *arg);
    void *arg;
    void (*arg_free)(void *arg);
};

sv_buf *sv_stream_buf(sv_stream *st)
{
    return &st->pending;
}

/* Under st->mu: the connection the reader suspended goes on (a piece or the end is there). */
static void wake(sv_stream *st)
{
    if (st->suspended) {
        st->suspended = 0;
        MHD_resume_connection(st->conn);
        atomic_fetch_sub(&n_suspended, 1);
    }
}

int sv_stream_flush(sv_stream *st, int all)
{
    if (atomic_load_explicit(&st->gone, memory_order_relaxed) || atomic_load(&stopping))
        return -1;
    if (st->pending.oom)
        return -1;
    if (st->pending.len == 0 || (!all && st->pending.len < SV_STREAM_PIECE))
        return 0;
    pthread_mutex_lock(&st->mu);
    while (st->full && !atomic_load(&st->gone))
        pthread_cond_wait(&st->cv, &st->mu);
    int rc = -1;
    if (!atomic_load(&st->gone)) {
        st->full = sv_buf_take(&st->pending, &st->len);
        st->off = 0;
        rc = st->full ? 0 : -1;
        pthread_cond_broadcast(&st->cv);
        if (st->full)
            wake(st);
    }
    pthread_mutex_unlock(&st->mu);
    return rc;
}

static void *run(void *arg)
{
    sv_stream *st = arg;
    int rc = st->fn(st, st->arg);
    if (!rc)
        rc = sv_stream_flush(st, 1);
    pthread_mutex_lock(&st->mu);
    st->done = 1;
    st->failed = rc != 0;
    pthread_cond_broadcast(&st->cv);
    wake(st);
    pthread_mutex_unlock(&st->mu);
    return NULL;
}

/* libmicrohttpd's reader: the next bytes of the piece; while the maker works on one, the
 * connection is suspended (0 returned) until the maker resumes it. */
static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    sv_stream *st = cls;
    ssize_t n;
    (void)pos;
    pthread_mutex_lock(&st->mu);
    if (!st->full && !st->done) {
        st->suspended = 1;
        atomic_fetch_add(&n_suspended, 1);
        MHD_suspend_connection(st->conn);
        pthread_mutex_unlock(&st->mu);
        return 0;
    }
    if (st->full) {
        size_t k = st->len - st->off < max ? st->len - st->off : max;
        memcpy(buf, st->full + st->off, k);
        st->off += k;
        if (st->off == st->len) {
            free(st->full);
            st->full = NULL;
            pthread_cond_broadcast(&st->cv);
        }
        n = (ssize_t)k;
    } else {
        n = st->failed ? MHD_CONTENT_READER_END_WITH_ERROR : MHD_CONTENT_READER_END_OF_STREAM;
    }
    pthread_mutex_unlock(&st->mu);
    return n;
}

/* The response is done with (sent, the client gone, the server stopping): stop the maker. */
static void stream_free(void *cls)
{
    sv_stream_cancel(cls);
}

void sv_stream_cancel(sv_stream *st)
{
    if (!st)
        return;
    pthread_mutex_lock(&st->mu);
    atomic_store(&st->gone, 1);
    pthread_cond_broadcast(&st->cv);
    pthread_mutex_unlock(&st->mu);
    pthread_join(st->tid, NULL);
    free(st->full);
    sv_buf_free(&st->pending);
    if (st->arg_free)
        st->arg_free(st->arg);
    pthread_cond_destroy(&st->cv);
    pthread_mutex_destroy(&st->mu);
    free(st);
}

int sv_stream_start(sv_req *r, int (*fn)(sv_stream *st, void *arg), void *arg,
                    void (*arg_free)(void *arg))
{
    sv_stream *st = calloc(1, sizeof *st);
    if (!st) {
        if (arg_free)
            arg_free(arg);
        return -1;
    }
    pthread_mutex_init(&st->mu, NULL);
    pthread_cond_init(&st->cv, NULL);
    st->fn = fn;
    st->arg = arg;
    st->conn = r->conn;
    st->arg_free = arg_free;
    if (pthread_create(&st->tid, NULL, run, st) != 0) {
        if (arg_free)
            arg_free(arg);
        pthread_cond_destroy(&st->cv);
        pthread_mutex_destroy(&st->mu);
        free(st);
        return -1;
    }
    r->stream = st;
    return 0;
}

struct MHD_Response *sv_stream_response(sv_stream *st)
{
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, reader, st, stream_free);
    if (!resp)
        stream_free(st);
    return resp;
}

void sv_stream_quiesce(void)
{
    atomic_store(&stopping, 1);
    /* A maker stops at its next flush and resumes its connection; one in the middle of a
     * piece (a pass over the store for a sorted export) is waited for, within bounds. */
    for (int i = 0; i < 3000 && atomic_load(&n_suspended) > 0; i++)
        usleep(10000);
}

void sv_stream_resume_all(void)
{
    atomic_store(&stopping, 0);
}
