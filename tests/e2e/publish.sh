#!/usr/bin/env bash
# publish.sh - `capa publish` (issue 20) into a real PostgreSQL 15 cluster this test starts
# (initdb + pg_ctl in its temporary directory, a unix socket there, as the `postgres` user
# when run as root): two plants in one database; the group views' figures equal each
# plant's own `report monthly --format json` (and so do the group report's, per plant and
# summed, in json, csv and a signed pdf); the read-only role reads the views only; a
# publish killed mid-way and resumed sends every event once; PostgreSQL stopped and started
# under `--follow` loses nothing; a plant restored from an older backup and written to is
# refused naming the sequence number; a tampered store is refused before anything is sent.
source "$(dirname "$0")/common.bash"
[[ -n ${T:-} && -d $T ]] || exit 1
PGBIN=${CAPA_PG_BIN:-/usr/lib/postgresql/15/bin}
if [[ ! -x $PGBIN/initdb || ! -x $PGBIN/pg_ctl ]] || ! command -v psql >/dev/null; then
    echo "SKIP publish: no PostgreSQL 15 server binaries in $PGBIN (Debian: postgresql)" >&2
    exit 77
fi
TAMPER=${CAPA_BUILD:?CAPA_BUILD must name the build directory (ctest sets it)}/tests/faults/capa-tamper
[[ -x $TAMPER ]] || fail "$TAMPER missing"

# ---- the cluster ----------------------------------------------------------------------------
PGD=$T/pg
mkdir "$PGD"
pgrun=()
if [[ $(id -u) == 0 ]]; then
    id postgres >/dev/null 2>&1 || fail "running as root and there is no postgres user"
    chmod 711 "$T"
    chown postgres "$PGD"
    pgrun=(runuser -u postgres --)
fi
pg_ctl() { "${pgrun[@]}" "$PGBIN/pg_ctl" -D "$PGD/data" "$@" >>"$T/pg_ctl.log" 2>&1; }
pg_start() {
    pg_ctl -l "$PGD/server.log" -w -o "-k $PGD -c listen_addresses= -c fsync=off" start ||
        fail "pg_ctl start: $(tail -5 "$PGD/server.log")"
}
"${pgrun[@]}" "$PGBIN/initdb" -D "$PGD/data" -U capa -A trust -E UTF8 --locale=C --no-sync \
    >"$T/initdb.log" 2>&1 || fail "initdb: $(tail -5 "$T/initdb.log")"
pg_start
trap 'pg_ctl -m immediate stop || true; rm -rf -- "$T"' EXIT
PG="host=$PGD user=capa dbname=postgres"
sql() { psql "$PG" -X -At -v ON_ERROR_STOP=1 -c "$1"; }

