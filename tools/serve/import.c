/*
 * import.c - the legacy import page of capa serve (admin only): a CSV or xlsx log
 * (客户投诉登记表) uploaded (upload_disk.c: libmicrohttpd's post processor), a mapping chosen (a
 * shipped one, or an uploaded mapping XML), a dry run that shows what each row becomes and
 * every refused row with its row, column, value and rule - writing nothing - then, once the
 * admin confirms with their password, the import.
 *
 * Both runs are the CLI's `capa import --csv/--xlsx` (capa_sheet_import, sheets/import.c,
 * core/import.c): the dry run is its --dry-run, the import sets bad rows aside as its
 * --skip-invalid does, and a file cases came from before (an import cut off: the server
 * stopped, the disk filled) is resumed after the last row its earlier runs accounted for, as
 * --resume. A run is a worker thread; the job's page shows its progress and reloads itself
 * (a meta refresh: no script) until it is done. Jobs live in this process's memory (at most
 * JOBS, an hour each); the uploaded file lives in a private temporary directory removed with
 * its job.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <strings.h>
#include <sys/stat.h>
#include <sys/random.h>

#include "capa_sheets.h"
#include "lang.h"
#include "pages.h"
#include "upload_disk.h"

#define JOBS 8
#define JOB_MS (60 * 60 * 1000)
#define MAX_PROBLEMS 1000
#define MAX_PLANNED 200

enum { J_CHECKING, J_PREVIEW, J_IMPORTING, J_DONE, J_FAILED };

typedef struct imp_problem {
    uint64_t row;
    char *column, *value, *rule;
    char *rule_zh, *rule_en; /* the rule worded by the catalogue (NULL: only `rule`) */
} imp_problem;

typedef struct imp_planned {
    uint64_t row;
    char number[64];
    char *customer, *part, *description;
    int64_t opened, closed;
} imp_planned;

typedef struct imp_job {
    char id[33];
    char user[64];
    char dir[64], path[4200], rejects[4200];
    char name[256], map_name[256];
    int xlsx;
    capa_mapping *map;
    sv_server *srv;
    int64_t created;
    int state, running, ran_import;
    int pass;
    uint64_t done, total;
    int resume; /* cases came from this file before: continue after them */
    capa_import_source src;
    capa_sheet_import_result res;
    int rc;
    char error[1024];
    capa_refusal *refusal; /* the failure as data, worded in each reader's language */
    imp_problem *probs;
    size_t n_probs, more_probs;
    imp_planned *planned;
    size_t n_planned, more_planned;
    char *password; /* held by the worker of a confirmed import until it has begun */
} imp_job;

static imp_job *jobs[JOBS];
static pthread_mutex_t jobs_lock = PTHREAD_MUTEX_INITIALIZER;

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *dup0(const char *s)
{
    return strdup(s ? s : "");
}

static void job_results_clear(imp_job *j)
{
    for (size_t i = 0; i < j->n_probs; i++) {
        free(j->probs[i].column);
        free(j->probs[i].value);
        free(j->probs[i].rule);
        free(j->probs[i].rule_zh);
        free(j->probs[i].rule_en);
    }
    free(j->probs);
    j->probs = NULL;
    j->n_probs = j->more_probs = 0;
    for (size_t i = 0; i < j->n_planned; i++) {
        free(j->planned[i].customer);
        free(j->planned[i].part);
        free(j->planned[i].description);
    }
    free(j->planned);
    j->planned = NULL;
    j->n_planned = j->more_planned = 0;
}

static void job_free(imp_job *j)
{
    if (!j)
        return;
    job_results_clear(j);
    capa_mapping_free(j->map);
    capa_refusal_free(j->refusal);
    if (j->password) {
        explicit_bzero(j->password, strlen(j->password));
        free(j->password);
    }
    unlink(j->path);
    unlink(j->rejects);
    char mf[4300];
    snprintf(mf, sizeof mf, "%s/mapping_file", j->dir);
    unlink(mf);
    snprintf(mf, sizeof mf, "%s/sheet", j->dir);
    unlink(mf);
    snprintf(mf, sizeof mf, "%s/src", j->dir);
    rmdir(mf);
    if (j->dir[0])
        rmdir(j->dir);
    free(j);
}

