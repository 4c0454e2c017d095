/*
 * deliver.c - sending the notices that wait in the store (see deliver.h).
 *
 * core derives, from every hand-over, one pending delivery per target (notify.c); this walks
 * them target by target. Robots get one text message per notice, mentioning the people
 * concerned by mobile (WeCom `mentioned_mobile_list`; DingTalk `at.atMobiles` and "@mobile"
 * in the text), at most NOTIFY_ROBOT_PER_MINUTE in any 60 s (the send times are kept in
 * volatile_notify_rate, so back-to-back runs count together); what does not fit goes as one
 * digest naming every case. A DingTalk robot with a secret (加签) gets `timestamp` and `sign`
 * per request. SMTP mails the people concerned, plain text and HTML (curl's MIME API) with a
 * link to the case. What a target took is recorded as a "deliver" event after each target; a
 * crash in between sends it again (at least once). A target that fails is left for a
 * back-off (volatile_notify_state) and the others go on.
 */
#include "deliver.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#define RATE_DB "notify_rate"
#define STATE_DB "notify_state"
#define REPLY_MAX 4096
#define BACKOFF_FIRST_MS 30000
#define BACKOFF_MAX_MS 3600000

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A log line: the English sentence, and the same as catalogue rule `rule` (tools/lang) with
 * the name, value pairs of kv (NULL-ended) for a reader in another language. */
