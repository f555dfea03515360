/*
 * Unit tests for mime: RFC 2047 words and folding, the injection guard, quoted-printable
 * and base64 bodies (decoded back by the independent decoders below), whole messages built
 * from shared and personal segments, and a throughput figure printed as a "# ..." line.
 * With MIME_OUT=DIR set, also writes DIR/NN.eml + NN.json for tests/integration/check_eml.py.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "buf.h"
#include "check.h"
#include "diag.h"
#include "mime.h"
#include "util.h"

/* ---- small helpers ---------------------------------------------------------------------- */

static bool
all_ascii(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)p[i] >= 0x80)
            return false;
    return true;
}

/* true when every line ends in CRLF and there is no bare CR or LF */
static bool
crlf_only(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\r' && (i + 1 == n || p[i + 1] != '\n'))
            return false;
        if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
            return false;
    }
    return true;
}

static size_t
longest_line(const char *p, size_t n)
{
    size_t best = 0, cur = 0;

    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n') {
            if (cur > best)
                best = cur;
            cur = 0;
            i++;
        } else {
            cur++;
        }
    }
    return cur > best ? cur : best;
}

/* LF, CRLF and lone CR all become LF: what a decoded text should equal */
static void
to_lf(struct buf *out, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\r') {
            buf_addc(out, '\n');
            if (i + 1 < n && p[i + 1] == '\n')
                i++;
        } else {
            buf_addc(out, p[i]);
        }
    }
}

/* what a header value decodes to (mime.h, issue 9): the value unchanged, "" when blank */
static void
norm_ws(struct buf *out, const char *s)
{
    buf_reset(out);
    buf_add(out, "", 0);
    if (strspn(s, " \t") < strlen(s))
        buf_adds(out, s);
}

/* single spaces between words: the only blanks that plain (unencoded) text can keep */
static bool
plain_ws(const char *s)
{
    size_t n = strlen(s);

    return strchr(s, '\t') == NULL && strstr(s, "  ") == NULL &&
        (n == 0 || (s[0] != ' ' && s[n - 1] != ' '));
}

static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;              /* lower case is refused on purpose (RFC 2045 6.7 (1)) */
}

static int
b64val(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* strict base64 of p[0..n) (length a multiple of 4, padding only at the end) */
static int
b64_decode(const char *p, size_t n, struct buf *out)
{
    if (n % 4 != 0)
        return -1;
    for (size_t i = 0; i < n; i += 4) {
        int v[4], pad = 0;

        for (int k = 0; k < 4; k++) {
            if (p[i + k] == '=' && i + 4 == n && k >= 2) {
                v[k] = 0;
                pad++;
            } else if ((v[k] = b64val(p[i + k])) < 0 || pad) {
                return -1;
            }
        }
        buf_addc(out, (char)(v[0] << 2 | v[1] >> 4));
        if (pad < 2)
            buf_addc(out, (char)((v[1] & 15) << 4 | v[2] >> 2));
        if (pad < 1)
            buf_addc(out, (char)((v[2] & 3) << 6 | v[3]));
    }
    return 0;
}

/* ---- an independent RFC 2047 decoder ---------------------------------------------------- */

/* Unfold one field "Name: value\r\n[ more\r\n]" into its value (after "Name:" and blanks). */
static void
unfold(const char *field, size_t n, struct buf *out)
{
    const char *c = memchr(field, ':', n);
    size_t i = c ? (size_t)(c - field) + 1 : n;

    buf_reset(out);
    buf_add(out, "", 0);
    while (i < n && (field[i] == ' ' || field[i] == '\t'))
        i++;
    for (; i < n; i++) {
        if (field[i] == '\r' && i + 1 < n && field[i + 1] == '\n') {
            i++;
            continue;
        }
        buf_addc(out, field[i]);
    }
}

/*
 * Decode one encoded-word tok[0..n) into out; -1 and why when it is not a valid UTF-8
 * B or Q word of at most 75 characters holding whole characters (RFC 2047 2, 4, 5).
 */
static int
ew_decode(const char *tok, size_t n, bool phrase, struct buf *out, const char **why)
{
    struct buf w;
    const char *text;
    size_t tn;
    int rc = -1;

    buf_init(&w, 0);
    buf_add(&w, "", 0);
    if (n > MIME_EW_MAX) {
        *why = "encoded-word longer than 75";
        goto out;
    }
    if (n < 12 || ascii_strncasecmp(tok, "=?UTF-8?", 8) != 0 || tok[9] != '?' ||
        memcmp(tok + n - 2, "?=", 2) != 0) {
        *why = "not a UTF-8 encoded-word";
        goto out;
    }
    text = tok + 10;
    tn = n - 12;
    if (tok[8] == 'B' || tok[8] == 'b') {
        if (b64_decode(text, tn, &w) == -1) {
            *why = "bad base64 in encoded-word";
            goto out;
        }
    } else if (tok[8] == 'Q' || tok[8] == 'q') {
        for (size_t i = 0; i < tn; i++) {
            char c = text[i];

            if (c == '_') {
                buf_addc(&w, ' ');
            } else if (c == '=') {
                int hi = i + 2 < tn ? hexval(text[i + 1]) : -1;
                int lo = i + 2 < tn ? hexval(text[i + 2]) : -1;

                if (hi < 0 || lo < 0) {
                    *why = "bad =XX in Q word";
                    goto out;
                }
                buf_addc(&w, (char)(hi << 4 | lo));
                i += 2;
            } else if (phrase ? !(IS_ALNUM(c) || strchr("!*+-/", c)) :
                (c <= ' ' || c >= 0x7f || c == '?')) {
                *why = "character not allowed in a Q word";
                goto out;
            } else {
                buf_addc(&w, c);
            }
        }
    } else {
        *why = "unknown encoding";
        goto out;
    }
    if (!utf8_is_valid(buf_str(&w), w.len)) {
        *why = "encoded-word splits a UTF-8 character";
        goto out;
    }
    buf_add(out, buf_str(&w), w.len);
    rc = 0;
out:
    buf_fini(&w);
    return rc;
}

static bool
holds_ewmark(const char *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++)
        if (p[i] == '=' && p[i + 1] == '?')
            return true;
    return false;
}

static bool
is_ew_token(const char *t, size_t n)
{
    return n >= 12 && t[0] == '=' && t[1] == '?' && t[n - 2] == '?' && t[n - 1] == '=';
}

/*
 * Decode an unfolded value: tokens separated by SP/TAB; encoded-words decoded, blanks
 * between two encoded-words dropped (RFC 2047 6.2), one SP otherwise.  With phrase,
 * quoted-strings are unquoted (and may hold blanks).
 */
static int
hdr_decode(const char *v, bool phrase, struct buf *out, const char **why)
{
    size_t n = strlen(v), i = 0;
    bool prev_ew = false, any = false;

    buf_reset(out);
    buf_add(out, "", 0);
    while (i < n) {
        size_t s, e;
        bool ew;

        while (i < n && (v[i] == ' ' || v[i] == '\t'))
            i++;
        if (i == n)
            break;
        s = i;
        if (phrase && v[i] == '"') {
            if (any)
                buf_addc(out, ' ');
            for (i++; i < n && v[i] != '"'; i++) {
                if (v[i] == '\\' && i + 1 < n)
                    i++;
                buf_addc(out, v[i]);
            }
            if (i == n) {
                *why = "unterminated quoted-string";
                return -1;
            }
            i++;
            prev_ew = false;
            any = true;
            continue;
        }
        while (i < n && v[i] != ' ' && v[i] != '\t')
            i++;
        e = i;
        ew = is_ew_token(v + s, e - s);
        if (any && !(ew && prev_ew))
            buf_addc(out, ' ');
        if (ew) {
            if (ew_decode(v + s, e - s, phrase, out, why) == -1)
                return -1;
        } else {
            if (holds_ewmark(v + s, e - s)) {
                *why = "a plain word holds \"=?\"";
                return -1;
            }
            buf_add(out, v + s, e - s);
        }
        prev_ew = ew;
        any = true;
    }
    return 0;
}

/* ---- an independent quoted-printable decoder and checker -------------------------------- */

/*
 * Decode quoted-printable p[0..n) (CRLF lines) into out with LF line ends, checking
 * RFC 2045 6.7 on the way: lines <= 76, only =XX in upper case, no blank at a line end,
 * no line starting with "." or "From ", and no soft break inside a UTF-8 character (each
 * wire line must decode to whole characters).
 */
static int
qp_decode(const char *p, size_t n, struct buf *out, const char **why)
{
    struct buf line;
    size_t i = 0;
    int rc = -1;

    buf_init(&line, 0);
    while (i < n) {
        const char *e = NULL;
        size_t le, len;
        bool soft = false;

        for (size_t k = i; k + 1 < n; k++)
            if (p[k] == '\r' && p[k + 1] == '\n') {
                e = p + k;
                break;
            }
        le = e ? (size_t)(e - p) : n;
        len = le - i;
        if (len > MIME_QP_LINE) {
            *why = "QP line longer than 76";
            goto out;
        }
        if (len > 0 && (p[le - 1] == ' ' || p[le - 1] == '\t')) {
            *why = "QP line ends in a blank";
            goto out;
        }
        if (len > 0 && p[i] == '.') {
            *why = "QP line starts with '.'";
            goto out;
        }
        if (len >= 5 && memcmp(p + i, "From ", 5) == 0) {
            *why = "QP line starts with \"From \"";
            goto out;
        }
        buf_reset(&line);
        buf_add(&line, "", 0);
        for (size_t k = i; k < le; k++) {
            unsigned char c = (unsigned char)p[k];

            if (c == '=') {
                int hi, lo;

                if (k + 1 == le) {
                    soft = true;
                    break;
                }
                hi = k + 2 < le ? hexval(p[k + 1]) : -1;
                lo = k + 2 < le ? hexval(p[k + 2]) : -1;
                if (hi < 0 || lo < 0) {
                    *why = "bad =XX escape";
                    goto out;
                }
                buf_addc(&line, (char)(hi << 4 | lo));
                k += 2;
            } else if ((c < 33 && c != ' ' && c != '\t') || c > 126) {
                *why = "byte that must be encoded appears literally";
                goto out;
            } else {
                buf_addc(&line, (char)c);
            }
        }
        if (!utf8_is_valid(buf_str(&line), line.len)) {
            *why = "a soft break splits a UTF-8 character";
            goto out;
        }
        buf_add(out, buf_str(&line), line.len);
        if (e == NULL)
            break;
        if (!soft)
            buf_addc(out, '\n');
        i = le + 2;
    }
    rc = 0;
out:
    buf_fini(&line);
    return rc;
}

