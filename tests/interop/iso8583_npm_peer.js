#!/usr/bin/env node
// Interop peer: an acquirer built on the npm library iso_8583@2.6.7, which nobody on holdfast
// wrote, talking to a running `holdfast serve` (spec iso87binbitmap, framing len2) that has the
// demo portfolio (config/demo-portfolio.json) loaded. It starts nothing itself.
//
//   node iso8583_npm_peer.js <iso-port> [host]        (or HOLDFAST_ISO_PORT / HOLDFAST_ISO_HOST)
//
// Messages are packed with the library (ASCII fields, 16-byte binary bitmap, getBufferMessage()
// adds the 2-byte big-endian length header) and the replies are unpacked with the library.
// Prints one line per check, then "N passed, M failed"; exits 1 on any failure, 2 on a usage or
// connection error. See README.md for what this proves and the library's limits.
'use strict';

const net = require('net');
const Iso8583 = require('iso_8583');

// NOTES.md 3.2, limit 1: the library's DE64/DE128 are 4 bytes; a MAC is 8 (16 hex characters).
const customFormats = {
  64: { ContentType: 'b', Label: 'Message authentication code', LenType: 'fixed', MaxLen: 16 },
  128: { ContentType: 'b', Label: 'Message authentication code', LenType: 'fixed', MaxLen: 16 },
};

const REPLY_TIMEOUT_MS = Number(process.env.HOLDFAST_PEER_TIMEOUT_MS || 5000);
const ACQUIRER = '12345678';

// Demo portfolio (config/demo-portfolio.json): card 5001 on account 1001, CNY 600.00 limit.
const CARD_WITHIN_LIMIT = '6225880000000019';
const LIMIT_MINOR = 60000;
const CARD_NEVER_ISSUED = '6225889999999999';

const port = Number(process.argv[2] || process.env.HOLDFAST_ISO_PORT);
const host = process.argv[3] || process.env.HOLDFAST_ISO_HOST || '127.0.0.1';
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('usage: node iso8583_npm_peer.js <iso-port> [host]   (or HOLDFAST_ISO_PORT)');
  process.exit(2);
}

