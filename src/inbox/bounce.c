/*
 * bounce: classify one incoming message (see include/bounce.h).  GMime parses the MIME
 * structure and decodes transfer encodings and charsets; the rest reads the decoded text.
 * Specs: RFC 3464 (DSN), RFC 3463 (status codes), RFC 6522 (multipart/report), RFC 5965
 * (ARF), RFC 3834 (auto-replies), RFC 5321 4.2 (reply codes).
 * SPDX-License-Identifier: MIT
 */
#include <gmime/gmime.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bounce.h"
#include "buf.h"
#include "text.h"
#include "util.h"

#define TEXT_MAX ((size_t)1 << 20)  /* decoded text kept per message for the heuristics */
#define PART_MAX ((size_t)4 << 20)  /* a text part bigger than this is not a report */
#define DEPTH_MAX 16                /* nesting of multiparts and messages followed */
#define PARTS_MAX 256               /* parts looked at */
#define LINE_BACK_MAX 512           /* bytes looked at around an address on its line */
#define ADDRS_MAX 1000              /* addresses looked at in a report's text */

struct walk {
    struct bounce_report *r;
    struct buf dsn;                 /* message/delivery-status contents, concatenated */
    struct buf arf;                 /* message/feedback-report */
    struct buf text;                /* the human-readable parts, decoded to UTF-8 */
    struct buf html;                /* text/html parts, as text, when there is no plain */
    struct buf orig;                /* headers of the returned original */
    bool report_dsn, report_arf;    /* multipart/report's report-type */
    bool has_orig;                  /* a message/rfc822 or text/rfc822-headers part */
    int parts;
    char ex[8][BOUNCE_ADDR_MAX];    /* never the failed recipient (not_recipients()) */
    size_t nex, nsend;              /* in ex; the first nsend are senders */
};

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;

/*
 * GMime's classes (parts, multiparts, message parts, streams, filters) are made on first
 * use; one small report parsed here, under pthread_once, makes them before any thread
 * of the inbox parses its first message (their publication is then ordered for the
 * thread checkers too, which cannot see inside GLib).
 */
static void walk(struct walk *w, GMimeObject *o, int depth, bool inside_orig);

static const char warmup[] =
    "From: MAILER-DAEMON@example.org\nTo: x@example.org\nSubject: warm-up\n"
    "MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; "
    "boundary=\"b\"\n\n--b\nContent-Type: text/plain; charset=iso-8859-1\n"
    "Content-Transfer-Encoding: quoted-printable\n\n=E9\n--b\n"
    "Content-Type: message/delivery-status\n\nFinal-Recipient: rfc822; y@example.org\n"
    "Action: failed\nStatus: 5.1.1\n\n--b\nContent-Type: text/rfc822-headers\n\n"
    "From: z@example.org\n\n--b\nContent-Type: message/rfc822\n\nFrom: z@example.org\n"
    "Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
    "PGI+eDwvYj4=\n\n--b--\n";

static void
gmime_start(void)
{
    GMimeStream *stream;
    GMimeParser *parser;
    GMimeMessage *msg;

    g_mime_init();
    stream = g_mime_stream_mem_new_with_buffer(warmup, sizeof(warmup) - 1);
    parser = g_mime_parser_new_with_stream(stream);
    msg = g_mime_parser_construct_message(parser, NULL);
    if (msg != NULL) {
        struct bounce_report *r = xmalloc(sizeof(*r));
        struct walk w;

        memset(&w, 0, sizeof(w));
        w.r = r;
        memset(r, 0, sizeof(*r));
        buf_init(&w.dsn, 0);
        buf_init(&w.arf, 0);
        buf_init(&w.text, 0);
        buf_init(&w.html, 0);
        buf_init(&w.orig, 0);
        walk(&w, g_mime_message_get_mime_part(msg), 0, false);
        buf_fini(&w.dsn);
        buf_fini(&w.arf);
        buf_fini(&w.text);
        buf_fini(&w.html);
        buf_fini(&w.orig);
        free(r);
        g_object_unref(msg);
    }
    g_object_unref(parser);
    g_object_unref(stream);
}

const char *
bounce_kind_name(enum bounce_kind k)
{
    static const char *const names[] = { "unknown", "failed", "complaint", "autoreply",
        "delivered" };

    return (unsigned)k < ARRAY_LEN(names) ? names[k] : "unknown";
}

/* ---- small text helpers ------------------------------------------------------------- */

/* Copy n bytes of outside text into dst: one line, control bytes and broken UTF-8 as
   \xNN, blanks squeezed, cut on a character boundary. */
static void
copy_clean(char *dst, size_t size, const char *p, size_t n)
{
    size_t o = 0;
    bool sp = false;

    for (size_t i = 0; i < n && o + 1 < size;) {
        unsigned char c = (unsigned char)p[i];

        if (c == '\r' || c == '\n' || c == '\t' || c == ' ') {
            sp = o > 0;
            i++;
            continue;
        }
        if (sp) {
            if (o + 2 >= size)
                break;
            dst[o++] = ' ';
            sp = false;
        }
        if (c < 0x20 || c == 0x7f) {
            if (o + 5 >= size)
                break;
            snprintf(dst + o, 5, "\\x%02x", c);
            o += 4;
            i++;
        } else if (c < 0x80) {
            dst[o++] = (char)c;
            i++;
        } else {
            size_t l = utf8_seq_len((const unsigned char *)p + i, n - i);

            if (l == 0) {
                if (o + 5 >= size)
                    break;
                snprintf(dst + o, 5, "\\x%02x", c);
                o += 4;
                i++;
            } else {
                if (o + l >= size)
                    break;
                memcpy(dst + o, p + i, l);
                o += l;
                i += l;
            }
        }
    }
    dst[o] = '\0';
}

static bool
is_addr_char(unsigned char c)
{
    /* atext less '/', '\'' and '`' (paths and quotes around an address in reports) */
    return IS_ALNUM(c) || strchr("!#$%&*+-=?^_{|}~.", c) != NULL;
}

/*
 * Find the next address (local@domain, the domain with a dot) in p[0..n) from *pos: its
 * start and length in *s and *l, *pos past it.  Loose on purpose (reports quote addresses in
 * every way), strict on the shape: a local part and a dotted domain of letters, digits
 * and hyphens, no leading or trailing dot.
 */
static bool
next_addr(const char *p, size_t n, size_t *pos, size_t *s, size_t *l)
{
    for (size_t i = *pos; i < n; i++) {
        size_t a, b, dots = 0;

        if (p[i] != '@')
            continue;
        a = i;
        while (a > 0 && is_addr_char((unsigned char)p[a - 1]) && i - a < 64)
            a--;
        if (a > 0 && is_addr_char((unsigned char)p[a - 1]))
            continue;           /* a local part past 64: no address, not its tail */
        while (a < i && p[a] == '.')
            a++;
        b = i + 1;
        while (b < n && (IS_ALNUM((unsigned char)p[b]) || p[b] == '-' || p[b] == '.') &&
            b - i < 254)
            b++;
        if (b < n && (IS_ALNUM((unsigned char)p[b]) || p[b] == '-' || (p[b] == '.' &&
            b + 1 < n && (IS_ALNUM((unsigned char)p[b + 1]) || p[b + 1] == '-'))))
            continue;           /* a domain past 253 (the cap can stop at a dot): the same */
        while (b > i + 1 && (p[b - 1] == '.' || p[b - 1] == '-'))
            b--;
        for (size_t k = i + 1; k < b; k++)
            dots += p[k] == '.';
        if (a == i || b == i + 1 || dots == 0 || p[i - 1] == '.' || p[i + 1] == '.' ||
            p[i + 1] == '-') {
            continue;
        }
        /* "=" inside a local part before the '@' often is a VERP/SRS-encoded address;
           keep it as it is: the report names it so */
        *s = a;
        *l = b - a;
        *pos = b;
        return true;
    }
    *pos = n;
    return false;
}

/* Lower-case copy of an address into dst (ASCII folded: for comparisons). */
static void
addr_copy(char *dst, size_t size, const char *p, size_t n)
{
    size_t o = 0;

    for (size_t i = 0; i < n && o + 1 < size; i++)
        dst[o++] = (char)TO_LOWER((unsigned char)p[i]);
    dst[o] = '\0';
}

/* The first address in the text p[0..n) that fits dst (one cut short could be somebody
   else's) into dst; false if none. */
static bool
first_addr(const char *p, size_t n, char *dst, size_t size)
{
    size_t pos = 0, s, l;

    while (next_addr(p, n, &pos, &s, &l)) {
        if (l < size) {
            addr_copy(dst, size, p + s, l);
            return true;
        }
    }
    return false;
}

/* Case-insensitive search of needle (lower case) in hay[0..n).  The first character is
   found with memchr in both cases (the classifier runs dozens of these over each report). */
static const char *
find_ci(const char *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    const char *p = hay, *end;
    int lc, uc;

    if (m == 0 || m > n)
        return NULL;
    end = hay + (n - m) + 1;        /* candidates start before end */
    lc = (unsigned char)needle[0];
    uc = lc >= 'a' && lc <= 'z' ? lc - ('a' - 'A') : lc;
    while (p < end) {
        const char *a = memchr(p, lc, (size_t)(end - p));
        const char *c = uc != lc ? memchr(p, uc, (size_t)((a ? a : end) - p)) : NULL;

        if (c == NULL)
            c = a;
        if (c == NULL)
            return NULL;
        if (m == 1 || ascii_strncasecmp(c + 1, needle + 1, m - 1) == 0)
            return c;
        p = c + 1;
    }
    return NULL;
}

/* The first needle (m > 0 bytes) in lc[0..n), or NULL.  Both already folded. */
static const char *
find_folded(const char *lc, size_t n, const char *needle, size_t m)
{
    const char *p = lc, *end;

    if (m == 0 || m > n)
        return NULL;
    end = lc + (n - m) + 1;
    while (p < end && (p = memchr(p, needle[0], (size_t)(end - p))) != NULL) {
        if (memcmp(p + 1, needle + 1, m - 1) == 0)
            return p;
        p++;
    }
    return NULL;
}

