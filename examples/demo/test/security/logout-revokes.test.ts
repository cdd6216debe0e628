import { redisForTests } from '@koa-kit/testing';
import { Redis } from 'ioredis';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUpload, type Demo, errorCode, login, startDemo } from './helpers.js';

let demo: Demo;
beforeAll(async () => {
  demo = await startDemo();
});
afterAll(() => demo.close());

async function expectRefused(url: string, auth: string) {
  const me = await request(url).get('/api/me').set('Authorization', auth).expect(401);
  expect(errorCode(me.body)).toBe('TOKEN_REVOKED');
  await request(url).get('/api/files').set('Authorization', auth).expect(401);
  await request(url)
    .post('/api/uploads')
    .set('Authorization', auth)
    .set('Tus-Resumable', '1.0.0')
    .set('Upload-Length', '10')
    .expect(401);
}

describe('logout ends the login everywhere', () => {
  it('revokes every token and session of the user after a logout with the session cookie', async () => {
    const url = demo.server.url;
    const laptop = await login(url, 'alice');
    const phone = await login(url, 'alice');
    await request(url).get('/api/me').set('Authorization', phone.auth).expect(200);
    await createUpload(url, laptop.auth, 10);

    await laptop.agent.post('/api/logout').set('Origin', url).expect(200);

    await expectRefused(url, laptop.auth);
    await expectRefused(url, phone.auth);
    const me = await request(url).get('/api/me').set('Authorization', phone.auth).expect(401);
    expect(me.body).toMatchObject({ code: 401, data: null });
    expect(me.headers['www-authenticate']).toMatch(/^Bearer /);
    // The phone's session cookie is dead too.
    await phone.agent.get('/downloads/00000000-0000-4000-8000-000000000000').expect(401);
  });

  it('revokes the tokens when an API client logs out with its token only', async () => {
    const url = demo.server.url;
    const client = await login(url, 'bob');
    await request(url).post('/api/logout').set('Authorization', client.auth).expect(200);
    await expectRefused(url, client.auth);
    // A new login works again.
    const again = await login(url, 'bob');
    await request(url).get('/api/me').set('Authorization', again.auth).expect(200);
  });
});

const redisUrl = await redisForTests();

describe.skipIf(!redisUrl)('logout with Redis stores, across two processes', () => {
  it('a logout on one process revokes the token on the other', async () => {
    const clients = [new Redis(redisUrl!), new Redis(redisUrl!)];
    const [one, two] = await Promise.all(clients.map((redis) => startDemo({ redis })));
    try {
      const { auth } = await login(one!.server.url, 'alice');
      await request(two!.server.url).get('/api/me').set('Authorization', auth).expect(200);
      await request(one!.server.url).post('/api/logout').set('Authorization', auth).expect(200);
      const me = await request(two!.server.url).get('/api/me').set('Authorization', auth).expect(401);
      expect(errorCode(me.body)).toBe('TOKEN_REVOKED');
    } finally {
      await Promise.all([one!.close(), two!.close()]);
      for (const client of clients) client.disconnect();
    }
  });
});
