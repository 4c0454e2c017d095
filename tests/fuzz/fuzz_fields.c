/*
 * fuzz_fields.c - libFuzzer harness for CLI field assignments: the input is lines of
 * `name=value` (as typed after `capa open/set`, e.g. five_why.1.why=...). Each name goes
 * through capa_field_name_split, and the whole set is validated against every embedded
 * stage form (capa_form_validate) at each requirement level. The first byte picks the
 * level and whether user fields exist.
 */
#include "capa_form.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_KV 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static capa_formdef *forms[16];
static size_t n_forms;

static void load_forms(void)
{
    capa_form_init();
    for (const capa_embedded_file *f = capa_form_embedded(); f && f->name; f++) {
        capa_diag d = {0};
        capa_formdef *fd = NULL;
        size_t nl = strlen(f->name);
        if (n_forms < 16 && nl > 4 && strcmp(f->name + nl - 4, ".xml") == 0 &&
            strcmp(f->name, "workflow.xml") != 0 &&
            capa_formdef_parse(&fd, f->data, f->len, f->name, &d) == CAPA_OK)
            forms[n_forms++] = fd;
        capa_diag_clear(&d);
    }
}

static int user_exists(const char *user, void *payload)
{
    (void)payload;
    return strcmp(user, "wang") == 0 || strcmp(user, "li") == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        load_forms();
        ready = 1;
    }
    if (size < 1)
        return 0;
    unsigned mode = data[0];
    char *buf = malloc(size);
    capa_kv kv[MAX_KV];
    size_t n = 0;
    memcpy(buf, data + 1, size - 1);
    buf[size - 1] = 0;
    /* Split into lines, each at its first '='; embedded NULs just end a line early. */
    for (char *line = buf, *next; line && n < MAX_KV; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        char *eq = strchr(line, '=');
        if (!eq)
            continue;
        *eq = 0;
        char group[64], col[64];
        unsigned row = 0;
        int shape = capa_field_name_split(line, group, sizeof group, &row, col, sizeof col);
        if (shape < -1 || shape > 1)
            abort();
        kv[n++] = (capa_kv){line, eq + 1};
    }
    capa_required level = (capa_required)(mode % 3);
    for (size_t i = 0; i < n_forms; i++) {
        capa_diag d = {0};
        int rc =
            capa_form_validate(forms[i], kv, n, level, (mode & 4) ? user_exists : NULL, NULL, &d);
        if (rc != CAPA_OK && rc != CAPA_EINVALID && rc != CAPA_ENOMEM)
            abort();
        if (rc == CAPA_EINVALID && d.n == 0)
            abort(); /* a refusal always says why */
        capa_diag_clear(&d);
    }
    free(buf);
    return 0;
}
