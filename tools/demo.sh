#!/usr/bin/env bash
# demo.sh - walk realistic bilingual cases through all six stages with the real capa binary.
#
#   tools/demo.sh            # database in ./var (or $CAPA_DB); binary build/tools/capa/capa
#   CAPA=/path/to/capa CAPA_DB=/tmp/demo tools/demo.sh
#
# Cases: QC-2026-0001 is the acceptance walk of issue 3 (one rejection at action, closed);
# QC-2026-0002 is a second customer whose verification fails and loops back to action, and
# whose first follow-up is dissatisfied: it goes round again (二次处理, round 2) before it
# closes (its "verified" refused while the result is a fail); QC-2026-0003 is left open in
# analysis; QC-2026-0004 is an invalid complaint (无效投诉) that goes straight from intake to
# the archive, the stages between shown as skipped. Every command is printed before it runs.
# The demo recreates a database only if the demo created it (marker file .capa-demo); it
# never deletes anything else.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CAPA=${CAPA:-$here/build/tools/capa/capa}
DB=${CAPA_DB:-$PWD/var}
export CAPA_DB=$DB

if [[ ! -x $CAPA ]]; then
    echo "demo: no capa binary at $CAPA (build first: cmake -B build && cmake --build build)" >&2
    exit 1
fi
if [[ -e $DB ]]; then
    if [[ -f $DB/.capa-demo ]]; then
        rm -rf -- "$DB"
    elif [[ -n $(ls -A -- "$DB") ]]; then
        echo "demo: $DB exists and was not made by the demo; not touching it." >&2
        echo "demo: run with CAPA_DB=/some/other/dir $0" >&2
        exit 1
    fi
fi

# Demo passwords; real users are asked on the terminal (or pipe one line per password).
pw() { printf 'demo-%s-2026\n' "$1"; }

