/*
 * upload.h - a multipart/form-data upload read by libmicrohttpd's post processor as it
 * streams in (upload.c), for the attachments form.
 */
#ifndef CAPA_SERVE_UPLOAD_H
#define CAPA_SERVE_UPLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "parse.h"

/** One upload: at most this many files, ... */
#define SV_UPLOAD_FILES 16
#define SV_UPLOAD_FILES_TEXT "16"
/** ... this many parts (files and fields), ... */
#define SV_UPLOAD_PARTS 64
#define SV_UPLOAD_PARTS_TEXT "64"
/** ... a text field (CSRF token, stage, note) at most this many bytes, ... */
#define SV_UPLOAD_FIELD 8192
#define SV_UPLOAD_FIELD_TEXT "8192"
/** ... and the whole body at most FACTOR times the attachment limit plus SLACK. */
#define SV_UPLOAD_FACTOR 2
#define SV_UPLOAD_SLACK (256 * 1024)

typedef struct sv_upload_file {
    char *name;    /**< as sent, without any directory */
    sv_buf data;   /**< the bytes; empty when too_big */
    uint64_t size; /**< bytes sent */
    int too_big;   /**< over the attachment limit: its bytes were not kept */
} sv_upload_file;

typedef struct sv_upload_data {
    sv_params fields;
    sv_upload_file files[SV_UPLOAD_FILES];
    size_t n_files, n_parts;
    int status;    /**< 0, or the HTTP status of a refusal of the whole upload */
    char why[200]; /**< its reason */
    const char *rule; /**< its rule in the catalogue (tools/lang), NULL for out of memory */
    const char *max;  /**< the rule's limit, "max" */
    char value[64];   /**< the rule's value (the form field's name) */
} sv_upload_data;

typedef struct sv_upload sv_upload;

/** Whether method and path are the upload's: POST /cases/NUMBER/attachments. */
int sv_upload_route(const char *method, const char *path);
/** The largest upload body for an attachment limit of `limit` bytes. */
size_t sv_upload_max(uint64_t limit);
/** Start reading the body of the libmicrohttpd connection `conn` (its Content-Type
 *  `content_type`); files up to `limit` bytes are kept. NULL with the reason in why (and its
 *  rule in *rule, NULL for out of memory) when the body is not multipart/form-data with a
 *  boundary. */
sv_upload *sv_upload_begin(void *conn, const char *content_type, uint64_t limit, char *why,
                           size_t whysz, const char **rule);
/** Parse the next piece of the body. */
void sv_upload_feed(sv_upload *u, const char *data, size_t len);
/** The body is complete: the fields and files (owned by u). */
sv_upload_data *sv_upload_finish(sv_upload *u);
void sv_upload_free(sv_upload *u);

#endif
