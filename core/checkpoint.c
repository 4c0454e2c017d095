/*
 * checkpoint.c - `capa checkpoint`: the chain head signed with the organisation's key and
 * appended as an event, so that the history up to it can be checked against the key's
 * owner and not only against the database itself (verify.c checks every checkpoint).
 */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

#include "codec.h"
#include "commit.h"
#include "event.h"

typedef struct ck_arg {
    EVP_PKEY *key;
    const char *actor;
    uint64_t seq;
} ck_arg;

static int do_checkpoint(capa_wtxn *t, void *arg)
{
    ck_arg *a = arg;
    uint64_t seq;
    unsigned char h[32], *der = NULL, *sig = NULL;
    char head[65], seqs[32], text[300];
    size_t siglen = 0;
    capa_event_rec e = {0};
    EVP_MD_CTX *md = NULL;
    int err = capa_store__require_init(t->s, t->txn);
    if (err || (err = capa_event__head(t->s, t->txn, &seq, h)))
        return err;
    capa__hex(head, h, 32);
    snprintf(seqs, sizeof seqs, "%llu", (unsigned long long)seq);
    snprintf(text, sizeof text, "capa-checkpoint-v1\n%s\n%s\n%lld\n", seqs, head,
             (long long)t->now);
    int derlen = i2d_PUBKEY(a->key, &der);
    if (derlen <= 0 || !(md = EVP_MD_CTX_new()) ||
        EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, a->key) != 1 ||
        EVP_DigestSign(md, NULL, &siglen, (const unsigned char *)text, strlen(text)) != 1 ||
        !(sig = capa__malloc(siglen)) ||
        EVP_DigestSign(md, sig, &siglen, (const unsigned char *)text, strlen(text)) != 1) {
        err = capa_error_set(CAPA_ERROR, "checkpoint: signing failed");
        goto done;
    }
    char *hk = capa__malloc(2 * (size_t)derlen + 1), *hs = capa__malloc(2 * siglen + 1);
    if (!hk || !hs) {
        capa__free(hk);
        capa__free(hs);
        err = capa_error_set(CAPA_ENOMEM, "checkpoint: out of memory");
        goto done;
    }
    capa__hex(hk, der, (size_t)derlen);
    capa__hex(hs, sig, siglen);
    char token[120];
    snprintf(token, sizeof token, "%s:%s", seqs, head);
    capa_event__init(&e, a->actor, "checkpoint", NULL, NULL, NULL);
    capa_event__change(&e, "checkpoint", NULL, token);
    capa_event__fact(&e, "ck_seq", seqs);
    capa_event__fact(&e, "ck_head", head);
    capa_event__fact(&e, "signature", hs);
    capa_event__fact(&e, "key", hk);
    capa__free(hk);
    capa__free(hs);
    if ((err = capa_event__commit(t, &e, NULL)) == CAPA_OK)
        a->seq = e.ev.seq;
done:
    capa_event__clear(&e);
    EVP_MD_CTX_free(md);
    OPENSSL_free(der);
    capa__free(sig);
    return err;
}

int capa_checkpoint(capa_store *s, const char *key_path, uint64_t *out_seq)
{
    char actor[80];
    if (out_seq)
        *out_seq = 0;
    int err = capa_store__os_actor(s, actor, sizeof actor, "checkpoint");
    if (err)
        return err;
    FILE *f = key_path ? fopen(key_path, "r") : NULL;
    if (!f)
        return capa_error_set(CAPA_ENOTFOUND, "checkpoint: signing key %s: cannot be read",
                              key_path ? key_path : "(none given)");
    EVP_PKEY *key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    if (!key)
        return capa_error_set(CAPA_EINVALID, "checkpoint: %s: not a PEM private key", key_path);
    ck_arg a = {key, actor, 0};
    err = capa_store__write(s, NULL, do_checkpoint, &a);
    EVP_PKEY_free(key);
    if (!err && out_seq)
        *out_seq = a.seq;
    return err;
}
