// MQTT side of the sandbox: an embedded aedes broker that authenticates and
// authorises like Lynx, or an mqtt.js client on an external broker (mqttUrl).
//
// ACL (embedded broker): any username, an API key or login token as password
// (else CONNACK "bad username or password"). A client may publish and subscribe
// only under `{client_id}/...` of the installations its key sees. A filter whose
// first level is a wildcard (`+/obj/#`, `#`) is granted only to keys that see
// every installation (the main apiKey); others get SUBACK failure (0x80).
// A publish outside the ACL is dropped silently (as Mosquitto does for MQTT 3.1.1)
// and counted in `denied`. `$share/<group>/<filter>` is checked on <filter>.
import net from 'node:net';
import mqtt from 'mqtt';
import type { Store } from './store';

export type ObjHandler = (topic: string, payload: Buffer) => void;

export interface Bus {
  readonly url: string;
  publish(topic: string, payload: string | Buffer, opts?: { qos?: 0 | 1 | 2; retain?: boolean }): Promise<void>;
  readonly up: boolean;
  close(): Promise<void>;
}

interface AedesLike {
  handle: (socket: net.Socket) => unknown;
  publish(packet: object, cb: (err?: Error) => void): void;
  on(ev: string, fn: (...a: never[]) => void): unknown;
  close(cb?: () => void): void;
  authenticate: unknown;
  authorizePublish: unknown;
  authorizeSubscribe: unknown;
}

export class EmbeddedBroker implements Bus {
  private aedes?: AedesLike;
  private server?: net.Server;
  private sockets = new Set<net.Socket>();
  private clientsAcl = new WeakMap<object, number[] | null>();
  port = 0;
  /** Publishes refused by the ACL (dropped), and subscriptions refused. */
  denied = { publish: 0, subscribe: 0 };

  constructor(
    private store: Store,
    private host: string,
    private onObj: ObjHandler,
  ) {}

  get url(): string {
    return `mqtt://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }
  get up(): boolean {
    return !!this.server;
  }

  private clientIds(installations: number[] | null): Set<number> {
    const all = this.store.installations;
    return new Set((installations === null ? all : all.filter((i) => installations.includes(i.id))).map((i) => i.client_id));
  }

  private allowed(acl: number[] | null, topic: string, isFilter: boolean): boolean {
    let t = topic;
    if (isFilter && t.startsWith('$share/')) t = t.split('/').slice(2).join('/');
    const first = t.split('/')[0];
    if (isFilter && (first === '+' || first === '#')) return acl === null;
    if (!/^\d+$/.test(first)) return false;
    return this.clientIds(acl).has(Number(first));
  }

  async start(port: number): Promise<void> {
    if (this.server) return;
    const mod = (await import('aedes')) as unknown as { Aedes: { createBroker(o?: object): Promise<AedesLike> } };
    const aedes = await mod.Aedes.createBroker();
    aedes.authenticate = (
      client: object,
      _user: string | undefined,
      password: Buffer | undefined,
      done: (err: (Error & { returnCode?: number }) | null, ok: boolean | null) => void,
    ) => {
      const v = password ? this.store.visibleTo(password.toString()) : undefined;
      if (!v || v.pending2fa) {
        const err = new Error('Bad username or password') as Error & { returnCode: number };
        err.returnCode = 4;
        return done(err, false);
      }
      this.clientsAcl.set(client, v.installations);
      done(null, true);
    };
    aedes.authorizePublish = (client: object | null, packet: { topic: string }, cb: (err?: Error | null) => void) => {
      if (client && !this.allowed(this.clientsAcl.has(client) ? this.clientsAcl.get(client)! : [], packet.topic, false)) {
        this.denied.publish++;
        // drop silently: '$' topics reach no '#'/'+' subscriber and nobody may subscribe to them
        packet.topic = `$denied/${packet.topic}`;
      }
      cb(null);
    };
    aedes.authorizeSubscribe = (client: object, sub: { topic: string }, cb: (err: Error | null, s?: object | null) => void) => {
      if (!this.allowed(this.clientsAcl.has(client) ? this.clientsAcl.get(client)! : [], sub.topic, true)) {
        this.denied.subscribe++;
        return cb(null, null);
      }
      cb(null, sub);
    };
    aedes.on('publish', (packet: { topic: string; payload: Buffer }) => {
      if (/^\d+\/obj\//.test(packet.topic)) this.onObj(packet.topic, Buffer.from(packet.payload));
    });
    const server = net.createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      aedes.handle(socket);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
    this.aedes = aedes;
  }

  /** Stops the broker (clients are disconnected); `start(this.port)` brings it back on the same port. */
  async close(): Promise<void> {
    const server = this.server;
    const aedes = this.aedes;
    this.server = undefined;
    this.aedes = undefined;
    if (!server || !aedes) return;
    const closed = new Promise<void>((r) => server.close(() => r()));
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await new Promise<void>((r) => aedes.close(() => r()));
    await closed;
  }

  publish(topic: string, payload: string | Buffer, opts: { qos?: 0 | 1 | 2; retain?: boolean } = {}): Promise<void> {
    const aedes = this.aedes;
    if (!aedes) return Promise.reject(new Error('MQTT broker is stopped'));
    return new Promise((resolve, reject) => {
      aedes.publish(
        { cmd: 'publish', topic, payload: Buffer.from(payload), qos: opts.qos ?? 0, retain: !!opts.retain, dup: false },
        (err?: Error) => (err ? reject(err) : resolve()),
      );
    });
  }
}

/** Uses an external broker: subscribes `+/obj/#` there and publishes events there. */
export class ExternalBroker implements Bus {
  private client?: mqtt.MqttClient;
  constructor(
    readonly url: string,
    private onObj: ObjHandler,
  ) {}

  get up(): boolean {
    return !!this.client?.connected;
  }

  async start(): Promise<void> {
    const client = mqtt.connect(this.url, {
      clientId: `lynx-sandbox-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
      reconnectPeriod: 500,
      connectTimeout: 5000,
    });
    client.on('message', (topic, payload) => this.onObj(topic, payload));
    await new Promise<void>((resolve, reject) => {
      const fail = (err: Error) => {
        client.end(true);
        reject(new Error(`sandbox: cannot connect to external broker: ${err.message}`));
      };
      client.once('error', fail);
      client.once('connect', () => {
        client.off('error', fail);
        resolve();
      });
    });
    client.on('error', () => {
      /* reconnects */
    });
    await client.subscribeAsync('+/obj/#', { qos: 1 });
    this.client = client;
  }

  async publish(topic: string, payload: string | Buffer, opts: { qos?: 0 | 1 | 2; retain?: boolean } = {}): Promise<void> {
    if (!this.client) throw new Error('external broker not connected');
    await this.client.publishAsync(topic, payload, { qos: opts.qos ?? 0, retain: !!opts.retain });
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c) await c.endAsync(true);
  }
}
