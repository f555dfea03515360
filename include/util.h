/*
 * util: memory that never fails (exit EX_OSERR instead), checked number parsing,
 * locale-free ASCII helpers.  Used by every module.
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_UTIL_H
#define GAZETTE_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define IS_DIGIT(c) ((c) >= '0' && (c) <= '9')
#define IS_ALPHA(c) (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))
#define IS_ALNUM(c) (IS_ALPHA(c) || IS_DIGIT(c))
#define IS_SPACE(c) ((c) == ' ' || (c) == '\t' || (c) == '\n' || (c) == '\r' || \
                     (c) == '\f' || (c) == '\v')
/* ASCII lower case; a function, so that TO_LOWER(*p++) reads *p once. */
static inline int
ascii_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}
#define TO_LOWER(c) ascii_lower(c)

/* Print "gazette: out of memory" and exit EX_OSERR (for libraries that return NULL). */
void xoom(void) __attribute__((noreturn));
/* Seconds on the monotonic clock (for timing and timeouts, never for dates). */
double mono_now(void);

/* Allocators: print "gazette: out of memory" and exit EX_OSERR on failure. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Parse all of s (base 10) into *out; 0 when it is a number in [min, max], else -1. */
int parse_long(const char *s, long min, long max, long *out);

/* Case-insensitive ASCII comparisons (no locale). */
int ascii_strcasecmp(const char *a, const char *b);
int ascii_strncasecmp(const char *a, const char *b, size_t n);

/* Levenshtein distance of two short strings, capped at 99. */
int edit_distance(const char *a, const char *b);

/* true when the n bytes at p are valid UTF-8 (no overlongs, no surrogates). */
bool utf8_is_valid(const char *p, size_t n);
/* Length of the valid UTF-8 sequence at s (n bytes left, n > 0), or 0 when it is not valid
   (overlong, surrogate, past U+10FFFF, or cut short). */
size_t utf8_seq_len(const unsigned char *s, size_t n);
/*
 * Copy outside text p[0..n) (it stops at a NUL) into dst as text safe for a terminal, a
 * log line and JSON: CR and LF become one space; other control bytes and every byte that
 * is not part of valid UTF-8 become \xNN; C1 controls (U+0080..U+009F), bidirectional
 * controls (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069) and line and
 * paragraph separators (U+2028, U+2029) become \uXXXX.  Cut to fit on a character or
 * escape boundary; dst is always NUL-terminated (size > 0).  Returns the length.
 */
size_t utf8_escape(char *dst, size_t size, const char *p, size_t n);

/* Length of the UTF-8 space at s (n bytes left) that text collapses to one blank: NBSP,
 * U+2000..U+200A, U+202F, U+3000; 0 for anything else. */
size_t utf8_space_len(const unsigned char *s, size_t n);

/* The lower case of the character at s (n > 0 bytes left; its length into *len) written to
 * out: ASCII, Latin-1 capitals U+00C0..U+00DE and Cyrillic capitals U+0400..U+042F are
 * folded, anything else is copied (one byte, or the first two of a longer sequence).
 * Returns the bytes written to out (1 or 2). */
size_t utf8_fold_char(const unsigned char *s, size_t n, size_t *len, unsigned char out[2]);

/* write(2) all n bytes, again after EINTR and short writes; 0 or -1 with errno set. */
int write_all(int fd, const void *p, size_t n);
/* mkdir -p with mode for the folders it makes; 0 or -1 with errno set and *failed (when
   not NULL) pointing at a static copy of the path that failed. */
int mkdir_p(const char *dir, unsigned mode, const char **failed);
/* fsync a folder, so that the names made or renamed in it survive a crash; 0 or -1 with
   errno set. */
int fsync_dir(const char *dir);

/*
 * Read a whole regular file of at most max bytes into a NUL-terminated heap buffer (caller
 * frees); NULL with errno set: open's and read's, EISDIR for a folder, EINVAL for anything
 * else that is not a regular file (a FIFO, a device: never blocks), EFBIG past max.
 */
char *read_file_max(const char *path, size_t max, size_t *lenp);
/* read_file_max() with READ_FILE_MAX, for files that have no smaller limit of their own. */
#define READ_FILE_MAX ((size_t)1 << 30)
char *read_file(const char *path, size_t *lenp);
/* strerror() for read_file()'s errno, with its own EINVAL and EFBIG. */
const char *read_file_strerror(int err);

#endif
