/*
 * store.h - the LMDB environment behind a capa_store, shared by the core modules.
 *
 * One environment, named databases, big-endian keys. Writes go through capa_store__write,
 * which runs a function inside one write transaction and, on MDB_MAP_FULL, grows the map
 * and runs it again: a change and its audit event always commit together or not at all.
 * Nothing outside core/ sees an LMDB type or code.
 */
#ifndef CAPA_STORE_H
#define CAPA_STORE_H

#include <lmdb.h>
#include <pthread.h>

#include "capa.h"

enum capa_db {
    DB_META,         /* "org", "pattern", "format", "next_id", "head", "ctr:YYYY", ... */
    DB_CASES,        /* case id (be64) -> case header record */
    DB_NUMBERS,      /* case number -> case id (be64) */
    DB_STAGES,       /* case id (be64) + stage index (u8) -> stage record */
    DB_SIGS,         /* case id (be64) + event seq (be64) -> signature record */
    DB_EVENTS,       /* event seq (be64) -> event record (hash-chained) */
    DB_CASE_EVENTS,  /* case id (be64) -> event seq (be64), dupsort */
    DB_USERS,        /* user id -> user record */
    DB_FORMS,        /* form id + NUL + version (be32) -> XML source */
    DB_IDX_STAGE,    /* stage id -> case id, dupsort */
    DB_IDX_CUSTOMER, /* customer -> case id, dupsort */
    DB_IDX_PART,     /* part no -> case id, dupsort */
    DB_IDX_DEFECT,   /* defect code -> case id, dupsort */
    DB_IDX_OPENED,   /* opened ms (be64) -> case id, dupsort */
    DB_BLOBS,        /* SHA-256 (32 bytes) -> attachment content, stored once */
    DB_ATTACH,       /* case id (be64) + event seq (be64) -> attachment record */
    DB_IDX_DUE,      /* due ms (be64) -> case id (be64) warn ms (be64) limit code (u8), dupsort */
    DB_OUTBOX,       /* escalation event seq (be64) -> notice format: posts not yet delivered */
    DB_CONTACTS,     /* user id -> mobile, e-mail, notice choices (notify.c) */
    DB_TARGETS,      /* notice target name -> kind, masked URL, digest, from, link */
    DB_OWNERS,       /* case id (be64) -> first-contact owner, when reassigned */
    DB_NOTICES,      /* hand-over event seq (be64) -> notice (kind, case, stages, people) */
    DB_INBOX,        /* user id NUL event seq (be64) -> why: the notices for each person */
    DB_PENDING,      /* event seq (be64) + target name -> "": deliveries not yet taken */
    DB_PROOF,        /* the case proof a v2 checkpoint signs (caseproof.c) */
    DB_COUNT
};

#define CAPA_FORMAT_VERSION 2
#define CAPA_WORKFLOW_ID "workflow"

struct capa_user_rec;
struct capa_submission;

/* The queue of capa_submit (batch.c). */
struct capa_group {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct capa_submission *head, *tail;
    int leader; /* a commit is in progress */
    /* Gathering (batch.c gather): how many submissions the next batch may expect (the last
     * batch's and those queued behind it), how long the last commit took, how many are
     * queued now, and whether a leader waits for them. */
    size_t expect, queued;
    int64_t last_ns;
    int gathering;
    pthread_cond_t arrived; /* signalled to a gathering leader by each new submission */
};

/* Passwords this process checked with scrypt and found right, each bound to the stored
 * credential it matched (users.c, capa_auth__check): the same password against the same
 * unchanged credential is answered without deriving the key again. */
#define CAPA_AUTH_MEMO 32
struct capa_auth_memo {
    pthread_mutex_t lock;
    int keyed;               /* key holds random bytes */
    unsigned char key[32];   /* HMAC key, drawn once per store handle, never stored */
    unsigned next;           /* the slot the next entry replaces */
    struct {
        char user[33];       /* "" when free */
        unsigned char tag[32];
    } e[CAPA_AUTH_MEMO];
};

/** Names and flags of the named databases, indexed by enum capa_db. */
extern const struct capa_db_spec {
    const char *name;
    unsigned flags;
} capa_db_specs[DB_COUNT];

