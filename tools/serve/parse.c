/*
 * parse.c - URL-encoded bodies and query strings, cookies, JSON field objects and engine
 * messages for capa serve (see parse.h). Every loop is bounded by the input's length and
 * SV_MAX_PARAMS; nothing trusts a length or a count it did not measure itself.
 */
#include "parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode s[0..len) into a fresh string; -1 malformed, -2 OOM. */
static int decode(char **out, const char *s, size_t len, char *why, size_t whysz)
{
    char *d = malloc(len + 1);
    size_t j = 0;
    *out = NULL;
    if (!d)
        return -2;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '+') {
            d[j++] = ' ';
        } else if (c == '%') {
            if (len - i < 3 || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0) {
                snprintf(why, whysz, "'%%' at byte %zu is not followed by two hex digits", i);
                free(d);
                return -1;
            }
            int b = hexval(s[i + 1]) * 16 + hexval(s[i + 2]);
            if (b == 0) {
                snprintf(why, whysz, "%%00 at byte %zu: a NUL byte is not allowed", i);
                free(d);
                return -1;
            }
            d[j++] = (char)b;
            i += 2;
        } else if (c == '\0') {
            snprintf(why, whysz, "NUL byte at %zu is not allowed", i);
            free(d);
            return -1;
        } else {
            d[j++] = c;
        }
    }
    d[j] = '\0';
    *out = d;
    return 0;
}

void sv_params_clear(sv_params *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->v[i].name);
        free(p->v[i].value);
    }
    free(p->v);
    p->v = NULL;
    p->n = p->cap = 0;
}

int sv_urlencoded_parse(sv_params *out, const char *s, size_t len, char *why, size_t whysz)
{
    size_t i = 0;
    int rc = 0;
    memset(out, 0, sizeof *out);
    if (whysz)
        why[0] = '\0';
    while (i < len) {
        const char *p = s + i;
        const char *amp = memchr(p, '&', len - i);
        size_t plen = amp ? (size_t)(amp - p) : len - i;
        i += plen + 1;
        if (plen == 0)
            continue;
        const char *eq = memchr(p, '=', plen);
        size_t nlen = eq ? (size_t)(eq - p) : plen;
        if (nlen == 0) {
            snprintf(why, whysz, "a parameter without a name");
            rc = -1;
            goto done;
        }
        if (out->n >= SV_MAX_PARAMS) {
            snprintf(why, whysz, "more than %d parameters", SV_MAX_PARAMS);
            rc = -1;
            goto done;
        }
        if (out->n == out->cap) {
            size_t cap = out->cap ? out->cap * 2 : 16;
            sv_param *v = realloc(out->v, cap * sizeof *v);
            if (!v) {
                rc = -2;
                goto done;
            }
            out->v = v;
            out->cap = cap;
        }
        sv_param *pr = &out->v[out->n];
        pr->name = pr->value = NULL;
        if ((rc = decode(&pr->name, p, nlen, why, whysz)))
            goto done;
        if (eq)
            rc = decode(&pr->value, eq + 1, plen - nlen - 1, why, whysz);
        else if (!(pr->value = strdup("")))
            rc = -2;
        if (rc) {
            free(pr->name);
            goto done;
        }
        out->n++;
    }
done:
    if (rc)
        sv_params_clear(out);
    return rc;
}

void sv_params_crlf_to_lf(sv_params *p)
{
    for (size_t i = 0; i < p->n; i++) {
        char *r = p->v[i].value, *w = r;
        for (; *r; r++) {
            if (r[0] == '\r' && r[1] == '\n')
                continue;
            *w++ = *r;
        }
        *w = '\0';
    }
}

const char *sv_params_get(const sv_params *p, const char *name)
{
    for (size_t i = 0; i < p->n; i++) {
        if (strcmp(p->v[i].name, name) == 0)
            return p->v[i].value;
    }
    return NULL;
}

static int token_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           c == '_' || c == '-';
}

int sv_cookie_get(char *buf, size_t sz, const char *header, const char *name)
{
    size_t nl = strlen(name);
    const char *p = header;
    if (!header || sz == 0)
        return -1;
    while (*p) {
        while (*p == ' ' || *p == ';' || *p == '\t')
            p++;
        const char *start = p;
        while (*p && *p != ';')
            p++;
        size_t plen = (size_t)(p - start);
        if (plen > nl && strncmp(start, name, nl) == 0 && start[nl] == '=') {
            const char *v = start + nl + 1;
            size_t vl = plen - nl - 1;
            while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
                vl--;
            if (vl == 0 || vl >= sz)
                return -1;
            for (size_t k = 0; k < vl; k++) {
                if (!token_char(v[k]))
                    return -1;
            }
            memcpy(buf, v, vl);
            buf[vl] = '\0';
            return 0;
        }
    }
    return -1;
}

