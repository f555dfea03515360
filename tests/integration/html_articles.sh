#!/bin/sh
# HTML pages as articles: `gazette articles` on a saved page, and a digest composed from
# real pages (Readability's test pages) that stays lint-clean and email-safe.
. "$TOP/tests/lib.sh"
cd "$T" || exit 1
cp "$TOP/gazette.yaml.example" gazette.yaml
cp "$TOP/subscribers.yaml.example" subscribers.yaml
printf 'a-test-secret-that-is-long-enough-to-pass\n' >secret.txt
chmod 600 secret.txt
C="$TOP/tests/data/readability"
mkdir pages
for p in nytimes-1 lemonde-1 qq medium-1; do
    cp "$C/$p/source.html" "pages/$p.html"
done

run_g articles pages/nytimes-1.html --format json
expect_rc 0 "gazette articles reads an .html page"
expect_out '"format": "HTML"' "its format is HTML"
expect_out '"title": "United States to Lift Sudan Sanctions"' "the title from the page's metadata"

run_g preview --subscriber bob@example.net --out pv pages
expect_rc 0 "a digest of four real pages"
expect_out "lint: no problems found" "is lint-clean (absolute links and images, alt text)"
check "no script, style or event handler reaches the message" \
    sh -c '! grep -qiE "<script|<iframe| on[a-z]+=|javascript:" pv/message.html'
"$PY" "$TOP/tests/integration/check_html.py" pv/message.html >"$T/check" 2>&1
st=$?
check "the message's HTML passes check_html.py" test "$st" = 0
[ "$st" = 0 ] || sed 's/^/#   /' "$T/check" | head -10

# every message this test made, held to the checklist (issue 9: tests/lib.sh)
check_sent_mail
