#!/bin/sh
# Both SMTP transports against hostile_smtp.py, a server that lies, stalls, closes at
# every stage and sends bytes no terminal or log should get raw (issue 10, items 2, 3, 10
# and 17).  Every run of the driver is bounded by `timeout 120` only so that a hang shows
# as a failure instead of stalling the suite: the checks are on what the driver reports,
# never on how long it took.
# SPDX-License-Identifier: MIT
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/lib.sh"
DRV=${SMTPDRV:-$TOP/build/san/smtpdrv}
HOSTILE="$TOP/tests/integration/hostile_smtp.py"
PIDS=
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"' EXIT
cd "$T" || exit 1
if [ ! -x "$DRV" ]; then skip "$DRV is not built (make build/san/smtpdrv)"; exit 0; fi
printf 'From: a@example.org\r\nTo: b@example.net\r\nDate: Fri, 27 Nov 2026 08:00:00 +0000\r\n'\
'Message-ID: <h@example.org>\r\nSubject: t\r\n\r\nbody\r\n' >msg.eml
n_srv=0

# hostile OPTIONS...: start hostile_smtp.py; sets PORT, SD, SPID
hostile() {
    [ -n "${SPID:-}" ] && { kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; }
    n_srv=$((n_srv + 1))
    SD="$T/h$n_srv"
    mkdir -p "$SD"
    PORT=$(free_port)
    "$PY" "$HOSTILE" --port "$PORT" --dir "$SD" "$@" >"$SD/stderr" 2>&1 &
    SPID=$!
    PIDS="$PIDS $SPID"
    i=0
    while [ ! -f "$SD/ready" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
}
# drv TRANSPORT ARGS...: one message (or two, as ARGS say) through the driver
drv() {
    tr=$1; shift
    timeout 120 "$DRV" --transport "$tr" --url "smtp://127.0.0.1:$PORT" --from a@example.org \
        --timeout 2 "$@" >"$T/out" 2>"$T/err"
    rc=$?
    if grep -q 'Sanitizer\|runtime error' "$T/err"; then
        not_ok "$tr: sanitizer report"; sed 's/^/#   /' "$T/err" | head -20; fi
}
# outcome: "outcome stage" of the first result, or "open EXIT" when open() failed
outcome() {
    awk '$1 == "RESULT" { print $3, $6; exit } $1 == "OPEN-ERROR" { print "open", $2; exit }' \
        "$T/out"
}
want() {
    got=$(outcome)
    case " $2 " in
    *" $got "*) ok "$1 ($got)" ;;
    *) not_ok "$1: got '$got' (exit $rc), want one of: $2"; sed 's/^/#   /' "$T/out" "$T/err" |
        head -6 ;;
    esac
}
logcount() { grep -c "^$1 " "$SD/log" 2>/dev/null; }

for tr in curl esmtp; do
    if ! "$DRV" --transport "$tr" --available >/dev/null 2>&1; then
        skip "$tr: transport not available"
        continue
    fi
    # --- item 2: a 250 to DATA is not a delivery -------------------------------------
    hostile --data250
    drv "$tr" --starttls off --rcpt b@example.net --file msg.eml
    want "$tr: a 250 to DATA (no 354) is not a delivery" "tempfail data"
    check "$tr: and no body went to the server" [ "$(logcount body)" = 0 ]

    # --- item 3: replies that trickle or never end; a message that takes too long -----
    for st in greeting ehlo mail rcpt data; do
        hostile --trickle "$st"
        drv "$tr" --starttls off --rcpt b@example.net --file msg.eml
        check "$tr: a reply trickling at $st does not hang the driver (exit $rc)" [ "$rc" != 124 ]
        want "$tr: ... and is a temporary failure" "tempfail connect tempfail ehlo tempfail mail \
tempfail rcpt tempfail data open 75"
    done
    hostile --trickle dot
    drv "$tr" --starttls off --rcpt b@example.net --file msg.eml
    want "$tr: a trickling reply to the final dot: uncertain, not sent" "uncertain data"
    for st in greeting mail; do
        hostile --endless "$st"
        drv "$tr" --starttls off --rcpt b@example.net --file msg.eml
        check "$tr: an endless reply line at $st does not hang (exit $rc)" [ "$rc" != 124 ]
        want "$tr: ... and is a temporary failure" "tempfail connect tempfail ehlo tempfail mail open 75"
    done
    hostile --slow 0.8
    drv "$tr" --starttls off --rcpt b@example.net --file msg.eml --message-timeout 2
    want "$tr: each reply in time but the message past smtp.message_timeout: not sent" \
        "tempfail mail tempfail rcpt tempfail data uncertain data open 75"

    # --- closed at every stage: never "sent" ------------------------------------------
    for st in greeting ehlo mail rcpt data dot; do
        hostile --close "$st"
        drv "$tr" --starttls off --rcpt b@example.net --file msg.eml
        case $st in dot) w="uncertain data" ;; *) w="tempfail connect tempfail ehlo tempfail \
mail tempfail rcpt tempfail data open 75" ;; esac
        want "$tr: closed at $st" "$w"
    done

    # --- item 10: what the server says is escaped -------------------------------------
    hostile --ugly rcpt
    drv "$tr" --starttls off --rcpt b@example.net --file msg.eml
    want "$tr: an ugly refusal at RCPT is a permanent failure" "permfail rcpt"
    if grep -qF '\xFF\xFE bytes \u009B31m C1 \u202E bidi-override \x1B[2J esc \xED\xA0\x80 surrogate \xC0\xAF overlong' "$T/out"
    then ok "$tr: invalid UTF-8, C1, bidi and ESC are escaped in the result"
    else not_ok "$tr: the result text is not escaped"; sed 's/^/#   /' "$T/out"; fi

    # --- item 17: with a login, no envelope to a server without STARTTLS or AUTH ------
    hostile --no-ext
    PW=secret drv "$tr" --starttls opportunistic --user u --password-env PW \
        --rcpt b@example.net,c@example.net --file msg.eml
    want "$tr: opportunistic STARTTLS with a login, neither offered: stop" "fatal tls open 76"
    check "$tr: ... before any MAIL FROM or RCPT TO" \
        [ "$(logcount cmd | tr -d ' ')" = "$(grep -c 'cmd [0-9]* \(EHLO\|HELO\|QUIT\)' "$SD/log")" ]
    hostile --no-ext
    PW=secret drv "$tr" --starttls off --user u --password-env PW \
        --rcpt b@example.net,c@example.net --file msg.eml
    want "$tr: a login but no AUTH offered: stop" "fatal auth open 77"
    check "$tr: ... before any MAIL FROM" [ "$(grep -c 'cmd [0-9]* \(MAIL\|RCPT\)' "$SD/log")" = 0 ]
done

# sent mail: not checked: the driver sends the test's own raw msg.eml, not a message gazette made (tests/integration/sent_mail.sh)
