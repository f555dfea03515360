#!/bin/sh
# run_sample: what `make run` does (scripts/run-sample.sh) on the shipped examples, in a
# folder of its own, with the sanitizer build: every step succeeds and the sample digest
# lands in the Maildir, one message per active subscriber of subscribers.yaml.example.
# SPDX-License-Identifier: MIT
. "$TOP/tests/lib.sh"
if [ ! -x "$GAZETTE" ]; then not_ok "run_sample: $GAZETTE is not built"; exit 1; fi
SAMPLE_GAZETTE="$GAZETTE" SAMPLE_DIR="$T/sample" sh "$TOP/scripts/run-sample.sh" \
    >"$T/out" 2>"$T/err"
rc=$?
expect_rc 0 "make run's script on the shipped examples"
check "it printed no sanitizer report" sh -c '! grep -q "Sanitizer\|runtime error" "$1"' - \
    "$T/err"
active=$("$PY" -c 'import sys, yaml
print(sum(1 for s in yaml.safe_load(open(sys.argv[1]))["subscribers"]
          if s.get("status", "active") == "active"))' "$TOP/subscribers.yaml.example")
n=$(ls "$T/sample/outbox/new" 2>/dev/null | wc -l)
check "one message per active subscriber in the Maildir ($n of $active)" [ "$n" = "$active" ]
expect_out "done" "gazette status says the campaign is done"
