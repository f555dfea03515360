#!/bin/sh
# gazette compose / preview / articles / render / check --templates on real files, every
# .eml re-parsed by Python's email package with the strict policy.
. "$TOP/tests/lib.sh"
cd "$T" || exit 1
cp "$TOP/gazette.yaml.example" gazette.yaml
cp "$TOP/subscribers.yaml.example" subscribers.yaml
cp -r "$TOP/examples/articles" articles
printf 'a-test-secret-that-is-long-enough-to-pass\n' >secret.txt
chmod 600 secret.txt

# strict parse of an .eml; prints nothing on success, the problem otherwise
eml_ok() {
    "$PY" - "$@" <<'PY'
import re, sys
from email import policy
from email.parser import BytesParser
raw = open(sys.argv[1], "rb").read()
m = BytesParser(policy=policy.strict).parsebytes(raw)
assert not re.search(rb"(?<!\r)\n|\r(?!\n)", raw), "bare CR or LF"
assert max(len(l) for l in raw.split(b"\r\n")) <= 998, "line over 998"
for h in ("Date", "From", "To", "Subject", "Message-ID", "MIME-Version"):
    assert len(m.get_all(h, [])) == 1, "not exactly one " + h
assert m.get_content_type() == "multipart/alternative"
parts = [p.get_content_type() for p in m.walk() if not p.is_multipart()]
assert parts == ["text/plain", "text/html"], parts
for p in m.walk():
    if not p.is_multipart():
        assert p.get_content_charset() == "utf-8"
        assert p["Content-Transfer-Encoding"] in ("7bit", "quoted-printable", "base64")
        p.get_content()
assert m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
assert "<https://example.org/unsubscribe?token=" in m["List-Unsubscribe"]
assert m["List-Id"] == "The Weekly Gazette <weekly.example.org>", m["List-Id"]
t = m.get_body(("plain",)).get_content()
h = m.get_body(("html",)).get_content()
assert "&amp;" not in t, "HTML escaping in the text part"
tok = re.search(r"token=([A-Za-z0-9_-]{22})", m["List-Unsubscribe"]).group(1)
assert tok in t and tok in h, "the visible unsubscribe link is this recipient's"
if len(sys.argv) > 2:
    assert m["To"].addresses[0].addr_spec == sys.argv[2], m["To"]
if len(sys.argv) > 3:
    assert str(m["Subject"]) == sys.argv[3], str(m["Subject"])
PY
}

# articles in a text part: "N. Title" lines underlined with 72 dashes
articles_in() {
    "$PY" -c 'import re, sys; print(len(re.findall(r"^\d+\. .+\n-{72}$", open(sys.argv[1], encoding="utf-8").read(), re.M)))' "$1"
}

run_g compose --out dig
expect_rc 0 "compose the shipped examples"
check "compose says which issue it composed, nothing else" \
    [ "$(cat "$T/out")" = "compose: issue-1, the next issue from the new articles (what \`gazette send\` would send now; --all for every article)" ] && [ ! -s "$T/err" ]
run_g -q compose --out dig
check "compose -q is quiet" [ ! -s "$T/out" ] && [ ! -s "$T/err" ]
check "compose writes digest.html, digest.txt and sample.eml" \
    test -s dig/digest.html -a -s dig/digest.txt -a -s dig/sample.eml
check "sample.eml passes the strict parser, for an example address, not a subscriber" \
    eml_ok dig/sample.eml reader@example.org
# issue 14 item 6: digest.html/.txt are subscriber-neutral, no real address or token
check "digest.html and digest.txt name no subscriber of the list" \
    sh -c '! grep -l -e alice@example.org -e bob@example.net -e "token=[A-Za-z0-9_-]\{22\}" dig/digest.html dig/digest.txt'
check "digest.txt shows where the address and unsubscribe link go" \
    grep -q '{{subscriber.email}}' dig/digest.txt
check "digest.html shows where the unsubscribe link goes" \
    grep -q 'href="{{unsubscribe_url}}"' dig/digest.html
