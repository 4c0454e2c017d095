/*
 * upload_disk.h - a multipart/form-data POST (a file upload) of the administration pages
 * read by libmicrohttpd's post processor: the file parts go to files in a directory of the
 * caller's (a legacy log may be tens of MiB), the other parts to parameters. No multipart
 * parsing of our own. (The attachments form has its own streaming reader, upload.c, which
 * keeps files in memory; the two may become one.)
 */
#ifndef CAPA_SERVE_UPLOAD_DISK_H
#define CAPA_SERVE_UPLOAD_DISK_H

#include "serve.h"

/** The largest upload body the administration pages take (the import of a legacy log, a
 *  form definition); every other request keeps --max-body. */
#define SV_ADMIN_UPLOAD_MAX ((size_t)64 << 20)

/** One file part written to disk. */
typedef struct sv_disk_file {
    char field[64];  /* the form field's name */
    char name[256];  /* the file name the browser gave, as shown to a reader ("" when none) */
    char path[4200]; /* where it was written: DIR/FIELD */
    uint64_t size;
} sv_disk_file;

typedef struct sv_disk_upload {
    sv_params params; /* the other parts (at most 64 KiB each) */
    sv_disk_file files[4];
    size_t n_files;
    const char *rule; /* after a refusal: its rule in the catalogue (NULL: an I/O error) */
    const char *max;  /* the rule's limit */
    char value[64];   /* the rule's value (a form field's name) */
} sv_disk_upload;

/**
 * Read r's body (multipart/form-data) with libmicrohttpd's post processor: each file part
 * into DIR/FIELD (mode 0600; at most one per field name, four in all), the rest into
 * out->params. 0, or -1 with the reason in why (not multipart, malformed, too many parts) and,
 * worded by the catalogue, in out->rule, max and value.
 */
int sv_disk_upload_parse(sv_disk_upload *out, sv_req *r, const char *dir, char *why, size_t whysz);
/** Free the parameters (the files stay: they are the caller's). */
void sv_disk_upload_clear(sv_disk_upload *u);

#endif
