#!/usr/bin/env bash
# parallel.sh - several capa processes mutate one database at the same time. Every command
# must either succeed or fail cleanly (exit 1 with a message, never a crash), case numbers
# must stay unique and gap-free, and the audit chain must verify afterwards.
source "$(dirname "$0")/common.bash"

setup_users
as li 0 open customer="华东汽车" part_no=PCB-7731 severity=important description="并发测试"
N=$OUT

WRITERS=4
OPENS=3
pids=()
# Writers opening cases, one editing the shared case, readers listing and verifying.
for w in $(seq 1 $WRITERS); do
    (
        for i in $(seq 1 $OPENS); do
            pw li | "$CAPA" open --as li --password-stdin customer="客户$w" part_no=P-$w-$i \
                severity=general description="writer $w case $i" >>"$T/numbers.$w" \
                2>>"$T/err.$w" || echo "open $w/$i exit $?" >>"$T/fail.$w"
        done
    ) &
    pids+=($!)
done
(
    for i in $(seq 1 $OPENS); do
        pw wang | "$CAPA" set "$N" --as wang --password-stdin qty_affected=$i \
            containment="第 $i 次" >/dev/null 2>>"$T/err.set" || echo "set $i exit $?" >>"$T/fail.set"
    done
) &
pids+=($!)
(
    for i in $(seq 1 $OPENS); do
        "$CAPA" list --json >/dev/null 2>>"$T/err.read" || echo "list exit $?" >>"$T/fail.read"
        "$CAPA" verify >/dev/null 2>>"$T/err.read" || echo "verify exit $?" >>"$T/fail.read"
    done
) &
pids+=($!)
for p in "${pids[@]}"; do
    wait "$p"
done

if compgen -G "$T/fail.*" >/dev/null; then
    cat "$T"/fail.* "$T"/err.* >&2 || true
    fail "a concurrent command failed"
fi
if [[ -n $(cat "$T"/err.* 2>/dev/null) ]]; then
    cat "$T"/err.* >&2
    fail "a concurrent command wrote to stderr"
fi

# Every open printed one number; all distinct; together with the first case they are
# QC-$Y-0001 .. QC-$Y-(1 + WRITERS*OPENS), no gaps.
total=$((1 + WRITERS * OPENS))
sort "$T"/numbers.* >"$T/numbers"
[[ $(wc -l <"$T/numbers") == $((WRITERS * OPENS)) ]] || fail "expected $((WRITERS * OPENS)) numbers"
[[ -z $(uniq -d "$T/numbers") ]] || fail "duplicate case numbers: $(uniq -d "$T/numbers")"
run 0 "" list --json
json "len(d) == $total"
json "[c['number'] for c in d] == ['QC-$Y-%04d' % i for i in range(1, $total + 1)]"
run 0 "" show "$N" --json
json 'd["stages"][0]["values"]["qty_affected"] == "3"'
run 0 "" log "$N" --json
json "[e['action'] for e in d].count('set') == $OPENS"
run 0 "" verify
[[ $OUT =~ ^[0-9a-f]{64}$ ]] || fail "verify after concurrent writes: $OUT"
run 0 "" info --json
json "d['cases'] == $total"
echo "ok parallel"
