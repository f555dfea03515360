/*
 * mime: the message for one subscriber.  Header fields with RFC 2047 words only where needed
 * and folding (RFC 5322 2.1.1, 2.2.3), multipart/alternative bodies in 7bit, QP or base64
 * (RFC 2045 6.7/6.8, RFC 2046 5.1), List-* fields (RFC 2369, RFC 2919, RFC 8058).
 * Pipeline: tmpl -> MIME -> transport.  The shared parts are encoded once per run.
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "diag.h"
#include "mime.h"
#include "text.h"
#include "util.h"

#define VALUE_MAX 4000          /* ours: longest header value before normalising */
#define EW_OVERHEAD 12          /* "=?UTF-8?Q?" and "?=" (RFC 2047 2) */
#define EW_MIN_TEXT 16          /* don't start an encoded-word with less room than this */
#define BOUNDARY_RANDOM 16      /* random bytes in a boundary: 32 hex digits */
#define MSGID_RANDOM 12         /* random bytes in a Message-ID */
#define HEAD_REENCODE 160       /* shared first lines up to this are re-encoded per message */

static const char hexdig[] = "0123456789ABCDEF";

/* Output with a sticky error: after the buffer passes its maximum, everything is skipped. */
struct out {
    struct buf *b;
    bool err;
};

static void
put(struct out *o, const void *p, size_t n)
{
    if (!o->err && n > 0 && buf_add(o->b, p, n) == -1)
        o->err = true;
}

static void
put_str(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

/* Length of the UTF-8 sequence at p (1 for ASCII or a broken sequence). */
static size_t
u8len(const unsigned char *p, size_t n)
{
    size_t l;

    if (p[0] < 0xc2)
        return 1;
    else if (p[0] < 0xe0)
        l = 2;
    else if (p[0] < 0xf0)
        l = 3;
    else if (p[0] < 0xf5)
        l = 4;
    else
        return 1;
    if (l > n)
        return 1;
    for (size_t i = 1; i < l; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 1;
    return l;
}

static bool
has_ewmark(const char *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++)
        if (p[i] == '=' && p[i + 1] == '?')
            return true;
    return false;
}

/* ---- checking values ---------------------------------------------------------------- */

/* At most 60 bytes of an outside value for a message, control bytes as \xNN (never echo a
 * CR or LF to a terminal or log). */
static const char *
shown(char *dst, size_t size, const char *s)
{
    size_t o = 0;

    for (size_t i = 0; s[i] != '\0' && i < 60 && o + 5 < size; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c < 0x20 || c == 0x7f) {
            snprintf(dst + o, size - o, "\\x%02X", c);
            o += 4;
        } else {
            dst[o++] = (char)c;
        }
    }
    dst[o] = '\0';
    return dst;
}

static const char *
ctl_name(unsigned char c)
{
    return c == '\r' ? "a carriage return" : c == '\n' ? "a line feed" :
        c == '\0' ? "a NUL byte" : "a control byte";
}

/*
 * Check a header text value (no control bytes but TAB, valid UTF-8, not too long) and put
 * it into out unchanged (issue 9: nothing is normalised silently); a value of blanks only
 * is empty.  Text whose blanks are not single spaces between words is written as
 * encoded-words, which keep every blank (hw_words()).
 */
static int
norm_text(const char *field, const char *s, struct buf *out, struct diag *d)
{
    size_t n = strlen(s);
    bool blank = true;

    buf_reset(out);
    if (n > VALUE_MAX) {
        diag_set(d, EX_DATAERR, "%s is %zu octets long; at most %d are allowed", field, n,
            VALUE_MAX);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            diag_set(d, EX_DATAERR, "%s contains %s (0x%02X) at byte %zu; a header value must "
                "be one line without control characters", field, ctl_name(c), c, i + 1);
            return -1;
        }
    }
    if (!utf8_is_valid(s, n)) {
        diag_set(d, EX_DATAERR, "%s is not valid UTF-8; header text must be UTF-8", field);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t')
            blank = false;
    if (!blank && buf_add(out, s, n) == -1) {
        diag_set(d, EX_DATAERR, "%s is too long", field);
        return -1;
    }
    return 0;
}

/* Words separated by single spaces, none at either end, no TAB: safe to fold between. */
static bool
is_plain(const char *p, size_t n)
{
    if (n > 0 && (p[0] == ' ' || p[n - 1] == ' '))
        return false;
    for (size_t i = 0; i < n; i++)
        if (p[i] == '\t' || (p[i] == ' ' && i + 1 < n && p[i + 1] == ' '))
            return false;
    return true;
}

/*
 * Header safety check of an address that goes between < and > (or after "To: "): one line of
 * printable ASCII, blanks and specials only inside a quoted local part, exactly one '@'
 * outside quotes.  addr.c does the real validation.
 */
static int
check_addr(const char *field, const char *a, struct diag *d)
{
    size_t n, at = 0, nat = 0;
    bool q = false;

    if (a == NULL || *a == '\0') {
        diag_set(d, EX_DATAERR, "%s is missing; give an address like name@example.com", field);
        return -1;
    }
    n = strlen(a);
    if (n > MIME_ADDR_MAX) {
        diag_set(d, EX_DATAERR, "%s is %zu octets long; at most %d are allowed "
            "(RFC 5321 4.5.3.1.3)", field, n, MIME_ADDR_MAX);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)a[i];

        if (c < 0x20 || c == 0x7f) {
            diag_set(d, EX_DATAERR, "%s contains %s (0x%02X) at byte %zu; an address must be "
                "one line of printable ASCII", field, ctl_name(c), c, i + 1);
            return -1;
        }
        if (c >= 0x80) {
            diag_set(d, EX_DATAERR, "%s contains non-ASCII at byte %zu; use the A-label "
                "(xn--) form of the domain (non-ASCII local parts need SMTPUTF8)", field, i + 1);
            return -1;
        }
        if (q) {
            if (c == '\\' && i + 1 < n)
                i++;
            else if (c == '"')
                q = false;
            continue;
        }
        if (c == '"' && (i == 0 || a[i - 1] == '.')) {
            q = true;
        } else if (c == '@') {
            at = i;
            nat++;
        } else if (c == ' ' || strchr("<>()[]\\,;:\"", c) != NULL) {
            diag_set(d, EX_DATAERR, "%s contains '%c' at byte %zu; an address is "
                "local@domain without blanks, brackets or display name", field, c, i + 1);
            return -1;
        }
    }
    if (q || nat != 1 || at == 0 || at + 1 == n) {
        diag_set(d, EX_DATAERR, "%s \"%s\" is not of the form local@domain", field, a);
        return -1;
    }
    return 0;
}

