/*
 * newsdate: dates as news sites print them (RFC 5322 3.3, ISO 8601 / RFC 3339, US and UK
 * newspaper styles, CJK "2024年3月15日"); used by the article readers.
 * SPDX-License-Identifier: MIT
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "newsdate.h"
#include "util.h"

/* Tokens in one date; "Sun, 19 Oct 2014 16:55:00 +0100 (BST)" has 17. */
#define DATE_MAX_TOKENS 48

enum { TK_NUM, TK_WORD, TK_PUNCT };

struct tok {
    int kind;
    const char *p;
    size_t n;                   /* bytes (for TK_NUM: number of digits) */
    long num;
};

struct dparse {
    const struct tok *t;
    size_t n, i;
};

/* Month names, lower case, in English, French, German, Spanish, Italian, Portuguese, Dutch
 * Russian and Polish (nominative and genitive: "5 марта", "7 czerwca"); a token of three or more letters that
 * starts the names of one month only is that month ("Oct", "Sept", "févr", "янв"). */
static const char *const month_names[12][12] = {
    { "january", "janvier", "januar", "jänner", "enero", "gennaio", "janeiro", "januari",
        "январь", "января", "stycznia", "styczeń" },
    { "february", "février", "fevrier", "februar", "febrero", "febbraio", "fevereiro",
        "februari", "февраль", "февраля", "lutego", "luty" },
    { "march", "mars", "märz", "maerz", "marzo", "março", "marco", "maart", "март",
        "марта", "marca", "marzec" },
    { "april", "avril", "abril", "aprile", "апрель", "апреля", "kwietnia", "kwiecień" },
    { "may", "mai", "mayo", "maggio", "maio", "mei", "май", "мая", "maja", "maj" },
    { "june", "juin", "juni", "junio", "giugno", "junho", "июнь", "июня", "czerwca", "czerwiec" },
    { "july", "juillet", "juli", "julio", "luglio", "julho", "июль", "июля", "lipca", "lipiec" },
    { "august", "août", "aout", "agosto", "augustus", "август", "августа", "sierpnia", "sierpień" },
    { "september", "septembre", "septiembre", "setiembre", "settembre", "setembro",
        "сентябрь", "сентября", "września", "wrzesień" },
    { "october", "octobre", "oktober", "octubre", "ottobre", "outubro", "октябрь",
        "октября", "października", "październik" },
    { "november", "novembre", "noviembre", "novembro", "ноябрь", "ноября", "listopada", "listopad" },
    { "december", "décembre", "decembre", "dezember", "diciembre", "dicembre", "dezembro",
        "декабрь", "декабря", "grudnia", "grudzień" },
};
/* Weekdays: English (also as three letters), and the full names in the other languages. */
static const char *const day_names[] = {
    "sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
};
static const char *const day_names_intl[] = {
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
    "montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonnabend",
    "sonntag", "lunes", "martes", "miércoles", "miercoles", "jueves", "viernes", "sábado",
    "sabado", "domingo", "lunedì", "lunedi", "martedì", "martedi", "mercoledì", "mercoledi",
    "giovedì", "giovedi", "venerdì", "venerdi", "sabato", "domenica", "segunda", "terça",
    "terca", "quarta", "quinta", "sexta", "maandag", "dinsdag", "woensdag", "donderdag",
    "vrijdag", "zaterdag", "zondag", "понедельник", "вторник", "среда", "среду", "четверг",
    "пятница", "пятницу", "суббота", "субботу", "воскресенье",
};
/* Words before a date that only label it: "Updated: ...", "Posted on ...", "Publié le",
 * "Veröffentlicht am", "Publicado el", "Pubblicato il", "Gepubliceerd op". */
static const char *const date_labels[] = {
    "updated", "published", "posted", "on", "last", "date", "dated", "modified", "first",
    "created", "at", "publié", "publie", "mis", "à", "jour", "le", "veröffentlicht",
    "aktualisiert", "am", "stand", "publicado", "actualizado", "el", "pubblicato",
    "aggiornato", "il", "atualizado", "em", "gepubliceerd", "bijgewerkt", "op",
    "опубликовано", "обновлено", "дата",
};
/* Words between a date and its time: "at", "à", "um", "alle", "om", "в". */
static const char *const time_joiners[] = {
    "at", "t", "à", "um", "alle", "ore", "a", "las", "às", "om", "в", "kl",
};

