"""inbox_gen: a Maildir of bounces for `make bench` (gazette inbox against Sisimai).
usage: inbox_gen.py MAILDIR COUNT SUBSCRIBERS
Writes COUNT messages into MAILDIR/new, for recipients of the list build/bench_subs writes
(readerI@exampleJ.org, J = I % 1000), in four real formats taken in turn: a Postfix DSN
(5.1.1, hard), an Exim text report (5.2.2 mailbox full, soft), a qmail report (5.1.1,
hard) and a Sendmail DSN (4.2.2 delayed, soft).  Prints "hard SOFT..." expectations:
one line per message, "FILE RECIPIENT hard|soft", to MAILDIR/expect."""
import os, random, sys

md, count, nsubs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(md + "/new", exist_ok=True)
os.makedirs(md + "/cur", exist_ok=True)
os.makedirs(md + "/tmp", exist_ok=True)
rnd = random.Random(13)

POSTFIX = """Return-Path: <>
Delivered-To: bounces@example.org
Received: by mx.example.org (Postfix) id 3F2A1; Mon, 1 Dec 2026 10:00:{s:02d} +0000 (UTC)
Date: Mon, 1 Dec 2026 10:00:{s:02d} +0000 (UTC)
From: MAILER-DAEMON@mx.example.org (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: bounces@example.org
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="3F2A1.{n}/mx.example.org"
Message-Id: <20261201100000.3F2A1.{n}@mx.example.org>

This is a MIME-encapsulated message.

--3F2A1.{n}/mx.example.org
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.org.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

                   The mail system

<{r}>: host mail.{d}[192.0.2.25] said: 550 5.1.1
    <{r}>: Recipient address rejected: User unknown in local recipient
    table (in reply to RCPT TO command)

--3F2A1.{n}/mx.example.org
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org
X-Postfix-Queue-ID: 3F2A1
Arrival-Date: Mon,  1 Dec 2026 09:59:58 +0000 (UTC)

Final-Recipient: rfc822; {r}
Original-Recipient: rfc822;{r}
Action: failed
Status: 5.1.1
Remote-MTA: dns; mail.{d}
Diagnostic-Code: smtp; 550 5.1.1 <{r}>: Recipient address rejected: User
    unknown in local recipient table

--3F2A1.{n}/mx.example.org
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

Return-Path: <bounces@example.org>
From: The Gazette <news@example.org>
To: {r}
Subject: The Weekly Gazette, issue 12
Message-Id: <issue-12.{n}@example.org>

--3F2A1.{n}/mx.example.org--
"""

EXIM = """Return-path: <>
Envelope-to: bounces@example.org
From: Mail Delivery System <Mailer-Daemon@smtp.example.net>
To: bounces@example.org
Subject: Mail delivery failed: returning message to sender
Message-Id: <E1k{n}-0005pw-05@smtp.example.net>
X-Failed-Recipients: {r}
Auto-Submitted: auto-replied
Date: Mon, 01 Dec 2026 10:00:{s:02d} +0100

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  {r}
    host mx.{d} [198.51.100.7]
    SMTP error from remote mail server after RCPT TO:<{r}>:
    552 5.2.2 <{r}>: Mailbox full, quota exceeded

------ This is a copy of the message, including all the headers. ------

Return-path: <bounces@example.org>
From: The Gazette <news@example.org>
To: {r}
Subject: The Weekly Gazette, issue 12
Message-Id: <issue-12.{n}@example.org>

Here is the newsletter of this week, with many words in it.
"""

QMAIL = """Return-Path: <>
Delivered-To: bounces@example.org
Date: 1 Dec 2026 10:00:{s:02d} -0000
From: MAILER-DAEMON@qmail.example.com
To: bounces@example.org
Subject: failure notice
Message-ID: <qmail.{n}@qmail.example.com>

Hi. This is the qmail-send program at qmail.example.com.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<{r}>:
198.51.100.9 does not like recipient.
Remote host said: 550 5.1.1 <{r}>... User unknown
Giving up on 198.51.100.9.

--- Below this line is a copy of the message.

Return-Path: <bounces@example.org>
From: The Gazette <news@example.org>
To: {r}
Subject: The Weekly Gazette, issue 12

Here is the newsletter.
"""

SENDMAIL = """Return-Path: <MAILER-DAEMON@relay.example.net>
Date: Mon, 1 Dec 2026 10:00:{s:02d} +0900
From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example.net>
To: <bounces@example.org>
Message-Id: <202612011000.{n}@relay.example.net>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="{n}.relay.example.net"
Subject: Warning: could not send message for past 4 hours
Auto-Submitted: auto-generated (warning-timeout)

This is a MIME-encapsulated message

--{n}.relay.example.net

    **********************************************
    **      THIS IS A WARNING MESSAGE ONLY      **
    **  YOU DO NOT NEED TO RESEND YOUR MESSAGE  **
    **********************************************

The original message was received at Mon, 1 Dec 2026 06:00:00 +0900
from localhost [127.0.0.1]

   ----- Transcript of session follows -----
<{r}>... Deferred: 452 4.2.2 Mailbox full
Warning: message still undelivered after 4 hours
Will keep trying until message is 5 days old

--{n}.relay.example.net
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.example.net
Arrival-Date: Mon, 1 Dec 2026 06:00:00 +0900

Final-Recipient: RFC822; {r}
Action: delayed
Status: 4.2.2
Diagnostic-Code: SMTP; 452 4.2.2 Mailbox full
Last-Attempt-Date: Mon, 1 Dec 2026 10:00:00 +0900
Will-Retry-Until: Sat, 6 Dec 2026 06:00:00 +0900

--{n}.relay.example.net
Content-Type: text/rfc822-headers

Return-Path: <bounces@example.org>
From: The Gazette <news@example.org>
To: {r}
Subject: The Weekly Gazette, issue 12

--{n}.relay.example.net--
"""

forms = [(POSTFIX, "hard"), (EXIM, "soft"), (QMAIL, "hard"), (SENDMAIL, "soft")]
with open(md + "/expect", "w") as ex:
    for n in range(count):
        k = rnd.randrange(nsubs)
        r, d = "reader%d@example%d.org" % (k, k % 1000), "example%d.org" % (k % 1000)
        t, hs = forms[n % 4]
        name = "%d.M%dP1.bench" % (1764583200 + n, n)
        with open(md + "/new/" + name, "w") as f:
            f.write(t.format(r=r, d=d, n=n, s=n % 60))
        ex.write("%s %s %s\n" % (name, r, hs))
