#!/bin/sh
# inbox: end to end.  `gazette send` with VERP to a local relay that accepts everything
# (the aiosmtpd test server), then what comes back (bounces, a complaint, a mailed
# unsubscribe, a forged token, an auto-reply, a garbled report, a personal mail: see
# inbox_mail.py) into a Maildir, `gazette inbox` on it, and the list checked byte for
# byte: exactly those subscribers changed; a second run, and the same message again on
# standard input, change nothing.  Also mbox input, status, subscribers list, --dry-run.
# SPDX-License-Identifier: MIT
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/lib.sh"
. "$TOP/tests/servers.sh"
PIDS=
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"' EXIT
export GZ_SECRET=inbox-test-secret-long-enough-for-gazette LC_ALL=C
# the readers at most 2 messages ahead of the applier: they wait for room all the time
export GAZETTE_TEST_POOL_WINDOW=${GAZETTE_TEST_POOL_WINDOW:-2}
if [ ! -x "$GAZETTE" ]; then not_ok "inbox: $GAZETTE is not built"; exit 1; fi
if ! "$PY" -c 'import aiosmtpd' 2>/dev/null; then
    skip "inbox: python3-aiosmtpd is not installed"; exit 0
fi
W="$T/w"
mkdir -p "$W/articles" "$W/bounces/new" "$W/bounces/cur" "$W/bounces/tmp"
printf -- '---\ntitle: "A story"\nurl: https://news.example.org/a\n---\n\n%s\n' \
    "The body of the story, long enough to be a paragraph." >"$W/articles/a.md"
{ printf '# the list, kept by hand\nsubscribers:\n'
  for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
      printf '  - email: u%s@inbox.example   # reader %s\n    name: User %s\n    status: active\n' \
          "$i" "$i" "$i"
  done; } >"$W/subscribers.yaml"
cp "$W/subscribers.yaml" "$T/before.yaml"
start_server
cat >"$W/gazette.yaml" <<EOC
newsletter:
  from: news@example.org
  bounce_to: bounces@example.org
  unsubscribe_mailto: unsubscribe@example.org
  postal_address: 1 Example Street, Exampleton
  secret_env: GZ_SECRET
  verp: true
smtp:
  transport: smtp
  url: smtp://127.0.0.1:$PORT
  starttls: off
  timeout: 5
bounce:
  hard_after: 1
  soft_after: 2
  soft_days: 30
EOC
gz() { (cd "$W" && "$GAZETTE" -c gazette.yaml "$@") >"$T/out" 2>"$T/err"; rc=$?
    if grep -q 'Sanitizer\|runtime error' "$T/err"; then
        not_ok "inbox: sanitizer report from gazette $*"; sed 's/^/#   /' "$T/err" | head; fi; }
gz send
if [ $rc = 0 ]; then ok "inbox: send to 12 through the relay"; else
    not_ok "inbox: send exited $rc"; sed 's/^/#   /' "$T/err" | head -5; fi
"$PY" "$TOP/tests/integration/inbox_mail.py" "$SD" "$W/bounces" >"$T/n"
check "inbox: 11 messages back in the Maildir" [ "$(ls "$W/bounces/new" | wc -l)" = 11 ]

# the list as it must be: exactly u2 u3 u8 u10 bounced, u5 u6 unsubscribed, byte for byte
"$PY" - "$T/before.yaml" "$T/want.yaml" <<'EOP'
import sys
text = open(sys.argv[1]).read()
want = {2: "bounced", 3: "bounced", 8: "bounced", 10: "bounced", 5: "unsubscribed",
        6: "unsubscribed"}
out = []
cur = None
for line in text.splitlines(True):
    if "- email: u" in line:
        cur = int(line.split("- email: u")[1].split("@")[0])
    if line.strip() == "status: active" and cur in want:
        line = line.replace("active", want[cur])
    out.append(line)
open(sys.argv[2], "w").write("".join(out))
EOP
gz inbox --dry-run -v bounces
if [ $rc = 0 ] && cmp -s "$W/subscribers.yaml" "$T/before.yaml" &&
    [ "$(ls "$W/bounces/new" | wc -l)" = 11 ] && [ ! -e "$W/state/events.jsonl" ]; then
    ok "inbox --dry-run changes nothing (list, Maildir, events)"
