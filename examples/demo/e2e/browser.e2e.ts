/// <reference lib="dom" />
// The page in headless Chromium, its uploads slowed down by Chromium's own network emulation (so
// progress and pause can be seen), through a small TCP proxy that can cut every connection or
// point at a restarted server.
// Functions passed to page.evaluate() run in the browser.
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { access, readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '@koa-kit/testing';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemo, DEMO_USERS } from '../src/app.js';
import { createServer } from '../src/server.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOT = fileURLToPath(new URL('../screenshot.png', import.meta.url));
const [user, password] = Object.entries(DEMO_USERS)[0]!;
const USERS = { [user]: password, bob: 'bob-password' };
/** Upload speed of the emulated network: a few MB take a second or two. */
const BYTES_PER_SECOND = 3 * 1024 * 1024;
const sha256 = (buf: Buffer) => createHash('sha256').update(buf).digest('hex');

interface DemoServer {
  port: number;
  close(): Promise<void>;
}

async function startServer(dataDir: string): Promise<DemoServer> {
  const server = createServer(await createDemo({ dataDir, users: USERS }));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Forwards every connection to `target.port`; `cut()` drops them all (a lost network, a restart). */
async function startProxy(target: { port: number }) {
  const sockets = new Set<net.Socket>();
  const proxy = net.createServer((client) => {
    const upstream = net.connect(target.port, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const socket of [client, upstream]) socket.on('close', end).on('error', end);
  });
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    cut: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: () => new Promise<void>((resolve) => proxy.close(() => resolve())),
  };
}

let data: Awaited<ReturnType<typeof tempDir>>;
let server: DemoServer;
const target = { port: 0 };
let proxy: Awaited<ReturnType<typeof startProxy>>;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** Every request the demo user's page sent: `METHOD path`. */
const sent: string[] = [];
const tusContent = randomBytes(5 * 1024 * 1024 + 123);
const formContent = randomBytes(2 * 1024 * 1024 + 45);
let unfinished = '';

/** Records every text the element shows from now on (a MutationObserver: no polling, nothing missed). */
async function recordTexts(id: string): Promise<void> {
  await page.evaluate((elementId) => {
    const element = document.getElementById(elementId)!;
    const seen: string[] = [];
    (window as any).__texts = { ...((window as any).__texts ?? {}), [elementId]: seen };
    new MutationObserver(() => seen.push(element.textContent ?? '')).observe(element, {
      childList: true,
      characterData: true,
      subtree: true,
    });
  }, id);
}
const textsOf = (id: string): Promise<string[]> => page.evaluate((elementId) => (window as any).__texts[elementId], id);
const textIs = (selector: string, text: string, timeout = 30_000) =>
  page.waitForFunction(([s, t]) => document.querySelector(s!)?.textContent === t, [selector, text], { timeout });
const percentOf = async (id: string) => Number((await page.textContent(id))!.replace('%', ''));

async function logIn(on: Page, name: string, secret: string): Promise<void> {
  await on.fill('#username', name);
  await on.fill('#password', secret);
  await on.click('#login-button');
  await on.locator('#me-section').waitFor({ state: 'visible' });
}

/** Status of fetch(path, init) from the page, with its cookies. */
function statusFrom(on: Page, requestPath: string, init: RequestInit = {}): Promise<number> {
  return on.evaluate(
    async ([p, i]) =>
      (await fetch(p as string, { headers: { Accept: 'application/json' }, ...(i as RequestInit) })).status,
    [requestPath, init] as const,
  );
}

beforeAll(async () => {
  await access(CHROMIUM);
  data = await tempDir('koa-kit-e2e-');
  server = await startServer(data.path);
  target.port = server.port;
  proxy = await startProxy(target);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'],
  });
  context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1000, height: 700 } });
  page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: BYTES_PER_SECOND,
  });
  page.on('request', (req) => sent.push(`${req.method()} ${new URL(req.url()).pathname}`));
});

afterAll(async () => {
  await browser?.close();
  await proxy?.close();
  await server?.close();
  await data?.remove();
});

