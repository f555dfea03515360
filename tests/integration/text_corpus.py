#!/usr/bin/python3
# text_corpus.py [options] CORPUS_DIR: the scraped-text reader on pages it was not written
# for.  Each CORPUS_DIR/NAME/source.html (Mozilla Readability's test pages) is turned into
# the plain text a person copying the page would get (one line per block, scripts, styles
# and <head> left out, entities decoded), `gazette articles --format json` reads that text,
# and the result is scored the way tests/tools/html_corpus.c scores the HTML reader: the
# title against expected-metadata.json (whitespace collapsed; "normalised" also ignores
# case, quote and dash shapes, and a "Title | Site" suffix the visible text never shows;
# a third figure also takes the page's <h1>, the headline a reader sees),
# the date's day, and the body as the F1 of word 4-gram shingles against the text of
# expected.html.  Figures are printed for the whole corpus and for its two halves (pages
# in even and odd positions of the sorted names: develop on one, check on the other).
# Prints "ok"/"not ok" lines for the floors given; "#" lines for the figures and misses.
# SPDX-License-Identifier: MIT
import argparse
import html.parser
import json
import os
import re
import subprocess
import sys
import unicodedata

DROP = {'script', 'style', 'noscript', 'template', 'head', 'svg', 'title'}
BLOCK = {'p', 'div', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'li', 'td', 'th', 'tr', 'br',
         'section', 'article', 'header', 'footer', 'nav', 'figcaption', 'blockquote',
         'pre', 'ul', 'ol', 'dl', 'dt', 'dd', 'table', 'main', 'aside', 'figure', 'hr',
         'form', 'address', 'caption', 'body', 'html'}
VOID = {'br', 'hr', 'img', 'input', 'meta', 'link', 'area', 'base', 'col', 'embed',
        'source', 'track', 'wbr', 'param'}


class Scraper(html.parser.HTMLParser):
    """The visible text of a page, one block per line, as a browser's copy gives it."""

    def __init__(self, keep_pre=True):
        super().__init__(convert_charrefs=True)
        self.lines, self.cur, self.skip, self.pre = [], [], [], 0
        self.keep_pre = keep_pre
        self.h1, self.in_h1 = [], 0

    def flush(self):
        text = ''.join(self.cur)
        self.cur = []
        parts = text.split('\n') if self.pre and self.keep_pre else [text]
        for part in parts:
            self.lines.append(' '.join(part.split()))

    def handle_starttag(self, tag, attrs):
        if tag in DROP and tag not in VOID:
            self.skip.append(tag)
            return
        if self.skip:
            return
        if tag in BLOCK:
            self.flush()
        if tag == 'pre':
            self.pre += 1
        if tag == 'h1':
            self.in_h1 += 1
            self.h1.append('')

    def handle_startendtag(self, tag, attrs):
        if not self.skip and tag in BLOCK:
            self.flush()

    def handle_endtag(self, tag):
        if self.skip:
            if tag == self.skip[-1]:
                self.skip.pop()
            elif tag in self.skip:
                while self.skip and self.skip.pop() != tag:
                    pass
            return
        if tag in BLOCK:
            self.flush()
        if tag == 'pre' and self.pre:
            self.pre -= 1
        if tag == 'h1' and self.in_h1:
            self.in_h1 -= 1

    def handle_data(self, data):
        if not self.skip:
            self.cur.append(data)
            if self.in_h1:
                self.h1[-1] += data

    def text(self):
        self.flush()
        out, blank = [], False
        for line in self.lines:
            if line.strip():
                if blank and out:
                    out.append('')
                out.append(line)
                blank = False
            else:
                blank = True
        return '\n'.join(out) + '\n'


def scrape(page_html):
    """Scraped text (every non-empty block on its own line, blocks apart by a blank line
    where the page had an empty block between them, runs of blank lines collapsed) and the
    texts of the page's <h1> elements."""
    s = Scraper()
    s.feed(page_html)
    s.close()
    return s.text(), [squeeze(h) for h in s.h1 if h.strip()]


