/// <reference lib="dom" />
import { existsSync } from 'node:fs';
import { type Listening, listen } from '@koa-kit/testing';
import createError from 'http-errors';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { appWith, type TestApp } from './helpers.js';

// A real browser sends its own Accept header and renders the page: the HTML format must win the
// negotiation and a hostile message must stay text. CI installs chromium (apt).
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';

let current: TestApp;
let server: Listening;
let browser: Browser | undefined;

describe.skipIf(!existsSync(CHROMIUM))('in a browser', () => {
  beforeAll(async () => {
    current = appWith((ctx) => {
      if (ctx.path === '/hostile') throw createError(400, HOSTILE);
    });
    server = await listen(current.app);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    current.appErrors.assertNone();
  });

  test('a 404 is a readable HTML page', async () => {
    const page = await browser!.newPage();
    const response = await page.goto(`${server.url}/nowhere`);
    expect(response!.status()).toBe(404);
    expect(response!.headers()['content-type']).toBe('text/html; charset=utf-8');
    expect(await page.title()).toBe('404 Not Found');
    expect(await page.locator('h1').textContent()).toBe('404 Not Found');
    await page.close();
  });

  test('a hostile message is shown as text and runs nothing', async () => {
    const page = await browser!.newPage();
    const response = await page.goto(`${server.url}/hostile`);
    expect(response!.status()).toBe(400);
    expect(await page.locator('p').first().textContent()).toBe(HOSTILE);
    expect(await page.locator('img, script').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    await page.close();
  });
});
