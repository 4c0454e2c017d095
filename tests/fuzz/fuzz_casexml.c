/*
 * fuzz_casexml.c - libFuzzer harness: arbitrary bytes as a case archive (capa export's XML,
 * read by capa import --xml and by the replay of an import event): safe parse, case.xsd,
 * the parser's own checks, then every event re-encoded and chained as import does. Whatever
 * the input, the parser must return CAPA_OK with an archive or an error without one, and
 * leak nothing.
 */
#include "archive.h"
#include "codec.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    capa_archive *a = NULL;
    capa_diag d = {0};
    if (!ready)
        ready = capa_form_init() == CAPA_OK;
    int rc = capa_archive__parse(&a, (const char *)data, size, "fuzz.xml", &d);
    if ((rc == CAPA_OK) != (a != NULL))
        abort();
    for (size_t i = 0; a && i < a->n_events; i++) {
        capa_buf b = {0};
        unsigned char h[32];
        capa_event__encode(&b, &a->events[i]);
        if (!b.oom)
            capa_event__chain(h, a->prev[i], b.p, b.len);
        capa_buf_free(&b);
    }
    capa_archive__free(a);
    capa_diag_clear(&d);
    return 0;
}
