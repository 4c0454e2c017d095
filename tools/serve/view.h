/*
 * view.h - the pages of capa serve as data and templates.
 *
 * A page's C code (pages.c) gathers what the page shows into a view: an XML document built
 * with libxml2's tree API (elements and attributes only, never markup in strings), with the
 * page's kind and the signed-in user on its root. sv_view_render turns it into HTML with the
 * XSLT templates of tools/serve/templates (compiled into the binary, parsed once). XSLT writes
 * every text node and attribute escaped; values placed into URLs go through EXSLT's
 * str:encode-uri in the templates. Nothing in a view is ever written out unescaped: the
 * templates never use disable-output-escaping (tests/e2e/serve_templates.sh checks).
 */
#ifndef CAPA_SERVE_VIEW_H
#define CAPA_SERVE_VIEW_H

#include <libxml/tree.h>

#include "serve.h"

typedef struct sv_view {
    xmlDocPtr doc;
    xmlNodePtr root; /* <page kind=... lang=...> */
    int lang;        /* SV_LANG_*: the reader's language, for sv_label */
    int oom;
} sv_view;

/** Compile the templates (once per process; thread-safe). 0, or -1 with the reason on
 *  stderr. */
int sv_view_init(void);
/** Start the view of page `kind` titled zh / en, for request r (its language, session and
 *  CSRF token go on the root). Returns the root. */
xmlNodePtr sv_view_begin(sv_view *v, sv_req *r, const char *kind, const char *zh,
                         const char *en);
/** A child element `name` of `parent` (NULL when parent is NULL or memory ran out). */
xmlNodePtr sv_el(sv_view *v, xmlNodePtr parent, const char *name);
/** A child element holding `text` as shown to a reader (sv_shown: control and disguising
 *  characters made visible; `keep_lines` keeps line breaks and tabs). */
xmlNodePtr sv_el_text(sv_view *v, xmlNodePtr parent, const char *name, const char *text,
                      int keep_lines);
/** Attribute `name` = `value` as shown to a reader (sv_shown); NULL value = no attribute. */
void sv_at(sv_view *v, xmlNodePtr n, const char *name, const char *value);
/** Attribute with the exact value (a form control's value; only invalid UTF-8 replaced). */
void sv_at_exact(sv_view *v, xmlNodePtr n, const char *name, const char *value);
void sv_atf(sv_view *v, xmlNodePtr n, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/** Attribute `name` of n: the label in the reader's language - zh, en, or "zh / en" when
 *  both are asked for and they differ (whichever there is when one is missing). */
void sv_label_as(sv_view *v, xmlNodePtr n, const char *name, const char *zh, const char *en);
/** The label of n (attribute l), as sv_label_as. */
void sv_label(sv_view *v, xmlNodePtr n, const char *zh, const char *en);
/** Render the view into r->out as text/html (status 200 unless set), and free it. */
void sv_view_render(sv_view *v, sv_req *r);
void sv_view_free(sv_view *v);

#endif