/* A job by id (the table's lock held by the caller). */
static imp_job *job_find(const char *id)
{
    for (size_t i = 0; i < JOBS; i++)
        if (jobs[i] && strcmp(jobs[i]->id, id) == 0)
            return jobs[i];
    return NULL;
}

/* Room for a new job: a free slot, else the oldest finished or expired one is dropped. -1 when
 * every slot holds a running job. */
static int job_slot(void)
{
    int64_t now = wall_ms();
    int oldest = -1;
    for (int i = 0; i < JOBS; i++) {
        if (!jobs[i])
            return i;
        if (jobs[i]->running)
            continue;
        if (now - jobs[i]->created > JOB_MS) {
            job_free(jobs[i]);
            jobs[i] = NULL;
            return i;
        }
        if (oldest < 0 || jobs[i]->created < jobs[oldest]->created)
            oldest = i;
    }
    if (oldest >= 0) {
        job_free(jobs[oldest]);
        jobs[oldest] = NULL;
    }
    return oldest;
}

/* ---- what a run reports (worker thread) ---- */

static void on_problem(const capa_sheet_problem *p, void *payload)
{
    imp_job *j = payload;
    pthread_mutex_lock(&jobs_lock);
    if (j->n_probs >= MAX_PROBLEMS) {
        j->more_probs++;
    } else {
        imp_problem *v =
            j->n_probs % 64 ? j->probs : realloc(j->probs, (j->n_probs + 64) * sizeof *v);
        if (v) {
            j->probs = v;
            v[j->n_probs++] =
                (imp_problem){p->row,
                              dup0(p->column),
                              dup0(p->value),
                              dup0(p->rule),
                              capa_lang_rule(p->rule_id, p->column, p->value, p->params,
                                             p->n_params, CAPA_LANG_ZH, 1),
                              capa_lang_rule(p->rule_id, p->column, p->value, p->params,
                                             p->n_params, CAPA_LANG_EN, 1)};
        }
    }
    pthread_mutex_unlock(&jobs_lock);
}

static void on_progress(int pass, uint64_t done, uint64_t total, void *payload)
{
    imp_job *j = payload;
    pthread_mutex_lock(&jobs_lock);
    j->pass = pass;
    j->done = done;
    j->total = total;
    pthread_mutex_unlock(&jobs_lock);
}

static const char *kv_get(const capa_kv *kv, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (kv[i].name && strcmp(kv[i].name, name) == 0)
            return kv[i].value;
    return "";
}

static void on_planned(uint64_t row, const char *number, const capa_kv *kv, size_t n,
                       const capa_import_facts *facts, void *payload)
{
    imp_job *j = payload;
    pthread_mutex_lock(&jobs_lock);
    if (j->n_planned >= MAX_PLANNED) {
        j->more_planned++;
    } else {
        imp_planned *v =
            j->n_planned % 32 ? j->planned : realloc(j->planned, (j->n_planned + 32) * sizeof *v);
        if (v) {
            j->planned = v;
            imp_planned *p = &v[j->n_planned++];
            memset(p, 0, sizeof *p);
            p->row = row;
            snprintf(p->number, sizeof p->number, "%s", number ? number : "");
            p->customer = dup0(kv_get(kv, n, "customer"));
            p->part = dup0(kv_get(kv, n, "part_no"));
            p->description = dup0(kv_get(kv, n, "description"));
            p->opened = facts->opened;
            p->closed = facts->closed_at;
        }
    }
    pthread_mutex_unlock(&jobs_lock);
}

