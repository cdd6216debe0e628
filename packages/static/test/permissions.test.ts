import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { rawRequest, tempDir } from '@koa-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A file the operating system refuses to open must give 403 FILE_FORBIDDEN (static and sendFile),
// never a 500 or a leaked path. Root opens anything, so as root the server runs without the two
// capabilities that let it (setpriv drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH): it still owns
// and reads the checkout wherever it is, but a mode-000 file is refused. Any other user runs it as is.

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const isRoot = process.getuid?.() === 0;
const DROP_DAC = ['--inh-caps=-dac_override,-dac_read_search', '--bounding-set=-dac_override,-dac_read_search'];
const hasSetpriv = (() => {
  try {
    execFileSync('setpriv', [...DROP_DAC, '--', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const canRun = process.platform !== 'win32' && (!isRoot || hasSetpriv);
if (!canRun)
  console.warn('permissions.test.ts skipped: as root it needs setpriv (util-linux) to drop DAC capabilities');

let dir: Awaited<ReturnType<typeof tempDir>>;
let child: ChildProcess | undefined;
let base = '';
const errors: { code?: string; status?: number }[] = [];
/** Emits 'reported' for each error line of the server. */
const reports = new EventEmitter();
async function reported(count: number): Promise<void> {
  while (errors.length < count) await once(reports, 'reported');
}

beforeAll(async () => {
  if (!canRun) return;
  dir = await tempDir();
  await chmod(dir.path, 0o755);
  await writeFile(path.join(dir.path, 'open.txt'), 'anyone may read this\n');
  await chmod(path.join(dir.path, 'open.txt'), 0o644);
  await writeFile(path.join(dir.path, 'secret.txt'), 'no one may read this\n');
  await chmod(path.join(dir.path, 'secret.txt'), 0o000);
  await writeFile(path.join(dir.path, 'later.txt'), 'readable until chmod\n');
  await chmod(path.join(dir.path, 'later.txt'), 0o644);
  // Larger than the small-file cache: served as a stream, so nothing reads it before the headers.
  await writeFile(path.join(dir.path, 'big-secret.bin'), Buffer.alloc(4 * 1024 * 1024, 7));
  await chmod(path.join(dir.path, 'big-secret.bin'), 0o000);
  await mkdir(path.join(dir.path, 'locked'));
  await writeFile(path.join(dir.path, 'locked', 'inside.txt'), 'behind a folder no one may enter\n');
  await chmod(path.join(dir.path, 'locked'), 0o000);

  const tsx = path.join(repo, 'node_modules/.bin/tsx');
  const args = [tsx, path.join(here, 'fixtures/serve-dir.ts'), dir.path];
  const [cmd, argv] = isRoot ? ['setpriv', [...DROP_DAC, '--', process.execPath, ...args]] : [process.execPath, args];
  child = spawn(cmd, argv, { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  base = await new Promise<string>((resolve, reject) => {
    child!.once('exit', (code) => reject(new Error(`the server exited with ${code}`)));
    lines.on('line', (line) => {
      const msg = JSON.parse(line) as { port?: number; error?: { code?: string; status?: number } };
      if (msg.port) resolve(`http://127.0.0.1:${msg.port}`);
      if (msg.error) {
        errors.push(msg.error);
        reports.emit('reported');
      }
    });
  });
}, 60_000);

afterAll(async () => {
  child?.kill('SIGTERM');
  if (dir) {
    await chmod(path.join(dir.path, 'locked'), 0o755).catch(() => {});
    await dir.remove();
  }
});

describe.skipIf(!canRun)('a file the operating system refuses (EACCES)', () => {
  it('serveStatic: 403 FILE_FORBIDDEN for the file, 200 for its readable neighbour', async () => {
    expect((await rawRequest(base, '/open.txt')).status).toBe(200);
    const refused = await rawRequest(base, '/secret.txt');
    expect(refused.status).toBe(403);
    expect(refused.body.toString()).not.toContain(dir.path);
    expect(refused.body.toString()).not.toContain('no one may read');
  });

  it('serveStatic: a large (streamed, not cached) file is refused before any header goes out', async () => {
    const res = await rawRequest(base, '/big-secret.bin');
    expect(res.status).toBe(403);
    const head = await rawRequest(base, '/big-secret.bin', { method: 'HEAD' });
    expect(head.status).toBe(403);
  });

  it('serveStatic: a cached file made unreadable later (chmod changes only ctime) is refused at once', async () => {
    expect((await rawRequest(base, '/later.txt')).status).toBe(200);
    await chmod(path.join(dir.path, 'later.txt'), 0o000);
    const res = await rawRequest(base, '/later.txt');
    expect(res.status).toBe(403);
    expect(res.body.toString()).not.toContain('readable until');
  });

  it('serveStatic: a file inside a folder that cannot be entered is 403 too, never 500', async () => {
    const res = await rawRequest(base, '/locked/inside.txt');
    expect(res.status).toBe(403);
    expect(res.body.toString()).not.toContain(dir.path);
  });

  it('sendFile: 403 FILE_FORBIDDEN', async () => {
    const res = await rawRequest(base, '/send/secret.txt');
    expect(res.status).toBe(403);
    expect((await rawRequest(base, '/send/open.txt')).status).toBe(200);
  });

  it('every refusal was reported with its code, and none as a 500', async () => {
    await reported(6);
    expect(errors.map((e) => e.code)).toEqual(Array(6).fill('FILE_FORBIDDEN'));
    expect(errors.every((e) => e.status === 403)).toBe(true);
  });
});
