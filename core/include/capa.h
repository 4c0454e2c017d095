/*
 * capa.h - the public API of the capa records engine.
 *
 * A store is one LMDB environment (a directory). Cases move through the stages defined by
 * the workflow (forms/workflow.xml); every change commits together with its hash-chained
 * audit event in one write transaction. Authority (roles, recusal, independence of
 * approvers) is enforced here, not in the tools.
 *
 * Conventions (libgit2's): functions return CAPA_OK or a negative CAPA_E* code; the message
 * with context is in capa_error_last() (thread-local, valid until the next capa call on the
 * same thread). Out parameters come first; what they return belongs to the caller and is
 * freed with the matching capa_*_free (which accepts NULL). On failure *out is NULL.
 * A capa_store may be shared between threads; each call is atomic. Several processes may
 * open the same directory at once.
 */
#ifndef CAPA_H
#define CAPA_H

#include <stddef.h>
#include <stdint.h>

#include "capa_form.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CAPA_VERSION "0.1.0"

/** A short English text for a CAPA_E* code. */
const char *capa_strerror(int code);
/** The last error message of this thread, "" when none. */
const char *capa_error_last(void);
/**
 * Set this thread's error message and return `code`: for the layers built on core (reports,
 * tools' library code) so every layer reports through one channel.
 */
int capa_error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- refusals as data (issue 17): what the tools word in the user's language ---- */

/** One parameter of a refused rule: {"pattern", "^[A-Z]{2}[0-9]+$"}, {"max", "200"}, ... */
typedef struct capa_refusal_param {
    const char *name;
    const char *value;
} capa_refusal_param;

/** One broken rule. Strings are never NULL except where said; "" when unknown. */
typedef struct capa_violation {
    const char *rule;     /**< stable id, e.g. "field.required" (docs/serve.md lists them) */
    const char *field;    /**< field id or group.N.column, "" when the rule is not a field's */
    const char *label_zh; /**< the form's label of the field ("" when unknown) */
    const char *label_en;
    const char *value;    /**< the refused value as given ("" for an empty one) */
    size_t n_params;
    const capa_refusal_param *params;
    const char *message;  /**< this violation in the engine's English */
} capa_violation;

/** A refusal: the request, where it was refused, and every broken rule. */
typedef struct capa_refusal {
    int code;             /**< the CAPA_E* code returned */
    const char *action;   /**< "open", "set", "sign", "reject", "login", "case" */
    const char *case_number; /**< "" when none */
    const char *stage;    /**< stage id, "" when none */
    const char *stage_zh; /**< the stage's label */
    const char *stage_en;
    size_t n;             /**< violations (at least 1) */
    const capa_violation *v;
    size_t n_dropped;     /**< violations beyond what the record holds (see the message) */
} capa_refusal;

/**
 * The refusal behind this thread's last error as data, or NULL when that error carries none
 * (then only capa_error_last() describes it). Valid until the next capa call on this thread;
 * every capa_error_set clears it. The engine's English message stays in capa_error_last().
 */
const capa_refusal *capa_refusal_last(void);
/** A parameter of a violation by name, or NULL. */
const char *capa_refusal_param_get(const capa_violation *v, const char *name);
/** A deep copy of `r` in one allocation (free with capa_refusal_free); NULL for NULL or OOM. */
capa_refusal *capa_refusal_dup(const capa_refusal *r);
void capa_refusal_free(capa_refusal *r);
/** Make `r` (e.g. a capa_request's) this thread's last refusal again, after capa_error_set
 *  restored its message; NULL leaves none. */
void capa_refusal_restore(const capa_refusal *r);

typedef struct capa_store capa_store;

/** Options for capa_store_open; zero-initialise and set what you need. */
typedef struct capa_open_opts {
    size_t map_size; /**< initial LMDB map size in bytes; 0 = default (64 GiB) */
    size_t map_max;  /**< ceiling the map may grow to on MAP_FULL; 0 = no ceiling */
    int create;      /**< create the directory and database if missing; without it a
                          directory holding no data.mdb is CAPA_ENOTFOUND and left untouched */
    int read_only;   /**< open for reading only */
    /** Clock override for tests: milliseconds since the epoch, UTC. NULL = real time. */
    int64_t (*clock)(void *payload);
    void *clock_payload;
    /** scrypt cost log2(N) for new password hashes; 0 = default (15). Tests use less. */
    int kdf_log2n;
} capa_open_opts;

/**
 * Open (or with opts->create, create) the store in directory `dir`. Clears stale readers
 * left by killed processes. A store that was never initialised opens, but every case and
 * user call fails with CAPA_ESTATE until capa_store_init ran.
 * @return CAPA_OK, CAPA_ENOTFOUND (no such directory), CAPA_ECORRUPT, CAPA_ERROR.
 */
int capa_store_open(capa_store **out, const char *dir, const capa_open_opts *opts);
void capa_store_close(capa_store *s);

typedef struct capa_init_opts {
    const char *org;            /**< organisation name, required */
    const char *number_pattern; /**< e.g. "QC-{YYYY}-{NNNN}" (default); {NNNN} = counter,
                                     restarting each year when {YYYY} is present */
    const char *admin_user;     /**< default "admin" */
    const char *admin_name;     /**< printed name, default "Administrator" */
    const char *admin_password; /**< required, at least 8 characters */
    const char *forms_dir;      /**< directory with workflow.xml and stage forms; NULL =
                                     the definitions compiled into the binary */
    const char *timezone;       /**< the plant's IANA time zone; NULL = "UTC" (the tool
                                     passes the system's, capa_tz_system) */
} capa_init_opts;

/** Initialise an empty store: organisation, numbering, forms, first (admin) user.
 *  @return CAPA_OK, CAPA_EEXISTS (already initialised), CAPA_EINVALID. */
int capa_store_init(capa_store *s, const capa_init_opts *opts);

typedef struct capa_store_info {
    char *org;
    char *number_pattern;
    uint64_t n_cases;
    uint64_t n_events;
    char head_hash[65]; /**< hex SHA-256 of the audit chain head ("" when empty) */
    int format_version;
    size_t map_size;
    char *timezone; /**< the plant's time zone ("UTC" when the store has none) */
} capa_store_info;
int capa_store_info_get(capa_store_info *out, capa_store *s);
void capa_store_info_clear(capa_store_info *info);

/** Hot, compacting backup into an empty directory (mdb_env_copy2 with compaction). */
int capa_store_backup(capa_store *s, const char *dir);

/** The current workflow. Borrowed: owned by the store, valid until capa_store_close. */
int capa_store_workflow(const capa_workflow **out, capa_store *s);
/** A form by id and version (0 = the current version). Borrowed, valid until close. */
int capa_store_form(const capa_formdef **out, capa_store *s, const char *id, int version);
/** The current version of workflow `id` ("complaint" or NULL: the default one; "scar", ...).
 *  Borrowed until capa_store_close. CAPA_ENOTFOUND when no such workflow is installed. */
int capa_store_workflow_get(const capa_workflow **out, capa_store *s, const char *id);
/** Every workflow of the store (current versions), the default first. A non-zero return of
 *  cb stops the walk and is returned. */
int capa_store_workflows(capa_store *s, int (*cb)(const capa_workflow *w, void *payload),
                         void *payload);
/** Role `id` as the first workflow that declares it defines it (the default workflow first;
 *  the SCAR's `sqe` is in no other), borrowed like the workflow; NULL when none does or the
 *  store cannot be read. */
const capa_role *capa_store_role(capa_store *s, const char *id);

/** Who acts: user id and the password typed now (re-authentication per action). */
typedef struct capa_actor {
    const char *user;
    const char *password;
} capa_actor;