/* Zone abbreviations: offset in minutes east of UTC; us: a US zone name without S/D
 * (ET, PT) whose offset follows the US daylight saving rules; eu: numeric dates near it are
 * day first. */
static const struct zone {
    const char *name;
    int off;
    bool us, eu;
} zones[] = {
    { "Z", 0, false, false }, { "UT", 0, false, false }, { "UTC", 0, false, false },
    { "GMT", 0, false, false }, { "WET", 0, false, true }, { "WEST", 60, false, true },
    { "BST", 60, false, true }, { "CET", 60, false, true }, { "MET", 60, false, true },
    { "CEST", 120, false, true }, { "MEST", 120, false, true }, { "EET", 120, false, true },
    { "MEZ", 60, false, true }, { "MESZ", 120, false, true },
    { "EEST", 180, false, true }, { "MSK", 180, false, true }, { "IST", 330, false, false },
    { "EST", -300, false, false }, { "EDT", -240, false, false },
    { "CST", -360, false, false }, { "CDT", -300, false, false },
    { "MST", -420, false, false }, { "MDT", -360, false, false },
    { "PST", -480, false, false }, { "PDT", -420, false, false },
    { "AKST", -540, false, false }, { "AKDT", -480, false, false },
    { "HST", -600, false, false }, { "AST", -240, false, false },
    { "ADT", -180, false, false }, { "NST", -210, false, false },
    { "NDT", -150, false, false }, { "JST", 540, false, false }, { "KST", 540, false, false },
    { "HKT", 480, false, false }, { "SGT", 480, false, false }, { "AWST", 480, false, false },
    { "ACST", 570, false, false }, { "ACDT", 630, false, false },
    { "AEST", 600, false, false }, { "AEDT", 660, false, false },
    { "NZST", 720, false, false }, { "NZDT", 780, false, false },
    { "SAST", 120, false, false }, { "CAT", 120, false, false }, { "EAT", 180, false, false },
    { "WAT", 60, false, false },
    { "ET", -300, true, false }, { "CT", -360, true, false }, { "MT", -420, true, false },
    { "PT", -480, true, false },
};

/* Bytes of the letter at s that may be part of a word: an ASCII letter, or a two-byte
 * Latin letter (U+00C0..U+024F but for × and ÷) or Cyrillic one (U+0400..U+04FF); 0 for
 * anything else. */
static size_t
word_char_len(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;

    if (IS_ALPHA(p[0]))
        return 1;
    if (n < 2 || (p[1] & 0xc0) != 0x80)
        return 0;
    if (p[0] == 0xc3 && (p[1] == 0x97 || p[1] == 0xb7))
        return 0;
    if ((p[0] >= 0xc3 && p[0] <= 0xc9) || (p[0] >= 0xd0 && p[0] <= 0xd3))
        return 2;
    return 0;
}

/*
 * Compare s[0..n) case folded with the lower-case word w: 0 when equal, 1 when s is a
 * proper prefix of w, -1 otherwise.  *chars gets the characters of s compared.
 */
static int
fold_cmp(const char *s, size_t n, const char *w, size_t *chars)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t wi = 0, wn = strlen(w), len, k;
    unsigned char f[2];

    *chars = 0;
    for (size_t i = 0; i < n; i += len) {
        k = utf8_fold_char(p + i, n - i, &len, f);
        if (wi + k > wn || memcmp(w + wi, f, k) != 0)
            return -1;
        wi += k;
        (*chars)++;
    }
    return wi == wn ? 0 : 1;
}

/* Is s[0..n) the word w (lower case), any case? */
static bool
fold_eq(const char *s, size_t n, const char *w)
{
    size_t chars;

    return fold_cmp(s, n, w, &chars) == 0;
}

static int
tokenize(const char *s, size_t n, struct tok *t, size_t max, size_t *nt)
{
    size_t i = 0, k = 0, sp;

    while (i < n) {
        unsigned char ch = (unsigned char)s[i];

        if (IS_SPACE(ch)) {
            i++;
            continue;
        }
        if ((sp = utf8_space_len((const unsigned char *)s + i, n - i)) > 0) {
            i += sp;
            continue;
        }
        if (k == max)
            return -1;
        t[k].p = s + i;
        t[k].num = 0;
        if (IS_DIGIT(ch)) {
            size_t j = i;

            while (j < n && IS_DIGIT(s[j])) {
                if (j - i < 9)
                    t[k].num = t[k].num * 10 + (s[j] - '0');
                j++;
            }
            t[k].kind = TK_NUM;
            t[k].n = j - i;
            i = j;
        } else if (word_char_len(s + i, n - i) > 0) {
            size_t j = i, w;

            while (j < n && (w = word_char_len(s + j, n - j)) > 0)
                j += w;
            t[k].kind = TK_WORD;
            t[k].n = j - i;
            i = j;
        } else {
            size_t j = i + 1;

            if (ch >= 0x80)
                while (j < n && ((unsigned char)s[j] & 0xc0) == 0x80)
                    j++;
            t[k].kind = TK_PUNCT;
            t[k].n = j - i;
            i = j;
        }
        k++;
    }
    *nt = k;
    return 0;
}

