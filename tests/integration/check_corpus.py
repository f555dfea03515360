#!/usr/bin/python3
# check_corpus.py [--postal TEXT] [--dkim-record FILE] [--tag NAME] FILE...: the MUST items
# of ../shared/EMAIL-CHECKLIST.md checked on messages gazette wrote, with no sidecar: each
# file is re-parsed with Python's email package (policy.strict, an independent parser).
# A file may be a Maildir message (LF line ends, Return-Path/Delivered-To on top): it is
# turned back into the wire form first.  One "ok"/"not ok" line per item and group of
# files (tests/run.sh counts them), details of failures as "#" lines; exit 1 on failure.
#
# --scan DIR: also every message found under DIR (what a test captured; tests/lib.sh's
# check_sent_mail): *.eml files (smtp_server.py's captures, preview output), the files of
# every Maildir (new/ and cur/), and each transaction of a smtp-sink dump ("dump").  Where
# the capture records the envelope (smtp_server.py's NNNN.env, the dump's X-Mail-Args and
# X-Rcpt-Args, a Maildir copy's Delivered-To), To must be its one recipient (H5) and MAIL
# FROM not the null path (S9).
# --except GLOB=REASON leaves out the files whose path (relative to DIR) matches GLOB;
# --waive ITEM=GLOB=REASON skips one item on them; --transactional GLOB checks a
# message that is not a newsletter issue (a confirmation) on the items that are not about
# bulk mail.  Every exemption is printed with its reason.  --done FILE: paths already
# checked (by an earlier call in the same test) are skipped, and the new ones appended.
# SPDX-License-Identifier: MIT
import argparse
import fnmatch
import html
import os
import re
import sys
from email import policy
from email.parser import BytesParser

from check_eml import DATE_SHAPE, EW, MSGID, decode_ew, header_fields

CRLF_ONLY = re.compile(rb'(?<!\r)\n|\r(?!\n)')
FIELD_LINE = re.compile(rb'^[\x21-\x39\x3b-\x7e]+:')
ONCE = ('Date', 'From', 'To', 'Subject', 'Message-ID', 'MIME-Version')
RTL_LANGS = {"ar", "arc", "azb", "ckb", "dv", "fa", "he", "iw", "ji", "ks", "mzn", "nqo",
             "pnb", "ps", "sd", "syr", "ug", "ur", "yi"}
DKIM_MUST = ('from', 'to', 'subject', 'date', 'message-id', 'list-unsubscribe',
             'list-unsubscribe-post')


def wire(raw):
    """The message as it went after DATA (a Maildir copy stores LF and trace lines)."""
    if b'\r\n' not in raw[:2000]:
        while raw.startswith((b'Return-Path:', b'Delivered-To:')):
            raw = raw.split(b'\n', 1)[1]
        raw = raw.replace(b'\n', b'\r\n')
    return raw


def canon(addr):
    """An address as the envelope compares it: the domain in A-labels, lower case."""
    local, _, dom = addr.rpartition('@')
    try:
        dom = dom.encode('idna').decode('ascii')
    except UnicodeError:
        pass
    return local + '@' + dom.lower()


def envelope_of(path, raw_file):
    """(MAIL FROM or None, [RCPT]) from smtp_server.py's NNNN.env beside NNNN.eml, or a
    Maildir copy's Delivered-To; None when the capture does not record it."""
    env = path[:-4] + '.env' if path.endswith('.eml') else None
    if env and os.path.exists(env):
        text = open(env, encoding='utf-8', errors='replace').read()
        mf = re.findall(r'^MAIL FROM:<([^>]*)>', text, re.M)
        return (mf[0] if mf else None, re.findall(r'^RCPT TO:<([^>]*)>', text, re.M))
    if raw_file is not None and raw_file.startswith(b'Return-Path:'):
        m = re.search(rb'^Delivered-To: ([^\r\n]*)', raw_file[:2000], re.M)
        if m:
            return (None, [m.group(1).decode('utf-8', 'replace').strip()])
    return None


