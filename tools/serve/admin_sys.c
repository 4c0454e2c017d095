/*
 * admin_sys.c - the rest of the administration pages (admin role only; admin.c routes here):
 * the workflows and form versions in use, with the install of a new version from an
 * uploaded XML file (every schema problem shown with its line, then capa_form_install as
 * `capa form install` makes it); the plant's time zone (capa_config_timezone, as `capa config
 * timezone`) and working-day calendars (capa_calendar_install, as `capa calendar install`);
 * the signing certificate's subject and validity (read with OpenSSL by reports/keys.c); and
 * the last verify of this server with a button that runs one (capa_store_verify, as `capa
 * verify`) in a worker thread, the page reloading itself until it is done.
 *
 * A change asks the admin's password again, as every change on these pages does.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capa_report.h"
#include "lang.h"
#include "pages.h"
#include "upload_disk.h"

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void wipe(sv_params *p)
{
    for (size_t i = 0; i < p->n; i++)
        explicit_bzero(p->v[i].value, strlen(p->v[i].value));
    sv_params_clear(p);
}

static void done_notice(sv_view *v, xmlNodePtr root, sv_req *r)
{
    const char *done = sv_params_get(&r->query, "done");
    if (done && (!strcmp(done, "form") || !strcmp(done, "timezone") || !strcmp(done, "calendar")))
        sv_at(v, sv_el(v, root, "done"), "what", done);
}

/* An uploaded XML file (at most 1 MiB: --max-body holds it anyway) into memory. */
static char *read_upload(const sv_disk_file *f, size_t *len)
{
    FILE *in = f && f->size && f->size <= ((size_t)1 << 20) ? fopen(f->path, "rb") : NULL;
    char *buf = in ? malloc(f->size + 1) : NULL;
    *len = buf ? fread(buf, 1, f->size, in) : 0;
    if (in)
        fclose(in);
    if (buf && *len != f->size) {
        free(buf);
        buf = NULL;
    }
    return buf;
}

/* A multipart POST with one file field into a private directory: 0, or -1 with the page
 * written (400/403/500). The caller removes the file and the directory. */
static int upload_post(sv_req *r, sv_disk_upload *up, char dir[64], const char *field,
                       const sv_disk_file **file)
{
    char why[300];
    snprintf(dir, 64, "/tmp/capa-admin-XXXXXX");
    *file = NULL;
    memset(up, 0, sizeof *up);
    if (!mkdtemp(dir)) {
        dir[0] = '\0';
        sv_page_refused(r, 500, "upload.tmpdir",
                        "cannot make a temporary directory for the upload");
        return -1;
    }
    if (sv_disk_upload_parse(up, r, dir, why, sizeof why)) {
        char *msg = sv_word_request(r, up->rule, up->value, up->max, why);
        sv_page_error(r, 400, msg ? msg : why);
        free(msg);
        return -1;
    }
    const char *csrf = sv_params_get(&up->params, "csrf");
    if (!csrf || !sv_secure_eq(csrf, r->sess.csrf)) {
        sv_page_csrf_refused(r);
        return -1;
    }
    for (size_t i = 0; i < up->n_files; i++)
        if (strcmp(up->files[i].field, field) == 0)
            *file = &up->files[i];
    return 0;
}

static void upload_done(sv_disk_upload *up, const char *dir)
{
    for (size_t i = 0; i < up->n_files; i++)
        unlink(up->files[i].path);
    if (dir[0])
        rmdir(dir);
    wipe(&up->params);
}

/* ---- workflows and forms ---- */

typedef struct forms_ctx {
    sv_view *v;
    sv_req *r;
    xmlNodePtr list;
} forms_ctx;

static int workflow_cb(const capa_workflow *wf, void *payload)
{
    forms_ctx *c = payload;
    sv_view *v = c->v;
    xmlNodePtr w = sv_el(v, c->list, "workflow");
    sv_at(v, w, "id", wf->id);
    sv_atf(v, w, "version", "%d", wf->version);
    sv_label(v, w, wf->label_zh ? wf->label_zh : wf->id, wf->label_en ? wf->label_en : wf->id);
    for (size_t i = 0; i < wf->n_stages; i++) {
        const capa_stage *st = &wf->stages[i];
        const capa_formdef *fd = NULL;
        xmlNodePtr s = sv_el(v, w, "stage");
        sv_at(v, s, "id", st->id);
        sv_label(v, s, st->label_zh, st->label_en);
        sv_at(v, s, "form", st->form_id);
        if (capa_store_form(&fd, c->r->srv->s, st->form_id, 0) == CAPA_OK)
            sv_atf(v, s, "version", "%d", fd->version);
    }
    return 0;
}