/* A domain of LDH labels separated by dots (for Message-IDs). */
static bool
domain_ok(const char *s, size_t n)
{
    size_t label = 0;

    if (n == 0 || n > 253)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '.') {
            if (label == 0 || s[i - 1] == '-')
                return false;
            label = 0;
        } else if (IS_ALNUM(c) || (c == '-' && label > 0)) {
            if (++label > 63)
                return false;
        } else {
            return false;
        }
    }
    return label > 0 && s[n - 1] != '-';
}

/* RFC 2919 2: list-id is a dot-atom-text with at least one dot. */
static bool
list_id_ok(const char *s)
{
    size_t n = strlen(s), dots = 0;

    if (n == 0 || n > MIME_LIST_ID_MAX || s[0] == '.' || s[n - 1] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.') {
            if (s[i - 1] == '.')
                return false;
            dots++;
        } else if (!addr_is_atext((unsigned char)s[i])) {
            return false;
        }
    }
    return dots > 0;
}

static int
check_url(const char *u, bool *https, struct diag *d)
{
    const char *what = "List-Unsubscribe URL";
    size_t n = strlen(u), skip;
    char sh[256];

    if (ascii_strncasecmp(u, "https://", 8) == 0) {
        *https = true;
        skip = 8;
    } else if (ascii_strncasecmp(u, "http://", 7) == 0) {
        *https = false;
        skip = 7;
    } else {
        diag_set(d, EX_DATAERR, "%s \"%s\" must start with https:// (RFC 8058 one-click)",
            what, shown(sh, sizeof(sh), u));
        return -1;
    }
    if (n > MIME_URL_MAX) {
        diag_set(d, EX_DATAERR, "%s is %zu octets long; at most %d are allowed", what, n,
            MIME_URL_MAX);
        return -1;
    }
    if (n == skip || u[skip] == '/') {
        diag_set(d, EX_DATAERR, "%s has no host name", what);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)u[i];

        if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '"') {
            diag_set(d, EX_DATAERR, "%s has a forbidden character (0x%02X) at byte %zu; "
                "percent-encode it (RFC 3986)", what, c, i + 1);
            return -1;
        }
    }
    return 0;
}

static bool
field_name_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > MIME_FIELD_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 33 || s[i] > 126 || s[i] == ':')
            return false;
    return true;
}

/* ---- header writing: folding and encoded-words ----------------------------------------- */

struct hw {
    struct out *o;
    size_t col;         /* characters on the current line */
    bool ew;            /* the current line holds an encoded-word: at most 76 (RFC 2047 2) */
};

static void
hw_start(struct hw *w, struct out *o, const char *name)
{
    w->o = o;
    put_str(o, name);
    put(o, ":", 1);
    w->col = strlen(name) + 1;
    w->ew = false;
}

static void
hw_end(struct hw *w)
{
    put(w->o, "\r\n", 2);
}

static void
hw_fold(struct hw *w)
{
    /* RFC 5322 2.2.3: CRLF goes before the white space that separates two tokens */
    put(w->o, "\r\n", 2);
    w->col = 0;
    w->ew = false;
}

/* A token that is never split, after one SP; first: right after "Name:" (no fold there). */
static void
hw_word(struct hw *w, const char *tok, size_t n, bool first)
{
    size_t lim = w->ew ? MIME_EW_LINE : MIME_LINE_SOFT;

    if (!first && w->col + 1 + n > lim)
        hw_fold(w);
    put(w->o, " ", 1);
    put(w->o, tok, n);
    w->col += 1 + n;
}

static bool
q_literal(unsigned char c)
{
    /* RFC 2047 5(3): what a Q word may hold as itself even in a phrase ("=", "_" excluded) */
    return IS_ALNUM(c) || c == '!' || c == '*' || c == '+' || c == '-' || c == '/';
}

static size_t
q_cost(const unsigned char *r, size_t n)
{
    size_t cost = 0;

    for (size_t i = 0; i < n; i++)
        cost += (r[i] == ' ' || q_literal(r[i])) ? 1 : 3;
    return cost;
}

/*
 * Emit r[0..m) as encoded-words: UTF-8, B or Q (the shorter for the run), each at most 75
 * characters and holding whole characters only (RFC 2047 2, 5).  The words are separated by
 * SP or a fold; decoders drop white space between encoded-words (RFC 2047 6.2), so the
 * run's own blanks are encoded inside.
 */
static void
hw_ew_run(struct hw *w, const char *s, size_t m, bool first)
{
    const unsigned char *r = (const unsigned char *)s;
    bool useb = 4 * ((m + 2) / 3) < q_cost(r, m);
    size_t pos = 0;

    while (pos < m) {
        char tok[MIME_EW_MAX + 1];
        size_t room, take = 0, cost = 0, tl;

        if (!first && w->col + 1 + EW_OVERHEAD + EW_MIN_TEXT > MIME_EW_LINE)
            hw_fold(w);
        room = MIME_EW_LINE - w->col - 1;
        if (room > MIME_EW_MAX)
            room = MIME_EW_MAX;
        room -= EW_OVERHEAD;
        while (pos + take < m) {
            size_t cl = u8len(r + pos + take, m - pos - take);
            size_t c2 = useb ? 4 * ((take + cl + 2) / 3) : cost + q_cost(r + pos + take, cl);

            if (c2 > room)
                break;
            take += cl;
            cost = c2;
        }
        if (take == 0 && w->col > 1) {
            hw_fold(w);         /* cannot happen with names <= 40; never loop forever */
            continue;
        }
        memcpy(tok, useb ? "=?UTF-8?B?" : "=?UTF-8?Q?", 10);
        tl = 10;
        if (useb) {
            tl += text_base64_to(tok + tl, r + pos, take);
        } else {
            for (size_t i = 0; i < take; i++) {
                unsigned char c = r[pos + i];

                if (c == ' ') {
                    tok[tl++] = '_';
                } else if (q_literal(c)) {
                    tok[tl++] = (char)c;
                } else {
                    tok[tl++] = '=';
                    tok[tl++] = hexdig[c >> 4];
                    tok[tl++] = hexdig[c & 15];
                }
            }
        }
        tok[tl++] = '?';
        tok[tl++] = '=';
        put(w->o, " ", 1);
        put(w->o, tok, tl);
        w->col += 1 + tl;
        w->ew = true;
        pos += take;
        first = false;
    }
}

