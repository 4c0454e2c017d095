/*
 * upload.c - a multipart/form-data upload (the attachments form), parsed by libmicrohttpd's
 * post processor as it arrives: no multipart parser of our own.
 *
 * Limits, all checked while the body streams in: the body at most SV_UPLOAD_FACTOR times the
 * store's attachment limit plus SV_UPLOAD_SLACK (413 from Content-Length before a byte is
 * read, and again while reading, for chunked bodies); at most SV_UPLOAD_PARTS parts and
 * SV_UPLOAD_FILES files; a text field at most SV_UPLOAD_FIELD bytes. A file over the
 * attachment limit keeps no bytes past it: it is remembered by name and size and refused
 * with the engine's wording. What is malformed (no boundary, a part the post processor
 * cannot read) is refused as a whole: nothing is attached.
 */
#include "upload.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct sv_upload {
    struct MHD_PostProcessor *pp;
    sv_upload_data d;
    size_t limit; /* one file */
    /* the part being read */
    char *key;
    int is_file;
    sv_buf field;
};

size_t sv_upload_max(uint64_t limit)
{
    return (size_t)(limit * SV_UPLOAD_FACTOR + SV_UPLOAD_SLACK);
}

int sv_upload_route(const char *method, const char *path)
{
    /* POST /cases/NUMBER/attachments */
    if (!method || strcmp(method, "POST") != 0 || !path || strncmp(path, "/cases/", 7) != 0)
        return 0;
    const char *slash = strchr(path + 7, '/');
    return slash && slash > path + 7 && strcmp(slash, "/attachments") == 0;
}

/* Refuse the whole upload: `rule` of the catalogue (NULL: out of memory) with its limit `max`;
 * the English reason from fmt and arg (also the rule's value). */
static void fail(sv_upload *u, int status, const char *rule, const char *max, const char *fmt,
                 const char *arg)
{
    if (u->d.status)
        return; /* the first reason stands */
    u->d.status = status;
    u->d.rule = rule;
    u->d.max = max;
    snprintf(u->d.why, sizeof u->d.why, fmt, arg ? arg : "");
    snprintf(u->d.value, sizeof u->d.value, "%s", arg ? arg : "");
}

/* The file's name without any directory a client sent (C:\fakepath\x.jpg, ../x). */
static char *base_name(const char *name)
{
    const char *b = name;
    for (const char *p = name; *p; p++)
        if (*p == '/' || *p == '\\')
            b = p + 1;
    return strdup(b);
}

/* Close the part being read: a field goes into d.fields. */
static void end_part(sv_upload *u)
{
    if (u->key && !u->is_file && !u->d.status) {
        sv_param *p = NULL;
        if (u->d.fields.n == u->d.fields.cap) {
            size_t cap = u->d.fields.cap ? u->d.fields.cap * 2 : 8;
            sv_param *v = realloc(u->d.fields.v, cap * sizeof *v);
            if (v)
                u->d.fields.v = v, u->d.fields.cap = cap;
        }
        if (u->d.fields.n < u->d.fields.cap)
            p = &u->d.fields.v[u->d.fields.n];
        size_t len = 0;
        char *val = sv_buf_take(&u->field, &len);
        if (p && (p->name = strdup(u->key)) && (p->value = val ? val : strdup(""))) {
            u->d.fields.n++;
        } else {
            if (p)
                free(p->name);
            free(val);
            fail(u, 500, NULL, NULL, "out of memory%s", NULL);
        }
    }
    sv_buf_free(&u->field);
    free(u->key);
    u->key = NULL;
    u->is_file = 0;
}

