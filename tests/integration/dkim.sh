#!/bin/sh
# DKIM end to end: `gazette dkim keygen` (mode 600, the TXT record), `gazette check
# --dkim-record`, and every message `gazette send` delivers over both SMTP transports
# (libcurl, libESMTP) and into a Maildir, signed with rsa-sha256 and ed25519-sha256,
# verified by an independent verifier (dkimpy, Debian's python3-dkim) on the bytes the
# server received: non-ASCII display names and a long folded Subject, and body lines
# starting with a dot (dot-stuffed on the wire, unstuffed by the server).
# SPDX-License-Identifier: MIT
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/lib.sh"
. "$TOP/tests/servers.sh"
PIDS=
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"' EXIT
export GZ_SECRET=dkim-test-secret-long-enough-for-gazette
cd "$T" || exit 1
P="dkim:"

if [ ! -x "$GAZETTE" ]; then not_ok "$P $GAZETTE is not built"; exit 1; fi
if ! "$PY" -c 'import dkim, aiosmtpd' 2>/dev/null; then
    skip "$P python3-dkim or python3-aiosmtpd is not installed"
    exit 0
fi

# --- keygen ------------------------------------------------------------------------------
run_g dkim keygen --selector rsa1 --domain example.org --out rsa.key
expect_rc 0 "$P keygen rsa"
cp "$T/out" rsa.txt
check "$P the rsa key file is mode 600" [ "$(stat -c %a rsa.key)" = 600 ]
expect_out 'rsa1._domainkey.example.org. IN TXT ( "v=DKIM1; k=rsa; p=' "$P keygen prints the rsa record"
check "$P the record is split into strings of at most 255 characters" \
    "$PY" -c 'import re,sys; s=re.findall(r"\"([^\"]*)\"", open(sys.argv[1]).read()); sys.exit(not (len(s) > 1 and max(map(len, s)) <= 255))' rsa.txt
check "$P it is a 2048-bit RSA key" sh -c 'openssl pkey -in rsa.key -noout -text 2>/dev/null | grep -q "2048 bit"'
run_g dkim keygen --selector ed1 --domain example.org --type ed25519 --out ed.key
expect_rc 0 "$P keygen ed25519"
cp "$T/out" ed.txt
expect_out 'ed1._domainkey.example.org. IN TXT ( "v=DKIM1; k=ed25519; p=' "$P keygen prints the ed25519 record"
run_g dkim keygen --selector ed1 --domain example.org --type ed25519 --out ed.key
expect_rc 73 "$P keygen never overwrites a key"
run_g dkim keygen --selector x --domain example.org --type dsa --out x.key
expect_rc 64 "$P keygen refuses an unknown type"

# --- the newsletter --------------------------------------------------------------------
mkdir -p articles templates
printf -- '---\ntitle: "Dots and lines"\nurl: https://news.example.org/dots\n---\n\n%s\n\n%s\n\n%s\n' \
    "A paragraph before the dots." ".hidden starts with a dot" "..two dots" >articles/dots.md
printf 'Nachrichten f\303\274r {{subscriber.name}}: a subject line long enough that it must be folded over several header lines, number {{issue.number}}\n' \
    >templates/subject.mustache
# an ASCII text part is sent 7bit: its lines starting with a dot are dot-stuffed on the wire
printf '{{#articles}}{{title}}\n\n{{{body_text}}}\n\n{{url}}\n\n{{/articles}}%b\n' \
    'Unsubscribe: {{{unsubscribe_url}}}\n{{newsletter.postal_address}}' >templates/digest.txt.mustache
cat >subscribers.yaml <<'EOF'
subscribers:
  - email: zoe@example.net
    name: "Zoë Ørsted-Łukasiewicz"
  - email: ann@example.net
    name: Ann
  - email: long@example.net
    name: "A Very Long Display Name That Goes On And On Beyond Any Folding Limit Whatsoever"
EOF

