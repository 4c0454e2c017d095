/*
 * http.c - libmicrohttpd glue of capa serve: threads, limits, body collection, dispatch,
 * security headers, one log line per request.
 *
 * Threads (docs/serve.md, "Threads"): as many polling threads as the machine has cores
 * (libmicrohttpd's thread pool over epoll) read every request and run the short ones - a
 * case page, its forms, the API's case GET, the sign-in form, static files - to the end, one
 * after the other, so on a busy server a request waits in line instead of being time-sliced
 * against a dozen others (the case page's p99). Everything else - anything that writes (it
 * may wait for the engine's group commit, which needs many writers waiting at once), signs
 * in (scrypt), or reads an amount of the store that grows with it (lists, dashboard,
 * reports, exports, dossiers, attachments, admin) - is handed to a thread of its own: the
 * connection is suspended (MHD_suspend_connection) while the thread runs the handler, and
 * resumed to send the answer. sv_http_stop waits for those threads before it stops the
 * daemon, so no change is cut off halfway.
 *
 * Limits: a connection limit, a per-connection memory limit for headers, an idle timeout,
 * and a body limit checked against Content-Length before anything is read and again while
 * reading.
 *
 * One client must not starve the others: a limit of connections per client address
 * (MHD_OPTION_PER_IP_CONNECTION_LIMIT; over it a connection is closed on accept), and a
 * deadline for a complete request header. libmicrohttpd's timeout is idle-based, so a client
 * that trickles a header line now and then would keep a connection forever; here a watchdog
 * thread shuts down every connection whose header is not complete within --header-timeout
 * seconds of its accept, or of the end of its previous request (keep-alive). A request whose
 * Content-Length is given twice, conflicts, is not a number, or comes with a
 * Transfer-Encoding is answered 400 and the connection closed: a proxy in front may read it
 * otherwise (request smuggling).
 *
 * With --tls-cert/--tls-key (tls.c) the daemon speaks only HTTPS (TLS 1.2 and 1.3 with
 * SV_TLS_PRIORITIES) and every response carries Strict-Transport-Security.
 */
#define _GNU_SOURCE /* pthread_setname_np */
#include "serve.h"
#include "lang.h"
#include "upload.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* One accepted connection, for the header deadline. */
typedef struct conn {
    struct conn *prev, *next;
    struct http *h;
    int fd;
    int64_t deadline; /* monotonic ms by which a request header must be complete; 0 = none */
    int shut;
    char ip[64];
} conn;

/* The daemon and its watchdog: what sv_http_start returns. */
typedef struct http {
    struct MHD_Daemon *d;
    pthread_t watchdog;
    int have_watchdog, stop;
    pthread_mutex_t mu; /* guards the list, deadlines and stop */
    pthread_cond_t cv;
    conn *head;
    int64_t header_ms;
    /* worker threads (guarded by mu): started when a request is queued and none waits,
     * kept while there is work, gone after WORKER_IDLE_S without */
    sv_req *queue, *queue_tail;
    int queued, workers, waiting;
    pthread_cond_t work; /* a request was queued, or stop */
    pthread_cond_t idle; /* the last worker is gone */
} http;

#define WORKER_IDLE_S 30

static const char *CSP = "default-src 'none'; script-src 'self'; style-src 'self'; "
                         "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; "
                         "base-uri 'none'";

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void addr_text(char *buf, size_t sz, const struct sockaddr *sa)
{
    snprintf(buf, sz, "?");
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, (socklen_t)sz);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf, (socklen_t)sz);
}

/* Set (ms from now) or clear (0) the header deadline of the connection of `mc`. */
static void deadline(struct MHD_Connection *mc, int64_t in_ms)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    conn *c = ci ? ci->socket_context : NULL;
    if (!c)
        return;
    pthread_mutex_lock(&c->h->mu);
    c->deadline = in_ms ? now_us() / 1000 + in_ms : 0;
    pthread_mutex_unlock(&c->h->mu);
}