/* ---- users ---- */
typedef struct capa_user {
    char *id;   /**< [a-z][a-z0-9_.-]{0,31} */
    char *name; /**< printed name, e.g. 李娜 */
    char *dept;
    char *role; /**< a role id of the workflow, or "admin" */
    int locked;
    int disabled;    /**< disabled by an admin (capa_user_disable): no sign-in, no session */
    int failed;      /**< wrong passwords since the last good one */
    int64_t created; /**< ms since epoch, UTC */
} capa_user;

/** Add a user; `who` must be an admin. @return CAPA_OK, CAPA_EEXISTS, CAPA_EINVALID,
 *  CAPA_EAUTH, CAPA_ELOCKED, CAPA_EDENIED. */
int capa_user_add(capa_store *s, const capa_actor *who, const char *id, const char *role,
                  const char *name, const char *dept, const char *password);
/** Change `id`'s password: the user themself or an admin. */
int capa_user_passwd(capa_store *s, const capa_actor *who, const char *id,
                     const char *new_password);
/** Unlock a locked account (admin). Audited. */
int capa_user_unlock(capa_store *s, const capa_actor *who, const char *id);
/** Change `id`'s role (admin only; `role` "admin" or a role of an installed workflow). The
 *  event `role` records old and new role; the user's sign-in binding changes with it, so
 *  every web session of that user ends. An admin cannot change their own role (so the acting
 *  admin always remains one). @return CAPA_OK, CAPA_EINVALID (unknown role, the same role),
 *  CAPA_ENOTFOUND, CAPA_EDENIED (not an admin; their own account), CAPA_EAUTH, CAPA_ELOCKED. */
int capa_user_set_role(capa_store *s, const capa_actor *who, const char *id, const char *role);
/** Disable (`disabled` 1) or enable again (0) `id`'s account (admin only; events
 *  `user_disable`, `user_enable`). A disabled account cannot sign in, its sessions end
 *  (the binding changes) and its password is never checked; unlocking does not enable it.
 *  An admin cannot disable themself. @return CAPA_OK, CAPA_ENOTFOUND, CAPA_EDENIED (not an
 *  admin; their own account), CAPA_ESTATE (already so), CAPA_EAUTH, CAPA_ELOCKED. */
int capa_user_disable(capa_store *s, const capa_actor *who, const char *id, int disabled);
/** Local recovery (`capa user unlock ID --local`): unlock without any password, allowed
 *  only to the operating-system user that owns the store directory; audited as
 *  "unlock_local" with the OS user as actor. @return CAPA_OK, CAPA_EDENIED, CAPA_ENOTFOUND. */
int capa_user_unlock_local(capa_store *s, const char *id);
/** Check a password without changing anything but the failure counter (audited on failure).
 *  @return CAPA_OK, CAPA_EAUTH, CAPA_ELOCKED, CAPA_ENOTFOUND is reported as CAPA_EAUTH. */
int capa_user_authenticate(capa_store *s, const capa_actor *who);

/* ---- sign-in bindings: a session without a password in memory ---- */

/** Size of a sign-in binding: 64 lower-case hex digits and a NUL. */
#define CAPA_BINDING_SIZE 65

/**
 * Sign in: check `who`'s password exactly as capa_user_authenticate does (a wrong one is
 * counted and audited, and locks the account at the limit), then write into `out` the
 * user's *binding*: a keyed digest (HMAC-SHA-256 whose key is the stored scrypt hash, which
 * never leaves the users database, so the binding cannot be computed from the trail) of what
 * a session rests on - the user id, role, lock and disabled state and credential (scrypt
 * parameters and salt). The binding changes when the password is changed or reset (a new
 * salt and hash), the account is locked or disabled, or the role changes; a locked or
 * disabled account gets none.
 *
 * A tool that keeps sessions (capa serve) keeps the binding instead of the password and
 * proves it with capa_user_binding_check on each request and as capa_request.binding for
 * the changes it makes (OPEN and SET only). The binding is a bearer secret: keep it in
 * memory, never write it anywhere.
 * @return CAPA_OK, CAPA_EAUTH, CAPA_ELOCKED (as capa_user_authenticate), CAPA_ENOMEM.
 */
int capa_user_sign_in(char out[CAPA_BINDING_SIZE], capa_store *s, const capa_actor *who);

/**
 * Whether `binding` (from capa_user_sign_in) still holds for `user`: same credential, same
 * role, not locked. Runs no key derivation and writes nothing: a binding that no longer
 * holds is not a failed sign-in and is never counted or audited - the tool ends the session
 * and asks the user to sign in again.
 * @return CAPA_OK; CAPA_ELOCKED (the account is locked); CAPA_EAUTH (the password was
 *         changed or reset, the role changed, the user is gone, or the binding is not one).
 */
int capa_user_binding_check(capa_store *s, const char *user, const char *binding);
int capa_user_get(capa_user **out, capa_store *s, const char *id);
void capa_user_free(capa_user *u);
/** Every user in id order; stop early by returning non-zero from cb (that value returned). */
int capa_user_foreach(capa_store *s, int (*cb)(const capa_user *u, void *payload), void *payload);

/** Install the next version of a form (or the workflow when the document is a workflow).
 *  New cases use it; existing stage records keep the version they were filled with. */
int capa_form_install(capa_store *s, const capa_actor *who, const char *xml, size_t len,
                      const char *name, int *out_version);

/* ---- cases ---- */
/**
 * Whether user `user` may open a case of workflow `workflow` (NULL: the default), as
 * capa_case_open would decide it (an editor of the first stage), without trying: for menus
 * and forms shown only to who may use them. Writes nothing.
 * @return CAPA_OK; CAPA_EDENIED with the refusal (open.role, with who may) in
 *         capa_refusal_last(); CAPA_ENOTFOUND (no such user or workflow).
 */
int capa_case_may_open(capa_store *s, const char *user, const char *workflow);
/** The rule of capa_case_may_open for a role already known: 1 when `role` may open a case of
 *  `wf` (an editor of its first stage), else 0. Pure: for a menu drawn on every page. */
int capa_workflow_may_open(const capa_workflow *wf, const char *role);
/** Open a case: `values` are intake fields. Returns the new number ("QC-2026-0001") in
 *  *out_number (free with capa__free). */
int capa_case_open(char **out_number, capa_store *s, const capa_actor *who, const capa_kv *values,
                   size_t n);
/** As capa_case_open, in workflow `workflow` (its id, e.g. "scar"; NULL: the default one);
 *  the number follows that workflow's pattern (SCAR-{YYYY}-{NNNN}). CAPA_ENOTFOUND names an
 *  unknown workflow. */
int capa_case_open_in(char **out_number, capa_store *s, const capa_actor *who,
                      const char *workflow, const capa_kv *values, size_t n);
/** Set fields of the case's current stage. An empty value clears a field. `reason` may be
 *  NULL. All violations reported at once; nothing is written when any fails. */
int capa_case_set(capa_store *s, const char *number, const capa_actor *who, const capa_kv *values,
                  size_t n, const char *reason);
/** Sign off the current stage with `meaning` (must be the stage's sign-off meaning); the case
 *  advances to the next stage, or is closed after the last. */
int capa_case_sign(capa_store *s, const char *number, const capa_actor *who, const char *meaning);
/** Sign a waiver of the current stage (<waiver meaning> in workflow.xml, e.g. "waived": no
 *  PFMEA / control-plan update, by the quality lead): an electronic signature with `reason`
 *  (required) over the stage data as they are; the case stays in the stage. The sign-off
 *  rules naming the waiver accept it while those data stay unchanged in this round.
 *  CAPA_EDENIED names the role needed; CAPA_EINVALID a missing reason. */
int capa_case_waive(capa_store *s, const char *number, const capa_actor *who, const char *meaning,
                    const char *reason);
