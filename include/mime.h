/*
 * mime: turns a rendered digest into the RFC 5322 message for one subscriber: header fields
 * (RFC 2047 encoded-words, folding), multipart/alternative text + html in 7bit,
 * quoted-printable or base64.  Pipeline: tmpl -> MIME -> transport.
 * Specs: RFC 5322, RFC 2045/2046/2047, RFC 2369, RFC 2919, RFC 8058.
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_MIME_H
#define GAZETTE_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct buf;
struct diag;

#define MIME_LINE_SOFT 78       /* RFC 5322 2.1.1: lines SHOULD be at most 78 characters */
#define MIME_LINE_HARD 998      /* RFC 5322 2.1.1: lines MUST be at most 998 characters */
#define MIME_EW_MAX 75          /* RFC 2047 2: an encoded-word is at most 75 characters */
#define MIME_EW_LINE 76         /* RFC 2047 2: a header line holding one: at most 76 */
#define MIME_QP_LINE 76         /* RFC 2045 6.7 rule 5: encoded lines at most 76 */
#define MIME_B64_LINE 76        /* RFC 2045 6.8: base64 lines at most 76 */
#define MIME_BOUNDARY_MAX 70    /* RFC 2046 5.1.1: boundary at most 70 characters */
#define MIME_ADDR_MAX 254       /* RFC 5321 4.5.3.1.3 (path 256 minus <>), erratum 1690 */
#define MIME_LIST_ID_MAX 255    /* RFC 2919 3: list-id at most 255 octets */
#define MIME_URL_MAX 900        /* ours: a List-Unsubscribe URI must fit one line (998) */
#define MIME_FIELD_NAME_MAX 40  /* ours: extra header names, so a value fits after them */

/*
 * Header values: the policy, per field.  Every value must be valid UTF-8.
 *  - Display names (From, To, Reply-To), the List-Id description, the Subject and extra
 *    header values: any CR, LF, NUL or other control byte (C0 or DEL) except TAB is
 *    REJECTED (-1, EX_DATAERR, the message names the field).  Nothing is silently replaced:
 *    a line break in a name is a data error upstream, and dropping it would hide the attack.
 *    TAB counts as white space.  Nothing is normalised (issue 9): a value is written
 *    as given, and one whose blanks are not single spaces between words (leading,
 *    trailing, runs, TAB) is written as encoded-words, which keep them; a value of blanks
 *    only counts as none.
 *  - Addresses (From, To, Reply-To, the mailto: unsubscribe address): always rejected when
 *    they hold a control byte, white space outside a quoted local part, '<', '>', non-ASCII
 *    (gazette does not use SMTPUTF8), no '@' or more than 254 octets.  This is a header
 *    safety check only; addr.c does the real validation of subscriber addresses.
 *  - Unsubscribe URLs: https:// (or http://, then without List-Unsubscribe-Post), printable
 *    ASCII without white space, '<', '>' or '"', at most MIME_URL_MAX octets; else rejected.
 * Words are RFC 2047 encoded (UTF-8, B or Q, whichever is shorter) only when they need it:
 * non-ASCII, a "=?" inside, longer than one line, or, in a display name with non-ASCII
 * words, an ASCII word with specials.  ASCII display names with specials are quoted.
 */

/* One header field for mime_digest_opts.extra, e.g. { "X-Campaign", "2026-48" }. */
struct mime_field {
    const char *name;           /* printable ASCII without ':', 1..MIME_FIELD_NAME_MAX */
    const char *value;          /* unstructured text, UTF-8 */
};

/*
 * A body template is an array of segments.  A shared segment (slot < 0) holds text that is
 * the same for every subscriber; mime_digest_new() checks and encodes it once.  A slot
 * segment (slot >= 0) stands for personal text given per message in mime_personal.slots,
 * e.g. the subscriber's name or unsubscribe URL (HTML-escaped by the caller for the html
 * part).  A whole personal body is a template with one slot segment.
 * Line ends may be LF, CRLF or a lone CR; each segment is normalised on its own (a CR
 * ending one segment and an LF starting the next are two line breaks).  Body text must be
 * valid UTF-8 (else EX_DATAERR); control bytes are allowed and get encoded.  The encoding
 * (7bit, QP, base64) is chosen per message and part from the shared and personal text.
 */
#define MIME_SHARED (-1)

struct mime_seg {
    int slot;                   /* MIME_SHARED, or an index into mime_personal.slots */
    const char *p;              /* shared text (UTF-8), p[0..len); unused for slots */
    size_t len;
};

struct mime_str {
    const char *p;              /* UTF-8 text, p[0..len); NULL only when len is 0 */
    size_t len;
};

/* Everything that is the same for all subscribers of one run.  Borrowed during the call. */
struct mime_digest_opts {
    const char *from_name;      /* display name or NULL */
    const char *from_addr;      /* required */
    const char *reply_to_name;  /* NULL; ignored without reply_to_addr */
    const char *reply_to_addr;  /* NULL: no Reply-To */
    const char *subject;        /* required, not empty */
    const char *list_name;      /* List-Id description or NULL */
    const char *list_id;        /* NULL: no List-Id; else "label.example.com" (RFC 2919) */
    const char *msgid_domain;   /* right side of Message-IDs; NULL: the From domain */
    const struct mime_field *extra;     /* extra header fields, in order */
    size_t nextra;
    const struct mime_seg *text;        /* the text/plain template */
    size_t ntext;
    const struct mime_seg *html;        /* text/html template; NULL: a text/plain message
                                         * (then a missing final line break is added) */
    size_t nhtml;
};

