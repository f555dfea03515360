#!/bin/sh
# A digest reads like one (issue 14 item 3): "In this issue" lists the articles, linked to
# anchors in the HTML part and numbered in the text part; dates read one way, in the
# newsletter's language, with the printed form still there for templates; an article with
# no source, author or date has no empty source line; an image without a size in the
# article gets no width/height box.
. "$TOP/tests/lib.sh"
cd "$T" || exit 1
mkdir articles
cat >articles/a.md <<'MD'
---
title: Neue Radwege am Fluss
source: Riverside Ledger
date: Tue, 24 Nov 2026 09:30:00 -0500
image: https://example.org/lanes.jpg
image_alt: Radweg
---
Der Rat hat neue Radwege beschlossen.
MD
cat >articles/b.md <<'MD'
---
title: Ohne Quelle und Datum
---
Ein Artikel ohne Quelle, Autor oder Datum.
MD
cat >articles/c.md <<'MD'
---
title: Das Hafenfest
author: Ann Example
date: 2026-03-05
---
Das Hafenfest beginnt am Samstag.
MD
cat >gazette.yaml <<'YAML'
newsletter:
  name: Der Flussbote
  from: news@example.org
  language: de
YAML
run_g compose articles/a.md articles/b.md articles/c.md --out dig
expect_rc 0 "compose three articles"
H=dig/digest.html X=dig/digest.txt
"$PY" - "$H" "$X" <<'PY'
import re, sys
h = open(sys.argv[1], encoding="utf-8").read()
# bidi isolation (<bdi>) and dir attributes (issue 9) are not what these checks look at
h = re.sub(r" dir=\"(?:ltr|rtl|auto)\"", "", re.sub(r"</?bdi>", "", h))
t = open(sys.argv[2], encoding="utf-8").read()
def check(good, what, details=""):
    print(("ok - " if good else "not ok - ") + what)
    if not good and details:
        print("#   " + str(details)[:300])
toc = re.findall(r'<li[^>]*><a [^>]*href="#(gz-article-\d+)"[^>]*>([^<]*)</a>', h)
ids = re.findall(r'<h2 id="(gz-article-\d+)"', h)
check([i for i, _ in toc] == ids == ["gz-article-1", "gz-article-2", "gz-article-3"],
      "html: In this issue links to each article's heading", (toc, ids))
check([x for _, x in toc] == ["Neue Radwege am Fluss", "Das Hafenfest",
                               "Ohne Quelle und Datum"],
      "html: the list names the articles in order (newest first, undated last)")
m = re.search(r"In this issue\n=+\n\n((?:  \d+\. .*\n)+)", t)
check(m is not None and m.group(1).splitlines() == [
    "  1. Neue Radwege am Fluss", "  2. Das Hafenfest", "  3. Ohne Quelle und Datum"],
    "text: In this issue is a numbered list", t[:400])
check("Riverside Ledger · 24. November 2026" in t and
      re.search(r"Riverside Ledger(</bdi>)? &middot; (<bdi>)?24\. November 2026", h),
      "a date with a time of day reads as a German date in both parts")
check("Ann Example · 5. März 2026" in t, "a date-only article reads as a German date")
check("09:30" not in t and "-0500" not in t, "the printed form is not shown by default")
empty = re.findall(r'<p class="gz-muted"[^>]*style="margin:6px[^>]*>\s*</p>', h)
check(not empty and len(re.findall(r'<p class="gz-muted"[^>]*style="margin:6px', h)) == 2,
      "html: no empty source line (two articles have one)", empty)
b = t[t.index("\n3. Ohne Quelle und Datum") + 1:]
lines = b.split("\n")
check(lines[1] == "-" * 72 and lines[2] == "" and lines[3].startswith("Ein Artikel"),
      "text: no empty source line under the title", lines[:4])
img = re.search(r'<img class="gz-img"[^>]*>', h)
check(img is not None and " height=" not in img.group(0) and " width=" not in img.group(0),
      "an image without a size in the article gets no width/height box",
      img.group(0) if img else "no image")
PY
# the printed form stays available to a template: date_printed
mkdir tpl
sed 's/{{date}}/{{date}} ({{date_printed}})/' "$TOP/templates/article.txt.mustache" \
    >tpl/article.txt.mustache
run_g compose articles/a.md articles/c.md --templates tpl --out dig2
expect_rc 0 "compose with a template that uses date_printed"
check "date_printed is the date as the article printed it" \
    grep -qF "24. November 2026 (Tue, 24 Nov 2026 09:30:00 -0500)" dig2/digest.txt
