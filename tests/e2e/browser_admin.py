# browser_admin.py - run by browser_admin.sh (not a test by itself): a real Chromium (Debian's
# chromium + chromium-driver, python3-selenium) walks the administration pages of capa serve
# at $B as the admin: unlock a locked user, add a user, change a role, a change refused for a
# wrong admin password (shown, nothing changed); import a CSV log whose one bad row the
# preview shows (row, column, value, rule) while the store stays byte for byte as it was
# until the import is confirmed; then a non-admin finds no Administration in the menu and is
# refused the pages. Every admin page is checked at 1366x900 and 768x1024 (no
# sideways scrolling, touch targets at least 44 px, nothing loaded from elsewhere, no CSP
# violation; axe-core when $AXE is set) and a screenshot of each goes to $SHOTS. Exit 77 only
# when Chromium cannot start.
import os
import subprocess
import sys
import time

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

B, SHOTS = os.environ["B"], os.environ["SHOTS"]
PW = lambda u: "pw-%s-e2e-2026" % u
SIZES = [(1366, 900), (768, 1024)]
AXE = os.environ.get("AXE")


def fail(msg):
    try:
        d.save_screenshot(os.path.join(SHOTS, "failure.png"))
        print("page at failure: %s\n%s" % (d.current_url, d.page_source[:3000]), file=sys.stderr)
    except Exception:
        pass
    print("FAIL browser_admin: " + msg, file=sys.stderr)
    sys.exit(1)


o = webdriver.ChromeOptions()
for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
          "--window-size=1366,900", "--lang=zh-CN", "--no-first-run"):
    o.add_argument(a)
o.binary_location = "/usr/bin/chromium"
o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
try:
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
except WebDriverException as e:
    print("SKIP browser_admin: chromium cannot start: %s" % str(e).strip().splitlines()[0],
          file=sys.stderr)
    sys.exit(77)
d.set_page_load_timeout(60)
d.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
step = [0]


def set_size(w, h):
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                      {"width": w, "height": h, "deviceScaleFactor": 1, "mobile": False})


def check_page(name, w, h):
    vw = d.execute_script("return window.innerWidth")
    if vw != w:
        fail("%s: viewport %d wide, want %d" % (name, vw, w))
    sw = d.execute_script("return document.documentElement.scrollWidth")
    if sw > vw:
        fail("%s: the page scrolls sideways (%d px wide in a %d px viewport)" % (name, sw, vw))
    small = d.execute_script("""
        return [...document.querySelectorAll('button, input:not([type=hidden]), select')]
          .filter(e => e.offsetParent !== null)
          .map(e => [e.outerHTML.slice(0, 80), e.getBoundingClientRect().height])
          .filter(x => x[1] < 44);""")
    if small:
        fail("%s: touch targets under 44 px: %s" % (name, small[:3]))
    foreign = d.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
        ".filter(n => !n.startsWith(location.origin))")
    if foreign:
        fail("%s: loads from elsewhere: %s" % (name, foreign))
    for entry in d.get_log("browser"):
        m = entry["message"]
        if "Content Security Policy" in m or entry["level"] == "SEVERE" and \
                "Failed to load resource" not in m:
            fail("%s: browser console: %s" % (name, m))
    step[0] += 1
    path = os.path.join(SHOTS, "admin-%02d-%s-%dx%d.png" % (step[0], name, w, h))
    d.save_screenshot(path)
    if os.path.getsize(path) < 10000:
        fail("%s: screenshot looks empty" % name)


def check_axe(name):
    if not AXE:
        return
    with open(AXE) as f:
        d.execute_script(f.read())
    d.set_script_timeout(60)
    res = d.execute_async_script("""
        const done = arguments[arguments.length - 1];
        axe.run(document, {resultTypes: ['violations']})
           .then(r => done(r.violations.map(v => [v.id, v.impact, v.help,
                 v.nodes.slice(0, 3).map(n => n.target.join(' '))])))
           .catch(e => done('error: ' + e));""")
    if isinstance(res, str):
        fail("%s: axe-core: %s" % (name, res))
    bad = [v for v in res if v[1] in ("serious", "critical")]
    if bad:
        fail("%s: axe-core: %d serious or critical violations: %s" % (name, len(bad), bad))


