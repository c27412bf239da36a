/* jubao report form: progressive enhancement only; the form works fully without it.
 * - div#pow (data-challenge, data-bits): find the smallest counter >= 0 such that
 *   SHA-256(challenge + ":" + counter) starts with data-bits zero bits, put
 *   "challenge:counter" in the hidden pow field and submit the form again.
 * - a character counter under textarea#description. */
(function () {
  'use strict';

  const form = document.getElementById('report-form');
  if (!form) return;
  const en = /^en\b/i.test(document.documentElement.lang || '');
  const T = en ? {
    working: 'Checking that you are not a robot… ({0} tries)',
    done: 'Done. Sending your report…',
    failed: 'This browser cannot do the check. Please wait and send the form again later.',
    count: '{0} / {1} characters',
  } : {
    working: '正在进行防滥用验证，请稍候…（已尝试 {0} 次）',
    done: '验证完成，正在提交举报…',
    failed: '此浏览器无法完成验证，请稍后重新提交。',
    count: '{0} / {1} 字',
  };
  function fmt(s) {
    for (let i = 1; i < arguments.length; i++) s = s.split('{' + (i - 1) + '}').join(String(arguments[i]));
    return s;
  }

  /* ---- character counter --------------------------------------------------------------- */

  const desc = document.getElementById('description');
  if (desc) {
    const max = parseInt(desc.getAttribute('maxlength') || '5000', 10) || 5000;
    const counter = document.createElement('p');
    counter.className = 'hint counter';
    counter.id = 'description-counter';
    const update = () => {
      const n = Array.from(desc.value).length;
      counter.textContent = fmt(T.count, n, max);
      counter.classList.toggle('over', n > max);
    };
    desc.insertAdjacentElement('afterend', counter);
    desc.addEventListener('input', update);
    update();
  }

  /* ---- proof of work ------------------------------------------------------------------- */

  const pow = document.getElementById('pow');
  const field = form.querySelector('input[name=pow]');
  if (!pow || !field) return;
  const challenge = pow.getAttribute('data-challenge') || '';
  const bits = parseInt(pow.getAttribute('data-bits') || '', 10);
  if (!challenge || !(bits >= 0) || bits > 40) return;

  let solved = false;
  form.addEventListener('submit', (ev) => {
    if (!solved) ev.preventDefault();    /* we send it ourselves once solved */
  });

  const encoder = new TextEncoder();
  const subtle = window.crypto && window.crypto.subtle;

  function zeroBits(bytes) {
    const whole = bits >> 3;
    const rest = bits & 7;
    for (let i = 0; i < whole; i++) if (bytes[i] !== 0) return false;
    return rest === 0 || (bytes[whole] >> (8 - rest)) === 0;
  }

  /* Fallback for pages not served in a secure context (no crypto.subtle there). */
  const K = new Uint32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2]);
  function sha256(msg) {
    const len = msg.length;
    const padded = new Uint8Array(((len + 9 + 63) >> 6) << 6);
    padded.set(msg);
    padded[len] = 0x80;
    const dv = new DataView(padded.buffer);
    dv.setUint32(padded.length - 8, Math.floor(len / 0x20000000));
    dv.setUint32(padded.length - 4, (len << 3) >>> 0);
    const h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
      0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
    const w = new Uint32Array(64);
    const rotr = (x, n) => (x >>> n) | (x << (32 - n));
    for (let off = 0; off < padded.length; off += 64) {
      for (let i = 0; i < 16; i++) w[i] = dv.getUint32(off + 4 * i);
      for (let i = 16; i < 64; i++) {
        const a = w[i - 15], b = w[i - 2];
        w[i] = w[i - 16] + (rotr(a, 7) ^ rotr(a, 18) ^ (a >>> 3)) + w[i - 7] +
          (rotr(b, 17) ^ rotr(b, 19) ^ (b >>> 10));
      }
      let [a, b, c, d, e, f, g, hh] = h;
      for (let i = 0; i < 64; i++) {
        const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i]) >>> 0;
        const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
        hh = g; g = f; f = e; e = (d + t1) >>> 0; d = c; c = b; b = a; a = (t1 + t2) >>> 0;
      }
      h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
    }
    const out = new Uint8Array(32);
    const ov = new DataView(out.buffer);
    for (let i = 0; i < 8; i++) ov.setUint32(4 * i, h[i]);
    return out;
  }

  function digest(counter) {
    const data = encoder.encode(challenge + ':' + counter);
    if (subtle) return subtle.digest('SHA-256', data).then((buf) => new Uint8Array(buf));
    return Promise.resolve(sha256(data));
  }

  const pause = () => new Promise((resolve) => setTimeout(resolve, 0));

  async function solve() {
    const BATCH = 256;
    let shown = 0;
    for (let base = 0; base < Number.MAX_SAFE_INTEGER; base += BATCH) {
      const batch = [];
      for (let i = 0; i < BATCH; i++) batch.push(digest(base + i));
      const hashes = await Promise.all(batch);
      for (let i = 0; i < BATCH; i++) if (zeroBits(hashes[i])) return base + i;
      const now = Date.now();
      if (now - shown > 250) {          /* let the page breathe and show progress */
        shown = now;
        pow.textContent = fmt(T.working, (base + BATCH).toLocaleString());
        await pause();
      }
    }
    throw new Error('no solution');
  }

  pow.setAttribute('role', 'status');
  pow.setAttribute('aria-busy', 'true');
  pow.classList.add('working');
  pow.textContent = fmt(T.working, 0);
  solve().then((counter) => {
    field.value = challenge + ':' + counter;
    solved = true;
    pow.classList.remove('working');
    pow.setAttribute('aria-busy', 'false');
    pow.textContent = T.done;
    const button = form.querySelector('button[type=submit], button:not([type]), input[type=submit]');
    if (typeof form.requestSubmit === 'function') form.requestSubmit(button || undefined);
    else form.submit();
  }, () => {
    solved = true;                       /* let the citizen send it by hand */
    pow.classList.remove('working');
    pow.setAttribute('aria-busy', 'false');
    pow.textContent = T.failed;
  });
})();