static void logf_(notify_log_fn log, void *payload, const char *rule, const char *const *kv,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void logf_(notify_log_fn log, void *payload, const char *rule, const char *const *kv,
                  const char *fmt, ...)
{
    char line[1200];
    capa_refusal_param p[8];
    size_t n = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    for (; kv && kv[2 * n] && n < 8; n++)
        p[n] = (capa_refusal_param){kv[2 * n], kv[2 * n + 1]};
    if (log)
        log(line, rule, p, n, payload);
}

/* A count as text into buf[24], for a log line's parameters. */
static const char *num(char *buf, unsigned long long v)
{
    snprintf(buf, 24, "%llu", v);
    return buf;
}
#define NUM(buf, v) num(buf, (unsigned long long)(v))

/* ---- a growing string ---- */

typedef struct str {
    char *p;
    size_t len, cap;
    int oom;
} str;

static void add(str *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(str *s, const char *fmt, ...)
{
    va_list ap;
    for (int tries = 0; tries < 2 && !s->oom; tries++) {
        va_start(ap, fmt);
        int n = vsnprintf(s->p ? s->p + s->len : NULL, s->p ? s->cap - s->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            s->oom = 1;
            return;
        }
        if (s->p && s->len + (size_t)n < s->cap) {
            s->len += (size_t)n;
            return;
        }
        size_t cap = (s->cap + (size_t)n + 1) * 2;
        char *np = realloc(s->p, cap);
        if (!np) {
            s->oom = 1;
            return;
        }
        s->p = np;
        s->cap = cap;
    }
}

/* HTML-escaped text. */
static void add_html(str *s, const char *t)
{
    for (; *t; t++) {
        switch (*t) {
        case '<':
            add(s, "&lt;");
            break;
        case '>':
            add(s, "&gt;");
            break;
        case '&':
            add(s, "&amp;");
            break;
        case '"':
            add(s, "&quot;");
            break;
        case '\'':
            add(s, "&#39;");
            break;
        default:
            add(s, "%c", *t);
        }
    }
}

/* ---- what a notice says ---- */

static const char *why_label(const char *why)
{
    if (strstr(why, "sign"))
        return "签署 sign";
    if (strstr(why, "fill"))
        return "填写 fill in";
    return "首问负责人 owner";
}

/* One line: what happened to the case. */
static void headline(str *s, const capa_notice *x)
{
    if (strcmp(x->kind, "returned") == 0)
        add(s, "%s 被退回「%s」/ sent back to %s", x->number, x->stage, x->stage);
    else if (strcmp(x->kind, "closed") == 0)
        add(s, "%s 已结案 / closed", x->number);
    else if (strcmp(x->kind, "owner") == 0)
        add(s, "%s 首问负责人变更 / new first-contact owner", x->number);
    else
        add(s, "%s 进入「%s」/ entered stage %s", x->number, x->stage, x->stage);
}

static void link_to(str *s, const capa_notify_target *tg, const capa_notice *x)
{
    if (!*tg->link)
        return;
    char *esc = curl_easy_escape(NULL, x->number, 0);
    size_t l = strlen(tg->link);
    add(s, "%s%s/cases/%s", tg->link, "", esc ? esc : x->number);
    (void)l;
    curl_free(esc);
}

/* The text of one notice for a robot or the plain part of a mail. */
static void notice_text(str *s, const capa_notify_target *tg, const capa_notice *x, int at)
{
    add(s, "【品质异常 CAPA】");
    headline(s, x);
    add(s, "\n%s %s (%s → %s)", "操作 By:", x->actor, *x->from ? x->from : "-", x->stage);
    if (*x->reason)
        add(s, "\n原因 Reason: %s", x->reason);
    add(s, "\n通知 To:");
    for (size_t i = 0; i < x->n_to; i++)
        add(s, "%s %s (%s, %s)", i ? "," : "", *x->to[i].name ? x->to[i].name : x->to[i].user,
            x->to[i].user, why_label(x->to[i].why));
    if (*tg->link) {
        add(s, "\n链接 Link: ");
        link_to(s, tg, x);
    }
    if (at) {
        add(s, "\n");
        for (size_t i = 0; i < x->n_to; i++)
            if (*x->to[i].mobile)
                add(s, "@%s ", x->to[i].mobile);
    }
}

/* The mobiles of the people of notices a[0..n), each once, as a JSON array. */
static json_t *mobiles(const capa_notice *a, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        for (size_t j = 0; j < a[i].n_to; j++) {
            const char *m = a[i].to[j].mobile;
            int seen = !*m;
            for (size_t k = 0; !seen && k < json_array_size(arr); k++)
                seen = strcmp(json_string_value(json_array_get(arr, k)), m) == 0;
            if (!seen)
                json_array_append_new(arr, json_string(m));
        }
    return arr;
}

/* The body posted to a robot for notices a[0..n): one notice, or a digest of n. */
static char *robot_body(const capa_notify_target *tg, const capa_notice *a, size_t n)
{
    str s = {0};
    int ding = strcmp(tg->kind, "dingtalk") == 0;
    if (n == 1) {
        notice_text(&s, tg, a, ding);
    } else {
        add(&s,
            "【品质异常 CAPA】另有 %zu 条通知（每分钟最多 %d 条）/ %zu more notices (at most %d a "
            "minute):",
            n, NOTIFY_ROBOT_PER_MINUTE, n, NOTIFY_ROBOT_PER_MINUTE);
        for (size_t i = 0; i < n; i++) {
            add(&s, "\n- ");
            headline(&s, &a[i]);
            add(&s, " →");
            for (size_t j = 0; j < a[i].n_to; j++)
                add(&s, " %s", *a[i].to[j].name ? a[i].to[j].name : a[i].to[j].user);
        }
        if (ding) {
            json_t *m = mobiles(a, n);
            add(&s, "\n");
            for (size_t k = 0; m && k < json_array_size(m); k++)
                add(&s, "@%s ", json_string_value(json_array_get(m, k)));
            json_decref(m);
        }
    }
    if (s.oom) {
        free(s.p);
        return NULL;
    }
    json_t *doc = json_object(), *text = json_object(), *m = mobiles(a, n);
    char *body = NULL;
    if (doc && text && m) {
        json_object_set_new(doc, "msgtype", json_string("text"));
        json_object_set_new(text, "content", json_string(s.p));
        if (ding) {
            json_t *at = json_object();
            json_object_set_new(at, "atMobiles", m);
            json_object_set_new(at, "isAtAll", json_false());
            json_object_set_new(doc, "at", at);
        } else {
            json_object_set_new(text, "mentioned_mobile_list", m);
        }
        m = NULL;
        json_object_set_new(doc, "text", text);
        text = NULL;
        body = json_dumps(doc, JSON_COMPACT);
    }
    json_decref(m);
    json_decref(text);
    json_decref(doc);
    free(s.p);
    return body;
}

/* ---- HTTP ---- */

typedef struct reply {
    char buf[REPLY_MAX + 1];
    size_t len;
} reply;

static size_t on_reply(char *data, size_t size, size_t n, void *payload)
{
    reply *r = payload;
    size_t got = size * n, room = REPLY_MAX - r->len;
    memcpy(r->buf + r->len, data, got < room ? got : room);
    r->len += got < room ? got : room;
    r->buf[r->len] = 0;
    return got;
}

/* The URL of one request to a DingTalk robot with a secret: `timestamp` (ms) and `sign` =
 * urlencode(base64(HMAC-SHA256(secret, timestamp "\n" secret))). Freed with free(). */
static char *signed_url(const char *url, const char *secret)
{
    char ts[24], msg[600];
    unsigned char mac[32];
    unsigned char b64[64];
    unsigned int len = 0;
    snprintf(ts, sizeof ts, "%lld", (long long)now_ms());
    snprintf(msg, sizeof msg, "%s\n%s", ts, secret);
    if (!HMAC(EVP_sha256(), secret, (int)strlen(secret), (unsigned char *)msg, strlen(msg), mac,
              &len) ||
        len != 32)
        return NULL;
    EVP_EncodeBlock(b64, mac, 32);
    char *sign = curl_easy_escape(NULL, (char *)b64, 0);
    str s = {0};
    if (sign)
        add(&s, "%s%ctimestamp=%s&sign=%s", url, strchr(url, '?') ? '&' : '?', ts, sign);
    curl_free(sign);
    if (s.oom || !sign) {
        free(s.p);
        return NULL;
    }
    return s.p;
}

int notify_post(const char *url, const char *body, int robot, const char *agent, long timeout,
                char *why, size_t whysz)
{
    CURL *h = curl_easy_init();
    struct curl_slist *hdrs =
        curl_slist_append(NULL, "Content-Type: application/json; charset=utf-8");
    reply *r = calloc(1, sizeof *r);
    char cerr[CURL_ERROR_SIZE] = "";
    long status = 0;
    int rc = -1;
    if (!h || !hdrs || !r) {
        snprintf(why, whysz, "out of memory");
        goto done;
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, timeout);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_reply);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(h, CURLOPT_USERAGENT, agent);
    CURLcode cc = curl_easy_perform(h);
    if (cc != CURLE_OK) {
        snprintf(why, whysz, "%s", *cerr ? cerr : curl_easy_strerror(cc));
        goto done;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299) {
        snprintf(why, whysz, "HTTP status %ld", status);
        goto done;
    }
    /* The robots answer 200 with {"errcode": N, "errmsg": ...}; N other than 0 is a refusal. */
    json_t *doc = robot ? json_loads(r->buf, 0, NULL) : NULL;
    json_t *code = doc ? json_object_get(doc, "errcode") : NULL;
    if (json_is_integer(code) && json_integer_value(code) != 0) {
        const char *msg = json_string_value(json_object_get(doc, "errmsg"));
        snprintf(why, whysz, "refused: errcode %lld %.200s", (long long)json_integer_value(code),
                 msg ? msg : "");
        json_decref(doc);
        goto done;
    }
    json_decref(doc);
    rc = 0;
done:
    curl_slist_free_all(hdrs);
    if (h)
        curl_easy_cleanup(h);
    free(r);
    return rc;
}

/* ---- SMTP ---- */

/* RFC 2047 encoded-word of a UTF-8 subject. */
static void add_subject(str *s, const char *subject)
{
    size_t n = strlen(subject);
    unsigned char *b64 = malloc(4 * ((n + 2) / 3) + 1);
    if (!b64) {
        s->oom = 1;
        return;
    }
    EVP_EncodeBlock(b64, (const unsigned char *)subject, (int)n);
    add(s, "Subject: =?UTF-8?B?%s?=", b64);
    free(b64);
}

/* Mail one notice to the people concerned who have an address; 0 when the server took it
 * (or nobody has an address: *none set), else -1 with why. */
static int mail(const capa_notify_target *tg, const char *url, const capa_notice *x, long timeout,
                int *none, char *why, size_t whysz)
{
    CURL *h = curl_easy_init();
    struct curl_slist *rcpt = NULL, *hdrs = NULL, *inline_hdr = NULL;
    curl_mime *mime = NULL, *alt = NULL;
    str plain = {0}, html = {0}, to = {0}, subj = {0}, from = {0}, subject = {0};
    char cerr[CURL_ERROR_SIZE] = "", addr[300];
    int rc = -1;
    *none = 1;
    for (size_t i = 0; i < x->n_to; i++) {
        if (!*x->to[i].email)
            continue;
        snprintf(addr, sizeof addr, "<%s>", x->to[i].email);
        struct curl_slist *n = curl_slist_append(rcpt, addr);
        if (!n)
            goto oom;
        rcpt = n;
        add(&to, "%s%s", *none ? "To: " : ", ", x->to[i].email);
        *none = 0;
    }
    if (*none) {
        rc = 0;
        goto done;
    }
    if (!h)
        goto oom;
    notice_text(&plain, tg, x, 0);
    add(&html, "<html><body><p><b>");
    str head = {0};
    headline(&head, x);
    add_html(&html, head.p ? head.p : "");
    add(&html, "</b></p><p>操作 By: ");
    add_html(&html, x->actor);
    add(&html, " (");
    add_html(&html, *x->from ? x->from : "-");
    add(&html, " &rarr; ");
    add_html(&html, x->stage);
    add(&html, ")</p>");
    if (*x->reason) {
        add(&html, "<p>原因 Reason: ");
        add_html(&html, x->reason);
        add(&html, "</p>");
    }
    add(&html, "<ul>");
    for (size_t i = 0; i < x->n_to; i++) {
        add(&html, "<li>");
        add_html(&html, *x->to[i].name ? x->to[i].name : x->to[i].user);
        add(&html, " (");
        add_html(&html, x->to[i].user);
        add(&html, ", %s)</li>", why_label(x->to[i].why));
    }
    add(&html, "</ul>");
    if (*tg->link) {
        str l = {0};
        link_to(&l, tg, x);
        add(&html, "<p><a href=\"");
        add_html(&html, l.p ? l.p : "");
        add(&html, "\">");
        add_html(&html, x->number);
        add(&html, "</a></p>");
        free(l.p);
    }
    add(&html, "</body></html>");
    add(&subject, "[CAPA] ");
    headline(&subject, x);
    free(head.p);
    add_subject(&subj, subject.p ? subject.p : "");
    add(&from, "From: CAPA <%s>", tg->from);
    snprintf(addr, sizeof addr, "<%s>", tg->from);
    if (plain.oom || html.oom || to.oom || subj.oom || from.oom || subject.oom)
        goto oom;
    if (!(hdrs = curl_slist_append(hdrs, from.p)) || !curl_slist_append(hdrs, to.p) ||
        !curl_slist_append(hdrs, subj.p))
        goto oom;
    mime = curl_mime_init(h);
    alt = curl_mime_init(h);
    curl_mimepart *part;
    if (!mime || !alt || !(part = curl_mime_addpart(alt)))
        goto oom;
    curl_mime_data(part, plain.p, CURL_ZERO_TERMINATED);
    curl_mime_type(part, "text/plain; charset=utf-8");
    curl_mime_encoder(part, "base64");
    if (!(part = curl_mime_addpart(alt)))
        goto oom;
    curl_mime_data(part, html.p, CURL_ZERO_TERMINATED);
    curl_mime_type(part, "text/html; charset=utf-8");
    curl_mime_encoder(part, "base64");
    if (!(part = curl_mime_addpart(mime)))
        goto oom;
    curl_mime_subparts(part, alt);
    alt = NULL; /* owned by mime now */
    curl_mime_type(part, "multipart/alternative");
    if (!(inline_hdr = curl_slist_append(NULL, "Content-Disposition: inline")))
        goto oom;
    curl_mime_headers(part, inline_hdr, 1);
    inline_hdr = NULL;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, timeout);
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, addr);
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_MIMEPOST, mime);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
    CURLcode cc = curl_easy_perform(h);
    if (cc != CURLE_OK)
        snprintf(why, whysz, "%s", *cerr ? cerr : curl_easy_strerror(cc));
    else
        rc = 0;
    goto done;
