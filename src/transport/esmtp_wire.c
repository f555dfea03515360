/*
 * transport/esmtp_wire: the libESMTP transport's view of the wire.  libESMTP has no API
 * for the replies to EHLO, STARTTLS and AUTH, nor for its socket: the protocol monitor
 * follows every command and reply (RFC 5321 4.1, 4.2; RFC 2920 pipelining), keeps the
 * deadlines per reply, and stops a connection before MAIL FROM when the configured login
 * cannot happen safely.  See esmtp.c for the whole picture.
 * SPDX-License-Identifier: MIT
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "log.h"
#include "util.h"

#include "esmtp_int.h"

/* ---- deadlines: libESMTP's timeouts are per read(), so a reply that trickles in (a
   "220-" line every half second) or never ends would hold the connection, and the
   campaign's lock, for as long as the server likes.  libESMTP gives no access to its
   socket: each connection finds its own when it connects (connections are made one at a
   time, under esmtp_connect_mu, so the one new socket to the server is ours) and shuts it down
   when a deadline passes; libESMTP's next read or write then fails and the session ends
   with the reason we kept. ---- */

pthread_mutex_t esmtp_connect_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t claim_mu = PTHREAD_MUTEX_INITIALIZER;
static ino_t claimed[CLAIM_MAX];            /* sockets that belong to a connection */
static size_t nclaimed;

static bool
is_claimed(ino_t ino)
{
    for (size_t i = 0; i < nclaimed; i++)
        if (claimed[i] == ino)
            return true;
    return false;
}

/* The socket inode of a descriptor, read from its link in /proc/self/fd (name, relative to
   dfd), "socket:[INODE]", without touching the descriptor; 0 when not a socket. */
static ino_t
fd_socket_inode(int dfd, const char *name)
{
    char link[64], *end;
    ssize_t len = readlinkat(dfd, name, link, sizeof(link) - 1);
    unsigned long ino;

    if (len <= 0)
        return 0;
    link[len] = '\0';
    if (strncmp(link, "socket:[", 8) != 0)
        return 0;
    errno = 0;
    ino = strtoul(link + 8, &end, 10);
    return errno == 0 && end[0] == ']' && end[1] == '\0' ? (ino_t)ino : 0;
}

struct cand {
    int fd;
    ino_t ino;
    bool peer;                  /* its peer is the server's port */
};

/*
 * Mark the candidates whose peer is the server's port, from the kernel's TCP tables
 * (/proc/self/net/tcp and tcp6: "sl local_address rem_address st ... uid timeout inode",
 * the addresses as HEX:PORT in hexadecimal), which list every socket of the network
 * namespace: only the inodes of our own candidates are looked for.
 */
static void
mark_peers(struct cand *c, size_t n, long port)
{
    static const char *const tables[] = { "/proc/self/net/tcp", "/proc/self/net/tcp6" };

    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
        FILE *f = fopen(tables[i], "re");
        char line[512];

        if (f == NULL)
            continue;
        while (fgets(line, sizeof(line), f) != NULL) {
            char *field[10], *p = line, *colon, *end;
            size_t nf = 0;
            unsigned long rport, ino;

            while (nf < 10) {
                while (*p == ' ')
                    p++;
                if (*p == '\0' || *p == '\n')
                    break;
                field[nf++] = p;
                while (*p != ' ' && *p != '\0' && *p != '\n')
                    p++;
                if (*p != '\0')
                    *p++ = '\0';
            }
            if (nf < 10 || (colon = strchr(field[2], ':')) == NULL)
                continue;               /* the header line */
            errno = 0;
            rport = strtoul(colon + 1, &end, 16);
            if (errno != 0 || *end != '\0' || rport != (unsigned long)port)
                continue;
            ino = strtoul(field[9], &end, 10);
            if (errno != 0 || *end != '\0' || ino == 0)    /* 0: TIME_WAIT, no socket */
                continue;
            for (size_t k = 0; k < n; k++)
                if (c[k].ino == (ino_t)ino)
                    c[k].peer = true;
        }
        fclose(f);
    }
}

