#!/bin/sh
# gazette subscribers: every subcommand, bad input, byte-for-byte preservation of hand
# edits, and concurrent writers.
. "$TOP/tests/lib.sh"
D="$TOP/tests/data/subs"
cd "$T" || exit 1

# ---- reading ---------------------------------------------------------------------------
cp "$D/hand.yaml" subscribers.yaml
run_g subscribers list
expect_rc 0 "list reads a hand-written file"
check "list shows every entry" [ "$(grep -c '@' "$T/out")" = 4 ]
expect_out "Bob Müller" "list shows UTF-8 names"
run_g subscribers list --status active
check "list --status active" [ "$(grep -c '@' "$T/out")" = 2 ]
run_g subscribers list --tag tech
check "list --tag tech" [ "$(grep -c '@' "$T/out")" = 1 ] && expect_out alice@example.org "--tag picks alice"
run_g subscribers count
check "count counts all" [ "$(cat "$T/out")" = 4 ]
run_g subscribers count --status pending
check "count --status pending" [ "$(cat "$T/out")" = 1 ]
run_g subscribers list --format json
expect_rc 0 "list --format json"
check "json parses and has 4 entries with fields" "$PY" -c '
import json,sys; d=json.load(open(sys.argv[1]))
assert len(d)==4 and d[0]["fields"]["city"]=="Lyon" and d[1]["name"]=="Bob Müller"
assert d[3]["status"]=="bounced" and d[0]["tags"]==["weekly","tech"]' "$T/out"
run_g subscribers list --format yaml
check "yaml output reads back with the same data" "$PY" -c '
import yaml,sys; d=yaml.safe_load(open(sys.argv[1]))["subscribers"]
assert [s["email"] for s in d]==["alice@example.org","Bob@Example.COM","carol@example.net","dan@example.org"]
assert d[0]["fields"]=={"city":"Lyon"} and d[2]["status"]=="pending"' "$T/out"
run_g subscribers export
check "export is CSV with a header and a city column" "$PY" -c '
import csv,sys; r=list(csv.DictReader(open(sys.argv[1],newline="")))
assert len(r)==4 and r[0]["city"]=="Lyon" and r[0]["tags"]=="weekly;tech" and r[1]["city"]==""' "$T/out"
run_g subscribers list --format xml
expect_rc 64 "unknown format is a usage error"
run_g subscribers frobnicate
expect_rc 64 "unknown subcommand is a usage error"
run_g subscribers --help
expect_rc 0 "subscribers --help" && expect_out "import [--delimiter C] FILE.csv" "help lists import"
check "reading changed nothing" cmp -s subscribers.yaml "$D/hand.yaml"

# ---- edits change only their entry -----------------------------------------------------
run_g subscribers unsubscribe carol@example.net
expect_rc 0 "unsubscribe a flow entry"
sed 's/status: pending}/status: unsubscribed}/' "$D/hand.yaml" >want.yaml
check "unsubscribe changed only carol's status, byte for byte" cmp -s subscribers.yaml want.yaml

run_g subscribers unsubscribe bob@EXAMPLE.com
expect_rc 0 "unsubscribe finds Bob@Example.COM whatever the case"
"$PY" - "$D/hand.yaml" want.yaml <<'PY'
import sys
t = open(sys.argv[1], encoding="utf-8").read()
t = t.replace("status: pending}", "status: unsubscribed}")
t = t.replace("      - weekly\n", "      - weekly\n    status: unsubscribed\n")
open(sys.argv[2], "w", encoding="utf-8").write(t)
PY
check "a missing status: line is added inside the entry only" cmp -s subscribers.yaml want.yaml

run_g subscribers resubscribe dan@example.org
expect_rc 0 "resubscribe a bounced entry"
sed -i 's/status:   bounced     #/status:   active     #/' want.yaml
check "resubscribe kept the odd spacing and the comment" cmp -s subscribers.yaml want.yaml

run_g subscribers remove alice@example.org
expect_rc 0 "remove"
"$PY" - want.yaml <<'PY'
import sys
t = open(sys.argv[1], encoding="utf-8").read()
start = t.index("  - email: alice@example.org")
end = t.index("      city: Lyon\n") + len("      city: Lyon\n")
open(sys.argv[1], "w", encoding="utf-8").write(t[:start] + t[end:])
PY
check "remove took out exactly alice's lines" cmp -s subscribers.yaml want.yaml
check "comments above and after stay" grep -q "# the founder" subscribers.yaml

