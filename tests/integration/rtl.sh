#!/bin/sh
# Right-to-left languages (issue 9, EMAIL-CHECKLIST X1), checked where it shows: the
# digest's HTML is laid out by headless Chromium, and a script reads back the computed
# direction of each article's blocks and where their text sits.  An Arabic newsletter
# (language: ar) is right to left, with its Hebrew article too and its English article
# left to right; in an English newsletter an Arabic article is right to left on its own.
# The meta line (source, author, date) reads from the start side in both directions.
# SPDX-License-Identifier: MIT
. "$TOP/tests/lib.sh"
cd "$T" || exit 1
P="rtl:"
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$CHROMIUM" ]; then
    skip "$P chromium is not installed (apt-get install chromium)"
    exit 0
fi

mkdir -p articles
cat >articles/1-ar.md <<'EOF'
---
title: "المجلس يوافق على ممرات الدراجات"
url: https://news.example.org/ar
source: "صحيفة النهر"
author: "ليلى حسن"
date: "March 4, 2024"
---

وافق مجلس المدينة مساء الاثنين على بناء أول ممرات محمية للدراجات في المدينة، بعد نقاش استمر عامين.
EOF
cat >articles/2-he.md <<'EOF'
---
title: "העירייה פותחת ספרייה חדשה"
url: https://news.example.org/he
source: "ידיעות העיר"
date: "March 5, 2024"
---

הספרייה העירונית נפתחה מחדש אחרי שנתיים של שיפוצים, עם אולם קריאה גדול וחדר ילדים.
EOF
cat >articles/3-en.md <<'EOF'
---
title: "Harbour festival returns"
url: https://news.example.org/en
source: The Harbour Post
author: Sam Lee
date: "March 6, 2024"
---

The harbour festival comes back this summer with music on three stages and a night market.
EOF
printf 's3cret-s3cret-s3cret-s3cret-s3cret\n' >secret.txt
chmod 600 secret.txt
conf() {
    cat >gazette.yaml <<EOF
newsletter:
  name: Gazette
  from: news@example.org
  unsubscribe_url: https://example.org/u?t={{token}}
  secret_file: secret.txt
  language: $1
  postal_address: 1 Example Street, Paris
  base_url: https://example.org/
EOF
    printf 'subscribers:\n  - email: ann@example.org\n' >subscribers.yaml
}

# layout FILE.html OUT.json: Chromium's view of each article (dir, alignment, meta order)
layout() {
    "$PY" - "$1" "$T/probe.html" <<'EOF'
import sys
html = open(sys.argv[1], encoding="utf-8").read()
probe = r"""<script>
var r = {html: document.documentElement.getAttribute("dir"),
         card: getComputedStyle(document.querySelector("table.gz-card")).direction, arts: []};
document.querySelectorAll("h2").forEach(function (h) {
  var td = h.parentElement, range = document.createRange();
  range.selectNodeContents(h);
  var t = range.getBoundingClientRect(), p = td.getBoundingClientRect();
  var meta = td.querySelector("p.gz-muted"), bdis = meta ? meta.querySelectorAll("bdi") : [];
  var first = bdis.length ? bdis[0].getBoundingClientRect() : null;
  var last = bdis.length ? bdis[bdis.length - 1].getBoundingClientRect() : null;
  r.arts.push({title: h.textContent, dir: getComputedStyle(h).direction,
    meta_dir: meta ? getComputedStyle(meta).direction : "",
    gap_left: Math.round(t.left - p.left), gap_right: Math.round(p.right - t.right),
    first_x: first ? Math.round(first.left) : 0, last_x: last ? Math.round(last.left) : 0,
    nbdi: bdis.length});
});
document.body.setAttribute("data-probe", JSON.stringify(r));
</script>"""
open(sys.argv[2], "w", encoding="utf-8").write(html.replace("</body>", probe + "</body>"))
EOF
    timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --window-size=800,2000 \
        --dump-dom "file://$T/probe.html" >"$T/dom.html" 2>"$T/chromium.err"
    "$PY" - "$T/dom.html" >"$2" <<'EOF'
import html, json, re, sys
m = re.search(r'data-probe="([^"]*)"', open(sys.argv[1], encoding="utf-8").read())
print(json.dumps(json.loads(html.unescape(m.group(1)))) if m else "{}")
EOF
}

# expect_layout JSON WHAT PYEXPR: PYEXPR over r (the probe) and arts (by language) holds
expect_layout() {
    if "$PY" - "$1" "$3" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
arts = {}
for a in r.get("arts", []):
    t = a["title"]
    arts["ar" if "\u0600" <= t[0] <= "\u06ff" else "he" if "\u0590" <= t[0] <= "\u05ff" else "en"] = a
ok = eval(sys.argv[2], {"r": r, "arts": arts})
if not ok:
    print("#   " + json.dumps(r)[:600])
sys.exit(0 if ok else 1)
EOF
    then ok "$P $2"; else not_ok "$P $2"; fi
}

# right: the text hugs the right edge (more room on its left); left: the opposite
conf ar
run_g compose --out ar articles
expect_rc 0 "compose an Arabic newsletter"
layout ar/digest.html ar.json
if [ ! -s ar.json ] || [ "$(cat ar.json)" = "{}" ]; then
    skip "$P headless Chromium gave no layout ($(head -c 200 "$T/chromium.err"))"
    exit 0
fi
expect_layout ar.json "language: ar gives <html dir=rtl> and a right-to-left card" \
    'r["html"] == "rtl" and r["card"] == "rtl" and len(arts) == 3'
expect_layout ar.json "the Arabic title is right to left and right-aligned" \
    'arts["ar"]["dir"] == "rtl" and arts["ar"]["gap_right"] < arts["ar"]["gap_left"]'
expect_layout ar.json "the Hebrew title is right to left and right-aligned" \
    'arts["he"]["dir"] == "rtl" and arts["he"]["gap_right"] < arts["he"]["gap_left"]'
expect_layout ar.json "the English title in an Arabic issue is left to right and left-aligned" \
    'arts["en"]["dir"] == "ltr" and arts["en"]["gap_left"] < arts["en"]["gap_right"]'
expect_layout ar.json "the Arabic meta line reads right to left: its source is right of its date" \
    'arts["ar"]["meta_dir"] == "rtl" and arts["ar"]["nbdi"] == 3 and arts["ar"]["first_x"] > arts["ar"]["last_x"]'
expect_layout ar.json "the English meta line reads left to right: its source is left of its date" \
    'arts["en"]["meta_dir"] == "ltr" and arts["en"]["first_x"] < arts["en"]["last_x"]'

conf en
run_g compose --out en articles
expect_rc 0 "compose an English newsletter"
layout en/digest.html en.json
expect_layout en.json "language: en stays left to right" \
    'r["html"] in ("ltr", None) and r["card"] == "ltr"'
expect_layout en.json "an Arabic article in an English issue is right to left on its own" \
    'arts["ar"]["dir"] == "rtl" and arts["ar"]["gap_right"] < arts["ar"]["gap_left"] and arts["en"]["gap_left"] < arts["en"]["gap_right"]'
for l in he fa ur; do
    conf "$l"
    run_g compose --out "$l" articles
    check "$P language: $l gives <html lang=\"$l\" dir=\"rtl\">" \
        grep -q "<html lang=\"$l\" dir=\"rtl\">" "$l/digest.html"
done

# every message this test made, held to the checklist (issue 9: tests/lib.sh)
check_sent_mail