def problems(path, raw, o, dkim_txt, transactional=False, envelope=None):
    """(item, detail) for every MUST item the message fails; also returns its boundary.
    A transactional message (one person's confirmation, not an issue) is held to the
    wire, header, charset and encoding items only: the bulk-mail ones do not apply."""
    bad = []
    hb = raw.split(b'\r\n\r\n', 1)[0]
    lines = raw.split(b'\r\n')
    if CRLF_ONLY.search(raw):
        bad.append(('W1', 'a bare CR or LF'))
    if max(map(len, lines)) > 998:
        bad.append(('W2', 'a line over 998'))
    if any(b >= 128 for b in hb):
        bad.append(('W4', '8-bit bytes in the header'))
    for ln in hb.split(b'\r\n'):
        if not (FIELD_LINE.match(ln) or ln[:1] in (b' ', b'\t')) or \
                any(b < 32 and b != 9 for b in ln):
            bad.append(('W4', f'header line {ln[:40]!r}'))
    try:
        msg = BytesParser(policy=policy.strict).parsebytes(raw)
    except Exception as e:                  # any defect is a failure
        return bad + [('parse', f'{type(e).__name__}: {e}')], None
    defects = [d for p in msg.walk() for d in p.defects]
    for p in msg.walk():
        defects += [d for k in p.keys() for d in p[k].defects]
    if defects:
        bad.append(('parse', f'defects {defects}'))
    names = [ln.split(b':', 1)[0].decode().lower() for ln in hb.split(b'\r\n')
             if FIELD_LINE.match(ln)]
    for h in ONCE:
        if names.count(h.lower()) != 1:
            bad.append(('H1-H7', f'{names.count(h.lower())} {h} fields'))
    # H1, H4, H6 shapes; H5 no Bcc (Return-Path is the Maildir's own, removed by wire())
    if 'Date' in msg and (not DATE_SHAPE.match(str(msg['Date'])) or
                          msg['Date'].datetime is None or msg['Date'].datetime.tzinfo is None):
        bad.append(('H1', f'Date {str(msg["Date"])!r}'))
    if 'Message-ID' in msg and not MSGID.match(str(msg['Message-ID'])):
        bad.append(('H4', f'Message-ID {str(msg["Message-ID"])!r}'))
    if 'Subject' in msg and (not str(msg['Subject']).strip() or
                             re.match(r'(?i)\s*(re|fwd?):', str(msg['Subject']))):
        bad.append(('H6', f'Subject {str(msg["Subject"])[:40]!r}'))
    if 'bcc' in names or 'return-path' in names:
        bad.append(('H5', 'a Bcc or Return-Path field'))
    # E2-E7: every encoded-word <= 75, on a line <= 76, decoding alone to whole UTF-8
    # characters, set off by white space, never inside an address or a MIME parameter
    for m in EW.finditer(hb):
        try:
            decode_ew(m)
        except (ValueError, UnicodeDecodeError) as e:
            bad.append(('E', f'encoded-word {m.group(0)[:40]!r}: {e}'))
        st, en = m.span()
        if len(m.group(0)) > 75:
            bad.append(('E', f'encoded-word of {len(m.group(0))} characters'))
        if (st > 0 and hb[st - 1:st] not in (b' ', b'\t', b':')) or \
                (en < len(hb) and hb[en:en + 1] not in (b' ', b'\t', b'\r')):
            bad.append(('E', f'no white space around {m.group(0)[:40]!r}'))
    for ln in hb.split(b'\r\n'):
        if b'=?' in ln and len(ln) > 76:
            bad.append(('E', f'a line of {len(ln)} holding an encoded-word'))
    for name, value in header_fields(hb):
        if name.lower() in ('from', 'to', 'reply-to', 'sender') and \
                b'=?' in value.rsplit(b'<', 1)[-1] and b'<' in value:
            bad.append(('E', f'an encoded-word in the address of {name}'))
        if name.lower() in ('content-type', 'content-disposition') and b'=?' in value:
            bad.append(('E', f'an encoded-word in a {name} parameter'))
    if 'MIME-Version' in msg and str(msg['MIME-Version']) != '1.0':
        bad.append(('H7', 'MIME-Version is not 1.0'))
    if 'To' in msg and len(msg['To'].addresses) != 1:
        bad.append(('H5', 'To holds more than this recipient'))
    elif 'To' in msg and envelope is not None:
        # H5, S9: To is the envelope's one recipient; MAIL FROM is not the null path
        mail_from, rcpts = envelope
        to = msg['To'].addresses[0].addr_spec
        if [canon(r) for r in rcpts] != [canon(to)]:
            bad.append(('H5', f'To {to} but the envelope recipients are {rcpts}'))
        if mail_from is not None and not mail_from:
            bad.append(('S9', 'MAIL FROM is the null path'))
    if transactional:
        for p in (x for x in msg.walk() if not x.is_multipart()):
            cte = str(p.get('Content-Transfer-Encoding', '7bit'))
            if p.get_content_maintype() == 'text' and p.get_content_charset() not in \
                    ('utf-8', 'us-ascii'):
                bad.append(('M4', f'{p.get_content_type()} charset {p.get_content_charset()}'))
            if cte not in ('7bit', 'quoted-printable', 'base64') or \
                    any(len(ln) > 76 for ln in p.get_payload(decode=False).splitlines()):
                bad.append(('Q', f'{p.get_content_type()} ({cte}) is not 7-bit with lines <= 76'))
            if p.get_content_maintype() == 'text':
                c = p.get_content()
                if [x for x in c if (ord(x) < 32 and x not in '\r\n\t') or 0x7f <= ord(x) < 0xa0]:
                    bad.append(('controls', 'control characters in the body'))
        return bad, msg.get_boundary()
    # structure
    boundary = msg.get_boundary()
    leaves = [p for p in msg.walk() if not p.is_multipart()]
    if msg.get_content_type() != 'multipart/alternative' or \
            [p.get_content_type() for p in leaves] != ['text/plain', 'text/html']:
        bad.append(('M1-M3', f'{msg.get_content_type()} of '
                    f'{[p.get_content_type() for p in leaves]}'))
        return bad, boundary
    if not boundary or len(boundary) > 70:
        bad.append(('M', f'boundary {boundary!r}'))
    body = raw.split(b'\r\n\r\n', 1)[1] if b'\r\n\r\n' in raw else b''
    if boundary and body.count(b'--' + boundary.encode()) != 3:
        bad.append(('M', 'the boundary occurs in the content'))
    for p in leaves:
        cte = str(p.get('Content-Transfer-Encoding', ''))
        if p.get_content_charset() != 'utf-8':
            bad.append(('M4', f'{p.get_content_type()} charset {p.get_content_charset()}'))
        if cte not in ('7bit', 'quoted-printable', 'base64'):
            bad.append(('Q', f'{p.get_content_type()} is {cte!r}'))
        enc = p.get_payload(decode=False)
        if any(len(ln) > 76 for ln in enc.splitlines()):
            bad.append(('Q', f'{p.get_content_type()} ({cte}) has a line over 76'))
    text = leaves[0].get_content()
    page = leaves[1].get_content()
    ctl = [c for c in text + page if (ord(c) < 32 and c not in '\r\n\t') or 0x7f <= ord(c) < 0xa0]
    if ctl:
        bad.append(('controls', f'{len(ctl)} control characters in the bodies (issue 9)'))
    # L1, L2: per-recipient one-click unsubscribe, visible in both parts
    lu = str(msg.get('List-Unsubscribe', ''))
    uris = re.findall(r'<([^<>]+)>', lu)
    https = [u for u in uris if u.lower().startswith('https://')]
    if not uris:
        bad.append(('L1', 'no List-Unsubscribe'))
    else:
        # RFC 2369: a list of <URI>, no encoded-word, no space inside the brackets;
        # RFC 8058: at most one https URI (a list with only a mailto passes: RFC 2369)
        raw_lu = re.search(rb'(?im)^List-Unsubscribe:((?:[^\r\n]|\r\n[ \t])*)', hb)
        unf = re.sub(rb'\r\n(?=[ \t])', b'', raw_lu.group(1)).decode('ascii', 'replace') \
            if raw_lu else ''
        if not re.fullmatch(r'\s*<[^<>\s]+>(\s*,\s*<[^<>\s]+>)*\s*', unf) or '=?' in unf \
                or len(https) > 1:
            bad.append(('L1', f'List-Unsubscribe is not a list of <URI>: {unf[:80]!r}'))
    if https and str(msg.get('List-Unsubscribe-Post', '')) != 'List-Unsubscribe=One-Click':
        bad.append(('L2', 'no List-Unsubscribe-Post: List-Unsubscribe=One-Click'))
    if uris:
        u = https[0] if https else uris[0]
        if u not in text or (u not in page and html.escape(u) not in page):
            bad.append(('L3', f'the unsubscribe link {u[:60]} is not visible in both parts'))
    # K1 postal address
    if o.postal and (o.postal not in text or
                     (o.postal not in page and html.escape(o.postal) not in page)):
        bad.append(('K1', 'the postal address is not in both parts'))
    # Z1, Z2 sizes
    if len(page.encode()) >= 100000:
        bad.append(('Z1', f'HTML part {len(page.encode())} bytes'))
    styles = re.findall(r'<style[^>]*>(.*?)</style>', page, re.S | re.I)
    if sum(len(s.encode()) for s in styles) > 16384:
        bad.append(('Z2', '<style> over 16 KB'))
    # X1 lang and dir
    m = re.search(r'<html\b([^>]*)>', page, re.I)
    attrs = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1))) if m else {}
    lang = attrs.get('lang')
    if not lang:
        bad.append(('X1', '<html> has no lang'))
    elif lang.lower().split('-')[0] in RTL_LANGS and attrs.get('dir') != 'rtl':
        bad.append(('X1', f'lang {lang} without dir="rtl"'))
    # M6: the text part carries every link of the HTML part (issue 9)
    hrefs = {html.unescape(h) for h in re.findall(r'href="((?:https?|mailto):[^"]+)"', page)}
    missing = [h for h in hrefs if h not in text and
               not (h.startswith('mailto:') and h[7:].split('?')[0] in text)]
    if missing:
        bad.append(('M6', f'links of the HTML part not in the text part: {sorted(missing)[:3]}'))
    # C3: every link styled inline (issue 9)
    unstyled = [a for a in re.findall(r'<a\b[^>]*>', page, re.I)
                if not all(k in a for k in ('font-family', 'font-size', 'color'))]
    if unstyled:
        bad.append(('C3', f'{len(unstyled)} links without inline font-family, font-size, '
                    f'color: {unstyled[0][:80]}'))
    # D1-D5: a DKIM signature verifies and covers what it must
    if dkim_txt is not None:
        import dkim
        sig = str(msg.get('DKIM-Signature', ''))
        h = [x.strip().lower() for x in
             re.search(r'\bh=([^;]*)', sig).group(1).split(':')] if 'h=' in sig else []
        if not dkim.verify(raw, dnsfunc=lambda name, timeout=5: dkim_txt):
            bad.append(('D1', 'the DKIM signature does not verify'))
        if [x for x in DKIM_MUST if x in names and x not in h] or h.count('from') < 2:
            bad.append(('D2', f'h= is {h}'))
    return bad, boundary


