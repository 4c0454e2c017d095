/*
 * form.c - form definitions: XML (schemas/form.xsd) into capa_formdef, plus the semantic
 * checks a schema cannot express well: unique field, column and choice ids, a choice field
 * with choices (and only choice fields with them), min <= max, bounds only on numbers and
 * rows, and patterns that compile as POSIX extended regular expressions. Every problem is
 * reported with its line, all of them in one go.
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "xml.h"

#define FORM_NS "urn:capa:form:1"
#define STR_(x) #x
#define STR(x) STR_(x)
/* Bounds that keep a hostile definition from costing quadratic time in the id checks. */
#define MAX_FIELDS 500
#define MAX_CHOICES 1000
#define MAX_COLUMNS 100

static const char *const type_names[] = {
    [CAPA_FT_TEXT] = "text",       [CAPA_FT_MULTILINE] = "multiline",
    [CAPA_FT_INTEGER] = "integer", [CAPA_FT_DECIMAL] = "decimal",
    [CAPA_FT_DATE] = "date",       [CAPA_FT_DATETIME] = "datetime",
    [CAPA_FT_CHOICE] = "choice",   [CAPA_FT_BOOLEAN] = "boolean",
    [CAPA_FT_USER] = "user",       [CAPA_FT_GROUP] = "group",
};

/* The state of one parse: where messages go and whether any semantic check failed. */
typedef struct walk {
    const char *name;
    capa_diag *diag;
    int invalid;
    size_t n_msgs;
} walk;

const char *capa_ftype_name(capa_ftype t)
{
    return (unsigned)t < sizeof type_names / sizeof *type_names ? type_names[t] : "unknown";
}

static int ftype_parse(const char *s, capa_ftype *out)
{
    for (size_t i = 0; s && i < sizeof type_names / sizeof *type_names; i++) {
        if (strcmp(s, type_names[i]) == 0) {
            *out = (capa_ftype)i;
            return 1;
        }
    }
    return 0;
}

static void field_clear(capa_field *fld)
{
    capa__free(fld->id);
    capa__free(fld->label_zh);
    capa__free(fld->label_en);
    capa__free(fld->pattern);
    if (fld->pattern_re) {
        regfree(fld->pattern_re);
        capa__free(fld->pattern_re);
    }
    for (size_t i = 0; i < fld->n_choices; i++) {
        capa__free(fld->choices[i].value);
        capa__free(fld->choices[i].label_zh);
        capa__free(fld->choices[i].label_en);
    }
    capa__free(fld->choices);
    for (size_t i = 0; i < fld->n_columns; i++)
        field_clear(&fld->columns[i]);
    capa__free(fld->columns);
}

void capa_formdef_free(capa_formdef *f)
{
    if (!f)
        return;
    capa__free(f->id);
    capa__free(f->label_zh);
    capa__free(f->label_en);
    for (size_t i = 0; i < f->n_fields; i++)
        field_clear(&f->fields[i]);
    capa__free(f->fields);
    capa__free(f->source);
    capa__free(f);
}

static void bad(walk *w, const xmlNode *n, const char *fmt, const char *a, const char *b)
{
    char *msg;

    w->invalid = 1;
    if (w->n_msgs++ >= CAPA_XML_MAX_ERRORS) {
        if (w->n_msgs == CAPA_XML_MAX_ERRORS + 1)
            capa_diag_add(w->diag, "%s: too many errors, the rest are not shown", w->name);
        return;
    }
    msg = capa__sprintf(fmt, a ? a : "", b ? b : "");
    capa_diag_add(w->diag, "%s:%ld: %s", w->name, capa__xml_line(n), msg ? msg : "invalid");
    capa__free(msg);
}

static size_t count_elems(xmlNode *n, const char *local)
{
    size_t k = 0;
    for (n = capa__xml_elem(n); n; n = capa__xml_elem(n->next))
        k += capa__xml_is(n, FORM_NS, local);
    return k;
}

/* A number attribute the schema already typed as xs:decimal. */
static int number_attr(const xmlNode *n, const char *name, int *has, double *out)
{
    char *v = NULL, *end = NULL;
    int rc = capa__xml_attr(&v, n, name);
    if (rc == CAPA_OK && v) {
        *out = strtod(v, &end);
        *has = end != v && *end == 0;
    }
    capa__free(v);
    return rc;
}

