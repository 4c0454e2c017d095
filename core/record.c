/*
 * record.c - encoding of case headers, stage records and signatures (see record.h).
 */
#include "record.h"
#include "refusal.h"

#include <openssl/crypto.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "codec.h"

#define HDR_VERSION 1
#define STAGE_VERSION 1
#define SIG_VERSION 1
#define USER_VERSION 1

static int finish(capa_buf *b, void **out, size_t *len, const char *what)
{
    if (b->oom) {
        capa_buf_free(b);
        return capa_error_set(CAPA_ENOMEM, "%s: out of memory", what);
    }
    *out = b->p;
    *len = b->len;
    return CAPA_OK;
}

static int decoded(capa_rd *r, const char *what)
{
    if (capa_rd_done(r))
        return CAPA_OK;
    if (r->err == CAPA_ENOMEM)
        return capa_error_set(CAPA_ENOMEM, "%s: out of memory", what);
    return capa_error_set(CAPA_ECORRUPT, "%s: malformed record", what);
}

void capa_hdr_clear(capa_hdr *h)
{
    char **strs[] = {
        &h->number,  &h->stage,          &h->opened_by, &h->customer,         &h->part_no,
        &h->lot_no,  &h->defect_code,    &h->severity,  &h->description,      &h->subject_person,
        &h->channel, &h->complaint_type, &h->validity,  &h->responsible_dept, &h->satisfaction,
        &h->origin,  &h->workflow};
    for (size_t i = 0; i < sizeof strs / sizeof *strs; i++)
        capa__free(*strs[i]);
    capa__free(h->limits);
    memset(h, 0, sizeof *h);
}

int capa_hdr__encode(const capa_hdr *h, void **out, size_t *len)
{
    capa_buf b = {0};
    capa_buf_u8(&b, HDR_VERSION);
    capa_buf_varint(&b, h->id);
    capa_buf_str(&b, h->number);
    capa_buf_str(&b, h->stage);
    capa_buf_u8(&b, h->closed ? 1 : 0);
    capa_buf_i64(&b, h->opened);
    capa_buf_i64(&b, h->closed_at);
    capa_buf_i64(&b, h->stage_entered);
    capa_buf_str(&b, h->opened_by);
    capa_buf_str(&b, h->customer);
    capa_buf_str(&b, h->part_no);
    capa_buf_str(&b, h->lot_no);
    capa_buf_str(&b, h->defect_code);
    capa_buf_str(&b, h->severity);
    capa_buf_str(&b, h->description);
    capa_buf_str(&b, h->subject_person);
    /* The statistics part (optional on decoding). */
    capa_buf_str(&b, h->channel);
    capa_buf_str(&b, h->complaint_type);
    capa_buf_str(&b, h->validity);
    capa_buf_str(&b, h->responsible_dept);
    capa_buf_str(&b, h->satisfaction);
    capa_buf_i64(&b, h->response_at);
    capa_buf_i64(&b, h->containment_at);
    capa_buf_i64(&b, h->plan_at);
    /* The archive part: the origin of an imported archive copy (NULL for our own cases). */
    capa_buf_str(&b, h->origin);
    /* The case's workflow: NULL for the default one. */
    capa_buf_str(&b, h->workflow && *h->workflow ? h->workflow : NULL);
    /* The limits part: which limit codes are met (bit = code), and the open ones. Each part
     * is optional on decoding (a header ends where its writer's parts ended); every header
     * written now has all of them, so the parts are told apart by position. */
    capa_buf_varint(&b, h->met);
    capa_buf_varint(&b, h->n_limits);
    for (size_t i = 0; i < h->n_limits; i++) {
        capa_buf_u8(&b, h->limits[i].code);
        capa_buf_u8(&b, h->limits[i].escalated);
        capa_buf_i64(&b, h->limits[i].due);
        capa_buf_i64(&b, h->limits[i].warn);
    }
    /* The round part, only from round 2 on (a first-round header is as before). */
    if (h->round > 1) {
        capa_buf_varint(&b, (uint64_t)h->round);
        capa_buf_i64(&b, h->round_at);
    }
    return finish(&b, out, len, "case header");
}

/* Lists and scans decode one header per row, so its readers are inlined here: the same
 * checks as capa_rd_varint / capa_rd_u8 (codec.c), without a call per field. */
