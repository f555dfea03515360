#!/bin/sh
# The corpus test (issue 9): messages gazette writes from every kind of input the suite
# has, re-parsed by Python's email package (policy.strict) and checked against the MUST
# items of EMAIL-CHECKLIST.md by check_corpus.py: the shipped examples sent to the whole
# example list, every scraped-article fixture, the three reproductions of issue 9's
# placeholder crash, right-to-left and CJK issues, a user template set that branches on
# personal values, a huge digest just under Gmail's clipping size, DKIM-signed messages
# (rsa and ed25519, verified), and one message per composer fuzz seed.  The unit tests'
# own messages are checked with their sidecars by mime_parse.sh.
# SPDX-License-Identifier: MIT
. "$TOP/tests/lib.sh"
cd "$T" || exit 1
P="corpus:"
CHECK="$TOP/tests/integration/check_corpus.py"
if ! "$PY" -c 'import email.policy' 2>/dev/null; then
    skip "$P $PY with the email package is not available"
    exit 0
fi
POSTAL="1 Example Street, 75001 Paris, France"
printf 'corpus-secret-long-enough-for-gazette-32\n' >secret.txt
chmod 600 secret.txt
cp "$TOP/subscribers.yaml.example" subscribers.yaml

# conf NAME [LANGUAGE] [EXTRA...]: gazette.yaml sending NAME's issue into outbox-NAME
conf() {
    name=$1 lang=${2:-en}
    if [ $# -ge 2 ]; then shift 2; else shift $#; fi
    {
        printf 'newsletter:\n  name: The Corpus Gazette\n  from: news@example.org\n'
        printf '  reply_to: editor@example.org\n  list_id: corpus.example.org\n'
        printf '  base_url: https://example.org/gazette\n'
        printf '  unsubscribe_url: https://example.org/unsubscribe?token={{token}}\n'
        printf '  unsubscribe_mailto: unsubscribe@example.org\n  secret_file: secret.txt\n'
        printf '  language: %s\n  postal_address: "%s"\n' "$lang" "$POSTAL"
        printf 'smtp:\n  transport: maildir\npaths:\n  outbox: outbox-%s\n' "$name"
        printf '  state_dir: state-%s\n  templates: tpl-%s\n' "$name" "$name"
        for x in "$@"; do printf '%s\n' "$x"; done
    } >gazette.yaml
}
# group NAME ARTICLES... : send NAME's issue to the example list and check every copy
group() {
    name=$1
    shift
    run_g send --campaign "$name" "$@"
    expect_rc 0 "$P send the $name issue"
    set -- "outbox-$name"/new/*
    if [ -f "$1" ]; then
        "$PY" "$CHECK" --tag "$P $name" --postal "$POSTAL" ${DKIM_REC:+--dkim-record "$DKIM_REC"} "$@"
    else
        not_ok "$P $name: no messages were written"
    fi
}

# the shipped examples, to every active subscriber of the example list
conf examples
group examples "$TOP/examples/articles"

# every scraped-article fixture, one issue each (their names become campaign names)
mkdir -p fixtures
for f in "$TOP"/tests/data/articles/*.txt; do
    n=$(basename "$f" .txt)
    conf "$n"
    run_g send --campaign "$n" "$f"
    expect_rc 0 "$P send the fixture $n"
done
set -- outbox-scraped-*/new/*
"$PY" "$CHECK" --tag "$P scraped fixtures" --postal "$POSTAL" "$@"

# issue 9's reproductions: control bytes that were taken for placeholders
mkdir -p forged
for b in '\001''0\002' '\001''9\002' 'A\001x' '\007\033[31m\177\302\205'; do
    i=$((${i:-0} + 1))
    printf -- '---\ntitle: "Forged %s"\nurl: https://news.example.org/f%s\n---\n\nBody %b here.\n' \
        "$i" "$i" "$b" >"forged/f$i.md"
done
conf forged
group forged forged

# right to left, and Chinese/Japanese, in one issue
mkdir -p intl
cp "$TOP"/tests/data/articles/scraped-cjk-*.txt intl/
printf -- '---\ntitle: "المجلس يوافق على ممرات الدراجات"\nurl: https://news.example.org/ar\nsource: "صحيفة النهر"\n---\n\nوافق مجلس المدينة على بناء ممرات الدراجات.\n' >intl/ar.md
printf -- '---\ntitle: "👨‍👩‍👧 می‌خواهم"\nurl: https://news.example.org/fa\n---\n\nمی‌خواهم بخوانم.\n' >intl/fa.md
conf intl ar
group intl intl

# a user template set: a personal section (rendered per subscriber), ASCII text (7bit)
mkdir -p tpl-user
printf '{{#subscriber.name}}Hello {{subscriber.name}},{{/subscriber.name}}{{^subscriber.name}}Hello,{{/subscriber.name}}\n\n{{#articles}}{{number}}. {{title}}\n{{{body_text}}}\n{{#url}}{{url}}\n{{/url}}{{#links}}[{{number}}] {{url}}\n{{/links}}\n{{/articles}}Home: {{newsletter.base_url}}\nUnsubscribe:\n{{{unsubscribe_url}}}\n{{newsletter.postal_address}}\n' \
    >tpl-user/digest.txt.mustache
printf 'Notes for {{#subscriber.name}}{{subscriber.name}}{{/subscriber.name}}{{^subscriber.name}}you{{/subscriber.name}}: {{#articles}}{{#first}}{{title}}{{/first}}{{/articles}}\n' \
    >tpl-user/subject.mustache
conf user
group user "$TOP/examples/articles"

# a huge digest: as many articles as fit under the clipping size (the encoder's long runs)
mkdir -p huge
"$PY" - <<'EOF'
text = ("Councillors spent the evening on the budget, line by line, and on the river "
        "works that come with it; the vote is next week. ") * 5
for i in range(30):
    with open("huge/h%02d.md" % i, "w") as f:
        f.write('---\ntitle: "Long story number %d, with a title that runs on"\n' % i)
        f.write('url: https://news.example.org/huge/%d\nsource: The Long Post\n---\n\n' % i)
        f.write(text + "\n\n" + text + "\n\nSee [the minutes](https://example.org/m/%d).\n" % i)
EOF
conf huge
group huge huge
size=$("$PY" -c '
import glob, sys
from email import policy
from email.parser import BytesParser
f = sorted(glob.glob("outbox-huge/new/*"))[0]
m = BytesParser(policy=policy.default).parsebytes(open(f, "rb").read().replace(b"\n", b"\r\n"))
print(len(m.get_body(("html",)).get_content().encode()))')
check "$P the huge digest is huge ($size bytes of HTML, over 80000)" [ "${size:-0}" -gt 80000 ]

# DKIM: signed copies verify (dkimpy, the key's record given directly)
if "$PY" -c 'import dkim' 2>/dev/null; then
    for kt in rsa ed25519; do
        run_g dkim keygen --selector "c$kt" --domain example.org --type "$kt" --out "$kt.key"
        cp "$T/out" "$kt.txt"
        conf "dkim-$kt" en "dkim:" "  selector: c$kt" "  domain: example.org" \
            "  key_file: $kt.key"
        DKIM_REC="$kt.txt" group "dkim-$kt" "$TOP/examples/articles"
    done
else
    skip "$P python3-dkim is not installed: no DKIM corpus"
fi

# the composer's fuzz seeds: each one's message (config defaults: no postal address)
mkdir -p seeds
if [ -x "$TOP/build/san/test_fuzz_seeds" ]; then
    (cd "$TOP" && GAZETTE_EML_DIR="$T/seeds" build/san/test_fuzz_seeds >"$T/seeds.log" 2>&1)
    set -- seeds/*.eml
    if [ -f "$1" ]; then
        "$PY" "$CHECK" --tag "$P fuzz seeds" "$@"
    else
        not_ok "$P the fuzz seed replay wrote no messages"
    fi
else
    skip "$P build/san/test_fuzz_seeds is not built"
fi

# sent mail: not checked: this whole test is that check, with the postal address and the DKIM keys given (tests/integration/sent_mail.sh)
