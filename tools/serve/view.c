/*
 * view.c - views (XML documents built in C) rendered by the XSLT templates compiled into
 * the binary (see view.h).
 */
#include "view.h"

#include "htmlout.h"

#include <libexslt/exslt.h>
#include <libxml/HTMLtree.h>
#include <libxslt/documents.h>
#include <libxslt/imports.h>
#include <libxslt/security.h>
#include <libxslt/transform.h>
#include <libxslt/xsltInternals.h>
#include <libxslt/xsltutils.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The templates (generated from tools/serve/templates by embed.cmake). */
const sv_asset *sv_template_get(const char *name);

#define EMBED "embed:///"

static pthread_once_t once = PTHREAD_ONCE_INIT;
/* The templates compiled once per language (SV_LANG_*): a view is rendered by its reader's. */
static xsltStylesheetPtr styles[3];
static xsltSecurityPrefsPtr sec;
/* The language of the stylesheet being compiled (compile() runs once, on one thread). */
static int compiling;

/* ---- the labels of the templates, chosen when they are compiled ----
 *
 * Most words of a page are the templates' own, each written as a call of layout.xsl's
 * template "t" with the zh and en text as string literals. Which of them a page shows
 * depends only on the reader's language, so each language gets its own compiled copy of the
 * templates in which such a call is already the text it would write: no call, no parameters
 * and no tests per label and request (half of a case page's transformation). A call with
 * any other parameter (an attribute, a concat) is left to run as written. */

/* The value of a string literal select="'...'" (or "..."), or NULL. */
static xmlChar *literal(xmlNodePtr param)
{
    xmlChar *sel = xmlGetNoNsProp(param, BAD_CAST "select");
    size_t n = sel ? strlen((const char *)sel) : 0;
    xmlChar *out = NULL;
    if (n >= 2 && (sel[0] == '\'' || sel[0] == '"') && sel[n - 1] == sel[0] &&
        !memchr(sel + 1, sel[0], n - 2))
        out = xmlStrndup(sel + 1, (int)n - 2);
    xmlFree(sel);
    return out;
}

static int is_xsl(xmlNodePtr n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && n->ns &&
           xmlStrEqual(n->ns->href, XSLT_NAMESPACE) && xmlStrEqual(n->name, BAD_CAST name);
}

/* What template "t" writes for zh and en in language `lang` (layout.xsl says the same). */
static char *t_text(int lang, const char *zh, const char *en)
{
    char *out = NULL;
    if (lang == SV_LANG_ZH && *zh)
        return strdup(zh);
    if (lang == SV_LANG_EN && *en)
        return strdup(en);
    if (*zh && *en && strcmp(zh, en) != 0) {
        size_t n = strlen(zh) + strlen(en) + 4;
        if ((out = malloc(n)))
            snprintf(out, n, "%s / %s", zh, en);
        return out;
    }
    return strdup(*zh ? zh : en);
}

/* Replace every call of "t" with literal labels under n by the text it writes in `lang`. */
static void specialise(xmlNodePtr n, int lang)
{
    for (xmlNodePtr c = n ? n->children : NULL, next; c; c = next) {
        next = c->next;
        if (c->type != XML_ELEMENT_NODE)
            continue;
        xmlChar *name = is_xsl(c, "call-template") ? xmlGetNoNsProp(c, BAD_CAST "name") : NULL;
        int t = name && xmlStrEqual(name, BAD_CAST "t");
        xmlFree(name);
        if (!t) {
            specialise(c, lang);
            continue;
        }
        xmlChar *zh = NULL, *en = NULL;
        int other = 0;
        for (xmlNodePtr p = c->children; p; p = p->next) {
            if (p->type == XML_TEXT_NODE && xmlIsBlankNode(p))
                continue;
            xmlChar *pn = is_xsl(p, "with-param") && !p->children
                              ? xmlGetNoNsProp(p, BAD_CAST "name")
                              : NULL;
            xmlChar **slot = !pn                              ? NULL
                             : xmlStrEqual(pn, BAD_CAST "zh") ? &zh
                             : xmlStrEqual(pn, BAD_CAST "en") ? &en
                                                              : NULL;
            xmlFree(pn);
            if (!slot || *slot || !(*slot = literal(p)))
                other = 1;
        }
        char *text = !other && zh && en ? t_text(lang, (char *)zh, (char *)en) : NULL;
        xmlNodePtr x = text ? xmlNewDocNode(c->doc, c->ns, BAD_CAST "text", NULL) : NULL;
        xmlNodePtr tn = x ? xmlNewDocText(c->doc, BAD_CAST text) : NULL;
        if (tn) {
            xmlAddChild(x, tn);
            xmlReplaceNode(c, x);
            xmlFreeNode(c);
        } else {
            xmlFreeNode(x); /* left as written (out of memory: the call still works) */
        }
        free(text);
        xmlFree(zh);
        xmlFree(en);
    }
}

/* Loads what the templates include: only the embedded files, never the file system or the
 * network. */