static inline __attribute__((always_inline)) uint64_t hv_varint(capa_rd *r)
{
    if (r->err || r->len - r->pos < 10) {
        /* near the end: the checked reader, on a copy (r's address stays here, so a caller's
         * reader can live in registers) */
        capa_rd t = *r;
        uint64_t v = capa_rd_varint(&t);
        *r = t;
        return v;
    }
    const unsigned char *p = r->p + r->pos;
    if (!(p[0] & 0x80)) { /* one byte: string lengths, flags, small counts */
        r->pos++;
        return p[0];
    }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* Up to eight bytes (a time in ms takes six): find the last one by its clear top bit and
     * gather the 7-bit groups of the bytes before it. */
    uint64_t w;
    memcpy(&w, p, 8);
    uint64_t stop = ~w & 0x8080808080808080ULL;
    if (stop) {
        unsigned n = ((unsigned)__builtin_ctzll(stop) >> 3) + 1;
        if (n < 8)
            w &= (1ULL << (8 * n)) - 1;
        r->pos += n;
        return (w & 0x7f) | (w >> 1 & 0x3f80) | (w >> 2 & 0x1fc000) | (w >> 3 & 0xfe00000) |
               (w >> 4 & 0x7f0000000ULL) | (w >> 5 & 0x3f800000000ULL) |
               (w >> 6 & 0x1fc0000000000ULL) | (w >> 7 & 0xfe000000000000ULL);
    }
#endif
    uint64_t v = 0;
    for (int i = 0; i < 10; i++) {
        unsigned c = p[i];
        if (i == 9 && (c & 0x7e)) {
            r->err = CAPA_ECORRUPT;
            return 0;
        }
        v |= (uint64_t)(c & 0x7f) << (7 * i);
        if (!(c & 0x80)) {
            r->pos += (size_t)i + 1;
            return v;
        }
    }
    r->err = CAPA_ECORRUPT;
    return 0;
}

static inline __attribute__((always_inline)) unsigned hv_u8(capa_rd *r)
{
    if (r->err || r->pos >= r->len) {
        r->err = r->err ? r->err : CAPA_ECORRUPT;
        return 0;
    }
    return r->p[r->pos++];
}

static inline __attribute__((always_inline)) int64_t hv_i64(capa_rd *r)
{
    uint64_t u = hv_varint(r);
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

/* Where a view's strings live: `copy` holds the record's bytes (with a spare byte after
 * them); a string is terminated in the copy where the next field begins, which is read from
 * the original bytes, so nothing is copied per string. The bytes are copied as far as the
 * fields read need them (`copied`): a list's leading fields are a third of a header, and a
 * header's cache lines past them are then not touched at all. */
typedef struct hv_arena {
    char *copy; /* NULL: allocate each string (or pick them, below) */
    char *pos, *end;
    const unsigned char *src; /* the record */
    size_t copied, len;       /* copy[0, copied) holds src's bytes; len: the record's */
    int pick; /* copy NULL: each string read is copied to pos on its own (the record is not) */
} hv_arena;

/* The record's bytes copied up to `need` at least (or its end), doubling: bytes past a
 * string's terminator are copied before it is written, so none is overwritten. */
static void hv_copy(hv_arena *a, size_t need)
{
    size_t to = need > 2 * a->copied ? need : 2 * a->copied;
    if (to > a->len)
        to = a->len;
    memcpy(a->copy + a->copied, a->src + a->copied, to - a->copied);
    a->copied = to;
}

/* A string of a picking read (capa_hdr__decode_stats): copied into the arena with its NUL. */
static inline __attribute__((always_inline)) char *hv_pick(capa_rd *r, hv_arena *a)
{
    uint64_t n = hv_varint(r);
    if (r->err || n == 0)
        return NULL;
    n -= 1;
    if (n > r->len - r->pos) {
        r->err = CAPA_ECORRUPT;
        return NULL;
    }
    if (n >= (size_t)(a->end - a->pos)) {
        r->err = CAPA_ENOMEM;
        return NULL;
    }
    const unsigned char *s = r->p + r->pos;
    char *out = a->pos;
    int nul;
#ifdef __SSE2__
    /* Most of a report's strings are short: one sixteen-byte load, checked and stored, when
     * the record and the arena have the bytes (those past the string are masked off). */
    if (n <= 16 && r->len - r->pos >= 16 && (size_t)(a->end - a->pos) >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)s);
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_setzero_si128()));
        nul = (m & (unsigned)((1ul << n) - 1)) != 0;
        _mm_storeu_si128((__m128i *)(void *)out, x);
    } else
#endif
    {
        nul = memchr(s, 0, n) != NULL;
        memcpy(out, s, n);
    }
    if (nul) { /* an embedded NUL would silently cut the value */
        r->err = CAPA_ECORRUPT;
        return NULL;
    }
    out[n] = 0;
    a->pos += n + 1;
    r->pos += n;
    return out;
}

/* A string of a picking read that its reader does not want: past it, checked only to lie
 * within the record. */
static inline __attribute__((always_inline)) char *hv_skip(capa_rd *r)
{
    uint64_t n = hv_varint(r);
    if (r->err || n-- == 0)
        return NULL;
    if (n > r->len - r->pos)
        r->err = CAPA_ECORRUPT;
    else
        r->pos += n;
    return NULL;
}

static inline __attribute__((always_inline)) char *hv_str(capa_rd *r, hv_arena *a)
{
    if (!a->copy)
        return a->pick ? hv_pick(r, a) : capa_rd_str(r);
    uint64_t n = hv_varint(r);
    if (r->err || n == 0)
        return NULL;
    n -= 1;
    if (n > r->len - r->pos) {
        r->err = CAPA_ECORRUPT;
        return NULL;
    }
    if (r->pos + n + 16 > a->copied && a->copied < a->len) /* the string, the 16 bytes loaded */
        hv_copy(a, r->pos + n + 16);
    const unsigned char *s = r->p + r->pos;
    /* No NUL inside: sixteen bytes at a time in the copy while the arena has them (bytes
     * past the string are masked off; only bytes copied from the record are loaded), else
     * eight (a zero byte sets its high bit). */
    uint64_t zero = 0;
    size_t i = 0;
#ifdef __SSE2__
    const char *c = a->copy + r->pos;
    if (n < 16 && r->pos + 16 <= r->len) { /* most values: one load, no loop */
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)c);
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_setzero_si128()));
        zero = m & ((1u << n) - 1);
        i = n;
    }
    for (; i < n && r->pos + i + 16 <= r->len; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(c + i));
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_setzero_si128()));
        zero |= n - i >= 16 ? m : m & ((1u << (n - i)) - 1);
    }