static void *worker(void *arg)
{
    imp_job *j = arg;
    sv_server *srv = j->srv;
    pthread_mutex_lock(&jobs_lock);
    int dry = !j->ran_import;
    char *password = j->password;
    j->password = NULL;
    pthread_mutex_unlock(&jobs_lock);
    capa_actor who = {j->user, password};
    capa_sheet_import_opts o = {.path = j->path,
                                .xlsx = j->xlsx,
                                .map = j->map,
                                .dry_run = dry,
                                .resume = j->resume,
                                .problem = on_problem,
                                .progress = on_progress,
                                .planned = dry ? on_planned : NULL,
                                .payload = j};
    /* The import sets the rows the preview refused aside, as --skip-invalid does. */
    if (!dry && j->res.bad)
        o.rejects_path = j->rejects;
    capa_sheet_import_result res;
    int rc = capa_sheet_import(&res, srv->s, &who, &o);
    explicit_bzero(password, strlen(password));
    free(password);
    pthread_mutex_lock(&jobs_lock);
    j->res = res;
    j->rc = rc;
    snprintf(j->error, sizeof j->error, "%s", rc ? capa_error_last() : "");
    capa_refusal_free(j->refusal);
    j->refusal = rc ? capa_refusal_dup(capa_refusal_last()) : NULL;
    /* The reader names the file by its path: the reader of the page knows it by its name. */
    char *at = strstr(j->error, j->path);
    const char *slash = strrchr(j->path, '/');
    if (at && slash) {
        char fixed[sizeof j->error];
        snprintf(fixed, sizeof fixed, "%.*s%s%s", (int)(at - j->error), j->error, slash + 1,
                 at + strlen(j->path));
        snprintf(j->error, sizeof j->error, "%s", fixed);
    }
    /* So in the refusal: a value that is the path becomes the name (j->path outlives it; the
     * copy is this job's own). */
    for (size_t i = 0; j->refusal && slash && i < j->refusal->n; i++)
        if (strcmp(j->refusal->v[i].value, j->path) == 0)
            ((capa_violation *)&j->refusal->v[i])->value = slash + 1;
    /* A dry run with bad rows answers CAPA_EINVALID: that is its preview, not a failure. */
    if (dry)
        j->state = rc == CAPA_OK || (rc == CAPA_EINVALID && res.bad) ? J_PREVIEW : J_FAILED;
    else
        j->state = rc == CAPA_OK ? J_DONE : J_FAILED;
    if (j->state == J_FAILED && !dry) /* how far it got: what a resume continues after */
        capa_import_source_get(&j->src, srv->s, res.info.sha256);
    j->running = 0;
    pthread_mutex_unlock(&jobs_lock);
    return NULL;
}

/* Start a run of job j (the table's lock held); the password is the worker's to wipe. */
static int job_start(imp_job *j, const char *password)
{
    pthread_t th;
    pthread_attr_t at;
    if (!(j->password = strdup(password)))
        return -1;
    j->running = 1;
    j->pass = 1;
    j->done = j->total = 0;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&th, &at, worker, j);
    pthread_attr_destroy(&at);
    if (rc) {
        j->running = 0;
        explicit_bzero(j->password, strlen(j->password));
        free(j->password);
        j->password = NULL;
        return -1;
    }
    return 0;
}

/* ---- pages ---- */

static void mappings_view(sv_view *v, xmlNodePtr root)
{
    xmlNodePtr list = sv_el(v, root, "mappings");
    for (const capa_embedded_file *f = capa_mapping_embedded(); f && f->name; f++) {
        char name[128];
        snprintf(name, sizeof name, "%s", f->name);
        char *dot = strrchr(name, '.');
        if (dot)
            *dot = '\0';
        sv_at(v, sv_el(v, list, "mapping"), "name", name);
    }
}

/* GET /admin/import: the upload form, and the jobs this process holds. */
static void page_form(sv_req *r, const char *msg, int status)
{
    sv_view v;
    xmlNodePtr root = sv_page_begin(&v, r, "admin-import", "历史数据导入", "Legacy import");
    if (msg)
        sv_el_text(&v, root, "error", msg, 1);
    mappings_view(&v, root);
    sv_atf(&v, sv_el(&v, root, "limit"), "mib", "%zu", SV_ADMIN_UPLOAD_MAX >> 20);
    xmlNodePtr list = sv_el(&v, root, "jobs");
    pthread_mutex_lock(&jobs_lock);
    for (size_t i = 0; i < JOBS; i++) {
        imp_job *j = jobs[i];
        if (!j)
            continue;
        xmlNodePtr n = sv_el(&v, list, "job");
        sv_at(&v, n, "id", j->id);
        sv_at(&v, n, "name", j->name);
        sv_atf(&v, n, "state", "%d", j->state);
    }
    pthread_mutex_unlock(&jobs_lock);
    sv_view_render(&v, r);
    if (status)
        r->status = status;
}

/* page_form with the refusal `rule` worded for r. */
static void form_refused(sv_req *r, const char *rule, const char *english, int status)
{
    char *msg = sv_said(r, rule, NULL, english);
    page_form(r, msg ? msg : english, status);
    free(msg);
}

/* The upload could not be kept (a temporary directory, a rename): 500, in r's language. */
static void store_failed(sv_req *r, const char *english)
{
    char *msg = sv_word_request(r, "upload.store", NULL, NULL, english);
    page_form(r, msg ? msg : english, 500);
    free(msg);
}

