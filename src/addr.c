/*
 * addr: subscriber address check and canonical form (see include/addr.h for the policy).
 * One pass over plain ASCII input with no allocation; libidn2 only for IDNs.
 * Specs: RFC 5322 3.2.3/3.4.1/4.4, RFC 5321 4.1.2/4.5.3.1, RFC 1035 2.3.4, RFC 5890-5891.
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <idn2.h>

#include "addr.h"
#include "util.h"

#define ADDR_LABEL_MAX 63       /* RFC 1035 2.3.4, RFC 5890 2.3.2.1 */
#define ADDR_DOMAIN_DNS_MAX 253 /* RFC 1035 2.3.4: 255 octets on the wire = 253 as text */
/*
 * Raw input we look at at all.  UTS #46 may drop ignorable code points and a UTF-8 domain
 * may shrink when converted, so allow some slack over ADDR_MAX before calling it too long.
 */
#define ADDR_INPUT_MAX (4 * ADDR_MAX)

/* Sentences with room for one detail (a character, libidn2's reason); one per thread. */
#define WHY_MAX 256
static _Thread_local char why_buf[WHY_MAX];

static const char MSG_EMPTY[] =
    "the address is empty; expected local-part@domain, e.g. jane@example.com";
static const char MSG_NO_AT[] =
    "the address has no @; expected local-part@domain, e.g. jane@example.com";
static const char MSG_TWO_AT[] =
    "the address contains more than one @; an unquoted local part cannot contain @ "
    "(quote it, as in \"a@b\"@example.com, if it really does)";
static const char MSG_CRLF[] =
    "the address contains a line break (CR or LF); an address must be one line "
    "(a line break could inject mail headers or SMTP commands)";
static const char MSG_CTRL[] =
    "the address contains a control character (such as NUL, TAB or DEL); remove it";
static const char MSG_UTF8[] =
    "the address is not valid UTF-8; save the subscriber list as UTF-8";
static const char MSG_TOO_LONG[] =
    "the address is longer than 254 octets (RFC 5321 4.5.3.1.3)";
static const char MSG_SPACE[] =
    "the address contains white space outside quotes; remove it (or quote the local part, "
    "as in \"jane doe\"@example.com, if the space belongs there)";
static const char MSG_COMMENT[] =
    "the address contains a comment or parenthesis; remove the (comment) "
    "(RFC 5322 3.2.2 comments are not accepted in subscriber addresses)";
static const char MSG_LOCAL_EMPTY[] =
    "the local part (before the @) is empty; expected local-part@domain";
static const char MSG_LOCAL_DOT_START[] =
    "the local part starts with a dot; remove it or quote the local part (RFC 5322 3.2.3)";
static const char MSG_LOCAL_DOT_END[] =
    "the local part ends with a dot; remove it or quote the local part (RFC 5322 3.2.3)";
static const char MSG_LOCAL_DOTS[] =
    "the local part contains two dots in a row; remove one or quote the local part "
    "(RFC 5322 3.2.3)";
static const char MSG_LOCAL_LONG[] =
    "the local part is longer than 64 octets (RFC 5321 4.5.3.1.1)";
static const char MSG_LOCAL_8BIT[] =
    "the local part contains non-ASCII characters, which need SMTPUTF8 (RFC 6531); "
    "gazette sends only ASCII local parts, so use an ASCII address";
static const char MSG_OBS_LOCAL[] =
    "the local part mixes quoted and unquoted text (obsolete syntax, RFC 5322 4.4, "
    "like a.\"b\".c); quote the whole local part instead";
static const char MSG_BACKSLASH[] =
    "the local part contains a backslash outside quotes; quote the local part "
    "(RFC 5322 3.2.4)";
static const char MSG_UNCLOSED[] =
    "the quoted local part has no closing quote; expected \"...\"@domain";
static const char MSG_AFTER_QUOTE[] =
    "the quoted local part must be followed directly by @; expected \"...\"@domain";
