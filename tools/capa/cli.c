/*
 * cli.c - helpers shared by the capa commands: option parsing, password input, opening the
 * store, name=value arguments, error messages, escaped text output and JSON output.
 *
 * Passwords are read either from the terminal with echo off (the controlling terminal,
 * /dev/tty, so a redirected stdin cannot feed a prompt by accident) or, with
 * --password-stdin, one line each from stdin, and are wiped from memory after use.
 *
 * Text output goes through one escaper (cli_put_text, cli_text): whatever a stored value or
 * an argument holds, it cannot add a line, move the cursor, retitle the terminal or reverse
 * what is read. The engine refuses such characters on input too; the escaper also covers
 * data stored before it did, and errors that quote what was refused.
 */
#include "cli.h"
#include "lang.h"

#include "capa_form.h"
#include "capa_report.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- option parsing ---- */

static const cli_opt *find_opt(const cli_opt *opts, const char *name, size_t len)
{
    for (; opts && opts->name; opts++) {
        if (strlen(opts->name) == len && strncmp(opts->name, name, len) == 0)
            return opts;
    }
    return NULL;
}

/* Handle one "--name[=value]" at argv[*i]; advances *i past a separate value. */
static int parse_one(cli *c, int argc, char **argv, int *i, const cli_opt *opts,
                     const cli_opt *globals)
{
    const char *a = argv[*i];
    const char *eq = strchr(a, '=');
    size_t len = eq ? (size_t)(eq - a) : strlen(a);
    const cli_opt *o = find_opt(opts, a, len);
    if (!o)
        o = find_opt(globals, a, len);
    if (!o)
    {
        char name[CLI_TEXT_MAX], english[CLI_TEXT_MAX + 32];
        snprintf(name, sizeof name, "%.*s", (int)(len < sizeof name ? len : sizeof name - 1), a);
        snprintf(english, sizeof english, "unknown option '%s'", name);
        return cli_usage_refuse(c, "cli.unknown_option", name, NULL, 0, english);
    }
    if (!o->arg) {
        char english[160];
        snprintf(english, sizeof english, "option '%s' takes no value", o->name);
        if (eq)
            return cli_usage_refuse(c, "cli.no_value", o->name, NULL, 0, english);
        *o->flag = 1;
        return CLI_OK;
    }
    if (eq) {
        *o->arg = eq + 1;
    } else if (*i + 1 < argc) {
        *o->arg = argv[++*i];
    } else {
        char english[160];
        snprintf(english, sizeof english, "option '%s' needs a value", o->name);
        return cli_usage_refuse(c, "cli.needs_value", o->name, NULL, 0, english);
    }
    return CLI_OK;
}

/* The --lang of the command line parsed last (NULL: the locale's), for the errors of helpers
 * that have no cli at hand (cli_error_rule with c NULL). */
static const char *parsed_lang;
static int chosen_lang(const cli *c);

int cli_parse(cli *c, int argc, char **argv, const cli_opt *opts, int *npos)
{
    const cli_opt globals[] = {
        {"--db", &c->db, NULL},
        {"--lang", &c->lang_arg, NULL},
        {"--help", NULL, &c->help},
        {"-h", NULL, &c->help},
        {NULL, NULL, NULL},
    };
    int n = 0, only_pos = 0;
    /* The language first: an error in an option before --lang is worded in it too. */
    for (int i = 0; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strncmp(argv[i], "--lang=", 7) == 0)
            c->lang_arg = argv[i] + 7;
        else if (strcmp(argv[i], "--lang") == 0 && i + 1 < argc)
            c->lang_arg = argv[++i];
    }
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!only_pos && strcmp(a, "--") == 0) {
            only_pos = 1;
        } else if (!only_pos && a[0] == '-' && a[1] != '\0') {
            int rc = parse_one(c, argc, argv, &i, opts, globals);
            if (rc != CLI_OK)
                return rc;
        } else {
            /* Positional arguments are compacted to the front; we never write ahead of i. */
            argv[n++] = argv[i];
        }
    }
    *npos = n;
    if (c->help) {
        cli_print_command_help(c);
        return CLI_DONE;
    }
    if (c->lang_arg) {
        if (strcmp(c->lang_arg, "zh") == 0)
            c->lang = CLI_LANG_ZH;
        else if (strcmp(c->lang_arg, "en") == 0)
            c->lang = CLI_LANG_EN;
        else if (strcmp(c->lang_arg, "both") == 0)
            c->lang = CLI_LANG_BOTH;
        else {
            char english[CLI_TEXT_MAX + 64], v[CLI_TEXT_MAX];
            cli_text(v, sizeof v, c->lang_arg);
            snprintf(english, sizeof english, "--lang must be zh or en, not '%s' (or both)", v);
            capa_refusal_param p[] = {{"option", "--lang"}, {"choices", "zh, en, both"}};
            const char *bad = c->lang_arg;
            c->lang_arg = NULL; /* worded in the locale's language */
            return cli_usage_refuse(c, "cli.choice", bad, p, 2, english);
        }
    }
    parsed_lang = c->lang_arg;
    return CLI_OK;
}

/* printf into a fresh string; NULL when out of memory. */
static char *vformat(const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (buf)
        vsnprintf(buf, (size_t)n + 1, fmt, ap);
    return buf;
}

/* "capa: <what>: <msg>\n" to stderr, both parts escaped; what may be NULL. */
static void print_error(const char *prog, const char *what, const char *msg)
{
    fprintf(stderr, "%s: ", prog);
    if (what) {
        cli_put(stderr, what);
        fputs(": ", stderr);
    }
    cli_put(stderr, msg ? msg : "out of memory");
    fputc('\n', stderr);
}

int cli_usage(const cli *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = vformat(fmt, ap);
    va_end(ap);
    print_error(c->prog, c->cmd ? c->cmd : "usage", msg);
    free(msg);
    const char *u = c->cmd ? cli_command_usage(c->cmd) : NULL;
    if (u)
        fprintf(stderr, "usage: %s %s\n", c->prog, u);
    else
        fprintf(stderr, "Try '%s help'.\n", c->prog);
    return CLI_USAGE;
}

int cli_usage_refuse(const cli *c, const char *rule, const char *value,
                     const capa_refusal_param *params, size_t n_params, const char *english)
{
    int lang = c->lang_arg ? capa_lang_parse(c->lang_arg) : (int)capa_lang_from_env();
    char v[CLI_TEXT_MAX];
    cli_text(v, sizeof v, value ? value : ""); /* a value typed on the command line, escaped */
    const char *where = c->cmd ? c->cmd : "usage";
    if (lang == CAPA_LANG_ZH || lang == CAPA_LANG_BOTH) {
        char *zh = capa_lang_rule(rule, "", v, params, n_params, CAPA_LANG_ZH, 0);
        print_error(c->prog, where, zh ? zh : english);
        free(zh);
    }
    if (lang != CAPA_LANG_ZH)
        print_error(c->prog, where, english);
    const char *u = c->cmd ? cli_command_usage(c->cmd) : NULL;
    if (u)
        fprintf(stderr, "%s%s %s\n", lang == CAPA_LANG_ZH ? "用法：" : "usage: ", c->prog, u);
    else if (lang == CAPA_LANG_ZH)
        fprintf(stderr, "请运行“%s help”查看用法。\n", c->prog);
    else
        fprintf(stderr, "Try '%s help'.\n", c->prog);
    return CLI_USAGE;
}