static void on_connection(void *cls, struct MHD_Connection *mc, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    http *h = cls;
    conn *c = *socket_context;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *fi =
            MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
        const union MHD_ConnectionInfo *ai =
            MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (!fi || !(c = calloc(1, sizeof *c)))
            return; /* no deadline for it: the idle timeout still holds */
        c->h = h;
        c->fd = fi->connect_fd;
        addr_text(c->ip, sizeof c->ip, ai ? ai->client_addr : NULL);
        pthread_mutex_lock(&h->mu);
        c->deadline = now_us() / 1000 + h->header_ms;
        c->next = h->head;
        if (h->head)
            h->head->prev = c;
        h->head = c;
        pthread_mutex_unlock(&h->mu);
        *socket_context = c;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED && c) {
        /* libmicrohttpd calls this before it closes the socket, so the watchdog (which
         * shuts sockets down only under h->mu, only of listed connections) never touches a
         * descriptor that was closed and reused. */
        pthread_mutex_lock(&h->mu);
        if (c->prev)
            c->prev->next = c->next;
        else
            h->head = c->next;
        if (c->next)
            c->next->prev = c->prev;
        pthread_mutex_unlock(&h->mu);
        free(c);
        *socket_context = NULL;
    }
}

/* Shut down connections past their header deadline; their threads then see the end of the
 * stream and libmicrohttpd closes them. */
static void *watchdog(void *arg)
{
    http *h = arg;
    pthread_mutex_lock(&h->mu);
    while (!h->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 200 * 1000000L;
        if (ts.tv_nsec >= 1000000000L)
            ts.tv_sec++, ts.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&h->cv, &h->mu, &ts);
        int64_t now = now_us() / 1000;
        for (conn *c = h->head; c && !h->stop; c = c->next) {
            if (c->shut || !c->deadline || now < c->deadline)
                continue;
            c->shut = 1;
            shutdown(c->fd, SHUT_RDWR);
            fprintf(stderr, "capa serve: %s: no complete request header within %lld s: "
                            "connection closed\n",
                    c->ip, (long long)(h->header_ms / 1000));
        }
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

typedef struct cl_scan {
    int n_cl, te, bad;
    const char *first;
} cl_scan;

static enum MHD_Result count_cl(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
    cl_scan *c = cls;
    (void)kind;
    if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
        c->n_cl++;
        if (!value || !*value || strspn(value, "0123456789") != strlen(value))
            c->bad = 1;
        else if (c->first && strcmp(c->first, value) != 0)
            c->bad = 1;
        if (!c->first)
            c->first = value;
    } else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
        c->te = 1;
    }
    return MHD_YES;
}

const char *sv_req_header(sv_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

void sv_req_cookie(sv_req *r, const char *fmt, ...)
{
    for (int i = 0; i < 3; i++) {
        if (r->cookies[i])
            continue;
        char buf[512];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        if (n > 0 && (size_t)n < sizeof buf)
            r->cookies[i] = strdup(buf);
        explicit_bzero(buf, sizeof buf);
        return;
    }
}

/* Runs first for every request, with the raw URI: the request context starts here so the
 * query string is parsed by our own parser (and its errors are ours to report). */
static void *uri_log(void *cls, const char *uri, struct MHD_Connection *conn)
{
    sv_req *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->srv = cls;
    r->conn = conn;
    r->start_us = now_us();
    const char *q = strchr(uri, '?');
    if (q) {
        char why[160];
        r->raw_query = strdup(q + 1);
        if (sv_urlencoded_parse(&r->query, q + 1, strlen(q + 1), why, sizeof why))
            r->bad_query = 1;
    }
    return r;
}

static void client_ip(sv_req *r)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(r->ip, sizeof r->ip, "?");
    if (!ci || !ci->client_addr)
        return;
    if (ci->client_addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, r->ip,
                  sizeof r->ip);
    else if (ci->client_addr->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ci->client_addr)->sin6_addr, r->ip,
                  sizeof r->ip);
}

