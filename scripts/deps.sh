#!/bin/sh
# The one list of what gazette needs from Debian, and the one place that installs it.
# deps.sh install   install what is missing (as root), or say what to install
# deps.sh list      print the package names
set -eu

PACKAGES="build-essential pkg-config libcurl4-openssl-dev libyaml-dev libidn2-dev \
libcmark-dev libesmtp-dev libssl-dev postfix python3 python3-aiosmtpd python3-yaml \
python3-dkim python3-idna openssl clang libclang-rt-14-dev strace"
PACKAGES="$PACKAGES libxml2-dev libjson-c-dev"
PACKAGES="$PACKAGES libmicrohttpd-dev curl"
PACKAGES="$PACKAGES libgmime-3.0-dev libsisimai-perl"   # issue 13: gazette inbox, its reference

missing() {
    for p in $PACKAGES; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
            printf '%s ' "$p"
    done
}

case "${1:-install}" in
list)
    echo $PACKAGES
    ;;
install)
    need=$(missing)
    [ -z "$need" ] && exit 0
    if [ "$(id -u)" != 0 ]; then
        echo "gazette: missing Debian packages: $need" >&2
        echo "gazette: install them as root: apt-get install $need" >&2
        exit 69
    fi
    echo "gazette: installing $need" >&2
    # postfix is wanted for its smtp-sink/smtp-source test tools only: no mail system.
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || true
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $need >&2
    # never leave the Postfix daemon running
    if command -v postfix >/dev/null 2>&1; then postfix stop >/dev/null 2>&1 || true; fi
    ;;
*)
    echo "usage: deps.sh install|list" >&2
    exit 64
    ;;
esac
