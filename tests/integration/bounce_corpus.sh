#!/bin/sh
# bounce_corpus: gazette's bounce classifier (build/san/bouncedump) against Sisimai, the
# reference (Debian's libsisimai-perl), run live on the same 334 real messages of
# tests/data/bounces/ (from Sisimai's own set-of-emails, BSD-2-Clause).  Per message: a
# bounce or not, the recipients, hard or soft, the status code.  Prints the agreement per
# field and every disagreement; fails below 95% on recipients and on hard/soft.  Where
# Sisimai is wrong, tests/data/bounces-overrides.tsv says so, with the reason (the figures
# without the overrides are printed too).
# The same script scores any folder of messages: BOUNCE_DATA (the folder), BOUNCE_OVERRIDES,
# BOUNCE_MIN (percent), BOUNCE_COUNT (messages expected at least) and BOUNCE_LABEL;
# bounce_heldout.sh runs it on messages the classifier was never tuned on.
# SPDX-License-Identifier: MIT
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/lib.sh"
DUMP=${BOUNCE_DUMP:-"$TOP/build/san/bouncedump"}
DATA=${BOUNCE_DATA:-"$TOP/tests/data/bounces"}
OVER=${BOUNCE_OVERRIDES:-"$TOP/tests/data/bounces-overrides.tsv"}
MIN=${BOUNCE_MIN:-95}
COUNT=${BOUNCE_COUNT:-334}
LABEL=${BOUNCE_LABEL:-"bounce corpus"}
if [ ! -x "$DUMP" ]; then not_ok "$LABEL: $DUMP is not built"; exit 1; fi
if ! perl -MSisimai -e 1 2>/dev/null; then
    skip "$LABEL: Sisimai is not installed (apt-get install libsisimai-perl)"; exit 0
fi
n=$(ls "$DATA"/*.eml | wc -l)
if [ "$n" -ge "$COUNT" ]; then ok "$LABEL: $n messages"; else
    not_ok "$LABEL: only $n messages in $DATA (want $COUNT)"; fi
# Sisimai's view: FILE RECIPIENT STATUS SOFTBOUNCE REASON, "-" when it finds no bounce
perl -MSisimai -e 'for my $f (@ARGV) {
        my $v = Sisimai->make($f) || []; my $b = $f =~ s{.*/}{}r;
        for my $r (@$v) { my $d = $r->damn;
            print join("\t", $b, map { $d->{$_} // "" } qw(recipient deliverystatus softbounce reason)), "\n" }
        print "$b\t-\t-\t-\t-\n" unless @$v }' "$DATA"/*.eml >"$T/sisimai.tsv" 2>"$T/sisimai.err"
if [ -s "$T/sisimai.tsv" ]; then ok "$LABEL: Sisimai ran"; else
    not_ok "$LABEL: Sisimai gave nothing"; sed 's/^/#   /' "$T/sisimai.err" | head -5; fi
"$DUMP" "$DATA"/*.eml >"$T/gazette.tsv" 2>"$T/dump.err"
if [ $? = 0 ] && ! grep -q 'Sanitizer\|runtime error' "$T/dump.err"; then
    ok "$LABEL: gazette read every message"
else not_ok "$LABEL: bouncedump failed"; sed 's/^/#   /' "$T/dump.err" | head -5; fi
"$PY" "$TOP/tests/integration/bounce_score.py" "$T/sisimai.tsv" "$T/gazette.tsv" \
    "$OVER" "$MIN" "$LABEL"

# sent mail: not checked: the bounces are mail to gazette (a corpus it classifies); it sends none (tests/integration/sent_mail.sh)
