#!/bin/sh
# log_lines: every stderr line gazette prints goes out in one write(2), so that lines
# logged by several threads at once never interleave.  Counted with strace: the writes
# to fd 2 equal the lines on stderr.
# SPDX-License-Identifier: MIT
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/lib.sh"
export GZ_SECRET=test-unsubscribe-secret-long-enough-now
cd "$T" || exit 1
if ! command -v strace >/dev/null 2>&1; then
    skip "log: strace is not installed (apt-get install strace)"
    exit 0
fi
mkdir articles
printf -- '---\ntitle: "Log"\nurl: https://news.example.org/l\n---\n\nOne paragraph.\n' \
    >articles/l.md
{
    echo "subscribers:"
    i=1
    while [ $i -le 40 ]; do echo "  - email: u$i@log.example"; i=$((i + 1)); done
} >subscribers.yaml
printf 'newsletter:\n  name: Log\n  from: news@example.org\n  unsubscribe_url: %s\n' \
    'https://example.org/u?t={{token}}' >gazette.yaml
printf '  secret_env: GZ_SECRET\n  postal_address: 1 Rue Exemple, 75001 Paris\n' >>gazette.yaml
printf 'smtp:\n  transport: maildir\n  connections: 4\n' >>gazette.yaml
printf 'paths:\n  outbox: outbox\n' >>gazette.yaml
# trace GZ ARGS...: run gazette under strace; $T/err its stderr, $nw its writes to fd 2
trace() {
    ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=write -e signal=none -o "$T/st" \
        "$GAZETTE" "$@" 2>"$T/err"
    rc=$?
    nw=$(grep -c '^[0-9]* *write(2,' "$T/st")
    nl=$(wc -l <"$T/err")
}
trace -v -c gazette.yaml send
check "log: a verbose send ran (exit $rc) and said something ($nl lines)" \
    [ "$rc" = 0 -a "$nl" -ge 2 ]
check "log: one write per line ($nw writes, $nl lines)" [ "$nw" = "$nl" ]
# log_warn (with strerror) and log_warnx lines
trace -c gazette.yaml subscribers import "$T/no-such.csv"
check "log: a warning with its reason (exit $rc), one write per line ($nw writes, $nl lines)" \
    [ "$rc" != 0 -a "$nl" -ge 1 -a "$nw" = "$nl" ]

# every message this test made, held to the checklist (issue 9: tests/lib.sh)
check_sent_mail
