#!/usr/bin/python3
"""The scraped-text reader on pages it has never seen: each page of the Readability
corpus (../shared/corpus/readability) is turned into the text a person would copy from it
(one line per block, no <head>), read by `gazette articles --format json`, and compared:
the title with the page's <h1> or the expected title, the body as the F1 of word 4-gram
shingles against the text of Readability's expected.html.  Prints one line:
    pages N, failed N, title P%, mean body F1 F
Run: /usr/bin/python3 tests/bench/text_corpus.py [GAZETTE] (default ./gazette).
"""
import html.parser, json, os, re, subprocess, sys, tempfile
from collections import Counter

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.environ.get("SHARED", os.path.join(TOP, "..", "shared")) + "/corpus/readability"
GAZETTE = sys.argv[1] if len(sys.argv) > 1 else os.path.join(TOP, "gazette")
BLOCK = set("p div h1 h2 h3 h4 h5 h6 li br tr section article header footer nav aside ul ol "
            "table blockquote figure figcaption pre dd dt title".split())
SKIP = set("script style noscript template svg head".split())


class Text(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.out, self.cur, self.skip, self.h1, self.inh1 = [], [], 0, [], False

    def flush(self):
        t = " ".join("".join(self.cur).split())
        if t:
            self.out.append(t)
        self.cur = []

    def handle_starttag(self, tag, attrs):
        self.skip += tag in SKIP
        if tag in BLOCK:
            self.flush()
        if tag == "h1":
            self.inh1 = True
            self.h1.append("")

    def handle_endtag(self, tag):
        if tag == "h1":
            self.inh1 = False
        if tag in SKIP and self.skip:
            self.skip -= 1
        if tag in BLOCK:
            self.flush()

    def handle_data(self, d):
        if not self.skip:
            self.cur.append(d)
            if self.inh1:
                self.h1[-1] += d


def parse(path):
    t = Text()
    t.feed(open(path, encoding="utf-8", errors="replace").read())
    t.flush()
    return t.out, [" ".join(h.split()).lower() for h in t.h1 if h.strip()]


def shingles(s):
    w = re.findall(r"\w+", s.lower())
    return Counter(tuple(w[i:i + 4]) for i in range(max(0, len(w) - 3)))


def f1(got, want):
    a, b = shingles(got), shingles(want)
    inter = sum((a & b).values())
    if not inter:
        return 0.0
    p, r = inter / sum(a.values()), inter / sum(b.values())
    return 2 * p * r / (p + r)


def main():
    n = failed = titles = 0
    fs = []
    with tempfile.TemporaryDirectory() as tmp:
        for d in sorted(os.listdir(CORPUS)):
            src = os.path.join(CORPUS, d, "source.html")
            if not os.path.exists(src):
                continue
            lines, h1 = parse(src)
            page = os.path.join(tmp, d + ".txt")
            with open(page, "w") as f:
                f.write("\n\n".join(lines) + "\n")
            n += 1
            r = subprocess.run([GAZETTE, "articles", "--format", "json", page],
                               capture_output=True, text=True)
            if r.returncode != 0:
                failed += 1
                fs.append(0.0)
                continue
            a = json.loads(r.stdout)[0]
            meta = json.load(open(os.path.join(CORPUS, d, "expected-metadata.json")))
            want = " ".join((meta.get("title") or "").split()).lower()
            got = " ".join((a.get("title") or "").split()).lower()
            titles += got == want or got in h1 or (len(got) > 10 and got in want)
            exp, _ = parse(os.path.join(CORPUS, d, "expected.html"))
            fs.append(f1(" ".join(a.get("paragraphs") or []), " ".join(exp)))
    print("pages %d, failed %d, title %.1f%%, mean body F1 %.3f" %
          (n, failed, 100.0 * titles / max(n, 1), sum(fs) / max(n, 1)))


if __name__ == "__main__":
    main()