/* base64 body lines (<= 76) -> bytes -> LF text */
static int
b64_body_decode(const char *p, size_t n, struct buf *out, const char **why)
{
    struct buf joined, raw;
    size_t cur = 0;
    int rc = -1;

    buf_init(&joined, 0);
    buf_init(&raw, 0);
    buf_add(&joined, "", 0);
    buf_add(&raw, "", 0);
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n') {
            i++;
            cur = 0;
            continue;
        }
        if (++cur > MIME_B64_LINE) {
            *why = "base64 line longer than 76";
            goto out;
        }
        buf_addc(&joined, p[i]);
    }
    if (b64_decode(buf_str(&joined), joined.len, &raw) == -1) {
        *why = "bad base64";
        goto out;
    }
    to_lf(out, buf_str(&raw), raw.len);
    rc = 0;
out:
    buf_fini(&joined);
    buf_fini(&raw);
    return rc;
}

/* ---- header field checks ------------------------------------------------------------------ */

/* The shape every header field we write must have; NULL when fine, else what is wrong. */
static const char *
field_shape(const char *p, size_t n, const char *name)
{
    size_t nl = strlen(name), i = 0;

    if (n < nl + 4 || memcmp(p, name, nl) != 0 || p[nl] != ':' || p[nl + 1] != ' ')
        return "does not start with \"Name: \" on the first line";
    if (!all_ascii(p, n))
        return "holds 8-bit bytes";
    if (!crlf_only(p, n) || memcmp(p + n - 2, "\r\n", 2) != 0)
        return "line ends are not all CRLF";
    while (i < n) {
        const char *e = strstr(p + i, "\r\n");
        size_t len = (size_t)(e - (p + i));
        bool ew = false, blank = true;

        for (size_t k = i; k + 1 < i + len; k++)
            if (p[k] == '=' && p[k + 1] == '?')
                ew = true;
        for (size_t k = i; k < i + len; k++)
            if (p[k] != ' ' && p[k] != '\t')
                blank = false;
        for (size_t k = i; k < i + len; k++)
            if ((unsigned char)p[k] < 0x20 && p[k] != '\t')
                return "control byte in a line";
        if (blank)
            return "a line of white space only";
        if (i > 0 && p[i] != ' ' && p[i] != '\t')
            return "a continuation line does not start with a blank";
        if (len > MIME_LINE_SOFT)
            return "a line is longer than 78";
        if (ew && len > MIME_EW_LINE)
            return "a line holding an encoded-word is longer than 76";
        i += len + 2;
    }
    return NULL;
}

/* word is one of the blank-separated tokens of v */
static bool
has_token(const char *v, const char *word)
{
    size_t n = strlen(word);

    for (const char *p = v; (p = strstr(p, word)) != NULL; p++)
        if ((p == v || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return true;
    return false;
}

static void
check_text_field(const char *what, const char *name, const char *in, const char *plain)
{
    struct buf b, v, dec, want;
    struct diag d = DIAG_INIT;
    const char *why = NULL;
    int rc;

    buf_init(&b, 0);
    buf_init(&v, 0);
    buf_init(&dec, 0);
    buf_init(&want, 0);
    rc = mime_header_text(&b, name, in, &d);
    CHECK(rc == 0, "%s: encoded (%s)", what, d.msg);
    if (rc == 0) {
        why = field_shape(buf_str(&b), b.len, name);
        CHECK(why == NULL, "%s: field shape: %s", what, why ? why : "ok");
        unfold(buf_str(&b), b.len, &v);
        norm_ws(&want, in);
        why = NULL;
        CHECK(hdr_decode(buf_str(&v), false, &dec, &why) == 0 &&
            strcmp(buf_str(&dec), buf_str(&want)) == 0,
            "%s: decodes back (%s; got \"%.60s\")", what, why ? why : "compare", buf_str(&dec));
        if (all_ascii(in, strlen(in)) && strlen(in) < 60 && !holds_ewmark(in, strlen(in)) &&
            plain_ws(in))
            CHECK(strstr(buf_str(&b), "=?") == NULL, "%s: short ASCII text is not encoded",
                what);
        if (plain != NULL)
            CHECK(has_token(buf_str(&v), plain), "%s: the ASCII word \"%s\" stays plain",
                what, plain);
    }
    buf_fini(&b);
    buf_fini(&v);
    buf_fini(&dec);
    buf_fini(&want);
}

static void
test_header_text(void)
{
    static const struct { const char *in, *plain; } rows[] = {
        { "Weekly digest 48", NULL },
        { "  Leading and   inner\tblanks  ", NULL },
        { "R\xc3\xa9sum\xc3\xa9 de la semaine : l'\xc3\xa9t\xc3\xa9 \xc3\xa0 Paris", "de" },
        { "Gr\xc3\xbc\xc3\x9f" "e aus Z\xc3\xbcrich \xe2\x80\x94 5 Geschichten", "aus" },
        { "\xe4\xbb\x8a\xe9\x80\xb1\xe3\x81\xae\xe3\x83\x8b\xe3\x83\xa5\xe3\x83\xbc\xe3\x82\xb9"
          "\xe3\x81\xbe\xe3\x81\xa8\xe3\x82\x81\xef\xbc\x9a\xe6\x9d\xb1\xe4\xba\xac\xe3\x81\xa8"
          "\xe3\x82\xb7\xe3\x83\xaa\xe3\x82\xb3\xe3\x83\xb3\xe3\x83\x90\xe3\x83\xac\xe3\x83\xbc"
          "\xe3\x81\xae\xe6\x9c\x80\xe6\x96\xb0\xe5\x8b\x95\xe5\x90\x91\xe3\x81\xa8\xe6\x9d\xa5"
          "\xe9\x80\xb1\xe3\x81\xae\xe4\xba\x88\xe5\xae\x9a", NULL },
        { "Hello \xe4\xb8\x96\xe7\x95\x8c and \xf0\x9f\x8c\x8d friends", "and" },
        { "=?utf-8?q?not_encoded?= must stay literal text", "must" },
        { "a_b=c?d (x) \"q\" <y> [z] ;:,", "a_b=c?d" },
        { "Z\xc3\xbcrich digest \xe2\x80\x94 5 stories \xf0\x9f\x9a\x80", "digest" },
    };
    struct buf s;
    char what[64];

    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        snprintf(what, sizeof(what), "Subject row %zu", i);
        check_text_field(what, "Subject", rows[i].in, rows[i].plain);
    }
    buf_init(&s, 0);
    {
        struct diag d = DIAG_INIT;

        CHECK(mime_header_text(&s, "X-Empty", " \t ", &d) == 0 &&
            strcmp(buf_str(&s), "X-Empty:\r\n") == 0, "a blank value gives an empty field");
        buf_reset(&s);
    }
    /* 300 characters of ASCII words: folded, not encoded (RFC 5322 2.2.3) */
    for (int i = 0; s.len < 300; i++)
        buf_addf(&s, "%sword%d", i ? " " : "", i);
    check_text_field("300-char ASCII subject", "Subject", buf_str(&s), "word7");
    /* one 120-character word cannot be folded: it goes as encoded-words */
    buf_reset(&s);
    for (int i = 0; i < 120; i++)
        buf_addc(&s, (char)('a' + i % 26));
    buf_adds(&s, " tail");
    check_text_field("120-char word", "Subject", buf_str(&s), NULL);
    /* 4-byte characters at every offset around the split point of an encoded-word */
    for (int k = 0; k < 8; k++) {
        buf_reset(&s);
        buf_adds(&s, "\xc3\xa9");
        for (int i = 0; i < k; i++)
            buf_addc(&s, 'x');
        for (int i = 0; i < 50; i++)
            buf_adds(&s, "\xf0\x9f\x9a\x80");
        snprintf(what, sizeof(what), "50 emoji after %d ASCII", k);
        check_text_field(what, "Subject", buf_str(&s), NULL);
    }
    /* 200 CJK characters with spaces every 7 */
    buf_reset(&s);
    for (int i = 0; i < 200; i++)
        buf_adds(&s, i % 7 == 6 ? "\xe6\x97\xa5 " : "\xe6\x97\xa5");
    check_text_field("200 CJK characters", "Subject", buf_str(&s), NULL);
    {
        /* B or Q, whichever is shorter: mostly-ASCII words go Q, CJK goes B */
        struct diag d = DIAG_INIT;

        buf_reset(&s);
        mime_header_text(&s, "Subject", "Z\xc3\xbcrich-Oberstrass", &d);
        CHECK(strstr(buf_str(&s), "=?UTF-8?Q?") && !strstr(buf_str(&s), "?B?"),
            "a mostly-ASCII word is Q-encoded");
        buf_reset(&s);
        mime_header_text(&s, "Subject", rows[4].in, &d);
        CHECK(strstr(buf_str(&s), "=?UTF-8?B?") && !strstr(buf_str(&s), "?Q?"),
            "a CJK subject is B-encoded");
    }
    check_text_field("long field name", "X-A-Rather-Long-Extra-Header-Name-Here",
        "\xc3\xa9t\xc3\xa9 \xc3\xa9t\xc3\xa9 \xc3\xa9t\xc3\xa9 \xc3\xa9t\xc3\xa9", NULL);
    buf_fini(&s);
}

static void
test_header_mailbox(void)
{
    /* form: a = atoms, q = quoted-string, e = encoded-words, n = no display name */
    static const struct { const char *name, *addr; char form; } rows[] = {
        { "Alice Example", "alice@example.com", 'a' },
        { "Foo Bar, France", "foo@example.com", 'q' },
        { "John Q. Public", "jqp@example.com", 'q' },
        { "Quote \"JJ\" Back\\slash", "jj@example.com", 'q' },
        { "J\xc3\xbcrgen \xc3\x98" "deg\xc3\xa5rd", "j@example.com", 'e' },
        { "Dr. J\xc3\xbcrgen M\xc3\xbcller, PhD", "m@example.com", 'e' },
        { "M\xc3\xbcller, Hans", "hans@example.com", 'e' },
        { "\xe5\xb1\xb1\xe7\x94\xb0 \xe5\xa4\xaa\xe9\x83\x8e", "yamada@example.jp", 'e' },
        { "\xf0\x9f\x9a\x80 Rocket Team", "rocket@example.com", 'e' },
        { "Team Z\xc3\xbcrich", "zh@example.ch", 'e' },
        { "=?utf-8?q?fake?=", "fake@example.com", 'e' },
        { "Tab\tName", "tab@example.com", 'e' },     /* the TAB kept: encoded (issue 9) */
        { "", "bare@example.com", 'n' },
        { NULL, "null@example.com", 'n' },
        { "John Doe", "\"john doe\"@example.com", 'a' },
        { "The Very Long Name Of A Mailing List, Which Goes On And On, For More Than "
          "One Line", "long@example.com", 'q' },
        { "\xc3\x89" "douard \xc3\x89" "tienne \xc3\x89milie \xc3\x89lodie \xc3\x89ric "
          "\xc3\x89lise \xc3\x89velyne \xc3\x89mile \xc3\x89lo\xc3\xafse", "e@example.fr", 'e' },
    };

    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        struct buf b, v, dec, want;
        struct diag d = DIAG_INIT;
        const char *why = NULL, *field;
        int rc;

        buf_init(&b, 0);
        buf_init(&v, 0);
        buf_init(&dec, 0);
        buf_init(&want, 0);
        rc = mime_header_mailbox(&b, "To", rows[i].name, rows[i].addr, &d);
        CHECK(rc == 0, "mailbox row %zu: encoded (%s)", i, d.msg);
        if (rc != 0)
            goto next;
        field = buf_str(&b);
        why = field_shape(field, b.len, "To");
        /* a URI/address token may pass 78 only when it alone is too long; not here */
        CHECK(why == NULL, "mailbox row %zu: field shape: %s", i, why ? why : "ok");
        unfold(field, b.len, &v);
        norm_ws(&want, rows[i].name ? rows[i].name : "");
        if (rows[i].form == 'n') {
            CHECK_STR_EQ(buf_str(&v), rows[i].addr, "mailbox row %zu: bare address", i);
        } else {
            size_t an = strlen(rows[i].addr), vn = v.len;
            const char *val = buf_str(&v);
            bool tail = vn > an + 3 && val[vn - an - 3] == ' ' && val[vn - an - 2] == '<' &&
                memcmp(val + vn - an - 1, rows[i].addr, an) == 0 && val[vn - 1] == '>';
            char *phrase = xstrndup(val, tail ? vn - an - 3 : vn);
            bool dq = strchr(phrase, '"') != NULL, ew = strstr(phrase, "=?") != NULL;

            CHECK(tail, "mailbox row %zu: ends in \" <addr>\" with the address as given", i);
            why = NULL;
            CHECK(hdr_decode(phrase, true, &dec, &why) == 0 &&
                strcmp(buf_str(&dec), buf_str(&want)) == 0,
                "mailbox row %zu: display name decodes back (%s; got \"%s\")", i,
                why ? why : "compare", buf_str(&dec));
            CHECK((rows[i].form == 'a' && !dq && !ew) || (rows[i].form == 'q' && dq && !ew) ||
                (rows[i].form == 'e' && ew && !(dq && ew)),
                "mailbox row %zu: form '%c' (atoms, quoted or encoded as needed): %s", i,
                rows[i].form, phrase);
            free(phrase);
        }
next:
        buf_fini(&b);
        buf_fini(&v);
        buf_fini(&dec);
        buf_fini(&want);
    }
}