static const char MSG_QUOTED_EMPTY[] =
    "the quoted local part \"\" is empty; a mailbox needs a name before the @";
static const char MSG_DOMAIN_EMPTY[] =
    "the domain (after the @) is empty; expected a domain such as example.com";
static const char MSG_LITERAL[] =
    "the domain is an address literal in [brackets]; subscriber addresses need a domain "
    "name such as example.com";
static const char MSG_DOMAIN_DOT_START[] =
    "the domain starts with a dot; expected a domain such as example.com";
static const char MSG_DOMAIN_DOT_END[] =
    "the domain ends with a dot; write it without the trailing dot (example.com)";
static const char MSG_DOMAIN_DOTS[] =
    "the domain contains two dots in a row; each dot must separate two labels";
static const char MSG_LABEL_LONG[] =
    "a domain label is longer than 63 octets (RFC 1035 2.3.4)";
static const char MSG_ALABEL_LONG[] =
    "a domain label is longer than 63 octets once converted to its A-label (xn--) form "
    "(RFC 5890 2.3.2.1)";
static const char MSG_HYPHEN_START[] =
    "a domain label starts with a hyphen; labels must start with a letter or digit "
    "(RFC 5321 4.1.2)";
static const char MSG_HYPHEN_END[] =
    "a domain label ends with a hyphen; labels must end with a letter or digit "
    "(RFC 5321 4.1.2)";
static const char MSG_HYPHEN_34[] =
    "a domain label has \"--\" in its 3rd and 4th position but is not an A-label (xn--); "
    "such labels are reserved (RFC 5890 2.3.1)";
static const char MSG_UNDERSCORE[] =
    "the domain contains an underscore; host names allow only letters, digits, hyphens "
    "and dots (RFC 5321 4.1.2, RFC 1123 2.1)";
static const char MSG_ONE_LABEL[] =
    "the domain has only one label (like localhost or com); expected a full domain "
    "such as example.com";
static const char MSG_NUMERIC_TLD[] =
    "the domain ends in an all-numeric label (an IP address?); the top-level domain "
    "must contain a letter (RFC 3696 2)";
static const char MSG_DOMAIN_LONG[] =
    "the domain is longer than 253 octets (RFC 1035 2.3.4; RFC 5321 4.5.3.1.2)";
static const char MSG_IDN_DOMAIN_LONG[] =
    "the domain is longer than 253 octets once converted to A-labels (xn--) "
    "(RFC 1035 2.3.4)";

static const char *
whyf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static const char *
whyf(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why_buf, sizeof(why_buf), fmt, ap);     /* a cut sentence is still useful */
    va_end(ap);
    return why_buf;
}

/* atext, RFC 5322 3.2.3: ALPHA / DIGIT / "!#$%&'*+-/=?^_`{|}~" */
static inline bool
is_atext(unsigned char c)
{
    if (IS_ALNUM(c))
        return true;
    switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '/': case '=': case '?': case '^': case '_': case '`': case '{':
    case '|': case '}': case '~':
        return true;
    default:
        return false;
    }
}

bool
addr_is_atext(unsigned char c)
{
    return is_atext(c);
}

/* true when the n bytes at p form a dot-atom-text (RFC 5322 3.2.3). */
static bool
is_dot_atom(const char *p, size_t n)
{
    if (n == 0 || p[0] == '.' || p[n - 1] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '.') {
            if (p[i - 1] == '.')
                return false;
        } else if (!is_atext((unsigned char)p[i]))
            return false;
    }
    return true;
}

/* The sentence for a character that may not appear in an unquoted local part. */
static const char *
local_bad_char(unsigned char c)
{
    if (c == ' ')
        return MSG_SPACE;
    if (c == '(' || c == ')')
        return MSG_COMMENT;
    if (c == '"')
        return MSG_OBS_LOCAL;
    if (c == '\\')
        return MSG_BACKSLASH;
    if (c >= 0x80)
        return MSG_LOCAL_8BIT;
    return whyf("the local part contains \"%c\", which is allowed only inside a quoted local "
        "part (RFC 5322 3.2.3); quote it, as in \"a%cb\"@example.com, or remove it", c, c);
}

