#!/bin/sh
# The scraped-text reader on pages it was not written for (issue 11 item 5): Mozilla
# Readability's 126 test pages (tests/data/readability) turned into the plain text a person
# copying each page would get, read by `gazette articles`, and scored as html_corpus.sh
# scores the HTML reader (title, date, body F1 of word 4-gram shingles) by text_corpus.py.
# Figures for the whole corpus and its two halves are printed as "#" lines; the floors are
# the level reached minus a small margin, so a change that makes the reader worse fails.
. "$TOP/tests/lib.sh"
"$PY" "$TOP/tests/integration/text_corpus.py" "$TOP/tests/data/readability" \
    --gazette "$GAZETTE" --work "$T/pages" \
    --overrides "$TOP/tests/data/readability-overrides.tsv" \
    --title-min 24 --title-norm-min 29 --title-shown-min 48 --date-min 44 \
    --f1-min 0.80 --half-f1-min 0.77