def check_sizes(name):
    for w, h in SIZES:
        set_size(w, h)
        check_page(name, w, h)
    check_axe(name)
    set_size(*SIZES[0])


def click_load(el):
    d.execute_script("window.capaOldPage = true")
    el.click()

    def loaded(x):
        try:
            return x.execute_script(
                "return window.capaOldPage === undefined && document.readyState === 'complete'")
        except WebDriverException:
            return False
    WebDriverWait(d, 60).until(loaded)


def text():
    return d.find_element(By.TAG_NAME, "body").text


def want_text(*parts):
    t = text()
    for p in parts:
        if p not in t:
            fail("page %s lacks %r:\n%s" % (d.current_url, p, t[:2000]))


def login(user):
    d.delete_all_cookies()
    d.get(B + "/login?lang=en")
    d.find_element(By.NAME, "user").send_keys(user)
    d.find_element(By.NAME, "password").send_keys(PW(user))
    click_load(d.find_element(By.CSS_SELECTOR, "form[action='/login'] button"))
    if d.current_url != B + "/":
        fail("%s: sign-in did not land on the dashboard: %s" % (user, d.current_url))


def submit(form_id, password, **fields):
    f = d.find_element(By.ID, form_id)
    for name, value in fields.items():
        el = f.find_element(By.NAME, name)
        if el.tag_name == "select":
            Select(el).select_by_value(value)
        else:
            el.clear()
            el.send_keys(value)
    f.find_element(By.NAME, "password").send_keys(password)
    click_load(f.find_element(By.CSS_SELECTOR, "button[type=submit]"))


set_size(*SIZES[0])
# ---- the admin: Administration in the menu, the users
login("admin")
menu = [a.text for a in d.find_elements(By.CSS_SELECTOR, ".app-menu a")]
if "Administration" not in menu:
    fail("the admin's menu lacks Administration: %s" % menu)
click_load(d.find_element(By.LINK_TEXT, "Administration"))
check_sizes("admin")
click_load(d.find_element(By.CSS_SELECTOR, "a[href='/admin/users']"))
want_text("Users", "sun", "locked")
check_sizes("users")

# ---- unlock the locked user
click_load(d.find_element(By.CSS_SELECTOR, "#user-sun a"))
want_text("Unlock", "locked")
check_sizes("user-locked")
submit("form-unlock", PW("admin"))
want_text("Account unlocked")
if d.find_element(By.ID, "user-state").text.strip() != "active":
    fail("after unlocking, the state shows %r" % d.find_element(By.ID, "user-state").text)
if d.find_elements(By.ID, "form-unlock"):
    fail("an unlocked user is still offered Unlock")

# ---- add a user, then change the role
d.get(B + "/admin/users")
submit("user-add", PW("admin"), id="qian", name="钱敏", dept="品质部", role="qe",
       new_password="pw-qian-e2e-2026", new_password2="pw-qian-e2e-2026")
want_text("User added", "qian", "钱敏")
click_load(d.find_element(By.CSS_SELECTOR, "#user-qian a"))
check_sizes("user")
# a wrong admin password: refused, shown, nothing changed
submit("form-role", "not-the-admin-password", role="qe_lead")
want_text("wrong password")
if d.find_element(By.ID, "user-role").text.strip() != "Quality engineer":
    fail("after a refused role change the role shows %r" % d.find_element(By.ID, "user-role").text)
check_sizes("user-refused")
submit("form-role", PW("admin"), role="qe_lead")
want_text("Role changed")
if d.find_element(By.ID, "user-role").text.strip() != "Quality lead":
    fail("after the role change the role shows %r" % d.find_element(By.ID, "user-role").text)

