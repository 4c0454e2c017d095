/*
 * fuzz_formdef.c - libFuzzer harness: arbitrary bytes as a form definition
 * (capa_formdef_parse: XML parse, XSD validation, semantic checks). Whatever the input, the
 * parser must return CAPA_OK with a form or an error without one, and leak nothing.
 */
#include "capa_form.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    capa_formdef *f = NULL;
    capa_diag d = {0};
    if (!ready)
        ready = capa_form_init() == CAPA_OK;
    int rc = capa_formdef_parse(&f, (const char *)data, size, "fuzz.xml", &d);
    if ((rc == CAPA_OK) != (f != NULL))
        abort();
    if (f)
        for (size_t i = 0; i < f->n_fields; i++)
            (void)capa_ftype_name(f->fields[i].type);
    capa_formdef_free(f);
    capa_diag_clear(&d);
    return 0;
}
