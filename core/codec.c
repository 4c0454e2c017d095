/*
 * codec.c - record encoding (see codec.h). Decoding never trusts its input: every length is
 * checked against what is left, varints are bounded to 10 bytes, so raw database bytes that
 * were tampered with give CAPA_ECORRUPT, not a crash.
 */
#include "codec.h"

#include <pthread.h>
#include <string.h>
#include <zstd.h>

#include "capa_form.h"

void capa_buf_free(capa_buf *b)
{
    capa__free(b->p);
    memset(b, 0, sizeof *b);
}

/* Room for `n` more bytes; 0 when out of memory (b->oom set). A record is encoded field by
 * field, so the first allocation takes what most records need at once (an event or stage
 * record with a description of ~2 KB: no growing on the way). */
static int buf_room(capa_buf *b, size_t n)
{
    if (b->oom)
        return 0;
    if (b->len + n <= b->cap)
        return 1;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n)
        cap *= 2;
    unsigned char *p = capa__realloc(b->p, cap);
    if (!p) {
        b->oom = 1;
        return 0;
    }
    b->p = p;
    b->cap = cap;
    return 1;
}

void capa_buf_bytes(capa_buf *b, const void *data, size_t n)
{
    if (n == 0 || !buf_room(b, n))
        return;
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

void capa_buf_u8(capa_buf *b, unsigned v)
{
    if (buf_room(b, 1))
        b->p[b->len++] = (unsigned char)v;
}

/* Written in place: every field of every record goes through here. */
void capa_buf_varint(capa_buf *b, uint64_t v)
{
    if (!buf_room(b, 10))
        return;
    unsigned char *d = b->p + b->len;
    do {
        unsigned char c = v & 0x7f;
        v >>= 7;
        *d++ = c | (v ? 0x80 : 0);
    } while (v);
    b->len = (size_t)(d - b->p);
}

void capa_buf_i64(capa_buf *b, int64_t v)
{
    capa_buf_varint(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void capa_buf_str(capa_buf *b, const char *s)
{
    if (!s) {
        capa_buf_varint(b, 0);
        return;
    }
    size_t n = strlen(s);
    capa_buf_varint(b, (uint64_t)n + 1);
    capa_buf_bytes(b, s, n);
    if (n >= CAPA_PACK_SPAN && b->n_spans < CAPA_PACK_SPANS && !b->oom) {
        b->span_off[b->n_spans] = b->len - n;
        b->span_len[b->n_spans++] = n;
    }
}

void capa_rd_init(capa_rd *r, const void *p, size_t len)
{
    r->p = p;
    r->len = len;
    r->pos = 0;
    r->err = 0;
}

unsigned capa_rd_u8(capa_rd *r)
{
    if (r->err || r->pos >= r->len) {
        r->err = r->err ? r->err : CAPA_ECORRUPT;
        return 0;
    }
    return r->p[r->pos++];
}

uint64_t capa_rd_varint(capa_rd *r)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (r->err || r->pos >= r->len) {
            r->err = r->err ? r->err : CAPA_ECORRUPT;
            return 0;
        }
        unsigned char c = r->p[r->pos++];
        if (shift == 63 && (c & 0x7e)) {
            r->err = CAPA_ECORRUPT;
            return 0;
        }
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80))
            return v;
    }
    r->err = CAPA_ECORRUPT;
    return 0;
}