# ---- two plants ---------------------------------------------------------------------------
A=$T/plant-a
B=$T/plant-b
H='案号,投诉日期,客户名称,料号,批号,不良数量,缺陷代码,问题描述,严重程度,投诉方式,责任部门,处理状态,结案日期'
mk_plant() { # mk_plant DIR ORG ROWS: init, users, a legacy log of ROWS cases, a walked case
    export CAPA_DB=$1
    run 0 "$(pw admin)" init --org "$2" --password-stdin
    run 0 "$(pw admin)\n$(pw li)" user add li --role intake --name 李娜 --as admin --password-stdin
    run 0 "$(pw admin)\n$(pw wang)" user add wang --role qe --name 王工 --as admin \
        --password-stdin
    python3 - "$T/log.csv" "$3" "$H" <<'EOF'
import sys
path, n, header = sys.argv[1], int(sys.argv[2]), sys.argv[3]
sev = ["一般", "重要", "重大"]
with open(path, "w", encoding="utf-8") as f:
    f.write(header + "\n")
    for i in range(n):
        closed = i % 3 == 0
        f.write(",2025/%d/%d,客户%d,P-%d,L%d,%d,D-%d,描述 %d,%s,电话,品质部,%s,%s\n" % (
            i % 12 + 1, i % 27 + 1, i % 7, i % 11, i, i % 50 + 1, i % 5, i, sev[i % 3],
            "已结案" if closed else "处理中", "2025/12/28" if closed else ""))
EOF
    as admin 0 import --csv "$T/log.csv" --map register
    as li 0 open customer="华东汽车" part_no=PCB-7731 defect_code=SOLDER-BRIDGE severity=important \
        description="焊点连锡"
    local n=$OUT
    LAST=$n
    as wang 0 set "$n" validity=valid containment="隔离库存 120 件"
    printf 'photo of the defect' >"$T/photo.jpg"
    as wang 0 attach "$n" "$T/photo.jpg"
    as wang 0 sign "$n" --meaning reviewed
}
mk_plant "$A" "示例电子有限公司 一厂" 1200
N1=$LAST
# Plant B was set up in January (faketime): its walked case met its response limit then.
at '2026-01-05 08:00:00' mk_plant "$B" "示例电子有限公司 二厂" 40
# A plant is keyed by its store's identity: the chain hash of its first event.
plant_of() {
    CAPA_DB=$1 "$CAPA" log --json >"$T/log.json"
    sed -n '/^    "hash": "\([0-9a-f]*\)".*/{s//\1/p;q}' "$T/log.json"
}
events_of() { local tok; tok=$(CAPA_DB=$1 "$CAPA" anchor); echo "${tok%%:*}"; }
PA=$(plant_of "$A")
PB=$(plant_of "$B")
[[ ${#PA} == 64 && ${#PB} == 64 && $PA != "$PB" ]] || fail "plant ids '$PA' '$PB'"

# A tampered store is refused before anything is sent: no schema, no plant, no event.
cp -a "$B" "$T/tampered"
"$TAMPER" "$T/tampered" hdr "$LAST" customer 某客户 2>"$T/tamper.err" || fail "tamper: $(cat "$T/tamper.err")"
export CAPA_DB=$T/tampered
run 1 "" publish --pg "$PG"
err_has "the store does not verify"
err_has "nothing sent"
[[ $(sql "SELECT count(*) FROM pg_namespace WHERE nspname = 'capa'") == 0 ]] ||
    fail "a tampered store's publish touched PostgreSQL"

# ---- kill -9 mid-way, then resume: every event exactly once -------------------------------
export CAPA_DB=$A
nA=$(events_of "$A")
(( nA > 1200 )) || fail "plant A has only $nA events"
"$CAPA" publish --pg "$PG" --batch 20 >"$T/pub1.out" 2>"$T/pub1.err" &
pid=$!
head=0
for _ in $(seq 1 3000); do
    head=$(sql "SELECT coalesce(max(head_seq), 0) FROM capa.plants" 2>/dev/null || echo 0)
    ((head > 0)) && break
    sleep 0.01
done
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
((head > 0)) || fail "the publish never committed a batch"
killed_at=$(sql "SELECT head_seq FROM capa.plants")
((killed_at < nA)) || fail "the publish finished ($killed_at of $nA events) before it was killed"
[[ $(sql "SELECT count(*) FROM capa.events") == "$killed_at" ]] ||
    fail "after kill -9: events in PostgreSQL differ from the published head $killed_at"
run 0 "" publish --pg "$PG" --batch 500
out_has "published events $((killed_at + 1))..$nA of plant"
out_has "events/s"
run 0 "" publish --pg "$PG"
out_has "nothing to publish"

# Every event once, in order, with the store's own hashes.
same_trail() { # same_trail DIR PLANT
    CAPA_DB=$1 "$CAPA" log --json | python3 -c '
import json, sys
for e in json.load(sys.stdin):
    print(e["seq"], e["hash"])' >"$T/store.trail"
    sql "SELECT seq || ' ' || hash FROM capa.events WHERE plant = '$2' ORDER BY seq" >"$T/pg.trail"
    cmp -s "$T/store.trail" "$T/pg.trail" || fail "the published trail of $1 differs from its log"
}
same_trail "$A" "$PA"
[[ $(sql "SELECT count(*) FROM capa.cases") == $("$CAPA" info --json | sed -n 's/^  "cases": \([0-9]*\).*/\1/p') ]] ||
    fail "published cases differ from the store's"

# ---- plant B under --follow; PostgreSQL stopped and started meanwhile ---------------------
export CAPA_DB=$B
"$CAPA" publish --pg "$PG" --follow --interval 100 >"$T/follow.out" 2>"$T/follow.err" &
fpid=$!
wait_head() { # wait_head DIR PLANT: until PostgreSQL has the store's whole trail
    local want
    want=$(events_of "$1")
    for _ in $(seq 1 1500); do
        [[ $(sql "SELECT head_seq FROM capa.plants WHERE plant = '$2'" 2>/dev/null) == "$want" ]] &&
            return 0
        sleep 0.02
    done
    fail "PostgreSQL never got event $want of $1: $(cat "$T/follow.err")"
}
wait_head "$B" "$PB"
pg_ctl -m fast -w stop || fail "pg_ctl stop"
as li 0 open customer="南方家电" part_no=PCB-7731 defect_code=SOLDER-BRIDGE severity=major \
    description="同一缺陷 二厂"
NB=$OUT
as wang 0 set "$NB" validity=valid
sleep 0.3
pg_start
wait_head "$B" "$PB"
kill -TERM "$fpid"
wait "$fpid" || fail "publish --follow exited $? on SIGTERM: $(cat "$T/follow.err")"
same_trail "$B" "$PB"
[[ $(sql "SELECT validity FROM capa.cases WHERE plant = '$PB' AND number = '$NB'") == valid ]] ||
    fail "the case written while PostgreSQL was down is not published"

# ---- derived records: signatures, attachments, limits ------------------------------------
[[ $(sql "SELECT count(*) FROM capa.limits WHERE plant = '$PB' AND number = '$NB'") -gt 0 ]] ||
    fail "no limits published for $NB"
export CAPA_DB=$A
run 0 "" show "$N1" --json
want_sig=$(jget 'len(d["signatures"])')
[[ $(sql "SELECT count(*) FROM capa.signatures WHERE plant = '$PA' AND number = '$N1'") == "$want_sig" ]] ||
    fail "signatures of $N1 differ"
[[ $(sql "SELECT sha256 FROM capa.attachments WHERE plant = '$PA' AND number = '$N1'") == $(sha256sum "$T/photo.jpg" | cut -d' ' -f1) ]] ||
    fail "attachment digest of $N1 differs"

# ---- the group views equal each plant's own monthly report --------------------------------
months="2025-03 2025-12 2026-01 $(date -u +%Y-%m)"
for m in $months; do
    CAPA_DB=$A "$CAPA" report monthly --month "$m" --format json -o "$T/rep-$PA-$m.json"
    CAPA_DB=$B "$CAPA" report monthly --month "$m" --format json -o "$T/rep-$PB-$m.json"
done
sql "SELECT json_agg(json_build_object('plant', plant, 'month', month, 'opened', opened,
        'closed', closed, 'open_at_end', open_at_end, 'limits_due', limits_due,
        'limits_on_time', limits_on_time)) FROM capa.group_monthly" >"$T/monthly.json"
sql "SELECT json_agg(json_build_object('plant', plant, 'month', opened_month,
        'severity', severity, 'customer', customer, 'part_no', part_no))
       FROM capa.group_cases" >"$T/cases.json"
