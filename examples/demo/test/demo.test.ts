import { createHash, randomBytes } from 'node:crypto';
import { binaryParser, collectAppErrors, type Listening, listen, tempDir } from '@koa-kit/testing';
import request from 'supertest';
import * as tus from 'tus-js-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDemo, DEMO_USERS } from '../src/app.js';

const [demoUser, demoPassword] = Object.entries(DEMO_USERS)[0]!;
let data: Awaited<ReturnType<typeof tempDir>>;
let server: Listening;
let appErrors: ReturnType<typeof collectAppErrors>;

beforeAll(async () => {
  data = await tempDir('koa-kit-demo-');
  const app = await createDemo({ dataDir: data.path });
  appErrors = collectAppErrors(app);
  server = await listen(app);
});
afterAll(async () => {
  await server.close();
  await data.remove();
});
afterEach(() => appErrors.assertNone());

const sha256 = (buf: Buffer) => createHash('sha256').update(buf).digest('hex');

async function login(agent = request.agent(server.url)) {
  const res = await agent.post('/api/login?token=1').auth(demoUser, demoPassword).expect(200);
  expect(res.body).toMatchObject({ code: 200, data: { user: demoUser } });
  return { agent, token: res.body.data.token as string, cookies: res.headers['set-cookie'] };
}

describe('the page and its assets', () => {
  it('serves the page, its script and the tus browser build', async () => {
    const page = await request(server.url).get('/').expect(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.text).toContain('/assets/app.js');
    await request(server.url)
      .get('/assets/app.js')
      .expect(200)
      .expect('Content-Type', /javascript/);
    await request(server.url).get('/assets/style.css').expect(200).expect('Content-Type', /css/);
    await request(server.url).get('/assets/vendor/tus.min.js').expect(200);
  });

  it('answers an unknown path with a 404 (enveloped under /api) and refuses traversal', async () => {
    const res = await request(server.url).get('/nothing-here').set('Accept', 'application/json').expect(404);
    expect(res.body).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    const api = await request(server.url).get('/api/nothing-here').expect(404);
    expect(api.body).toMatchObject({ code: 404, data: null });
    const sneaky = await request(server.url).get('/assets/..%2f..%2fpackage.json');
    expect([400, 403, 404]).toContain(sneaky.status);
    expect(sneaky.text).not.toContain('"name"');
  });
});

describe('login, session and JWT', () => {
  it('refuses missing and wrong credentials with a challenge and an envelope', async () => {
    const missing = await request(server.url).post('/api/login').expect(401);
    expect(missing.headers['www-authenticate']).toMatch(/^Basic realm="koa-kit demo"/);
    expect(missing.body).toMatchObject({ code: 401, data: null });
    const wrong = await request(server.url).post('/api/login').auth(demoUser, 'nope').expect(401);
    expect(wrong.body.message).toBeTruthy();
    expect(JSON.stringify(wrong.body)).not.toContain('stack');
    // The page's own fetch() gets a challenge the browser will not turn into a login dialog.
    const script = await request(server.url).post('/api/login').set('X-Requested-With', 'fetch').expect(401);
    expect(script.headers['www-authenticate']).toMatch(/^X-Basic realm=/);
  });

  it('logs in: a token for the API, a fresh session, a visit counter, logout that ends the token', async () => {
    const { agent, token } = await login();
    const me = await agent.get('/api/me').set('Authorization', `Bearer ${token}`).expect(200);
    expect(me.body.data).toMatchObject({ user: demoUser, visits: 0 });
    await agent.post('/api/visits').set('Authorization', `Bearer ${token}`).expect(200);
    const second = await agent.post('/api/visits').set('Authorization', `Bearer ${token}`).expect(200);
    expect(second.body.data).toEqual({ visits: 2 });
    await agent.post('/api/logout').set('Origin', server.url).expect(200);
    const after = await agent.get('/api/me').set('Authorization', `Bearer ${token}`).expect(401);
    expect(after.body).toMatchObject({ code: 401, data: null });
  });

  it('regenerates the session id on login (no session fixation)', async () => {
    const agent = request.agent(server.url);
    const first = await login(agent);
    const second = await login(agent);
    expect(second.cookies).toBeDefined();
    expect(String(second.cookies)).not.toEqual(String(first.cookies));
  });

  it('refuses the API without a token, with a forged token, and with the wrong method', async () => {
    const none = await request(server.url).get('/api/me').expect(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(none.body).toMatchObject({ code: 401, data: null });
    const { token } = await login();
    const forged = `${token.slice(0, -4)}AAAA`;
    await request(server.url).get('/api/me').set('Authorization', `Bearer ${forged}`).expect(401);
    const wrongMethod = await request(server.url).delete('/api/me').expect(405);
    expect(wrongMethod.headers.allow).toContain('GET');
  });

  it('rate-limits the login route more strictly than the API', async () => {
    const app = await createDemo({ dataDir: data.path, apiRateLimit: 50 });
    const small = await listen(app);
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await request(small.url).post('/api/login')).status);
      expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
      const limited = await request(small.url).post('/api/login').expect(429);
      expect(limited.headers['retry-after']).toMatch(/^\d+$/);
      expect(limited.body).toMatchObject({ code: 429, data: null });
    } finally {
      await small.close();
    }
  });
});

