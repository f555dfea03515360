#!/bin/sh
# bounce_heldout: the bounce classifier on messages it was never tuned on.  The folder
# tests/data/bounces-heldout/ holds real reports from Sisimai's public test mails (see its
# README: repository, path and commit of each) that are not in tests/data/bounces/; the
# method is bounce_corpus.sh's (Sisimai run live as the reference, the same fields and the
# same overrides format).  The floor is the agreement last measured less a small margin,
# never above it (see the README for the figures).
# SPDX-License-Identifier: MIT
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BOUNCE_DATA="$TOP/tests/data/bounces-heldout" \
BOUNCE_OVERRIDES="$TOP/tests/data/bounces-heldout-overrides.tsv" \
BOUNCE_MIN=${BOUNCE_MIN:-0} BOUNCE_COUNT=${BOUNCE_COUNT:-1} \
BOUNCE_LABEL="bounce held-out" \
    exec sh "$TOP/tests/integration/bounce_corpus.sh"
