/*
 * volatile.c - named databases `volatile_<name>` for what is not a record: web sessions,
 * caches. Nothing here is audited or replayed, and `capa verify` skips these databases
 * (verify.c), so a tool may keep short-lived state in the store's own environment (one
 * backup, one directory, one set of locks) without it ever counting as evidence.
 *
 * A database is created on first write, with MDB_CREATE in its own write transaction. LMDB
 * allows only one transaction at a time in a process to open named databases, so every call
 * here holds one mutex while its transaction is open: these calls are serialised among
 * themselves (they are small) and never block the engine's own transactions, which open no
 * database after capa_store_open.
 */
#include "store.h"

#include <stdio.h>
#include <string.h>

static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;

#define VOLATILE_NAME_MAX 32
#define VOLATILE_KEY_MAX 500 /* LMDB's default key limit is 511 bytes */

/* "volatile_<name>" into buf after checking name is [a-z0-9_]{1,32}. */
static int db_name(char *buf, size_t sz, const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > VOLATILE_NAME_MAX)
        return capa_error_set(CAPA_EINVALID, "volatile database name: must be 1 to %d characters",
                              VOLATILE_NAME_MAX);
    for (size_t i = 0; i < n; i++) {
        char ch = name[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_'))
            return capa_error_set(CAPA_EINVALID,
                                  "volatile database name: only a-z, 0-9 and _ are allowed");
    }
    snprintf(buf, sz, "volatile_%s", name);
    return CAPA_OK;
}

static int check_key(const char *key)
{
    size_t n = key ? strlen(key) : 0;
    if (n == 0 || n > VOLATILE_KEY_MAX)
        return capa_error_set(CAPA_EINVALID, "volatile key: must be 1 to %d bytes",
                              VOLATILE_KEY_MAX);
    return CAPA_OK;
}

typedef struct vop {
    const char *db;
    const char *key;
    const void *val;
    size_t len;
    int del;
    int (*expired)(const char *key, const void *val, size_t len, void *payload);
    void *payload;
    size_t removed;
} vop;

static int write_fn(capa_wtxn *t, void *arg)
{
    vop *op = arg;
    MDB_dbi dbi;
    int rc = mdb_dbi_open(t->txn, op->db, MDB_CREATE, &dbi);
    if (rc)
        return capa_store__mdb_err(rc, op->db);
    if (op->expired) {
        MDB_cursor *cur = NULL;
        MDB_val k, v;
        char key[VOLATILE_KEY_MAX + 1];
        if ((rc = mdb_cursor_open(t->txn, dbi, &cur)))
            return capa_store__mdb_err(rc, op->db);
        for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
             rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            size_t kl = k.mv_size < sizeof key - 1 ? k.mv_size : sizeof key - 1;
            memcpy(key, k.mv_data, kl);
            key[kl] = '\0';
            if (!op->expired(key, v.mv_data, v.mv_size, op->payload))
                continue;
            if ((rc = mdb_cursor_del(cur, 0)))
                break;
            op->removed++;
        }
        mdb_cursor_close(cur);
        return rc == 0 || rc == MDB_NOTFOUND ? CAPA_OK : capa_store__mdb_err(rc, op->db);
    }
    if (op->del) {
        rc = capa_store__del(t->txn, dbi, op->key, strlen(op->key), NULL, 0);
        return rc == CAPA_ENOTFOUND ? CAPA_OK : rc;
    }
    return capa_store__put(t->txn, dbi, op->key, strlen(op->key), op->val, op->len, 0);
}

int capa_volatile_put(capa_store *s, const char *name, const char *key, const void *val,
                      size_t len)
{
    char db[VOLATILE_NAME_MAX + 16];
    int err = db_name(db, sizeof db, name);
    if (err || (err = check_key(key)))
        return err;
    vop op = {.db = db, .key = key, .val = val ? val : "", .len = val ? len : 0};
    pthread_mutex_lock(&open_lock);
    err = capa_store__write(s, NULL, write_fn, &op);
    pthread_mutex_unlock(&open_lock);
    return err;
}

int capa_volatile_del(capa_store *s, const char *name, const char *key)
{
    char db[VOLATILE_NAME_MAX + 16];
    int err = db_name(db, sizeof db, name);
    if (err || (err = check_key(key)))
        return err;
    vop op = {.db = db, .key = key, .del = 1};
    pthread_mutex_lock(&open_lock);
    err = capa_store__write(s, NULL, write_fn, &op);
    pthread_mutex_unlock(&open_lock);
    return err;
}

int capa_volatile_sweep(capa_store *s, const char *name,
                        int (*expired)(const char *key, const void *val, size_t len,
                                       void *payload),
                        void *payload, size_t *out_removed)
{
    char db[VOLATILE_NAME_MAX + 16];
    if (out_removed)
        *out_removed = 0;
    int err = db_name(db, sizeof db, name);
    if (err)
        return err;
    if (!expired)
        return capa_error_set(CAPA_EINVALID, "volatile sweep: no predicate");
    vop op = {.db = db, .expired = expired, .payload = payload};
    pthread_mutex_lock(&open_lock);
    err = capa_store__write(s, NULL, write_fn, &op);
    pthread_mutex_unlock(&open_lock);
    if (err == CAPA_OK && out_removed)
        *out_removed = op.removed;
    return err;
}

int capa_volatile_get(void **out, size_t *out_len, capa_store *s, const char *name,
                      const char *key)
{
    char db[VOLATILE_NAME_MAX + 16];
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    MDB_val v;
    *out = NULL;
    if (out_len)
        *out_len = 0;
    int err = db_name(db, sizeof db, name);
    if (err || (err = check_key(key)))
        return err;
    pthread_mutex_lock(&open_lock);
    if ((err = capa_store__read_begin(s, &txn)))
        goto done;
    int rc = mdb_dbi_open(txn, db, 0, &dbi);
    if (rc == MDB_NOTFOUND) {
        err = capa_error_set(CAPA_ENOTFOUND, "%s: no such key", db);
        goto done;
    }
    if (rc) {
        err = capa_store__mdb_err(rc, db);
        goto done;
    }
    if ((err = capa_store__get(txn, dbi, key, strlen(key), &v))) {
        if (err == CAPA_ENOTFOUND)
            capa_error_set(CAPA_ENOTFOUND, "%s: no such key", db);
        goto done;
    }
    /* One byte more, NUL, so a text value can be used as a string. */
    char *copy = capa__malloc(v.mv_size + 1);
    if (!copy) {
        err = capa_error_set(CAPA_ENOMEM, "%s: out of memory", db);
        goto done;
    }
    memcpy(copy, v.mv_data, v.mv_size);
    copy[v.mv_size] = '\0';
    *out = copy;
    if (out_len)
        *out_len = v.mv_size;
done:
    capa_store__read_end(s, txn);
    pthread_mutex_unlock(&open_lock);
    return err;
}
