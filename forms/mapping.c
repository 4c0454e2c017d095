/*
 * mapping.c - sheet mappings (capa_mapping.h): parsing through the one safe XML path
 * (capa__xml_parse: no DTD, entities or network, schema mapping.xsd), the checks the schema
 * cannot make, binding a sheet's header row to the mapping, and reading dates and values the
 * way legacy Excel logs write them (2023/6/15, 2023-06-15 23:52, 15-Jun-23, 45092).
 */
#include "capa_mapping.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "xml.h"

#define MAP_NS "urn:capa:mapping:1"

typedef struct walk {
    const char *name;
    capa_diag *diag;
    int invalid;
    size_t n_msgs;
} walk;

static void bad(walk *w, const xmlNode *n, const char *fmt, const char *a, const char *b)
{
    w->invalid = 1;
    if (w->n_msgs++ >= CAPA_XML_MAX_ERRORS) {
        if (w->n_msgs == CAPA_XML_MAX_ERRORS + 1)
            capa_diag_add(w->diag, "%s: too many errors, the rest are not shown", w->name);
        return;
    }
    char *msg = capa__sprintf(fmt, a ? a : "", b ? b : "");
    capa_diag_add(w->diag, "%s:%ld: %s", w->name, n ? capa__xml_line(n) : 0L,
                  msg ? msg : "invalid");
    capa__free(msg);
}

static void free_strs(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        capa__free(v[i]);
    capa__free(v);
}

void capa_mapping_free(capa_mapping *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_columns; i++) {
        capa_map_column *c = &m->columns[i];
        capa__free(c->header);
        free_strs(c->aliases, c->n_aliases);
        capa__free(c->stage);
        capa__free(c->field);
        free_strs(c->dates, c->n_dates);
        for (size_t j = 0; j < c->n_values; j++) {
            capa__free(c->values[j].from);
            capa__free(c->values[j].to);
        }
        capa__free(c->values);
    }
    capa__free(m->columns);
    free_strs(m->dates, m->n_dates);
    capa__free(m->id);
    capa__free(m->label_zh);
    capa__free(m->label_en);
    capa__free(m->name);
    capa__free(m);
}

/* Header texts compare after trimming ASCII and ideographic (U+3000) white space. */
static void trim(const char **s, size_t *n)
{
    const char *p = *s;
    size_t len = *n;
    for (;;) {
        if (len && strchr(" \t\r\n", *p))
            p++, len--;
        else if (len >= 3 && memcmp(p, "\xE3\x80\x80", 3) == 0)
            p += 3, len -= 3;
        else if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) /* a BOM on the first cell */
            p += 3, len -= 3;
        else
            break;
    }
    for (;;) {
        if (len && strchr(" \t\r\n", p[len - 1]))
            len--;
        else if (len >= 3 && memcmp(p + len - 3, "\xE3\x80\x80", 3) == 0)
            len -= 3;
        else
            break;
    }
    *s = p;
    *n = len;
}

static int same_text(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    trim(&a, &na);
    trim(&b, &nb);
    return na == nb && memcmp(a, b, na) == 0;
}

static char *node_text(const xmlNode *n)
{
    xmlChar *v = xmlNodeGetContent(n);
    if (!v)
        return NULL;
    const char *p = (const char *)v;
    size_t len = strlen(p);
    trim(&p, &len);
    char *out = capa__strndup(p, len);
    xmlFree(v);
    return out;
}

static int push_str(char ***v, size_t *n, char *s)
{
    char **nv = capa__realloc(*v, (*n + 1) * sizeof **v);
    if (!nv) {
        capa__free(s);
        return CAPA_ENOMEM;
    }
    nv[(*n)++] = s;
    *v = nv;
    return CAPA_OK;
}

static int read_date(walk *w, xmlNode *n, char ***v, size_t *nv)
{
    char *f = NULL, why[160];
    if (capa__xml_attr(&f, n, "format"))
        return CAPA_ENOMEM;
    if (!f)
        return CAPA_OK;
    if (!capa_sheet_date_format_check(f, why, sizeof why))
        bad(w, n, "date format '%s': %s", f, why);
    return push_str(v, nv, f);
}