/** Reject the current stage (审查 N) back to the stage's reject target; reason required. */
int capa_case_reject(capa_store *s, const char *number, const capa_actor *who, const char *reason);

/** Most assignments one request (open, set) may carry; larger ones are refused before the
 *  password is checked and before the write lock is taken. */
#define CAPA_MAX_FIELDS 1000

/* ---- group commit: many changes, one durable write transaction ---- */

/** What a capa_request does; each mirrors the call of the same name. */
typedef enum capa_op {
    CAPA_OP_OPEN = 1, /**< capa_case_open: values are intake fields */
    CAPA_OP_SET,      /**< capa_case_set: number, values, optional reason */
    CAPA_OP_SIGN,     /**< capa_case_sign: number, meaning */
    CAPA_OP_REJECT,   /**< capa_case_reject: number, reason */
    CAPA_OP_IMPORT,   /**< a legacy record: number (or NULL), values, import */
} capa_op;

/**
 * What an imported legacy record (a row of an old Excel log) says beyond its field values.
 * The case keeps these dates as data (its opened and closed times), while its audit event
 * carries the true time of the import; the event names the source file and row.
 */
typedef struct capa_import_facts {
    int64_t opened;     /**< ms since epoch: when the case was opened, as recorded (required) */
    int64_t closed_at;  /**< ms: when it was closed, as recorded; 0 = still open */
    const char *source; /**< the source file's name as given (kept in the event) */
    const char *sha256; /**< hex SHA-256 of the source file (64 lower-case digits) */
    uint64_t row;       /**< the record's row in the source (the header is row 1) */
    /** The run of this file's import that writes the record: 1 for the first, one more for
     *  each `--resume` (capa_import_source_get). Rows of one file are imported in order,
     *  each once: a row at or before what earlier events of the file reached is refused.
     *  0: no run (a record not read from a file in order). */
    uint64_t run;
    /** With run: the last row of the source this record's event accounts for, when rows
     *  after `row` were set aside (the file's last good row names the file's last row).
     *  0: `row`. */
    uint64_t through;
} capa_import_facts;

/** One change for capa_submit. Inputs are borrowed for the call; outputs belong to the
 *  request until capa_request_clear. */
typedef struct capa_request {
    capa_op op;
    capa_actor who;        /**< authenticated for this request alone */
    const char *number;    /**< the case (SET, SIGN, REJECT) */
    const capa_kv *values; /**< OPEN, SET */
    size_t n_values;
    const char *meaning; /**< SIGN */
    const char *reason;  /**< SET (may be NULL), REJECT (required) */
    const char *workflow; /**< OPEN: the workflow's id ("scar"); NULL: the default one */
    /** SET, SIGN, REJECT: when not NULL, the data hash of the current stage as its author
     *  was shown it (capa_case_data_hash); the request fails with CAPA_ESTATE, writing
     *  nothing, when the stage's data no longer hashes to it (changed since it was shown):
     *  of two edits made from the same view, one wins and the other is refused. */
    const char *data_hash;
    /** OPEN, SET only: when who.password is NULL, the actor proves a sign-in binding
     *  (capa_user_sign_in) instead of a password; it is checked as capa_user_binding_check
     *  (no key derivation, no failure counted) and again inside the write transaction. A
     *  request of any other kind with a binding and no password is refused (CAPA_EDENIED):
     *  a signature or rejection always needs the password typed again. */
    const char *binding;
    /** IMPORT: the record's dates and source. Its values are named "field" (a field of the
     *  first stage) or "stage:field"; `number` is the sheet's case number or NULL for the
     *  next one. Only an admin imports. The case lands in the furthest stage its values
     *  reach, or closed (archived, read-only) when closed_at is set. */
    const capa_import_facts *import;
    /* ---- filled in by capa_submit ---- */
    int result;       /**< CAPA_OK once durable, else this request's own error code */
    char *error;      /**< the message when result != CAPA_OK, else NULL */
    char *number_out; /**< OPEN: the new case number */
    capa_refusal *refusal; /**< the refusal as data when result != CAPA_OK and the engine
                                gave one (capa_refusal_last), else NULL */
} capa_request;

/**
 * Submit changes and wait until each one is durable or has failed (group commit).
 *
 * Thread-safe, and meant to be called from many threads at once: requests waiting from all
 * callers are committed together in one LMDB write transaction, so one fdatasync serves many
 * changes. Each request has its own audit event and its own result: a request that fails
 * (bad value, denied, wrong password, ...) is rolled back alone and the others commit, each
 * seeing exactly the requests before it that succeeded. Passwords are checked before the
 * write transaction, as for single calls.
 * A request's result is CAPA_OK only after the transaction holding it is on disk; when that
 * commit itself fails (I/O error, disk full), every request of the batch gets the error and
 * none was written.
 *
 * @param reqs  n requests; their result fields are overwritten.
 * @return CAPA_OK when every request succeeded, else the code of the first failed request
 *         (its message in capa_error_last()); each request's own outcome is in ->result.
 */
int capa_submit(capa_store *s, capa_request *reqs, size_t n);
/** Free a request's outputs (error, number_out, refusal) and reset them; inputs are untouched. */
void capa_request_clear(capa_request *r);

/* ---- import of legacy records: one authenticated session, many group commits ---- */

/** An import in progress: the acting admin, authenticated once for all its batches. */
typedef struct capa_import capa_import;
/**
 * Start an import as `who` (must be an admin; the password is checked once, here).
 * @return CAPA_OK, CAPA_EAUTH, CAPA_ELOCKED, CAPA_EDENIED, CAPA_ESTATE, CAPA_ENOMEM.
 */
int capa_import_begin(capa_import **out, capa_store *s, const capa_actor *who);
/**
 * What capa_import_submit would answer for each request (CAPA_OP_IMPORT only), without
 * writing anything: each is checked against the store as it is now, not seeing the others
 * (so two requests of one batch naming the same new number both pass here). Results as
 * for capa_submit. @return CAPA_OK when every request would succeed, else the first error.
 */
int capa_import_check(capa_import *im, capa_request *reqs, size_t n);
/** Commit the requests (CAPA_OP_IMPORT) by group commit, as capa_submit does, without
 *  authenticating each batch again. */
int capa_import_submit(capa_import *im, capa_request *reqs, size_t n);
/* legacy21d: a batch's form checks done ahead of its commit, on the caller's thread. */
/** Form checks of import requests done ahead of their commit (capa_import_prepare). */
typedef struct capa_import_prep capa_import_prep;
/**
 * Check the values of each request against its stages' forms now, in a read transaction,
 * so that capa_import_submit_prepared of the same requests need not check them again in
 * its write transaction: it skips a stage's check only when it finds the same workflow and
 * form objects (no definition changed in between), the same names and values, and the check
 * asked the store nothing (no user field). Everything else about a row is checked in the
 * commit as always. A request that fails here is simply not prepared. The requests must not
 * move or change until the submit; free the result with capa_import_prep_free.
 * @return CAPA_OK (*out set), CAPA_ENOMEM, or a store error.
 */
int capa_import_prepare(capa_import_prep **out, capa_import *im, const capa_request *reqs,
                        size_t n);
/** capa_import_submit, taking the form checks `prep` (may be NULL) prepared for exactly these
 *  requests by this session; a preparation of other requests is ignored. */
int capa_import_submit_prepared(capa_import *im, capa_request *reqs, size_t n,
                                const capa_import_prep *prep);
/** Free a preparation (NULL is fine). */
void capa_import_prep_free(capa_import_prep *p);
void capa_import_end(capa_import *im);
/** How many cases were imported from the source file with this SHA-256 (hex), in *out
 *  (0 when none): a tool refuses a file imported before, so an import run again does not
 *  make its rows twice. @return CAPA_OK, CAPA_ESTATE, CAPA_ERROR. */
