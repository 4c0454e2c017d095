#!/usr/bin/env bash
# scratch_full.sh - issue 16, defect 8: a full $TMPDIR is an error, not a signal. verify,
# dossier and the server replay the trail into a scratch store in $TMPDIR; with that file
# system full they used to die of SIGBUS (exit 135, the server gone). Now every command that
# writes scratch data fails cleanly naming the directory (show warns), leaves no scratch
# behind, and the server answers 500 for that request and keeps serving.
#
# The full file system is a small tmpfs (CI runs as root); where mounting is not allowed the
# LD_PRELOAD shim tests/faults/iofail.c makes every write under the scratch fail with ENOSPC
# instead (which shows the clean error, not the SIGBUS of a real full disk).
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/serve.bash"
IOFAIL=${CAPA_BUILD:?CAPA_BUILD must name the build directory (ctest sets it)}/tests/faults/libiofail.so

setup_users
as li 0 open customer="华东汽车" part_no=PCB-7731 lot_no=L2026-1102 qty_affected=120 \
    defect_code=SOLDER-BRIDGE severity=important channel=written complaint_type=quality \
    responsible_dept=生产部 description="焊点连锡"
N=QC-$Y-0001
as wang 0 set "$N" validity=valid containment="库存隔离"
as wang 0 sign "$N" --meaning reviewed
run 0 "" verify
HEAD=$OUT
run 0 "" export "$N" -o "$T/case.xml"

FS=$T/fs
mkdir -p "$FS"
MOUNTED=
PRELOAD=
if mount -t tmpfs -o size=1m tmpfs "$FS" 2>/dev/null; then
    MOUNTED=$FS
    # fill [KIB]: fill the file system, leaving about KIB free.
    fill() {
        rm -f "$FS/fill"
        dd if=/dev/zero of="$FS/fill" bs=4k 2>/dev/null || true
        if [[ ${1:-0} -gt 0 ]]; then truncate -s "-$1K" "$FS/fill"; fi
    }
    unfill() { rm -f "$FS/fill"; }
else
    echo "scratch_full: no tmpfs mount allowed here: ENOSPC from tests/faults/iofail.c instead"
    [[ -f $IOFAIL ]] || fail "$IOFAIL missing (built with the tests)"
    PRELOAD=$IOFAIL
    fill() { export IOFAIL_AT=1 IOFAIL_STICKY=1 IOFAIL_ERRNO=28 IOFAIL_MATCH=$FS/; }
    unfill() { unset IOFAIL_AT IOFAIL_STICKY IOFAIL_ERRNO IOFAIL_MATCH; }
fi
cleanup() {
    [[ -z ${PID:-} ]] || serve_stop
    [[ -z $MOUNTED ]] || umount "$MOUNTED" 2>/dev/null || true
    rm -rf -- "$T"
}
trap cleanup EXIT
# capa under a full $TMPDIR: TMPDIR=$FS (and the shim when there is no tmpfs).
full() { TMPDIR=$FS LD_PRELOAD=$PRELOAD "$@"; }
no_scratch_left() {
    local left
    left=$(find "$FS" -mindepth 1 -name 'capa-*' | head -3)
    [[ -z $left ]] || fail "scratch left behind in $FS: $left"
}
# scratch_named: stderr names the scratch directory under $FS and the lack of room.
scratch_named() {
    err_has "scratch store $FS/capa-"
    err_has "set TMPDIR to a directory with room"
}

for room in 0 24; do # wholly full (the lock file's SIGBUS) and full midway through
    fill $room
    full run 1 "" verify
    scratch_named
    no_scratch_left
    full run 1 "" verify --json
    scratch_named
    full run 1 "" dossier "$N" -o "$T/d.pdf"
    scratch_named
    [[ ! -e $T/d.pdf ]] || fail "a dossier was written though the case could not be verified"
    full run 1 "" export "$N" -o "$T/again.xml"
    scratch_named
    # show prints what is stored, and says it could not check it.
    full run 0 "" show "$N"
    err_has "WARNING: not checked against the audit trail: scratch store $FS/capa-"
    out_has "$N"
    no_scratch_left
done

# import --xml replays the archive into a scratch too: refused naming the directory, not the
# archive's fault, and the receiving store unchanged.
run 0 "$(pw admin)" --db "$T/other" init --org "Other plant" --password-stdin
run 0 "" --db "$T/other" verify
OTHER_HEAD=$OUT
fill 0
full run 1 "$(pw admin)" --db "$T/other" import --xml "$T/case.xml" --as admin --password-stdin
scratch_named
[[ $ERR != *"does not match its events"* ]] || fail "a full scratch was blamed on the archive"
no_scratch_left
unfill
run 0 "" --db "$T/other" verify
[[ $OUT == "$OTHER_HEAD" ]] || fail "the refused import changed the receiving store"
run 0 "$(pw admin)" --db "$T/other" import --xml "$T/case.xml" --as admin --password-stdin

# The server: the request that needs scratch gets a 500 naming the directory, the server
# lives on and serves the next request, and the dossier once there is room.
fill 0
if [[ -n $PRELOAD ]]; then
    TMPDIR=$FS LD_PRELOAD=$PRELOAD serve_start
else
    TMPDIR=$FS serve_start
fi
trap cleanup EXIT # serve_start sets its own
TOK=$(token zhou)
req d1 -H "Authorization: Bearer $TOK" "$B/api/v1/cases/$N/dossier.pdf"
want 500 d1
has d1 "scratch store $FS/capa-"
kill -0 "$PID" 2>/dev/null || fail "the server died on a full \$TMPDIR"
req c1 -H "Authorization: Bearer $TOK" "$B/api/v1/cases/$N"
want 200 c1
has c1 "\"$N\""
req d2 -H "Authorization: Bearer $TOK" "$B/api/v1/cases/$N/dossier.pdf"
want 500 d2
kill -0 "$PID" 2>/dev/null || fail "the server died on a second full-\$TMPDIR request"
no_scratch_left
unfill
if [[ -n $PRELOAD ]]; then # the shim's failures live in the server's environment
    serve_stop
    TMPDIR=$FS serve_start
    trap cleanup EXIT
    TOK=$(token zhou)
fi
req d3 -H "Authorization: Bearer $TOK" "$B/api/v1/cases/$N/dossier.pdf"
want 200 d3
head -c 5 "$T/d3" | grep -q '%PDF-' || fail "the dossier after freeing space is not a PDF"
serve_stop

# Nothing of this touched the store.
run 0 "" verify
[[ $OUT == "$HEAD" ]] || fail "the chain head changed"
echo "ok scratch_full"
