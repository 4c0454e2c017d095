#!/usr/bin/env bash
# compliance_map.sh - docs/compliance.md stays true (issue 19): every clause of 21 CFR Part 11
# (11.10 (a)-(k), 11.50, 11.70, 11.100, 11.200, 11.300), EU GMP Annex 11 (§§ 4, 7, 9, 12, 14),
# IATF 16949 §10.2.3-10.2.6, ISO 9001 §10.2 and ISO 10002 §§ 8-9 has a row; every test a row
# names exists (tests/... files; `file.c:name` must be a Check test START_TEST(name) of that
# file, `NAME` alone a ctest name); a row without a test says "organisational — the plant's
# procedure" or is marked not built; and the `capa validate` checks the rows name are exactly
# those `capa validate --list` runs for each clause, both ways.
source "$(dirname "$0")/common.bash"
SRC=${CAPA_SRC:?CAPA_SRC must name the source tree (ctest sets it)}

run 0 "" validate --list
printf '%s\n' "$OUT" >"$T/list"
ctest_names=""
if [[ -n ${CAPA_BUILD:-} && -d $CAPA_BUILD ]]; then
    ctest_names=$(ctest --test-dir "$CAPA_BUILD" -N 2>/dev/null | sed -n 's/^ *Test *#[0-9]*: //p')
fi
printf '%s\n' "$ctest_names" >"$T/ctests"

python3 - "$SRC" "$SRC/docs/compliance.md" "$T/list" "$T/ctests" <<'EOF'
import os, re, sys

src, doc, listing, ctests = sys.argv[1:5]
ctest_names = set(l.strip() for l in open(ctests, encoding="utf-8") if l.strip())
errors = []

# What must have a row: exact clauses, or a prefix any row's clause must start with.
required = {
    "Part 11": ["11.10(%s)" % c for c in "abcdefghijk"] + ["11.50", "11.70", "11.100*",
                                                          "11.200*", "11.300*"],
    "Annex 11": ["4*", "7*", "9*", "12*", "14*"],
    "IATF 16949": ["10.2.3", "10.2.4", "10.2.5", "10.2.6"],
    "ISO 9001": ["10.2*"],
    "ISO 10002": ["8.%d" % i for i in range(1, 10)] + ["9.%d" % i for i in range(1, 8)],
}
headings = {"21 CFR Part 11": "Part 11", "EU GMP Annex 11": "Annex 11",
            "IATF 16949": "IATF 16949", "ISO 9001": "ISO 9001", "ISO 10002": "ISO 10002"}

rows = {}      # (standard, clause) -> cells
std = None
for n, line in enumerate(open(doc, encoding="utf-8"), 1):
    if line.startswith("## "):
        std = headings.get(line[3:].strip())
        continue
    m = re.match(r"\|\s*\*\*([^*]+)\*\*\s*\|", line)
    if not m:
        continue
    if std is None:
        errors.append("line %d: a clause row outside a standard's section" % n)
        continue
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) != 6:
        errors.append("line %d: %d cells, want 6 (clause, asks, feature, proved by, "
                      "validate, status)" % (n, len(cells)))
        continue
    clause = m.group(1).strip()
    if (std, clause) in rows:
        errors.append("line %d: %s %s has two rows" % (n, std, clause))
    rows[(std, clause)] = (n, cells)

for s, want in required.items():
    have = [c for (t, c) in rows if t == s]
    for w in want:
        ok = any(c.startswith(w[:-1]) for c in have) if w.endswith("*") else w in have
        if not ok:
            errors.append("%s %s: no row" % (s, w.rstrip("*")))

check_tests = {}
def check_names(path):
    if path not in check_tests:
        text = open(path, encoding="utf-8").read()
        check_tests[path] = set(re.findall(r"START_TEST\((\w+)\)", text))
    return check_tests[path]

n_refs = 0
doc_checks = {}  # (std, clause) -> set of validate checks
for (s, clause), (n, cells) in rows.items():
    where = "line %d (%s %s)" % (n, s, clause)
    proved, checks, status = cells[3], cells[4], cells[5]
    refs = re.findall(r"`([^`]+)`", proved)
    if not refs:
        if "organisational — the plant's procedure" not in proved and \
                "not on main" not in status and proved != "-":
            errors.append(where + ": names no test and does not say it is organisational")
        if proved == "-" and "not on main" not in status:
            errors.append(where + ": '-' for a test is only for what is not built yet")
    if "organisational — the plant's procedure" in proved and "organisational" not in status:
        errors.append(where + ": organisational row with status '%s'" % status)
    for r in refs:
        n_refs += 1
        if r.startswith("tests/"):
            path, _, name = r.partition(":")
            full = os.path.join(src, path)
            if not os.path.isfile(full):
                errors.append(where + ": %s does not exist" % path)
                continue
            if name and name not in check_names(full):
                errors.append(where + ": %s has no Check test %s" % (path, name))
        elif r not in ctest_names:
            errors.append(where + ": `%s` is neither a file under tests/ nor a ctest" % r)
    names = set() if checks == "-" else set(x.strip() for x in checks.split(","))
    doc_checks[(s, clause)] = names

# capa validate --list: "CHECK<TAB>summary<TAB>STD CLAUSE; STD CLAUSE; ..."
run_checks = {}
for line in open(listing, encoding="utf-8"):
    parts = line.rstrip("\n").split("\t")
    if len(parts) != 3:
        continue
    for c in parts[2].split("; "):
        for s in required:
            if c.startswith(s + " "):
                run_checks.setdefault((s, c[len(s) + 1:]), set()).add(parts[0])
                break
        else:
            errors.append("validate --list: check %s names '%s', no standard of the map"
                          % (parts[0], c))
if not run_checks:
    errors.append("validate --list printed no checks")
for key in set(doc_checks) | set(run_checks):
    d, r = doc_checks.get(key, set()), run_checks.get(key, set())
    if key not in rows:
        errors.append("validate runs %s for %s %s, which has no row" % (sorted(r), *key))
    elif d != r:
        errors.append("%s %s: the map names validate checks %s, capa validate --list runs %s"
                      % (key[0], key[1], sorted(d), sorted(r)))

if errors:
    print("\n".join(errors), file=sys.stderr)
    sys.exit(1)
print("compliance map: %d rows, %d tests named, %d clauses checked by capa validate"
      % (len(rows), n_refs, sum(1 for v in doc_checks.values() if v)))
EOF
