/*
 * pdfverify.c - check a PDF signature as pdfsig or Acrobat do (capa_report_pdf_verify), for
 * `capa validate`, which must prove on the plant's own system that the dossiers it signs
 * verify and that one changed byte is seen: the last /ByteRange must cover the whole file
 * but the /Contents hex string, and the detached CMS in /Contents must verify over exactly
 * those bytes against the organisation's certificate.
 */
#include "capa_report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "rerror.h"

#define MAX_PDF ((size_t)256 * 1024 * 1024)

static int read_all(unsigned char **out, size_t *out_len, const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t n = 0, cap = 0;
    *out = NULL;
    if (!f)
        return capa_error_set(errno == ENOENT ? CAPA_ENOTFOUND : CAPA_ERROR, "%s: %s", path,
                              strerror(errno));
    for (;;) {
        if (n == cap) {
            if (cap >= MAX_PDF) {
                fclose(f);
                capa__free(buf);
                return capa_error_set(CAPA_EINVALID, "%s: larger than %zu bytes", path, MAX_PDF);
            }
            size_t nc = cap ? 2 * cap : 65536;
            unsigned char *p = capa__realloc(buf, nc);
            if (!p) {
                fclose(f);
                capa__free(buf);
                return capa_error_set(CAPA_ENOMEM, "%s: out of memory", path);
            }
            buf = p, cap = nc;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        capa__free(buf);
        return capa_error_set(CAPA_ERROR, "%s: read error", path);
    }
    *out = buf, *out_len = n;
    return CAPA_OK;
}

/* The last occurrence of `needle` in buf[0..len). */
static const unsigned char *last_of(const unsigned char *buf, size_t len, const char *needle)
{
    size_t nl = strlen(needle);
    for (size_t i = len >= nl ? len - nl + 1 : 0; i-- > 0;)
        if (memcmp(buf + i, needle, nl) == 0)
            return buf + i;
    return NULL;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int capa_report_pdf_verify(const char *pdf_path, const char *cert_path)
{
    unsigned char *pdf = NULL, *der = NULL, *data = NULL;
    size_t len = 0;
    BIO *cb = NULL, *db = NULL, *sb = NULL;
    X509 *crt = NULL;
    X509_STORE *st = NULL;
    CMS_ContentInfo *cms = NULL;
    int rc;

    if (!pdf_path || !cert_path)
        return capa_error_set(CAPA_EINVALID, "pdf verify: a file and a certificate are needed");
    if ((rc = read_all(&pdf, &len, pdf_path)) != CAPA_OK)
        return rc;
    const unsigned char *br = last_of(pdf, len, "/ByteRange [");
    unsigned long a, b, c, d;
    char head[128] = {0};
    if (br)
        memcpy(head, br, (size_t)(pdf + len - br) < sizeof head - 1 ? (size_t)(pdf + len - br)
                                                                    : sizeof head - 1);
    if (!br || sscanf(head, "/ByteRange [%lu %lu %lu %lu", &a, &b, &c, &d) != 4) {
        rc = capa_error_set(CAPA_ECORRUPT, "%s: no PDF signature (/ByteRange)", pdf_path);
        goto done;
    }
    if (a != 0 || b < 1 || c <= b + 1 || c > len || d != len - c || pdf[b] != '<' ||
        pdf[c - 1] != '>') {
        rc = capa_error_set(CAPA_ECORRUPT,
                            "%s: the signature's /ByteRange [%lu %lu %lu %lu] does not cover the "
                            "whole file of %zu bytes but its /Contents",
                            pdf_path, a, b, c, d, len);
        goto done;
    }
    size_t hexlen = c - 1 - (b + 1);
    if (!(der = capa__malloc(hexlen / 2 + 1)) || !(data = capa__malloc(b + d + 1))) {
        rc = capa_error_set(CAPA_ENOMEM, "%s: out of memory", pdf_path);
        goto done;
    }
    size_t n = 0;
    for (size_t i = 0; i + 1 < hexlen; i += 2) {
        int hi = hexval(pdf[b + 1 + i]), lo = hexval(pdf[b + 2 + i]);
        if (hi < 0 || lo < 0) {
            rc = capa_error_set(CAPA_ECORRUPT, "%s: /Contents is not a hex string", pdf_path);
            goto done;
        }
        der[n++] = (unsigned char)(hi << 4 | lo);
    }
    memcpy(data, pdf, b);
    memcpy(data + b, pdf + c, d);

    if (!(cb = BIO_new_file(cert_path, "r"))) {
        rc = capa_rep__err_ssl(CAPA_ENOTFOUND, "%s: cannot read the certificate", cert_path);
        goto done;
    }
    if (!(crt = PEM_read_bio_X509(cb, NULL, NULL, NULL))) {
        rc = capa_rep__err_ssl(CAPA_EINVALID, "%s: not a PEM certificate", cert_path);
        goto done;
    }
    if (!(st = X509_STORE_new()) || X509_STORE_add_cert(st, crt) != 1 ||
        X509_STORE_set_purpose(st, X509_PURPOSE_ANY) != 1) {
        rc = capa_rep__err_ssl(CAPA_ENOMEM, "pdf verify: cannot make a certificate store");
        goto done;
    }
    /* The DER parser stops at the end of the CMS: the zero padding after it is ignored. */
    if (!(sb = BIO_new_mem_buf(der, (int)n)) || !(cms = d2i_CMS_bio(sb, NULL))) {
        rc = capa_rep__err_ssl(CAPA_ECORRUPT, "%s: /Contents holds no CMS signature", pdf_path);
        goto done;
    }
    if (!(db = BIO_new_mem_buf(data, (int)(b + d)))) {
        rc = capa_rep__err_ssl(CAPA_ENOMEM, "pdf verify: out of memory");
        goto done;
    }
    if (CMS_verify(cms, NULL, st, db, NULL, CMS_BINARY | CMS_DETACHED) != 1) {
        rc = capa_rep__err_ssl(CAPA_ECORRUPT,
                               "%s: the signature does not verify over bytes 0-%lu and %lu-%lu "
                               "against %s",
                               pdf_path, b, c, c + d, cert_path);
        goto done;
    }
    rc = CAPA_OK;
done:
    CMS_ContentInfo_free(cms);
    X509_STORE_free(st);
    X509_free(crt);
    BIO_free(cb);
    BIO_free(db);
    BIO_free(sb);
    capa__free(der);
    capa__free(data);
    capa__free(pdf);
    return rc;
}