/* POST /admin/import: the file, the mapping and the admin's password; then the dry run. */
static void do_upload(sv_req *r)
{
    char why[300] = "";
    sv_disk_upload up;
    capa_diag diag = {0};
    imp_job *j = NULL;
    const char *tmp = getenv("TMPDIR");
    char tdir[4096];
    snprintf(tdir, sizeof tdir, "%s/capa-import-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    char *made = mkdtemp(tdir);
    if (!made) {
        form_refused(r, "upload.tmpdir", "cannot make a temporary directory for the upload", 500);
        return;
    }
    if (sv_disk_upload_parse(&up, r, made, why, sizeof why)) {
        char english[400];
        snprintf(english, sizeof english, "upload: %s", why);
        char *msg = sv_word_request(r, up.rule, up.value, up.max, english);
        sv_disk_upload_clear(&up);
        for (size_t i = 0; i < up.n_files; i++)
            unlink(up.files[i].path);
        rmdir(made);
        page_form(r, msg ? msg : english, 400);
        free(msg);
        return;
    }
    const char *csrf = sv_params_get(&up.params, "csrf");
    if (!csrf || !sv_secure_eq(csrf, r->sess.csrf)) {
        sv_page_csrf_refused(r);
        goto discard;
    }
    const sv_disk_file *sheet = NULL, *mapfile = NULL;
    for (size_t i = 0; i < up.n_files; i++) {
        if (strcmp(up.files[i].field, "sheet") == 0)
            sheet = &up.files[i];
        else if (strcmp(up.files[i].field, "mapping_file") == 0 && up.files[i].size)
            mapfile = &up.files[i];
    }
    if (!sheet || !sheet->size) {
        char *msg = sv_word_request(r, "import.no_file", NULL, NULL,
                                    "sheet: no file chosen, or the file is empty");
        page_form(r, msg ? msg : "sheet: no file chosen, or the file is empty", 400);
        free(msg);
        goto discard;
    }
    const char *ext = strrchr(sheet->name, '.');
    int xlsx = ext && strcasecmp(ext, ".xlsx") == 0;
    if (!ext || (!xlsx && strcasecmp(ext, ".csv") != 0 && strcasecmp(ext, ".txt") != 0)) {
        snprintf(why, sizeof why, "sheet: file '%.200s': a log is a .csv or .xlsx file",
                 sheet->name);
        char *msg = sv_word_request(r, "import.file_type", sheet->name, NULL, why);
        page_form(r, msg ? msg : why, 400);
        free(msg);
        goto discard;
    }
    if (!(j = calloc(1, sizeof *j))) {
        form_refused(r, "import.oom", "out of memory", 500);
        goto discard;
    }
    /* The mapping: an uploaded one (checked, every problem by line), else a shipped one. */
    int err;
    if (mapfile) {
        FILE *f = fopen(mapfile->path, "rb");
        char *xml = mapfile->size <= ((size_t)1 << 20) ? malloc(mapfile->size + 1) : NULL;
        size_t got = f && xml ? fread(xml, 1, mapfile->size, f) : 0;
        if (f)
            fclose(f);
        if (!xml || got != mapfile->size) {
            free(xml);
            char *msg = sv_word_request(r, "import.mapping_file", NULL, "1 MiB",
                                        "mapping_file: cannot be read, or over 1 MiB");
            page_form(r, msg ? msg : "mapping_file: cannot be read, or over 1 MiB", 400);
            free(msg);
            goto discard;
        }
        err = capa_mapping_parse(&j->map, xml, got, mapfile->name, &diag);
        free(xml);
        snprintf(j->map_name, sizeof j->map_name, "%s", mapfile->name);
    } else {
        const char *name = sv_params_get(&up.params, "map");
        int known = 0;
        for (const capa_embedded_file *f = capa_mapping_embedded(); f && f->name && name; f++)
            known |= strncmp(f->name, name, strlen(name)) == 0 &&
                     strcmp(f->name + strlen(name), ".xml") == 0;
        if (!known) {
            snprintf(why, sizeof why, "map: '%.100s' is not a shipped mapping", name ? name : "");
            char *msg = sv_word_request(r, "import.map_unknown", name ? name : "", NULL, why);
            page_form(r, msg ? msg : why, 400);
            free(msg);
            goto discard;
        }
        err = capa_mapping_load(&j->map, name, &diag);
        snprintf(j->map_name, sizeof j->map_name, "%s", name);
    }
    if (err) {
        char *msg = capa_diag_join(&diag, "\n");
        page_form(r, msg ? msg : capa_error_last(), 400);
        free(msg);
        goto discard;
    }
    /* The password: checked now (a wrong one is counted and audited, as everywhere), so the
     * page can say so at once; the dry run checks it again as the CLI's does. */
    capa_actor who = {r->sess.user, sv_params_get(&up.params, "password")};
    if (sv_throttle_begin(r->sess.user, r->ip, &r->retry_after)) {
        form_refused(r, "request.throttled", "too many password attempts: wait and try again", 429);
        goto discard;
    }
    err = capa_user_authenticate(r->srv->s, &who);
    sv_throttle_end(r->sess.user, r->ip, sv_throttle_outcome(err));
    if (err) {
        char *t = sv_error_text(r, err);
        page_form(r, t ? t : capa_error_last(), sv_status_of(err));
        free(t);
        goto discard;
    }
    unsigned char rnd[16];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
        form_refused(r, "import.no_random", "no random bytes for the job", 500);
        goto discard;
    }
    for (size_t i = 0; i < sizeof rnd; i++)
        snprintf(j->id + 2 * i, 3, "%02x", rnd[i]);
    snprintf(j->user, sizeof j->user, "%s", r->sess.user);
    snprintf(j->dir, sizeof j->dir, "%s", made);
    /* Under the name it was uploaded with: the trail names the source file by it. */
    snprintf(j->path, sizeof j->path, "%s/src", made);
    if (mkdir(j->path, 0700) != 0) {
        store_failed(r, "cannot store the upload");
        goto discard;
    }
    snprintf(j->path, sizeof j->path, "%s/src/%s", made, sheet->name);
    if (rename(sheet->path, j->path) != 0) {
        store_failed(r, "cannot store the upload");
        goto discard;
    }
    snprintf(j->rejects, sizeof j->rejects, "%s/rejects.csv", made);
    snprintf(j->name, sizeof j->name, "%s", sheet->name);
    j->xlsx = xlsx;
    j->srv = r->srv;
    j->created = wall_ms();
    /* A file cases came from before: the dry run and the import continue after its last
     * accounted row (--resume). */
    capa_sheet_info info = {0};
    if (capa_sheet_hash(&info, j->path) == CAPA_OK &&
        capa_import_source_get(&j->src, r->srv->s, info.sha256) == CAPA_OK && j->src.cases)
        j->resume = 1;
    pthread_mutex_lock(&jobs_lock);
    int slot = job_slot();
    if (slot < 0 || job_start(j, who.password)) {
        pthread_mutex_unlock(&jobs_lock);
        char *msg = sv_word_request(r, "import.busy", NULL, NULL,
                                    "the server is busy with other imports: try again later");
        page_form(r, msg ? msg : "the server is busy with other imports: try again later", 503);
        free(msg);
        goto discard;
    }
    jobs[slot] = j;
    char path[80];
    snprintf(path, sizeof path, "/admin/import/%s", j->id);
    j = NULL;
    pthread_mutex_unlock(&jobs_lock);
    sv_page_redirect(r, path);
    made = NULL;
discard:
    if (j) { /* job_free removes what the upload left in its directory */
        snprintf(j->dir, sizeof j->dir, "%s", made ? made : "");
        job_free(j);
    } else if (made) {
        for (size_t i = 0; i < up.n_files; i++)
            unlink(up.files[i].path);
        rmdir(made);
    }
    capa_diag_clear(&diag);
    for (size_t i = 0; i < up.params.n; i++)
        explicit_bzero(up.params.v[i].value, strlen(up.params.v[i].value));
    sv_disk_upload_clear(&up);
}