run_g subscribers add erin@bücher.example --name 'Erin "E" Ó' --tag weekly --tag new --field plan=pro
expect_rc 0 "add with name, tags and a field"
check "add appended after the last entry, in its style, before the trailing comment" "$PY" -c '
import sys
t = open("subscribers.yaml", encoding="utf-8").read()
w = open("want.yaml", encoding="utf-8").read()
i = w.index("# trailing comment")
assert t.startswith(w[:i]) and t.endswith(w[i:]), "rest of file changed"
new = t[i:len(t) - len(w) + i]
lines = new.splitlines()
# the new entry copies the indentation of the last one ("  -   email:")
assert lines[0] == "  -   email: erin@bücher.example", lines
assert lines[1].startswith("      name: ") and "status: active" in new and "tags: [weekly, new]" in new
assert "        plan: pro" in new
'
run_g subscribers list --format json
check "the added entry reads back" "$PY" -c '
import json,sys; d=json.load(open(sys.argv[1])); e=[x for x in d if x["email"].startswith("erin")][0]
assert e["name"]=="Erin \"E\" Ó" and e["tags"]==["weekly","new"] and e["fields"]=={"plan":"pro"}
assert e["subscribed_at"].endswith("Z")' "$T/out"

# ---- refusals --------------------------------------------------------------------------
cp subscribers.yaml before.yaml
run_g subscribers add ERIN@BÜCHER.EXAMPLE
expect_rc 65 "adding a duplicate (other case, IDN) is refused"
expect_err "on the list already" "duplicate says why"
run_g subscribers add "not-an-address"
expect_rc 65 "adding an invalid address is refused"
expect_err "not a valid address" "invalid address says why"
run_g subscribers add "$(printf 'x@example.org\r\nBcc: y@example.org')"
expect_rc 65 "an address with CR/LF is refused"
run_g subscribers add ok@example.org --name "$(printf 'A\r\nBcc: x@y.org')"
expect_rc 65 "a name with CR/LF is refused"
run_g subscribers remove nobody@example.org
expect_rc 67 "removing an unknown address: EX_NOUSER"
expect_err "is not on the list" "unknown address says so"
run_g subscribers add ok@example.org --field "bad key=1"
expect_rc 65 "a field name with a space is refused"
run_g subscribers add
expect_rc 64 "add without EMAIL is a usage error"
check "refusals changed nothing" cmp -s subscribers.yaml before.yaml

# a file with a YAML error is never rewritten
printf 'subscribers:\n  - email: a@example.org\n    name: [unclosed\n' >broken.yaml
cp broken.yaml broken.orig
run_g --subscribers broken.yaml subscribers add b@example.org
expect_rc 65 "editing a broken file fails"
expect_err "broken.yaml:" "error names the file"
check "broken file untouched" cmp -s broken.yaml broken.orig
check "no temporary left behind" [ -z "$(ls -a | grep '\.tmp\.')" ]

# ---- empty and missing files -----------------------------------------------------------
run_g --subscribers new.yaml subscribers add first@example.org
expect_rc 0 "add creates a missing list"
check "new list has the subscribers: key" "$PY" -c '
import yaml; d=yaml.safe_load(open("new.yaml"))
assert d["subscribers"][0]["email"]=="first@example.org"'
check "a new list is private (0600)" [ "$(stat -c %a new.yaml)" = 600 ]
printf '# nobody yet\nsubscribers: []\n' >empty.yaml
run_g --subscribers empty.yaml subscribers add first@example.org
expect_rc 0 "add to 'subscribers: []'"
check "[] replaced by a block list" "$PY" -c '
t=open("empty.yaml").read(); import yaml
assert t.startswith("# nobody yet\nsubscribers:"), t
assert "[]" not in t and yaml.safe_load(t)["subscribers"][0]["email"]=="first@example.org"'
printf -- '- email: root@example.org\n' >rootseq.yaml
run_g --subscribers rootseq.yaml subscribers add second@example.org
check "a top-level list keeps its shape" "$PY" -c '
import yaml; d=yaml.safe_load(open("rootseq.yaml")); assert [x["email"] for x in d]==["root@example.org","second@example.org"]'
chmod 640 rootseq.yaml
run_g --subscribers rootseq.yaml subscribers unsubscribe root@example.org
check "an edit keeps the file's mode" [ "$(stat -c %a rootseq.yaml)" = 640 ]

