#!/usr/bin/env bash
# upgrade.sh - a store written by format 1 (tests/data/format1, made by the release before
# format 2) opens with a message naming `capa upgrade`; `capa upgrade` converts it in place
# after a backup it makes itself, keeps every case, value, signature, user and event as that
# release showed them, verifies, and the old chain's head still verifies as an anchor.
source "$(dirname "$0")/common.bash"
F=$CAPA_SRC/tests/data/format1
mkdir -p "$CAPA_DB"
tar xzf "$F/store.tar.gz" -C "$CAPA_DB"
old_head=$(cat "$F/head.txt")
Y1=QC-2026 # the fixture's case numbers

# same_json FILE: the JSON in $OUT equals FILE's. Keys added since that release, at any
# depth (show's "limits", a stage's "rules" and "skipped"), are left out: the JSON shapes may
# gain fields, never lose or rename one.
same_json() {
    printf '%s' "$OUT" >"$T/now.json"
    python3 -c 'import json, sys
def old_keys(a, b):
    if isinstance(a, dict) and isinstance(b, dict):
        return {k: old_keys(v, b[k]) for k, v in a.items() if k in b}
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [old_keys(x, y) for x, y in zip(a, b)]
    return a
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
sys.exit(0 if old_keys(a, b) == b else 1)' "$T/now.json" "$1"
}

# A format-1 store is refused by every command but names the way out.
run 1 "" show $Y1-0001
err_has "store format 1"
err_has "capa upgrade"
run 1 "" verify
err_has "capa upgrade"
run 1 "demo-li-2026" open --as li --password-stdin customer=X
err_has "capa upgrade"

run 0 "" upgrade
out_has "from store format 1 to 2"
err_has "backup of the format-1 store in $CAPA_DB.format1-"
backup=$(ls -d "$CAPA_DB".format1-* | head -1)
[[ -f $backup/data.mdb ]] || fail "no backup made"
trap 'rm -rf -- "$T" "$backup"' EXIT

# Nothing lost: what the old release printed, this one prints.
for n in 1 2 3; do
    run 0 "" show $Y1-000$n --json
    [[ -z $ERR ]] || fail "show $n warns after the upgrade: $ERR"
    same_json "$F/show-$n.json" || fail "show $n differs from the format-1 release"
done
run 0 "" user list --json
same_json "$F/users.json" || fail "users differ"
run 0 "" log --json
printf '%s' "$OUT" >"$T/log.json"
python3 - "$T/log.json" "$F/log.json" <<'PY' || fail "the first 58 events differ"
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
sys.exit(0 if a[:len(b)] == b and a[len(b)]["action"] == "upgrade" else 1)
PY

# It verifies, and the head of the old chain is an anchor that still holds.
run 0 "" verify --anchor "58:$old_head"
run 0 "" verify --json
json "d['ok'] and d['seq'] == 59"
run 1 "" verify --anchor "58:${old_head/a/b}"
err_has "anchor 58:"

# The upgraded store works: the old passwords sign in, a case moves on, verify passes.
run 0 "demo-li-2026\n" open --as li --password-stdin customer="华东汽车" part_no=PCB-1 \
    severity=general description="x" channel=phone complaint_type=quality
if [[ $Y == 2026 ]]; then out_is "QC-2026-0004"; else out_is "QC-$Y-0001"; fi
run 0 "new-wang-pass-2026\n" set $Y1-0003 --as wang --password-stdin category_6m=machine
run 0 "" verify
# The upgrade is not repeated.
run 0 "" upgrade
out_has "already in store format 2"
# A tampered format-1 store is not converted.
export CAPA_DB=$T/db2
mkdir -p "$CAPA_DB"
tar xzf "$F/store.tar.gz" -C "$CAPA_DB"
mdb_dump -s users "$CAPA_DB" >"$T/users.dump"
sed -i 's/e8b5b5e7bb8fe79086/e5bca0e4b889e79086/' "$T/users.dump" # 赵经理 -> 张三理
mdb_load -s users -f "$T/users.dump" "$CAPA_DB"
run 1 "" upgrade
err_has "does not verify"
err_has "user zhao"
rm -rf "$CAPA_DB".format1-*
echo "ok upgrade"
