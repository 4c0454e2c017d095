/*
 * pdfsign.c - PDF signing as an incremental update (see pdfsign.h).
 *
 * libharu writes one classic xref table and a trailer, no object streams, and plain-text
 * object dictionaries. That is all this parser handles: it reads the trailer for /Root and
 * /Size, follows /Pages to page 1, copies the catalog's and the page's dictionaries into
 * new revisions (adding /AcroForm and /Annots) and appends the signature objects with their
 * own xref section. /ByteRange and /Contents have fixed-width placeholders that are patched
 * once the offsets are known; the CMS (CMS_DETACHED | CMS_BINARY, certificate chain
 * included) covers every byte of the file except the hex digits of /Contents.
 */
#include "pdfsign.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "capa.h"
#include "rerror.h"

struct capa_pdf_signer {
    EVP_PKEY *key;
    X509 *cert;
    STACK_OF(X509) * chain;
    char *name;
    char fingerprint[65];
};

/* ---- signer ---- */

static int open_pem(BIO **out, const char *path, const char *what)
{
    *out = BIO_new_file(path, "rb");
    if (*out)
        return CAPA_OK;
    ERR_clear_error();
    int e = errno;
    return capa_error_set(e == ENOENT ? CAPA_ENOTFOUND : CAPA_EINVALID, "%s %s: %s", what, path,
                         strerror(e));
}

int capa_pdf__signer_load(capa_pdf_signer **out, const char *key_path, const char *cert_path)
{
    int rc = CAPA_OK;
    BIO *kb = NULL, *cb = NULL;
    *out = NULL;
    capa_pdf_signer *sg = capa__calloc(1, sizeof *sg);
    if (!sg)
        return capa_error_set(CAPA_ENOMEM, "signer: out of memory");
    if ((rc = open_pem(&kb, key_path, "signing key")) != CAPA_OK)
        goto done;
    if ((rc = open_pem(&cb, cert_path, "certificate")) != CAPA_OK)
        goto done;
    sg->key = PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL);
    if (!sg->key) {
        rc = capa_rep__err_ssl(CAPA_EINVALID, "signing key %s: not a PEM private key", key_path);
        goto done;
    }
    sg->cert = PEM_read_bio_X509(cb, NULL, NULL, NULL);
    if (!sg->cert) {
        rc = capa_rep__err_ssl(CAPA_EINVALID, "certificate %s: not a PEM certificate", cert_path);
        goto done;
    }
    sg->chain = sk_X509_new_null();
    if (!sg->chain) {
        rc = capa_error_set(CAPA_ENOMEM, "signer: out of memory");
        goto done;
    }
    X509 *x;
    while ((x = PEM_read_bio_X509(cb, NULL, NULL, NULL)) != NULL) {
        if (!sk_X509_push(sg->chain, x)) {
            X509_free(x);
            rc = capa_error_set(CAPA_ENOMEM, "signer: out of memory");
            goto done;
        }
    }
    ERR_clear_error(); /* the loop ends on "no start line" */
    if (X509_check_private_key(sg->cert, sg->key) != 1) {
        rc = capa_rep__err_ssl(CAPA_EINVALID, "signing key %s does not match certificate %s",
                               key_path, cert_path);
        goto done;
    }
    char cn[256];
    X509_NAME *subj = X509_get_subject_name(sg->cert);
    int idx = X509_NAME_get_index_by_NID(subj, NID_commonName, -1);
    unsigned char *utf8 = NULL;
    if (idx >= 0 &&
        ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, idx))) >= 0) {
        sg->name = capa__strdup((const char *)utf8);
        OPENSSL_free(utf8);
    } else {
        X509_NAME_oneline(subj, cn, sizeof cn);
        sg->name = capa__strdup(cn);
    }
    if (!sg->name) {
        rc = capa_error_set(CAPA_ENOMEM, "signer: out of memory");
        goto done;
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    X509_digest(sg->cert, EVP_sha256(), md, &mdlen);
    for (unsigned i = 0; i < mdlen && i < 32; i++)
        snprintf(sg->fingerprint + 2 * i, 3, "%02x", md[i]);
done:
    BIO_free(kb);
    BIO_free(cb);
    if (rc != CAPA_OK)
        capa_pdf__signer_free(sg);
    else
        *out = sg;
    return rc;
}

