#!/usr/bin/python3
"""HTTP client side of the gazette serve tests (standard library only).

token SECRET ADDR                 the unsubscribe token (HMAC-SHA256, base64url, 22 chars)
confirm-token SECRET ADDR EXP     a sign-up's confirm token
burst BASE SECRET ADDRS OUT N [KILL_AFTER PID]
        POST a one-click unsubscribe for each address in file ADDRS from N threads that
        start together; the addresses answered 200 go to OUT, one a line; prints
        "ok=K other=M".  With KILL_AFTER: SIGKILL PID after that many 200s.
slow HOST PORT URL                a client that sends half a request and stalls: prints
        "served" when another request is answered meanwhile, then waits for the server
        to close the stalled connection and prints "closed".
csp URL                           check that the page's CSP lists the hash of each <style>
confirm-link MAILFILE             the confirm link of a confirmation message
"""
import base64
import email
import email.policy
import hashlib
import hmac
import http.client
import os
import re
import signal
import socket
import sys
import threading
import urllib.parse
import urllib.request


def token(secret, addr):
    mac = hmac.new(secret.encode(), addr.lower().encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:18]).decode()[:22]


def confirm_token(secret, addr, exp):
    return token(secret + "\x1fconfirm\x1f" + str(exp), addr)


def burst(base, secret, addrs_file, out, nthreads, kill_after=None, pid=None):
    u = urllib.parse.urlsplit(base)
    addrs = [a.strip() for a in open(addrs_file) if a.strip()]
    lock = threading.Lock()
    acked, other = [], [0]
    killed = [False]
    start = threading.Barrier(nthreads)
    nxt = [0]

    def work():
        start.wait()
        conn = None
        while True:
            with lock:
                if nxt[0] >= len(addrs):
                    break
                a = addrs[nxt[0]]
                nxt[0] += 1
            path = "/unsubscribe?email=%s&token=%s" % (urllib.parse.quote(a, safe=""),
                                                        token(secret, a))
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
                conn.request("POST", path, body="List-Unsubscribe=One-Click",
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
                r = conn.getresponse()
                r.read()
                st = r.status
            except Exception:
                st = 0
                conn = None
            with lock:
                if st == 200:
                    acked.append(a)
                    if kill_after is not None and len(acked) >= kill_after and not killed[0]:
                        killed[0] = True
                        os.kill(pid, getattr(signal, os.environ.get("KILL_SIGNAL", "SIGKILL")))
                else:
                    other[0] += 1
    ts = [threading.Thread(target=work) for _ in range(nthreads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    with open(out, "w") as f:
        for a in acked:
            f.write(a + "\n")
    print("ok=%d other=%d" % (len(acked), other[0]))


def slow(host, port, url):
    s = socket.create_connection((host, int(port)))
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    with urllib.request.urlopen(url, timeout=30) as r:
        if r.status == 200:
            print("served")
    s.settimeout(120)           # a hang guard only: the server's idle timeout is seconds
    try:
        while s.recv(4096):
            pass
        print("closed")
    except socket.timeout:
        print("still open after 120 s")     # never "closed": the check must fail
    except OSError as e:
        print("closed (%s)" % e)


def csp(url):
    with urllib.request.urlopen(url) as r:
        policy = r.headers["Content-Security-Policy"]
        body = r.read().decode()
    styles = re.findall(r"<style>(.*?)</style>", body, re.S)
    assert styles, "no <style>"
    for s in styles:
        h = base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()
        assert "'sha256-%s'" % h in policy, (h, policy)
    assert "script-src" not in policy and "default-src 'none'" in policy, policy
    pass


def confirm_link(path):
    msg = email.message_from_binary_file(open(path, "rb"), policy=email.policy.default)
    text = msg.get_body(("plain",)).get_content()
    m = re.search(r"https?://\S+/confirm\?\S+", text)
    print(m.group(0))


def main():
    a = sys.argv[1:]
    if a[0] == "token":
        print(token(a[1], a[2]))
    elif a[0] == "confirm-token":
        print(confirm_token(a[1], a[2], int(a[3])))
    elif a[0] == "burst":
        kill_after = int(a[6]) if len(a) > 6 else None
        pid = int(a[7]) if len(a) > 7 else None
        burst(a[1], a[2], a[3], a[4], int(a[5]), kill_after, pid)
    elif a[0] == "slow":
        slow(a[1], a[2], a[3])
    elif a[0] == "csp":
        csp(a[1])
    elif a[0] == "confirm-link":
        confirm_link(a[1])
    else:
        sys.exit("unknown command")


if __name__ == "__main__":
    main()