/* ---- the injection guard --------------------------------------------------------------- */

static const struct mime_seg tiny_text[] = { { MIME_SHARED, "Hi.\n", 4 } };
static const struct mime_seg tiny_html[] = { { MIME_SHARED, "<p>Hi.</p>\n", 11 } };

static void
base_opts(struct mime_digest_opts *o, struct mime_field *x)
{
    memset(o, 0, sizeof(*o));
    o->from_name = "Gazette";
    o->from_addr = "news@example.com";
    o->reply_to_name = "Editor";
    o->reply_to_addr = "editor@example.com";
    o->subject = "Weekly";
    o->list_name = "Gazette Weekly";
    o->list_id = "weekly.example.com";
    x->name = "X-Campaign";
    x->value = "2026-48";
    o->extra = x;
    o->nextra = 1;
    o->text = tiny_text;
    o->ntext = 1;
    o->html = tiny_html;
    o->nhtml = 1;
}

static void
base_personal(struct mime_personal *p)
{
    memset(p, 0, sizeof(*p));
    p->to_name = "Alice";
    p->to_addr = "alice@example.org";
    p->unsub_url = "https://example.com/u/abc";
    p->unsub_mailto = "unsub@example.com";
}

static void
test_injection(void)
{
    static const char *const evil[] = {
        "Eve\r\nBcc: victim@example.com", "Eve\nBcc: victim@example.com", "Eve\rBcc: x",
        "esc\x1b[31m", "del\x7f", "bad \xc3\x28 utf8", "soh\x01", "\r\n",
    };
    static const char *const evil_addr[] = {
        "victim@example.com\r\nBcc: x@example.com", "a@example.com\n", "a b@example.com",
        "<a@example.com>", "\xc3\xa4@example.com", "Eve <eve@example.com>", "noat.example.com",
        "a@b@example.com", "",
    };
    /* digest fields: which one gets the bad value and the label the error must name */
    static const struct { int field; const char *label; } dfields[] = {
        { 0, "From name" }, { 1, "Reply-To name" }, { 2, "Subject" }, { 3, "List-Id name" },
        { 4, "X-Campaign" },
    };
    static const struct { int field; const char *label; } pfields[] = {
        { 0, "To name" }, { 1, "Subject" },
    };
    struct mime_digest_opts o;
    struct mime_field x;
    struct mime_personal p;
    struct mime_digest *g;
    struct diag d = DIAG_INIT;
    struct buf out;

    for (size_t f = 0; f < ARRAY_LEN(dfields); f++) {
        for (size_t e = 0; e < ARRAY_LEN(evil); e++) {
            struct diag dd = DIAG_INIT;

            base_opts(&o, &x);
            switch (dfields[f].field) {
            case 0: o.from_name = evil[e]; break;
            case 1: o.reply_to_name = evil[e]; break;
            case 2: o.subject = evil[e]; break;
            case 3: o.list_name = evil[e]; break;
            default: x.value = evil[e]; break;
            }
            g = mime_digest_new(&o, &dd);
            CHECK(g == NULL && dd.code == EX_DATAERR && strstr(dd.msg, dfields[f].label),
                "digest %s with bad value %zu refused, naming the field (%s)",
                dfields[f].label, e, dd.msg);
            mime_digest_free(g);
        }
    }
    for (size_t e = 0; e < ARRAY_LEN(evil_addr); e++) {
        struct diag d1 = DIAG_INIT, d2 = DIAG_INIT;

        base_opts(&o, &x);
        o.from_addr = evil_addr[e];
        g = mime_digest_new(&o, &d1);
        CHECK(g == NULL && d1.code == EX_DATAERR && strstr(d1.msg, "From address"),
            "From address %zu refused (%s)", e, d1.msg);
        mime_digest_free(g);
        base_opts(&o, &x);
        o.reply_to_addr = evil_addr[e];
        g = mime_digest_new(&o, &d2);
        CHECK(g == NULL && d2.code == EX_DATAERR && strstr(d2.msg, "Reply-To address"),
            "Reply-To address %zu refused (%s)", e, d2.msg);
        mime_digest_free(g);
    }
    base_opts(&o, &x);
    x.name = "X-Foo\r\nBcc";
    g = mime_digest_new(&o, &d);
    CHECK(g == NULL && d.code == EX_DATAERR && strstr(d.msg, "extra header name"),
        "extra header name with CRLF refused (%s)", d.msg);
    diag_clear(&d);
    x.name = "Bcc";
    g = mime_digest_new(&o, &d);
    CHECK(g == NULL && d.code == EX_DATAERR, "extra header Bcc refused (%s)", d.msg);
    diag_clear(&d);
    base_opts(&o, &x);
    o.subject = "   ";
    g = mime_digest_new(&o, &d);
    CHECK(g == NULL && d.code == EX_DATAERR && strstr(d.msg, "Subject"), "blank Subject "
        "refused (%s)", d.msg);
    diag_clear(&d);
    base_opts(&o, &x);
    o.list_id = "not an id";
    g = mime_digest_new(&o, &d);
    CHECK(g == NULL && d.code == EX_DATAERR && strstr(d.msg, "List-Id"), "bad List-Id "
        "refused (%s)", d.msg);
    diag_clear(&d);

    base_opts(&o, &x);
    g = mime_digest_new(&o, &d);
    CHECK(g != NULL, "base digest builds (%s)", d.msg);
    if (g == NULL)
        return;
    buf_init(&out, 0);
    for (size_t f = 0; f < ARRAY_LEN(pfields); f++) {
        for (size_t e = 0; e < ARRAY_LEN(evil); e++) {
            struct diag dd = DIAG_INIT;
            int rc;

            base_personal(&p);
            if (pfields[f].field == 0)
                p.to_name = evil[e];
            else
                p.subject = evil[e];
            buf_reset(&out);
            buf_adds(&out, "previous message");
            rc = mime_message_write(g, &p, &out, &dd);
            CHECK(rc == -1 && dd.code == EX_DATAERR && strstr(dd.msg, pfields[f].label) &&
                strcmp(buf_str(&out), "previous message") == 0,
                "message %s with bad value %zu refused, output untouched (%s)",
                pfields[f].label, e, dd.msg);
        }
    }
    for (size_t e = 0; e < ARRAY_LEN(evil_addr); e++) {
        struct diag d1 = DIAG_INIT, d2 = DIAG_INIT;

        base_personal(&p);
        p.to_addr = evil_addr[e];
        buf_reset(&out);
        CHECK(mime_message_write(g, &p, &out, &d1) == -1 && d1.code == EX_DATAERR &&
            strstr(d1.msg, "To address") && out.len == 0, "To address %zu refused (%s)", e,
            d1.msg);
        base_personal(&p);
        p.unsub_mailto = evil_addr[e];
        CHECK(mime_message_write(g, &p, &out, &d2) == -1 && d2.code == EX_DATAERR &&
            strstr(d2.msg, "mailto") && out.len == 0, "mailto address %zu refused (%s)", e,
            d2.msg);
    }
    {
        static const char *const bad_url[] = {
            "https://example.com/u\r\nBcc: x@example.com", "javascript:alert(1)",
            "https://example.com/a b", "https://example.com/<x>", "ftp://example.com/",
            "https://", "https:///path", "https://ex\xc3\xa4mple.com/",
        };

        for (size_t e = 0; e < ARRAY_LEN(bad_url); e++) {
            struct diag d1 = DIAG_INIT;

            base_personal(&p);
            p.unsub_url = bad_url[e];
            CHECK(mime_message_write(g, &p, &out, &d1) == -1 && d1.code == EX_DATAERR &&
                strstr(d1.msg, "List-Unsubscribe URL") && out.len == 0,
                "unsubscribe URL %zu refused (%s)", e, d1.msg);
        }
    }
    buf_fini(&out);
    mime_digest_free(g);
}

/* ---- bodies: quoted-printable, base64, the 7bit choice ------------------------------------ */

static void
check_qp(const char *what, const char *in, size_t n)
{
    struct buf enc, dec, want;
    const char *why = NULL;

    buf_init(&enc, 0);
    buf_init(&dec, 0);
    buf_init(&want, 0);
    buf_add(&dec, "", 0);
    buf_add(&want, "", 0);
    CHECK(mime_body_encode(&enc, MIME_QP, in, n) == 0, "%s: QP encoded", what);
    to_lf(&want, in, n);
    CHECK(all_ascii(buf_str(&enc), enc.len) && crlf_only(buf_str(&enc), enc.len),
        "%s: QP is ASCII with CRLF lines", what);
    CHECK(qp_decode(buf_str(&enc), enc.len, &dec, &why) == 0 && dec.len == want.len &&
        memcmp(buf_str(&dec), buf_str(&want), want.len) == 0,
        "%s: QP decodes back (%s)", what, why ? why : "compare");
    buf_fini(&enc);
    buf_fini(&dec);
    buf_fini(&want);
}

