#!/bin/sh
# make tsan: the tests that send over several threads, run with build/tsan/gazette
# (ThreadSanitizer; `make build/tsan/gazette`).  A data race makes gazette exit 66 with a
# report, which the tests count as a failure.  Each run ends with "N passed, N failed",
# and the whole with "tsan: N passed, N failed".
# SPDX-License-Identifier: MIT
cd "$(dirname "$0")/.." || exit 2
GAZETTE="$(pwd)/build/tsan/gazette"
if [ ! -x "$GAZETTE" ]; then
    echo "not ok - $GAZETTE is not built (make build/tsan/gazette)"
    exit 1
fi
export GAZETTE TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1"
out=$(mktemp)
trap 'rm -f "$out" "$out.rc"' EXIT
st=0
# the sending tests, then gazette serve and preview --serve: the committer, the applier,
# the mailer and HTTP threads; dkim: messages signed on every sending thread (its slots);
# inbox: the list loader, the reading threads and the mover of gazette inbox
for only in send serve dkim inbox; do
    { tests/run.sh "$only"; echo $? >"$out.rc"; } | tee -a "$out"
    [ "$(cat "$out.rc")" = 0 ] || st=1
done
# one total for both runs, in tests/run.sh's words
awk '/^[0-9]+ passed, [0-9]+ failed/ { p += $1; f += $3; s += $5 }
    END { printf "tsan: %d passed, %d failed%s\n", p, f, s ? ", " s " skipped" : "" }' "$out"
exit $st
