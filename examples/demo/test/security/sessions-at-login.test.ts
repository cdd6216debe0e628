import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Demo, login, startDemo } from './helpers.js';

let demo: Demo;
beforeAll(async () => {
  demo = await startDemo();
});
afterAll(() => demo.close());

describe('sessions are created at login only', () => {
  it('never creates a session for a request without a session cookie', async () => {
    const { auth } = await login(demo.server.url, 'alice');
    for (let i = 0; i < 5; i++) {
      const res = await request(demo.server.url).post('/api/visits').set('Authorization', auth);
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ code: 401, data: null });
    }
    const me = await request(demo.server.url).get('/api/me').set('Authorization', auth).expect(200);
    expect(me.headers['set-cookie']).toBeUndefined();
    const anonymous = await request(demo.server.url).post('/api/visits').expect(401);
    expect(anonymous.headers['set-cookie']).toBeUndefined();
  });

  it('counts visits in the session of the login', async () => {
    const { agent, auth } = await login(demo.server.url, 'alice');
    await agent.post('/api/visits').set('Authorization', auth).expect(200);
    const second = await agent.post('/api/visits').set('Authorization', auth).expect(200);
    expect(second.body.data).toEqual({ visits: 2 });
  });
});
