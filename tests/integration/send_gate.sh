#!/bin/sh
# What bulk mail needs, enforced at send (issue 9): no postal address, no unsubscribe link
# in a user template, an HTML part past Gmail's clipping size: `gazette send` refuses with
# the messages `gazette preview` prints, before anything is sent or journalled, unless
# --force (each problem then logged).  And `gazette check` warns about a free-mail From.
# The Maildir transport: what was sent is what is in the outbox.
# SPDX-License-Identifier: MIT
. "$TOP/tests/lib.sh"
cd "$T" || exit 1
P="gate:"

mkdir -p articles
printf -- '---\ntitle: "A story"\nurl: https://news.example.org/a\n---\n\nA short body.\n' \
    >articles/a.md
printf 's3cret-s3cret-s3cret-s3cret-s3cret\n' >secret.txt
chmod 600 secret.txt
printf 'subscribers:\n  - email: ann@example.org\n  - email: bob@example.org\n' >subscribers.yaml
# conf [POSTAL] [FROM]
conf() {
    {
        printf 'newsletter:\n  name: Gazette\n  from: %s\n' "${2:-news@example.org}"
        printf '  unsubscribe_url: https://example.org/u?t={{token}}\n  secret_file: secret.txt\n'
        [ -z "${1:-}" ] || printf '  postal_address: %s\n' "$1"
        printf 'paths:\n  templates: %s\n' "${TPL:-templates}"
    } >gazette.yaml
}
nout() { find outbox -type f 2>/dev/null | wc -l | tr -d ' '; }

# 1. no postal address
conf
run_g send articles
expect_rc 65 "$P send without newsletter.postal_address is refused"
expect_err "no postal address; set newsletter.postal_address" "$P and says what to set"
check "$P nothing was sent" [ "$(nout)" = 0 ]
check "$P no campaign was started (no journal, no manifest)" \
    sh -c '! find state -type f 2>/dev/null | grep -q .'
grep '^gazette: ' "$T/err" | grep -v 'refusing to send\|warning: ' | sed 's/^gazette: //' | sort >send.txt
run_g preview articles --out pv
expect_rc 65 "$P preview reports it as an error too"
sed -n 's/^error: //p' "$T/out" | sort >preview.txt
check "$P send prints the same problems as preview" \
    sh -c 'test -s send.txt && cmp -s send.txt preview.txt'
run_g send --force articles
expect_rc 0 "$P send --force sends anyway"
expect_err "send --force: sending despite: no postal address" "$P --force logs each problem"
check "$P both copies are in the outbox" [ "$(nout)" = 2 ]

# 2. a user template without the unsubscribe link
check_sent_mail --allow-none    # before the outbox goes
rm -rf outbox state
conf "1 Example Street, Paris"
mkdir -p templates
printf '{{#articles}}{{title}}\n{{/articles}}\n{{newsletter.postal_address}}\n' \
    >templates/digest.txt.mustache
run_g send articles
expect_rc 65 "$P a text template without {{unsubscribe_url}} is refused"
expect_err "the text part has no unsubscribe link" "$P and the message names the part"
check "$P nothing was sent" [ "$(nout)" = 0 ]
rm -f templates/digest.txt.mustache
run_g send articles
expect_rc 0 "$P with the built-in templates it sends"
check "$P two copies" [ "$(nout)" = 2 ]

# 3. a digest whose HTML part Gmail would clip (> 102 KB)
check_sent_mail --allow-none    # before the outbox goes
rm -rf outbox state
"$PY" - <<'EOF'
words = ("The council met again on Monday and debated the budget at length, line by line. " * 12)
for i in range(60):
    with open("articles/big%02d.md" % i, "w") as f:
        f.write('---\ntitle: "Story %d"\nurl: https://news.example.org/%d\n---\n\n' % (i, i))
        f.write(words + "\n")
EOF
run_g send articles
expect_rc 65 "$P a digest past Gmail's clipping size is refused"
expect_err "Gmail clips messages past about 102 KB" "$P and says why"
check "$P nothing was sent" [ "$(nout)" = 0 ]
rm -f articles/big*.md

# 4. a From address at a free-mail domain: a warning in check, not an error
conf "1 Example Street, Paris" someone@gmail.com
run_g check
expect_rc 0 "$P check with a gmail.com From still passes"
expect_err "newsletter.from someone@gmail.com is at a free-mail domain" \
    "$P but warns that DMARC will reject it"
conf "1 Example Street, Paris"
run_g check
check "$P no such warning for a domain of one's own" sh -c "! grep -q free-mail '$T/err'"

# 5. no one-click (https) unsubscribe, or a link without a token: warnings, not errors
check "$P no unsubscribe warning when the link is https with a token" \
    sh -c "! grep -q 'one-click\|no {{token}}' '$T/err'"
sed 's|unsubscribe_url: .*|unsubscribe_mailto: unsubscribe@example.org|' gazette.yaml >g2.yaml
mv g2.yaml gazette.yaml
run_g check
expect_rc 0 "$P check with only unsubscribe_mailto still passes"
expect_err "Gmail and Yahoo require one-click unsubscribe (RFC 8058" \
    "$P but warns that bulk senders need a one-click https link"
run_g preview articles --out pv5
expect_rc 0 "$P preview of a mailto-only list passes"
check "$P and its report warns about one-click unsubscribe too" \
    grep -q '^warning: unsubscribing takes an email (mailto: only)' "$T/out"
sed 's|unsubscribe_mailto: .*|unsubscribe_url: https://example.org/u?email={{email}}|' \
    gazette.yaml >g2.yaml
mv g2.yaml gazette.yaml
run_g check
expect_rc 0 "$P check with an unsubscribe link without {{token}} passes"
expect_err "newsletter.unsubscribe_url has no {{token}}" \
    "$P but warns that anyone could unsubscribe anyone with it"

# every message this test made, held to the checklist (issue 9: tests/lib.sh)
check_sent_mail --allow-none