int64_t capa_rd_i64(capa_rd *r)
{
    uint64_t u = capa_rd_varint(r);
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

char *capa_rd_str_arena(capa_rd *r, char **pos, char *end)
{
    uint64_t n = capa_rd_varint(r);
    if (r->err || n == 0)
        return NULL;
    n -= 1;
    if (n > r->len - r->pos) {
        r->err = CAPA_ECORRUPT;
        return NULL;
    }
    const unsigned char *s = r->p + r->pos;
    if (memchr(s, 0, n)) {
        r->err = CAPA_ECORRUPT;
        return NULL;
    }
    if (n + 1 > (size_t)(end - *pos)) {
        r->err = CAPA_ENOMEM;
        return NULL;
    }
    char *out = *pos;
    memcpy(out, s, n);
    out[n] = 0;
    *pos += n + 1;
    r->pos += n;
    return out;
}

char *capa_rd_str(capa_rd *r)
{
    uint64_t n = capa_rd_varint(r);
    if (r->err || n == 0)
        return NULL;
    n -= 1;
    if (n > r->len - r->pos) {
        r->err = CAPA_ECORRUPT;
        return NULL;
    }
    const unsigned char *s = r->p + r->pos;
    if (memchr(s, 0, n)) { /* an embedded NUL would silently cut the value */
        r->err = CAPA_ECORRUPT;
        return NULL;
    }
    char *out = capa__strndup((const char *)s, n);
    if (!out) {
        r->err = CAPA_ENOMEM;
        return NULL;
    }
    r->pos += n;
    return out;
}

void capa_rd_bytes(capa_rd *r, void *out, size_t n)
{
    if (r->err || n > r->len - r->pos) {
        r->err = r->err ? r->err : CAPA_ECORRUPT;
        memset(out, 0, n);
        return;
    }
    memcpy(out, r->p + r->pos, n);
    r->pos += n;
}

int capa_rd_done(const capa_rd *r)
{
    return r->err == 0 && r->pos == r->len;
}


void capa_be32(unsigned char out[4], uint32_t v)
{
    for (int i = 3; i >= 0; i--, v >>= 8)
        out[i] = (unsigned char)v;
}

uint32_t capa_get_be32(const unsigned char in[4])
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v = v << 8 | in[i];
    return v;
}

/* One compression and one decompression context per thread, made on first use and freed
 * when the thread ends: ZSTD_compress() would build (and clear) a fresh context for every
 * record, which cost more than compressing the record itself. */
/* The frames of the long strings this thread compressed last, by level and content: the
 * same text packed again (a case's description in its open event, then in the stage record
 * apply writes from it) takes its frame from here instead of being compressed again. */
#define ZMEMO 4
#define ZMEMO_MAX ((size_t)64 << 10)
typedef struct zmemo {
    int level;
    size_t raw_len, z_len, raw_cap, z_cap; /* caps: what capa_pack__remember may reuse */
    unsigned char *raw, *z;
} zmemo;

typedef struct zctx {
    ZSTD_CCtx *c;
    ZSTD_DCtx *d;
    zmemo memo[ZMEMO];
    unsigned memo_next;
    const capa_frame *hints; /* capa_pack_hints: borrowed */
    size_t n_hints;
} zctx;

static pthread_key_t zkey;
static pthread_once_t zonce = PTHREAD_ONCE_INIT;
static int zkey_ok;

static void zctx_free(void *p)
{
    zctx *z = p;
    for (int i = 0; i < ZMEMO; i++) {
        capa__free(z->memo[i].raw);
        capa__free(z->memo[i].z);
    }
    ZSTD_freeCCtx(z->c);
    ZSTD_freeDCtx(z->d);
    capa__free(z);
}

static void zkey_make(void)
{
    zkey_ok = pthread_key_create(&zkey, zctx_free) == 0;
}

static zctx *zctx_get(void)
{
    pthread_once(&zonce, zkey_make);
    if (!zkey_ok)
        return NULL;
    zctx *z = pthread_getspecific(zkey);
    if (!z && (z = capa__calloc(1, sizeof *z)) && pthread_setspecific(zkey, z) != 0) {
        capa__free(z);
        z = NULL;
    }
    return z;
}

static size_t z_compress(void *dst, size_t cap, const void *src, size_t len, int level)
{
    zctx *z = zctx_get();
    if (z && !z->c)
        z->c = ZSTD_createCCtx();
    if (!z || !z->c)
        return ZSTD_compress(dst, cap, src, len, level);
    return ZSTD_compressCCtx(z->c, dst, cap, src, len, level);
}

