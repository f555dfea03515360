#!/bin/sh
# A typo in a user template (issue 14 item 4): `check --templates`, `preview`, `compose`
# and `send` all run the same name check; an unknown name stops each with
# FILE:LINE:COL and "did you mean", exit 65, and send mails nobody.
. "$TOP/tests/lib.sh"
cd "$T" || exit 1
mkdir articles templates
cat >gazette.yaml <<'YAML'
newsletter:
  from: news@example.org
  unsubscribe_mailto: unsub@example.org
  postal_address: 1 Example Street, Exampleton
paths:
  outbox: outbox
YAML
printf 'subscribers:\n  - email: r1@example.org\n' >subscribers.yaml
printf 'title: First\nurl: https://example.org/1\ndate: 2026-11-01\nbody: One.\n' >articles/a1.yaml
# line 6 of article.txt gets a misspelt {{titel}} at column 5
sed '6s/^/xx: {{titel}} /' "$TOP/templates/article.txt.mustache" >templates/article.txt.mustache
want="article.txt.mustache:6:5: unknown name \"titel\"; did you mean \"title\"?"
run_g check --templates
expect_rc 65 "check --templates finds the typo"
expect_err "$want" "check --templates: file:line:col and did you mean"
run_g preview --out pv
expect_rc 65 "preview stops on the typo"
expect_err "$want" "preview: file:line:col and did you mean"
check "preview says no 'no problems'" sh -c '! grep -q "no problems" "$1"' - "$T/out"
run_g compose --out dig
expect_rc 65 "compose stops on the typo"
expect_err "$want" "compose: file:line:col and did you mean"
run_g send
expect_rc 65 "send stops on the typo"
expect_err "$want" "send: file:line:col and did you mean"
check "send mailed nobody" sh -c '[ -z "$(ls outbox/new 2>/dev/null)" ]'
# two typos: the first is shown, the others counted
sed -i '1s/^/{{issue.nmber}}/' templates/article.txt.mustache
run_g compose --out dig
expect_rc 65 "compose with two typos"
expect_err "and 1 more problem; \`gazette check --templates\` lists them all" \
    "compose counts the other problems"
# fixed: all four run
cp "$TOP/templates/article.txt.mustache" templates/
run_g compose --out dig
expect_rc 0 "compose with the typo fixed"
run_g send
expect_rc 0 "send with the typo fixed"

# every message this test made, held to the checklist (issue 9: tests/lib.sh)
check_sent_mail