#endif
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        zero |= (w - 0x0101010101010101ULL) & ~w & 0x8080808080808080ULL;
    }
    for (; i < n; i++)
        zero |= s[i] == 0;
    if (zero) { /* an embedded NUL would silently cut the value */
        r->err = CAPA_ECORRUPT;
        return NULL;
    }
    char *out = a->copy + r->pos;
    out[n] = 0;
    r->pos += n;
    return out;
}

static int hdr_limits(capa_hdr *h, capa_rd *r, uint64_t n, hv_arena *a);

/* `lead`: stop after the severity (the fields a scan by value reads); else read it all.
 * Inlined into each decoder, so that a list's (a view of the leading fields) is compiled
 * with `lead` and the arena known. */
static inline __attribute__((always_inline)) void hdr_read(capa_hdr *h, capa_rd *r, hv_arena *a,
                                                           int lead)
{
    if (hv_u8(r) != HDR_VERSION && !r->err)
        r->err = CAPA_ECORRUPT;
    h->id = hv_varint(r);
    h->number = hv_str(r, a);
    h->stage = hv_str(r, a);
    h->closed = (int)hv_u8(r);
    h->opened = hv_i64(r);
    h->closed_at = hv_i64(r);
    h->stage_entered = hv_i64(r);
    h->opened_by = a->pick ? hv_skip(r) : hv_str(r, a);
    h->customer = hv_str(r, a);
    h->part_no = hv_str(r, a);
    h->lot_no = a->pick ? hv_skip(r) : hv_str(r, a);
    h->defect_code = hv_str(r, a);
    h->severity = hv_str(r, a);
    if (lead) {
        if (!r->err && (!h->number || !h->stage))
            r->err = CAPA_ECORRUPT;
        return;
    }
    h->description = a->pick ? hv_skip(r) : hv_str(r, a);
    h->subject_person = a->pick ? hv_skip(r) : hv_str(r, a);
    if (!r->err && r->pos < r->len) {
        h->channel = hv_str(r, a);
        h->complaint_type = hv_str(r, a);
        h->validity = hv_str(r, a);
        h->responsible_dept = hv_str(r, a);
        h->satisfaction = hv_str(r, a);
        h->response_at = hv_i64(r);
        h->containment_at = hv_i64(r);
        h->plan_at = hv_i64(r);
    }
    if (!r->err && r->pos < r->len)
        h->origin = a->pick ? hv_skip(r) : hv_str(r, a);
    if (!r->err && r->pos < r->len)
        h->workflow = hv_str(r, a);
    if (!r->err && (!h->number || !h->stage))
        r->err = CAPA_ECORRUPT;
    if (r->err || r->pos == r->len)
        return;
    /* the limits part */
    h->met = hv_varint(r);
    uint64_t n = hv_varint(r);
    if (!r->err && (n > CAPA_HDR_MAX_LIMITS || n > (r->len - r->pos) / 4))
        r->err = CAPA_ECORRUPT;
    if (r->err)
        return;
    if (a->pick) { /* not kept: past them (code, escalated, due, warn each) */
        for (uint64_t i = 0; i < n && !r->err; i++) {
            hv_u8(r), hv_u8(r);
            hv_varint(r), hv_varint(r);
        }
        if (r->err)
            return;
    } else if (n && hdr_limits(h, r, n, a))
        return;
    if (r->pos < r->len) {
        uint64_t round = hv_varint(r);
        h->round_at = hv_i64(r);
        if (!r->err && (round < 2 || round > INT32_MAX))
            r->err = CAPA_ECORRUPT;
        h->round = (int)round;
    }
}

static int hdr_limits(capa_hdr *h, capa_rd *r, uint64_t n, hv_arena *a)
{
    if (a->copy) {
        /* Views take the array from the arena too, aligned for its int64_t members. */
        uintptr_t at = ((uintptr_t)a->pos + 7) & ~(uintptr_t)7;
        if (at + n * sizeof *h->limits > (uintptr_t)a->end) {
            r->err = CAPA_ENOMEM;
            return 1;
        }
        h->limits = (capa_hdr_limit *)at;
        a->pos = (char *)(at + n * sizeof *h->limits);
    } else if (!(h->limits = capa__calloc(n, sizeof *h->limits))) {
        r->err = CAPA_ENOMEM;
        return 1;
    }
    for (uint64_t i = 0; i < n && !r->err; i++) {
        capa_hdr_limit *l = &h->limits[i];
        l->code = (uint8_t)hv_u8(r);
        l->escalated = (uint8_t)hv_u8(r);
        l->due = hv_i64(r);
        l->warn = hv_i64(r);
        h->n_limits = i + 1;
    }
    return r->err != 0;
}

