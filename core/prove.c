/*
 * prove.c - what a signed output may be made from. A dossier, a case archive and the
 * monthly report print facts an auditor takes as the trail's; each is made only after a
 * replay of the whole trail (capa_store_verify) found nothing that would change what it
 * prints. For one case that is more than its own records: the meta values every output
 * prints or computes with (the organisation, the chain head the anchor names, the plant's
 * zone, the recurrence window) and the records its recurrence answer (再发) reads - another
 * case's header and its idx_part / idx_defect entries where that case has the same part
 * and defect. For the monthly report, made from the headers of every case, it is the whole
 * store.
 */
#include <stdio.h>
#include <string.h>

#include "record.h"
#include "store.h"

/* Meta records that only number what comes next: no output prints them, and a wrong one is
 * refused where it is used (the next open). Every other meta record concerns every output. */
static int counter_key(const char *key)
{
    return key && (strncmp(key, "ctr:", 4) == 0 || strcmp(key, "next_id") == 0 ||
                   strncmp(key, "import:", 7) == 0);
}

static int same(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* Does stored case `number` have part `part` and defect `defect` (or can that not be told)? */
static int stored_has(capa_store *s, MDB_txn *txn, const char *number, const char *part,
                      const char *defect)
{
    uint64_t id;
    capa_hdr h;
    if (!number || capa__case_id(s, txn, number, &id) != CAPA_OK ||
        capa_hdr__get(s, txn, id, &h) != CAPA_OK)
        return 1; /* a header that cannot be read counts: refuse rather than guess */
    int yes = h.part_no && h.defect_code && strcmp(h.part_no, part) == 0 &&
              strcmp(h.defect_code, defect) == 0;
    capa_hdr_clear(&h);
    return yes;
}

/* Could mismatch `m` (of another case) change the recurrence answer of case `h`? */
static int touches_recurrence(capa_store *s, MDB_txn *txn, const capa_hdr *h,
                              const capa_mismatch *m)
{
    const char *part = h->part_no, *defect = h->defect_code;
    if (!part || !*part || !defect || !*defect)
        return 0; /* the case states no recurrence at all */
    if (strcmp(m->db, "cases") == 0) {
        /* A header present on one side only, or undecodable: it may be a candidate. */
        if (!m->field)
            return 1;
        /* The part or defect itself changed to or from this case's. */
        if ((strcmp(m->field, "part_no") == 0 &&
             (same(m->stored, part) || same(m->expected, part))) ||
            (strcmp(m->field, "defect_code") == 0 &&
             (same(m->stored, defect) || same(m->expected, defect))))
            return 1;
        /* Any other field (opened, workflow, ...) of a case with the same part and defect:
         * the stored and replayed part and defect agree here, so the stored ones decide. */
        return stored_has(s, txn, m->case_number, part, defect);
    }
    /* An entry added for a case whose header does not match changes nothing (the header of
     * every candidate is read); one deleted (or added) for a case with the same part and
     * defect hides (or adds) a recurrence, whatever key it is under. */
    if (strcmp(m->db, "idx_part") == 0 || strcmp(m->db, "idx_defect") == 0)
        return stored_has(s, txn, m->case_number, part, defect);
    return 0;
}

const capa_mismatch *capa_verify_report_concerns_output(const capa_verify_report *r, capa_store *s,
                                                        const char *number)
{
    const capa_mismatch *m = capa_verify_report_concerns(r, number);
    MDB_txn *txn = NULL;
    capa_hdr h = {0};
    uint64_t id;
    int have = 0;
    if (m || !r || r->ok)
        return m;
    if (capa_store__read_begin(s, &txn) == CAPA_OK && number &&
        capa__case_id(s, txn, number, &id) == CAPA_OK && capa_hdr__get(s, txn, id, &h) == CAPA_OK)
        have = 1;
    for (size_t i = 0; i < r->n_mismatches && !m; i++) {
        const capa_mismatch *x = &r->mismatches[i];
        if (strcmp(x->db, "meta") == 0 && !counter_key(x->record))
            m = x;
        else if (strcmp(x->db, "proof") == 0)
            m = x; /* what signed checkpoints commit to: a dossier may be made from it */
        else if (have && touches_recurrence(s, txn, &h, x))
            m = x;
        else if (!have && (strcmp(x->db, "cases") == 0 || strncmp(x->db, "idx_", 4) == 0))
            m = x; /* the case's own header unreadable: nothing to narrow by */
    }
    /* Mismatches beyond those the report kept: the output cannot be cleared of them. */
    if (!m && r->n_total > r->n_mismatches)
        m = &r->mismatches[0];
    if (have)
        capa_hdr_clear(&h);
    if (txn)
        capa_store__read_end(s, txn);
    return m;
}

int capa_case_prove(capa_store *s, const char *number)
{
    capa_verify_report *r = NULL;
    int err = capa_store_verify(&r, s, NULL);
    if (err)
        return err;
    const capa_mismatch *m = capa_verify_report_concerns_output(r, s, number);
    if (m)
        err = capa_error_set(CAPA_ECORRUPT, "case %s does not verify against the audit trail: %s",
                             number, m->message);
    capa_verify_report_free(r);
    return err;
}

int capa_case_prove_ex(capa_store *s, const char *number, const char *cert_path,
                       capa_case_proof *out)
{
    capa_case_proof own;
    if (!out)
        out = &own;
    int err = capa_case_proof_check(s, number, cert_path, out);
    if (err || out->fast)
        return err;
    return capa_case_prove(s, number);
}

int capa_store_prove(capa_store *s, capa_anchor *out)
{
    capa_verify_report *r = NULL;
    int err = capa_store_verify(&r, s, NULL);
    if (out)
        memset(out, 0, sizeof *out);
    if (err)
        return err;
    if (!r->ok) {
        const char *msg = r->n_mismatches ? r->mismatches[0].message : "(no detail kept)";
        if (r->n_total > 1)
            err = capa_error_set(CAPA_ECORRUPT,
                                 "the store does not verify against its audit trail: %s (and "
                                 "%zu more: capa verify lists them all)",
                                 msg, r->n_total - 1);
        else
            err = capa_error_set(CAPA_ECORRUPT,
                                 "the store does not verify against its audit trail: %s", msg);
    } else if (out) {
        out->seq = r->seq;
        memcpy(out->head, r->head, sizeof out->head);
    }
    capa_verify_report_free(r);
    return err;
}
