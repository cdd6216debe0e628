import { binaryParser } from '@koa-kit/testing';
import request from 'supertest';
import * as tus from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Demo, errorCode, startDemo, USERS } from './helpers.js';

let demo: Demo;
beforeAll(async () => {
  demo = await startDemo();
});
afterAll(() => demo.close());

/** Logs in as the page does: Basic credentials once, then only the session cookie. */
async function pageLogin(url: string) {
  const agent = request.agent(url);
  const res = await agent.post('/api/login').set('Origin', url).auth('alice', USERS.alice).expect(200);
  return { agent, res };
}

describe('the browser rides the session cookie', () => {
  it('gets a SameSite=Strict HttpOnly cookie and no token unless it asks for one', async () => {
    const url = demo.server.url;
    const { res } = await pageLogin(url);
    expect(res.body.data).toEqual({ user: 'alice' });
    const cookies = [res.headers['set-cookie'] ?? []].flat().join('\n');
    expect(cookies).toMatch(/samesite=strict/i);
    expect(cookies).toMatch(/httponly/i);
    const api = await request(url).post('/api/login?token=1').auth('alice', USERS.alice).expect(200);
    expect(api.body.data.token).toMatch(/^ey/);
  });

  it('lists, uploads (form and tus), downloads and deletes with the cookie alone', async () => {
    const url = demo.server.url;
    const { agent, res } = await pageLogin(url);
    await agent.get('/api/me').expect(200);
    const form = await agent
      .post('/api/form-uploads')
      .set('Origin', url)
      .attach('file', Buffer.from('from the form'), 'form.txt')
      .expect(201);
    const cookie = [res.headers['set-cookie'] ?? []]
      .flat()
      .map((c) => c.split(';')[0])
      .join('; ');
    const content = Buffer.alloc(300_000, 7);
    await new Promise<void>((resolve, reject) => {
      new tus.Upload(content, {
        endpoint: `${url}/api/uploads`,
        headers: { Cookie: cookie, Origin: url },
        metadata: { filename: 'tus.bin' },
        chunkSize: 100_000,
        onError: reject,
        onSuccess: () => resolve(),
      }).start();
    });
    const list = await agent.get('/api/files').expect(200);
    expect((list.body.data as { name: string }[]).map((f) => f.name).sort()).toEqual(['form.txt', 'tus.bin']);
    const got = await agent.get(`/downloads/${form.body.data.id}`).buffer(true).parse(binaryParser).expect(200);
    expect(got.body.toString()).toBe('from the form');
    await agent.delete(`/api/files/${form.body.data.id}`).set('Origin', url).expect(200);
  });

  it("refuses a state-changing cookie request without this page's Origin (CSRF), not a token request", async () => {
    const url = demo.server.url;
    const { agent } = await pageLogin(url);
    for (const origin of [undefined, 'http://evil.example', 'null', `${url.replace('127.0.0.1', 'localhost')}`]) {
      const visit = agent.post('/api/visits');
      if (origin) visit.set('Origin', origin);
      const refused = await visit.expect(403);
      expect(errorCode(refused.body)).toBe('ORIGIN_REFUSED');
      const tusCreate = agent.post('/api/uploads').set('Tus-Resumable', '1.0.0').set('Upload-Length', '5');
      if (origin) tusCreate.set('Origin', origin);
      expect((await tusCreate).status).toBe(403);
      const logout = agent.post('/api/logout');
      if (origin) logout.set('Origin', origin);
      expect((await logout).status).toBe(403);
    }
    // Reads need no Origin; the login is still live after the refused logouts.
    await agent.get('/api/files').expect(200);
    await agent.post('/api/visits').set('Origin', url).expect(200);
    // A login form posted from another site is refused before the credentials are checked.
    const foreignLogin = await request(url)
      .post('/api/login')
      .set('Origin', 'http://evil.example')
      .auth('alice', USERS.alice);
    expect([foreignLogin.status, errorCode(foreignLogin.body)]).toEqual([403, 'ORIGIN_REFUSED']);
    // API clients send their token themselves: a browser never adds it, so no Origin is needed.
    const api = await request(url).post('/api/login?token=1').auth('alice', USERS.alice).expect(200);
    await request(url)
      .post('/api/form-uploads')
      .set('Authorization', `Bearer ${api.body.data.token}`)
      .attach('file', Buffer.from('x'), 'api.txt')
      .expect(201);
  });

  it('answers 401 LOGIN_REQUIRED to a cookie whose session the server no longer has (a restart)', async () => {
    const first = await startDemo();
    const { res } = await pageLogin(first.server.url);
    const cookie = [res.headers['set-cookie'] ?? []]
      .flat()
      .map((c) => c.split(';')[0])
      .join('; ');
    await first.close();
    const second = await startDemo();
    try {
      const me = await request(second.server.url).get('/api/me').set('Cookie', cookie).expect(401);
      expect(errorCode(me.body)).toBe('LOGIN_REQUIRED');
      expect(me.body).toMatchObject({ code: 401, data: null });
      const download = await request(second.server.url)
        .get('/downloads/00000000-0000-4000-8000-000000000000')
        .set('Cookie', cookie)
        .set('Accept', 'application/json')
        .expect(401);
      expect(errorCode(download.body)).toBe('LOGIN_REQUIRED');
    } finally {
      await second.close();
    }
  });

  it('shows the built-in credentials to the login form only while they are in use', async () => {
    const own = await request(demo.server.url).get('/api/demo-login').expect(200);
    expect(own.body.data).toEqual({ credentials: null });
    const builtIn = await startDemo({ users: undefined });
    try {
      const res = await request(builtIn.server.url).get('/api/demo-login').expect(200);
      expect(res.body.data).toEqual({ credentials: { user: 'demo', password: 'demo-password' } });
    } finally {
      await builtIn.close();
    }
  });
});