static void page_forms(sv_req *r, const char *msg, const capa_diag *diag, int status)
{
    sv_view v;
    xmlNodePtr root = sv_page_begin(&v, r, "admin-forms", "流程与表单", "Workflows and forms");
    if (msg)
        sv_el_text(&v, root, "error", msg, 1);
    if (diag && diag->n) {
        xmlNodePtr d = sv_el(&v, root, "diag");
        for (size_t i = 0; i < diag->n; i++) {
            /* each problem in the reader's language (libxml2's English only as a detail) */
            char *t = capa_lang_diag_item(diag, i, (capa_lang)sv_lang_of(r), 1);
            sv_el_text(&v, d, "line", t ? t : diag->msgs[i], 0);
            free(t);
        }
    }
    done_notice(&v, root, r);
    forms_ctx c = {&v, r, sv_el(&v, root, "workflows")};
    capa_store_workflows(r->srv->s, workflow_cb, &c);
    sv_view_render(&v, r);
    if (status)
        r->status = status;
}

/* POST /admin/forms: a form or workflow definition. Checked first as `capa form check`
 * does (every problem with its line), then installed by capa_form_install. */
static void do_form_install(sv_req *r)
{
    sv_disk_upload up;
    char dir[64];
    const sv_disk_file *f;
    capa_diag diag = {0};
    capa_formdef *fd = NULL;
    capa_workflow *wf = NULL;
    char *xml = NULL;
    size_t len = 0;
    if (upload_post(r, &up, dir, "definition", &f))
        goto done;
    if (!f || !(xml = read_upload(f, &len))) {
        page_forms(r, "definition: no file chosen, empty, or over 1 MiB / 请选择定义文件", NULL,
                   400);
        goto done;
    }
    int kind = capa_form_doc_kind(xml, len), err;
    if (kind == CAPA_DOC_WORKFLOW)
        err = capa_workflow_parse(&wf, xml, len, f->name, &diag);
    else if (kind >= 0)
        err = capa_formdef_parse(&fd, xml, len, f->name, &diag);
    else
        err = kind;
    if (err) {
        char *t = diag.n ? sv_said(r, "form.not_installed", NULL,
                                   "the definition is not valid: nothing installed")
                         : NULL;
        page_forms(r, t ? t : capa_strerror(err), &diag, 400);
        free(t);
        goto done;
    }
    int version = 0;
    capa_actor who = {r->sess.user, sv_params_get(&up.params, "password")};
    if (sv_throttle_begin(r->sess.user, r->ip, &r->retry_after)) {
        char *t =
            sv_said(r, "request.throttled", NULL, "too many password attempts: wait and try again");
        page_forms(r, t ? t : "too many password attempts: wait and try again", NULL, 429);
        free(t);
        goto done;
    }
    err = capa_form_install(r->srv->s, &who, xml, len, f->name, &version);
    sv_throttle_end(r->sess.user, r->ip, sv_throttle_outcome(err));
    if (err) {
        char *t = sv_error_text(r, err);
        page_forms(r, t ? t : capa_error_last(), NULL, sv_status_of(err));
        free(t);
    } else
        sv_page_redirect(r, "/admin/forms?done=form");
done:
    capa_diag_clear(&diag);
    capa_formdef_free(fd);
    capa_workflow_free(wf);
    free(xml);
    if (dir[0] == '/')
        upload_done(&up, dir);
}

/* ---- time zone, calendars, certificate ---- */

