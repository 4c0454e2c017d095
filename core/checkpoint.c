/*
 * checkpoint.c - `capa checkpoint`: the chain head signed with the organisation's key and
 * appended as an event, so that the history up to it can be checked against the key's
 * owner and not only against the database itself (verify.c checks every checkpoint).
 *
 * A checkpoint is made only of a store that verified just before (the whole replay), and
 * signs beside the head the roots of the case proof (caseproof.c, docs/case-proof.md): a
 * dossier then checks one case against them instead of replaying every case.
 */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

#include "codec.h"
#include "commit.h"
#include "caseproof.h"
#include "event.h"
#include "verify.h"

typedef struct ck_arg {
    EVP_PKEY *key;
    const char *actor;
    uint64_t verified; /* the head the full verify just accepted */
    uint64_t seq;
} ck_arg;

static int do_checkpoint(capa_wtxn *t, void *arg)
{
    ck_arg *a = arg;
    uint64_t seq;
    unsigned char h[32], *der = NULL, *sig = NULL;
    char head[65], seqs[32], text[600], roots[3][65];
    capa_proof_roots pr;
    size_t siglen = 0;
    capa_event_rec e = {0};
    EVP_MD_CTX *md = NULL;
    int err = capa_store__require_init(t->s, t->txn);
    if (err || (err = capa_event__head(t->s, t->txn, &seq, h)))
        return err;
    if (seq != a->verified)
        return capa_error_set(CAPA_ESTATE,
                              "checkpoint: the store changed while it was verified (head %llu, "
                              "verified up to %llu): run it again",
                              (unsigned long long)seq, (unsigned long long)a->verified);
    if ((err = capa_proof__update(t, NULL, seq, &pr)))
        return err;
    capa__hex(roots[0], pr.cases, 32);
    capa__hex(roots[1], pr.recur, 32);
    capa__hex(roots[2], pr.store, 32);
    capa__hex(head, h, 32);
    snprintf(seqs, sizeof seqs, "%llu", (unsigned long long)seq);
    capa_proof__checkpoint_text(text, sizeof text, seqs, head, roots[0], roots[1], roots[2],
                                t->now);
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
    capa_event__fact(&e, "ck_cases", roots[0]);
    capa_event__fact(&e, "ck_recur", roots[1]);
    capa_event__fact(&e, "ck_store", roots[2]);
    /* The proof keeps the store's records as signed here and each case's before its first
     * change: a dossier replays what came after on top of them (caseproof.c). */
    capa_event__fact(&e, "ck_keep", "1");
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
    /* Sign only what verified: the whole replay first, and the head it accepted must still
     * be the head when the checkpoint is written. */
    capa_verify_report *r = NULL;
    if ((err = capa_store_verify(&r, s, NULL))) {
        EVP_PKEY_free(key);
        return err;
    }
    if (!r->ok) {
        err = capa_error_set(CAPA_ECORRUPT,
                             "checkpoint refused: the store does not verify against its audit "
                             "trail: %s",
                             r->n_mismatches ? r->mismatches[0].message : "(no detail kept)");
        capa_verify_report_free(r);
        EVP_PKEY_free(key);
        return err;
    }
    ck_arg a = {key, actor, r->seq, 0};
    capa_verify_report_free(r);
    err = capa_store__write(s, NULL, do_checkpoint, &a);
    EVP_PKEY_free(key);
    if (!err && out_seq)
        *out_seq = a.seq;
    return err;
}
