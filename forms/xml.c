/*
 * xml.c - safe parsing of definition documents with libxml2, shared by forms and workflow.
 *
 * Form definitions come from plant engineers and, through `capa form install`, from anyone
 * with the admin password, so they are treated as hostile: input over 1 MiB or not UTF-8 is
 * refused before libxml2 sees it; the parser runs without NOENT/DTDLOAD/DTDVALID/HUGE/
 * XINCLUDE and with NONET; a DOCTYPE stops the parser the moment it is seen (before any
 * internal subset, entity or external DTD is read); external entity loading is disabled
 * process-wide. Every libxml2 message is captured per call through structured error
 * handlers and never reaches stderr. capa_form_init() routes libxml2's memory through the
 * capa allocator so fault injection reaches inside the parser too.
 */
#include "xml.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>

#include "alloc.h"
#include "utf8.h"

#define PARSE_OPTIONS (XML_PARSE_NONET | XML_PARSE_BIG_LINES | XML_PARSE_IGNORE_ENC)

/* What the error handlers of one parse write into. */
typedef struct errstate {
    capa_diag *diag;
    const char *name;
    size_t n;    /* errors seen (reported or not) */
    int doctype; /* a DOCTYPE was seen and refused */
    int oom;     /* libxml2 reported running out of memory */
    const char *kind; /* "definition" or "case archive", for messages */
} errstate;

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc = CAPA_ERROR;

static void silent_generic(void *ctx, const char *msg, ...)
{
    (void)ctx, (void)msg;
}

static void silent_structured(void *ctx, xmlErrorPtr e)
{
    (void)ctx, (void)e;
}

/* Nothing capa parses may load another file or URL. */
static xmlParserInputPtr refuse_entity(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
    (void)url, (void)id, (void)ctxt;
    return NULL;
}

/* Appends one message, dropping libxml2's "{urn:capa:...}" namespace prefixes and the
 * trailing newline so the text reads like the file the user wrote. */
/* 1 when the error's own message was added (the one classify may give its rule), else 0. */
static int report(errstate *st, long line, const char *msg)
{
    char buf[512];
    size_t o = 0;

    if (st->n++ >= CAPA_XML_MAX_ERRORS) {
        if (st->n == CAPA_XML_MAX_ERRORS + 1)
            capa_diag_add(st->diag, "%s: too many errors, the rest are not shown", st->name);
        return 0;
    }
    for (const char *p = msg ? msg : "error"; *p && o + 1 < sizeof buf; p++) {
        if (*p == '{' && strncmp(p + 1, "urn:capa:", 9) == 0 && strchr(p, '}')) {
            p = strchr(p, '}');
            continue;
        }
        /* "[facet 'enumeration'] " is schema jargon; the sentence after it says it all. */
        if (strncmp(p, "[facet '", 8) == 0 && strstr(p, "'] ")) {
            p = strstr(p, "'] ") + 2;
            continue;
        }
        buf[o++] = *p;
    }
    while (o > 0 && (buf[o - 1] == '\n' || buf[o - 1] == ' '))
        o--;
    buf[o] = 0;
    if (line > 0)
        capa_diag_add(st->diag, "%s:%ld: %s", st->name, line, buf);
    else
        capa_diag_add(st->diag, "%s: %s", st->name, buf);
    return 1;
}

/* The text of the first '...' in m after `after` (or at its start when NULL), into buf. */
static const char *quoted(char *buf, size_t sz, const char *m, const char *after)
{
    const char *p = after ? strstr(m, after) : (m && *m == '\'' ? m : NULL);
    buf[0] = 0;
    if (!p)
        return buf;
    p = strchr(p, '\'');
    const char *e = p ? strchr(p + 1, '\'') : NULL;
    if (p && e)
        snprintf(buf, sz, "%.*s", (int)(e - p - 1), p + 1);
    return buf;
}

