#!/bin/sh
# SMTP transports against real servers on 127.0.0.1: the scriptable aiosmtpd server
# (smtp_server.py) and Postfix's smtp-sink (never the Postfix daemon).  Each case checks
# the exact outcome, code, enhanced code and stage from build/san/smtpdrv and, where it
# matters, what the server received, byte for byte.
# TRANSPORT=curl (default) or esmtp runs the very same cases against that transport
# (tests/integration/transport_esmtp.sh sets TRANSPORT=esmtp and runs this file).
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/lib.sh"
. "$TOP/tests/servers.sh"
TRANSPORT=${TRANSPORT:-curl}
DRV=${SMTPDRV:-$TOP/build/san/smtpdrv}
TIMEOUT=2                       # smtp.timeout for the cases that wait for a stuck server
PIDS=
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"' EXIT
cd "$T" || exit 1
P="$TRANSPORT:"                 # names every check after the transport

if [ ! -x "$DRV" ]; then skip "$P $DRV is not built (make build/san/smtpdrv)"; exit 0; fi
if ! avail=$("$DRV" --transport "$TRANSPORT" --available 2>&1); then
    skip "$P transport not available: $avail"
    exit 0
fi
if ! "$PY" -c 'import aiosmtpd' 2>/dev/null; then
    skip "$P python3-aiosmtpd is not installed (apt-get install python3-aiosmtpd)"
    exit 0
fi
if ! command -v openssl >/dev/null 2>&1; then
    skip "$P openssl is not installed: no test certificates"
    exit 0
fi

# --- fixtures -------------------------------------------------------------------------
# Test certificates: one for 127.0.0.1 (the server's), one for another name.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
    -addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout key.pem -out cert.pem \
    >/dev/null 2>&1
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=wrong.example \
    -addext subjectAltName=DNS:wrong.example -keyout wkey.pem -out wcert.pem >/dev/null 2>&1
# Messages as gazette makes them (complete headers, so that no library adds any), with
# the lines that dot-stuffing must carry through exactly once (RFC 5321 4.5.2), UTF-8
# bytes and a line with a lone space-dot.
HEAD='From: Sender <sender@example.org>\r\nTo: a@example.net\r\n'\
'Date: Fri, 27 Nov 2026 08:00:00 +0000\r\nMessage-ID: <transport-test@example.org>\r\n'\
'MIME-Version: 1.0\r\n'
printf "$HEAD"'Subject: transport test\r\nContent-Type: text/plain; charset=utf-8\r\n'\
'Content-Transfer-Encoding: 8bit\r\n\r\nfirst line\r\n.\r\n..x\r\n.hidden\r\n . space\r\n'\
'caf\303\251\r\n.\r\n\r\nlast line\r\n' >msg.eml
# A large one: 20000 lines starting with dots, crossing every upload buffer boundary.
printf "$HEAD"'Subject: big\r\n\r\n' >big.eml
"$PY" -c '
import sys
sys.stdout.buffer.write(b"".join(b"." * (i % 5 + 1) + b"line %d\r\n" % i for i in range(20000)))
' >>big.eml
printf "$HEAD"'Subject: no final line break\r\n\r\nbody without CRLF' >nocrlf.eml
printf "$HEAD"'Subject: no final line break\r\n\r\nbody without CRLF\r\n' >nocrlf.want

# --- helpers --------------------------------------------------------------------------

# drv ARGS...: run the driver against the current server (stdout $T/out, stderr $T/err)
drv() {
    "$DRV" --transport "$TRANSPORT" --from sender@example.org --timeout 10 "$@" \
        >"$T/out" 2>"$T/err"
    rc=$?
    if grep -q 'Sanitizer\|runtime error' "$T/err"; then
        not_ok "$P sanitizer report from smtpdrv $*"; sed 's/^/#   /' "$T/err" | head -20
    fi
}
url() { echo "smtp://127.0.0.1:$PORT"; }

