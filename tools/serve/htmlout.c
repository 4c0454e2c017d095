/*
 * htmlout.c - the HTML of a template's result tree, as libxml2 writes it (see htmlout.h).
 *
 * Each rule below is the one of libxml2's HTMLtree.c (htmlNodeDumpFormatOutput and
 * htmlAttrDumpOutput, format off), entities.c (xmlEncodeEntitiesInternal, HTML document) and
 * buf.c (xmlBufWriteQuotedString); where a value needs escaping, libxml2's function does it
 * (xmlEncodeEntitiesReentrant, xmlNodeListGetString, xmlURIEscapeStr).
 */
#include "htmlout.h"

#include <libxml/HTMLparser.h>
#include <libxml/entities.h>
#include <libxml/parserInternals.h>
#include <libxml/uri.h>
#include <stdint.h>
#include <string.h>

/* The element descriptions of one page's names (dictionary strings: compared by address),
 * each looked up once in libxml2's table (htmlTagLookup: a linear, case-insensitive search). */
#define TAGS 128
typedef struct out {
    sv_buf *b;
    xmlDocPtr doc;
    const xmlChar *name[TAGS];
    const htmlElemDesc *info[TAGS];
    size_t len[TAGS];
} out;

/* Append n bytes (sv_buf_put when the buffer must grow; the NUL comes at the end). */
static void put(out *o, const char *s, size_t n)
{
    sv_buf *b = o->b;
    if (b->len + n + 1 > b->cap) {
        sv_buf_put(b, s, n);
        return;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void put1(out *o, char c)
{
    sv_buf *b = o->b;
    if (b->len + 2 > b->cap) {
        sv_buf_put(b, &c, 1);
        return;
    }
    b->p[b->len++] = c;
}

static void puts_(out *o, const xmlChar *s)
{
    put(o, (const char *)s, strlen((const char *)s));
}

static const htmlElemDesc *tag_info(out *o, const xmlChar *name, size_t *len)
{
    size_t h = ((uintptr_t)name >> 3) % TAGS;
    for (size_t i = 0; i < TAGS; i++, h = (h + 1) % TAGS) {
        if (o->name[h] == name) {
            *len = o->len[h];
            return o->info[h];
        }
        if (!o->name[h]) {
            o->name[h] = name;
            *len = o->len[h] = strlen((const char *)name);
            return o->info[h] = htmlTagLookup(name);
        }
    }
    *len = strlen((const char *)name);
    return htmlTagLookup(name);
}

/* What scan finds in a value: ESC when libxml2's escaping (HTML document, text or attribute)
 * would change it (< > &, or a C0 control other than tab, line feed and carriage return,
 * which it drops); DQ, SQ: a double, a single quote. */
enum { ESC = 1, DQ = 2, SQ = 4 };

/* The length of s, and in *flags what it holds. Every character that matters is below '@'. */
static size_t scan(const xmlChar *s, int *flags)
{
    const xmlChar *p = s;
    int f = 0;
    for (;; p++) {
        xmlChar c = *p;
        if (c >= 0x40)
            continue;
        if (c == 0)
            break;
        if (c == '<' || c == '>' || c == '&' || (c < 0x20 && c != '\t' && c != '\n' && c != '\r'))
            f |= ESC;
        else if (c == '"')
            f |= DQ;
        else if (c == '\'')
            f |= SQ;
    }
    *flags = f;
    return (size_t)(p - s);
}

/* 1 when xmlURIEscapeStr(s, "@/:=?;#%&,+<>") returns s as it is. */
static int uri_plain(const xmlChar *s)
{
    for (; *s; s++) {
        unsigned char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr("-_.!~*'()@/:=?;#%&,+<>", c)))
            return 0;
    }
    return 1;
}

/* htmlIsBooleanAttr (its thirteen names, case-insensitive), comparing only the names of the
 * same first letter and length. */
static int boolean_attr(const xmlChar *name, size_t n)
{
#define IS(lit) (n == sizeof lit - 1 && !xmlStrcasecmp(name, BAD_CAST lit))
    switch (name[0] | 0x20) {
    case 'c':
        return IS("checked") || IS("compact");
    case 'd':
        return IS("declare") || IS("defer") || IS("disabled");
    case 'i':
        return IS("ismap");
    case 'm':
        return IS("multiple");
    case 'n':
        return IS("nohref") || IS("noresize") || IS("noshade") || IS("nowrap");
    case 'r':
        return IS("readonly");
    case 's':
        return IS("selected");
    }
    return 0;
#undef IS
}

/* xmlBufWriteQuotedString of s (n bytes; flags from scan). */
static void quoted(out *o, const xmlChar *s, size_t n, int flags)
{
    const char *v = (const char *)s;
    if (!(flags & DQ)) {
        put1(o, '"');
        put(o, v, n);
        put1(o, '"');
    } else if (!(flags & SQ)) {
        put1(o, '\'');
        put(o, v, n);
        put1(o, '\'');
    } else {
        put1(o, '"');
        for (const char *q; (q = strchr(v, '"')); v = q + 1) {
            put(o, v, (size_t)(q - v));
            put(o, "&quot;", 6);
        }
        puts_(o, BAD_CAST v);
        put1(o, '"');
    }
}

/* 1 when the attribute's value is a URL to libxml2 (href, action, src, and name on a). */
static int is_uri_attr(xmlAttrPtr a)
{
    const xmlChar *n = a->name;
    int c0 = n[0] | 0x20;
    if (a->ns || !a->parent || a->parent->ns || (c0 != 'h' && c0 != 'a' && c0 != 's' && c0 != 'n'))
        return 0;
    return !xmlStrcasecmp(n, BAD_CAST "href") || !xmlStrcasecmp(n, BAD_CAST "action") ||
           !xmlStrcasecmp(n, BAD_CAST "src") ||
           (!xmlStrcasecmp(n, BAD_CAST "name") && !xmlStrcasecmp(a->parent->name, BAD_CAST "a"));
}