check "all six example articles are in the digest" \
    [ "$(articles_in dig/digest.txt)" = 6 ]
check "text part lines are at most 78 columns" \
    "$PY" -c 'import sys; assert max(len(l) for l in open("dig/digest.txt", encoding="utf-8").read().splitlines()) <= 78'

run_g compose --out sel --since 2024-01-01 --limit 2
expect_rc 0 "compose --since --limit"
check "--since/--limit keep two articles dated 2024 or later" \
    [ "$(articles_in sel/digest.txt)" = 2 ]
run_g compose --out none --tag no-such-tag
expect_rc 65 "an empty selection is an error for compose"
expect_err "no articles selected" "and says so"

# an issue file: number, title, intro, order, a summary override and an inline article
cat >issue.yaml <<'YAML'
number: 12
date: 2026-11-20
title: "Café über 日本 — winter"
intro: Our winter issue.
articles:
  - articles/rail-timetable.yaml
  - path: articles/library-reopens.md
    summary: "An overridden summary."
  - title: "Inline <b>news</b> & more"
    url: https://example.org/inline
    body: "Written **inline** in the issue file."
YAML
run_g compose --issue issue.yaml --out iss
expect_rc 0 "compose --issue with an inline article"
check "the issue's non-ASCII title is the decoded subject" \
    eml_ok iss/sample.eml reader@example.org "The Weekly Gazette #12: Café über 日本 — winter"
check "the summary override is used" grep -q "An overridden summary." iss/digest.txt
check "the inline article is rendered and escaped in HTML" \
    grep -q "Inline &lt;b&gt;news&lt;/b&gt; &amp; more" iss/digest.html
check "articles keep the issue's order" "$PY" -c '
t = open("iss/digest.txt", encoding="utf-8").read()
assert t.index("\n1. ") < t.index("\n2. ") < t.index("\n3. ")
assert t.index("\n3. Inline <b>news</b>") > t.index("An overridden summary.")'

# header injection: a title with a line break cannot start a header
printf 'number: 3\ntitle: "Evil\\r\\nBcc: victim@example.org"\narticles: [articles/rail-timetable.yaml]\n' >evil.yaml
run_g compose --issue evil.yaml --out evil
check "a CR/LF in the title never makes a Bcc header" "$PY" -c '
from email import policy
from email.parser import BytesParser
m = BytesParser(policy=policy.strict).parsebytes(open("evil/sample.eml","rb").read())
assert m["Bcc"] is None and "\n" not in str(m["Subject"]), m["Subject"]'

# bad articles: FILE:LINE errors, and --keep-going
mkdir bad
cp articles/rail-timetable.yaml bad/
printf -- '---\ntitle: [broken\n---\nBody.\n' >bad/broken.md
run_g compose bad --out b1
expect_rc 65 "a broken article stops compose"
expect_err "bad/broken.md:3:1: YAML syntax error" "the error names the file, line and column"
run_g compose bad --out b2 --keep-going
expect_rc 0 "--keep-going skips it"
expect_err "(skipped)" "with a warning"
check "and composes the rest" test -s b2/digest.html

# preview: a named subscriber, the lint report
run_g preview --subscriber BOB@example.net --out pv
expect_rc 0 "preview of the examples is lint-clean"
expect_out "message.eml: to bob@example.net" "preview names the recipient"
expect_out "lint: no problems found" "the relative example image was made absolute against base_url"
check "preview writes message.eml, message.html, message.txt" \
    test -s pv/message.eml -a -s pv/message.html -a -s pv/message.txt
check "preview's message is bob's" eml_ok pv/message.eml bob@example.net
run_g preview --subscriber nobody@example.org --out pv2
expect_rc 67 "preview of an unknown subscriber: EX_NOUSER"
mkdir tpl
printf '<html><body><img src="https://example.org/a.png"><a href="/relative">x</a></body></html>\n' >tpl/digest.html.mustache
run_g preview --templates tpl --out pv3 articles/rail-timetable.yaml
expect_out "error: an image has no alt text" "lint: image without alt"
expect_out "is not absolute" "lint: relative link"
expect_out "no visible unsubscribe link" "lint: missing unsubscribe link"

