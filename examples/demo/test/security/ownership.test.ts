import { binaryParser } from '@koa-kit/testing';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUpload, type Demo, errorCode, login, patchUpload, startDemo } from './helpers.js';

let demo: Demo;
beforeAll(async () => {
  demo = await startDemo();
});
afterAll(() => demo.close());

describe('each user sees and touches only their own files and uploads', () => {
  it('lists and serves a file to its owner only', async () => {
    const url = demo.server.url;
    const alice = await login(url, 'alice');
    const bob = await login(url, 'bob');
    const up = await alice.agent
      .post('/api/form-uploads')
      .set('Authorization', alice.auth)
      .attach('file', Buffer.from('alice only'), 'secret.txt')
      .expect(201);
    const { id } = up.body.data as { id: string };

    const aliceList = await request(url).get('/api/files').set('Authorization', alice.auth).expect(200);
    expect(aliceList.body.data).toEqual([{ id, name: 'secret.txt', size: 10 }]);
    const bobList = await request(url).get('/api/files').set('Authorization', bob.auth).expect(200);
    expect(bobList.body.data).toEqual([]);

    const got = await alice.agent.get(`/downloads/${id}`).buffer(true).parse(binaryParser).expect(200);
    expect(got.body.toString()).toBe('alice only');
    const refused = await bob.agent.get(`/downloads/${id}`).buffer(true).parse(binaryParser).expect(404);
    expect(refused.body.toString()).not.toContain('alice only');
    await bob.agent.get('/downloads/secret.txt').expect(404);
  });

  it('deletes a file for its owner only', async () => {
    const url = demo.server.url;
    const alice = await login(url, 'alice');
    const bob = await login(url, 'bob');
    const up = await request(url)
      .post('/api/form-uploads')
      .set('Authorization', alice.auth)
      .attach('file', Buffer.from('keep me'), 'doomed.txt')
      .expect(201);
    const { id } = up.body.data as { id: string };

    for (const target of [id, `${id}.json`, '..%2f..%2fpackage.json', 'doomed.txt']) {
      const refused = await request(url).delete(`/api/files/${target}`).set('Authorization', bob.auth);
      expect([refused.status, errorCode(refused.body)]).toEqual([404, 'FILE_NOT_FOUND']);
    }
    await request(url).delete(`/api/files/${id}`).expect(401);
    await alice.agent.get(`/downloads/${id}`).expect(200);

    await request(url).delete(`/api/files/${id}`).set('Authorization', alice.auth).expect(200);
    const list = await request(url).get('/api/files').set('Authorization', alice.auth).expect(200);
    expect((list.body.data as { id: string }[]).map((f) => f.id)).not.toContain(id);
    await alice.agent.get(`/downloads/${id}`).expect(404);
    await request(url).delete(`/api/files/${id}`).set('Authorization', alice.auth).expect(404);
  });

  it("refuses HEAD, PATCH, DELETE and concatenation of another user's uploads", async () => {
    const url = demo.server.url;
    const alice = await login(url, 'alice');
    const bob = await login(url, 'bob');
    const upload = await createUpload(url, alice.auth, 10);
    const tusHead = (auth: string) =>
      request(url).head(upload).set('Authorization', auth).set('Tus-Resumable', '1.0.0');

    await tusHead(bob.auth).expect(404);
    await patchUpload(url, bob.auth, upload, Buffer.from('bob writes')).expect(404);
    await request(url).delete(upload).set('Authorization', bob.auth).set('Tus-Resumable', '1.0.0').expect(404);
    const head = await tusHead(alice.auth).expect(200);
    expect(head.headers['upload-offset']).toBe('0');

    const partial = await createUpload(url, alice.auth, 5, 'partial');
    await patchUpload(url, alice.auth, partial, Buffer.from('12345')).expect(204);
    const concatAs = (auth: string, parts: string) =>
      request(url)
        .post('/api/uploads')
        .set('Authorization', auth)
        .set('Tus-Resumable', '1.0.0')
        .set('Upload-Concat', parts);
    // Refused exactly as a partial that does not exist (the documented UPLOAD_CONCAT_INVALID).
    const concat = await concatAs(bob.auth, `final;${partial}`);
    const missing = await concatAs(bob.auth, `final;/api/uploads/${'0'.repeat(32)}`);
    expect([concat.status, errorCode(concat.body)]).toEqual([400, 'UPLOAD_CONCAT_INVALID']);
    expect([missing.status, errorCode(missing.body)]).toEqual([400, 'UPLOAD_CONCAT_INVALID']);
    const bobList = await request(url).get('/api/files').set('Authorization', bob.auth).expect(200);
    expect(bobList.body.data).toEqual([]);

    // Bob's refused attempt left Alice's piece alone: she may concatenate it, and it becomes her file.
    const own = await request(url)
      .post('/api/uploads')
      .set('Authorization', alice.auth)
      .set('Tus-Resumable', '1.0.0')
      .set('Upload-Concat', `final;${partial}`);
    expect(own.status).toBe(201);
    const aliceList = await request(url).get('/api/files').set('Authorization', alice.auth).expect(200);
    expect(aliceList.body.data).toHaveLength(2);
  });
});
