/*
 * newsdate: dates as news sites print them, for the article readers: RFC 5322 3.3,
 * ISO 8601 / RFC 3339, US and UK newspaper styles ("Sun Oct 19, 2014 4:55PM GMT",
 * "19th October 2014 16.55 BST", "10/19/2014"), ctime, CJK ("2024年3月15日").
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_NEWSDATE_H
#define GAZETTE_NEWSDATE_H

#include <stdbool.h>
#include <stddef.h>

/* Room for the ISO 8601 form we write ("2014-10-19T16:55:00Z" is 20) plus a NUL. */
#define NEWSDATE_ISO_MAX 32

/* How to read an ambiguous numeric date such as 03/10/2014. */
#define NEWSDATE_ANY 0          /* month first unless a number > 12 or the zone says else */
#define NEWSDATE_DAY_FIRST 1    /* the page's language writes the day first */
#define NEWSDATE_MONTH_FIRST 2

/*
 * Parse s[0..n) as one complete date (a leading label such as "Updated:", "Publié le" and a
 * weekday are skipped) and write it to iso as printed, never moved to another zone:
 * "YYYY-MM-DD" for a date; "YYYY-MM-DDTHH:MM:SS" for a time without a zone, followed by
 * "Z" (UTC, GMT) or the offset ("+01:00" for BST, "-04:00" for EDT, US zones by their
 * daylight saving rules).  Month names in English, French, German, Spanish, Italian,
 * Portuguese, Dutch and Russian, CJK 年月日.  Numeric dates: a number > 12 decides the
 * order, then dots (day first), then order, then a European zone; else month first.
 * Returns 0 (iso written), 1 (a time in a zone we do not know: iso is the day alone) or -1
 * (not a date; iso empty).
 */
int newsdate_parse_order(const char *s, size_t n, int order, char iso[NEWSDATE_ISO_MAX]);

/* newsdate_parse_order() with NEWSDATE_ANY. */
int newsdate_parse(const char *s, size_t n, char iso[NEWSDATE_ISO_MAX]);

/* Can a date start at this word (s[0..n), brackets allowed): a digit, month or weekday. */
bool newsdate_can_start(const char *s, size_t n);

/*
 * Is s[0..n) a relative date alone ("3 hours ago", "Published an hour ago")?  On true,
 * *start is where the date proper begins (after the label).
 */
bool newsdate_is_relative(const char *s, size_t n, size_t *start);

/* Is s[0..n) a word that only labels a date ("updated", "posted", "on"; any case)? */
bool newsdate_is_label(const char *s, size_t n);

#endif
