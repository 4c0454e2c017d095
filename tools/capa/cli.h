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

/** Print the usage text of the current command to stdout (for --help). */
void cli_print_command_help(const cli *c);

/** Require --as; prints a usage error and returns CLI_USAGE when missing. */
int cli_require_actor(const cli *c);

/* ---- errors ---- */

/**
 * Report a failed library call: "capa: <what>: <capa_error_last() or capa_strerror(rc)>",
 * one line per line of the message. Returns CLI_ERROR.
 */
int cli_fail(const cli *c, const char *what, int rc);
/** Print "capa: <what>: <fmt...>" to stderr; returns CLI_ERROR. */
int cli_error(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

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

/** Print "NUMBER: <what>; now in <stage label>" (or "closed") after a change of stage. */
void cli_print_case_stage(cli *c, capa_store *s, const char *number, const char *what);

/* ---- name=value arguments ---- */

/**
 * Turn "name=value" arguments into capa_kv (pointing into argv, split at the first '=';
 * argv strings are modified). A missing '=' or an empty name is a usage error naming the
 * argument. *out is heap memory owned by the caller (free()).
 */
int cli_parse_assignments(capa_kv **out, const cli *c, char **args, int n);

/* ---- formatting ---- */

/** ms since epoch -> "2026-11-23T08:15:02Z" into buf (>= 32 bytes); "" for 0. */
const char *cli_time(char *buf, size_t sz, int64_t ms);
/** Parse "YYYY-MM-DD" (UTC midnight) into ms. Returns 0 on success, -1 if malformed. */
int cli_parse_date(int64_t *out_ms, const char *s);
/** A label in the chosen language: "中文 / English", "中文" or "English". Uses buf. */
const char *cli_label(const cli *c, char *buf, size_t sz, const char *zh, const char *en);

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

/* ---- commands (one cmd_<verb>.c each) ---- */
int cmd_init(cli *c, int argc, char **argv);
int cmd_user_add(cli *c, int argc, char **argv);
int cmd_user_passwd(cli *c, int argc, char **argv);
int cmd_user_unlock(cli *c, int argc, char **argv);
int cmd_user_list(cli *c, int argc, char **argv);
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
int cmd_backup(cli *c, int argc, char **argv);
int cmd_restore(cli *c, int argc, char **argv);
int cmd_dossier(cli *c, int argc, char **argv);
int cmd_cert_create(cli *c, int argc, char **argv);
int cmd_cert_install(cli *c, int argc, char **argv);

/** Make the signing identity in <db>/keys: a self-signed certificate for `org`, or with
 *  key and cert, install those (and the chain). Prints errors (cmd_cert.c). */
int cli_cert_setup(cli *c, const char *org, const char *key, const char *cert, const char *chain);

/** The usage line of a command by its display name ("user add"), or NULL (main.c). */
const char *cli_command_usage(const char *name);

#endif
