# common.bash - sourced by the tests/e2e/*.sh scripts (not a test itself: CTest registers
# only *.sh). Each script gets its own temporary database, removed on exit, and these helpers
# to run the real binary and check exit code, stdout and stderr.
set -euo pipefail

CAPA=${CAPA:?CAPA must name the capa binary (ctest sets it)}
export LC_ALL=C.UTF-8
unset LANG LANGUAGE CAPA_LANG || true
T=$(mktemp -d "${TMPDIR:-/tmp}/capa-e2e.XXXXXX")
trap 'rm -rf -- "$T"' EXIT
export CAPA_DB=$T/db
TEST=$(basename "$0" .sh)
# Case numbers carry the year (QC-{YYYY}-{NNNN}), in UTC.
Y=$(date -u +%Y)

fail() {
    printf 'FAIL %s: %s\n' "$TEST" "$*" >&2
    if [[ -n ${OUT+x} ]]; then
        printf -- '--- stdout\n%s\n--- stderr\n%s\n' "$OUT" "$ERR" >&2
    fi
    exit 1
}

# The password every test user has.
pw() { printf 'pw-%s-e2e-2026\n' "$1"; }

# run WANT_RC STDIN ARGS...: run capa with STDIN (printf %b) and check the exit code.
# Leaves RC, OUT and ERR for the caller.
run() {
    local want=$1 input=$2
    shift 2
    set +e
    printf '%b' "$input" | "$CAPA" "$@" >"$T/out" 2>"$T/err"
    RC=$?
    set -e
    OUT=$(cat "$T/out")
    ERR=$(cat "$T/err")
    [[ $RC == "$want" ]] || fail "capa $*: exit $RC, want $want"
}

# as USER WANT_RC ARGS...: run as USER with their password on stdin.
as() {
    local user=$1 want=$2
    shift 2
    run "$want" "$(pw "$user")" "$@" --as "$user" --password-stdin
}

out_has() { grep -qF -- "$1" <<<"$OUT" || fail "stdout lacks: $1"; }
err_has() { grep -qF -- "$1" <<<"$ERR" || fail "stderr lacks: $1"; }
out_lacks() { ! grep -qF -- "$1" <<<"$OUT" || fail "stdout has: $1"; }
err_empty() { [[ -z $ERR ]] || fail "stderr not empty"; }
out_is() { [[ $OUT == "$1" ]] || fail "stdout is '$OUT', want '$1'"; }

# json EXPR: evaluate a Python expression over the JSON document in $OUT (bound to d);
# fails the test unless it is true.
json() {
    python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
ok = eval(sys.argv[1])
sys.exit(0 if ok else 1)' "$1" <<<"$OUT" || fail "JSON check failed: $1"
}

# jget EXPR: print a Python expression over the JSON in $OUT.
jget() {
    python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
print(eval(sys.argv[1]))' "$1" <<<"$OUT"
}

# A database with the acceptance scenario's users (creating users runs the slow KDF, so each
# script does this once). Arguments go to init (e.g. --timezone Asia/Shanghai).
setup_users() {
    run 0 "$(pw admin)" init --org "示例电子有限公司" "$@" --password-stdin
    local u
    for u in "li intake 李娜 业务部" "wang qe 王工 品管部" "chen qe_lead 陈主管 品管部" \
        "zhao prod_mgr 赵经理 生产部" "sun production 孙班长 生产部" "zhou auditor 周审核 审计部"; do
        set -- $u
        run 0 "$(pw admin)\n$(pw "$1")" user add "$1" --role "$2" --name "$3" --dept "$4" \
            --as admin --password-stdin
    done
}

# at 'YYYY-MM-DD HH:MM:SS' HELPER ARGS...: run a helper (run, as, ...) with the binary under
# faketime (Debian package faketime), the wall clock standing at that UTC moment; the
# monotonic clock runs, so timeouts still work. The engine reads only the system clock.
CAPA_AT=$T/capa-at
# faketime preloads its library: in the sanitizer build the ASan runtime cannot come first.
printf '#!/bin/sh\nASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" TZ=UTC FAKETIME_DONT_FAKE_MONOTONIC=1 exec faketime -f "$FAKE" "%s" "$@"\n' \
    "$CAPA" >"$CAPA_AT"
chmod +x "$CAPA_AT"
at() {
    local when=$1
    shift
    command -v faketime >/dev/null || fail "faketime missing (Debian package faketime)"
    FAKE=$when CAPA=$CAPA_AT "$@"
}

# snapshot NAME: remember the audit trail and chain head; unchanged NAME: compare.
snapshot() {
    "$CAPA" log --json >"$T/snap-$1.log"
    "$CAPA" verify >"$T/snap-$1.head"
}
unchanged() {
    "$CAPA" log --json >"$T/now.log"
    "$CAPA" verify >"$T/now.head"
    cmp -s "$T/snap-$1.log" "$T/now.log" || fail "audit trail changed after a refused command ($1)"
    cmp -s "$T/snap-$1.head" "$T/now.head" || fail "chain head changed after a refused command ($1)"
}