void capa_pdf__signer_free(capa_pdf_signer *sg)
{
    if (!sg)
        return;
    EVP_PKEY_free(sg->key);
    X509_free(sg->cert);
    sk_X509_pop_free(sg->chain, X509_free);
    capa__free(sg->name);
    capa__free(sg);
}

const char *capa_pdf__signer_name(const capa_pdf_signer *sg)
{
    return sg->name;
}

const char *capa_pdf__signer_fingerprint(const capa_pdf_signer *sg)
{
    return sg->fingerprint;
}

/* ---- an append-only output buffer ---- */

typedef struct obuf {
    unsigned char *p;
    size_t n, cap;
    int oom;
} obuf;

static void ob_put(obuf *b, const void *data, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n)
            cap *= 2;
        unsigned char *p = capa__realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p, b->cap = cap;
    }
    memcpy(b->p + b->n, data, n);
    b->n += n;
}

static void ob_printf(obuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ob_printf(obuf *b, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = 1;
        return;
    }
    if ((size_t)n < sizeof small) {
        ob_put(b, small, (size_t)n);
        return;
    }
    char *big = capa__malloc((size_t)n + 1);
    if (!big) {
        b->oom = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    ob_put(b, big, (size_t)n);
    capa__free(big);
}

/* A PDF text string: literal when printable ASCII, else UTF-16BE with a BOM in hex. */
static void ob_text(obuf *b, const char *s)
{
    int ascii = 1;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p > 0x7E)
            ascii = 0;
    if (ascii) {
        ob_put(b, "(", 1);
        for (const char *p = s; *p; p++) {
            if (*p == '(' || *p == ')' || *p == '\\')
                ob_put(b, "\\", 1);
            ob_put(b, p, 1);
        }
        ob_put(b, ")", 1);
        return;
    }
    ob_put(b, "<FEFF", 5);
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen(s);
    while (len > 0) {
        uint32_t cp;
        size_t n = 1;
        /* A tiny decoder so this file does not depend on text.c. */
        unsigned c = p[0];
        if (c < 0x80) {
            cp = c;
        } else if ((c & 0xE0) == 0xC0 && len >= 2) {
            cp = (c & 0x1Fu) << 6 | (p[1] & 0x3Fu), n = 2;
        } else if ((c & 0xF0) == 0xE0 && len >= 3) {
            cp = (c & 0x0Fu) << 12 | (p[1] & 0x3Fu) << 6 | (p[2] & 0x3Fu), n = 3;
        } else if ((c & 0xF8) == 0xF0 && len >= 4) {
            cp = (c & 0x07u) << 18 | (p[1] & 0x3Fu) << 12 | (p[2] & 0x3Fu) << 6 | (p[3] & 0x3Fu),
            n = 4;
        } else {
            cp = 0xFFFD;
        }
        p += n, len -= n;
        if (cp >= 0x10000) {
            cp -= 0x10000;
            ob_printf(b, "%04X%04X", 0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF));
        } else {
            ob_printf(b, "%04X", cp);
        }
    }
    ob_put(b, ">", 1);
}

/* ---- reading what libharu wrote ---- */

typedef struct pdf_in {
    const char *p;
    size_t len;
    long *off; /* byte offset of each object number, -1 when free */
    size_t n_off;
} pdf_in;

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end) {
        if (*p == '%') {
            while (p < end && *p != '\n' && *p != '\r')
                p++;
        } else if (isspace((unsigned char)*p) || *p == 0) {
            p++;
        } else {
            break;
        }
    }
    return p;
}

