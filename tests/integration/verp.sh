#!/bin/sh
# verp: with newsletter.verp each message's MAIL FROM is bounce_to with a signed token
# (bounces+TOKEN@example.org), and the List-Unsubscribe mailto carries it too
# (unsubscribe+TOKEN@...): both SMTP transports against the aiosmtpd test server; the
# tokens are recomputed independently in Python (verp_check.py).
# SPDX-License-Identifier: MIT
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/lib.sh"
. "$TOP/tests/servers.sh"
PIDS=
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"' EXIT
export GZ_SECRET=verp-test-secret-long-enough-for-gazette
if [ ! -x "$GAZETTE" ]; then not_ok "verp: $GAZETTE is not built"; exit 1; fi
if ! "$PY" -c 'import aiosmtpd' 2>/dev/null; then
    skip "verp: python3-aiosmtpd is not installed"; exit 0
fi

# setup DIR TRANSPORT DELIM [EXTRA-NEWSLETTER-LINE]
setup() {
    mkdir -p "$1/articles"
    printf -- '---\ntitle: "A story"\nurl: https://news.example.org/a\n---\n\n%s\n' \
        "The body of the story, long enough to be a paragraph." >"$1/articles/a.md"
    { printf 'subscribers:\n'
      for i in 1 2 3 4 5; do printf '  - email: u%s@verp.example\n' "$i"; done
      printf '  - email: Mixed.Case@verp.example\n'; } >"$1/subscribers.yaml"
    { printf 'newsletter:\n  from: news@example.org\n  bounce_to: bounces@example.org\n'
      printf '  unsubscribe_mailto: unsubscribe@example.org\n  secret_env: GZ_SECRET\n'
      printf '  postal_address: 1 Example Street, Exampleton\n'
      printf '  verp: true\n  verp_delimiter: "%s"\n' "$3"
      printf 'smtp:\n  transport: %s\n  url: smtp://127.0.0.1:%s\n  starttls: off\n' "$2" "$PORT"
      printf '  timeout: 5\n  connections: 2\n'; } >"$1/gazette.yaml"
}

for tr in smtp:+ esmtp:-; do
    TR=${tr%%:*} D=${tr#*:}
    start_server
    W="$T/$TR"
    setup "$W" "$TR" "$D"
    (cd "$W" && "$GAZETTE" -c gazette.yaml send) >"$T/out" 2>&1
    rc=$?
    if [ $rc = 0 ]; then ok "$TR: send with verp: true"; else
        not_ok "$TR: send with verp: true exited $rc"; sed 's/^/#   /' "$T/out" | head; fi
    "$PY" "$TOP/tests/integration/verp_check.py" "$SD" "$GZ_SECRET" issue-1 "$D" \
        bounces@example.org unsubscribe@example.org >"$T/chk" 2>&1
    if grep -qx 'checked 6' "$T/chk" && [ "$(wc -l <"$T/chk")" = 1 ]; then
        ok "$TR: 6 messages, each MAIL FROM bounces${D}TOKEN@example.org with its own signed" \
            "token, and the same token in List-Unsubscribe's mailto and in both bodies' link"
    else
        not_ok "$TR: VERP return paths"; sed 's/^/#   /' "$T/chk" | head
    fi
    stop_server
done

# without a secret (or a bounce address) VERP cannot sign: a configuration error
start_server
W="$T/nosecret"
setup "$W" smtp +
sed -i '/secret_env/d' "$W/gazette.yaml"
(cd "$W" && "$GAZETTE" -c gazette.yaml send) >"$T/out" 2>&1
rc=$?
if [ $rc = 78 ] && grep -q 'newsletter.verp needs a secret' "$T/out"; then
    ok "verp: true without a secret is a configuration error (exit 78)"
else not_ok "verp without a secret: exit $rc"; sed 's/^/#   /' "$T/out" | head -3; fi
if [ ! -s "$SD/log" ] || ! grep -q '^msg' "$SD/log"; then
    ok "verp: nothing was sent without a secret"
else not_ok "verp: something was sent without a secret"; fi

# every message this test made, held to the checklist (issue 9: tests/lib.sh)
check_sent_mail
