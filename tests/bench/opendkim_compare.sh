#!/bin/sh
# The DKIM signer choice, measured (docs/ARCHITECTURE.md): ours against libopendkim on the
# same ~20 KB message, rsa-sha256 and ed25519-sha256, one thread.  Needs `make bench` run
# once before (for build/bench/dkim: keys and a signed sample).  Not part of make bench.
set -eu
cd "$(dirname "$0")/../.."
D=build/bench/dkim
[ -f "$D/verify-rsa/sample.eml" ] || { echo "run 'make bench' (its dkim section) first"; exit 1; }
make --no-print-directory gazette >/dev/null
/usr/bin/python3 -c '
import re, sys
raw = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(re.sub(rb"^DKIM-Signature:.*?\r\n(?=\S)", b"", raw, flags=re.S))
' "$D/verify-rsa/sample.eml" "$D/unsigned.eml"
PKGS="libcurl yaml-0.1 libidn2 libcmark libesmtp-1.0 openssl"
# shellcheck disable=SC2046  # flags and object lists, split on purpose
cc -O2 -Iinclude $(pkg-config --cflags $PKGS) -o build/opendkim_compare \
    tests/bench/opendkim_compare.c \
    $(ls build/*.o build/cmd/*.o build/article/*.o build/subs/*.o build/transport/*.o |
        grep -v '^build/main.o$') $(pkg-config --libs $PKGS) -ldl -lpthread -lm
build/opendkim_compare "$D/unsigned.eml" "$D/rsa.key" "$D/ed25519.key" "${1:-2000}"
