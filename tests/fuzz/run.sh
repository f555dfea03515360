#!/bin/sh
# make fuzz: build each tests/fuzz/fuzz_*.c with libFuzzer (clang) and run it for
# FUZZ_SECONDS (default 60) from its seed corpus.  Crashers are kept in build/fuzz/ and
# belong in tests/data/ as fixtures once fixed.
set -eu
cd "$(dirname "$0")/../.."
SECS=${FUZZ_SECONDS:-60}
OUT=build/fuzz
mkdir -p "$OUT"
# the Makefile's PKGS (one list): every module of src/ is linked into each target
PKGS=$(make --no-print-directory -s print-pkgs)
make --no-print-directory build/builtin_templates.c >/dev/null
SRCS="${FUZZ_SRCS:-$(ls src/*.c src/*/*.c | grep -v '^src/main.c$')} build/builtin_templates.c"
only=${1:-}
for f in tests/fuzz/fuzz_*.c; do
    name=$(basename "$f" .c)
    [ -n "$only" ] && [ "$only" != "$name" ] && continue
    echo "== $name ($SECS s)"
    clang -std=c11 -D_DEFAULT_SOURCE -g -O1 -Iinclude -fsanitize=fuzzer,address,undefined \
        -fno-sanitize-recover=all $(pkg-config --cflags $PKGS) -o "$OUT/$name" "$f" $SRCS \
        $(pkg-config --libs $PKGS) -lm -lunistring
    corpus="$OUT/$name.corpus"
    mkdir -p "$corpus"
    # the same seed folders as tests/unit/test_fuzz_seeds.c: own seeds and crashers, and
    # the fixtures of tests/data (not copied into seeds/)
    case ${name#fuzz_} in
    article) dirs="tests/fuzz/seeds/article tests/data/articles" ;;
    subs) dirs="tests/fuzz/seeds/subs tests/data/subs tests/data/subs/fuzz examples" ;;
    config) dirs="tests/fuzz/seeds/config tests/data/config" ;;
    tmpl) dirs="tests/fuzz/seeds/tmpl templates" ;;
    inbox) dirs="tests/fuzz/seeds/inbox tests/data/bounces tests/data/bounces-heldout" ;;
    *) dirs="tests/fuzz/seeds/${name#fuzz_}" ;;
    esac
    for seeds in $dirs; do
        [ -d "$seeds" ] || continue
        find "$seeds" -maxdepth 1 -type f -exec cp -n {} "$corpus"/ \;
    done
    # -timeout: an input slower than 10 s is a bug (bounded time on hostile input);
    # libFuzzer's default (1200 s) would never report one within FUZZ_SECONDS
    "$OUT/$name" -max_total_time="$SECS" -timeout="${FUZZ_TIMEOUT:-10}" \
        -artifact_prefix="$OUT/$name-" -print_final_stats=1 "$corpus" 2>&1 | grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|==[0-9]+== ?ERROR|SUMMARY)' || true
    if ls "$OUT/$name"-crash-* "$OUT/$name"-leak-* "$OUT/$name"-timeout-* >/dev/null 2>&1; then
        echo "$name: found problems, see $OUT/" >&2
        exit 1
    fi
done
