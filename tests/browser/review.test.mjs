// The reviewer console (docs/WEB.md): a supervisor logs in on /review, claims the case a
// citizen filed through the form, sees it (evidence blurred until a second click), decides it
// actioned; the citizen then sees the decision on /status.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import {
  PASSWORD, browserSuite, consoleLogin, fileReport, lookUp, makePng, screenshots, uniqueUrl,
  waitUntil,
} from './harness.mjs';

const suite = browserSuite();
const { newPage } = suite;

async function text(page, sel) {
  return ((await page.locator(sel).textContent({ timeout: 5000 })) || '').trim();
}

describe('the reviewer console', () => {
  it('refuses a wrong password with #login-error', async () => {
    const { name } = suite.stack.addReviewer('reviewer');
    const { page, headerProblems, dialogs } = await newPage({ lang: 'en' });
    await page.goto(suite.stack.url + '/review');
    await page.fill('#login-user', name);
    await page.fill('#login-password', 'not the password');
    await page.click('#login-form button, #login-form input[type=submit]');
    await page.locator('#login-error').waitFor({ state: 'visible', timeout: 10000 });
    assert.ok((await text(page, '#login-error')).length > 0, '#login-error says something');
    assert.ok(!(await page.locator('#console').isVisible()), '#console stays hidden');
    assert.deepEqual(dialogs, []);
    assert.deepEqual(headerProblems, []);
  });

  it('a reviewer sees no queue table; claiming from an empty queue says so', async () => {
    const { name } = suite.stack.addReviewer('reviewer');
    const { page, consoleErrors, dialogs } = await newPage({ lang: 'en' });
    await consoleLogin(page, suite.stack.url, name);
    assert.ok(!(await page.locator('#login-form').isVisible()), '#login-form hidden after login');
    assert.equal(await page.locator('table#queues:visible').count(), 0, 'no table#queues for a reviewer');
    // the escalated queue is for supervisors: a refusal, said in #message
    await page.selectOption('#queue-select', 'escalated');
    await page.click('#claim-button');
    await waitUntil(async () => (await text(page, '#message')).length > 0,
                    { what: '#message after a refused claim' });
    assert.ok(!(await page.locator('#case').isVisible()), 'no #case');
    // the session survives a reload (sessionStorage), and logout ends it, on the server too:
    // a copy of the token is refused at once
    await page.reload();
    await page.locator('#console').waitFor({ state: 'visible', timeout: 10000 });
    const token = await page.evaluate(() => sessionStorage.getItem('jubao.token'));
    const queues = () => suite.stack.get('/api/v1/review/queues',
                                         { headers: { Authorization: 'Bearer ' + token } });
    assert.equal((await queues()).status, 403, 'the token works before logout');
    await page.click('#logout-button');
    await page.locator('#login-form').waitFor({ state: 'visible', timeout: 10000 });
    assert.ok(!(await page.locator('#console').isVisible()), '#console hidden after logout');
    await waitUntil(async () => (await queues()).status === 401,
                    { timeout: 5000, what: 'the token refused after logout' });
    await page.reload();
    await page.locator('#login-form').waitFor({ state: 'visible', timeout: 10000 });
    assert.deepEqual(consoleErrors, []);
    assert.deepEqual(dialogs, []);
  });

  it('a supervisor claims the case filed through the form, decides it actioned; /status shows it', async () => {
    // a citizen files a report with a picture
    const citizen = await newPage({ lang: 'zh' });
    await citizen.page.goto(suite.stack.url + '/');
    const url = uniqueUrl('review');
    const title = '赌博网站 casino site';
    const description = '网站提供网络赌博, online casino without licence';
    const { id, secret } = await fileReport(citizen.page, {
      url, category: 'gambling', title, description,
      evidence: { name: 'screen.png', mimeType: 'image/png', buffer: makePng(16, 16) },
    });
    const api = await suite.stack.get(`/api/v1/reports/${id}`, { headers: { 'X-Report-Secret': secret } });
    assert.equal(api.status, 200, api.text);
    const caseId = api.json().case;
    assert.match(caseId, /^C-/);

    // the worker queues it
    const { name } = suite.stack.addReviewer('supervisor');
    const apiToken = await suite.stack.login(name);
    await suite.stack.waitQueued(apiToken, 1);

    const { page, headerProblems, dialogs, consoleErrors } = await newPage({ lang: 'en' });
    await consoleLogin(page, suite.stack.url, name, PASSWORD);
    assert.equal((await page.locator('#login-error:visible').count()), 0, 'no #login-error');

    // supervisors see the queues
    await page.locator('table#queues').waitFor({ state: 'visible', timeout: 10000 });
    await page.click('#queues-refresh');
    await waitUntil(async () => {
      const t = await page.locator('table#queues tr[data-queue=default] .length').textContent();
      return Number((t || '').trim()) >= 1;
    }, { what: 'table#queues default .length >= 1' });
    assert.equal(await page.locator('table#queues tr[data-queue=escalated]').count(), 1);

    // claim
    await page.selectOption('#queue-select', 'default');
    await page.click('#claim-button');
    await page.locator('#case').waitFor({ state: 'visible', timeout: 10000 });
    assert.equal(await text(page, '#case-id'), caseId, '#case-id');
    assert.ok((await text(page, '#case-lease')).length > 0, '#case-lease');
    // the review deadline: the claim's deadline_at, and the time left (band 2 here: 4 h)
    assert.match(await page.getAttribute('#case-deadline', 'data-deadline'),
                 /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, '#case-deadline data-deadline');
    assert.match(await text(page, '#case-deadline'), /\(3:5\d:\d\d left\)$/, '#case-deadline');
    await screenshots(page, 'review-case-deadline');
    assert.match(await text(page, '#case-category'), /gambling|赌博/i, '#case-category');
    assert.ok(await page.locator('#case-severity').count() === 1, '#case-severity');
    // the shipped packs read the reporter's own words ("网站提供网络赌博"): the reviewer sees the
    // suggestion with its score and source, and the rule that made it
    assert.match(await text(page, '#case-suggested'), /Gambling \(gambling\) 0\.90 \(rule\)/, '#case-suggested');
    assert.match(await text(page, '#case-rule-hits'), /\breport\.gambling_says\b/, '#case-rule-hits');
    assert.match(await text(page, '#case-count'), /\b1\b/, '#case-count');
    const urls = await page.locator('ul#case-urls li').allTextContents();
    assert.equal(urls.length, 1, `#case-urls: ${urls}`);
    assert.ok(urls[0].startsWith('hxxps://example[.]com/'), `defanged: ${urls[0]}`);
    assert.ok(!urls[0].includes('https://'), `defanged: ${urls[0]}`);
    assert.equal(await page.locator('#case a[href]').count(), 0, 'no link in #case');
    assert.deepEqual(await page.locator('ul#case-titles li').allTextContents(), [title]);
    assert.deepEqual(await page.locator('ul#case-descriptions li').allTextContents(), [description]);

    // the picture: a button; a click shows it blurred; a second click unblurs it
    const show = page.locator('#case-evidence button.evidence-show');
    assert.equal(await show.count(), 1, 'one button.evidence-show');
    const evidenceResp = page.waitForResponse((r) => r.url().includes(`/api/v1/review/cases/${caseId}/evidence/`));
    await show.click();
    const er = await evidenceResp;
    assert.equal(er.status(), 200, 'the evidence fetch');
    const img = page.locator('#case-evidence img.evidence');
    await img.waitFor({ state: 'visible', timeout: 10000 });
    await waitUntil(() => img.evaluate((i) => i.complete && i.naturalWidth === 16),
                    { what: 'the image to load (16 px wide)' });
    assert.match(await img.getAttribute('src'), /^blob:/, 'the image is a blob: URL');
    assert.ok(await img.evaluate((i) => i.classList.contains('blurred')), 'blurred at first');
    await img.click();
    if (await img.evaluate((i) => i.classList.contains('blurred'))) await show.click();
    assert.ok(!(await img.evaluate((i) => i.classList.contains('blurred'))), 'unblurred by a second click');

    // while claimed, the report is in review
    const mid = await newPage({ lang: 'en', js: false });
    await lookUp(mid.page, suite.stack.url, id, secret);
    assert.equal(await mid.page.getAttribute('#status', 'data-status'), 'in_review');

    // decide: actioned, with a category and a note
    await page.check('#verdict-actioned');
    await page.selectOption('#decision-category', 'gambling');
    await page.fill('#decision-note', 'Confirmed: unlicensed gambling. 已核实。');
    const decisionResp = page.waitForResponse((r) => r.url().endsWith(`/api/v1/review/cases/${caseId}/decision`));
    await page.click('#decide-button');
    assert.equal((await decisionResp).status(), 200, 'the decision call');
    await waitUntil(async () => (await text(page, '#message')).length > 0, { what: '#message' });
    await page.locator('#case').waitFor({ state: 'hidden', timeout: 10000 });

    // nothing left to review
    await page.click('#claim-button');
    await waitUntil(async () => {
      const m = await text(page, '#message');
      return m.length > 0 && !(await page.locator('#case').isVisible());
    }, { what: '#message: nothing to review' });

    // the citizen sees the decision
    await lookUp(citizen.page, suite.stack.url, id, secret);
    assert.equal(await citizen.page.getAttribute('#status', 'data-status'), 'actioned');
    const decision = citizen.page.locator('#decision');
    assert.equal(await decision.count(), 1, '#decision');
    assert.equal(await decision.getAttribute('data-verdict'), 'actioned');
    assert.ok((await decision.textContent()).trim().length > 0, '#decision says something');
    const after = await suite.stack.get(`/api/v1/reports/${id}`, { headers: { 'X-Report-Secret': secret } });
    assert.equal(after.json().status, 'actioned');
    assert.equal(after.json().decision.category, 'gambling');

    assert.deepEqual(consoleErrors, []);
    assert.deepEqual(dialogs, []);
    assert.deepEqual([...headerProblems, ...citizen.headerProblems, ...mid.headerProblems], []);
  });
});