# result N: fields of the Nth RESULT line: rcpt outcome code enhanced stage reconnect
result() {
    awk -v n="$1" '$1 == "RESULT" { if (++c == n) { print $2, $3, $4, $5, $6, $7; exit } }' \
        "$T/out"
}
# first_of A B: which of the server events A and B came first
first_of() { grep -E -m1 "^($1|$2) " "$SD/log" | cut -d' ' -f1; }
# most_per_conn: the most messages any one connection carried
most_per_conn() {
    awk '$1 == "msg" { n[$2]++ } END { m = 0; for (c in n) if (n[c] > m) m = n[c]; print m }' \
        "$SD/log"
}
fields_match() {
    awk -v g="$1" -v w="$2" 'BEGIN { n = split(g, a, " "); m = split(w, b, " ");
        if (n != m) exit 1; for (i = 1; i <= m; i++) if (b[i] != "*" && a[i] != b[i]) exit 1 }'
}
show() { sed 's/^/#   /' "$T/out" "$T/err" | head -${1:-8}; }
# want N "rcpt outcome code enhanced stage reconnect" WHAT ("*" matches any field); the
# driver must have opened the transport and exited 0
want() {
    got=$(result "$1")
    if fields_match "$got" "$2" && [ "$rc" = 0 ]; then ok "$P $3"; else
        not_ok "$P $3: got '$got' (exit $rc), want '$2'"; show; fi
}
# unsupported WHAT: the transport cannot do this setting at all (open() failed with
# EX_CONFIG, or says "not supported") -> a skip, not a pass.  Never for curl, which must.
unsupported() {
    [ "$TRANSPORT" = curl ] && return 1
    if grep -q '^OPEN-ERROR 78 ' "$T/out" || grep -qi 'not supported\|unsupported' "$T/out"
    then
        skip "$P $1: $(grep -m1 '^OPEN-ERROR\|supported' "$T/out")"
        return 0
    fi
    return 1
}
# want_fail "outcome code enhanced stage" EXIT WHAT: the first message failed that way, or
# open() failed with sysexits EXIT (a transport that connects in open())
want_fail() {
    if grep -q '^OPEN-ERROR ' "$T/out"; then
        got=$(awk '$1 == "OPEN-ERROR" { print $2; exit }' "$T/out")
        if [ "$got" = "$2" ] && [ "$rc" = "$2" ]; then ok "$P $3 (open: exit $2)"; else
            not_ok "$P $3: open failed with $got (exit $rc), want $2"; show; fi
    else
        want 1 "* $1 *" "$3"
    fi
}
# want_text TEXT WHAT: the driver's report (result text or open error) mentions TEXT
want_text() {
    if grep -qi -- "$1" "$T/out"; then ok "$P $2"; else not_ok "$P $2: no '$1' in output"; show; fi
}
# count_log WORD: how many events WORD the server logged
count_log() { grep -c "^$1 " "$SD/log" 2>/dev/null; }
want_count() {
    got=$(count_log "$1")
    if [ "$got" = "$2" ]; then ok "$P $3"; else not_ok "$P $3: $got '$1' events, want $2"
        sed 's/^/#   /' "$SD/log" | head -20; fi
}
# same_bytes FILE WANT WHAT
same_bytes() {
    if cmp -s "$1" "$2"; then ok "$P $3"; else not_ok "$P $3: $1 differs from $2"
        cmp "$1" "$2" 2>&1 | sed 's/^/#   /'; fi
}

# --- plain sending --------------------------------------------------------------------
start_server
drv --url "$(url)" --starttls off --rcpt a@example.net,b@example.net,c@example.net \
    --file msg.eml
want 1 "a@example.net sent 250 2.0.0 data 0" "plain send: sent, 250 2.0.0"
want 3 "c@example.net sent 250 2.0.0 data 0" "plain send: third message sent"
same_bytes "$SD/0001.eml" msg.eml "message bytes arrive identical (dot-stuffing exactly once)"
same_bytes "$SD/0003.eml" msg.eml "third message bytes identical"
printf 'MAIL FROM:<sender@example.org>\nRCPT TO:<b@example.net>\n' >env.want
same_bytes "$SD/0002.env" env.want "envelope: MAIL FROM the sender, one RCPT TO"
want_count conn 1 "three messages over one connection"
want_count msg 3 "three transactions"
want_count quit 1 "the connection ends with QUIT"
stop_server

