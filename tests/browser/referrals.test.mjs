// The supervisors' referral lists in the console (docs/WEB.md, docs/API.md "Handlers and
// referrals"): a case referred to a handler that lets its deadline pass shows in
// table#overdue-referrals, a case no handler takes in table#unrouted; the reporter's /status
// page shows a handler's outcome. Deadlines are one second here (referral_deadline_*).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import {
  PASSWORD, browserSuite, consoleLogin, lookUp, screenshots, uid, uniqueUrl, waitUntil,
} from './harness.mjs';

const suite = browserSuite({
  config: ['critical', 'high', 'medium', 'low'].map((s) => `referral_deadline_${s} = 1\n`).join(''),
});
const { newPage } = suite;

/** Files a report of url, claims and actions its case as the supervisor token; returns the
 *  report's answer. */
async function actioned(token, url) {
  const r = await suite.stack.post('/api/v1/reports', { url, category: 'fraud' });
  assert.equal(r.status, 202, r.text);
  const rep = r.json();
  await suite.stack.waitQueued(token, 1);
  const c = await suite.stack.review(token, 'POST', '/api/v1/review/claim', { queue: 'default' });
  assert.equal(c.status, 200, c.text);
  assert.equal(c.json().case, rep.case);
  const d = await suite.stack.review(token, 'POST', `/api/v1/review/cases/${rep.case}/decision`,
                                     { verdict: 'actioned', category: 'fraud' });
  assert.equal(d.status, 200, d.text);
  return rep;
}

describe('referrals in the console and on /status', () => {
  it('shows overdue referrals and unrouted cases to a supervisor, the outcome to the reporter', async () => {
    const domain = `h${uid(10)}.com`;
    const out = suite.stack.admin('handler', 'add', `host-${uid(5)}`, '--domains', domain);
    const key = out.trim().split('\n').pop().trim();
    const { name } = suite.stack.addReviewer('supervisor');
    const token = await suite.stack.login(name);
    const referred = await actioned(token, `https://www.${domain}/p/${uid(8)}`);
    const lone = await actioned(token, uniqueUrl('unrouted'));

    const { page, headerProblems, dialogs, consoleErrors } = await newPage({ lang: 'en' });
    await consoleLogin(page, suite.stack.url, name, PASSWORD);
    await page.locator('table#queues').waitFor({ state: 'visible', timeout: 10000 });
    await page.waitForTimeout(1200);   // past the one-second deadline
    await page.click('#queues-refresh');
    const overdueRow = page.locator(`table#overdue-referrals tr[data-case="${referred.case}"]`);
    await overdueRow.waitFor({ state: 'visible', timeout: 10000 });
    assert.match(await overdueRow.textContent(), /host-/);
    const unroutedRow = page.locator(`table#unrouted tr[data-case="${lone.case}"]`);
    await unroutedRow.waitFor({ state: 'visible', timeout: 10000 });
    assert.match(await unroutedRow.textContent(), /hxxps:\/\/example\[\.\]com\//, 'defanged');
    assert.equal(await page.locator(`table#unrouted tr[data-case="${referred.case}"]`).count(), 0);
    await screenshots(page, 'console-referrals');

    // the handler removes it: gone from the overdue list, shown on the reporter's page
    const list = await suite.stack.get('/api/v1/referrals', { headers: { Authorization: `Bearer ${key}` } });
    assert.equal(list.status, 200, list.text);
    const ref = list.json().referrals[0].referral;
    const o = await suite.stack.post(`/api/v1/referrals/${ref}/outcome`, { outcome: 'removed' },
                                     { headers: { Authorization: `Bearer ${key}` } });
    assert.equal(o.status, 200, o.text);
    await page.click('#queues-refresh');
    await waitUntil(async () => (await overdueRow.count()) === 0, { what: 'the overdue row gone' });
    assert.ok((await page.locator('#overdue-referrals-none').textContent()).length > 0);

    const citizen = await newPage({ lang: 'zh', js: false });
    await waitUntil(async () => {
      await lookUp(citizen.page, suite.stack.url, referred.id, referred.secret);
      return (await citizen.page.locator('#outcomes [data-outcome="removed"]').count()) === 1;
    }, { what: '#outcomes on /status', timeout: 10000, interval: 200 });
    assert.match(await citizen.page.locator('#outcomes').textContent(), /平台已删除该内容/);
    await screenshots(citizen.page, 'status-outcome');

    assert.deepEqual(consoleErrors, []);
    assert.deepEqual(dialogs, []);
    assert.deepEqual([...headerProblems, ...citizen.headerProblems], []);
  });
});
