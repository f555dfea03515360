/*
 * cmd/secret: "gazette secret new [FILE]": a new unsubscribe-token secret (32 random
 * bytes, as 64 hex digits) in a file only its owner can read, never over an existing one.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli.h"
#include "cmd.h"
#include "config.h"
#include "diag.h"
#include "log.h"
#include "util.h"

#define SECRET_BYTES 32

static const char secret_usage[] =
    "usage: gazette secret new [FILE]\n\n"
    "Write a new unsubscribe secret (32 random bytes, in hex) to FILE, or to the config's\n"
    "newsletter.secret_file, with mode 600.  An existing file is never replaced: a new\n"
    "secret changes every subscriber's unsubscribe link.\n";

int
cmd_secret(struct cli *c, int argc, char **argv)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[SECRET_BYTES];
    char text[2 * SECRET_BYTES + 2];
    const char *path = NULL;
    struct diag d = DIAG_INIT;
    int fd, rc = 0;

    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(secret_usage, stdout);
        return 0;
    }
    if (argc < 2 || strcmp(argv[1], "new") != 0 || argc > 3)
        return cli_usage("secret", "write 'gazette secret new [FILE]'");
    if (argc == 3)
        path = argv[2];
    else {
        if (cli_config(c, &d) == -1)
            return cli_fail(&d);
        if ((path = c->cfg->newsletter.secret_file) == NULL)
            return cli_usage("secret", "give a FILE, or set newsletter.secret_file");
    }
    if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
        log_warn("no random bytes from the kernel");
        return EX_OSERR;
    }
    for (size_t i = 0; i < sizeof(raw); i++) {
        text[2 * i] = hex[raw[i] >> 4];
        text[2 * i + 1] = hex[raw[i] & 15];
    }
    text[2 * SECRET_BYTES] = '\n';
    text[2 * SECRET_BYTES + 1] = '\0';
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd == -1) {
        log_warnx("%s: %s%s", path, strerror(errno), errno == EEXIST ? "; a secret is never "
            "replaced (every unsubscribe link would change): remove it first if you mean to" :
            "");
        rc = EX_CANTCREAT;
    } else if (write_all(fd, text, sizeof(text) - 1) == -1 || fsync(fd) == -1 ||
        close(fd) == -1) {
        log_warn("%s: cannot write", path);
        unlink(path);
        rc = EX_IOERR;
    }
    explicit_bzero(raw, sizeof(raw));
    explicit_bzero(text, sizeof(text));
    return rc;
}
