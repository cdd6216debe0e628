import { realpath } from 'node:fs/promises';
import path from 'node:path';
import createError from 'http-errors';

const WINDOWS_DRIVE = /^[a-zA-Z]:/;

function notFound(): Error {
  return createError(404, 'File not found', { code: 'FILE_NOT_FOUND' });
}

function hasHiddenSegment(segments: readonly string[]): boolean {
  return segments.some((s) => s.startsWith('.'));
}

function inside(root: string, target: string): boolean {
  return target === root || target.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/**
 * Resolves `relative` (a `/`-separated path, often from the client, never percent-decoded here)
 * under `root`, or throws the refusal: NUL is MALFORMED_PATH (400), a `..` or drive segment is
 * PATH_TRAVERSAL (403), a dotfile or a file whose real path leaves root is FILE_NOT_FOUND (404).
 * The dotfile rule is applied to the name asked for and to the real path (symlinks resolved), so a
 * link with an ordinary name cannot expose `.env`.
 */
export async function containedPath(
  root: string,
  relative: string,
  hidden: boolean,
): Promise<{ file: string; name: string }> {
  if (relative.includes('\0')) throw createError(400, 'Malformed path', { code: 'MALFORMED_PATH' });
  const segments: string[] = [];
  for (const part of relative.replaceAll('\\', '/').split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..' || WINDOWS_DRIVE.test(part)) {
      throw createError(403, 'Forbidden path', { code: 'PATH_TRAVERSAL' });
    }
    segments.push(part);
  }
  if (segments.length === 0 || (!hidden && hasHiddenSegment(segments))) throw notFound(); // root is a folder
  const rootAbs = path.resolve(root);
  const file = path.join(rootAbs, ...segments);
  let realRoot: string;
  let realFile: string;
  try {
    realRoot = await realpath(rootAbs);
    realFile = await realpath(file);
  } catch {
    throw notFound(); // missing file or root; other errors surface when the file itself is opened
  }
  if (!inside(realRoot, realFile)) throw notFound();
  if (!hidden && hasHiddenSegment(path.relative(realRoot, realFile).split(path.sep))) throw notFound();
  // The real path is what gets opened: a link swapped after this check cannot redirect the read.
  return { file: realFile, name: segments[segments.length - 1]! };
}