int capa_import_source_count(capa_store *s, const char *sha256, uint64_t *out);

/** How far the import of one source file (by SHA-256) got, as its events say. */
typedef struct capa_import_source {
    uint64_t cases;   /**< cases imported from it */
    uint64_t run;     /**< the last run that imported from it (capa_import_facts.run); 0 when
                           none, or when only events without runs (an earlier capa) did */
    uint64_t through; /**< the last row accounted for: every row up to it was imported or
                           set aside by a run; 0 as for run */
} capa_import_source;
/**
 * The state of the import of the file with this SHA-256 (hex): zeros when nothing came from
 * it. A tool resumes an interrupted import after `through`, as run `run + 1`.
 * @return CAPA_OK, CAPA_ESTATE, CAPA_ERROR.
 */
int capa_import_source_get(capa_import_source *out, capa_store *s, const char *sha256);

typedef struct capa_signature {
    uint64_t seq; /**< audit event that recorded it */
    char *stage;
    char *kind;    /**< "sign", "reject" or "waiver" (a stage's <waiver>, moves no stage) */
    char *meaning; /**< sign-off meaning ("reviewed" ...), "rejected" for a rejection */
    char *user;
    char *name; /**< printed name at signing time */
    char *role;
    char *reason;       /**< rejection reason, or NULL */
    int64_t time;       /**< ms since epoch, UTC */
    char data_hash[65]; /**< hex SHA-256 of the stage data signed */
    int superseded;     /**< 1 when a later rejection sent the case back over this stage */
    int round;          /**< the case's round it was given in (1, 2, ...; 二次处理) */
} capa_signature;

typedef struct capa_stage_record {
    char *stage;
    char *form_id;
    int form_version;
    capa_kv *values; /**< sorted by name; strings owned by the case */
    size_t n_values;
    char **editors; /**< users who changed a field of this stage */
    size_t n_editors;
    int64_t entered; /**< ms; when the case (last) entered this stage, 0 if never */
    int64_t left;    /**< ms; when it (last) left it by signature, 0 if not */
    int round;       /**< in capa_case.earlier: the round that left it so; else 0 (not stored) */
} capa_stage_record;

/** A snapshot of one case. Read-only; free with capa_case_free. */
typedef struct capa_case {
    char *number;
    char *stage; /**< current stage id */
    int closed;
    int64_t opened, closed_at; /**< ms since epoch */
    char *opened_by;
    char *workflow;            /**< the workflow the case follows ("complaint", "scar") */
    capa_stage_record *stages; /**< one per workflow stage, in workflow order */
    size_t n_stages;
    capa_signature *signatures; /**< in time order */
    size_t n_signatures;
    struct capa_attachment *attachments; /**< in the order they were attached */
    size_t n_attachments;
    /** A copy imported from another store's archive (capa import --xml): the organisation
     *  that exported it, and its number there; NULL for this store's own cases. `number` is
     *  then the case's address here, "NUMBER@ORGANISATION" (docs/cli.md). */
    char *origin;
    char *origin_number;
    /** 二次处理: the case's round (1 = the first; a <round> rule of the workflow, e.g. a
     *  dissatisfied follow-up or an 8D the customer rejected, starts the next) and when the
     *  current round began (0 in round 1). */
    int round;
    int64_t round_at;
    /** The stage records as each earlier round left them (round, then workflow order). */
    capa_stage_record *earlier;
    size_t n_earlier;
} capa_case;

int capa_case_get(capa_case **out, capa_store *s, const char *number);
/**
 * The form (id, version) a stage record of case `c` was filled with: the store's, or, for a
 * copy imported from another store (c->origin), the definition its archive carries - never
 * the receiving store's forms, which an archive does not change. Borrowed until
 * capa_store_close. @return CAPA_OK, CAPA_ENOTFOUND, CAPA_ECORRUPT, CAPA_ENOMEM.
 */
int capa_case_form(const capa_formdef **out, capa_store *s, const capa_case *c, const char *id,
                   int version);
/**
 * The workflow case `c` is read with: its workflow's current version here, or, for an
 * imported copy, the workflow its archive carries. Borrowed until capa_store_close.
 */
int capa_case_workflow(const capa_workflow **out, capa_store *s, const capa_case *c);
/**
 * The form the engine checks a change of case `c` against: the one its current stage's record
 * was filled with (capa_case_form), else the current version of that stage's form. Borrowed
 * until capa_store_close. @return CAPA_OK, CAPA_ENOTFOUND, or a store error.
 */
int capa_case_stage_form(const capa_formdef **out, capa_store *s, const capa_case *c);
/**
 * The form the record of stage `stage` of case `c` was filled with (capa_case_form), else the
 * current version of that stage's form: what a rule across stages names the other stage's
 * fields by. Borrowed until capa_store_close. @return CAPA_OK, CAPA_ENOTFOUND, or a store
 * error.
 */
int capa_case_record_form(const capa_formdef **out, capa_store *s, const capa_case *c,
                          const char *stage);
/**
 * The intake form a new case of `workflow` (NULL: the store's default) is opened with: the
 * current version of its first stage's form, as capa_case_open uses. Borrowed until
 * capa_store_close. @return CAPA_OK, CAPA_ENOTFOUND, or a store error.
 */
int capa_intake_form(const capa_formdef **out, capa_store *s, const char *workflow);
void capa_case_free(capa_case *c);
/** Value of a field in a stage of the snapshot, or NULL. Borrowed from the case. */
const char *capa_case_value(const capa_case *c, const char *stage, const char *name);
/**
 * Why stage `idx` of the case was skipped: the route (capa_route, e.g. 无效投诉 / invalid
 * complaint) of an earlier stage's sign-off whose data jumped over it. NULL when the stage
 * was entered, is still ahead, or `idx` is out of range. `wf` is the workflow the case
 * follows (capa_store_workflow). Borrowed from wf. Pure.
 */
const capa_route *capa_case_skipped(const capa_case *c, const capa_workflow *wf, size_t idx);
/** As capa_case_skipped, and `*from` (may be NULL) set to the index of the stage whose
 *  sign-off took the route (its values and signatures say who decided the skip, and when). */
const capa_route *capa_case_skipped_from(const capa_case *c, const capa_workflow *wf, size_t idx,
                                         size_t *from);

/**
 * The engine's data hash of stage `stage` in the snapshot: the hex SHA-256 a sign-off or
 * rejection of that stage would record now (capa_signature.data_hash). A tool shows it in
 * its signing dialog and passes it back as capa_request.data_hash, so what is signed is
 * exactly what was shown. @return CAPA_OK, CAPA_ENOTFOUND (no such stage), CAPA_ENOMEM.
 */
int capa_case_data_hash(char hex[65], const capa_case *c, const char *stage);

/** What a list shows per case (the small header record). */
typedef struct capa_case_header {
    const char *number;
    const char *stage;
    int closed;
    const char *customer;
    const char *part_no;
    const char *lot_no;
    const char *defect_code;
    const char *severity;
    const char *description; /**< a preview: its first 120 bytes (whole UTF-8 characters);
                                  the full text is in the intake stage (capa_case_get) */
    const char *subject_person;
    int64_t opened, closed_at, stage_entered; /**< ms since epoch */
    const char *workflow; /**< the case's workflow id ("complaint", "scar") */
    const char *origin;   /**< an imported copy: the exporting organisation; else NULL */
    int round;            /**< the case's round: 1, or 2, 3, ... when it went round again */
} capa_case_header;