# ---- the legacy import: one bad row shown in the preview, nothing written until confirmed
def snap():
    """Every named database but volatile_* (sessions), dumped, and the trail."""
    db = os.environ["CAPA_DB"]
    out = b""
    for name in subprocess.run(["mdb_dump", "-l", db], capture_output=True, check=True).stdout.split():
        if not name.startswith(b"volatile_"):
            out += subprocess.run(["mdb_dump", "-s", name, db], capture_output=True, check=True).stdout
    return out + subprocess.run([os.environ["CAPA"], "log", "--json"], capture_output=True,
                                check=True).stdout


def wait_job():
    for _ in range(300):
        if not d.find_elements(By.CSS_SELECTOR, "meta[http-equiv=refresh]"):
            return
        time.sleep(0.2)
        d.refresh()
    fail("the import job did not finish")


csv = os.path.join(os.environ["T"], "log.csv")
with open(csv, "w", encoding="utf-8") as f:
    f.write("案号,投诉日期,客户名称,料号,问题描述,严重程度,处理状态,结案日期\n"
            ",2024-03-01,比亚迪,P-200,尺寸超差,一般,处理中,\n"
            ",2024-03-02,小米,P-300,漏装螺丝,特急,处理中,\n"
            "QC-2024-0042,2024/3/3,华为,P-100,外壳划伤,重大,已结案,2024-03-20 17:05\n")
before = snap()
d.get(B + "/admin")
click_load(d.find_element(By.CSS_SELECTOR, "a[href='/admin/import']"))
check_sizes("import")
f = d.find_element(By.ID, "import-upload")
f.find_element(By.NAME, "sheet").send_keys(csv)
Select(f.find_element(By.NAME, "map")).select_by_value("register")
f.find_element(By.NAME, "password").send_keys(PW("admin"))
click_load(f.find_element(By.CSS_SELECTOR, "button[type=submit]"))
wait_job()
want_text("Dry run: 3 rows, 2 become cases, 1 refused. Nothing has been written.")
bad = [[c.text for c in tr.find_elements(By.TAG_NAME, "td")]
       for tr in d.find_elements(By.CSS_SELECTOR, "tr.app-problem")]
# The cell's rule in the page's language (tools/lang), the choices by their labels.
if bad != [["3", "严重程度", "特急", "严重程度 must be one of: General, Important, Major (not '特急')"]]:
    fail("the refused rows shown: %s" % bad)
plan = [[c.text for c in tr.find_elements(By.TAG_NAME, "td")][:3]
        for tr in d.find_elements(By.CSS_SELECTOR, "tr.app-plan")]
if plan != [["2", "(next number)", "比亚迪"], ["4", "QC-2024-0042", "华为"]]:
    fail("what the rows become: %s" % plan)
check_sizes("import-preview")
if snap() != before:
    fail("the dry run changed the store")
submit("import-confirm", PW("admin"))
wait_job()
want_text("2 cases imported (1 closed)", "QC-2024-0042", "1 refused rows were set aside")
check_sizes("import-done")
if snap() == before:
    fail("the confirmed import wrote nothing")

# ---- the other pages: forms, settings (zone, calendars, certificate), verify with its run
for path, name in (("/admin/forms", "forms"), ("/admin/settings", "settings")):
    d.get(B + path)
    check_sizes(name)
want_text("Signing certificate", "Subject", "days left")
d.get(B + "/admin/verify")
click_load(d.find_element(By.CSS_SELECTOR, "#verify-run button"))
wait_job()
if d.find_element(By.ID, "verify-state").text != "OK":
    fail("verify from the page: %s" % d.find_element(By.ID, "verify-last").text)
check_sizes("verify")

# ---- a non-admin: no menu entry, the pages refused
login("li")
menu = [a.text for a in d.find_elements(By.CSS_SELECTOR, ".app-menu a")]
if "Administration" in menu:
    fail("a non-admin's menu offers Administration: %s" % menu)
d.get(B + "/admin/users")
want_text("admin role only")
if d.find_elements(By.ID, "user-add"):
    fail("a non-admin sees the add-user form")
check_page("refused", *SIZES[0])
d.quit()
print("browser_admin: walk ok")