for m in $months; do
    run 0 "" report monthly --group "$PG" --month "$m" --format json -o "$T/group-$m.json"
    run 0 "" report monthly --group "$PG" --plant "$PB" --month "$m" --format json -o "$T/groupb-$m.json"
done
run 0 "" report monthly --group "$PG" --month 2025-03 --format csv -o -
out_has "section,key,value,percent,示例电子有限公司 一厂,示例电子有限公司 二厂"
# The group's PDF: the plant report's layout, signed with the key of the store --db names.
CAPA_DB=$A run 0 "" report monthly --group "$PG" --month 2025-03 --format pdf -o "$T/group.pdf"
pdfsig "$T/group.pdf" 2>&1 | grep -q "Signature is Valid" || fail "the group PDF is not validly signed"
opened=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["opened"])' "$T/group-2025-03.json")
pdftotext -layout "$T/group.pdf" "$T/group.txt"
[[ $(grep -B1 -m1 '^Opened$' "$T/group.txt" | awk 'NR == 1 {print $NF}') == "$opened" ]] ||
    fail "the group PDF does not print the group's $opened opened cases"
run 1 "" report monthly --group "$PG" --plant 北极厂 --month 2025-03 --format json -o -
err_has "--plant '北极厂': no such plant or organisation"
python3 - "$T" "$PA" "$PB" $months <<'EOF' || fail "the group views or report differ from the plants' reports"
import collections, json, sys
t, plants, months = sys.argv[1], sys.argv[2:4], sys.argv[4:]
monthly = {(r["plant"], r["month"]): r for r in json.load(open(t + "/monthly.json"))}
cases = json.load(open(t + "/cases.json"))
bad = 0
for p in plants:
    for m in months:
        rep = json.load(open("%s/rep-%s-%s.json" % (t, p, m)))
        row = monthly.get((p, m), {"opened": 0, "closed": 0, "open_at_end": None})
        for k in ("opened", "closed", "open_at_end"):
            if row[k] != rep[k]:
                print("group_monthly %s %s %s: %s, the plant's report %s" % (p[:8], m, k, row[k], rep[k]))
                bad += 1
        due = sum(v["due"] for v in rep["on_time_counts"].values())
        met = sum(v["on_time"] for v in rep["on_time_counts"].values())
        if (row.get("limits_due", 0), row.get("limits_on_time", 0)) != (due, met):
            print("group_monthly %s %s limits due/on time: %s/%s, the plant's report %s/%s" % (
                p[:8], m, row.get("limits_due"), row.get("limits_on_time"), due, met))
            bad += 1
        for col, key in (("severity", "by_severity"), ("customer", "by_customer"), ("part_no", "by_part")):
            got = collections.Counter(c[col] for c in cases if c["plant"] == p and c["month"] == m)
            want = {k: v for k, v in rep[key].items() if v}
            if dict(got) != want:
                print("group_cases by %s %s %s: %s, the plant's report %s" % (col, p[:8], m, dict(got), want))
                bad += 1
        # The group report: each plant's figures are its own report's.
        grp = json.load(open("%s/group-%s.json" % (t, m)))
        mine = [x for x in grp["plants"] if x["plant"] == p]
        if len(mine) != 1:
            print("group report %s: plant %s appears %d times" % (m, p[:8], len(mine)))
            bad += 1
            continue
        for k in ("opened", "closed", "open_at_end", "on_time_counts", "on_time_rate",
                  "time_to_close_hours", "satisfaction_unrecorded", "trend"):
            if mine[0][k] != rep[k]:
                print("group report %s %s %s: %s, the plant's report %s" % (p[:8], m, k, mine[0][k], rep[k]))
                bad += 1
        for k in ("by_severity", "by_customer", "by_part", "by_channel", "by_validity",
                  "by_responsible_dept", "satisfaction"):
            if {a: b for a, b in mine[0][k].items() if b} != {a: b for a, b in rep[k].items() if b}:
                print("group report %s %s %s: %s, the plant's report %s" % (p[:8], m, k, mine[0][k], rep[k]))
                bad += 1
        if [x["number"] for x in mine[0]["overdue"]] != [x["number"] for x in rep["overdue"]]:
            print("group report %s %s overdue: %s, the plant's %s" % (p[:8], m, mine[0]["overdue"], rep["overdue"]))
            bad += 1
        if m == "2026-01" and p == plants[1] and not rep["on_time_counts"]["response"]["on_time"]:
            print("2026-01 of plant B has no limit met on time: the comparison proves little")
            bad += 1
        if m == "2025-03" and not rep["overdue"]:
            print("2025-03 of %s has no overdue limits: the comparison proves nothing" % p[:8])
            bad += 1
        if rep["opened"] == 0 and m.startswith("2025"):
            print("month %s of %s has no cases: the comparison proves nothing" % (m, p[:8]))
            bad += 1