static const char *part_name(capa_map_part p)
{
    static const char *const names[] = {"field", "number", "opened", "closed", "status"};
    return names[p];
}

static int parse_column(walk *w, capa_mapping *m, capa_map_column *c, xmlNode *n)
{
    char *part = NULL, *req = NULL;
    int rc = CAPA_ENOMEM;
    c->line = capa__xml_line(n);
    if (capa__xml_attr(&c->header, n, "header") || capa__xml_attr(&c->field, n, "field") ||
        capa__xml_attr(&c->stage, n, "stage") || capa__xml_attr(&part, n, "case") ||
        capa__xml_attr(&req, n, "required"))
        goto done;
    c->required = req && (strcmp(req, "true") == 0 || strcmp(req, "1") == 0);
    c->part = CAPA_MAP_FIELD;
    for (int p = CAPA_MAP_NUMBER; part && p <= CAPA_MAP_STATUS; p++)
        if (strcmp(part, part_name(p)) == 0)
            c->part = p;
    if (!c->header || !*c->header)
        bad(w, n, "column without a header text%s%s", NULL, NULL);
    if (!c->field && c->part == CAPA_MAP_FIELD)
        bad(w, n, "column '%s' fills neither a field (field=) nor a part of the case (case=)%s",
            c->header, NULL);
    if (c->part == CAPA_MAP_STATUS && c->field)
        bad(w, n, "column '%s': the status column fills no field (it opens or closes the case)%s",
            c->header, NULL);
    if (c->part == CAPA_MAP_NUMBER && c->field)
        bad(w, n, "column '%s': the case number is the case's own, not a field%s", c->header,
            NULL);
    if (c->stage && !c->field)
        bad(w, n, "column '%s': stage '%s' given without a field", c->header, c->stage);
    for (xmlNode *k = capa__xml_elem(n->children); k; k = capa__xml_elem(k->next)) {
        if (capa__xml_is(k, MAP_NS, "alias")) {
            char *t = node_text(k);
            if (!t || push_str(&c->aliases, &c->n_aliases, t))
                goto done;
            if (!*t)
                bad(w, k, "column '%s': empty alias%s", c->header, NULL);
        } else if (capa__xml_is(k, MAP_NS, "date")) {
            if (read_date(w, k, &c->dates, &c->n_dates))
                goto done;
        } else if (capa__xml_is(k, MAP_NS, "map")) {
            capa_map_value *nv = capa__realloc(c->values, (c->n_values + 1) * sizeof *nv);
            if (!nv)
                goto done;
            c->values = nv;
            capa_map_value *v = &c->values[c->n_values++];
            v->from = v->to = NULL;
            if (capa__xml_attr(&v->from, k, "from") || capa__xml_attr(&v->to, k, "to"))
                goto done;
            if (!v->from || !v->to)
                continue; /* the schema said so */
            for (size_t j = 0; j + 1 < c->n_values; j++)
                if (c->values[j].from && same_text(c->values[j].from, v->from))
                    bad(w, k, "column '%s': value '%s' is mapped twice", c->header, v->from);
            if (c->part == CAPA_MAP_STATUS && strcmp(v->to, "open") != 0 &&
                strcmp(v->to, "closed") != 0)
                bad(w, k, "column '%s': a status maps to \"open\" or \"closed\", not '%s'",
                    c->header, v->to);
        }
    }
    if ((c->part == CAPA_MAP_NUMBER || c->part == CAPA_MAP_OPENED || c->part == CAPA_MAP_CLOSED) &&
        c->n_values)
        bad(w, n, "column '%s': <map> is for field and status values, not for the case %s",
            c->header, part_name(c->part));
    if (c->part == CAPA_MAP_STATUS && !c->n_values)
        bad(w, n, "column '%s': a status column needs <map from=\"...\" to=\"open|closed\"/>%s",
            c->header, NULL);
    (void)m;
    rc = CAPA_OK;
done:
    capa__free(part);
    capa__free(req);
    return rc;
}

