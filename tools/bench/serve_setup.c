/*
 * serve_setup.c - bench-serve-setup DIR CASES: the store tools/bench/serve-bench loads capa
 * serve with. Users admin, li (intake) and wang (qe), password "bench-password", hashed at
 * the lowest scrypt cost (kdf_log2n = 1, as capa-bench's capa peer): every change through
 * the server re-authenticates its actor, and at the default cost scrypt, not the server or
 * the storage engine, would be measured. Then CASES cases opened in batches of 1000 through
 * capa_submit. Prints the number of the first case.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capa.h"

#define PW "bench-password"

static int die(const char *what)
{
    fprintf(stderr, "bench-serve-setup: %s: %s\n", what, capa_error_last());
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: bench-serve-setup DIR CASES\n");
        return 2;
    }
    long cases = strtol(argv[2], NULL, 10);
    if (cases < 1 || cases > 1000000) {
        fprintf(stderr, "bench-serve-setup: CASES: 1 to 1000000\n");
        return 2;
    }
    capa_form_init();
    capa_store *s = NULL;
    capa_open_opts oo = {.create = 1, .kdf_log2n = 1};
    if (capa_store_open(&s, argv[1], &oo))
        return die(argv[1]);
    capa_init_opts io = {.org = "capa serve bench", .admin_password = PW};
    capa_actor admin = {"admin", PW};
    if (capa_store_init(s, &io) || capa_user_add(s, &admin, "li", "intake", "李娜", "客服部", PW) ||
        capa_user_add(s, &admin, "wang", "qe", "王伟", "品管部", PW))
        return die("init");
    capa_kv kv[] = {{"customer", "华东汽车"},
                    {"part_no", "PCB-7731"},
                    {"lot_no", "L-BENCH"},
                    {"qty_affected", "120"},
                    {"defect_code", "SOLDER"},
                    {"severity", "important"},
                    {"description", "焊点连锡 / solder bridge"}};
    capa_request *rq = calloc(1000, sizeof *rq);
    char first[64] = "";
    for (long done = 0; rq && done < cases;) {
        size_t n = cases - done < 1000 ? (size_t)(cases - done) : 1000;
        for (size_t i = 0; i < n; i++)
            rq[i] = (capa_request){.op = CAPA_OP_OPEN,
                                   .who = {"li", PW},
                                   .values = kv,
                                   .n_values = sizeof kv / sizeof kv[0]};
        if (capa_submit(s, rq, n))
            return die("open");
        if (!first[0])
            snprintf(first, sizeof first, "%s", rq[0].number_out);
        for (size_t i = 0; i < n; i++)
            capa_request_clear(&rq[i]);
        done += (long)n;
    }
    free(rq);
    capa_store_close(s);
    printf("%s\n", first);
    return 0;
}
