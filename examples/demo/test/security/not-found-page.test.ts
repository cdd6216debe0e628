import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Demo, startDemo } from './helpers.js';

let demo: Demo;
beforeAll(async () => {
  demo = await startDemo();
});
afterAll(() => demo.close());

describe('a missing page', () => {
  it('is an HTML page for a browser', async () => {
    const res = await request(demo.server.url)
      .get('/nope')
      .set('Accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8')
      .expect(404);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toMatch(/<html/i);
    expect(res.text).not.toContain('"code"');
  });

  it('does not echo the path it could not find', async () => {
    const res = await request(demo.server.url).get('/%3Cscript%3Ealert(1)%3C/script%3E').set('Accept', 'text/html');
    expect(res.status).toBe(404);
    expect(res.text).not.toContain('<script>');
  });

  it('stays the JSON envelope under /api, even for a browser', async () => {
    const res = await request(demo.server.url).get('/api/nope').set('Accept', 'text/html').expect(404);
    expect(res.headers['content-type']).toMatch(/json/);
    expect(res.body).toMatchObject({ code: 404, data: null });
  });
});