int sv_json_fields(capa_kv **out, size_t *n, json_t *obj, char *why, size_t whysz)
{
    const char *key;
    json_t *val;
    size_t i = 0;
    *out = NULL;
    *n = 0;
    if (!json_is_object(obj)) {
        snprintf(why, whysz, "\"fields\" must be an object of name: string value");
        return -1;
    }
    if (json_object_size(obj) > CAPA_MAX_FIELDS) {
        snprintf(why, whysz, "\"fields\": more than %d fields", CAPA_MAX_FIELDS);
        return -1;
    }
    capa_kv *kv = calloc(json_object_size(obj) + 1, sizeof *kv);
    if (!kv)
        return -2;
    json_object_foreach(obj, key, val)
    {
        if (!key[0]) {
            snprintf(why, whysz, "\"fields\": a field without a name");
            free(kv);
            return -1;
        }
        if (!json_is_string(val)) {
            snprintf(why, whysz, "\"fields\": the value of a field must be a string");
            free(kv);
            return -1;
        }
        /* jansson keeps embedded NULs in string values; the engine takes C strings, so a
         * value it would silently cut is refused instead. */
        if (strlen(json_string_value(val)) != json_string_length(val)) {
            snprintf(why, whysz, "\"fields\": a value holds a NUL character");
            free(kv);
            return -1;
        }
        kv[i].name = key;
        kv[i].value = json_string_value(val);
        i++;
    }
    *out = kv;
    *n = i;
    return 0;
}

void sv_field_errors_free(sv_field_error *e, size_t n)
{
    for (size_t i = 0; e && i < n; i++) {
        free(e[i].field);
        free(e[i].value);
        free(e[i].rule);
    }
    free(e);
}

size_t sv_field_errors(sv_field_error **out, const char *msg)
{
    static const char tag[] = "field `";
    size_t n = 0, cap = 0;
    sv_field_error *v = NULL;
    const char *p = msg ? strstr(msg, tag) : NULL;
    *out = NULL;
    while (p) {
        const char *name = p + sizeof tag - 1;
        const char *bq = strchr(name, '`');
        /* The next violation starts at "; field `"; the last one runs to the end. */
        const char *next = bq ? strstr(bq, "; field `") : NULL;
        const char *end = next ? next : (bq ? bq + strlen(bq) : NULL);
        if (!bq || bq == name) {
            p = next ? strstr(next, tag) : NULL;
            continue;
        }
        const char *rest = bq + 1, *value = NULL, *rule = rest;
        size_t vlen = 0;
        if (strncmp(rest, ": value '", 9) == 0) {
            value = rest + 9;
            /* The value ends at the last "' " before the end of this violation. */
            const char *q = NULL;
            for (const char *t = value; t + 1 < end; t++) {
                if (t[0] == '\'' && t[1] == ' ')
                    q = t;
            }
            if (q) {
                vlen = (size_t)(q - value);
                rule = q + 2;
            } else {
                value = NULL;
                rule = rest + 2;
            }
        } else if (strncmp(rest, ": ", 2) == 0) {
            rule = rest + 2;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            sv_field_error *nv = realloc(v, cap * sizeof *nv);
            if (!nv)
                goto oom;
            v = nv;
        }
        v[n].field = strndup(name, (size_t)(bq - name));
        v[n].value = value ? strndup(value, vlen) : strdup("");
        v[n].rule = rule < end ? strndup(rule, (size_t)(end - rule)) : strdup("");
        v[n].worded = 0;
        n++;
        if (!v[n - 1].field || !v[n - 1].value || !v[n - 1].rule)
            goto oom;
        p = next ? next + 2 : NULL;
    }
    *out = v;
    return n;
oom:
    sv_field_errors_free(v, n);
    return 0;
}

static int leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int sv_parse_count(long long *out, const char *s, long long min, long long max)
{
    long long v = 0;
    if (!s || !*s || strlen(s) > 15)
        return -1;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (*p - '0');
    }
    if (v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int sv_parse_date(long long *out_ms, const char *s)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, m, d;
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    for (int i = 0; i < 10; i++) {
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return -1;
    }
    y = atoi(s);
    m = atoi(s + 5);
    d = atoi(s + 8);
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1] + (m == 2 && leap(y)))
        return -1;
    long long days = 0;
    for (int yy = 1970; yy < y; yy++)
        days += 365 + leap(yy);
    for (int mm = 1; mm < m; mm++)
        days += mdays[mm - 1] + (mm == 2 && leap(y));
    days += d - 1;
    *out_ms = days * 86400000LL;
    return 0;
}
