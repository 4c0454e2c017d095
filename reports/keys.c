/*
 * keys.c - the organisation's signing identity under <db>/keys: a demo self-signed
 * certificate made at `capa init`, or a real key + certificate (+ chain) installed later.
 *
 * The key file is created with mode 0600 from the start (open(2) with the mode, never a
 * chmod after writing), and installs go through a temporary name and rename(2) so a crash
 * never leaves a key without its certificate. Backups copy the identity byte for byte the
 * same way (both files 0600), and a restore checks the copied pair still belongs together.
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

static int read_key(EVP_PKEY **out, const char *path)
{
    *out = NULL;
    BIO *b = BIO_new_file(path, "rb");
    if (!b) {
        int e = errno;
        ERR_clear_error();
        return capa_error_set(e == ENOENT ? CAPA_ENOTFOUND : CAPA_EINVALID, "signing key %s: %s",
                              path, strerror(e));
    }
    *out = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    BIO_free(b);
    if (!*out)
        return capa_rep__err_ssl(CAPA_EINVALID, "signing key %s: not a PEM private key", path);
    return CAPA_OK;
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
    if (!certs)
        return capa_error_set(CAPA_ENOMEM, "keys: out of memory");
    if ((rc = read_key(&key, key_file)) != CAPA_OK)
        goto done;
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
    EVP_PKEY_free(key);
    sk_X509_pop_free(certs, X509_free);
    return rc;
}

int capa_report_keys_check(const char *keys_dir)
{
    int rc = CAPA_OK;
    EVP_PKEY *key = NULL;
    STACK_OF(X509) *certs = sk_X509_new_null();
    char *keypath = capa__sprintf("%s/org.key", keys_dir);
    char *crtpath = capa__sprintf("%s/org.crt", keys_dir);
    if (!certs || !keypath || !crtpath) {
        rc = capa_error_set(CAPA_ENOMEM, "keys: out of memory");
        goto done;
    }
    if ((rc = read_key(&key, keypath)) != CAPA_OK ||
        (rc = read_certs(certs, crtpath, 1)) != CAPA_OK)
        goto done;
    if (X509_check_private_key(sk_X509_value(certs, 0), key) != 1)
        rc = capa_rep__err_ssl(CAPA_EINVALID, "signing key %s does not match certificate %s",
                               keypath, crtpath);
done:
    EVP_PKEY_free(key);
    sk_X509_pop_free(certs, X509_free);
    capa__free(keypath);
    capa__free(crtpath);
    return rc;
}

/* errno after a failed call on `path` as a CAPA code and message. */
static int io_error(const char *path)
{
    int e = errno;
    return capa_error_set(e == ENOSPC   ? CAPA_EFULL
                          : e == ENOENT ? CAPA_ENOTFOUND
                                        : CAPA_ERROR,
                          "%s: %s", path, strerror(e));
}

/* Copy src_dir/name to dst_dir/name byte for byte, mode 0600, through a temporary name that
 * is fsync'd before the rename: the target holds the old file or the whole new one. */
static int copy_file(const char *dst_dir, const char *src_dir, const char *name)
{
    int rc = CAPA_OK, in = -1, out = -1;
    char buf[8192];
    struct stat st;
    char *src = capa__sprintf("%s/%s", src_dir, name);
    char *tmp = capa__sprintf("%s/.%s.tmp", dst_dir, name);
    char *dst = capa__sprintf("%s/%s", dst_dir, name);
    if (!src || !tmp || !dst) {
        rc = capa_error_set(CAPA_ENOMEM, "keys: out of memory");
        goto done;
    }
    if ((in = open(src, O_RDONLY | O_CLOEXEC)) < 0 || fstat(in, &st) != 0) {
        rc = io_error(src);
        goto done;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = capa_error_set(CAPA_EINVALID, "%s: not a regular file", src);
        goto done;
    }
    unlink(tmp);
    if ((out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0) {
        rc = io_error(tmp);
        goto done;
    }
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = io_error(src);
            goto done;
        }
        if (n == 0)
            break;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                rc = io_error(tmp);
                goto done;
            }
            off += w;
        }
    }
    if (fsync(out) != 0) {
        rc = io_error(tmp);
        goto done;
    }
    int cl = close(out);
    out = -1;
    if (cl != 0) {
        rc = io_error(tmp);
        goto done;
    }
    if (rename(tmp, dst) != 0) {
        rc = io_error(dst);
        goto done;
    }
