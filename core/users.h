/*
 * users.h - authentication of the actor of every mutating call, and what group commit needs
 * to re-check an actor inside its write transaction. User records live in record.h.
 */
#ifndef CAPA_USERS_H
#define CAPA_USERS_H

#include "record.h"

#define CAPA_MAX_FAILED_LOGINS 5
#define CAPA_MAX_PASSWORD 1024

/**
 * Authenticate `who`, then run fn in a write transaction whose t->actor is the user's record.
 * The password is checked outside the write lock (scrypt is deliberately slow); inside the
 * transaction the record is re-read and must still be the one the password was checked
 * against. A wrong password is counted and audited, and locks the account at the limit.
 */
int capa_store__mutate(capa_store *s, const capa_actor *who, capa_write_fn fn, void *arg);
/** capa_store__mutate for a sign-in binding (capa_user_sign_in) instead of a password: checked
 *  as capa_auth__check_binding (nothing counted), and the record re-read inside the write
 *  transaction. Only for changes a session may make without the password typed again. */
int capa_store__mutate_bound(capa_store *s, const char *user, const char *binding,
                             capa_write_fn fn, void *arg);

/**
 * Authenticate only. Checking and counting are one step per account, across threads and
 * processes (a lock on the account is held from reading its record until a failure is
 * recorded), so no guess is answered without being counted and no account takes more than
 * CAPA_MAX_FAILED_LOGINS. An unknown user costs the same and answers the same as a wrong
 * password, and is audited too. On CAPA_OK *out holds the user's record. A password this
 * store handle already found right for the credential stored now is answered without the key
 * derivation and without the account lock (nothing is counted on success); see users.c.
 */
int capa_auth__check(capa_store *s, const capa_actor *who, capa_user_rec *out);

/**
 * Authenticate by a sign-in binding (capa_user_sign_in) instead of a password: the user's
 * record must still give that binding (same credential and role) and not be locked. No key
 * derivation, nothing written, nothing counted. On CAPA_OK *out holds the user's record.
 */
int capa_auth__check_binding(capa_store *s, const char *user, const char *binding,
                             capa_user_rec *out);

/** Inside a write transaction: re-read `checked`'s user record (it must be unchanged since
 *  its password was checked), then run fn as that user. */
int capa_store__run_as(capa_wtxn *t, capa_user_rec *checked, capa_write_fn fn, void *arg);

/** CAPA_FT_USER validation callback: payload is the MDB_txn* of the caller. */
int capa_user__exists_cb(const char *user, void *payload);

/** Validate and hash a new user into `out` (does not store it). */
int capa_user__make(capa_store *s, MDB_txn *txn, capa_user_rec *out, const char *id,
                    const char *role, const char *name, const char *dept, const char *password,
                    int64_t now);

/** The apply source that hands a freshly made credential to apply (write path). */
struct capa_apply_src;
void capa_user__src(struct capa_apply_src *out, const capa_user_rec *fresh);

/** A replay's credential source over the stored users (verify, the case proof): fill out's
 *  credential from `user`'s stored record when its digest is `digest` (or digest is NULL).
 *  A user not stored is CAPA_OK with nothing filled (the replay's compare reports it); any
 *  other error is returned. */
int capa_user__stored_cred(capa_store *s, MDB_txn *txn, const char *user, const char *digest,
                           capa_user_rec *out);

/** The text check for one-line names, departments, organisation and reasons: refuses
 *  control and bidi-override characters, naming `what` and the value. */
int capa__line_check(const char *what, const char *field, const char *value);
/** CAPA_OK when the actor of `t` is an admin; else CAPA_EDENIED, refused as `what` ("user add",
 *  "form install", ...) with the rule admin.role and the actor's role. */
int capa__require_admin(capa_wtxn *t, const char *what);

#endif