/* The list libxml2 names after `key` ("Expected is ( a, b )", "the set {'a', 'b'}"). */
static const char *listed(char *buf, size_t sz, const char *m, const char *key, char open,
                          char close)
{
    const char *p = m ? strstr(m, key) : NULL, *b = p ? strchr(p, open) : NULL;
    const char *e = b ? strrchr(b, close) : NULL;
    buf[0] = 0;
    if (b && e && e > b) {
        size_t o = 0;
        for (const char *q = b + 1; q < e && o + 1 < sz; q++)
            if (*q != '\'' && (*q != ' ' || (o && buf[o - 1] != ' ')))
                buf[o++] = *q;
        while (o && buf[o - 1] == ' ')
            o--;
        buf[o] = 0;
    }
    return buf;
}

/*
 * The message just reported as data (capa_diag_rule), so the tools word it in the reader's
 * language instead of showing libxml2's English: the common schema errors by their code
 * (xmlError.code) as rules "xml.*" with the element, attribute, value and what was expected;
 * anything else as "xml.schema" or "xml.syntax", libxml2's text kept as the technical detail.
 */
static void classify(errstate *st, const xmlError *e, long line, const char *detail)
{
    const char *m = detail, *rule; /* as reported: no namespace or facet jargon */
    char el[128] = "", at[128] = "", val[256] = "", exp[512] = "", kind[16] = "";
    const xmlNode *n = e->node;
    if (n && n->type == XML_ATTRIBUTE_NODE) {
        snprintf(at, sizeof at, "%s", (const char *)n->name);
        n = n->parent;
    }
    if (n && n->type == XML_ELEMENT_NODE)
        snprintf(el, sizeof el, "%s", (const char *)n->name);
    if (e->domain != XML_FROM_SCHEMASV) {
        rule = "xml.syntax";
    } else {
        switch (e->code) {
        case XML_SCHEMAV_CVC_ELT_1:
            rule = "xml.root";
            break;
        case XML_SCHEMAV_ELEMENT_CONTENT:
        case XML_SCHEMAV_CVC_COMPLEX_TYPE_2_4:
            rule = strstr(m, "Missing child") ? "xml.missing_child" : "xml.unexpected";
            listed(exp, sizeof exp, m, "Expected is", '(', ')');
            break;
        case XML_SCHEMAV_CVC_COMPLEX_TYPE_3_2_1:
        case XML_SCHEMAV_CVC_COMPLEX_TYPE_3_2_2:
            rule = "xml.attr_unknown";
            break;
        case XML_SCHEMAV_CVC_COMPLEX_TYPE_4:
            rule = "xml.attr_missing";
            quoted(at, sizeof at, m, "attribute");
            break;
        case XML_SCHEMAV_CVC_COMPLEX_TYPE_2_1:
        case XML_SCHEMAV_CVC_COMPLEX_TYPE_2_3:
            rule = "xml.text";
            break;
        case XML_SCHEMAV_CVC_ENUMERATION_VALID:
            rule = "xml.value", snprintf(kind, sizeof kind, "choice");
            listed(exp, sizeof exp, m, "the set", '{', '}');
            break;
        case XML_SCHEMAV_CVC_PATTERN_VALID:
            rule = "xml.value", snprintf(kind, sizeof kind, "pattern");
            break;
        case XML_SCHEMAV_CVC_LENGTH_VALID:
        case XML_SCHEMAV_CVC_MINLENGTH_VALID:
        case XML_SCHEMAV_CVC_MAXLENGTH_VALID:
            rule = "xml.value", snprintf(kind, sizeof kind, "length");
            break;
        case XML_SCHEMAV_CVC_MININCLUSIVE_VALID:
        case XML_SCHEMAV_CVC_MAXINCLUSIVE_VALID:
        case XML_SCHEMAV_CVC_MINEXCLUSIVE_VALID:
        case XML_SCHEMAV_CVC_MAXEXCLUSIVE_VALID:
        case XML_SCHEMAV_CVC_TOTALDIGITS_VALID:
        case XML_SCHEMAV_CVC_FRACTIONDIGITS_VALID:
            rule = "xml.value", snprintf(kind, sizeof kind, "range");
            break;
        case XML_SCHEMAV_CVC_DATATYPE_VALID_1_2_1:
        case XML_SCHEMAV_CVC_ATTRIBUTE_3:
        case XML_SCHEMAV_CVC_TYPE_3_1_1:
            rule = "xml.value", snprintf(kind, sizeof kind, "type");
            break;
        default:
            rule = "xml.schema";
        }
        if (!*at && strcmp(rule, "xml.attr_missing") != 0)
            quoted(at, sizeof at, m, "attribute '");
        if (!strcmp(rule, "xml.value")) {
            /* "The value 'x' is not ...", or "..., attribute 'a': 'x' is not a valid value" */
            const char *v = strstr(m, "value '"), *w = v ? NULL : strstr(m, "': '");
            quoted(val, sizeof val, v ? v + 6 : w ? w + 3 : "", NULL);
            if (*at)
                rule = "xml.attr_value";
        }
    }
    capa_diag_rule(st->diag, rule, "", val);
    capa_diag_param(st->diag, "file", "%s", st->name);
    capa_diag_param(st->diag, "line", "%ld", line > 0 ? line : 1L);
    if (*el)
        capa_diag_param(st->diag, "element", "%s", el);
    if (*at)
        capa_diag_param(st->diag, "attribute", "%s", at);
    if (*exp)
        capa_diag_param(st->diag, "expected", "%s", exp);
    if (*kind)
        capa_diag_param(st->diag, "kind", "%s", kind);
    /* libxml2's own sentence, without the "file:line: " the parameters carry */
    size_t nl = strlen(st->name);
    if (strncmp(detail, st->name, nl) == 0 && detail[nl] == ':') {
        detail += nl + 1;
        detail += strspn(detail, "0123456789");
        detail += strspn(detail, ": ");
    }
    capa_diag_param(st->diag, "detail", "%s", detail);
}