static bool
word_needs_ew(const struct hw *w, const char *p, size_t n, bool phrase, bool first)
{
    if (n > MIME_LINE_SOFT - 1 || (first && w->col + 1 + n > MIME_LINE_SOFT))
        return true;        /* too long for a line: only encoded-words can be split */
    if (has_ewmark(p, n))
        return true;        /* would be taken for an encoded-word */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];

        if (c >= 0x80 || (phrase && !addr_is_atext(c)))
            return true;
    }
    return false;
}

/*
 * Text p[0..n) as words and encoded-word runs.  Consecutive words that need encoding form
 * one run with their blanks inside.  Text that is not words separated by one SP (is_plain())
 * is one run: folding and unfolding would not give its blanks back, encoded-words do.
 */
static void
hw_words(struct hw *w, const char *p, size_t n, bool phrase)
{
    size_t i = 0;
    bool first = true;

    if (!is_plain(p, n)) {
        hw_ew_run(w, p, n, true);
        return;
    }
    while (i < n) {
        const char *sp = memchr(p + i, ' ', n - i);
        size_t e = sp ? (size_t)(sp - p) : n;

        if (word_needs_ew(w, p + i, e - i, phrase, first)) {
            size_t end = e;

            while (end < n) {
                const char *sp2 = memchr(p + end + 1, ' ', n - end - 1);
                size_t e2 = sp2 ? (size_t)(sp2 - p) : n;

                if (!word_needs_ew(w, p + end + 1, e2 - end - 1, phrase, false))
                    break;
                end = e2;
            }
            hw_ew_run(w, p + i, end - i, first);
            e = end;
        } else {
            hw_word(w, p + i, e - i, first);
        }
        i = e < n ? e + 1 : n;
        first = false;
    }
}

/* An ASCII display name with specials as a quoted-string; false (nothing written) if a
 * piece cannot fit a line. */
static bool
hw_quoted(struct hw *w, const char *p, size_t n)
{
    char tok[2 * MIME_LINE_SOFT + 4];

    for (int pass = 0; pass < 2; pass++) {
        size_t i = 0;
        bool first = true;

        while (i < n) {
            const char *sp = memchr(p + i, ' ', n - i);
            size_t e = sp ? (size_t)(sp - p) : n, tl = 0;

            if (pass == 0) {
                tl = (e - i) + (first ? 1 : 0) + (e == n ? 1 : 0);
                for (size_t k = i; k < e; k++)
                    tl += (p[k] == '"' || p[k] == '\\');
                if (tl > MIME_LINE_SOFT - 1 || (first && w->col + 1 + tl > MIME_LINE_SOFT))
                    return false;
            } else {
                if (first)
                    tok[tl++] = '"';
                for (size_t k = i; k < e; k++) {
                    if (p[k] == '"' || p[k] == '\\')
                        tok[tl++] = '\\';
                    tok[tl++] = p[k];
                }
                if (e == n)
                    tok[tl++] = '"';
                /* RFC 5322 3.2.4: FWS may fold inside a quoted-string */
                hw_word(w, tok, tl, first);
            }
            i = e < n ? e + 1 : n;
            first = false;
        }
    }
    return true;
}

static void
hw_phrase(struct hw *w, const char *p, size_t n)
{
    bool ascii = true, specials = false;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];

        if (c >= 0x80)
            ascii = false;
        else if (c != ' ' && !addr_is_atext(c))
            specials = true;
    }
    /* RFC 5322 3.2.3: "Foo Bar, France" needs quotes; RFC 2047 5(3): no encoded-words in
     * quoted-strings, so a name with non-ASCII encodes its special-laden words instead */
    if (ascii && specials && is_plain(p, n) && !has_ewmark(p, n) && hw_quoted(w, p, n))
        return;
    hw_words(w, p, n, true);
}

static void
hw_mailbox(struct hw *w, const char *name, size_t nlen, const char *addr)
{
    char tok[MIME_ADDR_MAX + 3];
    size_t an = strlen(addr);

    if (nlen == 0) {
        hw_word(w, addr, an, true);
        return;
    }
    hw_phrase(w, name, nlen);
    tok[0] = '<';
    memcpy(tok + 1, addr, an);
    tok[an + 1] = '>';
    hw_word(w, tok, an + 2, false);
}

static int
overflow(struct diag *d, const struct buf *b)
{
    diag_set(d, EX_DATAERR, "the message passes the output limit of %zu bytes", b->max);
    return -1;
}

int
mime_header_text(struct buf *out, const char *name, const char *value, struct diag *d)
{
    struct buf v;
    struct out o = { out, false };
    struct hw w;
    char sh[256];
    int rc = -1;

    buf_init(&v, 0);
    if (!field_name_ok(name)) {
        diag_set(d, EX_SOFTWARE, "header name \"%s\" is not 1-%d printable characters "
            "without ':'", shown(sh, sizeof(sh), name), MIME_FIELD_NAME_MAX);
        goto out;
    }
    if (norm_text(name, value ? value : "", &v, d) == -1)
        goto out;
    hw_start(&w, &o, name);
    hw_words(&w, buf_str(&v), v.len, false);
    hw_end(&w);
    rc = o.err ? overflow(d, out) : 0;
out:
    buf_fini(&v);
    return rc;
}

int
mime_header_mailbox(struct buf *out, const char *name, const char *display, const char *addr,
    struct diag *d)
{
    char field[MIME_FIELD_NAME_MAX + 16], sh[256];
    struct buf v;
    struct out o = { out, false };
    struct hw w;
    int rc = -1;