else not_ok "inbox --dry-run changed something (exit $rc)"; fi
grep -q 'u2@inbox.example' "$T/out" && ok "inbox --dry-run -v says what it would do" ||
    { not_ok "inbox --dry-run -v output"; sed 's/^/#   /' "$T/out" | head; }

# the real run, under strace when there is one: the list must be replaced exactly once
STRACE=
# (LeakSanitizer cannot run under ptrace: leaks are checked by every other run here)
command -v strace >/dev/null 2>&1 &&
    STRACE="env ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=rename,renameat,renameat2 -o $T/trace"
gz() { (cd "$W" && exec ${STRACE:-} "$GAZETTE" -c gazette.yaml "$@") >"$T/out" 2>"$T/err"; rc=$?
    if grep -q 'Sanitizer\|runtime error' "$T/err"; then
        not_ok "inbox: sanitizer report from gazette $*"; sed 's/^/#   /' "$T/err" | head; fi; }
gz inbox bounces
if [ $rc = 0 ]; then ok "inbox: exit 0"; else not_ok "inbox: exit $rc"; sed 's/^/#   /' "$T/err"; fi
if [ -n "$STRACE" ]; then
    n=$(grep -c 'subscribers.yaml"' "$T/trace")
    [ "$n" = 1 ] && ok "inbox: the list is rewritten once for the whole run (6 changes)" ||
        { not_ok "inbox: the list was replaced $n times"; grep 'subscribers' "$T/trace" | head -3; }
else skip "inbox: strace is not installed: cannot count the list's rewrites"; fi
STRACE=
if cmp -s "$W/subscribers.yaml" "$T/want.yaml"; then
    ok "inbox: the list byte for byte: u2 u3 u8 u10 bounced, u5 u6 unsubscribed, nobody else"
else not_ok "inbox: the list differs"; diff "$T/want.yaml" "$W/subscribers.yaml" | sed 's/^/#   /' | head -20; fi
grep -q 'not understood' "$T/out" && grep -q 'does not check' "$T/out" &&
    ok "inbox: reports the personal mail as not understood and the forged token" ||
    { not_ok "inbox: report lines"; sed 's/^/#   /' "$T/out"; }
[ "$(grep -c . "$T/out")" = 2 ] && ok "inbox: only those two lines on stdout" ||
    { not_ok "inbox: stdout has $(grep -c . "$T/out") lines"; sed 's/^/#   /' "$T/out"; }
if [ "$(ls "$W/bounces/new" | wc -l)" = 0 ] && [ "$(ls "$W/bounces/cur" | grep -c ':2,S$')" = 11 ]
then ok "inbox: every message moved to cur/ with the S flag"
else not_ok "inbox: Maildir after the run"; ls -R "$W/bounces" | sed 's/^/#   /'; fi
"$PY" - "$W/state/events.jsonl" <<'EOP' >"$T/ev"
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    print(e["kind"], e.get("hard"), e.get("subscriber"), e.get("campaign"), e.get("action"))
EOP
for want in "bounce True u2@inbox.example issue-1 counted" \
    "bounce False u3@inbox.example issue-1 counted" "complaint None u5@inbox.example issue-1 unsubscribed" \
    "unsubscribe None u6@inbox.example issue-1 unsubscribed" "forged None None None none" \
    "bounce True u8@inbox.example None counted" "autoreply None None None none" \
    "bounce True u10@inbox.example issue-1 counted" "unknown None None None none" \
    "status None u3@inbox.example None bounced"; do
    grep -qx "$want" "$T/ev" && ok "inbox: event: $want" ||
        { not_ok "inbox: no event '$want'"; sed 's/^/#   /' "$T/ev" | head -20; }
done
grep -q '"file":"bounces/cur/.*:2,S"' "$W/state/events.jsonl" && grep -q '"time":"20' \
    "$W/state/events.jsonl" && ok "inbox: events name the message's file and the time" ||
    not_ok "inbox: events lack file or time"