/*
 * Right after libESMTP connected (SMTP_EV_CONNECT), with esmtp_connect_mu held: the socket
 * to the server's port that no other connection has claimed is this connection's.  The
 * candidates are our sockets no connection has claimed, from the links in /proc/self/fd,
 * and their peers come from the kernel's TCP tables: no descriptor is touched (other
 * threads may be closing theirs), and the one used afterwards is the one found, this
 * connection's own.
 */
void
esmtp_claim_socket(struct conn *c, long port)
{
    struct cand cand[CLAIM_MAX];
    size_t ncand = 0;
    DIR *dir = opendir("/proc/self/fd");
    struct dirent *de;
    int found = -1, n = 0;
    ino_t ino = 0;

    if (dir == NULL)
        return;
    pthread_mutex_lock(&claim_mu);
    while ((de = readdir(dir)) != NULL && ncand < CLAIM_MAX) {
        ino_t fi;
        long f;

        if (parse_long(de->d_name, 3, 1 << 20, &f) == -1 || (int)f == dirfd(dir) ||
            (fi = fd_socket_inode(dirfd(dir), de->d_name)) == 0 || is_claimed(fi))
            continue;
        cand[ncand++] = (struct cand){ (int)f, fi, false };
    }
    closedir(dir);
    mark_peers(cand, ncand, port);
    for (size_t k = 0; k < ncand; k++)
        if (cand[k].peer) {
            found = cand[k].fd;
            ino = cand[k].ino;
            n++;
        }
    if (n == 1 && nclaimed < CLAIM_MAX) {
        c->sock = found;
        c->sock_ino = ino;
        claimed[nclaimed++] = ino;
    } else {
        log_debug("esmtp: %d candidate sockets at connect; this connection has no "
            "deadline of its own", n);
    }
    pthread_mutex_unlock(&claim_mu);
}

void
esmtp_unclaim_socket(struct conn *c)
{
    pthread_mutex_lock(&claim_mu);
    for (size_t i = 0; c->sock >= 0 && i < nclaimed; i++)
        if (claimed[i] == c->sock_ino) {
            claimed[i] = claimed[--nclaimed];
            break;
        }
    c->sock = -1;
    pthread_mutex_unlock(&claim_mu);
}

void
esmtp_connect_unlock(struct conn *c)
{
    if (c->connect_locked) {
        c->connect_locked = false;
        pthread_mutex_unlock(&esmtp_connect_mu);
    }
}

/* Cut the connection (from any thread): the first reason is kept for the result. */
void
esmtp_conn_kill(struct conn *c, const char *fmt, ...)
{
    va_list ap;

    pthread_mutex_lock(&claim_mu);
    if (c->killed[0] == '\0') {
        va_start(ap, fmt);
        vsnprintf(c->killed, sizeof(c->killed), fmt, ap);
        va_end(ap);
        log_debug("esmtp %s: %s; closing the connection", c->t->where, c->killed);
    }
    /* The inode check: libESMTP may have closed the socket, and the number be reused
       (read from the descriptor's link, as esmtp_claim_socket() does). */
    if (c->sock >= 0) {
        char link[32];

        snprintf(link, sizeof(link), "/proc/self/fd/%d", c->sock);
        if (fd_socket_inode(AT_FDCWD, link) == c->sock_ino)
            shutdown(c->sock, SHUT_RDWR);
    }
    pthread_mutex_unlock(&claim_mu);
}

/* ---- the protocol monitor: libESMTP has no API for the replies to EHLO, STARTTLS and
   AUTH, so the stage and reply of every command are read from the wire ---- */

void
esmtp_track_reset(struct track *tr)
{
    memset(tr, 0, sizeof(*tr));
    tr->stage = TRANSPORT_STAGE_CONNECT;
    tr->last_io = mono_now();
}

