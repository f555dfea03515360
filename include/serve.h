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

struct config;
struct diag;

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

#endif
