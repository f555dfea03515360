#!/bin/sh
# gazette preview --serve: the live page over real HTTP (curl): the message's HTML at
# 600 and 375 px, text, source, lint, the subscriber picker, dark mode; Server-Sent Events
# after an edit (inotify); a template error shown with FILE:LINE:COL while the server
# keeps running; 127.0.0.1 only.  Then headless Chromium sees the page reload by itself
# after a template edit (puppeteer-core from npm into build/npm; a printed skip without).
. "$TOP/tests/lib.sh"
cd "$T" || exit 1
command -v curl >/dev/null 2>&1 || { skip "curl is not installed"; exit 0; }

printf 'preview-secret-long-enough-for-gazette-32\n' >secret
chmod 600 secret
mkdir articles templates
art() {
    printf -- '---\ntitle: "%s"\nurl: https://news.example.org/a\nsource: Wire\n---\n\n%s\n' "$1" \
        "The body of the story, with enough words to make a paragraph of its own." >articles/a.md
}
art "First title"
cp "$TOP/tests/data/subs/hand.yaml" subscribers.yaml
cat >gazette.yaml <<'EOF'
newsletter:
  name: Preview Weekly
  from: news@example.org
  unsubscribe_url: https://news.example.org/unsubscribe?email={{email}}&token={{token}}
  secret_file: secret
EOF
PORT=$(free_port)
U="http://127.0.0.1:$PORT"
"$GAZETTE" preview --serve --port "$PORT" 2>serve.err &
SPID=$!
EPID=
trap 'kill -9 $SPID $EPID 2>/dev/null; rm -rf "$T"' EXIT
i=0
until curl -s -o /dev/null "$U/"; do
    i=$((i + 1))
    if [ $i -gt 300 ] || ! kill -0 $SPID 2>/dev/null; then
        not_ok "preview --serve did not start"; cat serve.err; exit 1
    fi
    sleep 0.1
done
check "it says where to look" grep -q "preview at http://127.0.0.1:$PORT/" serve.err

code=$(curl -s -D hdr -o page.html -w '%{http_code}' "$U/")
check "the page: 200" [ "$code" = 200 ]
check "it shows the subject, the first active subscriber, the lint report" sh -c "
grep -q 'id=\"subject\">Subject: Preview Weekly #1: First title' page.html &&
grep -q 'To: alice@example.org' page.html && grep -q 'id=\"lint\"' page.html"
check "HTML at 600 and 375 px, the text and the source side by side" sh -c "
grep -q 'id=\"html600\"[^>]*class=\"w600' page.html && grep -q 'id=\"html375\"[^>]*class=\"w375' page.html &&
grep -q 'id=\"text\"' page.html && grep -q 'id=\"source\">' page.html && grep -q '^MIME-Version: 1.0' page.html"
check "a picker with every subscriber" [ "$(grep -o '<option' page.html | wc -l)" = 4 ]
check "the page's CSP allows exactly its style and its script, by hash" "$PY" - page.html hdr <<'EOF'
import base64, hashlib, re, sys
body = open(sys.argv[1]).read()
policy = [l for l in open(sys.argv[2]) if l.lower().startswith("content-security-policy:")][0]
for tag in ("style", "script"):
    blocks = re.findall(r"<%s>(.*?)</%s>" % (tag, tag), body, re.S)
    assert len(blocks) == 1, tag
    h = base64.b64encode(hashlib.sha256(blocks[0].encode()).digest()).decode()
    assert "%s-src 'sha256-%s'" % (tag, h) in policy, (tag, policy)
assert "default-src 'none'" in policy and "unsafe" not in policy
EOF
curl -s -o page.html "$U/?s=carol%40example.net"
check "the picker's choice: another subscriber's message" grep -q 'To: carol@example.net' page.html
curl -s -o page.html "$U/?s=carol%40example.net&dark=1"
check "dark mode: the frames ask for the dark colour scheme" grep -q 'id="html600"[^>]*class="w600 dark"' page.html
curl -s -o page.html "$U/?s=nobody%40example.org"
check "an address not on the list: said in the page" grep -q 'id="error".*nobody@example.org is not on the list' page.html
code=$(curl -s -D hdr -o msg.html -w '%{http_code}' "$U/html?s=alice%40example.org")
check "/html: the message's HTML part, sandboxed" sh -c "[ '$code' = 200 ] && grep -q 'First title' msg.html && grep -qi '^Content-Security-Policy:.*sandbox' hdr"

