#!/usr/bin/env python3
"""notify_receiver.py - a loopback HTTP receiver for `capa escalate --notify` tests.

Listens on 127.0.0.1 (an ephemeral port, written to PORTFILE once listening), appends every
POST it gets to LOG as one JSON line {"n", "path", "content_type", "status", "body"}, and
answers according to its plan, one word per request in order (the last one repeats):

  fail     HTTP 500
  ok       HTTP 200 {"errcode": 0, "errmsg": "ok"}      (what the WeCom / DingTalk robots say)
  refuse   HTTP 200 {"errcode": 93000, "errmsg": "invalid webhook url"}
  slow     sleeps 5 s, then as ok (for a client timeout)
  redirect HTTP 302 to another address (not followed: not delivered)
  huge     HTTP 200 with 2 MB of non-JSON (taken; the client keeps only the start)

It stops by itself after LIFETIME seconds (default 120) or on SIGTERM, so a test that dies
leaves nothing running.

usage: notify_receiver.py PORTFILE LOG PLAN [LIFETIME]     e.g. PLAN "fail,ok"
"""
import json
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    portfile, log, plan = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
    lifetime = float(sys.argv[4]) if len(sys.argv) > 4 else 120.0
    count = [0]
    lock = threading.Lock()

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
            status, answer = {
                "fail": (500, {"error": "planned failure"}),
                "refuse": (200, {"errcode": 93000, "errmsg": "invalid webhook url"}),
                "redirect": (302, {}),
            }.get(what, (200, {"errcode": 0, "errmsg": "ok"}))
            with open(log, "a", encoding="utf-8") as f:
                f.write(json.dumps({"n": n, "path": self.path,
                                    "content_type": self.headers.get("Content-Type"),
                                    "status": status, "plan": what, "body": body},
                                   ensure_ascii=False) + "\n")
            if what == "slow":
                time.sleep(5)  # logged first: the test reads the log while this sleeps
            data = json.dumps(answer).encode()
            if what == "huge":
                data = b"<" * (2 << 20)
            try:
                if what == "redirect":
                    self.send_response(302)
                    self.send_header("Location", "http://127.0.0.1:1/elsewhere")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the client gave up (timeout)

        def handle(self):
            try:
                super().handle()
            except OSError:
                pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    signal.signal(signal.SIGTERM, lambda *a: threading.Thread(target=server.shutdown).start())
    threading.Timer(lifetime, server.shutdown).start()
    with open(portfile + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    import os
    os.replace(portfile + ".tmp", portfile)
    server.serve_forever()
    os._exit(0)  # the lifetime timer thread must not keep the process


if __name__ == "__main__":
    main()