struct capa_store {
    MDB_env *env;
    MDB_dbi dbi[DB_COUNT];
    /* Databases added after a store was made (blobs, attachments) that a read-only open did
     * not find: they read as empty (capa_store__has). A writable open creates them. */
    unsigned char absent[DB_COUNT];
    char *dir;
    capa_open_opts opts;
    size_t map_size;
    /* Records are stored without compression (the scratch store verify replays into, which
     * is compared by content: see verify.c same_value). */
    int unpacked;
    /* verify's scratch: stage records packed at zstd's fast level -1 (verify.c). */
    int pack_fast;
    /* Readers and writers hold it shared; growing the map takes it exclusive, because
     * mdb_env_set_mapsize needs no transaction of this process to be active. */
    pthread_rwlock_t map_lock;
    /* Parsed forms and workflows by (id, version); handed out as borrowed pointers. */
    pthread_mutex_t cache_lock;
    capa_formdef **forms;
    size_t n_forms, cap_forms;
    capa_workflow **workflows;
    size_t n_workflows, cap_workflows;
    /* Definitions found in the running write transaction (load_def): the requests of one
     * group commit (an import batch: 10 000 rows) and every event verify replays each look
     * the workflow and forms up several times. Valid for def_memo_txn only, which is set
     * when that transaction begins (capa_store__write; verify's scratch transactions) and
     * cleared before it commits or aborts (so no later transaction at the same address can
     * match); emptied as soon as a definition is written or deleted in it. Lookups in any
     * other transaction (a nested one, a reader) neither use nor fill it. Under cache_lock. */
    struct capa_def_memo {
        int is_workflow, version; /* version asked for: 0 = the latest */
        char id[72];
        void *def;
    } def_memo[8];
    size_t def_memo_n;
    MDB_txn *def_memo_txn;
    /* Parsed calendars by record key (id and version), for capa_plant_get (plant.c). */
    struct capa_cal_cached *cals;
    size_t n_cals, cap_cals;
    /* The plant apply computes due times with (capa_plant__cached): only used under the
     * write lock, checked against the zone and calendar keys the transaction sees. */
    struct capa_plant *plant;
    void *plant_key;
    size_t plant_key_len;
    /* Set when the plant was checked in def_memo_txn and nothing it is made of (a
     * definition, a meta string such as the zone) was written since: apply then takes it
     * without the check. Cleared with the definition memo. Under cache_lock. */
    int plant_memo;
    struct capa_group group;
    struct capa_auth_memo auth_memo;
    /* verify's scratch only: index entries are handed to a thread of its own (verify.c). */
    struct capa_defer *defer;
};

/** A write in progress: the transaction, its clock reading and the authenticated actor. */
typedef struct capa_wtxn {
    capa_store *s;
    MDB_txn *txn;
    int64_t now;
    const struct capa_user_rec *actor; /* NULL for unauthenticated writes (init, failures) */
} capa_wtxn;

typedef int (*capa_write_fn)(capa_wtxn *t, void *arg);

/** Run fn in one write transaction; commit when it returns CAPA_OK, else abort. Grows the
 *  map and retries on MAP_FULL. The error message fn set is kept on failure. */
int capa_store__write(capa_store *s, const struct capa_user_rec *actor, capa_write_fn fn,
                      void *arg);
/** Whether database `db` exists in this store (see capa_store.absent). */
int capa_store__has(const capa_store *s, int db);
/** Begin/end a read-only transaction (holds the map lock shared until end). */
int capa_store__read_begin(capa_store *s, MDB_txn **out);
void capa_store__read_end(capa_store *s, MDB_txn *txn);
/* Make the last durable commit visible to read transactions, also when its writer died
 * between writing the meta page and publishing it (see store.c). */
int capa_store__writer_settle(capa_store *s);
/** A scratch store in `dir` (created), not synced, with no lock file: for verify's replay.
 *  Private to its process; no read transaction may be open while a write one commits. */
int capa_store__open_scratch(capa_store **out, const char *dir, size_t map_size);
/** Reword the last error as a failure of the scratch store in `dir`, naming the directory and
 *  the room left there; returns CAPA_ERROR (CAPA_ENOMEM is returned as it is). */
int capa_store__scratch_fail(const char *dir, int err);
/** When the calling process runs as the operating-system user owning the store directory,
 *  "os:NAME" into buf (the actor of password-less recovery and checkpoints); else
 *  CAPA_EDENIED naming `what`. */
int capa_store__os_actor(capa_store *s, char *buf, size_t sz, const char *what);
/** Translate an LMDB code into a CAPA code with a message naming `what`. */
int capa_store__mdb_err(int rc, const char *what);
int64_t capa_store__now(capa_store *s);

/** Queue an index entry's put (del 0) or delete (del 1) for the thread that writes the index
 *  databases of verify's scratch (verify.c); CAPA_OK, or CAPA_ERROR when that thread failed. */
