#!/usr/bin/python3
# hostile_smtp.py: an SMTP server on 127.0.0.1 that lies, stalls and sends what a client
# must never pass on raw, for the tests of both SMTP transports (issue 10).  Plain sockets
# and one thread per connection, so that it can do what a library server will not.
#   --port P --dir DIR          DIR/ready appears when it listens; DIR/log gets one line
#                               per event: "conn C", "cmd C VERB", "body C BYTES",
#                               "close C STAGE"; every message taken for at least one
#                               accepted recipient goes to DIR/NNNN.eml (dot-stuffing
#                               removed, line ends as sent); data after a DATA that this
#                               server wrongly opened with every RCPT refused is for
#                               nobody, and is not kept (libESMTP ends such a DATA with
#                               an empty message, the client's only way out of a 354)
#   --data250                   answer DATA with "250 ok" instead of 354 (a lie: no body
#                               was sent)
#   --trickle STAGE             at STAGE (greeting, ehlo, mail, rcpt, data, dot), never
#                               finish the reply: one "NNN-still busy" line every 0.5 s
#   --endless STAGE             at STAGE, one reply line that never ends (1 KiB every
#                               0.2 s, no line break)
#   --close STAGE               close the connection instead of answering STAGE
#   --ugly STAGE                answer STAGE with a refusal (rcpt, mail: 550; data: 451)
#                               whose text holds invalid UTF-8, C1 controls, a bidi
#                               override and an ANSI escape
#   --ugly-text                 the text of every reply (including the 250s) is ugly too
#   --relay-deny                "554 5.7.1 Relay access denied" to every RCPT
#   --mail-deny                 "550 5.7.1 sender rejected" to every MAIL FROM
#   --no-ext                    EHLO offers neither STARTTLS nor AUTH
#   --slow S                    wait S seconds before each reply (each in time, the
#                               whole message not)
# STAGE "greeting" is the connection's first reply; "dot" the reply after the data.
# SPDX-License-Identifier: MIT
import argparse
import os
import socket
import threading
import time

UGLY = (b"bad \xff\xfe bytes \xc2\x9b31m C1 \xe2\x80\xae bidi-override \x1b[2J esc "
        b"\xed\xa0\x80 surrogate \xc0\xaf overlong")

CODES = {"greeting": b"220", "ehlo": b"250", "mail": b"250", "rcpt": b"250",
         "data": b"354", "dot": b"250", "rset": b"250", "noop": b"250", "quit": b"221"}


