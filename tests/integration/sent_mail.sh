#!/bin/sh
# sent_mail: the check every test runs on the mail it captured (tests/lib.sh's
# check_sent_mail, issue 9 "Corpus") covers the whole suite and can fail.  Every
# integration test calls it or says why it need not ("sent mail: not checked: REASON");
# a message gazette wrote passes, in every capture form the scan knows (smtp_server.py's
# .eml with its envelope, a Maildir, a smtp-sink dump); each deliberately broken copy of
# it fails on the item it breaks; an exemption without a reason is refused; a message is checked once.
# SPDX-License-Identifier: MIT
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/lib.sh"
cd "$T" || exit 1
P="sent_mail:"
CHECK="$TOP/tests/integration/check_corpus.py"
if [ ! -x "$GAZETTE" ]; then not_ok "$P $GAZETTE is not built"; exit 1; fi

# 1. every test either checks what it captured or says why not
missing=
for f in "$TOP"/tests/integration/*.sh; do
    grep -q 'check_sent_mail\|sent mail: not checked: [a-z]' "$f" || missing="$missing $(basename "$f")"
done
check "$P every integration test checks its mail or says why not (missing:${missing:- none})" \
    [ -z "$missing" ]

# 2. one good message from gazette (the examples, into a Maildir)
printf 'sent-mail-secret-long-enough-for-gazette-32\n' >secret.txt
chmod 600 secret.txt
printf 'subscribers:\n  - email: ann@example.net\n    name: "Ann Ødegård"\n  - email: bob@example.net\n  - email: cy@example.net\n  - email: di@example.net\n' >subscribers.yaml
cat >gazette.yaml <<'YAML'
newsletter:
  name: The Sent Mail Gazette
  from: news@example.org
  base_url: https://example.org/gazette
  unsubscribe_url: https://example.org/unsubscribe?token={{token}}
  secret_file: secret.txt
  postal_address: "1 Example Street, 75001 Paris"
smtp:
  transport: maildir
paths:
  outbox: outbox
YAML
run_g send "$TOP/examples/articles"
expect_rc 0 "$P send the examples into a Maildir"
good=$(ls outbox/new/* 2>/dev/null | sort | head -1)
if [ -z "$good" ]; then not_ok "$P no message was written"; exit 1; fi
mkdir -p cases
# the wire form (CRLF, no Maildir trace fields), as smtp_server.py keeps it
"$PY" - "$good" <<'EOF'
import re, sys
raw = open(sys.argv[1], "rb").read()
while raw.startswith((b"Return-Path:", b"Delivered-To:")):
    raw = raw.split(b"\n", 1)[1]
open("good.eml", "wb").write(raw.replace(b"\n", b"\r\n"))
# its envelope, as smtp_server.py records it beside the message
to = re.search(rb"^To: (?:.*<)?([^<>\s]+@[^<>\s]+?)>?\r?$", raw, re.M).group(1).decode()
open("good.env", "w").write("MAIL FROM:<news@example.org>\nRCPT TO:<%s>\n" % to)
EOF

# scan DIR: check_corpus.py on what is under DIR, its output in $T/scan.out
scan() {
    "$PY" "$CHECK" --tag "case $1" --scan "$1" >"$T/scan.out" 2>&1
    st=$?
}
mkdir -p cases/good/srv1 cases/good/md/new cases/good/md/cur cases/good/md/tmp cases/good/sink
cp good.eml cases/good/srv1/0001.eml
cp good.env cases/good/srv1/0001.env
cp "$(ls outbox/new/* | sort | sed -n 4p)" cases/good/md/new/    # four messages, one each
# a smtp-sink dump: the sink's own fields on top, LF line ends, two transactions
for i in 1 2; do
    f=$(ls outbox/new/* | sort | sed -n "$((i + 1))p")
    to=$(sed -n 's/^Delivered-To: //p' "$f")
    printf 'X-Client-Addr: 127.0.0.1\nX-Client-Proto: ESMTP\nX-Helo-Args: vm\n'
    printf 'X-Mail-Args: <news@example.org>\nX-Rcpt-Args: <%s>\n' "$to"
    printf 'Received: from vm ([127.0.0.1])\n\tby smtp-sink (smtp-sink) with ESMTP id %s;\n' "$i"
    printf '\tSun,  6 Dec 2026 16:00:11 +0000 (UTC)\n'
    sed '1,2d' "$f"
done >cases/good/sink/dump
scan cases/good
check "$P a message gazette wrote passes as .eml, in a Maildir and in a smtp-sink dump" \
    sh -c "[ $st = 0 ] && grep -q 'ok - case cases/good: W1 holds on 4 messages' '$T/scan.out' &&
        ! grep -q '^not ok' '$T/scan.out'"
[ "$st" = 0 ] || sed 's/^/#   /' "$T/scan.out" | head -10

# 3. broken copies: each must fail on the item it breaks
# breakcase NAME ITEM PYTHON-EXPR: raw = the good message's bytes; EXPR gives the broken ones
breakcase() {
    mkdir -p "cases/$1"
    "$PY" -c "
import re, sys
raw = open('good.eml', 'rb').read()
hb, body = raw.split(b'\r\n\r\n', 1)
open('cases/$1/0001.eml', 'wb').write($3)" || { not_ok "$P could not break the copy for $1"; return; }
    scan "cases/$1"
    if [ "$st" = 1 ] && grep -q "^not ok - case cases/$1: $2 holds" "$T/scan.out"; then
        ok "$P a message with $1 fails on $2"
    else
        not_ok "$P a message with $1 is not caught on $2 (exit $st)"
        sed 's/^/#   /' "$T/scan.out" | head -8
    fi
}
breakcase bare-lf W1 "hb + b'\r\n\r\n' + body.replace(b'\r\n', b'\n', 3)"
breakcase no-date H1-H7 "re.sub(rb'Date: [^\r]*\r\n', b'', hb, 1) + b'\r\n\r\n' + body"
breakcase raw-utf8-subject W4 \
    "re.sub(rb'Subject: [^\r]*', 'Subject: Zürich'.encode(), hb, 1) + b'\r\n\r\n' + body"
breakcase no-close-boundary parse "hb + b'\r\n\r\n' + body[:body.rindex(b'--\r\n')]"
breakcase no-list-unsubscribe L1 \
    "re.sub(rb'List-Unsubscribe(-Post)?: [^\r]*\r\n', b'', hb) + b'\r\n\r\n' + body"
breakcase two-https-unsubscribes L1 \
    "re.sub(rb'(List-Unsubscribe: )', rb'\\1<https://example.org/other>, ', hb, 1) + b'\r\n\r\n' + body"
breakcase split-character E \
    "re.sub(rb'Subject: [^\r]*', b'Subject: =?utf-8?Q?Z=C3?= =?utf-8?Q?=BCrich?=', hb, 1) + b'\r\n\r\n' + body"
breakcase bad-message-id H4 \
    "re.sub(rb'Message-ID: [^\r]*', b'Message-ID: <no-domain>', hb, 1) + b'\r\n\r\n' + body"
breakcase no-lang X1 "hb + b'\r\n\r\n' + re.sub(rb'<html lang=3D\"[a-z-]*\"', b'<html', body)"
breakcase long-line W2 "hb + b'\r\n\r\n' + body.replace(b'\r\n', b'\r\n' + b'x' * 1000 + b'\r\n', 1)"
mkdir -p cases/wrong-envelope
cp good.eml cases/wrong-envelope/0001.eml
printf 'MAIL FROM:<>\nRCPT TO:<someone.else@example.net>\n' >cases/wrong-envelope/0001.env
scan cases/wrong-envelope
check "$P a message whose To is not its envelope recipient, sent from <>, fails on H5 and S9" \
    sh -c "[ $st = 1 ] && grep -q '^not ok - case cases/wrong-envelope: H5 holds' '$T/scan.out' &&
        grep -q '^not ok - case cases/wrong-envelope: S9 holds' '$T/scan.out'"
mkdir -p cases/same-boundary
cp good.eml cases/same-boundary/0001.eml
cp good.eml cases/same-boundary/0002.eml
scan cases/same-boundary
check "$P two messages sharing a boundary fail" \
    sh -c "[ $st = 1 ] && grep -q '^not ok - case cases/same-boundary: 1 boundaries for 2' '$T/scan.out'"

# 4. exemptions carry a reason; what was checked once is not checked again
"$PY" "$CHECK" --scan cases/bare-lf --except '*.eml' >"$T/scan.out" 2>&1
check "$P an exemption without its reason is refused" \
    sh -c "[ $? != 0 ] && grep -q 'needs its reason' '$T/scan.out'"
"$PY" "$CHECK" --tag ex --scan cases/bare-lf --except '*.eml=a reason' --allow-none \
    >"$T/scan.out" 2>&1
check "$P an exempted file is left out, and the reason printed" \
    sh -c "[ $? = 0 ] && grep -q '^# ex: 1 files not checked (0001.eml...): a reason' '$T/scan.out'"
"$PY" "$CHECK" --tag w --scan cases/no-lang --waive 'X1=*=a reason' >"$T/scan.out" 2>&1
check "$P a waived item is skipped on those files only, and said" \
    sh -c "[ $? = 0 ] && grep -q '^# w: X1 waived on 1 messages' '$T/scan.out'"
"$PY" "$CHECK" --tag d --scan cases/good --done done.txt >/dev/null 2>&1
"$PY" "$CHECK" --tag d --scan cases/good --done done.txt >"$T/scan.out" 2>&1
check "$P a message is checked once (--done)" \
    sh -c "[ $? = 1 ] && grep -q '^not ok - d: no messages to check' '$T/scan.out'"
