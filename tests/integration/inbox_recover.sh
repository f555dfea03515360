#!/bin/sh
# inbox_recover: the order of `gazette inbox`'s writes.  The events go to disk first, then
# the Maildir's renames and the list edit, then a commit line.  A run whose list edit
# cannot be made (here: a read-only list, as a crash would leave it) must not lose the
# changes: the next run makes them, once; a commit line removed by hand (a crash after
# the edit) must not apply anything twice.  Also a Maildir bigger than one batch of the
# threaded reader, with the same message twice far apart: handled once, in name order.
# SPDX-License-Identifier: MIT
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/lib.sh"
export LC_ALL=C
if [ ! -x "$GAZETTE" ]; then not_ok "inbox_recover: $GAZETTE is not built"; exit 1; fi
W="$T/w"
mkdir -p "$W/md/new" "$W/md/cur" "$W/md/tmp"
cd "$W" || exit 1
printf 'newsletter:\n  from: news@example.org\n  bounce_to: bounces@example.org\n' >gazette.yaml
printf 'paths:\n  subscribers: subscribers.yaml\n  state_dir: state\n' >>gazette.yaml
printf 'subscribers:\n' >subscribers.yaml
for i in 1 2 3; do printf '  - email: u%s@example.net\n    status: active\n' "$i"; done \
    >>subscribers.yaml
cp subscribers.yaml before.yaml

# dsn N ADDR: a Postfix-style DSN, 5.1.1 user unknown, for ADDR
dsn() {
    printf 'From: MAILER-DAEMON@mx.example.org\nTo: bounces@example.org\n'
    printf 'Subject: Undelivered Mail Returned to Sender\nMessage-Id: <dsn%s@mx>\n' "$1"
    printf 'MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status;'
    printf ' boundary="B"\n\n--B\nContent-Type: text/plain\n\n<%s>: user unknown\n\n' "$2"
    printf -- '--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx\n\n'
    printf 'Final-Recipient: rfc822; %s\nAction: failed\nStatus: 5.1.1\n' "$2"
    printf 'Diagnostic-Code: smtp; 550 5.1.1 <%s>: User unknown\n\n--B--\n' "$2"
}
dsn 1 u1@example.net >md/new/1.a
dsn 2 u2@example.net >md/new/2.a

# 1. the list cannot be edited: the run fails, but what it learnt is on disk
chmod 444 subscribers.yaml
run_g -c gazette.yaml -q inbox md
[ "$rc" != 0 ] && ok "inbox_recover: a read-only list fails the run (exit $rc)" ||
    not_ok "inbox_recover: the run with a read-only list exited 0"
chmod 644 subscribers.yaml
cmp -s before.yaml subscribers.yaml && ok "inbox_recover: the list is unchanged" ||
    not_ok "inbox_recover: the read-only list changed"
nst=$(grep -c '"kind":"status"' state/events.jsonl)
ncm=$(grep -c '"kind":"commit"' state/events.jsonl)
[ "$nst" = 2 ] && [ "$ncm" = 0 ] &&
    ok "inbox_recover: two status lines recorded, no commit line" ||
    { not_ok "inbox_recover: $nst status and $ncm commit lines"; sed 's/^/#   /' state/events.jsonl; }
[ "$(ls md/new | wc -l)" = 0 ] && [ "$(ls md/cur | wc -l)" = 2 ] &&
    ok "inbox_recover: the messages are moved all the same (their events are on disk)" ||
    not_ok "inbox_recover: Maildir after the failed run: $(ls md/new md/cur)"

# 2. the next run, with nothing new, makes the changes
run_g -c gazette.yaml -q inbox md
expect_rc 0 "inbox_recover: the next run"
sed -e 's/^\(  - email: u[12]@example.net\)$/\1/' before.yaml |
    awk '/u1@|u2@/ { print; getline; print "    status: bounced"; next } { print }' >want.yaml
cmp -s want.yaml subscribers.yaml &&
    ok "inbox_recover: the next run bounces u1 and u2, byte for byte" ||
    { not_ok "inbox_recover: the list after recovery"; diff want.yaml subscribers.yaml | sed 's/^/#   /'; }
# every run with status lines has its commit line: the failed one's, made by this run
runs=$(sed -n 's/.*"kind":"status","run":"\([^"]*\)".*/\1/p' state/events.jsonl | sort -u)
cms=$(sed -n 's/.*"kind":"commit","run":"\([^"]*\)".*/\1/p' state/events.jsonl | sort -u)
[ "$(echo "$runs" | wc -l)" = 2 ] && [ "$runs" = "$cms" ] &&
    ok "inbox_recover: the failed run and the one that made its changes are committed" ||
    { not_ok "inbox_recover: commit lines"; sed 's/^/#   /' state/events.jsonl; }
