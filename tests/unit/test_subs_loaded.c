/*
 * test_subs_loaded: subs_apply_loaded(), the editor for a caller that has the list in
 * memory already (gazette inbox).  It must give the same file as subs_apply() when the
 * list did not change, and must not write over a change another writer made between
 * the caller's load and the edit (the file is read again then).
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "diag.h"
#include "subs.h"
#include "util.h"

static const char list[] =
    "# readers\n"
    "subscribers:\n"
    "  - email: a@example.org   # first\n"
    "    name: A\n"
    "  - email: b@example.org\n"
    "    status: active\n"
    "  - email: c@example.org\n";

static int
put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    if (f == NULL)
        return -1;
    fputs(text, f);
    return fclose(f);
}

static char *
get(const char *path)
{
    size_t n;

    return read_file(path, &n);
}

static void
bounce_b(struct subs_change *ch)
{
    memset(ch, 0, sizeof(*ch));
    ch->op = SUBS_SET_STATUS;
    ch->email = "B@example.org";
    ch->status = SUBS_BOUNCED;
}

int
main(void)
{
    char dir[] = "/tmp/gazette-subs-loaded.XXXXXX";
    char p1[64], p2[64];
    struct subs_change ch;
    struct diag d = DIAG_INIT;
    struct subs *s;
    char *t1 = NULL, *t2 = NULL;
    int rc;

    if (mkdtemp(dir) == NULL) {
        CHECK(0, "a temporary folder");
        return check_exit();
    }
    snprintf(p1, sizeof(p1), "%s/one.yaml", dir);
    snprintf(p2, sizeof(p2), "%s/two.yaml", dir);

    /* unchanged since the load: the same bytes as the editor that reads it again */
    put(p1, list);
    put(p2, list);
    bounce_b(&ch);
    rc = subs_apply(p1, &ch, 1, 1000, &d);
    CHECK(rc == 0 && ch.done == SUBS_DONE_UPDATED, "subs_apply sets b bounced (%s)", d.msg);
    s = subs_load(p2, SUBS_MISSING_OK, NULL, &d);
    bounce_b(&ch);
    rc = s != NULL ? subs_apply_loaded(s, p2, &ch, 1, 1000, &d) : -1;
    CHECK(rc == 0 && ch.done == SUBS_DONE_UPDATED, "subs_apply_loaded sets b bounced (%s)",
        d.msg);
    t1 = get(p1);
    t2 = get(p2);
    CHECK(t1 != NULL && t2 != NULL && strcmp(t1, t2) == 0,
        "the loaded list gives the file subs_apply gives, byte for byte");
    CHECK(t2 != NULL && strstr(t2, "  - email: b@example.org\n    status: bounced\n") != NULL &&
        strstr(t2, "# first\n") != NULL, "only b's status changed; comments stay");
    free(t1);
    free(t2);

    /* changed by another writer after the load: that change survives, and ours applies */
    put(p2, list);
    s = subs_load(p2, SUBS_MISSING_OK, NULL, &d);
    put(p2, "subscribers:\n  - email: b@example.org\n  - email: new@example.org\n");
    bounce_b(&ch);
    rc = s != NULL ? subs_apply_loaded(s, p2, &ch, 1, 1000, &d) : -1;
    t2 = get(p2);
    CHECK(rc == 0 && t2 != NULL && strcmp(t2, "subscribers:\n  - email: b@example.org\n"
        "    status: bounced\n  - email: new@example.org\n") == 0,
        "a list changed since the load is read again: the other writer's edit stays");
    free(t2);

    /* gone since the load: no entry to change, nothing written from the old copy */
    put(p2, list);
    s = subs_load(p2, SUBS_MISSING_OK, NULL, &d);
    unlink(p2);
    bounce_b(&ch);
    rc = s != NULL ? subs_apply_loaded(s, p2, &ch, 1, 1000, &d) : -1;
    CHECK(rc == 0 && ch.done == SUBS_DONE_REJECTED && access(p2, F_OK) != 0,
        "a list removed since the load is not written back from the old copy");

    unlink(p1);
    unlink(p2);
    snprintf(p1, sizeof(p1), "%s/.one.yaml.lock", dir);
    snprintf(p2, sizeof(p2), "%s/.two.yaml.lock", dir);
    unlink(p1);
    unlink(p2);
    rmdir(dir);
    return check_exit();
}
