#!/usr/bin/env bash
# nostore.sh - no command but `init` (and `restore`) makes a store: every command of the table
# (read from `capa help`, so a new command must be given arguments here), run with plausible
# arguments against an empty directory and against one that does not exist, says that there
# is no capa database there (pointing at `capa init`) and leaves the directory exactly as it
# was - no data.mdb, no lock.mdb, no keys/, nothing. A valid case archive imported into an
# empty directory used to leave data.mdb and lock.mdb behind.
source "$(dirname "$0")/common.bash"

# A real store to take plausible inputs from: a case archive, a form, a backup.
run 0 "$(pw admin)" init --org "示例电子有限公司" --password-stdin
run 0 "$(pw admin)\n$(pw li)" user add li --role intake --name 李娜 --dept 业务部 --as admin \
    --password-stdin
as li 0 open customer="华东汽车" part_no=PCB-7731 severity=general description="连锡"
N=$OUT
run 0 "" export "$N" -o "$T/case.xml"
run 0 "" backup "$T/bk"
printf 'customer,part\n华东汽车,PCB-1\n' >"$T/legacy.csv"
printf 'x' >"$T/photo.jpg"
cp "$CAPA_SRC/forms/intake.xml" "$T/intake.xml"
unset CAPA_DB

# Plausible arguments per command; every command `capa help` lists must have an entry.
declare -A ARGS=(
    ["user add"]="user add bo --role qe --name 薄 --as admin --password-stdin"
    ["user passwd"]="user passwd admin --as admin --password-stdin"
    ["user unlock"]="user unlock li --local"
    ["user list"]="user list --json"
    ["user role"]="user role li --role qe --as admin --password-stdin"
    ["user disable"]="user disable li --as admin --password-stdin"
    ["user enable"]="user enable li --as admin --password-stdin"
    ["user set"]="user set li --mobile 13800000001 --as li --password-stdin"
    [deliver]="deliver --json"
    [notices]="notices --pending --json"
    [owner]="owner $N li --reason r --as li --password-stdin"
    [open]="open --as li --password-stdin customer=X part_no=P-1 severity=general description=d"
    [set]="set $N --as li --password-stdin customer=Y"
    [sign]="sign $N --meaning reviewed --as li --password-stdin"
    [reject]="reject $N --reason no --as li --password-stdin"
    [show]="show $N --json"
    [list]="list --json"
    [log]="log"
    [verify]="verify"
    [anchor]="anchor"
    [checkpoint]="checkpoint"
    [escalate]="escalate --json"
    [publish]="publish --pg host=/nonexistent"
    [upgrade]="upgrade"
    ["form check"]="form check $T/intake.xml"
    ["form show"]="form show intake --json"
    ["form install"]="form install $T/intake.xml --as admin --password-stdin"
    [info]="info --json"
    [config]="config recurrence-days 90 --as admin --password-stdin"
    [report]="report monthly --month $Y-01 --format json -o $T/report.json"
    [export]="export $N -o $T/again.xml"
    [attach]="attach $N $T/photo.jpg --as li --password-stdin"
    ["attachment get"]="attachment get $N $(sha256sum "$T/photo.jpg" | cut -d' ' -f1) -o $T/got"
    ["calendar install"]="calendar install $T/intake.xml --as admin --password-stdin"
    ["calendar show"]="calendar show $Y-01 --json"
    [backup]="backup $T/bk2"
    [dossier]="dossier $N -o $T/d.pdf --no-sign"
    [serve]="serve --listen 127.0.0.1:0"
    [import]="import --xml $T/case.xml --as admin --password-stdin"
    ["cert create"]="cert create --org X"
    ["cert install"]="cert install --key $T/bk/keys/org.key --cert $T/bk/keys/org.crt"
    [validate]="validate --list"
)
# More than one way in for some commands.
EXTRA=(
    "import --csv $T/legacy.csv --map register --as admin --password-stdin"
    "export --all -o $T/all/"
    "dossier --all -o $T/dall/ --no-sign"
    "config notify add x --wecom https://q.example/h?key=k --as admin --password-stdin"
    "config notify list"
    "notices --user li"
    "owner $N"
    "help set $N"
    "help sign $N"
)

run 0 "" help
CMDS=$(sed -n '/^Commands:/,/^$/p' <<<"$OUT" | sed -n 's/^  \(.\{13\}\) .*/\1/p' | sed 's/ *$//')
[[ $(wc -l <<<"$CMDS") -ge 30 ]] || fail "could not read the command table from capa help"
LINES=()
while read -r cmd; do
    case $cmd in
    init | restore | "help "*) continue ;; # these make a store, or are not commands
    esac
    [[ -n ${ARGS[$cmd]+x} ]] || fail "nostore.sh has no arguments for \`capa $cmd\`: add them"
    LINES+=("${ARGS[$cmd]}")
done <<<"$CMDS"
LINES+=("${EXTRA[@]}")

# listing DIR: everything in DIR (or that it does not exist), with sizes and modes.
listing() {
    if [[ -e $1 ]]; then
        (cd "$1" && find . -printf '%p %s %m\n' | sort)
    else
        echo "absent"
    fi
}

mkdir "$T/empty"
: >"$T/empty/notes.txt" # a directory of other things: not a store either
for dir in "$T/empty" "$T/none" "$T/none/deeper"; do
    before=$(listing "$dir")
    for line in "${LINES[@]}"; do
        # shellcheck disable=SC2086 # the arguments are words
        set +e
        printf 'pw-admin-e2e-2026\npw-x-e2e-2026\npw-y-e2e-2026\n' |
            CAPA_KEYS="" timeout 20 "$CAPA" --db "$dir" $line >"$T/out" 2>"$T/err"
        RC=$?
        set -e
        OUT=$(cat "$T/out") ERR=$(cat "$T/err")
        after=$(listing "$dir")
        [[ $after == "$before" ]] ||
            fail "capa --db $dir $line changed the directory: $(diff <(echo "$before") <(echo "$after"))"
        case $line in
        "form check"*) continue ;; # needs no store: checks files only
        "validate"*) continue ;;   # needs no store: its own scratch store (validate.sh)
        esac
        [[ $RC == 1 ]] || fail "capa --db $dir $line: exit $RC against no store"
        grep -qE "no capa database here|holds no capa database" <<<"$ERR" ||
            fail "capa --db $dir $line: does not say there is no store"
        grep -qF "capa init" <<<"$ERR" || fail "capa --db $dir $line: does not point at capa init"
    done
done
# CAPA_DB names the store the same way as --db.
before=$(listing "$T/empty")
CAPA_DB=$T/empty run 1 "$(pw admin)" import --xml "$T/case.xml" --as admin --password-stdin
err_has "$T/empty: no capa database here"
[[ $(listing "$T/empty") == "$before" ]] || fail "import --xml via CAPA_DB left a store behind"
# init still makes a store in an empty directory.
run 0 "$(pw admin)" --db "$T/empty" init --org "新工厂" --password-stdin
[[ -e $T/empty/data.mdb ]] || fail "init made no store"
exit 0
