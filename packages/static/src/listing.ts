import { opendir } from 'node:fs/promises';

/** One entry of a folder listing. */
export interface ListingEntry {
  name: string;
  type: 'file' | 'directory';
}

/** Most entries listed: a huge folder costs one bounded read, never the whole of it. */
export const LIST_LIMIT = 10_000;

/**
 * The regular files and folders in `folder`, sorted by name; dotfiles only when `hidden`, and only
 * names `keep` accepts. Symlinks, sockets and devices are left out (serving them is checked apart).
 */
export async function readListing(
  folder: string,
  hidden: boolean,
  keep: (name: string, type: ListingEntry['type']) => boolean,
): Promise<ListingEntry[]> {
  const entries: ListingEntry[] = [];
  const dir = await opendir(folder);
  try {
    for await (const dirent of dir) {
      if (!hidden && dirent.name.startsWith('.')) continue;
      const type = dirent.isDirectory() ? 'directory' : dirent.isFile() ? 'file' : undefined;
      if (type === undefined || !keep(dirent.name, type)) continue;
      entries.push({ name: dirent.name, type });
      if (entries.length >= LIST_LIMIT) break;
    }
  } finally {
    await dir.close().catch(() => {}); // already closed when the iteration ran to its end
  }
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** A small HTML page of links; every name is escaped, every href percent-encoded. */
export function listingHtml(urlPath: string, entries: readonly ListingEntry[]): string {
  const items = entries
    .map((e) => {
      const slash = e.type === 'directory' ? '/' : '';
      return `<li><a href="./${encodeURIComponent(e.name)}${slash}">${escapeHtml(e.name)}${slash}</a></li>`;
    })
    .join('\n');
  const title = escapeHtml(urlPath);
  return `<!doctype html>\n<meta charset="utf-8">\n<title>Index of ${title}</title>\n<h1>Index of ${title}</h1>\n<ul>\n${items}\n</ul>\n`;
}
