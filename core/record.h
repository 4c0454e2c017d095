/*
 * record.h - the stored shapes of a case: its small header record (what lists and indexes
 * need), one record per stage (form id/version, values, editors, times) and one record per
 * signature or rejection. Encoding and decoding live in record.c; decoding treats the bytes
 * as untrusted.
 */
#ifndef CAPA_RECORD_H
#define CAPA_RECORD_H

#include "store.h"

typedef struct capa_hdr {
    uint64_t id;
    char *number;
    char *stage;
    int closed;
    int64_t opened, closed_at, stage_entered;
    char *opened_by;
    char *customer, *part_no, *lot_no, *defect_code, *severity, *description, *subject_person;
} capa_hdr;

void capa_hdr_clear(capa_hdr *h);
int capa_hdr__encode(const capa_hdr *h, void **out, size_t *len);
int capa_hdr__decode(capa_hdr *h, const void *data, size_t len);

/* Stage records reuse the public capa_stage_record; its strings are owned by the record. */
void capa_stage_record_clear(capa_stage_record *r);
int capa_stage__encode(const capa_stage_record *r, void **out, size_t *len);
int capa_stage__decode(capa_stage_record *r, const void *data, size_t len);
/** Value of `name` or NULL. */
const char *capa_stage__value(const capa_stage_record *r, const char *name);
/** Set (value non-empty) or clear (value NULL or "") a value, keeping names sorted. */
int capa_stage__set(capa_stage_record *r, const char *name, const char *value);
/** Add `user` to the editors if absent. */
int capa_stage__add_editor(capa_stage_record *r, const char *user);
/** Hex SHA-256 over the canonical encoding of the stage data a signature covers. */
int capa_stage__hash(char hex[65], const char *number, const capa_stage_record *r);

void capa_signature_clear(capa_signature *g);
int capa_sig__encode(const capa_signature *g, void **out, size_t *len);
int capa_sig__decode(capa_signature *g, const void *data, size_t len);

#endif