/*
 * Is any of needles (lower case) in hay[0..n), ASCII case ignored?  The text is folded
 * once, not once per needle in both cases: the word lists hold dozens of needles.
 */
static bool
has_any(const char *hay, size_t n, const char *const *needles)
{
    char small[1024], *lc = n <= sizeof(small) ? small : xmalloc(n);
    bool found = false;

    for (size_t i = 0; i < n; i++)
        lc[i] = (char)TO_LOWER((unsigned char)hay[i]);
    for (; *needles && !found; needles++)
        found = find_folded(lc, n, *needles, strlen(*needles)) != NULL;
    if (lc != small)
        free(lc);
    return found;
}

/*
 * An RFC 3463 status code "c.s.d" in p[0..n): class 2, 4 or 5, subject and detail of 1-3
 * digits, not part of a longer number or a dotted quad.  Into out; false if none.
 */
static bool
find_status(const char *p, size_t n, char out[16])
{
    for (size_t i = 0; i + 5 <= n; i++) {
        size_t k = i + 2, d1 = 0, d2 = 0;

        if ((p[i] != '2' && p[i] != '4' && p[i] != '5') || p[i + 1] != '.')
            continue;
        if (i > 0 && (IS_DIGIT((unsigned char)p[i - 1]) || p[i - 1] == '.'))
            continue;
        while (k < n && IS_DIGIT((unsigned char)p[k]) && d1 < 4) {
            k++;
            d1++;
        }
        if (d1 == 0 || d1 > 3 || k >= n || p[k] != '.')
            continue;
        k++;
        while (k < n && IS_DIGIT((unsigned char)p[k]) && d2 < 4) {
            k++;
            d2++;
        }
        if (d2 == 0 || d2 > 3 || (k < n && (IS_DIGIT((unsigned char)p[k]) ||
            (p[k] == '.' && k + 1 < n && IS_DIGIT((unsigned char)p[k + 1])))))
            continue;
        if (k - i >= 16)
            continue;
        memcpy(out, p + i, k - i);
        out[k - i] = '\0';
        return true;
    }
    return false;
}

/* An SMTP reply code (4yz or 5yz, RFC 5321 4.2) standing alone in p[0..n): 0 if none. */
static int
find_reply(const char *p, size_t n)
{
    for (size_t i = 0; i + 3 <= n; i++) {
        if ((p[i] != '4' && p[i] != '5') || !IS_DIGIT((unsigned char)p[i + 1]) ||
            !IS_DIGIT((unsigned char)p[i + 2]) || p[i + 1] > '5')
            continue;
        if (i > 1 && p[i - 1] == '-' && IS_DIGIT((unsigned char)p[i - 2]))
            continue;                   /* the end of a number such as 000-000-440 */
        if (i > 0 && (IS_ALNUM((unsigned char)p[i - 1]) || p[i - 1] == '.' ||
            p[i - 1] == ':' || p[i - 1] == '/' || p[i - 1] == '#'))
            continue;
        if (i + 3 < n && p[i + 3] != ' ' && p[i + 3] != '-' && p[i + 3] != '\n' &&
            p[i + 3] != '\r')
            continue;
        return (p[i] - '0') * 100 + (p[i + 1] - '0') * 10 + (p[i + 2] - '0');
    }
    return 0;
}

/* ---- hard or soft ---------------------------------------------------------------------- */

/* Wording of failures that are not about the address existing: they win over "unknown
   user" in the same text (a full mailbox exists; a block says nothing of the address). */
/* Failures that are not about the address existing, and win over "unknown user" in the
   same text: a full or disabled mailbox exists; a relay or sender problem says nothing of
   the recipient. */
static const char *const soft_words[] = {
    "mailbox full", "mailbox is full", "quota", "insufficient", "storage", "too large",
    "size limit", "exceeds", "disabled", "suspended", "inactive", "relaying",
    "relay access", "relay not permitted", "sender address", "domain of sender",
    "sender domain", "sender verif", "malformed or unexpected", "permission", "autoris",
    "postfach voll", "bo\xc3\xaete pleine", "boite pleine", "buz\xc3\xb3n lleno",
    "caixa cheia", "casella piena",
    "\xd0\xbf\xd0\xb5\xd1\x80\xd0\xb5\xd0\xbf\xd0\xbe\xd0\xbb\xd0\xbd\xd0\xb5\xd0\xbd",
                                                    /* ru: perepolnen, overfull */
    NULL
};

/* The reply refuses the sender, not the recipient ("Unroutable sender address"): even
   the words of a domain that does not exist are then about the sender's. */
static const char *const sender_words[] = {
    "sender address", "domain of sender", "sender domain", "sender verif", "envelope sender",
    "unroutable sender", "sender rejected", NULL
};

/* Blocks, filters and trouble: they win over an X.1.1 status, not over the words "user
   unknown" in a reply to RCPT TO. */
static const char *const weak_soft_words[] = {
    "too many", "rate limit", "try again later", "temporar", "greylist", "spam", "blocked",
    "blacklist", "block list", "blocklist", "policy", "not allowed", "virus",
    "authentication", "dmarc", "reputation", "timed out", "timeout", "connection refused",
    "expired", "delayed", "deferred", "preferences", "prohibited", "refused due",
    "rejected due", "filtered", "filter", NULL
};

/* The mailbox does not exist.  Without an X.1.1-like status, only believed in a reply to
   RCPT TO: the same words in a reply to DATA come from content filters too. */
static const char *const user_words[] = {
    "user unknown", "unknown user", "no such user", "no such mailbox", "no such recipient",
    "no such person", "no such address", "unknown recipient", "unknown mailbox",
    "unknown local", "unknown address", "unknown e-mail", "unknown email", "address unknown",
    "recipient unknown", "invalid recipient", "invalid mailbox", "invalid address",
    "does not exist", "doesn't exist", "not exist", "no mailbox", "mailbox not found",
    "mailbox unavailable", "mailbox is unavailable", "not found", "not a valid",
    "is not a known user", "user not known", "no account", "not a local address",
    "bad recipient", "bad destination", "not recognized", "not listed",
    "invalid final delivery", "address not found",
    "couldn't be found", "could not be found", "no valid recipient", "nicht bekannt", "unbekannt",
    "user doesn't have", "user does not have", "doesn't have an account",
    "does not have an account",
    "inconnu", "desconocido", "inesistente", "existe pas", "existiert nicht",
    "no existe", "n\xc3\xa3o existe", "sconosciuto", "nieznany", "onbekend",
    "\xd0\xbd\xd0\xb5 \xd1\x81\xd1\x83\xd1\x89\xd0\xb5\xd1\x81"
    "\xd1\x82\xd0\xb2\xd1\x83\xd0\xb5\xd1\x82",
                                                    /* ru: ne sushchestvuet */
    NULL
};

/* The domain does not exist or takes no mail, or the user moved away: always hard. */
static const char *const host_words[] = {
    "unrouteable", "unroutable", "host unknown", "unknown host", "host not found",
    "domain not found", "no such domain", "name or service not known",
    "host or domain name not found", "domain does not exist", "domain must exist",
    "null mx", "does not accept mail", "accepts no mail", "no smtp service", "has moved",
    "not our user", "not our customer", "unknown domain", "find a mail exchanger",
    "domain is not reachable", "account or domain may not exist", "no mx", "illegal host",
    NULL
};

static bool
is_hard(const char *status, const char *text, int cmd)
{
    size_t n = text ? strlen(text) : 0;
    bool st_hard = false;

    if (status != NULL && status[0] == '4')
        return false;                   /* temporary: never "does not exist" */
    if (status != NULL && status[0] == '5') {
        /* X.1.1 bad mailbox, X.1.2 bad system, X.1.6 moved, X.1.10 null MX (RFC 3463
           3.2, RFC 7505) */
        st_hard = strcmp(status + 1, ".1.1") == 0 || strcmp(status + 1, ".1.2") == 0 ||
            strcmp(status + 1, ".1.6") == 0 || strcmp(status + 1, ".1.10") == 0 ||
            strcmp(status + 1, ".4.4") == 0;    /* X.4.4 unable to route: no such domain */
        if (strcmp(status + 1, ".1.8") == 0 || strcmp(status + 1, ".1.7") == 0)
            return false;               /* the sender's address, not the recipient's */
        /* security or policy (X.7.27: null MX, RFC 7505); but many servers answer RCPT TO
           for a mailbox they do not have with X.7.1 and say so ("553 Invalid recipient",
           "Recipient address rejected: Access denied", Exchange Online's answer for an
           address its directory does not hold) */
        if (strncmp(status + 1, ".7.", 3) == 0 && strcmp(status + 1, ".7.27") != 0 &&
            !(cmd == 'R' && n > 0 && !has_any(text, n, soft_words) &&
            !has_any(text, n, weak_soft_words) && (has_any(text, n, user_words) ||
            find_ci(text, n, "recipient address rejected") != NULL)))
            return false;
    }
    if (n > 0 && has_any(text, n, sender_words))
        return false;                   /* the sender's address or domain is refused */
    if (n > 0 && has_any(text, n, host_words))
        return true;                    /* the domain: whatever else the text says */
    if (cmd == 'M')
        return false;                   /* a reply to MAIL FROM is about the sender */
    if (n > 0 && has_any(text, n, soft_words))
        return false;
    if (st_hard)
        return n == 0 || !has_any(text, n, weak_soft_words);
    if (status != NULL && status[0] == '5' && strncmp(status + 1, ".1.", 3) == 0 && n > 0 &&
        (find_ci(text, n, "address rejected") != NULL || has_any(text, n, user_words)))
        return true;                    /* X.1.X is about the destination address */
    if (cmd == 'M' || cmd == 'D')
        return false;                   /* about the sender, or a content filter's words */
    if (cmd == 'R' && n > 0 && find_ci(text, n, "recipient address rejected") != NULL &&
        !has_any(text, n, weak_soft_words))
        return true;                    /* the reply to RCPT TO refuses the address itself */
    return n > 0 && has_any(text, n, user_words);
}

