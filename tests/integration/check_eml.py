#!/usr/bin/python3
# check_eml.py FILE.eml...: parse each message gazette's mime module wrote with Python's
# email package (policy.strict, an independent parser) and compare it with FILE.json, the
# sidecar the test wrote: what the headers and bodies must decode to.  Prints "ok - ..." /
# "not ok - ..." lines (tests/run.sh counts them), "# ..." for warnings; exit 1 on failure.
# Checks EMAIL-CHECKLIST.md W1-W6, H1-H9, E1-E7, M (structure), Q (body lines), L1-L2, L7.
# SPDX-License-Identifier: MIT
import datetime
import json
import os
import re
import sys
import urllib.parse
from email import policy
from email.parser import BytesParser

CRLF_ONLY = re.compile(rb'(?<!\r)\n|\r(?!\n)')
EW = re.compile(rb'=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=')
FIELD_LINE = re.compile(rb'^[\x21-\x39\x3b-\x7e]+:')
DATE_SHAPE = re.compile(r'^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} '
                        r'(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} '
                        r'\d\d:\d\d:\d\d [+-]\d{4}$')
MSGID = re.compile(r'^<[^<>@\s]+@([A-Za-z0-9.-]+)>$')
URI_LIST = re.compile(r'\s*<[^<>\s]+>(\s*,\s*<[^<>\s]+>)*\s*')
ONCE = ('Date', 'From', 'To', 'Subject', 'Message-ID', 'MIME-Version')

failed = 0


def report(good, what):
    global failed
    if good:
        print(f'ok - {what}')
    else:
        failed += 1
        print(f'not ok - {what}')


def unfold(raw_value):
    return re.sub(rb'\r\n(?=[ \t])', b'', raw_value)


def header_fields(hb):
    """[(name, raw value with folds)] from a header block."""
    fields = []
    for line in hb.split(b'\r\n'):
        if line[:1] in (b' ', b'\t') and fields:
            fields[-1][1] += b'\r\n' + line
        else:
            name, _, value = line.partition(b':')
            fields.append([name.decode('ascii', 'replace'), value])
    return fields


def decode_ew(m):
    """Decode one encoded-word match strictly; raises on any problem (E3, E7)."""
    charset, enc, text = m.group(1), m.group(2).upper(), m.group(3)
    if charset.lower() != b'utf-8':
        raise ValueError(f'charset {charset!r}')
    if enc == b'B':
        import base64
        data = base64.b64decode(text, validate=True)
    else:
        if re.search(rb'=(?![0-9A-F]{2})', text):
            raise ValueError('Q escape not =XX upper case')
        data = re.sub(rb'=([0-9A-F]{2})', lambda x: bytes([int(x.group(1), 16)]),
                      text.replace(b'_', b' '))
    return data.decode('utf-8')        # strict: a split character raises


def part_bodies(raw, boundary):
    """Raw (encoded) bodies of the parts, split at the delimiter lines."""
    delim = b'\r\n--' + boundary.encode('ascii')
    body = raw.split(b'\r\n\r\n', 1)[1]
    chunks = (b'\r\n' + body).split(delim)[1:]
    out = []
    for c in chunks:
        if c.startswith(b'--'):
            break
        out.append(c[2:].split(b'\r\n\r\n', 1)[1])
    return out