static int parse_mapping(walk *w, capa_mapping *m, xmlNode *root)
{
    int rc = CAPA_ENOMEM;
    size_t n = 0;
    if (capa__xml_attr(&m->id, root, "id") || capa__xml_attr(&m->label_zh, root, "zh") ||
        capa__xml_attr(&m->label_en, root, "en"))
        return rc;
    for (xmlNode *k = capa__xml_elem(root->children); k; k = capa__xml_elem(k->next))
        n += capa__xml_is(k, MAP_NS, "column");
    if (n && !(m->columns = capa__calloc(n, sizeof *m->columns)))
        return rc;
    for (xmlNode *k = capa__xml_elem(root->children); k; k = capa__xml_elem(k->next)) {
        if (capa__xml_is(k, MAP_NS, "dates")) {
            for (xmlNode *d = capa__xml_elem(k->children); d; d = capa__xml_elem(d->next))
                if (capa__xml_is(d, MAP_NS, "date") && read_date(w, d, &m->dates, &m->n_dates))
                    return rc;
        } else if (capa__xml_is(k, MAP_NS, "column")) {
            capa_map_column *c = &m->columns[m->n_columns++];
            if (parse_column(w, m, c, k))
                return rc;
            const char *texts[21];
            size_t nt = 0;
            if (c->header)
                texts[nt++] = c->header;
            for (size_t a = 0; a < c->n_aliases && nt < 21; a++)
                texts[nt++] = c->aliases[a];
            /* A header text or alias must name one column: else a sheet's column could be
             * read twice, or by whichever came first. */
            for (size_t i = 0; i + 1 < m->n_columns; i++) {
                const capa_map_column *o = &m->columns[i];
                for (size_t t = 0; t < nt; t++) {
                    int dup = o->header && same_text(o->header, texts[t]);
                    for (size_t a = 0; !dup && a < o->n_aliases; a++)
                        dup = same_text(o->aliases[a], texts[t]);
                    if (dup) {
                        char line[24];
                        snprintf(line, sizeof line, "%ld", o->line);
                        bad(w, k, "header '%s' already names the column of line %s", texts[t],
                            line);
                    }
                }
                if (c->part != CAPA_MAP_FIELD && o->part == c->part)
                    bad(w, k, "column '%s': the case %s is already read from another column",
                        c->header, part_name(c->part));
            }
        }
    }
    for (size_t i = 0; i < m->n_columns; i++) {
        const capa_map_column *c = &m->columns[i];
        int dated = c->part == CAPA_MAP_OPENED || c->part == CAPA_MAP_CLOSED;
        if (dated && !c->n_dates && !m->n_dates)
            bad(w, NULL, "column '%s' holds dates but neither it nor the mapping has a <date>%s",
                c->header, NULL);
    }
    int has_opened = 0;
    for (size_t i = 0; i < m->n_columns; i++)
        has_opened |= m->columns[i].part == CAPA_MAP_OPENED;
    if (!has_opened)
        bad(w, root,
            "no column gives the date the case was opened (case=\"opened\"): legacy cases keep "
            "their own dates%s%s",
            NULL, NULL);
    return CAPA_OK;
}

