// Accessibility: axe-core on the form (Chinese and English), the receipt, the form with errors,
// the status page and the console's login: no violation of impact serious or critical.
//
// The pages' CSP forbids inline scripts, which is how page.addScriptTag injects axe; the
// contexts here bypass the CSP for that (the other tests keep it).

import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';

import {
  axeSource, browserSuite, fileReport, fillReport, lookUp, noBrowserValidation, submit, uniqueUrl,
} from './harness.mjs';

const suite = browserSuite();
let axe;

before(() => {
  axe = axeSource();
});

async function newPage(lang) {
  return (await suite.newPage({ lang, bypassCSP: true })).page;
}

/** The serious and critical violations axe finds on the page, as readable lines. */
async function violations(page) {
  await page.addScriptTag({ content: axe });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary}`),
    }));
  });
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id} (${v.help}):\n    ${v.nodes.join('\n    ')}`);
}

describe('accessibility (axe-core)', () => {
  for (const lang of ['zh', 'en']) {
    it(`the form in ${lang === 'zh' ? 'Chinese' : 'English'}`, async () => {
      const page = await newPage(lang);
      await page.goto(suite.stack.url + (lang === 'zh' ? '/' : '/?lang=en'));
      assert.deepEqual(await violations(page), []);
    });

    it(`the receipt in ${lang === 'zh' ? 'Chinese' : 'English'}`, async () => {
      const page = await newPage(lang);
      await page.goto(suite.stack.url + (lang === 'zh' ? '/' : '/?lang=en'));
      await fileReport(page, { url: uniqueUrl('a11y'), category: 'rumor', title: 'a11y' });
      assert.deepEqual(await violations(page), []);
    });
  }

  it('the form with errors', async () => {
    const page = await newPage('zh');
    await page.goto(suite.stack.url + '/');
    await noBrowserValidation(page);
    await fillReport(page, { url: 'ftp://x', title: 'x'.repeat(301) });
    const resp = await submit(page, '#submit');
    assert.ok(resp.status() >= 400, `status ${resp.status()}`);
    assert.equal(await page.locator('#error-summary').count(), 1);
    assert.deepEqual(await violations(page), []);
  });

  it('the status page', async () => {
    const page = await newPage('en');
    await page.goto(suite.stack.url + '/?lang=en');
    const { id, secret } = await fileReport(page, { url: uniqueUrl('a11y'), category: 'rumor' });
    await page.goto(suite.stack.url + '/status?lang=en');
    assert.deepEqual(await violations(page), [], 'GET /status');
    await lookUp(page, suite.stack.url, id, secret, '?lang=en');
    assert.equal(await page.locator('#status').count(), 1);
    assert.deepEqual(await violations(page), [], 'POST /status');
  });

  it('the console\'s login', async () => {
    const page = await newPage('en');
    await page.goto(suite.stack.url + '/review');
    await page.locator('#login-form').waitFor({ state: 'visible', timeout: 10000 });
    assert.deepEqual(await violations(page), []);
  });
});