start_server
drv --url "$(url)" --starttls off --rcpt a@example.net --file big.eml
want 1 "a@example.net sent 250 * data 0" "large message with 20000 dot lines sent"
same_bytes "$SD/0001.eml" big.eml "large message arrives identical"
drv --url "$(url)" --starttls off --rcpt a@example.net --file nocrlf.eml
same_bytes "$SD/0002.eml" nocrlf.want "a message without a final CRLF gets exactly one added"
stop_server

start_server
drv --url "$(url)" --starttls off --rcpt r@example.net --tag --count 20 --file msg.eml
want 20 "r+19@example.net sent 250 2.0.0 data 0" "20 messages sent"
want_count conn 1 "20 messages reuse one connection"
want_count ehlo 1 "one EHLO for 20 messages"
want_count msg 20 "20 transactions on it"
stop_server

start_server
drv --url "$(url)" --starttls off --rcpt r@example.net --tag --count 10 --per-conn 3 \
    --file msg.eml
check "$P messages_per_connection 3: all 10 sent" [ "$(grep -c '^RESULT .* sent ' "$T/out")" = 10 ]
want_count conn 4 "messages_per_connection 3: 10 messages over 4 connections"
want_count quit 4 "each full connection is closed with QUIT"
check "$P no connection carries more than 3 messages" [ "$(most_per_conn)" = 3 ]
stop_server

start_server
drv --url "$(url)" --starttls off --helo mail.example.org --rcpt a@example.net --file msg.eml
check "$P smtp.helo is the EHLO name" grep -q '^ehlo 1 mail.example.org$' "$SD/log"
drv --url "$(url)" --starttls off --probe
if grep -q '^PROBE sent 250 ' "$T/out"; then ok "$P probe: connect, greet, QUIT"; else
    not_ok "$P probe"; show; fi
stop_server

# --- TLS (checklist T1-T3) ------------------------------------------------------------
start_server --starttls --require-starttls --cert cert.pem --key key.pem
drv --url "$(url)" --starttls required --ca cert.pem --rcpt a@example.net --file msg.eml
want 1 "a@example.net sent 250 2.0.0 data 0" \
    "STARTTLS required and offered: sent (certificate verified with ca_file)"
check "$P STARTTLS came before MAIL" [ "$(first_of starttls mail)" = starttls ]
same_bytes "$SD/0001.eml" msg.eml "message over TLS arrives identical"
drv --url "$(url)" --starttls required --rcpt a@example.net --file msg.eml
want_fail "fatal * * tls" 76 "untrusted certificate (no ca_file): FATAL"
want_text "certificate" "the error names the certificate problem"
drv --url "smtp://localhost:$PORT" --starttls required --ca wcert.pem --rcpt a@example.net \
    --file msg.eml
want_fail "fatal * * tls" 76 "certificate for another name: FATAL"
drv --url "$(url)" --starttls required --no-verify --rcpt a@example.net --file msg.eml
want 1 "a@example.net sent 250 2.0.0 data 0" "tls_verify false: sent"
check "$P tls_verify false warns on stderr" grep -q 'TLS certificate verification is OFF' "$T/err"
want_count msg 2 "no message went out over a refused TLS session"
stop_server

start_server
drv --url "$(url)" --starttls required --rcpt a@example.net --file msg.eml
want_fail "fatal * * tls" 76 "STARTTLS required but not offered: FATAL"
want_text "STARTTLS" "the error says STARTTLS is missing"
want_count mail 0 "no MAIL FROM without TLS"
drv --url "$(url)" --starttls opportunistic --rcpt a@example.net --file msg.eml
want 1 "a@example.net sent 250 2.0.0 data 0" "opportunistic without STARTTLS offered: sent"
stop_server