int cli_unexpected(const cli *c, const char *arg)
{
    char english[CLI_TEXT_MAX + 32], v[CLI_TEXT_MAX];
    snprintf(english, sizeof english, "unexpected argument '%s'", cli_text(v, sizeof v, arg));
    return cli_usage_refuse(c, "cli.unexpected", arg, NULL, 0, english);
}

int cli_usage_rule(const cli *c, const char *rule, const char *value, ...)
{
    capa_refusal_param p[8];
    size_t n = 0;
    va_list ap;
    va_start(ap, value);
    for (const char *name; n < 8 && (name = va_arg(ap, const char *)) != NULL; n++) {
        p[n].name = name;
        p[n].value = va_arg(ap, const char *);
    }
    va_end(ap);
    char v[CLI_TEXT_MAX];
    cli_text(v, sizeof v, value ? value : "");
    char *en = capa_lang_rule(rule, "", v, p, n, CAPA_LANG_EN, 0);
    /* After "capa: <command>: " a usage error begins in lower case, as the others do. */
    if (en && en[0] >= 'A' && en[0] <= 'Z')
        en[0] = (char)(en[0] - 'A' + 'a');
    int rc = cli_usage_refuse(c, rule, value, p, n, en ? en : rule);
    free(en);
    return rc;
}

char *cli_help_text(const cli *c, const char *rule, const char *en)
{
    int lang = chosen_lang(c);
    capa_refusal_param p[] = {{"summary", en}};
    char *zh = lang == CAPA_LANG_EN ? NULL : capa_lang_rule(rule, "", "", p, 1, CAPA_LANG_ZH, 0);
    if (!zh)
        return strdup(en);
    if (lang == CAPA_LANG_ZH)
        return zh;
    size_t n = strlen(zh) + strlen(en) + 4;
    char *both = malloc(n);
    if (both) /* a text of several lines has its English below, else after " / " */
        snprintf(both, n, "%s%s%s", zh, strchr(en, '\n') ? "\n" : " / ", en);
    free(zh);
    return both;
}

void cli_print_command_help(const cli *c)
{
    const char *u = c->cmd ? cli_command_usage(c->cmd) : NULL;
    char *us = cli_help_text(c, "help.usage_of", "usage: ");
    char *common = cli_help_text(c, "help.common",
                                 "Common options: --db DIR (or $CAPA_DB; default ./var).\n"
                                 "Mutating commands: --as USER, --password-stdin (else asked "
                                 "on the terminal).\n"
                                 "See docs/cli.md for details.");
    printf("%s%s %s\n%s\n", us ? us : "usage: ", c->prog, u ? u : "COMMAND ...",
           common ? common : "");
    free(us);
    free(common);
}

int cli_require_actor(const cli *c)
{
    if (!c->as || !*c->as)
    {
        capa_refusal_param p[] = {{"option", "--as"}};
        return cli_usage_refuse(c, "cli.actor", "", p, 1,
                                "--as USER is required (who acts; asked for their password)");
    }
    return CLI_OK;
}

/* ---- errors ---- */

/* 1 when msg already begins with `prefix` followed by ':' or ' ' (its own context). */
static int starts_with_context(const char *msg, const char *prefix)
{
    size_t n = prefix ? strlen(prefix) : 0;
    return n > 0 && strncmp(msg, prefix, n) == 0 && (msg[n] == ':' || msg[n] == ' ');
}

int cli_fail(const cli *c, const char *what, int rc)
{
    const char *msg = capa_error_last();
    if (!msg || !*msg)
        msg = capa_strerror(rc);
    /* A refusal the engine gave as data is worded in the chosen language (--lang, else the
     * locale): 中文 from the catalogue (tools/lang); English is the engine's own sentence,
     * which also names the command that helps; both prints the two. */
    const capa_refusal *ref = capa_refusal_last();
    int lang = c->lang_arg ? capa_lang_parse(c->lang_arg) : (int)capa_lang_from_env();
    /* A refusal naming roles is worded from the catalogue in English too: the engine's
     * sentence names their ids, a reader knows them by their labels. */
    int en_worded = ref && capa_lang_names_role(ref);
    if (ref && (lang == CAPA_LANG_ZH || lang == CAPA_LANG_BOTH || en_worded)) {
        char where[200];
        snprintf(where, sizeof where, "%s%s%s", what ? what : c->cmd,
                 *ref->case_number && !strstr(what ? what : "", ref->case_number) ? " " : "",
                 *ref->case_number && !strstr(what ? what : "", ref->case_number)
                     ? ref->case_number
                     : "");
        for (int zh = 1; zh >= 0; zh--) {
            if ((zh && lang == CAPA_LANG_EN) || (!zh && (lang == CAPA_LANG_ZH || !en_worded)))
                continue;
            char *t = capa_lang_refusal(ref, zh ? CAPA_LANG_ZH : CAPA_LANG_EN, 0);
            print_error(c->prog, where, t);
            free(t);
        }
        if (lang == CAPA_LANG_ZH || en_worded)
            return CLI_ERROR;
    } else if (!ref && lang == CAPA_LANG_ZH) {
        /* An error without refusal data: its kind in 中文, the engine's sentence as detail. */
        char *zh = capa_lang_error_last(rc, CAPA_LANG_ZH, 0);
        print_error(c->prog, what ? what : c->cmd, zh ? zh : msg);
        free(zh);
        return CLI_ERROR;
    }
    /* core's messages usually carry their own context ("set QC-2026-0001: field ..."); do not
     * print it twice. They have no line breaks of their own: any there came from a quoted
     * value and are shown escaped, so it cannot print a line that looks like one of ours. */
    if (starts_with_context(msg, what) || starts_with_context(msg, c->cmd))
        print_error(c->prog, NULL, msg);
    else
        print_error(c->prog, what, msg);
    return CLI_ERROR;
}

int cli_refuse(const cli *c, const char *what, const char *rule, const char *field,
               const char *value, const capa_refusal_param *params, size_t n_params,
               const char *english)
{
    capa_violation v = {rule,   field ? field : "", "", "", value ? value : "", n_params, params,
                        english};
    capa_refusal ref = {CAPA_EINVALID, "", "", "", "", "", 1, &v, 0};
    int lang = c->lang_arg ? capa_lang_parse(c->lang_arg) : (int)capa_lang_from_env();
    if (lang == CAPA_LANG_ZH || lang == CAPA_LANG_BOTH) {
        char *zh = capa_lang_refusal(&ref, CAPA_LANG_ZH, 0);
        print_error(c->prog, what, zh ? zh : english);
        free(zh);
        if (lang == CAPA_LANG_ZH)
            return CLI_ERROR;
    }
    print_error(c->prog, what, english);
    return CLI_ERROR;
}