/* Words of a full mailbox, a message too big, a disabled account, an expired message, a
   network failure, a block: for the status code of a report that gives none. */
static const char *const full_words[] = {
    "mailbox full", "mailbox is full", "mailbox exceeds", "quota", "disk space",
    "insufficient storage", "insufficient system storage", "not enough space",
    "storage space", "mailbox size", "too many messages", "exceeded the local limit",
    "\xe4\xb8\x80\xe6\x9d\xaf",                           /* ja: ippai, full */
    "\xe5\xae\xb9\xe9\x87\x8f",                           /* ja: capacity */
    "\xd0\xbf\xd0\xb5\xd1\x80\xd0\xb5\xd0\xbf\xd0\xbe\xd0\xbb\xd0\xbd\xd0\xb5\xd0\xbd",
                                                    /* ru: perepolnen, overfull */
    "postfach voll", "postfach ist voll", "bo\xc3\xaete pleine", "boite pleine",
    "buz\xc3\xb3n lleno", "caixa cheia", "casella piena", NULL
};
static const char *const big_words[] = {
    "too large", "too big", "size limit", "message size", "exceeds the maximum",
    "maximum size", "message length exceeds", NULL
};
static const char *const disabled_words[] = {
    "disabled", "suspended", "inactive", "deactivated", "account is locked", NULL
};
static const char *const expired_words[] = {
    "expired", "too long", "giving up", "given up", "been in the queue",
    "could not be delivered for", "retry time", NULL
};
static const char *const network_words[] = {
    "connection refused", "connection timed out", "timed out", "network error",
    "socket error", "unreachable", "no route to host", "could not connect",
    "requests to connect", "lost connection", "connect to", NULL
};
static const char *const block_words[] = {
    "spam", "blocked", "blacklist", "block list", "blocklist", "reputation", "policy",
    "dmarc", "not allowed", "prohibited", "denied", "rejected due", "refused due", "virus",
    "relay", "authentication", NULL
};

/*
 * A status code for a recipient whose report gives neither an RFC 3463 code nor an SMTP
 * reply (RFC 3463 3: the subject and detail its words name, X.0.0 when they name none);
 * the class from the report: a DSN's Action, else its own words (a delay or a temporary
 * failure is 4, a failure 5).  Marked inferred.
 */
static void
infer_status(struct bounce_rcpt *rc, const char *text, size_t tn)
{
    static const struct { const char *const *words; const char *sd; } why[] = {
        { host_words, "1.2" }, { full_words, "2.2" }, { big_words, "3.4" },
        { user_words, "1.1" }, { disabled_words, "2.1" }, { expired_words, "4.7" },
        { network_words, "4.1" }, { block_words, "7.1" },
    };
    static const char *const temp[] = { "temporary", "temporarily", "delayed",
        "will retry", "will be retried", "will try again", "still trying",
        "warning: message", NULL };
    static const char *const perm[] = { "permanent", "fatal", "giving up", "given up",
        "failed", NULL };
    const char *d = rc->diag, *sd = "0.0";
    size_t dn = strlen(d);
    char cls = '5';

    for (size_t k = 0; k < ARRAY_LEN(why); k++)
        if ((dn > 0 && has_any(d, dn, why[k].words))) {
            sd = why[k].sd;
            break;
        }
    if (strcmp(sd, "0.0") == 0)
        for (size_t k = 0; k < ARRAY_LEN(why); k++)
            if (tn > 0 && has_any(text, tn, why[k].words)) {
                sd = why[k].sd;
                break;
            }
    if (strcmp(rc->action, "delayed") == 0 || (tn > 0 && has_any(text, tn, temp) &&
        !has_any(text, tn, perm)))
        cls = '4';
    snprintf(rc->status, sizeof(rc->status), "%c.%s", cls, sd);
    rc->inferred = true;
}

bool
bounce_is_hard(const char *status, const char *text)
{
    return is_hard(status, text, 'R');
}

/*
 * The SMTP command a report's reply answered, from its wording: Postfix "(in reply to end
 * of DATA command)", Exim "after end of data" / "after RCPT TO", a Sendmail transcript's
 * last ">>> COMMAND" before the error.  'D' DATA, 'R' RCPT, 'M' MAIL, 0 unknown.
 */
static int
smtp_command(const char *p, size_t n)
{
    static const struct { const char *w; int c; } says[] = {
        { "in reply to end of data", 'D' }, { "in reply to data", 'D' },
        { "after end of data", 'D' }, { "after data", 'D' }, { "in reply to rcpt", 'R' },
        { "after rcpt", 'R' }, { "rcpt to response", 'R' }, { "smtp:rcpt", 'R' },
        { "after rcpt", 'R' }, { "in reply to mail", 'M' },
        { "after mail from", 'M' },
    };
    const char *best = NULL;
    char small[2048], *lc = n <= sizeof(small) ? small : xmalloc(n);
    int c = 0;

    for (size_t i = 0; i < n; i++)          /* folded once, not once per phrase */
        lc[i] = (char)TO_LOWER((unsigned char)p[i]);
    for (size_t i = 0; i < ARRAY_LEN(says); i++) {
        size_t m = strlen(says[i].w), upto = n;
        const char *f;

        if (best != NULL && (size_t)(best - lc) + m - 1 < n)
            upto = (size_t)(best - lc) + m - 1;     /* only a match before the best */
        f = find_folded(lc, upto, says[i].w, m);

        if (f != NULL && (best == NULL || f < best)) {
            best = f;
            c = says[i].c;
        }
    }
    if (lc != small)
        free(lc);
    if (c == 0) {
        /* ">>> DATA" then "<<< 5yz": the last command before the first error */
        for (size_t i = 0; i + 8 < n; i++) {
            bool bol = i == 0 || p[i - 1] == '\n' || p[i - 1] == ' ';

            if (bol && strncmp(p + i, ">>> ", 4) == 0) {
                if (ascii_strncasecmp(p + i + 4, "DATA", 4) == 0)
                    c = 'D';
                else if (ascii_strncasecmp(p + i + 4, "RCPT", 4) == 0)
                    c = 'R';
                else if (ascii_strncasecmp(p + i + 4, "MAIL", 4) == 0)
                    c = 'M';
            } else if (bol && strncmp(p + i, "<<< ", 4) == 0 &&
                (p[i + 4] == '5' || p[i + 4] == '4') && c != 0) {
                break;
            }
        }
    }
    return c;
}

/* ---- GMime walking ---------------------------------------------------------------------- */

/* The decoded content of a part (transfer encoding undone, text converted to UTF-8 when
   the charset is known to iconv) appended to out, up to max bytes. */
static void
part_text(GMimePart *part, bool text, struct buf *out, size_t max)
{
    GMimeDataWrapper *w = g_mime_part_get_content(part);
    GMimeStream *mem, *f = NULL;
    GByteArray *ba;
    const char *cs;

    if (w == NULL)
        return;
    mem = g_mime_stream_mem_new();
    cs = text ? g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "charset") : NULL;
    if (cs != NULL && ascii_strcasecmp(cs, "utf-8") != 0 && ascii_strcasecmp(cs, "us-ascii")) {
        GMimeFilter *fl = g_mime_filter_charset_new(cs, "UTF-8");

        if (fl != NULL) {
            f = g_mime_stream_filter_new(mem);
            g_mime_stream_filter_add(GMIME_STREAM_FILTER(f), fl);
            g_object_unref(fl);
        }
    }
    g_mime_data_wrapper_write_to_stream(w, f != NULL ? f : mem);
    if (f != NULL) {
        g_mime_stream_flush(f);
        g_object_unref(f);
    }
    ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
    if (ba != NULL && ba->len > 0) {
        size_t n = ba->len;

        if (out->len + n > max)
            n = out->len < max ? max - out->len : 0;
        buf_put(out, ba->data, n);
        buf_putc(out, '\n');
    }
    g_object_unref(mem);
}

/* Text of an HTML part: tags dropped, <br>/<p>/<div>/<tr> as line ends, a few entities. */
static void
html_to_text(const char *p, size_t n, struct buf *out)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '<') {
            const char *e = memchr(p + i, '>', n - i);
            size_t tl;

            if (e == NULL)
                break;
            tl = (size_t)(e - (p + i));
            if (tl >= 2 && (ascii_strncasecmp(p + i + 1, "br", 2) == 0 ||
                ascii_strncasecmp(p + i + 1, "p", 1) == 0 ||
                ascii_strncasecmp(p + i + 1, "div", 3) == 0 ||
                ascii_strncasecmp(p + i + 1, "tr", 2) == 0 ||
                ascii_strncasecmp(p + i + 1, "/p", 2) == 0 ||
                ascii_strncasecmp(p + i + 1, "/div", 4) == 0 ||
                ascii_strncasecmp(p + i + 1, "li", 2) == 0))
                buf_putc(out, '\n');
            else
                buf_putc(out, ' ');
            i += tl;
        } else if (p[i] == '&') {
            char u[4];
            size_t ul, k = text_html_ref(p + i, n - i, u, &ul);

            if (k > 0) {
                buf_put(out, u, ul);
                i += k - 1;
            } else
                buf_putc(out, '&');
        } else {
            buf_putc(out, p[i]);
        }
    }
    buf_putc(out, '\n');
}

/* The header lines of an object (name: value, unfolded) appended to out. */
static void
headers_text(GMimeObject *o, struct buf *out)
{
    GMimeHeaderList *hl = g_mime_object_get_header_list(o);
    int n = hl ? g_mime_header_list_get_count(hl) : 0;

    for (int i = 0; i < n && out->len < TEXT_MAX; i++) {
        GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
        const char *name = g_mime_header_get_name(h), *v = g_mime_header_get_raw_value(h);

        if (name == NULL || v == NULL)
            continue;
        buf_puts(out, name);
        buf_puts(out, ": ");
        for (; *v; v++)
            buf_putc(out, *v == '\r' || *v == '\n' ? ' ' : *v);
        buf_putc(out, '\n');
    }
}