oom:
    snprintf(why, whysz, "out of memory");
done:
    curl_mime_free(alt);
    curl_mime_free(mime);
    curl_slist_free_all(inline_hdr);
    curl_slist_free_all(hdrs);
    curl_slist_free_all(rcpt);
    if (h)
        curl_easy_cleanup(h);
    free(plain.p), free(html.p), free(to.p), free(subj.p), free(from.p), free(subject.p);
    return rc;
}

/* ---- rate and back-off state (volatile: not records) ---- */

/* The send times of `target` within the last minute before now, at most max. */
static size_t rate_load(capa_store *s, const char *target, int64_t now, int64_t *times, size_t max)
{
    void *val = NULL;
    size_t n = 0;
    if (capa_volatile_get(&val, NULL, s, RATE_DB, target) != CAPA_OK)
        return 0;
    for (char *p = val; *p && n < max;) {
        char *end;
        long long t = strtoll(p, &end, 10);
        if (end == p)
            break;
        if (t > now - 60000 && t <= now)
            times[n++] = t;
        p = end;
    }
    capa__free(val);
    return n;
}

static void rate_save(capa_store *s, const char *target, const int64_t *times, size_t n)
{
    str v = {0};
    for (size_t i = 0; i < n; i++)
        add(&v, "%lld ", (long long)times[i]);
    if (!v.oom)
        capa_volatile_put(s, RATE_DB, target, v.p ? v.p : "", v.len);
    free(v.p);
}