static enum MHD_Result send_response(sv_req *r)
{
    struct MHD_Response *resp;
    if (r->stream) {
        resp = sv_stream_response(r->stream); /* the response's now */
        r->stream = NULL;
    } else if (r->static_data) {
        resp = MHD_create_response_from_buffer(r->static_len, (void *)r->static_data,
                                               MHD_RESPMEM_PERSISTENT);
    } else {
        size_t len = 0;
        char *body = sv_buf_take(&r->out, &len);
        if (!body) {
            r->status = 500;
            r->type = "text/plain; charset=utf-8";
            body = strdup("out of memory\n");
            len = body ? strlen(body) : 0;
        }
        resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    }
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type",
                            r->type ? r->type : "text/html; charset=utf-8");
    MHD_add_response_header(resp, "Content-Security-Policy", CSP);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "Cache-Control",
                            r->cacheable ? "public, max-age=3600" : "no-store");
    if (r->srv->tls_cert) /* browsers then refuse plain http to this host for a year */
        MHD_add_response_header(resp, "Strict-Transport-Security", "max-age=31536000");
    if (r->location)
        MHD_add_response_header(resp, "Location", r->location);
    for (int i = 0; i < 3; i++) {
        if (r->cookies[i])
            MHD_add_response_header(resp, "Set-Cookie", r->cookies[i]);
    }
    if (r->disposition)
        MHD_add_response_header(resp, "Content-Disposition", r->disposition);
    if (r->close_conn)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    if (r->allow)
        MHD_add_response_header(resp, "Allow", r->allow);
    if (r->has_total && (r->status == 0 || r->status == 200)) {
        char tc[24];
        snprintf(tc, sizeof tc, "%lld", r->total);
        MHD_add_response_header(resp, "X-Total-Count", tc);
    }
    if (r->retry_after > 0) {
        char ra[16];
        snprintf(ra, sizeof ra, "%d", r->retry_after);
        MHD_add_response_header(resp, "Retry-After", ra);
    }
    enum MHD_Result ret = MHD_queue_response(r->conn, (unsigned)(r->status ? r->status : 200), resp);
    MHD_destroy_response(resp);
    return ret;
}

/* The language of an answer given before the routing (no page, no session yet): ?lang=,
 * Accept-Language or the capa_lang cookie (sv_api_lang), else both, so a browser user reads
 * it whatever they chose. */
static capa_lang early_lang(sv_req *r)
{
    if (!r->cookie)
        r->cookie = sv_req_header(r, "Cookie");
    int lang = sv_api_lang(r);
    return lang >= 0 ? (capa_lang)lang : CAPA_LANG_BOTH;
}

/* A plain-text answer of capa-serve's own before the routing: rule `rule` of the catalogue
 * (its parameter `why` when not NULL) in early_lang; `english` when memory runs out. */
static void early_text(sv_req *r, int status, const char *rule, const char *why,
                       const char *english)
{
    capa_refusal_param p[] = {{"why", why ? why : ""}};
    char *msg = capa_lang_rule(rule, "", "", p, why ? 1 : 0, early_lang(r), 1);
    r->status = status;
    r->type = "text/plain; charset=utf-8";
    sv_buf_free(&r->out);
    sv_buf_printf(&r->out, "%s\n", msg ? msg : english);
    free(msg);
}

static void too_big(sv_req *r)
{
    int api = r->path && strncmp(r->path, "/api/", 5) == 0;
    size_t max = r->upload_max ? r->upload_max : r->max_body;
    char maxs[24], english[64];
    snprintf(maxs, sizeof maxs, "%zu", max);
    snprintf(english, sizeof english, "request body over %zu bytes", max);
    r->status = 413;
    r->type = api ? "application/json" : "text/plain; charset=utf-8";
    sv_buf_free(&r->out);
    /* Worded in the reader's language (answered before the routing sets it), as the engine's
     * refusals are; the API in the language its client asked for, else English. */
    capa_refusal_param p[] = {{"max", maxs}};
    char *msg = NULL;
    if (api) {
        int lang = sv_api_lang(r);
        msg = lang >= 0 ? capa_lang_rule("upload.too_big", "", "", p, 1, (capa_lang)lang, 1)
                        : NULL;
        json_t *o = json_pack("{s:{s:s,s:s,s:[]}}", "error", "code", "too_large", "message",
                              msg ? msg : english, "fields");
        char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
        sv_buf_printf(&r->out, "%s\n", s ? s : "{\"error\": {\"code\": \"too_large\"}}");
        free(s);
        json_decref(o);
    } else {
        sv_req_lang(r);
        msg = sv_word_request(r, "upload.too_big", NULL, maxs, english);
        sv_buf_printf(&r->out, "%s\n", msg ? msg : english);
    }
    free(msg);
}