# ---- edits reload the page --------------------------------------------------------------
curl -s -N "$U/events" >events.txt &
EPID=$!
i=0
until grep -q '^retry:' events.txt 2>/dev/null; do
    i=$((i + 1)); [ $i -lt 300 ] || break; sleep 0.1
done
waitn() {   # waitn N: until the event stream has said "reload" N times
    i=0
    until [ "$(grep -c '^data: reload' events.txt)" -ge "$1" ]; do
        i=$((i + 1)); [ $i -lt 300 ] || return 1; sleep 0.1
    done
}
art "Second title"
check "an article edit: the open page is told to reload" waitn 1
curl -s -o page.html "$U/"
check "and shows the new title" grep -q 'Subject: Preview Weekly #1: Second title' page.html
printf '{{<layout.html}}{{$content}}{{#broken}}{{/content}}{{/layout.html}}\n' >templates/digest.html.mustache
check "a template edit: reload" waitn 2
code=$(curl -s -o page.html -w '%{http_code}' "$U/")
check "a broken template: the page shows the error with file:line:col" sh -c "
[ '$code' = 200 ] && grep -q 'id=\"error\"[^>]*>templates/digest.html.mustache:1:[0-9]*: ' page.html"
check "and the server keeps running" kill -0 $SPID
rm templates/digest.html.mustache
check "the fix: reload" waitn 3
curl -s -o page.html "$U/"
check "and the message is back" grep -q 'Subject: Preview Weekly #1: Second title' page.html
before=$(grep -c '^data: reload' events.txt)
echo junk >notes.txt
touch .hidden-lock
curl -s -o /dev/null "$U/"
check "a file nobody reads changing does not reload (events: $before)" [ "$(grep -c '^data: reload' events.txt)" = "$before" ]
kill $EPID 2>/dev/null; EPID=

# ---- 127.0.0.1 only ----------------------------------------------------------------------
ip=$("$PY" -c '
import socket
s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.connect(("192.0.2.1", 9)); print(s.getsockname()[0])
except OSError: print("")')
if [ -n "$ip" ] && [ "${ip#127.}" = "$ip" ]; then
    check "nothing answers on the machine's address $ip" sh -c "! curl -s -o /dev/null --max-time 5 http://$ip:$PORT/"
else
    skip "no non-loopback address to try"
fi

# ---- a real browser reloads by itself ------------------------------------------------------
if puppeteer_core; then
    node - "$U" "$T" <<'EOF'
const path = require('path');
const fs = require('fs');
const puppeteer = require(path.join(process.env.NPM_DIR, 'node_modules', 'puppeteer-core'));
const [U, W] = process.argv.slice(2);
(async () => {
  const b = await puppeteer.launch({ executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  let failed = 0;
  const ok = (c, w) => { console.log((c ? 'ok - ' : 'not ok - ') + w); if (!c) failed++; };
  try {
    const p = await b.newPage();
    await p.setViewport({ width: 1400, height: 900 });
    await p.goto(U + '/');
    ok((await p.$eval('#subject', (e) => e.textContent)).includes('Second title'),
      'browser: the live page shows the message');
    const w600 = await p.$eval('#html600', (e) => e.getBoundingClientRect().width);
    ok(Math.round(w600) >= 600 && Math.round(w600) <= 604, 'browser: a 600 px frame (' + w600 + ')');
    const w375 = await p.$eval('#html375', (e) => e.getBoundingClientRect().width);
    ok(Math.round(w375) >= 375 && Math.round(w375) <= 379, 'browser: a 375 px frame (' + w375 + ')');
    await new Promise((r) => setTimeout(r, 300));   // let the event stream connect
    const nav = p.waitForNavigation({ timeout: 30000 });
    fs.writeFileSync(path.join(W, 'templates', 'subject.mustache'), 'Edited {{newsletter.name}}');
    await nav;
    await p.waitForSelector('#subject');
    ok((await p.$eval('#subject', (e) => e.textContent)).includes('Edited Preview Weekly'),
      'browser: after a template edit the page reloaded by itself with the change');
  } catch (e) {
    ok(false, 'browser: ' + e.message);
  } finally {
    await b.close();
  }
  process.exit(failed ? 1 : 0);
})();
EOF
else
    skip "browser: node, /usr/bin/chromium or puppeteer-core from npm is missing"
fi

kill -TERM $SPID
wait $SPID
check "SIGTERM stops the preview with 0" [ $? = 0 ]

# sent mail: not checked: the message is only shown, HTML-escaped, in a page (preview --out is checked in compose.sh) (tests/integration/sent_mail.sh)
