# Test SMTP servers for tests/integration/*.sh, on 127.0.0.1 and free ports: the
# scriptable aiosmtpd server (smtp_server.py) and Postfix's smtp-sink.  Source after
# tests/lib.sh; the caller keeps $PIDS (and kills them in its EXIT trap) and $P (a prefix
# for messages).  Each start sets PORT, SD (the server's folder) and SPID.
SERVER="$TOP/tests/integration/smtp_server.py"
SINK=/usr/sbin/smtp-sink
n_srv=0

# start_server OPTIONS...: smtp_server.py (see its --help); every message lands in $SD
start_server() {
    n_srv=$((n_srv + 1))
    SD="$T/srv$n_srv"
    mkdir -p "$SD"
    PORT=$(free_port)
    "$PY" "$SERVER" --port "$PORT" --dir "$SD" "$@" >"$SD/stdout" 2>"$SD/stderr" &
    SPID=$!
    PIDS="$PIDS $SPID"
    i=0
    while [ ! -f "$SD/ready" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    [ -f "$SD/ready" ] || { not_ok "$P server did not start: $*"; sed 's/^/#   /' "$SD/stderr"; }
}

stop_server() { kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; }

# start_sink OPTIONS...: smtp-sink, every transaction appended to $SD/dump (never the
# Postfix daemon itself)
start_sink() {
    n_srv=$((n_srv + 1))
    SD="$T/srv$n_srv"
    mkdir -p "$SD"
    PORT=$(free_port)
    user=
    if [ "$(id -u)" = 0 ]; then
        user="-u nobody"            # smtp-sink refuses to run as root without -u
        chmod 711 "$T"
        chmod 1777 "$SD"
    fi
    # shellcheck disable=SC2086
    "$SINK" $user "$@" -D "$SD/dump" "127.0.0.1:$PORT" 64 >"$SD/stdout" 2>"$SD/stderr" &
    SPID=$!
    PIDS="$PIDS $SPID"
    i=0
    until "$PY" -c "import socket,sys; socket.create_connection(('127.0.0.1', $PORT), 1)" \
        2>/dev/null || [ $i -ge 50 ]; do sleep 0.1; i=$((i + 1)); done
}