static void page_settings(sv_req *r, const char *msg, int status)
{
    sv_view v;
    capa_plant *plant = NULL;
    capa_store_info info = {0};
    capa_cert_info ci;
    xmlNodePtr root = sv_page_begin(&v, r, "admin-settings", "时区、日历与证书",
                                    "Time zone, calendars and certificate");
    if (msg)
        sv_el_text(&v, root, "error", msg, 1);
    done_notice(&v, root, r);
    if (capa_store_info_get(&info, r->srv->s) == CAPA_OK)
        sv_at(&v, sv_el(&v, root, "zone"), "name", info.timezone);
    capa_store_info_clear(&info);
    xmlNodePtr cals = sv_el(&v, root, "calendars");
    if (capa_plant_get(&plant, r->srv->s) == CAPA_OK) {
        capa_local_time lt;
        capa_tz_local(&lt, capa_plant_tz(plant), wall_ms());
        for (int y = lt.year - 2; y <= lt.year + 2; y++) {
            xmlNodePtr c = sv_el(&v, cals, "year");
            sv_atf(&v, c, "year", "%d", y);
            if (capa_plant_calendar(plant, y))
                sv_at(&v, c, "installed", "1");
        }
        sv_page_time(&v, sv_el(&v, root, "now"), plant, wall_ms());
    }
    int rc = capa_report_cert_info(&ci, r->srv->keys_dir);
    xmlNodePtr c = sv_el(&v, root, "cert");
    if (rc) {
        sv_at(&v, c, "error", capa_error_last());
    } else {
        sv_at(&v, c, "subject", ci.subject);
        sv_at(&v, c, "issuer", ci.issuer);
        sv_page_time(&v, sv_el(&v, c, "from"), plant, ci.not_before);
        sv_page_time(&v, sv_el(&v, c, "until"), plant, ci.not_after);
        int64_t left = ci.not_after - wall_ms();
        sv_atf(&v, c, "days-left", "%lld", (long long)(left / 86400000));
        if (left < 0)
            sv_at(&v, c, "expired", "1");
        else if (left < (int64_t)30 * 86400000)
            sv_at(&v, c, "expiring", "1");
        if (ci.self_signed)
            sv_at(&v, c, "self-signed", "1");
        sv_atf(&v, c, "chain", "%d", ci.chain);
    }
    capa_plant_free(plant);
    sv_view_render(&v, r);
    if (status)
        r->status = status;
}

static void do_timezone(sv_req *r)
{
    sv_params p = {0};
    if (sv_page_post(r, &p))
        return;
    const char *zone = sv_params_get(&p, "timezone");
    capa_actor who = {r->sess.user, sv_params_get(&p, "password")};
    int err;
    if (sv_throttle_begin(r->sess.user, r->ip, &r->retry_after)) {
        char *t =
            sv_said(r, "request.throttled", NULL, "too many password attempts: wait and try again");
        page_settings(r, t ? t : "too many password attempts: wait and try again", 429);
        free(t);
        wipe(&p);
        return;
    }
    err = capa_config_timezone(r->srv->s, &who, zone ? zone : "");
    sv_throttle_end(r->sess.user, r->ip, sv_throttle_outcome(err));
    if (err) {
        char *t = sv_error_text(r, err);
        page_settings(r, t ? t : capa_error_last(), sv_status_of(err));
        free(t);
    } else
        sv_page_redirect(r, "/admin/settings?done=timezone");
    wipe(&p);
}

static void do_calendar(sv_req *r)
{
    sv_disk_upload up;
    char dir[64];
    const sv_disk_file *f;
    capa_diag diag = {0};
    capa_calendar *cal = NULL;
    char *xml = NULL;
    size_t len = 0;
    int year = 0, version = 0, err;
    if (upload_post(r, &up, dir, "calendar", &f))
        goto done;
    if (!f || !(xml = read_upload(f, &len))) {
        page_settings(r, "calendar: no file chosen, empty, or over 1 MiB / 请选择日历文件", 400);
        goto done;
    }
    /* Checked first, as `capa calendar install` does: every problem with its line. */
    if ((err = capa_calendar_parse(&cal, xml, len, f->name, &diag)) != CAPA_OK) {
        char *msg = capa_diag_join(&diag, "\n");
        page_settings(r, msg && *msg ? msg : capa_strerror(err), 400);
        free(msg);
        goto done;
    }
    capa_actor who = {r->sess.user, sv_params_get(&up.params, "password")};
    if (sv_throttle_begin(r->sess.user, r->ip, &r->retry_after)) {
        char *t =
            sv_said(r, "request.throttled", NULL, "too many password attempts: wait and try again");
        page_settings(r, t ? t : "too many password attempts: wait and try again", 429);
        free(t);
        goto done;
    }
    err = capa_calendar_install(r->srv->s, &who, xml, len, f->name, &year, &version);
    sv_throttle_end(r->sess.user, r->ip, sv_throttle_outcome(err));
    if (err) {
        char *t = sv_error_text(r, err);
        page_settings(r, t ? t : capa_error_last(), sv_status_of(err));
        free(t);
    } else
        sv_page_redirect(r, "/admin/settings?done=calendar");
done:
    capa_diag_clear(&diag);
    capa_calendar_free(cal);
    free(xml);
    if (dir[0] == '/')
        upload_done(&up, dir);
}

