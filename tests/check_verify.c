/*
 * check_verify.c - replay and compare: a clean store verifies with no mismatch; records
 * edited behind the engine's back (through raw LMDB writes in a transaction of their own)
 * are each named with their case, record and field; anchors hold or fail; large values are
 * stored compressed and still verify.
 */
#include <check.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "record.h"
#include "testutil.h"
#include "verify.h"

static char *dir;
static capa_store *s;
static char *num;

static void setup(void)
{
    s = tu_store(&dir, 1);
    num = tu_open_case(s, NULL);
    capa_actor w = tu_as("wang");
    capa_kv kv[] = {{"validity", "valid"}, {"containment", "隔离"}};
    OK(capa_case_set(s, num, &w, kv, 2, "客户电话确认"));
    OK(capa_case_sign(s, num, &w, "reviewed"));
}

static void teardown(void)
{
    capa_store_close(s);
    tu_rmtree(dir);
    free(dir);
    free(num);
}

/* Run fn in a write transaction of its own, as an editor of the files would. */
static void tamper(int (*fn)(capa_wtxn *, void *), void *arg)
{
    OK(capa_store__write(s, NULL, fn, arg));
}

static capa_verify_report *verify(const capa_verify_opts *o)
{
    capa_verify_report *r = NULL;
    OK(capa_store_verify(&r, s, o));
    ck_assert_ptr_nonnull(r);
    return r;
}

/* The report has a mismatch in `db` whose field (or record) and message say this. */
static void has(const capa_verify_report *r, const char *db, const char *field, const char *text)
{
    for (size_t i = 0; i < r->n_mismatches; i++) {
        const capa_mismatch *m = &r->mismatches[i];
        if (strcmp(m->db, db) == 0 && (!field || (m->field && strcmp(m->field, field) == 0)) &&
            strstr(m->message, text))
            return;
    }
    ck_abort_msg("no mismatch in %s/%s saying '%s' (%zu mismatches, first: %s)", db,
                 field ? field : "-", text, r->n_mismatches,
                 r->n_mismatches ? r->mismatches[0].message : "none");
}

START_TEST(clean_store_verifies_with_no_mismatch)
{
    capa_verify_report *r = verify(NULL);
    ck_assert_msg(r->ok, "%s", r->n_mismatches ? r->mismatches[0].message : "");
    ck_assert_uint_eq(r->n_total, 0);
    ck_assert_uint_eq(r->seq, tu_events(s));
    ck_assert_uint_eq(r->n_cases, 1);
    char head[65];
    tu_head(s, head);
    ck_assert_str_eq(r->head, head);
    capa_verify_report_free(r);
}
END_TEST

static int change_signer(capa_wtxn *t, void *arg)
{
    (void)arg;
    MDB_cursor *cur;
    MDB_val k, v;
    capa_signature g;
    ck_assert_int_eq(mdb_cursor_open(t->txn, t->s->dbi[DB_SIGS], &cur), 0);
    ck_assert_int_eq(mdb_cursor_get(cur, &k, &v, MDB_FIRST), 0);
    OK(capa_sig__decode(&g, v.mv_data, v.mv_size));
    capa__free(g.user);
    g.user = capa__strdup("chen");
    uint64_t id = capa_get_be64(k.mv_data);
    mdb_cursor_close(cur);
    int err = capa_sig__put(t->s, t->txn, id, &g);
    capa_signature_clear(&g);
    return err;
}

START_TEST(changed_signer_is_named_with_case_record_and_field)
{
    tamper(change_signer, NULL);
    capa_verify_report *r = verify(NULL);
    ck_assert(!r->ok);
    has(r, "signatures", "signer", "stored signer 'chen'");
    has(r, "signatures", "signer", "signature 1 (reviewed)");
    ck_assert_str_eq(r->mismatches[0].case_number, num);
    ck_assert_str_eq(r->mismatches[0].expected, "wang");
    capa_verify_report_free(r);
    /* The dossier's check refuses the case, naming the mismatch. */
    FAILS(capa_case_verify(s, num), CAPA_ECORRUPT, "stored signer 'chen'");
}
END_TEST

static int drop_customer_index(capa_wtxn *t, void *arg)
{
    (void)arg;
    return capa_store__del(t->txn, t->s->dbi[DB_IDX_CUSTOMER], "华东汽车", strlen("华东汽车"), NULL,
                           0);
}

START_TEST(deleted_index_entry_is_missing)
{
    tamper(drop_customer_index, NULL);
    capa_verify_report *r = verify(NULL);
    ck_assert(!r->ok);
    has(r, "idx_customer", NULL, "missing");
    capa_verify_report_free(r);
}
END_TEST

