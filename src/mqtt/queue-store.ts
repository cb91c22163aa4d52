// QueueJournal: the offline queue of an MqttHub on disk, so queued writes
// outlive a restart (or a crash) of the process.
//
// One append-only file of JSON lines per queue:
//   {"v":1,"fp":"<broker fingerprint>"}                       header, first line
//   {"a":<seq>,"t":topic,"p":payload,"b":1?,"q":0|1,"r":1?,"at":ms,"o":{...}?}   a queued message
//   {"d":[<seq>,...]}                                          messages sent or dropped
//
// Guarantee: append() returns only after the lines are written and fsync'ed
// (synchronous I/O, one write + one fsync per call), so a message whose
// publish() resolved `{queued: true}` survives a crash of the process or of
// the machine (as far as fsync reaches the disk). A crash in the middle of an
// append leaves a partial last line, which load() skips: that message was not
// yet acknowledged. Removals are written without fsync and at most every
// REMOVE_FLUSH_MS: after a crash a message already sent may be sent again
// (at least once, as QoS 1 is), never lost. The file is rewritten (temp file,
// fsync, rename, fsync of the directory) when it is mostly dead lines, and
// deleted when the queue is empty: a file exists only while messages wait.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface StoredMessage {
  seq: number;
  topic: string;
  payload: string | Buffer;
  qos: 0 | 1;
  retain: boolean;
  /** When the flow handed the message over (ms since the epoch). */
  queuedAt: number;
  /** Who sent it (e.g. the Node-RED node id and msg id), given back when it is dropped. */
  origin?: PublishOrigin;
}

/** A small JSON-able tag of the sender of a message. */
export interface PublishOrigin {
  node?: string;
  msgid?: string;
}

export interface JournalLoad {
  journal: QueueJournal;
  /** Messages of the file, in the order they were queued. */
  messages: StoredMessage[];
  /** Messages of a file written for other broker settings: not to be sent (the caller reports them). */
  foreign: StoredMessage[];
  /** Lines that could not be read (a torn last line after a crash is normal and not counted). */
  skipped: number;
}

const VERSION = 1;
const REMOVE_FLUSH_MS = 200;

/** A file name for a queue id (e.g. a Node-RED node id): safe characters only, never a path. */
export function journalFileName(id: string): string {
  const safe = String(id).replace(/[^A-Za-z0-9_-]/g, (c) => `.${c.charCodeAt(0).toString(16)}`);
  return `${safe || 'queue'}.jsonl`;
}

/** Whether a journal file holds at least one message (cheap enough to call at startup). */
export function journalHasMessages(file: string): boolean {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return false;
  }
  return parse(text).messages.length > 0;
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    /* not supported on this platform (Windows): the rename is still atomic */
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

interface Parsed {
  fingerprint: string | undefined;
  messages: StoredMessage[];
  skipped: number;
}

function parse(text: string): Parsed {
  const live = new Map<number, StoredMessage>();
  let fingerprint: string | undefined;
  let skipped = 0;
  const all = text.split('\n');
  // A file cut in the middle of a line (crash mid-append) ends without '\n': that last piece is torn.
  const torn = all.length > 0 && all[all.length - 1] !== '' ? all.length - 1 : -1;
  for (let i = 0; i < all.length; i++) {
    const line = all[i];
    if (!line) continue;
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(line) as Record<string, unknown>;
    } catch {
      if (i !== torn) skipped++;
      continue;
    }
    if (i === torn) continue; // parsable but not terminated: the write may not have been fsync'ed
    if (typeof rec.v === 'number') {
      if (typeof rec.fp === 'string') fingerprint = rec.fp;
    } else if (typeof rec.a === 'number' && typeof rec.t === 'string' && typeof rec.p === 'string') {
      live.set(rec.a, {
        seq: rec.a,
        topic: rec.t,
        payload: rec.b ? Buffer.from(rec.p, 'base64') : rec.p,
        qos: rec.q === 1 ? 1 : 0,
        retain: rec.r === 1,
        queuedAt: typeof rec.at === 'number' ? rec.at : Date.now(),
        origin: rec.o && typeof rec.o === 'object' ? (rec.o as PublishOrigin) : undefined,
      });
    } else if (Array.isArray(rec.d)) {
      for (const s of rec.d) live.delete(s as number);
    } else {
      skipped++;
    }
  }
  const messages = [...live.values()].sort((x, y) => x.seq - y.seq);
  return { fingerprint, messages, skipped };
}

function addLine(m: StoredMessage): string {
  const rec: Record<string, unknown> = { a: m.seq, t: m.topic };
  if (Buffer.isBuffer(m.payload)) {
    rec.p = m.payload.toString('base64');
    rec.b = 1;
  } else rec.p = m.payload;
  rec.q = m.qos;
  if (m.retain) rec.r = 1;
  rec.at = m.queuedAt;
  if (m.origin) rec.o = m.origin;
  return JSON.stringify(rec) + '\n';
}

export class QueueJournal {
  private fd: number | null = null;
  private pendingRemovals: number[] = [];
  private removeTimer: NodeJS.Timeout | null = null;
  /** Message lines written since the last rewrite, and how many of them are still queued. */
  private added = 0;
  private live = 0;
  /** A write failed: the next write rewrites the whole file (a torn line must not swallow the next one). */
  private dirty = false;
  private closed = false;

