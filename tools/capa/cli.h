/*
 * cli.h - what the capa commands share: the invocation context, option parsing, passwords,
 * opening the store, name=value arguments, error reporting and JSON output.
 *
 * Nothing here decides anything about cases, users or forms: authority, validation and
 * state live in core/. These helpers only turn command lines into library calls and
 * library results into text.
 */
#ifndef CAPA_CLI_H
#define CAPA_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "capa.h"

/* Exit codes (documented in docs/cli.md). */
enum { CLI_OK = 0, CLI_ERROR = 1, CLI_USAGE = 2 };
/* cli_parse result meaning "help was printed, exit 0". */
#define CLI_DONE (-1)

/** Label language for text output. */
typedef enum cli_lang { CLI_LANG_BOTH, CLI_LANG_ZH, CLI_LANG_EN } cli_lang;

/** One invocation: global options plus what the command's options filled in. */
typedef struct cli {
    const char *prog;   /* "capa" */
    const char *cmd;    /* "set", "user add", ... for messages */
    const char *db;     /* --db, $CAPA_DB or "./var" */
    const char *as;     /* --as USER */
    int password_stdin; /* --password-stdin */
    int json;           /* --json */
    int help;           /* --help given after the command */
    cli_lang lang;      /* --lang */
    const char *lang_arg;
} cli;

/** A command: parses its own arguments (argv[0] is the first argument after the verb). */
typedef int (*cli_cmd_fn)(cli *c, int argc, char **argv);

/* ---- option parsing ---- */

/** One option a command accepts: "--name" with or without an argument. */
typedef struct cli_opt {
    const char *name; /* "--reason" */
    const char **arg; /* where the argument goes, or NULL for a flag */
    int *flag;        /* set to 1 when the flag is given (flags only) */
} cli_opt;

/* Options every mutating command accepts. */
#define CLI_OPTS_ACTOR(c)                                                                          \
    {"--as", &(c)->as, NULL},                                                                      \
    {                                                                                              \
        "--password-stdin", NULL, &(c)->password_stdin                                             \
    }

/**
 * Parse argv against `opts` (terminated by a {NULL} entry) plus the always-accepted --db and
 * --help. Accepts "--opt value" and "--opt=value"; "--" ends options. Positional arguments
 * are moved, in order, to argv[0 .. *npos). Returns CLI_OK, CLI_DONE after printing --help,
 * or CLI_USAGE after printing what is wrong.
 */
int cli_parse(cli *c, int argc, char **argv, const cli_opt *opts, int *npos);

/* Parse or return from the calling command: 0 after --help, 2 on a usage error. */
#define CLI_PARSE(c, argc, argv, opts, npos)                                                       \
    do {                                                                                           \
        int parse_rc_ = cli_parse((c), (argc), (argv), (opts), (npos));                            \
        if (parse_rc_ != CLI_OK)                                                                   \
            return parse_rc_ == CLI_DONE ? CLI_OK : parse_rc_;                                     \
    } while (0)