int cli_refuse_diag(const cli *c, const char *what, const char *rule, const char *field,
                    const char *value, const struct capa_diag *diag, const char *english)
{
    enum { MAX = 32 };
    char *detail = capa_diag_join(diag, "; "), items[24];
    size_t n = diag->n < MAX - 1 ? diag->n : MAX - 1;
    snprintf(items, sizeof items, "%zu", diag->n);
    capa_refusal_param head[] = {{"detail", detail ? detail : ""}, {"items", items}};
    capa_violation v[MAX];
    capa_refusal_param other[MAX];
    v[0] = (capa_violation){rule,
                            field ? field : "",
                            "",
                            "",
                            value ? value : "",
                            diag->n && diag->items ? 2 : 1,
                            head,
                            english};
    for (size_t i = 0; diag->items && i < n; i++) {
        const capa_diag_item *it = &diag->items[i];
        capa_refusal_param *p = &other[i];
        p->name = "detail";
        p->value = diag->msgs[i];
        /* capa_diag_item keeps names and values apart: pair them up for the catalogue */
        capa_refusal_param *ps = it->rule ? calloc(it->n_params, sizeof *ps) : NULL;
        for (size_t k = 0; ps && k < it->n_params; k++)
            ps[k] = (capa_refusal_param){it->pname[k], it->pval[k]};
        v[i + 1] = (capa_violation){it->rule && ps ? it->rule : "xml.other",
                                    it->rule && ps ? it->field : "",
                                    "",
                                    "",
                                    it->rule && ps ? it->value : "",
                                    it->rule && ps ? it->n_params : 1,
                                    it->rule && ps ? ps : p,
                                    diag->msgs[i]};
    }
    capa_refusal ref = {CAPA_EINVALID, "", "", "", "", "", diag->items ? n + 1 : 1, v, diag->n - n};
    int lang = c->lang_arg ? capa_lang_parse(c->lang_arg) : (int)capa_lang_from_env();
    if (lang == CAPA_LANG_ZH || lang == CAPA_LANG_BOTH) {
        char *zh = capa_lang_refusal(&ref, CAPA_LANG_ZH, 0);
        print_error(c->prog, what, zh ? zh : english);
        free(zh);
    }
    if (lang != CAPA_LANG_ZH)
        print_error(c->prog, what, english);
    for (size_t i = 1; i < ref.n; i++)
        if (v[i].params != &other[i - 1])
            free((void *)v[i].params);
    capa__free(detail);
    return CLI_ERROR;
}

int cli_error(const char *what, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = vformat(fmt, ap);
    va_end(ap);
    print_error("capa", what, msg);
    free(msg);
    return CLI_ERROR;
}

/* The chosen language: c's --lang, else the one parsed before the command, else the
 * locale's. */
static int chosen_lang(const cli *c)
{
    const char *arg = c ? c->lang_arg : parsed_lang;
    return arg ? capa_lang_parse(arg) : (int)capa_lang_from_env();
}

/* `rule` with params p[0..n) in English or 中文, into a fresh string (NULL: out of memory
 * or unknown rule). The catalogue begins an English sentence in upper case; a line of ours
 * begins in lower case as the others do, unless it begins with a value as it is. */
static char *word_one(const char *rule, const capa_refusal_param *p, size_t n, int zh)
{
    const char *value = ""; /* a parameter "value" is the rule's {value} */
    for (size_t i = 0; i < n; i++)
        if (strcmp(p[i].name, "value") == 0 && p[i].value)
            value = p[i].value;
    char *t = capa_lang_rule(rule, "", value, p, n, zh ? CAPA_LANG_ZH : CAPA_LANG_EN, 0);
    int as_is = 0;
    for (size_t i = 0; t && i < n && !as_is; i++)
        as_is = p[i].value && *p[i].value && strncmp(t, p[i].value, strlen(p[i].value)) == 0;
    if (t && !zh && !as_is && t[0] >= 'A' && t[0] <= 'Z' && !(t[1] >= 'A' && t[1] <= 'Z'))
        t[0] = (char)(t[0] - 'A' + 'a');
    return t;
}

void cli_say_params(const cli *c, const char *rule, const capa_refusal_param *p, size_t n)
{
    int lang = chosen_lang(c);
    for (int zh = 1; zh >= 0; zh--) {
        if ((zh && lang == CAPA_LANG_EN) || (!zh && lang == CAPA_LANG_ZH))
            continue;
        char *t = word_one(rule, p, n, zh);
        cli_put(stdout, t ? t : rule);
        putchar('\n');
        free(t);
    }
}

/* The name, value pairs of ap (NULL-ended) into p[0..8); their number. */
static size_t pairs_of(capa_refusal_param p[8], va_list ap)
{
    size_t n = 0;
    for (const char *name; n < 8 && (name = va_arg(ap, const char *)) != NULL; n++) {
        p[n].name = name;
        p[n].value = va_arg(ap, const char *);
    }
    return n;
}

void cli_say_rule(const cli *c, const char *rule, ...)
{
    capa_refusal_param p[8];
    va_list ap;
    va_start(ap, rule);
    size_t n = pairs_of(p, ap);
    va_end(ap);
    cli_say_params(c, rule, p, n);
}

/* cli_error_rule and cli_note_rule: `rule` with the name, value pairs of ap, in the chosen
 * language(s), one line each under "capa: <what>: ". */
static void vword(const cli *c, const char *what, const char *rule, va_list ap)
{
    capa_refusal_param p[8];
    size_t n = pairs_of(p, ap);
    cli_note_params(c, what, rule, p, n);
}

void cli_note_params(const cli *c, const char *what, const char *rule,
                     const capa_refusal_param *p, size_t n)
{
    int lang = chosen_lang(c);
    if (!what && c)
        what = c->cmd;
    for (int zh = 1; zh >= 0; zh--) {
        if ((zh && lang == CAPA_LANG_EN) || (!zh && lang == CAPA_LANG_ZH))
            continue;
        char *t = word_one(rule, p, n, zh);
        print_error("capa", what, t ? t : rule);
        free(t);
    }
}

int cli_error_rule(const cli *c, const char *what, const char *rule, ...)
{
    va_list ap;
    va_start(ap, rule);
    vword(c, what, rule, ap);
    va_end(ap);
    return CLI_ERROR;
}

void cli_note_rule(const cli *c, const char *what, const char *rule, ...)
{
    va_list ap;
    va_start(ap, rule);
    vword(c, what, rule, ap);
    va_end(ap);
}