  private constructor(
    readonly file: string,
    private readonly fingerprint: string,
  ) {}

  /**
   * Opens (or creates) the journal at `file`. Messages of a file whose header holds
   * another fingerprint are given back as `foreign` and removed from the file.
   */
  static open(file: string, fingerprint = ''): JournalLoad {
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    // A rewrite cut short by a crash leaves its temp file; the journal itself is whole (rename is atomic).
    const dir = path.dirname(file);
    const tmpPrefix = `${path.basename(file)}.tmp-`;
    try {
      for (const f of fs.readdirSync(dir)) if (f.startsWith(tmpPrefix)) fs.rmSync(path.join(dir, f), { force: true });
    } catch {
      /* no directory yet */
    }
    const journal = new QueueJournal(file, fingerprint);
    if (text === '') return { journal, messages: [], foreign: [], skipped: 0 };
    const parsed = parse(text);
    const own = parsed.fingerprint === undefined || parsed.fingerprint === fingerprint;
    const messages = own ? parsed.messages : [];
    const foreign = own ? [] : parsed.messages;
    // Start from a clean file: no torn line, no dead lines, our header (or no file when nothing is queued).
    journal.rewrite(messages);
    return { journal, messages, foreign, skipped: parsed.skipped };
  }

  /** Writes the messages and fsyncs before returning; throws when the disk refuses. */
  append(messages: StoredMessage[]): void {
    if (this.closed || messages.length === 0) return;
    if (this.dirty) throw new Error('journal needs a rewrite');
    if (this.fd === null) {
      // No file yet (nothing was queued): created with its header and these messages.
      this.rewrite(messages);
      return;
    }
    this.flushRemovals(false);
    const text = messages.map(addLine).join('');
    try {
      this.writeAll(text);
      fs.fsyncSync(this.fd!);
    } catch (err) {
      this.dirty = true;
      throw err;
    }
    this.added += messages.length;
    this.live += messages.length;
  }

  /** Marks messages as gone (sent or dropped); written soon, without fsync. */
  remove(seqs: number[]): void {
    if (this.closed || seqs.length === 0) return;
    for (const s of seqs) this.pendingRemovals.push(s);
    this.live = Math.max(0, this.live - seqs.length);
    if (!this.removeTimer) {
      this.removeTimer = setTimeout(() => {
        this.removeTimer = null;
        this.flushRemovals(false);
      }, REMOVE_FLUSH_MS);
      this.removeTimer.unref();
    }
  }

  /** Whether a failed write left the file needing a rewrite. */
  get needsRewrite(): boolean {
    return this.dirty;
  }

  /**
   * Replaces the file with exactly these messages (temp file, fsync, rename,
   * fsync of the directory): atomic, the old file stays whole until the rename.
   */
  rewrite(messages: StoredMessage[]): void {
    if (this.closed) return;
    if (this.removeTimer) clearTimeout(this.removeTimer);
    this.removeTimer = null;
    this.pendingRemovals = [];
    if (this.fd !== null) {
      fs.closeSync(this.fd);
      this.fd = null;
    }
    this.added = 0;
    this.live = 0;
    const dir = path.dirname(this.file);
    if (messages.length === 0) {
      // Nothing queued: no file (a crash now finds nothing to send, which is right).
      try {
        fs.unlinkSync(this.file);
        fsyncDir(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      this.dirty = false;
      return;
    }
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.tmp-${process.pid}`;
    const text = JSON.stringify({ v: VERSION, fp: this.fingerprint }) + '\n' + messages.map(addLine).join('');
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeFileSync(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
    fsyncDir(dir);
    this.fd = fs.openSync(this.file, 'a', 0o600);
    this.added = messages.length;
    this.live = messages.length;
    this.dirty = false;
  }

  /** Rewrites when the file is mostly dead lines (or empty of live ones). */
  compact(messages: () => StoredMessage[]): void {
    if (this.closed) return;
    const dead = this.added - this.live;
    if (this.live === 0 ? this.added > 0 : dead > 1000 && dead > 4 * this.live) this.rewrite(messages());
  }

  /** Writes pending removals and closes the file; its messages stay for the next open. */
  close(): void {
    if (this.closed) return;
    try {
      this.flushRemovals(true);
    } catch {
      /* the next open reads what is there: at worst a message is sent again */
    }
    this.closed = true;
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }

  /** Closes and deletes the file: its messages are gone for good. */
  destroy(): void {
    this.pendingRemovals = [];
    this.close();
    try {
      fs.unlinkSync(this.file);
      fsyncDir(path.dirname(this.file));
    } catch {
      /* already gone */
    }
  }

  private flushRemovals(sync: boolean): void {
    if (this.removeTimer) clearTimeout(this.removeTimer);
    this.removeTimer = null;
    if (this.pendingRemovals.length === 0 || this.fd === null || this.dirty) return;
    const seqs = this.pendingRemovals;
    this.pendingRemovals = [];
    try {
      this.writeAll(JSON.stringify({ d: seqs }) + '\n');
      if (sync) fs.fsyncSync(this.fd);
    } catch {
      this.dirty = true;
    }
  }

  private writeAll(text: string): void {
    const buf = Buffer.from(text, 'utf8');
    let off = 0;
    while (off < buf.length) off += fs.writeSync(this.fd!, buf, off, buf.length - off);
  }
}