static int labels(char **zh, char **en, const xmlNode *n)
{
    int rc = capa__xml_attr(zh, n, "zh");
    if (rc == CAPA_OK)
        rc = capa__xml_attr(en, n, "en");
    return rc;
}

static int parse_choices(capa_field *fld, xmlNode *n, walk *w)
{
    int rc = CAPA_OK;
    size_t k = count_elems(n->children, "choice");

    if (k == 0)
        goto done;
    if (k > MAX_CHOICES) {
        bad(w, n, "field `%s` has more than %s choices", fld->id, STR(MAX_CHOICES));
        goto done;
    }
    fld->choices = capa__calloc(k, sizeof *fld->choices);
    if (!fld->choices) {
        rc = CAPA_ENOMEM;
        goto done;
    }
    for (xmlNode *c = capa__xml_elem(n->children); c; c = capa__xml_elem(c->next)) {
        capa_choice *ch;
        if (!capa__xml_is(c, FORM_NS, "choice"))
            continue;
        ch = &fld->choices[fld->n_choices++];
        rc = capa__xml_attr(&ch->value, c, "value");
        if (rc == CAPA_OK)
            rc = labels(&ch->label_zh, &ch->label_en, c);
        if (rc != CAPA_OK)
            goto done;
        for (size_t i = 0; ch->value && i + 1 < fld->n_choices; i++)
            if (fld->choices[i].value && strcmp(fld->choices[i].value, ch->value) == 0)
                bad(w, c, "field `%s`: choice value '%s' appears twice", fld->id, ch->value);
    }
done:
    return rc;
}

static int compile_pattern(capa_field *fld, const xmlNode *n, walk *w)
{
    int rc = CAPA_OK, r;
    char *anchored = NULL;
    regex_t *re = NULL;

    /* Back-references are a glibc extension to EREs that can take exponential time. */
    for (const char *p = fld->pattern; *p; p++) {
        if (p[0] == '\\' && p[1] >= '1' && p[1] <= '9') {
            bad(w, n, "field `%s`: pattern uses a back-reference (%s), which is not allowed",
                fld->id, (char[]){p[0], p[1], 0});
            goto done;
        }
        if (p[0] == '\\' && p[1])
            p++;
    }
    /* The whole value must match, so the pattern is anchored at both ends. */
    anchored = capa__sprintf("^(%s)$", fld->pattern);
    re = capa__malloc(sizeof *re);
    if (!anchored || !re) {
        rc = CAPA_ENOMEM;
        goto done;
    }
    r = regcomp(re, anchored, REG_EXTENDED | REG_NOSUB);
    if (r == REG_ESPACE) {
        rc = CAPA_ENOMEM;
    } else if (r != 0) {
        char err[128];
        regerror(r, re, err, sizeof err);
        bad(w, n, "field `%s`: pattern is not a valid extended regular expression: %s", fld->id,
            err);
    } else {
        fld->pattern_re = re;
        re = NULL;
    }
done:
    capa__free(re);
    capa__free(anchored);
    return rc;
}

static int parse_field(capa_field *fld, xmlNode *n, walk *w);

/* A group's columns: plain fields, ids unique within the group. */
static int parse_columns(capa_field *g, xmlNode *n, walk *w)
{
    int rc = CAPA_OK;
    size_t k = count_elems(n->children, "field");

    if (k == 0) {
        bad(w, n, "group `%s` has no columns", g->id, NULL);
        goto done;
    }
    if (k > MAX_COLUMNS) {
        bad(w, n, "group `%s` has more than %s columns", g->id, STR(MAX_COLUMNS));
        goto done;
    }
    g->columns = capa__calloc(k, sizeof *g->columns);
    if (!g->columns) {
        rc = CAPA_ENOMEM;
        goto done;
    }
    for (xmlNode *c = capa__xml_elem(n->children); c; c = capa__xml_elem(c->next)) {
        capa_field *col;
        if (capa__xml_is(c, FORM_NS, "group")) {
            bad(w, c, "group `%s`: groups cannot be nested", g->id, NULL);
            continue;
        }
        if (!capa__xml_is(c, FORM_NS, "field"))
            continue;
        col = &g->columns[g->n_columns++];
        rc = parse_field(col, c, w);
        if (rc != CAPA_OK)
            goto done;
        for (size_t i = 0; col->id && i + 1 < g->n_columns; i++)
            if (g->columns[i].id && strcmp(g->columns[i].id, col->id) == 0)
                bad(w, c, "group `%s`: column `%s` is defined twice", g->id, col->id);
    }
done:
    return rc;
}

