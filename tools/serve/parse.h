/*
 * parse.h - the input parsers of capa serve: URL-encoded form bodies and query strings,
 * cookies, JSON "fields" objects, and the engine's validation message split into fields.
 *
 * Pure functions with hard limits and no HTTP library types, so each can be tested alone
 * (tests/check_serve.c) with malformed, hostile and huge input. Nothing here decides about
 * cases: values are handed to the engine as they are, which validates them.
 */
#ifndef CAPA_SERVE_PARSE_H
#define CAPA_SERVE_PARSE_H

#include <stddef.h>

#include <jansson.h>

#include "capa.h"

/** Most parameters one query string or form body may carry (more is malformed). */
#define SV_MAX_PARAMS 4000

typedef struct sv_param {
    char *name;
    char *value;
} sv_param;

typedef struct sv_params {
    sv_param *v;
    size_t n, cap;
} sv_params;

/**
 * Parse application/x-www-form-urlencoded text (a POST body, or a query string without its
 * '?'): pairs separated by '&', name and value split at the first '=', '+' is a space and
 * %XX a byte. Refused (-1, with a reason in why): a '%' not followed by two hex digits, a
 * decoded NUL byte, an empty name, more than SV_MAX_PARAMS pairs. Empty pairs ("a=1&&b=2")
 * are skipped; a pair without '=' has the value "". Decoded bytes are not checked for UTF-8
 * here: the engine refuses what it must not store, and pages escape what they print.
 * @return 0, -1 (malformed; out is cleared), -2 (out of memory).
 */
int sv_urlencoded_parse(sv_params *out, const char *s, size_t len, char *why, size_t whysz);
/**
 * Turn the CR LF line breaks of every value into LF, in place. A browser submits the text of
 * a <textarea> with CR LF (the HTML form encoding normalises every line break to CR LF); the
 * engine stores LF and refuses CR. A CR not followed by LF is left for the engine to refuse.
 */
void sv_params_crlf_to_lf(sv_params *p);
/** The value of the first parameter called `name`, or NULL. Borrowed from p. */
const char *sv_params_get(const sv_params *p, const char *name);
void sv_params_clear(sv_params *p);

/**
 * The value of cookie `name` in a Cookie header ("a=1; b=2") into buf. Only values of
 * [0-9A-Za-z_-] up to sz-1 bytes are accepted (ours are hex tokens and language codes).
 * @return 0 found, -1 absent or not of that shape.
 */
int sv_cookie_get(char *buf, size_t sz, const char *header, const char *name);

/**
 * The assignments of a JSON object {"name": "value", ...} as capa_kv pointing into the JSON
 * document (valid while `obj` lives). Every value must be a string; names must be non-empty.
 * At most CAPA_MAX_FIELDS entries. *out is malloc'd (free()); on failure NULL and a reason.
 * @return 0, -1 (bad shape), -2 (out of memory).
 */
int sv_json_fields(capa_kv **out, size_t *n, json_t *obj, char *why, size_t whysz);

/** One violation taken from an engine message. Strings are malloc'd. */
typedef struct sv_field_error {
    char *field; /**< "customer", "corrective_actions.2.owner" */
    char *value; /**< the value quoted in the message */
    char *rule;  /**< "is not an integer" */
    int worded;  /**< rule is a whole sentence naming the field (refuse.c), not a tail */
} sv_field_error;

/**
 * Split the engine's validation message ("field `a`: value 'x' rule; field `b`: ...") into
 * its violations, so pages can show each next to its field and the API can list them.
 * Parts that are not of that shape are skipped. @return how many (0 on OOM), *out malloc'd.
 */
size_t sv_field_errors(sv_field_error **out, const char *msg);
void sv_field_errors_free(sv_field_error *e, size_t n);

/** Parse "YYYY-MM-DD" (a real calendar date) into ms since the epoch at UTC midnight.
 *  @return 0 or -1. */
int sv_parse_date(long long *out_ms, const char *s);
/** Parse a whole number in [min, max] written in decimal digits only. @return 0 or -1. */
int sv_parse_count(long long *out, const char *s, long long min, long long max);

#endif
