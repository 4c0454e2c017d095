# openapi_check.py - run by serve_openapi.sh (not a test by itself): every path, method and
# status that docs/openapi.yaml documents is produced against the real capa-serve at $B, and
# every answer is checked against the document - its status must be documented for that
# operation, its body must validate against the documented schema (JSON Schema 2020-12, as
# OpenAPI 3.1 has it), its Content-Type must be the documented one. At the end every
# documented (path, method, status) must have been seen. Needs Debian's python3-jsonschema.
import json
import os
import sys
import urllib.error
import urllib.request

import jsonschema

B, DOC, T = os.environ["B"], sys.argv[1], os.environ["T"]
PW = lambda u: "pw-%s-e2e-2026" % u
doc = json.load(open(DOC, encoding="utf-8"))
resolver = jsonschema.RefResolver("", doc)
documented = {(p, m, s) for p, ops in doc["paths"].items() for m, op in ops.items()
              if m != "parameters" for s in op["responses"]}
seen = set()


def fail(msg):
    print("FAIL serve_openapi: " + msg, file=sys.stderr)
    sys.exit(1)


def call(method, template, path=None, body=None, token=None, ctype="application/json"):
    """One request; checked against the operation `template` of the document."""
    url = B + (path or template)
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None and ctype:
        req.add_header("Content-Type", ctype)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req) as r:
            status, headers, raw = r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        status, headers, raw = e.code, e.headers, e.read()
    op = doc["paths"].get(template, {}).get(method.lower())
    if op is None:
        fail("%s %s is not documented" % (method, template))
    resp = op["responses"].get(str(status))
    if resp is None:
        fail("%s %s answered %d, which is not documented: %s" % (method, path or template, status, raw[:300]))
    (mtype, media), = resp["content"].items()
    got = headers.get("Content-Type", "")
    if not got.startswith(mtype):
        fail("%s %s %d: Content-Type %s, documented %s" % (method, template, status, got, mtype))
    value = None
    if mtype == "application/json":
        value = json.loads(raw)
        try:
            jsonschema.Draft202012Validator(media["schema"], resolver=resolver).validate(value)
        except jsonschema.ValidationError as e:
            fail("%s %s %d: body does not fit the document: %s at %s\n%s" % (
                method, template, status, e.message, list(e.absolute_path), raw[:600]))
    elif mtype == "application/pdf" and not raw.startswith(b"%PDF-"):
        fail("%s %s: not a PDF" % (method, template))
    seen.add((template, method.lower(), str(status)))
    return status, headers, value


def expect(want, *args, **kw):
    status, headers, value = call(*args, **kw)
    if status != want:
        fail("%s %s: status %d, want %d: %s" % (args[0], kw.get("path") or args[1], status, want, value))
    return headers, value


S, CASES, ONE = "/api/v1/session", "/api/v1/cases", "/api/v1/cases/{number}"
SIGN, REJECT = ONE + "/sign", ONE + "/reject"
AUDIT, PDF = ONE + "/audit", ONE + "/dossier.pdf"
closed = os.environ["CLOSED"]

# the document serves itself, byte for byte
_, served = expect(200, "GET", "/api/openapi.json")
if served != doc:
    fail("/api/openapi.json is not docs/openapi.yaml")

# sessions
_, li = expect(200, "POST", S, body={"user": "li", "password": PW("li")})
li = li["token"]
tok = {u: expect(200, "POST", S, body={"user": u, "password": PW(u)})[1]["token"]
       for u in ("wang", "chen", "zhou", "zhao")}
expect(400, "POST", S, body={"user": "li"})
expect(401, "POST", S, body={"user": "ghost", "password": "not-the-password"})
h, _ = expect(429, "POST", S, body={"user": "ghost", "password": "not-the-password"})
if not h.get("Retry-After"):
    fail("429 without Retry-After")
expect(415, "POST", S, body=b"user=li", ctype="application/x-www-form-urlencoded")
expect(413, "POST", S, body=b"{" + b" " * 70000 + b"}")
_, gone = expect(200, "POST", S, body={"user": "sun", "password": PW("sun")})
expect(200, "DELETE", S, token=gone["token"])
expect(401, "DELETE", S, token=gone["token"])

# cases: open, list, read
intake = {"customer": "OpenAPI 客户", "part_no": "OA-1", "description": "<script>x</script>",
          "severity": "general", "qty_affected": "3"}
_, n = expect(201, "POST", CASES, body={"fields": intake}, token=li)
n = n["number"]
one = ONE.replace("{number}", n)
expect(400, "POST", CASES, body={"fields": dict(intake, qty_affected="many")}, token=li)
expect(401, "POST", CASES, body={"fields": intake})
expect(403, "POST", CASES, body={"fields": intake}, token=tok["zhou"])
expect(413, "POST", CASES, body=json.dumps({"fields": {"a": "x" * 70000}}).encode(), token=li)
expect(415, "POST", CASES, body=b"fields=1", token=li, ctype="text/plain")
_, lst = expect(200, "GET", CASES, path=CASES + "?open=true&part=OA-1", token=li)
if [c["number"] for c in lst] != [n]:
    fail("list by part: %s" % lst)
