/*
 * capa_form.h - form and workflow definitions: the data model the rest of capa reads.
 *
 * Stages, their forms, roles, sign-off meanings, rejection loops and time limits are data
 * (the XML files in forms/) validated against schemas/form.xsd and schemas/workflow.xsd.
 * This header is the model those files parse into, the value validator, and the few
 * utilities every layer shares (allocator with fault injection, diagnostics list). It names
 * no libxml2 type and knows nothing of storage.
 *
 * Everything returned through `**out` belongs to the caller and is freed with the matching
 * `_free`, which accepts NULL. The library never prints and never aborts on bad input.
 */
#ifndef CAPA_FORM_H
#define CAPA_FORM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- error codes (shared by every layer; see capa_strerror in capa.h) ---- */
enum {
    CAPA_OK = 0,
    CAPA_ERROR = -1,     /**< anything not listed below (I/O, internal) */
    CAPA_ENOTFOUND = -2, /**< no such case, user, form or stage */
    CAPA_EEXISTS = -3,   /**< already exists */
    CAPA_EINVALID = -4,  /**< input breaks a form/schema rule; message names field, value, rule */
    CAPA_ESTATE = -5,    /**< not allowed in the case's current state (e.g. archived) */
    CAPA_EDENIED = -6,   /**< role, recusal or independence rule forbids it */
    CAPA_EFULL = -7,     /**< map or disk full and growing did not help */
    CAPA_EAUTH = -8,     /**< wrong user or password */
    CAPA_ELOCKED = -9,   /**< account locked after repeated wrong passwords */
    CAPA_ENOMEM = -10,   /**< out of memory */
    CAPA_ECORRUPT = -11, /**< stored data fails its checks */
};

/* ---- allocator: every capa allocation goes through these so tests can fail the N-th ---- */
void *capa__malloc(size_t n);
void *capa__calloc(size_t n, size_t size);
void *capa__realloc(void *p, size_t n);
char *capa__strdup(const char *s);
char *capa__strndup(const char *s, size_t n);
void capa__free(void *p);
/** printf into a fresh string (NULL on OOM). */
char *capa__sprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/**
 * Fault injection for tests: make the N-th allocation from now fail (N >= 1), 0 to disable.
 * Also routes libxml2's allocations through the same counter once capa_form_init() ran.
 * Returns how many allocations were made since the last call (counting starts with the first
 * call: until then allocations touch no shared counter).
 */
uint64_t capa_alloc_fail_at(uint64_t n);