# Print a command the way a user would type it, quoting what needs quotes.
say() {
    local line="capa" a
    for a in "$@"; do
        # Quote only what the shell would misread; Chinese text needs no quotes.
        if [[ -n $a && $a != *[[:space:]\'\"\\\$\`\*\?\&\;\|\<\>\(\)\{\}\[\]\!\#\~]* ]]; then
            line+=" $a"
        else
            line+=" '${a//\'/\'\\\'\'}'"
        fi
    done
    printf '\n\033[1m$ %s\033[0m\n' "$line"
}

# capa ARGS...: show and run a read-only command.
capa() {
    say "$@"
    "$CAPA" "$@"
}

# as USER ARGS...: show and run a command as USER, the password piped on stdin.
as() {
    local user=$1
    shift
    say "$@" --as "$user" --password-stdin
    pw "$user" | "$CAPA" "$@" --as "$user" --password-stdin
}

# refused USER ARGS...: a command the workflow's rules refuse; the refusal is the point.
refused() {
    local user=$1
    shift
    say "$@" --as "$user" --password-stdin
    if pw "$user" | "$CAPA" "$@" --as "$user" --password-stdin; then
        echo "demo: expected capa $* to be refused" >&2
        exit 1
    fi
}

# as_admin_add ID ROLE NAME DEPT: admin's password, then the new user's.
add_user() {
    say user add "$1" --role "$2" --name "$3" --dept "$4" --as admin --password-stdin
    { pw admin; pw "$1"; } | "$CAPA" user add "$1" --role "$2" --name "$3" --dept "$4" \
        --as admin --password-stdin
}

# open_case VAR USER FIELD=VALUE...: open a case as USER; its number goes into VAR.
open_case() {
    local var=$1 user=$2 number
    shift 2
    say open --as "$user" --password-stdin "$@"
    number=$(pw "$user" | "$CAPA" open --as "$user" --password-stdin "$@")
    echo "$number"
    printf -v "$var" '%s' "$number"
}

section() { printf '\n\033[1;34m== %s\033[0m\n' "$*"; }

section "Database $DB: organisation and users (组织与用户)"
say init --org "示例电子有限公司" --password-stdin
pw admin | "$CAPA" init --org "示例电子有限公司" --password-stdin
touch "$DB/.capa-demo"
add_user li intake "李娜" "业务部"
add_user wang qe "王工" "品管部"
add_user chen qe_lead "陈主管" "品管部"
add_user zhao prod_mgr "赵经理" "生产部"
add_user sun production "孙班长" "生产部"
add_user zhou auditor "周审核" "审计部"
add_user liu production "刘师傅" "生产部"
capa user list

section "Case 1 (华东汽车): solder bridges; the action plan is rejected once (审查 N), then closed"
open_case c1 li customer="华东汽车" part_no=PCB-7731 \
    lot_no=L2026-1102 qty_affected=120 defect_code=SOLDER-BRIDGE severity=important \
    channel=written complaint_type=quality responsible_dept=生产部 \
    description="焊点连锡，客户来料检验发现"
as wang set "$c1" validity=valid containment="库存隔离 3 批，全检"
as wang sign "$c1" --meaning reviewed
as wang set "$c1" five_why.1.why="为何连锡" five_why.1.because="钢网开口偏大" \
    category_6m=method root_cause_occurrence="钢网开口设计偏大 0.05 mm" \
    root_cause_escape="AOI 程序未覆盖该位置"
as chen sign "$c1" --meaning reviewed
as wang set "$c1" corrective_actions.1.action="钢网开口缩小 10%" \
    corrective_actions.1.owner=sun corrective_actions.1.due=2026-12-05
as zhao reject "$c1" --reason "缺少预防措施"
as chen sign "$c1" --meaning reviewed
as wang set "$c1" preventive_actions.1.action="更新钢网设计规范" \
    preventive_actions.1.owner=wang preventive_actions.1.due=2026-12-20
# IATF 16949 §10.2.4 / 8D D7: the action's error-proofing and the documents it updates.
as wang set "$c1" corrective_actions.1.error_proofing=detection \
    corrective_actions.1.error_proofing_device="AOI 连锡检测程序 / AOI bridge check" \
    corrective_actions.1.pfmea_ref=PFMEA-SMT-01 corrective_actions.1.pfmea_rev_before=C \
    corrective_actions.1.pfmea_rev_after=D corrective_actions.1.control_plan_ref=CP-SMT-01 \
    corrective_actions.1.control_plan_rev_before=B corrective_actions.1.control_plan_rev_after=C
as zhao sign "$c1" --meaning approved
as sun set "$c1" disposition=rework rework_mode=in_house rework_order=RW-2026-0088 \
    qty_reworked=120 qty_scrapped=0 qty_received=120
as sun sign "$c1" --meaning done
as wang set "$c1" method="复检 + 批量验证" sample_size=200 result=pass evidence="连续 3 批 0 不良" \
    challenge_tests.1.device="AOI 连锡检测程序 / AOI bridge check" \
    challenge_tests.1.tested_at=2026-12-20T09:30+08:00 challenge_tests.1.tested_by=wang \
    challenge_tests.1.result=pass challenge_tests.1.note="连锡样板 5 次全部检出"
as wang sign "$c1" --meaning verified
as wang set "$c1" customer_reply="已回复客户 8D 报告" follow_up_date=2026-12-28 \
    follow_up_by=wang satisfaction=satisfied lessons_learned="钢网设计评审加入开口检查" \
    documents_updated="WI-SMT-012 rev C"
as chen sign "$c1" --meaning closed

section "Case 2 (南方家电 / Southern Appliances): outsourced rework fails verification, loops back; the customer is not satisfied: a second round (二次处理)"
open_case c2 li customer="南方家电" part_no=CN-2040-B \
    lot_no=L2026-1115 qty_affected=2400 defect_code=PIN-BENT severity=major channel=email \
    complaint_type=quality responsible_dept=外协组 subject_person=liu \
    description="连接器插针弯曲，整机装配时无法插入 / bent connector pins at final assembly"
as wang set "$c2" validity=valid \
    containment="在途 2 批拦截；客户处库存 100% 目检 / stop 2 lots in transit, sort stock at customer"
as wang sign "$c2" --meaning reviewed
as wang set "$c2" five_why.1.why="为何插针弯曲" five_why.1.because="包装托盘隔板缺失" \
    five_why.2.why="为何隔板缺失" five_why.2.because="外协包装作业指导书未规定" \
    category_6m=material root_cause_occurrence="托盘无隔板，运输振动致插针受压弯曲" \
    root_cause_escape="出货检验只抽外观，未做插拔测试"
as chen sign "$c2" --meaning reviewed
as wang set "$c2" corrective_actions.1.action="托盘增加隔板 / add separators to trays" \
    corrective_actions.1.owner=liu corrective_actions.1.due=2026-12-10 \
    preventive_actions.1.action="出货检验增加插拔测试" preventive_actions.1.owner=wang \
    preventive_actions.1.due=2026-12-18 corrective_actions.1.error_proofing=prevention \
    corrective_actions.1.error_proofing_device="托盘隔板定位 / tray separator fixture" \
    corrective_actions.1.control_plan_ref=CP-PK-04 corrective_actions.1.control_plan_rev_before=A \
    corrective_actions.1.control_plan_rev_after=B
as zhao sign "$c2" --meaning approved
as sun set "$c2" disposition=repair rework_mode=outsourced rework_order=RW-2026-0091 \
    qty_reworked=2400 qty_scrapped=35 qty_received=2365
as sun sign "$c2" --meaning done
as wang set "$c2" method="插拔测试 + 目检" sample_size=315 result=fail \
    evidence="抽检 315 件仍有 6 件插针歪斜 / 6 of 315 still bent"
refused wang sign "$c2" --meaning verified
as wang reject "$c2" --reason "外派返修后仍有不良，需追加措施 / still defective after outsourced repair"
as wang set "$c2" corrective_actions.2.action="返修后 100% 插拔测试再出货" \
    corrective_actions.2.owner=sun corrective_actions.2.due=2026-12-12 \
    corrective_actions.2.error_proofing=none \
    corrective_actions.2.error_proofing_reason="临时措施，人工全检 / interim 100 % manual test"
# No PFMEA / control-plan update for an interim action: refused until the quality lead
# signs a waiver (文件更新豁免) over the plan.
refused zhao sign "$c2" --meaning approved
as chen sign "$c2" --meaning waived --reason "临时措施，不更新 PFMEA/控制计划 / interim action"
as zhao sign "$c2" --meaning approved
as sun set "$c2" rework_mode=in_house qty_reworked=2365 qty_scrapped=41 qty_received=2324 \
    remarks="改为厂内返修 / repaired in house the second time"
as sun sign "$c2" --meaning done
as wang set "$c2" method="100% 插拔测试" sample_size=2324 result=pass evidence="2324 件全部合格" \
    challenge_tests.1.device="托盘隔板定位 / tray separator fixture" \
    challenge_tests.1.tested_at=2027-01-05T10:00+08:00 challenge_tests.1.tested_by=wang \
    challenge_tests.1.result=pass challenge_tests.1.note="缺隔板托盘被拦截 / tray without separator stopped"
as wang sign "$c2" --meaning verified
as wang set "$c2" customer_reply="8D 报告已邮件发送客户" follow_up_date=2027-01-08 \
    follow_up_by=chen satisfaction=dissatisfied lessons_learned="外协包装纳入供应商审核" \
    documents_updated="PK-OUT-004 rev B"
# 回访不满意 → 二次处理: the sign-off cannot close the case; it goes round again (round 2)
# from analysis, the first round's records and signatures kept.
as chen sign "$c2" --meaning closed
as wang set "$c2" five_why.3.why="为何隔板仍会移位" five_why.3.because="隔板未固定 / separators not fixed"
as chen sign "$c2" --meaning reviewed
as wang set "$c2" corrective_actions.3.action="隔板卡扣固定 / clip the separators" \
    corrective_actions.3.owner=liu corrective_actions.3.due=2027-01-15 \
    corrective_actions.3.error_proofing=prevention \
    corrective_actions.3.error_proofing_device="隔板卡扣 / separator clip" \
    corrective_actions.3.pfmea_ref=PFMEA-PK-04 corrective_actions.3.pfmea_rev_before=A \
    corrective_actions.3.pfmea_rev_after=B
# A waiver holds for the data it signed in its round: round 2 needs its own.
as chen sign "$c2" --meaning waived --reason "行 2 为临时措施 / row 2 is an interim action"
as zhao sign "$c2" --meaning approved
as sun sign "$c2" --meaning done
# Every error-proofing device needs its passed challenge-part test before "verified".
refused wang sign "$c2" --meaning verified
as wang set "$c2" challenge_tests.2.device="隔板卡扣 / separator clip" \
    challenge_tests.2.tested_at=2027-01-16T09:00+08:00 challenge_tests.2.tested_by=wang \
    challenge_tests.2.result=pass
as wang sign "$c2" --meaning verified
as wang set "$c2" follow_up_date=2027-01-20 satisfaction=partly customer_acceptance=accepted
as chen sign "$c2" --meaning closed

section "Case 3 (华东汽车): a new complaint, left open in analysis"
open_case c3 li customer="华东汽车" part_no=PCB-7731 \
    lot_no=L2026-1120 qty_affected=8 defect_code=COLD-JOINT severity=general channel=phone \
    complaint_type=quality description="客户电话反馈：个别焊点虚焊 / a few cold solder joints"
as wang set "$c3" validity=pending containment="客户处在库品抽检 / sample stock at customer"
as wang sign "$c3" --meaning reviewed
as wang set "$c3" five_why.1.why="为何虚焊" five_why.1.because="回流焊温度曲线待确认"

section "Case 4 (南方家电): an invalid complaint (无效投诉) goes straight to the archive"
open_case c4 li customer="南方家电" part_no=PWR-2200 lot_no=L2026-0907 qty_affected=1 \
    defect_code=NO-POWER severity=general channel=phone complaint_type=quality \
    description="客户反馈电源不工作 / power supply reported dead"
as wang set "$c4" validity=invalid \
    containment="无需围堵：现场确认为接线错误，非产品缺陷 / none: wired wrongly on site, no defect"
as wang sign "$c4" --meaning reviewed
refused chen sign "$c4" --meaning closed
as wang set "$c4" customer_reply="已向客户说明正确接线并回访确认 / explained the wiring, confirmed" \
    lessons_learned="说明书接线图加大加粗 / enlarge the wiring diagram in the manual"
as chen sign "$c4" --meaning closed
capa show "$c4" --lang en

section "Notices at every hand-over (通知): contacts, a group robot, the first-contact owner"
as wang user set wang --mobile 13800000002 --email wang@example.com
as admin user set chen --mobile 13800000003 --email chen@example.com
as li user set li --mobile 13800000001 --notify handover,closed,owner
# A WeCom robot on an address where nothing answers: the notices wait (capa notices --pending)
# until `capa deliver` finds a real one.
as admin config notify add plant-group --wecom "http://127.0.0.1:9/cgi-bin/webhook/send?key=demo"
capa config notify list
as chen owner "$c3" wang --reason "李娜休假，王工跟进 / li on leave, wang follows up"
capa notices --user wang
capa notices --pending

section "What the records say (查询与审计)"
capa list
capa list --open
capa list --customer 华东汽车 --text 连锡
capa show "$c1"
capa show "$c2" --lang en
capa log "$c2"
capa verify
capa info

section "Signed PDF dossiers for the auditor (8D 档案)"
mkdir -p "$DB/dossiers"
capa dossier "$c1" -o "$DB/dossiers/$c1.pdf"
capa dossier --all --closed-since 2000-01-01 -o "$DB/dossiers/"
printf '\nDemo database: %s (try: CAPA_DB=%q %s show %s --json)\n' "$DB" "$DB" "$CAPA" "$c1"
