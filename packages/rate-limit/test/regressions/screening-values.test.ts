import { rateLimit } from '@koa-kit/rate-limit';
import { type AppErrors, collectAppErrors, type Listening, listen } from '@koa-kit/testing';
import type Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import { assertOnlyRefusals, makeApp } from '../helpers.js';

let server: Listening | undefined;
let errors: AppErrors | undefined;

async function serve(app: Koa): Promise<string> {
  errors = collectAppErrors(app);
  server = await listen(app);
  return server.url;
}

afterEach(async () => {
  await server?.close();
  server = undefined;
  if (errors) assertOnlyRefusals(errors.take());
  errors = undefined;
});

async function statusOf(url: string, headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(url, { headers });
  await res.arrayBuffer();
  return res.status;
}

describe('deny and allow fail closed on anything but a boolean', () => {
  it('deny returning a truthy object (a Map lookup) refuses with 403, it does not let everyone through', async () => {
    const blocked = new Map([['bad', { reason: 'abuse' }]]);
    const { app, ran } = makeApp(
      rateLimit({ max: 100, deny: ((ctx: Koa.Context) => blocked.get(ctx.get('x-client'))) as never }),
    );
    const url = await serve(app);
    expect(await statusOf(url, { 'x-client': 'bad' })).toBe(403);
    expect(ran()).toBe(0);
  });

  it('deny returning an unexpected value (undefined, a number, a string) refuses; false lets the request on', async () => {
    const answers: Record<string, unknown> = { u: undefined, n: 1, s: 'yes', f: false };
    const { app, ran } = makeApp(
      rateLimit({ max: 100, deny: (async (ctx: Koa.Context) => answers[ctx.get('x-answer')]) as never }),
    );
    const url = await serve(app);
    for (const answer of ['u', 'n', 's']) expect(await statusOf(url, { 'x-answer': answer })).toBe(403);
    expect(await statusOf(url, { 'x-answer': 'f' })).toBe(200);
    expect(ran()).toBe(1);
  });

  it('allow skips the limit only on a literal true; a truthy object is counted like any request', async () => {
    const { app } = makeApp(rateLimit({ max: 1, duration: '1m', allow: (() => ({ yes: true })) as never }));
    const url = await serve(app);
    expect([await statusOf(url), await statusOf(url)]).toEqual([200, 429]);
  });
});
