#!/bin/sh
# gazette serve in a real browser: headless Chromium (Debian's /usr/bin/chromium) driven
# by puppeteer-core, which this test installs from npm into build/npm (a printed skip
# when npm cannot reach its registry).  See serve_browser.js for the walk.
. "$TOP/tests/lib.sh"
cd "$T" || exit 1
command -v curl >/dev/null 2>&1 || { skip "curl is not installed"; exit 0; }
if ! puppeteer_core; then
    skip "no headless browser: node, /usr/bin/chromium or puppeteer-core from npm is missing"
    exit 0
fi

printf 'browser-test-secret-long-enough-for-gazette\n' >secret
chmod 600 secret
PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
mkdir articles
printf -- '---\ntitle: "Browser story"\nurl: https://news.example.org/b\nsource: Test Wire\n---\n\n%s\n' \
    "The body of the story, with enough words to make a paragraph of its own." >articles/b.md
cp "$TOP/tests/data/subs/hand.yaml" subscribers.yaml
cat >gazette.yaml <<EOF
newsletter:
  name: Browser Weekly
  from: news@example.org
  base_url: $BASE
  unsubscribe_url: $BASE/unsubscribe?email={{email}}&token={{token}}
  secret_file: secret
  postal_address: 1 Test Street, 12345 Testville
serve:
  listen: 127.0.0.1:$PORT
  apply_seconds: 3600
  tags: [weekly, tech]
EOF
"$GAZETTE" serve 2>serve.err &
SPID=$!
trap 'kill -9 $SPID 2>/dev/null; rm -rf "$T"' EXIT
i=0
until curl -s -o /dev/null "$BASE/subscribe"; do
    i=$((i + 1))
    if [ $i -gt 300 ] || ! kill -0 $SPID 2>/dev/null; then
        not_ok "the server did not start"; cat serve.err; exit 1
    fi
    sleep 0.1
done
node "$TOP/tests/integration/serve_browser.js" "$BASE" "$T" "$GAZETTE" "$PY"
kill -TERM $SPID
wait $SPID
check "the server stops cleanly after the walk" [ $? = 0 ]
if [ -n "${KEEP_SHOTS:-}" ]; then mkdir -p "$KEEP_SHOTS" && cp ./*.png "$KEEP_SHOTS/"; fi

# every message this test made, held to the checklist (issue 9: tests/lib.sh)
check_sent_mail --transactional '*_confirm.*'