typedef struct capa_filter {
    const char *stage;    /**< stage id or NULL */
    const char *customer; /**< exact */
    const char *part_no;  /**< exact */
    const char *defect_code;
    const char *text;    /**< substring of any value of any stage */
    int64_t opened_from; /**< ms, inclusive; 0 = open start */
    int64_t opened_to;   /**< ms, exclusive; 0 = open end */
    int closed;          /**< -1 any, 0 open only, 1 closed only */
    size_t limit;        /**< 0 = no limit */
    const char *workflow; /**< workflow id ("complaint" is the default's) or NULL for any */
    int recurrent;       /**< 1: only recurrences (capa_case_recurrence finds one) */
} capa_filter;

/** Cases matching `f` in number order. Header fields are borrowed for the callback only.
 *  Return non-zero from cb to stop (that value is returned). */
int capa_case_list(capa_store *s, const capa_filter *f,
                   int (*cb)(const capa_case_header *h, void *payload), void *payload);

/** capa_case_scan: read only the leading header fields (number, stage, closed, opened,
 *  closed_at, stage_entered, customer, part_no, lot_no, defect_code, severity); the others
 *  are NULL / 0 (workflow NULL, round 0). What a count by one of them needs. */
#define CAPA_SCAN_LEAD 1u
/** The most parts (threads) one capa_case_scan reads at once. */
#define CAPA_SCAN_MAX_PARTS 8

/**
 * The cases capa_case_list would list for `f`, read by up to `parts` threads at once (1 to
 * CAPA_SCAN_MAX_PARTS) over one snapshot of the store: fewer where the range is small (a part
 * is worth its thread from a few thousand cases on; below, part 0 reads it all and the other
 * payloads are left as they were). The cases (those the filter's index
 * lists, or all of them) are cut into `parts` shares in number order (index order for an
 * index); part i reads its share on a thread of its own (part 0 on the calling one) and
 * offers each matching case to `cb` with payloads[i]: concatenated, the parts are the list.
 * The callback must touch only its own payload; the caller adds the parts' results up
 * afterwards. A filter on text, recurrent or with a limit is capa_case_list's, all in part
 * 0. `flags`: 0 or CAPA_SCAN_LEAD (ignored with f->workflow, which needs the whole header).
 * Return non-zero from cb to stop every part; the first part's non-zero value is returned.
 * @return CAPA_OK, CAPA_EINVALID (parts), CAPA_ESTATE, CAPA_ECORRUPT, or cb's value.
 */
int capa_case_scan(capa_store *s, const capa_filter *f, unsigned flags, size_t parts,
                   int (*cb)(const capa_case_header *h, void *payload), void *const *payloads);

/**
 * A read snapshot of the store held across calls (one LMDB read transaction; those of a
 * scan's parts are begun on the same commit as they are first needed): what is read through
 * it, in as many calls as it takes, is the store as of one commit - a list's total and its
 * page, an export streamed for as long as its client reads. Use it from one thread at a
 * time. Hold it no longer than needed: while it is open LMDB keeps the pages it sees (the
 * file grows under writes) and a writer that must grow the map waits for its end.
 */
typedef struct capa_snapshot capa_snapshot;

/** Begin a snapshot of s. @return CAPA_OK, CAPA_ESTATE (no store), CAPA_ENOMEM, ... */
int capa_snapshot_begin(capa_snapshot **out, capa_store *s);
/** End it (NULL is fine). */
void capa_snapshot_end(capa_snapshot *snap);
/** The store it is a snapshot of. */
capa_store *capa_snapshot_store(const capa_snapshot *snap);
/** capa_case_list, read in the snapshot. */
int capa_snapshot_case_list(capa_snapshot *snap, const capa_filter *f,
                            int (*cb)(const capa_case_header *h, void *payload), void *payload);
/** capa_case_scan, read in the snapshot (in fewer parts when a commit came in between its
 *  beginning and the first scan that needed them). */
int capa_snapshot_case_scan(capa_snapshot *snap, const capa_filter *f, unsigned flags,
                            size_t parts, int (*cb)(const capa_case_header *h, void *payload),
                            void *const *payloads);

/** An open limit of a case: what `capa list --due-soon / --overdue` show. */
typedef struct capa_due_limit {
    const char *kind; /**< response, containment, plan, closure or a stage id (borrowed) */
    int64_t due;      /**< ms, UTC */
    int64_t warn;     /**< when it became due soon (the workflow's warn percent of the way) */
} capa_due_limit;

#define CAPA_DUE_SOON 1    /**< warn <= at < due */
#define CAPA_DUE_OVERDUE 2 /**< due <= at */

/**
 * The open limits (not met, case not closed) that are due soon or overdue as of `at` (ms),
 * in order of due time, answered from the due-time index and the case headers: no case is
 * decoded. `which` is CAPA_DUE_SOON, CAPA_DUE_OVERDUE or both or-ed. The header and limit
 * are borrowed for the callback only; return non-zero from cb to stop (that value is
 * returned). @return CAPA_OK, CAPA_ESTATE (not initialised), CAPA_ECORRUPT.
 */
int capa_case_due_list(capa_store *s, int which, int64_t at,
                       int (*cb)(const capa_case_header *h, const capa_due_limit *l,
                                 void *payload),
                       void *payload);

/**
 * How many cases (open and closed) carry each value of an indexed intake field - "stage",
 * "customer", "part_no" or "defect_code" - in value order. Answered from the field's index
 * alone (one step per distinct value), for statistics such as counts by defect code.
 * `value` is borrowed for the callback only; return non-zero from cb to stop (that value is
 * returned). @return CAPA_OK, CAPA_EINVALID (not an indexed field), CAPA_ESTATE.
 */
int capa_case_count_by(capa_store *s, const char *field,
                       int (*cb)(const char *value, uint64_t count, void *payload), void *payload);

/* ---- recurrence (再发) ---- */

/**
 * The cases case `number` recurs: those with its part number and defect code (intake fields
 * part_no, defect_code, exactly) opened in the N days before it, N being the store's
 * recurrence window (capa_store_recurrence_days). Computed from the part and defect indexes
 * and those cases' headers; nothing is stored. *out is an array of *n case numbers in
 * opening order (NULL when none), freed with capa_strings_free.
 * @return CAPA_OK, CAPA_ENOTFOUND (no such case), CAPA_ESTATE, CAPA_ENOMEM.
 */
int capa_case_recurrence(char ***out, size_t *n, capa_store *s, const char *number);
/** An earlier case a case recurs, as auditors ask it (IATF 16949 §10.2.3, 8D D7). */
typedef struct capa_recur_case {
    char *number;
    int closed;
    /** Its corrective actions verified effective: a standing (not superseded) sign-off of
     *  the stage whose sign-off requires `result = pass` (the default workflow's
     *  "verified"); a case sent back or round again since is not. */
    int verified;
    int64_t verified_at; /**< that sign-off's time; 0 when not verified */
    char *verified_by;   /**< its signer's printed name; NULL when not verified */
} capa_recur_case;
/**
 * capa_case_recurrence with what an auditor asks of each earlier case: closed, and whether
 * and when its corrective actions were verified effective. *out has *n entries in opening
 * order (NULL when none); free with capa_recur_cases_free.
 * @return as capa_case_recurrence.
 */
int capa_case_recurrence_detail(capa_recur_case **out, size_t *n, capa_store *s,
                                const char *number);
void capa_recur_cases_free(capa_recur_case *v, size_t n);
/** Free an array of n strings (NULL accepted). */
void capa_strings_free(char **v, size_t n);
/** The recurrence window in days: what `capa config recurrence-days` set, else 180. */
int capa_store_recurrence_days(capa_store *s, int *out);
/** Set the recurrence window (1 to 3650 days; admin). Audited as a "config" event.
 *  @return CAPA_OK, CAPA_EINVALID (out of range: nothing asked or written), CAPA_EDENIED,
 *  CAPA_EAUTH. */