int cli_oom(const cli *c, const char *what)
{
    return cli_error_rule(c, what, "cli.oom", NULL);
}

void cli_mismatches(const cli *c, const char *what, const capa_verify_report *r, size_t max)
{
    int lang = c && c->lang_arg ? capa_lang_parse(c->lang_arg) : (int)capa_lang_from_env();
    size_t i = 0;
    for (; i < r->n_mismatches && i < max; i++) {
        char *t = capa_lang_mismatch(&r->mismatches[i], (capa_lang)lang);
        cli_error(what, "%s", t ? t : r->mismatches[i].message);
        free(t);
    }
    if (r->n_total > i) {
        char n[24];
        snprintf(n, sizeof n, "%zu", r->n_total - i);
        cli_error_rule(c, what, "cli.more", "count", n, NULL);
    }
}

/* ---- passwords ---- */

static void chomp(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
}

void cli_secret_free(char *secret)
{
    if (!secret)
        return;
    explicit_bzero(secret, strlen(secret));
    free(secret);
}

static int read_stdin_line(const cli *c, const char *prompt, char **out)
{
    char *line = NULL;
    size_t cap = 0;
    *out = NULL;
    if (getline(&line, &cap, stdin) < 0) {
        free(line);
        return cli_error_rule(c, NULL, "cli.stdin_password", "option", "--password-stdin", "for",
                              prompt, NULL);
    }
    chomp(line);
    *out = line;
    return CLI_OK;
}

/* Longest password line read from a terminal. */
#define TTY_LINE_MAX 1024

/* The terminal state to restore if a signal arrives while echo is off (a CLI process has one
 * prompt at a time, so file-level state is enough). tcsetattr is async-signal-safe. */
static struct termios tty_saved;
static volatile sig_atomic_t tty_saved_fd = -1;

static void tty_restore_and_reraise(int sig)
{
    if (tty_saved_fd >= 0)
        tcsetattr(tty_saved_fd, TCSAFLUSH, &tty_saved);
    signal(sig, SIG_DFL);
    raise(sig);
}

static const int tty_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
#define N_TTY_SIGNALS (sizeof tty_signals / sizeof tty_signals[0])

/* Turn echo off on fd (with handlers that turn it back on); returns 1 if it must be restored. */
static int tty_echo_off(int fd, struct sigaction *old_acts)
{
    struct termios quiet;
    struct sigaction sa = {0};
    if (tcgetattr(fd, &tty_saved) != 0)
        return 0;
    sa.sa_handler = tty_restore_and_reraise;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < N_TTY_SIGNALS; i++)
        sigaction(tty_signals[i], &sa, &old_acts[i]);
    tty_saved_fd = fd;
    quiet = tty_saved;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    quiet.c_lflag |= ECHONL;
    tcsetattr(fd, TCSAFLUSH, &quiet);
    return 1;
}

static void tty_echo_restore(int fd, const struct sigaction *old_acts)
{
    tcsetattr(fd, TCSAFLUSH, &tty_saved);
    tty_saved_fd = -1;
    for (size_t i = 0; i < N_TTY_SIGNALS; i++)
        sigaction(tty_signals[i], &old_acts[i], NULL);
}

/* Read one line from fd with read(2): no stdio buffer keeps a copy of the password. */
static ssize_t read_fd_line(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    for (;;) {
        char ch;
        ssize_t r = read(fd, &ch, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return n > 0 ? (ssize_t)n : -1;
        if (ch == '\n')
            break;
        if (n + 1 < cap)
            buf[n++] = ch;
    }
    buf[n] = '\0';
    return (ssize_t)n;
}

/* Prompt on the controlling terminal with echo off; restores the terminal before returning. */
static int read_tty_line(const cli *c, const char *prompt, char **out)
{
    int rc = CLI_ERROR, restore = 0;
    char line[TTY_LINE_MAX];
    struct sigaction old_acts[N_TTY_SIGNALS];
    int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    *out = NULL;
    if (fd < 0) {
        capa_refusal_param p[] = {{"option", "--password-stdin"}};
        rc = cli_refuse(c, c->cmd, "cli.no_tty", NULL, NULL, p, 1,
                        "no terminal to ask the password on; use --password-stdin");
        goto done;
    }
    restore = tty_echo_off(fd, old_acts);
    if (write(fd, prompt, strlen(prompt)) < 0 || read_fd_line(fd, line, sizeof line) < 0) {
        rc = cli_refuse(c, c->cmd, "cli.no_password", NULL, NULL, NULL, 0, "no password entered");
        goto done;
    }
    chomp(line);
    if (!(*out = strdup(line))) {
        rc = cli_oom(c, NULL);
        goto done;
    }
    rc = CLI_OK;
done:
    if (restore)
        tty_echo_restore(fd, old_acts);
    if (fd >= 0)
        close(fd);
    explicit_bzero(line, sizeof line);
    return rc;
}

int cli_read_password(char **out, cli *c, const char *prompt)
{
    if (c->password_stdin)
        return read_stdin_line(c, prompt, out);
    return read_tty_line(c, prompt, out);
}

int cli_read_actor_password(char **out, cli *c)
{
    char prompt[160], who[128];
    /* The prompt goes to the terminal: the user id is as typed, not yet checked. */
    snprintf(prompt, sizeof prompt, "Password for %s: ", cli_text(who, sizeof who, c->as));
    return cli_read_password(out, c, prompt);
}

int cli_read_new_password(char **out, cli *c, const char *who)
{
    int rc;
    char prompt[160], name[128], *first = NULL, *again = NULL;
    *out = NULL;
    cli_text(name, sizeof name, who);
    snprintf(prompt, sizeof prompt, "New password for %s: ", name);
    rc = cli_read_password(&first, c, prompt);
    if (rc != CLI_OK || c->password_stdin)
        goto done;
    snprintf(prompt, sizeof prompt, "Repeat the new password for %s: ", name);
    rc = cli_read_password(&again, c, prompt);
    if (rc != CLI_OK)
        goto done;
    if (strcmp(first, again) != 0) {
        char english[CLI_TEXT_MAX + 64], n[CLI_TEXT_MAX];
        snprintf(english, sizeof english, "the two passwords for %s differ; nothing changed",
                 cli_text(n, sizeof n, name));
        rc = cli_refuse(c, c->cmd, "cli.passwords_differ", NULL, name, NULL, 0, english);
        goto done;
    }
done:
    if (rc == CLI_OK) {
        *out = first;
        first = NULL;
    }
    cli_secret_free(first);
    cli_secret_free(again);
    return rc;
}

/* ---- store ---- */

int cli_store_open(capa_store **out, cli *c, int create, int read_only)
{
    capa_open_opts opts = {0};
    opts.create = create;
    opts.read_only = read_only;
    int rc = capa_store_open(out, c->db, &opts);
    if (rc == CAPA_ENOTFOUND && !create) {
        capa_refusal_param p[] = {{"option", "--db"}, {"env", "CAPA_DB"}, {"prog", c->prog}};
        return cli_refuse(c, c->db, "cli.no_store", NULL, NULL, p, 3,
                          "no capa database here (create one with `capa init`, or point --db / "
                          "CAPA_DB at one)");
    }
    if (rc != CAPA_OK)
        return cli_fail(c, c->db, rc);
    return CLI_OK;
}

int cli_open_as(capa_store **out, char **password, cli *c)
{
    int rc = cli_read_actor_password(password, c);
    return rc != CLI_OK ? rc : cli_store_open(out, c, 0, 0);
}

const char *cli_default_font(char *buf, size_t sz)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0; /* <prefix>/bin */
            snprintf(buf, sz, "%s/../share/capa/capa-dossier-font.ttf", exe);
            if (access(buf, R_OK) == 0)
                return buf;
        }
    }
    const char *built = capa_report_default_font();
    if (access(built, R_OK) == 0) {
        snprintf(buf, sz, "%s", built);
        return buf;
    }
    snprintf(buf, sz, "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc");
    return access(buf, R_OK) == 0 ? buf : NULL;
}