static int raise_role(capa_wtxn *t, void *arg)
{
    capa_user_rec u;
    OK(capa_user__get(t->s, t->txn, arg, &u));
    capa__free(u.u.role);
    u.u.role = capa__strdup("admin");
    int err = capa_user__put(t->s, t->txn, &u);
    capa_user_rec_clear(&u);
    return err;
}

START_TEST(raised_role_is_named)
{
    tamper(raise_role, "li");
    capa_verify_report *r = verify(NULL);
    ck_assert(!r->ok);
    has(r, "users", "role", "user li: stored role 'admin', the events say 'intake'");
    capa_verify_report_free(r);
}
END_TEST

static int copy_credential(capa_wtxn *t, void *arg)
{
    (void)arg;
    capa_user_rec a, b;
    OK(capa_user__get(t->s, t->txn, "wang", &a));
    OK(capa_user__get(t->s, t->txn, "chen", &b));
    memcpy(b.salt, a.salt, 16);
    memcpy(b.hash, a.hash, 32);
    int err = capa_user__put(t->s, t->txn, &b);
    capa_user_rec_clear(&a);
    capa_user_rec_clear(&b);
    return err;
}

START_TEST(copied_password_hash_is_named)
{
    tamper(copy_credential, NULL);
    capa_verify_report *r = verify(NULL);
    ck_assert(!r->ok);
    has(r, "users", "credential", "user chen: credential");
    capa_verify_report_free(r);
}
END_TEST

static int lower_counter(capa_wtxn *t, void *arg)
{
    (void)arg;
    char key[64];
    snprintf(key, sizeof key, "ctr:QC-%.4s-{}", num + 3);
    return capa_meta__put_u64(t->s, t->txn, key, 0);
}

START_TEST(lowered_counter_is_named)
{
    tamper(lower_counter, NULL);
    capa_verify_report *r = verify(NULL);
    ck_assert(!r->ok);
    has(r, "meta", NULL, "stored '0', the events say '1'");
    capa_verify_report_free(r);
}
END_TEST

START_TEST(anchors_hold_or_fail)
{
    char tok[128];
    capa_anchor a[2];
    OK(capa_anchor_current(tok, sizeof tok, s));
    OK(capa_anchor_parse(&a[0], tok));
    ck_assert_uint_eq(a[0].seq, tu_events(s));
    capa_verify_opts o = {.anchors = a, .n_anchors = 1};
    capa_verify_report *r = verify(&o);
    ck_assert(r->ok);
    capa_verify_report_free(r);
    /* A different hash at the same event, and an event this store does not have. */
    a[0].head[0] = a[0].head[0] == 'a' ? 'b' : 'a';
    a[1] = a[0];
    a[1].seq = 1000;
    o.n_anchors = 2;
    r = verify(&o);
    ck_assert(!r->ok);
    has(r, "events", NULL, "does not hold: event");
    has(r, "events", NULL, "this database has only");
    capa_verify_report_free(r);
}
END_TEST

START_TEST(anchor_tokens_are_parsed_strictly)
{
    capa_anchor a;
    FAILS(capa_anchor_parse(&a, ""), CAPA_EINVALID, "SEQ:HEX");
    FAILS(capa_anchor_parse(&a, "12"), CAPA_EINVALID, "SEQ:HEX");
    FAILS(capa_anchor_parse(&a, "0:00"), CAPA_EINVALID, "SEQ:HEX");
    FAILS(
        capa_anchor_parse(&a, "x:0000000000000000000000000000000000000000000000000000000000000000"),
        CAPA_EINVALID, "SEQ:HEX");
    FAILS(
        capa_anchor_parse(&a, "3:000000000000000000000000000000000000000000000000000000000000000G"),
        CAPA_EINVALID, "SEQ:HEX");
    OK(capa_anchor_parse(&a, "3:00000000000000000000000000000000000000000000000000000000000000ff"));
    ck_assert_uint_eq(a.seq, 3);
}
END_TEST

static int first_stage_raw(capa_wtxn *t, void *arg)
{
    unsigned char k[9];
    MDB_val v;
    uint64_t id;
    OK(capa__case_id(t->s, t->txn, num, &id));
    capa_stage__key(k, id, 1);
    OK(capa_store__get(t->txn, t->s->dbi[DB_STAGES], k, 9, &v));
    *(unsigned char *)arg = ((unsigned char *)v.mv_data)[0];
    return CAPA_OK;
}

/* Flip bit 0 of byte *arg of the first stage record (in a segmented record: the fields
 * around the long text, or its frame). */
static int flip_first_stage(capa_wtxn *t, void *arg)
{
    unsigned char k[9], buf[8192];
    MDB_val v;
    uint64_t id;
    OK(capa__case_id(t->s, t->txn, num, &id));
    capa_stage__key(k, id, 1);
    OK(capa_store__get(t->txn, t->s->dbi[DB_STAGES], k, 9, &v));
    ck_assert_uint_le(v.mv_size, sizeof buf);
    memcpy(buf, v.mv_data, v.mv_size);
    size_t at = *(size_t *)arg < v.mv_size ? *(size_t *)arg : v.mv_size - 1;
    buf[at] ^= 1;
    return capa_store__put(t->txn, t->s->dbi[DB_STAGES], k, 9, buf, v.mv_size, 0);
}

