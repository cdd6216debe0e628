import { createReadStream, realpathSync, statSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { optionError } from '@koa-kit/common';
import createError from 'http-errors';
import type { Context, Middleware, Next } from 'koa';
import {
  type CanonicalPath,
  canonicalise,
  canonicalSpelling,
  hasHiddenSegment,
  isInside,
  type PathRefusal,
} from './canonical.js';
import { isNotModified, isPreconditionFailed } from './conditional.js';
import { acceptedCodings, type Coding } from './encoding.js';
import { type FileEntry, FileTable, type Lookup } from './file-table.js';
import { guardLength } from './guard.js';
import { type ListingEntry, listingHtml, readListing } from './listing.js';
import { resolveOptions, type ServeStaticOptions } from './options.js';

const SUFFIX: Record<Coding, string> = { br: '.br', gzip: '.gz' };
const EMPTY = Buffer.alloc(0);
const FALLBACK_TYPE = 'application/octet-stream';

interface Found {
  entry: FileEntry;
  lookup: Extract<Lookup, { kind: 'file' }>;
  relativePath: string;
  /** A folder's index asked for without the trailing slash (`/docs`). */
  folderWithoutSlash?: boolean;
}

/** A folder without index, listed because `list` is on. */
interface Listing {
  folder: string;
  relativePath: string;
  folderWithoutSlash: boolean;
}

function refusal(code: PathRefusal): Error {
  return code === 'MALFORMED_PATH'
    ? createError(400, 'Malformed request path', { code })
    : createError(403, 'Forbidden path', { code });
}

function parsedDate(value: string): number | undefined {
  const ms = value ? Date.parse(value) : Number.NaN;
  return Number.isNaN(ms) ? undefined : ms;
}

function fsError(error: NodeJS.ErrnoException): Error {
  if (error.code === 'EACCES' || error.code === 'EPERM') {
    return createError(403, 'Forbidden', { code: 'FILE_FORBIDDEN' });
  }
  return createError(500, 'Cannot read file', { code: 'FILE_READ_ERROR', expose: false, cause: error });
}

function checkedRoot(root: unknown): { root: string; realRoot: string } {
  if (typeof root !== 'string' || root === '')
    throw optionError('serveStatic', '"root" must be a path to an existing folder');
  const abs = path.resolve(root);
  let realRoot: string;
  try {
    realRoot = realpathSync(abs);
    if (!statSync(realRoot).isDirectory()) throw new Error('not a folder');
  } catch {
    throw optionError('serveStatic', `"root" must be a path to an existing folder: ${abs}`);
  }
  return { root: abs, realRoot };
}

/**
 * Serves files under `root` for GET and HEAD. Anything else, and any path that names no servable
 * file, goes to `next()`. The URL path is canonicalised once and that one path is checked and served.
 */
export function serveStatic(root: string, options?: ServeStaticOptions): Middleware {
  const { root: rootAbs, realRoot } = checkedRoot(root);
  const o = resolveOptions(options);
  const table = new FileTable({
    realRoot,
    followSymlinks: o.followSymlinks,
    hidden: o.hidden,
    cacheMaxFileSize: o.cacheMaxFileSize,
    cacheMaxSize: o.cacheMaxSize,
  });
  const prefix = o.prefixSegments;

  async function find(rel: string[], trailingSlash: boolean, ctx: Context): Promise<Found | Listing | null> {
    const abs = rel.length === 0 ? rootAbs : rootAbs + path.sep + rel.join(path.sep);
    if (!isInside(rootAbs, abs)) return null;
    let lookup = await table.lookup(abs);
    let relativePath = `/${rel.join('/')}`;
    const isFolder = lookup.kind === 'dir';
    if (lookup.kind === 'dir') {
      lookup = { kind: 'none' };
      for (const name of o.index) {
        const candidate = await table.lookup(abs + path.sep + name);
        if (candidate.kind === 'file' || candidate.kind === 'error') {
          lookup = candidate;
          relativePath = rel.length === 0 ? `/${name}` : `${relativePath}/${name}`;
          break;
        }
      }
      if (lookup.kind === 'none' && o.list && (!o.filter || o.filter(relativePath, ctx))) {
        return { folder: abs, relativePath, folderWithoutSlash: !trailingSlash };
      }
    } else if (lookup.kind === 'file' && trailingSlash) {
      return null;
    } else if (lookup.kind === 'none' && o.extensions.length > 0 && rel.length > 0 && !trailingSlash) {
      const last = rel[rel.length - 1]!;
      if (!last.includes('.')) {
        for (const ext of o.extensions) {
          const candidate = await table.lookup(abs + ext);
          if (candidate.kind === 'file' || candidate.kind === 'error') {
            lookup = candidate;
            relativePath += ext;
            break;
          }
        }
      }
    }
    if (lookup.kind === 'error') throw fsError(lookup.error);
    if (lookup.kind !== 'file' || lookup.entry.outside) return null;
    if (o.filter && !o.filter(relativePath, ctx)) return null;
    return { entry: lookup.entry, lookup, relativePath, folderWithoutSlash: isFolder && !trailingSlash };
  }

  async function variant(found: Found, ctx: Context): Promise<{ found: Found; coding?: Coding }> {
    for (const coding of acceptedCodings(ctx.req.headers['accept-encoding'])) {
      if (!o.codings.includes(coding)) continue;
      const lookup = await table.lookup(found.entry.file + SUFFIX[coding], found.entry.file);
      if (lookup.kind === 'file' && !lookup.entry.outside) {
        return { found: { entry: lookup.entry, lookup, relativePath: found.relativePath }, coding };
      }
    }
    return { found };
  }

  /** Lists a folder, or returns false when its real path may not be shown (left root, or a dot-folder). */
  async function list(ctx: Context, listing: Listing): Promise<boolean> {
    const base = listing.relativePath === '/' ? '/' : `${listing.relativePath}/`;
    let entries: ListingEntry[];
    try {
      const real = await realpath(listing.folder);
      const within = isInside(realRoot, real);
      if (!within && !o.followSymlinks) return false;
      if (within && !o.hidden && hasHiddenSegment(path.relative(realRoot, real).split(path.sep))) return false;
      entries = await readListing(listing.folder, o.hidden, (name, type) => {
        return !o.filter || o.filter(`${base}${name}${type === 'directory' ? '/' : ''}`, ctx);
      });
    } catch (err) {
      const error = err as NodeJS.ErrnoException;
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return false; // removed meanwhile
      throw fsError(error);
    }
    ctx.vary('Accept');
    ctx.set('Cache-Control', 'no-cache');
    if (ctx.accepts('html', 'json') === 'json') {
      ctx.body = entries;
    } else {
      ctx.type = 'html';
      ctx.body = listingHtml(ctx.path, entries);
    }
    return true;
  }

  /** A second spelling of a path is never served: a guard above only ever checks the canonical one. */
  async function notCanonical(ctx: Context, next: Next, canonical: CanonicalPath): Promise<void> {
    await next();
    if (ctx.status !== 404 || ctx.body != null) return;
    if (!o.redirectToCanonical) {
      throw createError(400, 'Request path is not in canonical form', { code: 'PATH_NOT_CANONICAL' });
    }
    const query = ctx.querystring;
    ctx.status = 301;
    ctx.set('Location', canonicalSpelling(canonical) + (query ? `?${query}` : ''));
    ctx.body = '';
  }

  return async function serveStatic(ctx: Context, next: Next): Promise<void> {
    const method = ctx.method;
    if (method !== 'GET' && method !== 'HEAD') return next();

    const canonical: CanonicalPath | PathRefusal = canonicalise(ctx.path);
    if (typeof canonical === 'string') {
      // Not ours to answer if something further down serves this URL (a route, a proxy).
      await next();
      if (ctx.status === 404 && ctx.body == null) throw refusal(canonical);
      return;
    }
    const segments = canonical.segments;
    if (prefix.length > 0) {
      if (segments.length < prefix.length) return next();
      for (let i = 0; i < prefix.length; i++) if (segments[i] !== prefix[i]) return next();
    }
    if (!canonical.exact) return notCanonical(ctx, next, canonical);
    const rel = prefix.length > 0 ? segments.slice(prefix.length) : segments;
    if (!o.hidden && hasHiddenSegment(rel)) return next();

    const result = await find(rel, canonical.trailingSlash, ctx);
    if (!result) return next();
    if (result.folderWithoutSlash && o.redirect) {
      // `/docs` served as `docs/index.html` would resolve the page's relative links against `/`.
      // The path is exact (one `/` between segments), so the Location cannot be protocol-relative.
      const query = ctx.querystring;
      ctx.status = 301;
      ctx.set('Location', `${ctx.path}/${query ? `?${query}` : ''}`);
      ctx.body = '';
      return;
    }
    if (!('entry' in result)) {
      if (!(await list(ctx, result))) return next();
      return;
    }
    let found = result;
    let coding: Coding | undefined;
    if (o.codings.length > 0) {
      ctx.vary('Accept-Encoding');
      ({ found, coding } = await variant(found, ctx));
    }

    const { entry } = found;
    // A Content-Type chosen upstream is kept, as koa-send and send keep it.
    if (!ctx.res.hasHeader('Content-Type')) {
      if (entry.contentType === undefined) {
        ctx.type = entry.ext;
        entry.contentType = ctx.response.get('Content-Type') || FALLBACK_TYPE;
      }
      ctx.set('Content-Type', entry.contentType);
    }
    if (o.lastModified) ctx.set('Last-Modified', entry.lastModified);
    if (o.etag) ctx.set('ETag', entry.etag);
    if (o.cacheControl) ctx.set('Cache-Control', o.cacheControl);
    if (coding) ctx.set('Content-Encoding', coding);
    ctx.state.static = { path: entry.file, relativePath: found.relativePath, encoding: coding };
    if (o.setHeaders) o.setHeaders(ctx, entry.file, found.lookup.stats);

    // Conditionals compare against the validators the response carries (setHeaders may replace them).
    const etag = ctx.response.get('ETag') || undefined;
    const lastModified = ctx.response.get('Last-Modified');
    const modifiedMs = lastModified === entry.lastModified ? entry.mtimeMs : parsedDate(lastModified);
    const headers = ctx.req.headers;
    if (isPreconditionFailed(headers['if-match'], headers['if-unmodified-since'], etag, modifiedMs)) {
      throw createError(412, 'Precondition Failed', { code: 'PRECONDITION_FAILED' });
    }
    if (isNotModified(headers['if-none-match'], headers['if-modified-since'], etag, modifiedMs)) {
      ctx.status = 304;
      return;
    }
    ctx.status = 200;
    if (method === 'HEAD') {
      ctx.length = entry.size;
      return;
    }
    if (entry.body) {
      ctx.body = entry.body;
    } else if (entry.size === 0) {
      ctx.body = EMPTY;
    } else {
      const stream = createReadStream(entry.file, { highWaterMark: o.highWaterMark, start: 0, end: entry.size - 1 });
      guardLength(stream, entry.size, ctx);
      ctx.body = stream;
      ctx.length = entry.size;
    }
  };
}
