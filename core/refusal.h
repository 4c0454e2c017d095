/*
 * refusal.h - building this thread's refusal as data (capa_refusal_last, capa.h).
 *
 * A refusing call first sets its English message (capa_error_set, which clears the last
 * refusal), then describes the same refusal as data: capa__refusal_begin, then one
 * capa__refusal_add per broken rule with its parameters. The tools word it (tools/lang).
 */
#ifndef CAPA_REFUSAL_H
#define CAPA_REFUSAL_H

#include "capa.h"

/** Clear this thread's refusal (capa_error_set does). */
void capa__refusal_reset(void);
/** Start the refusal of `action` ("sign", ...) on case `number` (may be NULL) at stage `st`
 *  (may be NULL); `code` is the error returned. */
void capa__refusal_begin(int code, const char *action, const char *number, const capa_stage *st);
/** Say where a refusal begun without context happened (only fills what is still empty). */
void capa__refusal_where(const char *action, const char *number, const capa_stage *st);
/** Add one broken rule (field, value may be NULL); message defaults to capa_error_last(). */
void capa__refusal_add(const char *rule, const char *field, const char *value, const char *message);
/** The labels of the last added rule's field. */
void capa__refusal_label(const char *zh, const char *en);
/** A parameter of the last added rule. */
void capa__refusal_param(const char *name, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/**
 * Set this thread's error in one call: the English message (as capa_error_set) and a refusal
 * of one rule, `rule` on `field` with `value` (both may be NULL), for the tools to word in the
 * user's language (tools/lang/lang.c has a line per rule id; tests/e2e/lang_catalogue.sh
 * checks that every id used here has one). Add the rule's parameters after it with
 * capa__refusal_param. Returns `code`.
 */
int capa__refuse(int code, const char *rule, const char *field, const char *value, const char *fmt,
                 ...) __attribute__((format(printf, 5, 6)));
/**
 * Keep this thread's refusal under a new English message: capa_error_set with the message
 * of `fmt`, the refusal of the error before it restored (when it had one). For a caller that
 * puts its context ("import row 12: ...") before a callee's message. Returns `code`.
 */
int capa__error_wrap(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** The roles' ids (", "), and the workflow's labels of them in zh ("、") and en (", "), each
 *  into `size` bytes. */
void capa__roles_labels(const capa_workflow *wf, char *const *roles, size_t n, char *ids, char *zh,
                        char *en, size_t size);
/** Parameters `name` (the role ids, ", "), `name`_zh and `name`_en (the workflow's labels of
 *  them, else the ids) of the last added rule. */
void capa__refusal_roles(const capa_workflow *wf, const char *name, char *const *roles, size_t n);
/** Every violation of `d` that has a rule, labelled from `form` (may be NULL). */
/* The form's labels of field `name` (a column as "纠正措施 2 · 负责人"); 0 when the form has no
 * such field (zh and en untouched). */
int capa__field_labels(const capa_formdef *form, const char *name, char *zh, char *en,
                       size_t size);
void capa__refusal_from_diag(const capa_diag *d, const capa_formdef *form);
/** Every message of `d` as a violation of its own after the one just added (a definition's,
 *  a calendar's problems): its rule and data (forms/xml.c maps libxml2's schema errors to
 *  "xml.*"), else rule "xml.other" with the message as parameter "detail". Sets parameter
 *  "items" (their number) on the violation just added first, which the catalogue's wording
 *  of it then leaves the detail to them. */
void capa__refusal_diag_items(const capa_diag *d);

#endif
