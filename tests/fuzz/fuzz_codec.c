/*
 * fuzz_codec.c - libFuzzer harness: arbitrary bytes as stored records. A damaged or hostile
 * database file must give CAPA_ECORRUPT (or ENOMEM), never a crash or an over-read: every
 * record decoder of core/ treats its bytes as untrusted. The first byte picks the decoder.
 */
#include <stdint.h>
#include <string.h>

#include "event.h"
#include "codec.h"
#include "record.h"
#include "users.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    switch (data[0] % 6) {
    case 0: {
        capa_hdr h;
        memset(&h, 0, sizeof h);
        capa_hdr__decode(&h, p, n);
        capa_hdr_clear(&h);
        /* The allocation-free view too, with an arena that may be too small for it. */
        char arena[256];
        capa_hdr__decode_view(&h, p, n, arena, n % 2 ? sizeof arena : 40);
        /* The report's read: what the whole decode refuses it refuses, unless the fault is
         * in the free text it passes over. */
        capa_hdr__decode_stats(&h, p, n, arena, n % 2 ? sizeof arena : 40);
        break;
    }
    case 1: {
        capa_stage_record r;
        memset(&r, 0, sizeof r);
        if (capa_stage__decode(&r, p, n) == CAPA_OK) {
            /* A decoded record must be usable: look up and hash it. */
            char hex[65];
            for (size_t i = 0; i < r.n_values; i++)
                (void)capa_stage__value(&r, r.values[i].name);
            capa_stage__hash(hex, "QC-2026-0001", &r);
        }
        capa_stage_record_clear(&r);
        break;
    }
    case 2: {
        capa_signature g;
        memset(&g, 0, sizeof g);
        capa_sig__decode(&g, p, n);
        capa_signature_clear(&g);
        break;
    }
    case 3: {
        capa_event_rec e;
        memset(&e, 0, sizeof e);
        capa_event__decode(&e, p, n, NULL, NULL);
        capa_event__clear(&e);
        break;
    }
    case 4: {
        capa_user_rec u;
        memset(&u, 0, sizeof u);
        capa_user__decode(&u, p, n);
        capa_user_rec_clear(&u);
        break;
    }
    default: {
        /* The primitive reader on its own, field by field, until it stops. */
        capa_rd r;
        capa_rd_init(&r, p, n);
        while (!r.err && r.pos < r.len) {
            switch (capa_rd_u8(&r) % 4) {
            case 0:
                (void)capa_rd_varint(&r);
                break;
            case 1:
                (void)capa_rd_i64(&r);
                break;
            case 2:
                capa__free(capa_rd_str(&r));
                break;
            default: {
                unsigned char b[8];
                capa_rd_bytes(&r, b, sizeof b);
            }
            }
        }
    }
    }
    return 0;
}