cp "$W/subscribers.yaml" "$T/after1.yaml"
nev=$(wc -l <"$W/state/events.jsonl")
gz inbox bounces
cmp -s "$W/subscribers.yaml" "$T/after1.yaml" && [ "$(wc -l <"$W/state/events.jsonl")" = "$nev" ] &&
    [ ! -s "$T/out" ] && ok "inbox: a second run changes nothing and says nothing" ||
    not_ok "inbox: the second run changed something"
# the same bounce again, as a Postfix pipe would deliver it twice
f=$(ls "$W/bounces/cur" | head -1)
(cd "$W" && "$GAZETTE" -c gazette.yaml -v inbox - <"bounces/cur/$f") >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 0 ] && grep -q 'handled before' "$T/out" && cmp -s "$W/subscribers.yaml" "$T/after1.yaml" &&
    ok "inbox -: the same message on stdin is recognised and skipped" ||
    { not_ok "inbox -: exit $rc"; sed 's/^/#   /' "$T/out" "$T/err" | head; }

gz status
grep -q 'issue-1 .* 5 bounces.* 1 complaints.* 1 unsubscribes' "$T/out" &&
    ok "status: bounces, complaints and unsubscribes of the campaign" ||
    { not_ok "status line"; sed 's/^/#   /' "$T/out"; }
gz status --format json
"$PY" -c 'import json, sys
c = [x for x in json.load(open(sys.argv[1])) if x["id"] == "issue-1"][0]
sys.exit(0 if (c["bounces"], c["complaints"], c["unsubscribes"]) == (5, 1, 1) else 1)' "$T/out" &&
    ok "status --format json: the campaign's bounces, complaints and unsubscribes" ||
    { not_ok "status --format json lacks what came back"; sed 's/^/#   /' "$T/out"; }
gz subscribers list --status bounced
grep -q '^u3@inbox.example .*bounced *20[0-9-]* *2 soft bounces within 30 days' "$T/out" &&
    grep -q '^u2@inbox.example .*bounced *20[0-9-]* *hard bounce 5.1.1' "$T/out" &&
    [ "$(grep -c '@inbox.example' "$T/out")" = 4 ] &&
    ok "subscribers list --status bounced: the four, with since and reason" ||
    { not_ok "subscribers list --status bounced"; sed 's/^/#   /' "$T/out"; }

# an mbox of two more soft bounces for u4: three within the window -> bounced
"$PY" - "$SD" "$T/mbox" <<'EOP'
import glob, re, sys
for env in glob.glob(sys.argv[1] + "/*.env"):
    l = open(env).read().splitlines()
    if l[1] == "RCPT TO:<u4@inbox.example>":
        v = re.match(r"MAIL FROM:<(.*)>$", l[0]).group(1)
with open(sys.argv[2], "w") as f:
    for k in (1, 2):
        f.write("From MAILER-DAEMON Mon Jan  1 00:00:0%d 2026\n" % k)
        f.write("Return-Path: <>\nDelivered-To: %s\nFrom: MAILER-DAEMON@mx.example\nTo: %s\n"
                "Subject: Undelivered Mail Returned to Sender\nMessage-ID: <mb%d@mx>\n\n"
                "<u4@inbox.example>: host mx said: 452 4.2.2 Mailbox full, try again later %d\n\n"
                % (v, v, k, k))
EOP
gz inbox "$T/mbox"
grep -A2 'u4@inbox' "$W/subscribers.yaml" | grep -q 'status: bounced' &&
    ok "inbox on an mbox: two more soft bounces for u4 within the window make it bounced" ||
    { not_ok "inbox mbox: u4"; grep -A2 'u4@inbox' "$W/subscribers.yaml" | sed 's/^/#   /'; }
gz inbox /nonexistent/maildir
[ $rc = 66 ] && ok "inbox: a path that is not there is exit 66" || not_ok "inbox: missing path exit $rc"
gz inbox
[ $rc = 64 ] && ok "inbox: no path is a usage error (64)" || not_ok "inbox: no path exit $rc"

# every message this test made, held to the checklist (issue 9: tests/lib.sh)
check_sent_mail --except 'w/bounces/*=the bounces and replies the test feeds to gazette inbox: mail to gazette, not from it'
