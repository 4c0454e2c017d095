/*
 * users.h - user records, password hashing (scrypt) and authentication of the actor of
 * every mutating call.
 */
#ifndef CAPA_USERS_H
#define CAPA_USERS_H

#include "store.h"

#define CAPA_MAX_FAILED_LOGINS 5

typedef struct capa_user_rec {
    capa_user u;
    unsigned log2n, r, p;
    unsigned char salt[16];
    unsigned char hash[32];
} capa_user_rec;

void capa_user_rec_clear(capa_user_rec *r);
/** Read a user record; CAPA_ENOTFOUND when absent. */
int capa_user__get(capa_store *s, MDB_txn *txn, const char *id, capa_user_rec *out);
int capa_user__put(capa_store *s, MDB_txn *txn, const capa_user_rec *r);
int capa_user__decode(capa_user_rec *out, const void *data, size_t len);

/**
 * Authenticate `who`, then run fn in a write transaction whose t->actor is the user's record.
 * The password is checked outside the write lock (scrypt is deliberately slow); inside the
 * transaction the record is re-read and must still be the one the password was checked
 * against. A wrong password is counted and audited, and locks the account at the limit.
 */
int capa_store__mutate(capa_store *s, const capa_actor *who, capa_write_fn fn, void *arg);

/** Authenticate only (the check and failure accounting of capa_store__mutate). On CAPA_OK
 *  *out holds the user's record (clear it with capa_user_rec_clear). */
int capa_auth__check(capa_store *s, const capa_actor *who, capa_user_rec *out);

/** CAPA_FT_USER validation callback: payload is the MDB_txn* of the caller. */
int capa_user__exists_cb(const char *user, void *payload);

/** Validate and hash a new user into `out` (does not store it). */
int capa_user__make(capa_store *s, MDB_txn *txn, capa_user_rec *out, const char *id,
                    const char *role, const char *name, const char *dept, const char *password,
                    int64_t now);
#endif
