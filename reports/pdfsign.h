/*
 * pdfsign.h - sign a finished PDF (as libharu writes it) with an incremental update: a
 * detached CMS signature (adbe.pkcs7.detached) over the whole file except the signature's
 * own /Contents, in a visible widget on page 1. Any reader that checks PDF signatures
 * (pdfsig, Acrobat) then shows whether a single byte changed after signing.
 */
#ifndef CAPA_PDFSIGN_H
#define CAPA_PDFSIGN_H

#include <stddef.h>
#include <stdint.h>

/** A signing identity: private key, certificate and its chain. Opaque. */
typedef struct capa_pdf_signer capa_pdf_signer;

/**
 * Load a PEM private key and a PEM certificate file (the certificate first, then any chain
 * certificates). Errors name the file. @return CAPA_OK, CAPA_ENOTFOUND, CAPA_EINVALID
 * (unreadable, or key and certificate do not match), CAPA_ENOMEM.
 */
int capa_pdf__signer_load(capa_pdf_signer **out, const char *key_path, const char *cert_path);
void capa_pdf__signer_free(capa_pdf_signer *sg);
/** The certificate subject's CN (UTF-8), or its one-line subject when it has none. Borrowed. */
const char *capa_pdf__signer_name(const capa_pdf_signer *sg);
/** Hex SHA-256 of the certificate (DER), for printing next to the signature box. */
const char *capa_pdf__signer_fingerprint(const capa_pdf_signer *sg);

typedef struct capa_pdf_sigopts {
    int64_t time_ms;      /**< signing time for /M, ms since the epoch UTC */
    const char *reason;   /**< /Reason (UTF-8) or NULL */
    const char *location; /**< /Location (UTF-8) or NULL */
    /** The widget's rectangle on page 1 (llx lly urx ury, points); all zero = invisible.
     *  Its appearance is a frame and a check mark; the page under it should carry the
     *  statement of who signed and when (in the document's own embedded font). */
    float rect[4];
} capa_pdf_sigopts;

/**
 * Append a signature to `pdf` (len bytes, a complete PDF with a classic xref table and no
 * signature yet): new catalog with /AcroForm (SigFlags 3), page 1 with the widget in
 * /Annots, the /Sig dictionary with /ByteRange and the CMS in /Contents, xref and trailer
 * with /Prev. The result (capa__malloc'd) goes to *out.
 * @return CAPA_OK, CAPA_EINVALID (not a PDF we can update), CAPA_ENOMEM, CAPA_ERROR (CMS).
 */
int capa_pdf__sign(unsigned char **out, size_t *out_len, const unsigned char *pdf, size_t len,
                   const capa_pdf_signer *sg, const capa_pdf_sigopts *o);

#endif