static const struct tok *
cur(const struct dparse *p)
{
    return p->i < p->n ? &p->t[p->i] : NULL;
}

static bool
tok_is_word(const struct tok *t, const char *w)
{
    return t != NULL && t->kind == TK_WORD && fold_eq(t->p, t->n, w);
}

static bool
tok_is_punct(const struct tok *t, char c)
{
    return t != NULL && t->kind == TK_PUNCT && t->n == 1 && t->p[0] == c;
}

static bool
tok_is_num(const struct tok *t, size_t mindig, size_t maxdig)
{
    return t != NULL && t->kind == TK_NUM && t->n >= mindig && t->n <= maxdig;
}

static bool
accept_punct(struct dparse *p, char c)
{
    if (!tok_is_punct(cur(p), c))
        return false;
    p->i++;
    return true;
}

static bool
accept_word(struct dparse *p, const char *w)
{
    if (!tok_is_word(cur(p), w))
        return false;
    p->i++;
    return true;
}

/* The suffix of "19th", "1st". */
static void
accept_ordinal(struct dparse *p)
{
    if (!accept_word(p, "st") && !accept_word(p, "nd") && !accept_word(p, "rd") &&
        !accept_word(p, "th"))
        accept_word(p, "er");                   /* French: 1er mars */
}

/* Is t one of the characters of set, a string of UTF-8 characters ("年년")? */
static bool
tok_in_set(const struct tok *t, const char *set)
{
    if (t == NULL || t->kind != TK_PUNCT)
        return false;
    for (const char *q = set; *q != '\0'; ) {
        size_t k = 1;

        while (((unsigned char)q[k] & 0xc0) == 0x80)
            k++;
        if (k == t->n && memcmp(q, t->p, k) == 0)
            return true;
        q += k;
    }
    return false;
}

static bool
accept_in_set(struct dparse *p, const char *set)
{
    if (!tok_in_set(cur(p), set))
        return false;
    p->i++;
    return true;
}

/* A weekday after a CJK date: "(金)", "（金曜日）", "(금)", "星期五", "周五". */
static void
accept_cjk_weekday(struct dparse *p)
{
    static const char zh_days[] = "一二三四五六日天";
    size_t save = p->i;
    bool ok, paren = accept_punct(p, '(') || accept_in_set(p, "（");

    if (accept_in_set(p, "星")) {
        ok = accept_in_set(p, "期") && accept_in_set(p, zh_days);
    } else if (accept_in_set(p, "周週")) {
        ok = accept_in_set(p, zh_days);
    } else if (accept_in_set(p, "日月火水木金土일월화수목금토")) {
        bool yobi = accept_in_set(p, "曜");

        if (yobi)
            accept_in_set(p, "日");
        ok = paren || yobi;                 /* a bare "月" is not a weekday */
    } else {
        ok = false;
    }
    if (ok && paren)
        ok = accept_punct(p, ')') || accept_in_set(p, "）");
    if (!ok)
        p->i = save;
}

/* 1..12 for a month name or an abbreviation that starts one month's names only ("Oct",
 * "Sept", "févr"; "jui" is juin or juillet: none), else 0. */
static int
month_of(const struct tok *t)
{
    int found = 0;

    if (t == NULL || t->kind != TK_WORD)
        return 0;
    for (int m = 0; m < 12; m++) {
        for (size_t i = 0; i < ARRAY_LEN(month_names[m]) && month_names[m][i] != NULL; i++) {
            size_t chars;
            int r = fold_cmp(t->p, t->n, month_names[m][i], &chars);

            if (r == 0)
                return m + 1;
            if (r == 1 && chars >= 3) {
                if (found != 0 && found != m + 1)
                    return 0;
                found = m + 1;
            }
        }
    }
    return found;
}

