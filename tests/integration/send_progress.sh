#!/bin/sh
# What a send says (issue 14 item 11): with -v and stderr not a terminal (cron, a log), a
# progress line every tenth of the run (sent, failed, rate, time left); --dry-run and
# --test-to say what they did; the transport is named as the config names it.
. "$TOP/tests/lib.sh"
cd "$T" || exit 1
mkdir articles
cat >gazette.yaml <<'YAML'
newsletter:
  from: news@example.org
  unsubscribe_mailto: unsub@example.org
  postal_address: 1 Example Street, Exampleton
paths:
  outbox: outbox
YAML
printf 'subscribers:\n' >subscribers.yaml
for i in $(seq 1 20); do printf '  - email: r%s@example.org\n' "$i" >>subscribers.yaml; done
printf 'title: First\nurl: https://example.org/1\ndate: 2026-11-01\nbody: One.\n' >articles/a1.yaml

run_g send --dry-run
expect_rc 0 "--dry-run"
expect_out "campaign issue-1: dry run: 20 message(s) composed (" "--dry-run says what it composed"
expect_out "nothing sent (they would go via maildir)" "and that nothing was sent, naming the transport"
check "and sent nothing" sh -c '[ -z "$(ls outbox/new 2>/dev/null)" ]'
run_g send --test-to test@example.org --dry-run
expect_out "dry run: the test message to test@example.org composed (" "--test-to --dry-run says so"
run_g send --test-to test@example.org
expect_rc 0 "--test-to"
expect_out "test message sent to test@example.org via maildir (campaign issue-1 is not changed)" \
    "--test-to says where the copy went"
check "one copy in the outbox" [ "$(ls outbox/new | wc -l)" = 1 ]
check_sent_mail --allow-none    # before the outbox goes
rm -f outbox/new/*

run_g -v send
expect_rc 0 "-v send, stderr to a file"
grep -E '^gazette: issue-1: [0-9]+/20 \([0-9]+%\), [0-9]+ sent, [0-9]+ failed, [0-9.]+ msg/s, about [0-9]+ s left$' \
    "$T/err" >"$T/lines"
# (a run slower than 10 s also gets timed lines in between: only the tenths are counted)
tenths=0
for k in 1 2 3 4 5 6 7 8 9 10; do
    grep -q "^gazette: issue-1: $((2 * k))/20 ($((10 * k))%)" "$T/lines" && tenths=$((tenths + 1))
done
check "a progress line for each tenth of the run (10 of 10)" [ "$tenths" = 10 ]
check "the last one is 20/20 (100%)" grep -q '20/20 (100%), 20 sent, 0 failed' "$T/lines"
check "the first one is 2/20 (10%)" [ "$(head -1 "$T/lines" | grep -c '2/20 (10%)')" = 1 ]
check "no carriage returns off a terminal" sh -c '! grep -q "$(printf "\r")" "$1"' - "$T/err"
expect_err "via maildir" "-v names the transport as the config does"

# every message this test made, held to the checklist (issue 9: tests/lib.sh)
check_sent_mail