# conf KEYTYPE TRANSPORT PORT
conf() {
    {
        # ASCII names: the text part stays 7bit, so its dot lines go through dot-stuffing
        printf 'newsletter:\n  name: Gazette\n  from: news@example.org\n'
        printf '  unsubscribe_url: https://example.org/u?t={{token}}\n  secret_env: GZ_SECRET\n'
        printf '  postal_address: 1 Example Street, Paris\n  list_id: dkim.example.org\n'
        printf 'smtp:\n  transport: %s\n  url: smtp://127.0.0.1:%s\n  starttls: off\n' "$2" "$3"
        printf '  timeout: 10\n  connect_timeout: 10\n  connections: 2\n'
        printf 'paths:\n  state_dir: state-%s-%s\n  outbox: outbox-%s\n' "$1" "$2" "$1"
        if [ "$1" = rsa ]; then sel=rsa1; else sel=ed1; fi
        printf 'dkim:\n  selector: %s\n  domain: example.org\n  key_file: %s.key\n' "$sel" "$1"
    } >gazette.yaml
}

# verify DIR RECORDFILE: every message in DIR verifies; prints the problem otherwise
verify() {
    "$PY" - "$1" "$2" <<'EOF'
import dkim, os, re, sys
d, rec = sys.argv[1], open(sys.argv[2]).read()
txt = "".join(re.findall(r'"([^"]*)"', rec)).encode()
files = sorted(os.path.join(r, f) for r, _, fs in os.walk(d) for f in fs
               if f.endswith(".eml") or "/new" in r)
if len(files) != 3:
    sys.exit("%d messages, want 3" % len(files))
dotted = 0
for f in files:
    raw = open(f, "rb").read()
    if "/new" in f:                   # Maildir stores LF; mail is CRLF on the wire
        raw = raw.split(b"\n", 2)[2] if raw.startswith(b"Return-Path:") else raw
        raw = re.sub(rb"(?<!\r)\n", b"\r\n", raw)
    if not raw.startswith(b"DKIM-Signature:"):
        sys.exit(f + ": no DKIM-Signature on top")
    hb = raw.split(b"\r\n\r\n", 1)[0]
    if max(len(l) for l in hb.split(b"\r\n")) > 78:
        sys.exit(f + ": a header line over 78")
    if b"=?utf-8?" not in hb.lower():
        sys.exit(f + ": no encoded-word: the non-ASCII case was not exercised")
    if re.search(rb"\r\n\.hidden", raw) and re.search(rb"\r\n\.\.two", raw):
        dotted += 1
    if not dkim.verify(raw, dnsfunc=lambda name, timeout=5: txt):
        sys.exit(f + ": the signature does not verify")
    # and it fails when the body changes: the check can fail
    bad = raw.replace(b"paragraph before", b"paragraph after!")
    if bad == raw or dkim.verify(bad, dnsfunc=lambda name, timeout=5: txt):
        sys.exit(f + ": a changed body still verifies")
if "/new" not in files[0] and dotted != 3:
    sys.exit("the dot lines did not arrive (%d of 3)" % dotted)
EOF
}

for kt in rsa ed; do
    [ "$kt" = rsa ] && rec=rsa.txt || rec=ed.txt
    conf "$kt" smtp 1
    run_g -c gazette.yaml check --dkim-record "$rec"
    expect_rc 0 "$P $kt: check finds the record matches the key"
    [ "$kt" = rsa ] && other=ed.txt || other=rsa.txt
    run_g -c gazette.yaml check --dkim-record "$other"
    expect_rc 78 "$P $kt: check refuses the other key's record"
    for tr in smtp esmtp; do
        start_server
        conf "$kt" "$tr" "$PORT"
        run_g -c gazette.yaml send
        expect_rc 0 "$P $kt over $tr: sent"
        if msg=$(verify "$SD" "$rec" 2>&1); then
            ok "$P $kt over $tr: all 3 received messages verify with dkimpy (dot lines kept)"
        else not_ok "$P $kt over $tr: $msg"; fi
        stop_server
    done
    conf "$kt" maildir 1
    run_g -c gazette.yaml send
    expect_rc 0 "$P $kt into a Maildir: sent"
    if msg=$(verify "outbox-$kt" "$rec" 2>&1); then
        ok "$P $kt into a Maildir: all 3 stored messages verify"
    else not_ok "$P $kt into a Maildir: $msg"; fi
done

# a half-configured dkim section is an error, not an unsigned run
printf 'dkim:\n  selector: x\n' >half.yaml
run_g -c half.yaml check
expect_rc 78 "$P selector without domain and key_file is a config error"

# every message this test made, held to the checklist (issue 9: tests/lib.sh)
check_sent_mail