# templates: the built-in ones check clean; a misspelt name is caught
run_g check --templates
expect_rc 0 "check --templates passes on the built-in templates"
mkdir mytpl
printf '{{#articles}}{{titel}}{{/articles}}\n{{issue.nmber}}\n' >mytpl/digest.txt.mustache
sed -i 's|^  templates: templates|  templates: mytpl|' gazette.yaml
run_g check --templates
expect_rc 65 "check --templates fails on a misspelt name"
expect_err "mytpl/digest.txt.mustache:1:14: unknown name \"titel\"; did you mean \"title\"?" \
    "and says where and what was meant"
expect_err "mytpl/digest.txt.mustache:2:1: unknown name \"issue.nmber\"; did you mean \"issue.number\"?" \
    "a misspelt dotted name gets its suggestion too"
sed -i 's|^  templates: mytpl|  templates: templates|' gazette.yaml

# articles: what gazette made of the shared scraped sample (vendored in tests/data/samples)
SAMPLE="$TOP/tests/data/samples/000_d2d1ba047acaeeb0"
run_g articles "$SAMPLE.txt" --format json
expect_rc 0 "articles --format json"
check "the sample's fields are as expected" "$PY" -c '
import json, sys, yaml
got = json.load(open(sys.argv[1]))[0]
want = yaml.safe_load(open(sys.argv[2]))
assert got["title"] == want["title"] and got["source"] == want["source"]
assert got["date"] == want["date"] and got["date_iso"] == want["date_iso"]
assert len(got["paragraphs"]) == want["paragraphs"]
assert {n["text"] for n in got["noise"]} >= set(want["noise"])' "$T/out" "$SAMPLE.expected.yaml"
run_g articles articles/council-budget.txt
expect_out "date_iso" "articles prints a readable report"
run_g articles "$TOP/tests/data/articles/scraped-cjk-ja-wagashi.txt"
expect_out "date_iso   2024-03-18" "articles reads a Japanese page"
check "its report is valid UTF-8 (paragraph previews are not cut inside a character)" \
    "$PY" -c 'import sys; open(sys.argv[1], "rb").read().decode("utf-8")' "$T/out"

# render: any template with YAML or JSON data
printf '{"name": "<Ann>", "items": [1, 2.5]}' >d.json
printf 'Hi {{name}} {{#items}}[{{.}}]{{/items}}\n' >t.html.mustache
run_g render t.html.mustache --data d.json
check "render escapes in .html templates and reads JSON" [ "$(cat "$T/out")" = "Hi &lt;Ann&gt; [1][2.5]" ]
run_g render t.html.mustache --data d.json --text
check "render --text does not escape" [ "$(cat "$T/out")" = "Hi <Ann> [1][2.5]" ]
printf '{{#open}}never closed\n' >bad.mustache
run_g render bad.mustache
expect_rc 65 "a template error"
expect_err "bad.mustache:1:" "names the template and position"

# preview --data: the templates with sample data instead of articles
run_g preview --data "$TOP/tests/data/templates/sample.yaml" --out pvd
check "preview --data renders the sample data" grep -q "Riverside gets its first protected bike lanes" pvd/message.html
check "and its script title stays escaped" grep -q "&lt;script&gt;alert(1)&lt;/script&gt;" pvd/message.html
check "the message parses, for the first active subscriber" eml_ok pvd/message.eml alice@example.org
printf -- '- not a map\n' >notmap.yaml
run_g preview --data notmap.yaml --out pve
expect_rc 65 "preview --data with a list is refused"
expect_err "notmap.yaml:1:1: template data must be a map" "and says what it must be"

# every message this test made, held to the checklist (issue 9: tests/lib.sh)
check_sent_mail \
    --except 'pv3/*=preview of a template made faulty on purpose (no unsubscribe link, a relative link): lint reports it, send refuses it'
