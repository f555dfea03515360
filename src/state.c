/*
 * state: trust in the state folder (owner and mode checks, no symbolic links followed,
 * signed manifests).  Sits under campaign.c, journal.c and the mailer's log file; see
 * include/state.h for the rules and README.md "Security" for why.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "buf.h"
#include "diag.h"
#include "state.h"
#include "util.h"

#define SIG_HEX (2 * 32)                /* HMAC-SHA256, in hex */

static int
check_one(const char *dir, struct diag *d)
{
    struct stat st;
    if (lstat(dir, &st) == -1 && errno == ENOENT)
        return 0;           /* made later, mode 700, by whoever writes there first */
    if (lstat(dir, &st) == -1) {
        diag_set(d, EX_IOERR, "cannot read the state folder %s: %s", dir, strerror(errno));
        return -1;
    }
    if (S_ISLNK(st.st_mode)) {
        /* The configured state_dir itself may be a link the user made: follow that one
           only, and check what it points to. */
        if (stat(dir, &st) == -1) {
            diag_set(d, EX_IOERR, "cannot read the state folder %s: %s", dir,
                strerror(errno));
            return -1;
        }
    }
    if (!S_ISDIR(st.st_mode)) {
        diag_set(d, EX_CANTCREAT, "the state folder %s is not a folder; remove it or set "
            "paths.state_dir to a folder", dir);
        return -1;
    }
    if (st.st_uid != geteuid()) {
        diag_set(d, EX_NOPERM, "the state folder %s belongs to user %ld, not to you (%ld): "
            "another user could plant files there; run gazette as its owner, or fix it with "
            "'chown -R %ld %s'", dir, (long)st.st_uid, (long)geteuid(), (long)geteuid(), dir);
        return -1;
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        diag_set(d, EX_NOPERM, "the state folder %s is writable by %s: another user could "
            "plant files there; fix it with 'chmod go-w %s'", dir,
            (st.st_mode & S_IWOTH) ? "everyone" : "its group", dir);
        return -1;
    }
    return 0;
}

int
state_dir_check(const char *dir, const char *sub, struct diag *d)
{
    struct buf p;
    struct stat st;
    int rc;

    if (check_one(dir, d) == -1)
        return -1;
    if (sub == NULL)
        return 0;
    buf_init(&p, 0);
    buf_putf(&p, "%s/%s", dir, sub);
    if (lstat(buf_str(&p), &st) == 0 && S_ISLNK(st.st_mode)) {
        diag_set(d, EX_NOPERM, "%s is a symbolic link; gazette follows no link inside its "
            "state folder: remove it (and check who made it)", buf_str(&p));
        buf_fini(&p);
        return -1;
    }
    rc = check_one(buf_str(&p), d);
    buf_fini(&p);
    return rc;
}

int
state_open(const char *path, int flags, unsigned mode, struct diag *d)
{
    int fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC, (mode_t)mode);

    if (fd >= 0)
        return fd;
    if (errno == ELOOP)
        diag_set(d, EX_NOPERM, "%s is a symbolic link; gazette follows no link in its state "
            "folder (it would write where the link points): remove it, and check who made "
            "it", path);
    else
        diag_set(d, (flags & O_CREAT) ? EX_CANTCREAT : EX_IOERR, "cannot open %s: %s", path,
            strerror(errno));
    return -1;
}

