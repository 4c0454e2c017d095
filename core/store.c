/*
 * store.c - opening the LMDB environment, transactions, map growth, meta records and the
 * cache of parsed form definitions.
 *
 * Durable flags only (no NOSYNC/NOMETASYNC/WRITEMAP). MDB_NOTLS so a thread may hold several
 * read transactions and transactions are not tied to threads. Stale reader slots left by
 * killed processes are cleared on open.
 */
#include "refusal.h"
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <pwd.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"

#define DEFAULT_MAP_SIZE ((size_t)64 << 30)

const struct capa_db_spec capa_db_specs[DB_COUNT] = {
    [DB_META] = {"meta", 0},
    [DB_CASES] = {"cases", 0},
    [DB_NUMBERS] = {"numbers", 0},
    [DB_STAGES] = {"stages", 0},
    [DB_SIGS] = {"signatures", 0},
    [DB_EVENTS] = {"events", 0},
    [DB_CASE_EVENTS] = {"case_events", MDB_DUPSORT | MDB_DUPFIXED},
    [DB_USERS] = {"users", 0},
    [DB_FORMS] = {"forms", 0},
    [DB_IDX_STAGE] = {"idx_stage", MDB_DUPSORT | MDB_DUPFIXED},
    [DB_IDX_CUSTOMER] = {"idx_customer", MDB_DUPSORT | MDB_DUPFIXED},
    [DB_IDX_PART] = {"idx_part", MDB_DUPSORT | MDB_DUPFIXED},
    [DB_IDX_DEFECT] = {"idx_defect", MDB_DUPSORT | MDB_DUPFIXED},
    [DB_IDX_OPENED] = {"idx_opened", MDB_DUPSORT | MDB_DUPFIXED},
    [DB_BLOBS] = {"blobs", 0},
    [DB_ATTACH] = {"attachments", 0},
    [DB_IDX_DUE] = {"idx_due", MDB_DUPSORT | MDB_DUPFIXED},
    [DB_OUTBOX] = {"outbox", 0},
    [DB_CONTACTS] = {"contacts", 0},
    [DB_TARGETS] = {"notify_targets", 0},
    [DB_OWNERS] = {"owners", 0},
    [DB_NOTICES] = {"notices", 0},
    [DB_INBOX] = {"notice_inbox", 0},
    [DB_PENDING] = {"notice_outbox", 0},
    [DB_PROOF] = {"proof", 0},
};

int capa_store__has(const capa_store *s, int db)
{
    return !s->absent[db];
}

/* Set when an LMDB call of this thread reported MDB_MAP_FULL, so the write loop knows to
 * grow and retry whatever code the failing module passed up. */
static _Thread_local int map_full_seen;

int capa_store__mdb_err(int rc, const char *what)
{
    int code;
    if (rc == MDB_MAP_FULL)
        map_full_seen = 1;
    switch (rc) {
    case MDB_SUCCESS:
        return CAPA_OK;
    case MDB_NOTFOUND:
        return capa_error_set(CAPA_ENOTFOUND, "%s: not found", what);
    case MDB_MAP_FULL:
        code =
            capa__refuse(CAPA_EFULL, "store.map_full", NULL, NULL,
                         "%s: database map full; open with a larger map ceiling (map_max) or free "
                         "space",
                         what);
        break;
    case ENOSPC:
        code = capa__refuse(CAPA_EFULL, "store.disk_full", NULL, NULL,
                            "%s: no space left on device", what);
        break;
    case ENOMEM:
        return capa_error_set(CAPA_ENOMEM, "%s: out of memory", what);
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH:
        code = capa__refuse(CAPA_ECORRUPT, "store.damaged", NULL, NULL,
                            "%s: database file damaged: %s", what, mdb_strerror(rc));
        break;
    case EACCES:
        code = capa__refuse(CAPA_EDENIED, "store.access", NULL, NULL, "%s: %s", what,
                            mdb_strerror(rc));
        break;
    default:
        code = capa__refuse(CAPA_ERROR, "store.io", NULL, NULL, "%s: %s", what, mdb_strerror(rc));
        break;
    }
    /* What the store was doing and the system's own words, for the administrator. */
    capa__refusal_param("what", "%s", what);
    capa__refusal_param("detail", "%s", mdb_strerror(rc));
    return code;
}

