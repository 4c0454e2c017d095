/*
 * cmd_verify.c - `capa verify`: the whole store checked against its audit trail. The chain
 * is walked, every anchor given (--anchor SEQ:HEX, repeatable) and every checkpoint checked,
 * every event replayed and every record compared. Prints the head hash (`capa anchor` prints
 * it as the token SEQ:HEX) and exits 0 when all holds; otherwise lists every mismatch (case,
 * record, field, stored value, what the events say) and exits 1.
 */
#include "cli.h"
#include "lang.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static json_t *opt_str(const char *s)
{
    return s ? cli_json_str(s) : json_null();
}

/* Where the certificate checkpoints were checked against came from. */
enum cert_source { CERT_NONE, CERT_AUDITOR, CERT_STORE };

static json_t *cert_json(const char *path, enum cert_source src)
{
    json_t *o = src == CERT_NONE ? NULL : json_object();
    if (src == CERT_NONE)
        return json_null();
    if (!o || cli_json_set(o, "path", cli_json_str(path)) ||
        cli_json_set(o, "source", cli_json_str(src == CERT_AUDITOR ? "auditor" : "store"))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int print_json(cli *c, const capa_verify_report *r, const char *cert, enum cert_source src)
{
    json_t *o = json_object(), *list = json_array(), *skipped = json_array();
    int bad = !o || !list || !skipped;
    for (size_t i = 0; !bad && i < r->n_mismatches; i++) {
        const capa_mismatch *m = &r->mismatches[i];
        json_t *j = json_object();
        bad = !j || cli_json_set(j, "case", opt_str(m->case_number)) ||
              cli_json_set(j, "db", opt_str(m->db)) ||
              cli_json_set(j, "record", opt_str(m->record)) ||
              cli_json_set(j, "field", opt_str(m->field)) ||
              cli_json_set(j, "stored", opt_str(m->stored)) ||
              cli_json_set(j, "expected", opt_str(m->expected)) ||
              cli_json_set(j, "seq", m->seq ? json_integer((json_int_t)m->seq) : json_null()) ||
              cli_json_set(j, "message", opt_str(m->message)) || cli_json_push(list, j);
    }
    for (size_t i = 0; !bad && i < r->n_skipped; i++)
        bad = cli_json_push(skipped, cli_json_str(r->skipped[i]));
    uint64_t first = r->bad_seq ? r->bad_seq : r->n_mismatches ? r->mismatches[0].seq : 0;
    if (bad || cli_json_set(o, "ok", json_boolean(r->ok)) ||
        cli_json_set(o, "seq", json_integer((json_int_t)r->seq)) ||
        cli_json_set(o, "head", r->ok ? cli_json_str(r->head) : json_null()) ||
        cli_json_set(o, "events", json_integer((json_int_t)r->seq)) ||
        cli_json_set(o, "cases", json_integer((json_int_t)r->n_cases)) ||
        cli_json_set(o, "checkpoints", json_integer((json_int_t)r->n_checkpoints)) ||
        cli_json_set(o, "certificate", cert_json(cert, src)) ||
        cli_json_set(o, "bad_seq", r->ok ? json_null() : json_integer((json_int_t)first)) ||
        cli_json_set(o, "error", r->ok ? json_null() : cli_json_str(r->mismatches[0].message)) ||
        cli_json_set(o, "mismatch_count", json_integer((json_int_t)r->n_total)) ||
        cli_json_set(o, "mismatches", list) || cli_json_set(o, "skipped", skipped)) {
        json_decref(o);
        o = NULL;
    }
    return cli_json_print(c, o);
}

int cmd_verify(cli *c, int argc, char **argv)
{
    const char *cert = NULL;
    const cli_opt opts[] = {
        {"--json", NULL, &c->json}, {"--cert", &cert, NULL}, {NULL, NULL, NULL}};
    int npos, rc = CLI_OK, err;
    capa_store *s = NULL;
    capa_verify_report *r = NULL;
    capa_anchor *anchors = calloc((size_t)argc + 1, sizeof *anchors);
    size_t n_anchors = 0;
    char crt[4096];
    if (!anchors)
        return cli_oom(NULL, "verify");
    /* --anchor may be given many times: take them out before the common parser. */
    int m = 0;
    for (int i = 0; i < argc; i++) {
        const char *tok = NULL;
        if (strcmp(argv[i], "--anchor") == 0 && i + 1 < argc)
            tok = argv[++i];
        else if (strncmp(argv[i], "--anchor=", 9) == 0)
            tok = argv[i] + 9;
        else if (strcmp(argv[i], "--anchor") == 0) {
            free(anchors);
            return cli_usage_rule(c, "cli.anchor", NULL, "option", "--anchor", NULL);
        } else {
            argv[m++] = argv[i];
            continue;
        }
        if (capa_anchor_parse(&anchors[n_anchors], tok) != CAPA_OK) {
            free(anchors);
            return cli_usage_rule(c, "cli.anchor_bad", tok, "option", "--anchor", NULL);
        }
        n_anchors++;
    }
    argc = m;
    if (cli_parse(c, argc, argv, opts, &npos) != CLI_OK) {
        free(anchors);
        return c->help ? CLI_OK : CLI_USAGE;
    }
    if (npos > 0) {
        free(anchors);
        return cli_unexpected(c, argv[0]);
    }
    /* Checkpoints are checked against the certificate the auditor brought (--cert), else
     * against the store's own, which whoever can write the store can replace too: the
     * output says which. With neither, no checkpoint can be checked and verify fails. */
    enum cert_source src = cert ? CERT_AUDITOR : CERT_NONE;
    cli_keys_path(c, crt, sizeof crt, "org.crt");
    if (!cert && access(crt, R_OK) == 0)
        cert = crt, src = CERT_STORE;
    if ((rc = cli_store_open(&s, c, 0, 1)) != CLI_OK)
        goto done;
    capa_verify_opts o = {
        .anchors = anchors, .n_anchors = n_anchors, .cert_path = cert, .cert_required = 1};
    if ((err = capa_store_verify(&r, s, &o)) != CAPA_OK) {
        rc = cli_fail(c, "verify", err);
        goto done;
    }
    if (c->json) {
        rc = print_json(c, r, cert, src);
        if (rc == CLI_OK && !r->ok)
            rc = CLI_ERROR;
        goto done;
    }
    for (size_t i = 0; i < r->n_skipped; i++)
        cli_note_rule(c, "verify", "cli.verify_skipped", "name", r->skipped[i], NULL);
    char nck[24];
    snprintf(nck, sizeof nck, "%llu", (unsigned long long)r->n_checkpoints);
    if (src == CERT_STORE && r->n_checkpoints)
        cli_note_rule(c, "verify", "cli.verify_own_cert", "count", nck, "cert", crt, "option",
                      "--cert FILE", NULL);
    else if (src == CERT_NONE && r->n_checkpoints)
        cli_note_rule(c, "verify", "cli.verify_no_cert", "cert", crt, "option", "--cert FILE",
                      NULL);
    if (r->ok) {
        printf("%s\n", r->head);
        goto done;
    }
    cli_mismatches(c, "verify", r, r->n_mismatches);
    char n[24];
    snprintf(n, sizeof n, "%zu", r->n_total);
    cli_error_rule(c, "verify", "cli.mismatches", "count", n, NULL);
    rc = CLI_ERROR;
done:
    free(anchors);
    capa_verify_report_free(r);
    capa_store_close(s);
    return rc;
}

int cmd_anchor(cli *c, int argc, char **argv)
{
    const cli_opt opts[] = {{NULL, NULL, NULL}};
    int npos, rc, err;
    capa_store *s = NULL;
    char tok[128];
    CLI_PARSE(c, argc, argv, opts, &npos);
    if (npos > 0)
        return cli_unexpected(c, argv[0]);
    if ((rc = cli_store_open(&s, c, 0, 1)) != CLI_OK)
        return rc;
    if ((err = capa_anchor_current(tok, sizeof tok, s)) != CAPA_OK)
        rc = cli_fail(c, "anchor", err);
    else
        printf("%s\n", tok);
    capa_store_close(s);
    return rc;
}

int cmd_checkpoint(cli *c, int argc, char **argv)
{
    const char *key = NULL;
    const cli_opt opts[] = {{"--key", &key, NULL}, {NULL, NULL, NULL}};
    int npos, rc, err;
    capa_store *s = NULL;
    char path[4096];
    uint64_t seq = 0;
    CLI_PARSE(c, argc, argv, opts, &npos);
    if (npos > 0)
        return cli_unexpected(c, argv[0]);
    if (!key)
        key = cli_keys_path(c, path, sizeof path, "org.key");
    if ((rc = cli_store_open(&s, c, 0, 0)) != CLI_OK)
        return rc;
    if ((err = capa_checkpoint(s, key, &seq)) != CAPA_OK) {
        rc = cli_fail(c, "checkpoint", err);
    } else {
        char tok[128];
        capa_anchor_current(tok, sizeof tok, s);
        char ev[24];
        snprintf(ev, sizeof ev, "%llu", (unsigned long long)seq);
        cli_say_rule(c, "say.checkpoint", "event", ev, "anchor", tok, NULL);
    }
    capa_store_close(s);
    return rc;
}
