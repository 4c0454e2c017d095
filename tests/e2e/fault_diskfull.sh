#!/bin/bash
# Disk full: (1) a map ceiling (capa_open_opts.map_max): writes fail with a clean error,
# nothing acknowledged is lost, and with a larger ceiling the store takes writes again;
# (2) a real full file system: a small tmpfs when we may mount one, else `ulimit -f`.
. "$(dirname "$0")/../faults/lib.sh"
DB=$WORK/var
"$STRESS" init "$DB" || fail "init"
out=$("$STRESS" fill "$DB" "$WORK/map.log" m $((2 * 1024 * 1024)) 2>/dev/null) ||
    fail "map full was not a clean error: $out"
echo "diskfull: map ceiling gave: $out"
check_store "$DB" "$WORK/map.log" >/dev/null
"$STRESS" ops "$DB" "$WORK/map.log" m2 3 >/dev/null || fail "no writes after raising the ceiling"
check_store "$DB" "$WORK/map.log" >/dev/null
echo "diskfull: map ceiling: $(grep -c '^open' "$WORK/map.log") cases, clean error, grows after"

# The same through group commit (capa_submit): the batch fails whole, nothing half-written.
"$STRESS" init "$WORK/var2" || fail "init"
out=$(STRESS_SUBMIT=1 "$STRESS" fill "$WORK/var2" "$WORK/map2.log" s $((2 * 1024 * 1024)) \
    2>/dev/null) || fail "map full through capa_submit was not a clean error: $out"
check_store "$WORK/var2" "$WORK/map2.log" >/dev/null
STRESS_SUBMIT=1 "$STRESS" ops "$WORK/var2" "$WORK/map2.log" s2 3 >/dev/null ||
    fail "no writes through capa_submit after raising the ceiling"
check_store "$WORK/var2" "$WORK/map2.log" >/dev/null
echo "diskfull: map ceiling through capa_submit: clean error ($out), grows after"

FS=$WORK/fs
mkdir -p "$FS"
if mount -t tmpfs -o size=2m tmpfs "$FS" 2>/dev/null; then
    MOUNTED=$FS
    "$STRESS" init "$FS/var" || fail "init on tmpfs"
    out=$("$STRESS" fill "$FS/var" "$WORK/fs.log" t 2>/dev/null) ||
        fail "full tmpfs was not a clean error: $out"
    check_store "$FS/var" "$WORK/fs.log" >/dev/null
    mount -o remount,size=64m "$FS" || fail "remount"
    "$STRESS" ops "$FS/var" "$WORK/fs.log" t2 3 >/dev/null || fail "no writes after freeing space"
    check_store "$FS/var" "$WORK/fs.log" >/dev/null
    echo "diskfull: 2 MiB tmpfs: $(grep -c '^open' "$WORK/fs.log") cases, clean error ($out)," \
        "works after space was freed"
else
    # No mount allowed: a file size limit makes the database file unable to grow (EFBIG).
    "$STRESS" init "$FS/var" || fail "init"
    out=$(trap '' XFSZ; ulimit -f 3072; "$STRESS" fill "$FS/var" "$WORK/fs.log" t 2>/dev/null) ||
        fail "file size limit was not a clean error: $out"
    check_store "$FS/var" "$WORK/fs.log" >/dev/null
    "$STRESS" ops "$FS/var" "$WORK/fs.log" t2 3 >/dev/null || fail "no writes after the limit"
    check_store "$FS/var" "$WORK/fs.log" >/dev/null
    echo "diskfull: ulimit -f: clean error ($out), works after"
fi
