/*
 * capa-stress.c - the driver behind the crash and fault tests (tests/e2e/fault_*.sh).
 *
 * It talks to capa only through capa.h, like any caller, and keeps a log of every change
 * capa acknowledged, so a later `check` can prove that nothing acknowledged was lost and
 * nothing was half-applied, whatever happened to the writer (kill -9, I/O errors, a full
 * disk, failed allocations).
 *
 *   capa-stress init DIR                   a store with users w (intake) and q (qe)
 *   capa-stress writer DIR LOG ID          open and change cases forever, logging each ack
 *   capa-stress writers DIR LOG ID THREADS THREADS writers on one store handle (their changes
 *                                          share group commits), thread k logging to LOG.k
 *   capa-stress ops DIR LOG ID COUNT       COUNT changes, logging acks and failures
 *   capa-stress fill DIR LOG ID [MAP_MAX]  write until the first error; exit 0 if it was clean
 *   capa-stress check DIR LOG...           every logged ack present, store consistent
 *   capa-stress reader DIR                 hold a read transaction until killed
 *   capa-stress touch DIR                  open and close (clears stale readers)
 *   capa-stress oom DIR                    fail the N-th allocation for N = 1, 2, ...
 *
 * Log lines: "open NUMBER LOT" (case opened with lot_no LOT) and "set NUMBER VALUE" (its
 * containment set to VALUE); lines without a newline (the writer died mid-write) are
 * ignored. `check` also requires each acknowledged change, and each listed case's opening, in
 * exactly one audit event (a change applied twice, say by a batch run again, is a violation).
 * Exit 0 = all good, 1 = a violation (printed), 2 = usage.
 */
#include "capa.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PW_ADMIN "admin-password"
#define PW_W "writer-password"
#define PW_Q "quality-password"

static const capa_actor writer = {"w", PW_W}, quality = {"q", PW_Q};

/* With STRESS_SUBMIT=1 (or for odd writer ids in the kill -9 test) changes go through group
 * commit (capa_submit) instead of the single calls, so both paths face the same faults. */
static int use_submit;

static int submit_one(capa_store *s, capa_request *rq, char **number)
{
    int rc = capa_submit(s, rq, 1);
    if (rc == CAPA_OK && number) {
        *number = rq->number_out;
        rq->number_out = NULL;
    }
    capa_request_clear(rq);
    return rc;
}

static int open_store(capa_store **s, const char *dir, size_t map_max, int create)
{
    capa_open_opts o = {.create = create, .kdf_log2n = 1, .map_max = map_max};
    if (map_max)
        o.map_size = map_max < ((size_t)1 << 20) ? map_max : ((size_t)1 << 20);
    int rc = capa_store_open(s, dir, &o);
    if (rc)
        fprintf(stderr, "capa-stress: open %s: %s: %s\n", dir, capa_strerror(rc),
                capa_error_last());
    return rc;
}

static int cmd_init(const char *dir)
{
    capa_store *s = NULL;
    capa_init_opts io = {.org = "Stress Co.", .admin_password = PW_ADMIN};
    capa_actor admin = {"admin", PW_ADMIN};
    int rc;
    if ((rc = open_store(&s, dir, 0, 1)))
        return 1;
    if ((rc = capa_store_init(s, &io)) ||
        (rc = capa_user_add(s, &admin, "w", "intake", "Writer", "QA", PW_W)) ||
        (rc = capa_user_add(s, &admin, "q", "qe", "Quality", "QA", PW_Q)))
        fprintf(stderr, "capa-stress: init: %s: %s\n", capa_strerror(rc), capa_error_last());
    capa_store_close(s);
    return rc ? 1 : 0;
}

/* Append one line with a single write(2), so a kill leaves it whole or absent. */
static void log_line(int fd, const char *fmt, const char *a, const char *b)
{
    char buf[512];
    int n = snprintf(buf, sizeof buf, fmt, a, b);
    if (n > 0 && write(fd, buf, (size_t)n) != n)
        fprintf(stderr, "capa-stress: log write failed: %s\n", strerror(errno));
}

