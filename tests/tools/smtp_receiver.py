#!/usr/bin/env python3
"""smtp_receiver.py - a loopback SMTP server (python3-aiosmtpd) for the `capa deliver` tests.

Listens on 127.0.0.1:PORT (an ephemeral port, written to PORTFILE once listening) and appends
every message to LOG as one JSON line {"from", "rcpt", "to", "subject", "plain", "html",
"content_type", "parts"}: the envelope, the headers decoded and the text/plain and text/html parts of
the multipart/alternative body. PLAN is one word per message in order (the last repeats): ok,
or fail (answers 451, a temporary failure). Stops after LIFETIME seconds or on SIGTERM.

usage: smtp_receiver.py PORTFILE LOG PLAN [LIFETIME]
"""
import email
import email.policy
import json
import os
import signal
import socket
import sys
import threading
import time

from aiosmtpd.controller import Controller


def main():
    portfile, log, plan = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
    lifetime = float(sys.argv[4]) if len(sys.argv) > 4 else 120.0
    count = [0]

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            n = count[0]
            count[0] += 1
            what = plan[min(n, len(plan) - 1)]
            if what == "fail":
                return "451 4.3.0 planned failure"
            msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
            plain = msg.get_body(preferencelist=("plain",))
            html = msg.get_body(preferencelist=("html",))
            with open(log, "a", encoding="utf-8") as f:
                f.write(json.dumps({
                    "from": envelope.mail_from, "rcpt": envelope.rcpt_tos,
                    "to": str(msg["To"]), "subject": str(msg["Subject"]),
                    "content_type": msg.get_content_type(),
                    "parts": [p.get_content_type() for p in msg.walk()],
                    "plain": plain.get_content() if plain else None,
                    "html": html.get_content() if html else None}, ensure_ascii=False) + "\n")
            return "250 OK"

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    ctl = Controller(Handler(), hostname="127.0.0.1", port=port)
    ctl.start()
    with open(portfile + ".tmp", "w") as f:
        f.write(str(port))
    os.rename(portfile + ".tmp", portfile)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: done.set())
    done.wait(lifetime)
    ctl.stop()


if __name__ == "__main__":
    main()