int capa_mapping_parse(capa_mapping **out, const char *xml, size_t len, const char *name,
                       capa_diag *diag)
{
    uint64_t oom_before = capa__oom_count();
    xmlDocPtr doc = NULL;
    capa_mapping *m = NULL;
    walk w = {name ? name : "(mapping)", diag, 0, 0};
    *out = NULL;
    int rc = capa__xml_parse(&doc, xml, len, w.name, "mapping.xsd", diag);
    if (rc != CAPA_OK)
        goto done;
    xmlNode *root = xmlDocGetRootElement(doc);
    if (!capa__xml_is(root, MAP_NS, "mapping")) {
        rc = CAPA_EINVALID;
        bad(&w, root, "the root element must be <mapping xmlns=\"" MAP_NS "\">%s%s", NULL, NULL);
        goto done;
    }
    rc = CAPA_ENOMEM;
    if (!(m = capa__calloc(1, sizeof *m)) || !(m->name = capa__strdup(w.name)))
        goto done;
    rc = parse_mapping(&w, m, root);
    if (rc == CAPA_OK && w.invalid)
        rc = CAPA_EINVALID;
done:
    if (capa__oom_count() != oom_before)
        rc = CAPA_ENOMEM;
    if (rc == CAPA_OK) {
        *out = m;
        m = NULL;
    }
    capa_mapping_free(m);
    xmlFreeDoc(doc);
    return rc;
}

int capa_mapping_load(capa_mapping **out, const char *what, capa_diag *diag)
{
    *out = NULL;
    if (!what || !*what) {
        capa_diag_add(diag, "no mapping given");
        return CAPA_EINVALID;
    }
    size_t n = strlen(what);
    if (!strchr(what, '/') && !(n > 4 && strcmp(what + n - 4, ".xml") == 0)) {
        char file[128];
        snprintf(file, sizeof file, "%.100s.xml", what);
        for (const capa_embedded_file *f = capa_mapping_embedded(); f->name; f++)
            if (strcmp(f->name, file) == 0)
                return capa_mapping_parse(out, f->data, f->len, what, diag);
        char names[512] = "";
        for (const capa_embedded_file *f = capa_mapping_embedded(); f->name; f++) {
            size_t used = strlen(names);
            snprintf(names + used, sizeof names - used, "%s%.*s", used ? ", " : "",
                     (int)(strlen(f->name) - 4), f->name);
        }
        capa_diag_add(diag,
                      "mapping '%.100s': no such shipped mapping (shipped: %s); give a file "
                      "path for one of your own",
                      what, names);
        return CAPA_ENOTFOUND;
    }
    char *buf = NULL;
    size_t len = 0;
    int rc = capa__xml_read_file(&buf, &len, what, diag);
    if (rc == CAPA_OK)
        rc = capa_mapping_parse(out, buf, len, what, diag);
    capa__free(buf);
    return rc;
}

/* ---- fields against the forms ---- */

int capa_mapping_check(const capa_mapping *m, const capa_workflow *wf,
                       const capa_formdef *(*form_of)(int stage, void *payload), void *payload,
                       capa_diag *diag)
{
    size_t before = diag ? diag->n : 0;
    int invalid = 0;
    for (size_t i = 0; i < m->n_columns; i++) {
        const capa_map_column *c = &m->columns[i];
        if (!c->field)
            continue;
        int idx = c->stage ? capa_workflow_stage_index(wf, c->stage) : 0;
        if (idx < 0) {
            capa_diag_add(diag, "%s:%ld: column '%s': stage '%s' is not in the workflow", m->name,
                          c->line, c->header, c->stage);
            invalid = 1;
            continue;
        }
        const capa_formdef *f = form_of(idx, payload);
        const capa_field *fld = f ? capa_formdef_field(f, c->field) : NULL;
        if (!fld || fld->type == CAPA_FT_GROUP) {
            char hint[100] = "";
            char sug[70];
            if (f && capa_form_suggest(sug, sizeof sug, f, c->field))
                snprintf(hint, sizeof hint, " (did you mean `%s`?)", sug);
            capa_diag_add(diag, "%s:%ld: column '%s': form `%s` has no field `%s`%s%s", m->name,
                          c->line, c->header, f ? f->id : wf->stages[idx].form_id, c->field,
                          fld ? " (a group: its rows cannot come from one column)" : "", hint);
            invalid = 1;
            continue;
        }
        for (size_t j = 0; j < i; j++) {
            const capa_map_column *o = &m->columns[j];
            int oidx = o->stage ? capa_workflow_stage_index(wf, o->stage) : 0;
            if (o->field && oidx == idx && strcmp(o->field, c->field) == 0) {
                capa_diag_add(diag, "%s:%ld: column '%s': field `%s` is already filled by column "
                              "'%s'", m->name, c->line, c->header, c->field, o->header);
                invalid = 1;
            }
        }
    }
    const capa_formdef *first = form_of(0, payload);
    for (size_t i = 0; first && i < first->n_fields; i++) {
        const capa_field *fld = &first->fields[i];
        if (fld->required != CAPA_REQ_CREATE)
            continue;
        size_t j;
        for (j = 0; j < m->n_columns; j++) {
            const capa_map_column *c = &m->columns[j];
            if (c->field && !c->stage && strcmp(c->field, fld->id) == 0)
                break;
            if (c->field && c->stage && strcmp(c->stage, wf->stages[0].id) == 0 &&
                strcmp(c->field, fld->id) == 0)
                break;
        }
        if (j == m->n_columns) {
            capa_diag_add(diag, "%s: no column fills `%s` (%s), which form `%s` requires when a "
                          "case is opened", m->name, fld->id, fld->label_zh ? fld->label_zh : "",
                          first->id);
            invalid = 1;
        }
    }
    (void)before;
    return invalid ? CAPA_EINVALID : CAPA_OK;
}

