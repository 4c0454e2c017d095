/*
 * fuzz_serve.c - libFuzzer harness for what capa serve parses from the network
 * (tools/serve/parse.c): form bodies and query strings (with the CR LF normalisation of form
 * values), Cookie headers, JSON "fields" objects, engine messages split into per-field
 * errors, and dates. The first byte picks the parser; the rest is the input.
 *
 * Invariants (abort() tells libFuzzer): a parse either succeeds or says why; parsed values
 * hold no NUL and, after normalisation, no CR unless a CR without LF came in; a cookie is
 * NUL-terminated inside its buffer and of the allowed characters; every field error has a field and
 * a rule; a date that parses is a UTC midnight.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int which = data[0] % 5;
    const char *in = (const char *)data + 1;
    size_t n = size - 1;
    char *s = malloc(n + 1);
    if (!s)
        return 0;
    memcpy(s, in, n);
    s[n] = '\0';
    char why[160] = "";
    if (which == 0) {
        sv_params p;
        int rc = sv_urlencoded_parse(&p, in, n, why, sizeof why);
        if (rc == -1 && !why[0])
            abort();
        if (rc == 0) {
            /* A value whose every CR starts a CR LF (as a browser sends) has no CR left. */
            unsigned char lone[SV_MAX_PARAMS + 1] = {0};
            for (size_t i = 0; i < p.n && i <= SV_MAX_PARAMS; i++)
                for (const char *c = p.v[i].value; *c; c++)
                    if (c[0] == '\r' && c[1] != '\n')
                        lone[i] = 1;
            sv_params_crlf_to_lf(&p);
            for (size_t i = 0; i < p.n; i++) {
                if (!p.v[i].name[0] ||
                    (i <= SV_MAX_PARAMS && !lone[i] && strchr(p.v[i].value, '\r')))
                    abort();
            }
            sv_params_clear(&p);
        }
    } else if (which == 1) {
        char buf[80];
        static const char *names[] = {"capa_session", "capa_lang", "a"};
        for (size_t k = 0; k < 3; k++) {
            if (sv_cookie_get(buf, sizeof buf, s, names[k]) == 0) {
                size_t l = strnlen(buf, sizeof buf);
                if (l == sizeof buf)
                    abort();
                for (size_t i = 0; i < l; i++)
                    if (!strchr("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-",
                                buf[i]))
                        abort();
            }
        }
    } else if (which == 2) {
        json_error_t e;
        json_t *doc = json_loadb(in, n, JSON_REJECT_DUPLICATES, &e);
        capa_kv *kv = NULL;
        size_t m = 0;
        if (doc) {
            int rc = sv_json_fields(&kv, &m, doc, why, sizeof why);
            if (rc == -1 && !why[0])
                abort();
            for (size_t i = 0; rc == 0 && i < m; i++)
                if (!kv[i].name || !kv[i].name[0] || !kv[i].value)
                    abort();
            free(kv);
            json_decref(doc);
        }
    } else if (which == 3) {
        sv_field_error *fe = NULL;
        size_t m = sv_field_errors(&fe, s);
        for (size_t i = 0; i < m; i++)
            if (!fe[i].field || !fe[i].rule)
                abort();
        sv_field_errors_free(fe, m);
    } else {
        long long ms = 0;
        if (sv_parse_date(&ms, s) == 0 && ms % 86400000LL != 0)
            abort();
    }
    free(s);
    return 0;
}