static void walk(struct walk *w, GMimeObject *o, int depth, bool inside_orig);

static void
walk_part(struct walk *w, GMimeObject *o, bool inside_orig)
{
    GMimeContentType *ct = g_mime_object_get_content_type(o);
    const char *type = ct ? g_mime_content_type_get_media_type(ct) : "text";
    const char *sub = ct ? g_mime_content_type_get_media_subtype(ct) : "plain";

    if (type == NULL || sub == NULL)
        return;
    if (ascii_strcasecmp(type, "message") == 0 &&
        (ascii_strcasecmp(sub, "delivery-status") == 0 ||
        ascii_strcasecmp(sub, "global-delivery-status") == 0)) {
        if (!inside_orig)
            part_text(GMIME_PART(o), true, &w->dsn, PART_MAX);
    } else if (ascii_strcasecmp(type, "message") == 0 &&
        ascii_strcasecmp(sub, "feedback-report") == 0) {
        if (!inside_orig)
            part_text(GMIME_PART(o), true, &w->arf, PART_MAX);
    } else if (ascii_strcasecmp(type, "text") == 0 &&
        (ascii_strcasecmp(sub, "rfc822-headers") == 0 ||
        ascii_strcasecmp(sub, "global-headers") == 0)) {
        if (!inside_orig && !w->has_orig) {
            w->has_orig = true;
            part_text(GMIME_PART(o), true, &w->orig, PART_MAX);
        }
    } else if (ascii_strcasecmp(type, "text") == 0 && !inside_orig) {
        bool html = ascii_strcasecmp(sub, "html") == 0;
        struct buf *dst = html ? &w->html : &w->text;

        if (dst->len < TEXT_MAX)
            part_text(GMIME_PART(o), true, dst, TEXT_MAX);
    }
}

static void
walk(struct walk *w, GMimeObject *o, int depth, bool inside_orig)
{
    if (o == NULL || depth > DEPTH_MAX || ++w->parts > PARTS_MAX)
        return;
    if (GMIME_IS_MULTIPART(o)) {
        GMimeMultipart *mp = GMIME_MULTIPART(o);
        GMimeContentType *ct = g_mime_object_get_content_type(o);
        int n = g_mime_multipart_get_count(mp);

        if (ct != NULL && g_mime_content_type_is_type(ct, "multipart", "report")) {
            const char *rt = g_mime_content_type_get_parameter(ct, "report-type");

            if (rt != NULL && ascii_strcasecmp(rt, "feedback-report") == 0)
                w->report_arf = true;
            if (rt != NULL && (ascii_strcasecmp(rt, "delivery-status") == 0 ||
                ascii_strcasecmp(rt, "global-delivery-status") == 0))
                w->report_dsn = true;
        }
        for (int i = 0; i < n; i++)
            walk(w, g_mime_multipart_get_part(mp, i), depth + 1, inside_orig);
        if (n == 0 && !inside_orig) {
            /* a multipart whose boundary never comes: all of it is the prologue */
            const char *pro = g_mime_multipart_get_prologue(mp);

            if (pro != NULL && w->text.len < TEXT_MAX)
                buf_put(&w->text, pro, strnlen(pro, TEXT_MAX - w->text.len));
        }
    } else if (GMIME_IS_MESSAGE_PART(o)) {
        GMimeMessage *m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(o));

        if (m != NULL && !inside_orig && !w->has_orig) {
            w->has_orig = true;
            headers_text(GMIME_OBJECT(m), &w->orig);
        }
        /* the original itself is not read: its text is the newsletter, not the report */
    } else if (GMIME_IS_PART(o)) {
        walk_part(w, o, inside_orig);
    }
}

/* ---- header-ish fields --------------------------------------------------------------- */

/*
 * The value of field name in a block of "Name: value" lines p[0..n) (continuation lines
 * unfolded), from *pos; into out.  Field names compare case-insensitively.
 */
static bool
field(const char *p, size_t n, const char *name, struct buf *out)
{
    size_t nl = strlen(name);

    for (size_t i = 0; i < n;) {
        const char *e = memchr(p + i, '\n', n - i);
        size_t ll = e ? (size_t)(e - (p + i)) : n - i;

        if (ll > nl && ascii_strncasecmp(p + i, name, nl) == 0 && p[i + nl] == ':') {
            size_t j = i + nl + 1;

            buf_reset(out);
            buf_put(out, p + j, ll - (nl + 1));
            j = i + ll + 1;
            while (j < n && (p[j] == ' ' || p[j] == '\t')) {     /* folded */
                const char *e2 = memchr(p + j, '\n', n - j);
                size_t l2 = e2 ? (size_t)(e2 - (p + j)) : n - j;

                buf_putc(out, ' ');
                buf_put(out, p + j, l2);
                j += l2 + 1;
            }
            return true;
        }
        i += ll + 1;
    }
    return false;
}

/* "rfc822; <a@b>" or "a@b": the address after an optional type into dst. */
static bool
typed_addr(const char *v, char *dst, size_t size)
{
    const char *semi = strchr(v, ';');

    return first_addr(semi ? semi + 1 : v, strlen(semi ? semi + 1 : v), dst, size) ||
        (semi != NULL && first_addr(v, strlen(v), dst, size));
}

/* ---- RFC 3464 ------------------------------------------------------------------------- */

static bool
rcpt_known(const struct bounce_report *r, const char *a)
{
    for (size_t i = 0; i < r->nrcpt; i++)
        if (strcmp(r->rcpt[i].addr, a) == 0)
            return true;
    return false;
}

struct dsnrec {
    char addr[BOUNCE_ADDR_MAX];
    bool final, orig, action, status, diag;
    struct bounce_rcpt rc;
};

static void
dsn_flush(struct bounce_report *r, struct dsnrec *d, bool *delivered)
{
    struct bounce_rcpt *rc = &d->rc;

    if (d->addr[0] != '\0' && !rcpt_known(r, d->addr) && r->nrcpt < BOUNCE_MAX_RCPT) {
        char ds[16];

        memcpy(rc->addr, d->addr, sizeof(rc->addr));
        /* a diagnostic that carries a more precise code than a generic X.0.0 or X.Y.0, or
           than X.4.7 (the reporting MTA gave up; the remote's own code says why) */
        if (rc->diag[0] && find_status(rc->diag, strlen(rc->diag), ds) &&
            (rc->status[0] == '\0' || (ds[0] == rc->status[0] && strcmp(ds, rc->status) &&
            (strcmp(rc->status + 1, ".0.0") == 0 || strcmp(rc->status + 1, ".4.7") == 0 ||
            (strlen(rc->status) >= 2 &&
            strcmp(rc->status + strlen(rc->status) - 2, ".0") == 0 &&
            strcmp(ds + strlen(ds) - 2, ".0") != 0)))))
            memcpy(rc->status, ds, sizeof(ds));
        if (strncmp(rc->action, "delivered", 9) == 0 || strncmp(rc->action, "relayed", 7) == 0
            || strncmp(rc->action, "expanded", 8) == 0 || rc->status[0] == '2')
            *delivered = true;          /* not a failure: not a recipient to count */
        else
            r->rcpt[r->nrcpt++] = *rc;
    }
    memset(d, 0, sizeof(*d));
}

/*
 * The fields of a message/delivery-status body (RFC 3464 2.1: a per-message block, then
 * one block per recipient, separated by blank lines).  Lenient: CRLF or LF, blank lines
 * with blanks, no per-message block, and blocks not separated at all (a field that comes
 * again starts the next recipient).
 */
static void
parse_dsn(struct bounce_report *r, const char *p, size_t n)
{
    struct dsnrec d;
    struct buf line;
    bool delivered = false;

    memset(&d, 0, sizeof(d));
    buf_init(&line, 0);
    for (size_t i = 0; i < n;) {
        const char *e = memchr(p + i, '\n', n - i), *v, *colon;
        size_t ll = e ? (size_t)(e - (p + i)) : n - i, k = 0;
        bool blank;

        buf_reset(&line);
        buf_put(&line, p + i, ll);
        i += ll + 1;
        while (i < n && (p[i] == ' ' || p[i] == '\t')) {        /* folded */
            const char *e2 = memchr(p + i, '\n', n - i);
            size_t l2 = e2 ? (size_t)(e2 - (p + i)) : n - i;

            buf_put(&line, p + i, l2);
            i += l2 + 1;
        }
        v = buf_str(&line);
        while (k < line.len && (v[k] == ' ' || v[k] == '\t' || v[k] == '\r'))
            k++;
        blank = k == line.len;
        if (blank) {
            dsn_flush(r, &d, &delivered);
            continue;
        }
        if ((colon = memchr(v, ':', line.len)) == NULL)
            continue;
#define NAME(s) ((size_t)(colon - v) == sizeof(s) - 1 && \
    ascii_strncasecmp(v, s, sizeof(s) - 1) == 0)
        {
            const char *val = colon + 1, *semi;
            size_t vl = line.len - (size_t)(val - v);
            char a[BOUNCE_ADDR_MAX];

            if (NAME("Reporting-MTA")) {
                if (r->mta[0] == '\0') {
                    semi = memchr(val, ';', vl);
                    copy_clean(r->mta, sizeof(r->mta), semi ? semi + 1 : val,
                        semi ? vl - (size_t)(semi + 1 - val) : vl);
                }
            } else if (NAME("Final-Recipient") || NAME("Original-Recipient") ||
                NAME("X-Actual-Recipient")) {
                bool fin = NAME("Final-Recipient");

                if ((fin && d.final) || (!fin && d.orig))
                    dsn_flush(r, &d, &delivered);
                if (typed_addr(val, a, sizeof(a)) && (fin || d.addr[0] == '\0'))
                    memcpy(d.addr, a, sizeof(a));
                if (fin)
                    d.final = true;
                else
                    d.orig = true;
            } else if (NAME("Action")) {
                if (d.action)
                    dsn_flush(r, &d, &delivered);
                d.action = true;
                copy_clean(d.rc.action, sizeof(d.rc.action), val, vl);
                for (char *c = d.rc.action; *c; c++)
                    *c = (char)TO_LOWER((unsigned char)*c);
            } else if (NAME("Status")) {
                if (d.status)
                    dsn_flush(r, &d, &delivered);
                d.status = true;
                find_status(val, vl, d.rc.status);
            } else if (NAME("Diagnostic-Code")) {
                if (d.diag)
                    dsn_flush(r, &d, &delivered);
                d.diag = true;
                semi = memchr(val, ';', vl);
                copy_clean(d.rc.diag, sizeof(d.rc.diag), semi ? semi + 1 : val,
                    semi ? vl - (size_t)(semi + 1 - val) : vl);
            }
        }
#undef NAME
    }
    dsn_flush(r, &d, &delivered);
    buf_fini(&line);
    if (r->nrcpt == 0 && delivered)
        r->kind = BOUNCE_DELIVERED;
}