const char *cli_keys_path(const cli *c, char *buf, size_t sz, const char *file)
{
    const char *dir = getenv("CAPA_KEYS");
    if (dir && *dir)
        snprintf(buf, sz, "%s%s%s", dir, file ? "/" : "", file ? file : "");
    else
        snprintf(buf, sz, "%s/keys%s%s", c->db, file ? "/" : "", file ? file : "");
    return buf;
}

void cli_print_case_stage(cli *c, capa_store *s, const char *number, const char *rule, ...)
{
    capa_case *cs = NULL;
    const capa_workflow *wf = NULL;
    capa_refusal_param p[8];
    va_list ap;
    va_start(ap, rule);
    size_t n = pairs_of(p, ap);
    va_end(ap);
    int err = capa_case_get(&cs, s, number);
    const capa_stage *st = NULL;
    if (!err && capa_case_workflow(&wf, s, cs) == CAPA_OK)
        st = capa_workflow_stage(wf, cs->stage);
    /* What was done (rule), then where the case is now: one line per language chosen. */
    int lang = chosen_lang(c);
    for (int zh = 1; zh >= 0; zh--) {
        if ((zh && lang == CAPA_LANG_EN) || (!zh && lang == CAPA_LANG_ZH))
            continue;
        char *what = word_one(rule, p, n, zh), label[256];
        /* English shows the labels --lang asks for (both without it), as the listings do. */
        capa_refusal_param q[] = {
            {"number", number},
            {"what", what ? what : rule},
            {"at", cs ? cs->stage : ""},
            {"label", !st ? "?"
                      : zh ? st->label_zh
                           : cli_label(c, label, sizeof label, st->label_zh, st->label_en)}};
        char *t = word_one(err ? "say.done" : cs->closed ? "say.closed" : "say.now_in", q, 4, zh);
        cli_put(stdout, t ? t : rule);
        putchar('\n');
        free(t);
        free(what);
    }
    capa_case_free(cs);
}

/* ---- name=value arguments ---- */

int cli_parse_assignments(capa_kv **out, const cli *c, char **args, int n)
{
    *out = NULL;
    if (n == 0)
        return CLI_OK;
    capa_kv *kv = calloc((size_t)n, sizeof *kv);
    if (!kv)
        return cli_oom(c, NULL);
    for (int i = 0; i < n; i++) {
        char *eq = strchr(args[i], '=');
        if (!eq || eq == args[i]) {
            free(kv);
            return cli_usage_rule(c, "cli.assignment", args[i], NULL);
        }
        *eq = '\0';
        kv[i].name = args[i];
        kv[i].value = eq + 1;
    }
    *out = kv;
    return CLI_OK;
}

/* ---- text output ---- */

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 if invalid; its code point in
 * *out_cp. */
static size_t utf8_seq(const unsigned char *p, size_t n, unsigned *out_cp)
{
    size_t len;
    unsigned min;
    unsigned cp;
    if (p[0] < 0x80) {
        *out_cp = p[0];
        return 1;
    }
    if ((p[0] & 0xE0) == 0xC0)
        len = 2, cp = p[0] & 0x1F, min = 0x80;
    else if ((p[0] & 0xF0) == 0xE0)
        len = 3, cp = p[0] & 0x0F, min = 0x800;
    else if ((p[0] & 0xF8) == 0xF0)
        len = 4, cp = p[0] & 0x07, min = 0x10000;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    *out_cp = cp;
    return len;
}

/* Code points shown as \uXXXX: C1 controls and the format characters that reorder, hide or
 * break text (bidi controls, zero-width characters, line and paragraph separators). */