static void
test_qp(void)
{
    static const char *const rows[] = {
        "", "hello\n", "a=b c=d\n", "trailing space   \nnext", "tab\t\n", "end blank ",
        ".dot\n..two\n.\nx.y\n", "From here\nFrom\nFromage\nFrom  \nFrom", "F",
        "crlf\r\nlf\nlone cr\rend\r", "=3D literal and =\n", "ctl \x01\x02 del \x7f\n",
        "caf\xc3\xa9 cr\xc3\xa8me br\xc3\xbbl\xc3\xa9" "e\n",
        "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe3\x83\x86\xe3\x82\xad\n",
        "\n\n\n", " leading blank\n\tleading tab\n",
    };
    struct buf s, enc;
    char what[80];

    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        snprintf(what, sizeof(what), "QP row %zu", i);
        check_qp(what, rows[i], strlen(rows[i]));
    }
    check_qp("QP with a NUL byte", "a\0b\n", 4);
    buf_init(&s, 0);
    buf_init(&enc, 0);
    for (int i = 0; i < 5000; i++)
        buf_addc(&s, (char)('a' + i % 26));
    buf_adds(&s, "\n");
    check_qp("5000-char line", buf_str(&s), s.len);
    buf_reset(&s);
    for (int i = 0; i < 1000; i++)
        buf_adds(&s, "\xc3\xa9");
    check_qp("1000 x e-acute on one line", buf_str(&s), s.len);
    buf_reset(&s);
    for (int i = 0; i < 500; i++)
        buf_adds(&s, i % 40 == 39 ? "\xe6\x97\xa5\n" : "\xe6\x97\xa5");
    check_qp("CJK lines", buf_str(&s), s.len);
    /* multi-byte characters and blanks at every position around the soft-break column */
    for (int k = 0; k < 16; k++) {
        buf_reset(&s);
        for (int i = 0; i < 60 + k; i++)
            buf_addc(&s, 'a');
        buf_adds(&s, "\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80 \xc3\xa9\xe2\x82\xac x\n");
        for (int i = 0; i < 70 + k; i++)
            buf_addc(&s, 'b');
        buf_adds(&s, "  \n");
        for (int i = 0; i < 74 + k % 4; i++)
            buf_addc(&s, 'c');
        buf_adds(&s, "From .x\n");
        snprintf(what, sizeof(what), "soft-break column offset %d", k);
        check_qp(what, buf_str(&s), s.len);
    }
    /* 76 characters and a line break fit one line; 77 do not (RFC 2045 6.7 rule 5) */
    buf_reset(&s);
    for (int i = 0; i < 76; i++)
        buf_addc(&s, 'x');
    buf_adds(&s, "\n");
    mime_body_encode(&enc, MIME_QP, buf_str(&s), s.len);
    CHECK(enc.len == 78 && memcmp(enc.p, s.p, 76) == 0 && memcmp(enc.p + 76, "\r\n", 2) == 0,
        "QP: a 76-character line is kept whole");
    buf_reset(&enc);
    buf_reset(&s);
    for (int i = 0; i < 77; i++)
        buf_addc(&s, 'x');
    buf_adds(&s, "\n");
    mime_body_encode(&enc, MIME_QP, buf_str(&s), s.len);
    CHECK(strstr(buf_str(&enc), "=\r\n") != NULL, "QP: a 77-character line gets a soft break");
    buf_reset(&enc);
    mime_body_encode(&enc, MIME_QP, "From me\n.\n", 10);
    CHECK(strncmp(buf_str(&enc), "=46rom me\r\n=2E\r\n", 16) == 0,
        "QP: \"From \" and \".\" at a line start are encoded");
    buf_fini(&s);
    buf_fini(&enc);
}

static void
test_cte(void)
{
    static const struct { const char *in; enum mime_cte want; } rows[] = {
        { "plain ascii text\nsecond line\n", MIME_7BIT },
        { "", MIME_7BIT },
        { ".hidden\n..two\n", MIME_7BIT },
        { "caf\xc3\xa9\n", MIME_QP },
        { "From the editor\n", MIME_QP },
        { "trailing \n", MIME_QP },
        { "a =_ b\n", MIME_QP },
        { "bell \x07\n", MIME_QP },
        { "0123456789012345678901234567890123456789012345678901234567890123456789"
          "0123456789\n", MIME_QP },
        { "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe3\x83\x86\xe3\x82\xad\xe3\x82"
          "\xb9\xe3\x83\x88\xe3\x81\xa7\xe3\x81\x99\xe3\x80\x82\n", MIME_QP },
    };
    struct buf enc, dec;
    const char *ja = rows[ARRAY_LEN(rows) - 1].in;
    const char *why = NULL;

    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        enum mime_cte c = mime_cte_choose(rows[i].in, strlen(rows[i].in));

        CHECK(c == rows[i].want, "cte row %zu: %s (want %s)", i, mime_cte_name(c),
            mime_cte_name(rows[i].want));
    }
    buf_init(&enc, 0);
    buf_init(&dec, 0);
    buf_add(&dec, "", 0);
    /* short non-Latin text stays QP; long text goes base64 once that saves a line */
    for (int i = 0; i < 20; i++)
        buf_adds(&enc, ja);
    CHECK(mime_cte_choose(buf_str(&enc), enc.len) == MIME_BASE64, "cte: 20 lines of Japanese "
        "go as base64");
    buf_reset(&enc);
    CHECK(mime_body_encode(&enc, MIME_BASE64, ja, strlen(ja)) == 0 &&
        b64_body_decode(buf_str(&enc), enc.len, &dec, &why) == 0 &&
        strcmp(buf_str(&dec), ja) == 0, "base64 body decodes back (%s)", why ? why : "ok");
    buf_reset(&enc);
    buf_reset(&dec);
    {
        struct buf big;

        buf_init(&big, 0);
        for (int i = 0; i < 300; i++)
            buf_adds(&big, i % 30 == 29 ? "\xe6\x97\xa5\r\n" : "\xe6\x97\xa5");
        why = NULL;
        CHECK(mime_body_encode(&enc, MIME_BASE64, buf_str(&big), big.len) == 0 &&
            longest_line(buf_str(&enc), enc.len) <= MIME_B64_LINE &&
            b64_body_decode(buf_str(&enc), enc.len, &dec, &why) == 0 &&
            dec.len == big.len - 10, "long base64 body: 76-char lines, decodes back (%s)",
            why ? why : "ok");
        buf_fini(&big);
    }
    buf_fini(&enc);
    buf_fini(&dec);
}

static void
test_date(void)
{
    struct buf b;

    buf_init(&b, 0);
    mime_date_write(&b, 0);
    CHECK_STR_EQ(buf_str(&b), "Thu, 1 Jan 1970 00:00:00 +0000", "date of time 0");
    buf_reset(&b);
    mime_date_write(&b, 1700000000);
    CHECK_STR_EQ(buf_str(&b), "Tue, 14 Nov 2023 22:13:20 +0000", "date of 1700000000");
    buf_fini(&b);
}

/* ---- whole messages ------------------------------------------------------------------------ */

struct parsed {
    struct buf text, html;      /* decoded, LF line ends */
    char cte[2][24];
    char boundary[80];
    int nparts;
};

static void
parsed_init(struct parsed *m)
{
    memset(m, 0, sizeof(*m));
    buf_init(&m->text, 0);
    buf_init(&m->html, 0);
    buf_add(&m->text, "", 0);
    buf_add(&m->html, "", 0);
}

static void
parsed_fini(struct parsed *m)
{
    buf_fini(&m->text);
    buf_fini(&m->html);
}

/* Fields named name in the header block of msg; the first one goes to at and len. */
static int
field_count(const char *msg, const char *name, const char **at, size_t *len)
{
    const char *end = strstr(msg, "\r\n\r\n"), *p = msg;
    size_t nl = strlen(name);
    int count = 0;

    while (p != NULL && end != NULL && p <= end) {
        if (ascii_strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            if (count++ == 0 && at != NULL) {
                const char *q = strstr(p, "\r\n") + 2;

                while (*q == ' ' || *q == '\t')
                    q = strstr(q, "\r\n") + 2;
                *at = p;
                *len = (size_t)(q - p);
            }
        }
        p = strstr(p, "\r\n");
        if (p != NULL)
            p += 2;
    }
    return count;
}

static int
decode_part(const char *hdr, size_t hn, const char *body, size_t bn, struct parsed *m,
    const char **why)
{
    char *h = xstrndup(hdr, hn);
    const char *cte = strstr(h, "Content-Transfer-Encoding: ");
    bool html = strstr(h, "Content-Type: text/html; charset=utf-8") != NULL;
    bool text = strstr(h, "Content-Type: text/plain; charset=utf-8") != NULL;
    struct buf *out = html ? &m->html : &m->text;
    int rc = -1, k = m->nparts;

    if (cte == NULL || (!html && !text) || k > 1) {
        *why = "part without Content-Type text/plain|html; charset=utf-8 or CTE";
        goto out;
    }
    cte += strlen("Content-Transfer-Encoding: ");
    snprintf(m->cte[k], sizeof(m->cte[k]), "%.*s", (int)strcspn(cte, "\r"), cte);
    if (strcmp(m->cte[k], "7bit") == 0) {
        to_lf(out, body, bn);
        rc = 0;
    } else if (strcmp(m->cte[k], "quoted-printable") == 0) {
        rc = qp_decode(body, bn, out, why);
    } else if (strcmp(m->cte[k], "base64") == 0) {
        rc = b64_body_decode(body, bn, out, why);
    } else {
        *why = "unknown transfer encoding";
    }
    if (rc == 0 && ((k == 0 && !text) || (k == 1 && !html))) {
        *why = "parts are not text/plain then text/html";
        rc = -1;
    }
    m->nparts++;
out:
    free(h);
    return rc;
}