# compose.order: newest first by default (undated last), oldest first on request
for order in newest oldest; do
    printf 'compose:\n  order: %s\n' "$order" >>gazette.yaml
    run_g compose articles --out "o-$order"
    sed -i '$d' gazette.yaml; sed -i '$d' gazette.yaml
    "$PY" -c 'import re,sys; print(" ".join(re.findall(r"^\d+\. (\S+)", open(sys.argv[1]).read(), re.M)))' \
        "o-$order/digest.txt" >"$T/order"
    case $order in
    newest) want="Neue Das Ohne" ;;
    oldest) want="Das Neue Ohne" ;;
    esac
    check "compose.order: $order first ($want)" [ "$(cat "$T/order")" = "$want" ]
done
# one article: no list
run_g compose articles/b.md --out one
check "a single article gets no In this issue list" \
    sh -c '! grep -q "gz-article-1\"" one/digest.html || ! grep -q "href=\"#gz-article" one/digest.html'
# item 2: the text part never wraps a code block
mkdir code
cat >code/k.md <<'MD'
---
title: Paste this
---
Run:

    rsync --archive --delete --exclude '*.tmp' /srv/gazette/state/ backup.example.org:/var/backups/gazette/state/

> Quoted code:
>
>     printf '%s\n' "a line of quoted code that is also longer than seventy-two columns"
MD
run_g compose code --out codeout
check "a code line longer than 72 columns stays whole in the text part" \
    grep -qxF "    rsync --archive --delete --exclude '*.tmp' /srv/gazette/state/ backup.example.org:/var/backups/gazette/state/" codeout/digest.txt
check "also a quoted one" \
    grep -qxF ">     printf '%s\n' \"a line of quoted code that is also longer than seventy-two columns\"" codeout/digest.txt
# item 2: a GFM table is a table, not a paragraph of pipes: aligned columns, preformatted
cat >code/t.md <<'MD'
---
title: Timetable
---
| Station | Weekday departures | Platform | Remarks |
|---|---|:-:|---|
| Riverside Central | 06:12 06:42 07:12 07:42 | 1a | Step-free via the northern entrance |
| Mill Road | 06:20 | 2 | |
MD
run_g compose code/t.md --out tab
"$PY" - tab/digest.txt tab/digest.html <<'PY'
import sys
t = open(sys.argv[1], encoding="utf-8").read()
h = open(sys.argv[2], encoding="utf-8").read()
rows = ["    | Station           | Weekday departures      | Platform | Remarks                             |",
        "    | ----------------- | ----------------------- | -------- | ----------------------------------- |",
        "    | Riverside Central | 06:12 06:42 07:12 07:42 | 1a       | Step-free via the northern entrance |",
        "    | Mill Road         | 06:20                   | 2        |                                     |"]
ok = "\n".join(rows) in t
print(("ok - " if ok else "not ok - ") + "text: the table's columns are aligned and no row is wrapped")
if not ok:
    print("#   " + t[:600].replace("\n", "\n#   "))
ok = "<pre" in h and "| Riverside Central | 06:12 06:42 07:12 07:42 |" in h and "|---|" not in h
print(("ok - " if ok else "not ok - ") + "html: the table is preformatted, not a paragraph of pipes")
PY
# item 3: width/height from the front matter (scaled to the 536 px column), or none
mkdir img
printf -- '---\ntitle: Sized\nimage: https://example.org/big.jpg\nimage_width: 1072\nimage_height: 600\n---\nBody.\n' >img/s.md
run_g compose img --out imgout
check "an image sized in the front matter gets its box, scaled to the column (536 x 300)" \
    grep -q '<img class="gz-img" src="https://example.org/big.jpg" width="536" height="300"' imgout/digest.html
printf -- '---\ntitle: Bad size\nimage: https://example.org/big.jpg\nimage_width: wide\n---\nBody.\n' >img/s.md
run_g compose img --out imgout
expect_rc 65 "image_width that is not a number"
expect_err 'img/s.md:4:14: image_width "wide" is not a size; write the image'"'"'s pixels as a whole number from 1 to 10000' \
    "the error names the key and the column"

# every message this test made, held to the checklist (issue 9: tests/lib.sh)
check_sent_mail \
    --waive 'L1=*/sample.eml=compose samples of a config with no unsubscribe link, which send refuses (send_gate.sh)'
