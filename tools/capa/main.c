/*
 * main.c - the capa command line: global options, the command table, dispatch and help.
 *
 * Each command lives in its own cmd_<verb>.c and is one line in the table below; adding a
 * command is adding a file, a prototype in cli.h and a line here. Commands only parse,
 * call the library (core/include/capa.h) and print: the rules live in core/.
 */
#include "cli.h"
#include "lang.h"

#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>

typedef struct command {
    const char *name; /* first word: "show", "user" */
    const char *sub;  /* second word for grouped commands ("add"), or NULL */
    cli_cmd_fn fn;
    const char *usage; /* arguments after "capa " */
    const char *summary;
} command;

static const command commands[] = {
    {"init", NULL, cmd_init,
     "init --org NAME [--number-pattern P] [--admin ID] [--admin-name NAME] [--forms DIR] "
     "[--timezone ZONE] [--cert FILE --key FILE [--chain FILE]] [--password-stdin]",
     "create the database with its first (admin) user and dossier signing key"},
    {"user", "add", cmd_user_add,
     "user add ID --role ROLE --name NAME [--dept DEPT] --as ADMIN [--password-stdin]",
     "add a user (stdin: admin's password, then the new one)"},
    {"user", "passwd", cmd_user_passwd, "user passwd ID --as USER [--password-stdin]",
     "change a password (stdin: actor's password, then the new one)"},
    {"user", "unlock", cmd_user_unlock,
     "user unlock ID --as ADMIN [--password-stdin] | user unlock ID --local",
     "unlock an account locked after wrong passwords (--local: as the OS owner of the db)"},
    {"user", "list", cmd_user_list, "user list [--json]", "list users, roles and lock state"},
    {"user", "role", cmd_user_role, "user role ID --role ROLE --as ADMIN [--password-stdin]",
     "change a user's role (ends their web sessions)"},
    {"user", "disable", cmd_user_disable, "user disable ID --as ADMIN [--password-stdin]",
     "disable an account: no sign-in, its web sessions end"},
    {"user", "enable", cmd_user_enable, "user enable ID --as ADMIN [--password-stdin]",
     "enable a disabled account again"},
    {"user", "set", cmd_user_set,
     "user set ID [--mobile N] [--email ADDR] [--notify all|none|KINDS] --as USER "
     "[--password-stdin]",
     "a user's mobile and e-mail for notices, and which notices they get (self or admin)"},
    {"open", NULL, cmd_open,
     "open [--workflow W] --as USER [--password-stdin] FIELD=VALUE...",
     "open a case with intake fields; prints its number"},
    {"set", NULL, cmd_set, "set CASE --as USER [--password-stdin] [--reason TEXT] FIELD=VALUE...",
     "set fields of the case's current stage (group.N.field=value for rows)"},
    {"sign", NULL, cmd_sign, "sign CASE --meaning MEANING [--reason TEXT] --as USER [--password-stdin]",
     "sign off the current stage (e-signature); the case advances"},
    {"reject", NULL, cmd_reject, "reject CASE --reason TEXT --as USER [--password-stdin]",
     "send the current stage back (审查 N)"},
    {"show", NULL, cmd_show, "show CASE [--json] [--lang zh|en]",
     "every stage, its fields and signatures"},
    {"list", NULL, cmd_list,
     "list [--stage S] [--customer C] [--customer-like TEXT] [--part P] [--defect D] "
     "[--severity S] [--text T] [--open|--closed] [--recurrent] [--from DATE] [--to DATE] "
     "[--limit N] [--lang zh|en] [--json | --format csv|xlsx -o FILE]",
     "find cases; as CSV (UTF-8 with BOM) or xlsx for Excel"},
    {"log", NULL, cmd_log, "log [CASE] [--json]", "the audit trail, of one case or all"},
    {"verify", NULL, cmd_verify, "verify [--anchor SEQ:HEX]... [--cert FILE] [--json]",
     "replay the audit trail and compare every record; check anchors and checkpoints"},
    {"anchor", NULL, cmd_anchor, "anchor",
     "print the chain head as a token SEQ:HEX to keep outside the database"},
    {"checkpoint", NULL, cmd_checkpoint, "checkpoint [--key FILE]",
     "sign the chain head with the organisation's key (for cron; no password)"},
    {"escalate", NULL, cmd_escalate,
     "escalate [--notify URL --notify-format wecom|dingtalk|json] [--notify-timeout SEC] "
     "[--json]",
     "record (and post) an escalation for every limit past 80 % or due (for cron; no password)"},
    {"deliver", NULL, cmd_deliver, "deliver [--timeout SEC] [--json]",
     "send the notices that wait to WeCom / DingTalk robots and SMTP (for cron; no password)"},
    {"notices", NULL, cmd_notices, "notices --user ID | --pending [--limit N] [--json]",
     "the notices a person got, or the deliveries that wait"},
    {"owner", NULL, cmd_owner, "owner CASE [USER --reason TEXT --as USER [--password-stdin]]",
     "the case's first-contact owner (首问负责人); with USER, reassign it"},
    {"upgrade", NULL, cmd_upgrade, "upgrade",
     "convert a store of an older format in place (after a backup it makes)"},
    {"form", "check", cmd_form_check, "form check FILE|DIR...",
     "validate form/workflow definitions: file:line: reason per error"},
    {"form", "show", cmd_form_show, "form show ID [--version N] [--json] [--lang zh|en]",
     "a stored form's fields: ids, types, labels, required, rules, choice codes"},
    {"form", "install", cmd_form_install, "form install FILE --as ADMIN [--password-stdin]",
     "install the next version of a form (or the workflow)"},
    {"info", NULL, cmd_info, "info [--json]", "organisation, counts, chain head, forms"},
    {"config", NULL, cmd_config,
     "config timezone NAME | config recurrence-days N | config attach-limit BYTES --as ADMIN "
     "[--password-stdin] | config notify add NAME --wecom URL | --dingtalk URL [--secret S] | "
     "--smtp URL --from ADDR [--link URL] --as ADMIN | config notify list [--json] | "
     "config notify remove NAME --as ADMIN",
     "change the plant's time zone, recurrence window or attachment size limit (audited)"},
    {"report", NULL, cmd_report,
     "report monthly --month YYYY-MM | weekly --week YYYY-Www | --from DATE --to DATE "
     "[--format pdf|csv|json|xlsx] [--at TIME] -o FILE [--font FILE] [--no-sign] | "
     "report monthly --group CONNINFO [--plant ID]... --month YYYY-MM "
     "[--format json|csv|pdf|xlsx] -o FILE [--no-sign]",
     "the quality report of a month, an ISO week or any days (客户投诉月/周统计表), signed PDF "
     "by default; --group: across plants from the group's PostgreSQL"},
    {"export", NULL, cmd_export,
     "export CASE -o FILE.xml | export --all [--closed-since DATE] -o DIR/",
     "the case as an XML archive (schemas/case.xsd): records, events, signatures, anchor"},
    {"attach", NULL, cmd_attach,
     "attach CASE FILE [--stage S] [--note TEXT] --as USER [--password-stdin]",
     "keep a file (photo, report) with a case: stored once by SHA-256, audited"},
    {"attachment", "get", cmd_attachment_get, "attachment get CASE SHA256 -o FILE",
     "write an attachment's content to FILE (- for stdout), re-hashed on the way out"},
    {"calendar", "install", cmd_calendar_install,
     "calendar install FILE --as ADMIN [--password-stdin]",
     "install a working-day calendar for its year (schemas/calendar.xsd)"},
    {"calendar", "show", cmd_calendar_show, "calendar show [YYYY-MM] [--json] [--at TIME]",
     "each day of a month: working, weekend, holiday or makeup"},
    {"backup", NULL, cmd_backup, "backup DIR",
     "hot, compacting copy of the database and its signing key into a new or empty DIR"},
    {"restore", NULL, cmd_restore, "restore BACKUP --db TARGET",
     "verify a backup, then restore it (database and signing key) into a new or empty TARGET"},
    {"dossier", NULL, cmd_dossier,
     "dossier CASE -o FILE.pdf | dossier --all [--closed-since DATE] -o DIR/ [--font FILE] "
     "[--no-sign]",
     "signed PDF dossier of a case (or of every case) for auditors"},
    {"serve", NULL, cmd_serve,
     "serve [--listen HOST:PORT] [--idle-timeout MIN] [--max-connections N] [--max-body BYTES] "
     "[--timeout SEC] [--font FILE] [--secure-cookie] [--tls-cert FILE --tls-key FILE]",
     "the web UI and JSON API (runs capa-serve; 127.0.0.1:8080)"},
    {"import", NULL, cmd_import,
     "import --csv FILE | --xlsx FILE [--sheet NAME] --map MAPPING [--encoding utf-8|gb18030] "
     "[--dry-run] [--skip-invalid REJECTS.csv] [--batch N] [--resume] --as ADMIN "
     "[--password-stdin] | "
     "import --xml FILE.xml --as ADMIN [--password-stdin]",
     "import a legacy Excel log (客户投诉登记表) as cases, all or nothing; or another store's "
     "case archive, proved against its events, read-only here"},
    {"publish", NULL, cmd_publish,
     "publish --pg CONNINFO [--follow] [--interval MS] [--batch N] [--cert FILE] [--quiet]",
     "send the verified audit trail and its records to the group's PostgreSQL (docs/group.md)"},
    {"cert", "create", cmd_cert_create, "cert create [--org NAME]",
     "self-signed demo certificate for signing dossiers (<db>/keys)"},
    {"cert", "install", cmd_cert_install, "cert install --key FILE --cert FILE [--chain FILE]",
     "install the organisation's dossier signing key and certificate"},
    {"validate", NULL, cmd_validate,
     "validate -o REPORT.pdf [--json] [--key FILE --cert FILE] [--font FILE] | validate --json | "
     "validate --list  (--break CHECK: for testing the validator)",
     "operational qualification in a scratch store: every software clause's check of "
     "docs/compliance.md, a signed PDF report; exit 1 if any fails"},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

const char *cli_command_usage(const char *name)
{
    char full[64];
    for (size_t i = 0; i < N_COMMANDS; i++) {
        const command *k = &commands[i];
        snprintf(full, sizeof full, "%s%s%s", k->name, k->sub ? " " : "", k->sub ? k->sub : "");
        if (strcmp(full, name) == 0)
            return k->usage;
    }
    return NULL;
}

/* One line of the listing: the command and what it does. */
static void help_line(FILE *out, const cli *c, const char *name, const char *rule, const char *en)
{
    char *t = cli_help_text(c, rule, en);
    fprintf(out, "  %-13s %s\n", name, t ? t : en);
    free(t);
}

/* The rule of a command's summary: "help.user_add" for "user add". */
static void help_rule(char *buf, size_t sz, const command *k)
{
    snprintf(buf, sz, "help.%s%s%s", k->name, k->sub ? "_" : "", k->sub ? k->sub : "");
}

static void print_help(FILE *out, const cli *c)
{
    char *head = cli_help_text(c, "help.head", "8D/CAPA quality records (品质异常 8D 记录)");
    char *usage = cli_help_text(c, "help.usage", "usage: capa [--db DIR] COMMAND [ARGS]");
    char *cmds = cli_help_text(c, "help.commands", "Commands:");
    fprintf(out, "capa %s - %s\n\n%s\n\n%s\n", CAPA_VERSION, head ? head : "",
            usage ? usage : "", cmds ? cmds : "");
    free(head);
    free(usage);
    free(cmds);
    for (size_t i = 0; i < N_COMMANDS; i++) {
        char full[64], rule[64];
        snprintf(full, sizeof full, "%s%s%s", commands[i].name, commands[i].sub ? " " : "",
                 commands[i].sub ? commands[i].sub : "");
        help_rule(rule, sizeof rule, &commands[i]);
        help_line(out, c, full, rule, commands[i].summary);
    }
    help_line(out, c, "help open", "help.help_open", "the fields to give when opening a case");
    help_line(out, c, "help set CASE", "help.help_set", "the fields of the case's current stage");
    help_line(out, c, "help sign CASE", "help.help_sign",
              "the sign-off due: --meaning, who may sign, what is still missing");
    char *foot = cli_help_text(
        c, "help.foot",
        "The database is --db DIR, else $CAPA_DB, else ./var.\n"
        "Mutating commands take --as USER and ask that user's password on the terminal,\n"
        "or read it from stdin with --password-stdin (one line per password).\n"
        "Exit status: 0 ok, 1 error, 2 usage. 'capa help COMMAND' for one command;\n"
        "docs/cli.md has the full reference and the JSON shapes.");
    fprintf(out, "\n%s\n", foot ? foot : "");
    free(foot);
}

/* The table entry for argv[0] (and argv[1] for grouped commands); *used = words consumed. */
static const command *find_command(cli *c, int argc, char **argv, int *used)
{
    int known_group = 0;
    for (size_t i = 0; i < N_COMMANDS; i++) {
        const command *k = &commands[i];
        if (strcmp(k->name, argv[0]) != 0)
            continue;
        if (!k->sub) {
            *used = 1;
            return k;
        }
        known_group = 1;
        if (argc > 1 && strcmp(k->sub, argv[1]) == 0) {
            *used = 2;
            return k;
        }
    }
    /* In the language of messages (--lang, else the locale); English as it always was. */
    char v[CLI_TEXT_MAX], zh[2 * CLI_TEXT_MAX], en[2 * CLI_TEXT_MAX], buf[4 * CLI_TEXT_MAX];
    cli_text(v, sizeof v, argv[0]);
    if (known_group) {
        fprintf(stderr, "%s: %s: %s", c->prog, v,
                cli_word(c, buf, sizeof buf, "应为以下之一：", "expected one of:"));
        for (size_t i = 0; i < N_COMMANDS; i++) {
            if (strcmp(commands[i].name, argv[0]) == 0)
                fprintf(stderr, " %s", commands[i].sub);
        }
        fputc('\n', stderr);
    } else {
        snprintf(zh, sizeof zh, "没有“%s”这个命令：用 %s help 查看全部命令", v, c->prog);
        snprintf(en, sizeof en, "unknown command '%s'; try '%s help'", v, c->prog);
        fprintf(stderr, "%s: %s\n", c->prog, cli_word(c, buf, sizeof buf, zh, en));
    }
    return NULL;
}

static int cmd_help(cli *c, int argc, char **argv)
{
    int used;
    if (argc == 0) {
        print_help(stdout, c);
        return CLI_OK;
    }
    const command *k = find_command(c, argc, argv, &used);
    if (!k)
        return CLI_USAGE;
    char rule[64];
    help_rule(rule, sizeof rule, k);
    char *u = cli_help_text(c, "help.usage_of", "usage: "), *t = cli_help_text(c, rule, k->summary);
    printf("%s%s %s\n  %s\n", u ? u : "usage: ", c->prog, k->usage, t ? t : k->summary);
    free(u);
    free(t);
    /* What to type after the command: the fields of the stage concerned. */
    if (!k->sub && (strcmp(k->name, "open") == 0 || strcmp(k->name, "set") == 0 ||
                    strcmp(k->name, "sign") == 0)) {
        char name[64];
        snprintf(name, sizeof name, "help %s", k->name);
        c->cmd = name;
        int rc = cli_help_fields(c, k->name, argc - used, argv + used);
        if (fflush(stdout) != 0 && rc == CLI_OK)
            rc = cli_error_rule(NULL, "stdout", "cli.io_write", "detail", strerror(errno), NULL);
        return rc;
    }
    return CLI_OK;
}

/* Options before the command: --db, --help, --version. Returns the index of the command. */
static int parse_globals(cli *c, int argc, char **argv, int *exit_now)
{
    int i = 1;
    *exit_now = -1;
    /* The language first, wherever it is given: an error in an option before it (a global
     * one, or one a command reads before cli_parse) is worded in it too. */
    for (int k = 1; k < argc && strcmp(argv[k], "--") != 0; k++) {
        if (strncmp(argv[k], "--lang=", 7) == 0)
            c->lang_arg = argv[k] + 7;
        else if (strcmp(argv[k], "--lang") == 0 && k + 1 < argc)
            c->lang_arg = argv[++k];
    }
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            print_help(stdout, c);
            *exit_now = CLI_OK;
        } else if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
            printf("capa %s\n", CAPA_VERSION);
            *exit_now = CLI_OK;
        } else if (strncmp(a, "--lang=", 7) == 0) {
            c->lang_arg = a + 7;
        } else if (strcmp(a, "--lang") == 0 && i + 1 < argc) {
            c->lang_arg = argv[++i];
        } else if (strncmp(a, "--db=", 5) == 0) {
            c->db = a + 5;
        } else if (strcmp(a, "--db") == 0 && i + 1 < argc) {
            c->db = argv[++i];
        } else {
            *exit_now = cli_usage_rule(c, "cli.unknown_option", a, NULL);
        }
        if (*exit_now >= 0)
            break;
    }
    return i;
}

