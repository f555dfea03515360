#!/bin/sh
# gazette serve over real HTTP (curl and Python): one-click unsubscribe (RFC 8058), GET
# never unsubscribes, forged and expired tokens, resubscribe, sign-up with double opt-in
# through the Maildir, the honeypot and rate limits, oversized, malformed and slow
# requests, 1,000 concurrent requests, IPv6 and a Unix socket; the list checked byte for
# byte after each step.
. "$TOP/tests/lib.sh"
D="$TOP/tests/data/subs"
C="$PY $TOP/tests/integration/serve_client.py"
cd "$T" || exit 1
command -v curl >/dev/null 2>&1 || { skip "curl is not installed"; exit 0; }

SECRET=serve-test-secret-long-enough-for-gazette
printf '%s\n' "$SECRET" >secret
chmod 600 secret
PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"

config() {   # config LISTEN APPLY_SECONDS SIGNUP_PER_HOUR
    cat >gazette.yaml <<EOF
newsletter:
  name: Serve Test
  from: news@example.org
  base_url: $BASE
  unsubscribe_url: $BASE/unsubscribe?email={{email}}&token={{token}}
  secret_file: secret
  postal_address: 1 Test Street, 12345 Testville
paths:
  log_file: gazette.log
serve:
  listen: "$1"
  apply_seconds: $2
  signup_per_hour: $3
  tags: [weekly, tech]
EOF
}

SPID=
start() {   # start [extra args]: the server in the background, ready when this returns
    "$GAZETTE" serve "$@" 2>serve.err &
    SPID=$!
    i=0
    while [ $i -lt 300 ]; do
        if [ -n "${SOCK:-}" ]; then
            curl -s -o /dev/null --unix-socket "$SOCK" http://x/subscribe && return 0
        else
            curl -s -o /dev/null "${URL0:-$BASE}/subscribe" && return 0
        fi
        kill -0 $SPID 2>/dev/null || break
        sleep 0.1
        i=$((i + 1))
    done
    not_ok "the server did not start"; cat serve.err; exit 1
}
stop() {
    kill -TERM $SPID 2>/dev/null
    wait $SPID
    src=$?
    SPID=
}
trap '[ -n "$SPID" ] && kill -9 $SPID 2>/dev/null; rm -rf "$T"' EXIT

# http METHOD URL [curl args]: status in $code, body in $T/body, headers in $T/hdr
http() {
    m=$1 u=$2
    shift 2
    code=$(curl -s -X "$m" -D "$T/hdr" -o "$T/body" -w '%{http_code}' "$@" "$u")
}

# ---- --check ---------------------------------------------------------------------------
cp "$D/hand.yaml" subscribers.yaml
config "127.0.0.1:$PORT" 3600 3
run_g serve --check
expect_rc 0 "serve --check passes a good config"
check "serve --check is quiet" [ ! -s "$T/err" ]
sed 's/unsubscribe?email={{email}}&token={{token}}/u\/{{token}}/' gazette.yaml >bad.yaml
run_g -c bad.yaml serve --check
expect_rc 78 "serve --check refuses an unsubscribe_url without {{email}} in its query"
expect_err "unsubscribe_url" "and names the key"
sed '/secret_file/d' gazette.yaml >bad.yaml
run_g -c bad.yaml serve --check
expect_rc 78 "serve --check refuses a config without a secret"
sed 's/listen: .*/listen: "localhost-ish"/' gazette.yaml >bad.yaml
run_g -c bad.yaml serve --check
expect_rc 78 "serve --check refuses a bad listen address"
expect_err "serve.listen" "and names serve.listen"
head -c 5000 /dev/zero | tr '\0' 7 >longsecret
chmod 600 longsecret
sed 's/secret_file: secret/secret_file: longsecret/' gazette.yaml >long.yaml
run_g -c long.yaml serve --check
expect_rc 0 "serve --check takes a secret of 5,000 characters (a 4 KiB buffer used to drop it)"
mkdir -p badtpl/web && printf '{{#x}}unclosed' >badtpl/web/confirm.html.mustache
sed 's/^paths:$/paths:\n  templates: badtpl/' gazette.yaml >bad.yaml
run_g -c bad.yaml serve --check
expect_rc 78 "serve --check reports a broken web template"
expect_err "confirm.html.mustache:1:" "with its file:line:col"