class AllText(html.parser.HTMLParser):
    """All the text of an HTML fragment, blocks apart by a space."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []

    def handle_starttag(self, tag, attrs):
        if tag in BLOCK:
            self.parts.append(' ')

    def handle_endtag(self, tag):
        if tag in BLOCK:
            self.parts.append(' ')

    def handle_data(self, data):
        self.parts.append(data)


def all_text(fragment):
    p = AllText()
    p.feed(fragment)
    p.close()
    return ''.join(p.parts)


def is_cjk(c):
    return (0x3040 <= c <= 0x30ff or 0x3400 <= c <= 0x9fff or 0xf900 <= c <= 0xfaff or
            0xac00 <= c <= 0xd7af or 0xff66 <= c <= 0xff9f or 0x20000 <= c <= 0x2fa1f)


def is_sep(c):
    if c < 0x80:
        return not (48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122)
    return (c == 0xa0 or 0x2000 <= c <= 0x206f or 0x3000 <= c <= 0x303f or
            0xff00 <= c <= 0xff0f or 0xff1a <= c <= 0xff20 or 0xff3b <= c <= 0xff40 or
            0xff5b <= c <= 0xff65 or c == 0xfffd or 0xa1 <= c <= 0xbf or c in (0xd7, 0xf7))


def words(s):
    """Runs of letters and digits (ASCII lower-cased), each CJK character alone: the
    tokens of html_corpus.c's shingles()."""
    out, cur = [], []
    for ch in s:
        c = ord(ch)
        if is_sep(c) or is_cjk(c):
            if cur:
                out.append(''.join(cur))
                cur = []
            if is_cjk(c):
                out.append(ch)
            continue
        cur.append(ch.lower() if c < 0x80 else ch)
    if cur:
        out.append(''.join(cur))
    return out


def shingles(s):
    w = words(s)
    if len(w) < 4:
        return [(x,) for x in w]
    return [tuple(w[i:i + 4]) for i in range(len(w) - 3)]


def f1(got, want):
    a, b = shingles(got), shingles(want)
    if not a and not b:
        return 1.0
    counts = {}
    for x in b:
        counts[x] = counts.get(x, 0) + 1
    common = 0
    for x in a:
        if counts.get(x, 0) > 0:
            counts[x] -= 1
            common += 1
    if common == 0:
        return 0.0
    p, r = common / len(a), common / len(b)
    return 2 * p * r / (p + r)


def squeeze(s):
    return ' '.join(s.replace('\xa0', ' ').split())


QUOTES = str.maketrans({'\u2018': "'", '\u2019': "'", '\u201c': '"', '\u201d': '"',
                        '\u2013': '-', '\u2014': '-', '\u00ab': '"', '\u00bb': '"'})
SUFFIX = re.compile(r'\s+(?:\||-|\u2013|\u2014|::|\u00b7|\u2022|/)\s+|\s*_\s*')


def norm(s):
    s = unicodedata.normalize('NFKC', s).translate(QUOTES)
    return ' '.join(s.casefold().split())


def title_match(got, want):
    """(exact, normalised): exact after collapsing whitespace; normalised also ignores
    case, quote and dash shapes, and a site name before or after " | " / " - " in the
    expected title (Readability's comes from <title>, which scraped text never shows)."""
    if got is None:
        return False, False
    if squeeze(got) == squeeze(want):
        return True, True
    g, w = norm(got), norm(want)
    if g == w:
        return False, True
    parts = SUFFIX.split(w)
    for i in range(1, len(parts)):
        if g in (norm(' - '.join(parts[:i])), norm(' - '.join(parts[i:]))):
            return False, True
    return False, False


DAY = re.compile(r'^(\d{4})-(\d\d)-(\d\d)')