static void collect(errstate *st, xmlErrorPtr e)
{
    if (!e || e->level == XML_ERR_WARNING || e->level == XML_ERR_NONE)
        return;
    if (e->code == XML_ERR_NO_MEMORY) {
        st->oom = 1;
        return;
    }
    /* After a refused DOCTYPE the parser only reports the consequences of being stopped. */
    if (st->doctype)
        return;
    /* Past the last error shown nothing is added: the message before (the "too many" line)
     * must not be classified again, which also leaked its field and value. */
    if (report(st, e->line, e->message) && st->diag && st->diag->last_added)
        classify(st, e, e->line, st->diag->msgs[st->diag->n - 1]);
}

static void on_parse_error(void *ctx, xmlErrorPtr e)
{
    xmlParserCtxtPtr ctxt = ctx;
    collect(ctxt->_private, e);
}

static void on_schema_error(void *ctx, xmlErrorPtr e)
{
    collect(ctx, e);
}

/* SAX internalSubset fires right after `<!DOCTYPE name [PUBLIC|SYSTEM ...]`, before the
 * internal subset or any external DTD is read: stop there. */
static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *public_id,
                       const xmlChar *system_id)
{
    xmlParserCtxtPtr ctxt = ctx;
    errstate *st = ctxt->_private;
    (void)name, (void)public_id, (void)system_id;
    if (!st->doctype) {
        char msg[120];
        snprintf(msg, sizeof msg, "DOCTYPE is not allowed in a %s (no DTDs or entities)",
                 st->kind ? st->kind : "definition");
        long line = ctxt->input ? ctxt->input->line : 0;
        report(st, line, msg);
        capa_diag_rule(st->diag, "xml.doctype", "", "");
        capa_diag_param(st->diag, "file", "%s", st->name);
        capa_diag_param(st->diag, "line", "%ld", line > 0 ? line : 1L);
        st->doctype = 1;
    }
    xmlStopParser(ctxt);
}

static void on_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *public_id,
                           const xmlChar *system_id, xmlChar *content)
{
    (void)name, (void)type, (void)public_id, (void)system_id, (void)content;
    on_doctype(ctx, NULL, NULL, NULL);
}