/* ---- the header row ---- */

void capa_map_binding_clear(capa_map_binding *b)
{
    if (!b)
        return;
    capa__free(b->of_col);
    capa__free(b->col_of);
    free_strs(b->headers, b->n_cols);
    memset(b, 0, sizeof *b);
}

static int column_reads(const capa_map_column *c, const char *text)
{
    if (same_text(c->header, text))
        return 1;
    for (size_t a = 0; a < c->n_aliases; a++)
        if (same_text(c->aliases[a], text))
            return 1;
    return 0;
}

int capa_mapping_bind(capa_map_binding *out, const capa_mapping *m, const char *const *headers,
                      size_t n, capa_diag *diag, capa_diag *ignored)
{
    int invalid = 0;
    memset(out, 0, sizeof *out);
    out->m = m;
    out->n_cols = n;
    out->of_col = capa__calloc(n ? n : 1, sizeof *out->of_col);
    out->col_of = capa__calloc(m->n_columns ? m->n_columns : 1, sizeof *out->col_of);
    out->headers = capa__calloc(n ? n : 1, sizeof *out->headers);
    if (!out->of_col || !out->col_of || !out->headers) {
        capa_map_binding_clear(out);
        return CAPA_ENOMEM;
    }
    for (size_t j = 0; j < m->n_columns; j++)
        out->col_of[j] = -1;
    for (size_t i = 0; i < n; i++) {
        const char *h = headers[i] ? headers[i] : "";
        size_t len = strlen(h);
        trim(&h, &len);
        if (!(out->headers[i] = capa__strndup(h, len))) {
            capa_map_binding_clear(out);
            return CAPA_ENOMEM;
        }
        out->of_col[i] = -1;
        for (size_t j = 0; j < m->n_columns; j++) {
            if (!column_reads(&m->columns[j], out->headers[i]))
                continue;
            if (out->col_of[j] >= 0) {
                capa_diag_add(diag,
                              "header: columns %d and %zu are both '%s' (mapping column '%s'); "
                              "which one holds the data is not clear",
                              out->col_of[j] + 1, i + 1, out->headers[i], m->columns[j].header);
                invalid = 1;
            } else {
                out->col_of[j] = (int)i;
                out->of_col[i] = (int)j;
            }
            break;
        }
        if (out->of_col[i] < 0 && *out->headers[i] && ignored)
            capa_diag_add(ignored, "column %zu (%s)", i + 1, out->headers[i]);
    }
    for (size_t j = 0; j < m->n_columns; j++)
        if (m->columns[j].required && out->col_of[j] < 0) {
            capa_diag_add(diag, "header: required column '%s' is missing (mapping %s, line %ld)",
                          m->columns[j].header, m->name, m->columns[j].line);
            invalid = 1;
        }
    return invalid ? CAPA_EINVALID : CAPA_OK;
}