enum transport_stage
esmtp_track_peek(const struct track *tr)
{
    if (tr->n > 0)
        return tr->pending[tr->head];
    if (!tr->any_reply)
        return TRANSPORT_STAGE_CONNECT;           /* the greeting, as transport/curl.c has it */
    return tr->after_go ? TRANSPORT_STAGE_DATA : TRANSPORT_STAGE_COMMAND;
}

/* A command went out (one line of what libESMTP flushed): its reply comes in order. */
static void
command_sent(struct conn *c, const char *p, size_t n)
{
    struct track *tr = &c->tr;
    enum transport_stage stage = TRANSPORT_STAGE_COMMAND;

    /* After a 334 the line is a SASL response (RFC 4954 4), whatever it looks like. */
    if (tr->code == SMTP_AUTH_MORE && tr->stage == TRANSPORT_STAGE_AUTH) {
        stage = TRANSPORT_STAGE_AUTH;
        tr->code = 0;
    } else {
        stage = smtp_command_stage(p, n);
        if (stage == TRANSPORT_STAGE_NONE)
            stage = TRANSPORT_STAGE_COMMAND;
    }
    if (tr->n < PENDING_MAX)
        tr->pending[(tr->head + tr->n++) % PENDING_MAX] = stage;
    if (stage == TRANSPORT_STAGE_EHLO) {
        tr->cap_starttls = tr->cap_auth = tr->cap_chunking = false;
        tr->mechs[0] = '\0';
    }
    if (log_level() < LOGLEVEL_DEBUG)
        return;
    if (stage == TRANSPORT_STAGE_AUTH) {
        /* Never log credentials, not even base64-encoded (RFC 4954 14). */
        if (smtp_word_is(p, n, "AUTH") && n > 5) {
            size_t ml = 0;

            while (5 + ml < n && p[5 + ml] != ' ' && p[5 + ml] != '\r')
                ml++;
            log_debug("esmtp > AUTH %.*s (credentials not shown)", (int)ml, p + 5);
        } else {
            log_debug("esmtp > (credentials not shown)");
        }
        return;
    }
    smtp_debug_line("esmtp", ">", p, n);
}

/* The EHLO reply lists the extensions, one a line (RFC 5321 4.1.1.1). */
static void
ehlo_line(struct track *tr, const char *kw, size_t kl)
{
    if (smtp_word_is(kw, kl, "STARTTLS"))
        tr->cap_starttls = true;
    if (smtp_word_is(kw, kl, "CHUNKING"))
        tr->cap_chunking = true;        /* libESMTP then sends BDAT (RFC 3030) */
    if (smtp_word_is(kw, kl, "AUTH") && kl > 5) {
        tr->cap_auth = true;
        transport_copy_text(tr->mechs, sizeof(tr->mechs), kw + 5, kl - 5);
    }
}

static void reply_done(struct conn *c, size_t rest);
static void login_gate(struct conn *c);

/* One line of a reply; rest is how many bytes of the same read follow it. */
static void
reply_line(struct conn *c, const char *p, size_t len, size_t rest)
{
    struct track *tr = &c->tr;
    bool final;
    int code = smtp_reply_code(p, len, &final);
    bool digits = code >= 0;
    const char *q = p;
    size_t ql = len;

    smtp_debug_line("esmtp", "<", p, len);
    if (!tr->in_reply)
        tr->reading = esmtp_track_peek(tr);
    tr->any_reply = true;
    if (digits && len > SMTP_CODE_LEN + 1 && tr->reading == TRANSPORT_STAGE_EHLO)
        ehlo_line(tr, p + SMTP_CODE_LEN + 1, len - SMTP_CODE_LEN - 1);
    /* Keep "550 5.1.1 first line" and the text of the continuation lines. */
    if (!tr->in_reply) {
        tr->in_reply = true;
        tr->tl = 0;
    } else if (digits && ql > SMTP_CODE_LEN) {
        q += SMTP_CODE_LEN + 1;
        ql -= SMTP_CODE_LEN + 1;
    }
    if (tr->tl > 0 && tr->tl + 1 < sizeof(tr->text))
        tr->text[tr->tl++] = ' ';
    if (ql > sizeof(tr->text) - 1 - tr->tl)
        ql = sizeof(tr->text) - 1 - tr->tl;
    memcpy(tr->text + tr->tl, q, ql);
    tr->tl += ql;
    tr->text[tr->tl] = '\0';
    if (!final)
        return;
    tr->code = digits ? code : 0;
    reply_done(c, rest);
}

