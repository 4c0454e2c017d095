/*
 * deliver.h - sending the notices that wait in the store (`capa deliver`, and capa-serve in a
 * background thread): WeCom and DingTalk group robots with @-mentions, DingTalk's signed
 * robots, e-mail over SMTP; at least once, with back-off, within each channel's rate limit.
 * Shared by the two tools; core derives what waits and records what was taken.
 */
#ifndef CAPA_NOTIFY_DELIVER_H
#define CAPA_NOTIFY_DELIVER_H

#include <stddef.h>
#include <stdint.h>

#include "capa.h"

/** Messages a robot takes per minute (WeCom and DingTalk group robots both say 20). */
#define NOTIFY_ROBOT_PER_MINUTE 20

/** What one run did. */
typedef struct notify_run {
    size_t messages;  /**< posts and mails sent */
    size_t digests;   /**< of which digests (rate limit reached) */
    size_t delivered; /**< deliveries recorded as taken */
    size_t waiting;   /**< deliveries left in the store */
    size_t failed;    /**< targets that failed this run */
    int skipped;      /**< another run held the lock (wait 0) */
} notify_run;

/** A line for the log (stderr of `capa deliver`, the journal of capa-serve): its English
 *  sentence, and the same as a catalogue rule (tools/lang/lang.c, "deliver.*") with its
 *  parameters p[0..n), for a reader in another language. */
typedef void (*notify_log_fn)(const char *line, const char *rule, const capa_refusal_param *p,
                              size_t n, void *payload);

/**
 * POST a JSON body to a receiver (a WeCom / DingTalk group robot, or any JSON endpoint): 0 when
 * it took it (2xx and, when `robot`, no errcode other than 0 in the answer), else -1 with the
 * reason in `why`. `agent` is the User-Agent; `timeout` in seconds. The one sender of
 * `capa deliver`, capa-serve's background delivery and `capa escalate --notify`.
 */
int notify_post(const char *url, const char *body, int robot, const char *agent, long timeout,
                char *why, size_t whysz);

/**
 * Deliver what waits: every target in turn (a failing one never holds up the others), each
 * within its rate limit (what does not fit goes as one digest naming every case), a failed
 * target retried after a back-off of 30 s doubling to 1 h. One run at a time per store (a
 * lock file `deliver.lock` in `dir`; `wait` 0, for the server's frequent runs: return at once
 * with skipped set when held, and log nothing of targets that only wait).
 * `timeout` is per request in seconds. curl_global_init must have been called.
 * @return CAPA_OK (failed targets are counted, not errors) or a store error.
 */
int notify_deliver(capa_store *s, const char *dir, long timeout, int wait, notify_run *out,
                   notify_log_fn log, void *payload);

/** Forget a target's back-off so the next run tries it at once (the outbox page's retry). */
int notify_retry(capa_store *s, const char *target);

/** A target's delivery state: attempts failed in a row, next try (ms), last error, last
 *  success (ms). Strings freed with capa__free; CAPA_ENOTFOUND when it never failed. */
int notify_state(capa_store *s, const char *target, int *attempts, int64_t *next, int64_t *last_ok,
                 char **error);

#endif