    buf_init(&v, 0);
    if (!field_name_ok(name)) {
        diag_set(d, EX_SOFTWARE, "header name \"%s\" is not 1-%d printable characters "
            "without ':'", shown(sh, sizeof(sh), name), MIME_FIELD_NAME_MAX);
        goto out;
    }
    snprintf(field, sizeof(field), "%s address", name);
    if (check_addr(field, addr, d) == -1)
        goto out;
    snprintf(field, sizeof(field), "%s name", name);
    if (norm_text(field, display ? display : "", &v, d) == -1)
        goto out;
    hw_start(&w, &o, name);
    hw_mailbox(&w, buf_str(&v), v.len, addr);
    hw_end(&w);
    rc = o.err ? overflow(d, out) : 0;
out:
    buf_fini(&v);
    return rc;
}

/* ---- Date and Message-ID ---------------------------------------------------------------- */

/* v (0 <= v < 10^width) as exactly width decimal digits at p; returns the end. */
static char *
digits(char *p, int v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + width;
}

int
mime_date_write(struct buf *out, time_t t)
{
    /* RFC 5322 3.3: English names, numeric zone; UTC keeps the sender's zone private */
    static const char wday[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
    static const char mon[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
        "Sep", "Oct", "Nov", "Dec" };
    struct tm tm;
    char s[40], *p = s;

    if (gmtime_r(&t, &tm) == NULL || tm.tm_year < 0 || tm.tm_year > 9999 - 1900)
        return -1;
    /* "%s, %d %s %04d %02d:%02d:%02d +0000", by hand: this runs for every message */
    memcpy(p, wday[tm.tm_wday], 3);
    p += 3;
    *p++ = ',';
    *p++ = ' ';
    if (tm.tm_mday >= 10)
        *p++ = (char)('0' + tm.tm_mday / 10);
    *p++ = (char)('0' + tm.tm_mday % 10);
    *p++ = ' ';
    memcpy(p, mon[tm.tm_mon], 3);
    p += 3;
    *p++ = ' ';
    p = digits(p, tm.tm_year + 1900, 4);
    *p++ = ' ';
    p = digits(p, tm.tm_hour, 2);
    *p++ = ':';
    p = digits(p, tm.tm_min, 2);
    *p++ = ':';
    p = digits(p, tm.tm_sec, 2);
    memcpy(p, " +0000", 6);
    p += 6;
    return buf_add(out, s, (size_t)(p - s));
}

static int
random_hex(char *hex, size_t nbytes, struct diag *d)
{
    unsigned char r[32];

    if (nbytes > sizeof(r) || getentropy(r, nbytes) == -1) {
        diag_set(d, EX_OSERR, "cannot get random bytes for a Message-ID or boundary");
        return -1;
    }
    for (size_t i = 0; i < nbytes; i++) {
        hex[2 * i] = "0123456789abcdef"[r[i] >> 4];
        hex[2 * i + 1] = "0123456789abcdef"[r[i] & 15];
    }
    hex[2 * nbytes] = '\0';
    return 0;
}

/* ---- body encodings ----------------------------------------------------------------- */

/* Can the byte at p[i] (a sequence of len bytes) go as itself at column col? */
static bool
qp_literal(const unsigned char *p, size_t n, size_t i, size_t len, size_t col, bool eol)
{
    unsigned char c = p[i];

    if (len != 1)
        return false;
    if (c == ' ' || c == '\t')
        return !eol;        /* RFC 2045 6.7 rule 3: no blank before a line break */
    if (c < 33 || c > 126 || c == '=')
        return false;
    if (col == 0 && c == '.')
        return false;       /* safe even where nobody dot-stuffs */
    if (col == 0 && c == 'F') {
        size_t m = n - i < 5 ? n - i : 5;

        /* mbox "From " lines; at the chunk end the rest is unknown, so encode */
        return memcmp(p + i, "From ", m) != 0;
    }
    return true;
}

/*
 * Quoted-printable (RFC 2045 6.7) of s[0..n), continuing at column *colp.  Line breaks
 * (CRLF, LF, CR) become CRLF.  Soft breaks never split a UTF-8 sequence or an =XX.  The
 * end of the chunk may be a line end (the next chunk is unknown): blanks there are encoded
 * and the last line keeps room for a soft break.
 */
static void
qp_chunk(struct out *o, size_t *colp, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    char st[512];
    size_t sl = 0, col = *colp, i = 0;

    while (i < n) {
        unsigned char c = p[i];
        size_t len, w, lim;
        bool eol, lit;

        if (sl > sizeof(st) - 20) {
            put(o, st, sl);
            sl = 0;
        }
        if (c == '\r' || c == '\n') {
            st[sl++] = '\r';
            st[sl++] = '\n';
            col = 0;
            i += (c == '\r' && i + 1 < n && p[i + 1] == '\n') ? 2 : 1;
            continue;
        }
        len = c >= 0x80 ? u8len(p + i, n - i) : 1;
        eol = i + len == n || p[i + len] == '\r' || p[i + len] == '\n';
        lim = (eol && i + len < n) ? MIME_QP_LINE : MIME_QP_LINE - 1;
        lit = qp_literal(p, n, i, len, col, eol);
        w = lit ? 1 : 3 * len;
        if (col + w > lim) {
            st[sl++] = '=';
            st[sl++] = '\r';
            st[sl++] = '\n';
            col = 0;
            lit = qp_literal(p, n, i, len, col, eol);
            w = lit ? 1 : 3 * len;
        }
        if (lit) {
            st[sl++] = (char)c;
        } else {
            for (size_t k = 0; k < len; k++) {
                st[sl++] = '=';
                st[sl++] = hexdig[p[i + k] >> 4];
                st[sl++] = hexdig[p[i + k] & 15];
            }
        }
        col += w;
        i += len;
    }
    put(o, st, sl);
    *colp = col;
}

/* Rough QP size of s[0..n), for choosing between QP and base64. */
static size_t
qp_estimate(const char *s, size_t n)
{
    size_t cost = 0;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        cost += ((c >= 33 && c <= 126 && c != '=') || c == ' ' || c == '\t' || c == '\n') ? 1 : 3;
    }
    return cost + cost / (MIME_QP_LINE - 1) * 3;
}