static const char *state_name(int s)
{
    static const char *const n[] = {"checking", "preview", "importing", "done", "failed"};
    return s >= 0 && s <= J_FAILED ? n[s] : "failed";
}

/* GET /admin/import/ID: the job as it stands; reloads itself while a run is going. */
static void page_job(sv_req *r, const char *id, const char *msg, int status)
{
    sv_view v;
    capa_plant *plant = NULL;
    pthread_mutex_lock(&jobs_lock);
    imp_job *j = job_find(id);
    if (!j) {
        pthread_mutex_unlock(&jobs_lock);
        char *msg = sv_said(r, "import.no_job", NULL, "no such import");
        sv_page_error(r, 404, msg ? msg : "no such import");
        free(msg);
        return;
    }
    capa_plant_get(&plant, r->srv->s);
    xmlNodePtr root = sv_page_begin(&v, r, "admin-import-job", "历史数据导入", "Legacy import");
    if (j->running)
        sv_at(&v, root, "refresh", "1");
    if (msg)
        sv_el_text(&v, root, "error", msg, 1);
    xmlNodePtr n = sv_el(&v, root, "job");
    sv_at(&v, n, "id", j->id);
    sv_at(&v, n, "name", j->name);
    sv_at(&v, n, "map", j->map_name);
    sv_at(&v, n, "kind", j->xlsx ? "xlsx" : "csv");
    sv_at(&v, n, "state", state_name(j->state));
    if (j->running)
        sv_at(&v, n, "running", "1");
    if (j->ran_import)
        sv_at(&v, n, "imported-run", "1");
    sv_atf(&v, n, "pass", "%d", j->pass);
    sv_atf(&v, n, "done", "%llu", (unsigned long long)j->done);
    sv_atf(&v, n, "total", "%llu", (unsigned long long)j->total);
    if (j->total)
        sv_atf(&v, n, "percent", "%llu", (unsigned long long)(j->done * 100 / j->total));
    if (!j->running) {
        sv_atf(&v, n, "rows", "%llu", (unsigned long long)j->res.rows);
        sv_atf(&v, n, "bad", "%llu", (unsigned long long)j->res.bad);
        sv_atf(&v, n, "good", "%llu", (unsigned long long)(j->res.rows - j->res.bad));
        sv_atf(&v, n, "imported", "%llu", (unsigned long long)j->res.imported);
        sv_atf(&v, n, "closed", "%llu", (unsigned long long)j->res.closed);
        sv_at(&v, n, "first", j->res.first);
        sv_at(&v, n, "last", j->res.last);
        sv_at(&v, n, "sha256", j->res.info.sha256);
        if (j->res.complete)
            sv_at(&v, n, "complete", "1");
        if (j->state == J_FAILED) {
            char *t =
                j->refusal ? capa_lang_refusal(j->refusal, (capa_lang)sv_lang_of(r), 1) : NULL;
            sv_el_text(&v, n, "error", t ? t : j->error, 1);
            free(t);
        }
    }
    if (j->resume || j->src.cases) {
        xmlNodePtr s = sv_el(&v, n, "earlier");
        sv_atf(&v, s, "cases", "%llu", (unsigned long long)j->src.cases);
        sv_atf(&v, s, "through", "%llu", (unsigned long long)j->src.through);
        sv_atf(&v, s, "runs", "%llu", (unsigned long long)j->src.run);
    }
    xmlNodePtr pl = sv_el(&v, n, "planned");
    sv_atf(&v, pl, "more", "%zu", j->more_planned);
    for (size_t i = 0; i < j->n_planned; i++) {
        imp_planned *p = &j->planned[i];
        xmlNodePtr e = sv_el(&v, pl, "row");
        sv_atf(&v, e, "row", "%llu", (unsigned long long)p->row);
        sv_at(&v, e, "number", p->number);
        sv_at(&v, e, "customer", p->customer);
        sv_at(&v, e, "part", p->part);
        sv_at(&v, e, "description", p->description);
        sv_page_time(&v, sv_el(&v, e, "opened"), plant, p->opened);
        if (p->closed)
            sv_page_time(&v, sv_el(&v, e, "closed"), plant, p->closed);
    }
    xmlNodePtr pr = sv_el(&v, n, "problems");
    sv_atf(&v, pr, "more", "%zu", j->more_probs);
    for (size_t i = 0; i < j->n_probs; i++) {
        xmlNodePtr e = sv_el(&v, pr, "p");
        sv_atf(&v, e, "row", "%llu", (unsigned long long)j->probs[i].row);
        sv_at(&v, e, "column", j->probs[i].column);
        sv_at(&v, e, "value", j->probs[i].value);
        /* The rule in the reader's language when the catalogue words it. */
        const imp_problem *q = &j->probs[i];
        if (q->rule_zh && q->rule_en)
            sv_label_as(&v, e, "rule", q->rule_zh, q->rule_en);
        else
            sv_at(&v, e, "rule", q->rule);
    }
    pthread_mutex_unlock(&jobs_lock);
    capa_plant_free(plant);
    sv_view_render(&v, r);
    if (status)
        r->status = status;
}

