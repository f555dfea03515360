#!/bin/sh
# Silent no-ops under cron (issue 14 item 8): `gazette send` in a folder with no config,
# or with a config whose articles folder or list does not exist, is an error (66) with the
# reason, also without -v; "nothing new" stays silent; `subscribers list` without a list
# file is an error too.
. "$TOP/tests/lib.sh"
cd "$T" || exit 1
mkdir empty
(cd empty && "$GAZETTE" send >"$T/out" 2>"$T/err"); rc=$?
expect_rc 66 "send in a folder with no config, no articles, no list"
expect_err "gazette: subscribers.yaml: cannot read the subscriber list" "it names the missing list"
expect_err "cd in the cron line" "and hints at the cron line's cd"

mkdir nl && cd nl || exit 1
printf 'newsletter:\n  from: news@example.org\npaths:\n  articles: posts\n' >gazette.yaml
printf 'subscribers:\n  - email: r1@example.org\n' >subscribers.yaml
run_g send
expect_rc 66 "a config whose articles folder does not exist"
expect_err "gazette: posts: the articles folder (paths.articles) does not exist" \
    "the missing folder is named"
run_g -v send
expect_rc 66 "the same with -v"
mkdir posts
run_g send
expect_rc 0 "nothing new"
check "nothing new is silent" [ ! -s "$T/out" ] && [ ! -s "$T/err" ]
mv subscribers.yaml list.bak
run_g send
expect_rc 66 "no list, nothing new: still an error"
run_g subscribers list
expect_rc 66 "subscribers list without a list file"
expect_err "subscribers.yaml: cannot read the subscriber list" "subscribers list names the file"
run_g subscribers count
expect_rc 66 "subscribers count without a list file"
run_g subscribers add ann@example.org
expect_rc 0 "subscribers add creates the list"
check "the list now exists" test -s subscribers.yaml

# sent mail: not checked: every send here is a no-op or an error: nothing is mailed (tests/integration/sent_mail.sh)