/*
 * Dot-atom local part at s[0..len): copy it to out, set *at to the index of the '@'.
 * Returns NULL or the reason.
 */
static const char *
parse_dot_atom(const char *s, size_t len, char *out, size_t *at)
{
    size_t i;

    for (i = 0; i < len && s[i] != '@'; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '.') {
            if (i == 0)
                return MSG_LOCAL_DOT_START;
            if (s[i - 1] == '.')
                return MSG_LOCAL_DOTS;
        } else if (!is_atext(c))
            return local_bad_char(c);
    }
    if (i == len)
        return MSG_NO_AT;
    if (i == 0)
        return MSG_LOCAL_EMPTY;
    if (s[i - 1] == '.')
        return MSG_LOCAL_DOT_END;
    if (i > ADDR_LOCAL_MAX)
        return MSG_LOCAL_LONG;
    memcpy(out, s, i);
    *at = i;
    return NULL;
}

/*
 * Quoted local part at s[0..len), s[0] == '"' (RFC 5321 4.1.2 Quoted-string).  Writes the
 * least-quoted form to out (RFC 5321 4.1.2: "the form that uses the minimum quoting
 * possible"), sets *outlen and *at.  Controls were refused before we get here.
 */
static const char *
parse_quoted(const char *s, size_t len, char *out, size_t *outlen, size_t *at)
{
    char text[ADDR_INPUT_MAX];      /* the unescaped content */
    size_t i, n = 0, o = 0;

    for (i = 1; i < len && s[i] != '"'; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '\\') {
            if (++i == len)
                return MSG_UNCLOSED;
            c = (unsigned char)s[i];
        }
        if (c >= 0x80)
            return MSG_LOCAL_8BIT;
        text[n++] = (char)c;
    }
    if (i == len)
        return MSG_UNCLOSED;
    i++;                            /* the closing quote */
    if (i == len)
        return MSG_NO_AT;
    if (s[i] == '.' || s[i] == '"' || is_atext((unsigned char)s[i]))
        return MSG_OBS_LOCAL;
    if (s[i] == ' ')
        return MSG_SPACE;
    if (s[i] == '(')
        return MSG_COMMENT;
    if (s[i] != '@')
        return MSG_AFTER_QUOTE;
    if (n == 0)
        return MSG_QUOTED_EMPTY;

    if (is_dot_atom(text, n)) {
        if (n > ADDR_LOCAL_MAX)
            return MSG_LOCAL_LONG;
        memcpy(out, text, n);
        o = n;
    } else {
        out[o++] = '"';
        for (size_t k = 0; k < n; k++) {
            bool esc = text[k] == '"' || text[k] == '\\';

            /* this character, its backslash, and the closing quote must fit */
            if (o + esc + 2 > ADDR_LOCAL_MAX)
                return MSG_LOCAL_LONG;
            if (esc)
                out[o++] = '\\';
            out[o++] = text[k];
        }
        out[o++] = '"';
    }
    *outlen = o;
    *at = i;
    return NULL;
}

/* The sentence for a character that may not appear in a domain name. */
static const char *
domain_bad_char(unsigned char c)
{
    char q;

    if (c == '@')
        return MSG_TWO_AT;
    if (c == ' ')
        return MSG_SPACE;
    if (c == '(' || c == ')')
        return MSG_COMMENT;
    if (c == '_')
        return MSG_UNDERSCORE;
    if (c == '[' || c == ']')
        return MSG_LITERAL;
    q = c == '"' ? '\'' : '"';
    return whyf("the domain contains %c%c%c; a domain may contain only letters, digits, "
        "hyphens and dots (RFC 5321 4.1.2)", q, c, q);
}

