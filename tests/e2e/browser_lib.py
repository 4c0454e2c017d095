# browser_lib.py - imported by browser_pages.py (not a test by itself): Debian's chromium
# through chromium-driver and python3-selenium, headless, with the checks every page must pass
# at a viewport (no sideways scrolling, touch targets at least 44 px, nothing loaded from
# elsewhere, no Content-Security-Policy violation, axe-core without serious or critical
# violations) and a screenshot of each into $SHOTS.
import os
import sys

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

B, SHOTS, DL = os.environ["B"], os.environ["SHOTS"], os.environ["DOWNLOADS"]
AXE = os.environ.get("AXE")  # axe.min.js, or unset (then accessibility is not checked)
SIZES = [(1366, 900), (768, 1024)]  # office screen, tablet upright
d = None
step = [0]
axe_pages = []


def fail(msg):
    try:
        d.save_screenshot(os.path.join(SHOTS, "failure.png"))
        print("page at failure: %s\n%s" % (d.current_url, d.page_source[:3000]), file=sys.stderr)
    except Exception:
        pass
    print("FAIL browser: " + msg, file=sys.stderr)
    sys.exit(1)


def start():
    global d
    o = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1366,900", "--lang=zh-CN", "--no-first-run"):
        o.add_argument(a)
    o.binary_location = "/usr/bin/chromium"
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    o.add_experimental_option("prefs", {"download.default_directory": DL,
                                        "download.prompt_for_download": False})
    try:
        d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
    except WebDriverException as e:
        print("SKIP browser: chromium cannot start: %s" % str(e).strip().splitlines()[0],
              file=sys.stderr)
        sys.exit(77)
    d.set_page_load_timeout(60)
    d.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
    d.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": DL})
    set_size(*SIZES[0])
    return d


def set_size(w, h):
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                      {"width": w, "height": h, "deviceScaleFactor": 1, "mobile": False})


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
    axe_pages.append(name)


def check_page(name, want_w):
    vw = d.execute_script("return window.innerWidth")
    if vw != want_w:
        fail("%s: viewport %d wide, want %d" % (name, vw, want_w))
    sw = d.execute_script("return document.documentElement.scrollWidth")
    if sw > vw:
        fail("%s: the page scrolls sideways (%d px wide in a %d px viewport)" % (name, sw, vw))
    small = d.execute_script("""
        return [...document.querySelectorAll('button, a.btn, input:not([type=hidden]), select')]
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
    path = os.path.join(SHOTS, "%02d-%s.png" % (step[0], name))
    # the whole page, not only the viewport
    h = d.execute_script("return document.documentElement.scrollHeight")
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                      {"width": vw, "height": max(h, 100), "deviceScaleFactor": 1, "mobile": False})
    d.save_screenshot(path)
    if os.path.getsize(path) < 10000:
        fail("%s: screenshot looks empty" % name)


def check_sizes(name, ready=None):
    """check_page at 1366x900 and 768x1024 (each loaded afresh), axe-core once."""
    url = d.current_url
    for w, h in SIZES:
        set_size(w, h)
        d.get(url)
        if ready:
            ready()
        check_page("%s-%dx%d" % (name, w, h), w)
    set_size(*SIZES[0])
    d.get(url)
    if ready:
        ready()
    check_axe(name)


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
