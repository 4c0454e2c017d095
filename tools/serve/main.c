/*
 * main.c - capa-serve: options, the store, the HTTP daemon, and a clean stop.
 *
 *   capa-serve [--listen HOST:PORT] [--db DIR] [--idle-timeout MIN] [--max-connections N]
 *              [--max-per-address N] [--header-timeout SEC] [--max-body BYTES]
 *              [--timeout SEC] [--font FILE] [--secure-cookie] [--auth-pause MS]
 *              [--group-commit on|off] [--tls-cert FILE --tls-key FILE]
 *              [--deliver-every SEC]
 *
 * (`capa serve ...` execs this binary.) SIGTERM or SIGINT stops it: the daemon stops
 * accepting, the requests in progress finish (each change is one engine transaction, so
 * nothing is ever half-written), the store is closed. The main thread does nothing but wait
 * for those signals, end the sessions whose sign-in binding no longer holds every second
 * and sweep expired sessions once a minute.
 */
#include "serve.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capa_report.h"
#include "lang.h"

static void usage(FILE *f)
{
    fputs("usage: capa serve [--listen HOST:PORT] [--db DIR] [--idle-timeout MIN]\n"
          "                  [--max-connections N] [--max-per-address N]\n"
          "                  [--header-timeout SEC] [--max-body BYTES] [--timeout SEC]\n"
          "                  [--font FILE] [--secure-cookie] [--auth-pause MS]\n"
          "                  [--group-commit on|off] [--tls-cert FILE --tls-key FILE]\n"
          "                  [--deliver-every SEC]\n"
          "Serves the web UI and the JSON API (/api/v1) of the database --db DIR, else\n"
          "$CAPA_DB, else ./var, on 127.0.0.1:8080 unless --listen. Sessions expire after\n"
          "--idle-timeout minutes without use (30). --secure-cookie behind a TLS proxy.\n"
          "--max-connections (64) in all, --max-per-address (16) from one client address;\n"
          "a request's header must be complete within --header-timeout seconds (10).\n"
          "After a wrong password the next attempt for that user waits --auth-pause ms\n"
          "(1000), doubling with each failure up to 60 s; the engine locks the account.\n"
          "--group-commit off commits one request per transaction (for benchmarks).\n"
          "--tls-cert FILE --tls-key FILE (PEM) serve HTTPS only: TLS 1.2/1.3, HSTS, cookies\n"
          "Secure.\n"
          "Notices that wait (capa config notify) are delivered every --deliver-every\n"
          "seconds (30; 0: not by the server, e.g. when the capa-deliver timer does).\n",
          f);
}

static int num(const sv_server *srv, const char *opt, const char *v, long min, long max, long *out)
{
    char *end = NULL;
    errno = 0;
    long n = v ? strtol(v, &end, 10) : 0;
    if (!v || !*v || *end || errno || n < min || n > max) {
        sv_reason w;
        char lo[24], hi[24];
        snprintf(lo, sizeof lo, "%ld", min);
        snprintf(hi, sizeof hi, "%ld", max);
        sv_reason_set(&w, "serve.number", v, "%s: expected a number from %ld to %ld", opt, min,
                      max);
        sv_reason_param(sv_reason_param(&w, "option", opt), "min", lo);
        sv_start_error(srv, NULL, sv_reason_param(&w, "max", hi));
        return -1;
    }
    *out = n;
    return 0;
}

