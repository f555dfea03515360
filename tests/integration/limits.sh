#!/bin/sh
# Crafted inputs (issue 10, items 8, 11, 12, 13, 14): a YAML map of 100,000 keys and a list
# nested 100,000 deep are read in linear time or refused with a clear error; a NUL in an
# issue title or a key is refused, never cut; an internationalised address in the config
# is stored as an A-label; CSV export guards against spreadsheet formulas and still
# round-trips through import.
# SPDX-License-Identifier: MIT
. "$TOP/tests/lib.sh"
cd "$T" || exit 1
mkdir articles
printf 'title: Rail\nurl: https://example.org/rail\ndate: 2026-11-01\nbody: Trains.\n' \
    >articles/rail.yaml
cat >gazette.yaml <<'YAML'
newsletter:
  from: news@example.org
  reply_to: ed@bücher.example
  unsubscribe_mailto: unsubscribe@example.org
paths:
  outbox: outbox
YAML
printf 'subscribers:\n  - email: ann@example.net\n' >subscribers.yaml

# --- item 8: linear time, depth limits ------------------------------------------------
printf '{{n}}\n' >t.mustache
"$PY" -c '
import sys
sys.stdout.write("n: 1\n" + "".join("k%d: %d\n" % (i, i) for i in range(100000)))' >big.yaml
run_g render t.mustache --data big.yaml
expect_rc 0 "a map of 100,000 keys is read"
"$PY" -c '
import sys
sys.stdout.write("".join("k%d: %d\n" % (i, i) for i in range(100000)) + "k5: again\n")' >dup.yaml
run_g render t.mustache --data dup.yaml
expect_rc 65 "a duplicate key after 100,000 others is found"
expect_err "dup.yaml:100001:1: duplicate key \"k5\"" "at its line"
"$PY" -c 'import sys; sys.stdout.write("n: " + "[" * 100000 + "\n")' >deep.yaml
run_g render t.mustache --data deep.yaml
expect_rc 65 "data nested 100,000 deep is refused"
expect_err "nesting deeper than" "with a clear error"
"$PY" -c 'import sys; sys.stdout.write("subscribers: " + "[" * 100000 + "\n")' >deep-subs.yaml
run_g --subscribers deep-subs.yaml subscribers count
expect_rc 65 "a subscriber list nested 100,000 deep is refused (and the run ends)"
expect_err "deep-subs.yaml:1:" "with an error at its place"

# --- item 14 and 11: NUL is refused, never cut ----------------------------------------
printf 'number: 3\ntitle: "Issue\\0 secret tail"\narticles: [articles/rail.yaml]\n' >nul.yaml
run_g compose --issue nul.yaml --out nul
expect_rc 65 "a NUL in an issue title is refused"
expect_err "NUL" "the error names the NUL"
printf '"a\\0b": 1\n' >nulkey.yaml
run_g render t.mustache --data nulkey.yaml
expect_rc 65 "a NUL in a key is refused"

# --- item 12: an IDN in the config ----------------------------------------------------
run_g check --print-config
check "reply_to is stored as an A-label" grep -q 'ed@xn--bcher-kva.example' "$T/out"
run_g compose --out idn
expect_rc 0 "and composing works"
check "the Reply-To header carries the A-label" grep -q '^Reply-To: ed@xn--bcher-kva.example' \
    idn/sample.eml

# --- item 13: CSV export and formulas -------------------------------------------------
cat >people.yaml <<'YAML'
subscribers:
  - email: ann@example.net
    name: "=HYPERLINK(\"http://evil.example\",\"x\")"
  - email: bob@example.net
    name: "+1 555"
  - email: cy@example.net
    name: "@SUM(A1)"
  - email: "-dash@example.net"
    name: Plain
YAML
run_g --subscribers people.yaml subscribers export
expect_rc 0 "export runs"
cp "$T/out" people.csv
check "a name starting with = is quoted and prefixed" \
    grep -qF '"'"'"'=HYPERLINK(""http://evil.example"",""x"")"' people.csv
check "so are + and @" grep -qF '"'"'"'+1 555"' people.csv && grep -qF '"'"'"'@SUM(A1)"' people.csv
check "and an address starting with -" grep -qF '"'"'"'-dash@example.net"' people.csv
check "no cell starts with a formula character" "$PY" -c '
import csv, sys
for row in csv.reader(open("people.csv", newline="")):
    for cell in row:
        assert not cell or cell[0] not in "=+-@\t\r", cell'
printf 'subscribers:\n' >back.yaml
run_g --subscribers back.yaml subscribers import people.csv
expect_rc 0 "the export imports again"
run_g --subscribers back.yaml subscribers export
check "and round-trips: the same addresses and names" "$PY" - "$T/out" people.csv <<'PYEOF'
import csv, sys
a, b = ([r[:2] for r in csv.reader(open(f, newline=""))] for f in sys.argv[1:3])
assert a == b, (a, b)
PYEOF
check "the names in the list are the originals" grep -qF 'name: "=HYPERLINK' back.yaml

# every message this test made, held to the checklist (issue 9: tests/lib.sh)
check_sent_mail
