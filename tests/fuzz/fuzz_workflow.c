/*
 * fuzz_workflow.c - libFuzzer harness: arbitrary bytes as the workflow definition
 * (capa_workflow_parse), then the lookups the engine makes on a parsed workflow.
 */
#include "capa_form.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    capa_workflow *w = NULL;
    capa_diag d = {0};
    if (!ready)
        ready = capa_form_init() == CAPA_OK;
    int rc = capa_workflow_parse(&w, (const char *)data, size, "fuzz.xml", &d);
    if ((rc == CAPA_OK) != (w != NULL))
        abort();
    if (w) {
        for (size_t i = 0; i < w->n_stages; i++) {
            const capa_stage *st = &w->stages[i];
            if (capa_workflow_stage_index(w, st->id) < 0)
                abort();
            if (st->reject_to && !capa_workflow_stage(w, st->reject_to))
                abort(); /* a rejection must lead to a stage that exists */
            for (size_t k = 0; k < st->n_signers; k++)
                (void)capa_workflow_role(w, st->signers[k]);
        }
    }
    capa_workflow_free(w);
    capa_diag_clear(&d);
    return 0;
}
