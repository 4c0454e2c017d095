#!/usr/bin/env python3
"""robot_receiver.py - a loopback group robot for the `capa deliver` tests, shaped like the
WeCom (企业微信) and DingTalk (钉钉) robot webhooks.

Listens on 127.0.0.1 (an ephemeral port written to PORTFILE once listening) and appends every
POST to LOG as one JSON line {"n", "path", "status", "plan", "errcode", "timestamp", "body"}.

  KIND wecom     the body must be {"msgtype": "text", "text": {"content", "mentioned_mobile_list"}}
  KIND dingtalk  the body must be {"msgtype": "text", "text": {"content"}, "at": {"atMobiles"}};
                 with SECRET, the query must carry `timestamp` (ms) and
                 `sign` = urlencode(base64(HMAC-SHA256(SECRET, timestamp + "\\n" + SECRET)))
                 or the answer is errcode 310000 ("sign not match"), as DingTalk answers.

A malformed body gets errcode 40035 (invalid parameter). PLAN is one word per request in order
(the last repeats): ok, or fail (HTTP 500). It stops after LIFETIME seconds or on SIGTERM.

usage: robot_receiver.py KIND PORTFILE LOG PLAN [SECRET] [LIFETIME]
"""
import base64
import hashlib
import hmac
import json
import signal
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    kind, portfile, log, plan = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split(",")
    secret = sys.argv[5] if len(sys.argv) > 5 and sys.argv[5] else None
    lifetime = float(sys.argv[6]) if len(sys.argv) > 6 else 120.0
    count = [0]
    lock = threading.Lock()

    def check(path, body):
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
        ts = q.get("timestamp", [None])[0]
        if kind == "dingtalk" and secret:
            sign = q.get("sign", [None])[0]
            want = base64.b64encode(hmac.new(secret.encode(), f"{ts}\n{secret}".encode(),
                                             hashlib.sha256).digest()).decode()
            if not ts or not sign or not hmac.compare_digest(sign, want):
                return 310000, "sign not match", ts
        try:
            d = json.loads(body)
            assert d["msgtype"] == "text" and isinstance(d["text"]["content"], str)
            if kind == "wecom":
                assert all(isinstance(m, str) for m in d["text"]["mentioned_mobile_list"])
            else:
                assert all(isinstance(m, str) for m in d["at"]["atMobiles"])
        except (ValueError, KeyError, TypeError, AssertionError):
            return 40035, "invalid parameter", ts
        return 0, "ok", ts

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(min(length, 1 << 20)).decode("utf-8", "replace")
            with lock:
                n = count[0]
                count[0] += 1
                what = plan[min(n, len(plan) - 1)]
                status, errcode, errmsg, ts = 200, 0, "ok", None
                if what == "fail":
                    status, errcode, errmsg = 500, -1, "planned failure"
                else:
                    errcode, errmsg, ts = check(self.path, body)
                with open(log, "a", encoding="utf-8") as f:
                    f.write(json.dumps({"n": n, "path": self.path, "status": status,
                                        "plan": what, "errcode": errcode, "timestamp": ts,
                                        "body": body}, ensure_ascii=False) + "\n")
            data = json.dumps({"errcode": errcode, "errmsg": errmsg}).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(portfile + ".tmp", portfile)
    signal.signal(signal.SIGTERM, lambda *a: threading.Thread(target=srv.shutdown).start())
    timer = threading.Timer(lifetime, srv.shutdown)
    timer.daemon = True  # not to outlive a SIGTERM
    timer.start()
    srv.serve_forever()


if __name__ == "__main__":
    main()
