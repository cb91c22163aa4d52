#!/usr/bin/env node
// lynx-sandbox: runs the Lynx sandbox until SIGINT/SIGTERM. Prints one JSON line
// {"api","mqtt","apiKey","installations"} on stdout when ready.
import { startSandbox, type SandboxOptions } from './index';

const USAGE = 'usage: lynx-sandbox [--port N] [--mqtt-port N] [--seed file] [--host H] [--mqtt-url URL]';

function parseArgs(argv: string[]): SandboxOptions {
  const o: SandboxOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    if (flag === '--help' || flag === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    const val = inline ?? argv[++i];
    if (val === undefined) throw new Error(`${flag} needs a value`);
    const port = () => {
      const n = Number(val);
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${flag} must be a port number 0..65535, got "${val}"`);
      return n;
    };
    switch (flag) {
      case '--port':
        o.port = port();
        break;
      case '--mqtt-port':
        o.mqttPort = port();
        break;
      case '--seed':
        o.seed = val;
        break;
      case '--host':
        o.host = val;
        break;
      case '--mqtt-url':
        o.mqttUrl = val;
        break;
      default:
        throw new Error(`unknown option ${flag}`);
    }
  }
  return o;
}

async function main(): Promise<void> {
  let opts: SandboxOptions;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`lynx-sandbox: ${(e as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  let sb: Awaited<ReturnType<typeof startSandbox>> | undefined;
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    if (!sb) process.exit(0);
    else
      sb.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  sb = await startSandbox(opts);
  if (stopping) return stop();
  process.stdout.write(`${JSON.stringify({ api: sb.api, mqtt: sb.mqtt, apiKey: sb.apiKey, installations: sb.installations })}\n`);
}

main().catch((e: Error) => {
  process.stderr.write(`lynx-sandbox: ${e.message}\n`);
  process.exit(1);
});
