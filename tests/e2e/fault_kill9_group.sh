#!/bin/bash
# kill -9 during group commit: writer processes of 8 threads each share one store handle, so
# their changes commit together (capa_submit's batches, a leader gathering the callers the
# last batch released); the processes are killed at random moments, mid-batch among them.
# Afterwards every change any thread was told was committed must be there, in exactly one
# audit event (a batch is never applied twice, nor half), the chain whole, LMDB's tools
# happy. GROUP_ROUNDS=100 for a long form.
. "$(dirname "$0")/../faults/lib.sh"
ROUNDS=${GROUP_ROUNDS:-12}
DB=$WORK/var
"$STRESS" init "$DB" || fail "init"
for round in $(seq 1 "$ROUNDS"); do
    PIDS=()
    for w in 1 2; do
        "$STRESS" writers "$DB" "$WORK/g$w.log" "$w" 8 2>>"$WORK/writers.err" &
        PIDS+=($!)
    done
    sleep "0.$(printf '%03d' $((50 + RANDOM % 400)))"
    for p in "${PIDS[@]}"; do
        kill -9 "$p" 2>/dev/null || true
        [ $((RANDOM % 2)) -eq 0 ] && sleep 0.0$((RANDOM % 9))
    done
    wait 2>/dev/null || true
done
PIDS=()
logs=("$WORK"/g*.log.*)
acks=$(cat "${logs[@]}" 2>/dev/null | grep -c -v '^fail' || true)
[ "$acks" -gt 0 ] || fail "no writer got anything acknowledged in $ROUNDS rounds"
check_store "$DB" "${logs[@]}"
echo "kill9 group: $ROUNDS rounds x 2 processes x 8 threads, $acks acknowledged changes, all present once"
