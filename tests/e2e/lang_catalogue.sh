#!/usr/bin/env bash
# lang_catalogue.sh - every refusal the engine can give has its words (issue 17): each rule id
# core/, forms/ and sheets/ report (capa__refuse, capa__refusal_add, capa_diag_rule, ...) has
# a 中文 and an English line in tools/lang/lang.c's catalogue; no 中文 line carries English
# words, no line for the browser names a terminal command (tests/tools/lang_rules.py). The
# check itself is checked: a copy of the sources with a rule id that has no wording fails.
source "$(dirname "$0")/common.bash"
SRC=${CAPA_SRC:?}
python3 "$SRC/tests/tools/lang_rules.py" "$SRC" >"$T/out" 2>&1 || { cat "$T/out"; fail "the catalogue is incomplete"; }
cat "$T/out"

# The same check on a copy that uses a rule the catalogue lacks, and on one whose 中文 line
# has English or whose web line names a command: each must fail, naming what is wrong.
mkdir -p "$T/src/core" "$T/src/forms" "$T/src/sheets" "$T/src/tools/lang"
cp "$SRC"/core/*.c "$T/src/core/"; cp "$SRC"/forms/*.c "$T/src/forms/"
cp "$SRC"/sheets/*.c "$T/src/sheets/"
cp "$SRC/tools/lang/lang.c" "$T/src/tools/lang/"
printf 'int x(void) { return capa__refuse(CAPA_EINVALID, "test.unworded", NULL, NULL, "x"); }\n' \
    >>"$T/src/core/users.c"
set +e
python3 "$SRC/tests/tools/lang_rules.py" "$T/src" >"$T/bad1" 2>&1; rc=$?
set -e
[[ $rc == 1 ]] || fail "a rule without wording passed the check"
grep -q 'test.unworded (core/users.c:[0-9]*): no wording' "$T/bad1" || fail "$(cat "$T/bad1")"
cp "$SRC/core/users.c" "$T/src/core/users.c"
sed -i 's|{"user.exists", NULL, "账号“{value}”已存在：请换一个账号",|{"user.exists", NULL, "the account {value} exists",|' "$T/src/tools/lang/lang.c"
sed -i 's|"the mobile number |"run capa user set --mobile: the mobile number |' "$T/src/tools/lang/lang.c"
set +e
python3 "$SRC/tests/tools/lang_rules.py" "$T/src" >"$T/bad2" 2>&1; rc=$?
set -e
[[ $rc == 1 ]] || fail "English in a 中文 line passed the check"
grep -q "user.exists: the 中文 wording has the English word 'the'" "$T/bad2" || fail "$(cat "$T/bad2")"
grep -q "notify.mobile: the web's en wording names a command" "$T/bad2" || fail "$(cat "$T/bad2")"
# A command that words its usage error in English itself (cli_usage) fails the check too.
mkdir -p "$T/src/tools/capa"
cp "$SRC"/tools/capa/*.c "$T/src/tools/capa/"
sed -i 's|return cli_usage_rule(c, "cli.dir_one", NULL, NULL);|return cli_usage(c, "give exactly one target DIR");|' \
    "$T/src/tools/capa/cmd_backup.c"
set +e
python3 "$SRC/tests/tools/lang_rules.py" "$T/src" >"$T/bad3" 2>&1; rc=$?
set -e
[[ $rc == 1 ]] || fail "an English cli_usage passed the check"
grep -q 'tools/capa/cmd_backup.c:[0-9]*: an English usage error' "$T/bad3" || fail "$(cat "$T/bad3")"
# A command that words its own error in English (cli_error with a sentence) fails it too.
cp "$SRC/tools/capa/cmd_backup.c" "$T/src/tools/capa/cmd_backup.c"
grep -q 'cli_error_rule(c, "upgrade", "cli.not_initialised", "path", c->db, NULL);' \
    "$T/src/tools/capa/cmd_upgrade.c" || fail "cmd_upgrade.c no longer words its error as expected"
sed -i 's|cli_error_rule(c, "upgrade", "cli.not_initialised", "path", c->db, NULL);|cli_error("upgrade", "%s: not initialised", c->db);|' \
    "$T/src/tools/capa/cmd_upgrade.c"
set +e
python3 "$SRC/tests/tools/lang_rules.py" "$T/src" >"$T/bad4" 2>&1; rc=$?
set -e
[[ $rc == 1 ]] || fail "an English cli_error passed the check"
grep -q 'tools/capa/cmd_upgrade.c:[0-9]*: an English error (cli_error)' "$T/bad4" || fail "$(cat "$T/bad4")"
# A command's confirmation on stdout in English (words17d) fails it too, and so does a command
# of the listing (capa --help) without its 中文 line.
cp "$SRC/tools/capa/cmd_upgrade.c" "$T/src/tools/capa/cmd_upgrade.c"
grep -q 'cli_say_rule(c, "say.restored", "path", bk, "to", target, "head", head2, NULL);' \
    "$T/src/tools/capa/cmd_restore.c" || fail "cmd_restore.c no longer says restored as expected"
sed -i 's|cli_say_rule(c, "say.restored", "path", bk, "to", target, "head", head2, NULL);|printf("restored %s to %s\\n", bk, target);|' \
    "$T/src/tools/capa/cmd_restore.c"
set +e
python3 "$SRC/tests/tools/lang_rules.py" "$T/src" >"$T/bad5" 2>&1; rc=$?
set -e
[[ $rc == 1 ]] || fail "an English stdout line passed the check"
grep -q 'tools/capa/cmd_restore.c:[0-9]*: an English line on stdout (printf)' "$T/bad5" || fail "$(cat "$T/bad5")"
cp "$SRC/tools/capa/cmd_restore.c" "$T/src/tools/capa/cmd_restore.c"
sed -i 's|{"help.owner", NULL, |{"help.ownerx", NULL, |' "$T/src/tools/lang/lang.c"
set +e
python3 "$SRC/tests/tools/lang_rules.py" "$T/src" >"$T/bad6" 2>&1; rc=$?
set -e
[[ $rc == 1 ]] || fail "a command without its 中文 help line passed the check"
grep -q 'help.owner (tools/capa/main.c:[0-9]*): no wording' "$T/bad6" || fail "$(cat "$T/bad6")"
echo "lang_catalogue: ok"
