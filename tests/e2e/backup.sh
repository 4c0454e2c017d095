#!/usr/bin/env bash
# backup.sh - a backup that restores (issue 9, item 4), with the real binary: `capa backup`
# refuses a target that is not empty and leaves it as it was; it copies the database and
# the signing identity (keys 0600, directories 0700); `capa restore` verifies the backup
# completely before writing anything, refuses a non-empty target, a backup whose audit
# trail or signed stage data was edited underneath capa (lmdb-utils, as tamper.sh does) or
# whose key does not match its certificate - leaving the target absent or empty - and
# otherwise gives a working database: show, set, and a dossier pdfsig calls valid.
source "$(dirname "$0")/common.bash"
for t in mdb_dump mdb_load pdfsig openssl; do
    command -v "$t" >/dev/null ||
        fail "$t missing (Debian packages lmdb-utils, poppler-utils, openssl)"
done

# A listing of a directory tree with modes, sizes and contents, to show it did not change.
tree_sum() {
    (cd "$1" && find . -printf '%p %m %s\n' | sort && find . -type f -exec sha256sum {} + | sort)
}
mode() { stat -c %a "$1"; }
want_mode() { [[ $(mode "$1") == "$2" ]] || fail "$1 has mode $(mode "$1"), want $2"; }
# absent_or_empty DIR: a refused restore left nothing behind.
absent_or_empty() {
    [[ ! -e $1 ]] || [[ -d $1 && -z $(ls -A "$1") ]] || fail "refused restore left $(ls -A "$1")"
}

run 0 "$(pw admin)" init --org "示例电子有限公司" --password-stdin
run 0 "$(pw admin)\n$(pw li)" user add li --role intake --name 李娜 --as admin --password-stdin
run 0 "$(pw admin)\n$(pw wang)" user add wang --role qe --name 王工 --as admin --password-stdin
as li 0 open customer="华东汽车" part_no=PCB-7731 severity=important description="焊点连锡"
N=$OUT
as wang 0 set "$N" validity=valid containment=XQX --reason "隔离库存"
as wang 0 sign "$N" --meaning reviewed
run 0 "" verify
head=$OUT

# -- backup never writes into a directory that holds something --------------------------
mkdir "$T/full"
echo "keep me" >"$T/full/notes.txt"
before=$(tree_sum "$T/full")
run 1 "" backup "$T/full"
err_has "capa: backup: $T/full: not empty (holds \`notes.txt\`)"
[[ -z $OUT ]] || fail "a refused backup printed: $OUT"
[[ $(tree_sum "$T/full") == "$before" ]] || fail "a refused backup changed $T/full"
run 1 "" backup "$T/no/such/dir"
err_has "capa: backup: "
[[ ! -e $T/no ]] || fail "backup created missing parents"

# -- backup: database and signing identity, private ---------------------------------------
run 0 "" backup "$T/bk"
out_has "backed up $CAPA_DB to $T/bk"
err_empty
want_mode "$T/bk" 700
want_mode "$T/bk/keys" 700
want_mode "$T/bk/keys/org.key" 600
want_mode "$T/bk/keys/org.crt" 600
cmp -s "$CAPA_DB/keys/org.key" "$T/bk/keys/org.key" || fail "org.key in the backup differs"
cmp -s "$CAPA_DB/keys/org.crt" "$T/bk/keys/org.crt" || fail "org.crt in the backup differs"
[[ -z $(find "$T/bk" -name '.*' ! -name . ) ]] || fail "temporary files left in the backup"
run 1 "" backup "$T/bk"
err_has "not empty"
run 0 "" --db "$T/bk" verify
out_is "$head"

# -- restore refuses a target that holds something, and leaves it as it was ---------------
before=$(tree_sum "$T/full")
run 1 "" restore "$T/bk" --db "$T/full"
err_has "capa: restore: target $T/full: not empty (holds \`notes.txt\`)"
[[ $(tree_sum "$T/full") == "$before" ]] || fail "a refused restore changed $T/full"
run 1 "" restore "$T/bk" --db "$CAPA_DB"
err_has "not empty"
run 0 "" verify
out_is "$head"
run 2 "" restore --db "$T/r0"
absent_or_empty "$T/r0"
run 1 "" restore "$T/missing" --db "$T/r0"
err_has "capa: restore: backup $T/missing: no such directory"
absent_or_empty "$T/r0"

# -- restore: a verified, working database with its signing key ---------------------------
run 0 "" restore "$T/bk" --db "$T/restored"
out_has "restored $T/bk to $T/restored"
out_has "$head"
err_empty
want_mode "$T/restored" 700
want_mode "$T/restored/keys" 700
want_mode "$T/restored/keys/org.key" 600
want_mode "$T/restored/keys/org.crt" 600
cmp -s "$CAPA_DB/keys/org.key" "$T/restored/keys/org.key" || fail "restored org.key differs"
[[ -z $(find "$T/restored" -name '.*' ! -name .) ]] || fail "staging files left in the target"
run 0 "" --db "$T/restored" verify
out_is "$head"
run 0 "" --db "$T/restored" show "$N" --lang en
out_has "Containment: XQX"
as wang 0 --db "$T/restored" set "$N" category_6m=method
out_has "$N: 1 field set"
run 0 "" --db "$T/restored" verify
[[ $OUT != "$head" ]] || fail "the restored copy's chain did not grow with the change"
run 0 "" verify
out_is "$head" # the original is not the copy
run 0 "" --db "$T/restored" dossier "$N" -o "$T/restored.pdf"
sig=$(pdfsig "$T/restored.pdf" 2>&1 || true)
grep -q "Signature is Valid" <<<"$sig" || fail "dossier of the restored copy: $sig"
grep -q "示例电子有限公司" <<<"$sig" || fail "dossier signed by someone else: $sig"
# An existing empty directory is a fine target too, and a restored copy a fine backup.
mkdir "$T/empty"
run 0 "" restore "$T/bk" --db "$T/empty"
run 0 "" restore "$T/restored" --db "$T/again"
run 0 "" --db "$T/again" show "$N" --lang en
out_has "Cause category (6M): Method"

