/*
 * state: what gazette trusts in its state folder, and how it makes sure.  The state
 * folder (paths.state_dir) and its campaigns/ must belong to the user who runs gazette
 * and be writable by nobody else; nothing in it is followed through a symbolic link
 * (O_NOFOLLOW); and a campaign manifest is used only when it carries gazette's own
 * signature (an HMAC-SHA256 with a key kept in STATE/.key, mode 600), so a file planted
 * there can never choose what is mailed.
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_STATE_H
#define GAZETTE_STATE_H

#include <stdbool.h>
#include <stddef.h>

struct diag;

#define STATE_SIG_PREFIX "# gazette-signature: "    /* the manifest's last line */
#define STATE_KEY_LEN 32                            /* bytes of random key */
#define STATE_FILE_MAX (16L << 20)                  /* a state file gazette reads whole */

/*
 * Check the folder dir (and, when sub is not NULL, dir/sub); a missing one is fine (it
 * is made with mode 700 when first written).  Each must be a real folder (the configured
 * one may be a link to one; dir/sub may not), owned by the running user, and not
 * writable by group or others.  0, or -1 with EX_NOPERM (and how to fix it) or
 * EX_CANTCREAT.
 */
int state_dir_check(const char *dir, const char *sub, struct diag *d);
/*
 * Open path inside the state folder: flags get O_NOFOLLOW and O_CLOEXEC.  A symbolic
 * link is refused (EX_NOPERM, naming it); other errors EX_CANTCREAT (creating) or
 * EX_IOERR.  The fd, or -1.
 */
int state_open(const char *path, int flags, unsigned mode, struct diag *d);
/*
 * Read a regular file of the state folder whole (no link followed, at most
 * STATE_FILE_MAX bytes): NUL-terminated, caller frees; NULL with errno ENOENT when it is
 * absent (d untouched), else NULL with d set.
 */
char *state_read(const char *path, size_t *lenp, struct diag *d);
/*
 * The signature line for text (STATE_SIG_PREFIX, 64 hex digits, "\n") with the state
 * folder's key, made on first use.  0, or -1 with d set.
 */
int state_sign(const char *state_dir, const char *text, size_t len, char line[96],
    struct diag *d);
/*
 * Is the last line of text a valid signature of what precedes it?  1 yes, 0 no (missing
 * or wrong), -1 the key cannot be read (d set).
 */
int state_verify(const char *state_dir, const char *text, size_t len, struct diag *d);

#endif