static int open_case(capa_store *s, char **number, const char *lot)
{
    capa_kv kv[] = {
        {"customer", "华东汽车"},
        {"channel", "written"},
        {"complaint_type", "quality"},
        {"part_no", "PCB-7731"},
        {"lot_no", lot},
        {"qty_affected", "120"},
        {"defect_code", "SOLDER-BRIDGE"},
        {"severity", "important"},
        {"responsible_dept", "生产部"},
        {"description", "焊点连锡，客户来料检验发现"},
    };
    if (use_submit) {
        capa_request rq = {
            .op = CAPA_OP_OPEN, .who = writer, .values = kv, .n_values = sizeof kv / sizeof *kv};
        return submit_one(s, &rq, number);
    }
    return capa_case_open(number, s, &writer, kv, sizeof kv / sizeof *kv);
}

static int set_case(capa_store *s, const char *number, const char *value)
{
    capa_kv kv[] = {{"containment", value}};
    if (use_submit) {
        capa_request rq = {.op = CAPA_OP_SET,
                           .who = quality,
                           .number = number,
                           .values = kv,
                           .n_values = 1,
                           .reason = "stress"};
        return submit_one(s, &rq, NULL);
    }
    return capa_case_set(s, number, &quality, kv, 1, "stress");
}

/*
 * One step of a writer: open a case, then change it. Acknowledged changes go to the log;
 * failures to stderr (when verbose) and to the log as "fail" lines for the record.
 */
static int step(capa_store *s, int fd, const char *id, unsigned long seq, int verbose)
{
    char lot[64], val[64], *number = NULL;
    int rc;
    snprintf(lot, sizeof lot, "W%s-%lu", id, seq);
    rc = open_case(s, &number, lot);
    if (rc == CAPA_OK) {
        log_line(fd, "open %s %s\n", number, lot);
        snprintf(val, sizeof val, "C%s-%lu", id, seq);
        rc = set_case(s, number, val);
        if (rc == CAPA_OK)
            log_line(fd, "set %s %s\n", number, val);
    }
    if (rc != CAPA_OK) {
        log_line(fd, "fail %s %s\n", capa_strerror(rc), lot);
        if (verbose)
            fprintf(stderr, "capa-stress: %s: %s: %s\n", lot, capa_strerror(rc), capa_error_last());
    }
    capa__free(number);
    return rc;
}

static int open_log(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0)
        fprintf(stderr, "capa-stress: %s: %s\n", path, strerror(errno));
    return fd;
}

/* Writers resume their sequence where the log left off, so lot numbers never repeat. */
static unsigned long next_seq(const char *log)
{
    FILE *f = fopen(log, "r");
    unsigned long n = 0;
    char line[512];
    while (f && fgets(line, sizeof line, f))
        n++;
    if (f)
        fclose(f);
    return n * 2 + 1;
}

static int cmd_writer(const char *dir, const char *log, const char *id, long count, int fill,
                      size_t map_max)
{
    capa_store *s = NULL;
    int fd = open_log(log), rc = 0, status = 1;
    unsigned long seq = next_seq(log);
    use_submit = (getenv("STRESS_SUBMIT") && atoi(getenv("STRESS_SUBMIT"))) || atoi(id) % 2;
    if (fd < 0 || open_store(&s, dir, map_max, 0))
        goto done;
    for (long i = 0; count < 0 || i < count; i++) {
        rc = step(s, fd, id, seq++, fill || count >= 0);
        if (fill && rc != CAPA_OK)
            break;
    }
    status = 0;
    if (fill) {
        /* A full store must say so cleanly (EFULL, or ERROR for a disk I/O error). */
        printf("%s\n", capa_strerror(rc));
        status = rc == CAPA_EFULL || rc == CAPA_ERROR ? 0 : 1;
    }
done:
    capa_store_close(s);
    if (fd >= 0)
        close(fd);
    return status;
}