static xmlParserInputPtr on_resolve_entity(void *ctx, const xmlChar *public_id,
                                           const xmlChar *system_id)
{
    (void)ctx, (void)public_id, (void)system_id;
    return NULL;
}

static long line_of(const char *s, size_t off)
{
    long line = 1;
    for (size_t i = 0; i < off; i++)
        line += s[i] == '\n';
    return line;
}

/* The embedded schemas, compiled once and shared. libxml2 2.9.14's schema compiler does not
 * survive every allocation failure, so compiling happens in capa_form_init() (outside any
 * fault-injection window) and is only retried here if that failed. Validation against a
 * shared schema is serialised by the lock: it takes well under a millisecond per form. */
static pthread_mutex_t schema_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    const char *name;
    xmlSchemaPtr schema;
} schemas[] = {{"form.xsd", NULL},    {"workflow.xsd", NULL}, {"calendar.xsd", NULL},
             {"case.xsd", NULL},    {"mapping.xsd", NULL}};


/* A document in memory read by libxml2 in chunks (xmlCtxtReadIO). */
typedef struct mem_in {
    const char *p;
    size_t left;
} mem_in;

static int mem_read(void *ctx, char *buf, int len)
{
    mem_in *m = ctx;
    size_t n = len < 0 ? 0 : (size_t)len;
    if (n > m->left)
        n = m->left;
    memcpy(buf, m->p, n);
    m->p += n;
    m->left -= n;
    return (int)n;
}

static int mem_close(void *ctx)
{
    (void)ctx;
    return 0;
}

/* Called with schema_lock held. */
static xmlSchemaPtr schema_get(const char *xsd)
{
    const capa_embedded_file *f;
    xmlSchemaParserCtxtPtr pctxt = NULL;
    errstate internal = {NULL, xsd, 0, 0, 0, NULL};
    size_t i;

    for (i = 0; i < sizeof schemas / sizeof *schemas; i++)
        if (strcmp(schemas[i].name, xsd) == 0)
            break;
    if (i == sizeof schemas / sizeof *schemas)
        return NULL;
    if (schemas[i].schema)
        return schemas[i].schema;
    f = capa_form_embedded_get(xsd);
    if (!f)
        return NULL;
    capa__alloc_shield(1);
    pctxt = xmlSchemaNewMemParserCtxt(f->data, (int)f->len);
    if (pctxt) {
        xmlSchemaSetParserStructuredErrors(pctxt, on_schema_error, &internal);
        schemas[i].schema = xmlSchemaParse(pctxt);
        xmlSchemaFreeParserCtxt(pctxt);
    }
    capa__alloc_shield(0);
    return schemas[i].schema;
}

static int validate(errstate *st, xmlDocPtr doc, const char *xsd)
{
    int rc = CAPA_ERROR, r = -1;
    xmlSchemaPtr schema;
    xmlSchemaValidCtxtPtr vctxt = NULL;

    pthread_mutex_lock(&schema_lock);
    schema = schema_get(xsd);
    if (!schema) {
        capa_diag_add(st->diag, "%s: built-in schema %s is missing or does not compile", st->name,
                      xsd);
        goto done;
    }
    /* libxml2 2.9.14 neither builds a validation context nor validates safely when an
     * allocation fails inside (it goes on with half-made structures), so fault injection
     * is kept out of this one step. */
    rc = CAPA_ENOMEM;
    capa__alloc_shield(1);
    vctxt = xmlSchemaNewValidCtxt(schema);
    if (vctxt) {
        xmlSchemaSetValidStructuredErrors(vctxt, on_schema_error, st);
        r = xmlSchemaValidateDoc(vctxt, doc);
    }
    capa__alloc_shield(0);
    if (!vctxt)
        goto done;
    if (r == 0 && st->n == 0)
        rc = CAPA_OK;
    else if (r > 0 || st->n > 0)
        rc = CAPA_EINVALID;
    else
        rc = CAPA_ERROR;
done:
    xmlSchemaFreeValidCtxt(vctxt);
    pthread_mutex_unlock(&schema_lock);
    return rc;
}

