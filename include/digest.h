/*
 * digest: selected articles -> the rendered digest -> one message per subscriber.
 * The templates are rendered once per run with placeholders where personal values go
 * (subscriber.*, unsubscribe_url); the output is cut at the placeholders into shared
 * segments, which mime.c encodes once, and personal slots, which are filled, escaped and
 * encoded per subscriber.  A template that uses a personal value to decide what to show
 * ({{#subscriber.name}}...) is rendered in full for each subscriber instead.
 * Pipeline: article -> DIGEST -> tmpl -> mime -> transport.
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_DIGEST_H
#define GAZETTE_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct article;
struct buf;
struct config;
struct diag;
struct subscriber;
struct value;

struct digest_issue {
    long number;                /* 1, 2, ... */
    time_t date;                /* issue date; 0: today */
    const char *title;          /* "" or NULL for none */
    const char *intro;          /* plain text or NULL */
};

struct digest_opts {
    const struct config *cfg;
    const char *template_dir;   /* user templates, overriding the built-in ones per file;
                                   NULL: the config's paths.templates */
    const char *secret;         /* unsubscribe-token secret; NULL or "": tokens cannot be made */
    const char *const *summaries;   /* per-article summary overrides (NULL entries: keep) */
    const char *campaign;       /* for an X-Gazette-Campaign header, or NULL */
    const struct value *data;   /* template data to use instead of the articles' (preview
                                   --data); copied */
};

struct digest;

/*
 * Render the digest of articles[0..n) (borrowed for the digest's life) for issue.
 * Errors: EX_DATAERR (a template error with FILE:LINE:COL, a header value mime.c refuses),
 * EX_CONFIG (no unsubscribe secret while unsubscribe_url uses {{token}}), EX_NOINPUT (a
 * template file that cannot be read).  Caller frees with digest_free().
 */
struct digest *digest_new(const struct digest_opts *o, struct article *const *articles,
    size_t n, const struct digest_issue *issue, struct diag *d);
void digest_free(struct digest *g);

/*
 * Append the complete message for sub (RFC 5322, CRLF, not dot-stuffed) to out.
 * Thread-safe on one digest.  Errors: EX_DATAERR (a personal value mime.c refuses).
 */
int digest_message(const struct digest *g, const struct subscriber *sub, struct buf *out,
    struct diag *d);
/*
 * The text and HTML bodies and the subject as sub would see them (for compose/preview).
 * sub NULL: subscriber-neutral, each personal value shown as its name in braces
 * ("{{subscriber.email}}", "{{unsubscribe_url}}"), so that no real address or token leaks.
 */
int digest_parts(const struct digest *g, const struct subscriber *sub, struct buf *subject,
    struct buf *text, struct buf *html, struct diag *d);
/* This subscriber's unsubscribe URL into out ("" when none is configured): without
   unsubscribe_url, the mailto of unsubscribe_mailto, with newsletter.verp the
   subscriber's VERP address, as in List-Unsubscribe. */
void digest_unsubscribe_url(const struct digest *g, const char *addr, struct buf *out);
/* The token of addr: base64url of an HMAC-SHA256 with the secret (22 characters). */
void digest_token(const char *secret, const char *addr, char out[32]);
/*
 * With newsletter.verp: base (an address) with this subscriber's signed VERP token of the
 * digest's campaign into out (emptied first): the message's MAIL FROM for base =
 * bounce_to, the List-Unsubscribe mailto for base = unsubscribe_mailto.  -1 (out empty)
 * when VERP is off, there is no secret, or the address would be too long.
 */
int digest_verp_address(const struct digest *g, const char *base, const char *addr,
    struct buf *out);
/* HMAC-SHA256 (RFC 2104) of m[0..n) with key into mac (for verp.c).  0, or -1 (no memory). */
int digest_hmac(const char *key, const void *m, size_t n, unsigned char mac[32]);
/*
 * Check the templates (template_dir over the built-in ones) for names that the data does
 * not have (docs/TEMPLATES.md): fn gets one diag per unknown name or missing partial,
 * with the template's path, line and column and a "did you mean".  Returns the number of
 * problems, or -1 with d set when a template cannot be read or parsed.
 */
int digest_check_templates(const char *template_dir, void (*fn)(void *ctx,
    const struct diag *problem), void *ctx, struct diag *d);
/*
 * Append the date of iso ("YYYY-MM-DD...", the time ignored) as it reads in language lang
 * ("en", "de", "fr-CA", ...): "24 November 2026", "24. November 2026", "2026年11月24日";
 * a language without month names gets "2026-11-24".  Returns 0, or -1 when iso is no date.
 */
int digest_format_date(const char *iso, const char *lang, struct buf *out);
/*
 * The absolute URL the email uses for an article's image: an http(s) URL as it is, a
 * relative path against newsletter.base_url.  Returns 0, or -1 with *why saying why the
 * image cannot be made absolute (no base_url, another scheme): the email leaves it out.
 */
int digest_image_url(const struct config *c, const char *image, struct buf *out,
    const char **why);
/* Warn (log_warnx, "FILE: image ...") when a's image will be left out; returns 1 if so. */
int digest_warn_image(const struct config *c, const struct article *a);
/* Wrap plain text at width columns (code points), keeping paragraphs and long words. */
void digest_wrap(struct buf *out, const char *text, size_t width);
/*
 * The same, but the lines of html's <pre> blocks (code blocks, indented by four spaces in
 * the text, after any quote or list prefix) are never wrapped.  html may be NULL.
 */
void digest_wrap_pre(struct buf *out, const char *text, size_t width, const char *html);

#endif
