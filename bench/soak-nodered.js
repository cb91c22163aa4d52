'use strict';
// The Node-RED of the write soak (soak-writes.bench.js), in its own process so the
// soak can stop it (SIGTERM) or kill it (SIGKILL) and start it again on the same
// user dir. The pack is installed in <userDir>/node_modules as a user installs it.
//   node soak-nodered.js <userDir> <port>   -> prints {"started":true} at every flows:started
const http = require('node:http');
const path = require('node:path');
const express = require('express');
const RED = require('node-red');

const [dir, port] = process.argv.slice(2);
const userDir = path.resolve(dir);
const app = express();
const server = http.createServer(app);
const settings = {
  userDir,
  flowFile: 'flows.json',
  credentialSecret: false,
  uiHost: '127.0.0.1',
  httpAdminRoot: '/admin',
  httpNodeRoot: '/',
  disableEditor: true,
  logging: { console: { level: process.env.SOAK_LOG || 'error', metrics: false, audit: false } },
  editorTheme: { tours: false },
  externalModules: { autoInstall: false },
};

RED.init(server, settings);
app.use(settings.httpAdminRoot, RED.httpAdmin);
app.use(settings.httpNodeRoot, RED.httpNode);
RED.events.on('flows:started', () => process.stdout.write('{"started":true}\n'));

server.listen(Number(port), '127.0.0.1', () => {
  RED.start().catch((err) => {
    console.error(err);
    process.exit(1);
  });
});

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  const force = setTimeout(() => process.exit(0), 5000);
  server.closeAllConnections();
  RED.stop().finally(() =>
    server.close(() => {
      clearTimeout(force);
      process.exit(0);
    }),
  );
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
