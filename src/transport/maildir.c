/*
 * transport_maildir: deliver into a local Maildir (the default transport, and `make run`):
 * write tmp/NAME, fsync, rename to new/NAME, fsync new/ (maildir(5); cr.yp.to/proc/
 * maildir.html).  Messages are stored as a local delivery agent stores them: LF line ends
 * and a Return-Path (RFC 5321 4.4) and Delivered-To line on top.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "config.h"
#include "diag.h"
#include "text.h"
#include "transport.h"
#include "util.h"

#define MAILDIR_HOST_MAX 256        /* gethostname() result, escaped */
#define MAILDIR_ID_MAX 64           /* characters of transport_msg.id kept in the name */
#define MAILDIR_NAME_MAX 512
#define MAILDIR_TRIES 100           /* name collisions before giving up */

struct transport {
    char *dir;
    char host[MAILDIR_HOST_MAX];
};

/* Deliveries by this process, for unique names across threads (maildir's "Q" part). */
static atomic_ulong deliveries;

static char *
path_join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = xmalloc(n);

    snprintf(p, n, "%s/%s", a, b);
    return p;
}

/* The host part of a name: "/" and ":" would break the name, so escape them as the
   maildir page says (\057, \072). */
static void
maildir_host(char *out, size_t size)
{
    char h[MAILDIR_HOST_MAX / 4];
    size_t o = 0;

    if (gethostname(h, sizeof(h)) != 0 || h[0] == '\0')
        snprintf(h, sizeof(h), "localhost");
    h[sizeof(h) - 1] = '\0';
    for (size_t i = 0; h[i] != '\0' && o + 5 < size; i++) {
        if (h[i] == '/' || h[i] == ':') {
            snprintf(out + o, size - o, "\\%03o", (unsigned char)h[i]);
            o += 4;
        } else {
            out[o++] = h[i];
        }
    }
    out[o] = '\0';
}

static int
make_dir(const char *p, struct diag *d)
{
    struct stat st;

    if (mkdir(p, 0700) == -1 && errno != EEXIST) {
        diag_set(d, EX_CANTCREAT, "%s: cannot create the Maildir folder: %s", p,
            strerror(errno));
        return -1;
    }
    if (stat(p, &st) == -1 || !S_ISDIR(st.st_mode)) {
        diag_set(d, EX_CANTCREAT, "%s: not a folder; paths.outbox must name a Maildir", p);
        return -1;
    }
    if (access(p, W_OK | X_OK) == -1) {
        diag_set(d, EX_CANTCREAT, "%s: cannot write here: %s", p, strerror(errno));
        return -1;
    }
    return 0;
}

static void maildir_close(struct transport *t);

static struct transport *
maildir_open(const struct transport_opts *o, struct diag *d)
{
    static const char *const subs[] = { "tmp", "new", "cur" };
    const char *dir = NULL;
    struct transport *t;

    if (o != NULL)
        dir = o->maildir != NULL ? o->maildir :
            o->cfg != NULL ? o->cfg->paths.outbox : NULL;
    if (dir == NULL || dir[0] == '\0') {
        diag_set(d, EX_CONFIG, "no Maildir folder is set; add paths: outbox: outbox");
        return NULL;
    }
    t = xcalloc(1, sizeof(*t));
    t->dir = xstrdup(dir);
    maildir_host(t->host, sizeof(t->host));
    if (make_dir(t->dir, d) == -1)
        goto fail;
    for (size_t i = 0; i < ARRAY_LEN(subs); i++) {
        char *p = path_join(t->dir, subs[i]);
        int rc = make_dir(p, d);

        free(p);
        if (rc == -1)
            goto fail;
    }
    return t;
fail:
    maildir_close(t);
    return NULL;
}

/* The stored form: the two trace lines, then the message with CRLF turned into LF. */
static char *
stored_form(const struct transport_msg *m, size_t *lenp)
{
    const char *from = m->from != NULL ? m->from : "";
    size_t head = strlen(from) + strlen(m->rcpt) + 64, o;
    char *out = xmalloc(head + m->len + 1);

    o = (size_t)snprintf(out, head, "Return-Path: <%s>\nDelivered-To: %s\n", from, m->rcpt);
    for (size_t i = 0; i < m->len; i++) {
        if (m->data[i] == '\r' && i + 1 < m->len && m->data[i + 1] == '\n')
            continue;
        out[o++] = m->data[i];
    }
    out[o] = '\0';
    *lenp = o;
    return out;
}

static void
fail_result(struct transport_result *r, const char *what, const char *path)
{
    r->outcome = TRANSPORT_FATAL;
    r->stage = TRANSPORT_STAGE_MAILDIR;
    snprintf(r->text, sizeof(r->text), "%s %s: %s", what, path, strerror(errno));
}