int capa_hdr__decode(capa_hdr *h, const void *data, size_t len)
{
    capa_rd r;
    memset(h, 0, sizeof *h);
    hv_arena a = {0};
    capa_rd_init(&r, data, len);
    hdr_read(h, &r, &a, 0);
    int err = decoded(&r, "case header");
    if (err)
        capa_hdr_clear(h);
    return err;
}

/* Past the next string without copying it. */
static void rd_skip_str(capa_rd *r)
{
    uint64_t n = capa_rd_varint(r);
    if (r->err || n-- == 0)
        return;
    if (n > r->len - r->pos)
        r->err = CAPA_ECORRUPT;
    else
        r->pos += n;
}

int capa_hdr__opened(int64_t *out, const void *data, size_t len)
{
    capa_rd r;
    capa_rd_init(&r, data, len);
    if (capa_rd_u8(&r) != HDR_VERSION && !r.err)
        r.err = CAPA_ECORRUPT;
    capa_rd_varint(&r); /* id */
    rd_skip_str(&r);    /* number */
    rd_skip_str(&r);    /* stage */
    capa_rd_u8(&r);     /* closed */
    *out = capa_rd_i64(&r);
    return r.err ? capa_error_set(CAPA_ECORRUPT, "case header: malformed") : CAPA_OK;
}

static inline __attribute__((always_inline)) int
decode_view(capa_hdr *h, const void *data, size_t len, char *arena, size_t cap, int lead)
{
    capa_rd r;
    memset(h, 0, sizeof *h);
    if (len >= cap)
        return CAPA_ENOMEM; /* quietly: the caller falls back to allocating */
    /* A whole header is copied at once; the leading fields' share of it as they are read. */
    size_t first = lead && len > 128 ? 128 : len;
    memcpy(arena, data, first);
    hv_arena a = {arena, arena + len + 1, arena + cap, data, first, len, 0};
    capa_rd_init(&r, data, len);
    hdr_read(h, &r, &a, lead);
    if (r.err == CAPA_ENOMEM)
        return CAPA_ENOMEM;
    if (lead && !r.err)
        return CAPA_OK; /* the rest is not read, so not checked: capa verify reads it all */
    int err = decoded(&r, "case header");
    if (err)
        memset(h, 0, sizeof *h);
    return err;
}

int capa_hdr__decode_view(capa_hdr *h, const void *data, size_t len, char *arena, size_t cap)
{
    return decode_view(h, data, len, arena, cap, 0);
}

int capa_hdr__decode_lead(capa_hdr *h, const void *data, size_t len, char *arena, size_t cap)
{
    return decode_view(h, data, len, arena, cap, 1);
}

int capa_hdr__decode_stats(capa_hdr *h, const void *data, size_t len, char *arena, size_t cap)
{
    capa_rd r;
    memset(h, 0, sizeof *h);
    hv_arena a = {.copy = NULL, .pos = arena, .end = arena + cap, .pick = 1};
    r = (capa_rd){data, len, 0, 0}; /* not capa_rd_init(&r): r's address stays here */
    hdr_read(h, &r, &a, 0);
    if (r.err == CAPA_ENOMEM)
        return CAPA_ENOMEM;
    if (!r.err && r.pos == r.len)
        return CAPA_OK;
    memset(h, 0, sizeof *h);
    return capa_error_set(CAPA_ECORRUPT, "%s: malformed record", "case header");
}

void capa_stage_record_clear(capa_stage_record *r)
{
    capa__free(r->stage);
    capa__free(r->form_id);
    for (size_t i = 0; i < r->n_values; i++) {
        capa__free((char *)r->values[i].name);
        capa__free((char *)r->values[i].value);
    }
    capa__free(r->values);
    for (size_t i = 0; i < r->n_editors; i++)
        capa__free(r->editors[i]);
    capa__free(r->editors);
    memset(r, 0, sizeof *r);
}

static void encode_values(capa_buf *b, const capa_stage_record *r)
{
    capa_buf_varint(b, r->n_values);
    for (size_t i = 0; i < r->n_values; i++) {
        capa_buf_str(b, r->values[i].name);
        capa_buf_str(b, r->values[i].value);
    }
}

static int stage_encode(const capa_stage_record *r, int pack, int fast, void **out, size_t *len)
{
    capa_buf b = {0};
    capa_buf_u8(&b, STAGE_VERSION);
    capa_buf_str(&b, r->stage);
    capa_buf_str(&b, r->form_id);
    capa_buf_varint(&b, (uint64_t)r->form_version);
    capa_buf_i64(&b, r->entered);
    capa_buf_i64(&b, r->left);
    capa_buf_varint(&b, r->n_editors);
    for (size_t i = 0; i < r->n_editors; i++)
        capa_buf_str(&b, r->editors[i]);
    encode_values(&b, r);
    if (pack)
        capa_pack_level(&b, fast ? -1 : CAPA_PACK_LEVEL);
    return finish(&b, out, len, "stage record");
}

int capa_stage__encode(const capa_stage_record *r, void **out, size_t *len)
{
    return stage_encode(r, 1, 0, out, len);
}

