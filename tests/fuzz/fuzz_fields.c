/*
 * fuzz_fields.c - libFuzzer harness for CLI field assignments: the input is lines of
 * `name=value` (as typed after `capa open/set`, e.g. five_why.1.why=...). Each name goes
 * through capa_field_name_split, and the whole set is validated against every embedded
 * stage form (capa_form_validate) at each requirement level. The first byte picks the
 * level and whether user fields exist.
 *
 * The text rule (capa_text_check) holds too: what passes as one line passes as multi-line
 * text, its reason is itself clean text, a value it refuses is never accepted by validation,
 * and no validation message carries a character the rule refuses (values are escaped).
 */
#include "capa_form.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_KV 64

/* A string the text rule refuses may never get past it; abort() tells libFuzzer. */
static void check_text(const char *v)
{
    char why[128], why2[128];
    int one = capa_text_check(v, 0, why, sizeof why);
    int multi = capa_text_check(v, 1, why2, sizeof why2);
    if ((one != CAPA_OK && one != CAPA_EINVALID) || (multi != CAPA_OK && multi != CAPA_EINVALID))
        abort();
    if (one == CAPA_OK && multi != CAPA_OK)
        abort(); /* multi-line text allows more, never less */
    if ((one == CAPA_OK) != (why[0] == 0) || (multi == CAPA_OK) != (why2[0] == 0))
        abort(); /* a refusal always says why; a pass says nothing */
    if (capa_text_check(why, 0, NULL, 0) != CAPA_OK || capa_text_check(why2, 0, NULL, 0))
        abort(); /* the reason quotes no raw character */
}

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
        check_text(line);
        check_text(eq + 1);
        kv[n++] = (capa_kv){line, eq + 1};
    }
    int refused = 0;
    for (size_t i = 0; i < n; i++)
        refused |= kv[i].value[0] && capa_text_check(kv[i].value, 1, NULL, 0) != CAPA_OK;
    capa_required level = (capa_required)(mode % 3);
    for (size_t i = 0; i < n_forms; i++) {
        capa_diag d = {0};
        int rc =
            capa_form_validate(forms[i], kv, n, level, (mode & 4) ? user_exists : NULL, NULL, &d);
        if (rc != CAPA_OK && rc != CAPA_EINVALID && rc != CAPA_ENOMEM)
            abort();
        if (rc == CAPA_EINVALID && d.n == 0)
            abort(); /* a refusal always says why */
        if (refused && rc == CAPA_OK)
            abort(); /* a value the text rule refuses was accepted */
        for (size_t k = 0; k < d.n; k++)
            if (capa_text_check(d.msgs[k], 0, NULL, 0) != CAPA_OK)
                abort(); /* a message would carry a raw control or bidi character */
        capa_diag_clear(&d);
    }
    free(buf);
    return 0;
}