# -- a backup whose audit trail was edited: refused before anything is written ------------
run 0 "" backup "$T/bad-event"
mdb_dump -s events "$T/bad-event" >"$T/events.dump"
python3 - "$T/events.dump" <<'PY'
import sys
path = sys.argv[1]
lines = open(path).read().split("\n")
i = lines.index(" " + "%016x" % 3)  # event 3; key = big-endian seq
v = lines[i + 1]
mid = len(v) // 2
lines[i + 1] = v[:mid] + ("0" if v[mid] != "0" else "1") + v[mid + 1:]
open(path, "w").write("\n".join(lines))
PY
mdb_load -s events -f "$T/events.dump" "$T/bad-event" 2>"$T/load.err" ||
    fail "mdb_load: $(cat "$T/load.err")"
run 1 "" restore "$T/bad-event" --db "$T/r1"
err_has "capa: restore: backup $T/bad-event does not verify: "
err_has "event 3"
err_has "nothing restored"
[[ -z $OUT ]] || fail "a refused restore printed: $OUT"
absent_or_empty "$T/r1"
mkdir "$T/r1-empty"
run 1 "" restore "$T/bad-event" --db "$T/r1-empty"
absent_or_empty "$T/r1-empty"

# -- a backup whose signed stage data was edited: refused naming the stage ----------------
run 0 "" backup "$T/bad-stage"
mdb_dump -s stages "$T/bad-stage" >"$T/stages.dump"
grep -q 585158 "$T/stages.dump" || fail "containment value not found in the stage records"
sed -i 's/585158/585958/' "$T/stages.dump" # XQX -> XYX
mdb_load -s stages -f "$T/stages.dump" "$T/bad-stage" 2>"$T/load.err" ||
    fail "mdb_load: $(cat "$T/load.err")"
run 0 "" --db "$T/bad-stage" show "$N" --lang en
out_has "Containment: XYX"
run 1 "" restore "$T/bad-stage" --db "$T/r2"
err_has "capa: restore: backup $T/bad-stage does not verify"
err_has "intake"
absent_or_empty "$T/r2"

# -- a backup whose key does not match its certificate: refused, naming both --------------
run 0 "" backup "$T/bad-key"
openssl req -x509 -newkey rsa:2048 -nodes -subj "/CN=Other/O=Other" -days 30 \
    -keyout "$T/other.key" -out "$T/other.crt" 2>/dev/null || fail "openssl req"
cp "$T/other.crt" "$T/bad-key/keys/org.crt"
run 1 "" restore "$T/bad-key" --db "$T/r3"
err_has "does not match certificate $T/bad-key/keys/org.crt"
absent_or_empty "$T/r3"

# -- a backup made before backups kept the key: restored, with a note ---------------------
run 0 "" backup "$T/old"
rm -r "$T/old/keys"
run 0 "" restore "$T/old" --db "$T/r4"
err_has "note: the backup has no signing key"
[[ ! -e $T/r4/keys ]] || fail "keys appeared from nowhere"
run 0 "" --db "$T/r4" verify
out_is "$head"

# -- a database without a key is still backed up, with a note -----------------------------
run 0 "" --db "$T/r4" backup "$T/bk-nokey"
err_has "note: $T/r4/keys has no signing key"
run 0 "" --db "$T/bk-nokey" verify
out_is "$head"

# -- a failed sync (the LD_PRELOAD shim of the fault tests) leaves no half copy behind -----
IOFAIL=${CAPA_BUILD:+$CAPA_BUILD/tests/faults/libiofail.so}
if [[ -n $IOFAIL && -f $IOFAIL ]]; then
    export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
    # iofail MATCH WANT_RC ARGS...: run capa with the first fsync on a file matching MATCH
    # failing with EIO.
    iofail() {
        local match=$1 want=$2
        shift 2
        set +e
        IOFAIL_CALLS=fsync IOFAIL_MATCH=$match IOFAIL_AT=1 LD_PRELOAD=$IOFAIL "$CAPA" "$@" \
            </dev/null >"$T/out" 2>"$T/err"
        RC=$?
        set -e
        OUT=$(cat "$T/out")
        ERR=$(cat "$T/err")
        [[ $RC == "$want" ]] || fail "capa $* (fsync on $match fails): exit $RC, want $want"
    }
    iofail data.mdb 1 backup "$T/io-db"
    err_has "capa: backup: "
    [[ ! -e $T/io-db ]] || fail "a backup whose copy did not sync left $(ls -A "$T/io-db")"
    iofail org.key 1 backup "$T/io-key"
    err_has "holds the database but not the signing key"
    iofail .restore. 1 restore "$T/bk" --db "$T/io-r1"
    err_has "capa: restore: "
    absent_or_empty "$T/io-r1"
    mkdir "$T/io-r2"
    iofail org.key 1 restore "$T/bk" --db "$T/io-r2"
    err_has "capa: restore: signing key: "
    absent_or_empty "$T/io-r2"
else
    echo "note: $IOFAIL not built; sync failures not tested"
fi

run 0 "" verify
out_is "$head"
echo "ok backup"
