#!/usr/bin/env python3
"""lang_rules.py SRC - the refusal rule ids the engine uses, and the catalogue's check.

Every rule id the engine can report as a refusal (capa__refuse, capa__refusal_add,
capa_diag_rule, auth_refusal, sheet problems) is found in core/, forms/ and sheets/, and
every one the tools word themselves (sv_word, sv_word_request, cli_refuse, cli_usage_refuse,
cli_usage_rule, cli_error_rule,
capa_lang_rule, and capa-serve's "upload.*" and "request.*" ids) in tools/serve/ and
tools/capa/; each must have a line in tools/lang/lang.c's catalogue, whose 中文 wording carries no English words
(placeholders, the web-only [[...]] and CLI-only <<...>> parts aside, and a few names such as
UTF-8 or SHA-256) and whose web wording names no terminal command. Prints what is wrong and
exits 1; prints the count and exits 0 when all is well. Used by tests/e2e/lang_catalogue.sh.
"""
import glob
import os
import re
import sys

src = sys.argv[1]
# (function, index of the rule argument)
CALLS = {"capa__refuse": 1, "capa__refusal_add": 0, "capa_diag_rule": 1, "auth_refusal": 1,
         "BAD": 0, "sv_word": 1, "sv_word_request": 1, "cli_refuse": 2, "cli_usage_refuse": 1, "cli_usage_rule": 1,
         "cli_error_rule": 2, "cli_note_rule": 2,
         "capa_lang_rule": 0, "sv_reason_set": 1, "send_said": 3, "sv_page_said": 2,
         "sv_start_said": 1, "cli_say_rule": 1, "cli_print_case_stage": 3,
         "cli_note_params": 2, "cli_help_text": 1, "help_line": 3, "logf_": 2}
RULE = re.compile(r'^[a-z]+\.[a-z_]+$')
STR = re.compile(r'"((?:[^"\\]|\\.)*)"')


def args_of(text, at):
    """The top-level arguments of the call whose '(' is at text[at]."""
    depth, cur, out, i = 0, [], [], at
    while i < len(text):
        c = text[i]
        if c == '"':
            j = i + 1
            while text[j] != '"':
                j += 2 if text[j] == '\\' else 1
            cur.append(text[i:j + 1])
            i = j + 1
            continue
        if c == "'":
            j = text.index("'", i + 2 if text[i + 1] == '\\' else i + 1)
            cur.append(text[i:j + 1])
            i = j + 1
            continue
        if c == '(':
            depth += 1
            if depth == 1:
                i += 1
                continue
        elif c == ')':
            depth -= 1
            if depth == 0:
                out.append(''.join(cur))
                return out
        elif c == ',' and depth == 1:
            out.append(''.join(cur))
            cur = []
            i += 1
            continue
        cur.append(c)
        i += 1
    return out


used = {}
for path in sorted(glob.glob(os.path.join(src, "core", "*.c")) +
                   glob.glob(os.path.join(src, "forms", "*.c")) +
                   glob.glob(os.path.join(src, "sheets", "*.c")) +
                   glob.glob(os.path.join(src, "tools", "serve", "*.c")) +
                   glob.glob(os.path.join(src, "tools", "capa", "*.c")) +
                   glob.glob(os.path.join(src, "tools", "notify", "*.c"))):
    text = open(path, encoding="utf-8").read()
    for m in re.finditer(r'\b(' + '|'.join(CALLS) + r')\s*\(', text):
        if text[:m.start()].rstrip().endswith(("int", "void", "static", "*")):
            continue  # a definition or prototype
        a = args_of(text, m.end() - 1)
        k = CALLS[m.group(1)]
        if len(a) <= k:
            continue
        for s in STR.findall(a[k]):
            if RULE.match(s):
                line = text.count("\n", 0, m.start()) + 1
                used.setdefault(s, "%s:%d" % (os.path.relpath(path, src), line))

# A sheet problem's rule id given in an initializer (sheets/import.c).
for path in sorted(glob.glob(os.path.join(src, "sheets", "*.c"))):
    text = open(path, encoding="utf-8").read()
    for m in re.finditer(r'capa_sheet_problem \w+ = \{[^;]*;', text):
        for s in STR.findall(m.group(0)):
            if RULE.match(s):
                line = text.count("\n", 0, m.start()) + 1
                used.setdefault(s, "%s:%d" % (os.path.relpath(path, src), line))

# capa-serve's refusals of a request kept as data before they are worded (upload.c's fail,
# upload_disk.c's rule): every "upload.*" and "request.*" string in tools/serve.
for path in sorted(glob.glob(os.path.join(src, "tools", "serve", "*.c"))):
    text = open(path, encoding="utf-8").read()
    for m in re.finditer(r'(?<!#include )"((?:upload|request)\.[a-z_]+)"', text):
        line = text.count("\n", 0, m.start()) + 1
        used.setdefault(m.group(1), "%s:%d" % (os.path.relpath(path, src), line))

cat = {}
lang = open(os.path.join(src, "tools", "lang", "lang.c"), encoding="utf-8").read()
body = lang[lang.index("catalogue[] = {"):lang.index("\n};", lang.index("catalogue[] = {"))]
for m in re.finditer(r'\{\s*"([a-z]+\.[a-z_]+)",\s*(NULL|"[^"]*"),((?:\s*"(?:[^"\\]|\\.)*")+),'
                     r'((?:\s*"(?:[^"\\]|\\.)*")+)\s*\}', body):
    zh = ''.join(STR.findall(m.group(3)))
    en = ''.join(STR.findall(m.group(4)))
    cat.setdefault(m.group(1), []).append((zh, en))