expect(200, "GET", CASES, path=CASES + "?stage=archive&from=2020-01-01&to=2099-12-31", token=li)
expect(400, "GET", CASES, path=CASES + "?open=maybe", token=li)
_, e = expect(400, "GET", CASES, path=CASES + "?severity=catastrophic", token=li)
if "not one of" not in e["error"]["message"]:
    fail("severity message: %s" % e)
_, lst = expect(200, "GET", CASES, path=CASES + "?severity=%E4%B8%80%E8%88%AC&part=OA-1", token=li)
if [c["number"] for c in lst] != [n]:
    fail("severity by label: %s" % lst)
_, lst = expect(200, "GET", CASES, path=CASES + "?severity=major&part=OA-1", token=li)
if lst:
    fail("severity filter: %s" % lst)
h, lst = expect(200, "GET", CASES, path=CASES + "?sort=-opened&limit=1&offset=0", token=li)
if len(lst) != 1 or lst[0]["number"] != n or int(h.get("X-Total-Count", -1)) < 1:
    fail("sort/limit: %s, total %s" % (lst, h.get("X-Total-Count")))
_, env = expect(200, "GET", CASES, path=CASES + "?sort=-opened&limit=1&envelope=true", token=li)
if env["total"] != int(h["X-Total-Count"]) or env["cases"] != lst:
    fail("envelope: %s" % env)
expect(400, "GET", CASES, path=CASES + "?sort=colour", token=li)
expect(401, "GET", CASES)
_, c = expect(200, "GET", ONE, path=one, token=li)
if c["stage"] != "intake" or c["stages"][0]["values"]["customer"] != "OpenAPI 客户":
    fail("case: %s" % c)
if not c["limits"] or c["limits"][0]["kind"] != "response":
    fail("case limits: %s" % c["limits"])
expect(401, "GET", ONE, path=one)
expect(404, "GET", ONE, path=ONE.replace("{number}", "QC-1999-0404"), token=li)

# changes
expect(200, "PATCH", ONE, path=one, body={"fields": {"validity": "valid", "containment": "隔离"},
                                          "reason": "first look"}, token=tok["wang"])
expect(400, "PATCH", ONE, path=one, body={"fields": {"validity": "perhaps"}}, token=tok["wang"])
expect(401, "PATCH", ONE, path=one, body={"fields": {"validity": "valid"}})
expect(403, "PATCH", ONE, path=one, body={"fields": {"validity": "invalid"}}, token=tok["zhou"])
expect(404, "PATCH", ONE, path=ONE.replace("{number}", "QC-1999-0404"), body={"fields": {"a": "b"}},
       token=tok["wang"])
expect(409, "PATCH", ONE, path=ONE.replace("{number}", closed), body={"fields": {"lessons_learned": "x"}},
       token=tok["wang"])
expect(413, "PATCH", ONE, path=one, body=json.dumps({"fields": {"a": "x" * 70000}}).encode(), token=tok["wang"])
expect(415, "PATCH", ONE, path=one, body=b"x", token=tok["wang"], ctype="text/plain")

# sign-off with the data hash shown, after the data changed, wrong password, throttled
_, c = expect(200, "GET", ONE, path=one, token=tok["wang"])
shown = c["stages"][0]["data_hash"]
sign, reject = SIGN.replace("{number}", n), REJECT.replace("{number}", n)
expect(400, "POST", SIGN, path=sign, body={"meaning": "reviewed"}, token=tok["wang"])
expect(403, "POST", SIGN, path=sign, body={"meaning": "reviewed", "password": PW("chen")}, token=tok["chen"])
expect(404, "POST", SIGN, path=SIGN.replace("{number}", "QC-1999-0404"),
       body={"meaning": "reviewed", "password": PW("wang")}, token=tok["wang"])
expect(413, "POST", SIGN, path=sign, body=json.dumps({"meaning": "x" * 70000}).encode(), token=tok["wang"])
expect(415, "POST", SIGN, path=sign, body=b"x", token=tok["wang"], ctype="text/plain")
expect(200, "PATCH", ONE, path=one, body={"fields": {"containment": "全检"}}, token=tok["wang"])
_, e = expect(409, "POST", SIGN, path=sign, body={"meaning": "reviewed", "password": PW("wang"),
                                                   "data_hash": shown}, token=tok["wang"])
if "changed since it was shown" not in e["error"]["message"]:
    fail("409 message: %s" % e)
expect(401, "POST", SIGN, path=sign, body={"meaning": "reviewed", "password": "wrong-password"},
       token=tok["wang"])
expect(429, "POST", SIGN, path=sign, body={"meaning": "reviewed", "password": PW("wang")},
       token=tok["wang"])
expect(401, "POST", SIGN, path=sign, body={"meaning": "reviewed", "password": PW("wang")})
_, c = expect(200, "GET", ONE, path=one, token=tok["wang"])
if c["signatures"]:
    fail("signed although refused: %s" % c["signatures"])
