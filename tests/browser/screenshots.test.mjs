// Screenshots of every page, at phone (390x844) and desktop (1280x900) width, saved in
// $JUBAO_ARTIFACTS (default build/screenshots): the form in Chinese and in English, the form with
// errors, the receipt, the status page, the console's login and the console with a case.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';

import {
  ARTIFACTS, browserSuite, consoleLogin, fileReport, fillReport, lookUp, makePng,
  noBrowserValidation, screenshots, submit, uniqueUrl,
} from './harness.mjs';

const suite = browserSuite();

describe('screenshots', () => {
  it(`of every page, at phone and desktop width, in ${ARTIFACTS}`, async () => {
    const files = [];
    const zh = await suite.browser.newContext({ locale: 'zh-CN' });
    const en = await suite.browser.newContext({ locale: 'en-US' });
    try {
      const page = await zh.newPage();
      await page.goto(suite.stack.url + '/');
      files.push(...await screenshots(page, 'form-zh'));

      await noBrowserValidation(page);
      await fillReport(page, { url: 'ftp://x', title: '标题'.repeat(151), description: '网上赌场' });
      await submit(page, '#submit');
      assert.equal(await page.locator('#error-summary').count(), 1);
      files.push(...await screenshots(page, 'form-errors'));

      await page.goto(suite.stack.url + '/');
      const { id, secret } = await fileReport(page, {
        url: uniqueUrl('shot'), category: 'gambling', title: '网络赌博网站',
        description: '这个网站提供网络赌博。', contact: 'citizen@example.org',
        evidence: { name: 'screen.png', mimeType: 'image/png', buffer: makePng(64, 48) },
      });
      files.push(...await screenshots(page, 'receipt'));

      await lookUp(page, suite.stack.url, id, secret);
      assert.equal(await page.locator('#status').count(), 1);
      files.push(...await screenshots(page, 'status'));

      const epage = await en.newPage();
      await epage.goto(suite.stack.url + '/?lang=en');
      files.push(...await screenshots(epage, 'form-en'));

      await epage.goto(suite.stack.url + '/review');
      await epage.locator('#login-form').waitFor({ state: 'visible' });
      files.push(...await screenshots(epage, 'console-login'));

      const { name } = suite.stack.addReviewer('supervisor');
      await suite.stack.waitQueued(await suite.stack.login(name), 1);
      await consoleLogin(epage, suite.stack.url, name);
      await epage.click('#claim-button');
      await epage.locator('#case').waitFor({ state: 'visible', timeout: 10000 });
      const show = epage.locator('#case-evidence button.evidence-show');
      if (await show.count()) {
        await show.first().click();
        await epage.locator('#case-evidence img.evidence').waitFor({ state: 'visible', timeout: 10000 });
      }
      files.push(...await screenshots(epage, 'console-case'));
    } finally {
      await zh.close();
      await en.close();
    }
    assert.equal(files.length, 14);
    for (const f of files) {
      const head = fs.readFileSync(f).subarray(0, 8);
      assert.deepEqual([...head], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${f} is a PNG`);
    }
  });
});