static bool
is_weekday(const struct tok *t)
{
    static const char *const abbr[] = { "tues", "thur", "thurs" };

    if (t == NULL || t->kind != TK_WORD || t->n < 3)
        return false;
    for (size_t i = 0; i < ARRAY_LEN(day_names); i++)
        if ((t->n == 3 || t->n == strlen(day_names[i])) &&
            ascii_strncasecmp(t->p, day_names[i], t->n) == 0)
            return true;
    for (size_t i = 0; i < ARRAY_LEN(abbr); i++)
        if (tok_is_word(t, abbr[i]))
            return true;
    for (size_t i = 0; i < ARRAY_LEN(day_names_intl); i++)
        if (tok_is_word(t, day_names_intl[i]))
            return true;
    return false;
}

static bool
is_date_label(const struct tok *t)
{
    for (size_t i = 0; i < ARRAY_LEN(date_labels); i++)
        if (tok_is_word(t, date_labels[i]))
            return true;
    return false;
}

static bool
is_leap(long y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(long y, int m)
{
    static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Seconds since the epoch of y-m-d h:mi (UTC), by timegm(3). */
static time_t
utc_time(long y, int m, int d, int h, int mi)
{
    struct tm tm = { 0 };

    tm.tm_year = (int)(y - 1900);
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    return timegm(&tm);
}

/* Day of the month of the nth Sunday of y-m (nth 0: the last one). */
static int
nth_sunday(long y, int m, int nth)
{
    time_t t = utc_time(y, m, 1, 0, 0);
    struct tm tm;
    long wd = gmtime_r(&t, &tm) != NULL ? tm.tm_wday : 0;         /* 0 = Sunday */
    int day = 1 + (int)((7 - wd) % 7);

    if (nth > 0)
        return day + 7 * (nth - 1);
    while (day + 7 <= days_in_month(y, m))
        day += 7;
    return day;
}

/* US daylight saving time at local y-m-d h:00 (Energy Policy Act of 2005 from 2007:
 * second Sunday of March to first Sunday of November, 2 a.m.; before: April to October). */
static bool
us_dst(long y, int m, int d, int h)
{
    int start, end, key = m * 100 + d;

    if (y >= 2007) {
        start = 300 + nth_sunday(y, 3, 2);
        end = 1100 + nth_sunday(y, 11, 1);
    } else {
        start = 400 + nth_sunday(y, 4, 1);
        end = 1000 + nth_sunday(y, 10, 0);
    }
    if (key == start)
        return h >= 2;
    if (key == end)
        return h < 1;
    return key > start && key < end;
}

/* "am"/"pm"/"a.m."/"p.m." at p: 1 am, 2 pm, 0 none (consumed when found). */
static int
accept_ampm(struct dparse *p)
{
    const struct tok *t = cur(p);

    if (tok_is_word(t, "am") || tok_is_word(t, "pm")) {
        p->i++;
        return TO_LOWER((unsigned char)t->p[0]) == 'a' ? 1 : 2;
    }
    if ((tok_is_word(t, "a") || tok_is_word(t, "p")) && p->i + 2 < p->n + 1 &&
        tok_is_punct(p->i + 1 < p->n ? &p->t[p->i + 1] : NULL, '.') &&
        tok_is_word(p->i + 2 < p->n ? &p->t[p->i + 2] : NULL, "m")) {
        int r = TO_LOWER((unsigned char)t->p[0]) == 'a' ? 1 : 2;

        p->i += 3;
        accept_punct(p, '.');
        return r;
    }
    return 0;
}

/* A time of day at p: 1 found, 0 none (nothing consumed), -1 out of range. */
static int
parse_time(struct dparse *p, int *h, int *mi, int *se)
{
    size_t save = p->i;
    bool minutes = false;
    int ampm;

    if (!tok_is_num(cur(p), 1, 2))
        return 0;
    *h = (int)cur(p)->num;
    *mi = *se = 0;
    p->i++;
    if (accept_in_set(p, "時时点시")) {         /* CJK: 18時30分, 8点, 9시 30분 */
        minutes = true;
        if (tok_is_num(cur(p), 1, 2) && p->i + 1 < p->n &&
            tok_in_set(&p->t[p->i + 1], "分분")) {
            *mi = (int)cur(p)->num;
            p->i += 2;
            if (tok_is_num(cur(p), 1, 2) && p->i + 1 < p->n &&
                tok_in_set(&p->t[p->i + 1], "秒초")) {
                *se = (int)cur(p)->num;
                p->i += 2;
            }
        }
    } else if ((tok_is_punct(cur(p), ':') || tok_is_punct(cur(p), '.')) && p->i + 1 < p->n &&
        tok_is_num(&p->t[p->i + 1], 2, 2)) {
        *mi = (int)p->t[p->i + 1].num;
        p->i += 2;
        minutes = true;
        if (tok_is_punct(cur(p), ':') && p->i + 1 < p->n && tok_is_num(&p->t[p->i + 1], 2, 2)) {
            *se = (int)p->t[p->i + 1].num;
            p->i += 2;
            if ((tok_is_punct(cur(p), '.') || tok_is_punct(cur(p), ',')) &&
                p->i + 1 < p->n && tok_is_num(&p->t[p->i + 1], 1, 9))
                p->i += 2;                          /* fraction of a second */
        }
    }
    if (!minutes && tok_is_word(cur(p), "h")) {        /* French: 16h30, 16h */
        p->i++;
        minutes = true;
        if (tok_is_num(cur(p), 2, 2)) {
            *mi = (int)cur(p)->num;
            p->i++;
        }
    }
    if (accept_word(p, "uhr"))                          /* German: 10 Uhr, 10.30 Uhr */
        minutes = true;
    ampm = accept_ampm(p);
    if (!minutes && ampm == 0) {
        p->i = save;
        return 0;
    }
    if (ampm != 0) {
        if (*h < 1 || *h > 12)
            return -1;
        *h = (*h % 12) + (ampm == 2 ? 12 : 0);
    }
    if (*h > 23 || *mi > 59 || *se > 60)
        return -1;
    if (*se == 60)
        *se = 59;                                   /* a leap second: close enough */
    return 1;
}

/* "+hhmm", "+hh:mm", "+hh" at p into minutes: 1 found, 0 none, -1 out of range. */
static int
parse_offset(struct dparse *p, int *off)
{
    const struct tok *t = cur(p);
    int sign, hh, mm = 0;

    if (!tok_is_punct(t, '+') && !tok_is_punct(t, '-'))
        return 0;
    if (p->i + 1 >= p->n)
        return 0;
    sign = t->p[0] == '-' ? -1 : 1;
    t = &p->t[p->i + 1];
    if (tok_is_num(t, 4, 4)) {
        hh = (int)t->num / 100;
        mm = (int)t->num % 100;
        p->i += 2;
    } else if (tok_is_num(t, 1, 2)) {
        hh = (int)t->num;
        p->i += 2;
        if (tok_is_punct(cur(p), ':') && p->i + 1 < p->n && tok_is_num(&p->t[p->i + 1], 2, 2)) {
            mm = (int)p->t[p->i + 1].num;
            p->i += 2;
        }
    } else {
        return 0;
    }
    if (hh > 14 || mm > 59)
        return -1;
    *off = sign * (hh * 60 + mm);
    return 1;
}

static const struct zone *
zone_of(const struct tok *t)
{
    if (t == NULL || t->kind != TK_WORD)
        return NULL;
    for (size_t i = 0; i < ARRAY_LEN(zones); i++)
        if (t->n == strlen(zones[i].name) && ascii_strncasecmp(t->p, zones[i].name, t->n) == 0)
            return &zones[i];
    return NULL;
}

/* An abbreviation we do not know ("WIB"): 2 to 5 capital letters. */
static bool
looks_like_zone(const struct tok *t)
{
    if (t == NULL || t->kind != TK_WORD || t->n < 2 || t->n > 5)
        return false;
    for (size_t i = 0; i < t->n; i++)
        if (t->p[i] < 'A' || t->p[i] > 'Z')
            return false;
    return true;
}

struct dzone {
    int kind;                   /* 0 none, 1 known, 2 an unknown abbreviation */
    int off;
    const struct zone *z;
};

/* A zone at p: 1 found, 0 none, -1 invalid. */
static int
parse_zone(struct dparse *p, struct dzone *z)
{
    bool paren = false;
    int r, extra = 0;

    if (tok_is_punct(cur(p), '(') && p->i + 2 < p->n && p->t[p->i + 1].kind == TK_WORD &&
        tok_is_punct(&p->t[p->i + 2], ')')) {
        paren = true;
        p->i++;
    }
    if ((z->z = zone_of(cur(p))) != NULL) {
        p->i++;
        z->kind = 1;
        z->off = z->z->off;
        if (z->z->off == 0 && !z->z->eu && (r = parse_offset(p, &extra)) != 0) {
            if (r == -1)
                return -1;
            z->off = extra;                         /* "GMT+1", "UTC-05:00" */
        }
    } else if (looks_like_zone(cur(p))) {
        p->i++;
        z->kind = 2;
    } else if (!paren && (r = parse_offset(p, &z->off)) != 0) {
        if (r == -1)
            return -1;
        z->kind = 1;
    } else {
        if (paren)
            p->i--;
        return 0;
    }
    if (paren)
        p->i++;                                     /* the ')' */
    /* RFC 5322 3.3 allows a comment after the zone: "+0100 (BST)". */
    if (tok_is_punct(cur(p), '(')) {
        while (p->i < p->n && !tok_is_punct(cur(p), ')'))
            p->i++;
        if (!accept_punct(p, ')'))
            return -1;
    }
    return 1;
}

/* Year from a 2- or 4-digit number (RFC 5322 4.3: 00-49 are 20xx, 50-99 are 19xx). */
static long
full_year(const struct tok *t)
{
    if (t->n == 2)
        return t->num < 50 ? 2000 + t->num : 1900 + t->num;
    return t->num;
}

/*
 * "YYYY-MM-DD", or when h >= 0 "YYYY-MM-DDTHH:MM:SS" followed by the zone as printed: "Z"
 * for UTC/GMT, "+hh:mm" for an offset, nothing for no zone; y is in 1900..2199.
 */
static void
format_iso(char iso[NEWSDATE_ISO_MAX], long y, int mo, int d, int h, int mi, int s,
    bool zoned, int off)
{
    const int parts[] = { mo, d, h, mi, s };
    static const char seps[] = "--T::";
    size_t k = 0;

    for (int i = 3; i >= 0; i--, y /= 10)
        iso[i] = (char)('0' + y % 10);
    k = 4;
    for (size_t i = 0; i < ARRAY_LEN(parts) && (i < 2 || h >= 0); i++) {
        iso[k++] = seps[i];
        iso[k++] = (char)('0' + parts[i] / 10 % 10);
        iso[k++] = (char)('0' + parts[i] % 10);
    }
    if (h >= 0 && zoned && off == 0) {
        iso[k++] = 'Z';
    } else if (h >= 0 && zoned) {
        int a = off < 0 ? -off : off;

        iso[k++] = off < 0 ? '-' : '+';
        iso[k++] = (char)('0' + a / 600);
        iso[k++] = (char)('0' + a / 60 % 10);
        iso[k++] = ':';
        iso[k++] = (char)('0' + a % 60 / 10);
        iso[k++] = (char)('0' + a % 10);
    }
    iso[k] = '\0';
}

/* What a date says, as it is read. */
struct dval {
    long y;
    int mo, da, h, mi, se;
    int na, nb;                 /* a numeric date's first two numbers (order undecided) */
    bool numeric, ctime_year;
    char sep;
    struct dzone zone;
    int order;                  /* NEWSDATE_* hint for numeric dates */
};

/* CJK year first: 2014年10月19日, 2014년 10월 19일. */
static int
parse_cjk_ymd(struct dparse *p, struct dval *v)
{
    v->y = cur(p)->num;
    p->i += 2;
    if (!tok_is_num(cur(p), 1, 2))
        return -1;
    v->mo = (int)cur(p)->num;
    p->i++;
    if (!accept_in_set(p, "月월") || !tok_is_num(cur(p), 1, 2))
        return -1;
    v->da = (int)cur(p)->num;
    p->i++;
    if (!accept_in_set(p, "日일"))
        return -1;
    accept_cjk_weekday(p);
    return 0;
}

/* Year first: 2014-10-19, 2014/10/19, 2014.10.19. */
static int
parse_iso_ymd(struct dparse *p, struct dval *v)
{
    v->y = cur(p)->num;
    p->i++;
    if (!(tok_is_punct(cur(p), '-') || tok_is_punct(cur(p), '/') || tok_is_punct(cur(p), '.')))
        return -1;
    v->sep = cur(p)->p[0];
    p->i++;
    if (!tok_is_num(cur(p), 1, 2))
        return -1;
    v->mo = (int)cur(p)->num;
    p->i++;
    if (!accept_punct(p, v->sep) || !tok_is_num(cur(p), 1, 2))
        return -1;
    v->da = (int)cur(p)->num;
    p->i++;
    return 0;
}

/* Day or month first: 10/19/2014, 19.10.2014, 19 Oct 2014, 19th of October 2014. */
static int
parse_day_first(struct dparse *p, struct dval *v)
{
    v->na = (int)cur(p)->num;
    p->i++;
    if ((tok_is_punct(cur(p), '/') || tok_is_punct(cur(p), '-') || tok_is_punct(cur(p), '.')) &&
        p->i + 1 < p->n && tok_is_num(&p->t[p->i + 1], 1, 2)) {
        v->sep = cur(p)->p[0];
        v->nb = (int)p->t[p->i + 1].num;
        p->i += 2;
        if (!accept_punct(p, v->sep) || !(tok_is_num(cur(p), 4, 4) || tok_is_num(cur(p), 2, 2)))
            return -1;
        v->y = full_year(cur(p));
        p->i++;
        v->numeric = true;
        return 0;
    }
    accept_punct(p, '.');                       /* German: 5. März */
    accept_ordinal(p);
    accept_punct(p, '-');
    if (!accept_word(p, "of") && !accept_word(p, "de"))
        accept_word(p, "del");
    if ((v->mo = month_of(cur(p))) == 0)
        return -1;
    p->i++;
    accept_punct(p, '.');
    if (!accept_punct(p, '-'))
        accept_punct(p, ',');
    if (!accept_word(p, "de"))                  /* 5 de marzo de 2024 */
        accept_word(p, "del");
    if (!tok_is_num(cur(p), 4, 4) && !tok_is_num(cur(p), 2, 2))
        return -1;
    v->y = full_year(cur(p));
    v->da = v->na;
    p->i++;
    if (accept_word(p, "г"))                    /* Russian: 5 марта 2024 г. */
        accept_punct(p, '.');
    else
        accept_word(p, "года");
    return 0;
}

/* Month first: Oct 19, 2014; Oct 19 16:55:00 2014 (asctime(3): the year comes last). */
static int
parse_month_first(struct dparse *p, struct dval *v)
{
    p->i++;
    accept_punct(p, '.');
    if (!tok_is_num(cur(p), 1, 2))
        return -1;
    v->da = (int)cur(p)->num;
    p->i++;
    accept_ordinal(p);
    accept_punct(p, ',');
    if (tok_is_num(cur(p), 4, 4)) {
        v->y = cur(p)->num;
        p->i++;
    } else {
        v->ctime_year = true;
    }
    return 0;
}

/* The calendar date at p, after labels and a weekday: 0 or -1. */
static int
parse_ymd(struct dparse *p, struct dval *v)
{
    while (is_date_label(cur(p))) {
        p->i++;
        accept_punct(p, ':');
    }
    if (is_weekday(cur(p))) {
        p->i++;
        if (tok_is_punct(cur(p), '-') && p->i + 1 < p->n && tok_is_word(&p->t[p->i + 1], "feira"))
            p->i += 2;                          /* Portuguese: segunda-feira */
        accept_punct(p, '.');
        accept_punct(p, ',');
    }
    if (tok_is_num(cur(p), 4, 4) && p->i + 1 < p->n && tok_in_set(&p->t[p->i + 1], "年년"))
        return parse_cjk_ymd(p, v);
    if (tok_is_num(cur(p), 4, 4))
        return parse_iso_ymd(p, v);
    if (tok_is_num(cur(p), 1, 2))
        return parse_day_first(p, v);
    if ((v->mo = month_of(cur(p))) != 0)
        return parse_month_first(p, v);
    return -1;
}

/* The time, zone and trailing year after the calendar date; all tokens used: 0 or -1. */
static int
parse_rest(struct dparse *p, struct dval *v)
{
    /* Between the date and the time: "," "-" "|" "@" "at" "à" "um" "T" (ISO 8601)... */
    for (bool more = true; more; ) {
        more = accept_punct(p, ',') || accept_punct(p, '-') || accept_punct(p, '|') ||
            accept_punct(p, '@');
        for (size_t i = 0; i < ARRAY_LEN(time_joiners) && !more; i++)
            more = accept_word(p, time_joiners[i]);
    }
    if (p->i < p->n && cur(p)->kind == TK_NUM && !(v->ctime_year && tok_is_num(cur(p), 4, 4))) {
        if (parse_time(p, &v->h, &v->mi, &v->se) != 1)
            return -1;
    }
    if (parse_zone(p, &v->zone) == -1)
        return -1;
    if (v->ctime_year) {
        if (!tok_is_num(cur(p), 4, 4))
            return -1;
        v->y = cur(p)->num;
        p->i++;
    }
    if (!accept_punct(p, '.'))
        accept_punct(p, ',');
    return p->i == p->n ? 0 : -1;
}

/* Numeric dates: day first with dots, a first number > 12 or a European zone. */
static void
order_numeric(struct dval *v)
{
    if (!v->numeric)
        return;
    if (v->nb > 12) {
        v->mo = v->na;
        v->da = v->nb;
    } else if (v->sep == '.' || v->na > 12 || v->order == NEWSDATE_DAY_FIRST ||
        (v->order != NEWSDATE_MONTH_FIRST && v->zone.z != NULL && v->zone.z->eu)) {
        v->da = v->na;
        v->mo = v->nb;
    } else {
        v->mo = v->na;
        v->da = v->nb;
    }
}

int
newsdate_parse_order(const char *s, size_t n, int order, char iso[NEWSDATE_ISO_MAX])
{
    struct tok t[DATE_MAX_TOKENS];
    struct dparse p = { t, 0, 0 };
    struct dval v = { .y = -1, .h = -1, .order = order };
    int off;

    iso[0] = '\0';
    if (tokenize(s, n, t, ARRAY_LEN(t), &p.n) == -1 || p.n == 0)
        return -1;
    if (parse_ymd(&p, &v) == -1 || parse_rest(&p, &v) == -1)
        return -1;
    order_numeric(&v);
    if (v.y < 1900 || v.y > 2199 || v.mo < 1 || v.mo > 12 || v.da < 1 ||
        v.da > days_in_month(v.y, v.mo))
        return -1;
    if (v.h < 0 || v.zone.kind == 2) {
        /* No time, or a zone we do not know: the printed day is still the day. */
        format_iso(iso, v.y, v.mo, v.da, -1, 0, 0, false, 0);
        return v.h < 0 ? 0 : 1;
    }
    off = v.zone.off;
    if (v.zone.z != NULL && v.zone.z->us && us_dst(v.y, v.mo, v.da, v.h))
        off += 60;
    format_iso(iso, v.y, v.mo, v.da, v.h, v.mi, v.se, v.zone.kind == 1, off);
    return 0;
}

int
newsdate_parse(const char *s, size_t n, char iso[NEWSDATE_ISO_MAX])
{
    return newsdate_parse_order(s, n, NEWSDATE_ANY, iso);
}

bool
newsdate_can_start(const char *s, size_t n)
{
    struct tok t;
    size_t k = 0, w;

    while (k < n && (s[k] == '(' || s[k] == '['))
        k++;
    if (k == n)
        return false;
    if (IS_DIGIT(s[k]))
        return true;
    t.kind = TK_WORD;
    t.p = s + k;
    t.n = 0;
    while (k + t.n < n && (w = word_char_len(s + k + t.n, n - k - t.n)) > 0)
        t.n += w;
    return month_of(&t) != 0 || is_weekday(&t);
}

bool
newsdate_is_relative(const char *s, size_t n, size_t *start)
{
    static const char *const units[] = {
        "second", "seconds", "min", "mins", "minute", "minutes", "hour", "hours", "hr",
        "hrs", "day", "days", "week", "weeks", "month", "months", "year", "years",
    };
    struct tok t[DATE_MAX_TOKENS];
    struct dparse p = { t, 0, 0 };
    bool unit = false;

    if (tokenize(s, n, t, ARRAY_LEN(t), &p.n) == -1)
        return false;
    while (is_date_label(cur(&p))) {
        p.i++;
        accept_punct(&p, ':');
    }
    if (p.i + 2 >= p.n)
        return false;
    *start = (size_t)(cur(&p)->p - s);
    for (size_t i = 0; i < ARRAY_LEN(units); i++)
        unit = unit || tok_is_word(&t[p.i + 1], units[i]);
    if (!(tok_is_num(cur(&p), 1, 3) || tok_is_word(cur(&p), "an") ||
        tok_is_word(cur(&p), "a")) || !unit || !tok_is_word(&t[p.i + 2], "ago"))
        return false;
    p.i += 3;
    accept_punct(&p, '.');
    return p.i == p.n;
}

bool
newsdate_is_label(const char *s, size_t n)
{
    for (size_t i = 0; i < ARRAY_LEN(date_labels); i++)
        if (fold_eq(s, n, date_labels[i]))
            return true;
    return false;
}
