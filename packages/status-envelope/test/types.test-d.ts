// Compile-time checks, run by `npx tsc -p tsconfig.json --noEmit` (the repository typecheck).
import { codes, pageInfo, statusEnvelope, type ThirdPartyError, thirdPartyError } from '@koa-kit/status-envelope';
import Koa from 'koa';

const app = new Koa();
app.use(statusEnvelope({ httpStatus: 'always-200' }));
app.use((ctx) => {
  ctx.state.envelope = {
    code: codes.HTTP_201_CREATED.code,
    message: 'made',
    pageInfo: pageInfo({ total: 1, offset: 0, size: 20 }),
  };
  // @ts-expect-error pageInfo is FastFlyer's { total, offset, size }
  ctx.state.envelope = { pageInfo: { page: 1 } };
  ctx.state.envelope = { skip: true };
  ctx.state.envelope = { nullData: true };
  // @ts-expect-error code is a number
  ctx.state.envelope = { code: '201' };
  // @ts-expect-error the flag is set by statusEnvelope() and is only ever 'always-200'
  ctx.state.envelopeHttpStatus = 'keep';
});

const timeout: 604 = codes.HTTP_604_THIRD_PARTY_TIMEOUT_ERROR.code;
const err: ThirdPartyError = thirdPartyError(timeout, 'slow', { cause: new Error('x') });
const status: 502 | 503 | 504 = err.status;
const envelopeCode: number = err.envelopeCode;
void status;
void envelopeCode;
thirdPartyError(codes.HTTP_603_THIRD_PARTY_UNAVAILABLE_ERROR, undefined, { headers: { 'Retry-After': '30' } });

// @ts-expect-error only 600-606
thirdPartyError(500);
// @ts-expect-error httpStatus is 'keep' or 'always-200'
statusEnvelope({ httpStatus: 200 });
statusEnvelope({ codeBase: 10000, messages: 'zh' });
// @ts-expect-error messages is 'en' or 'zh'
statusEnvelope({ messages: 'fr' });