/* Several writer threads on one store handle, so their changes meet in group commits. */
typedef struct wthread {
    capa_store *s;
    int fd;
    char id[64];
    unsigned long seq;
} wthread;

static void *writer_thread(void *arg)
{
    wthread *w = arg;
    for (;;)
        step(w->s, w->fd, w->id, w->seq++, 0);
    return NULL;
}

static int cmd_writers(const char *dir, const char *log, const char *id, int threads)
{
    capa_store *s = NULL;
    wthread w[64];
    pthread_t t[64];
    if (threads < 1 || threads > 64 || open_store(&s, dir, 0, 0))
        return 1;
    for (int k = 0; k < threads; k++) {
        char path[4096];
        snprintf(path, sizeof path, "%s.%d", log, k);
        snprintf(w[k].id, sizeof w[k].id, "%st%d", id, k);
        w[k].s = s;
        w[k].seq = next_seq(path);
        if ((w[k].fd = open_log(path)) < 0)
            return 1;
    }
    for (int k = 0; k < threads; k++)
        if (pthread_create(&t[k], NULL, writer_thread, &w[k]) != 0)
            return 1;
    for (int k = 0; k < threads; k++)
        pthread_join(t[k], NULL); /* never: the test kills the process */
    return 1;
}

/* ---- check ---- */
typedef struct found {
    const char *field, *want; /* a change of `field` to `want` */
    int hit;                  /* events holding it */
} found;

static int find_change(const capa_event *e, void *payload)
{
    found *f = payload;
    for (size_t i = 0; i < e->n_changes; i++)
        if (e->changes[i].new_value && strcmp(e->changes[i].new_value, f->want) == 0 &&
            e->changes[i].field && strcmp(e->changes[i].field, f->field) == 0) {
            f->hit++;
            break;
        }
    return 0;
}

typedef struct walk {
    capa_store *s;
    long cases, bad;
} walk;

/* Every listed case reads back whole: header and stage data agree, and it has its events. */
static int check_case(const capa_case_header *h, void *payload)
{
    walk *w = payload;
    capa_case *c = NULL;
    w->cases++;
    int rc = capa_case_get(&c, w->s, h->number);
    if (rc != CAPA_OK) {
        printf("case %s is listed but cannot be read: %s\n", h->number, capa_strerror(rc));
        w->bad++;
    } else {
        const char *lot = capa_case_value(c, "intake", "lot_no");
        if (!lot || !h->lot_no || strcmp(lot, h->lot_no) != 0) {
            printf("case %s: header lot_no %s but stage data %s\n", h->number,
                   h->lot_no ? h->lot_no : "(none)", lot ? lot : "(none)");
            w->bad++;
        }
        found f = {"lot_no", lot ? lot : "", 0};
        capa_audit_foreach(w->s, h->number, find_change, &f);
        if (f.hit != 1) {
            printf("case %s has %d audit events for its opening, not one\n", h->number, f.hit);
            w->bad++;
        }
    }
    capa_case_free(c);
    return 0;
}