# ---- unsubscribe -----------------------------------------------------------------------
start
TOK=$($C token "$SECRET" alice@example.org)
UNSUB="$BASE/unsubscribe?email=alice%40example.org&token=$TOK"
http GET "$UNSUB"
check "GET of the unsubscribe link: 200" [ "$code" = 200 ]
check "it shows one button that POSTs the one-click body" sh -c "grep -q 'method=\"post\"' '$T/body' && grep -q 'name=\"List-Unsubscribe\" value=\"One-Click\"' '$T/body'"
check "security headers: CSP without framing, X-Frame-Options, no referrer" sh -c "
grep -qi \"^Content-Security-Policy: default-src 'none'.*frame-ancestors 'none'\" '$T/hdr' &&
grep -qi '^X-Frame-Options: DENY' '$T/hdr' && grep -qi '^Referrer-Policy: no-referrer' '$T/hdr'"
check "the CSP allows exactly the page's inline style (hash)" $C csp "$UNSUB"
http HEAD "$UNSUB" -I
check "HEAD: 200 too" [ "$code" = 200 ]
# mail scanners follow links: many GETs, then the list is read (which applies requests)
for i in 1 2 3; do curl -s -o /dev/null "$UNSUB"; done
run_g subscribers count
check "GET never unsubscribes: the list is byte for byte the same" cmp -s "$D/hand.yaml" subscribers.yaml

http POST "$UNSUB" -d "List-Unsubscribe=Other"
check "POST with another body: 400, nothing done" [ "$code" = 400 ]
http POST "$UNSUB"
check "POST without a body: 400" [ "$code" = 400 ]
FORGED="$BASE/unsubscribe?email=alice%40example.org&token=${TOK%?}A"
[ "$FORGED" = "$UNSUB" ] && FORGED="$BASE/unsubscribe?email=alice%40example.org&token=${TOK%?}B"
http POST "$FORGED" -d List-Unsubscribe=One-Click
check "a forged token: 400" [ "$code" = 400 ]
cp "$T/body" forged-listed.html
http POST "$BASE/unsubscribe?email=nobody%40example.org&token=${TOK}" -d List-Unsubscribe=One-Click
cp "$T/body" forged-unlisted.html
check "the 400 page is the same for a listed and an unlisted address" cmp -s forged-listed.html forged-unlisted.html
check "and names no address" sh -c "! grep -q 'example.org' forged-listed.html"
http GET "$BASE/unsubscribe?email=alice%40example.org"
check "no token: 400" [ "$code" = 400 ]
http GET "$BASE/unsubscribe?email=not-an-address&token=$TOK"
check "a bad address: 400" [ "$code" = 400 ]
run_g subscribers count
check "after all those, the list is unchanged" cmp -s "$D/hand.yaml" subscribers.yaml

http POST "$UNSUB" -d List-Unsubscribe=One-Click -H 'Content-Type: application/x-www-form-urlencoded'
check "one-click POST: 200" [ "$code" = 200 ]
check "and no redirect" sh -c "! grep -qi '^Location:' '$T/hdr'"
check "the page confirms and offers to resubscribe" sh -c "grep -q 'id=\"done\"' '$T/body' && grep -q 'action=\"/resubscribe\"' '$T/body'"
# accepted: in the request log, not yet in the list (apply_seconds 3600); status shows it
run_g status
expect_out "subscriber requests: 1 pending" "status shows the pending request"
cp "$D/hand.yaml" other.yaml
run_g --subscribers other.yaml subscribers count
check "another list (--subscribers) does not take the server's requests" cmp -s "$D/hand.yaml" other.yaml
run_g status
expect_out "subscriber requests: 1 pending" "they still wait"
sed '6s/status: active/status: unsubscribed/' "$D/hand.yaml" >want.yaml
run_g subscribers count
check "the next 'subscribers' command applies it: only alice's status changed" cmp -s want.yaml subscribers.yaml
run_g status
check "status shows none pending after" sh -c "! grep -q 'subscriber requests' '$T/out'"
http POST "$UNSUB" -F List-Unsubscribe=One-Click
check "unsubscribing twice, as multipart/form-data (RFC 8058 3.1's SHOULD): 200 again" sh -c "
[ '$code' = 200 ] && grep -q 'id=\"done\"' '$T/body'"
http POST "$UNSUB" -F List-Unsubscribe=Other
check "multipart with another value: 400" [ "$code" = 400 ]
run_g subscribers count
check "and the list is the same" cmp -s want.yaml subscribers.yaml
check "the JSON log has the event with the address and no token" sh -c "
grep -q '\"event\": \"unsubscribe\", \"subscriber\": \"alice@example.org\"' gazette.log && ! grep -q '$TOK' gazette.log"
check "every log line is JSON" "$PY" -c '
import json,sys
for l in open("gazette.log"): json.loads(l)'

