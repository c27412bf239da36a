// Past the anonymous rate limit the form comes back with 429 and div#pow (WEB.md): without
// JavaScript the page says how long to wait; with it, /assets/form.js solves the challenge and
// sends the report again, which then gets its receipt. The only test with the rate limits on.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import {
  browserSuite, fillReport, submit, uniqueUrl, watchDialogs, watchHeaders,
} from './harness.mjs';

const suite = browserSuite({ rateLimit: true });

describe('rate limit', () => {
  it('past the limit: 429 with a wait without JavaScript, a proof of work with it', async () => {
    // without JavaScript: report until refused (20 per 10 minutes by default)
    const nojs = await suite.browser.newContext({ javaScriptEnabled: false, locale: 'en-US' });
    const js = await suite.browser.newContext({ locale: 'en-US' });
    try {
      const headerProblems = [...[nojs, js].map((c) => watchHeaders(c, suite.stack.url))];
      const page = await nojs.newPage();
      let resp;
      let n = 0;
      for (; n < 40; n++) {
        await page.goto(suite.stack.url + '/?lang=en');
        await fillReport(page, { url: uniqueUrl('rate'), category: 'rumor', description: `report ${n}` });
        resp = await submit(page, '#submit');
        if (resp.status() !== 200) break;
        assert.equal(await page.locator('#receipt-id').count(), 1, `report ${n}: a receipt`);
      }
      assert.equal(resp.status(), 429, `after ${n} reports: ${resp.status()}`);
      assert.ok(n >= 1, 'at least one report before the limit');
      const retry = (await resp.allHeaders())['retry-after'];
      assert.match(retry || '', /^[1-9][0-9]*$/, 'Retry-After');
      assert.equal(await page.locator('#receipt-id').count(), 0, 'no receipt');
      assert.equal(await page.locator('#error-summary').count(), 1, '#error-summary');
      const pow = page.locator('div#pow');
      assert.equal(await pow.count(), 1, 'div#pow');
      assert.ok(await pow.getAttribute('data-challenge'), 'data-challenge');
      assert.match(await pow.getAttribute('data-bits') || '', /^[0-9]+$/, 'data-bits');
      // the values typed are kept
      assert.match(await page.inputValue('#url'), /^https:\/\/example\.com\/rate\//);
      assert.equal(await page.inputValue('#description'), `report ${n}`);
      assert.ok((await page.locator('body').textContent()).trim().length > 0);

      // with JavaScript: the refused form is solved and sent again by /assets/form.js
      const jpage = await js.newPage();
      const dialogs = watchDialogs(jpage);
      await jpage.goto(suite.stack.url + '/?lang=en');
      const url = uniqueUrl('pow');
      await fillReport(jpage, { url, category: 'rumor', description: 'with a proof of work' });
      const statuses = [];
      jpage.on('response', (r) => {
        if (r.request().isNavigationRequest()) statuses.push(r.status());
      });
      await jpage.click('#submit');
      await jpage.locator('#receipt-id').waitFor({ state: 'attached', timeout: 60000 });
      assert.match((await jpage.textContent('#receipt-id')).trim(), /^R-/);
      assert.deepEqual(statuses, [429, 200], 'refused, then taken with the proof of work');
      assert.deepEqual(dialogs, []);
      assert.deepEqual(headerProblems.flat(), []);
    } finally {
      await nojs.close();
      await js.close();
    }
  });
});