/* What differs per subscriber.  Borrowed during mime_message_write(). */
struct mime_personal {
    const char *to_name;        /* display name or NULL */
    const char *to_addr;        /* required: the To field holds this recipient only */
    const char *subject;        /* NULL: the digest's subject */
    const char *unsub_url;      /* https:// (one-click, RFC 8058) or http:// URL, or NULL */
    const char *unsub_mailto;   /* address for <mailto:ADDR?subject=unsubscribe>, or NULL */
    const struct mime_str *slots;       /* values for the slot segments */
    size_t nslots;
    time_t date;                /* Date field; 0: now */
};

/* Content-Transfer-Encodings, picked per part by scanning the content. */
enum mime_cte {
    MIME_7BIT,                  /* ASCII, lines <= 76, no trailing blanks, no "From " line */
    MIME_QP,                    /* quoted-printable */
    MIME_BASE64                 /* when it is a line (76) or more shorter than QP: mostly
                                 * non-Latin text, which QP triples */
};

struct mime_digest;

/*
 * Check and pre-encode the shared parts of a run: From, Reply-To, Subject, MIME-Version,
 * List-Id, extra fields, and the quoted-printable and 7bit forms of
 * every shared body segment.  Nothing in o is kept.
 * Returns the digest (caller frees with mime_digest_free()), or NULL with d set:
 * EX_DATAERR for a bad value (the message names the field and says what would be right),
 * EX_OSERR when no random bytes are available.
 */
struct mime_digest *mime_digest_new(const struct mime_digest_opts *o, struct diag *d);
void mime_digest_free(struct mime_digest *g);

/*
 * Append one complete message for subscriber p to out: Date, Message-ID (random, at the
 * digest's domain), From, To (p only), Subject, MIME-Version, Reply-To, List-Id, extra
 * fields, List-Unsubscribe (+ List-Unsubscribe-Post: List-Unsubscribe=One-Click when the
 * URL is https), then multipart/alternative with text/plain first and text/html second,
 * both charset=utf-8, with a random boundary of its own (none is shared by two messages).  Every line ends in CRLF, header lines are folded at 78 (76 with an
 * encoded-word; only a long URL or address may pass 78, never 998), encoded body lines are
 * at most 76.  The bytes are what follows SMTP DATA, not dot-stuffed.
 * The shared segments are copied pre-encoded; only the personal parts (and a shared line
 * that continues one) are encoded now.  g is only read: threads may share one digest.
 * Returns 0, or -1 with d set: EX_DATAERR for a bad personal value or when out would pass
 * its maximum, EX_SOFTWARE when p->nslots is smaller than a slot index in the templates,
 * EX_OSERR when no random bytes are available.  On failure out holds what it held on
 * entry, except after passing its maximum, when it is empty (buf.h).
 */
int mime_message_write(const struct mime_digest *g, const struct mime_personal *p,
    struct buf *out, struct diag *d);

/*
 * Building blocks, also used by the tests.
 * mime_header_text: append "Name: value" CRLF, value as unstructured text (Subject).
 * mime_header_mailbox: append "Name: display-name <addr>" CRLF (just "Name: addr" when
 * display is NULL or blank).  Both fold at 78 (76 on lines with encoded-words) and return 0,
 * or -1 with d set: EX_DATAERR (out unchanged) for a rejected value or when out passes its
 * maximum (out emptied), EX_SOFTWARE when name is not 1..MIME_FIELD_NAME_MAX printable
 * characters without ':'.
 */
int mime_header_text(struct buf *out, const char *name, const char *value, struct diag *d);
int mime_header_mailbox(struct buf *out, const char *name, const char *display,
    const char *addr, struct diag *d);

/* Append the RFC 5322 3.3 date-time of t in UTC, "Fri, 27 Nov 2026 08:02:31 +0000";
 * 0, or -1 when out passed its maximum or t is before year 1900. */
int mime_date_write(struct buf *out, time_t t);

/* The encoding for a part with text p[0..n): 7bit when clean, else QP or base64 (above). */
enum mime_cte mime_cte_choose(const char *p, size_t n);
/* "7bit", "quoted-printable", "base64". */
const char *mime_cte_name(enum mime_cte cte);
/*
 * Append text p[0..n) encoded with cte: line ends become CRLF; QP keeps lines <= 76, never
 * splits a UTF-8 sequence or an =XX escape with a soft break, encodes trailing blanks, '.'
 * and "From " at the start of a line (mbox safety); base64 encodes the CRLF form in 76-char
 * lines.  No line break is added at the end.  0, or -1 when out passed its maximum.
 */
int mime_body_encode(struct buf *out, enum mime_cte cte, const char *p, size_t n);

#endif
