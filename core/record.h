/*
 * record.h - the stored shapes of a case: its small header record (what lists and indexes
 * need), one record per stage (form id/version, values, editors, times) and one record per
 * signature or rejection. Encoding and decoding live in record.c; decoding treats the bytes
 * as untrusted.
 */
#ifndef CAPA_RECORD_H
#define CAPA_RECORD_H

#include "store.h"

/* One limit of a case not met yet: what `capa list --due-soon/--overdue` and `capa escalate`
 * read without decoding the case. `code` names the limit kind (capa_limits__kind). */
typedef struct capa_hdr_limit {
    uint8_t code;      /* 0 response, 1 containment, 2 plan, 3 closure, 4 + i stage i */
    uint8_t escalated; /* bit j: escalation step j of the workflow recorded */
    int64_t due, warn; /* ms, UTC */
} capa_hdr_limit;

#define CAPA_HDR_MAX_LIMITS 64

typedef struct capa_hdr {
    uint64_t id;
    char *number;
    char *stage;
    int closed;
    int64_t opened, closed_at, stage_entered;
    char *opened_by;
    char *customer, *part_no, *lot_no, *defect_code, *severity, *description, *subject_person;
    /* For statistics (stats.c), so a monthly report reads headers only: intake choices and
     * the department, the 回访 satisfaction, and when each limit was first met (0 = not
     * yet): first sign-off of the first stage, containment first set, plan approved.
     * Stored as an optional trailing part: a header without it decodes with them NULL/0. */
    char *channel, *complaint_type, *validity, *responsible_dept, *satisfaction;
    int64_t response_at, containment_at, plan_at;
    /* An archived copy imported from another store (`capa import --xml`): that store's
     * organisation; NULL for a case of this store. Stored as an optional trailing field. */
    char *origin;
    /* Optional trailing fields: which limit codes are met (bit = code), and the open ones. */
    uint64_t met;
    capa_hdr_limit *limits;
    size_t n_limits;
    char *workflow; /* the case's workflow id; NULL = the default (CAPA_WORKFLOW_DEFAULT) */
    /* The round part (二次处理), written only from round 2 on: the case's round (0 or 1 = the
     * first) and when the current round began (the sign-off that sent the case round). */
    int round;
    int64_t round_at;
} capa_hdr;

void capa_hdr_clear(capa_hdr *h);
int capa_hdr__encode(const capa_hdr *h, void **out, size_t *len);
int capa_hdr__decode(capa_hdr *h, const void *data, size_t len);
/** Decode without allocating: h's strings point into arena[cap] (do not capa_hdr_clear h).
 *  CAPA_ENOMEM when the arena is too small (decode with capa_hdr__decode instead). Lists and
 *  scans read one header per row: this keeps a dozen malloc/free pairs per row off them. */
int capa_hdr__decode_view(capa_hdr *h, const void *data, size_t len, char *arena, size_t cap);
/** Like capa_hdr__decode_view, reading only the leading fields, number to severity (id,
 *  number, stage, closed, opened, closed_at, stage_entered, opened_by, customer, part_no,
 *  lot_no, defect_code, severity); the others stay NULL/0 and the rest of the record is
 *  neither read nor checked. For scans that count by those fields (capa_case_scan). */
int capa_hdr__decode_lead(capa_hdr *h, const void *data, size_t len, char *arena, size_t cap);
/** Like capa_hdr__decode_view for the monthly report (stats.c), which reads many headers and
 *  not their free text: opened_by, lot_no, description, subject_person and origin are passed
 *  over (left NULL, checked only to lie within the record) and the open limits too (limits
 *  NULL, n_limits 0); the other strings are copied into arena[cap] one by one, the record is
 *  not. Every other check of capa_hdr__decode_view is made. CAPA_ENOMEM (quietly) when the
 *  arena is too small. */
int capa_hdr__decode_stats(capa_hdr *h, const void *data, size_t len, char *arena, size_t cap);
/* The opening time of an encoded header alone, without decoding the rest (a filter before
 * the whole decode: recurrence.c reads many headers only to drop most by date). */