static size_t z_decompress(void *dst, size_t cap, const void *src, size_t len)
{
    zctx *z = zctx_get();
    if (z && !z->d)
        z->d = ZSTD_createDCtx();
    if (!z || !z->d)
        return ZSTD_decompress(dst, cap, src, len);
    return ZSTD_decompressDCtx(z->d, dst, cap, src, len);
}

void capa_pack(capa_buf *b)
{
    capa_pack_level(b, CAPA_PACK_LEVEL);
}

/* A new zstd frame of src[0..n) at `level` (free with capa__free), its length in *z_len;
 * NULL when memory is short or zstd fails. *cap: the buffer's size. */
static unsigned char *z_new_frame(const void *src, size_t n, int level, size_t *z_len,
                                  size_t *cap)
{
    *cap = ZSTD_compressBound(n);
    unsigned char *out = capa__malloc(*cap ? *cap : 1);
    if (!out)
        return NULL;
    size_t got = z_compress(out, *cap, src, n, level);
    if (ZSTD_isError(got)) {
        capa__free(out);
        return NULL;
    }
    *z_len = got;
    return out;
}

int capa_frame_make(capa_frame *f, const void *raw, size_t n, int level)
{
    size_t got, cap;
    memset(f, 0, sizeof *f);
    unsigned char *out = z_new_frame(raw, n, level, &got, &cap);
    if (!out)
        return CAPA_ENOMEM; /* or zstd failed: either way no frame, the caller compresses */
    *f = (capa_frame){.raw = raw, .raw_len = n, .level = level, .z = out, .z_len = got};
    return CAPA_OK;
}

void capa_frame_clear(capa_frame *f)
{
    if (!f)
        return;
    capa__free((void *)f->z); /* capa_frame_make's own allocation */
    memset(f, 0, sizeof *f);
}

void capa_pack_hints(const capa_frame *f, size_t n)
{
    zctx *z = zctx_get();
    if (z) {
        z->hints = n ? f : NULL;
        z->n_hints = f ? n : 0;
    }
}

/* The zstd frame of src at `level`: the memo's (*own NULL) or a fresh one in *own. */
static const unsigned char *z_frame(const unsigned char *src, size_t n, int level, size_t *z_len,
                                    unsigned char **own)
{
    zctx *z = zctx_get();
    *own = NULL;
    for (size_t i = 0; z && i < z->n_hints; i++) {
        const capa_frame *h = &z->hints[i];
        if (h->z && h->level == level && h->raw_len == n && memcmp(h->raw, src, n) == 0) {
            *z_len = h->z_len;
            return h->z;
        }
    }
    if (z)
        for (int i = 0; i < ZMEMO; i++) {
            /* A frame made at a stronger level serves a faster one as well. */
            zmemo *m = &z->memo[i];
            if (m->z && m->level >= level && m->raw_len == n && memcmp(m->raw, src, n) == 0) {
                *z_len = m->z_len;
                return m->z;
            }
        }
    size_t got, cap;
    unsigned char *out = z_new_frame(src, n, level, &got, &cap);
    if (!out)
        return NULL;
    *z_len = got;
    unsigned char *raw = z && n <= ZMEMO_MAX ? capa__malloc(n) : NULL;
    if (!raw) {
        *own = out;
        return out;
    }
    zmemo *m = &z->memo[z->memo_next++ % ZMEMO];
    capa__free(m->raw);
    capa__free(m->z);
    memcpy(raw, src, n);
    *m = (zmemo){.level = level, .raw_len = n, .z_len = got, .raw_cap = n, .z_cap = cap,
                 .raw = raw, .z = out};
    return out;
}

/* buf grown to hold n bytes (its capacity in *cap); 0, or -1 when out of memory. */
static int memo_room(unsigned char **buf, size_t *cap, size_t n)
{
    if (*cap >= n)
        return 0;
    unsigned char *p = capa__realloc(*buf, n);
    if (!p)
        return -1;
    *buf = p;
    *cap = n;
    return 0;
}

