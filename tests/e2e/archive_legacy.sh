#!/usr/bin/env bash
# archive_legacy.sh - a store that imported a case archive before copies were addressed
# NUMBER@ORIGIN (tests/data/legacy-import, see its README): the copy holds plant 甲厂's
# QC-2026-0005 under the bare number and its import installed 甲厂's intake form v2, so every
# `capa open` failed with "number QC-2026-0005 already taken" for good. Now: it verifies as it
# is (its import event replays as it did), `open` steps over the copy's number, and the copy
# still shows as 甲厂's with its own form.
source "$(dirname "$0")/common.bash"
F=$CAPA_SRC/tests/data/legacy-import
mkdir -p "$CAPA_DB"
tar xzf "$F/store.tar.gz" -C "$CAPA_DB"
run 0 "" verify
run 0 "" show QC-2026-0005 --json
json "d['origin'] == '甲厂' and d['origin_number'] == 'QC-2026-0005' and d['number'] == 'QC-2026-0005'"
json "d['stages'][0]['form'] == {'id': 'intake', 'version': 2}"
# The fixture's numbers carry 2026: open in 2026, where its counter stands at 4.
at '2026-12-10 09:00:00' as li 0 open customer=华南电器 part_no=PCB-1 severity=general description="第五件"
out_is "QC-2026-0006"
at '2026-12-10 09:05:00' as li 0 open customer=华南电器 part_no=PCB-1 severity=general description="第六件"
out_is "QC-2026-0007"
run 0 "" show QC-2026-0006 --json
json "d['origin'] is None and d['stages'][0]['values']['description'] == '第五件'"
run 0 "" verify
# The same case offered again is still recognised as imported.
run 0 "" export QC-2026-0005 -o "$T/again.xml"
as admin 1 import --xml "$T/again.xml"
err_has "this case was already imported (from 甲厂), as QC-2026-0005"
exit 0