int capa_stage__decode(capa_stage_record *r, const void *data, size_t len)
{
    capa_rd d;
    const unsigned char *raw;
    size_t raw_len;
    void *tmp = NULL;
    memset(r, 0, sizeof *r);
    int uerr = capa_unpack(data, len, &raw, &raw_len, &tmp);
    if (uerr)
        return capa_error_set(uerr, "stage record: %s",
                              uerr == CAPA_ENOMEM ? "out of memory" : "bad compressed record");
    capa_rd_init(&d, raw, raw_len);
    if (capa_rd_u8(&d) != STAGE_VERSION && !d.err)
        d.err = CAPA_ECORRUPT;
    r->stage = capa_rd_str(&d);
    r->form_id = capa_rd_str(&d);
    uint64_t ver = capa_rd_varint(&d);
    if (ver > INT32_MAX)
        d.err = CAPA_ECORRUPT;
    r->form_version = (int)ver;
    r->entered = capa_rd_i64(&d);
    r->left = capa_rd_i64(&d);
    uint64_t n = capa_rd_varint(&d);
    if (!d.err && n > d.len - d.pos)
        d.err = CAPA_ECORRUPT;
    if (!d.err && n && !(r->editors = capa__calloc(n, sizeof *r->editors)))
        d.err = CAPA_ENOMEM;
    for (uint64_t i = 0; i < n && !d.err; i++) {
        r->editors[i] = capa_rd_str(&d);
        r->n_editors = i + 1;
        if (!d.err && !r->editors[i])
            d.err = CAPA_ECORRUPT;
    }
    n = capa_rd_varint(&d);
    if (!d.err && n > (d.len - d.pos) / 2)
        d.err = CAPA_ECORRUPT;
    if (!d.err && n && !(r->values = capa__calloc(n, sizeof *r->values)))
        d.err = CAPA_ENOMEM;
    for (uint64_t i = 0; i < n && !d.err; i++) {
        r->values[i].name = capa_rd_str(&d);
        r->values[i].value = capa_rd_str(&d);
        r->n_values = i + 1;
        if (!d.err && (!r->values[i].name || !r->values[i].value))
            d.err = CAPA_ECORRUPT;
        if (!d.err && i > 0 && strcmp(r->values[i - 1].name, r->values[i].name) >= 0)
            d.err = CAPA_ECORRUPT; /* names must be sorted and unique */
    }
    if (!d.err && (!r->stage || !r->form_id))
        d.err = CAPA_ECORRUPT;
    int err = decoded(&d, "stage record");
    capa__free(tmp);
    if (err)
        capa_stage_record_clear(r);
    return err;
}

static size_t find_value(const capa_stage_record *r, const char *name, int *found)
{
    size_t lo = 0, hi = r->n_values;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(r->values[mid].name, name);
        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = 0;
    return lo;
}

const char *capa_stage__value(const capa_stage_record *r, const char *name)
{
    int found;
    size_t i = find_value(r, name, &found);
    return found ? r->values[i].value : NULL;
}

/* capa_stage__set; with `room`, r->values has room for one more value already. */
static int stage_set(capa_stage_record *r, const char *name, const char *value, int room)
{
    int found;
    size_t i = find_value(r, name, &found);
    if (!value || !*value) {
        if (found) {
            capa__free((char *)r->values[i].name);
            capa__free((char *)r->values[i].value);
            memmove(&r->values[i], &r->values[i + 1], (r->n_values - i - 1) * sizeof *r->values);
            r->n_values--;
        }
        return CAPA_OK;
    }
    char *v = capa__strdup(value);
    if (!v)
        return capa_error_set(CAPA_ENOMEM, "out of memory");
    if (found) {
        capa__free((char *)r->values[i].value);
        r->values[i].value = v;
        return CAPA_OK;
    }
    char *n = capa__strdup(name);
    capa_kv *vals = !n     ? NULL
                    : room ? r->values
                           : capa__realloc(r->values, (r->n_values + 1) * sizeof *vals);
    if (!vals) {
        capa__free(n);
        capa__free(v);
        return capa_error_set(CAPA_ENOMEM, "out of memory");
    }
    r->values = vals;
    memmove(&vals[i + 1], &vals[i], (r->n_values - i) * sizeof *vals);
    vals[i].name = n;
    vals[i].value = v;
    r->n_values++;
    return CAPA_OK;
}

int capa_stage__set(capa_stage_record *r, const char *name, const char *value)
{
    return stage_set(r, name, value, 0);
}

int capa_stage__set_changes_ref(capa_stage_record *r, const capa_change *c, size_t n)
{
    capa_kv *vals = n ? capa__realloc(r->values, (r->n_values + n) * sizeof *vals) : r->values;
    if (n && !vals)
        return capa_error_set(CAPA_ENOMEM, "out of memory");
    r->values = vals;
    for (size_t i = 0; i < n; i++) {
        int found;
        const char *name = c[i].field, *value = c[i].new_value;
        if (!name)
            return capa_error_set(CAPA_ECORRUPT, "stage record: a change names no field");
        size_t at = find_value(r, name, &found);
        if (!value || !*value) {
            if (found) {
                memmove(&vals[at], &vals[at + 1], (r->n_values - at - 1) * sizeof *vals);
                r->n_values--;
            }
        } else if (found) {
            vals[at].value = value;
        } else {
            memmove(&vals[at + 1], &vals[at], (r->n_values - at) * sizeof *vals);
            vals[at].name = name;
            vals[at].value = value;
            r->n_values++;
        }
    }
    return CAPA_OK;
}

