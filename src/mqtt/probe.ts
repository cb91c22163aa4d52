// One short MQTT connection, to see whether a broker takes these credentials
// ("Test connection" of the config node): no reconnect, a bounded wait, and the
// client is always ended, whatever happens.
import { randomBytes } from 'node:crypto';
import { connect, type IClientOptions } from 'mqtt';

export interface ProbeOptions {
  url: string;
  username: string;
  password: string;
  /** at most this long for the connection and the CONNACK (capped at 5 s) */
  timeoutMs?: number;
  tls?: Record<string, unknown>;
}

/** What the broker did: accepted, or the error (code: a socket/TLS code, a CONNACK code, or 'ETIMEDOUT'). */
export type ProbeResult = { ok: true } | { ok: false; error: { code?: string | number; message: string } };

export const PROBE_MAX_TIMEOUT_MS = 5000;

export function probeBroker(o: ProbeOptions): Promise<ProbeResult> {
  const timeoutMs = Math.min(o.timeoutMs ?? PROBE_MAX_TIMEOUT_MS, PROBE_MAX_TIMEOUT_MS);
  return new Promise((resolve) => {
    let lastError: { code?: string | number; message: string } | undefined;
    let done = false;
    const options: IClientOptions = {
      clientId: `nr-iotopen-test-${randomBytes(4).toString('hex')}`,
      username: o.username,
      password: o.password,
      clean: true,
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: timeoutMs,
      ...((o.tls || {}) as Partial<IClientOptions>),
    };
    let client: ReturnType<typeof connect>;
    const finish = (r: ProbeResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      client.end(true);
      resolve(r);
    };
    // Our own bound too, for a TLS handshake or DNS lookup that never ends.
    const timer = setTimeout(() => finish({ ok: false, error: { code: 'ETIMEDOUT', message: 'timed out' } }), timeoutMs + 500);
    try {
      client = connect(o.url, options);
    } catch (err) {
      clearTimeout(timer);
      resolve({ ok: false, error: { message: (err as Error).message, code: (err as { code?: string }).code } });
      return;
    }
    client.on('connect', () => finish({ ok: true }));
    client.on('error', (err) => {
      const e = err as Error & { code?: string | number };
      lastError = { code: e.code, message: e.message };
      // A refused CONNACK: the answer is known now.
      if (typeof e.code === 'number') finish({ ok: false, error: lastError });
    });
    client.on('close', () => finish({ ok: false, error: lastError ?? { code: 'ECLOSED', message: 'connection closed' } }));
  });
}
