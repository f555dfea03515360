#!/bin/sh
# The default templates (templates/*.mustache): each is rendered with
# tests/data/templates/sample.yaml and compared byte for byte with golden/; the HTML is
# linted by check_html.py (EMAIL-CHECKLIST 14-17), the text part by the checks below; a
# user folder overrides one file while the rest comes from the defaults.
# After a deliberate template change, regenerate the goldens and review the diff:
#   UPDATE_GOLDEN=1 sh tests/integration/templates.sh && git diff tests/data/templates
. "$TOP/tests/lib.sh"
D="$TOP/tests/data/templates"
TPL="$TOP/templates"
CHECK_HTML="$TOP/tests/integration/check_html.py"
SAMPLE="$D/sample.yaml"

# render TEMPLATE DATA OUT [--partials DIR]...: gazette render, "ok" when it exits 0
render() {
    tpl=$1 data=$2 out=$3
    shift 3
    if "$GAZETTE" render "$tpl" --data "$data" "$@" --partials "$TPL" >"$out" 2>"$T/err"; then
        return 0
    fi
    not_ok "render $(basename "$tpl") with $(basename "$data")"
    sed 's/^/#   /' "$T/err" | head -5
    return 1
}

# value NAME [DATA]: a value of the data file, read back through gazette itself
value() {
    printf '{{%s}}' "$1" >"$T/value.mustache"
    "$GAZETTE" render "$T/value.mustache" --data "${2:-$SAMPLE}"
}

# golden NAME FILE: FILE equals golden/NAME byte for byte (UPDATE_GOLDEN=1 rewrites it)
golden() {
    if [ -n "${UPDATE_GOLDEN:-}" ]; then
        cp "$2" "$D/golden/$1" && ok "golden/$1 updated"
    elif cmp -s "$2" "$D/golden/$1"; then
        ok "$1 matches golden/$1"
    else
        not_ok "$1 differs from golden/$1 (UPDATE_GOLDEN=1 to accept a deliberate change)"
        diff -u "$D/golden/$1" "$2" | head -20 | sed 's/^/#   /'
    fi
}

if ! "$GAZETTE" render --help >/dev/null 2>&1; then
    not_ok "$GAZETTE has no working render command; nothing else can be checked"
    exit 1
fi

# ---- the four outputs against their goldens ------------------------------------------
render "$TPL/subject.mustache" "$SAMPLE" "$T/subject.txt" && golden subject.txt "$T/subject.txt"
render "$TPL/preheader.mustache" "$SAMPLE" "$T/preheader.txt" &&
    golden preheader.txt "$T/preheader.txt"
render "$TPL/digest.txt.mustache" "$SAMPLE" "$T/digest.txt" && golden digest.txt "$T/digest.txt"
render "$TPL/digest.html.mustache" "$SAMPLE" "$T/digest.html" &&
    golden digest.html "$T/digest.html"

# ---- subject and preheader ------------------------------------------------------------
subject=$(cat "$T/subject.txt")
check "subject is one line" [ "$(wc -l <"$T/subject.txt")" -le 1 ]
check "subject names the newsletter, the number and the title" \
    [ "$subject" = "The Riverside Gazette #42: $(value issue.title)" ]
pre=$(cat "$T/preheader.txt")
n=$(printf '%s' "$pre" | "$PY" -c 'import sys; print(len(sys.stdin.read()))')
check "preheader is one line of 40-130 characters ($n)" \
    test "$(wc -l <"$T/preheader.txt")" -le 1 -a "$n" -ge 40 -a "$n" -le 130
check "preheader in sample.yaml is what preheader.mustache renders" \
    [ "$(value preheader)" = "$pre" ]
case $pre in
*"Riverside gets its first protected bike lanes"*"Köln und Lyon"*)
    ok "preheader lists the titles" ;;
*) not_ok "preheader lists the titles: $pre" ;;
esac

# without a title the subject names the first article, without articles the date
cat >"$T/untitled.yaml" <<'EOF'
newsletter: { name: Gazette }
issue: { number: 7, date: 4 December 2026, title: null }
articles:
  - { title: First story, first: true, last: false }
  - { title: Second story, first: false, last: true }
EOF
render "$TPL/subject.mustache" "$T/untitled.yaml" "$T/s2" &&
    check "untitled issue: the subject names the first article" \
        [ "$(cat "$T/s2")" = "Gazette #7: First story" ]
