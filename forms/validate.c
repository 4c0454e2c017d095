/*
 * validate.c - checks submitted values against a form definition: names (plain fields and
 * group.N.column rows), types, bounds, lengths, patterns, choices and required fields.
 *
 * Every violation is collected, each as "field `name`: value 'v' <rule>", so a user can fix a
 * whole submission at once. Every value must pass the text rule (capa_text_check: no control,
 * C1 or bidi characters; line breaks and tabs only in multiline fields), so nothing stored can
 * forge or disguise output later. Names and values are shown with control characters and bad
 * bytes escaped, values cut after 60 characters, so a hostile one cannot forge or flood a
 * message.
 * An empty value means "clear the field": it passes the type rules, but a required check
 * counts it as missing.
 */
#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "utf8.h"

#define SHOW_MAX 60
#define DEFAULT_MAX_ROWS 100
#define ID_MAX 64
/* Longest name shown whole: group.N.column with both ids at ID_MAX. */
#define NAME_MAX_SHOWN (2 * ID_MAX + 16)

/* Format characters that can reorder, hide or break text on a terminal (bidi controls,
 * zero-width characters, line and paragraph separators): shown as \uXXXX so a value cannot
 * disguise what a message says. */
static int invisible(uint32_t cp)
{
    return (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
           (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff || cp == 0x061c;
}

/* A value (or name) as shown in a message: escaped, at most `max` characters, then "…". */
static void show(char *buf, size_t sz, const char *v, size_t max)
{
    const unsigned char *p = (const unsigned char *)v;
    size_t len = strlen(v), i = 0, o = 0, chars = 0;

    while (i < len && o + 10 < sz) {
        uint32_t cp = 0;
        size_t n = capa__utf8_decode(p + i, len - i, &cp);
        if (chars == max) {
            memcpy(buf + o, "\xe2\x80\xa6", 3);
            o += 3;
            break;
        }
        /* C1 controls are two bytes: shown by code point, as the bidi ones are. */
        if (n && (invisible(cp) || (cp >= 0x80 && cp < 0xa0))) {
            o += (size_t)snprintf(buf + o, sz - o, "\\u%04x", (unsigned)cp);
            i += n;
        } else if (n == 0 || cp < 0x20 || cp == 0x7f) {
            const char *esc = n && cp == '\n' ? "\\n" : n && cp == '\t' ? "\\t" : NULL;
            if (esc)
                o += (size_t)snprintf(buf + o, sz - o, "%s", esc);
            else
                o += (size_t)snprintf(buf + o, sz - o, "\\x%02x", p[i]);
            i += n ? n : 1;
        } else {
            memcpy(buf + o, p + i, n);
            o += n;
            i += n;
        }
        chars++;
    }
    buf[o] = 0;
}

/* Where violations go; counted here too, so a NULL diag still gives CAPA_EINVALID. */
typedef struct vs {
    capa_diag *diag;
    size_t n;
} vs;

static void violation(vs *d, const char *rule, const char *name, const char *value, const char *fmt,
                      ...) __attribute__((format(printf, 5, 6)));

/* One violation: the English sentence and, for capa_refusal, its rule (a stable id listed in
 * docs/serve.md), field and value; parameters follow with param(). */
static void violation(vs *d, const char *rule, const char *name, const char *value, const char *fmt,
                      ...)
{
    char shown[SHOW_MAX * 6 + 16]; /* worst case: every character shown as \uXXXX */
    char named[NAME_MAX_SHOWN * 6 + 16];
    char *text;
    va_list ap;

    /* Names are what the caller typed too: a bad one is escaped like a value. */
    show(named, sizeof named, name ? name : "", NAME_MAX_SHOWN);
    show(shown, sizeof shown, value ? value : "", SHOW_MAX);
    va_start(ap, fmt);
    text = capa__vsprintf(fmt, ap);
    va_end(ap);
    d->n++;
    capa_diag_add(d->diag, "field `%s`: value '%s' %s", named, shown, text ? text : "is invalid");
    capa__free(text);
    capa_diag_rule(d->diag, rule, named, shown);
}

#define param(d, ...) capa_diag_param((d)->diag, __VA_ARGS__)

static int is_ident(const char *s, size_t n)
{
    if (n == 0 || n > ID_MAX || !(s[0] >= 'a' && s[0] <= 'z'))
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return 0;
    return 1;
}

int capa_field_name_split(const char *name, char *group, size_t gsz, unsigned *row, char *col,
                          size_t csz)
{
    const char *d1 = strchr(name, '.'), *d2, *p;
    unsigned long n = 0;

    if (!d1)
        return 0;
    d2 = strchr(d1 + 1, '.');
    if (!d2 || strchr(d2 + 1, '.'))
        return -1;
    if (!is_ident(name, (size_t)(d1 - name)) || !is_ident(d2 + 1, strlen(d2 + 1)))
        return -1;
    /* Row numbers are canonical decimal (no sign, no leading zero) so one row has one name. */
    if (d2 == d1 + 1 || (d1[1] == '0' && d2 != d1 + 2))
        return -1;
    for (p = d1 + 1; p < d2; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        n = n * 10 + (unsigned long)(*p - '0');
        if (n > 1000000)
            n = 1000000; /* out of range anyway; saturate instead of overflowing */
    }
    if ((size_t)(d1 - name) >= gsz || strlen(d2 + 1) >= csz)
        return -1;
    memcpy(group, name, (size_t)(d1 - name));
    group[d1 - name] = 0;
    strcpy(col, d2 + 1);
    *row = (unsigned)n;
    return 1;
}

/* Strict integer: optional sign, digits, nothing else; fits in int64. */
static int parse_integer(const char *v, long long *out)
{
    const char *p = v;
    char *end = NULL;

    if (*p == '+' || *p == '-')
        p++;
    if (!*p)
        return 0;
    for (const char *q = p; *q; q++)
        if (!isdigit((unsigned char)*q))
            return 0;
    errno = 0;
    *out = strtoll(v, &end, 10);
    return errno == 0 && *end == 0;
}

/* Strict decimal: [+-]digits[.digits] (also .5 and 5.), no exponent, no spaces. */
static int parse_decimal(const char *v, double *out)
{
    const char *p = v;
    size_t digits = 0;
    char *end = NULL;

    if (*p == '+' || *p == '-')
        p++;
    for (; isdigit((unsigned char)*p); p++)
        digits++;
    if (*p == '.')
        for (p++; isdigit((unsigned char)*p); p++)
            digits++;
    if (*p || digits == 0 || digits > 30)
        return 0;
    errno = 0;
    *out = strtod(v, &end);
    return errno == 0 && *end == 0;
}

static int digits(const char *s, int n, int *out)
{
    *out = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return 0;
        *out = *out * 10 + (s[i] - '0');
    }
    return 1;
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* YYYY-MM-DD, a real calendar date, years 1..9999. Returns the characters consumed or 0. */
static int parse_date(const char *v)
{
    int y, m, d;
    if (strlen(v) < 10 || v[4] != '-' || v[7] != '-' || !digits(v, 4, &y) ||
        !digits(v + 5, 2, &m) || !digits(v + 8, 2, &d))
        return 0;
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return 0;
    return 10;
}

/* YYYY-MM-DDTHH:MM[:SS](Z|+hh:mm|-hh:mm). */
static int is_datetime(const char *v)
{
    int h, mi, s, n = parse_date(v);
    const char *p;

    if (n == 0 || v[10] != 'T' || !digits(v + 11, 2, &h) || v[13] != ':' ||
        !digits(v + 14, 2, &mi) || h > 23 || mi > 59)
        return 0;
    p = v + 16;
    if (*p == ':') {
        if (!digits(p + 1, 2, &s) || s > 59)
            return 0;
        p += 3;
    }
    if (*p == 'Z')
        return p[1] == 0;
    if (*p == '+' || *p == '-') {
        if (!digits(p + 1, 2, &h) || p[3] != ':' || !digits(p + 4, 2, &mi) || h > 14 || mi > 59)
            return 0;
        return p[6] == 0;
    }
    return 0;
}

static int is_user_id(const char *v)
{
    size_t n = strlen(v);
    if (n == 0 || n > 32 || !(v[0] >= 'a' && v[0] <= 'z'))
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!islower((unsigned char)v[i]) && !isdigit((unsigned char)v[i]) && !strchr("_.-", v[i]))
            return 0;
    return 1;
}

static void check_range(vs *d, const capa_field *fld, const char *name, const char *v, double x)
{
    if (fld->has_min && x < fld->min) {
        violation(d, "field.min", name, v, "is below the minimum %g", fld->min);
        param(d, "min", "%g", fld->min);
    }
    if (fld->has_max && x > fld->max) {
        violation(d, "field.max", name, v, "is above the maximum %g", fld->max);
        param(d, "max", "%g", fld->max);
    }
}

/* The choices' labels, for wording the refusal in either language: "重要|一般", "...". */
static void choice_labels(vs *d, const capa_field *fld)
{
    char zh[512], en[512];
    size_t oz = 0, oe = 0;
    zh[0] = en[0] = 0;
    for (size_t i = 0; i < fld->n_choices; i++) {
        const capa_choice *c = &fld->choices[i];
        if (oz < sizeof zh)
            oz += (size_t)snprintf(zh + oz, sizeof zh - oz, "%s%s", i ? "、" : "",
                                   c->label_zh ? c->label_zh : c->value);
        if (oe < sizeof en)
            oe += (size_t)snprintf(en + oe, sizeof en - oe, "%s%s", i ? ", " : "",
                                   c->label_en ? c->label_en : c->value);
    }
    param(d, "choices_zh", "%s", zh);
    param(d, "choices_en", "%s", en);
}

static void choice_list(char *buf, size_t sz, const capa_field *fld)
{
    size_t o = 0;
    buf[0] = 0;
    for (size_t i = 0; i < fld->n_choices && o < sz; i++)
        o += (size_t)snprintf(buf + o, sz - o, "%s%s", i ? ", " : "", fld->choices[i].value);
}

/* Type and rule checks for one non-empty value. Returns a negative code only when the user
 * callback failed; violations go to diag. */
static int check_value(const capa_field *fld, const char *name, const char *v,
                       capa_user_exists_fn user_exists, void *payload, vs *d)
{
    size_t len = strlen(v), chars = 0, bad = 0;
    long long ll;
    double x;
    char list[512], why[128];
    int r;

    if (len > CAPA_FORM_MAX_VALUE_BYTES) {
        violation(d, "field.max_bytes", name, v,
                  "is longer than the limit of %d bytes for any value (%zu)",
                  CAPA_FORM_MAX_VALUE_BYTES, len);
        param(d, "max", "%d", CAPA_FORM_MAX_VALUE_BYTES);
        param(d, "length", "%zu", len);
        return CAPA_OK;
    }
    if (!capa__utf8_check(v, len, &chars, &bad)) {
        violation(d, "field.utf8", name, v, "is not valid UTF-8 (byte %zu)", bad);
        param(d, "byte", "%zu", bad);
        return CAPA_OK;
    }
    /* One text rule for every stored string (capa_text_check); only multiline fields keep
     * line breaks and tabs. The rest of the rules would only repeat the complaint. */
    if (capa_text_check(v, fld->type == CAPA_FT_MULTILINE, why, sizeof why) != CAPA_OK) {
        violation(d, "field.text", name, v, "is refused: %s", why);
        param(d, "why", "%s", why);
        return CAPA_OK;
    }
    if (fld->max_length && chars > fld->max_length) {
        violation(d, "field.max_length", name, v,
                  "is longer than the maximum length of %zu characters (%zu)", fld->max_length,
                  chars);
        param(d, "max", "%zu", fld->max_length);
        param(d, "length", "%zu", chars);
    }

    switch (fld->type) {
    case CAPA_FT_INTEGER:
        if (!parse_integer(v, &ll))
            violation(d, "field.integer", name, v, "is not an integer");
        else
            check_range(d, fld, name, v, (double)ll);
        break;
    case CAPA_FT_DECIMAL:
        if (!parse_decimal(v, &x))
            violation(d, "field.decimal", name, v, "is not a decimal number");
        else
            check_range(d, fld, name, v, x);
        break;
    case CAPA_FT_DATE:
        if (!parse_date(v) || v[10] != 0)
            violation(d, "field.date", name, v, "is not a calendar date (YYYY-MM-DD)");
        break;
    case CAPA_FT_DATETIME:
        if (!is_datetime(v))
            violation(d, "field.datetime", name, v,
                      "is not a date and time (YYYY-MM-DDTHH:MM[:SS] with Z or +hh:mm)");
        break;
    case CAPA_FT_CHOICE:
        if (!capa_field_choice(fld, v)) {
            choice_list(list, sizeof list, fld);
            violation(d, "field.choice", name, v, "is not one of: %s", list);
            param(d, "choices", "%s", list);
            choice_labels(d, fld);
        }
        break;
    case CAPA_FT_BOOLEAN:
        if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
            violation(d, "field.boolean", name, v, "is not true or false");
        break;
    case CAPA_FT_USER:
        if (!is_user_id(v)) {
            violation(d, "field.user", name, v, "is not a user id");
        } else if (user_exists) {
            r = user_exists(v, payload);
            if (r < 0)
                return r;
            if (r == 0)
                violation(d, "field.user_unknown", name, v, "is not a known user");
        }
        break;
    default:
        break;
    }
    if (fld->pattern_re && regexec(fld->pattern_re, v, 0, NULL, 0) != 0) {
        violation(d, "field.pattern", name, v, "does not match pattern %s", fld->pattern);
        param(d, "pattern", "%s", fld->pattern);
    }
    return CAPA_OK;
}

static size_t max_rows(const capa_field *g)
{
    return g->max_rows ? g->max_rows : DEFAULT_MAX_ROWS;
}

static int needed(const capa_field *fld, capa_required level)
{
    return level != CAPA_REQ_NO && fld->required != CAPA_REQ_NO && fld->required >= level;
}

static const char *when(capa_required level)
{
    return level == CAPA_REQ_CREATE ? "is required when the record is created"
                                    : "is required before sign-off";
}

/* Where one submitted value landed: a top-level field, or a cell of a group. */
typedef struct slot {
    size_t field; /* index into f->fields */
    unsigned row; /* 0 for a plain field */
    size_t col;   /* column index for a group cell */
    int filled;   /* non-empty value */
} slot;

/* Required checks over the whole submitted record, from the slots the main pass filled in:
 * one pass per group over the slots, so the cost stays linear in the number of values. */
static int check_required(const capa_formdef *f, const slot *slots, size_t n, capa_required level,
                          vs *d)
{
    char name[2 * ID_MAX + 16];
    unsigned char *present = NULL, *cells = NULL;
    int rc = CAPA_OK;

    for (size_t i = 0; i < f->n_fields; i++) {
        const capa_field *fld = &f->fields[i];
        size_t rows = 0, nrows = max_rows(fld), ncols = fld->n_columns;
        if (fld->type != CAPA_FT_GROUP) {
            int found = 0;
            if (!needed(fld, level))
                continue;
            for (size_t k = 0; k < n && !found; k++)
                found = slots[k].filled && slots[k].field == i && slots[k].row == 0;
            if (!found) {
                violation(d, "field.required", fld->id, "", "%s", when(level));
                param(d, "when", "%s", level == CAPA_REQ_CREATE ? "create" : "sign");
            }
            continue;
        }
        capa__free(present);
        capa__free(cells);
        present = capa__calloc(nrows + 1, 1);
        cells = capa__calloc((nrows + 1) * (ncols ? ncols : 1), 1);
        if (!present || !cells) {
            rc = CAPA_ENOMEM;
            goto done;
        }
        /* A row is present when any of its columns has a value. */
        for (size_t k = 0; k < n; k++) {
            if (!slots[k].filled || slots[k].field != i || slots[k].row == 0)
                continue;
            rows += !present[slots[k].row];
            present[slots[k].row] = 1;
            cells[slots[k].row * ncols + slots[k].col] = 1;
        }
        if (needed(fld, level) && rows == 0) {
            violation(d, "field.required", fld->id, "", "%s (at least one row)", when(level));
            param(d, "when", "%s", level == CAPA_REQ_CREATE ? "create" : "sign");
            param(d, "rows", "1");
        }
        if (fld->has_min && level != CAPA_REQ_NO && rows > 0 && (double)rows < fld->min) {
            violation(d, "field.min_rows", fld->id, "", "needs at least %g rows (has %zu)",
                      fld->min, rows);
            param(d, "min", "%g", fld->min);
            param(d, "rows", "%zu", rows);
        }
        for (size_t r = 1; r <= nrows; r++) {
            for (size_t c = 0; present[r] && c < ncols; c++) {
                if (!needed(&fld->columns[c], level) || cells[r * ncols + c])
                    continue;
                snprintf(name, sizeof name, "%s.%zu.%s", fld->id, r, fld->columns[c].id);
                violation(d, "field.required", name, "", "%s", when(level));
                param(d, "when", "%s", level == CAPA_REQ_CREATE ? "create" : "sign");
            }
        }
    }
done:
    capa__free(present);
    capa__free(cells);
    return rc;
}

/* Submitted names sorted, to find repeats in O(n log n) rather than comparing all pairs. */
typedef struct named {
    const char *name;
    size_t idx;
} named;

static int named_cmp(const void *a, const void *b)
{
    const named *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

/* Up to this many values are validated with stack buffers (a form's worth, an imported
 * row's stage): no allocation, and the names sorted by insertion rather than qsort. */
#define VALIDATE_FEW 32

/* dup[i] = 1 when values[i] repeats a name given earlier. */
static int find_repeats(unsigned char *dup, const capa_kv *values, size_t n)
{
    named few[VALIDATE_FEW];
    named *s = n <= VALIDATE_FEW ? few : capa__malloc((n ? n : 1) * sizeof *s);
    if (!s)
        return CAPA_ENOMEM;
    for (size_t i = 0; i < n; i++)
        s[i] = (named){values[i].name ? values[i].name : "", i};
    if (s == few) {
        for (size_t i = 1; i < n; i++) {
            named x = s[i];
            size_t j = i;
            for (; j > 0 && named_cmp(&s[j - 1], &x) > 0; j--)
                s[j] = s[j - 1];
            s[j] = x;
        }
    } else {
        qsort(s, n, sizeof *s, named_cmp);
    }
    for (size_t i = 1; i < n; i++)
        if (strcmp(s[i].name, s[i - 1].name) == 0)
            dup[s[i].idx] = 1;
    if (s != few)
        capa__free(s);
    return CAPA_OK;
}

int capa_form_validate(const capa_formdef *f, const capa_kv *values, size_t n, capa_required level,
                       capa_user_exists_fn user_exists, void *payload, capa_diag *diag)
{
    char group[ID_MAX + 1], col[ID_MAX + 1];
    uint64_t oom_before = capa__oom_count();
    vs d = {diag, 0};
    unsigned row;
    int rc = CAPA_OK, shape;
    unsigned char *dup = NULL;
    slot *slots = NULL;
    size_t n_slots = 0;

    if (n > CAPA_FORM_MAX_VALUES) {
        d.n++;
        capa_diag_add(diag, "form `%s`: %zu values in one submission, more than the limit of %d",
                      f->id, n, CAPA_FORM_MAX_VALUES);
        goto done;
    }
    unsigned char dup_few[VALIDATE_FEW] = {0};
    slot slots_few[VALIDATE_FEW];
    if (n <= VALIDATE_FEW) {
        dup = dup_few;
        slots = slots_few;
    } else {
        dup = capa__calloc(n ? n : 1, 1);
        slots = capa__calloc(n ? n : 1, sizeof *slots);
    }
    if (!dup || !slots || find_repeats(dup, values, n) != CAPA_OK) {
        rc = CAPA_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        const char *name = values[i].name ? values[i].name : "";
        const char *v = values[i].value ? values[i].value : "";
        const capa_field *fld = NULL, *g = NULL;
        size_t c = 0;

        if (dup[i]) {
            violation(&d, "field.repeated", name, v, "is given more than once");
            continue;
        }
        shape = capa_field_name_split(name, group, sizeof group, &row, col, sizeof col);
        if (shape < 0) {
            violation(&d, "field.name", name, v,
                      "has a malformed name (expected field or group.N.column)");
            continue;
        }
        if (shape == 0) {
            fld = capa_formdef_field(f, name);
            if (!fld) {
                violation(&d, "field.unknown", name, v, "is not a field of form `%s`", f->id);
                param(&d, "form", "%s", f->id);
                continue;
            }
            if (fld->type == CAPA_FT_GROUP) {
                violation(&d, "field.group", name, v,
                          "names a repeating group; set its columns as %s.N.%s", name,
                          fld->n_columns ? fld->columns[0].id : "column");
                continue;
            }
            slots[n_slots] = (slot){(size_t)(fld - f->fields), 0, 0, *v != 0};
        } else {
            g = capa_formdef_field(f, group);
            if (!g || g->type != CAPA_FT_GROUP) {
                violation(&d, "field.unknown", name, v,
                          "is not a field of form `%s` (no group `%s`)", f->id, group);
                param(&d, "form", "%s", f->id);
                continue;
            }
            if (row < 1 || row > max_rows(g)) {
                violation(&d, "field.row", name, v, "has row %u out of range 1..%zu", row,
                          max_rows(g));
                param(&d, "max", "%zu", max_rows(g));
                continue;
            }
            for (c = 0; c < g->n_columns && !fld; c++)
                if (strcmp(g->columns[c].id, col) == 0)
                    fld = &g->columns[c];
            if (!fld) {
                violation(&d, "field.unknown", name, v, "is not a column of group `%s`", group);
                continue;
            }
            slots[n_slots] = (slot){(size_t)(g - f->fields), row, c - 1, *v != 0};
        }
        n_slots++;
        if (!*v)
            continue;
        rc = check_value(fld, name, v, user_exists, payload, &d);
        if (rc != CAPA_OK)
            goto done;
    }
    if (level != CAPA_REQ_NO)
        rc = check_required(f, slots, n_slots, level, &d);
done:
    if (rc == CAPA_OK && d.n > 0)
        rc = CAPA_EINVALID;
    if (capa__oom_count() != oom_before)
        rc = CAPA_ENOMEM;
    if (dup != dup_few) {
        capa__free(dup);
        capa__free(slots);
    }
    return rc;
}

const capa_field *capa_formdef_lookup(const capa_formdef *f, const char *name,
                                      const capa_field **out_group, unsigned *out_row)
{
    char group[ID_MAX + 1], col[ID_MAX + 1];
    unsigned row = 0;
    const capa_field *g = NULL, *fld = NULL;
    int shape = name ? capa_field_name_split(name, group, sizeof group, &row, col, sizeof col) : -1;

    if (shape == 0) {
        fld = capa_formdef_field(f, name);
        if (fld && fld->type == CAPA_FT_GROUP)
            fld = NULL;
        row = 0;
    } else if (shape == 1) {
        g = capa_formdef_field(f, group);
        if (g && g->type == CAPA_FT_GROUP && row >= 1 && row <= max_rows(g))
            for (size_t c = 0; c < g->n_columns && !fld; c++)
                if (strcmp(g->columns[c].id, col) == 0)
                    fld = &g->columns[c];
    }
    if (out_group)
        *out_group = fld ? g : NULL;
    if (out_row)
        *out_row = fld ? row : 0;
    return fld;
}