now = c["stages"][0]["data_hash"]

# rejection: intake has no review that sends back (409); reject at action later
# (wang waits after his wrong password: chen asks meanwhile)
expect(409, "POST", REJECT, path=reject, body={"reason": "x", "password": PW("chen")}, token=tok["chen"])
expect(400, "POST", REJECT, path=reject, body={"password": PW("chen")}, token=tok["chen"])
expect(401, "POST", REJECT, path=reject, body={"reason": "x", "password": "x"})
expect(403, "POST", REJECT, path=REJECT.replace("{number}", os.environ["ACTION"]),
       body={"reason": "x", "password": PW("chen")}, token=tok["chen"])
expect(404, "POST", REJECT, path=REJECT.replace("{number}", "QC-1999-0404"),
       body={"reason": "x", "password": PW("zhao")}, token=tok["zhao"])
expect(413, "POST", REJECT, path=reject, body=json.dumps({"reason": "x" * 70000}).encode(), token=tok["wang"])
expect(415, "POST", REJECT, path=reject, body=b"x", token=tok["wang"], ctype="text/plain")
expect(401, "POST", REJECT, path=REJECT.replace("{number}", os.environ["ACTION"]),
       body={"reason": "缺少预防措施", "password": "wrong-password"}, token=tok["zhao"])
expect(429, "POST", REJECT, path=REJECT.replace("{number}", os.environ["ACTION"]),
       body={"reason": "缺少预防措施", "password": PW("zhao")}, token=tok["zhao"])
_, e = expect(400, "POST", SIGN, path=sign, body={"meaning": "reviewed", "password": "p", "data_hash": "12"},
              token=tok["wang"])

# a sign-off over what was shown now works (after wang's pause)
import time
time.sleep(float(os.environ.get("PAUSE", "0.5")))
expect(200, "POST", SIGN, path=sign, body={"meaning": "reviewed", "password": PW("wang"), "data_hash": now},
       token=tok["wang"])
_, c = expect(200, "GET", ONE, path=one, token=tok["wang"])
if c["stage"] != "analysis" or c["signatures"][0]["data_hash"] != now:
    fail("signature: %s" % c["signatures"])
expect(200, "POST", REJECT, path=REJECT.replace("{number}", os.environ["ACTION"]),
       body={"reason": "缺少预防措施", "password": PW("zhao")}, token=tok["zhao"])

# audit trail and dossier
_, ev = expect(200, "GET", AUDIT, path=AUDIT.replace("{number}", n), token=tok["zhou"])
if [e["action"] for e in ev] != ["open", "set", "set", "sign"]:
    fail("audit: %s" % [e["action"] for e in ev])
expect(401, "GET", AUDIT, path=AUDIT.replace("{number}", n))
expect(404, "GET", AUDIT, path=AUDIT.replace("{number}", "QC-1999-0404"), token=tok["zhou"])
expect(200, "GET", PDF, path=PDF.replace("{number}", n), token=tok["zhou"])
expect(401, "GET", PDF, path=PDF.replace("{number}", n))
expect(404, "GET", PDF, path=PDF.replace("{number}", "QC-1999-0404"), token=tok["zhou"])

# what reached me: wang (qe) was told of the stages he fills in or signs, nobody else's
NOTICES = "/api/v1/notices"
_, mine = expect(200, "GET", NOTICES, token=tok["wang"])
if not mine or any(not any(t["user"] == "wang" for t in x["to"]) for x in mine):
    fail("notices: wang's list is empty or holds notices not for him: %s" % mine[:2])
if [x["event"] for x in mine] != sorted((x["event"] for x in mine), reverse=True):
    fail("notices: not newest first")
if not {closed, os.environ["ACTION"]} <= {x["number"] for x in mine}:
    fail("notices: wang's cases missing: %s" % sorted({x["number"] for x in mine}))
_, one_n = expect(200, "GET", NOTICES, path=NOTICES + "?limit=1", token=tok["wang"])
if one_n != mine[:1]:
    fail("notices?limit=1: %s" % one_n)
expect(400, "GET", NOTICES, path=NOTICES + "?limit=0", token=tok["wang"])
expect(401, "GET", NOTICES)

# a method a documented path does not take: 405, and Allow names exactly the documented ones
for template, ops in doc["paths"].items():
    methods = {m.upper() for m in ops if m in ("get", "put", "post", "delete", "patch")}
    req = urllib.request.Request(B + template.replace("{number}", n), method="PUT", data=b"{}")
    req.add_header("Authorization", "Bearer " + li)
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req) as r:
            status, allow = r.status, r.headers.get("Allow")
    except urllib.error.HTTPError as e:
        status, allow = e.code, e.headers.get("Allow")
    if status != 405 or {a.strip() for a in (allow or "").split(",")} != methods:
        fail("PUT %s: %d, Allow %r; want 405, Allow %s" % (template, status, allow, sorted(methods)))

missing = sorted(documented - seen)
if missing:
    fail("documented but never produced: %s" % missing)
print("openapi: %d operations x statuses checked" % len(seen))
