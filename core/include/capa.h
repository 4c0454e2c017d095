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

typedef struct capa_store capa_store;

/** Options for capa_store_open; zero-initialise and set what you need. */
typedef struct capa_open_opts {
    size_t map_size;   /**< initial LMDB map size in bytes; 0 = default (64 GiB) */
    size_t map_max;    /**< ceiling the map may grow to on MAP_FULL; 0 = no ceiling */
    int create;        /**< create the directory if missing */
    int read_only;     /**< open for reading only */
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
} capa_store_info;
int capa_store_info_get(capa_store_info *out, capa_store *s);
void capa_store_info_clear(capa_store_info *info);

/** Hot, compacting backup into an empty directory (mdb_env_copy2 with compaction). */
int capa_store_backup(capa_store *s, const char *dir);

/** The current workflow. Borrowed: owned by the store, valid until capa_store_close. */
int capa_store_workflow(const capa_workflow **out, capa_store *s);
/** A form by id and version (0 = the current version). Borrowed, valid until close. */
int capa_store_form(const capa_formdef **out, capa_store *s, const char *id, int version);

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
/** Check a password without changing anything but the failure counter (audited on failure).
 *  @return CAPA_OK, CAPA_EAUTH, CAPA_ELOCKED, CAPA_ENOTFOUND is reported as CAPA_EAUTH. */
int capa_user_authenticate(capa_store *s, const capa_actor *who);
int capa_user_get(capa_user **out, capa_store *s, const char *id);
void capa_user_free(capa_user *u);
/** Every user in id order; stop early by returning non-zero from cb (that value returned). */
int capa_user_foreach(capa_store *s, int (*cb)(const capa_user *u, void *payload),
                      void *payload);

/** Install the next version of a form (or the workflow when the document is a workflow).
 *  New cases use it; existing stage records keep the version they were filled with. */
int capa_form_install(capa_store *s, const capa_actor *who, const char *xml, size_t len,
                      const char *name, int *out_version);

/* ---- cases ---- */
/** Open a case: `values` are intake fields. Returns the new number ("QC-2026-0001") in
 *  *out_number (free with capa__free). */
int capa_case_open(char **out_number, capa_store *s, const capa_actor *who,
                   const capa_kv *values, size_t n);
/** Set fields of the case's current stage. An empty value clears a field. `reason` may be
 *  NULL. All violations reported at once; nothing is written when any fails. */
int capa_case_set(capa_store *s, const char *number, const capa_actor *who,
                  const capa_kv *values, size_t n, const char *reason);
/** Sign off the current stage with `meaning` (must be the stage's sign-off meaning); the case
 *  advances to the next stage, or is closed after the last. */
int capa_case_sign(capa_store *s, const char *number, const capa_actor *who,
                   const char *meaning);
/** Reject the current stage (审查 N) back to the stage's reject target; reason required. */
int capa_case_reject(capa_store *s, const char *number, const capa_actor *who,
                     const char *reason);

typedef struct capa_signature {
    uint64_t seq; /**< audit event that recorded it */
    char *stage;
    char *kind;    /**< "sign" or "reject" */
    char *meaning; /**< sign-off meaning ("reviewed" ...), "rejected" for a rejection */
    char *user;
    char *name; /**< printed name at signing time */
    char *role;
    char *reason;         /**< rejection reason, or NULL */
    int64_t time;         /**< ms since epoch, UTC */
    char data_hash[65];   /**< hex SHA-256 of the stage data signed */
    int superseded;       /**< 1 when a later rejection sent the case back over this stage */
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
} capa_stage_record;

/** A snapshot of one case. Read-only; free with capa_case_free. */
typedef struct capa_case {
    char *number;
    char *stage; /**< current stage id */
    int closed;
    int64_t opened, closed_at; /**< ms since epoch */
    char *opened_by;
    capa_stage_record *stages; /**< one per workflow stage, in workflow order */
    size_t n_stages;
    capa_signature *signatures; /**< in time order */
    size_t n_signatures;
} capa_case;

int capa_case_get(capa_case **out, capa_store *s, const char *number);
void capa_case_free(capa_case *c);
/** Value of a field in a stage of the snapshot, or NULL. Borrowed from the case. */
const char *capa_case_value(const capa_case *c, const char *stage, const char *name);

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
    const char *description;
    const char *subject_person;
    int64_t opened, closed_at, stage_entered; /**< ms since epoch */
} capa_case_header;

typedef struct capa_filter {
    const char *stage;    /**< stage id or NULL */
    const char *customer; /**< exact */
    const char *part_no;  /**< exact */
    const char *defect_code;
    const char *text;      /**< substring of any value of any stage */
    int64_t opened_from;   /**< ms, inclusive; 0 = open start */
    int64_t opened_to;     /**< ms, exclusive; 0 = open end */
    int closed;            /**< -1 any, 0 open only, 1 closed only */
    size_t limit;          /**< 0 = no limit */
} capa_filter;

/** Cases matching `f` in number order. Header fields are borrowed for the callback only.
 *  Return non-zero from cb to stop (that value is returned). */
int capa_case_list(capa_store *s, const capa_filter *f,
                   int (*cb)(const capa_case_header *h, void *payload), void *payload);

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
    const char *action; /**< init, user_add, login_failed, open, set, sign, reject, ... */
    const char *case_number; /**< or NULL */
    const char *stage;       /**< or NULL */
    const char *reason;      /**< or NULL */
    const capa_change *changes;
    size_t n_changes;
    char hash[65]; /**< hex chain hash after this event */
} capa_event;

/** Events in order, of one case (number) or all (NULL). Borrowed for the callback only. */
int capa_audit_foreach(capa_store *s, const char *number,
                       int (*cb)(const capa_event *e, void *payload), void *payload);

/** Re-walk the whole hash chain, then check every standing sign-off against the stage data
 *  it signed. On CAPA_OK head_hex holds the head hash; on CAPA_ECORRUPT *out_bad_seq names
 *  the first bad event (for a sign-off: the event that recorded it) and the message says
 *  why. */
int capa_audit_verify(capa_store *s, char head_hex[65], uint64_t *out_bad_seq);

/* ---- helpers for tools ---- */
/** Format ms since epoch as "2026-11-23T08:15:02Z" into buf (>= 25 bytes). */
void capa_time_format(char *buf, size_t sz, int64_t ms);
/** Hex SHA-256 of a buffer into hex (65 bytes). */
void capa_sha256_hex(char hex[65], const void *data, size_t len);

#ifdef __cplusplus
}
#endif
#endif