static xmlDocPtr loader(const xmlChar *uri, xmlDictPtr dict, int options, void *ctxt,
                        xsltLoadType type)
{
    (void)ctxt;
    const char *u = (const char *)uri;
    if (!u || strncmp(u, EMBED, strlen(EMBED)) != 0)
        return NULL;
    const sv_asset *a = sv_template_get(u + strlen(EMBED));
    if (!a)
        return NULL;
    xmlParserCtxtPtr p = xmlNewParserCtxt();
    if (!p)
        return NULL;
    if (dict) {
        if (p->dict)
            xmlDictFree(p->dict);
        p->dict = dict;
        xmlDictReference(dict);
    }
    xmlDocPtr doc = xmlCtxtReadMemory(p, a->data, (int)a->len, u, "UTF-8",
                                      options | XML_PARSE_NONET);
    xmlFreeParserCtxt(p);
    if (doc && type == XSLT_LOAD_STYLESHEET)
        specialise(xmlDocGetRootElement(doc), compiling);
    return doc;
}

static void compile(void)
{
    exsltRegisterAll();
    xsltSetLoaderFunc(loader);
    const sv_asset *a = sv_template_get("page.xsl");
    int ok = 1;
    for (compiling = 0; compiling < 3; compiling++) {
        xmlDocPtr doc = a ? xmlReadMemory(a->data, (int)a->len, EMBED "page.xsl", "UTF-8",
                                          XML_PARSE_NONET)
                          : NULL;
        if (doc)
            specialise(xmlDocGetRootElement(doc), compiling);
        if (doc && !(styles[compiling] = xsltParseStylesheetDoc(doc)))
            xmlFreeDoc(doc);
        ok &= styles[compiling] != NULL;
    }
    /* A transformation may read and write nothing outside the view. */
    sec = xsltNewSecurityPrefs();
    if (sec) {
        xsltSetSecurityPrefs(sec, XSLT_SECPREF_READ_FILE, xsltSecurityForbid);
        xsltSetSecurityPrefs(sec, XSLT_SECPREF_WRITE_FILE, xsltSecurityForbid);
        xsltSetSecurityPrefs(sec, XSLT_SECPREF_CREATE_DIRECTORY, xsltSecurityForbid);
        xsltSetSecurityPrefs(sec, XSLT_SECPREF_READ_NETWORK, xsltSecurityForbid);
        xsltSetSecurityPrefs(sec, XSLT_SECPREF_WRITE_NETWORK, xsltSecurityForbid);
    }
    if (!ok || !sec)
        fprintf(stderr, "capa serve: the page templates do not compile\n");
}

int sv_view_init(void)
{
    pthread_once(&once, compile);
    return styles[0] && styles[1] && styles[2] && sec ? 0 : -1;
}

static void oom_if(sv_view *v, const void *p)
{
    if (!p)
        v->oom = 1;
}

xmlNodePtr sv_el(sv_view *v, xmlNodePtr parent, const char *name)
{
    if (!parent)
        return NULL;
    xmlNodePtr n = xmlNewChild(parent, NULL, BAD_CAST name, NULL);
    oom_if(v, n);
    return n;
}

xmlNodePtr sv_el_text(sv_view *v, xmlNodePtr parent, const char *name, const char *text,
                      int keep_lines)
{
    xmlNodePtr n = sv_el(v, parent, name);
    if (!n || !text || !*text)
        return n;
    sv_buf b = {0};
    char *s = NULL;
    int same = sv_shown_same(text, keep_lines);
    if (!same) {
        sv_shown(&b, text, keep_lines);
        s = sv_buf_take(&b, NULL);
        oom_if(v, s);
    }
    /* xmlNodeAddContent takes text, never markup. */
    if (s || same)
        xmlNodeAddContent(n, BAD_CAST(s ? s : text));
    free(s);
    return n;
}

static void set(sv_view *v, xmlNodePtr n, const char *name, const char *value, int exact)
{
    if (!n || !value)
        return;
    sv_buf b = {0};
    char *s = NULL;
    /* Most values need no change: set them as they are. */
    if (exact ? !sv_shown_same(value, 1) : !sv_shown_same(value, 0)) {
        if (exact)
            sv_utf8_valid(&b, value);
        else
            sv_shown(&b, value, 0);
        s = sv_buf_take(&b, NULL);
        if (!s) {
            v->oom = 1;
            return;
        }
    }
    /* xmlSetProp takes the value as text: it is stored, never parsed as markup. */
    oom_if(v, xmlSetProp(n, BAD_CAST name, BAD_CAST(s ? s : value)));
    free(s);
}

void sv_at(sv_view *v, xmlNodePtr n, const char *name, const char *value)
{
    set(v, n, name, value, 0);
}

void sv_at_exact(sv_view *v, xmlNodePtr n, const char *name, const char *value)
{
    set(v, n, name, value, 1);
}

void sv_atf(sv_view *v, xmlNodePtr n, const char *name, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    set(v, n, name, buf, 0);
}

