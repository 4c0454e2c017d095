/*
 * xml.h - the one safe way capa reads XML: form definitions and the workflow both go through
 * capa__xml_parse, which refuses DTDs, entities, network access and oversized input, and
 * validates against an embedded schema, collecting every error as "name:line: reason".
 */
#ifndef CAPA_XML_H
#define CAPA_XML_H

#include <libxml/tree.h>

#include "capa_form.h"

/** Definitions larger than this are refused before the parser sees them. */
#define CAPA_XML_MAX_BYTES ((size_t)1 << 20)
/** At most this many messages per document; the rest are summarised in one line. */
#define CAPA_XML_MAX_ERRORS 100

/**
 * Parse `xml` safely and, when `xsd` names an embedded schema ("form.xsd"), validate it.
 * @return CAPA_OK with *out the document (free with xmlFreeDoc), CAPA_EINVALID with every
 *  problem in diag, CAPA_ENOMEM, or CAPA_ERROR (embedded schema missing or broken).
 */
int capa__xml_parse(xmlDocPtr *out, const char *xml, size_t len, const char *name, const char *xsd,
                    capa_diag *diag);
/** capa__xml_parse for documents of up to `max` bytes (case archives). libxml2's own limits
 *  stay: nesting deeper than 256 elements and single texts over 10 MB are refused. */
int capa__xml_parse_max(xmlDocPtr *out, const char *xml, size_t len, const char *name,
                        const char *xsd, size_t max, capa_diag *diag);
/** Read a whole definition file (refusing files over CAPA_XML_MAX_BYTES). */
int capa__xml_read_file(char **out, size_t *out_len, const char *path, capa_diag *diag);
/** 1 when n is an element `local` in namespace `ns`. */
int capa__xml_is(const xmlNode *n, const char *ns, const char *local);
/** The next element sibling starting at n (n itself when it is one), or NULL. */
xmlNode *capa__xml_elem(xmlNode *n);
/** Attribute value without surrounding white space in *out (NULL when absent; free with
 *  capa__free). @return CAPA_OK or CAPA_ENOMEM. */
int capa__xml_attr(char **out, const xmlNode *n, const char *name);
/** Source line of a node. */
long capa__xml_line(const xmlNode *n);

#endif
