/*
 * upload_disk.c - a multipart/form-data body through libmicrohttpd's post processor
 * (MHD_create_post_processor): the library splits the parts and decodes them; this file
 * only writes file parts to disk and keeps the others as parameters.
 */
#include "upload_disk.h"

#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FIELD ((size_t)64 << 10)
#define MAX_FIELD_TEXT "65536"

typedef struct up_ctx {
    sv_disk_upload *u;
    const char *dir;
    int fd;       /* the file part being written */
    size_t cur;   /* its index in u->files */
    sv_buf value; /* a plain part being read */
    char key[64];
    char err[160];
} up_ctx;

static int field_ok(const char *key)
{
    size_t n = key ? strlen(key) : 0;
    if (n == 0 || n >= 64)
        return 0;
    for (const char *p = key; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return 0;
    return 1;
}

static int params_add(sv_params *p, const char *name, const char *value)
{
    if (p->n >= 64)
        return -1;
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 8;
        sv_param *v = realloc(p->v, cap * sizeof *v);
        if (!v)
            return -1;
        p->v = v;
        p->cap = cap;
    }
    char *n = strdup(name), *val = strdup(value);
    if (!n || !val) {
        free(n);
        free(val);
        return -1;
    }
    p->v[p->n].name = n;
    p->v[p->n++].value = val;
    return 0;
}

/* A finished plain part into the parameters. */
static int end_value(up_ctx *c)
{
    if (!c->key[0])
        return 0;
    sv_buf_put(&c->value, "", 1);
    int rc = c->value.oom ? -1 : params_add(&c->u->params, c->key, c->value.p);
    sv_buf_free(&c->value);
    c->key[0] = '\0';
    if (rc)
        snprintf(c->err, sizeof c->err, "too many form fields, or out of memory");
    return rc;
}

static enum MHD_Result iter(void *cls, enum MHD_ValueKind kind, const char *key,
                            const char *filename, const char *content_type,
                            const char *transfer_encoding, const char *data, uint64_t off,
                            size_t size)
{
    up_ctx *c = cls;
    (void)kind, (void)content_type, (void)transfer_encoding;
    if (!field_ok(key)) {
        c->u->rule = "upload.malformed";
        snprintf(c->err, sizeof c->err, "a form part has no name or a bad one");
        return MHD_NO;
    }
    if (filename) {
        sv_disk_upload *u = c->u;
        if (off == 0) { /* a new file part */
            if (end_value(c))
                return MHD_NO;
            if (c->fd >= 0)
                close(c->fd), c->fd = -1;
            for (size_t i = 0; i < u->n_files; i++)
                if (strcmp(u->files[i].field, key) == 0) {
                    u->rule = "upload.malformed";
                    snprintf(c->err, sizeof c->err, "%s: more than one file", key);
                    return MHD_NO;
                }
            if (u->n_files >= sizeof u->files / sizeof *u->files) {
                u->rule = "upload.files";
                u->max = "4";
                snprintf(c->err, sizeof c->err, "too many files in one form");
                return MHD_NO;
            }
            sv_disk_file *f = &u->files[u->n_files];
            memset(f, 0, sizeof *f);
            snprintf(f->field, sizeof f->field, "%s", key);
            /* Only the last path element of what the browser says, without control bytes. */
            const char *base = strrchr(filename, '/');
            base = base ? base + 1 : filename;
            const char *bs = strrchr(base, '\\');
            base = bs ? bs + 1 : base;
            size_t k = 0;
            for (const unsigned char *p = (const unsigned char *)base; *p && k + 1 < sizeof f->name;
                 p++)
                f->name[k++] = *p < 0x20 || *p == 0x7f ? '_' : (char)*p;
            f->name[k] = '\0';
            snprintf(f->path, sizeof f->path, "%s/%s", c->dir, key);
            c->fd = open(f->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
            if (c->fd < 0) {
                snprintf(c->err, sizeof c->err, "cannot store the upload: %s", strerror(errno));
                return MHD_NO;
            }
            c->cur = u->n_files++;
        }
        for (size_t done = 0; done < size;) {
            ssize_t w = write(c->fd, data + done, size - done);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                snprintf(c->err, sizeof c->err, "cannot store the upload: %s",
                         w < 0 ? strerror(errno) : "short write");
                return MHD_NO;
            }
            done += (size_t)w;
        }
        u->files[c->cur].size += size;
        return MHD_YES;
    }
    if (off == 0 || strcmp(c->key, key) != 0) {
        if (end_value(c))
            return MHD_NO;
        snprintf(c->key, sizeof c->key, "%s", key);
    }
    if (c->value.len + size > MAX_FIELD) {
        c->u->rule = "upload.field";
        c->u->max = MAX_FIELD_TEXT;
        snprintf(c->u->value, sizeof c->u->value, "%s", key);
        snprintf(c->err, sizeof c->err, "%s: a value over %zu bytes", key, MAX_FIELD);
        return MHD_NO;
    }
    sv_buf_put(&c->value, data, size);
    return MHD_YES;
}

int sv_disk_upload_parse(sv_disk_upload *out, sv_req *r, const char *dir, char *why, size_t whysz)
{
    up_ctx c = {.u = out, .dir = dir, .fd = -1};
    memset(out, 0, sizeof *out);
    if (!r->content_type || strncmp(r->content_type, "multipart/form-data", 19) != 0) {
        out->rule = "upload.not_multipart";
        snprintf(why, whysz, "expected a file upload (multipart/form-data)");
        return -1;
    }
    struct MHD_PostProcessor *pp = MHD_create_post_processor(r->conn, 65536, iter, &c);
    if (!pp) {
        out->rule = "upload.malformed";
        snprintf(why, whysz, "the upload is not a well-formed multipart/form-data body");
        return -1;
    }
    enum MHD_Result ok = MHD_post_process(pp, r->body.p ? r->body.p : "", r->body.len);
    if (MHD_destroy_post_processor(pp) != MHD_YES && ok == MHD_YES && !c.err[0]) {
        out->rule = "upload.malformed";
        snprintf(c.err, sizeof c.err, "the upload ends in the middle of a part");
    }
    if (ok == MHD_YES && !c.err[0])
        end_value(&c);
    if (c.fd >= 0)
        close(c.fd);
    sv_buf_free(&c.value);
    if (ok != MHD_YES || c.err[0]) {
        if (!c.err[0])
            out->rule = "upload.malformed";
        snprintf(why, whysz, "%s", c.err[0] ? c.err : "the upload is malformed");
        return -1;
    }
    return 0;
}

void sv_disk_upload_clear(sv_disk_upload *u)
{
    sv_params_clear(&u->params);
}
