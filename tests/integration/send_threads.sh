#!/bin/sh
# send_threads: many worker threads rendering per subscriber at once.  A template that
# branches on a subscriber value is rendered per message on the workers, and a dynamic
# partial ({{>*title}}) is loaded into the shared partial cache during those renders.
# Maildir transport, 8 connections, 400 subscribers; every message must carry its own
# subscriber's greeting and every article's partial.  `make tsan` runs this script with
# GAZETTE=build/tsan/gazette, where a data race is a ThreadSanitizer report (a failure).
# SPDX-License-Identifier: MIT
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/lib.sh"
export GZ_SECRET=test-unsubscribe-secret-long-enough-now
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1 exitcode=66}"
cd "$T" || exit 1
if [ ! -x "$GAZETTE" ]; then not_ok "threads: $GAZETTE is not built"; exit 1; fi
N=400
mkdir articles templates
"$PY" - "$N" <<'PYEOF'
import sys
n = int(sys.argv[1])
with open("subscribers.yaml", "w") as f:
    f.write("subscribers:\n")
    for i in range(1, n + 1):
        f.write("  - email: u%d@threads.example\n    name: User %d\n" % (i, i))
    f.write("  - email: noname@threads.example\n")
for a in ("alpha", "beta", "gamma", "delta"):
    with open("articles/%s.md" % a, "w") as f:
        f.write('---\ntitle: "%s"\nurl: https://news.example.org/%s\n---\n\n'
                'The body of %s, with enough words to make a paragraph.\n' % (a, a, a))
    with open("templates/%s.mustache" % a, "w") as f:
        f.write("partial-%s\n" % a)
with open("templates/digest.txt.mustache", "w") as f:
    f.write("{{#subscriber.name}}Hello {{subscriber.name}}!\n{{/subscriber.name}}"
            "{{^subscriber.name}}Hello reader!\n{{/subscriber.name}}"
            "{{#articles}}{{>*title}}{{url}}\n{{/articles}}"
            "{{unsubscribe_url}}\n{{newsletter.postal_address}}\n")
with open("gazette.yaml", "w") as f:
    f.write("newsletter:\n  name: Threads\n  from: news@example.org\n"
            "  unsubscribe_url: https://example.org/u?t={{token}}\n  secret_env: GZ_SECRET\n"
            "  postal_address: 1 Rue Exemple, 75001 Paris\n"
            "smtp:\n  transport: maildir\n  connections: 8\n"
            "paths:\n  templates: templates\n  outbox: outbox\n")
PYEOF
run_g -c gazette.yaml send --force     # the template lacks the footer the gate asks for
expect_rc 0 "threads: send to $((N + 1)) subscribers over 8 connections"
if grep -q 'Sanitizer\|runtime error' "$T/err"; then
    not_ok "threads: sanitizer report"; sed 's/^/#   /' "$T/err" | head -30
else
    ok "threads: no sanitizer report"
fi
check "threads: $((N + 1)) messages in the Maildir" \
    [ "$(find outbox/new -type f | wc -l)" = $((N + 1)) ]
# each message: its own greeting (the To: address's number) and all four partials, in order
bad=$("$PY" - <<'PYEOF'
import email, email.policy, glob, re
bad = 0
for p in glob.glob("outbox/new/*"):
    m = email.message_from_binary_file(open(p, "rb"), policy=email.policy.default)
    to = m["To"].addresses[0].addr_spec
    part = m.get_body(("plain",))
    text = part.get_content() if part is not None else ""
    k = re.match(r"u(\d+)@", to)
    want = "Hello User %s!" % k.group(1) if k else "Hello reader!"
    parts = re.findall(r"partial-(\w+)", text)
    if want not in text or sorted(parts) != ["alpha", "beta", "delta", "gamma"]:
        bad += 1
print(bad)
PYEOF
)
check "threads: every message has its own greeting and the four dynamic partials" \
    [ "$bad" = 0 ]

# every message this test made, held to the checklist (issue 9: tests/lib.sh)
check_sent_mail