# resubscribe from the page's form
http POST "$BASE/resubscribe" --data-urlencode email=alice@example.org --data-urlencode "token=$TOK"
check "resubscribe: 200" [ "$code" = 200 ]
http POST "$BASE/resubscribe" --data-urlencode email=alice@example.org --data-urlencode "token=x$TOK"
check "resubscribe with a bad token: 400" [ "$code" = 400 ]
run_g subscribers count
check "resubscribed: the list is the original again" cmp -s "$D/hand.yaml" subscribers.yaml

# ---- bad requests ----------------------------------------------------------------------
http POST "$UNSUB" -H 'Content-Length: 100000' -d x
check "a body announced over 8 KiB: 413" [ "$code" = 413 ]
head -c 20000 /dev/zero | tr '\0' a >big
http POST "$UNSUB" -H 'Transfer-Encoding: chunked' --data-binary @big
check "a chunked body over 8 KiB: 413" [ "$code" = 413 ]
http GET "$BASE/subscribe" -H "X-Big: $(head -c 40000 /dev/zero | tr '\0' a)"
check "40 KB of headers: refused with a 4xx" [ "${code#4}" != "$code" ]
resp=$(printf 'BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n' | "$PY" -c '
import socket,sys
s=socket.create_connection(("127.0.0.1",'"$PORT"')); s.sendall(sys.stdin.buffer.read()); print(s.recv(100).split(b"\r\n")[0].decode())')
check "an unknown method: 405 ($resp)" [ "${resp#HTTP/1.1 405}" != "$resp" ]
raw() {   # raw BYTES: the status line the server answers, "" when it just closes
    printf "$1" | "$PY" -c '
import socket,sys
s=socket.create_connection(("127.0.0.1",'"$PORT"')); s.sendall(sys.stdin.buffer.read())
s.settimeout(30); print(s.recv(100).split(b"\r\n")[0].decode())'
}
resp=$(raw 'GET / HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n')
check "a malformed header line: 400 ($resp)" [ "${resp#HTTP/1.1 400}" != "$resp" ]
resp=$(raw 'GET / HTTP/7.0\r\nHost: x\r\n\r\n')
check "an unknown HTTP version: 505 ($resp)" [ "${resp#HTTP/1.1 505}" != "$resp" ]
resp=$(raw 'garbage\r\n\r\n')
check "a request line that is garbage: the connection is closed ($resp)" [ -z "$resp" ]
http GET "$BASE/nothing-here"
check "an unknown path: 404" [ "$code" = 404 ]
run_g subscribers count
check "the list survived the bad requests unchanged" cmp -s "$D/hand.yaml" subscribers.yaml
stop
check "SIGTERM stops the server with 0" [ "$src" = 0 ]

# ---- slow clients ----------------------------------------------------------------------
start --timeout 2
out=$($C slow 127.0.0.1 "$PORT" "$BASE/subscribe")
check "a stalled client does not stop others" sh -c "echo '$out' | grep -q served"
check "and is disconnected after the idle timeout" sh -c "echo '$out' | grep -q closed"
stop

# ---- sign-up ---------------------------------------------------------------------------
start
http GET "$BASE/subscribe"
check "the sign-up form: 200 with email, name, the configured tags and a honeypot" sh -c "
grep -q 'name=\"email\"' '$T/body' && grep -q 'name=\"name\"' '$T/body' &&
grep -q 'value=\"tech\"' '$T/body' && grep -q 'name=\"website\"' '$T/body'"
http POST "$BASE/subscribe" -d 'email=new.reader@example.com&name=New+R%C3%A9ader&tag=tech&tag=evil&website='
check "sign-up: 200" [ "$code" = 200 ]
cp "$T/body" signup1.html
http POST "$BASE/subscribe" -d 'email=alice@example.org&name=&website=' -H 'X-Forwarded-For: 192.0.2.7'
cp "$T/body" signup-active.html
check "an address already on the list gets the same page" cmp -s signup1.html signup-active.html
http POST "$BASE/subscribe" -d 'email=new.reader@example.com&name=Again&website=' -H 'X-Forwarded-For: 192.0.2.8'
check "signing up again: 200, same page" cmp -s signup1.html "$T/body"
http POST "$BASE/subscribe" -d 'email=bot@example.com&name=Bot&website=http://spam.example' -H 'X-Forwarded-For: 192.0.2.9'
check "the honeypot: the same page" cmp -s signup1.html "$T/body"
http POST "$BASE/subscribe" -d 'email=bad@@example.com&website=' -H 'X-Forwarded-For: 192.0.2.10'
check "a bad address: 400 with the reason in the form" sh -c "[ '$code' = 400 ] && grep -q 'id=\"error\"' '$T/body'"
for i in 1 2 3; do
    curl -s -o /dev/null -d "email=r$i@example.com&website=" -H 'X-Forwarded-For: 198.51.100.1' "$BASE/subscribe"
done
http POST "$BASE/subscribe" -d 'email=r4@example.com&website=' -H 'X-Forwarded-For: 198.51.100.1'
check "the fourth sign-up from one address within the hour: 429" [ "$code" = 429 ]
http POST "$BASE/subscribe" -d 'email=r5@example.com&website=' -H 'X-Forwarded-For: 198.51.100.2'
check "another address is not limited" [ "$code" = 200 ]
# the mail goes out on its own thread: wait for the messages (not for a time)
i=0
while [ $i -lt 300 ] && [ "$(ls outbox/new 2>/dev/null | wc -l)" -lt 6 ]; do sleep 0.1; i=$((i + 1)); done
check "one confirmation per address and hour, none for the bot (6 in the Maildir)" [ "$(ls outbox/new | wc -l)" = 6 ]
check "one for new.reader" [ "$(grep -l '^To: new.reader@example.com' outbox/new/* | wc -l)" = 1 ]
check "none for the honeypot" sh -c "! grep -q 'bot@example.com' outbox/new/*"
MAIL=$(grep -l '^To: new.reader@example.com' outbox/new/*)
LINK=$($C confirm-link "$MAIL")
check "the confirmation carries a confirm link on base_url" sh -c "echo '$LINK' | grep -q '^$BASE/confirm?email='"
stop
run_g subscribers list --status pending
expect_out "new.reader@example.com" "at shutdown the sign-up is in the list as pending"
"$PY" - <<'EOF' >want-tail.txt
print("""  -   email: new.reader@example.com
      name: New Réader
      status: pending
      tags: [tech]""")
EOF
check "with its name and only the allowed tag" sh -c "grep -A3 'email: new.reader@example.com' subscribers.yaml | cmp -s - want-tail.txt"
check "the honeypot's address is not in the list" sh -c "! grep -q bot@example.com subscribers.yaml"

start
http GET "$LINK"
check "GET of the confirm link: a button, 200" sh -c "[ '$code' = 200 ] && grep -q 'id=\"confirm\"' '$T/body'"
cp subscribers.yaml before-confirm.yaml
run_g subscribers count
check "GET does not confirm" cmp -s before-confirm.yaml subscribers.yaml
http POST "$LINK"
check "POST confirms: 200" sh -c "[ '$code' = 200 ] && grep -q 'id=\"done\"' '$T/body'"
EXP=$(($(date +%s) - 10))
OLD=$($C confirm-token "$SECRET" new.reader@example.com $EXP)
http POST "$BASE/confirm?email=new.reader%40example.com&exp=$EXP&token=$OLD"
check "an expired confirm link: 400" [ "$code" = 400 ]
LATE=$(($(date +%s) + 999999))
http POST "$BASE/confirm?email=new.reader%40example.com&exp=$LATE&token=$OLD"
check "a confirm link with a changed expiry: 400" [ "$code" = 400 ]
stop
run_g subscribers list --status active
expect_out "new.reader@example.com" "confirmed: active"

# ---- a confirmation mail over its limit: an error that names the limit, no mail ---------
check_sent_mail --allow-none --transactional '*_confirm.*'    # before the outbox goes
rm -rf outbox
mkdir -p bigtpl/web
# 800,000 bytes of text: under the text's 1 MiB, over the mail's 1 MiB once encoded
"$PY" -c 'import sys; sys.stdout.write("{{confirm_url}}\n" + "\u00e9" * 400000 + "\n")' \
    >bigtpl/web/confirm-mail.txt.mustache
sed -i 's/^paths:$/paths:\n  templates: bigtpl/' gazette.yaml
start
http POST "$BASE/subscribe" -d 'email=big.reader@example.com&website=' -H 'X-Forwarded-For: 203.0.113.9'
check "sign-up with an oversized confirmation template: 200" [ "$code" = 200 ]
i=0
while [ $i -lt 300 ] && ! grep -q '"confirm_mail_[a-z]*", "subscriber": "big.reader@example.com"' gazette.log; do
    sleep 0.1; i=$((i + 1))
done
stop
check "the mail is logged as failed" grep -q '"confirm_mail_failed", "subscriber": "big.reader@example.com"' gazette.log
check "with the reason and the limit" grep -q 'big.reader@example.com not sent: .*would pass 1048576 bytes once encoded' serve.err
check "and nothing, empty or cut, reaches the Maildir" sh -c "[ -z \"\$(ls outbox/new 2>/dev/null)\" ]"

# ---- 1,000 concurrent requests ---------------------------------------------------------
"$PY" - <<'EOF'
with open("subscribers.yaml", "w") as f, open("addrs", "w") as a, open("want.yaml", "w") as w:
    f.write("# generated\nsubscribers:\n"); w.write("# generated\nsubscribers:\n")
    for i in range(1200):
        e = "reader%04d@example.net" % i
        f.write("  - email: %s\n    status: active\n" % e)
        w.write("  - email: %s\n    status: %s\n" % (e, "unsubscribed" if i % 6 else "active"))
        if i % 6:
            a.write(e + "\n")
EOF
config "127.0.0.1:$PORT" 1 3
start
out=$($C burst "$BASE" "$SECRET" addrs acked 1000)
check "1,000 clients at once: all 1,000 answered 200 ($out)" [ "$out" = "ok=1000 other=0" ]
stop
check "after the batches and shutdown the list is exactly as expected" cmp -s want.yaml subscribers.yaml
check "at most a few rewrites: batches, not one per request" "$PY" -c '
import json
n=[json.loads(l) for l in open("gazette.log") if "\"applied\"" in l]
assert sum(e["unsubscribe"] for e in n)==1000 and len(n)<=50, len(n)'

# ---- IPv6 and a Unix socket ------------------------------------------------------------
if "$PY" -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1",0))' 2>/dev/null; then
    P6=$(free_port)
    config "[::1]:$P6" 3600 3
    URL0="http://[::1]:$P6" start
    http GET "http://[::1]:$P6/subscribe" -g
    check "listens on IPv6 [::1]" [ "$code" = 200 ]
    stop
else
    skip "no IPv6 loopback here"
fi
SOCK="$T/gz.sock"
config "unix:$SOCK" 3600 3
SOCK=$SOCK start
http GET "http://x/subscribe" --unix-socket "$SOCK"
check "listens on a Unix socket" [ "$code" = 200 ]
stop
check "the socket is removed at exit" [ ! -e "$SOCK" ]

# ---- an acknowledged unsubscribe is never sent to ----------------------------------------
SOCK= URL0=
unset SOCK URL0
cp "$D/hand.yaml" subscribers.yaml
check_sent_mail --allow-none --transactional '*_confirm.*'    # before the outbox goes
rm -rf outbox state
config "127.0.0.1:$PORT" 3600 3
mkdir -p articles
printf -- '---\ntitle: "A story"\nurl: https://news.example.org/s\n---\n\n%s\n' \
    "The body of the story, with enough words to make a paragraph of its own." >articles/s.md
start
T2=$($C token "$SECRET" Bob@example.com)
http POST "$BASE/unsubscribe?email=Bob%40example.com&token=$T2" -d List-Unsubscribe=One-Click
check "Bob's one-click unsubscribe: 200" [ "$code" = 200 ]
kill -9 $SPID; wait $SPID 2>/dev/null; SPID=
check "the server is gone before it applied anything" cmp -s "$D/hand.yaml" subscribers.yaml
run_g send articles
expect_rc 0 "gazette send runs"
check "send applied the request first: Bob gets no copy, alice gets hers" sh -c "
! grep -qi '^To: .*bob@example.com' outbox/new/* && grep -q '^To: .*alice@example.org' outbox/new/*"

# every message this test made, held to the checklist (issue 9: tests/lib.sh)
check_sent_mail --transactional '*_confirm.*'
