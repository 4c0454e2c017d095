# browser_lib.py - imported by browser_walk.py, browser_admin.py and browser_pages.py (not a
# test by itself): Debian's chromium through chromium-driver and python3-selenium, headless,
# with the checks every page must pass at a viewport (no sideways scrolling, touch targets at
# least 44 px, nothing loaded from elsewhere, no Content-Security-Policy violation, axe-core
# without serious or critical violations) and a screenshot of each into $SHOTS.
import os
import re
import sys

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

B, SHOTS = os.environ["B"], os.environ["SHOTS"]
DL = os.environ.get("DOWNLOADS")  # where downloads go, or unset (then none are expected)
AXE = os.environ.get("AXE")  # axe.min.js, or unset (then accessibility is not checked)
SIZES = [(1366, 900), (768, 1024)]  # office screen, tablet upright
PW = lambda u: "pw-%s-e2e-2026" % u  # serve.bash's users' passwords
# What a finger must be able to hit: every visible one at least 44 px high.
TOUCH = "button, a.button, a.btn, .tile, input:not([type=hidden]), select"
d = None
step = [0]
axe_pages = []
# Set by start(): the test's name in FAIL and SKIP lines, the viewport the pages are walked
# at, what each screenshot's file name starts with, and whether a screenshot holds the whole
# page or only the viewport.
opt = {"who": "browser", "size": SIZES[0], "shot_prefix": "", "full_page": True}


def fail(msg):
    try:
        d.save_screenshot(os.path.join(SHOTS, "failure.png"))
        print("page at failure: %s\n%s" % (d.current_url, d.page_source[:3000]), file=sys.stderr)
    except Exception:
        pass
    print("FAIL %s: %s" % (opt["who"], msg), file=sys.stderr)
    sys.exit(1)


def start(size=SIZES[0], who="browser", shot_prefix="", full_page=True):
    """Chromium at size (w, h) CSS pixels with touch; exit 77 (skipped) when it cannot start."""
    global d
    opt.update(who=who, size=size, shot_prefix=shot_prefix, full_page=full_page)
    o = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=%d,%d" % size, "--lang=zh-CN", "--no-first-run"):
        o.add_argument(a)
    o.binary_location = "/usr/bin/chromium"
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    if DL:
        o.add_experimental_option("prefs", {"download.default_directory": DL,
                                            "download.prompt_for_download": False})
    try:
        d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
    except WebDriverException as e:
        print("SKIP %s: chromium cannot start: %s" % (who, str(e).strip().splitlines()[0]),
              file=sys.stderr)
        sys.exit(77)
    d.set_page_load_timeout(60)
    d.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
    if DL:
        d.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": DL})
    set_size(*size)
    return d


def set_size(w, h):
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                      {"width": w, "height": h, "deviceScaleFactor": 1, "mobile": False})


def check_axe(name):
    """axe-core on the page as shown: no serious or critical violation (WCAG 2.x A/AA rules
    and best practices). Injected through the driver, so the page's CSP stays as it is."""
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
    axe_pages.append(name)


def check_page(name, want_w=None):
    """What every page must be at a viewport want_w wide (the start size's by default); then a
    screenshot, its name ending in the viewport (the start size's when name does not)."""
    want_w = want_w or opt["size"][0]
    vw = d.execute_script("return window.innerWidth")
    if vw != want_w:
        fail("%s: viewport %d wide, want %d" % (name, vw, want_w))
    sw = d.execute_script("return document.documentElement.scrollWidth")
    if sw > vw:
        fail("%s: the page scrolls sideways (%d px wide in a %d px viewport)" % (name, sw, vw))
    small = d.execute_script("""
        return [...document.querySelectorAll(arguments[0])]
          .filter(e => e.offsetParent !== null)
          .map(e => [e.outerHTML.slice(0, 80), e.getBoundingClientRect().height])
          .filter(x => x[1] < 44);""", TOUCH)
    if small:
        fail("%s: touch targets under 44 px: %s" % (name, small[:3]))
    foreign = d.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
        ".filter(n => !n.startsWith(location.origin))")
    if foreign:
        fail("%s: loads from elsewhere: %s" % (name, foreign))
    for entry in d.get_log("browser"):
        m = entry["message"]
        # An error page's own status (400, 403, 409) is logged too; that is expected.
        if "Content Security Policy" in m or entry["level"] == "SEVERE" and \
                "Failed to load resource" not in m:
            fail("%s: browser console: %s" % (name, m))
    step[0] += 1
    if not re.search(r"-\d+x\d+$", name):  # every shot says its viewport
        name = "%s-%dx%d" % ((name,) + opt["size"])
    path = os.path.join(SHOTS, "%s%02d-%s.png" % (opt["shot_prefix"], step[0], name))
    if opt["full_page"]:
        # the whole page, not only the viewport
        h = d.execute_script("return document.documentElement.scrollHeight")
        d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                          {"width": vw, "height": max(h, 100), "deviceScaleFactor": 1,
                           "mobile": False})
    d.save_screenshot(path)
    if os.path.getsize(path) < 10000:
        fail("%s: screenshot looks empty" % name)


def check_sizes(name, ready=None, reload=True):
    """check_page at every size in SIZES, then back at the start size: checked there too when
    it is not one of SIZES, and axe-core once. With reload each size loads the page afresh
    (then ready(), if given, waits for what the page draws); without, the page is checked as
    it is (a POST's answer cannot be fetched again)."""
    url = d.current_url

    def load():
        if reload:
            d.get(url)
            if ready:
                ready()
    for w, h in SIZES:
        set_size(w, h)
        load()
        check_page("%s-%dx%d" % (name, w, h), w)
    set_size(*opt["size"])
    load()
    if opt["size"] not in SIZES:
        check_page(name)
    check_axe(name)


def click_load(el):
    """Click what loads a new page and wait until it has."""
    d.execute_script("window.capaOldPage = true")
    el.click()

    def loaded(x):
        try:  # during the navigation the old document may answer, or nothing may
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


def login(user, lang="both"):
    """Sign in as user through the sign-in page (in lang) and land on the dashboard."""
    d.delete_all_cookies()
    d.get(B + "/login?lang=" + lang)
    d.find_element(By.NAME, "user").send_keys(user)
    d.find_element(By.NAME, "password").send_keys(PW(user))
    click_load(d.find_element(By.CSS_SELECTOR, "form[action='/login'] button"))
    if d.current_url != B + "/":
        fail("%s: sign-in did not land on the dashboard: %s" % (user, d.current_url))