cat >"$T/empty.yaml" <<'EOF'
newsletter: { name: Gazette }
issue: { number: 8, date: 11 December 2026 }
articles: []
EOF
render "$TPL/subject.mustache" "$T/empty.yaml" "$T/s3" &&
    check "untitled issue without articles: the subject names the date" \
        [ "$(cat "$T/s3")" = "Gazette #8: 11 December 2026" ]

# ---- HTML: the checklist --------------------------------------------------------------
unsub=$(value unsubscribe_url)
postal=$(value newsletter.postal_address)
"$PY" "$CHECK_HTML" "$T/digest.html" --lang "$(value newsletter.language)" \
    --title "$subject" --preheader "$pre" --unsubscribe "$unsub" --postal "$postal" \
    --escaped '<script>alert(1)</script> & "x"' --escaped 'Smith & Jones Security Weekly' \
    --articles "$(value article_count)" || not_ok "check_html.py found problems in digest.html"
check "the script title is escaped in the HTML" \
    grep -qF '&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;' "$T/digest.html"
check "the unsubscribe href is attribute-escaped (& as &amp;)" \
    grep -qF 'href="https://gazette.example.org/u/k3Jx9QpL2vB7mZc4TnW8aQ?list=weekly&amp;lang=en"' \
    "$T/digest.html"
check "the image keeps its alt text" \
    grep -qF 'alt="A cyclist riding past new green kerbs on Mill Road"' "$T/digest.html"
check "non-ASCII text comes through as UTF-8" grep -qF 'Köln und Lyon feiern' "$T/digest.html"
check "Japanese text comes through as UTF-8" grep -qF '京都の琴奏者も参加します。' "$T/digest.html"

# the same checks hold for an issue with nothing optional: no title, intro, image, url,
# source, author, date or base_url
cat >"$T/minimal.yaml" <<'EOF'
newsletter:
  name: Gazette
  language: de
  postal_address: Gazette, Hauptstraße 1, 50667 Köln
issue: { number: 1, date: 1. Dezember 2026, title: null }
articles:
  - { number: 1, first: true, last: true, title: Nur ein Titel, body_html: "", body_text: "",
      links: [] }
article_count: 1
subscriber: { email: b@example.net }
unsubscribe_url: https://example.net/u/x
preheader: Nur ein Titel – und sonst fast nichts in dieser Ausgabe.
EOF
render "$TPL/digest.html.mustache" "$T/minimal.yaml" "$T/minimal.html" &&
    "$PY" "$CHECK_HTML" "$T/minimal.html" --lang de --title "Gazette #1: Nur ein Titel" \
        --unsubscribe https://example.net/u/x --postal "Gazette, Hauptstraße 1, 50667 Köln" \
        >"$T/minimal.out"
if [ $? = 0 ]; then
    ok "check_html.py passes a minimal issue ($(grep -c '^ok' "$T/minimal.out") checks)"
else
    not_ok "check_html.py on a minimal issue"
    grep -A3 '^not ok' "$T/minimal.out" | sed 's/^/#   /'
fi
check "an untitled issue gets a generic <h1>" grep -qF '>In this issue</h1>' "$T/minimal.html"
check "a missing url leaves the title unlinked" grep -qF '>Nur ein Titel</h2>' "$T/minimal.html"
check "no image row without an image" sh -c "! grep -q '<img' '$T/minimal.html'"

# ---- check_html.py itself: each broken copy fails exactly the check it breaks ---------
while IFS='|' read -r id expr; do
    [ -n "$id" ] || continue
    sed "$expr" "$T/digest.html" >"$T/mut.html"
    "$PY" "$CHECK_HTML" "$T/mut.html" --lang en --unsubscribe "$unsub" --articles 3 \
        >"$T/mut.out" 2>&1
    rc=$?
    failed=$(grep '^not ok - ' "$T/mut.out" | sed 's/^not ok - \([^:]*\):.*/\1/' |
        sort -u | tr '\n' ' ')
    if cmp -s "$T/mut.html" "$T/digest.html"; then
        not_ok "mutation for $id changed nothing: $expr"
    elif [ "$rc" = 1 ] && [ "$failed" = "$id " ]; then
        ok "check_html.py fails $id for: $expr"
    else
        not_ok "check_html.py on '$expr': exit $rc, failed [$failed], want [$id]"
    fi
