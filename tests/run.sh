#!/bin/sh
# Runs every test: unit programs (build/san/test_*), Mustache spec runners
# (build/san/spec_*), and tests/integration/*.sh.  Each prints "ok - ..." / "not ok - ..."
# lines; a program that exits non-zero without a "not ok" line counts as one failure.
# The last line is "N passed, N failed"; the exit status is 1 on any failure.
cd "$(dirname "$0")/.." || exit 2
TOP=$(pwd)
export TOP GAZETTE="${GAZETTE:-$TOP/build/san/gazette}"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0" UBSAN_OPTIONS="print_stacktrace=1"
pass=0 fail=0 skipped=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# no test may hang the run: each program gets at most this long
TEST_TIMEOUT=${TEST_TIMEOUT:-900}

runone() {
    name=$1; shift
    timeout -k 10 "$TEST_TIMEOUT" "$@" >"$log" 2>&1
    st=$?
    [ "$st" = 124 ] && echo "not ok - $name timed out after $TEST_TIMEOUT s" >>"$log"
    p=$(grep -c '^ok - ' "$log")
    f=$(grep -c '^not ok - ' "$log")
    s=$(grep -c '^skip - ' "$log")
    if [ "$st" != 0 ] && [ "$f" = 0 ]; then
        f=1
        echo "not ok - $name exited with status $st" >>"$log"
    fi
    if [ "$p" = 0 ] && [ "$f" = 0 ] && [ "$s" = 0 ]; then
        f=1
        echo "not ok - $name ran no check" >>"$log"
    fi
    pass=$((pass + p)) fail=$((fail + f)) skipped=$((skipped + s))
    if [ "$f" != 0 ]; then
        echo "FAIL $name ($p passed, $f failed)"
        grep -v '^ok - ' "$log" | head -60 | sed 's/^/    /'
    else
        echo "PASS $name ($p checks${s:+, $s skipped})" | sed 's/, 0 skipped//'
    fi
}

only=${1:-}
for t in build/san/test_* build/san/spec_*; do
    [ -x "$t" ] || continue
    case "$t" in *.d|*.o) continue ;; esac
    [ -n "$only" ] && case "$t" in *"$only"*) ;; *) continue ;; esac
    runone "$(basename "$t")" "$t"
done
for t in tests/integration/*.sh; do
    [ -f "$t" ] || continue
    [ -n "$only" ] && case "$t" in *"$only"*) ;; *) continue ;; esac
    runone "$(basename "$t" .sh)" sh "$t"
done
if [ "$skipped" != 0 ]; then
    echo "$pass passed, $fail failed, $skipped skipped"
else
    echo "$pass passed, $fail failed"
fi
[ "$fail" = 0 ]
