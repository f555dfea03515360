#!/bin/sh
# Cron behaviour of gazette send through the Maildir transport: unfinished campaigns are
# resumed oldest first, --campaign NEW composes new articles instead of resuming, nothing
# new means silence and exit 0, and only uncertain failures left is not "retry later".
. "$TOP/tests/lib.sh"
cd "$T" || exit 1
mkdir articles
cat >gazette.yaml <<'YAML'
newsletter:
  from: news@example.org
  unsubscribe_mailto: unsubscribe@example.org
  postal_address: 1 Example Street, Paris
paths:
  outbox: outbox
YAML
printf 'subscribers:\n' >subscribers.yaml
for i in 1 2 3 4; do printf '  - email: r%s@example.org\n' "$i" >>subscribers.yaml; done
printf 'title: First\nurl: https://example.org/1\ndate: 2026-11-01\nbody: One.\n' >articles/a1.yaml
printf 'title: Second\nurl: https://example.org/2\ndate: 2026-11-02\nbody: Two.\n' >articles/a2.yaml
copies() { grep -l "^To: $1" outbox/new/* 2>/dev/null | wc -l; }

run_g send --limit 2
expect_rc 0 "a first run that stops after 2 of 4 (--limit)"
run_g status
expect_out "issue-1" "status lists issue-1"
expect_out "unfinished" "issue-1 is unfinished"
printf 'title: Third\nurl: https://example.org/3\ndate: 2026-11-03\nbody: Three.\n' >articles/a3.yaml
run_g send --campaign special
expect_rc 0 "--campaign NEW composes the new article instead of resuming issue-1"
check "campaign special holds only the third article" grep -q "a3.yaml" state/campaigns/special.issue
check "and not the articles of issue-1" sh -c '! grep -q "a1.yaml" state/campaigns/special.issue'
run_g send
expect_rc 0 "the next plain run resumes the unfinished issue-1"
check "issue-1 reached everyone once: r1..r4 each got 2 copies in all (issue-1 + special)" \
    sh -c "[ \$(ls outbox/new | wc -l) = 8 ]"
for i in 1 2 3 4; do
    check "r$i got exactly one copy of each campaign" [ "$(copies "r$i@example.org")" = 2 ]
done
run_g status
check "both campaigns are done" [ "$(grep -c ' done ' "$T/out")" = 2 ]
run_g send
expect_rc 0 "nothing new: exit 0"
check "nothing new: no output at all" [ ! -s "$T/out" -a ! -s "$T/err" ]
cp articles/a1.yaml a1.keep
printf 'title: [broken\n' >articles/a1.yaml
run_g send
expect_rc 0 "articles that went out before are not read again (a1 is broken now)"
cp a1.keep articles/a1.yaml
run_g send --min-articles 2
printf 'title: Fourth\nurl: https://example.org/4\ndate: 2026-11-04\nbody: Four.\n' >articles/a4.yaml
run_g send --min-articles 2
expect_rc 0 "one new article but --min-articles 2: exit 0"
check "and nothing sent" [ "$(ls outbox/new | wc -l)" = 8 ]
run_g send
expect_rc 0 "without the minimum it goes out"
check "it is numbered after the last issue (special was #2): issue-3" \
    test -f state/campaigns/issue-3.issue
check "special is number 2" grep -q "^number: 2$" state/campaigns/special.issue

# --- the rate limit holds over the whole run, whatever the number of connections ----------
mkdir rate && cd rate || exit 1
mkdir articles
printf 'title: R\nurl: https://example.org/r\nbody: R.\n' >articles/r.yaml
printf 'subscribers:\n' >subscribers.yaml
for i in $(seq 1 30); do printf '  - email: q%s@example.org\n' "$i" >>subscribers.yaml; done
cat >gazette.yaml <<'YAML'
newsletter:
  from: news@example.org
  unsubscribe_mailto: unsubscribe@example.org
  postal_address: 1 Example Street, Paris
smtp:
  connections: 4
  rate_per_second: 20
paths:
  outbox: outbox
  log_file: log.jsonl
YAML
start=$("$PY" -c 'import time; print(time.time())')
run_g send
end=$("$PY" -c 'import time; print(time.time())')
expect_rc 0 "30 messages at rate_per_second 20 over 4 connections"
check "it took at least 29/20 s" "$PY" -c "import sys; assert $end - $start >= 1.45, $end - $start"
# No burst either, checked on lower bounds only (a busy machine makes every send later,
# never earlier): the limiter lets the k-th message start (k-1)/20 s after the first at
# the soonest, the first starts after $start, and each is logged once it went, so the
# k-th "sent" line of the log is at least (k-1)/20 s after $start (the log's times are
# cut to the millisecond: 2 ms of slack).
check "the k-th send is logged at least (k-1)/20 s after the start, for every k" "$PY" -c '
import json, datetime, sys
start = float(sys.argv[1])
t = [datetime.datetime.fromisoformat(json.loads(l)["time"].replace("Z", "+00:00")).timestamp()
     for l in open("log.jsonl") if "\"event\": \"sent\"" in l]
assert len(t) == 30, len(t)
t.sort()
early = [(k + 1, round(x - start, 3)) for k, x in enumerate(t) if x - start < k / 20 - 0.002]
assert not early, "sent too soon (k, seconds after the start): %s" % early[:5]' "$start"
cd ..

# every message this test made, held to the checklist (issue 9: tests/lib.sh)
check_sent_mail