/* ---- values ---- */

const char *capa_mapping_value(const capa_map_column *c, const char *text)
{
    for (size_t i = 0; c && text && i < c->n_values; i++)
        if (same_text(c->values[i].from, text))
            return c->values[i].to;
    return text;
}

/* ---- dates ---- */

static const char *const months[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                     "jul", "aug", "sep", "oct", "nov", "dec"};

static int days_in(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return d[m - 1];
}

/* Token at f: its length in *n and kind, or 0 for a literal character. The longest token
 * wins: YYYY YY MMM MM M DD D hh h mm ss (a single m or s is a literal). Read character by
 * character: every cell of a date column is parsed with it. */
enum { T_LIT, T_YYYY, T_YY, T_MMM, T_MON, T_DAY, T_HOUR, T_MIN, T_SEC };
static int token(const char *f, size_t *n)
{
    *n = 1;
    switch (*f) {
    case 'Y':
        if (f[1] != 'Y')
            return T_LIT;
        *n = f[2] == 'Y' && f[3] == 'Y' ? 4 : 2;
        return *n == 4 ? T_YYYY : T_YY;
    case 'M':
        if (f[1] == 'M')
            *n = f[2] == 'M' ? 3 : 2;
        return *n == 3 ? T_MMM : T_MON;
    case 'D':
        *n = f[1] == 'D' ? 2 : 1;
        return T_DAY;
    case 'h':
        *n = f[1] == 'h' ? 2 : 1;
        return T_HOUR;
    case 'm':
    case 's':
        if (f[1] != f[0])
            return T_LIT;
        *n = 2;
        return f[0] == 'm' ? T_MIN : T_SEC;
    }
    return T_LIT;
}

#define WHY(...)                                                                                   \
    do {                                                                                           \
        if (why && sz)                                                                             \
            snprintf(why, sz, __VA_ARGS__);                                                        \
    } while (0)

int capa_sheet_date_format_check(const char *format, char *why, size_t sz)
{
    int seen[T_SEC + 1] = {0};
    if (why && sz)
        why[0] = 0;
    if (strcmp(format, "serial") == 0)
        return 1;
    for (const char *p = format; *p;) {
        size_t n;
        int k = token(p, &n);
        if (k == T_YY)
            k = T_YYYY;
        if (k == T_MMM)
            k = T_MON;
        if (k != T_LIT && seen[k]++) {
            WHY( "'%.*s' given twice", (int)n, p);
            return 0;
        }
        if (k == T_LIT && isalpha((unsigned char)*p)) {
            WHY(
                     "letter '%c' is not a date token (YYYY YY M MM MMM D DD hh mm ss, or "
                     "\"serial\")",
                     *p);
            return 0;
        }
        p += n;
    }
    if (!seen[T_YYYY] || !seen[T_MON] || !seen[T_DAY]) {
        WHY(
                 "needs a year (YYYY or YY), a month (M, MM or MMM) and a day (D or DD)");
        return 0;
    }
    if ((seen[T_MIN] || seen[T_SEC]) && !seen[T_HOUR]) {
        WHY( "minutes or seconds without hours (hh)");
        return 0;
    }
    return 1;
}

/* Up to `max` digits (at least `min`) at *p. */
static int digits(const char **p, int min, int max, int *out)
{
    int v = 0, n = 0;
    while (n < max && isdigit((unsigned char)(*p)[n]))
        v = v * 10 + ((*p)[n++] - '0');
    if (n < min)
        return 0;
    *p += n;
    *out = v;
    return 1;
}