int capa_config_recurrence_days(capa_store *s, const capa_actor *who, int days);
/* ---- attachments: files (photos, 8D reports) kept with a case ---- */

/** Default size limit of one attachment (20 MiB); `capa config attach-limit` changes it. */
#define CAPA_ATTACH_LIMIT_DEFAULT ((uint64_t)20 * 1024 * 1024)
/** The largest limit that may be configured (512 MiB). */
#define CAPA_ATTACH_LIMIT_MAX ((uint64_t)512 * 1024 * 1024)

/** One file attached to a case. The content is stored once per SHA-256 (a file attached to
 *  several cases, or twice, takes its space once). */
typedef struct capa_attachment {
    uint64_t seq;      /**< the audit event that attached it */
    char *name;        /**< file name as attached (no directory) */
    char *stage;       /**< the stage it belongs to */
    char *note;        /**< or NULL */
    char *mime;        /**< from the content: image/jpeg, image/png, application/pdf or
                            application/octet-stream */
    uint64_t size;     /**< bytes */
    char sha256[65];   /**< hex SHA-256 of the content */
    char *user;        /**< who attached it */
    char *user_name;   /**< their printed name at the time */
    int64_t time;      /**< ms since epoch, UTC */
} capa_attachment;

void capa_attachment_clear(capa_attachment *a);

/**
 * Attach `len` bytes named `name` to case `number`, to stage `stage` (NULL: the current one;
 * otherwise a stage the case has reached). Allowed to the roles that edit or sign that
 * stage, on an open case. The size limit (capa_attach_limit) is checked before the password
 * and the write lock. Audited as an "attach" event naming name, size and SHA-256; `verify`
 * re-hashes the stored content. `out_sha` (may be NULL) receives the hex SHA-256.
 * @return CAPA_OK, CAPA_EINVALID (empty, too large, bad name or note), CAPA_ENOTFOUND,
 *         CAPA_ESTATE (closed case, stage not reached), CAPA_EDENIED, CAPA_EAUTH, ...
 */
int capa_case_attach(capa_store *s, const char *number, const capa_actor *who, const char *name,
                     const void *data, size_t len, const char *stage, const char *note,
                     char out_sha[65]);
/**
 * capa_case_attach for a tool that keeps sessions (capa serve): the actor proves the sign-in
 * binding of capa_user_sign_in instead of a password, checked as capa_user_binding_check
 * (nothing counted) and again inside the write transaction. Every other check, and the
 * event, are capa_case_attach's. @return as capa_case_attach.
 */
int capa_case_attach_bound(capa_store *s, const char *number, const char *user,
                           const char *binding, const char *name, const void *data, size_t len,
                           const char *stage, const char *note, char out_sha[65]);
/** One file of capa_case_attach_all_bound: its name and bytes (borrowed). */
typedef struct capa_attach_file {
    const char *name;
    const void *data;
    size_t len;
} capa_attach_file;
/**
 * Attach several files at once, all or none: every file's checks of capa_case_attach (name,
 * note, size) before the binding and the write lock, then one write transaction with an
 * "attach" event per file, in order; a refusal of any file (its message names it) leaves
 * none attached. Signed in as capa_case_attach_bound. @return as capa_case_attach;
 * CAPA_EINVALID when n is 0.
 */
int capa_case_attach_all_bound(capa_store *s, const char *number, const char *user,
                               const char *binding, const capa_attach_file *files, size_t n,
                               const char *stage, const char *note);
/**
 * The content of case `number`'s attachment with SHA-256 `sha256` (hex) in *out (free with
 * capa__free), re-hashed on the way out; *out_meta (may be NULL; free with
 * capa_attachment_clear then capa__free) its record. @return CAPA_OK, CAPA_ENOTFOUND (no such
 * attachment on the case), CAPA_ECORRUPT (the stored bytes do not hash to it), ...
 */
int capa_attachment_get(void **out, size_t *out_len, capa_attachment **out_meta, capa_store *s,
                        const char *number, const char *sha256);
/** The attachment size limit in bytes (the default when none was configured). */
int capa_attach_limit(capa_store *s, uint64_t *out);
/** Set the attachment size limit (admin; 1 byte to CAPA_ATTACH_LIMIT_MAX). Audited as a
 *  "config" event. */
int capa_config_attach_limit(capa_store *s, const capa_actor *who, uint64_t bytes);

/* ---- the XML case archive (schemas/case.xsd) ---- */

/**
 * The whole case as an XML document valid against schemas/case.xsd: the store's
 * organisation, numbering, zone and anchor token, the header, every reached stage with its
 * form id and version, the signatures, attachment digests, the case's audit events with
 * their chain hashes, and the definitions used. *out is NUL-terminated (capa__free).
 * @return CAPA_OK, CAPA_ENOTFOUND, CAPA_ENOMEM, ...
 */
int capa_case_export(char **out, size_t *out_len, capa_store *s, const char *number);
/**
 * Import a case archive written by capa_case_export of another store (a group archive):
 * admin only. The archive is parsed as hostile input (no DOCTYPE/entities/network, 64 MiB),
 * validated, and must prove itself before the password is checked: every event matches its
 * chain hash, and its events, replayed, give exactly the records it states. The case becomes
 * a read-only copy addressed NUMBER@ORIGIN (NUMBER@ORIGIN~2, ... for a namesake plant's case of
 * the same number): it takes no number of this store's sequence. Its definitions are read from
 * the archive for this copy only and never become the store's (capa_case_form). The
 * "import_archive" event carries the document, so verify replays it. `name` names the file.
 * @return CAPA_OK (*out_number = the copy's address, capa__free), CAPA_EINVALID (naming every
 *  mismatch), CAPA_EEXISTS (this case was imported before), CAPA_EDENIED, ...
 */
int capa_case_import(char **out_number, capa_store *s, const capa_actor *who, const char *xml,
                     size_t len, const char *name);

/* ---- audit trail ---- */
typedef struct capa_change {
    const char *field;
    const char *old_value; /**< NULL when absent */
    const char *new_value; /**< NULL when cleared */
} capa_change;

typedef struct capa_event {
    uint64_t seq;
    int64_t time; /**< ms since epoch, UTC */
    const char *actor;
    const char *action;      /**< init, user_add, login_failed, open, set, sign, reject, ... */
    const char *case_number; /**< or NULL */
    const char *stage;       /**< or NULL */
    const char *reason;      /**< or NULL */
    const capa_change *changes;
    size_t n_changes;
    /** What replay needs to rebuild the state this event changed (role, printed name,
     *  data hash, case id, credential digest, ...); empty for format-1 events. */
    const capa_kv *facts;
    size_t n_facts;
    int version;   /**< record version: 1 (format 1) or 2 */
    char hash[65]; /**< hex chain hash after this event */
} capa_event;

/** Events in order, of one case (number) or all (NULL). Borrowed for the callback only. */
int capa_audit_foreach(capa_store *s, const char *number,
                       int (*cb)(const capa_event *e, void *payload), void *payload);

/** Check everything (capa_store_verify without options). On CAPA_OK head_hex holds the head
 *  hash; on CAPA_ECORRUPT *out_bad_seq names the first bad event (0 when the chain is sound
 *  and a record differs) and the message the first problem. */
int capa_audit_verify(capa_store *s, char head_hex[65], uint64_t *out_bad_seq);

/* ---- verification: replay everything, compare everything ---- */

/** A chain hash an earlier dossier, export or checkpoint carried: token "SEQ:HEX". */
typedef struct capa_anchor {
    uint64_t seq;
    char head[65];
} capa_anchor;
/** Parse "N:HEX" (64 lower-case hex digits). @return CAPA_OK or CAPA_EINVALID. */
int capa_anchor_parse(capa_anchor *out, const char *token);
/** The token of the current head, "N:HEX", into buf (>= 90 bytes). */
int capa_anchor_current(char *buf, size_t sz, capa_store *s);