# ---- import ----------------------------------------------------------------------------
printf 'email,name,tags,city,status\r\nfirst@example.org,First One,a;b,Paris,\r\n"new@example.org","New, Person",,Oslo,\r\nbad@@example.org,Bad,,,\r\n,,,,\r\nthird@example.org,Third,,,frozen\r\n"multi@example.org","Quote ""Q""",x,,pending\r\n' >in.csv
run_g --subscribers new.yaml subscribers import in.csv
expect_rc 1 "import that wrote rows but rejected some exits 1"
expect_out "1 updated" "import reports updated"
expect_out "2 added" "import reports added"
expect_out "2 rejected" "import reports rejected"
expect_err "in.csv:4:" "a rejected row names its line"
expect_err "in.csv:6: unknown status" "bad status names its line"
check "errors come in line order (4 before 6)" \
    [ "$(grep -o 'in.csv:[0-9]*' "$T/err" | tr '\n' ' ')" = "in.csv:4 in.csv:6 " ]
check "import wrote the rows" "$PY" -c '
import yaml; d={x["email"]:x for x in yaml.safe_load(open("new.yaml"))["subscribers"]}
assert d["first@example.org"]["name"]=="First One" and d["first@example.org"]["tags"]==["a","b"]
assert d["first@example.org"]["fields"]=={"city":"Paris"}
assert d["new@example.org"]["name"]=="New, Person" and d["multi@example.org"]["name"]=="Quote \"Q\""
assert d["multi@example.org"]["status"]=="pending" and "bad@@example.org" not in d
assert len(d)==3'
run_g --subscribers new.yaml subscribers import in.csv
expect_out "0 added, 0 updated, 3 unchanged" "importing again changes nothing"
"$GAZETTE" --subscribers new.yaml subscribers unsubscribe new@example.org
printf 'email,name\nnew@example.org,"New, Person"\n' >again.csv
run_g --subscribers new.yaml subscribers import again.csv
check "import does not resubscribe someone who unsubscribed" "$PY" -c '
import yaml; d={x["email"]:x for x in yaml.safe_load(open("new.yaml"))["subscribers"]}
assert d["new@example.org"]["status"]=="unsubscribed"'
run_g --subscribers new.yaml subscribers export
cp "$T/out" round.csv
run_g --subscribers round.yaml subscribers import round.csv
run_g --subscribers round.yaml subscribers export
check "export -> import -> export round-trips" cmp -s "$T/out" round.csv

# ---- import (issue 14 item 13): delimiters, the header, extra cells, exit codes, hints ---
printf 'subscribers:\n' >delim.yaml
printf 'email;name;city\nsemi@example.org;Semi Colon;Lyon\n' >semi.csv
run_g --subscribers delim.yaml subscribers import semi.csv
expect_rc 0 "a ; separated file is read as such"
printf 'email\tname\ntab@example.org\tTab Bed\n' >tab.csv
run_g --subscribers delim.yaml subscribers import tab.csv
expect_rc 0 "a tab separated file too"
printf 'sep=|\nemail|name\npipe@example.org|Pipe, Smoker\n' >pipe.csv
run_g --subscribers delim.yaml subscribers import pipe.csv
expect_rc 0 "a sep= first line sets the delimiter"
printf 'email;name\nforced@example.org;Forced, Comma\n' >forced.csv
run_g --subscribers delim.yaml subscribers import --delimiter ';' forced.csv
expect_rc 0 "--delimiter ;"
check "all four were read with their delimiters" "$PY" -c '
import yaml; d={x["email"]:x for x in yaml.safe_load(open("delim.yaml"))["subscribers"]}
assert d["semi@example.org"]["name"]=="Semi Colon" and d["semi@example.org"]["fields"]=={"city":"Lyon"}
assert d["tab@example.org"]["name"]=="Tab Bed" and d["pipe@example.org"]["name"]=="Pipe, Smoker"
assert d["forced@example.org"]["name"]=="Forced, Comma"'
run_g --subscribers delim.yaml subscribers import --delimiter x forced.csv
expect_rc 64 "--delimiter x is a usage error"
cp delim.yaml delim.before
printf 'emial,name\na@example.org,A\nb@example.org,B\nc@example.org,C\n' >hdr.csv
run_g --subscribers delim.yaml subscribers import hdr.csv
expect_rc 65 "a misspelt header column: nothing written, 65"
check "the header problem is one error, at line 1" \
    [ "$(wc -l <"$T/err")" = 1 ] && grep -q '^gazette: hdr.csv:1: column "emial"; did you mean "email"?' "$T/err"
