/*
 * fuzz_mapping.c - libFuzzer harness: arbitrary bytes as a sheet mapping
 * (capa_mapping_parse: safe XML parse, mapping.xsd, semantic checks), then, when it parses,
 * its header binding and date reading on a few cells. Whatever the input, parse returns
 * CAPA_OK with a mapping or an error without one, and nothing leaks or overruns.
 */
#include "capa_mapping.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    static const char *const cells[] = {"2023/6/15", "2023-06-15 23:52", "15-Jun-23", "45092.5",
                                        "", " 案号 ", "已结案", "\xEF\xBB\xBF客户名称"};
    capa_mapping *m = NULL;
    capa_diag d = {0};
    if (!ready)
        ready = capa_form_init() == CAPA_OK;
    int rc = capa_mapping_parse(&m, (const char *)data, size, "fuzz.xml", &d);
    if ((rc == CAPA_OK) != (m != NULL))
        abort();
    if (m) {
        capa_map_binding b;
        capa_diag bd = {0}, ig = {0};
        if (capa_mapping_bind(&b, m, cells, sizeof cells / sizeof *cells, &bd, &ig) != CAPA_ENOMEM)
            capa_map_binding_clear(&b);
        for (size_t i = 0; i < m->n_columns; i++)
            for (size_t k = 0; k < sizeof cells / sizeof *cells; k++) {
                capa_sheet_date dt;
                char why[200];
                if (capa_mapping_date(&dt, m, &m->columns[i], cells[k], why, sizeof why) &&
                    (dt.month < 1 || dt.month > 12 || dt.day < 1 || dt.day > 31))
                    abort();
                (void)capa_mapping_value(&m->columns[i], cells[k]);
            }
        capa_diag_clear(&bd);
        capa_diag_clear(&ig);
    }
    capa_mapping_free(m);
    capa_diag_clear(&d);
    return 0;
}
