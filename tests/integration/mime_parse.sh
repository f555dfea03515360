#!/bin/sh
# mime_parse: the messages the mime module builds (written by build/san/test_mime with
# MIME_OUT set) re-parsed by an independent parser, Python's email package with
# policy.strict, and compared with the sidecar JSON of what they must decode to.
# SPDX-License-Identifier: MIT
. "$(dirname "$0")/../lib.sh"

unit="$TOP/build/san/test_mime"
if [ ! -x "$unit" ]; then
    not_ok "mime_parse: $unit is missing (make build/san/test_mime)"
    exit 1
fi
if [ ! -x "$PY" ] || ! "$PY" -c 'import email.policy' 2>/dev/null; then
    skip "mime_parse: $PY with the email package is not available"
    exit 0
fi

mkdir -p "$T/eml"
# check_eml.py wants each Date: between this moment and its check
EML_T0=$(date +%s)
export EML_T0
MIME_OUT="$T/eml" MIME_BENCH_N=100 "$unit" >"$T/unit.log" 2>&1
st=$?
if [ "$st" = 0 ]; then ok "test_mime wrote the .eml cases"; else
    not_ok "test_mime exited $st while writing the .eml cases"
    grep -v '^ok - ' "$T/unit.log" | head -20 | sed 's/^/#   /'
fi
n=$(ls "$T/eml"/*.eml 2>/dev/null | wc -l)
if [ "$n" -ge 11 ]; then ok "$n .eml files to check"; else not_ok "only $n .eml files (want 11)"; fi
[ "$n" -gt 0 ] || exit 1

"$PY" "$TOP/tests/integration/check_eml.py" "$T"/eml/*.eml

# sent mail: not checked: the mime module's messages are checked against their sidecars by check_eml.py (tests/integration/sent_mail.sh)