int capa_stage__set_changes(capa_stage_record *r, const capa_change *c, size_t n)
{
    if (n == 0)
        return CAPA_OK;
    /* Room for every value at once: the values stay sorted, one insertion at a time. */
    capa_kv *vals = capa__realloc(r->values, (r->n_values + n) * sizeof *vals);
    if (!vals)
        return capa_error_set(CAPA_ENOMEM, "out of memory");
    r->values = vals;
    for (size_t i = 0; i < n; i++) {
        int err = stage_set(r, c[i].field, c[i].new_value, 1);
        if (err)
            return err;
    }
    return CAPA_OK;
}

int capa_stage__add_editor(capa_stage_record *r, const char *user)
{
    for (size_t i = 0; i < r->n_editors; i++)
        if (strcmp(r->editors[i], user) == 0)
            return CAPA_OK;
    char *u = capa__strdup(user);
    char **e = u ? capa__realloc(r->editors, (r->n_editors + 1) * sizeof *e) : NULL;
    if (!e) {
        capa__free(u);
        return capa_error_set(CAPA_ENOMEM, "out of memory");
    }
    r->editors = e;
    e[r->n_editors++] = u;
    return CAPA_OK;
}

int capa_stage__hash(char hex[65], const char *number, const capa_stage_record *r)
{
    capa_buf b = {0};
    capa_buf_str(&b, "capa-stage-data-v1");
    capa_buf_str(&b, number);
    capa_buf_str(&b, r->stage);
    capa_buf_str(&b, r->form_id);
    capa_buf_varint(&b, (uint64_t)r->form_version);
    encode_values(&b, r);
    if (b.oom) {
        capa_buf_free(&b);
        return capa_error_set(CAPA_ENOMEM, "stage hash: out of memory");
    }
    capa_sha256_hex(hex, b.p, b.len);
    capa_buf_free(&b);
    return CAPA_OK;
}

void capa_signature_clear(capa_signature *g)
{
    capa__free(g->stage);
    capa__free(g->kind);
    capa__free(g->meaning);
    capa__free(g->user);
    capa__free(g->name);
    capa__free(g->role);
    capa__free(g->reason);
    memset(g, 0, sizeof *g);
}

int capa_sig__encode(const capa_signature *g, void **out, size_t *len)
{
    capa_buf b = {0};
    capa_buf_u8(&b, SIG_VERSION);
    capa_buf_varint(&b, g->seq);
    capa_buf_str(&b, g->stage);
    capa_buf_str(&b, g->kind);
    capa_buf_str(&b, g->meaning);
    capa_buf_str(&b, g->user);
    capa_buf_str(&b, g->name);
    capa_buf_str(&b, g->role);
    capa_buf_str(&b, g->reason);
    capa_buf_i64(&b, g->time);
    capa_buf_str(&b, g->data_hash);
    capa_buf_u8(&b, g->superseded ? 1 : 0);
    if (g->round > 1) /* the round it was given in, only from round 2 on */
        capa_buf_varint(&b, (uint64_t)g->round);
    return finish(&b, out, len, "signature");
}

int capa_sig__decode(capa_signature *g, const void *data, size_t len)
{
    capa_rd r;
    memset(g, 0, sizeof *g);
    capa_rd_init(&r, data, len);
    if (capa_rd_u8(&r) != SIG_VERSION && !r.err)
        r.err = CAPA_ECORRUPT;
    g->seq = capa_rd_varint(&r);
    g->stage = capa_rd_str(&r);
    g->kind = capa_rd_str(&r);
    g->meaning = capa_rd_str(&r);
    g->user = capa_rd_str(&r);
    g->name = capa_rd_str(&r);
    g->role = capa_rd_str(&r);
    g->reason = capa_rd_str(&r);
    g->time = capa_rd_i64(&r);
    char *hash = capa_rd_str(&r);
    g->superseded = (int)capa_rd_u8(&r);
    g->round = 1;
    if (!r.err && r.pos < r.len) {
        uint64_t round = capa_rd_varint(&r);
        if (!r.err && (round < 2 || round > INT32_MAX))
            r.err = CAPA_ECORRUPT;
        g->round = (int)round;
    }
    if (!r.err && (!hash || strlen(hash) != 64 || !g->stage || !g->kind || !g->user))
        r.err = CAPA_ECORRUPT;
    if (hash && strlen(hash) == 64)
        memcpy(g->data_hash, hash, 65);
    capa__free(hash);
    int err = decoded(&r, "signature");
    if (err)
        capa_signature_clear(g);
    return err;
}

int capa__set_str(char **slot, const char *v)
{
    char *c = v ? capa__strdup(v) : NULL;
    if (v && !c)
        return capa_error_set(CAPA_ENOMEM, "out of memory");
    capa__free(*slot);
    *slot = c;
    return CAPA_OK;
}