static int check_log(capa_store *s, const char *path, long *acks)
{
    FILE *f = fopen(path, "r");
    char line[512], verb[16], number[64], value[128];
    int bad = 0;
    if (!f)
        return 0; /* a writer killed before its first ack leaves no log */
    while (fgets(line, sizeof line, f)) {
        size_t len = strlen(line);
        if (len == 0 || line[len - 1] != '\n')
            continue; /* torn last line: never acknowledged to anyone */
        if (sscanf(line, "%15s %63s %127s", verb, number, value) != 3 || strcmp(verb, "fail") == 0)
            continue;
        capa_case *c = NULL;
        int rc = capa_case_get(&c, s, number);
        if (rc != CAPA_OK) {
            printf("%s: acknowledged case %s is missing (%s)\n", path, number, capa_strerror(rc));
            bad++;
        } else if (strcmp(verb, "open") == 0) {
            const char *lot = capa_case_value(c, "intake", "lot_no");
            if (!lot || strcmp(lot, value) != 0) {
                printf("%s: case %s has lot_no %s, acknowledged %s\n", path, number,
                       lot ? lot : "(none)", value);
                bad++;
            }
        } else {
            found fd = {"containment", value, 0};
            capa_audit_foreach(s, number, find_change, &fd);
            if (fd.hit != 1) {
                printf("%s: acknowledged change %s of case %s is in %d audit events, not one\n",
                       path, value, number, fd.hit);
                bad++;
            }
        }
        (*acks)++;
        capa_case_free(c);
    }
    fclose(f);
    return bad;
}

static int cmd_check(const char *dir, int nlogs, char **logs)
{
    capa_store *s = NULL;
    capa_store_info info = {0};
    char head[65];
    uint64_t bad_seq = 0;
    long acks = 0;
    int bad = 0, rc;
    if (open_store(&s, dir, 0, 0))
        return 1;
    for (int i = 0; i < nlogs; i++)
        bad += check_log(s, logs[i], &acks);
    walk w = {s, 0, 0};
    capa_filter all = {.closed = -1};
    if ((rc = capa_case_list(s, &all, check_case, &w))) {
        printf("listing the cases failed: %s: %s\n", capa_strerror(rc), capa_error_last());
        bad++;
    }
    bad += (int)w.bad;
    if ((rc = capa_audit_verify(s, head, &bad_seq))) {
        printf("audit chain broken at event %llu: %s\n", (unsigned long long)bad_seq,
               capa_error_last());
        bad++;
    }
    if ((rc = capa_store_info_get(&info, s)) == CAPA_OK && info.n_cases != (uint64_t)w.cases) {
        printf("store counts %llu cases, the index lists %ld\n", (unsigned long long)info.n_cases,
               w.cases);
        bad++;
    }
    capa_store_info_clear(&info);
    capa_store_close(s);
    printf("check: %ld acknowledged changes, %ld cases, %d problems\n", acks, w.cases, bad);
    return bad ? 1 : 0;
}

static int hold(const capa_case_header *h, void *payload)
{
    (void)h, (void)payload;
    printf("reading\n");
    fflush(stdout);
    for (;;)
        pause();
    return 0;
}

static int cmd_reader(const char *dir)
{
    capa_store *s = NULL;
    capa_filter all = {.closed = -1};
    if (open_store(&s, dir, 0, 0))
        return 1;
    capa_case_list(s, &all, hold, NULL);
    capa_store_close(s);
    return 1;
}

static int cmd_touch(const char *dir)
{
    capa_store *s = NULL;
    if (open_store(&s, dir, 0, 0))
        return 1;
    capa_store_close(s);
    return 0;
}

/* ---- out of memory ---- */
static int count_cb(const capa_case_header *h, void *payload)
{
    (void)h;
    ++*(long *)payload;
    return 0;
}

