#!/usr/bin/python3
"""check_html.py: lint an HTML email body against ../shared/EMAIL-CHECKLIST.md sections
14-17 (C1-C9, X1-X5, Z1, Z2, T-M2) and the footer rules (unsubscribe link, postal address).
Standard library only (html.parser), so it runs with Debian's /usr/bin/python3.

usage: check_html.py FILE.html [--lang en] [--title SUBJECT] [--preheader TEXT]
           [--unsubscribe URL] [--postal TEXT] [--escaped TEXT]... [--articles N]
           [--raw-class gz-body]

Prints one "ok - ID: ..." or "not ok - ID: ..." line per check (details as "#" lines) and
exits 1 when any check failed.  --raw-class names the class of the cell that holds
{{{body_html}}}: links inside it are not required to carry inline styles (their colour is
then the client's default link colour, which the contrast check uses).
SPDX-License-Identifier: MIT
"""
import argparse
import html.parser
import re
import sys

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
        "param", "source", "track", "wbr"}
# C5: elements no email client we target renders safely
BANNED = {"script", "form", "input", "button", "select", "textarea", "video", "audio",
          "iframe", "object", "embed", "svg", "applet", "frame", "frameset", "base"}
# C3: the only selectors allowed outside @media (client resets)
RESET_SELECTORS = {"html", "body", "table", "td", "img", "a[x-apple-data-detectors]",
                   "#messageviewbody a", "u + #body a", ":root"}
# X4: link texts that do not describe the target (WCAG 2.4.4)
VAGUE = {"click here", "here", "read more", "more", "link", "this link", "click",
         "learn more", "continue reading"}
UA_LINK = (0x00, 0x00, 0xEE)    # what a client shows for a link without a colour
Z1_LIMIT, Z1_WARN, Z2_LIMIT = 100000, 90000, 16 * 1024


class Node:
    def __init__(self, tag, attrs, parent, line):
        self.tag, self.parent, self.line = tag, parent, line
        self.attrs = {k: (v if v is not None else "") for k, v in attrs}
        self.children = []      # Node or str
        self.style = parse_style(self.attrs.get("style", ""))

    def ancestors(self):
        n = self
        while n is not None:
            yield n
            n = n.parent

    def classes(self):
        return self.attrs.get("class", "").split()

    def text(self):
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def walk(self):
        yield self
        for c in self.children:
            if isinstance(c, Node):
                yield from c.walk()


class Tree(html.parser.HTMLParser):
    """A forgiving DOM: void elements close themselves, an end tag closes up to its opener."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", [], None, 0)
        self.cur = self.root
        self.doctype = None
        self.styles = []        # (text, inside <head>)
        self.comments = []
        self.texts = []         # (text, parent node)

    def handle_decl(self, decl):
        if self.doctype is None:
            self.doctype = decl

    def handle_starttag(self, tag, attrs):
        n = Node(tag, attrs, self.cur, self.getpos()[0])
        self.cur.children.append(n)
        if tag not in VOID:
            self.cur = n

    def handle_startendtag(self, tag, attrs):
        self.cur.children.append(Node(tag, attrs, self.cur, self.getpos()[0]))

    def handle_endtag(self, tag):
        for n in self.cur.ancestors():
            if n.tag == tag:
                self.cur = n.parent
                return

    def handle_data(self, data):
        if self.cur.tag == "style":
            inhead = any(a.tag == "head" for a in self.cur.ancestors())
            self.styles.append((data, inhead))
        self.cur.children.append(data)
        self.texts.append((data, self.cur))

    def handle_comment(self, data):
        self.comments.append(data)


def parse_style(s):
    d = {}
    for decl in s.split(";"):
        if ":" in decl:
            k, v = decl.split(":", 1)
            d[k.strip().lower()] = v.strip()
    return d


def parse_css(css):
    """Top-level rules of a style sheet: [(at_prelude or None, selector, {prop: value})]."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    out, i = [], 0

    def block(text, at):
        for m in re.finditer(r"([^{}]+)\{([^{}]*)\}", text):
            out.append((at, m.group(1).strip(), parse_style(m.group(2))))

    while i < len(css):
        j = css.find("{", i)
        if j < 0:
            break
        prelude = css[i:j].strip()
        if prelude.startswith("@"):
            depth, k = 1, j + 1
            while k < len(css) and depth:
                depth += {"{": 1, "}": -1}.get(css[k], 0)
                k += 1
            block(css[j + 1:k - 1], prelude)
            i = k
        else:
            k = css.find("}", j)
            k = len(css) if k < 0 else k
            for sel in prelude.split(","):
                out.append((None, sel.strip(), parse_style(css[j + 1:k])))
            i = k + 1
    return out