/* The end (one past ">>") of the dictionary starting at p ("<<"), or NULL. */
static const char *dict_end(const char *p, const char *end)
{
    int depth = 0;
    while (p < end) {
        if (p + 1 < end && p[0] == '<' && p[1] == '<') {
            depth++, p += 2;
        } else if (p + 1 < end && p[0] == '>' && p[1] == '>') {
            depth--, p += 2;
            if (depth == 0)
                return p;
        } else if (*p == '(') {
            int nest = 0;
            for (; p < end; p++) {
                if (*p == '\\')
                    p++;
                else if (*p == '(')
                    nest++;
                else if (*p == ')' && --nest == 0)
                    break;
            }
            p++;
        } else if (*p == '<') {
            while (p < end && *p != '>')
                p++;
            p++;
        } else if (*p == '%') {
            while (p < end && *p != '\n' && *p != '\r')
                p++;
        } else {
            p++;
        }
    }
    return NULL;
}

/* The value of `/key` at the top level of the dictionary [d, e), or NULL. */
static const char *dict_find(const char *d, const char *e, const char *key)
{
    size_t kl = strlen(key);
    int depth = 0;
    for (const char *p = d; p < e; p++) {
        if (p + 1 < e && p[0] == '<' && p[1] == '<') {
            depth++, p++;
        } else if (p + 1 < e && p[0] == '>' && p[1] == '>') {
            depth--, p++;
        } else if (*p == '[') {
            depth++;
        } else if (*p == ']') {
            depth--;
        } else if (*p == '(') {
            int nest = 0;
            for (; p < e; p++) {
                if (*p == '\\')
                    p++;
                else if (*p == '(')
                    nest++;
                else if (*p == ')' && --nest == 0)
                    break;
            }
        } else if (*p == '<') {
            while (p < e && *p != '>')
                p++;
        } else if (*p == '/' && depth == 1 && (size_t)(e - p) > kl + 1 &&
                   memcmp(p + 1, key, kl) == 0 &&
                   !(isalnum((unsigned char)p[1 + kl]) || p[1 + kl] == '_' || p[1 + kl] == '.')) {
            return skip_ws(p + 1 + kl, e);
        }
    }
    return NULL;
}

/* Parse "N G R" at p. */
static int parse_ref(const char *p, const char *e, long *num)
{
    char tmp[48];
    size_t n = (size_t)(e - p) < sizeof tmp - 1 ? (size_t)(e - p) : sizeof tmp - 1;
    memcpy(tmp, p, n);
    tmp[n] = 0;
    long a, g;
    char r;
    if (sscanf(tmp, "%ld %ld %c", &a, &g, &r) != 3 || r != 'R' || a <= 0)
        return -1;
    *num = a;
    return 0;
}

/* The dictionary of object `num`: [*d, *e). */
static int object_dict(const pdf_in *in, long num, const char **d, const char **e)
{
    if (num <= 0 || (size_t)num >= in->n_off || in->off[num] < 0 || (size_t)in->off[num] >= in->len)
        return -1;
    const char *end = in->p + in->len;
    const char *p = in->p + in->off[num];
    const char *obj = NULL;
    for (const char *q = p; q + 3 <= end && q < p + 64; q++)
        if (memcmp(q, "obj", 3) == 0) {
            obj = q + 3;
            break;
        }
    if (!obj)
        return -1;
    p = skip_ws(obj, end);
    if (p + 2 > end || p[0] != '<' || p[1] != '<')
        return -1;
    *d = p;
    *e = dict_end(p, end);
    return *e ? 0 : -1;
}