// ---- wire: one TCP connection, 2-byte big-endian length frames, replies in request order ----
class Link {
  constructor(socket) {
    this.socket = socket;
    this.buffer = Buffer.alloc(0);
    this.frames = [];
    this.waiting = null;
    this.closed = null;
    socket.on('data', (chunk) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      while (this.buffer.length >= 2) {
        const len = this.buffer.readUInt16BE(0);
        if (this.buffer.length < 2 + len) break;
        this.frames.push(this.buffer.subarray(0, 2 + len));  // header kept: getIsoJSON strips it
        this.buffer = this.buffer.subarray(2 + len);
      }
      this.wake();
    });
    socket.on('close', () => { this.closed = this.closed || 'connection closed by holdfast'; this.wake(); });
    socket.on('error', (e) => { this.closed = `socket error: ${e.message}`; this.wake(); });
  }
  wake() {
    if (this.waiting) { const w = this.waiting; this.waiting = null; w(); }
  }
  static open(h, p) {
    return new Promise((resolve, reject) => {
      const s = net.createConnection({ host: h, port: p });
      const timer = setTimeout(() => { s.destroy(); reject(new Error(`connect to ${h}:${p} timed out`)); }, REPLY_TIMEOUT_MS);
      s.once('connect', () => { clearTimeout(timer); s.setNoDelay(true); resolve(new Link(s)); });
      s.once('error', (e) => { clearTimeout(timer); reject(e); });
    });
  }
  async nextFrame() {
    const deadline = Date.now() + REPLY_TIMEOUT_MS;
    while (this.frames.length === 0) {
      if (this.closed) throw new Error(this.closed);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply within ${REPLY_TIMEOUT_MS} ms`);
      await new Promise((resolve) => {
        const t = setTimeout(() => { this.waiting = null; resolve(); }, left);
        this.waiting = () => { clearTimeout(t); resolve(); };
      });
    }
    return this.frames.shift();
  }
  // Packs `fields` with the library, sends it, unpacks the reply with the library.
  async exchange(fields) {
    const packed = new Iso8583(fields, customFormats).getBufferMessage();
    if (!Buffer.isBuffer(packed)) throw new Error(`iso_8583 refused to pack: ${JSON.stringify(packed)}`);
    this.socket.write(packed);
    const frame = await this.nextFrame();
    const reply = new Iso8583(null, customFormats).getIsoJSON(frame, {});
    if (!reply || reply.error) throw new Error(`iso_8583 could not unpack the reply: ${JSON.stringify(reply)}`);
    return reply;
  }
  close() { this.socket.end(); this.socket.destroy(); }
}

// ---- messages ----
// DE 7 (MMDDhhmmss, UTC) and DE 11 distinct per run, so a rerun against the same data directory
// is new traffic rather than duplicates.
const startedAt = new Date();
const pad = (n, w) => String(n).padStart(w, '0');
const de7 = pad(startedAt.getUTCMonth() + 1, 2) + pad(startedAt.getUTCDate(), 2) + pad(startedAt.getUTCHours(), 2) +
  pad(startedAt.getUTCMinutes(), 2) + pad(startedAt.getUTCSeconds(), 2);
let stan = (Math.floor(startedAt.getTime() / 1000) * 7) % 900000 + 1000;
const nextStan = () => pad((stan = stan % 999999 + 1), 6);

function authorization(pan, amountMinor) {
  const s = nextStan();
  return {
    0: '0100', 2: pan, 3: '000000', 4: pad(amountMinor, 12), 7: de7, 11: s, 12: de7.slice(4), 13: de7.slice(0, 4),
    18: '5411', 19: '156', 22: '051', 25: '00', 32: ACQUIRER, 37: `NPM${pad(s, 9)}`, 41: 'TERM0001',
    42: 'MERCHANT0000001', 49: '156',
  };
}

function reversalOf(original) {
  const r = { ...original, 0: '0400', 11: nextStan() };
  // DE 90 (n42): original MTI, STAN, transmission date/time, acquirer (11), forwarder (11).
  r[90] = original[0] + original[11] + original[7] + pad(ACQUIRER, 11) + pad(0, 11);
  return r;
}

// DE 54: account type 00, amount type 02 (available), currency, C/D, 12 digits -> signed minor units.
function availableFromDe54(de54) {
  if (typeof de54 !== 'string' || de54.length < 20) return null;
  const v = Number(de54.slice(8, 20));
  return de54[7] === 'D' ? -v : v;
}

// ---- checks ----
let passed = 0;
let failed = 0;
function check(name, ok, detail) {
  if (ok) { passed += 1; console.log(`PASS ${name}`); } else { failed += 1; console.log(`FAIL ${name}${detail ? ` (${detail})` : ''}`); }
}
const summary = (r) => JSON.stringify({ 0: r[0], 11: r[11], 37: r[37], 38: r[38], 39: r[39], 54: r[54] });

async function main() {
  const link = await Link.open(host, port);
  try {
    // 1. Sign-on.
    const signOn = { 0: '0800', 7: de7, 11: nextStan(), 70: '001' };
    const r1 = await link.exchange(signOn);
    check('0800 sign-on -> 0810 39=00', r1[0] === '0810' && r1[39] === '00', summary(r1));
    check('0810 echoes DE 11 and DE 70', r1[11] === signOn[11] && r1[70] === '001', summary(r1));

    // 2. Within the limit: approved, hold placed.
    const amount = 25000;
    const auth = authorization(CARD_WITHIN_LIMIT, amount);
    const r2 = await link.exchange(auth);
    check('0100 within limit -> 0110 39=00', r2[0] === '0110' && r2[39] === '00', summary(r2));
    check('0110 approval code DE 38 is 6 characters', typeof r2[38] === 'string' && /^[0-9A-Za-z ]{6}$/.test(r2[38]) && r2[38].trim() !== '', summary(r2));
    check('0110 echoes STAN (DE 11) and RRN (DE 37)', r2[11] === auth[11] && r2[37] === auth[37], summary(r2));
    check('0110 echoes PAN, amount, DE 7, DE 32', r2[2] === auth[2] && r2[4] === auth[4] && r2[7] === auth[7] && r2[32] === auth[32], summary(r2));
    const otbAfterHold = availableFromDe54(r2[54]);
    check('0110 DE 54 open-to-buy = limit - hold', otbAfterHold === LIMIT_MINOR - amount, `DE 54 ${r2[54]}`);

    // 3. Above open-to-buy: 51.
    const big = authorization(CARD_WITHIN_LIMIT, LIMIT_MINOR);  // open-to-buy is now limit - amount
    const r3 = await link.exchange(big);
    check('0100 above open-to-buy -> 0110 39=51', r3[0] === '0110' && r3[39] === '51', summary(r3));
    check('declined 0110 carries no DE 38', r3[38] === undefined || r3[38] === '', summary(r3));

    // 4. A card holdfast never issued: 14.
    const unknown = authorization(CARD_NEVER_ISSUED, 1000);
    const r4 = await link.exchange(unknown);
    check('0100 unknown card -> 0110 39=14', r4[0] === '0110' && r4[39] === '14', summary(r4));

    // 5. The approved request again (same DE 7/11/32): the original answer, nothing new held.
    const r5 = await link.exchange(auth);
    check('duplicate 0100 -> 0110 39=00 with the same DE 38', r5[0] === '0110' && r5[39] === '00' && r5[38] === r2[38], `first ${r2[38]}, again ${summary(r5)}`);
    check('duplicate did not hold again (DE 54 unchanged)', availableFromDe54(r5[54]) === otbAfterHold, `DE 54 ${r5[54]}`);

    // 6. Full reversal of the approved request: the hold is released.
    const rev = reversalOf(auth);
    const r6 = await link.exchange(rev);
    check('0400 reversal of the approval -> 0410 39=00', r6[0] === '0410' && r6[39] === '00', summary(r6));
    check('0410 echoes STAN and DE 90', r6[11] === rev[11] && r6[90] === rev[90], summary(r6));
    check('0410 DE 54 open-to-buy back to the limit', availableFromDe54(r6[54]) === LIMIT_MINOR, `DE 54 ${r6[54]}`);
  } finally {
    link.close();
  }
}

main()
  .catch((e) => { failed += 1; console.log(`FAIL peer aborted: ${e.message}`); })
  .finally(() => {
    console.log(`${passed} passed, ${failed} failed`);
    process.exitCode = failed === 0 ? 0 : 1;
  });