done:
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    if (rc != CAPA_OK && tmp)
        unlink(tmp);
    capa__free(src);
    capa__free(tmp);
    capa__free(dst);
    return rc;
}

int capa_report_keys_copy(const char *dst_dir, const char *src_dir)
{
    static const char *const files[] = {"org.crt", "org.key"};
    int rc = CAPA_OK, have = 0, dfd = -1;
    const char *missing = NULL;
    struct stat st;
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char *p = capa__sprintf("%s/%s", src_dir, files[i]);
        if (!p)
            return capa_error_set(CAPA_ENOMEM, "keys: out of memory");
        if (stat(p, &st) == 0) {
            have++;
        } else if (errno == ENOENT || errno == ENOTDIR) {
            missing = files[i];
        } else {
            rc = io_error(p);
            capa__free(p);
            return rc;
        }
        capa__free(p);
    }
    if (have == 0)
        return capa_error_set(CAPA_ENOTFOUND, "no signing identity in %s (no org.key, no org.crt)",
                              src_dir);
    if (missing)
        return capa_error_set(CAPA_EINVALID, "signing identity in %s is incomplete: no %s", src_dir,
                              missing);
    if ((rc = ensure_dir(dst_dir)) != CAPA_OK)
        return rc;
    for (size_t i = 0; rc == CAPA_OK && i < sizeof files / sizeof *files; i++)
        rc = copy_file(dst_dir, src_dir, files[i]);
    /* The renames are durable only once the directory is. */
    if (rc == CAPA_OK &&
        ((dfd = open(dst_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || fsync(dfd) != 0))
        rc = io_error(dst_dir);
    if (dfd >= 0)
        close(dfd);
    return rc;
}

int capa_report_cert_info(capa_cert_info *out, const char *keys_dir)
{
    char path[4200];
    memset(out, 0, sizeof *out);
    snprintf(path, sizeof path, "%s/org.crt", keys_dir);
    STACK_OF(X509) *certs = sk_X509_new_null();
    if (!certs)
        return capa_error_set(CAPA_ENOMEM, "keys: out of memory");
    int err = read_certs(certs, path, 1);
    if (err == CAPA_OK) {
        X509 *x = sk_X509_value(certs, 0);
        struct tm tm;
        /* RFC 2253 order and UTF-8, as a reader expects it ("CN=...,O=..."). */
        BIO *b = BIO_new(BIO_s_mem());
        char *p = NULL;
        long n = 0;
        if (b && X509_NAME_print_ex(b, X509_get_subject_name(x), 0,
                                    XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0)
            n = BIO_get_mem_data(b, &p);
        snprintf(out->subject, sizeof out->subject, "%.*s", (int)(n > 0 ? n : 0), p ? p : "");
        BIO_free(b);
        b = BIO_new(BIO_s_mem());
        n = 0, p = NULL;
        if (b && X509_NAME_print_ex(b, X509_get_issuer_name(x), 0,
                                    XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0)
            n = BIO_get_mem_data(b, &p);
        snprintf(out->issuer, sizeof out->issuer, "%.*s", (int)(n > 0 ? n : 0), p ? p : "");
        BIO_free(b);
        if (ASN1_TIME_to_tm(X509_get0_notBefore(x), &tm))
            out->not_before = (int64_t)timegm(&tm) * 1000;
        if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm))
            out->not_after = (int64_t)timegm(&tm) * 1000;
        out->self_signed = X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0;
        out->chain = (int)sk_X509_num(certs) - 1;
        ERR_clear_error();
    }
    sk_X509_pop_free(certs, X509_free);
    return err;
}