/* ="value" of an attribute (its value escaped as xmlNodeListGetString(doc, children, 0)
 * gives it; a URL's percent-encoded as xmlURIEscapeStr does), as htmlAttrDumpOutput. */
static int attr_value(out *o, xmlAttrPtr a)
{
    xmlNodePtr c = a->children;
    const xmlChar *value = NULL;
    xmlChar *owned = NULL;
    int flags = 0, rc = 0;
    size_t n = 0;
    /* The usual: one text node that needs no escaping. */
    if (c && !c->next && c->type == XML_TEXT_NODE && c->content &&
        (n = scan(c->content, &flags), !(flags & ESC)))
        value = c->content;
    else if ((value = owned = xmlNodeListGetString(o->doc, c, 0)))
        n = scan(value, &flags);
    if (!value) {
        put(o, "=\"\"", 3);
    } else if (is_uri_attr(a)) {
        const xmlChar *t = value;
        while (*t == ' ' || *t == '\t' || *t == '\n' || *t == '\r')
            t++;
        put1(o, '=');
        if (uri_plain(t)) {
            quoted(o, t, n - (size_t)(t - value), flags);
        } else {
            xmlChar *esc = xmlURIEscapeStr(t, BAD_CAST "@/:=?;#%&,+<>");
            if (esc) {
                n = scan(esc, &flags);
                quoted(o, esc, n, flags);
            } else {
                rc = -1; /* out of memory */
            }
            xmlFree(esc);
        }
    } else {
        put1(o, '=');
        quoted(o, value, n, flags);
    }
    xmlFree(owned);
    return rc;
}

/* htmlAttrDumpOutput. */
static int attribute(out *o, xmlAttrPtr a)
{
    if (a->ns)
        return -1;
    size_t n = strlen((const char *)a->name);
    put1(o, ' ');
    put(o, (const char *)a->name, n);
    if (!a->children || boolean_attr(a->name, n))
        return 0;
    return attr_value(o, a);
}

/* A text node; `parent` is the element it is in (NULL: the document). */
static int text(out *o, xmlNodePtr t, xmlNodePtr parent)
{
    if (!t->content)
        return 0;
    const xmlChar *pn = parent ? parent->name : NULL;
    int raw = t->name == xmlStringTextNoenc ||
              (pn && (pn[0] | 0x20) == 's' &&
               (!xmlStrcasecmp(pn, BAD_CAST "script") || !xmlStrcasecmp(pn, BAD_CAST "style")));
    int flags;
    size_t n = scan(t->content, &flags);
    if (raw || !(flags & ESC)) {
        put(o, (const char *)t->content, n);
        return 0;
    }
    xmlChar *e = xmlEncodeEntitiesReentrant(o->doc, t->content);
    if (!e)
        return -1;
    puts_(o, e);
    xmlFree(e);
    return 0;
}

static int element(out *o, xmlNodePtr e);

static int children(out *o, xmlNodePtr parent)
{
    for (xmlNodePtr c = parent->children; c; c = c->next) {
        int rc = 0;
        switch (c->type) {
        case XML_ELEMENT_NODE:
            rc = element(o, c);
            break;
        case XML_TEXT_NODE:
            rc = text(o, c, parent->type == XML_ELEMENT_NODE ? parent : NULL);
            break;
        case XML_COMMENT_NODE:
            if (c->content) {
                put(o, "<!--", 4);
                puts_(o, c->content);
                put(o, "-->", 3);
            }
            break;
        default:
            rc = -1; /* left to libxml2 */
        }
        if (rc)
            return rc;
    }
    return 0;
}

/* htmlNodeDumpFormatOutput's element, format off. */
static int element(out *o, xmlNodePtr e)
{
    if (e->ns || e->nsDef)
        return -1;
    size_t n;
    const htmlElemDesc *info = tag_info(o, e->name, &n);
    put1(o, '<');
    put(o, (const char *)e->name, n);
    for (xmlAttrPtr a = e->properties; a; a = a->next) {
        if (attribute(o, a))
            return -1;
    }
    if (info && info->empty) {
        put1(o, '>');
        return 0;
    }
    if (!e->children) {
        if (info && info->saveEndTag && strcmp(info->name, "html") && strcmp(info->name, "body")) {
            put1(o, '>');
        } else {
            put(o, "></", 3);
            put(o, (const char *)e->name, n);
            put1(o, '>');
        }
        return 0;
    }
    put1(o, '>');
    if (children(o, e))
        return -1;
    put(o, "</", 2);
    put(o, (const char *)e->name, n);
    put1(o, '>');
    return 0;
}

int sv_html_result(sv_buf *b, xmlDocPtr doc)
{
    /* (xsltSaveResultTo writes nothing for an empty result: left to it, too) */
    if (!b || !doc || doc->type != XML_HTML_DOCUMENT_NODE || doc->intSubset || !doc->children ||
        b->oom)
        return -1;
    out o = {.b = b, .doc = doc};
    size_t len = b->len;
    int rc = children(&o, (xmlNodePtr)doc);
    /* after the document's last node a line feed (and the buffer's NUL) */
    sv_buf_put(b, "\n", 1);
    if (rc || b->oom) {
        b->len = len;
        b->oom = 0;
        if (b->p)
            b->p[len] = '\0';
        return -1;
    }
    return 0;
}
