/* jubao reviewer console. Builds everything inside main#app; talks to the review API
 * (docs/API.md) with the session token kept in sessionStorage. Everything shown is text
 * (textContent), never HTML; URLs are shown defanged and are never links. No inline styles:
 * visibility goes through the hidden attribute, looks through classes in style.css. */
(function () {
  'use strict';

  const app = document.getElementById('app');
  if (!app) return;
  const lang = app.getAttribute('data-lang') === 'en' ? 'en' : 'zh';
  const TOKEN_KEY = 'jubao.token';

  /* ---- strings ------------------------------------------------------------------------- */

  const STRINGS = {
    zh: {
      loginTitle: '审核员登录',
      user: '用户名',
      password: '密码',
      login: '登录',
      badCredentials: '用户名或密码错误。',
      needCredentials: '请输入用户名和密码。',
      rateLimited: '登录失败次数过多，请在 {0} 后再试。',
      sessionEnded: '会话已失效，请重新登录。',
      network: '无法连接服务器，请稍后重试。',
      apiError: '请求失败（{0}）：{1}',
      consoleTitle: '审核台',
      queue: '队列',
      queue_default: '普通队列（default）',
      queue_escalated: '升级队列（escalated）',
      claim: '领取案件',
      logout: '退出登录',
      nothing: '当前队列没有待审核的案件。',
      claimed: '已领取案件 {0}。',
      forbiddenQueue: '只有主管可以从升级队列领取案件。',
      queuesTitle: '队列概况',
      colQueue: '队列',
      colLength: '未决案件',
      colLeased: '处理中',
      colAge: '最久等待',
      deadLetters: '死信条目：{0}',
      overdueTitle: '逾期未处置的转办',
      unroutedTitle: '无人承办的案件',
      colReferral: '转办',
      colHandler: '承办方',
      colCase: '案件',
      colOverdue: '逾期',
      colUrl: '链接',
      colCategory: '类别',
      colSince: '起始时间',
      noneOverdue: '没有逾期的转办。',
      noneUnrouted: '没有无人承办的案件。',
      refresh: '刷新',
      caseTitle: '案件',
      lease: '租约到期',
      leaseLeft: '{0}（剩余 {1}）',
      leaseExpired: '{0}（已过期，案件已退回队列）',
      category: '举报类别',
      severity: '严重程度',
      suggested: '建议类别',
      src_model: '模型',
      src_rule: '规则',
      ruleHits: '命中规则',
      count: '举报数',
      reporters: '举报人数',
      firstReported: '首次举报',
      caseQueue: '所在队列',
      priority: '优先级',
      deadline: '审核期限',
      deadlineLeft: '{0}（剩余 {1}）',
      deadlineOver: '{0}（已超期 {1}）',
      urls: '链接（已去活，请勿访问）',
      titles: '标题',
      descriptions: '描述（个人信息已脱敏）',
      evidence: '证据图片',
      none: '无',
      showEvidence: '显示图片 {0}（模糊）',
      loadingEvidence: '正在加载图片 {0}…',
      unblur: '取消模糊：图片 {0}',
      blur: '重新模糊：图片 {0}',
      evidenceAlt: '证据图片 {0}（举报 {1}）',
      evidenceNotImage: '图片 {0} 无法显示：服务器返回的不是图片。',
      decision: '审核决定',
      verdict: '结论',
      verdict_actioned: '违法违规，予以处置',
      verdict_no_violation: '未发现违规',
      verdict_escalate: '升级给主管',
      decisionCategory: '类别',
      decisionCategoryHint: '处置时必填，可更正举报类别。',
      categoryNone: '（不指定）',
      note: '备注',
      noteHint: '选填，最多 2000 字。',
      decide: '提交决定',
      renew: '延长租约',
      release: '放回队列',
      pickVerdict: '请选择结论。',
      needCategory: '处置案件时必须选择类别。',
      noteTooLong: '备注不能超过 2000 字。',
      recorded: '案件 {0} 的决定已记录：{1}。',
      leaseLost: '此案件的租约已失效（已过期、已被放回或由他人接手），决定未记录。请重新领取。',
      renewed: '租约已延长至 {0}。',
      released: '案件 {0} 已放回队列。',
      caseGone: '案件不存在。',
      sev_none: '无',
      sev_low: '低',
      sev_medium: '中',
      sev_high: '高',
      sev_critical: '严重',
      seconds: '{0}秒',
      minutes: '{0}分{1}秒',
      hours: '{0}小时{1}分',
      days: '{0}天{1}小时',
      listSep: '、',
      colon: '：',
    },
    en: {
      loginTitle: 'Reviewer sign-in',
      user: 'User name',
      password: 'Password',
      login: 'Sign in',
      badCredentials: 'Wrong user name or password.',
      needCredentials: 'Enter your user name and password.',
      rateLimited: 'Too many failed sign-ins. Try again in {0}.',
      sessionEnded: 'Your session has ended. Please sign in again.',
      network: 'Could not reach the server. Please try again.',
      apiError: 'Request failed ({0}): {1}',
      consoleTitle: 'Review console',
      queue: 'Queue',
      queue_default: 'Default',
      queue_escalated: 'Escalated',
      claim: 'Claim a case',
      logout: 'Sign out',
      nothing: 'Nothing to review in this queue.',
      claimed: 'Claimed case {0}.',
      forbiddenQueue: 'Only supervisors may claim from the escalated queue.',
      queuesTitle: 'Queues',
      colQueue: 'Queue',
      colLength: 'Undecided',
      colLeased: 'Leased',
      colAge: 'Oldest waiting',
      deadLetters: 'Dead letters: {0}',
      overdueTitle: 'Overdue referrals',
      unroutedTitle: 'Cases no handler took',
      colReferral: 'Referral',
      colHandler: 'Handler',
      colCase: 'Case',
      colOverdue: 'Overdue by',
      colUrl: 'URL',
      colCategory: 'Category',
      colSince: 'Since',
      noneOverdue: 'No referral is overdue.',
      noneUnrouted: 'Every actioned case has a handler.',
      refresh: 'Refresh',
      caseTitle: 'Case',
      lease: 'Lease ends',
      leaseLeft: '{0} ({1} left)',
      leaseExpired: '{0} (expired; the case went back to the queue)',
      category: 'Reported category',
      severity: 'Severity',
      suggested: 'Suggested categories',
      src_model: 'model',
      src_rule: 'rule',
      ruleHits: 'Rule hits',
      count: 'Reports',
      reporters: 'Reporters',
      firstReported: 'First reported',
      caseQueue: 'Queue',
      priority: 'Priority',
      deadline: 'Review deadline',
      deadlineLeft: '{0} ({1} left)',
      deadlineOver: '{0} (overdue by {1})',
      urls: 'URLs (defanged; do not visit)',
      titles: 'Titles',
      descriptions: 'Descriptions (personal data redacted)',
      evidence: 'Evidence images',
      none: 'none',
      showEvidence: 'Show image {0} (blurred)',
      loadingEvidence: 'Loading image {0}…',
      unblur: 'Unblur image {0}',
      blur: 'Blur image {0} again',
      evidenceAlt: 'Evidence image {0} (report {1})',
      evidenceNotImage: 'Image {0} cannot be shown: the server did not send an image.',
      decision: 'Decision',
      verdict: 'Verdict',
      verdict_actioned: 'Actioned (a violation)',
      verdict_no_violation: 'No violation',
      verdict_escalate: 'Escalate to a supervisor',
      decisionCategory: 'Category',
      decisionCategoryHint: 'Required to action a case; may correct the reported category.',
      categoryNone: '(none)',
      note: 'Note',
      noteHint: 'Optional, up to 2000 characters.',
      decide: 'Record decision',
      renew: 'Renew lease',
      release: 'Release case',
      pickVerdict: 'Choose a verdict.',
      needCategory: 'Choose a category to action a case.',
      noteTooLong: 'The note may be at most 2000 characters.',
      recorded: 'Decision recorded for case {0}: {1}.',
      leaseLost: 'The lease on this case was lost (it ran out, was released or was taken over); ' +
        'nothing was recorded. Claim again.',
      renewed: 'Lease renewed until {0}.',
      released: 'Case {0} went back to the queue.',
      caseGone: 'No such case.',
      sev_none: 'none',
      sev_low: 'low',
      sev_medium: 'medium',
      sev_high: 'high',
      sev_critical: 'critical',
      seconds: '{0} s',
      minutes: '{0} min {1} s',
      hours: '{0} h {1} min',
      days: '{0} d {1} h',
      listSep: ', ',
      colon: ': ',
    },
  };

  function t(key) {
    const table = STRINGS[lang];
    let s = Object.prototype.hasOwnProperty.call(table, key) ? table[key] : key;
    for (let i = 1; i < arguments.length; i++)
      s = s.split('{' + (i - 1) + '}').join(String(arguments[i]));
    return s;
  }

  function tOr(key, fallback) {
    return Object.prototype.hasOwnProperty.call(STRINGS[lang], key) ? t(key) : String(fallback);
  }

  /* ---- DOM helpers --------------------------------------------------------------------- */

  /* el('div', {id: 'x', class: 'a b', text: '…', hidden: true, for: 'y'}, child, …).
   * Attributes go through setAttribute; 'style' is refused (CSP). */
  function el(tag, attrs) {
    const node = document.createElement(tag);
    if (attrs) {
      for (const name of Object.keys(attrs)) {
        const v = attrs[name];
        if (v === undefined || v === null || v === false) continue;
        if (name === 'text') node.textContent = String(v);
        else if (name === 'style') throw new Error('no inline styles');
        else node.setAttribute(name === 'className' ? 'class' : name, v === true ? '' : String(v));
      }
    }
    for (let i = 2; i < arguments.length; i++) {
      const c = arguments[i];
      if (c === undefined || c === null || c === false) continue;
      node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function show(node, on) {
    node.hidden = !on;
  }

  function pad2(n) {
    return (n < 10 ? '0' : '') + n;
  }

  /* A local date and time, YYYY-MM-DD HH:MM:SS (time only when today). */
  function formatTime(iso, timeOnly) {
    const d = new Date(iso);
    if (isNaN(d.getTime())) return String(iso || '');
    const time = pad2(d.getHours()) + ':' + pad2(d.getMinutes()) + ':' + pad2(d.getSeconds());
    const now = new Date();
    if (timeOnly && d.toDateString() === now.toDateString()) return time;
    return d.getFullYear() + '-' + pad2(d.getMonth() + 1) + '-' + pad2(d.getDate()) + ' ' + time;
  }

  function formatDuration(seconds) {
    let s = Math.max(0, Math.floor(Number(seconds) || 0));
    if (s < 60) return t('seconds', s);
    if (s < 3600) return t('minutes', Math.floor(s / 60), pad2(s % 60));
    if (s < 86400) return t('hours', Math.floor(s / 3600), pad2(Math.floor(s % 3600 / 60)));
    return t('days', Math.floor(s / 86400), Math.floor(s % 86400 / 3600));
  }

  function countdown(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const h = Math.floor(s / 3600);
    const m = Math.floor(s % 3600 / 60);
    return (h ? h + ':' + pad2(m) : String(m)) + ':' + pad2(s % 60);
  }

  /* hxxps://example[.]com/a.b?x=1: "http" at the start becomes "hxxp" and every dot of the
   * host becomes "[.]"; the rest is kept as it is. */
  function defang(url) {
    let s = String(url);
    let head = '';
    const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(s);
    if (m) {
      head = m[1].replace(/^http/i, 'hxxp') + '://';
      s = s.slice(m[0].length);
    } else {
      s = s.replace(/^http/i, 'hxxp');
    }
    const end = s.search(/[/?#]/);
    const host = end < 0 ? s : s.slice(0, end);
    return head + host.split('.').join('[.]') + s.slice(host.length);
  }

  /* ---- session token ------------------------------------------------------------------- */

  function getToken() {
    try {
      return sessionStorage.getItem(TOKEN_KEY);
    } catch (e) {
      return null;
    }
  }

  function setToken(token) {
    try {
      if (token) sessionStorage.setItem(TOKEN_KEY, token);
      else sessionStorage.removeItem(TOKEN_KEY);
    } catch (e) {
      /* storage refused: the token lives only in this page */
    }
    memToken = token || null;
  }

  let memToken = null;

  function token() {
    return getToken() || memToken;
  }

  /* ---- API ----------------------------------------------------------------------------- */

  /* Answers {status, data, headers}; status 0 when the network failed. */
  async function api(method, path, body) {
    const headers = { Accept: 'application/json' };
    const tok = token();
    if (tok) headers.Authorization = 'Bearer ' + tok;
    const opts = { method: method, headers: headers, cache: 'no-store', credentials: 'omit' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, opts);
    } catch (e) {
      return { status: 0, data: null, headers: null };
    }
    let data = null;
    if (res.status !== 204) {
      try {
        data = JSON.parse(await res.text());
      } catch (e) {
        data = null;
      }
    }
    return { status: res.status, data: data, headers: res.headers };
  }

  function errorText(r) {
    if (r.status === 0) return t('network');
    const e = r.data && r.data.error;
    const msg = e && typeof e.message === 'string' && e.message ? e.message
      : (e && e.code) || 'HTTP ' + r.status;
    return t('apiError', r.status, msg);
  }

  function casePath(id, action) {
    return '/api/v1/review/cases/' + encodeURIComponent(id) + (action ? '/' + action : '');
  }

  /* ---- categories ---------------------------------------------------------------------- */

  let categories = [];           /* [{code, zh, en, description_zh, description_en}] */
  const categoryByCode = new Map();

  function categoryLabel(code) {
    const c = categoryByCode.get(code);
    if (!c) return String(code);
    const name = lang === 'en' ? c.en : c.zh;
    return name && name !== code ? name + ' (' + code + ')' : String(code);
  }

  async function loadCategories() {
    const r = await api('GET', '/api/v1/categories');
    if (r.status !== 200 || !r.data || !Array.isArray(r.data.categories)) return;
    categories = r.data.categories.filter((c) => c && typeof c.code === 'string');
    categoryByCode.clear();
    for (const c of categories) categoryByCode.set(c.code, c);
    fillCategorySelect();
    if (current) renderCategoryFacts(current);
  }

  /* ---- the page ------------------------------------------------------------------------ */

  const ui = {};
  let current = null;            /* the claimed case (claim answer) */
  let leaseTimer = null;
  let busy = false;
  let supervisor = false;
  let queuesTimer = null;
  const objectUrls = [];

  function build() {
    clear(app);

    /* login */
    ui.loginUser = el('input', {
      id: 'login-user', name: 'user', type: 'text', autocomplete: 'username',
      autocapitalize: 'none', spellcheck: 'false', maxlength: '64', required: true,
    });
    ui.loginPassword = el('input', {
      id: 'login-password', name: 'password', type: 'password',
      autocomplete: 'current-password', maxlength: '1024', required: true,
    });
    ui.loginError = el('p', { id: 'login-error', class: 'error', role: 'alert', hidden: true });
    ui.loginButton = el('button', { id: 'login-button', type: 'submit', class: 'primary', text: t('login') });
    ui.loginForm = el('form', { id: 'login-form', class: 'login-form', novalidate: true },
      el('div', { class: 'field' },
        el('label', { for: 'login-user', text: t('user') }), ui.loginUser),
      el('div', { class: 'field' },
        el('label', { for: 'login-password', text: t('password') }), ui.loginPassword),
      ui.loginError,
      el('div', { class: 'actions' }, ui.loginButton));
    ui.login = el('section', { id: 'login', class: 'panel login', 'aria-labelledby': 'login-heading', hidden: true },
      el('h1', { id: 'login-heading', text: t('loginTitle') }), ui.loginForm);

    /* console bar */
    ui.queueSelect = el('select', { id: 'queue-select', name: 'queue' },
      el('option', { value: 'default', text: t('queue_default') }),
      el('option', { value: 'escalated', text: t('queue_escalated') }));
    ui.claimButton = el('button', { id: 'claim-button', type: 'button', class: 'primary', text: t('claim') });
    ui.logoutButton = el('button', { id: 'logout-button', type: 'button', class: 'secondary', text: t('logout') });
    ui.message = el('p', { id: 'message', class: 'message', role: 'status', 'aria-live': 'polite' });

    /* the case */
    ui.caseId = el('span', { id: 'case-id', class: 'case-id' });
    ui.caseHeading = el('h2', { id: 'case-heading', tabindex: '-1' }, t('caseTitle') + ' ', ui.caseId);
    ui.caseLease = el('span', { id: 'case-lease', class: 'lease' });
    ui.caseCategory = el('dd', { id: 'case-category' });
    ui.caseSeverity = el('dd', { id: 'case-severity' });
    ui.caseSuggested = el('dd', { id: 'case-suggested' });
    ui.caseRuleHits = el('dd', { id: 'case-rule-hits', class: 'mono' });
    ui.caseCount = el('dd', { id: 'case-count' });
    ui.caseReporters = el('dd', { id: 'case-reporters' });
    ui.caseFirst = el('dd', { id: 'case-first-reported' });
    ui.caseQueue = el('dd', { id: 'case-queue' });
    ui.casePriority = el('dd', { id: 'case-priority' });
    ui.caseDeadline = el('dd', { id: 'case-deadline', class: 'deadline' });
    ui.caseUrls = el('ul', { id: 'case-urls', class: 'case-list urls', 'data-empty': t('none') });
    ui.caseTitles = el('ul', { id: 'case-titles', class: 'case-list', 'data-empty': t('none') });
    ui.caseDescriptions = el('ul', { id: 'case-descriptions', class: 'case-list texts', 'data-empty': t('none') });
    ui.caseEvidence = el('div', { id: 'case-evidence', class: 'evidence-list', 'data-empty': t('none') });

    const fact = (label, dd) => el('div', { class: 'fact' }, el('dt', { text: label }), dd);

    /* the decision form */
    const verdicts = ['actioned', 'no_violation', 'escalate'];
    const verdictList = el('fieldset', { class: 'radio-list verdicts' },
      el('legend', { text: t('verdict') }));
    for (const v of verdicts) {
      verdictList.appendChild(el('label', { class: 'radio', for: 'verdict-' + v },
        el('input', { type: 'radio', name: 'verdict', id: 'verdict-' + v, value: v, required: true }),
        el('span', { class: 'name', text: t('verdict_' + v) })));
    }
    ui.decisionCategory = el('select', {
      id: 'decision-category', name: 'category', 'aria-describedby': 'decision-category-hint',
    });
    ui.decisionNote = el('textarea', {
      id: 'decision-note', name: 'note', rows: '3', maxlength: '2000', 'aria-describedby': 'decision-note-hint',
    });
    ui.decideButton = el('button', { id: 'decide-button', type: 'submit', class: 'primary', text: t('decide') });
    ui.decisionForm = el('form', { id: 'decision-form', class: 'decision-form', novalidate: true },
      el('h3', { text: t('decision') }),
      verdictList,
      el('div', { class: 'field' },
        el('label', { for: 'decision-category', text: t('decisionCategory') }),
        el('p', { id: 'decision-category-hint', class: 'hint', text: t('decisionCategoryHint') }),
        ui.decisionCategory),
      el('div', { class: 'field' },
        el('label', { for: 'decision-note', text: t('note') }),
        el('p', { id: 'decision-note-hint', class: 'hint', text: t('noteHint') }),
        ui.decisionNote),
      el('div', { class: 'actions' }, ui.decideButton));
    ui.renewButton = el('button', { id: 'renew-button', type: 'button', class: 'secondary', text: t('renew') });
    ui.releaseButton = el('button', { id: 'release-button', type: 'button', class: 'secondary', text: t('release') });

    ui.case = el('section', { id: 'case', class: 'panel case', 'aria-labelledby': 'case-heading', hidden: true },
      ui.caseHeading,
      el('p', { class: 'lease-line' }, el('span', { class: 'lease-label', text: t('lease') + t('colon') }), ui.caseLease),
      el('div', { class: 'case-body' },
        el('div', { class: 'case-info' },
          el('dl', { class: 'facts' },
            fact(t('category'), ui.caseCategory),
            fact(t('severity'), ui.caseSeverity),
            fact(t('suggested'), ui.caseSuggested),
            fact(t('ruleHits'), ui.caseRuleHits),
            fact(t('count'), ui.caseCount),
            fact(t('reporters'), ui.caseReporters),
            fact(t('firstReported'), ui.caseFirst),
            fact(t('caseQueue'), ui.caseQueue),
            fact(t('priority'), ui.casePriority),
            fact(t('deadline'), ui.caseDeadline)),
          el('h3', { text: t('urls') }), ui.caseUrls,
          el('h3', { text: t('titles') }), ui.caseTitles,
          el('h3', { text: t('descriptions') }), ui.caseDescriptions,
          el('h3', { text: t('evidence') }), ui.caseEvidence),
        el('div', { class: 'case-decide' },
          ui.decisionForm,
          el('div', { class: 'actions lease-actions' }, ui.renewButton, ui.releaseButton))));

    ui.queuesSlot = el('div', { class: 'queues-slot' });

    ui.console = el('section', { id: 'console', class: 'console-main', 'aria-labelledby': 'console-heading', hidden: true },
      el('h1', { id: 'console-heading', class: 'visually-hidden', text: t('consoleTitle') }),
      el('div', { class: 'toolbar' },
        el('div', { class: 'field queue-field' },
          el('label', { for: 'queue-select', text: t('queue') }), ui.queueSelect),
        el('div', { class: 'actions' }, ui.claimButton, ui.logoutButton)),
      ui.message,
      ui.queuesSlot,
      ui.case);

    app.appendChild(ui.login);
    app.appendChild(ui.console);

    ui.loginForm.addEventListener('submit', onLogin);
    ui.claimButton.addEventListener('click', onClaim);
    ui.logoutButton.addEventListener('click', () => logout(null));
    ui.decisionForm.addEventListener('submit', onDecide);
    ui.renewButton.addEventListener('click', onRenew);
    ui.releaseButton.addEventListener('click', onRelease);
    ui.caseEvidence.addEventListener('click', onEvidenceClick);
  }

  function buildQueues() {
    if (ui.queues) return;
    ui.queuesBody = el('tbody');
    ui.queues = el('table', { id: 'queues', class: 'queues' },
      el('caption', { text: t('queuesTitle') }),
      el('thead', null, el('tr', null,
        el('th', { scope: 'col', text: t('colQueue') }),
        el('th', { scope: 'col', class: 'num', text: t('colLength') }),
        el('th', { scope: 'col', class: 'num', text: t('colLeased') }),
        el('th', { scope: 'col', class: 'num', text: t('colAge') }))),
      ui.queuesBody);
    ui.deadLetters = el('p', { id: 'dead-letters', class: 'hint' });
    ui.queuesRefresh = el('button', { id: 'queues-refresh', type: 'button', class: 'secondary', text: t('refresh') });
    ui.queuesRefresh.addEventListener('click', () => refreshQueues());
    ui.overdue = referralTable('overdue-referrals', 'overdueTitle',
      ['colReferral', 'colHandler', 'colCase', 'colOverdue']);
    ui.unrouted = referralTable('unrouted', 'unroutedTitle',
      ['colCase', 'colUrl', 'colCategory', 'colSince']);
    ui.queuesPanel = el('section', { id: 'queues-panel', class: 'panel queues-panel' },
      el('div', { class: 'table-wrap' }, ui.queues), ui.deadLetters,
      el('div', { class: 'table-wrap' }, ui.overdue.table), ui.overdue.none,
      el('div', { class: 'table-wrap' }, ui.unrouted.table), ui.unrouted.none,
      el('div', { class: 'actions' }, ui.queuesRefresh));
    ui.queuesSlot.appendChild(ui.queuesPanel);
  }

  /* A supervisors' table of the referrals (API.md, "Handlers and referrals"): {table, body,
     none (the line shown when it is empty)}. */
  function referralTable(id, title, cols) {
    const body = el('tbody');
    const table = el('table', { id: id, class: 'queues referrals' },
      el('caption', { text: t(title) }),
      el('thead', null, el('tr', null, ...cols.map((c) => el('th', { scope: 'col', text: t(c) })))),
      body);
    return { table: table, body: body, none: el('p', { class: 'hint', id: id + '-none' }) };
  }

  /* Fills a referral table from rows ([attrs, cells]); says so when there are none. */
  function fillReferrals(tbl, rows, noneKey) {
    clear(tbl.body);
    for (const [attrs, cells] of rows)
      tbl.body.appendChild(el('tr', attrs, ...cells.map((c) => el('td', { text: c }))));
    tbl.none.textContent = rows.length ? '' : t(noneKey);
    show(tbl.table, rows.length > 0);
  }

  async function refreshReferrals() {
    const [over, unrouted] = await Promise.all([
      api('GET', '/api/v1/review/referrals/overdue'),
      api('GET', '/api/v1/review/referrals/unrouted')]);
    if (!ui.overdue) return;
    if (over.status === 200 && over.data && Array.isArray(over.data.referrals))
      fillReferrals(ui.overdue, over.data.referrals.map((r) => [
        { 'data-referral': String(r.referral), 'data-case': String(r.case) },
        [String(r.referral), String(r.handler), String(r.case), formatDuration(r.overdue_seconds)]]),
      'noneOverdue');
    if (unrouted.status === 200 && unrouted.data && Array.isArray(unrouted.data.cases))
      fillReferrals(ui.unrouted, unrouted.data.cases.map((c) => [
        { 'data-case': String(c.case) },
        [String(c.case), list(c.urls).map(defang).join(t('listSep')),
         categoryLabel(String(c.category)), String(c.since)]]),
      'noneUnrouted');
  }

  function dropQueues() {
    if (queuesTimer) clearInterval(queuesTimer);
    queuesTimer = null;
    if (ui.queuesPanel) ui.queuesPanel.remove();
    ui.queues = ui.queuesBody = ui.deadLetters = ui.queuesRefresh = ui.queuesPanel = null;
    ui.overdue = ui.unrouted = null;
  }

  function fillCategorySelect() {
    const sel = ui.decisionCategory;
    const keep = sel.value || (current && current.category) || '';
    clear(sel);
    sel.appendChild(el('option', { value: '', text: t('categoryNone') }));
    for (const c of categories) sel.appendChild(el('option', { value: c.code, text: categoryLabel(c.code) }));
    selectCategory(keep);
  }

  function selectCategory(code) {
    const sel = ui.decisionCategory;
    if (code && !Array.from(sel.options).some((o) => o.value === code))
      sel.appendChild(el('option', { value: code, text: code }));
    sel.value = code || '';
  }

  function setMessage(text, kind) {
    ui.message.textContent = text || '';
    ui.message.classList.toggle('error', kind === 'error');
    ui.message.classList.toggle('ok', kind === 'ok');
  }

  function setBusy(on) {
    busy = on;
    for (const b of [ui.claimButton, ui.decideButton, ui.renewButton, ui.releaseButton])
      b.disabled = on;
    app.setAttribute('aria-busy', on ? 'true' : 'false');
  }

  /* ---- views --------------------------------------------------------------------------- */

  function showLogin(errorText) {
    hideCase();
    dropQueues();
    supervisor = false;
    show(ui.console, false);
    show(ui.login, true);
    ui.loginError.textContent = errorText || '';
    show(ui.loginError, !!errorText);
    ui.loginPassword.value = '';
    ui.loginButton.disabled = false;
    ui.loginUser.focus();
  }

  function showConsole() {
    show(ui.login, false);
    show(ui.console, true);
    setMessage('');
    refreshQueues();
  }

  /* Sign out (reason empty) gives a held case back, then ends the session on the server
     (DELETE /api/v1/session), so that the token is worthless at once, wherever a copy of it
     is. A session that ended already (reason given) needs neither. */
  function logout(reason) {
    const held = current;
    const tok = token();
    setToken(null);
    showLogin(reason || '');
    if (!tok || reason) return;
    const send = (method, path, body) => fetch(path, {
      method: method, keepalive: true, cache: 'no-store', credentials: 'omit', body: body,
      headers: body === undefined ? { Authorization: 'Bearer ' + tok }
        : { Authorization: 'Bearer ' + tok, 'Content-Type': 'application/json' },
    }).catch(() => {});
    /* the release first: it needs the session that the DELETE ends */
    const released = held ? send('POST', casePath(held.case, 'release'), '{}') : Promise.resolve();
    released.then(() => send('DELETE', '/api/v1/session'));
  }

  /* 401 anywhere: back to the login form. */
  function sessionEnded() {
    logout(t('sessionEnded'));
  }

  /* ---- login --------------------------------------------------------------------------- */

  async function onLogin(ev) {
    ev.preventDefault();
    const user = ui.loginUser.value.trim();
    const password = ui.loginPassword.value;
    if (!user || !password) {
      ui.loginError.textContent = t('needCredentials');
      show(ui.loginError, true);
      (user ? ui.loginPassword : ui.loginUser).focus();
      return;
    }
    ui.loginButton.disabled = true;
    show(ui.loginError, false);
    setToken(null);
    const r = await api('POST', '/api/v1/session', { user: user, password: password });
    ui.loginButton.disabled = false;
    if (r.status === 200 && r.data && typeof r.data.token === 'string') {
      setToken(r.data.token);
      ui.loginPassword.value = '';
      showConsole();
      ui.claimButton.focus();
      return;
    }
    let text;
    if (r.status === 401) {
      text = t('badCredentials');
    } else if (r.status === 429) {
      const after = r.headers && parseInt(r.headers.get('Retry-After') || '', 10);
      text = t('rateLimited', formatDuration(after > 0 ? after : 60));
    } else {
      text = errorText(r);
    }
    ui.loginError.textContent = text;
    show(ui.loginError, true);
    ui.loginPassword.value = '';
    ui.loginPassword.focus();
  }

  /* ---- queues (supervisors) ------------------------------------------------------------ */

  async function refreshQueues() {
    const r = await api('GET', '/api/v1/review/queues');
    if (r.status === 401) {
      sessionEnded();
      return;
    }
    if (r.status === 403) {
      supervisor = false;
      dropQueues();
      return;
    }
    if (r.status !== 200 || !r.data) {
      if (ui.queues) setMessage(errorText(r), 'error');
      return;
    }
    supervisor = true;
    buildQueues();
    if (!queuesTimer) queuesTimer = setInterval(() => {
      if (supervisor && !ui.console.hidden && !document.hidden) refreshQueues();
    }, 30000);
    clear(ui.queuesBody);
    for (const q of Array.isArray(r.data.queues) ? r.data.queues : []) {
      const age = Number(q.oldest_age_seconds) || 0;
      ui.queuesBody.appendChild(el('tr', { 'data-queue': q.queue },
        el('th', { scope: 'row', class: 'name', text: q.queue }),
        el('td', { class: 'length num', text: String(q.length) }),
        el('td', { class: 'leased num', text: String(q.leased) }),
        el('td', { class: 'age num', 'data-seconds': String(age), text: formatDuration(age) })));
    }
    ui.deadLetters.textContent = t('deadLetters', Number(r.data.dead_letters) || 0);
    await refreshReferrals();
  }

  /* ---- claim and the case -------------------------------------------------------------- */

  async function onClaim() {
    if (busy) return;
    setBusy(true);
    setMessage('');
    const r = await api('POST', '/api/v1/review/claim', { queue: ui.queueSelect.value || 'default' });
    setBusy(false);
    if (r.status === 200 && r.data && r.data.case) {
      renderCase(r.data);
      setMessage(t('claimed', r.data.case), 'ok');
      ui.caseHeading.focus();
    } else if (r.status === 204) {
      hideCase();
      setMessage(t('nothing'));
    } else if (r.status === 401) {
      sessionEnded();
      return;
    } else if (r.status === 403) {
      setMessage(t('forbiddenQueue'), 'error');
    } else {
      setMessage(errorText(r), 'error');
    }
    if (supervisor) refreshQueues();
  }

  function list(value) {
    return Array.isArray(value) ? value.filter((v) => v !== null && v !== undefined && v !== '') : [];
  }

  function fillList(ul, items, map) {
    clear(ul);
    for (const item of items) ul.appendChild(el('li', { text: map ? map(item) : String(item) }));
  }

  function renderCategoryFacts(c) {
    ui.caseCategory.textContent = c.category ? categoryLabel(c.category) : t('none');
    ui.caseCategory.setAttribute('data-category', c.category || '');
    ui.caseSuggested.textContent = suggestionText(c);
  }

  // "gambling 0.94 (model), fraud 0.75 (rule)": each suggestion with its score and where it
  // came from, so that a reviewer sees why (the rules that hit are listed beside it).
  function suggestionText(c) {
    const scored = Array.isArray(c.suggestions) ? c.suggestions.filter((s) => s && s.category) : [];
    if (scored.length) {
      return scored.map((s) => {
        const score = typeof s.score === 'number' ? ' ' + s.score.toFixed(2) : '';
        const src = list(s.sources).map((x) => tOr('src_' + x, x)).join('+');
        return categoryLabel(s.category) + score + (src ? ' (' + src + ')' : '');
      }).join(t('listSep'));
    }
    const sugg = list(c.suggested_categories);
    return sugg.length ? sugg.map(categoryLabel).join(t('listSep')) : t('none');
  }

  function renderCase(c) {
    hideCase();
    current = c;
    ui.caseId.textContent = c.case;
    renderCategoryFacts(c);
    const sev = typeof c.severity === 'string' ? c.severity : 'none';
    ui.caseSeverity.textContent = tOr('sev_' + sev, sev);
    ui.caseSeverity.setAttribute('data-severity', sev);
    ui.caseSeverity.className = 'severity severity-' + sev.replace(/[^a-z]/g, '');
    const hits = list(c.rule_hits);
    ui.caseRuleHits.textContent = hits.length ? hits.join(', ') : t('none');
    ui.caseCount.textContent = String(c.report_count != null ? c.report_count : '');
    ui.caseReporters.textContent = String(c.reporter_count != null ? c.reporter_count : '');
    ui.caseFirst.textContent = c.first_reported_at ? formatTime(c.first_reported_at) : '';
    ui.caseQueue.textContent = c.queue ? tOr('queue_' + c.queue, c.queue) : '';
    ui.casePriority.textContent = c.priority != null ? String(c.priority) : '';
    /* the time left by the server's clock, counted down by this one from now on */
    current.deadlineEnd = typeof c.seconds_left === 'number' ? Date.now() + c.seconds_left * 1000 : NaN;
    ui.caseDeadline.setAttribute('data-deadline', c.deadline_at || '');
    fillList(ui.caseUrls, list(c.urls), defang);
    fillList(ui.caseTitles, list(c.titles));
    fillList(ui.caseDescriptions, list(c.descriptions));
    renderEvidence(Array.isArray(c.evidence) ? c.evidence : []);

    ui.decisionForm.reset();
    selectCategory(c.category || '');
    setLease(c.lease_expires_at);
    show(ui.case, true);
  }

  function renderEvidence(items) {
    clear(ui.caseEvidence);
    items.forEach((e, i) => {
      if (!e || typeof e.href !== 'string') return;
      const n = i + 1;
      const button = el('button', {
        type: 'button', class: 'evidence-show secondary', 'data-href': e.href,
        'data-report': e.report || '', 'data-n': String(n), 'data-state': 'none',
        'aria-expanded': 'false', text: t('showEvidence', n),
      });
      ui.caseEvidence.appendChild(el('div', { class: 'evidence-item' }, button));
    });
  }

  function setLease(iso) {
    if (!current) return;
    current.lease_expires_at = iso;
    ui.caseLease.setAttribute('data-expires', iso || '');
    if (leaseTimer) clearInterval(leaseTimer);
    tickLease();
    leaseTimer = setInterval(tickLease, 1000);
  }

  function tickDeadline() {
    const iso = current.deadline_at;
    const left = (current.deadlineEnd - Date.now()) / 1000;
    if (!iso || isNaN(left)) {
      ui.caseDeadline.textContent = '';
      return;
    }
    const when = formatTime(iso, true);
    ui.caseDeadline.textContent = left > 0 ? t('deadlineLeft', when, countdown(left))
      : t('deadlineOver', when, countdown(-left));
    ui.caseDeadline.classList.toggle('deadline-over', left <= 0);
  }

  function tickLease() {
    if (!current) return;
    tickDeadline();
    const iso = current.lease_expires_at;
    const end = new Date(iso).getTime();
    if (isNaN(end)) {
      ui.caseLease.textContent = String(iso || '');
      return;
    }
    const left = (end - Date.now()) / 1000;
    const when = formatTime(iso, true);
    ui.caseLease.textContent = left > 0 ? t('leaseLeft', when, countdown(left)) : t('leaseExpired', when);
    ui.caseLease.classList.toggle('lease-low', left > 0 && left <= 120);
    ui.caseLease.classList.toggle('lease-expired', left <= 0);
  }

  function hideCase() {
    current = null;
    if (leaseTimer) clearInterval(leaseTimer);
    leaseTimer = null;
    show(ui.case, false);
    clear(ui.caseEvidence);
    while (objectUrls.length) URL.revokeObjectURL(objectUrls.pop());
  }

  /* ---- evidence ------------------------------------------------------------------------ */

  async function onEvidenceClick(ev) {
    const button = ev.target.closest('button.evidence-show');
    if (!button || !ui.caseEvidence.contains(button) || button.disabled) return;
    const n = button.getAttribute('data-n');
    const state = button.getAttribute('data-state');
    const item = button.parentNode;
    if (state === 'blurred' || state === 'clear') {
      const img = item.querySelector('img.evidence');
      const blur = state === 'clear';
      img.classList.toggle('blurred', blur);
      button.setAttribute('data-state', blur ? 'blurred' : 'clear');
      button.textContent = blur ? t('unblur', n) : t('blur', n);
      return;
    }
    const held = current;
    button.disabled = true;
    button.textContent = t('loadingEvidence', n);
    let res = null;
    try {
      res = await fetch(button.getAttribute('data-href'), {
        headers: { Authorization: 'Bearer ' + token() }, cache: 'no-store', credentials: 'omit',
      });
    } catch (e) {
      res = null;
    }
    if (current !== held) return;          /* the case went away meanwhile */
    button.disabled = false;
    if (!res || !res.ok) {
      button.textContent = t('showEvidence', n);
      if (!res) {
        setMessage(t('network'), 'error');
        return;
      }
      let data = null;
      try {
        data = await res.json();
      } catch (e) {
        data = null;
      }
      if (res.status === 401) sessionEnded();
      else if (res.status === 409) setMessage(t('leaseLost'), 'error');
      else setMessage(errorText({ status: res.status, data: data }), 'error');
      return;
    }
    const blob = await res.blob();
    if (current !== held) return;
    if (!/^image\//i.test(blob.type || res.headers.get('Content-Type') || '')) {
      button.textContent = t('showEvidence', n);
      setMessage(t('evidenceNotImage', n), 'error');
      return;
    }
    const url = URL.createObjectURL(blob);
    objectUrls.push(url);
    const img = el('img', {
      class: 'evidence blurred', src: url, decoding: 'async',
      alt: t('evidenceAlt', n, button.getAttribute('data-report') || ''),
    });
    item.appendChild(el('div', { class: 'evidence-frame' }, img));
    button.setAttribute('data-state', 'blurred');
    button.setAttribute('aria-expanded', 'true');
    button.textContent = t('unblur', n);
  }

  /* ---- decision, renew, release -------------------------------------------------------- */

  /* A lease call's common answers. Returns true when it dealt with the answer. */
  function leaseTrouble(r) {
    if (r.status === 401) {
      sessionEnded();
      return true;
    }
    if (r.status === 409) {
      hideCase();
      setMessage(t('leaseLost'), 'error');
      if (supervisor) refreshQueues();
      return true;
    }
    if (r.status === 404) {
      hideCase();
      setMessage(t('caseGone') + ' ' + errorText(r), 'error');
      return true;
    }
    return false;
  }

  async function onDecide(ev) {
    ev.preventDefault();
    if (busy || !current) return;
    const checked = ui.decisionForm.querySelector('input[name=verdict]:checked');
    if (!checked) {
      setMessage(t('pickVerdict'), 'error');
      ui.decisionForm.querySelector('input[name=verdict]').focus();
      return;
    }
    const verdict = checked.value;
    const category = ui.decisionCategory.value;
    const note = ui.decisionNote.value;
    if (verdict === 'actioned' && !category) {
      setMessage(t('needCategory'), 'error');
      ui.decisionCategory.focus();
      return;
    }
    if (Array.from(note).length > 2000) {
      setMessage(t('noteTooLong'), 'error');
      ui.decisionNote.focus();
      return;
    }
    const body = { verdict: verdict };
    if (category) body.category = category;
    if (note.trim()) body.note = note;
    const id = current.case;
    setBusy(true);
    const r = await api('POST', casePath(id, 'decision'), body);
    setBusy(false);
    if (r.status === 200) {
      hideCase();
      setMessage(t('recorded', id, t('verdict_' + verdict)), 'ok');
      ui.claimButton.focus();
      if (supervisor) refreshQueues();
      return;
    }
    if (leaseTrouble(r)) return;
    setMessage(errorText(r), 'error');
  }

  async function onRenew() {
    if (busy || !current) return;
    const id = current.case;
    setBusy(true);
    const r = await api('POST', casePath(id, 'renew'), {});
    setBusy(false);
    if (r.status === 200 && r.data && r.data.lease_expires_at) {
      if (current && current.case === id) setLease(r.data.lease_expires_at);
      setMessage(t('renewed', formatTime(r.data.lease_expires_at, true)), 'ok');
      return;
    }
    if (leaseTrouble(r)) return;
    setMessage(errorText(r), 'error');
  }

  async function onRelease() {
    if (busy || !current) return;
    const id = current.case;
    setBusy(true);
    const r = await api('POST', casePath(id, 'release'), {});
    setBusy(false);
    if (r.status === 204 || r.status === 200) {
      hideCase();
      setMessage(t('released', id), 'ok');
      ui.claimButton.focus();
      if (supervisor) refreshQueues();
      return;
    }
    if (leaseTrouble(r)) return;
    setMessage(errorText(r), 'error');
  }

  /* ---- start --------------------------------------------------------------------------- */

  build();
  fillCategorySelect();
  loadCategories();
  if (token()) showConsole();
  else showLogin('');
})();