static int shown_as_u(unsigned cp)
{
    return (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c || (cp >= 0x200b && cp <= 0x200f) ||
           (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff;
}

/* Where escaped text goes: a stream, or a buffer that is cut with "…" when full. */
typedef struct sink {
    FILE *f;
    char *buf;
    size_t sz, o;
    int full;
    size_t written;
} sink;

static void sink_put(sink *k, const char *p, size_t n)
{
    if (k->f) {
        k->written += fwrite(p, 1, n, k->f);
        return;
    }
    if (k->full)
        return;
    /* Room is kept for "…" and the NUL, so a cut is always visible. */
    if (k->o + n + 4 > k->sz) {
        if (k->o + 4 <= k->sz) {
            memcpy(k->buf + k->o, "\xe2\x80\xa6", 3);
            k->o += 3;
        }
        k->full = 1;
        return;
    }
    memcpy(k->buf + k->o, p, n);
    k->o += n;
}

/* The one escaper behind cli_put_text, cli_text and every message (see cli.h). */
static void escape(sink *k, const char *s, size_t len, cli_text_mode mode, int indent)
{
    const unsigned char *p = (const unsigned char *)s;
    char esc[16];
    unsigned cp = 0;

    for (size_t i = 0; i < len && !k->full;) {
        size_t n = utf8_seq(p + i, len - i, &cp);
        if (n == 0) {
            snprintf(esc, sizeof esc, "\\x%02x", p[i]);
            sink_put(k, esc, 4);
            i++;
            continue;
        }
        if ((cp == '\n' || cp == '\t') && mode == CLI_TEXT_FLAT) {
            sink_put(k, " ", 1);
        } else if (cp == '\t' && mode == CLI_TEXT_BLOCK) {
            sink_put(k, "\t", 1);
        } else if (cp == '\n' && mode == CLI_TEXT_BLOCK) {
            sink_put(k, "\n", 1);
            /* A trailing line break ends the value; it indents nothing. */
            for (int j = 0; j < indent && i + 1 < len; j++)
                sink_put(k, " ", 1);
        } else if (cp == '\n' || cp == '\t' || cp == '\r') {
            sink_put(k, cp == '\n' ? "\\n" : cp == '\t' ? "\\t" : "\\r", 2);
        } else if (cp < 0x20 || cp == 0x7f) {
            snprintf(esc, sizeof esc, "\\x%02x", cp);
            sink_put(k, esc, 4);
        } else if (shown_as_u(cp)) {
            snprintf(esc, sizeof esc, "\\u%04x", cp);
            sink_put(k, esc, 6);
        } else {
            sink_put(k, s + i, n);
        }
        i += n;
    }
}

size_t cli_put_text(FILE *out, const char *s, size_t len, cli_text_mode mode, int indent)
{
    sink k = {.f = out};
    if (s)
        escape(&k, s, len, mode, indent);
    return k.written;
}

void cli_put(FILE *out, const char *s)
{
    if (s)
        cli_put_text(out, s, strlen(s), CLI_TEXT_LINE, 0);
}

const char *cli_text(char *buf, size_t sz, const char *s)
{
    return cli_text_n(buf, sz, s, s ? strlen(s) : 0, CLI_TEXT_LINE);
}

const char *cli_text_n(char *buf, size_t sz, const char *s, size_t len, cli_text_mode mode)
{
    sink k = {.buf = buf, .sz = sz};
    if (sz == 0)
        return buf;
    if (s)
        escape(&k, s, len, mode == CLI_TEXT_BLOCK ? CLI_TEXT_LINE : mode, 0);
    buf[k.o] = '\0';
    return buf;
}

/* ---- display width ---- */

/* East Asian Wide and Fullwidth ranges (Unicode EastAsianWidth.txt, W and F), the ones text
 * in a quality record meets: CJK, kana, hangul, fullwidth forms, and the emoji blocks. A
 * table of our own rather than wcwidth(), which answers -1 for all of them under LANG=C. */
static const unsigned wide_ranges[][2] = {
    {0x1100, 0x115f},   {0x231a, 0x231b},   {0x2329, 0x232a},   {0x23e9, 0x23ec},
    {0x23f0, 0x23f0},   {0x23f3, 0x23f3},   {0x25fd, 0x25fe},   {0x2614, 0x2615},
    {0x2648, 0x2653},   {0x267f, 0x267f},   {0x2693, 0x2693},   {0x26a1, 0x26a1},
    {0x26aa, 0x26ab},   {0x26bd, 0x26be},   {0x26c4, 0x26c5},   {0x26ce, 0x26ce},
    {0x26d4, 0x26d4},   {0x26ea, 0x26ea},   {0x26f2, 0x26f3},   {0x26f5, 0x26f5},
    {0x26fa, 0x26fa},   {0x26fd, 0x26fd},   {0x2705, 0x2705},   {0x270a, 0x270b},
    {0x2728, 0x2728},   {0x274c, 0x274c},   {0x274e, 0x274e},   {0x2753, 0x2755},
    {0x2757, 0x2757},   {0x2795, 0x2797},   {0x27b0, 0x27b0},   {0x27bf, 0x27bf},
    {0x2b1b, 0x2b1c},   {0x2b50, 0x2b50},   {0x2b55, 0x2b55},   {0x2e80, 0x303e},
    {0x3041, 0x33ff},   {0x3400, 0x4dbf},   {0x4e00, 0x9fff},   {0xa000, 0xa4cf},
    {0xa960, 0xa97f},   {0xac00, 0xd7a3},   {0xf900, 0xfaff},   {0xfe10, 0xfe19},
    {0xfe30, 0xfe6f},   {0xff00, 0xff60},   {0xffe0, 0xffe6},   {0x16fe0, 0x16fe4},
    {0x17000, 0x18cff}, {0x1b000, 0x1b2ff}, {0x1f004, 0x1f004}, {0x1f0cf, 0x1f0cf},
    {0x1f18e, 0x1f18e}, {0x1f191, 0x1f19a}, {0x1f200, 0x1f251}, {0x1f300, 0x1f64f},
    {0x1f680, 0x1f6ff}, {0x1f7e0, 0x1f7eb}, {0x1f90c, 0x1f9ff}, {0x1fa70, 0x1faff},
    {0x20000, 0x2fffd}, {0x30000, 0x3fffd},
};

/* Columns a code point takes on a terminal: 2 for wide, 0 for combining marks, else 1. */
static size_t cp_width(unsigned cp)
{
    size_t lo = 0, hi = sizeof wide_ranges / sizeof wide_ranges[0];
    if (cp < 0x0300) /* Latin and the rest before the first combining mark: most of a list */
        return 1;
    if ((cp >= 0x0300 && cp <= 0x036f) || (cp >= 0x1ab0 && cp <= 0x1aff) ||
        (cp >= 0x20d0 && cp <= 0x20ff) || (cp >= 0xfe00 && cp <= 0xfe0f) ||
        (cp >= 0xfe20 && cp <= 0xfe2f))
        return 0;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cp < wide_ranges[mid][0])
            hi = mid;
        else if (cp > wide_ranges[mid][1])
            lo = mid + 1;
        else
            return 2;
    }
    return 1;
}

size_t cli_width(const char *s)
{
    size_t w = 0, n = s ? strlen(s) : 0;
    unsigned cp;
    for (size_t i = 0; i < n;) {
        if ((unsigned char)s[i] < 0x80) { /* ASCII: one column, no sequence to decode */
            w++;
            i++;
            continue;
        }
        size_t len = utf8_seq((const unsigned char *)s + i, n - i, &cp);
        if (len == 0) {
            w++;
            i++;
            continue;
        }
        w += cp_width(cp);
        i += len;
    }
    return w;
}

const char *cli_clip(char *buf, size_t sz, const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0, w = 0, i = 0, cut = 0;
    unsigned cp;
    if (sz == 0)
        return buf;
    if (max == 0 || cli_width(s) <= max) {
        snprintf(buf, sz, "%s", s ? s : "");
        return buf;
    }
    /* Whole characters up to max - 1 columns, then "…" (one column). */
    while (i < n) {
        size_t len = utf8_seq((const unsigned char *)s + i, n - i, &cp);
        size_t cw = len ? cp_width(cp) : 1;
        if (!len)
            len = 1;
        if (w + cw > max - 1)
            break;
        w += cw;
        i += len;
        cut = i;
    }
    if (cut + 4 > sz)
        cut = 0;
    memcpy(buf, s, cut);
    memcpy(buf + cut, "\xe2\x80\xa6", 4);
    return buf;
}

void cli_put_padded(FILE *out, const char *s, size_t width)
{
    size_t w = cli_width(s);
    fputs(s ? s : "", out);
    for (; w < width; w++)
        fputc(' ', out);
}

/* ---- formatting ---- */

const char *cli_time(char *buf, size_t sz, int64_t ms)
{
    if (ms == 0) {
        snprintf(buf, sz, "%s", "");
        return buf;
    }
    capa_time_format(buf, sz, ms);
    return buf;
}

