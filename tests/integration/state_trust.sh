#!/bin/sh
# The state folder is trusted only as far as gazette can vouch for it (issue 10, item 1):
# nothing in it is followed through a symbolic link (journal, lock, log file), a folder
# that others own or may write is refused with the fix, and a manifest gazette did not
# sign is never used to pick what is mailed.
# SPDX-License-Identifier: MIT
. "$TOP/tests/lib.sh"
cd "$T" || exit 1
mkdir articles
cat >gazette.yaml <<'YAML'
newsletter:
  postal_address: 1 Example Street, 75001 Paris
  unsubscribe_mailto: unsub@example.org
  from: news@example.org
paths:
  outbox: outbox
YAML
printf 'subscribers:\n' >subscribers.yaml
for i in 1 2 3 4; do printf '  - email: r%s@example.org\n' "$i" >>subscribers.yaml; done
printf 'title: First\nurl: https://example.org/1\ndate: 2026-11-01\nbody: One.\n' >articles/a1.yaml
printf 'precious\n' >victim.txt

# --- a symlinked journal is refused, its target untouched ------------------------------
run_g send --limit 2
expect_rc 0 "a first run that stops after 2 of 4"
mv state/campaigns/issue-1.journal journal.keep
ln -s "$T/victim.txt" state/campaigns/issue-1.journal
run_g send
expect_rc 77 "a journal that is a symbolic link is refused"
expect_err "symbolic link" "the error says it is a symbolic link"
check "the link's target is unchanged" [ "$(cat victim.txt)" = precious ]
rm state/campaigns/issue-1.journal
mv journal.keep state/campaigns/issue-1.journal

# --- a symlinked lock file ---------------------------------------------------------------
ln -s "$T/newlock" state/campaigns/issue-1.lock 2>/dev/null ||
    { rm -f state/campaigns/issue-1.lock; ln -s "$T/newlock" state/campaigns/issue-1.lock; }
run_g send
check "a lock file that is a symbolic link is refused (exit $rc)" [ "$rc" != 0 ]
check "and its target is not created" [ ! -e "$T/newlock" ]
rm -f state/campaigns/issue-1.lock

# --- a symlinked log file ----------------------------------------------------------------
sed -i 's|^  outbox: outbox|  outbox: outbox\n  log_file: state/send.log|' gazette.yaml
ln -s "$T/victim.txt" state/send.log
run_g send
check "a log file that is a symbolic link is refused (exit $rc)" [ "$rc" != 0 ]
check "and its target is unchanged" [ "$(cat victim.txt)" = precious ]
rm state/send.log

# --- folder owner and mode ---------------------------------------------------------------
chmod 770 state
run_g send
expect_rc 77 "a group-writable state folder is refused"
expect_err "chmod go-w" "the error says how to fix it"
chmod 700 state
chmod 707 state/campaigns
run_g status
expect_rc 77 "a world-writable campaigns folder is refused (status too)"
chmod 700 state/campaigns
mv state/campaigns state/real
ln -s real state/campaigns
run_g send
expect_rc 77 "a campaigns folder that is a symbolic link is refused"
rm state/campaigns
mv state/real state/campaigns

# --- planted manifests -------------------------------------------------------------------
run_g send
expect_rc 0 "the campaign finishes"
check "it was sent to all 4" [ "$(ls outbox/new | wc -l)" = 4 ]
check "the manifest gazette wrote carries its signature" \
    grep -q '^# gazette-signature: [0-9a-f]\{64\}$' state/campaigns/issue-1.issue
check "the key is private" [ "$(stat -c %a state/.key)" = 600 ]
printf 'SECRET-PRIVATE-DATA\n' >private.txt
printf 'number: 9\ndate: 2026-11-09\narticles:\n  - %s\n' "$T/private.txt" \
    >state/campaigns/planted.issue
run_g send
expect_rc 65 "a planted unsigned manifest stops the run"
expect_err "not written by gazette" "and says so"
check "nothing was mailed from it" sh -c '! grep -rq SECRET-PRIVATE-DATA outbox'
# a copied signature does not fit another manifest's content
sig=$(tail -n 1 state/campaigns/issue-1.issue)
printf 'number: 9\ndate: 2026-11-09\narticles:\n  - %s\n%s\n' "$T/private.txt" "$sig" \
    >state/campaigns/planted.issue
run_g send --campaign planted
expect_rc 65 "a manifest with another manifest's signature is refused"
check "nothing was mailed from it" sh -c '! grep -rq SECRET-PRIVATE-DATA outbox'
# an edited signed manifest of a done campaign: history only, never composed again
rm state/campaigns/planted.issue
sed -i "s|$T/articles/a1.yaml|$T/private.txt|" state/campaigns/issue-1.issue
run_g status
expect_rc 0 "a done campaign's unsigned manifest still counts as history (older gazettes)"
run_g send --campaign issue-1
expect_rc 65 "but it is never composed and sent again"
expect_err "not written by gazette" "and says so"
run_g send --retry-failed issue-1
expect_rc 65 "nor by --retry-failed"
check "nothing was mailed from it" sh -c '! grep -rq SECRET-PRIVATE-DATA outbox'

# every message this test made, held to the checklist (issue 9: tests/lib.sh)
check_sent_mail
