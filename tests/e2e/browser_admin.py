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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import browser_lib as bl  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

B, SHOTS = bl.B, bl.SHOTS
SIZES = bl.SIZES
# Screenshots of the viewport, named admin-NN-<page>-<w>x<h>.png.
d = bl.start(who="browser_admin", shot_prefix="admin-", full_page=False)
fail, click_load, login = bl.fail, bl.click_load, bl.login
PW, text, want_text = bl.PW, bl.text, bl.want_text


def check_sizes(name):
    bl.check_sizes(name, reload=False)


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


# ---- the admin: Administration in the menu, the users
login("admin", "en")
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
login("li", "en")
menu = [a.text for a in d.find_elements(By.CSS_SELECTOR, ".app-menu a")]
if "Administration" in menu:
    fail("a non-admin's menu offers Administration: %s" % menu)
d.get(B + "/admin/users")
want_text("admin role only")
if d.find_elements(By.ID, "user-add"):
    fail("a non-admin sees the add-user form")
bl.check_page("refused", SIZES[0][0])
d.quit()
print("browser_admin: walk ok")