/*
 * ASCII domain d[0..n): check the LDH rules and write it lower-cased to out (n + 1 bytes,
 * NUL-terminated).  *alabels is set when a label starts with "xn--".  idn picks the
 * sentences for a domain that libidn2 produced.
 */
static const char *
check_domain(const char *d, size_t n, char *out, bool *alabels, bool idn)
{
    size_t start = 0, labels = 0;
    bool digits = true;             /* the current label is all digits so far */

    *alabels = false;
    for (size_t i = 0; i <= n; i++) {
        size_t ll;

        if (i < n && d[i] != '.') {
            unsigned char c = (unsigned char)d[i];

            if (IS_ALPHA(c)) {
                out[i] = (char)TO_LOWER(c);
                digits = false;
            } else if (IS_DIGIT(c)) {
                out[i] = (char)c;
            } else if (c == '-') {
                out[i] = '-';
                digits = false;
            } else
                return domain_bad_char(c);
            continue;
        }
        ll = i - start;
        if (ll == 0)
            return start == 0 ? MSG_DOMAIN_DOT_START :
                i == n ? MSG_DOMAIN_DOT_END : MSG_DOMAIN_DOTS;
        if (ll > ADDR_LABEL_MAX)
            return idn ? MSG_ALABEL_LONG : MSG_LABEL_LONG;
        if (out[start] == '-')
            return MSG_HYPHEN_START;
        if (out[i - 1] == '-')
            return MSG_HYPHEN_END;
        if (ll >= 4 && out[start + 2] == '-' && out[start + 3] == '-') {
            if (out[start] != 'x' || out[start + 1] != 'n')
                return MSG_HYPHEN_34;
            *alabels = true;
        }
        labels++;
        if (i == n)
            break;
        out[i] = '.';
        start = i + 1;
        digits = true;
    }
    out[n] = '\0';
    if (labels < 2)
        return MSG_ONE_LABEL;
    if (digits)
        return MSG_NUMERIC_TLD;
    if (n > ADDR_DOMAIN_DNS_MAX)
        return idn ? MSG_IDN_DOMAIN_LONG : MSG_DOMAIN_LONG;
    return NULL;
}

/*
 * Run a NUL-terminated domain through libidn2 (IDNA2008 lookup with UTS #46
 * non-transitional mapping).  On success *ascii is a libidn2 allocation (idn2_free).
 */
static const char *
idn_lookup(const char *domain, char **ascii)
{
    int rc;

    *ascii = NULL;
    rc = idn2_lookup_u8((const uint8_t *)domain, (uint8_t **)ascii, IDN2_NONTRANSITIONAL);
    if (rc == IDN2_OK)
        return NULL;
    idn2_free(*ascii);
    *ascii = NULL;
    if (rc == IDN2_TOO_BIG_LABEL || rc == IDN2_PUNYCODE_BIG_OUTPUT)
        return MSG_ALABEL_LONG;
    if (rc == IDN2_TOO_BIG_DOMAIN)
        return MSG_IDN_DOMAIN_LONG;
    if (rc == IDN2_MALLOC) {            /* as xmalloc() does */
        fputs("gazette: out of memory\n", stderr);
        exit(EX_OSERR);
    }
    return whyf("the domain is not a valid internationalised domain name: %s "
        "(IDNA2008, RFC 5891; UTS #46)", idn2_strerror(rc));
}

/*
 * Domain d[0..n) (after the '@'): write its canonical ASCII form to dom (ADDR_INPUT_MAX + 1
 * bytes) and its length to *domlen.
 */