/** Print "capa: <cmd>: <fmt...>" and the command's usage hint; returns CLI_USAGE. */
int cli_usage(const cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** A usage error worded by the catalogue in the chosen language (--lang, else the locale), as
 *  cli_usage: rule `rule` (tools/lang) with its value (an option's name or the value given)
 *  and parameters; `english` is the sentence in English. Returns CLI_USAGE. */
int cli_usage_refuse(const cli *c, const char *rule, const char *value,
                     const capa_refusal_param *params, size_t n_params, const char *english);
/** The usage error of an argument the command does not take (cli_usage_refuse). */
int cli_unexpected(const cli *c, const char *arg);
/**
 * A command's usage error worded wholly by the catalogue (tools/lang), in 中文, English or
 * both as chosen (--lang, else the locale): rule `rule` with `value` (what was typed, escaped;
 * NULL for none) and its parameters as name, value pairs (options' literal names, limits)
 * ending in NULL, at most eight. The English sentence is the catalogue's too, so no command
 * spells its own. Prints the usage line after it as cli_usage_refuse; returns CLI_USAGE.
 */
int cli_usage_rule(const cli *c, const char *rule, const char *value, ...)
    __attribute__((sentinel));

/** Print the usage text of the current command to stdout (for --help). */
void cli_print_command_help(const cli *c);

/** Require --as; prints a usage error and returns CLI_USAGE when missing. */
int cli_require_actor(const cli *c);

/* ---- errors ---- */

/**
 * Report a failed library call: "capa: <what>: <capa_error_last() or capa_strerror(rc)>" on
 * one line, escaped like all text output (cli_put_text): the message may quote a value, and
 * a line break in it must not start a line of its own. Returns CLI_ERROR.
 */
int cli_fail(const cli *c, const char *what, int rc);
/** Print "capa: <what>: <fmt...>" to stderr, escaped (one line); returns CLI_ERROR. Only for
 *  text that is not a sentence (an engine's or a checker's own message, already worded): a
 *  command's own error is cli_error_rule. */
int cli_error(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/**
 * A command's error that is no usage error nor an engine refusal (a file it cannot read or
 * write, a file too large, out of memory, a backup that is not one, ...), worded wholly by the
 * catalogue (tools/lang) in 中文, English or both as chosen (c's --lang, else the --lang of the
 * command line parsed last when c is NULL, else the locale): "capa: <what>: <sentence>", one
 * line a language, escaped. `what` is the context (a path, the command; NULL: c's command);
 * the rule's parameters follow as name, value pairs ending in NULL, at most eight (a path, a
 * limit, strerror's text as "detail", which stays a technical detail after the worded
 * sentence). Returns CLI_ERROR.
 */
int cli_error_rule(const cli *c, const char *what, const char *rule, ...) __attribute__((sentinel));
/** A note, warning or progress line on stderr worded as cli_error_rule (no error by itself). */
void cli_note_rule(const cli *c, const char *what, const char *rule, ...) __attribute__((sentinel));
/** A command's confirmation or status line on stdout ("restored … to …"), worded from the
 *  catalogue (a say.* rule of tools/lang/lang.c) in the chosen language, one line each when
 *  both: name, value pairs ending in NULL, at most eight. Never an English sentence of a
 *  command's own (tests/tools/lang_rules.py checks). */
void cli_say_rule(const cli *c, const char *rule, ...) __attribute__((sentinel));
/** A help text (capa --help, COMMAND --help) in the chosen language: `en` as it is in English
 *  (the command table's, one source for it), the catalogue's `rule` ("help.*") in 中文, both
 *  when both. Fresh string (free()); NULL when out of memory. */
char *cli_help_text(const cli *c, const char *rule, const char *en);
/** cli_note_rule with the parameters as an array. */
void cli_note_params(const cli *c, const char *what, const char *rule,
                     const capa_refusal_param *p, size_t n);
/** cli_say_rule with the parameters as an array. */
void cli_say_params(const cli *c, const char *rule, const capa_refusal_param *p, size_t n);
/** cli_error_rule's "out of memory" (rule cli.oom) under `what`; returns CLI_ERROR. */
int cli_oom(const cli *c, const char *what);
/** The first `max` mismatches of a verify report under `what`, each worded in the chosen
 *  language (capa_lang_mismatch), then how many more there are (rule cli.more). */
void cli_mismatches(const cli *c, const char *what, const capa_verify_report *r, size_t max);
/** cli_refuse of a document's problems found before the engine (a calendar checked before
 *  the password is asked): rule `rule` of the whole with `value` and the joined messages as
 *  its "detail", then every message of `diag` as its own violation with its data (forms/xml.c
 *  gives libxml2's errors as rules "xml.*"; the rest "xml.other"), as the engine words them
 *  (capa__refusal_diag_items). Returns CLI_ERROR. */
struct capa_diag;
int cli_refuse_diag(const cli *c, const char *what, const char *rule, const char *field,
                    const char *value, const struct capa_diag *diag, const char *english);
/** A refusal the tool finds itself before calling the engine (e.g. a file checked before the
 *  password is asked), as the engine would give it: rule, field, value and parameters,
 *  worded by the catalogue in the chosen language; `english` is the sentence in English.
 *  Returns CLI_ERROR. */
int cli_refuse(const cli *c, const char *what, const char *rule, const char *field,
               const char *value, const capa_refusal_param *params, size_t n_params,
               const char *english);

/* ---- passwords ---- */

/**
 * Read the password of an existing account: the next line of stdin with --password-stdin,
 * otherwise a prompt on the terminal with echo off. *out is heap memory: release it with
 * cli_secret_free. Returns CLI_OK or CLI_ERROR (message printed).
 */
int cli_read_password(char **out, cli *c, const char *prompt);
/** The acting user's (--as) password: "Password for USER: ". */
int cli_read_actor_password(char **out, cli *c);
/** Like cli_read_password for a new password: asked twice on a terminal, must match. */
int cli_read_new_password(char **out, cli *c, const char *who);
/** Wipe and free a password. Accepts NULL. */
void cli_secret_free(char *secret);

/* ---- store ---- */

/** Open the store at c->db (creating the directory when `create`). Prints errors. */
int cli_store_open(capa_store **out, cli *c, int create, int read_only);

/**
 * For a command that changes the store as the --as user: their password read into *password
 * (from stdin or the terminal, cli_read_actor_password), then the store opened for writing.
 * Prints errors. Free both (cli_secret_free, capa_store_close) whatever it returns.
 */
int cli_open_as(capa_store **out, char **password, cli *c);

/**
 * Read a whole file into *out (NUL-terminated, free()), at most `max` bytes: a larger file
 * is refused naming `max` unless `too_big` is given, which is then set (and nothing read).
 * Prints errors naming the path. Returns CLI_OK or CLI_ERROR.
 */
int cli_read_file(char **out, size_t *out_len, const char *path, size_t max, int *too_big);
/** Write data to `path` through a temporary file renamed into place (no half-written file
 *  is left behind); "-" writes to stdout. Prints errors. Returns CLI_OK or CLI_ERROR. */
int cli_write_file(const char *path, const void *data, size_t len);

/** Path of `file` in the organisation's key directory: $CAPA_KEYS, else <db>/keys (keep the
 *  key outside the database directory in production: see docs/trust.md). Returns buf. */
const char *cli_keys_path(const cli *c, char *buf, size_t sz, const char *file);

/** The dossier font when none is given (--font, $CAPA_FONT): <prefix>/share/capa next to an
 *  installed binary, else the one the build made, else the system's WenQuanYi Zen Hei.
 *  NULL when none of them exists (the library's default then names what is missing). */
const char *cli_default_font(char *buf, size_t sz);

/** Print "NUMBER: <what>; now in <stage> (<label>)" (or "closed") after a change, <what> the
 *  say.* `rule` with its name, value pairs (ending in NULL) worded as cli_say_rule. */
void cli_print_case_stage(cli *c, capa_store *s, const char *number, const char *rule, ...)
    __attribute__((sentinel));

/* ---- name=value arguments ---- */

/**
 * Turn "name=value" arguments into capa_kv (pointing into argv, split at the first '=';
 * argv strings are modified). A missing '=' or an empty name is a usage error naming the
 * argument. *out is heap memory owned by the caller (free()).
 */
int cli_parse_assignments(capa_kv **out, const cli *c, char **args, int n);

/* ---- text output ---- */

/** How cli_put_text shows line breaks and tabs. */
typedef enum cli_text_mode {
    CLI_TEXT_LINE,  /* one line: '\n' and '\t' show as \n and \t, like every control */
    CLI_TEXT_FLAT,  /* one line: '\n' and '\t' print as a space (a column of `list`) */
    CLI_TEXT_BLOCK, /* '\n' and '\t' kept; every line after the first indented by `indent` */
} cli_text_mode;

/**
 * Print s[0..len) to `out` so that it can neither forge nor disguise output: every text a
 * command prints that came from the database or the user goes through here (or cli_text),
 * never straight into printf. Shown as visible escapes:
 *   - C0 controls and DEL as \xNN (\n, \t, \r by name; see `mode` for \n and \t);
 *   - C1 controls U+0080-U+009F, bidi controls (U+061C, U+200E/F, U+202A-U+202E,
 *     U+2066-U+2069), zero-width characters (U+200B-U+200D, U+FEFF) and U+2028/U+2029 as
 *     \uXXXX;
 *   - every byte that is not part of valid UTF-8 as \xNN.
 * Everything else, backslashes included, prints as it is, so ordinary text is unchanged; the
 * exact bytes are in --json. In CLI_TEXT_BLOCK a line break is real but the next line starts
 * `indent` spaces in, so a value can never begin a line where a record does.
 * Returns the bytes written.
 */
size_t cli_put_text(FILE *out, const char *s, size_t len, cli_text_mode mode, int indent);
/** cli_put_text(out, s, strlen(s), CLI_TEXT_LINE, 0); NULL prints nothing. */
void cli_put(FILE *out, const char *s);
/**
 * The same escaping (CLI_TEXT_LINE) into buf, for short strings printed inside a printf
 * format: ids, names, labels, stage and case numbers. Cut with "…" when it does not fit in
 * sz bytes (a name of 200 bytes needs at most 800 escaped: CLI_TEXT_MAX holds it). NULL
 * gives "". Returns buf.
 */
const char *cli_text(char *buf, size_t sz, const char *s);
#define CLI_TEXT_MAX 1024
/** cli_text for s[0..len) in `mode` (CLI_TEXT_BLOCK counts as CLI_TEXT_LINE: a buffer holds
 *  one line). */
const char *cli_text_n(char *buf, size_t sz, const char *s, size_t len, cli_text_mode mode);

/* ---- display width (for columns that line up with Chinese text in them) ---- */

/** Terminal columns of UTF-8 text: East Asian wide and fullwidth characters take 2,
 *  combining marks 0, everything else (an invalid byte too) 1. Meant for escaped text. */
size_t cli_width(const char *s);
/** s cut to at most `max` columns, ending in "…" when cut (whole characters only); max 0
 *  means no limit. Returns buf. */
const char *cli_clip(char *buf, size_t sz, const char *s, size_t max);
/** Print s (already escaped) and spaces up to `width` columns. */
void cli_put_padded(FILE *out, const char *s, size_t width);

/* ---- tables: rows of escaped cells, columns as wide as their widest cell ---- */
typedef struct cli_table {
    size_t ncols;
    const size_t *max; /* per column, the most columns a cell may take (0 = any), or NULL */
    char **cells;      /* nrows * ncols, owned */
    size_t nrows, cap;
} cli_table;
/** Append a row of ncols cells (escaped text, copied; NULL = ""). Returns 0 or -1 (OOM). */
int cli_table_add(cli_table *t, const char *const *cells);
/** Print every row, each line starting with `indent`, cells two spaces apart; the last
 *  column is not padded (no trailing spaces). */
void cli_table_print(FILE *out, const cli_table *t, const char *indent);
void cli_table_free(cli_table *t);

/* ---- formatting ---- */

/** ms since epoch -> "2026-11-23T08:15:02Z" into buf (>= 32 bytes); "" for 0. */
const char *cli_time(char *buf, size_t sz, int64_t ms);
/** ms since epoch -> "2026-11-23T08:15:02Z (16:15:02 +08:00)": UTC, then the time in the
 *  process's time zone (TZ) with its offset, and the local date when it differs; "" for 0.
 *  buf >= 64 bytes. */
const char *cli_time_local(char *buf, size_t sz, int64_t ms);
/** Parse "YYYY-MM-DD" (UTC midnight) into ms. Returns 0 on success, -1 if malformed. */
int cli_parse_date(int64_t *out_ms, const char *s);
/** A label in the chosen language: "中文 / English", "中文" or "English", escaped like
 *  cli_text (labels come from installed form definitions). Uses buf. */
const char *cli_label(const cli *c, char *buf, size_t sz, const char *zh, const char *en);
/** words17e: a fixed word of a line in the language of the command's messages (--lang, else
 *  the locale; cli_say_rule's), as cli_label words it: for lines that were English only, so
 *  that without --lang in an English locale they stay as they were. Uses buf. */
const char *cli_word(const cli *c, char *buf, size_t sz, const char *zh, const char *en);
/** words17e: a time limit's kind (response, containment, plan, closure, or a stage id of `wf`)
 *  in 中文 (*zh: capa-serve's words, else the stage's label) and its code (*en). */
void cli_limit_words(const capa_workflow *wf, const char *kind, const char **zh, const char **en);
/** words17e: an escalation level (warn, overdue, overdue_24h, ...) in 中文 into zh (the level
 *  itself when unknown); returns zh. */
const char *cli_level_zh(char *zh, size_t sz, const char *level);
/** words17e: an audit event's action in 中文 (the action itself when unknown). */
const char *cli_action_zh(const char *action);
/** words17e: a notice's kind in 中文 (returned, closed, owner; else "entered"). */
const char *cli_notice_kind_zh(const char *kind);
/** words17e: with kind < 0, weekday 1..7 (Monday first) in 中文; else a calendar day's kind
 *  (capa_day_kind) in 中文. */
const char *cli_day_zh(int weekday, int kind);
/** words17e: a limit's state (on_time, due_soon, overdue, met, met_late) in 中文. */
const char *cli_state_zh(const char *state);
/** An engine change's field in a log (stage, signature, data_hash, owner, ...) in 中文; NULL
 *  when it is none of the engine's own (a form's field is worded by its form). */
const char *cli_event_field_zh(const char *name);
/** A role as "label (id)" in the chosen language (cli_label), escaped: its label in `wf`, else
 *  (with `s`) in the store's default workflow, else in another workflow that declares it; the
 *  id alone when none does. Uses buf. */
const char *cli_role_label(const cli *c, char *buf, size_t sz, capa_store *s,
                           const capa_workflow *wf, const char *id);

/* ---- JSON (jansson) ---- */

/** A JSON string for s (NULL -> null). Invalid UTF-8 bytes become U+FFFD. */
json_t *cli_json_str(const char *s);
/** ISO time string, or null for 0. */
json_t *cli_json_time(int64_t ms);
/** {"zh": zh, "en": en} */
json_t *cli_json_label(const char *zh, const char *en);
/** Set key on obj, taking the reference of val. Returns -1 when val is NULL (OOM). */
int cli_json_set(json_t *obj, const char *key, json_t *val);
/** Append val to arr, taking its reference. Returns -1 when val is NULL (OOM). */
int cli_json_push(json_t *arr, json_t *val);
/** Print a JSON document to stdout with a trailing newline and release it. */
int cli_json_print(const cli *c, json_t *doc);

/* ---- every case number, for --all (dossier, export) ---- */
typedef struct cli_numbers {
    char **v;
    size_t n, cap;
    int64_t since; /* set before: only cases closed on or after it (ms); 0 = every case */
    int oom;
} cli_numbers;
/** Fill ns->v with the numbers of every case (closed since ns->since), in number order.
 *  Returns the list's code; ns->oom when memory ran out. */
int cli_numbers_get(cli_numbers *ns, capa_store *s);
void cli_numbers_clear(cli_numbers *ns);

/** What `--all -o DIR/` writes of each case (dossier, export). */
typedef struct cli_each_file {
    const char *dir;     /**< -o DIR/: created when missing */
    const char *ext;     /**< ".pdf", ".xml" */
    const char *refused; /**< "dossier refused", "export refused" */
    const char *noun;    /**< for the summary: "dossier", "case" */
    const char *verb;    /**< "written to", "exported to" */
    int progress;        /**< "[i/n] CASE -> PATH" on stderr before each */
    /** Write case `number` to `path`; CLI_OK or an error already reported. */
    int (*write)(cli *c, capa_store *s, const char *number, const char *path, void *payload);
    void *payload;
} cli_each_file;
/** Every case of ns (closed since ns->since) to DIR/CASE.ext, after one replay of the whole
 *  trail: a case whose records differ from it is refused alone, naming the first mismatch.
 *  Prints each path written on stdout and a summary on stderr; CLI_ERROR if any failed. */
int cli_each_case_file(cli *c, capa_store *s, cli_numbers *ns, const cli_each_file *w);

/* ---- list as a spreadsheet (sheet.c) ---- */
typedef struct cli_sheet cli_sheet;
/** Start `capa list --format csv|xlsx -o path` ("-" is stdout, CSV only): heading row in
 *  `lang`, times in `tz` (its name `zone` in the headings). Prints errors. */
int cli_sheet_open(cli_sheet **out, const char *format, const char *path, cli_lang lang,
                   const capa_tz *tz, const char *zone);
/** One case's row. Prints errors; CLI_OK or CLI_ERROR. */
int cli_sheet_row(cli_sheet *sh, const capa_case_header *h);
/** Finish: with `commit` the file is renamed into place, else removed. Frees sh. */
int cli_sheet_close(cli_sheet *sh, int commit);

/* ---- commands (one cmd_<verb>.c each) ---- */
int cmd_init(cli *c, int argc, char **argv);
int cmd_user_add(cli *c, int argc, char **argv);
int cmd_user_passwd(cli *c, int argc, char **argv);
int cmd_user_unlock(cli *c, int argc, char **argv);
int cmd_user_list(cli *c, int argc, char **argv);
int cmd_user_role(cli *c, int argc, char **argv);
int cmd_user_disable(cli *c, int argc, char **argv);
int cmd_user_enable(cli *c, int argc, char **argv);
int cmd_open(cli *c, int argc, char **argv);
int cmd_set(cli *c, int argc, char **argv);
int cmd_sign(cli *c, int argc, char **argv);
int cmd_reject(cli *c, int argc, char **argv);
int cmd_show(cli *c, int argc, char **argv);
int cmd_list(cli *c, int argc, char **argv);
int cmd_log(cli *c, int argc, char **argv);
int cmd_verify(cli *c, int argc, char **argv);
int cmd_form_check(cli *c, int argc, char **argv);
int cmd_form_install(cli *c, int argc, char **argv);
int cmd_info(cli *c, int argc, char **argv);
int cmd_config(cli *c, int argc, char **argv);
int cmd_report(cli *c, int argc, char **argv);
int cmd_publish(cli *c, int argc, char **argv);
/* report monthly --group (cmd_report_group.c) and the JSON rendering it shares (cmd_report.c) */
int cmd_report_group(cli *c, int argc, char **argv);
json_t *cli_report_json(const capa_monthly *m, const capa_plant *p);
int cmd_attach(cli *c, int argc, char **argv);
int cmd_export(cli *c, int argc, char **argv);
int cmd_import_xml(cli *c, int argc, char **argv);
int cmd_attachment_get(cli *c, int argc, char **argv);
/* limits_out.c: a case's time limits, and --at TIME of read-only commands */
int cli_at_parse(int64_t *out, const cli *c, capa_store *s, const char *at);
/** A length of time as "2d 3h" or "5h 07m" (its sign ignored). */
void cli_span(char *buf, size_t sz, int64_t ms);
json_t *cli_limits_json(capa_store *s, const capa_case *cs, int64_t at);
void cli_limits_print(const cli *c, capa_store *s, const capa_case *cs, int64_t at);
int cmd_calendar_install(cli *c, int argc, char **argv);
int cmd_calendar_show(cli *c, int argc, char **argv);
int cmd_backup(cli *c, int argc, char **argv);
/* capa validate: the operational qualification on a scratch store (cmd_validate.c) */
int cmd_validate(cli *c, int argc, char **argv);
int cmd_restore(cli *c, int argc, char **argv);
int cmd_dossier(cli *c, int argc, char **argv);
int cmd_cert_create(cli *c, int argc, char **argv);
int cmd_cert_install(cli *c, int argc, char **argv);
int cmd_anchor(cli *c, int argc, char **argv);
int cmd_checkpoint(cli *c, int argc, char **argv);
int cmd_escalate(cli *c, int argc, char **argv);
int cmd_deliver(cli *c, int argc, char **argv);
int cmd_notices(cli *c, int argc, char **argv);
int cmd_owner(cli *c, int argc, char **argv);
int cmd_user_set(cli *c, int argc, char **argv);
int cmd_config_notify(cli *c, int argc, char **argv);
int cmd_upgrade(cli *c, int argc, char **argv);
int cmd_serve(cli *c, int argc, char **argv);
int cmd_import(cli *c, int argc, char **argv);

int cmd_form_show(cli *c, int argc, char **argv);

/* ---- forms for people (fields.c, help.c) ---- */

/** Print a form's fields as a table: id (group columns as group.N.column), type, label,
 *  when required, rules; choice codes with their labels under their field. */
int cli_form_print(cli *c, const capa_formdef *fd);
/** One line saying that choices take codes or labels, with an example from the form. */
void cli_form_print_hint(const cli *c, const capa_formdef *fd);
/** The form's definition as JSON (the shape of `form show --json`, docs/cli.md). */
json_t *cli_form_json(const capa_formdef *fd);
/** `capa help open|set|sign [CASE]` after the usage line: the fields of the stage concerned
 *  (help.c). */
int cli_help_fields(cli *c, const char *verb, int argc, char **argv);
/** For every name in kv[0..n) the form does not have, a "did you mean" for the nearest one,
 *  appended to the engine's message on stderr; and every choice given by label replaced by
 *  its code (capa_form_normalize) before the engine sees it. Both helpers of open and set. */
void cli_normalize_values(const capa_formdef *fd, capa_kv *kv, size_t n);
int cli_fail_values(const cli *c, const char *what, int rc, const capa_formdef *fd,
                    const capa_kv *kv, size_t n);

/** Make the signing identity in <db>/keys: a self-signed certificate for `org`, or with
 *  key and cert, install those (and the chain). Prints errors (cmd_cert.c). */
int cli_cert_setup(cli *c, const char *org, const char *key, const char *cert, const char *chain);

/** The usage line of a command by its display name ("user add"), or NULL (main.c). */
const char *cli_command_usage(const char *name);

struct pg_conn;
/** libpq's last message of `pg` on one line: line breaks and tabs as spaces (cmd_publish.c;
 *  publish and report --group). Points into a static buffer, valid until the next call. */
const char *cli_pg_msg(struct pg_conn *pg);
/** One CSV field (RFC 4180 quoting); a leading = + - @ gets a ' so a spreadsheet never runs
 *  it as a formula (cmd_report.c; the plant's and the group's report). */
void cli_csv_field(FILE *f, const char *s);
/** Start a CSV file for Excel: the UTF-8 byte-order mark (without it Excel reads UTF-8 as the
 *  ANSI code page and Chinese turns to mojibake). Every CSV capa writes starts with it: the
 *  list (sheet.c), the plant's and the group's report (cmd_report.c). */
void cli_csv_bom(FILE *f);

#endif
