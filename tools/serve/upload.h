/*
 * upload.h - a multipart/form-data POST (a file upload) read by libmicrohttpd's post
 * processor: the file parts go to files in a directory of the caller's, the other parts to
 * parameters. No multipart parsing of our own.
 */
#ifndef CAPA_SERVE_UPLOAD_H
#define CAPA_SERVE_UPLOAD_H

#include "serve.h"

/** The largest upload body the administration pages take (the import of a legacy log, a
 *  form definition); every other request keeps --max-body. */
#define SV_MAX_UPLOAD ((size_t)64 << 20)

/** One file part written to disk. */
typedef struct sv_upload_file {
    char field[64];  /* the form field's name */
    char name[256];  /* the file name the browser gave, as shown to a reader ("" when none) */
    char path[4200]; /* where it was written: DIR/FIELD */
    uint64_t size;
} sv_upload_file;

typedef struct sv_upload {
    sv_params params; /* the other parts (at most 64 KiB each) */
    sv_upload_file files[4];
    size_t n_files;
} sv_upload;

/**
 * Read r's body (multipart/form-data) with libmicrohttpd's post processor: each file part
 * into DIR/FIELD (mode 0600; at most one per field name, four in all), the rest into
 * out->params. 0, or -1 with the reason in why (not multipart, malformed, too many parts).
 */
int sv_upload_parse(sv_upload *out, sv_req *r, const char *dir, char *why, size_t whysz);
/** Free the parameters (the files stay: they are the caller's). */
void sv_upload_clear(sv_upload *u);

#endif