/* ---- verify: one run at a time in a worker thread; the last one's outcome kept ---- */

static struct {
    pthread_mutex_t lock;
    int running, ran;
    sv_server *srv;
    int64_t started, finished, last_ms; /* last_ms: how long the last complete run took */
    int rc, ok;
    uint64_t seq, n_cases;
    size_t n_total;
    char head[65];
    char by[64];
    char **msgs;
    char **msgs_zh; /* the same findings in 中文 (tools/lang), NULL entries where none */
    size_t n_msgs;
} vr = {.lock = PTHREAD_MUTEX_INITIALIZER};

#define VERIFY_SHOWN 50

static void *verify_worker(void *arg)
{
    sv_server *srv = arg;
    capa_verify_report *rep = NULL;
    int rc = capa_store_verify(&rep, srv->s, NULL);
    char **msgs = NULL, **zh = NULL;
    size_t n = 0;
    if (rc == CAPA_OK && rep->n_mismatches) {
        size_t k = rep->n_mismatches < VERIFY_SHOWN ? rep->n_mismatches : VERIFY_SHOWN;
        if ((msgs = calloc(k, sizeof *msgs)) && (zh = calloc(k, sizeof *zh)))
            for (; n < k; n++) {
                msgs[n] = strdup(rep->mismatches[n].message ? rep->mismatches[n].message : "");
                zh[n] = capa_lang_mismatch(&rep->mismatches[n], CAPA_LANG_ZH);
            }
        if (msgs && !zh) {
            free(msgs);
            msgs = NULL;
        }
    }
    char err[600];
    snprintf(err, sizeof err, "%s", rc ? capa_error_last() : "");
    char *err_zh = rc ? capa_lang_error_last(rc, CAPA_LANG_ZH, 1) : NULL;
    pthread_mutex_lock(&vr.lock);
    for (size_t i = 0; i < vr.n_msgs; i++) {
        free(vr.msgs[i]);
        free(vr.msgs_zh ? vr.msgs_zh[i] : NULL);
    }
    free(vr.msgs);
    free(vr.msgs_zh);
    vr.msgs = msgs;
    vr.msgs_zh = zh;
    vr.n_msgs = zh ? n : 0;
    if (rc && (vr.msgs = calloc(1, sizeof *vr.msgs)) && (vr.msgs[0] = strdup(err)) &&
        (vr.msgs_zh = calloc(1, sizeof *vr.msgs_zh))) {
        vr.msgs_zh[0] = err_zh;
        err_zh = NULL;
        vr.n_msgs = 1;
    }
    free(err_zh);
    vr.rc = rc;
    vr.ok = rc == CAPA_OK && rep->ok;
    vr.seq = rc == CAPA_OK ? rep->seq : 0;
    vr.n_cases = rc == CAPA_OK ? rep->n_cases : 0;
    vr.n_total = rc == CAPA_OK ? rep->n_total : 0;
    snprintf(vr.head, sizeof vr.head, "%s", rc == CAPA_OK ? rep->head : "");
    vr.finished = wall_ms();
    vr.last_ms = vr.finished - vr.started;
    vr.running = 0;
    vr.ran = 1;
    pthread_mutex_unlock(&vr.lock);
    capa_verify_report_free(rep);
    return NULL;
}