for m in months:
    grp = json.load(open("%s/group-%s.json" % (t, m)))
    if len(grp["overdue"]) != sum(len(x["overdue"]) for x in grp["plants"]):
        print("group report %s: %d overdue, not the plants' sum" % (m, len(grp["overdue"])))
        bad += 1
    for k in ("opened", "closed", "open_at_end"):
        if grp[k] != sum(x[k] for x in grp["plants"]):
            print("group report %s %s: %s is not the plants' sum" % (m, k, grp[k]))
            bad += 1
    only = json.load(open("%s/groupb-%s.json" % (t, m)))
    if [x["plant"] for x in only["plants"]] != [plants[1]] or only["opened"] != only["plants"][0]["opened"]:
        print("group report --plant %s: %s" % (m, [x["plant"] for x in only["plants"]]))
        bad += 1
sys.exit(1 if bad else 0)
EOF
# The same part and defect in both plants.
[[ $(sql "SELECT plants FROM capa.group_recurrence WHERE part_no = 'PCB-7731' AND defect_code = 'SOLDER-BRIDGE'") == 2 ]] ||
    fail "group_recurrence lacks PCB-7731 / SOLDER-BRIDGE across the two plants"

# ---- the group report's per-plant columns, in every format, equal each plant's own report ----
# (issue 20: "the same figures and formats as a plant's report, plus per-plant columns").
orgA=$(sql "SELECT org FROM capa.plants WHERE plant = '$PA'")
orgB=$(sql "SELECT org FROM capa.plants WHERE plant = '$PB'")
for m in $months; do
    run 0 "" report monthly --group "$PG" --month "$m" --format csv -o "$T/group-$m.csv"
    run 0 "" report monthly --group "$PG" --month "$m" --format xlsx -o "$T/group-$m.xlsx"