/* Split a multipart/alternative message we wrote and decode both parts. */
static int
parse_message(const char *msg, struct parsed *m, const char **why)
{
    const char *b = strstr(msg, "boundary=\""), *body = strstr(msg, "\r\n\r\n"), *p;
    char delim[96];
    size_t bl, dl;

    if (b == NULL || body == NULL || b > body) {
        *why = "no boundary";
        return -1;
    }
    b += 10;
    bl = strcspn(b, "\"");
    if (bl == 0 || bl > MIME_BOUNDARY_MAX) {
        *why = "boundary empty or longer than 70";
        return -1;
    }
    snprintf(m->boundary, sizeof(m->boundary), "%.*s", (int)bl, b);
    dl = (size_t)snprintf(delim, sizeof(delim), "\r\n--%s", m->boundary);
    p = body + 2;           /* the CRLF before the first delimiter is the header's end */
    for (;;) {
        const char *ph, *pb, *next;

        if (strncmp(p, delim, dl) != 0) {
            *why = "delimiter line expected";
            return -1;
        }
        p += dl;
        if (strcmp(p, "--\r\n") == 0)
            break;
        if (strncmp(p, "\r\n", 2) != 0) {
            *why = "junk after a delimiter";
            return -1;
        }
        ph = p + 2;
        pb = strstr(ph, "\r\n\r\n");
        next = strstr(ph, delim);
        if (pb == NULL || next == NULL || pb > next) {
            *why = "part without header/body";
            return -1;
        }
        if (decode_part(ph, (size_t)(pb - ph), pb + 4, (size_t)(next - pb - 4), m, why) == -1)
            return -1;
        p = next;
    }
    return m->nparts == 2 ? 0 : (*why = "not two parts", -1);
}

/* the shape of a whole message; NULL when fine */
static const char *
message_shape(const char *msg, size_t n, bool https)
{
    static const char *const once[] = { "Date", "From", "To", "Subject", "Message-ID",
        "MIME-Version" };
    const char *at;
    size_t len;

    if (!crlf_only(msg, n))
        return "a bare CR or LF";
    if (!all_ascii(msg, n))
        return "8-bit bytes";
    if (longest_line(msg, n) > MIME_LINE_HARD)
        return "a line longer than 998";
    for (size_t i = 0; i < ARRAY_LEN(once); i++)
        if (field_count(msg, once[i], NULL, NULL) != 1)
            return "a required field is missing or repeated";
    if (field_count(msg, "Bcc", NULL, NULL) != 0 || field_count(msg, "Return-Path", NULL, NULL))
        return "Bcc or Return-Path present";
    if (field_count(msg, "MIME-Version", &at, &len) != 1 ||
        strncmp(at, "MIME-Version: 1.0\r\n", len) != 0)
        return "MIME-Version is not 1.0";
    if (field_count(msg, "List-Unsubscribe-Post", &at, &len) != (https ? 1 : 0))
        return "List-Unsubscribe-Post present without https (or missing with it)";
    if (https && strncmp(at, "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n", len) != 0)
        return "List-Unsubscribe-Post value";
    return NULL;
}

/* Split a template with {{0}}..{{9}} markers into segments (slots) and shared text. */
static size_t
split_template(const char *t, struct mime_seg *segs, size_t max)
{
    size_t n = 0;
    const char *p = t;

    while (*p && n < max) {
        const char *m = strstr(p, "{{");

        if (m == NULL) {
            segs[n++] = (struct mime_seg){ MIME_SHARED, p, strlen(p) };
            break;
        }
        if (m > p)
            segs[n++] = (struct mime_seg){ MIME_SHARED, p, (size_t)(m - p) };
        if (n < max)
            segs[n++] = (struct mime_seg){ m[2] - '0', NULL, 0 };
        p = m + 5;
    }
    return n;
}

/* the text a template stands for with the slot values filled in */
static void
expand(struct buf *out, const struct mime_seg *segs, size_t n, const struct mime_str *slots)
{
    buf_reset(out);
    buf_add(out, "", 0);
    for (size_t i = 0; i < n; i++) {
        if (segs[i].slot >= 0)
            buf_add(out, slots[segs[i].slot].p, slots[segs[i].slot].len);
        else
            buf_add(out, segs[i].p, segs[i].len);
    }
}

static const char msg_text[] =
    "Hello {{0}},\n\nThis week:\n- one\n- two=three\n\nFrom the editor: thanks.\n.\n"
    "A line with trailing blanks   \n"
    "https://example.com/a/very/long/path/that/keeps/going/and/going?x=1&y=2&z=3&w=4&q=5\n"
    "Unsubscribe: {{2}}\n";
static const char msg_html[] =
    "<!DOCTYPE html><html lang=\"en\"><body><p>Hello {{1}}</p><table role=\"presentation\">"
    "<tr><td style=\"font-family:Arial,sans-serif;font-size:16px;color:#222222\">"
    "Caf\xc3\xa9 story \xe2\x80\x94 more &amp; more</td></tr></table>"
    "<p><a href=\"{{3}}\">Unsubscribe</a></p></body></html>\n";

