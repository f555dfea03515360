#!/bin/sh
# The Maildir transport through build/san/smtpdrv: tmp/ then new/, unique names from
# several threads, the stored bytes (LF line ends, Return-Path and Delivered-To on top),
# folders created when missing, and the failures it reports.
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/lib.sh"
DRV=${SMTPDRV:-$TOP/build/san/smtpdrv}
cd "$T" || exit 1

if [ ! -x "$DRV" ]; then skip "maildir: $DRV is not built (make build/san/smtpdrv)"; exit 0; fi

drv() {
    "$DRV" --transport maildir --from sender@example.org "$@" >"$T/out" 2>"$T/err"
    rc=$?
    if grep -q 'Sanitizer\|runtime error' "$T/err"; then
        not_ok "maildir: sanitizer report from smtpdrv $*"; sed 's/^/#   /' "$T/err" | head -20
    fi
}
show() { sed 's/^/#   /' "$T/out" "$T/err" | head -8; }
nfiles() { find "$1" -type f | wc -l | tr -d ' '; }

# A message with CRLF line ends, a bare CR inside a line, dot lines and UTF-8.
printf 'From: Sender <sender@example.org>\r\nTo: a@example.net\r\nSubject: maildir\r\n\r\n'\
'first\r\n.\r\n..x\r\nbare\rcr stays\r\ncaf\303\251\r\nlast\r\n' >msg.eml

# Missing folder: created with cur/ new/ tmp/
drv --maildir "$T/Mail" --rcpt a@example.net,b@example.net,c@example.net --file msg.eml
check "maildir: the driver exits 0" [ "$rc" = 0 ]
check "maildir: three messages stored" \
    [ "$(grep -c '^RESULT .* sent 0 - maildir 0 ' "$T/out")" = 3 ]
check "maildir: the folder and cur/ new/ tmp/ were created" \
    test -d "$T/Mail/cur" -a -d "$T/Mail/new" -a -d "$T/Mail/tmp"
check "maildir: three files in new/" [ "$(nfiles "$T/Mail/new")" = 3 ]
check "maildir: nothing left in tmp/" [ "$(nfiles "$T/Mail/tmp")" = 0 ]
check "maildir: cur/ stays empty (new mail is unseen)" [ "$(nfiles "$T/Mail/cur")" = 0 ]

# The stored bytes: trace lines, then the message with each CRLF turned into LF.
if "$PY" - "$T/Mail/new" msg.eml <<'EOF'
import os, sys
d, src = sys.argv[1], open(sys.argv[2], "rb").read()
got = {}
for name in os.listdir(d):
    raw = open(os.path.join(d, name), "rb").read()
    first, second, rest = raw.split(b"\n", 2)
    got[second] = (first, rest)
want_body = src.replace(b"\r\n", b"\n")
ok = True
for r in (b"a", b"b", b"c"):
    key = b"Delivered-To: " + r + b"@example.net"
    if key not in got:
        print("missing", key); ok = False; continue
    first, rest = got[key]
    if first != b"Return-Path: <sender@example.org>":
        print("bad first line", first); ok = False
    if rest != want_body:
        print("body differs", rest[:80]); ok = False
sys.exit(0 if ok else 1)
EOF
then ok "maildir: Return-Path, Delivered-To, then the message with LF line ends, byte for byte"
else not_ok "maildir: stored bytes differ"; fi
check "maildir: a bare CR inside a line is kept" \
    grep -rqF "$(printf 'bare\rcr stays')" "$T/Mail/new"

# Names: time.MusecPpidQn.host, nothing that breaks a Maildir name, files private
bad=$(ls "$T/Mail/new" | grep -cvE '^[0-9]+\.M[0-9]{6}P[0-9]+Q[0-9]+\.[^/:]+$')
check "maildir: names follow time.MusecPpidQn.host" [ "$bad" = 0 ]
check "maildir: messages are readable by the owner only" \
    sh -c "[ -z \"\$(find '$T/Mail/new' -type f ! -perm 600)\" ]"

# Four transports in four threads into one folder: every name unique, nothing lost
drv --maildir "$T/Mail2" --rcpt v@example.net --tag --count 400 --threads 4 --file msg.eml
check "maildir: 400 messages from 4 threads stored" \
    [ "$(grep -c '^RESULT .* sent ' "$T/out")" = 400 ]
check "maildir: 400 distinct files in new/" [ "$(nfiles "$T/Mail2/new")" = 400 ]
check "maildir: 400 distinct recipients, each once" \
    [ "$(grep -rh '^Delivered-To: ' "$T/Mail2/new" | sort -u | wc -l | tr -d ' ')" = 400 ]

# An existing Maildir is used as it is
drv --maildir "$T/Mail" --rcpt d@example.net --file msg.eml
check "maildir: an existing Maildir gets one more message" [ "$(nfiles "$T/Mail/new")" = 4 ]

# Probe: a writable Maildir
drv --maildir "$T/Mail" --probe
if grep -q '^PROBE sent ' "$T/out"; then ok "maildir: probe"; else not_ok "maildir: probe"; show; fi

# A recipient with a line break is refused, and nothing is written
drv --maildir "$T/Mail" --rcpt "$(printf 'x\r\nBcc: y@example.net')" --file msg.eml
check "maildir: a recipient with CR LF is a PERMFAIL" \
    grep -q '^RESULT .* permfail 0 - rcpt ' "$T/out"
check "maildir: and nothing was stored" [ "$(nfiles "$T/Mail/new")" = 4 ]

# The folder cannot be made: EX_CANTCREAT from open
: >"$T/plainfile"
drv --maildir "$T/plainfile/Mail" --rcpt a@example.net --file msg.eml
if [ "$rc" = 73 ] && grep -q '^OPEN-ERROR 73 .*plainfile/Mail' "$T/out"; then
    ok "maildir: a folder that cannot be created: EX_CANTCREAT naming it"
else not_ok "maildir: uncreatable folder: exit $rc"; show; fi
drv --maildir "$T/plainfile" --rcpt a@example.net --file msg.eml
if [ "$rc" = 73 ] && grep -q 'not a folder' "$T/out"; then
    ok "maildir: a file where the Maildir should be: EX_CANTCREAT"
else not_ok "maildir: file as Maildir: exit $rc"; show; fi

# tmp/ is not a folder: EX_CANTCREAT from open, nothing half-done
mkdir -p "$T/Mail3/new" "$T/Mail3/cur" && : >"$T/Mail3/tmp"
drv --maildir "$T/Mail3" --rcpt a@example.net --file msg.eml
if [ "$rc" = 73 ] && grep -q '^OPEN-ERROR 73 .*Mail3/tmp: not a folder' "$T/out"; then
    ok "maildir: tmp/ that is a file: EX_CANTCREAT naming it"
else not_ok "maildir: tmp/ as a file: exit $rc"; show; fi
check "maildir: and nothing was stored" [ "$(nfiles "$T/Mail3/new")" = 0 ]
exit 0

# sent mail: not checked: the driver stores the test's own raw messages, not gazette's; they are compared byte for byte (tests/integration/sent_mail.sh)