bad = []
# A command's usage error is worded by the catalogue (cli_usage_rule), never an English
# cli_usage(...) sentence of its own.
for path in sorted(glob.glob(os.path.join(src, "tools", "capa", "*.c"))):
    if os.path.basename(path) == "cli.c":
        continue
    text = open(path, encoding="utf-8").read()
    for m in re.finditer(r'\bcli_usage\s*\(', text):
        line = text.count("\n", 0, m.start()) + 1
        bad.append("%s:%d: an English usage error (cli_usage): use cli_usage_rule and a cli.* "
                   "rule" % (os.path.relpath(path, src), line))
# A command's own error is worded by the catalogue too (cli_error_rule): cli_error(...) only
# passes on text already worded ("%s": a mismatch, a parser's problem), never a sentence.
for path in sorted(glob.glob(os.path.join(src, "tools", "capa", "*.c"))):
    text = open(path, encoding="utf-8").read()
    for m in re.finditer(r'\bcli_error\s*\(', text):
        if text[:m.start()].rstrip().endswith(("int", "void", "static", "*")):
            continue  # its definition
        a = args_of(text, m.end() - 1)
        if len(a) >= 2 and a[1].strip() == '"%s"':
            continue
        line = text.count("\n", 0, m.start()) + 1
        bad.append("%s:%d: an English error (cli_error): use cli_error_rule and a cli.* rule"
                   % (os.path.relpath(path, src), line))
# words17d: a command's confirmation or status line on stdout is worded by the catalogue
# (cli_say_rule, a say.* rule), never an English sentence of its own: printf, puts, fputs
# and fprintf to stdout with a word in their text fail, outside the listings below (tables
# and records whose column labels are a matter of their own) and a few machine lines.
LISTINGS = {"help.c",
            "fields.c",
            "cmd_report_group.c", "table.c", "sheet.c"}
MACHINE = {"sha256: %s\\n", "source sha256 %s", ", %s%s, delimiter %s", "capa %s\\n"}
for path in sorted(glob.glob(os.path.join(src, "tools", "capa", "*.c"))):
    if os.path.basename(path) in LISTINGS:
        continue
    text = open(path, encoding="utf-8").read()
    for m in re.finditer(r'\b(printf|puts|fputs|fprintf)\s*\(', text):
        a = args_of(text, m.end() - 1)
        if not a:
            continue
        f = m.group(1)
        if f == "fprintf" and a[0].strip() != "stdout":
            continue
        if f == "fputs" and (len(a) < 2 or a[-1].strip() != "stdout"):
            continue
        lits = STR.findall(a[1] if f == "fprintf" else a[0])
        fmt = "".join(lits)
        if fmt in MACHINE:
            continue
        plain = re.sub(r'%[-+ #0-9.*]*(?:ll|l|z|h)?[a-zA-Z]', '', fmt)
        plain = re.sub(r'\\[nt]', ' ', plain)
        if re.search(r'[A-Za-z]{3,}', plain):
            line = text.count("\n", 0, m.start()) + 1
            bad.append("%s:%d: an English line on stdout (%s): use cli_say_rule and a say.* rule"
                       % (os.path.relpath(path, src), line, f))
# Every command of capa --help has its 中文 line (help.NAME or help.NAME_SUB).
main_c = os.path.join(src, "tools", "capa", "main.c")
if os.path.exists(main_c):
    text = open(main_c, encoding="utf-8").read()
    at = text.find("static const command commands[] = {")
    table = text[at:text.find("\n};", at)] if at >= 0 else ""
    for m in re.finditer(r'\{"([a-z]+)",\s*(NULL|"([a-z]+)"),', table):
        rule = "help.%s%s" % (m.group(1), "_" + m.group(3) if m.group(3) else "")
        used.setdefault(rule, "tools/capa/main.c:%d" % (text.count("\n", 0, at + m.start()) + 1))
for rule, where in sorted(used.items()):
    if rule not in cat:
        bad.append("%s (%s): no wording in tools/lang/lang.c" % (rule, where))
# English words a 中文 sentence may carry: names, units and formats, not rule text.
KEEP = {"UTF", "SHA", "CSV", "XML", "URL", "SMTP", "IANA", "Asia", "Shanghai", "xlsx", "xml",
        "csv", "smtp", "smtps", "http", "https", "wecom", "dingtalk", "MiB", "KiB", "GiB",
        "LMDB", "SQLite", "PDF", "Excel", "CAPA", "IATF", "local", "domain", "example", "com",
        "all", "none", "HTML", "ISO", "GB", "GBK", "TMPDIR", "tz", "DOCTYPE"}
CMD = re.compile(r'\bcapa(-serve)? [a-z]|--[a-z]')
for rule, lines in sorted(cat.items()):
    for zh, en in lines:
        plain = re.sub(r'\{[^}]*\}', '', re.sub(r'<<.*?>>', '', zh))
        plain = re.sub(r'\[\[|\]\]', '', plain)
        for w in re.findall(r'[A-Za-z]{2,}', plain):
            if w not in KEEP:
                bad.append("%s: the 中文 wording has the English word '%s': %s" % (rule, w, zh))
                break
        if not re.search(r'[\u4e00-\u9fff]', zh):
            bad.append("%s: the 中文 wording has no Chinese: %s" % (rule, zh))
        for text, lang_ in ((zh, "zh"), (en, "en")):
            web = re.sub(r'<<.*?>>', '', text)
            if CMD.search(web):
                bad.append("%s: the web's %s wording names a command: %s" % (rule, lang_, text))
for b in bad:
    print("lang_rules:", b)
print("lang_rules: %d rule ids used, %d worded" % (len(used), len(cat)))
sys.exit(1 if bad else 0)