done
CAPA_DB=$A run 0 "" report monthly --group "$PG" --month 2025-03 --format pdf -o "$T/group.pdf"
pdftotext -layout "$T/group.pdf" "$T/group.txt"
/usr/bin/python3 - "$T" "$PA" "$PB" "$orgA" "$orgB" "$N1" "$NB" $months <<'EOF' || fail "the group report's per-plant columns differ from the plants' own reports"
import csv, json, re, sys, openpyxl
t, pa, pb, oa, ob, n1, nb = sys.argv[1:8]
months = sys.argv[8:]
bad = 0
def want_rows(rep):
    """(section, key) -> the figure as the plant's own JSON says it."""
    w = {}
    for k in ("opened", "closed", "open_at_end", "satisfaction_unrecorded", "second_rounds"):
        w[(k, "")] = float(rep[k])
    for sec in ("by_severity", "by_channel", "by_customer", "by_part", "by_validity",
                "by_responsible_dept", "satisfaction"):
        for k, v in rep[sec].items():
            w[(sec, k)] = float(v)
    for x in rep["by_defect"]:
        w[("by_defect", x["code"])] = float(x["count"])
    for k in ("mean", "median"):
        w[("time_to_close_hours", k)] = rep["time_to_close_hours"][k]
    for k, v in rep["on_time_rate"].items():
        w[("on_time_rate", k)] = v
    for x in rep["trend"]:
        w[("trend_opened", x["month"])] = float(x["opened"])
        w[("trend_closed", x["month"])] = float(x["closed"])
    return w
def differs(c, v):
    if v is None:
        return c not in ("", None)
    return c in ("", None) or float(c) != v
for m in months:
    reps = [json.load(open("%s/rep-%s-%s.json" % (t, p, m))) for p in (pa, pb)]
    raw = open("%s/group-%s.csv" % (t, m), "rb").read()
    if not raw.startswith(b"\xef\xbb\xbf"):
        print("group CSV %s: no BOM" % m); bad += 1
    rows = list(csv.reader(open("%s/group-%s.csv" % (t, m), newline="", encoding="utf-8-sig")))
    if rows[0] != ["section", "key", "value", "percent", oa, ob]:
        print("group CSV %s header: %s" % (m, rows[0])); bad += 1
    ws = openpyxl.load_workbook("%s/group-%s.xlsx" % (t, m)).active
    x = [list(r) for r in ws.iter_rows(values_only=True)]
    if [c for c in x[0][4:] if c is not None] != [oa, ob]:
        print("group xlsx %s header: %s" % (m, x[0])); bad += 1
    for col, rep in enumerate(reps):
        w = want_rows(rep)
        got_csv = {(r[0], r[1]): r[4 + col] for r in rows[1:]}
        got_x = {(r[0], r[1] or ""): (r[4 + col] if len(r) > 4 + col else None) for r in x[1:]}
        for k, v in w.items():
            # A choice no plant of the group saw this month (0 in a plant's own report, which
            # lists every choice of its form) has no row: the database knows only values seen.
            if v == 0 and k not in got_csv and (k[0].startswith("by_") or k[0] == "satisfaction"):
                continue
            if differs(got_csv.get(k), v):
                print("group CSV %s %s %s: %r, the plant's own report %r" % (m, "AB"[col], k, got_csv.get(k), v)); bad += 1
            if differs(got_x.get(k), v):
                print("group xlsx %s %s %s: %r, the plant's own report %r" % (m, "AB"[col], k, got_x.get(k), v)); bad += 1
        if m == "2025-03" and not w[("opened", "")]:
            print("2025-03 of plant %s has no cases: the comparison proves nothing" % "AB"[col]); bad += 1
