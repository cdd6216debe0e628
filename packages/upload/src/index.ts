import type { UploadedFile, UploadState } from './multipart.js';

export { type CallbackApp, handleExpectContinue } from './expect-continue.js';
export {
  DEFAULT_UPLOAD_LIMITS,
  UploadErrorCode,
  type UploadedFile,
  type UploadField,
  type UploadFileInfo,
  type UploadLimits,
  type UploadOptions,
  type UploadState,
  upload,
} from './multipart.js';
export { type RedisLocker, type RedisLockerOptions, redisLocker } from './redis-locker.js';
export {
  DEFAULT_CLEANUP_INTERVAL,
  DEFAULT_EXPIRES_IN,
  DEFAULT_IDLE_TIMEOUT,
  DEFAULT_MAX_CONCURRENT_UPLOADS,
  DEFAULT_MAX_SIZE,
  type FinishedUpload,
  type ResumableUploadAction,
  ResumableUploadErrorCode,
  type ResumableUploadInfo,
  type ResumableUploadOptions,
  resumableUpload,
  type StoredUploadInfo,
  type UploadCreateResult,
  type UploadLock,
  type UploadLocker,
} from './tus.js';

declare module 'koa' {
  interface Request {
    /** The file of `upload({ single })`. */
    file?: UploadedFile;
    /** The files of `upload({ array })` and `upload({ any })` (an array) or `upload({ fields })` (by field). */
    files?: UploadedFile[] | Record<string, UploadedFile[]>;
    /** Text fields of a multipart form (set by `upload()`), or what a body parser put there. */
    body?: any;
  }
  interface DefaultContext {
    /** `ctx.request.file`, where @koa/multer puts it too. */
    file?: UploadedFile;
    /** `ctx.request.files`, where @koa/multer puts them too. */
    files?: UploadedFile[] | Record<string, UploadedFile[]>;
  }
  interface DefaultState {
    /** Set by `upload()`: every file of the request, whatever the shape. */
    upload?: UploadState;
  }
}