/* A complete reply: whose it is, and what it means for the connection. */
static void
reply_done(struct conn *c, size_t rest)
{
    struct track *tr = &c->tr;

    tr->stage = tr->reading;
    tr->reply_open = false;
    if (tr->n > 0) {
        tr->head = (tr->head + 1) % PENDING_MAX;
        tr->n--;
    }
    tr->in_reply = false;
    if (tr->stage == TRANSPORT_STAGE_DATA)
        tr->after_go = tr->code == SMTP_DATA_GO;
    if (tr->stage == TRANSPORT_STAGE_EHLO && tr->code / 100 == 2)
        login_gate(c);
    if (tr->code == SMTP_CLOSING)
        c->closing = true;
    if (tr->code >= 400 && tr->stage != TRANSPORT_STAGE_QUIT) {
        c->refusal_stage = tr->stage;
        c->refusal_code = tr->code;
        memcpy(c->refusal_text, tr->text, tr->tl + 1);
    }
    if (tr->stage == TRANSPORT_STAGE_AUTH) {
        if (tr->code == SMTP_AUTH_OK)
            c->authed = true;
        else if (tr->code >= 400) {
            c->auth_code = tr->code;
            memcpy(c->auth_text, tr->text, tr->tl + 1);
        }
    }
    if (tr->stage == TRANSPORT_STAGE_TLS && tr->code == SMTP_STARTTLS_READY && rest > 0) {
        /* Bytes after "220" came before the handshake, so in plain text, and libESMTP
           1.1.0 would read them as the server's first words under TLS (CVE-2011-0411's
           kind of response injection). */
        c->abort_stage = TRANSPORT_STAGE_TLS;
        c->abort_code = 0;
        snprintf(c->abort_text, sizeof(c->abort_text), "the server sent %zu bytes of plain "
            "text after its STARTTLS reply (response injection?); refusing the connection",
            rest);
    }
}

static void
server_bytes(struct conn *c, const char *p, size_t n)
{
    struct track *tr = &c->tr;

    for (size_t i = 0; i < n; i++) {
        if (!tr->reply_open) {
            tr->reply_open = true;
            tr->reply_t0 = mono_now();
            tr->reply_lines = 0;
        }
        if (p[i] == '\n') {
            tr->line_junk = 0;
            if (++tr->reply_lines > REPLY_LINES_MAX) {
                esmtp_conn_kill(c, "the server's reply has more than %d lines", REPLY_LINES_MAX);
                return;
            }
            size_t len = tr->ll;

            if (len > 0 && tr->line[len - 1] == '\r')
                len--;
            reply_line(c, tr->line, len, n - i - 1);
            tr->ll = 0;
        } else if (tr->ll < SMTP_REPLY_LINE_MAX) {
            tr->line[tr->ll++] = p[i];
        } else if (++tr->line_junk > REPLY_LINE_JUNK) {
            esmtp_conn_kill(c, "the server sent a reply line of more than %d bytes",
                REPLY_LINE_JUNK);
            return;
        }
    }
}

