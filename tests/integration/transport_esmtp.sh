#!/bin/sh
# transport_esmtp: every SMTP case of transport_smtp.sh (real servers on 127.0.0.1, bytes
# checked as they arrive), run against the libESMTP transport instead of libcurl.
# SPDX-License-Identifier: MIT
: "${TOP:=$(pwd)}"
TRANSPORT=esmtp exec sh "$TOP/tests/integration/transport_smtp.sh"

# sent mail: not checked: it runs transport_smtp.sh (same reason) (tests/integration/sent_mail.sh)
