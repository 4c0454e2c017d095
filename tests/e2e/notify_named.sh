#!/usr/bin/env bash
# notify_named.sh - the people a case names for a stage are told when it gets there (the
# workflow's <stage tell>: in forms/workflow.xml the owners of the corrective and preventive
# actions when the approved plan reaches rework), derived by apply so verify rebuilds it;
# a locked or disabled owner, and the actor, are not told; and a store written before
# `tell` (tests/data/notices1, whose stored workflow has none) verifies unchanged, its old
# notices as they were, and goes on working.
source "$(dirname "$0")/common.bash"

# -- a new store: zhou (auditor, no role in rework) owns the preventive action ---------------
setup_users
N=QC-$Y-0001
as admin 0 user set zhou --mobile 13800000006
as li 0 open customer="华东汽车" part_no=PCB-7731 defect_code=SOLDER-BRIDGE severity=important \
    channel=written complaint_type=quality description="焊点连锡"
as wang 0 set "$N" validity=valid containment="库存隔离"
as wang 0 sign "$N" --meaning reviewed
as wang 0 set "$N" five_why.1.why="为何连锡" five_why.1.because="钢网开口偏大" category_6m=method \
    root_cause_occurrence="钢网开口偏大" root_cause_escape="AOI 未覆盖"
as chen 0 sign "$N" --meaning reviewed
as wang 0 set "$N" corrective_actions.1.action="钢网开口缩小" corrective_actions.1.owner=sun \
    corrective_actions.1.due=2026-12-05 corrective_actions.2.action="AOI 程序" \
    corrective_actions.2.owner=zhao corrective_actions.2.due=2026-12-06 \
    preventive_actions.1.action="更新规范" preventive_actions.1.owner=zhou \
    preventive_actions.1.due=2026-12-20 "${D7_OK[@]}" \
    corrective_actions.2.error_proofing=none corrective_actions.2.error_proofing_reason=test \
    corrective_actions.2.control_plan_ref=CP-2 corrective_actions.2.control_plan_rev_before=A \
    corrective_actions.2.control_plan_rev_after=B
as zhao 0 sign "$N" --meaning approved
run 0 "" notices --user zhou --json
json '[(x["kind"], x["stage"], [t["why"] for t in x["to"] if t["user"] == "zhou"]) for x in d] == [("stage", "rework", ["named"])]'
run 0 "" notices --user sun --json
json '[t["why"] for t in d[0]["to"] if t["user"] == "sun"] == ["sign,named"] and d[0]["stage"] == "rework"'
# zhao owns an action but approved the plan himself: not told of his own act
run 0 "" notices --user zhao --json
json 'not any(x["stage"] == "rework" for x in d)'
run 0 "" verify
# a disabled owner is told nothing: sent back to action and approved again
as sun 0 set "$N" disposition=rework rework_mode=in_house rework_order=RW-1 qty_reworked=1 \
    qty_scrapped=0 qty_received=1
as sun 0 sign "$N" --meaning done
as wang 0 set "$N" method="复检" sample_size=200 result=fail evidence="仍有不良"
as wang 0 reject "$N" --reason "验证不通过"
as admin 0 user disable zhou
as zhao 0 sign "$N" --meaning approved
run 0 "" notices --user zhou --json
json 'len(d) == 1' # the first only
run 0 "" notices --user sun --json
json 'd[0]["stage"] == "rework" and [t["why"] for t in d[0]["to"] if t["user"] == "sun"] == ["sign,named"]'
run 0 "" verify
# a workflow whose tell names no stage is refused with the rule
sed 's|tell="action.corrective_actions.owner|tell="nowhere.owner|' "$CAPA_SRC/forms/workflow.xml" >"$T/wf.xml"
grep -q 'tell="nowhere.owner' "$T/wf.xml" || fail "the test could not edit the workflow"
run 1 "" form check "$T/wf.xml"
grep -qF 'tell `nowhere.owner`' <<<"$OUT$ERR" || fail "the bad tell is not named: $OUT$ERR"

# -- a store from before tell ----------------------------------------------------------------
F=$CAPA_SRC/tests/data/notices1
export CAPA_DB=$T/old
mkdir -p "$CAPA_DB"
tar xzf "$F/store.tar.gz" -C "$CAPA_DB"
run 0 "" verify
[[ $OUT == "$(cat "$F/head.txt")" ]] || fail "the old store's head: $OUT"
run 0 "" notices --pending --json
printf '%s\n' "$OUT" | cmp -s - "$F/pending.json" || fail "the old store's notices changed"
# and it keeps working: the next hand-over is told, verify agrees
as sun 0 set QC-2026-0001 disposition=rework rework_mode=in_house rework_order=RW-1 \
    qty_reworked=1 qty_scrapped=0 qty_received=1
as sun 0 sign QC-2026-0001 --meaning done
run 0 "" notices --pending --json
json 'd[-1]["stage"] == "verification" and len(d) == 5'
run 0 "" verify
echo "notify_named: ok"