static void handle(sv_req *r)
{
    if (strncmp(r->path, "/api/", 5) == 0 || strcmp(r->path, "/api") == 0)
        sv_api_handle(r);
    else
        sv_pages_handle(r);
}

/* Whether `path` is "/cases/{number}" followed by nothing or by one of `subs` (NULL-ended). */
static int case_path(const char *path, const char *prefix, const char *const *subs)
{
    size_t pl = strlen(prefix);
    if (strncmp(path, prefix, pl) != 0 || !path[pl] || path[pl] == '/')
        return 0;
    const char *slash = strchr(path + pl, '/');
    if (!slash)
        return 1;
    for (; *subs; subs++) {
        if (strcmp(slash, *subs) == 0)
            return 1;
    }
    return 0;
}

/* Whether a request runs on the polling thread that read it: a GET or HEAD whose work is
 * bounded by one case, not by the store's size, and never waits for a write. Everything else
 * gets a thread of its own (offload). */
static int runs_inline(const char *method, const char *path)
{
    static const char *const page_subs[] = {"/edit", "/sign", NULL};
    static const char *const api_subs[] = {"/audit", NULL};
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return 0;
    return strncmp(path, "/static/", 8) == 0 || strcmp(path, "/login") == 0 ||
           case_path(path, "/cases/", page_subs) || case_path(path, "/api/v1/cases/", api_subs);
}

/* Whether the session a request names may be written while it is served (a touch, at most
 * once a minute a session, or its end): such a request goes to a worker, so that a polling
 * thread never waits for a durable write. Static files load no session. */
static int session_may_write(sv_req *r)
{
    char tok[80];
    const char *t = NULL;
    if (strncmp(r->path, "/static/", 8) == 0)
        return 0;
    if (strncmp(r->path, "/api/", 5) == 0) {
        const char *h = r->authorization;
        t = h && strncmp(h, "Bearer ", 7) == 0 ? h + 7 : NULL;
    } else if (sv_cookie_get(tok, sizeof tok, r->cookie, "capa_session") == 0) {
        t = tok;
    }
    int may = sv_session_may_write(r->srv, t);
    explicit_bzero(tok, sizeof tok);
    return may;
}

/* A worker thread: runs queued requests' handlers, each while its connection is suspended,
 * until the queue has been empty for WORKER_IDLE_S, or is empty at stop. Threads are kept
 * rather than started per request: a new thread costs more than a short write (libxml2's and
 * malloc's per-thread state start empty every time). */
static void *worker(void *arg)
{
    http *h = arg;
    /* Its own name (a thread takes its maker's, often a polling thread's "MHD-worker"): what
     * `top -H` shows, and what tests/e2e/serve_touch.sh tells the threads apart by. */
    pthread_setname_np(pthread_self(), "capa-worker");
    pthread_mutex_lock(&h->mu);
    for (;;) {
        while (!h->queue && !h->stop) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += WORKER_IDLE_S;
            h->waiting++;
            int rc = pthread_cond_timedwait(&h->work, &h->mu, &ts);
            h->waiting--;
            if (rc == ETIMEDOUT && !h->queue)
                break;
        }
        sv_req *r = h->queue;
        if (!r)
            break;
        h->queue = r->next_job;
        if (!h->queue)
            h->queue_tail = NULL;
        h->queued--;
        pthread_mutex_unlock(&h->mu);
        struct MHD_Connection *mc = r->conn;
        handle(r);
        r->job = 2;
        MHD_resume_connection(mc); /* r belongs to libmicrohttpd's thread again from here */
        pthread_mutex_lock(&h->mu);
    }
    if (--h->workers == 0)
        pthread_cond_broadcast(&h->idle);
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

