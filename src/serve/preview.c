/*
 * preview: `gazette preview --serve`, a local page (127.0.0.1 only) with the message one
 * subscriber would get: HTML at 600 and 375 px, text, raw source, the lint report, a
 * subscriber picker and a dark-mode toggle.  inotify watches the templates, articles,
 * issue, list and config; a change is pushed to open pages as a Server-Sent Event
 * (HTML Living Standard 9.2) and their few lines of script reload them.  Every request
 * renders afresh, so an error (a template's FILE:LINE:COL) shows in the page and the next
 * save that fixes it shows the message again.  One thread per connection (libmicrohttpd):
 * an event stream waits in its own thread.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "buf.h"
#include "diag.h"
#include "log.h"
#include "serve.h"
#include "util.h"

#define PREVIEW_KEEPALIVE 15        /* seconds between comments on an idle event stream */
#define PREVIEW_WATCH_MAX 64

struct watch {
    int wd;
    char *name;                     /* only this file of the folder; NULL: any file */
};

struct pv {
    const struct preview_opts *o;
    struct watch w[PREVIEW_WATCH_MAX];
    size_t nw;
    pthread_mutex_t mu;             /* one render at a time; guards gen and stop */
    pthread_cond_t cv;
    unsigned long gen;              /* bumped on each change seen */
    bool stop;
    int ifd;
};

void
preview_page_init(struct preview_page *pg)
{
    memset(pg, 0, sizeof(*pg));
    buf_init(&pg->subject, 0);
    buf_init(&pg->to, 0);
    buf_init(&pg->html, 0);
    buf_init(&pg->text, 0);
    buf_init(&pg->eml, 0);
    buf_init(&pg->report, 0);
}

void
preview_page_fini(struct preview_page *pg)
{
    buf_fini(&pg->subject);
    buf_fini(&pg->to);
    buf_fini(&pg->html);
    buf_fini(&pg->text);
    buf_fini(&pg->eml);
    buf_fini(&pg->report);
    for (size_t i = 0; i < pg->nsubscribers; i++)
        free(pg->subscribers[i]);
    free(pg->subscribers);
    free(pg->current);
}

static void
esc(struct buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case '&': buf_puts(b, "&amp;"); break;
        case '<': buf_puts(b, "&lt;"); break;
        case '>': buf_puts(b, "&gt;"); break;
        case '"': buf_puts(b, "&quot;"); break;
        case '\'': buf_puts(b, "&#39;"); break;
        default: buf_putc(b, s[i]); break;
        }
    }
}

static void
escs(struct buf *b, const char *s)
{
    esc(b, s, strlen(s));
}

static void
url_enc(struct buf *out, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (IS_ALNUM(c) || c == '-' || c == '.' || c == '_' || c == '~')
            buf_putc(out, (char)c);
        else
            buf_putf(out, "%%%02X", c);
    }
}

static void
sha256_b64(const char *s, size_t n, char out[64])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;

    if (EVP_Digest(s, n, md, &mdlen, EVP_sha256(), NULL) != 1)
        xoom();
    EVP_EncodeBlock((unsigned char *)out, md, (int)mdlen);
}

static const char page_style[] =
    "body{margin:0;font:15px/1.45 system-ui,sans-serif;background:#eef0f3;color:#1f2328}"
    "header{padding:10px 16px;background:#1f2328;color:#fff;display:flex;flex-wrap:wrap;"
    "gap:12px;align-items:center}header a{color:#9cd1ff}"
    "header form{display:flex;gap:6px;align-items:center}"
    ".panes{display:flex;flex-wrap:wrap;gap:16px;padding:16px;align-items:flex-start}"
    ".pane{background:#fff;border-radius:6px;padding:8px}"
    ".pane h2{font-size:13px;margin:0 0 6px;color:#57606a}"
    "iframe{border:1px solid #d0d7de;background:#fff;height:1200px}"
    ".w600{width:600px}.w375{width:375px}.dark{color-scheme:dark}.light{color-scheme:light}"
    "pre{white-space:pre-wrap;word-break:break-word;margin:0;font-size:12px;max-width:600px}"
    ".err{margin:16px;padding:16px;background:#ffebe9;border:1px solid #cf222e;"
    "border-radius:6px;white-space:pre-wrap}"
    ".lint{margin:0 16px;padding:8px 16px;background:#fff8c5;border-radius:6px}";