describe('the demo page', () => {
  it('shows the demo credentials, refuses a wrong password next to the form, then logs in', async () => {
    await page.goto(proxy.url);
    await page.locator('#demo-credentials').waitFor({ state: 'visible' });
    expect(await page.textContent('#demo-user')).toBe(user);
    expect(await page.textContent('#demo-password')).toBe(password);
    await page.fill('#password', 'wrong');
    await page.click('#login-button');
    await page.locator('#login-error').waitFor({ state: 'visible' });
    expect(await page.textContent('#login-error')).toMatch(/^Not logged in: \S/);

    await logIn(page, user, password);
    expect(await page.textContent('#me-name')).toBe(user);
    // No token in the page: the session cookie is HttpOnly and nothing is kept in storage.
    expect(await page.evaluate(() => [document.cookie, sessionStorage.length])).toEqual(['', 0]);
    await page.click('#visit-button');
    await textIs('#visits', '1');
    await page.locator('#files-empty').waitFor({ state: 'visible' });
  });

  it('uploads with tus: one upload per click, progress, pause, resume after a cut connection', async () => {
    await page.setInputFiles('#tus-file', {
      name: 'tus-e2e.bin',
      mimeType: 'application/octet-stream',
      buffer: tusContent,
    });
    await recordTexts('tus-state');
    await recordTexts('tus-percent');
    await page.click('#tus-start');
    expect(await page.isDisabled('#tus-start')).toBe(true);
    await page.waitForFunction(() => Number(document.getElementById('tus-percent')!.textContent!.slice(0, -1)) >= 20);

    await page.click('#tus-pause');
    await textIs('#tus-state', 'paused');
    const pausedAt = await percentOf('#tus-percent');
    expect(await page.isDisabled('#tus-start')).toBe(true);
    // The connection goes away while paused; Resume asks the server for its offset and goes on.
    proxy.cut();
    await page.click('#tus-resume');
    await page.waitForFunction(
      (from) => Number(document.getElementById('tus-percent')!.textContent!.slice(0, -1)) >= from + 20,
      pausedAt,
    );
    // And once more in the middle of a PATCH: tus-js-client retries by itself.
    proxy.cut();
    await textIs('#tus-state', 'done');
    expect(await page.textContent('#tus-percent')).toBe('100%');
    expect(await page.textContent('#tus-bytes')).toBe('5 MB of 5 MB');

    const states = await textsOf('tus-state');
    expect(states).toContain('paused');
    expect(states.some((s) => s.startsWith('retrying'))).toBe(true);
    // Nothing started over: after the pause the bar never went below the chunks the server had
    // acknowledged (the bar counts bytes sent; those of the chunk cut short may not have arrived).
    const chunkPercent = ((1024 * 1024) / tusContent.length) * 100;
    const acknowledged = Math.floor(Math.floor(pausedAt / chunkPercent) * chunkPercent);
    expect(acknowledged).toBeGreaterThan(0);
    const percents = (await textsOf('tus-percent')).map((p) => Number(p.slice(0, -1)));
    const afterPause = percents.slice(percents.lastIndexOf(pausedAt));
    expect(Math.min(...afterPause)).toBeGreaterThanOrEqual(acknowledged);
    expect(percents.some((p) => p > 0 && p < 100)).toBe(true);
    expect(sent.filter((s) => s === 'POST /api/uploads')).toHaveLength(1);
    expect(sent.some((s) => s.startsWith('HEAD /api/uploads/'))).toBe(true);

    await page.locator('#file-list li', { hasText: 'tus-e2e.bin' }).waitFor();
    expect(await page.textContent('#file-list li:has-text("tus-e2e.bin") .file-size')).toBe('5 MB');
    expect(await page.isHidden('#files-empty')).toBe(true);
  });

  it('uploads the same file again as a new upload, without a HEAD to the finished one', async () => {
    const before = sent.length;
    await page.click('#tus-start');
    await textIs('#tus-state', 'done');
    const requests = sent.slice(before).filter((s) => s.includes('/api/uploads'));
    expect(requests[0]).toBe('POST /api/uploads');
    expect(requests.some((s) => s.startsWith('HEAD'))).toBe(false);
    await page.waitForFunction(() => document.querySelectorAll('#file-list li').length === 2);
  });

  it('uploads a form with its own progress bar, and writes the screenshot', async () => {
    await page.setInputFiles('#form-file', {
      name: 'form-e2e.bin',
      mimeType: 'application/octet-stream',
      buffer: formContent,
    });
    await recordTexts('form-percent');
    await page.click('#form-start');
    expect(await page.isDisabled('#form-start')).toBe(true);
    await textIs('#form-state', 'done');
    expect(await page.textContent('#form-percent')).toBe('100%');
    const percents = (await textsOf('form-percent')).map((p) => Number(p.slice(0, -1)));
    expect(percents.some((p) => p > 0 && p < 100)).toBe(true);
    await page.locator('#file-list li', { hasText: 'form-e2e.bin' }).waitFor();
    await page.screenshot({ path: SCREENSHOT });
  });

  it('cancels a tus upload: it is terminated on the server and not listed', async () => {
    await page.click('#tus-start');
    await page.waitForFunction(() => Number(document.getElementById('tus-percent')!.textContent!.slice(0, -1)) >= 10);
    const [terminated] = await Promise.all([
      page.waitForResponse((res) => res.request().method() === 'DELETE' && res.url().includes('/api/uploads/')),
      page.click('#tus-cancel'),
    ]);
    expect(terminated.status()).toBe(204);
    await textIs('#tus-state', 'cancelled');
    expect(await page.isEnabled('#tus-start')).toBe(true);
    expect(await page.isHidden('#tus-error')).toBe(true);
    const gone = await statusFrom(page, new URL(terminated.url()).pathname, {
      method: 'HEAD',
      headers: { 'Tus-Resumable': '1.0.0' },
    });
    expect([404, 410]).toContain(gone);
    await page.reload();
    await page.waitForFunction(() => document.querySelectorAll('#file-list li').length === 3);
  });

  it('downloads the same bytes, and deletes a file', async () => {
    for (const [name, content] of [
      ['tus-e2e.bin', tusContent],
      ['form-e2e.bin', formContent],
    ] as const) {
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.click(`#file-list li:has-text("${name}") a`),
      ]);
      const saved = path.join(data.path, `downloaded-${name}`);
      await download.saveAs(saved);
      expect(download.suggestedFilename()).toBe(name);
      expect(sha256(await readFile(saved))).toBe(sha256(content));
    }
    await page.click('#file-list li:has-text("form-e2e.bin") button.delete');
    await page.waitForFunction(() => !document.getElementById('file-list')!.textContent!.includes('form-e2e.bin'));
  });

  it("gives a second user none of the first one's files or uploads", async () => {
    const ids = await page.$$eval('#file-list a', (links) => links.map((a) => (a as HTMLAnchorElement).pathname));
    expect(ids.length).toBeGreaterThan(0);
    // An unfinished upload of the first user (a finished one's URL is gone for everyone: 410).
    unfinished = await page.evaluate(async () => {
      const res = await fetch('/api/uploads', {
        method: 'POST',
        headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': '10' },
      });
      return new URL(res.headers.get('Location')!, location.href).pathname;
    });
    expect(unfinished).toMatch(/^\/api\/uploads\/\w+$/);
    expect(await statusFrom(page, unfinished, { method: 'HEAD', headers: { 'Tus-Resumable': '1.0.0' } })).toBe(200);
    const other = await (await browser.newContext()).newPage();
    try {
      await other.goto(proxy.url);
      await logIn(other, 'bob', USERS.bob!);
      await other.locator('#files-empty').waitFor({ state: 'visible' });
      expect(await other.$$('#file-list li')).toHaveLength(0);
      for (const download of ids) {
        expect(await statusFrom(other, download)).toBe(404);
        expect(await statusFrom(other, `/api/files/${download.split('/').pop()}`, { method: 'DELETE' })).toBe(404);
      }
      const tus = { 'Tus-Resumable': '1.0.0' };
      expect(await statusFrom(other, unfinished, { method: 'HEAD', headers: tus })).toBe(404);
      expect(
        await statusFrom(other, unfinished, {
          method: 'PATCH',
          headers: { ...tus, 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' },
          body: 'bob',
        }),
      ).toBe(404);
      expect(await statusFrom(other, unfinished, { method: 'DELETE', headers: tus })).toBe(404);
    } finally {
      await other.context().close();
    }
    // Still all there for their owner.
    expect(await statusFrom(page, unfinished, { method: 'HEAD', headers: { 'Tus-Resumable': '1.0.0' } })).toBe(200);
    await page.reload();
    await page.waitForFunction((n) => document.querySelectorAll('#file-list li').length === n, ids.length);
  });

  it('logs out everywhere: every API call is refused, even with the old cookie', async () => {
    const ids = await page.$$eval('#file-list a', (links) => links.map((a) => (a as HTMLAnchorElement).pathname));
    const oldCookies = await context.cookies();
    await page.click('#logout-button');
    await page.locator('#login-section').waitFor({ state: 'visible' });
    expect(await page.textContent('#login-notice')).toMatch(/^Logged out/);
    await context.addCookies(oldCookies);
    const fileId = ids[0]!.split('/').pop();
    const calls: [string, RequestInit][] = [
      ['/api/me', {}],
      ['/api/files', {}],
      ['/api/visits', { method: 'POST' }],
      [ids[0]!, {}],
      [`/api/files/${fileId}`, { method: 'DELETE' }],
      ['/api/uploads', { method: 'POST', headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': '1' } }],
      [unfinished, { method: 'HEAD', headers: { 'Tus-Resumable': '1.0.0' } }],
    ];
    for (const [p, init] of calls) expect([p, await statusFrom(page, p, init)]).toEqual([p, 401]);
    const formStatus = await page.evaluate(async () => {
      const body = new FormData();
      body.append('file', new Blob(['x']), 'x.txt');
      return (await fetch('/api/form-uploads', { method: 'POST', body })).status;
    });
    expect(formStatus).toBe(401);
  });

  it('notices a server restart: a download says "logged out" instead of failing silently', async () => {
    await logIn(page, user, password);
    await page.locator('#file-list li').first().waitFor();
    const restarted = await startServer(data.path);
    target.port = restarted.port;
    await server.close();
    server = restarted;
    proxy.cut();
    await page.click('#file-list li a');
    await page.locator('#login-section').waitFor({ state: 'visible', timeout: 5000 });
    expect(await page.textContent('#login-notice')).toMatch(/logged out/i);
  });

  it('shows an HTML page for a missing page', async () => {
    const res = await page.goto(`${proxy.url}/nope`);
    expect(res!.status()).toBe(404);
    expect(res!.headers()['content-type']).toMatch(/^text\/html/);
    expect(await page.textContent('body')).toMatch(/not found/i);
  });
});
