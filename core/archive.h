/*
 * archive.h - one case as an XML document (schemas/case.xsd): written by `capa export`,
 * read by `capa import --xml` and by apply when it replays an import event (which carries
 * the document it imported).
 */
#ifndef CAPA_ARCHIVE_H
#define CAPA_ARCHIVE_H

#include "event.h"
#include "store.h"

#define CAPA_ARCHIVE_NS "urn:capa:case:1"

typedef struct capa_arch_def {
    char *id;
    int version;
    char *xml;
} capa_arch_def;

/** A parsed case archive. Everything is owned by it (capa_archive__free). */
typedef struct capa_archive {
    char *org, *pattern, *timezone, *anchor; /* the exporting store */
    int64_t exported;
    capa_case *c;           /* header, reached stages only, signatures, attachments */
    capa_event_rec *events; /* with ev.hash / hash as the file states them */
    unsigned char (*prev)[32];
    size_t n_events;
    capa_arch_def *defs;
    size_t n_defs;
} capa_archive;

/** Parse and validate (case.xsd) a document; every problem in diag.
 *  @return CAPA_OK, CAPA_EINVALID, CAPA_ENOMEM. */
int capa_archive__parse(capa_archive **out, const char *xml, size_t len, const char *name,
                        capa_diag *diag);
void capa_archive__free(capa_archive *a);

/** Apply an "import_archive" event: the case's records from the archive it carries; its new id in
 *  *out_id (import_xml.c). */
int capa_import_xml__apply(capa_wtxn *t, const capa_event_rec *e, uint64_t *out_id);

/** Bytes a case archive may have. */
#define CAPA_ARCHIVE_MAX_BYTES ((size_t)64 << 20)

#endif
