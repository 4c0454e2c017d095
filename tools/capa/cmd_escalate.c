/*
 * cmd_escalate.c - `capa escalate [--notify URL --notify-format wecom|dingtalk|json]`: the
 * engine records an escalation event for every limit step passed (capa_escalate); this
 * prints them and, with --notify, posts every notice in the outbox - the new ones and those
 * an earlier run could not deliver - with libcurl, then records the ones the receiver took
 * (capa_outbox_delivered). A notice that fails stays in the outbox for the next run. The
 * message shapes are the WeCom (企业微信) and DingTalk (钉钉) group robots' markdown
 * messages, or the escalation as plain JSON. Meant for cron or a systemd timer
 * (docs/capa-escalate.timer, docs/capa-escalate.cron).
 */
#include "cli.h"
#include "deliver.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

static const char *level_label(const char *level)
{
    if (strcmp(level, "warn") == 0)
        return "预警 / warning";
    if (strcmp(level, "overdue") == 0)
        return "逾期告警 / overdue";
    if (strncmp(level, "overdue_", 8) == 0)
        return "逾期升级 / overdue, escalated";
    return level;
}

static json_t *info_json(const capa_plant *p, const capa_escalation_info *x)
{
    char due[40], crossed[40];
    capa_plant_time_format(due, sizeof due, p, x->due);
    capa_plant_time_format(crossed, sizeof crossed, p, x->crossed);
    json_t *o = json_object(), *to = json_array();
    for (const char *r = x->to; to && *r;) {
        size_t n = strcspn(r, " ");
        char *one = strndup(r, n);
        if (!one || cli_json_push(to, cli_json_str(one))) {
            free(one);
            json_decref(to);
            to = NULL;
            break;
        }
        free(one);
        r += n;
        r += strspn(r, " ");
    }
    if (!o || !to || cli_json_set(o, "event", json_integer((json_int_t)x->seq)) ||
        cli_json_set(o, "number", cli_json_str(x->number)) ||
        cli_json_set(o, "stage", cli_json_str(x->stage)) ||
        cli_json_set(o, "limit", cli_json_str(x->limit)) ||
        cli_json_set(o, "level", cli_json_str(x->level)) ||
        cli_json_set(o, "due", cli_json_str(due)) ||
        cli_json_set(o, "reached", cli_json_str(crossed)) ||
        cli_json_set(o, "recorded", cli_json_time(x->time)) || cli_json_set(o, "to", to) ||
        cli_json_set(o, "users", cli_json_str(x->users))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* The body posted for one notice, in the receiver's shape. Freed with free(). */
static char *notice_body(const capa_plant *p, const char *format, const capa_escalation_info *x)
{
    char due[40], text[4096];
    json_t *doc = NULL;
    capa_plant_time_format(due, sizeof due, p, x->due);
    if (strcmp(format, "json") == 0) {
        doc = info_json(p, x);
    } else {
        snprintf(text, sizeof text,
                 "### 品质异常时限%s / CAPA time limit\n"
                 "> 案号 Case: **%s**\n"
                 "> 时限 Limit: %s\n"
                 "> 级别 Level: %s\n"
                 "> 到期 Due: %s\n"
                 "> 阶段 Stage: %s\n"
                 "> 通知 To: %s%s%s\n",
                 strcmp(x->level, "warn") == 0 ? "预警" : "告警", x->number, x->limit,
                 level_label(x->level), due, x->stage, x->to, *x->users ? " — " : "", x->users);
        json_t *md = json_object();
        doc = json_object();
        if (!md || !doc ||
            (strcmp(format, "dingtalk") == 0 ? cli_json_set(md, "title", cli_json_str(x->number)) ||
                                                   cli_json_set(md, "text", cli_json_str(text))
                                             : cli_json_set(md, "content", cli_json_str(text))) ||
            cli_json_set(doc, "msgtype", cli_json_str("markdown")) ||
            cli_json_set(doc, "markdown", md)) {
            json_decref(doc);
            doc = NULL;
        }
    }
    char *body = doc ? json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    json_decref(doc);
    return body;
}

/* Post one body; 0 when the receiver took it (2xx and, for the robots, errcode 0), else -1
 * with why in err. */
static int post(const char *url, const char *format, const char *body, long timeout, char *err,
                size_t errsz)
{
    return notify_post(url, body, strcmp(format, "json") != 0, "capa-escalate", timeout, err,
                       errsz);
}

/* Post every notice in the outbox; record those delivered. Returns how many stay. */
static int deliver_all(cli *c, capa_store *s, const capa_plant *p, const char *url,
                       const char *format, long timeout, size_t *left)
{
    capa_escalation_info *box = NULL;
    size_t n = 0, ok = 0;
    uint64_t *done = NULL;
    *left = 0;
    int err = capa_outbox_list(s, &box, &n);
    if (err)
        return cli_fail(c, "escalate: outbox", err);
    if (n && !(done = calloc(n, sizeof *done))) {
        capa_escalations_free(box, n);
        return cli_oom(c, NULL);
    }
    for (size_t i = 0; i < n; i++) {
        char why[512], num[CLI_TEXT_MAX];
        char *body = notice_body(p, format, &box[i]);
        if (!body) {
            capa_escalations_free(box, n);
            free(done);
            return cli_oom(c, NULL);
        }
        if (post(url, format, body, timeout, why, sizeof why) == 0) {
            done[ok++] = box[i].seq;
        } else {
            char ev[24];
            snprintf(ev, sizeof ev, "%llu", (unsigned long long)box[i].seq);
            cli_note_rule(c, "escalate", "cli.notice_failed", "event", ev, "number",
                          cli_text(num, sizeof num, box[i].number), "limit", box[i].limit, "level",
                          box[i].level, "detail", why, NULL);
            (*left)++;
        }
        free(body);
    }
    int rc = CLI_OK;
    if (ok && (err = capa_outbox_delivered(s, done, ok, NULL)) != CAPA_OK)
        rc = cli_fail(c, "escalate: recording the delivery", err);
    else if (n) {
        char sent[24], waiting[24];
        snprintf(sent, sizeof sent, "%zu", ok);
        snprintf(waiting, sizeof waiting, "%zu", *left);
        cli_note_rule(c, "escalate", "cli.notices_sent", "sent", sent, "waiting", waiting, NULL);
    }
    capa_escalations_free(box, n);
    free(done);
    return rc;
}

int cmd_escalate(cli *c, int argc, char **argv)
{
    const char *url = NULL, *format = NULL, *timeout_arg = NULL;
    const cli_opt opts[] = {{"--notify", &url, NULL},
                            {"--notify-format", &format, NULL},
                            {"--notify-timeout", &timeout_arg, NULL},
                            {"--json", NULL, &c->json},
                            {NULL, NULL, NULL}};
    int npos, rc = CLI_OK, err, lock_fd = -1;
    long timeout = 10;
    capa_store *s = NULL;
    capa_plant *p = NULL;
    capa_escalation_info *got = NULL;
    size_t n = 0, left = 0;
    json_t *arr = NULL;

    CLI_PARSE(c, argc, argv, opts, &npos);
    if (npos > 0)
        return cli_unexpected(c, argv[0]);
    if (!url != !format)
        return cli_usage_rule(c, "cli.together", NULL, "option", "--notify URL", "other",
                              "--notify-format wecom|dingtalk|json", NULL);
    if (format && strcmp(format, "wecom") != 0 && strcmp(format, "dingtalk") != 0 &&
        strcmp(format, "json") != 0)
        return cli_usage_rule(c, "cli.choice", format, "option", "--notify-format", "choices",
                              "wecom, dingtalk, json", NULL);
    if (url && strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        return cli_usage_rule(c, "cli.url", url, "option", "--notify", NULL);
    if (url && (strlen(url) > 2048 || strpbrk(url, " \t\r\n")))
        return cli_usage_rule(c, "cli.url_long", NULL, "option", "--notify", NULL);
    if (timeout_arg) {
        char *end;
        timeout = strtol(timeout_arg, &end, 10);
        if (!*timeout_arg || *end || timeout < 1 || timeout > 300)
            return cli_usage_rule(c, "cli.range", timeout_arg, "option", "--notify-timeout", "unit",
                                  "seconds", "min", "1", "max", "300", NULL);
    }
    if ((rc = cli_store_open(&s, c, 0, 0)) != CLI_OK)
        return rc;
    /* One run at a time (a timer and a person, or overlapping cron runs): a second waits,
     * then finds nothing new, so no notice is posted by two runs at once. */
    char lock_path[4200];
    snprintf(lock_path, sizeof lock_path, "%s/escalate.lock", c->db);
    lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    /* Not allowed to create it: not the store's owner, which the engine refuses by name. */
    if ((lock_fd < 0 && errno != EACCES && errno != EROFS) ||
        (lock_fd >= 0 && flock(lock_fd, LOCK_EX) != 0)) {
        rc = cli_error_rule(c, lock_path, "cli.lock", "detail", strerror(errno), NULL);
        goto done;
    }
    if ((err = capa_plant_get(&p, s)) != CAPA_OK ||
        (err = capa_escalate(s, format, &got, &n)) != CAPA_OK) {
        rc = cli_fail(c, "escalate", err);
        goto done;
    }
    if (c->json && !(arr = json_array())) {
        rc = cli_oom(c, NULL);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        char due[40];
        if (arr) {
            if (cli_json_push(arr, info_json(p, &got[i]))) {
                rc = cli_oom(c, NULL);
                goto done;
            }
            continue;
        }
        capa_plant_time_format(due, sizeof due, p, got[i].due);
        /* in the chosen language (words17e) */
        char level[80], u[CLI_TEXT_MAX + 4];
        const char *kzh, *ken;
        const capa_workflow *wf = NULL;
        if (capa_store_workflow(&wf, s) != CAPA_OK)
            wf = NULL;
        cli_limit_words(wf, got[i].limit, &kzh, &ken);
        snprintf(u, sizeof u, "%s%s", *got[i].users ? ": " : "", got[i].users);
        cli_say_rule(c, "say.escalated", "number", got[i].number, "limit", ken, "limit_zh", kzh,
                     "level", got[i].level, "level_zh",
                     cli_level_zh(level, sizeof level, got[i].level), "due", due, "to", got[i].to,
                     "users", u, NULL);
    }
    if (arr) {
        rc = cli_json_print(c, arr);
        arr = NULL;
    } else if (n == 0) {
        fputs("no new escalations / 无新的升级\n", stderr);
    }
    if (!url && rc == CLI_OK) {
        capa_escalation_info *box = NULL;
        size_t waiting = 0;
        if (capa_outbox_list(s, &box, &waiting) == CAPA_OK && waiting) {
            char w[24];
            snprintf(w, sizeof w, "%zu", waiting);
            cli_note_rule(c, "escalate", "cli.notices_waiting", "count", w, "option",
                          "--notify URL --notify-format F", NULL);
        }
        capa_escalations_free(box, waiting);
    }
    if (url && rc == CLI_OK) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        rc = deliver_all(c, s, p, url, format, timeout, &left);
        curl_global_cleanup();
        /* Not delivered is a failure the timer's log should show; nothing is lost. */
        if (rc == CLI_OK && left)
            rc = 1;
    }
done:
    json_decref(arr);
    capa_escalations_free(got, n);
    capa_plant_free(p);
    capa_store_close(s);
    if (lock_fd >= 0)
        close(lock_fd); /* releases the lock */
    return rc;
}