int capa_hdr__opened(int64_t *out, const void *data, size_t len);

/* Stage records reuse the public capa_stage_record; its strings are owned by the record. */
void capa_stage_record_clear(capa_stage_record *r);
int capa_stage__encode(const capa_stage_record *r, void **out, size_t *len);
int capa_stage__decode(capa_stage_record *r, const void *data, size_t len);
/** Value of `name` or NULL. */
const char *capa_stage__value(const capa_stage_record *r, const char *name);
/** Set (value non-empty) or clear (value NULL or "") a value, keeping names sorted. */
int capa_stage__set(capa_stage_record *r, const char *name, const char *value);
/** capa_stage__set of every change's field to its new value, in order (one allocation for
 *  the values). */
int capa_stage__set_changes(capa_stage_record *r, const capa_change *c, size_t n);
/** capa_stage__set_changes into a record that owns none of its values: they point at c's
 *  names and values, which must outlive it; free the record's values array alone
 *  (capa__free(r->values)), never with capa_stage_record_clear. An open's first record,
 *  written from its event and dropped (bulk21d). */
int capa_stage__set_changes_ref(capa_stage_record *r, const capa_change *c, size_t n);
/** Add `user` to the editors if absent. */
int capa_stage__add_editor(capa_stage_record *r, const char *user);
/** Hex SHA-256 over the canonical encoding of the stage data a signature covers. */
int capa_stage__hash(char hex[65], const char *number, const capa_stage_record *r);

void capa_signature_clear(capa_signature *g);
int capa_sig__encode(const capa_signature *g, void **out, size_t *len);
int capa_sig__decode(capa_signature *g, const void *data, size_t len);

/** Replace *slot by a copy of v (NULL clears it); the old string is freed. */
int capa__set_str(char **slot, const char *v);

/* ---- users: profile (derived from the events) + credential (attested by a digest) ---- */
typedef struct capa_user_rec {
    capa_user u;
    unsigned log2n, r, p; /* scrypt parameters; log2n 0 = no usable credential */
    unsigned char salt[16];
    unsigned char hash[32];
} capa_user_rec;

void capa_user_rec_clear(capa_user_rec *r);
int capa_user__encode(const capa_user_rec *u, void **out, size_t *len);
int capa_user__decode(capa_user_rec *out, const void *data, size_t len);
/** Read a user record; CAPA_ENOTFOUND when absent. */
int capa_user__get(capa_store *s, MDB_txn *txn, const char *id, capa_user_rec *out);
int capa_user__put(capa_store *s, MDB_txn *txn, const capa_user_rec *r);
/** Hex SHA-256 of the credential part (parameters, salt, hash) bound to the user id: what
 *  user events record instead of the hash itself. */
int capa_user__cred_digest(char hex[65], const capa_user_rec *u);

/* ---- reading and writing case records in a store ---- */
int capa_hdr__get(capa_store *s, MDB_txn *txn, uint64_t id, capa_hdr *out);
int capa_hdr__put(capa_store *s, MDB_txn *txn, const capa_hdr *h);
void capa_stage__key(unsigned char k[9], uint64_t id, int idx);
/** CAPA_ENOTFOUND (no message) when the case never reached the stage. */
int capa_stage__get(capa_store *s, MDB_txn *txn, uint64_t id, int idx, capa_stage_record *out);
int capa_stage__put(capa_store *s, MDB_txn *txn, uint64_t id, int idx, const capa_stage_record *r);
/** The record of stage `idx` as round `round` left it (key: case id, stage index, round be32),
 *  kept when the case went round again. */
void capa_stage__round_key(unsigned char k[13], uint64_t id, int idx, int round);
int capa_stage__put_round(capa_store *s, MDB_txn *txn, uint64_t id, int idx, int round,
                          const capa_stage_record *r);
int capa_sig__put(capa_store *s, MDB_txn *txn, uint64_t id, const capa_signature *g);
/** Case id of a number: CAPA_ENOTFOUND "case X: no such case". */
int capa__case_id(capa_store *s, MDB_txn *txn, const char *number, uint64_t *out);

#endif
