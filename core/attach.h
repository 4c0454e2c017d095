/*
 * attach.h - attachments: the record kept per attached file (DB_ATTACH, derived from the
 * "attach" event) and the content stored once by SHA-256 (DB_BLOBS, attested by the event's
 * SHA-256 and re-hashed whenever it is derived or read).
 */
#ifndef CAPA_ATTACH_H
#define CAPA_ATTACH_H

#include "event.h"
#include "store.h"

int capa_att__encode(const capa_attachment *a, void **out, size_t *len);
int capa_att__decode(capa_attachment *a, const void *data, size_t len);
void capa_att__key(unsigned char k[16], uint64_t case_id, uint64_t seq);

/** Apply an "attach" event to case `id`: the record, and the content when src gives bytes
 *  that hash to the event's SHA-256 (apply.c calls this). */
int capa_att__apply(capa_wtxn *t, const capa_event_rec *e, uint64_t id, const char *stage,
                    const void *content);

/** Every attachment record of case `id`, in event order, appended to *out / *n. */
int capa_att__list(capa_store *s, MDB_txn *txn, uint64_t id, capa_attachment **out, size_t *n);

/** A replay's content source over the stored blobs (verify, the case proof): *data the stored
 *  content named by hex `sha256` when it still hashes to it and has `size` bytes, else NULL
 *  (the replay then leaves it out and the compare names the stored bytes). Borrowed for the
 *  read snapshot of txn. Errors other than "not stored" are returned. */
int capa_att__stored_blob(capa_store *s, MDB_txn *txn, const char *sha256, uint64_t size,
                          const void **data);

/** "image/jpeg", "image/png", "application/pdf" or "application/octet-stream" by content. */
const char *capa_att__sniff(const void *data, size_t len);

#endif
