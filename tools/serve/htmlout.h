/*
 * htmlout.h - the HTML a template's result tree is written as (tools/serve/view.c).
 *
 * libxml2's HTML serialiser (htmlDocContentDumpFormatOutput, which xsltSaveResultTo calls for
 * method="html") costs about a quarter of a case page: per element a linear search of the
 * element table with case-insensitive compares, per attribute thirteen more for the boolean
 * names, a 1000-byte buffer allocated and freed to escape each value, each piece written
 * through a generic output buffer. sv_html_result writes the same bytes into an sv_buf: names
 * looked up once per page, a value that needs no escaping copied as it is, and every value
 * that does escaped by libxml2's own functions (xmlEncodeEntitiesReentrant,
 * xmlNodeListGetString, xmlURIEscapeStr), so the escaping is libxml2's, not a copy of
 * it. It writes no markup of its own: only the tree's elements, attributes and text.
 * tests/check_serve.c compares it with libxml2 byte for byte.
 */
#ifndef CAPA_SERVE_HTMLOUT_H
#define CAPA_SERVE_HTMLOUT_H

#include <libxml/tree.h>

#include "buf.h"

/**
 * Append to `b` what htmlDocContentDumpFormatOutput(buf, doc, enc, 0) writes for the HTML
 * document `doc` (no formatting). 0 when written; -1 when the tree holds something it leaves
 * to libxml2 (a DTD, namespaces, processing instructions, entity references) or memory ran
 * out: `b` is then as it was, and the caller serialises with libxml2.
 */
int sv_html_result(sv_buf *b, xmlDocPtr doc);

#endif
