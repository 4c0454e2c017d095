#!/bin/bash
# I/O errors: with an LD_PRELOAD shim, fail the N-th fdatasync/fsync, then the N-th
# pwrite/writev, on the database file, for N = 1, 2, ... over a few changes. A change whose
# write or sync failed must never be reported as done, and the store must verify and keep
# working once the disk behaves again.
. "$(dirname "$0")/../faults/lib.sh"
[ -f "$IOFAIL" ] || fail "$IOFAIL not built"
OPS=${IOFAIL_OPS:-3}
# In the sanitizer build the ASan runtime cannot come first when we preload the shim.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
"$STRESS" init "$WORK/template" || fail "init"
for mode in single submit; do
export STRESS_SUBMIT=$([ $mode = submit ] && echo 1 || echo 0)
for calls in fdatasync,fsync pwrite,writev; do
    # How many such calls do OPS steps make? Fail each one of them in turn.
    rm -rf "$WORK/db" && cp -a "$WORK/template" "$WORK/db"
    IOFAIL_CALLS=$calls IOFAIL_MATCH=data.mdb IOFAIL_REPORT=$WORK/count \
        LD_PRELOAD=$IOFAIL "$STRESS" ops "$WORK/db" /dev/null x "$OPS" || fail "clean run"
    total=$(cat "$WORK/count")
    [ "$total" -gt 0 ] || fail "the shim saw no $calls calls on data.mdb"
    for n in $(seq 1 "$total"); do
        rm -rf "$WORK/db" "$WORK/log" && cp -a "$WORK/template" "$WORK/db"
        IOFAIL_CALLS=$calls IOFAIL_MATCH=data.mdb IOFAIL_AT=$n \
            LD_PRELOAD=$IOFAIL "$STRESS" ops "$WORK/db" "$WORK/log" x "$OPS" 2>/dev/null || true
        grep -q '^fail' "$WORK/log" || fail "$calls #$n failed but every change was reported done"
        "$STRESS" check "$WORK/db" "$WORK/log" >/dev/null || fail "check after $calls #$n"
        # The disk is fine again: the same store takes new changes.
        "$STRESS" ops "$WORK/db" "$WORK/log" y 1 >/dev/null || fail "write after $calls #$n"
        check_store "$WORK/db" "$WORK/log" >/dev/null
    done
    echo "iofail: $mode: $calls: failed each of $total calls in turn;" \
        "no failed change reported done"
done
done
