# browser_walk.py - run by browser.sh (not a test by itself): a real Chromium (Debian's
# chromium + chromium-driver, driven by python3-selenium) walks a complaint through all six
# stages of capa serve at $B as six different users, on a 10-inch tablet viewport (1280x800,
# touch): a field error shown next to its field with the values kept, a repeating group row
# added with the page's script, a wrong signing password, a rejection with its reason, the
# signing dialog's data hash (the one the signature then carries), the dossier downloaded, and
# a POST with a forged CSRF token refused. Every page is checked for what a tablet needs (no
# sideways scrolling of the page, touch targets at least 44 px high), for requests to anything
# but the server itself and for Content-Security-Policy violations; a screenshot is taken at
# every stage into $SHOTS. The dashboard, the list, the case page, every stage's form and the
# signing dialog are also checked at 1366x900 (office screen) and 768x1024 (tablet upright):
# no sideways scrolling, touch targets. Every stage's form and the case page show the fields
# in the order of the form definition (forms/*.xml under $CAPA_SRC). Exit 77 (skipped) only
# when Chromium cannot start.
import json
import os
import re
import sys
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import browser_lib as bl  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

B, SHOTS, DL = bl.B, bl.SHOTS, bl.DL
# The printed names of serve.bash's users (every page shows who is signed in by name).
NAMES = {"li": "李娜", "wang": "王伟", "chen": "陈静", "zhao": "赵强", "sun": "孙立", "zhou": "周审"}
W, H = int(os.environ.get("VIEW_W", "1280")), int(os.environ.get("VIEW_H", "800"))
# A 10-inch tablet: exactly 1280x800 CSS pixels, touch; every page checked at W x H, and
# check_sizes also at bl.SIZES. Screenshots of the viewport, named with it.
d = bl.start((W, H), full_page=False)
fail, check_page, check_axe, click_load = bl.fail, bl.check_page, bl.check_axe, bl.click_load
PW, text, want_text = bl.PW, bl.text, bl.want_text


def check_sizes(name):
    """check_page at every size the pages are made for, then back to W x H; axe-core once."""
    bl.check_sizes(name, reload=False)


NS = {"f": "urn:capa:form:1"}


def definition_order(stage):
    """The control names of a stage's form in the definition's order (a group's columns as
    the names of its first row)."""
    root = ET.parse(os.path.join(os.environ["CAPA_SRC"], "forms", stage + ".xml")).getroot()
    names = []
    for el in root:
        tag = el.tag.split("}")[-1]
        if tag == "field":
            names.append(el.get("id"))
        elif tag == "group":
            names += ["%s.1.%s" % (el.get("id"), c.get("id")) for c in el.findall("f:field", NS)]
    return names


def check_form_order(stage):
    shown = [n[2:] for n in d.execute_script(
        "return [...document.querySelectorAll('form [name^=\"f.\"]')].map(e => e.name)")]
    shown = [n for n in shown if not re.match(r"^\w+\.([2-9]|\d\d+)\.", n)]
    if shown != definition_order(stage):
        fail("%s form: fields %s, the definition has %s" % (stage, shown, definition_order(stage)))


def check_case_order():
    """On the case page every stage lists its fields in the definition's order."""
    for sec in d.find_elements(By.CSS_SELECTOR, "section.stage"):
        stage = sec.get_attribute("id")[len("stage-"):]
        want = [n.split(".")[0] for n in definition_order(stage)]
        shown = [e.get_attribute("data-field") for e in sec.find_elements(By.CSS_SELECTOR, "[data-field]")]
        pos = [want.index(f) for f in shown if f in want]
        if not shown and "unreached" not in sec.get_attribute("class"):
            fail("case page, %s: a reached stage shows no field" % stage)
        if pos != sorted(pos) or len(pos) != len(shown):
            fail("case page, %s: fields %s not in the definition's order %s" % (stage, shown, want))


def login(user):
    bl.login(user)
    want_text("等待我处理 / Waiting for me", NAMES[user])


