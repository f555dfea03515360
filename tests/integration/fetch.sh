#!/bin/sh
# gazette articles fetch against a local HTTP server (tests/integration/http_server.py on
# 127.0.0.1): a page is saved as a Markdown article with front matter and reads back the
# same; redirects (followed up to 5), 404, a server that never answers (timeout), a body
# over the size cap (with and without a length), gzip, Latin-1 pages (charset in the
# header or only in the page), a redirect to ftp://, a non-text page.  A failed fetch
# names the URL and the status or error and writes nothing.
. "$TOP/tests/lib.sh"
SD="$T/srv"
OUT="$T/articles"
mkdir -p "$SD" "$OUT"
"$PY" "$TOP/tests/integration/http_server.py" --dir "$SD" >"$SD/log" 2>&1 &
SPID=$!
trap 'kill $SPID 2>/dev/null; wait $SPID 2>/dev/null; rm -rf "$T"' EXIT
i=0
while [ ! -f "$SD/ready" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if [ ! -f "$SD/ready" ]; then
    not_ok "http server did not start"; sed 's/^/#   /' "$SD/log"; exit 1
fi
BASE="http://127.0.0.1:$(cat "$SD/ready")"
printf 'paths:\n  articles: %s\n' "$OUT" >"$T/gazette.yaml"

# fm FILE KEY VALUE: the front matter of FILE has KEY: VALUE (quoted or plain)
fm() {
    grep -qxF "$2: $3" "$1" || grep -qxF "$2: \"$3\"" "$1"
}

# nothing_written WHAT: the articles folder is still empty
nothing_written() {
    if [ -z "$(ls -A "$OUT")" ]; then ok "$1: nothing written"; else
        not_ok "$1: files written: $(ls "$OUT" | tr '\n' ' ')"; rm -f "$OUT"/*; fi
}

# a page, saved and read back
run_g -c "$T/gazette.yaml" articles fetch "$BASE/article.html"
expect_rc 0 "fetch a page"
f=$(cat "$T/out")
case "$f" in
    "$OUT"/2024-03-05-harbour-ferry-gets-a-second-boat.md) ok "named from date and title" ;;
    *) not_ok "file name: '$f'" ;;
esac
if [ -f "$f" ]; then
    fm "$f" title "Harbour ferry gets a second boat" && ok "front matter: title" ||
        not_ok "front matter: title"
    fm "$f" url "$BASE/article.html" && ok "front matter: url" || not_ok "front matter: url"
    fm "$f" author "Maria Lopes" && ok "front matter: author" || not_ok "front matter: author"
    fm "$f" date "2024-03-05" && ok "front matter: date" || not_ok "front matter: date"
    fm "$f" source "The Bay Courier" && ok "front matter: source (the <title> suffix)" ||
        not_ok "front matter: source (the <title> suffix)"
    grep -Eq '^fetched: "?20[0-9]{2}-[0-9]{2}-[0-9]{2}T' "$f" && ok "front matter: fetched" ||
        not_ok "front matter: fetched"
    grep -q 'not text' "$f" && not_ok "script text left out" || ok "script text left out"
    grep -qF 'carries **120 passengers** and twenty bicycles & their riders.' "$f" &&
        ok "entities decoded, <b> as Markdown" || not_ok "entities decoded, <b> as Markdown"
    run_g -c "$T/gazette.yaml" articles "$f"
    expect_rc 0 "the saved article reads back"
    expect_out "Harbour ferry gets a second boat" "read back: title"
    expect_out "paragraphs 3" "read back: three paragraphs"
    grep -q "gazette/" "$SD/requests" && ok "a clear User-Agent" || not_ok "a clear User-Agent"
    rm -f "$OUT"/*
fi

# gazette articles URL shows without saving
run_g -c "$T/gazette.yaml" articles "$BASE/article.html"
expect_rc 0 "articles URL"
expect_out "Harbour ferry gets a second boat" "articles URL shows the title"
nothing_written "articles URL"

# redirects: 3 hops followed, 6 refused
run_g -c "$T/gazette.yaml" articles fetch "$BASE/redirect/3"
expect_rc 0 "three redirects followed"
f=$(cat "$T/out")
[ -f "$f" ] && fm "$f" url "$BASE/article.html" && ok "url is where the redirects end" ||
    not_ok "url is where the redirects end"
rm -f "$OUT"/*
run_g -c "$T/gazette.yaml" articles fetch "$BASE/redirect/7"
expect_rc 66 "seven redirects refused"
expect_err "$BASE/redirect/7: more than 5 redirects" "the error names the URL and the limit"
nothing_written "too many redirects"

# 404
run_g -c "$T/gazette.yaml" articles fetch "$BASE/missing"
expect_rc 66 "404"
expect_err "$BASE/missing: HTTP 404" "the error names the URL and the status"
nothing_written "404"

# a server that never answers: the timeout ends it
run_g -c "$T/gazette.yaml" articles fetch --timeout 1 "$BASE/slow"
expect_rc 75 "slow server"
expect_err "$BASE/slow: " "the error names the URL"
grep -qi "timed out\|timeout" "$T/err" && ok "the error says it timed out" ||
    { not_ok "the error says it timed out"; sed 's/^/#   /' "$T/err"; }
nothing_written "timeout"

# over the size cap, with a Content-Length and streamed
for p in huge huge-stream; do
    run_g -c "$T/gazette.yaml" articles fetch "$BASE/$p"
    expect_rc 65 "$p page refused"
    expect_err "$BASE/$p: the page is larger than 8 MiB" "$p: the error names the cap"
    nothing_written "$p"
done

# gzip
run_g -c "$T/gazette.yaml" articles fetch "$BASE/gzip"
expect_rc 0 "gzip page"
f=$(cat "$T/out")
[ -f "$f" ] && grep -q "halving the wait" "$f" && ok "gzip body decoded" || not_ok "gzip body decoded"
rm -f "$OUT"/*

# Latin-1, charset in the header and only in the page
for p in latin1 latin1-meta; do
    run_g -c "$T/gazette.yaml" articles fetch "$BASE/$p"
    expect_rc 0 "$p page"
    f=$(cat "$T/out")
    if [ -f "$f" ] && fm "$f" title "Café terraces return to the old town" &&
        grep -q "front of the café\." "$f"; then
        ok "$p: read as UTF-8"
    else
        not_ok "$p: read as UTF-8"; [ -f "$f" ] && head -5 "$f" | sed 's/^/#   /'
    fi
    rm -f "$OUT"/*
done

# only http and https
run_g -c "$T/gazette.yaml" articles fetch "$BASE/ftp"
expect_rc 66 "a redirect to ftp:// refused"
expect_err "$BASE/ftp: " "the error names the URL"
nothing_written "ftp redirect"
run_g -c "$T/gazette.yaml" articles fetch "file:///etc/passwd"
expect_rc 64 "file:// refused"
expect_err "not a web address" "file:// error"
run_g -c "$T/gazette.yaml" articles fetch "$BASE/image.png"
expect_rc 65 "an image is not an article"
expect_err "image/png" "the error names the type"
nothing_written "image"

# an empty page
run_g -c "$T/gazette.yaml" articles fetch "$BASE/empty"
expect_rc 66 "an empty page"
expect_err "$BASE/empty: the server sent an empty page" "the error says it is empty"
nothing_written "empty page"

# an unreachable port
run_g -c "$T/gazette.yaml" articles fetch "http://127.0.0.1:$(free_port)/x"
expect_rc 75 "connection refused"
expect_err "http://127.0.0.1:" "the error names the URL"
nothing_written "connection refused"

# an issue file's url: entry is fetched once into the articles folder, never again
C="$T/compose"
mkdir -p "$C/articles"
cp "$TOP/gazette.yaml.example" "$C/gazette.yaml"
cp "$TOP/subscribers.yaml.example" "$C/subscribers.yaml"
printf 'a-test-secret-that-is-long-enough-to-pass\n' >"$C/secret.txt"
chmod 600 "$C/secret.txt"
printf 'title: Issue one\narticles:\n  - url: %s/article.html\n' "$BASE" >"$C/issue.yaml"
(cd "$C" && "$GAZETTE" compose --issue issue.yaml --out "$C/out1" >"$T/out" 2>"$T/err")
rc=$?
expect_rc 0 "compose with a url: entry"
n=$(ls "$C/articles" | wc -l)
[ "$n" = 1 ] && ok "the page was saved into the articles folder" ||
    not_ok "articles folder has $n files: $(ls "$C/articles")"
grep -q "Harbour ferry gets a second boat" "$C/out1/digest.txt" && ok "the digest has it" ||
    not_ok "the digest has it"
reqs=$(grep -c 'GET /article.html' "$SD/requests")
(cd "$C" && "$GAZETTE" compose --issue issue.yaml --out "$C/out2" >"$T/out" 2>"$T/err")
rc=$?
expect_rc 0 "compose again"
[ "$(grep -c 'GET /article.html' "$SD/requests")" = "$reqs" ] &&
    ok "not fetched again: the saved file is read" || not_ok "fetched again"
[ "$(ls "$C/articles" | wc -l)" = 1 ] && ok "still one file" || not_ok "a second file appeared"

# every message this test made, held to the checklist (issue 9: tests/lib.sh)
check_sent_mail