static int serial(capa_sheet_date *d, const char *s)
{
    char *end;
    double v;
    for (const char *p = s; *p; p++)
        if (!isdigit((unsigned char)*p) && *p != '.')
            return 0;
    if (!*s || *s == '.')
        return 0;
    v = strtod(s, &end);
    if (*end || v < 61 || v >= 2958466) /* 1900-03-01 .. 9999-12-31 */
        return 0;
    long long days = (long long)v;
    long long secs = (long long)((v - (double)days) * 86400.0 + 0.5);
    if (secs >= 86400)
        secs = 86399;
    /* Day 0 of Excel's 1900 system is 1899-12-30 once its fictitious 1900-02-29 is passed:
     * civil-from-days (H. Hinnant) from 1970-01-01 = serial 25569. */
    long long z = days - 25569 + 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long y = (long long)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned dd = doy - (153 * mp + 2) / 5 + 1;
    unsigned mm = mp < 10 ? mp + 3 : mp - 9;
    d->year = (int)(y + (mm <= 2));
    d->month = (int)mm;
    d->day = (int)dd;
    d->hour = (int)(secs / 3600);
    d->minute = (int)(secs / 60 % 60);
    d->second = (int)(secs % 60);
    d->has_time = secs != 0;
    return 1;
}

int capa_sheet_date_parse(capa_sheet_date *out, const char *text, const char *format)
{
    capa_sheet_date d = {0};
    const char *s = text;
    size_t len = strlen(text);
    trim(&s, &len);
    char buf[64];
    if (len == 0 || len >= sizeof buf)
        return 0;
    memcpy(buf, s, len);
    buf[len] = 0;
    if (strcmp(format, "serial") == 0) {
        if (!serial(&d, buf))
            return 0;
        *out = d;
        return 1;
    }
    const char *p = buf;
    for (const char *f = format; *f;) {
        size_t n;
        int k = token(f, &n), v = 0;
        f += n;
        switch (k) {
        case T_YYYY:
            if (!digits(&p, 4, 4, &d.year))
                return 0;
            break;
        case T_YY:
            if (!digits(&p, 2, 2, &v))
                return 0;
            d.year = v < 30 ? 2000 + v : 1900 + v; /* Excel's two-digit-year rule */
            break;
        case T_MMM: {
            int m = 0;
            for (int i = 0; i < 12 && !m; i++)
                if (strncasecmp(p, months[i], 3) == 0)
                    m = i + 1;
            if (!m)
                return 0;
            d.month = m;
            p += 3;
            break;
        }
        case T_MON:
            if (!digits(&p, 1, 2, &d.month))
                return 0;
            break;
        case T_DAY:
            if (!digits(&p, 1, 2, &d.day))
                return 0;
            break;
        case T_HOUR:
            if (!digits(&p, 1, 2, &d.hour))
                return 0;
            d.has_time = 1;
            break;
        case T_MIN:
            if (!digits(&p, 2, 2, &d.minute))
                return 0;
            break;
        case T_SEC:
            if (!digits(&p, 2, 2, &d.second))
                return 0;
            break;
        default:
            if (*p != f[-1])
                return 0;
            p++;
        }
    }
    if (*p)
        return 0;
    if (d.year < 1900 || d.year > 9999 || d.month < 1 || d.month > 12 || d.day < 1 ||
        d.day > days_in(d.year, d.month) || d.hour > 23 || d.minute > 59 || d.second > 59)
        return 0;
    *out = d;
    return 1;
}

int capa_mapping_date(capa_sheet_date *out, const capa_mapping *m, const capa_map_column *c,
                      const char *text, char *why, size_t sz)
{
    char *const *f = c && c->n_dates ? c->dates : m->dates;
    size_t n = c && c->n_dates ? c->n_dates : m->n_dates;
    for (size_t i = 0; i < n; i++)
        if (capa_sheet_date_parse(out, text, f[i]))
            return 1;
    if (why && sz) {
        snprintf(why, sz, "is not a date in any of the formats ");
        for (size_t i = 0; i < n; i++) {
            size_t used = strlen(why);
            snprintf(why + used, sz - used, "%s%s", i ? ", " : "", f[i]);
        }
    }
    return 0;
}
