"""inbox_mail: the mail that comes back after a send, for tests/integration/inbox.sh.
usage: inbox_mail.py SERVER_DIR MAILDIR
Reads what the SMTP test server received (NNNN.env: MAIL FROM = the VERP return path;
NNNN.eml: the message, with its List-Unsubscribe mailto) and writes, into MAILDIR/new,
what mail servers and readers would send back for some recipients (user N = uN@...):
  u2  a DSN, 5.1.1 user unknown, to u2's return path           -> bounced (hard)
  u3  two DSNs, 5.2.2 mailbox full, to u3's return path         -> bounced (2 soft)
  u4  one DSN, 5.2.2 mailbox full                               -> stays active (1 soft)
  u5  an ARF complaint (the original attached, with its Return-Path)  -> unsubscribed
  u6  a mail to the unsubscribe+TOKEN address of u6's message   -> unsubscribed
  u7  a DSN naming u7, 5.1.1, but to a forged return path       -> unchanged
  u8  a DSN naming u8, 5.1.1, to the plain bounce address       -> bounced (the report)
  u9  an out-of-office reply to u9's return path                -> unchanged
  u10 a garbled report (no recipient named), 550 5.1.1, to u10's return path -> bounced
  and a personal mail to the bounce address                     -> not understood"""
import email, glob, os, re, sys

sd, md = sys.argv[1], sys.argv[2]
verp, unsub = {}, {}
for env in glob.glob(sd + "/*.env"):
    lines = open(env).read().splitlines()
    mail = re.match(r"MAIL FROM:<(.*)>$", lines[0]).group(1)
    rcpt = re.match(r"RCPT TO:<(.*)>$", lines[1]).group(1)
    verp[rcpt.split("@")[0]] = mail
    msg = email.message_from_binary_file(open(env[:-4] + ".eml", "rb"))
    m = re.search(r"<mailto:([^?>]*)", " ".join(str(msg["List-Unsubscribe"]).split()))
    unsub[rcpt.split("@")[0]] = m.group(1)
dom = "inbox.example"
n = [0]

def put(text):
    n[0] += 1
    with open("%s/new/%d.M%d.test" % (md, 1700000000 + n[0], n[0]), "w") as f:
        f.write(text)

def dsn(to, rcpt, status, diag, tag):
    return ("Return-Path: <>\nDelivered-To: %s\nFrom: Mail Delivery System <MAILER-DAEMON@mx.%s>\n"
            "To: %s\nSubject: Undelivered Mail Returned to Sender\nMessage-ID: <%s@mx>\n"
            "MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status;"
            " boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nI'm sorry to have to inform you"
            " that your message could not be delivered.\n\n<%s>: %s\n\n--B\n"
            "Content-Type: message/delivery-status\n\nReporting-MTA: dns; mx.%s\n\n"
            "Final-Recipient: rfc822; %s\nAction: failed\nStatus: %s\nDiagnostic-Code: smtp; %s\n"
            "\n--B--\n") % (to, dom, to, tag, rcpt, diag, dom, rcpt, status, diag)

put(dsn(verp["u2"], "u2@" + dom, "5.1.1", "550 5.1.1 <u2@%s>: User unknown" % dom, "a"))
put(dsn(verp["u3"], "u3@" + dom, "5.2.2", "552 5.2.2 Mailbox full", "b"))
put(dsn(verp["u3"], "u3@" + dom, "5.2.2", "552 5.2.2 Mailbox full (again)", "c"))
put(dsn(verp["u4"], "u4@" + dom, "5.2.2", "552 5.2.2 Mailbox full", "d"))
put(("From: fbl@isp.example\nTo: abuse@example.org\nSubject: FW: spam report\nMessage-ID: <e@fbl>\n"
     "MIME-Version: 1.0\nContent-Type: multipart/report; report-type=feedback-report; boundary=\"F\"\n\n"
     "--F\nContent-Type: text/plain\n\nThis is an email abuse report.\n\n--F\n"
     "Content-Type: message/feedback-report\n\nFeedback-Type: abuse\nUser-Agent: test/1.0\n"
     "Version: 1\n\n--F\nContent-Type: message/rfc822\n\nReturn-Path: <%s>\nFrom: news@example.org\n"
     "To: u5@%s\nSubject: the newsletter\n\nbody\n--F--\n") % (verp["u5"], dom))
put(("From: Reader Six <u6@%s>\nTo: %s\nSubject: unsubscribe\nMessage-ID: <f@reader>\n\n"
     "Please take me off.\n") % (dom, unsub["u6"]))
forged = verp["u7"]
i = forged.index("+") + 1
forged = forged[:i] + ("b" if forged[i] == "a" else "a") + forged[i + 1:]
put(dsn(forged, "u7@" + dom, "5.1.1", "550 5.1.1 User unknown", "g"))
put(dsn("bounces@example.org", "u8@" + dom, "5.1.1", "550 5.1.1 No such user", "h"))
put(("From: u9@%s\nTo: %s\nSubject: Out of Office: the newsletter\nAuto-Submitted: auto-replied\n"
     "Message-ID: <i@ooo>\n\nI am away until Monday.\n") % (dom, verp["u9"]))
put(("Return-Path: <>\nDelivered-To: %s\nFrom: MAILER-DAEMON@relay.example\nTo: %s\n"
     "Subject: failure notice\nMessage-ID: <j@relay>\n\nSorry, we could not deliver your message.\n"
     "Remote said: 550 5.1.1 mailbox unavailable\n") % (verp["u10"], verp["u10"]))
put("From: friend@else.example\nTo: bounces@example.org\nSubject: lunch?\nMessage-ID: <k@x>\n\n"
    "Are you free on Friday?\n")
print(n[0])