/** One difference between what is stored and what the audit trail says. */
typedef struct capa_mismatch {
    char *case_number; /**< the case concerned, or NULL */
    char *db;          /**< the named database: "signatures", "cases", "events", ... */
    char *record;      /**< "header", "stage intake", "signature 3 (approved)", "user chen" */
    char *field;       /**< or NULL */
    char *stored;      /**< stored value; NULL when the record is missing */
    char *expected;    /**< what the events say; NULL when no event explains the record */
    uint64_t seq;      /**< the event that says so (or the bad event), 0 when none */
    char *message;     /**< the whole sentence */
} capa_mismatch;

typedef struct capa_verify_opts {
    const capa_anchor *anchors; /**< each must hold in this database */
    size_t n_anchors;
    /** PEM certificate of the organisation: every checkpoint must be signed by its key.
     *  NULL: checkpoints are checked against the key they name only (see cert_required). */
    const char *cert_path;
    size_t max_mismatches; /**< how many to keep; 0 = 1000 (all are counted) */
    /** With no cert_path, every checkpoint is a mismatch naming it as not checked: a
     *  signature by the key a checkpoint names itself proves nothing (`capa verify`). */
    int cert_required;
} capa_verify_opts;

typedef struct capa_verify_report {
    int ok;
    uint64_t seq;  /**< events in the chain (the head's sequence number) */
    char head[65]; /**< hex head hash ("" when the chain is broken) */
    uint64_t n_cases, n_checkpoints;
    uint64_t bad_seq; /**< first bad event of the chain walk, 0 if none */
    size_t n_total;   /**< mismatches found (n_mismatches may be fewer) */
    capa_mismatch *mismatches;
    size_t n_mismatches;
    char **skipped; /**< volatile_* databases, not checked */
    size_t n_skipped;
} capa_verify_report;

/**
 * Verify the whole store like `git fsck`: walk the hash chain, check every anchor and
 * checkpoint, replay every event through the engine's apply function into a scratch store
 * (in $TMPDIR) and compare every record of every named database with it, both ways.
 * @return CAPA_OK when the check ran (look at ->ok), else an error (I/O, memory).
 */
int capa_store_verify(capa_verify_report **out, capa_store *s, const capa_verify_opts *opts);
void capa_verify_report_free(capa_verify_report *r);
/** The first mismatch of a report that concerns case `number` - its own records, or the
 *  trail, users, definitions and numbers every case relies on - or NULL. Borrowed from r. */
const capa_mismatch *capa_verify_report_concerns(const capa_verify_report *r,
                                                 const char *number);
/** CAPA_OK when the chain is sound and nothing the case's rendering relies on (its records,
 *  users, definitions) differs from what the trail says; else CAPA_ECORRUPT naming the first
 *  mismatch. For dossiers and `show`. */
int capa_case_verify(capa_store *s, const char *number);

/* ---- signed outputs: made only from verified data (core/prove.c) ---- */

/** The first mismatch of `r` that would change what a signed output of case `number`
 *  prints, or NULL: those capa_verify_report_concerns names, every meta record but the
 *  counters (organisation, chain head, zone, recurrence window), and another case's header
 *  or idx_part / idx_defect entry that the case's recurrence answer (再发) reads (a case with
 *  the same part and defect, or whose part or defect was changed to or from them). Reads
 *  stored headers of `s` to decide. Borrowed from r. */
const capa_mismatch *capa_verify_report_concerns_output(const capa_verify_report *r,
                                                        capa_store *s, const char *number);
/** For a dossier or an archive of case `number`: replay the whole store (capa_store_verify)
 *  and refuse when capa_verify_report_concerns_output finds a mismatch.
 *  @return CAPA_OK; CAPA_ECORRUPT ("case N does not verify against the audit trail: " and
 *          the mismatch); errors of capa_store_verify. */
int capa_case_prove(capa_store *s, const char *number);
/** How a case's signed output was proven (capa_case_prove_ex, capa_case_proof_check). */
typedef struct capa_case_proof {
    int fast;        /**< 1: by the case proof of checkpoint ck_seq (docs/case-proof.md) */
    uint64_t ck_seq; /**< the checkpoint the case proof is of (0: none read) */
    char why[400];   /**< when not fast: why the whole store had to be replayed */
} capa_case_proof;
/** The per-case proof alone (docs/case-proof.md): the last v2 checkpoint's signature checked
 *  against the certificate at `cert_path`, every event from it to the head chain-hashed (at
 *  most 20 000), none of them the case's or the whole store's, the case's records and event
 *  records hashed to its leaf and up the stored case tree to the signed root, the store leaf
 *  (meta values, users, definitions), and the recurrence answer (再发) against the signed
 *  members of its part and defect, each recurrent case's records against its leaf.
 *  @return CAPA_OK with out->fast 1 (proven) or 0 (out->why says why not: replay the store);
 *          CAPA_ENOMEM. */
int capa_case_proof_check(capa_store *s, const char *number, const char *cert_path,
                          capa_case_proof *out);
/** capa_case_prove, trying the per-case proof first (capa_case_proof_check, checkpoints
 *  checked against `cert_path`) and replaying the whole store only when it does not hold.
 *  @param out how it was proven (may be NULL) */
int capa_case_prove_ex(capa_store *s, const char *number, const char *cert_path,
                       capa_case_proof *out);
/** For an output made from every case (the monthly report): the whole store must verify.
 *  @param out the head the replay proved (seq, hex), or NULL; zeroed on failure
 *  @return CAPA_OK; CAPA_ECORRUPT ("the store does not verify against its audit trail: "
 *          the first mismatch, and how many more); errors of capa_store_verify. */
int capa_store_prove(capa_store *s, capa_anchor *out);

/** Append a checkpoint event: (seq, head) of the chain signed with the organisation's
 *  private key at `key_path` (PEM). Asks no password: allowed only to the operating-system
 *  user owning the store directory (who alone can read the key). */
int capa_checkpoint(capa_store *s, const char *key_path, uint64_t *out_seq);

/** Convert a store of format 1 to the current format in place, keeping every event as it is
 *  (old anchors stay valid): the store must verify first; every record is rebuilt from the
 *  trail and an "upgrade" event states the definitions and credentials it carries over.
 *  The caller makes the backup. @return CAPA_OK, CAPA_EEXISTS (already current),
 *  CAPA_ECORRUPT (it does not verify: nothing changed). */
int capa_store_upgrade(capa_store *s);
/** Format of the store's records (1, 2); 0 when not initialised. */
int capa_store_format(capa_store *s, int *out);

/* ---- volatile databases: sessions and caches, never audited ---- */

/**
 * Short-lived state a tool keeps next to the records (web sessions, caches) in the named
 * database `volatile_<name>` of the same environment. Nothing written here is an event or a
 * record: it is not audited, not replayed, and `capa verify` skips (and names) these
 * databases. Never put a password or anything an auditor relies on here.
 *
 * `name` is [a-z0-9_]{1,32}; `key` a NUL-terminated string of 1 to 500 bytes. The database is
 * created (MDB_CREATE, in its own write transaction) on the first put, del or sweep. Each
 * put, del and sweep is one durable write transaction. Thread-safe; the volatile calls of a
 * process are serialised among themselves.
 * @return CAPA_OK, CAPA_EINVALID (bad name or key), CAPA_EDENIED (read-only store),
 *         CAPA_EFULL, CAPA_ERROR.
 */
int capa_volatile_put(capa_store *s, const char *name, const char *key, const void *val,
                      size_t len);
