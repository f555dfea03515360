#!/bin/sh
# gazette send against hostile_smtp.py, both transports (issue 10, items 10, 15, 16):
# a relay that refuses every recipient stops the run (69) and nobody is marked refused
# or bounced; a run stopped by the server's absence leaves everyone due, and the
# summary, `gazette status` and the journal agree; what the server says reaches the
# terminal, the journal and the JSON log escaped, and every log line parses.
# SPDX-License-Identifier: MIT
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/lib.sh"
HOSTILE="$TOP/tests/integration/hostile_smtp.py"
PIDS=
SPID=
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"' EXIT
cd "$T" || exit 1
N=12
n_srv=0

hostile() {
    [ -n "$SPID" ] && { kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; }
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
# newcase NAME TKEY: a newsletter folder $W for transport TKEY, server at $PORT
newcase() {
    W="$T/$1-$2"
    mkdir -p "$W/articles"
    printf -- '---\ntitle: "Alpha"\nurl: https://news.example.org/a\n---\n\nAlpha body.\n' \
        >"$W/articles/a.md"
    { printf 'subscribers:\n'; i=1
      while [ $i -le $N ]; do printf '  - email: u%d@example.net\n' $i; i=$((i + 1)); done
    } >"$W/subscribers.yaml"
    cat >"$W/gazette.yaml" <<YAML
newsletter:
  postal_address: 1 Example Street, 75001 Paris
  from: news@example.org
  unsubscribe_mailto: unsubscribe@example.org
smtp:
  transport: $2
  url: smtp://127.0.0.1:$PORT
  starttls: off
  timeout: 5
  connect_timeout: 5
  retry_delay: 0.1
  max_attempts: 2
  retry_max_time: 60
  connections: 2
paths:
  log_file: send.jsonl
YAML
}
g() { (cd "$W" && run_g "$@"); rc=$(cat "$T/rc" 2>/dev/null); }
gz() {
    set +e
    (cd "$W" && "$GAZETTE" "$@") >"$T/out" 2>"$T/err"
    rc=$?
    if grep -q 'Sanitizer\|runtime error' "$T/err"; then
        not_ok "$P sanitizer report: $*"; sed 's/^/#   /' "$T/err" | head -20; fi
}
jcount() { grep -c "$1" "$W/state/campaigns/issue-1.journal" 2>/dev/null; }
# status_failed: the "failed" count of `gazette status` for issue-1
status_failed() {
    gz status
    awk '$1 == "issue-1" { for (i = 1; i <= NF; i++) if ($i == "failed") print $(i - 1) }' \
        "$T/out"
}

for TKEY in smtp esmtp; do
    P="$TKEY:"
    # --- item 15: a relay that refuses every recipient -----------------------------------
    hostile --relay-deny
    newcase relay "$TKEY"
    gz send
    if [ "$rc" = 69 ]; then ok "$P a relay refusing every RCPT stops the run (exit 69)"
    else not_ok "$P relay refusing everyone: exit $rc, want 69"; sed 's/^/#   /' "$T/err" | head -5; fi
    check "$P ... it says why" grep -q "refuses the sender or the relay" "$T/err"
    tried=$(grep -c "^cmd [0-9]* RCPT" "$SD/log")
    check "$P ... after a few refusals, not all $N ($tried)" [ "$tried" -gt 0 ] && [ "$tried" -lt "$N" ]
    check "$P ... nobody is marked refused in the journal" [ "$(jcount '	permfail	')" = 0 ]
    check "$P ... nobody is counted as a bounce" [ ! -s "$W/state/bounces" ]
    got=$(status_failed)
    check "$P ... status shows all $N due (failed: $got)" [ "$got" = "$N" ]
    hostile
    sed -i "s|url: smtp://127.0.0.1:[0-9]*|url: smtp://127.0.0.1:$PORT|" "$W/gazette.yaml"
    gz send
    check "$P ... and once the relay takes us, the next run sends to all $N (exit $rc)" \
        [ "$rc" = 0 ] && [ "$(grep -c '^body ' "$SD/log")" = "$N" ]

    # --- item 16: a run stopped by the server's absence leaves everyone due -------------
    PORT=$(free_port)
    newcase absent "$TKEY"
    gz send
    check "$P nothing listening: exit 75 ($rc)" [ "$rc" = 75 ]
    got=$(status_failed)
    check "$P ... status shows all $N failed (got $got)" [ "$got" = "$N" ]
    check "$P ... the journal has all $N as temporary failures" \
        [ "$(awk -F'\t' '{ s[$4] = $3 } END { n = 0; for (a in s) if (s[a] == "tempfail") n++; print n }' \
        "$W/state/campaigns/issue-1.journal")" = "$N" ]
    gz send --retry-failed issue-1
    check "$P ... --retry-failed with the server still gone: exit 75 again ($rc)" [ "$rc" = 75 ]
    gz status
    check "$P ... and the campaign is not done" grep -qE "issue-1 .* (unfinished|stopped|retrying)" "$T/out"
    hostile
    sed -i "s|url: smtp://127.0.0.1:[0-9]*|url: smtp://127.0.0.1:$PORT|" "$W/gazette.yaml"
    gz send --retry-failed issue-1
    check "$P ... once it is back, --retry-failed sends to all $N (exit $rc)" \
        [ "$rc" = 0 ] && [ "$(grep -c '^body ' "$SD/log")" = "$N" ]

    # --- item 10: what the server says is escaped everywhere ----------------------------
    hostile --ugly rcpt --ugly-text
    newcase ugly "$TKEY"
    gz -v send
    check "$P ugly refusals: the run ends (exit $rc)" [ "$rc" = 0 ] || [ "$rc" = 75 ]
    cp "$T/err" "$T/send.err"
    gz status issue-1
    cat "$T/out" "$T/err" >>"$T/send.err"
    for f in "$W/send.jsonl" "$W/state/campaigns/issue-1.journal" "$T/send.err"; do
        if "$PY" - "$f" <<'PYEOF'
import json, sys, re
data = open(sys.argv[1], "rb").read()
text = data.decode("utf-8")                     # raises on invalid UTF-8
bad = re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]",
                text.replace("\r", ""))
assert bad is None, "raw %r" % bad.group(0)
if sys.argv[1].endswith(".jsonl"):
    for line in text.splitlines():
        json.loads(line)
PYEOF
        then ok "$P $(basename "$f"): valid UTF-8, no raw controls, C1 or bidi characters"
        else not_ok "$P $(basename "$f") holds raw server bytes"; fi
    done
    check "$P ... the escaped text is there" grep -qF '\u202E' "$W/send.jsonl"
done

# every message this test made, held to the checklist (issue 9: tests/lib.sh)
check_sent_mail