static int parse_field(capa_field *fld, xmlNode *n, walk *w)
{
    int rc, is_group = capa__xml_is(n, FORM_NS, "group");
    char *type = NULL, *req = NULL, *maxlen = NULL;
    int has_rows_min = 0, has_rows_max = 0;
    double rows_min = 0, rows_max = 0;

    rc = capa__xml_attr(&fld->id, n, "id");
    if (rc == CAPA_OK)
        rc = labels(&fld->label_zh, &fld->label_en, n);
    if (rc == CAPA_OK)
        rc = capa__xml_attr(&req, n, "required");
    if (rc != CAPA_OK)
        goto done;
    if (!fld->id) {
        bad(w, n, "field without an id", NULL, NULL);
        goto done;
    }
    if (req && strcmp(req, "true") == 0)
        fld->required = CAPA_REQ_SIGN;
    else if (req && strcmp(req, "create") == 0)
        fld->required = CAPA_REQ_CREATE;

    if (is_group) {
        fld->type = CAPA_FT_GROUP;
        rc = number_attr(n, "min-rows", &has_rows_min, &rows_min);
        if (rc == CAPA_OK)
            rc = number_attr(n, "max-rows", &has_rows_max, &rows_max);
        if (rc != CAPA_OK)
            goto done;
        fld->has_min = has_rows_min, fld->min = rows_min;
        fld->has_max = has_rows_max, fld->max = rows_max;
        if (has_rows_max && rows_max < 1)
            bad(w, n, "group `%s`: max-rows must be at least 1", fld->id, NULL);
        fld->max_rows = has_rows_max && rows_max >= 1 ? (size_t)rows_max : 0;
        if (has_rows_min && has_rows_max && rows_min > rows_max)
            bad(w, n, "group `%s`: min-rows is greater than max-rows", fld->id, NULL);
        rc = parse_columns(fld, n, w);
        goto done;
    }

    rc = capa__xml_attr(&type, n, "type");
    if (rc == CAPA_OK)
        rc = capa__xml_attr(&maxlen, n, "max-length");
    if (rc == CAPA_OK)
        rc = capa__xml_attr(&fld->pattern, n, "pattern");
    if (rc == CAPA_OK)
        rc = number_attr(n, "min", &fld->has_min, &fld->min);
    if (rc == CAPA_OK)
        rc = number_attr(n, "max", &fld->has_max, &fld->max);
    if (rc == CAPA_OK)
        rc = parse_choices(fld, n, w);
    if (rc != CAPA_OK)
        goto done;
    if (!ftype_parse(type, &fld->type) || fld->type == CAPA_FT_GROUP) {
        bad(w, n, "field `%s`: unknown type '%s'", fld->id, type);
        goto done;
    }
    if (maxlen)
        fld->max_length = (size_t)strtoul(maxlen, NULL, 10);
    if (fld->type == CAPA_FT_CHOICE && fld->n_choices == 0)
        bad(w, n, "field `%s`: a choice field needs at least one <choice>", fld->id, NULL);
    if (fld->type != CAPA_FT_CHOICE && fld->n_choices > 0)
        bad(w, n, "field `%s`: only choice fields have <choice> values (type is %s)", fld->id,
            type);
    if ((fld->has_min || fld->has_max) && fld->type != CAPA_FT_INTEGER &&
        fld->type != CAPA_FT_DECIMAL)
        bad(w, n, "field `%s`: min/max apply to integer and decimal fields, not %s", fld->id, type);
    if (fld->has_min && fld->has_max && fld->min > fld->max)
        bad(w, n, "field `%s`: min is greater than max", fld->id, NULL);
    if (fld->pattern)
        rc = compile_pattern(fld, n, w);
done:
    capa__free(type);
    capa__free(req);
    capa__free(maxlen);
    return rc;
}

