#!/usr/bin/python3
# smtp_server.py: a scriptable SMTP server (aiosmtpd) on 127.0.0.1 for the transport tests.
# It writes every message it takes to DIR/NNNN.eml (the bytes after DATA, dot-stuffing
# removed) with DIR/NNNN.env (envelope), and one line per event to DIR/log:
#   conn C | ehlo C NAME | starttls C | auth C LOGIN ok|fail | mail C ADDR | rcpt C ADDR
#   | msg C N RCPT | reply C CMD CODE | drop C | hang C | close C | quit C
# (C numbers the connections that sent EHLO/HELO; the readiness probe of aiosmtpd's
# Controller never does, so it is not counted).  DIR/ready appears when it listens.
# Scripted replies (--script): "CMD:ADDR=REPLY;..." where CMD is MAIL, RCPT or DATA (the
# reply after the final dot; ADDR matches a recipient), ADDR may be "*", and REPLY is an
# SMTP reply ("550 5.1.1 no such user"), DROP (close without a reply) or HANG (never
# reply).  A 421 reply closes the connection after it is sent (RFC 5321 3.8).
# --drop-after-data N: close without a reply after the Nth message's data;
# --close-after N: close after N messages on a connection (a per-connection limit);
# --drop-at-mail N: close without a reply at the Nth MAIL FROM of each connection;
# --hold-file PATH: while PATH holds a number H, the reply to the data of message n >= H
# (counted over the server's life) waits until PATH holds a bigger number or the client
# is gone: a test can stop a client at an exact message count and kill it there.
# SPDX-License-Identifier: MIT
import argparse
import asyncio
import os
import signal
import socket
import ssl
import sys
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class State:
    def __init__(self, outdir):
        self.dir = outdir
        self.conns = 0
        self.msgs = 0
        self.lock = threading.Lock()
        self.logf = open(os.path.join(outdir, "log"), "a", buffering=1)

    def log(self, line):
        with self.lock:
            self.logf.write(line + "\n")


def parse_script(text):
    rules = []
    for item in filter(None, (s.strip() for s in (text or "").split(";"))):
        key, _, reply = item.partition("=")
        cmd, _, addr = key.partition(":")
        cmd = cmd.strip().upper()
        if cmd not in ("MAIL", "RCPT", "DATA") or not reply:
            sys.exit("smtp_server.py: bad --script item %r" % item)
        rules.append((cmd, addr.strip().lower() or "*", reply.strip()))
    return rules


class GazetteSMTP(SMTP):
    """SMTP with the two faults the hooks cannot express: close after a reply (421) and
    answer nothing at all (DROP closes, HANG keeps the connection open)."""

    action = None       # None, "close" (after the next reply), "drop", "hang"
    conn = 0

    async def push(self, status):
        act, self.action = self.action, None
        if act in ("drop", "hang"):
            self.state.log("%s %d" % (act, self.conn))
            if act == "drop":
                self.transport.close()
            return
        await super().push(status)
        if act == "close":
            self.state.log("close %d" % self.conn)
            self.transport.close()