/* Reload on a change: the only script, allowed by its hash. */
static const char page_script[] =
    "new EventSource(\"/events\").onmessage=function(){location.reload()};";

static void
main_page(struct pv *pv, const char *sub, bool dark, struct buf *b)
{
    struct preview_page pg;
    struct buf q;
    const char *cs = dark ? "dark" : "light";

    preview_page_init(&pg);
    pthread_mutex_lock(&pv->mu);
    pv->o->render(pv->o->ctx, sub, &pg);
    pthread_mutex_unlock(&pv->mu);
    buf_init(&q, 0);
    if (pg.current != NULL) {
        buf_puts(&q, "s=");
        url_enc(&q, pg.current);
    }
    buf_puts(b, "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<title>gazette preview</title><style>");
    buf_puts(b, page_style);
    buf_puts(b, "</style></head><body><header><strong>gazette preview</strong>");
    if (pg.nsubscribers > 0) {
        buf_puts(b, "<form method=\"get\" action=\"/\"><label for=\"s\">Subscriber</label>"
            "<select id=\"s\" name=\"s\">");
        for (size_t i = 0; i < pg.nsubscribers; i++) {
            buf_puts(b, "<option");
            if (pg.current && strcmp(pg.current, pg.subscribers[i]) == 0)
                buf_puts(b, " selected");
            buf_puts(b, ">");
            escs(b, pg.subscribers[i]);
            buf_puts(b, "</option>");
        }
        buf_puts(b, "</select>");
        if (dark)
            buf_puts(b, "<input type=\"hidden\" name=\"dark\" value=\"1\">");
        buf_puts(b, "<button type=\"submit\">Show</button></form>");
    }
    buf_putf(b, "<a id=\"dark\" href=\"/?%s%s%s\">%s</a>", buf_str(&q), q.len ? "&" : "",
        dark ? "dark=0" : "dark=1", dark ? "Light mode" : "Dark mode");
    if (!diag_is_set(&pg.err)) {
        buf_puts(b, "<span id=\"subject\">Subject: ");
        esc(b, pg.subject.p ? pg.subject.p : "", pg.subject.len);
        buf_puts(b, "</span><span>To: ");
        esc(b, pg.to.p ? pg.to.p : "", pg.to.len);
        buf_putf(b, "</span><span>%zu bytes</span>", pg.eml.len);
    }
    buf_puts(b, "</header>");
    if (diag_is_set(&pg.err)) {
        char msg[DIAG_MSG_MAX + DIAG_PATH_MAX + 32];

        buf_puts(b, "<div class=\"err\" id=\"error\" role=\"alert\">");
        escs(b, diag_format(&pg.err, msg, sizeof(msg)));
        buf_puts(b, "</div>");
    } else {
        buf_puts(b, "<div class=\"lint\" id=\"lint\"><pre>");
        if (pg.report.len)
            esc(b, pg.report.p, pg.report.len);
        else
            buf_puts(b, "lint: no problems found");
        buf_puts(b, "</pre></div><div class=\"panes\">");
        for (int w = 0; w < 2; w++) {
            int px = w == 0 ? 600 : 375;

            buf_putf(b, "<div class=\"pane\"><h2>HTML, %d px</h2><iframe id=\"html%d\" "
                "title=\"HTML at %d px\" sandbox class=\"w%d %s\" "
                "src=\"/html?%s\"></iframe></div>", px, px, px, px, cs, buf_str(&q));
        }
        buf_puts(b, "<div class=\"pane\"><h2>Text</h2><pre id=\"text\">");
        esc(b, pg.text.p ? pg.text.p : "", pg.text.len);
        buf_puts(b, "</pre></div><div class=\"pane\"><h2>Source</h2><pre id=\"source\">");
        esc(b, pg.eml.p ? pg.eml.p : "", pg.eml.len);
        buf_puts(b, "</pre></div></div>");
    }
    buf_puts(b, "<script>");
    buf_puts(b, page_script);
    buf_puts(b, "</script></body></html>");
    buf_fini(&q);
    preview_page_fini(&pg);
}