void capa_pack__remember(int level, const unsigned char *raw, size_t raw_len,
                         const unsigned char *z, size_t z_len)
{
    zctx *c = zctx_get();
    if (!c || raw_len > ZMEMO_MAX)
        return;
    /* Copied into the entry's own buffers, reused from one event to the next: no
     * allocation in the steady state, and none freed by another thread. */
    zmemo *m = &c->memo[c->memo_next++ % ZMEMO];
    if (!m->z)
        m->raw_cap = m->z_cap = 0; /* an entry z_frame made records its capacities */
    if (memo_room(&m->raw, &m->raw_cap, raw_len) || memo_room(&m->z, &m->z_cap, z_len)) {
        m->z_len = 0, m->raw_len = (size_t)-1; /* matches nothing */
        return;
    }
    memcpy(m->raw, raw, raw_len);
    memcpy(m->z, z, z_len);
    m->level = level, m->raw_len = raw_len, m->z_len = z_len;
}

/* CAPA_PACK_SEG: b's long strings each as a frame of its own, the bytes between them as they
 * are. 0 when b is not made of long strings (the caller packs it in one frame). */
static int pack_segments(capa_buf *b, int level)
{
    size_t pos = 0, gaps = 0;
    for (unsigned i = 0; i < b->n_spans; i++) {
        if (b->span_off[i] < pos || b->span_len[i] > b->len - b->span_off[i])
            return 0; /* not a span of these bytes (the buffer was rewritten) */
        gaps += b->span_off[i] - pos;
        pos = b->span_off[i] + b->span_len[i];
    }
    gaps += b->len - pos;
    if (!b->n_spans || gaps >= CAPA_PACK_MIN)
        return 0;
    capa_buf out = {0};
    size_t raw_from = 0;
    capa_buf_u8(&out, CAPA_PACK_SEG);
    capa_buf_varint(&out, b->len);
    for (unsigned i = 0; i < b->n_spans && !out.oom; i++) {
        unsigned char *own;
        size_t z_len = 0, off = b->span_off[i], n = b->span_len[i];
        const unsigned char *f = z_frame(b->p + off, n, level, &z_len, &own);
        if (!f || z_len >= n) { /* incompressible: stays in the raw run */
            capa__free(own);
            continue;
        }
        if (off > raw_from) {
            capa_buf_varint(&out, (uint64_t)(off - raw_from) << 1);
            capa_buf_bytes(&out, b->p + raw_from, off - raw_from);
        }
        capa_buf_varint(&out, (uint64_t)z_len << 1 | 1);
        capa_buf_bytes(&out, f, z_len);
        capa__free(own);
        raw_from = off + n;
    }
    if (b->len > raw_from) {
        capa_buf_varint(&out, (uint64_t)(b->len - raw_from) << 1);
        capa_buf_bytes(&out, b->p + raw_from, b->len - raw_from);
    }
    if (out.oom) {
        capa_buf_free(&out);
        b->oom = 1;
    } else if (out.len < b->len) {
        capa__free(b->p);
        *b = out;
    } else {
        capa_buf_free(&out); /* nothing shrank: keep it raw */
    }
    return 1;
}

void capa_pack_level(capa_buf *b, int level)
{
    if (b->oom || b->len <= CAPA_PACK_MIN || b->len > CAPA_PACK_MAX)
        return;
    if (pack_segments(b, level))
        return;
    size_t cap = ZSTD_compressBound(b->len) + 11;
    unsigned char *out = capa__malloc(cap);
    if (!out) {
        b->oom = 1;
        return;
    }
    /* The mark and the raw length (a varint) head the frame: at most 11 bytes. */
    size_t hl = 1;
    out[0] = CAPA_PACK_MARK;
    for (uint64_t v = b->len;; v >>= 7) {
        out[hl++] = (unsigned char)((v & 0x7f) | (v >> 7 ? 0x80 : 0));
        if (!(v >> 7))
            break;
    }
    size_t n = z_compress(out + hl, cap - hl, b->p, b->len, level);
    if (!ZSTD_isError(n) && hl + n < b->len) {
        capa__free(b->p);
        b->p = out;
        b->len = hl + n;
        b->cap = cap;
    } else {
        capa__free(out); /* incompressible: keep it raw */
    }
}