def fill(name, value):
    el = d.find_element(By.NAME, "f." + name)
    if el.tag_name == "select":
        Select(el).select_by_value(value)
    elif el.get_attribute("type") == "date":
        d.execute_script("arguments[0].value = arguments[1]", el, value)
    else:
        el.clear()
        el.send_keys(value)


def submit_form(action_suffix):
    click_load(d.find_element(By.CSS_SELECTOR, "form[action$='%s'] button[type=submit]" % action_suffix))


def edit(number, values, shot):
    d.get(B + "/cases/" + number + "/edit")
    check_form_order(case_json(number)["stage"])
    check_sizes(shot + "-form")
    for k, v in values.items():
        fill(k, v)
    check_page(shot)
    submit_form("/edit")
    if d.current_url != B + "/cases/" + number:
        fail("edit %s: %s\n%s" % (number, d.current_url, text()[:1500]))


def sign(number, shot, password=None):
    d.get(B + "/cases/" + number + "/sign")
    shown = d.find_element(By.ID, "data-hash").text
    if len(shown) != 64:
        fail("the dialog shows no data hash: %r" % shown)
    want_text("再次输入密码（电子签名） / Password again (electronic signature)")
    check_sizes(shot)
    form = d.find_element(By.CSS_SELECTOR, "form[action$='/sign']")
    form.find_element(By.NAME, "password").send_keys(password or PW(user[0]))
    click_load(form.find_element(By.TAG_NAME, "button"))
    return shown


def case_json(number):
    d2 = os.popen("'%s' show '%s' --json" % (os.environ["CAPA"], number)).read()
    return json.loads(d2)


user = [None]


def as_user(u):
    user[0] = u
    login(u)


# ---- li (intake): a new complaint, first with a field error
as_user("li")
check_sizes("dashboard-li")
click_load(d.find_element(By.LINK_TEXT, "新投诉 / New complaint"))
check_form_order("intake")
fill("customer", "华东汽车 <script>alert(1)</script>")
fill("part_no", "PCB-7731")
fill("qty_affected", "一百二十")
fill("severity", "important")
fill("description", "焊点连锡\n客户来料检验发现")
fill("received_date", "2026-11-20")
check_page("new-complaint")
submit_form("/cases/new")
err = d.find_elements(By.CSS_SELECTOR, "[name='f.qty_affected'] + .fielderr, .fielderr")
if not err or "integer" not in err[0].text:
    fail("no field error next to qty_affected: %s" % [e.text for e in err])
if d.find_element(By.NAME, "f.customer").get_attribute("value") != "华东汽车 <script>alert(1)</script>":
    fail("entered value not kept")
check_page("new-complaint-error")
fill("qty_affected", "120")
submit_form("/cases/new")
if "/cases/QC-" not in d.current_url:
    fail("no case opened: %s" % d.current_url)
N = d.current_url.rsplit("/", 1)[1]
want_text(N, "华东汽车 <script>alert(1)</script>", "焊点连锡")
check_case_order()
check_sizes("case-opened")

# ---- a forged CSRF token is refused (403) and changes nothing
d.get(B + "/cases/" + N + "/edit")
d.execute_script("""document.querySelector('form[action$="/edit"] input[name=csrf]').value = '0'.repeat(64)""")
fill("lot_no", "FORGED")
submit_form("/edit")
want_text("CSRF")
if case_json(N)["stages"][0]["values"].get("lot_no"):
    fail("a forged CSRF token changed the case")
check_page("csrf-refused")

# ---- wang (qe): classify and contain, wrong signing password, then sign
as_user("wang")
# a sign-off refused (validity and containment still empty) in the reader's language: the
# fields by their labels, what to click; the zh page without English rule text, the en page
# without Chinese; neither names a terminal command
for lang in ("zh", "en"):
    d.get(B + "/cases/" + N + "/sign?lang=" + lang)
    form = d.find_element(By.CSS_SELECTOR, "form[action$='/sign']")
    form.find_element(By.NAME, "password").send_keys(PW("wang"))
    click_load(form.find_element(By.TAG_NAME, "button"))
    said = " ".join(e.text for e in d.find_elements(By.CSS_SELECTOR, ".alert-danger"))
    if re.search(r"capa (help|set|sign|reject|open|show|user|list)\b", text()) or "`" in said:
        fail("%s: the refused sign-off names a command: %s" % (lang, said))
    if lang == "zh" and not ("有效性" in said and "围堵措施" in said and "点击" in said):
        fail("zh: the refusal does not name the labels and what to click: %r" % said)
    if lang == "zh" and re.search(r"[A-Za-z]{3,}", said):
        fail("zh: English in the refusal: %r" % said)
    if lang == "en" and ("Still to fill in before sign-off: Validity, Containment" not in said or
                         re.search(r"[\u4e00-\u9fff]", said)):
        fail("en: the refusal is not English: %r" % said)
    check_sizes("intake-sign-refused-" + lang)
