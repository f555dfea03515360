/*
 * addr: check one subscriber e-mail address (an RFC 5322 addr-spec) and turn it into the
 * canonical form that goes into RCPT TO and To:.  Used by the subscriber list (subs.c).
 * Specs: RFC 5322 3.2.3/3.4.1, RFC 5321 4.1.2/4.5.3.1, RFC 5890-5891 + UTS #46 (libidn2).
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_ADDR_H
#define GAZETTE_ADDR_H

#include <stdbool.h>
#include <stddef.h>

#define ADDR_LOCAL_MAX 64     /* RFC 5321 4.5.3.1.1 */
#define ADDR_DOMAIN_MAX 255   /* RFC 5321 4.5.3.1.2 */
#define ADDR_MAX 254          /* RFC 5321 4.5.3.1.3 path 256 minus <>; RFC 3696 erratum 1690 */
#define ADDR_BUF (ADDR_MAX + 1)

/*
 * Policy (the "Leniency" list of docs/ARCHITECTURE.md):
 * Accepted
 *  - dot-atom local parts: atext (RFC 5322 3.2.3), no leading, trailing or double dot;
 *    case is kept (local parts may be case-sensitive, RFC 5321 2.4).
 *  - quoted local parts ("john doe"@example.com) with quoted-pairs (RFC 5321 4.1.2
 *    Quoted-string: printable ASCII and space).  The canonical form uses the least quoting
 *    (RFC 5321 4.1.2, RFC 5322 3.4.1): "john"@x and "j\ohn"@x -> john@x, "a b"@x stays,
 *    and inside quotes only '"' and '\' keep their backslash.
 *  - domains of two or more dot-separated LDH labels, 1-63 octets each, no leading or
 *    trailing hyphen; upper case is folded to lower case.
 *  - internationalised domains: converted with libidn2 (IDNA2008, UTS #46 non-transitional
 *    mapping: bücher.example and BÜCHER.example -> xn--bcher-kva.example, faß.de ->
 *    xn--fa-hia.de, ideographic full stops count as dots, ignorable code points such as
 *    U+00AD are dropped).  Existing A-labels (xn--...) are checked with libidn2 too.
 * Rejected, with a sentence saying why
 *  - any control byte (C0, DEL) anywhere, even inside quotes or as a quoted-pair: CR and LF
 *    would let a list entry inject headers or SMTP commands.
 *  - white space or comments outside quotes (CFWS, RFC 5322 3.2.2), also around the @.
 *  - obsolete syntax (RFC 5322 4.4): a local part mixing quoted and unquoted words
 *    (a."b".c, "a".b), obs-qtext and obs-qp (controls in quotes).
 *  - the empty quoted local part ("") and any other empty part.
 *  - address literals (user@[192.0.2.1], user@[IPv6:...]): valid RFC 5321, but not a
 *    newsletter subscriber.
 *  - one-label domains (user@localhost, user@com) and a trailing dot (user@example.com.).
 *  - an all-numeric top-level label (user@1.2.3.4; RFC 3696 2).
 *  - labels with "--" in the 3rd and 4th position that are not A-labels (ab--cd.example:
 *    reserved LDH labels, RFC 5890 2.3.1); invalid A-labels (xn--zz.example).
 *  - non-ASCII in the local part: needs SMTPUTF8 (RFC 6531), which gazette does not use.
 *  - input that is not UTF-8; domains that libidn2 refuses (disallowed code points, bidi,
 *    CONTEXTJ, ...), with libidn2's reason in the sentence.
 *  - lengths measured on the canonical (A-label) form: local part > 64, label > 63,
 *    domain > 253 (RFC 1035 2.3.4: 255 on the wire), whole address > 254 octets.
 */

/*
 * Check an addr-spec (no display name, no angle brackets) of len bytes at s; s need not
 * be NUL-terminated and is not changed.
 * On success return 0 and write the canonical form to out (NUL-terminated): the local part
 * with the least quoting, the domain lower-cased and in A-label form.
 * On failure return -1, set out to "" and set *why (when why is not NULL) to a sentence
 * saying what is wrong and what would be right, e.g. "the local part is longer than
 * 64 octets (RFC 5321 4.5.3.1.1)".  *why is static or thread-local: it stays valid until
 * the same thread calls addr_check() again.  Callers report it as EX_DATAERR.
 * Cost: plain ASCII addresses need no allocation and no libidn2 call; domains with
 * non-ASCII octets or xn-- labels go through libidn2.  Thread-safe.
 */
int addr_check(const char *s, size_t len, char out[ADDR_BUF], const char **why);

/*
 * true if the canonical forms canon_a and canon_b (from addr_check) name the same
 * mailbox: local parts compared exactly, domains case-insensitively.  false if either is
 * NULL.
 */
bool addr_same(const char *canon_a, const char *canon_b);

/* c is atext (RFC 5322 3.2.3): ALPHA / DIGIT / "!#$%&'*+-/=?^_`{|}~". */
bool addr_is_atext(unsigned char c);

#endif
