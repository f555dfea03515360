#!/bin/sh
# The list's ownership (issue 14 item 12): root editing subscribers.yaml (sudo) keeps its
# owner, group and mode, and leaves a lock file that the service user can still use.
# Runs only as root (it needs a second user: nobody).
. "$TOP/tests/lib.sh"
if [ "$(id -u)" != 0 ]; then
    skip "not root: the ownership of a list edited with sudo is not checked"
    exit 0
fi
if ! command -v setpriv >/dev/null 2>&1 || ! id nobody >/dev/null 2>&1; then
    skip "no setpriv or no user nobody"
    exit 0
fi
NOBODY=$(id -u nobody) NOGROUP=$(id -g nobody)
chmod 755 "$T"
mkdir "$T/nl" && cd "$T/nl" || exit 1
printf '# the list\nsubscribers:\n  - email: r1@example.org\n' >subscribers.yaml
chown "$NOBODY:$NOGROUP" . subscribers.yaml
chmod 640 subscribers.yaml
as_nobody() {
    setpriv --reuid="$NOBODY" --regid="$NOGROUP" --clear-groups "$@"
}
owner() { stat -c '%u:%g %a' "$1"; }

run_g subscribers add r2@example.org
expect_rc 0 "root adds a subscriber"
check "the list keeps its owner, group and mode ($NOBODY:$NOGROUP 640)" \
    [ "$(owner subscribers.yaml)" = "$NOBODY:$NOGROUP 640" ]
check "the lock file belongs to the list's owner" \
    [ "$(stat -c '%u:%g' .subscribers.yaml.lock)" = "$NOBODY:$NOGROUP" ]
set +e
as_nobody "$GAZETTE" subscribers add r3@example.org >"$T/out" 2>"$T/err"
rc=$?
expect_rc 0 "then the service user can still lock and change the list"
as_nobody "$GAZETTE" subscribers count >"$T/out" 2>"$T/err"
check "and read it: 3 subscribers" [ "$(cat "$T/out")" = 3 ]
check "the comment survived both edits" grep -q '^# the list' subscribers.yaml

# a lock file root made before (0600 root:root) that the list's group may only read:
# flock() on a read-only descriptor still locks
rm -f .subscribers.yaml.lock
: >.subscribers.yaml.lock
chown "0:$NOGROUP" .subscribers.yaml.lock
chmod 640 .subscribers.yaml.lock
as_nobody "$GAZETTE" subscribers add r4@example.org >"$T/out" 2>"$T/err"
rc=$?
expect_rc 0 "a lock file the service user may only read still works"

# sent mail: not checked: list ownership only: no message is written (tests/integration/sent_mail.sh)