/* ---- non-standard reports --------------------------------------------------------------- */

/* Lines that start the returned original inside a plain-text report. */
static const char *const orig_marks[] = {
    "original message", "copy of the message", "copy of your message",
    "unsent message follows", "returned message", "message follows", "original headers",
    "headers of the original", "header of the original", "original message header",
    "received: from", "content-type: message/rfc822", "--- the header of the original",
    "this is a copy of", "rfc822 header", "returned mail follows", "partial message follows",
    "headers follow",
    NULL
};

/* Where the report's own text ends (the original starts) in p[0..n). */
/* Does p[0..n) hold "--", "==", "**" or "__" (a separator drawn with them)? */
static bool
rule_pair(const char *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++)
        if (p[i] == p[i + 1] && (p[i] == '-' || p[i] == '=' || p[i] == '*' || p[i] == '_'))
            return true;
    return false;
}

static size_t
report_end(const char *p, size_t n)
{
    for (size_t i = 0; i < n;) {
        const char *e = memchr(p + i, '\n', n - i);
        size_t ll = e ? (size_t)(e - (p + i)) : n - i;

        size_t t = ll;

        while (t > 0 && (p[i + t - 1] == ' ' || p[i + t - 1] == '\r' || p[i + t - 1] == '\t'))
            t--;
        /* a separator line ("------ This is a copy of the message ------") or a title
           ("Original message headers:"), not a sentence that mentions the original */
        if (i > 0 && ll < 120 && ((t > 0 && p[i + t - 1] == ':') || rule_pair(p + i, ll) ||
            ascii_strncasecmp(p + i, "received: from", 14) == 0 ||
            /* "Original message follows." */
            (t >= 8 && ascii_strncasecmp(p + i + t - 8, "follows.", 8) == 0) ||
            (t >= 7 && ascii_strncasecmp(p + i + t - 7, "follows", 7) == 0))) {
            for (const char *const *m = orig_marks; *m; m++)
                if (find_ci(p + i, ll, *m) != NULL &&
                    /* "Received: from" only as a header, at the start of a line */
                    (strncmp(*m, "received", 8) != 0 || ascii_strncasecmp(p + i,
                    "received: from", 14) == 0))
                    return i;
        }
        i += ll + 1;
    }
    return n;
}

/* Local parts that name a mail system, never a subscriber. */
static bool
system_addr(const char *a)
{
    static const char *const sys[] = { "mailer-daemon@", "postmaster@", "mail-daemon@",
        "maildaemon@", "root@", "abuse@", "hostmaster@", "noreply@", "no-reply@",
        "double-bounce@", "nobody@", "mdaemon@", "mailerdaemon@", "bounce@", "bounces@",
        "daemon@", NULL };

    for (const char *const *s = sys; *s; s++)
        if (strncmp(a, *s, strlen(*s)) == 0)
            return true;
    return false;
}

static bool
in_list(char ex[][BOUNCE_ADDR_MAX], size_t nex, const char *a)
{
    for (size_t i = 0; i < nex; i++)
        if (strcmp(ex[i], a) == 0)
            return true;
    return false;
}

/* Does the last line of p[s..e) continue a multi-line reply with code c ("550-")? */
static bool
prev_cont(const char *p, size_t s, size_t e, const char *c)
{
    size_t b = e;

    while (b > s && p[b - 1] != '\n')
        b--;
    while (b < e && (p[b] == ' ' || p[b] == '\t'))
        b++;
    return e - b >= 4 && memcmp(p + b, c, 3) == 0 && p[b + 3] == '-';
}

/*
 * What a report says about the address at offset at of p[0..n): its line and the lines
 * after it, up to a blank line, a line naming another address, or 6 lines (Exim puts the
 * reason on indented lines under the address; Sendmail and Postfix on the same line).
 */
static void
diag_around(const char *p, size_t n, size_t at, size_t alen, char *dst, size_t size)
{
    size_t s = at, e = at, lines = 0, skipped = 0;

    while (s > 0 && p[s - 1] != '\n' && at - s < LINE_BACK_MAX)
        s--;
    while (e < n && p[e] != '\n' && e - at < LINE_BACK_MAX)
        e++;
    while (e < n && lines < 6) {
        size_t ls = e + 1, le = ls, k;
        const char *at2;

        while (le < n && p[le] != '\n')
            le++;
        for (k = ls; k < le && (p[k] == ' ' || p[k] == '\t' || p[k] == '\r'); k++)
            ;
        if (k == le) {
            /* a blank line ends the paragraph, unless nothing came after the address
               yet: then the reason is in the next one ("* a@b", blank, "Details: ...") */
            if (lines > 0 || skipped >= 3)
                break;
            skipped++;
            e = le;
            continue;
        }
        /* a new reply ("550 ...", not a "550-" continuation) after the one we have is
           about something else (Sendmail lists one line per recipient) */
        if (le - k > 4 && (p[k] == '4' || p[k] == '5') && IS_DIGIT((unsigned char)p[k + 1]) &&
            IS_DIGIT((unsigned char)p[k + 2]) && p[k + 3] == ' ' &&
            find_reply(p + s, e - s) != 0 &&
            !prev_cont(p, s, e, p + k))
            break;
        at2 = memchr(p + ls, '@', le - ls);
        if (at2 != NULL) {
            char mine[BOUNCE_ADDR_MAX];

            addr_copy(mine, sizeof(mine), p + at, alen);
            /* the next recipient's paragraph; not the echo of the MAIL FROM command
               the reply answered (Exim: "SMTP error ... after MAIL FROM:<a@b>:") */
            if (find_ci(p + ls, le - ls, mine) == NULL &&
                find_ci(p + ls, le - ls, "mail from:") == NULL)
                break;
        }
        e = le;
        /* a rule or a title ("=====", "Technical details:") is not yet the reason */
        {
            size_t t = le;
            bool word = false;

            while (t > k && (p[t - 1] == ' ' || p[t - 1] == '\r' || p[t - 1] == '\t'))
                t--;
            for (size_t q = k; q < t && !word; q++)
                word = IS_ALNUM((unsigned char)p[q]);
            if (word && p[t - 1] != ':')
                lines++;
        }
    }
    copy_clean(dst, size, p + s, e - s);
}

/* The diagnostic for addr from the report's text p[0..n) (first mention), into dst. */
static void
text_diag(const char *p, size_t n, const char *addr, char *dst, size_t size)
{
    const char *f = find_ci(p, n, addr);

    if (f != NULL)
        diag_around(p, n, (size_t)(f - p), strlen(addr), dst, size);
}

/* Header lines of a quoted original, whose addresses are never the failed recipient. */
static bool
header_line(const char *p, size_t n)
{
    static const char *const hs[] = { "message-id", "in-reply-to", "references", "from:",
        "return-path", "sender:", "reply-to", "x-", "list-", "dkim", "received", "to:", "cc:",
        "subject:", "date:", NULL };

    while (n > 0 && (*p == ' ' || *p == '\t' || *p == '>')) {
        p++;
        n--;
    }
    for (const char *const *h = hs; *h; h++)
        if (n >= strlen(*h) && ascii_strncasecmp(p, *h, strlen(*h)) == 0)
            return true;
    return false;
}

/*
 * How an address stands in its line: 2 when nothing but punctuation comes before it, or a
 * word that introduces a recipient ("to", "user", "recipient"...): a report names the
 * failed address so; 1 elsewhere (prose: "please contact help@..."); 0 on a header line.
 */
static int
addr_strength(const char *p, size_t s)
{
    static const char *const intro[] = { "to", "recipient", "recipients", "address", "rcpt",
        "for", "user", "mailbox", "addressee", "failed", "delivery", "destinataire", "an",
        "unknown", "invalid", "rejected", "userid", "empf\xc3\xa4nger", NULL };
    size_t ls = s, e, b;
    char w[32];

    while (ls > 0 && p[ls - 1] != '\n' && s - ls < LINE_BACK_MAX)
        ls--;
    if (header_line(p + ls, s - ls))
        return 0;
    e = s;
    while (e > ls && !IS_ALNUM((unsigned char)p[e - 1]) && (unsigned char)p[e - 1] < 0x80)
        e--;
    if (e == ls)
        return 2;
    b = e;
    while (b > ls && (IS_ALNUM((unsigned char)p[b - 1]) || (unsigned char)p[b - 1] >= 0x80))
        b--;
    if (e - b >= sizeof(w))
        return 1;
    addr_copy(w, sizeof(w), p + b, e - b);
    if (e - b == 3 && (w[0] == '4' || w[0] == '5') && IS_DIGIT((unsigned char)w[1]) &&
        IS_DIGIT((unsigned char)w[2]))
        return 2;                       /* "550 <a@b>...": a reply about the address */
    for (const char *const *i = intro; *i; i++)
        if (strcmp(w, *i) == 0)
            return 2;
    return 1;
}

/*
 * The addresses of the report's text p[0..n) that stand where a report names a failed
 * recipient (addr_strength at least best), each with what the text says about it, into r.
 * Not those of ex[0..nex); nor system addresses (postmaster@...) unless sys.
 */