int capa_defer__index(struct capa_defer *d, int del, int db, const void *key, size_t klen,
                      const void *val, size_t vlen);
/** Read what the queued index writes made (limits_replan reads idx_due): everything queued
 *  is written and committed first; *src and *txn are then the index scratch and a read
 *  transaction on it, to end with capa_defer__read_end before the next write is queued. */
int capa_defer__read(struct capa_defer *d, capa_store **src, MDB_txn **txn);
void capa_defer__read_end(struct capa_defer *d, MDB_txn *txn);

/** The definition memo (def_memo above) belongs to `txn` from now on, empty; NULL: to no
 *  transaction. Call it after beginning a write transaction and before ending it. */
void capa_store__def_memo(capa_store *s, MDB_txn *txn);

/** verify16c: from now on this thread's capa_store__get and capa_store__put on `txn` (a write
 *  transaction) go through one cursor per database, kept for the transaction: a key next to
 *  the last one (rising case ids, a header read back after its write) is then found on the
 *  cursor's page without a descent from the root. NULL forgets them: call it before the
 *  transaction ends (LMDB closes a write transaction's cursors itself). Verify's replay
 *  uses it for its scratch; the effect on what is read or written is none. */
void capa_store__cursor_memo(MDB_txn *txn);

/** Get a value: CAPA_OK, CAPA_ENOTFOUND, or a translated error. */
int capa_store__get(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen, MDB_val *out);
int capa_store__put(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen, const void *data,
                    size_t dlen, unsigned flags);
int capa_store__del(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen, const void *data,
                    size_t dlen);

int capa_meta__get_u64(capa_store *s, MDB_txn *txn, const char *key, uint64_t *out);
int capa_meta__put_u64(capa_store *s, MDB_txn *txn, const char *key, uint64_t v);
/** A fresh copy of a string meta value (CAPA_ENOTFOUND when absent). */
int capa_meta__get_str(capa_store *s, MDB_txn *txn, const char *key, char **out);
int capa_meta__put_str(capa_store *s, MDB_txn *txn, const char *key, const char *v);
/** CAPA_OK when the store was initialised, else CAPA_ESTATE with a message. */
int capa_store__require_init(capa_store *s, MDB_txn *txn);

/** The current (version 0) or given version of a form / the workflow, parsed and cached.
 *  Borrowed until capa_store_close. */
int capa_store__form(const capa_formdef **out, capa_store *s, MDB_txn *txn, const char *id,
                     int version);
int capa_store__workflow(const capa_workflow **out, capa_store *s, MDB_txn *txn);
/** The plant (zone and calendars) as txn sees it, parsed once and cached in the store.
 *  Borrowed; valid until the next call. Only for the write path (apply). */
int capa_plant__cached(const struct capa_plant **out, capa_store *s, MDB_txn *txn);
/** The current version of workflow `id` (NULL, "" or CAPA_WORKFLOW_DEFAULT: the default). */
int capa_store__workflow_of(const capa_workflow **out, capa_store *s, MDB_txn *txn,
                            const char *id);
/** The definition id a workflow is stored under ("workflow", "workflow-scar"). */
int capa_store__workflow_def_id(char *buf, size_t sz, const char *id);
/** The current version of every stored workflow, the default first; a non-zero return of cb
 *  stops and is returned. */
int capa_store__workflow_foreach(capa_store *s, MDB_txn *txn,
                                 int (*cb)(const capa_workflow *w, void *payload), void *payload);
/** Highest stored version of a form id (0 when none). */
/* A definition given as its text (an archive's, core/import_xml.c), parsed once and kept in
 * the store's cache like a stored one (matched on the exact text). Borrowed until close. */
int capa_store__def_text(void **out, capa_store *s, const char *id, int version, const void *text,
                         size_t len, int is_workflow);
int capa_store__form_latest(capa_store *s, MDB_txn *txn, const char *id, int *out);
/** Remove a stored definition (upgrade replaces what replay copied). */
int capa_store__form_del(capa_store *s, MDB_txn *txn, const char *id, int version);
/** Like capa_store__require_init, but a store of an older format passes too (for the
 *  reading done by verify and upgrade). */
int capa_store__require_any_format(capa_store *s, MDB_txn *txn, uint64_t *format);
/** Store XML source as (id, version). */
int capa_store__form_put(capa_store *s, MDB_txn *txn, const char *id, int version, const char *xml,
                         size_t len);

/** Free the parsed calendars cached by capa_plant_get (plant.c), at capa_store_close. */
void capa_plant__cache_free(capa_store *s);

#endif