def color(v):
    """'#abc', '#aabbcc', 'rgb(1,2,3)', 'white'/'black' -> (r, g, b), else None."""
    if v is None:
        return None
    v = v.replace("!important", "").strip().lower()
    named = {"white": "#ffffff", "black": "#000000"}
    v = named.get(v, v)
    m = re.fullmatch(r"#([0-9a-f]{3})", v)
    if m:
        return tuple(int(c * 2, 16) for c in m.group(1))
    m = re.fullmatch(r"#([0-9a-f]{6})", v)
    if m:
        return tuple(int(m.group(1)[i:i + 2], 16) for i in (0, 2, 4))
    m = re.fullmatch(r"rgb\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\)", v)
    if m:
        return tuple(int(x) for x in m.groups())
    return None


def luminance(rgb):
    """WCAG 2.x relative luminance."""
    def lin(c):
        c = c / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (lin(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b):
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def px(v):
    m = re.fullmatch(r"\s*([\d.]+)px\s*(!important)?", v or "")
    return float(m.group(1)) if m else None


class Report:
    def __init__(self):
        self.failed = 0

    def check(self, ok, what, details=()):
        print(("ok - " if ok else "not ok - ") + what)
        if not ok:
            self.failed += 1
            for d in list(details)[:8]:
                print("#   " + d)
        return ok


def hidden(n):
    return any(a.style.get("display", "").startswith("none") for a in n.ancestors())


def first_style(n, prop, stop_at_td=True):
    """The inline value of prop on n or its ancestors, not looking past the nearest <td>."""
    for a in n.ancestors():
        if prop in a.style:
            return a.style[prop], a
        if stop_at_td and a.tag == "td":
            return None, None
    return None, None


def background(n, dark_rules=None):
    for a in n.ancestors():
        if dark_rules is not None:
            v = dark_prop(a, "background-color", dark_rules)
            if v is not None:
                return color(v)
        v = a.style.get("background-color") or a.style.get("background")
        if v and color(v.split()[0]):
            return color(v.split()[0])
        if color(a.attrs.get("bgcolor")):
            return color(a.attrs.get("bgcolor"))
    return None


def dark_prop(n, prop, rules):
    """prop set on n by a rule of the dark-mode block (.cls or .cls tag selectors)."""
    val = None
    for sel, decls in rules:
        if prop not in decls:
            continue
        parts = sel.split()
        if len(parts) == 1 and parts[0].startswith(".") and parts[0][1:] in n.classes():
            val = decls[prop]
        elif (len(parts) == 2 and parts[0].startswith(".") and parts[1] == n.tag and
              any(parts[0][1:] in a.classes() for a in n.ancestors())):
            val = decls[prop]
    return val


def text_color(n, dark_rules=None):
    for a in n.ancestors():
        if dark_rules is not None:
            v = dark_prop(a, "color", dark_rules)
            if v is not None:
                return color(v), a
        if "color" in a.style:
            return color(a.style["color"]), a
        if a.tag == "a":
            return UA_LINK, a
    return (0, 0, 0), None


def is_large(n, size):
    weight = first_style(n, "font-weight", False)[0] or ""
    bold = (weight in ("bold", "bolder") or (weight.isdigit() and int(weight) >= 700) or
            any(a.tag in ("h1", "h2", "h3", "b", "strong") for a in n.ancestors()))
    return size >= 24 or (bold and size >= 18.66)



# languages written right to left (primary subtags; EMAIL-CHECKLIST X1)
RTL_LANGS = {"ar", "arc", "azb", "ckb", "dv", "fa", "he", "iw", "ji", "ks", "mzn", "nqo",
             "pnb", "ps", "sd", "syr", "ug", "ur", "yi"}


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file")
    ap.add_argument("--lang")
    ap.add_argument("--title")
    ap.add_argument("--preheader")
    ap.add_argument("--unsubscribe")
    ap.add_argument("--postal")
    ap.add_argument("--escaped", action="append", default=[])
    ap.add_argument("--articles", type=int, default=1)
    ap.add_argument("--raw-class", default="gz-body")
    o = ap.parse_args()

    raw = open(o.file, "rb").read()
    src = raw.decode("utf-8")
    t = Tree()
    t.feed(src)
    t.close()
    r = Report()
    nodes = list(t.root.walk())[1:]
    by_tag = {}
    for n in nodes:
        by_tag.setdefault(n.tag, []).append(n)
    body = (by_tag.get("body") or [None])[0]
    head = (by_tag.get("head") or [None])[0]
    css = "".join(s for s, _ in t.styles)
    rules = parse_css(css)
    dark = [(sel, d) for at, sel, d in rules if at and "prefers-color-scheme" in at
            and "dark" in at]

    def raw_part(n):
        return any(o.raw_class in a.classes() for a in n.ancestors())

    # ---- C1 layout ------------------------------------------------------------------
    bad = []
    for n in nodes:
        st = n.attrs.get("style", "").lower().replace(" ", "")
        for pat in ("display:flex", "display:inline-flex", "display:grid", "position:",
                    "float:"):
            if pat in st:
                bad.append(f"line {n.line}: <{n.tag}> style has {pat}")
    for at, sel, d in rules:
        for k, v in d.items():
            if k in ("position", "float") or (k == "display" and "flex" in v or
                                               k == "display" and "grid" in v):
                bad.append(f"<style> {sel} {{ {k}: {v} }}")
    r.check(not bad, "C1: no flex, grid, float or position", bad)
    tables = by_tag.get("table", [])
    bad = [f"line {n.line}" for n in tables if not all(
        n.attrs.get(a) == "0" for a in ("cellpadding", "cellspacing", "border"))]
    r.check(tables and not bad, "C1: every table has cellpadding, cellspacing, border = 0",
            bad)
    top = None
    if body is not None:
        els = [c for c in body.children if isinstance(c, Node) and not hidden(c)]
        top = els[0] if els else None
        while top is not None and top.tag == "div":
            kids = [c for c in top.children if isinstance(c, Node)]
            top = kids[0] if kids else None
    r.check(top is not None and top.tag == "table", "C1: the top container is a table",
            [f"found <{top.tag if top else None}>"])

    # ---- C2 600 px column --------------------------------------------------------------
    col = [n for n in tables if n.attrs.get("width", "").isdigit() and
           int(n.attrs["width"]) <= 600 and
           n.style.get("max-width", "").replace(" ", "") == "600px" and
           n.style.get("width", "").replace(" ", "") == "100%"]
    r.check(bool(col), 'C2: a content table with width="600" and width:100%;max-width:600px')
    bad = []
    for n in nodes:
        w = n.attrs.get("width", "")
        if w.isdigit() and int(w) > 600:
            bad.append(f'line {n.line}: <{n.tag} width="{w}">')
        for prop in ("width", "min-width"):
            v = px(n.style.get(prop))
            if v is not None and v > 600:
                bad.append(f"line {n.line}: <{n.tag}> {prop}:{v}px")
    r.check(not bad, "C2: nothing wider than 600 px", bad)

    # ---- C3 inline styles, <style> only in <head> for resets and @media ----------------
    r.check(all(inhead for _, inhead in t.styles), "C3: no <style> outside <head>")
    bad = []
    for at, sel, d in rules:
        if at is None and sel.lower() not in RESET_SELECTORS:
            bad.append(f"selector {sel!r} outside @media is not a reset")
        if at is not None and not re.search(r"max-width|min-width|prefers-color-scheme", at):
            bad.append(f"{at}: not a width or colour-scheme query")
        if at is not None and at.startswith(("@import", "@font-face")):
            bad.append(at)
    r.check(not bad, "C3: <style> holds only resets, width queries and dark mode", bad)
    bad, missing_link = [], []
    for text, parent in t.texts:
        if not text.strip() or parent.tag in ("style", "title", "head", "html") or \
                body is None or hidden(parent) or body not in parent.ancestors():
            continue
        for prop in ("font-family", "font-size", "color", "line-height"):
            if first_style(parent, prop)[0] is None:
                bad.append(f"line {parent.line}: {text.strip()[:30]!r} in <{parent.tag}> "
                           f"has no inline {prop} in its cell")
    for a in by_tag.get("a", []):
        if raw_part(a):
            continue
        miss = [p for p in ("font-family", "font-size", "color") if p not in a.style]
        if miss:
            missing_link.append(f"line {a.line}: <a> lacks {', '.join(miss)}")
    r.check(not bad, "C3: every text has inline font-family, font-size, color, line-height "
            "within its cell", bad)
    r.check(not missing_link, "C3: every template link has inline font-family, font-size, "
            "color", missing_link)

    # ---- C5 banned content ---------------------------------------------------------------
    bad = [f"line {n.line}: <{n.tag}>" for n in nodes if n.tag in BANNED]
    bad += [f"line {n.line}: <link rel={n.attrs.get('rel')}>" for n in by_tag.get("link", [])
            if "stylesheet" in n.attrs.get("rel", "").lower()]
    if "@import" in css:
        bad.append("@import in <style>")
    if "var(--" in css or any("var(--" in n.attrs.get("style", "") for n in nodes):
        bad.append("CSS variables")
    for n in nodes:
        for k, v in n.attrs.items():
            if k.startswith("on"):
                bad.append(f"line {n.line}: event handler {k}=")
    r.check(not bad, "C5: no script, form, media, iframe, object, svg, stylesheet link, "
            "@import, CSS variables or event handlers", bad)
    bad = []
    for n in nodes:
        if "src" in n.attrs:
            s = n.attrs["src"].strip()
            if not (s.startswith("https://") or s.startswith("cid:")):
                bad.append(f"line {n.line}: src={s[:60]!r}")
            if s.lower().split("?")[0].endswith(".svg") or s.lower().startswith("data:"):
                bad.append(f"line {n.line}: SVG or data: image {s[:40]!r}")
    r.check(not bad, "C5: every src is https:// or cid:, no SVG or data: images", bad)

    # ---- C6 / X2 images ------------------------------------------------------------------
    imgs = by_tag.get("img", [])
    bad = []
    for n in imgs:
        # both numeric, or neither: an image whose size the article does not give gets no
        # guessed box, which would stay blank when it does not load (issue 14 item 3)
        dims = [a for a in ("width", "height") if a in n.attrs]
        for a in dims if dims else ():
            if not n.attrs.get(a, "").isdigit():
                bad.append(f"line {n.line}: <img> without a numeric {a}")
        if len(dims) == 1:
            bad.append(f"line {n.line}: <img> has {dims[0]} but not the other")
        st = {k: v.replace(" ", "") for k, v in n.style.items()}
        if st.get("display") != "block" or st.get("border") not in ("0", "0px", "none"):
            bad.append(f"line {n.line}: <img> style lacks display:block;border:0")
    r.check(not bad, f"C6: {len(imgs)} images have width and height (or neither), display:block, border:0",
            bad)
    bad = [f"line {n.line}: <img src={n.attrs.get('src', '')[:40]!r}> has no alt"
           for n in imgs if "alt" not in n.attrs]
    r.check(not bad, "X2: every <img> has alt", bad)

    # ---- C7 preheader ----------------------------------------------------------------------
    first = None
    if body is not None:
        kids = [c for c in body.children if isinstance(c, Node) or c.strip()]
        first = kids[0] if kids else None
    ok = isinstance(first, Node)
    det = []
    if ok:
        st = {k: v.replace(" ", "") for k, v in first.style.items()}
        for k, v in (("display", "none"), ("max-height", "0"), ("overflow", "hidden"),
                     ("mso-hide", "all")):
            if st.get(k) not in (v, v + "px"):
                ok = False
                det.append(f"first element in <body> lacks {k}:{v}")
        text = re.sub(r"[\u200c\u00a0\s]+$", "", first.text()).strip()
        n = len(text)
        if not 40 <= n <= 130:
            ok = False
            det.append(f"preheader is {n} characters, want 40-130: {text!r}")
        if o.preheader is not None and text != o.preheader.strip():
            ok = False
            det.append(f"preheader {text!r} != {o.preheader.strip()!r}")
    else:
        det.append("<body> does not start with an element")
    r.check(ok, "C7: the hidden preheader is the first element in <body>", det)

    # ---- C8 / X5 colours -------------------------------------------------------------------
    bad_bg, low = [], []
    sizes, lines = [], []
    for mode, drules in (("light", None), ("dark", dark if dark else None)):
        if mode == "dark" and not dark:
            continue
        for text, parent in t.texts:
            if not text.strip() or body is None or body not in parent.ancestors() or \
                    hidden(parent) or parent.tag in ("style", "script"):
                continue
            fg, _ = text_color(parent, drules)
            bg = background(parent, drules)
            where = f"{mode} line {parent.line} {text.strip()[:30]!r}"
            if bg is None:
                bad_bg.append(f"{where}: no background colour on any ancestor")
                continue
            if fg is None:
                bad_bg.append(f"{where}: colour not understood")
                continue
            size = px(first_style(parent, "font-size", False)[0]) or 16.0
            need = 3.0 if is_large(parent, size) else 4.5
            ratio = contrast(fg, bg)
            if ratio < need:
                low.append(f"{where}: {ratio:.2f}:1 < {need}:1 "
                           f"(#{'%02x%02x%02x' % fg} on #{'%02x%02x%02x' % bg})")
            if mode == "light":
                if size < 14:
                    sizes.append(f"{where}: {size}px")
                lh = first_style(parent, "line-height", False)[0]
                lhv = None
                if lh:
                    lhv = px(lh) / size if px(lh) else (float(lh) if re.fullmatch(
                        r"[\d.]+", lh) else None)
                if lhv is None or lhv < 1.4:
                    lines.append(f"{where}: line-height {lh}")
    if dark:
        r.check(all(inhead for s, inhead in t.styles if "prefers-color-scheme" in s),
                "C8: the dark-mode block is inside <style> in <head>")
    r.check(not bad_bg, "C8: every text has an explicit background colour", bad_bg)
    r.check(not low, "X5: text contrast >= 4.5:1 (3:1 large)" +
            (" in light and dark mode" if dark else ""), low)
    r.check(not sizes, "X5: font-size >= 14px", sizes)
    r.check(not lines, "X5: line-height >= 1.4", lines)

    # ---- C9 document shell -----------------------------------------------------------------
    det = []
    if (t.doctype or "").lower() != "doctype html":
        det.append(f"doctype {t.doctype!r}")
    metas = by_tag.get("meta", [])
    if not any(m.attrs.get("charset", "").lower() == "utf-8" for m in metas):
        det.append("no <meta charset=utf-8>")
    if not any(m.attrs.get("name") == "viewport" and
               "width=device-width" in m.attrs.get("content", "").replace(" ", "")
               for m in metas):
        det.append("no viewport meta")
    titles = by_tag.get("title", [])
    if len(titles) != 1 or head is None or head not in titles[0].ancestors():
        det.append("not one <title> in <head>")
    elif o.title is not None and titles[0].text().strip() != o.title.strip():
        det.append(f"title {titles[0].text().strip()!r} != {o.title.strip()!r}")
    r.check(not det, "C9: doctype, charset, viewport and <title> = subject", det)
    if dark:
        r.check(any(m.attrs.get("name") == "color-scheme" for m in metas),
                "C8: color-scheme meta next to the dark-mode styles")

    # ---- X1 language -------------------------------------------------------------------------
    htmls = by_tag.get("html", [])
    lang = htmls[0].attrs.get("lang") if htmls else None
    det = [] if lang else ["<html> has no lang"]
    if o.lang and lang != o.lang:
        det.append(f"lang={lang!r}, want {o.lang!r}")
    wrap = [d for d in by_tag.get("div", []) if d.attrs.get("lang") == lang and
            not hidden(d) and d.parent is body]
    if not wrap:
        det.append("no wrapper <div lang> in <body>")
    # dir="rtl" for right-to-left languages, on <html> and the wrapper (issue 9)
    rtl = (lang or "").lower().split("-")[0] in RTL_LANGS
    want_dir = "rtl" if rtl else "ltr"
    hdir = htmls[0].attrs.get("dir", "ltr") if htmls else "ltr"
    if hdir != want_dir:
        det.append(f"<html dir={hdir!r}>, want {want_dir!r} for lang {lang!r}")
    if wrap and wrap[0].attrs.get("dir", hdir) != want_dir:
        det.append(f"wrapper <div dir={wrap[0].attrs.get('dir')!r}>, want {want_dir!r}")
    r.check(not det, f"X1: <html lang> and a wrapper <div lang> ({lang}, {want_dir})", det)

    # ---- X3 tables ---------------------------------------------------------------------------
    bad = [f"line {n.line}" for n in tables
           if n.attrs.get("role") != "presentation" and
           not any(x.tag == "th" for x in n.walk())]
    r.check(tables and not bad, f'X3: all {len(tables)} layout tables have '
            f'role="presentation"', bad)

    # ---- X4 headings and link text -------------------------------------------------------
    h1, h2 = by_tag.get("h1", []), [n for n in by_tag.get("h2", []) if not raw_part(n)]
    r.check(len(h1) == 1 and len(h2) >= o.articles,
            f"X4: one <h1> and an <h2> per article ({len(h1)} h1, {len(h2)} h2)")
    bad = []
    for a in by_tag.get("a", []):
        txt = " ".join(a.text().split()).lower()
        alts = [i.attrs.get("alt", "") for i in a.walk() if i.tag == "img"]
        if not txt and not any(alts) and not a.attrs.get("aria-label"):
            bad.append(f"line {a.line}: a link with no text")
        elif txt.strip(" .:!…→»") in VAGUE and not a.attrs.get("aria-label"):
            bad.append(f"line {a.line}: vague link text {txt!r}")
    r.check(not bad, "X4: every link has descriptive text", bad)

    # ---- Z1 / Z2 size ---------------------------------------------------------------------
    r.check(len(raw) < Z1_LIMIT, f"Z1: HTML is {len(raw)} bytes (< {Z1_LIMIT})")
    if len(raw) >= Z1_WARN:
        print(f"# warning: HTML is {len(raw)} bytes, over {Z1_WARN}")
    size = sum(len(s.encode()) for s, _ in t.styles)
    r.check(size <= Z2_LIMIT, f"Z2: <style> is {size} bytes (<= {Z2_LIMIT})")

    # ---- T-M2 escaping and URL schemes ---------------------------------------------------
    bad = []
    ids = {n.attrs["id"] for n in nodes if "id" in n.attrs}
    for n in nodes:
        for k in ("href", "src", "action", "formaction", "background", "poster"):
            if k not in n.attrs:
                continue
            v = re.sub(r"[\x00-\x20]", "", n.attrs[k]).lower()
            if k == "href" and v.startswith("#") and n.attrs[k][1:] in ids:
                continue        # a link within the message ("In this issue")
            if k == "href" and not v.startswith(("https://", "http://", "mailto:")):
                bad.append(f"line {n.line}: {k}={n.attrs[k][:60]!r}")
            elif v.startswith(("javascript:", "vbscript:", "data:")):
                bad.append(f"line {n.line}: {k}={n.attrs[k][:60]!r}")
    r.check(not bad, "T-M2: every href is http(s), mailto or an id of the message; no javascript: in any URL",
            bad)
    for e in o.escaped:
        shown = " ".join(t.root.text().split())
        det = []
        if " ".join(e.split()) not in shown:
            det.append(f"{e!r} is not in the visible text")
        if e in src and ("<" in e or "&" in e or '"' in e):
            det.append(f"{e!r} appears unescaped in the source")
        r.check(not det, f"T-M2: {e!r} appears as text, escaped in the source", det)

    # ---- footer: unsubscribe link and postal address -------------------------------------
    if o.unsubscribe is not None:
        links = [a for a in by_tag.get("a", []) if a.attrs.get("href") == o.unsubscribe]
        vis = [a for a in links if not hidden(a) and "unsubscribe" in a.text().lower()]
        r.check(bool(vis), "L: a visible 'Unsubscribe' link to the unsubscribe_url",
                [f"{len(links)} links to {o.unsubscribe!r}, {len(vis)} visible ones "
                 "saying unsubscribe"])
    if o.postal is not None:
        visible = " ".join(x for x, p in t.texts if not hidden(p) and body is not None
                           and body in p.ancestors())
        r.check(o.postal in " ".join(visible.split()),
                "K1: the postal address is in the visible text")
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