static void
scan_text(struct bounce_report *r, const char *p, size_t n, const char *st, int best,
    char ex[][BOUNCE_ADDR_MAX], size_t nex, bool sys)
{
    size_t pos = 0, s, l, looked = 0;

    while (next_addr(p, n, &pos, &s, &l) && ++looked <= ADDRS_MAX) {
        char a[BOUNCE_ADDR_MAX];
        int strength = addr_strength(p, s);
        struct bounce_rcpt *rc;

        addr_copy(a, sizeof(a), p + s, l);
        if (l >= sizeof(a) || strength == 0 || strength < best || in_list(ex, nex, a) ||
            (!sys && system_addr(a)))
            continue;
        if (strength > best) {          /* better candidates: forget the weaker ones */
            best = strength;
            r->nrcpt = 0;
        }
        if (rcpt_known(r, a) || r->nrcpt >= BOUNCE_MAX_RCPT)
            continue;
        rc = &r->rcpt[r->nrcpt];
        memset(rc, 0, sizeof(*rc));
        memcpy(rc->addr, a, sizeof(a));
        diag_around(p, n, s, l, rc->diag, sizeof(rc->diag));
        {
            char ls[16];

            if (find_status(rc->diag, strlen(rc->diag), ls))
                memcpy(rc->status, ls, sizeof(ls));
            else
                snprintf(rc->status, sizeof(rc->status), "%s", st);
        }
        r->nrcpt++;
    }
}

/*
 * What a report that does not tie its reason to an address says went wrong: its first
 * line with an SMTP reply or an RFC 3463 code and the line after it ("550 - Requested
 * action not taken: no such user here"); without one, the start of its text.
 */
static void
error_lines(const char *p, size_t n, char *dst, size_t size)
{
    char st[16];

    for (size_t i = 0; i < n;) {
        const char *e = memchr(p + i, '\n', n - i);
        size_t ll = e ? (size_t)(e - (p + i)) : n - i;

        if (find_reply(p + i, ll) != 0 || find_status(p + i, ll, st)) {
            const char *e2 = i + ll < n ? memchr(p + i + ll + 1, '\n', n - (i + ll + 1)) : NULL;
            size_t end = e2 ? (size_t)(e2 - p) : n;

            copy_clean(dst, size, p + i, end - i);
            return;
        }
        i += ll + 1;
    }
    copy_clean(dst, size, p, n < 4096 ? n : 4096);
}

/*
 * A report in prose: the recipients it names (not ex[0..nex): the report's own sender
 * and addressees, the original's sender; ex[0..nsend) are the senders alone).  When it
 * names none of those, the recipient of the returned original, and then an address
 * standing alone as a recipient even if it is the report's own addressee (a sender
 * that mailed itself) or a system address (a message to postmaster that bounced).
 */
static void
parse_text(struct walk *w, char ex[][BOUNCE_ADDR_MAX], size_t nex, size_t nsend)
{
    struct bounce_report *r = w->r;
    const char *p = buf_str(&w->text);
    size_t n = report_end(p, w->text.len);
    char st[16] = "";
    int reply;

    find_status(p, n, st);
    reply = find_reply(p, n);
    scan_text(r, p, n, st, 1, ex, nex, false);
    /* none named in the report: the recipient of the returned original (attached, or
       inline after the report's own text) */
    if (r->nrcpt == 0 && (w->orig.len > 0 || n < w->text.len)) {
        struct buf v;
        char a[BOUNCE_ADDR_MAX];
        const char *o = w->orig.len > 0 ? buf_str(&w->orig) : p + n;
        size_t on = w->orig.len > 0 ? w->orig.len : w->text.len - n;

        buf_init(&v, 0);
        /* the original's recipient may be a system address (a message to postmaster
           that bounced), never the report's own sender or addressee */
        if (field(o, on, "To", &v) && first_addr(buf_str(&v), v.len, a, sizeof(a)) &&
            !in_list(ex, nex, a)) {
            struct bounce_rcpt *rc = &r->rcpt[r->nrcpt++];

            memset(rc, 0, sizeof(*rc));
            memcpy(rc->addr, a, sizeof(a));
            memcpy(rc->status, st, sizeof(st));
        }
        buf_fini(&v);
    }
    if (r->nrcpt == 0)
        scan_text(r, p, n, st, 2, ex, nsend, true);
    for (size_t i = 0; i < r->nrcpt; i++) {
        struct bounce_rcpt *rc = &r->rcpt[i];

        if (rc->diag[0] == '\0' || (find_reply(rc->diag, strlen(rc->diag)) == 0 &&
            !has_any(rc->diag, strlen(rc->diag), user_words) &&
            !has_any(rc->diag, strlen(rc->diag), host_words) &&
            !has_any(rc->diag, strlen(rc->diag), soft_words) &&
            !has_any(rc->diag, strlen(rc->diag), weak_soft_words)))
            error_lines(p, n, rc->diag, sizeof(rc->diag));
        if (rc->status[0] == '\0' && reply != 0)
            snprintf(rc->status, sizeof(rc->status), "%d.0.0", reply / 100);
    }
}

/* ---- the message's own headers ---------------------------------------------------------- */

static void
add_to(struct bounce_report *r, const char *v)
{
    size_t pos = 0, s, l, n = strlen(v);

    while (r->nto < BOUNCE_MAX_TO && next_addr(v, n, &pos, &s, &l)) {
        char a[BOUNCE_ADDR_MAX];
        size_t k;

        if (l >= sizeof(a))
            continue;
        addr_copy(a, sizeof(a), v + s, l);
        for (k = 0; k < r->nto && strcmp(r->to[k], a) != 0; k++)
            ;
        if (k == r->nto)
            memcpy(r->to[r->nto++], a, sizeof(a));
    }
}

/*
 * An auto-reply (RFC 3834): strong signs are vacation headers and subjects; weak is
 * Auto-Submitted: auto-replied alone, which Exim also puts on its bounces.
 */
static int
autoreply_sign(GMimeObject *m, const char *subject)
{
    static const char *const subj[] = { "out of office", "out of the office", "auto:",
        "automatic reply", "autoreply", "auto-reply", "auto reply", "vacation",
        "abwesenheit", "automatische antwort", "r\xc3\xa9ponse automatique",
        "respuesta autom\xc3\xa1tica", "risposta automatica", "away from", NULL };
    const char *v;

    if (g_mime_object_get_header(m, "X-Autoreply") != NULL ||
        g_mime_object_get_header(m, "X-Autorespond") != NULL ||
        g_mime_object_get_header(m, "X-Autoresponder") != NULL ||
        g_mime_object_get_header(m, "X-Vacation") != NULL)
        return 2;
    if ((v = g_mime_object_get_header(m, "Precedence")) != NULL &&
        ascii_strncasecmp(v, "auto_reply", 10) == 0)
        return 2;
    if (subject != NULL && has_any(subject, strlen(subject), subj))
        return 2;
    if ((v = g_mime_object_get_header(m, "Auto-Submitted")) != NULL &&
        ascii_strncasecmp(v, "auto-replied", 12) == 0)
        return 1;
    return 0;
}

/*
 * Does p[0..n) hold an SMTP error reply (4yz or 5yz, RFC 5321 4.2) at the start of a line,
 * maybe after "<<<" or blanks, and a "RCPT TO" command?  Looked for in the first 64 KiB.
 */
static bool
smtp_transcript(const char *p, size_t n)
{
    bool reply = false;

    if (n > 65536)
        n = 65536;
    if (find_ci(p, n, "rcpt to") == NULL)
        return false;
    for (size_t i = 0; i < n && !reply;) {
        const char *e = memchr(p + i, '\n', n - i);
        size_t ll = e ? (size_t)(e - (p + i)) : n - i, k = i;

        while (k < i + ll && (p[k] == ' ' || p[k] == '\t' || p[k] == '<'))
            k++;
        reply = k + 4 <= i + ll && (p[k] == '4' || p[k] == '5') &&
            IS_DIGIT((unsigned char)p[k + 1]) && IS_DIGIT((unsigned char)p[k + 2]) &&
            (p[k + 3] == ' ' || p[k + 3] == '-');
        i += ll + 1;
    }
    return reply;
}

/* Does the message look like a report of a failed delivery at all? */
static bool
looks_like_bounce(GMimeObject *m, const char *from, const char *subject, bool has_orig,
    const char *text)
{
    static const char *const subj[] = { "undeliver", "delivery status", "delivery fail",
        "delivery notification", "failure notice", "returned mail", "mail delivery",
        "could not be delivered", "couldn't be delivered", "not delivered", "delivery error",
        "nondeliverable", "non-deliverable", "non remis", "unzustellbar", "delivery problem",
        "failed delivery", "delivery has failed", "mail system error", "rejected",
        "returned to sender", "warning: could not send", "message not delivered", "bounce",
        "unable to deliver", "error sending", "delivery report", NULL };
    const char *rp = g_mime_object_get_header(m, "Return-Path");

    if (from != NULL) {
        /* MAILER-DAEMON, Mailer_Daemon, post_master, "Mail Delivery System": the
           words with their separators dropped */
        char f[256];
        size_t o = 0;

        for (const char *c = from; *c && o + 1 < sizeof(f); c++)
            if (*c != '-' && *c != '_' && *c != '.' && *c != ' ')
                f[o++] = (char)TO_LOWER((unsigned char)*c);
        f[o] = '\0';
        if (strstr(f, "mailerdaemon") || strstr(f, "postmaster") || strstr(f, "maildelivery"))
            return true;
    }
    if (rp != NULL && strstr(rp, "<>") != NULL)
        return true;
    if (subject != NULL && has_any(subject, strlen(subject), subj))
        return true;
    if (has_orig && subject != NULL && find_ci(subject, strlen(subject), "fail") != NULL)
        return true;
    /* an SMTP session's error reply on a line of its own ("550 ...", "<<< 550 ...")
       and the RCPT TO it answered: a transcript, which only delivery reports quote */
    if (text != NULL && smtp_transcript(text, strlen(text)))
        return true;
    /* the original attached and the words of a failure in the text */
    return has_orig && text != NULL && has_any(text, strlen(text), (const char *const[]){
        "could not be delivered", "couldn't be delivered", "undeliverable",
        "delivery failed", "delivery has failed", "permanent error", "failed permanently",
        "not be delivered", "unable to deliver", NULL });
}