def load_overrides(path):
    over = {}
    if not path or not os.path.exists(path):
        return over
    with open(path, encoding='utf-8') as f:
        for line in f:
            if line.startswith('#'):
                continue
            cols = line.rstrip('\n').split('\t')
            if len(cols) >= 4 and cols[3]:
                over[(cols[0], cols[1])] = cols[2] or None
    return over


def expected(meta, over, page, field):
    if (page, field) in over:
        return over[(page, field)]
    v = meta.get(field)
    return v if isinstance(v, str) and v else None


def read_page(gazette, txt):
    """gazette's article for the text file, or (None, its error)."""
    r = subprocess.run([gazette, 'articles', '--format', 'json', txt], capture_output=True,
                       text=True, errors='replace')
    if r.returncode != 0:
        return None, (r.stderr.strip().splitlines() or ['exit %d' % r.returncode])[-1]
    try:
        return json.loads(r.stdout)[0], None
    except (ValueError, IndexError) as e:
        return None, 'bad JSON: %s' % e


class Totals:
    def __init__(self):
        self.pages = self.failed = self.titles = self.exact = self.normal = 0
        self.shown = self.shown_hits = self.h1_hits = 0
        self.dates = self.date_hits = 0
        self.f1sum = 0.0

    def line(self, name):
        pct = (lambda a, b: 100.0 * a / b if b else 100.0)
        return ('# %-4s pages %3d  title %5.1f%% (normalised %5.1f%%, or the <h1> %5.1f%%, '
                'where shown %5.1f%% of %d)  date %5.1f%% of %d  body F1 %.4f  failed %d' %
                (name, self.pages, pct(self.exact, self.titles), pct(self.normal, self.titles),
                 pct(self.h1_hits, self.titles), pct(self.shown_hits, self.shown), self.shown,
                                             pct(self.date_hits, self.dates), self.dates,
                                             self.f1sum / self.pages if self.pages else 0,
                                             self.failed))


def score_page(args, page, work, over, totals, verbose):
    d = os.path.join(args.corpus, page)
    with open(os.path.join(d, 'source.html'), encoding='utf-8', errors='replace') as f:
        text, h1s = scrape(f.read())
    txt = os.path.join(work, page + '.txt')
    with open(txt, 'w', encoding='utf-8') as f:
        f.write(text)
    with open(os.path.join(d, 'expected-metadata.json'), encoding='utf-8') as f:
        meta = json.load(f)
    with open(os.path.join(d, 'expected.html'), encoding='utf-8') as f:
        want_text = all_text(f.read())
    art, err = read_page(args.gazette, txt)
    for t in totals:
        t.pages += 1
    if art is None:
        print('# %s: %s' % (page, err))
    want_title = expected(meta, over, page, 'title')
    got_title = art.get('title') if art else None
    ex, nm = title_match(got_title, want_title) if want_title else (False, False)
    # is the expected title on the page at all?  (Readability's often comes from <title>)
    shown = bool(want_title) and any(title_match(ln, want_title)[1]
                                     for ln in text.splitlines() if ln)
    # the headline the page shows: its <h1>, when the expected title is not what it shows
    by_h1 = nm or (got_title is not None and norm(got_title) in [norm(h) for h in h1s])
    want_date = expected(meta, over, page, 'publishedTime')
    got_date = (art.get('date_iso') or '') if art else ''
    date_ok = bool(want_date and DAY.match(want_date) and got_date[:10] == want_date[:10])
    f = f1(art.get('body_text') or '', want_text) if art else 0.0
    for t in totals:
        t.failed += art is None
        if want_title:
            t.titles += 1
            t.exact += ex
            t.normal += nm
            t.shown += shown
            t.h1_hits += by_h1
            t.shown_hits += shown and nm
        if want_date and DAY.match(want_date):
            t.dates += 1
            t.date_hits += date_ok
        t.f1sum += f
    if want_title and not nm:
        print('# %s title%s: got "%.100s" want "%.100s"' % (
            page, '' if shown else ' (not shown)', got_title or '(none)', want_title))
    if want_date and DAY.match(want_date) and not date_ok:
        print('# %s date: got "%s" want "%s"' % (page, got_date or '(none)', want_date))
    if f < 0.9 or args.all:
        print('# %s body F1 %.3f' % (page, f))
    if verbose and art is not None:
        print(json.dumps({k: art.get(k) for k in ('title', 'date', 'date_iso', 'from',
                                                  'noise', 'body_text')},
                         ensure_ascii=False, indent=1))


