/*
 * tls.c - HTTPS without a proxy: `capa serve --tls-cert FILE --tls-key FILE`.
 *
 * The certificate (PEM, the server's first, then any intermediates) and its private key (PEM,
 * unencrypted) are read and checked here with GnuTLS - the TLS library libmicrohttpd uses on
 * Debian - before the server starts, so a wrong file is refused naming the file and what is
 * wrong with it, not with libmicrohttpd's generic "failed to start". http.c hands the checked
 * PEM text and SV_TLS_PRIORITIES to the daemon.
 */
#include "serve.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A PEM file, NUL-terminated, into *out (at most 1 MiB). 0, or -1 with the reason printed. */
static int read_pem(const char *opt, const char *file, char **out, size_t *len)
{
    char *buf = NULL;
    size_t n = 0, cap = 1 << 20;
    FILE *f = fopen(file, "rb");
    if (!f) {
        fprintf(stderr, "capa serve: %s %s: cannot read: %s\n", opt, file, strerror(errno));
        return -1;
    }
    if (!(buf = malloc(cap + 1))) {
        fprintf(stderr, "capa serve: out of memory\n");
        fclose(f);
        return -1;
    }
    n = fread(buf, 1, cap + 1, f);
    int err = ferror(f);
    fclose(f);
    if (err || n > cap) {
        fprintf(stderr, "capa serve: %s %s: %s\n", opt, file,
                err ? "read error" : "over 1 MiB, not a PEM file");
        explicit_bzero(buf, n);
        free(buf);
        return -1;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

int sv_tls_load(sv_server *srv, const char *cert_file, const char *key_file)
{
    char *cert = NULL, *key = NULL;
    size_t cert_len = 0, key_len = 0;
    gnutls_x509_crt_t *crts = NULL;
    unsigned n_crts = 0;
    gnutls_x509_privkey_t pk = NULL;
    gnutls_certificate_credentials_t cred = NULL;
    int ret = -1, rc;

    if (read_pem("--tls-cert", cert_file, &cert, &cert_len) ||
        read_pem("--tls-key", key_file, &key, &key_len))
        goto done;
    gnutls_datum_t c = {(unsigned char *)cert, (unsigned)cert_len};
    gnutls_datum_t k = {(unsigned char *)key, (unsigned)key_len};
    rc = gnutls_x509_crt_list_import2(&crts, &n_crts, &c, GNUTLS_X509_FMT_PEM, 0);
    if (rc < 0 || n_crts == 0) {
        fprintf(stderr, "capa serve: --tls-cert %s: not a PEM certificate: %s\n", cert_file,
                rc < 0 ? gnutls_strerror(rc) : "none found");
        goto done;
    }
    if (gnutls_x509_privkey_init(&pk) < 0)
        goto oom;
    rc = gnutls_x509_privkey_import2(pk, &k, GNUTLS_X509_FMT_PEM, NULL, 0);
    if (rc < 0) {
        fprintf(stderr, "capa serve: --tls-key %s: not an unencrypted PEM private key: %s\n",
                key_file, gnutls_strerror(rc));
        goto done;
    }
    if (gnutls_certificate_allocate_credentials(&cred) < 0)
        goto oom;
    rc = gnutls_certificate_set_x509_key_mem2(cred, &c, &k, GNUTLS_X509_FMT_PEM, NULL, 0);
    if (rc < 0) {
        fprintf(stderr, "capa serve: --tls-key %s: not the key of the certificate in %s: %s\n",
                key_file, cert_file, gnutls_strerror(rc));
        goto done;
    }
    time_t now = time(NULL), until = gnutls_x509_crt_get_expiration_time(crts[0]);
    if (until != (time_t)-1 && until < now)
        fprintf(stderr, "capa serve: warning: --tls-cert %s: the certificate expired on %s",
                cert_file, ctime(&until));
    srv->tls_cert = cert;
    srv->tls_key = key;
    srv->tls_key_len = key_len;
    cert = key = NULL;
    srv->secure_cookie = 1; /* under TLS the cookies are Secure */
    ret = 0;
    goto done;
oom:
    fprintf(stderr, "capa serve: out of memory\n");
done:
    if (cred)
        gnutls_certificate_free_credentials(cred);
    if (pk)
        gnutls_x509_privkey_deinit(pk);
    for (unsigned i = 0; i < n_crts; i++)
        gnutls_x509_crt_deinit(crts[i]);
    gnutls_free(crts);
    free(cert);
    if (key)
        explicit_bzero(key, key_len);
    free(key);
    return ret;
}

void sv_tls_free(sv_server *srv)
{
    if (srv->tls_key)
        explicit_bzero(srv->tls_key, srv->tls_key_len);
    free(srv->tls_key);
    free(srv->tls_cert);
    srv->tls_key = srv->tls_cert = NULL;
}