/* A JSON string value after key in p[0..n) from *pos ("key":"value"); into out. */
static bool
json_str(const char *p, size_t n, size_t *pos, const char *key, char *out, size_t size)
{
    const char *f = find_ci(p + *pos, n - *pos, key);
    size_t i, o = 0;

    if (f == NULL)
        return false;
    i = (size_t)(f - p) + strlen(key);
    while (i < n && (p[i] == ' ' || p[i] == ':' || p[i] == '"'))
        i++;
    for (; i < n && p[i] != '"' && o + 1 < size; i++)
        out[o++] = p[i];
    out[o] = '\0';
    *pos = i;
    return o > 0;
}

/*
 * Amazon SES notifications forwarded by mail (SNS): JSON with "notificationType" and
 * "bouncedRecipients" or "complainedRecipients", each with "emailAddress" (and
 * "status", "diagnosticCode" for bounces).
 */
static bool
parse_ses(struct walk *w)
{
    struct bounce_report *r = w->r;
    const char *p = buf_str(&w->text);
    size_t n = w->text.len, pos = 0;
    char type[32], a[BOUNCE_ADDR_MAX];

    if (!json_str(p, n, &pos, "\"notificationType\"", type, sizeof(type)))
        return false;
    r->kind = ascii_strcasecmp(type, "Complaint") == 0 ? BOUNCE_COMPLAINT :
        ascii_strcasecmp(type, "Bounce") == 0 ? BOUNCE_FAILED : BOUNCE_DELIVERED;
    r->format = "ses";
    while (r->nrcpt < BOUNCE_MAX_RCPT &&
        json_str(p, n, &pos, "\"emailAddress\"", a, sizeof(a))) {
        struct bounce_rcpt *rc = &r->rcpt[r->nrcpt];
        const char *end = memchr(p + pos, '}', n - pos);
        size_t lim = end ? (size_t)(end - p) : n, q = pos;

        char dg[BOUNCE_TEXT_MAX];

        memset(rc, 0, sizeof(*rc));
        if (!first_addr(a, strlen(a), rc->addr, sizeof(rc->addr)))
            continue;                   /* not an address: nothing to attribute */
        if (json_str(p, lim, &q, "\"status\"", type, sizeof(type)))
            find_status(type, strlen(type), rc->status);
        q = pos;
        if (json_str(p, lim, &q, "\"diagnosticCode\"", dg, sizeof(dg))) {
            const char *semi = strchr(dg, ';');

            copy_clean(rc->diag, sizeof(rc->diag), semi ? semi + 1 : dg,
                strlen(semi ? semi + 1 : dg));
        }
        if (!rcpt_known(r, rc->addr))
            r->nrcpt++;
    }
    if (r->kind == BOUNCE_DELIVERED)
        r->nrcpt = 0;
    return true;
}

/* Where the report went (into r->to): the envelope first, VERP tokens live there. */
static void
add_envelope(struct bounce_report *r, GMimeObject *mo)
{
    static const char *const where[] = { "Delivered-To", "X-Original-To", "Envelope-To",
        "X-Envelope-To", "X-Delivered-To", "Original-Recipient", "To", "Cc" };
    GMimeHeaderList *hl = g_mime_object_get_header_list(mo);
    int hn = hl ? g_mime_header_list_get_count(hl) : 0;
    const char *v;

    for (size_t k = 0; k < ARRAY_LEN(where); k++)
        for (int i = 0; i < hn; i++) {
            GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
            const char *name = g_mime_header_get_name(h);

            if (name != NULL && ascii_strcasecmp(name, where[k]) == 0 &&
                (v = g_mime_header_get_raw_value(h)) != NULL)
                add_to(r, v);
        }
}

/*
 * The addresses that are never the failed recipient (into w->ex): the returned
 * original's envelope sender and author (its Return-Path is a VERP token too: into
 * r->to), the report's own sender (these are w->nsend), then the report's addressees.
 */
static void
not_recipients(struct walk *w, GMimeObject *mo, const char *from)
{
    static const char *const mine[] = { "To", "Cc", "Delivered-To" };
    const char *v;

    if (w->orig.len > 0) {
        struct buf f;

        buf_init(&f, 0);
        if (field(buf_str(&w->orig), w->orig.len, "Return-Path", &f))
            add_to(w->r, buf_str(&f));
        for (size_t k = 0; k < 3; k++) {
            static const char *const who[] = { "Return-Path", "From", "Sender" };

            if (w->nex < ARRAY_LEN(w->ex) &&
                field(buf_str(&w->orig), w->orig.len, who[k], &f) &&
                first_addr(buf_str(&f), f.len, w->ex[w->nex], sizeof(w->ex[0])))
                w->nex++;
        }
        buf_fini(&f);
    }
    if (from != NULL && w->nex < ARRAY_LEN(w->ex) && first_addr(from, strlen(from),
        w->ex[w->nex], sizeof(w->ex[0])))
        w->nex++;
    w->nsend = w->nex;                  /* the senders; the report's addressees follow */
    for (size_t k = 0; k < ARRAY_LEN(mine); k++) {
        GMimeHeaderList *hl = g_mime_object_get_header_list(mo);
        int hn = hl ? g_mime_header_list_get_count(hl) : 0;

        for (int i = 0; i < hn && w->nex < ARRAY_LEN(w->ex); i++) {
            GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
            const char *name = g_mime_header_get_name(h);

            if (name != NULL && ascii_strcasecmp(name, mine[k]) == 0 &&
                (v = g_mime_header_get_raw_value(h)) != NULL &&
                first_addr(v, strlen(v), w->ex[w->nex], sizeof(w->ex[0])))
                w->nex++;
        }
    }
}

/* A feedback report (ARF, RFC 5965): its type, the reporter, the complaining reader. */
static void
parse_arf(struct walk *w)
{
    struct bounce_report *r = w->r;
    struct buf f;
    char a[BOUNCE_ADDR_MAX];

    r->kind = BOUNCE_COMPLAINT;
    r->format = "arf";
    buf_init(&f, 0);
    if (field(buf_str(&w->arf), w->arf.len, "Feedback-Type", &f))
        copy_clean(r->feedback, sizeof(r->feedback), buf_str(&f), f.len);
    if (field(buf_str(&w->arf), w->arf.len, "Reported-Domain", &f) ||
        field(buf_str(&w->arf), w->arf.len, "Source-IP", &f))
        copy_clean(r->mta, sizeof(r->mta), buf_str(&f), f.len);
    /* the complaining reader: each Original-Rcpt-To, else the original's To */
    for (const char *q = buf_str(&w->arf), *qe = q + w->arf.len; q < qe;) {
        const char *nl = memchr(q, '\n', (size_t)(qe - q));
        size_t ll = nl ? (size_t)(nl - q) : (size_t)(qe - q);

        if (ll > 17 && ascii_strncasecmp(q, "Original-Rcpt-To:", 17) == 0 &&
            first_addr(q + 17, ll - 17, a, sizeof(a)) && !rcpt_known(r, a) &&
            r->nrcpt < BOUNCE_MAX_RCPT)
            memcpy(r->rcpt[r->nrcpt++].addr, a, sizeof(a));
        q += ll + 1;
    }
    if (r->nrcpt > 0)
        ;
    else if ((field(buf_str(&w->arf), w->arf.len, "Original-Rcpt-To", &f) &&
        first_addr(buf_str(&f), f.len, a, sizeof(a))) ||
        (field(buf_str(&w->orig), w->orig.len, "To", &f) &&
        first_addr(buf_str(&f), f.len, a, sizeof(a))) ||
        (field(buf_str(&w->arf), w->arf.len, "Removal-Recipient", &f) &&
        first_addr(buf_str(&f), f.len, a, sizeof(a)))) {
        memcpy(r->rcpt[0].addr, a, sizeof(a));
        r->nrcpt = 1;
    }
    if (field(buf_str(&w->orig), w->orig.len, "Return-Path", &f))
        add_to(r, buf_str(&f));
    buf_fini(&f);
}

/* DSN fields written into the text (a report with no parts of its own): into w->dsn. */
static void
dsn_from_text(struct walk *w)
{
    const char *t = buf_str(&w->text), *f = t;

    while ((f = find_ci(f, w->text.len - (size_t)(f - t), "final-recipient:")) != NULL &&
        f > t && f[-1] != '\n')
        f++;
    if (f != NULL)
        buf_put(&w->dsn, f, w->text.len - (size_t)(f - t));
}

/*
 * Microsoft's JMRP and other complaint reports that are not ARF: the reported message
 * attached, a subject that says so.  False if this is not one.
 */
static bool
parse_complaint(struct walk *w, const char *subject)
{
    struct bounce_report *r = w->r;
    struct buf f;
    char a[BOUNCE_ADDR_MAX];

    if (!w->has_orig || subject == NULL || (!find_ci(subject, strlen(subject),
        "complaint about message") && !find_ci(subject, strlen(subject), "abuse report")))
        return false;
    r->kind = BOUNCE_COMPLAINT;
    r->format = "complaint";
    buf_init(&f, 0);
    if ((field(buf_str(&w->orig), w->orig.len, "X-HmXmrOriginalRecipient", &f) &&
        first_addr(buf_str(&f), f.len, a, sizeof(a))) ||
        (field(buf_str(&w->orig), w->orig.len, "To", &f) &&
        first_addr(buf_str(&f), f.len, a, sizeof(a)))) {
        memcpy(r->rcpt[0].addr, a, sizeof(a));
        r->nrcpt = 1;
    }
    buf_fini(&f);
    return true;
}

/*
 * Exim and Gmail name the failed recipients in a header of their own (v, the value of
 * X-Failed-Recipients): those, with what the text says about each.
 */