const char *cli_time_local(char *buf, size_t sz, int64_t ms)
{
    char utc[40];
    struct tm lt, ut;
    time_t t;
    if (ms == 0) {
        snprintf(buf, sz, "%s", "");
        return buf;
    }
    capa_time_format(utc, sizeof utc, ms);
    t = (time_t)(ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000));
    tzset();
    if (!localtime_r(&t, &lt) || !gmtime_r(&t, &ut)) {
        snprintf(buf, sz, "%s", utc);
        return buf;
    }
    long off = lt.tm_gmtoff;
    char sign = off < 0 ? '-' : '+';
    if (off < 0)
        off = -off;
    /* The local date only when it is not the UTC one: "(04:15:02 +08:00)" reads at once. */
    if (lt.tm_year == ut.tm_year && lt.tm_yday == ut.tm_yday)
        snprintf(buf, sz, "%s (%02d:%02d:%02d %c%02ld:%02ld)", utc, lt.tm_hour, lt.tm_min,
                 lt.tm_sec, sign, off / 3600, off % 3600 / 60);
    else
        snprintf(buf, sz, "%s (%04d-%02d-%02d %02d:%02d:%02d %c%02ld:%02ld)", utc,
                 lt.tm_year + 1900, lt.tm_mon + 1, lt.tm_mday, lt.tm_hour, lt.tm_min, lt.tm_sec,
                 sign, off / 3600, off % 3600 / 60);
    return buf;
}

int cli_parse_date(int64_t *out_ms, const char *s)
{
    int y, m, d, n = -1;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 || strlen(s) != 10)
        return -1;
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    time_t t = timegm(&tm);
    /* timegm normalises 2026-02-30 to March: a changed field means the date was not real. */
    if (t == (time_t)-1 || tm.tm_year != y - 1900 || tm.tm_mon != m - 1 || tm.tm_mday != d)
        return -1;
    *out_ms = (int64_t)t * 1000;
    return 0;
}

const char *cli_label(const cli *c, char *buf, size_t sz, const char *zh, const char *en)
{
    if (zh && !*zh)
        zh = NULL;
    if (en && !*en)
        en = NULL;
    if (c->lang == CLI_LANG_ZH && zh)
        en = NULL;
    else if (c->lang == CLI_LANG_EN && en)
        zh = NULL;
    if (zh && en && strcmp(zh, en) != 0) {
        char a[CLI_TEXT_MAX], b[CLI_TEXT_MAX];
        snprintf(buf, sz, "%s / %s", cli_text(a, sizeof a, zh), cli_text(b, sizeof b, en));
    } else {
        cli_text(buf, sz, zh ? zh : en ? en : "");
    }
    return buf;
}

const char *cli_word(const cli *c, char *buf, size_t sz, const char *zh, const char *en)
{
    int lang = chosen_lang(c);
    cli t = {.lang = lang == CAPA_LANG_ZH   ? CLI_LANG_ZH
                     : lang == CAPA_LANG_EN ? CLI_LANG_EN
                                            : CLI_LANG_BOTH};
    return cli_label(&t, buf, sz, zh, en);
}

const char *cli_role_label(const cli *c, char *buf, size_t sz, capa_store *s,
                           const capa_workflow *wf, const char *id)
{
    char a[CLI_TEXT_MAX], l[CLI_TEXT_MAX];
    const capa_role *r = wf && id ? capa_workflow_role(wf, id) : NULL;
    if (!r && s && id)
        r = capa_store_role(s, id);
    if (!r || ((!r->label_zh || !*r->label_zh) && (!r->label_en || !*r->label_en)))
        return cli_text(buf, sz, id ? id : "");
    cli_label(c, l, sizeof l, r->label_zh, r->label_en);
    cli_text(a, sizeof a, id);
    char tail[CLI_TEXT_MAX + 3];
    snprintf(tail, sizeof tail, "(%s)", a);
    size_t nl = strlen(l), nt = strlen(tail);
    if (nl >= nt && strcmp(l + nl - nt, tail) == 0) /* the label names its id already */
        snprintf(buf, sz, "%s", l);
    else
        snprintf(buf, sz, "%s %s", l, tail);
    return buf;
}

/* ---- JSON ---- */