/* Queue the handler of `r` for a worker thread (starting one if none is free); the
 * connection waits, suspended. */
static enum MHD_Result offload(sv_req *r)
{
    http *h = r->srv->http;
    int queued = 0;
    r->job = 1;
    MHD_suspend_connection(r->conn);
    pthread_mutex_lock(&h->mu);
    if (!h->stop) { /* stopping: no new work for the workers, answered here */
        r->next_job = NULL;
        if (h->queue_tail)
            h->queue_tail->next_job = r;
        else
            h->queue = r;
        h->queue_tail = r;
        h->queued++;
        queued = 1;
        if (h->waiting >= h->queued) {
            pthread_cond_signal(&h->work);
        } else {
            pthread_t th;
            pthread_attr_t at;
            if (pthread_attr_init(&at) == 0) {
                pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
                if (pthread_create(&th, &at, worker, h) == 0)
                    h->workers++;
                pthread_attr_destroy(&at);
            }
            if (!h->workers) { /* no thread to be had: take it back, answer here */
                h->queue = h->queue_tail = NULL;
                h->queued = 0;
                queued = 0;
            }
        }
    }
    pthread_mutex_unlock(&h->mu);
    if (!queued) {
        handle(r);
        r->job = 2;
        MHD_resume_connection(r->conn);
    }
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    sv_req *r = *con_cls;
    (void)cls; /* the server is r->srv */
    (void)version;
    (void)conn;
    if (!r)
        return MHD_NO;
    if (!r->method) {
        r->method = strdup(method);
        r->path = strdup(url);
        if (!r->method || !r->path)
            return MHD_NO;
        client_ip(r);
        deadline(conn, 0); /* the header is complete */
        cl_scan cs = {0};
        MHD_get_connection_values(conn, MHD_HEADER_KIND, count_cl, &cs);
        if (cs.n_cl > 1 || cs.bad || (cs.n_cl && cs.te)) {
            /* Answered before any of the body is read, and the connection closed: whatever
             * follows is never taken for a request. */
            r->close_conn = 1;
            early_text(r, 400, "request.content_length",
                       cs.n_cl > 1 ? "twice"
                       : cs.bad    ? "nan"
                                   : "te",
                       "Content-Length given more than once, not a number, or with "
                       "Transfer-Encoding");
            return send_response(r);
        }
        r->cookie = sv_req_header(r, "Cookie");
        r->authorization = sv_req_header(r, "Authorization");
        r->content_type = sv_req_header(r, "Content-Type");
        const char *cl = sv_req_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (sv_upload_route(r->method, r->path)) {
            /* Attachments: larger bodies (twice the store's attachment limit), streamed
             * through libmicrohttpd's post processor as they arrive. Without a session the
             * answer comes before a byte of the body is read. */
            uint64_t limit = CAPA_ATTACH_LIMIT_DEFAULT;
            capa_attach_limit(r->srv->s, &limit);
            r->upload_max = sv_upload_max(limit);
            if (cl && strtoull(cl, NULL, 10) > r->upload_max) {
                r->too_big = 1;
                too_big(r);
                return send_response(r);
            }
            r->upload_early = 1;
            sv_pages_handle(r);
            r->upload_early = 0;
            if (!r->status)
                r->upload = sv_upload_begin(conn, r->content_type, limit, r->upload_why,
                                            sizeof r->upload_why, &r->upload_rule);
            if (r->status || !r->upload) {
                if (!r->status)
                    sv_pages_handle(r); /* refuses the upload with upload_why */
                r->close_conn = 1;
                return send_response(r);
            }
            return MHD_YES;
        }
        r->max_body = sv_body_limit(r); /* larger for an admin's upload (admin.c) */
        if (cl && strtoull(cl, NULL, 10) > r->max_body) {
            /* Answer before reading a byte of the body; MHD then closes the connection. */
            r->too_big = 1;
            too_big(r);
            return send_response(r);
        }
        return MHD_YES;
    }
    if (*upload_data_size && r->upload) {
        r->upload_seen += *upload_data_size;
        if (!r->too_big && r->upload_seen > r->upload_max) {
            r->too_big = 1; /* chunked: no Content-Length said so before */
            sv_upload_free(r->upload);
            r->upload = NULL;
        }
        if (r->upload)
            sv_upload_feed(r->upload, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!r->too_big && r->body.len + *upload_data_size > r->max_body) {
            r->too_big = 1;
            explicit_bzero(r->body.p, r->body.cap);
            sv_buf_free(&r->body);
        }
        if (!r->too_big)
            sv_buf_put(&r->body, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (r->too_big) {
        too_big(r);
        return send_response(r);
    }
    if (r->body.oom) {
        early_text(r, 500, "request.oom", NULL, "out of memory");
        return send_response(r);
    }
    if (r->job == 2)
        return send_response(r); /* resumed: the worker has answered */
    if (r->job == 1)
        return MHD_YES; /* still suspended (not expected) */
    if (runs_inline(r->method, r->path) && !session_may_write(r)) {
        sv_session__no_write = 1;
        handle(r);
        sv_session__no_write = 0;
        return send_response(r);
    }
    return offload(r);
}

/* The path and query as one log field: anything but printable ASCII as %XX, so a request
 * can never add a line to the log or disguise one. */
static void log_escaped(FILE *f, const char *s, size_t max)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; p && *p && n < max; p++, n++) {
        if (*p > 0x20 && *p < 0x7f && *p != '%')
            fputc(*p, f);
        else
            fprintf(f, "%%%02X", *p);
    }
    if (s && strlen(s) > max)
        fputs("...", f);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    sv_req *r = *con_cls;
    sv_server *srv = cls;
    /* Waiting for the next request on this connection: its header has a deadline too. */
    deadline(conn, srv->header_ms);
    if (!r)
        return;
    char t[40];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    capa_time_format(t, sizeof t, (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    flockfile(stderr);
    fprintf(stderr, "%s %s ", t, r->ip[0] ? r->ip : "?");
    log_escaped(stderr, r->method ? r->method : "-", 16);
    fputc(' ', stderr);
    log_escaped(stderr, r->path ? r->path : "-", 300);
    if (r->raw_query) {
        /* Query values may be search text: keep the names, not the values. */
        fputs("?...", stderr);
    }
    fprintf(stderr, " %d %lldus user=%s%s\n", r->status ? r->status : 0,
            (long long)(now_us() - r->start_us), r->have_sess ? r->sess.user : "-",
            toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (aborted)");
    funlockfile(stderr);
    fflush(stderr);
    if (r->body.p)
        explicit_bzero(r->body.p, r->body.cap);
    sv_buf_free(&r->body);
    sv_buf_free(&r->out);
    sv_params_clear(&r->query);
    sv_upload_free(r->upload);
    sv_stream_cancel(r->stream);
    free(r->method);
    free(r->path);
    free(r->raw_query);
    free(r->location);
    free(r->disposition);
    for (int i = 0; i < 3; i++)
        free(r->cookies[i]);
    free(r);
    *con_cls = NULL;
}

void *sv_http_start(sv_server *srv, const char *listen, unsigned max_conn, unsigned per_addr,
                    unsigned timeout_s, size_t conn_mem, int *port)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    char host[256];
    const char *colon = strrchr(listen, ':');
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                     MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    /* libmicrohttpd splits --max-connections between the polling threads (a thread at its
     * share leaves accepting to the others): at least one connection each */
    unsigned pool = cores < 1 ? 1 : cores > 64 ? 64 : (unsigned)cores;
    if (max_conn && pool > max_conn)
        pool = max_conn;
    if (!colon || colon == listen || (size_t)(colon - listen) >= sizeof host) {
        sv_start_said(srv, "serve.listen", listen, "--listen",
                      "--listen: expected HOST:PORT, e.g. 127.0.0.1:8080");
        return NULL;
    }
    char *end = NULL;
    long p = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || p < 0 || p > 65535) {
        sv_start_said(srv, "serve.port", listen, "--listen", "--listen: bad port");
        return NULL;
    }
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    if (host[0] == '[' && host[strlen(host) - 1] == ']') {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        host[strlen(host) - 1] = '\0';
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)p);
        if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1) {
            sv_start_said(srv, "serve.address", listen, "--listen", "--listen: bad IPv6 address");
            return NULL;
        }
        flags |= MHD_USE_IPv6;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)p);
        if (inet_pton(AF_INET, host, &a->sin_addr) != 1) {
            sv_start_said(srv, "serve.address", listen, "--listen",
                          "--listen: bad IPv4 address (use [::1] for IPv6)");
            return NULL;
        }
    }
    http *h = calloc(1, sizeof *h);
    if (!h) {
        sv_start_said(srv, "serve.oom", NULL, NULL, "out of memory");
        return NULL;
    }
    h->header_ms = srv->header_ms > 0 ? srv->header_ms : 10000;
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    pthread_cond_init(&h->idle, NULL);
    pthread_cond_init(&h->work, NULL);
    srv->http = h; /* before the first request: offload finds it there */
    struct MHD_OptionItem tls[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, srv->tls_cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, srv->tls_key},
        {MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)SV_TLS_PRIORITIES},
        {MHD_OPTION_END, 0, NULL},
    };
    if (srv->tls_cert)
        flags |= MHD_USE_TLS;
    else
        tls[0].option = MHD_OPTION_END;
    h->d = MHD_start_daemon(
        flags, (uint16_t)p, NULL, NULL, on_request, srv, MHD_OPTION_ARRAY, tls,
        MHD_OPTION_SOCK_ADDR, &ss, MHD_OPTION_THREAD_POOL_SIZE, pool,
        MHD_OPTION_CONNECTION_LIMIT, max_conn, MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_addr,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, conn_mem, MHD_OPTION_CONNECTION_TIMEOUT, timeout_s,
        MHD_OPTION_URI_LOG_CALLBACK, uri_log, srv, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
        srv, MHD_OPTION_NOTIFY_CONNECTION, on_connection, h, MHD_OPTION_END);
    if (!h->d) {
        sv_start_said(srv, "serve.cannot_listen", listen, NULL, "cannot listen on %s", listen);
        sv_http_stop(h);
        return NULL;
    }
    if (pthread_create(&h->watchdog, NULL, watchdog, h) != 0) {
        sv_start_said(srv, "serve.no_thread", NULL, NULL, "cannot start the header watchdog");
        sv_http_stop(h);
        return NULL;
    }
    h->have_watchdog = 1;
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    *port = di ? di->port : (int)p;
    return h;
}

void sv_http_stop(void *daemon)
{
    http *h = daemon;
    if (!h)
        return;
    if (h->have_watchdog) {
        pthread_mutex_lock(&h->mu);
        h->stop = 1;
        pthread_cond_signal(&h->cv);
        pthread_mutex_unlock(&h->mu);
        pthread_join(h->watchdog, NULL);
    }
    /* The workers run what is queued (a change is never cut off) and resume those
     * connections; only then may the daemon go (it must not stop with one suspended). */
    pthread_mutex_lock(&h->mu);
    h->stop = 1;
    pthread_cond_broadcast(&h->work);
    while (h->workers)
        pthread_cond_wait(&h->idle, &h->mu);
    pthread_mutex_unlock(&h->mu);
    sv_stream_quiesce(); /* a download waiting for its next piece is suspended too */
    if (h->d)
        MHD_stop_daemon(h->d); /* closes every connection: their notices empty the list */
    sv_stream_resume_all();
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
    pthread_cond_destroy(&h->idle);
    pthread_cond_destroy(&h->work);
    free(h);
}
