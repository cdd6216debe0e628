import { memoryStore, session } from '@koa-kit/session';
import Koa from 'koa';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { KEYS, makeApp, sessionCookie } from '../helpers.js';

let pending: Array<{ assertNone(): void }> = [];
afterEach(() => {
  const list = pending;
  pending = [];
  for (const errors of list) errors.assertNone();
});

describe('options are validated and translated when session() is called', () => {
  it('sameSite: false with a store omits the attribute instead of answering 500 on every request', async () => {
    const made = makeApp(session({ store: memoryStore(), sameSite: false }));
    pending.push(made.errors);
    const res = await request(made.app.callback()).get('/login').expect(200);
    expect(sessionCookie(res.headers).attrs.samesite).toBeUndefined();
    const cookie = sessionCookie(res.headers).value;
    const me = await request(made.app.callback()).get('/me').set('Cookie', `koa.sess=${cookie}`).expect(200);
    expect(me.body.user).toBe('alice');
  });

  it('sameSite: true means strict (as in Cookies), for both kinds of session', async () => {
    for (const store of [undefined, memoryStore()]) {
      const made = makeApp(session({ store, sameSite: true }));
      pending.push(made.errors);
      const res = await request(made.app.callback()).get('/login').expect(200);
      expect(sessionCookie(res.headers).attrs.samesite).toBe('strict');
    }
  });

  it('refuses keys shorter than 32 bytes at set-up, with a clear message', () => {
    expect(() => session({ keys: ['short-key'] })).toThrow(TypeError);
    expect(() => session({ keys: ['short-key'] })).toThrow(/at least 32 bytes/);
    // a multi-byte string counts its bytes: 11 characters of 3 bytes each are 33 bytes
    expect(() => session({ keys: ['€'.repeat(11)] })).not.toThrow();
    expect(() => session({ keys: [Buffer.alloc(31, 1)] })).toThrow(/at least 32 bytes/);
  });

  it('refuses short app.keys: at factory time when given the app, else 500 SESSION_MISCONFIGURED', async () => {
    const app = new Koa();
    app.keys = ['too-short'];
    expect(() => session({}, app)).toThrow(TypeError);
    expect(() => session({}, app)).toThrow(/at least 32 bytes/);

    const made = makeApp(session(), ['too-short']);
    const res = await request(made.app.callback()).get('/me').expect(500);
    expect(res.text).not.toContain('too-short');
    expect(made.errors.take().map((e) => (e as { code?: string }).code)).toEqual(['SESSION_MISCONFIGURED']);
  });

  it('refuses koa-session options it does not take, saying what to use instead', () => {
    const refused: Array<[string, unknown, RegExp]> = [
      ['maxage', 1000, /use "maxAge"/],
      ['overwrite', false, /"overwrite" option is not supported/],
      ['encode', (v: unknown) => String(v), /encrypted/],
      ['decode', (v: string) => v, /encrypted/],
      ['ContextStore', class {}, /"store"/],
      ['externalKey', { get() {}, set() {} }, /signed cookie/],
    ];
    for (const [name, value, message] of refused) {
      expect(() => session({ [name]: value } as never)).toThrow(TypeError);
      expect(() => session({ [name]: value } as never)).toThrow(message);
    }
    expect(() => session({ genid: () => 'x' })).toThrow(/"genid" option needs a "store"/);
    expect(() => session({ prefix: 'p:' })).toThrow(/"prefix" option needs a "store"/);
    expect(() => session({ valid: true } as never)).toThrow(/"valid" option must be a function/);
    expect(() => session({ beforeSave: 1 } as never)).toThrow(/"beforeSave" option must be a function/);
    expect(() => session({ autoCommit: 'no' } as never)).toThrow(/"autoCommit" option must be a boolean/);
  });
});

describe('ctx.session is defined at set-up when session() is given the app', () => {
  for (const [name, mount] of [
    ['session(options, app)', (app: Koa) => session({ store: memoryStore() }, app)],
    ['session(app, options)', (app: Koa) => session(app, { store: memoryStore() })],
    ['session(options, app), cookie sessions', (app: Koa) => session({}, app)],
  ] as const) {
    it(`${name}: a middleware placed before it sees the session on the very first request`, async () => {
      const app = new Koa();
      app.keys = KEYS;
      let seen: unknown = 'not run';
      app.use(async (ctx, next) => {
        seen = ctx.session === undefined ? 'undefined' : typeof ctx.session;
        await next();
      });
      app.use(mount(app));
      app.use((ctx) => {
        ctx.body = 'ok';
      });
      await request(app.callback()).get('/').expect(200);
      expect(seen).toBe('object');
    });
  }

  it('refuses a second app argument that is not an app, and a second session middleware on the app', () => {
    const app = new Koa();
    app.keys = KEYS;
    expect(() => session({}, {} as never)).toThrow(TypeError);
    session({}, app);
    expect(() => session({}, app)).toThrow(/already installed/);
  });
});