static void
test_messages(void)
{
    static const char *const names[] = {
        "Alice", "Zo\xc3\xab", "", "Bob \n trailing", ".dot", "From me", "x\r\ny\rz",
        "\xe6\x97\xa5\xe6\x9c\xac \xe5\xa4\xaa\xe9\x83\x8e", "=_gz boundary-like --=_",
        " spaced ", "\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    };
    struct mime_seg ts[16], hs[16], whole_t = { 0, NULL, 0 }, whole_h = { 1, NULL, 0 };
    struct mime_digest_opts o;
    struct mime_field x;
    struct mime_digest *g, *g2;
    struct diag d = DIAG_INIT;
    struct buf out, want, full_t, full_h;
    size_t nt = split_template(msg_text, ts, ARRAY_LEN(ts));
    size_t nh = split_template(msg_html, hs, ARRAY_LEN(hs));
    char ids[200][96];
    int nids = 0, dup = 0;
    char bounds[16][80];
    size_t nbounds = 0;

    base_opts(&o, &x);
    o.text = ts;
    o.ntext = nt;
    o.html = hs;
    o.nhtml = nh;
    g = mime_digest_new(&o, &d);
    o.text = &whole_t;
    o.ntext = 1;
    o.html = &whole_h;
    o.nhtml = 1;
    g2 = mime_digest_new(&o, &d);
    CHECK(g != NULL && g2 != NULL, "segmented and whole-body digests build (%s)", d.msg);
    if (g == NULL || g2 == NULL)
        goto done;
    buf_init(&out, 0);
    buf_init(&want, 0);
    buf_init(&full_t, 0);
    buf_init(&full_h, 0);
    for (size_t i = 0; i < ARRAY_LEN(names); i++) {
        struct mime_str slots[4] = {
            { names[i], strlen(names[i]) }, { names[i], strlen(names[i]) },
            { "https://example.com/u/t0k3n", 27 }, { "https://example.com/u/t0k3n", 27 },
        };
        struct mime_str whole[2];
        struct mime_personal p;
        struct parsed m;
        char cte_seg[2][24];
        const char *why = NULL, *shape;

        base_personal(&p);
        p.slots = slots;
        p.nslots = 4;
        p.to_name = i % 2 ? "Zo\xc3\xab Example" : "Alice";
        p.unsub_url = i % 3 == 2 ? "http://example.com/u/plain" : "https://example.com/u/t0k3n";
        buf_reset(&out);
        CHECK(mime_message_write(g, &p, &out, &d) == 0, "message %zu built (%s)", i, d.msg);
        shape = message_shape(buf_str(&out), out.len, i % 3 != 2);
        CHECK(shape == NULL, "message %zu shape: %s", i, shape ? shape : "ok");
        parsed_init(&m);
        CHECK(parse_message(buf_str(&out), &m, &why) == 0, "message %zu parses (%s)", i,
            why ? why : "ok");
        expand(&full_t, ts, nt, slots);
        expand(&full_h, hs, nh, slots);
        buf_reset(&want);
        buf_add(&want, "", 0);
        to_lf(&want, buf_str(&full_t), full_t.len);
        CHECK_STR_EQ(buf_str(&m.text), buf_str(&want), "message %zu: text decodes to the "
            "template with the personal parts (%s)", i, m.cte[0]);
        buf_reset(&want);
        buf_add(&want, "", 0);
        to_lf(&want, buf_str(&full_h), full_h.len);
        CHECK_STR_EQ(buf_str(&m.html), buf_str(&want), "message %zu: html decodes back (%s)",
            i, m.cte[1]);
        memcpy(cte_seg, m.cte, sizeof(cte_seg));
        CHECK(field_count(buf_str(&out), "Content-Type", NULL, NULL) == 1,
            "message %zu: one top-level Content-Type", i);
        {
            /* the boundary occurs only in the Content-Type and the 3 delimiter lines */
            int occ = 0;

            for (const char *q = buf_str(&out); (q = strstr(q, m.boundary)) != NULL; q++)
                occ++;
            CHECK(occ == 4, "message %zu: boundary occurs only as delimiter (%d times)", i,
                occ);
            /* issue 9: one boundary per message, never shared by two recipients */
            if (nbounds < ARRAY_LEN(bounds))
                snprintf(bounds[nbounds++], sizeof(bounds[0]), "%s", m.boundary);
        }
        {
            const char *at;
            size_t len;

            if (field_count(buf_str(&out), "Message-ID", &at, &len) == 1 && nids < 200)
                snprintf(ids[nids++], sizeof(ids[0]), "%.*s", (int)len - 2, at);
        }
        parsed_fini(&m);

        /* the same texts as whole personal bodies decode the same */
        whole[0] = (struct mime_str){ full_t.p, full_t.len };
        whole[1] = (struct mime_str){ full_h.p, full_h.len };
        p.slots = whole;
        p.nslots = 2;
        buf_reset(&out);
        parsed_init(&m);
        why = NULL;
        CHECK(mime_message_write(g2, &p, &out, &d) == 0 &&
            parse_message(buf_str(&out), &m, &why) == 0, "message %zu whole-body form (%s)",
            i, why ? why : d.msg);
        buf_reset(&want);
        buf_add(&want, "", 0);
        to_lf(&want, buf_str(&full_t), full_t.len);
        CHECK_STR_EQ(buf_str(&m.text), buf_str(&want), "message %zu whole-body text equal", i);
        /* the encodings are chosen the same way whatever the template's shape (issue 9) */
        CHECK(strcmp(m.cte[0], cte_seg[0]) == 0 && strcmp(m.cte[1], cte_seg[1]) == 0,
            "message %zu: whole-body form chose %s/%s like the segmented one (%s/%s)", i,
            m.cte[0], m.cte[1], cte_seg[0], cte_seg[1]);
        parsed_fini(&m);
    }
    {
        int same = 0;

        for (size_t a = 0; a < nbounds; a++)
            for (size_t b = a + 1; b < nbounds; b++)
                same += strcmp(bounds[a], bounds[b]) == 0;
        CHECK(nbounds == ARRAY_LEN(names) && same == 0,
            "%zu messages of one digest have %zu different boundaries", nbounds, nbounds);
    }
    for (int i = 0; nids < 200; i++) {
        struct mime_str slots[4] = { { "A", 1 }, { "A", 1 }, { "u", 1 }, { "u", 1 } };
        struct mime_personal p;
        const char *at;
        size_t len;

        base_personal(&p);
        p.slots = slots;
        p.nslots = 4;
        buf_reset(&out);
        if (mime_message_write(g, &p, &out, &d) == 0 &&
            field_count(buf_str(&out), "Message-ID", &at, &len) == 1)
            snprintf(ids[nids], sizeof(ids[0]), "%.*s", (int)len - 2, at);
        nids++;
        (void)i;
    }
    for (int i = 0; i < nids; i++)
        for (int j = i + 1; j < nids; j++)
            dup += strcmp(ids[i], ids[j]) == 0;
    CHECK(dup == 0 && strstr(ids[0], "@example.com>") != NULL,
        "200 Message-IDs are distinct and at the From domain (%s)", ids[0]);
    {
        struct mime_personal p;
        struct mime_str slots[4] = { { NULL, 0 }, { "A", 1 }, { "bad \xe2\x82", 6 },
            { "u", 1 } };
        static const struct mime_seg bad_seg[] = { { MIME_SHARED, "caf\xc3", 4 } };

        base_personal(&p);
        p.slots = slots;
        p.nslots = 4;
        diag_clear(&d);
        CHECK(mime_message_write(g, &p, &out, &d) == -1 && d.code == EX_DATAERR &&
            strstr(d.msg, "UTF-8"), "personal text that is not UTF-8 is refused (%s)", d.msg);
        slots[2] = (struct mime_str){ "ok", 2 };
        diag_clear(&d);
        buf_reset(&out);
        CHECK(mime_message_write(g, &p, &out, &d) == 0, "an empty personal text may be NULL");
        base_opts(&o, &x);
        o.text = bad_seg;
        o.ntext = 1;
        diag_clear(&d);
        CHECK(mime_digest_new(&o, &d) == NULL && d.code == EX_DATAERR && strstr(d.msg, "UTF-8"),
            "a shared segment that is not UTF-8 is refused (%s)", d.msg);
    }
    {
        struct mime_personal p;
        struct mime_str slots[1] = { { "A", 1 } };

        base_personal(&p);
        p.slots = slots;
        p.nslots = 1;
        diag_clear(&d);
        CHECK(mime_message_write(g, &p, &out, &d) == -1 && d.code == EX_SOFTWARE,
            "too few personal slots: EX_SOFTWARE (%s)", d.msg);
    }
    {
        struct mime_personal p;
        struct mime_str slots[4] = { { "A", 1 }, { "A", 1 }, { "u", 1 }, { "u", 1 } };
        struct buf small;

        base_personal(&p);
        p.slots = slots;
        p.nslots = 4;
        buf_init(&small, 300);
        diag_clear(&d);
        CHECK(mime_message_write(g, &p, &small, &d) == -1 && d.code == EX_DATAERR &&
            small.len == 0, "a message over the buffer maximum fails cleanly (%s)", d.msg);
        buf_fini(&small);
    }
    buf_fini(&out);
    buf_fini(&want);
    buf_fini(&full_t);
    buf_fini(&full_h);
done:
    mime_digest_free(g);
    mime_digest_free(g2);
}

/* The per-message choice of 7bit / QP for the same shared text. */
static void
test_message_cte(void)
{
    static const struct { const char *name; const char *want; } rows[] = {
        { "Alice", "7bit" }, { "Zo\xc3\xab", "quoted-printable" },
        { "x =_ y", "quoted-printable" }, { "trailing ", "7bit" },
        { "A\nFrom here", "quoted-printable" }, { "A\n.", "7bit" },
        { "\n.", "quoted-printable" },
        /* "Hello " + 80 or 69 characters + "!": 87 (too long) or exactly 76 */
        { "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
          "quoted-printable" },
        { "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "7bit" },
    };
    static const struct mime_seg t[] = {
        { MIME_SHARED, "Hello ", 6 }, { 0, NULL, 0 }, { MIME_SHARED, "!\nSee you.\n", 11 },
    };
    struct mime_digest_opts o;
    struct mime_field x;
    struct mime_digest *g;
    struct diag d = DIAG_INIT;
    struct buf out;

    base_opts(&o, &x);
    o.text = t;
    o.ntext = ARRAY_LEN(t);
    o.html = NULL;
    g = mime_digest_new(&o, &d);
    CHECK(g != NULL, "text-only digest builds (%s)", d.msg);
    if (g == NULL)
        return;
    buf_init(&out, 0);
    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        struct mime_str s = { rows[i].name, strlen(rows[i].name) };
        struct mime_personal p;
        const char *at, *why = NULL;
        size_t len;
        char want[80];
        struct buf dec, exp;

        base_personal(&p);
        p.slots = &s;
        p.nslots = 1;
        buf_reset(&out);
        CHECK(mime_message_write(g, &p, &out, &d) == 0, "text-only message %zu (%s)", i, d.msg);
        snprintf(want, sizeof(want), "Content-Transfer-Encoding: %s\r\n", rows[i].want);
        CHECK(field_count(buf_str(&out), "Content-Transfer-Encoding", &at, &len) == 1 &&
            strncmp(at, want, len) == 0 && len == strlen(want),
            "text-only message %zu uses %s", i, rows[i].want);
        CHECK(field_count(buf_str(&out), "Content-Type", &at, &len) == 1 &&
            strncmp(at, "Content-Type: text/plain; charset=utf-8\r\n", len) == 0,
            "text-only message %zu is text/plain", i);
        buf_init(&dec, 0);
        buf_init(&exp, 0);
        buf_add(&dec, "", 0);
        buf_add(&exp, "", 0);
        buf_adds(&exp, "Hello ");
        to_lf(&exp, rows[i].name, strlen(rows[i].name));
        buf_adds(&exp, "!\nSee you.\n");
        {
            const char *body = strstr(buf_str(&out), "\r\n\r\n") + 4;
            size_t bn = out.len - (size_t)(body - out.p);
            int rc = strcmp(rows[i].want, "7bit") == 0 ? (to_lf(&dec, body, bn), 0) :
                qp_decode(body, bn, &dec, &why);

            CHECK(rc == 0 && strcmp(buf_str(&dec), buf_str(&exp)) == 0,
                "text-only message %zu decodes back (%s)", i, why ? why : "compare");
        }
        buf_fini(&dec);
        buf_fini(&exp);
    }
    buf_fini(&out);
    mime_digest_free(g);
}

/* ---- .eml files for tests/integration/check_eml.py ----------------------------------------- */

struct ecase {
    const char *tag;
    const char *from_name, *from_addr, *reply_name, *reply_addr;
    const char *subject, *list_name, *list_id;
    const char *xname, *xvalue;
    const char *to_name, *to_addr, *url, *mailto;
    const char *text, *html;    /* {{0}} name, {{1}} URL; html gets them escaped as {{2}} {{3}} */
};

static void
json_str(FILE *f, const char *s, size_t n)
{
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void
json_opt(FILE *f, const char *key, const char *s, bool norm)
{
    struct buf b;

    fprintf(f, "  \"%s\": ", key);
    if (s == NULL) {
        fputs("null,\n", f);
        return;
    }
    buf_init(&b, 0);
    if (norm)
        norm_ws(&b, s);
    else
        buf_adds(&b, s);
    json_str(f, buf_str(&b), b.len);
    fputs(",\n", f);
    buf_fini(&b);
}

static void
html_escape(struct buf *out, const char *s)
{
    buf_reset(out);
    buf_add(out, "", 0);
    for (; *s; s++) {
        if (*s == '&')
            buf_adds(out, "&amp;");
        else if (*s == '<')
            buf_adds(out, "&lt;");
        else if (*s == '>')
            buf_adds(out, "&gt;");
        else if (*s == '"')
            buf_adds(out, "&quot;");
        else
            buf_addc(out, *s);
    }
}

static int
write_case(const char *dir, int num, const struct ecase *c)
{
    struct mime_seg ts[16], hs[16];
    struct mime_field x = { c->xname, c->xvalue };
    struct mime_digest_opts o;
    struct mime_personal p;
    struct mime_digest *g = NULL;
    struct diag d = DIAG_INIT;
    struct buf out, hn, hu, txt, htm, tmp, path;
    struct mime_str slots[4];
    size_t nt = split_template(c->text, ts, ARRAY_LEN(ts));
    size_t nh = c->html ? split_template(c->html, hs, ARRAY_LEN(hs)) : 0;
    FILE *f = NULL;
    int rc = -1;

    buf_init(&out, 0);
    buf_init(&hn, 0);
    buf_init(&hu, 0);
    buf_init(&txt, 0);
    buf_init(&htm, 0);
    buf_init(&tmp, 0);
    buf_init(&path, 0);
    memset(&o, 0, sizeof(o));
    o.from_name = c->from_name;
    o.from_addr = c->from_addr;
    o.reply_to_name = c->reply_name;
    o.reply_to_addr = c->reply_addr;
    o.subject = c->subject;
    o.list_name = c->list_name;
    o.list_id = c->list_id;
    o.extra = c->xname ? &x : NULL;
    o.nextra = c->xname ? 1 : 0;
    o.text = ts;
    o.ntext = nt;
    o.html = c->html ? hs : NULL;
    o.nhtml = nh;
    if ((g = mime_digest_new(&o, &d)) == NULL)
        goto out;
    html_escape(&hn, c->to_name ? c->to_name : "");
    html_escape(&hu, c->url ? c->url : "");
    slots[0] = (struct mime_str){ c->to_name ? c->to_name : "",
        c->to_name ? strlen(c->to_name) : 0 };
    slots[1] = (struct mime_str){ c->url ? c->url : "", c->url ? strlen(c->url) : 0 };
    slots[2] = (struct mime_str){ hn.p, hn.len };
    slots[3] = (struct mime_str){ hu.p, hu.len };
    memset(&p, 0, sizeof(p));
    p.to_name = c->to_name;
    p.to_addr = c->to_addr;
    p.unsub_url = c->url;
    p.unsub_mailto = c->mailto;
    p.slots = slots;
    p.nslots = 4;
    if (mime_message_write(g, &p, &out, &d) == -1)
        goto out;

    buf_addf(&path, "%s/%02d-%s.eml", dir, num, c->tag);
    if ((f = fopen(buf_str(&path), "wb")) == NULL || fwrite(out.p, 1, out.len, f) != out.len ||
        fclose(f) != 0) {
        f = NULL;
        snprintf(d.msg, sizeof(d.msg), "%s: %s", buf_str(&path), strerror(errno));
        goto out;
    }
    buf_reset(&path);
    buf_addf(&path, "%s/%02d-%s.json", dir, num, c->tag);
    if ((f = fopen(buf_str(&path), "w")) == NULL) {
        snprintf(d.msg, sizeof(d.msg), "%s: %s", buf_str(&path), strerror(errno));
        goto out;
    }
    fputs("{\n", f);
    json_opt(f, "subject", c->subject, true);
    json_opt(f, "from_name", c->from_name ? c->from_name : "", true);
    json_opt(f, "from_addr", c->from_addr, false);
    json_opt(f, "to_name", c->to_name ? c->to_name : "", true);
    json_opt(f, "to_addr", c->to_addr, false);
    json_opt(f, "reply_to_name", c->reply_addr ? (c->reply_name ? c->reply_name : "") : NULL,
        true);
    json_opt(f, "reply_to_addr", c->reply_addr, false);
    if (c->list_id != NULL) {
        norm_ws(&tmp, c->list_name ? c->list_name : "");
        buf_addf(&tmp, "%s<%s>", tmp.len ? " " : "", c->list_id);
        json_opt(f, "list_id", buf_str(&tmp), false);
    } else {
        json_opt(f, "list_id", NULL, false);
    }
    json_opt(f, "unsub_url", c->url, false);
    json_opt(f, "unsub_mailto", c->mailto, false);
    json_opt(f, "extra_name", c->xname, false);
    json_opt(f, "extra_value", c->xvalue, true);
    json_opt(f, "msgid_domain", strrchr(c->from_addr, '@') + 1, false);
    expand(&tmp, ts, nt, slots);
    to_lf(&txt, buf_str(&tmp), tmp.len);
    if (c->html) {
        expand(&tmp, hs, nh, slots);
        to_lf(&htm, buf_str(&tmp), tmp.len);
    }
    json_opt(f, "html", c->html ? buf_str(&htm) : NULL, false);
    fputs("  \"text\": ", f);
    json_str(f, buf_str(&txt), txt.len);
    fputs("\n}\n", f);
    if (fclose(f) != 0) {
        f = NULL;
        goto out;
    }
    f = NULL;
    rc = 0;
out:
    if (f != NULL)
        fclose(f);
    CHECK(rc == 0, "MIME_OUT case %d (%s) written (%s)", num, c->tag, d.msg);
    mime_digest_free(g);
    buf_fini(&out);
    buf_fini(&hn);
    buf_fini(&hu);
    buf_fini(&txt);
    buf_fini(&htm);
    buf_fini(&tmp);
    buf_fini(&path);
    return rc;
}

static void
write_eml_cases(const char *dir)
{
    static const char ascii_t[] = "Hi {{0}},\n\nThis is the weekly digest.\n\n- Story one\n"
        "- Story two\n\nUnsubscribe: {{1}}\n";
    static const char ascii_h[] = "<p>Hi {{2}},</p><p>This is the weekly digest.</p>"
        "<p><a href=\"{{3}}\">Unsubscribe</a></p>\n";
    static const char fr_t[] = "Bonjour {{0}},\n\nVoici le r\xc3\xa9sum\xc3\xa9 de la semaine : "
        "l'\xc3\xa9t\xc3\xa9 \xc3\xa0 Paris, les caf\xc3\xa9s et la cr\xc3\xa8me "
        "br\xc3\xbbl\xc3\xa9" "e.\n"
        "Se d\xc3\xa9sabonner : {{1}}\n";
    static const char fr_h[] = "<p>Bonjour {{2}},</p><p>Voici le r\xc3\xa9sum\xc3\xa9 de la "
        "semaine&nbsp;: l'\xc3\xa9t\xc3\xa9 \xc3\xa0 Paris.</p><a href=\"{{3}}\">Se "
        "d\xc3\xa9sabonner</a>\n";
    static const char de_t[] = "Gr\xc3\xbc\xc3\x9f" "e {{0}},\n\nf\xc3\xbcnf Geschichten aus "
        "Z\xc3\xbcrich \xe2\x80\x94 \xc3\x84pfel, \xc3\x96l und Stra\xc3\x9f" "en.\n{{1}}\n";
    static const char emoji_t[] = "\xf0\x9f\x9a\x80 Launch week {{0}} \xf0\x9f\x8e\x89\n"
        "\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80"
        "\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80"
        "\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80"
        "\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80"
        "\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80\n{{1}}\n";
    static const char bnd_t[] = "--=_gz0123456789abcdef0123456789abcdef\n=_gz\n--\n"
        "--=_gz0123456789abcdef0123456789abcdef--\n{{0}} {{1}}\n";
    static const char bnd_h[] = "<pre>\n--=_gz0123456789abcdef0123456789abcdef\n--\n</pre>\n";
    static const char dots_t[] = ".\n.hidden\n..two\nFrom here on\nFrom\nFromage\n"
        "trailing spaces   \ntrailing tab\t\n  leading\n{{0}}\n.{{1}}\n";
    static const char eol_t[] = "crlf line\r\nlf line\nlone cr line\rmixed\r\n\nend {{0}}\r{{1}}";
    static const char eol_h[] = "<p>\r\ncrlf</p>\n<p>lf</p>\r<p>cr</p>";
    struct buf ja, long_s, long_h, long_t;
    int num = 0;

    buf_init(&ja, 0);
    buf_init(&long_s, 0);
    buf_init(&long_h, 0);
    buf_init(&long_t, 0);
    buf_adds(&ja, "{{0}}\xe3\x81\x95\xe3\x82\x93\xe3\x80\x81\xe3\x81\x93\xe3\x82\x93\xe3\x81"
        "\xab\xe3\x81\xa1\xe3\x81\xaf\xe3\x80\x82\n");
    for (int i = 0; i < 40; i++)
        buf_adds(&ja, "\xe4\xbb\x8a\xe9\x80\xb1\xe3\x81\xae\xe3\x83\x8b\xe3\x83\xa5\xe3\x83"
            "\xbc\xe3\x82\xb9\xe3\x81\xbe\xe3\x81\xa8\xe3\x82\x81\xe3\x81\xa7\xe3\x81\x99"
            "\xe3\x80\x82\xe6\x9d\xb1\xe4\xba\xac\xe3\x81\xa8\xe5\xa4\xa7\xe9\x98\xaa\xe3\x81"
            "\xae\xe8\xa9\xb1\xe9\xa1\x8c\xe3\x80\x82\n");
    buf_adds(&ja, "{{1}}\n");
    for (int i = 0; long_s.len < 300; i++)
        buf_addf(&long_s, "%sword%d", i ? " " : "", i);
    buf_adds(&long_s, " supercalifragilisticexpialidocious-supercalifragilisticexpialidocious-"
        "supercalifragilisticexpialidocious-end");
    buf_adds(&long_h, "<html><body>");
    for (int i = 0; long_h.len < 5000; i++)
        buf_addf(&long_h, "<td style=\"padding:0;color:#222\">cell %d &amp; caf\xc3\xa9</td>", i);
    buf_adds(&long_h, "<a href=\"{{3}}\">{{2}}</a></body></html>");
    buf_adds(&long_t, "{{0}}: ");
    for (int i = 0; i < 150; i++)
        buf_adds(&long_t, "averyveryverylongwordwithoutanyspaces");
    buf_adds(&long_t, "\n{{1}}\n");
    {
        const struct ecase cases[] = {
            { "ascii", "Gazette", "news@example.com", NULL, NULL, "Weekly digest 48",
              "Gazette Weekly", "weekly.example.com", NULL, NULL, "Alice Example",
              "alice@example.org", "https://news.example.com/u/tok01",
              "unsub+tok01@example.com", ascii_t, ascii_h },
            { "french", "\xc3\x89quipe Gazette", "news@example.fr", NULL, NULL,
              "R\xc3\xa9sum\xc3\xa9 de la semaine : l'\xc3\xa9t\xc3\xa9 \xc3\xa0 Paris",
              "La Gazette \xc3\xa0 Paris", "hebdo.example.fr", NULL, NULL,
              "H\xc3\xa9l\xc3\xa8ne Dupont", "helene@example.fr",
              "https://news.example.fr/u/tok02", NULL, fr_t, fr_h },
            { "german", "Z\xc3\xbcrcher Zeitung", "news@example.ch", "Redaktion, Z\xc3\xbcrich",
              "redaktion@example.ch",
              "Gr\xc3\xbc\xc3\x9f" "e aus Z\xc3\xbcrich \xe2\x80\x94 5 Geschichten", NULL,
              "zh.example.ch", NULL, NULL, "M\xc3\xbcller, Hans", "hans@example.ch",
              "https://news.example.ch/u/tok03", "abmelden@example.ch", de_t, ascii_h },
            { "japanese", "\xe3\x82\xac\xe3\x82\xbc\xe3\x83\x83\xe3\x83\x88",
              "news@example.jp", NULL, NULL,
              "\xe4\xbb\x8a\xe9\x80\xb1\xe3\x81\xae\xe3\x83\x8b\xe3\x83\xa5\xe3\x83\xbc\xe3\x82"
              "\xb9\xe3\x81\xbe\xe3\x81\xa8\xe3\x82\x81\xef\xbc\x9a\xe6\x9d\xb1\xe4\xba\xac\xe3"
              "\x81\xa8\xe3\x82\xb7\xe3\x83\xaa\xe3\x82\xb3\xe3\x83\xb3\xe3\x83\x90\xe3\x83\xac"
              "\xe3\x83\xbc\xe3\x81\xae\xe6\x9c\x80\xe6\x96\xb0\xe5\x8b\x95\xe5\x90\x91",
              "\xe9\x80\xb1\xe5\x88\x8a", "weekly.example.jp", NULL, NULL,
              "\xe5\xb1\xb1\xe7\x94\xb0 \xe5\xa4\xaa\xe9\x83\x8e", "yamada@example.jp",
              "https://news.example.jp/u/tok04", NULL, buf_str(&ja), buf_str(&ja) },
            { "emoji", "\xf0\x9f\x9a\x80 Rocket Team", "rocket@example.com", NULL, NULL,
              "\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80 Launch week \xf0\x9f\x8e\x89 \xe2\x80\x94 "
              "\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80"
              "\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80"
              "\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80"
              "\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80",
              "\xf0\x9f\x9a\x80 Launches", "launch.example.com", "X-Campaign",
              "launch \xf0\x9f\x9a\x80 2026", "\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x9a\x80 Ada",
              "ada@example.com", "https://example.com/u/tok05?list=launch&id=5",
              "unsub@example.com", emoji_t, ascii_h },
            { "long", "Gazette", "news@example.com", NULL, NULL, buf_str(&long_s),
              "A list with a rather long description that goes on, and on, and on",
              "long.example.com", "X-Campaign", buf_str(&long_s),
              "The Very Long Name Of A Subscriber, Who Has A Name Longer Than A Line Is",
              "long.name@example.com",
              "https://news.example.com/unsubscribe/one-click/a-rather-long-opaque-token-"
              "0123456789abcdef0123456789abcdef0123456789abcdef",
              "unsubscribe-with-a-long-local-part@lists.example.com", buf_str(&long_t),
              buf_str(&long_h) },
            { "boundary", "Gazette", "news@example.com", NULL, NULL, "Boundary-like content",
              NULL, NULL, NULL, NULL, "=_gz Bob --", "bob@example.com",
              "https://example.com/u/--=_gz", NULL, bnd_t, bnd_h },
            { "dots", "Gazette", "news@example.com", NULL, NULL, "Dots, From and blanks",
              NULL, NULL, NULL, NULL, "From Me", "from@example.com",
              "http://example.com/u/plain", "unsub@example.com", dots_t, ascii_h },
            { "eol", "Gazette", "news@example.com", NULL, NULL, "Line ends", NULL, NULL,
              NULL, NULL, "Eve", "eve@example.com", "https://example.com/u/tok09", NULL,
              eol_t, eol_h },
            { "specials", "Gazette: \"The\" List", "news@example.com", "Foo Bar, France",
              "foo@example.com", "=?utf-8?q?not_encoded?= (specials) \"quoted\"",
              "John Q. Public's list", "jqp.example.com", NULL, NULL,
              "Quote \"JJ\" O'Brien \\ Back", "jj@example.com", NULL,
              "unsub@example.com", ascii_t, ascii_h },
            { "textonly", "Gazette", "news@example.com", NULL, NULL,
              "Text only \xe2\x80\x94 caf\xc3\xa9", NULL, NULL, NULL, NULL, "Zo\xc3\xab",
              "zoe@example.com", "https://example.com/u/tok11", NULL, fr_t, NULL },
        };

        for (size_t i = 0; i < ARRAY_LEN(cases); i++)
            write_case(dir, ++num, &cases[i]);
    }
    buf_fini(&ja);
    buf_fini(&long_s);
    buf_fini(&long_h);
    buf_fini(&long_t);
}

/* ---- throughput ------------------------------------------------------------------------------ */

static void
bench(void)
{
    struct buf text, html, out;
    struct mime_seg ts[8], hs[8];
    struct mime_digest_opts o;
    struct mime_field x;
    struct mime_digest *g;
    struct diag d = DIAG_INIT;
    struct timespec t0, t1;
    const char *env = getenv("MIME_BENCH_N");
    long n = 20000;
    size_t nt, nh, bytes = 0;
    int fails = 0;
    double secs;

    if (env != NULL && parse_long(env, 1, 10000000, &n) == -1)
        n = 20000;
    buf_init(&text, 0);
    buf_init(&html, 0);
    buf_init(&out, 0);
    buf_adds(&text, "Hello {{0}},\n\n");
    for (int i = 0; text.len < 8000; i++)
        buf_addf(&text, "%d. A story about caf\xc3\xa9s, markets and the weather in town; read "
            "it at\n   https://news.example.com/2026/11/story-%d?ref=digest&utm=x\n\n", i, i);
    buf_adds(&text, "Unsubscribe: {{1}}\n");
    buf_adds(&html, "<!DOCTYPE html><html lang=\"en\"><body><p>Hello {{2}},</p><table "
        "role=\"presentation\" width=\"600\">");
    for (int i = 0; html.len < 12000; i++)
        buf_addf(&html, "<tr><td style=\"font-family:Arial,sans-serif;font-size:16px;"
            "color:#222222;padding:8px\"><a href=\"https://news.example.com/2026/11/story-%d\">"
            "Story %d \xe2\x80\x94 caf\xc3\xa9s</a></td></tr>\n", i, i);
    buf_adds(&html, "</table><p><a href=\"{{3}}\">Unsubscribe</a></p></body></html>\n");
    nt = split_template(buf_str(&text), ts, ARRAY_LEN(ts));
    nh = split_template(buf_str(&html), hs, ARRAY_LEN(hs));
    base_opts(&o, &x);
    o.text = ts;
    o.ntext = nt;
    o.html = hs;
    o.nhtml = nh;
    g = mime_digest_new(&o, &d);
    CHECK(g != NULL, "bench digest builds (%s)", d.msg);
    if (g == NULL)
        goto out;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < n; i++) {
        char name[40], url[80];
        struct mime_str slots[4];
        struct mime_personal p;

        snprintf(name, sizeof(name), i % 4 ? "Subscriber %ld" : "Zo\xc3\xab %ld", i);
        snprintf(url, sizeof(url), "https://news.example.com/u/%08lx%08lx", i * 7919, i);
        slots[0] = slots[2] = (struct mime_str){ name, strlen(name) };
        slots[1] = slots[3] = (struct mime_str){ url, strlen(url) };
        memset(&p, 0, sizeof(p));
        p.to_name = name;
        p.to_addr = "subscriber@example.org";
        p.unsub_url = url;
        p.unsub_mailto = "unsub@example.com";
        p.slots = slots;
        p.nslots = 4;
        buf_reset(&out);
        fails += mime_message_write(g, &p, &out, &d) == -1;
        bytes += out.len;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    CHECK(fails == 0, "bench: %ld personalised messages built", n);
    printf("# mime bench: %ld messages, digest %zu+%zu bytes, %zu bytes/message, %.3f s: "
        "%.0f messages/s%s\n", n, text.len, html.len, bytes / (size_t)n, secs,
        secs > 0 ? (double)n / secs : 0.0,
#if defined(__SANITIZE_ADDRESS__)
        " (sanitizer build)"
#else
        ""
#endif
        );
out:
    mime_digest_free(g);
    buf_fini(&text);
    buf_fini(&html);
    buf_fini(&out);
}

/*
 * Segment joins: the traps of a line that continues across shared and personal segments
 * ("From " and "." split over a join, blanks before a join, CR/LF at joins, 4-byte
 * characters at the QP soft-break column).  Every combination must decode to the plain
 * concatenation and keep the QP/7bit rules on the wire.
 */
static void
test_joins(void)
{
    static const struct mime_seg t[] = {
        { MIME_SHARED, "start\nFr", 8 }, { 0, NULL, 0 }, { MIME_SHARED, "om here ", 8 },
        { 1, NULL, 0 }, { 2, NULL, 0 }, { MIME_SHARED, "\n.", 2 }, { 0, NULL, 0 },
        { MIME_SHARED, "", 0 }, { 1, NULL, 0 }, { MIME_SHARED, "!\r", 2 }, { 2, NULL, 0 },
    };
    static const char *const v0[] = { "", "om", "x", "\n", "\nFrom", "F" };
    static const char *const v1[] = { "", " ", "\n.", "From ", "\xf0\x9f\x9a\x80", "\r" };
    static const char *const v2[] = { "", "\n", "\nFr", "y\t", "=_", "\xc3\xa9\n", "z" };
    struct mime_digest_opts o;
    struct mime_field x;
    struct mime_digest *g;
    struct diag d = DIAG_INIT;
    struct buf out, want, dec, cat, pad;
    int bad = 0, n7 = 0, total = 0;

    base_opts(&o, &x);
    o.text = t;
    o.ntext = ARRAY_LEN(t);
    o.html = NULL;
    g = mime_digest_new(&o, &d);
    CHECK(g != NULL, "join digest builds (%s)", d.msg);
    if (g == NULL)
        return;
    buf_init(&out, 0);
    buf_init(&want, 0);
    buf_init(&dec, 0);
    buf_init(&cat, 0);
    buf_init(&pad, 0);
    for (int padn = 0; padn < 80; padn += 7) {
        buf_reset(&pad);
        buf_add(&pad, "", 0);
        for (int k = 0; k < padn; k++)
            buf_addc(&pad, (char)('a' + k % 26));
        for (size_t a = 0; a < ARRAY_LEN(v0); a++)
            for (size_t b = 0; b < ARRAY_LEN(v1); b++)
                for (size_t c = 0; c < ARRAY_LEN(v2); c++) {
                    struct buf v0p;
                    struct mime_str s[3];
                    struct mime_personal p;
                    const char *body, *why = NULL, *cte;
                    size_t bn;
                    int rc;

                    buf_init(&v0p, 0);
                    buf_adds(&v0p, buf_str(&pad));
                    buf_adds(&v0p, v0[a]);
                    s[0] = (struct mime_str){ v0p.p, v0p.len };
                    s[1] = (struct mime_str){ v1[b], strlen(v1[b]) };
                    s[2] = (struct mime_str){ v2[c], strlen(v2[c]) };
                    base_personal(&p);
                    p.slots = s;
                    p.nslots = 3;
                    buf_reset(&out);
                    expand(&cat, t, ARRAY_LEN(t), s);
                    buf_reset(&want);
                    buf_add(&want, "", 0);
                    /* per-segment normalisation: each piece on its own */
                    for (size_t i = 0; i < ARRAY_LEN(t); i++) {
                        const struct mime_str *sv = t[i].slot >= 0 ? &s[t[i].slot] : NULL;

                        to_lf(&want, sv ? sv->p : t[i].p, sv ? sv->len : t[i].len);
                    }
                    total++;
                    if (mime_message_write(g, &p, &out, &d) == -1) {
                        bad++;
                        buf_fini(&v0p);
                        continue;
                    }
                    body = strstr(buf_str(&out), "\r\n\r\n") + 4;
                    bn = out.len - (size_t)(body - out.p);
                    cte = strstr(buf_str(&out), "Content-Transfer-Encoding: ") + 27;
                    buf_reset(&dec);
                    buf_add(&dec, "", 0);
                    if (strncmp(cte, "7bit", 4) == 0) {
                        n7++;
                        to_lf(&dec, body, bn);
                        /* 7bit: the wire must itself obey the rules QP would enforce */
                        rc = longest_line(body, bn) <= MIME_QP_LINE &&
                            strstr(body, "\r\nFrom ") == NULL &&
                            strstr(body, " \r\n") == NULL && strstr(body, "=_") == NULL ?
                            0 : -1;
                        /* the text/plain-only message adds a final line break */
                        if (rc == 0 && dec.len == want.len + 1)
                            dec.len--;
                    } else if (strncmp(cte, "quoted-printable", 16) == 0) {
                        rc = qp_decode(body, bn, &dec, &why);
                    } else {
                        rc = b64_body_decode(body, bn, &dec, &why);
                        if (rc == 0 && dec.len == want.len + 1)
                            dec.len--;
                    }
                    if (rc != 0 || dec.len != want.len ||
                        memcmp(buf_str(&dec), buf_str(&want), want.len) != 0) {
                        if (bad++ < 3)
                            printf("# join pad %d v0 %zu v1 %zu v2 %zu: %s (%.6s)\n", padn,
                                a, b, c, why ? why : "compare", cte);
                    }
                    buf_fini(&v0p);
                }
    }
    CHECK(bad == 0, "segment joins: %d of %d combinations decode back with the wire rules "
        "kept (%d went 7bit)", total - bad, total, n7);
    CHECK(n7 > 0 && n7 < total, "segment joins: both 7bit and encoded forms were chosen");
    buf_fini(&out);
    buf_fini(&want);
    buf_fini(&dec);
    buf_fini(&cat);
    buf_fini(&pad);
    mime_digest_free(g);
}

int
main(void)
{
    const char *dir = getenv("MIME_OUT");

    test_header_text();
    test_header_mailbox();
    test_injection();
    test_qp();
    test_cte();
    test_date();
    test_messages();
    test_message_cte();
    test_joins();
    if (dir != NULL && *dir != '\0')
        write_eml_cases(dir);
    bench();
    return check_exit();
}