/* Parse every embedded definition with the N-th allocation failing, for every N. */
static int oom_forms(void)
{
    int status = 0;
    capa_form_init();
    for (const capa_embedded_file *f = capa_form_embedded(); f && f->name; f++) {
        size_t nl = strlen(f->name);
        if (nl < 4 || strcmp(f->name + nl - 4, ".xml") != 0 || strncmp(f->name, "calendar-", 9) == 0)
            continue;
        int is_wf = strcmp(f->name, "workflow.xml") == 0;
        unsigned long n;
        for (n = 1;; n++) {
            capa_diag d = {0};
            capa_formdef *fd = NULL;
            capa_workflow *wf = NULL;
            capa_alloc_fail_at(n);
            int rc = is_wf ? capa_workflow_parse(&wf, f->data, f->len, f->name, &d)
                           : capa_formdef_parse(&fd, f->data, f->len, f->name, &d);
            uint64_t used = capa_alloc_fail_at(0);
            if (rc != CAPA_OK && rc != CAPA_ENOMEM && rc != CAPA_EINVALID && rc != CAPA_ERROR) {
                printf("oom: %s N=%lu: unexpected %s\n", f->name, n, capa_strerror(rc));
                status = 1;
            }
            if ((rc == CAPA_OK) != (fd != NULL || wf != NULL)) {
                printf("oom: %s N=%lu: result and out pointer disagree\n", f->name, n);
                status = 1;
            }
            capa_formdef_free(fd);
            capa_workflow_free(wf);
            capa_diag_clear(&d);
            if (used < n)
                break;
        }
        printf("oom: %s: failed each of %lu allocations once\n", f->name, n - 1);
    }
    return status;
}

/* Verify replays the whole trail into a scratch store: on a store that does not change, so
 * every run needs the same allocations. */
static int oom_verify(capa_store *s)
{
    char head[65];
    uint64_t bad = 0;
    return capa_audit_verify(s, head, &bad);
}

/* The case operations of a session, on a store that is already open (its forms cached).
 * Each run adds a case (with an attachment, exported as XML), so verify - whose work grows with the store - is walked apart. */
static int oom_ops(capa_store *s, unsigned long n)
{
    capa_case *c = NULL;
    char *number = NULL, lot[64];
    long rows = 0;
    int rc;
    snprintf(lot, sizeof lot, "OOM-%lu", n);
    if ((rc = open_case(s, &number, lot)))
        goto done;
    if ((rc = set_case(s, number, lot)))
        goto done;
    /* An attachment (content stored by SHA-256) and the case's XML archive. */
    if ((rc = capa_case_attach(s, number, &quality, "photo.png", "\x89PNG\r\n\x1a\n-oom", 12,
                               NULL, "oom", NULL)))
        goto done;
    char *xml = NULL;
    size_t xml_len = 0;
    rc = capa_case_export(&xml, &xml_len, s, number);
    capa__free(xml);
    if (rc)
        goto done;
    if ((rc = capa_case_get(&c, s, number)))
        goto done;
    capa_filter all = {.closed = -1};
    rc = capa_case_list(s, &all, count_cb, &rows);
done:
    capa_case_free(c);
    capa__free(number);
    return rc;
}

/* Opening a store cold: environment, databases, workflow and forms loaded from it. */
static int oom_open(const char *dir)
{
    capa_store *s = NULL;
    const capa_workflow *wf = NULL;
    capa_open_opts o = {.kdf_log2n = 1};
    int rc = capa_store_open(&s, dir, &o);
    if (rc == CAPA_OK)
        rc = capa_store_workflow(&wf, s);
    for (size_t i = 0; rc == CAPA_OK && wf && i < wf->n_stages; i++) {
        const capa_formdef *f = NULL;
        rc = capa_store_form(&f, s, wf->stages[i].form_id, 0);
    }
    capa_store_close(s);
    return rc;
}

/*
 * Fail the N-th allocation of `what` for N = 1, stride+1, 2*stride+1, ... until a run needs
 * fewer than N allocations (every one of them has then been failed). Each run must end in a
 * success or a clean error; a crash kills the test, a leak fails it under LeakSanitizer.
 */
