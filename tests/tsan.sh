#!/bin/sh
# make tsan: the tests that send over several threads, run with build/tsan/gazette
# (ThreadSanitizer; `make build/tsan/gazette`).  A data race makes gazette exit 66 with a
# report, which the tests count as a failure.  Each run ends with "N passed, N failed".
# SPDX-License-Identifier: MIT
cd "$(dirname "$0")/.." || exit 2
GAZETTE="$(pwd)/build/tsan/gazette"
if [ ! -x "$GAZETTE" ]; then
    echo "not ok - $GAZETTE is not built (make build/tsan/gazette)"
    exit 1
fi
export GAZETTE TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1"
tests/run.sh send
st=$?
# gazette serve and preview --serve: the committer, the applier, the mailer and HTTP threads
tests/run.sh serve || st=1
exit $st