static int
maildir_send(struct transport *t, const struct transport_msg *m, struct transport_result *r)
{
    char name[MAILDIR_NAME_MAX], id[MAILDIR_ID_MAX + 2] = "";
    char *tmpdir = NULL, *newdir = NULL, *tmppath = NULL, *newpath = NULL, *text = NULL;
    double t0 = mono_now();
    size_t len;
    int fd = -1;

    memset(r, 0, sizeof(*r));
    r->stage = TRANSPORT_STAGE_MAILDIR;
    if (m->rcpt == NULL || m->rcpt[0] == '\0' || text_has_ascii_control(m->rcpt, strlen(m->rcpt)) ||
        strlen(m->rcpt) > ADDR_MAX) {
        r->outcome = TRANSPORT_PERMFAIL;
        r->stage = TRANSPORT_STAGE_RCPT;
        snprintf(r->text, sizeof(r->text), "the recipient is empty, too long or contains "
            "a control character");
        goto out;
    }
    if (m->from != NULL && text_has_ascii_control(m->from, strlen(m->from))) {
        r->outcome = TRANSPORT_FATAL;
        r->stage = TRANSPORT_STAGE_MAIL;
        snprintf(r->text, sizeof(r->text), "the sender contains a control character");
        goto out;
    }
    if (m->id != NULL && m->id[0] != '\0') {
        size_t k = 0;

        id[k++] = '_';
        for (size_t i = 0; m->id[i] != '\0' && k < sizeof(id) - 1; i++)
            id[k++] = IS_ALNUM(m->id[i]) || m->id[i] == '-' ? m->id[i] : '_';
        id[k] = '\0';
    }
    tmpdir = path_join(t->dir, "tmp");
    newdir = path_join(t->dir, "new");
    for (int tries = 0; fd == -1 && tries < MAILDIR_TRIES; tries++) {
        struct timeval tv;

        gettimeofday(&tv, NULL);
        /* time.MusecPpidQn.host, with the caller's id: unique per host (maildir(5)). */
        snprintf(name, sizeof(name), "%lld.M%06ldP%ldQ%lu%s.%s", (long long)tv.tv_sec,
            (long)tv.tv_usec, (long)getpid(), atomic_fetch_add(&deliveries, 1) + 1, id,
            t->host);
        free(tmppath);
        tmppath = path_join(tmpdir, name);
        fd = open(tmppath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd == -1 && errno != EEXIST) {
            fail_result(r, "cannot create", tmppath);
            break;
        }
    }
    if (fd == -1) {
        if (r->text[0] == '\0') {
            errno = EEXIST;
            fail_result(r, "no unique file name in", tmpdir);
        }
        free(tmppath);
        tmppath = NULL;                     /* not ours: never unlink it */
        goto out;
    }
    text = stored_form(m, &len);
    if (write_all(fd, text, len) == -1 || fsync(fd) == -1) {
        fail_result(r, "cannot write", tmppath);
        goto out;
    }
    if (close(fd) == -1) {
        fd = -1;
        fail_result(r, "cannot write", tmppath);
        goto out;
    }
    fd = -1;
    newpath = path_join(newdir, name);
    if (m->before_end != NULL && m->before_end(m->before_end_arg) != 0) {
        r->outcome = TRANSPORT_TEMPFAIL;
        r->stage = TRANSPORT_STAGE_JOURNAL;
        snprintf(r->text, sizeof(r->text), "the journal could not be written; the message "
            "was not delivered");
        goto out;
    }
    if (rename(tmppath, newpath) == -1) {
        fail_result(r, "cannot move the message to", newpath);
        goto out;
    }
    free(tmppath);
    tmppath = NULL;                         /* delivered: nothing to clean up */
    r->outcome = TRANSPORT_SENT;
    if (fsync_dir(newdir) == -1)
        /* In new/ already, but a crash now could lose the rename: say so. */
        snprintf(r->text, sizeof(r->text), "new/%.160s (folder not synced: %.60s)", name,
            strerror(errno));
    else
        snprintf(r->text, sizeof(r->text), "new/%.240s", name);
out:
    if (fd != -1)
        close(fd);
    if (tmppath != NULL)
        unlink(tmppath);                    /* a half-written file must not stay in tmp/ */
    free(tmppath);
    free(newpath);
    free(tmpdir);
    free(newdir);
    free(text);
    r->latency = mono_now() - t0;
    return r->outcome == TRANSPORT_SENT ? 0 : -1;
}

static int
maildir_probe(struct transport *t, struct transport_result *r)
{
    static const char *const subs[] = { "tmp", "new" };

    memset(r, 0, sizeof(*r));
    r->stage = TRANSPORT_STAGE_MAILDIR;
    r->outcome = TRANSPORT_SENT;
    for (size_t i = 0; i < ARRAY_LEN(subs); i++) {
        char *p = path_join(t->dir, subs[i]);

        if (access(p, W_OK | X_OK) == -1) {
            fail_result(r, "cannot write to", p);
            free(p);
            return -1;
        }
        free(p);
    }
    snprintf(r->text, sizeof(r->text), "%s is a writable Maildir", t->dir);
    return 0;
}

static void
maildir_close(struct transport *t)
{
    if (t == NULL)
        return;
    free(t->dir);
    free(t);
}

const struct transport_ops transport_maildir_ops = {
    .name = "maildir",
    .open = maildir_open,
    .send = maildir_send,
    .probe = maildir_probe,
    .close = maildir_close,
};
