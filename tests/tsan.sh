#!/bin/sh
# make tsan: the tests that send over several threads, run with build/tsan/gazette
# (ThreadSanitizer; `make build/tsan/gazette`).  A data race makes gazette exit 66 with a
# report, which the tests count as a failure.  The last line is "N passed, N failed".
# SPDX-License-Identifier: MIT
cd "$(dirname "$0")/.." || exit 2
GAZETTE="$(pwd)/build/tsan/gazette"
if [ ! -x "$GAZETTE" ]; then
    echo "not ok - $GAZETTE is not built (make build/tsan/gazette)"
    exit 1
fi
export GAZETTE TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1"
exec tests/run.sh send
