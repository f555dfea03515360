/*
 * serve: `gazette serve`, the small HTTP server (libmicrohttpd) through which subscribers
 * manage themselves: one-click unsubscribe (RFC 8058) at the newsletter's unsubscribe
 * URL, sign-up with double opt-in, confirm, resubscribe.  Meant to sit behind nginx or
 * Caddy for TLS.  Accepted requests go to the durable request log (reqlog.h) before
 * the answer; a timer applies them to subscribers.yaml in batches.
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_SERVE_H
#define GAZETTE_SERVE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "diag.h"

struct config;

struct serve_opts {
    const struct config *cfg;   /* borrowed */
    const char *subs_path;      /* the list requests are applied to */
    const char *listen;         /* NULL: cfg->serve.listen */
    unsigned timeout;           /* seconds a connection may stay idle (slow clients) */
};

/*
 * Check what the server needs: the listen address, the unsubscribe URL's shape (the path
 * the server answers, {{email}} and {{token}} in its query), a secret, base_url for
 * confirmation links, and that every web template parses.  fn gets one diag per problem;
 * returns the number of problems.
 */
int serve_check(const struct serve_opts *o, void (*fn)(void *ctx, const struct diag *problem),
    void *ctx);

/*
 * Listen and serve until SIGINT or SIGTERM; then stop taking requests, answer those in
 * flight, apply every accepted request to the list and return 0.  Errors: EX_CONFIG
 * (serve_check's problems), EX_UNAVAILABLE when the address cannot be listened on,
 * EX_CANTCREAT for the request log.
 */
int serve_run(const struct serve_opts *o, struct diag *d);

/* ---- gazette preview --serve ------------------------------------------------------ */

/* One rendering of the preview, filled by the caller's render function. */
struct preview_page {
    struct diag err;            /* set: show this instead (a template error, with its place) */
    struct buf subject, to, html, text, eml, report;
    char **subscribers;         /* addresses for the picker (heap, each heap) */
    size_t nsubscribers;
    char *current;              /* the address shown (heap) */
};

struct preview_opts {
    int port;                               /* on 127.0.0.1 only; 0: any free port */
    /* Render the message for subscriber (NULL: the default one) into pg. */
    void (*render)(void *ctx, const char *subscriber, struct preview_page *pg);
    void *ctx;
    const char *const *watch;               /* files and folders whose changes reload */
    size_t nwatch;
};

void preview_page_init(struct preview_page *pg);
void preview_page_fini(struct preview_page *pg);

/*
 * Serve the live preview on 127.0.0.1:port until SIGINT or SIGTERM: the page shows the
 * HTML at 600 and 375 px, the text, the raw source, the lint report, a subscriber picker
 * and a dark-mode toggle; a change under watch (inotify) makes open pages reload
 * (Server-Sent Events).  A render error is shown in the page; the server keeps running.
 * Errors: EX_UNAVAILABLE (cannot listen), EX_OSERR (inotify).
 */
int serve_preview(const struct preview_opts *o, struct diag *d);

#endif