/* Copy s replacing every invalid UTF-8 byte with U+FFFD. */
static json_t *json_str_lossy(const char *s)
{
    size_t n = strlen(s), o = 0;
    char *buf = malloc(n * 3 + 1);
    if (!buf)
        return NULL;
    for (size_t i = 0; i < n;) {
        unsigned cp;
        size_t len = utf8_seq((const unsigned char *)s + i, n - i, &cp);
        if (len == 0) {
            memcpy(buf + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        } else {
            memcpy(buf + o, s + i, len);
            o += len;
            i += len;
        }
    }
    json_t *j = json_stringn(buf, o);
    free(buf);
    return j;
}

json_t *cli_json_str(const char *s)
{
    if (!s)
        return json_null();
    json_t *j = json_string(s);
    return j ? j : json_str_lossy(s);
}

json_t *cli_json_time(int64_t ms)
{
    char buf[40];
    if (ms == 0)
        return json_null();
    capa_time_format(buf, sizeof buf, ms);
    return json_string(buf);
}

json_t *cli_json_label(const char *zh, const char *en)
{
    json_t *o = json_object();
    if (o && (cli_json_set(o, "zh", cli_json_str(zh)) || cli_json_set(o, "en", cli_json_str(en)))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int cli_json_set(json_t *obj, const char *key, json_t *val)
{
    if (!val)
        return -1;
    return json_object_set_new(obj, key, val);
}

int cli_json_push(json_t *arr, json_t *val)
{
    if (!val)
        return -1;
    return json_array_append_new(arr, val);
}

int cli_json_print(const cli *c, json_t *doc)
{
    int rc = CLI_OK;
    if (!doc)
        return cli_oom(c, NULL);
    if (json_dumpf(doc, stdout, JSON_INDENT(2)) != 0 || fputc('\n', stdout) == EOF)
        rc = cli_error_rule(c, "stdout", "cli.io_write", "detail", strerror(errno), NULL);
    json_decref(doc);
    return rc;
}

/* ---- files ---- */

int cli_read_file(char **out, size_t *out_len, const char *path, size_t max, int *too_big)
{
    struct stat st;
    char *buf = NULL;
    size_t len = 0;
    int rc = CLI_ERROR;
    *out = NULL;
    *out_len = 0;
    if (too_big)
        *too_big = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return cli_error_rule(NULL, path, "cli.io_read", "detail", strerror(errno), NULL);
    if (fstat(fileno(f), &st) != 0 || S_ISDIR(st.st_mode)) {
        if (S_ISDIR(st.st_mode))
            cli_error_rule(NULL, path, "cli.is_dir", NULL);
        else
            cli_error_rule(NULL, path, "cli.io_read", "detail", strerror(errno), NULL);
        goto done;
    }
    size_t cap =
        S_ISREG(st.st_mode) && (uint64_t)st.st_size <= max ? (size_t)st.st_size + 1 : 65536;
    if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max) {
        if (too_big) {
            *too_big = 1;
            *out_len = (size_t)st.st_size;
            rc = CLI_OK;
        } else {
            char size[24], lim[24];
            snprintf(size, sizeof size, "%llu", (unsigned long long)st.st_size);
            snprintf(lim, sizeof lim, "%zu", max);
            cli_error_rule(NULL, path, "cli.too_large", "size", size, "max", lim, NULL);
        }
        goto done;
    }
    if (!(buf = malloc(cap))) {
        cli_oom(NULL, path);
        goto done;
    }
    for (;;) {
        if (len + 1 >= cap) {
            char *p = len > max ? NULL : realloc(buf, cap * 2);
            if (!p) {
                if (len > max && too_big) {
                    *too_big = 1;
                    *out_len = len;
                    rc = CLI_OK;
                } else if (len > max) {
                    char lim[24];
                    snprintf(lim, sizeof lim, "%zu", max);
                    cli_error_rule(NULL, path, "cli.too_large", "max", lim, NULL);
                } else {
                    cli_oom(NULL, path);
                }
                goto done;
            }
            buf = p;
            cap *= 2;
        }
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(f)) {
        cli_error_rule(NULL, path, "cli.io_read", "detail", strerror(errno ? errno : EIO), NULL);
        goto done;
    }
    if (len > max) {
        if (too_big) {
            *too_big = 1;
            *out_len = len;
            rc = CLI_OK;
        } else {
            char lim[24];
            snprintf(lim, sizeof lim, "%zu", max);
            cli_error_rule(NULL, path, "cli.too_large", "max", lim, NULL);
        }
        goto done;
    }
    buf[len] = 0;
    *out = buf;
    *out_len = len;
    buf = NULL;
    rc = CLI_OK;
done:
    free(buf);
    fclose(f);
    return rc;
}

/* mkstemp makes 0600; the file written is the user's, as if made with open(): 0666 & ~umask. */
static int fchmod_path_default(const char *path)
{
    mode_t mask = umask(0);
    umask(mask);
    return chmod(path, 0666 & ~mask);
}

int cli_write_file(const char *path, const void *data, size_t len)
{
    if (strcmp(path, "-") == 0) {
        if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0)
            return cli_error_rule(NULL, "stdout", "cli.io_write", "detail", strerror(errno), NULL);
        return CLI_OK;
    }
    size_t n = strlen(path);
    char *tmp = malloc(n + 16);
    if (!tmp)
        return cli_oom(NULL, path);
    snprintf(tmp, n + 16, "%s.tmp-XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int rc = cli_error_rule(NULL, path, "cli.io_write", "detail", strerror(errno), NULL);
        free(tmp);
        return rc;
    }
    const char *p = data;
    size_t left = len;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        p += w;
        left -= (size_t)w;
    }
    int ok = left == 0 && fsync(fd) == 0;
    int saved = errno;
    ok = close(fd) == 0 && ok;
    if (ok && fchmod_path_default(tmp) == 0 && rename(tmp, path) == 0) {
        free(tmp);
        return CLI_OK;
    }
    if (!saved)
        saved = errno;
    unlink(tmp);
    free(tmp);
    return cli_error_rule(NULL, path, "cli.io_write", "detail", strerror(saved ? saved : EIO),
                          NULL);
}

/* ---- every case number, for --all ---- */

static int collect(const capa_case_header *h, void *payload)
{
    cli_numbers *ns = payload;
    if (ns->since && (!h->closed || h->closed_at < ns->since))
        return 0;
    if (ns->n == ns->cap) {
        size_t cap = ns->cap ? 2 * ns->cap : 64;
        char **v = realloc(ns->v, cap * sizeof *v);
        if (!v) {
            ns->oom = 1;
            return 1;
        }
        ns->v = v, ns->cap = cap;
    }
    if (!(ns->v[ns->n] = strdup(h->number))) {
        ns->oom = 1;
        return 1;
    }
    ns->n++;
    return 0;
}

int cli_numbers_get(cli_numbers *ns, capa_store *s)
{
    capa_filter f = {0};
    f.closed = ns->since ? 1 : -1;
    return capa_case_list(s, &f, collect, ns);
}

void cli_numbers_clear(cli_numbers *ns)
{
    for (size_t i = 0; i < ns->n; i++)
        free(ns->v[i]);
    free(ns->v);
    memset(ns, 0, sizeof *ns);
}

int cli_each_case_file(cli *c, capa_store *s, cli_numbers *ns, const cli_each_file *w)
{
    const char *out = w->dir;
    capa_verify_report *vr = NULL;
    int err;
    if (mkdir(out, 0755) != 0 && errno != EEXIST)
        return cli_error_rule(c, out, "cli.io_create", "detail", strerror(errno), NULL);
    err = cli_numbers_get(ns, s);
    if (ns->oom || err < 0)
        return ns->oom ? cli_oom(c, NULL) : cli_fail(c, "list", err);
    /* One replay for all: then each case is refused alone when its records differ. */
    if ((err = capa_store_verify(&vr, s, NULL)) != CAPA_OK)
        return cli_fail(c, "verify", err);
    size_t failed = 0, ol = strlen(out);
    for (size_t i = 0; i < ns->n; i++) {
        char path[4096], name[512];
        /* A number pattern may contain '/' (it is configurable): never a subdirectory. */
        snprintf(name, sizeof name, "%s", ns->v[i]);
        for (char *p = name; *p; p++)
            if (*p == '/')
                *p = '_';
        snprintf(path, sizeof path, "%s%s%s%s", out, ol && out[ol - 1] == '/' ? "" : "/", name,
                 w->ext);
        if (w->progress) {
            fprintf(stderr, "[%zu/%zu] ", i + 1, ns->n);
            cli_put(stderr, ns->v[i]);
            fputs(" -> ", stderr);
            cli_put(stderr, path);
            fputc('\n', stderr);
        }
        const capa_mismatch *bad = capa_verify_report_concerns_output(vr, s, ns->v[i]);
        if (bad) {
            cli_error_rule(c, ns->v[i], "cli.case_unverified", "kind",
                           strncmp(w->refused, "dossier", 7) == 0 ? "dossier" : "export", "detail",
                           bad->message, NULL);
            failed++;
            continue;
        }
        if (w->write(c, s, ns->v[i], path, w->payload) != CLI_OK) {
            failed++;
            continue;
        }
        cli_put(stdout, path);
        putchar('\n');
    }
    fprintf(stderr, "%zu %s%s %s ", ns->n - failed, w->noun, ns->n - failed == 1 ? "" : "s",
            w->verb);
    cli_put(stderr, out);
    if (failed)
        fprintf(stderr, ", %zu failed", failed);
    fputc('\n', stderr);
    capa_verify_report_free(vr);
    return failed ? CLI_ERROR : CLI_OK;
}
