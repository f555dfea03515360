# Shared helpers for tests/integration/*.sh: TAP-like "ok"/"not ok" lines that
# tests/run.sh counts.  Each script gets a fresh $T (a temporary folder) and $GAZETTE.
set -u
: "${GAZETTE:=$(pwd)/build/san/gazette}"
: "${TOP:=$(pwd)}"
: "${PY:=/usr/bin/python3}"
T=$(mktemp -d "${TMPDIR:-/tmp}/gazette-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; }
skip() { echo "skip - $*"; }

# check "what" command...: ok when the command succeeds
check() {
    what=$1; shift
    if "$@"; then ok "$what"; else not_ok "$what"; fi
}

# run_g ARGS...: run gazette, keeping stdout in $T/out, stderr in $T/err, status in $rc
run_g() {
    set +e
    "$GAZETTE" "$@" >"$T/out" 2>"$T/err"
    rc=$?
    set -e 2>/dev/null || true
    set +e
}

# expect_rc WANT "what": the last run_g exited with WANT
expect_rc() {
    if [ "$rc" = "$1" ]; then ok "$2 (exit $1)"; else
        not_ok "$2: exit $rc, want $1"; sed 's/^/#   /' "$T/err" | head -5; fi
}

# expect_err "text" "what": stderr of the last run_g contains text
expect_err() {
    if grep -qF -- "$1" "$T/err"; then ok "$2"; else
        not_ok "$2: stderr lacks '$1'"; sed 's/^/#   /' "$T/err" | head -5; fi
}

expect_out() {
    if grep -qF -- "$1" "$T/out"; then ok "$2"; else
        not_ok "$2: stdout lacks '$1'"; sed 's/^/#   /' "$T/out" | head -5; fi
}

# free_port: a TCP port nobody listens on now
free_port() {
    "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# puppeteer_core: puppeteer-core (for headless Chromium tests) in $TOP/build/npm, installed
# from npm on first use; 1 when it cannot be had (no node, no chromium, no registry)
puppeteer_core() {
    NPM_DIR="$TOP/build/npm"
    export NPM_DIR
    command -v node >/dev/null 2>&1 && [ -x /usr/bin/chromium ] || return 1
    [ -d "$NPM_DIR/node_modules/puppeteer-core" ] && return 0
    mkdir -p "$NPM_DIR"
    (cd "$NPM_DIR" && timeout 300 npm install --no-audit --no-fund --silent \
        puppeteer-core@23 >/dev/null 2>&1)
}

# check_sent_mail [OPTION...]: every message this test captured under $T, re-parsed with
# Python's email package (policy.strict) and held to the MUST items of
# EMAIL-CHECKLIST.md by check_corpus.py (issue 9, "Corpus"): smtp_server.py's and
# hostile_smtp.py's NNNN.eml, smtp-sink's dump, every Maildir, preview's .eml output.
# OPTIONs are check_corpus.py's: --except 'GLOB=REASON' (files that are not gazette's,
# or are not mail), --waive 'ITEM=GLOB=REASON', --transactional GLOB, --allow-none,
# --postal TEXT.  Call it at the end of a test, and before a test deletes captured mail:
# a message is checked once.  tests/integration/sent_mail.sh checks that every test that
# captures mail calls it (or says why not, in a "sent mail: not checked" comment).
check_sent_mail() {
    "$PY" "$TOP/tests/integration/check_corpus.py" --tag "sent mail ($(basename "$0" .sh))" \
        --scan "$T" --done "$T/.sent-mail-checked" "$@"
}
