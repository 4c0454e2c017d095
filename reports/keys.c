/*
 * keys.c - the organisation's signing identity under <db>/keys: a demo self-signed
 * certificate made at `capa init`, or a real key + certificate (+ chain) installed later.
 *
 * The key file is created with mode 0600 from the start (open(2) with the mode, never a
 * chmod after writing), and installs go through a temporary name and rename(2) so a crash
 * never leaves a key without its certificate.
 */
#include "capa_report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "rerror.h"

static int ensure_dir(const char *dir)
{
    if (mkdir(dir, 0700) == 0 || errno == EEXIST)
        return CAPA_OK;
    return capa_error_set(errno == ENOENT ? CAPA_ENOTFOUND : CAPA_ERROR, "keys directory %s: %s",
                         dir, strerror(errno));
}

/* Write a PEM file through a temporary name: mode 0600 for keys, 0644 for certificates. */
static int write_pem(const char *dir, const char *name, mode_t mode, EVP_PKEY *key, X509 *cert,
                     STACK_OF(X509) * chain)
{
    int rc = CAPA_OK;
    char *tmp = capa__sprintf("%s/.%s.tmp", dir, name);
    char *dst = capa__sprintf("%s/%s", dir, name);
    FILE *f = NULL;
    if (!tmp || !dst) {
        rc = capa_error_set(CAPA_ENOMEM, "keys: out of memory");
        goto done;
    }
    unlink(tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0 || !(f = fdopen(fd, "wb"))) {
        if (fd >= 0)
            close(fd);
        rc = capa_error_set(CAPA_ERROR, "%s: %s", tmp, strerror(errno));
        goto done;
    }
    int ok = 1;
    if (key)
        ok = PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
    if (ok && cert)
        ok = PEM_write_X509(f, cert);
    for (int i = 0; ok && chain && i < sk_X509_num(chain); i++)
        ok = PEM_write_X509(f, sk_X509_value(chain, i));
    if (!ok || fflush(f) != 0 || fsync(fileno(f)) != 0) {
        rc = capa_rep__err_ssl(CAPA_ERROR, "%s: cannot write", tmp);
        fclose(f);
        f = NULL;
        unlink(tmp);
        goto done;
    }
    if (fclose(f) != 0 || rename(tmp, dst) != 0) {
        f = NULL;
        rc = capa_error_set(CAPA_ERROR, "%s: %s", dst, strerror(errno));
        unlink(tmp);
        goto done;
    }
    f = NULL;
done:
    capa__free(tmp);
    capa__free(dst);
    return rc;
}

int capa_report_keys_create(const char *keys_dir, const char *org, int64_t now_ms)
{
    int rc = CAPA_OK;
    EVP_PKEY *key = NULL;
    X509 *x = NULL;
    char *keypath = NULL;
    if (!org || !*org)
        return capa_error_set(CAPA_EINVALID, "keys: organisation name required");
    if ((rc = ensure_dir(keys_dir)) != CAPA_OK)
        return rc;
    keypath = capa__sprintf("%s/org.key", keys_dir);
    if (!keypath)
        return capa_error_set(CAPA_ENOMEM, "keys: out of memory");
    if (access(keypath, F_OK) == 0) {
        rc = capa_error_set(CAPA_EEXISTS, "signing key %s already exists", keypath);
        goto done;
    }
    key = EVP_RSA_gen(2048);
    x = X509_new();
    if (!key || !x) {
        rc = capa_rep__err_ssl(CAPA_ERROR, "keys: cannot generate an RSA key");
        goto done;
    }
    time_t now = now_ms ? (time_t)(now_ms / 1000) : time(NULL);
    unsigned char serial[16];
    BIGNUM *bn = NULL;
    ASN1_INTEGER *sn = NULL;
    X509_NAME *name = X509_NAME_new();
    X509V3_CTX ctx;
    X509_EXTENSION *ext = NULL;
    int ok = RAND_bytes(serial, sizeof serial) == 1 && name;
    serial[0] &= 0x7F;
    ok = ok && (bn = BN_bin2bn(serial, sizeof serial, NULL)) != NULL &&
         (sn = BN_to_ASN1_INTEGER(bn, NULL)) != NULL && X509_set_serialNumber(x, sn) &&
         X509_set_version(x, 2) &&
         X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8, (const unsigned char *)org,
                                    -1, -1, 0) &&
         X509_NAME_add_entry_by_NID(name, NID_organizationName, MBSTRING_UTF8,
                                    (const unsigned char *)org, -1, -1, 0) &&
         X509_set_subject_name(x, name) && X509_set_issuer_name(x, name) &&
         X509_time_adj_ex(X509_getm_notBefore(x), 0, -3600, &now) &&
         X509_time_adj_ex(X509_getm_notAfter(x), 3653, 0, &now) && X509_set_pubkey(x, key);
    BN_free(bn);
    ASN1_INTEGER_free(sn);
    X509_NAME_free(name);
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    const char *exts[][2] = {{"basicConstraints", "critical,CA:FALSE"},
                             {"keyUsage", "critical,digitalSignature,nonRepudiation"},
                             {"subjectKeyIdentifier", "hash"}};
    for (size_t i = 0; ok && i < sizeof exts / sizeof *exts; i++) {
        ext = X509V3_EXT_conf(NULL, &ctx, exts[i][0], exts[i][1]);
        ok = ext && X509_add_ext(x, ext, -1);
        X509_EXTENSION_free(ext);
    }
    if (!ok || !X509_sign(x, key, EVP_sha256())) {
        rc = capa_rep__err_ssl(CAPA_ERROR, "keys: cannot make the certificate");
        goto done;
    }
    if ((rc = write_pem(keys_dir, "org.key", 0600, key, NULL, NULL)) != CAPA_OK)
        goto done;
    /* A key without its certificate would block the next attempt (EEXISTS): undo it. */
    if ((rc = write_pem(keys_dir, "org.crt", 0644, NULL, x, NULL)) != CAPA_OK)
        unlink(keypath);
