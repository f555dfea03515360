#!/bin/sh
# make run: the README's first command, on the shipped examples (scripts/run-sample.sh),
# with the sanitizer build: check, list, preview and send to the local Maildir must all
# work on a fresh checkout, and each active subscriber gets one message.
. "$TOP/tests/lib.sh"
W="$T/sample"
set +e
GAZETTE_BIN="$GAZETTE" SAMPLE_DIR="$W" sh "$TOP/scripts/run-sample.sh" >"$T/out" 2>"$T/err"
rc=$?
set -e 2>/dev/null || true
set +e
expect_rc 0 "make run's script on the shipped examples"
check "the preview says the message is lint-clean" grep -q "lint: no problems found" "$T/out"
n=$(ls "$W/outbox/new" 2>/dev/null | wc -l)
want=$(grep -v "^ *#" "$TOP/subscribers.yaml.example" | grep -c "email:")
unsub=$(grep -v "^ *#" "$TOP/subscribers.yaml.example" | grep -c "status: unsubscribed")
check "one message per active subscriber in the Maildir ($n, want $((want - unsub)))" \
    [ "$n" = $((want - unsub)) ]
check "status shows the campaign done" grep -q "issue-1 .* done" "$T/out"

# every message this test made, held to the checklist (issue 9: tests/lib.sh)
check_sent_mail
