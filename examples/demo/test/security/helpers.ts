import { type Listening, listen, tempDir } from '@koa-kit/testing';
import request from 'supertest';
import { expect } from 'vitest';
import { createDemo, type DemoOptions } from '../../src/app.js';

/** The stable error code of an envelope or problem-details body. */
export const errorCode = (body: any): string | undefined => body?.error?.code ?? body?.detail?.code ?? body?.code;

export const USERS = { alice: 'alice-password', bob: 'bob-password' };

export interface Demo {
  server: Listening;
  close(): Promise<void>;
}

/** A demo app with two users on an ephemeral port, in its own data folder. */
export async function startDemo(options: Partial<DemoOptions> = {}): Promise<Demo> {
  const data = await tempDir('koa-kit-demo-sec-');
  const app = await createDemo({ dataDir: data.path, users: USERS, ...options });
  const server = await listen(app);
  return {
    server,
    close: async () => {
      await server.close();
      await data.remove();
    },
  };
}

export async function login(url: string, user: keyof typeof USERS) {
  const agent = request.agent(url);
  const res = await agent.post('/api/login?token=1').auth(user, USERS[user]).expect(200);
  const token = res.body.data.token as string;
  return { agent, token, auth: `Bearer ${token}` };
}

/** Creates a tus upload of `length` bytes and returns its path (`/api/uploads/<id>`). */
export async function createUpload(url: string, auth: string, length: number, concat?: string): Promise<string> {
  const req = request(url)
    .post('/api/uploads')
    .set('Authorization', auth)
    .set('Tus-Resumable', '1.0.0')
    .set('Upload-Length', String(length));
  if (concat) req.set('Upload-Concat', concat);
  const res = await req.expect(201);
  const location = new URL(String(res.headers.location), url);
  expect(location.pathname).toMatch(/^\/api\/uploads\/[\w-]+$/);
  return location.pathname;
}

export function patchUpload(url: string, auth: string, uploadPath: string, body: Buffer, offset = 0) {
  return request(url)
    .patch(uploadPath)
    .set('Authorization', auth)
    .set('Tus-Resumable', '1.0.0')
    .set('Upload-Offset', String(offset))
    .set('Content-Type', 'application/offset+octet-stream')
    .send(body);
}
