// Lighthouse (npm, pinned in package-lock.json) audits pages in one Chromium, for tests/test_lighthouse.py.
//
// Reads {"chrome": path, "flags": Lighthouse flags, "jobs": [{"url", "scheme": "light"|"dark",
// "categories": [...]}]} as JSON on stdin and writes one result per job, in order, as JSON on stdout:
//   {"url", "scheme", "scores": {category: score}, "failing": [{category, id, title, displayValue,
//    score, items}], "metrics": {id: value}, "brightness": mean brightness 0..1 of the final
//    screenshot (null without the performance category), "darkAtEnd": whether the page still matched
//    prefers-color-scheme: dark when Lighthouse was done, "settings": what Lighthouse ran with, "warnings"}
// Each job is a Lighthouse navigation with its default config and the given flags, in a fresh tab
// of one browser. The tab's prefers-color-scheme is emulated through puppeteer-core (the
// one Lighthouse itself depends on) before Lighthouse navigates it: Lighthouse's own emulation
// touches the viewport, the user agent and throttling, never media features, so the scheme stays.

import {createRequire} from 'node:module';

import lighthouse from 'lighthouse';

// Lighthouse's own dependencies, found from Lighthouse so that npm's hoisting does not matter.
const fromLighthouse = createRequire(createRequire(import.meta.url).resolve('lighthouse/package.json'));
const puppeteer = fromLighthouse('puppeteer-core');
const jpeg = fromLighthouse('jpeg-js');

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/** Mean brightness (0 black .. 1 white) of a JPEG data URI, the way the page was painted. */
function brightness(dataUri) {
  const {data, width, height} = jpeg.decode(Buffer.from(dataUri.split(',', 2)[1], 'base64'), {useTArray: true});
  let sum = 0;
  for (let i = 0; i < data.length; i += 4) sum += 0.2126 * data[i] + 0.7152 * data[i + 1] + 0.0722 * data[i + 2];
  return sum / (width * height) / 255;
}

function label(item) {
  if (item.node) return item.node.selector || item.node.snippet || '';
  const where = item.url || (item.sourceLocation && item.sourceLocation.url) || (item.source && item.source.url);
  return [where, item.description || item.issueType].filter(Boolean).join(': ');
}

/** Every weighted audit that keeps a category below 1, with a few of the elements or URLs it names. */
function failing(lhr) {
  const out = [];
  for (const [category, {auditRefs}] of Object.entries(lhr.categories)) {
    for (const ref of auditRefs) {
      const audit = lhr.audits[ref.id];
      if (ref.weight > 0 && audit.score !== null && audit.score < 1) {
        const items = ((audit.details && audit.details.items) || []).slice(0, 3).map(label).filter(Boolean);
        out.push({category, id: audit.id, title: audit.title, displayValue: audit.displayValue || '',
                  score: audit.score, items});
      }
    }
  }
  return out;
}

// The metrics that make up the performance score, reported as measured (ms; layout shift unitless).
const METRICS = ['first-contentful-paint', 'largest-contentful-paint', 'total-blocking-time', 'cumulative-layout-shift',
  'speed-index'];

const {chrome, flags, jobs} = await readStdin();
const root = typeof process.getuid === 'function' && process.getuid() === 0;
const browser = await puppeteer.launch({
  executablePath: chrome,
  headless: true, // puppeteer-core passes --headless=new
  defaultViewport: null, // Lighthouse emulates the device itself
  args: [
    ...(root ? ['--no-sandbox'] : []),
    '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync',
  ],
});
const results = [];
try {
  for (const job of jobs) {
    const page = await browser.newPage();
    try {
      await page.emulateMediaFeatures([{name: 'prefers-color-scheme', value: job.scheme}]);
      const run = await lighthouse(job.url, {...flags, logLevel: 'error', onlyCategories: job.categories}, undefined, page);
      const lhr = run.lhr;
      const shot = lhr.audits['final-screenshot'];
      // Still on the audited page: did the scheme hold through every gatherer, to the end?
      const darkAtEnd = await page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches);
      results.push({
        url: job.url,
        scheme: job.scheme,
        scores: Object.fromEntries(Object.entries(lhr.categories).map(([id, c]) => [id, c.score])),
        failing: failing(lhr),
        metrics: Object.fromEntries(METRICS.filter(id => lhr.audits[id]).map(id => [id, lhr.audits[id].numericValue])),
        brightness: shot && shot.details ? brightness(shot.details.data) : null,
        darkAtEnd,
        settings: {formFactor: lhr.configSettings.formFactor, width: lhr.configSettings.screenEmulation.width,
                   throttlingMethod: lhr.configSettings.throttlingMethod, throttling: lhr.configSettings.throttling},
        warnings: [...lhr.runWarnings, ...(lhr.runtimeError ? [lhr.runtimeError.message] : [])],
      });
    } finally {
      await page.close();
    }
  }
} finally {
  await browser.close();
}
// Exit once the results are out: something of Lighthouse's keeps node alive for seconds after it is done.
process.stdout.write(JSON.stringify(results), () => process.exit(0));