static int read_xref(pdf_in *in, long *root, long *info, long *size, long *xref_at)
{
    const char *end = in->p + in->len;
    const char *sx = NULL;
    size_t tail = in->len < 1024 ? in->len : 1024;
    for (const char *q = end - 9; q >= end - tail && q >= in->p; q--)
        if (memcmp(q, "startxref", 9) == 0) {
            sx = q;
            break;
        }
    if (!sx)
        return -1;
    char *ep;
    long x = strtol(sx + 9, &ep, 10);
    if (x <= 0 || (size_t)x >= in->len)
        return -1;
    *xref_at = x;
    const char *p = skip_ws(in->p + x, end);
    if ((size_t)(end - p) < 4 || memcmp(p, "xref", 4) != 0)
        return -1; /* a cross-reference stream: not what libharu writes */
    p += 4;
    for (;;) {
        p = skip_ws(p, end);
        if ((size_t)(end - p) >= 7 && memcmp(p, "trailer", 7) == 0)
            break;
        long first = strtol(p, &ep, 10);
        if (ep == p)
            return -1;
        p = ep;
        long count = strtol(p, &ep, 10);
        if (ep == p || first < 0 || count < 0 || count > 8000000)
            return -1;
        p = ep;
        if ((size_t)(first + count) > in->n_off) {
            long *o = capa__realloc(in->off, (size_t)(first + count) * sizeof *o);
            if (!o)
                return -2;
            for (size_t i = in->n_off; i < (size_t)(first + count); i++)
                o[i] = -1;
            in->off = o, in->n_off = (size_t)(first + count);
        }
        for (long i = 0; i < count; i++) {
            p = skip_ws(p, end);
            long off = strtol(p, &ep, 10);
            if (ep == p)
                return -1;
            p = skip_ws(ep, end);
            strtol(p, &ep, 10);
            p = skip_ws(ep, end);
            if (p >= end)
                return -1;
            in->off[first + i] = *p == 'n' ? off : -1;
            p++;
        }
    }
    p = skip_ws(p + 7, end);
    const char *te = dict_end(p, end);
    if (!te)
        return -1;
    const char *v;
    if (!(v = dict_find(p, te, "Root")) || parse_ref(v, te, root) < 0)
        return -1;
    *info = 0;
    if ((v = dict_find(p, te, "Info")) != NULL && parse_ref(v, te, info) < 0)
        *info = 0;
    if (!(v = dict_find(p, te, "Size")))
        return -1;
    *size = strtol(v, &ep, 10);
    if (dict_find(p, te, "Prev") || dict_find(p, te, "Encrypt"))
        return -1; /* already updated or encrypted: refuse rather than guess */
    return *size > 0 ? 0 : -1;
}

static int first_page(const pdf_in *in, long root, long *page)
{
    const char *d, *e, *v;
    if (object_dict(in, root, &d, &e) < 0 || !(v = dict_find(d, e, "Pages")))
        return -1;
    long node;
    if (parse_ref(v, e, &node) < 0)
        return -1;
    for (int depth = 0; depth < 32; depth++) {
        if (object_dict(in, node, &d, &e) < 0)
            return -1;
        v = dict_find(d, e, "Type");
        if (v && strncmp(v, "/Page", 5) == 0 && v[5] != 's') {
            *page = node;
            return 0;
        }
        if (!(v = dict_find(d, e, "Kids")) || *v != '[')
            return -1;
        if (parse_ref(skip_ws(v + 1, e), e, &node) < 0)
            return -1;
    }
    return -1;
}

static void pdf_date(char *buf, size_t sz, int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, sz, "D:%Y%m%d%H%M%S+00'00'", &tm);
}

/* The appearance stream of the widget: its frame and a check mark, vector only. Text is on
 * the page under the widget (with the embedded CJK font): an inline non-embedded font here
 * would fail "all fonts embedded" checks, and poppler mis-handles inline font dicts. */
static void appearance(obuf *b, float w, float h)
{
    ob_printf(b, "q 0.16 0.32 0.62 RG 1.2 w 0.6 0.6 %.2f %.2f re S\n", w - 1.2, h - 1.2);
    float s = h * 0.32f, x = w - s - 10, y = 8;
    ob_printf(b, "2.2 w 1 J 1 j %.2f %.2f m %.2f %.2f l %.2f %.2f l S Q\n", x, y + s * 0.5f,
              x + s * 0.35f, y + s * 0.12f, x + s, y + s);
}