static size_t
b64_size(size_t n)
{
    size_t chars = 4 * ((n + 2) / 3);

    return chars + 2 * (chars / MIME_B64_LINE);
}

static void
b64_write(struct out *o, const char *s, size_t n)
{
    char line[MIME_B64_LINE + 3];
    size_t per = MIME_B64_LINE / 4 * 3;     /* bytes to a full line */

    for (size_t i = 0; i < n; i += per) {
        size_t ll = text_base64_to(line, s + i, n - i < per ? n - i : per);

        if (i + per < n) {
            line[ll++] = '\r';
            line[ll++] = '\n';
        }
        put(o, line, ll);
    }
}

/* s[0..n) with every line break (CRLF, LF, CR) as CRLF. */
static void
crlf_write(struct out *o, const char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        size_t j = i;

        while (j < n && s[j] != '\r' && s[j] != '\n')
            j++;
        put(o, s + i, j - i);
        if (j == n)
            break;
        put(o, "\r\n", 2);
        i = j + ((s[j] == '\r' && j + 1 < n && s[j + 1] == '\n') ? 2 : 1);
    }
}

/*
 * 7bit check as a scanner that can be fed in pieces (RFC 2045 2.7, 6.7): printable ASCII
 * and TAB, lines <= 76 (so a 7bit part looks like an encoded one), no blank before a line
 * break (gateways strip it), no "From " line (mbox), no "=_" (the boundary starts with it,
 * so it can never occur in any part: QP and base64 output never hold it either).
 */
struct s7 {
    size_t col;
    size_t plen;
    char pre[5];
    unsigned char last;         /* previous byte on this line; 0 at a line start */
    bool bad;
};

static void
s7_feed(struct s7 *s, const char *q, size_t n)
{
    const unsigned char *p = (const unsigned char *)q;

    for (size_t i = 0; i < n && !s->bad; i++) {
        unsigned char c = p[i];

        if (c == '\r' || c == '\n') {
            if (s->last == ' ' || s->last == '\t')
                s->bad = true;
            if (c == '\r' && i + 1 < n && p[i + 1] == '\n')
                i++;
            s->col = s->plen = 0;
            s->last = 0;
            continue;
        }
        if (c >= 0x7f || (c < 0x20 && c != '\t') || (c == '_' && s->last == '='))
            s->bad = true;
        if (++s->col > MIME_QP_LINE)
            s->bad = true;
        if (s->plen < 5) {
            s->pre[s->plen++] = (char)c;
            if (s->plen == 5 && memcmp(s->pre, "From ", 5) == 0)
                s->bad = true;
        }
        s->last = c;
    }
}

static bool
s7_ok(const struct s7 *s)
{
    return !s->bad && s->last != ' ' && s->last != '\t';
}

/* 7bit when clean; else QP unless base64 saves at least a line (so short texts stay
 * readable QP and mostly non-Latin ones, which QP triples, go as base64's 1.37x) */
static enum mime_cte
choose(bool ok7, size_t qp_len, size_t raw_len)
{
    if (ok7)
        return MIME_7BIT;
    return qp_len <= b64_size(raw_len) + MIME_QP_LINE ? MIME_QP : MIME_BASE64;
}

enum mime_cte
mime_cte_choose(const char *p, size_t n)
{
    struct s7 s = { 0 };

    s7_feed(&s, p, n);
    return choose(s7_ok(&s), qp_estimate(p, n), n);
}

const char *
mime_cte_name(enum mime_cte cte)
{
    return cte == MIME_7BIT ? "7bit" : cte == MIME_QP ? "quoted-printable" : "base64";
}

int
mime_body_encode(struct buf *out, enum mime_cte cte, const char *p, size_t n)
{
    struct out o = { out, false };
    size_t col = 0;

    if (cte == MIME_7BIT) {
        crlf_write(&o, p, n);
    } else if (cte == MIME_QP) {
        qp_chunk(&o, &col, p, n);
    } else {
        struct buf tmp;
        struct out t = { &tmp, false };

        buf_init(&tmp, 0);
        crlf_write(&t, p, n);
        b64_write(&o, buf_str(&tmp), tmp.len);
        buf_fini(&tmp);
    }
    return o.err ? -1 : 0;
}

/* ---- the digest: shared parts encoded once ------------------------------------------------ */

struct seg {
    int slot;                   /* >= 0: personal; else shared */
    char *raw;                  /* shared text with CRLF line ends: the 7bit form */
    size_t rawlen;
    char *qp;                   /* its QP form, starting at column 0 */
    size_t qplen;
    size_t qpcol;               /* column where the QP form ends */
    size_t qphead;              /* qp[0..qphead): the QP form of raw[0..head) */
    size_t head;                /* raw[0..head): first line with its CRLF (rawlen: no break) */
    size_t tail;                /* raw[tail..rawlen): the last, unfinished line */
};

struct part {
    struct seg *segs;
    size_t n;
    size_t raw_len, qp_len;     /* totals over the shared segments */
    bool may7;                  /* the shared text alone does not rule out 7bit */
    const char *ctype;
};

struct blob {
    char *p;
    size_t len;
};

struct mime_digest {
    struct blob h_from;         /* From, Reply-To */
    struct blob h_subject;
    struct blob h_rest;         /* MIME-Version, List-Id, extra fields */
    char *domain;               /* Message-ID right side */
    struct part text, html;
    bool has_html;
    size_t nslots;              /* 1 + the highest slot index used */
};

static void
blob_take(struct blob *bl, struct buf *b)
{
    bl->len = b->len;
    bl->p = buf_steal(b);
}

static void
part_fini(struct part *pt)
{
    for (size_t i = 0; i < pt->n; i++) {
        free(pt->segs[i].raw);
        free(pt->segs[i].qp);
    }
    free(pt->segs);
}

void
mime_digest_free(struct mime_digest *g)
{
    if (g == NULL)
        return;
    free(g->h_from.p);
    free(g->h_subject.p);
    free(g->h_rest.p);
    free(g->domain);
    part_fini(&g->text);
    part_fini(&g->html);
    free(g);
}