static enum MHD_Result on_part(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *filename, const char *content_type,
                               const char *transfer_encoding, const char *data, uint64_t off,
                               size_t size)
{
    sv_upload *u = cls;
    (void)kind;
    (void)content_type;
    (void)transfer_encoding;
    if (u->d.status)
        return MHD_YES; /* refused already: read to the end, keep nothing */
    if (!key)
        key = "";
    int is_file = filename != NULL;
    /* A new part starts at offset 0 (libmicrohttpd calls once per chunk of a part). */
    if (off == 0) {
        end_part(u);
        if (++u->d.n_parts > SV_UPLOAD_PARTS) {
            fail(u, 413, "upload.parts", SV_UPLOAD_PARTS_TEXT,
                 "more than " SV_UPLOAD_PARTS_TEXT " form parts%s", NULL);
            return MHD_YES;
        }
        if (!(u->key = strdup(key))) {
            fail(u, 500, NULL, NULL, "out of memory%s", NULL);
            return MHD_YES;
        }
        u->is_file = is_file;
        if (is_file) {
            if (u->d.n_files == SV_UPLOAD_FILES) {
                fail(u, 413, "upload.files", SV_UPLOAD_FILES_TEXT,
                     "more than " SV_UPLOAD_FILES_TEXT " files in one upload%s", NULL);
                return MHD_YES;
            }
            sv_upload_file *f = &u->d.files[u->d.n_files++];
            memset(f, 0, sizeof *f);
            if (!(f->name = base_name(filename)))
                fail(u, 500, NULL, NULL, "out of memory%s", NULL);
        }
    }
    if (u->is_file) {
        sv_upload_file *f = &u->d.files[u->d.n_files - 1];
        f->size += size;
        if (f->size > u->limit) {
            f->too_big = 1;
            sv_buf_free(&f->data); /* nothing past the limit is kept */
        } else if (size) {
            sv_buf_put(&f->data, data, size);
            if (f->data.oom)
                fail(u, 500, NULL, NULL, "out of memory%s", NULL);
        }
    } else {
        if (u->field.len + size > SV_UPLOAD_FIELD)
            fail(u, 413, "upload.field", SV_UPLOAD_FIELD_TEXT,
                 "form field '%.60s' longer than " SV_UPLOAD_FIELD_TEXT " bytes", key);
        else if (size)
            sv_buf_put(&u->field, data, size);
    }
    return MHD_YES;
}

sv_upload *sv_upload_begin(void *conn, const char *content_type, uint64_t limit, char *why,
                           size_t whysz, const char **rule)
{
    *rule = "upload.not_multipart";
    if (!content_type || strncasecmp(content_type, "multipart/form-data", 19) != 0) {
        snprintf(why, whysz, "expected multipart/form-data with a boundary (the upload form)");
        return NULL;
    }
    sv_upload *u = calloc(1, sizeof *u);
    if (!u) {
        *rule = NULL;
        snprintf(why, whysz, "out of memory");
        return NULL;
    }
    u->limit = (size_t)limit;
    /* NULL when the body is not multipart/form-data or (for multipart) has no boundary. */
    u->pp = MHD_create_post_processor(conn, 64 * 1024, on_part, u);
    if (!u->pp) {
        snprintf(why, whysz, "expected multipart/form-data with a boundary (the upload form)");
        free(u);
        return NULL;
    }
    return u;
}

void sv_upload_feed(sv_upload *u, const char *data, size_t len)
{
    if (u->d.status || !len)
        return;
    if (MHD_post_process(u->pp, data, len) != MHD_YES)
        fail(u, 400, "upload.malformed", NULL, "malformed multipart/form-data body%s", NULL);
}

sv_upload_data *sv_upload_finish(sv_upload *u)
{
    if (u->pp && MHD_destroy_post_processor(u->pp) != MHD_YES)
        fail(u, 400, "upload.malformed", NULL,
             "malformed multipart/form-data body (it ends inside a part)%s", NULL);
    u->pp = NULL;
    end_part(u);
    return &u->d;
}

void sv_upload_free(sv_upload *u)
{
    if (!u)
        return;
    if (u->pp)
        MHD_destroy_post_processor(u->pp);
    end_part(u);
    for (size_t i = 0; i < u->d.n_files; i++) {
        free(u->d.files[i].name);
        sv_buf_free(&u->d.files[i].data);
    }
    sv_params_clear(&u->d.fields);
    free(u);
}
