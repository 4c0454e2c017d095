# browser_pages.py - run by browser_pages.sh (not a test by itself): attachments, the reports
# page and a SCAR in Chromium, each page checked at 1366x900 and 768x1024 (browser_lib.py).
import glob
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import browser_lib as bl  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

B, Y, DL = bl.B, os.environ["Y"], bl.DL
d = bl.start()
fail, login = bl.fail, bl.login


def thumbs_loaded():
    WebDriverWait(d, 30).until(lambda x: x.execute_script(
        "return [...document.querySelectorAll('img.app-thumb')]"
        ".every(i => i.complete && i.naturalWidth > 0)"))


# -- a photo on a case: the limit shown first, then its thumbnail ----------------------------
login("li")
case = "QC-%s-0001" % Y
d.get(B + "/cases/" + case)
lim = d.find_element(By.CSS_SELECTOR, ".app-limit").text
if "20 MiB" not in lim:
    fail("the upload form does not show the limit before upload: %r" % lim)
cam = d.find_element(By.ID, "att-camera")
if cam.get_attribute("accept") != "image/*" or cam.get_attribute("capture") is None:
    fail("the camera input lacks accept=image/* capture")
bl.check_sizes("case-upload")
d.find_element(By.ID, "att-files").send_keys(os.environ["PHOTO"])
bl.click_load(d.find_element(By.CSS_SELECTOR, "form.app-upload button[type=submit]"))
if not d.current_url.startswith(B + "/cases/" + case):
    fail("after the upload: %s" % d.current_url)
imgs = d.find_elements(By.CSS_SELECTOR, "img.app-thumb")
if len(imgs) != 1 or imgs[0].get_attribute("alt") != "photo.jpg":
    fail("no thumbnail of the photo: %r" % [i.get_attribute("alt") for i in imgs])
thumbs_loaded()
w = d.execute_script("return document.querySelector('img.app-thumb').naturalWidth")
if w != 1200:
    fail("the thumbnail is not the stored photo (%d px wide)" % w)
bl.check_sizes("case-thumbnail", thumbs_loaded)

# -- the report page: two charts drawn, every download --------------------------------------
d.get(B + "/reports?lang=both")
month = time.strftime("%Y-%m", time.gmtime())
if d.current_url != B + "/reports/" + month:
    fail("/reports led to %s" % d.current_url)


def charts_drawn():
    WebDriverWait(d, 30).until(lambda x: x.execute_script(
        "return typeof Chart !== 'undefined' && !!Chart.getChart('chart-pareto')"
        " && !!Chart.getChart('chart-trend')"))


charts_drawn()
pareto = d.execute_script(
    "const c = Chart.getChart('chart-pareto'); return [c.data.labels, c.data.datasets[0].data]")
if pareto != [["SOLDER-BRIDGE", "PIN-BENT"], [2, 1]]:
    fail("Pareto chart: %r" % (pareto,))
bl.check_sizes("report", charts_drawn)
for ext in ("pdf", "xlsx", "csv", "json"):
    d.find_element(By.CSS_SELECTOR, "a[href='/reports/%s.%s']" % (month, ext)).click()
    want = os.path.join(DL, "capa-report-%s.%s" % (month, ext))
    for _ in range(600):
        if os.path.exists(want) and not glob.glob(os.path.join(DL, "*.crdownload")):
            break
        time.sleep(0.1)
    else:
        fail("download %s did not arrive: %s" % (ext, os.listdir(DL)))

# -- escalations: the overdue limits of li's cases with what was sent --------------------------
import urllib.parse  # noqa: E402
d.get(B + "/escalations?lang=both&at=" + urllib.parse.quote(os.environ["AT"]))
over = d.find_elements(By.CSS_SELECTOR, "#overdue tbody tr")
sent = d.find_elements(By.CSS_SELECTOR, "#sent tbody tr")
if len(over) < 3 or len(sent) < 3 or not d.find_elements(By.CSS_SELECTOR, "#overdue .app-esc"):
    fail("escalations page: %d overdue limits, %d sent" % (len(over), len(sent)))
bl.check_sizes("escalations")

# -- a supplier 8D from the new-case page ----------------------------------------------------
login("ma")
d.get(B + "/cases/new?workflow=scar&lang=both")
for name, value in (("supplier", "深圳精密五金"), ("part_no", "BRK-220"), ("description", "毛刺")):
    d.find_element(By.NAME, "f." + name).send_keys(value)
Select(d.find_element(By.NAME, "f.severity")).select_by_value("important")
bl.check_sizes("scar-new")
for name, value in (("supplier", "深圳精密五金"), ("part_no", "BRK-220"), ("description", "毛刺")):
    el = d.find_element(By.NAME, "f." + name)
    if el.get_attribute("value") != value:
        el.clear()
        el.send_keys(value)
Select(d.find_element(By.NAME, "f.severity")).select_by_value("important")
bl.click_load(d.find_element(By.CSS_SELECTOR, "form.app-form button[type=submit]"))
if d.current_url != B + "/cases/SCAR-%s-0001" % Y:
    fail("the SCAR did not open: %s" % d.current_url)
bl.check_sizes("scar-case")
d.get(B + "/cases?workflow=scar")
if "SCAR-%s-0001" % Y not in d.page_source or "QC-%s-0001" % Y in d.page_source:
    fail("the list filtered by workflow")
bl.check_sizes("scar-list")
print("browser_pages: axe-core %s" % ("clean on: " + ", ".join(bl.axe_pages) if bl.AXE else "not run"))
d.quit()
