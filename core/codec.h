/*
 * codec.h - the compact, versioned record encoding used for every LMDB value.
 *
 * A record is a version byte followed by varints and length-prefixed strings. Strings encode
 * NULL as length 0 and "s" as strlen(s)+1, so an absent value and an empty one differ.
 * Keys are big-endian fixed-width integers so cursor order is numeric.
 */
#ifndef CAPA_CODEC_H
#define CAPA_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/** Strings of at least this many bytes are remembered by capa_buf_str as spans that
 *  capa_pack may compress on their own (see CAPA_PACK_SEG). */
#define CAPA_PACK_SPAN 256
#define CAPA_PACK_SPANS 4

typedef struct capa_buf {
    unsigned char *p;
    size_t len, cap;
    int oom;
    /* Where the long strings written by capa_buf_str lie (offset and length of their bytes),
     * in order; only a hint for capa_pack: any split of the bytes unpacks to the same value. */
    size_t span_off[CAPA_PACK_SPANS], span_len[CAPA_PACK_SPANS];
    unsigned n_spans;
} capa_buf;

void capa_buf_free(capa_buf *b);
void capa_buf_bytes(capa_buf *b, const void *data, size_t n);
void capa_buf_u8(capa_buf *b, unsigned v);
void capa_buf_varint(capa_buf *b, uint64_t v);
void capa_buf_i64(capa_buf *b, int64_t v);
void capa_buf_str(capa_buf *b, const char *s);

/** A reader over borrowed bytes; `err` becomes non-zero at the first malformed field. */
typedef struct capa_rd {
    const unsigned char *p;
    size_t len, pos;
    int err; /* 0 ok, CAPA_ECORRUPT or CAPA_ENOMEM */
} capa_rd;

void capa_rd_init(capa_rd *r, const void *p, size_t len);
unsigned capa_rd_u8(capa_rd *r);
uint64_t capa_rd_varint(capa_rd *r);
int64_t capa_rd_i64(capa_rd *r);
/** A fresh copy of the next string (NULL for an encoded NULL or on error: check err). */
char *capa_rd_str(capa_rd *r);
/** The next string copied, NUL-terminated, into the arena [*pos, end) and *pos advanced;
 *  no allocation. When it does not fit, err becomes CAPA_ENOMEM (the caller falls back). */
char *capa_rd_str_arena(capa_rd *r, char **pos, char *end);
/** Copy n raw bytes into out. */
void capa_rd_bytes(capa_rd *r, void *out, size_t n);
/** True when every byte was consumed and nothing went wrong. */
int capa_rd_done(const capa_rd *r);

/*
 * Store format 2 keeps large values inline: a value over CAPA_PACK_MIN bytes is stored as
 * the marker byte CAPA_PACK_MARK, a varint with its raw length and a zstd frame. Record
 * versions are small numbers, so no unpacked record starts with the marker.
 */
#define CAPA_PACK_MIN 1024
#define CAPA_PACK_MARK 0xC0
/** Values larger than this never decode (a corrupt length must not allocate gigabytes). */
#define CAPA_PACK_MAX ((size_t)64 << 20)
/*
 * A value whose long strings are compressed each on its own is stored as CAPA_PACK_SEG, a
 * varint with its raw length, and segments up to that length: a varint h, then h >> 1 bytes
 * that are copied as they are (h & 1 == 0) or a zstd frame holding the next bytes (h & 1 ==
 * 1). The bytes a value unpacks to are the same either way; the segments let the same long
 * text - a case's description, in its open event and in its stage record - be compressed
 * once per transaction and its frame reused (codec.c), and leave the short fields around it,
 * which zstd does not shrink, uncompressed. 0xC0 and 0xC1 never begin UTF-8 text.
 */