static int parse_form(capa_formdef *f, xmlNode *root, walk *w)
{
    int rc;
    char *version = NULL;
    size_t k = count_elems(root->children, "field") + count_elems(root->children, "group");

    rc = capa__xml_attr(&f->id, root, "id");
    if (rc == CAPA_OK)
        rc = capa__xml_attr(&version, root, "version");
    if (rc == CAPA_OK)
        rc = labels(&f->label_zh, &f->label_en, root);
    if (rc != CAPA_OK)
        goto done;
    f->version = version ? atoi(version) : 0;
    if (k > MAX_FIELDS) {
        bad(w, root, "form `%s` has more than %s fields", f->id, STR(MAX_FIELDS));
        goto done;
    }
    f->fields = capa__calloc(k ? k : 1, sizeof *f->fields);
    if (!f->fields) {
        rc = CAPA_ENOMEM;
        goto done;
    }
    for (xmlNode *c = capa__xml_elem(root->children); c; c = capa__xml_elem(c->next)) {
        capa_field *fld;
        if (!capa__xml_is(c, FORM_NS, "field") && !capa__xml_is(c, FORM_NS, "group"))
            continue;
        fld = &f->fields[f->n_fields++];
        rc = parse_field(fld, c, w);
        if (rc != CAPA_OK)
            goto done;
        for (size_t i = 0; fld->id && i + 1 < f->n_fields; i++)
            if (f->fields[i].id && strcmp(f->fields[i].id, fld->id) == 0)
                bad(w, c, "field `%s` is defined twice in form `%s`", fld->id, f->id);
    }
done:
    capa__free(version);
    return rc;
}

int capa_formdef_parse(capa_formdef **out, const char *xml, size_t len, const char *name,
                       capa_diag *diag)
{
    int rc;
    uint64_t oom_before = capa__oom_count();
    xmlDocPtr doc = NULL;
    xmlNode *root;
    capa_formdef *f = NULL;
    walk w = {name ? name : "(form)", diag, 0, 0};

    *out = NULL;
    rc = capa__xml_parse(&doc, xml, len, w.name, "form.xsd", diag);
    if (rc != CAPA_OK)
        goto done;
    root = xmlDocGetRootElement(doc);
    if (!capa__xml_is(root, FORM_NS, "form")) {
        rc = CAPA_EINVALID;
        bad(&w, root, "the root element must be <form xmlns=\"" FORM_NS "\">", NULL, NULL);
        goto done;
    }
    rc = CAPA_ENOMEM;
    f = capa__calloc(1, sizeof *f);
    if (!f)
        goto done;
    f->source = capa__strndup(xml, len);
    if (!f->source)
        goto done;
    f->source_len = len;
    rc = parse_form(f, root, &w);
    if (rc == CAPA_OK && w.invalid)
        rc = CAPA_EINVALID;
done:
    if (capa__oom_count() != oom_before)
        rc = CAPA_ENOMEM;
    if (rc == CAPA_OK) {
        *out = f;
        f = NULL;
    }
    capa_formdef_free(f);
    xmlFreeDoc(doc);
    return rc;
}

int capa_formdef_load(capa_formdef **out, const char *path, capa_diag *diag)
{
    char *buf = NULL;
    size_t len = 0;
    int rc;

    *out = NULL;
    rc = capa__xml_read_file(&buf, &len, path, diag);
    if (rc == CAPA_OK)
        rc = capa_formdef_parse(out, buf, len, path, diag);
    capa__free(buf);
    return rc;
}

const capa_field *capa_formdef_field(const capa_formdef *f, const char *id)
{
    /* The first byte before strcmp: a form has dozens of fields and every value of every
     * imported row is looked up here several times. */
    for (size_t i = 0; f && id && i < f->n_fields; i++)
        if (f->fields[i].id[0] == id[0] && strcmp(f->fields[i].id, id) == 0)
            return &f->fields[i];
    return NULL;
}

const capa_choice *capa_field_choice(const capa_field *fld, const char *value)
{
    for (size_t i = 0; fld && value && i < fld->n_choices; i++)
        if (strcmp(fld->choices[i].value, value) == 0)
            return &fld->choices[i];
    return NULL;
}
