#!/bin/sh
# make run: what a new user sees first, on the shipped examples, with nothing sent
# anywhere but a local folder.
set -eu
cd "$(dirname "$0")/.."
G=${GAZETTE_BIN:-./gazette}
W=${SAMPLE_DIR:-build/sample}
rm -rf "$W"
mkdir -p "$W"
cp gazette.yaml.example "$W/gazette.yaml"
cp subscribers.yaml.example "$W/subscribers.yaml"
cp -r examples/articles "$W/articles"
# the example config reads its unsubscribe secret from a file
[ -f "$W/secret.txt" ] || (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$W/secret.txt")
echo "== gazette check (quiet when all is well)"
$G -c "$W/gazette.yaml" check
echo "== gazette subscribers list"
$G -c "$W/gazette.yaml" subscribers list
if $G --help | grep -q '^  send'; then
    echo "== gazette preview (the message the first subscriber gets, and a lint report)"
    $G -c "$W/gazette.yaml" preview --out "$W/preview" || true
    echo "== gazette send (transport: maildir, a local folder: nothing leaves this machine)"
    $G -c "$W/gazette.yaml" -v send
    echo "== gazette status"
    $G -c "$W/gazette.yaml" status
    echo
    echo "Look at:"
    echo "  $W/preview/message.html    in a browser (the HTML part)"
    echo "  $W/preview/message.txt     the text part"
    echo "  $W/outbox/new/             one message per subscriber, as delivered (Maildir)"
else
    echo
    echo "Composing and sending are not in this build yet (see the open issues)."
fi