d.get(B + "/?lang=both")
if case_json(N)["stage"] != "intake":
    fail("a refused sign-off moved the case")
edit(N, {"validity": "valid", "containment": "库存隔离 3 批，全检"}, "intake-edit")
sign(N, "intake-sign-dialog", password="not-my-password")
want_text("wrong password")
check_page("intake-sign-wrong-password")
time.sleep(float(os.environ.get("PAUSE", "1.2")))  # the pause after a wrong password
shown = sign(N, "intake-sign")
c = case_json(N)
if c["stage"] != "analysis" or c["signatures"][0]["data_hash"] != shown:
    fail("intake sign-off: %s" % c["signatures"])

# ---- analysis: wang fills the 5-Why with a second row added by the page's script
d.get(B + "/cases/" + N + "/edit")
check_form_order("analysis")
check_sizes("analysis-form")
fill("five_why.1.why", "为何连锡")
fill("five_why.1.because", "钢网开口偏大")
d.find_element(By.CSS_SELECTOR, "button.addrow[data-group='g-five_why']").click()
fill("five_why.2.why", "为何开口偏大")
fill("five_why.2.because", "设计未评审")
fill("category_6m", "method")
fill("root_cause_occurrence", "钢网开口设计偏大 0.05 mm")
fill("root_cause_escape", "AOI 程序未覆盖该位置")
check_page("analysis-edit")
submit_form("/edit")
v = case_json(N)["stages"][1]["values"]
if v.get("five_why.2.because") != "设计未评审":
    fail("the added row was not saved: %s" % v)
as_user("chen")
sign(N, "analysis-sign")

# ---- action: wang proposes, zhao (production manager) rejects with a reason, then approves
as_user("wang")
edit(N, {"corrective_actions.1.action": "钢网开口缩小 10%", "corrective_actions.1.owner": "sun",
         "corrective_actions.1.due": "2026-12-05", "corrective_actions.1.error_proofing": "none",
         "corrective_actions.1.error_proofing_reason": "test",
         "corrective_actions.1.control_plan_ref": "CP-1",
         "corrective_actions.1.control_plan_rev_before": "A",
         "corrective_actions.1.control_plan_rev_after": "B"}, "action-edit")
as_user("zhao")
d.get(B + "/cases/" + N + "/sign")
form = d.find_element(By.CSS_SELECTOR, "form[action$='/reject']")
form.find_element(By.NAME, "reason").send_keys("缺少预防措施")
form.find_element(By.NAME, "password").send_keys(PW("zhao"))
check_page("action-reject")
click_load(form.find_element(By.TAG_NAME, "button"))
c = case_json(N)
if c["stage"] != "analysis" or c["signatures"][-1]["reason"] != "缺少预防措施":
    fail("rejection: %s" % c["signatures"][-1])
d.get(B + "/cases/" + N + "?lang=en")
want_text("Rejected", "缺少预防措施")
check_page("rejected")
as_user("chen")
sign(N, "analysis-sign-again")
as_user("wang")
edit(N, {"preventive_actions.1.action": "更新钢网设计规范", "preventive_actions.1.owner": "wang",
         "preventive_actions.1.due": "2026-12-20"}, "action-edit-again")
as_user("zhao")
sign(N, "action-approve")

# ---- rework (sun), verification (wang), archive (wang fills, chen closes)
as_user("sun")
edit(N, {"disposition": "rework", "rework_mode": "in_house", "rework_order": "RW-2026-0088",
         "qty_reworked": "120", "qty_scrapped": "0", "qty_received": "120"}, "rework-edit")
