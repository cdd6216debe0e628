// A TypeScript user of @koa-kit/upload: both factories, ctx.request.file(s), ctx.state.upload.
import { rename } from 'node:fs/promises';
import {
  type FinishedUpload,
  type ResumableUploadOptions,
  resumableUpload,
  UploadErrorCode,
  type UploadedFile,
  type UploadOptions,
  type UploadState,
  upload,
} from '@koa-kit/upload';
import Koa from 'koa';

const formOptions: UploadOptions = {
  dest: '/var/uploads/tmp',
  fields: [{ name: 'avatar', maxCount: 1 }, { name: 'photos' }],
  accept: ['image/*', '.pdf'],
  limits: { fileSize: 5 * 1024 * 1024, files: 4, bodySize: 24 * 1024 * 1024 },
};
const tusOptions: ResumableUploadOptions = {
  path: '/files',
  directory: '/var/uploads/tus',
  maxSize: 1024 ** 3,
  onUploadFinish: async (_ctx, finished: FinishedUpload) => {
    void finished;
  },
};

const app = new Koa();
app.use(resumableUpload(tusOptions));
app.use(upload(formOptions));
app.use(async (ctx) => {
  const single: UploadedFile | undefined = ctx.request.file;
  const state: UploadState | undefined = ctx.state.upload;
  const all: UploadedFile[] = state?.files ?? [];
  for (const file of all) await rename(file.path, `/var/uploads/${file.filename}`);
  // @ts-expect-error ctx.state.upload is typed by the package, not `any`
  const wrong: number = ctx.state.upload;
  ctx.body = { single: single?.originalname, count: all.length, wrong, code: UploadErrorCode.fileTooLarge };
});

// @ts-expect-error the tus collection needs a directory
resumableUpload({ path: '/files' });

export default app;