static int
part_init(struct part *pt, const struct mime_seg *segs, size_t n, const char *what,
    size_t *nslots, struct diag *d)
{
    struct buf b;
    struct out o = { &b, false };

    buf_init(&b, 0);
    pt->segs = xcalloc(n ? n : 1, sizeof(*pt->segs));
    pt->n = n;
    pt->may7 = true;
    for (size_t i = 0; i < n; i++) {
        struct seg *s = &pt->segs[i];
        struct s7 st = { 0 };
        const char *nl;
        size_t col = 0;

        s->slot = segs[i].slot;
        if (s->slot >= 0) {
            if ((size_t)s->slot + 1 > *nslots)
                *nslots = (size_t)s->slot + 1;
            continue;
        }
        if (segs[i].p == NULL && segs[i].len > 0) {
            diag_set(d, EX_SOFTWARE, "%s template segment %zu has no text", what, i);
            goto fail;
        }
        if (segs[i].len > 0 && !utf8_is_valid(segs[i].p, segs[i].len)) {
            diag_set(d, EX_DATAERR, "%s template segment %zu is not valid UTF-8", what, i);
            goto fail;
        }
        crlf_write(&o, segs[i].p, segs[i].len);
        s->rawlen = b.len;
        s->raw = buf_steal(&b);
        nl = memchr(s->raw, '\n', s->rawlen);
        s->head = nl ? (size_t)(nl - s->raw) + 1 : s->rawlen;
        /* encoding the head and the rest apart gives the same bytes as one pass: after the
         * head's hard break the encoder is at column 0 either way */
        qp_chunk(&o, &col, s->raw, s->head);
        s->qphead = b.len;
        qp_chunk(&o, &col, s->raw + s->head, s->rawlen - s->head);
        s->qplen = b.len;
        s->qpcol = col;
        s->qp = buf_steal(&b);
        if (o.err) {
            diag_set(d, EX_DATAERR, "%s template is too large", what);
            goto fail;
        }
        for (s->tail = s->rawlen; s->tail > 0 && s->raw[s->tail - 1] != '\n'; s->tail--)
            ;
        /* lines wholly inside the segment are checked now; the first and the last line
         * depend on their neighbours and are checked per message (they are short then) */
        if (nl != NULL) {
            s7_feed(&st, s->raw + s->head, s->tail - s->head);
            if (st.bad || s->head - 2 > MIME_QP_LINE || s->rawlen - s->tail > MIME_QP_LINE)
                pt->may7 = false;
        } else if (s->rawlen > MIME_QP_LINE) {
            pt->may7 = false;
        }
        for (size_t k = 0; k < s->rawlen && pt->may7; k++) {
            unsigned char c = (unsigned char)s->raw[k];

            if (c >= 0x7f || (c < 0x20 && c != '\t' && c != '\r' && c != '\n'))
                pt->may7 = false;
        }
        pt->raw_len += s->rawlen;
        pt->qp_len += s->qplen + 3;
    }
    buf_fini(&b);
    return 0;
fail:
    buf_fini(&b);
    return -1;
}

static bool
reserved_field(const char *name)
{
    static const char *const r[] = { "Date", "From", "Sender", "Reply-To", "To", "Cc", "Bcc",
        "Subject", "Message-ID", "MIME-Version", "List-Id", "List-Unsubscribe",
        "List-Unsubscribe-Post", "Content-Type", "Content-Transfer-Encoding", "Return-Path",
        "DKIM-Signature", "Received" };

    for (size_t i = 0; i < ARRAY_LEN(r); i++)
        if (ascii_strcasecmp(name, r[i]) == 0)
            return true;
    return false;
}

struct mime_digest *
mime_digest_new(const struct mime_digest_opts *o, struct diag *d)
{
    struct mime_digest *g = xcalloc(1, sizeof(*g));
    struct buf b, v;
    struct out w = { &b, false };
    char sh[256];
    const char *dom;

    buf_init(&b, 0);
    buf_init(&v, 0);
    if (mime_header_mailbox(&b, "From", o->from_name, o->from_addr, d) == -1)
        goto fail;
    if (o->reply_to_addr != NULL &&
        mime_header_mailbox(&b, "Reply-To", o->reply_to_name, o->reply_to_addr, d) == -1)
        goto fail;
    blob_take(&g->h_from, &b);

    if (norm_text("Subject", o->subject ? o->subject : "", &v, d) == -1)
        goto fail;
    if (v.len == 0) {
        diag_set(d, EX_DATAERR, "Subject is empty; every message needs a subject");
        goto fail;
    }
    if (mime_header_text(&b, "Subject", o->subject, d) == -1)
        goto fail;
    blob_take(&g->h_subject, &b);

    put_str(&w, "MIME-Version: 1.0\r\n");         /* RFC 2045 4 */
    if (o->list_id != NULL) {
        struct hw h;
        char tok[MIME_LIST_ID_MAX + 3];

        if (!list_id_ok(o->list_id)) {
            diag_set(d, EX_DATAERR, "List-Id \"%s\" is not a dot-atom like "
                "weekly.example.com of at most %d octets (RFC 2919 2)",
                shown(sh, sizeof(sh), o->list_id), MIME_LIST_ID_MAX);
            goto fail;
        }
        if (norm_text("List-Id name", o->list_name ? o->list_name : "", &v, d) == -1)
            goto fail;
        hw_start(&h, &w, "List-Id");
        if (v.len > 0)
            hw_phrase(&h, buf_str(&v), v.len);
        snprintf(tok, sizeof(tok), "<%s>", o->list_id);
        hw_word(&h, tok, strlen(tok), v.len == 0);
        hw_end(&h);
    }
    for (size_t i = 0; i < o->nextra; i++) {
        const struct mime_field *f = &o->extra[i];

        if (f->name == NULL || !field_name_ok(f->name) || reserved_field(f->name)) {
            diag_set(d, EX_DATAERR, "extra header name \"%s\" is not allowed; use 1-%d "
                "printable characters without ':', not a field gazette writes itself",
                shown(sh, sizeof(sh), f->name ? f->name : ""), MIME_FIELD_NAME_MAX);
            goto fail;
        }
        if (mime_header_text(&b, f->name, f->value, d) == -1)
            goto fail;
    }
    blob_take(&g->h_rest, &b);

    dom = o->msgid_domain ? o->msgid_domain : strrchr(o->from_addr, '@') + 1;
    if (!domain_ok(dom, strlen(dom))) {
        diag_set(d, EX_DATAERR, "Message-ID domain \"%s\" is not a host name; set "
            "msgid_domain to a domain you control", shown(sh, sizeof(sh), dom));
        goto fail;
    }
    g->domain = xstrdup(dom);

    if (part_init(&g->text, o->text, o->ntext, "text", &g->nslots, d) == -1)
        goto fail;
    g->text.ctype = "text/plain; charset=utf-8";
    g->has_html = o->html != NULL;
    if (g->has_html) {
        if (part_init(&g->html, o->html, o->nhtml, "html", &g->nslots, d) == -1)
            goto fail;
        g->html.ctype = "text/html; charset=utf-8";
    }
    buf_fini(&v);
    return g;
fail:
    buf_fini(&b);
    buf_fini(&v);
    mime_digest_free(g);
    return NULL;
}