start_server --starttls --cert cert.pem --key key.pem
drv --url "$(url)" --starttls opportunistic --ca cert.pem --rcpt a@example.net --file msg.eml
want 1 "a@example.net sent 250 2.0.0 data 0" "opportunistic with STARTTLS offered: sent"
want_count starttls 1 "opportunistic uses STARTTLS when offered"
stop_server

start_server --smtps --cert cert.pem --key key.pem
drv --url "smtps://127.0.0.1:$PORT" --ca cert.pem --rcpt a@example.net --file msg.eml
if ! unsupported "smtps:// implicit TLS"; then
    want 1 "a@example.net sent 250 2.0.0 data 0" "smtps:// implicit TLS: sent"
    same_bytes "$SD/0001.eml" msg.eml "message over implicit TLS arrives identical"
    drv --url "smtps://127.0.0.1:$PORT" --rcpt a@example.net --file msg.eml
    want_fail "fatal * * tls" 76 "smtps:// with an untrusted certificate: FATAL"
fi
stop_server

# --- AUTH (RFC 4954) ------------------------------------------------------------------
SECRET='s3cret-Pa55w0rd'
export GZ_PASS="$SECRET" GZ_BAD="wrong-$SECRET"
start_server --starttls --require-starttls --cert cert.pem --key key.pem --auth "jane:$SECRET"
drv --url "$(url)" --ca cert.pem --user jane --password-env GZ_PASS --debug \
    --rcpt a@example.net --file msg.eml
want 1 "a@example.net sent 250 2.0.0 data 0" "AUTH over STARTTLS: sent"
check "$P the server saw a good login" grep -q '^auth 1 jane ok$' "$SD/log"
check "$P AUTH only after STARTTLS" [ "$(first_of starttls auth)" = starttls ]
b64=$(printf '\000jane\000%s' "$SECRET" | base64)
b64l=$(printf '%s' "$SECRET" | base64)
check "$P the password never appears in the debug output" \
    sh -c "! grep -qF -e '$SECRET' -e '$b64' -e '$b64l' '$T/err' '$T/out'"
check "$P the debug output shows the conversation" grep -q 'AUTH' "$T/err"
drv --url "$(url)" --ca cert.pem --user jane --password-env GZ_BAD --debug \
    --rcpt a@example.net --file msg.eml
want_fail "fatal 535 5.7.8 auth" 77 "wrong password: FATAL, EX_NOPERM"
want_text "535" "the error carries the server's 535"
check "$P a wrong password is not shown either" \
    sh -c "! grep -qF -e 'wrong-$SECRET' '$T/err' '$T/out'"
want_count msg 1 "nothing sent after a refused login"
stop_server

start_server --auth "jane:$SECRET" --auth-plaintext
drv --url "$(url)" --starttls opportunistic --user jane --password-env GZ_PASS \
    --rcpt a@example.net --file msg.eml
want_fail "fatal * * *" 76 \
    "opportunistic, no STARTTLS offered, login set: refuses to send the password in clear"
want_count auth 0 "no AUTH went out in clear"
drv --url "$(url)" --starttls off --user jane --password-env GZ_PASS --rcpt a@example.net \
    --file msg.eml
want 1 "a@example.net sent 250 2.0.0 data 0" "starttls off: AUTH in clear when explicitly allowed"
check "$P the plain-text login worked" grep -q '^auth [0-9]* jane ok$' "$SD/log"
stop_server

# --- connection trouble ---------------------------------------------------------------
PORT=$(free_port)
drv --url "$(url)" --starttls off --rcpt a@example.net --file msg.eml
want_fail "tempfail 0 - connect" 75 "unreachable server: TEMPFAIL"