int notify_state(capa_store *s, const char *target, int *attempts, int64_t *next, int64_t *last_ok,
                 char **error)
{
    void *val = NULL;
    *attempts = 0;
    *next = *last_ok = 0;
    *error = NULL;
    int err = capa_volatile_get(&val, NULL, s, STATE_DB, target);
    if (err)
        return err;
    long long a = 0, nx = 0, ok = 0;
    int used = 0;
    if (sscanf(val, "%lld %lld %lld %n", &a, &nx, &ok, &used) >= 3) {
        *attempts = (int)a;
        *next = nx;
        *last_ok = ok;
        *error = capa__strdup((char *)val + used);
    }
    capa__free(val);
    return CAPA_OK;
}

static void state_save(capa_store *s, const char *target, int attempts, int64_t next,
                       int64_t last_ok, const char *error)
{
    char v[800];
    int n = snprintf(v, sizeof v, "%d %lld %lld %s", attempts, (long long)next, (long long)last_ok,
                     error ? error : "");
    capa_volatile_put(s, STATE_DB, target, v, (size_t)(n < (int)sizeof v ? n : (int)sizeof v - 1));
}

int notify_retry(capa_store *s, const char *target)
{
    int attempts;
    int64_t next, ok;
    char *error = NULL;
    int err = notify_state(s, target, &attempts, &next, &ok, &error);
    if (!err)
        state_save(s, target, attempts, 0, ok, error);
    capa__free(error);
    return err == CAPA_ENOTFOUND ? CAPA_OK : err;
}

