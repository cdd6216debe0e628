import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sign } from '@koa-kit/jwt';
import { binaryParser, redisForTests, tempDir } from '@koa-kit/testing';
import { Redis } from 'ioredis';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp as loginFlow } from '../src/login-flow.js';
import { createApp as multiInstance } from '../src/multi-instance.js';
import { createApp as protectedDownloads } from '../src/protected-downloads.js';

const SECRET = 'recipes-test-secret-0123456789abcdef';

describe('recipe: login with basic auth, then JWT', () => {
  const app = loginFlow(SECRET, { ada: 'correct horse' }).callback();

  it('issues a token for the right password and serves the API with it', async () => {
    const login = await request(app).post('/login').auth('ada', 'correct horse').expect(200);
    const notes = await request(app).get('/api/notes').set('Authorization', `Bearer ${login.body.token}`).expect(200);
    expect(notes.body).toEqual({ owner: 'ada', notes: ['buy milk'] });
  });

  it('refuses a wrong password and a missing token with their challenges', async () => {
    const wrong = await request(app).post('/login').auth('ada', 'nope').expect(401);
    expect(wrong.headers['www-authenticate']).toMatch(/^Basic realm="example"/);
    const none = await request(app).get('/api/notes').expect(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    await request(app).put('/login').expect(405).expect('Allow', /POST/);
  });
});

describe('recipe: protected resumable downloads', async () => {
  const dir = await tempDir('koa-kit-recipe-');
  afterAll(() => dir.remove());
  const content = randomBytes(100_000);
  await writeFile(path.join(dir.path, 'report.pdf'), content);
  const app = protectedDownloads(SECRET, dir.path).callback();
  const token = sign({ sub: 'ada', scope: 'files:read' }, SECRET, { algorithm: 'HS256' });

  it('serves the file in ranges to a cookie holder, and resumes where a cut download stopped', async () => {
    const first = await request(app)
      .get('/files/report.pdf')
      .set('Cookie', `token=${token}`)
      .buffer(true)
      .parse(binaryParser)
      .expect(200);
    expect(createHash('sha256').update(first.body).digest('hex')).toBe(
      createHash('sha256').update(content).digest('hex'),
    );
    const rest = await request(app)
      .get('/files/report.pdf')
      .set('Cookie', `token=${token}`)
      .set('Range', 'bytes=60000-')
      .set('If-Range', String(first.headers.etag))
      .buffer(true)
      .parse(binaryParser)
      .expect(206);
    expect(Buffer.compare(rest.body, content.subarray(60_000))).toBe(0);
  });

  it('refuses without a token, without the scope, and for missing or hidden files', async () => {
    await request(app).get('/files/report.pdf').expect(401);
    const noScope = sign({ sub: 'ada' }, SECRET, { algorithm: 'HS256' });
    await request(app).get('/files/report.pdf').set('Cookie', `token=${noScope}`).expect(403);
    await request(app).get('/files/missing.pdf').set('Cookie', `token=${token}`).expect(404);
    await request(app).get('/files/.env').set('Cookie', `token=${token}`).expect(404);
  });
});

const redisUrl = await redisForTests();
describe.skipIf(!redisUrl)('recipe: several instances sharing Redis', () => {
  const clients: Redis[] = [];
  afterAll(async () => {
    for (const client of clients) await client.flushdb().catch(() => {});
    for (const client of clients) client.disconnect();
  });

  it('two processes see the same session', async () => {
    const db = 9; // a database of its own, flushed afterwards
    const a = new Redis(redisUrl!, { db });
    const b = new Redis(redisUrl!, { db });
    clients.push(a, b);
    const keys = ['same-key-in-every-process-0123456789'];
    const one = multiInstance(a, keys).callback();
    const two = multiInstance(b, keys).callback();
    const first = await request(one).get('/').set('X-Forwarded-For', '203.0.113.9').expect(200);
    const cookie = [first.headers['set-cookie'] ?? []]
      .flat()
      .map((c) => c.split(';')[0])
      .join('; ');
    const second = await request(two).get('/').set('Cookie', cookie).set('X-Forwarded-For', '203.0.113.9').expect(200);
    expect(second.body).toEqual({ visits: 2 });
    expect(second.headers['x-ratelimit-remaining']).toBe('98');
  });
});