/* ---- one message ------------------------------------------------------------------------- */

static const struct mime_str *
slot_value(const struct mime_personal *p, int slot)
{
    static const struct mime_str empty = { "", 0 };

    return (size_t)slot < p->nslots ? &p->slots[slot] : &empty;
}

static enum mime_cte
part_cte(const struct part *pt, const struct mime_personal *p)
{
    struct s7 st = { 0 };
    size_t raw = pt->raw_len, qp = pt->qp_len;

    for (size_t i = 0; i < pt->n; i++) {
        const struct seg *s = &pt->segs[i];

        if (s->slot >= 0) {
            const struct mime_str *v = slot_value(p, s->slot);

            raw += v->len;
            qp += qp_estimate(v->p, v->len);
            if (pt->may7)
                s7_feed(&st, v->p, v->len);
        } else if (pt->may7) {
            s7_feed(&st, s->raw, s->head);
            if (s->head < s->rawlen)
                s7_feed(&st, s->raw + s->tail, s->rawlen - s->tail);
        }
    }
    return choose(pt->may7 && s7_ok(&st), qp, raw);
}

static void
part_write(struct out *o, const struct part *pt, const struct mime_personal *p, bool single)
{
    enum mime_cte cte = part_cte(pt, p);
    size_t col = 0;

    put_str(o, "Content-Type: ");
    put_str(o, pt->ctype);
    put_str(o, "\r\nContent-Transfer-Encoding: ");
    put_str(o, mime_cte_name(cte));
    put_str(o, "\r\n\r\n");
    if (cte == MIME_BASE64) {
        struct buf tmp;
        struct out t = { &tmp, false };

        buf_init(&tmp, 0);
        for (size_t i = 0; i < pt->n; i++) {
            const struct seg *s = &pt->segs[i];

            if (s->slot >= 0)
                crlf_write(&t, slot_value(p, s->slot)->p, slot_value(p, s->slot)->len);
            else
                put(&t, s->raw, s->rawlen);
        }
        b64_write(o, buf_str(&tmp), tmp.len);
        buf_fini(&tmp);
    } else {
        for (size_t i = 0; i < pt->n; i++) {
            const struct seg *s = &pt->segs[i];
            const struct mime_str *v;

            if (s->slot < 0 && cte == MIME_7BIT) {
                put(o, s->raw, s->rawlen);
            } else if (s->slot < 0) {
                if (s->rawlen == 0)
                    continue;
                if (col != 0 && s->head <= HEAD_REENCODE) {
                    /* continue the current line with the head, then the pre-encoded rest,
                     * which starts at column 0 after the head's hard break */
                    qp_chunk(o, &col, s->raw, s->head);
                    if (s->qphead < s->qplen) {
                        put(o, s->qp + s->qphead, s->qplen - s->qphead);
                        col = s->qpcol;
                    }
                } else {
                    /* a long first line: end ours with a soft break, copy it all */
                    if (col != 0)
                        put(o, "=\r\n", 3);
                    put(o, s->qp, s->qplen);
                    col = s->qpcol;
                }
            } else {
                v = slot_value(p, s->slot);
                if (cte == MIME_7BIT)
                    crlf_write(o, v->p, v->len);
                else
                    qp_chunk(o, &col, v->p, v->len);
            }
        }
    }
    if (single && !o->err && o->b->len > 0 && o->b->p[o->b->len - 1] != '\n')
        put_str(o, cte == MIME_QP ? "=\r\n" : "\r\n");
}

/* "mailto:ADDR?subject=unsubscribe" with ADDR percent-encoded (RFC 6068 2). */
static void
mailto_write(struct out *o, const char *addr)
{
    put_str(o, "<mailto:");
    for (const char *a = addr; *a; a++) {
        unsigned char c = (unsigned char)*a;

        if (IS_ALNUM(c) || strchr("-._~!$'()*+,;:@", c) != NULL) {
            put(o, a, 1);
        } else {
            char e[3] = { '%', hexdig[c >> 4], hexdig[c & 15] };

            put(o, e, 3);
        }
    }
    put_str(o, "?subject=unsubscribe>");
}

/* The personal values checked before anything is written: addresses, URL, slot texts. */
static int
personal_check(const struct mime_digest *g, const struct mime_personal *p, bool *https,
    struct diag *d)
{
    if (check_addr("To address", p->to_addr, d) == -1 ||
        (p->unsub_url != NULL && check_url(p->unsub_url, https, d) == -1) ||
        (p->unsub_mailto != NULL &&
        check_addr("List-Unsubscribe mailto address", p->unsub_mailto, d) == -1))
        return -1;
    if (p->nslots < g->nslots) {
        diag_set(d, EX_SOFTWARE, "the templates use %zu personal slots but %zu were given",
            g->nslots, p->nslots);
        return -1;
    }
    for (size_t i = 0; i < p->nslots; i++) {
        if (p->slots[i].len > 0 &&
            (p->slots[i].p == NULL || !utf8_is_valid(p->slots[i].p, p->slots[i].len))) {
            diag_set(d, EX_DATAERR, "personal text %zu is not valid UTF-8", i);
            return -1;
        }
    }
    return 0;
}