static void
parse_failed_header(struct walk *w, const char *v)
{
    struct bounce_report *r = w->r;
    struct bounce_report *tmp = xmalloc(sizeof(*tmp));
    size_t pos = 0, s0, l0, vn = strlen(v);

    parse_text(w, w->ex, w->nex, w->nsend);
    memcpy(tmp->rcpt, r->rcpt, sizeof(r->rcpt));
    tmp->nrcpt = r->nrcpt;
    r->nrcpt = 0;
    while (r->nrcpt < BOUNCE_MAX_RCPT && next_addr(v, vn, &pos, &s0, &l0)) {
        struct bounce_rcpt *rc = &r->rcpt[r->nrcpt];
        size_t k;

        if (l0 >= sizeof(rc->addr))
            continue;           /* too long to keep: cut, it could be somebody else's */
        memset(rc, 0, sizeof(*rc));
        addr_copy(rc->addr, sizeof(rc->addr), v + s0, l0);
        if (rcpt_known(r, rc->addr))
            continue;
        for (k = 0; k < tmp->nrcpt && strcmp(tmp->rcpt[k].addr, rc->addr) != 0; k++)
            ;
        if (k < tmp->nrcpt)
            *rc = tmp->rcpt[k];
        else if (tmp->nrcpt > 0) {
            memcpy(rc->status, tmp->rcpt[0].status, sizeof(rc->status));
            memcpy(rc->diag, tmp->rcpt[0].diag, sizeof(rc->diag));
        }
        r->nrcpt++;
    }
    free(tmp);
}

/*
 * A failure report that names nobody (garbled, or a terse MTA): a failure still, with an
 * empty recipient, so that a VERP token can say who it was.
 */
static void
nameless_failure(struct walk *w)
{
    struct bounce_report *r = w->r;
    const char *t = buf_str(&w->text);
    size_t tn = report_end(t, w->text.len);
    struct bounce_rcpt *rc = &r->rcpt[0];
    int reply = find_reply(t, tn);

    memset(rc, 0, sizeof(*rc));
    if (!find_status(t, tn, rc->status) && reply != 0)
        snprintf(rc->status, sizeof(rc->status), "%d.0.0", reply / 100);
    copy_clean(rc->diag, sizeof(rc->diag), t, tn < 4096 ? tn : 4096);
    r->nrcpt = 1;
    snprintf(r->why, sizeof(r->why), "a delivery report that names no recipient");
}

/*
 * A delivery failure in prose (or an auto-reply after all, or not a report): its
 * recipients from the text.  True if they are failed recipients to grade.
 */
static bool
parse_prose(struct walk *w, GMimeObject *mo, const char *from, const char *subject,
    int auto_sign)
{
    struct bounce_report *r = w->r;
    const char *v;

    if (w->text.len == 0 && w->html.len > 0)
        html_to_text(buf_str(&w->html), w->html.len, &w->text);
    if (!looks_like_bounce(mo, from, subject, w->has_orig, buf_str(&w->text)) &&
        !w->report_dsn) {
        snprintf(r->why, sizeof(r->why), "neither a delivery report, a complaint nor an "
            "auto-reply");
        return false;
    }
    if ((v = g_mime_object_get_header(mo, "X-Failed-Recipients")) != NULL)
        parse_failed_header(w, v);
    else
        parse_text(w, w->ex, w->nex, w->nsend);
    if (r->nrcpt == 0 && auto_sign) {
        r->kind = BOUNCE_AUTOREPLY;
        r->format = "rfc3834";
        return false;
    }
    if (r->nrcpt == 0)
        nameless_failure(w);
    r->kind = BOUNCE_FAILED;
    r->format = "text";
    if (r->mta[0] == '\0' && from != NULL) {
        const char *at = strchr(from, '@');

        if (at != NULL)
            copy_clean(r->mta, sizeof(r->mta), at + 1, strcspn(at + 1, "> \t\r\n"));
    }
    return true;
}

/*
 * What the message is, in order: ARF, DSN, SES, another complaint, an auto-reply, a
 * failure in prose; with its recipients.  True if they are failed recipients to grade.
 */
static bool
classify(struct walk *w, GMimeObject *mo, const char *from, const char *subject)
{
    struct bounce_report *r = w->r;
    int auto_sign;

    if (w->arf.len > 0 || w->report_arf) {
        parse_arf(w);
        return false;
    }
    if (w->dsn.len == 0 && w->text.len > 0)
        dsn_from_text(w);
    if (w->dsn.len > 0) {
        r->kind = BOUNCE_FAILED;
        r->format = "dsn";
        parse_dsn(r, buf_str(&w->dsn), w->dsn.len);
        if (r->nrcpt > 0 || r->kind == BOUNCE_DELIVERED)
            return true;
        r->kind = BOUNCE_UNKNOWN;       /* no recipient in it: try the text */
    }
    if (parse_ses(w))
        return r->kind == BOUNCE_FAILED;
    if (parse_complaint(w, subject))
        return false;
    auto_sign = autoreply_sign(mo, subject);
    if (auto_sign == 2 || (auto_sign == 1 && !looks_like_bounce(mo, from, subject,
        w->has_orig, buf_str(&w->text)))) {
        r->kind = BOUNCE_AUTOREPLY;
        r->format = "rfc3834";
        return false;
    }
    return parse_prose(w, mo, from, subject, auto_sign);
}

/*
 * Each recipient whose diagnostic is missing or has no SMTP reply in it (a DSN without a
 * Diagnostic-Code, a header-named recipient): what the text says about it, and its code.
 */
static void
diags_from_text(struct walk *w)
{
    struct bounce_report *r = w->r;
    const char *t = buf_str(&w->text);
    size_t tn = report_end(t, w->text.len);

    for (size_t i = 0; i < r->nrcpt; i++) {
        struct bounce_rcpt *rc = &r->rcpt[i];
        char td[BOUNCE_TEXT_MAX] = "";

        if (rc->diag[0] != '\0' && find_reply(rc->diag, strlen(rc->diag)) != 0)
            continue;
        text_diag(t, tn, rc->addr, td, sizeof(td));
        if (td[0] != '\0' && (rc->diag[0] == '\0' || find_reply(td, strlen(td)) != 0)) {
            memcpy(rc->diag, td, sizeof(td));
            if (rc->status[0] == '\0' || strcmp(rc->status + 1, ".0.0") == 0) {
                char ds[16];

                if (find_status(td, strlen(td), ds) && (rc->status[0] == '\0' ||
                    ds[0] == rc->status[0]))
                    memcpy(rc->status, ds, sizeof(ds));
            }
        }
    }
}

/*
 * Hard or soft, per recipient.  A "no such user" to DATA is a content filter's way of
 * saying no (Sisimai's "filtered"), to MAIL FROM it is about the sender: neither is hard.
 */
static void
grade(struct walk *w)
{
    struct bounce_report *r = w->r;
    const char *t = buf_str(&w->text);
    size_t tn = report_end(t, w->text.len);
    int cmd = smtp_command(t, tn);

    for (size_t i = 0; i < r->nrcpt; i++) {
        struct bounce_rcpt *rc = &r->rcpt[i];
        int c = smtp_command(rc->diag, strlen(rc->diag));
        int reply = find_reply(rc->diag, strlen(rc->diag));

        if (c == 0)
            c = cmd;
        /* no RFC 3463 code: the class of the SMTP reply (RFC 3463 2: 4yz is 4.X.X) */
        if (rc->status[0] == '\0' && reply != 0) {
            snprintf(rc->status, sizeof(rc->status), "%d.0.0", reply / 100);
            rc->inferred = true;
        }
        rc->hard = strcmp(rc->action, "delayed") != 0 && is_hard(rc->status, rc->diag, c);
        if (rc->status[0] == '\0')
            infer_status(rc, t, tn);
        if (rc->status[0] == '4')
            rc->hard = false;
    }
}

void
bounce_parse(const char *data, size_t len, struct bounce_report *r)
{
    GMimeStream *stream = NULL;
    GMimeParser *parser = NULL;
    GMimeMessage *msg = NULL;
    GMimeObject *mo;
    struct walk w;
    const char *from, *subject;

    memset(r, 0, sizeof(*r));
    r->kind = BOUNCE_UNKNOWN;
    r->format = "none";
    memset(&w, 0, sizeof(w));
    w.r = r;
    buf_init(&w.dsn, 0);
    buf_init(&w.arf, 0);
    buf_init(&w.text, 0);
    buf_init(&w.html, 0);
    buf_init(&w.orig, 0);
    pthread_once(&gmime_once, gmime_start);
    if (len > BOUNCE_MESSAGE_MAX)
        len = BOUNCE_MESSAGE_MAX;
    if (len >= 5 && memcmp(data, "From ", 5) == 0) {    /* an mbox separator line */
        const char *e = memchr(data, '\n', len);

        len = e ? len - (size_t)(e + 1 - data) : 0;
        data = e ? e + 1 : data;
    }
    stream = g_mime_stream_mem_new_with_buffer(data, len);
    parser = g_mime_parser_new_with_stream(stream);
    g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
    msg = g_mime_parser_construct_message(parser, NULL);
    if (msg == NULL) {
        snprintf(r->why, sizeof(r->why), "not a mail message (no headers GMime can read)");
        goto out;
    }
    mo = GMIME_OBJECT(msg);
    subject = g_mime_message_get_subject(msg);
    if (subject != NULL)
        copy_clean(r->subject, sizeof(r->subject), subject, strlen(subject));
    from = g_mime_object_get_header(mo, "From");
    add_envelope(r, mo);
    walk(&w, g_mime_message_get_mime_part(msg), 0, false);
    not_recipients(&w, mo, from);
    if (classify(&w, mo, from, subject)) {
        diags_from_text(&w);
        grade(&w);
    }
out:
    if (msg != NULL)
        g_object_unref(msg);
    if (parser != NULL)
        g_object_unref(parser);
    if (stream != NULL)
        g_object_unref(stream);
    buf_fini(&w.dsn);
    buf_fini(&w.arf);
    buf_fini(&w.text);
    buf_fini(&w.html);
    buf_fini(&w.orig);
}