static enum MHD_Result
respond(struct MHD_Connection *mc, unsigned status, const char *type, const struct buf *b,
    const char *csp)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(b->len, (void *)buf_str(b),
        MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret;

    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (csp != NULL)
        MHD_add_response_header(r, "Content-Security-Policy", csp);
    ret = MHD_queue_response(mc, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* ---- the event stream ------------------------------------------------------------------ */

struct stream {
    struct pv *pv;
    unsigned long seen;
    bool started;
};

static ssize_t
stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
    struct stream *st = cls;
    struct pv *pv = st->pv;
    struct timespec ts;
    const char *msg;
    size_t n;

    (void)pos;
    if (!st->started) {
        st->started = true;
        msg = "retry: 500\n\n";
    } else {
        pthread_mutex_lock(&pv->mu);
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += PREVIEW_KEEPALIVE;
        while (!pv->stop && pv->gen == st->seen &&
            pthread_cond_timedwait(&pv->cv, &pv->mu, &ts) != ETIMEDOUT)
            ;
        if (pv->stop) {
            pthread_mutex_unlock(&pv->mu);
            return MHD_CONTENT_READER_END_OF_STREAM;
        }
        msg = pv->gen != st->seen ? "data: reload\n\n" : ": still here\n\n";
        st->seen = pv->gen;
        pthread_mutex_unlock(&pv->mu);
    }
    n = strlen(msg);
    if (n > max)
        n = max;
    memcpy(out, msg, n);
    return (ssize_t)n;
}

static enum MHD_Result
events(struct pv *pv, struct MHD_Connection *mc)
{
    struct stream *st = xcalloc(1, sizeof(*st));
    struct MHD_Response *r;
    enum MHD_Result ret;

    st->pv = pv;
    pthread_mutex_lock(&pv->mu);
    st->seen = pv->gen;
    pthread_mutex_unlock(&pv->mu);
    r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 256, stream_read, st, free);
    MHD_add_response_header(r, "Content-Type", "text/event-stream");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    ret = MHD_queue_response(mc, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

/* ---- routes ------------------------------------------------------------------------------ */

static enum MHD_Result
handler(void *cls, struct MHD_Connection *mc, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_size, void **cctx)
{
    struct pv *pv = cls;
    const char *sub = MHD_lookup_connection_value(mc, MHD_GET_ARGUMENT_KIND, "s");
    const char *dk = MHD_lookup_connection_value(mc, MHD_GET_ARGUMENT_KIND, "dark");
    static int first;
    struct buf b;
    enum MHD_Result ret;

    (void)version;
    (void)upload;
    if (*cctx == NULL) {
        *cctx = &first;
        return MHD_YES;
    }
    if (*upload_size != 0) {
        *upload_size = 0;
        return MHD_YES;
    }
    buf_init(&b, 0);                       /* the page and render are capped far below 1 GiB */
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        buf_puts(&b, "GET only\n");
        ret = respond(mc, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", &b, NULL);
    } else if (strcmp(url, "/") == 0) {
        char sh[2][64];
        struct buf csp;

        main_page(pv, sub && *sub ? sub : NULL, dk != NULL && strcmp(dk, "1") == 0, &b);
        sha256_b64(page_style, strlen(page_style), sh[0]);
        sha256_b64(page_script, strlen(page_script), sh[1]);
        buf_init(&csp, 0);
        buf_putf(&csp, "default-src 'none'; frame-src 'self'; connect-src 'self'; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
            "style-src 'sha256-%s'; script-src 'sha256-%s'", sh[0], sh[1]);
        ret = respond(mc, MHD_HTTP_OK, "text/html; charset=utf-8", &b, buf_str(&csp));
        buf_fini(&csp);
    } else if (strcmp(url, "/html") == 0) {
        struct preview_page pg;

        preview_page_init(&pg);
        pthread_mutex_lock(&pv->mu);
        pv->o->render(pv->o->ctx, sub && *sub ? sub : NULL, &pg);
        pthread_mutex_unlock(&pv->mu);
        if (diag_is_set(&pg.err)) {
            char msg[DIAG_MSG_MAX + DIAG_PATH_MAX + 32];

            buf_puts(&b, diag_format(&pg.err, msg, sizeof(msg)));
            ret = respond(mc, MHD_HTTP_OK, "text/plain; charset=utf-8", &b, NULL);
        } else {
            buf_put(&b, pg.html.p ? pg.html.p : "", pg.html.len);
            /* the message as a mail client shows it: its styles and images, no script */
            ret = respond(mc, MHD_HTTP_OK, "text/html; charset=utf-8", &b,
                "default-src 'none'; img-src * data:; style-src 'unsafe-inline' *; "
                "font-src * data:; sandbox");
        }
        preview_page_fini(&pg);
    } else if (strcmp(url, "/events") == 0) {
        ret = events(pv, mc);
    } else {
        buf_puts(&b, "not found\n");
        ret = respond(mc, MHD_HTTP_NOT_FOUND, "text/plain", &b, NULL);
    }
    buf_fini(&b);
    return ret;
}

/* ---- watching ---------------------------------------------------------------------------- */

/* Does the batch of events in ev[0..n) touch a file we watch?  Hidden files (locks,
   editors' temporaries) do not count; their rename to the real name does. */
static bool
relevant(const struct pv *pv, const char *ev, ssize_t n)
{
    for (ssize_t off = 0; off + (ssize_t)sizeof(struct inotify_event) <= n;) {
        const struct inotify_event *e = (const struct inotify_event *)(const void *)(ev + off);
        const char *name = e->len ? e->name : "";

        off += (ssize_t)sizeof(*e) + e->len;
        if (name[0] == '.' || name[0] == '\0' || name[strlen(name) - 1] == '~')
            continue;
        for (size_t i = 0; i < pv->nw; i++)
            if (pv->w[i].wd == e->wd && (pv->w[i].name == NULL ||
                strcmp(pv->w[i].name, name) == 0))
                return true;
    }
    return false;
}

static void *
watcher(void *arg)
{
    struct pv *pv = arg;
    char ev[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

    for (;;) {
        struct pollfd p = { pv->ifd, POLLIN, 0 };
        int r = poll(&p, 1, 200);
        bool stop, hit;
        ssize_t n;

        pthread_mutex_lock(&pv->mu);
        stop = pv->stop;
        pthread_mutex_unlock(&pv->mu);
        if (stop)
            break;
        if (r <= 0)
            continue;
        if ((n = read(pv->ifd, ev, sizeof(ev))) <= 0)
            continue;
        hit = relevant(pv, ev, n);
        /* editors write a burst (temp file, rename): one reload for it is enough */
        while (poll(&p, 1, 50) > 0 && (n = read(pv->ifd, ev, sizeof(ev))) > 0)
            hit = hit || relevant(pv, ev, n);
        if (!hit)
            continue;
        pthread_mutex_lock(&pv->mu);
        pv->gen++;
        pthread_cond_broadcast(&pv->cv);
        pthread_mutex_unlock(&pv->mu);
        log_info("preview: a watched file changed; reloading open pages");
    }
    return NULL;
}

static int
watch_all(struct pv *pv, struct diag *d)
{
    const uint32_t mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE |
        IN_DELETE | IN_MODIFY;
    size_t n = 0;

    pv->ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (pv->ifd == -1) {
        diag_set(d, EX_OSERR, "inotify: %s", strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < pv->o->nwatch && n < PREVIEW_WATCH_MAX; i++) {
        const char *p = pv->o->watch[i];
        struct stat st;
        char dir[PATH_MAX];

        if (p == NULL)
            continue;
        /* a file's folder, not the file: editors replace files by renaming */
        const char *only = NULL;
        int wd;

        if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
            snprintf(dir, sizeof(dir), "%s", p);
        else {
            const char *slash = strrchr(p, '/');

            only = slash ? slash + 1 : p;
            if (slash == NULL)
                snprintf(dir, sizeof(dir), ".");
            else
                snprintf(dir, sizeof(dir), "%.*s", (int)(slash - p), p);
        }
        if ((wd = inotify_add_watch(pv->ifd, dir, mask)) >= 0 && pv->nw < PREVIEW_WATCH_MAX) {
            pv->w[pv->nw].wd = wd;
            pv->w[pv->nw].name = only ? xstrdup(only) : NULL;
            pv->nw++;
            n++;
        }
        /* the web/ subfolder of a template folder, if there is one */
        if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
            struct buf sub;

            buf_init(&sub, 0);
            buf_putf(&sub, "%s/web", dir);
            if (stat(buf_str(&sub), &st) == 0 && S_ISDIR(st.st_mode) &&
                (wd = inotify_add_watch(pv->ifd, buf_str(&sub), mask)) >= 0 &&
                pv->nw < PREVIEW_WATCH_MAX) {
                pv->w[pv->nw].wd = wd;
                pv->w[pv->nw].name = NULL;
                pv->nw++;
            }
            buf_fini(&sub);
        }
    }
    return 0;
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];

    (void)cls;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    log_debug("http: %s", msg);
}

int
serve_preview(const struct preview_opts *o, struct diag *d)
{
    struct pv pv;
    struct MHD_Daemon *mhd;
    struct sockaddr_in sa;
    sigset_t set;
    pthread_t tw;
    int sig;

    memset(&pv, 0, sizeof(pv));
    pv.o = o;
    pthread_mutex_init(&pv.mu, NULL);
    pthread_cond_init(&pv.cv, NULL);
    if (watch_all(&pv, d) == -1)
        return -1;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)o->port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);      /* local only, never another host */
    mhd = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
        MHD_USE_ERROR_LOG, 0, NULL, NULL, handler, &pv,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, &pv,
        MHD_OPTION_END);
    if (mhd == NULL) {
        diag_set(d, EX_UNAVAILABLE, "cannot listen on 127.0.0.1:%d: %s", o->port,
            strerror(errno));
        close(pv.ifd);
        return -1;
    }
    pthread_create(&tw, NULL, watcher, &pv);
    {
        const union MHD_DaemonInfo *di = MHD_get_daemon_info(mhd, MHD_DAEMON_INFO_BIND_PORT);

        /* where to look, on stderr: the one line a person needs, even without -v */
        fprintf(stderr, "gazette: preview at http://127.0.0.1:%u/ (Ctrl-C stops)\n",
            di ? (unsigned)di->port : (unsigned)o->port);
    }
    while (sigwait(&set, &sig) != 0 || (sig != SIGINT && sig != SIGTERM))
        ;
    pthread_mutex_lock(&pv.mu);
    pv.stop = true;
    pthread_cond_broadcast(&pv.cv);
    pthread_mutex_unlock(&pv.mu);
    MHD_stop_daemon(mhd);
    pthread_join(tw, NULL);
    close(pv.ifd);
    for (size_t i = 0; i < pv.nw; i++)
        free(pv.w[i].name);
    pthread_cond_destroy(&pv.cv);
    pthread_mutex_destroy(&pv.mu);
    return 0;
}
