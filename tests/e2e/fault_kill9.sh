#!/bin/bash
# kill -9 torture: several writer processes open and change cases and are killed at random
# moments, round after round. Each writer logs what capa told it was committed; afterwards
# every acknowledged change must be there, no case half-applied, the audit chain whole, and
# LMDB's own tools happy. Short form for CI; KILL9_ROUNDS=300 for the long form.
. "$(dirname "$0")/../faults/lib.sh"
ROUNDS=${KILL9_ROUNDS:-25}
WRITERS=${KILL9_WRITERS:-4}
DB=$WORK/var
"$STRESS" init "$DB" || fail "init"
for round in $(seq 1 "$ROUNDS"); do
    PIDS=()
    for w in $(seq 1 "$WRITERS"); do
        "$STRESS" writer "$DB" "$WORK/w$w.log" "$w" 2>>"$WORK/writers.err" &
        PIDS+=($!)
    done
    # Kill at a random moment between 20 ms and 400 ms, some writers a little later.
    sleep "0.$(printf '%03d' $((20 + RANDOM % 380)))"
    for p in "${PIDS[@]}"; do
        kill -9 "$p" 2>/dev/null || true
        [ $((RANDOM % 3)) -eq 0 ] && sleep 0.0$((RANDOM % 9))
    done
    wait 2>/dev/null || true
    if [ $((round % 10)) -eq 0 ]; then
        "$STRESS" check "$DB" "$WORK"/w*.log >/dev/null || fail "check after round $round"
    fi
done
PIDS=()
acks=$(cat "$WORK"/w*.log 2>/dev/null | grep -c -v '^fail' || true)
[ "$acks" -gt 0 ] || fail "no writer got anything acknowledged in $ROUNDS rounds"
check_store "$DB" "$WORK"/w*.log
echo "kill9: $ROUNDS rounds x $WRITERS writers, $acks acknowledged changes, all present"