describe('uploads and downloads', () => {
  it('takes a multipart upload with a Chinese name, lists it and serves it in ranges', async () => {
    const { agent, token } = await login();
    const body = randomBytes(200_000);
    const up = await agent
      .post('/api/form-uploads')
      .set('Authorization', `Bearer ${token}`)
      .attach('file', body, { filename: '报告.bin', contentType: 'application/octet-stream' })
      .expect(201);
    const { id } = up.body.data as { id: string };
    expect(up.body.data).toEqual({ id, name: '报告.bin', size: body.length });
    const list = await agent.get('/api/files').set('Authorization', `Bearer ${token}`).expect(200);
    expect(list.body.data).toContainEqual({ id, name: '报告.bin', size: body.length });

    const whole = await agent.get(`/downloads/${id}`).buffer(true).parse(binaryParser).expect(200);
    expect(sha256(whole.body)).toBe(sha256(body));
    expect(whole.headers['content-disposition']).toContain("filename*=UTF-8''%E6%8A%A5%E5%91%8A.bin");
    expect(whole.headers['accept-ranges']).toBe('bytes');

    const part = await agent
      .get(`/downloads/${id}`)
      .set('Range', 'bytes=100-199')
      .buffer(true)
      .parse(binaryParser)
      .expect(206);
    expect(part.headers['content-range']).toBe(`bytes 100-199/${body.length}`);
    expect(Buffer.compare(part.body, body.subarray(100, 200))).toBe(0);
  });

  it('refuses downloads without a session and hostile names', async () => {
    const { agent: owner, token } = await login();
    const up = await owner
      .post('/api/form-uploads')
      .set('Authorization', `Bearer ${token}`)
      .attach('file', Buffer.from('hello'), 'public.txt')
      .expect(201);
    const res = await request(server.url)
      .get(`/downloads/${up.body.data.id}`)
      .set('Accept', 'application/json')
      .expect(401);
    expect(res.body).toMatchObject({ status: 401, code: 'LOGIN_REQUIRED' });
    const { agent } = await login();
    for (const name of ['..%2f..%2fetc%2fpasswd', '.hidden', '%00', 'public.txt', `${up.body.data.id}.json`]) {
      const hostile = await agent.get(`/downloads/${name}`);
      expect([400, 404]).toContain(hostile.status);
    }
    await agent.get('/downloads/missing.txt').expect(404);
  });

  it('refuses an upload without a token before reading it', async () => {
    const res = await request(server.url)
      .post('/api/form-uploads')
      .attach('file', Buffer.from('x'), 'x.txt')
      .expect(401);
    expect(res.body).toMatchObject({ code: 401, data: null });
    const tusRes = await request(server.url).post('/api/uploads').set('Tus-Resumable', '1.0.0').expect(401);
    expect(tusRes.body).toMatchObject({ code: 401 });
  });

  it('takes a resumable tus upload behind jwt() and lists the finished file', async () => {
    const { token } = await login();
    const content = randomBytes(3 * 1024 * 1024 + 17);
    await new Promise<void>((resolve, reject) => {
      const up = new tus.Upload(content, {
        endpoint: `${server.url}/api/uploads`,
        headers: { Authorization: `Bearer ${token}` },
        metadata: { filename: 'big.bin' },
        chunkSize: 1024 * 1024,
        onError: reject,
        onSuccess: () => resolve(),
      });
      up.start();
    });
    const agent = request.agent(server.url);
    const { token: reader } = await login(agent);
    const list = await agent.get('/api/files').set('Authorization', `Bearer ${reader}`).expect(200);
    const big = (list.body.data as { id: string; name: string; size: number }[]).find((f) => f.name === 'big.bin');
    expect(big).toMatchObject({ size: content.length });
    const got = await agent.get(`/downloads/${big!.id}`).buffer(true).parse(binaryParser).expect(200);
    expect(sha256(got.body)).toBe(sha256(content));
  });
});
