import { optionError } from '@koa-kit/common';
/** FastFlyer's paging object, sent as `pageInfo` beside `data`. */
export interface PageInfo {
  /** Number of items in the whole list. */
  total: number;
  /** Index of the first item of this page (0-based). */
  offset: number;
  /** Page size: the most items a page holds. */
  size: number;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Checks a page and returns FastFlyer's `{ total, offset, size }` (nothing else), or undefined. */
export function toPageInfo(value: unknown): PageInfo | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const { total, offset, size } = value as Record<string, unknown>;
  if (!isCount(total) || !isCount(offset) || !isCount(size)) return undefined;
  return { total, offset, size };
}

/** The `pageInfo` of a paged list, for `ctx.state.envelope.pageInfo`; a TypeError unless all three are non-negative integers. */
export function pageInfo(page: PageInfo): PageInfo {
  const checked = toPageInfo(page);
  if (checked === undefined) {
    throw optionError('pageInfo', 'needs { total, offset, size }, each a non-negative integer');
  }
  return checked;
}