/* ---- users ---- */

void capa_user_rec_clear(capa_user_rec *r)
{
    capa__free(r->u.id);
    capa__free(r->u.name);
    capa__free(r->u.dept);
    capa__free(r->u.role);
    OPENSSL_cleanse(r, sizeof *r);
}

static void encode_cred(capa_buf *b, const capa_user_rec *u)
{
    capa_buf_u8(b, u->log2n);
    capa_buf_u8(b, u->r);
    capa_buf_u8(b, u->p);
    capa_buf_bytes(b, u->salt, 16);
    capa_buf_bytes(b, u->hash, 32);
}

int capa_user__encode(const capa_user_rec *u, void **out, size_t *len)
{
    capa_buf b = {0};
    capa_buf_u8(&b, USER_VERSION);
    capa_buf_str(&b, u->u.id);
    capa_buf_str(&b, u->u.name);
    capa_buf_str(&b, u->u.dept);
    capa_buf_str(&b, u->u.role);
    /* One byte of flags: bit 0 locked, bit 1 disabled (a record of an account never disabled
     * keeps the bytes it had before the flag existed). */
    capa_buf_u8(&b, (u->u.locked ? 1 : 0) | (u->u.disabled ? 2 : 0));
    capa_buf_varint(&b, (uint64_t)u->u.failed);
    capa_buf_i64(&b, u->u.created);
    encode_cred(&b, u);
    return finish(&b, out, len, "user record");
}

int capa_user__decode(capa_user_rec *out, const void *data, size_t len)
{
    capa_rd r;
    memset(out, 0, sizeof *out);
    capa_rd_init(&r, data, len);
    unsigned ver = capa_rd_u8(&r);
    if (!r.err && ver != USER_VERSION)
        r.err = CAPA_ECORRUPT;
    out->u.id = capa_rd_str(&r);
    out->u.name = capa_rd_str(&r);
    out->u.dept = capa_rd_str(&r);
    out->u.role = capa_rd_str(&r);
    unsigned flags = capa_rd_u8(&r);
    out->u.locked = (int)(flags & 1);
    out->u.disabled = (int)((flags >> 1) & 1);
    if (!r.err && flags > 3)
        r.err = CAPA_ECORRUPT;
    out->u.failed = (int)capa_rd_varint(&r);
    out->u.created = capa_rd_i64(&r);
    out->log2n = capa_rd_u8(&r);
    out->r = capa_rd_u8(&r);
    out->p = capa_rd_u8(&r);
    capa_rd_bytes(&r, out->salt, 16);
    capa_rd_bytes(&r, out->hash, 32);
    /* log2n 0 is the placeholder of a credential replay could not attest (verify.c). */
    if (!r.err && (!out->u.id || !out->u.role || out->log2n > 24))
        r.err = CAPA_ECORRUPT;
    if (!capa_rd_done(&r)) {
        int code = r.err == CAPA_ENOMEM ? CAPA_ENOMEM : CAPA_ECORRUPT;
        capa_user_rec_clear(out);
        return capa_error_set(code, "user record: %s",
                              code == CAPA_ENOMEM ? "out of memory" : "malformed");
    }
    return CAPA_OK;
}

int capa_user__get(capa_store *s, MDB_txn *txn, const char *id, capa_user_rec *out)
{
    MDB_val v;
    memset(out, 0, sizeof *out);
    int err = capa_store__get(txn, s->dbi[DB_USERS], id, strlen(id), &v);
    if (err)
        return err;
    return capa_user__decode(out, v.mv_data, v.mv_size);
}

int capa_user__put(capa_store *s, MDB_txn *txn, const capa_user_rec *u)
{
    void *buf = NULL;
    size_t len = 0;
    int err = capa_user__encode(u, &buf, &len);
    if (!err)
        err = capa_store__put(txn, s->dbi[DB_USERS], u->u.id, strlen(u->u.id), buf, len, 0);
    capa__free(buf);
    return err;
}

int capa_user__cred_digest(char hex[65], const capa_user_rec *u)
{
    capa_buf b = {0};
    capa_buf_str(&b, "capa-credential-v1");
    capa_buf_str(&b, u->u.id);
    encode_cred(&b, u);
    int oom = b.oom;
    hex[0] = 0;
    if (!oom)
        capa_sha256_hex(hex, b.p, b.len);
    capa_buf_free(&b);
    return oom ? capa_error_set(CAPA_ENOMEM, "credential digest: out of memory") : CAPA_OK;
}

/* ---- case records in a store ---- */

int capa_hdr__get(capa_store *s, MDB_txn *txn, uint64_t id, capa_hdr *out)
{
    unsigned char k[8];
    MDB_val v;
    memset(out, 0, sizeof *out);
    capa_be64(k, id);
    int err = capa_store__get(txn, s->dbi[DB_CASES], k, 8, &v);
    if (err == CAPA_ENOTFOUND)
        return capa_error_set(CAPA_ENOTFOUND, "case id %llu: header missing",
                              (unsigned long long)id);
    if (err || (err = capa_hdr__decode(out, v.mv_data, v.mv_size)))
        return err;
    /* The id inside the value names the case whose other records a reader takes: one that
     * is not the key the header is stored under was changed outside capa. */
    if (out->id != id) {
        err = capa_error_set(CAPA_ECORRUPT,
                             "case %.60s: case header (cases, id %llu): field `id` is %llu: the "
                             "record was changed outside capa (capa verify names it)",
                             out->number, (unsigned long long)id, (unsigned long long)out->id);
        capa_hdr_clear(out);
    }
    return err;
}