void sv_label_as(sv_view *v, xmlNodePtr n, const char *name, const char *zh, const char *en)
{
    int has_zh = zh && *zh, has_en = en && *en;
    if (v->lang == SV_LANG_ZH && has_zh)
        sv_at(v, n, name, zh);
    else if (v->lang == SV_LANG_EN && has_en)
        sv_at(v, n, name, en);
    else if (has_zh && has_en && strcmp(zh, en) != 0) {
        sv_buf b = {0};
        sv_buf_puts(&b, zh);
        sv_buf_puts(&b, " / ");
        sv_buf_puts(&b, en);
        char *both = sv_buf_take(&b, NULL);
        if (!both)
            v->oom = 1;
        sv_at(v, n, name, both);
        free(both);
    } else
        sv_at(v, n, name, has_zh ? zh : has_en ? en : "");
}

void sv_label(sv_view *v, xmlNodePtr n, const char *zh, const char *en)
{
    sv_label_as(v, n, "l", zh, en);
}

xmlNodePtr sv_view_begin(sv_view *v, sv_req *r, const char *kind, const char *zh,
                         const char *en)
{
    static const char *const langs[] = {[SV_LANG_BOTH] = "both", [SV_LANG_ZH] = "zh",
                                        [SV_LANG_EN] = "en"};
    memset(v, 0, sizeof *v);
    v->doc = xmlNewDoc(BAD_CAST "1.0");
    /* Names from a dictionary of the view's own under the templates' (read-only once
     * compiled): no copy per element and attribute, and libxslt compares them by address. */
    v->lang = r->lang >= 0 && r->lang < 3 ? r->lang : SV_LANG_BOTH;
    if (v->doc && sv_view_init() == 0 &&
        (v->doc->dict = xmlDictCreateSub(styles[v->lang]->dict)) == NULL)
        v->oom = 1;
    v->root = v->doc ? xmlNewDocNode(v->doc, NULL, BAD_CAST "page", NULL) : NULL;
    if (!v->root) {
        v->oom = 1;
        return NULL;
    }
    xmlDocSetRootElement(v->doc, v->root);
    sv_at(v, v->root, "kind", kind);
    sv_at(v, v->root, "lang", langs[v->lang]);
    sv_label_as(v, v->root, "title", zh, en);
    return v->root;
}

void sv_view_free(sv_view *v)
{
    xmlFreeDoc(v->doc);
    memset(v, 0, sizeof *v);
}

/* The result as xsltSaveResultTo writes it for the templates' <xsl:output method="html"
 * encoding="UTF-8" indent="no"/> (the meta element with the encoding added to the head, then
 * libxml2's HTML without formatting), written by sv_html_result straight into `out`: the same
 * bytes for a fraction of the instructions (htmlout.h). -1: left to xsltSaveResultToString. */
static int html_direct(sv_buf *out, xmlDocPtr res, xsltStylesheetPtr style)
{
    const xmlChar *method, *encoding;
    int indent;
    XSLT_GET_IMPORT_PTR(method, style, method)
    XSLT_GET_IMPORT_PTR(encoding, style, encoding)
    XSLT_GET_IMPORT_INT(indent, style, indent)
    if (style->methodURI || !xmlStrEqual(method, BAD_CAST "html") || indent != 0 ||
        !xmlStrEqual(encoding, BAD_CAST "UTF-8"))
        return -1;
    htmlSetMetaEncoding(res, encoding);
    return sv_html_result(out, res);
}

void sv_view_render(sv_view *v, sv_req *r)
{
    xmlDocPtr res = NULL;
    xmlChar *html = NULL;
    int len = 0;
    xsltTransformContextPtr ctx = NULL;
    sv_buf_free(&r->out);
    if (sv_view_init() || v->oom || !v->doc)
        goto fail;
    /* The stylesheet of the view's language (its labels chosen already), whose dictionary
     * the view's names come from. */
    xsltStylesheetPtr style = styles[v->lang];
    ctx = xsltNewTransformContext(style, v->doc);
    if (!ctx || xsltSetCtxtSecurityPrefs(sec, ctx))
        goto fail;
    res = xsltApplyStylesheetUser(style, v->doc, NULL, NULL, NULL, ctx);
    if (!res || ctx->state != XSLT_STATE_OK)
        goto fail;
    sv_buf_puts(&r->out, "<!DOCTYPE html>\n");
    if (html_direct(&r->out, res, style) &&
        (xsltSaveResultToString(&html, &len, res, style) || !html))
        goto fail;
    if (html)
        sv_buf_put(&r->out, (const char *)html, (size_t)len);
    if (r->out.oom)
        goto fail;
    if (!r->status)
        r->status = 200;
    r->type = "text/html; charset=utf-8";
    goto done;
fail:
    sv_buf_free(&r->out);
    sv_buf_puts(&r->out, "the page could not be rendered\n");
    r->status = 500;
    r->type = "text/plain; charset=utf-8";
done:
    xmlFree(html);
    xmlFreeDoc(res);
    if (ctx)
        xsltFreeTransformContext(ctx);
    sv_view_free(v);
}