static void init(void)
{
    /* xmlMemSetup must run before libxml2 allocates anything, hence pthread_once here. */
    if (xmlMemSetup(capa__free, capa__malloc, capa__realloc, capa__strdup) != 0)
        return;
    xmlInitParser();
    xmlSetExternalEntityLoader(refuse_entity);
    xmlThrDefSetGenericErrorFunc(NULL, silent_generic);
    xmlThrDefSetStructuredErrorFunc(NULL, silent_structured);
    xmlSetGenericErrorFunc(NULL, silent_generic);
    xmlSetStructuredErrorFunc(NULL, silent_structured);
    pthread_mutex_lock(&schema_lock);
    for (size_t i = 0; i < sizeof schemas / sizeof *schemas; i++)
        schema_get(schemas[i].name);
    pthread_mutex_unlock(&schema_lock);
    init_rc = CAPA_OK;
}

int capa_form_init(void)
{
    pthread_once(&init_once, init);
    return init_rc;
}

int capa__xml_parse(xmlDocPtr *out, const char *xml, size_t len, const char *name, const char *xsd,
                    capa_diag *diag)
{
    return capa__xml_parse_max(out, xml, len, name, xsd, CAPA_XML_MAX_BYTES, diag);
}

int capa__xml_parse_max(xmlDocPtr *out, const char *xml, size_t len, const char *name,
                        const char *xsd, size_t max, capa_diag *diag)
{
    int rc = CAPA_ERROR;
    uint64_t oom_before = capa__oom_count();
    xmlParserCtxtPtr ctxt = NULL;
    xmlDocPtr doc = NULL;
    size_t bad = 0;
    int archive = xsd && strcmp(xsd, "case.xsd") == 0;
    errstate st = {diag, name ? name : "(definition)", 0, 0, 0,
                   archive ? "case archive" : "definition"};

    *out = NULL;
    rc = capa_form_init();
    if (rc != CAPA_OK)
        goto done;
    rc = CAPA_EINVALID;
    if (!xml || len == 0) {
        capa_diag_add(diag, "%s:1: empty document", st.name);
        goto done;
    }
    if (len > max) {
        capa_diag_add(diag, "%s: %zu bytes is over the limit of %zu bytes for this document",
                      st.name, len, max);
        goto done;
    }
    if (!capa__utf8_check(xml, len, NULL, &bad)) {
        capa_diag_add(diag, "%s:%ld: not UTF-8 (byte %zu); a %s must be UTF-8 text", st.name,
                      line_of(xml, bad), bad, st.kind);
        goto done;
    }
    rc = CAPA_ENOMEM;
    ctxt = xmlNewParserCtxt();
    if (!ctxt || !ctxt->sax)
        goto done;
    ctxt->_private = &st;
    ctxt->sax->serror = on_parse_error;
    ctxt->sax->internalSubset = on_doctype;
    ctxt->sax->entityDecl = on_entity_decl;
    ctxt->sax->resolveEntity = on_resolve_entity;
    /* Read through callbacks, not xmlCtxtReadMemory: libxml2 2.9.14's memory input leaks its
     * buffer when copying a document over 8 KiB fails (xmlParserInputBufferCreateMem). */
    mem_in in = {xml, len};
    doc = xmlCtxtReadIO(ctxt, mem_read, mem_close, &in, NULL, NULL, PARSE_OPTIONS);
    rc = CAPA_EINVALID;
    if (st.doctype)
        goto done;
    if (!doc || !ctxt->wellFormed || st.n > 0) {
        if (st.n == 0)
            capa_diag_add(diag, "%s: not well-formed XML", st.name);
        goto done;
    }
    if (doc->intSubset || doc->extSubset || !xmlDocGetRootElement(doc)) {
        capa_diag_add(diag, "%s: DOCTYPE is not allowed in a %s", st.name, st.kind);
        goto done;
    }
    /* A tree built while an allocation failed may be incomplete: never validate it. */
    if (st.oom || capa__oom_count() != oom_before)
        goto done;
    rc = xsd ? validate(&st, doc, xsd) : CAPA_OK;
done:
    /* libxml2 sometimes turns a failed allocation into a parse error or carries on with a
     * partial tree; either way the answer is "out of memory", never a half-read definition. */
    if (st.oom || capa__oom_count() != oom_before)
        rc = CAPA_ENOMEM;
    if (rc == CAPA_OK)
        *out = doc;
    else
        xmlFreeDoc(doc);
    if (ctxt)
        xmlFreeParserCtxt(ctxt);
    return rc;
}