int capa_hdr__put(capa_store *s, MDB_txn *txn, const capa_hdr *h)
{
    unsigned char k[8];
    void *buf = NULL;
    size_t len = 0;
    capa_be64(k, h->id);
    int err = capa_hdr__encode(h, &buf, &len);
    if (!err)
        err = capa_store__put(txn, s->dbi[DB_CASES], k, 8, buf, len, 0);
    capa__free(buf);
    return err;
}

void capa_stage__key(unsigned char k[9], uint64_t id, int idx)
{
    capa_be64(k, id);
    k[8] = (unsigned char)idx;
}

int capa_stage__get(capa_store *s, MDB_txn *txn, uint64_t id, int idx, capa_stage_record *out)
{
    unsigned char k[9];
    MDB_val v;
    memset(out, 0, sizeof *out);
    capa_stage__key(k, id, idx);
    int err = capa_store__get(txn, s->dbi[DB_STAGES], k, 9, &v);
    return err ? err : capa_stage__decode(out, v.mv_data, v.mv_size);
}

int capa_stage__put(capa_store *s, MDB_txn *txn, uint64_t id, int idx, const capa_stage_record *r)
{
    unsigned char k[9];
    void *buf = NULL;
    size_t len = 0;
    capa_stage__key(k, id, idx);
    int err = stage_encode(r, !s->unpacked, s->pack_fast, &buf, &len);
    if (!err)
        err = capa_store__put(txn, s->dbi[DB_STAGES], k, 9, buf, len, 0);
    capa__free(buf);
    return err;
}

void capa_stage__round_key(unsigned char k[13], uint64_t id, int idx, int round)
{
    capa_stage__key(k, id, idx);
    k[9] = (unsigned char)((unsigned)round >> 24);
    k[10] = (unsigned char)((unsigned)round >> 16);
    k[11] = (unsigned char)((unsigned)round >> 8);
    k[12] = (unsigned char)round;
}

int capa_stage__put_round(capa_store *s, MDB_txn *txn, uint64_t id, int idx, int round,
                          const capa_stage_record *r)
{
    unsigned char k[13];
    void *buf = NULL;
    size_t len = 0;
    capa_stage__round_key(k, id, idx, round);
    int err = stage_encode(r, !s->unpacked, s->pack_fast, &buf, &len);
    if (!err)
        err = capa_store__put(txn, s->dbi[DB_STAGES], k, 13, buf, len, 0);
    capa__free(buf);
    return err;
}

int capa_sig__put(capa_store *s, MDB_txn *txn, uint64_t id, const capa_signature *g)
{
    unsigned char k[16];
    void *buf = NULL;
    size_t len = 0;
    capa_be64(k, id);
    capa_be64(k + 8, g->seq);
    int err = capa_sig__encode(g, &buf, &len);
    if (!err)
        err = capa_store__put(txn, s->dbi[DB_SIGS], k, 16, buf, len, 0);
    capa__free(buf);
    return err;
}

int capa__case_id(capa_store *s, MDB_txn *txn, const char *number, uint64_t *out)
{
    MDB_val v;
    *out = 0;
    if (!number || !*number)
        return capa_error_set(CAPA_EINVALID, "case number: empty");
    int err = capa_store__get(txn, s->dbi[DB_NUMBERS], number, strlen(number), &v);
    if (err == CAPA_ENOTFOUND && !strchr(number, '@')) {
        /* A bare number is this store's own case; an imported copy is NUMBER@ORIGIN. */
        MDB_cursor *cur = NULL;
        size_t n = strlen(number);
        MDB_val k = {n, (void *)number};
        int found = !mdb_cursor_open(txn, s->dbi[DB_NUMBERS], &cur) &&
                    !mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE) && k.mv_size > n &&
                    memcmp(k.mv_data, number, n) == 0 && ((const char *)k.mv_data)[n] == '@';
        if (found)
            capa_error_set(CAPA_ENOTFOUND,
                           "case %.60s: no such case of this store; an imported copy is "
                           "addressed with its origin: %.*s",
                           number, (int)(k.mv_size < 200 ? k.mv_size : 200),
                           (const char *)k.mv_data);
        if (cur)
            mdb_cursor_close(cur);
        if (found)
            return CAPA_ENOTFOUND;
    }
    if (err == CAPA_ENOTFOUND) {
        err = capa_error_set(CAPA_ENOTFOUND, "case %.60s: no such case", number);
        capa__refusal_begin(err, "case", number, NULL);
        capa__refusal_add("case.not_found", NULL, NULL, NULL);
        return err;
    }
    if (err)
        return err;
    if (v.mv_size != 8)
        return capa_error_set(CAPA_ECORRUPT, "case %.60s: bad number index record", number);
    *out = capa_get_be64(v.mv_data);
    return CAPA_OK;
}