/* POST /admin/import/ID/confirm: the import itself (or its resumption), with the password. */
static void do_confirm(sv_req *r, const char *id)
{
    sv_params p = {0};
    if (sv_page_post(r, &p))
        return;
    capa_actor who = {r->sess.user, sv_params_get(&p, "password")};
    if (!who.password)
        who.password = "";
    pthread_mutex_lock(&jobs_lock);
    imp_job *j = job_find(id);
    int ok = j && !j->running &&
             (j->state == J_PREVIEW || (j->state == J_FAILED && j->ran_import && j->src.cases));
    int complete = j && j->res.complete;
    pthread_mutex_unlock(&jobs_lock);
    if (!ok || complete) {
        for (size_t i = 0; i < p.n; i++)
            explicit_bzero(p.v[i].value, strlen(p.v[i].value));
        sv_params_clear(&p);
        if (!j)
            page_job(r, id, NULL, 0); /* says there is no such job */
        else {
            char *msg = sv_said(r, complete ? "import.all_done" : "import.not_now", NULL,
                                "this import cannot be started now");
            page_job(r, id, msg ? msg : "this import cannot be started now", 409);
            free(msg);
        }
        return;
    }
    int err = CAPA_OK, throttled = sv_throttle_begin(r->sess.user, r->ip, &r->retry_after);
    if (!throttled) {
        err = capa_user_authenticate(r->srv->s, &who);
        sv_throttle_end(r->sess.user, r->ip, sv_throttle_outcome(err));
    }
    if (throttled || err) {
        char *t = throttled ? sv_said(r, "request.throttled", NULL, "too many password attempts")
                            : sv_error_text(r, err);
        for (size_t i = 0; i < p.n; i++)
            explicit_bzero(p.v[i].value, strlen(p.v[i].value));
        sv_params_clear(&p);
        page_job(r, id, t ? t : capa_error_last(), throttled ? 429 : sv_status_of(err));
        free(t);
        return;
    }
    pthread_mutex_lock(&jobs_lock);
    j = job_find(id);
    int started = -1;
    if (j && !j->running) {
        /* A run cut off resumes after what its events account for (--resume). */
        if (j->state == J_FAILED)
            j->resume = 1;
        j->ran_import = 1;
        j->state = J_IMPORTING;
        job_results_clear(j);
        started = job_start(j, who.password);
        if (started)
            j->state = J_FAILED;
    }
    pthread_mutex_unlock(&jobs_lock);
    for (size_t i = 0; i < p.n; i++)
        explicit_bzero(p.v[i].value, strlen(p.v[i].value));
    sv_params_clear(&p);
    char path[80];
    snprintf(path, sizeof path, "/admin/import/%s", id);
    if (started) {
        char *msg = sv_said(r, "import.not_started", NULL, "the import could not be started");
        page_job(r, id, msg ? msg : "the import could not be started", 500);
        free(msg);
    } else
        sv_page_redirect(r, path);
}

int sv_import_handle(sv_req *r)
{
    const char *path = r->path;
    int get = strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0,
        post = strcmp(r->method, "POST") == 0;
    if (strcmp(path, "/admin/import") == 0) {
        if (get)
            page_form(r, NULL, 0);
        else if (post)
            do_upload(r);
        else {
            r->allow = "GET, HEAD, POST";
            sv_page_refused(r, 405, "request.method", "method not allowed");
        }
        return 1;
    }
    if (strncmp(path, "/admin/import/", 14) != 0)
        return 0;
    char id[33];
    const char *rest = path + 14, *slash = strchr(rest, '/');
    size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
    if (n != 32 || (slash && strcmp(slash, "/confirm") != 0)) {
        sv_page_refused(r, 404, "request.not_found", "not found");
        return 1;
    }
    memcpy(id, rest, 32);
    id[32] = '\0';
    if (!slash && get)
        page_job(r, id, NULL, 0);
    else if (slash && post)
        do_confirm(r, id);
    else {
        r->allow = slash ? "POST" : "GET, HEAD";
        sv_page_refused(r, 405, "request.method", "method not allowed");
    }
    return 1;
}