static int oom_walk(const char *what, unsigned long stride, capa_store *s, const char *dir,
                    int verify)
{
    unsigned long n, runs = 0;
    int status = 0;
    for (n = 1;; n += stride) {
        capa_alloc_fail_at(n);
        int rc = verify ? oom_verify(s) : s ? oom_ops(s, n) : oom_open(dir);
        uint64_t used = capa_alloc_fail_at(0);
        runs++;
        if (getenv("OOM_TRACE"))
            fprintf(stderr, "%s N=%lu rc=%d used=%llu\n", what, n, rc, (unsigned long long)used);
        if (rc != CAPA_OK && rc != CAPA_ENOMEM && rc != CAPA_ERROR) {
            printf("oom: %s: N=%lu: unexpected %s: %s\n", what, n, capa_strerror(rc),
                   capa_error_last());
            status = 1;
        }
        if (used < n)
            break;
    }
    printf("oom: %s: %lu runs, failing allocation 1..%lu (every %lu)\n", what, runs, n - 1, stride);
    return status;
}

static int cmd_oom(const char *dir)
{
    int status = 0;
    const char *st = getenv("OOM_STRIDE");
    unsigned long stride = st && atol(st) > 0 ? (unsigned long)atol(st) : 1;
    capa_store *s = NULL;
    if (oom_forms())
        status = 1;
    if (cmd_init(dir))
        return 1;
    /* Case operations: every allocation, on a warm store. */
    if (open_store(&s, dir, 0, 0))
        return 1;
    const capa_workflow *wf = NULL;
    capa_store_workflow(&wf, s);
    if (oom_walk("case operations", 1, s, NULL, 0))
        status = 1;
    capa_store_close(s);
    /* Verify (chain walk, replay, comparison) on a small store of its own. */
    char vdir[4096];
    snprintf(vdir, sizeof vdir, "%s-verify", dir);
    if (cmd_init(vdir) || open_store(&s, vdir, 0, 0))
        return 1;
    char *num = NULL;
    if (open_case(s, &num, "V-1") || set_case(s, num, "contained") ||
        capa_case_attach(s, num, &quality, "v.bin", "verify-me", 9, NULL, NULL, NULL))
        status = 1;
    capa__free(num);
    if (oom_walk("verify", stride, s, NULL, 1))
        status = 1;
    capa_store_close(s);
    s = NULL;
    /* Opening the store and loading every stored definition (OOM_STRIDE > 1 samples). */
    if (oom_walk("store open", stride, NULL, dir, 0))
        status = 1;
    /* Whatever failed along the way, the store is whole. */
    char head[65];
    uint64_t bad = 0;
    if (open_store(&s, dir, 0, 0) || capa_audit_verify(s, head, &bad)) {
        printf("oom: the store does not verify afterwards (event %llu)\n", (unsigned long long)bad);
        status = 1;
    }
    capa_store_close(s);
    return status;
}

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : "";
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (strcmp(cmd, "init") == 0 && argc == 3)
        return cmd_init(argv[2]);
    if (strcmp(cmd, "writer") == 0 && argc == 5)
        return cmd_writer(argv[2], argv[3], argv[4], -1, 0, 0);
    if (strcmp(cmd, "writers") == 0 && argc == 6)
        return cmd_writers(argv[2], argv[3], argv[4], atoi(argv[5]));
    if (strcmp(cmd, "ops") == 0 && argc == 6)
        return cmd_writer(argv[2], argv[3], argv[4], atol(argv[5]), 0, 0);
    if (strcmp(cmd, "fill") == 0 && (argc == 5 || argc == 6))
        return cmd_writer(argv[2], argv[3], argv[4], -1, 1,
                          argc == 6 ? (size_t)strtoull(argv[5], NULL, 10) : 0);
    if (strcmp(cmd, "check") == 0 && argc >= 3)
        return cmd_check(argv[2], argc - 3, argv + 3);
    if (strcmp(cmd, "reader") == 0 && argc == 3)
        return cmd_reader(argv[2]);
    if (strcmp(cmd, "touch") == 0 && argc == 3)
        return cmd_touch(argv[2]);
    if (strcmp(cmd, "oom") == 0 && argc == 3)
        return cmd_oom(argv[2]);
    fprintf(stderr, "usage: capa-stress init|writer|writers|ops|fill|check|reader|touch|oom DIR ...\n");
    return 2;
}
