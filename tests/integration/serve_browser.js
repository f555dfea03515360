// The browser walk for tests/integration/serve_browser.sh: headless Chromium (Debian's,
// through puppeteer-core) signs up, confirms from the link in the confirmation message
// in the Maildir, and unsubscribes from the footer link of a real issue; each page is
// shot at 600 and 375 px and checked for its key elements, in the DOM and in the pixels.
// usage: node serve_browser.js BASE WORKDIR GAZETTE PYTHON
'use strict';
const path = require('path');
const fs = require('fs');
const { execFileSync } = require('child_process');
const puppeteer = require(path.join(process.env.NPM_DIR, 'node_modules', 'puppeteer-core'));

const [BASE, W, GAZETTE, PY] = process.argv.slice(2);
let failed = 0;
function ok(cond, what) {
  console.log((cond ? 'ok - ' : 'not ok - ') + what);
  if (!cond) failed++;
}
function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }
function files(dir) {
  try { return fs.readdirSync(dir).map((f) => path.join(dir, f)); } catch (e) { return []; }
}
async function waitFor(fn, what) {
  for (let i = 0; i < 600; i++) {
    const v = fn();
    if (v) return v;
    await sleep(100);
  }
  throw new Error('gave up waiting for ' + what);
}

// The colour of pixel (x, y) of a PNG screenshot, decoded by the browser itself.
async function pixel(browser, png, x, y) {
  const p = await browser.newPage();
  const r = await p.evaluate(async (b64, x, y) => {
    const img = new Image();
    img.src = 'data:image/png;base64,' + b64;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width;
    c.height = img.height;
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    return [img.width, ...g.getImageData(x, y, 1, 1).data];
  }, Buffer.from(png).toString('base64'), x, y);
  await p.close();
  return r;
}

// Shoot the page at both widths; check the elements are there, inside the width, and
// that the button is drawn in its colour where the DOM says it is.
async function shoot(browser, page, name, selectors, button) {
  for (const width of [600, 375]) {
    await page.setViewport({ width, height: 900, deviceScaleFactor: 1 });
    const file = path.join(W, `${name}-${width}.png`);
    const png = await page.screenshot({ path: file, fullPage: true });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
    ok(overflow <= width, `${name} at ${width} px: no sideways scrolling (${overflow})`);
    for (const sel of selectors) {
      const box = await page.$eval(sel, (e) => {
        const r = e.getBoundingClientRect();
        return { x: r.x, y: r.y + window.scrollY, w: r.width, h: r.height };
      }).catch(() => null);
      ok(box && box.w > 0 && box.h > 0 && box.x >= 0 && box.x + box.w <= width + 0.5,
        `${name} at ${width} px: ${sel} is shown inside the page`);
    }
    if (button) {
      const b = await page.$eval(button, (e) => {
        const r = e.getBoundingClientRect();
        return { x: Math.round(r.x + 4), y: Math.round(r.y + window.scrollY + 3) };
      });
      const [w, r, g, bl] = await pixel(browser, png, b.x, b.y);
      ok(w === width && r < 40 && g > 60 && g < 120 && bl > 180,
        `${name} at ${width} px: the screenshot shows the blue button (${w} px, rgb ${r},${g},${bl})`);
    }
  }
  await page.setViewport({ width: 600, height: 900, deviceScaleFactor: 1 });
}

(async () => {
  const browser = await puppeteer.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const consoleErrors = [];
  try {
    const page = await browser.newPage();
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    await page.setViewport({ width: 600, height: 900, deviceScaleFactor: 1 });

    // sign up
    let resp = await page.goto(BASE + '/subscribe');
    ok(resp.status() === 200, 'the sign-up form loads');
    await shoot(browser, page, 'subscribe', ['h1', '#email', '#name', '#subscribe'], '#subscribe');
    ok(await page.$eval('#website', (e) => e.getBoundingClientRect().right <= 0),
      'the honeypot field is off screen');
    await page.type('#email', 'browser.reader@example.com');
    await page.type('#name', 'Browser Reader');
    await page.click('input[value="tech"]');
    await Promise.all([page.waitForNavigation(), page.click('#subscribe')]);
    ok(await page.$('#sent') !== null, 'after sign-up: "check your inbox"');
    await shoot(browser, page, 'sent', ['#sent'], null);

    // the confirmation message in the Maildir
    const mail = await waitFor(() => files(path.join(W, 'outbox', 'new')).find(
      (f) => /^To: browser\.reader@example\.com$/m.test(fs.readFileSync(f, 'utf8'))), 'the mail');
    const link = execFileSync(PY, [path.join(__dirname, 'serve_client.py'), 'confirm-link', mail])
      .toString().trim();
    ok(link.startsWith(BASE + '/confirm?'), 'the confirmation message has the confirm link');
    resp = await page.goto(link);
    ok(resp.status() === 200 && await page.$('#confirm') !== null, 'the link shows a confirm button');
    await shoot(browser, page, 'confirm', ['h1', '#confirm'], '#confirm');
    await Promise.all([page.waitForNavigation(), page.click('#confirm')]);
    ok(await page.$('#done') !== null, 'confirmed');

    // an issue goes out (the next send applies the confirmation first)
    execFileSync(GAZETTE, ['send'], { cwd: W });
    const issue = await waitFor(() => files(path.join(W, 'outbox', 'new')).find((f) => {
      const t = fs.readFileSync(f, 'utf8');
      return /^To: .*browser\.reader@example\.com/m.test(t) && /^List-Unsubscribe:/m.test(t);
    }), 'the issue');
    const unsub = execFileSync(PY, ['-c', `
import email, email.policy, re, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
html = m.get_body(("html",)).get_content()
links = re.findall(r'href="([^"]*unsubscribe[^"]*)"', html)
print(links[0].replace("&amp;", "&"))`, issue]).toString().trim();
    ok(unsub.startsWith(BASE + '/unsubscribe?'), 'the issue\'s footer has the unsubscribe link');
    resp = await page.goto(unsub);
    ok(resp.status() === 200 && await page.$('#unsubscribe') !== null,
      'the footer link shows one unsubscribe button');
    await shoot(browser, page, 'unsubscribe', ['h1', '#unsubscribe'], '#unsubscribe');
    const before = execFileSync(GAZETTE, ['subscribers', 'list', '--status', 'active'], { cwd: W })
      .toString();
    ok(before.includes('browser.reader@example.com'), 'opening the link unsubscribed nobody');
    await Promise.all([page.waitForNavigation(), page.click('#unsubscribe')]);
    ok(await page.$('#done') !== null && await page.$('#resubscribe') !== null,
      'unsubscribed, with an offer to resubscribe');
    await shoot(browser, page, 'unsubscribed', ['#done', '#resubscribe'], '#resubscribe');
    const after = execFileSync(GAZETTE, ['subscribers', 'list', '--status', 'unsubscribed'],
      { cwd: W }).toString();
    ok(after.includes('browser.reader@example.com'), 'the list says unsubscribed');
    ok(consoleErrors.length === 0, 'no console errors (CSP violations would be): ' +
      consoleErrors.join(' | '));
  } catch (e) {
    ok(false, 'the browser walk: ' + e.message);
  } finally {
    await browser.close();
  }
  process.exit(failed ? 1 : 0);
})();
