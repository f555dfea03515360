#!/bin/sh
# gazette.yaml: defaults, the shipped example, and one bad-input fixture per kind of
# mistake, each with the exact error line it must produce.
. "$TOP/tests/lib.sh"
D="$TOP/tests/data/config"
cd "$T" || exit 1

run_g --version
expect_rc 0 "--version" && expect_out "gazette " "--version names gazette"
run_g --help
expect_rc 0 "--help" && expect_out "subscribers" "--help lists subscribers"
run_g
expect_rc 64 "no command is a usage error"
run_g frobnicate
expect_rc 64 "unknown command" && expect_err 'unknown command "frobnicate"' "unknown command named"
run_g check --help
expect_rc 0 "check --help"

# built-in defaults when there is no gazette.yaml
: >subscribers.yaml
mkdir articles
run_g check
expect_rc 0 "check with built-in defaults and an empty list"
check "check is quiet on success" [ ! -s "$T/out" -a ! -s "$T/err" ]
run_g check --print-config
expect_out "transport: maildir" "the default transport is the local Maildir"
expect_out "tls_verify: true" "certificate verification is on by default"

# the shipped example loads as it is
cp "$TOP/gazette.yaml.example" gazette.yaml
cp "$TOP/subscribers.yaml.example" subscribers.yaml
printf 'a-test-secret-that-is-long-enough-to-pass\n' >secret.txt
chmod 600 secret.txt
run_g check
expect_rc 0 "the shipped examples pass check"
mkdir sub && cp gazette.yaml sub/ && cp subscribers.yaml sub/
run_g -c sub/gazette.yaml subscribers count
check "paths in a config elsewhere are relative to it" [ "$(cat "$T/out")" = 4 ]
rm -f gazette.yaml

# every bad fixture: exit 78 (EX_CONFIG) and the exact message
while IFS='|' read -r file want; do
    [ -n "$file" ] || continue
    run_g -c "$D/$file" check
    if [ "$rc" = 78 ] && grep -qxF "gazette: $D/$file:$want" "$T/err"; then
        ok "$file: $want"
    else
        not_ok "$file: exit $rc, want 78 and '$want'"
        sed 's/^/#   /' "$T/err"
    fi
done <<'LIST'
misspelt-key.yaml|3:3: unknown key "form" in newsletter; did you mean "from"?
misspelt-section.yaml|1:1: unknown section "smtps"; did you mean "smtp"?
bad-from.yaml|2:9: newsletter.from: "not an address" is not a valid address: the address contains white space outside quotes; remove it (or quote the local part, as in "jane doe"@example.com, if the space belongs there)
bad-int.yaml|2:16: smtp.connections: "lots" is not allowed; write a whole number from 1 to 64 (parallel connections)
out-of-range.yaml|2:16: smtp.connections: "1000" is not allowed; write a whole number from 1 to 64 (parallel connections)
bad-enum.yaml|2:13: smtp.starttls: "sometimes" is not a choice; write required, opportunistic or off
bad-bool.yaml|2:15: smtp.tls_verify: expected true or false, found a string
missing-url.yaml|2:3: smtp.url is required with transport "smtp"; add url: smtp://host:587
bad-url.yaml|2:8: smtp.url: "http://mail.example.org" is not an SMTP address; write smtp://host:587 or smtps://host:465
wrong-type.yaml|2:9: newsletter.name: expected a short title, found a list
control.yaml|2:9: newsletter.name: control characters (such as line breaks) are not allowed here; write a short title on one line
syntax.yaml|2:1: YAML syntax error: did not find expected ',' or '}' while parsing a flow mapping
password-no-user.yaml|2:3: smtp: a password is set but no username; add username:
duplicate.yaml|3:3: duplicate key "outbox"; each key may appear once in a map
bad-port.yaml|3:32: smtp.url: "99999" is not a port; write a number from 1 to 65535, as in smtp://host:587
bad-port-zero.yaml|3:43: smtp.url: "0" is not a port; write a number from 1 to 65535, as in smtp://host:587
LIST

run_g -c missing.yaml check
expect_rc 66 "an explicit config that does not exist: EX_NOINPUT"
expect_err "missing.yaml: cannot read" "missing config named"

# the password never travels on the command line: there is no option for it
run_g check --password secret
expect_rc 64 "no --password option exists"
check "help mentions no password option" sh -c '! "$GAZETTE" --help | grep -qi password'

# check --smtp: connect and quit
run_g -v check --smtp
expect_rc 0 "check --smtp with the Maildir default"
port=$(free_port)
printf 'smtp:\n  transport: smtp\n  url: smtp://127.0.0.1:%s\n  starttls: off\n' "$port" >unreach.yaml
: >subscribers.yaml
run_g -c unreach.yaml check --smtp
expect_rc 75 "check --smtp against a closed port: EX_TEMPFAIL"
expect_err "Couldn't connect" "and says it could not connect"

# sent mail: not checked: no message is sent or written (tests/integration/sent_mail.sh)
