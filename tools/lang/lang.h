/*
 * lang.h - the wording catalogue: the engine's refusals (capa_refusal, core/include/capa.h)
 * as sentences in 中文, English or both, for the CLI and capa-serve alike.
 *
 * Core reports a refusal as data (rule id, field, value, parameters); these functions word
 * it. A refusal of a rule the catalogue does not know, or an error without data, is shown as
 * the engine's English message, so nothing new ever shows blank. How to add a rule: one line
 * in the table of lang.c (docs/serve.md, "Wording of refusals").
 */
#ifndef CAPA_LANG_H
#define CAPA_LANG_H

#include "capa.h"

/** The language of a message. */
typedef enum capa_lang { CAPA_LANG_EN = 0, CAPA_LANG_ZH, CAPA_LANG_BOTH } capa_lang;

/** "zh", "en" or "both" to a language; -1 when none of them. */
int capa_lang_parse(const char *s);
/** The locale's language: the first set of LC_ALL, LC_MESSAGES, LANG; zh* is 中文, else
 *  English. */
capa_lang capa_lang_from_env(void);

/** Whether the catalogue words `rule` (0: the engine's English message is shown). */
int capa_lang_knows(const char *rule);
/**
 * One violation as a sentence in `lang` (CAPA_LANG_ZH or CAPA_LANG_EN; BOTH gives zh / en),
 * into a fresh string (free()); NULL when out of memory. A field is named by the form's
 * label, never by its id when a label is known. No terminal command is ever named: where a
 * person must act the sentence names them (printed names) or, with `web` (a browser or API
 * client), what to click; without it (the CLI) the click hints are left out.
 */
char *capa_lang_violation(const capa_refusal *r, const capa_violation *v, capa_lang lang, int web);
/** Whether a violation of `r` is worded naming a role ({role@}, {roles@}): the engine's own
 *  English sentence names role ids, so English is worded from the catalogue too, by the
 *  roles' labels. */
int capa_lang_names_role(const capa_refusal *r);
/** The whole refusal: every violation, joined; NULL when out of memory. */
char *capa_lang_refusal(const capa_refusal *r, capa_lang lang, int web);
/**
 * This thread's last error in `lang`: the refusal worded when the engine gave one, else the
 * engine's message (English; for `web` without the terminal commands it names), after the
 * kind of error in 中文 (capa_lang_code) unless `lang` is English. Fresh string; NULL when
 * out of memory.
 */
char *capa_lang_error_last(int code, capa_lang lang, int web);
/** One broken rule given as data outside a refusal (a legacy sheet's cell, a check the tool
 *  makes itself): `label` names the field (a column's header), `value` the value. Fresh
 *  string; NULL when the catalogue does not know `rule` or out of memory. */
char *capa_lang_rule(const char *rule, const char *label, const char *value,
                     const capa_refusal_param *params, size_t n_params, capa_lang lang, int web);
/** Message `i` of a document's problems (capa_diag: a definition's, a calendar's) in `lang`:
 *  worded from its rule and data (forms/xml.c gives libxml2's errors as rules "xml.*"), else
 *  as rule "xml.other" with the message as its marked technical detail. Fresh string; NULL
 *  when out of memory. */
struct capa_diag;
char *capa_lang_diag_item(const struct capa_diag *d, size_t i, capa_lang lang, int web);
/** A finding of `capa verify` (a record that differs from what its events say) in `lang`:
 *  in 中文 from its data (case, record, field, stored and expected values, event), in
 *  English the engine's sentence. Fresh string; NULL when out of memory. */
char *capa_lang_mismatch(const capa_mismatch *m, capa_lang lang);
/** What an error of `code` (CAPA_E*) means for the user, in 中文, with what to do: for an
 *  error the engine gave no refusal data for. Static string. */
const char *capa_lang_code(int code);

/*
 * The words of the engine's codes that listings show (the CLI's and capa-serve's alike, one
 * table each): 1 and the 中文 and English labels when the table knows `code`, else 0 and
 * both left as they were.
 */
/** A time limit's kind (response, containment, plan, closure); a stage's kind is worded
 *  by the stage's own labels. */
int capa_lang_limit_kind(const char *code, const char **zh, const char **en);
/** What an audit event did (open, sign, user_add, ...). */
int capa_lang_action(const char *code, const char **zh, const char **en);
/** An escalation's level (warn, overdue, overdue_<role>) into `zh` and `en` (either may be
 *  NULL); the level itself when it is none of these. */
void capa_lang_level(const char *level, char *zh, size_t zh_sz, char *en, size_t en_sz);

#endif
