#!/usr/bin/python3
"""Lay out an HTML message in headless Chromium at phone and card widths and report every
element that is wider than the viewport or sticks out of it on the right.

usage: check_mobile.py MESSAGE.html WIDTH...

The message goes into srcdoc iframes WIDTH px wide inside a wrapper page (Chromium's
headless window is at least 500 px wide, an iframe can be narrower, and its media queries
follow its own width); a script in the wrapper measures each frame after load and writes
the findings into the DOM, which --dump-dom prints.  Relative image paths resolve against
the message's folder.  Prints one line per width: "WIDTH (viewport V, images loaded L/N) ok" or "WIDTH TAG.class W px ...".
Exit 0 when every width is ok, 1 when something overflows, 2 when Chromium did not run.
"""
import html
import os
import re
import subprocess
import sys

msg_path, widths = sys.argv[1], [int(w) for w in sys.argv[2:]]
msg = open(msg_path, encoding="utf-8").read()
frames = "".join(
    '<iframe id="f%d" width="%d" height="12000" scrolling="no" style="border:0;display:block" srcdoc="%s">'
    "</iframe>" % (w, w, html.escape(msg, quote=True)) for w in widths)
wrapper = """<!DOCTYPE html><html><head><meta charset="utf-8"></head>
<body style="margin:0;width:2000px">%s
<script>
window.addEventListener('load', function () {
  var out = [];
  %s.forEach(function (w) {
    var f = document.getElementById('f' + w), win = f.contentWindow, doc = f.contentDocument;
    var vw = doc.documentElement.clientWidth, bad = [];
    doc.body.querySelectorAll('*').forEach(function (e) {
      var r = e.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) return;
      if (r.width > vw + 0.5 || r.right > vw + 0.5 || r.left < -0.5)
        bad.push(e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ')[0] : '')
          + ' ' + Math.round(r.width) + 'px');
    });
    if (doc.documentElement.scrollWidth > vw)
      bad.push('page scrolls to ' + doc.documentElement.scrollWidth + 'px');
    var imgs = doc.images, loaded = 0;
    for (var i = 0; i < imgs.length; i++) if (imgs[i].naturalWidth > 0) loaded++;
    out.push(w + ' (viewport ' + vw + ', images loaded ' + loaded + '/' + imgs.length + ') ' +
      (bad.length ? bad.slice(0, 8).join(', ') : 'ok'));
  });
  var r = document.createElement('pre');
  r.id = 'gz-result';
  r.textContent = out.join('\\n');
  document.body.appendChild(r);
});
</script></body></html>""" % (frames, str(widths))
dirname = os.path.dirname(os.path.abspath(msg_path))
wpath = os.path.join(dirname, "gz-mobile-wrapper.html")
with open(wpath, "w", encoding="utf-8") as f:
    f.write(wrapper)
try:
    p = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                        "--user-data-dir=" + os.path.join(dirname, "gz-chromium-profile"),
                        "--window-size=1200,1000", "--dump-dom", "file://" + wpath],
                       capture_output=True, text=True, timeout=120)
except (OSError, subprocess.TimeoutExpired) as e:
    print("chromium did not run:", e)
    sys.exit(2)
m = re.search(r'<pre id="gz-result">(.*?)</pre>', p.stdout, re.S)
if not m:
    print("no result from chromium:", p.stderr[-400:])
    sys.exit(2)
lines = html.unescape(m.group(1)).splitlines()
print("\n".join(lines))
sys.exit(0 if lines and all(l.endswith(" ok") for l in lines) and len(lines) == len(widths) else 1)
