#!/usr/bin/env bash
# lang_errors.sh - a command's own errors (issue 17: every word in the user's language): a file
# it cannot read, a directory given as a file, a file too large, an output path it cannot
# create, a backup or a store that is not there, no password line on stdin, a target that is
# not empty, and a note on stderr (what an export wrote), are worded by the catalogue
# (cli_error_rule) in 中文 with --lang zh (no English word in the sentence: the system's own
# text stays only after the marked technical detail, paths only as the line's context or in
# “”), in English with --lang en (the sentences the tests and docs/cli.md rely on), and both
# lines with --lang both.
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/lang.bash"  # zh_text

# the sentence of stderr's line N (default 1): after "capa: WHAT: "
said() { sed -n "${1:-1}s/^capa: [^:]*: //p" <<<"$ERR"; }
# check ZH_PART EN_PART RC ARGS...: the error in 中文 then in English, then both lines.
check() {
    local zhp=$1 enp=$2 want=$3
    shift 3
    run "$want" "" "$@" --lang zh
    [[ $(wc -l <<<"$ERR") == 1 ]] || fail "more than one line in 中文: $ERR"
    zh_text "$(said)"
    err_has "$zhp"
    run "$want" "" "$@" --lang en
    [[ $(wc -l <<<"$ERR") == 1 ]] || fail "more than one line in English: $ERR"
    [[ ! $(said) =~ [一-龥] ]] || fail "中文 in English: $ERR"
    err_has "$enp"
    run "$want" "" "$@" --lang both
    [[ $(sed -n 1p <<<"$ERR") == *"$zhp"* && $(sed -n 2p <<<"$ERR") == *"$enp"* ]] ||
        fail "both: $ERR"
}

run 0 "$(pw admin)" init --org "示例电子有限公司" --password-stdin
mkdir -p "$T/dir" "$T/full"
touch "$T/full/notes.txt"
head -c 2000000 /dev/zero >"$T/big.xml"

# a file that is not there, a directory, a file too large (read before any password)
check "$T/none.xml: 无法读取这个文件；技术细节（英文原文）：No such file or directory" \
    "$T/none.xml: No such file or directory" 1 calendar install "$T/none.xml" --as admin
check "$T/dir: 这是一个目录，不是文件" "$T/dir: is a directory" 1 \
    calendar install "$T/dir" --as admin
check "big.xml: 文件有 2000000 字节，超过上限" "big.xml: 2000000 bytes; at most " 1 \
    calendar install "$T/big.xml" --as admin
# an output path whose directory is not there
check "x.csv: 无法创建；技术细节（英文原文）：No such file" \
    "x.csv: cannot create: No such file or directory" 1 list --format csv -o "$T/no/x.csv"
[[ ! -e $T/no ]] || fail "a directory was made for the output"
# a backup that is not there, a target that is not empty, an empty directory as a backup
check "备份“$T/missing”：没有这个目录" "restore: backup $T/missing: no such directory" 1 \
    restore "$T/missing" --db "$T/new"
check "目标目录“$T/full”不是空的（其中有“notes.txt”）" \
    "restore: target $T/full: not empty (holds \`notes.txt\`)" 1 restore "$T/dir" --db "$T/full"
check "是空目录，不是 capa 数据库的备份" "backup $T/dir: empty, not a capa backup" 1 \
    restore "$T/dir" --db "$T/new"
[[ ! -e $T/new ]] || fail "restore made its target although it refused"
# no store where the fields of a case's stage come from
check "这里没有 capa 数据库：案件各阶段的栏位取自数据库" \
    "no capa database here: the fields of a case's stage come from it" 1 \
    help set QC-2026-0001 --db "$T/dir"
# --password-stdin with nothing on stdin
check "标准输入（--password-stdin）中没有下一行密码" "--password-stdin: no line on stdin for: " 1 \
    user passwd --as admin --password-stdin
# a note on stderr, no error: what an export wrote
check "已把 0 个案件写入“$T/l.csv”" "list: 0 cases written to $T/l.csv" 0 list --format csv -o "$T/l.csv"
echo "lang_errors: ok"