# The group's recurrence across plants: B's case of PCB-7731 / SOLDER-BRIDGE this month recurs
# A's, in the JSON and the CSV, as a plant report lists its recurrences.
m = months[-1]
g = json.load(open("%s/group-%s.json" % (t, m)))
key = "%s %s" % (ob, nb)
if key not in g["recurrences"] or ("%s %s" % (oa, n1)) not in g["recurrence_of"].get(key, []):
    print("group report %s: %s is not a recurrence of %s %s: %s" % (m, key, oa, n1, g["recurrence_of"])); bad += 1
if not any(r[:2] == ["recurrence", key] for r in csv.reader(open("%s/group-%s.csv" % (t, m), encoding="utf-8-sig"))):
    print("group CSV %s: no recurrence row for %s" % (m, key)); bad += 1
# The PDF: the per-plant table's Opened line has the group's figure then each plant's.
txt = open(t + "/group.txt", encoding="utf-8").read()
reps = [json.load(open("%s/rep-%s-2025-03.json" % (t, p))) for p in (pa, pb)]
grp = json.load(open("%s/group-2025-03.json" % t))
if "Per plant" not in txt:
    print("the group PDF has no per-plant table"); bad += 1
line = [l for l in txt.splitlines() if re.match(r"\s*新增 Opened\s", l)]
want = [grp["opened"], reps[0]["opened"], reps[1]["opened"]]
if not line or [int(v) for v in line[0].split()[2:]] != want:
    print("the group PDF's per-plant Opened line: %s, want %s" % (line, want)); bad += 1
sys.exit(1 if bad else 0)
EOF
qpdf --check "$T/group.pdf" >/dev/null || fail "qpdf --check rejects the group PDF"

# ---- read-only role: the views, nothing else ------------------------------------------------
sql "CREATE ROLE bi LOGIN IN ROLE capa_reader" >/dev/null
RO="host=$PGD user=bi dbname=postgres"
[[ $(psql "$RO" -X -At -c "SELECT count(*) FROM capa.group_cases") -gt 1000 ]] ||
    fail "capa_reader cannot read group_cases"
psql "$RO" -X -At -c "SELECT count(*) FROM capa.events" >/dev/null 2>"$T/ro.err" &&
    fail "capa_reader read the events table"
grep -q "permission denied" "$T/ro.err" || fail "capa_reader: $(cat "$T/ro.err")"
psql "$RO" -X -At -c "DELETE FROM capa.group_cases" >/dev/null 2>&1 &&
    fail "capa_reader deleted through a view"

# ---- restored from an older backup and written to: refused, naming the sequence -----------
export CAPA_DB=$B
run 0 "" backup "$T/bk"
bk_head=$(events_of "$B")
as wang 0 set "$NB" containment="换货"
run 0 "" publish --pg "$PG"
run 0 "" restore "$T/bk" --db "$T/restored"
export CAPA_DB=$T/restored
as wang 0 set "$NB" containment="返工"
# What PostgreSQL holds of plant B: its row, its events, its cases' records.
pg_state() {
    sql "SELECT p::text FROM capa.plants p WHERE plant = '$PB'
         UNION ALL SELECT md5(string_agg(e::text, '' ORDER BY seq)) FROM capa.events e WHERE plant = '$PB'
         UNION ALL SELECT md5(string_agg(c::text, '' ORDER BY number)) FROM capa.cases c WHERE plant = '$PB'"
}
before=$(pg_state)
run 1 "" publish --pg "$PG"
err_has "event $((bk_head + 1)) differs from the one published"
err_has "nothing sent"
[[ $(pg_state) == "$before" ]] ||
    fail "a refused publish changed PostgreSQL"
echo "ok publish"