static const char *
canon_domain(const char *d, size_t n, bool eight_bit, char *dom, size_t *domlen)
{
    char raw[ADDR_INPUT_MAX + 1];
    char *ascii = NULL;
    const char *why;
    bool alabels;
    size_t an;

    if (n == 0)
        return MSG_DOMAIN_EMPTY;
    if (memchr(d, '@', n) != NULL)
        return MSG_TWO_AT;
    if (d[0] == '[')
        return MSG_LITERAL;
    if (!eight_bit) {
        /* The fast path: no libidn2 unless an A-label needs checking. */
        if ((why = check_domain(d, n, dom, &alabels, false)) != NULL)
            return why;
        *domlen = n;
        if (!alabels)
            return NULL;
        if ((why = idn_lookup(dom, &ascii)) != NULL)
            return why;
        /* A valid A-label that is not in the form libidn2 would produce (never seen). */
        if (strcmp(ascii, dom) != 0)
            why = whyf("the domain's A-labels are not in canonical form; write %s",
                ascii);
        idn2_free(ascii);
        return why;
    }
    /* ASCII octets get our own sentences; libidn2 would pass some (space, '_') through. */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)d[i];

        if (c < 0x80 && !IS_ALNUM(c) && c != '-' && c != '.')
            return domain_bad_char(c);
    }
    memcpy(raw, d, n);
    raw[n] = '\0';
    if ((why = idn_lookup(raw, &ascii)) != NULL)
        return why;
    an = strlen(ascii);
    if (an > ADDR_INPUT_MAX)
        why = MSG_IDN_DOMAIN_LONG;
    else if ((why = check_domain(ascii, an, dom, &alabels, true)) == NULL)
        *domlen = an;
    idn2_free(ascii);
    return why;
}

static const char *
check(const char *s, size_t len, char *out)
{
    char dom[ADDR_INPUT_MAX + 1];
    unsigned ctrl = 0, all = 0;
    bool eight_bit;
    size_t at = 0, llen = 0, dlen = 0;
    const char *why;

    if (s == NULL || len == 0)
        return MSG_EMPTY;
    /*
     * Controls first, wherever they are: the injection guard speaks before the grammar.
     * Branch-free so that the compiler can vectorise it; the slow look is for bad input.
     */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        ctrl |= (unsigned)(c < 0x20) | (unsigned)(c == 0x7f);
        all |= c;
    }
    if (ctrl) {
        for (size_t i = 0; i < len; i++)
            if (s[i] == '\r' || s[i] == '\n')
                return MSG_CRLF;
        return MSG_CTRL;
    }
    eight_bit = (all & 0x80) != 0;
    if (len > ADDR_INPUT_MAX)
        return MSG_TOO_LONG;
    if (eight_bit && !utf8_is_valid(s, len))
        return MSG_UTF8;

    if (s[0] == '"')
        why = parse_quoted(s, len, out, &llen, &at);
    else {
        why = parse_dot_atom(s, len, out, &at);
        llen = at;
    }
    if (why != NULL)
        return why;
    /* Non-ASCII octets left after a good local part are in the domain. */
    why = canon_domain(s + at + 1, len - at - 1, eight_bit, dom, &dlen);
    if (why != NULL)
        return why;
    if (llen + 1 + dlen > ADDR_MAX)
        return MSG_TOO_LONG;
    out[llen] = '@';
    memcpy(out + llen + 1, dom, dlen + 1);
    return NULL;
}

int
addr_check(const char *s, size_t len, char out[ADDR_BUF], const char **why)
{
    const char *msg = check(s, len, out);

    if (msg == NULL)
        return 0;
    out[0] = '\0';
    if (why != NULL)
        *why = msg;
    return -1;
}

bool
addr_same(const char *canon_a, const char *canon_b)
{
    const char *da, *db;

    if (canon_a == NULL || canon_b == NULL)
        return false;
    /* The last '@' splits: a quoted local part may hold '@', a domain never does. */
    da = strrchr(canon_a, '@');
    db = strrchr(canon_b, '@');
    if (da == NULL || db == NULL)
        return strcmp(canon_a, canon_b) == 0;
    if (da - canon_a != db - canon_b || memcmp(canon_a, canon_b, (size_t)(da - canon_a)) != 0)
        return false;
    return ascii_strcasecmp(da + 1, db + 1) == 0;
}
