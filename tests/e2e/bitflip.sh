#!/usr/bin/env bash
# bitflip.sh - issue 16: single-bit flips at every offset of one entry of every named database
# of a demo store (tools/demo.sh, plus an attachment and a queued escalation notice, so that
# no database is empty) either make `capa verify` exit 1 or change nothing any command shows,
# and after each flip a `set` on the open case never lands in another case. The walk runs in
# process (tests/faults/capa-bitflip: thousands of flips in seconds); the real binary checks
# a few of its findings end to end.
source "$(dirname "$0")/common.bash"
B=${CAPA_BUILD:?CAPA_BUILD must name the build directory (ctest sets it)}
FLIP=$B/tests/faults/capa-bitflip
[[ -x $FLIP ]] || fail "$FLIP missing (built with the tests)"
SRC=${CAPA_SRC:?CAPA_SRC must name the source tree (ctest sets it)}
N2=QC-$Y-0002 N3=QC-$Y-0003
dpw() { printf 'demo-%s-2026\n' "$1"; }

# Scratch stores (verify replays into one per flip) on tmpfs when there is one: the walk
# commits thousands of transactions.
if [[ -d /dev/shm && -w /dev/shm ]]; then
    W=$(mktemp -d /dev/shm/capa-bitflip.XXXXXX)
    trap 'rm -rf -- "$T" "$W"' EXIT
else
    W=$T
fi
export TMPDIR=$W

CAPA_DB=$T/demo CAPA=$CAPA "$SRC/tools/demo.sh" >"$T/demo.log" 2>&1 || {
    cat "$T/demo.log" >&2
    fail "tools/demo.sh failed"
}
export CAPA_DB=$T/demo
printf '\x89PNG\r\n\x1a\nnot really a picture' >"$T/photo.png"
run 0 "$(dpw wang)" attach "$N3" "$T/photo.png" --note "不良照片" --as wang --password-stdin
# Five days on, case 3's limits are overdue: escalate queues notices for a hook that does
# not answer, so they stay in the outbox.
CAPA_AT=$T/capa-at
printf '#!/bin/sh\nASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" TZ=UTC FAKETIME_DONT_FAKE_MONOTONIC=1 exec faketime -f "+5d" "%s" "$@"\n' \
    "$CAPA" >"$CAPA_AT"
chmod +x "$CAPA_AT"
command -v faketime >/dev/null || fail "faketime missing (Debian package faketime)"
set +e
"$CAPA_AT" escalate --notify http://127.0.0.1:9/hook --notify-format json >"$T/esc.out" 2>&1
set -e
# A checkpoint: the case proof it signs fills the `proof` database (docs/case-proof.md).
run 0 "" checkpoint
run 0 "" verify
run 0 "" backup "$W/db"
mdb_stat -a "$W/db" 2>/dev/null | awk '/^Status of/ {name=$3} /Entries:/ {print name, $2}' \
    >"$T/entries" || true
while read -r name entries; do
    [[ $name == "Main" ]] && continue
    [[ $entries -gt 0 ]] || fail "database $name is empty in the walked store: $(cat "$T/esc.out")"
done <"$T/entries"

# The walk: every database, every offset of the key and (up to 96 offsets spread over it) of
# the value; REF is a closed case, whose entries are the ones flipped where a database holds
# case records.
set +e
"$FLIP" "$W/db" "$N3" wang category_6m=method "$N2" --max 96 >"$T/walk.out" 2>&1
rc=$?
set -e
cat "$T/walk.out"
[[ $rc == 0 ]] || fail "the walk found gaps (exit $rc)"
grep -q " 0 gaps$" "$T/walk.out" || fail "no summary"
for db in cases stages signatures numbers case_events events users forms meta attachments \
    blobs outbox idx_stage idx_customer idx_part idx_defect idx_opened idx_due; do
    grep -q "^$db .* flips" "$T/walk.out" || fail "database $db was not walked"
done

# Every entry was put back: the real binary finds the store as it was.
export CAPA_DB=$W/db
run 0 "" verify
echo "ok $TEST"