char *
state_read(const char *path, size_t *lenp, struct diag *d)
{
    struct stat st;
    char *text = NULL;
    size_t off = 0;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);

    if (fd == -1) {
        int e = errno;

        if (e != ENOENT)
            state_open(path, O_RDONLY, 0, d);   /* the same message as an open */
        errno = e;
        return NULL;
    }
    if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size > STATE_FILE_MAX) {
        diag_set(d, EX_IOERR, "%s is not a regular file of at most %ld bytes; gazette "
            "wrote no such thing: remove it", path, STATE_FILE_MAX);
        close(fd);
        errno = EINVAL;
        return NULL;
    }
    text = xmalloc((size_t)st.st_size + 1);
    while (off < (size_t)st.st_size) {
        ssize_t n = read(fd, text + off, (size_t)st.st_size - off);

        if (n == -1 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    close(fd);
    text[off] = '\0';
    if (lenp != NULL)
        *lenp = off;
    return text;
}

/* STATE/.key: made once with random bytes; only its owner may read it. */
static int
load_key(const char *state_dir, unsigned char key[STATE_KEY_LEN], struct diag *d)
{
    struct buf p;
    struct stat st;
    int fd, rc = -1;
    size_t got = 0;

    buf_init(&p, 0);
    buf_putf(&p, "%s/.key", state_dir);
    fd = open(buf_str(&p), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd == -1 && errno == ENOENT) {
        if (getrandom(key, STATE_KEY_LEN, 0) != STATE_KEY_LEN) {
            diag_set(d, EX_OSERR, "no random bytes from the kernel: %s", strerror(errno));
            goto out;
        }
        fd = open(buf_str(&p), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0) {
            if (write_all(fd, key, STATE_KEY_LEN) == -1 || fsync(fd) == -1 ||
                close(fd) == -1) {
                diag_set(d, EX_IOERR, "cannot write %s: %s", buf_str(&p), strerror(errno));
                unlink(buf_str(&p));
                fd = -1;
                goto out;
            }
            rc = 0;
            goto out;
        }
        if (errno == EEXIST)                /* another run made it first */
            fd = open(buf_str(&p), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd == -1) {
        state_open(buf_str(&p), O_RDONLY, 0, d);
        goto out;
    }
    if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
        (st.st_mode & 077) != 0) {
        diag_set(d, EX_NOPERM, "%s must be a file of yours that only you can read (mode "
            "600); remove it and gazette makes a new one (unfinished campaigns then need "
            "'gazette send --campaign' again)", buf_str(&p));
        goto out;
    }
    while (got < STATE_KEY_LEN) {
        ssize_t n = read(fd, key + got, STATE_KEY_LEN - got);

        if (n == -1 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    if (got != STATE_KEY_LEN) {
        diag_set(d, EX_IOERR, "%s is shorter than %d bytes; remove it and gazette makes a "
            "new one", buf_str(&p), STATE_KEY_LEN);
        goto out;
    }
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    buf_fini(&p);
    return rc;
}

static int
mac_hex(const char *state_dir, const char *text, size_t len, char hex[SIG_HEX + 1],
    struct diag *d)
{
    static const char digits[] = "0123456789abcdef";
    unsigned char key[STATE_KEY_LEN], mac[EVP_MAX_MD_SIZE];
    size_t ml = 0;

    if (load_key(state_dir, key, d) == -1)
        return -1;
    if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, sizeof(key),
        (const unsigned char *)text, len, mac, sizeof(mac), &ml) == NULL || ml != 32) {
        explicit_bzero(key, sizeof(key));
        diag_set(d, EX_SOFTWARE, "OpenSSL could not compute an HMAC-SHA256");
        return -1;
    }
    explicit_bzero(key, sizeof(key));
    for (size_t i = 0; i < 32; i++) {
        hex[2 * i] = digits[mac[i] >> 4];
        hex[2 * i + 1] = digits[mac[i] & 15];
    }
    hex[SIG_HEX] = '\0';
    return 0;
}

int
state_sign(const char *state_dir, const char *text, size_t len, char line[96],
    struct diag *d)
{
    char hex[SIG_HEX + 1];

    if (mac_hex(state_dir, text, len, hex, d) == -1)
        return -1;
    snprintf(line, 96, "%s%s\n", STATE_SIG_PREFIX, hex);
    return 0;
}

int
state_verify(const char *state_dir, const char *text, size_t len, struct diag *d)
{
    size_t pl = strlen(STATE_SIG_PREFIX), body;
    const char *last;
    char hex[SIG_HEX + 1];

    /* the last line, which ends in "\n" */
    if (len < pl + SIG_HEX + 1 || text[len - 1] != '\n')
        return 0;
    body = len - (pl + SIG_HEX + 1);
    last = text + body;
    if ((body > 0 && text[body - 1] != '\n') || memcmp(last, STATE_SIG_PREFIX, pl) != 0)
        return 0;
    if (mac_hex(state_dir, text, body, hex, d) == -1)
        return -1;
    return CRYPTO_memcmp(hex, last + pl, SIG_HEX) == 0 ? 1 : 0;
}