int64_t capa_store__now(capa_store *s)
{
    if (s->opts.clock)
        return s->opts.clock(s->opts.clock_payload);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* LMDB's own key order (memcmp over the shorter length, then the shorter first), with the
 * 8-byte keys and duplicates (big-endian ids and times) compared as one word: the same
 * order, so any tool reads the store alike, without a call to memcmp at each step of a
 * search (a list looks a header up per row: issue 21). */
static int cmp_keys(const MDB_val *a, const MDB_val *b)
{
    if (a->mv_size == 8 && b->mv_size == 8) {
        uint64_t x = capa_get_be64(a->mv_data), y = capa_get_be64(b->mv_data);
        return (x > y) - (x < y);
    }
    size_t n = a->mv_size < b->mv_size ? a->mv_size : b->mv_size;
    int c = n ? memcmp(a->mv_data, b->mv_data, n) : 0;
    return c ? c : (a->mv_size > b->mv_size) - (a->mv_size < b->mv_size);
}

static int open_dbis(capa_store *s)
{
    MDB_txn *txn = NULL;
    int rc = mdb_txn_begin(s->env, NULL, s->opts.read_only ? MDB_RDONLY : 0, &txn);
    if (rc)
        return capa_store__mdb_err(rc, "open databases");
    for (int i = 0; i < DB_COUNT; i++) {
        unsigned flags = capa_db_specs[i].flags | (s->opts.read_only ? 0 : MDB_CREATE);
        rc = mdb_dbi_open(txn, capa_db_specs[i].name, flags, &s->dbi[i]);
        if (rc == MDB_NOTFOUND && s->opts.read_only && (i == DB_BLOBS || i == DB_ATTACH || i >= DB_CONTACTS)) {
            s->absent[i] = 1; /* a store made before attachments or notices: none to read */
            continue;
        }
        /* A store of format 1 has none of the databases added since (opened read-only to
         * be told it needs `capa upgrade`): they are left invalid, so LMDB refuses any use. */
        if (rc == MDB_NOTFOUND && s->opts.read_only && (i == DB_IDX_DUE || i == DB_OUTBOX)) {
            s->dbi[i] = (MDB_dbi)~0u;
            continue;
        }
        if (rc == MDB_NOTFOUND && s->opts.read_only) {
            mdb_txn_abort(txn);
            return capa_error_set(CAPA_ESTATE, "store %s: not initialised (run capa init)", s->dir);
        }
        if (!rc)
            rc = mdb_set_compare(txn, s->dbi[i], cmp_keys);
        if (!rc && (capa_db_specs[i].flags & MDB_DUPSORT))
            rc = mdb_set_dupsort(txn, s->dbi[i], cmp_keys);
        if (rc) {
            mdb_txn_abort(txn);
            return capa_store__mdb_err(rc, capa_db_specs[i].name);
        }
    }
    rc = mdb_txn_commit(txn);
    return rc ? capa_store__mdb_err(rc, "open databases") : CAPA_OK;
}

static int open_env(capa_store **out, const char *dir, const capa_open_opts *opts,
                    unsigned extra_flags);

int capa_store_open(capa_store **out, const char *dir, const capa_open_opts *opts)
{
    return open_env(out, dir, opts, 0);
}

int capa_store__open_scratch(capa_store **out, const char *dir, size_t map_size)
{
    /* A scratch store is rebuilt from scratch whenever it is needed: no syncing. And no lock
     * file: LMDB keeps its reader table in a sparse file it writes through a shared map, so
     * on a full file system the first touch of it is a SIGBUS that kills the process. The
     * data file is written only with pwrite (no MDB_WRITEMAP), where a full disk is an error
     * code. The scratch is private to its process, which keeps to LMDB's rule for NOLOCK:
     * no read transaction open while a write transaction commits. */
    capa_open_opts o = {.map_size = map_size, .create = 1};
    int err = open_env(out, dir, &o, MDB_NOSYNC | MDB_NOMETASYNC | MDB_NOLOCK);
    if (!err)
        (*out)->unpacked = 1; /* compressing only to compare would cost half of verify */
    return err;
}

int capa_store__scratch_fail(const char *dir, int err)
{
    char msg[1024], room[96] = "";
    struct statvfs fs;
    if (err == CAPA_ENOMEM)
        return err;
    const char *last = capa_error_last();
    size_t dl = strlen(dir);
    if (strncmp(last, dir, dl) == 0 && strncmp(last + dl, ": ", 2) == 0)
        last += dl + 2; /* LMDB's open names the directory already */
    snprintf(msg, sizeof msg, "%s", last);
    if (statvfs(dir, &fs) == 0)
        snprintf(room, sizeof room, " (%llu KiB free there)",
                 (unsigned long long)fs.f_bavail * fs.f_frsize / 1024);
    /* The store itself is not full: CAPA_EFULL would say so. */
    capa__refuse(CAPA_ERROR, "store.scratch", NULL, NULL,
                 "scratch store %s: %s%s; free space there or set TMPDIR to a directory with "
                 "room",
                 dir, msg, room);
    capa__refusal_param("dir", "%s", dir);
    capa__refusal_param("detail", "%s", msg);
    if (*room)
        capa__refusal_param("free_kib", "%llu",
                            (unsigned long long)fs.f_bavail * fs.f_frsize / 1024);
    return CAPA_ERROR;
}

int capa_store__os_actor(capa_store *s, char *buf, size_t sz, const char *what)
{
    struct stat st;
    if (stat(s->dir, &st) != 0)
        return capa_error_set(CAPA_ERROR, "%s: %s: %s", what, s->dir, strerror(errno));
    uid_t me = geteuid();
    if (st.st_uid != me)
        return capa_error_set(CAPA_EDENIED,
                              "%s: only the operating-system user that owns %s (uid %u) may do "
                              "this; you are uid %u",
                              what, s->dir, (unsigned)st.st_uid, (unsigned)me);
    struct passwd *pw = getpwuid(me);
    int ok = pw && pw->pw_name[0] >= 'a' && pw->pw_name[0] <= 'z' && strlen(pw->pw_name) < 30;
    for (const char *p = ok ? pw->pw_name : ""; *p && ok; p++)
        ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' ||
             *p == '.';
    if (ok)
        snprintf(buf, sz, "os:%s", pw->pw_name);
    else
        snprintf(buf, sz, "os:uid%u", (unsigned)me);
    return CAPA_OK;
}

static int open_env(capa_store **out, const char *dir, const capa_open_opts *opts,
                    unsigned extra_flags)
{
    int err = CAPA_OK;
    capa_store *s = NULL;
    *out = NULL;
    if (!dir || !*dir)
        return capa_error_set(CAPA_EINVALID, "store: no directory given");
    if ((err = capa_form_init()) != CAPA_OK)
        return err;
    struct stat st;
    if (stat(dir, &st) != 0) {
        if (errno == ENOENT && opts && opts->create) {
            if (mkdir(dir, 0750) != 0)
                return capa_error_set(CAPA_ERROR, "store %s: cannot create: %s", dir,
                                      strerror(errno));
        } else {
            return capa_error_set(errno == ENOENT ? CAPA_ENOTFOUND : CAPA_ERROR, "store %s: %s%s",
                                  dir, errno == ENOENT ? "no capa database here" : strerror(errno),
                                  errno == ENOENT ? " (no such directory; run capa init first)"
                                                  : "");
        }
    } else if (!S_ISDIR(st.st_mode)) {
        return capa_error_set(CAPA_EINVALID, "store %s: not a directory", dir);
    }
    /* Only init (and restore, and scratch stores) make a store: opening a directory without
     * one must leave it as it was, so LMDB (which creates data.mdb and lock.mdb) is not
     * reached without a data.mdb there. */
    if (!(opts && opts->create)) {
        char *data = capa__sprintf("%s/data.mdb", dir);
        if (!data)
            return capa_error_set(CAPA_ENOMEM, "store: out of memory");
        int there = stat(data, &st) == 0, why = errno;
        capa__free(data);
        if (!there)
            return capa_error_set(why == ENOENT ? CAPA_ENOTFOUND : CAPA_ERROR, "store %s: %s%s",
                                  dir, why == ENOENT ? "no capa database here" : strerror(why),
                                  why == ENOENT ? " (no data.mdb; run capa init first)" : "");
    }

    s = capa__calloc(1, sizeof *s);
    if (!s)
        return capa_error_set(CAPA_ENOMEM, "store: out of memory");
    if (opts)
        s->opts = *opts;
    pthread_rwlock_init(&s->map_lock, NULL);
    pthread_mutex_init(&s->cache_lock, NULL);
    s->dir = capa__strdup(dir);
    if (!s->dir) {
        err = capa_error_set(CAPA_ENOMEM, "store: out of memory");
        goto done;
    }
    pthread_mutex_init(&s->group.lock, NULL);
    pthread_cond_init(&s->group.cond, NULL);
    pthread_cond_init(&s->group.arrived, NULL);
    pthread_mutex_init(&s->auth_memo.lock, NULL);
    int rc = mdb_env_create(&s->env);
    if (rc) {
        err = capa_store__mdb_err(rc, "store");
        goto done;
    }
    s->map_size = s->opts.map_size ? s->opts.map_size : DEFAULT_MAP_SIZE;
    if (s->opts.map_max && s->map_size > s->opts.map_max)
        s->map_size = s->opts.map_max;
    mdb_env_set_userctx(s->env, s);
    mdb_env_set_maxdbs(s->env, DB_COUNT + 8); /* and volatile_* */
    mdb_env_set_maxreaders(s->env, 510);
    mdb_env_set_mapsize(s->env, s->map_size);
    rc = mdb_env_open(s->env, dir, MDB_NOTLS | extra_flags | (s->opts.read_only ? MDB_RDONLY : 0),
                      0640);
    if (rc) {
        err = capa_store__mdb_err(rc, dir);
        goto done;
    }
    /* Another process may have grown the map: adopt the size recorded in the file. */
    MDB_envinfo info;
    mdb_env_info(s->env, &info);
    if (info.me_mapsize > s->map_size)
        s->map_size = info.me_mapsize;
    int dead = 0;
    mdb_reader_check(s->env, &dead);
    err = open_dbis(s);
done:
    if (err) {
        capa_store_close(s);
        return err;
    }
    *out = s;
    return CAPA_OK;
}

void capa_store_close(capa_store *s)
{
    if (!s)
        return;
    if (s->env)
        mdb_env_close(s->env);
    for (size_t i = 0; i < s->n_forms; i++)
        capa_formdef_free(s->forms[i]);
    for (size_t i = 0; i < s->n_workflows; i++)
        capa_workflow_free(s->workflows[i]);
    capa__free(s->forms);
    capa__free(s->workflows);
    capa_plant__cache_free(s);
    capa_plant_free(s->plant);
    capa__free(s->plant_key);
    pthread_mutex_destroy(&s->group.lock);
    pthread_cond_destroy(&s->group.cond);
    pthread_cond_destroy(&s->group.arrived);
    OPENSSL_cleanse(&s->auth_memo.key, sizeof s->auth_memo.key);
    pthread_mutex_destroy(&s->auth_memo.lock);
    pthread_rwlock_destroy(&s->map_lock);
    pthread_mutex_destroy(&s->cache_lock);
    capa__free(s->dir);
    capa__free(s);
}

/* Adopt a map size another process set (MDB_MAP_RESIZED) or grow our own: both need every
 * transaction of this process closed, hence the exclusive lock. */
static int resize_map(capa_store *s, size_t want)
{
    int err = CAPA_OK;
    pthread_rwlock_wrlock(&s->map_lock);
    MDB_envinfo info;
    mdb_env_info(s->env, &info);
    size_t cur = info.me_mapsize > s->map_size ? info.me_mapsize : s->map_size;
    if (want > cur) {
        int rc = mdb_env_set_mapsize(s->env, want);
        if (rc)
            err = capa_store__mdb_err(rc, "grow map");
        else
            s->map_size = want;
    } else {
        int rc = mdb_env_set_mapsize(s->env, 0);
        if (rc)
            err = capa_store__mdb_err(rc, "adopt map size");
        mdb_env_info(s->env, &info);
        s->map_size = info.me_mapsize;
    }
    pthread_rwlock_unlock(&s->map_lock);
    return err;
}

static int begin(capa_store *s, unsigned flags, MDB_txn **out)
{
    for (int tries = 0; tries < 3; tries++) {
        pthread_rwlock_rdlock(&s->map_lock);
        int rc = mdb_txn_begin(s->env, NULL, flags, out);
        if (rc == MDB_SUCCESS)
            return CAPA_OK;
        pthread_rwlock_unlock(&s->map_lock);
        if (rc != MDB_MAP_RESIZED)
            return capa_store__mdb_err(rc, "begin transaction");
        int err = resize_map(s, 0);
        if (err)
            return err;
    }
    return capa_error_set(CAPA_ERROR, "begin transaction: map keeps being resized");
}

int capa_store__read_begin(capa_store *s, MDB_txn **out)
{
    *out = NULL;
    return begin(s, MDB_RDONLY, out);
}

void capa_store__read_end(capa_store *s, MDB_txn *txn)
{
    if (!txn)
        return;
    mdb_txn_abort(txn);
    pthread_rwlock_unlock(&s->map_lock);
}

/*
 * A writer killed (kill -9) in the middle of its commit - after its meta page reached the
 * data file (the O_DSYNC pwrite), before it published the new transaction id in lock.mdb -
 * leaves a commit that is durable but not yet visible: read transactions take the id from
 * lock.mdb and see the store as it was one commit earlier, until the next writer takes the
 * writer mutex, finds its owner dead and publishes the id of the newest meta page (LMDB's
 * mdb_mutex_failed). While another process keeps the store open (capa serve) that can last
 * indefinitely: a reader counting what an interrupted import wrote then counts a batch too
 * few, and the import resumed from that count finds the batch there. Taking the writer
 * mutex once (an empty write transaction) settles it. A read-only handle cannot, and need
 * not be exact.
 */
int capa_store__writer_settle(capa_store *s)
{
    MDB_txn *txn = NULL;
    if (s->opts.read_only)
        return CAPA_OK;
    int err = begin(s, 0, &txn);
    if (err)
        return err;
    mdb_txn_abort(txn);
    pthread_rwlock_unlock(&s->map_lock);
    return CAPA_OK;
}

/* LMDB reports a short write as EIO, which is what a full file system gives it: name the
 * real cause when the store's file system has (next to) no space left. */
static int commit_error(capa_store *s, int rc)
{
    struct statvfs vfs;
    if (rc == EIO && statvfs(s->dir, &vfs) == 0 &&
        (uint64_t)vfs.f_bavail * vfs.f_frsize < ((uint64_t)1 << 20))
        return capa_error_set(CAPA_EFULL,
                              "commit: no space left on the file system of %s; nothing was "
                              "written (free space and retry)",
                              s->dir);
    return capa_store__mdb_err(rc, "commit");
}

/* The definition memo (store.h: def_memo) belongs to txn from now on, empty; NULL: to none. */
void capa_store__def_memo(capa_store *s, MDB_txn *txn)
{
    pthread_mutex_lock(&s->cache_lock);
    s->def_memo_txn = txn;
    s->def_memo_n = 0;
    s->plant_memo = 0;
    pthread_mutex_unlock(&s->cache_lock);
}

/* A definition written: what the memo holds may not be the latest any more. */
static void def_memo_clear(capa_store *s)
{
    pthread_mutex_lock(&s->cache_lock);
    s->def_memo_n = 0;
    s->plant_memo = 0; /* a calendar is a definition */
    pthread_mutex_unlock(&s->cache_lock);
}

int capa_store__write(capa_store *s, const struct capa_user_rec *actor, capa_write_fn fn, void *arg)
{
    if (s->opts.read_only)
        return capa_error_set(CAPA_EDENIED, "store %s: opened read-only", s->dir);
    for (;;) {
        capa_wtxn t = {.s = s, .actor = actor};
        int err = begin(s, 0, &t.txn);
        if (err)
            return err;
        t.now = capa_store__now(s);
        map_full_seen = 0;
        capa_store__def_memo(s, t.txn);
        err = fn(&t, arg);
        capa_store__def_memo(s, NULL); /* before the transaction ends: its address may come again */
        int full = 0;
        if (err == CAPA_OK) {
            int rc = mdb_txn_commit(t.txn);
            if (rc == MDB_MAP_FULL)
                full = 1;
            else if (rc)
                err = commit_error(s, rc);
        } else {
            full = map_full_seen;
            mdb_txn_abort(t.txn);
        }
        pthread_rwlock_unlock(&s->map_lock);
        if (!full)
            return err;
        /* Grow by doubling, within the ceiling, and run the whole change again. */
        size_t want = s->map_size * 2;
        if (s->opts.map_max && want > s->opts.map_max)
            want = s->opts.map_max;
        if (want <= s->map_size)
            return capa_error_set(CAPA_EFULL,
                                  "database map full at %zu bytes (ceiling map_max %zu); "
                                  "nothing was written",
                                  s->map_size, s->opts.map_max);
        if ((err = resize_map(s, want)) != CAPA_OK)
            return err;
    }
}

static _Thread_local struct {
    MDB_txn *txn;
    MDB_cursor *cur[DB_COUNT + 8]; /* by dbi: the environment has at most this many */
} cursor_memo;

void capa_store__cursor_memo(MDB_txn *txn)
{
    memset(&cursor_memo, 0, sizeof cursor_memo);
    cursor_memo.txn = txn;
}

/* The memo's cursor on `dbi` for `txn`, or NULL (then the caller uses a fresh one). */
static MDB_cursor *memo_cursor(MDB_txn *txn, MDB_dbi dbi)
{
    if (!txn || cursor_memo.txn != txn || dbi >= DB_COUNT + 8)
        return NULL;
    if (!cursor_memo.cur[dbi] && mdb_cursor_open(txn, dbi, &cursor_memo.cur[dbi]))
        cursor_memo.cur[dbi] = NULL;
    return cursor_memo.cur[dbi];
}

int capa_store__get(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen, MDB_val *out)
{
    MDB_val k = {klen, (void *)key};
    MDB_cursor *c = memo_cursor(txn, dbi);
    int rc = c ? mdb_cursor_get(c, &k, out, MDB_SET_KEY) : mdb_get(txn, dbi, &k, out);
    if (rc == MDB_NOTFOUND)
        return CAPA_ENOTFOUND;
    return rc ? capa_store__mdb_err(rc, "read") : CAPA_OK;
}

int capa_store__put(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen, const void *data,
                    size_t dlen, unsigned flags)
{
    MDB_val k = {klen, (void *)key}, v = {dlen, (void *)data};
    MDB_cursor *c = memo_cursor(txn, dbi);
    int rc = c ? mdb_cursor_put(c, &k, &v, flags) : mdb_put(txn, dbi, &k, &v, flags);
    if (rc == MDB_KEYEXIST)
        return CAPA_EEXISTS;
    return rc ? capa_store__mdb_err(rc, "write") : CAPA_OK;
}

int capa_store__del(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen, const void *data,
                    size_t dlen)
{
    MDB_val k = {klen, (void *)key}, v = {dlen, (void *)data};
    int rc = mdb_del(txn, dbi, &k, data ? &v : NULL);
    if (rc == MDB_NOTFOUND)
        return CAPA_OK;
    return rc ? capa_store__mdb_err(rc, "delete") : CAPA_OK;
}

int capa_meta__get_u64(capa_store *s, MDB_txn *txn, const char *key, uint64_t *out)
{
    MDB_val v;
    *out = 0;
    int err = capa_store__get(txn, s->dbi[DB_META], key, strlen(key), &v);
    if (err)
        return err;
    if (v.mv_size != 8)
        return capa_error_set(CAPA_ECORRUPT, "meta record `%s`: bad size %zu", key, v.mv_size);
    *out = capa_get_be64(v.mv_data);
    return CAPA_OK;
}

int capa_meta__put_u64(capa_store *s, MDB_txn *txn, const char *key, uint64_t val)
{
    unsigned char b[8];
    capa_be64(b, val);
    return capa_store__put(txn, s->dbi[DB_META], key, strlen(key), b, 8, 0);
}

int capa_meta__get_str(capa_store *s, MDB_txn *txn, const char *key, char **out)
{
    MDB_val v;
    *out = NULL;
    int err = capa_store__get(txn, s->dbi[DB_META], key, strlen(key), &v);
    if (err)
        return err;
    *out = capa__strndup(v.mv_data, v.mv_size);
    return *out ? CAPA_OK : capa_error_set(CAPA_ENOMEM, "out of memory");
}

int capa_meta__put_str(capa_store *s, MDB_txn *txn, const char *key, const char *val)
{
    pthread_mutex_lock(&s->cache_lock);
    s->plant_memo = 0; /* the plant's time zone is a meta string */
    pthread_mutex_unlock(&s->cache_lock);
    return capa_store__put(txn, s->dbi[DB_META], key, strlen(key), val, strlen(val), 0);
}

int capa_store__require_any_format(capa_store *s, MDB_txn *txn, uint64_t *format)
{
    uint64_t fmt = 0;
    int err = capa_meta__get_u64(s, txn, "format", &fmt);
    if (format)
        *format = fmt;
    if (err == CAPA_ENOTFOUND)
        return capa_error_set(CAPA_ESTATE, "store %s: not initialised (run capa init)", s->dir);
    if (err)
        return err;
    if (fmt < 1 || fmt > CAPA_FORMAT_VERSION)
        return capa_error_set(CAPA_ECORRUPT,
                              "store %s: format version %llu; this capa reads formats 1 to %d",
                              s->dir, (unsigned long long)fmt, CAPA_FORMAT_VERSION);
    return CAPA_OK;
}

int capa_store__require_init(capa_store *s, MDB_txn *txn)
{
    uint64_t fmt = 0;
    int err = capa_store__require_any_format(s, txn, &fmt);
    if (err)
        return err;
    if (fmt != CAPA_FORMAT_VERSION)
        return capa_error_set(CAPA_ESTATE,
                              "store %s: written in store format %llu; this capa uses format %d: "
                              "run `capa upgrade --db %s` (it makes a backup first)",
                              s->dir, (unsigned long long)fmt, CAPA_FORMAT_VERSION, s->dir);
    return CAPA_OK;
}

/* ---- forms by (id, version) ---- */

static size_t form_key(unsigned char *key, size_t cap, const char *id, int version)
{
    size_t n = strlen(id);
    if (n + 5 > cap)
        return 0;
    memcpy(key, id, n);
    key[n] = 0;
    capa_be32(key + n + 1, (uint32_t)version);
    return n + 5;
}

int capa_store__form_latest(capa_store *s, MDB_txn *txn, const char *id, int *out)
{
    unsigned char key[256];
    *out = 0;
    size_t klen = form_key(key, sizeof key, id, 0);
    if (!klen)
        return capa_error_set(CAPA_EINVALID, "form id `%.40s`: too long", id);
    MDB_cursor *cur = NULL;
    int rc = mdb_cursor_open(txn, s->dbi[DB_FORMS], &cur);
    if (rc)
        return capa_store__mdb_err(rc, "forms");
    MDB_val k = {klen, key}, v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    while (rc == MDB_SUCCESS && k.mv_size == klen && memcmp(k.mv_data, key, klen - 4) == 0) {
        *out = (int)capa_get_be32((unsigned char *)k.mv_data + klen - 4);
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    return rc == MDB_SUCCESS || rc == MDB_NOTFOUND ? CAPA_OK : capa_store__mdb_err(rc, "forms");
}

int capa_store__form_put(capa_store *s, MDB_txn *txn, const char *id, int version, const char *xml,
                         size_t len)
{
    unsigned char key[256];
    size_t klen = form_key(key, sizeof key, id, version);
    if (!klen)
        return capa_error_set(CAPA_EINVALID, "form id `%.40s`: too long", id);
    def_memo_clear(s); /* the latest version may be another now */
    int err = capa_store__put(txn, s->dbi[DB_FORMS], key, klen, xml, len, MDB_NOOVERWRITE);
    if (err == CAPA_EEXISTS)
        return capa_error_set(CAPA_EEXISTS, "form %s version %d: already stored", id, version);
    return err;
}

int capa_store__form_del(capa_store *s, MDB_txn *txn, const char *id, int version)
{
    unsigned char key[256];
    size_t klen = form_key(key, sizeof key, id, version);
    if (!klen)
        return capa_error_set(CAPA_EINVALID, "form id `%.40s`: too long", id);
    def_memo_clear(s);
    return capa_store__del(txn, s->dbi[DB_FORMS], key, klen, NULL, 0);
}

/* What load_def found for (id, version asked, kind) earlier in txn, or NULL. */
static void *def_memo_find(capa_store *s, MDB_txn *txn, const char *id, int version,
                           int is_workflow)
{
    void *def = NULL;
    pthread_mutex_lock(&s->cache_lock);
    for (size_t i = 0; txn == s->def_memo_txn && i < s->def_memo_n; i++) {
        struct capa_def_memo *m = &s->def_memo[i];
        if (m->is_workflow == is_workflow && m->version == version && strcmp(m->id, id) == 0) {
            def = m->def;
            break;
        }
    }
    pthread_mutex_unlock(&s->cache_lock);
    return def;
}

static void def_memo_add(capa_store *s, MDB_txn *txn, const char *id, int version, int is_workflow,
                         void *def)
{
    size_t n = sizeof s->def_memo / sizeof *s->def_memo;
    if (strlen(id) >= sizeof s->def_memo[0].id)
        return;
    pthread_mutex_lock(&s->cache_lock);
    if (txn == s->def_memo_txn && s->def_memo_n < n) {
        struct capa_def_memo *m = &s->def_memo[s->def_memo_n++];
        m->is_workflow = is_workflow;
        m->version = version;
        snprintf(m->id, sizeof m->id, "%s", id);
        m->def = def; /* parsed definitions live as long as the store (cache above) */
    }
    pthread_mutex_unlock(&s->cache_lock);
}

static int load_def_stored(void **out, capa_store *s, MDB_txn *txn, const char *id, int version,
                           int is_workflow);

/* Find or parse the definition stored as (id, version): what this write transaction found
 * before (store.h: def_memo), else from the store. */
static int load_def(void **out, capa_store *s, MDB_txn *txn, const char *id, int version,
                    int is_workflow)
{
    if (txn && (*out = def_memo_find(s, txn, id, version, is_workflow)))
        return CAPA_OK;
    int err = load_def_stored(out, s, txn, id, version, is_workflow);
    if (err == CAPA_OK && txn)
        def_memo_add(s, txn, id, version, is_workflow, *out);
    return err;
}

/* Find or parse the definition stored as (id, version). Cached entries are matched on the
 * exact stored text too, so a version written by a transaction that later aborted can
 * never stand in for different text stored under the same number. */
static int load_def_stored(void **out, capa_store *s, MDB_txn *txn, const char *id, int version,
                           int is_workflow)
{
    int err = CAPA_OK;
    if (version <= 0 && (err = capa_store__form_latest(s, txn, id, &version)) != CAPA_OK)
        return err;
    if (version <= 0)
        return capa_error_set(CAPA_ENOTFOUND, "form `%s`: not installed", id);
    unsigned char key[256];
    size_t klen = form_key(key, sizeof key, id, version);
    MDB_val v;
    err = capa_store__get(txn, s->dbi[DB_FORMS], key, klen, &v);
    if (err == CAPA_ENOTFOUND)
        return capa_error_set(CAPA_ENOTFOUND, "form `%s` version %d: not stored", id, version);
    if (err)
        return err;
    return capa_store__def_text(out, s, id, version, v.mv_data, v.mv_size, is_workflow);
}

int capa_store__def_text(void **out, capa_store *s, const char *id, int version, const void *text,
                         size_t len, int is_workflow)
{
    int err = CAPA_OK;
    MDB_val v = {len, (void *)text};
    *out = NULL;
    pthread_mutex_lock(&s->cache_lock);
    if (is_workflow) {
        for (size_t i = 0; i < s->n_workflows; i++) {
            capa_workflow *w = s->workflows[i];
            if (w->version == version && w->source_len == v.mv_size &&
                memcmp(w->source, v.mv_data, v.mv_size) == 0) {
                *out = w;
                goto done;
            }
        }
    } else {
        for (size_t i = 0; i < s->n_forms; i++) {
            capa_formdef *f = s->forms[i];
            if (f->version == version && strcmp(f->id, id) == 0 && f->source_len == v.mv_size &&
                memcmp(f->source, v.mv_data, v.mv_size) == 0) {
                *out = f;
                goto done;
            }
        }
    }
    capa_diag diag = {0};
    char name[300];
    snprintf(name, sizeof name, "%s (stored version %d)", id, version);
    if (is_workflow) {
        capa_workflow *w = NULL;
        err = capa_workflow_parse(&w, v.mv_data, v.mv_size, name, &diag);
        if (!err && s->n_workflows == s->cap_workflows) {
            size_t cap = s->cap_workflows ? s->cap_workflows * 2 : 4;
            void *p = capa__realloc(s->workflows, cap * sizeof *s->workflows);
            if (!p)
                err = CAPA_ENOMEM;
            else
                s->workflows = p, s->cap_workflows = cap;
        }
        if (!err) {
            w->version = version;
            s->workflows[s->n_workflows++] = w;
            *out = w;
        } else {
            capa_workflow_free(w);
        }
    } else {
        capa_formdef *f = NULL;
        err = capa_formdef_parse(&f, v.mv_data, v.mv_size, name, &diag);
        if (!err && s->n_forms == s->cap_forms) {
            size_t cap = s->cap_forms ? s->cap_forms * 2 : 8;
            void *p = capa__realloc(s->forms, cap * sizeof *s->forms);
            if (!p)
                err = CAPA_ENOMEM;
            else
                s->forms = p, s->cap_forms = cap;
        }
        if (!err) {
            f->version = version;
            s->forms[s->n_forms++] = f;
            *out = f;
        } else {
            capa_formdef_free(f);
        }
    }
    if (err == CAPA_ENOMEM) {
        capa_error_set(CAPA_ENOMEM, "form `%s`: out of memory", id);
    } else if (err) {
        char *msg = capa_diag_join(&diag, "; ");
        err = capa_error_set(CAPA_ECORRUPT, "stored form `%s` version %d fails validation: %s", id,
                             version, msg ? msg : "");
        capa__free(msg);
    }
    capa_diag_clear(&diag);
done:
    pthread_mutex_unlock(&s->cache_lock);
    return err;
}

int capa_store__form(const capa_formdef **out, capa_store *s, MDB_txn *txn, const char *id,
                     int version)
{
    void *p = NULL;
    int err = load_def(&p, s, txn, id, version, 0);
    *out = p;
    return err;
}

int capa_store__workflow(const capa_workflow **out, capa_store *s, MDB_txn *txn)
{
    void *p = NULL;
    int err = load_def(&p, s, txn, CAPA_WORKFLOW_ID, 0, 1);
    *out = p;
    return err;
}

/* A workflow's definition id: the default's is "workflow" (as in format 1), another's
 * "workflow-ID" (ids are [a-z][a-z0-9_]*, so it cannot be a form's). */
static void workflow_def_id(char *buf, size_t sz, const char *id)
{
    if (!id || !*id || strcmp(id, CAPA_WORKFLOW_DEFAULT) == 0)
        snprintf(buf, sz, "%s", CAPA_WORKFLOW_ID);
    else
        snprintf(buf, sz, "%s-%.64s", CAPA_WORKFLOW_ID, id);
}

int capa_store__workflow_def_id(char *buf, size_t sz, const char *id)
{
    workflow_def_id(buf, sz, id);
    return CAPA_OK;
}

int capa_store__workflow_of(const capa_workflow **out, capa_store *s, MDB_txn *txn,
                            const char *id)
{
    char def[128];
    void *p = NULL;
    workflow_def_id(def, sizeof def, id);
    int err = load_def(&p, s, txn, def, 0, 1);
    if (err == CAPA_ENOTFOUND && id && *id && strcmp(id, CAPA_WORKFLOW_DEFAULT) != 0)
        err = capa__refuse(CAPA_ENOTFOUND, "workflow.unknown", NULL, id,
                           "workflow `%.64s`: not installed (capa info lists the workflows)", id);
    *out = p;
    return err;
}

int capa_store__workflow_foreach(capa_store *s, MDB_txn *txn,
                                 int (*cb)(const capa_workflow *w, void *payload), void *payload)
{
    MDB_cursor *cur = NULL;
    char last[256] = "";
    int rc = mdb_cursor_open(txn, s->dbi[DB_FORMS], &cur), err = CAPA_OK;
    MDB_val k = {strlen(CAPA_WORKFLOW_ID), (void *)CAPA_WORKFLOW_ID}, v;
    if (rc)
        return capa_store__mdb_err(rc, "forms");
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    /* Keys are ID NUL VERSION: each id's versions sit together; take each id once. */
    for (; rc == MDB_SUCCESS && !err; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        size_t n = strnlen(k.mv_data, k.mv_size);
        const size_t wl = strlen(CAPA_WORKFLOW_ID);
        if (n < wl || memcmp(k.mv_data, CAPA_WORKFLOW_ID, wl) != 0 || n >= sizeof last)
            break;
        if ((n != wl && ((const char *)k.mv_data)[wl] != '-') ||
            (strlen(last) == n && memcmp(last, k.mv_data, n) == 0))
            continue;
        memcpy(last, k.mv_data, n);
        last[n] = 0;
        void *p = NULL;
        /* The cursor stays valid: load_def only reads in this transaction. */
        if ((err = load_def(&p, s, txn, last, 0, 1)) == CAPA_OK)
            err = cb(p, payload);
    }
    mdb_cursor_close(cur);
    if (!err && rc && rc != MDB_NOTFOUND && rc != MDB_SUCCESS)
        err = capa_store__mdb_err(rc, "forms");
    return err;
}

int capa_store_workflow_get(const capa_workflow **out, capa_store *s, const char *id)
{
    MDB_txn *txn = NULL;
    *out = NULL;
    int err = capa_store__read_begin(s, &txn);
    if (!err)
        err = capa_store__require_init(s, txn);
    if (!err)
        err = capa_store__workflow_of(out, s, txn, id);
    capa_store__read_end(s, txn);
    return err;
}

typedef struct wf_each {
    int (*cb)(const capa_workflow *w, void *payload);
    void *payload;
} wf_each;

static int wf_each_cb(const capa_workflow *w, void *payload)
{
    wf_each *e = payload;
    return e->cb(w, e->payload);
}

int capa_store_workflows(capa_store *s, int (*cb)(const capa_workflow *w, void *payload),
                         void *payload)
{
    MDB_txn *txn = NULL;
    wf_each e = {cb, payload};
    int err = capa_store__read_begin(s, &txn);
    if (!err)
        err = capa_store__require_init(s, txn);
    if (!err)
        err = capa_store__workflow_foreach(s, txn, wf_each_cb, &e);
    capa_store__read_end(s, txn);
    return err;
}

typedef struct role_find {
    const char *id;
    const capa_role *found;
} role_find;

static int role_find_cb(const capa_workflow *w, void *payload)
{
    role_find *f = payload;
    f->found = capa_workflow_role(w, f->id);
    return f->found != NULL;
}

const capa_role *capa_store_role(capa_store *s, const char *id)
{
    role_find f = {id, NULL};
    if (!s || !id || capa_store_workflows(s, role_find_cb, &f) < 0)
        return NULL;
    return f.found;
}

int capa_store_workflow(const capa_workflow **out, capa_store *s)
{
    MDB_txn *txn = NULL;
    *out = NULL;
    int err = capa_store__read_begin(s, &txn);
    if (!err)
        err = capa_store__require_init(s, txn);
    if (!err)
        err = capa_store__workflow(out, s, txn);
    capa_store__read_end(s, txn);
    return err;
}

int capa_store_form(const capa_formdef **out, capa_store *s, const char *id, int version)
{
    MDB_txn *txn = NULL;
    *out = NULL;
    int err = capa_store__read_begin(s, &txn);
    if (!err)
        err = capa_store__form(out, s, txn, id, version);
    capa_store__read_end(s, txn);
    return err;
}

int capa_store_backup(capa_store *s, const char *dir)
{
    /* The target must be new or empty: a backup never mixes with, or quietly sits beside,
     * other files (mdb_env_copy2 itself refuses only an existing data.mdb). A directory it
     * creates is 0700: the copy holds password hashes. */
    int err = CAPA_OK, made = 0, ours = 0, fd = -1, dfd = -1, rc;
    char *data = NULL;
    DIR *d = NULL;
    struct dirent *e;
    if (!s || !dir || !*dir)
        return capa_error_set(CAPA_EINVALID, "backup: no target directory given");
    if (mkdir(dir, 0700) == 0) {
        made = 1;
    } else if (errno != EEXIST) {
        return capa_error_set(errno == ENOENT ? CAPA_ENOTFOUND : CAPA_ERROR,
                              "%s: cannot create: %s", dir, strerror(errno));
    } else if (!(d = opendir(dir))) {
        return capa_error_set(CAPA_ERROR, "%s: %s", dir, strerror(errno));
    } else {
        do {
            errno = 0;
            e = readdir(d);
        } while (e && (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0));
        /* The entry belongs to d: name it before closedir. */
        if (e) {
            err = capa__refuse(CAPA_EEXISTS, "backup.not_empty", NULL, dir,
                               "%s: not empty (holds `%s`); a backup goes only into a new or "
                               "empty directory",
                               dir, e->d_name);
            capa__refusal_param("holds", "%s", e->d_name);
        } else if (errno) {
            err = capa_error_set(CAPA_ERROR, "%s: %s", dir, strerror(errno));
        }
        closedir(d);
        if (err)
            return err;
    }
    if (!(data = capa__sprintf("%s/data.mdb", dir))) {
        err = capa_error_set(CAPA_ENOMEM, "backup: out of memory");
        goto done;
    }
    /* Like a read transaction: the map must not be resized under the copy's reader. */
    pthread_rwlock_rdlock(&s->map_lock);
    rc = mdb_env_copy2(s->env, dir, MDB_CP_COMPACT);
    pthread_rwlock_unlock(&s->map_lock);
    ours = rc != EEXIST; /* EEXIST: someone else's data.mdb appeared meanwhile */
    if (rc) {
        err = capa_store__mdb_err(rc, dir);
        goto done;
    }
    /* mdb_env_copy2 closes the file without fsync and with the umask's mode: make the copy
     * durable, and as private as the store's own file, before calling it a backup. */
    if ((fd = open(data, O_RDONLY | O_CLOEXEC)) < 0 || fchmod(fd, 0640) != 0 || fsync(fd) != 0 ||
        (dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || fsync(dfd) != 0) {
        err = capa_error_set(errno == ENOSPC ? CAPA_EFULL : CAPA_ERROR,
                             "%s: cannot make the copy durable: %s", data, strerror(errno));
        goto done;
    }
done:
    if (fd >= 0)
        close(fd);
    if (dfd >= 0)
        close(dfd);
    /* The directory was empty, so a data.mdb there is this copy's: a failed backup leaves
     * nothing behind that could pass for one. */
    if (err && ours)
        unlink(data);
    if (err && made)
        rmdir(dir);
    capa__free(data);
    return err;
}
