// Mozilla Readability (npm @mozilla/readability + jsdom) over the same pages as
// bench_html, for `make bench`: node readability.js DIR REPEAT.  Times the parse (jsdom)
// and the extraction, as bench_html times gazette's parse and extraction; verifies its
// own results: every page gives an article, and titles match expected-metadata.json.
// Last line: RESULT pages SECONDS OK_TITLES PAGES_WITH_TITLE
"use strict";
const fs = require("fs");
const path = require("path");
const { JSDOM, VirtualConsole } = require("jsdom");
const { Readability } = require("@mozilla/readability");

const dir = process.argv[2];
const repeat = parseInt(process.argv[3] || "1", 10);
const names = fs.readdirSync(dir).filter((n) => !n.includes(".")).sort();
const pages = names.map((n) => ({
  name: n,
  html: fs.readFileSync(path.join(dir, n, "source.html"), "utf8"),
  meta: JSON.parse(fs.readFileSync(path.join(dir, n, "expected-metadata.json"), "utf8")),
}));
const quiet = new VirtualConsole();
let secs = 0, count = 0, titled = 0, okTitles = 0, failed = 0;
for (let r = 0; r < repeat; r++) {
  for (const p of pages) {
    const t = process.hrtime.bigint();
    const dom = new JSDOM(p.html, { url: "http://fakehost/test/page.html", virtualConsole: quiet });
    const art = new Readability(dom.window.document).parse();
    secs += Number(process.hrtime.bigint() - t) / 1e9;
    dom.window.close();
    count++;
    if (r > 0) continue;
    if (!art) { failed++; console.log("no article: " + p.name); continue; }
    if (p.meta.title) {
      titled++;
      if ((art.title || "").trim() === p.meta.title.trim()) okTitles++;
    }
  }
}
console.log(`readability: ${pages.length} pages x ${repeat} in ${secs.toFixed(3)} s: ` +
  `${(count / secs).toFixed(1)} pages/s; titles as expected ${okTitles}/${titled}, ${failed} without article`);
console.log(`RESULT ${count} ${secs.toFixed(6)} ${okTitles} ${titled} ${failed}`);
