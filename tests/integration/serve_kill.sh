#!/bin/sh
# kill -9 and gazette serve's request log: requests in flight while the server is killed
# after the Nth acknowledged request (N chosen, not timed); every request that got a 200
# is in the list after restart, none is applied twice.  Then the applier itself is killed
# at each step of a batch (intent written, list replaced, marker written).
. "$TOP/tests/lib.sh"
C="$PY $TOP/tests/integration/serve_client.py"
cd "$T" || exit 1
command -v curl >/dev/null 2>&1 || { skip "curl is not installed"; exit 0; }

SECRET=kill-test-secret-long-enough-for-gazette
printf '%s\n' "$SECRET" >secret
chmod 600 secret
PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
cat >gazette.yaml <<EOF
newsletter:
  name: Kill Test
  from: news@example.org
  base_url: $BASE
  unsubscribe_url: $BASE/unsubscribe?email={{email}}&token={{token}}
  secret_file: secret
serve:
  listen: 127.0.0.1:$PORT
  apply_seconds: 1
EOF

SPID=
start() {
    "$GAZETTE" ${GOPTS:-} serve "$@" 2>>serve.err &
    SPID=$!
    i=0
    while [ $i -lt 300 ]; do
        curl -s -o /dev/null "$BASE/subscribe" && return 0
        kill -0 $SPID 2>/dev/null || break
        sleep 0.1
        i=$((i + 1))
    done
    not_ok "the server did not start"; cat serve.err; exit 1
}
trap '[ -n "$SPID" ] && kill -9 $SPID 2>/dev/null; rm -rf "$T"' EXIT

# want.yaml: orig.yaml with the addresses now unsubscribed in the list marked so; checks
# that everything acknowledged (file $1) is among them and nothing else changed
expect_list() {
    "$PY" - "$1" <<'EOF'
import sys, re
acked = set(l.strip() for l in open(sys.argv[1]) if l.strip())
now = open("subscribers.yaml").read()
unsub = set(re.findall(r"- email: (\S+)\n    status: unsubscribed", now))
missing = acked - unsub
if missing:
    sys.exit("acknowledged but not in the list: %s" % sorted(missing)[:5])
want = open("orig.yaml").read()
for a in unsub:
    want = want.replace("- email: %s\n    status: active" % a,
                        "- email: %s\n    status: unsubscribed" % a)
if want != now:
    sys.exit("the list differs from the original by more than those statuses")
print("%d acknowledged, %d unsubscribed" % (len(acked), len(unsub)), file=sys.stderr)
EOF
}

"$PY" - <<'EOF'
with open("orig.yaml", "w") as f, open("addrs", "w") as a:
    f.write("subscribers:\n")
    for i in range(400):
        e = "k%03d@example.com" % i
        f.write("  # reader %d\n  - email: %s\n    status: active\n" % (i, e))
        a.write(e + "\n")
EOF

for N in 1 37 150; do
    cp orig.yaml subscribers.yaml
    rm -rf state
    start
    out=$($C burst "$BASE" "$SECRET" addrs acked 40 $N $SPID)
    wait $SPID 2>/dev/null
    st=$?
    SPID=
    check "N=$N: the server was killed with SIGKILL after $N acknowledged ($out, status $st)" [ "$st" = 137 ]
    run_g subscribers count
    expect_rc 0 "N=$N: the next command reads the list"
    check "N=$N: every acknowledged unsubscribe is in the list, nothing else changed" expect_list acked
    # exactly once: take one back by hand; no later batch may unsubscribe it again
    first=$(head -1 acked)
    run_g subscribers resubscribe "$first"
    start
    kill -TERM $SPID; wait $SPID; SPID=
    run_g subscribers count
    check "N=$N: a request applied once is not applied again after a restart" sh -c "
grep -A1 -- '- email: $first\$' subscribers.yaml | grep -q 'status: active'"
    check "N=$N: only the marker and the list's name are left in the request folder" [ "$(ls state/requests | tr "\n" " ")" = "applied list " ]
done

# ---- SIGTERM under load: an orderly stop answers or refuses, and applies what it answered
cp orig.yaml subscribers.yaml
rm -rf state
start
out=$(KILL_SIGNAL=SIGTERM $C burst "$BASE" "$SECRET" addrs acked 40 100 $SPID)
wait $SPID
st=$?
SPID=
check "SIGTERM during 40 clients' requests: the server exits 0 ($out, status $st)" [ "$st" = 0 ]
check "and every acknowledged request is in the list when it has exited" expect_list acked
check "and the request folder holds only the marker and the list's name" [ "$(ls state/requests | tr "\n" " ")" = "applied list " ]

# ---- the applier killed at each step ---------------------------------------------------
head -5 addrs >five
sed 's/apply_seconds: 1/apply_seconds: 3600/' gazette.yaml >later.yaml
GOPTS="-c later.yaml"
for point in intent list marker; do
    cp orig.yaml subscribers.yaml
    rm -rf state
    start
    out=$($C burst "$BASE" "$SECRET" five acked 5)
    kill -9 $SPID; wait $SPID 2>/dev/null; SPID=
    check "$point: 5 requests acknowledged, the server killed before applying ($out)" sh -c "
[ '$out' = 'ok=5 other=0' ] && cmp -s orig.yaml subscribers.yaml"
    GAZETTE_TEST_KILL=reqlog-$point "$GAZETTE" subscribers count >/dev/null 2>&1
    st=$?
    check "$point: the applier died there (status $st)" [ "$st" = 137 ]
    first=$(head -1 five)
    if [ $point != intent ]; then
        # the list was replaced: an operator's hand edit now must survive the recovery
        "$PY" -c '
import sys
t=open("subscribers.yaml").read()
a=sys.argv[1]
t=t.replace("- email: %s\n    status: unsubscribed" % a, "- email: %s\n    status: active" % a)
open("subscribers.yaml","w").write(t)' "$first"
    fi
    run_g subscribers count
    expect_rc 0 "$point: the next command recovers"
    if [ $point = intent ]; then
        check "$point: the batch that never reached the list is applied now" expect_list acked
    else
        tail -4 five >four
        check "$point: the batch is not applied a second time" expect_list four
        check "$point: the hand edit stands" sh -c "grep -A1 -- '- email: $first\$' subscribers.yaml | grep -q 'status: active'"
    fi
done

# sent mail: not checked: the request log only: no message is written (tests/integration/sent_mail.sh)
