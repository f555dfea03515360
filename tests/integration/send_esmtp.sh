#!/bin/sh
# send_esmtp: every case of send.sh (gazette send against real servers on 127.0.0.1),
# run with smtp.transport esmtp (libESMTP) instead of smtp (libcurl).
# SPDX-License-Identifier: MIT
: "${TOP:=$(pwd)}"
TRANSPORT=esmtp exec sh "$TOP/tests/integration/send.sh"

# sent mail: not checked: it runs send.sh, which checks what it sent (tests/integration/sent_mail.sh)
