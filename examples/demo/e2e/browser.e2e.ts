/// <reference lib="dom" />
// The page functions below run in the browser.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Listening, listen, tempDir } from '@koa-kit/testing';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDemo, DEMO_USERS } from '../src/app.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const shotsDir = fileURLToPath(new URL('../../../e2e-screenshots/', import.meta.url));
const [user, password] = Object.entries(DEMO_USERS)[0]!;
const sha256 = (buf: Buffer) => createHash('sha256').update(buf).digest('hex');

let data: Awaited<ReturnType<typeof tempDir>>;
let server: Listening;
let browser: Browser;
let page: Page;
let step = 0;

async function shot(name: string): Promise<void> {
  step += 1;
  await page.screenshot({ path: path.join(shotsDir, `${String(step).padStart(2, '0')}-${name}.png`), fullPage: true });
}

beforeAll(async () => {
  await mkdir(shotsDir, { recursive: true });
  data = await tempDir('koa-kit-e2e-');
  server = await listen(await createDemo({ dataDir: data.path }));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 900, height: 900 } });
  page = await context.newPage();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await data?.remove();
});

it('logs in, uploads through a network drop, lists, downloads the same bytes, logs out', async () => {
  await page.goto(server.url);
  expect(await page.locator('h1').textContent()).toBe('koa-kit demo');
  await shot('start');

  // A wrong password shows the envelope's message.
  await page.fill('#password', 'wrong');
  await page.click('#login-button');
  await page.locator('#error').waitFor({ state: 'visible' });
  expect(await page.locator('#error').textContent()).toMatch(/\S/);
  await shot('wrong-password');

  await page.fill('#username', user);
  await page.fill('#password', password);
  await page.click('#login-button');
  await page.locator('#me-section').waitFor({ state: 'visible' });
  expect(await page.locator('#me-name').textContent()).toBe(user);
  await page.click('#visit-button');
  await page.waitForFunction(() => document.getElementById('visits')?.textContent === '1');
  await shot('logged-in');

  const content = randomBytes(6 * 1024 * 1024 + 123);
  await page.setInputFiles('#file-input', {
    name: 'e2e-upload.bin',
    mimeType: 'application/octet-stream',
    buffer: content,
  });
  await page.click('#upload-button');
  // Cut the network once the upload is under way; tus-js-client retries and resumes.
  await page.waitForFunction(
    () => Number((document.getElementById('upload-progress') as HTMLProgressElement).value) >= 15,
  );
  await page.context().setOffline(true);
  await page.waitForTimeout(700);
  await shot('offline-mid-upload');
  await page.context().setOffline(false);
  await page.waitForFunction(() => document.getElementById('upload-status')?.textContent === 'done', undefined, {
    timeout: 60_000,
  });
  expect(await page.locator('#upload-percent').textContent()).toBe('100%');
  await page.locator('#file-list a', { hasText: 'e2e-upload.bin' }).waitFor();
  await shot('uploaded-and-listed');

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.click('#file-list a:has-text("e2e-upload.bin")'),
  ]);
  const saved = path.join(data.path, 'downloaded.bin');
  await download.saveAs(saved);
  expect(download.suggestedFilename()).toBe('e2e-upload.bin');
  expect(sha256(await readFile(saved))).toBe(sha256(content));

  await page.click('#logout-button');
  await page.locator('#login-section').waitFor({ state: 'visible' });
  await shot('logged-out');
  const afterLogout = await page.evaluate(async () => (await fetch('/downloads/e2e-upload.bin')).status);
  expect(afterLogout).toBe(401);
}, 120_000);
