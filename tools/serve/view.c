/*
 * view.c - views (XML documents built in C) rendered by the XSLT templates compiled into
 * the binary (see view.h).
 */
#include "view.h"

#include <libexslt/exslt.h>
#include <libxslt/documents.h>
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
static xsltStylesheetPtr style;
static xsltSecurityPrefsPtr sec;

/* Loads what the templates include: only the embedded files, never the file system or the
 * network. */
static xmlDocPtr loader(const xmlChar *uri, xmlDictPtr dict, int options, void *ctxt,
                        xsltLoadType type)
{
    (void)ctxt;
    (void)type;
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
    return doc;
}

static void compile(void)
{
    exsltRegisterAll();
    xsltSetLoaderFunc(loader);
    const sv_asset *a = sv_template_get("page.xsl");
    xmlDocPtr doc = a ? xmlReadMemory(a->data, (int)a->len, EMBED "page.xsl", "UTF-8",
                                      XML_PARSE_NONET)
                      : NULL;
    if (doc && !(style = xsltParseStylesheetDoc(doc)))
        xmlFreeDoc(doc);
    /* A transformation may read and write nothing outside the view. */
    sec = xsltNewSecurityPrefs();
    if (sec) {
        xsltSetSecurityPrefs(sec, XSLT_SECPREF_READ_FILE, xsltSecurityForbid);
        xsltSetSecurityPrefs(sec, XSLT_SECPREF_WRITE_FILE, xsltSecurityForbid);
        xsltSetSecurityPrefs(sec, XSLT_SECPREF_CREATE_DIRECTORY, xsltSecurityForbid);
        xsltSetSecurityPrefs(sec, XSLT_SECPREF_READ_NETWORK, xsltSecurityForbid);
        xsltSetSecurityPrefs(sec, XSLT_SECPREF_WRITE_NETWORK, xsltSecurityForbid);
    }
    if (!style || !sec)
        fprintf(stderr, "capa serve: the page templates do not compile\n");
}

int sv_view_init(void)
{
    pthread_once(&once, compile);
    return style && sec ? 0 : -1;
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
    if (!sv_shown_same(text, keep_lines)) {
        sv_shown(&b, text, keep_lines);
        s = sv_buf_take(&b, NULL);
        oom_if(v, s);
    }
    /* xmlNodeAddContent takes text, never markup. */
    if (s || sv_shown_same(text, keep_lines))
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
    if (v->doc && sv_view_init() == 0 && (v->doc->dict = xmlDictCreateSub(style->dict)) == NULL)
        v->oom = 1;
    v->root = v->doc ? xmlNewDocNode(v->doc, NULL, BAD_CAST "page", NULL) : NULL;
    if (!v->root) {
        v->oom = 1;
        return NULL;
    }
    xmlDocSetRootElement(v->doc, v->root);
    v->lang = r->lang;
    sv_at(v, v->root, "kind", kind);
    sv_at(v, v->root, "lang", langs[r->lang]);
    sv_label_as(v, v->root, "title", zh, en);
    return v->root;
}

void sv_view_free(sv_view *v)
{
    xmlFreeDoc(v->doc);
    memset(v, 0, sizeof *v);
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
    ctx = xsltNewTransformContext(style, v->doc);
    if (!ctx || xsltSetCtxtSecurityPrefs(sec, ctx))
        goto fail;
    res = xsltApplyStylesheetUser(style, v->doc, NULL, NULL, NULL, ctx);
    if (!res || ctx->state != XSLT_STATE_OK || xsltSaveResultToString(&html, &len, res, style) ||
        !html)
        goto fail;
    sv_buf_puts(&r->out, "<!DOCTYPE html>\n");
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