start_server --hang
t0=$(date +%s)
drv --url "$(url)" --starttls off --timeout "$TIMEOUT" --rcpt a@example.net --file msg.eml
t1=$(date +%s)
want_fail "tempfail 0 - connect" 75 "a server that never greets: TEMPFAIL"
want_text "time" "the report says no reply came in time"
# it waited for smtp.timeout before giving up: a lower bound only (a busy machine makes a
# run longer, never shorter; that it gave up at all is the report above)
check "$P it waited for smtp.timeout ($TIMEOUT s) before giving up (took $((t1 - t0)) s)" \
    [ $((t1 - t0)) -ge $((TIMEOUT - 1)) ]
stop_server

# --- replies (checklist S1, S2, S3) ---------------------------------------------------
start_server --script 'RCPT:bad@example.net=550 5.1.1 no such user;'\
'RCPT:later@example.net=451 4.3.0 try later;RCPT:full@example.net=552 5.2.2 mailbox full'
drv --url "$(url)" --starttls off \
    --rcpt a@example.net,bad@example.net,later@example.net,full@example.net,b@example.net \
    --file msg.eml
want 1 "a@example.net sent 250 2.0.0 data 0" "before a refused recipient: sent"
want 2 "bad@example.net permfail 550 5.1.1 rcpt 0" "550 5.1.1 to RCPT: PERMFAIL, enhanced 5.1.1"
want 3 "later@example.net tempfail 451 4.3.0 rcpt 0" "451 4.3.0 to RCPT: TEMPFAIL"
want 4 "full@example.net tempfail 552 5.2.2 rcpt 0" "552 to RCPT: TEMPFAIL (RFC 5321 4.5.3.1.10)"
want 5 "b@example.net sent 250 2.0.0 data 0" "after refused recipients the next one is sent"
want_count msg 2 "only the accepted recipients got a message"
stop_server

start_server --script 'RCPT:busy@example.net=421 4.3.2 shutting down'
drv --url "$(url)" --starttls off --rcpt a@example.net,busy@example.net,c@example.net \
    --file msg.eml
want 2 "busy@example.net tempfail 421 4.3.2 rcpt 1" "421: TEMPFAIL and reconnect"
want 3 "c@example.net sent 250 2.0.0 data 0" "after 421 the next message goes over a new connection"
want_count conn 2 "421 closed the first connection"
want_count msg 2 "none lost, none twice"
stop_server

start_server --script 'MAIL:*=550 5.7.1 sender rejected'
drv --url "$(url)" --starttls off --rcpt a@example.net --file msg.eml
want 1 "a@example.net fatal 550 5.7.1 mail *" "5xx to MAIL FROM: FATAL"
stop_server

start_server --script 'DATA:bad@example.net=554 5.6.0 content rejected;'\
'DATA:later@example.net=452 4.3.1 out of space'
drv --url "$(url)" --starttls off --rcpt bad@example.net,later@example.net,a@example.net \
    --file msg.eml
want 1 "bad@example.net permfail 554 5.6.0 data 0" "554 5.6.0 after the data: PERMFAIL"
want 2 "later@example.net tempfail 452 4.3.1 data 0" "452 4.3.1 after the data: TEMPFAIL"
want 3 "a@example.net sent 250 2.0.0 data 0" "the next message is sent"
stop_server

# the same refusals over a kept connection, where the transport counts replies instead
# of following libcurl's commands (curl: no debug output): the stage must still be right
start_server --script 'RCPT:no@example.net=550 5.1.1 no such user;'\
'DATA:bad@example.net=554 5.6.0 content rejected;DATA:later@example.net=452 4.3.1 out of space'
drv --url "$(url)" --starttls off \
    --rcpt a@example.net,no@example.net,b@example.net,bad@example.net,c@example.net,later@example.net \
    --file msg.eml
want 2 "no@example.net permfail 550 5.1.1 rcpt 0" "kept connection: 550 5.1.1 to RCPT: PERMFAIL"
want 4 "bad@example.net permfail 554 5.6.0 data 0" \
    "kept connection: 554 after the data: PERMFAIL"
want 6 "later@example.net tempfail 452 4.3.1 data 0" \
    "kept connection: 452 after the data: TEMPFAIL"
