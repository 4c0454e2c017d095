/*
 * diag.c - capa_diag, a growable list of messages. Validation collects every violation here
 * instead of stopping at the first, so a user fixes a whole form in one round.
 * A message that cannot be allocated is dropped; the allocator's failure counter lets the
 * caller notice and report CAPA_ENOMEM instead.
 */
#include "alloc.h"

#include <stdarg.h>
#include <string.h>

void capa_diag_add(capa_diag *d, const char *fmt, ...)
{
    va_list ap;
    char *msg = NULL;

    if (!d)
        return;
    d->last_added = 0;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        char **m = capa__realloc(d->msgs, cap * sizeof *m);
        if (!m)
            goto done;
        d->msgs = m;
        capa_diag_item *it = capa__realloc(d->items, cap * sizeof *it);
        if (!it)
            goto done;
        d->items = it;
        d->cap = cap;
    }
    va_start(ap, fmt);
    msg = capa__vsprintf(fmt, ap);
    va_end(ap);
    if (msg) {
        memset(&d->items[d->n], 0, sizeof d->items[d->n]);
        d->msgs[d->n++] = msg;
        d->last_added = 1;
    }
done:
    return;
}

void capa_diag_rule(capa_diag *d, const char *rule, const char *field, const char *value)
{
    if (!d || !d->last_added)
        return;
    capa_diag_item *it = &d->items[d->n - 1];
    it->rule = rule;
    it->field = capa__strdup(field ? field : "");
    it->value = capa__strdup(value ? value : "");
}

void capa_diag_param(capa_diag *d, const char *name, const char *fmt, ...)
{
    va_list ap;
    if (!d || !d->last_added)
        return;
    capa_diag_item *it = &d->items[d->n - 1];
    if (it->n_params == CAPA_DIAG_PARAMS)
        return;
    va_start(ap, fmt);
    char *v = capa__vsprintf(fmt, ap);
    va_end(ap);
    if (!v)
        return;
    it->pname[it->n_params] = name;
    it->pval[it->n_params++] = v;
}

void capa_diag_clear(capa_diag *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++) {
        capa__free(d->msgs[i]);
        capa__free(d->items[i].field);
        capa__free(d->items[i].value);
        for (size_t k = 0; k < d->items[i].n_params; k++)
            capa__free(d->items[i].pval[k]);
    }
    capa__free(d->msgs);
    capa__free(d->items);
    d->msgs = NULL;
    d->items = NULL;
    d->n = d->cap = 0;
    d->last_added = 0;
}

char *capa_diag_join(const capa_diag *d, const char *sep)
{
    size_t len = 1, seplen = sep ? strlen(sep) : 0, n = d ? d->n : 0;
    char *out, *p;

    for (size_t i = 0; i < n; i++)
        len += strlen(d->msgs[i]) + (i ? seplen : 0);
    out = capa__malloc(len);
    if (!out)
        return NULL;
    p = out;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(d->msgs[i]);
        if (i && seplen) {
            memcpy(p, sep, seplen);
            p += seplen;
        }
        memcpy(p, d->msgs[i], l);
        p += l;
    }
    *p = 0;
    return out;
}