#define CAPA_PACK_SEG 0xC1
/** The zstd level capa_pack packs stored records at. */
#define CAPA_PACK_LEVEL 1
/** Compress b's content in place when it is larger than CAPA_PACK_MIN (and it helps):
 *  segmented (CAPA_PACK_SEG) when its long strings are most of it, else one frame. */
void capa_pack(capa_buf *b);
/** capa_pack at zstd level `level` (capa_pack's is 1; verify's scratch packs at -1, which
 *  costs a quarter of it: see verify.c). The same format: capa_unpack reads either. */
void capa_pack_level(capa_buf *b, int level);
/*
 * Frames made ahead of time. A batch's long strings can be compressed on another thread
 * (batch.c) while the leader commits the requests before them: capa_frame_make makes the
 * frame, and a thread that installed frames with capa_pack_hints takes a frame whose level
 * and content match from them instead of compressing the same bytes again. zstd's output for
 * the same bytes and level is the same on every thread, so the stored value is byte for byte
 * what compressing in place would store; the hints change where the work runs, nothing else.
 */
typedef struct capa_frame {
    const unsigned char *raw; /* borrowed: the bytes the frame holds (a request's value) */
    size_t raw_len;
    int level; /* capa_frame_make's; capa_pack__frames does not know it (0) */
    /* The zstd frame: owned when capa_frame_make made it (capa_frame_clear), borrowed from
     * the stored value when capa_pack__frames found it. */
    const unsigned char *z;
    size_t z_len;
} capa_frame;
/** The frame of raw[0..n) at `level` into *f (raw borrowed, must outlive f). CAPA_OK, or
 *  CAPA_ENOMEM when it has no frame (memory short, or zstd failed): the packer then
 *  compresses the value itself. */
int capa_frame_make(capa_frame *f, const void *raw, size_t n, int level);
void capa_frame_clear(capa_frame *f);
/** Frames this thread's capa_pack may take (borrowed until the next call); NULL, 0 clears. */
void capa_pack_hints(const capa_frame *f, size_t n);

/** The raw bytes of a stored value: borrowed (*tmp NULL) when it was stored raw, else
 *  decompressed into *tmp (free with capa__free). CAPA_OK, CAPA_ECORRUPT, CAPA_ENOMEM. */
int capa_unpack(const void *data, size_t len, const unsigned char **out, size_t *out_len,
                void **tmp);

/** The zstd frames (capa_frame, above) of a segmented value (CAPA_PACK_SEG) `data`, which capa_unpack decoded
 *  into `raw` (raw_len bytes): each frame (borrowed from data) with the raw bytes it holds
 *  (borrowed from raw), at most `max`. Frames whose content size they do not state end the
 *  list. Returns how many. */
size_t capa_pack__frames(const void *data, size_t len, const unsigned char *raw, size_t raw_len,
                         capa_frame *out, size_t max);
/** This thread's packing takes `z` (a frame made at `level`) as the frame of the raw bytes
 *  `raw` from now on, instead of compressing them again (the memo of recent frames; both
 *  copied). The caller vouches that z decompresses to exactly raw (verify: capa_unpack just
 *  did). Only a cache: when memory is short, packing compresses the text itself. */
void capa_pack__remember(int level, const unsigned char *raw, size_t raw_len,
                         const unsigned char *z, size_t z_len);

/* Inline, one byte swap where the host is little-endian: a list row reads a few ids and
 * keys this way (issue 21). */
static inline void capa_be64(unsigned char out[8], uint64_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap64(v);
    memcpy(out, &v, 8);
#else
    for (int i = 7; i >= 0; i--, v >>= 8)
        out[i] = (unsigned char)v;
#endif
}

static inline uint64_t capa_get_be64(const unsigned char in[8])
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t v;
    memcpy(&v, in, 8);
    return __builtin_bswap64(v);
#else
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | in[i];
    return v;
#endif
}

void capa_be32(unsigned char out[4], uint32_t v);
uint32_t capa_get_be32(const unsigned char in[4]);

#endif
