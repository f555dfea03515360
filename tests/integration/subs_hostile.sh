#!/bin/sh
# The subscriber list against hostile neighbours (issue 10, items 4, 5, 6): names with NEL,
# U+2028 or U+2029 are refused on input; a list starting with a UTF-8 BOM can be edited
# (and keeps its BOM); a symlinked list is edited in place of its target and locked as
# the real file; a read-only list is refused, not rewritten; a temporary file left by a
# killed edit is cleaned up by the next one.
# SPDX-License-Identifier: MIT
. "$TOP/tests/lib.sh"
cd "$T" || exit 1
printf 'newsletter:\n  from: news@example.org\n' >gazette.yaml
printf 'subscribers:\n  - email: a@example.org\n    name: Ann\n' >subscribers.yaml

# --- item 4: line breaks YAML 1.1 sees, which a reader may not --------------------------
for ch in 'NEL:\302\205' 'U+2028:\342\200\250' 'U+2029:\342\200\251'; do
    run_g subscribers add "x@example.org" --name "$(printf "X${ch#*:}Y")"
    expect_rc 65 "a name with ${ch%%:*} is refused"
done
run_g subscribers add "x@example.org" --field "city=$(printf 'Ly\302\205on')"
expect_rc 65 "a field value with NEL is refused"
printf 'email,name\nx@example.org,X\342\200\250Y\nz@example.org,Zed\n' >in.csv
run_g subscribers import in.csv
check "import refuses the row with U+2028 and takes the other" \
    sh -c '! grep -q "x@example.org" subscribers.yaml && grep -q "z@example.org" subscribers.yaml'
run_g subscribers count
expect_rc 0 "the list still reads"

# --- item 5: a BOM --------------------------------------------------------------------
printf '\357\273\277subscribers:\n  - email: a@example.org\n    name: Ann\n  - email: b@example.org\n' \
    >bom.yaml
run_g --subscribers bom.yaml subscribers unsubscribe a@example.org
expect_rc 0 "a list starting with a BOM can be edited (unsubscribe)"
run_g --subscribers bom.yaml subscribers add c@example.org --name Cy
expect_rc 0 "... and added to"
run_g --subscribers bom.yaml subscribers remove b@example.org
expect_rc 0 "... and removed from"
check "it keeps its BOM" [ "$(head -c 3 bom.yaml | od -An -tx1 | tr -d ' ')" = efbbbf ]
run_g --subscribers bom.yaml subscribers list --status active --format csv
check "and reads as edited" sh -c 'grep -q c@example.org "$1" && ! grep -q a@example.org "$1"' \
    - "$T/out"

# --- item 6: a symlinked list, a read-only one, a killed edit's leftovers --------------
mkdir real
printf 'subscribers:\n  - email: a@example.org\n' >real/list.yaml
ln -s real/list.yaml link.yaml
run_g --subscribers link.yaml subscribers add b@example.org
expect_rc 0 "an edit through a symbolic link"
check "the link is still a link" [ -L link.yaml ]
check "its target got the edit" grep -q b@example.org real/list.yaml
check "the lock is the real file's, beside it" [ -e real/.list.yaml.lock ] && [ ! -e .link.yaml.lock ]
cp real/list.yaml ro.yaml
chmod 444 ro.yaml
run_g --subscribers ro.yaml subscribers add c@example.org
expect_rc 77 "a read-only list is refused"
expect_err "read-only" "the error says so"
check "and it is unchanged" cmp -s ro.yaml real/list.yaml
check "and still read-only" [ "$(stat -c %a ro.yaml)" = 444 ]
printf 'half-written' >real/list.yaml.tmp.999999.0
printf 'other' >real/list.yaml.tmp.notours
run_g --subscribers link.yaml subscribers add d@example.org
expect_rc 0 "the next edit"
check "removes the temporary file a killed edit left" [ ! -e real/list.yaml.tmp.999999.0 ]
check "and nothing else" [ -e real/list.yaml.tmp.notours ]

# --- item 11: duplicate field keys and NUL ----------------------------------------------
run_g subscribers add k@example.org --field city=Lyon --field city=Paris
expect_rc 65 "add with the same --field twice is refused"
expect_err "twice" "the error says so"
printf 'email,city,City\nk@example.org,Lyon,Paris\n' >dup.csv
run_g subscribers import dup.csv
check "an import with two equal columns is refused (exit $rc)" [ "$rc" != 0 ]
expect_err "twice" "the error names the column"
printf 'email,ci\000ty\nk@example.org,Lyon\n' >nul.csv
run_g subscribers import nul.csv
check "an import holding a NUL is refused (exit $rc)" [ "$rc" != 0 ]
check "and nothing was added" sh -c '! grep -q k@example.org subscribers.yaml'
printf 'subscribers:\n  - email: k@example.org\n    fields:\n      city: Lyon\n' >dupf.yaml
printf '  - email: l@example.org\n    fields: {city: Lyon, city: Paris}\n' >>dupf.yaml
run_g --subscribers dupf.yaml check
check "check refuses a list with a field twice (exit $rc)" [ "$rc" != 0 ]

# sent mail: not checked: the subscriber list only: no message is written (tests/integration/sent_mail.sh)