int capa_unpack(const void *data, size_t len, const unsigned char **out, size_t *out_len,
                void **tmp)
{
    const unsigned char *p = data;
    *tmp = NULL;
    *out = p;
    *out_len = len;
    if (len == 0 || (p[0] != CAPA_PACK_MARK && p[0] != CAPA_PACK_SEG))
        return CAPA_OK;
    capa_rd r;
    capa_rd_init(&r, p + 1, len - 1);
    uint64_t raw = capa_rd_varint(&r);
    if (r.err || raw <= CAPA_PACK_MIN || raw > CAPA_PACK_MAX)
        return CAPA_ECORRUPT;
    unsigned char *dst = capa__malloc((size_t)raw);
    if (!dst)
        return CAPA_ENOMEM;
    size_t n = 0;
    if (p[0] == CAPA_PACK_MARK) {
        n = z_decompress(dst, (size_t)raw, p + 1 + r.pos, len - 1 - r.pos);
    } else { /* segments, each of at least one byte, filling exactly `raw` bytes */
        int bad = 0;
        while (!bad && r.pos < r.len) {
            uint64_t h = capa_rd_varint(&r), k = h >> 1;
            size_t got = 0;
            if (r.err || k == 0 || k > r.len - r.pos)
                bad = 1;
            else if (h & 1)
                got = z_decompress(dst + n, (size_t)raw - n, r.p + r.pos, (size_t)k);
            else if (k <= raw - n)
                memcpy(dst + n, r.p + r.pos, got = (size_t)k);
            bad = bad || got == 0 || ZSTD_isError(got);
            n += bad ? 0 : got;
            r.pos += bad ? 0 : (size_t)k;
        }
        n = bad ? (size_t)-1 : n;
    }
    if (ZSTD_isError(n) || n != raw) {
        capa__free(dst);
        return CAPA_ECORRUPT;
    }
    *tmp = dst;
    *out = dst;
    *out_len = (size_t)raw;
    return CAPA_OK;
}

size_t capa_pack__frames(const void *data, size_t len, const unsigned char *raw, size_t raw_len,
                         capa_frame *out, size_t max)
{
    const unsigned char *p = data;
    size_t n = 0, at = 0;
    if (len == 0 || p[0] != CAPA_PACK_SEG)
        return 0;
    capa_rd r;
    capa_rd_init(&r, p + 1, len - 1);
    if (capa_rd_varint(&r) != raw_len || r.err)
        return 0;
    while (n < max && r.pos < r.len) {
        uint64_t h = capa_rd_varint(&r), k = h >> 1;
        if (r.err || k == 0 || k > r.len - r.pos)
            break;
        size_t got = (size_t)k;
        if (h & 1) {
            /* One frame filling the segment, stating its size: capa_unpack decompressed it
             * to exactly that many bytes (zstd checks the size a frame states). A segment
             * of several frames would pair the first one's size with all of them. */
            unsigned long long c = ZSTD_getFrameContentSize(r.p + r.pos, (size_t)k);
            if (c == ZSTD_CONTENTSIZE_UNKNOWN || c == ZSTD_CONTENTSIZE_ERROR || c == 0 ||
                ZSTD_findFrameCompressedSize(r.p + r.pos, (size_t)k) != k)
                break;
            got = (size_t)c;
        }
        if (got > raw_len - at)
            break;
        if (h & 1)
            out[n++] = (capa_frame){.raw = raw + at, .raw_len = got, .z = r.p + r.pos, .z_len = (size_t)k};
        at += got;
        r.pos += (size_t)k;
    }
    return n;
}