/* ---- one target ---- */

typedef struct tctx {
    capa_store *s;
    long timeout;
    notify_run *run;
    notify_log_fn log;
    void *payload;
    int quiet; /* say nothing of targets that only wait (the server, every few seconds) */
} tctx;

static int record(tctx *c, capa_notice_ref *refs, size_t n)
{
    int err = capa_notices_delivered(c->s, refs, n);
    if (err) {
        char k[24];
        const char *kv[] = {"count", NUM(k, n), "detail", capa_error_last(), NULL};
        logf_(c->log, c->payload, "deliver.record", kv, "deliver: recording %zu deliveries: %s", n,
              capa_error_last());
    } else {
        c->run->delivered += n;
    }
    return err;
}

/* Deliver a[0..n) (all pending for target tg). */
static int one_target(tctx *c, const capa_notify_target *tg, capa_notice *a, size_t n)
{
    int attempts = 0, err = CAPA_OK, failed = 0;
    int64_t next = 0, last_ok = 0, now = now_ms();
    char *old_error = NULL, *url = NULL, *secret = NULL, why[600] = "";
    capa_notice_ref *refs = calloc(n, sizeof *refs);
    size_t nref = 0;
    if (!refs)
        return capa_error_set(CAPA_ENOMEM, "deliver: out of memory");
    notify_state(c->s, tg->name, &attempts, &next, &last_ok, &old_error);
    if (next > now) {
        char when[40];
        capa_time_format(when, sizeof when, next);
        char k[24], f[24];
        const char *kv[] = {"target", tg->name, "count",   NUM(k, n), "failures",
                            NUM(f, attempts), "when", when,      NULL};
        logf_(c->quiet ? NULL : c->log, c->payload, "deliver.backoff", kv,
              "deliver: target %s: %zu notice(s) wait; after %d failure(s) it is tried again at "
              "%s",
              tg->name, n, attempts, when);
        goto done;
    }
    if ((err = capa_notify_target_secret(&url, &secret, c->s, tg->name))) {
        snprintf(why, sizeof why, "%s", capa_error_last());
        err = CAPA_OK;
        failed = 1;
        goto done;
    }
    int robot = strcmp(tg->kind, "smtp") != 0;
    int64_t times[NOTIFY_ROBOT_PER_MINUTE];
    size_t sent = robot ? rate_load(c->s, tg->name, now, times, NOTIFY_ROBOT_PER_MINUTE) : 0;
    size_t room = robot ? NOTIFY_ROBOT_PER_MINUTE - sent : n;
    size_t singles = n <= room ? n : room ? room - 1 : 0;
    if (robot && room == 0) {
        char k[24], m[24];
        const char *kv[] = {"target", tg->name, "max", NUM(m, NOTIFY_ROBOT_PER_MINUTE),
                            "count",  NUM(k, n), NULL};
        logf_(c->quiet ? NULL : c->log, c->payload, "deliver.rate_wait", kv,
              "deliver: target %s: %d messages in the last minute; %zu notice(s) wait", tg->name,
              NOTIFY_ROBOT_PER_MINUTE, n);
        goto done;
    }
    for (size_t i = 0; i < n && !failed; i++) {
        int digest = i >= singles;
        size_t count = digest ? n - i : 1;
        int none = 0;
        if (robot) {
            char *body = robot_body(tg, &a[i], count);
            char *u = body && *secret ? signed_url(url, secret) : NULL;
            if (!body || (*secret && !u)) {
                snprintf(why, sizeof why, "out of memory");
                failed = 1;
            } else if (notify_post(u ? u : url, body, 1, "capa-deliver", c->timeout, why,
                                   sizeof why) != 0) {
                failed = 1;
            }
            free(u);
            free(body);
        } else if (mail(tg, url, &a[i], c->timeout, &none, why, sizeof why) != 0) {
            failed = 1;
        }
        if (failed)
            break;
        if (none) {
            char e[24];
            const char *kv[] = {"target", tg->name, "event", NUM(e, a[i].seq), "number",
                                a[i].number, NULL};
            logf_(c->log, c->payload, "deliver.no_email", kv,
                  "deliver: target %s: notice of event %llu (%s): nobody concerned has an e-mail "
                  "address",
                  tg->name, (unsigned long long)a[i].seq, a[i].number);
        } else {
            c->run->messages++;
        }
        if (robot && !none) {
            /* Keep the last minute's sends (oldest out). */
            if (sent == NOTIFY_ROBOT_PER_MINUTE) {
                memmove(times, times + 1, (sent - 1) * sizeof *times);
                sent--;
            }
            times[sent++] = now_ms();
        }
        for (size_t j = i; j < i + count; j++)
            refs[nref++] = (capa_notice_ref){a[j].seq, tg->name};
        if (digest) {
            c->run->digests++;
            char k[24], m[24];
            const char *kv[] = {"target", tg->name, "max", NUM(m, NOTIFY_ROBOT_PER_MINUTE),
                                "count",  NUM(k, count), NULL};
            logf_(c->log, c->payload, "deliver.digest", kv,
                  "deliver: target %s: rate limit %d a minute: %zu notice(s) sent as one digest",
                  tg->name, NOTIFY_ROBOT_PER_MINUTE, count);
            break;
        }
    }
    if (robot)
        rate_save(c->s, tg->name, times, sent);
    if (nref)
        err = record(c, refs, nref);
    char k1[24], k2[24];
    const char *kv1[] = {"target", tg->name, "kind", tg->kind, "done", NUM(k1, nref),
                         "count",  NUM(k2, n), NULL};
    logf_(c->log, c->payload, "deliver.target", kv1,
          "deliver: target %s (%s): %zu of %zu notice(s) delivered", tg->name, tg->kind, nref, n);
done:
    if (failed) {
        attempts++;
        int64_t wait = BACKOFF_FIRST_MS;
        for (int k = 1; k < attempts && wait < BACKOFF_MAX_MS; k++)
            wait *= 2;
        if (wait > BACKOFF_MAX_MS)
            wait = BACKOFF_MAX_MS;
        char when[40];
        capa_time_format(when, sizeof when, now + wait);
        state_save(c->s, tg->name, attempts, now + wait, last_ok, why);
        c->run->failed++;
        char k[24];
        const char *kv[] = {"target", tg->name, "detail", why, "count", NUM(k, n - nref),
                            "when",   when,     NULL};
        logf_(c->log, c->payload, "deliver.failed", kv,
              "deliver: target %s: not delivered: %s; %zu notice(s) stay and are tried again at "
              "%s",
              tg->name, why, n - nref, when);
    } else if (nref) {
        state_save(c->s, tg->name, 0, 0, now_ms(), "");
    }
    capa__free(old_error);
    capa__free(url);
    capa__free(secret);
    free(refs);
    return err;
}