done <<'EOF'
C1|s/<td class="gz-outer" align="center" style="/&float:left;/
C2|s/max-width:600px/max-width:700px/
C3|s/^body {/.promo, body {/
C5|s/<h1 /<script>alert(1)<\/script><h1 /
C7|/<div style="display:none/d
C8|s/bgcolor="#eef1f4"//g; s/background-color:#eef1f4;//g
C9|/<meta name="viewport"/d
L|s/>Unsubscribe from/>Leave/
T-M2|0,/href="https:\/\/news/s//href="javascript:alert(1)\/\/news/
X1|s/<html lang="en" dir="ltr">/<html>/
X1|s/<html lang="en" dir="ltr">/<html lang="en" dir="rtl">/
X2|s/ alt="[^"]*"//
X3|0,/role="presentation" /s///
X4|s/<h1 /<h3 /;s/<\/h1>/<\/h3>/
X4|s/>council report</>click here</
X5|s/color:#4b5563;/color:#9ca3af;/
X5|s/font-size:14px/font-size:12px/
X5|/\.gz-body a {/d
EOF
# Z2: a <style> over 16 KB
"$PY" - "$T/digest.html" "$T/big.html" <<'EOF'
import sys
s = open(sys.argv[1], encoding="utf-8").read()
pad = "".join(".gz-x%d { color: #000000 !important; }\n" % i for i in range(500))
open(sys.argv[2], "w", encoding="utf-8").write(
    s.replace("@media (max-width: 600px) {", "@media (max-width: 600px) {\n" + pad, 1))
EOF
"$PY" "$CHECK_HTML" "$T/big.html" >"$T/mut.out" 2>&1
check "check_html.py fails Z2 for a 16 KB+ <style>" grep -q '^not ok - Z2' "$T/mut.out"

# ---- a javascript: url in the data is not made safe by escaping ------------------------
render "$TPL/digest.html.mustache" "$D/javascript-url.yaml" "$T/js.html"
"$PY" "$CHECK_HTML" "$T/js.html" --escaped '<script>alert(1)</script> & "x"' >"$T/js.out" 2>&1
rc=$?
check "javascript: url: the title is still escaped" \
    grep -q '^ok - T-M2: .<script>alert(1)</script> & "x". appears as text' "$T/js.out"
if [ "$rc" = 1 ] && grep -q '^not ok - T-M2: every href' "$T/js.out"; then
    ok "javascript: url: check_html.py rejects the href (digest.c must drop such urls)"
else
    not_ok "javascript: url: check_html.py exit $rc, no T-M2 href failure"
fi

# ---- text part ------------------------------------------------------------------------
"$PY" - "$T/digest.txt" "$unsub" "$postal" "$T/digest.html" <<'EOF'
import html, re, sys, unicodedata
text = open(sys.argv[1], encoding="utf-8").read()
unsub, postal = sys.argv[2], sys.argv[3]
hrefs = {html.unescape(h) for h in
         re.findall(r'href="(https?://[^"]+)"', open(sys.argv[4], encoding="utf-8").read())}
def cols(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
def check(good, what, details=()):
    print(("ok - " if good else "not ok - ") + what)
    for d in ([] if good else list(details)[:5]):
        print("#   " + d)
lines = text.split("\n")
long = ["%d: %d columns" % (i + 1, cols(l)) for i, l in enumerate(lines) if cols(l) > 78]
check(not long, "text: every line <= 78 columns", long)
check("&amp;" not in text and "&lt;" not in text, "text: no HTML escaping (T-M3)")
check('<script>alert(1)</script> & "x"' in text, "text: the script title is verbatim")
check(unsub in lines, "text: the unsubscribe URL on a line of its own")
check(postal in text, "text: the postal address")
nums = [l.split(".")[0] for l, nxt in zip(lines, lines[1:])
        if re.match(r"\d+\. \S", l) and nxt == "-" * 72]
check(nums == ["1", "2", "3"], "text: articles numbered 1, 2, 3", [str(nums)])
refs = [l for l in lines if re.match(r"\[\d+\] https?://\S+$", l)]
check(len(refs) == 3 and refs[0].startswith("[1] https://council.example.org/"),
      "text: numbered link references after the articles", refs)
i = text.find("The full council report [1]")
j = text.find("[1] https://council.example.org/")
check(0 <= i < j < text.find("\n2. Fête"), "text: an article's references follow its body")
check("=" * 72 in lines and "-" * 72 in lines, "text: title underlined with 72-column rules")
check(text.endswith("\n") and "\n\n\n\n" not in text, "text: no runs of blank lines")
missing = sorted(h for h in hrefs if h not in text)
check(hrefs and not missing, "text: every link of the HTML part (%d) is in the text part, "
      "the masthead's home link too (M6, issue 9)" % len(hrefs), missing)
EOF

# what the text templates write themselves stays within 72 columns: render with values of
# one character, so every long line would be the template's own
cat >"$T/short.yaml" <<'EOF'
newsletter: { name: N, postal_address: P }
issue: { number: 1, date: D, title: T, intro_text: I }
articles:
  - { number: 1, title: T, url: U, source: S, author: A, date: D, summary_text: S,
      body_text: B, links: [ { number: 1, url: U } ] }
subscriber: { email: E }
unsubscribe_url: U
EOF
render "$TPL/digest.txt.mustache" "$T/short.yaml" "$T/short.txt" &&
    check "text: the templates' own lines are <= 72 columns" \
        [ "$(awk 'length($0) > 72' "$T/short.txt" | wc -l)" = 0 ]

# ---- a user folder overrides one file; the rest comes from the defaults ----------------
mkdir -p "$T/custom"
cat >"$T/custom/article.html.mustache" <<'EOF'
<tr><td class="custom-article" bgcolor="#ffffff"
  style="font-family:Arial,sans-serif;font-size:16px;line-height:1.5;color:#000000;">
<h2 style="margin:0;font-family:Arial,sans-serif;font-size:20px;line-height:1.4;color:#000000;">
{{title}}</h2></td></tr>
EOF
printf 'Custom: {{issue.title}}\n' >"$T/custom/subject.mustache"
printf '{{number}}) {{title}}\n' >"$T/custom/article.txt.mustache"
render "$TPL/digest.html.mustache" "$SAMPLE" "$T/custom.html" --partials "$T/custom" && {
    check "override: the user's article.html is used for every article" \
        [ "$(grep -c 'class="custom-article"' "$T/custom.html")" = 3 ]
    check "override: the default article.html is not used" \
        sh -c "! grep -q 'class=\"gz-text gz-h2\"' '$T/custom.html'"
    check "override: layout.html still comes from the defaults (footer)" \
        grep -qF 'Unsubscribe from The Riverside Gazette' "$T/custom.html"
    check "override: the user's subject.mustache becomes the <title>" \
        grep -qF '<title>Custom: Bike lanes, a street festival and a lesson in escaping' \
        "$T/custom.html"
}
render "$TPL/digest.txt.mustache" "$SAMPLE" "$T/custom.txt" --partials "$T/custom" && {
    check "override: the user's article.txt is used" \
        grep -qx '2) Fête de la Musique: Köln und Lyon feiern' "$T/custom.txt"
    check "override: the default digest.txt still frames it" \
        grep -qx 'To unsubscribe, open this link:' "$T/custom.txt"
}

# ---- C4 (optional): no horizontal scrolling at 320 and 600 px without <style> --------
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ -x "$CHROMIUM" ]; then
    "$PY" - "$T/digest.html" "$T/c4.html" <<'EOF'
import html, re, sys
s = re.sub(r"<style>.*?</style>", "", open(sys.argv[1], encoding="utf-8").read(), flags=re.S)
frames = "".join('<iframe id="f%d" width="%d" height="600" srcdoc="%s"></iframe>'
                 % (w, w, html.escape(s, quote=True)) for w in (320, 600))
open(sys.argv[2], "w", encoding="utf-8").write(
    "<!DOCTYPE html><html><body>" + frames + "<script>window.onload = function () {"
    "var r = []; [320, 600].forEach(function (w) {"
    "r.push(w + ':' + document.getElementById('f' + w).contentDocument"
    ".documentElement.scrollWidth); });"
    "document.body.setAttribute('data-widths', r.join(' ')); };</script></body></html>")
EOF
    widths=$(timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --user-data-dir="$T/chromium" --window-size=1000,1000 --dump-dom "file://$T/c4.html" \
        2>/dev/null | sed -n 's/.*data-widths="\([^"]*\)".*/\1/p')
    check "C4: no horizontal scroll without <style> (width:scrollWidth = $widths)" \
        [ "$widths" = "320:320 600:600" ]
else
    skip "C4: no $CHROMIUM to lay the HTML out at 320 and 600 px"
fi

# sent mail: not checked: the templates are rendered to files, compared with golden/: no message is written (tests/integration/sent_mail.sh)
