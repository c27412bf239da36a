// The report form, the receipt and /status (docs/WEB.md): filing in Chinese and English with
// JavaScript on and off, mistakes, evidence, the headers every page carries.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import {
  browserSuite, cspProblems, fileReport, fillReport, lookUp, makePng, noBrowserValidation,
  submit, uniqueUrl,
} from './harness.mjs';

const suite = browserSuite();
const { newPage } = suite;

function formPath(lang) {
  return lang === 'zh' ? '/' : '/?lang=en';
}

const htmlLang = { zh: 'zh-CN', en: 'en' };

async function assertLang(page, lang) {
  const l = await page.getAttribute('html', 'lang');
  if (lang === 'zh') assert.equal(l, 'zh-CN', 'html lang');
  else assert.match(l || '', /^en\b/, 'html lang');
}

describe('headers', () => {
  it('every page carries the Content-Security-Policy and the other headers of WEB.md', async () => {
    const pages = ['/', '/?lang=en', '/?lang=zh', '/status', '/status?lang=en', '/review',
                   '/review?lang=en'];
    for (const p of pages) {
      const r = await suite.stack.get(p);
      assert.equal(r.status, 200, `GET ${p}: ${r.status}`);
      assert.match(r.headers['content-type'] || '', /^text\/html/i, `GET ${p} Content-Type`);
      assert.equal(cspProblems(r.headers['content-security-policy']), '', `GET ${p}`);
      assert.equal(r.headers['x-content-type-options'], 'nosniff', `GET ${p} nosniff`);
      assert.equal((r.headers['x-frame-options'] || '').toUpperCase(), 'DENY', `GET ${p} XFO`);
      assert.equal(r.headers['referrer-policy'], 'no-referrer', `GET ${p} Referrer-Policy`);
      assert.doesNotMatch(r.text, /<script(?![^>]*\bsrc=)[^>]*>/i, `GET ${p}: an inline script`);
      assert.doesNotMatch(r.text, /<style\b|\sstyle=/i, `GET ${p}: inline style`);
    }
    // the pages that answer a POST, even a refused one
    const st = await suite.stack.post('/status', 'id=R-0000-0000-0000&secret=nope',
                                      { headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    assert.equal(cspProblems(st.headers['content-security-policy']), '', `POST /status ${st.status}`);
    const rep = await suite.stack.post('/report', 'url=&category=',
                                       { headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    assert.ok(rep.status >= 400, `POST /report without a url: ${rep.status}`);
    assert.equal(cspProblems(rep.headers['content-security-policy']), '', `POST /report ${rep.status}`);
  });

  it('assets carry an ETag and answer 304 to it', async () => {
    for (const a of ['/assets/style.css', '/assets/form.js', '/assets/console.js']) {
      const r = await suite.stack.get(a);
      assert.equal(r.status, 200, `GET ${a}`);
      assert.equal(cspProblems(r.headers['content-security-policy']), '', `GET ${a}`);
      assert.equal(r.headers['x-content-type-options'], 'nosniff', `GET ${a} nosniff`);
      assert.match(r.headers['content-type'] || '', a.endsWith('.css') ? /^text\/css/ : /javascript/,
                   `GET ${a} Content-Type`);
      const etag = r.headers.etag;
      assert.ok(etag, `GET ${a}: no ETag`);
      const again = await suite.stack.get(a, { headers: { 'If-None-Match': etag } });
      assert.equal(again.status, 304, `GET ${a} If-None-Match ${etag}`);
      assert.equal(again.body.length, 0, '304 with a body');
      assert.equal(again.headers.etag, etag, 'the 304 names the same ETag');
      const other = await suite.stack.get(a, { headers: { 'If-None-Match': '"not-the-etag"' } });
      assert.equal(other.status, 200, `GET ${a} with another ETag`);
      assert.deepEqual(other.body, r.body);
    }
  });
});

describe('language', () => {
  it('Chinese by default, English by ?lang=en or Accept-Language, a #lang-switch each way', async () => {
    const { page, headerProblems } = await newPage({ lang: 'zh' });
    await page.goto(suite.stack.url + '/');
    await assertLang(page, 'zh');
    await page.click('#lang-switch');
    await page.waitForLoadState('load');
    await assertLang(page, 'en');
    await page.click('#lang-switch');
    await page.waitForLoadState('load');
    await assertLang(page, 'zh');

    const en = await newPage({ lang: 'en' });
    await en.page.goto(suite.stack.url + '/');
    await assertLang(en.page, 'en');
    await en.page.goto(suite.stack.url + '/?lang=zh');
    await assertLang(en.page, 'zh');
    assert.deepEqual([...headerProblems, ...en.headerProblems], []);
  });
});

describe('filing a report', () => {
  const texts = {
    zh: { title: '虚假投资平台', description: '这个网站以高额回报为诱饵骗取用户转账。',
          contact: 'reporter@example.org' },
    en: { title: 'Fake investment site', description: 'It promises high returns and takes deposits.',
          contact: 'reporter@example.org' },
  };

  for (const lang of ['zh', 'en']) {
    for (const js of [true, false]) {
      it(`in ${lang === 'zh' ? 'Chinese' : 'English'} with JavaScript ${js ? 'on' : 'off'}: a receipt, then /status`, async () => {
        const { page, headerProblems, dialogs } = await newPage({ js, lang });
        const form = await page.goto(suite.stack.url + formPath(lang));
        assert.equal(form.status(), 200);
        await assertLang(page, lang);
        assert.equal(await page.locator('#privacy').count(), 1, '#privacy');
        assert.equal(await page.getAttribute('#report-form', 'method'), 'post');
        assert.equal(await page.getAttribute('#report-form', 'action'), '/report');
        assert.equal(await page.getAttribute('#report-form', 'enctype'), 'multipart/form-data');
        // a radio for every category, each with its explanation somewhere in the fieldset
        assert.ok(await page.locator('fieldset#category input[type=radio][name=category]').count() >= 13,
                  'the category radios');

        const url = uniqueUrl(`form-${lang}`);
        const { id, secret, resp } = await fileReport(page, {
          url, category: 'fraud', ...texts[lang],
        });
        assert.equal(resp.status(), 200, 'POST /report');
        assert.match(id, /^R-/, '#receipt-id');
        assert.ok(secret.length > 0, '#receipt-secret');
        assert.match((await resp.allHeaders())['cache-control'] || '', /no-store/, 'receipt Cache-Control');
        await assertLang(page, lang);
        assert.ok(await page.locator('a[href^="/status"]').count() >= 1, 'a link to /status');

        // the API agrees
        const api = await suite.stack.get(`/api/v1/reports/${id}`, { headers: { 'X-Report-Secret': secret } });
        assert.equal(api.status, 200, api.text);
        assert.equal(api.json().category, 'fraud');

        // /status in the browser
        const st = await lookUp(page, suite.stack.url, id, secret, lang === 'en' ? '?lang=en' : '');
        assert.equal(st.status(), 200, 'POST /status');
        const status = await page.getAttribute('#status', 'data-status');
        assert.ok(['received', 'in_review'].includes(status), `#status data-status=${status}`);
        assert.ok((await page.locator('#status').textContent()).trim().length > 0, '#status words');
        assert.equal(await page.locator('#decision').count(), 0, '#decision before a decision');
        assert.match((await st.allHeaders())['cache-control'] || '', /no-store/, 'status Cache-Control');

        // a wrong secret: 404, the form again with #error-summary
        const bad = await lookUp(page, suite.stack.url, id, 'wrongsecretwrongsecretwron');
        assert.equal(bad.status(), 404, 'a wrong secret');
        assert.equal(await page.locator('#error-summary').count(), 1, '#error-summary');
        assert.equal(await page.locator('#status-form').count(), 1, 'the form again');
        assert.equal(await page.locator('#status').count(), 0, 'no #status');

        assert.deepEqual(headerProblems, []);
        assert.deepEqual(dialogs, []);
      });
    }
  }
});

/** Checks what WEB.md says of a field at fault. field: the id of the field (fieldset for
 *  category). */
async function assertFieldError(page, field) {
  const err = page.locator(`p#${field}-error`);
  assert.equal(await err.count(), 1, `p#${field}-error`);
  assert.ok(await err.isVisible(), `p#${field}-error is visible`);
  assert.ok((await err.textContent()).trim().length > 0, `p#${field}-error says something`);
  // the field (for category: the fieldset, or every radio in it) names it and is invalid
  const info = await page.evaluate((f) => {
    const el = document.getElementById(f);
    const targets = el.tagName === 'FIELDSET' &&
      !(el.getAttribute('aria-describedby') || '').split(/\s+/).includes(`${f}-error`)
      ? [...el.querySelectorAll('input')] : [el];
    return targets.map((t) => ({
      describedby: (t.getAttribute('aria-describedby') || '').split(/\s+/),
      invalid: t.getAttribute('aria-invalid'),
    }));
  }, field);
  for (const t of info) {
    assert.ok(t.describedby.includes(`${field}-error`), `#${field} aria-describedby: ${t.describedby}`);
    assert.equal(t.invalid, 'true', `#${field} aria-invalid`);
  }
  // beside its field: no other field between them in document order
  const beside = await page.evaluate((f) => {
    const fields = ['url', 'category', 'title', 'description', 'evidence', 'contact']
      .map((x) => document.getElementById(x)).filter(Boolean);
    const err = document.getElementById(`${f}-error`);
    const all = [...fields, err].sort((a, b) =>
      a === b ? 0 : (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1));
    const i = all.indexOf(err);
    return [all[i - 1] && all[i - 1].id, all[i + 1] && all[i + 1].id];
  }, field);
  assert.ok(beside.includes(field), `p#${field}-error is not beside #${field}: between ${beside}`);
  // the summary links to it
  const links = await page.locator('#error-summary a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert.ok(links.some((h) => h === `#${field}` || (h || '').startsWith(`#${field}-`)),
            `#error-summary links to #${field}: ${links}`);
}

async function assertNoFieldError(page, field) {
  assert.equal(await page.locator(`p#${field}-error`).count(), 0, `p#${field}-error`);
}

describe('mistakes', () => {
  const longTitle = '标题'.repeat(150) + 'x';   // 301 characters
  const cases = [
    { name: 'an empty url', fields: { url: '', category: 'gambling' }, bad: ['url'] },
    { name: 'a bad url', fields: { url: 'ftp://x', category: 'gambling' }, bad: ['url'] },
    { name: 'no category', fields: { url: uniqueUrl('nocat') }, bad: ['category'] },
    { name: 'a title over 300 characters', fields: { url: uniqueUrl('long'), category: 'gambling', title: longTitle },
      bad: ['title'] },
    { name: 'every mistake at once', fields: { url: 'ftp://x', title: longTitle }, bad: ['url', 'category', 'title'] },
  ];
  for (const js of [true, false]) {
    for (const c of cases) {
      if (!js && c.name !== 'a bad url' && c.name !== 'every mistake at once') continue;
      it(`${c.name} (JavaScript ${js ? 'on' : 'off'}): the message beside the field, values kept`, async () => {
        const { page, headerProblems } = await newPage({ js, lang: js ? 'zh' : 'en' });
        await page.goto(suite.stack.url + formPath(js ? 'zh' : 'en'));
        await noBrowserValidation(page);
        const typed = { title: 'kept title', description: '留下的描述\nline two', contact: 'kept@example.org', ...c.fields };
        await fillReport(page, typed);
        const resp = await submit(page, '#submit');
        assert.ok([400, 422].includes(resp.status()), `status ${resp.status()}`);
        await assertLang(page, js ? 'zh' : 'en');
        assert.equal(await page.locator('#receipt-id').count(), 0, 'no receipt');
        const summary = page.locator('#error-summary');
        assert.equal(await summary.count(), 1, '#error-summary');
        assert.equal(await summary.getAttribute('role'), 'alert', '#error-summary role');
        for (const f of c.bad) await assertFieldError(page, f);
        for (const f of ['url', 'category', 'title', 'description', 'contact']) {
          if (!c.bad.includes(f)) await assertNoFieldError(page, f);
        }
        // every value typed is kept
        assert.equal(await page.inputValue('#url'), typed.url, '#url kept');
        assert.equal(await page.inputValue('#title'), typed.title, '#title kept');
        assert.equal((await page.inputValue('#description')).replace(/\r\n/g, '\n'), typed.description,
                     '#description kept');
        assert.equal(await page.inputValue('#contact'), typed.contact, '#contact kept');
        if (typed.category) {
          assert.ok(await page.isChecked(`#category-${typed.category}`), 'the category kept');
        } else {
          assert.equal(await page.locator('input[name=category]:checked').count(), 0, 'no category');
        }
        // and the form works from there once corrected
        await noBrowserValidation(page);
        await fillReport(page, { url: uniqueUrl('fixed'), category: 'gambling', title: 'fixed' });
        const again = await submit(page, '#submit');
        assert.equal(again.status(), 200, 'the corrected form');
        assert.match((await page.textContent('#receipt-id')).trim(), /^R-/);
        assert.deepEqual(headerProblems, []);
      });
    }
  }
});

describe('evidence', () => {
  const png = makePng(16, 16);

  for (const js of [true, false]) {
    it(`a PNG (JavaScript ${js ? 'on' : 'off'}): a receipt`, async () => {
      const { page, headerProblems } = await newPage({ js });
      await page.goto(suite.stack.url + '/');
      const { id, resp } = await fileReport(page, {
        url: uniqueUrl('png'), category: 'pornography',
        evidence: { name: 'shot.png', mimeType: 'image/png', buffer: png },
      });
      assert.equal(resp.status(), 200);
      assert.match(id, /^R-/);
      assert.deepEqual(headerProblems, []);
    });
  }

  it('evil.jpg whose bytes are HTML is refused beside the evidence field, no receipt', async () => {
    const { page, headerProblems, dialogs } = await newPage({ js: true });
    await page.goto(suite.stack.url + '/');
    const url = uniqueUrl('evil');
    await fillReport(page, {
      url, category: 'hacking', title: 'evil file', description: 'an html file named jpg',
      evidence: { name: 'evil.jpg', mimeType: 'image/jpeg',
                  buffer: Buffer.from('<html><script>alert(1)</script>') },
    });
    const resp = await submit(page, '#submit');
    assert.ok(resp.status() >= 400 && resp.status() < 500, `status ${resp.status()}`);
    assert.equal(await page.locator('#receipt-id').count(), 0, 'no receipt');
    await assertFieldError(page, 'evidence');
    for (const f of ['url', 'category', 'title']) await assertNoFieldError(page, f);
    assert.equal(await page.inputValue('#url'), url, '#url kept');
    assert.ok(await page.isChecked('#category-hacking'), 'the category kept');
    assert.deepEqual(dialogs, []);
    assert.deepEqual(headerProblems, []);
  });

  it('an image just over 5 MB is refused beside the evidence field, no receipt', async () => {
    const { page, headerProblems } = await newPage({ js: false });
    await page.goto(suite.stack.url + '/');
    // a PNG whose pixels are noise, so that it does not compress: 5 MiB and a few KiB
    const big = makePng(1300, 1345, { noise: true });
    assert.ok(big.length > 5 * 1024 * 1024 && big.length < 5 * 1024 * 1024 + 32 * 1024,
              `the big PNG is ${big.length} bytes`);
    const url = uniqueUrl('big');
    await fillReport(page, {
      url, category: 'pornography', description: 'too big',
      evidence: { name: 'big.png', mimeType: 'image/png', buffer: big },
    });
    const resp = await submit(page, '#submit');
    assert.ok([400, 413, 422].includes(resp.status()), `status ${resp.status()}`);
    assert.equal(await page.locator('#receipt-id').count(), 0, 'no receipt');
    await assertFieldError(page, 'evidence');
    assert.equal(await page.inputValue('#url'), url, '#url kept');
    assert.equal(await page.inputValue('#description'), 'too big', '#description kept');
    assert.deepEqual(headerProblems, []);
  });

  it('a body far over the limit: 413 and an error page, no receipt', async () => {
    const { page, headerProblems } = await newPage({ js: false, lang: 'en' });
    await page.goto(suite.stack.url + '/?lang=en');
    await fillReport(page, {
      url: uniqueUrl('huge'), category: 'pornography',
      evidence: { name: 'huge.png', mimeType: 'image/png', buffer: makePng(1800, 1800, { noise: true }) },
    });
    const resp = await submit(page, '#submit');
    assert.equal(resp.status(), 413, `status ${resp.status()}`);
    assert.equal(await page.locator('#receipt-id').count(), 0, 'no receipt');
    assert.equal(await page.locator('#error-summary').count(), 1, '#error-summary');
    assert.ok((await page.locator('#error-summary').textContent()).trim().length > 0);
    assert.deepEqual(headerProblems, []);
  });
});
