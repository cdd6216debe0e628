'use strict';
// Copied into every temporary user app. Starts a real Koa server on 127.0.0.1:0 with the app a
// scenario builds from the package, runs the scenario's requests and assertions against it, and
// exits 0 only if they pass and the app emitted no unexpected error.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

function assertInsideApp(name) {
  const resolved = fs.realpathSync(require.resolve(name, { paths: [__dirname] }));
  const appModules = `${fs.realpathSync(__dirname)}${path.sep}node_modules${path.sep}`;
  assert.ok(resolved.startsWith(appModules), `${name} resolved outside the app: ${resolved}`);
}

async function run({ scenario, kit, namespace, Koa, flavour, packageName }) {
  assertInsideApp(packageName);
  assertInsideApp('koa');
  for (const name of scenario.imports) {
    assert.notEqual(kit[name], undefined, `${packageName} has no export "${name}" (${flavour})`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `kk-app-${flavour}-`));
  const server = http.createServer();
  try {
    const app = await scenario.setup(kit, { Koa, dir });
    const appErrors = [];
    app.silent = true;
    // Koa emits every error; a refusal (4xx) is the package doing its job, a 5xx is not.
    app.on('error', (err) => {
      if (!(err.status >= 400 && err.status < 500) && !scenario.expectServerErrors) appErrors.push(err);
    });
    server.on('request', app.callback());
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${server.address().port}`;
    await scenario.check(url, { kit, dir, assert });
    assert.deepEqual(appErrors.map(String), [], 'the app emitted unexpected errors');
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(() => resolve()));
    // Let streams the app dropped finish opening before their files go away: an app whose files
    // vanish mid-request is not what this check is about (a process crash would still fail it).
    await new Promise((resolve) => setTimeout(resolve, 150));
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const names = Object.keys(namespace).filter((k) => k !== 'default' && k !== '__esModule');
  process.stdout.write(`exports: ${names.sort().join(',')}\nok ${packageName} (${flavour})\n`);
}

module.exports = { run };
