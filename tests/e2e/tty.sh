#!/usr/bin/env bash
# tty.sh - passwords asked on a terminal (a pseudo-terminal here): echo is off while asking,
# a new password is asked twice and must match, and Ctrl-C at the prompt leaves the terminal
# with echo back on.
source "$(dirname "$0")/common.bash"

python3 - "$CAPA" "$CAPA_DB" <<'PY' || fail "terminal password prompts"
import os, pty, signal, sys, termios, time

capa, db = sys.argv[1], sys.argv[2]

def spawn(args):
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["CAPA_DB"] = db
        os.execv(capa, [capa] + args)
    return pid, fd

def read_until(fd, text, timeout=10):
    out, end = b"", time.time() + timeout
    while text.encode() not in out:
        if time.time() > end:
            raise SystemExit("timed out waiting for %r; got %r" % (text, out))
        out += os.read(fd, 4096)
    return out

def drain(fd):
    out = b""
    while True:
        try:
            d = os.read(fd, 4096)
        except OSError:
            return out
        if not d:
            return out
        out += d

def echo_on(fd):
    return bool(termios.tcgetattr(fd)[3] & termios.ECHO)

def converse(args, answers):
    pid, fd = spawn(args)
    for prompt, answer in answers:
        read_until(fd, prompt)
        assert not echo_on(fd), "echo is on at prompt %r" % prompt
        os.write(fd, answer.encode() + b"\n")
    out = drain(fd)
    _, st = os.waitpid(pid, 0)
    for _, answer in answers:
        assert answer.encode() not in out, "a password was echoed"
    return os.WEXITSTATUS(st), out.decode()

# Two different new passwords: refused, nothing created.
rc, out = converse(["init", "--org", "终端"], [("New password for admin", "pass-one-1234"),
                                               ("Repeat", "pass-two-1234")])
assert rc == 1 and "differ" in out, (rc, out)
assert not os.path.exists(os.path.join(db, "data.mdb")), "init went ahead"

rc, out = converse(["init", "--org", "终端"], [("New password for admin", "pass-one-1234"),
                                               ("Repeat", "pass-one-1234")])
assert rc == 0, (rc, out)

rc, out = converse(["user", "add", "li", "--role", "intake", "--name", "李娜", "--as", "admin"],
                   [("Password for admin", "pass-one-1234"), ("New password for li", "li-pass-1234"),
                    ("Repeat", "li-pass-1234")])
assert rc == 0 and "added user li" in out, (rc, out)

# Ctrl-C at the prompt: the process dies of SIGINT and the terminal has echo again.
pid, fd = spawn(["user", "unlock", "li", "--as", "admin"])
read_until(fd, "Password for admin")
assert not echo_on(fd)
os.kill(pid, signal.SIGINT)
_, st = os.waitpid(pid, 0)
assert os.WIFSIGNALED(st) and os.WTERMSIG(st) == signal.SIGINT, st
assert echo_on(fd), "echo still off after Ctrl-C"
PY

# Without a terminal and without --password-stdin: a clear error, not a hang.
set +e
setsid -w "$CAPA" user unlock li --as admin </dev/null >"$T/out" 2>"$T/err"
rc=$?
set -e
[[ $rc == 1 ]] || fail "no terminal: exit $rc"
grep -q "use --password-stdin" "$T/err" || fail "no terminal: $(cat "$T/err")"
echo "ok tty"
