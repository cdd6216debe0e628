import { sign } from '@koa-kit/jwt';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_JWT_SECRET, DemoConfigError, loadConfig } from '../../src/config.js';
import { type Demo, startDemo } from './helpers.js';

const ENV = {
  DEMO_USERS: 'carol:carol-password:with-colon,dave:dave-password',
  DEMO_COOKIE_KEYS: 'cookie-key-one-from-the-environment,cookie-key-two-from-the-environment-too',
  DEMO_JWT_SECRET: 'jwt-secret-from-the-environment-0123456789abcdef',
};

describe('secrets and users come from the environment', () => {
  it('reads users, keys and the JWT secret', () => {
    const config = loadConfig(ENV);
    expect(config.users).toEqual({ carol: 'carol-password:with-colon', dave: 'dave-password' });
    expect(config.keys).toEqual(['cookie-key-one-from-the-environment', 'cookie-key-two-from-the-environment-too']);
    expect(config.jwtSecret).toBe(ENV.DEMO_JWT_SECRET);
    expect(config.trustedProxies).toBe(0);
  });

  it('falls back to the demo values outside production, so npm start needs nothing', () => {
    expect(loadConfig({}).users).toEqual({ demo: 'demo-password' });
    expect(loadConfig({ NODE_ENV: 'development' }).jwtSecret).toBe(DEMO_JWT_SECRET);
  });

  it('refuses to start in production on any built-in value, naming the variable', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(DemoConfigError);
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/DEMO_USERS, DEMO_COOKIE_KEYS, DEMO_JWT_SECRET/);
    expect(() => loadConfig({ ...ENV, DEMO_JWT_SECRET: DEMO_JWT_SECRET, NODE_ENV: 'production' })).toThrow(
      /built-in DEMO_JWT_SECRET:/,
    );
    expect(() => loadConfig({ ...ENV, DEMO_USERS: 'demo:demo-password', NODE_ENV: 'production' })).toThrow(
      /DEMO_USERS/,
    );
    expect(loadConfig({ ...ENV, NODE_ENV: 'production' }).users).toHaveProperty('carol');
  });

  it('refuses malformed values instead of guessing', () => {
    expect(() => loadConfig({ DEMO_USERS: 'nopassword' })).toThrow(/DEMO_USERS must look like/);
    expect(() => loadConfig({ DEMO_TRUSTED_PROXIES: 'yes' })).toThrow(/DEMO_TRUSTED_PROXIES/);
    expect(() => loadConfig({ DEMO_COOKIE_KEYS: 'short' })).toThrow(/DEMO_COOKIE_KEYS must be at least 32 bytes/);
    expect(() => loadConfig({ DEMO_JWT_SECRET: 'short' })).toThrow(/DEMO_JWT_SECRET must be at least 32 bytes/);
  });

  describe('an app configured from the environment', () => {
    let demo: Demo;
    beforeAll(async () => {
      demo = await startDemo(loadConfig(ENV));
    });
    afterAll(() => demo.close());

    it('refuses a token signed with the built-in secret and the built-in user', async () => {
      const forged = sign({ sub: 'carol', scope: 'files:read files:write' }, DEMO_JWT_SECRET, {
        algorithm: 'HS256',
        expiresIn: '1h',
      });
      const res = await request(demo.server.url).get('/api/files').set('Authorization', `Bearer ${forged}`).expect(401);
      expect(res.body).toMatchObject({ code: 401, data: null });
      await request(demo.server.url).post('/api/login').auth('demo', 'demo-password').expect(401);
      const ok = await request(demo.server.url)
        .post('/api/login?token=1')
        .auth('carol', 'carol-password:with-colon')
        .expect(200);
      await request(demo.server.url).get('/api/me').set('Authorization', `Bearer ${ok.body.data.token}`).expect(200);
    });
  });
});