# IATF 16949 §10.2.4 / 8D D7 (workflow v2): what the approval of an action plan's first
# corrective action needs - its error-proofing and a document update - for tests about
# something else.
D7_OK=(corrective_actions.1.error_proofing=none corrective_actions.1.error_proofing_reason=test
    corrective_actions.1.control_plan_ref=CP-1 corrective_actions.1.control_plan_rev_before=A
    corrective_actions.1.control_plan_rev_after=B)

# plant_setup: the report tests' store (report.sh, report_weekly.sh): faketime and Debian's
# python3-openpyxl needed ($PY is that python3; a pyenv one earlier on PATH lacks it), and a
# plant in Asia/Shanghai with setup_users' users.
plant_setup() {
    command -v faketime >/dev/null || fail "faketime (Debian package faketime) is needed"
    # faketime preloads its library: in the sanitizer build the ASan runtime cannot come first.
    export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
    PY=python3
    [[ -x /usr/bin/python3 ]] && PY=/usr/bin/python3
    "$PY" -c 'import openpyxl' 2>/dev/null || fail "python3-openpyxl is needed"
    setup_users --timezone Asia/Shanghai
}

# plant_at 'YYYY-MM-DD HH:MM' USER ARGS...: act as USER with the clock at that plant-local
# time (Asia/Shanghai); fails unless capa exits 0. Leaves RC, OUT and ERR.
plant_at() {
    local when=$1 user=$2
    shift 2
    set +e
    pw "$user" | TZ=Asia/Shanghai faketime -f "@$when:00" "$CAPA" "$@" --as "$user" \
        --password-stdin >"$T/out" 2>"$T/err"
    RC=$?
    set -e
    OUT=$(cat "$T/out")
    ERR=$(cat "$T/err")
    [[ $RC == 0 ]] || fail "capa $* at $when: exit $RC"
}

# walk_to_closed CASE: an opened complaint (setup_users' users) walked to closed as in the
# acceptance scenario: intake, the 5-Why, the action plan rejected once by zhao ("缺少预防措施")
# and approved with a preventive action, rework, verification, closed by chen: eight
# signatures and one rejection.
walk_to_closed() {
    local n=$1
    as wang 0 set "$n" validity=valid containment="库存隔离 3 批，全检"
    as wang 0 sign "$n" --meaning reviewed
    as wang 0 set "$n" five_why.1.why="为何连锡" five_why.1.because="钢网开口偏大" \
        category_6m=method root_cause_occurrence="钢网开口设计偏大 0.05 mm" \
        root_cause_escape="AOI 程序未覆盖该位置"
    as chen 0 sign "$n" --meaning reviewed
    as wang 0 set "$n" corrective_actions.1.action="钢网开口缩小 10%" \
        corrective_actions.1.owner=sun corrective_actions.1.due=2026-12-05 "${D7_OK[@]}"
    as zhao 0 reject "$n" --reason "缺少预防措施"
    as chen 0 sign "$n" --meaning reviewed
    as wang 0 set "$n" preventive_actions.1.action="更新钢网设计规范" \
        preventive_actions.1.owner=wang preventive_actions.1.due=2026-12-20
    as zhao 0 sign "$n" --meaning approved
    as sun 0 set "$n" disposition=rework rework_mode=in_house rework_order=RW-2026-0088 \
        qty_reworked=120 qty_scrapped=0 qty_received=120
    as sun 0 sign "$n" --meaning done
    as wang 0 set "$n" method="复检 + 批量验证" sample_size=200 result=pass evidence="连续 3 批 0 不良"
    as wang 0 sign "$n" --meaning verified
    as wang 0 set "$n" customer_reply="已回复客户 8D 报告" follow_up_date=2026-12-28 \
        follow_up_by=wang satisfaction=satisfied lessons_learned="钢网设计评审加入开口检查" \
        documents_updated="WI-SMT-012 rev C"
    as chen 0 sign "$n" --meaning closed
}

# The tamper tests (tests/faults/capa-tamper at $TAMPER): fresh: a copy of $T/pristine at
# $T/x, CAPA_DB pointing at it; tamper ARGS...: edit it, failing the test if the tool refuses.
fresh() {
    rm -rf "$T/x"
    cp -a "$T/pristine" "$T/x"
    export CAPA_DB=$T/x
}
tamper() {
    "$TAMPER" "$CAPA_DB" "$@" 2>"$T/tamper.err" || fail "capa-tamper $*: $(cat "$T/tamper.err")"
}

# due_setup: users in Asia/Shanghai (2026-09-29) and two open cases, QC-2026-0001 (important,
# opened 2026-09-30 09:00 +08:00: response and containment 24 h, warning at 80 %: 19.2 h;
# plan 3 working days: Oct 8, 9 and the make-up Saturday Oct 10; closure 240 h) and
# QC-2026-0002 (general, an hour later). For due.sh and verify_replan.sh.
due_setup() {
    at '2026-09-29 01:00:00' setup_users --timezone Asia/Shanghai
    at '2026-09-30 01:00:00' as li 0 open customer="华东汽车" part_no=PCB-7731 defect_code=SOLDER \
        severity=important channel=written complaint_type=quality description="焊点连锡"
    out_is QC-2026-0001
    at '2026-09-30 02:00:00' as li 0 open customer="华南电器" part_no=PCB-1001 defect_code=SCRATCH \
        severity=general channel=phone complaint_type=quality description="外壳划伤"
    out_is QC-2026-0002
}
