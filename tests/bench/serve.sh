#!/bin/sh
# make bench, gazette serve: a BENCH_SERVE_LIST (1,000,000) subscriber list, and
# BENCH_UNSUBS (10,000) one-click unsubscribes from 100 concurrent connections (wrk, with
# tests/bench/serve_wrk.lua: each address once).  Prints requests/s, p50/p99 latency, and
# the time from the last answer until every request is in subscribers.yaml; verifies that
# all of them are there (and nothing else changed) and that each batch rewrote the file
# once.  Targets: >= 5,000 requests/s, p99 < 20 ms, applied within 10 s.
set -eu
cd "$(dirname "$0")/../.."
B=${BENCH_DIR:-build/bench}
PY=/usr/bin/python3
N=${BENCH_SERVE_LIST:-1000000}
U=${BENCH_UNSUBS:-10000}
C=100
W="$B/serve"
command -v wrk >/dev/null 2>&1 || { echo "serve: SKIPPED (wrk is not installed)"; exit 0; }
echo "== gazette serve: $U one-click unsubscribes, $C connections, a list of $N"
rm -rf "$W"
mkdir -p "$W"
printf 'bench-secret-0123456789abcdef0123456789\n' >"$W/secret"
chmod 600 "$W/secret"
PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
cat >"$W/gazette.yaml" <<EOF
newsletter:
  name: Bench
  from: news@example.org
  base_url: $BASE
  unsubscribe_url: $BASE/unsubscribe?email={{email}}&token={{token}}
  secret_file: secret
paths:
  log_file: gazette.log
serve:
  listen: 127.0.0.1:$PORT
  apply_seconds: 1
EOF
"$PY" - "$W" "$N" "$U" <<'EOF'
import base64, hashlib, hmac, sys
w, n, u = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
step = n // u
with open(w + "/subscribers.yaml", "w") as f:
    f.write("subscribers:\n")
    for i in range(n):
        f.write("  - email: reader%07d@example.com\n    name: Reader %d\n    status: active\n" % (i, i))
with open(w + "/paths", "w") as p:
    for k in range(u):
        a = "reader%07d@example.com" % (k * step)
        mac = hmac.new(b"bench-secret-0123456789abcdef0123456789", a.encode(), hashlib.sha256).digest()
        t = base64.urlsafe_b64encode(mac[:18]).decode()[:22]
        p.write("/unsubscribe?email=%s&token=%s\n" % (a.replace("@", "%40"), t))
EOF
cp "$W/subscribers.yaml" "$W/orig.yaml"
./gazette -c "$W/gazette.yaml" serve 2>"$W/serve.err" &
SPID=$!
trap 'kill -9 $SPID 2>/dev/null || true' EXIT
i=0
until curl -s -o /dev/null "$BASE/subscribe"; do
    i=$((i + 1))
    [ $i -lt 600 ] || { echo "FAILED: the server did not start"; exit 1; }
    sleep 0.1
done
# wrk runs until told to stop (its threads stop after their share, its clock does not):
# once the server has taken every request, SIGINT makes it print its figures
wrk -t2 -c$C -d300s --timeout 10s -s tests/bench/serve_wrk.lua "$BASE" -- "$W/paths" 2 \
    >"$W/wrk.out" 2>&1 &
WPID=$!
trap 'kill -9 $SPID $WPID 2>/dev/null || true' EXIT
count() {   # count EVENT: how many the server's log has
    grep -c "\"event\": \"$1\"" "$W/gazette.log" || true
}
applied() {
    $PY -c '
import json,sys
print(sum(json.loads(l).get("unsubscribe", 0) for l in open(sys.argv[1]) if "\"applied\"" in l))' "$W/gazette.log"
}
i=0
until [ "$(count unsubscribe)" -ge "$U" ]; do
    i=$((i + 1))
    [ $i -lt 6000 ] || { echo "FAILED: the server took only $(count unsubscribe) of $U"; exit 1; }
    sleep 0.05
done
i=0
until [ "$(applied)" -ge "$U" ]; do
    i=$((i + 1))
    [ $i -lt 2400 ] || { echo "FAILED: only $(applied) of $U applied after 120 s"; exit 1; }
    sleep 0.05
done
kill -INT $WPID
wait $WPID || true
grep '^RESULT' "$W/wrk.out" || { cat "$W/wrk.out"; exit 1; }
kill -TERM $SPID
wait $SPID || true
trap - EXIT
"$PY" - "$W" "$N" "$U" <<'EOF'
import json, re, sys, datetime
w, n, u = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
r = dict(kv.split("=") for kv in open(w + "/wrk.out").read().split("RESULT ")[1].split())
ev = [json.loads(l) for l in open(w + "/gazette.log")]
ap = [e for e in ev if e["event"] == "applied"]
def ts(e):
    return datetime.datetime.strptime(e["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()
un = [ts(e) for e in ev if e["event"] == "unsubscribe"]
last = max(ts(e) for e in ap)
# the rate on the server's clock: requests taken from the first to the last
reqs, secs = len(un), max(un) - min(un)
rps = reqs / secs if secs > 0 else 0
t_end = max(un)
p50, p99 = float(r["p50_ms"]), float(r["p99_ms"])
after = max(0.0, last - t_end)
now = open(w + "/subscribers.yaml").read()
nunsub = now.count("status: unsubscribed")
step = n // u
want = open(w + "/orig.yaml").read()
ok = True
# byte-for-byte: the original with exactly those statuses changed
parts = want.split("    status: active\n")
out = []
unsub = set(k * step for k in range(u))
for i, p in enumerate(parts[:-1]):
    out.append(p + ("    status: unsubscribed\n" if i in unsub else "    status: active\n"))
out.append(parts[-1])
same = "".join(out) == now
rewrites = sum(e.get("rewrites", 0) for e in ap)
print("serve: %d requests in %.2f s: %.0f requests/s, p50 %.2f ms, p99 %.2f ms, max %s ms "
      "(wrk: %s answers, errors %s, non-200 %s)" % (reqs, secs, rps, p50, p99, r["max_ms"],
      r["requests"], r["errors"], r["non200"]))
print("serve: all %d in subscribers.yaml %.2f s after the last request; %d batches, %d "
      "rewrites of the %d-entry list (%.1f MB)" % (u, after, len(ap), rewrites, n, len(now) / 1e6))
fails = []
if r["errors"] != "0" or r["non200"] != "0":
    fails.append("errors or non-200 answers")
if nunsub != u or not same:
    fails.append("the list is not the original with exactly the %d statuses changed (%d)" % (u, nunsub))
if rewrites > len(ap):
    fails.append("more rewrites than batches")
for f in fails:
    print("FAILED: serve: " + f)
verdict = []
verdict.append("requests/s %s" % ("ok" if rps >= 5000 else "BELOW TARGET (5,000)"))
verdict.append("p99 %s" % ("ok" if p99 < 20 else "BELOW TARGET (20 ms)"))
verdict.append("applied %s" % ("ok" if after <= 10 else "BELOW TARGET (10 s)"))
print("serve summary: " + ", ".join(verdict))
sys.exit(1 if fails else 0)
EOF