int main(int argc, char **argv)
{
    cli c = {0};
    int exit_now, used = 0, rc;
    char name[64];
    c.prog = "capa";
    /* Passwords may arrive on stdin (--password-stdin); unbuffered, no stdio buffer keeps a
     * copy of them, and nothing beyond the lines a command needs is consumed. */
    setvbuf(stdin, NULL, _IONBF, 0);
    c.db = getenv("CAPA_DB");
    if (!c.db || !*c.db)
        c.db = "./var";

    int i = parse_globals(&c, argc, argv, &exit_now);
    if (exit_now >= 0)
        return exit_now;
    if (i >= argc) {
        print_help(stderr, &c);
        return CLI_USAGE;
    }
    if (strcmp(argv[i], "help") == 0)
        return cmd_help(&c, argc - i - 1, argv + i + 1);

    const command *k = find_command(&c, argc - i, argv + i, &used);
    if (!k)
        return CLI_USAGE;
    snprintf(name, sizeof name, "%s%s%s", k->name, k->sub ? " " : "", k->sub ? k->sub : "");
    c.cmd = name;
    rc = k->fn(&c, argc - i - used, argv + i + used);
    if (fflush(stdout) != 0 && rc == CLI_OK)
        rc = cli_error_rule(&c, "stdout", "cli.io_write", "detail", strerror(errno), NULL);
    return rc;
}
