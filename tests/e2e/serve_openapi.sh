#!/usr/bin/env bash
# serve_openapi.sh - docs/openapi.yaml against the real server: capa-serve serves it as
# /api/openapi.json, and openapi_check.py produces every documented path, method and status
# and validates each answer against the documented schema (and fails on any answer the
# document does not describe). Needs Debian's python3-jsonschema (tools/setup installs it).
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/serve.bash"
PY=/usr/bin/python3
$PY -c 'import jsonschema' 2>/dev/null || fail "python3-jsonschema is missing (tools/setup installs it)"
DOC=$(dirname "$0")/../../docs/openapi.yaml
serve_init_users

# A closed case (PATCH gives 409) and one waiting for approval in action (to reject).
walk_to() { # walk_to STAGE: a new case walked until it is in STAGE (or closed)
    as li 0 open customer=华东汽车 part_no=PCB-7731 qty_affected=120 defect_code=SOLDER-BRIDGE \
        severity=important description="焊点连锡"
    local n=$OUT
    as wang 0 set "$n" validity=valid containment="库存隔离"
    as wang 0 sign "$n" --meaning reviewed
    as wang 0 set "$n" five_why.1.why="为何连锡" five_why.1.because="钢网开口偏大" \
        category_6m=method root_cause_occurrence="钢网开口偏大" root_cause_escape="AOI 未覆盖"
    as chen 0 sign "$n" --meaning reviewed
    as wang 0 set "$n" corrective_actions.1.action="钢网开口缩小" corrective_actions.1.owner=sun \
        corrective_actions.1.due=2026-12-05 "${D7_OK[@]}" preventive_actions.1.action="更新规范" \
        preventive_actions.1.owner=wang preventive_actions.1.due=2026-12-20
    if [[ $1 != action ]]; then
        as zhao 0 sign "$n" --meaning approved
        as sun 0 set "$n" disposition=rework rework_mode=in_house rework_order=RW-1 \
            qty_reworked=120 qty_scrapped=0 qty_received=120
        as sun 0 sign "$n" --meaning done
        as wang 0 set "$n" method="复检" sample_size=200 result=pass evidence="0 不良"
        as wang 0 sign "$n" --meaning verified
        as wang 0 set "$n" customer_reply="已回复" follow_up_date=2026-12-28 follow_up_by=wang \
            satisfaction=satisfied lessons_learned="评审" documents_updated="WI rev C"
        as chen 0 sign "$n" --meaning closed
    fi
    WALKED=$n
}
# a contact: the hand-overs below derive notices (GET /api/v1/notices)
run 0 "$(pw admin)\n" user set wang --mobile +8613800000002 --as admin --password-stdin
walk_to closed; CLOSED=$WALKED
walk_to action; ACTION=$WALKED
run 0 "" show "$CLOSED" --json; json 'd["closed"] is True'
run 0 "" show "$ACTION" --json; json 'd["stage"] == "action"'

serve_start --max-body 65536 --auth-pause 1000
B=$B T=$T CLOSED=$CLOSED ACTION=$ACTION PAUSE=1.2 $PY "$(dirname "$0")/openapi_check.py" "$DOC" ||
    fail "the API does not answer as docs/openapi.yaml says"
# the store is sound after all of it
run 0 "" verify
echo "serve_openapi: ok"