int capa__xml_read_file(char **out, size_t *out_len, const char *path, capa_diag *diag)
{
    int rc = CAPA_ERROR, fd = -1;
    char *buf = NULL;
    struct stat sb;
    size_t got = 0;

    *out = NULL;
    *out_len = 0;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &sb) != 0) {
        rc = errno == ENOENT ? CAPA_ENOTFOUND : CAPA_ERROR;
        capa_diag_add(diag, "%s: %s", path, strerror(errno));
        goto done;
    }
    if (!S_ISREG(sb.st_mode)) {
        capa_diag_add(diag, "%s: not a regular file", path);
        goto done;
    }
    if ((uint64_t)sb.st_size > CAPA_XML_MAX_BYTES) {
        rc = CAPA_EINVALID;
        capa_diag_add(diag, "%s: %lld bytes is over the limit of %zu bytes for a definition", path,
                      (long long)sb.st_size, CAPA_XML_MAX_BYTES);
        goto done;
    }
    buf = capa__malloc((size_t)sb.st_size + 1);
    if (!buf) {
        rc = CAPA_ENOMEM;
        goto done;
    }
    while (got < (size_t)sb.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)sb.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            capa_diag_add(diag, "%s: %s", path, r < 0 ? strerror(errno) : "file shrank");
            goto done;
        }
        got += (size_t)r;
    }
    buf[got] = 0;
    *out = buf;
    *out_len = got;
    buf = NULL;
    rc = CAPA_OK;
done:
    if (fd >= 0)
        close(fd);
    capa__free(buf);
    return rc;
}

int capa__xml_is(const xmlNode *n, const char *ns, const char *local)
{
    return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
           strcmp((const char *)n->ns->href, ns) == 0 && strcmp((const char *)n->name, local) == 0;
}

xmlNode *capa__xml_elem(xmlNode *n)
{
    while (n && n->type != XML_ELEMENT_NODE)
        n = n->next;
    return n;
}

int capa__xml_attr(char **out, const xmlNode *n, const char *name)
{
    xmlChar *v;
    size_t b = 0, e;

    *out = NULL;
    if (!xmlHasNsProp(n, (const xmlChar *)name, NULL))
        return CAPA_OK;
    v = xmlGetNoNsProp(n, (const xmlChar *)name);
    if (!v)
        return CAPA_ENOMEM;
    e = strlen((char *)v);
    while (b < e && strchr(" \t\r\n", v[b]))
        b++;
    while (e > b && strchr(" \t\r\n", v[e - 1]))
        e--;
    *out = capa__strndup((char *)v + b, e - b);
    xmlFree(v);
    return *out ? CAPA_OK : CAPA_ENOMEM;
}

long capa__xml_line(const xmlNode *n)
{
    return n ? xmlGetLineNo(n) : 0;
}

int capa_form_doc_kind(const char *xml, size_t len)
{
    xmlDocPtr doc = NULL;
    xmlNode *root;
    int rc = capa__xml_parse(&doc, xml, len, NULL, NULL, NULL);

    if (rc == CAPA_ENOMEM)
        return rc;
    root = doc ? xmlDocGetRootElement(doc) : NULL;
    if (capa__xml_is(root, "urn:capa:form:1", "form"))
        rc = CAPA_DOC_FORM;
    else if (capa__xml_is(root, "urn:capa:workflow:1", "workflow"))
        rc = CAPA_DOC_WORKFLOW;
    else
        rc = CAPA_DOC_UNKNOWN;
    xmlFreeDoc(doc);
    return rc;
}