/* Date (t, as tm in UTC) and Message-ID (the time, then hex random, at g's domain). */
static void
date_msgid_write(struct out *o, const struct mime_digest *g, time_t t, const struct tm *tm,
    const char *hex)
{
    char id[16], *q = id;

    put_str(o, "Date: ");
    if (!o->err && mime_date_write(o->b, t) == -1)
        o->err = true;
    /* RFC 5322 3.6.4: unique by 96 random bits; the time only helps people reading it */
    q = digits(q, (tm->tm_year + 1900) % 10000, 4);
    q = digits(q, tm->tm_mon + 1, 2);
    q = digits(q, tm->tm_mday, 2);
    q = digits(q, tm->tm_hour, 2);
    q = digits(q, tm->tm_min, 2);
    q = digits(q, tm->tm_sec, 2);
    put_str(o, "\r\nMessage-ID: <");
    put(o, id, (size_t)(q - id));
    put(o, ".", 1);
    put_str(o, hex);
    put(o, "@", 1);
    put_str(o, g->domain);
    put_str(o, ">\r\n");
}

/* To (p alone), then Subject: p's own (checked here), else the digest's. */
static int
to_subject_write(struct out *o, const struct mime_digest *g, const struct mime_personal *p,
    struct diag *d)
{
    struct buf v;
    struct hw h;
    int rc = -1;

    buf_init(&v, 0);
    if (norm_text("To name", p->to_name ? p->to_name : "", &v, d) == -1)
        goto out;
    hw_start(&h, o, "To");
    hw_mailbox(&h, buf_str(&v), v.len, p->to_addr);
    hw_end(&h);
    if (p->subject != NULL) {
        if (norm_text("Subject", p->subject, &v, d) == -1)
            goto out;
        if (v.len == 0) {
            diag_set(d, EX_DATAERR, "Subject is empty; every message needs a subject");
            goto out;
        }
        hw_start(&h, o, "Subject");
        hw_words(&h, buf_str(&v), v.len, false);
        hw_end(&h);
    } else {
        put(o, g->h_subject.p, g->h_subject.len);
    }
    rc = 0;
out:
    buf_fini(&v);
    return rc;
}

/* List-Unsubscribe with p's URL and mailto, and List-Unsubscribe-Post for an https URL. */
static void
unsub_write(struct out *o, const struct mime_personal *p, bool https)
{
    struct buf tok;
    struct out t2 = { &tok, false };
    struct hw h;

    buf_init(&tok, 0);
    /* RFC 2369 2: angle-bracketed URIs, comma separated; fold after the comma */
    hw_start(&h, o, "List-Unsubscribe");
    if (p->unsub_url != NULL) {
        buf_reset(&tok);
        put_str(&t2, "<");
        put_str(&t2, p->unsub_url);
        put_str(&t2, p->unsub_mailto ? ">," : ">");
        hw_word(&h, buf_str(&tok), tok.len, true);
    }
    if (p->unsub_mailto != NULL) {
        buf_reset(&tok);
        mailto_write(&t2, p->unsub_mailto);
        hw_word(&h, buf_str(&tok), tok.len, p->unsub_url == NULL);
    }
    hw_end(&h);
    /* RFC 8058 3.1: one-click only with an HTTPS URI */
    if (https)
        put_str(o, "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");
    buf_fini(&tok);
}

/* The body: text and html as multipart/alternative with a boundary of its own, or text. */
static int
body_write(struct out *o, const struct mime_digest *g, const struct mime_personal *p,
    struct diag *d)
{
    char boundary[MIME_BOUNDARY_MAX + 1], bhex[2 * BOUNDARY_RANDOM + 1];

    if (!g->has_html) {
        part_write(o, &g->text, p, true);
        return 0;
    }
    /* one boundary per message (issue 9): random, like the Message-ID.  RFC 2046
     * 5.1.1: "=_" cannot occur in QP or base64 output, and 7bit parts holding it are
     * sent as QP, so the boundary never occurs in the content */
    if (random_hex(bhex, BOUNDARY_RANDOM, d) == -1)
        return -1;
    snprintf(boundary, sizeof(boundary), "=_gz%s", bhex);
    put_str(o, "Content-Type: multipart/alternative;\r\n boundary=\"");
    put_str(o, boundary);
    put_str(o, "\"\r\n\r\n--");
    put_str(o, boundary);
    put_str(o, "\r\n");
    part_write(o, &g->text, p, false);
    put_str(o, "\r\n--");
    put_str(o, boundary);
    put_str(o, "\r\n");
    part_write(o, &g->html, p, false);
    put_str(o, "\r\n--");
    put_str(o, boundary);
    put_str(o, "--\r\n");
    return 0;
}

int
mime_message_write(const struct mime_digest *g, const struct mime_personal *p,
    struct buf *out, struct diag *d)
{
    struct out o = { out, false };
    size_t start = out->len;
    bool https = false;
    time_t t = p->date ? p->date : time(NULL);
    char hex[2 * MSGID_RANDOM + 1];
    struct tm tm;
    int rc = -1;

    if (personal_check(g, p, &https, d) == -1)
        goto out;
    if (gmtime_r(&t, &tm) == NULL || tm.tm_year < 0) {
        diag_set(d, EX_DATAERR, "the message date %lld is out of range", (long long)t);
        goto out;
    }
    if (random_hex(hex, MSGID_RANDOM, d) == -1)
        goto out;
    date_msgid_write(&o, g, t, &tm, hex);
    put(&o, g->h_from.p, g->h_from.len);
    if (to_subject_write(&o, g, p, d) == -1)
        goto out;
    put(&o, g->h_rest.p, g->h_rest.len);
    if (p->unsub_url != NULL || p->unsub_mailto != NULL)
        unsub_write(&o, p, https);
    if (body_write(&o, g, p, d) == -1)
        goto out;
    if (o.err) {
        overflow(d, out);
        goto out;
    }
    rc = 0;
out:
    if (rc == -1 && !o.err && out->p != NULL) {
        out->len = start;
        out->p[start] = '\0';
    }
    return rc;
}
