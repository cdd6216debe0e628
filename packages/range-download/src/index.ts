export type { ByteRange } from './parse-range.js';
export { type RangeDownloadOptions, rangeDownload } from './range-download.js';
export { type SendFileOptions, sendFile } from './send-file.js';

import type { ByteRange } from './parse-range.js';

/** What `rangeDownload` records when it answers 206, on `ctx.state.range`. */
export interface RangeState {
  /** Size in bytes of the whole representation. */
  size: number;
  /** The ranges sent, sorted, overlapping and adjacent ones merged. */
  ranges: ByteRange[];
}

declare module 'koa' {
  interface DefaultState {
    /** Set by `@koa-kit/range-download` when it answers 206 Partial Content. */
    range?: RangeState;
  }
}