want_count msg 5 "kept connection: every message but the refused recipient's got to the data"
stop_server

start_server --drop-after-data 1
drv --url "$(url)" --starttls off --rcpt a@example.net,b@example.net --file msg.eml
want 1 "a@example.net uncertain 0 - data 1" "connection dropped after the data: UNCERTAIN"
want 2 "b@example.net sent 250 2.0.0 data 0" "the next message goes over a new connection"
want_count msg 2 "the server did get the data before it dropped"
stop_server

start_server --script 'DATA:a@example.net=HANG'
drv --url "$(url)" --starttls off --timeout "$TIMEOUT" --rcpt a@example.net --file msg.eml
want 1 "a@example.net uncertain 0 - data 1" "no reply after the data until smtp.timeout: UNCERTAIN"
stop_server

start_server --close-after 5
drv --url "$(url)" --starttls off --rcpt r@example.net --tag --count 12 --file msg.eml
check "$P server closing silently after 5 messages: all 12 sent" \
    [ "$(grep -c '^RESULT .* sent ' "$T/out")" = 12 ]
want_count msg 12 "each delivered exactly once"
check "$P 12 different recipients" \
    [ "$(awk '$1 == "msg" { print $4 }' "$SD/log" | sort -u | wc -l)" = 12 ]
want_count conn 3 "three connections for 12 messages at 5 per connection"
stop_server

start_server --drop-at-mail 3
drv --url "$(url)" --starttls off --rcpt r@example.net --tag --count 6 --file msg.eml
check "$P kept connection dies as it is reused: all 6 sent" \
    [ "$(grep -c '^RESULT .* sent ' "$T/out")" = 6 ]
want_count msg 6 "each delivered exactly once after connecting again"
want_count conn 3 "a new connection each time the old one died"
stop_server

# --- Postfix smtp-sink: volume and its fault injection -------------------------------
if [ ! -x "$SINK" ]; then
    skip "$P $SINK is not installed (Debian package postfix): no volume test"
else
    start_sink
    drv --url "$(url)" --starttls opportunistic --rcpt v@example.net --tag --count 1000 \
        --threads 4 --per-conn 100 --file msg.eml
    check "$P smtp-sink: 1000 messages in 4 threads, all sent" \
        [ "$(grep -c '^RESULT .* sent 250 ' "$T/out")" = 1000 ]
    stop_server
    check "$P smtp-sink received 1000 transactions" \
        [ "$(grep -c '^X-Rcpt-Args: ' "$SD/dump" 2>/dev/null)" = 1000 ]
    check "$P smtp-sink received 1000 different recipients, each once" \
        [ "$(grep '^X-Rcpt-Args: ' "$SD/dump" | sort -u | wc -l)" = 1000 ]

    start_sink -r RCPT
    drv --url "$(url)" --starttls off --rcpt a@example.net --file msg.eml
    want 1 "a@example.net tempfail 450 4.3.0 rcpt 0" "smtp-sink soft reject of RCPT: TEMPFAIL"
    stop_server
    start_sink -f MAIL
    drv --url "$(url)" --starttls off --rcpt a@example.net --file msg.eml
    want 1 "a@example.net fatal 500 5.3.0 mail *" "smtp-sink hard reject of MAIL: FATAL"
    stop_server
    start_sink -Q RCPT
    drv --url "$(url)" --starttls off --rcpt a@example.net --file msg.eml
    want 1 "a@example.net tempfail 421 * rcpt 1" "smtp-sink 421 on RCPT: TEMPFAIL, reconnect"
    stop_server
    start_sink -q .
    drv --url "$(url)" --starttls off --rcpt a@example.net --file msg.eml
    want 1 "a@example.net uncertain 0 - data 1" "smtp-sink hangs up after the final dot: UNCERTAIN"
    stop_server
fi
exit 0

# sent mail: not checked: the driver sends the test's own raw messages, not gazette's; they are compared byte for byte (tests/integration/sent_mail.sh)
