/*
 * fetch: articles from the web.  GET a page over http(s) with libcurl (redirects, timeouts,
 * a size cap, gzip, the charset from the header or the page), read it into a struct
 * article, and save it as a Markdown article with front matter that a person can edit
 * before composing.  RFC 9110 (HTTP semantics), RFC 3986 (URLs).
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_FETCH_H
#define GAZETTE_FETCH_H

#include <stdbool.h>
#include <stddef.h>

struct article;
struct article_opts;
struct diag;

/* Limits (0 in struct fetch_opts means these). */
#define FETCH_MAX_REDIRECTS 5
#define FETCH_CONNECT_TIMEOUT_MS 10000L
#define FETCH_TIMEOUT_MS 30000L
#define FETCH_MAX_BYTES ((size_t)8 << 20)       /* ARTICLE_MAX_BYTES: what we can read */
#define FETCH_USER_AGENT "gazette/1 (newsletter article fetcher; +https://example.org/gazette)"

struct fetch_opts {
    long connect_timeout_ms;    /* 0: FETCH_CONNECT_TIMEOUT_MS */
    long timeout_ms;            /* the whole transfer; 0: FETCH_TIMEOUT_MS */
    size_t max_bytes;           /* decoded body; 0: FETCH_MAX_BYTES */
};

/* A fetched page: the body converted to UTF-8. */
struct fetch_page {
    char *body;                 /* NUL-terminated UTF-8 */
    size_t len;
    char *url;                  /* after redirects */
    char *content_type;         /* "text/html", lower case, without parameters; or "" */
    long status;
};

/*
 * GET url (http or https only, at most FETCH_MAX_REDIRECTS redirects, only to http(s)).
 * The body is converted to UTF-8 from the charset of the Content-Type header, else of the
 * page's <meta charset> / http-equiv, else UTF-8 when it is valid, else Windows-1252.
 * Returns 0, or -1 with d set (the message names the URL and the HTTP status or the curl
 * error): EX_USAGE for a URL that is not http(s), EX_NOINPUT for HTTP errors (404),
 * EX_TEMPFAIL for timeouts and connection failures, EX_DATAERR for a page over the size
 * cap or not text.  Free p with fetch_page_fini() in both cases.
 */
int fetch_get(const char *url, const struct fetch_opts *fo, struct fetch_page *p,
    struct diag *d);
void fetch_page_fini(struct fetch_page *p);

/*
 * Fetch url and read it as an article: HTML through the HTML extractor, other text as
 * scraped text; a->url is the final URL unless the page names its own.  o may be NULL.
 * Caller frees with article_free().  Errors as for fetch_get() and article_parse().
 */
struct article *article_fetch(const char *url, const struct fetch_opts *fo,
    const struct article_opts *o, struct diag *d);

/*
 * Write a as a Markdown article into dir: front matter with every field we have (title,
 * url, source, author, date, summary, image, image_alt, tags, language) and fetched (the
 * ISO 8601 time given), then the paragraphs.  The file name is "YYYY-MM-DD-title-words.md"
 * (the article's date, else the fetch day), with "-2", "-3"... when taken.  Written
 * atomically (temporary, fsync, rename): a failure leaves nothing behind.  Returns the
 * path (caller frees), or NULL with d set (EX_CANTCREAT, EX_IOERR).
 */
char *article_save_markdown(const struct article *a, const char *dir, const char *fetched,
    struct diag *d);

/*
 * The Markdown article in dir whose front matter has "url: <url>" (a page fetched
 * before), or NULL.  Caller frees.
 */
char *article_find_fetched(const char *dir, const char *url);

#endif
