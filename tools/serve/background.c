/*
 * background.c - capa-serve delivers the notices that wait while it runs (docs/notify.md):
 * a thread of its own runs the same delivery as `capa deliver` (tools/notify/deliver.c)
 * every --deliver-every seconds, skipping a turn when a `capa deliver` of the timer holds
 * the store's delivery lock. Requests never wait for it: a hand-over only records the
 * notice; a slow or failing robot delays nothing but its own notices.
 */
#include "serve.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "deliver.h"

static struct {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int stop, started;
    long every;
    sv_server *srv;
} bg = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

static void log_line(const char *line, const char *rule, const capa_refusal_param *p, size_t n,
                     void *payload)
{
    (void)rule, (void)p, (void)n, (void)payload; /* the journal keeps the English line */
    fprintf(stderr, "capa serve: %s\n", line);
}

static void *deliver_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&bg.lock);
    while (!bg.stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += bg.every;
        while (!bg.stop && pthread_cond_timedwait(&bg.cond, &bg.lock, &until) == 0)
            ;
        if (bg.stop)
            break;
        pthread_mutex_unlock(&bg.lock);
        notify_run run;
        if (notify_deliver(bg.srv->s, bg.srv->db, 10, 0, &run, log_line, NULL) != CAPA_OK)
            fprintf(stderr, "capa serve: deliver: %s\n", capa_error_last());
        pthread_mutex_lock(&bg.lock);
    }
    pthread_mutex_unlock(&bg.lock);
    return NULL;
}

int sv_deliver_start(sv_server *srv, long every)
{
    if (every <= 0)
        return 0;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    bg.srv = srv;
    bg.every = every;
    bg.stop = 0;
    if (pthread_create(&bg.thread, NULL, deliver_main, NULL) != 0) {
        fprintf(stderr, "capa serve: cannot start the delivery thread\n");
        curl_global_cleanup();
        return -1;
    }
    bg.started = 1;
    return 0;
}

void sv_deliver_stop(void)
{
    if (!bg.started)
        return;
    pthread_mutex_lock(&bg.lock);
    bg.stop = 1;
    pthread_cond_broadcast(&bg.cond);
    pthread_mutex_unlock(&bg.lock);
    pthread_join(bg.thread, NULL);
    bg.started = 0;
    curl_global_cleanup();
}
