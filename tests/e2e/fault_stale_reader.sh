#!/bin/bash
# Stale readers: a reader killed with -9 leaves its slot in LMDB's reader table while another
# process keeps the environment open; opening the store must clear it (mdb_reader_check).
. "$(dirname "$0")/../faults/lib.sh"
DB=$WORK/var
"$STRESS" init "$DB" || fail "init"
"$STRESS" ops "$DB" "$WORK/log" r 2 >/dev/null || fail "ops"
"$STRESS" reader "$DB" >"$WORK/a.out" & A=$!; PIDS+=($A)
"$STRESS" reader "$DB" >"$WORK/b.out" & B=$!; PIDS+=($B)
for _ in $(seq 100); do
    grep -q reading "$WORK/a.out" && grep -q reading "$WORK/b.out" && break
    sleep 0.05
done
kill -9 "$B"; wait "$B" 2>/dev/null || true
# (Read the table into a variable: grep -q closing the pipe early would fail under pipefail.)
table=$(mdb_stat -r "$DB" || true) # mdb_stat -r exits 1 by design
grep -qw "$B" <<<"$table" || fail "the killed reader $B is not in the reader table"
"$STRESS" touch "$DB" || fail "open"
table=$(mdb_stat -r "$DB" || true) # mdb_stat -r exits 1 by design
grep -qw "$B" <<<"$table" && fail "opening the store did not clear stale reader $B"
grep -qw "$A" <<<"$table" || fail "the live reader $A was cleared too"
"$STRESS" ops "$DB" "$WORK/log" r2 2 >/dev/null || fail "writes after clearing"
kill -9 "$A"; wait "$A" 2>/dev/null || true
PIDS=()
check_store "$DB" "$WORK/log" >/dev/null
echo "stale_reader: killed reader cleared on open, live one kept"