START_TEST(large_stage_records_are_compressed_and_verify)
{
    capa_actor c = tu_as("chen");
    char big[3900];
    memset(big, 0, sizeof big);
    for (size_t i = 0; i + 4 < sizeof big; i += 3)
        memcpy(big + i, "因", 3); /* a long, compressible analysis text */
    capa_kv kv = {"root_cause_occurrence", big};
    OK(capa_case_set(s, num, &c, &kv, 1, NULL));
    unsigned char first = 0;
    tamper(first_stage_raw, &first);
    ck_assert_uint_eq(first, CAPA_PACK_SEG); /* one long text: its own frame */
    capa_verify_report *r = verify(NULL);
    ck_assert_msg(r->ok, "%s", r->n_mismatches ? r->mismatches[0].message : "");
    capa_verify_report_free(r);
    capa_case *cs = NULL;
    OK(capa_case_get(&cs, s, num));
    ck_assert_str_eq(capa_case_value(cs, "analysis", "root_cause_occurrence"), big);
    capa_case_free(cs);
    /* A flipped bit in the raw fields before the text or at the record's end (the frame's
     * last bytes) is reported; flipped back, the record verifies again. */
    size_t spots[] = {6, (size_t)-1};
    for (size_t i = 0; i < 2; i++) {
        tamper(flip_first_stage, &spots[i]);
        r = verify(NULL);
        ck_assert_msg(!r->ok, "flip at %zu not reported", spots[i]);
        capa_verify_report_free(r);
        tamper(flip_first_stage, &spots[i]);
        r = verify(NULL);
        ck_assert_msg(r->ok, "%s", r->n_mismatches ? r->mismatches[0].message : "");
        capa_verify_report_free(r);
    }
}
END_TEST

/* Delete the stage-0 record of each case number in the NULL-terminated list. */
static int drop_first_stages(capa_wtxn *t, void *arg)
{
    for (char **n = arg; *n; n++) {
        unsigned char k[9];
        uint64_t id;
        OK(capa__case_id(t->s, t->txn, *n, &id));
        capa_stage__key(k, id, 0);
        OK(capa_store__del(t->txn, t->s->dbi[DB_STAGES], k, 9, NULL, 0));
    }
    return CAPA_OK;
}

/* Stage records are compared in two halves split at the middle case id, one per thread
 * (verify.c). Records on either side and at the split itself are each found, and the
 * report lists them in key order, as one thread would. */
START_TEST(stage_records_on_both_sides_of_the_split_are_named_in_order)
{
    char *n[5] = {num, tu_open_case(s, NULL), tu_open_case(s, NULL), tu_open_case(s, NULL), 0};
    /* ids 1..4: next_id is 5, the split is at id 3. Drop the records of 4, 1 and 3. */
    char *drop[4] = {n[3], n[0], n[2], NULL};
    tamper(drop_first_stages, drop);
    capa_verify_report *r = verify(NULL);
    ck_assert(!r->ok);
    const char *want[3] = {n[0], n[2], n[3]};
    size_t k = 0;
    for (size_t i = 0; i < r->n_mismatches; i++) {
        const capa_mismatch *m = &r->mismatches[i];
        if (strcmp(m->db, "stages") != 0)
            continue;
        ck_assert_msg(k < 3, "more stage mismatches than records dropped: %s", m->message);
        ck_assert_ptr_nonnull(m->case_number);
        ck_assert_str_eq(m->case_number, want[k]);
        k++;
    }
    ck_assert_uint_eq(k, 3);
    capa_verify_report_free(r);
    for (int i = 1; i < 4; i++)
        free(n[i]);
}
END_TEST

/* verify16d: the index entries are replayed into sorted runs (verify.c, ix_main). With an
 * arena of ~1.3 KiB every few operations make a run of their own, so an entry's put and the
 * delete that cancels it (a stage left, a customer changed) fall in different runs, most of
 * them in files of the scratch directory: the merged runs equal the stored indexes, and an
 * entry missing, added or pointing at another case is named with its index and case. */
static uint64_t ids[6];

