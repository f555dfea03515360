/*
 * util: allocation that exits on failure, number parsing, ASCII and UTF-8 helpers.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <unistr.h>

#include "util.h"

void
xoom(void)
{
    fputs("gazette: out of memory\n", stderr);
    exit(EX_OSERR);
}

double
mono_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void *
xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (p == NULL)
        xoom();
    return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
    void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

    if (p == NULL)
        xoom();
    return p;
}

void *
xreallocarray(void *p, size_t nmemb, size_t size)
{
    void *q;

    if (size != 0 && nmemb > SIZE_MAX / size)
        xoom();
    q = realloc(p, nmemb * size != 0 ? nmemb * size : 1);
    if (q == NULL)
        xoom();
    return q;
}

char *
xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);

    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

int
parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    long v;

    if (s == NULL || *s == '\0' || IS_SPACE((unsigned char)*s))
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int
ascii_strncasecmp(const char *a, const char *b, size_t n)
{
    for (; n > 0; a++, b++, n--) {
        int ca = TO_LOWER((unsigned char)*a), cb = TO_LOWER((unsigned char)*b);

        if (ca != cb)
            return ca - cb;
        if (ca == '\0')
            break;
    }
    return 0;
}

int
ascii_strcasecmp(const char *a, const char *b)
{
    return ascii_strncasecmp(a, b, SIZE_MAX);
}

int
edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), i, j;
    int row[64];

    if (la >= ARRAY_LEN(row) || lb >= ARRAY_LEN(row))
        return 99;
    for (j = 0; j <= lb; j++)
        row[j] = (int)j;
    for (i = 1; i <= la; i++) {
        int diag = row[0];

        row[0] = (int)i;
        for (j = 1; j <= lb; j++) {
            int up = row[j], best;

            best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            diag = up;
            row[j] = best;
        }
    }
    return row[lb] > 99 ? 99 : row[lb];
}

size_t
utf8_seq_len(const unsigned char *s, size_t n)
{
    ucs4_t c;
    int k;

    if (n == 0)
        return 0;
    if (s[0] < 0x80)
        return 1;                   /* the common case, without a call */
    /* libunistring's strict decoder: no overlongs, surrogates or past U+10FFFF; -2 when
       cut short */
    k = u8_mbtoucr(&c, s, n);
    return k > 0 ? (size_t)k : 0;
}

bool
utf8_is_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t k;

    for (size_t i = 0; i < n; i += k)
        if ((k = utf8_seq_len(p + i, n - i)) == 0)
            return false;
    return true;
}