static void page_verify(sv_req *r)
{
    sv_view v;
    capa_plant *plant = NULL;
    capa_plant_get(&plant, r->srv->s);
    xmlNodePtr root = sv_page_begin(&v, r, "admin-verify", "校验", "Verify");
    xmlNodePtr n = sv_el(&v, root, "verify");
    pthread_mutex_lock(&vr.lock);
    if (vr.running) {
        int64_t el = wall_ms() - vr.started;
        sv_at(&v, root, "refresh", "1");
        sv_at(&v, n, "running", "1");
        sv_atf(&v, n, "elapsed", "%lld", (long long)(el / 1000));
        /* The share of the last complete run's time: an estimate, said as one. */
        if (vr.last_ms > 0)
            sv_atf(&v, n, "estimate", "%lld",
                   (long long)(el * 100 / vr.last_ms > 99 ? 99 : el * 100 / vr.last_ms));
        sv_page_time(&v, sv_el(&v, n, "started"), plant, vr.started);
        sv_at(&v, n, "by", vr.by);
    }
    if (vr.ran) {
        xmlNodePtr l = sv_el(&v, n, "last");
        sv_at(&v, l, "ok", vr.ok ? "1" : "0");
        if (vr.rc)
            sv_at(&v, l, "failed", "1");
        sv_atf(&v, l, "events", "%llu", (unsigned long long)vr.seq);
        sv_atf(&v, l, "cases", "%llu", (unsigned long long)vr.n_cases);
        sv_atf(&v, l, "mismatches", "%zu", vr.n_total);
        sv_atf(&v, l, "seconds", "%.1f", vr.last_ms / 1000.0);
        sv_at(&v, l, "head", vr.head);
        sv_page_time(&v, sv_el(&v, l, "finished"), plant, vr.finished);
        for (size_t i = 0; i < vr.n_msgs; i++) {
            /* A finding in the reader's language: 中文 from its data, English as verify said. */
            const char *zh = vr.msgs_zh && vr.msgs_zh[i] ? vr.msgs_zh[i] : vr.msgs[i];
            char *both = NULL;
            if (r->lang == SV_LANG_BOTH && (both = malloc(strlen(zh) + strlen(vr.msgs[i]) + 4)))
                sprintf(both, "%s / %s", zh, vr.msgs[i]);
            sv_el_text(&v, l, "m",
                       r->lang == SV_LANG_ZH   ? zh
                       : r->lang == SV_LANG_EN ? vr.msgs[i]
                       : both                  ? both
                                               : vr.msgs[i],
                       0);
            free(both);
        }
    }
    pthread_mutex_unlock(&vr.lock);
    capa_plant_free(plant);
    sv_view_render(&v, r);
}

static void do_verify(sv_req *r)
{
    sv_params p = {0};
    if (sv_page_post(r, &p))
        return;
    sv_params_clear(&p);
    pthread_mutex_lock(&vr.lock);
    if (!vr.running) {
        pthread_t th;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        vr.running = 1;
        vr.started = wall_ms();
        snprintf(vr.by, sizeof vr.by, "%s", r->sess.user);
        if (pthread_create(&th, &at, verify_worker, r->srv) != 0)
            vr.running = 0;
        pthread_attr_destroy(&at);
    }
    pthread_mutex_unlock(&vr.lock);
    sv_page_redirect(r, "/admin/verify");
}

/* ---- routing ---- */

int sv_admin_sys_handle(sv_req *r)
{
    const char *path = r->path;
    int get = strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0,
        post = strcmp(r->method, "POST") == 0;
    const char *allow = NULL;
    if (strcmp(path, "/admin/forms") == 0) {
        if (get)
            page_forms(r, NULL, NULL, 0);
        else if (post)
            do_form_install(r);
        else
            allow = "GET, HEAD, POST";
    } else if (strcmp(path, "/admin/settings") == 0) {
        if (get)
            page_settings(r, NULL, 0);
        else
            allow = "GET, HEAD";
    } else if (strcmp(path, "/admin/settings/timezone") == 0 ||
               strcmp(path, "/admin/settings/calendar") == 0) {
        if (post && path[16] == 't')
            do_timezone(r);
        else if (post)
            do_calendar(r);
        else
            allow = "POST";
    } else if (strcmp(path, "/admin/verify") == 0) {
        if (get)
            page_verify(r);
        else if (post)
            do_verify(r);
        else
            allow = "GET, HEAD, POST";
    } else {
        return 0;
    }
    if (allow) {
        r->allow = allow;
        sv_page_refused(r, 405, "request.method", "method not allowed");
    }
    return 1;
}