int main(int argc, char **argv)
{
    const char *listen = "127.0.0.1:8080", *db = getenv("CAPA_DB");
    const char *tls_cert = NULL, *tls_key = NULL;
    int idle_sec = 0;
    long idle_min = 30, max_conn = 64, max_body = 1 << 20, timeout = 30, auth_pause = 1000;
    long per_addr = 16, header_s = 10, deliver_every = 30;
    sv_server srv;
    memset(&srv, 0, sizeof srv);
    srv.font = getenv("CAPA_FONT");
    /* The start-up errors' language: --lang zh|en|both (read before any other option, as the
     * CLI does), else the locale's. */
    srv.start_lang = (int)capa_lang_from_env();
    for (int i = 1; i < argc; i++) {
        const char *l = strncmp(argv[i], "--lang=", 7) == 0              ? argv[i] + 7
                        : strcmp(argv[i], "--lang") == 0 && i + 1 < argc ? argv[i + 1]
                                                                         : NULL;
        if (l && capa_lang_parse(l) >= 0) {
            srv.start_lang = capa_lang_parse(l);
            /* Given on purpose (capa --lang zh serve forwards it), it is also the pages'
             * language for a reader who chose none; without it they stay in both. */
            srv.page_lang = srv.start_lang == CAPA_LANG_ZH   ? SV_LANG_ZH
                            : srv.start_lang == CAPA_LANG_EN ? SV_LANG_EN
                                                             : SV_LANG_BOTH;
        }
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        char name[64];
        const char *eq = strchr(a, '=');
        if (strncmp(a, "--", 2) == 0 && eq && (size_t)(eq - a) < sizeof name) {
            memcpy(name, a, (size_t)(eq - a));
            name[eq - a] = '\0';
            a = name;
            v = eq + 1;
        }
#define ARG() (v ? v : (i + 1 < argc ? argv[++i] : NULL))
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--lang") == 0) {
            const char *l = ARG();
            if (capa_lang_parse(l) < 0) {
                sv_reason w;
                sv_reason_set(&w, "cli.choice", l ? l : "", "--lang: expected zh, en or both");
                sv_reason_param(&w, "option", "--lang");
                sv_start_error(&srv, NULL, sv_reason_param(&w, "choices", "zh, en, both"));
                return 2;
            }
        } else if (strcmp(a, "--listen") == 0 || strcmp(a, "--db") == 0 ||
                   strcmp(a, "--font") == 0) {
            /* Each option checks its own value: the order of options does not matter. */
            const char *val = ARG();
            if (!val) {
                sv_start_said(&srv, "serve.needs_value", NULL, a, "%s needs a value", a);
                return 2;
            }
            *(a[2] == 'l' ? &listen : a[2] == 'd' ? &db : &srv.font) = val;
        } else if (strcmp(a, "--tls-cert") == 0) {
            if (!(tls_cert = ARG()) || !*tls_cert) {
                sv_start_said(&srv, "serve.needs_file", NULL, "--tls-cert",
                              "--tls-cert needs a file");
                return 2;
            }
        } else if (strcmp(a, "--tls-key") == 0) {
            if (!(tls_key = ARG()) || !*tls_key) {
                sv_start_said(&srv, "serve.needs_file", NULL, "--tls-key",
                              "--tls-key needs a file");
                return 2;
            }
        } else if (strcmp(a, "--secure-cookie") == 0) {
            srv.secure_cookie = 1;
        } else if (strcmp(a, "--idle-timeout") == 0) {
            /* Minutes; "Ns" gives seconds (for tests of expiry). */
            const char *t = ARG();
            char sec[32];
            size_t tl = t ? strlen(t) : 0;
            if (tl > 1 && tl < sizeof sec && t[tl - 1] == 's') {
                memcpy(sec, t, tl - 1);
                sec[tl - 1] = '\0';
                if (num(&srv, a, sec, 1, 24 * 3600, &idle_min))
                    return 2;
                idle_sec = 1;
            } else if (num(&srv, a, t, 1, 24 * 60, &idle_min))
                return 2;
        } else if (strcmp(a, "--max-connections") == 0) {
            if (num(&srv, a, ARG(), 1, 10000, &max_conn))
                return 2;
        } else if (strcmp(a, "--max-per-address") == 0) {
            if (num(&srv, a, ARG(), 1, 10000, &per_addr))
                return 2;
        } else if (strcmp(a, "--header-timeout") == 0) {
            if (num(&srv, a, ARG(), 1, 3600, &header_s))
                return 2;
        } else if (strcmp(a, "--max-body") == 0) {
            if (num(&srv, a, ARG(), 1024, 64L << 20, &max_body))
                return 2;
        } else if (strcmp(a, "--group-commit") == 0) {
            const char *g = ARG();
            if (!g || (strcmp(g, "on") && strcmp(g, "off"))) {
                sv_reason w;
                sv_reason_set(&w, "cli.choice", g ? g : "", "--group-commit: expected on or off");
                sv_reason_param(&w, "option", "--group-commit");
                sv_start_error(&srv, NULL, sv_reason_param(&w, "choices", "on, off"));
                return 2;
            }
            srv.serial_commit = strcmp(g, "off") == 0;
        } else if (strcmp(a, "--auth-pause") == 0) {
            if (num(&srv, a, ARG(), 10, 60000, &auth_pause))
                return 2;
        } else if (strcmp(a, "--deliver-every") == 0) {
            if (num(&srv, a, ARG(), 0, 24 * 3600, &deliver_every))
                return 2;
        } else if (strcmp(a, "--timeout") == 0) {
            if (num(&srv, a, ARG(), 1, 3600, &timeout))
                return 2;
        } else {
            sv_start_said(&srv, "cli.unknown_option", argv[i], NULL, "unknown option '%s'",
                          argv[i]);
            usage(stderr);
            return 2;
        }
#undef ARG
    }
    if (!tls_cert != !tls_key) {
        sv_reason w;
        sv_reason_set(&w, "serve.needs", NULL, "%s needs %s as well",
                      tls_cert ? "--tls-cert" : "--tls-key",
                      tls_cert ? "--tls-key FILE" : "--tls-cert FILE");
        sv_reason_param(&w, "option", tls_cert ? "--tls-cert" : "--tls-key");
        sv_start_error(
            &srv, NULL,
            sv_reason_param(&w, "other", tls_cert ? "--tls-key FILE" : "--tls-cert FILE"));
        return 2;
    }
    if (tls_cert && sv_tls_load(&srv, tls_cert, tls_key))
        return 1;
    if (!db)
        db = "./var";
    srv.db = db;
    srv.idle_ms = (int64_t)idle_min * (idle_sec ? 1000 : 60000);
    srv.max_body = (size_t)max_body;
    srv.header_ms = (int)header_s * 1000;
    if (per_addr > max_conn)
        per_addr = max_conn;
    sv_throttle_init((int)auth_pause);
    pthread_mutex_init(&srv.lock, NULL);
    pthread_mutex_init(&srv.commit_lock, NULL);
    const char *keys = getenv("CAPA_KEYS");
    snprintf(srv.keys_dir, sizeof srv.keys_dir, "%s", keys && *keys ? keys : "");
    if (!srv.keys_dir[0])
        snprintf(srv.keys_dir, sizeof srv.keys_dir, "%s/keys", db);

    capa_form_init();
    capa_open_opts oo = {0};
    int rc = capa_store_open(&srv.s, db, &oo);
    if (rc == CAPA_ENOTFOUND) {
        /* No store at `db`: said as the CLI says it (cli.no_store), with the db first. */
        sv_reason w;
        sv_reason_set(&w, "cli.no_store", NULL,
                      "no capa database here (create one with `capa init`, or point --db / "
                      "CAPA_DB at one)");
        sv_reason_param(sv_reason_param(&w, "option", "--db"), "env", "CAPA_DB");
        sv_start_error(&srv, db, sv_reason_param(&w, "prog", "capa"));
        sv_tls_free(&srv);
        return 1;
    }
    if (rc) {
        char *m = capa_lang_error_last(rc ? rc : CAPA_ERROR, (capa_lang)srv.start_lang, 0);
        fprintf(stderr, "capa serve: %s: %s\n", db, m ? m : capa_error_last());
        free(m);
        sv_tls_free(&srv);
        return 1;
    }
    const capa_workflow *wf = NULL;
    if ((rc = capa_store_workflow(&wf, srv.s)) != CAPA_OK) {
        char *m = capa_lang_error_last(rc ? rc : CAPA_ERROR, (capa_lang)srv.start_lang, 0);
        fprintf(stderr, "capa serve: %s: %s\n", db, m ? m : capa_error_last());
        free(m);
        capa_store_close(srv.s);
        sv_tls_free(&srv);
        return 1;
    }
    /* Creates volatile_sessions before any thread exists, and drops what expired while the
     * server was down. */
    sv_session_sweep(&srv);

    /* Every thread the daemon starts inherits this mask: the signals come to sigwait. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    int port = 0;
    void *d = sv_http_start(&srv, listen, (unsigned)max_conn, (unsigned)per_addr,
                            (unsigned)timeout, 64 * 1024, &port);
    if (!d) {
        capa_store_close(srv.s);
        sv_tls_free(&srv);
        return 1;
    }
    char host[256];
    snprintf(host, sizeof host, "%.*s", (int)(strrchr(listen, ':') - listen), listen);
    if (sv_deliver_start(&srv, deliver_every)) {
        sv_http_stop(d);
        capa_store_close(srv.s);
        sv_tls_free(&srv);
        return 1;
    }
    fprintf(stderr, "capa serve: listening on %s://%s:%d/ (database %s)\n",
            srv.tls_cert ? "https" : "http", host, port, db);
    fflush(stderr);
    for (int tick = 1;; tick++) {
        struct timespec ts = {1, 0};
        int sig = sigtimedwait(&set, NULL, &ts);
        if (sig == SIGTERM || sig == SIGINT) {
            fprintf(stderr, "capa serve: %s: stopping\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
            break;
        }
        /* A password changed, an account locked elsewhere (the CLI, another server) ends the
         * sessions resting on it within a second, used or not. */
        sv_session_recheck(&srv);
        if (tick % 60 == 0)
            sv_session_sweep(&srv);
    }
    sv_http_stop(d);
    sv_deliver_stop();
    capa_store_close(srv.s);
    sv_tls_free(&srv);
    pthread_mutex_lock(&srv.lock);
    if (srv.bound)
        explicit_bzero(srv.bound, srv.cap_bound * sizeof *srv.bound);
    free(srv.bound);
    pthread_mutex_unlock(&srv.lock);
    fprintf(stderr, "capa serve: stopped\n");
    return 0;
}