grep -q "u1@example.net	1$" state/bounces 2>/dev/null &&
    ok "inbox_recover: the hard bounce is counted once" ||
    { not_ok "inbox_recover: STATE/bounces"; sed 's/^/#   /' state/bounces 2>/dev/null; }

# 3. a third run changes nothing
cp subscribers.yaml after.yaml
lines=$(wc -l <state/events.jsonl)
run_g -c gazette.yaml -q inbox md
[ "$rc" = 0 ] && cmp -s after.yaml subscribers.yaml &&
    [ "$(wc -l <state/events.jsonl)" = "$lines" ] &&
    ok "inbox_recover: a third run changes nothing and records nothing" ||
    not_ok "inbox_recover: the third run (exit $rc) changed something"

# 4. a crash after the list edit, before the commit line: nothing is done twice
grep -v '"kind":"commit"' state/events.jsonl >ev && cp ev state/events.jsonl
run_g -c gazette.yaml -q inbox md
[ "$rc" = 0 ] && cmp -s after.yaml subscribers.yaml &&
    [ "$(grep -c '"kind":"status"' state/events.jsonl)" = 4 ] &&
    [ "$(grep -c '"kind":"commit"' state/events.jsonl)" = 2 ] &&
    ok "inbox_recover: an edit made but not committed is not made again, only committed" ||
    { not_ok "inbox_recover: uncommitted edit already made (exit $rc)"; sed 's/^/#   /' state/events.jsonl; }

# 5. many messages for the threaded readers (read while the list loads, applied in name
#    order), a duplicate far apart
mkdir -p big/new big/cur big/tmp
i=0
while [ $i -lt 1100 ]; do
    printf 'From: friend%s@example.com\nTo: bounces@example.org\nSubject: hello %s\n\nhi\n' \
        $((i % 1000)) $((i % 1000)) >"big/new/$(printf '%05d' $i).m"
    i=$((i + 1))
done
lines=$(wc -l <state/events.jsonl)
run_g -c gazette.yaml -v inbox big
new=$(($(wc -l <state/events.jsonl) - lines))
skipped=$(grep -c 'handled before; skipped' "$T/out")
[ "$rc" = 0 ] && [ "$new" = 1000 ] && [ "$skipped" = 100 ] &&
    [ "$(ls big/new | wc -l)" = 0 ] && [ "$(ls big/cur | wc -l)" = 1100 ] &&
    ok "inbox_recover: 1100 messages: 1000 events, 100 copies skipped, all moved" ||
    not_ok "inbox_recover: big Maildir: exit $rc, $new events, $skipped skipped, $(ls big/cur | wc -l) in cur/"
first=$(grep -n 'hello 7"' state/events.jsonl | head -1)
grep -q '01007.m:2,S: handled before' "$T/out" && ! grep -q '00007.m:2,S: handled before' "$T/out" &&
    ok "inbox_recover: the first of two copies (in name order) is the one handled" ||
    not_ok "inbox_recover: which copy was handled: $first"

# 6. a list with an error: the Maildir's messages are read while the list loads, but the
#    run stops on the list's error (exit 65, its line), records nothing and moves nothing;
#    a path that is not there comes second to it, as before
mkdir -p bad/new bad/cur bad/tmp
dsn 3 u3@example.net >bad/new/3.a
printf 'subscribers:\n  - email: u1@example.net\n  - email: not-an-address\n' >badlist.yaml
sed 's/subscribers: subscribers.yaml/subscribers: badlist.yaml/' gazette.yaml >bad.yaml
lines=$(wc -l <state/events.jsonl)
run_g -c bad.yaml -q inbox bad
[ "$rc" = 65 ] && grep -q 'badlist.yaml:3:' "$T/err" &&
    [ "$(wc -l <state/events.jsonl)" = "$lines" ] && [ "$(ls bad/new)" = 3.a ] &&
    [ "$(ls bad/cur | wc -l)" = 0 ] &&
    ok "inbox_recover: a list with an error stops the run (65, its line); nothing recorded or moved" ||
    { not_ok "inbox_recover: bad list with a Maildir: exit $rc, $(ls bad/new bad/cur)"; sed 's/^/#   /' "$T/err"; }
run_g -c bad.yaml -q inbox /nonexistent/md
[ "$rc" = 65 ] && grep -q 'badlist.yaml:3:' "$T/err" &&
    ok "inbox_recover: the list's error comes before a missing path's" ||
    { not_ok "inbox_recover: bad list and a missing path: exit $rc"; sed 's/^/#   /' "$T/err"; }

# sent mail: not checked: the Maildirs are mail to gazette inbox, written by the test; it sends none (tests/integration/sent_mail.sh)
