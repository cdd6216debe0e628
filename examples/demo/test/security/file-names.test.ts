import { binaryParser } from '@koa-kit/testing';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Demo, login, patchUpload, startDemo } from './helpers.js';

let demo: Demo;
beforeAll(async () => {
  demo = await startDemo();
});
afterAll(() => demo.close());

async function formUpload(name: string, body: string) {
  const { agent, auth } = await login(demo.server.url, 'alice');
  const res = await agent
    .post('/api/form-uploads')
    .set('Authorization', auth)
    .attach('file', Buffer.from(body), { filename: name, contentType: 'text/plain' });
  return { res, agent, auth };
}

describe('uploaded file names', () => {
  it('never overwrites: two uploads of one name are two files, each with its own bytes', async () => {
    const first = await formUpload('canary.txt', 'first');
    const second = await formUpload('canary.txt', 'second');
    expect(first.res.status).toBe(201);
    expect(second.res.status).toBe(201);
    const list = await request(demo.server.url).get('/api/files').set('Authorization', second.auth).expect(200);
    const canaries = (list.body.data as { id: string; name: string }[]).filter((f) => f.name === 'canary.txt');
    expect(canaries).toHaveLength(2);
    const bodies = await Promise.all(
      canaries.map(async (file) => {
        const got = await second.agent.get(`/downloads/${file.id}`).buffer(true).parse(binaryParser).expect(200);
        expect(got.headers['content-disposition']).toContain('canary.txt');
        return got.body.toString();
      }),
    );
    expect(bodies.sort()).toEqual(['first', 'second']);
  });

  it('cuts a long name to 255 bytes instead of failing (200 CJK characters)', async () => {
    const long = `${'报'.repeat(200)}.txt`;
    const { res } = await formUpload(long, 'long');
    expect(res.status).toBe(201);
    const name = res.body.data.name as string;
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(255);
    expect(name.startsWith('报报报')).toBe(true);
    expect(name).not.toContain('\ufffd');
  });

  it('cuts a long tus file name too, instead of failing when the upload finishes', async () => {
    const { auth } = await login(demo.server.url, 'bob');
    const filename = Buffer.from(`${'文'.repeat(200)}.bin`).toString('base64');
    const created = await request(demo.server.url)
      .post('/api/uploads')
      .set('Authorization', auth)
      .set('Tus-Resumable', '1.0.0')
      .set('Upload-Length', '4')
      .set('Upload-Metadata', `filename ${filename}`)
      .expect(201);
    const uploadPath = new URL(String(created.headers.location), demo.server.url).pathname;
    await patchUpload(demo.server.url, auth, uploadPath, Buffer.from('done')).expect(204);
    const list = await request(demo.server.url).get('/api/files').set('Authorization', auth).expect(200);
    const [file] = list.body.data as { name: string; size: number }[];
    expect(file?.size).toBe(4);
    expect(Buffer.byteLength(file!.name)).toBeLessThanOrEqual(255);
    expect(file!.name.startsWith('文文文')).toBe(true);
  });

  it('strips bidirectional controls from the name it lists and sends', async () => {
    const { res, agent } = await formUpload('invoice\u202etxt.exe', 'bidi');
    expect(res.status).toBe(201);
    expect(res.body.data.name).toBe('invoicetxt.exe');
    const got = await agent.get(`/downloads/${res.body.data.id}`).expect(200);
    expect(got.headers['content-disposition']).not.toMatch(/%E2%80%AE|\u202e/i);
    expect(got.headers['content-disposition']).toContain('invoicetxt.exe');
  });
});