def floor_check(name, value, floor, fmt):
    if floor is None:
        return
    line = ('%s ' + fmt + ' >= ' + fmt) % (name, value, floor)
    print(('ok - ' if value >= floor else 'not ok - ') + line)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('corpus')
    ap.add_argument('--gazette', default=os.environ.get('GAZETTE', 'build/san/gazette'))
    ap.add_argument('--work', required=True, help='folder for the scraped .txt files')
    ap.add_argument('--overrides')
    ap.add_argument('--half', choices=('even', 'odd'), help='score only this half')
    ap.add_argument('--page', help='score only this page and show its result')
    ap.add_argument('--all', action='store_true', help='print every page\'s F1')
    ap.add_argument('--title-min', type=float)
    ap.add_argument('--title-norm-min', type=float)
    ap.add_argument('--title-h1-min', type=float)
    ap.add_argument('--title-shown-min', type=float)
    ap.add_argument('--date-min', type=float)
    ap.add_argument('--f1-min', type=float)
    ap.add_argument('--half-f1-min', type=float, help='floor for each half\'s F1')
    args = ap.parse_args()
    names = sorted(n for n in os.listdir(args.corpus)
                   if os.path.isfile(os.path.join(args.corpus, n, 'source.html')))
    over = load_overrides(args.overrides)
    os.makedirs(args.work, exist_ok=True)
    whole, halves = Totals(), {'even': Totals(), 'odd': Totals()}
    for i, page in enumerate(names):
        half = 'even' if i % 2 == 0 else 'odd'
        if (args.half and half != args.half) or (args.page and page != args.page):
            continue
        score_page(args, page, args.work, over, (whole, halves[half]), bool(args.page))
    for name, t in (('even', halves['even']), ('odd', halves['odd']), ('all', whole)):
        if t.pages:
            print(t.line(name))
    if args.page or args.half:
        return 0
    pct = (lambda a, b: 100.0 * a / b if b else 0.0)
    print(('ok - ' if whole.pages >= 100 else 'not ok - ') + 'read %d corpus pages' % whole.pages)
    print(('ok - ' if whole.failed == 0 else 'not ok - ') +
          'scraped text: every page gives an article (%d lost)' % whole.failed)
    floor_check('scraped text: title', pct(whole.exact, whole.titles), args.title_min, '%.1f%%')
    floor_check('scraped text: title (normalised)', pct(whole.normal, whole.titles),
                args.title_norm_min, '%.1f%%')
    floor_check('scraped text: title (expected, or the page\'s <h1>)',
                pct(whole.h1_hits, whole.titles), args.title_h1_min, '%.1f%%')
    floor_check('scraped text: title where the page shows it', pct(whole.shown_hits, whole.shown),
                args.title_shown_min, '%.1f%%')
    floor_check('scraped text: date where expected', pct(whole.date_hits, whole.dates),
                args.date_min, '%.1f%%')
    floor_check('scraped text: mean body F1', whole.f1sum / whole.pages, args.f1_min, '%.3f')
    for name, t in halves.items():
        floor_check('scraped text: mean body F1, %s half' % name, t.f1sum / t.pages,
                    args.half_f1_min, '%.3f')
    return 0


if __name__ == '__main__':
    sys.exit(main())
