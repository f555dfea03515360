#!/bin/sh
# send_kill: exactly one copy each, whatever happens mid-run.  Starts `gazette send` of one
# campaign to 3000 subscribers over 4 connections to the aiosmtpd server on 127.0.0.1,
# kills it with SIGKILL several times, each time once the server has taken the Nth message
# (the server holds its reply from there: the kill always lands mid-run, whatever the
# machine's speed), runs it to the end, and then
# counts on the server side: every active subscriber got exactly one copy, except those
# the journal marks uncertain (0 or 1 allowed there), nobody inactive got one, and the
# journal's sent count equals the copies the others received.
# TRANSPORT=curl (default) or esmtp; KILLS=N kill rounds (default 5); SEED=N picks the kill
# counts (the same SEED, the same counts).
# SPDX-License-Identifier: MIT
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/lib.sh"
. "$TOP/tests/servers.sh"
TRANSPORT=${TRANSPORT:-curl}
case $TRANSPORT in
curl) TKEY=smtp ;;
esmtp) TKEY=esmtp ;;
*) not_ok "TRANSPORT must be curl or esmtp, not $TRANSPORT"; exit 1 ;;
esac
KILLS=${KILLS:-5}
SEED=${SEED:-$$}
NSUBS=3000
PIDS=
trap 'for p in $PIDS; do kill -9 "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"' EXIT
LC_ALL=C
export LC_ALL GZ_SECRET=kill-test-secret-long-enough-for-gazette
cd "$T" || exit 1
P="$TRANSPORT:"

if [ ! -x "$GAZETTE" ]; then not_ok "$P $GAZETTE is not built"; exit 1; fi
if ! "$PY" -c 'import aiosmtpd' 2>/dev/null; then
    skip "$P python3-aiosmtpd is not installed (apt-get install python3-aiosmtpd)"
    exit 0
fi

mkdir -p "$T/w/articles"
HOLD="$T/hold"
start_server --hold-file "$HOLD"
[ -f "$SD/ready" ] || exit 1

