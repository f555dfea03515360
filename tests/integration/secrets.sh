#!/bin/sh
# Secrets (issue 10, item 9): a short unsubscribe secret is refused (one token would give
# it away by brute force); `gazette secret new` writes a strong one, mode 600, and never
# over an existing file; a secret or password file others can read, or that belongs to
# someone else, is an error unless --insecure.
# SPDX-License-Identifier: MIT
. "$TOP/tests/lib.sh"
cd "$T" || exit 1
mkdir articles
printf -- '---\ntitle: "A"\nurl: https://news.example.org/a\n---\n\nAlpha body.\n' >articles/a.md
printf 'subscribers:\n  - email: ann@example.net\n' >subscribers.yaml
cat >gazette.yaml <<'YAML'
newsletter:
  postal_address: 1 Example Street, 75001 Paris
  from: news@example.org
  unsubscribe_url: https://example.org/u?t={{token}}
  secret_file: secret.txt
paths:
  outbox: outbox
YAML
umask 077
printf 'x\n' >secret.txt
run_g send
expect_rc 78 "a 1-byte unsubscribe secret is refused"
expect_err "at least 32" "the error says how long it must be"
expect_err "gazette secret new" "and how to make one"
check "nothing was sent" [ ! -d outbox/new ] || [ -z "$(ls outbox/new)" ]
rm secret.txt
run_g secret new
expect_rc 0 "gazette secret new writes the config's secret_file"
check "it is 64 hex digits" grep -qx '[0-9a-f]\{64\}' secret.txt
check "its mode is 600" [ "$(stat -c %a secret.txt)" = 600 ]
cp secret.txt first
run_g secret new
expect_rc 73 "it never replaces an existing secret"
check "which is unchanged" cmp -s secret.txt first
run_g secret new other.txt
check "two secrets differ" sh -c '! cmp -s secret.txt other.txt'
run_g send
expect_rc 0 "a good secret: the run goes"
chmod 640 secret.txt
run_g compose --all -o c1
expect_rc 78 "a secret file readable by the group is an error"
expect_err "chmod 600" "the error says how to fix it"
run_g --insecure compose --all -o c2
expect_rc 0 "--insecure lets it go"
expect_err "allowed by --insecure" "with a warning"
chmod 600 secret.txt
printf 'pw\n' >pw.txt
chmod 604 pw.txt
cat >>gazette.yaml <<'YAML'
smtp:
  transport: smtp
  url: smtp://127.0.0.1:1
  username: u
  password_file: pw.txt
YAML
run_g check --smtp
expect_rc 78 "a password file others can read is an error"
expect_err "SMTP password is readable" "and says which"

# every message this test made, held to the checklist (issue 9: tests/lib.sh)
check_sent_mail