class Handler:
    def __init__(self, state, rules, drop_after_data, close_after, drop_at_mail,
                 hold_file=None):
        self.hold_file = hold_file
        self.state = state
        self.rules = rules
        self.drop_after_data = drop_after_data
        self.close_after = close_after
        self.drop_at_mail = drop_at_mail

    def scripted(self, server, cmd, addrs):
        for rcmd, raddr, reply in self.rules:
            if rcmd == cmd and (raddr == "*" or raddr in [a.lower() for a in addrs]):
                if reply.upper() in ("DROP", "HANG"):
                    server.action = reply.lower()
                    return "250 unused"
                if reply.startswith("421"):
                    server.action = "close"
                self.state.log("reply %d %s %s" % (server.conn, cmd, reply[:3]))
                return reply
        return None

    def hello(self, server, name):
        if not server.conn:
            self.state.conns += 1
            server.conn = self.state.conns
            self.state.log("conn %d" % server.conn)
        self.state.log("ehlo %d %s" % (server.conn, name))

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.hello(server, hostname)
        session.host_name = hostname
        return responses

    async def handle_HELO(self, server, session, envelope, hostname):
        self.hello(server, hostname)
        session.host_name = hostname
        return "250 %s" % server.hostname

    async def handle_MAIL(self, server, session, envelope, address, options):
        self.state.log("mail %d %s" % (server.conn, address))
        server.mails_here = getattr(server, "mails_here", 0) + 1
        if self.drop_at_mail and server.mails_here == self.drop_at_mail:
            server.action = "drop"      # an idle connection that died as we reused it
            return "250 unused"
        reply = self.scripted(server, "MAIL", [address])
        if reply is not None:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):
        self.state.log("rcpt %d %s" % (server.conn, address))
        reply = self.scripted(server, "RCPT", [address])
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        st = self.state
        st.msgs += 1
        n = st.msgs
        base = os.path.join(st.dir, "%04d" % n)
        with open(base + ".eml", "wb") as f:
            f.write(envelope.original_content)
        with open(base + ".env", "w") as f:
            f.write("MAIL FROM:<%s>\n" % envelope.mail_from)
            for r in envelope.rcpt_tos:
                f.write("RCPT TO:<%s>\n" % r)
        st.log("msg %d %d %s" % (server.conn, n, ",".join(envelope.rcpt_tos)))
        server.msgs_here = getattr(server, "msgs_here", 0) + 1
        await self.hold(server, n)
        reply = self.scripted(server, "DATA", envelope.rcpt_tos)
        if reply is not None:
            return reply
        if self.drop_after_data and n == self.drop_after_data:
            server.action = "drop"
        elif self.close_after and server.msgs_here >= self.close_after:
            server.action = "close"     # like Yahoo: a limit per connection, no warning
        return "250 2.0.0 OK queued as %04d" % n

    def held_at(self):
        try:
            with open(self.hold_file) as f:
                return int(f.read().strip() or 0)
        except (OSError, ValueError):
            return 0

    async def hold(self, server, n):
        if not self.hold_file:
            return
        while True:
            h = self.held_at()
            if h == 0 or n < h or server.transport is None or server.transport.is_closing():
                return
            await asyncio.sleep(0.01)

    async def handle_NOOP(self, server, session, envelope, arg):
        return "250 2.0.0 OK"

    def handle_STARTTLS(self, server, session, envelope):
        # aiosmtpd calls this one without awaiting it, after the handshake
        self.state.log("starttls %d" % server.conn)
        return True

    async def handle_QUIT(self, server, session, envelope):
        self.state.log("quit %d" % server.conn)
        return "221 2.0.0 Bye"


def hang_server(port, state):
    """Accept connections and never say anything (a stuck server or a black hole)."""
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(16)
    held = []
    open(os.path.join(state.dir, "ready"), "w").close()
    while True:
        c, _ = ls.accept()
        state.conns += 1
        state.log("conn %d" % state.conns)
        state.log("hang %d" % state.conns)
        held.append(c)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--starttls", action="store_true")
    ap.add_argument("--require-starttls", action="store_true")
    ap.add_argument("--smtps", action="store_true", help="implicit TLS (RFC 8314)")
    ap.add_argument("--auth", metavar="USER:PASS")
    ap.add_argument("--auth-plaintext", action="store_true",
                    help="offer AUTH without TLS (only for tests that need it)")
    ap.add_argument("--script")
    ap.add_argument("--hang", action="store_true")
    ap.add_argument("--drop-after-data", type=int, default=0)
    ap.add_argument("--close-after", type=int, default=0)
    ap.add_argument("--drop-at-mail", type=int, default=0,
                    help="close without a reply at the Nth MAIL FROM of each connection")
    ap.add_argument("--hold-file", help="hold the reply after message n >= the number in it")
    a = ap.parse_args()

    os.makedirs(a.dir, exist_ok=True)
    state = State(a.dir)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    if a.hang:
        hang_server(a.port, state)
        return

    tls = None
    if a.starttls or a.smtps:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(a.cert, a.key)

    kw = {}
    if a.starttls:
        kw["tls_context"] = tls
        kw["require_starttls"] = a.require_starttls
    if a.auth:
        user, _, password = a.auth.partition(":")

        def authenticator(server, session, envelope, mechanism, data):
            good = (isinstance(data, LoginPassword) and data.login == user.encode() and
                    data.password == password.encode())
            login = data.login.decode(errors="replace") if isinstance(data, LoginPassword) \
                else "?"
            state.log("auth %d %s %s" % (server.conn, login, "ok" if good else "fail"))
            return AuthResult(success=good, handled=False)

        kw["authenticator"] = authenticator
        kw["auth_require_tls"] = not a.auth_plaintext
        kw["auth_required"] = True
    handler = Handler(state, parse_script(a.script), a.drop_after_data, a.close_after,
                      a.drop_at_mail, a.hold_file)

    class Ctl(Controller):
        def factory(self):
            s = GazetteSMTP(self.handler, **self.SMTP_kwargs)
            s.state = state
            return s

    ctl = Ctl(handler, hostname="127.0.0.1", port=a.port, ssl_context=tls if a.smtps else None,
              server_hostname="sink.test", decode_data=False, **kw)
    ctl.start()
    open(os.path.join(a.dir, "ready"), "w").close()
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
