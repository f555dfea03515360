#!/bin/sh
# The default templates on a phone (issue 14 item 1): an article with a code block, inline
# code, a 300-character bare URL, a wide HTML table, a wide GFM table and a wide image is
# composed, and headless
# Chromium lays the HTML part out at 375 and 600 px; no element may be wider than the
# viewport or stick out of it.
. "$TOP/tests/lib.sh"
cd "$T" || exit 1
if ! command -v chromium >/dev/null 2>&1; then
    skip "chromium is not installed: the mobile layout is not checked"
    exit 0
fi
mkdir articles
cp "$TOP/tests/data/mobile/wide.md" articles/
cat >gazette.yaml <<'YAML'
newsletter:
  name: The Wide Times
  from: news@example.org
  base_url: https://example.org/
compose:
  allow_html: true
YAML
# a 1600 x 200 PNG stands in for the remote image (no network in tests)
"$PY" - <<'PY'
import struct, zlib
w, h = 1600, 200
raw = b"".join(b"\0" + b"\x80\x40\x20" * w for _ in range(h))
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
       chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
open("wide.png", "wb").write(png)
PY
run_g compose articles --out dig
expect_rc 0 "compose the wide article"
sed 's#https://example.org/wide.png#wide.png#g' dig/digest.html >dig/local.html
check "the fixture has a code block, a 300-character URL, a table and the image" \
    grep -q '<pre' dig/local.html
grep -q '<table[^>]*><tr><th[^>]*>Station' dig/local.html || not_ok "the fixture's table is in the digest"
grep -Eq '[^ ]{300}' dig/local.html || not_ok "the fixture's long URL is in the digest"
cp wide.png dig/
"$PY" "$TOP/tests/integration/check_mobile.py" dig/local.html 375 600 >"$T/mobile" 2>&1
st=$?
if [ "$st" = 2 ]; then
    skip "chromium did not lay out the page: $(head -1 "$T/mobile")"
elif [ "$st" = 0 ]; then
    ok "nothing is wider than the viewport at 375 and 600 px"
else
    not_ok "elements wider than the viewport:"
    sed 's/^/#   /' "$T/mobile"
fi
check "both images were loaded and measured at both widths" \
    [ "$(grep -c 'images loaded 2/2' "$T/mobile")" = 2 ]

# every message this test made, held to the checklist (issue 9: tests/lib.sh)
check_sent_mail \
    --waive 'L1=*/sample.eml=compose sample of a config with no unsubscribe link, which send refuses (send_gate.sh)'