/* ---- diagnostics: a list of messages, e.g. every violation of one validation ---- */
#define CAPA_DIAG_PARAMS 20
/** A message's data (refusals as data, capa_refusal): rule id, field, value, parameters. */
typedef struct capa_diag_item {
    const char *rule; /* a static string such as "field.pattern"; NULL: only the message */
    char *field, *value;
    size_t n_params;
    const char *pname[CAPA_DIAG_PARAMS]; /* static strings */
    char *pval[CAPA_DIAG_PARAMS];
} capa_diag_item;
typedef struct capa_diag {
    char **msgs;
    size_t n, cap;
    capa_diag_item *items; /* items[i] is the data of msgs[i] (rule NULL when none) */
    int last_added;        /* the last capa_diag_add kept its message */
} capa_diag;
void capa_diag_add(capa_diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Give the message just added its rule (static string), field and value. */
void capa_diag_rule(capa_diag *d, const char *rule, const char *field, const char *value);
/** Add a parameter (name: static string) to the message just added. */
void capa_diag_param(capa_diag *d, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void capa_diag_clear(capa_diag *d);
/** All messages joined with `sep` in a fresh string ("" when empty; NULL on OOM). */
char *capa_diag_join(const capa_diag *d, const char *sep);

/* ---- form definitions ---- */
typedef enum capa_ftype {
    CAPA_FT_TEXT,
    CAPA_FT_MULTILINE,
    CAPA_FT_INTEGER,
    CAPA_FT_DECIMAL,
    CAPA_FT_DATE,     /* YYYY-MM-DD, a real calendar date */
    CAPA_FT_DATETIME, /* YYYY-MM-DDTHH:MM[:SS](Z|+hh:mm|-hh:mm) */
    CAPA_FT_CHOICE,
    CAPA_FT_BOOLEAN, /* true/false */
    CAPA_FT_USER,    /* an existing user id */
    CAPA_FT_GROUP,   /* repeating rows of `columns`; values named group.N.column, N >= 1 */
} capa_ftype;

/** When a required field must be filled. */
typedef enum capa_required {
    CAPA_REQ_NO = 0,
    CAPA_REQ_SIGN,   /* before the stage can be signed off (required="true") */
    CAPA_REQ_CREATE, /* already when the stage's record is created, e.g. at case open */
} capa_required;

typedef struct capa_choice {
    char *value; /* stored value, ASCII id, e.g. "important" */
    char *label_zh;
    char *label_en;
} capa_choice;

typedef struct capa_field {
    char *id; /* [a-z][a-z0-9_]* */
    char *label_zh;
    char *label_en;
    capa_ftype type;
    capa_required required;
    int has_min, has_max; /* numeric bounds for integer/decimal; row bounds for group */
    double min, max;
    size_t max_length; /* characters (UTF-8 code points); 0 = no limit */
    char *pattern;     /* POSIX extended regex the whole value must match, or NULL */
    void *pattern_re;  /* compiled pattern (private) */
    capa_choice *choices;
    size_t n_choices;
    struct capa_field *columns; /* CAPA_FT_GROUP only */
    size_t n_columns;
    size_t max_rows; /* CAPA_FT_GROUP: 0 = default limit (100) */
} capa_field;

typedef struct capa_formdef {
    char *id; /* form id, by convention the stage id */
    int version;
    char *label_zh;
    char *label_en;
    capa_field *fields;
    size_t n_fields;
    char *source; /* the XML text it was parsed from (stored with it) */
    size_t source_len;
} capa_formdef;

/** Call once per process before parsing (sets libxml2 up safely). Idempotent, thread-safe. */
int capa_form_init(void);

/**
 * Parse and validate a form definition (schema + semantic checks) from memory.
 * `name` is used in messages ("intake.xml:12: ..."). On CAPA_EINVALID every problem is
 * in `diag` as "name:line: reason". DOCTYPEs, entities, network and huge input are refused.
 */
int capa_formdef_parse(capa_formdef **out, const char *xml, size_t len, const char *name,
                       capa_diag *diag);
/** Kinds of definition document, see capa_form_doc_kind. */
enum { CAPA_DOC_UNKNOWN = 0, CAPA_DOC_FORM = 1, CAPA_DOC_WORKFLOW = 2 };
/**
 * Which kind of definition a document is, judged by its root element only (parsed as safely
 * as capa_formdef_parse, without schema validation), so `capa form install` can take either a
 * form or the workflow. Returns CAPA_DOC_FORM, CAPA_DOC_WORKFLOW, CAPA_DOC_UNKNOWN (also for
 * documents that are not well-formed or are refused), or CAPA_ENOMEM.
 */
int capa_form_doc_kind(const char *xml, size_t len);
/** Read a file and parse it as above (the file name goes into messages). */
int capa_formdef_load(capa_formdef **out, const char *path, capa_diag *diag);
void capa_formdef_free(capa_formdef *f);
/** Field by id at the top level, or NULL. */
const capa_field *capa_formdef_field(const capa_formdef *f, const char *id);
/**
 * The definition behind a stored value name: "lot_no" gives that field; "five_why.2.why"
 * gives the column `why`, with *out_group set to the group `five_why` and *out_row to 2
 * (for a plain field *out_group is NULL and *out_row 0; either out pointer may be NULL).
 * NULL when the name does not resolve (unknown, malformed, or row out of range).
 * Borrowed from f. Lets `show` and reports print labels for any stored name.
 */
const capa_field *capa_formdef_lookup(const capa_formdef *f, const char *name,
                                      const capa_field **out_group, unsigned *out_row);
/** Choice label for a stored value, or NULL when not a choice of that field. */
const capa_choice *capa_field_choice(const capa_field *fld, const char *value);
const char *capa_ftype_name(capa_ftype t);

/**
 * What a typed value of field `name` ("field" or "group.N.column") means as a stored value,
 * so people may give a choice by its label: for a choice field, a value that is a choice's
 * code is returned as it is; one that equals a choice's Chinese label, or its English label
 * or code in any ASCII letter case (spaces and tabs around it ignored), gives that choice's
 * code ("重要", "Important", "IMPORTANT" -> "important"). Everything else comes back
 * unchanged - another type, an unknown name, an empty value (it clears the field), a label two
 * choices share, text that is neither code nor label - so capa_form_validate still judges it
 * and reports it in its own words.
 *
 * @param f      the form the value is for; NULL returns `value`
 * @param name   the assignment's name; NULL returns `value`
 * @param value  what was typed, NUL-terminated (any bytes; NULL returns NULL)
 * @return `value` itself or a code borrowed from f (valid until capa_formdef_free).
 * Pure: no allocation, thread-safe.
 */
const char *capa_form_normalize(const capa_formdef *f, const char *name, const char *value);

/**
 * The name the form probably means when `name` is not one of its fields: the nearest field id
 * by edit distance (insertions, deletions, substitutions and swaps of neighbours; ASCII case
 * ignored), within 1 to 3 edits depending on the length. For "group.N.column" the group and
 * then the column within it are mended and the row kept as typed; a column or group named
 * alone suggests "group.1.column". No suggestion for a name the form has (capa_formdef_lookup
 * finds it), for empty names, names longer than 64 bytes, or when nothing is close enough.
 *
 * @param buf   where the suggested name goes, NUL-terminated ("" when none)
 * @param sz    size of buf; a suggestion that does not fit counts as none
 * @param f     the form; NULL gives none
 * @param name  the name as typed (any bytes); NULL gives none
 * @return 1 when buf holds a suggestion, else 0. Pure: no allocation, thread-safe.
 */
int capa_form_suggest(char *buf, size_t sz, const capa_formdef *f, const char *name);

/** One stored value: name is "field" or "group.N.column". */
typedef struct capa_kv {
    const char *name;
    const char *value;
} capa_kv;

/** Answers whether `user` names an existing user (for CAPA_FT_USER). */
typedef int (*capa_user_exists_fn)(const char *user, void *payload);

/**
 * Check that `s` is valid UTF-8 free of characters that can forge or disguise output: C0
 * controls (U+0000–U+001F) except '\n' and '\t' when `multiline`, DEL U+007F, C1 controls
 * U+0080–U+009F, bidi embeddings/overrides/isolates U+202A–U+202E and U+2066–U+2069, and
 * U+2028/U+2029 unless multiline. Returns CAPA_OK, or CAPA_EINVALID with a description written
 * to why[sz] such as "character U+001B (ESC) at byte 5 is not allowed" (name the code point;
 * for the bidi ones say "bidi override").
 *
 * The rule every stored string obeys, whoever submits it: capa_form_validate applies it to
 * every field value (multiline only for `multiline` fields); the engine to user names,
 * departments, the organisation and reasons. '\r' is refused even in multi-line text, also
 * before '\n': a bare carriage return overwrites a line on a terminal, and stored text keeps
 * one line-break convention (a client turns CRLF into LF before submitting).
 *
 * @param s          the text, NUL-terminated; NULL counts as "" (passes)
 * @param multiline  non-zero to allow '\n', '\t', U+2028 and U+2029
 * @param why        where the reason goes when refused ("" when it passes); may be NULL
 * @param sz         size of why; 128 bytes always hold the whole reason. Byte offsets count
 *                   from 0. An invalid byte reads "byte 3 (0xFF) is not valid UTF-8".
 * @return CAPA_OK or CAPA_EINVALID (only the first offending character is described).
 * Pure: no allocation, no global state, thread-safe.
 */
int capa_text_check(const char *s, int multiline, char *why, size_t sz);

/** At most this many values per capa_form_validate call (more is one violation). */
#define CAPA_FORM_MAX_VALUES 10000
/** No value may be longer than this many bytes, whatever its field's max-length. */
#define CAPA_FORM_MAX_VALUE_BYTES 65536
/**
 * Check values against a form: unknown names, type, min/max, max length, pattern, choice,
 * row index range, a name given twice. With `level` other than CAPA_REQ_NO also every
 * required field (and, for groups, every required column of each present row) according to
 * `level` (CAPA_REQ_CREATE checks only fields required at creation; CAPA_REQ_SIGN checks both
 * kinds); `values` must then be the whole record, not just the changes. An empty value means
 * "clear the field" and passes the type rules. Every violation is added to `diag` (may be
 * NULL) as "field `name`: value 'v' <rule>". `user_exists` may be NULL (user ids are then
 * only checked for shape); a negative answer from it is returned as the error.
 * Returns CAPA_OK or CAPA_EINVALID (or CAPA_ENOMEM, or the callback's negative code).
 */
int capa_form_validate(const capa_formdef *f, const capa_kv *values, size_t n,
                       capa_required level, capa_user_exists_fn user_exists, void *payload,
                       capa_diag *diag);
/** Split "group.N.column": fills group/col (pointers into static buffers of the caller), row.
 *  Returns 1 if the name has that shape, 0 if it is a plain name, -1 if malformed. */
int capa_field_name_split(const char *name, char *group, size_t gsz, unsigned *row, char *col,
                          size_t csz);

/* ---- workflow ---- */
typedef struct capa_role {
    char *id; /* intake, qe, qe_lead, prod_mgr, production, auditor, admin */
    char *label_zh;
    char *label_en;
} capa_role;

typedef struct capa_limit {
    char *severity; /* choice value of intake's severity, or "*" for the default */
    char *kind;     /* response, containment, plan, closure, or a stage id */
    double hours;     /* calendar hours, or 0 when the limit is in working days */
    int working_days; /* working days (plant calendar), or 0 when it is in hours */
} capa_limit;

/* One step of escalation: when a limit passes its warning time (`at_due` 0) or its due time
 * (1), plus after_hours, an escalation of `level` goes to the roles `to` ("editors": the
 * roles that may edit the stage the case is in). At most CAPA_MAX_ESCALATIONS steps. */
#define CAPA_MAX_ESCALATIONS 8
typedef struct capa_escalation {
    char *level; /* warn, overdue, overdue_24h ... (unique) */
    int at_due;
    double after_hours;
    char **to;
    size_t n_to;
} capa_escalation;

/**
 * A condition a sign-off puts on a field of its stage (<require> in workflow.xml): the field
 * must hold `equals`, or, when `equals` is NULL, any value at all.
 */
typedef struct capa_condition {
    char *field;  /* a top-level field of the stage's form, or a column of `group` */
    char *equals; /* the value required, or NULL: not empty */
    /* IATF 16949 §10.2.4 / 8D D7 rules (issue 19): */
    char *group;     /* group="G": the rule holds in every row of repeating group G (a row
                        with any value); field, or, if name its columns. NULL: top-level */
    char **any;      /* or="F2 F3": it also holds when any of these fields is filled */
    size_t n_any;
    char *if_field;  /* if="F": it applies only where F (the row's column) is filled ... */
    char *if_equals; /* is="V": ... and holds V */
    char *waiver;    /* waiver="M": a standing waiver <waiver meaning="M"> of the stage, signed
                        over the data signed off, stands in for the rule */
    /* Rules across stages (issue 19: every device's challenge test, field failures decide): */
    char *stage;     /* stage="S": group, field, or and if are read in the data of stage S (as
                        they stand at the sign-off), not in this stage's */
    char *if_stage;  /* if-stage="S": `if` is a top-level field of stage S's data */
    char *in_group;  /* in="G.C": the value of `field` must also stand in column in_column of a
                        row of this stage's group G ... */
    char *in_column;
    char *in_if;     /* in-if="C2" (in-is="V"): ... a row whose column C2 is filled (holds V) */
    char *in_is;
} capa_condition;

/**
 * A waiver of a stage (<waiver meaning by zh en> in workflow.xml): an electronic signature
 * with `meaning` by one of the roles `by` (e.g. the quality lead), with a reason, that stands
 * in for the <require> rules naming it (e.g. no PFMEA / control-plan update for an action).
 * It counts while it was signed in the case's current round over the stage data as they are
 * when the stage is signed off.
 */
typedef struct capa_waiver {
    char *meaning; /* unique in the stage and not its sign-off meaning */
    char *label_zh;
    char *label_en;
    char **by;
    size_t n_by;
} capa_waiver;

/**
 * A route by value (<route> in workflow.xml): when `field` of the stage holds `equals` at
 * sign-off, the case goes to stage `to` instead of the next one; the stages in between are
 * skipped, for the reason the labels give (e.g. 无效投诉 / invalid complaint).
 */
typedef struct capa_route {
    char *field;
    char *equals;
    char *to;
    char *label_zh;
    char *label_en;
    /* <round> (二次处理): `to` is this or an earlier stage and taking it starts a new round of
     * the case (the customer not satisfied, the 8D rejected); the earlier round's data and
     * signatures are kept. */
    int round;
} capa_route;

typedef struct capa_stage {
    char *id; /* intake analysis action rework verification archive */
    char *label_zh;
    char *label_en;
    char *form_id;
    char *eightd;   /* the 8D disciplines it covers ("D0–D3", "D5, D7"), or NULL */
    char **editors; /* role ids that may edit */
    size_t n_editors;
    char *sign_meaning; /* reviewed, approved, done, verified, closed */
    char *sign_meaning_zh;
    char *sign_meaning_en;
    char **signers; /* role ids that may sign */
    size_t n_signers;
    int sign_independent; /* signer must not have changed any field of this stage */
    char *reject_to;      /* stage id a rejection sends the case back to, or NULL */
    char **rejecters;     /* role ids that may reject (default: signers) */
    size_t n_rejecters;
    capa_condition *requires; /* conditions of the sign-off, all must hold */
    size_t n_requires;
    capa_route *routes; /* the first whose value matches picks the next stage */
    size_t n_routes;
    capa_waiver *waivers; /* <waiver> signatures the stage's rules accept */
    size_t n_waivers;
    /* <stage tell>: user fields ("stage.field", or "stage.group.field" for every row of a
     * group) whose people are told when the case enters this stage - e.g. the action owners
     * when the approved plan reaches rework. */
    char **tell;
    size_t n_tell;
} capa_stage;

/** The id of the default workflow (customer complaints), stored as definition "workflow". */
#define CAPA_WORKFLOW_DEFAULT "complaint"

typedef struct capa_workflow {
    char *id;       /* <workflow id>, CAPA_WORKFLOW_DEFAULT when absent */
    char *label_zh; /* <workflow zh en>, NULL when absent */
    char *label_en;
    char *number_pattern; /* <workflow number>, e.g. "SCAR-{YYYY}-{NNNN}"; NULL: the store's */
    int version;
    capa_role *roles;
    size_t n_roles;
    capa_stage *stages; /* in workflow order; the last one's sign-off closes the case */
    size_t n_stages;
    capa_limit *limits;
    size_t n_limits;
    double warn_percent; /* warning at this share of a limit, e.g. 80 */
    capa_escalation *escalations; /* <escalate> steps of <limits>, in document order */
    size_t n_escalations;
    char *source;
    size_t source_len;
} capa_workflow;

int capa_workflow_parse(capa_workflow **out, const char *xml, size_t len, const char *name,
                        capa_diag *diag);
int capa_workflow_load(capa_workflow **out, const char *path, capa_diag *diag);
/**
 * Cross-check a workflow against the forms it names (e.g. when a store is initialised or a
 * form or workflow is installed): every stage's form is among `forms`, and every time-limit
 * severity other than "*" is a choice of the `severity` field of the first stage's form
 * (when that form has one). Problems go to diag as "workflow: ...".
 * @return CAPA_OK, CAPA_EINVALID or CAPA_ENOMEM.
 */
int capa_workflow_check_forms(const capa_workflow *w, const capa_formdef *const *forms,
                              size_t n, capa_diag *diag);
void capa_workflow_free(capa_workflow *w);
const capa_stage *capa_workflow_stage(const capa_workflow *w, const char *id);
/** Index of a stage in workflow order, or -1. */
int capa_workflow_stage_index(const capa_workflow *w, const char *id);
const capa_role *capa_workflow_role(const capa_workflow *w, const char *id);
/** 1 if `role` is in the list. */
int capa_role_in(char *const *roles, size_t n, const char *role);

/** The value called `name` among `values` (any order), or NULL when absent or empty. */
const char *capa_kv_get(const capa_kv *values, size_t n, const char *name);
/** 1 when the condition holds for stage data `values` (no waiver signed). Pure. */
int capa_condition_holds(const capa_condition *c, const capa_kv *values, size_t n);
/**
 * 1 when the condition holds for stage data `values`; `waived` non-zero when the waiver it
 * names (c->waiver) stands signed. A group rule holds when it holds in every row of the
 * group that has any value (and applies, by `if`/`is`); on 0, *out_row (may be NULL) is the
 * first row where it fails (0 for a top-level rule). Pure.
 */
int capa_condition_check(const capa_condition *c, const capa_kv *values, size_t n, int waived,
                         int *out_row);
/**
 * capa_condition_check for a rule that also reads another stage (c->stage or c->if_stage):
 * `other` are that stage's data as they stand (NULL, 0: none yet). The rows of c->group (or
 * its top-level field) and `if` are read there as the rule says; `in` in `values`. Pure.
 */
int capa_condition_check_in(const capa_condition *c, const capa_kv *values, size_t n,
                            const capa_kv *other, size_t n_other, int waived, int *out_row);
/** The id of the other stage a rule reads (c->stage, else c->if_stage), or NULL. Pure. */
const char *capa_condition_other(const capa_condition *c);
/**
 * 1 when every field the condition names (its group, field, `or` and `if` columns) is in
 * form `fd` - the version the stage record was filled with; 0 when one is not: a rule added
 * with a later form version does not hold a record of an earlier one (an action plan filled
 * in before error-proofing columns existed can still be approved). NULL fd: 1. Pure.
 */
int capa_condition_applies(const capa_condition *c, const capa_formdef *fd);
/**
 * capa_condition_applies for a rule across stages: the fields read in the other stage are
 * looked up in `ofd`, that stage record's form version (NULL: not checked), the others in
 * `fd`. A rule whose fields one of the versions lacks does not hold the records. Pure.
 */
int capa_condition_applies_in(const capa_condition *c, const capa_formdef *fd,
                              const capa_formdef *ofd);
/** 1 when the condition uses group, if/is, or, waiver (issue 19's vocabulary): it is then
 *  evaluated with capa_condition_check and refused row by row. Pure. */
int capa_condition_extended(const capa_condition *c);
/** The waiver of stage `st` signed with `meaning`, or NULL. */
const capa_waiver *capa_stage_waiver(const capa_stage *st, const char *meaning);
/**
 * Where the sign-off of stage `idx` sends a case whose stage data are `values`: the index of
 * the next stage, a route's target when one matches (its route in *out_route, else NULL; a
 * <round> route's target is this or an earlier stage), or -1 when the stage is the last (the
 * sign-off closes the case). Pure.
 */
int capa_workflow_next(const capa_workflow *w, size_t idx, const capa_kv *values, size_t n,
                       const capa_route **out_route);
/** The form another stage's record of the same case was filled with (NULL: not known). */
typedef const capa_formdef *(*capa_stage_form_fn)(void *payload, const char *stage);
/**
 * Rule `k` (0, 1, ...) of stage `st`'s sign-off as one sentence in each language, for `show`
 * and the dossier: each <require> with the case's value and whether it holds, independence
 * (审批独立), each <route> and whether this case took it. Labels come from `fd` (the stage
 * record's form; may be NULL: ids are used); a rule naming another stage's fields takes that
 * stage's form from `other` (may be NULL: ids are used) and names the stage by its label.
 * `values` are the stage's data, `signed_off` non-zero when the case left the stage by this
 * sign-off ("met" / "taken" rather than "not yet").
 * @return 1 when zh/en were filled, 0 when the stage has no rule k. Pure.
 */
int capa_stage_rule(char *zh, size_t zsz, char *en, size_t esz, const capa_workflow *w,
                    const capa_stage *st, const capa_formdef *fd, const capa_kv *values, size_t n,
                    int signed_off, size_t k, capa_stage_form_fn other, void *payload);

/* ---- a complete set: the workflow and the form of each of its stages ---- */
typedef struct capa_definitions {
    capa_workflow *workflow;
    capa_formdef **forms; /* forms[i] is the form of workflow->stages[i] */
    size_t n_forms;       /* == workflow->n_stages */
} capa_definitions;

/**
 * Load workflow.xml and, for every stage, `<form id>.xml` from directory `dir`, or the
 * definitions compiled into the library when `dir` is NULL; parse and validate each, then
 * cross-check them (capa_workflow_check_forms). Every problem of every file is in `diag`.
 * @return CAPA_OK, CAPA_EINVALID, CAPA_ENOTFOUND (a file is missing; named in diag),
 *  CAPA_ENOMEM, CAPA_ERROR (I/O).
 */
int capa_definitions_load(capa_definitions **out, const char *dir, capa_diag *diag);
/** As capa_definitions_load, for the workflow in file `wf_file` ("workflow-scar.xml"). */
int capa_definitions_load_file(capa_definitions **out, const char *dir, const char *wf_file,
                               capa_diag *diag);
/**
 * The file names of the further workflows beside workflow.xml - "workflow-ID.xml" in `dir`,
 * or among the built-in definitions when `dir` is NULL - in name order, into *out (n names;
 * free each and the array with capa__free). A directory that cannot be read gives none.
 * @return CAPA_OK or CAPA_ENOMEM.
 */
int capa_definitions_extra(char ***out, size_t *n, const char *dir);
void capa_definitions_free(capa_definitions *d);
/** The form of stage `stage_id`, or NULL. Borrowed from d. */
const capa_formdef *capa_definitions_form(const capa_definitions *d, const char *stage_id);

/* ---- the default definitions compiled into the binary (forms/ XML, schemas/ XSD) ---- */
typedef struct capa_embedded_file {
    const char *name; /* "workflow.xml", "intake.xml", "form.xsd", ... */
    const char *data;
    size_t len;
} capa_embedded_file;
/** NULL-name-terminated table of the embedded files. */
const capa_embedded_file *capa_form_embedded(void);
/** One embedded file by name, or NULL. */
const capa_embedded_file *capa_form_embedded_get(const char *name);

#ifdef __cplusplus
}
#endif
#endif