int
write_all(int fd, const void *p, size_t n)
{
    const char *c = p;

    while (n > 0) {
        ssize_t w = write(fd, c, n);

        if (w == -1) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

int
fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

    if (fd == -1)
        return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

int
mkdir_p(const char *dir, unsigned mode, const char **failed)
{
    static __thread char at[4096];
    size_t n = strlen(dir);

    if (n == 0 || n >= sizeof(at)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(at, dir, n + 1);
    for (char *c = at + 1; ; c++) {
        if (*c == '/' || *c == '\0') {
            char save = *c;

            *c = '\0';
            if (mkdir(at, (mode_t)mode) == -1 && errno != EEXIST) {
                if (failed != NULL)
                    *failed = at;
                return -1;
            }
            *c = save;
            if (save == '\0')
                break;
        }
    }
    return 0;
}

/*
 * fstat first: only a regular file is read (a FIFO would block for ever, /dev/zero would
 * never end), and the open itself is non-blocking so that opening a FIFO cannot hang.
 * The size is a hint: the file may grow while we read, so the cap is enforced on what is
 * read, one byte past max at most.
 */
char *
read_file_max(const char *path, size_t max, size_t *lenp)
{
    struct stat st;
    char *p = NULL;
    size_t cap, len = 0;
    int fd, saved;

    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1)
        return NULL;
    if (fstat(fd, &st) == -1)
        goto fail;
    if (!S_ISREG(st.st_mode)) {
        errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
        goto fail;
    }
    if ((uintmax_t)st.st_size > max) {
        errno = EFBIG;
        goto fail;
    }
    cap = st.st_size > 0 ? (size_t)st.st_size + 2 : 4096;
    if (cap > max + 2)
        cap = max + 2;
    p = xmalloc(cap);
    for (;;) {
        ssize_t r;

        if (len > max) {
            errno = EFBIG;
            goto fail;
        }
        if (len + 1 >= cap) {
            cap = cap > (max + 2) / 2 ? max + 2 : cap * 2;
            p = xreallocarray(p, cap, 1);
        }
        r = read(fd, p + len, cap - len - 1);
        if (r == -1) {
            if (errno == EINTR)
                continue;
            goto fail;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    p[len] = '\0';
    if (lenp)
        *lenp = len;
    return p;
fail:
    saved = errno;
    free(p);
    close(fd);
    errno = saved;
    return NULL;
}

/* Code points that reorder or break what a terminal shows: C1, bidi controls (Unicode
   UAX #9), line and paragraph separators (and NEL, a C1 control). */
static bool
cp_is_unsafe(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9f) || cp == 0x61c || cp == 0x200e || cp == 0x200f ||
        (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
        cp == 0x2028 || cp == 0x2029;
}

static uint32_t
utf8_cp(const unsigned char *s, size_t len)
{
    ucs4_t cp;

    u8_mbtouc_unsafe(&cp, s, len);  /* s[0..len) is known valid */
    return cp;
}

size_t
utf8_escape(char *dst, size_t size, const char *p, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *s = (const unsigned char *)p;
    size_t o = 0;

    for (size_t i = 0; i < n && s[i] != '\0';) {
        size_t len = utf8_seq_len(s + i, n - i);
        uint32_t cp = len > 0 ? utf8_cp(s + i, len) : 0;

        if (s[i] == '\r' || s[i] == '\n') {
            if (o > 0 && dst[o - 1] != ' ' && o + 1 < size)
                dst[o++] = ' ';
            i++;
        } else if (len == 0 || s[i] < 0x20 || s[i] == 0x7f) {
            if (o + 4 >= size)
                break;
            dst[o++] = '\\';
            dst[o++] = 'x';
            dst[o++] = hex[s[i] >> 4];
            dst[o++] = hex[s[i] & 15];
            i++;
        } else if (cp_is_unsafe(cp)) {
            if (o + 6 >= size)
                break;
            dst[o++] = '\\';
            dst[o++] = 'u';
            for (int sh = 12; sh >= 0; sh -= 4)
                dst[o++] = hex[(cp >> sh) & 15];
            i += len;
        } else {
            if (o + len >= size)
                break;
            memcpy(dst + o, s + i, len);
            o += len;
            i += len;
        }
    }
    if (size > 0)
        dst[o] = '\0';
    return o;
}

size_t
utf8_space_len(const unsigned char *s, size_t n)
{
    if (n >= 2 && s[0] == 0xc2 && s[1] == 0xa0)
        return 2;                                       /* U+00A0 */
    if (n >= 3 && s[0] == 0xe2 && s[1] == 0x80 && (s[2] >= 0x80 && s[2] <= 0x8a))
        return 3;                                       /* U+2000..U+200A */
    if (n >= 3 && s[0] == 0xe2 && s[1] == 0x80 && s[2] == 0xaf)
        return 3;                                       /* U+202F */
    if (n >= 3 && s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80)
        return 3;                                       /* U+3000 */
    return 0;
}

char *
read_file(const char *path, size_t *lenp)
{
    return read_file_max(path, READ_FILE_MAX, lenp);
}

const char *
read_file_strerror(int err)
{
    if (err == EINVAL)
        return "not a regular file";
    if (err == EFBIG)
        return "the file is larger than gazette reads";
    return strerror(err);
}

size_t
utf8_fold_char(const unsigned char *s, size_t n, size_t *len, unsigned char out[2])
{
    if (s[0] < 0x80 || n < 2) {
        *len = 1;
        out[0] = (unsigned char)TO_LOWER(s[0]);
        return 1;
    }
    *len = 2;
    out[0] = s[0];
    out[1] = s[1];
    if (s[0] == 0xc3 && s[1] >= 0x80 && s[1] <= 0x9e && s[1] != 0x97) {
        out[1] = (unsigned char)(s[1] + 0x20);
    } else if (s[0] == 0xd0 && s[1] >= 0x90 && s[1] <= 0x9f) {
        out[1] = (unsigned char)(s[1] + 0x20);
    } else if (s[0] == 0xd0 && s[1] >= 0xa0 && s[1] <= 0xaf) {
        out[0] = 0xd1;
        out[1] = (unsigned char)(s[1] - 0x20);
    } else if (s[0] == 0xd0 && s[1] >= 0x80 && s[1] <= 0x8f) {
        out[0] = 0xd1;
        out[1] = (unsigned char)(s[1] + 0x10);
    }
    return 2;
}