check "nothing was written" cmp -s delim.yaml delim.before
printf 'email,name,email\na@example.org,A,b@example.org\n' >dup.csv
run_g --subscribers delim.yaml subscribers import dup.csv
expect_rc 65 "a column twice: 65"
expect_err 'dup.csv:1: the header row has the column "email" twice' "the duplicate column is named"
printf 'email,name\nx1@example.org,Doe, Jane\n"Ann Example <ann@example.org>",Ann\nmailto:bob@example.org,Bob\n' >bad.csv
run_g --subscribers delim.yaml subscribers import bad.csv
expect_rc 65 "every row rejected: nothing written, 65"
check "nothing was written" cmp -s delim.yaml delim.before
expect_err 'bad.csv:2: 3 cells, but the header row has 2 columns; quote a value that holds ","' \
    "extra cells are an error"
expect_err 'bad.csv:3: "Ann Example <ann@example.org>" is not an address; write the address alone, ann@example.org' \
    "a Name <addr> cell gets a hint"
expect_err 'bad.csv:4: "mailto:bob@example.org" is not an address; write the address without "mailto:", bob@example.org' \
    "a mailto: cell gets a hint"

# import keeps the comments and the style of the entries it touches (issue 14 item 13):
# a value is replaced where it stands, a new key gets a line, a flow entry stays flow
cp "$D/hand.yaml" keep.yaml
run_g --subscribers keep.yaml subscribers import "$D/hand-import.csv"
expect_rc 0 "import updates the four hand-written entries"
check "comments, flow and block styles are kept (byte for byte: hand-import.expected.yaml)" \
    cmp -s keep.yaml "$D/hand-import.expected.yaml"
cmp -s keep.yaml "$D/hand-import.expected.yaml" || diff "$D/hand-import.expected.yaml" keep.yaml | sed 's/^/#   /'
run_g --subscribers keep.yaml subscribers import "$D/hand-import.csv"
expect_out "0 added, 0 updated, 4 unchanged" "and reads back with the new values"

# ---- concurrent writers: nothing lost --------------------------------------------------
printf 'subscribers:\n' >busy.yaml
for w in 1 2 3 4; do
    (for i in $(seq 1 15); do
        "$GAZETTE" --subscribers busy.yaml subscribers add "w$w-$i@example.org" || echo FAIL
    done) >"w$w.log" 2>&1 &
done
wait
check "no writer failed" [ -z "$(cat w1.log w2.log w3.log w4.log)" ]
run_g --subscribers busy.yaml subscribers count
check "4 concurrent writers x 15 adds: all 60 entries there" [ "$(cat "$T/out")" = 60 ]
(for i in $(seq 1 15); do "$GAZETTE" --subscribers busy.yaml subscribers remove "w1-$i@example.org"; done) &
(for i in $(seq 1 15); do "$GAZETTE" --subscribers busy.yaml subscribers unsubscribe "w2-$i@example.org"; done) &
(for i in $(seq 16 30); do "$GAZETTE" --subscribers busy.yaml subscribers add "w3-$i@example.org"; done) &
wait
run_g --subscribers busy.yaml subscribers count
check "mixed concurrent removes/unsubscribes/adds: 60 - 15 + 15 = 60" [ "$(cat "$T/out")" = 60 ]
run_g --subscribers busy.yaml subscribers count --status unsubscribed
check "all 15 unsubscribes landed" [ "$(cat "$T/out")" = 15 ]

# sent mail: not checked: the subscriber list only: no message is written (tests/integration/sent_mail.sh)