sign(N, "rework-sign")
as_user("wang")
edit(N, {"method": "复检 + 批量验证", "sample_size": "200", "result": "pass",
         "evidence": "连续 3 批 0 不良"}, "verification-edit")
sign(N, "verification-sign")
edit(N, {"customer_reply": "已回复客户 8D 报告", "follow_up_date": "2026-12-28", "follow_up_by": "wang",
         "satisfaction": "satisfied", "lessons_learned": "钢网设计评审加入开口检查",
         "documents_updated": "WI-SMT-012 rev C"}, "archive-edit")
as_user("chen")
sign(N, "archive-close")
c = case_json(N)
if not c["closed"] or len(c["signatures"]) != 8:
    fail("not closed with 8 signatures: %s" % [(g["stage"], g["meaning"]) for g in c["signatures"]])

# ---- zhou (auditor): read-only case page, the signed dossier downloaded
as_user("zhou")
d.get(B + "/cases/" + N)
want_text("已结案 / Closed")
if d.find_elements(By.CSS_SELECTOR, "a[href$='/edit'], a[href$='/sign']"):
    fail("the auditor is offered a change")
check_case_order()
check_sizes("auditor-case")
d.find_element(By.CSS_SELECTOR, "a[href$='/dossier.pdf']").click()
pdf = os.path.join(DL, N + ".pdf")
for _ in range(200):
    if os.path.exists(pdf) and not os.path.exists(pdf + ".crdownload"):
        break
    time.sleep(0.1)
if not os.path.exists(pdf) or not open(pdf, "rb").read(5) == b"%PDF-":
    fail("no dossier downloaded: %s" % os.listdir(DL))
d.get(B + "/cases?lang=both")
want_text(N)
check_sizes("list")


def board(status):
    """The board as shown: (column heading, its count, the case numbers of its cards) each;
    the total above it."""
    d.get(B + "/cases?view=board&lang=both" + ("&status=" + status if status else ""))
    cols = d.execute_script("""
        return [...document.querySelectorAll('section.board-col')].map(c => [
          c.querySelector('h2').firstChild.textContent.trim(),
          +c.querySelector('h2 .badge').textContent,
          [...c.querySelectorAll('.board-card a')].map(a => a.textContent.trim())]);""")
    return cols, int(d.find_element(By.CSS_SELECTOR, "strong.total").text)


# The board shows what the status filter asks for, at every size: "All" (the default) and
# "Closed" have the closed case in a column of closed cases after the stages, "Open" has it
# nowhere; the total is the cards shown (each column's count, every card on it).
for w, h in bl.SIZES + [bl.opt["size"]]:
    bl.set_size(w, h)
    for status, on_it in (("", True), ("closed", True), ("open", False)):
        cols, total = board(status)
        where = [c[0] for c in cols if N in c[2]]
        if where != (["已结案 / Closed"] if on_it else []):
            fail("board status=%r at %dx%d: case %s in %s" % (status, w, h, N, where or "no column"))
        if cols[-1][0] != "已结案 / Closed" if on_it else any(c[0] == "已结案 / Closed" for c in cols):
            fail("board status=%r: columns %s" % (status, [c[0] for c in cols]))
        if total != sum(c[1] for c in cols) or any(c[1] != len(c[2]) for c in cols):
            fail("board status=%r: total %d, columns %s" % (status, total, cols))
        sel = d.find_element(By.ID, "q-status").get_attribute("value")
        if sel != status:
            fail("board status=%r: the status filter shows %r" % (status, sel))
    bl.check_page("board-%dx%d" % (w, h), w)
bl.set_size(*bl.opt["size"])
d.get(B + "/cases?view=board&lang=both")
check_sizes("board")
d.get(B + "/?lang=both")
check_sizes("dashboard-auditor")
d.quit()
print("browser: %d pages checked, screenshots in %s, dossier %s" % (bl.step[0], SHOTS, pdf))
print("browser: axe-core %s" % ("clean (no serious or critical violation) on: " + ", ".join(bl.axe_pages)
                                if bl.AXE else "not run"))
