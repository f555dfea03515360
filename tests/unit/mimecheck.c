/*
 * mimecheck: see mimecheck.h.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mime.h"
#include "util.h"

#include "mimecheck.h"

/* ---- small helpers ---------------------------------------------------------------------- */

bool
all_ascii(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)p[i] >= 0x80)
            return false;
    return true;
}

/* true when every line ends in CRLF and there is no bare CR or LF */
bool
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

size_t
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
void
to_lf(struct buf *out, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\r') {
            buf_putc(out, '\n');
            if (i + 1 < n && p[i + 1] == '\n')
                i++;
        } else {
            buf_putc(out, p[i]);
        }
    }
}

/* what a header value decodes to (mime.h, issue 9): the value unchanged, "" when blank */
void
norm_ws(struct buf *out, const char *s)
{
    buf_reset(out);
    buf_put(out, "", 0);
    if (strspn(s, " \t") < strlen(s))
        buf_puts(out, s);
}

/* single spaces between words: the only blanks that plain (unencoded) text can keep */
bool
plain_ws(const char *s)
{
    size_t n = strlen(s);

    return strchr(s, '\t') == NULL && strstr(s, "  ") == NULL &&
        (n == 0 || (s[0] != ' ' && s[n - 1] != ' '));
}

int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;              /* lower case is refused on purpose (RFC 2045 6.7 (1)) */
}

int
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
int
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
        buf_putc(out, (char)(v[0] << 2 | v[1] >> 4));
        if (pad < 2)
            buf_putc(out, (char)((v[1] & 15) << 4 | v[2] >> 2));
        if (pad < 1)
            buf_putc(out, (char)((v[2] & 3) << 6 | v[3]));
    }
    return 0;
}

/* ---- an independent RFC 2047 decoder ---------------------------------------------------- */

/* Unfold one field "Name: value\r\n[ more\r\n]" into its value (after "Name:" and blanks). */
void
unfold(const char *field, size_t n, struct buf *out)
{
    const char *c = memchr(field, ':', n);
    size_t i = c ? (size_t)(c - field) + 1 : n;

    buf_reset(out);
    buf_put(out, "", 0);
    while (i < n && (field[i] == ' ' || field[i] == '\t'))
        i++;
    for (; i < n; i++) {
        if (field[i] == '\r' && i + 1 < n && field[i + 1] == '\n') {
            i++;
            continue;
        }
        buf_putc(out, field[i]);
    }
}

/*
 * Decode one encoded-word tok[0..n) into out; -1 and why when it is not a valid UTF-8
 * B or Q word of at most 75 characters holding whole characters (RFC 2047 2, 4, 5).
 */
int
ew_decode(const char *tok, size_t n, bool phrase, struct buf *out, const char **why)
{
    struct buf w;
    const char *text;
    size_t tn;
    int rc = -1;

    buf_init(&w, 0);
    buf_put(&w, "", 0);
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
                buf_putc(&w, ' ');
            } else if (c == '=') {
                int hi = i + 2 < tn ? hexval(text[i + 1]) : -1;
                int lo = i + 2 < tn ? hexval(text[i + 2]) : -1;

                if (hi < 0 || lo < 0) {
                    *why = "bad =XX in Q word";
                    goto out;
                }
                buf_putc(&w, (char)(hi << 4 | lo));
                i += 2;
            } else if (phrase ? !(IS_ALNUM(c) || strchr("!*+-/", c)) :
                (c <= ' ' || c >= 0x7f || c == '?')) {
                *why = "character not allowed in a Q word";
                goto out;
            } else {
                buf_putc(&w, c);
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
    buf_put(out, buf_str(&w), w.len);
    rc = 0;
out:
    buf_fini(&w);
    return rc;
}

bool
holds_ewmark(const char *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++)
        if (p[i] == '=' && p[i + 1] == '?')
            return true;
    return false;
}

bool
is_ew_token(const char *t, size_t n)
{
    return n >= 12 && t[0] == '=' && t[1] == '?' && t[n - 2] == '?' && t[n - 1] == '=';
}

/*
 * Decode an unfolded value: tokens separated by SP/TAB; encoded-words decoded, blanks
 * between two encoded-words dropped (RFC 2047 6.2), one SP otherwise.  With phrase,
 * quoted-strings are unquoted (and may hold blanks).
 */
int
hdr_decode(const char *v, bool phrase, struct buf *out, const char **why)
{
    size_t n = strlen(v), i = 0;
    bool prev_ew = false, any = false;

    buf_reset(out);
    buf_put(out, "", 0);
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
                buf_putc(out, ' ');
            for (i++; i < n && v[i] != '"'; i++) {
                if (v[i] == '\\' && i + 1 < n)
                    i++;
                buf_putc(out, v[i]);
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
            buf_putc(out, ' ');
        if (ew) {
            if (ew_decode(v + s, e - s, phrase, out, why) == -1)
                return -1;
        } else {
            if (holds_ewmark(v + s, e - s)) {
                *why = "a plain word holds \"=?\"";
                return -1;
            }
            buf_put(out, v + s, e - s);
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
int
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
        buf_put(&line, "", 0);
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
                buf_putc(&line, (char)(hi << 4 | lo));
                k += 2;
            } else if ((c < 33 && c != ' ' && c != '\t') || c > 126) {
                *why = "byte that must be encoded appears literally";
                goto out;
            } else {
                buf_putc(&line, (char)c);
            }
        }
        if (!utf8_is_valid(buf_str(&line), line.len)) {
            *why = "a soft break splits a UTF-8 character";
            goto out;
        }
        buf_put(out, buf_str(&line), line.len);
        if (e == NULL)
            break;
        if (!soft)
            buf_putc(out, '\n');
        i = le + 2;
    }
    rc = 0;
out:
    buf_fini(&line);
    return rc;
}

/* base64 body lines (<= 76) -> bytes -> LF text */
int
b64_body_decode(const char *p, size_t n, struct buf *out, const char **why)
{
    struct buf joined, raw;
    size_t cur = 0;
    int rc = -1;

    buf_init(&joined, 0);
    buf_init(&raw, 0);
    buf_put(&joined, "", 0);
    buf_put(&raw, "", 0);
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
        buf_putc(&joined, p[i]);
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
const char *
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
bool
has_token(const char *v, const char *word)
{
    size_t n = strlen(word);

    for (const char *p = v; (p = strstr(p, word)) != NULL; p++)
        if ((p == v || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return true;
    return false;
}

/* ---- whole messages ------------------------------------------------------------------------ */


void
parsed_init(struct parsed *m)
{
    memset(m, 0, sizeof(*m));
    buf_init(&m->text, 0);
    buf_init(&m->html, 0);
    buf_put(&m->text, "", 0);
    buf_put(&m->html, "", 0);
}

void
parsed_fini(struct parsed *m)
{
    buf_fini(&m->text);
    buf_fini(&m->html);
}

/* Fields named name in the header block of msg; the first one goes to at and len. */
int
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

int
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
int
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
const char *
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
size_t
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
void
expand(struct buf *out, const struct mime_seg *segs, size_t n, const struct mime_str *slots)
{
    buf_reset(out);
    buf_put(out, "", 0);
    for (size_t i = 0; i < n; i++) {
        if (segs[i].slot >= 0)
            buf_put(out, slots[segs[i].slot].p, slots[segs[i].slot].len);
        else
            buf_put(out, segs[i].p, segs[i].len);
    }
}
