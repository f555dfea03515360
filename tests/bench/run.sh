#!/bin/sh
# make bench: performance figures, each verified.  Ratios matter more than absolute
# numbers: the machines are shared and noisy.
set -eu
cd "$(dirname "$0")/../.."
B=${BENCH_DIR:-build/bench}
mkdir -p "$B"
N=${BENCH_SUBSCRIBERS:-1000000}
echo "== subscriber list: $N subscribers"
[ -f "$B/subs-$N.yaml" ] || build/bench_subs "$B/subs-$N.yaml" "$N" >/dev/null
build/bench_subs "$B/subs-$N.yaml" "$N"
echo "-- the same file through libyaml alone (the fallback path)"
build/bench_subs "$B/subs-$N.yaml" "$N" libyaml