def check(path):
    tag = path.rsplit('/', 1)[-1]
    with open(path, 'rb') as f:
        raw = f.read()
    with open(path[:-4] + '.json', encoding='utf-8') as f:
        want = json.load(f)
    hb = raw.split(b'\r\n\r\n', 1)[0]
    lines = raw.split(b'\r\n')

    # W1, W2, W3, W6
    report(not CRLF_ONLY.search(raw), f'{tag}: every line ends in CRLF (W1)')
    report(max(map(len, lines)) <= 998, f'{tag}: no line over 998 (W2)')
    long_hdr = [ln for ln in hb.split(b'\r\n') if len(ln) > 78]
    for ln in long_hdr:
        unbreakable = re.fullmatch(rb'[ \t]*(\S+: )?<[^<>\s]+>,?', ln)
        print(f'# {tag}: header line of {len(ln)} characters (W3 SHOULD)'
              + (' holds one unbreakable URI/address' if unbreakable else ''))
        report(unbreakable is not None, f'{tag}: only an unbreakable <URI> passes 78')
    report(all(b < 128 for b in raw), f'{tag}: message is 7-bit (W4, W6)')
    # W4: field names, continuation lines, no controls
    ok = True
    for ln in hb.split(b'\r\n'):
        if not (FIELD_LINE.match(ln) or ln[:1] in (b' ', b'\t')) or not ln.strip():
            ok = False
        if any(b < 32 and b != 9 for b in ln):
            ok = False
    report(ok, f'{tag}: header lines are fields or folds, no control bytes (W4, H9)')

    # E2-E4, E6 on the raw header block
    ews = list(EW.finditer(hb))
    try:
        for m in ews:
            decode_ew(m)
        good = True
    except (ValueError, UnicodeDecodeError) as e:
        good = False
        print(f'#   {e}')
    report(good, f'{tag}: {len(ews)} encoded-words decode alone as whole UTF-8 (E3, E7)')
    report(all(len(m.group(0)) <= 75 for m in ews), f'{tag}: encoded-words <= 75 (E2)')
    report(all(len(ln) <= 76 for ln in hb.split(b'\r\n') if b'=?' in ln),
           f'{tag}: lines holding encoded-words <= 76 (E2)')
    bad_adj = False
    for m in ews:
        s, e = m.span()
        if s > 0 and hb[s - 1:s] not in (b' ', b'\t'):
            bad_adj = True
        if e < len(hb) and hb[e:e + 1] not in (b' ', b'\t', b'\r'):
            bad_adj = True
    report(not bad_adj, f'{tag}: white space around every encoded-word (E4)')
    q_phrase_ok = True
    for name, value in header_fields(hb):
        if name.lower() in ('from', 'to', 'reply-to'):
            for m in EW.finditer(value):
                if m.group(2).upper() == b'Q' and \
                        not re.fullmatch(rb'[A-Za-z0-9!*+\-/=_]*', m.group(3)):
                    q_phrase_ok = False
            addr = value.rsplit(b'<', 1)[-1]
            if b'=?' in addr:
                q_phrase_ok = False
    report(q_phrase_ok, f'{tag}: Q words in display names use the phrase set; '
           'no encoded-word in an address (E5, E6)')

    # parse with the strict policy (raises on defects)
    try:
        msg = BytesParser(policy=policy.strict).parsebytes(raw)
        parsed = True
    except Exception as e:          # any defect is a failure
        print(f'#   {type(e).__name__}: {e}')
        parsed = False
    report(parsed, f'{tag}: parses with policy.strict')
    if not parsed:
        return
    defects = [d for p in msg.walk() for d in p.defects]
    hdr_defects = [(k, d) for k in msg.keys() for d in msg[k].defects]
    for p in msg.walk():
        hdr_defects += [(k, d) for k in p.keys() for d in p[k].defects]
    report(not defects and not hdr_defects, f'{tag}: no defects ({defects} {hdr_defects})')

    names = [n.lower() for n, _ in header_fields(hb)]
    for h in ONCE:
        report(names.count(h.lower()) == 1, f'{tag}: exactly one {h} (H1-H7)')
    report('bcc' not in names and 'return-path' not in names, f'{tag}: no Bcc, no Return-Path')
    report(str(msg['MIME-Version']) == '1.0', f'{tag}: MIME-Version 1.0 (H7)')
    date = str(msg['Date'])
    dt = msg['Date'].datetime
    # "now": between the start of the run that wrote it (EML_T0, epoch seconds, from the
    # caller) and this check, a second of slack for the rounding; bounds that a busy
    # machine cannot break, where a fixed window around the clock could be
    now = datetime.datetime.now(datetime.timezone.utc)
    t0 = datetime.datetime.fromtimestamp(int(os.environ["EML_T0"]), datetime.timezone.utc)
    one = datetime.timedelta(seconds=1)
    report(DATE_SHAPE.match(date) is not None and dt.tzinfo is not None and
           t0 - one <= dt <= now + one,
           f'{tag}: Date "{date}" has the RFC 5322 shape, a numeric zone, is now (H1)')
    mid = MSGID.match(str(msg['Message-ID']))
    report(mid is not None and mid.group(1) == want['msgid_domain'],
           f'{tag}: Message-ID {msg["Message-ID"]} at {want["msgid_domain"]} (H4)')

    def mailbox(h, name, addr):
        adds = msg[h].addresses
        good = len(adds) == 1 and adds[0].display_name == name and adds[0].addr_spec == addr
        report(good, f'{tag}: {h} is {name!r} <{addr}> (got {adds!r}) (H2, H5, E1)')

    mailbox('From', want['from_name'], want['from_addr'])
    mailbox('To', want['to_name'], want['to_addr'])
    if want['reply_to_addr'] is not None:
        mailbox('Reply-To', want['reply_to_name'], want['reply_to_addr'])
    else:
        report('Reply-To' not in msg, f'{tag}: no Reply-To')
    report(str(msg['Subject']) == want['subject'],
           f'{tag}: Subject decodes to {want["subject"][:50]!r} (got {str(msg["Subject"])[:50]!r})')
    if want['extra_name'] is not None:
        report(str(msg[want['extra_name']]) == want['extra_value'],
               f'{tag}: {want["extra_name"]} decodes back')
    if want['list_id'] is not None:
        # Python treats List-Id as unstructured: undo a quoted-string phrase here
        lid_text = str(msg['List-Id'])
        q = re.fullmatch(r'"((?:[^"\\]|\\.)*)" (<[^<>]+>)', lid_text)
        if q:
            lid_text = re.sub(r'\\(.)', r'\1', q.group(1)) + ' ' + q.group(2)
        report(lid_text == want['list_id'],
               f'{tag}: List-Id is {want["list_id"]!r} (got {lid_text!r}) (L7)')
        lid = re.search(r'<([^<>]+)>$', str(msg['List-Id']))
        report(lid is not None and len(lid.group(1)) <= 255 and '.' in lid.group(1),
               f'{tag}: List-Id holds a dotted id of <= 255 octets (RFC 2919)')
    else:
        report('List-Id' not in msg, f'{tag}: no List-Id')

    # L1, L2
    url, mailto = want['unsub_url'], want['unsub_mailto']
    raw_lu = [v for n, v in header_fields(hb) if n.lower() == 'list-unsubscribe']
    if url is None and mailto is None:
        report(not raw_lu, f'{tag}: no List-Unsubscribe')
    else:
        lu = unfold(raw_lu[0]).decode('ascii') if raw_lu else ''
        report(len(raw_lu) == 1 and URI_LIST.fullmatch(lu) is not None and '=?' not in lu,
               f'{tag}: List-Unsubscribe is a list of <URI> (L1)')
        uris = re.findall(r'<([^<>]+)>', lu)
        expect = ([url] if url else []) + (['mailto'] if mailto else [])
        good = len(uris) == len(expect)
        if good and url:
            good = uris[0] == url
        if good and mailto:
            m = re.fullmatch(r'mailto:([^?]+)\?subject=unsubscribe', uris[-1])
            good = m is not None and urllib.parse.unquote(m.group(1)) == mailto
        report(good, f'{tag}: List-Unsubscribe URIs are the given ones ({uris})')
    https = url is not None and url.lower().startswith('https://')
    lup = [v for n, v in header_fields(hb) if n.lower() == 'list-unsubscribe-post']
    report(lup == ([b' List-Unsubscribe=One-Click'] if https else []),
           f'{tag}: List-Unsubscribe-Post {"present" if https else "absent"} (L2, RFC 8058)')

    # structure and bodies
    def body_lines_ok(enc):
        return all(len(ln) <= 76 for ln in enc.split(b'\r\n'))

    if want['html'] is None:
        report(msg.get_content_type() == 'text/plain' and
               msg.get_content_charset() == 'utf-8', f'{tag}: text/plain; charset=utf-8')
        cte = str(msg['Content-Transfer-Encoding'])
        report(body_lines_ok(raw.split(b'\r\n\r\n', 1)[1]), f'{tag}: {cte} body lines <= 76')
        got = msg.get_content().replace('\r\n', '\n')
        report(got == want['text'] or got == want['text'] + '\n',
               f'{tag}: text decodes to the expected text')
        return
    report(msg.get_content_type() == 'multipart/alternative',
           f'{tag}: multipart/alternative (M1)')
    boundary = msg.get_boundary()
    report(boundary is not None and 1 <= len(boundary) <= 70, f'{tag}: boundary <= 70')
    leaves = [p for p in msg.walk() if not p.is_multipart()]
    report([p.get_content_type() for p in leaves] == ['text/plain', 'text/html'],
           f'{tag}: text/plain first, text/html last (RFC 2046 5.1.4)')
    report(all(p.get_content_charset() == 'utf-8' for p in leaves), f'{tag}: charset=utf-8')
    encoded = part_bodies(raw, boundary)
    report(len(encoded) == 2 and all(boundary.encode() not in e for e in encoded),
           f'{tag}: the boundary does not occur in the content (RFC 2046 5.1.1)')
    for p, enc, key in zip(leaves, encoded, ('text', 'html')):
        cte = str(p['Content-Transfer-Encoding'])
        report(cte in ('7bit', 'quoted-printable', 'base64') and body_lines_ok(enc),
               f'{tag}: {key} part is {cte} with lines <= 76')
        got = p.get_content().replace('\r\n', '\n')
        report(got == want[key], f'{tag}: {key} decodes to the expected text')
        if got != want[key]:
            for i, (a, b) in enumerate(zip(got, want[key])):
                if a != b:
                    print(f'#   first difference at {i}: got {got[i:i+30]!r} '
                          f'want {want[key][i:i+30]!r}')
                    break
            else:
                print(f'#   lengths {len(got)} vs {len(want[key])}')


def main():
    if len(sys.argv) < 2:
        print('usage: check_eml.py FILE.eml...', file=sys.stderr)
        return 2
    for path in sys.argv[1:]:
        check(path)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
