#!/bin/sh
# gazette check checks what a run will need (issue 14 item 9): the articles folder, the
# unsubscribe secret (an empty file names the real cause), the SMTP password, the
# templates' names without --templates; and an article image the email must leave out is
# a warning in `articles`, `preview` and `check` (item 5), not silently dropped.
. "$TOP/tests/lib.sh"
cd "$T" || exit 1
cat >gazette.yaml <<'YAML'
newsletter:
  from: news@example.org
  unsubscribe_url: https://example.org/unsubscribe?token={{token}}
  secret_file: secret.txt
YAML
printf 'subscribers:\n  - email: r1@example.org\n' >subscribers.yaml
printf 'a-test-secret-that-is-long-enough-to-pass\n' >secret.txt
chmod 600 secret.txt

run_g check
expect_rc 66 "no articles folder: EX_NOINPUT"
expect_err "gazette: articles: the articles folder (paths.articles) does not exist; create it or set paths.articles" \
    "the missing articles folder is named"
mkdir articles
printf 'title: First\nurl: https://example.org/1\ndate: 2026-11-01\nbody: One.\n' >articles/a1.yaml
run_g check
expect_rc 0 "with the folder: all is well"
check "and quiet" [ ! -s "$T/err" ] && [ ! -s "$T/out" ]

: >secret.txt
run_g check
expect_rc 78 "an empty secret file: EX_CONFIG"
expect_err "gazette: secret.txt: the unsubscribe secret file is empty; put a long random string in it" \
    "check names the empty secret file"
run_g compose --out dig
expect_rc 78 "compose with an empty secret file"
expect_err "the unsubscribe secret file is empty" "compose names the real cause, not 'no secret is set'"
rm secret.txt
run_g check
expect_rc 78 "a missing secret file"
expect_err "gazette: secret.txt: cannot read the unsubscribe secret" "check names the missing secret"
printf 'a-test-secret-that-is-long-enough-to-pass\n' >secret.txt
chmod 644 secret.txt
run_g check
expect_rc 78 "a secret others can read is an error (issue 10)"
expect_err "secret.txt: the unsubscribe secret is readable or writable by others" \
    "check says the secret is readable by others"
expect_err "chmod 600 secret.txt" "... and how to fix it"
chmod 600 secret.txt

# the SMTP password
cat >>gazette.yaml <<'YAML'
smtp:
  transport: smtp
  url: smtp://127.0.0.1:2525
  username: gazette
  password_file: password.txt
YAML
run_g check
expect_rc 78 "a missing password file"
expect_err "gazette: password.txt: cannot read the SMTP password" "check names the password file"
printf 'hunter2\n' >password.txt
chmod 600 password.txt
run_g check
expect_rc 0 "with the password file"
head -4 gazette.yaml >g && mv g gazette.yaml

# template names are checked without --templates
mkdir templates
printf '{{newsletter.nmae}}\n' >templates/subject.mustache
run_g check
expect_rc 65 "a template typo without --templates"
expect_err 'subject.mustache:1:1: unknown name "newsletter.nmae"; did you mean "newsletter.name"?' \
    "check reports the typo"
rm -r templates

# images the email must leave out (item 5)
printf -- '---\ntitle: With a local image\nimage: img/photo.jpg\n---\nBody.\n' >articles/b.md
want_b='gazette: articles/b.md: image "img/photo.jpg" is a relative path and newsletter.base_url is not set'
run_g articles articles/b.md
expect_rc 0 "articles still shows it"
expect_err "$want_b" "articles warns about the relative image"
run_g preview --out pv
expect_err "$want_b" "preview warns about the relative image"
run_g check
expect_rc 0 "check: an image left out is a warning, not an error"
expect_err "$want_b" "check warns about the relative image"
printf '  base_url: https://example.org/news/\n' >>gazette.yaml
run_g preview --out pv
check "with base_url the relative image is made absolute, without a warning" \
    sh -c '! grep -q "b.md" "$1" && grep -q "https://example.org/news/img/photo.jpg" pv/message.html' - "$T/err"

# every message this test made, held to the checklist (issue 9: tests/lib.sh)
check_sent_mail