done:
    EVP_PKEY_free(key);
    X509_free(x);
    capa__free(keypath);
    return rc;
}

static int read_certs(STACK_OF(X509) * into, const char *path, int need_one)
{
    BIO *b = BIO_new_file(path, "rb");
    if (!b) {
        int e = errno;
        ERR_clear_error();
        return capa_error_set(e == ENOENT ? CAPA_ENOTFOUND : CAPA_EINVALID, "certificate %s: %s",
                             path, strerror(e));
    }
    X509 *x;
    int n = 0;
    while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
        if (!sk_X509_push(into, x)) {
            X509_free(x);
            BIO_free(b);
            return capa_error_set(CAPA_ENOMEM, "keys: out of memory");
        }
        n++;
    }
    ERR_clear_error();
    BIO_free(b);
    if (need_one && n == 0)
        return capa_error_set(CAPA_EINVALID, "certificate %s: no PEM certificate in it", path);
    return CAPA_OK;
}

int capa_report_keys_install(const char *keys_dir, const char *key_file, const char *cert_file,
                             const char *chain_file)
{
    int rc = CAPA_OK;
    EVP_PKEY *key = NULL;
    STACK_OF(X509) *certs = sk_X509_new_null();
    BIO *kb = NULL;
    if (!certs)
        return capa_error_set(CAPA_ENOMEM, "keys: out of memory");
    kb = BIO_new_file(key_file, "rb");
    if (!kb) {
        int e = errno;
        ERR_clear_error();
        rc = capa_error_set(e == ENOENT ? CAPA_ENOTFOUND : CAPA_EINVALID, "signing key %s: %s",
                           key_file, strerror(e));
        goto done;
    }
    key = PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL);
    if (!key) {
        rc = capa_rep__err_ssl(CAPA_EINVALID, "signing key %s: not a PEM private key", key_file);
        goto done;
    }
    if ((rc = read_certs(certs, cert_file, 1)) != CAPA_OK)
        goto done;
    if (chain_file && (rc = read_certs(certs, chain_file, 1)) != CAPA_OK)
        goto done;
    X509 *leaf = sk_X509_value(certs, 0);
    if (X509_check_private_key(leaf, key) != 1) {
        rc = capa_rep__err_ssl(CAPA_EINVALID, "signing key %s does not match certificate %s",
                               key_file, cert_file);
        goto done;
    }
    if ((rc = ensure_dir(keys_dir)) != CAPA_OK)
        goto done;
    X509 *first = sk_X509_shift(certs);
    rc = write_pem(keys_dir, "org.crt", 0644, NULL, first, certs);
    X509_free(first);
    if (rc == CAPA_OK)
        rc = write_pem(keys_dir, "org.key", 0600, key, NULL, NULL);
done:
    BIO_free(kb);
    EVP_PKEY_free(key);
    sk_X509_pop_free(certs, X509_free);
    return rc;
}