int notify_deliver(capa_store *s, const char *dir, long timeout, int wait, notify_run *out,
                   notify_log_fn log, void *payload)
{
    capa_notify_target *tgs = NULL;
    capa_notice *box = NULL;
    size_t nt = 0, nb = 0;
    char lock_path[4200];
    memset(out, 0, sizeof *out);
    snprintf(lock_path, sizeof lock_path, "%s/deliver.lock", dir);
    int fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EACCES && errno != EROFS)
        return capa_error_set(CAPA_ERROR, "deliver: %s: %s", lock_path, strerror(errno));
    if (fd >= 0 && flock(fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK) {
            out->skipped = 1;
            return CAPA_OK;
        }
        return capa_error_set(CAPA_ERROR, "deliver: %s: %s", lock_path, strerror(e));
    }
    int err = capa_notify_targets(&tgs, &nt, s);
    if (!err)
        err = capa_notices_pending(&box, &nb, s);
    tctx c = {s, timeout, out, log, payload, !wait};
    /* The pending list is in event order, then target: take each target's part in order. */
    for (size_t t = 0; !err && t < nt; t++) {
        size_t n = 0;
        capa_notice *mine = malloc((nb ? nb : 1) * sizeof *mine);
        if (!mine) {
            err = capa_error_set(CAPA_ENOMEM, "deliver: out of memory");
            break;
        }
        for (size_t i = 0; i < nb; i++)
            if (strcmp(box[i].target, tgs[t].name) == 0)
                mine[n++] = box[i]; /* borrowed: box owns the strings */
        if (n)
            err = one_target(&c, &tgs[t], mine, n);
        free(mine);
    }
    capa_notices_free(box, nb);
    box = NULL;
    nb = 0;
    if (!err && !(err = capa_notices_pending(&box, &nb, s)))
        out->waiting = nb;
    capa_notices_free(box, nb);
    capa_notify_targets_free(tgs, nt);
    if (fd >= 0)
        close(fd);
    return err;
}