def split_dump(data):
    """smtp-sink -D: transactions one after the other, each opened by the sink's own
    X-Client-*/X-Helo/X-Mail/X-Rcpt fields and a Received field, LF line ends."""
    out = []
    for chunk in re.split(rb'(?m)^(?=X-Client-Addr: )', data):
        lines = chunk.split(b'\n')
        i = 0
        while i < len(lines) and (re.match(rb'(X-Client-[A-Za-z]+|X-Helo-Args|X-Mail-Args|'
                                           rb'X-Rcpt-Args|Received):', lines[i]) or
                                  (i > 0 and lines[i][:1] in (b' ', b'\t'))):
            i += 1
        if i > 0 and i < len(lines):
            head = b'\n'.join(lines[:i]).decode('utf-8', 'replace')
            mf = re.findall(r'^X-Mail-Args: <([^>]*)>', head, re.M)
            env = (mf[0] if mf else None, re.findall(r'^X-Rcpt-Args: <([^>]*)>', head, re.M))
            out.append((b'\n'.join(lines[i:]), env))
    return out


def scan(top):
    """(name, path, bytes) of every message captured under top."""
    found = []
    for d, dirs, files in os.walk(top):
        dirs.sort()
        rel = os.path.relpath(d, top)
        maildir = os.path.basename(d) in ('new', 'cur') and \
            os.path.isdir(os.path.join(d, '..', 'new')) and \
            os.path.isdir(os.path.join(d, '..', 'cur'))
        for f in sorted(files):
            path = os.path.join(d, f)
            name = os.path.normpath(os.path.join(rel, f))
            if not os.path.isfile(path) or os.path.islink(path):
                continue
            if f == 'dump':
                data = open(path, 'rb').read()
                for i, (m, env) in enumerate(split_dump(data)):
                    found.append((f'{name}#{i + 1}', path, m, env))
            elif f.endswith('.eml') or maildir:
                found.append((name, path, None, None))
    return found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--postal')
    ap.add_argument('--dkim-record')
    ap.add_argument('--tag', default='corpus')
    ap.add_argument('--scan', action='append', default=[])
    ap.add_argument('--except', dest='excepts', action='append', default=[])
    ap.add_argument('--waive', action='append', default=[])
    ap.add_argument('--transactional', action='append', default=[])
    ap.add_argument('--done')
    ap.add_argument('--allow-none', action='store_true')
    ap.add_argument('files', nargs='*')
    o = ap.parse_args()
    dkim_txt = None
    if o.dkim_record:
        dkim_txt = ''.join(re.findall(r'"([^"]*)"', open(o.dkim_record).read())).encode()
    msgs = [(path, path, None, None) for path in o.files]
    for top in o.scan:
        msgs += scan(top)
    done = set()
    if o.done and os.path.exists(o.done):
        done = set(open(o.done).read().split('\n'))

    def match(name, glob):
        return fnmatch.fnmatchcase(name, glob) or fnmatch.fnmatchcase(name.split('#')[0], glob)

    excepts = [x.split('=', 1) for x in o.excepts]
    waives = [x.split('=', 2) for x in o.waive]
    for x in excepts + waives:
        if len(x) < 2 or not x[-1].strip():
            sys.exit(f'check_corpus.py: an exemption needs its reason: {"=".join(x)!r}')
    left_out = {}
    checked = []
    for name, path, data, env in msgs:
        key = os.path.abspath(path) + (name[name.index('#'):] if '#' in name else '')
        if key in done:
            continue
        why = [r for g, r in excepts if match(name, g)]
        if why:
            left_out.setdefault(why[0], []).append(name)
            continue
        checked.append((name, path, data, env, key))
    fails = {}
    boundaries = {}
    waived = {}
    for name, path, data, env, key in checked:
        got = data if data is not None else open(path, 'rb').read()
        raw = wire(got)
        tr = any(match(name, g) for g in o.transactional)
        bad, b = problems(path, raw, o, dkim_txt, tr,
                          envelope_of(path, got) if data is None else env)
        for item, detail in bad:
            w = [r for it, g, r in waives if it == item and match(name, g)]
            if w:
                waived.setdefault((item, w[0]), []).append(name)
                continue
            fails.setdefault(item, []).append(f'{name}: {detail}')
        if b:
            boundaries.setdefault(b, []).append(name)
    if o.done:
        with open(o.done, 'a') as f:
            f.writelines(k + '\n' for *_, k in checked)
    for why, names in left_out.items():
        print(f'# {o.tag}: {len(names)} files not checked ({names[0]}...): {why}')
    for (item, why), names in waived.items():
        print(f'# {o.tag}: {item} waived on {len(names)} messages ({names[0]}...): {why}')
    n = len(checked)
    ntr = sum(1 for name, *_ in checked if any(match(name, g) for g in o.transactional))
    if n == 0:
        if o.allow_none:
            return 0
        print(f'not ok - {o.tag}: no messages to check')
        return 1
    items = ['W1', 'W2', 'W4', 'parse', 'H1-H7', 'H1', 'H4', 'H5', 'H6', 'S9', 'H7', 'E',
             'M1-M3', 'M', 'M4', 'Q',
             'controls', 'L1', 'L2', 'L3', 'K1', 'Z1', 'Z2', 'X1', 'M6', 'C3']
    if dkim_txt is not None:
        items += ['D1', 'D2']
    for item in items + sorted(set(fails) - set(items)):
        got = fails.get(item, [])
        print(('not ok - ' if got else 'ok - ') + f'{o.tag}: {item} holds on {n} messages' +
              (f' ({ntr} transactional)' if ntr else '') +
              (f' ({len(got)} fail)' if got else ''))
        for d in got[:4]:
            print(f'#   {d}')
    dup = {b: p for b, p in boundaries.items() if len(p) > 1}
    print(('not ok - ' if dup else 'ok - ') + f'{o.tag}: {len(boundaries)} boundaries for '
          f'{n} messages, none shared (issue 9)')
    return 1 if fails or dup else 0


if __name__ == '__main__':
    sys.exit(main())