class Conn(threading.Thread):
    def __init__(self, srv, sock, n):
        super().__init__(daemon=True)
        self.srv, self.s, self.n = srv, sock, n
        self.buf = b""
        self.rcpts = 0

    def log(self, line):
        self.srv.log("%s %d %s" % (line.split(" ", 1)[0], self.n,
                                   line.split(" ", 1)[1] if " " in line else ""))

    def send(self, data):
        try:
            self.s.sendall(data)
            return True
        except OSError:
            return False

    def readline(self, raw=False):
        while b"\n" not in self.buf:
            try:
                chunk = self.s.recv(65536)
            except OSError:
                return None
            if not chunk:
                return None
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line + b"\n" if raw else line.rstrip(b"\r")

    def reply(self, stage, code=None, text=b"ok"):
        """Answer at stage: or misbehave as the options say.  False: connection over."""
        a = self.srv.args
        code = code or CODES.get(stage, b"250")
        if a.slow:
            time.sleep(a.slow)
        if a.close == stage:
            self.log("close %s" % stage)
            self.s.close()
            return False
        if a.trickle == stage:
            self.log("trickle %s" % stage)
            while self.send(code + b"-still busy\r\n"):
                time.sleep(0.5)
            return False
        if a.endless == stage:
            self.log("endless %s" % stage)
            self.send(code + b" ")
            while self.send(b"x" * 1024):
                time.sleep(0.2)
            return False
        if a.ugly_text or (a.ugly == stage and code[:1] in b"45"):
            text = UGLY
        return self.send(code + b" " + text + b"\r\n")

    def run(self):
        a = self.srv.args
        if not self.reply("greeting", text=b"hostile.example ESMTP"):
            return
        while True:
            line = self.readline()
            if line is None:
                self.log("gone -")
                return
            verb = line.split(b" ", 1)[0].split(b":", 1)[0].upper().decode("ascii", "replace")
            self.log("cmd " + verb)
            if verb in ("EHLO", "HELO"):
                ext = b"" if a.no_ext else b"250-STARTTLS\r\n250-AUTH PLAIN LOGIN\r\n"
                if a.close == "ehlo" or a.trickle == "ehlo" or a.endless == "ehlo":
                    if not self.reply("ehlo"):
                        return
                    continue
                if not self.send(b"250-hostile.example\r\n" + ext + b"250 8BITMIME\r\n"):
                    return
            elif verb == "MAIL":
                self.rcpts = 0
                if a.mail_deny:
                    ok = self.reply("mail", b"550", b"5.7.1 sender rejected")
                elif a.ugly == "mail":
                    ok = self.reply("mail", b"550")
                else:
                    ok = self.reply("mail")
                if not ok:
                    return
            elif verb == "RCPT":
                if a.relay_deny:
                    ok = self.reply("rcpt", b"554", b"5.7.1 Relay access denied")
                elif a.ugly == "rcpt":
                    ok = self.reply("rcpt", b"550")
                else:
                    ok = self.reply("rcpt")
                    self.rcpts += 1
                if not ok:
                    return
            elif verb == "DATA":
                if a.data250:
                    if not self.send(b"250 2.0.0 ok, but no data was asked for\r\n"):
                        return
                    continue
                if a.ugly == "data":
                    if not self.reply("data", b"451"):
                        return
                    continue
                if not self.reply("data"):
                    return
                size = 0
                msg = []
                while True:
                    body = self.readline(raw=True)
                    if body is None:
                        self.log("gone data")
                        return
                    if body.rstrip(b"\r\n") == b".":
                        break
                    msg.append(body[1:] if body.startswith(b".") else body)
                    size += len(body.rstrip(b"\r\n")) + 2
                if self.rcpts:
                    self.srv.save(b"".join(msg))
                self.log("body %d" % size)
                if not self.reply("dot", text=b"2.0.0 queued"):
                    return
            elif verb == "QUIT":
                self.send(b"221 bye\r\n")
                self.s.close()
                return
            elif verb in ("RSET", "NOOP"):
                if not self.reply(verb.lower()):
                    return
            else:
                # What a client sends after a lie (a body after a 250 to DATA) lands here.
                self.log("junk -")
                if not self.send(b"500 5.5.2 what?\r\n"):
                    return


class Server:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.msgs = 0
        self.logf = open(os.path.join(args.dir, "log"), "a", buffering=1)

    def log(self, line):
        with self.lock:
            self.logf.write(line + "\n")

    def save(self, msg):
        with self.lock:
            self.msgs += 1
            with open(os.path.join(self.args.dir, "%04d.eml" % self.msgs), "wb") as f:
                f.write(msg)

    def serve(self):
        ls = socket.socket()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", self.args.port))
        ls.listen(64)
        open(os.path.join(self.args.dir, "ready"), "w").close()
        n = 0
        while True:
            s, _ = ls.accept()
            n += 1
            self.log("conn %d" % n)
            Conn(self, s, n).start()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--data250", action="store_true")
    p.add_argument("--trickle")
    p.add_argument("--endless")
    p.add_argument("--close")
    p.add_argument("--ugly")
    p.add_argument("--ugly-text", action="store_true")
    p.add_argument("--relay-deny", action="store_true")
    p.add_argument("--mail-deny", action="store_true")
    p.add_argument("--no-ext", action="store_true")
    p.add_argument("--slow", type=float, default=0)
    Server(p.parse_args()).serve()


if __name__ == "__main__":
    main()
