#!/usr/bin/env bash
# verify_frames.sh - verify packs a replayed stage record with the zstd frames of the event
# that carried its long texts (core/verify.c: item_frames, hand_frames), so that it is the
# stored record byte for byte; a stored stage record whose long text was changed - by a
# character, or for a text of the same length - is still reported, field named.
source "$(dirname "$0")/common.bash"
TAMPER=${CAPA_BUILD:?CAPA_BUILD must name the build directory (ctest sets it)}/tests/faults/capa-tamper

long() { python3 -c "print(('$1 ' * 200)[:$2])"; }
setup_users
D=$(long "焊点连锡 reflow profile drifted after maintenance; 4 000 pcs sorted," 900)
as li 0 open customer="华东汽车" part_no=PCB-7731 defect_code=SOLDER severity=important \
    channel=written complaint_type=quality description="$D"
N=$OUT
as li 0 open customer="华南电器" part_no=PCB-1001 defect_code=SCRATCH severity=general \
    channel=phone complaint_type=quality description="$(long "外壳划伤 scratch on the housing" 700)"
run 0 "" verify
cp -a "$CAPA_DB" "$T/pristine"

# One character of the long description in the stored stage record.
fresh
tamper stage "$N" 0 description "${D:0:400}X${D:401}"
run 1 "" verify
err_has "$N"
err_has "description"
# Another text of the same length.
fresh
tamper stage "$N" 0 description "$(long "another description altogether" 900)"
run 1 "" verify
err_has "$N"
err_has "description"
# The untouched copy still passes.
fresh
run 0 "" verify