int capa_pdf__sign(unsigned char **out, size_t *out_len, const unsigned char *pdf, size_t len,
                   const capa_pdf_signer *sg, const capa_pdf_sigopts *o)
{
    int rc = CAPA_OK;
    obuf b = {0};
    obuf ap = {0};
    BIO *data = NULL;
    CMS_ContentInfo *cms = NULL;
    unsigned char *der = NULL;
    pdf_in in = {(const char *)pdf, len, NULL, 0};
    long root, info, size, xref_at, page;
    *out = NULL;
    *out_len = 0;

    int x = read_xref(&in, &root, &info, &size, &xref_at);
    if (x == -2) {
        rc = capa_error_set(CAPA_ENOMEM, "signing: out of memory");
        goto done;
    }
    if (x < 0 || first_page(&in, root, &page) < 0) {
        rc = capa_error_set(CAPA_EINVALID, "signing: not a PDF with a classic xref table");
        goto done;
    }
    const char *cd, *ce, *pd, *pe;
    object_dict(&in, root, &cd, &ce);
    object_dict(&in, page, &pd, &pe);
    if (dict_find(cd, ce, "AcroForm")) {
        rc = capa_error_set(CAPA_EINVALID, "signing: the PDF already has a form");
        goto done;
    }
    const char *annots = dict_find(pd, pe, "Annots");
    if (annots && *annots != '[') {
        rc = capa_error_set(CAPA_EINVALID, "signing: page 1 has indirect /Annots");
        goto done;
    }

    long sig = size, widget = size + 1, apobj = size + 2;
    long offs[5];
    ob_put(&b, pdf, len);
    if (len > 0 && pdf[len - 1] != '\n')
        ob_put(&b, "\n", 1);

    /* New revision of the catalog: the old dictionary plus /AcroForm. */
    offs[0] = (long)b.n;
    ob_printf(&b, "%ld 0 obj\n", root);
    ob_put(&b, cd, (size_t)(ce - cd - 2));
    ob_printf(&b, "/AcroForm << /Fields [ %ld 0 R ] /SigFlags 3 >>\n>>\nendobj\n", widget);

    /* New revision of page 1 with the widget in /Annots. */
    offs[1] = (long)b.n;
    ob_printf(&b, "%ld 0 obj\n", page);
    if (annots) {
        ob_put(&b, pd, (size_t)(annots + 1 - pd));
        ob_printf(&b, " %ld 0 R", widget);
        ob_put(&b, annots + 1, (size_t)(pe - (annots + 1)));
        ob_put(&b, "\nendobj\n", 8);
    } else {
        ob_put(&b, pd, (size_t)(pe - pd - 2));
        ob_printf(&b, "/Annots [ %ld 0 R ]\n>>\nendobj\n", widget);
    }

    /* The signature dictionary with placeholders. */
    size_t reserve = 4096 + 2 * (size_t)EVP_PKEY_get_size(sg->key);
    reserve += (size_t)i2d_X509(sg->cert, NULL);
    for (int i = 0; i < sk_X509_num(sg->chain); i++)
        reserve += (size_t)i2d_X509(sk_X509_value(sg->chain, i), NULL);
    char date[40];
    pdf_date(date, sizeof date, o->time_ms);
    offs[2] = (long)b.n;
    ob_printf(&b,
              "%ld 0 obj\n<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter "
              "/adbe.pkcs7.detached\n/Name ",
              sig);
    ob_text(&b, sg->name);
    ob_printf(&b, "\n/M (%s)\n", date);
    if (o->reason) {
        ob_put(&b, "/Reason ", 8);
        ob_text(&b, o->reason);
        ob_put(&b, "\n", 1);
    }
    if (o->location) {
        ob_put(&b, "/Location ", 10);
        ob_text(&b, o->location);
        ob_put(&b, "\n", 1);
    }
    ob_put(&b, "/ByteRange ", 11);
    size_t br_at = b.n;
    ob_printf(&b, "[%-43s]\n/Contents ", "0 0 0 0");
    size_t contents_at = b.n;
    ob_put(&b, "<", 1);
    for (size_t i = 0; i < 2 * reserve; i++)
        ob_put(&b, "0", 1);
    ob_put(&b, ">", 1);
    size_t contents_end = b.n;
    ob_put(&b, "\n>>\nendobj\n", 11);

    /* The widget and its appearance. */
    float w = o->rect[2] - o->rect[0], h = o->rect[3] - o->rect[1];
    offs[3] = (long)b.n;
    ob_printf(&b,
              "%ld 0 obj\n<< /Type /Annot /Subtype /Widget /FT /Sig /T (Signature1) /V %ld 0 R "
              "/F 132 /P %ld 0 R\n/Rect [ %.2f %.2f %.2f %.2f ] /AP << /N %ld 0 R >> >>\n"
              "endobj\n",
              widget, sig, page, o->rect[0], o->rect[1], o->rect[2], o->rect[3], apobj);
    if (w > 0 && h > 0)
        appearance(&ap, w, h);
    if (ap.oom) {
        rc = capa_error_set(CAPA_ENOMEM, "signing: out of memory");
        goto done;
    }
    offs[4] = (long)b.n;
    ob_printf(&b,
              "%ld 0 obj\n<< /Type /XObject /Subtype /Form /BBox [ 0 0 %.2f %.2f ] "
              "/Resources << >> /Length %zu >>\nstream\n",
              apobj, w > 0 ? w : 0, h > 0 ? h : 0, ap.n);
    ob_put(&b, ap.p ? (const void *)ap.p : "", ap.n);
    ob_put(&b, "\nendstream\nendobj\n", 18);

    /* Cross-reference section of this update, one subsection per run of numbers. */
    size_t xref = b.n;
    long nums[5] = {root, page, sig, widget, apobj};
    ob_put(&b, "xref\n0 1\n0000000000 65535 f\r\n", 29);
    for (int i = 0; i < 5; i++)
        ob_printf(&b, "%ld 1\n%010ld 00000 n\r\n", nums[i], offs[i]);
    unsigned char id[32];
    EVP_Digest(pdf, len, id, NULL, EVP_sha256(), NULL);
    ob_printf(&b, "trailer\n<< /Size %ld /Root %ld 0 R ", apobj + 1, root);
    if (info > 0)
        ob_printf(&b, "/Info %ld 0 R ", info);
    ob_put(&b, "/ID [<", 6);
    for (int i = 0; i < 16; i++)
        ob_printf(&b, "%02X", id[i]);
    ob_put(&b, "><", 2);
    for (int i = 0; i < 16; i++)
        ob_printf(&b, "%02X", id[i]);
    ob_printf(&b, ">] /Prev %ld >>\nstartxref\n%zu\n%%%%EOF\n", xref_at, xref);
    if (b.oom) {
        rc = capa_error_set(CAPA_ENOMEM, "signing: out of memory");
        goto done;
    }

    /* Patch /ByteRange, then sign exactly the bytes it names. */
    char br[64];
    snprintf(br, sizeof br, "[0 %zu %zu %zu", contents_at, contents_end, b.n - contents_end);
    size_t brl = strlen(br);
    memcpy(b.p + br_at, br, brl);
    memset(b.p + br_at + brl, ' ', 44 - brl);
    data = BIO_new(BIO_s_mem());
    if (!data || BIO_write(data, b.p, (int)contents_at) != (int)contents_at ||
        BIO_write(data, b.p + contents_end, (int)(b.n - contents_end)) !=
            (int)(b.n - contents_end)) {
        rc = capa_error_set(CAPA_ENOMEM, "signing: out of memory");
        goto done;
    }
    cms = CMS_sign(sg->cert, sg->key, sg->chain, data, CMS_DETACHED | CMS_BINARY);
    if (!cms) {
        rc = capa_rep__err_ssl(CAPA_ERROR, "signing: CMS_sign failed");
        goto done;
    }
    int dl = i2d_CMS_ContentInfo(cms, &der);
    if (dl <= 0) {
        rc = capa_rep__err_ssl(CAPA_ERROR, "signing: cannot encode the CMS");
        goto done;
    }
    if ((size_t)dl > reserve) {
        rc = capa_error_set(CAPA_ERROR, "signing: signature of %d bytes exceeds the %zu reserved",
                           dl, reserve);
        goto done;
    }
    static const char hex[] = "0123456789ABCDEF";
    for (int i = 0; i < dl; i++) {
        b.p[contents_at + 1 + 2 * (size_t)i] = (unsigned char)hex[der[i] >> 4];
        b.p[contents_at + 2 + 2 * (size_t)i] = (unsigned char)hex[der[i] & 15];
    }
    *out = b.p;
    *out_len = b.n;
    b.p = NULL;
done:
    OPENSSL_free(der);
    CMS_ContentInfo_free(cms);
    BIO_free(data);
    capa__free(b.p);
    capa__free(ap.p);
    capa__free(in.off);
    return rc;
}
