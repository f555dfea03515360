#!/bin/sh
# Preview what cron will send (issue 14 item 7): with no articles, `preview` and `compose`
# pick what a plain `gazette send` would send now (the unfinished campaign, else the next
# issue from the new articles) and say which; --all takes every article.
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
for i in 1 2 3 4; do printf '  - email: r%s@example.org\n' "$i" >>subscribers.yaml; done
printf 'title: First\nurl: https://example.org/1\ndate: 2026-11-01\nbody: One.\n' >articles/a1.yaml
printf 'title: Second\nurl: https://example.org/2\ndate: 2026-11-02\nbody: Two.\n' >articles/a2.yaml
titles() { grep -E '^[0-9]+\. ' "$1" | sed 's/^[0-9]*\. //' | tr '\n' ' '; }

run_g preview --out pv
expect_rc 0 "preview before any send"
expect_out "preview: issue-1, the next issue from the new articles" "preview says it is the next issue"
run_g send --limit 2
expect_rc 0 "a send that stops after 2 of 4 leaves issue-1 unfinished"
printf 'title: Third\nurl: https://example.org/3\ndate: 2026-11-03\nbody: Three.\n' >articles/a3.yaml
run_g preview --out pv
expect_rc 0 "preview with an unfinished campaign"
expect_out "preview: issue-1, the unfinished campaign" "preview names the unfinished campaign"
check "and shows its articles, not the new one" [ "$(titles pv/message.txt)" = "Second First " ]
run_g compose --out cp
expect_out "compose: issue-1, the unfinished campaign" "compose picks the same"
check "compose shows the same articles" [ "$(titles cp/digest.txt)" = "Second First " ]
run_g send
expect_rc 0 "cron finishes issue-1"
run_g preview --out pv
expect_out "preview: issue-2, the next issue from the new articles" "then preview shows issue-2"
check "with only the new article" [ "$(titles pv/message.txt)" = "Third " ]
run_g preview --all --out pv
check "--all takes every article" [ "$(titles pv/message.txt)" = "Third Second First " ]
run_g send
expect_rc 0 "cron sends issue-2"
run_g compose --out cp
expect_rc 0 "nothing new: compose exits 0"
expect_out "compose: nothing new: \`gazette send\` would send nothing now" "and says so"
run_g preview --tag nope --out pv
expect_rc 65 "a filter that leaves nothing is still an error"

# every message this test made, held to the checklist (issue 9: tests/lib.sh)
check_sent_mail
