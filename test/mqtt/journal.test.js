'use strict';
// The offline queue's journal (src/mqtt/queue-store.ts) on its own, and a hub with a
// journal killed with SIGKILL at random moments: nothing acknowledged is lost, in order.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { QueueJournal, journalFileName, journalHasMessages } = require('../../dist/src/mqtt');
const { freePort } = require('../support/util');

const msg = (seq, extra = {}) => ({
  seq,
  topic: `t/${seq}`,
  payload: `p${seq}`,
  qos: 1,
  retain: false,
  queuedAt: 1700000000000 + seq,
  ...extra,
});

describe('QueueJournal', () => {
  let dir;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lynx-journal-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('gives back what was appended and not removed, in order, Buffers as Buffers', () => {
    const file = path.join(dir, 'q.jsonl');
    const a = QueueJournal.open(file, 'fp');
    assert.deepEqual(a.messages, []);
    assert.equal(fs.existsSync(file), false, 'no file while nothing is queued');
    a.journal.append([msg(1), msg(2, { payload: Buffer.from([0, 1, 255]), qos: 0, retain: true, origin: { node: 'n', msgid: 'x' } })]);
    a.journal.append([msg(3)]);
    a.journal.remove([1]);
    a.journal.close();
    const b = QueueJournal.open(file, 'fp');
    assert.deepEqual(
      b.messages.map((m) => m.seq),
      [2, 3],
    );
    assert.ok(Buffer.isBuffer(b.messages[0].payload));
    assert.deepEqual([...b.messages[0].payload], [0, 1, 255]);
    assert.equal(b.messages[0].retain, true);
    assert.equal(b.messages[0].qos, 0);
    assert.deepEqual(b.messages[0].origin, { node: 'n', msgid: 'x' });
    assert.equal(b.messages[1].payload, 'p3');
    assert.equal(b.messages[1].queuedAt, 1700000000003);
    b.journal.close();
  });

  it('skips a torn last line (a crash in the middle of an append), keeps everything before it, removes a stale temp file', () => {
    const file = path.join(dir, 'q.jsonl');
    const a = QueueJournal.open(file, 'fp');
    a.journal.append([msg(1), msg(2), msg(3)]);
    a.journal.close();
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.slice(0, text.length - 7));
    // And a rewrite cut short by the same crash: its temp file goes, the journal is read.
    fs.writeFileSync(`${file}.tmp-4242`, '{"v":1,"fp":"fp"}\n{"a":9,');
    const b = QueueJournal.open(file, 'fp');
    assert.equal(fs.existsSync(`${file}.tmp-4242`), false);
    assert.deepEqual(
      b.messages.map((m) => m.seq),
      [1, 2],
    );
    assert.equal(b.skipped, 0, 'a torn last line is expected, not an error');
    // Rewritten clean: appending after it does not merge with the torn piece.
    b.journal.append([msg(4)]);
    b.journal.close();
    assert.deepEqual(
      QueueJournal.open(file, 'fp').messages.map((m) => m.seq),
      [1, 2, 4],
    );
  });

  it('gives the messages of a file written for another broker as foreign, and drops them from the file', () => {
    const file = path.join(dir, 'q.jsonl');
    const a = QueueJournal.open(file, 'broker-a');
    a.journal.append([msg(1), msg(2)]);
    a.journal.close();
    const b = QueueJournal.open(file, 'broker-b');
    assert.deepEqual(b.messages, []);
    assert.deepEqual(
      b.foreign.map((m) => m.seq),
      [1, 2],
    );
    b.journal.close();
    assert.equal(journalHasMessages(file), false);
  });

  it('deletes the file once nothing is queued, and compacts a file of mostly dead lines', () => {
    const file = path.join(dir, 'q.jsonl');
    const { journal } = QueueJournal.open(file, 'fp');
    const live = () => [];
    journal.append([msg(1)]);
    assert.ok(journalHasMessages(file));
    journal.remove([1]);
    journal.compact(live);
    assert.equal(fs.existsSync(file), false);
    const keep = msg(5000);
    const all = Array.from({ length: 3000 }, (_, i) => msg(i + 1));
    journal.append(all);
    journal.append([keep]);
    journal.remove(all.map((m) => m.seq));
    journal.compact(() => [keep]);
    journal.close();
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
    assert.equal(lines.length, 2, 'header and the one live message');
    assert.deepEqual(
      QueueJournal.open(file, 'fp').messages.map((m) => m.seq),
      [5000],
    );
  });

  it('names files after the queue id with safe characters only', () => {
    assert.equal(journalFileName('a1b2.c3'), 'a1b2.2ec3.jsonl');
    assert.equal(journalFileName('../../etc/passwd').includes('/'), false);
  });
});

describe('MqttHub journal under SIGKILL', function () {
  this.timeout(60000);
  let dir;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lynx-crash-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('loses no message whose publish() had resolved, and keeps their order (5 kills at random moments)', async () => {
    const port = await freePort();
    const results = [];
    for (let run = 0; run < 5; run++) {
      const file = path.join(dir, `crash-${run}.jsonl`);
      const child = spawn(process.execPath, [path.join(__dirname, '../support/journal-crash-child.js'), file, String(port)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const target = 50 + Math.floor(Math.random() * 400);
      let acked = -1;
      let buf = '';
      await new Promise((resolve) => {
        child.stdout.on('data', (d) => {
          buf += d;
          const lines = buf.split('\n');
          buf = lines.pop();
          for (const l of lines) acked = Number(l);
          if (acked >= target && child.exitCode === null && !child.killed) child.kill('SIGKILL');
        });
        child.once('exit', resolve);
      });
      const { messages, journal } = QueueJournal.open(file, 'crash-test');
      journal.close();
      const got = messages.map(
        (m) => JSON.parse(Buffer.isBuffer(m.payload) ? JSON.stringify({ value: Number(m.payload.toString().slice(1)) }) : m.payload).value,
      );
      results.push({ acked: acked + 1, onDisk: got.length });
      assert.ok(got.length >= acked + 1, `run ${run}: ${acked + 1} acknowledged, ${got.length} on disk`);
      assert.deepEqual(
        got.slice(0, acked + 1),
        Array.from({ length: acked + 1 }, (_, i) => i),
        `run ${run}: every acknowledged message, in order`,
      );
      assert.ok(got.length <= acked + 2, 'at most the one being written when killed is extra');
      assert.equal(messages[0].origin.msgid, 'm0');
    }
    console.log(`      acknowledged / on disk after SIGKILL: ${results.map((r) => `${r.acked}/${r.onDisk}`).join(', ')}`);
  });
});
