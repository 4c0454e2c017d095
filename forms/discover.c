/*
 * discover.c - helping people type what a form expects: a choice given by its label (中文 or
 * English) means its code, and a field name that is not in the form gets the nearest name
 * that is. Neither decides anything: a value that is neither code nor label is returned as
 * given, so the validator (validate.c) still refuses it with its own message; a suggestion
 * is only a hint printed beside that message.
 */
#include <string.h>

#include "capa_form.h"

/* Names longer than this are not compared: field ids are at most 64 bytes, and a hostile
 * name of megabytes must not cost quadratic time. */
#define SUGGEST_MAX 64

static int ascii_lower(int ch)
{
    return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

/* s[0..n) equals t, ASCII letters compared without regard to case. */
static int eq_nocase(const char *s, size_t n, const char *t)
{
    size_t i = 0;
    for (; i < n && t[i]; i++)
        if (ascii_lower((unsigned char)s[i]) != ascii_lower((unsigned char)t[i]))
            return 0;
    return i == n && t[i] == '\0';
}

static int is_space(char ch)
{
    return ch == ' ' || ch == '\t';
}

const char *capa_form_normalize(const capa_formdef *f, const char *name, const char *value)
{
    const capa_field *fld;
    const capa_choice *found = NULL;
    const char *p, *end;
    size_t n;

    if (!f || !name || !value || !*value)
        return value;
    fld = capa_formdef_lookup(f, name, NULL, NULL);
    if (!fld || fld->type != CAPA_FT_CHOICE || capa_field_choice(fld, value))
        return value;
    /* Spaces around a label are a typing accident, not part of the meaning. */
    for (p = value; is_space(*p); p++)
        ;
    for (end = p + strlen(p); end > p && is_space(end[-1]); end--)
        ;
    n = (size_t)(end - p);
    if (n == 0)
        return value;
    for (size_t i = 0; i < fld->n_choices; i++) {
        const capa_choice *ch = &fld->choices[i];
        int hit = (ch->label_zh && strlen(ch->label_zh) == n && memcmp(ch->label_zh, p, n) == 0) ||
                  (ch->label_en && eq_nocase(p, n, ch->label_en)) ||
                  (ch->value && eq_nocase(p, n, ch->value));
        if (!hit)
            continue;
        /* A label two choices share does not say which one is meant. */
        if (found && found != ch)
            return value;
        found = ch;
    }
    return found ? found->value : value;
}

/* Optimal string alignment distance (Levenshtein plus adjacent transpositions), ASCII case
 * ignored; both lengths are at most SUGGEST_MAX. */
static size_t distance(const char *a, size_t na, const char *b, size_t nb)
{
    size_t rows[3][SUGGEST_MAX + 1];
    size_t *pp = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= nb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= na; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            int ca = ascii_lower((unsigned char)a[i - 1]),
                cb = ascii_lower((unsigned char)b[j - 1]);
            size_t best = prev[j - 1] + (ca != cb);
            if (prev[j] + 1 < best)
                best = prev[j] + 1;
            if (cur[j - 1] + 1 < best)
                best = cur[j - 1] + 1;
            if (i > 1 && j > 1 && ca == ascii_lower((unsigned char)b[j - 2]) &&
                ascii_lower((unsigned char)a[i - 2]) == cb && pp[j - 2] + 1 < best)
                best = pp[j - 2] + 1;
            cur[j] = best;
        }
        size_t *t = pp;
        pp = prev;
        prev = cur;
        cur = t;
    }
    return prev[nb];
}

/* How far a typed name may be from a field id and still be taken for it. */
static size_t tolerance(size_t n)
{
    size_t t = n / 3;
    return t < 1 ? 1 : t > 3 ? 3 : t;
}

/* The field among fields[0..n) (groups only, or no groups, as `groups` says) nearest to
 * s[0..len), within tolerance; NULL when none. Ties go to the first in form order. */
static const capa_field *nearest(const capa_field *fields, size_t n, const char *s, size_t len,
                                 int groups)
{
    const capa_field *best = NULL;
    size_t best_d = tolerance(len) + 1;
    if (len == 0 || len > SUGGEST_MAX)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const char *id = fields[i].id;
        size_t nid = id ? strlen(id) : 0;
        if (nid == 0 || nid > SUGGEST_MAX ||
            (groups >= 0 && (fields[i].type == CAPA_FT_GROUP) != groups))
            continue;
        size_t d = distance(s, len, id, nid);
        if (d < best_d) {
            best_d = d;
            best = &fields[i];
        }
    }
    return best;
}

/* Write "text" into buf[sz]; 1 when it fit, else 0 and buf is "". */
static int put(char *buf, size_t sz, const char *a, const char *row, size_t nrow, const char *b)
{
    size_t na = strlen(a), nb = b ? strlen(b) : 0, need = na + (b ? nrow + 2 + nb : 0) + 1;
    if (need > sz) {
        buf[0] = '\0';
        return 0;
    }
    memcpy(buf, a, na);
    if (b) {
        buf[na] = '.';
        memcpy(buf + na + 1, row, nrow);
        buf[na + 1 + nrow] = '.';
        memcpy(buf + na + 2 + nrow, b, nb + 1);
    } else {
        buf[na] = '\0';
    }
    return 1;
}

int capa_form_suggest(char *buf, size_t sz, const capa_formdef *f, const char *name)
{
    const char *d1, *d2;
    if (!buf || sz == 0)
        return 0;
    buf[0] = '\0';
    if (!f || !name || !*name || capa_formdef_lookup(f, name, NULL, NULL))
        return 0;
    d1 = strchr(name, '.');
    d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    if (!d1) {
        size_t len = strlen(name);
        const capa_field *fld = nearest(f->fields, f->n_fields, name, len, 0);
        if (fld)
            return put(buf, sz, fld->id, NULL, 0, NULL);
        /* A group named without row and column, or a column named without its group: the
         * first row of that group is what was probably meant. */
        for (size_t i = 0; i < f->n_fields && len <= SUGGEST_MAX; i++) {
            const capa_field *g = &f->fields[i];
            if (g->type != CAPA_FT_GROUP || g->n_columns == 0)
                continue;
            if (eq_nocase(name, len, g->id))
                return put(buf, sz, g->id, "1", 1, g->columns[0].id);
            for (size_t c = 0; c < g->n_columns; c++)
                if (eq_nocase(name, len, g->columns[c].id))
                    return put(buf, sz, g->id, "1", 1, g->columns[c].id);
        }
        fld = nearest(f->fields, f->n_fields, name, len, 1);
        return fld && fld->n_columns ? put(buf, sz, fld->id, "1", 1, fld->columns[0].id) : 0;
    }
    if (!d2 || strchr(d2 + 1, '.'))
        return 0;
    /* group.N.column: mend the group, then the column within it; the row stays as typed. */
    const char *row = d1 + 1, *col = d2 + 1;
    size_t nrow = (size_t)(d2 - row), ncol = strlen(col);
    const capa_field *g = nearest(f->fields, f->n_fields, name, (size_t)(d1 - name), 1);
    if (!g || g->n_columns == 0)
        return 0;
    const capa_field *c = nearest(g->columns, g->n_columns, col, ncol, -1);
    if (!c)
        return 0;
    if (!put(buf, sz, g->id, row, nrow, c->id))
        return 0;
    /* Nothing to mend in the names (a row out of range, say): no suggestion. */
    if (strcmp(buf, name) == 0) {
        buf[0] = '\0';
        return 0;
    }
    return 1;
}