/** A copy of the value under `key` in *out (with a NUL after its *out_len bytes; free with
 *  capa__free). @return CAPA_OK, CAPA_ENOTFOUND (no such key or database), CAPA_EINVALID,
 *  CAPA_ENOMEM, CAPA_ERROR. `out_len` may be NULL. */
int capa_volatile_get(void **out, size_t *out_len, capa_store *s, const char *name,
                      const char *key);
/** Remove `key`; a missing key is not an error. */
int capa_volatile_del(capa_store *s, const char *name, const char *key);
/** Remove every entry for which `expired(key, val, len, payload)` returns non-zero, in one
 *  write transaction; the count removed in *out_removed (may be NULL). Borrowed arguments
 *  are valid for the callback only; the callback must not call capa_volatile_*. */
int capa_volatile_sweep(capa_store *s, const char *name,
                        int (*expired)(const char *key, const void *val, size_t len,
                                       void *payload),
                        void *payload, size_t *out_removed);

/* ---- publishing the trail (capa publish) ---- */

/**
 * The events with sequence numbers `from` to `to` (inclusive; `to` 0 = to the head) in chain
 * order, read in one read transaction, for a tool that sends the trail elsewhere. Each event's
 * chain hash is recomputed from its content and its predecessor's stored hash: an event whose
 * hash does not match, or a gap in the sequence, is CAPA_ECORRUPT naming it. Borrowed for the callback only; a
 * non-zero return of cb stops the walk and is returned.
 * @return CAPA_OK, CAPA_ESTATE (not initialised), CAPA_ECORRUPT, or what cb returned.
 */
int capa_audit_foreach_range(capa_store *s, uint64_t from, uint64_t to,
                             int (*cb)(const capa_event *e, void *payload), void *payload);
/** The chain hash (hex) after event `seq`. @return CAPA_OK, CAPA_ENOTFOUND (no such event). */
int capa_audit_hash_at(char hex[65], capa_store *s, uint64_t seq);

/* ---- notices at every hand-over (docs/notify.md) ---- */

/** The kinds of notice, as users choose them (`capa user set ID --notify KINDS`): a case
 *  entered a stage you fill or sign; it was sent back to one; (as its first-contact owner,
 *  首问负责人) it was handed over, closed, or made yours. */
#define CAPA_NOTICE_KINDS "stage returned handover closed owner"

/** A user's contact details and the kinds of notice they get (space separated, a subset of
 *  CAPA_NOTICE_KINDS; all of them unless they chose). Strings are "" when unset. */
typedef struct capa_contact {
    char *user;
    char *mobile;
    char *email;
    char *notify;
} capa_contact;

/**
 * Set a user's mobile number, e-mail address and/or notice choices (NULL: unchanged; "":
 * cleared; notify "all" or "none" or kinds separated by commas or spaces). The user themself
 * or an admin; audited as a "user_set" event. The mobile is + and 5 to 20 digits, the
 * address a plain local@domain (no name, no white space). CAPA_EINVALID names field and
 * value; CAPA_ENOTFOUND, CAPA_EDENIED.
 */
int capa_user_set_contact(capa_store *s, const capa_actor *who, const char *id,
                          const char *mobile, const char *email, const char *notify);
/** A user's contact (defaults when never set). CAPA_ENOTFOUND for no such user. */
int capa_user_contact(capa_contact **out, capa_store *s, const char *id);
void capa_contact_free(capa_contact *c);

/** A notice target: a WeCom or DingTalk group robot or an SMTP server. */
typedef struct capa_notify_target {
    char *name;
    char *kind;   /**< "wecom", "dingtalk" or "smtp" */
    char *shown;  /**< the URL with its query, password and token masked: safe to print */
    char *from;   /**< smtp: the sender address; else "" */
    char *link;   /**< base URL of the web UI for links to cases, or "" */
    char *digest; /**< hex SHA-256 of the URL and secret the event attests */
    int signed_;  /**< dingtalk with a signing secret (加签) */
    uint64_t seq; /**< the event that added it */
} capa_notify_target;

/**
 * Add a target (admin). `kind` wecom|dingtalk (http(s) URL; `secret` for a signed DingTalk
 * robot) or smtp (smtp:// or smtps:// URL, `from` required). The audited "notify_target"
 * event carries the masked URL and the SHA-256 of URL and secret; the URL and secret
 * themselves are kept in the store beside the records (never in the trail, never printed)
 * and checked against that digest before each use. `link` (may be NULL) is the base URL of
 * the web UI. CAPA_EINVALID, CAPA_EEXISTS, CAPA_EDENIED.
 */
int capa_notify_target_add(capa_store *s, const capa_actor *who, const char *name,
                           const char *kind, const char *url, const char *secret,
                           const char *from, const char *link);
/** Remove a target (admin); its pending deliveries go with it. CAPA_ENOTFOUND. */
int capa_notify_target_remove(capa_store *s, const capa_actor *who, const char *name);
/** The targets in name order. Free with capa_notify_targets_free. */
int capa_notify_targets(capa_notify_target **out, size_t *n, capa_store *s);
void capa_notify_targets_free(capa_notify_target *a, size_t n);
/** The URL and secret of target `name` (free with capa__free), checked against the digest
 *  its event recorded: CAPA_ECORRUPT when they differ, CAPA_ENOTFOUND when missing. */
int capa_notify_target_secret(char **url, char **secret, capa_store *s, const char *name);

/** One person a notice is for. */
typedef struct capa_notice_to {
    char *user;
    char *name;   /**< printed name */
    char *why;    /**< "fill", "sign", "owner", or two joined by "," */
    char *mobile; /**< current contact, "" when none */
    char *email;
} capa_notice_to;

/** A notice: derived from the hand-over event `seq`. */
typedef struct capa_notice {
    uint64_t seq;
    int64_t time;
    char *kind; /**< one of CAPA_NOTICE_KINDS */
    char *number;
    char *stage;  /**< the stage entered ("closed" when closed) */
    char *from;   /**< the stage left */
    char *actor;
    char *reason; /**< of a rejection or reassignment, else "" */
    char *target; /**< pending list: the target it waits for; else NULL */
    int pending;  /**< inbox: some target has not taken it yet */
    capa_notice_to *to;
    size_t n_to;
} capa_notice;

/** Every delivery waiting, in event order then target name. */
int capa_notices_pending(capa_notice **out, size_t *n, capa_store *s);
/** The notices for `user`, newest first, at most `limit` (0: all). */
int capa_notices_for(capa_notice **out, size_t *n, capa_store *s, const char *user,
                     size_t limit);
void capa_notices_free(capa_notice *a, size_t n);

/** A delivery taken by its target. */
typedef struct capa_notice_ref {
    uint64_t seq;
    const char *target;
} capa_notice_ref;
/** Record deliveries as one "deliver" event (actor: the operating-system owner of the store,
 *  as for escalations). Refs no longer pending (a target removed meanwhile) are skipped. */
int capa_notices_delivered(capa_store *s, const capa_notice_ref *refs, size_t n);

/** The first-contact owner (首问负责人) of a case: who logged it unless reassigned. */
int capa_case_owner(char **out, capa_store *s, const char *number);
/** Reassign the owner of an open case to `user`, with a reason: an admin, a qe_lead or the
 *  owner. Audited as an "owner" event; the new owner is told. */
int capa_case_owner_set(capa_store *s, const capa_actor *who, const char *number,
                        const char *user, const char *reason);

/* ---- helpers for tools ---- */
/** Format ms since epoch as "2026-11-23T08:15:02Z" into buf (>= 25 bytes). */
void capa_time_format(char *buf, size_t sz, int64_t ms);
/** Hex SHA-256 of a buffer into hex (65 bytes). */
void capa_sha256_hex(char hex[65], const void *data, size_t len);

#ifdef __cplusplus
}
#endif

#include "capa_stats.h"
#include "capa_time.h"

#endif