static int tamper_indexes(capa_wtxn *t, void *arg)
{
    (void)arg;
    unsigned char v[8];
    capa_be64(v, ids[1]); /* missing: case 2's customer entry */
    OK(capa_store__del(t->txn, t->s->dbi[DB_IDX_CUSTOMER], "华南电机", strlen("华南电机"), v, 8));
    capa_be64(v, ids[0]); /* added: a part number no event gave case 1 */
    OK(capa_store__put(t->txn, t->s->dbi[DB_IDX_PART], "PCB-0000", 8, v, 8, 0));
    capa_be64(v, ids[4]); /* changed: case 5's defect code entry, one letter */
    OK(capa_store__del(t->txn, t->s->dbi[DB_IDX_DEFECT], "SOLDER-BRIDGE", 13, v, 8));
    return capa_store__put(t->txn, t->s->dbi[DB_IDX_DEFECT], "SOLDER-BRLDGE", 13, v, 8, 0);
}

static int case_ids(capa_wtxn *t, void *arg)
{
    char **n = arg;
    for (int i = 0; i < 6; i++)
        OK(capa__case_id(t->s, t->txn, n[i], &ids[i]));
    return CAPA_OK;
}

START_TEST(index_entries_in_many_runs_verify_and_are_named)
{
    char *n[6] = {num};
    capa_actor li = tu_as("li"), w = tu_as("wang");
    for (int i = 1; i < 6; i++) {
        n[i] = tu_open_case(s, NULL);
        /* the customer changed: idx_customer's entry deleted and another put */
        capa_kv c[] = {{"customer", i % 2 ? "华南电机" : "北方重工"}};
        OK(capa_case_set(s, n[i], &li, c, 1, NULL));
        capa_kv kv[] = {{"validity", "valid"}, {"containment", "隔离"}};
        OK(capa_case_set(s, n[i], &w, kv, 2, NULL));
        if (i != 3) /* the stage left: idx_stage's entry deleted and the next one put */
            OK(capa_case_sign(s, n[i], &w, "reviewed"));
    }
    /* Many runs (an arena of one operation of the largest size), many runs merged into one
     * whenever there are two, and one run (sorted by radix: more entries than a bucket). */
    static const size_t limits[3][2] = {{1, 1000}, {1, 2}, {0, 0}};
    capa_verify_report *r;
    for (int l = 0; l < 3; l++) {
        capa__verify_ix_limits(limits[l][0], limits[l][1]);
        r = verify(NULL);
        ck_assert_msg(r->ok, "%s", r->n_mismatches ? r->mismatches[0].message : "");
        capa_verify_report_free(r);
    }
    tamper(case_ids, n);
    tamper(tamper_indexes, NULL);
    for (int l = 0; l < 3; l++) {
        capa__verify_ix_limits(limits[l][0], limits[l][1]);
        r = verify(NULL);
        ck_assert(!r->ok);
        ck_assert_uint_eq(r->n_total, 4);
        has(r, "idx_customer", NULL, "entry '华南电机' -> case");
        has(r, "idx_customer", NULL, "missing (the case would vanish from lists)");
        has(r, "idx_part", NULL, "entry 'PCB-0000' -> case");
        has(r, "idx_part", NULL, "stored, but no event explains it");
        has(r, "idx_defect", NULL, "entry 'SOLDER-BRIDGE' -> case");
        has(r, "idx_defect", NULL, "missing");
        has(r, "idx_defect", NULL, "entry 'SOLDER-BRLDGE' -> case");
        has(r, "idx_defect", NULL, "stored, but no event explains it");
        for (size_t i = 0; i < r->n_mismatches; i++) {
            const capa_mismatch *m = &r->mismatches[i];
            const char *want = strcmp(m->db, "idx_customer") == 0 ? n[1]
                               : strcmp(m->db, "idx_part") == 0   ? n[0]
                                                                  : n[4];
            ck_assert_ptr_nonnull(m->case_number);
            ck_assert_msg(strcmp(m->case_number, want) == 0, "%s: case %s, not %s", m->message,
                          m->case_number, want);
        }
        capa_verify_report_free(r);
    }
    for (int i = 1; i < 6; i++)
        free(n[i]);
}
END_TEST

Suite *capa_verify_suite(void)
{
    Suite *su = suite_create("verify");
    TCase *tc = tcase_create("replay");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, clean_store_verifies_with_no_mismatch);
    tcase_add_test(tc, changed_signer_is_named_with_case_record_and_field);
    tcase_add_test(tc, deleted_index_entry_is_missing);
    tcase_add_test(tc, raised_role_is_named);
    tcase_add_test(tc, copied_password_hash_is_named);
    tcase_add_test(tc, lowered_counter_is_named);
    tcase_add_test(tc, anchors_hold_or_fail);
    tcase_add_test(tc, anchor_tokens_are_parsed_strictly);
    tcase_add_test(tc, large_stage_records_are_compressed_and_verify);
    tcase_add_test(tc, stage_records_on_both_sides_of_the_split_are_named_in_order);
    tcase_add_test(tc, index_entries_in_many_runs_verify_and_are_named);
    suite_add_tcase(su, tc);
    return su;
}