# 3000 active subscribers, and every 30th entry one who is not active
W="$T/w"
"$PY" - "$W" "$NSUBS" <<'EOF'
import sys
w, n = sys.argv[1], int(sys.argv[2])
states = ("unsubscribed", "bounced", "pending")
with open(w + "/subscribers.yaml", "w") as f, open(w + "/active", "w") as a, \
        open(w + "/inactive", "w") as ina:
    f.write("subscribers:\n")
    for i in range(1, n + 1):
        f.write("  - email: r%d@kill.example\n    name: Reader %d\n" % (i, i))
        a.write("r%d@kill.example\n" % i)
        if i % 30 == 0:
            st = states[i // 30 % 3]
            f.write("  - email: x%d@kill.example\n    status: %s\n" % (i, st))
            ina.write("x%d@kill.example\n" % i)
EOF
printf -- '---\ntitle: "Kill test"\nurl: https://news.example.org/k\n---\n\nOne paragraph.\n' \
    >"$W/articles/k.md"
cat >"$W/gazette.yaml" <<EOF
newsletter:
  name: Kill Test
  from: news@example.org
  postal_address: 1 Example Street, Paris
  unsubscribe_url: https://example.org/u?t={{token}}
  secret_env: GZ_SECRET
smtp:
  transport: $TKEY
  url: smtp://127.0.0.1:$PORT
  starttls: off
  connections: 4
  timeout: 60
  connect_timeout: 5
  retry_delay: 0.2
paths:
  log_file: log.jsonl
EOF

# received: one line per copy the server took (its recipient)
received() { awk '$1 == "msg" { print $4 }' "$SD/log" | tr ',' '\n'; }

# --- kill it several times, each time at a message count --------------------------------
# Round k stops the server at a count in the k-th of KILLS equal slices of the list (SEED
# picks where in the slice); once the server has taken that many, the run is killed.
echo "# seed $SEED (SEED=$SEED repeats these kill points)"
points=$(awk -v s="$SEED" -v n="$KILLS" -v N="$NSUBS" 'BEGIN { srand(s); w = int(N / (n + 1));
    for (i = 0; i < n; i++) printf "%d ", w * (i + 1) - int(rand() * w / 2) }')
before=0
round=0
for at in $points; do
    round=$((round + 1))
    [ "$at" -gt "$before" ] || at=$((before + 1))
    echo "$at" >"$HOLD"
    (cd "$W" && exec "$GAZETTE" -c gazette.yaml send) >"$T/run.out" 2>"$T/run.err" &
    g=$!
    PIDS="$PIDS $g"
    # wait for the server to take message $at (the run cannot pass it: the reply is held)
    while [ "$(awk '$1 == "msg"' "$SD/log" | wc -l)" -lt "$at" ] && kill -0 "$g" 2>/dev/null
    do
        sleep 0.05
    done
    if kill -9 "$g" 2>/dev/null; then killed=yes; else killed=no; fi
    wait "$g" 2>/dev/null
    now=$(received | wc -l)
    if grep -q 'Sanitizer\|runtime error' "$T/run.err"; then
        not_ok "$P round $round: sanitizer report"; sed 's/^/#   /' "$T/run.err" | head -20
    fi
    if [ "$killed" = yes ] && [ "$now" -ge "$at" ] && [ "$now" -lt "$NSUBS" ]; then
        ok "$P round $round: kill -9 once the server took message $at, mid-run" \
            "($((now - before)) more copies, $now so far)"
    else
        not_ok "$P round $round: the run was not killed at message $at (killed: $killed," \
            "$now copies)"
        sed 's/^/#   /' "$T/run.err" | head -5
    fi
    (cd "$W" && "$GAZETTE" -c gazette.yaml status issue-1) >"$T/st.out" 2>"$T/st.err"
    check "$P round $round: status reads the journal the kill left" \
        grep -q '^campaign issue-1: [0-9]* sent' "$T/st.out"
    before=$now
done
rm -f "$HOLD"                   # the held replies go to dead connections; the rest flows

# --- and then to the end -------------------------------------------------------------
(cd "$W" && exec "$GAZETTE" -c gazette.yaml send) >"$T/run.out" 2>"$T/run.err"
rc=$?
if [ "$rc" = 0 ]; then ok "$P the last run went to the end (exit 0)"; else
    not_ok "$P the last run: exit $rc"; sed 's/^/#   /' "$T/run.out" "$T/run.err" | head -10; fi
(cd "$W" && "$GAZETTE" -c gazette.yaml status issue-1) >"$T/st.out" 2>"$T/st.err"
(cd "$W" && "$GAZETTE" -c gazette.yaml status) >"$T/all.out" 2>&1
check "$P the campaign is done" grep -q '^issue-1 .* done ' "$T/all.out"
jsent=$(sed -n 's/^campaign issue-1: \([0-9]*\) sent.*/\1/p' "$T/st.out")
awk '$2 == "uncertain" { print $1 }' "$T/st.out" | sort >"$T/uncertain"
awk '$2 != "uncertain" && $1 ~ /@/ { print $1, $2 }' "$T/st.out" >"$T/other"
check "$P the journal shows no other failure" [ ! -s "$T/other" ]

received | sort >"$T/got"
uniq -c "$T/got" | awk '{ print $2, $1 }' >"$T/copies"       # address count
sort "$W/active" >"$T/active"
sort "$W/inactive" >"$T/inactive"
"$PY" - "$T/active" "$T/inactive" "$T/uncertain" "$T/copies" "$jsent" <<'EOF' >"$T/verdict"
import sys
active = set(open(sys.argv[1]).read().split())
inactive = set(open(sys.argv[2]).read().split())
uncertain = set(open(sys.argv[3]).read().split())
copies = {}
for line in open(sys.argv[4]):
    a, n = line.split()
    copies[a] = int(n)
jsent = int(sys.argv[5] or -1)
bad = [a for a in sorted(active - uncertain) if copies.get(a, 0) != 1]
print("ONCE %d %s" % (len(bad), " ".join("%s:%d" % (a, copies.get(a, 0)) for a in bad[:5])))
badu = [a for a in sorted(uncertain) if copies.get(a, 0) > 1 or a not in active]
arrived = sum(1 for a in uncertain if copies.get(a, 0) == 1)
print("UNCERTAIN %d %d %d %s" % (len(uncertain), arrived, len(badu), " ".join(badu[:5])))
stray = sorted(a for a in copies if a not in active)
print("STRAY %d %s" % (len(stray), " ".join(stray[:5])))
ina = sorted(a for a in copies if a in inactive)
print("INACTIVE %d %s" % (len(ina), " ".join(ina[:5])))
certain = sum(n for a, n in copies.items() if a not in uncertain)
print("SENT %d %d" % (jsent, certain))
EOF
# judge WHAT NBAD DETAIL: ok when NBAD is 0, else not ok with the detail
judge() {
    if [ "$2" = 0 ]; then ok "$P $1"; else not_ok "$P $1: $2 wrong"; echo "#   $3"; fi
}
read -r _ nbad badlist <<EOF
$(grep '^ONCE' "$T/verdict")
EOF
judge "every active subscriber the journal is sure of got exactly one copy" \
    "$nbad" "not once: $badlist"
read -r _ nunc arrived nbadu badu <<EOF
$(grep '^UNCERTAIN' "$T/verdict")
EOF
judge "$nunc uncertain ($arrived of them arrived): each got 0 or 1 copies" "$nbadu" \
    "more than one: $badu"
read -r _ nina inalist <<EOF
$(grep '^INACTIVE' "$T/verdict")
EOF
judge "nobody inactive got a copy" "$nina" "$inalist"
read -r _ nstray straylist <<EOF
$(grep '^STRAY' "$T/verdict")
EOF
judge "no copy went to an address not on the list" "$nstray" "$straylist"
read -r _ js certain <<EOF
$(grep '^SENT' "$T/verdict")
EOF
check "$P the journal's sent count ($js) equals the copies the others received ($certain)" \
    [ "$js" = "$certain" ]
check "$P sent + uncertain cover the list ($js + $nunc = $NSUBS)" [ $((js + nunc)) = "$NSUBS" ]
bad=$("$PY" -c '
import json, sys
n = 0
for line in open(sys.argv[1]):
    try:
        json.loads(line)
    except ValueError:
        n += 1
print(n)' "$W/log.jsonl")
check "$P every line of the log file is JSON after $KILLS kills ($bad bad)" [ "$bad" = 0 ]
# every message this test made, held to the checklist (issue 9: tests/lib.sh)
check_sent_mail
exit 0
