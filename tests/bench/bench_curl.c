/*
 * bench_curl: libcurl alone, as gazette's smtp transport uses it (one easy handle per
 * thread, each keeping its connection, curl_easy_perform per message), sending one fixed
 * message of SIZE bytes to one recipient MESSAGES times over CONNECTIONS connections.  No
 * composing, no journal: the ceiling that libcurl itself puts on gazette here, which
 * `make bench` prints next to smtp-source and gazette.
 *   bench_curl smtp://HOST:PORT CONNECTIONS MESSAGES SIZE
 * Exits 1 if any transfer fails; smtp-sink's count checks that all arrived.
 * SPDX-License-Identifier: MIT
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#define LINE_LEN 76                     /* bytes per body line, CRLF included */

struct conn {
    pthread_t th;
    const char *url;
    const char *msg;
    size_t len, off;
    long count;                         /* messages this connection sends */
    int failed;
};

static size_t
on_read(char *buf, size_t size, size_t nitems, void *arg)
{
    struct conn *c = arg;
    size_t room = size * nitems, left = c->len - c->off;

    if (room > left)
        room = left;
    memcpy(buf, c->msg + c->off, room);
    c->off += room;
    return room;
}

static size_t
on_header(char *p, size_t size, size_t nitems, void *arg)
{
    (void)p;
    (void)arg;
    return size * nitems;
}

static void *
run(void *arg)
{
    struct conn *c = arg;
    struct curl_slist *rcpt = curl_slist_append(NULL, "<reader@example.org>");
    CURL *h = curl_easy_init();

    if (h == NULL || rcpt == NULL) {
        c->failed = 1;
        return NULL;
    }
    curl_easy_setopt(h, CURLOPT_URL, c->url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, "<news@bench.example.org>");
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(h, CURLOPT_READDATA, c);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)c->len);
    for (long i = 0; i < c->count && !c->failed; i++) {
        CURLcode rc;

        c->off = 0;
        if ((rc = curl_easy_perform(h)) != CURLE_OK) {
            fprintf(stderr, "bench_curl: message %ld: %s\n", i, curl_easy_strerror(rc));
            c->failed = 1;
        }
    }
    curl_easy_cleanup(h);
    curl_slist_free_all(rcpt);
    return NULL;
}

int
main(int argc, char **argv)
{
    struct conn *c;
    char *msg;
    long conns, total;
    size_t size, n;
    int failed = 0;

    if (argc != 5 || (conns = atol(argv[2])) < 1 || conns > 64 || (total = atol(argv[3])) < 1 ||
        (size = (size_t)atol(argv[4])) < 200) {
        fprintf(stderr, "usage: bench_curl smtp://HOST:PORT CONNECTIONS(1-64) MESSAGES "
            "SIZE(>=200)\n");
        return 2;
    }
    msg = malloc(size);
    if (msg == NULL)
        return 1;
    n = (size_t)snprintf(msg, size, "From: news@bench.example.org\r\nTo: reader@example.org\r\n"
        "Subject: bench\r\nMessage-ID: <bench@bench.example.org>\r\n\r\n");
    for (size_t col = 0; n < size; n++, col = (col + 1) % LINE_LEN)
        msg[n] = col == LINE_LEN - 2 ? '\r' : col == LINE_LEN - 1 ? '\n' : (char)('a' + n % 26);
    if (msg[size - 3] == '\r')
        msg[size - 3] = 'x';                /* no bare CR before the final CRLF */
    msg[size - 2] = '\r';
    msg[size - 1] = '\n';
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 1;
    c = calloc((size_t)conns, sizeof(*c));
    if (c == NULL)
        return 1;
    for (long i = 0; i < conns; i++) {
        c[i].url = argv[1];
        c[i].msg = msg;
        c[i].len = size;
        c[i].count = total / conns + (i < total % conns ? 1 : 0);
        if (pthread_create(&c[i].th, NULL, run, &c[i]) != 0)
            return 1;
    }
    for (long i = 0; i < conns; i++) {
        pthread_join(c[i].th, NULL);
        failed |= c[i].failed;
    }
    free(c);
    free(msg);
    curl_global_cleanup();
    return failed;
}