void
esmtp_on_monitor(const char *buf, int buflen, int writing, void *arg)
{
    struct conn *c = arg;
    size_t n = buflen > 0 ? (size_t)buflen : 0;

    c->tr.last_io = mono_now();
    if (writing == SMTP_CB_READING) {
        server_bytes(c, buf, n);
        /* libESMTP waits smtp.timeout for each read; a whole reply gets as long from
           its first byte (RFC 5321 4.5.3.2 times replies, not bytes). */
        if (c->tr.reply_open && c->tr.last_io - c->tr.reply_t0 > (double)c->t->cmd_ms / 1000.0)
            esmtp_conn_kill(c, "no complete reply within %ld s of its first line (smtp.timeout); "
                "the server keeps sending parts of one", c->t->cmd_ms / 1000);
        return;
    }
    if (writing != SMTP_CB_WRITING)
        return;
    for (const char *p = buf, *end = buf + n; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);

        if (len > 0 && p[len - 1] == '\r')
            len--;
        command_sent(c, p, len);
        p = nl != NULL ? nl + 1 : end;
    }
}

/* ---- login: libESMTP goes on to MAIL FROM when AUTH fails or is not offered ---- */

void
esmtp_set_abort(struct conn *c, enum transport_stage stage, int code, const char *fmt, ...)
{
    va_list ap;

    c->abort_stage = stage;
    c->abort_code = code;
    va_start(ap, fmt);
    vsnprintf(c->abort_text, sizeof(c->abort_text), fmt, ap);
    va_end(ap);
}

/*
 * At the last EHLO reply before MAIL FROM: with a login configured, a server that offers
 * no STARTTLS (opportunistic) or, where the login would happen, no AUTH gets no MAIL FROM
 * and no RCPT TO, as with transport/curl.c: libESMTP would go on to the envelope in clear
 * text, so the connection is cut here, before it can.
 */
static void
login_gate(struct conn *c)
{
    struct transport *t = c->t;
    struct track *tr = &c->tr;

    if (c->mode == CONN_CHECK || t->user == NULL || c->abort_stage != TRANSPORT_STAGE_NONE ||
        c->authed)
        return;
    if (!c->tls_up && t->starttls == Starttls_ENABLED && !tr->cap_starttls)
        esmtp_set_abort(c, TRANSPORT_STAGE_TLS, 0, "%s", SMTP_NO_STARTTLS);
    else if ((c->tls_up || t->starttls == Starttls_DISABLED) && !tr->cap_auth)
        esmtp_set_abort(c, TRANSPORT_STAGE_AUTH, 0, "%s", SMTP_NO_AUTH);
    else
        return;
    c->login_checked = true;
    esmtp_conn_kill(c, "%s", c->abort_text);
}

/* At the first MAIL FROM of a connection: was the configured login done? */
void
esmtp_check_login(struct conn *c)
{
    struct transport *t = c->t;

    if (c->login_checked || c->mode == CONN_CHECK || t->user == NULL)
        return;
    c->login_checked = true;
    if (c->authed || c->abort_stage != TRANSPORT_STAGE_NONE)
        return;
    if (!c->tls_up && t->starttls == Starttls_ENABLED)
        esmtp_set_abort(c, TRANSPORT_STAGE_TLS, 0, "%s", SMTP_NO_STARTTLS);
    else if (c->auth_code != 0)
        esmtp_set_abort(c, TRANSPORT_STAGE_AUTH, c->auth_code, "%s", c->auth_text);
    else if (!c->tr.cap_auth)
        esmtp_set_abort(c, TRANSPORT_STAGE_AUTH, 0, "%s", SMTP_NO_AUTH);
    else
        esmtp_set_abort(c, TRANSPORT_STAGE_AUTH, 0, "none of the server's AUTH mechanisms "
            "(%s) is one libESMTP has (PLAIN, LOGIN, CRAM-MD5)", c->tr.mechs);
    log_debug("esmtp %s: %s; the transaction will be abandoned before the data", t->where,
        c->abort_text);
}

int
esmtp_on_interact(auth_client_request_t req, char **result, int fields, void *arg)
{
    struct transport *t = arg;

    for (int i = 0; i < fields; i++) {
        if (req[i].flags & AUTH_USER)
            result[i] = t->user;
        else if (req[i].flags & AUTH_PASS)
            result[i] = t->pass;
        else
            result[i] = NULL;
        if (result[i] == NULL)
            return 0;
    }
    return 1;
}
