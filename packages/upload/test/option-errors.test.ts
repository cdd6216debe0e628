import http from 'node:http';
import { tmpdir } from 'node:os';
import { itRefusesOptions } from '@koa-kit/common/test';
import { handleExpectContinue, redisLocker, resumableUpload, upload } from '@koa-kit/upload';
import Koa from 'koa';
import multer from 'multer';
import { describe } from 'vitest';

const tus = { path: '/files', directory: tmpdir() };
const client = { set() {}, eval() {}, publish() {}, duplicate() {} };

describe('option errors read `<function>(): <detail>`', () => {
  itRefusesOptions('upload', [
    ['options that are not an object', () => upload('x' as never), 'options must be an object'],
    ['an unknown option', () => upload({ dets: '/tmp' } as never), 'unknown option "dets"'],
    ["multer's preservePath", () => upload({ preservePath: true } as never), 'unknown option "preservePath"'],
    [
      'a multer storage engine',
      () => upload({ storage: multer.memoryStorage() as never }),
      '"storage" option must be "disk" or "memory" (multer storage engines are not taken)',
    ],
    [
      'dest with memory storage',
      () => upload({ storage: 'memory', dest: '/tmp/x' }),
      '"dest" option does not go with storage: "memory" (files are not written)',
    ],
    ['limits that are not an object', () => upload({ limits: 3 as never }), '"limits" option must be an object'],
    [
      'an unknown limit',
      () => upload({ limits: { nope: 1 } as never }),
      /^unknown option "limits\.nope" \(known: fileSize, /,
    ],
    [
      'a negative limit',
      () => upload({ limits: { fileSize: -1 } }),
      '"limits.fileSize" option must be a positive integer',
    ],
    [
      'totalFileSize on disk',
      () => upload({ limits: { totalFileSize: 10 } }),
      '"limits.totalFileSize" goes with storage: "memory" only (on disk, use "bodySize")',
    ],
    ['two shapes', () => upload({ single: 'a', array: 'b' }), '"single", "array" options cannot be used together'],
    ['maxCount without array', () => upload({ maxCount: 2 }), '"maxCount" option only goes with "array"'],
    ['an empty field name', () => upload({ single: '' }), '"single" option must be a non-empty string'],
    ['no fields', () => upload({ fields: [] }), '"fields" option must be a non-empty array of { name, maxCount? }'],
    ['any: false', () => upload({ any: false as never }), '"any" option must be true when given'],
    ['an empty dest', () => upload({ dest: '' }), '"dest" option must be a non-empty string'],
    ['a keep that is not a boolean', () => upload({ keep: 'yes' as never }), '"keep" option must be a boolean'],
    [
      'a negative idleTimeout',
      () => upload({ idleTimeout: -1 }),
      '"idleTimeout" option must be a non-negative integer',
    ],
    [
      'a fileFilter that is not a function',
      () => upload({ fileFilter: 'x' as never }),
      '"fileFilter" option must be a function',
    ],
    [
      'a filename that is not a function',
      () => upload({ filename: 'x' as never }),
      '"filename" option must be a function',
    ],
    [
      'an empty accept',
      () => upload({ accept: [] }),
      '"accept" option must be a non-empty array of MIME types and extensions',
    ],
    [
      'an accept entry that is not a string',
      () => upload({ accept: [1 as never] }),
      '"accept" option must contain only strings',
    ],
    [
      'an accept entry that is no type',
      () => upload({ accept: ['not a type'] }),
      /^"accept" option: "not a type" is neither/,
    ],
  ]);
  itRefusesOptions('resumableUpload', [
    ['no options', () => resumableUpload(undefined as never), 'options must be an object'],
    [
      "@tus/server's datastore",
      () => resumableUpload({ ...tus, datastore: {} } as never),
      'unknown option "datastore"',
    ],
    [
      'no path',
      () => resumableUpload({ directory: tmpdir() } as never),
      /^"path" option must be a path such as "\/files"/,
    ],
    [
      'no directory',
      () => resumableUpload({ path: '/files' } as never),
      '"directory" option must be a non-empty string',
    ],
    [
      'a negative maxSize',
      () => resumableUpload({ ...tus, maxSize: -1 }),
      '"maxSize" option must be a non-negative integer',
    ],
    [
      'allowedHeaders that are no header names',
      () => resumableUpload({ ...tus, allowedHeaders: ['bad header'] }),
      '"allowedHeaders" option must be an array of header names',
    ],
    [
      'allowedOrigins that are not an array',
      () => resumableUpload({ ...tus, allowedOrigins: 'x' as never }),
      '"allowedOrigins" option must be an array of origins',
    ],
    [
      'credentials without origins',
      () => resumableUpload({ ...tus, allowedCredentials: true }),
      '"allowedCredentials" option needs "allowedOrigins"',
    ],
    [
      'a relativeLocation that is not a boolean',
      () => resumableUpload({ ...tus, relativeLocation: 1 as never }),
      '"relativeLocation" option must be a boolean',
    ],
    [
      'a baseUrl that is not http(s)',
      () => resumableUpload({ ...tus, baseUrl: 'ftp://x.example' }),
      /^"baseUrl" option must be an http\(s\) origin/,
    ],
    [
      'a locker without newLock',
      () => resumableUpload({ ...tus, locker: {} as never }),
      '"locker" option must have a newLock(id) method',
    ],
    [
      'a hook that is not a function',
      () => resumableUpload({ ...tus, onUploadFinish: 1 as never }),
      '"onUploadFinish" option must be a function',
    ],
  ]);
  itRefusesOptions('redisLocker', [
    ['no options', () => redisLocker(undefined as never), /^options must be an object/],
    ['an unknown option', () => redisLocker({ client, tll: 10 } as never), 'unknown option "tll"'],
  ]);
  itRefusesOptions('handleExpectContinue', [
    ['no server', () => handleExpectContinue(null as never, new Koa()), '"server" must be a node:http Server'],
    [
      'no app',
      () => handleExpectContinue(http.createServer(), {} as never),
      '"app" must be a Koa app or a request listener',
    ],
  ]);
});
